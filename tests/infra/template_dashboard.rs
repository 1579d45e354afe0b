//! The operations dashboard in `template.yaml` against the code: every business metric the
//! functions emit (`leadflow::ports::metrics::Metric::names`) is on it, every metric it graphs in
//! the stack's namespace is one the code emits or a metric filter of the template counts, each
//! breakdown by a dimension uses the dimension the code gives that metric, and every queue it
//! graphs is a queue of the stack. The body is evaluated as CloudFormation would (`!Sub` with a
//! naming-only stack), then read as JSON.

use leadflow::ports::metrics::Metric;
use leadflow_provision::{Stack, StackOptions, Template};
use serde_json::Value as Json;
use std::collections::BTreeSet;
use std::sync::Arc;

const STACK: &str = "leadflow";

async fn dashboard_body() -> Json {
    let t = Arc::new(Template::repository().expect("template.yaml"));
    let dashboards: Vec<String> = t.resources().filter(|r| r.kind == "AWS::CloudWatch::Dashboard").map(|r| r.id.to_string()).collect();
    assert_eq!(dashboards, ["OperationsDashboard"]);
    let body = t.resource("OperationsDashboard").unwrap().property("DashboardBody").clone();
    let mut stack = Stack::naming_only(t, StackOptions::new(STACK));
    let text = stack.provision_value(&body).await.expect("every name in the body is the stack's").expect("a body");
    serde_json::from_str(text.as_str().expect("the body is a string")).expect("the body is JSON")
}

/// (namespace, metric name) of every plain metric the widgets graph, with `"."` and `"..."`
/// resolved against the line before, as CloudWatch reads them.
fn graphed(body: &Json) -> Vec<(String, String, Vec<String>)> {
    let mut out = Vec::new();
    for w in body["widgets"].as_array().unwrap() {
        let mut previous: Vec<String> = Vec::new();
        for line in w["properties"]["metrics"].as_array().into_iter().flatten() {
            let values: Vec<&str> = line.as_array().unwrap().iter().filter_map(Json::as_str).collect();
            if values.is_empty() {
                continue; // an expression
            }
            let resolved: Vec<String> = if values[0] == "..." {
                let given = &values[1..];
                let kept = previous.len().saturating_sub(given.len());
                previous[..kept].iter().cloned().chain(given.iter().map(|s| s.to_string())).collect()
            } else {
                values.iter().enumerate().map(|(i, v)| if *v == "." { previous[i].clone() } else { v.to_string() }).collect()
            };
            out.push((resolved[0].clone(), resolved[1].clone(), resolved[2..].to_vec()));
            previous = resolved;
        }
    }
    out
}

/// (namespace, dimension, metric name) of every `SEARCH('{namespace,Dimension} MetricName="X"')`.
fn searched(body: &Json) -> Vec<(String, String, String)> {
    let pattern = regex::Regex::new(r#"SEARCH\('\{([^,}]+),([^}]+)\} MetricName="([A-Za-z]+)""#).unwrap();
    let mut out = Vec::new();
    for w in body["widgets"].as_array().unwrap() {
        for line in w["properties"]["metrics"].as_array().into_iter().flatten() {
            for e in line.as_array().unwrap().iter().filter_map(|v| v["expression"].as_str()) {
                let c = pattern.captures(e).unwrap_or_else(|| panic!("an expression the test does not read: {e}"));
                out.push((c[1].to_string(), c[2].to_string(), c[3].to_string()));
            }
        }
    }
    out
}

#[tokio::test]
async fn the_dashboard_graphs_the_metrics_the_code_emits() {
    let body = dashboard_body().await;
    let namespace = format!("leadflow/{STACK}");
    let plain = graphed(&body);
    let searches = searched(&body);
    let ours: BTreeSet<&str> = plain
        .iter()
        .filter(|(ns, _, _)| *ns == namespace)
        .map(|(_, m, _)| m.as_str())
        .chain(searches.iter().map(|(_, _, m)| m.as_str()))
        .collect();
    // The template's own metric filters count log lines into the same namespace.
    let t = Template::repository().unwrap();
    let filtered: BTreeSet<String> = t
        .resources()
        .filter(|r| r.kind == "AWS::Logs::MetricFilter")
        .filter_map(|r| r.property("MetricTransformations")[0]["MetricName"].as_str().map(str::to_string))
        .collect();
    for name in Metric::names() {
        assert!(ours.contains(name), "{name} is emitted but not on the dashboard");
    }
    for name in &ours {
        assert!(Metric::names().any(|n| n == *name) || filtered.contains(*name), "the dashboard graphs {name}, which nothing emits");
    }
    assert!(ours.contains("LeadsWaiting"), "the watch's count is on the dashboard");
    // Plain lines of our namespace are the stack-wide series: no dimensions.
    for (ns, m, dims) in &plain {
        if *ns == namespace {
            assert!(dims.is_empty(), "{m}: the emitted stack-wide series has no dimension, the line names {dims:?}");
        }
    }
    // Breakdowns use the metric's one dimension, in the stack's namespace.
    for (ns, dimension, m) in &searches {
        assert_eq!(*ns, namespace, "{m}");
        let metric = Metric::ALL.into_iter().find(|x| x.name() == m).unwrap_or_else(|| panic!("{m} is not emitted"));
        assert_eq!(dimension, metric.dimension().name(), "{m}");
    }
    // Speed to lead as percentiles.
    let stats: BTreeSet<&str> = body["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["properties"]["metrics"].as_array().into_iter().flatten())
        .filter_map(|l| l.as_array().unwrap().last().and_then(|o| o["stat"].as_str()))
        .collect();
    assert!(stats.contains("p50") && stats.contains("p90"), "{stats:?}");
}

#[tokio::test]
async fn the_dashboard_shows_the_depth_of_every_dead_letter_queue() {
    let body = dashboard_body().await;
    let t = Arc::new(Template::repository().unwrap());
    let mut stack = Stack::naming_only(t.clone(), StackOptions::new(STACK));
    let mut expected = BTreeSet::new();
    // Every queue some other queue dead-letters to, and the relay's and schedules' failure queues.
    let targets: BTreeSet<String> = t
        .resources()
        .filter(|r| r.kind == "AWS::SQS::Queue")
        .filter_map(|r| {
            let arn = &r.property("RedrivePolicy")["deadLetterTargetArn"];
            leadflow_provision::template::intrinsic(arn)
                .and_then(|(_, v)| v.as_str().or_else(|| v.as_sequence().and_then(|s| s[0].as_str())).map(|s| s.to_string()))
        })
        .map(|s| s.trim_end_matches(".Arn").to_string())
        .collect();
    assert!(targets.len() >= 5, "{targets:?}");
    for id in targets.iter().map(String::as_str).chain(["RelayFailureQueue", "ScheduledFailuresQueue"]) {
        let physical = stack.provision(id).await.unwrap();
        expected.insert(physical.attributes["QueueName"].clone());
    }
    let graphed: BTreeSet<String> = graphed(&body)
        .into_iter()
        .filter(|(ns, m, _)| ns == "AWS/SQS" && m == "ApproximateNumberOfMessagesVisible")
        .map(|(_, _, dims)| {
            assert_eq!(dims[0], "QueueName");
            dims[1].clone()
        })
        .collect();
    assert_eq!(graphed, expected);
}
