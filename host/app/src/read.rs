//! The read side: the only door to storage for the API's reads.
//!
//! A [`Reader`] belongs to one request and holds its actor. Every method returns domain records
//! already authorised — records the actor may not read are dropped exactly as if they did not
//! exist — and notes what it returned for the access log ([`crate::audit`]). Batch lookups take
//! the keys a DataLoader gathered and cost one statement per call; lists are keyset pages
//! restricted to the units the actor may read; derived reads (the plan in force, the parts of an
//! intervention a provider's staff may see, sensitive parts) are decided here, once.

use siso_domain::access::AccessSheet;
use siso_domain::assessment::{Assessment, Need};
use siso_domain::budget::{Fund, FundingLine};
use siso_domain::case::{Case, CaseEvent, CaseState, UserArea};
use siso_domain::catalogue::CatalogueEntry;
use siso_domain::ids::{
    AccessSheetId, CaseId, CatalogueEntryId, FundId, FundingLineId, InterventionId, OperatorId, OrgUnitId, PersonId,
    PlacementId, PlanId, ProviderId,
};
use siso_domain::intervention::{Disbursement, InterventionEvent, InterventionState, StoredIntervention};
use siso_domain::org::{Operator, OrgUnit};
use siso_domain::page::{Page, PageRequest};
use siso_domain::person::{IseeAttestation, Person};
use siso_domain::plan::{Objective, Plan, PlanReview};
use siso_domain::plugin_result::ResultRow;
use siso_domain::provider::{MonthlyPresence, Placement, Provider};
use siso_store::repo::{access, budget, cases, catalogue, interventions, org, persons, plans, providers};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use siso_store::repo::cases::WithPerson;

use crate::authz::{Action, check};
use crate::error::{AppError, AppResult};
use crate::{Actor, App};

/// The reads of one request, on behalf of its actor.
#[derive(Debug, Clone)]
pub struct Reader {
    app: App,
    actor: Actor,
    /// Persons read with their cases in one statement, until a lookup of persons asks for
    /// them (and authorises and notes each then, exactly as if it had read them itself).
    persons_read: Arc<Mutex<HashMap<PersonId, Person>>>,
}

impl App {
    /// The reader of a request made by `actor`.
    pub fn reader(&self, actor: Actor) -> Reader {
        Reader { app: self.clone(), actor, persons_read: Arc::default() }
    }

    /// Whether the database answers, and how many migrations are pending (`None` when it does
    /// not answer): the server's readiness.
    pub async fn readiness(&self) -> (bool, Option<usize>) {
        let db = self.store().ping().await.is_ok();
        let pending = if db { self.store().pending_migrations().await.ok() } else { None };
        (db, pending)
    }

    /// SQL statements executed since start: for requests and commands, and by background polls.
    pub fn sql_statements(&self) -> (u64, u64) {
        let counter = self.store().sql_counter();
        (counter.get(), counter.background())
    }
}

/// Filters of the person list.
#[derive(Debug, Clone, Default)]
pub struct PersonQuery {
    /// Only persons of this unit and the units below it.
    pub within: Option<OrgUnitId>,
    /// Exact codice fiscale.
    pub fiscal_code: Option<String>,
    /// Prefix of "surname given-name", case-insensitive.
    pub name: Option<String>,
}

/// Filters of the case list.
#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    /// Only cases of this unit and the units below it.
    pub within: Option<OrgUnitId>,
    /// Only these states.
    pub states: Option<Vec<CaseState>>,
    /// Only cases of this responsible operator.
    pub operator: Option<OperatorId>,
    /// Only this ISTAT area.
    pub area: Option<UserArea>,
}

/// Filters of the intervention list.
#[derive(Debug, Clone, Default)]
pub struct InterventionQuery {
    /// Only interventions of this unit and the units below it.
    pub within: Option<OrgUnitId>,
    /// Only of this case.
    pub case: Option<CaseId>,
    /// Only these states.
    pub states: Option<Vec<InterventionState>>,
    /// Only of this provider.
    pub provider: Option<ProviderId>,
    /// Only on this funding line.
    pub funding_line: Option<FundingLineId>,
}

/// A batch lookup of records that are not personal data (reference data, or parts whose parent
/// was authorised when it was read).
macro_rules! lookup {
    ($(#[$doc:meta])* $name:ident($key:ty) -> $value:ty = $fetch:path) => {
        $(#[$doc])*
        pub async fn $name(&self, keys: &[$key]) -> AppResult<Vec<$value>> {
            Ok($fetch(self.app.store(), keys).await?)
        }
    };
}

/// A batch lookup of personal records: each is authorised against its own owner and noted for
/// the access log; the others are dropped as if missing.
macro_rules! owned {
    ($(#[$doc:meta])* $name:ident($key:ty) -> $value:ty = $fetch:path) => {
        $(#[$doc])*
        pub async fn $name(&self, keys: &[$key]) -> AppResult<Vec<$value>> {
            let rows = $fetch(self.app.store(), keys).await?;
            Ok(self.app.visible(&self.actor, rows))
        }
    };
}

impl Reader {
    /// Persons by id: those read with their cases come from this request's own reads, the
    /// others from one statement; each is authorised against its own owner and noted.
    pub async fn persons(&self, keys: &[PersonId]) -> AppResult<Vec<Person>> {
        let mut found = Vec::with_capacity(keys.len());
        let mut missing = Vec::new();
        match self.persons_read.lock() {
            Ok(mut read) => {
                for k in keys {
                    match read.remove(k) {
                        Some(p) => found.push(p),
                        None => missing.push(*k),
                    }
                }
            }
            // Nothing kept can be trusted: read them all again.
            Err(_) => missing.extend_from_slice(keys),
        }
        if !missing.is_empty() {
            found.extend(persons::get_many(self.app.store(), &missing).await?);
        }
        Ok(self.app.visible(&self.actor, found))
    }

    /// Cases by id, with their persons in the same statement (kept for [`Reader::persons`]).
    pub async fn cases(&self, keys: &[CaseId]) -> AppResult<Vec<Case>> {
        let rows = cases::get_many_with_persons(self.app.store(), keys).await?;
        Ok(self.app.visible(&self.actor, self.keep_persons(rows)))
    }

    /// Keeps the persons of cases read with them; returns the cases.
    fn keep_persons(&self, rows: Vec<WithPerson>) -> Vec<Case> {
        let mut cases = Vec::with_capacity(rows.len());
        let mut read = self.persons_read.lock().ok();
        for (case, person) in rows {
            if let (Some(read), Some(p)) = (read.as_mut(), person) {
                read.insert(p.id, p);
            }
            cases.push(case);
        }
        cases
    }
    /// Plans by id on their own (`node(id:)`), each authorised through its case, which is
    /// noted as read; a plan whose case the actor may not read is dropped as if missing.
    pub async fn plans_by_id(&self, keys: &[PlanId]) -> AppResult<Vec<Plan>> {
        let plans = plans::get_many(self.app.store(), keys).await?;
        let mut cases: Vec<CaseId> = plans.iter().map(|p| p.case_id).collect();
        cases.sort();
        cases.dedup();
        let readable: std::collections::HashSet<CaseId> = self.cases(&cases).await?.into_iter().map(|c| c.id).collect();
        Ok(plans.into_iter().filter(|p| readable.contains(&p.case_id)).collect())
    }

    owned!(/// Funding lines by id.
        funding_lines(FundingLineId) -> FundingLine = budget::get_lines);
    owned!(/// Access sheets by id.
        access_sheets(AccessSheetId) -> AccessSheet = access::get_many);
    owned!(/// Interventions by id (also those assigned to the actor's provider).
        interventions(InterventionId) -> StoredIntervention = interventions::get_many);
    owned!(/// The interventions of cases.
        interventions_of_cases(CaseId) -> StoredIntervention = interventions::of_cases);
    owned!(/// The cases of persons (each authorised against its own unit: a person's case may be
        /// held by another unit).
        cases_of_persons(PersonId) -> Case = cases::of_persons);

    lookup!(/// Organisation units by id.
        org_units(OrgUnitId) -> OrgUnit = org::get_units);
    lookup!(/// Operators by id (names and roles: what colleagues see).
        operators(OperatorId) -> Operator = org::get_operators);
    lookup!(/// Catalogue entries by id.
        catalogue_entries(CatalogueEntryId) -> CatalogueEntry = catalogue::get_many);
    lookup!(/// Providers by id.
        providers(ProviderId) -> Provider = providers::get_many);
    lookup!(/// Funds by id.
        funds(FundId) -> Fund = budget::get_funds);
    lookup!(/// Plans by id (a part of a case or intervention already read).
        plans(PlanId) -> Plan = plans::get_many);
    lookup!(/// The plans of cases, oldest first.
        plans_of_cases(CaseId) -> Plan = plans::of_cases);
    lookup!(/// The needs of cases.
        needs_of_cases(CaseId) -> Need = cases::needs_of);
    lookup!(/// The assessments of cases (their answers are a sensitive part: [`Reader::sensitive_part`]).
        assessments_of_cases(CaseId) -> Assessment = cases::assessments_of);
    lookup!(/// The history of cases.
        events_of_cases(CaseId) -> (CaseId, CaseEvent) = cases::events_of);
    lookup!(/// The disbursements of interventions.
        disbursements_of(InterventionId) -> Disbursement = interventions::disbursements_of);
    lookup!(/// The placements of interventions.
        placements_of(InterventionId) -> Placement = providers::placements_of);
    lookup!(/// The history of interventions.
        events_of_interventions(InterventionId) -> InterventionEvent = interventions::events_of);
    lookup!(/// The objectives of plans.
        objectives_of(PlanId) -> Objective = plans::objectives_of);
    lookup!(/// The reviews of plans.
        reviews_of(PlanId) -> PlanReview = plans::reviews_of);
    lookup!(/// The ISEE attestations of persons.
        isee_of(PersonId) -> IseeAttestation = persons::isee_of);
    lookup!(/// The monthly presences of placements.
        presences_of(PlacementId) -> MonthlyPresence = providers::presences_of);

    /// The operator behind the request (none for API keys and the system).
    pub async fn me(&self) -> AppResult<Option<Operator>> {
        match self.actor.operator_id {
            Some(id) => Ok(org::get_operator(self.app.store(), id).await?),
            None => Ok(None),
        }
    }

    /// Drops what the actor may not read from a page; the page's bounds stay those of the
    /// rows fetched, so a hidden row never shows as a gap in the cursors.
    fn visible_page<T: crate::queries::Owned>(&self, page: Page<T>) -> Page<T> {
        Page {
            items: self.app.visible(&self.actor, page.items),
            has_next: page.has_next,
            has_previous: page.has_previous,
        }
    }

    /// A page of persons.
    pub async fn persons_page(&self, q: PersonQuery, req: &PageRequest) -> AppResult<Page<Person>> {
        let org_units = self.app.read_scope(&self.actor, Action::ReadPerson, q.within).await?;
        let f = persons::PersonFilter { org_units, fiscal_code: q.fiscal_code, name: q.name };
        Ok(self.visible_page(persons::list(self.app.store(), &f, req).await?))
    }

    /// A page of cases.
    pub async fn cases_page(&self, q: CaseQuery, req: &PageRequest) -> AppResult<Page<Case>> {
        let org_units = self.app.read_scope(&self.actor, Action::ReadCase, q.within).await?;
        let f = cases::CaseFilter { org_units, states: q.states, operator: q.operator, area: q.area, person: None };
        let page = cases::list_with_persons(self.app.store(), &f, req).await?;
        let page =
            Page { items: self.keep_persons(page.items), has_next: page.has_next, has_previous: page.has_previous };
        Ok(self.visible_page(page))
    }

    /// A page of interventions. Without a unit filter, a provider's staff also list the
    /// interventions assigned to their provider.
    pub async fn interventions_page(
        &self,
        q: InterventionQuery,
        req: &PageRequest,
    ) -> AppResult<Page<StoredIntervention>> {
        let org_units = self.app.read_scope(&self.actor, Action::ReadIntervention, q.within).await?;
        let f = interventions::InterventionFilter {
            org_units,
            case: q.case,
            states: q.states,
            provider: q.provider,
            funding_line: q.funding_line,
            assigned_to: q.within.is_none().then(|| self.actor.access.assigned_providers()),
        };
        Ok(self.visible_page(interventions::list(self.app.store(), &f, req).await?))
    }

    /// A page of the funding lines the actor reads (those of its units, and of the units above
    /// them from which their interventions are paid).
    pub async fn funding_lines_page(&self, req: &PageRequest) -> AppResult<Page<FundingLine>> {
        let units = self.actor.access.scope_up_and_down(Action::ReadBudget);
        Ok(self.visible_page(budget::list_lines(self.app.store(), units.as_deref(), req).await?))
    }

    /// A page of access sheets.
    pub async fn access_sheets_page(&self, req: &PageRequest) -> AppResult<Page<AccessSheet>> {
        let units = self.app.read_scope(&self.actor, Action::ReadSheet, None).await?;
        Ok(self.visible_page(access::list(self.app.store(), units.as_ref(), req).await?))
    }

    /// The organisation hierarchy (reference data for every signed-in actor).
    pub async fn all_org_units(&self) -> AppResult<Vec<OrgUnit>> {
        Ok(org::all_units(self.app.store()).await?)
    }

    /// Every fund.
    pub async fn all_funds(&self) -> AppResult<Vec<Fund>> {
        Ok(budget::all_funds(self.app.store()).await?)
    }

    /// Every provider.
    pub async fn all_providers(&self) -> AppResult<Vec<Provider>> {
        Ok(providers::all(self.app.store()).await?)
    }

    /// The catalogue entries a case of `org` may use (every entry without `org`).
    pub async fn catalogue(&self, org: Option<OrgUnitId>) -> AppResult<Vec<CatalogueEntry>> {
        self.app.catalogue_for(org).await
    }

    /// The plan in force of a case (see [`siso_domain::plan::in_force`]).
    pub fn plan_in_force(&self, plans: Vec<Plan>) -> Option<Plan> {
        siso_domain::plan::in_force(plans)
    }

    /// Whether the actor reads the parts of an intervention that belong to its case (plan,
    /// history, payments, plug-in results): the case's workers do, a provider's staff do not.
    pub fn reads_case_parts(&self, i: &StoredIntervention) -> bool {
        self.app.reads_case_parts(&self.actor, i)
    }

    /// Whether the actor reads an operator's own details (codice fiscale, whether they may
    /// sign in): the operator, and who manages organisation in the operator's home unit.
    /// Colleagues who see the operator as a case's responsible see the name only.
    pub fn reads_operator_details(&self, op: &Operator) -> bool {
        self.actor.operator_id == Some(op.id) || self.actor.access.allows(Action::ManageOrg, op.org_unit_id)
    }

    /// A sensitive part of a case (`kind`, e.g. an assessment's answers, with the record's id):
    /// allowed with `sensitive/read` in the unit holding the case, and then noted in the access
    /// log by name. `case` is the case as this reader read it (`None`: hidden or missing).
    pub fn sensitive_part(&self, kind: &'static str, id: i64, case: Option<&Case>) -> AppResult<()> {
        let case = case.ok_or(AppError::Forbidden)?;
        check(&self.actor, Action::ReadSensitive, case.org_unit_id)?;
        self.app.note_sensitive_read(&self.actor, kind, id, case.id);
        Ok(())
    }

    /// What plug-ins answered about interventions, oldest first, in one statement. Each is
    /// given with the unit that owns it, as this reader read it: nothing comes back for those
    /// whose case parts the actor does not read, and the reasons (a sensitive part) only with
    /// `sensitive/read` in that unit.
    pub async fn plugin_results_of(&self, interventions: &[(InterventionId, OrgUnitId)]) -> AppResult<Vec<ResultRow>> {
        let readable: std::collections::HashMap<i64, bool> = interventions
            .iter()
            .filter(|(_, unit)| self.app.reads_case_parts_in(&self.actor, *unit))
            .map(|(id, unit)| (id.0, self.app.reads_plugin_reasons_in(&self.actor, *unit)))
            .collect();
        if readable.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = readable.keys().copied().collect();
        let mut rows = siso_store::repo::plugins::results_of(self.app.store(), "intervention", &ids).await?;
        for r in &mut rows {
            if !readable.get(&r.record_id).copied().unwrap_or(false) {
                r.reasons = "[]".to_string();
            }
        }
        Ok(rows)
    }
}
