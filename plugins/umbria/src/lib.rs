//! # Regione Umbria: SISO practices (`it.regione.umbria.siso`)
//!
//! The rules Regione Umbria's SISO applies, as a plug-in:
//!
//! - **validate `intervention-authorised`**, for a catalogue entry whose INPS code is one of
//!   `sina_codes`: a recent SINBA sheet for a minor (`SINBA_MISSING`, `SINBA_OUTDATED`), a
//!   recent and complete SINA data set for everyone else (`SINA_MISSING`, `SINA_OUTDATED`,
//!   one `SINA_INCOMPLETE` per missing item) — see [`sina_issues`];
//! - **validate `intervention-authorised`**, any entry: a plan whose planned end has passed
//!   needs an assessment after that end (`REASSESSMENT_REQUIRED`) — see
//!   [`reassessment_issue`];
//! - **validate `plan-saved`**: a new plan reviews often enough and has objectives with due
//!   dates (`REVIEW_INTERVAL_TOO_LONG`, `OBJECTIVES_MISSING`, `OBJECTIVE_DUE_DATE_MISSING`); a
//!   review records every objective's attainment (`ATTAINMENT_MISSING`) and, past the plan's
//!   end, follows a reassessment (`REASSESSMENT_REQUIRED`) — see [`plan_verdict`];
//! - **contribute**: the catalogue of the Umbrian zone sociali ([`catalogue`]).
//!
//! The settings (per organisation, checked by the host against `settings.schema.json`; `{}`
//! gives the defaults, [`Settings::default`]):
//!
//! ```json
//! { "sina_codes": ["A1.04","A1.10","A1.11","A1.12","A1.13","A1.14","A1.15","A1.16","A1.23",
//!                  "A2.07","A2.08","A2.14","A2.20","A2.21","A3.02"],
//!   "sina_valid_months": 12,
//!   "minors_need_sinba": true,
//!   "max_review_months": 6,
//!   "require_objective_due_dates": true }
//! ```
//!
//! The rules are plain functions over plain values, unit-tested natively; the [`Plugin`]
//! implementation only reads the settings and calls them.

use serde::Deserialize;
use siso_plugin_sdk::{
    Assessment, BenefitCharacter, CatalogueEntry, Change, Context, Date, InpsArea, Instrument, Issue, IstatType,
    MeansTest, Plan, PlanChange, Plugin, PluginError, Sina, Subject, Term, UserArea, Verdict, inps_code_matches,
    newest_assessment,
};

/// The INPS benefit codes SISO attaches the SINA block to (the default of
/// [`Settings::sina_codes`]).
pub const DEFAULT_SINA_CODES: [&str; 15] = [
    "A1.04", "A1.10", "A1.11", "A1.12", "A1.13", "A1.14", "A1.15", "A1.16", "A1.23", "A2.07", "A2.08", "A2.14",
    "A2.20", "A2.21", "A3.02",
];

/// The settings of one organisation. Every field has a default: `{}` reads as
/// [`Settings::default`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// INPS benefit codes that need the SINA data set (the SINBA sheet for minors).
    pub sina_codes: Vec<String>,
    /// Months an assessment stays valid.
    pub sina_valid_months: i32,
    /// Minors need the SINBA sheet instead of the SINA data set.
    pub minors_need_sinba: bool,
    /// The longest review interval of a new plan, in months.
    pub max_review_months: i16,
    /// Every objective of a new plan needs a due date.
    pub require_objective_due_dates: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            sina_codes: DEFAULT_SINA_CODES.iter().map(|c| (*c).to_string()).collect(),
            sina_valid_months: 12,
            minors_need_sinba: true,
            max_review_months: 6,
            require_objective_due_dates: true,
        }
    }
}

impl Settings {
    /// Checks the values (the host has already checked the shape against the schema; this
    /// repeats the ranges for callers that did not, and rejects duplicate codes).
    pub fn check(&self) -> Result<(), PluginError> {
        for (i, code) in self.sina_codes.iter().enumerate() {
            if !is_inps_code(code) {
                return Err(PluginError::BadSettings(format!(
                    "sina_codes[{i}] is not an INPS benefit code (like A1.11)"
                )));
            }
            if self.sina_codes[..i].contains(code) {
                return Err(PluginError::BadSettings(format!("sina_codes[{i}] ({code}) appears twice")));
            }
        }
        if !(1..=120).contains(&self.sina_valid_months) {
            return Err(PluginError::BadSettings(String::from("sina_valid_months must be between 1 and 120")));
        }
        if !(1..=24).contains(&self.max_review_months) {
            return Err(PluginError::BadSettings(String::from("max_review_months must be between 1 and 24")));
        }
        Ok(())
    }

    /// True when an entry with INPS code `inps_code` needs the SINA data set.
    pub fn requires_sina(&self, inps_code: &str) -> bool {
        self.sina_codes.iter().any(|code| inps_code_matches(inps_code, code))
    }
}

/// The shape of an INPS benefit code: `A1`–`A3`, then one or two groups of `.` and two digits.
fn is_inps_code(code: &str) -> bool {
    let b = code.as_bytes();
    let head_ok = b.len() >= 2 && b[0] == b'A' && (b'1'..=b'3').contains(&b[1]);
    let rest = &b[2.min(b.len())..];
    let groups_ok = !rest.is_empty()
        && rest.len().is_multiple_of(3)
        && rest.len() <= 6
        && rest.chunks(3).all(|g| g[0] == b'.' && g[1].is_ascii_digit() && g[2].is_ascii_digit());
    head_ok && groups_ok
}

/// The rules of Regione Umbria.
pub struct UmbriaRules;

impl Plugin for UmbriaRules {
    fn validate(ctx: &Context, change: &Change) -> Result<Verdict, PluginError> {
        match change {
            Change::InterventionAuthorised(subject) => {
                let settings = read_settings(ctx)?;
                Ok(authorisation_verdict(&settings, ctx.today, subject))
            }
            Change::PlanSaved(plan_change) => {
                let settings = read_settings(ctx)?;
                Ok(plan_verdict(&settings, plan_change))
            }
            _ => Ok(Verdict::accept()),
        }
    }

    fn catalogue() -> Vec<CatalogueEntry> {
        catalogue()
    }

    fn settings_schema() -> String {
        String::from(SETTINGS_SCHEMA)
    }
}

siso_plugin_sdk::register!(UmbriaRules);

/// The JSON Schema of [`Settings`] (the file the manifest names).
pub const SETTINGS_SCHEMA: &str = include_str!("../settings.schema.json");

/// Reads and checks the settings of the request's organisation.
fn read_settings(ctx: &Context) -> Result<Settings, PluginError> {
    let settings: Settings = siso_plugin_sdk::settings(ctx)?;
    settings.check()?;
    Ok(settings)
}

/// The verdict on authorising the subject's intervention on `today`: the SINA (or SINBA)
/// rules for the entries that need it, and the reassessment after the plan's end for every
/// entry.
pub fn authorisation_verdict(settings: &Settings, today: Date, subject: &Subject) -> Verdict {
    let entry = &subject.intervention.catalogue_entry;
    let mut vetoes = Vec::new();
    if settings.requires_sina(&entry.inps_code) {
        let minor = subject.person.age_on(today) < 18;
        vetoes.extend(sina_issues(settings, today, minor, &entry.inps_code, &subject.assessments));
    }
    vetoes.extend(reassessment_issue(subject.plan.as_ref(), today, &subject.assessments));
    Verdict { vetoes, warnings: Vec::new() }
}

/// The SINA rules for an entry that needs the data set (`inps_code` only names it in the
/// messages), given the assessments (newest first).
///
/// A minor (when [`Settings::minors_need_sinba`]) needs a SINBA sheet assessed within
/// [`Settings::sina_valid_months`]; everyone else needs an assessment carrying the SINA block,
/// as recent, with every item SISO asks for. An outdated assessment and its missing items are
/// all reported.
pub fn sina_issues(
    settings: &Settings,
    today: Date,
    minor: bool,
    inps_code: &str,
    assessments: &[Assessment],
) -> Vec<Issue> {
    let months = settings.sina_valid_months;
    if minor && settings.minors_need_sinba {
        return match newest_assessment(assessments, |a| a.instrument == Instrument::Sinba) {
            None => vec![Issue::with_field(
                "SINBA_MISSING",
                "assessments",
                format!("The person is a minor: a SINBA sheet is required before authorising a benefit {inps_code}."),
            )],
            Some(a) if is_outdated(a.assessed_on, months, today) => vec![Issue::with_field(
                "SINBA_OUTDATED",
                "assessments",
                format!(
                    "The newest SINBA sheet ({}) is more than {months} months old: a new one is required before \
                     authorising a benefit {inps_code}.",
                    a.assessed_on
                ),
            )],
            Some(_) => Vec::new(),
        };
    }
    let Some((assessment, sina)) =
        newest_assessment(assessments, |a| a.sina.is_some()).and_then(|a| a.sina.as_ref().map(|sina| (a, sina)))
    else {
        return vec![Issue::with_field(
            "SINA_MISSING",
            "assessments",
            format!("An assessment with the SINA data set is required before authorising a benefit {inps_code}."),
        )];
    };
    let mut issues = Vec::new();
    if is_outdated(assessment.assessed_on, months, today) {
        issues.push(Issue::with_field(
            "SINA_OUTDATED",
            "assessments",
            format!(
                "The newest SINA assessment ({}) is more than {months} months old: a new one is required before \
                 authorising a benefit {inps_code}.",
                assessment.assessed_on
            ),
        ));
    }
    for (field, item) in missing_sina_items(sina) {
        issues.push(Issue::with_field(
            "SINA_INCOMPLETE",
            field,
            format!("The SINA assessment of {} does not record {item}.", assessment.assessed_on),
        ));
    }
    issues
}

/// The items of the SINA block SISO asks for that `sina` lacks, as (field, description).
pub fn missing_sina_items(sina: &Sina) -> Vec<(&'static str, &'static str)> {
    [
        (sina.mobility, "sina.mobility", "mobility (mobilità)"),
        (sina.daily_living, "sina.dailyLiving", "daily living activities (attività della vita quotidiana)"),
        (sina.cognitive, "sina.cognitive", "cognitive disorders (disturbi area cognitiva)"),
        (sina.behavioural, "sina.behavioural", "behavioural disorders (disturbi comportamentali)"),
        (sina.health_need, "sina.healthNeed", "the need for health care (necessità di cure sanitarie)"),
        (sina.income, "sina.income", "the income situation (area reddituale)"),
        (sina.support_network, "sina.supportNetwork", "the support network (area supporto)"),
        (sina.source, "sina.source", "the source of the assessment (fonte derivazione valutazione)"),
        (sina.instrument, "sina.instrument", "the assessment instrument (strumento valutazione)"),
    ]
    .into_iter()
    .filter(|(value, _, _)| value.is_none())
    .map(|(_, field, item)| (field, item))
    .collect()
}

/// `REASSESSMENT_REQUIRED` when the plan's planned end is before `on` and no assessment (of
/// any instrument) was made after that end.
pub fn reassessment_issue(plan: Option<&Plan>, on: Date, assessments: &[Assessment]) -> Option<Issue> {
    let end = plan?.planned_end_on?;
    if end >= on || assessments.iter().any(|a| a.assessed_on > end) {
        return None;
    }
    Some(Issue::with_field(
        "REASSESSMENT_REQUIRED",
        "plan",
        format!("The plan's planned end ({end}) has passed and the person has not been assessed since."),
    ))
}

/// The verdict on saving a plan: a new plan's review interval, objectives and due dates; a
/// review's attainments and the reassessment after the plan's end.
pub fn plan_verdict(settings: &Settings, change: &PlanChange) -> Verdict {
    let plan = &change.plan;
    let mut vetoes = Vec::new();
    match change.review {
        None => {
            if plan.review_every_months > settings.max_review_months {
                vetoes.push(Issue::with_field(
                    "REVIEW_INTERVAL_TOO_LONG",
                    "reviewEveryMonths",
                    format!(
                        "The plan is reviewed every {} months: at most every {} months is allowed.",
                        plan.review_every_months, settings.max_review_months
                    ),
                ));
            }
            if plan.objectives.is_empty() {
                vetoes.push(Issue::with_field("OBJECTIVES_MISSING", "objectives", "The plan has no objectives."));
            }
            if settings.require_objective_due_dates {
                for (i, objective) in plan.objectives.iter().enumerate() {
                    if objective.due_on.is_none() {
                        vetoes.push(Issue::with_field(
                            "OBJECTIVE_DUE_DATE_MISSING",
                            format!("objectives[{i}].dueOn"),
                            format!("Objective {} ({}) has no due date.", i + 1, term(objective.term)),
                        ));
                    }
                }
            }
        }
        Some(review) => {
            for (i, objective) in plan.objectives.iter().enumerate() {
                if objective.attainment.is_none() {
                    vetoes.push(Issue::with_field(
                        "ATTAINMENT_MISSING",
                        "attainments",
                        format!(
                            "The review of {review} does not record the attainment of objective {} ({}).",
                            i + 1,
                            term(objective.term)
                        ),
                    ));
                }
            }
            vetoes.extend(reassessment_issue(Some(plan), review, &change.assessments));
        }
    }
    Verdict { vetoes, warnings: Vec::new() }
}

/// True when an assessment made on `assessed_on` is more than `months` months old on `today`.
fn is_outdated(assessed_on: Date, months: i32, today: Date) -> bool {
    assessed_on.plus_months(months) < today
}

fn term(t: Term) -> &'static str {
    match t {
        Term::Short => "short term",
        Term::Medium => "medium term",
        Term::Long => "long term",
    }
}

/// A row of [`CATALOGUE`]: local code, name, INPS code, INPS area, ISTAT area, ISTAT type,
/// means test, character.
pub type CatalogueRow =
    (&'static str, &'static str, &'static str, InpsArea, UserArea, IstatType, MeansTest, BenefitCharacter);

/// The catalogue of the Umbrian zone sociali.
#[rustfmt::skip]
pub const CATALOGUE: [CatalogueRow; 12] = {
    use BenefitCharacter::{OneOff, Periodic};
    use InpsArea as I;
    use IstatType::{Cash, Services, Structures};
    use MeansTest::Isee;
    use UserArea as U;
    const NO_TEST: MeansTest = MeansTest::None;
    [
        ("UMB-SAD",        "Servizio di assistenza domiciliare (SAD)",              "A2.07", I::Disability,   U::Elderly,      Services,   Isee,    Periodic),
        ("UMB-ADI",        "Assistenza domiciliare integrata (ADI), quota sociale", "A2.08", I::Disability,   U::Elderly,      Services,   Isee,    Periodic),
        ("UMB-ASS-CURA",   "Assegno di cura per la non autosufficienza",            "A1.11", I::Disability,   U::Elderly,      Cash,       Isee,    Periodic),
        ("UMB-MIN-VITALE", "Contributo economico per il minimo vitale",             "A1.04", I::Poverty,      U::Poverty,      Cash,       Isee,    Periodic),
        ("UMB-AFFITTO",    "Contributo per il sostegno all'affitto",                "A1.05", I::Poverty,      U::Poverty,      Cash,       Isee,    OneOff),
        ("UMB-CD-RETTA",   "Integrazione retta centro diurno",                      "A1.12", I::Disability,   U::Disability,   Cash,       Isee,    Periodic),
        ("UMB-RES-RETTA",  "Integrazione retta residenziale anziani",               "A1.14", I::Disability,   U::Elderly,      Cash,       Isee,    Periodic),
        ("UMB-TRASPORTO",  "Trasporto sociale",                                     "A1.16", I::Disability,   U::Disability,   Cash,       NO_TEST, Periodic),
        ("UMB-COM-MIN",    "Comunità residenziale per minori",                      "A3.02", I::FamilyMinors, U::FamilyMinors, Structures, NO_TEST, Periodic),
        ("UMB-EDU-MIN",    "Intervento educativo domiciliare per minori",           "A2.02", I::FamilyMinors, U::FamilyMinors, Services,   NO_TEST, Periodic),
        ("UMB-MENSA",      "Mensa sociale",                                         "A2.01", I::Poverty,      U::Poverty,      Services,   NO_TEST, Periodic),
        ("UMB-INS-LAV",    "Borsa lavoro / tirocinio di inclusione",                "A1.18", I::Poverty,      U::Poverty,      Cash,       Isee,    Periodic),
    ]
};

/// The catalogue of the Umbrian zone sociali ([`CATALOGUE`]) as entries. `sina_required` is
/// true for the codes of [`DEFAULT_SINA_CODES`] (the host recomputes it from the INPS code
/// anyway).
pub fn catalogue() -> Vec<CatalogueEntry> {
    CATALOGUE
        .iter()
        .map(|&(local_code, name, inps_code, inps_area, istat_area, istat_type, means_test, character)| {
            CatalogueEntry {
                local_code: local_code.to_string(),
                name: name.to_string(),
                inps_code: inps_code.to_string(),
                inps_area,
                istat_area,
                istat_type,
                sina_required: DEFAULT_SINA_CODES.iter().any(|code| inps_code_matches(inps_code, code)),
                means_test,
                character,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use siso_plugin_sdk::{
        Attainment, Case, CaseState, Intervention, InterventionState, Objective, Person, PlanKind, Sex,
    };

    const TODAY: Date = Date::new(2026, 11, 26);

    fn complete_sina() -> Sina {
        Sina {
            mobility: Some(2),
            daily_living: Some(3),
            cognitive: Some(1),
            behavioural: Some(1),
            health_need: Some(2),
            income: Some(2),
            support_network: Some(2),
            source: Some(1),
            instrument: Some(1),
            invalidity_source: None,
            civil_invalidity: vec![2],
            needed_benefits: vec![String::from("A1.11")],
        }
    }

    fn assessment(instrument: Instrument, on: Date, sina: Option<Sina>) -> Assessment {
        Assessment {
            id: 1,
            instrument,
            assessed_on: on,
            assessor: String::from("UVM"),
            answers: Vec::new(),
            score: None,
            sina,
        }
    }

    fn person(birth: Date) -> Person {
        Person {
            id: 1,
            sex: Sex::Female,
            birth_date: birth,
            citizenship_code: Some(String::from("100")),
            residence_comune_code: None,
            homeless: false,
            disability: true,
            civil_invalidity_percent: Some(100),
            has_legal_guardian: false,
        }
    }

    fn case() -> Case {
        Case {
            id: 1,
            org_unit_id: 4,
            state: CaseState::Open,
            area: UserArea::Elderly,
            opened_on: Date::new(2026, 2, 1),
        }
    }

    fn entry(inps_code: &str) -> CatalogueEntry {
        let mut e = catalogue().remove(2);
        e.inps_code = inps_code.to_string();
        e
    }

    fn subject(inps_code: &str, assessments: Vec<Assessment>) -> Subject {
        Subject {
            person: person(Date::new(1938, 3, 2)),
            household: None,
            isee: Vec::new(),
            case: case(),
            needs: Vec::new(),
            assessments,
            plan: None,
            intervention: Intervention {
                id: 1,
                state: InterventionState::Requested,
                catalogue_entry: entry(inps_code),
                requested: 480_000,
                authorised: Some(480_000),
                disbursed: 0,
                monthly: Some(40_000),
                co_payment: None,
                monthly_hours_centi: None,
                starts_on: Date::new(2026, 3, 1),
                ends_on: Some(Date::new(2026, 12, 31)),
                provider_id: None,
                funding_line_id: None,
            },
        }
    }

    fn plan(end: Option<Date>, objectives: Vec<Objective>) -> Plan {
        Plan {
            id: 1,
            kind: PlanKind::Pai,
            active: true,
            starts_on: Date::new(2026, 1, 1),
            planned_end_on: end,
            review_every_months: 6,
            next_review_on: Date::new(2026, 7, 1),
            objectives,
        }
    }

    fn objective(due_on: Option<Date>, attainment: Option<Attainment>) -> Objective {
        Objective { term: Term::Short, due_on, attainment }
    }

    fn plan_change(plan: Plan, review: Option<Date>, assessments: Vec<Assessment>) -> PlanChange {
        PlanChange { person: person(Date::new(1938, 3, 2)), case: case(), assessments, plan, review }
    }

    fn codes(issues: &[Issue]) -> Vec<&str> {
        issues.iter().map(|i| i.code.as_str()).collect()
    }

    fn fields(issues: &[Issue]) -> Vec<&str> {
        issues.iter().map(|i| i.field.as_deref().unwrap_or("")).collect()
    }

    #[test]
    fn defaults_read_from_empty_settings_and_match_the_schema() {
        let s: Settings = serde_json::from_str("{}").expect("empty settings");
        assert_eq!(s, Settings::default());
        assert_eq!(s.check(), Ok(()));
        assert_eq!(s.sina_codes.len(), 15);
        assert!(serde_json::from_str::<Settings>(r#"{"extra": 1}"#).is_err());
        let s: Settings = serde_json::from_str(r#"{"max_review_months": 12}"#).expect("partial settings");
        assert_eq!((s.max_review_months, s.sina_valid_months), (12, 12));

        // Every property of the schema has a default, and the defaults are Settings::default().
        let schema: serde_json::Value = serde_json::from_str(SETTINGS_SCHEMA).expect("schema is JSON");
        assert_eq!(schema["additionalProperties"], serde_json::Value::Bool(false));
        let props = schema["properties"].as_object().expect("properties");
        let defaults: serde_json::Map<String, serde_json::Value> = props
            .iter()
            .map(|(k, v)| (k.clone(), v.get("default").cloned().expect("a default on every property")))
            .collect();
        assert!(props.values().all(|p| p.get("description").is_some()));
        let from_schema: Settings = serde_json::from_value(serde_json::Value::Object(defaults)).expect("defaults");
        assert_eq!(from_schema, Settings::default());
    }

    #[test]
    fn settings_check_rejects_bad_values() {
        let bad = |f: fn(&mut Settings)| {
            let mut s = Settings::default();
            f(&mut s);
            matches!(s.check(), Err(PluginError::BadSettings(_)))
        };
        assert!(bad(|s| s.sina_codes.push(String::from("A1.11"))));
        assert!(bad(|s| s.sina_codes.push(String::from("B1.01"))));
        assert!(bad(|s| s.sina_codes.push(String::from("A1.1"))));
        assert!(bad(|s| s.sina_codes.push(String::from("A1.01.02.03"))));
        assert!(bad(|s| s.sina_valid_months = 0));
        assert!(bad(|s| s.max_review_months = 25));
        assert!(!bad(|s| s.sina_codes.push(String::from("A1.05.01"))));
        assert!(!bad(|s| s.sina_codes.clear()));
    }

    #[test]
    fn codes_match_exactly_or_as_a_prefix_with_a_dot() {
        let s = Settings::default();
        assert!(s.requires_sina("A3.02") && s.requires_sina("A1.11.02") && !s.requires_sina("A1.05"));
    }

    #[test]
    fn no_sina_assessment_is_vetoed() {
        let v = authorisation_verdict(&Settings::default(), TODAY, &subject("A1.11", Vec::new()));
        assert_eq!(codes(&v.vetoes), ["SINA_MISSING"]);
        assert_eq!(fields(&v.vetoes), ["assessments"]);
        // An assessment without the SINA block does not count.
        let s = subject("A1.11", vec![assessment(Instrument::Svama, Date::new(2026, 10, 1), None)]);
        assert_eq!(codes(&authorisation_verdict(&Settings::default(), TODAY, &s).vetoes), ["SINA_MISSING"]);
    }

    #[test]
    fn a_recent_complete_sina_is_accepted() {
        let s = subject("A1.11", vec![assessment(Instrument::Sina, Date::new(2026, 10, 1), Some(complete_sina()))]);
        assert_eq!(authorisation_verdict(&Settings::default(), TODAY, &s), Verdict::accept());
    }

    #[test]
    fn each_missing_item_is_one_veto() {
        let mut sina = complete_sina();
        sina.cognitive = None;
        sina.source = None;
        let s = subject("A2.07", vec![assessment(Instrument::Sina, Date::new(2026, 10, 1), Some(sina))]);
        let v = authorisation_verdict(&Settings::default(), TODAY, &s);
        assert_eq!(codes(&v.vetoes), ["SINA_INCOMPLETE", "SINA_INCOMPLETE"]);
        assert_eq!(fields(&v.vetoes), ["sina.cognitive", "sina.source"]);
        assert!(v.vetoes[0].message.contains("disturbi area cognitiva"), "{}", v.vetoes[0].message);
        assert!(v.vetoes[0].message.contains("2026-10-01"));

        let empty = Sina {
            mobility: None,
            daily_living: None,
            cognitive: None,
            behavioural: None,
            health_need: None,
            income: None,
            support_network: None,
            source: None,
            instrument: None,
            invalidity_source: None,
            civil_invalidity: Vec::new(),
            needed_benefits: Vec::new(),
        };
        let all: Vec<&str> = missing_sina_items(&empty).into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            all,
            [
                "sina.mobility",
                "sina.dailyLiving",
                "sina.cognitive",
                "sina.behavioural",
                "sina.healthNeed",
                "sina.income",
                "sina.supportNetwork",
                "sina.source",
                "sina.instrument"
            ]
        );
        assert!(missing_sina_items(&complete_sina()).is_empty());
    }

    #[test]
    fn the_newest_sina_decides_and_may_be_outdated() {
        let settings = Settings::default();
        // 2025-11-26 + 12 months = today: still valid; a day earlier is outdated.
        let on_the_day =
            subject("A1.11", vec![assessment(Instrument::Sina, Date::new(2025, 11, 26), Some(complete_sina()))]);
        assert!(authorisation_verdict(&settings, TODAY, &on_the_day).is_accepted());
        let mut incomplete = complete_sina();
        incomplete.income = None;
        let old = subject(
            "A1.11",
            vec![
                assessment(Instrument::Svama, Date::new(2026, 11, 1), None),
                assessment(Instrument::Sina, Date::new(2025, 11, 25), Some(incomplete)),
                assessment(Instrument::Sina, Date::new(2025, 1, 1), Some(complete_sina())),
            ],
        );
        let v = authorisation_verdict(&settings, TODAY, &old);
        assert_eq!(codes(&v.vetoes), ["SINA_OUTDATED", "SINA_INCOMPLETE"]);
        assert_eq!(fields(&v.vetoes), ["assessments", "sina.income"]);
        assert!(v.vetoes[0].message.contains("2025-11-25"));
        // A longer validity accepts it (and still reports the missing item).
        let longer = Settings { sina_valid_months: 18, ..Settings::default() };
        assert_eq!(codes(&authorisation_verdict(&longer, TODAY, &old).vetoes), ["SINA_INCOMPLETE"]);
        // Out of order in the list: the newest by date decides.
        let mut reversed = old.clone();
        reversed.assessments.reverse();
        assert_eq!(
            codes(&authorisation_verdict(&settings, TODAY, &reversed).vetoes),
            ["SINA_OUTDATED", "SINA_INCOMPLETE"]
        );
    }

    #[test]
    fn minors_need_a_recent_sinba_sheet() {
        let settings = Settings::default();
        let mut s = subject("A3.02", vec![assessment(Instrument::Sina, Date::new(2026, 10, 1), Some(complete_sina()))]);
        s.person.birth_date = Date::new(2012, 5, 4);
        let v = authorisation_verdict(&settings, TODAY, &s);
        assert_eq!(codes(&v.vetoes), ["SINBA_MISSING"]);
        assert_eq!(fields(&v.vetoes), ["assessments"]);

        s.assessments.push(assessment(Instrument::Sinba, Date::new(2025, 6, 1), None));
        assert_eq!(codes(&authorisation_verdict(&settings, TODAY, &s).vetoes), ["SINBA_OUTDATED"]);
        s.assessments.insert(0, assessment(Instrument::Sinba, Date::new(2026, 9, 1), None));
        assert!(authorisation_verdict(&settings, TODAY, &s).is_accepted());

        // Without the SINBA rule, a minor needs the SINA block like everyone else.
        let mut no_sinba = subject("A3.02", vec![assessment(Instrument::Sinba, Date::new(2026, 9, 1), None)]);
        no_sinba.person.birth_date = Date::new(2012, 5, 4);
        let off = Settings { minors_need_sinba: false, ..Settings::default() };
        assert_eq!(codes(&authorisation_verdict(&off, TODAY, &no_sinba).vetoes), ["SINA_MISSING"]);

        // Eighteen today: an adult.
        let mut adult = subject("A3.02", Vec::new());
        adult.person.birth_date = Date::new(2008, 11, 26);
        assert_eq!(codes(&authorisation_verdict(&settings, TODAY, &adult).vetoes), ["SINA_MISSING"]);
    }

    #[test]
    fn entries_outside_the_codes_skip_the_sina_rules() {
        let settings = Settings::default();
        assert!(authorisation_verdict(&settings, TODAY, &subject("A1.05", Vec::new())).is_accepted());
        let only_housing = Settings { sina_codes: vec![String::from("A1.05")], ..Settings::default() };
        assert_eq!(
            codes(&authorisation_verdict(&only_housing, TODAY, &subject("A1.05.01", Vec::new())).vetoes),
            ["SINA_MISSING"]
        );
        assert!(authorisation_verdict(&only_housing, TODAY, &subject("A1.11", Vec::new())).is_accepted());
    }

    #[test]
    fn a_plan_past_its_end_needs_a_reassessment() {
        let sina = assessment(Instrument::Sina, Date::new(2026, 9, 30), Some(complete_sina()));
        let mut s = subject("A1.05", vec![sina.clone()]);
        s.plan = Some(plan(Some(Date::new(2026, 9, 30)), vec![objective(None, None)]));
        let v = authorisation_verdict(&Settings::default(), TODAY, &s);
        assert_eq!(codes(&v.vetoes), ["REASSESSMENT_REQUIRED"]);
        assert_eq!(fields(&v.vetoes), ["plan"]);
        assert!(v.vetoes[0].message.contains("2026-09-30"));
        // Any instrument after the end will do.
        s.assessments.insert(0, assessment(Instrument::Local, Date::new(2026, 10, 1), None));
        assert!(authorisation_verdict(&Settings::default(), TODAY, &s).is_accepted());
        // A plan ending today, or without an end, needs nothing.
        assert_eq!(reassessment_issue(Some(&plan(Some(TODAY), Vec::new())), TODAY, &[]), None);
        assert_eq!(reassessment_issue(Some(&plan(None, Vec::new())), TODAY, &[]), None);
        assert_eq!(reassessment_issue(None, TODAY, &[]), None);
        // Both rule families at once.
        let mut both = subject("A1.11", Vec::new());
        both.plan = Some(plan(Some(Date::new(2026, 9, 30)), Vec::new()));
        let v = authorisation_verdict(&Settings::default(), TODAY, &both);
        assert_eq!(codes(&v.vetoes), ["SINA_MISSING", "REASSESSMENT_REQUIRED"]);
    }

    #[test]
    fn a_new_plan_reviews_often_and_has_dated_objectives() {
        let settings = Settings::default();
        let due = Some(Date::new(2027, 3, 1));
        let good = plan_change(plan(None, vec![objective(due, None)]), None, Vec::new());
        assert_eq!(plan_verdict(&settings, &good), Verdict::accept());

        let mut long = good.clone();
        long.plan.review_every_months = 7;
        let v = plan_verdict(&settings, &long);
        assert_eq!(
            (codes(&v.vetoes), fields(&v.vetoes)),
            (vec!["REVIEW_INTERVAL_TOO_LONG"], vec!["reviewEveryMonths"])
        );
        assert!(v.vetoes[0].message.contains('7') && v.vetoes[0].message.contains('6'));
        let lenient = Settings { max_review_months: 12, ..Settings::default() };
        assert!(plan_verdict(&lenient, &long).is_accepted());

        let mut none = good.clone();
        none.plan.objectives.clear();
        let v = plan_verdict(&settings, &none);
        assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["OBJECTIVES_MISSING"], vec!["objectives"]));

        let mut undated = good.clone();
        undated.plan.objectives = vec![objective(due, None), objective(None, None), objective(None, None)];
        undated.plan.objectives[2].term = Term::Long;
        let v = plan_verdict(&settings, &undated);
        assert_eq!(codes(&v.vetoes), ["OBJECTIVE_DUE_DATE_MISSING", "OBJECTIVE_DUE_DATE_MISSING"]);
        assert_eq!(fields(&v.vetoes), ["objectives[1].dueOn", "objectives[2].dueOn"]);
        assert!(v.vetoes[1].message.contains("Objective 3 (long term)"), "{}", v.vetoes[1].message);
        let optional = Settings { require_objective_due_dates: false, ..Settings::default() };
        assert!(plan_verdict(&optional, &undated).is_accepted());
    }

    #[test]
    fn a_review_records_attainments_and_follows_a_reassessment_past_the_end() {
        let settings = Settings::default();
        let end = Some(Date::new(2027, 11, 30));
        let objectives = vec![objective(None, Some(Attainment::Partly)), objective(None, None)];
        let review = plan_change(plan(end, objectives), Some(Date::new(2027, 6, 1)), Vec::new());
        let v = plan_verdict(&settings, &review);
        assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["ATTAINMENT_MISSING"], vec!["attainments"]));
        assert!(v.vetoes[0].message.contains("objective 2 (short term)"), "{}", v.vetoes[0].message);

        let mut done = review.clone();
        done.plan.objectives[1].attainment = Some(Attainment::Reached);
        // The new-plan rules do not apply to a review (no due dates, a long interval).
        done.plan.review_every_months = 12;
        assert!(plan_verdict(&settings, &done).is_accepted());

        let mut late = done.clone();
        late.review = Some(Date::new(2027, 12, 15));
        let v = plan_verdict(&settings, &late);
        assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["REASSESSMENT_REQUIRED"], vec!["plan"]));
        assert!(v.vetoes[0].message.contains("2027-11-30"));
        late.assessments = vec![assessment(Instrument::Svama, Date::new(2027, 12, 1), None)];
        assert!(plan_verdict(&settings, &late).is_accepted());
    }

    #[test]
    fn the_catalogue_has_the_twelve_entries_of_the_zone_sociali() {
        let c = catalogue();
        let codes: Vec<(&str, &str)> = c.iter().map(|e| (e.local_code.as_str(), e.inps_code.as_str())).collect();
        assert_eq!(
            codes,
            [
                ("UMB-SAD", "A2.07"),
                ("UMB-ADI", "A2.08"),
                ("UMB-ASS-CURA", "A1.11"),
                ("UMB-MIN-VITALE", "A1.04"),
                ("UMB-AFFITTO", "A1.05"),
                ("UMB-CD-RETTA", "A1.12"),
                ("UMB-RES-RETTA", "A1.14"),
                ("UMB-TRASPORTO", "A1.16"),
                ("UMB-COM-MIN", "A3.02"),
                ("UMB-EDU-MIN", "A2.02"),
                ("UMB-MENSA", "A2.01"),
                ("UMB-INS-LAV", "A1.18"),
            ]
        );
        let sina: Vec<&str> = c.iter().filter(|e| e.sina_required).map(|e| e.local_code.as_str()).collect();
        assert_eq!(
            sina,
            [
                "UMB-SAD",
                "UMB-ADI",
                "UMB-ASS-CURA",
                "UMB-MIN-VITALE",
                "UMB-CD-RETTA",
                "UMB-RES-RETTA",
                "UMB-TRASPORTO",
                "UMB-COM-MIN"
            ]
        );
        let affitto = &c[4];
        assert_eq!(
            (affitto.inps_area, affitto.istat_area, affitto.istat_type, affitto.means_test, affitto.character),
            (InpsArea::Poverty, UserArea::Poverty, IstatType::Cash, MeansTest::Isee, BenefitCharacter::OneOff)
        );
        let community = &c[8];
        assert_eq!(
            (community.inps_area, community.istat_area, community.istat_type, community.means_test),
            (InpsArea::FamilyMinors, UserArea::FamilyMinors, IstatType::Structures, MeansTest::None)
        );
        assert_eq!((c[0].istat_area, c[0].istat_type), (UserArea::Elderly, IstatType::Services));
    }
}
