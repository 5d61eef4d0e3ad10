//! Store errors. Database messages stay inside: callers get a kind, logs get the detail.

use sea_orm::{DbErr, SqlErr};

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write (e.g. the same codice fiscale twice).
    #[error("a record with the same key already exists")]
    Duplicate,
    /// A referenced record does not exist.
    #[error("a referenced record does not exist")]
    MissingReference,
    /// A stored value is not what the code expects (a code unknown to this version).
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    /// The database refused or failed.
    #[error("database error: {0}")]
    Db(DbErr),
}

impl From<DbErr> for StoreError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::Duplicate,
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => StoreError::MissingReference,
            _ => StoreError::Db(err),
        }
    }
}

pub(crate) fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what}: unknown code {value:?}"))
}
