//! The access log: who read or changed which person's data, and why.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use siso_domain::ids::{OperatorId, OrgUnitId, PersonId};

use super::Conn;
use crate::entities::audit_events;
use crate::error::StoreError;

/// One access-log event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// When.
    pub at: DateTime<Utc>,
    /// The operator, when a person acted.
    pub actor: Option<OperatorId>,
    /// A label for the actor (username, API client, `system`): never a citizen's name.
    pub actor_label: String,
    /// The organisation the actor acted for.
    pub org_unit_id: Option<OrgUnitId>,
    /// What was done (`case.open`, `intervention.authorise`, `person.read`...).
    pub action: String,
    /// The kind of record.
    pub record_kind: String,
    /// The record's id.
    pub record_id: Option<i64>,
    /// The person whose data it is.
    pub person_id: Option<PersonId>,
    /// The declared purpose.
    pub purpose: Option<String>,
}

/// Appends an event (in the caller's transaction).
pub async fn append(c: &impl Conn, e: &AuditEvent) -> Result<(), StoreError> {
    let m = audit_events::ActiveModel {
        occurred_at: Set(e.at),
        actor_operator_id: Set(e.actor.map(|o| o.0)),
        actor_label: Set(e.actor_label.clone()),
        org_unit_id: Set(e.org_unit_id.map(|o| o.0)),
        action: Set(e.action.clone()),
        record_kind: Set(e.record_kind.clone()),
        record_id: Set(e.record_id),
        person_id: Set(e.person_id.map(|p| p.0)),
        purpose: Set(e.purpose.clone()),
        ..Default::default()
    };
    audit_events::Entity::insert(m).exec_without_returning(c.db()).await?;
    Ok(())
}

/// Events about a person, oldest first.
pub async fn of_person(c: &impl Conn, person: PersonId) -> Result<Vec<AuditEvent>, StoreError> {
    let rows = audit_events::Entity::find()
        .filter(audit_events::Column::PersonId.eq(person.0))
        .order_by_asc(audit_events::Column::Id)
        .all(c.db())
        .await?;
    Ok(rows
        .into_iter()
        .map(|m| AuditEvent {
            at: m.occurred_at,
            actor: m.actor_operator_id.map(OperatorId),
            actor_label: m.actor_label,
            org_unit_id: m.org_unit_id.map(OrgUnitId),
            action: m.action,
            record_kind: m.record_kind,
            record_id: m.record_id,
            person_id: m.person_id.map(PersonId),
            purpose: m.purpose,
        })
        .collect())
}
