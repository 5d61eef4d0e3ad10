//! # SISO plug-in SDK
//!
//! The guest side of the `siso:plugin@0.1.0` contract (see `wit/siso-plugin@0.1.0/` at the
//! root of the repository). A plug-in is a WebAssembly component, built for `wasm32-wasip2`,
//! that the SISO host loads in a sandbox and calls at its hooks: *validate* a change before
//! it commits, *decide* eligibility, co-payments, priorities and scores, *contribute*
//! catalogue entries and instruments, and *report* (rows in, a file out).
//!
//! The SDK hides the generated bindings. A plug-in author implements [`Plugin`] (every hook
//! has a default, so only the hooks the plug-in declares in its manifest need a body) and
//! registers the type once:
//!
//! ```
//! use siso_plugin_sdk::{Change, Context, Issue, Plugin, PluginError, Verdict};
//!
//! struct MyRules;
//!
//! impl Plugin for MyRules {
//!     fn validate(_ctx: &Context, change: &Change) -> Result<Verdict, PluginError> {
//!         match change {
//!             Change::FundsCommitted(c) if c.amount > c.available_before => {
//!                 Ok(Verdict::veto(Issue::with_field("FUNDS_EXCEEDED", "amount", "Not enough funds left")))
//!             }
//!             _ => Ok(Verdict::accept()),
//!         }
//!     }
//! }
//!
//! siso_plugin_sdk::register!(MyRules);
//! # fn main() {}
//! ```
//!
//! and builds it with `cargo build --target wasm32-wasip2 --release` (the crate must be a
//! `cdylib`; add `rlib` too to unit-test the rules natively).
//!
//! ## What a plug-in sees
//!
//! Every record of the contract is re-exported at the crate root ([`Subject`], [`Person`],
//! [`Isee`], [`Intervention`], …). They carry no free text about a person: a plug-in decides
//! on codes, dates, amounts and answers. Money is always integer euro cents ([`Cents`]).
//! The per-organisation settings arrive as JSON in [`Context::settings`]; read them with
//! [`settings`]. The host offers logging ([`log`]) and read-only lookups ([`host`]), each
//! checked against the capabilities the administrator granted.
//!
//! ## Expected failures and faults
//!
//! Return a [`PluginError`] for an expected failure (bad input, unsupported case, unusable
//! settings). A panic, an endless loop or running out of memory is a *fault*: the host stops
//! the call, reports the fault and keeps running.
//!
//! ## Contract version
//!
//! [`register!`] stamps `siso:plugin@0.1.0` ([`WIT_PACKAGE`]) into a custom section named
//! `siso-plugin` ([`WIT_SECTION`]) of the component's core module, so the host and tools can
//! tell which contract a component was built against.

/// The bindings generated from the WIT contract. Not part of the SDK's API: use the
/// re-exports at the crate root, [`Plugin`] and [`register!`].
#[doc(hidden)]
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "siso:plugin/plugin",
        path: "../../wit/siso-plugin@0.1.0",
        pub_export_macro: true,
        export_macro_name: "__export_siso_plugin",
        default_bindings_module: "siso_plugin_sdk::bindings",
        additional_derives: [PartialEq, Eq],
    });
}

use core::cmp::Ordering;
use core::fmt;

pub use bindings::exports::siso::plugin::contribute::{InstrumentDefinition, Question};
pub use bindings::exports::siso::plugin::decide::{CoPaymentDecision, EligibilityDecision};
pub use bindings::exports::siso::plugin::report::{Column, ReportFile};
pub use bindings::exports::siso::plugin::validate::{Change, Commitment, Verdict};
pub use bindings::siso::plugin::host::Level;
pub use bindings::siso::plugin::types::{
    AccessChannel, AccessSheet, Answer, Assessment, Attainment, BenefitCharacter, Case, CaseState, CatalogueEntry,
    Cents, Context, Date, Disbursement, Household, HouseholdMember, InpsArea, Instrument, Intervention,
    InterventionState, Isee, IseeKind, Issue, IstatType, MeansTest, Need, Objective, OrgKind, OrgRef, Organisation,
    Person, Plan, PlanChange, PlanKind, PluginError, Relation, Reporter, Sex, Sina, Subject, Term, UserArea,
};

/// The version of the WIT contract this SDK implements.
pub const WIT_VERSION: &str = "0.1.0";

/// The WIT package (with version) this SDK implements, as stamped into every component.
pub const WIT_PACKAGE: &str = "siso:plugin@0.1.0";

/// The name of the custom section that carries [`WIT_PACKAGE`] in every component built with
/// [`register!`].
pub const WIT_SECTION: &str = "siso-plugin";

/// The bytes [`register!`] stamps into the [`WIT_SECTION`] custom section.
#[doc(hidden)]
pub const WIT_STAMP: [u8; WIT_PACKAGE.len()] = {
    let src = WIT_PACKAGE.as_bytes();
    let mut out = [0u8; WIT_PACKAGE.len()];
    let mut i = 0;
    while i < src.len() {
        out[i] = src[i];
        i += 1;
    }
    out
};

/// The rules of a plug-in: one associated function per hook of the contract.
///
/// Every function has a default, so a plug-in implements only the hooks it declares in its
/// manifest (`siso-plugin.toml`). The host calls only the hooks a manifest declares; the
/// defaults accept (validate), answer [`PluginError::Unsupported`] (decide, report) or
/// contribute nothing.
///
/// The functions take no `self`: a plug-in keeps no state between calls (each call may run in
/// a fresh instance). Everything a decision may look at arrives in its arguments.
pub trait Plugin {
    /// Validates a change about to be committed. Vetoes stop the change (the transaction rolls
    /// back and the operator sees the reasons); warnings let it through and are shown.
    ///
    /// Default: accepts every change, with no vetoes and no warnings.
    fn validate(ctx: &Context, change: &Change) -> Result<Verdict, PluginError> {
        let _ = (ctx, change);
        Ok(Verdict::accept())
    }

    /// Decides whether the person is eligible for the intervention, and for how much.
    ///
    /// Default: [`PluginError::Unsupported`].
    fn eligibility(ctx: &Context, subject: &Subject) -> Result<EligibilityDecision, PluginError> {
        let _ = (ctx, subject);
        Err(unsupported("decide.eligibility"))
    }

    /// Computes the user's monthly co-payment (*compartecipazione*).
    ///
    /// Default: [`PluginError::Unsupported`].
    fn co_payment(ctx: &Context, subject: &Subject) -> Result<CoPaymentDecision, PluginError> {
        let _ = (ctx, subject);
        Err(unsupported("decide.co-payment"))
    }

    /// Computes the waiting-list priority: higher comes first.
    ///
    /// Default: [`PluginError::Unsupported`].
    fn priority(ctx: &Context, subject: &Subject) -> Result<i32, PluginError> {
        let _ = (ctx, subject);
        Err(unsupported("decide.priority"))
    }

    /// Scores an assessment made with one of the plug-in's instruments (`None`: no score).
    ///
    /// Default: [`PluginError::Unsupported`].
    fn assessment_score(ctx: &Context, assessment: &Assessment) -> Result<Option<i32>, PluginError> {
        let _ = (ctx, assessment);
        Err(unsupported("decide.assessment-score"))
    }

    /// Decides eligibility for many subjects in one call: one result per subject, in order.
    ///
    /// Default: calls [`Plugin::eligibility`] for each subject.
    fn eligibility_batch(ctx: &Context, subjects: Vec<Subject>) -> Vec<Result<EligibilityDecision, PluginError>> {
        subjects.iter().map(|subject| Self::eligibility(ctx, subject)).collect()
    }

    /// Local catalogue entries, mapped to INPS codes and ISTAT areas.
    ///
    /// Default: none.
    fn catalogue() -> Vec<CatalogueEntry> {
        Vec::new()
    }

    /// Assessment instruments with their questions.
    ///
    /// Default: none.
    fn instruments() -> Vec<InstrumentDefinition> {
        Vec::new()
    }

    /// The JSON Schema of the per-organisation settings (usually
    /// `include_str!("../settings.schema.json")`, the file the manifest names).
    ///
    /// Default: `{"type":"object"}`.
    fn settings_schema() -> String {
        String::from(r#"{"type":"object"}"#)
    }

    /// Produces the report file `report` from its rows.
    ///
    /// Default: [`PluginError::Unsupported`].
    fn generate(ctx: &Context, report: &str, rows: Vec<Vec<Column>>) -> Result<ReportFile, PluginError> {
        let _ = (ctx, rows);
        Err(PluginError::Unsupported(format!("report `{report}` is not produced by this plug-in")))
    }
}

fn unsupported(hook: &str) -> PluginError {
    PluginError::Unsupported(format!("hook `{hook}` is not implemented by this plug-in"))
}

/// Registers the type implementing [`Plugin`] as the component's exports.
///
/// Write it once per plug-in crate, at the top level of the crate:
///
/// ```
/// struct MyRules;
/// impl siso_plugin_sdk::Plugin for MyRules {}
/// siso_plugin_sdk::register!(MyRules);
/// # fn main() {}
/// ```
///
/// It exports the `validate`, `decide`, `contribute` and `report` interfaces of the world
/// `siso:plugin/plugin@0.1.0`, each delegating to `<MyRules as Plugin>`, and stamps the
/// contract version ([`WIT_PACKAGE`]) into the custom section [`WIT_SECTION`].
#[macro_export]
macro_rules! register {
    ($t:ty) => {
        const _: () = {
            #[allow(dead_code)]
            struct __SisoPluginExports;

            impl $crate::bindings::exports::siso::plugin::validate::Guest for __SisoPluginExports {
                fn validate(
                    ctx: $crate::Context,
                    change: $crate::Change,
                ) -> ::core::result::Result<$crate::Verdict, $crate::PluginError> {
                    <$t as $crate::Plugin>::validate(&ctx, &change)
                }
            }

            impl $crate::bindings::exports::siso::plugin::decide::Guest for __SisoPluginExports {
                fn eligibility(
                    ctx: $crate::Context,
                    subject: $crate::Subject,
                ) -> ::core::result::Result<$crate::EligibilityDecision, $crate::PluginError> {
                    <$t as $crate::Plugin>::eligibility(&ctx, &subject)
                }

                fn co_payment(
                    ctx: $crate::Context,
                    subject: $crate::Subject,
                ) -> ::core::result::Result<$crate::CoPaymentDecision, $crate::PluginError> {
                    <$t as $crate::Plugin>::co_payment(&ctx, &subject)
                }

                fn priority(
                    ctx: $crate::Context,
                    subject: $crate::Subject,
                ) -> ::core::result::Result<i32, $crate::PluginError> {
                    <$t as $crate::Plugin>::priority(&ctx, &subject)
                }

                fn assessment_score(
                    ctx: $crate::Context,
                    assessment: $crate::Assessment,
                ) -> ::core::result::Result<::core::option::Option<i32>, $crate::PluginError> {
                    <$t as $crate::Plugin>::assessment_score(&ctx, &assessment)
                }

                fn eligibility_batch(
                    ctx: $crate::Context,
                    subjects: ::std::vec::Vec<$crate::Subject>,
                ) -> ::std::vec::Vec<::core::result::Result<$crate::EligibilityDecision, $crate::PluginError>> {
                    <$t as $crate::Plugin>::eligibility_batch(&ctx, subjects)
                }
            }

            impl $crate::bindings::exports::siso::plugin::contribute::Guest for __SisoPluginExports {
                fn catalogue() -> ::std::vec::Vec<$crate::CatalogueEntry> {
                    <$t as $crate::Plugin>::catalogue()
                }

                fn instruments() -> ::std::vec::Vec<$crate::InstrumentDefinition> {
                    <$t as $crate::Plugin>::instruments()
                }

                fn settings_schema() -> ::std::string::String {
                    <$t as $crate::Plugin>::settings_schema()
                }
            }

            impl $crate::bindings::exports::siso::plugin::report::Guest for __SisoPluginExports {
                fn generate(
                    ctx: $crate::Context,
                    report: ::std::string::String,
                    rows: ::std::vec::Vec<::std::vec::Vec<$crate::Column>>,
                ) -> ::core::result::Result<$crate::ReportFile, $crate::PluginError> {
                    <$t as $crate::Plugin>::generate(&ctx, &report, rows)
                }
            }

            // The component's exports exist only in the WebAssembly build. Natively (unit
            // tests, `cargo clippy --workspace`) the crate still type-checks the delegation
            // above, but exports nothing: the export names (`siso:plugin/validate@0.1.0#…`)
            // are not valid symbol names for a native shared library's version script.
            #[cfg(target_arch = "wasm32")]
    $crate::bindings::__export_siso_plugin!(__SisoPluginExports with_types_in $crate::bindings);

            // Natively, a static keeps the delegation (and so the plug-in's own functions)
            // alive for the dead-code lint, as the exports do in the WebAssembly build.
            #[cfg(not(target_arch = "wasm32"))]
            #[used]
            static __SISO_PLUGIN_HOOKS: (
                fn($crate::Context, $crate::Change) -> ::core::result::Result<$crate::Verdict, $crate::PluginError>,
                fn(
                    $crate::Context,
                    $crate::Subject,
                ) -> ::core::result::Result<$crate::EligibilityDecision, $crate::PluginError>,
                fn(
                    $crate::Context,
                    $crate::Subject,
                ) -> ::core::result::Result<$crate::CoPaymentDecision, $crate::PluginError>,
                fn($crate::Context, $crate::Subject) -> ::core::result::Result<i32, $crate::PluginError>,
                fn(
                    $crate::Context,
                    $crate::Assessment,
                ) -> ::core::result::Result<::core::option::Option<i32>, $crate::PluginError>,
                fn(
                    $crate::Context,
                    ::std::vec::Vec<$crate::Subject>,
                )
                    -> ::std::vec::Vec<::core::result::Result<$crate::EligibilityDecision, $crate::PluginError>>,
                fn() -> ::std::vec::Vec<$crate::CatalogueEntry>,
                fn() -> ::std::vec::Vec<$crate::InstrumentDefinition>,
                fn() -> ::std::string::String,
                fn(
                    $crate::Context,
                    ::std::string::String,
                    ::std::vec::Vec<::std::vec::Vec<$crate::Column>>,
                ) -> ::core::result::Result<$crate::ReportFile, $crate::PluginError>,
            ) = (
                <__SisoPluginExports as $crate::bindings::exports::siso::plugin::validate::Guest>::validate,
                <__SisoPluginExports as $crate::bindings::exports::siso::plugin::decide::Guest>::eligibility,
                <__SisoPluginExports as $crate::bindings::exports::siso::plugin::decide::Guest>::co_payment,
                <__SisoPluginExports as $crate::bindings::exports::siso::plugin::decide::Guest>::priority,
                <__SisoPluginExports as $crate::bindings::exports::siso::plugin::decide::Guest>::assessment_score,
                <__SisoPluginExports as $crate::bindings::exports::siso::plugin::decide::Guest>::eligibility_batch,
                <__SisoPluginExports as $crate::bindings::exports::siso::plugin::contribute::Guest>::catalogue,
                <__SisoPluginExports as $crate::bindings::exports::siso::plugin::contribute::Guest>::instruments,
                <__SisoPluginExports as $crate::bindings::exports::siso::plugin::contribute::Guest>::settings_schema,
                <__SisoPluginExports as $crate::bindings::exports::siso::plugin::report::Guest>::generate,
            );

            /// The contract version this component was built against.
            #[cfg(target_arch = "wasm32")]
            #[used]
            #[unsafe(link_section = "siso-plugin")]
            static __SISO_PLUGIN_WIT: [u8; $crate::WIT_STAMP.len()] = $crate::WIT_STAMP;
        };
    };
}

/// Reads the plug-in's settings for the request's organisation from [`Context::settings`].
///
/// The host has already checked the JSON against the plug-in's settings schema; an empty
/// string reads as `{}`. Any deserialisation failure becomes [`PluginError::BadSettings`].
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Settings {
///     ceiling_cents: i64,
/// }
///
/// fn ceiling(ctx: &siso_plugin_sdk::Context) -> Result<i64, siso_plugin_sdk::PluginError> {
///     Ok(siso_plugin_sdk::settings::<Settings>(ctx)?.ceiling_cents)
/// }
/// ```
pub fn settings<T: serde::de::DeserializeOwned>(ctx: &Context) -> Result<T, PluginError> {
    let json = if ctx.settings.trim().is_empty() { "{}" } else { ctx.settings.as_str() };
    serde_json::from_str(json).map_err(|e| PluginError::BadSettings(e.to_string()))
}

/// Writes to the host's log, tagged with the plug-in's id.
///
/// Never log personal data. Outside a component (native unit tests) these functions must not
/// be called: there is no host to write to.
pub mod log {
    use crate::Level;
    use crate::bindings::siso::plugin::host;

    /// Writes a message at the given level.
    pub fn log(level: Level, message: &str) {
        host::log(level, message);
    }

    /// Writes a debug message.
    pub fn debug(message: &str) {
        log(Level::Debug, message);
    }

    /// Writes an informational message.
    pub fn info(message: &str) {
        log(Level::Info, message);
    }

    /// Writes a warning.
    pub fn warn(message: &str) {
        log(Level::Warn, message);
    }

    /// Writes an error.
    pub fn error(message: &str) {
        log(Level::Error, message);
    }
}

/// Read-only lookups the host offers. Each checks a capability the administrator granted to
/// the plug-in (a lookup without it is a fault: the host stops the call) and stays within the
/// request's organisation.
///
/// Outside a component (native unit tests) these functions must not be called.
pub mod host {
    use crate::CatalogueEntry;
    use crate::bindings::siso::plugin::host;

    /// A catalogue entry by INPS code, e.g. `A1.04` (capability `catalogue:read`).
    ///
    /// `Ok(None)` when the organisation's catalogue has no entry with that code; `Err` with
    /// the host's explanation when the lookup failed.
    pub fn find_catalogue_entry(inps_code: &str) -> Result<Option<CatalogueEntry>, String> {
        host::find_catalogue_entry(inps_code)
    }
}

impl Issue {
    /// An issue about no particular input field.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Issue { code: code.into(), field: None, message: message.into() }
    }

    /// An issue about one input field.
    pub fn with_field(code: impl Into<String>, field: impl Into<String>, message: impl Into<String>) -> Self {
        Issue { code: code.into(), field: Some(field.into()), message: message.into() }
    }
}

impl Verdict {
    /// Lets the change through, with no vetoes and no warnings.
    pub fn accept() -> Self {
        Verdict { vetoes: Vec::new(), warnings: Vec::new() }
    }

    /// Stops the change with one veto.
    pub fn veto(issue: Issue) -> Self {
        Verdict { vetoes: vec![issue], warnings: Vec::new() }
    }

    /// Lets the change through with one warning.
    pub fn warn(issue: Issue) -> Self {
        Verdict { vetoes: Vec::new(), warnings: vec![issue] }
    }

    /// Adds a veto.
    pub fn and_veto(mut self, issue: Issue) -> Self {
        self.vetoes.push(issue);
        self
    }

    /// Adds a warning.
    pub fn and_warn(mut self, issue: Issue) -> Self {
        self.warnings.push(issue);
        self
    }

    /// True when there is no veto (the change goes through).
    pub fn is_accepted(&self) -> bool {
        self.vetoes.is_empty()
    }
}

impl Default for Verdict {
    fn default() -> Self {
        Verdict::accept()
    }
}

impl EligibilityDecision {
    /// Eligible, for `amount` when the rules give one.
    pub fn eligible(amount: Option<Cents>, reasons: Vec<Issue>) -> Self {
        EligibilityDecision { eligible: true, reasons, amount }
    }

    /// Not eligible, for the given reasons.
    pub fn ineligible(reasons: Vec<Issue>) -> Self {
        EligibilityDecision { eligible: false, reasons, amount: None }
    }
}

impl CoPaymentDecision {
    /// A monthly co-payment, with its reasons.
    pub fn new(monthly: Cents, reasons: Vec<Issue>) -> Self {
        CoPaymentDecision { monthly, reasons }
    }
}

impl Date {
    /// A calendar date (not checked).
    pub const fn new(year: i32, month: u8, day: u8) -> Self {
        Date { year, month, day }
    }
}

impl Ord for Date {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.year, self.month, self.day).cmp(&(other.year, other.month, other.day))
    }
}

impl PartialOrd for Date {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Date {
    /// ISO 8601: `2025-01-31`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Date {
    /// The same day `months` months later (earlier when negative), clamped to the last day of
    /// a shorter month (`2025-01-31` + 1 month = `2025-02-28`).
    pub fn plus_months(self, months: i32) -> Date {
        let index = self.year * 12 + i32::from(self.month) - 1 + months;
        let (year, month) = (index.div_euclid(12), u8::try_from(index.rem_euclid(12) + 1).unwrap_or(1));
        Date { year, month, day: self.day.min(days_in_month(year, month)) }
    }

    /// Whole months from `self` to `later` (0 when `later` is not after `self`).
    pub fn whole_months_until(self, later: Date) -> i32 {
        let mut months = (later.year - self.year) * 12 + i32::from(later.month) - i32::from(self.month);
        if later.day < self.day && later.day < days_in_month(later.year, later.month) {
            months -= 1;
        }
        months.max(0)
    }
}

impl Date {
    /// Days since 1970-01-01 (proleptic Gregorian calendar, integer arithmetic: H. Hinnant's
    /// `days_from_civil`).
    pub fn days_since_epoch(self) -> i64 {
        let month = i64::from(self.month);
        let year = i64::from(self.year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + i64::from(self.day) - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// Days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Date) -> i64 {
        later.days_since_epoch() - self.days_since_epoch()
    }

    /// Calendar months from `self`'s month to `end`'s month, both included, as periodic
    /// benefits count them (2026-03-15 to 2026-04-14: 2 months); `None` when `end` is before
    /// `self`.
    pub fn calendar_months_to(self, end: Date) -> Option<i64> {
        (end >= self).then(|| i64::from(end.year - self.year) * 12 + i64::from(end.month) - i64::from(self.month) + 1)
    }
}

/// Formats cents as euros for an operator's message: `€1234.50`, `-€0.05`.
pub fn euros(cents: Cents) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}€{}.{:02}", abs / 100, abs % 100)
}

/// `amount × rate / 100`, rounded half away from zero, in 128-bit integers (saturating): a
/// percentage of an amount in cents, or hours ×100 times an hourly rate in cents.
pub fn per_hundred(amount: i64, rate: i64) -> i64 {
    let product = i128::from(amount) * i128::from(rate);
    let rounded = if product >= 0 { (product + 50) / 100 } else { -((-product + 50) / 100) };
    i64::try_from(rounded).unwrap_or(if rounded < 0 { i64::MIN } else { i64::MAX })
}

/// True when `inps_code` is `code` or a more specific code under it (`A1.04` matches `A1.04`
/// and `A1.04.01`, not `A1.040`).
pub fn inps_code_matches(inps_code: &str, code: &str) -> bool {
    inps_code.strip_prefix(code).is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

/// The newest of `assessments` that `keep` accepts: the latest `assessed-on`; among equals,
/// the first in the list (the host sends them newest first).
pub fn newest_assessment(assessments: &[Assessment], keep: impl Fn(&Assessment) -> bool) -> Option<&Assessment> {
    assessments.iter().filter(|a| keep(a)).fold(None, |best: Option<&Assessment>, a| match best {
        Some(b) if b.assessed_on >= a.assessed_on => Some(b),
        _ => Some(a),
    })
}

/// The number of days of a month (Gregorian calendar).
pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

impl Person {
    /// Age in whole years on `day`.
    pub fn age_on(&self, day: Date) -> i32 {
        let b = self.birth_date;
        let before_birthday = (day.month, day.day) < (b.month, b.day);
        day.year - b.year - i32::from(before_birthday)
    }
}

impl Context {
    /// The nearest unit of `kind` among the organisation and its ancestors (e.g. the ambito or
    /// district whose rules apply), as an [`OrgRef`].
    pub fn nearest(&self, kind: OrgKind) -> Option<OrgRef> {
        let o = &self.organisation;
        if o.kind == kind {
            return Some(OrgRef { id: o.id, kind: o.kind, name: o.name.clone(), istat_code: o.istat_code.clone() });
        }
        self.organisation.ancestors.iter().find(|a| a.kind == kind).cloned()
    }
}

impl Isee {
    /// True when the attestation is valid on `day` (both ends included).
    pub fn is_valid_on(&self, day: Date) -> bool {
        self.valid_from <= day && day <= self.valid_until
    }
}

impl Subject {
    /// The newest ISEE attestation valid on `day` (of any kind): the one valid on `day` with
    /// the latest `valid-from`; among equals, the first in the list (the host sends newest
    /// first).
    pub fn current_isee(&self, day: Date) -> Option<&Isee> {
        self.isee.iter().filter(|isee| isee.is_valid_on(day)).fold(None, |best: Option<&Isee>, isee| match best {
            Some(b) if b.valid_from >= isee.valid_from => Some(b),
            _ => Some(isee),
        })
    }

    /// The newest ISEE attestation of one of `kinds` valid on `day` (e.g. the socio-sanitary
    /// ISEE for non-self-sufficiency benefits).
    pub fn current_isee_of(&self, day: Date, kinds: &[IseeKind]) -> Option<&Isee> {
        self.isee.iter().filter(|i| kinds.contains(&i.kind) && i.is_valid_on(day)).fold(
            None,
            |best: Option<&Isee>, isee| match best {
                Some(b) if b.valid_from >= isee.valid_from => Some(b),
                _ => Some(isee),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn isee(value: Cents, from: Date, until: Date) -> Isee {
        Isee { kind: IseeKind::Ordinary, value, dsu_year: from.year, valid_from: from, valid_until: until }
    }

    #[test]
    fn stamp_is_the_package() {
        assert_eq!(&WIT_STAMP, WIT_PACKAGE.as_bytes());
        assert!(WIT_PACKAGE.ends_with(WIT_VERSION));
    }

    #[test]
    fn dates_order_by_year_month_day() {
        assert!(Date::new(2024, 12, 31) < Date::new(2025, 1, 1));
        assert!(Date::new(2025, 2, 1) > Date::new(2025, 1, 31));
        assert_eq!(Date::new(2025, 3, 4).to_string(), "2025-03-04");
    }

    #[test]
    fn isee_validity_includes_both_ends() {
        let a = isee(1, Date::new(2025, 1, 1), Date::new(2025, 12, 31));
        assert!(a.is_valid_on(Date::new(2025, 1, 1)));
        assert!(a.is_valid_on(Date::new(2025, 12, 31)));
        assert!(!a.is_valid_on(Date::new(2026, 1, 1)));
    }

    #[test]
    fn settings_read_json_and_report_bad_settings() {
        #[derive(serde::Deserialize)]
        struct S {
            n: i64,
        }
        let mut ctx = Context {
            organisation: Organisation {
                id: 1,
                kind: OrgKind::Comune,
                name: String::from("Test"),
                istat_code: None,
                cadastral_code: None,
                ancestors: Vec::new(),
            },
            today: Date::new(2025, 1, 1),
            settings: String::from(r#"{"n": 3}"#),
        };
        assert_eq!(settings::<S>(&ctx).map(|s| s.n), Ok(3));
        ctx.settings = String::from(r#"{"n": "x"}"#);
        assert!(matches!(settings::<S>(&ctx), Err(PluginError::BadSettings(_))));
        ctx.settings = String::new();
        assert!(matches!(settings::<S>(&ctx), Err(PluginError::BadSettings(_))));
    }

    #[test]
    fn months_and_ages() {
        assert_eq!(Date::new(2025, 1, 31).plus_months(1), Date::new(2025, 2, 28));
        assert_eq!(Date::new(2024, 1, 31).plus_months(1), Date::new(2024, 2, 29));
        assert_eq!(Date::new(2025, 11, 15).plus_months(3), Date::new(2026, 2, 15));
        assert_eq!(Date::new(2025, 1, 15).plus_months(-1), Date::new(2024, 12, 15));
        assert_eq!(Date::new(2025, 1, 15).whole_months_until(Date::new(2025, 7, 15)), 6);
        assert_eq!(Date::new(2025, 1, 15).whole_months_until(Date::new(2025, 7, 14)), 5);
        assert_eq!(Date::new(2025, 1, 31).whole_months_until(Date::new(2025, 2, 28)), 1);
        assert_eq!(Date::new(2025, 3, 1).whole_months_until(Date::new(2025, 1, 1)), 0);
        let p = Person {
            id: 1,
            sex: Sex::Female,
            birth_date: Date::new(2008, 5, 20),
            citizenship_code: None,
            residence_comune_code: None,
            homeless: false,
            disability: false,
            civil_invalidity_percent: None,
            has_legal_guardian: false,
        };
        assert_eq!(p.age_on(Date::new(2026, 5, 19)), 17);
        assert_eq!(p.age_on(Date::new(2026, 5, 20)), 18);
    }

    #[test]
    fn days_months_money_and_codes() {
        assert_eq!(Date::new(1970, 1, 1).days_since_epoch(), 0);
        assert_eq!(Date::new(2000, 3, 1).days_since_epoch(), 11_017);
        assert_eq!(Date::new(2026, 2, 28).days_until(Date::new(2026, 3, 1)), 1);
        assert_eq!(Date::new(2024, 2, 28).days_until(Date::new(2024, 3, 1)), 2);
        assert_eq!(Date::new(2026, 5, 5).days_until(Date::new(2026, 5, 4)), -1);
        assert_eq!(Date::new(2026, 3, 15).calendar_months_to(Date::new(2026, 4, 14)), Some(2));
        assert_eq!(Date::new(2026, 3, 1).calendar_months_to(Date::new(2026, 12, 31)), Some(10));
        assert_eq!(Date::new(2026, 11, 1).calendar_months_to(Date::new(2027, 1, 31)), Some(3));
        assert_eq!(Date::new(2026, 3, 2).calendar_months_to(Date::new(2026, 3, 1)), None);
        assert_eq!(euros(0), "€0.00");
        assert_eq!(euros(123_456), "€1234.56");
        assert_eq!(euros(-5), "-€0.05");
        assert_eq!(per_hundred(40_000, 20), 8_000);
        assert_eq!(per_hundred(333, 50), 167);
        assert_eq!(per_hundred(-333, 50), -167);
        assert_eq!(per_hundred(i64::MAX, 100), i64::MAX);
        assert_eq!(per_hundred(i64::MAX, 200), i64::MAX);
        assert!(inps_code_matches("A1.04", "A1.04"));
        assert!(inps_code_matches("A1.04.01", "A1.04"));
        assert!(!inps_code_matches("A1.040", "A1.04"));
        assert!(!inps_code_matches("A1.0", "A1.04"));
    }

    #[test]
    fn verdict_helpers() {
        assert!(Verdict::accept().is_accepted());
        assert!(Verdict::warn(Issue::new("W", "w")).is_accepted());
        let v = Verdict::veto(Issue::with_field("V", "amount", "v"));
        assert!(!v.is_accepted());
        assert_eq!(v.vetoes[0].field.as_deref(), Some("amount"));
    }
}
