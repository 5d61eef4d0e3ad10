//! Organisation units and operators.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use siso_domain::ids::{OperatorId, OrgUnitId};
use siso_domain::org::{OrgUnit, OrgUnitKind};

use super::{Conn, code, raw};
use crate::entities::{operator_identities, operators, org_unit_closure, org_units};
use crate::error::StoreError;
pub use siso_domain::org::Operator;

fn to_unit(m: org_units::Model) -> Result<OrgUnit, StoreError> {
    Ok(OrgUnit {
        id: OrgUnitId(m.id),
        parent_id: m.parent_id.map(OrgUnitId),
        kind: code(OrgUnitKind::parse, "org unit kind", &m.kind)?,
        name: m.name,
        istat_code: m.istat_code,
        cadastral_code: m.cadastral_code,
        inps_ente_code: m.inps_ente_code,
        fiscal_code: m.fiscal_code,
    })
}

/// A new organisation unit.
#[derive(Debug, Clone)]
pub struct NewOrgUnit {
    /// Parent.
    pub parent_id: Option<OrgUnitId>,
    /// Kind.
    pub kind: OrgUnitKind,
    /// Name.
    pub name: String,
    /// ISTAT code.
    pub istat_code: Option<String>,
    /// Cadastral code.
    pub cadastral_code: Option<String>,
    /// INPS ente code.
    pub inps_ente_code: Option<String>,
    /// Fiscal code of the ente.
    pub fiscal_code: Option<String>,
}

/// Inserts a unit.
pub async fn insert_unit(c: &impl Conn, u: NewOrgUnit, now: DateTime<Utc>) -> Result<OrgUnit, StoreError> {
    let m = org_units::ActiveModel {
        parent_id: Set(u.parent_id.map(|p| p.0)),
        kind: Set(u.kind.as_str().into()),
        name: Set(u.name),
        istat_code: Set(u.istat_code),
        cadastral_code: Set(u.cadastral_code),
        inps_ente_code: Set(u.inps_ente_code),
        fiscal_code: Set(u.fiscal_code),
        created_at: Set(now),
        ..Default::default()
    };
    let unit = to_unit(org_units::Entity::insert(m).exec_with_returning(c.db()).await?)?;
    // The closure: the unit itself, then each ancestor of its parent one level further.
    let above = match unit.parent_id {
        Some(p) => org_unit_closure::Entity::find()
            .filter(org_unit_closure::Column::UnitId.eq(p.0))
            .all(c.db())
            .await?
            .into_iter()
            .map(|r| (r.ancestor_id, r.depth + 1))
            .collect(),
        None => Vec::new(),
    };
    let rows = std::iter::once((unit.id.0, 0)).chain(above).map(|(ancestor, depth)| org_unit_closure::ActiveModel {
        ancestor_id: Set(ancestor),
        unit_id: Set(unit.id.0),
        depth: Set(depth),
    });
    org_unit_closure::Entity::insert_many(rows).exec_without_returning(c.db()).await?;
    super::authz::bump_generation(c).await?;
    Ok(unit)
}

/// One unit.
pub async fn get_unit(c: &impl Conn, id: OrgUnitId) -> Result<Option<OrgUnit>, StoreError> {
    org_units::Entity::find_by_id(id.0).one(c.db()).await?.map(to_unit).transpose()
}

/// Several units.
pub async fn get_units(c: &impl Conn, ids: &[OrgUnitId]) -> Result<Vec<OrgUnit>, StoreError> {
    let rows = org_units::Entity::find().filter(org_units::Column::Id.is_in(raw(ids))).all(c.db()).await?;
    rows.into_iter().map(to_unit).collect()
}

/// Every unit, by id (the hierarchy is small: thousands of rows at most).
pub async fn all_units(c: &impl Conn) -> Result<Vec<OrgUnit>, StoreError> {
    let rows = org_units::Entity::find().order_by_asc(org_units::Column::Id).all(c.db()).await?;
    rows.into_iter().map(to_unit).collect()
}

// Whoever changes an operator's row (active, role, unit, codice fiscale) must bump the
// authorization generation in the same transaction: the application keeps the operators who
// sign in per generation (`siso_app::authz::Authorizer::operator`).
fn to_operator(m: operators::Model) -> Operator {
    Operator {
        id: OperatorId(m.id),
        org_unit_id: OrgUnitId(m.org_unit_id),
        username: m.username,
        display_name: m.display_name,
        role: m.role,
        active: m.active,
        fiscal_code: m.fiscal_code,
    }
}

/// Changes a unit's name and national codes (its place in the hierarchy never changes).
pub async fn update_unit(c: &impl Conn, u: &OrgUnit) -> Result<(), StoreError> {
    let m = org_units::ActiveModel {
        id: Set(u.id.0),
        name: Set(u.name.clone()),
        istat_code: Set(u.istat_code.clone()),
        cadastral_code: Set(u.cadastral_code.clone()),
        inps_ente_code: Set(u.inps_ente_code.clone()),
        ..Default::default()
    };
    org_units::Entity::update(m).exec(c.db()).await?;
    super::authz::bump_generation(c).await?;
    Ok(())
}

/// The authorization subject of an operator (`op:<id>`).
pub fn operator_subject(id: OperatorId) -> String {
    format!("op:{}", id.0)
}

/// Inserts an operator with their role in their home unit.
pub async fn insert_operator(
    c: &impl Conn,
    org_unit_id: OrgUnitId,
    username: &str,
    display_name: &str,
    role: &str,
    fiscal_code: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Operator, StoreError> {
    let m = operators::ActiveModel {
        org_unit_id: Set(org_unit_id.0),
        username: Set(username.into()),
        display_name: Set(display_name.into()),
        role: Set(role.into()),
        active: Set(true),
        created_at: Set(now),
        fiscal_code: Set(fiscal_code.map(str::to_string)),
        ..Default::default()
    };
    let op = to_operator(operators::Entity::insert(m).exec_with_returning(c.db()).await?);
    let grant = super::authz::Rule::grant(&operator_subject(op.id), role, &org_unit_id.0.to_string());
    super::authz::add(c, &grant).await?;
    super::authz::bump_generation(c).await?;
    Ok(op)
}

/// Changes an operator's display name, codice fiscale and whether they may sign in; bumps the
/// policy generation, so that every process drops the operator it kept signed in.
pub async fn update_operator(
    c: &impl Conn,
    id: OperatorId,
    display_name: &str,
    fiscal_code: Option<&str>,
    active: bool,
) -> Result<(), StoreError> {
    let m = operators::ActiveModel {
        id: Set(id.0),
        display_name: Set(display_name.into()),
        fiscal_code: Set(fiscal_code.map(str::to_string)),
        active: Set(active),
        ..Default::default()
    };
    operators::Entity::update(m).exec(c.db()).await?;
    super::authz::bump_generation(c).await?;
    Ok(())
}

/// An operator by login name.
pub async fn operator_by_username(c: &impl Conn, username: &str) -> Result<Option<Operator>, StoreError> {
    let row = operators::Entity::find().filter(operators::Column::Username.eq(username)).one(c.db()).await?;
    Ok(row.map(to_operator))
}

/// Several operators.
pub async fn get_operators(c: &impl Conn, ids: &[OperatorId]) -> Result<Vec<Operator>, StoreError> {
    let rows = operators::Entity::find().filter(operators::Column::Id.is_in(raw(ids))).all(c.db()).await?;
    Ok(rows.into_iter().map(to_operator).collect())
}

/// One operator.
pub async fn get_operator(c: &impl Conn, id: OperatorId) -> Result<Option<Operator>, StoreError> {
    Ok(operators::Entity::find_by_id(id.0).one(c.db()).await?.map(to_operator))
}

/// Operators of some units.
pub async fn operators_of(c: &impl Conn, units: &[OrgUnitId]) -> Result<Vec<Operator>, StoreError> {
    let rows = operators::Entity::find()
        .filter(operators::Column::OrgUnitId.is_in(raw(units)))
        .order_by_asc(operators::Column::Id)
        .all(c.db())
        .await?;
    Ok(rows.into_iter().map(to_operator).collect())
}

/// The operator an identity provider's subject is bound to (`issuer`, `subject`).
pub async fn operator_by_identity(c: &impl Conn, issuer: &str, subject: &str) -> Result<Option<Operator>, StoreError> {
    let link = operator_identities::Entity::find()
        .filter(operator_identities::Column::Issuer.eq(issuer))
        .filter(operator_identities::Column::Subject.eq(subject))
        .one(c.db())
        .await?;
    match link {
        Some(l) => get_operator(c, OperatorId(l.operator_id)).await,
        None => Ok(None),
    }
}

/// The operator with a codice fiscale.
pub async fn operator_by_fiscal_code(c: &impl Conn, fiscal_code: &str) -> Result<Option<Operator>, StoreError> {
    let row = operators::Entity::find().filter(operators::Column::FiscalCode.eq(fiscal_code)).one(c.db()).await?;
    Ok(row.map(to_operator))
}

/// Binds an identity of a provider to an operator (unique per issuer and subject).
pub async fn link_identity(
    c: &impl Conn,
    operator: OperatorId,
    issuer: &str,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let m = operator_identities::ActiveModel {
        operator_id: Set(operator.0),
        issuer: Set(issuer.into()),
        subject: Set(subject.into()),
        created_at: Set(now),
        ..Default::default()
    };
    operator_identities::Entity::insert(m).exec(c.db()).await?;
    Ok(())
}

/// The identities bound to an operator: (issuer, subject).
pub async fn identities_of(c: &impl Conn, operator: OperatorId) -> Result<Vec<(String, String)>, StoreError> {
    let rows = operator_identities::Entity::find()
        .filter(operator_identities::Column::OperatorId.eq(operator.0))
        .order_by_asc(operator_identities::Column::Id)
        .all(c.db())
        .await?;
    Ok(rows.into_iter().map(|r| (r.issuer, r.subject)).collect())
}
