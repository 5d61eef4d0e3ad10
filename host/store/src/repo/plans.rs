//! Plans, objectives and reviews.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use siso_domain::ids::{CaseId, ObjectiveId, OperatorId, PlanId};
use siso_domain::plan::{Attainment, Objective, Plan, PlanKind, PlanReview, PlanState, Term};

use super::{Conn, code, opt_code, raw};
use crate::entities::{plan_objectives, plan_reviews, plans};
use crate::error::StoreError;

fn to_plan(m: plans::Model) -> Result<Plan, StoreError> {
    Ok(Plan {
        id: PlanId(m.id),
        case_id: CaseId(m.case_id),
        kind: code(PlanKind::parse, "plan kind", &m.kind)?,
        state: code(PlanState::parse, "plan state", &m.state)?,
        starts_on: m.starts_on,
        planned_end_on: m.planned_end_on,
        review_every_months: m.review_every_months,
        next_review_on: m.next_review_on,
        closure_reason: m.closure_reason,
    })
}

fn to_objective(m: plan_objectives::Model) -> Result<Objective, StoreError> {
    Ok(Objective {
        id: ObjectiveId(m.id),
        plan_id: PlanId(m.plan_id),
        term: code(Term::parse, "term", &m.term)?,
        description: m.description,
        due_on: m.due_on,
        attainment: opt_code(Attainment::parse, "attainment", m.attainment.as_deref())?,
    })
}

/// Inserts a plan with its objectives (ids ignored).
pub async fn insert(
    c: &impl Conn,
    p: &Plan,
    objectives: &[(Term, String, Option<NaiveDate>)],
    by: Option<OperatorId>,
    now: DateTime<Utc>,
) -> Result<Plan, StoreError> {
    let m = plans::ActiveModel {
        case_id: Set(p.case_id.0),
        kind: Set(p.kind.as_str().into()),
        state: Set(p.state.as_str().into()),
        starts_on: Set(p.starts_on),
        planned_end_on: Set(p.planned_end_on),
        review_every_months: Set(p.review_every_months),
        next_review_on: Set(p.next_review_on),
        closure_reason: Set(None),
        created_by: Set(by.map(|o| o.0)),
        created_at: Set(now),
        ..Default::default()
    };
    let plan = to_plan(plans::Entity::insert(m).exec_with_returning(c.db()).await?)?;
    let rows = objectives.iter().map(|(term, description, due)| plan_objectives::ActiveModel {
        plan_id: Set(plan.id.0),
        term: Set(term.as_str().into()),
        description: Set(description.trim().into()),
        due_on: Set(*due),
        attainment: Set(None),
        ..Default::default()
    });
    plan_objectives::Entity::insert_many(rows).exec_without_returning(c.db()).await?;
    Ok(plan)
}

/// One plan.
pub async fn get(c: &impl Conn, id: PlanId, for_update: bool) -> Result<Option<Plan>, StoreError> {
    use sea_orm::QuerySelect;
    let mut q = plans::Entity::find_by_id(id.0);
    if for_update {
        q = q.lock_exclusive();
    }
    q.one(c.db()).await?.map(to_plan).transpose()
}

/// Plans of some cases.
pub async fn of_cases(c: &impl Conn, ids: &[CaseId]) -> Result<Vec<Plan>, StoreError> {
    let rows = plans::Entity::find()
        .filter(plans::Column::CaseId.is_in(raw(ids)))
        .order_by_asc(plans::Column::Id)
        .all(c.db())
        .await?;
    rows.into_iter().map(to_plan).collect()
}

/// Several plans.
pub async fn get_many(c: &impl Conn, ids: &[PlanId]) -> Result<Vec<Plan>, StoreError> {
    let rows = plans::Entity::find().filter(plans::Column::Id.is_in(raw(ids))).all(c.db()).await?;
    rows.into_iter().map(to_plan).collect()
}

/// Objectives of some plans.
pub async fn objectives_of(c: &impl Conn, ids: &[PlanId]) -> Result<Vec<Objective>, StoreError> {
    let rows = plan_objectives::Entity::find()
        .filter(plan_objectives::Column::PlanId.is_in(raw(ids)))
        .order_by_asc(plan_objectives::Column::Id)
        .all(c.db())
        .await?;
    rows.into_iter().map(to_objective).collect()
}

/// Records a review: the review row, the objectives' attainment and the next review date.
pub async fn insert_review(
    c: &impl Conn,
    r: &PlanReview,
    attainments: &[(ObjectiveId, Attainment)],
    next_review_on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let m = plan_reviews::ActiveModel {
        plan_id: Set(r.plan_id.0),
        reviewed_on: Set(r.reviewed_on),
        reviewed_by: Set(r.reviewed_by.map(|o| o.0)),
        notes: Set(r.notes.clone()),
        created_at: Set(now),
        ..Default::default()
    };
    plan_reviews::Entity::insert(m).exec_without_returning(c.db()).await?;
    for (id, att) in attainments {
        plan_objectives::Entity::update_many()
            .col_expr(plan_objectives::Column::Attainment, sea_orm::sea_query::Expr::value(att.as_str()))
            .filter(plan_objectives::Column::Id.eq(id.0))
            .filter(plan_objectives::Column::PlanId.eq(r.plan_id.0))
            .exec(c.db())
            .await?;
    }
    let m = plans::ActiveModel { id: Set(r.plan_id.0), next_review_on: Set(next_review_on), ..Default::default() };
    plans::Entity::update(m).exec(c.db()).await?;
    Ok(())
}

/// Reviews of some plans.
pub async fn reviews_of(c: &impl Conn, ids: &[PlanId]) -> Result<Vec<PlanReview>, StoreError> {
    let rows = plan_reviews::Entity::find()
        .filter(plan_reviews::Column::PlanId.is_in(raw(ids)))
        .order_by_asc(plan_reviews::Column::Id)
        .all(c.db())
        .await?;
    Ok(rows
        .into_iter()
        .map(|m| PlanReview {
            plan_id: PlanId(m.plan_id),
            reviewed_on: m.reviewed_on,
            reviewed_by: m.reviewed_by.map(OperatorId),
            notes: m.notes,
        })
        .collect())
}
