//! # Regione Lazio: FNA home care (`it.regione.lazio.fna`)
//!
//! Regione Lazio's home-care measures paid from the national fund for non-self-sufficiency
//! (FNA), as a plug-in:
//!
//! - the *assegno di cura* (catalogue entry `FNA-ADC`), whose monthly amount depends on the
//!   condition the UVM recorded (*disabilità gravissima* or *grave* non-self-sufficiency) and
//!   on the socio-sanitary ISEE band;
//! - the caregiver contribution (*contributo di cura al caregiver familiare*, `FNA-CAREGIVER`),
//!   graded by its own ISEE bands, without a condition.
//!
//! Both need a recent UVM assessment. Each district (a Municipio of Roma Capitale, elsewhere a
//! distretto socio-sanitario) enables the plug-in for its unit with its own settings; the
//! nearest enablement's settings apply.
//!
//! Hooks:
//!
//! - **validate `intervention-authorised`** ([`authorisation_verdict`]): the UVM assessment,
//!   the condition, the socio-sanitary ISEE and its band, then the monthly and authorised
//!   amounts against the band;
//! - **validate `disbursement-recorded`** ([`disbursement_verdict`]): a payment is at most the
//!   monthly amount times the months it pays for;
//! - **decide `eligibility`** ([`eligibility_decision`]): eligible for the band's monthly
//!   amount, or not eligible with the reasons; other entries abstain
//!   ([`PluginError::Unsupported`]);
//! - **contribute**: the two catalogue entries ([`catalogue`]).
//!
//! The settings (`{}` gives [`Settings::default`]; an object given in part keeps the defaults
//! of what it leaves out, a `bands` list given replaces the default list):
//!
//! ```json
//! { "uvm_assessor": "UVM", "assessment_valid_months": 12, "condition_question": "fna_condition",
//!   "assegno_di_cura": { "local_code": "FNA-ADC",
//!     "gravissima": { "min_cents": 80000, "max_cents": 120000, "bands": [
//!         {"isee_up_to_cents": 1500000, "monthly_cents": 120000},
//!         {"isee_up_to_cents": 3000000, "monthly_cents": 100000},
//!         {"isee_up_to_cents": 6500000, "monthly_cents": 80000} ] },
//!     "grave": { "min_cents": 40000, "max_cents": 80000, "bands": [
//!         {"isee_up_to_cents": 1500000, "monthly_cents": 80000},
//!         {"isee_up_to_cents": 3000000, "monthly_cents": 60000},
//!         {"isee_up_to_cents": 5000000, "monthly_cents": 40000} ] } },
//!   "caregiver": { "local_code": "FNA-CAREGIVER", "min_cents": 40000, "max_cents": 70000, "bands": [
//!         {"isee_up_to_cents": 1500000, "monthly_cents": 70000},
//!         {"isee_up_to_cents": 3000000, "monthly_cents": 55000},
//!         {"isee_up_to_cents": 5000000, "monthly_cents": 40000} ] } }
//! ```

use serde::Deserialize;
use siso_plugin_sdk::{
    Assessment, BenefitCharacter, CatalogueEntry, Cents, Change, Context, Date, Disbursement, EligibilityDecision,
    InpsArea, IseeKind, Issue, IstatType, MeansTest, OrgKind, Plugin, PluginError, Subject, UserArea, Verdict, euros,
    newest_assessment,
};

/// The settings of one district. Every value the JSON leaves out, at any level, takes its
/// default ([`Settings::default`]); a `bands` list given replaces the default list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "RawSettings")]
pub struct Settings {
    /// The assessor of the UVM assessment (compared ASCII case-insensitively).
    pub uvm_assessor: String,
    /// Months a UVM assessment stays valid.
    pub assessment_valid_months: i32,
    /// The question whose answer is the condition (`gravissima` or `grave`).
    pub condition_question: String,
    /// The assegno di cura.
    pub assegno_di_cura: AssegnoDiCura,
    /// The caregiver contribution.
    pub caregiver: Caregiver,
}

/// The assegno di cura: its catalogue code and its amounts by condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssegnoDiCura {
    /// The local code of its catalogue entry.
    pub local_code: String,
    /// Amounts for *disabilità gravissima*.
    pub gravissima: Scale,
    /// Amounts for *grave* non-self-sufficiency.
    pub grave: Scale,
}

impl AssegnoDiCura {
    /// The amounts for a condition.
    pub fn scale(&self, condition: Condition) -> &Scale {
        match condition {
            Condition::Gravissima => &self.gravissima,
            Condition::Grave => &self.grave,
        }
    }
}

/// The caregiver contribution: its catalogue code and amounts (in JSON the scale's fields sit
/// beside `local_code`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caregiver {
    /// The local code of its catalogue entry.
    pub local_code: String,
    /// Its amounts.
    pub scale: Scale,
}

/// The monthly amounts of a measure: a range and ISEE bands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scale {
    /// The lowest monthly amount.
    pub min_cents: Cents,
    /// The highest monthly amount.
    pub max_cents: Cents,
    /// ISEE bands in ascending order of [`Band::isee_up_to_cents`].
    pub bands: Vec<Band>,
}

/// An ISEE band and its monthly amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// The highest socio-sanitary ISEE of the band; `None`: no ceiling (only the last band).
    #[serde(default)]
    pub isee_up_to_cents: Option<Cents>,
    /// The monthly amount in this band.
    pub monthly_cents: Cents,
}

impl Band {
    const fn new(isee_up_to_cents: Cents, monthly_cents: Cents) -> Band {
        Band { isee_up_to_cents: Some(isee_up_to_cents), monthly_cents }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            uvm_assessor: String::from("UVM"),
            assessment_valid_months: 12,
            condition_question: String::from("fna_condition"),
            assegno_di_cura: AssegnoDiCura {
                local_code: String::from("FNA-ADC"),
                gravissima: Scale {
                    min_cents: 80_000,
                    max_cents: 120_000,
                    bands: vec![
                        Band::new(1_500_000, 120_000),
                        Band::new(3_000_000, 100_000),
                        Band::new(6_500_000, 80_000),
                    ],
                },
                grave: Scale {
                    min_cents: 40_000,
                    max_cents: 80_000,
                    bands: vec![
                        Band::new(1_500_000, 80_000),
                        Band::new(3_000_000, 60_000),
                        Band::new(5_000_000, 40_000),
                    ],
                },
            },
            caregiver: Caregiver {
                local_code: String::from("FNA-CAREGIVER"),
                scale: Scale {
                    min_cents: 40_000,
                    max_cents: 70_000,
                    bands: vec![
                        Band::new(1_500_000, 70_000),
                        Band::new(3_000_000, 55_000),
                        Band::new(5_000_000, 40_000),
                    ],
                },
            },
        }
    }
}

/// The settings as JSON gives them: every value optional, filled from the defaults.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawSettings {
    uvm_assessor: Option<String>,
    assessment_valid_months: Option<i32>,
    condition_question: Option<String>,
    assegno_di_cura: RawAssegnoDiCura,
    caregiver: RawCaregiver,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawAssegnoDiCura {
    local_code: Option<String>,
    gravissima: RawScale,
    grave: RawScale,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawScale {
    min_cents: Option<Cents>,
    max_cents: Option<Cents>,
    bands: Option<Vec<Band>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawCaregiver {
    local_code: Option<String>,
    min_cents: Option<Cents>,
    max_cents: Option<Cents>,
    bands: Option<Vec<Band>>,
}

impl RawScale {
    fn or(self, default: Scale) -> Scale {
        Scale {
            min_cents: self.min_cents.unwrap_or(default.min_cents),
            max_cents: self.max_cents.unwrap_or(default.max_cents),
            bands: self.bands.unwrap_or(default.bands),
        }
    }
}

impl From<RawSettings> for Settings {
    fn from(raw: RawSettings) -> Settings {
        let d = Settings::default();
        let caregiver = RawScale {
            min_cents: raw.caregiver.min_cents,
            max_cents: raw.caregiver.max_cents,
            bands: raw.caregiver.bands,
        };
        Settings {
            uvm_assessor: raw.uvm_assessor.unwrap_or(d.uvm_assessor),
            assessment_valid_months: raw.assessment_valid_months.unwrap_or(d.assessment_valid_months),
            condition_question: raw.condition_question.unwrap_or(d.condition_question),
            assegno_di_cura: AssegnoDiCura {
                local_code: raw.assegno_di_cura.local_code.unwrap_or(d.assegno_di_cura.local_code),
                gravissima: raw.assegno_di_cura.gravissima.or(d.assegno_di_cura.gravissima),
                grave: raw.assegno_di_cura.grave.or(d.assegno_di_cura.grave),
            },
            caregiver: Caregiver {
                local_code: raw.caregiver.local_code.unwrap_or(d.caregiver.local_code),
                scale: caregiver.or(d.caregiver.scale),
            },
        }
    }
}

impl Settings {
    /// Checks what the JSON Schema cannot: bands in ascending order, only the last one
    /// open-ended, every band's amount within the measure's range, a range with min ≤ max, two
    /// distinct catalogue codes.
    pub fn check(&self) -> Result<(), PluginError> {
        let bad = |m: String| Err(PluginError::BadSettings(m));
        if self.uvm_assessor.trim().is_empty() {
            return bad(String::from("uvm_assessor must not be empty"));
        }
        if self.condition_question.trim().is_empty() {
            return bad(String::from("condition_question must not be empty"));
        }
        if !(1..=120).contains(&self.assessment_valid_months) {
            return bad(String::from("assessment_valid_months must be between 1 and 120"));
        }
        let (adc, cg) = (&self.assegno_di_cura.local_code, &self.caregiver.local_code);
        if adc.trim().is_empty() || cg.trim().is_empty() {
            return bad(String::from("the local codes must not be empty"));
        }
        if adc == cg {
            return bad(String::from("assegno_di_cura.local_code and caregiver.local_code must differ"));
        }
        self.assegno_di_cura.gravissima.check("assegno_di_cura.gravissima")?;
        self.assegno_di_cura.grave.check("assegno_di_cura.grave")?;
        self.caregiver.scale.check("caregiver")
    }

    /// The measure of a catalogue entry, by its local code.
    pub fn measure_of(&self, entry: &CatalogueEntry) -> Option<Measure> {
        if entry.local_code == self.assegno_di_cura.local_code {
            Some(Measure::AssegnoDiCura)
        } else if entry.local_code == self.caregiver.local_code {
            Some(Measure::Caregiver)
        } else {
            None
        }
    }
}

impl Scale {
    fn check(&self, path: &str) -> Result<(), PluginError> {
        let bad = |m: String| Err(PluginError::BadSettings(m));
        if self.min_cents < 0 || self.max_cents < 0 {
            return bad(format!("{path}: min_cents and max_cents must not be negative"));
        }
        if self.min_cents > self.max_cents {
            return bad(format!("{path}: min_cents is above max_cents"));
        }
        if self.bands.is_empty() {
            return bad(format!("{path}: there must be at least one band"));
        }
        let last = self.bands.len() - 1;
        let mut previous: Option<Cents> = None;
        for (i, band) in self.bands.iter().enumerate() {
            if !(self.min_cents..=self.max_cents).contains(&band.monthly_cents) {
                return bad(format!(
                    "{path}.bands[{i}].monthly_cents ({}) is outside [{}, {}]",
                    euros(band.monthly_cents),
                    euros(self.min_cents),
                    euros(self.max_cents)
                ));
            }
            match band.isee_up_to_cents {
                None if i != last => {
                    return bad(format!("{path}.bands[{i}] has no ceiling but is not the last band"));
                }
                None => {}
                Some(up_to) if up_to < 0 => return bad(format!("{path}.bands[{i}].isee_up_to_cents is negative")),
                Some(up_to) if previous.is_some_and(|p| up_to <= p) => {
                    return bad(format!("{path}.bands[{i}].isee_up_to_cents is not above the previous band's"));
                }
                Some(up_to) => previous = Some(up_to),
            }
        }
        Ok(())
    }
}

/// The FNA measure of an intervention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// The assegno di cura (`FNA-ADC`).
    AssegnoDiCura,
    /// The caregiver contribution (`FNA-CAREGIVER`).
    Caregiver,
}

/// The condition the UVM recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// *Disabilità gravissima*.
    Gravissima,
    /// *Grave* non-self-sufficiency.
    Grave,
}

/// What the band of a measure was given for: the measure and, for the assegno, the condition.
fn what(measure: Measure, condition: Option<Condition>) -> &'static str {
    match (measure, condition) {
        (Measure::Caregiver, _) => "the caregiver contribution (contributo di cura)",
        (Measure::AssegnoDiCura, Some(Condition::Gravissima)) => "the assegno di cura for disabilità gravissima",
        (Measure::AssegnoDiCura, Some(Condition::Grave)) => {
            "the assegno di cura for grave non-self-sufficiency (non autosufficienza grave)"
        }
        (Measure::AssegnoDiCura, None) => "the assegno di cura",
    }
}

/// The rules of Regione Lazio's FNA home care.
pub struct LazioFna;

impl Plugin for LazioFna {
    fn validate(ctx: &Context, change: &Change) -> Result<Verdict, PluginError> {
        match change {
            Change::InterventionAuthorised(subject) => {
                let settings = read_settings(ctx)?;
                match settings.measure_of(&subject.intervention.catalogue_entry) {
                    Some(measure) => authorisation_verdict(&settings, ctx.today, measure, subject),
                    None => Ok(Verdict::accept()),
                }
            }
            Change::DisbursementRecorded((subject, disbursement)) => {
                let settings = read_settings(ctx)?;
                match settings.measure_of(&subject.intervention.catalogue_entry) {
                    Some(_) => disbursement_verdict(subject, disbursement),
                    None => Ok(Verdict::accept()),
                }
            }
            _ => Ok(Verdict::accept()),
        }
    }

    fn eligibility(ctx: &Context, subject: &Subject) -> Result<EligibilityDecision, PluginError> {
        let settings = read_settings(ctx)?;
        eligibility_decision(&settings, &district_name(ctx), ctx.today, subject)
    }

    /// Bulk evaluation: the settings are read once for the whole batch.
    fn eligibility_batch(ctx: &Context, subjects: Vec<Subject>) -> Vec<Result<EligibilityDecision, PluginError>> {
        match read_settings(ctx) {
            Ok(settings) => {
                let district = district_name(ctx);
                subjects.iter().map(|s| eligibility_decision(&settings, &district, ctx.today, s)).collect()
            }
            Err(e) => subjects.iter().map(|_| Err(e.clone())).collect(),
        }
    }

    fn catalogue() -> Vec<CatalogueEntry> {
        catalogue()
    }

    fn settings_schema() -> String {
        String::from(SETTINGS_SCHEMA)
    }
}

siso_plugin_sdk::register!(LazioFna);

/// The JSON Schema of [`Settings`] (the file the manifest names).
pub const SETTINGS_SCHEMA: &str = include_str!("../settings.schema.json");

/// Reads and checks the settings of the request's organisation.
fn read_settings(ctx: &Context) -> Result<Settings, PluginError> {
    let settings: Settings = siso_plugin_sdk::settings(ctx)?;
    settings.check()?;
    Ok(settings)
}

/// The district named in decisions: the nearest Municipio (Roma Capitale), else the nearest
/// ambito, else the organisation itself.
pub fn district_name(ctx: &Context) -> String {
    ctx.nearest(OrgKind::Municipio)
        .or_else(|| ctx.nearest(OrgKind::Ambito))
        .map_or_else(|| ctx.organisation.name.clone(), |unit| unit.name)
}

/// What the rules found about a subject for a measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation<'a> {
    /// Why the measure cannot be granted (empty: it can): UVM assessment missing or outdated,
    /// condition missing or unknown, socio-sanitary ISEE missing or above every band.
    pub problems: Vec<Issue>,
    /// The band, when the condition (for the assegno) and the ISEE give one.
    pub graded: Option<Graded<'a>>,
}

/// A band found for a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graded<'a> {
    /// The measure.
    pub measure: Measure,
    /// The condition (assegno di cura only).
    pub condition: Option<Condition>,
    /// The measure's amounts.
    pub scale: &'a Scale,
    /// The band covering the ISEE.
    pub band: &'a Band,
    /// The socio-sanitary ISEE value.
    pub isee: Cents,
}

impl Graded<'_> {
    fn describe(&self) -> String {
        let bound = match self.band.isee_up_to_cents {
            Some(up_to) => format!("up to {}", euros(up_to)),
            None => String::from("with no ceiling"),
        };
        format!(
            "{}: socio-sanitary ISEE {} in the band {bound}, {} a month",
            what(self.measure, self.condition),
            euros(self.isee),
            euros(self.band.monthly_cents)
        )
    }
}

/// Evaluates the preconditions of `measure` for the subject on `today` and finds its band.
pub fn evaluate<'a>(settings: &'a Settings, today: Date, measure: Measure, subject: &Subject) -> Evaluation<'a> {
    let mut problems = Vec::new();
    let uvm = uvm_assessment(&settings.uvm_assessor, &subject.assessments);
    match uvm {
        None => problems.push(Issue::with_field(
            "UVM_ASSESSMENT_MISSING",
            "assessments",
            format!("{} needs an assessment by the {}.", capitalised(what(measure, None)), settings.uvm_assessor),
        )),
        Some(a) if a.assessed_on.plus_months(settings.assessment_valid_months) < today => {
            problems.push(Issue::with_field(
                "UVM_ASSESSMENT_OUTDATED",
                "assessments",
                format!(
                    "The newest UVM assessment ({}) is more than {} months old: a new one is needed.",
                    a.assessed_on, settings.assessment_valid_months
                ),
            ))
        }
        Some(_) => {}
    }
    let (condition, scale) = match measure {
        Measure::Caregiver => (None, Some(&settings.caregiver.scale)),
        Measure::AssegnoDiCura => match uvm.map(|a| condition_of(&settings.condition_question, a)) {
            Some(Ok(condition)) => (Some(condition), Some(settings.assegno_di_cura.scale(condition))),
            Some(Err(issue)) => {
                problems.push(issue);
                (None, None)
            }
            None => (None, None),
        },
    };
    let isee = subject.current_isee_of(today, &[IseeKind::SocioHealth]).map(|i| i.value);
    if isee.is_none() {
        problems.push(Issue::with_field(
            "ISEE_SOCIO_HEALTH_MISSING",
            "isee",
            format!("There is no socio-sanitary ISEE valid today ({today})."),
        ));
    }
    let graded = match (scale, isee) {
        (Some(scale), Some(isee)) => match band_for(&scale.bands, isee) {
            Some(band) => Some(Graded { measure, condition, scale, band, isee }),
            None => {
                let top = scale.bands.last().and_then(|b| b.isee_up_to_cents).unwrap_or_default();
                problems.push(Issue::with_field(
                    "ISEE_ABOVE_BANDS",
                    "isee",
                    format!(
                        "The socio-sanitary ISEE ({}) is above the highest band of {} (up to {}).",
                        euros(isee),
                        what(measure, condition),
                        euros(top)
                    ),
                ));
                None
            }
        },
        _ => None,
    };
    Evaluation { problems, graded }
}

/// The verdict on authorising an intervention of `measure`: every precondition that fails
/// ([`evaluate`]), then, with a band, the monthly amount (present, within the band, not below
/// the measure's minimum) and the authorised amount (at most the band's amount for each month
/// of the intervention's period).
pub fn authorisation_verdict(
    settings: &Settings,
    today: Date,
    measure: Measure,
    subject: &Subject,
) -> Result<Verdict, PluginError> {
    let Evaluation { mut problems, graded } = evaluate(settings, today, measure, subject);
    if let Some(g) = graded {
        let i = &subject.intervention;
        match i.monthly {
            None => problems.push(Issue::with_field(
                "MONTHLY_AMOUNT_MISSING",
                "monthlyAmount",
                "The monthly amount is missing: it is needed to check it against the ISEE band.",
            )),
            Some(monthly) if monthly > g.band.monthly_cents => problems.push(Issue::with_field(
                "AMOUNT_ABOVE_BAND",
                "monthlyAmount",
                format!("The monthly amount ({}) is above the band: {}.", euros(monthly), g.describe()),
            )),
            Some(monthly) if monthly < g.scale.min_cents => problems.push(Issue::with_field(
                "AMOUNT_BELOW_RANGE",
                "monthlyAmount",
                format!(
                    "The monthly amount ({}) is below the minimum of {} ({}).",
                    euros(monthly),
                    what(g.measure, g.condition),
                    euros(g.scale.min_cents)
                ),
            )),
            Some(_) => {}
        }
        if let Some(authorised) = i.authorised {
            let months = match i.ends_on {
                Some(end) => calendar_months(i.starts_on, end)?,
                None => 12,
            };
            let ceiling = g.band.monthly_cents.saturating_mul(months);
            if authorised > ceiling {
                problems.push(Issue::with_field(
                    "AUTHORISED_ABOVE_BAND",
                    "authorisedAmount",
                    format!(
                        "The authorised amount ({}) is above {} × {months} months = {} ({}).",
                        euros(authorised),
                        euros(g.band.monthly_cents),
                        euros(ceiling),
                        g.describe()
                    ),
                ));
            }
        }
    }
    Ok(Verdict { vetoes: problems, warnings: Vec::new() })
}

/// The verdict on recording a disbursement of an FNA measure: at most the intervention's
/// monthly amount for each calendar month of the period paid (when the monthly amount is
/// known).
pub fn disbursement_verdict(subject: &Subject, disbursement: &Disbursement) -> Result<Verdict, PluginError> {
    let Some(monthly) = subject.intervention.monthly else {
        return Ok(Verdict::accept());
    };
    let (from, to) = (disbursement.period_from, disbursement.period_to);
    let months = calendar_months(from, to)?;
    let ceiling = monthly.saturating_mul(months);
    if disbursement.amount > ceiling {
        return Ok(Verdict::veto(Issue::with_field(
            "DISBURSEMENT_ABOVE_MONTHLY",
            "amount",
            format!(
                "The disbursement ({}) for {from} to {to} is above the monthly amount ({}) × {months} months = {}.",
                euros(disbursement.amount),
                euros(monthly),
                euros(ceiling)
            ),
        )));
    }
    Ok(Verdict::accept())
}

/// The eligibility for the subject's intervention: for the two measures, eligible for the
/// band's monthly amount (reason `FNA_BAND`, naming `district`) or not eligible with the
/// failed preconditions; any other entry: [`PluginError::Unsupported`] (the plug-in abstains).
pub fn eligibility_decision(
    settings: &Settings,
    district: &str,
    today: Date,
    subject: &Subject,
) -> Result<EligibilityDecision, PluginError> {
    let entry = &subject.intervention.catalogue_entry;
    let Some(measure) = settings.measure_of(entry) else {
        return Err(PluginError::Unsupported(format!(
            "catalogue entry {} is not an FNA measure of this plug-in",
            entry.local_code
        )));
    };
    let Evaluation { problems, graded } = evaluate(settings, today, measure, subject);
    match graded {
        Some(g) if problems.is_empty() => Ok(EligibilityDecision::eligible(
            Some(g.band.monthly_cents),
            vec![Issue::new("FNA_BAND", format!("{district}: {}.", g.describe()))],
        )),
        _ => Ok(EligibilityDecision::ineligible(problems)),
    }
}

/// The newest assessment by `assessor` (ASCII case-insensitive): the latest `assessed_on`;
/// among equals, the first in the list (the host sends newest first).
pub fn uvm_assessment<'a>(assessor: &str, assessments: &'a [Assessment]) -> Option<&'a Assessment> {
    newest_assessment(assessments, |a| a.assessor.trim().eq_ignore_ascii_case(assessor.trim()))
}

/// The condition the assessment records as its answer to `question`: `CONDITION_MISSING`
/// without an answer, `CONDITION_UNKNOWN` for an answer other than `gravissima` or `grave`.
pub fn condition_of(question: &str, assessment: &Assessment) -> Result<Condition, Issue> {
    let Some(answer) = assessment.answers.iter().find(|a| a.question == question) else {
        return Err(Issue::with_field(
            "CONDITION_MISSING",
            "assessments",
            format!(
                "The UVM assessment of {} does not answer {question} (gravissima or grave).",
                assessment.assessed_on
            ),
        ));
    };
    let answer = answer.answer.trim();
    if answer.eq_ignore_ascii_case("gravissima") {
        Ok(Condition::Gravissima)
    } else if answer.eq_ignore_ascii_case("grave") {
        Ok(Condition::Grave)
    } else {
        // The answer itself is not quoted: it may be anything the operator typed.
        Err(Issue::with_field(
            "CONDITION_UNKNOWN",
            "assessments",
            format!(
                "The UVM assessment of {} answers {question} with neither gravissima nor grave.",
                assessment.assessed_on
            ),
        ))
    }
}

/// The first band whose ceiling is at least `isee` (`None` ceiling: no limit).
pub fn band_for(bands: &[Band], isee: Cents) -> Option<&Band> {
    bands.iter().find(|band| band.isee_up_to_cents.is_none_or(|up_to| up_to >= isee))
}

/// Calendar months from `from`'s month to `to`'s month, both included (2026-03-15 to
/// 2026-04-14 is 2 months); an error when `to` is before `from`.
pub fn calendar_months(from: Date, to: Date) -> Result<i64, PluginError> {
    from.calendar_months_to(to)
        .ok_or_else(|| PluginError::InvalidInput(format!("the period {from} to {to} ends before it starts")))
}

/// The two FNA catalogue entries (with the default local codes: the catalogue hook has no
/// settings).
pub fn catalogue() -> Vec<CatalogueEntry> {
    [("FNA-ADC", "Assegno di cura (FNA)"), ("FNA-CAREGIVER", "Contributo di cura al caregiver familiare (FNA)")]
        .into_iter()
        .map(|(local_code, name)| CatalogueEntry {
            local_code: local_code.to_string(),
            name: name.to_string(),
            inps_code: String::from("A1.11"),
            inps_area: InpsArea::Disability,
            istat_area: UserArea::Disability,
            istat_type: IstatType::Cash,
            sina_required: true,
            means_test: MeansTest::Isee,
            character: BenefitCharacter::Periodic,
        })
        .collect()
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use siso_plugin_sdk::{
        Answer, Case, CaseState, Instrument, Intervention, InterventionState, Isee, OrgRef, Organisation, Person, Sex,
    };

    const TODAY: Date = Date::new(2026, 11, 26);

    fn uvm(condition: Option<&str>, on: Date) -> Assessment {
        Assessment {
            id: 1,
            instrument: Instrument::Svama,
            assessed_on: on,
            assessor: String::from("UVM"),
            answers: condition
                .map(|c| Answer { question: String::from("fna_condition"), answer: c.to_string() })
                .into_iter()
                .collect(),
            score: None,
            sina: None,
        }
    }

    fn isee(value: Cents) -> Isee {
        Isee {
            kind: IseeKind::SocioHealth,
            value,
            dsu_year: 2026,
            valid_from: Date::new(2026, 1, 15),
            valid_until: Date::new(2026, 12, 31),
        }
    }

    /// A gravissima UVM assessment of 2026-10-01, a socio-sanitary ISEE of €12,000, an
    /// assegno di cura of €1,200 a month authorised for €12,000 over 2026-03..2026-12.
    fn subject(local_code: &str) -> Subject {
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
            isee: vec![isee(1_200_000)],
            case: Case { id: 1, org_unit_id: 4, state: CaseState::Open, area: UserArea::Elderly, opened_on: TODAY },
            needs: Vec::new(),
            assessments: vec![uvm(Some("gravissima"), Date::new(2026, 10, 1))],
            plan: None,
            intervention: Intervention {
                id: 1,
                state: InterventionState::Requested,
                catalogue_entry: catalogue().into_iter().find(|e| e.local_code == local_code).unwrap_or_else(|| {
                    let mut e = catalogue().remove(0);
                    e.local_code = local_code.to_string();
                    e
                }),
                requested: 1_200_000,
                authorised: Some(1_200_000),
                disbursed: 0,
                monthly: Some(120_000),
                co_payment: None,
                monthly_hours_centi: None,
                starts_on: Date::new(2026, 3, 1),
                ends_on: Some(Date::new(2026, 12, 31)),
                provider_id: None,
                funding_line_id: None,
            },
        }
    }

    fn authorise(settings: &Settings, s: &Subject) -> Verdict {
        let measure = settings.measure_of(&s.intervention.catalogue_entry).expect("an FNA measure");
        authorisation_verdict(settings, TODAY, measure, s).expect("a verdict")
    }

    fn decide(settings: &Settings, s: &Subject) -> EligibilityDecision {
        eligibility_decision(settings, "Municipio VII", TODAY, s).expect("a decision")
    }

    fn codes(issues: &[Issue]) -> Vec<&str> {
        issues.iter().map(|i| i.code.as_str()).collect()
    }

    fn fields(issues: &[Issue]) -> Vec<&str> {
        issues.iter().map(|i| i.field.as_deref().unwrap_or("")).collect()
    }

    fn parse(json: &str) -> Result<Settings, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn empty_settings_are_the_defaults_and_match_the_schema() {
        let s = parse("{}").expect("empty settings");
        assert_eq!(s, Settings::default());
        assert_eq!(s.check(), Ok(()));

        // The schema's defaults, top level and nested, are Settings::default().
        let schema: serde_json::Value = serde_json::from_str(SETTINGS_SCHEMA).expect("schema is JSON");
        let defaults: serde_json::Map<String, serde_json::Value> = schema["properties"]
            .as_object()
            .expect("properties")
            .iter()
            .map(|(k, v)| (k.clone(), v["default"].clone()))
            .collect();
        let from_schema: Settings = serde_json::from_value(serde_json::Value::Object(defaults)).expect("defaults");
        assert_eq!(from_schema, Settings::default());
        let adc = &schema["properties"]["assegno_di_cura"]["properties"];
        assert_eq!(adc["gravissima"]["properties"]["min_cents"]["default"], 80_000);
        assert_eq!(adc["grave"]["properties"]["max_cents"]["default"], 80_000);
        assert_eq!(schema["properties"]["caregiver"]["properties"]["max_cents"]["default"], 70_000);
    }

    #[test]
    fn partial_settings_keep_the_other_defaults() {
        let s = parse(
            r#"{"assegno_di_cura": {"gravissima": {"bands": [{"isee_up_to_cents": 1500000, "monthly_cents": 110000},
                                                            {"isee_up_to_cents": null, "monthly_cents": 80000}]}},
                "caregiver": {"local_code": "CG"}}"#,
        )
        .expect("partial settings");
        let d = Settings::default();
        assert_eq!(s.assegno_di_cura.gravissima.min_cents, 80_000);
        assert_eq!(s.assegno_di_cura.gravissima.bands[0].monthly_cents, 110_000);
        assert_eq!(s.assegno_di_cura.gravissima.bands[1].isee_up_to_cents, None);
        assert_eq!(s.assegno_di_cura.grave, d.assegno_di_cura.grave);
        assert_eq!((s.caregiver.local_code.as_str(), &s.caregiver.scale), ("CG", &d.caregiver.scale));
        assert_eq!(s.check(), Ok(()));
        // A band without its ceiling is open-ended.
        let s = parse(r#"{"caregiver": {"bands": [{"monthly_cents": 50000}]}}"#).expect("settings");
        assert_eq!(s.caregiver.scale.bands, [Band { isee_up_to_cents: None, monthly_cents: 50_000 }]);

        assert!(parse(r#"{"other": 1}"#).is_err());
        assert!(parse(r#"{"assegno_di_cura": {"gravissima": {"other": 1}}}"#).is_err());
        assert!(parse(r#"{"caregiver": {"bands": [{"isee_up_to_cents": 1}]}}"#).is_err());
        assert!(parse(r#"{"caregiver": {"bands": [{"monthly_cents": 1, "x": 2}]}}"#).is_err());
    }

    #[test]
    fn settings_check_rejects_unusable_bands() {
        let bad = |f: fn(&mut Settings)| {
            let mut s = Settings::default();
            f(&mut s);
            matches!(s.check(), Err(PluginError::BadSettings(_)))
        };
        assert!(bad(|s| s.assegno_di_cura.gravissima.bands.swap(0, 1)));
        assert!(bad(|s| s.assegno_di_cura.grave.bands[0].isee_up_to_cents = None));
        assert!(bad(|s| s.assegno_di_cura.grave.bands[1].isee_up_to_cents = Some(1_500_000)));
        assert!(bad(|s| s.caregiver.scale.bands[0].monthly_cents = 70_001));
        assert!(bad(|s| s.caregiver.scale.bands[2].monthly_cents = 39_999));
        assert!(bad(|s| s.caregiver.scale.min_cents = 80_000));
        assert!(bad(|s| s.caregiver.scale.bands.clear()));
        assert!(bad(|s| s.caregiver.scale.bands[0].isee_up_to_cents = Some(-1)));
        assert!(bad(|s| s.caregiver.local_code = String::from("FNA-ADC")));
        assert!(bad(|s| s.uvm_assessor = String::from(" ")));
        assert!(bad(|s| s.condition_question.clear()));
        assert!(bad(|s| s.assessment_valid_months = 0));
        assert!(!bad(|s| s.assegno_di_cura.gravissima.bands[2].isee_up_to_cents = None));
    }

    #[test]
    fn a_gravissima_within_its_band_is_accepted_and_eligible() {
        let settings = Settings::default();
        let s = subject("FNA-ADC");
        assert_eq!(authorise(&settings, &s), Verdict::accept());
        let d = decide(&settings, &s);
        assert!(d.eligible);
        assert_eq!(d.amount, Some(120_000));
        assert_eq!(codes(&d.reasons), ["FNA_BAND"]);
        let message = &d.reasons[0].message;
        for part in ["Municipio VII", "disabilità gravissima", "€12000.00", "up to €15000.00", "€1200.00"] {
            assert!(message.contains(part), "{part} not in {message}");
        }
    }

    #[test]
    fn the_monthly_amount_must_lie_within_the_band_and_the_range() {
        let settings = Settings::default();
        let mut s = subject("FNA-ADC");
        s.intervention.monthly = Some(130_000);
        let v = authorise(&settings, &s);
        assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["AMOUNT_ABOVE_BAND"], vec!["monthlyAmount"]));
        for part in ["€1300.00", "€1200.00", "€12000.00", "gravissima"] {
            assert!(v.vetoes[0].message.contains(part), "{part} not in {}", v.vetoes[0].message);
        }

        s.intervention.monthly = Some(70_000);
        let v = authorise(&settings, &s);
        assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["AMOUNT_BELOW_RANGE"], vec!["monthlyAmount"]));
        assert!(v.vetoes[0].message.contains("€800.00"));

        s.intervention.monthly = None;
        let v = authorise(&settings, &s);
        assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["MONTHLY_AMOUNT_MISSING"], vec!["monthlyAmount"]));
    }

    #[test]
    fn the_authorised_amount_is_at_most_the_band_for_each_month() {
        let settings = Settings::default();
        let mut s = subject("FNA-ADC");
        s.intervention.authorised = Some(1_200_001);
        let v = authorise(&settings, &s);
        assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["AUTHORISED_ABOVE_BAND"], vec!["authorisedAmount"]));
        assert!(v.vetoes[0].message.contains("× 10 months = €12000.00"), "{}", v.vetoes[0].message);
        // Without an end: 12 months.
        s.intervention.ends_on = None;
        assert!(authorise(&settings, &s).is_accepted());
        s.intervention.authorised = Some(1_440_001);
        assert_eq!(codes(&authorise(&settings, &s).vetoes), ["AUTHORISED_ABOVE_BAND"]);
        // A period ending before it starts is refused.
        s.intervention.ends_on = Some(Date::new(2026, 2, 1));
        assert!(matches!(
            authorisation_verdict(&settings, TODAY, Measure::AssegnoDiCura, &s),
            Err(PluginError::InvalidInput(_))
        ));
    }

    #[test]
    fn a_higher_isee_falls_in_a_lower_band_or_above_them_all() {
        let settings = Settings::default();
        let mut s = subject("FNA-ADC");
        s.isee = vec![isee(2_000_000)];
        let v = authorise(&settings, &s);
        assert_eq!(codes(&v.vetoes), ["AMOUNT_ABOVE_BAND", "AUTHORISED_ABOVE_BAND"]);
        assert_eq!(decide(&settings, &s).amount, Some(100_000));
        // At the bound: the lower band still applies.
        s.isee = vec![isee(1_500_000)];
        assert_eq!(decide(&settings, &s).amount, Some(120_000));
        s.isee = vec![isee(6_500_000)];
        assert_eq!(decide(&settings, &s).amount, Some(80_000));
        s.isee = vec![isee(6_500_001)];
        let v = authorise(&settings, &s);
        assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["ISEE_ABOVE_BANDS"], vec!["isee"]));
        let d = decide(&settings, &s);
        assert!(!d.eligible && d.amount.is_none());
        assert_eq!(codes(&d.reasons), ["ISEE_ABOVE_BANDS"]);
    }

    #[test]
    fn only_a_socio_sanitary_isee_valid_today_counts() {
        let settings = Settings::default();
        let mut s = subject("FNA-ADC");
        s.isee[0].kind = IseeKind::Ordinary;
        let v = authorise(&settings, &s);
        assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["ISEE_SOCIO_HEALTH_MISSING"], vec!["isee"]));
        s.isee = vec![Isee { valid_until: Date::new(2026, 11, 25), ..isee(1_000_000) }];
        assert_eq!(codes(&decide(&settings, &s).reasons), ["ISEE_SOCIO_HEALTH_MISSING"]);
    }

    #[test]
    fn the_uvm_assessment_decides_the_condition() {
        let settings = Settings::default();
        let mut s = subject("FNA-ADC");
        s.assessments =
            vec![Assessment { assessor: String::from("Assistente sociale"), ..uvm(Some("gravissima"), TODAY) }];
        let v = authorise(&settings, &s);
        assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["UVM_ASSESSMENT_MISSING"], vec!["assessments"]));

        // The assessor is compared case-insensitively; the newest assessment decides.
        s.assessments = vec![
            Assessment { assessor: String::from("uvm"), ..uvm(Some("grave"), Date::new(2026, 11, 1)) },
            uvm(Some("gravissima"), Date::new(2026, 6, 1)),
        ];
        let d = decide(&settings, &s);
        assert_eq!(d.amount, Some(80_000));
        assert!(d.reasons[0].message.contains("grave non-self-sufficiency"), "{}", d.reasons[0].message);
        // grave: €1,200 a month is above the band of €800.
        assert_eq!(codes(&authorise(&settings, &s).vetoes), ["AMOUNT_ABOVE_BAND", "AUTHORISED_ABOVE_BAND"]);
        s.assessments.reverse();
        assert_eq!(decide(&settings, &s).amount, Some(80_000));

        s.assessments = vec![uvm(None, Date::new(2026, 10, 1))];
        let v = authorise(&settings, &s);
        assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["CONDITION_MISSING"], vec!["assessments"]));
        s.assessments = vec![uvm(Some("lieve"), Date::new(2026, 10, 1))];
        let v = authorise(&settings, &s);
        assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["CONDITION_UNKNOWN"], vec!["assessments"]));
        assert!(!v.vetoes[0].message.contains("lieve"));

        // Outdated, and everything else that applies is collected.
        s.assessments = vec![uvm(Some("gravissima"), Date::new(2025, 11, 25))];
        s.intervention.monthly = Some(130_000);
        let v = authorise(&settings, &s);
        assert_eq!(codes(&v.vetoes), ["UVM_ASSESSMENT_OUTDATED", "AMOUNT_ABOVE_BAND"]);
        assert!(v.vetoes[0].message.contains("2025-11-25"));
        let d = decide(&settings, &s);
        assert!(!d.eligible);
        assert_eq!(codes(&d.reasons), ["UVM_ASSESSMENT_OUTDATED"]);
        // On the day it turns 12 months old it is still valid.
        s.assessments = vec![uvm(Some("gravissima"), Date::new(2025, 11, 26))];
        assert!(decide(&settings, &s).eligible);

        // Every precondition at once.
        s.assessments.clear();
        s.isee.clear();
        let d = decide(&settings, &s);
        assert_eq!(codes(&d.reasons), ["UVM_ASSESSMENT_MISSING", "ISEE_SOCIO_HEALTH_MISSING"]);
        s.assessments = vec![uvm(Some("x"), Date::new(2024, 1, 1))];
        assert_eq!(
            codes(&authorise(&settings, &s).vetoes),
            ["UVM_ASSESSMENT_OUTDATED", "CONDITION_UNKNOWN", "ISEE_SOCIO_HEALTH_MISSING"]
        );
    }

    #[test]
    fn the_caregiver_contribution_has_its_own_bands_and_no_condition() {
        let settings = Settings::default();
        let mut s = subject("FNA-CAREGIVER");
        s.assessments = vec![uvm(None, Date::new(2026, 10, 1))];
        s.intervention.monthly = Some(70_000);
        s.intervention.authorised = Some(700_000);
        assert!(authorise(&settings, &s).is_accepted());
        let d = decide(&settings, &s);
        assert_eq!((d.eligible, d.amount), (true, Some(70_000)));
        assert!(d.reasons[0].message.contains("caregiver"), "{}", d.reasons[0].message);

        s.isee = vec![isee(4_000_000)];
        assert_eq!(decide(&settings, &s).amount, Some(40_000));
        let v = authorise(&settings, &s);
        assert_eq!(codes(&v.vetoes), ["AMOUNT_ABOVE_BAND", "AUTHORISED_ABOVE_BAND"]);
        s.intervention.monthly = Some(30_000);
        s.intervention.authorised = Some(300_000);
        assert_eq!(codes(&authorise(&settings, &s).vetoes), ["AMOUNT_BELOW_RANGE"]);
        s.isee = vec![isee(5_000_001)];
        assert_eq!(codes(&decide(&settings, &s).reasons), ["ISEE_ABOVE_BANDS"]);
        s.assessments.clear();
        assert_eq!(codes(&decide(&settings, &s).reasons), ["UVM_ASSESSMENT_MISSING", "ISEE_ABOVE_BANDS"]);
    }

    #[test]
    fn other_entries_are_not_its_business() {
        let settings = Settings::default();
        let s = subject("ASS-CURA");
        assert_eq!(settings.measure_of(&s.intervention.catalogue_entry), None);
        assert!(matches!(eligibility_decision(&settings, "X", TODAY, &s), Err(PluginError::Unsupported(_))));
        // A district that renamed its entries.
        let renamed = Settings {
            assegno_di_cura: AssegnoDiCura {
                local_code: String::from("ASS-CURA"),
                ..Settings::default().assegno_di_cura
            },
            ..Settings::default()
        };
        assert!(decide(&renamed, &s).eligible);
    }

    #[test]
    fn disbursements_are_at_most_the_monthly_amount_per_month() {
        let s = subject("FNA-ADC");
        let paid = |amount: Cents, from: Date, to: Date| Disbursement {
            paid_on: to,
            period_from: from,
            period_to: to,
            amount,
            ente_share: amount,
            user_share: 0,
            ssn_share: 0,
            other_share: 0,
            hours_centi: None,
        };
        let march = (Date::new(2026, 3, 1), Date::new(2026, 3, 31));
        assert!(disbursement_verdict(&s, &paid(120_000, march.0, march.1)).expect("verdict").is_accepted());
        let v = disbursement_verdict(&s, &paid(120_001, march.0, march.1)).expect("verdict");
        assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["DISBURSEMENT_ABOVE_MONTHLY"], vec!["amount"]));
        assert!(v.vetoes[0].message.contains("€1200.01") && v.vetoes[0].message.contains("× 1 months"));
        // Mid-month to mid-month spans two calendar months.
        let v = disbursement_verdict(&s, &paid(240_000, Date::new(2026, 3, 15), Date::new(2026, 4, 14)));
        assert!(v.expect("verdict").is_accepted());
        let quarter = paid(360_001, Date::new(2026, 4, 1), Date::new(2026, 6, 30));
        assert_eq!(codes(&disbursement_verdict(&s, &quarter).expect("verdict").vetoes), ["DISBURSEMENT_ABOVE_MONTHLY"]);
        let backwards = paid(1, Date::new(2026, 4, 1), Date::new(2026, 3, 31));
        assert!(matches!(disbursement_verdict(&s, &backwards), Err(PluginError::InvalidInput(_))));
        let mut unknown = s.clone();
        unknown.intervention.monthly = None;
        assert!(disbursement_verdict(&unknown, &paid(9_999_999, march.0, march.1)).expect("verdict").is_accepted());
    }

    #[test]
    fn months_are_calendar_months_inclusive() {
        let m = |a: Date, b: Date| calendar_months(a, b).ok();
        assert_eq!(m(Date::new(2026, 3, 1), Date::new(2026, 12, 31)), Some(10));
        assert_eq!(m(Date::new(2026, 3, 31), Date::new(2026, 3, 31)), Some(1));
        assert_eq!(m(Date::new(2026, 11, 20), Date::new(2027, 2, 1)), Some(4));
        assert_eq!(m(Date::new(2026, 3, 2), Date::new(2026, 3, 1)), None);
    }

    #[test]
    fn the_district_is_the_nearest_municipio_or_ambito() {
        let unit = |id, kind, name: &str| OrgRef { id, kind, name: name.to_string(), istat_code: None };
        let mut ctx = Context {
            organisation: Organisation {
                id: 30,
                kind: OrgKind::Office,
                name: String::from("PUA"),
                istat_code: None,
                cadastral_code: None,
                ancestors: vec![
                    unit(20, OrgKind::Municipio, "Municipio VII"),
                    unit(10, OrgKind::Comune, "Roma Capitale"),
                    unit(5, OrgKind::Ambito, "Ambito"),
                    unit(1, OrgKind::Region, "Regione Lazio"),
                ],
            },
            today: TODAY,
            settings: String::new(),
        };
        assert_eq!(district_name(&ctx), "Municipio VII");
        ctx.organisation.ancestors.remove(0);
        assert_eq!(district_name(&ctx), "Ambito");
        ctx.organisation.ancestors.clear();
        assert_eq!(district_name(&ctx), "PUA");
        ctx.organisation.kind = OrgKind::Municipio;
        assert_eq!(district_name(&ctx), "PUA");
    }

    #[test]
    fn the_catalogue_has_the_two_measures() {
        let c = catalogue();
        let codes: Vec<(&str, &str, &str)> =
            c.iter().map(|e| (e.local_code.as_str(), e.name.as_str(), e.inps_code.as_str())).collect();
        assert_eq!(
            codes,
            [
                ("FNA-ADC", "Assegno di cura (FNA)", "A1.11"),
                ("FNA-CAREGIVER", "Contributo di cura al caregiver familiare (FNA)", "A1.11")
            ]
        );
        assert!(c.iter().all(|e| e.inps_area == InpsArea::Disability
            && e.istat_area == UserArea::Disability
            && e.istat_type == IstatType::Cash
            && e.means_test == MeansTest::Isee
            && e.character == BenefitCharacter::Periodic
            && e.sina_required));
    }
}
