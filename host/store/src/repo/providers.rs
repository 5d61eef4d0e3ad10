//! Providers, placements and monthly presences.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use siso_domain::ids::{InterventionId, OperatorId, OrgUnitId, PlacementId, ProviderId};
use siso_domain::money::Money;
use siso_domain::provider::{MonthlyPresence, Placement, Provider};

use super::{Conn, raw};
use crate::entities::{monthly_presences, placements, providers};
use crate::error::StoreError;

fn to_provider(m: providers::Model) -> Provider {
    Provider {
        id: ProviderId(m.id),
        org_unit_id: OrgUnitId(m.org_unit_id),
        name: m.name,
        vat_number: m.vat_number,
        accreditation: m.accreditation,
        places: m.places,
    }
}

/// Inserts a provider (the `id` is ignored).
pub async fn insert(c: &impl Conn, p: &Provider, now: DateTime<Utc>) -> Result<Provider, StoreError> {
    let m = providers::ActiveModel {
        org_unit_id: Set(p.org_unit_id.0),
        name: Set(p.name.clone()),
        vat_number: Set(p.vat_number.clone()),
        accreditation: Set(p.accreditation.clone()),
        places: Set(p.places),
        created_at: Set(now),
        ..Default::default()
    };
    let p = to_provider(providers::Entity::insert(m).exec_with_returning(c.db()).await?);
    // The policy maps providers to their units (what their staff may read).
    super::authz::bump_generation(c).await?;
    Ok(p)
}

/// One provider.
pub async fn get(c: &impl Conn, id: ProviderId) -> Result<Option<Provider>, StoreError> {
    Ok(providers::Entity::find_by_id(id.0).one(c.db()).await?.map(to_provider))
}

/// Several providers.
pub async fn get_many(c: &impl Conn, ids: &[ProviderId]) -> Result<Vec<Provider>, StoreError> {
    let rows = providers::Entity::find().filter(providers::Column::Id.is_in(raw(ids))).all(c.db()).await?;
    Ok(rows.into_iter().map(to_provider).collect())
}

/// All providers.
pub async fn all(c: &impl Conn) -> Result<Vec<Provider>, StoreError> {
    let rows = providers::Entity::find().order_by_asc(providers::Column::Id).all(c.db()).await?;
    Ok(rows.into_iter().map(to_provider).collect())
}

fn to_placement(m: placements::Model) -> Placement {
    Placement {
        id: PlacementId(m.id),
        intervention_id: InterventionId(m.intervention_id),
        provider_id: ProviderId(m.provider_id),
        daily_fee: Money::from_cents(m.daily_fee_cents),
        starts_on: m.starts_on,
        ends_on: m.ends_on,
    }
}

/// Inserts a placement (the `id` is ignored).
pub async fn insert_placement(c: &impl Conn, p: &Placement, now: DateTime<Utc>) -> Result<Placement, StoreError> {
    let m = placements::ActiveModel {
        intervention_id: Set(p.intervention_id.0),
        provider_id: Set(p.provider_id.0),
        daily_fee_cents: Set(p.daily_fee.cents()),
        starts_on: Set(p.starts_on),
        ends_on: Set(p.ends_on),
        created_at: Set(now),
        ..Default::default()
    };
    Ok(to_placement(placements::Entity::insert(m).exec_with_returning(c.db()).await?))
}

/// One placement.
pub async fn get_placement(c: &impl Conn, id: PlacementId) -> Result<Option<Placement>, StoreError> {
    Ok(placements::Entity::find_by_id(id.0).one(c.db()).await?.map(to_placement))
}

/// Placements of some interventions.
pub async fn placements_of(c: &impl Conn, ids: &[InterventionId]) -> Result<Vec<Placement>, StoreError> {
    let rows = placements::Entity::find()
        .filter(placements::Column::InterventionId.is_in(raw(ids)))
        .order_by_asc(placements::Column::Id)
        .all(c.db())
        .await?;
    Ok(rows.into_iter().map(to_placement).collect())
}

/// Records the presences of a month (a second record for the same month is a duplicate).
pub async fn insert_presence(
    c: &impl Conn,
    p: &MonthlyPresence,
    by: Option<OperatorId>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let m = monthly_presences::ActiveModel {
        placement_id: Set(p.placement_id.0),
        month: Set(p.month),
        days_present: Set(p.days_present),
        amount_due_cents: Set(p.amount_due.cents()),
        recorded_by: Set(by.map(|o| o.0)),
        recorded_at: Set(now),
        ..Default::default()
    };
    monthly_presences::Entity::insert(m).exec_without_returning(c.db()).await?;
    Ok(())
}

/// Presences of some placements, by month.
pub async fn presences_of(c: &impl Conn, ids: &[PlacementId]) -> Result<Vec<MonthlyPresence>, StoreError> {
    let rows = monthly_presences::Entity::find()
        .filter(monthly_presences::Column::PlacementId.is_in(raw(ids)))
        .order_by_asc(monthly_presences::Column::Month)
        .all(c.db())
        .await?;
    Ok(rows
        .into_iter()
        .map(|m| MonthlyPresence {
            placement_id: PlacementId(m.placement_id),
            month: m.month,
            days_present: m.days_present,
            amount_due: Money::from_cents(m.amount_due_cents),
        })
        .collect())
}

/// Presence of one month, if recorded.
pub async fn presence(c: &impl Conn, id: PlacementId, month: NaiveDate) -> Result<Option<MonthlyPresence>, StoreError> {
    let rows = presences_of(c, &[id]).await?;
    Ok(rows.into_iter().find(|p| p.month == month))
}
