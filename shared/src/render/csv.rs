//! Reports as CSV: one header line, one line per report row, then the total line where the
//! report has one. Numbers are written as in the JSON (integers, rates as fractions, money in
//! minor units) and an absent value is an empty cell, so the file parses back to the same
//! numbers.

use crate::app::analytics::reports::{AttributionReport, AuditReport, CohortReport, KpiReport, SlaReport, UnrecognizedReport};
use crate::domain::analytics::spend::SpendEntry;
use serde::Serialize;

/// Writing failed (only possible for values CSV cannot hold, which reports never have).
#[derive(Debug, thiserror::Error)]
#[error("the report could not be written as CSV: {0}")]
pub struct CsvError(String);

fn finish(w: csv::Writer<Vec<u8>>) -> Result<String, CsvError> {
    let bytes = w.into_inner().map_err(|e| CsvError(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|e| CsvError(e.to_string()))?;
    defuse(&text)
}

/// Whether a spreadsheet would run `cell` as a formula: it starts with `=`, `+`, `-`, `@`, a tab
/// or a carriage return (OWASP's CSV injection list) and is not a plain number (negative money
/// stays a number).
pub fn is_formula(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && cell.trim().parse::<f64>().is_err()
}

/// `cell` as a spreadsheet shows it without running it: a leading `'` before a formula.
pub fn escape_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    if is_formula(cell) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// Every cell of a written CSV escaped (`escape_cell`): source names, campaigns and other values
/// people and tools typed reach these files, and `=HYPERLINK(...)` as a source must stay text.
fn defuse(text: &str) -> Result<String, CsvError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    for record in reader.records() {
        let record = record.map_err(|e| CsvError(e.to_string()))?;
        w.write_record(record.iter().map(escape_cell).collect::<Vec<_>>().iter().map(|c| c.as_ref()))
            .map_err(|e| CsvError(e.to_string()))?;
    }
    let bytes = w.into_inner().map_err(|e| CsvError(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| CsvError(e.to_string()))
}

/// Rows of one serializable type, header from its field names.
pub fn rows<'a, T: Serialize + 'a>(rows: impl IntoIterator<Item = &'a T>) -> Result<String, CsvError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r).map_err(|e| CsvError(e.to_string()))?;
    }
    finish(w)
}

pub fn kpis(r: &KpiReport) -> Result<String, CsvError> {
    rows(r.rows.iter().chain(std::iter::once(&r.totals)))
}

pub fn attribution(r: &AttributionReport) -> Result<String, CsvError> {
    rows(r.rows.iter().chain(std::iter::once(&r.totals)))
}

pub fn sla(r: &SlaReport) -> Result<String, CsvError> {
    rows(r.rows.iter().chain(std::iter::once(&r.totals)))
}

pub fn unrecognized(r: &UnrecognizedReport) -> Result<String, CsvError> {
    if r.rows.is_empty() {
        return Ok("value,leads,touchpoint_conversions,first_seen,last_seen,in_spend,suggestion\n".into());
    }
    rows(r.rows.iter())
}

/// `cohort, leads, m00_converted, ..., m00_cumulative_rate, ...`.
pub fn cohorts(r: &CohortReport) -> Result<String, CsvError> {
    let width = r.rows.iter().map(|c| c.converted.len()).max().unwrap_or(0);
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["cohort".to_string(), "leads".to_string()];
    header.extend((0..width).map(|k| format!("m{k:02}_converted")));
    header.extend((0..width).map(|k| format!("m{k:02}_cumulative_rate")));
    w.write_record(&header).map_err(|e| CsvError(e.to_string()))?;
    for c in &r.rows {
        let mut line = vec![c.cohort.clone(), c.leads.to_string()];
        line.extend((0..width).map(|k| c.converted.get(k).copied().flatten().map_or(String::new(), |v| v.to_string())));
        line.extend((0..width).map(|k| c.cumulative_rate.get(k).copied().flatten().map_or(String::new(), |v| v.to_string())));
        w.write_record(&line).map_err(|e| CsvError(e.to_string()))?;
    }
    finish(w)
}

pub fn audit(r: &AuditReport) -> Result<String, CsvError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["family", "dimension", "day", "value", "counter", "aggregates", "recompute"]).map_err(|e| CsvError(e.to_string()))?;
    for d in &r.differences {
        w.write_record([
            d.family.as_str(),
            d.dimension.as_str(),
            &d.day.to_string(),
            &d.value,
            &d.counter,
            &d.aggregates.to_string(),
            &d.recompute.to_string(),
        ])
        .map_err(|e| CsvError(e.to_string()))?;
    }
    finish(w)
}

/// Spend entries in the import format (`month,source,campaign,amount_minor,currency`): an
/// export can be edited and imported again.
pub fn spend(entries: &[SpendEntry]) -> Result<String, CsvError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["month", "source", "campaign", "amount_minor", "currency"]).map_err(|e| CsvError(e.to_string()))?;
    for e in entries {
        let campaign = if e.campaign == crate::domain::analytics::dimension::NONE { "" } else { e.campaign.as_str() };
        w.write_record([
            e.month.format("%Y-%m").to_string().as_str(),
            &e.source,
            campaign,
            &e.amount.minor.to_string(),
            e.amount.currency.code(),
        ])
        .map_err(|e| CsvError(e.to_string()))?;
    }
    finish(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Row<'a> {
        source: &'a str,
        spend_minor: i64,
    }

    #[test]
    fn formulas_are_escaped_and_numbers_are_not() {
        let out = rows(&[
            Row { source: "=HYPERLINK(\"https://evil.example\",\"x\")", spend_minor: -1250 },
            Row { source: "+cmd|' /C calc'!A0", spend_minor: 0 },
            Row { source: "-2+3", spend_minor: 5 },
            Row { source: "@SUM(A1:A2)", spend_minor: 1 },
            Row { source: "\tgoogle", spend_minor: 1 },
            Row { source: "google", spend_minor: 2 },
        ])
        .unwrap();
        let cells: Vec<Vec<String>> = csv::ReaderBuilder::new()
            .from_reader(out.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        assert_eq!(cells[0], ["'=HYPERLINK(\"https://evil.example\",\"x\")", "-1250"]);
        assert_eq!(cells[1][0], "'+cmd|' /C calc'!A0");
        assert_eq!(cells[2][0], "'-2+3");
        assert_eq!(cells[3][0], "'@SUM(A1:A2)");
        assert_eq!(cells[4][0], "'\tgoogle");
        assert_eq!(cells[5], ["google", "2"]);
    }
}
