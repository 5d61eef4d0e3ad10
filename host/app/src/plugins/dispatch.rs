//! The dispatch of hooks: which plug-ins run for a record (the enablement of the record's unit
//! or of a unit above it: the nearest, unless a unit above locked its own), each call within
//! its enablement's limits and concurrency, the failure policy, quarantine by fault rate per
//! enablement (shared between replicas through the database), health data only for plug-ins
//! granted it, and what is stored of the answers.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use siso_domain::ids::OrgUnitId;
use siso_domain::money::{MAX_CENTS, Money};
use siso_domain::org::OrgUnit;
use siso_plugins::model::{CallContext, Change, Issue, PluginError, Subject};
use siso_plugins::{Capability, Fault, FaultKind, Hook, Limits};
use siso_store::repo::plugins::{self as repo, ResultRow};
use siso_store::repo::{Conn, catalogue as catalogue_repo, org as org_repo};

use super::{Active, Enablement, FailurePolicy, OrgPath, Plugins, locked};
use crate::error::{AppError, AppResult};

/// How many recent calls of an enablement the fault rate looks at.
const WINDOW: usize = 20;
/// How far back the call counts shared between replicas are summed.
const SHARED_WINDOW: chrono::Duration = chrono::Duration::minutes(5);
/// How long a quarantine decided here waits for the registry to record it.
const PENDING_QUARANTINE: Duration = Duration::from_secs(10);

/// A plug-in to run for one record.
#[derive(Debug, Clone)]
pub struct Target {
    pub(super) active: Arc<Active>,
    pub(super) enablement: Enablement,
    ctx: CallContext,
    /// How far the enablement is from the record's unit (0: the unit itself).
    depth: usize,
    limits: Limits,
    gate: Arc<tokio::sync::Semaphore>,
}

impl Target {
    /// Whether two targets run the same plug-in.
    pub fn same_plugin(&self, other: &Target) -> bool {
        self.active.plugin_id == other.active.plugin_id
    }

    /// What an answer depends on: the plug-in's id and version, and the enablement's unit,
    /// settings and grants.
    pub(crate) fn identity(&self) -> (String, String, i64, String, Vec<String>) {
        let m = self.active.plugin.manifest();
        let caps = self.enablement.capabilities.iter().map(|c| c.as_str().to_string()).collect();
        (m.id.clone(), m.version.clone(), self.enablement.org_unit_id.0, self.enablement.settings.clone(), caps)
    }

    fn key(&self) -> (i64, OrgUnitId) {
        (self.active.plugin_id, self.enablement.org_unit_id)
    }

    fn outcome(&self, hook: Hook, outcome: &'static str, amount: Option<Money>, reasons: Vec<Issue>) -> Outcome {
        let m = self.active.plugin.manifest();
        Outcome { plugin: m.id.clone(), version: m.version.clone(), hook, outcome, amount, reasons, applied: true }
    }
}

/// What one plug-in said about a change (stored with the record).
#[derive(Debug, Clone, PartialEq, Eq)]
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
    pub amount: Option<Money>,
    /// Reasons or warnings.
    pub reasons: Vec<Issue>,
    /// Whether it is the answer applied (a decision several plug-ins gave: the nearest
    /// enablement's).
    pub applied: bool,
}

/// What became of one hook call, after the failure policy.
enum Answer<T> {
    /// The plug-in answered.
    Given(T),
    /// It abstained or could not decide (its own error), and its policy let the change go on.
    Abstained,
    /// It faulted, and its policy let the change go on.
    Faulted,
}

/// The recent record of each enablement in this process: the outcome of its last calls, the
/// counts not yet shared with the other replicas, and the quarantines decided here.
#[derive(Debug, Default)]
pub(super) struct Health {
    windows: HashMap<(i64, OrgUnitId), VecDeque<bool>>,
    pending: HashMap<(i64, OrgUnitId), (i64, i64)>,
    pub(super) quarantined: HashMap<(i64, OrgUnitId), (String, Instant)>,
}

impl Health {
    /// Counts a call; returns why to quarantine the enablement when its fault rate calls for
    /// it (at least `after` faults among its recent calls, and at least half of them).
    fn record(&mut self, key: (i64, OrgUnitId), fault: Option<FaultKind>, after: u32) -> Option<String> {
        let counted = fault.is_some_and(FaultKind::is_plugins_fault);
        let p = self.pending.entry(key).or_default();
        p.0 += 1;
        p.1 += i64::from(counted);
        let w = self.windows.entry(key).or_default();
        w.push_back(counted);
        if w.len() > WINDOW {
            w.pop_front();
        }
        let faults = w.iter().filter(|f| **f).count();
        if !counted || faults < after as usize || faults * 2 < w.len() || self.quarantined.contains_key(&key) {
            return None;
        }
        let kind = fault.map(FaultKind::code).unwrap_or_default();
        Some(format!("{faults} faults in its last {} calls, the last: {kind}", w.len()))
    }

    /// A new version starts with a clean record.
    pub(super) fn forget_plugin(&mut self, plugin_id: i64) {
        self.windows.retain(|k, _| k.0 != plugin_id);
        self.quarantined.retain(|k, _| k.0 != plugin_id);
    }

    /// A released enablement starts with a clean record.
    pub(super) fn release(&mut self, key: (i64, OrgUnitId)) {
        self.windows.remove(&key);
        self.pending.remove(&key);
        self.quarantined.remove(&key);
    }

    /// After a reload: quarantines the registry records need no local copy; those it does not
    /// record after a while were released meanwhile (or their write failed: the fault rate
    /// will decide again).
    pub(super) fn settle_quarantines(&mut self, recorded: &BTreeSet<(i64, OrgUnitId)>) {
        self.quarantined.retain(|k, (_, at)| !recorded.contains(k) && at.elapsed() < PENDING_QUARANTINE);
    }
}

impl Plugins {
    async fn org_path(&self, c: &impl Conn, org: OrgUnitId) -> AppResult<Arc<OrgPath>> {
        if let Some(p) = locked(&self.orgs).get(&org).cloned() {
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
        locked(&self.orgs).insert(org, path.clone());
        Ok(path)
    }

    /// The units of the path from `org` up to its root, nearest first.
    pub(super) async fn path_of(&self, c: &impl Conn, org: OrgUnitId) -> AppResult<Vec<OrgUnitId>> {
        let path = self.org_path(c, org).await?;
        Ok(std::iter::once(path.unit.id).chain(path.ancestors.iter().map(|a| a.id)).collect())
    }

    /// The enablement that applies on a path (nearest first): a locked one wins over those
    /// below it (the topmost locked one, when several are), else the nearest. With its depth.
    pub(super) fn applicable<'e>(path: &[OrgUnitId], enablements: &'e [Enablement]) -> Option<(usize, &'e Enablement)> {
        let found: Vec<(usize, &Enablement)> = path
            .iter()
            .enumerate()
            .filter_map(|(depth, u)| enablements.iter().find(|e| e.org_unit_id == *u).map(|e| (depth, e)))
            .collect();
        found.iter().rev().find(|(_, e)| e.locked).or_else(|| found.first()).copied()
    }

    fn gate(&self, key: (i64, OrgUnitId), permits: usize) -> Arc<tokio::sync::Semaphore> {
        let mut gates = locked(&self.gates);
        match gates.get(&key) {
            Some((n, g)) if *n == permits => g.clone(),
            _ => {
                let g = Arc::new(tokio::sync::Semaphore::new(permits));
                gates.insert(key, (permits, g.clone()));
                g
            }
        }
    }

    /// The plug-ins to run for a record owned by `org`: those implementing `hook` enabled for
    /// `org` or a unit above it. No database access when no plug-in implements the hook.
    pub async fn targets(&self, c: &impl Conn, org: OrgUnitId, hook: Hook) -> AppResult<Vec<Target>> {
        let snap = self.snapshot();
        let unavailable = snap.unavailable.iter().any(|u| u.hooks.is_empty() || u.hooks.contains(&hook));
        if !unavailable && !snap.active.iter().any(|a| a.plugin.implements(hook) && !a.enablements.is_empty()) {
            return Ok(Vec::new());
        }
        let path = self.org_path(c, org).await?;
        let units: Vec<OrgUnitId> = std::iter::once(path.unit.id).chain(path.ancestors.iter().map(|a| a.id)).collect();
        for u in snap.unavailable.iter().filter(|u| u.hooks.is_empty() || u.hooks.contains(&hook)) {
            if let Some((_, e)) = Self::applicable(&units, &u.enablements)
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
            if let Some((depth, e)) = Self::applicable(&units, &a.enablements) {
                out.push(Target {
                    active: a.clone(),
                    enablement: e.clone(),
                    ctx: CallContext {
                        organisation: path.unit.clone(),
                        ancestors: path.ancestors.clone(),
                        today,
                        settings: e.settings.clone(),
                    },
                    depth,
                    limits: e.effective_limits(a.limits),
                    gate: self.gate((a.plugin_id, e.org_unit_id), e.concurrency()),
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
            limits: t.limits,
            capabilities: t.enablement.capabilities.clone(),
            catalogue: Arc::new(catalogue),
        })
    }

    /// Runs one call under the enablement's concurrency limit: a call waits for a free place
    /// at most its own deadline, then fails as unavailable (the plug-in's own load, which
    /// never slows another enablement).
    async fn gated<T>(
        &self,
        t: &Target,
        call: impl std::future::Future<Output = Result<T, Fault>>,
    ) -> Result<T, Fault> {
        let busy = || Fault {
            plugin: t.active.plugin.label().to_string(),
            kind: FaultKind::Unavailable,
            detail: "too many calls of this plug-in at once".into(),
        };
        let Ok(Ok(_permit)) = tokio::time::timeout(t.limits.timeout, t.gate.clone().acquire_owned()).await else {
            return Err(busy());
        };
        call.await
    }

    fn quarantine_reason(&self, t: &Target) -> Option<String> {
        locked(&self.health)
            .quarantined
            .get(&t.key())
            .map(|(why, _)| why.clone())
            .or_else(|| t.enablement.quarantine.clone())
    }

    /// Counts a call of an enablement; when its fault rate calls for it, quarantines it here at
    /// once and in the registry by a task of its own (the faulting transaction rolls back).
    fn count(&self, t: &Target, fault: Option<&Fault>) {
        if let Some(f) = fault {
            // The fault's detail (a panic message, the guest's stderr) may quote the data it was
            // given: it goes to the client that caused it, not to the log.
            tracing::warn!(plugin = %f.plugin, org_unit = t.enablement.org_unit_id.0, kind = f.kind.code(), "plug-in fault");
        }
        let reason = {
            let mut h = locked(&self.health);
            let reason = h.record(t.key(), fault.map(|f| f.kind), self.config.quarantine_after);
            if let Some(why) = &reason {
                h.quarantined.insert(t.key(), (why.clone(), Instant::now()));
            }
            reason
        };
        if let Some(why) = reason {
            tracing::error!(
                plugin = t.active.plugin.label(),
                org_unit = t.enablement.org_unit_id.0,
                "plug-in quarantined: {why}"
            );
            self.record_quarantine(t.key(), why);
        }
    }

    fn record_quarantine(&self, (plugin_id, org): (i64, OrgUnitId), reason: String) {
        let store = self.store.clone();
        let now = self.clock.now();
        tokio::spawn(async move {
            let r = async {
                let tx = store.begin().await?;
                if repo::set_quarantine(&tx, plugin_id, org, Some((now, reason))).await? {
                    repo::bump_generation(&tx).await?;
                }
                tx.commit().await
            };
            if let Err(e) = r.await {
                tracing::error!("cannot record the quarantine: {e}");
            }
        });
    }

    /// Shares this process's call counts with the other replicas and quarantines the
    /// enablements whose faults across every replica are too many (the watcher calls it).
    pub(super) async fn share_health(&self) -> AppResult<()> {
        let pending: Vec<((i64, OrgUnitId), (i64, i64))> = locked(&self.health).pending.drain().collect();
        if pending.is_empty() {
            return Ok(());
        }
        let now = self.clock.now();
        let minute = chrono::DateTime::from_timestamp(now.timestamp() / 60 * 60, 0).unwrap_or(now);
        let snap = self.snapshot();
        let quarantined = self.quarantined();
        for ((plugin_id, org), (calls, faults)) in pending {
            // A removed plug-in's counts have nowhere to go.
            if !snap.active.iter().any(|a| a.plugin_id == plugin_id) {
                continue;
            }
            repo::add_call_stats(&self.store, plugin_id, org, minute, calls, faults).await?;
            if faults == 0 || quarantined.contains_key(&(plugin_id, org)) {
                continue;
            }
            let (all_calls, all_faults) =
                repo::call_stats_since(&self.store, plugin_id, org, now - SHARED_WINDOW).await?;
            if all_faults >= i64::from(self.config.quarantine_after) && all_faults * 2 >= all_calls {
                let why = format!("{all_faults} faults in {all_calls} calls across the servers in the last minutes");
                tracing::error!(plugin_id, org_unit = org.0, "plug-in quarantined: {why}");
                locked(&self.health).quarantined.insert((plugin_id, org), (why.clone(), Instant::now()));
                self.record_quarantine((plugin_id, org), why);
            }
        }
        Ok(())
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
                self.count(t, None);
                Ok(Answer::Given(v))
            }
            // The plug-in abstains: not its business (nothing stored, nothing refused).
            Ok(Err(PluginError::Unsupported(_))) => {
                self.count(t, None);
                Ok(Answer::Abstained)
            }
            Ok(Err(e)) => {
                self.count(t, None);
                let plugin = t.active.plugin.label().to_string();
                self.on_failure(t, AppError::PluginRefused { plugin, message: e.to_string() })?;
                Ok(Answer::Abstained)
            }
            Err(fault) => {
                self.count(t, Some(&fault));
                self.on_failure(t, AppError::PluginFault(fault))?;
                Ok(Answer::Faulted)
            }
        }
    }

    /// A quarantined enablement: its policy decides; `true` when the plug-in must be skipped.
    fn skip_quarantined(&self, t: &Target) -> AppResult<bool> {
        match self.quarantine_reason(t) {
            Some(reason) => {
                let plugin = t.active.plugin.label().to_string();
                self.on_failure(t, AppError::PluginQuarantined { plugin, reason })?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Runs validate hooks; a veto or (fail closed) a fault refuses the change.
    pub async fn validate(&self, c: &impl Conn, targets: &[Target], change: &Change) -> AppResult<Vec<Outcome>> {
        let hook = change.hook();
        let mut out = Vec::new();
        for t in targets {
            if self.skip_quarantined(t)? {
                continue;
            }
            let env = self.env(c, t).await?;
            let change = change.for_capabilities(&t.enablement.capabilities);
            let r = self.gated(t, self.runtime.validate(&t.active.plugin, &env, &t.ctx, &change)).await;
            if let Answer::Given(v) = self.settle(t, r)? {
                if !v.vetoes.is_empty() {
                    return Err(AppError::Vetoed { plugin: t.active.plugin.label().to_string(), issues: v.vetoes });
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

    /// Runs the eligibility and co-payment decisions of the plug-ins targeted. Every answer is
    /// returned; for each decision the nearest enablement's answer is the one applied (two at
    /// the same distance refuse the change: money never depends on load order). An amount
    /// beyond the money bound, an eligible amount above the request or a co-payment above the
    /// monthly amount is an invalid answer (a fault of the plug-in).
    pub async fn decide(&self, c: &impl Conn, targets: &[Target], subject: &Subject) -> AppResult<Vec<Outcome>> {
        let mut out: Vec<(usize, Outcome)> = Vec::new();
        for t in targets {
            if self.skip_quarantined(t)? {
                continue;
            }
            let env = self.env(c, t).await?;
            let subject = subject.for_capabilities(&t.enablement.capabilities);
            let plugin = &t.active.plugin;
            if plugin.implements(Hook::Eligibility) {
                let r = self.gated(t, self.runtime.eligibility(plugin, &env, &t.ctx, &subject)).await;
                let r = checked(r, |d| self.check_eligibility(t, &subject, d));
                match self.settle(t, r)? {
                    Answer::Given(d) => {
                        let outcome = if d.eligible { "eligible" } else { "not_eligible" };
                        out.push((t.depth, t.outcome(Hook::Eligibility, outcome, d.amount, d.reasons)));
                    }
                    Answer::Abstained => {}
                    Answer::Faulted => continue,
                }
            }
            if plugin.implements(Hook::CoPayment) {
                let r = self.gated(t, self.runtime.co_payment(plugin, &env, &t.ctx, &subject)).await;
                let r = checked(r, |d| self.check_co_payment(t, &subject, d));
                if let Answer::Given(d) = self.settle(t, r)? {
                    out.push((t.depth, t.outcome(Hook::CoPayment, "co_payment", Some(d.monthly), d.reasons)));
                }
            }
        }
        for hook in [Hook::Eligibility, Hook::CoPayment] {
            let Some(nearest) = out.iter().filter(|(_, o)| o.hook == hook).map(|(d, _)| *d).min() else { continue };
            let applied: Vec<&str> =
                out.iter().filter(|(d, o)| o.hook == hook && *d == nearest).map(|(_, o)| o.plugin.as_str()).collect();
            if applied.len() > 1 {
                return Err(AppError::User(siso_domain::DomainError::new(
                    "PLUGIN_CONFLICT",
                    format!(
                        "plug-ins {} both decide {hook} for this unit: its plug-in administrator must disable one",
                        applied.join(" and ")
                    ),
                )));
            }
            for (d, o) in out.iter_mut().filter(|(_, o)| o.hook == hook) {
                o.applied = *d == nearest;
            }
        }
        Ok(out.into_iter().map(|(_, o)| o).collect())
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
                applied: o.applied,
            })
            .collect();
        Ok(repo::insert_results(c, &rows).await?)
    }
}

/// An answer put through a check of the host's (a refused answer is the plug-in's fault).
fn checked<T>(
    r: Result<Result<T, PluginError>, Fault>,
    check: impl FnOnce(T) -> Result<T, Fault>,
) -> Result<Result<T, PluginError>, Fault> {
    match r {
        Ok(Ok(v)) => check(v).map(Ok),
        other => other,
    }
}

fn within_bound(m: Money) -> bool {
    (0..=MAX_CENTS).contains(&m.cents())
}

impl Plugins {
    /// An eligible amount is within the money bound and never above what was requested.
    fn check_eligibility(
        &self,
        t: &Target,
        s: &Subject,
        d: siso_plugins::model::Eligibility,
    ) -> Result<siso_plugins::model::Eligibility, Fault> {
        if let Some(a) = d.amount {
            let requested = s.intervention.requested_amount;
            let monthly = s.intervention.monthly_amount.unwrap_or(requested);
            if !within_bound(a) || a > requested.max(monthly) {
                let detail = format!("an eligible amount of {a} is above the request");
                return Err(self.runtime.invalid_output(&t.active.plugin, detail));
            }
        }
        Ok(d)
    }

    /// A co-payment is within the money bound and never above the monthly amount.
    fn check_co_payment(
        &self,
        t: &Target,
        s: &Subject,
        d: siso_plugins::model::CoPayment,
    ) -> Result<siso_plugins::model::CoPayment, Fault> {
        let cap = s.intervention.monthly_amount.unwrap_or(s.intervention.requested_amount);
        if !within_bound(d.monthly) || d.monthly > cap {
            let detail = format!("a monthly co-payment of {} is above the monthly amount", d.monthly);
            return Err(self.runtime.invalid_output(&t.active.plugin, detail));
        }
        Ok(d)
    }
}
