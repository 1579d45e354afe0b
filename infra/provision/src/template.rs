//! `template.yaml` read as CloudFormation reads it: parameters with their defaults, conditions,
//! resources, `Globals`, and the intrinsic functions (`!Ref`, `!GetAtt`, `!Sub`, `!If`, `!Join`,
//! `!Split`, `!Select`, `!Equals`, `!Not`, `!And`, `!Or`, `!Condition`, in short or long form)
//! evaluated far enough for names, URLs and ARNs.

use serde_json::Value as Json;
use serde_yaml_ng::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Why a template cannot be read or a value cannot be worked out.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("the template is not YAML: {0}")]
    Yaml(#[from] serde_yaml_ng::Error),
    #[error("the template has no Resources mapping")]
    NoResources,
    #[error("{0} names no parameter, resource or pseudo parameter")]
    Unknown(String),
    #[error("{0} is not provisioned yet")]
    NotProvisioned(String),
    #[error("{0} names no condition")]
    UnknownCondition(String),
    #[error("cannot evaluate {0}")]
    Unsupported(String),
}

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    doc: Value,
}

/// The logical id of a resource and what it is.
#[derive(Debug, Clone)]
pub struct Resource<'t> {
    pub id: &'t str,
    pub kind: &'t str,
    pub properties: &'t Value,
    pub condition: Option<&'t str>,
    body: &'t Value,
}

impl Resource<'_> {
    /// A property, or YAML null.
    pub fn property(&self, name: &str) -> &Value {
        self.properties.get(name).unwrap_or(&Value::Null)
    }

    /// The resource's own entry (`Type`, `Properties`, `Condition`, `Metadata`...).
    pub fn body(&self) -> &Value {
        self.body
    }
}

impl Template {
    /// The repository's `template.yaml`.
    pub fn repository() -> Result<Template, TemplateError> {
        Template::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml")))
    }

    pub fn load(path: &Path) -> Result<Template, TemplateError> {
        let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Read { path: path.display().to_string(), source })?;
        Template::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        Template::from_document(serde_yaml_ng::from_str(text)?)
    }

    pub fn from_document(doc: Value) -> Result<Template, TemplateError> {
        if !doc.get("Resources").is_some_and(Value::is_mapping) {
            return Err(TemplateError::NoResources);
        }
        Ok(Template { doc })
    }

    /// The whole document.
    pub fn document(&self) -> &Value {
        &self.doc
    }

    /// Every resource, in the template's order.
    pub fn resources(&self) -> impl Iterator<Item = Resource<'_>> {
        self.doc["Resources"].as_mapping().into_iter().flatten().filter_map(|(id, body)| {
            Some(Resource {
                id: id.as_str()?,
                kind: body.get("Type").and_then(Value::as_str).unwrap_or_default(),
                properties: body.get("Properties").unwrap_or(&Value::Null),
                condition: body.get("Condition").and_then(Value::as_str),
                body,
            })
        })
    }

    pub fn resource(&self, id: &str) -> Option<Resource<'_>> {
        self.resources().find(|r| r.id == id)
    }

    /// Parameter defaults (as CloudFormation passes them: strings; a CommaDelimitedList as a
    /// list).
    pub fn parameter_defaults(&self) -> BTreeMap<String, Json> {
        let mut out = BTreeMap::new();
        for (name, p) in self.doc.get("Parameters").and_then(Value::as_mapping).into_iter().flatten() {
            let (Some(name), Some(default)) = (name.as_str(), p.get("Default")) else { continue };
            let text = scalar_text(default).unwrap_or_default();
            let value = if p.get("Type").and_then(Value::as_str) == Some("CommaDelimitedList") {
                Json::Array(text.split(',').map(|s| Json::String(s.trim().to_string())).collect())
            } else {
                Json::String(text)
            };
            out.insert(name.to_string(), value);
        }
        out
    }

    /// Whether `name` is a declared parameter.
    pub fn has_parameter(&self, name: &str) -> bool {
        self.doc.get("Parameters").and_then(|p| p.get(name)).is_some()
    }

    pub(crate) fn condition(&self, name: &str) -> Option<&Value> {
        self.doc.get("Conditions").and_then(|c| c.get(name))
    }

    /// `Globals.Function.Environment.Variables`.
    pub fn global_function_variables(&self) -> Option<&serde_yaml_ng::Mapping> {
        self.doc.get("Globals")?.get("Function")?.get("Environment")?.get("Variables")?.as_mapping()
    }
}

/// A scalar's text (`true`, `120`, `abc`).
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// An intrinsic function and its argument, from a short tag (`!GetAtt X.Arn`) or the long form
/// (`{"Fn::GetAtt": ...}`, `{"Ref": ...}`, `{"Condition": ...}`).
pub fn intrinsic(v: &Value) -> Option<(&str, &Value)> {
    match v {
        Value::Tagged(t) => {
            let tag = t.tag.to_string();
            let name = tag.trim_start_matches('!');
            // The tag's text lives in `t`; map it to a static name.
            FUNCTIONS.iter().find(|f| **f == name).map(|f| (*f, &t.value))
        }
        Value::Mapping(m) if m.len() == 1 => {
            let (k, arg) = m.iter().next()?;
            let k = k.as_str()?;
            let name = if k == "Ref" || k == "Condition" { k } else { k.strip_prefix("Fn::")? };
            FUNCTIONS.iter().find(|f| **f == name).map(|f| (*f, arg))
        }
        _ => None,
    }
}

const FUNCTIONS: &[&str] = &[
    "Ref",
    "GetAtt",
    "Sub",
    "If",
    "Join",
    "Split",
    "Select",
    "Equals",
    "Not",
    "And",
    "Or",
    "Condition",
    "Base64",
    "GetAZs",
    "FindInMap",
    "ImportValue",
    "Cidr",
    "Length",
    "ToJsonString",
];

/// What a provisioned (or merely named) resource answers to `Ref` and `GetAtt`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Physical {
    pub reference: String,
    pub attributes: BTreeMap<String, String>,
}

/// What intrinsics are evaluated against.
pub trait Scope {
    fn template(&self) -> &Template;
    fn parameter(&self, name: &str) -> Option<&Json>;
    /// `AWS::Region`, `AWS::AccountId`, `AWS::StackName`, `AWS::Partition`, ...
    fn pseudo(&self, name: &str) -> Option<String>;
    /// A resource's `Ref` and attributes; `Err(NotProvisioned)` for one not made yet.
    fn physical(&self, id: &str) -> Result<Physical, TemplateError>;
}

/// Evaluates a value: `Ok(None)` is `AWS::NoValue` (the key or item is left out).
pub fn evaluate(scope: &dyn Scope, v: &Value) -> Result<Option<Json>, TemplateError> {
    if let Some((f, arg)) = intrinsic(v) {
        return evaluate_function(scope, f, arg);
    }
    Ok(Some(match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => serde_json::to_value(n).map_err(|_| TemplateError::Unsupported(format!("{n:?}")))?,
        Value::String(s) => Json::String(s.clone()),
        Value::Sequence(items) => {
            let mut out = Vec::new();
            for item in items {
                if let Some(x) = evaluate(scope, item)? {
                    out.push(x);
                }
            }
            Json::Array(out)
        }
        Value::Mapping(m) => {
            let mut out = serde_json::Map::new();
            for (k, item) in m {
                let Some(key) = scalar_text(k) else { continue };
                if let Some(x) = evaluate(scope, item)? {
                    out.insert(key, x);
                }
            }
            Json::Object(out)
        }
        Value::Tagged(t) => return Err(TemplateError::Unsupported(format!("{}", t.tag))),
    }))
}

/// Evaluates a value that must be a string (numbers and booleans are written as text).
pub fn evaluate_string(scope: &dyn Scope, v: &Value) -> Result<Option<String>, TemplateError> {
    Ok(evaluate(scope, v)?.map(|j| json_text(&j)))
}

/// A JSON value as CloudFormation writes it into a string property.
pub fn json_text(j: &Json) -> String {
    match j {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        Json::Array(items) => items.iter().map(json_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// Whether a named condition holds.
pub fn condition_holds(scope: &dyn Scope, name: &str) -> Result<bool, TemplateError> {
    let expr = scope.template().condition(name).ok_or_else(|| TemplateError::UnknownCondition(name.to_string()))?.clone();
    truth(scope, &expr)
}

fn truth(scope: &dyn Scope, v: &Value) -> Result<bool, TemplateError> {
    match evaluate(scope, v)? {
        Some(Json::Bool(b)) => Ok(b),
        Some(Json::String(s)) if s == "true" || s == "false" => Ok(s == "true"),
        other => Err(TemplateError::Unsupported(format!("condition {other:?}"))),
    }
}

fn args(arg: &Value) -> &[Value] {
    arg.as_sequence().map(Vec::as_slice).unwrap_or_default()
}

fn evaluate_function(scope: &dyn Scope, f: &str, arg: &Value) -> Result<Option<Json>, TemplateError> {
    let s = |v: &Value| -> Result<String, TemplateError> { Ok(evaluate_string(scope, v)?.unwrap_or_default()) };
    Ok(Some(match f {
        "Ref" => {
            let name = arg.as_str().ok_or_else(|| TemplateError::Unsupported(format!("Ref {arg:?}")))?;
            if name == "AWS::NoValue" {
                return Ok(None);
            }
            reference(scope, name)?
        }
        "GetAtt" => {
            let (id, attr) = match arg {
                Value::String(s) => s.split_once('.').map(|(a, b)| (a.to_string(), b.to_string())),
                Value::Sequence(items) if items.len() == 2 => Some((s(&items[0])?, s(&items[1])?)),
                _ => None,
            }
            .ok_or_else(|| TemplateError::Unsupported(format!("GetAtt {arg:?}")))?;
            let physical = scope.physical(&id)?;
            Json::String(physical.attributes.get(&attr).cloned().ok_or_else(|| TemplateError::Unsupported(format!("GetAtt {id}.{attr}")))?)
        }
        "Sub" => {
            let (text, vars) = match arg {
                Value::Sequence(items) if !items.is_empty() => (items[0].as_str().unwrap_or_default(), items.get(1)),
                other => (other.as_str().unwrap_or_default(), None),
            };
            let mut local = BTreeMap::new();
            for (k, v) in vars.and_then(Value::as_mapping).into_iter().flatten() {
                if let Some(k) = k.as_str() {
                    local.insert(k.to_string(), s(v)?);
                }
            }
            Json::String(substitute(scope, text, &local)?)
        }
        "If" => {
            let a = args(arg);
            let [cond, then, otherwise] = a else { return Err(TemplateError::Unsupported(format!("If {arg:?}"))) };
            let name = cond.as_str().ok_or_else(|| TemplateError::Unsupported(format!("If {cond:?}")))?;
            return evaluate(scope, if condition_holds(scope, name)? { then } else { otherwise });
        }
        "Condition" => Json::Bool(condition_holds(scope, arg.as_str().unwrap_or_default())?),
        "Equals" => {
            let a = args(arg);
            let [x, y] = a else { return Err(TemplateError::Unsupported(format!("Equals {arg:?}"))) };
            Json::Bool(evaluate(scope, x)?.map(|j| json_text(&j)) == evaluate(scope, y)?.map(|j| json_text(&j)))
        }
        "Not" => Json::Bool(!truth(scope, args(arg).first().unwrap_or(&Value::Null))?),
        "And" => Json::Bool(args(arg).iter().map(|c| truth(scope, c)).collect::<Result<Vec<_>, _>>()?.into_iter().all(|b| b)),
        "Or" => Json::Bool(args(arg).iter().map(|c| truth(scope, c)).collect::<Result<Vec<_>, _>>()?.into_iter().any(|b| b)),
        "Join" => {
            let a = args(arg);
            let [sep, list] = a else { return Err(TemplateError::Unsupported(format!("Join {arg:?}"))) };
            let sep = s(sep)?;
            let items = match evaluate(scope, list)? {
                Some(Json::Array(items)) => items,
                other => return Err(TemplateError::Unsupported(format!("Join over {other:?}"))),
            };
            Json::String(items.iter().map(json_text).collect::<Vec<_>>().join(&sep))
        }
        "Split" => {
            let a = args(arg);
            let [sep, text] = a else { return Err(TemplateError::Unsupported(format!("Split {arg:?}"))) };
            let sep = s(sep)?;
            Json::Array(s(text)?.split(sep.as_str()).map(|p| Json::String(p.to_string())).collect())
        }
        "Select" => {
            let a = args(arg);
            let [index, list] = a else { return Err(TemplateError::Unsupported(format!("Select {arg:?}"))) };
            let index: usize = s(index)?.parse().map_err(|_| TemplateError::Unsupported(format!("Select {index:?}")))?;
            match evaluate(scope, list)? {
                Some(Json::Array(items)) => {
                    items.get(index).cloned().ok_or_else(|| TemplateError::Unsupported(format!("Select {index} of {items:?}")))?
                }
                other => return Err(TemplateError::Unsupported(format!("Select from {other:?}"))),
            }
        }
        "Base64" => Json::String(s(arg)?),
        "GetAZs" => {
            let region = scope.pseudo("AWS::Region").unwrap_or_default();
            Json::Array(["a", "b", "c"].iter().map(|z| Json::String(format!("{region}{z}"))).collect())
        }
        other => return Err(TemplateError::Unsupported(format!("Fn::{other}"))),
    }))
}

/// `Ref name`: a pseudo parameter, a parameter, or a resource.
fn reference(scope: &dyn Scope, name: &str) -> Result<Json, TemplateError> {
    if let Some(p) = scope.pseudo(name) {
        return Ok(Json::String(p));
    }
    if let Some(p) = scope.parameter(name) {
        return Ok(p.clone());
    }
    if scope.template().resource(name).is_some() {
        return Ok(Json::String(scope.physical(name)?.reference));
    }
    Err(TemplateError::Unknown(name.to_string()))
}

/// `Fn::Sub`'s `${Name}`, `${Resource.Attribute}` and `${!Literal}`.
fn substitute(scope: &dyn Scope, text: &str, local: &BTreeMap<String, String>) -> Result<String, TemplateError> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or_else(|| TemplateError::Unsupported(format!("Sub {text:?}")))?;
        let name = &after[..end];
        if let Some(literal) = name.strip_prefix('!') {
            out.push_str("${");
            out.push_str(literal);
            out.push('}');
        } else if let Some(v) = local.get(name) {
            out.push_str(v);
        } else if let Some((id, attr)) = name.split_once('.').filter(|(id, _)| scope.template().resource(id).is_some()) {
            let physical = scope.physical(id)?;
            out.push_str(physical.attributes.get(attr).ok_or_else(|| TemplateError::Unsupported(format!("${{{id}.{attr}}}")))?);
        } else {
            out.push_str(&json_text(&reference(scope, name)?));
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The resources a value refers to (through `Ref`, `GetAtt` and `Sub`), following only the
/// branches of `If` that hold: what must exist before the value can be worked out.
pub fn references(scope: &dyn Scope, v: &Value) -> Result<BTreeSet<String>, TemplateError> {
    let mut out = BTreeSet::new();
    collect(scope, v, &mut out)?;
    Ok(out)
}

fn collect(scope: &dyn Scope, v: &Value, out: &mut BTreeSet<String>) -> Result<(), TemplateError> {
    let is_resource = |id: &str| scope.template().resource(id).is_some();
    if let Some((f, arg)) = intrinsic(v) {
        match f {
            "Ref" => {
                if let Some(id) = arg.as_str().filter(|id| is_resource(id)) {
                    out.insert(id.to_string());
                }
            }
            "GetAtt" => {
                let id = match arg {
                    Value::String(s) => s.split('.').next().unwrap_or_default().to_string(),
                    Value::Sequence(items) => items.first().and_then(Value::as_str).unwrap_or_default().to_string(),
                    _ => String::new(),
                };
                if is_resource(&id) {
                    out.insert(id);
                }
            }
            "Sub" => {
                let (text, vars) = match arg {
                    Value::Sequence(items) if !items.is_empty() => (items[0].as_str().unwrap_or_default(), items.get(1)),
                    other => (other.as_str().unwrap_or_default(), None),
                };
                if let Some(vars) = vars {
                    collect(scope, vars, out)?;
                }
                let mut rest = text;
                while let Some(start) = rest.find("${") {
                    let after = &rest[start + 2..];
                    let Some(end) = after.find('}') else { break };
                    let name = after[..end].split('.').next().unwrap_or_default();
                    if is_resource(name) {
                        out.insert(name.to_string());
                    }
                    rest = &after[end + 1..];
                }
            }
            "If" => {
                if let [cond, then, otherwise] = args(arg) {
                    let holds = condition_holds(scope, cond.as_str().unwrap_or_default())?;
                    collect(scope, if holds { then } else { otherwise }, out)?;
                }
            }
            _ => collect(scope, arg, out)?,
        }
        return Ok(());
    }
    match v {
        Value::Sequence(items) => items.iter().try_for_each(|i| collect(scope, i, out)),
        Value::Mapping(m) => m.values().try_for_each(|i| collect(scope, i, out)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Stack, StackOptions};
    use std::sync::Arc;

    const TEMPLATE: &str = r#"
Parameters:
  Stage: { Type: String, Default: prod }
  Sender: { Type: String, Default: "" }
  Origins: { Type: CommaDelimitedList, Default: "https://a.example,https://b.example" }
Conditions:
  HasSender: !Not [!Equals [!Ref Sender, ""]]
  Both: !And [!Condition HasSender, !Equals [!Ref Stage, prod]]
Resources:
  Queue:
    Type: AWS::SQS::Queue
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub "${AWS::StackName}-fn"
      Environment:
        Variables:
          QUEUE: !Ref Queue
          QUEUE_ARN: { "Fn::GetAtt": [Queue, Arn] }
          NAME: !Sub "${Stage}/${Queue.QueueName}/${!Literal}"
          SENDER: !If [HasSender, !Ref Sender, !Ref AWS::NoValue]
          BOTH: !If [Both, "yes", "no"]
          FIRST_ORIGIN: !Select [0, !Ref Origins]
          JOINED: !Join ["+", !Split [",", "x,y"]]
"#;

    fn stack(parameters: &[(&str, &str)]) -> Stack {
        let mut options = StackOptions::new("st");
        for (k, v) in parameters {
            options = options.parameter(k, *v);
        }
        Stack::naming_only(Arc::new(Template::parse(TEMPLATE).unwrap()), options)
    }

    #[tokio::test]
    async fn intrinsics_resolve_names_arns_conditions_and_lists() {
        let env = stack(&[]).function_environment("Fn").await.unwrap();
        assert_eq!(env["QUEUE"], "https://sqs.us-east-1.amazonaws.com/123456789012/st-Queue");
        assert_eq!(env["QUEUE_ARN"], "arn:aws:sqs:us-east-1:123456789012:st-Queue");
        assert_eq!(env["NAME"], "prod/st-Queue/${Literal}");
        assert!(!env.contains_key("SENDER"), "AWS::NoValue leaves the variable out");
        assert_eq!(env["BOTH"], "no");
        assert_eq!(env["FIRST_ORIGIN"], "https://a.example");
        assert_eq!(env["JOINED"], "x+y");
        let env = stack(&[("Sender", "care@clinic.example")]).function_environment("Fn").await.unwrap();
        assert_eq!(env["SENDER"], "care@clinic.example");
        assert_eq!(env["BOTH"], "yes");
    }

    #[test]
    fn references_follow_only_the_branches_that_hold() {
        let s = stack(&[]);
        let v: Value = serde_yaml_ng::from_str("!If [HasSender, !Ref Queue, !Ref AWS::NoValue]").unwrap();
        assert!(references(&s, &v).unwrap().is_empty());
        let v: Value = serde_yaml_ng::from_str("!Sub \"${Queue.Arn}-${AWS::Region}\"").unwrap();
        assert_eq!(references(&s, &v).unwrap().into_iter().collect::<Vec<_>>(), ["Queue"]);
    }
}
