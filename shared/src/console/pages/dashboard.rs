//! The numbers the reports already compute (`GET /reports/kpis`, `/reports/sla`,
//! `/reports/cohorts`, `/reports/attribution` and the charts), filterable by period, dimension
//! (source, service line, facility, campaign, channel) and one value of it. Aggregates only: no
//! lead, so managers, administrators and analysts read it; agents work leads instead.

use super::{finish, refused, respond};
use crate::console::view::{input, select, words};
use crate::console::{harden, Ctx};
use lambda_http::{Body, RequestExt, Response};
use maud::{html, Markup};
use serde_json::Value;

/// The filters, as given (validated by the report routes, which name a bad one).
struct Filters {
    from: String,
    to: String,
    period: String,
    dimension: String,
    value: String,
}

fn filters(ctx: &Ctx<'_>) -> Filters {
    let q = |n: &str| ctx.req.query_string_parameters_ref().and_then(|p| p.first(n)).unwrap_or_default().trim().to_string();
    let today = ctx.services().clock.now().with_timezone(&ctx.services().config.organization.time_zone).date_naive();
    let or = |v: String, d: String| if v.is_empty() { d } else { v };
    Filters {
        from: or(q("from"), (today - chrono::Duration::days(29)).to_string()),
        to: or(q("to"), today.to_string()),
        period: or(q("period"), "all".into()),
        dimension: or(q("dimension"), "source".into()),
        value: q("value"),
    }
}

fn enc(v: &str) -> String {
    crate::console::identity::encode(v)
}

fn pct(v: &Value) -> String {
    v.as_f64().map(|f| format!("{:.1} %", f * 100.0)).unwrap_or_else(|| "—".into())
}

fn secs(v: &Value) -> String {
    match v.as_f64() {
        None => "—".into(),
        Some(s) if s < 90.0 => format!("{s:.0} s"),
        Some(s) if s < 5400.0 => format!("{:.1} min", s / 60.0),
        Some(s) => format!("{:.1} h", s / 3600.0),
    }
}

fn money(v: &Value, currency: &str) -> String {
    v.as_i64().map(|m| format!("{}.{:02} {currency}", m / 100, (m % 100).abs())).unwrap_or_else(|| "—".into())
}

fn kpi_cards(t: &Value, currency: &str) -> Markup {
    let cards = [
        ("Leads", t["leads"].to_string()),
        ("Speed to lead (median)", secs(&t["ack_p50_seconds"])),
        ("First contact (median)", secs(&t["first_contact_p50_seconds"])),
        ("SLA met", pct(&t["sla_compliance"])),
        ("SLA breaches", t["sla_missed"].to_string()),
        ("Contact rate", pct(&t["contact_rate"])),
        ("Booked from qualified", pct(&t["booking_rate_from_qualified"])),
        ("Conversion", pct(&t["conversion_rate"])),
        ("Revenue", money(&t["revenue_minor"], currency)),
        ("Cost per lead", money(&t["cost_per_lead_minor"], currency)),
    ];
    html! { div.kpis { @for (label, value) in cards { div.kpi { span.muted { (label) } strong { (value) } } } } }
}

/// `GET /console/dashboard?from=&to=&period=&dimension=&value=`.
pub(crate) async fn page(ctx: &Ctx<'_>) -> Response<Body> {
    let f = filters(ctx);
    let range = format!("from={}&to={}", enc(&f.from), enc(&f.to));
    let kpis = ctx.api.get(&format!("/reports/kpis?{range}&period={}&dimension={}", enc(&f.period), enc(&f.dimension))).await;
    if kpis.status == 403 {
        return refused(ctx, &kpis);
    }
    let form = |error: Option<String>| {
        let opts = |v: &[&str]| v.iter().map(|x| (x.to_string(), words(x))).collect::<Vec<_>>();
        html! {
            form.inline method="get" action="/console/dashboard" aria-label="Filters" {
                (input("from", "From", "date", Some(&f.from), true))
                (input("to", "To", "date", Some(&f.to), true))
                (select("period", "Per", &opts(&["all", "month", "week", "day"]), Some(&f.period), true))
                (select("dimension", "By", &opts(&["source", "service_line", "facility", "campaign", "channel", "all"]), Some(&f.dimension), true))
                (input("value", "Only (a source, service line or facility)", "text", Some(&f.value), false))
                button.secondary type="submit" { "Show" }
            }
            @if let Some(e) = error { p.flash.error role="alert" { (e) } }
        }
    };
    if !kpis.ok() {
        return respond(ctx, 422, "Dashboard", "dashboard", html! { h1 { "Dashboard" } (form(Some(kpis.message()))) });
    }
    let k = kpis.json();
    let currency = k["currency"].as_str().unwrap_or("USD").to_string();
    let rows: Vec<Value> = k["rows"].as_array().cloned().unwrap_or_default();
    let wanted = f.value.to_lowercase();
    let rows: Vec<Value> =
        rows.into_iter().filter(|r| wanted.is_empty() || r["key"].as_str().is_some_and(|key| key.to_lowercase() == wanted)).collect();
    let totals = if wanted.is_empty() { k["totals"].clone() } else { rows.first().cloned().unwrap_or(Value::Null) };
    let sla = ctx.api.get(&format!("/reports/sla?{range}")).await.json();
    let cohort_path = if f.value.is_empty() || f.dimension == "all" {
        format!("/reports/cohorts?{range}")
    } else {
        format!("/reports/cohorts?{range}&dimension={}&value={}", enc(&f.dimension), enc(&f.value))
    };
    let cohorts = ctx.api.get(&cohort_path).await.json();
    let attribution = ctx.api.get(&format!("/reports/attribution?{range}&dimension=source")).await.json();
    let chart = |name: &str, alt: &str| {
        html! { figure.chart { img src=(format!("/console/charts/{name}.svg?{range}")) alt=(alt) loading="lazy"; figcaption.muted { (alt) } } }
    };
    let body = html! {
        h1 { "Dashboard" }
        (form(None))
        p.muted { "Leads counted on the day they arrived (" (f.from) " to " (f.to) "); money in " (currency) "." }
        @if !totals.is_null() { (kpi_cards(&totals, &currency)) }
        h2 { "By " (words(&f.dimension)) }
        div.table-wrap { table {
            caption.sr-only { "Key figures per period and value" }
            thead { tr { th { "Period" } th { "Value" } th.num { "Leads" } th.num { "Speed to lead" } th.num { "First contact" } th.num { "SLA met" } th.num { "Booked" } th.num { "Converted" } th.num { "Revenue" } } }
            tbody {
                @for r in &rows {
                    tr {
                        td { (r["period"].as_str().unwrap_or_default()) }
                        td { (r["key"].as_str().unwrap_or_default()) }
                        td.num { (r["leads"]) }
                        td.num { (secs(&r["ack_p50_seconds"])) }
                        td.num { (secs(&r["first_contact_p50_seconds"])) }
                        td.num { (pct(&r["sla_compliance"])) }
                        td.num { (r["booked"]) }
                        td.num { (r["converted"]) }
                        td.num { (money(&r["revenue_minor"], &currency)) }
                    }
                }
            }
        } }
        div.grid.two {
            (chart("funnel", "The funnel"))
            (chart("response-times", "Response times"))
            (chart("conversion-by-source", "Conversion by source"))
            (chart("attribution", "Revenue attributed by model"))
        }
        h2 { "First contact on time, per channel" }
        div.table-wrap { table {
            thead { tr { th { "Channel" } th.num { "Target" } th.num { "Due" } th.num { "Met" } th.num { "Missed" } th.num { "On time" } } }
            tbody {
                @for r in sla["rows"].as_array().cloned().unwrap_or_default() {
                    tr { td { (words(r["channel"].as_str().unwrap_or_default())) } td.num { (secs(&r["target_seconds"])) } td.num { (r["sla_due"]) } td.num { (r["sla_met"]) } td.num { (r["sla_missed"]) } td.num { (pct(&r["sla_compliance"])) } }
                }
            }
        } }
        h2 { "Cohorts" }
        div.table-wrap { table {
            thead { tr { th { "Arrived" } th.num { "Leads" } th { "Converted by month since (cumulative rate)" } } }
            tbody {
                @for r in cohorts["rows"].as_array().cloned().unwrap_or_default() {
                    tr {
                        td { (r["cohort"].as_str().unwrap_or_default()) }
                        td.num { (r["leads"]) }
                        td { (r["cumulative_rate"].as_array().map(|v| v.iter().map(pct).collect::<Vec<_>>().join(" · ")).unwrap_or_default()) }
                    }
                }
            }
        } }
        h2 { "Attribution by source (conversions credited)" }
        div.table-wrap { table {
            thead { tr { th { "Source" } @for m in MODELS { th.num { (m.1) } } } }
            tbody {
                @for r in attribution["rows"].as_array().cloned().unwrap_or_default() {
                    tr {
                        td { (r["key"].as_str().unwrap_or_default()) }
                        @for m in MODELS { td.num { (r[format!("{}_conversions", m.0)].as_f64().map(|c| format!("{c:.2}")).unwrap_or_default()) } }
                    }
                }
            }
        } }
    };
    respond(ctx, 200, "Dashboard", "dashboard", body)
}

/// The attribution models, as the report names their columns.
const MODELS: [(&str, &str); 5] = [
    ("first_touch", "First touch"),
    ("last_touch", "Last touch"),
    ("linear", "Linear"),
    ("time_decay", "Time decay"),
    ("position_based", "Position based"),
];

/// `GET /console/charts/{chart}.svg?from=&to=`: a report chart, as an image.
pub(crate) async fn chart(ctx: &Ctx<'_>, chart: &str) -> Response<Body> {
    let q = ctx.req.uri().query().unwrap_or_default();
    let answer = ctx.api.get(&format!("/reports/charts/{chart}?{q}")).await;
    if !answer.ok() {
        return finish(harden(Response::builder().status(answer.status), None), Body::Empty);
    }
    finish(
        harden(Response::builder().status(200), None)
            .header("content-type", "image/svg+xml")
            .header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'"),
        Body::Text(answer.body),
    )
}
