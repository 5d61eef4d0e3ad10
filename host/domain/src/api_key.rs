//! API keys of machine clients (the secret itself is never kept, only its hash).

use chrono::{DateTime, Utc};

use crate::error::{DomainError, DomainResult};
use crate::ids::{OperatorId, OrgUnitId};

/// The longest a key may live, in days.
pub const MAX_LIFETIME_DAYS: i64 = 731;

/// A new key: a name of 1 to 100 characters, at least one role, an expiry in the future and
/// within two years of `now`.
pub fn validate_new(name: &str, roles: usize, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> DomainResult<()> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(DomainError::field("INVALID_NAME", "name", "a name is 1 to 100 characters"));
    }
    if roles == 0 {
        return Err(DomainError::field("REQUIRED", "roles", "a key needs at least one role"));
    }
    if expires_at <= now || expires_at > now + chrono::Duration::days(MAX_LIFETIME_DAYS) {
        return Err(DomainError::field("INVALID_DATE", "expiresAt", "a key expires in the future, within two years"));
    }
    Ok(())
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_is_named_holds_a_role_and_expires_within_two_years() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let day = chrono::Duration::days(1);
        assert!(validate_new("export", 1, now + day, now).is_ok());
        assert!(validate_new("export", 1, now + day * 731, now).is_ok());
        let code = |r: DomainResult<()>| r.map_err(|e| e.code);
        assert_eq!(code(validate_new("  ", 1, now + day, now)), Err("INVALID_NAME"));
        assert_eq!(code(validate_new(&"k".repeat(101), 1, now + day, now)), Err("INVALID_NAME"));
        assert_eq!(code(validate_new("export", 0, now + day, now)), Err("REQUIRED"));
        assert_eq!(code(validate_new("export", 1, now, now)), Err("INVALID_DATE"));
        assert_eq!(code(validate_new("export", 1, now + day * 732, now)), Err("INVALID_DATE"));
    }
}
