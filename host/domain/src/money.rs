//! Money as integer euro cents. Never floating point.
//!
//! Text form: a plain decimal with at most two fraction digits and a dot, e.g. `"1200"`,
//! `"800.5"`, `"-3.20"`. That is what the API exchanges, so no client ever sees binary floats.

use std::fmt;
use std::str::FromStr;

use crate::error::DomainError;

/// The largest amount the system accepts: one hundred billion euro, in cents.
pub const MAX_CENTS: i64 = 100_000_000_000 * 100;

/// An amount in euro cents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

impl Money {
    /// Zero euro.
    pub const ZERO: Money = Money(0);

    /// From a number of cents.
    pub const fn from_cents(cents: i64) -> Money {
        Money(cents)
    }

    /// From whole euro (saturating; for constants and tests).
    pub const fn from_euro(euro: i64) -> Money {
        Money(euro.saturating_mul(100))
    }

    /// From whole euro as entered by a user: `None` when out of range.
    pub fn checked_from_euro(euro: i64) -> Option<Money> {
        euro.checked_mul(100).filter(|c| c.abs() <= MAX_CENTS).map(Money)
    }

    /// The amount in cents.
    pub const fn cents(self) -> i64 {
        self.0
    }

    /// `true` when the amount is below zero.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Sum that reports overflow instead of wrapping.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    /// Difference that reports overflow instead of wrapping.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    /// Product by an integer count (days, months), reporting overflow.
    pub fn checked_mul(self, n: i64) -> Option<Money> {
        self.0.checked_mul(n).map(Money)
    }

    /// Checks the amount is positive and not absurd; used for every amount a user enters.
    pub fn require_positive(self, field: &'static str) -> Result<Money, DomainError> {
        if self.0 <= 0 {
            return Err(DomainError::field("INVALID_AMOUNT", field, "the amount must be greater than zero"));
        }
        self.require_plausible(field)
    }

    /// Checks the amount is zero or positive and not absurd.
    pub fn require_non_negative(self, field: &'static str) -> Result<Money, DomainError> {
        if self.0 < 0 {
            return Err(DomainError::field("INVALID_AMOUNT", field, "the amount must not be negative"));
        }
        self.require_plausible(field)
    }

    fn require_plausible(self, field: &'static str) -> Result<Money, DomainError> {
        if self.0.abs() > MAX_CENTS {
            return Err(DomainError::field("INVALID_AMOUNT", field, "the amount is implausibly large"));
        }
        Ok(self)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// Why a text is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyParseError {
    /// Empty input.
    #[error("the amount is empty")]
    Empty,
    /// Not a plain decimal number.
    #[error("the amount must be a decimal number like 1200 or 800.50")]
    Malformed,
    /// More than two fraction digits.
    #[error("the amount has more than two decimal places")]
    TooPrecise,
    /// Out of range.
    #[error("the amount is implausibly large")]
    TooLarge,
}

impl FromStr for Money {
    type Err = MoneyParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Err(MoneyParseError::Empty);
        }
        let (negative, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (int_part, frac_part) = match body.split_once('.') {
            Some((i, f)) => (i, f),
            None => (body, ""),
        };
        if int_part.is_empty() || !int_part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MoneyParseError::Malformed);
        }
        if !frac_part.bytes().all(|b| b.is_ascii_digit()) || (body.contains('.') && frac_part.is_empty()) {
            return Err(MoneyParseError::Malformed);
        }
        if frac_part.len() > 2 {
            return Err(MoneyParseError::TooPrecise);
        }
        if int_part.len() > 15 {
            return Err(MoneyParseError::TooLarge);
        }
        let mut cents: i64 = 0;
        for b in int_part.bytes() {
            cents = cents * 10 + i64::from(b - b'0');
        }
        let mut frac: i64 = 0;
        for (i, b) in frac_part.bytes().enumerate() {
            frac += i64::from(b - b'0') * if i == 0 { 10 } else { 1 };
        }
        cents = cents * 100 + frac;
        if cents > MAX_CENTS {
            return Err(MoneyParseError::TooLarge);
        }
        Ok(Money(if negative { -cents } else { cents }))
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    /// Saturating: overflow cannot happen within [`MAX_CENTS`]-bounded amounts.
    fn add(self, rhs: Money) -> Money {
        Money(self.0.saturating_add(rhs.0))
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_decimals_exactly() {
        assert_eq!("1200".parse::<Money>(), Ok(Money::from_cents(120_000)));
        assert_eq!("800.5".parse::<Money>(), Ok(Money::from_cents(80_050)));
        assert_eq!("0.07".parse::<Money>(), Ok(Money::from_cents(7)));
        assert_eq!("-3.20".parse::<Money>(), Ok(Money::from_cents(-320)));
        assert_eq!(" 10.00 ".parse::<Money>(), Ok(Money::from_cents(1000)));
    }

    #[test]
    fn rejects_malformed_and_imprecise_text() {
        assert_eq!("".parse::<Money>(), Err(MoneyParseError::Empty));
        assert_eq!("1e3".parse::<Money>(), Err(MoneyParseError::Malformed));
        assert_eq!("1,50".parse::<Money>(), Err(MoneyParseError::Malformed));
        assert_eq!("1.".parse::<Money>(), Err(MoneyParseError::Malformed));
        assert_eq!(".5".parse::<Money>(), Err(MoneyParseError::Malformed));
        assert_eq!("1.005".parse::<Money>(), Err(MoneyParseError::TooPrecise));
        assert_eq!("99999999999999999".parse::<Money>(), Err(MoneyParseError::TooLarge));
        assert_eq!("NaN".parse::<Money>(), Err(MoneyParseError::Malformed));
    }

    #[test]
    fn displays_with_two_decimals() {
        assert_eq!(Money::from_cents(120_000).to_string(), "1200.00");
        assert_eq!(Money::from_cents(-5).to_string(), "-0.05");
        assert_eq!(Money::from_cents(7).to_string(), "0.07");
    }

    #[test]
    fn round_trips_through_text() {
        for cents in [0, 1, 99, 100, 123_456, -987_654, MAX_CENTS] {
            let m = Money::from_cents(cents);
            assert_eq!(m.to_string().parse::<Money>(), Ok(m));
        }
    }

    #[test]
    fn positivity_checks() {
        assert!(Money::ZERO.require_positive("amount").is_err());
        assert!(Money::from_cents(-1).require_non_negative("amount").is_err());
        assert!(Money::from_cents(MAX_CENTS + 1).require_positive("amount").is_err());
        assert!(Money::from_cents(1).require_positive("amount").is_ok());
    }
}
