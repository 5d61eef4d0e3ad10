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
use siso_domain::ids::OrgUnitId;

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

/// The organisation units a list is restricted to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Units {
    /// Exactly these units (sent as a list: right for a few).
    Only(Vec<OrgUnitId>),
    /// These units and every unit below them, found through the materialised closure of the
    /// hierarchy (`org_unit_closure`), so a region's thousands of units are never sent.
    Below(Vec<OrgUnitId>),
}

impl Units {
    /// The condition that `column`, an organisation unit id, is one of these units.
    pub(crate) fn contain(&self, column: impl sea_orm::ColumnTrait) -> sea_orm::sea_query::SimpleExpr {
        use crate::entities::org_unit_closure;
        use sea_orm::sea_query::Query;
        match self {
            Units::Only(ids) => column.is_in(raw(ids)),
            Units::Below(roots) => column.in_subquery(
                Query::select()
                    .column(org_unit_closure::Column::UnitId)
                    .from(org_unit_closure::Entity)
                    .and_where(sea_orm::ColumnTrait::is_in(&org_unit_closure::Column::AncestorId, raw(roots)))
                    .to_owned(),
            ),
        }
    }
}

/// Raw ids of typed ids.
pub(crate) fn raw<T: Copy + Into<i64>>(ids: &[T]) -> Vec<i64> {
    ids.iter().map(|&i| i.into()).collect()
}
