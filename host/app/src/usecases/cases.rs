//! Cases: opening, reassigning and changing state.

use chrono::NaiveDate;
use siso_domain::case::{self, Case, CaseAction, CaseEvent, CaseEventKind, CaseState, UserArea};
use siso_domain::error::check_text;
use siso_domain::ids::*;
use siso_store::Tx;
use siso_store::repo::{cases as case_repo, interventions as int_repo, org as org_repo};

use crate::authz::{Action, check};
use crate::error::{AppError, AppResult};
use crate::{Actor, App, audit};
use siso_plugins::Hook;
use siso_plugins::model::Change;

use super::{load_case, load_person};

/// A new case.
#[derive(Debug, Clone)]
pub struct OpenCase {
    /// Holding unit.
    pub org_unit_id: OrgUnitId,
    /// Person.
    pub person_id: PersonId,
    /// Area.
    pub area: UserArea,
    /// Responsible operator.
    pub responsible_operator_id: Option<OperatorId>,
    /// Opening date.
    pub opened_on: NaiveDate,
}

impl App {
    /// Opens a case.
    pub async fn open_case(&self, actor: &Actor, cmd: OpenCase) -> AppResult<Case> {
        self.hooked(|| Box::pin(self.open_case_once(actor, cmd.clone()))).await
    }

    async fn open_case_once(&self, actor: &Actor, cmd: OpenCase) -> AppResult<Case> {
        let tx = self.begin().await?;
        let case = self.open_case_in(&tx, actor, cmd).await?;
        self.commit(tx).await?;
        Ok(case)
    }

    pub(super) async fn open_case_in(&self, tx: &Tx, actor: &Actor, cmd: OpenCase) -> AppResult<Case> {
        case::check_opening(cmd.opened_on, None, self.clock().today())?;
        org_repo::get_unit(tx, cmd.org_unit_id).await?.ok_or(AppError::not_found("organisation unit", "orgUnitId"))?;
        check(actor, Action::Write, cmd.org_unit_id)?;
        load_person(tx, actor, cmd.person_id).await?;
        if let Some(op) = cmd.responsible_operator_id {
            let assign = actor.operator_id != Some(op);
            self.check_responsible(tx, actor, op, cmd.org_unit_id, "responsibleOperatorId", assign).await?;
        }
        let case = Case {
            id: CaseId(0),
            org_unit_id: cmd.org_unit_id,
            person_id: cmd.person_id,
            state: CaseState::Open,
            area: cmd.area,
            responsible_operator_id: cmd.responsible_operator_id,
            opened_on: cmd.opened_on,
            closed_on: None,
            closure_reason: None,
        };
        let outcomes =
            self.validate(tx, cmd.org_unit_id, Hook::CaseOpened, async || Ok(Change::CaseOpened(case.clone()))).await?;
        let now = self.clock().now();
        let case = case_repo::insert(tx, &case, now).await?;
        self.plugins.record(tx, "case", case.id.0, &outcomes).await?;
        let event = CaseEvent {
            kind: CaseEventKind::Opened,
            on: case.opened_on,
            state: case.state,
            operator_id: case.responsible_operator_id,
            org_unit_id: case.org_unit_id,
            reason: None,
            recorded_by: actor.operator_id,
        };
        case_repo::insert_event(tx, case.id, &event, now).await?;
        audit::record(tx, self.clock(), actor, "case.open", "case", case.id.0, Some(case.person_id)).await?;
        Ok(case)
    }

    /// Reassigns a case to another operator and/or office; the history keeps the old ones.
    pub async fn reassign_case(
        &self,
        actor: &Actor,
        case_id: CaseId,
        operator_id: Option<OperatorId>,
        org_unit_id: Option<OrgUnitId>,
        reason: Option<String>,
    ) -> AppResult<Case> {
        if let Some(r) = &reason {
            check_text(r, "reason", 500)?;
        }
        let tx = self.begin().await?;
        let mut case = load_case(&tx, actor, case_id, true).await?;
        check(actor, Action::Write, case.org_unit_id)?;
        case::check_reassignment(case.state, operator_id.is_some(), org_unit_id.is_some())?;
        if let Some(org) = org_unit_id {
            org_repo::get_unit(&tx, org).await?.ok_or(AppError::not_found("organisation unit", "orgUnitId"))?;
            if org != case.org_unit_id {
                // A transfer between units needs the right on both sides.
                check(actor, Action::TransferCase, case.org_unit_id)?;
                check(actor, Action::TransferCase, org)?;
                case.org_unit_id = org;
                int_repo::move_case(&tx, case.id, org).await?;
            }
        }
        match operator_id {
            Some(op) => {
                let assign = case.responsible_operator_id != Some(op);
                self.check_responsible(&tx, actor, op, case.org_unit_id, "operatorId", assign).await?;
                case.responsible_operator_id = Some(op);
            }
            // A transfer keeps the responsible operator only if they may work in the new unit.
            None => {
                if let Some(op) = case.responsible_operator_id {
                    case::check_kept_responsible(self.may_be_responsible(op, case.org_unit_id).await?)?;
                }
            }
        }
        let now = self.clock().now();
        case_repo::update(&tx, &case, now).await?;
        let event = CaseEvent {
            kind: CaseEventKind::Reassigned,
            on: self.clock().today(),
            state: case.state,
            operator_id: case.responsible_operator_id,
            org_unit_id: case.org_unit_id,
            reason,
            recorded_by: actor.operator_id,
        };
        case_repo::insert_event(&tx, case.id, &event, now).await?;
        audit::record(&tx, self.clock(), actor, "case.reassign", "case", case.id.0, Some(case.person_id)).await?;
        self.commit(tx).await?;
        Ok(case)
    }

    /// Suspends, resumes, closes or reopens a case.
    pub async fn change_case_state(
        &self,
        actor: &Actor,
        case_id: CaseId,
        action: CaseAction,
        on: Option<NaiveDate>,
        reason: Option<String>,
    ) -> AppResult<Case> {
        let today = self.clock().today();
        let on = on.unwrap_or(today);
        case::check_reason(action, reason.as_deref())?;
        if let Some(r) = &reason {
            check_text(r, "reason", 500)?;
        }
        let tx = self.begin().await?;
        let mut case = load_case(&tx, actor, case_id, true).await?;
        check(actor, Action::Write, case.org_unit_id)?;
        let to = case::transition(case.state, action)?;
        let last_event_on = case_repo::events_of(&tx, &[case.id]).await?.last().map(|(_, e)| e.on);
        case::check_event_date(case.opened_on, last_event_on, on, today)?;
        case.state = to;
        match action {
            CaseAction::Close => {
                case.closed_on = Some(on);
                case.closure_reason = reason.clone();
            }
            CaseAction::Reopen => {
                case.closed_on = None;
                case.closure_reason = None;
            }
            CaseAction::Suspend | CaseAction::Resume => {}
        }
        let now = self.clock().now();
        case_repo::update(&tx, &case, now).await?;
        let event = CaseEvent {
            kind: action.event(),
            on,
            state: case.state,
            operator_id: case.responsible_operator_id,
            org_unit_id: case.org_unit_id,
            reason,
            recorded_by: actor.operator_id,
        };
        case_repo::insert_event(&tx, case.id, &event, now).await?;
        let verb = format!("case.{}", event.kind.as_str());
        audit::record(&tx, self.clock(), actor, &verb, "case", case.id.0, Some(case.person_id)).await?;
        self.commit(tx).await?;
        Ok(case)
    }
}
