//! Individual plans (PAI, PEI for minors, PTI for minors in residential care), their objectives
//! and reviews.

use chrono::{Months, NaiveDate};

use crate::error::{DomainError, DomainResult, check_period, check_text};
use crate::ids::{CaseId, ObjectiveId, OperatorId, PlanId};

string_enum! {
    /// The kind of plan.
    PlanKind {
        /// *Piano Assistenziale Individualizzato*.
        Pai = "pai",
        /// *Piano Educativo Individualizzato* (minors).
        Pei = "pei",
        /// *Progetto Terapeutico Individualizzato* (minors in residential care).
        Pti = "pti",
    }
}

string_enum! {
    /// The state of a plan.
    PlanState {
        /// In force.
        Active = "active",
        /// Ended.
        Closed = "closed",
    }
}

string_enum! {
    /// The term of an objective.
    Term {
        /// Short term.
        Short = "short",
        /// Medium term.
        Medium = "medium",
        /// Long term.
        Long = "long",
    }
}

string_enum! {
    /// How far an objective was attained at a review.
    Attainment {
        /// Not reached.
        NotReached = "not_reached",
        /// Partly reached.
        Partly = "partly",
        /// Reached.
        Reached = "reached",
        /// Exceeded.
        Exceeded = "exceeded",
    }
}

/// An individual plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Key.
    pub id: PlanId,
    /// The case.
    pub case_id: CaseId,
    /// Kind.
    pub kind: PlanKind,
    /// State.
    pub state: PlanState,
    /// First day.
    pub starts_on: NaiveDate,
    /// Planned end.
    pub planned_end_on: Option<NaiveDate>,
    /// Review every N months.
    pub review_every_months: i16,
    /// Next review due.
    pub next_review_on: NaiveDate,
    /// Closure reason.
    pub closure_reason: Option<String>,
}

/// An objective of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Objective {
    /// Key.
    pub id: ObjectiveId,
    /// The plan.
    pub plan_id: PlanId,
    /// Term.
    pub term: Term,
    /// Description.
    pub description: String,
    /// Due date.
    pub due_on: Option<NaiveDate>,
    /// Attainment at the last review.
    pub attainment: Option<Attainment>,
}

/// A review of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanReview {
    /// The plan.
    pub plan_id: PlanId,
    /// Reviewed on.
    pub reviewed_on: NaiveDate,
    /// Reviewer.
    pub reviewed_by: Option<OperatorId>,
    /// Notes (free text: never leaves the case).
    pub notes: Option<String>,
}

/// Checks a new plan and returns the date of its first review.
pub fn validate_new_plan(
    starts_on: NaiveDate,
    planned_end_on: Option<NaiveDate>,
    review_every_months: i16,
    objectives: &[(Term, String, Option<NaiveDate>)],
) -> DomainResult<NaiveDate> {
    check_period(starts_on, planned_end_on, "plannedEndOn")?;
    if !(1..=24).contains(&review_every_months) {
        return Err(DomainError::field("OUT_OF_RANGE", "reviewEveryMonths", "reviews are every 1 to 24 months"));
    }
    if objectives.is_empty() {
        return Err(DomainError::field("REQUIRED", "objectives", "a plan needs at least one objective"));
    }
    for (_, description, due) in objectives {
        check_text(description, "objectives", 500)?;
        if let Some(due) = due
            && *due < starts_on
        {
            return Err(DomainError::field("INVALID_DATE", "objectives", "an objective is due before the plan starts"));
        }
    }
    next_review(starts_on, review_every_months)
}

/// The plan in force among a case's plans: the active one that started last (the newest by
/// id among those starting the same day). A case has at most one in normal use; when data
/// imported from older systems has several, every reader and every rule takes the same one.
pub fn in_force(plans: impl IntoIterator<Item = Plan>) -> Option<Plan> {
    plans.into_iter().filter(|p| p.state == PlanState::Active).max_by_key(|p| (p.starts_on, p.id.0))
}

/// The review date `months` after `from`.
pub fn next_review(from: NaiveDate, months: i16) -> DomainResult<NaiveDate> {
    u32::try_from(months)
        .ok()
        .and_then(|m| from.checked_add_months(Months::new(m)))
        .ok_or_else(|| DomainError::field("OUT_OF_RANGE", "reviewEveryMonths", "the review date is out of range"))
}

/// Checks a review and returns the next review date.
pub fn check_review(plan: &Plan, reviewed_on: NaiveDate, today: NaiveDate) -> DomainResult<NaiveDate> {
    if plan.state != PlanState::Active {
        return Err(DomainError::new("PLAN_CLOSED", "a closed plan cannot be reviewed"));
    }
    if reviewed_on < plan.starts_on || reviewed_on > today {
        return Err(DomainError::field(
            "INVALID_DATE",
            "reviewedOn",
            "the review date is outside the plan or in the future",
        ));
    }
    next_review(reviewed_on, plan.review_every_months)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn a_plan_is_reviewed_on_schedule() {
        let objectives = vec![(Term::Short, "Daily help at home".to_string(), None)];
        assert_eq!(validate_new_plan(d(2025, 1, 31), None, 6, &objectives), Ok(d(2025, 7, 31)));
        assert!(validate_new_plan(d(2025, 1, 1), None, 0, &objectives).is_err());
        assert!(validate_new_plan(d(2025, 1, 1), None, 6, &[]).is_err());
        assert!(validate_new_plan(d(2025, 1, 1), Some(d(2024, 1, 1)), 6, &objectives).is_err());
    }

    #[test]
    fn reviews_move_the_next_date() {
        let plan = Plan {
            id: PlanId(1),
            case_id: CaseId(1),
            kind: PlanKind::Pai,
            state: PlanState::Active,
            starts_on: d(2025, 1, 1),
            planned_end_on: None,
            review_every_months: 6,
            next_review_on: d(2025, 7, 1),
            closure_reason: None,
        };
        assert_eq!(check_review(&plan, d(2025, 6, 20), d(2025, 7, 1)), Ok(d(2025, 12, 20)));
        assert!(check_review(&plan, d(2024, 6, 20), d(2025, 7, 1)).is_err());
        let closed = Plan { state: PlanState::Closed, ..plan };
        assert_eq!(check_review(&closed, d(2025, 6, 20), d(2025, 7, 1)).map_err(|e| e.code), Err("PLAN_CLOSED"));
    }

    #[test]
    fn the_plan_in_force_is_the_active_one_that_started_last() {
        let plan = |id, state, starts_on| Plan {
            id: PlanId(id),
            case_id: CaseId(1),
            kind: PlanKind::Pai,
            state,
            starts_on,
            planned_end_on: None,
            review_every_months: 6,
            next_review_on: d(2026, 1, 1),
            closure_reason: None,
        };
        let plans = vec![
            plan(1, PlanState::Active, d(2025, 1, 1)),
            plan(2, PlanState::Active, d(2025, 3, 1)),
            plan(3, PlanState::Closed, d(2025, 6, 1)),
            plan(4, PlanState::Active, d(2024, 1, 1)),
        ];
        assert_eq!(in_force(plans.clone()).map(|p| p.id), Some(PlanId(2)));
        assert_eq!(in_force(plans.into_iter().rev()).map(|p| p.id), Some(PlanId(2)));
        assert_eq!(in_force(vec![plan(3, PlanState::Closed, d(2025, 6, 1))]), None);
    }
}
