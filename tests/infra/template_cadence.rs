//! What follow-up cadences need from `template.yaml`: the `followup` function on a one-minute schedule,
//! SES sending scoped to the sender identity (and configuration set) for that function only, and
//! the cadence consumer on its own queue with a dead-letter queue. (Least privilege in general
//! is `tests/infra/template_policies.rs`.)

use serde_yaml_ng::Value;
use std::path::Path;

fn template() -> Value {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("template.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

/// A tagged value's inner value (`!Sub "..."` -> "...").
fn untag(v: &Value) -> &Value {
    match v {
        Value::Tagged(t) => &t.value,
        other => other,
    }
}

/// Every Allow statement of a role, with both branches of a conditional one.
fn statements(role: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for policy in role["Properties"]["Policies"].as_sequence().cloned().unwrap_or_default() {
        for st in policy["PolicyDocument"]["Statement"].as_sequence().cloned().unwrap_or_default() {
            match &st {
                Value::Tagged(t) => out.extend(t.value.as_sequence().into_iter().flatten().skip(1).filter(|b| b.is_mapping()).cloned()),
                _ => out.push(st),
            }
        }
    }
    out
}

fn actions(st: &Value) -> Vec<String> {
    match &st["Action"] {
        Value::Sequence(a) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
        Value::String(s) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// The resource strings of a statement, conditional ones included (`!If` branches, no NoValue).
fn resources(v: &Value) -> Vec<String> {
    match v {
        Value::Sequence(items) => items.iter().flat_map(resources).collect(),
        Value::Tagged(t) if t.tag.to_string().trim_start_matches('!') == "If" => {
            t.value.as_sequence().into_iter().flatten().skip(1).flat_map(resources).collect()
        }
        Value::Tagged(t) if t.tag.to_string().trim_start_matches('!') == "Ref" => Vec::new(),
        other => untag(other).as_str().map(|s| vec![s.to_string()]).unwrap_or_default(),
    }
}

#[test]
fn the_followup_function_runs_every_minute() {
    let t = template();
    let f = &t["Resources"]["FollowupFunction"];
    assert_eq!(f["Properties"]["Environment"]["Variables"]["LEADFLOW_FUNCTION"].as_str(), Some("followup"));
    let events = f["Properties"]["Events"].as_mapping().expect("FollowupFunction has events");
    let schedules: Vec<&Value> = events.values().filter(|e| e["Type"].as_str() == Some("Schedule")).collect();
    assert_eq!(schedules.len(), 1, "one schedule");
    assert_eq!(schedules[0]["Properties"]["Schedule"].as_str(), Some("rate(1 minute)"));
    assert_eq!(schedules[0]["Properties"]["Enabled"].as_bool(), Some(true));
    // A failed tick is not retried by EventBridge: the next tick picks up the same work.
    assert_eq!(schedules[0]["Properties"]["RetryPolicy"]["MaximumRetryAttempts"].as_u64(), Some(0));
}

#[test]
fn only_the_roles_that_write_to_people_send_email_and_only_from_the_sender_identity() {
    let t = template();
    let mut found = false;
    for (name, r) in t["Resources"].as_mapping().unwrap() {
        if r["Type"].as_str() != Some("AWS::IAM::Role") {
            continue;
        }
        for st in statements(r) {
            let ses: Vec<String> = actions(&st).into_iter().filter(|a| a.starts_with("ses:")).collect();
            if ses.is_empty() {
                continue;
            }
            // The weekly report summary sends to staff as its own identity only.
            if name.as_str() == Some("WeeklySummaryRole") {
                assert_eq!(ses, ["ses:SendEmail"], "SendEmail only");
                assert_eq!(
                    resources(&st["Resource"]),
                    ["arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${ReportSenderIdentity}"]
                );
                continue;
            }
            // The follow-up function's cadence emails, the acknowledgement's email fallback for
            // a number that cannot take a text, and a staff member's e-mail to the
            // person (the contacts route and the console): all from the cadence sender identity.
            assert!(
                matches!(name.as_str(), Some("FollowupRole" | "AcknowledgeRole" | "ContactsRole" | "ConsoleRole")),
                "{name:?} may use SES"
            );
            assert_eq!(ses, ["ses:SendEmail"], "SendEmail only");
            let res = resources(&st["Resource"]);
            assert_eq!(
                res,
                [
                    "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${EmailSenderIdentity}",
                    "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:configuration-set/${SesConfigurationSet}",
                ],
                "the sender identity and the configuration set, nothing else"
            );
            found = true;
        }
    }
    assert!(found, "the follow-up function may send email");
    // The functions send from the configured address under that identity.
    for function in ["FollowupFunction", "AcknowledgeFunction", "ContactsFunction", "ConsoleFunction"] {
        let env = &t["Resources"][function]["Properties"]["Environment"]["Variables"];
        assert!(env.get("LEADFLOW_EMAIL_FROM").is_some() && env.get("LEADFLOW_SES_CONFIGURATION_SET").is_some(), "{function}");
    }
}

#[test]
fn the_cadence_consumer_has_its_queue_and_dead_letter_queue_and_publishers_know_the_queue() {
    let t = template();
    let q = &t["Resources"]["CadenceQueue"]["Properties"];
    assert_eq!(q["RedrivePolicy"]["maxReceiveCount"].as_u64(), Some(3));
    let mapping = &t["Resources"]["CadenceQueueEventSource"]["Properties"];
    assert_eq!(mapping["FunctionResponseTypes"][0].as_str(), Some("ReportBatchItemFailures"), "partial batch failures");
    // Every function publishing an event the cadence consumer takes has the queue's URL (intake's
    // events go through the outbox relay).
    for f in ["RelayFunction", "ScoreFunction", "ContactsFunction", "LeadsApiFunction", "WebhookWorkerFunction"] {
        let env = &t["Resources"][f]["Properties"]["Environment"]["Variables"];
        assert!(env.get("LEADFLOW_QUEUE_CADENCE").is_some(), "{f} lacks LEADFLOW_QUEUE_CADENCE");
    }
}
