//! The cost of a lead on AWS: the requests the real AWS adapters make for a lead's main path
//! (capture, acknowledgement, scoring and assignment, the med-spa cadence's seven steps with a
//! recorded call, conversion by a payment), counted on moto, turned into dollars at public
//! us-east-1 prices. `leadflow-bench -- --only cost --moto URL` prints the table.

pub mod meter;
pub mod prices;
pub mod world;

use chrono::{DateTime, Duration, TimeZone, Utc};
use leadflow::config::published::{self, Prepared};
use leadflow_provision::moto::MotoServer;
use meter::Counts;
use prices::Prices;
use std::collections::BTreeMap;
use world::{Instances, World};

/// What one run measured: per lead on the main path, and per idle run of the schedules.
#[derive(Debug, Clone)]
pub struct Measured {
    pub leads: usize,
    pub instances: Instances,
    /// Every lead's requests, less what the schedules' runs would have cost idle.
    pub per_lead: Counts,
    /// One idle run of each one-minute schedule (the SLA checker and the follow-up function).
    pub idle_tick: Counts,
}

/// The first lead's start: a Tuesday, 10:30 in New York (the practice open).
fn start() -> DateTime<Utc> {
    chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, 3, 10, 30, 0).single().map(|t| t.with_timezone(&Utc)).unwrap_or_default()
}

/// One lead's main path: captured (acknowledged, scored, assigned, enrolled), an unanswered
/// call recorded three minutes in, the cadence run to its end over eight days, then a payment.
pub async fn lead_path(world: &World, i: usize) -> anyhow::Result<()> {
    let begin = world.now();
    let id = world.capture(i).await?;
    world.drain().await?;
    world.fast_forward(id, begin + Duration::minutes(3)).await?;
    world.unanswered_call(id).await?;
    world.fast_forward(id, begin + Duration::days(8)).await?;
    world.pay(id, i).await?;
    anyhow::ensure!(
        world.status(id).await? == Some(leadflow::domain::LeadStatus::Converted),
        "lead {i} did not convert: {:?}",
        world.status(id).await?
    );
    Ok(())
}

/// Runs `leads` leads' main paths on moto at `endpoint` (two weeks apart, so each starts on a
/// Tuesday morning) and measures an idle run of the schedules.
pub async fn measure(endpoint: &str, leads: usize, instances: Instances) -> anyhow::Result<Measured> {
    let world = World::on_moto(endpoint, start(), instances).await?;
    // The schedules' cursors start where the first lead does.
    world.meter.counting(false);
    world.skip_idle_until(world.now()).await;
    world.tick().await?;
    world.meter.counting(true);
    world.meter.reset();
    world.ticks.store(0, std::sync::atomic::Ordering::Relaxed);
    for i in 0..leads {
        let was = world.meter.counting(false);
        world.clock.set(start() + Duration::days(14 * i as i64));
        world.skip_idle_until(world.now()).await;
        world.meter.counting(was);
        lead_path(&world, i).await?;
    }
    let total = world.meter.counts();
    let ticks = world.ticks.load(std::sync::atomic::Ordering::Relaxed);
    // An idle minute: nothing due (the cursors are current).
    world.clock.set(world.now() + Duration::days(1));
    world.meter.counting(false);
    world.skip_idle_until(world.now()).await;
    world.meter.counting(true);
    world.meter.reset();
    world.tick().await?;
    let idle_tick = world.meter.counts();
    // Each run counted above is two functions; `ticks` counts function runs.
    let per_lead = subtract(&total, &idle_tick, ticks as f64 / 2.0).per(leads);
    Ok(Measured { leads, instances, per_lead, idle_tick })
}

/// `total` less `times` × `idle`, never below zero.
fn subtract(total: &Counts, idle: &Counts, times: f64) -> Counts {
    let less = |v: &mut f64, i: f64| *v = (*v - i * times).max(0.0);
    let mut out = total.clone();
    for (key, t) in out.operations.iter_mut() {
        if let Some(i) = idle.operations.get(key) {
            less(&mut t.calls, i.calls);
            less(&mut t.units, i.units);
            less(&mut t.index_units, i.index_units);
            less(&mut t.request_bytes, i.request_bytes);
            less(&mut t.response_bytes, i.response_bytes);
        }
    }
    for (name, f) in out.functions.iter_mut() {
        if let Some(i) = idle.functions.get(name) {
            less(&mut f.count, i.count);
            less(&mut f.cold_starts, i.cold_starts);
            for (service, calls) in f.calls.iter_mut() {
                less(calls, i.calls.get(service).copied().unwrap_or(0.0));
            }
            for (op, calls) in f.operations.iter_mut() {
                less(calls, i.operations.get(op).copied().unwrap_or(0.0));
            }
        }
    }
    less(&mut out.log_bytes, idle.log_bytes);
    for (kind, w) in out.written.iter_mut() {
        if let Some(i) = idle.written.get(kind) {
            less(&mut w.writes, i.writes);
            less(&mut w.units, i.units);
        }
    }
    out
}

/// Dollars per lead by line of the bill.
#[derive(Debug, Clone, Default)]
pub struct Bill {
    pub lines: BTreeMap<&'static str, f64>,
    /// Per-message fees the target leaves out: SES emails (SMS fees are not priced here).
    pub message_fees: f64,
    pub sms: f64,
    pub emails: f64,
}

impl Bill {
    pub fn total(&self) -> f64 {
        self.lines.values().sum()
    }
}

/// A lead's bill from its counts at `prices`, with Lambda durations estimated from the calls
/// each invocation made and the functions' memory in `template`.
/// `config` is the operator configuration as stored: its reads at init are billed only when it
/// needs SSM's advanced tier.
pub fn bill(counts: &Counts, prices: &Prices, template: &str, config: &Prepared) -> Bill {
    let mut b = Bill::default();
    let mut line = |name: &'static str, dollars: f64| *b.lines.entry(name).or_default() += dollars;
    for ((service, op), t) in &counts.operations {
        match service.as_str() {
            "DynamoDB" => {
                let write = matches!(op.as_str(), "PutItem" | "UpdateItem" | "DeleteItem" | "BatchWriteItem" | "TransactWriteItems");
                if write {
                    line("DynamoDB writes", (t.units + t.index_units) * prices.dynamodb_write_unit);
                } else {
                    line("DynamoDB reads", t.units * prices.dynamodb_read_unit);
                }
            }
            "SQS" => line("SQS", t.units * prices.sqs_request),
            "SNS" => line("SNS", t.units * prices.sns_publish),
            "KMS" => line("KMS", t.units * prices.kms_request),
            "SSM" => line("SSM", 0.0),
            _ => {}
        }
    }
    // Every new instance reads the operator configuration at init: free on the standard tier.
    let inits: f64 = counts.functions.values().map(|f| f.cold_starts).sum();
    if inits > 0.0 && config.tier() == "Advanced" {
        line("SSM (configuration)", inits * prices.ssm_advanced_request);
    }
    let http: f64 = HTTP_FUNCTIONS.iter().filter_map(|f| counts.functions.get(*f)).map(|i| i.count).sum();
    line("API Gateway", http * prices.http_api_request);
    let (requests, gb_seconds) = lambda_usage(counts, template, prices);
    line("Lambda requests", requests * prices.lambda_request);
    line("Lambda duration", gb_seconds * prices.lambda_gb_second);
    line("CloudWatch Logs", counts.log_bytes / 1e9 * prices.logs_ingested_gb);
    b.sms = counts.get("SNS", "Publish (SMS)").calls;
    b.emails = counts.operations.iter().filter(|((s, o), _)| s == "SES" && o.starts_with("SendEmail")).map(|(_, t)| t.calls).sum();
    b.message_fees = b.emails * prices.ses_email;
    b
}

/// The functions of the lead's path behind the HTTP API (the others are triggered by queues,
/// the table's stream and schedules).
const HTTP_FUNCTIONS: [&str; 3] = ["IntakeFunction", "ContactsFunction", "WebhooksFunction"];

/// Invocations and GB-seconds of a lead: each invocation lasts its calls at the stated
/// latencies plus the stated compute time, billed by the millisecond, at the function's memory.
pub fn lambda_usage(counts: &Counts, template: &str, prices: &Prices) -> (f64, f64) {
    let mut requests = 0.0;
    let mut gb_seconds = 0.0;
    for (function, inv) in &counts.functions {
        let calls_ms: f64 = inv.calls.iter().map(|(service, n)| n * prices.latency_ms(service)).sum();
        let ms = (inv.count * prices.compute_ms + inv.cold_starts * prices.init_ms + calls_ms).ceil();
        requests += inv.count;
        gb_seconds += ms / 1000.0 * memory_mb(template, function) as f64 / 1024.0;
    }
    (requests, gb_seconds)
}

/// A function's `MemorySize` in `template` (its own, else the Globals'), in MB.
pub fn memory_mb(template: &str, function: &str) -> u32 {
    let size = |line: &str| line.trim().strip_prefix("MemorySize:").and_then(|v| v.trim().parse::<u32>().ok());
    let global = template.split("\nResources:").next().unwrap_or_default().lines().find_map(size).unwrap_or(128);
    let header = format!("\n  {function}:\n");
    let Some(at) = template.find(&header) else { return global };
    let body = &template[at + header.len()..];
    body.lines().take_while(|l| l.is_empty() || l.starts_with("   ") || l.trim_start().starts_with('#')).find_map(size).unwrap_or(global)
}

fn dollars(v: f64) -> String {
    if v >= 1.0 {
        format!("${v:.2}")
    } else if v >= 0.01 {
        format!("${v:.3}")
    } else {
        format!("${v:.4}")
    }
}

/// The printed report: requests per lead by service and operation (warm and cold instances),
/// dollars per 1,000 leads by line, and per month at three volumes with the schedules' fixed
/// cost.
pub fn report(warm: &Measured, cold: &Measured, prices: &Prices, template: &str) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "cost per lead on AWS adapters against moto: {} leads per column, each captured, acknowledged, scored and",
        warm.leads
    );
    let _ = writeln!(out, "assigned, worked through the 7-step med-spa cadence (one unanswered call recorded) and converted by a payment");
    let _ = writeln!(out, "warm = one instance per function for the run; cold = a new instance (empty data-key cache) per invocation");
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<9} {:<42} {:>10} {:>10} {:>12} {:>12}",
        "service", "operation", "req warm", "req cold", "units warm", "units cold"
    );
    let mut keys: Vec<&(String, String)> = warm.per_lead.operations.keys().chain(cold.per_lead.operations.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let (w, c) = (warm.per_lead.get(&key.0, &key.1), cold.per_lead.get(&key.0, &key.1));
        if w.calls == 0.0 && c.calls == 0.0 {
            continue;
        }
        let units = |t: &meter::Tally| match key.0.as_str() {
            "DynamoDB" if t.index_units > 0.0 => format!("{:.1}+{:.1}i", t.units, t.index_units),
            "DynamoDB" => format!("{:.1}", t.units),
            _ => format!("{:.1}", t.units),
        };
        let _ = writeln!(out, "{:<9} {:<42} {:>10.1} {:>10.1} {:>12} {:>12}", key.0, key.1, w.calls, c.calls, units(&w), units(&c));
    }
    let (wr, wgb) = lambda_usage(&warm.per_lead, template, prices);
    let (cr, cgb) = lambda_usage(&cold.per_lead, template, prices);
    let _ = writeln!(
        out,
        "{:<9} {:<42} {:>10.1} {:>10.1} {:>12} {:>12}",
        "Lambda",
        "invocations / GB-s (estimated)",
        wr,
        cr,
        format!("{wgb:.3}"),
        format!("{cgb:.3}")
    );
    let starts = |m: &Measured| m.per_lead.functions.values().map(|f| f.cold_starts).sum::<f64>();
    let _ = writeln!(out, "{:<9} {:<42} {:>10.1} {:>10.1}", "Lambda", "new instances (inits)", starts(warm), starts(cold));
    let _ = writeln!(
        out,
        "{:<9} {:<42} {:>10.0} {:>10.0}",
        "Logs", "bytes logged (JSON, INFO)", warm.per_lead.log_bytes, cold.per_lead.log_bytes
    );
    let _ = writeln!(out, "(DynamoDB units: read or write request units on the table + i on global secondary indexes)");
    let _ = writeln!(out);
    let _ = writeln!(out, "per lead by function (warm): invocations, then the calls they made");
    for (f, inv) in &warm.per_lead.functions {
        let calls: Vec<String> = inv.operations.iter().filter(|(_, n)| **n > 0.0).map(|(op, n)| format!("{op} {n:.1}")).collect();
        let _ = writeln!(out, "  {f:<22} {:>5.1} ({} MB): {}", inv.count, memory_mb(template, f), calls.join(", "));
    }
    let _ = writeln!(out, "DynamoDB writes per lead by item kind (PK/SK prefix; warm): writes, write units, largest item");
    let mut kinds: Vec<(&String, &meter::Written)> = warm.per_lead.written.iter().filter(|(_, w)| w.units > 0.0).collect();
    kinds.sort_by(|a, b| b.1.units.total_cmp(&a.1.units));
    for (kind, w) in kinds {
        let _ = writeln!(out, "  {kind:<24} {:>5.1} {:>6.1} WRU {:>6} B", w.writes, w.units, w.largest);
    }
    let _ = writeln!(out);
    let config = published_configuration();
    let _ = writeln!(
        out,
        "operator configuration (the embedded file) stored as {} bytes: a {} SSM parameter",
        config.bytes(),
        config.tier().to_lowercase()
    );
    let (mut bw, mut bc) = (bill(&warm.per_lead, prices, template, &config), bill(&cold.per_lead, prices, template, &config));
    // SQS's own KMS requests, at a clinic's volume of 1,000 leads a month.
    let reuse = sqs_key_reuse_seconds(template);
    let sends = warm.per_lead.get("SQS", "SendMessage").calls;
    let sse = |leads: f64| sqs_encryption_requests(sends * leads, reuse) * prices.kms_request;
    for b in [&mut bw, &mut bc] {
        b.lines.insert("KMS (SQS encryption)", sse(1_000.0) / 1_000.0);
    }
    let _ = writeln!(out, "{:<20} {:>16} {:>16}", "per 1,000 leads", "warm", "cold");
    for name in bw.lines.keys() {
        let _ = writeln!(
            out,
            "{:<20} {:>16} {:>16}",
            name,
            dollars(bw.lines[name] * 1000.0),
            dollars(bc.lines.get(name).copied().unwrap_or(0.0) * 1000.0)
        );
    }
    let _ = writeln!(out, "{:<20} {:>16} {:>16}", "total (no SMS fees)", dollars(bw.total() * 1000.0), dollars(bc.total() * 1000.0));
    let target = 0.05;
    let _ = writeln!(
        out,
        "target: under $0.05 per 1,000 leads -> warm {}, cold {}",
        if bw.total() * 1000.0 < target { "met" } else { "NOT met" },
        if bc.total() * 1000.0 < target { "met" } else { "NOT met" }
    );
    let _ = writeln!(
        out,
        "message fees, not in the total: {:.0} texts per lead (SMS fees by destination), {:.0} emails per lead at SES {} per 1,000 = {} per 1,000 leads",
        bw.sms,
        bw.emails,
        dollars(prices.ses_email * 1000.0),
        dollars(bw.message_fees * 1000.0)
    );
    let _ = writeln!(out);
    let idle: Vec<String> = warm.idle_tick.operations.iter().map(|((s, o), t)| format!("{s} {o} {}", t.calls)).collect();
    let _ = writeln!(out, "an idle minute's schedule runs (SLA checker + follow-up function): {}", idle.join(", "));
    let fixed = fixed_monthly(&warm.idle_tick, prices, template, &config);
    let _ = writeln!(
        out,
        "fixed per month whatever the volume: {}",
        fixed.iter().map(|(k, v)| format!("{k} {}", dollars(*v))).collect::<Vec<_>>().join(", ")
    );
    let fixed: f64 = fixed.values().sum();
    let _ = writeln!(
        out,
        "KMS (SQS encryption): modelled, not counted on moto: with the template's KmsDataKeyReusePeriodSeconds of {reuse:.0} s, SQS asks KMS"
    );
    let _ = writeln!(
        out,
        "  for a data key and its decryption once per queue per period with messages (per 1,000 leads above: at 1,000 a month)"
    );
    let _ = writeln!(out, "{:<18} {:>14} {:>14} {:>12} {:>14}", "per month", "leads (warm)", "leads (cold)", "fixed", "total (range)");
    for leads in [1_000.0, 10_000.0, 100_000.0] {
        let sse_here = sse(leads) - sse(1_000.0) / 1_000.0 * leads;
        let (w, c) = (bw.total() * leads + sse_here, bc.total() * leads + sse_here);
        let _ = writeln!(
            out,
            "{:<18} {:>14} {:>14} {:>12} {:>14}",
            format!("{} leads", leads as u64),
            dollars(w),
            dollars(c),
            dollars(fixed),
            format!("{}-{}", dollars(w + fixed), dollars(c + fixed))
        );
    }
    let _ = writeln!(out);
    let _ = write!(out, "{}", prices.describe());
    out
}

/// The template's `KmsDataKeyReusePeriodSeconds` for the queues (the longest; SQS's default of
/// 300 s when absent).
pub fn sqs_key_reuse_seconds(template: &str) -> f64 {
    template
        .lines()
        .filter_map(|l| l.trim().strip_prefix("KmsDataKeyReusePeriodSeconds:"))
        .filter_map(|v| v.split('#').next().and_then(|v| v.trim().parse::<f64>().ok()))
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
        .unwrap_or(300.0)
}

/// KMS requests SQS makes in a month for `messages` spread over the five lead-event queues,
/// with data keys reused for `reuse_seconds`: per queue, a GenerateDataKey (sending) and a
/// Decrypt (receiving) for each reuse period in which it carried a message, so at most a pair per
/// message.
pub fn sqs_encryption_requests(messages: f64, reuse_seconds: f64) -> f64 {
    let queues = leadflow::ports::Consumer::ALL.len() as f64;
    let periods = 30.0 * 86_400.0 / reuse_seconds;
    2.0 * queues * (messages / queues).min(periods)
}

/// The schedules' idle runs for a month (two one-minute schedules), the SQS event source
/// mappings' empty polls of the five lead-event queues, and the operator configuration's
/// parameter when it needs the advanced tier.
pub fn fixed_monthly(idle_tick: &Counts, prices: &Prices, template: &str, config: &Prepared) -> BTreeMap<&'static str, f64> {
    let minutes = 30.0 * 24.0 * 60.0;
    let b = bill(idle_tick, prices, template, config);
    let mut out = BTreeMap::new();
    out.insert("schedules (2 x 1/minute)", b.total() * minutes);
    out.insert("SQS polling (5 queues)", 5.0 * prices.sqs_polls_per_queue_month * prices.sqs_request);
    if config.tier() == "Advanced" {
        out.insert("SSM configuration parameter (advanced)", prices.ssm_advanced_parameter_month);
    }
    out
}

/// The operator configuration as the bench's deployment publishes it: the embedded file.
pub fn published_configuration() -> Prepared {
    published::prepare(leadflow::config::DEFAULT_CONFIG, "config/leadflow.toml").expect("the embedded configuration is published")
}

/// The bench: warm and cold runs of `leads` leads on moto at `moto` (or on a moto server started
/// here from `tests/support/moto_server.py`), then the report.
pub async fn bench(moto: Option<&str>, leads: usize) -> anyhow::Result<()> {
    meter::count_logs();
    let started;
    let endpoint = match moto {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => {
            started = MotoServer::start("cost")?;
            started.url().to_string()
        }
    };
    let template = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml"))?;
    let warm = measure(&endpoint, leads, Instances::Warm).await?;
    let cold = measure(&endpoint, leads, Instances::Cold).await?;
    println!("{}", report(&warm, &cold, &Prices::default(), &template));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "Globals:\n  Function:\n    MemorySize: 256\nResources:\n  AQueue:\n    Properties:\n      KmsDataKeyReusePeriodSeconds: 86400\n  BigFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      # comment\n      MemorySize: 512\n  SmallFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      Timeout: 10\n";

    #[test]
    fn memory_is_the_functions_own_else_the_globals() {
        assert_eq!(memory_mb(TEMPLATE, "BigFunction"), 512);
        assert_eq!(memory_mb(TEMPLATE, "SmallFunction"), 256);
        assert_eq!(memory_mb(TEMPLATE, "Missing"), 256);
    }

    #[test]
    fn sqs_asks_kms_at_most_twice_a_message_and_twice_a_period() {
        assert_eq!(sqs_key_reuse_seconds(TEMPLATE), 86_400.0);
        assert_eq!(sqs_key_reuse_seconds("Resources:\n"), 300.0);
        // 13,000 messages a month over five queues: every one in a period of its own at 300 s.
        assert_eq!(sqs_encryption_requests(13_000.0, 300.0), 26_000.0);
        // A day: 30 periods a queue.
        assert_eq!(sqs_encryption_requests(13_000.0, 86_400.0), 2.0 * 5.0 * 30.0);
    }

    #[test]
    fn a_bill_prices_units_invocations_and_logs() {
        let mut c = Counts::default();
        c.operations
            .insert(("DynamoDB".into(), "PutItem".into()), meter::Tally { calls: 2.0, units: 3.0, index_units: 1.0, ..Default::default() });
        c.operations.insert(("SQS".into(), "SendMessage".into()), meter::Tally { calls: 1.0, units: 1.0, ..Default::default() });
        let mut inv = meter::Invocations { count: 1.0, ..Default::default() };
        inv.calls.insert("DynamoDB".into(), 2.0);
        c.functions.insert("BigFunction".into(), inv);
        c.log_bytes = 1e9;
        let p = Prices::default();
        let advanced = Prepared { value: "x".repeat(published::STANDARD_LIMIT + 1) };
        let b = bill(&c, &p, TEMPLATE, &advanced);
        assert_eq!(b.lines["DynamoDB writes"], 4.0 * p.dynamodb_write_unit);
        assert_eq!(b.lines["SQS"], p.sqs_request);
        assert_eq!(b.lines["CloudWatch Logs"], 0.5);
        // 2 ms + 2 x 6 ms at 512 MB.
        assert!((b.lines["Lambda duration"] - 0.014 * 0.5 * p.lambda_gb_second).abs() < 1e-15);
        assert!(!b.lines.contains_key("SSM (configuration)"), "no new instance, no configuration read");
        c.functions.get_mut("BigFunction").unwrap().cold_starts = 1.0;
        assert_eq!(bill(&c, &p, TEMPLATE, &advanced).lines["SSM (configuration)"], p.ssm_advanced_request);
        // The embedded configuration is a standard parameter: its reads are free.
        assert_eq!(published_configuration().tier(), "Standard");
        assert!(!bill(&c, &p, TEMPLATE, &published_configuration()).lines.contains_key("SSM (configuration)"));
    }
}
