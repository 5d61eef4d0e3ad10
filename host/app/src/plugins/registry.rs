//! The registry's use cases. Plug-ins are installation-wide code; what each administration
//! does with them is its own: enabling, disabling, limits and quarantine release act on one
//! enablement and need the plug-in right in its unit; registry-wide changes (upgrade, removal)
//! need it in the unit of the administration that installed the plug-in and in every unit
//! where it is enabled. A plug-in the actor may not change answers like a missing one.

use std::collections::BTreeSet;
use std::sync::Arc;

use siso_domain::DomainError;
use siso_domain::ids::OrgUnitId;
use siso_plugins::{Capability, Hook, Limits, Manifest, Package};
use siso_store::Tx;
use siso_store::repo::plugins::{self as repo, EnablementLimits, EnablementRow, NewVersion, PluginRow};
use siso_store::repo::{catalogue as catalogue_repo, org as org_repo};

use super::{CEILING, Enablement, FailurePolicy, MAX_CONCURRENCY, Plugins, internal, locked};
use crate::authz::{Action, check, hidden};
use crate::error::{AppError, AppResult};
use crate::{Actor, audit};

fn user(code: &'static str, field: &'static str, message: impl Into<String>) -> AppError {
    AppError::User(DomainError::field(code, field, message))
}

/// The answer for a plug-in, or an enablement, the actor may not see or change.
fn missing_plugin() -> AppError {
    AppError::not_found("plug-in", "plugin")
}

fn missing_enablement() -> AppError {
    AppError::not_found("plug-in enablement", "plugin")
}

/// The hooks whose answers are applied to a record (money and eligibility): one plug-in per
/// unit decides each.
const DECISIONS: [Hook; 2] = [Hook::Eligibility, Hook::CoPayment];

/// The result of an install.
#[derive(Debug, Clone)]
pub struct Installed {
    /// Registry id.
    pub plugin_id: i64,
    /// Plug-in id.
    pub key: String,
    /// Version installed.
    pub version: String,
    /// Pinned digest.
    pub digest: String,
    /// Whether it replaced an earlier version.
    pub upgraded: bool,
}

/// Enabling a plug-in.
#[derive(Debug, Clone)]
pub struct Enable {
    /// Plug-in id.
    pub plugin: String,
    /// Root of the subtree.
    pub org_unit_id: OrgUnitId,
    /// Settings JSON.
    pub settings: Option<String>,
    /// Capabilities granted.
    pub capabilities: Vec<String>,
    /// Failure policy (default fail closed).
    pub failure_policy: Option<FailurePolicy>,
    /// Lock it: units below cannot enable the plug-in with their own settings or policy.
    pub locked: bool,
}

/// New limits of an enablement (`None`: the host's default).
#[derive(Debug, Clone, Copy, Default)]
pub struct LimitsChange {
    /// Deadline of one call, milliseconds (1–1000).
    pub timeout_ms: Option<i64>,
    /// Fuel of one call (1,000–1,000,000,000).
    pub fuel: Option<i64>,
    /// Memory of one call, MiB (1–128).
    pub memory_mib: Option<i64>,
    /// Calls at once (1–32).
    pub max_concurrency: Option<i64>,
}

impl LimitsChange {
    fn check(&self) -> AppResult<EnablementLimits> {
        let max_ms = i64::try_from(CEILING.timeout.as_millis()).unwrap_or(i64::MAX);
        if self.timeout_ms.is_some_and(|t| !(1..=max_ms).contains(&t)) {
            return Err(user("INVALID_LIMIT", "timeoutMs", format!("the timeout must be 1–{max_ms} ms")));
        }
        let max_fuel = i64::try_from(CEILING.fuel).unwrap_or(i64::MAX);
        if self.fuel.is_some_and(|f| !(1_000..=max_fuel).contains(&f)) {
            return Err(user("INVALID_LIMIT", "fuel", format!("fuel must be 1,000–{max_fuel}")));
        }
        let max_mib = i64::try_from(CEILING.memory_bytes >> 20).unwrap_or(i64::MAX);
        if self.memory_mib.is_some_and(|m| !(1..=max_mib).contains(&m)) {
            return Err(user("INVALID_LIMIT", "memoryMib", format!("memory must be 1–{max_mib} MiB")));
        }
        if self.max_concurrency.is_some_and(|n| !(1..=MAX_CONCURRENCY).contains(&n)) {
            return Err(user("INVALID_LIMIT", "maxConcurrency", format!("concurrency must be 1–{MAX_CONCURRENCY}")));
        }
        Ok(EnablementLimits {
            timeout_ms: self.timeout_ms,
            fuel: self.fuel,
            memory_mib: self.memory_mib,
            max_concurrency: self.max_concurrency,
        })
    }
}

/// A plug-in as the admin sees it.
#[derive(Debug, Clone)]
pub struct PluginInfo {
    /// The registry row.
    pub row: PluginRow,
    /// Installed versions.
    pub versions: Vec<repo::VersionRow>,
    /// The version in service.
    pub current: Option<repo::VersionRow>,
    /// Its manifest.
    pub manifest: Option<Manifest>,
    /// Loaded in this process.
    pub loaded: bool,
    /// Why it could not be loaded.
    pub load_error: Option<String>,
    /// The host's default limits (each enablement may lower or raise them up to the ceiling).
    pub limits: Limits,
    /// Counters in this process.
    pub stats: siso_plugins::PluginStats,
    /// The version this process serves (it follows the registry within the watch interval).
    pub serving: Option<String>,
    /// Where it is enabled, in the units the actor administers (another administration's
    /// settings are its own business), with quarantine as this process sees it.
    pub enablements: Vec<Enablement>,
}

impl Plugins {
    /// Registry-wide changes need the plug-in right in the owner's unit and in every unit where
    /// the plug-in is enabled; anyone else gets a plug-in that looks missing.
    async fn check_registry(&self, tx: &Tx, actor: &Actor, p: &PluginRow) -> AppResult<()> {
        let mut units: BTreeSet<OrgUnitId> =
            repo::enablements(tx).await?.into_iter().filter(|e| e.plugin_id == p.id).map(|e| e.org_unit_id).collect();
        units.extend(p.owner_org_unit_id);
        // A plug-in of nobody's (installed by the system, enabled nowhere) is the system's.
        let allowed = if units.is_empty() {
            actor.access.scope(Action::ManagePlugins).is_none()
        } else {
            units.iter().all(|u| actor.access.allows(Action::ManagePlugins, *u))
        };
        if !allowed {
            hidden(actor, "plugin");
            return Err(missing_plugin());
        }
        Ok(())
    }

    /// Anyone acting on the registry holds the plug-in right somewhere.
    fn require_plugin_admin(actor: &Actor) -> AppResult<()> {
        if actor.access.allows_somewhere(Action::ManagePlugins) {
            Ok(())
        } else {
            check(actor, Action::ManagePlugins, actor.org_unit_id)
        }
    }

    /// Installs a package: a new plug-in, owned by the installer's unit, or a newer version of
    /// an installed one (an upgrade, which takes over at once, without a restart). The
    /// signature is verified against the trusted publishers; the component is compiled
    /// before anything is written. A removed plug-in id stays its publisher's, and comes back
    /// only at a higher version.
    pub async fn install(&self, actor: &Actor, package: &[u8]) -> AppResult<Installed> {
        Self::require_plugin_admin(actor)?;
        let pkg = Package::from_bytes(package).map_err(|e| user("INVALID_PACKAGE", "package", e.to_string()))?;
        let signer = pkg
            .verify(&self.config.trusted, self.config.development)
            .map_err(|e| user("UNTRUSTED_PACKAGE", "package", e.to_string()))?;
        let manifest = pkg.manifest.clone();
        let runtime = self.runtime.clone();
        let (m2, component) = (manifest.clone(), pkg.component.clone());
        tokio::task::spawn_blocking(move || runtime.load(&m2, &component))
            .await
            .map_err(internal)?
            .map_err(|e| user("INVALID_COMPONENT", "package", e.to_string()))?;
        let digest = pkg.digest();
        let manifest_text = String::from_utf8(pkg.manifest_bytes.clone()).map_err(internal)?;
        let now = self.clock.now();
        let tx = self.store.begin().await?;
        let plugin = match repo::by_key(&tx, &manifest.id, true).await? {
            Some(p) => {
                self.check_registry(&tx, actor, &p).await?;
                p
            }
            None => {
                check(actor, Action::ManagePlugins, actor.org_unit_id)?;
                if let Some((publisher, highest)) = repo::tombstone(&tx, &manifest.id).await? {
                    if publisher != manifest.publisher {
                        return Err(user(
                            "PUBLISHER_MISMATCH",
                            "package",
                            format!("{} was published by {publisher:?}; its id is not free", manifest.id),
                        ));
                    }
                    if semver::Version::parse(&highest).is_ok_and(|h| h >= manifest.semver()) {
                        return Err(user(
                            "DOWNGRADE",
                            "package",
                            format!(
                                "{} was installed up to {highest}; it comes back only at a higher version",
                                manifest.id
                            ),
                        ));
                    }
                }
                let owner = org_repo::get_unit(&tx, actor.org_unit_id).await?.map(|u| u.id);
                repo::insert(&tx, &manifest.id, owner, now).await?
            }
        };
        let versions = repo::versions_of(&tx, plugin.id).await?;
        if versions.iter().any(|v| v.version == manifest.version) {
            return Err(user(
                "VERSION_EXISTS",
                "package",
                format!("{} {} is already installed", manifest.id, manifest.version),
            ));
        }
        let current = versions.iter().find(|v| Some(v.id) == plugin.current_version_id);
        if let Some(current) = current
            && current.publisher != manifest.publisher
        {
            return Err(user(
                "PUBLISHER_MISMATCH",
                "package",
                format!(
                    "{} is published by {:?}; a package from {:?} cannot replace it",
                    manifest.id, current.publisher, manifest.publisher
                ),
            ));
        }
        if current.is_some() {
            // An upgrade keeps the enablements: their settings must suit the new schema.
            for e in repo::enablements(&tx).await?.iter().filter(|e| e.plugin_id == plugin.id) {
                let settings: serde_json::Value = serde_json::from_str(&e.settings).unwrap_or_default();
                if let Err(why) = manifest.check_settings(&settings) {
                    return Err(user(
                        "INCOMPATIBLE_SETTINGS",
                        "package",
                        format!(
                            "the settings of unit {} do not suit version {}: {why}",
                            e.org_unit_id.0, manifest.version
                        ),
                    ));
                }
            }
        }
        if let Some(current) = current
            && semver::Version::parse(&current.version).is_ok_and(|c| c >= manifest.semver())
        {
            return Err(user(
                "DOWNGRADE",
                "package",
                format!("{} {} is older than the installed {}", manifest.id, manifest.version, current.version),
            ));
        }
        let version_id = repo::insert_version(
            &tx,
            &NewVersion {
                plugin_id: plugin.id,
                version: &manifest.version,
                wit_version: &manifest.wit,
                publisher: &manifest.publisher,
                manifest: &manifest_text,
                digest: &digest,
                signer_key: signer.as_deref(),
                signature: pkg.signature.as_ref().map(|s| s.signature.as_str()),
                component: &pkg.component,
                installed_by: actor.operator_id,
            },
            now,
        )
        .await?;
        repo::set_current(&tx, plugin.id, version_id).await?;
        self.publish(tx, actor, "plugin.install", plugin.id).await?;
        Ok(Installed {
            plugin_id: plugin.id,
            key: manifest.id,
            version: manifest.version,
            digest,
            upgraded: plugin.current_version_id.is_some(),
        })
    }

    /// Enables a plug-in for an organisation subtree with settings (validated against its
    /// schema) and granted capabilities (a subset of what it asked for). Refused under a unit
    /// that locked its own enablement of the plug-in, and when another plug-in already decides
    /// the same thing (eligibility, co-payment) for the same unit.
    pub async fn enable(&self, actor: &Actor, cmd: Enable) -> AppResult<()> {
        check(actor, Action::ManagePlugins, cmd.org_unit_id)?;
        let snap = self.snapshot();
        let tx = self.store.begin().await?;
        let plugin = repo::by_key(&tx, &cmd.plugin, true).await?.ok_or_else(missing_plugin)?;
        org_repo::get_unit(&tx, cmd.org_unit_id).await?.ok_or(AppError::not_found("organisation unit", "orgUnitId"))?;
        let active = snap
            .active
            .iter()
            .find(|a| a.plugin_id == plugin.id)
            .ok_or_else(|| user("NOT_LOADED", "plugin", "the plug-in is installed but could not be loaded"))?;
        let manifest = active.plugin.manifest();
        let settings: serde_json::Value = serde_json::from_str(cmd.settings.as_deref().unwrap_or("{}"))
            .map_err(|_| user("INVALID_SETTINGS", "settings", "the settings are not JSON"))?;
        manifest.check_settings(&settings).map_err(|e| user("INVALID_SETTINGS", "settings", e))?;
        let mut granted = BTreeSet::new();
        for c in &cmd.capabilities {
            let cap = Capability::parse(c)
                .ok_or_else(|| user("UNKNOWN_CAPABILITY", "capabilities", format!("unknown capability {c:?}")))?;
            if !manifest.capabilities.contains(&cap) {
                return Err(user(
                    "CAPABILITY_NOT_REQUESTED",
                    "capabilities",
                    format!("the plug-in does not ask for {cap}"),
                ));
            }
            granted.insert(cap.as_str().to_string());
        }
        let path = self.path_of(&tx, cmd.org_unit_id).await?;
        let all = repo::enablements(&tx).await?;
        // A unit above that locked its enablement decides for its whole subtree.
        if let Some(lock) = all
            .iter()
            .filter(|e| e.plugin_id == plugin.id && e.locked)
            .find(|e| path.iter().skip(1).any(|u| *u == e.org_unit_id))
        {
            return Err(user(
                "ENABLEMENT_LOCKED",
                "orgUnitId",
                format!("unit {} enabled this plug-in for its whole subtree and locked it", lock.org_unit_id.0),
            ));
        }
        // One plug-in per unit decides each applied decision (money must not depend on load
        // order); between units, the nearest enablement's answer applies.
        for hook in DECISIONS.iter().filter(|h| manifest.hooks.contains(h)) {
            let rival = snap.active.iter().find(|a| {
                a.plugin_id != plugin.id
                    && a.plugin.implements(*hook)
                    && a.enablements.iter().any(|e| e.org_unit_id == cmd.org_unit_id)
            });
            if let Some(rival) = rival {
                return Err(user(
                    "DECIDER_CONFLICT",
                    "plugin",
                    format!("{} already decides {hook} for this unit", rival.plugin.manifest().id),
                ));
            }
        }
        let policy = cmd.failure_policy.unwrap_or(FailurePolicy::FailClosed);
        repo::upsert_enablement(
            &tx,
            &EnablementRow {
                plugin_id: plugin.id,
                org_unit_id: cmd.org_unit_id,
                settings: settings.to_string(),
                capabilities: granted.into_iter().collect(),
                failure_policy: policy.as_str().into(),
                enabled_at: self.clock.now(),
                enabled_by: actor.operator_id,
                limits: EnablementLimits::default(),
                locked: cmd.locked,
                quarantine: None,
            },
        )
        .await?;
        if active.plugin.implements(Hook::Contribute) {
            // The plug-in's catalogue becomes the unit's (updated in place on re-enablement).
            let env = siso_plugins::CallEnv {
                limits: super::capped(active.limits),
                capabilities: BTreeSet::new(),
                catalogue: Arc::new(Vec::new()),
            };
            // A fault refuses the enablement (nothing written); the administrator sees why.
            let entries = self.runtime.contributed_catalogue(&active.plugin, &env).await.map_err(|f| {
                tracing::warn!(plugin = %f.plugin, kind = f.kind.code(), "plug-in fault while reading its catalogue");
                AppError::PluginFault(f)
            })?;
            // Codes the unit already inherits (national, or imported for a unit above it, e.g.
            // a Region's when a district enables the plug-in with its own settings) are not
            // imported again: one entry per code down a branch.
            let inherited: BTreeSet<String> = catalogue_repo::all(&tx)
                .await?
                .into_iter()
                .filter(|e| e.serves(path.iter().skip(1).copied()))
                .map(|e| e.local_code)
                .collect();
            let entries: Vec<_> = entries.into_iter().filter(|e| !inherited.contains(e.local_code.trim())).collect();
            catalogue_repo::upsert_for_unit(&tx, cmd.org_unit_id, &entries, self.clock.now()).await?;
        }
        self.publish(tx, actor, "plugin.enable", plugin.id).await
    }

    /// Disables a plug-in for a subtree.
    pub async fn disable(&self, actor: &Actor, plugin: &str, org: OrgUnitId) -> AppResult<()> {
        check(actor, Action::ManagePlugins, org)?;
        let tx = self.store.begin().await?;
        let p = repo::by_key(&tx, plugin, true).await?.ok_or_else(missing_enablement)?;
        if !repo::disable(&tx, p.id, org).await? {
            return Err(missing_enablement());
        }
        self.publish(tx, actor, "plugin.disable", p.id).await
    }

    /// Removes a plug-in everywhere (its stored results stay); its id keeps a tombstone with
    /// its publisher and highest version.
    pub async fn remove(&self, actor: &Actor, plugin: &str) -> AppResult<()> {
        Self::require_plugin_admin(actor)?;
        let tx = self.store.begin().await?;
        let p = repo::by_key(&tx, plugin, true).await?.ok_or_else(missing_plugin)?;
        self.check_registry(&tx, actor, &p).await?;
        let versions = repo::versions_of(&tx, p.id).await?;
        let highest = versions.iter().max_by(|a, b| {
            let v = |s: &str| semver::Version::parse(s).ok();
            v(&a.version).cmp(&v(&b.version))
        });
        if let Some(h) = highest {
            let publisher = versions
                .iter()
                .find(|v| Some(v.id) == p.current_version_id)
                .map(|v| v.publisher.as_str())
                .unwrap_or(h.publisher.as_str());
            repo::bury(&tx, &p.key, publisher, &h.version, actor.operator_id, self.clock.now()).await?;
        }
        repo::delete(&tx, p.id).await?;
        self.publish(tx, actor, "plugin.remove", p.id).await
    }

    /// Puts a quarantined enablement back in service, with a clean record.
    pub async fn release(&self, actor: &Actor, plugin: &str, org: OrgUnitId) -> AppResult<()> {
        check(actor, Action::ManagePlugins, org)?;
        let tx = self.store.begin().await?;
        let p = repo::by_key(&tx, plugin, true).await?.ok_or_else(missing_enablement)?;
        if !repo::enablements(&tx).await?.iter().any(|e| e.plugin_id == p.id && e.org_unit_id == org) {
            return Err(missing_enablement());
        }
        repo::set_quarantine(&tx, p.id, org, None).await?;
        repo::clear_call_stats(&tx, p.id, org).await?;
        locked(&self.health).release((p.id, org));
        self.publish(tx, actor, "plugin.release", p.id).await
    }

    /// Sets an enablement's limits (`None` = the host's default), within the ceilings.
    pub async fn set_limits(&self, actor: &Actor, plugin: &str, org: OrgUnitId, limits: LimitsChange) -> AppResult<()> {
        check(actor, Action::ManagePlugins, org)?;
        let limits = limits.check()?;
        let tx = self.store.begin().await?;
        let p = repo::by_key(&tx, plugin, true).await?.ok_or_else(missing_enablement)?;
        if !repo::set_limits(&tx, p.id, org, &limits).await? {
            return Err(missing_enablement());
        }
        self.publish(tx, actor, "plugin.limits", p.id).await
    }

    /// The registry, for the admin query and the CLI: every installed plug-in (code is
    /// installation-wide), with the enablements of the units the actor administers.
    pub async fn list(&self, actor: &Actor) -> AppResult<Vec<PluginInfo>> {
        Self::require_plugin_admin(actor)?;
        let snap = self.snapshot();
        let quarantined = self.quarantined();
        let stats = self.runtime.stats();
        let enablements = repo::enablements(&self.store).await?;
        let mut out = Vec::new();
        for p in repo::all(&self.store).await? {
            let versions = repo::versions_of(&self.store, p.id).await?;
            let current = versions.iter().find(|v| Some(v.id) == p.current_version_id).cloned();
            let active = snap.active.iter().find(|a| a.plugin_id == p.id);
            let manifest = current.as_ref().and_then(|v| serde_json::from_str::<Manifest>(&v.manifest).ok());
            let label = current.as_ref().map(|v| format!("{}@{}", p.key, v.version)).unwrap_or_default();
            out.push(PluginInfo {
                loaded: active.is_some(),
                load_error: snap.broken.iter().find(|(k, _)| *k == p.key).map(|(_, e)| e.clone()),
                limits: self.config.limits,
                stats: stats.get(&label).cloned().unwrap_or_default(),
                serving: active.map(|a| a.plugin.manifest().version.clone()),
                // What this process enforces (the registry's rows until it loads the plug-in).
                enablements: match active {
                    Some(a) => a.enablements.clone(),
                    None => enablements.iter().filter(|e| e.plugin_id == p.id).map(Enablement::from_row).collect(),
                }
                .into_iter()
                .filter(|e| actor.access.allows(Action::ManagePlugins, e.org_unit_id))
                .map(|mut e| {
                    if let Some(why) = quarantined.get(&(p.id, e.org_unit_id)) {
                        e.quarantine = Some(why.clone());
                    }
                    e
                })
                .collect(),
                manifest,
                current,
                versions,
                row: p,
            });
        }
        Ok(out)
    }

    /// Ends an administration change: tells other processes, logs who did it, commits and
    /// reloads this process's set.
    async fn publish(&self, tx: Tx, actor: &Actor, action: &str, plugin_id: i64) -> AppResult<()> {
        repo::bump_generation(&tx).await?;
        audit::record(&tx, self.clock.as_ref(), actor, action, "plugin", plugin_id, None).await?;
        tx.commit().await?;
        self.reload().await
    }
}
