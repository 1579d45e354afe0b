//! Every function in `template.yaml` runs the one executable built from `functions/`: the same
//! build definition for all (so `sam build` links once), its own `LEADFLOW_FUNCTION`, and its own
//! name, role, memory and timeout. (That the executable knows exactly these names is checked by
//! running it: `functions/tests/lambda`.)

use serde_yaml_ng::Value;
use std::collections::BTreeSet;
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn template() -> Value {
    let text = std::fs::read_to_string(Path::new(ROOT).join("template.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

fn functions(t: &Value) -> Vec<(String, &Value)> {
    t["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
        .map(|(k, r)| (k.as_str().unwrap().to_string(), r))
        .collect()
}

/// The `[[bin]]` of `functions/Cargo.toml`: the executable every function runs.
fn binary_name() -> String {
    let manifest: toml::Table = toml::from_str(&std::fs::read_to_string(Path::new(ROOT).join("functions/Cargo.toml")).unwrap()).unwrap();
    let bins = manifest["bin"].as_array().expect("functions/Cargo.toml has a [[bin]]");
    assert_eq!(bins.len(), 1, "one executable");
    bins[0]["name"].as_str().unwrap().to_string()
}

#[test]
fn every_function_is_built_from_the_one_executable_by_one_build_definition() {
    let t = template();
    let globals = &t["Globals"]["Function"];
    assert_eq!(globals["CodeUri"].as_str(), Some("."), "the workspace root: the binary needs shared/ and infra/");
    assert_eq!(globals["Handler"].as_str(), Some("bootstrap"));
    assert_eq!(globals["Runtime"].as_str(), Some("provided.al2023"));
    assert_eq!(globals["Architectures"][0].as_str(), Some("arm64"));
    let binary = binary_name();
    let functions = functions(&t);
    assert!(functions.len() > 1);
    for (name, f) in &functions {
        // SAM builds functions once per distinct (CodeUri, Runtime, Architectures, Metadata): the
        // same Metadata everywhere and nothing overriding Globals keeps it at one build.
        let metadata = &f["Metadata"];
        assert_eq!(metadata["BuildMethod"].as_str(), Some("rust-cargolambda"), "{name}");
        assert_eq!(metadata["BuildProperties"]["Binary"].as_str(), Some(binary.as_str()), "{name}");
        assert_eq!(metadata.as_mapping().map(|m| m.len()), Some(2), "{name}: Metadata is BuildMethod and BuildProperties only");
        assert_eq!(metadata["BuildProperties"].as_mapping().map(|m| m.len()), Some(1), "{name}: BuildProperties is Binary only");
        for global in ["CodeUri", "Handler", "Runtime", "Architectures", "PackageType", "ImageUri", "InlineCode"] {
            assert!(f["Properties"].get(global).is_none(), "{name} sets {global}: it would get a build of its own");
        }
    }
}

#[test]
fn every_function_names_its_entry_point_and_keeps_its_own_settings() {
    let t = template();
    let mut names = BTreeSet::new();
    let mut roles = BTreeSet::new();
    for (resource, f) in functions(&t) {
        let props = &f["Properties"];
        let entry = props["Environment"]["Variables"]["LEADFLOW_FUNCTION"]
            .as_str()
            .unwrap_or_else(|| panic!("{resource}: LEADFLOW_FUNCTION must be a plain name"))
            .to_string();
        // The deployed name ends in the entry point's name, so logs and metrics read alike.
        let deployed = match &props["FunctionName"] {
            Value::Tagged(tag) => tag.value.as_str().unwrap_or_default().to_string(),
            other => panic!("{resource}: FunctionName is {other:?}"),
        };
        assert_eq!(deployed, format!("${{AWS::StackName}}-{entry}"), "{resource}");
        assert!(names.insert(entry.clone()), "{resource}: LEADFLOW_FUNCTION `{entry}` is used twice");
        // Per-function role and timeout stay per function (memory may come from Globals).
        let role = match &props["Role"] {
            Value::Tagged(tag) => tag.value.as_str().unwrap_or_default().to_string(),
            other => panic!("{resource}: Role is {other:?}"),
        };
        assert!(roles.insert(role.clone()), "{resource}: role {role} is shared");
        assert!(props["Timeout"].as_u64().is_some(), "{resource}: no Timeout of its own");
    }
}

#[test]
fn every_function_that_notifies_the_team_knows_the_consoles_address() {
    // A team notice's link is `{console_url}/console/leads/{id}`: without the public address it
    // would be a bare path no phone can open. A scheduled or queued function is told it; an API
    // function may instead take it from the request (API Gateway's domain name), as the leads
    // API and the console do (a reference to the API from its own functions would be circular).
    let t = template();
    let mut notifying = Vec::new();
    for (name, f) in functions(&t) {
        let env = &f["Properties"]["Environment"]["Variables"];
        if env.get("LEADFLOW_TEAM_TOPIC_ARN_PREFIX").is_none() {
            continue;
        }
        let on_the_api =
            f["Properties"]["Events"].as_mapping().is_some_and(|events| events.values().any(|e| e["Type"].as_str() == Some("HttpApi")));
        assert!(env.get("LEADFLOW_PUBLIC_BASE_URL").is_some() || on_the_api, "{name} sends team notices without the console's address");
        notifying.push(name);
    }
    assert!(notifying.len() >= 5, "score, sla, followup, leads-api and console notify: {notifying:?}");
}
