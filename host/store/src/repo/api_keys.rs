//! API keys of machine clients: only a SHA-256 of each key is stored; the key's prefix finds
//! its row.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use siso_domain::ids::{OperatorId, OrgUnitId};

use super::{Conn, raw};
use crate::entities::api_keys;
use crate::error::StoreError;
pub use siso_domain::api_key::ApiKey;

fn to_key(m: api_keys::Model) -> ApiKey {
    ApiKey {
        id: m.id,
        name: m.name,
        prefix: m.prefix,
        key_hash: m.key_hash,
        org_unit_id: OrgUnitId(m.org_unit_id),
        created_by: m.created_by,
        created_by_operator_id: m.created_by_operator_id.map(OperatorId),
        created_at: m.created_at,
        expires_at: m.expires_at,
        revoked_at: m.revoked_at,
    }
}

/// Inserts a key (the `id` is ignored).
pub async fn insert(c: &impl Conn, k: &ApiKey) -> Result<ApiKey, StoreError> {
    let m = api_keys::ActiveModel {
        name: Set(k.name.clone()),
        prefix: Set(k.prefix.clone()),
        key_hash: Set(k.key_hash.clone()),
        org_unit_id: Set(k.org_unit_id.0),
        created_by: Set(k.created_by.clone()),
        created_by_operator_id: Set(k.created_by_operator_id.map(|o| o.0)),
        created_at: Set(k.created_at),
        expires_at: Set(k.expires_at),
        revoked_at: Set(k.revoked_at),
        ..Default::default()
    };
    Ok(to_key(api_keys::Entity::insert(m).exec_with_returning(c.db()).await?))
}

/// A key by its prefix.
pub async fn by_prefix(c: &impl Conn, prefix: &str) -> Result<Option<ApiKey>, StoreError> {
    Ok(api_keys::Entity::find().filter(api_keys::Column::Prefix.eq(prefix)).one(c.db()).await?.map(to_key))
}

/// A key by id.
pub async fn get(c: &impl Conn, id: i64) -> Result<Option<ApiKey>, StoreError> {
    Ok(api_keys::Entity::find_by_id(id).one(c.db()).await?.map(to_key))
}

/// The keys of some units, newest first.
pub async fn of_units(c: &impl Conn, units: &[OrgUnitId]) -> Result<Vec<ApiKey>, StoreError> {
    let rows = api_keys::Entity::find()
        .filter(api_keys::Column::OrgUnitId.is_in(raw(units)))
        .order_by_desc(api_keys::Column::Id)
        .all(c.db())
        .await?;
    Ok(rows.into_iter().map(to_key).collect())
}

/// Marks a key revoked.
pub async fn revoke(c: &impl Conn, id: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
    let m = api_keys::ActiveModel { id: Set(id), revoked_at: Set(Some(at)), ..Default::default() };
    api_keys::Entity::update(m).exec(c.db()).await?;
    Ok(())
}
