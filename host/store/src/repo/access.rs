//! Access sheets.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter};
use siso_domain::access::{AccessChannel, AccessSheet, AccessSheetState, ReferralSource, ReporterKind};
use siso_domain::ids::{AccessSheetId, CaseId, OperatorId, OrgUnitId, PersonId};

use super::{Conn, Units, code, from_json, json, raw};
use crate::entities::access_sheets;
use crate::error::StoreError;
use crate::page::{self, Page, PageRequest};

fn to_sheet(m: access_sheets::Model) -> Result<AccessSheet, StoreError> {
    Ok(AccessSheet {
        id: AccessSheetId(m.id),
        org_unit_id: OrgUnitId(m.org_unit_id),
        operator_id: m.operator_id.map(OperatorId),
        person_id: m.person_id.map(PersonId),
        access_on: m.access_on,
        channel: code(AccessChannel::parse, "channel", &m.channel)?,
        reporter: code(ReporterKind::parse, "reporter", &m.reporter)?,
        referral_source: super::opt_code(ReferralSource::parse, "referral source", m.referral_source.as_deref())?,
        reasons: from_json("reasons", &m.reasons)?,
        privacy_consent: m.privacy_consent,
        state: code(AccessSheetState::parse, "access sheet state", &m.state)?,
        case_id: m.case_id.map(CaseId),
    })
}

/// Inserts a sheet (the `id` is ignored).
pub async fn insert(c: &impl Conn, s: &AccessSheet, now: DateTime<Utc>) -> Result<AccessSheet, StoreError> {
    let m = access_sheets::ActiveModel {
        org_unit_id: Set(s.org_unit_id.0),
        operator_id: Set(s.operator_id.map(|o| o.0)),
        person_id: Set(s.person_id.map(|p| p.0)),
        access_on: Set(s.access_on),
        channel: Set(s.channel.as_str().into()),
        reporter: Set(s.reporter.as_str().into()),
        referral_source: Set(s.referral_source.map(|r| r.as_str().into())),
        reasons: Set(json(&s.reasons)),
        privacy_consent: Set(s.privacy_consent),
        state: Set(s.state.as_str().into()),
        case_id: Set(s.case_id.map(|k| k.0)),
        created_at: Set(now),
        ..Default::default()
    };
    to_sheet(access_sheets::Entity::insert(m).exec_with_returning(c.db()).await?)
}

/// One sheet; `for_update` locks it until the transaction ends.
pub async fn get(c: &impl Conn, id: AccessSheetId, for_update: bool) -> Result<Option<AccessSheet>, StoreError> {
    use sea_orm::QuerySelect;
    let mut q = access_sheets::Entity::find_by_id(id.0);
    if for_update {
        q = q.lock_exclusive();
    }
    q.one(c.db()).await?.map(to_sheet).transpose()
}

/// Several sheets.
pub async fn get_many(c: &impl Conn, ids: &[AccessSheetId]) -> Result<Vec<AccessSheet>, StoreError> {
    let rows = access_sheets::Entity::find().filter(access_sheets::Column::Id.is_in(raw(ids))).all(c.db()).await?;
    rows.into_iter().map(to_sheet).collect()
}

/// Marks a sheet forwarded to a case.
pub async fn set_forwarded(c: &impl Conn, id: AccessSheetId, case: CaseId) -> Result<(), StoreError> {
    let m = access_sheets::ActiveModel {
        id: Set(id.0),
        state: Set(AccessSheetState::Forwarded.as_str().into()),
        case_id: Set(Some(case.0)),
        ..Default::default()
    };
    access_sheets::Entity::update(m).exec(c.db()).await?;
    Ok(())
}

/// A page of sheets of some units.
pub async fn list(c: &impl Conn, units: Option<&Units>, req: &PageRequest) -> Result<Page<AccessSheet>, StoreError> {
    let mut cond = Condition::all();
    if let Some(units) = units {
        cond = cond.add(units.contain(access_sheets::Column::OrgUnitId));
    }
    let rows =
        page::apply(access_sheets::Entity::find().filter(cond), access_sheets::Column::Id, req).all(c.db()).await?;
    let rows = rows.into_iter().map(to_sheet).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_fetched(rows, req))
}
