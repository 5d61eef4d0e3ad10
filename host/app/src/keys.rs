//! API keys for machine clients: created by an organisation administrator, shown once, stored
//! as a SHA-256 hash, scoped to a unit and to roles (casbin grants of the subject `key:<id>`),
//! revocable, with an expiry.
//!
//! A key is a delegation, never an escalation: it may hold only roles its creator holds over
//! its unit, its access at every request is cut to what its creator may do then (a creator who
//! loses a role or is deactivated takes the key's use of it along), and the access log names
//! the creator for everything done with it.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use siso_domain::DomainError;
use siso_domain::ids::OrgUnitId;
use siso_store::repo::api_keys::{self as repo, ApiKey};
use siso_store::repo::authz::{self as authz_repo, Rule};
use siso_store::repo::org::{self as org_repo, operator_subject};

use crate::authz::{Action, ROLES, check};
use crate::error::{AppError, AppResult};
use crate::{Actor, App, audit};

/// Roles a key can never hold: administering units, grants, keys and plug-ins is for people.
const HUMAN_ONLY: [&str; 2] = ["org_admin", "plugin_admin"];

/// The authorization subject of a key.
pub fn key_subject(id: i64) -> String {
    format!("key:{id}")
}

/// A new key.
#[derive(Debug, Clone)]
pub struct CreateApiKey {
    /// What the client is.
    pub name: String,
    /// The unit it acts for (its roles hold there and below).
    pub org_unit_id: OrgUnitId,
    /// Its roles.
    pub roles: Vec<String>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// What a presented key turned out to be.
#[derive(Debug)]
pub enum KeyCheck {
    /// A valid key: its actor.
    Valid(Box<Actor>),
    /// Not a key of this deployment (unknown prefix, wrong secret, malformed).
    Unknown,
    /// Past its expiry.
    Expired,
    /// Revoked.
    Revoked,
}

fn hash(key: &str) -> String {
    Sha256::digest(key.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Equal without an early exit.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn random_hex(bytes: usize) -> AppResult<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::getrandom(&mut buf).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// Splits `siso_<prefix>_<secret>`.
fn prefix_of(key: &str) -> Option<&str> {
    let rest = key.strip_prefix("siso_")?;
    let (prefix, secret) = rest.split_once('_')?;
    (prefix.len() == 12 && secret.len() == 64 && prefix.bytes().all(|b| b.is_ascii_hexdigit())).then_some(prefix)
}

impl App {
    /// Creates a key; the returned string is the key itself, shown this once and never stored.
    pub async fn create_api_key(&self, actor: &Actor, cmd: CreateApiKey) -> AppResult<(ApiKey, String)> {
        let name = cmd.name.trim().to_string();
        let now = self.clock().now();
        siso_domain::api_key::validate_new(&name, cmd.roles.len(), cmd.expires_at, now)?;
        for r in &cmd.roles {
            if !ROLES.contains(&r.as_str()) {
                return Err(DomainError::field("UNKNOWN_ROLE", "roles", format!("unknown role {r:?}")).into());
            }
            if HUMAN_ONLY.contains(&r.as_str()) {
                return Err(
                    DomainError::field("ROLE_NOT_FOR_KEYS", "roles", format!("an API key cannot hold {r}")).into()
                );
            }
        }
        // Keys are made by people, who answer for them.
        let Some(creator) = actor.operator_id else {
            tracing::warn!(actor = %actor.label, "denied: an API key needs an operator behind it");
            return Err(AppError::Forbidden);
        };
        let tx = self.store().begin().await?;
        siso_store::repo::org::get_unit(&tx, cmd.org_unit_id)
            .await?
            .ok_or(AppError::not_found("organisation unit", "orgUnitId"))?;
        check(actor, Action::ManageOrg, cmd.org_unit_id)?;
        // A key holds only roles its creator holds over its unit: no escalation through a key.
        let held = self.authz().roles_over(&operator_subject(creator), cmd.org_unit_id).await?;
        if let Some(r) = cmd.roles.iter().find(|r| !held.contains(r.as_str())) {
            tracing::warn!(actor = %actor.label, role = %r, org_unit = cmd.org_unit_id.0, "denied: a key role its creator lacks");
            return Err(DomainError::field(
                "ROLE_NOT_HELD",
                "roles",
                format!("a key may hold only roles you hold over its unit; you do not hold {r}"),
            )
            .into());
        }
        let prefix = random_hex(6)?;
        let key = format!("siso_{prefix}_{}", random_hex(32)?);
        let stored = repo::insert(
            &tx,
            &ApiKey {
                id: 0,
                name,
                prefix,
                key_hash: hash(&key),
                org_unit_id: cmd.org_unit_id,
                created_by: actor.label.clone(),
                created_by_operator_id: Some(creator),
                created_at: now,
                expires_at: cmd.expires_at,
                revoked_at: None,
            },
        )
        .await?;
        for role in &cmd.roles {
            authz_repo::add(&tx, &Rule::grant(&key_subject(stored.id), role, &cmd.org_unit_id.0.to_string())).await?;
        }
        authz_repo::bump_generation(&tx).await?;
        audit::record(&tx, self.clock(), actor, "api_key.create", "api_key", stored.id, None).await?;
        tx.commit().await?;
        self.authz().refresh().await?;
        Ok((stored, key))
    }

    /// Revokes a key at once (in this process; in others within their poll interval).
    pub async fn revoke_api_key(&self, actor: &Actor, id: i64) -> AppResult<ApiKey> {
        let tx = self.store().begin().await?;
        let key = repo::get(&tx, id)
            .await?
            .filter(|k| actor.access.allows(Action::ManageOrg, k.org_unit_id))
            .ok_or(AppError::not_found("API key", "apiKeyId"))?;
        if key.revoked_at.is_none() {
            repo::revoke(&tx, id, self.clock().now()).await?;
            authz_repo::remove_where(&tx, "g", 0, &key_subject(id)).await?;
            authz_repo::bump_generation(&tx).await?;
            audit::record(&tx, self.clock(), actor, "api_key.revoke", "api_key", id, None).await?;
        }
        tx.commit().await?;
        self.authz().refresh().await?;
        Ok(repo::get(self.store(), id).await?.unwrap_or(key))
    }

    /// The keys of the units the actor administers.
    pub async fn api_keys(&self, actor: &Actor) -> AppResult<Vec<ApiKey>> {
        let units = actor.access.scope(Action::ManageOrg);
        let units = match units {
            Some(u) => u,
            None => self.authz().tree().await?.all(),
        };
        Ok(repo::of_units(self.store(), &units).await?)
    }

    /// The roles of a key.
    pub async fn api_key_roles(&self, id: i64) -> AppResult<Vec<String>> {
        let lines = authz_repo::grants_of(self.store(), &key_subject(id)).await?;
        Ok(lines.into_iter().map(|r| r.values[1].clone()).collect())
    }

    /// Checks a presented key; a valid one becomes an actor with the key's access.
    pub async fn api_key_actor(&self, presented: &str) -> AppResult<KeyCheck> {
        let Some(prefix) = prefix_of(presented) else { return Ok(KeyCheck::Unknown) };
        let Some(key) = repo::by_prefix(self.store(), prefix).await? else { return Ok(KeyCheck::Unknown) };
        if !same(&key.key_hash, &hash(presented)) {
            return Ok(KeyCheck::Unknown);
        }
        if key.revoked_at.is_some() {
            return Ok(KeyCheck::Revoked);
        }
        if key.expires_at <= self.clock().now() {
            return Ok(KeyCheck::Expired);
        }
        // The key acts for its creator: no creator (or an inactive one), no key; and never more
        // than the creator may do now.
        let creator = match key.created_by_operator_id {
            Some(id) => org_repo::get_operator(self.store(), id).await?.filter(|o| o.active),
            None => None,
        };
        let Some(creator) = creator else { return Ok(KeyCheck::Revoked) };
        let own = self.authz().access(&key_subject(key.id)).await?;
        let creators = self.authz().access(&operator_subject(creator.id)).await?;
        let access = std::sync::Arc::new(own.intersect(&creators));
        Ok(KeyCheck::Valid(Box::new(Actor {
            operator_id: None,
            on_behalf_of: Some(creator.id),
            label: format!("key:{} for {}", key.name, creator.username),
            org_unit_id: key.org_unit_id,
            roles: Vec::new(),
            access,
            reads: None,
            purpose: None,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_recognised_by_shape() {
        let k = format!("siso_{}_{}", "a1b2c3d4e5f6", "0".repeat(64));
        assert_eq!(prefix_of(&k), Some("a1b2c3d4e5f6"));
        assert_eq!(prefix_of("siso_short_x"), None);
        assert_eq!(prefix_of("eyJhbGciOi.x.y"), None);
        assert!(same(&hash("a"), &hash("a")) && !same(&hash("a"), &hash("b")));
    }
}
