//! # Co-payment by ISEE bands (`it.siso.compartecipazione`)
//!
//! The user's monthly share (*compartecipazione*) of the cost of a service, under the
//! regulation of the comune that installs the plug-in: ISEE bands each with a percentage of
//! the monthly cost or a fixed amount, exemptions (by ISEE, by service, for full civil
//! invalidity), a monthly cap, and a policy for users without a valid ISEE.
//!
//! - **decide `co-payment`** ([`co_payment_decision`]): the share and its reasons; the plug-in
//!   abstains ([`PluginError::Unsupported`]) for services the regulation does not cover.
//! - **validate `disbursement-recorded`** ([`disbursement_verdict`]): the user's share of a
//!   disbursement may not exceed the decided monthly co-payment for the months paid.
//!
//! There are no regulation defaults for the bands: every comune writes its own. Money is
//! integer euro cents; percentages are whole numbers, rounded half up to the cent.

use serde::Deserialize;
use siso_plugin_sdk::{
    Cents, Change, CoPaymentDecision, Context, Date, Disbursement, Intervention, Isee, IseeKind, Issue, Plugin,
    PluginError, Subject, Verdict, euros, inps_code_matches, per_hundred,
};

/// The JSON Schema of [`Settings`] (the file the manifest names).
pub const SETTINGS_SCHEMA: &str = include_str!("../settings.schema.json");

/// The regulation of one comune.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The INPS codes covered.
    #[serde(default = "default_services")]
    pub services: Vec<String>,
    /// The ISEE kinds accepted.
    #[serde(default = "default_isee_kinds")]
    pub isee_kinds: Vec<AcceptedIsee>,
    /// An ISEE up to this value pays nothing.
    #[serde(default)]
    pub exempt_up_to_cents: Cents,
    /// INPS codes exempt from co-payment.
    #[serde(default)]
    pub exempt_codes: Vec<String>,
    /// Whether 100% civil invalidity exempts.
    #[serde(default)]
    pub exempt_full_invalidity: bool,
    /// The bands, ascending (required: no regulation default).
    pub bands: Vec<Band>,
    /// The most a user pays a month.
    #[serde(default)]
    pub monthly_cap_cents: Option<Cents>,
    /// What applies without a valid ISEE.
    #[serde(default)]
    pub without_isee: WithoutIsee,
}

/// An ISEE kind, as the settings name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AcceptedIsee {
    /// *ISEE ordinario*.
    Ordinary,
    /// *ISEE socio-sanitario*.
    SocioHealth,
    /// *ISEE minorenni*.
    Minors,
    /// *ISEE socio-sanitario residenze*.
    Residential,
}

impl AcceptedIsee {
    /// The contract's kind.
    pub fn kind(self) -> IseeKind {
        match self {
            AcceptedIsee::Ordinary => IseeKind::Ordinary,
            AcceptedIsee::SocioHealth => IseeKind::SocioHealth,
            AcceptedIsee::Minors => IseeKind::Minors,
            AcceptedIsee::Residential => IseeKind::Residential,
        }
    }
}

/// What applies without a valid ISEE of the accepted kinds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WithoutIsee {
    /// The last (highest) band.
    #[default]
    HighestBand,
    /// The full monthly cost.
    FullCost,
}

/// A band: up to an ISEE value, a percentage of the monthly cost or a fixed amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// The highest ISEE value of the band; `None`: no upper bound (last band only).
    pub up_to_cents: Option<Cents>,
    /// A whole percentage (0–100) of the monthly cost.
    #[serde(default)]
    pub percent: Option<i64>,
    /// A fixed monthly amount.
    #[serde(default)]
    pub fixed_cents: Option<Cents>,
}

/// What a band charges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charge {
    /// A percentage of the monthly cost.
    Percent(i64),
    /// A fixed monthly amount.
    Fixed(Cents),
}

impl Band {
    /// What the band charges (`None` unless exactly one of percent and fixed is set).
    pub fn charge(&self) -> Option<Charge> {
        match (self.percent, self.fixed_cents) {
            (Some(p), None) => Some(Charge::Percent(p)),
            (None, Some(f)) => Some(Charge::Fixed(f)),
            _ => None,
        }
    }
}

fn default_services() -> Vec<String> {
    ["A2.07", "A2.08", "A1.12", "A1.13", "A1.14", "A3.01", "A3.02"].into_iter().map(String::from).collect()
}

fn default_isee_kinds() -> Vec<AcceptedIsee> {
    vec![AcceptedIsee::Ordinary, AcceptedIsee::SocioHealth, AcceptedIsee::Residential]
}

impl Settings {
    /// A regulation with `bands` and every other setting at its default.
    pub fn with_bands(bands: Vec<Band>) -> Settings {
        Settings {
            services: default_services(),
            isee_kinds: default_isee_kinds(),
            exempt_up_to_cents: 0,
            exempt_codes: Vec::new(),
            exempt_full_invalidity: false,
            bands,
            monthly_cap_cents: None,
            without_isee: WithoutIsee::HighestBand,
        }
    }

    /// Checks what the JSON Schema cannot: at least one band, each with exactly one of
    /// percent (0–100) and fixed (not negative), bands in strictly ascending order with only
    /// the last one open-ended, non-negative thresholds and cap, at least one ISEE kind.
    pub fn check(&self) -> Result<(), PluginError> {
        let bad = |m: String| Err(PluginError::BadSettings(m));
        if self.bands.is_empty() {
            return bad(String::from("bands: the regulation needs at least one band"));
        }
        if self.isee_kinds.is_empty() {
            return bad(String::from("isee_kinds: at least one kind of ISEE is needed"));
        }
        if self.exempt_up_to_cents < 0 {
            return bad(String::from("exempt_up_to_cents must not be negative"));
        }
        if self.monthly_cap_cents.is_some_and(|c| c < 0) {
            return bad(String::from("monthly_cap_cents must not be negative"));
        }
        if let Some(code) = self.services.iter().chain(&self.exempt_codes).find(|c| c.trim().is_empty()) {
            return bad(format!("an INPS code is empty ({code:?})"));
        }
        let last = self.bands.len() - 1;
        let mut previous: Option<Cents> = None;
        for (i, band) in self.bands.iter().enumerate() {
            match band.charge() {
                None => return bad(format!("bands[{i}] needs exactly one of percent and fixed_cents")),
                Some(Charge::Percent(p)) if !(0..=100).contains(&p) => {
                    return bad(format!("bands[{i}].percent must be 0–100"));
                }
                Some(Charge::Fixed(f)) if f < 0 => return bad(format!("bands[{i}].fixed_cents is negative")),
                Some(_) => {}
            }
            match band.up_to_cents {
                None if i != last => return bad(format!("bands[{i}] has no upper bound but is not the last band")),
                None => {}
                Some(up_to) if up_to < 0 => return bad(format!("bands[{i}].up_to_cents is negative")),
                Some(up_to) if previous.is_some_and(|p| up_to <= p) => {
                    return bad(format!("bands[{i}].up_to_cents is not above the previous band's"));
                }
                Some(up_to) => previous = Some(up_to),
            }
        }
        Ok(())
    }

    /// Whether the regulation covers the INPS code.
    pub fn covers(&self, inps_code: &str) -> bool {
        self.services.iter().any(|c| inps_code_matches(inps_code, c))
    }

    /// The exempt code matching the INPS code, if any.
    pub fn exempt_code(&self, inps_code: &str) -> Option<&str> {
        self.exempt_codes.iter().find(|c| inps_code_matches(inps_code, c)).map(String::as_str)
    }

    /// The accepted ISEE kinds, as the contract names them.
    pub fn kinds(&self) -> Vec<IseeKind> {
        self.isee_kinds.iter().map(|k| k.kind()).collect()
    }
}

/// The co-payment rules.
pub struct Compartecipazione;

impl Plugin for Compartecipazione {
    fn validate(ctx: &Context, change: &Change) -> Result<Verdict, PluginError> {
        match change {
            Change::DisbursementRecorded((subject, disbursement)) => {
                Ok(disbursement_verdict(&read_settings(ctx)?, &subject.intervention, disbursement))
            }
            _ => Ok(Verdict::accept()),
        }
    }

    fn co_payment(ctx: &Context, subject: &Subject) -> Result<CoPaymentDecision, PluginError> {
        co_payment_decision(&read_settings(ctx)?, subject, ctx.today)
    }

    fn settings_schema() -> String {
        String::from(SETTINGS_SCHEMA)
    }
}

siso_plugin_sdk::register!(Compartecipazione);

/// Reads and checks the settings of the request's organisation.
fn read_settings(ctx: &Context) -> Result<Settings, PluginError> {
    let settings: Settings = siso_plugin_sdk::settings(ctx)?;
    settings.check()?;
    Ok(settings)
}

/// The user's monthly co-payment for the intervention of `subject`, given `today`:
///
/// 1. a service the regulation does not cover: [`PluginError::Unsupported`] (abstain);
/// 2. an exempt service, or 3. full civil invalidity when it exempts: nothing;
/// 4. the newest ISEE valid today of the accepted kinds; without one, the last band or the
///    full monthly cost (`without_isee`);
/// 5. an ISEE up to `exempt_up_to_cents`: nothing;
/// 6. the first band covering the ISEE: a percentage of the monthly cost (rounded half up to
///    the cent) or a fixed amount (never above the monthly cost when known);
/// 7. at most `monthly_cap_cents`.
pub fn co_payment_decision(
    settings: &Settings,
    subject: &Subject,
    today: Date,
) -> Result<CoPaymentDecision, PluginError> {
    let intervention = &subject.intervention;
    let inps_code = &intervention.catalogue_entry.inps_code;
    if !settings.covers(inps_code) {
        return Err(PluginError::Unsupported(format!("the regulation does not cover the INPS code {inps_code}")));
    }
    if let Some(code) = settings.exempt_code(inps_code) {
        return Ok(CoPaymentDecision::new(
            0,
            vec![Issue::new(
                "CO_PAYMENT_EXEMPT",
                format!("The INPS code {inps_code} is exempt from co-payment under the comune's regulation ({code})."),
            )],
        ));
    }
    if settings.exempt_full_invalidity && subject.person.civil_invalidity_percent == Some(100) {
        return Ok(CoPaymentDecision::new(
            0,
            vec![Issue::new(
                "CO_PAYMENT_EXEMPT",
                "Full civil invalidity (100%) is exempt from co-payment under the comune's regulation.",
            )],
        ));
    }
    let cost = intervention.monthly;
    if cost.is_some_and(|c| c < 0) {
        return Err(PluginError::InvalidInput(String::from("the intervention's monthly cost is negative")));
    }
    let isee = subject.current_isee_of(today, &settings.kinds());
    let mut reasons = Vec::new();
    let share = match isee {
        None => match settings.without_isee {
            WithoutIsee::HighestBand => {
                let last = settings.bands.last().ok_or_else(|| {
                    PluginError::BadSettings(String::from("bands: the regulation needs at least one band"))
                })?;
                reasons.push(Issue::with_field(
                    "ISEE_MISSING",
                    "isee",
                    "There is no valid ISEE of the kinds the regulation accepts: the highest band applies.",
                ));
                band_share(last, None, cost, &mut reasons)?
            }
            WithoutIsee::FullCost => {
                let cost = cost.ok_or_else(|| {
                    PluginError::InvalidInput(String::from(
                        "the intervention has no monthly cost: the full cost cannot apply",
                    ))
                })?;
                reasons.push(Issue::with_field(
                    "ISEE_MISSING_FULL_COST",
                    "isee",
                    format!(
                        "There is no valid ISEE of the kinds the regulation accepts: the full monthly cost ({}) applies.",
                        euros(cost)
                    ),
                ));
                cost
            }
        },
        Some(isee) if isee.value <= settings.exempt_up_to_cents => {
            return Ok(CoPaymentDecision::new(
                0,
                vec![Issue::with_field(
                    "ISEE_BELOW_EXEMPTION",
                    "isee",
                    format!(
                        "The ISEE ({}) is within the exemption threshold ({}): no co-payment.",
                        euros(isee.value),
                        euros(settings.exempt_up_to_cents)
                    ),
                )],
            ));
        }
        Some(isee) => {
            let band = band_for(&settings.bands, isee.value).ok_or_else(|| {
                PluginError::BadSettings(format!("no co-payment band covers an ISEE of {}", euros(isee.value)))
            })?;
            band_share(band, Some(isee), cost, &mut reasons)?
        }
    };
    let share = match settings.monthly_cap_cents {
        Some(cap) if share > cap => {
            reasons.push(Issue::new(
                "CO_PAYMENT_CAPPED",
                format!("The share ({}) is capped at the regulation's monthly maximum ({}).", euros(share), euros(cap)),
            ));
            cap
        }
        _ => share,
    };
    Ok(CoPaymentDecision::new(share, reasons))
}

/// The share of `band` for a monthly cost, adding the `CO_PAYMENT_BAND` reason; `isee`: the
/// ISEE that fell in the band (`None`: the highest band applies for want of one).
fn band_share(
    band: &Band,
    isee: Option<&Isee>,
    cost: Option<Cents>,
    reasons: &mut Vec<Issue>,
) -> Result<Cents, PluginError> {
    let bound = match band.up_to_cents {
        Some(up_to) => format!("up to {}", euros(up_to)),
        None => String::from("with no upper bound"),
    };
    let which = match isee {
        Some(isee) => format!("The ISEE ({}) falls in the band {bound}", euros(isee.value)),
        None => format!("The highest band ({bound}) applies"),
    };
    let (share, how) = match band.charge() {
        Some(Charge::Percent(percent)) => {
            let cost = cost.ok_or_else(|| {
                PluginError::InvalidInput(String::from(
                    "the intervention has no monthly cost: a percentage band cannot apply",
                ))
            })?;
            let share = per_hundred(cost, percent);
            (share, format!("{percent}% of the monthly cost ({}) is {}", euros(cost), euros(share)))
        }
        Some(Charge::Fixed(fixed)) => match cost {
            Some(cost) if fixed > cost => {
                (cost, format!("a fixed {} a month, limited to the monthly cost ({})", euros(fixed), euros(cost)))
            }
            _ => (fixed, format!("a fixed {} a month", euros(fixed))),
        },
        None => {
            return Err(PluginError::BadSettings(String::from("a band needs exactly one of percent and fixed_cents")));
        }
    };
    reasons.push(Issue::with_field("CO_PAYMENT_BAND", "isee", format!("{which}: {how}.")));
    Ok(share)
}

/// The first band whose upper bound is at least `isee_cents` (`None` bound: no limit).
pub fn band_for(bands: &[Band], isee_cents: Cents) -> Option<&Band> {
    bands.iter().find(|band| band.up_to_cents.is_none_or(|up_to| up_to >= isee_cents))
}

/// The verdict on recording a disbursement: for a covered service with a decided co-payment,
/// the user's share may not exceed the co-payment × the months of the period paid.
pub fn disbursement_verdict(settings: &Settings, intervention: &Intervention, d: &Disbursement) -> Verdict {
    let Some(co_payment) = intervention.co_payment else {
        return Verdict::accept();
    };
    if !settings.covers(&intervention.catalogue_entry.inps_code) {
        return Verdict::accept();
    }
    // A period that ends before it starts: 1 month when both ends fall in the same month, else 0.
    let months = d.period_from.calendar_months_to(d.period_to).unwrap_or_else(|| {
        i64::from((d.period_from.year, d.period_from.month) == (d.period_to.year, d.period_to.month))
    });
    let most = co_payment.saturating_mul(months);
    if d.user_share > most {
        return Verdict::veto(Issue::with_field(
            "USER_SHARE_ABOVE_CO_PAYMENT",
            "userShare",
            format!(
                "The user's share ({}) is above the decided co-payment of {} a month for {} ({}).",
                euros(d.user_share),
                euros(co_payment),
                months_text(months),
                euros(most)
            ),
        ));
    }
    Verdict::accept()
}

fn months_text(months: i64) -> String {
    if months == 1 { String::from("1 month") } else { format!("{months} months") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use siso_plugin_sdk::{
        BenefitCharacter, Case, CaseState, CatalogueEntry, InpsArea, InterventionState, IstatType, MeansTest, Person,
        Sex, UserArea,
    };

    const TODAY: Date = Date::new(2026, 11, 26);

    fn codes(issues: &[Issue]) -> Vec<&str> {
        issues.iter().map(|i| i.code.as_str()).collect()
    }

    fn pct(up_to: Option<Cents>, percent: i64) -> Band {
        Band { up_to_cents: up_to, percent: Some(percent), fixed_cents: None }
    }

    fn fixed(up_to: Option<Cents>, cents: Cents) -> Band {
        Band { up_to_cents: up_to, percent: None, fixed_cents: Some(cents) }
    }

    /// Lecce-like: exempt up to €6,000; ≤ €15,000 20%; ≤ €30,000 40%; above €300; cap €250.
    fn lecce() -> Settings {
        Settings {
            exempt_up_to_cents: 600_000,
            monthly_cap_cents: Some(25_000),
            ..Settings::with_bands(vec![pct(Some(1_500_000), 20), pct(Some(3_000_000), 40), fixed(None, 30_000)])
        }
    }

    /// Umbrian-like: ≤ €13,000 €50; ≤ €25,000 €100; above 50%; residential care exempt.
    fn perugia() -> Settings {
        Settings {
            exempt_codes: vec![String::from("A3.02")],
            ..Settings::with_bands(vec![fixed(Some(1_300_000), 5_000), fixed(Some(2_500_000), 10_000), pct(None, 50)])
        }
    }

    fn isee(kind: IseeKind, value: Cents) -> Isee {
        Isee { kind, value, dsu_year: 2026, valid_from: Date::new(2026, 1, 15), valid_until: Date::new(2026, 12, 31) }
    }

    fn subject(inps_code: &str, monthly: Option<Cents>, isee_list: Vec<Isee>) -> Subject {
        Subject {
            person: Person {
                id: 1,
                sex: Sex::Female,
                birth_date: Date::new(1938, 3, 2),
                citizenship_code: Some(String::from("100")),
                residence_comune_code: None,
                homeless: false,
                disability: true,
                civil_invalidity_percent: Some(100),
                has_legal_guardian: false,
            },
            household: None,
            isee: isee_list,
            case: Case { id: 1, org_unit_id: 4, state: CaseState::Open, area: UserArea::Elderly, opened_on: TODAY },
            needs: Vec::new(),
            assessments: Vec::new(),
            plan: None,
            intervention: Intervention {
                id: 1,
                state: InterventionState::Requested,
                catalogue_entry: CatalogueEntry {
                    local_code: String::from("SAD"),
                    name: String::from("Assistenza domiciliare"),
                    inps_code: String::from(inps_code),
                    inps_area: InpsArea::Disability,
                    istat_area: UserArea::Elderly,
                    istat_type: IstatType::Services,
                    sina_required: true,
                    means_test: MeansTest::Isee,
                    character: BenefitCharacter::Periodic,
                },
                requested: 480_000,
                authorised: None,
                disbursed: 0,
                monthly,
                co_payment: None,
                monthly_hours_centi: None,
                starts_on: Date::new(2026, 3, 1),
                ends_on: Some(Date::new(2026, 12, 31)),
                provider_id: None,
                funding_line_id: None,
            },
        }
    }

    fn sad(value: Cents) -> Subject {
        subject("A2.07", Some(40_000), vec![isee(IseeKind::SocioHealth, value)])
    }

    fn decide(settings: &Settings, s: &Subject) -> CoPaymentDecision {
        co_payment_decision(settings, s, TODAY).expect("a decision")
    }

    // ---- settings ----

    #[test]
    fn settings_need_bands_and_default_the_rest() {
        assert!(serde_json::from_str::<Settings>("{}").is_err());
        let s: Settings =
            serde_json::from_str(r#"{"bands": [{"up_to_cents": null, "percent": 10}]}"#).expect("minimal settings");
        assert_eq!(s, Settings::with_bands(vec![pct(None, 10)]));
        assert_eq!(s.services, ["A2.07", "A2.08", "A1.12", "A1.13", "A1.14", "A3.01", "A3.02"]);
        assert_eq!(s.kinds(), [IseeKind::Ordinary, IseeKind::SocioHealth, IseeKind::Residential]);
        assert_eq!((s.exempt_up_to_cents, s.monthly_cap_cents, s.without_isee), (0, None, WithoutIsee::HighestBand));
        assert_eq!(s.check(), Ok(()));
    }

    #[test]
    fn the_documented_settings_parse() {
        let s: Settings = serde_json::from_str(
            r#"{ "services": ["A2.07", "A2.08", "A1.12", "A1.13", "A1.14", "A3.01", "A3.02"],
                 "isee_kinds": ["ordinary", "socio_health", "residential", "minors"],
                 "exempt_up_to_cents": 0,
                 "exempt_codes": [],
                 "exempt_full_invalidity": false,
                 "bands": [ {"up_to_cents": 1000000, "percent": 10}, {"up_to_cents": 2000000, "percent": 30}, {"up_to_cents": null, "fixed_cents": 15000} ],
                 "monthly_cap_cents": null,
                 "without_isee": "full_cost" }"#,
        )
        .expect("valid settings");
        assert_eq!(s.bands, [pct(Some(1_000_000), 10), pct(Some(2_000_000), 30), fixed(None, 15_000)]);
        assert_eq!(s.isee_kinds[3], AcceptedIsee::Minors);
        assert_eq!(s.without_isee, WithoutIsee::FullCost);
        assert_eq!(s.check(), Ok(()));
        assert!(serde_json::from_str::<Settings>(r#"{"bands": [], "cap": 1}"#).is_err());
        assert!(serde_json::from_str::<Settings>(r#"{"bands": [], "without_isee": "free"}"#).is_err());
        assert!(serde_json::from_str::<Settings>(r#"{"bands": [{"up_to_cents": null, "share": 1}]}"#).is_err());
    }

    #[test]
    fn settings_check_bands() {
        let bad = |s: Settings| matches!(s.check(), Err(PluginError::BadSettings(_)));
        assert_eq!(lecce().check(), Ok(()));
        assert_eq!(perugia().check(), Ok(()));
        assert!(bad(Settings::with_bands(Vec::new())));
        assert!(bad(Settings::with_bands(vec![pct(Some(2), 10), pct(Some(1), 10)])));
        assert!(bad(Settings::with_bands(vec![pct(Some(2), 10), pct(Some(2), 10)])));
        assert!(bad(Settings::with_bands(vec![pct(None, 10), pct(Some(2), 10)])));
        assert!(bad(Settings::with_bands(vec![pct(None, 101)])));
        assert!(bad(Settings::with_bands(vec![pct(None, -1)])));
        assert!(bad(Settings::with_bands(vec![fixed(None, -1)])));
        assert!(bad(Settings::with_bands(vec![fixed(Some(-1), 1)])));
        assert!(bad(Settings::with_bands(vec![Band { up_to_cents: None, percent: Some(1), fixed_cents: Some(1) }])));
        assert!(bad(Settings::with_bands(vec![Band { up_to_cents: None, percent: None, fixed_cents: None }])));
        assert!(bad(Settings { exempt_up_to_cents: -1, ..lecce() }));
        assert!(bad(Settings { monthly_cap_cents: Some(-1), ..lecce() }));
        assert!(bad(Settings { isee_kinds: Vec::new(), ..lecce() }));
        assert!(bad(Settings { exempt_codes: vec![String::new()], ..lecce() }));
        // A last band with an upper bound is allowed; an ISEE above it is a settings error.
        assert_eq!(Settings::with_bands(vec![pct(Some(10), 10)]).check(), Ok(()));
    }

    #[test]
    fn the_schema_is_json_and_requires_the_bands() {
        let schema: serde_json::Value = serde_json::from_str(SETTINGS_SCHEMA).expect("schema is JSON");
        assert_eq!(schema["additionalProperties"], serde_json::Value::Bool(false));
        assert_eq!(schema["required"], serde_json::json!(["bands"]));
        assert_eq!(schema["properties"]["bands"]["items"]["additionalProperties"], serde_json::Value::Bool(false));
        // The schema's defaults are the code's.
        let mut defaults: serde_json::Map<String, serde_json::Value> = schema["properties"]
            .as_object()
            .expect("properties")
            .iter()
            .filter(|(k, _)| k.as_str() != "bands")
            .map(|(k, v)| (k.clone(), v["default"].clone()))
            .collect();
        defaults.insert(String::from("bands"), serde_json::json!([{"up_to_cents": null, "percent": 10}]));
        let s: Settings = serde_json::from_value(serde_json::Value::Object(defaults)).expect("defaults parse");
        assert_eq!(s, Settings::with_bands(vec![pct(None, 10)]));
    }

    #[test]
    fn codes_match_exactly_or_as_a_prefix_before_a_dot() {
        assert!(lecce().covers("A3.02.01"));
        assert!(!lecce().covers("A1.11"));
    }

    // ---- co-payment ----

    #[test]
    fn two_regulations_give_different_shares_for_the_same_person() {
        let d = decide(&lecce(), &sad(1_200_000));
        assert_eq!(d.monthly, 8_000);
        assert_eq!(codes(&d.reasons), ["CO_PAYMENT_BAND"]);
        assert_eq!(
            d.reasons[0].message,
            "The ISEE (€12000.00) falls in the band up to €15000.00: 20% of the monthly cost (€400.00) is €80.00."
        );
        let d = decide(&perugia(), &sad(1_200_000));
        assert_eq!(d.monthly, 5_000);
        assert_eq!(
            d.reasons[0].message,
            "The ISEE (€12000.00) falls in the band up to €13000.00: a fixed €50.00 a month."
        );
    }

    #[test]
    fn band_bounds_are_inclusive() {
        let share = |s: &Settings, v| decide(s, &sad(v)).monthly;
        assert_eq!(share(&lecce(), 1_500_000), 8_000);
        assert_eq!(share(&lecce(), 1_500_001), 16_000);
        assert_eq!(share(&lecce(), 3_000_000), 16_000);
        assert_eq!(share(&perugia(), 1_300_000), 5_000);
        assert_eq!(share(&perugia(), 1_300_001), 10_000);
        assert_eq!(share(&perugia(), 2_500_001), 20_000);
    }

    #[test]
    fn percentages_round_half_up_to_the_cent() {
        // 50% of €333.33 is €166.665 → €166.67; 20% of €333.33 is €66.666 → €66.67.
        let s = subject("A2.07", Some(33_333), vec![isee(IseeKind::Ordinary, 2_600_000)]);
        assert_eq!(decide(&perugia(), &s).monthly, 16_667);
        let s = subject("A2.07", Some(33_333), vec![isee(IseeKind::Ordinary, 1_000_000)]);
        assert_eq!(decide(&lecce(), &s).monthly, 6_667);
    }

    #[test]
    fn a_fixed_share_never_exceeds_the_monthly_cost() {
        let s = subject("A2.07", Some(3_000), vec![isee(IseeKind::Ordinary, 1_000_000)]);
        let d = decide(&perugia(), &s);
        assert_eq!(d.monthly, 3_000);
        assert!(d.reasons[0].message.contains("limited to the monthly cost (€30.00)"), "{}", d.reasons[0].message);
        // Without a monthly cost the fixed amount applies as it is.
        let s = subject("A2.07", None, vec![isee(IseeKind::Ordinary, 1_000_000)]);
        assert_eq!(decide(&perugia(), &s).monthly, 5_000);
    }

    #[test]
    fn exemptions() {
        // By ISEE, threshold included.
        let d = decide(&lecce(), &sad(600_000));
        assert_eq!((d.monthly, codes(&d.reasons)), (0, vec!["ISEE_BELOW_EXEMPTION"]));
        assert_eq!(decide(&lecce(), &sad(600_001)).monthly, 8_000);
        // By service, also for a more specific code.
        for code in ["A3.02", "A3.02.01"] {
            let d = decide(&perugia(), &subject(code, Some(200_000), vec![isee(IseeKind::Residential, 5_000_000)]));
            assert_eq!((d.monthly, codes(&d.reasons)), (0, vec!["CO_PAYMENT_EXEMPT"]));
            assert!(d.reasons[0].message.contains(code), "{}", d.reasons[0].message);
        }
        // By full civil invalidity, when the regulation says so.
        let s = sad(1_200_000);
        let d = decide(&Settings { exempt_full_invalidity: true, ..lecce() }, &s);
        assert_eq!((d.monthly, codes(&d.reasons)), (0, vec!["CO_PAYMENT_EXEMPT"]));
        let mut partial = s.clone();
        partial.person.civil_invalidity_percent = Some(99);
        assert_eq!(decide(&Settings { exempt_full_invalidity: true, ..lecce() }, &partial).monthly, 8_000);
    }

    #[test]
    fn the_cap_bites_with_a_reason() {
        // 40% of €1000.00 = €400.00, capped at €250.00.
        let s = subject("A2.07", Some(100_000), vec![isee(IseeKind::SocioHealth, 2_000_000)]);
        let d = decide(&lecce(), &s);
        assert_eq!(d.monthly, 25_000);
        assert_eq!(codes(&d.reasons), ["CO_PAYMENT_BAND", "CO_PAYMENT_CAPPED"]);
        assert_eq!(
            d.reasons[1].message,
            "The share (€400.00) is capped at the regulation's monthly maximum (€250.00)."
        );
        // At the cap: no reason.
        let s = subject("A2.07", Some(62_500), vec![isee(IseeKind::SocioHealth, 2_000_000)]);
        let d = decide(&lecce(), &s);
        assert_eq!((d.monthly, codes(&d.reasons)), (25_000, vec!["CO_PAYMENT_BAND"]));
    }

    #[test]
    fn without_an_accepted_isee() {
        // Highest band: Lecce's fixed €300.00, capped at €250.00.
        let none = subject("A2.07", Some(40_000), Vec::new());
        let d = decide(&lecce(), &none);
        assert_eq!(d.monthly, 25_000);
        assert_eq!(codes(&d.reasons), ["ISEE_MISSING", "CO_PAYMENT_BAND", "CO_PAYMENT_CAPPED"]);
        assert_eq!(d.reasons[1].message, "The highest band (with no upper bound) applies: a fixed €300.00 a month.");
        // Perugia's 50%.
        let d = decide(&perugia(), &none);
        assert_eq!((d.monthly, codes(&d.reasons)), (20_000, vec!["ISEE_MISSING", "CO_PAYMENT_BAND"]));
        // Full cost.
        let full = Settings { without_isee: WithoutIsee::FullCost, ..perugia() };
        let d = decide(&full, &none);
        assert_eq!((d.monthly, codes(&d.reasons)), (40_000, vec!["ISEE_MISSING_FULL_COST"]));
        let no_cost = subject("A2.07", None, Vec::new());
        assert!(matches!(co_payment_decision(&full, &no_cost, TODAY), Err(PluginError::InvalidInput(_))));
        // A minors' ISEE is not accepted by default, an expired one is not valid.
        let minors = subject("A2.07", Some(40_000), vec![isee(IseeKind::Minors, 100_000)]);
        assert_eq!(codes(&decide(&perugia(), &minors).reasons), ["ISEE_MISSING", "CO_PAYMENT_BAND"]);
        let accepting = Settings { isee_kinds: vec![AcceptedIsee::Minors], ..perugia() };
        assert_eq!(decide(&accepting, &minors).monthly, 5_000);
        let mut expired = isee(IseeKind::Ordinary, 100_000);
        expired.valid_until = Date::new(2026, 11, 25);
        let old = subject("A2.07", Some(40_000), vec![expired]);
        assert_eq!(codes(&decide(&perugia(), &old).reasons), ["ISEE_MISSING", "CO_PAYMENT_BAND"]);
    }

    #[test]
    fn the_newest_accepted_isee_applies() {
        let mut older = isee(IseeKind::Ordinary, 500_000);
        older.valid_from = Date::new(2026, 1, 2);
        let newer = isee(IseeKind::SocioHealth, 2_000_000);
        let s = subject("A2.07", Some(40_000), vec![older, newer]);
        assert_eq!(decide(&perugia(), &s).monthly, 10_000);
        let ordinary_only = Settings { isee_kinds: vec![AcceptedIsee::Ordinary], ..perugia() };
        assert_eq!(decide(&ordinary_only, &s).monthly, 5_000);
    }

    #[test]
    fn a_percentage_band_needs_the_monthly_cost() {
        let s = subject("A2.07", None, vec![isee(IseeKind::SocioHealth, 1_200_000)]);
        assert_eq!(
            co_payment_decision(&lecce(), &s, TODAY),
            Err(PluginError::InvalidInput(String::from(
                "the intervention has no monthly cost: a percentage band cannot apply"
            )))
        );
        let negative = subject("A2.07", Some(-1), vec![isee(IseeKind::SocioHealth, 1_200_000)]);
        assert!(matches!(co_payment_decision(&lecce(), &negative, TODAY), Err(PluginError::InvalidInput(_))));
    }

    #[test]
    fn uncovered_services_abstain_and_uncovered_isee_is_a_settings_error() {
        let s = subject("A1.11", Some(40_000), vec![isee(IseeKind::SocioHealth, 1_200_000)]);
        assert!(matches!(co_payment_decision(&lecce(), &s, TODAY), Err(PluginError::Unsupported(_))));
        let bounded = Settings::with_bands(vec![pct(Some(1_000_000), 10)]);
        assert!(matches!(co_payment_decision(&bounded, &sad(1_000_001), TODAY), Err(PluginError::BadSettings(_))));
        assert_eq!(decide(&bounded, &sad(1_000_000)).monthly, 4_000);
    }

    // ---- disbursements ----

    fn disbursement(from: Date, to: Date, user_share: Cents) -> Disbursement {
        Disbursement {
            paid_on: to,
            period_from: from,
            period_to: to,
            amount: 40_000,
            ente_share: 40_000 - user_share,
            user_share,
            ssn_share: 0,
            other_share: 0,
            hours_centi: None,
        }
    }

    #[test]
    fn the_user_share_stays_within_the_decided_co_payment() {
        let mut i = sad(1_200_000).intervention;
        let april = (Date::new(2026, 4, 1), Date::new(2026, 4, 30));
        // No co-payment decided yet: nothing to check.
        assert_eq!(disbursement_verdict(&lecce(), &i, &disbursement(april.0, april.1, 9_999)), Verdict::accept());
        i.co_payment = Some(8_000);
        assert_eq!(disbursement_verdict(&lecce(), &i, &disbursement(april.0, april.1, 8_000)), Verdict::accept());
        let v = disbursement_verdict(&lecce(), &i, &disbursement(april.0, april.1, 8_001));
        assert_eq!(codes(&v.vetoes), ["USER_SHARE_ABOVE_CO_PAYMENT"]);
        assert_eq!(v.vetoes[0].field.as_deref(), Some("userShare"));
        assert_eq!(
            v.vetoes[0].message,
            "The user's share (€80.01) is above the decided co-payment of €80.00 a month for 1 month (€80.00)."
        );
        // Two months may take twice the monthly co-payment.
        let spring = disbursement(Date::new(2026, 4, 1), Date::new(2026, 5, 31), 16_000);
        assert_eq!(disbursement_verdict(&lecce(), &i, &spring), Verdict::accept());
        // A service the regulation does not cover is not checked.
        i.catalogue_entry.inps_code = String::from("A1.11");
        assert_eq!(disbursement_verdict(&lecce(), &i, &disbursement(april.0, april.1, 9_999)), Verdict::accept());
    }

    #[test]
    fn a_period_that_ends_before_it_starts_counts_one_month_within_a_month_else_none() {
        let mut i = sad(1_200_000).intervention;
        i.co_payment = Some(8_000);
        let verdict = |from, to, share| disbursement_verdict(&lecce(), &i, &disbursement(from, to, share));
        // Within one month: 1 month.
        let (from, to) = (Date::new(2026, 4, 20), Date::new(2026, 4, 10));
        assert_eq!(verdict(from, to, 8_000), Verdict::accept());
        assert!(verdict(from, to, 8_001).vetoes[0].message.ends_with("for 1 month (€80.00)."));
        // Across months: nothing may be charged.
        let (from, to) = (Date::new(2026, 5, 1), Date::new(2026, 3, 31));
        assert_eq!(verdict(from, to, 0), Verdict::accept());
        let v = verdict(from, to, 1);
        assert_eq!(codes(&v.vetoes), ["USER_SHARE_ABOVE_CO_PAYMENT"]);
        assert!(v.vetoes[0].message.ends_with("for 0 months (€0.00)."), "{}", v.vetoes[0].message);
    }

    #[test]
    fn month_counts_as_text() {
        assert_eq!(months_text(1), "1 month");
        assert_eq!(months_text(3), "3 months");
    }
}
