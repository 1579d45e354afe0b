//! Data hygiene in the template: throttling on the stage and on the public form route, and the TTL
//! attribute that expires archived leads' personal data and the rate counters.

use serde_yaml_ng::Value;
use std::path::Path;

fn template() -> Value {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("template.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

#[test]
fn the_api_throttles_the_stage_and_the_form_route() {
    let t = template();
    let api = &t["Resources"]["HttpApi"]["Properties"];
    assert!(api["DefaultRouteSettings"]["ThrottlingRateLimit"].as_u64().is_some_and(|r| r > 0));
    assert!(api["DefaultRouteSettings"]["ThrottlingBurstLimit"].as_u64().is_some_and(|r| r > 0));
    let form = &api["RouteSettings"]["POST /leads"];
    assert!(!form["ThrottlingRateLimit"].is_null() && !form["ThrottlingBurstLimit"].is_null(), "{form:?}");
    for p in ["IntakeThrottleRate", "IntakeThrottleBurst"] {
        assert!(t["Parameters"][p]["Default"].as_u64().is_some_and(|v| v > 0), "{p}");
    }
}

#[test]
fn the_leads_table_expires_items_by_expires_at() {
    let t = template();
    let ttl = &t["Resources"]["LeadsTable"]["Properties"]["TimeToLiveSpecification"];
    assert_eq!(ttl["AttributeName"].as_str(), Some("expires_at"));
    assert_eq!(ttl["Enabled"].as_bool(), Some(true));
}
