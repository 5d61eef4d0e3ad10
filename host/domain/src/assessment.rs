//! Needs and multidimensional assessments, including the SINA data set INPS asks for with
//! non-self-sufficiency benefits.

use chrono::NaiveDate;

use crate::error::{DomainError, DomainResult, check_text};
use crate::ids::{AssessmentId, CaseId, NeedId, OperatorId, PersonId};

string_enum! {
    /// The instrument of an assessment.
    Instrument {
        /// SVAMA (multidimensional assessment of the elderly), used by UVMs.
        Svama = "svama",
        /// The SINA data set (non-self-sufficiency) of INPS.
        Sina = "sina",
        /// The SINBA sheet (minors and families).
        Sinba = "sinba",
        /// A local scale defined by an administration (or by a plug-in).
        Local = "local",
    }
}

/// A recorded need (*bisogno / problematica*).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// Key.
    pub id: NeedId,
    /// The case.
    pub case_id: CaseId,
    /// Classified need code.
    pub code: String,
    /// Severity 1 (low) – 3 (high).
    pub severity: i16,
    /// Recorded on.
    pub recorded_on: NaiveDate,
    /// Recorded by.
    pub recorded_by: Option<OperatorId>,
}

/// Checks a new need.
pub fn validate_need(code: &str, severity: i16, on: NaiveDate, today: NaiveDate) -> DomainResult<()> {
    check_text(code, "code", 40)?;
    if !(1..=3).contains(&severity) {
        return Err(DomainError::field("OUT_OF_RANGE", "severity", "severity is 1, 2 or 3"));
    }
    if on > today {
        return Err(DomainError::field("INVALID_DATE", "recordedOn", "the date is in the future"));
    }
    Ok(())
}

/// The SINA block (INPS flow, *SINAType*): every value is the INPS code.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SinaBlock {
    /// *Mobilità* 1 moves alone, 2 moves assisted, 3 does not move.
    pub mobility: Option<i16>,
    /// *Attività della vita quotidiana* 1 autonomous, 2 partly dependent, 3 totally dependent.
    pub daily_living: Option<i16>,
    /// *Disturbi area cognitiva* 1 mild, 2 moderate, 3 severe (optional in the flow).
    pub cognitive: Option<i16>,
    /// *Disturbi comportamentali* 1 absent, 2 present.
    pub behavioural: Option<i16>,
    /// *Necessità di cure sanitarie* 1 low, 2 medium, 3 high.
    pub health_need: Option<i16>,
    /// *Area reddituale* 1 autonomous, 2 helped by relatives, 3 in need without help.
    pub income: Option<i16>,
    /// *Area supporto* 1 family network present, 2 partial, 3 absent.
    pub support_network: Option<i16>,
    /// *Fonte derivazione valutazione* 1 UVM, 2 case file, 3 other documents, 4 direct.
    pub source: Option<i16>,
    /// *Strumento valutazione* 1 SVAMA, 2 AGED, 3 RUG, 4 SOSIA, 5 polar scheme, 6 VALGRAF, 7 other.
    pub instrument: Option<i16>,
    /// *Fonte derivazione invalidità* 1 verified certificate, 2 declaration.
    pub invalidity_source: Option<i16>,
    /// *Invalidità civile* certificate codes 1–8.
    pub civil_invalidity: Vec<i16>,
    /// *Necessità interventi sociali*: INPS benefit codes needed.
    pub needed_benefits: Vec<String>,
}

impl SinaBlock {
    const RANGES: [(&'static str, i16); 10] = [
        ("sina.mobility", 3),
        ("sina.dailyLiving", 3),
        ("sina.cognitive", 3),
        ("sina.behavioural", 2),
        ("sina.healthNeed", 3),
        ("sina.income", 3),
        ("sina.supportNetwork", 3),
        ("sina.source", 4),
        ("sina.instrument", 7),
        ("sina.invaliditySource", 2),
    ];

    fn values(&self) -> [Option<i16>; 10] {
        [
            self.mobility,
            self.daily_living,
            self.cognitive,
            self.behavioural,
            self.health_need,
            self.income,
            self.support_network,
            self.source,
            self.instrument,
            self.invalidity_source,
        ]
    }

    /// Checks every given value is an INPS code in range.
    pub fn validate(&self) -> DomainResult<()> {
        for ((field, max), value) in Self::RANGES.iter().zip(self.values()) {
            if let Some(v) = value
                && !(1..=*max).contains(&v)
            {
                return Err(DomainError::field(
                    "OUT_OF_RANGE",
                    field,
                    format!("the value must be between 1 and {max}"),
                ));
            }
        }
        if self.civil_invalidity.iter().any(|c| !(1..=8).contains(c)) {
            return Err(DomainError::field("OUT_OF_RANGE", "sina.civilInvalidity", "codes are between 1 and 8"));
        }
        if self.needed_benefits.iter().any(|b| !(5..=10).contains(&b.chars().count())) {
            return Err(DomainError::field(
                "INVALID_CODE",
                "sina.neededBenefits",
                "a benefit is INPS's code of 5 to 10 characters, e.g. A1.11",
            ));
        }
        Ok(())
    }

    /// Complete: every value the INPS flow requires is present (mobility, daily living,
    /// behavioural, health need, income, support network, source and instrument; the
    /// cognitive area is optional in the schema but SISO asks for it), with at least one
    /// needed benefit (`NecessitaInterventiSociali`) and one civil-invalidity item
    /// (`InvaliditaCivile`), which `PS_PSA_SINA201806.xsd` requires.
    pub fn is_complete(&self) -> bool {
        !self.needed_benefits.is_empty() && !self.civil_invalidity.is_empty() && self.values_complete()
    }

    fn values_complete(&self) -> bool {
        self.mobility.is_some()
            && self.daily_living.is_some()
            && self.cognitive.is_some()
            && self.behavioural.is_some()
            && self.health_need.is_some()
            && self.income.is_some()
            && self.support_network.is_some()
            && self.source.is_some()
            && self.instrument.is_some()
    }
}

/// A multidimensional assessment (*valutazione*).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// Key.
    pub id: AssessmentId,
    /// The case.
    pub case_id: CaseId,
    /// The person assessed.
    pub person_id: PersonId,
    /// Instrument.
    pub instrument: Instrument,
    /// Assessed on.
    pub assessed_on: NaiveDate,
    /// Who assessed (e.g. `UVM`, or an operator's role).
    pub assessor: String,
    /// The operator who recorded it.
    pub recorded_by: Option<OperatorId>,
    /// Answers: question code → answer code. May hold health data: a sensitive field.
    pub answers: Vec<(String, String)>,
    /// Score, when the instrument computes one.
    pub score: Option<i32>,
    /// The SINA block, when collected.
    pub sina: Option<SinaBlock>,
}

/// Checks a new assessment.
pub fn validate_assessment(
    assessor: &str,
    on: NaiveDate,
    answers: &[(String, String)],
    sina: Option<&SinaBlock>,
    today: NaiveDate,
) -> DomainResult<()> {
    check_text(assessor, "assessor", 100)?;
    if on > today {
        return Err(DomainError::field("INVALID_DATE", "assessedOn", "the date is in the future"));
    }
    if answers.len() > 500 {
        return Err(DomainError::field("TOO_MANY", "answers", "at most 500 answers are allowed"));
    }
    for (q, a) in answers {
        check_text(q, "answers", 64)?;
        if a.chars().count() > 200 {
            return Err(DomainError::field("TOO_LONG", "answers", "an answer is at most 200 characters"));
        }
    }
    if let Some(sina) = sina {
        sina.validate()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete() -> SinaBlock {
        SinaBlock {
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
            needed_benefits: vec!["A1.11".into()],
        }
    }

    #[test]
    fn sina_completeness() {
        assert!(complete().is_complete());
        let mut partial = complete();
        partial.support_network = None;
        assert!(!partial.is_complete());
        // The XSD wants at least one needed benefit and one civil-invalidity item.
        let mut partial = complete();
        partial.needed_benefits.clear();
        assert!(!partial.is_complete());
        let mut partial = complete();
        partial.civil_invalidity.clear();
        assert!(!partial.is_complete());
    }

    #[test]
    fn sina_values_are_inps_codes() {
        assert!(complete().validate().is_ok());
        let mut bad = complete();
        bad.behavioural = Some(3);
        assert_eq!(bad.validate().map_err(|e| e.field), Err(Some("sina.behavioural")));
        let mut bad = complete();
        bad.civil_invalidity = vec![9];
        assert!(bad.validate().is_err());
        for code in ["A1", "A1.11.22.33"] {
            let mut bad = complete();
            bad.needed_benefits = vec![code.into()];
            assert_eq!(bad.validate().map_err(|e| e.code), Err("INVALID_CODE"), "{code}");
        }
    }

    #[test]
    fn needs_and_assessments_are_checked() {
        let today = NaiveDate::from_ymd_opt(2025, 5, 1).unwrap_or_default();
        assert!(validate_need("economic", 2, today, today).is_ok());
        assert!(validate_need("economic", 4, today, today).is_err());
        assert!(validate_assessment("UVM", today, &[], Some(&complete()), today).is_ok());
        assert!(validate_assessment("", today, &[], None, today).is_err());
        assert!(validate_assessment("UVM", today + chrono::Duration::days(1), &[], None, today).is_err());
    }
}
