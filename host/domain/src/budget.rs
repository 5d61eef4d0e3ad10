//! Funds, funding lines and commitments (*impegni*): a commitment never exceeds what is left.

use chrono::NaiveDate;

use crate::error::{DomainError, DomainResult, check_text};
use crate::ids::{CommitmentId, FundId, FundingLineId, InterventionId, OperatorId, OrgUnitId};
use crate::money::Money;

string_enum! {
    /// The kind of a fund.
    FundKind {
        /// *Fondo Nazionale Politiche Sociali*.
        Fnps = "fnps",
        /// *Fondo Povertà*.
        Poverty = "poverty",
        /// *Fondo Non Autosufficienze*.
        Fna = "fna",
        /// A regional fund.
        Regional = "regional",
        /// The ente's own resources.
        Own = "own",
        /// European funds (e.g. PON Inclusione).
        European = "european",
    }
}

/// A fund (*fondo*).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fund {
    /// Key.
    pub id: FundId,
    /// Managing organisation unit.
    pub org_unit_id: OrgUnitId,
    /// Kind.
    pub kind: FundKind,
    /// Name.
    pub name: String,
}

/// A funding line: a budget for a project or service in a year, on a spending chapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundingLine {
    /// Key.
    pub id: FundingLineId,
    /// The fund.
    pub fund_id: FundId,
    /// Managing organisation unit.
    pub org_unit_id: OrgUnitId,
    /// Name of the project or service.
    pub name: String,
    /// Budget year.
    pub year: i32,
    /// Spending chapter (*capitolo*).
    pub chapter: Option<String>,
    /// Total amount.
    pub amount: Money,
    /// Sum of the commitments.
    pub committed: Money,
}

impl FundingLine {
    /// What is left to commit.
    pub fn available(&self) -> Money {
        self.amount.checked_sub(self.committed).unwrap_or(Money::ZERO)
    }
}

/// Checks a new funding line.
pub fn validate_funding_line(name: &str, year: i32, amount: Money) -> DomainResult<()> {
    check_text(name, "name", 200)?;
    if !(2000..=2100).contains(&year) {
        return Err(DomainError::field("INVALID_YEAR", "year", "the year is out of range"));
    }
    amount.require_positive("amount")?;
    Ok(())
}

/// Checks a commitment against the line and returns the line's new committed total.
/// The caller must hold the line locked (or serialised) between reading it and writing back.
pub fn commit(line_amount: Money, line_committed: Money, amount: Money) -> DomainResult<Money> {
    let amount = amount.require_positive("amount")?;
    let available = line_amount.checked_sub(line_committed).unwrap_or(Money::ZERO);
    if amount > available {
        return Err(DomainError::field(
            "INSUFFICIENT_FUNDS",
            "amount",
            format!("the funding line has {available} left"),
        ));
    }
    line_committed
        .checked_add(amount)
        .ok_or_else(|| DomainError::field("INVALID_AMOUNT", "amount", "the amount is implausibly large"))
}

string_enum! {
    /// What a commitment row does to its line.
    CommitmentKind {
        /// Reserves funds (*impegno*).
        Commitment = "commitment",
        /// Gives back what a closed intervention did not spend (*economia*).
        Release = "release",
    }
}

/// Releases `amount` of a line's commitments and returns the new committed total.
pub fn release(line_committed: Money, amount: Money) -> DomainResult<Money> {
    let amount = amount.require_positive("amount")?;
    line_committed.checked_sub(amount).filter(|m| !m.is_negative()).ok_or_else(|| {
        DomainError::field("INVALID_AMOUNT", "amount", "cannot release more than is committed on the line")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitment_never_exceeds_what_is_left() {
        let total = Money::from_euro(1000);
        assert_eq!(commit(total, Money::from_euro(400), Money::from_euro(600)), Ok(total));
        let over = commit(total, Money::from_euro(400), Money::from_cents(60_001));
        assert_eq!(over.map_err(|e| e.code), Err("INSUFFICIENT_FUNDS"));
        assert_eq!(commit(total, total, Money::from_cents(1)).map_err(|e| e.code), Err("INSUFFICIENT_FUNDS"));
    }

    #[test]
    fn commitment_must_be_positive() {
        let total = Money::from_euro(1000);
        assert_eq!(commit(total, Money::ZERO, Money::ZERO).map_err(|e| e.code), Err("INVALID_AMOUNT"));
        assert_eq!(commit(total, Money::ZERO, Money::from_cents(-5)).map_err(|e| e.code), Err("INVALID_AMOUNT"));
    }

    #[test]
    fn releases_give_back_at_most_what_is_committed() {
        assert_eq!(release(Money::from_euro(500), Money::from_euro(200)), Ok(Money::from_euro(300)));
        assert!(release(Money::from_euro(100), Money::from_euro(200)).is_err());
        assert!(release(Money::from_euro(100), Money::ZERO).is_err());
    }

    #[test]
    fn funding_line_checks() {
        assert!(validate_funding_line("SAD 2025", 2025, Money::from_euro(10)).is_ok());
        assert!(validate_funding_line("", 2025, Money::from_euro(10)).is_err());
        assert!(validate_funding_line("x", 1999, Money::from_euro(10)).is_err());
        assert!(validate_funding_line("x", 2025, Money::ZERO).is_err());
    }
}

/// A commitment (*impegno*).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commitment {
    /// Key.
    pub id: CommitmentId,
    /// Commitment or release.
    pub kind: CommitmentKind,
    /// The line.
    pub funding_line_id: FundingLineId,
    /// The intervention it funds, when tied to one.
    pub intervention_id: Option<InterventionId>,
    /// Amount.
    pub amount: Money,
    /// Date of the act.
    pub committed_on: NaiveDate,
    /// Description.
    pub description: Option<String>,
    /// Who recorded it.
    pub created_by: Option<OperatorId>,
}
