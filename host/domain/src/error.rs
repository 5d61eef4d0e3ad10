//! The one error type of domain rules: a stable machine code, the offending input field and a
//! human message. Messages never contain personal data (names, codici fiscali).

use std::fmt;

/// A broken domain rule, shown to the user as a typed error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainError {
    /// Stable, SCREAMING_SNAKE_CASE code that front ends can switch on.
    pub code: &'static str,
    /// The input field the error refers to, in the API's camelCase, when there is one.
    pub field: Option<&'static str>,
    /// An English explanation without personal data.
    pub message: String,
}

impl DomainError {
    /// A rule error not tied to one input field.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, field: None, message: message.into() }
    }

    /// A rule error about one input field.
    pub fn field(code: &'static str, field: &'static str, message: impl Into<String>) -> Self {
        Self { code, field: Some(field), message: message.into() }
    }
}

impl fmt::Display for DomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field {
            Some(field) => write!(f, "{} ({}): {}", self.code, field, self.message),
            None => write!(f, "{}: {}", self.code, self.message),
        }
    }
}

impl std::error::Error for DomainError {}

/// Result of a domain rule.
pub type DomainResult<T> = Result<T, DomainError>;

/// Checks that `from <= to` when both are given.
pub fn check_period(from: chrono::NaiveDate, to: Option<chrono::NaiveDate>, field: &'static str) -> DomainResult<()> {
    match to {
        Some(to) if to < from => {
            Err(DomainError::field("INVALID_PERIOD", field, "the end date is before the start date"))
        }
        _ => Ok(()),
    }
}

/// Checks that a text field is present and not longer than `max` characters.
pub fn check_text(value: &str, field: &'static str, max: usize) -> DomainResult<()> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(DomainError::field("REQUIRED", field, "this field is required"));
    }
    if trimmed.chars().count() > max {
        return Err(DomainError::field("TOO_LONG", field, format!("at most {max} characters are allowed")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn period_end_before_start_is_rejected() {
        assert!(check_period(d(2025, 1, 2), Some(d(2025, 1, 1)), "endOn").is_err());
        assert!(check_period(d(2025, 1, 1), Some(d(2025, 1, 1)), "endOn").is_ok());
        assert!(check_period(d(2025, 1, 1), None, "endOn").is_ok());
    }

    #[test]
    fn text_must_be_present_and_bounded() {
        assert_eq!(check_text("  ", "name", 5).map_err(|e| e.code), Err("REQUIRED"));
        assert_eq!(check_text("abcdef", "name", 5).map_err(|e| e.code), Err("TOO_LONG"));
        assert!(check_text("abc", "name", 5).is_ok());
    }
}
