//! Funds, funding lines and commitments.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use siso_domain::budget::{CommitmentKind, Fund, FundKind, FundingLine};
use siso_domain::ids::{CommitmentId, FundId, FundingLineId, InterventionId, OperatorId, OrgUnitId};
use siso_domain::money::Money;

use super::{Conn, code, raw};
use crate::entities::{commitments, funding_lines, funds};
use crate::error::StoreError;
use crate::page::{self, Page, PageRequest};
pub use siso_domain::budget::Commitment;

fn to_fund(m: funds::Model) -> Result<Fund, StoreError> {
    Ok(Fund {
        id: FundId(m.id),
        org_unit_id: OrgUnitId(m.org_unit_id),
        kind: code(FundKind::parse, "fund kind", &m.kind)?,
        name: m.name,
    })
}

/// Inserts a fund.
pub async fn insert_fund(
    c: &impl Conn,
    org: OrgUnitId,
    kind: FundKind,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Fund, StoreError> {
    let m = funds::ActiveModel {
        org_unit_id: Set(org.0),
        kind: Set(kind.as_str().into()),
        name: Set(name.into()),
        created_at: Set(now),
        ..Default::default()
    };
    to_fund(funds::Entity::insert(m).exec_with_returning(c.db()).await?)
}

/// One fund.
pub async fn get_fund(c: &impl Conn, id: FundId) -> Result<Option<Fund>, StoreError> {
    funds::Entity::find_by_id(id.0).one(c.db()).await?.map(to_fund).transpose()
}

/// Several funds.
pub async fn get_funds(c: &impl Conn, ids: &[FundId]) -> Result<Vec<Fund>, StoreError> {
    let rows = funds::Entity::find().filter(funds::Column::Id.is_in(raw(ids))).all(c.db()).await?;
    rows.into_iter().map(to_fund).collect()
}

/// All funds.
pub async fn all_funds(c: &impl Conn) -> Result<Vec<Fund>, StoreError> {
    let rows = funds::Entity::find().order_by_asc(funds::Column::Id).all(c.db()).await?;
    rows.into_iter().map(to_fund).collect()
}

fn to_line(m: funding_lines::Model) -> FundingLine {
    FundingLine {
        id: FundingLineId(m.id),
        fund_id: FundId(m.fund_id),
        org_unit_id: OrgUnitId(m.org_unit_id),
        name: m.name,
        year: m.year,
        chapter: m.chapter,
        amount: Money::from_cents(m.amount_cents),
        committed: Money::from_cents(m.committed_cents),
    }
}

/// Inserts a funding line (the `id` is ignored; `committed` starts as given).
pub async fn insert_line(c: &impl Conn, l: &FundingLine, now: DateTime<Utc>) -> Result<FundingLine, StoreError> {
    let m = funding_lines::ActiveModel {
        fund_id: Set(l.fund_id.0),
        org_unit_id: Set(l.org_unit_id.0),
        name: Set(l.name.trim().into()),
        year: Set(l.year),
        chapter: Set(l.chapter.clone()),
        amount_cents: Set(l.amount.cents()),
        committed_cents: Set(l.committed.cents()),
        created_at: Set(now),
        ..Default::default()
    };
    Ok(to_line(funding_lines::Entity::insert(m).exec_with_returning(c.db()).await?))
}

/// One funding line; `for_update` locks it until the transaction ends.
pub async fn get_line(c: &impl Conn, id: FundingLineId, for_update: bool) -> Result<Option<FundingLine>, StoreError> {
    let mut q = funding_lines::Entity::find_by_id(id.0);
    if for_update {
        q = q.lock_exclusive();
    }
    Ok(q.one(c.db()).await?.map(to_line))
}

/// Several lines.
pub async fn get_lines(c: &impl Conn, ids: &[FundingLineId]) -> Result<Vec<FundingLine>, StoreError> {
    let rows = funding_lines::Entity::find().filter(funding_lines::Column::Id.is_in(raw(ids))).all(c.db()).await?;
    Ok(rows.into_iter().map(to_line).collect())
}

/// A page of lines of some units.
pub async fn list_lines(
    c: &impl Conn,
    units: Option<&[OrgUnitId]>,
    req: &PageRequest,
) -> Result<Page<FundingLine>, StoreError> {
    let mut cond = Condition::all();
    if let Some(units) = units {
        cond = cond.add(funding_lines::Column::OrgUnitId.is_in(raw(units)));
    }
    let rows =
        page::apply(funding_lines::Entity::find().filter(cond), funding_lines::Column::Id, req).all(c.db()).await?;
    Ok(Page::from_fetched(rows.into_iter().map(to_line).collect(), req))
}

/// Sets the committed total of a line (after the domain rule checked it).
pub async fn set_committed(c: &impl Conn, id: FundingLineId, committed: Money) -> Result<(), StoreError> {
    let m = funding_lines::ActiveModel { id: Set(id.0), committed_cents: Set(committed.cents()), ..Default::default() };
    funding_lines::Entity::update(m).exec(c.db()).await?;
    Ok(())
}

fn to_commitment(m: commitments::Model) -> Result<Commitment, StoreError> {
    Ok(Commitment {
        id: CommitmentId(m.id),
        kind: code(CommitmentKind::parse, "commitment kind", &m.kind)?,
        funding_line_id: FundingLineId(m.funding_line_id),
        intervention_id: m.intervention_id.map(InterventionId),
        amount: Money::from_cents(m.amount_cents),
        committed_on: m.committed_on,
        description: m.description,
        created_by: m.created_by.map(OperatorId),
    })
}

/// Inserts a commitment (the `id` is ignored).
pub async fn insert_commitment(c: &impl Conn, k: &Commitment, now: DateTime<Utc>) -> Result<Commitment, StoreError> {
    let m = commitments::ActiveModel {
        funding_line_id: Set(k.funding_line_id.0),
        intervention_id: Set(k.intervention_id.map(|i| i.0)),
        amount_cents: Set(k.amount.cents()),
        committed_on: Set(k.committed_on),
        description: Set(k.description.clone()),
        created_by: Set(k.created_by.map(|o| o.0)),
        created_at: Set(now),
        kind: Set(k.kind.as_str().into()),
        ..Default::default()
    };
    to_commitment(commitments::Entity::insert(m).exec_with_returning(c.db()).await?)
}

/// Commitments of some lines.
pub async fn commitments_of(c: &impl Conn, ids: &[FundingLineId]) -> Result<Vec<Commitment>, StoreError> {
    let rows = commitments::Entity::find()
        .filter(commitments::Column::FundingLineId.is_in(raw(ids)))
        .order_by_asc(commitments::Column::Id)
        .all(c.db())
        .await?;
    rows.into_iter().map(to_commitment).collect()
}

/// Net commitments of a line (commitments minus releases), straight from the commitments table
/// (consistency checks prove the running total with it).
pub async fn sum_commitments(c: &impl Conn, id: FundingLineId) -> Result<Money, StoreError> {
    let rows = commitments::Entity::find()
        .select_only()
        .column(commitments::Column::Kind)
        .column(commitments::Column::AmountCents)
        .filter(commitments::Column::FundingLineId.eq(id.0))
        .into_tuple::<(String, i64)>()
        .all(c.db())
        .await?;
    Ok(Money::from_cents(
        rows.into_iter()
            .map(|(kind, cents)| if kind == CommitmentKind::Release.as_str() { -cents } else { cents })
            .sum(),
    ))
}
