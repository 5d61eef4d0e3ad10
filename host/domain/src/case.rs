//! Cases (*cartelle sociali*): never deleted, only closed and reopened, with history kept.

use chrono::NaiveDate;

use crate::error::{DomainError, DomainResult};
use crate::ids::{CaseId, OperatorId, OrgUnitId, PersonId};

string_enum! {
    /// The state of a case.
    CaseState {
        /// Taken in charge and followed.
        Open = "open",
        /// Temporarily on hold.
        Suspended = "suspended",
        /// Closed; kept for ever, may be reopened.
        Closed = "closed",
        /// Reopened after a closure; behaves as open.
        Reopened = "reopened",
    }
}

impl CaseState {
    /// Open or reopened: the case accepts new work (needs, plans, interventions).
    pub fn is_active(self) -> bool {
        matches!(self, CaseState::Open | CaseState::Reopened)
    }
}

string_enum! {
    /// The ISTAT area of users a case belongs to.
    UserArea {
        /// Family and minors.
        FamilyAndMinors = "family_minors",
        /// Disability.
        Disability = "disability",
        /// Addiction.
        Addiction = "addiction",
        /// Elderly (65 and over).
        Elderly = "elderly",
        /// Immigrants, Roma, Sinti and Caminanti.
        Immigrants = "immigrants",
        /// Poverty, adult hardship and homelessness.
        Poverty = "poverty",
        /// Multi-user services.
        MultiUser = "multi_user",
    }
}

/// A case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// Key.
    pub id: CaseId,
    /// The organisation unit that holds the case (an office, a comune, a municipio).
    pub org_unit_id: OrgUnitId,
    /// The person taken in charge.
    pub person_id: PersonId,
    /// Current state.
    pub state: CaseState,
    /// Area of users.
    pub area: UserArea,
    /// Responsible operator.
    pub responsible_operator_id: Option<OperatorId>,
    /// Date of opening (*presa in carico*).
    pub opened_on: NaiveDate,
    /// Date of the last closure, while closed.
    pub closed_on: Option<NaiveDate>,
    /// Reason of the last closure, while closed.
    pub closure_reason: Option<String>,
}

string_enum! {
    /// A change recorded in a case's history.
    CaseEventKind {
        /// The case was opened.
        Opened = "opened",
        /// Responsible operator or office changed.
        Reassigned = "reassigned",
        /// Suspended.
        Suspended = "suspended",
        /// Resumed after a suspension.
        Resumed = "resumed",
        /// Closed.
        Closed = "closed",
        /// Reopened.
        Reopened = "reopened",
    }
}

/// An action on a case's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseAction {
    /// Put on hold.
    Suspend,
    /// Resume after a suspension.
    Resume,
    /// Close.
    Close,
    /// Reopen after a closure.
    Reopen,
}

impl CaseAction {
    /// The history event this action writes.
    pub fn event(self) -> CaseEventKind {
        match self {
            CaseAction::Suspend => CaseEventKind::Suspended,
            CaseAction::Resume => CaseEventKind::Resumed,
            CaseAction::Close => CaseEventKind::Closed,
            CaseAction::Reopen => CaseEventKind::Reopened,
        }
    }
}

/// The state machine of a case: returns the new state or a typed error.
pub fn transition(from: CaseState, action: CaseAction) -> DomainResult<CaseState> {
    use CaseAction::*;
    use CaseState::*;
    let to = match (from, action) {
        (Open | Reopened, Suspend) => Suspended,
        (Suspended, Resume) => Open,
        (Open | Reopened | Suspended, Close) => Closed,
        (Closed, Reopen) => Reopened,
        _ => {
            return Err(DomainError::new(
                "INVALID_TRANSITION",
                format!("a case in state {from} cannot be {}", action_verb(action)),
            ));
        }
    };
    Ok(to)
}

fn action_verb(action: CaseAction) -> &'static str {
    match action {
        CaseAction::Suspend => "suspended",
        CaseAction::Resume => "resumed",
        CaseAction::Close => "closed",
        CaseAction::Reopen => "reopened",
    }
}

/// Checks the date of a state change against the case: never before the opening or the last
/// recorded event (the history stays in order), never in the future.
pub fn check_event_date(
    case_opened_on: NaiveDate,
    last_event_on: Option<NaiveDate>,
    on: NaiveDate,
    today: NaiveDate,
) -> DomainResult<()> {
    if on < case_opened_on {
        return Err(DomainError::field("INVALID_DATE", "on", "the date is before the case was opened"));
    }
    if last_event_on.is_some_and(|last| on < last) {
        return Err(DomainError::field("INVALID_DATE", "on", "the date is before the last change of the case"));
    }
    if on > today {
        return Err(DomainError::field("INVALID_DATE", "on", "the date is in the future"));
    }
    Ok(())
}

/// Work on a case (a need, an assessment, an intervention) is never dated before its opening.
pub fn check_work_date(case_opened_on: NaiveDate, on: NaiveDate, field: &'static str) -> DomainResult<()> {
    if on < case_opened_on {
        return Err(DomainError::field("INVALID_DATE", field, "the date is before the case was opened"));
    }
    Ok(())
}

/// The opening date of a case: never in the future, never before the access (`access_on`)
/// it comes from.
pub fn check_opening(opened_on: NaiveDate, access_on: Option<NaiveDate>, today: NaiveDate) -> DomainResult<()> {
    if access_on.is_some_and(|a| opened_on < a) {
        return Err(DomainError::field("INVALID_DATE", "openedOn", "the case cannot open before the access"));
    }
    if opened_on > today {
        return Err(DomainError::field("INVALID_DATE", "openedOn", "the opening date is in the future"));
    }
    Ok(())
}

/// A reassignment names a new operator, a new office or both, and moves only a case that is
/// not closed.
pub fn check_reassignment(state: CaseState, new_operator: bool, new_unit: bool) -> DomainResult<()> {
    if !new_operator && !new_unit {
        return Err(DomainError::field("REQUIRED", "operatorId", "give a new operator, a new office or both"));
    }
    if state == CaseState::Closed {
        return Err(DomainError::new("CASE_NOT_ACTIVE", "a closed case cannot be reassigned"));
    }
    Ok(())
}

/// A transfer keeps the responsible operator only if they may work in the new unit
/// (`may_work`); otherwise the transfer must name one who can.
pub fn check_kept_responsible(may_work: bool) -> DomainResult<()> {
    if may_work {
        Ok(())
    } else {
        Err(DomainError::field(
            "OPERATOR_REQUIRED",
            "operatorId",
            "the responsible operator cannot work in the new unit: name one who can",
        ))
    }
}

/// A closure needs a reason.
pub fn check_reason(action: CaseAction, reason: Option<&str>) -> DomainResult<()> {
    if action == CaseAction::Close && reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(DomainError::field("REQUIRED", "reason", "a closure needs a reason"));
    }
    Ok(())
}

/// A closed (or suspended) case accepts no new intervention, need or plan.
pub fn require_active(state: CaseState) -> DomainResult<()> {
    if state.is_active() {
        Ok(())
    } else {
        Err(DomainError::new("CASE_NOT_ACTIVE", format!("the case is {state}: reopen or resume it first")))
    }
}

/// One entry of a case's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEvent {
    /// What happened.
    pub kind: CaseEventKind,
    /// When (business date).
    pub on: NaiveDate,
    /// State after the event.
    pub state: CaseState,
    /// Responsible operator after the event.
    pub operator_id: Option<OperatorId>,
    /// Holding office after the event.
    pub org_unit_id: OrgUnitId,
    /// Reason given.
    pub reason: Option<String>,
    /// Who recorded it.
    pub recorded_by: Option<OperatorId>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn openings_reassignments_and_closures() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        let today = d("2026-11-26");
        assert!(check_opening(d("2026-11-26"), None, today).is_ok());
        assert!(check_opening(d("2026-11-27"), None, today).is_err());
        assert!(check_opening(d("2026-11-01"), Some(d("2026-11-01")), today).is_ok());
        assert!(check_opening(d("2026-10-31"), Some(d("2026-11-01")), today).is_err());
        assert!(check_reassignment(CaseState::Open, true, false).is_ok());
        assert!(check_reassignment(CaseState::Suspended, false, true).is_ok());
        assert_eq!(check_reassignment(CaseState::Open, false, false).map_err(|e| e.code), Err("REQUIRED"));
        assert_eq!(check_reassignment(CaseState::Closed, true, true).map_err(|e| e.code), Err("CASE_NOT_ACTIVE"));
        assert!(check_kept_responsible(true).is_ok());
        assert!(check_kept_responsible(false).is_err());
        assert!(check_reason(CaseAction::Close, Some("moved away")).is_ok());
        assert!(check_reason(CaseAction::Close, Some("  ")).is_err());
        assert!(check_reason(CaseAction::Close, None).is_err());
        assert!(check_reason(CaseAction::Suspend, None).is_ok());
    }

    use super::*;

    #[test]
    fn lifecycle_close_and_reopen() {
        assert_eq!(transition(CaseState::Open, CaseAction::Close), Ok(CaseState::Closed));
        assert_eq!(transition(CaseState::Closed, CaseAction::Reopen), Ok(CaseState::Reopened));
        assert_eq!(transition(CaseState::Reopened, CaseAction::Close), Ok(CaseState::Closed));
        assert_eq!(transition(CaseState::Open, CaseAction::Suspend), Ok(CaseState::Suspended));
        assert_eq!(transition(CaseState::Suspended, CaseAction::Resume), Ok(CaseState::Open));
        assert_eq!(transition(CaseState::Suspended, CaseAction::Close), Ok(CaseState::Closed));
    }

    #[test]
    fn forbidden_transitions_are_typed_errors() {
        for (from, action) in [
            (CaseState::Closed, CaseAction::Close),
            (CaseState::Closed, CaseAction::Suspend),
            (CaseState::Closed, CaseAction::Resume),
            (CaseState::Open, CaseAction::Reopen),
            (CaseState::Open, CaseAction::Resume),
            (CaseState::Suspended, CaseAction::Suspend),
        ] {
            assert_eq!(transition(from, action).map_err(|e| e.code), Err("INVALID_TRANSITION"), "{from:?} {action:?}");
        }
    }

    #[test]
    fn only_active_cases_take_new_work() {
        assert!(require_active(CaseState::Open).is_ok());
        assert!(require_active(CaseState::Reopened).is_ok());
        assert_eq!(require_active(CaseState::Closed).map_err(|e| e.code), Err("CASE_NOT_ACTIVE"));
        assert_eq!(require_active(CaseState::Suspended).map_err(|e| e.code), Err("CASE_NOT_ACTIVE"));
    }

    #[test]
    fn event_dates_are_consistent() {
        let d = |m, day| NaiveDate::from_ymd_opt(2025, m, day).unwrap_or_default();
        assert!(check_event_date(d(3, 1), None, d(3, 1), d(4, 1)).is_ok());
        assert!(check_event_date(d(3, 1), None, d(2, 28), d(4, 1)).is_err());
        assert!(check_event_date(d(3, 1), None, d(4, 2), d(4, 1)).is_err());
        assert!(check_event_date(d(3, 1), Some(d(3, 20)), d(3, 10), d(4, 1)).is_err());
        assert!(check_event_date(d(3, 1), Some(d(3, 20)), d(3, 20), d(4, 1)).is_ok());
        assert!(check_work_date(d(3, 1), d(2, 1), "recordedOn").is_err());
        assert!(check_work_date(d(3, 1), d(3, 1), "recordedOn").is_ok());
    }
}
