//! Organisation units: Regione → ambito / zona sociale → comune or municipio → office.

use crate::codice_fiscale::{CodiceFiscale, CodiceFiscaleKind};
use crate::error::{DomainError, DomainResult, check_text};
use crate::ids::{OperatorId, OrgUnitId};

string_enum! {
    /// The level of an organisation unit in the hierarchy.
    OrgUnitKind {
        /// A *Regione*.
        Region = "region",
        /// An *ambito territoriale sociale* or *zona sociale* (in Roma, a Municipio as ambito).
        Ambito = "ambito",
        /// A *comune*.
        Comune = "comune",
        /// One of Roma Capitale's *Municipi*.
        Municipio = "municipio",
        /// An office (*ufficio*: a segretariato sociale, a PUA...).
        Office = "office",
        /// A provider's organisation (third sector, residential structure).
        Provider = "provider",
    }
}

impl OrgUnitKind {
    /// Which kinds may sit directly under this one.
    pub fn may_contain(self, child: OrgUnitKind) -> bool {
        use OrgUnitKind::*;
        match self {
            Region => matches!(child, Ambito | Comune | Provider),
            Ambito => matches!(child, Comune | Municipio | Office | Provider),
            Comune => matches!(child, Municipio | Office | Provider),
            Municipio => matches!(child, Office | Provider),
            Office | Provider => false,
        }
    }
}

/// An organisation unit with its national codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgUnit {
    /// Key.
    pub id: OrgUnitId,
    /// Parent unit; `None` for a top-level unit.
    pub parent_id: Option<OrgUnitId>,
    /// Level in the hierarchy.
    pub kind: OrgUnitKind,
    /// Official name.
    pub name: String,
    /// ISTAT code (six digits for a comune).
    pub istat_code: Option<String>,
    /// Cadastral (Belfiore) code, e.g. `H501` for Roma.
    pub cadastral_code: Option<String>,
    /// *Codice ente* used in INPS flows.
    pub inps_ente_code: Option<String>,
    /// The unit's own fiscal code (the ente's *codice fiscale*).
    pub fiscal_code: Option<String>,
}

/// Checks the name and codes of a new unit and that it may sit under its parent.
pub fn validate_new_unit(
    kind: OrgUnitKind,
    parent_kind: Option<OrgUnitKind>,
    name: &str,
    istat_code: Option<&str>,
    cadastral_code: Option<&str>,
    inps_ente_code: Option<&str>,
) -> DomainResult<()> {
    check_text(name, "name", 200)?;
    if let Some(parent) = parent_kind
        && !parent.may_contain(kind)
    {
        return Err(DomainError::field(
            "INVALID_PARENT",
            "parentId",
            format!("a {} cannot be placed under a {}", kind, parent),
        ));
    }
    if let Some(code) = istat_code
        && (code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(DomainError::field("INVALID_ISTAT_CODE", "istatCode", "an ISTAT comune code has six digits"));
    }
    if let Some(code) = cadastral_code
        && !is_cadastral_code(code)
    {
        return Err(DomainError::field(
            "INVALID_CADASTRAL_CODE",
            "cadastralCode",
            "a cadastral code is a letter and three digits, e.g. H501",
        ));
    }
    if let Some(code) = inps_ente_code
        && (code.is_empty() || code.len() > 32 || !code.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return Err(DomainError::field(
            "INVALID_CODE",
            "inpsEnteCode",
            "an INPS ente code is 1 to 32 letters or digits (Ente/@Codice)",
        ));
    }
    Ok(())
}

/// A Belfiore code: one letter A–Z and three digits (`Z` + digits for foreign states).
pub fn is_cadastral_code(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 4 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit)
}

/// Checks a login name: 3 to 64 characters, lower-case letters, digits, `.`, `_` and `-`,
/// starting with a letter (what the development login and the access log show).
pub fn validate_username(username: &str) -> DomainResult<()> {
    let b = username.as_bytes();
    let ok = (3..=64).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(DomainError::field(
            "INVALID_USERNAME",
            "username",
            "a login name is 3 to 64 lower-case letters, digits, dots, dashes or underscores, starting with a letter",
        ))
    }
}

/// Checks an operator's display name (1 to 200 characters) and codice fiscale, INPS's
/// *CFOperatore*: a person's 16-character code with a valid check character. Returns the
/// codice fiscale as stored (upper case, without spaces).
pub fn validate_operator(display_name: &str, fiscal_code: Option<&str>) -> DomainResult<Option<String>> {
    check_text(display_name, "displayName", 200)?;
    let Some(code) = fiscal_code else { return Ok(None) };
    let invalid = || DomainError::field("INVALID_FISCAL_CODE", "fiscalCode", "not a valid personal codice fiscale");
    let cf = CodiceFiscale::parse(code).map_err(|_| invalid())?;
    if cf.kind() != CodiceFiscaleKind::Personal {
        return Err(invalid());
    }
    Ok(Some(cf.as_str().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_rules() {
        for ok in ["op.roma1", "maria-rossi_2", "abc"] {
            assert!(validate_username(ok).is_ok(), "{ok}");
        }
        for bad in ["", "ab", "Op.roma", "1op", "op roma", "op@roma", &"a".repeat(65), "opé"] {
            assert_eq!(validate_username(bad).map_err(|e| e.code), Err("INVALID_USERNAME"), "{bad}");
        }
        assert_eq!(validate_operator("Maria Rossi", None), Ok(None));
        assert_eq!(
            validate_operator("Maria Rossi", Some(" rssmra85t10a562s ")),
            Ok(Some("RSSMRA85T10A562S".to_string()))
        );
        for bad in ["RSSMRA85T10A562X", "12345678901", "RSSMRA85T10A562", "x"] {
            let e = validate_operator("Maria Rossi", Some(bad)).map_err(|e| e.code);
            assert_eq!(e, Err("INVALID_FISCAL_CODE"), "{bad}");
        }
        assert_eq!(validate_operator("  ", None).map_err(|e| e.code), Err("REQUIRED"));
    }

    #[test]
    fn hierarchy_rules() {
        assert!(OrgUnitKind::Region.may_contain(OrgUnitKind::Ambito));
        assert!(OrgUnitKind::Ambito.may_contain(OrgUnitKind::Municipio));
        assert!(OrgUnitKind::Comune.may_contain(OrgUnitKind::Office));
        assert!(!OrgUnitKind::Office.may_contain(OrgUnitKind::Comune));
        assert!(!OrgUnitKind::Comune.may_contain(OrgUnitKind::Region));
    }

    #[test]
    fn validates_codes() {
        let ok = validate_new_unit(
            OrgUnitKind::Comune,
            Some(OrgUnitKind::Ambito),
            "Perugia",
            Some("054039"),
            Some("G478"),
            Some("PG01"),
        );
        assert!(ok.is_ok());
        let bad_istat = validate_new_unit(OrgUnitKind::Comune, None, "X", Some("54039"), None, None);
        assert_eq!(bad_istat.map_err(|e| e.code), Err("INVALID_ISTAT_CODE"));
        let bad_cad = validate_new_unit(OrgUnitKind::Comune, None, "X", None, Some("g478"), None);
        assert_eq!(bad_cad.map_err(|e| e.code), Err("INVALID_CADASTRAL_CODE"));
        let bad_parent = validate_new_unit(OrgUnitKind::Region, Some(OrgUnitKind::Office), "X", None, None, None);
        assert_eq!(bad_parent.map_err(|e| e.code), Err("INVALID_PARENT"));
        assert!(validate_new_unit(OrgUnitKind::Comune, None, "X", None, None, Some(&"9".repeat(32))).is_ok());
        for inps in ["", "A-1", &"9".repeat(33)] {
            let bad = validate_new_unit(OrgUnitKind::Comune, None, "X", None, None, Some(inps));
            assert_eq!(bad.map_err(|e| e.code), Err("INVALID_CODE"), "{inps:?}");
        }
        assert!(validate_new_unit(OrgUnitKind::Office, None, "  ", None, None, None).is_err());
    }

    #[test]
    fn codes_round_trip() {
        for k in OrgUnitKind::ALL {
            assert_eq!(OrgUnitKind::parse(k.as_str()), Some(*k));
        }
    }
}

/// A social operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// Key.
    pub id: OperatorId,
    /// Home organisation unit (an office, usually).
    pub org_unit_id: OrgUnitId,
    /// Login name.
    pub username: String,
    /// Name shown to colleagues.
    pub display_name: String,
    /// Role code (see the authorization module).
    pub role: String,
    /// Can log in.
    pub active: bool,
    /// The operator's codice fiscale (INPS *CFOperatore*).
    pub fiscal_code: Option<String>,
}
