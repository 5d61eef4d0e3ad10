//! The use cases of the case lifecycle. Each is one transaction; see the crate docs for the
//! order of the steps.

mod access;
mod assessments;
mod budget;
mod cases;
mod interventions;
mod persons;
mod plans;
mod providers;

pub use access::OpenAccessSheet;
pub use assessments::RecordAssessment;
pub use budget::CreateFundingLine;
pub use cases::OpenCase;
pub use interventions::{RecordDisbursement, RequestIntervention};
pub use persons::{CreatePerson, RecordIsee};
pub use plans::CreatePlan;

use siso_domain::budget::FundingLine;
use siso_domain::case::Case;
use siso_domain::catalogue::CatalogueEntry;
use siso_domain::ids::*;
use siso_domain::person::Person;
use siso_store::Tx;
use siso_store::repo::interventions::StoredIntervention;
use siso_store::repo::{
    budget as budget_repo, cases as case_repo, interventions as int_repo, org as org_repo, persons as person_repo,
    plans as plan_repo,
};

use crate::authz::{Action, check, sees};
use crate::error::{AppError, AppResult};
use crate::{Actor, App};
use siso_plugins::Hook;
use siso_plugins::model::{Change, HouseholdView, Member, Subject};

// Records named by id: one the actor may not even read answers exactly like a missing one, so
// an id of another organisation reveals nothing.

async fn load_case(tx: &Tx, actor: &Actor, id: CaseId, lock: bool) -> AppResult<Case> {
    let found = case_repo::get(tx, id, lock).await?;
    found.filter(|c| sees(actor, Action::ReadCase, c.org_unit_id, "case")).ok_or(AppError::not_found("case", "caseId"))
}

async fn load_intervention(tx: &Tx, actor: &Actor, id: InterventionId) -> AppResult<StoredIntervention> {
    let found = int_repo::get(tx, id, true).await?;
    found
        .filter(|s| sees(actor, Action::ReadIntervention, s.org_unit_id, "intervention"))
        .ok_or(AppError::not_found("intervention", "interventionId"))
}

async fn load_person(tx: &Tx, actor: &Actor, id: PersonId) -> AppResult<Person> {
    let found = person_repo::get(tx, id).await?;
    found
        .filter(|p| sees(actor, Action::ReadPerson, p.org_unit_id, "person"))
        .ok_or(AppError::not_found("person", "personId"))
}

/// A record reached through another (a plan through its case): when the other is hidden, the
/// answer names the record asked for, exactly as if it were missing.
fn as_missing<T>(r: AppResult<T>, kind: &'static str, field: &'static str) -> AppResult<T> {
    match r {
        Err(AppError::NotFound { .. }) => Err(AppError::not_found(kind, field)),
        other => other,
    }
}

async fn load_line(tx: &Tx, actor: &Actor, id: FundingLineId, lock: bool) -> AppResult<FundingLine> {
    let found = budget_repo::get_line(tx, id, lock).await?;
    found.filter(|l| crate::queries::readable(actor, l)).ok_or(AppError::not_found("funding line", "fundingLineId"))
}

impl App {
    async fn begin(&self) -> AppResult<Tx> {
        Ok(self.store().begin().await?)
    }

    /// Whether operator `op` (active) holds case rights (read and write) in `unit`.
    async fn may_be_responsible(&self, op: OperatorId, unit: OrgUnitId) -> AppResult<bool> {
        let access = self.authz().access(&org_repo::operator_subject(op)).await?;
        Ok(access.allows(Action::ReadCase, unit) && access.allows(Action::Write, unit))
    }

    /// Naming `op` responsible for a case of `unit`: the operator must exist, be active and hold
    /// case rights there (anyone else, another administration's operator included, answers as
    /// missing); `assign` says whether the change needs `case/assign` (every reassignment, and
    /// opening a case for someone other than oneself).
    async fn check_responsible(
        &self,
        tx: &Tx,
        actor: &Actor,
        op: OperatorId,
        unit: OrgUnitId,
        field: &'static str,
        assign: bool,
    ) -> AppResult<()> {
        let found = org_repo::get_operator(tx, op).await?.filter(|o| o.active);
        if found.is_none() || !self.may_be_responsible(op, unit).await? {
            return Err(AppError::not_found("operator", field));
        }
        if assign {
            check(actor, Action::AssignCase, unit)?;
        }
        Ok(())
    }

    /// Everything plug-ins may look at about an intervention (loaded only when a plug-in
    /// will run).
    async fn subject(
        &self,
        tx: &Tx,
        s: &StoredIntervention,
        case: &Case,
        entry: &CatalogueEntry,
    ) -> AppResult<Subject> {
        let person = person_repo::get(tx, case.person_id).await?.ok_or(AppError::not_found("person", "personId"))?;
        let household = match person_repo::memberships_of(tx, &[person.id]).await?.first() {
            Some(m) => {
                let members = person_repo::members_of(tx, &[m.household_id]).await?;
                let ids: Vec<PersonId> = members.iter().map(|m| m.person_id).collect();
                let people = person_repo::get_many(tx, &ids).await?;
                Some(HouseholdView {
                    id: m.household_id,
                    members: members
                        .iter()
                        .filter_map(|m| {
                            people.iter().find(|p| p.id == m.person_id).map(|p| Member {
                                person_id: p.id,
                                relation: m.relation,
                                sex: p.sex,
                                birth_date: p.birth_date,
                            })
                        })
                        .collect(),
                })
            }
            None => None,
        };
        let mut isee = person_repo::isee_of(tx, &[person.id]).await?;
        isee.sort_by_key(|i| std::cmp::Reverse((i.dsu_date, i.id.0)));
        let needs = case_repo::needs_of(tx, &[case.id]).await?;
        let mut assessments = case_repo::assessments_of(tx, &[case.id]).await?;
        assessments.sort_by_key(|a| std::cmp::Reverse((a.assessed_on, a.id.0)));
        let plan = match siso_domain::plan::in_force(plan_repo::of_cases(tx, &[case.id]).await?) {
            Some(p) => {
                let objectives = plan_repo::objectives_of(tx, &[p.id]).await?;
                Some((p, objectives))
            }
            None => None,
        };
        Ok(Subject {
            person,
            household,
            isee,
            case: case.clone(),
            needs,
            assessments,
            plan,
            intervention: s.intervention.clone(),
            catalogue_entry: entry.clone(),
            disbursed: s.disbursed,
        })
    }

    /// Runs the validate hooks of the plug-ins enabled for `org` on a change, built only when
    /// one will run; a veto (or a fault, failing closed) refuses it.
    async fn validate(
        &self,
        tx: &Tx,
        org: OrgUnitId,
        hook: Hook,
        change: impl AsyncFnOnce() -> AppResult<Change>,
    ) -> AppResult<Vec<crate::plugins::Outcome>> {
        let targets = self.plugins.targets(tx, org, hook).await?;
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        self.ask_validate(&targets, change().await?).await
    }
}
