//! Authorization policy lines (casbin 'p' and 'g' lines) and the generation counter every
//! process polls to notice a change.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::Conn;
use crate::entities::{authz_rules, authz_state};
use crate::error::StoreError;

/// One policy line: `ptype` is `p` (role, object, action) or `g` (subject, role, unit).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rule {
    /// `p` or `g`.
    pub ptype: String,
    /// The three values.
    pub values: [String; 3],
}

impl Rule {
    /// A grant: `subject` holds `role` in the unit `domain`.
    pub fn grant(subject: &str, role: &str, domain: &str) -> Self {
        Self { ptype: "g".into(), values: [subject.into(), role.into(), domain.into()] }
    }
}

/// Every line, in insertion order.
pub async fn all(c: &impl Conn) -> Result<Vec<Rule>, StoreError> {
    let rows = authz_rules::Entity::find().order_by_asc(authz_rules::Column::Id).all(c.db()).await?;
    Ok(rows.into_iter().map(|m| Rule { ptype: m.ptype, values: [m.v0, m.v1, m.v2] }).collect())
}

/// The grants (`g` lines) of one subject.
pub async fn grants_of(c: &impl Conn, subject: &str) -> Result<Vec<Rule>, StoreError> {
    let rows = authz_rules::Entity::find()
        .filter(authz_rules::Column::Ptype.eq("g"))
        .filter(authz_rules::Column::V0.eq(subject))
        .order_by_asc(authz_rules::Column::Id)
        .all(c.db())
        .await?;
    Ok(rows.into_iter().map(|m| Rule { ptype: m.ptype, values: [m.v0, m.v1, m.v2] }).collect())
}

/// Adds a line; `false` if it was there already.
pub async fn add(c: &impl Conn, rule: &Rule) -> Result<bool, StoreError> {
    if exists(c, rule).await? {
        return Ok(false);
    }
    let [v0, v1, v2] = rule.values.clone();
    let m = authz_rules::ActiveModel {
        ptype: Set(rule.ptype.clone()),
        v0: Set(v0),
        v1: Set(v1),
        v2: Set(v2),
        ..Default::default()
    };
    authz_rules::Entity::insert(m).exec(c.db()).await?;
    Ok(true)
}

/// Whether a line exists.
pub async fn exists(c: &impl Conn, rule: &Rule) -> Result<bool, StoreError> {
    let [v0, v1, v2] = &rule.values;
    Ok(authz_rules::Entity::find()
        .filter(authz_rules::Column::Ptype.eq(rule.ptype.as_str()))
        .filter(authz_rules::Column::V0.eq(v0.as_str()))
        .filter(authz_rules::Column::V1.eq(v1.as_str()))
        .filter(authz_rules::Column::V2.eq(v2.as_str()))
        .one(c.db())
        .await?
        .is_some())
}

/// Removes a line; `false` if it was not there.
pub async fn remove(c: &impl Conn, rule: &Rule) -> Result<bool, StoreError> {
    let [v0, v1, v2] = &rule.values;
    let r = authz_rules::Entity::delete_many()
        .filter(authz_rules::Column::Ptype.eq(rule.ptype.as_str()))
        .filter(authz_rules::Column::V0.eq(v0.as_str()))
        .filter(authz_rules::Column::V1.eq(v1.as_str()))
        .filter(authz_rules::Column::V2.eq(v2.as_str()))
        .exec(c.db())
        .await?;
    Ok(r.rows_affected > 0)
}

/// Removes every line whose value at `index` (0..3) is `value`.
pub async fn remove_where(c: &impl Conn, ptype: &str, index: usize, value: &str) -> Result<u64, StoreError> {
    let col = match index {
        0 => authz_rules::Column::V0,
        1 => authz_rules::Column::V1,
        _ => authz_rules::Column::V2,
    };
    let r = authz_rules::Entity::delete_many()
        .filter(authz_rules::Column::Ptype.eq(ptype))
        .filter(col.eq(value))
        .exec(c.db())
        .await?;
    Ok(r.rows_affected)
}

/// The generation of policies and units.
pub async fn generation(c: &impl Conn) -> Result<i64, StoreError> {
    Ok(authz_state::Entity::find_by_id(1).one(c.db()).await?.map(|m| m.generation).unwrap_or(0))
}

/// Marks a change of policies, grants or units (in the caller's transaction).
pub async fn bump_generation(c: &impl Conn) -> Result<(), StoreError> {
    authz_state::Entity::update_many()
        .col_expr(authz_state::Column::Generation, Expr::col(authz_state::Column::Generation).add(1))
        .filter(authz_state::Column::Id.eq(1))
        .exec(c.db())
        .await?;
    Ok(())
}
