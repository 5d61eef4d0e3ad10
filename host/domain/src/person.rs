//! Persons (*assistiti*), households and ISEE attestations.

use chrono::{Datelike, NaiveDate};

pub use crate::codice_fiscale::Sex;
use crate::codice_fiscale::{CodiceFiscale, CodiceFiscaleKind};
use crate::error::{DomainError, DomainResult, check_period, check_text};
use crate::ids::{HouseholdId, IseeId, OrgUnitId, PersonId};
use crate::money::Money;

/// A person known to the social services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Key.
    pub id: PersonId,
    /// The organisation unit that holds the person's record.
    pub org_unit_id: OrgUnitId,
    /// Codice fiscale (personal or temporary), when known.
    pub fiscal_code: Option<CodiceFiscale>,
    /// Surname.
    pub surname: String,
    /// Given name(s).
    pub given_name: String,
    /// Sex as registered.
    pub sex: Sex,
    /// Date of birth.
    pub birth_date: NaiveDate,
    /// Belfiore code of the place of birth (a comune, or `Z...` for a foreign state).
    pub birth_place_code: Option<String>,
    /// Citizenship, ISTAT state code (`100` = Italy).
    pub citizenship_code: Option<String>,
    /// Second citizenship, ISTAT state code.
    pub second_citizenship_code: Option<String>,
    /// Residence: ISTAT region code.
    pub residence_region_code: Option<String>,
    /// Residence: ISTAT comune code.
    pub residence_comune_code: Option<String>,
    /// Residence: ISTAT state code.
    pub residence_nation_code: Option<String>,
    /// Residence address line.
    pub residence_address: Option<String>,
    /// Domicile address line, when different from the residence.
    pub domicile_address: Option<String>,
    /// No fixed abode.
    pub homeless: bool,
    /// Education level code (ISTAT classification).
    pub education_level: Option<String>,
    /// Employment status code.
    pub employment_status: Option<String>,
    /// A recognised disability (L. 104/1992).
    pub disability: bool,
    /// Civil invalidity percentage (0–100).
    pub civil_invalidity_percent: Option<i16>,
    /// A legal guardian or support administrator is appointed.
    pub has_legal_guardian: bool,
    /// The stable ANPR identifier, when known.
    pub anpr_id: Option<String>,
}

/// What a new person record must satisfy.
#[derive(Debug, Clone)]
pub struct NewPersonCheck<'a> {
    /// Codice fiscale as parsed.
    pub fiscal_code: Option<&'a CodiceFiscale>,
    /// Surname.
    pub surname: &'a str,
    /// Given name.
    pub given_name: &'a str,
    /// Sex.
    pub sex: Sex,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// Civil invalidity percentage.
    pub civil_invalidity_percent: Option<i16>,
    /// Belfiore code of the place of birth (a comune, or `Z` and three digits for a foreign
    /// state).
    pub birth_place_code: Option<&'a str>,
    /// Citizenship, as ISTAT's three-digit state code (`100` Italy).
    pub citizenship_code: Option<&'a str>,
}

/// Checks a new or edited person against the rules: names present, birth date in the past
/// and plausible, a personal codice fiscale consistent with birth date and sex.
pub fn validate_person(p: &NewPersonCheck<'_>, today: NaiveDate) -> DomainResult<()> {
    check_text(p.surname, "surname", 100)?;
    check_text(p.given_name, "givenName", 100)?;
    if p.birth_date > today {
        return Err(DomainError::field("INVALID_DATE", "birthDate", "the birth date is in the future"));
    }
    if p.birth_date.year() < 1890 {
        return Err(DomainError::field("INVALID_DATE", "birthDate", "the birth date is implausibly old"));
    }
    if let Some(pct) = p.civil_invalidity_percent
        && !(0..=100).contains(&pct)
    {
        return Err(DomainError::field(
            "INVALID_PERCENT",
            "civilInvalidityPercent",
            "a percentage is between 0 and 100",
        ));
    }
    if let Some(place) = p.birth_place_code
        && !crate::org::is_cadastral_code(place)
    {
        return Err(DomainError::field(
            "INVALID_CADASTRAL_CODE",
            "birthPlaceCode",
            "a place of birth is its cadastral (Belfiore) code: a letter and three digits, e.g. H501",
        ));
    }
    if let Some(code) = p.citizenship_code
        && (code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(DomainError::field(
            "INVALID_STATE_CODE",
            "citizenshipCode",
            "a citizenship is ISTAT's three-digit state code, e.g. 100 for Italy",
        ));
    }
    if let Some(cf) = p.fiscal_code
        && cf.kind() == CodiceFiscaleKind::Personal
    {
        if let (Some(place), Some(from_code)) = (p.birth_place_code, cf.birth_place_code())
            && place != from_code
        {
            return Err(DomainError::field(
                "FISCAL_CODE_MISMATCH",
                "birthPlaceCode",
                "the place of birth does not match the codice fiscale",
            ));
        }
        let consistent = match (cf.birth_date_parts(), cf.sex()) {
            (Some((yy, month, day)), Some(sex)) => {
                i32::from(yy) == p.birth_date.year().rem_euclid(100)
                    && u32::from(month) == p.birth_date.month()
                    && u32::from(day) == p.birth_date.day()
                    && sex == p.sex
            }
            _ => false,
        };
        if !consistent {
            return Err(DomainError::field(
                "FISCAL_CODE_MISMATCH",
                "fiscalCode",
                "the codice fiscale does not match the birth date and sex",
            ));
        }
    }
    Ok(())
}

/// Parses a codice fiscale into a typed user error.
pub fn parse_fiscal_code(raw: &str) -> DomainResult<CodiceFiscale> {
    CodiceFiscale::parse(raw).map_err(|e| DomainError::field("INVALID_FISCAL_CODE", "fiscalCode", e.to_string()))
}

string_enum! {
    /// The relation of a household member to the reference person.
    Relation {
        /// The reference person (*intestatario*).
        Head = "head",
        /// Spouse or civil partner.
        Partner = "partner",
        /// Son or daughter.
        Child = "child",
        /// Parent.
        Parent = "parent",
        /// Brother or sister.
        Sibling = "sibling",
        /// Another relative.
        OtherRelative = "other_relative",
        /// Not related (cohabitant).
        Cohabitant = "cohabitant",
    }
}

/// A household (*nucleo familiare*).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Household {
    /// Key.
    pub id: HouseholdId,
    /// Owning organisation unit.
    pub org_unit_id: OrgUnitId,
    /// Registry household id (*codice famiglia anagrafica*), when known.
    pub registry_id: Option<String>,
}

/// A member of a household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdMember {
    /// The household.
    pub household_id: HouseholdId,
    /// The person.
    pub person_id: PersonId,
    /// Relation to the reference person.
    pub relation: Relation,
}

string_enum! {
    /// The type of ISEE attestation.
    IseeKind {
        /// *ISEE ordinario*.
        Ordinary = "ordinary",
        /// *ISEE socio-sanitario* (for non-self-sufficiency benefits).
        SocioHealth = "socio_health",
        /// *ISEE minorenni*.
        Minors = "minors",
        /// *ISEE socio-sanitario residenze* (residential care).
        Residential = "residential",
    }
}

/// An ISEE attestation, identified by its DSU protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IseeAttestation {
    /// Key.
    pub id: IseeId,
    /// The person the attestation was requested for.
    pub person_id: PersonId,
    /// The household it describes, when recorded.
    pub household_id: Option<HouseholdId>,
    /// Type.
    pub kind: IseeKind,
    /// DSU protocol number (e.g. `INPS-ISEE-2025-00000000X-00`).
    pub dsu_protocol: String,
    /// DSU year.
    pub dsu_year: i32,
    /// DSU submission date.
    pub dsu_date: NaiveDate,
    /// ISEE value.
    pub value: Money,
    /// First day of validity.
    pub valid_from: NaiveDate,
    /// Last day of validity.
    pub valid_until: NaiveDate,
    /// Equivalence scale ×1000 (e.g. 2460 for 2.46), an integer to stay exact.
    pub equivalence_scale_milli: Option<i32>,
}

impl IseeAttestation {
    /// `true` when the attestation is valid on `day`.
    pub fn is_valid_on(&self, day: NaiveDate) -> bool {
        self.valid_from <= day && day <= self.valid_until
    }
}

/// A household has at least one member.
pub fn check_household<T>(members: &[T]) -> DomainResult<()> {
    if members.is_empty() {
        return Err(DomainError::field("REQUIRED", "members", "a household needs at least one member"));
    }
    Ok(())
}

/// Checks a new ISEE attestation.
pub fn validate_isee(
    value: Money,
    dsu_protocol: &str,
    dsu_year: i32,
    dsu_date: NaiveDate,
    valid_from: NaiveDate,
    valid_until: NaiveDate,
    today: NaiveDate,
) -> DomainResult<()> {
    value.require_non_negative("value")?;
    check_text(dsu_protocol, "dsuProtocol", 40)?;
    if !(2015..=today.year() + 1).contains(&dsu_year) {
        return Err(DomainError::field("INVALID_YEAR", "dsuYear", "the DSU year is out of range"));
    }
    if dsu_date > today {
        return Err(DomainError::field("INVALID_DATE", "dsuDate", "the DSU date is in the future"));
    }
    check_period(valid_from, Some(valid_until), "validUntil")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    fn check<'a>(cf: Option<&'a CodiceFiscale>, sex: Sex, birth: NaiveDate) -> NewPersonCheck<'a> {
        NewPersonCheck {
            fiscal_code: cf,
            surname: "Rossi",
            given_name: "Mario",
            sex,
            birth_date: birth,
            civil_invalidity_percent: None,
            birth_place_code: None,
            citizenship_code: None,
        }
    }

    #[test]
    fn place_of_birth_and_citizenship_are_national_codes_agreeing_with_the_fiscal_code() {
        let Ok(cf) = parse_fiscal_code("RSSMRA85T10A562S") else { panic!("a valid code") };
        let today = d(2025, 1, 1);
        let with = |place: Option<&'static str>, state: Option<&'static str>| NewPersonCheck {
            birth_place_code: place,
            citizenship_code: state,
            ..check(Some(&cf), Sex::Male, d(1985, 12, 10))
        };
        assert!(validate_person(&with(Some("A562"), Some("100")), today).is_ok());
        let e = validate_person(&with(Some("H501"), None), today).map_err(|e| (e.code, e.field));
        assert_eq!(e, Err(("FISCAL_CODE_MISMATCH", Some("birthPlaceCode"))));
        let e = validate_person(&with(Some("a562"), None), today).map_err(|e| (e.code, e.field));
        assert_eq!(e, Err(("INVALID_CADASTRAL_CODE", Some("birthPlaceCode"))));
        for bad in ["IT", "1000", "10a", ""] {
            let e = validate_person(&with(None, Some(bad)), today).map_err(|e| (e.code, e.field));
            assert_eq!(e, Err(("INVALID_STATE_CODE", Some("citizenshipCode"))), "{bad}");
        }
        // Without a codice fiscale the place is checked for its form only.
        let no_cf = NewPersonCheck { birth_place_code: Some("H501"), ..check(None, Sex::Male, d(1985, 12, 10)) };
        assert!(validate_person(&no_cf, today).is_ok());
    }

    #[test]
    fn person_with_consistent_fiscal_code_is_valid() {
        let cf = parse_fiscal_code("RSSMRA85T10A562S");
        assert!(cf.is_ok());
        if let Ok(cf) = cf {
            assert!(validate_person(&check(Some(&cf), Sex::Male, d(1985, 12, 10)), d(2025, 1, 1)).is_ok());
            let wrong_sex = validate_person(&check(Some(&cf), Sex::Female, d(1985, 12, 10)), d(2025, 1, 1));
            assert_eq!(wrong_sex.map_err(|e| e.code), Err("FISCAL_CODE_MISMATCH"));
            let wrong_date = validate_person(&check(Some(&cf), Sex::Male, d(1985, 12, 11)), d(2025, 1, 1));
            assert_eq!(wrong_date.map_err(|e| e.code), Err("FISCAL_CODE_MISMATCH"));
        }
    }

    #[test]
    fn malformed_fiscal_code_is_a_typed_error() {
        let err = parse_fiscal_code("RSSMRA85T10A562X").err();
        assert_eq!(err.map(|e| (e.code, e.field)), Some(("INVALID_FISCAL_CODE", Some("fiscalCode"))));
    }

    #[test]
    fn birth_date_must_be_in_the_past() {
        let future = validate_person(&check(None, Sex::Male, d(2030, 1, 1)), d(2025, 1, 1));
        assert_eq!(future.map_err(|e| e.code), Err("INVALID_DATE"));
    }

    #[test]
    fn isee_rules() {
        let today = d(2025, 6, 1);
        assert!(
            validate_isee(
                Money::from_euro(4800),
                "INPS-ISEE-2025-1",
                2025,
                d(2025, 1, 10),
                d(2025, 1, 10),
                d(2025, 12, 31),
                today
            )
            .is_ok()
        );
        assert!(
            validate_isee(Money::from_cents(-1), "P", 2025, d(2025, 1, 10), d(2025, 1, 10), d(2025, 12, 31), today)
                .is_err()
        );
        assert!(validate_isee(Money::ZERO, "P", 2025, d(2025, 1, 10), d(2025, 12, 31), d(2025, 1, 10), today).is_err());
        assert!(validate_isee(Money::ZERO, "P", 2025, d(2025, 7, 10), d(2025, 1, 10), d(2025, 12, 31), today).is_err());
    }
}
