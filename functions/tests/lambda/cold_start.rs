//! Cold start of every function of the template, measured on the real executable under the
//! Runtime API emulator against moto made from the template (a local endpoint: network time is
//! moto's, not AWS's): init (process start to the first `next`), the first invocation, and where
//! init goes (the `initialized` log line: the SDK configuration, the operator configuration,
//! clients, secrets from SSM, the DynamoDB warm-up read, and the CPU warm-ups that run on threads
//! of their own meanwhile: phone metadata where the function declares phone numbers, the link
//! patterns where it composes messages, with how long init waited for them at the end). Prints a
//! table; asserts nothing about time.
//!
//! `cargo test --release -p leadflow-functions --test lambda cold_start -- --ignored --nocapture`
//! (debug builds are several times slower). `LEADFLOW_COLD_START_EXECUTABLE` names another
//! `leadflow-functions` executable to measure (a release build from `cargo build --release -p
//! leadflow-functions`, with a debug test binary driving it); by default the bench runs the one
//! cargo built for this test binary. First invocations: intake takes a form post; the
//! relay a stream batch of one outbox record (for a lead that does not exist: its watch and
//! queue sends); an SQS consumer a batch of one lead event (for a lead that does not exist: one DynamoDB read,
//! reported failed); a scheduled function a scheduled event; every other HTTP function a request
//! to its first route with no signed-in user (answered by the role check, no AWS call).

use crate::aws_mode::{http_event, scheduled_event, System, EVENTS, EXECUTABLE};
use leadflow_provision::template::intrinsic;
use leadflow_tests::lambda::Function;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Names the executable the bench measures instead of the one built with this test binary.
const EXECUTABLE_VAR: &str = "LEADFLOW_COLD_START_EXECUTABLE";

/// The executable the bench measures: [`EXECUTABLE_VAR`]'s, else the test build's.
fn measured_executable() -> PathBuf {
    match std::env::var_os(EXECUTABLE_VAR).filter(|v| !v.is_empty()) {
        Some(path) => {
            let path = PathBuf::from(path);
            assert!(path.is_file(), "{EXECUTABLE_VAR}={}: no such file", path.display());
            path
        }
        None => PathBuf::from(EXECUTABLE),
    }
}

/// The first event for a function, from its trigger in the template.
fn first_event(s: &System, function: &str) -> (String, Value) {
    let id = s.stack.functions().into_iter().find(|f| f.name == function).unwrap().id;
    let resource = s.stack.template().resource(&id).unwrap();
    let events = resource.property("Events").as_mapping().cloned().unwrap_or_default();
    let mapped = s.stack.template().resources().find(|r| {
        r.kind == "AWS::Lambda::EventSourceMapping"
            && matches!(intrinsic(r.property("FunctionName")), Some(("Ref", f)) if f.as_str() == Some(id.as_str()))
    });
    let stream_fed = mapped.as_ref().is_some_and(
        |m| matches!(intrinsic(m.property("EventSourceArn")), Some(("GetAtt", a)) if a.as_str().is_some_and(|a| a.ends_with(".StreamArn"))),
    );
    if function == "intake" {
        let body = json!({"first_name": "Ann", "phone": "+12015550142", "service_line": "med_spa", "consent_sms": "true"});
        return ("form post".into(), http_event("/leads", "application/json", &body.to_string(), &[]));
    }
    if stream_fed {
        let table = s.stack.resource("LeadsTable").unwrap();
        let record = json!({
            "eventID": "1", "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb", "awsRegion": s.stack.region(),
            "dynamodb": {
                "Keys": { "PK": { "S": "LEAD#01JQ0000000000000000000001" }, "SK": { "S": "OUTBOX#01JQ0000000000000000000002#lead.captured" } },
                "SequenceNumber": "100", "SizeBytes": 120, "StreamViewType": "KEYS_ONLY",
            },
            "eventSourceARN": table.attributes["StreamArn"],
        });
        return ("stream batch of 1".into(), json!({ "Records": [record] }));
    }
    if mapped.is_some() {
        let sample: Value = serde_json::from_str(&std::fs::read_to_string(format!("{EVENTS}/acknowledge-sqs.json")).unwrap()).unwrap();
        let mut record = sample["Records"][0].clone();
        record["eventSourceARN"] = json!(s.queue_of(function).arn);
        return ("SQS batch of 1".into(), json!({ "Records": [record] }));
    }
    if events.values().any(|e| matches!(e["Type"].as_str(), Some("Schedule" | "ScheduleV2"))) {
        return ("scheduled event".into(), scheduled_event());
    }
    let route = events.values().find(|e| e["Type"].as_str() == Some("HttpApi")).expect("an HTTP route");
    let path = route["Properties"]["Path"].as_str().unwrap_or("/").replace("{id}", "01JQ0000000000000000000001");
    let method = route["Properties"]["Method"].as_str().unwrap_or("GET").to_ascii_uppercase();
    let mut event = http_event(&path, "application/json", "", &[]);
    event["requestContext"]["http"]["method"] = json!(method);
    event["routeKey"] = json!(format!("{method} {path}"));
    (format!("{method} {path}, signed out"), event)
}

/// The `initialized` line a function logs at init (JSON logs to `log`).
fn initialized_line(log: &Path) -> Value {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["message"].as_str() == Some("initialized"))
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn only_a_function_that_declares_phone_numbers_loads_the_phone_metadata_at_init() {
    let mut s = System::new().await;
    let logs = std::env::temp_dir().join(format!("leadflow-phone-warm-up-{}", std::process::id()));
    std::fs::create_dir_all(&logs).unwrap();
    for (name, warms) in [("intake", true), ("reports", false)] {
        assert_eq!(leadflow::wiring::settings::of(name).unwrap().phone_numbers, warms, "{name}");
        let mut env = s.environment(name).await;
        env.insert("AWS_LAMBDA_LOG_FORMAT".into(), "JSON".into());
        let log = logs.join(format!("{name}.log"));
        let function = Function::start_logging_to(Path::new(EXECUTABLE), name, &env, Some(&log)).await;
        drop(function);
        let line = initialized_line(&log);
        assert_eq!(line["metadata_warmed"].as_bool(), Some(warms), "{name}: {line}");
        // Init joined its warm-ups before it asked for work: the line says how long it waited.
        assert!(line["warm_up_wait_ms"].as_f64().is_some(), "{name}: {line}");
    }
}

#[tokio::test]
#[ignore = "a benchmark: prints figures"]
async fn cold_start_of_every_function() {
    let executable = measured_executable();
    println!("\nexecutable: {}", executable.display());
    let mut s = System::new().await;
    let mut rows = Vec::new();
    let logs = std::env::temp_dir().join(format!("leadflow-cold-start-{}", std::process::id()));
    std::fs::create_dir_all(&logs).unwrap();
    for f in s.stack.functions() {
        let mut env = s.environment(&f.name).await;
        env.insert("AWS_LAMBDA_LOG_FORMAT".into(), "JSON".into());
        let log = logs.join(format!("{}.log", f.name));
        let (kind, event) = first_event(&s, &f.name);
        let function = Function::start_logging_to(&executable, &f.name, &env, Some(&log)).await;
        let at = Instant::now();
        let outcome = function.invoke(event).await;
        let first = at.elapsed();
        let init = function.init;
        drop(function);
        let line = initialized_line(&log);
        let part = |k: &str| line[k].as_f64().map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into());
        let answered = match outcome {
            leadflow_tests::lambda::Outcome::Response(v) => v["statusCode"].as_u64().map(|c| c.to_string()).unwrap_or_else(|| "ok".into()),
            leadflow_tests::lambda::Outcome::Error(_) => "error".into(),
        };
        rows.push(format!(
            "| {} | {:.1} | {:.1} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            f.name,
            init.as_secs_f64() * 1000.0,
            first.as_secs_f64() * 1000.0,
            part("sdk_ms"),
            part("config_ms"),
            part("clients_ms"),
            part("secrets_ms"),
            match line["metadata_warmed"].as_bool() {
                Some(false) => "not loaded".to_string(),
                _ => part("metadata_ms"),
            },
            match line["links_warmed"].as_bool() {
                Some(false) => "not compiled".to_string(),
                _ => part("links_ms"),
            },
            part("warm_ms"),
            part("warm_up_wait_ms"),
            kind,
            answered,
        ));
    }
    println!("\n| function | init ms | first invocation ms | SDK config | config | clients | secrets | phone metadata | link patterns | DynamoDB warm-up | waited for warm-ups | first event | answer |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        println!("{r}");
    }
}
