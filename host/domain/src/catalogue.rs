//! The intervention catalogue: local services mapped to INPS benefit codes and ISTAT areas.

use crate::error::{DomainError, DomainResult, check_text};
use crate::ids::{CatalogueEntryId, OrgUnitId};
use crate::intervention::{BenefitCharacter, MeansTest};

string_enum! {
    /// INPS area of users (*AreaUtenza*).
    InpsArea {
        /// 1: family and minors.
        FamilyAndMinors = "family_minors",
        /// 2: disability and non-self-sufficiency.
        DisabilityNonSelfSufficiency = "disability",
        /// 3: poverty and social exclusion.
        Poverty = "poverty",
    }
}

impl InpsArea {
    /// The INPS code 1–3.
    pub fn inps_code(self) -> u8 {
        match self {
            InpsArea::FamilyAndMinors => 1,
            InpsArea::DisabilityNonSelfSufficiency => 2,
            InpsArea::Poverty => 3,
        }
    }
}

string_enum! {
    /// ISTAT type of intervention.
    IstatType {
        /// Services (*interventi e servizi*).
        Services = "services",
        /// Cash transfers (*trasferimenti in denaro*).
        CashTransfers = "cash",
        /// Structures (*strutture*).
        Structures = "structures",
    }
}

/// The INPS codes for which SISO attaches the SINA block.
pub const SINA_CODES: &[&str] = &[
    "A1.04", "A1.10", "A1.11", "A1.12", "A1.13", "A1.14", "A1.15", "A1.16", "A1.23", "A2.07", "A2.08", "A2.14",
    "A2.20", "A2.21", "A3.02",
];

/// `true` when an INPS benefit code (or a more specific code it prefixes) needs the SINA block.
pub fn requires_sina(inps_code: &str) -> bool {
    SINA_CODES.iter().any(|c| inps_code == *c || inps_code.starts_with(&format!("{c}.")))
}

/// Checks the shape of an INPS benefit code: `A1.01`, `A2.07`, `A1.04.01` (5 to 10 chars,
/// area letter, digit, then dot-separated two-digit groups).
pub fn validate_inps_code(code: &str) -> DomainResult<()> {
    let bad = || DomainError::field("INVALID_INPS_CODE", "inpsCode", "an INPS benefit code looks like A1.11");
    if !(5..=10).contains(&code.len()) {
        return Err(bad());
    }
    let mut parts = code.split('.');
    let head = parts.next().ok_or_else(bad)?;
    let hb = head.as_bytes();
    if hb.len() != 2 || hb[0] != b'A' || !(b'1'..=b'3').contains(&hb[1]) {
        return Err(bad());
    }
    let mut groups = 0;
    for p in parts {
        groups += 1;
        if p.len() != 2 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
    }
    if groups == 0 {
        return Err(bad());
    }
    Ok(())
}

/// A catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueEntry {
    /// Key.
    pub id: CatalogueEntryId,
    /// Owner: `None` for the national catalogue shared by all.
    pub org_unit_id: Option<OrgUnitId>,
    /// Local code.
    pub local_code: String,
    /// Name.
    pub name: String,
    /// INPS benefit code (*CodicePrestazione*).
    pub inps_code: String,
    /// INPS area of users.
    pub inps_area: InpsArea,
    /// ISTAT area of users (see [`crate::case::UserArea`]).
    pub istat_area: crate::case::UserArea,
    /// ISTAT type.
    pub istat_type: IstatType,
    /// Whether the SINA block is required.
    pub sina_required: bool,
    /// Default means test.
    pub means_test: MeansTest,
    /// Periodic or one-off.
    pub character: BenefitCharacter,
}

impl CatalogueEntry {
    /// Whether the entry serves a case of one of `units` (a unit and its ancestors): national
    /// entries serve everyone, a unit's own entries its subtree.
    pub fn serves(&self, units: impl IntoIterator<Item = OrgUnitId>) -> bool {
        match self.org_unit_id {
            None => true,
            Some(owner) => units.into_iter().any(|u| u == owner),
        }
    }
}

/// Checks a new catalogue entry and returns whether SINA is required for it.
pub fn validate_entry(local_code: &str, name: &str, inps_code: &str) -> DomainResult<bool> {
    check_text(local_code, "localCode", 40)?;
    check_text(name, "name", 200)?;
    validate_inps_code(inps_code)?;
    Ok(requires_sina(inps_code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_entries_serve_everyone_a_units_its_subtree() {
        let mut e = CatalogueEntry {
            id: CatalogueEntryId(1),
            org_unit_id: None,
            local_code: "ADC".into(),
            name: "Assegno di cura".into(),
            inps_code: "A1.11".into(),
            inps_area: InpsArea::DisabilityNonSelfSufficiency,
            istat_area: crate::case::UserArea::Elderly,
            istat_type: IstatType::CashTransfers,
            sina_required: true,
            means_test: MeansTest::Isee,
            character: BenefitCharacter::Periodic,
        };
        assert!(e.serves([]));
        e.org_unit_id = Some(OrgUnitId(10));
        assert!(e.serves([OrgUnitId(31), OrgUnitId(30), OrgUnitId(10)]));
        assert!(!e.serves([OrgUnitId(4), OrgUnitId(2), OrgUnitId(1)]));
        assert!(!e.serves([]));
    }

    #[test]
    fn inps_codes() {
        for ok in ["A1.01", "A1.11", "A2.07", "A3.02", "A1.04.01"] {
            assert!(validate_inps_code(ok).is_ok(), "{ok}");
        }
        for bad in ["A4.01", "B1.01", "A1", "A1.1", "A1.011", "a1.01", "A1.0x"] {
            assert!(validate_inps_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sina_codes_match_siso() {
        assert!(requires_sina("A1.11"));
        assert!(requires_sina("A3.02"));
        assert!(requires_sina("A1.04.01"));
        assert!(!requires_sina("A1.01"));
        assert!(!requires_sina("A1.110"));
        assert_eq!(validate_entry("AC", "Assegno di cura", "A1.11"), Ok(true));
    }
}
