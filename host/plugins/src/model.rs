//! What the host hands to plug-ins and what it gets back, in host terms (domain types).
//! [`crate::bindings`] converts these to and from the WIT records at its edge; nothing else
//! in the host sees a generated type.

use chrono::NaiveDate;
use siso_domain::access::AccessSheet;
use siso_domain::assessment::{Assessment, Need};
use siso_domain::case::Case;
use siso_domain::catalogue::CatalogueEntry;
use siso_domain::ids::{FundingLineId, HouseholdId, PersonId};
use siso_domain::intervention::Intervention;
use siso_domain::money::Money;
use siso_domain::org::OrgUnit;
use siso_domain::person::{IseeAttestation, Person, Relation, Sex};
use siso_domain::plan::{Objective, Plan};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;

use crate::package::Capability;

/// The call's context: the organisation the request is for, today, and the plug-in's settings
/// for that organisation.
#[derive(Debug, Clone, PartialEq)]
pub struct CallContext {
    /// The unit that owns the record.
    pub organisation: OrgUnit,
    /// The units above it, nearest first.
    pub ancestors: Vec<OrgUnit>,
    /// Today's date from the host's clock.
    pub today: NaiveDate,
    /// The plug-in's settings for the organisation (JSON).
    pub settings: String,
}

/// A household member as plug-ins see it (no names).
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The member.
    pub person_id: PersonId,
    /// Relation to the head.
    pub relation: Relation,
    /// Sex.
    pub sex: Sex,
    /// Birth date.
    pub birth_date: NaiveDate,
}

/// A household as plug-ins see it.
#[derive(Debug, Clone, PartialEq)]
pub struct HouseholdView {
    /// The household.
    pub id: HouseholdId,
    /// Its members.
    pub members: Vec<Member>,
}

/// Everything a decision about one intervention of one person may look at. Names, codice
/// fiscale, addresses and free text never cross into a plug-in: [`crate::bindings`] drops them.
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    /// The person.
    pub person: Person,
    /// The person's household, if recorded.
    pub household: Option<HouseholdView>,
    /// ISEE attestations, newest first.
    pub isee: Vec<IseeAttestation>,
    /// The case.
    pub case: Case,
    /// The case's needs.
    pub needs: Vec<Need>,
    /// Assessments, newest first.
    pub assessments: Vec<Assessment>,
    /// The active plan with its objectives.
    pub plan: Option<(Plan, Vec<Objective>)>,
    /// The intervention concerned (with the amount being authorised, when authorising).
    pub intervention: Intervention,
    /// Its catalogue entry.
    pub catalogue_entry: CatalogueEntry,
    /// What has been paid on it so far.
    pub disbursed: Money,
}

/// A disbursement about to be recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct DisbursementView {
    /// Payment date.
    pub paid_on: NaiveDate,
    /// Period paid for.
    pub period_from: NaiveDate,
    /// End of the period.
    pub period_to: NaiveDate,
    /// Total.
    pub amount: Money,
    /// Shares.
    pub ente_share: Money,
    /// User's share.
    pub user_share: Money,
    /// Health service share.
    pub ssn_share: Money,
    /// Other share.
    pub other_share: Money,
    /// Hours ×100.
    pub hours_centi: Option<i64>,
}

/// A plan being created (`review: None`) or reviewed (the review's date; the objectives carry
/// the attainments being recorded).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanChange {
    /// The person of the case.
    pub person: Person,
    /// The case.
    pub case: Case,
    /// The case's assessments, newest first.
    pub assessments: Vec<Assessment>,
    /// The plan.
    pub plan: Plan,
    /// Its objectives.
    pub objectives: Vec<Objective>,
    /// The date of the review being recorded.
    pub review: Option<NaiveDate>,
}

/// A change about to be committed, for validate hooks.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A case is being opened.
    CaseOpened(Case),
    /// An access sheet is being opened.
    AccessSheetOpened(AccessSheet),
    /// An access sheet is being forwarded to the case opened for it.
    AccessSheetForwarded(AccessSheet, Case),
    /// A plan is being created or reviewed.
    PlanSaved(Box<PlanChange>),
    /// An intervention is being requested.
    InterventionRequested(Box<Subject>),
    /// An intervention is being authorised.
    InterventionAuthorised(Box<Subject>),
    /// A disbursement is being recorded.
    DisbursementRecorded(Box<Subject>, DisbursementView),
    /// Funds are being committed on a funding line.
    FundsCommitted {
        /// The line.
        funding_line_id: FundingLineId,
        /// The amount.
        amount: Money,
        /// What the line had left before.
        available_before: Money,
    },
}

/// Assessments without their health data: answers and the SINA data set removed.
fn without_health(assessments: &[Assessment]) -> Vec<Assessment> {
    assessments.iter().map(|a| Assessment { answers: Vec::new(), sina: None, ..a.clone() }).collect()
}

impl Subject {
    /// The subject as a plug-in granted `capabilities` sees it: without health data unless
    /// it was granted [`Capability::HealthRead`].
    pub fn for_capabilities(&self, capabilities: &BTreeSet<Capability>) -> Cow<'_, Subject> {
        if capabilities.contains(&Capability::HealthRead) {
            return Cow::Borrowed(self);
        }
        Cow::Owned(Subject { assessments: without_health(&self.assessments), ..self.clone() })
    }
}

impl Change {
    /// The change as a plug-in granted `capabilities` sees it: without health data unless it
    /// was granted [`Capability::HealthRead`].
    pub fn for_capabilities(&self, capabilities: &BTreeSet<Capability>) -> Cow<'_, Change> {
        if capabilities.contains(&Capability::HealthRead) {
            return Cow::Borrowed(self);
        }
        let subject = |s: &Subject| Box::new(s.for_capabilities(capabilities).into_owned());
        Cow::Owned(match self {
            Change::PlanSaved(p) => {
                Change::PlanSaved(Box::new(PlanChange { assessments: without_health(&p.assessments), ..(**p).clone() }))
            }
            Change::InterventionRequested(s) => Change::InterventionRequested(subject(s)),
            Change::InterventionAuthorised(s) => Change::InterventionAuthorised(subject(s)),
            Change::DisbursementRecorded(s, d) => Change::DisbursementRecorded(subject(s), d.clone()),
            _ => return Cow::Borrowed(self),
        })
    }

    /// The hook this change triggers.
    pub fn hook(&self) -> Hook {
        match self {
            Change::CaseOpened(_) => Hook::CaseOpened,
            Change::AccessSheetOpened(_) => Hook::AccessSheetOpened,
            Change::AccessSheetForwarded(..) => Hook::AccessSheetForwarded,
            Change::PlanSaved(_) => Hook::PlanSaved,
            Change::InterventionRequested(_) => Hook::InterventionRequested,
            Change::InterventionAuthorised(_) => Hook::InterventionAuthorised,
            Change::DisbursementRecorded(..) => Hook::DisbursementRecorded,
            Change::FundsCommitted { .. } => Hook::FundsCommitted,
        }
    }
}

/// The hooks a manifest can declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum Hook {
    /// `validate.case-opened`
    #[serde(rename = "validate.case-opened")]
    CaseOpened,
    #[serde(rename = "validate.access-sheet-opened")]
    AccessSheetOpened,
    #[serde(rename = "validate.access-sheet-forwarded")]
    AccessSheetForwarded,
    #[serde(rename = "validate.plan-saved")]
    PlanSaved,
    #[serde(rename = "validate.intervention-requested")]
    InterventionRequested,
    /// `validate.intervention-authorised`
    #[serde(rename = "validate.intervention-authorised")]
    InterventionAuthorised,
    /// `validate.disbursement-recorded`
    #[serde(rename = "validate.disbursement-recorded")]
    DisbursementRecorded,
    /// `validate.funds-committed`
    #[serde(rename = "validate.funds-committed")]
    FundsCommitted,
    /// `decide.eligibility`
    #[serde(rename = "decide.eligibility")]
    Eligibility,
    /// `decide.co-payment`
    #[serde(rename = "decide.co-payment")]
    CoPayment,
    /// `decide.priority`
    #[serde(rename = "decide.priority")]
    Priority,
    /// `decide.assessment-score`
    #[serde(rename = "decide.assessment-score")]
    AssessmentScore,
    /// `contribute`
    #[serde(rename = "contribute")]
    Contribute,
    /// `report`
    #[serde(rename = "report")]
    Report,
}

impl Hook {
    /// Every hook.
    pub const ALL: [Hook; 14] = [
        Hook::CaseOpened,
        Hook::AccessSheetOpened,
        Hook::AccessSheetForwarded,
        Hook::PlanSaved,
        Hook::InterventionRequested,
        Hook::InterventionAuthorised,
        Hook::DisbursementRecorded,
        Hook::FundsCommitted,
        Hook::Eligibility,
        Hook::CoPayment,
        Hook::Priority,
        Hook::AssessmentScore,
        Hook::Contribute,
        Hook::Report,
    ];

    /// The manifest name.
    pub fn as_str(self) -> &'static str {
        match self {
            Hook::CaseOpened => "validate.case-opened",
            Hook::AccessSheetOpened => "validate.access-sheet-opened",
            Hook::AccessSheetForwarded => "validate.access-sheet-forwarded",
            Hook::PlanSaved => "validate.plan-saved",
            Hook::InterventionRequested => "validate.intervention-requested",
            Hook::InterventionAuthorised => "validate.intervention-authorised",
            Hook::DisbursementRecorded => "validate.disbursement-recorded",
            Hook::FundsCommitted => "validate.funds-committed",
            Hook::Eligibility => "decide.eligibility",
            Hook::CoPayment => "decide.co-payment",
            Hook::Priority => "decide.priority",
            Hook::AssessmentScore => "decide.assessment-score",
            Hook::Contribute => "contribute",
            Hook::Report => "report",
        }
    }

    /// Parses a manifest name.
    pub fn parse(s: &str) -> Option<Hook> {
        Hook::ALL.into_iter().find(|h| h.as_str() == s)
    }

    /// The WIT interface that serves the hook.
    pub fn interface(self) -> &'static str {
        match self {
            Hook::CaseOpened
            | Hook::AccessSheetOpened
            | Hook::AccessSheetForwarded
            | Hook::PlanSaved
            | Hook::InterventionRequested
            | Hook::InterventionAuthorised
            | Hook::DisbursementRecorded
            | Hook::FundsCommitted => "validate",
            Hook::Eligibility | Hook::CoPayment | Hook::Priority | Hook::AssessmentScore => "decide",
            Hook::Contribute => "contribute",
            Hook::Report => "report",
        }
    }
}

impl fmt::Display for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reason, veto or warning from a plug-in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Issue {
    /// Stable machine code.
    pub code: String,
    /// Input field concerned.
    pub field: Option<String>,
    /// Human explanation.
    pub message: String,
}

/// The answer of a validate hook.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Stop the change.
    pub vetoes: Vec<Issue>,
    /// Let it through, shown to the operator.
    pub warnings: Vec<Issue>,
}

/// An eligibility decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eligibility {
    /// Eligible?
    pub eligible: bool,
    /// Why.
    pub reasons: Vec<Issue>,
    /// The amount the rules give.
    pub amount: Option<Money>,
}

/// A co-payment decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoPayment {
    /// The user's monthly share.
    pub monthly: Money,
    /// Why.
    pub reasons: Vec<Issue>,
}

/// An expected failure a plug-in reports (not a fault).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PluginError {
    /// The input does not satisfy what the plug-in needs.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The plug-in does not handle this case.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The settings are not usable.
    #[error("bad settings: {0}")]
    BadSettings(String),
}

/// A report file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFile {
    /// File name.
    pub file_name: String,
    /// Media type.
    pub media_type: String,
    /// Bytes.
    pub content: Vec<u8>,
}
