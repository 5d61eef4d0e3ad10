//! The access log's events as the application shows them (the chain and its hashing are the
//! store's).

use chrono::{DateTime, Utc};

use crate::ids::{OperatorId, OrgUnitId, PersonId};

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
