//! Repositories: one module per aggregate, each converting rows to domain types.

pub mod access;
pub mod api_keys;
pub mod audit;
pub mod authz;
pub mod budget;
pub mod cases;
pub mod catalogue;
pub mod interventions;
pub mod org;
pub mod persons;
pub mod plans;
pub mod plugins;
pub mod providers;

pub use crate::conn::Conn;
use crate::error::{StoreError, corrupt};

/// Parses a stored code into a domain enum.
pub(crate) fn code<T>(parse: fn(&str) -> Option<T>, what: &str, value: &str) -> Result<T, StoreError> {
    parse(value).ok_or_else(|| corrupt(what, value))
}

/// Parses an optional stored code.
pub(crate) fn opt_code<T>(
    parse: fn(&str) -> Option<T>,
    what: &str,
    value: Option<&str>,
) -> Result<Option<T>, StoreError> {
    value.map(|v| code(parse, what, v)).transpose()
}

/// Encodes a list as JSON text.
pub(crate) fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

/// Decodes JSON text into a list.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|_| StoreError::Corrupt(format!("{what}: malformed JSON")))
}

/// Raw ids of typed ids.
pub(crate) fn raw<T: Copy + Into<i64>>(ids: &[T]) -> Vec<i64> {
    ids.iter().map(|&i| i.into()).collect()
}
