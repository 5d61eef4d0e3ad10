//! The plug-in registry: plug-ins, their installed versions (package bytes included, so every
//! replica serves the same set), their enablements per organisation subtree, what they
//! decided, and a generation counter other processes poll to notice changes.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use siso_domain::ids::{OperatorId, OrgUnitId};

use super::{Conn, from_json, json};
use crate::entities::{
    plugin_artifacts, plugin_call_stats, plugin_enablements, plugin_registry_state, plugin_results, plugin_tombstones,
    plugin_versions, plugins,
};
use crate::error::StoreError;
pub use siso_domain::plugin_result::ResultRow;

/// A plug-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginRow {
    /// Row id.
    pub id: i64,
    /// The manifest id.
    pub key: String,
    /// The version in service.
    pub current_version_id: Option<i64>,
    /// First install.
    pub created_at: DateTime<Utc>,
    /// The unit of the administration that installed it (`None`: installed by the system).
    pub owner_org_unit_id: Option<OrgUnitId>,
}

/// An installed version (without its component bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRow {
    /// Row id.
    pub id: i64,
    /// The plug-in.
    pub plugin_id: i64,
    /// Semantic version.
    pub version: String,
    /// Contract version.
    pub wit_version: String,
    /// Publisher.
    pub publisher: String,
    /// The packaged manifest (JSON).
    pub manifest: String,
    /// Package digest pinned at install.
    pub digest: String,
    /// Signing key, when signed.
    pub signer_key: Option<String>,
    /// The signature (base64), when signed.
    pub signature: Option<String>,
    /// When.
    pub installed_at: DateTime<Utc>,
    /// By whom.
    pub installed_by: Option<OperatorId>,
}

/// A plug-in enabled for an organisation subtree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnablementRow {
    /// The plug-in.
    pub plugin_id: i64,
    /// The root of the subtree.
    pub org_unit_id: OrgUnitId,
    /// Settings (JSON, valid against the plug-in's schema).
    pub settings: String,
    /// Granted capabilities.
    pub capabilities: Vec<String>,
    /// `fail_closed` or `fail_open`.
    pub failure_policy: String,
    /// When.
    pub enabled_at: DateTime<Utc>,
    /// By whom.
    pub enabled_by: Option<OperatorId>,
    /// Limit overrides of this enablement (`None`: the host's default).
    pub limits: EnablementLimits,
    /// Units below cannot override it.
    pub locked: bool,
    /// Quarantined here: when and why.
    pub quarantine: Option<(DateTime<Utc>, String)>,
}

/// Per-enablement limit overrides.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EnablementLimits {
    /// Deadline of one call, milliseconds.
    pub timeout_ms: Option<i64>,
    /// Fuel of one call.
    pub fuel: Option<i64>,
    /// Memory of one call, MiB.
    pub memory_mib: Option<i64>,
    /// Calls that may run at once.
    pub max_concurrency: Option<i64>,
}

fn plugin(m: plugins::Model) -> PluginRow {
    PluginRow {
        id: m.id,
        key: m.plugin_key,
        current_version_id: m.current_version_id,
        created_at: m.created_at,
        owner_org_unit_id: m.owner_org_unit_id.map(OrgUnitId),
    }
}

fn enablement(m: plugin_enablements::Model) -> Result<EnablementRow, StoreError> {
    Ok(EnablementRow {
        plugin_id: m.plugin_id,
        org_unit_id: OrgUnitId(m.org_unit_id),
        settings: m.settings,
        capabilities: from_json("capabilities", &m.capabilities)?,
        failure_policy: m.failure_policy,
        enabled_at: m.enabled_at,
        enabled_by: m.enabled_by.map(OperatorId),
        limits: EnablementLimits {
            timeout_ms: m.timeout_ms,
            fuel: m.fuel,
            memory_mib: m.memory_mib,
            max_concurrency: m.max_concurrency,
        },
        locked: m.locked,
        quarantine: m.quarantined_at.map(|at| (at, m.quarantine_reason.unwrap_or_default())),
    })
}

/// Columns of a version row without the component bytes.
fn version_query() -> sea_orm::Select<plugin_versions::Entity> {
    use plugin_versions::Column as C;
    plugin_versions::Entity::find().select_only().columns([
        C::Id,
        C::PluginId,
        C::Version,
        C::WitVersion,
        C::Publisher,
        C::Manifest,
        C::Digest,
        C::SignerKey,
        C::Signature,
        C::InstalledAt,
        C::InstalledBy,
    ])
}

#[derive(Debug, sea_orm::FromQueryResult)]
struct VersionHead {
    id: i64,
    plugin_id: i64,
    version: String,
    wit_version: String,
    publisher: String,
    manifest: String,
    digest: String,
    signer_key: Option<String>,
    signature: Option<String>,
    installed_at: DateTime<Utc>,
    installed_by: Option<i64>,
}

fn version(m: VersionHead) -> VersionRow {
    VersionRow {
        id: m.id,
        plugin_id: m.plugin_id,
        version: m.version,
        wit_version: m.wit_version,
        publisher: m.publisher,
        manifest: m.manifest,
        digest: m.digest,
        signer_key: m.signer_key,
        signature: m.signature,
        installed_at: m.installed_at,
        installed_by: m.installed_by.map(OperatorId),
    }
}

/// All plug-ins, by key.
pub async fn all(c: &impl Conn) -> Result<Vec<PluginRow>, StoreError> {
    Ok(plugins::Entity::find()
        .order_by_asc(plugins::Column::PluginKey)
        .all(c.db())
        .await?
        .into_iter()
        .map(plugin)
        .collect())
}

/// A plug-in by its manifest id, locked for update on PostgreSQL when `lock`.
pub async fn by_key(c: &impl Conn, key: &str, lock: bool) -> Result<Option<PluginRow>, StoreError> {
    let mut q = plugins::Entity::find().filter(plugins::Column::PluginKey.eq(key));
    if lock {
        q = q.lock_exclusive();
    }
    Ok(q.one(c.db()).await?.map(plugin))
}

/// Registers a plug-in owned by a unit (`None`: the system).
pub async fn insert(
    c: &impl Conn,
    key: &str,
    owner: Option<OrgUnitId>,
    now: DateTime<Utc>,
) -> Result<PluginRow, StoreError> {
    let m = plugins::ActiveModel {
        plugin_key: Set(key.into()),
        current_version_id: Set(None),
        created_at: Set(now),
        owner_org_unit_id: Set(owner.map(|o| o.0)),
        ..Default::default()
    };
    Ok(plugin(plugins::Entity::insert(m).exec_with_returning(c.db()).await?))
}

/// A new installed version.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    /// The plug-in.
    pub plugin_id: i64,
    /// Semantic version.
    pub version: &'a str,
    /// Contract version.
    pub wit_version: &'a str,
    /// Publisher.
    pub publisher: &'a str,
    /// Manifest JSON.
    pub manifest: &'a str,
    /// Digest.
    pub digest: &'a str,
    /// Signing key.
    pub signer_key: Option<&'a str>,
    /// The signature (base64).
    pub signature: Option<&'a str>,
    /// The component.
    pub component: &'a [u8],
    /// By whom.
    pub installed_by: Option<OperatorId>,
}

/// Stores a version; returns its id.
pub async fn insert_version(c: &impl Conn, v: &NewVersion<'_>, now: DateTime<Utc>) -> Result<i64, StoreError> {
    let m = plugin_versions::ActiveModel {
        plugin_id: Set(v.plugin_id),
        version: Set(v.version.into()),
        wit_version: Set(v.wit_version.into()),
        publisher: Set(v.publisher.into()),
        manifest: Set(v.manifest.into()),
        digest: Set(v.digest.into()),
        signer_key: Set(v.signer_key.map(Into::into)),
        signature: Set(v.signature.map(Into::into)),
        component: Set(v.component.to_vec()),
        installed_at: Set(now),
        installed_by: Set(v.installed_by.map(|o| o.0)),
        ..Default::default()
    };
    let r = plugin_versions::Entity::insert(m).exec(c.db()).await?;
    Ok(r.last_insert_id)
}

/// The versions of a plug-in, oldest first.
pub async fn versions_of(c: &impl Conn, plugin_id: i64) -> Result<Vec<VersionRow>, StoreError> {
    let rows = version_query()
        .filter(plugin_versions::Column::PluginId.eq(plugin_id))
        .order_by_asc(plugin_versions::Column::Id)
        .into_model::<VersionHead>()
        .all(c.db())
        .await?;
    Ok(rows.into_iter().map(version).collect())
}

/// One version's head.
pub async fn version_by_id(c: &impl Conn, id: i64) -> Result<Option<VersionRow>, StoreError> {
    let row =
        version_query().filter(plugin_versions::Column::Id.eq(id)).into_model::<VersionHead>().one(c.db()).await?;
    Ok(row.map(version))
}

/// A version's component bytes.
pub async fn component(c: &impl Conn, version_id: i64) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(plugin_versions::Entity::find_by_id(version_id).one(c.db()).await?.map(|m| m.component))
}

/// Puts a version in service (upgrade or rollback).
pub async fn set_current(c: &impl Conn, plugin_id: i64, version_id: i64) -> Result<(), StoreError> {
    plugins::Entity::update_many()
        .col_expr(plugins::Column::CurrentVersionId, Expr::value(version_id))
        .filter(plugins::Column::Id.eq(plugin_id))
        .exec(c.db())
        .await?;
    Ok(())
}

/// Sets an enablement's limit overrides (`None` = the host's default); whether it exists.
pub async fn set_limits(
    c: &impl Conn,
    plugin_id: i64,
    org: OrgUnitId,
    limits: &EnablementLimits,
) -> Result<bool, StoreError> {
    use plugin_enablements::Column as C;
    let r = plugin_enablements::Entity::update_many()
        .col_expr(C::TimeoutMs, Expr::value(limits.timeout_ms))
        .col_expr(C::Fuel, Expr::value(limits.fuel))
        .col_expr(C::MemoryMib, Expr::value(limits.memory_mib))
        .col_expr(C::MaxConcurrency, Expr::value(limits.max_concurrency))
        .filter(C::PluginId.eq(plugin_id))
        .filter(C::OrgUnitId.eq(org.0))
        .exec(c.db())
        .await?;
    Ok(r.rows_affected > 0)
}

/// Quarantines an enablement, or releases it (`None`); whether it exists (and, for a
/// quarantine, was not quarantined already).
pub async fn set_quarantine(
    c: &impl Conn,
    plugin_id: i64,
    org: OrgUnitId,
    quarantine: Option<(DateTime<Utc>, String)>,
) -> Result<bool, StoreError> {
    use plugin_enablements::Column as C;
    let (at, reason) = match quarantine {
        Some((at, r)) => (Some(at), Some(r)),
        None => (None, None),
    };
    let setting = at.is_some();
    let mut q = plugin_enablements::Entity::update_many()
        .col_expr(C::QuarantinedAt, Expr::value(at))
        .col_expr(C::QuarantineReason, Expr::value(reason))
        .filter(C::PluginId.eq(plugin_id))
        .filter(C::OrgUnitId.eq(org.0));
    if setting {
        // Never overwrite a quarantine (nor undo a release that raced with it: a release
        // clears the flag, and a quarantine only lands on an enablement not quarantined).
        q = q.filter(C::QuarantinedAt.is_null());
    }
    Ok(q.exec(c.db()).await?.rows_affected > 0)
}

/// The tombstone of a removed plug-in id: (publisher, highest version installed).
pub async fn tombstone(c: &impl Conn, key: &str) -> Result<Option<(String, String)>, StoreError> {
    let row =
        plugin_tombstones::Entity::find().filter(plugin_tombstones::Column::PluginKey.eq(key)).one(c.db()).await?;
    Ok(row.map(|r| (r.publisher, r.highest_version)))
}

/// Leaves (or raises) the tombstone of a removed plug-in id.
pub async fn bury(
    c: &impl Conn,
    key: &str,
    publisher: &str,
    highest_version: &str,
    by: Option<OperatorId>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    plugin_tombstones::Entity::delete_many().filter(plugin_tombstones::Column::PluginKey.eq(key)).exec(c.db()).await?;
    let m = plugin_tombstones::ActiveModel {
        plugin_key: Set(key.into()),
        publisher: Set(publisher.into()),
        highest_version: Set(highest_version.into()),
        removed_at: Set(now),
        removed_by: Set(by.map(|o| o.0)),
        ..Default::default()
    };
    plugin_tombstones::Entity::insert(m).exec_without_returning(c.db()).await?;
    Ok(())
}

/// The SHA-256 of the artifact this engine compiled for a component, when one was recorded.
pub async fn artifact_digest(c: &impl Conn, component: &str, engine: &str) -> Result<Option<String>, StoreError> {
    let row = plugin_artifacts::Entity::find()
        .filter(plugin_artifacts::Column::ComponentDigest.eq(component))
        .filter(plugin_artifacts::Column::Engine.eq(engine))
        .one(c.db())
        .await?;
    Ok(row.map(|r| r.artifact_sha256))
}

/// Records the SHA-256 of a freshly compiled artifact (replacing an earlier record).
pub async fn record_artifact(
    c: &impl Conn,
    component: &str,
    engine: &str,
    artifact: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    plugin_artifacts::Entity::delete_many()
        .filter(plugin_artifacts::Column::ComponentDigest.eq(component))
        .filter(plugin_artifacts::Column::Engine.eq(engine))
        .exec(c.db())
        .await?;
    let m = plugin_artifacts::ActiveModel {
        component_digest: Set(component.into()),
        engine: Set(engine.into()),
        artifact_sha256: Set(artifact.into()),
        created_at: Set(now),
        ..Default::default()
    };
    plugin_artifacts::Entity::insert(m).exec_without_returning(c.db()).await?;
    Ok(())
}

/// Adds calls and faults of an enablement in a minute (summed across replicas).
pub async fn add_call_stats(
    c: &impl Conn,
    plugin_id: i64,
    org: OrgUnitId,
    minute: DateTime<Utc>,
    calls: i64,
    faults: i64,
) -> Result<(), StoreError> {
    use plugin_call_stats::Column as C;
    let m = plugin_call_stats::ActiveModel {
        plugin_id: Set(plugin_id),
        org_unit_id: Set(org.0),
        minute: Set(minute),
        calls: Set(calls),
        faults: Set(faults),
        ..Default::default()
    };
    let on_conflict = sea_orm::sea_query::OnConflict::columns([C::PluginId, C::OrgUnitId, C::Minute])
        .value(C::Calls, Expr::col(C::Calls).add(Expr::cust("excluded.calls")))
        .value(C::Faults, Expr::col(C::Faults).add(Expr::cust("excluded.faults")))
        .to_owned();
    plugin_call_stats::Entity::insert(m).on_conflict(on_conflict).exec_without_returning(c.db()).await?;
    Ok(())
}

/// Forgets the call counts of an enablement (released from quarantine: a clean record).
pub async fn clear_call_stats(c: &impl Conn, plugin_id: i64, org: OrgUnitId) -> Result<(), StoreError> {
    plugin_call_stats::Entity::delete_many()
        .filter(plugin_call_stats::Column::PluginId.eq(plugin_id))
        .filter(plugin_call_stats::Column::OrgUnitId.eq(org.0))
        .exec(c.db())
        .await?;
    Ok(())
}

/// Calls and faults of an enablement since `since`, across replicas.
pub async fn call_stats_since(
    c: &impl Conn,
    plugin_id: i64,
    org: OrgUnitId,
    since: DateTime<Utc>,
) -> Result<(i64, i64), StoreError> {
    use plugin_call_stats::Column as C;
    let rows = plugin_call_stats::Entity::find()
        .filter(C::PluginId.eq(plugin_id))
        .filter(C::OrgUnitId.eq(org.0))
        .filter(C::Minute.gte(since))
        .all(c.db())
        .await?;
    Ok(rows.iter().fold((0, 0), |(calls, faults), r| (calls + r.calls, faults + r.faults)))
}

/// Removes a plug-in with its versions and enablements (results are kept).
pub async fn delete(c: &impl Conn, plugin_id: i64) -> Result<(), StoreError> {
    plugin_call_stats::Entity::delete_many()
        .filter(plugin_call_stats::Column::PluginId.eq(plugin_id))
        .exec(c.db())
        .await?;
    plugin_enablements::Entity::delete_many()
        .filter(plugin_enablements::Column::PluginId.eq(plugin_id))
        .exec(c.db())
        .await?;
    plugin_versions::Entity::delete_many().filter(plugin_versions::Column::PluginId.eq(plugin_id)).exec(c.db()).await?;
    plugins::Entity::delete_by_id(plugin_id).exec(c.db()).await?;
    Ok(())
}

/// All enablements.
pub async fn enablements(c: &impl Conn) -> Result<Vec<EnablementRow>, StoreError> {
    plugin_enablements::Entity::find()
        .order_by_asc(plugin_enablements::Column::Id)
        .all(c.db())
        .await?
        .into_iter()
        .map(enablement)
        .collect()
}

/// Enables a plug-in for a subtree, or changes the settings, grants, policy and lock of its
/// enablement there (its limits and quarantine stay).
pub async fn upsert_enablement(c: &impl Conn, e: &EnablementRow) -> Result<(), StoreError> {
    use plugin_enablements::Column as C;
    let updated = plugin_enablements::Entity::update_many()
        .col_expr(C::Settings, Expr::value(e.settings.clone()))
        .col_expr(C::Capabilities, Expr::value(json(&e.capabilities)))
        .col_expr(C::FailurePolicy, Expr::value(e.failure_policy.clone()))
        .col_expr(C::EnabledAt, Expr::value(e.enabled_at))
        .col_expr(C::EnabledBy, Expr::value(e.enabled_by.map(|o| o.0)))
        .col_expr(C::Locked, Expr::value(e.locked))
        .filter(C::PluginId.eq(e.plugin_id))
        .filter(C::OrgUnitId.eq(e.org_unit_id.0))
        .exec(c.db())
        .await?;
    if updated.rows_affected > 0 {
        return Ok(());
    }
    let m = plugin_enablements::ActiveModel {
        plugin_id: Set(e.plugin_id),
        org_unit_id: Set(e.org_unit_id.0),
        settings: Set(e.settings.clone()),
        capabilities: Set(json(&e.capabilities)),
        failure_policy: Set(e.failure_policy.clone()),
        enabled_at: Set(e.enabled_at),
        enabled_by: Set(e.enabled_by.map(|o| o.0)),
        timeout_ms: Set(e.limits.timeout_ms),
        fuel: Set(e.limits.fuel),
        memory_mib: Set(e.limits.memory_mib),
        max_concurrency: Set(e.limits.max_concurrency),
        locked: Set(e.locked),
        quarantined_at: Set(None),
        quarantine_reason: Set(None),
        ..Default::default()
    };
    plugin_enablements::Entity::insert(m).exec_without_returning(c.db()).await?;
    Ok(())
}

/// Disables a plug-in for a subtree; returns whether it was enabled there.
pub async fn disable(c: &impl Conn, plugin_id: i64, org: OrgUnitId) -> Result<bool, StoreError> {
    let r = plugin_enablements::Entity::delete_many()
        .filter(plugin_enablements::Column::PluginId.eq(plugin_id))
        .filter(plugin_enablements::Column::OrgUnitId.eq(org.0))
        .exec(c.db())
        .await?;
    Ok(r.rows_affected > 0)
}

/// Records plug-in results.
pub async fn insert_results(c: &impl Conn, rows: &[ResultRow]) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let ms = rows.iter().map(|r| plugin_results::ActiveModel {
        record_kind: Set(r.record_kind.clone()),
        record_id: Set(r.record_id),
        hook: Set(r.hook.clone()),
        plugin_key: Set(r.plugin_key.clone()),
        plugin_version: Set(r.plugin_version.clone()),
        outcome: Set(r.outcome.clone()),
        amount_cents: Set(r.amount_cents),
        reasons: Set(r.reasons.clone()),
        created_at: Set(r.created_at),
        applied: Set(r.applied),
        ..Default::default()
    });
    plugin_results::Entity::insert_many(ms).exec_without_returning(c.db()).await?;
    Ok(())
}

/// Results about records of one kind, oldest first.
pub async fn results_of(c: &impl Conn, kind: &str, ids: &[i64]) -> Result<Vec<ResultRow>, StoreError> {
    let rows = plugin_results::Entity::find()
        .filter(plugin_results::Column::RecordKind.eq(kind))
        .filter(plugin_results::Column::RecordId.is_in(ids.to_vec()))
        .order_by_asc(plugin_results::Column::Id)
        .all(c.db())
        .await?;
    Ok(rows
        .into_iter()
        .map(|m| ResultRow {
            record_kind: m.record_kind,
            record_id: m.record_id,
            hook: m.hook,
            plugin_key: m.plugin_key,
            plugin_version: m.plugin_version,
            outcome: m.outcome,
            amount_cents: m.amount_cents,
            reasons: m.reasons,
            created_at: m.created_at,
            applied: m.applied,
        })
        .collect())
}

/// The registry's generation: it grows at every change.
pub async fn generation(c: &impl Conn) -> Result<i64, StoreError> {
    Ok(plugin_registry_state::Entity::find_by_id(1).one(c.db()).await?.map(|m| m.generation).unwrap_or(0))
}

/// Marks a change of the registry (in the caller's transaction).
pub async fn bump_generation(c: &impl Conn) -> Result<(), StoreError> {
    plugin_registry_state::Entity::update_many()
        .col_expr(
            plugin_registry_state::Column::Generation,
            Expr::col(plugin_registry_state::Column::Generation).add(1),
        )
        .filter(plugin_registry_state::Column::Id.eq(1))
        .exec(c.db())
        .await?;
    Ok(())
}
