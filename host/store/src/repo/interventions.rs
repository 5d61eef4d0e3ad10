//! Interventions, their history and their disbursements.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use siso_domain::ids::{
    CaseId, CatalogueEntryId, DisbursementId, FundingLineId, InterventionId, IseeId, OperatorId, OrgUnitId, PlanId,
    ProviderId,
};
use siso_domain::intervention::{BenefitCharacter, Disbursement, Intervention, InterventionState, MeansTest};
use siso_domain::money::Money;

use super::{Conn, Units, code, raw};
use crate::entities::{disbursements, intervention_events, interventions};
use crate::error::StoreError;
use crate::page::{self, Page, PageRequest};
pub use siso_domain::intervention::InterventionEvent;
pub use siso_domain::intervention::StoredIntervention;

fn to_intervention(m: interventions::Model) -> Result<StoredIntervention, StoreError> {
    Ok(StoredIntervention {
        org_unit_id: OrgUnitId(m.org_unit_id),
        disbursed: Money::from_cents(m.disbursed_cents),
        intervention: Intervention {
            id: InterventionId(m.id),
            case_id: CaseId(m.case_id),
            plan_id: m.plan_id.map(PlanId),
            catalogue_entry_id: CatalogueEntryId(m.catalogue_entry_id),
            state: code(InterventionState::parse, "intervention state", &m.state)?,
            requested_amount: Money::from_cents(m.requested_cents),
            authorised_amount: m.authorised_cents.map(Money::from_cents),
            monthly_amount: m.monthly_cents.map(Money::from_cents),
            monthly_hours_centi: m.monthly_hours_centi,
            starts_on: m.starts_on,
            ends_on: m.ends_on,
            provider_id: m.provider_id.map(ProviderId),
            funding_line_id: m.funding_line_id.map(FundingLineId),
            co_payment_monthly: m.co_payment_monthly_cents.map(Money::from_cents),
            means_test: code(MeansTest::parse, "means test", &m.means_test)?,
            character: code(BenefitCharacter::parse, "benefit character", &m.benefit_character)?,
            isee_threshold: m.isee_threshold_cents.map(Money::from_cents),
            isee_id: m.isee_id.map(IseeId),
            application_protocol: m.application_protocol,
            requested_on: m.requested_on,
            decided_on: m.decided_on,
            requested_by: m.requested_by.map(OperatorId),
            decided_by: m.decided_by.map(OperatorId),
            reason: m.reason,
            event_on: m.event_on,
            taken_in_charge: m.taken_in_charge,
        },
    })
}

fn model(i: &Intervention, org: OrgUnitId, disbursed: Money, now: DateTime<Utc>) -> interventions::ActiveModel {
    interventions::ActiveModel {
        case_id: Set(i.case_id.0),
        org_unit_id: Set(org.0),
        plan_id: Set(i.plan_id.map(|p| p.0)),
        catalogue_entry_id: Set(i.catalogue_entry_id.0),
        state: Set(i.state.as_str().into()),
        requested_cents: Set(i.requested_amount.cents()),
        authorised_cents: Set(i.authorised_amount.map(Money::cents)),
        disbursed_cents: Set(disbursed.cents()),
        monthly_cents: Set(i.monthly_amount.map(Money::cents)),
        monthly_hours_centi: Set(i.monthly_hours_centi),
        starts_on: Set(i.starts_on),
        ends_on: Set(i.ends_on),
        provider_id: Set(i.provider_id.map(|p| p.0)),
        funding_line_id: Set(i.funding_line_id.map(|f| f.0)),
        co_payment_monthly_cents: Set(i.co_payment_monthly.map(Money::cents)),
        means_test: Set(i.means_test.as_str().into()),
        benefit_character: Set(i.character.as_str().into()),
        isee_threshold_cents: Set(i.isee_threshold.map(Money::cents)),
        isee_id: Set(i.isee_id.map(|x| x.0)),
        application_protocol: Set(i.application_protocol.clone()),
        requested_on: Set(i.requested_on),
        decided_on: Set(i.decided_on),
        requested_by: Set(i.requested_by.map(|o| o.0)),
        decided_by: Set(i.decided_by.map(|o| o.0)),
        reason: Set(i.reason.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        event_on: Set(i.event_on),
        taken_in_charge: Set(i.taken_in_charge),
        ..Default::default()
    }
}

/// Inserts an intervention (the `id` is ignored).
pub async fn insert(
    c: &impl Conn,
    i: &Intervention,
    org: OrgUnitId,
    now: DateTime<Utc>,
) -> Result<StoredIntervention, StoreError> {
    to_intervention(interventions::Entity::insert(model(i, org, Money::ZERO, now)).exec_with_returning(c.db()).await?)
}

/// Inserts many interventions with their disbursed totals (data generator, bulk import).
pub async fn insert_many(
    c: &impl Conn,
    items: &[(Intervention, OrgUnitId, Money)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if items.is_empty() {
        return Ok(());
    }
    interventions::Entity::insert_many(items.iter().map(|(i, o, d)| model(i, *o, *d, now)))
        .exec_without_returning(c.db())
        .await?;
    Ok(())
}

/// One intervention; `for_update` locks it until the transaction ends.
pub async fn get(
    c: &impl Conn,
    id: InterventionId,
    for_update: bool,
) -> Result<Option<StoredIntervention>, StoreError> {
    let mut q = interventions::Entity::find_by_id(id.0);
    if for_update {
        q = q.lock_exclusive();
    }
    q.one(c.db()).await?.map(to_intervention).transpose()
}

/// Several interventions.
pub async fn get_many(c: &impl Conn, ids: &[InterventionId]) -> Result<Vec<StoredIntervention>, StoreError> {
    let rows = interventions::Entity::find().filter(interventions::Column::Id.is_in(raw(ids))).all(c.db()).await?;
    rows.into_iter().map(to_intervention).collect()
}

/// Moves the interventions of a case to another unit (when the case is reassigned).
pub async fn move_case(c: &impl Conn, case: CaseId, org: OrgUnitId) -> Result<(), StoreError> {
    interventions::Entity::update_many()
        .col_expr(interventions::Column::OrgUnitId, sea_orm::sea_query::Expr::value(org.0))
        .filter(interventions::Column::CaseId.eq(case.0))
        .exec(c.db())
        .await?;
    Ok(())
}

/// Writes back the mutable fields of an intervention and its disbursed total.
pub async fn update(c: &impl Conn, s: &StoredIntervention, now: DateTime<Utc>) -> Result<(), StoreError> {
    let i = &s.intervention;
    let m = interventions::ActiveModel {
        id: Set(i.id.0),
        state: Set(i.state.as_str().into()),
        authorised_cents: Set(i.authorised_amount.map(Money::cents)),
        disbursed_cents: Set(s.disbursed.cents()),
        monthly_cents: Set(i.monthly_amount.map(Money::cents)),
        ends_on: Set(i.ends_on),
        provider_id: Set(i.provider_id.map(|p| p.0)),
        funding_line_id: Set(i.funding_line_id.map(|f| f.0)),
        co_payment_monthly_cents: Set(i.co_payment_monthly.map(Money::cents)),
        decided_on: Set(i.decided_on),
        decided_by: Set(i.decided_by.map(|o| o.0)),
        reason: Set(i.reason.clone()),
        updated_at: Set(now),
        ..Default::default()
    };
    interventions::Entity::update(m).exec(c.db()).await?;
    Ok(())
}

/// Filters of the intervention list.
#[derive(Debug, Clone, Default)]
pub struct InterventionFilter {
    /// Only these organisation units.
    pub org_units: Option<Units>,
    /// Only of this case.
    pub case: Option<CaseId>,
    /// Only these states.
    pub states: Option<Vec<InterventionState>>,
    /// Only of this provider.
    pub provider: Option<ProviderId>,
    /// Only on this funding line.
    pub funding_line: Option<FundingLineId>,
    /// Also those assigned to these providers, whatever their unit (what a provider's staff
    /// may read); only with `org_units`.
    pub assigned_to: Option<Vec<ProviderId>>,
}

/// A page of interventions.
pub async fn list(
    c: &impl Conn,
    f: &InterventionFilter,
    req: &PageRequest,
) -> Result<Page<StoredIntervention>, StoreError> {
    let mut cond = Condition::all();
    match (&f.org_units, &f.assigned_to) {
        (Some(units), Some(providers)) if !providers.is_empty() => {
            cond = cond.add(
                Condition::any()
                    .add(units.contain(interventions::Column::OrgUnitId))
                    .add(interventions::Column::ProviderId.is_in(raw(providers))),
            );
        }
        (Some(units), _) => cond = cond.add(units.contain(interventions::Column::OrgUnitId)),
        (None, _) => {}
    }
    if let Some(case) = f.case {
        cond = cond.add(interventions::Column::CaseId.eq(case.0));
    }
    if let Some(states) = &f.states {
        cond = cond.add(interventions::Column::State.is_in(states.iter().map(|s| s.as_str())));
    }
    if let Some(p) = f.provider {
        cond = cond.add(interventions::Column::ProviderId.eq(p.0));
    }
    if let Some(l) = f.funding_line {
        cond = cond.add(interventions::Column::FundingLineId.eq(l.0));
    }
    let rows =
        page::apply(interventions::Entity::find().filter(cond), interventions::Column::Id, req).all(c.db()).await?;
    let rows = rows.into_iter().map(to_intervention).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_fetched(rows, req))
}

/// Interventions of some cases.
pub async fn of_cases(c: &impl Conn, ids: &[CaseId]) -> Result<Vec<StoredIntervention>, StoreError> {
    let rows = interventions::Entity::find()
        .filter(interventions::Column::CaseId.is_in(raw(ids)))
        .order_by_asc(interventions::Column::Id)
        .all(c.db())
        .await?;
    rows.into_iter().map(to_intervention).collect()
}

/// Appends to an intervention's history.
pub async fn insert_event(c: &impl Conn, e: &InterventionEvent, now: DateTime<Utc>) -> Result<(), StoreError> {
    let m = intervention_events::ActiveModel {
        intervention_id: Set(e.intervention_id.0),
        from_state: Set(e.from_state.map(|s| s.as_str().into())),
        to_state: Set(e.to_state.as_str().into()),
        occurred_on: Set(e.on),
        reason: Set(e.reason.clone()),
        recorded_by: Set(e.recorded_by.map(|o| o.0)),
        recorded_at: Set(now),
        ..Default::default()
    };
    intervention_events::Entity::insert(m).exec_without_returning(c.db()).await?;
    Ok(())
}

/// History of some interventions.
pub async fn events_of(c: &impl Conn, ids: &[InterventionId]) -> Result<Vec<InterventionEvent>, StoreError> {
    let rows = intervention_events::Entity::find()
        .filter(intervention_events::Column::InterventionId.is_in(raw(ids)))
        .order_by_asc(intervention_events::Column::Id)
        .all(c.db())
        .await?;
    rows.into_iter()
        .map(|m| {
            Ok(InterventionEvent {
                intervention_id: InterventionId(m.intervention_id),
                from_state: m.from_state.as_deref().map(|s| code(InterventionState::parse, "state", s)).transpose()?,
                to_state: code(InterventionState::parse, "state", &m.to_state)?,
                on: m.occurred_on,
                reason: m.reason,
                recorded_by: m.recorded_by.map(OperatorId),
            })
        })
        .collect()
}

fn to_disbursement(m: disbursements::Model) -> Disbursement {
    Disbursement {
        id: DisbursementId(m.id),
        intervention_id: InterventionId(m.intervention_id),
        paid_on: m.paid_on,
        period_from: m.period_from,
        period_to: m.period_to,
        amount: Money::from_cents(m.amount_cents),
        ente_share: Money::from_cents(m.ente_cents),
        user_share: Money::from_cents(m.user_cents),
        ssn_share: Money::from_cents(m.ssn_cents),
        other_share: Money::from_cents(m.other_cents),
        hours_centi: m.hours_centi,
        recorded_by: m.recorded_by.map(OperatorId),
    }
}

fn disbursement_model(d: &Disbursement, now: DateTime<Utc>) -> disbursements::ActiveModel {
    disbursements::ActiveModel {
        intervention_id: Set(d.intervention_id.0),
        paid_on: Set(d.paid_on),
        period_from: Set(d.period_from),
        period_to: Set(d.period_to),
        amount_cents: Set(d.amount.cents()),
        ente_cents: Set(d.ente_share.cents()),
        user_cents: Set(d.user_share.cents()),
        ssn_cents: Set(d.ssn_share.cents()),
        other_cents: Set(d.other_share.cents()),
        hours_centi: Set(d.hours_centi),
        recorded_by: Set(d.recorded_by.map(|o| o.0)),
        created_at: Set(now),
        ..Default::default()
    }
}

/// Inserts a disbursement (the `id` is ignored).
pub async fn insert_disbursement(
    c: &impl Conn,
    d: &Disbursement,
    now: DateTime<Utc>,
) -> Result<Disbursement, StoreError> {
    Ok(to_disbursement(disbursements::Entity::insert(disbursement_model(d, now)).exec_with_returning(c.db()).await?))
}

/// Inserts many disbursements (data generator, bulk import).
pub async fn insert_disbursements(c: &impl Conn, ds: &[Disbursement], now: DateTime<Utc>) -> Result<(), StoreError> {
    if ds.is_empty() {
        return Ok(());
    }
    disbursements::Entity::insert_many(ds.iter().map(|d| disbursement_model(d, now)))
        .exec_without_returning(c.db())
        .await?;
    Ok(())
}

/// Disbursements of some interventions.
pub async fn disbursements_of(c: &impl Conn, ids: &[InterventionId]) -> Result<Vec<Disbursement>, StoreError> {
    let rows = disbursements::Entity::find()
        .filter(disbursements::Column::InterventionId.is_in(raw(ids)))
        .order_by_asc(disbursements::Column::Id)
        .all(c.db())
        .await?;
    Ok(rows.into_iter().map(to_disbursement).collect())
}

/// Sum of the disbursements of an intervention straight from the table (consistency checks).
pub async fn sum_disbursed(c: &impl Conn, id: InterventionId) -> Result<Money, StoreError> {
    let rows = disbursements::Entity::find()
        .select_only()
        .column(disbursements::Column::AmountCents)
        .filter(disbursements::Column::InterventionId.eq(id.0))
        .into_tuple::<i64>()
        .all(c.db())
        .await?;
    Ok(rows.into_iter().map(Money::from_cents).sum())
}
