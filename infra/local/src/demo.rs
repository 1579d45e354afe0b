//! `leadflow-local demo`: the runner pre-loaded with a few thousand realistic leads over the
//! last six months (sources, campaigns, service lines, touchpoints, outcomes, spend), so the
//! reports have something to show; optionally writes the charts as SVG files.

use crate::{start, Options};
use anyhow::Context;
use chrono::{Duration, NaiveDate};
use leadflow::app::analytics::reports::{self, Engine, Query};
use leadflow::domain::analytics::{Dimension, Milestone, Period};
use leadflow::ports::SystemClock;
use leadflow::render::svg;
use leadflow_synthetic::demo::{end_of, generate, load, DemoOptions};
use std::path::PathBuf;
use std::sync::Arc;

/// The demo's own options.
#[derive(Debug, Clone)]
pub struct DemoArgs {
    pub leads: usize,
    pub seed: u64,
    pub months: u32,
    /// The last day of the data (default: today).
    pub end: Option<NaiveDate>,
    /// Where to write the charts (funnel, conversion by source, response times, attribution).
    pub charts: Option<PathBuf>,
    /// Keep serving after loading (default), or exit.
    pub serve: bool,
}

impl Default for DemoArgs {
    fn default() -> Self {
        DemoArgs { leads: 3000, seed: 42, months: 6, end: None, charts: None, serve: true }
    }
}

/// Loads the demo data into a started runner, writes the charts, and serves until Ctrl-C.
pub async fn run(options: Options, args: DemoArgs) -> anyhow::Result<()> {
    let running = start(Options { tick_every: None, ..options }, Arc::new(SystemClock)).await?;
    let services = &running.system.services;
    let end = args.end.map_or_else(|| services.clock.now(), end_of);
    let demo = DemoOptions { leads: args.leads, seed: args.seed, end, months: args.months, extra_touchpoints: 3.0 };
    let started = std::time::Instant::now();
    let data = generate(&services.config, &demo);
    let loaded = load(services, &data, true).await.context("loading the demo data")?;
    println!(
        "demo data: {} leads, {} touchpoints, {} timeline entries, {} spend entries ({} ms)",
        loaded.leads,
        data.touchpoints(),
        loaded.timeline_entries,
        loaded.spend_entries,
        started.elapsed().as_millis()
    );
    let tz = services.config.organization.time_zone;
    let to = end.with_timezone(&tz).date_naive();
    let from = Period::Month.start(to - Duration::days(i64::from(args.months) * 30 - 1));
    if let Some(dir) = &args.charts {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let q = |dimension| Query {
            from,
            to,
            period: Period::Month,
            dimension,
            milestone: Milestone::Converted,
            engine: Engine::Aggregates,
            value: None,
        };
        let charts = [
            ("funnel.svg", svg::funnel(&reports::kpis(services, &q(Dimension::All)).await?)?),
            (
                "conversion-by-source.svg",
                svg::conversion_by_source(&reports::kpis(services, &Query { period: Period::All, ..q(Dimension::Source) }).await?, 8)?,
            ),
            ("response-times.svg", svg::response_times(&reports::response_times(services, &q(Dimension::All)).await?, from, to)?),
            ("attribution.svg", svg::attribution(&reports::attribution(services, &q(Dimension::Source)).await?, 8)?),
        ];
        for (name, body) in charts {
            let path = dir.join(name);
            std::fs::write(&path, body).with_context(|| format!("cannot write {}", path.display()))?;
            println!("wrote {}", path.display());
        }
    }
    if !args.serve {
        return Ok(());
    }
    let base = running.base_url();
    println!("leadflow-local listening on {base} with the demo data ({from} to {to})");
    println!("  TOKEN=$(curl -s -X POST {base}/local/dev-token -d '{{\"user\":\"u-1\",\"role\":\"analyst\"}}' | sed 's/.*\"token\":\"\\([^\"]*\\)\".*/\\1/')");
    println!("  curl -s -H \"authorization: Bearer $TOKEN\" '{base}/reports/kpis?from={from}&to={to}&dimension=source'");
    println!("  curl -s -H \"authorization: Bearer $TOKEN\" '{base}/reports/charts/attribution.svg?from={from}&to={to}' > attribution.svg");
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    Ok(())
}
