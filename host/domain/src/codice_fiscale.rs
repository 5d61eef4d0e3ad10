//! Italian tax code (*codice fiscale*) value object.
//!
//! Two forms are accepted:
//!
//! * the 16-character alphanumeric **personal** code assigned to natural
//!   persons, including *omocodia* variants (where some of the seven numeric
//!   positions are replaced by substitution letters to disambiguate
//!   otherwise identical codes);
//! * the 11-digit **temporary** numeric code (*codice fiscale provvisorio*),
//!   which uses the same format and check digit as the numeric codes of legal
//!   persons and the *partita IVA*.
//!
//! Validation is purely syntactic: structure, month letter, day range and
//! check character/digit are verified, but no registry lookup is performed
//! (e.g. the Belfiore place code is not checked against a list of
//! municipalities).
//!
//! A codice fiscale is personal data: error values and their messages never
//! contain the code (or any part of it) being validated, so they are safe to
//! log.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Length of the personal (natural person) code.
const PERSONAL_LEN: usize = 16;

/// Length of the temporary numeric code.
const TEMPORARY_LEN: usize = 11;

/// Zero-based indices of the personal code positions that hold digits,
/// possibly replaced by omocodia substitution letters.
const NUMERIC_POSITIONS: [usize; 7] = [6, 7, 9, 10, 12, 13, 14];

/// Omocodia substitution letters; the letter at index `d` stands for digit `d`.
const OMOCODIA_LETTERS: [u8; 10] = *b"LMNPQRSTUV";

/// Month letters; the letter at index `m` stands for month `m + 1`.
const MONTH_LETTERS: [u8; 12] = *b"ABCDEHLMPRST";

/// Zero-based index of the month letter in a personal code.
const MONTH_INDEX: usize = 8;

/// Zero-based index of the check character in a personal code.
const CHECK_INDEX: usize = 15;

/// Values of the characters in odd (1-based) positions for the check
/// character computation, indexed by letter (`A` = 0 … `Z` = 25); digits use
/// the value of the letter with the same ordinal (`0` as `A`, `1` as `B`, …).
const ODD_VALUES: [u8; 26] =
    [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];

/// Females have 40 added to their day of birth.
const FEMALE_DAY_OFFSET: u8 = 40;

/// A syntactically valid Italian codice fiscale, stored in normalised
/// (trimmed, uppercase) form.
///
/// Construct it with [`CodiceFiscale::parse`] (or via [`FromStr`] /
/// [`TryFrom<String>`]); it serialises as a plain string and deserialisation
/// validates the input.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CodiceFiscale(String);

/// The form of a [`CodiceFiscale`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodiceFiscaleKind {
    /// The 16-character alphanumeric code of a natural person.
    Personal,
    /// The 11-digit temporary numeric code (same format as the numeric code
    /// of legal persons).
    Temporary,
}

/// Sex encoded in a personal codice fiscale (via the day of birth).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum Sex {
    /// Male (M): day of birth encoded as 01–31.
    #[cfg_attr(feature = "graphql", graphql(name = "M"))]
    Male,
    /// Female (F): day of birth encoded as 41–71 (day + 40).
    #[cfg_attr(feature = "graphql", graphql(name = "F"))]
    Female,
}

/// Reasons why a string is not a valid codice fiscale.
///
/// Messages never include the code being validated, since it is personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodiceFiscaleError {
    /// The input is empty (or only whitespace).
    #[error("codice fiscale is empty")]
    Empty,
    /// The input (after trimming) is neither 16 nor 11 characters long.
    #[error(
        "codice fiscale has invalid length {len}: expected 16 characters (personal code) or 11 digits (temporary code)"
    )]
    InvalidLength {
        /// Number of characters found after trimming.
        len: usize,
    },
    /// A character is not allowed at its position.
    #[error("codice fiscale contains an invalid character at position {position}")]
    InvalidCharacter {
        /// 1-based position of the offending character in the trimmed input.
        position: usize,
    },
    /// The month letter is not one of `A B C D E H L M P R S T`.
    #[error("codice fiscale has an invalid birth month letter")]
    InvalidMonth,
    /// The encoded day of birth is outside 01–31 (male) and 41–71 (female).
    #[error("codice fiscale has an invalid birth day: expected 01-31 or 41-71")]
    InvalidDay,
    /// The check character (or check digit) does not match the computed one.
    /// The message names neither character: it would let anyone complete a code.
    #[error("codice fiscale check character does not match the rest of the code")]
    InvalidCheckCharacter {
        /// The check character computed from the rest of the code.
        expected: char,
        /// The check character actually present (normalised to uppercase).
        found: char,
    },
}

impl CodiceFiscale {
    /// Parses and validates a codice fiscale.
    ///
    /// Leading/trailing whitespace is ignored and letters are uppercased.
    /// A 16-character input is validated as a personal code (omocodia
    /// variants included), an 11-character input as a temporary numeric code.
    ///
    /// # Errors
    ///
    /// Returns a [`CodiceFiscaleError`] describing the first problem found;
    /// character checks come first, then month, day and finally the check
    /// character.
    pub fn parse(input: &str) -> Result<Self, CodiceFiscaleError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(CodiceFiscaleError::Empty);
        }
        match trimmed.chars().count() {
            PERSONAL_LEN => parse_personal(trimmed),
            TEMPORARY_LEN => parse_temporary(trimmed),
            len => Err(CodiceFiscaleError::InvalidLength { len }),
        }
    }

    /// The normalised code as a string slice.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a personal or a temporary code.
    #[must_use]
    pub fn kind(&self) -> CodiceFiscaleKind {
        if self.0.len() == PERSONAL_LEN { CodiceFiscaleKind::Personal } else { CodiceFiscaleKind::Temporary }
    }

    /// Whether this is a personal code using omocodia substitution letters
    /// in any of its numeric positions. Always `false` for temporary codes.
    #[must_use]
    pub fn is_omocode(&self) -> bool {
        match self.personal_bytes() {
            Some(bytes) => NUMERIC_POSITIONS.iter().any(|&i| bytes.get(i).is_some_and(|b| !b.is_ascii_digit())),
            None => false,
        }
    }

    /// The canonical (base) form of the code.
    ///
    /// For personal codes, omocodia substitution letters are decoded back to
    /// digits and the check character is recomputed; a code without
    /// substitutions is returned unchanged. Temporary codes are returned
    /// unchanged.
    #[must_use]
    pub fn canonical(&self) -> CodiceFiscale {
        let Some(bytes) = self.personal_bytes() else {
            return self.clone();
        };
        let mut base = *bytes;
        for &i in &NUMERIC_POSITIONS {
            if let Some(slot) = base.get_mut(i)
                && let Some(digit) = decode_numeric(*slot)
            {
                *slot = b'0' + digit;
            }
        }
        let Some(check) = compute_check_character(&base) else {
            return self.clone();
        };
        base[CHECK_INDEX] = check;
        // All bytes are ASCII, so this conversion cannot fail in practice.
        match String::from_utf8(base.to_vec()) {
            Ok(s) => CodiceFiscale(s),
            Err(_) => self.clone(),
        }
    }

    /// Birth date components of a personal code: two-digit year (`0..=99`,
    /// century not encoded), month (`1..=12`) and day of month (`1..=31`,
    /// with the female offset removed). `None` for temporary codes.
    #[must_use]
    pub fn birth_date_parts(&self) -> Option<(u8, u8, u8)> {
        let bytes = self.personal_bytes()?;
        let year = decode_two_digits(bytes[6], bytes[7])?;
        let month = decode_month(bytes[MONTH_INDEX])?;
        let encoded_day = decode_two_digits(bytes[9], bytes[10])?;
        let (day, _) = split_day(encoded_day)?;
        Some((year, month, day))
    }

    /// Sex encoded in a personal code. `None` for temporary codes.
    #[must_use]
    pub fn sex(&self) -> Option<Sex> {
        let bytes = self.personal_bytes()?;
        let encoded_day = decode_two_digits(bytes[9], bytes[10])?;
        split_day(encoded_day).map(|(_, sex)| sex)
    }

    /// The Belfiore code of the place of birth (municipality, or `Z…` for a
    /// foreign country) of a personal code, with omocodia substitutions
    /// decoded, e.g. `"H501"`. `None` for temporary codes.
    #[must_use]
    pub fn birth_place_code(&self) -> Option<String> {
        let bytes = self.personal_bytes()?;
        let mut place = String::with_capacity(4);
        place.push(char::from(bytes[11]));
        for &b in &bytes[12..15] {
            place.push(char::from(b'0' + decode_numeric(b)?));
        }
        Some(place)
    }

    /// The code bytes if this is a personal code.
    fn personal_bytes(&self) -> Option<&[u8; PERSONAL_LEN]> {
        self.0.as_bytes().try_into().ok()
    }
}

/// Validates a trimmed 16-character input as a personal code.
fn parse_personal(trimmed: &str) -> Result<CodiceFiscale, CodiceFiscaleError> {
    let mut code = [0u8; PERSONAL_LEN];
    for (index, (slot, c)) in code.iter_mut().zip(trimmed.chars()).enumerate() {
        let numeric = NUMERIC_POSITIONS.contains(&index);
        let byte = Some(c)
            .filter(char::is_ascii)
            .and_then(|c| u8::try_from(c.to_ascii_uppercase()).ok())
            .filter(|&b| if numeric { decode_numeric(b).is_some() } else { b.is_ascii_uppercase() })
            .ok_or(CodiceFiscaleError::InvalidCharacter { position: index + 1 })?;
        *slot = byte;
    }

    if decode_month(code[MONTH_INDEX]).is_none() {
        return Err(CodiceFiscaleError::InvalidMonth);
    }
    let encoded_day = decode_two_digits(code[9], code[10]).ok_or(CodiceFiscaleError::InvalidDay)?;
    if split_day(encoded_day).is_none() {
        return Err(CodiceFiscaleError::InvalidDay);
    }

    let expected =
        compute_check_character(&code).ok_or(CodiceFiscaleError::InvalidCharacter { position: CHECK_INDEX + 1 })?;
    let found = code[CHECK_INDEX];
    if expected != found {
        return Err(CodiceFiscaleError::InvalidCheckCharacter {
            expected: char::from(expected),
            found: char::from(found),
        });
    }

    String::from_utf8(code.to_vec())
        .map(CodiceFiscale)
        .map_err(|_| CodiceFiscaleError::InvalidCharacter { position: 1 })
}

/// Validates a trimmed 11-character input as a temporary numeric code.
fn parse_temporary(trimmed: &str) -> Result<CodiceFiscale, CodiceFiscaleError> {
    let mut digits = [0u8; TEMPORARY_LEN];
    for (index, (slot, c)) in digits.iter_mut().zip(trimmed.chars()).enumerate() {
        let digit = c
            .to_digit(10)
            .and_then(|d| u8::try_from(d).ok())
            .ok_or(CodiceFiscaleError::InvalidCharacter { position: index + 1 })?;
        *slot = digit;
    }

    let expected = compute_check_digit(&digits);
    let found = digits[TEMPORARY_LEN - 1];
    if expected != found {
        return Err(CodiceFiscaleError::InvalidCheckCharacter {
            expected: char::from(b'0' + expected),
            found: char::from(b'0' + found),
        });
    }

    let normalised: String = digits.iter().map(|&d| char::from(b'0' + d)).collect();
    Ok(CodiceFiscale(normalised))
}

/// Decodes a byte in a numeric position: a digit or an omocodia
/// substitution letter, yielding the digit value `0..=9`.
fn decode_numeric(byte: u8) -> Option<u8> {
    if byte.is_ascii_digit() {
        return Some(byte - b'0');
    }
    OMOCODIA_LETTERS.iter().position(|&l| l == byte).and_then(|p| u8::try_from(p).ok())
}

/// Decodes two numeric-position bytes into a number `0..=99`.
fn decode_two_digits(tens: u8, units: u8) -> Option<u8> {
    Some(decode_numeric(tens)? * 10 + decode_numeric(units)?)
}

/// Decodes a month letter into the month number `1..=12`.
fn decode_month(byte: u8) -> Option<u8> {
    MONTH_LETTERS.iter().position(|&l| l == byte).and_then(|p| u8::try_from(p + 1).ok())
}

/// Splits an encoded day (`1..=31` or `41..=71`) into day of month and sex.
fn split_day(encoded: u8) -> Option<(u8, Sex)> {
    match encoded {
        1..=31 => Some((encoded, Sex::Male)),
        41..=71 => Some((encoded - FEMALE_DAY_OFFSET, Sex::Female)),
        _ => None,
    }
}

/// Value of an uppercase letter or digit as an ordinal `0..=25`
/// (`A`/`0` = 0, `B`/`1` = 1, …).
fn ordinal(byte: u8) -> Option<u8> {
    if byte.is_ascii_digit() {
        Some(byte - b'0')
    } else if byte.is_ascii_uppercase() {
        Some(byte - b'A')
    } else {
        None
    }
}

/// Computes the check character of a personal code from its first 15
/// characters (the 16th is ignored).
fn compute_check_character(code: &[u8; PERSONAL_LEN]) -> Option<u8> {
    let mut sum: u32 = 0;
    for (index, &byte) in code.iter().take(CHECK_INDEX).enumerate() {
        let ord = ordinal(byte)?;
        // Zero-based even index = 1-based odd position.
        let value = if index % 2 == 0 { *ODD_VALUES.get(usize::from(ord))? } else { ord };
        sum += u32::from(value);
    }
    let remainder = u8::try_from(sum % 26).ok()?;
    Some(b'A' + remainder)
}

/// Computes the check digit of an 11-digit numeric code from its first 10
/// digits (the 11th is ignored).
fn compute_check_digit(digits: &[u8; TEMPORARY_LEN]) -> u8 {
    let mut sum: u32 = 0;
    for (index, &digit) in digits.iter().take(TEMPORARY_LEN - 1).enumerate() {
        // Zero-based odd index = 1-based even position: double it.
        let value = if index % 2 == 1 {
            let doubled = digit * 2;
            if doubled > 9 { doubled - 9 } else { doubled }
        } else {
            digit
        };
        sum += u32::from(value);
    }
    // `sum % 10` is 0..=9, so the result is 0..=9 and fits in a u8.
    let check = (10 - sum % 10) % 10;
    u8::try_from(check).unwrap_or(0)
}

impl fmt::Display for CodiceFiscale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for CodiceFiscale {
    type Err = CodiceFiscaleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for CodiceFiscale {
    type Error = CodiceFiscaleError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CodiceFiscale> for String {
    fn from(value: CodiceFiscale) -> Self {
        value.0
    }
}

impl AsRef<str> for CodiceFiscale {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), CodiceFiscaleError>;

    /// Classic example: Mario Rossi, male, born 10 Dec 1985 in Bagheria (A562).
    const MARIO_ROSSI: &str = "RSSMRA85T10A562S";

    /// Female, born 1 Jan 1990 in Milano (F205).
    const FEMALE: &str = "BNCLRA90A41F205I";

    // ---- personal codes: valid --------------------------------------------

    #[test]
    fn classic_example_is_valid() -> TestResult {
        let cf = CodiceFiscale::parse(MARIO_ROSSI)?;
        assert_eq!(cf.as_str(), MARIO_ROSSI);
        assert_eq!(cf.to_string(), MARIO_ROSSI);
        assert_eq!(cf.kind(), CodiceFiscaleKind::Personal);
        assert!(!cf.is_omocode());
        assert_eq!(cf.canonical(), cf);
        assert_eq!(cf.birth_date_parts(), Some((85, 12, 10)));
        assert_eq!(cf.sex(), Some(Sex::Male));
        assert_eq!(cf.birth_place_code().as_deref(), Some("A562"));
        Ok(())
    }

    #[test]
    fn other_valid_codes() -> TestResult {
        for code in ["VRDGPP13R10B293P", FEMALE, MARIO_ROSSI] {
            let cf = CodiceFiscale::parse(code)?;
            assert_eq!(cf.as_str(), code);
        }
        Ok(())
    }

    #[test]
    fn lowercase_and_whitespace_are_normalised() -> TestResult {
        let cf = CodiceFiscale::parse("  rssmra85t10a562s\n")?;
        assert_eq!(cf.as_str(), MARIO_ROSSI);
        let mixed = CodiceFiscale::parse("RssMra85T10a562s")?;
        assert_eq!(mixed, cf);
        Ok(())
    }

    #[test]
    fn female_day_offset() -> TestResult {
        let cf = CodiceFiscale::parse(FEMALE)?;
        assert_eq!(cf.sex(), Some(Sex::Female));
        assert_eq!(cf.birth_date_parts(), Some((90, 1, 1)));
        assert_eq!(cf.birth_place_code().as_deref(), Some("F205"));
        Ok(())
    }

    #[test]
    fn day_boundaries_accepted() -> TestResult {
        for (day, expected_day, expected_sex) in
            [("01", 1, Sex::Male), ("31", 31, Sex::Male), ("41", 1, Sex::Female), ("71", 31, Sex::Female)]
        {
            let code = with_check(&format!("RSSMRA85T{day}A562"));
            let cf = CodiceFiscale::parse(&code)?;
            assert_eq!(cf.birth_date_parts(), Some((85, 12, expected_day)));
            assert_eq!(cf.sex(), Some(expected_sex));
        }
        Ok(())
    }

    #[test]
    fn all_month_letters_accepted() -> TestResult {
        for (i, letter) in "ABCDEHLMPRST".chars().enumerate() {
            let code = with_check(&format!("RSSMRA85{letter}10A562"));
            let cf = CodiceFiscale::parse(&code)?;
            let month = u8::try_from(i + 1).map_err(|_| CodiceFiscaleError::InvalidMonth)?;
            assert_eq!(cf.birth_date_parts(), Some((85, month, 10)));
        }
        Ok(())
    }

    #[test]
    fn foreign_birth_place() -> TestResult {
        let code = with_check("RSSMRA85T10Z404");
        let cf = CodiceFiscale::parse(&code)?;
        assert_eq!(cf.birth_place_code().as_deref(), Some("Z404"));
        Ok(())
    }

    // ---- omocodia ---------------------------------------------------------

    #[test]
    fn omocode_last_digit() -> TestResult {
        // Last numeric position 2 -> N, check recomputed.
        let cf = CodiceFiscale::parse("RSSMRA85T10A56NH")?;
        assert!(cf.is_omocode());
        assert_eq!(cf.kind(), CodiceFiscaleKind::Personal);
        assert_eq!(cf.canonical().as_str(), MARIO_ROSSI);
        assert_eq!(cf.birth_date_parts(), Some((85, 12, 10)));
        assert_eq!(cf.sex(), Some(Sex::Male));
        assert_eq!(cf.birth_place_code().as_deref(), Some("A562"));
        assert_ne!(cf, cf.canonical());
        Ok(())
    }

    #[test]
    fn omocode_two_digits() -> TestResult {
        let cf = CodiceFiscale::parse("RSSMRA85T10A5SNT")?;
        assert!(cf.is_omocode());
        assert_eq!(cf.canonical().as_str(), MARIO_ROSSI);
        Ok(())
    }

    #[test]
    fn omocode_all_numeric_positions() -> TestResult {
        let cf = CodiceFiscale::parse("RSSMRAURTMLARSNL")?;
        assert!(cf.is_omocode());
        assert_eq!(cf.canonical().as_str(), MARIO_ROSSI);
        assert_eq!(cf.birth_date_parts(), Some((85, 12, 10)));
        assert_eq!(cf.birth_place_code().as_deref(), Some("A562"));
        Ok(())
    }

    #[test]
    fn omocode_female_in_lowercase() -> TestResult {
        let cf = CodiceFiscale::parse("bnclra90a41f20rd")?;
        assert!(cf.is_omocode());
        assert_eq!(cf.sex(), Some(Sex::Female));
        assert_eq!(cf.birth_date_parts(), Some((90, 1, 1)));
        assert_eq!(cf.canonical().as_str(), FEMALE);
        Ok(())
    }

    #[test]
    fn omocode_with_wrong_check_is_rejected() {
        // Base check character kept after substitution: must be rejected.
        assert_eq!(
            CodiceFiscale::parse("RSSMRA85T10A56NS"),
            Err(CodiceFiscaleError::InvalidCheckCharacter { expected: 'H', found: 'S' })
        );
    }

    #[test]
    fn omocode_day_decoded_for_validation() {
        // Day "3N" = 32 via substitution letter: invalid.
        let code = with_check("RSSMRA85T3NA562");
        assert_eq!(CodiceFiscale::parse(&code), Err(CodiceFiscaleError::InvalidDay));
    }

    // ---- personal codes: invalid ------------------------------------------

    #[test]
    fn wrong_check_character_reports_expected() {
        assert_eq!(
            CodiceFiscale::parse("RSSMRA85T10A562X"),
            Err(CodiceFiscaleError::InvalidCheckCharacter { expected: 'S', found: 'X' })
        );
        assert_eq!(
            CodiceFiscale::parse("rssmra85t10a562x"),
            Err(CodiceFiscaleError::InvalidCheckCharacter { expected: 'S', found: 'X' })
        );
    }

    #[test]
    fn single_character_change_is_detected() {
        // Altering a character without fixing the check must fail.
        assert!(matches!(
            CodiceFiscale::parse("RSSMRB85T10A562S"),
            Err(CodiceFiscaleError::InvalidCheckCharacter { .. })
        ));
    }

    #[test]
    fn bad_month_rejected() {
        for letter in ['F', 'G', 'I', 'Z'] {
            let code = with_check(&format!("RSSMRA85{letter}10A562"));
            assert_eq!(CodiceFiscale::parse(&code), Err(CodiceFiscaleError::InvalidMonth));
        }
    }

    #[test]
    fn bad_day_rejected() {
        for day in ["00", "32", "40", "72", "99"] {
            let code = with_check(&format!("RSSMRA85T{day}A562"));
            assert_eq!(CodiceFiscale::parse(&code), Err(CodiceFiscaleError::InvalidDay), "day {day}");
        }
    }

    #[test]
    fn wrong_length_rejected() {
        assert_eq!(CodiceFiscale::parse("RSSMRA85T10A562"), Err(CodiceFiscaleError::InvalidLength { len: 15 }));
        assert_eq!(CodiceFiscale::parse("RSSMRA85T10A562SS"), Err(CodiceFiscaleError::InvalidLength { len: 17 }));
        assert_eq!(CodiceFiscale::parse("1234567890"), Err(CodiceFiscaleError::InvalidLength { len: 10 }));
        assert_eq!(CodiceFiscale::parse("RSSMRA 85T10A562S"), Err(CodiceFiscaleError::InvalidLength { len: 17 }));
    }

    #[test]
    fn empty_rejected() {
        assert_eq!(CodiceFiscale::parse(""), Err(CodiceFiscaleError::Empty));
        assert_eq!(CodiceFiscale::parse("   \t"), Err(CodiceFiscaleError::Empty));
    }

    #[test]
    fn invalid_characters_in_letter_positions() {
        // Digit in the surname block.
        assert_eq!(CodiceFiscale::parse("R5SMRA85T10A562S"), Err(CodiceFiscaleError::InvalidCharacter { position: 2 }));
        // Digit in the month position.
        assert_eq!(CodiceFiscale::parse("RSSMRA85110A562S"), Err(CodiceFiscaleError::InvalidCharacter { position: 9 }));
        // Digit in the place letter position.
        assert_eq!(
            CodiceFiscale::parse("RSSMRA85T101562S"),
            Err(CodiceFiscaleError::InvalidCharacter { position: 12 })
        );
        // Digit as check character.
        assert_eq!(
            CodiceFiscale::parse("RSSMRA85T10A5621"),
            Err(CodiceFiscaleError::InvalidCharacter { position: 16 })
        );
        // Punctuation.
        assert_eq!(CodiceFiscale::parse("RSSMR-85T10A562S"), Err(CodiceFiscaleError::InvalidCharacter { position: 6 }));
    }

    #[test]
    fn invalid_characters_in_numeric_positions() {
        // 'A' is not a substitution letter.
        assert_eq!(CodiceFiscale::parse("RSSMRAA5T10A562S"), Err(CodiceFiscaleError::InvalidCharacter { position: 7 }));
        // 'W' is not a substitution letter.
        assert_eq!(
            CodiceFiscale::parse("RSSMRA85T10A56WS"),
            Err(CodiceFiscaleError::InvalidCharacter { position: 15 })
        );
        // 'O' is not a substitution letter (looks like zero).
        assert_eq!(
            CodiceFiscale::parse("RSSMRA85T1OA562S"),
            Err(CodiceFiscaleError::InvalidCharacter { position: 11 })
        );
    }

    #[test]
    fn non_ascii_rejected() {
        // 16 chars, multi-byte 'À' at position 6.
        assert_eq!(CodiceFiscale::parse("RSSMRÀ85T10A562S"), Err(CodiceFiscaleError::InvalidCharacter { position: 6 }));
        // 11 chars with a non-ASCII digit.
        assert_eq!(CodiceFiscale::parse("1234567890٣"), Err(CodiceFiscaleError::InvalidCharacter { position: 11 }));
    }

    // ---- temporary numeric codes ------------------------------------------

    #[test]
    fn valid_temporary_codes() -> TestResult {
        for code in ["12345678903", "01234567897", "01114601006", "02012345670", "00000000000"] {
            let cf = CodiceFiscale::parse(code)?;
            assert_eq!(cf.as_str(), code);
            assert_eq!(cf.kind(), CodiceFiscaleKind::Temporary);
            assert!(!cf.is_omocode());
            assert_eq!(cf.canonical(), cf);
            assert_eq!(cf.birth_date_parts(), None);
            assert_eq!(cf.sex(), None);
            assert_eq!(cf.birth_place_code(), None);
        }
        Ok(())
    }

    #[test]
    fn temporary_code_is_trimmed() -> TestResult {
        let cf = CodiceFiscale::parse(" 12345678903 ")?;
        assert_eq!(cf.as_str(), "12345678903");
        Ok(())
    }

    #[test]
    fn temporary_code_wrong_check_digit() {
        assert_eq!(
            CodiceFiscale::parse("12345678901"),
            Err(CodiceFiscaleError::InvalidCheckCharacter { expected: '3', found: '1' })
        );
        assert_eq!(
            CodiceFiscale::parse("01114601007"),
            Err(CodiceFiscaleError::InvalidCheckCharacter { expected: '6', found: '7' })
        );
    }

    #[test]
    fn temporary_code_with_letters_rejected() {
        assert_eq!(CodiceFiscale::parse("1234567890A"), Err(CodiceFiscaleError::InvalidCharacter { position: 11 }));
        assert_eq!(CodiceFiscale::parse("A2345678903"), Err(CodiceFiscaleError::InvalidCharacter { position: 1 }));
    }

    #[test]
    fn check_digit_doubling_over_nine() {
        // Even positions hold 9 (doubled 18 -> 9): 0909090909 -> sum 45 -> check 5.
        assert!(CodiceFiscale::parse("09090909095").is_ok());
        assert!(CodiceFiscale::parse("09090909094").is_err());
    }

    // ---- conversions and serde --------------------------------------------

    #[test]
    fn conversions_round_trip() -> TestResult {
        let cf: CodiceFiscale = "rssmra85t10a562s".parse()?;
        let s: String = cf.clone().into();
        assert_eq!(s, MARIO_ROSSI);
        let back = CodiceFiscale::try_from(s)?;
        assert_eq!(back, cf);
        assert_eq!(CodiceFiscale::try_from(String::from("nope")), Err(CodiceFiscaleError::InvalidLength { len: 4 }));
        Ok(())
    }

    #[test]
    fn serde_attributes_use_string_conversions() {
        // Compile-time check that the serde bounds are satisfied.
        fn assert_serde<T: Serialize + for<'de> Deserialize<'de>>() {}
        assert_serde::<CodiceFiscale>();
        assert_serde::<Sex>();
    }

    #[test]
    fn deserialisation_validates_and_normalises() {
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error as DeError, StringDeserializer};

        let de: StringDeserializer<DeError> = String::from(" rssmra85t10a562s").into_deserializer();
        let parsed = CodiceFiscale::deserialize(de).map(String::from);
        assert_eq!(parsed, Ok(String::from(MARIO_ROSSI)));

        let de: StringDeserializer<DeError> = String::from("RSSMRA85T10A562X").into_deserializer();
        let rejected = CodiceFiscale::deserialize(de);
        assert!(rejected.is_err());
        if let Err(err) = rejected {
            assert!(!err.to_string().contains("RSSMRA"));
        }
    }

    #[test]
    fn error_messages_do_not_leak_the_code() {
        let inputs = [
            "RSSMRA85T10A562X",
            "RSSMRA85F10A562S",
            "RSSMRA85T32A562S",
            "R5SMRA85T10A562S",
            "RSSMRA85T10A562",
            "12345678901",
        ];
        for input in inputs {
            let result = CodiceFiscale::parse(input);
            assert!(result.is_err(), "input should be invalid");
            if let Err(err) = result {
                let message = err.to_string();
                assert!(!message.contains(input));
                assert!(!message.contains("RSSMRA"));
                assert!(!message.contains("A562"));
                assert!(!message.contains("1234567"));
                assert!(!format!("{err:?}").contains(input));
            }
        }
    }

    #[test]
    fn ordering_and_hash_are_on_normalised_form() -> TestResult {
        use std::collections::HashSet;
        let a = CodiceFiscale::parse("rssmra85t10a562s")?;
        let b = CodiceFiscale::parse(MARIO_ROSSI)?;
        let mut set = HashSet::new();
        set.insert(a.clone());
        assert!(!set.insert(b.clone()));
        assert_eq!(a.cmp(&b), std::cmp::Ordering::Equal);
        Ok(())
    }

    /// Builds a full personal code from its first 15 characters by appending
    /// the correct check character (returns the input unchanged if it cannot).
    fn with_check(first15: &str) -> String {
        let mut bytes = [b'A'; PERSONAL_LEN];
        for (slot, b) in bytes.iter_mut().zip(first15.bytes()) {
            *slot = b;
        }
        match compute_check_character(&bytes) {
            Some(check) => format!("{first15}{}", char::from(check)),
            None => first15.to_owned(),
        }
    }
}
