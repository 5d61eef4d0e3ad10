//! Authorization: the one place that decides whether an actor may act on a record.
//!
//! Every use case and every query calls [`check`] with the action and the organisation unit
//! that owns the record. Today the rule is that the actor must be a known operator or the
//! system; the organisation-scoped, role-based policy (casbin with domains) replaces the body
//! of this function without touching its callers.

use siso_domain::ids::OrgUnitId;

use crate::actor::Actor;
use crate::error::{AppError, AppResult};

/// What the actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read personal data.
    Read,
    /// Create or change case work (sheets, cases, needs, assessments, plans, requests).
    Write,
    /// Authorise or reject an intervention.
    AuthorisePayment,
    /// Record a payment.
    RecordPayment,
    /// Manage budgets.
    ManageBudget,
    /// Install, enable, disable, upgrade and remove plug-ins.
    ManagePlugins,
}

/// May `actor` do `action` on a record owned by `owner`?
pub fn check(actor: &Actor, action: Action, owner: OrgUnitId) -> AppResult<()> {
    let _ = owner;
    if action == Action::ManagePlugins {
        // A permission of its own: only plug-in administrators (and the system).
        return if actor.roles.iter().any(|r| r == "plugin_admin" || r == "system") {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        };
    }
    if actor.operator_id.is_some() || actor.roles.iter().any(|r| r == "system") {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}
