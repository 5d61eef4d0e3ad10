//! Authorization: the one place that decides whether an actor may act on a record.
//!
//! The policy is casbin RBAC with domains. `p` lines give a role a permission
//! (`p, operator, case, write`); `g` lines give a subject a role in an organisation unit
//! (`g, op:42, operator, 17`). Both live in our own table (`authz_rules`), read by the small
//! [`StoreAdapter`]. Rights flow down the hierarchy: a role held in a unit applies to the
//! records of that unit and of every unit below it.
//!
//! Casbin decides once per subject and policy generation: [`Authorizer::access`] asks casbin's
//! role manager for the subject's roles in each unit it holds one in, maps them to [`Action`]s
//! through the generation's index of permission lines (the same answer as `enforce`, checked by
//! a test), and keeps the answer as an [`Access`] on the request's [`Actor`]. The check of a record
//! ([`check`], [`Access::allows`]) is then a walk up the record's unit's ancestors, a few hash
//! lookups, with no lock and no database statement. Every change of policies, grants or units
//! bumps a generation counter in the database; each process polls it
//! ([`Authorizer::spawn_watcher`]) and reloads, and the process that made the change reloads
//! at once.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use casbin::{Adapter, CoreApi, DefaultModel, Enforcer, Filter, MgmtApi, Model};
use siso_domain::ids::{OrgUnitId, ProviderId};
use siso_store::Store;
use siso_store::repo::authz::{self as repo, Rule};

use crate::actor::Actor;
use crate::error::{AppError, AppResult};

/// What the actor wants to do. Each action is one casbin permission (object, action).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read a person's registry data.
    ReadPerson,
    /// Read cases and their work (needs, plans, diary).
    ReadCase,
    /// Read access sheets.
    ReadSheet,
    /// Read interventions and their payments.
    ReadIntervention,
    /// Read interventions assigned to one's own organisation as provider.
    ReadAssignedIntervention,
    /// Read the sensitive parts (health answers of assessments, court measures, documents).
    ReadSensitive,
    /// Read funding lines and budgets.
    ReadBudget,
    /// Read aggregated, pseudonymised figures only.
    ReadAggregates,
    /// Read the access log.
    ReadAudit,
    /// Create or change case work (persons, sheets, cases, needs, assessments, plans, requests).
    Write,
    /// Change a case's responsible operator.
    AssignCase,
    /// Move a case from one unit to another (needed on both sides).
    TransferCase,
    /// Authorise or reject an intervention.
    AuthorisePayment,
    /// Record a payment.
    RecordPayment,
    /// Record the monthly presences of a placement (as the provider it is assigned to).
    RecordPresence,
    /// Manage budgets.
    ManageBudget,
    /// Install, enable, disable, upgrade and remove plug-ins.
    ManagePlugins,
    /// Manage organisation units, role grants and API keys.
    ManageOrg,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 18] = [
        Action::ReadPerson,
        Action::ReadCase,
        Action::ReadSheet,
        Action::ReadIntervention,
        Action::ReadAssignedIntervention,
        Action::ReadSensitive,
        Action::ReadBudget,
        Action::ReadAggregates,
        Action::ReadAudit,
        Action::Write,
        Action::AssignCase,
        Action::TransferCase,
        Action::AuthorisePayment,
        Action::RecordPayment,
        Action::RecordPresence,
        Action::ManageBudget,
        Action::ManagePlugins,
        Action::ManageOrg,
    ];

    /// `object/action`, for logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Action::ReadPerson => "person/read",
            Action::ReadCase => "case/read",
            Action::ReadSheet => "sheet/read",
            Action::ReadIntervention => "intervention/read",
            Action::ReadAssignedIntervention => "intervention/read_assigned",
            Action::ReadSensitive => "sensitive/read",
            Action::ReadBudget => "budget/read",
            Action::ReadAggregates => "aggregate/read",
            Action::ReadAudit => "audit/read",
            Action::Write => "case/write",
            Action::AssignCase => "case/assign",
            Action::TransferCase => "case/transfer",
            Action::AuthorisePayment => "intervention/authorise",
            Action::RecordPayment => "payment/record",
            Action::RecordPresence => "presence/record",
            Action::ManageBudget => "budget/manage",
            Action::ManagePlugins => "plugin/manage",
            Action::ManageOrg => "org/manage",
        }
    }

    /// The casbin object and action.
    pub fn permission(self) -> (&'static str, &'static str) {
        match self {
            Action::ReadPerson => ("person", "read"),
            Action::ReadCase => ("case", "read"),
            Action::ReadSheet => ("sheet", "read"),
            Action::ReadIntervention => ("intervention", "read"),
            Action::ReadAssignedIntervention => ("intervention", "read_assigned"),
            Action::ReadSensitive => ("sensitive", "read"),
            Action::ReadBudget => ("budget", "read"),
            Action::ReadAggregates => ("aggregate", "read"),
            Action::ReadAudit => ("audit", "read"),
            Action::Write => ("case", "write"),
            Action::AssignCase => ("case", "assign"),
            Action::TransferCase => ("case", "transfer"),
            Action::AuthorisePayment => ("intervention", "authorise"),
            Action::RecordPayment => ("payment", "record"),
            Action::RecordPresence => ("presence", "record"),
            Action::ManageBudget => ("budget", "manage"),
            Action::ManagePlugins => ("plugin", "manage"),
            Action::ManageOrg => ("org", "manage"),
        }
    }
}

/// The roles of domain.md, as granted to operators and API keys.
pub const ROLES: [&str; 10] = [
    "operator",
    "office_head",
    "administrative",
    "paymaster",
    "ambito_coordinator",
    "provider",
    "region_analyst",
    "auditor",
    "plugin_admin",
    "org_admin",
];

/// The casbin model: requests carry the unit as domain; a role's permissions hold in every
/// unit where the subject holds the role.
const MODEL: &str = r#"
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub, r.dom) && r.obj == p.obj && r.act == p.act
"#;

/// May `actor` do `action` on a record owned by `owner`? A denial is logged (actor label,
/// action and unit: no personal data) and typed as [`AppError::Forbidden`].
pub fn check(actor: &Actor, action: Action, owner: OrgUnitId) -> AppResult<()> {
    if actor.access.allows(action, owner) {
        Ok(())
    } else {
        tracing::warn!(actor = %actor.label, ?action, org_unit = owner.0, "denied");
        if let Some(log) = &actor.reads {
            log.forbidden(action.name());
        }
        Err(AppError::Forbidden)
    }
}

/// Whether `actor` may read a record of `kind` owned by `owner` with `action`; a record it may
/// not read is counted as hidden (it will answer as missing).
pub fn sees(actor: &Actor, action: Action, owner: OrgUnitId, kind: &'static str) -> bool {
    let ok = actor.access.allows(action, owner);
    if !ok {
        hidden(actor, kind);
    }
    ok
}

/// Counts a record of `kind` hidden from the actor's request.
pub fn hidden(actor: &Actor, kind: &'static str) {
    if let Some(log) = &actor.reads {
        log.hidden(kind);
    }
}

/// The organisation hierarchy, by id.
#[derive(Debug, Default)]
pub struct OrgTree {
    parent: HashMap<OrgUnitId, Option<OrgUnitId>>,
    children: HashMap<OrgUnitId, Vec<OrgUnitId>>,
}

impl OrgTree {
    /// Builds the tree from `(unit, parent)` pairs.
    pub fn new(units: impl IntoIterator<Item = (OrgUnitId, Option<OrgUnitId>)>) -> Self {
        let mut t = OrgTree::default();
        for (id, parent) in units {
            t.parent.insert(id, parent);
            if let Some(p) = parent {
                t.children.entry(p).or_default().push(id);
            }
        }
        t
    }

    /// Whether the unit exists.
    pub fn contains(&self, unit: OrgUnitId) -> bool {
        self.parent.contains_key(&unit)
    }

    /// The unit and its ancestors, nearest first (empty for an unknown unit).
    pub fn ancestors(&self, unit: OrgUnitId) -> impl Iterator<Item = OrgUnitId> + '_ {
        let mut next = self.contains(unit).then_some(unit);
        let mut steps = 0;
        std::iter::from_fn(move || {
            let current = next?;
            steps += 1;
            // A cycle cannot be written through the API; the bound makes a corrupt row harmless.
            next = if steps > 64 { None } else { self.parent.get(&current).copied().flatten() };
            Some(current)
        })
    }

    /// The unit and every unit below it.
    pub fn subtree(&self, root: OrgUnitId) -> Vec<OrgUnitId> {
        if !self.contains(root) {
            return Vec::new();
        }
        let mut out = vec![root];
        let mut seen: HashSet<OrgUnitId> = HashSet::from([root]);
        let mut i = 0;
        while i < out.len() {
            for &c in self.children.get(&out[i]).map(Vec::as_slice).unwrap_or_default() {
                if seen.insert(c) {
                    out.push(c);
                }
            }
            i += 1;
        }
        out
    }

    /// Every unit.
    pub fn all(&self) -> Vec<OrgUnitId> {
        let mut v: Vec<OrgUnitId> = self.parent.keys().copied().collect();
        v.sort();
        v
    }
}

/// What one subject may do where: the units in which each action is granted (rights flow
/// down from them).
#[derive(Debug, Default)]
pub struct Access {
    everything: bool,
    grants: HashMap<Action, HashSet<OrgUnitId>>,
    tree: Arc<OrgTree>,
    providers: Arc<HashMap<ProviderId, OrgUnitId>>,
}

impl Access {
    /// The system itself: every action everywhere.
    pub fn everything() -> Self {
        Self { everything: true, ..Default::default() }
    }

    /// Whether `action` is granted on records of `owner`.
    pub fn allows(&self, action: Action, owner: OrgUnitId) -> bool {
        if self.everything {
            return true;
        }
        let Some(units) = self.grants.get(&action) else { return false };
        self.tree.ancestors(owner).any(|u| units.contains(&u))
    }

    /// Whether `action` is granted on `owner`, or in a unit below it (for records such as
    /// budgets that the units under their owner also read).
    pub fn allows_up_or_down(&self, action: Action, owner: OrgUnitId) -> bool {
        if self.allows(action, owner) {
            return true;
        }
        let Some(units) = self.grants.get(&action) else { return false };
        units.iter().any(|&g| self.tree.ancestors(g).any(|a| a == owner))
    }

    /// [`Access::scope`] plus the ancestors of the units where `action` is granted.
    pub fn scope_up_and_down(&self, action: Action) -> Option<Vec<OrgUnitId>> {
        let mut out = self.scope(action)?;
        let mut seen: HashSet<OrgUnitId> = out.iter().copied().collect();
        for g in self.granted_in(action) {
            for a in self.tree.ancestors(g) {
                if seen.insert(a) {
                    out.push(a);
                }
            }
        }
        Some(out)
    }

    /// Whether an intervention assigned to `provider` is readable as the provider's staff (the
    /// provider's own unit must be within a grant of `intervention/read_assigned`).
    pub fn reads_assigned(&self, provider: Option<ProviderId>) -> bool {
        self.for_provider(Action::ReadAssignedIntervention, provider)
    }

    /// Whether the actor may do `action` as the staff of `provider` (granted in the
    /// provider's own unit).
    pub fn for_provider(&self, action: Action, provider: Option<ProviderId>) -> bool {
        let Some(unit) = provider.and_then(|p| self.providers.get(&p)) else { return false };
        self.allows(action, *unit)
    }

    /// The providers whose assigned interventions the actor reads as their staff.
    pub fn assigned_providers(&self) -> Vec<ProviderId> {
        if self.everything || !self.allows_somewhere(Action::ReadAssignedIntervention) {
            return Vec::new();
        }
        let mut v: Vec<ProviderId> = self
            .providers
            .iter()
            .filter(|(_, u)| self.allows(Action::ReadAssignedIntervention, **u))
            .map(|(p, _)| *p)
            .collect();
        v.sort();
        v
    }

    /// Whether `action` is granted anywhere.
    pub fn allows_somewhere(&self, action: Action) -> bool {
        self.everything || self.grants.get(&action).is_some_and(|u| !u.is_empty())
    }

    /// The units whose records `action` may touch: `None` for everywhere (the system), else
    /// the subtrees of the units where it is granted (possibly empty).
    pub fn scope(&self, action: Action) -> Option<Vec<OrgUnitId>> {
        if self.everything {
            return None;
        }
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut roots: Vec<OrgUnitId> = self.grants.get(&action).into_iter().flatten().copied().collect();
        roots.sort();
        for root in roots {
            for u in self.tree.subtree(root) {
                if seen.insert(u) {
                    out.push(u);
                }
            }
        }
        Some(out)
    }

    /// The units where `action` is granted, without those below another of them: the roots of
    /// [`Access::scope`]. `None` for everywhere (the system).
    pub fn scope_roots(&self, action: Action) -> Option<Vec<OrgUnitId>> {
        if self.everything {
            return None;
        }
        let granted = self.grants.get(&action);
        let mut roots: Vec<OrgUnitId> = granted
            .into_iter()
            .flatten()
            .copied()
            .filter(|&g| !self.tree.ancestors(g).skip(1).any(|a| granted.is_some_and(|s| s.contains(&a))))
            .collect();
        roots.sort();
        Some(roots)
    }

    /// What both `self` and `other` allow: an action on a record only where each of them
    /// grants it (an API key cut to its creator's access).
    pub fn intersect(&self, other: &Access) -> Access {
        if self.everything {
            return other.clone_rights();
        }
        if other.everything {
            return self.clone_rights();
        }
        let mut grants: HashMap<Action, HashSet<OrgUnitId>> = HashMap::new();
        for (action, mine) in &self.grants {
            let Some(theirs) = other.grants.get(action) else { continue };
            // Rights flow down: the units both reach are below a unit of one set that has an
            // ancestor (or itself) in the other set.
            let kept: HashSet<OrgUnitId> = mine
                .iter()
                .filter(|u| self.tree.ancestors(**u).any(|a| theirs.contains(&a)))
                .chain(theirs.iter().filter(|u| self.tree.ancestors(**u).any(|a| mine.contains(&a))))
                .copied()
                .collect();
            if !kept.is_empty() {
                grants.insert(*action, kept);
            }
        }
        Access { everything: false, grants, tree: self.tree.clone(), providers: self.providers.clone() }
    }

    fn clone_rights(&self) -> Access {
        Access {
            everything: self.everything,
            grants: self.grants.clone(),
            tree: self.tree.clone(),
            providers: self.providers.clone(),
        }
    }

    /// The units where `action` is granted (not those below them).
    pub fn granted_in(&self, action: Action) -> Vec<OrgUnitId> {
        let mut v: Vec<OrgUnitId> = self.grants.get(&action).into_iter().flatten().copied().collect();
        v.sort();
        v
    }
}

/// The small casbin adapter over our `authz_rules` table.
pub struct StoreAdapter {
    store: Store,
}

impl StoreAdapter {
    /// An adapter over the store.
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

fn casbin_err(e: impl std::fmt::Display) -> casbin::Error {
    casbin::Error::AdapterError(casbin::error::AdapterError(Box::new(std::io::Error::other(e.to_string()))))
}

fn rule(ptype: &str, values: Vec<String>) -> casbin::Result<Rule> {
    let [a, b, c]: [String; 3] = values.try_into().map_err(|_| casbin_err("a policy line has three values"))?;
    Ok(Rule { ptype: ptype.into(), values: [a, b, c] })
}

#[async_trait]
impl Adapter for StoreAdapter {
    async fn load_policy(&mut self, m: &mut dyn Model) -> casbin::Result<()> {
        for r in repo::all(&self.store).await.map_err(casbin_err)? {
            let sec = if r.ptype.starts_with('g') { "g" } else { "p" };
            m.add_policy(sec, &r.ptype, r.values.to_vec());
        }
        Ok(())
    }

    async fn load_filtered_policy<'a>(&mut self, m: &mut dyn Model, _f: Filter<'a>) -> casbin::Result<()> {
        self.load_policy(m).await
    }

    async fn save_policy(&mut self, _m: &mut dyn Model) -> casbin::Result<()> {
        Err(casbin_err("policies are saved line by line through the administration use cases"))
    }

    async fn clear_policy(&mut self) -> casbin::Result<()> {
        Err(casbin_err("policies are removed line by line through the administration use cases"))
    }

    fn is_filtered(&self) -> bool {
        false
    }

    async fn add_policy(&mut self, _sec: &str, ptype: &str, r: Vec<String>) -> casbin::Result<bool> {
        repo::add(&self.store, &rule(ptype, r)?).await.map_err(casbin_err)
    }

    async fn add_policies(&mut self, sec: &str, ptype: &str, rules: Vec<Vec<String>>) -> casbin::Result<bool> {
        let mut any = false;
        for r in rules {
            any |= self.add_policy(sec, ptype, r).await?;
        }
        Ok(any)
    }

    async fn remove_policy(&mut self, _sec: &str, ptype: &str, r: Vec<String>) -> casbin::Result<bool> {
        repo::remove(&self.store, &rule(ptype, r)?).await.map_err(casbin_err)
    }

    async fn remove_policies(&mut self, sec: &str, ptype: &str, rules: Vec<Vec<String>>) -> casbin::Result<bool> {
        let mut any = false;
        for r in rules {
            any |= self.remove_policy(sec, ptype, r).await?;
        }
        Ok(any)
    }

    async fn remove_filtered_policy(
        &mut self,
        _sec: &str,
        ptype: &str,
        field_index: usize,
        field_values: Vec<String>,
    ) -> casbin::Result<bool> {
        match field_values.as_slice() {
            [value] if field_index < 3 => {
                Ok(repo::remove_where(&self.store, ptype, field_index, value).await.map_err(casbin_err)? > 0)
            }
            _ => Err(casbin_err("only one field can filter a removal")),
        }
    }
}

/// What one generation's policy lines say, indexed once: the units each subject holds roles
/// in, and the actions each role's permissions are. Deciding a subject's access then asks
/// casbin's role manager (RBAC with domains) for the subject's roles in each of its units, which
/// costs hash lookups, instead of evaluating the matcher over every permission line for every
/// unit and action (≈ 12 ms per subject with 100,000 lines). `tests::index_agrees_with_enforce`
/// checks both give the same answer.
struct Index {
    domains_of: HashMap<String, Vec<String>>,
    role_actions: HashMap<String, Vec<Action>>,
}

impl Index {
    fn new(enforcer: &Enforcer) -> Self {
        let mut domains_of: HashMap<String, Vec<String>> = HashMap::new();
        for line in enforcer.get_grouping_policy() {
            if let [subject, _, domain] = line.as_slice() {
                let d = domains_of.entry(subject.clone()).or_default();
                if !d.contains(domain) {
                    d.push(domain.clone());
                }
            }
        }
        let mut role_actions: HashMap<String, Vec<Action>> = HashMap::new();
        for line in enforcer.get_policy() {
            if let [role, obj, act] = line.as_slice()
                && let Some(a) = Action::ALL.iter().find(|a| a.permission() == (obj.as_str(), act.as_str()))
            {
                role_actions.entry(role.clone()).or_default().push(*a);
            }
        }
        Self { domains_of, role_actions }
    }

    /// The units in which each action is granted to `subject`.
    fn grants(&self, enforcer: &Enforcer, subject: &str) -> HashMap<Action, HashSet<OrgUnitId>> {
        let mut grants: HashMap<Action, HashSet<OrgUnitId>> = HashMap::new();
        let Some(domains) = self.domains_of.get(subject) else { return grants };
        let rm = enforcer.get_role_manager();
        let rm = rm.read();
        for domain in domains {
            let Ok(unit) = domain.parse::<i64>() else { continue };
            for role in rm.get_roles(subject, Some(domain)) {
                for a in self.role_actions.get(&role).into_iter().flatten() {
                    grants.entry(*a).or_default().insert(OrgUnitId(unit));
                }
            }
        }
        grants
    }
}

/// One loaded generation of the policy.
struct Snapshot {
    generation: i64,
    enforcer: Enforcer,
    index: Index,
    tree: Arc<OrgTree>,
    providers: Arc<HashMap<ProviderId, OrgUnitId>>,
    cache: Mutex<HashMap<String, Arc<Access>>>,
    /// Active operators found by sign-in key (`u:` login, `i:` identity, `cf:` codice fiscale).
    /// Only operators found are kept (unknown keys would let anyone fill the map), up to
    /// [`OPERATORS_CACHED`]. Every change to an operator bumps the generation, which drops them.
    operators: Mutex<HashMap<String, siso_domain::org::Operator>>,
}

/// Operators kept per generation at most.
const OPERATORS_CACHED: usize = 50_000;

/// The policy of this process: the casbin enforcer, the unit tree and the subjects' access,
/// reloaded whenever the generation in the database moves.
pub struct Authorizer {
    store: Store,
    snapshot: RwLock<Option<Arc<Snapshot>>>,
    reloading: tokio::sync::Mutex<()>,
    denials: Mutex<crate::audit::Denied>,
}

impl std::fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorizer").field("generation", &self.generation()).finish()
    }
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("authorization policy: {e}"))
}

impl Authorizer {
    /// An authorizer over the store; the policy is loaded on first use.
    pub fn new(store: Store) -> Self {
        Self {
            store,
            snapshot: RwLock::new(None),
            reloading: tokio::sync::Mutex::new(()),
            denials: Mutex::new(Default::default()),
        }
    }

    /// Adds a request's denials to the process's counters.
    pub fn count_denials(&self, d: &crate::audit::Denied) {
        if let Ok(mut total) = self.denials.lock() {
            for (k, n) in &d.hidden {
                *total.hidden.entry(k).or_default() += n;
            }
            for (k, n) in &d.forbidden {
                *total.forbidden.entry(k).or_default() += n;
            }
        }
    }

    /// Denials since the process started, by kind (for `/metrics`).
    pub fn denials(&self) -> crate::audit::Denied {
        self.denials.lock().map(|d| d.clone()).unwrap_or_default()
    }

    /// The loaded generation (`None` before the first load).
    pub fn generation(&self) -> Option<i64> {
        self.current_loaded().map(|s| s.generation)
    }

    fn current_loaded(&self) -> Option<Arc<Snapshot>> {
        self.snapshot.read().ok().and_then(|s| s.clone())
    }

    async fn current(&self) -> AppResult<Arc<Snapshot>> {
        if let Some(s) = self.current_loaded() {
            return Ok(s);
        }
        self.refresh().await?;
        self.current_loaded().ok_or_else(|| internal("not loaded"))
    }

    /// Reloads if the database holds a newer generation; `true` if it reloaded.
    pub async fn refresh(&self) -> AppResult<bool> {
        let _one = self.reloading.lock().await;
        // The generation is read before the lines: a change in between is seen by the next poll.
        let generation = repo::generation(&self.store).await?;
        if self.generation() == Some(generation) {
            return Ok(false);
        }
        let model = DefaultModel::from_str(MODEL).await.map_err(internal)?;
        let enforcer = Enforcer::new(model, StoreAdapter::new(self.store.clone())).await.map_err(internal)?;
        let units = siso_store::repo::org::all_units(&self.store).await?;
        let tree = Arc::new(OrgTree::new(units.into_iter().map(|u| (u.id, u.parent_id))));
        let providers = siso_store::repo::providers::all(&self.store).await?;
        let providers = Arc::new(providers.into_iter().map(|p| (p.id, p.org_unit_id)).collect());
        let index = Index::new(&enforcer);
        let snap = Snapshot {
            generation,
            enforcer,
            index,
            tree,
            providers,
            cache: Mutex::new(HashMap::new()),
            operators: Mutex::new(HashMap::new()),
        };
        if let Ok(mut s) = self.snapshot.write() {
            *s = Some(Arc::new(snap));
        }
        tracing::debug!(generation, "authorization policy loaded");
        Ok(true)
    }

    /// The unit tree of the loaded generation.
    pub async fn tree(&self) -> AppResult<Arc<OrgTree>> {
        Ok(self.current().await?.tree.clone())
    }

    /// The roles `subject` holds over `unit`: those granted in the unit or in a unit above it
    /// (rights flow down), as casbin's role manager answers.
    pub async fn roles_over(&self, subject: &str, unit: OrgUnitId) -> AppResult<HashSet<String>> {
        let snap = self.current().await?;
        let rm = snap.enforcer.get_role_manager();
        let rm = rm.read();
        let mut roles = HashSet::new();
        for u in snap.tree.ancestors(unit) {
            roles.extend(rm.get_roles(subject, Some(&u.0.to_string())));
        }
        Ok(roles)
    }

    /// What `subject` (`op:<id>`, `key:<id>`) may do, decided by casbin for each unit the subject
    /// holds a role in, and kept until the policy changes.
    pub async fn access(&self, subject: &str) -> AppResult<Arc<Access>> {
        let snap = self.current().await?;
        if let Some(a) = snap.cache.lock().ok().and_then(|c| c.get(subject).cloned()) {
            return Ok(a);
        }
        let grants = snap.index.grants(&snap.enforcer, subject);
        let access =
            Arc::new(Access { everything: false, grants, tree: snap.tree.clone(), providers: snap.providers.clone() });
        if let Ok(mut c) = snap.cache.lock() {
            c.insert(subject.to_string(), access.clone());
        }
        Ok(access)
    }

    /// The active operator signing in by `key`, kept for this generation: found in the cache,
    /// or loaded by `load` (then kept if active). Deactivating an operator, or changing their
    /// role or unit, bumps the generation, so a kept operator is never staler than the policy.
    pub async fn operator<F>(&self, key: String, load: F) -> AppResult<Option<siso_domain::org::Operator>>
    where
        F: std::future::Future<Output = AppResult<Option<siso_domain::org::Operator>>>,
    {
        let snap = self.current().await?;
        if let Some(op) = snap.operators.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(Some(op));
        }
        let op = load.await?.filter(|o| o.active);
        if let Some(op) = &op
            && let Ok(mut c) = snap.operators.lock()
            && c.len() < OPERATORS_CACHED
        {
            c.insert(key, op.clone());
        }
        Ok(op)
    }

    /// Polls the generation every `interval` (as background work, apart from request
    /// statements) and reloads when another process changed the policy.
    pub fn spawn_watcher(self: &Arc<Self>, interval: Duration) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = siso_store::background(me.refresh()).await {
                    tracing::warn!(error = %e, "cannot reload the authorization policy");
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use casbin::MemoryAdapter;

    /// The indexed decision and casbin's own `enforce` agree on every subject, unit and action.
    #[tokio::test]
    async fn index_agrees_with_enforce() {
        let model = DefaultModel::from_str(MODEL).await.unwrap_or_else(|e| panic!("{e}"));
        let mut e = Enforcer::new(model, MemoryAdapter::default()).await.unwrap_or_else(|e| panic!("{e}"));
        let perms: &[(&str, Action)] = &[
            ("operator", Action::ReadCase),
            ("operator", Action::Write),
            ("operator", Action::ReadSensitive),
            ("administrative", Action::AuthorisePayment),
            ("administrative", Action::ReadCase),
            ("paymaster", Action::RecordPayment),
            ("auditor", Action::ReadAudit),
        ];
        for (role, a) in perms {
            let (o, act) = a.permission();
            e.add_policy(vec![role.to_string(), o.into(), act.into()]).await.unwrap_or_else(|e| panic!("{e}"));
        }
        let grants = [
            ("op:1", "operator", "10"),
            ("op:1", "administrative", "11"),
            ("op:2", "paymaster", "10"),
            ("op:2", "auditor", "12"),
            ("op:2", "operator", "12"),
            ("key:3", "operator", "13"),
            ("op:4", "unknown-role", "10"),
        ];
        for (s, r, d) in grants {
            e.add_grouping_policy(vec![s.into(), r.into(), d.into()]).await.unwrap_or_else(|e| panic!("{e}"));
        }
        let index = Index::new(&e);
        for subject in ["op:1", "op:2", "key:3", "op:4", "op:5"] {
            let fast = index.grants(&e, subject);
            for domain in ["10", "11", "12", "13", "14"] {
                let unit = OrgUnitId(domain.parse().unwrap_or_default());
                for a in Action::ALL {
                    let (o, act) = a.permission();
                    let slow = e.enforce((subject, domain, o, act)).unwrap_or_else(|e| panic!("{e}"));
                    let quick = fast.get(&a).is_some_and(|u| u.contains(&unit));
                    assert_eq!(slow, quick, "{subject} {domain} {a:?}");
                }
            }
        }
        assert!(index.grants(&e, "op:1").get(&Action::AuthorisePayment).is_some_and(|u| u.contains(&OrgUnitId(11))));
    }
}
