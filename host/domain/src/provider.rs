//! Providers (*enti erogatori*), residential placements and monthly presences.

use chrono::{Datelike, NaiveDate};

use crate::error::{DomainError, DomainResult, check_period};
use crate::ids::{InterventionId, OrgUnitId, PlacementId, ProviderId};
use crate::intervention::{Intervention, InterventionState};
use crate::money::Money;

/// A provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// Key.
    pub id: ProviderId,
    /// The provider's own organisation unit (its operators belong to it).
    pub org_unit_id: OrgUnitId,
    /// Name.
    pub name: String,
    /// VAT or fiscal code of the provider.
    pub vat_number: Option<String>,
    /// Accreditation reference.
    pub accreditation: Option<String>,
    /// Places available (residential structures).
    pub places: Option<i32>,
}

/// A placement of a person with a provider at a daily fee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// Key.
    pub id: PlacementId,
    /// The intervention.
    pub intervention_id: InterventionId,
    /// The provider.
    pub provider_id: ProviderId,
    /// Daily fee.
    pub daily_fee: Money,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day.
    pub ends_on: Option<NaiveDate>,
}

/// Presences of one month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthlyPresence {
    /// The placement.
    pub placement_id: PlacementId,
    /// The first day of the month.
    pub month: NaiveDate,
    /// Days of presence.
    pub days_present: i16,
    /// Amount due: days × daily fee.
    pub amount_due: Money,
}

/// Checks a new placement.
pub fn validate_placement(daily_fee: Money, starts_on: NaiveDate, ends_on: Option<NaiveDate>) -> DomainResult<()> {
    daily_fee.require_positive("dailyFee")?;
    check_period(starts_on, ends_on, "endsOn")
}

/// A placement hosts an intervention that is not closed or rejected, with the provider it is
/// assigned to (the one that records its presences), when it is assigned to one.
pub fn check_placement_of(intervention: &Intervention, provider_id: ProviderId) -> DomainResult<()> {
    if matches!(intervention.state, InterventionState::Closed | InterventionState::Rejected) {
        return Err(DomainError::new("INTERVENTION_NOT_ACTIVE", "the intervention is closed"));
    }
    if intervention.provider_id.is_some_and(|assigned| assigned != provider_id) {
        return Err(DomainError::field(
            "PROVIDER_MISMATCH",
            "providerId",
            "the intervention is assigned to another provider",
        ));
    }
    Ok(())
}

/// Checks monthly presences and returns (first day of the month, amount due).
pub fn check_presences(
    placement: &Placement,
    year: i32,
    month: u32,
    days_present: i16,
    today: NaiveDate,
) -> DomainResult<(NaiveDate, Money)> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)
        .ok_or_else(|| DomainError::field("INVALID_DATE", "month", "the month is not valid"))?;
    let days_in_month = first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|next| next.pred_opt())
        .map(|last| last.day())
        .ok_or_else(|| DomainError::field("INVALID_DATE", "month", "the month is not valid"))?;
    if days_present < 0 || i64::from(days_present) > i64::from(days_in_month) {
        return Err(DomainError::field(
            "OUT_OF_RANGE",
            "daysPresent",
            format!("days of presence are between 0 and {days_in_month}"),
        ));
    }
    if first > today {
        return Err(DomainError::field("INVALID_DATE", "month", "presences cannot be recorded for a future month"));
    }
    let placement_first_month = placement.starts_on.with_day(1).unwrap_or(placement.starts_on);
    let after_end = placement.ends_on.is_some_and(|end| first > end);
    if first < placement_first_month || after_end {
        return Err(DomainError::field("INVALID_PERIOD", "month", "the month is outside the placement"));
    }
    let due = placement
        .daily_fee
        .checked_mul(i64::from(days_present))
        .ok_or_else(|| DomainError::field("INVALID_AMOUNT", "daysPresent", "the amount is out of range"))?;
    Ok((first, due))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    fn placement() -> Placement {
        Placement {
            id: PlacementId(1),
            intervention_id: InterventionId(1),
            provider_id: ProviderId(1),
            daily_fee: Money::from_cents(11_500),
            starts_on: d(2025, 2, 10),
            ends_on: None,
        }
    }

    #[test]
    fn presences_give_the_amount_due() {
        assert_eq!(
            check_presences(&placement(), 2025, 3, 31, d(2025, 4, 2)),
            Ok((d(2025, 3, 1), Money::from_cents(356_500)))
        );
        assert_eq!(
            check_presences(&placement(), 2025, 2, 19, d(2025, 4, 2)).map(|r| r.1),
            Ok(Money::from_cents(218_500))
        );
    }

    #[test]
    fn presences_are_bounded_by_the_month_and_the_placement() {
        assert!(check_presences(&placement(), 2025, 2, 29, d(2025, 4, 2)).is_err());
        assert!(check_presences(&placement(), 2025, 1, 3, d(2025, 4, 2)).is_err());
        assert!(check_presences(&placement(), 2025, 5, 3, d(2025, 4, 2)).is_err());
        assert!(check_presences(&placement(), 2025, 13, 3, d(2025, 4, 2)).is_err());
        assert!(check_presences(&placement(), 2025, 3, -1, d(2025, 4, 2)).is_err());
    }

    #[test]
    fn placement_needs_a_fee() {
        assert!(validate_placement(Money::ZERO, d(2025, 1, 1), None).is_err());
        assert!(validate_placement(Money::from_euro(100), d(2025, 1, 1), None).is_ok());
    }
}
