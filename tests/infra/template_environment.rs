//! Every function's environment in `template.yaml` against what the function reads
//! (`leadflow::wiring::settings`, the list its init reads and checks): every setting it reads
//! is set for it, every required one unconditionally and to a value, every `LEADFLOW_*`
//! variable set for it is one it reads, publishers of one consumer name the same queue, and that
//! queue feeds a function. Values are read by evaluating the template (a naming-only stack).

use leadflow::wiring::settings::{self, Setting, OUTSIDE_THE_TEMPLATE};
use leadflow_provision::template::intrinsic;
use leadflow_provision::{Stack, StackOptions, Template};
use serde_yaml_ng::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

fn template() -> Arc<Template> {
    Arc::new(Template::repository().expect("template.yaml"))
}

/// A function's declared variables: `Globals` overlaid with its own.
fn declared(t: &Template, id: &str) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for (k, v) in t.global_function_variables().into_iter().flatten() {
        out.insert(k.as_str().unwrap().to_string(), v.clone());
    }
    let own = t.resource(id).unwrap().property("Environment").get("Variables").cloned().unwrap_or(Value::Null);
    for (k, v) in own.as_mapping().into_iter().flatten() {
        out.insert(k.as_str().unwrap().to_string(), v.clone());
    }
    out
}

/// Whether a value can be left out (`!If [..., ..., !Ref AWS::NoValue]` somewhere inside).
fn conditional(v: &Value) -> bool {
    match intrinsic(v) {
        Some(("If", arg)) => arg.as_sequence().is_some_and(|a| a[1..].iter().any(|b| conditional(b) || is_no_value(b))),
        _ => false,
    }
}

fn is_no_value(v: &Value) -> bool {
    matches!(intrinsic(v), Some(("Ref", name)) if name.as_str() == Some("AWS::NoValue"))
}

/// `!Ref X` -> X.
fn referenced(v: &Value) -> Option<String> {
    match intrinsic(v) {
        Some(("Ref", name)) => name.as_str().map(str::to_string),
        _ => None,
    }
}

#[tokio::test]
async fn the_template_sets_every_setting_each_function_reads_and_nothing_else() {
    let t = template();
    // The default parameters, and a weekly-summary sender so that that function is deployed too.
    let options = StackOptions::new("leadflow")
        .parameter("ReportSenderAddress", "reports@clinic.example")
        .parameter("ReportSenderIdentity", "clinic.example");
    let mut stack = Stack::naming_only(t.clone(), options);
    let functions = stack.functions();
    let in_template: BTreeSet<&str> = functions.iter().map(|f| f.name.as_str()).collect();
    let in_code: BTreeSet<&str> = settings::FUNCTIONS.iter().map(|f| f.function).collect();
    assert_eq!(in_template, in_code, "the template's functions and leadflow::wiring::settings::FUNCTIONS");
    let mut checked = 0;
    for f in &functions {
        let reads = settings::of(&f.name).unwrap();
        let declared = declared(&t, &f.id);
        assert!(stack.deployed(&f.id).unwrap(), "{}", f.id);
        // What the function gets.
        let env = stack.function_environment(&f.name).await.unwrap();
        for need in reads.needs() {
            let var = need.setting.var();
            let value = declared.get(&var).unwrap_or_else(|| panic!("{}: reads {var}, which the template does not set for it", f.id));
            if need.required {
                assert!(!conditional(value), "{}: {var} is required, so it must not depend on a condition", f.id);
                assert!(env.get(&var).is_some_and(|v| !v.is_empty()), "{}: {var} is empty", f.id);
            }
            checked += 1;
        }
        for var in declared.keys() {
            let read = reads.needs().any(|n| n.setting.var() == *var);
            assert!(read || !var.starts_with("LEADFLOW_"), "{}: the template sets {var}, which the function does not read", f.id);
            assert!(!OUTSIDE_THE_TEMPLATE.iter().any(|(v, _)| v == var), "{}: {var} must not be set by the template", f.id);
        }
    }
    assert!(checked >= 3 * functions.len());
}

#[test]
fn publishers_of_a_consumer_name_one_queue_and_it_feeds_a_function() {
    let t = template();
    let mut queue_of: BTreeMap<String, String> = BTreeMap::new();
    let functions: Vec<(String, String)> = t
        .resources()
        .filter(|r| r.kind == "AWS::Serverless::Function")
        .map(|r| (r.id.to_string(), r.property("Environment")["Variables"]["LEADFLOW_FUNCTION"].as_str().unwrap().to_string()))
        .collect();
    for (id, name) in &functions {
        let declared = declared(&t, id);
        for consumer in settings::of(name).unwrap().queues() {
            let var = Setting::Queue(consumer).var();
            let queue = referenced(&declared[&var]).unwrap_or_else(|| panic!("{id}: {var} is not a !Ref to a queue"));
            assert_eq!(t.resource(&queue).map(|r| r.kind), Some("AWS::SQS::Queue"), "{id}: {var}");
            let first = queue_of.entry(var.clone()).or_insert_with(|| queue.clone());
            assert_eq!(*first, queue, "{id}: {var} names another queue than the other publishers");
        }
    }
    assert!(queue_of.len() >= 4, "{queue_of:?}");
    // Each such queue is the event source of a function (an SQS mapping or a function's SQS event).
    let feeds = |queue: &str| {
        let arn = format!("{queue}.Arn");
        t.resources().any(|r| {
            let source = match r.kind {
                "AWS::Lambda::EventSourceMapping" => r.property("EventSourceArn").clone(),
                "AWS::Serverless::Function" => {
                    let events = r.property("Events").as_mapping().cloned().unwrap_or_default();
                    return events
                        .values()
                        .any(|e| matches!(intrinsic(&e["Properties"]["Queue"]), Some(("GetAtt", a)) if a.as_str() == Some(arn.as_str())));
                }
                _ => return false,
            };
            matches!(intrinsic(&source), Some(("GetAtt", a)) if a.as_str() == Some(arn.as_str()))
        })
    };
    for (var, queue) in &queue_of {
        assert!(feeds(queue), "{var}: {queue} feeds no function");
    }
}

/// Every function reads the stack's one configuration parameter (`/leadflow/<Stage>/config`
/// unless `ConfigParameterName` names another), and its role may read exactly that parameter and
/// its history: no other parameter, no path below it, no write.
#[tokio::test]
async fn every_function_reads_the_stacks_configuration_parameter_and_may_read_only_that_one() {
    let t = template();
    let sender =
        |o: StackOptions| o.parameter("ReportSenderAddress", "reports@clinic.example").parameter("ReportSenderIdentity", "clinic.example");
    for (options, expected) in [
        (StackOptions::new("leadflow"), "/leadflow/prod/config"),
        (StackOptions::new("leadflow").parameter("Stage", "staging"), "/leadflow/staging/config"),
        (StackOptions::new("leadflow").parameter("ConfigParameterName", "/acme/leadflow-config"), "/acme/leadflow-config"),
    ] {
        let mut stack = Stack::naming_only(t.clone(), sender(options));
        let arn = format!("arn:aws:ssm:{}:{}:parameter{expected}", stack.region(), leadflow_provision::MOTO_ACCOUNT);
        let functions = stack.functions();
        assert!(!functions.is_empty());
        for f in &functions {
            let env = stack.function_environment(&f.name).await.unwrap();
            assert_eq!(env.get(&Setting::ConfigParameter.var()).map(String::as_str), Some(expected), "{}", f.id);
            let role = match intrinsic(t.resource(&f.id).unwrap().property("Role")) {
                Some(("GetAtt", r)) => r.as_str().unwrap().trim_end_matches(".Arn").to_string(),
                other => panic!("{}: Role {other:?}", f.id),
            };
            let statements = t.resource(&role).unwrap().property("Policies")[0]["PolicyDocument"]["Statement"].clone();
            let reads: Vec<&Value> = statements
                .as_sequence()
                .unwrap()
                .iter()
                .filter(|st| st["Action"].as_sequence().is_some_and(|a| a.iter().any(|x| x.as_str() == Some("ssm:GetParameterHistory"))))
                .collect();
            assert_eq!(reads.len(), 1, "{role}");
            let actions: Vec<&str> = reads[0]["Action"].as_sequence().unwrap().iter().filter_map(Value::as_str).collect();
            assert_eq!(actions, ["ssm:GetParameter", "ssm:GetParameterHistory"], "{role}");
            let resource = stack.evaluate(&reads[0]["Resource"]).unwrap().unwrap();
            assert_eq!(resource.as_str(), Some(arn.as_str()), "{role}");
        }
    }
}
