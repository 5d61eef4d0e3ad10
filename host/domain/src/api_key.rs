//! API keys of machine clients (the secret itself is never kept, only its hash).

use chrono::{DateTime, Utc};

use crate::ids::{OperatorId, OrgUnitId};

/// A stored API key (without its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// Key.
    pub id: i64,
    /// What the client is (shown in the access log as `key:<name>`).
    pub name: String,
    /// The public part of the key, unique, used to find it.
    pub prefix: String,
    /// SHA-256 of the whole key, hex.
    pub key_hash: String,
    /// The unit the key acts for.
    pub org_unit_id: OrgUnitId,
    /// Who created it (username, as shown).
    pub created_by: String,
    /// The operator who created it, for whom it acts.
    pub created_by_operator_id: Option<OperatorId>,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}
