//! Money as integer minor units with its currency, never floats.

use serde::{Deserialize, Serialize};

/// Why an amount was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("is not an amount")]
    NotAnAmount,
    #[error("has more decimal places than the currency allows")]
    TooPrecise,
    #[error("is negative")]
    Negative,
    #[error("is too large")]
    TooLarge,
    #[error("is not a known ISO 4217 currency code")]
    UnknownCurrency,
}

/// An ISO 4217 code with the number of minor-unit digits it uses.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

impl Currency {
    pub fn usd() -> Self {
        Currency("USD".into())
    }

    pub fn code(&self) -> &str {
        &self.0
    }

    /// Digits after the decimal point (JPY 0, KWD 3, most 2).
    pub fn exponent(&self) -> u32 {
        match self.0.as_str() {
            "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "UGX" | "XAF" | "XOF" | "PYG" | "RWF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            _ => 2,
        }
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        let v = value.trim().to_ascii_uppercase();
        if v.len() == 3 && v.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Currency(v))
        } else {
            Err(MoneyError::UnknownCurrency)
        }
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.0
    }
}

/// An amount in minor units (cents for USD).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    /// Parses a non-negative decimal amount as typed in a form: `250000`, `250,000.50`, `$1,000`.
    pub fn parse_major(input: &str, currency: &Currency) -> Result<Money, MoneyError> {
        let cleaned: String = input.trim().trim_start_matches('$').chars().filter(|c| *c != ',' && *c != '_' && *c != ' ').collect();
        if cleaned.starts_with('-') {
            return Err(MoneyError::Negative);
        }
        let (whole, frac) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
        if whole.is_empty() && frac.is_empty() {
            return Err(MoneyError::NotAnAmount);
        }
        if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MoneyError::NotAnAmount);
        }
        let exp = currency.exponent();
        let frac = frac.trim_end_matches('0');
        if frac.len() as u32 > exp {
            return Err(MoneyError::TooPrecise);
        }
        let scale = 10i64.pow(exp);
        let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| MoneyError::TooLarge)? };
        let frac_minor: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse::<i64>().map_err(|_| MoneyError::NotAnAmount)? * 10i64.pow(exp - frac.len() as u32)
        };
        let minor = whole.checked_mul(scale).and_then(|w| w.checked_add(frac_minor)).ok_or(MoneyError::TooLarge)?;
        Ok(Money { minor, currency: currency.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_become_minor_units_exactly() {
        let usd = Currency::usd();
        assert_eq!(Money::parse_major("250000", &usd).unwrap().minor, 25_000_000);
        assert_eq!(Money::parse_major("$1,234.5", &usd).unwrap().minor, 123_450);
        assert_eq!(Money::parse_major("0.10", &usd).unwrap().minor, 10);
        assert_eq!(Money::parse_major(".99", &usd).unwrap().minor, 99);
        let jpy = Currency::try_from("jpy".to_string()).unwrap();
        assert_eq!(Money::parse_major("5000", &jpy).unwrap().minor, 5000);
        assert_eq!(Money::parse_major("50.5", &jpy), Err(MoneyError::TooPrecise));
    }

    #[test]
    fn bad_amounts_are_refused() {
        let usd = Currency::usd();
        assert_eq!(Money::parse_major("1.234", &usd), Err(MoneyError::TooPrecise));
        assert_eq!(Money::parse_major("-5", &usd), Err(MoneyError::Negative));
        assert_eq!(Money::parse_major("lots", &usd), Err(MoneyError::NotAnAmount));
        assert_eq!(Money::parse_major("", &usd), Err(MoneyError::NotAnAmount));
        assert_eq!(Money::parse_major("99999999999999999999", &usd), Err(MoneyError::TooLarge));
    }
}
