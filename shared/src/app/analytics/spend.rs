//! Entering marketing spend: one entry (`POST /spend`, JSON) or many (`POST /spend/import`,
//! CSV with a header line). Amounts are major units as typed (`1250.00`, `$1,250`) or integer
//! minor units (`amount_minor`), always stored as integer minor units in the organization's
//! currency. An import is all or nothing: every line is checked before anything is stored.

use crate::app::Services;
use crate::domain::analytics::dimension::{clean_value, MAX_VALUE_CHARS, NONE};
use crate::domain::analytics::spend::{parse_month, SpendEntry};
use crate::domain::intake_form::FieldError;
use crate::domain::money::{Currency, Money};
use crate::ports::StoreError;
use chrono::{DateTime, Datelike, Utc};
use std::collections::BTreeMap;

/// The fields of a spend entry.
pub const FIELDS: &[&str] = &["month", "source", "campaign", "amount", "amount_minor", "currency"];

/// Most lines one import may hold.
pub const MAX_IMPORT_LINES: usize = 10_000;

/// Validates one entry given as text fields; errors name `{prefix}{field}`.
pub fn entry(
    fields: &BTreeMap<String, String>,
    prefix: &str,
    currency: &Currency,
    now: DateTime<Utc>,
    by: &str,
) -> Result<SpendEntry, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = |f: &str| format!("{prefix}{f}");
    let get = |f: &str| fields.get(f).map(|v| v.trim()).filter(|v| !v.is_empty());
    let month = match get("month").map(parse_month) {
        Some(Some(m)) if (2000..=2100).contains(&m.year()) => Some(m),
        Some(_) => {
            errors.push(FieldError::new(&name("month"), "invalid_month", "month must be written YYYY-MM"));
            None
        }
        None => {
            errors.push(FieldError::new(&name("month"), "required", "month is required (YYYY-MM)"));
            None
        }
    };
    let text = |f: &str, errors: &mut Vec<FieldError>| -> Option<String> {
        let v = get(f)?;
        if v.chars().any(char::is_control) || v.chars().count() > MAX_VALUE_CHARS {
            errors.push(FieldError::new(&name(f), "invalid_text", format!("{f} must be at most {MAX_VALUE_CHARS} characters of text")));
            return None;
        }
        Some(clean_value(v))
    };
    let source = text("source", &mut errors);
    if get("source").is_none() {
        errors.push(FieldError::new(&name("source"), "required", "source is required (the source name, e.g. google)"));
    }
    let campaign = text("campaign", &mut errors).unwrap_or_else(|| NONE.to_string());
    if let Some(c) = get("currency") {
        if !c.eq_ignore_ascii_case(currency.code()) {
            errors.push(FieldError::new(&name("currency"), "wrong_currency", format!("spend is kept in {}", currency.code())));
        }
    }
    let amount = match (get("amount"), get("amount_minor")) {
        (Some(a), None) => match Money::parse_major(a, currency) {
            Ok(m) => Some(m),
            Err(e) => {
                errors.push(FieldError::new(&name("amount"), "invalid_amount", format!("amount {e}")));
                None
            }
        },
        (None, Some(m)) => match m.parse::<i64>() {
            Ok(minor) if minor >= 0 => Some(Money { minor, currency: currency.clone() }),
            _ => {
                errors.push(FieldError::new(&name("amount_minor"), "invalid_amount", "amount_minor must be a whole number, not negative"));
                None
            }
        },
        (Some(_), Some(_)) => {
            errors.push(FieldError::new(&name("amount"), "ambiguous", "give amount or amount_minor, not both"));
            None
        }
        (None, None) => {
            errors.push(FieldError::new(&name("amount"), "required", "amount is required (e.g. 1250.00)"));
            None
        }
    };
    match (month, source, amount) {
        (Some(month), Some(source), Some(amount)) if errors.is_empty() => {
            Ok(SpendEntry { month, source, campaign, amount, updated_at: now, updated_by: by.to_string() })
        }
        _ => Err(errors),
    }
}

/// Reads a CSV import: a header line naming columns from [`FIELDS`] (`month`, `source` and
/// `amount` or `amount_minor` required), then one entry per line. Errors name the line
/// (`line 3: amount`).
pub fn import(csv_text: &[u8], currency: &Currency, now: DateTime<Utc>, by: &str) -> Result<Vec<SpendEntry>, Vec<FieldError>> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(false).from_reader(csv_text);
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_ascii_lowercase()).collect(),
        Err(_) => return Err(vec![FieldError::new("line 1", "malformed_csv", "the first line must name the columns")]),
    };
    let unknown: Vec<FieldError> = header
        .iter()
        .filter(|c| !FIELDS.contains(&c.as_str()))
        .map(|c| FieldError::new("line 1", "unknown_column", format!("unknown column {c:?} (known: {})", FIELDS.join(", "))))
        .collect();
    if !unknown.is_empty() {
        return Err(unknown);
    }
    let mut entries: BTreeMap<(chrono::NaiveDate, String, String), SpendEntry> = BTreeMap::new();
    let mut errors = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        if i >= MAX_IMPORT_LINES {
            return Err(vec![FieldError::new(&format!("line {line}"), "too_many_lines", format!("at most {MAX_IMPORT_LINES} lines"))]);
        }
        let record = match record {
            Ok(r) => r,
            Err(_) => {
                errors.push(FieldError::new(&format!("line {line}"), "malformed_csv", "the line does not have the header's columns"));
                continue;
            }
        };
        let fields: BTreeMap<String, String> = header.iter().cloned().zip(record.iter().map(str::to_string)).collect();
        match entry(&fields, &format!("line {line}: "), currency, now, by) {
            // A later line for the same month, source and campaign wins, as a later POST would.
            Ok(e) => {
                entries.insert((e.month, e.source.clone(), e.campaign.clone()), e);
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(entries.into_values().collect())
}

/// Stores entries (each replaces the figure for its month, source and campaign).
pub async fn record(services: &Services, entries: &[SpendEntry]) -> Result<(), StoreError> {
    for e in entries {
        services.aggregates.put_spend(e).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_772_553_600, 0).unwrap()
    }

    #[test]
    fn an_import_reads_every_line_or_names_the_bad_ones() {
        let usd = Currency::usd();
        let csv =
            "month,source,campaign,amount\n2026-03,Google,Spring Promo,\"1,250.00\"\n2026-03,fb,,300\n2026-04,google,spring promo,99.5\n";
        let got = import(csv.as_bytes(), &usd, now(), "u-1").unwrap();
        assert_eq!(got.len(), 3);
        let g = got.iter().find(|e| e.campaign == "spring promo" && e.month.to_string() == "2026-03-01").unwrap();
        assert_eq!((g.source.as_str(), g.amount.minor), ("google", 125_000));
        assert!(got.iter().any(|e| e.source == "fb" && e.campaign == NONE && e.amount.minor == 30_000));
        let bad = "month,source,amount\n2026-3x,google,10\n2026-03,,1.234\n";
        let errors = import(bad.as_bytes(), &usd, now(), "u-1").unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["line 2: month", "line 3: source", "line 3: amount"]);
        let unknown = import(b"month,source,amount,budget\n", &usd, now(), "u-1").unwrap_err();
        assert_eq!(unknown[0].code, "unknown_column");
    }

    #[test]
    fn amounts_in_minor_units_and_currency_checks() {
        let usd = Currency::usd();
        let f = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>();
        let e = entry(&f(&[("month", "2026-03"), ("source", "bing"), ("amount_minor", "4200")]), "", &usd, now(), "u").unwrap();
        assert_eq!(e.amount.minor, 4200);
        let errs =
            entry(&f(&[("month", "2026-03"), ("source", "bing"), ("amount", "1"), ("currency", "EUR")]), "", &usd, now(), "u").unwrap_err();
        assert_eq!(errs[0].field, "currency");
        let errs = entry(&f(&[("month", "2026-03"), ("source", "bing"), ("amount", "-1")]), "", &usd, now(), "u").unwrap_err();
        assert_eq!(errs[0].field, "amount");
    }
}
