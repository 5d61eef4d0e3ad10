//! # Legacy test plug-in (`test.legacy`)
//!
//! Built against the **frozen** copy of the contract in `tests/contracts/siso-plugin@0.1.0/`
//! (never against `wit/`), with wit-bindgen directly rather than the SDK, for the narrow
//! world `validator`: it exports only `validate`. A host test loads it to prove that the host
//! still serves plug-ins built against a released contract version.
//!
//! It answers one warning `LEGACY_OK` for every change.

#[allow(clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        world: "siso:plugin/validator",
        path: "../../contracts/siso-plugin@0.1.0",
    });
}

use bindings::exports::siso::plugin::validate::{Change, Guest, Verdict};
use bindings::siso::plugin::types::{Context, Issue, PluginError};

/// The plug-in.
#[allow(dead_code)]
struct Legacy;

impl Guest for Legacy {
    fn validate(_ctx: Context, change: Change) -> Result<Verdict, PluginError> {
        let kind = match change {
            Change::CaseOpened(_) => "case-opened",
            Change::AccessSheetOpened(_) => "access-sheet-opened",
            Change::AccessSheetForwarded(_) => "access-sheet-forwarded",
            Change::PlanSaved(_) => "plan-saved",
            Change::InterventionRequested(_) => "intervention-requested",
            Change::InterventionAuthorised(_) => "intervention-authorised",
            Change::DisbursementRecorded(_) => "disbursement-recorded",
            Change::FundsCommitted(_) => "funds-committed",
        };
        Ok(Verdict {
            vetoes: Vec::new(),
            warnings: vec![Issue {
                code: String::from("LEGACY_OK"),
                field: None,
                message: format!("the legacy plug-in saw {kind}"),
            }],
        })
    }
}

// The exports exist only in the WebAssembly build: natively the export names
// (`siso:plugin/validate@0.1.0#validate`) are not valid symbols for a shared library's
// version script, and the crate only has to type-check there.
#[cfg(target_arch = "wasm32")]
bindings::export!(Legacy with_types_in bindings);

/// The contract version this component was built against (as the SDK stamps it).
#[cfg(target_arch = "wasm32")]
#[used]
#[unsafe(link_section = "siso-plugin")]
static SISO_PLUGIN_WIT: [u8; 17] = *b"siso:plugin@0.1.0";
