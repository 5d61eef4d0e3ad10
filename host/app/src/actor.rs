//! Who is acting: resolved once per request by the API's authentication and passed to every
//! use case and query.

use siso_domain::ids::{OperatorId, OrgUnitId};

/// The authenticated actor of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The operator, for a human user.
    pub operator_id: Option<OperatorId>,
    /// A label for logs and the access log (a username or a client name, never a citizen).
    pub label: String,
    /// The organisation unit the actor acts for.
    pub org_unit_id: OrgUnitId,
    /// Role codes.
    pub roles: Vec<String>,
}

impl Actor {
    /// The system itself (migrations, demo data, imports).
    pub fn system(org_unit_id: OrgUnitId) -> Self {
        Self { operator_id: None, label: "system".into(), org_unit_id, roles: vec!["system".into()] }
    }
}
