//! Plug-ins in the application: the registry's use cases (install, upgrade, enable, disable,
//! remove, limits, quarantine release) and the dispatch of hooks inside the use cases'
//! transactions. The set in service is an immutable [`Snapshot`] swapped atomically: a call
//! keeps the snapshot it started with, so calls in flight finish on the old version while new
//! ones get the new one. Other processes notice a change through the registry's generation
//! counter (polled by [`Plugins::spawn_watcher`]) and reload.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use siso_domain::DomainError;
use siso_domain::clock::Clock;
use siso_domain::ids::OrgUnitId;
use siso_domain::money::Money;
use siso_domain::org::OrgUnit;
use siso_plugins::model::{CallContext, Change, Issue, PluginError, Subject};
use siso_plugins::{
    Capability, Fault, Hook, Limits, LoadedPlugin, Manifest, Package, Runtime, RuntimeConfig, TrustedKey,
};
use siso_store::repo::plugins::{self as repo, EnablementRow, NewVersion, ResultRow, VersionRow};
use siso_store::repo::{Conn, catalogue as catalogue_repo, org as org_repo};
use siso_store::{Store, Tx};

use crate::authz::{Action, check};
use crate::error::{AppError, AppResult};
use crate::{Actor, audit};

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
    /// Consecutive faults after which a plug-in is quarantined.
    pub quarantine_after: u32,
    /// Instances that may run at once.
    pub max_instances: u32,
    /// How often the registry's generation is polled.
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
}

impl Enablement {
    fn from_row(e: &EnablementRow) -> Enablement {
        Enablement {
            org_unit_id: e.org_unit_id,
            settings: e.settings.clone(),
            capabilities: e.capabilities.iter().filter_map(|c| Capability::parse(c)).collect(),
            policy: FailurePolicy::parse(&e.failure_policy).unwrap_or(FailurePolicy::FailClosed),
        }
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
    /// Its limits.
    pub limits: Limits,
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

/// A plug-in to run for one record.
#[derive(Debug, Clone)]
pub struct Target {
    active: Arc<Active>,
    enablement: Enablement,
    ctx: CallContext,
}

impl Target {
    /// Whether two targets run the same plug-in.
    pub fn same_plugin(&self, other: &Target) -> bool {
        self.active.plugin_id == other.active.plugin_id
    }
}

/// What one plug-in said about a change (stored with the record).
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Plug-in id.
    pub plugin: String,
    /// Its version.
    pub version: String,
    /// The hook.
    pub hook: Hook,
    /// `warned`, `eligible`, `not_eligible`, `co_payment`.
    pub outcome: &'static str,
    /// An amount, when the outcome has one.
    pub amount: Option<siso_domain::money::Money>,
    /// Reasons or warnings.
    pub reasons: Vec<Issue>,
}

/// What became of one hook call, after the failure policy.
enum Answer<T> {
    /// The plug-in answered.
    Given(T),
    /// It could not decide (its own error), and its policy let the change go on.
    Refused,
    /// It faulted, and its policy let the change go on.
    Faulted,
}

impl Target {
    fn outcome(&self, hook: Hook, outcome: &'static str, amount: Option<Money>, reasons: Vec<Issue>) -> Outcome {
        let m = self.active.plugin.manifest();
        Outcome { plugin: m.id.clone(), version: m.version.clone(), hook, outcome, amount, reasons }
    }
}

#[derive(Debug)]
struct OrgPath {
    unit: OrgUnit,
    /// Nearest first.
    ancestors: Vec<OrgUnit>,
}

/// Plug-ins of the host.
pub struct Plugins {
    runtime: Runtime,
    store: Store,
    clock: Arc<dyn Clock>,
    config: PluginConfig,
    snapshot: RwLock<Arc<Snapshot>>,
    reload_lock: tokio::sync::Mutex<()>,
    streaks: Mutex<HashMap<i64, u32>>,
    quarantined: Mutex<HashMap<i64, String>>,
    orgs: Mutex<HashMap<OrgUnitId, Arc<OrgPath>>>,
}

impl std::fmt::Debug for Plugins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugins").field("runtime", &self.runtime).finish()
    }
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

fn user(code: &'static str, field: &'static str, message: impl Into<String>) -> AppError {
    AppError::User(DomainError::field(code, field, message))
}

impl Plugins {
    /// Starts the runtime; call [`Plugins::reload`] to load the registry.
    pub fn new(store: Store, clock: Arc<dyn Clock>, config: PluginConfig) -> anyhow::Result<Plugins> {
        let runtime = Runtime::new(RuntimeConfig {
            cache_dir: config.cache_dir.clone(),
            limits: config.limits,
            max_memory_bytes: config.limits.memory_bytes.max(256 << 20),
            max_instances: config.max_instances,
        })?;
        Ok(Plugins {
            runtime,
            store,
            clock,
            config,
            snapshot: RwLock::new(Arc::new(Snapshot { generation: -1, ..Snapshot::default() })),
            reload_lock: tokio::sync::Mutex::new(()),
            streaks: Mutex::new(HashMap::new()),
            quarantined: Mutex::new(HashMap::new()),
            orgs: Mutex::new(HashMap::new()),
        })
    }

    /// The runtime (counters for `/metrics`).
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The set in service now.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.read().map(|s| s.clone()).unwrap_or_default()
    }

    /// Quarantined plug-ins (registry id → reason).
    pub fn quarantined(&self) -> HashMap<i64, String> {
        self.quarantined.lock().map(|q| q.clone()).unwrap_or_default()
    }

    /// Reloads the registry from the database; versions already loaded are reused, new ones
    /// come from the compile cache (or are compiled once).
    pub async fn reload(&self) -> AppResult<()> {
        let _guard = self.reload_lock.lock().await;
        let generation = repo::generation(&self.store).await?;
        let rows = repo::all(&self.store).await?;
        let enablements = repo::enablements(&self.store).await?;
        let old = self.snapshot();
        let mut active = Vec::new();
        let mut broken = Vec::new();
        let mut unavailable = Vec::new();
        let mut quarantined = HashMap::new();
        for row in rows {
            if let Some(reason) = &row.quarantine_reason {
                quarantined.insert(row.id, reason.clone());
            }
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
                if let Ok(mut s) = self.streaks.lock() {
                    s.remove(&row.id);
                }
            }
            let mut limits = self.config.limits;
            if let Some(ms) = row.timeout_ms.and_then(|v| u64::try_from(v).ok()) {
                limits.timeout = Duration::from_millis(ms);
            }
            if let Some(f) = row.fuel.and_then(|v| u64::try_from(v).ok()) {
                limits.fuel = f;
            }
            if let Some(m) = row.memory_mib.and_then(|v| usize::try_from(v).ok()) {
                limits.memory_bytes = m << 20;
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
            active.push(Arc::new(Active { plugin_id: row.id, version_id, digest, plugin, limits, enablements }));
        }
        if let Ok(mut q) = self.quarantined.lock() {
            *q = quarantined;
        }
        let next = Arc::new(Snapshot { generation, active, broken, unavailable });
        if let Ok(mut o) = self.orgs.lock() {
            o.clear();
        }
        if let Ok(mut s) = self.snapshot.write() {
            *s = next;
        }
        Ok(())
    }

    async fn load_version(&self, head: Option<&VersionRow>) -> AppResult<LoadedPlugin> {
        let head = head.ok_or_else(|| internal("missing version"))?;
        let component = repo::component(&self.store, head.id).await?.ok_or_else(|| internal("missing component"))?;
        if siso_plugins::package::digest_of(head.manifest.as_bytes(), &component) != head.digest {
            return Err(internal("the stored package does not match the digest pinned at install"));
        }
        let manifest: Manifest = serde_json::from_str(&head.manifest).map_err(internal)?;
        let runtime = self.runtime.clone();
        let started = std::time::Instant::now();
        let cached = runtime.is_cached(&component);
        let loaded = tokio::task::spawn_blocking(move || runtime.load(&manifest, &component))
            .await
            .map_err(internal)?
            .map_err(internal)?;
        tracing::info!(plugin = loaded.label(), cached, ms = started.elapsed().as_millis() as u64, "plug-in loaded");
        Ok(loaded)
    }

    /// Polls the registry's generation and reloads when another process changed it.
    pub fn spawn_watcher(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let me = Arc::downgrade(self);
        let interval = self.config.watch_interval;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(interval).await;
                let Some(p) = me.upgrade() else { return };
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

    async fn org_path(&self, c: &impl Conn, org: OrgUnitId) -> AppResult<Arc<OrgPath>> {
        if let Some(p) = self.orgs.lock().ok().and_then(|m| m.get(&org).cloned()) {
            return Ok(p);
        }
        let unit = org_repo::get_unit(c, org).await?.ok_or(AppError::not_found("organisation unit", "orgUnitId"))?;
        let mut ancestors: Vec<OrgUnit> = Vec::new();
        let mut next = unit.parent_id;
        while let Some(id) = next {
            if ancestors.len() > 16 || ancestors.iter().any(|a| a.id == id) {
                break;
            }
            let Some(parent) = org_repo::get_unit(c, id).await? else { break };
            next = parent.parent_id;
            ancestors.push(parent);
        }
        let path = Arc::new(OrgPath { unit, ancestors });
        if let Ok(mut m) = self.orgs.lock() {
            m.insert(org, path.clone());
        }
        Ok(path)
    }

    /// The plug-ins to run for a record owned by `org`: those implementing `hook` enabled for
    /// `org` or a unit above it (the nearest enablement's settings apply). No database access
    /// when no plug-in implements the hook.
    pub async fn targets(&self, c: &impl Conn, org: OrgUnitId, hook: Hook) -> AppResult<Vec<Target>> {
        let snap = self.snapshot();
        let unavailable = snap.unavailable.iter().any(|u| u.hooks.is_empty() || u.hooks.contains(&hook));
        if !unavailable && !snap.active.iter().any(|a| a.plugin.implements(hook) && !a.enablements.is_empty()) {
            return Ok(Vec::new());
        }
        let path = self.org_path(c, org).await?;
        let units: Vec<OrgUnitId> = std::iter::once(path.unit.id).chain(path.ancestors.iter().map(|a| a.id)).collect();
        for u in snap.unavailable.iter().filter(|u| u.hooks.is_empty() || u.hooks.contains(&hook)) {
            let nearest = units.iter().find_map(|id| u.enablements.iter().find(|e| e.org_unit_id == *id));
            if let Some(e) = nearest
                && e.policy == FailurePolicy::FailClosed
            {
                return Err(AppError::PluginRefused {
                    plugin: u.label.clone(),
                    message: "the plug-in could not be loaded on this server".into(),
                });
            }
        }
        let today = self.clock.today();
        let mut out = Vec::new();
        for a in snap.active.iter().filter(|a| a.plugin.implements(hook)) {
            let nearest = units.iter().find_map(|u| a.enablements.iter().find(|e| e.org_unit_id == *u));
            if let Some(e) = nearest {
                out.push(Target {
                    active: a.clone(),
                    enablement: e.clone(),
                    ctx: CallContext {
                        organisation: path.unit.clone(),
                        ancestors: path.ancestors.clone(),
                        today,
                        settings: e.settings.clone(),
                    },
                });
            }
        }
        out.sort_by(|a, b| a.active.plugin.manifest().id.cmp(&b.active.plugin.manifest().id));
        Ok(out)
    }

    async fn env(&self, c: &impl Conn, t: &Target) -> AppResult<siso_plugins::CallEnv> {
        let catalogue = if t.enablement.capabilities.contains(&Capability::CatalogueRead) {
            let org = t.ctx.organisation.id;
            catalogue_repo::all(c)
                .await?
                .into_iter()
                .filter(|e| e.serves(std::iter::once(org).chain(t.ctx.ancestors.iter().map(|a| a.id))))
                .collect()
        } else {
            Vec::new()
        };
        Ok(siso_plugins::CallEnv {
            limits: t.active.limits,
            capabilities: t.enablement.capabilities.clone(),
            catalogue: Arc::new(catalogue),
        })
    }

    fn quarantine_reason(&self, t: &Target) -> Option<String> {
        self.quarantined.lock().ok().and_then(|q| q.get(&t.active.plugin_id).cloned())
    }

    fn succeeded(&self, t: &Target) {
        if let Ok(mut s) = self.streaks.lock() {
            s.remove(&t.active.plugin_id);
        }
    }

    /// Counts a fault; at the threshold the plug-in is quarantined here at once and in the
    /// registry by a task of its own (the faulting transaction is rolled back).
    fn faulted(&self, t: &Target, fault: &Fault) {
        // The fault's detail (a panic message, the guest's stderr) may quote the data it was
        // given: it goes to the client that caused it, not to the log.
        tracing::warn!(plugin = %fault.plugin, kind = fault.kind.code(), "plug-in fault");
        if !fault.kind.is_plugins_fault() {
            return;
        }
        let streak = self
            .streaks
            .lock()
            .map(|mut s| {
                let n = s.entry(t.active.plugin_id).or_default();
                *n += 1;
                *n
            })
            .unwrap_or(0);
        if streak < self.config.quarantine_after {
            return;
        }
        let reason = format!("{streak} consecutive faults, the last: {}", fault.kind.code());
        let newly = self
            .quarantined
            .lock()
            .map(|mut q| q.insert(t.active.plugin_id, reason.clone()).is_none())
            .unwrap_or(false);
        if !newly {
            return;
        }
        tracing::error!(plugin = %fault.plugin, "plug-in quarantined after {streak} consecutive faults");
        let store = self.store.clone();
        let now = self.clock.now();
        let plugin_id = t.active.plugin_id;
        tokio::spawn(async move {
            let r = async {
                let tx = store.begin().await?;
                repo::set_quarantine(&tx, plugin_id, Some((now, reason))).await?;
                repo::bump_generation(&tx).await?;
                tx.commit().await
            };
            if let Err(e) = r.await {
                tracing::error!("cannot record the quarantine: {e}");
            }
        });
    }

    /// Refuses (fail closed) or skips (fail open) a plug-in that cannot give an answer.
    fn on_failure(&self, t: &Target, err: AppError) -> AppResult<()> {
        match t.enablement.policy {
            FailurePolicy::FailClosed => Err(err),
            FailurePolicy::FailOpen => {
                let kind = match &err {
                    AppError::PluginFault(f) => f.kind.code(),
                    AppError::PluginQuarantined { .. } => "QUARANTINED",
                    _ => "ERROR",
                };
                tracing::warn!(plugin = t.active.plugin.label(), kind, "plug-in skipped (fail open)");
                Ok(())
            }
        }
    }

    /// Counts a hook call's result and applies the failure policy to an error or a fault.
    fn settle<T>(&self, t: &Target, r: Result<Result<T, PluginError>, Fault>) -> AppResult<Answer<T>> {
        match r {
            Ok(Ok(v)) => {
                self.succeeded(t);
                Ok(Answer::Given(v))
            }
            // The plug-in abstains: not its business (nothing stored, nothing refused).
            Ok(Err(PluginError::Unsupported(_))) => {
                self.succeeded(t);
                Ok(Answer::Refused)
            }
            Ok(Err(e)) => {
                self.succeeded(t);
                let plugin = t.active.plugin.label().to_string();
                self.on_failure(t, AppError::PluginRefused { plugin, message: e.to_string() })?;
                Ok(Answer::Refused)
            }
            Err(fault) => {
                self.faulted(t, &fault);
                self.on_failure(t, AppError::PluginFault(fault))?;
                Ok(Answer::Faulted)
            }
        }
    }

    /// Runs validate hooks; a veto or (fail closed) a fault refuses the change.
    pub async fn validate(&self, c: &impl Conn, targets: &[Target], change: &Change) -> AppResult<Vec<Outcome>> {
        let hook = change.hook();
        let mut out = Vec::new();
        for t in targets {
            let label = t.active.plugin.label().to_string();
            if let Some(reason) = self.quarantine_reason(t) {
                self.on_failure(t, AppError::PluginQuarantined { plugin: label, reason })?;
                continue;
            }
            let env = self.env(c, t).await?;
            if let Answer::Given(v) =
                self.settle(t, self.runtime.validate(&t.active.plugin, &env, &t.ctx, change).await)?
            {
                if !v.vetoes.is_empty() {
                    return Err(AppError::Vetoed { plugin: label, issues: v.vetoes });
                }
                // Warnings are stored with the record; a plain acceptance is only counted
                // (metrics): a row per plug-in per change would multiply the writes of
                // every mutation for no information.
                if !v.warnings.is_empty() {
                    out.push(t.outcome(hook, "warned", None, v.warnings));
                }
            }
        }
        Ok(out)
    }

    /// Runs the eligibility and co-payment decisions of the plug-ins targeted.
    pub async fn decide(&self, c: &impl Conn, targets: &[Target], subject: &Subject) -> AppResult<Vec<Outcome>> {
        let mut out = Vec::new();
        for t in targets {
            let label = t.active.plugin.label().to_string();
            if let Some(reason) = self.quarantine_reason(t) {
                self.on_failure(t, AppError::PluginQuarantined { plugin: label, reason })?;
                continue;
            }
            let env = self.env(c, t).await?;
            let plugin = &t.active.plugin;
            if plugin.implements(Hook::Eligibility) {
                match self.settle(t, self.runtime.eligibility(plugin, &env, &t.ctx, subject).await)? {
                    Answer::Given(d) => {
                        let outcome = if d.eligible { "eligible" } else { "not_eligible" };
                        out.push(t.outcome(Hook::Eligibility, outcome, d.amount, d.reasons));
                    }
                    Answer::Refused => {}
                    Answer::Faulted => continue,
                }
            }
            if plugin.implements(Hook::CoPayment)
                && let Answer::Given(d) =
                    self.settle(t, self.runtime.co_payment(plugin, &env, &t.ctx, subject).await)?
            {
                out.push(t.outcome(Hook::CoPayment, "co_payment", Some(d.monthly), d.reasons));
            }
        }
        Ok(out)
    }

    /// Stores outcomes with the record they are about (in the caller's transaction).
    pub async fn record(&self, c: &impl Conn, kind: &str, id: i64, outcomes: &[Outcome]) -> AppResult<()> {
        let now = self.clock.now();
        let rows: Vec<ResultRow> = outcomes
            .iter()
            .map(|o| ResultRow {
                record_kind: kind.into(),
                record_id: id,
                hook: o.hook.as_str().into(),
                plugin_key: o.plugin.clone(),
                plugin_version: o.version.clone(),
                outcome: o.outcome.into(),
                amount_cents: o.amount.map(|a| a.cents()),
                reasons: serde_json::to_string(&o.reasons).unwrap_or_else(|_| "[]".into()),
                created_at: now,
            })
            .collect();
        Ok(repo::insert_results(c, &rows).await?)
    }

    /// Stored results about a record (the caller has authorised the record).
    pub async fn results(&self, kind: &str, id: i64) -> AppResult<Vec<ResultRow>> {
        Ok(repo::results_of(&self.store, kind, &[id]).await?)
    }

    /// Ends an administration change: tells other processes, logs who did it, commits and
    /// reloads this process's set.
    async fn publish(&self, tx: Tx, actor: &Actor, action: &str, plugin_id: i64) -> AppResult<()> {
        repo::bump_generation(&tx).await?;
        audit::record(&tx, self.clock.as_ref(), actor, action, "plugin", plugin_id, None).await?;
        tx.commit().await?;
        self.reload().await
    }

    // ---- administration ------------------------------------------------------------------

    /// Installs a package: a new plug-in, or a newer version of an installed one (an upgrade,
    /// which takes over at once, without a restart). The signature is verified against the
    /// trusted publishers; the component is compiled into the cache before anything is
    /// written.
    pub async fn install(&self, actor: &Actor, package: &[u8]) -> AppResult<Installed> {
        check(actor, Action::ManagePlugins, actor.org_unit_id)?;
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
            Some(p) => p,
            None => repo::insert(&tx, &manifest.id, now).await?,
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
    /// schema) and granted capabilities (a subset of what it asked for).
    pub async fn enable(&self, actor: &Actor, cmd: Enable) -> AppResult<()> {
        check(actor, Action::ManagePlugins, cmd.org_unit_id)?;
        let snap = self.snapshot();
        let tx = self.store.begin().await?;
        let plugin = repo::by_key(&tx, &cmd.plugin, true).await?.ok_or(AppError::not_found("plug-in", "plugin"))?;
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
            },
        )
        .await?;
        if active.plugin.implements(Hook::Contribute) {
            // The plug-in's catalogue becomes the unit's (updated in place on re-enablement).
            let env = siso_plugins::CallEnv {
                limits: active.limits,
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
            let path = self.org_path(&tx, cmd.org_unit_id).await?;
            let inherited: BTreeSet<String> = catalogue_repo::all(&tx)
                .await?
                .into_iter()
                .filter(|e| e.serves(path.ancestors.iter().map(|a| a.id)))
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
        let p = repo::by_key(&tx, plugin, true).await?.ok_or(AppError::not_found("plug-in", "plugin"))?;
        if !repo::disable(&tx, p.id, org).await? {
            return Err(user("NOT_ENABLED", "orgUnitId", "the plug-in is not enabled for this unit"));
        }
        self.publish(tx, actor, "plugin.disable", p.id).await
    }

    /// Removes a plug-in everywhere (its stored results stay).
    pub async fn remove(&self, actor: &Actor, plugin: &str) -> AppResult<()> {
        check(actor, Action::ManagePlugins, actor.org_unit_id)?;
        let tx = self.store.begin().await?;
        let p = repo::by_key(&tx, plugin, true).await?.ok_or(AppError::not_found("plug-in", "plugin"))?;
        repo::delete(&tx, p.id).await?;
        self.publish(tx, actor, "plugin.remove", p.id).await
    }

    /// Puts a quarantined plug-in back in service.
    pub async fn release(&self, actor: &Actor, plugin: &str) -> AppResult<()> {
        check(actor, Action::ManagePlugins, actor.org_unit_id)?;
        let tx = self.store.begin().await?;
        let p = repo::by_key(&tx, plugin, true).await?.ok_or(AppError::not_found("plug-in", "plugin"))?;
        repo::set_quarantine(&tx, p.id, None).await?;
        if let Ok(mut s) = self.streaks.lock() {
            s.remove(&p.id);
        }
        self.publish(tx, actor, "plugin.release", p.id).await
    }

    /// Sets per-plug-in limits (`None` = the global default).
    pub async fn set_limits(
        &self,
        actor: &Actor,
        plugin: &str,
        timeout_ms: Option<i64>,
        fuel: Option<i64>,
        memory_mib: Option<i64>,
    ) -> AppResult<()> {
        check(actor, Action::ManagePlugins, actor.org_unit_id)?;
        if timeout_ms.is_some_and(|t| !(1..=60_000).contains(&t)) {
            return Err(user("INVALID_LIMIT", "timeoutMs", "the timeout must be 1–60000 ms"));
        }
        if fuel.is_some_and(|f| f < 1_000) {
            return Err(user("INVALID_LIMIT", "fuel", "fuel must be at least 1000"));
        }
        if memory_mib.is_some_and(|m| !(1..=256).contains(&m)) {
            return Err(user("INVALID_LIMIT", "memoryMib", "memory must be 1–256 MiB"));
        }
        let tx = self.store.begin().await?;
        let p = repo::by_key(&tx, plugin, true).await?.ok_or(AppError::not_found("plug-in", "plugin"))?;
        repo::set_limits(&tx, p.id, timeout_ms, fuel, memory_mib).await?;
        self.publish(tx, actor, "plugin.limits", p.id).await
    }

    /// The registry, for the admin query and the CLI.
    pub async fn list(&self, actor: &Actor) -> AppResult<Vec<PluginInfo>> {
        check(actor, Action::ManagePlugins, actor.org_unit_id)?;
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
                quarantine: quarantined.get(&p.id).cloned().or(p.quarantine_reason.clone()),
                loaded: active.is_some(),
                load_error: snap.broken.iter().find(|(k, _)| *k == p.key).map(|(_, e)| e.clone()),
                limits: active.map(|a| a.limits).unwrap_or(self.config.limits),
                stats: stats.get(&label).cloned().unwrap_or_default(),
                serving: active.map(|a| a.plugin.manifest().version.clone()),
                // What this process enforces, for the units the actor administers (another
                // administration's settings are its own business).
                enablements: match active {
                    Some(a) => a.enablements.clone(),
                    None => enablements.iter().filter(|e| e.plugin_id == p.id).map(Enablement::from_row).collect(),
                }
                .into_iter()
                .filter(|e| actor.access.allows(Action::ManagePlugins, e.org_unit_id))
                .collect(),
                manifest,
                current,
                versions,
                row: p,
            });
        }
        Ok(out)
    }
}

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
}

/// A plug-in as the admin sees it.
#[derive(Debug, Clone)]
pub struct PluginInfo {
    /// The registry row.
    pub row: siso_store::repo::plugins::PluginRow,
    /// Installed versions.
    pub versions: Vec<siso_store::repo::plugins::VersionRow>,
    /// The version in service.
    pub current: Option<siso_store::repo::plugins::VersionRow>,
    /// Its manifest.
    pub manifest: Option<Manifest>,
    /// Loaded in this process.
    pub loaded: bool,
    /// Why it could not be loaded.
    pub load_error: Option<String>,
    /// Quarantine reason.
    pub quarantine: Option<String>,
    /// Effective limits.
    pub limits: Limits,
    /// Counters in this process.
    pub stats: siso_plugins::PluginStats,
    /// The version this process serves (it follows the registry within the watch interval).
    pub serving: Option<String>,
    /// Where it is enabled (as this process enforces it, when loaded).
    pub enablements: Vec<Enablement>,
}
