//! What plug-ins answered about a record, as stored and shown.

use chrono::{DateTime, Utc};

/// A stored plug-in result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultRow {
    /// `intervention`, `case`, `disbursement`, `funding_line`.
    pub record_kind: String,
    /// The record.
    pub record_id: i64,
    /// The hook (manifest name).
    pub hook: String,
    /// The plug-in id.
    pub plugin_key: String,
    /// Its version.
    pub plugin_version: String,
    /// `warned`, `eligible`, `not_eligible`, `co_payment`.
    pub outcome: String,
    /// An amount, when the result has one.
    pub amount_cents: Option<i64>,
    /// Reasons / warnings (JSON list of `{code, field, message}`).
    pub reasons: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Whether this answer was the one applied (several plug-ins may decide the same thing for
    /// a record: the nearest enablement's answer is applied, every answer is kept).
    pub applied: bool,
}
