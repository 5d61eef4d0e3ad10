//! Who is acting: resolved once per request by the API's authentication and passed to every
//! use case and query.

use std::sync::Arc;

use siso_domain::ids::{OperatorId, OrgUnitId};

use crate::audit::ReadLog;
use crate::authz::Access;

/// The authenticated actor of a request.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The operator, for a human user.
    pub operator_id: Option<OperatorId>,
    /// For a machine client (an API key), the operator who created the key and for whom it
    /// acts: the access log names them for every read and change made with the key.
    pub on_behalf_of: Option<OperatorId>,
    /// A label for logs and the access log (a username or a client name, never a citizen).
    pub label: String,
    /// The organisation unit the actor acts for (its home unit).
    pub org_unit_id: OrgUnitId,
    /// Role codes held in the home unit (for display; [`Actor::access`] decides).
    pub roles: Vec<String>,
    /// What the actor may do where, decided by the policy when the request began.
    pub access: Arc<Access>,
    /// The personal records this request has read, for the access log (`None`: not logged,
    /// as for the system's own work).
    pub reads: Option<Arc<ReadLog>>,
    /// The declared purpose of the request (header `x-siso-purpose`), kept in the access log.
    pub purpose: Option<String>,
}

impl Actor {
    /// The person accountable for what this actor does: the operator, or the creator of the
    /// API key it authenticated with (`None` for the system's own work).
    pub fn accountable(&self) -> Option<OperatorId> {
        self.operator_id.or(self.on_behalf_of)
    }

    /// The system itself (migrations, demo data, imports).
    pub fn system(org_unit_id: OrgUnitId) -> Self {
        Self {
            operator_id: None,
            on_behalf_of: None,
            label: "system".into(),
            org_unit_id,
            roles: vec!["system".into()],
            access: Arc::new(Access::everything()),
            reads: None,
            purpose: None,
        }
    }
}
