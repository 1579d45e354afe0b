//! Phone numbers, parsed once at the boundary into E.164 with libphonenumber's metadata.

use super::redact::redacted_debug;
use phonenumber::country::Id as CountryId;
use phonenumber::metadata::DATABASE;
use phonenumber::{Mode, Type};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// A region used to read numbers typed without a country code (CLDR id, e.g. `US`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Region(CountryId);

impl Region {
    /// The United States, the default region.
    pub const US: Region = Region(CountryId::US);

    /// The region's CLDR id.
    pub fn code(&self) -> String {
        self.0.as_ref().to_owned()
    }
}

impl std::fmt::Debug for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Region({})", self.0.as_ref())
    }
}

impl FromStr for Region {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CountryId::from_str(&s.trim().to_ascii_uppercase()).map(Region).map_err(|_| PhoneError::UnknownRegion)
    }
}

impl Default for Region {
    fn default() -> Self {
        Region::US
    }
}

/// Why a phone number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("is empty")]
    Empty,
    #[error("is too long")]
    TooLong,
    #[error("is not a phone number")]
    Unparseable,
    #[error("is not a valid phone number for its region")]
    Invalid,
    #[error("names an unknown region")]
    UnknownRegion,
}

/// What the numbering plan says about the line behind a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineType {
    Mobile,
    /// Regions such as the US cannot tell mobile from landline by the number alone.
    FixedLineOrMobile,
    FixedLine,
    TollFree,
    Voip,
    Other,
}

impl LineType {
    /// Whether a text message can reach this kind of line. Unknown-but-possibly-mobile counts
    /// as yes (US numbers); a known landline or toll-free number does not.
    pub fn can_receive_sms(self) -> bool {
        matches!(self, LineType::Mobile | LineType::FixedLineOrMobile | LineType::Voip)
    }
}

/// Loads libphonenumber's metadata now. It is deserialized on first use (hundreds of
/// milliseconds in a debug build); processes call this at start-up so the first lead does not
/// pay for it.
pub fn warm_up() {
    let _ = Phone::parse("+12015550123", Region::US).map(|p| p.line_type());
}

/// A valid phone number in E.164 form (`+15551234567`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);
redacted_debug!(Phone);

impl Phone {
    /// Longest input accepted before parsing (formatting characters included).
    pub const MAX_INPUT_LEN: usize = 40;

    /// Parses what a person typed; numbers without `+country` are read in `region`.
    pub fn parse(input: &str, region: Region) -> Result<Self, PhoneError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(PhoneError::Empty);
        }
        if input.chars().count() > Self::MAX_INPUT_LEN {
            return Err(PhoneError::TooLong);
        }
        if input.chars().any(char::is_control) {
            return Err(PhoneError::Unparseable);
        }
        let number = phonenumber::parse(Some(region.0), input).map_err(|_| PhoneError::Unparseable)?;
        if !number.is_valid_with(&DATABASE) {
            return Err(PhoneError::Invalid);
        }
        Ok(Phone(number.format().mode(Mode::E164).to_string()))
    }

    /// The number in E.164.
    pub fn as_e164(&self) -> &str {
        &self.0
    }

    /// The line type according to the numbering-plan metadata.
    pub fn line_type(&self) -> LineType {
        let Ok(number) = phonenumber::parse(None, &self.0) else {
            return LineType::Other;
        };
        match number.number_type(&DATABASE) {
            Type::Mobile => LineType::Mobile,
            Type::FixedLineOrMobile => LineType::FixedLineOrMobile,
            Type::FixedLine => LineType::FixedLine,
            Type::TollFree => LineType::TollFree,
            Type::Voip => LineType::Voip,
            _ => LineType::Other,
        }
    }

    /// The region the number belongs to (CLDR code: `US`, `CA`, `JM` for +1-876, `GU` for
    /// +1-671), from the numbering plan; `None` for non-geographic numbers.
    pub fn region_code(&self) -> Option<String> {
        let number = phonenumber::parse(None, &self.0).ok()?;
        number.country().id().map(|id| id.as_ref().to_owned())
    }

    /// The last four digits, for showing a person which number is meant without revealing it.
    pub fn last_four(&self) -> &str {
        &self.0[self.0.len().saturating_sub(4)..]
    }
}

impl TryFrom<String> for Phone {
    type Error = PhoneError;
    /// Reads a stored E.164 value; anything else is re-parsed strictly.
    fn try_from(value: String) -> Result<Self, Self::Error> {
        let digits = value.strip_prefix('+').unwrap_or("");
        if (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Phone(value))
        } else {
            Err(PhoneError::Unparseable)
        }
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_and_international_forms_normalize_to_e164() {
        for input in ["(201) 555-0123", "201-555-0123", "201.555.0123", "+1 201 555 0123", "1-201-555-0123", " 2015550123 "] {
            assert_eq!(Phone::parse(input, Region::US).unwrap().as_e164(), "+12015550123", "{input}");
        }
    }

    #[test]
    fn the_default_region_decides_numbers_without_country_code() {
        let gb: Region = "gb".parse().unwrap();
        assert_eq!(Phone::parse("07400 123456", gb).unwrap().as_e164(), "+447400123456");
        assert_eq!(Phone::parse("07400 123456", gb).unwrap().line_type(), LineType::Mobile);
    }

    #[test]
    fn garbage_and_impossible_numbers_are_refused() {
        assert_eq!(Phone::parse("", Region::US), Err(PhoneError::Empty));
        assert_eq!(Phone::parse("call me", Region::US), Err(PhoneError::Unparseable));
        assert!(Phone::parse("123", Region::US).is_err());
        assert!(Phone::parse("+1 000 000 0000", Region::US).is_err());
        assert_eq!(Phone::parse("+1 201 555 01234", Region::US), Err(PhoneError::Invalid));
        assert_eq!(Phone::parse(&"5".repeat(60), Region::US), Err(PhoneError::TooLong));
        assert_eq!(Phone::parse("201\u{0}5550123", Region::US), Err(PhoneError::Unparseable));
    }

    #[test]
    fn toll_free_numbers_cannot_take_texts() {
        let p = Phone::parse("800-555-0199", Region::US).unwrap();
        assert_eq!(p.line_type(), LineType::TollFree);
        assert!(!p.line_type().can_receive_sms());
        assert!(Phone::parse("201-555-0123", Region::US).unwrap().line_type().can_receive_sms());
    }

    #[test]
    fn the_region_comes_from_the_numbering_plan() {
        let region = |s: &str| Phone::parse(s, Region::US).unwrap().region_code();
        assert_eq!(region("+12015550123").as_deref(), Some("US"));
        assert_eq!(region("+14165550123").as_deref(), Some("CA"));
        assert_eq!(region("+18765550123").as_deref(), Some("JM"));
        assert_eq!(region("+16715550123").as_deref(), Some("GU"));
        assert_eq!(region("+37120000000").as_deref(), Some("LV"));
        assert_eq!(region("+998901234567").as_deref(), Some("UZ"));
        assert_eq!(region("+2348031234567").as_deref(), Some("NG"));
    }

    #[test]
    fn debug_never_shows_the_number() {
        let p = Phone::parse("201-555-0123", Region::US).unwrap();
        assert_eq!(format!("{p:?}"), "Phone(<redacted>)");
        assert_eq!(p.last_four(), "0123");
    }

    #[test]
    fn unknown_regions_are_refused() {
        assert!("XX".parse::<Region>().is_err());
        assert_eq!("us".parse::<Region>().unwrap(), Region::US);
    }
}
