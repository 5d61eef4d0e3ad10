//! Interventions (*fogli amministrativi*) and their disbursements (*erogazioni*).
//!
//! State machine: requested → authorised → active ⇄ suspended → closed, and requested →
//! rejected. The disbursements of an intervention never exceed its authorised amount.

use chrono::NaiveDate;

use crate::error::{DomainError, DomainResult, check_period};
use crate::ids::{CaseId, CatalogueEntryId, FundingLineId, InterventionId, OperatorId, OrgUnitId, PlanId, ProviderId};
use crate::money::Money;

string_enum! {
    /// The state of an intervention.
    InterventionState {
        /// Asked for by an operator, waiting for authorisation.
        Requested = "requested",
        /// Authorised with an amount; not yet delivered.
        Authorised = "authorised",
        /// Being delivered and paid.
        Active = "active",
        /// Delivery paused.
        Suspended = "suspended",
        /// Ended.
        Closed = "closed",
        /// Refused at authorisation.
        Rejected = "rejected",
    }
}

/// An action on an intervention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterventionAction {
    /// Authorise (an administrative act with an amount).
    Authorise,
    /// Refuse the request.
    Reject,
    /// Start (or resume) delivery.
    Activate,
    /// Pause delivery.
    Suspend,
    /// End.
    Close,
}

impl InterventionAction {
    fn verb(self) -> &'static str {
        match self {
            InterventionAction::Authorise => "authorised",
            InterventionAction::Reject => "rejected",
            InterventionAction::Activate => "activated",
            InterventionAction::Suspend => "suspended",
            InterventionAction::Close => "closed",
        }
    }
}

/// The state machine of an intervention.
pub fn transition(from: InterventionState, action: InterventionAction) -> DomainResult<InterventionState> {
    use InterventionAction::*;
    use InterventionState::*;
    let to = match (from, action) {
        (Requested, Authorise) => Authorised,
        (Requested, Reject) => Rejected,
        (Authorised | Suspended, Activate) => Active,
        (Active, Suspend) => Suspended,
        (Authorised | Active | Suspended, Close) => Closed,
        _ => {
            return Err(DomainError::new(
                "INVALID_TRANSITION",
                format!("an intervention in state {from} cannot be {}", action.verb()),
            ));
        }
    };
    Ok(to)
}

string_enum! {
    /// Whether the benefit is subject to a means test (INPS *PresenzaProvaMezzi*).
    MeansTest {
        /// Subject to ISEE (1).
        Isee = "isee",
        /// Means-tested, but not through ISEE (2).
        OtherMeansTest = "other",
        /// ISEE-tested in general, exempt for this person (3).
        Exempt = "exempt",
        /// Not means-tested (4).
        None = "none",
    }
}

impl MeansTest {
    /// The INPS code 1–4.
    pub fn inps_code(self) -> u8 {
        match self {
            MeansTest::Isee => 1,
            MeansTest::OtherMeansTest => 2,
            MeansTest::Exempt => 3,
            MeansTest::None => 4,
        }
    }
}

string_enum! {
    /// Periodic or one-off benefit (INPS *CaratterePrestazione*).
    BenefitCharacter {
        /// Paid periodically (1).
        Periodic = "periodic",
        /// Paid once (2).
        OneOff = "one_off",
    }
}

/// The most hours a month has (31 × 24), ×100.
pub const MAX_HOURS_CENTI: i64 = 744 * 100;

/// An intervention with all the data an INPS PS/PSA benefit record needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intervention {
    /// Key.
    pub id: InterventionId,
    /// The case it belongs to.
    pub case_id: CaseId,
    /// The plan it implements, when linked.
    pub plan_id: Option<PlanId>,
    /// The type of intervention, from the catalogue.
    pub catalogue_entry_id: CatalogueEntryId,
    /// Current state.
    pub state: InterventionState,
    /// Amount requested for the whole period.
    pub requested_amount: Money,
    /// Amount authorised for the whole period (set at authorisation).
    pub authorised_amount: Option<Money>,
    /// Monthly amount (INPS *ImportoMensile*), for periodic cash benefits.
    pub monthly_amount: Option<Money>,
    /// Monthly hours of service (INPS *OreServizioMensile*), ×100 to stay an integer.
    pub monthly_hours_centi: Option<i64>,
    /// First day of the period.
    pub starts_on: NaiveDate,
    /// Last day of the period.
    pub ends_on: Option<NaiveDate>,
    /// Provider delivering the service.
    pub provider_id: Option<ProviderId>,
    /// Funding line paying it.
    pub funding_line_id: Option<FundingLineId>,
    /// The user's co-payment per month (*compartecipazione*), when computed.
    pub co_payment_monthly: Option<Money>,
    /// Means test of the benefit.
    pub means_test: MeansTest,
    /// Periodic or one-off.
    pub character: BenefitCharacter,
    /// ISEE threshold that gave access (INPS *ImportoSogliaISEE*).
    pub isee_threshold: Option<Money>,
    /// The ISEE attestation used.
    pub isee_id: Option<crate::ids::IseeId>,
    /// Application protocol number (INPS *ProtocolloDomanda*).
    pub application_protocol: Option<String>,
    /// Requested on.
    pub requested_on: NaiveDate,
    /// Authorised (or rejected) on.
    pub decided_on: Option<NaiveDate>,
    /// Who requested it.
    pub requested_by: Option<OperatorId>,
    /// Who authorised or rejected it.
    pub decided_by: Option<OperatorId>,
    /// Reason of a rejection, suspension or closure.
    pub reason: Option<String>,
    /// Date of the event that gives rise to the benefit (INPS *DataEvento*).
    pub event_on: Option<NaiveDate>,
    /// The person is taken in charge by the social service (INPS *PresaCarico*).
    pub taken_in_charge: bool,
}

/// The date of the event behind a request (the application, the report) is never in the future.
pub fn check_event_on(event_on: Option<NaiveDate>, today: NaiveDate) -> DomainResult<()> {
    if event_on.is_some_and(|d| d > today) {
        return Err(DomainError::field("INVALID_DATE", "eventOn", "the event date is in the future"));
    }
    Ok(())
}

/// What a request must satisfy.
pub fn validate_request(
    requested_amount: Money,
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
    monthly_hours_centi: Option<i64>,
) -> DomainResult<()> {
    requested_amount.require_non_negative("requestedAmount")?;
    check_period(starts_on, ends_on, "endsOn")?;
    if let Some(h) = monthly_hours_centi
        && !(0..=MAX_HOURS_CENTI).contains(&h)
    {
        return Err(DomainError::field("INVALID_HOURS", "monthlyHours", "monthly hours are between 0 and 744"));
    }
    Ok(())
}

/// What an authorisation must satisfy: a positive amount, not above what was requested (when
/// an amount was requested), dated on or after the request. The authorised amount is the
/// ceiling of every later payment.
pub fn validate_authorisation(
    authorised: Money,
    requested: Money,
    decided_on: NaiveDate,
    requested_on: NaiveDate,
) -> DomainResult<()> {
    authorised.require_positive("authorisedAmount")?;
    if requested > Money::ZERO && authorised > requested {
        return Err(DomainError::field(
            "OVER_REQUESTED",
            "authorisedAmount",
            format!("the authorised amount is above the {requested} requested"),
        ));
    }
    if decided_on < requested_on {
        return Err(DomainError::field("INVALID_DATE", "on", "the decision is dated before the request"));
    }
    Ok(())
}

/// A disbursement (*erogazione*): one payment or delivery against an intervention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disbursement {
    /// Key.
    pub id: crate::ids::DisbursementId,
    /// The intervention paid.
    pub intervention_id: InterventionId,
    /// Payment date (INPS *DataErogazionePrestazione*).
    pub paid_on: NaiveDate,
    /// First day of the period paid.
    pub period_from: NaiveDate,
    /// Last day of the period paid.
    pub period_to: NaiveDate,
    /// Gross amount (INPS *ImportoPrestazione*).
    pub amount: Money,
    /// Share paid by the ente (INPS *ImportoQuotaEnte*).
    pub ente_share: Money,
    /// Share paid by the user (*compartecipazione*, INPS *ImportoQuotaUtente*).
    pub user_share: Money,
    /// Share paid by the health service (INPS *ImportoQuotaSSN*).
    pub ssn_share: Money,
    /// Share paid by others.
    pub other_share: Money,
    /// Hours delivered ×100.
    pub hours_centi: Option<i64>,
    /// Who recorded it.
    pub recorded_by: Option<OperatorId>,
}

/// The shares of a new disbursement, as entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shares {
    /// Ente.
    pub ente: Option<Money>,
    /// User.
    pub user: Option<Money>,
    /// Health service.
    pub ssn: Option<Money>,
    /// Others.
    pub other: Option<Money>,
}

/// A checked new disbursement: shares complete and summing to the amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckedDisbursement {
    /// Gross amount.
    pub amount: Money,
    /// Ente share.
    pub ente: Money,
    /// User share.
    pub user: Money,
    /// SSN share.
    pub ssn: Money,
    /// Other share.
    pub other: Money,
}

/// A disbursement as entered by the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewDisbursement {
    /// Gross amount.
    pub amount: Money,
    /// Shares as entered.
    pub shares: Shares,
    /// Payment date.
    pub paid_on: NaiveDate,
    /// First day of the period paid.
    pub period_from: NaiveDate,
    /// Last day of the period paid.
    pub period_to: NaiveDate,
    /// Hours delivered ×100.
    pub hours_centi: Option<i64>,
}

/// The facts about an intervention a new disbursement is checked against.
#[derive(Debug, Clone, Copy)]
pub struct DisbursementContext {
    /// State of the intervention.
    pub state: InterventionState,
    /// Authorised amount.
    pub authorised: Option<Money>,
    /// Sum of the disbursements already recorded.
    pub already_disbursed: Money,
    /// Start of the intervention.
    pub starts_on: NaiveDate,
    /// End of the intervention.
    pub ends_on: Option<NaiveDate>,
}

/// Checks a new disbursement: the intervention is active, the amount positive, the shares
/// non-negative and summing to the amount (an unspecified ente share takes the rest), the
/// period inside the intervention's, and the total never above the authorised amount.
pub fn check_disbursement(
    ctx: DisbursementContext,
    new: &NewDisbursement,
    today: NaiveDate,
) -> DomainResult<CheckedDisbursement> {
    let NewDisbursement { amount, shares, paid_on, period_from, period_to, hours_centi } = *new;
    if ctx.state != InterventionState::Active {
        return Err(DomainError::new(
            "INTERVENTION_NOT_ACTIVE",
            format!("disbursements are recorded on active interventions; this one is {}", ctx.state),
        ));
    }
    let amount = amount.require_positive("amount")?;
    let user = shares.user.unwrap_or(Money::ZERO).require_non_negative("userShare")?;
    let ssn = shares.ssn.unwrap_or(Money::ZERO).require_non_negative("ssnShare")?;
    let other = shares.other.unwrap_or(Money::ZERO).require_non_negative("otherShare")?;
    let others = user + ssn + other;
    let ente = match shares.ente {
        Some(e) => e.require_non_negative("enteShare")?,
        None => amount.checked_sub(others).unwrap_or(Money::from_cents(-1)),
    };
    if ente.is_negative() || ente + others != amount {
        return Err(DomainError::field(
            "SHARES_MISMATCH",
            "enteShare",
            "the ente, user, SSN and other shares must add up to the amount",
        ));
    }
    check_period(period_from, Some(period_to), "periodTo")?;
    if period_from < ctx.starts_on || ctx.ends_on.is_some_and(|end| period_to > end) {
        return Err(DomainError::field(
            "INVALID_PERIOD",
            "periodFrom",
            "the period paid is outside the intervention's period",
        ));
    }
    if paid_on > today {
        return Err(DomainError::field("INVALID_DATE", "paidOn", "the payment date is in the future"));
    }
    if let Some(h) = hours_centi
        && !(0..=MAX_HOURS_CENTI).contains(&h)
    {
        return Err(DomainError::field("INVALID_HOURS", "hours", "hours are between 0 and 744"));
    }
    let authorised = ctx.authorised.unwrap_or(Money::ZERO);
    let total = ctx.already_disbursed + amount;
    if total > authorised {
        let left = authorised.checked_sub(ctx.already_disbursed).unwrap_or(Money::ZERO);
        return Err(DomainError::field(
            "OVER_AUTHORISED",
            "amount",
            format!("the disbursements would exceed the authorised amount; {left} is left"),
        ));
    }
    Ok(CheckedDisbursement { amount, ente, user, ssn, other })
}

/// The longest application protocol INPS accepts (*ProtocolloDomanda*, 32 characters).
pub const MAX_APPLICATION_PROTOCOL: usize = 32;

/// Checks the protocol number of an application: 1 to 32 characters, no control characters
/// (it goes to INPS as it is).
pub fn check_application_protocol(protocol: &str) -> DomainResult<()> {
    crate::error::check_text(protocol, "applicationProtocol", MAX_APPLICATION_PROTOCOL)?;
    if protocol.chars().any(char::is_control) {
        return Err(DomainError::field(
            "INVALID_PROTOCOL",
            "applicationProtocol",
            "an application protocol has no control characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    fn ctx(state: InterventionState, authorised: i64, disbursed: i64) -> DisbursementContext {
        DisbursementContext {
            state,
            authorised: Some(Money::from_euro(authorised)),
            already_disbursed: Money::from_euro(disbursed),
            starts_on: d(2025, 1, 1),
            ends_on: Some(d(2025, 6, 30)),
        }
    }

    fn chk(
        ctx: DisbursementContext,
        amount: Money,
        shares: Shares,
        paid_on: NaiveDate,
        period_from: NaiveDate,
        period_to: NaiveDate,
        today: NaiveDate,
    ) -> DomainResult<CheckedDisbursement> {
        check_disbursement(
            ctx,
            &NewDisbursement { amount, shares, paid_on, period_from, period_to, hours_centi: None },
            today,
        )
    }

    const NO_SHARES: Shares = Shares { ente: None, user: None, ssn: None, other: None };

    #[test]
    fn application_protocols_fit_inps() {
        assert!(check_application_protocol("PG-2026-000123").is_ok());
        assert!(check_application_protocol(&"9".repeat(32)).is_ok());
        let e = check_application_protocol(&"9".repeat(33)).map_err(|e| e.code);
        assert_eq!(e, Err("TOO_LONG"));
        assert_eq!(check_application_protocol("PG\n1").map_err(|e| e.code), Err("INVALID_PROTOCOL"));
        assert_eq!(check_application_protocol(" ").map_err(|e| e.code), Err("REQUIRED"));
    }

    #[test]
    fn the_happy_path_of_an_intervention() {
        use InterventionAction::*;
        use InterventionState::*;
        let mut s = Requested;
        for (action, expected) in
            [(Authorise, Authorised), (Activate, Active), (Suspend, Suspended), (Activate, Active), (Close, Closed)]
        {
            s = transition(s, action).unwrap_or(Rejected);
            assert_eq!(s, expected);
        }
        assert_eq!(transition(Requested, Reject), Ok(Rejected));
    }

    #[test]
    fn every_other_transition_is_refused() {
        use InterventionAction::*;
        use InterventionState::*;
        let allowed = [
            (Requested, Authorise),
            (Requested, Reject),
            (Authorised, Activate),
            (Suspended, Activate),
            (Active, Suspend),
            (Authorised, Close),
            (Active, Close),
            (Suspended, Close),
        ];
        for from in InterventionState::ALL {
            for action in [Authorise, Reject, Activate, Suspend, Close] {
                let result = transition(*from, action);
                assert_eq!(result.is_ok(), allowed.contains(&(*from, action)), "{from:?} {action:?}");
            }
        }
    }

    #[test]
    fn disbursements_never_exceed_the_authorised_amount() {
        let ok = chk(
            ctx(InterventionState::Active, 1800, 1500),
            Money::from_euro(300),
            NO_SHARES,
            d(2025, 6, 5),
            d(2025, 6, 1),
            d(2025, 6, 30),
            d(2025, 7, 1),
        );
        assert_eq!(ok.map(|c| c.ente), Ok(Money::from_euro(300)));
        let over = chk(
            ctx(InterventionState::Active, 1800, 1600),
            Money::from_euro(300),
            NO_SHARES,
            d(2025, 6, 5),
            d(2025, 6, 1),
            d(2025, 6, 30),
            d(2025, 7, 1),
        );
        assert_eq!(over.map_err(|e| e.code), Err("OVER_AUTHORISED"));
    }

    #[test]
    fn disbursements_need_an_active_intervention() {
        for state in [
            InterventionState::Requested,
            InterventionState::Authorised,
            InterventionState::Suspended,
            InterventionState::Closed,
            InterventionState::Rejected,
        ] {
            let r = chk(
                ctx(state, 1800, 0),
                Money::from_euro(300),
                NO_SHARES,
                d(2025, 1, 5),
                d(2025, 1, 1),
                d(2025, 1, 31),
                d(2025, 7, 1),
            );
            assert_eq!(r.map_err(|e| e.code), Err("INTERVENTION_NOT_ACTIVE"));
        }
    }

    #[test]
    fn shares_must_add_up() {
        let shares =
            Shares { ente: None, user: Some(Money::from_euro(50)), ssn: Some(Money::from_euro(100)), other: None };
        let ok = chk(
            ctx(InterventionState::Active, 1800, 0),
            Money::from_euro(300),
            shares,
            d(2025, 1, 5),
            d(2025, 1, 1),
            d(2025, 1, 31),
            d(2025, 7, 1),
        );
        assert_eq!(
            ok.map(|c| (c.ente, c.user, c.ssn)),
            Ok((Money::from_euro(150), Money::from_euro(50), Money::from_euro(100)))
        );
        let bad =
            Shares { ente: Some(Money::from_euro(100)), user: Some(Money::from_euro(50)), ssn: None, other: None };
        let r = chk(
            ctx(InterventionState::Active, 1800, 0),
            Money::from_euro(300),
            bad,
            d(2025, 1, 5),
            d(2025, 1, 1),
            d(2025, 1, 31),
            d(2025, 7, 1),
        );
        assert_eq!(r.map_err(|e| e.code), Err("SHARES_MISMATCH"));
        let too_big = Shares { ente: None, user: Some(Money::from_euro(400)), ssn: None, other: None };
        let r = chk(
            ctx(InterventionState::Active, 1800, 0),
            Money::from_euro(300),
            too_big,
            d(2025, 1, 5),
            d(2025, 1, 1),
            d(2025, 1, 31),
            d(2025, 7, 1),
        );
        assert_eq!(r.map_err(|e| e.code), Err("SHARES_MISMATCH"));
    }

    #[test]
    fn amounts_and_dates_are_checked() {
        let c = ctx(InterventionState::Active, 1800, 0);
        let neg = chk(c, Money::from_euro(-3), NO_SHARES, d(2025, 1, 5), d(2025, 1, 1), d(2025, 1, 31), d(2025, 7, 1));
        assert_eq!(neg.map_err(|e| e.code), Err("INVALID_AMOUNT"));
        let outside =
            chk(c, Money::from_euro(3), NO_SHARES, d(2025, 1, 5), d(2024, 12, 1), d(2024, 12, 31), d(2025, 7, 1));
        assert_eq!(outside.map_err(|e| e.code), Err("INVALID_PERIOD"));
        let future =
            chk(c, Money::from_euro(3), NO_SHARES, d(2025, 8, 5), d(2025, 1, 1), d(2025, 1, 31), d(2025, 7, 1));
        assert_eq!(future.map_err(|e| e.code), Err("INVALID_DATE"));
        assert!(validate_request(Money::from_euro(-1), d(2025, 1, 1), None, None).is_err());
        assert!(validate_request(Money::from_euro(1), d(2025, 1, 2), Some(d(2025, 1, 1)), None).is_err());
        assert!(validate_authorisation(Money::ZERO, Money::from_euro(5), d(2025, 1, 2), d(2025, 1, 1)).is_err());
        assert!(
            validate_authorisation(Money::from_euro(5), Money::from_euro(5), d(2024, 1, 2), d(2025, 1, 1)).is_err()
        );
        let over = validate_authorisation(Money::from_euro(6), Money::from_euro(5), d(2025, 1, 2), d(2025, 1, 1));
        assert_eq!(over.map_err(|e| e.code), Err("OVER_REQUESTED"));
        assert!(validate_authorisation(Money::from_euro(5), Money::from_euro(5), d(2025, 1, 2), d(2025, 1, 1)).is_ok());
        assert!(validate_authorisation(Money::from_euro(5), Money::ZERO, d(2025, 1, 2), d(2025, 1, 1)).is_ok());
    }
}

/// An intervention as stored: the domain record plus its owner and running total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredIntervention {
    /// The domain record.
    pub intervention: Intervention,
    /// The organisation unit of its case.
    pub org_unit_id: OrgUnitId,
    /// Sum of its disbursements.
    pub disbursed: Money,
}

/// An entry of an intervention's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterventionEvent {
    /// The intervention.
    pub intervention_id: InterventionId,
    /// State before.
    pub from_state: Option<InterventionState>,
    /// State after.
    pub to_state: InterventionState,
    /// Business date.
    pub on: NaiveDate,
    /// Reason.
    pub reason: Option<String>,
    /// Who.
    pub recorded_by: Option<OperatorId>,
}
