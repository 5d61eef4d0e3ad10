//! The plug-in seam: validate and decide hooks run inside the use case's transaction, before
//! anything is written. The WebAssembly runtime implements [`Hooks`]; until a plug-in is
//! installed, [`NoHooks`] lets every change through.

use siso_domain::DomainError;
use siso_domain::ids::OrgUnitId;

/// A change about to be committed, as plug-ins see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A case is being opened.
    CaseOpened {
        /// Owning unit.
        org_unit_id: OrgUnitId,
    },
    /// An intervention is being authorised.
    InterventionAuthorised {
        /// Owning unit.
        org_unit_id: OrgUnitId,
        /// INPS benefit code of its catalogue entry.
        inps_code: String,
    },
    /// A disbursement is being recorded.
    DisbursementRecorded {
        /// Owning unit.
        org_unit_id: OrgUnitId,
    },
    /// Funds are being committed.
    FundsCommitted {
        /// Owning unit.
        org_unit_id: OrgUnitId,
    },
}

/// Plug-in hooks.
pub trait Hooks: Send + Sync + std::fmt::Debug {
    /// Vetoes (Err) or lets the change through, with warnings.
    fn validate(&self, change: &Change) -> Result<Vec<String>, DomainError>;
}

/// No plug-in installed.
#[derive(Debug, Default)]
pub struct NoHooks;

impl Hooks for NoHooks {
    fn validate(&self, _change: &Change) -> Result<Vec<String>, DomainError> {
        Ok(Vec::new())
    }
}
