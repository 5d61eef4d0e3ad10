//! The one place where application errors become GraphQL answers.

use async_graphql::{ErrorExtensions, SimpleObject};
use siso_app::AppError;
use siso_domain::DomainError;

/// An error the user can fix: returned inside mutation payloads.
#[derive(Debug, Clone, SimpleObject)]
pub struct UserError {
    /// Stable machine code (e.g. `INSUFFICIENT_FUNDS`).
    pub code: String,
    /// The input field concerned, when there is one.
    pub field: Option<String>,
    /// A human explanation.
    pub message: String,
}

impl From<DomainError> for UserError {
    fn from(e: DomainError) -> Self {
        UserError { code: e.code.into(), field: e.field.map(Into::into), message: e.message }
    }
}

/// A user error about one field.
pub fn field_error(code: &str, field: &str, message: &str) -> UserError {
    UserError { code: code.into(), field: Some(field.into()), message: message.into() }
}

/// Splits an application error: user-fixable ones become [`UserError`]s for the payload,
/// the rest become top-level GraphQL errors without internals.
pub fn to_user_error(e: AppError) -> Result<UserError, async_graphql::Error> {
    match e {
        AppError::User(d) => Ok(d.into()),
        AppError::NotFound { kind, field } => {
            Ok(UserError { code: "NOT_FOUND".into(), field: Some(field.into()), message: format!("{kind} not found") })
        }
        other => Err(to_graphql_error(other)),
    }
}

/// A top-level GraphQL error: internal detail goes to the log only.
pub fn to_graphql_error(e: AppError) -> async_graphql::Error {
    match e {
        AppError::Forbidden => {
            async_graphql::Error::new("not allowed").extend_with(|_, ext| ext.set("code", "FORBIDDEN"))
        }
        AppError::NotFound { kind, .. } => {
            async_graphql::Error::new(format!("{kind} not found")).extend_with(|_, ext| ext.set("code", "NOT_FOUND"))
        }
        AppError::User(d) => async_graphql::Error::new(d.message.clone()).extend_with(|_, ext| ext.set("code", d.code)),
        AppError::Internal(detail) => {
            tracing::error!(error = %detail, "internal error");
            async_graphql::Error::new("internal error").extend_with(|_, ext| ext.set("code", "INTERNAL"))
        }
    }
}
