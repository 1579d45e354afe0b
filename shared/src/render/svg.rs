//! SVG charts of the reports: the funnel, conversion by source, the response-time
//! distribution, and attribution by model side by side. All are grouped bar charts drawn with
//! `plotters`; labels come from report data (source names are user input) and the SVG backend
//! escapes them.

use crate::app::analytics::reports::{AttributionReport, KpiReport, ResponseTimes};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Drawing failed (plotters reports backend errors as text).
#[derive(Debug, thiserror::Error)]
#[error("the chart could not be drawn: {0}")]
pub struct ChartError(String);

fn err(e: impl std::fmt::Display) -> ChartError {
    ChartError(e.to_string())
}

const WIDTH: u32 = 960;
const HEIGHT: u32 = 540;

/// Colour-blind-friendly series colours (Okabe-Ito).
const COLORS: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
];

/// A grouped bar chart: one group per category, one bar per series in each group.
#[derive(Debug, Clone)]
pub struct Bars {
    pub title: String,
    pub y_label: String,
    pub categories: Vec<String>,
    /// (series label, one value per category).
    pub series: Vec<(String, Vec<f64>)>,
    /// Writes the value over each bar.
    pub annotate: bool,
    /// How values are written (axis and annotations).
    pub format: fn(f64) -> String,
}

fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max - 1).collect::<String>())
    }
}

/// Draws the chart as an SVG document.
pub fn render(bars: &Bars) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, bars)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

fn draw(root: &DrawingArea<SVGBackend<'_>, Shift>, bars: &Bars) -> Result<(), ChartError> {
    root.fill(&WHITE).map_err(err)?;
    let groups = bars.categories.len().max(1);
    let per_group = bars.series.len().max(1);
    // Each group is `per_group` bars plus one bar's width of space.
    let slot = (per_group + 1) as f64;
    let x_max = groups as f64 * slot;
    let top = bars.series.iter().flat_map(|(_, v)| v.iter().copied()).fold(0.0f64, f64::max);
    let y_max = if top > 0.0 { top * 1.15 } else { 1.0 };
    let mut chart = ChartBuilder::on(root)
        .caption(&bars.title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(56)
        .y_label_area_size(84)
        .build_cartesian_2d(0f64..x_max, 0f64..y_max)
        .map_err(err)?;
    let format = bars.format;
    let y_fmt = move |v: &f64| format(*v);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(8)
        .y_desc(bars.y_label.as_str())
        .y_label_formatter(&y_fmt)
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(err)?;
    for (s, (label, values)) in bars.series.iter().enumerate() {
        let color = COLORS[s % COLORS.len()];
        let rects = values.iter().enumerate().map(move |(g, v)| {
            let x0 = g as f64 * slot + 0.5 + s as f64;
            Rectangle::new([(x0, 0.0), (x0 + 0.9, v.max(0.0))], color.filled())
        });
        chart
            .draw_series(rects)
            .map_err(err)?
            .label(label.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled()));
    }
    if bars.annotate {
        let style = TextStyle::from(("sans-serif", 12).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom));
        for (s, (_, values)) in bars.series.iter().enumerate() {
            for (g, v) in values.iter().enumerate() {
                let x = g as f64 * slot + 0.95 + s as f64;
                let (px, py) = chart.backend_coord(&(x, v.max(0.0)));
                root.draw(&Text::new(format(*v), (px, py - 3), style.clone())).map_err(err)?;
            }
        }
    }
    // Category names under each group, centred.
    let label_style = TextStyle::from(("sans-serif", 13).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
    let max_chars = ((WIDTH as usize / groups) / 8).clamp(4, 24);
    for (g, name) in bars.categories.iter().enumerate() {
        let x = g as f64 * slot + 0.5 + per_group as f64 / 2.0;
        let (px, py) = chart.backend_coord(&(x, 0.0));
        root.draw(&Text::new(short(name, max_chars), (px, py + 8), label_style.clone())).map_err(err)?;
    }
    if bars.series.len() > 1 || bars.series.iter().any(|(l, _)| !l.is_empty()) {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(180, 180, 180))
            .label_font(("sans-serif", 14))
            .draw()
            .map_err(err)?;
    }
    Ok(())
}

fn whole(v: f64) -> String {
    format!("{v:.0}")
}

fn percent(v: f64) -> String {
    format!("{v:.0}%")
}

fn money(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.0}k", v / 1000.0)
    } else {
        format!("{v:.0}")
    }
}

/// The funnel of a KPI report's totals: leads, reached, qualified, booked, showed, converted.
pub fn funnel(report: &KpiReport) -> Result<String, ChartError> {
    let t = &report.totals;
    let stages = [
        ("leads", t.leads),
        ("reached", t.reached),
        ("qualified", t.qualified),
        ("booked", t.booked),
        ("showed", t.showed),
        ("converted", t.converted),
    ];
    render(&Bars {
        title: format!("Lead funnel, {} to {}", report.from, report.to),
        y_label: "leads".into(),
        categories: stages.iter().map(|(n, _)| n.to_string()).collect(),
        series: vec![("leads at each stage".into(), stages.iter().map(|(_, v)| *v as f64).collect())],
        annotate: true,
        format: whole,
    })
}

/// Conversion rate per source (the `top` sources by leads), from a KPI report by source.
pub fn conversion_by_source(report: &KpiReport, top: usize) -> Result<String, ChartError> {
    let mut rows: Vec<_> = report.rows.iter().filter(|r| r.leads > 0).collect();
    rows.sort_by(|a, b| b.leads.cmp(&a.leads).then(a.key.cmp(&b.key)));
    rows.truncate(top);
    render(&Bars {
        title: format!("Conversion rate by source, {} to {}", report.from, report.to),
        y_label: "converted / leads".into(),
        categories: rows.iter().map(|r| format!("{} ({})", r.key, r.leads)).collect(),
        series: vec![("conversion rate".into(), rows.iter().map(|r| r.conversion_rate.unwrap_or(0.0) * 100.0).collect())],
        annotate: true,
        format: percent,
    })
}

/// The response-time distribution: acknowledgement and first human contact attempt per bucket.
pub fn response_times(r: &ResponseTimes, from: chrono::NaiveDate, to: chrono::NaiveDate) -> Result<String, ChartError> {
    // Trailing buckets nobody fell into are left out.
    let last = r.acknowledgement.iter().zip(&r.first_contact).rposition(|(a, b)| *a > 0 || *b > 0).map_or(r.buckets.len(), |i| i + 1);
    render(&Bars {
        title: format!("Response times, {from} to {to}"),
        y_label: "leads".into(),
        categories: r.buckets[..last].to_vec(),
        series: vec![
            ("acknowledgement (automatic text)".into(), r.acknowledgement[..last].iter().map(|v| *v as f64).collect()),
            ("first human contact attempt".into(), r.first_contact[..last].iter().map(|v| *v as f64).collect()),
        ],
        annotate: false,
        format: whole,
    })
}

/// Attribution by model side by side: for the `top` sources (or campaigns), the value credited
/// by each model (conversions when there is no revenue).
pub fn attribution(report: &AttributionReport, top: usize) -> Result<String, ChartError> {
    let by_value = report.totals.first_touch_value_minor > 0;
    let mut rows: Vec<_> = report.rows.iter().collect();
    rows.truncate(top);
    let scale = 10f64.powi(crate::domain::money::Currency::try_from(report.currency.clone()).map_or(2, |c| c.exponent() as i32));
    let names = [
        ("first_touch", "first touch".to_string()),
        ("last_touch", "last touch".to_string()),
        ("linear", "linear".to_string()),
        ("time_decay", format!("time decay ({} d half-life)", report.models.half_life_days)),
        (
            "position_based",
            format!(
                "position-based {}/{}/{}",
                report.models.first_percent,
                100 - u32::from(report.models.first_percent) - u32::from(report.models.last_percent),
                report.models.last_percent
            ),
        ),
    ];
    let series = names
        .iter()
        .map(|(model, label)| {
            let values = rows
                .iter()
                .map(|r| {
                    let (n, v) = r.model(model);
                    if by_value {
                        v as f64 / scale
                    } else {
                        n
                    }
                })
                .collect();
            (label.clone(), values)
        })
        .collect();
    render(&Bars {
        title: format!(
            "{} attributed by model ({}), {} to {}",
            if by_value { "Revenue" } else { "Conversions" },
            report.milestone.as_str(),
            report.from,
            report.to
        ),
        y_label: if by_value { format!("revenue ({})", report.currency) } else { "conversions".into() },
        categories: rows.iter().map(|r| r.key.clone()).collect(),
        series,
        annotate: false,
        format: if by_value { money } else { |v| format!("{v:.1}") },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_present() {
        let svg = render(&Bars {
            title: "Sources <&> \"quotes\"".into(),
            y_label: "leads".into(),
            categories: vec!["google".into(), "a<b>&c".into()],
            series: vec![("first series".into(), vec![3.0, 5.0]), ("second series".into(), vec![1.0, 0.0])],
            annotate: true,
            format: whole,
        })
        .unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        assert!(svg.contains("first series") && svg.contains("second series"));
        assert!(svg.contains("a&lt;b&gt;&amp;c"));
        assert!(!svg.contains("a<b>"));
    }
}
