//! # Template rule plug-in (`it.siso.template`)
//!
//! A small but real set of rules, meant to be copied to start a new plug-in:
//!
//! - **validate `intervention-authorised`**: an intervention whose catalogue entry is
//!   means-tested by ISEE (`means-test::isee`) is vetoed when the newest ISEE valid today is
//!   above the organisation's ceiling (`ISEE_ABOVE_CEILING`) or when there is none
//!   (`ISEE_MISSING`). Every other change is accepted.
//! - **decide `eligibility`**: eligible when the ISEE is within the ceiling, for the
//!   requested amount; the reasons say why.
//! - **decide `co-payment`**: the monthly share of the first co-payment band that covers the
//!   ISEE; nothing when the entry is exempt or not means-tested.
//!
//! The settings (per organisation, checked by the host against `settings.schema.json`):
//!
//! ```json
//! { "isee_ceiling_cents": 2500000,
//!   "co_payment_bands": [ { "up_to_cents": 1000000, "monthly_cents": 0 },
//!                         { "up_to_cents": 2000000, "monthly_cents": 5000 },
//!                         { "up_to_cents": null, "monthly_cents": 12000 } ] }
//! ```
//!
//! The rules live in plain functions over plain values ([`authorisation_verdict`],
//! [`eligibility_decision`], [`co_payment_decision`]) so they are unit-tested natively with
//! `cargo test`; the [`Plugin`] implementation only reads the settings, picks the current
//! ISEE and calls them.

use serde::Deserialize;
use siso_plugin_sdk::{
    Cents, Change, CoPaymentDecision, Context, EligibilityDecision, Intervention, Isee, Issue, MeansTest, Plugin,
    PluginError, Subject, Verdict, euros,
};

/// The settings of one organisation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The highest ISEE value that gives access to a means-tested intervention.
    pub isee_ceiling_cents: Cents,
    /// Monthly co-payment bands, in ascending order of [`Band::up_to_cents`].
    #[serde(default)]
    pub co_payment_bands: Vec<Band>,
}

/// A co-payment band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// The highest ISEE value of the band; `None`: no upper bound (only the last band).
    #[serde(default)]
    pub up_to_cents: Option<Cents>,
    /// The user's monthly share in this band.
    pub monthly_cents: Cents,
}

impl Settings {
    /// Checks what the JSON Schema cannot: non-negative amounts, bands in ascending order
    /// and an open-ended band only at the end.
    pub fn check(&self) -> Result<(), PluginError> {
        if self.isee_ceiling_cents < 0 {
            return Err(PluginError::BadSettings(String::from("isee_ceiling_cents must not be negative")));
        }
        let mut previous: Option<Cents> = None;
        let last = self.co_payment_bands.len().saturating_sub(1);
        for (i, band) in self.co_payment_bands.iter().enumerate() {
            if band.monthly_cents < 0 {
                return Err(PluginError::BadSettings(format!("co_payment_bands[{i}].monthly_cents is negative")));
            }
            match band.up_to_cents {
                None if i != last => {
                    return Err(PluginError::BadSettings(format!(
                        "co_payment_bands[{i}] has no upper bound but is not the last band"
                    )));
                }
                None => {}
                Some(up_to) if up_to < 0 => {
                    return Err(PluginError::BadSettings(format!("co_payment_bands[{i}].up_to_cents is negative")));
                }
                Some(up_to) if previous.is_some_and(|p| up_to <= p) => {
                    return Err(PluginError::BadSettings(format!(
                        "co_payment_bands[{i}].up_to_cents is not above the previous band's"
                    )));
                }
                Some(up_to) => previous = Some(up_to),
            }
        }
        Ok(())
    }
}

/// The rules of the template.
pub struct TemplateRules;

impl Plugin for TemplateRules {
    fn validate(ctx: &Context, change: &Change) -> Result<Verdict, PluginError> {
        match change {
            Change::InterventionAuthorised(subject) => {
                let settings = read_settings(ctx)?;
                let isee = subject.current_isee(ctx.today);
                Ok(authorisation_verdict(&settings, &subject.intervention, isee))
            }
            _ => Ok(Verdict::accept()),
        }
    }

    fn eligibility(ctx: &Context, subject: &Subject) -> Result<EligibilityDecision, PluginError> {
        let settings = read_settings(ctx)?;
        eligibility_decision(&settings, &subject.intervention, subject.current_isee(ctx.today))
    }

    /// Bulk evaluation: the settings are read once for the whole batch.
    fn eligibility_batch(ctx: &Context, subjects: Vec<Subject>) -> Vec<Result<EligibilityDecision, PluginError>> {
        match read_settings(ctx) {
            Ok(settings) => subjects
                .iter()
                .map(|s| eligibility_decision(&settings, &s.intervention, s.current_isee(ctx.today)))
                .collect(),
            Err(e) => subjects.iter().map(|_| Err(e.clone())).collect(),
        }
    }

    fn co_payment(ctx: &Context, subject: &Subject) -> Result<CoPaymentDecision, PluginError> {
        let settings = read_settings(ctx)?;
        co_payment_decision(&settings, &subject.intervention, subject.current_isee(ctx.today))
    }

    fn settings_schema() -> String {
        String::from(SETTINGS_SCHEMA)
    }
}

siso_plugin_sdk::register!(TemplateRules);

/// The JSON Schema of [`Settings`] (the file the manifest names).
pub const SETTINGS_SCHEMA: &str = include_str!("../settings.schema.json");

/// Reads and checks the settings of the request's organisation.
fn read_settings(ctx: &Context) -> Result<Settings, PluginError> {
    let settings: Settings = siso_plugin_sdk::settings(ctx)?;
    settings.check()?;
    Ok(settings)
}

/// The verdict on authorising `intervention`, given the newest ISEE valid today.
///
/// Only interventions whose catalogue entry is means-tested by ISEE are checked.
pub fn authorisation_verdict(settings: &Settings, intervention: &Intervention, isee: Option<&Isee>) -> Verdict {
    if intervention.catalogue_entry.means_test != MeansTest::Isee {
        return Verdict::accept();
    }
    match isee {
        None => Verdict::veto(missing_isee()),
        Some(isee) if isee.value > settings.isee_ceiling_cents => Verdict::veto(above_ceiling(settings, isee)),
        Some(_) => Verdict::accept(),
    }
}

/// The eligibility for `intervention`, given the newest ISEE valid today: eligible when the
/// ISEE is within the ceiling (or the entry is not means-tested), for the requested amount.
pub fn eligibility_decision(
    settings: &Settings,
    intervention: &Intervention,
    isee: Option<&Isee>,
) -> Result<EligibilityDecision, PluginError> {
    if intervention.requested < 0 {
        return Err(PluginError::InvalidInput(String::from("the requested amount is negative")));
    }
    let amount = Some(intervention.requested);
    match intervention.catalogue_entry.means_test {
        MeansTest::Isee => Ok(match isee {
            None => EligibilityDecision::ineligible(vec![missing_isee()]),
            Some(isee) if isee.value > settings.isee_ceiling_cents => {
                EligibilityDecision::ineligible(vec![above_ceiling(settings, isee)])
            }
            Some(isee) => EligibilityDecision::eligible(
                amount,
                vec![Issue::with_field(
                    "ISEE_WITHIN_CEILING",
                    "isee",
                    format!(
                        "The ISEE ({}) is within the ceiling ({}).",
                        euros(isee.value),
                        euros(settings.isee_ceiling_cents)
                    ),
                )],
            ),
        }),
        MeansTest::Exempt | MeansTest::None => Ok(EligibilityDecision::eligible(amount, vec![not_means_tested()])),
        MeansTest::Other => Err(other_means_test()),
    }
}

/// The monthly co-payment for `intervention`, given the newest ISEE valid today.
///
/// Exempt and non-means-tested entries cost nothing. Otherwise the first band whose upper
/// bound is at least the ISEE applies; without a valid ISEE the last (highest) band applies.
/// No bands configured: no co-payment.
pub fn co_payment_decision(
    settings: &Settings,
    intervention: &Intervention,
    isee: Option<&Isee>,
) -> Result<CoPaymentDecision, PluginError> {
    match intervention.catalogue_entry.means_test {
        MeansTest::Exempt => {
            return Ok(CoPaymentDecision::new(
                0,
                vec![Issue::new("CO_PAYMENT_EXEMPT", "The intervention is exempt from co-payment.")],
            ));
        }
        MeansTest::None => return Ok(CoPaymentDecision::new(0, vec![not_means_tested()])),
        MeansTest::Other => return Err(other_means_test()),
        MeansTest::Isee => {}
    }
    let Some(last) = settings.co_payment_bands.last() else {
        return Ok(CoPaymentDecision::new(
            0,
            vec![Issue::new("CO_PAYMENT_NONE", "No co-payment bands are configured.")],
        ));
    };
    match isee {
        None => Ok(CoPaymentDecision::new(
            last.monthly_cents,
            vec![Issue::with_field(
                "ISEE_MISSING",
                "isee",
                format!("No valid ISEE: the highest band applies ({} per month).", euros(last.monthly_cents)),
            )],
        )),
        Some(isee) => {
            let band = band_for(&settings.co_payment_bands, isee.value).ok_or_else(|| {
                PluginError::BadSettings(format!("no co-payment band covers an ISEE of {}", euros(isee.value)))
            })?;
            let bound = match band.up_to_cents {
                Some(up_to) => format!("up to {}", euros(up_to)),
                None => String::from("with no upper bound"),
            };
            Ok(CoPaymentDecision::new(
                band.monthly_cents,
                vec![Issue::with_field(
                    "CO_PAYMENT_BAND",
                    "isee",
                    format!(
                        "The ISEE ({}) falls in the band {bound}: {} per month.",
                        euros(isee.value),
                        euros(band.monthly_cents)
                    ),
                )],
            ))
        }
    }
}

/// The first band whose upper bound is at least `isee_cents` (`None` bound: no limit).
pub fn band_for(bands: &[Band], isee_cents: Cents) -> Option<&Band> {
    bands.iter().find(|band| band.up_to_cents.is_none_or(|up_to| up_to >= isee_cents))
}

fn missing_isee() -> Issue {
    Issue::with_field("ISEE_MISSING", "isee", "There is no ISEE valid today and the intervention is means-tested.")
}

fn above_ceiling(settings: &Settings, isee: &Isee) -> Issue {
    Issue::with_field(
        "ISEE_ABOVE_CEILING",
        "isee",
        format!("The ISEE ({}) is above the ceiling ({}).", euros(isee.value), euros(settings.isee_ceiling_cents)),
    )
}

fn not_means_tested() -> Issue {
    Issue::new("NOT_MEANS_TESTED", "The intervention is not means-tested.")
}

fn other_means_test() -> PluginError {
    PluginError::Unsupported(String::from("means tests other than ISEE are not handled by these rules"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use siso_plugin_sdk::{
        BenefitCharacter, Case, CaseState, CatalogueEntry, Date, InpsArea, InterventionState, IseeKind, IstatType,
        Person, Sex, UserArea,
    };

    const TODAY: Date = Date::new(2025, 6, 15);

    fn settings() -> Settings {
        Settings {
            isee_ceiling_cents: 2_500_000,
            co_payment_bands: vec![
                Band { up_to_cents: Some(1_000_000), monthly_cents: 0 },
                Band { up_to_cents: Some(2_000_000), monthly_cents: 5_000 },
                Band { up_to_cents: None, monthly_cents: 12_000 },
            ],
        }
    }

    fn intervention(means_test: MeansTest) -> Intervention {
        Intervention {
            id: 7,
            state: InterventionState::Requested,
            catalogue_entry: CatalogueEntry {
                local_code: String::from("SAD"),
                name: String::from("Home care"),
                inps_code: String::from("A1.04"),
                inps_area: InpsArea::Disability,
                istat_area: UserArea::Disability,
                istat_type: IstatType::Services,
                sina_required: false,
                means_test,
                character: BenefitCharacter::Periodic,
            },
            requested: 30_000,
            authorised: None,
            disbursed: 0,
            monthly: None,
            co_payment: None,
            monthly_hours_centi: None,
            starts_on: TODAY,
            ends_on: None,
            provider_id: None,
            funding_line_id: None,
        }
    }

    fn isee(value: Cents) -> Isee {
        Isee {
            kind: IseeKind::Ordinary,
            value,
            dsu_year: 2025,
            valid_from: Date::new(2025, 1, 15),
            valid_until: Date::new(2025, 12, 31),
        }
    }

    fn subject(isee: Vec<Isee>) -> Subject {
        Subject {
            person: Person {
                id: 1,
                sex: Sex::Female,
                birth_date: Date::new(1940, 3, 2),
                citizenship_code: Some(String::from("100")),
                residence_comune_code: None,
                homeless: false,
                disability: true,
                civil_invalidity_percent: Some(100),
                has_legal_guardian: false,
            },
            household: None,
            isee,
            case: Case { id: 3, org_unit_id: 2, state: CaseState::Open, area: UserArea::Elderly, opened_on: TODAY },
            needs: Vec::new(),
            assessments: Vec::new(),
            plan: None,
            intervention: intervention(MeansTest::Isee),
        }
    }

    fn codes(issues: &[Issue]) -> Vec<&str> {
        issues.iter().map(|i| i.code.as_str()).collect()
    }

    #[test]
    fn settings_parse_and_check() {
        let s: Settings = serde_json::from_str(
            r#"{"isee_ceiling_cents": 2500000,
                "co_payment_bands": [{"up_to_cents": 1000000, "monthly_cents": 0},
                                     {"up_to_cents": null, "monthly_cents": 12000}]}"#,
        )
        .expect("valid settings");
        assert_eq!(s.co_payment_bands[1], Band { up_to_cents: None, monthly_cents: 12_000 });
        assert_eq!(s.check(), Ok(()));

        let s: Settings = serde_json::from_str(r#"{"isee_ceiling_cents": 1}"#).expect("bands are optional");
        assert!(s.co_payment_bands.is_empty());
        assert!(serde_json::from_str::<Settings>(r#"{"isee_ceiling_cents": 1, "extra": 2}"#).is_err());
        assert!(serde_json::from_str::<Settings>(r#"{"co_payment_bands": []}"#).is_err());
    }

    #[test]
    fn settings_check_rejects_unordered_or_open_ended_middle_bands() {
        let mut s = settings();
        s.co_payment_bands.swap(0, 1);
        assert!(matches!(s.check(), Err(PluginError::BadSettings(_))));

        let mut s = settings();
        s.co_payment_bands.swap(1, 2);
        assert!(matches!(s.check(), Err(PluginError::BadSettings(_))));

        let mut s = settings();
        s.isee_ceiling_cents = -1;
        assert!(matches!(s.check(), Err(PluginError::BadSettings(_))));

        assert_eq!(settings().check(), Ok(()));
    }

    #[test]
    fn authorisation_is_vetoed_above_the_ceiling() {
        let v = authorisation_verdict(&settings(), &intervention(MeansTest::Isee), Some(&isee(2_500_001)));
        assert_eq!(codes(&v.vetoes), ["ISEE_ABOVE_CEILING"]);
        assert_eq!(v.vetoes[0].field.as_deref(), Some("isee"));
        assert!(v.warnings.is_empty());
    }

    #[test]
    fn authorisation_at_the_ceiling_is_accepted() {
        let v = authorisation_verdict(&settings(), &intervention(MeansTest::Isee), Some(&isee(2_500_000)));
        assert_eq!(v, Verdict::accept());
    }

    #[test]
    fn authorisation_without_isee_is_vetoed() {
        let v = authorisation_verdict(&settings(), &intervention(MeansTest::Isee), None);
        assert_eq!(codes(&v.vetoes), ["ISEE_MISSING"]);
    }

    #[test]
    fn authorisation_of_entries_not_means_tested_is_accepted() {
        for means_test in [MeansTest::Exempt, MeansTest::None, MeansTest::Other] {
            assert_eq!(authorisation_verdict(&settings(), &intervention(means_test), None), Verdict::accept());
        }
    }

    #[test]
    fn the_current_isee_is_the_newest_valid_today() {
        let mut expired = isee(100);
        expired.valid_from = Date::new(2024, 1, 1);
        expired.valid_until = Date::new(2024, 12, 31);
        let mut older = isee(3_000_000);
        older.valid_from = Date::new(2025, 1, 2);
        let newest = isee(500_000);
        let mut future = isee(200);
        future.valid_from = Date::new(2025, 7, 1);

        let s = subject(vec![future, expired, older, newest]);
        assert_eq!(s.current_isee(TODAY).map(|i| i.value), Some(500_000));
        assert_eq!(subject(vec![expired, future]).current_isee(TODAY), None);

        let v = authorisation_verdict(&settings(), &s.intervention, s.current_isee(TODAY));
        assert!(v.is_accepted());
    }

    #[test]
    fn eligible_within_the_ceiling_for_the_requested_amount() {
        let d = eligibility_decision(&settings(), &intervention(MeansTest::Isee), Some(&isee(1_200_000)))
            .expect("decision");
        assert!(d.eligible);
        assert_eq!(d.amount, Some(30_000));
        assert_eq!(codes(&d.reasons), ["ISEE_WITHIN_CEILING"]);
    }

    #[test]
    fn ineligible_above_the_ceiling_or_without_isee() {
        let d = eligibility_decision(&settings(), &intervention(MeansTest::Isee), Some(&isee(4_000_000)))
            .expect("decision");
        assert!(!d.eligible);
        assert_eq!(d.amount, None);
        assert_eq!(codes(&d.reasons), ["ISEE_ABOVE_CEILING"]);

        let d = eligibility_decision(&settings(), &intervention(MeansTest::Isee), None).expect("decision");
        assert!(!d.eligible);
        assert_eq!(codes(&d.reasons), ["ISEE_MISSING"]);
    }

    #[test]
    fn eligibility_of_entries_not_means_tested() {
        let d = eligibility_decision(&settings(), &intervention(MeansTest::Exempt), None).expect("decision");
        assert!(d.eligible);
        assert_eq!(d.amount, Some(30_000));
        assert_eq!(codes(&d.reasons), ["NOT_MEANS_TESTED"]);
        assert!(matches!(
            eligibility_decision(&settings(), &intervention(MeansTest::Other), None),
            Err(PluginError::Unsupported(_))
        ));
        let mut negative = intervention(MeansTest::Isee);
        negative.requested = -1;
        assert!(matches!(eligibility_decision(&settings(), &negative, None), Err(PluginError::InvalidInput(_))));
    }

    #[test]
    fn co_payment_takes_the_first_band_covering_the_isee() {
        let s = settings();
        let i = intervention(MeansTest::Isee);
        let monthly = |value| co_payment_decision(&s, &i, Some(&isee(value))).map(|d| d.monthly);
        assert_eq!(monthly(0), Ok(0));
        assert_eq!(monthly(1_000_000), Ok(0));
        assert_eq!(monthly(1_000_001), Ok(5_000));
        assert_eq!(monthly(2_000_000), Ok(5_000));
        assert_eq!(monthly(2_000_001), Ok(12_000));
        assert_eq!(monthly(9_900_000_000), Ok(12_000));
        let d = co_payment_decision(&s, &i, Some(&isee(1_500_000))).expect("decision");
        assert_eq!(codes(&d.reasons), ["CO_PAYMENT_BAND"]);
    }

    #[test]
    fn co_payment_without_isee_is_the_highest_band() {
        let d = co_payment_decision(&settings(), &intervention(MeansTest::Isee), None).expect("decision");
        assert_eq!(d.monthly, 12_000);
        assert_eq!(codes(&d.reasons), ["ISEE_MISSING"]);
    }

    #[test]
    fn co_payment_is_zero_when_exempt_or_without_bands() {
        let d = co_payment_decision(&settings(), &intervention(MeansTest::Exempt), Some(&isee(9_000_000)))
            .expect("decision");
        assert_eq!((d.monthly, codes(&d.reasons)), (0, vec!["CO_PAYMENT_EXEMPT"]));

        let d = co_payment_decision(&settings(), &intervention(MeansTest::None), None).expect("decision");
        assert_eq!(d.monthly, 0);

        let no_bands = Settings { isee_ceiling_cents: 1, co_payment_bands: Vec::new() };
        let d = co_payment_decision(&no_bands, &intervention(MeansTest::Isee), Some(&isee(5))).expect("decision");
        assert_eq!((d.monthly, codes(&d.reasons)), (0, vec!["CO_PAYMENT_NONE"]));
    }

    #[test]
    fn co_payment_above_every_bounded_band_is_a_settings_error() {
        let s = Settings {
            isee_ceiling_cents: 1,
            co_payment_bands: vec![Band { up_to_cents: Some(10), monthly_cents: 1 }],
        };
        assert!(matches!(
            co_payment_decision(&s, &intervention(MeansTest::Isee), Some(&isee(11))),
            Err(PluginError::BadSettings(_))
        ));
    }

    #[test]
    fn the_schema_is_json_and_requires_the_ceiling() {
        let schema: serde_json::Value = serde_json::from_str(SETTINGS_SCHEMA).expect("schema is JSON");
        assert_eq!(schema["additionalProperties"], serde_json::Value::Bool(false));
        assert_eq!(schema["required"], serde_json::json!(["isee_ceiling_cents"]));
    }
}
