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
    /// Where the referral came from, in INPS's 14 sources (SINBA's `FonteSegnalazione`): finer
    /// than [`ReporterKind`], and what the flows report.
    ReferralSource {
        /// The social service of juvenile justice (1).
        JuvenileJusticeSocialService = "juvenile_justice_social_service",
        /// Another social service: consultori, family centres, another ambito or district (2).
        OtherSocialService = "other_social_service",
        /// Health services, the general practitioner or paediatrician (3).
        HealthServices = "health_services",
        /// Third sector and volunteers (4).
        ThirdSector = "third_sector",
        /// Police (5).
        Police = "police",
        /// The beneficiary themself (6).
        Beneficiary = "beneficiary",
        /// Foster parents or the guardian (7).
        FosterParentsOrGuardian = "foster_parents_or_guardian",
        /// Parents, siblings or other family living with the person (8).
        CohabitingFamily = "cohabiting_family",
        /// Relatives not living with the person (9).
        OtherRelatives = "other_relatives",
        /// The ordinary court (10).
        OrdinaryCourt = "ordinary_court",
        /// The juvenile judicial authorities (11).
        JuvenileJudicialAuthority = "juvenile_judicial_authority",
        /// A private professional (12).
        PrivateProfessional = "private_professional",
        /// The school (13).
        School = "school",
        /// Neighbours or acquaintances (14).
        NeighboursOrAcquaintances = "neighbours_or_acquaintances",
    }
}

impl ReferralSource {
    /// INPS's code (`FonteSegnalazioneType`, 1 to 14).
    pub fn inps_code(self) -> u8 {
        match self {
            Self::JuvenileJusticeSocialService => 1,
            Self::OtherSocialService => 2,
            Self::HealthServices => 3,
            Self::ThirdSector => 4,
            Self::Police => 5,
            Self::Beneficiary => 6,
            Self::FosterParentsOrGuardian => 7,
            Self::CohabitingFamily => 8,
            Self::OtherRelatives => 9,
            Self::OrdinaryCourt => 10,
            Self::JuvenileJudicialAuthority => 11,
            Self::PrivateProfessional => 12,
            Self::School => 13,
            Self::NeighboursOrAcquaintances => 14,
        }
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
    /// Where the referral came from, in INPS's sources.
    pub referral_source: Option<ReferralSource>,
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
            referral_source: None,
            reasons: vec!["economic".into()],
            privacy_consent: consent,
            state,
            case_id: None,
        }
    }

    #[test]
    fn referral_sources_are_inps_codes_1_to_14() {
        let codes: Vec<u8> = ReferralSource::ALL.iter().map(|s| s.inps_code()).collect();
        assert_eq!(codes, (1..=14).collect::<Vec<u8>>());
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
