//! Access sheets (*schede di accesso / segretariato*): the first contact, which may be
//! forwarded to a case.

use chrono::NaiveDate;

use crate::error::{DomainError, DomainResult, check_text};
use crate::ids::{AccessSheetId, CaseId, OperatorId, OrgUnitId, PersonId};

string_enum! {
    /// How the person reached the service.
    AccessChannel {
        /// At the front desk.
        InPerson = "in_person",
        /// By telephone.
        Phone = "phone",
        /// By e-mail or web.
        Online = "online",
        /// At home.
        HomeVisit = "home_visit",
    }
}

string_enum! {
    /// Who reported the need (*segnalante*).
    ReporterKind {
        /// The person themself.
        Self_ = "self",
        /// A family member.
        Family = "family",
        /// A school.
        School = "school",
        /// Health services (GP, hospital, consultorio).
        Health = "health",
        /// The court or police.
        Judicial = "judicial",
        /// A third-sector organisation.
        ThirdSector = "third_sector",
        /// Another public office.
        OtherOffice = "other_office",
        /// Anyone else.
        Other = "other",
    }
}

string_enum! {
    /// The state of an access sheet.
    AccessSheetState {
        /// Recorded, not yet handled.
        Open = "open",
        /// Forwarded to a case.
        Forwarded = "forwarded",
        /// Closed with a simple answer (information, referral).
        Closed = "closed",
    }
}

/// An access sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessSheet {
    /// Key.
    pub id: AccessSheetId,
    /// The office that took the access.
    pub org_unit_id: OrgUnitId,
    /// The operator who took it.
    pub operator_id: Option<OperatorId>,
    /// The person concerned, when identified.
    pub person_id: Option<PersonId>,
    /// Date of access.
    pub access_on: NaiveDate,
    /// Channel.
    pub channel: AccessChannel,
    /// Who reported.
    pub reporter: ReporterKind,
    /// Classified reasons (catalogue codes).
    pub reasons: Vec<String>,
    /// Privacy notice given and consent recorded.
    pub privacy_consent: bool,
    /// State.
    pub state: AccessSheetState,
    /// The case it was forwarded to.
    pub case_id: Option<CaseId>,
}

/// Checks a new access sheet.
pub fn validate_new(access_on: NaiveDate, reasons: &[String], today: NaiveDate) -> DomainResult<()> {
    if access_on > today {
        return Err(DomainError::field("INVALID_DATE", "accessOn", "the access date is in the future"));
    }
    if reasons.is_empty() {
        return Err(DomainError::field("REQUIRED", "reasons", "at least one reason is required"));
    }
    if reasons.len() > 20 {
        return Err(DomainError::field("TOO_MANY", "reasons", "at most 20 reasons are allowed"));
    }
    for r in reasons {
        check_text(r, "reasons", 40)?;
    }
    Ok(())
}

/// A sheet can be forwarded once, while open, and only with an identified person and consent.
pub fn check_forward(sheet: &AccessSheet) -> DomainResult<PersonId> {
    if sheet.state != AccessSheetState::Open {
        return Err(DomainError::new(
            "INVALID_TRANSITION",
            format!("an access sheet in state {} cannot be forwarded", sheet.state),
        ));
    }
    if !sheet.privacy_consent {
        return Err(DomainError::new("CONSENT_REQUIRED", "the privacy consent is required to open a case"));
    }
    sheet.person_id.ok_or_else(|| DomainError::field("REQUIRED", "personId", "the sheet has no identified person"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet(state: AccessSheetState, consent: bool, person: Option<i64>) -> AccessSheet {
        AccessSheet {
            id: AccessSheetId(1),
            org_unit_id: OrgUnitId(1),
            operator_id: None,
            person_id: person.map(PersonId),
            access_on: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default(),
            channel: AccessChannel::InPerson,
            reporter: ReporterKind::Self_,
            reasons: vec!["economic".into()],
            privacy_consent: consent,
            state,
            case_id: None,
        }
    }

    #[test]
    fn forwarding_rules() {
        assert_eq!(check_forward(&sheet(AccessSheetState::Open, true, Some(7))), Ok(PersonId(7)));
        assert_eq!(
            check_forward(&sheet(AccessSheetState::Forwarded, true, Some(7))).map_err(|e| e.code),
            Err("INVALID_TRANSITION")
        );
        assert_eq!(
            check_forward(&sheet(AccessSheetState::Open, false, Some(7))).map_err(|e| e.code),
            Err("CONSENT_REQUIRED")
        );
        assert_eq!(check_forward(&sheet(AccessSheetState::Open, true, None)).map_err(|e| e.code), Err("REQUIRED"));
    }

    #[test]
    fn new_sheet_rules() {
        let today = NaiveDate::from_ymd_opt(2025, 1, 10).unwrap_or_default();
        assert!(validate_new(today, &["economic".into()], today).is_ok());
        assert!(validate_new(today, &[], today).is_err());
        assert!(validate_new(today + chrono::Duration::days(1), &["x".into()], today).is_err());
    }
}
