//! Individual plans: creation and reviews.

use chrono::NaiveDate;
use siso_domain::case::{self, Case};
use siso_domain::error::check_text;
use siso_domain::ids::*;
use siso_domain::plan::{self, Attainment, Plan, PlanKind, PlanReview, PlanState, Term};
use siso_store::Tx;
use siso_store::repo::{cases as case_repo, persons as person_repo, plans as plan_repo};

use crate::authz::{Action, check};
use crate::error::{AppError, AppResult};
use crate::{Actor, App, audit};
use siso_plugins::Hook;
use siso_plugins::model::Change;

use super::{as_missing, load_case};

/// A new plan with its objectives.
#[derive(Debug, Clone)]
pub struct CreatePlan {
    /// case id.
    pub case_id: CaseId,
    /// kind.
    pub kind: PlanKind,
    /// starts on.
    pub starts_on: NaiveDate,
    /// planned end on.
    pub planned_end_on: Option<NaiveDate>,
    /// review every months.
    pub review_every_months: i16,
    /// objectives.
    pub objectives: Vec<(Term, String, Option<NaiveDate>)>,
}

impl App {
    /// A plan as plug-ins see it when it is created or reviewed (`review`).
    async fn plan_change(&self, tx: &Tx, case: &Case, p: &Plan, review: Option<NaiveDate>) -> AppResult<Change> {
        let person = person_repo::get(tx, case.person_id).await?.ok_or(AppError::not_found("person", "personId"))?;
        let mut assessments = case_repo::assessments_of(tx, &[case.id]).await?;
        assessments.sort_by_key(|a| std::cmp::Reverse((a.assessed_on, a.id.0)));
        let objectives = plan_repo::objectives_of(tx, &[p.id]).await?;
        let mut plan = p.clone();
        let mut objectives = objectives;
        if review.is_none() {
            // A plan being created shows plug-ins no ids (as any record being created): the
            // question stays the same whatever ids a retried transaction draws.
            plan.id = PlanId(0);
            objectives.iter_mut().for_each(|o| {
                o.id = ObjectiveId(0);
                o.plan_id = PlanId(0);
            });
        }
        Ok(Change::PlanSaved(Box::new(siso_plugins::model::PlanChange {
            person,
            case: case.clone(),
            assessments,
            plan,
            objectives,
            review,
        })))
    }

    /// Creates a plan with its objectives on an active case.
    pub async fn create_plan(&self, actor: &Actor, cmd: CreatePlan) -> AppResult<Plan> {
        self.hooked(|| Box::pin(self.create_plan_once(actor, cmd.clone()))).await
    }

    async fn create_plan_once(&self, actor: &Actor, cmd: CreatePlan) -> AppResult<Plan> {
        let CreatePlan { case_id, kind, starts_on, planned_end_on, review_every_months, objectives } = cmd;
        let next_review_on = plan::validate_new_plan(starts_on, planned_end_on, review_every_months, &objectives)?;
        let tx = self.begin().await?;
        let case = load_case(&tx, actor, case_id, false).await?;
        check(actor, Action::Write, case.org_unit_id)?;
        case::require_active(case.state)?;
        let p = Plan {
            id: PlanId(0),
            case_id,
            kind,
            state: PlanState::Active,
            starts_on,
            planned_end_on,
            review_every_months,
            next_review_on,
            closure_reason: None,
        };
        let p = plan_repo::insert(&tx, &p, &objectives, actor.operator_id, self.clock().now()).await?;
        let outcomes = self
            .validate(&tx, case.org_unit_id, Hook::PlanSaved, async || self.plan_change(&tx, &case, &p, None).await)
            .await?;
        self.plugins.record(&tx, "plan", p.id.0, &outcomes).await?;
        audit::record(&tx, self.clock(), actor, "plan.create", "plan", p.id.0, Some(case.person_id)).await?;
        self.commit(tx).await?;
        Ok(p)
    }

    /// Reviews a plan: scores its objectives and moves the next review date.
    pub async fn review_plan(
        &self,
        actor: &Actor,
        plan_id: PlanId,
        reviewed_on: NaiveDate,
        attainments: Vec<(ObjectiveId, Attainment)>,
        notes: Option<String>,
    ) -> AppResult<Plan> {
        self.hooked(|| Box::pin(self.review_plan_once(actor, plan_id, reviewed_on, attainments.clone(), notes.clone())))
            .await
    }

    async fn review_plan_once(
        &self,
        actor: &Actor,
        plan_id: PlanId,
        reviewed_on: NaiveDate,
        attainments: Vec<(ObjectiveId, Attainment)>,
        notes: Option<String>,
    ) -> AppResult<Plan> {
        if let Some(n) = &notes {
            check_text(n, "notes", 4000)?;
        }
        let tx = self.begin().await?;
        let mut p = plan_repo::get(&tx, plan_id, true).await?.ok_or(AppError::not_found("plan", "planId"))?;
        let case = as_missing(load_case(&tx, actor, p.case_id, false).await, "plan", "planId")?;
        check(actor, Action::Write, case.org_unit_id)?;
        let next = plan::check_review(&p, reviewed_on, self.clock().today())?;
        let objectives = plan_repo::objectives_of(&tx, &[plan_id]).await?;
        if let Some((unknown, _)) = attainments.iter().find(|(id, _)| !objectives.iter().any(|o| o.id == *id)) {
            let _ = unknown;
            return Err(AppError::not_found("objective", "attainments"));
        }
        let review = PlanReview { plan_id, reviewed_on, reviewed_by: actor.operator_id, notes };
        plan_repo::insert_review(&tx, &review, &attainments, next, self.clock().now()).await?;
        p.next_review_on = next;
        let outcomes = self
            .validate(&tx, case.org_unit_id, Hook::PlanSaved, async || {
                self.plan_change(&tx, &case, &p, Some(reviewed_on)).await
            })
            .await?;
        self.plugins.record(&tx, "plan", p.id.0, &outcomes).await?;
        audit::record(&tx, self.clock(), actor, "plan.review", "plan", p.id.0, Some(case.person_id)).await?;
        self.commit(tx).await?;
        Ok(p)
    }
}
