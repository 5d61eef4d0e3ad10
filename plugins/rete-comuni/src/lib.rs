//! # Rete Comuni practices (`it.anci.lombardia.retecomuni`)
//!
//! The operating practices the Lombard comuni of ANCI Lombardia's "Rete Comuni" share, as
//! rules of the SISO host:
//!
//! - **access sheets** (*scheda di accesso*): classified reasons and referral source when a
//!   sheet is opened; privacy consent, no information-only sheet and a recent access when it
//!   is forwarded to a case;
//! - **social vouchers** (*buoni sociali*, cash, and *voucher*, hours of home care): validity,
//!   hours and monthly caps at request and authorisation, and what each disbursement may pay;
//! - **economic contributions** under the comune's regulation: ISEE threshold, personal
//!   project, monthly amount and duration at authorisation;
//! - **eligibility** for those vouchers and contributions (any other entry: it abstains);
//! - **catalogue**: the two vouchers, mapped to their INPS codes.
//!
//! The rules are plain functions over plain values ([`access_opened_verdict`],
//! [`access_forwarded_verdict`], [`voucher_verdict`], [`voucher_disbursement_verdict`],
//! [`contribution_verdict`], [`eligibility_decision`]), unit-tested natively; the [`Plugin`]
//! implementation only reads the settings and dispatches. Money is integer euro cents.

use serde::Deserialize;
use siso_plugin_sdk::{
    AccessSheet, BenefitCharacter, Case, CatalogueEntry, Cents, Change, Context, Date, Disbursement,
    EligibilityDecision, InpsArea, Intervention, Isee, Issue, IstatType, MeansTest, Plan, Plugin, PluginError,
    Reporter, Subject, UserArea, Verdict, euros, per_hundred,
};

/// The JSON Schema of [`Settings`] (the file the manifest names).
pub const SETTINGS_SCHEMA: &str = include_str!("../settings.schema.json");

/// The settings of one comune (`{}` gives the defaults).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The classified access reasons (codes).
    #[serde(default = "default_access_reasons")]
    pub access_reasons: Vec<String>,
    /// The reasons answered at the desk, never taken in charge on their own.
    #[serde(default = "default_information_only_reasons")]
    pub information_only_reasons: Vec<String>,
    /// Whether the referral source may be `other`.
    #[serde(default)]
    pub unclassified_reporter_allowed: bool,
    /// The most days between the access and the opening of its case.
    #[serde(default = "default_forward_within_days")]
    pub forward_within_days: i64,
    /// The social vouchers.
    #[serde(default = "default_vouchers")]
    pub vouchers: Vec<Voucher>,
    /// The economic contributions.
    #[serde(default = "default_contributions")]
    pub contributions: Vec<Contribution>,
}

/// A social voucher, by the local code of its catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Voucher {
    /// A cash voucher (*buono sociale*): a monthly amount up to a cap.
    Cash {
        /// The catalogue entry's local code.
        local_code: String,
        /// The highest monthly amount.
        monthly_cap_cents: Cents,
        /// The longest validity in calendar months.
        max_months: i64,
    },
    /// An hours voucher (*voucher*): hours of service a month at an hourly rate.
    Hours {
        /// The catalogue entry's local code.
        local_code: String,
        /// The value of one hour.
        hourly_rate_cents: Cents,
        /// The most hours in a month (whole hours).
        max_monthly_hours: i64,
        /// The longest validity in calendar months.
        max_months: i64,
    },
}

/// An economic contribution of the comune's regulation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contribution {
    /// The catalogue entry's local code.
    pub local_code: String,
    /// The highest ISEE value that gives access.
    pub isee_ceiling_cents: Cents,
    /// The monthly amount (the most a month).
    pub monthly_cents: Cents,
    /// The longest duration in calendar months.
    pub max_months: i64,
    /// Whether an active personal project (plan) is needed.
    pub requires_project: bool,
}

/// The rule a catalogue entry falls under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule<'a> {
    /// A social voucher.
    Voucher(&'a Voucher),
    /// An economic contribution.
    Contribution(&'a Contribution),
}

fn default_access_reasons() -> Vec<String> {
    [
        "information",
        "economic_hardship",
        "housing",
        "work",
        "care",
        "non_self_sufficiency",
        "disability",
        "minors",
        "family",
        "health",
        "violence",
        "addiction",
        "immigration",
        "legal",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

fn default_information_only_reasons() -> Vec<String> {
    vec![String::from("information")]
}

fn default_forward_within_days() -> i64 {
    60
}

fn default_vouchers() -> Vec<Voucher> {
    vec![
        Voucher::Cash { local_code: String::from("BUONO-SOCIALE"), monthly_cap_cents: 40_000, max_months: 12 },
        Voucher::Hours {
            local_code: String::from("VOUCHER-SAD"),
            hourly_rate_cents: 2_000,
            max_monthly_hours: 40,
            max_months: 6,
        },
    ]
}

fn default_contributions() -> Vec<Contribution> {
    vec![Contribution {
        local_code: String::from("CONTR-ECO"),
        isee_ceiling_cents: 600_000,
        monthly_cents: 30_000,
        max_months: 6,
        requires_project: true,
    }]
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            access_reasons: default_access_reasons(),
            information_only_reasons: default_information_only_reasons(),
            unclassified_reporter_allowed: false,
            forward_within_days: default_forward_within_days(),
            vouchers: default_vouchers(),
            contributions: default_contributions(),
        }
    }
}

impl Voucher {
    /// The catalogue entry's local code.
    pub fn local_code(&self) -> &str {
        match self {
            Voucher::Cash { local_code, .. } | Voucher::Hours { local_code, .. } => local_code,
        }
    }

    /// The longest validity in calendar months.
    pub fn max_months(&self) -> i64 {
        match self {
            Voucher::Cash { max_months, .. } | Voucher::Hours { max_months, .. } => *max_months,
        }
    }

    /// The most the voucher gives in a month: the cap (cash) or the most hours at the hourly
    /// rate (hours).
    pub fn monthly_maximum(&self) -> Cents {
        match self {
            Voucher::Cash { monthly_cap_cents, .. } => *monthly_cap_cents,
            Voucher::Hours { hourly_rate_cents, max_monthly_hours, .. } => {
                hourly_rate_cents.saturating_mul(*max_monthly_hours)
            }
        }
    }
}

impl Settings {
    /// Checks what the JSON Schema cannot: non-negative amounts, positive durations, local
    /// codes ruled once, information-only reasons among the classified ones.
    pub fn check(&self) -> Result<(), PluginError> {
        let bad = |m: String| Err(PluginError::BadSettings(m));
        if self.forward_within_days < 0 {
            return bad(String::from("forward_within_days must not be negative"));
        }
        for reason in &self.information_only_reasons {
            if !self.access_reasons.contains(reason) {
                return bad(format!("information_only_reasons: \"{reason}\" is not one of access_reasons"));
            }
        }
        let mut codes: Vec<&str> = Vec::new();
        for (i, v) in self.vouchers.iter().enumerate() {
            let (amount, hours) = match v {
                Voucher::Cash { monthly_cap_cents, .. } => (*monthly_cap_cents, 1),
                Voucher::Hours { hourly_rate_cents, max_monthly_hours, .. } => (*hourly_rate_cents, *max_monthly_hours),
            };
            if amount < 0 {
                return bad(format!("vouchers[{i}]: the amount is negative"));
            }
            if hours < 1 {
                return bad(format!("vouchers[{i}].max_monthly_hours must be at least 1"));
            }
            if v.max_months() < 1 {
                return bad(format!("vouchers[{i}].max_months must be at least 1"));
            }
            codes.push(v.local_code());
        }
        for (i, c) in self.contributions.iter().enumerate() {
            if c.isee_ceiling_cents < 0 || c.monthly_cents < 0 {
                return bad(format!("contributions[{i}]: an amount is negative"));
            }
            if c.max_months < 1 {
                return bad(format!("contributions[{i}].max_months must be at least 1"));
            }
            codes.push(&c.local_code);
        }
        for (i, code) in codes.iter().enumerate() {
            if code.trim().is_empty() {
                return bad(String::from("a voucher or contribution has an empty local_code"));
            }
            if codes[..i].contains(code) {
                return bad(format!("the local code {code} is ruled twice (vouchers and contributions)"));
            }
        }
        Ok(())
    }

    /// The voucher or contribution ruling the catalogue entry with `local_code`.
    pub fn rule_for(&self, local_code: &str) -> Option<Rule<'_>> {
        if let Some(v) = self.vouchers.iter().find(|v| v.local_code() == local_code) {
            return Some(Rule::Voucher(v));
        }
        self.contributions.iter().find(|c| c.local_code == local_code).map(Rule::Contribution)
    }
}

/// The Rete Comuni rules.
pub struct ReteComuni;

impl Plugin for ReteComuni {
    fn validate(ctx: &Context, change: &Change) -> Result<Verdict, PluginError> {
        match change {
            Change::AccessSheetOpened(sheet) => Ok(access_opened_verdict(&read_settings(ctx)?, sheet)),
            Change::AccessSheetForwarded((sheet, case)) => {
                Ok(access_forwarded_verdict(&read_settings(ctx)?, sheet, case))
            }
            Change::InterventionRequested(subject) => {
                let settings = read_settings(ctx)?;
                Ok(match settings.rule_for(&subject.intervention.catalogue_entry.local_code) {
                    Some(Rule::Voucher(v)) => voucher_verdict(v, &subject.intervention, Stage::Requested),
                    Some(Rule::Contribution(_)) | None => Verdict::accept(),
                })
            }
            Change::InterventionAuthorised(subject) => {
                let settings = read_settings(ctx)?;
                Ok(match settings.rule_for(&subject.intervention.catalogue_entry.local_code) {
                    Some(Rule::Voucher(v)) => voucher_verdict(v, &subject.intervention, Stage::Authorised),
                    Some(Rule::Contribution(c)) => contribution_verdict(
                        c,
                        &subject.intervention,
                        subject.current_isee(ctx.today),
                        subject.plan.as_ref(),
                    ),
                    None => Verdict::accept(),
                })
            }
            Change::DisbursementRecorded((subject, disbursement)) => {
                let settings = read_settings(ctx)?;
                Ok(match settings.rule_for(&subject.intervention.catalogue_entry.local_code) {
                    Some(Rule::Voucher(v)) => voucher_disbursement_verdict(v, &subject.intervention, disbursement),
                    Some(Rule::Contribution(_)) | None => Verdict::accept(),
                })
            }
            _ => Ok(Verdict::accept()),
        }
    }

    fn eligibility(ctx: &Context, subject: &Subject) -> Result<EligibilityDecision, PluginError> {
        eligibility_decision(&read_settings(ctx)?, subject, ctx.today)
    }

    /// Bulk evaluation: the settings are read once for the whole batch.
    fn eligibility_batch(ctx: &Context, subjects: Vec<Subject>) -> Vec<Result<EligibilityDecision, PluginError>> {
        match read_settings(ctx) {
            Ok(settings) => subjects.iter().map(|s| eligibility_decision(&settings, s, ctx.today)).collect(),
            Err(e) => subjects.iter().map(|_| Err(e.clone())).collect(),
        }
    }

    fn catalogue() -> Vec<CatalogueEntry> {
        catalogue_entries()
    }

    fn settings_schema() -> String {
        String::from(SETTINGS_SCHEMA)
    }
}

siso_plugin_sdk::register!(ReteComuni);

/// Reads and checks the settings of the request's organisation.
fn read_settings(ctx: &Context) -> Result<Settings, PluginError> {
    let settings: Settings = siso_plugin_sdk::settings(ctx)?;
    settings.check()?;
    Ok(settings)
}

// ---- access sheets -------------------------------------------------------------------------

/// The verdict on a new access sheet: at least one reason, every reason classified, a
/// classified referral source (unless the comune allows `other`).
pub fn access_opened_verdict(settings: &Settings, sheet: &AccessSheet) -> Verdict {
    let mut vetoes = Vec::new();
    if sheet.reasons.is_empty() {
        vetoes.push(Issue::with_field(
            "REASONS_MISSING",
            "reasons",
            "The access sheet has no reason: classify at least one.",
        ));
    }
    let mut reported: Vec<&str> = Vec::new();
    for reason in &sheet.reasons {
        if !settings.access_reasons.contains(reason) && !reported.contains(&reason.as_str()) {
            reported.push(reason);
            vetoes.push(Issue::with_field(
                "REASON_NOT_CLASSIFIED",
                "reasons",
                format!("The access reason \"{reason}\" is not one of the classified access reasons."),
            ));
        }
    }
    if sheet.reporter == Reporter::Other && !settings.unclassified_reporter_allowed {
        vetoes.push(Issue::with_field(
            "REFERRAL_SOURCE_UNCLASSIFIED",
            "reporter",
            "The referral source is 'other': record who reported the need with a classified source.",
        ));
    }
    Verdict { vetoes, warnings: Vec::new() }
}

/// The verdict on forwarding an access sheet to the case being opened for it: the privacy
/// consent is recorded, the sheet is not an information request only, and the case opens
/// within `forward_within_days` days of the access.
pub fn access_forwarded_verdict(settings: &Settings, sheet: &AccessSheet, case: &Case) -> Verdict {
    let mut vetoes = Vec::new();
    if !sheet.privacy_consent {
        vetoes.push(Issue::with_field(
            "PRIVACY_CONSENT_MISSING",
            "privacyConsent",
            "The privacy notice and consent are not recorded: a case cannot be opened.",
        ));
    }
    if !sheet.reasons.is_empty() && sheet.reasons.iter().all(|r| settings.information_only_reasons.contains(r)) {
        vetoes.push(Issue::with_field(
            "INFORMATION_ONLY",
            "reasons",
            "The access is an information request only: it is answered at the desk, not taken in charge.",
        ));
    }
    let days = sheet.access_on.days_until(case.opened_on);
    if days > settings.forward_within_days {
        let (late, allowed) = (count(days, "day"), count(settings.forward_within_days, "day"));
        vetoes.push(Issue::with_field(
            "ACCESS_TOO_OLD",
            "openedOn",
            format!(
                "The case opens {late} after the access of {}: the protocol allows at most {allowed}; record a \
                 new access.",
                sheet.access_on
            ),
        ));
    }
    Verdict { vetoes, warnings: Vec::new() }
}

// ---- vouchers ------------------------------------------------------------------------------

/// The validate hook an intervention change comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// `validate.intervention-requested`.
    Requested,
    /// `validate.intervention-authorised`.
    Authorised,
}

/// The verdict on requesting or authorising a voucher: a validity within `max_months`, hours
/// (hours vouchers) or a monthly amount (cash vouchers) within the caps; at authorisation, an
/// authorised amount within the monthly maximum for the months of validity.
pub fn voucher_verdict(voucher: &Voucher, intervention: &Intervention, stage: Stage) -> Verdict {
    let mut vetoes = Vec::new();
    let max_months = voucher.max_months();
    let most = count(max_months, "month");
    let months = match intervention.ends_on {
        None => {
            vetoes.push(Issue::with_field(
                "VALIDITY_MISSING",
                "endsOn",
                format!("A voucher needs an end date: its validity is at most {most}."),
            ));
            max_months
        }
        Some(ends_on) => {
            let months = period_months(intervention.starts_on, ends_on);
            if months > max_months {
                vetoes.push(Issue::with_field(
                    "VALIDITY_TOO_LONG",
                    "endsOn",
                    format!(
                        "The voucher runs {} ({} to {ends_on}): its validity is at most {most}.",
                        count(months, "month"),
                        intervention.starts_on
                    ),
                ));
            }
            months.min(max_months)
        }
    };
    match voucher {
        Voucher::Hours { hourly_rate_cents, max_monthly_hours, .. } => match intervention.monthly_hours_centi {
            None => vetoes.push(Issue::with_field(
                "HOURS_MISSING",
                "monthlyHours",
                "An hours voucher needs the monthly hours of service.",
            )),
            Some(hours) => {
                let cap = max_monthly_hours.saturating_mul(100);
                if hours > cap {
                    vetoes.push(Issue::with_field(
                        "HOURS_ABOVE_CAP",
                        "monthlyHours",
                        format!(
                            "{} hours a month are above the voucher's {}.",
                            hours_text(hours),
                            count(*max_monthly_hours, "hour")
                        ),
                    ));
                }
                let value = per_hundred(hours, *hourly_rate_cents);
                if let Some(monthly) = intervention.monthly
                    && monthly > value
                {
                    vetoes.push(Issue::with_field(
                        "AMOUNT_ABOVE_HOURS",
                        "monthlyAmount",
                        format!(
                            "The monthly amount ({}) is above {} hours at {} an hour ({}).",
                            euros(monthly),
                            hours_text(hours),
                            euros(*hourly_rate_cents),
                            euros(value)
                        ),
                    ));
                }
            }
        },
        Voucher::Cash { monthly_cap_cents, .. } => match intervention.monthly {
            None => vetoes.push(Issue::with_field(
                "MONTHLY_AMOUNT_MISSING",
                "monthlyAmount",
                "A cash voucher needs its monthly amount.",
            )),
            Some(monthly) if monthly > *monthly_cap_cents => vetoes.push(Issue::with_field(
                "AMOUNT_ABOVE_CAP",
                "monthlyAmount",
                format!(
                    "The monthly amount ({}) is above the voucher's cap ({}).",
                    euros(monthly),
                    euros(*monthly_cap_cents)
                ),
            )),
            Some(_) => {}
        },
    }
    if stage == Stage::Authorised
        && let Some(authorised) = intervention.authorised
    {
        let monthly_max = voucher.monthly_maximum();
        let total = monthly_max.saturating_mul(months.max(0));
        if authorised > total {
            vetoes.push(Issue::with_field(
                "AUTHORISED_ABOVE_CAP",
                "authorisedAmount",
                format!(
                    "The authorised amount ({}) is above {} a month for {} ({}).",
                    euros(authorised),
                    euros(monthly_max),
                    count(months, "month"),
                    euros(total)
                ),
            ));
        }
    }
    Verdict { vetoes, warnings: Vec::new() }
}

/// The verdict on recording a disbursement of a voucher: a period within the validity; hours
/// within the monthly hours for the months paid and an amount within the hours' value (hours
/// vouchers); an amount within the cap for the months paid (cash vouchers).
pub fn voucher_disbursement_verdict(voucher: &Voucher, intervention: &Intervention, d: &Disbursement) -> Verdict {
    let mut vetoes = Vec::new();
    let outside = d.period_from < intervention.starts_on || intervention.ends_on.is_some_and(|end| d.period_to > end);
    if outside {
        let validity = match intervention.ends_on {
            Some(end) => format!("{} to {end}", intervention.starts_on),
            None => format!("from {}", intervention.starts_on),
        };
        vetoes.push(Issue::with_field(
            "OUTSIDE_VALIDITY",
            "periodFrom",
            format!(
                "The period paid ({} to {}) is outside the voucher's validity ({validity}).",
                d.period_from, d.period_to
            ),
        ));
    }
    let months = period_months(d.period_from, d.period_to).max(0);
    let paid = count(months, "month");
    match voucher {
        Voucher::Hours { hourly_rate_cents, max_monthly_hours, .. } => match d.hours_centi {
            None => vetoes.push(Issue::with_field(
                "HOURS_MISSING",
                "hours",
                "A disbursement of an hours voucher needs the hours delivered.",
            )),
            Some(hours) => {
                let cap = max_monthly_hours.saturating_mul(100).saturating_mul(months);
                if hours > cap {
                    vetoes.push(Issue::with_field(
                        "HOURS_ABOVE_CAP",
                        "hours",
                        format!(
                            "{} hours are above {} a month for {paid}.",
                            hours_text(hours),
                            count(*max_monthly_hours, "hour")
                        ),
                    ));
                }
                let value = per_hundred(hours, *hourly_rate_cents);
                if d.amount > value {
                    vetoes.push(Issue::with_field(
                        "AMOUNT_ABOVE_HOURS",
                        "amount",
                        format!(
                            "The amount ({}) is above {} hours at {} an hour ({}).",
                            euros(d.amount),
                            hours_text(hours),
                            euros(*hourly_rate_cents),
                            euros(value)
                        ),
                    ));
                }
            }
        },
        Voucher::Cash { monthly_cap_cents, .. } => {
            let cap = monthly_cap_cents.saturating_mul(months);
            if d.amount > cap {
                vetoes.push(Issue::with_field(
                    "AMOUNT_ABOVE_CAP",
                    "amount",
                    format!(
                        "The amount ({}) is above the cap of {} a month for {paid} ({}).",
                        euros(d.amount),
                        euros(*monthly_cap_cents),
                        euros(cap)
                    ),
                ));
            }
        }
    }
    Verdict { vetoes, warnings: Vec::new() }
}

// ---- economic contributions ----------------------------------------------------------------

/// Why a person does not qualify for `rule`: no ISEE valid today, an ISEE above the
/// threshold, no active personal project when one is required. Empty: they qualify.
pub fn contribution_requirements(rule: &Contribution, isee: Option<&Isee>, plan: Option<&Plan>) -> Vec<Issue> {
    let mut issues = Vec::new();
    match isee {
        None => issues.push(Issue::with_field(
            "ISEE_MISSING",
            "isee",
            "There is no ISEE valid today: the comune's regulation requires one for an economic contribution.",
        )),
        Some(isee) if isee.value > rule.isee_ceiling_cents => issues.push(Issue::with_field(
            "ISEE_ABOVE_THRESHOLD",
            "isee",
            format!(
                "The ISEE ({}) is above the threshold of the comune's regulation ({}).",
                euros(isee.value),
                euros(rule.isee_ceiling_cents)
            ),
        )),
        Some(_) => {}
    }
    if rule.requires_project && !plan.is_some_and(|p| p.active) {
        issues.push(Issue::with_field(
            "PROJECT_MISSING",
            "planId",
            "The comune's regulation grants this contribution only with an active personal project (plan).",
        ));
    }
    issues
}

/// The verdict on authorising an economic contribution: the requirements of
/// [`contribution_requirements`], a monthly amount within the rule, a duration within
/// `max_months` and an authorised amount within the monthly amount for the months granted.
pub fn contribution_verdict(
    rule: &Contribution,
    intervention: &Intervention,
    isee: Option<&Isee>,
    plan: Option<&Plan>,
) -> Verdict {
    let mut vetoes = contribution_requirements(rule, isee, plan);
    match intervention.monthly {
        None => vetoes.push(Issue::with_field(
            "MONTHLY_AMOUNT_MISSING",
            "monthlyAmount",
            "The contribution needs its monthly amount.",
        )),
        Some(monthly) if monthly > rule.monthly_cents => vetoes.push(Issue::with_field(
            "AMOUNT_ABOVE_RULE",
            "monthlyAmount",
            format!(
                "The monthly amount ({}) is above the regulation's {} a month.",
                euros(monthly),
                euros(rule.monthly_cents)
            ),
        )),
        Some(_) => {}
    }
    let months = match intervention.ends_on {
        None => {
            vetoes.push(Issue::with_field(
                "DURATION_MISSING",
                "endsOn",
                format!(
                    "The contribution needs an end date: the regulation grants it for at most {}.",
                    count(rule.max_months, "month")
                ),
            ));
            rule.max_months
        }
        Some(ends_on) => {
            let months = period_months(intervention.starts_on, ends_on);
            if months > rule.max_months {
                vetoes.push(Issue::with_field(
                    "DURATION_ABOVE_RULE",
                    "endsOn",
                    format!(
                        "The contribution runs {} ({} to {ends_on}): the regulation grants it for at most {}.",
                        count(months, "month"),
                        intervention.starts_on,
                        count(rule.max_months, "month")
                    ),
                ));
            }
            months.min(rule.max_months)
        }
    };
    if let Some(authorised) = intervention.authorised {
        let total = rule.monthly_cents.saturating_mul(months.max(0));
        if authorised > total {
            vetoes.push(Issue::with_field(
                "AUTHORISED_ABOVE_RULE",
                "authorisedAmount",
                format!(
                    "The authorised amount ({}) is above {} a month for {} ({}).",
                    euros(authorised),
                    euros(rule.monthly_cents),
                    count(months, "month"),
                    euros(total)
                ),
            ));
        }
    }
    Verdict { vetoes, warnings: Vec::new() }
}

// ---- eligibility ---------------------------------------------------------------------------

/// Eligibility for the intervention of `subject`: a contribution by its ISEE and project
/// requirements, for its monthly amount; a voucher for its monthly maximum. Any other entry
/// is not this plug-in's business ([`PluginError::Unsupported`]).
pub fn eligibility_decision(
    settings: &Settings,
    subject: &Subject,
    today: Date,
) -> Result<EligibilityDecision, PluginError> {
    let entry = &subject.intervention.catalogue_entry;
    match settings.rule_for(&entry.local_code) {
        Some(Rule::Contribution(rule)) => {
            Ok(contribution_eligibility(rule, subject.current_isee(today), subject.plan.as_ref()))
        }
        Some(Rule::Voucher(voucher)) => Ok(voucher_eligibility(voucher)),
        None => Err(PluginError::Unsupported(format!(
            "the catalogue entry {} is neither a voucher nor a contribution of the Rete Comuni settings",
            entry.local_code
        ))),
    }
}

/// Eligibility for a contribution: its requirements met, for its monthly amount.
pub fn contribution_eligibility(rule: &Contribution, isee: Option<&Isee>, plan: Option<&Plan>) -> EligibilityDecision {
    let issues = contribution_requirements(rule, isee, plan);
    match isee {
        Some(isee) if issues.is_empty() => EligibilityDecision::eligible(
            Some(rule.monthly_cents),
            vec![Issue::with_field(
                "CONTRIBUTION_RULE",
                "isee",
                format!(
                    "The ISEE ({}) is within the threshold ({}): {} a month for at most {}.",
                    euros(isee.value),
                    euros(rule.isee_ceiling_cents),
                    euros(rule.monthly_cents),
                    count(rule.max_months, "month")
                ),
            )],
        ),
        _ => EligibilityDecision::ineligible(issues),
    }
}

/// Eligibility for a voucher: eligible for its monthly maximum.
pub fn voucher_eligibility(voucher: &Voucher) -> EligibilityDecision {
    let message = match voucher {
        Voucher::Cash { local_code, monthly_cap_cents, max_months } => format!(
            "Voucher {local_code}: up to {} a month for at most {}.",
            euros(*monthly_cap_cents),
            count(*max_months, "month")
        ),
        Voucher::Hours { local_code, hourly_rate_cents, max_monthly_hours, max_months } => format!(
            "Voucher {local_code}: up to {} a month at {} an hour ({} a month) for at most {}.",
            count(*max_monthly_hours, "hour"),
            euros(*hourly_rate_cents),
            euros(voucher.monthly_maximum()),
            count(*max_months, "month")
        ),
    };
    EligibilityDecision::eligible(Some(voucher.monthly_maximum()), vec![Issue::new("VOUCHER_RULE", message)])
}

// ---- catalogue -----------------------------------------------------------------------------

/// The vouchers this plug-in adds to the catalogue (the economic contribution `CONTR-ECO` is
/// in the national catalogue already).
pub fn catalogue_entries() -> Vec<CatalogueEntry> {
    vec![
        CatalogueEntry {
            local_code: String::from("BUONO-SOCIALE"),
            name: String::from("Buono sociale mensile (caregiver familiare)"),
            inps_code: String::from("A1.11"),
            inps_area: InpsArea::Disability,
            istat_area: UserArea::Disability,
            istat_type: IstatType::Cash,
            sina_required: true,
            means_test: MeansTest::Isee,
            character: BenefitCharacter::Periodic,
        },
        CatalogueEntry {
            local_code: String::from("VOUCHER-SAD"),
            name: String::from("Voucher sociale per assistenza domiciliare"),
            inps_code: String::from("A2.07"),
            inps_area: InpsArea::Disability,
            istat_area: UserArea::Elderly,
            istat_type: IstatType::Services,
            sina_required: true,
            means_test: MeansTest::Isee,
            character: BenefitCharacter::Periodic,
        },
    ]
}

// ---- arithmetic ----------------------------------------------------------------------------

/// The calendar months of a period: from the start's month to the end's month, both included
/// (`2026-03-15`..`2026-04-02` is 2 months; [`Date::calendar_months_to`]). Zero or less when the
/// end is before the start's month: 1 within the start's month, one less for each month further
/// back.
pub fn period_months(from: Date, to: Date) -> i64 {
    // When `to` is before `from`, `to.calendar_months_to(from)` is `Some`: months back, plus 1.
    from.calendar_months_to(to).unwrap_or_else(|| 2 - to.calendar_months_to(from).unwrap_or(1))
}

/// `n` units, e.g. `1 month`, `6 months`.
fn count(n: i64, unit: &str) -> String {
    if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") }
}

/// Hours ×100 as text: `1250` → `12.50`.
fn hours_text(centi: i64) -> String {
    let sign = if centi < 0 { "-" } else { "" };
    let abs = centi.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use siso_plugin_sdk::{AccessChannel, CaseState, InterventionState, IseeKind, Person, PlanKind, Sex};

    const TODAY: Date = Date::new(2026, 11, 26);

    fn codes(issues: &[Issue]) -> Vec<&str> {
        issues.iter().map(|i| i.code.as_str()).collect()
    }

    fn fields(issues: &[Issue]) -> Vec<Option<&str>> {
        issues.iter().map(|i| i.field.as_deref()).collect()
    }

    fn sheet(reasons: &[&str]) -> AccessSheet {
        AccessSheet {
            id: 1,
            org_unit_id: 4,
            person_id: Some(1),
            access_on: Date::new(2026, 11, 20),
            channel: AccessChannel::InPerson,
            reporter: Reporter::SelfReferral,
            reasons: reasons.iter().map(|r| String::from(*r)).collect(),
            privacy_consent: true,
        }
    }

    fn case(opened_on: Date) -> Case {
        Case { id: 1, org_unit_id: 4, state: CaseState::Open, area: UserArea::Poverty, opened_on }
    }

    fn entry(local_code: &str) -> CatalogueEntry {
        CatalogueEntry {
            local_code: String::from(local_code),
            name: String::from("Entry"),
            inps_code: String::from("A1.04"),
            inps_area: InpsArea::Poverty,
            istat_area: UserArea::Poverty,
            istat_type: IstatType::Cash,
            sina_required: false,
            means_test: MeansTest::Isee,
            character: BenefitCharacter::Periodic,
        }
    }

    fn intervention(local_code: &str) -> Intervention {
        Intervention {
            id: 7,
            state: InterventionState::Requested,
            catalogue_entry: entry(local_code),
            requested: 180_000,
            authorised: None,
            disbursed: 0,
            monthly: Some(30_000),
            co_payment: None,
            monthly_hours_centi: None,
            starts_on: Date::new(2026, 1, 1),
            ends_on: Some(Date::new(2026, 6, 30)),
            provider_id: None,
            funding_line_id: None,
        }
    }

    fn isee(value: Cents) -> Isee {
        Isee {
            kind: IseeKind::Ordinary,
            value,
            dsu_year: 2026,
            valid_from: Date::new(2026, 1, 15),
            valid_until: Date::new(2026, 12, 31),
        }
    }

    fn plan(active: bool) -> Plan {
        Plan {
            id: 9,
            kind: PlanKind::Pai,
            active,
            starts_on: Date::new(2026, 1, 1),
            planned_end_on: None,
            review_every_months: 6,
            next_review_on: Date::new(2026, 7, 1),
            objectives: Vec::new(),
        }
    }

    fn subject(local_code: &str, isee_list: Vec<Isee>, plan: Option<Plan>) -> Subject {
        Subject {
            person: Person {
                id: 1,
                sex: Sex::Female,
                birth_date: Date::new(1990, 3, 2),
                citizenship_code: Some(String::from("100")),
                residence_comune_code: None,
                homeless: false,
                disability: false,
                civil_invalidity_percent: None,
                has_legal_guardian: false,
            },
            household: None,
            isee: isee_list,
            case: case(Date::new(2025, 12, 1)),
            needs: Vec::new(),
            assessments: Vec::new(),
            plan,
            intervention: intervention(local_code),
        }
    }

    fn cash() -> Voucher {
        Voucher::Cash { local_code: String::from("BUONO-SOCIALE"), monthly_cap_cents: 40_000, max_months: 12 }
    }

    fn hours() -> Voucher {
        Voucher::Hours {
            local_code: String::from("VOUCHER-SAD"),
            hourly_rate_cents: 2_000,
            max_monthly_hours: 40,
            max_months: 6,
        }
    }

    fn contribution() -> Contribution {
        Contribution {
            local_code: String::from("CONTR-ECO"),
            isee_ceiling_cents: 600_000,
            monthly_cents: 30_000,
            max_months: 6,
            requires_project: true,
        }
    }

    fn disbursement(from: Date, to: Date, amount: Cents, hours_centi: Option<i64>) -> Disbursement {
        Disbursement {
            paid_on: to,
            period_from: from,
            period_to: to,
            amount,
            ente_share: amount,
            user_share: 0,
            ssn_share: 0,
            other_share: 0,
            hours_centi,
        }
    }

    // ---- settings ----

    #[test]
    fn empty_settings_give_the_defaults() {
        let s: Settings = serde_json::from_str("{}").expect("defaults");
        assert_eq!(s, Settings::default());
        assert_eq!(s.access_reasons.len(), 14);
        assert_eq!(s.information_only_reasons, ["information"]);
        assert!(!s.unclassified_reporter_allowed);
        assert_eq!(s.forward_within_days, 60);
        assert_eq!(s.vouchers, [cash(), hours()]);
        assert_eq!(s.contributions, [contribution()]);
        assert_eq!(s.check(), Ok(()));
    }

    #[test]
    fn the_documented_settings_parse() {
        let s: Settings = serde_json::from_str(
            r#"{ "access_reasons": ["information", "housing"],
                 "information_only_reasons": ["information"],
                 "unclassified_reporter_allowed": true,
                 "forward_within_days": 30,
                 "vouchers": [ {"local_code": "BUONO-SOCIALE", "kind": "cash", "monthly_cap_cents": 40000, "max_months": 12},
                               {"local_code": "VOUCHER-SAD", "kind": "hours", "hourly_rate_cents": 2000, "max_monthly_hours": 40, "max_months": 6} ],
                 "contributions": [ {"local_code": "CONTR-ECO", "isee_ceiling_cents": 600000, "monthly_cents": 30000, "max_months": 6, "requires_project": true} ] }"#,
        )
        .expect("valid settings");
        assert_eq!(s.forward_within_days, 30);
        assert!(s.unclassified_reporter_allowed);
        assert_eq!(s.vouchers, [cash(), hours()]);
        assert_eq!(s.check(), Ok(()));
    }

    #[test]
    fn settings_reject_unknown_fields_and_mixed_voucher_kinds() {
        assert!(serde_json::from_str::<Settings>(r#"{"extra": 1}"#).is_err());
        // A cash voucher with an hours field, or an hours voucher without its rate.
        assert!(
            serde_json::from_str::<Settings>(
                r#"{"vouchers": [{"local_code": "X", "kind": "cash", "monthly_cap_cents": 1, "max_months": 1, "max_monthly_hours": 3}]}"#
            )
            .is_err()
        );
        assert!(
            serde_json::from_str::<Settings>(
                r#"{"vouchers": [{"local_code": "X", "kind": "hours", "max_monthly_hours": 3, "max_months": 1}]}"#
            )
            .is_err()
        );
        assert!(
            serde_json::from_str::<Settings>(
                r#"{"vouchers": [{"local_code": "X", "kind": "gift", "monthly_cap_cents": 1, "max_months": 1}]}"#
            )
            .is_err()
        );
        assert!(
            serde_json::from_str::<Settings>(
                r#"{"contributions": [{"local_code": "X", "isee_ceiling_cents": 1, "monthly_cents": 1, "max_months": 1}]}"#
            )
            .is_err()
        );
    }

    #[test]
    fn settings_check_what_the_schema_cannot() {
        let bad = |s: Settings| matches!(s.check(), Err(PluginError::BadSettings(_)));
        let mut s = Settings::default();
        s.contributions[0].local_code = String::from("BUONO-SOCIALE");
        assert!(bad(s));
        let mut s = Settings::default();
        s.vouchers.push(cash());
        assert!(bad(s));
        let mut s = Settings::default();
        s.information_only_reasons.push(String::from("gossip"));
        assert!(bad(s));
        assert!(bad(Settings { forward_within_days: -1, ..Settings::default() }));
        let mut s = Settings::default();
        s.contributions[0].max_months = 0;
        assert!(bad(s));
        let mut s = Settings::default();
        s.contributions[0].monthly_cents = -1;
        assert!(bad(s));
        let mut s = Settings::default();
        s.vouchers[0] = Voucher::Cash { local_code: String::from("B"), monthly_cap_cents: -5, max_months: 2 };
        assert!(bad(s));
        let mut s = Settings::default();
        s.vouchers[1] = Voucher::Hours {
            local_code: String::from("H"),
            hourly_rate_cents: 2_000,
            max_monthly_hours: 0,
            max_months: 2,
        };
        assert!(bad(s));
        let mut s = Settings::default();
        s.vouchers[1] = Voucher::Hours {
            local_code: String::from(" "),
            hourly_rate_cents: 2_000,
            max_monthly_hours: 4,
            max_months: 2,
        };
        assert!(bad(s));
    }

    #[test]
    fn rules_are_found_by_local_code() {
        let s = Settings::default();
        assert_eq!(s.rule_for("BUONO-SOCIALE"), Some(Rule::Voucher(&s.vouchers[0])));
        assert_eq!(s.rule_for("VOUCHER-SAD"), Some(Rule::Voucher(&s.vouchers[1])));
        assert_eq!(s.rule_for("CONTR-ECO"), Some(Rule::Contribution(&s.contributions[0])));
        assert_eq!(s.rule_for("ASS-CURA"), None);
        assert_eq!(s.rule_for("contr-eco"), None);
    }

    #[test]
    fn the_schema_is_json_and_closed() {
        let schema: serde_json::Value = serde_json::from_str(SETTINGS_SCHEMA).expect("schema is JSON");
        assert_eq!(schema["additionalProperties"], serde_json::Value::Bool(false));
        assert_eq!(schema["properties"]["forward_within_days"]["default"], serde_json::json!(60));
        let items = &schema["properties"]["vouchers"]["items"]["oneOf"];
        assert_eq!(items.as_array().map(Vec::len), Some(2));
        // The defaults in the schema are the defaults of the code.
        let defaults: serde_json::Map<String, serde_json::Value> = schema["properties"]
            .as_object()
            .expect("properties")
            .iter()
            .map(|(k, v)| (k.clone(), v["default"].clone()))
            .collect();
        let s: Settings = serde_json::from_value(serde_json::Value::Object(defaults)).expect("schema defaults parse");
        assert_eq!(s, Settings::default());
    }

    // ---- access sheets ----

    #[test]
    fn an_access_sheet_needs_classified_reasons() {
        let s = Settings::default();
        assert_eq!(access_opened_verdict(&s, &sheet(&["housing", "work"])), Verdict::accept());
        let v = access_opened_verdict(&s, &sheet(&[]));
        assert_eq!(codes(&v.vetoes), ["REASONS_MISSING"]);
        assert_eq!(fields(&v.vetoes), [Some("reasons")]);
        let v = access_opened_verdict(&s, &sheet(&["housing", "gossip", "weather", "gossip"]));
        assert_eq!(codes(&v.vetoes), ["REASON_NOT_CLASSIFIED", "REASON_NOT_CLASSIFIED"]);
        assert_eq!(fields(&v.vetoes), [Some("reasons"), Some("reasons")]);
        assert!(v.vetoes[0].message.contains("\"gossip\""), "{}", v.vetoes[0].message);
        assert!(v.vetoes[1].message.contains("\"weather\""), "{}", v.vetoes[1].message);
    }

    #[test]
    fn an_unclassified_referral_source_is_vetoed_unless_allowed() {
        let mut other = sheet(&["housing"]);
        other.reporter = Reporter::Other;
        let v = access_opened_verdict(&Settings::default(), &other);
        assert_eq!(codes(&v.vetoes), ["REFERRAL_SOURCE_UNCLASSIFIED"]);
        assert_eq!(fields(&v.vetoes), [Some("reporter")]);
        let allowed = Settings { unclassified_reporter_allowed: true, ..Settings::default() };
        assert_eq!(access_opened_verdict(&allowed, &other), Verdict::accept());
        let mut family = sheet(&["housing"]);
        family.reporter = Reporter::Family;
        assert_eq!(access_opened_verdict(&Settings::default(), &family), Verdict::accept());
    }

    #[test]
    fn forwarding_needs_consent_a_real_need_and_a_recent_access() {
        let s = Settings::default();
        let opened = Date::new(2026, 11, 26);
        assert_eq!(access_forwarded_verdict(&s, &sheet(&["information", "housing"]), &case(opened)), Verdict::accept());

        let mut no_consent = sheet(&["housing"]);
        no_consent.privacy_consent = false;
        let v = access_forwarded_verdict(&s, &no_consent, &case(opened));
        assert_eq!(codes(&v.vetoes), ["PRIVACY_CONSENT_MISSING"]);
        assert_eq!(fields(&v.vetoes), [Some("privacyConsent")]);

        let v = access_forwarded_verdict(&s, &sheet(&["information"]), &case(opened));
        assert_eq!(codes(&v.vetoes), ["INFORMATION_ONLY"]);
        assert_eq!(fields(&v.vetoes), [Some("reasons")]);
    }

    #[test]
    fn forwarding_window_counts_calendar_days() {
        let s = Settings::default();
        // Access on 2026-11-20: day 60 is 2027-01-19, day 61 is 2027-01-20.
        let at_limit = access_forwarded_verdict(&s, &sheet(&["housing"]), &case(Date::new(2027, 1, 19)));
        assert_eq!(at_limit, Verdict::accept());
        let v = access_forwarded_verdict(&s, &sheet(&["housing"]), &case(Date::new(2027, 1, 20)));
        assert_eq!(codes(&v.vetoes), ["ACCESS_TOO_OLD"]);
        assert_eq!(fields(&v.vetoes), [Some("openedOn")]);
        assert!(v.vetoes[0].message.contains("61 days"), "{}", v.vetoes[0].message);
        // A case opened before the access (an existing case) is not late.
        assert_eq!(access_forwarded_verdict(&s, &sheet(&["housing"]), &case(Date::new(2020, 1, 1))), Verdict::accept());
        let strict = Settings { forward_within_days: 0, ..Settings::default() };
        let v = access_forwarded_verdict(&strict, &sheet(&["housing"]), &case(Date::new(2026, 11, 21)));
        assert_eq!(codes(&v.vetoes), ["ACCESS_TOO_OLD"]);
    }

    // ---- vouchers ----

    #[test]
    fn a_cash_voucher_within_its_cap_and_validity_is_accepted() {
        let mut i = intervention("BUONO-SOCIALE");
        i.monthly = Some(40_000);
        i.ends_on = Some(Date::new(2026, 12, 31));
        assert_eq!(voucher_verdict(&cash(), &i, Stage::Requested), Verdict::accept());
        i.authorised = Some(480_000);
        assert_eq!(voucher_verdict(&cash(), &i, Stage::Authorised), Verdict::accept());
    }

    #[test]
    fn a_voucher_needs_a_validity_within_its_months() {
        let mut i = intervention("BUONO-SOCIALE");
        i.ends_on = None;
        let v = voucher_verdict(&cash(), &i, Stage::Requested);
        assert_eq!(codes(&v.vetoes), ["VALIDITY_MISSING"]);
        assert_eq!(fields(&v.vetoes), [Some("endsOn")]);
        // 2026-01 to 2027-01 is 13 calendar months.
        i.ends_on = Some(Date::new(2027, 1, 1));
        let v = voucher_verdict(&cash(), &i, Stage::Requested);
        assert_eq!(codes(&v.vetoes), ["VALIDITY_TOO_LONG"]);
        assert_eq!(fields(&v.vetoes), [Some("endsOn")]);
        assert!(v.vetoes[0].message.contains("13 months"), "{}", v.vetoes[0].message);
    }

    #[test]
    fn a_cash_voucher_needs_a_monthly_amount_within_the_cap() {
        let mut i = intervention("BUONO-SOCIALE");
        i.monthly = None;
        let v = voucher_verdict(&cash(), &i, Stage::Requested);
        assert_eq!(
            (codes(&v.vetoes), fields(&v.vetoes)),
            (vec!["MONTHLY_AMOUNT_MISSING"], vec![Some("monthlyAmount")])
        );
        i.monthly = Some(40_001);
        let v = voucher_verdict(&cash(), &i, Stage::Requested);
        assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["AMOUNT_ABOVE_CAP"], vec![Some("monthlyAmount")]));
        assert_eq!(v.vetoes[0].message, "The monthly amount (€400.01) is above the voucher's cap (€400.00).");
    }

    #[test]
    fn an_hours_voucher_needs_hours_within_the_cap_and_an_amount_within_their_value() {
        let mut i = intervention("VOUCHER-SAD");
        i.monthly = None;
        let v = voucher_verdict(&hours(), &i, Stage::Requested);
        assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["HOURS_MISSING"], vec![Some("monthlyHours")]));

        i.monthly_hours_centi = Some(4_000);
        i.monthly = Some(80_000);
        assert_eq!(voucher_verdict(&hours(), &i, Stage::Requested), Verdict::accept());

        i.monthly_hours_centi = Some(4_001);
        let v = voucher_verdict(&hours(), &i, Stage::Requested);
        assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["HOURS_ABOVE_CAP"], vec![Some("monthlyHours")]));

        // 12.5 hours at €20.00 is €250.00.
        i.monthly_hours_centi = Some(1_250);
        i.monthly = Some(25_000);
        assert_eq!(voucher_verdict(&hours(), &i, Stage::Requested), Verdict::accept());
        i.monthly = Some(25_001);
        let v = voucher_verdict(&hours(), &i, Stage::Requested);
        assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["AMOUNT_ABOVE_HOURS"], vec![Some("monthlyAmount")]));
        assert_eq!(
            v.vetoes[0].message,
            "The monthly amount (€250.01) is above 12.50 hours at €20.00 an hour (€250.00)."
        );
    }

    #[test]
    fn the_authorised_amount_of_a_voucher_is_capped_by_its_months() {
        // Cash: €400.00 × 6 months (January to June).
        let mut i = intervention("BUONO-SOCIALE");
        i.authorised = Some(240_000);
        assert_eq!(voucher_verdict(&cash(), &i, Stage::Authorised), Verdict::accept());
        i.authorised = Some(240_001);
        let v = voucher_verdict(&cash(), &i, Stage::Authorised);
        assert_eq!(codes(&v.vetoes), ["AUTHORISED_ABOVE_CAP"]);
        assert_eq!(fields(&v.vetoes), [Some("authorisedAmount")]);
        // Not checked at the request.
        assert_eq!(voucher_verdict(&cash(), &i, Stage::Requested), Verdict::accept());

        // Hours: 40 hours × €20.00 × 6 months = €4800.00.
        let mut i = intervention("VOUCHER-SAD");
        i.monthly_hours_centi = Some(2_000);
        i.monthly = Some(40_000);
        i.authorised = Some(480_000);
        assert_eq!(voucher_verdict(&hours(), &i, Stage::Authorised), Verdict::accept());
        i.authorised = Some(480_001);
        let v = voucher_verdict(&hours(), &i, Stage::Authorised);
        assert_eq!(codes(&v.vetoes), ["AUTHORISED_ABOVE_CAP"]);
        assert!(v.vetoes[0].message.contains("€800.00 a month for 6 months (€4800.00)"), "{}", v.vetoes[0].message);

        // Too long: the months beyond the validity give nothing.
        i.ends_on = Some(Date::new(2026, 12, 31));
        let v = voucher_verdict(&hours(), &i, Stage::Authorised);
        assert_eq!(codes(&v.vetoes), ["VALIDITY_TOO_LONG", "AUTHORISED_ABOVE_CAP"]);
    }

    #[test]
    fn voucher_disbursements_stay_within_validity_hours_and_caps() {
        let jan = (Date::new(2026, 1, 1), Date::new(2026, 1, 31));
        let mut i = intervention("VOUCHER-SAD");
        i.monthly_hours_centi = Some(4_000);

        let ok = disbursement(jan.0, jan.1, 80_000, Some(4_000));
        assert_eq!(voucher_disbursement_verdict(&hours(), &i, &ok), Verdict::accept());

        let v = voucher_disbursement_verdict(&hours(), &i, &disbursement(jan.0, jan.1, 10_000, None));
        assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["HOURS_MISSING"], vec![Some("hours")]));

        let v = voucher_disbursement_verdict(&hours(), &i, &disbursement(jan.0, jan.1, 80_000, Some(4_050)));
        assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["HOURS_ABOVE_CAP"], vec![Some("hours")]));

        // Two months may pay 80 hours.
        let two = disbursement(Date::new(2026, 2, 1), Date::new(2026, 3, 31), 160_000, Some(8_000));
        assert_eq!(voucher_disbursement_verdict(&hours(), &i, &two), Verdict::accept());

        let v = voucher_disbursement_verdict(&hours(), &i, &disbursement(jan.0, jan.1, 60_001, Some(3_000)));
        assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["AMOUNT_ABOVE_HOURS"], vec![Some("amount")]));

        let late = disbursement(Date::new(2026, 7, 1), Date::new(2026, 7, 31), 1_000, Some(50));
        let v = voucher_disbursement_verdict(&hours(), &i, &late);
        assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["OUTSIDE_VALIDITY"], vec![Some("periodFrom")]));
        let early = disbursement(Date::new(2025, 12, 1), Date::new(2025, 12, 31), 1_000, Some(50));
        assert_eq!(codes(&voucher_disbursement_verdict(&hours(), &i, &early).vetoes), ["OUTSIDE_VALIDITY"]);

        let i = intervention("BUONO-SOCIALE");
        let ok = disbursement(Date::new(2026, 1, 1), Date::new(2026, 2, 28), 80_000, None);
        assert_eq!(voucher_disbursement_verdict(&cash(), &i, &ok), Verdict::accept());
        let v = voucher_disbursement_verdict(&cash(), &i, &disbursement(jan.0, jan.1, 40_001, None));
        assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["AMOUNT_ABOVE_CAP"], vec![Some("amount")]));
        assert_eq!(
            v.vetoes[0].message,
            "The amount (€400.01) is above the cap of €400.00 a month for 1 month (€400.00)."
        );
    }

    // ---- contributions ----

    #[test]
    fn a_contribution_within_the_rule_is_authorised() {
        let mut i = intervention("CONTR-ECO");
        i.authorised = Some(180_000);
        let v = contribution_verdict(&contribution(), &i, Some(&isee(480_000)), Some(&plan(true)));
        assert_eq!(v, Verdict::accept());
        // At the threshold.
        let v = contribution_verdict(&contribution(), &i, Some(&isee(600_000)), Some(&plan(true)));
        assert_eq!(v, Verdict::accept());
    }

    #[test]
    fn a_contribution_needs_an_isee_within_the_threshold() {
        let i = intervention("CONTR-ECO");
        let v = contribution_verdict(&contribution(), &i, None, Some(&plan(true)));
        assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["ISEE_MISSING"], vec![Some("isee")]));
        let v = contribution_verdict(&contribution(), &i, Some(&isee(750_000)), Some(&plan(true)));
        assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["ISEE_ABOVE_THRESHOLD"], vec![Some("isee")]));
        assert_eq!(
            v.vetoes[0].message,
            "The ISEE (€7500.00) is above the threshold of the comune's regulation (€6000.00)."
        );
    }

    #[test]
    fn a_contribution_may_need_an_active_project() {
        let i = intervention("CONTR-ECO");
        for p in [None, Some(plan(false))] {
            let v = contribution_verdict(&contribution(), &i, Some(&isee(480_000)), p.as_ref());
            assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["PROJECT_MISSING"], vec![Some("planId")]));
        }
        let free = Contribution { requires_project: false, ..contribution() };
        assert_eq!(contribution_verdict(&free, &i, Some(&isee(480_000)), None), Verdict::accept());
    }

    #[test]
    fn a_contribution_needs_amount_and_duration_within_the_rule() {
        let p = plan(true);
        let ok_isee = isee(480_000);
        let verdict = |i: &Intervention| contribution_verdict(&contribution(), i, Some(&ok_isee), Some(&p));

        let mut i = intervention("CONTR-ECO");
        i.monthly = None;
        let v = verdict(&i);
        assert_eq!(
            (codes(&v.vetoes), fields(&v.vetoes)),
            (vec!["MONTHLY_AMOUNT_MISSING"], vec![Some("monthlyAmount")])
        );
        i.monthly = Some(30_001);
        let v = verdict(&i);
        assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["AMOUNT_ABOVE_RULE"], vec![Some("monthlyAmount")]));

        let mut i = intervention("CONTR-ECO");
        i.ends_on = None;
        let v = verdict(&i);
        assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["DURATION_MISSING"], vec![Some("endsOn")]));
        i.ends_on = Some(Date::new(2026, 7, 1));
        let v = verdict(&i);
        assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["DURATION_ABOVE_RULE"], vec![Some("endsOn")]));

        // 3 months (January to March): at most €900.00.
        let mut i = intervention("CONTR-ECO");
        i.ends_on = Some(Date::new(2026, 3, 31));
        i.authorised = Some(90_000);
        assert_eq!(verdict(&i), Verdict::accept());
        i.authorised = Some(90_001);
        let v = verdict(&i);
        assert_eq!(
            (codes(&v.vetoes), fields(&v.vetoes)),
            (vec!["AUTHORISED_ABOVE_RULE"], vec![Some("authorisedAmount")])
        );
        assert_eq!(
            v.vetoes[0].message,
            "The authorised amount (€900.01) is above €300.00 a month for 3 months (€900.00)."
        );
    }

    #[test]
    fn every_failed_requirement_is_reported() {
        let mut i = intervention("CONTR-ECO");
        i.monthly = Some(50_000);
        i.ends_on = None;
        i.authorised = Some(300_000);
        let v = contribution_verdict(&contribution(), &i, None, None);
        assert_eq!(
            codes(&v.vetoes),
            ["ISEE_MISSING", "PROJECT_MISSING", "AMOUNT_ABOVE_RULE", "DURATION_MISSING", "AUTHORISED_ABOVE_RULE"]
        );
    }

    // ---- eligibility ----

    #[test]
    fn eligibility_for_a_contribution() {
        let s = Settings::default();
        let d = eligibility_decision(&s, &subject("CONTR-ECO", vec![isee(480_000)], Some(plan(true))), TODAY)
            .expect("decision");
        assert!(d.eligible);
        assert_eq!(d.amount, Some(30_000));
        assert_eq!(codes(&d.reasons), ["CONTRIBUTION_RULE"]);
        assert_eq!(
            d.reasons[0].message,
            "The ISEE (€4800.00) is within the threshold (€6000.00): €300.00 a month for at most 6 months."
        );

        let d = eligibility_decision(&s, &subject("CONTR-ECO", vec![isee(750_000)], None), TODAY).expect("decision");
        assert!(!d.eligible);
        assert_eq!(d.amount, None);
        assert_eq!(codes(&d.reasons), ["ISEE_ABOVE_THRESHOLD", "PROJECT_MISSING"]);

        // An ISEE no longer valid today does not count.
        let mut expired = isee(100_000);
        expired.valid_until = Date::new(2026, 11, 25);
        let d =
            eligibility_decision(&s, &subject("CONTR-ECO", vec![expired], Some(plan(true))), TODAY).expect("decision");
        assert_eq!((d.eligible, codes(&d.reasons)), (false, vec!["ISEE_MISSING"]));
    }

    #[test]
    fn eligibility_for_vouchers_gives_the_monthly_maximum() {
        let s = Settings::default();
        let d = eligibility_decision(&s, &subject("BUONO-SOCIALE", Vec::new(), None), TODAY).expect("decision");
        assert!(d.eligible);
        assert_eq!(d.amount, Some(40_000));
        assert_eq!(codes(&d.reasons), ["VOUCHER_RULE"]);
        let d = eligibility_decision(&s, &subject("VOUCHER-SAD", Vec::new(), None), TODAY).expect("decision");
        assert_eq!(d.amount, Some(80_000));
        assert_eq!(
            d.reasons[0].message,
            "Voucher VOUCHER-SAD: up to 40 hours a month at €20.00 an hour (€800.00 a month) for at most 6 months."
        );
    }

    #[test]
    fn eligibility_for_other_entries_abstains() {
        let r = eligibility_decision(&Settings::default(), &subject("ASS-CURA", Vec::new(), None), TODAY);
        assert!(matches!(r, Err(PluginError::Unsupported(_))), "{r:?}");
    }

    // ---- catalogue and arithmetic ----

    #[test]
    fn the_catalogue_holds_the_two_vouchers() {
        let c = catalogue_entries();
        let summary: Vec<(&str, &str, IstatType)> =
            c.iter().map(|e| (e.local_code.as_str(), e.inps_code.as_str(), e.istat_type)).collect();
        assert_eq!(
            summary,
            [("BUONO-SOCIALE", "A1.11", IstatType::Cash), ("VOUCHER-SAD", "A2.07", IstatType::Services)]
        );
        assert!(c.iter().all(|e| e.means_test == MeansTest::Isee && e.character == BenefitCharacter::Periodic));
        // Every voucher of the default settings is in the catalogue.
        let s = Settings::default();
        assert!(s.vouchers.iter().all(|v| c.iter().any(|e| e.local_code == v.local_code())));
    }

    #[test]
    fn months_of_a_period_are_calendar_months() {
        assert_eq!(period_months(Date::new(2026, 3, 1), Date::new(2026, 12, 31)), 10);
        assert_eq!(period_months(Date::new(2026, 3, 31), Date::new(2026, 3, 31)), 1);
        assert_eq!(period_months(Date::new(2026, 3, 15), Date::new(2026, 4, 2)), 2);
        assert_eq!(period_months(Date::new(2025, 11, 1), Date::new(2026, 2, 1)), 4);
        assert_eq!(period_months(Date::new(2026, 3, 1), Date::new(2026, 2, 1)), 0);
    }

    #[test]
    fn a_period_that_ends_before_it_starts_counts_zero_or_less() {
        assert_eq!(period_months(Date::new(2026, 3, 20), Date::new(2026, 3, 10)), 1);
        assert_eq!(period_months(Date::new(2026, 3, 1), Date::new(2026, 1, 31)), -1);
        assert_eq!(period_months(Date::new(2027, 1, 1), Date::new(2025, 12, 31)), -12);
    }

    #[test]
    fn hours_and_counts_as_text() {
        assert_eq!(hours_text(1_250), "12.50");
        assert_eq!(
            (count(1, "month"), count(0, "day"), count(40, "hour")),
            ("1 month".into(), "0 days".into(), "40 hours".into())
        );
    }
}
