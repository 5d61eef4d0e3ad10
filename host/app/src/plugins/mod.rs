//! Plug-ins in the application, in three parts:
//! - this module: the configuration, the set in service (an immutable [`Snapshot`] swapped
//!   atomically: a call keeps the snapshot it started with, so calls in flight finish on the old
//!   version while new ones get the new one; a poisoned lock can never empty it) and its reload,
//!   with the watcher that polls the registry's generation so every process follows the others;
//! - [`registry`]: the administration use cases (install, upgrade, enable, disable, remove,
//!   limits, quarantine release), each checked against the units it touches;
//! - [`dispatch`]: which plug-ins run for a record, the calls with their failure policy,
//!   quarantine by fault rate per enablement, and what is stored of their answers.

mod dispatch;
mod registry;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use arc_swap::ArcSwap;
use siso_domain::clock::Clock;
use siso_domain::ids::OrgUnitId;
use siso_domain::org::OrgUnit;
use siso_plugins::{Capability, Hook, Limits, LoadedPlugin, Manifest, Runtime, RuntimeConfig, TrustedKey};
use siso_store::Store;
use siso_store::repo::plugins::{self as repo, EnablementLimits, EnablementRow, VersionRow};

use crate::error::{AppError, AppResult};

pub use dispatch::{Outcome, Target};
pub use registry::{Enable, Installed, LimitsChange, PluginInfo};

/// The most any enablement may set, whatever an administrator asks: a plug-in never holds a
/// request (and on SQLite the writer) for longer than about a second.
pub const CEILING: Limits = Limits {
    timeout: Duration::from_millis(1_000),
    fuel: 1_000_000_000,
    memory_bytes: 128 << 20,
    max_input_bytes: 4 << 20,
    max_output_bytes: 256 << 10,
};

/// Limits never above [`CEILING`].
pub fn capped(l: Limits) -> Limits {
    Limits {
        timeout: l.timeout.min(CEILING.timeout),
        fuel: l.fuel.min(CEILING.fuel),
        memory_bytes: l.memory_bytes.min(CEILING.memory_bytes),
        max_input_bytes: l.max_input_bytes.min(CEILING.max_input_bytes),
        max_output_bytes: l.max_output_bytes.min(CEILING.max_output_bytes),
    }
}

/// The most calls of one enablement that may run at once.
pub const MAX_CONCURRENCY: i64 = 32;

/// Calls of one enablement that run at once when its administrator set nothing.
pub const DEFAULT_CONCURRENCY: i64 = 4;

/// Plug-in settings of the host.
#[derive(Debug, Clone)]
pub struct PluginConfig {
    /// Where compiled artifacts are cached.
    pub cache_dir: PathBuf,
    /// Default per-call limits.
    pub limits: Limits,
    /// Publisher keys trusted to sign packages.
    pub trusted: Vec<TrustedKey>,
    /// Development mode: unsigned or untrusted packages are accepted.
    pub development: bool,
    /// Faults after which an enablement is quarantined, when they are also at least half of
    /// its recent calls.
    pub quarantine_after: u32,
    /// Instances that may run at once.
    pub max_instances: u32,
    /// How often the registry's generation is polled (and call counts shared).
    pub watch_interval: Duration,
}

impl PluginConfig {
    /// Defaults with a cache directory.
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        PluginConfig {
            cache_dir: cache_dir.into(),
            limits: Limits::default(),
            trusted: Vec::new(),
            development: false,
            quarantine_after: 3,
            max_instances: 128,
            watch_interval: Duration::from_millis(500),
        }
    }
}

/// What happens when a plug-in faults or is quarantined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailurePolicy {
    /// The change is refused (the default: a rule that cannot run must not be skipped).
    FailClosed,
    /// The plug-in is skipped and the change goes on.
    FailOpen,
}

impl FailurePolicy {
    /// Stored code.
    pub fn as_str(self) -> &'static str {
        match self {
            FailurePolicy::FailClosed => "fail_closed",
            FailurePolicy::FailOpen => "fail_open",
        }
    }

    /// Parses a stored code.
    pub fn parse(s: &str) -> Option<FailurePolicy> {
        match s {
            "fail_closed" => Some(FailurePolicy::FailClosed),
            "fail_open" => Some(FailurePolicy::FailOpen),
            _ => None,
        }
    }
}

/// A plug-in enabled for a subtree.
#[derive(Debug, Clone)]
pub struct Enablement {
    /// Root of the subtree.
    pub org_unit_id: OrgUnitId,
    /// Settings (JSON).
    pub settings: String,
    /// Granted capabilities.
    pub capabilities: BTreeSet<Capability>,
    /// Failure policy.
    pub policy: FailurePolicy,
    /// Limit overrides set by its administrator.
    pub limits: EnablementLimits,
    /// Units below cannot override it.
    pub locked: bool,
    /// Why it is quarantined, when it is.
    pub quarantine: Option<String>,
}

impl Enablement {
    fn from_row(e: &EnablementRow) -> Enablement {
        Enablement {
            org_unit_id: e.org_unit_id,
            settings: e.settings.clone(),
            capabilities: e.capabilities.iter().filter_map(|c| Capability::parse(c)).collect(),
            policy: FailurePolicy::parse(&e.failure_policy).unwrap_or(FailurePolicy::FailClosed),
            limits: e.limits,
            locked: e.locked,
            quarantine: e.quarantine.as_ref().map(|(_, why)| why.clone()),
        }
    }

    /// The limits of a call under this enablement: the host's defaults, overridden by what its
    /// administrator set, never above [`CEILING`].
    pub fn effective_limits(&self, defaults: Limits) -> Limits {
        capped(self.overridden(defaults))
    }

    fn overridden(&self, defaults: Limits) -> Limits {
        let mut l = defaults;
        if let Some(ms) = self.limits.timeout_ms.and_then(|v| u64::try_from(v).ok()) {
            l.timeout = Duration::from_millis(ms);
        }
        if let Some(f) = self.limits.fuel.and_then(|v| u64::try_from(v).ok()) {
            l.fuel = f;
        }
        if let Some(m) = self.limits.memory_mib.and_then(|v| usize::try_from(v).ok()) {
            l.memory_bytes = m.saturating_mul(1 << 20);
        }
        l
    }

    /// Calls that may run at once under this enablement.
    pub fn concurrency(&self) -> usize {
        let n = self.limits.max_concurrency.unwrap_or(DEFAULT_CONCURRENCY).clamp(1, MAX_CONCURRENCY);
        usize::try_from(n).unwrap_or(1)
    }
}

/// A plug-in version in service.
#[derive(Debug)]
pub struct Active {
    /// Registry id.
    pub plugin_id: i64,
    /// Version row id.
    pub version_id: i64,
    /// The package digest pinned at install.
    pub digest: String,
    /// The loaded component.
    pub plugin: Arc<LoadedPlugin>,
    /// The host's default limits.
    pub limits: Limits,
    /// The administration that installed it.
    pub owner: Option<OrgUnitId>,
    /// Where it is enabled.
    pub enablements: Vec<Enablement>,
}

/// The set in service.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Registry generation it was built from.
    pub generation: i64,
    /// Plug-ins in service.
    pub active: Vec<Arc<Active>>,
    /// Plug-ins that could not be loaded (key, reason).
    pub broken: Vec<(String, String)>,
    /// Where those are enabled, with the hooks they declare: a rule that cannot run is not
    /// skipped silently, its failure policy applies.
    pub unavailable: Vec<Unavailable>,
}

/// An enabled plug-in that could not be loaded in this process.
#[derive(Debug, Clone)]
pub struct Unavailable {
    /// `id@version`.
    pub label: String,
    /// Hooks its manifest declares (empty when even the manifest is unreadable: then every
    /// hook counts).
    pub hooks: BTreeSet<Hook>,
    /// Where it is enabled.
    pub enablements: Vec<Enablement>,
}

#[derive(Debug)]
struct OrgPath {
    unit: OrgUnit,
    /// Nearest first.
    ancestors: Vec<OrgUnit>,
}

/// The concurrency gate of one enablement: its permits and the semaphore holding them.
type Gate = (usize, Arc<tokio::sync::Semaphore>);

/// Plug-ins of the host.
pub struct Plugins {
    runtime: Runtime,
    store: Store,
    clock: Arc<dyn Clock>,
    config: PluginConfig,
    snapshot: ArcSwap<Snapshot>,
    reload_lock: tokio::sync::Mutex<()>,
    health: Mutex<dispatch::Health>,
    gates: Mutex<HashMap<(i64, OrgUnitId), Gate>>,
    orgs: Mutex<HashMap<OrgUnitId, Arc<OrgPath>>>,
}

impl std::fmt::Debug for Plugins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugins").field("runtime", &self.runtime).finish()
    }
}

/// A lock whose holder panicked still guards its data: the data is taken as it is, so a
/// poisoned lock never turns a check off (no quarantine forgotten, no limit skipped).
fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

impl Plugins {
    /// Starts the runtime; call [`Plugins::reload`] to load the registry.
    pub fn new(store: Store, clock: Arc<dyn Clock>, config: PluginConfig) -> anyhow::Result<Plugins> {
        if config.limits.timeout > CEILING.timeout {
            anyhow::bail!("plugins.timeout_ms may be at most {} ms", CEILING.timeout.as_millis());
        }
        let runtime = Runtime::new(RuntimeConfig {
            cache_dir: config.cache_dir.clone(),
            limits: config.limits,
            max_memory_bytes: config.limits.memory_bytes.max(CEILING.memory_bytes),
            max_instances: config.max_instances,
            clock: clock.clone(),
        })?;
        Ok(Plugins {
            runtime,
            store,
            clock,
            config,
            snapshot: ArcSwap::from_pointee(Snapshot { generation: -1, ..Snapshot::default() }),
            reload_lock: tokio::sync::Mutex::new(()),
            health: Mutex::new(dispatch::Health::default()),
            gates: Mutex::new(HashMap::new()),
            orgs: Mutex::new(HashMap::new()),
        })
    }

    /// The runtime (counters for `/metrics`).
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The set in service now.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    /// Quarantined enablements, (registry id, unit) → reason: those recorded in the registry
    /// and those this process quarantined since its last reload.
    pub fn quarantined(&self) -> HashMap<(i64, OrgUnitId), String> {
        let mut out: HashMap<(i64, OrgUnitId), String> = HashMap::new();
        for a in &self.snapshot().active {
            for e in &a.enablements {
                if let Some(why) = &e.quarantine {
                    out.insert((a.plugin_id, e.org_unit_id), why.clone());
                }
            }
        }
        out.extend(locked(&self.health).quarantined.iter().map(|(k, (why, _))| (*k, why.clone())));
        out
    }

    /// Reloads the registry from the database; versions already loaded are reused, new ones
    /// come from the compile cache (or are compiled once). Each stored package's signature is
    /// checked against the trusted publishers of this host's configuration at every load.
    pub async fn reload(&self) -> AppResult<()> {
        let _guard = self.reload_lock.lock().await;
        let generation = repo::generation(&self.store).await?;
        let rows = repo::all(&self.store).await?;
        let enablements = repo::enablements(&self.store).await?;
        let old = self.snapshot();
        let mut active = Vec::new();
        let mut broken = Vec::new();
        let mut unavailable = Vec::new();
        for row in rows {
            let Some(version_id) = row.current_version_id else { continue };
            let row_enablements: Vec<Enablement> =
                enablements.iter().filter(|e| e.plugin_id == row.id).map(Enablement::from_row).collect();
            let head = repo::version_by_id(&self.store, version_id).await?;
            let digest = head.as_ref().map(|h| h.digest.clone()).unwrap_or_default();
            let reused = old.active.iter().find(|a| a.version_id == version_id && a.digest == digest);
            let plugin = match reused {
                Some(a) => a.plugin.clone(),
                None => match self.load_version(head.as_ref()).await {
                    Ok(p) => Arc::new(p),
                    Err(e) => {
                        tracing::error!(plugin = %row.key, "plug-in not loaded: {e}");
                        let hooks = head
                            .as_ref()
                            .and_then(|h| serde_json::from_str::<Manifest>(&h.manifest).ok())
                            .map(|m| m.hooks)
                            .unwrap_or_default();
                        let version = head.as_ref().map(|h| h.version.clone()).unwrap_or_default();
                        unavailable.push(Unavailable {
                            label: format!("{}@{version}", row.key),
                            hooks,
                            enablements: row_enablements,
                        });
                        broken.push((row.key.clone(), e.to_string()));
                        continue;
                    }
                },
            };
            if !old.active.iter().any(|a| a.plugin_id == row.id && a.version_id == version_id) {
                // A new version starts with a clean record.
                locked(&self.health).forget_plugin(row.id);
            }
            // Grants never exceed what the version in service asks for.
            let asked = &plugin.manifest().capabilities;
            let enablements = row_enablements
                .into_iter()
                .map(|mut e| {
                    e.capabilities.retain(|c| asked.contains(c));
                    e
                })
                .collect();
            active.push(Arc::new(Active {
                plugin_id: row.id,
                version_id,
                digest,
                plugin,
                limits: self.config.limits,
                owner: row.owner_org_unit_id,
                enablements,
            }));
        }
        // Quarantines this process decided are kept until the registry records them (their
        // write is on its way), and dropped when it does not after a while (released meanwhile).
        let recorded: BTreeSet<(i64, OrgUnitId)> = active
            .iter()
            .flat_map(|a: &Arc<Active>| {
                a.enablements.iter().filter(|e| e.quarantine.is_some()).map(|e| (a.plugin_id, e.org_unit_id))
            })
            .collect();
        locked(&self.health).settle_quarantines(&recorded);
        locked(&self.orgs).clear();
        self.snapshot.store(Arc::new(Snapshot { generation, active, broken, unavailable }));
        Ok(())
    }

    async fn load_version(&self, head: Option<&VersionRow>) -> AppResult<LoadedPlugin> {
        let head = head.ok_or_else(|| internal("missing version"))?;
        let component = repo::component(&self.store, head.id).await?.ok_or_else(|| internal("missing component"))?;
        if siso_plugins::package::digest_of(head.manifest.as_bytes(), &component) != head.digest {
            return Err(internal("the stored package does not match the digest pinned at install"));
        }
        let manifest: Manifest = serde_json::from_str(&head.manifest).map_err(internal)?;
        // The signature is checked against today's trust list, not the one of the install: a
        // publisher whose key was removed from the configuration no longer runs.
        let pkg = siso_plugins::Package {
            manifest: manifest.clone(),
            manifest_bytes: head.manifest.as_bytes().to_vec(),
            component,
            signature: match (&head.signer_key, &head.signature) {
                (Some(key), Some(signature)) => {
                    Some(siso_plugins::package::Signature { key: key.clone(), signature: signature.clone() })
                }
                _ => None,
            },
        };
        pkg.verify(&self.config.trusted, self.config.development)
            .map_err(|e| internal(format!("the stored package is no longer trusted: {e}")))?;
        let engine = self.runtime.engine_id();
        let component_digest = siso_plugins::package::sha256_hex(&pkg.component);
        let known = repo::artifact_digest(&self.store, &component_digest, &engine).await?;
        let runtime = self.runtime.clone();
        let started = std::time::Instant::now();
        let component = pkg.component;
        let (loaded, artifact) =
            tokio::task::spawn_blocking(move || runtime.load_trusting(&manifest, &component, known.as_deref()))
                .await
                .map_err(internal)?
                .map_err(internal)?;
        if artifact.compiled {
            repo::record_artifact(&self.store, &component_digest, &engine, &artifact.sha256, self.clock.now()).await?;
        }
        tracing::info!(
            plugin = loaded.label(),
            cached = !artifact.compiled,
            ms = started.elapsed().as_millis() as u64,
            "plug-in loaded"
        );
        Ok(loaded)
    }

    /// Polls the registry's generation and reloads when another process changed it; shares
    /// this process's call counts through the database and quarantines enablements whose
    /// fault rate across replicas is too high.
    pub fn spawn_watcher(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let me = Arc::downgrade(self);
        let interval = self.config.watch_interval;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(interval).await;
                let Some(p) = me.upgrade() else { return };
                if let Err(e) = siso_store::background(p.share_health()).await {
                    tracing::warn!("plug-in call counts not shared: {e}");
                }
                match siso_store::background(repo::generation(&p.store)).await {
                    Ok(g) if g != p.snapshot().generation => {
                        if let Err(e) = siso_store::background(p.reload()).await {
                            tracing::warn!("plug-in registry reload failed: {e}");
                        }
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!("plug-in registry poll failed: {e}"),
                }
            }
        })
    }
}
