//! Authentication: turns a request into an [`Actor`].
//!
//! Development scheme (demo and tests): the header `x-siso-operator: <username>` names an
//! operator of the database. Requests without it are anonymous and can read no personal data.
//! OpenID Connect bearer tokens and API keys replace this module's body, not its callers.

use axum::http::HeaderMap;
use siso_app::{Actor, App, AppError};

/// The header of the development scheme.
pub const OPERATOR_HEADER: &str = "x-siso-operator";

/// The request's actor: `Ok(None)` for an anonymous request (no header, unknown or inactive
/// operator), `Err` when the operator could not be looked up.
pub async fn actor_from_headers(app: &App, headers: &HeaderMap) -> Result<Option<Actor>, AppError> {
    let Some(username) = headers.get(OPERATOR_HEADER).and_then(|h| h.to_str().ok()).map(str::trim) else {
        return Ok(None);
    };
    if username.is_empty() || username.len() > 100 {
        return Ok(None);
    }
    let op = siso_store::repo::org::operator_by_username(app.store(), username).await?;
    Ok(op.filter(|op| op.active).map(|op| Actor {
        operator_id: Some(op.id),
        label: op.username,
        org_unit_id: op.org_unit_id,
        roles: vec![op.role],
    }))
}
