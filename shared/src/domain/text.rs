//! Names and free text as typed values: trimmed, length-limited, free of control characters,
//! and (for names) free of markup, so what is stored is safe to show anywhere.

use super::redact::redacted_debug;
use serde::{Deserialize, Serialize};

/// Why a piece of text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("is empty")]
    Empty,
    #[error("is longer than {0} characters")]
    TooLong(usize),
    #[error("contains control characters")]
    ControlCharacters,
    #[error("contains characters that are not allowed here")]
    InvalidCharacters,
}

fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A person's name part: letters (any script), spaces, apostrophes, hyphens and periods.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);
redacted_debug!(PersonName);

impl PersonName {
    pub const MAX_LEN: usize = 100;

    pub fn parse(input: &str) -> Result<Self, TextError> {
        if input.chars().any(char::is_control) {
            return Err(TextError::ControlCharacters);
        }
        let s = collapse_whitespace(input);
        if s.is_empty() {
            return Err(TextError::Empty);
        }
        if s.chars().count() > Self::MAX_LEN {
            return Err(TextError::TooLong(Self::MAX_LEN));
        }
        let allowed = |c: char| c.is_alphabetic() || c == ' ' || "'’-.".contains(c) || is_combining_mark(c);
        if !s.chars().all(allowed) || !s.chars().any(char::is_alphabetic) {
            return Err(TextError::InvalidCharacters);
        }
        Ok(PersonName(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Combining marks (accents typed as separate code points) belong in names.
fn is_combining_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

impl TryFrom<String> for PersonName {
    type Error = TextError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        PersonName::parse(&value)
    }
}
impl From<PersonName> for String {
    fn from(v: PersonName) -> String {
        v.0
    }
}

/// Free text a person wrote (a health concern, a note). Line breaks and tabs are kept; other
/// control characters are refused. Treated as health data: never logged.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FreeText(String);
redacted_debug!(FreeText);

impl FreeText {
    /// Longest free text accepted anywhere.
    pub const MAX_LEN: usize = 2000;

    /// Parses text of at most `max` characters (`max` is capped by [`FreeText::MAX_LEN`]).
    pub fn parse(input: &str, max: usize) -> Result<Self, TextError> {
        let max = max.min(Self::MAX_LEN);
        if input.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
            return Err(TextError::ControlCharacters);
        }
        let s = input.trim().replace("\r\n", "\n");
        if s.is_empty() {
            return Err(TextError::Empty);
        }
        if s.chars().count() > max {
            return Err(TextError::TooLong(max));
        }
        Ok(FreeText(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for FreeText {
    type Error = TextError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        FreeText::parse(&value, FreeText::MAX_LEN)
    }
}
impl From<FreeText> for String {
    fn from(v: FreeText) -> String {
        v.0
    }
}

/// A short single-line label (a service interest, a city, a UTM value): no control characters,
/// no angle brackets, whitespace collapsed.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Label(String);

impl std::fmt::Debug for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Label({:?})", self.0)
    }
}

impl Label {
    /// Long enough for a landing-page URL with its query string.
    pub const MAX_LEN: usize = 1000;

    /// Parses a label of at most `max` characters (capped by [`Label::MAX_LEN`]).
    pub fn parse(input: &str, max: usize) -> Result<Self, TextError> {
        let max = max.min(Self::MAX_LEN);
        if input.chars().any(char::is_control) {
            return Err(TextError::ControlCharacters);
        }
        let s = collapse_whitespace(input);
        if s.is_empty() {
            return Err(TextError::Empty);
        }
        if s.chars().count() > max {
            return Err(TextError::TooLong(max));
        }
        if s.contains(['<', '>']) {
            return Err(TextError::InvalidCharacters);
        }
        Ok(Label(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Label {
    type Error = TextError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Label::parse(&value, Label::MAX_LEN)
    }
}
impl From<Label> for String {
    fn from(v: Label) -> String {
        v.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_accept_real_names() {
        for (input, want) in [
            ("  Ann  ", "Ann"),
            ("O'Brien", "O'Brien"),
            ("Jean-Luc", "Jean-Luc"),
            ("Zoë", "Zoë"),
            ("José  María", "José María"),
            ("李", "李"),
            ("St. John", "St. John"),
        ] {
            assert_eq!(PersonName::parse(input).unwrap().as_str(), want);
        }
    }

    #[test]
    fn names_refuse_markup_control_characters_and_excess() {
        assert_eq!(PersonName::parse("<script>alert(1)</script>"), Err(TextError::InvalidCharacters));
        assert_eq!(PersonName::parse("Ann\u{7}"), Err(TextError::ControlCharacters));
        assert_eq!(PersonName::parse("Ann\nLee"), Err(TextError::ControlCharacters));
        assert_eq!(PersonName::parse("   "), Err(TextError::Empty));
        assert_eq!(PersonName::parse("---"), Err(TextError::InvalidCharacters));
        assert_eq!(PersonName::parse(&"a".repeat(101)), Err(TextError::TooLong(100)));
    }

    #[test]
    fn free_text_keeps_line_breaks_and_limits_length() {
        assert_eq!(FreeText::parse(" line one\r\nline two ", 100).unwrap().as_str(), "line one\nline two");
        assert_eq!(FreeText::parse("x\u{1b}[31m", 100), Err(TextError::ControlCharacters));
        assert_eq!(FreeText::parse(&"é".repeat(11), 10), Err(TextError::TooLong(10)));
        assert!(FreeText::parse(&"é".repeat(10), 10).is_ok());
    }

    #[test]
    fn labels_are_single_line_and_markup_free() {
        assert_eq!(Label::parse(" spring  sale ", 50).unwrap().as_str(), "spring sale");
        assert_eq!(Label::parse("a<b", 50), Err(TextError::InvalidCharacters));
    }

    #[test]
    fn personal_text_never_prints_in_debug() {
        assert_eq!(format!("{:?}", PersonName::parse("Ann").unwrap()), "PersonName(<redacted>)");
        assert_eq!(format!("{:?}", FreeText::parse("bleeding", 50).unwrap()), "FreeText(<redacted>)");
    }
}
