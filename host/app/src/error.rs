//! The one error type of the application layer; the API maps it to GraphQL in one place.

use siso_domain::DomainError;
use siso_store::StoreError;

/// Why a use case did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input broke a rule: shown to the user with its code and field.
    #[error("{0}")]
    User(DomainError),
    /// No such record (or not visible to the actor: the two are indistinguishable).
    #[error("{kind} not found")]
    NotFound {
        /// The kind of record.
        kind: &'static str,
        /// The field that named it.
        field: &'static str,
    },
    /// The actor may not do this.
    #[error("not allowed")]
    Forbidden,
    /// A fault: logged with detail, shown to the user as a bare "internal error".
    #[error("internal error: {0}")]
    Internal(String),
    /// A plug-in vetoed the change, with its reasons.
    #[error("vetoed by plug-in {plugin}")]
    Vetoed {
        /// `id@version`.
        plugin: String,
        /// The plug-in's reasons.
        issues: Vec<siso_plugins::model::Issue>,
    },
    /// A plug-in faulted (trap, timeout, memory, invalid answer...) and its policy is to
    /// refuse the change.
    #[error("{0}")]
    PluginFault(siso_plugins::Fault),
    /// A plug-in is quarantined and its policy is to refuse the change.
    #[error("plug-in {plugin} is quarantined")]
    PluginQuarantined {
        /// `id@version`.
        plugin: String,
        /// Why.
        reason: String,
    },
    /// Inside a hooked run: the transaction must roll back so that the plug-ins are called
    /// with no transaction open (see [`crate::hooks`]); never leaves the application.
    #[error("plug-in answers pending")]
    PluginsPending,
    /// A plug-in could not decide (its own expected error) and its policy is to refuse.
    #[error("plug-in {plugin} could not decide: {message}")]
    PluginRefused {
        /// `id@version`.
        plugin: String,
        /// Its message.
        message: String,
    },
}

impl AppError {
    /// A missing record named by an input field.
    pub fn not_found(kind: &'static str, field: &'static str) -> Self {
        AppError::NotFound { kind, field }
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        AppError::User(e)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate => {
                AppError::User(DomainError::new("DUPLICATE", "a record with the same key already exists"))
            }
            StoreError::MissingReference => {
                AppError::User(DomainError::new("UNKNOWN_REFERENCE", "a referenced record does not exist"))
            }
            other => AppError::Internal(other.to_string()),
        }
    }
}

/// Result of a use case.
pub type AppResult<T> = Result<T, AppError>;
