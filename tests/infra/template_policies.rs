//! Least privilege, checked on `template.yaml` itself:
//!
//! * no Allow statement anywhere grants a wildcard action (`dynamodb:*`, `*`);
//! * no function role's Allow statement names `Resource: "*"` except the declared exceptions
//!   (`[[wildcard_resources]]` in `infra/permissions.toml`: SNS Publish to phone numbers);
//! * every function runs as an explicit role (no SAM `Policies:`, no managed policies, so no
//!   `logs:*` on `*` from AWSLambdaBasicExecutionRole), and that role holds exactly the
//!   (action, resource) pairs declared for the function in `infra/permissions.toml`, each backed
//!   by the code that needs it;
//! * no role may update or delete audit items (`AuditTable` is append-only).

use serde::Deserialize;
use serde_yaml_ng::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[derive(Debug, Deserialize)]
struct Declared {
    functions: BTreeMap<String, Function>,
    #[serde(default)]
    wildcard_resources: Vec<Wildcard>,
}

#[derive(Debug, Deserialize)]
struct Function {
    role: String,
    allow: Vec<Permission>,
}

#[derive(Debug, Deserialize)]
struct Permission {
    action: String,
    resource: String,
    evidence: String,
}

#[derive(Debug, Deserialize)]
struct Wildcard {
    action: String,
    why: String,
}

fn template() -> Value {
    let text = std::fs::read_to_string(Path::new(ROOT).join("template.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).expect("template.yaml parses (CloudFormation tags included)")
}

fn declared() -> Declared {
    toml::from_str(&std::fs::read_to_string(Path::new(ROOT).join("infra/permissions.toml")).unwrap()).expect("infra/permissions.toml")
}

/// A CloudFormation short tag and its value (`!GetAtt X.Arn` -> ("GetAtt", "X.Arn")).
fn tagged(v: &Value) -> Option<(String, &Value)> {
    match v {
        Value::Tagged(t) => Some((t.tag.to_string().trim_start_matches('!').to_string(), &t.value)),
        _ => None,
    }
}

/// The template resource(s) a policy `Resource` names: `LeadsTable`, `LeadsTable/index/GSI1`, `*`.
fn resource_names(v: &Value) -> Vec<String> {
    if let Value::Sequence(items) = v {
        return items.iter().flat_map(resource_names).collect();
    }
    match tagged(v) {
        Some((tag, inner)) if tag == "GetAtt" => vec![inner.as_str().unwrap_or_default().trim_end_matches(".Arn").to_string()],
        Some((tag, inner)) if tag == "Ref" && inner.as_str() == Some("AWS::NoValue") => Vec::new(),
        Some((tag, inner)) if tag == "Ref" => vec![inner.as_str().unwrap_or_default().to_string()],
        // A conditional resource (`!If [Cond, A, !Ref AWS::NoValue]`): whatever either branch names.
        Some((tag, inner)) if tag == "If" => {
            inner.as_sequence().map(|s| s[1..].iter().flat_map(resource_names).collect()).unwrap_or_default()
        }
        // `!Sub text`, or `!Sub [text, {variables}]` (the variables named as they are).
        Some((tag, inner)) if tag == "Sub" => {
            let s = match inner {
                Value::Sequence(items) => items.first().and_then(Value::as_str),
                other => other.as_str(),
            }
            .unwrap_or_default();
            vec![s.replace("${", "").replace(".Arn}", "").replace('}', "")]
        }
        Some(other) => panic!("unexpected Resource form: {other:?}"),
        None => vec![v.as_str().unwrap_or_else(|| panic!("unexpected Resource form: {v:?}")).to_string()],
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Sequence(items) => items.iter().filter_map(|i| i.as_str().map(str::to_string)).collect(),
        Value::String(s) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// Every policy statement in the template, with where it sits.
fn statements(t: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    fn walk(v: &Value, path: String, out: &mut Vec<(String, Value)>) {
        match v {
            Value::Mapping(m) => {
                for (k, child) in m {
                    let key = k.as_str().unwrap_or_default();
                    if key == "Statement" {
                        if let Value::Sequence(items) = child {
                            out.extend(items.iter().map(|s| (path.clone(), s.clone())));
                        }
                    } else {
                        walk(child, format!("{path}.{key}"), out);
                    }
                }
            }
            Value::Sequence(items) => items.iter().enumerate().for_each(|(i, c)| walk(c, format!("{path}[{i}]"), out)),
            Value::Tagged(t) => walk(&t.value, path, out),
            _ => {}
        }
    }
    walk(&t["Resources"], "Resources".into(), &mut out);
    out
}

fn resources(t: &Value) -> &serde_yaml_ng::Mapping {
    t["Resources"].as_mapping().expect("Resources")
}

fn of_type<'a>(t: &'a Value, ty: &str) -> Vec<(String, &'a Value)> {
    resources(t).iter().filter(|(_, r)| r["Type"].as_str() == Some(ty)).map(|(k, r)| (k.as_str().unwrap().to_string(), r)).collect()
}

/// A policy statement, or both branches of a conditional one (`!If [Cond, {...}, !Ref AWS::NoValue]`):
/// a permission granted only under a condition is still declared.
fn conditional_statements(st: &Value) -> Vec<Value> {
    match tagged(st) {
        Some((tag, inner)) if tag == "If" => {
            inner.as_sequence().map(|s| s[1..].iter().filter(|b| b.is_mapping()).cloned().collect()).unwrap_or_default()
        }
        _ => vec![st.clone()],
    }
}

/// The (action, resource) pairs a role's Allow statements grant.
fn role_grants(role: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for policy in role["Properties"]["Policies"].as_sequence().cloned().unwrap_or_default() {
        for st in policy["PolicyDocument"]["Statement"].as_sequence().iter().flat_map(|s| s.iter()).flat_map(conditional_statements) {
            if st["Effect"].as_str() != Some("Allow") {
                continue;
            }
            for action in strings(&st["Action"]) {
                for resource in resource_names(&st["Resource"]) {
                    out.insert((action.clone(), resource));
                }
            }
        }
    }
    out
}

#[test]
fn no_allow_statement_grants_a_wildcard_action() {
    let t = template();
    let mut bad = Vec::new();
    for (at, st) in statements(&t) {
        if st["Effect"].as_str() == Some("Allow") {
            for a in strings(&st["Action"]) {
                if a.contains('*') {
                    bad.push(format!("{at}: {a}"));
                }
            }
            assert!(st.get("NotAction").is_none(), "{at}: NotAction in an Allow grants everything else");
        }
    }
    assert!(bad.is_empty(), "wildcard actions in Allow statements: {bad:#?}");
}

#[test]
fn function_roles_name_no_wildcard_resource_but_the_declared_ones() {
    let t = template();
    let allowed: BTreeSet<String> = declared().wildcard_resources.iter().map(|w| w.action.clone()).collect();
    for w in declared().wildcard_resources {
        assert!(!w.why.trim().is_empty(), "{}: say why AWS needs Resource \"*\"", w.action);
    }
    for (name, role) in of_type(&t, "AWS::IAM::Role") {
        for (action, resource) in role_grants(role) {
            if resource == "*" {
                assert!(allowed.contains(&action), "{name}: {action} on \"*\" is not a declared exception");
            }
        }
    }
}

#[test]
fn every_function_runs_as_its_own_role_holding_exactly_what_it_declares() {
    let t = template();
    let declared = declared();
    let functions = of_type(&t, "AWS::Serverless::Function");
    assert!(!functions.is_empty());
    let mut seen = BTreeSet::new();
    for (name, f) in &functions {
        let props = &f["Properties"];
        assert!(props.get("Policies").is_none(), "{name}: use an explicit role, not SAM Policies (they add logs:* on *)");
        let decl = declared.functions.get(name).unwrap_or_else(|| panic!("{name} has no [functions.{name}] in infra/permissions.toml"));
        let role_ref = tagged(&props["Role"]).map(|(tag, v)| (tag, v.as_str().unwrap_or_default().to_string()));
        assert_eq!(role_ref, Some(("GetAtt".to_string(), format!("{}.Arn", decl.role))), "{name}: Role must be !GetAtt {}.Arn", decl.role);
        let role = &t["Resources"][decl.role.as_str()];
        assert_eq!(role["Type"].as_str(), Some("AWS::IAM::Role"), "{name}: {} is not an AWS::IAM::Role", decl.role);
        assert!(role["Properties"].get("ManagedPolicyArns").is_none(), "{}: no managed policies", decl.role);
        let principal = &role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"];
        assert_eq!(principal.as_str(), Some("lambda.amazonaws.com"), "{}: only Lambda assumes it", decl.role);

        let granted = role_grants(role);
        let wanted: BTreeSet<(String, String)> = decl.allow.iter().map(|p| (p.action.clone(), p.resource.clone())).collect();
        let extra: Vec<_> = granted.difference(&wanted).collect();
        let missing: Vec<_> = wanted.difference(&granted).collect();
        assert!(extra.is_empty(), "{name}: the role grants what infra/permissions.toml does not declare: {extra:?}");
        assert!(missing.is_empty(), "{name}: declared but not granted (remove it from infra/permissions.toml): {missing:?}");
        seen.insert(name.clone());
    }
    let unknown: Vec<_> = declared.functions.keys().filter(|k| !seen.contains(*k)).collect();
    assert!(unknown.is_empty(), "infra/permissions.toml declares functions the template lacks: {unknown:?}");
    // Other roles (none today) would have to be a function's.
    for (name, _) in of_type(&t, "AWS::IAM::Role") {
        assert!(declared.functions.values().any(|f| f.role == name), "role {name} belongs to no declared function");
    }
}

#[test]
fn every_declared_permission_is_backed_by_the_code_that_uses_it() {
    for (function, decl) in declared().functions {
        for p in decl.allow {
            if let Some(why) = p.evidence.strip_prefix("platform:") {
                assert!(!why.trim().is_empty(), "{function} {}: say what AWS does with it", p.action);
                // The DynamoDB stream poller reads the stream with the function's role, as the SQS
                // poller reads a queue.
                let stream_poller = matches!(
                    p.action.as_str(),
                    "dynamodb:DescribeStream" | "dynamodb:GetRecords" | "dynamodb:GetShardIterator" | "dynamodb:ListStreams"
                );
                let platform_ok =
                    p.action.starts_with("logs:") || p.action.starts_with("sqs:") || p.action.starts_with("kms:") || stream_poller;
                assert!(
                    platform_ok,
                    "{function} {}: only log, queue- and stream-poller and via-service key actions are platform-used",
                    p.action
                );
                continue;
            }
            let (path, snippet) =
                p.evidence.split_once(": ").unwrap_or_else(|| panic!("{function} {}: evidence is `path: snippet`", p.action));
            let code = std::fs::read_to_string(Path::new(ROOT).join(path))
                .unwrap_or_else(|_| panic!("{function} {}: {path} is missing", p.action));
            assert!(code.contains(snippet), "{function} {} on {}: {path} no longer contains `{snippet}`", p.action, p.resource);
        }
    }
}

#[test]
fn no_role_may_update_or_delete_audit_items() {
    let t = template();
    let forbidden =
        ["dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete"];
    for (name, role) in of_type(&t, "AWS::IAM::Role") {
        for (action, resource) in role_grants(role) {
            let on_audit = resource == "AuditTable" || resource.starts_with("AuditTable/") || resource == "*";
            assert!(
                !(on_audit && forbidden.contains(&action.as_str())),
                "{name} may {action} on {resource}: the audit trail is append-only"
            );
        }
    }
    // The table itself is kept and recoverable.
    let audit = &t["Resources"]["AuditTable"];
    assert_eq!(audit["DeletionPolicy"].as_str(), Some("Retain"));
    assert_eq!(audit["Properties"]["DeletionProtectionEnabled"].as_bool(), Some(true));
    assert_eq!(audit["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool(), Some(true));
}

#[test]
fn only_the_form_webhook_unsubscribe_and_console_routes_opt_out_of_the_authorizer() {
    let t = template();
    for (name, f) in of_type(&t, "AWS::Serverless::Function") {
        for (event, e) in f["Properties"]["Events"].as_mapping().cloned().unwrap_or_default() {
            if e["Type"].as_str() != Some("HttpApi") {
                continue;
            }
            let open = e["Properties"]["Auth"]["Authorizer"].as_str() == Some("NONE");
            let path = e["Properties"]["Path"].as_str().unwrap_or_default();
            let method = e["Properties"]["Method"].as_str().unwrap_or_default();
            // The form's assets and beacons are public too (and the signed unsubscribe link), served by a function that cannot
            // read a lead (its role holds no GetItem or Query: see below).
            let form_asset =
                name == "FormsFunction" && ((method == "GET" && path.starts_with("/forms/")) || (method == "POST" && path == "/visits"));
            // The staff console's pages check their own signed session cookie instead (no bearer
            // token in a browser), and only the console function serves them.
            let console = name == "ConsoleFunction" && (path == "/" || path == "/console/{proxy+}") && matches!(method, "GET" | "POST");
            // The pages signed links open (the token in the link is the authorization).
            let signed_link = path.starts_with("/links/");
            let may_be_open = (method == "POST" && path == "/leads")
                || path.starts_with("/webhooks/")
                || form_asset
                || path == "/unsubscribe"
                || signed_link
                || console;
            assert!(!open || may_be_open, "{name}.{}: {method} {path} must use the JWT authorizer", event.as_str().unwrap_or_default());
            assert!(open || name != "ConsoleFunction", "the console's routes check its session, not a bearer token");
        }
    }
    let forms = role_grants(&t["Resources"]["FormsRole"]);
    assert!(
        forms.iter().all(|(action, _)| !matches!(action.as_str(), "dynamodb:GetItem" | "dynamodb:Query" | "dynamodb:BatchGetItem")),
        "the public form function must not read leads: {forms:?}"
    );
    let api = &t["Resources"]["HttpApi"]["Properties"];
    assert_eq!(api["Auth"]["DefaultAuthorizer"].as_str(), Some("CognitoJwt"));
    // Throttling is on, and CORS is limited to the configured origins.
    assert!(api["DefaultRouteSettings"]["ThrottlingRateLimit"].as_u64().is_some_and(|r| r > 0));
    assert!(api["DefaultRouteSettings"]["ThrottlingBurstLimit"].as_u64().is_some_and(|r| r > 0));
    assert!(tagged(&api["CorsConfiguration"]["AllowOrigins"]).is_some_and(|(tag, _)| tag == "Split"), "origins come from a parameter");
    assert_eq!(api["CorsConfiguration"]["AllowCredentials"].as_bool(), Some(false));
}

#[test]
fn data_at_rest_is_encrypted_with_customer_managed_keys_and_transport_is_tls_only() {
    let t = template();
    for (name, table) in of_type(&t, "AWS::DynamoDB::Table") {
        assert_eq!(table["Properties"]["SSESpecification"]["SSEType"].as_str(), Some("KMS"), "{name}");
    }
    for (name, q) in of_type(&t, "AWS::SQS::Queue") {
        assert!(q["Properties"].get("KmsMasterKeyId").is_some(), "{name}");
    }
    for (name, g) in of_type(&t, "AWS::Logs::LogGroup") {
        assert!(g["Properties"].get("KmsKeyId").is_some(), "{name}");
    }
    for (name, topic) in of_type(&t, "AWS::SNS::Topic") {
        assert!(topic["Properties"].get("KmsMasterKeyId").is_some(), "{name}");
    }
    let tls_denies: usize = statements(&t)
        .iter()
        .filter(|(_, st)| st["Effect"].as_str() == Some("Deny") && st["Condition"]["Bool"]["aws:SecureTransport"].as_str() == Some("false"))
        .count();
    assert!(tls_denies >= 2, "queues and the alarm topic deny plain HTTP");
    for (name, key) in of_type(&t, "AWS::KMS::Key") {
        assert_eq!(key["Properties"]["EnableKeyRotation"].as_bool(), Some(true), "{name}");
    }
}

/// Functions that text people publish to phone numbers only: the SMS allow (`Resource: "*"`,
/// the only form AWS accepts for a phone number) is paired with a deny of topic ARNs. The
/// acknowledgement function and the contacts function (staff texts) deny every topic; the
/// follow-up function, the console (staff texts and reassignment notices) and the webhook worker,
/// which also notify the team, deny every topic of another account and, by their exact ARNs,
/// this stack's topics they do not need, and reach the one they need through its own statement
/// (the follow-up function and the console the members' notice topics, the webhook worker the
/// team alert topic).
#[test]
fn texting_roles_pair_the_sms_allow_with_a_deny_of_topics() {
    let t = template();
    let texting = ["AcknowledgeRole", "ContactsRole", "FollowupRole", "WebhookWorkerRole", "ConsoleRole"];
    for role in texting {
        let sts: Vec<Value> = t["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
            .as_sequence()
            .cloned()
            .unwrap_or_default()
            .iter()
            .flat_map(conditional_statements)
            .collect();
        let sms = sts.iter().find(|st| {
            st["Effect"].as_str() == Some("Allow")
                && strings(&st["Action"]).contains(&"sns:Publish".to_string())
                && st["Resource"].as_str() == Some("*")
        });
        assert!(sms.is_some(), "{role}: no SMS allow");
        let deny = sts
            .iter()
            .find(|st| st["Effect"].as_str() == Some("Deny") && strings(&st["Action"]).contains(&"sns:Publish".to_string()))
            .unwrap_or_else(|| panic!("{role}: no deny of topic ARNs next to the SMS allow"));
        let (tag, pattern) = tagged(&deny["Resource"]).expect("a !Sub topic pattern");
        assert_eq!(tag, "Sub");
        assert_eq!(pattern.as_str(), Some("arn:${AWS::Partition}:sns:*:*:*"), "{role}");
        if role == "AcknowledgeRole" || role == "ContactsRole" {
            assert!(deny.get("Condition").is_none(), "{role}: may publish to no topic at all");
        } else {
            assert!(deny["Condition"]["StringNotEquals"].get("aws:ResourceAccount").is_some(), "{role}: other accounts' topics denied");
            let team_members = "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:${AWS::StackName}-team-*";
            let (needed, not_needed) = match role {
                "FollowupRole" | "ConsoleRole" => (team_members, vec!["TeamAlertTopic", "AlarmTopic"]),
                _ => ("TeamAlertTopic", vec![team_members, "AlarmTopic"]),
            };
            let exact = sts
                .iter()
                .find(|st| {
                    st["Effect"].as_str() == Some("Deny")
                        && strings(&st["Action"]).contains(&"sns:Publish".to_string())
                        && st.get("Condition").is_none()
                })
                .unwrap_or_else(|| panic!("{role}: no deny of this stack's topics it does not need"));
            let denied: Vec<String> =
                exact["Resource"].as_sequence().unwrap().iter().map(|r| tagged(r).unwrap().1.as_str().unwrap().to_string()).collect();
            assert_eq!(denied, not_needed, "{role}");
            // Every topic the template declares is either needed or denied by its ARN.
            for (topic, _) in of_type(&t, "AWS::SNS::Topic") {
                assert!(topic == needed || denied.contains(&topic), "{role}: {topic} neither needed nor denied");
            }
            let allowed: Vec<String> = sts
                .iter()
                .filter(|st| st["Effect"].as_str() == Some("Allow") && strings(&st["Action"]).contains(&"sns:Publish".to_string()))
                .filter_map(|st| tagged(&st["Resource"]).and_then(|(_, v)| v.as_str().map(str::to_string)))
                .collect();
            assert_eq!(allowed, [needed], "{role}: the one topic it needs, on its own statement");
            // The team's topics are on their own allow statement, never on the SMS one.
            let team = sts
                .iter()
                .filter(|st| st["Effect"].as_str() == Some("Allow") && st["Resource"].as_str() != Some("*"))
                .any(|st| strings(&st["Action"]).contains(&"sns:Publish".to_string()));
            assert!(team, "{role}: team topics on their own statement");
        }
    }
    // Nobody else may publish to phone numbers.
    for (name, role) in of_type(&t, "AWS::IAM::Role") {
        if texting.contains(&name.as_str()) {
            continue;
        }
        assert!(!role_grants(role).contains(&("sns:Publish".to_string(), "*".to_string())), "{name} may text people");
    }
}

/// Every scheduled function has a failure destination and an error or failure alarm.
#[test]
fn scheduled_functions_have_a_failure_destination_and_an_alarm() {
    let t = template();
    let alarms: Vec<(String, &Value)> = of_type(&t, "AWS::CloudWatch::Alarm");
    let mut scheduled = 0;
    for (name, f) in of_type(&t, "AWS::Serverless::Function") {
        let events = f["Properties"]["Events"].as_mapping().cloned().unwrap_or_default();
        if !events.values().any(|e| matches!(e["Type"].as_str(), Some("Schedule" | "ScheduleV2"))) {
            continue;
        }
        scheduled += 1;
        let on_failure = &f["Properties"]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"];
        assert_eq!(on_failure["Type"].as_str(), Some("SQS"), "{name}: no on-failure destination");
        let dest = tagged(&on_failure["Destination"]).map(|(_, v)| v.as_str().unwrap_or_default().to_string());
        assert_eq!(dest.as_deref(), Some("ScheduledFailuresQueue.Arn"), "{name}");
        let errors_alarm = alarms.iter().any(|(_, a)| {
            a["Properties"]["MetricName"].as_str() == Some("Errors")
                && tagged(&a["Properties"]["Dimensions"][0]["Value"]).is_some_and(|(_, v)| v.as_str() == Some(name.as_str()))
        });
        assert!(errors_alarm, "{name}: no Errors alarm");
    }
    assert!(scheduled >= 4, "SLA, follow-up, hygiene and weekly summary are scheduled");
    assert!(alarms.iter().any(|(n, _)| n == "ScheduledFailuresAlarm"));
}

/// The spend circuit breaker's log event raises an alarm from every function that texts.
#[test]
fn the_sms_spend_breaker_raises_an_alarm() {
    let t = template();
    let filters = of_type(&t, "AWS::Logs::MetricFilter");
    for group in ["AcknowledgeLogGroup", "FollowupLogGroup", "WebhookWorkerLogGroup"] {
        let f = filters.iter().find(|(_, f)| tagged(&f["Properties"]["LogGroupName"]).is_some_and(|(_, v)| v.as_str() == Some(group)));
        let (_, f) = f.unwrap_or_else(|| panic!("{group}: no spend-breaker filter"));
        assert_eq!(f["Properties"]["FilterPattern"].as_str(), Some(r#"{ $.alarm = "sms_spend_breaker" }"#));
        assert_eq!(f["Properties"]["MetricTransformations"][0]["MetricName"].as_str(), Some("SmsSpendBreakerOpen"));
    }
    let alarm = &t["Resources"]["SmsSpendAlarm"]["Properties"];
    assert_eq!(alarm["MetricName"].as_str(), Some("SmsSpendBreakerOpen"));
    let code = std::fs::read_to_string(Path::new(ROOT).join("shared/src/app/pacing.rs")).unwrap();
    assert!(code.contains(r#"alarm = "sms_spend_breaker""#), "the breaker logs the event the filters match");
}
