//! The configuration reference (`docs/configuration-reference.md`) held against the types that
//! read the file: every key the types accept is documented there with the type they read, and
//! every key documented there is one the types accept.
//!
//! The keys come from the types themselves, not from the example file: a tracing deserializer
//! walks [`RawConfig`](super::raw::RawConfig), taking each table's field names from the list serde
//! passes to `deserialize_struct`, and follows every field, option, array and map. Array items
//! are written `name[]` (`service_lines[].id`); map keys that the operator chooses (service line
//! ids, languages, source names) are a placeholder, `<name>` or the one listed in
//! [`PLACEHOLDERS`].

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use std::cell::RefCell;
use std::collections::BTreeMap;

/// The placeholder written for the operator-chosen keys of a map, by the map's path.
const PLACEHOLDERS: &[(&str, &str)] = &[
    ("urgency.service_lines", "<service_line>"),
    ("archive.service_lines", "<service_line>"),
    ("forms[].texts", "<language>"),
    ("forms[].texts.<language>.options", "<option>"),
    ("forms[].texts.<language>.labels", "<field>"),
    ("forms[].texts.<language>.help", "<field>"),
    ("forms[].extras", "<field>"),
    ("attribution.source_aliases", "<source>"),
    ("web_analytics.events", "<event>"),
    ("sla.first_contact_seconds", "<channel>"),
    ("sla.tier_seconds", "<tier>"),
    ("matching.survivorship.fields", "<field>"),
];

/// The placeholder for the keys of the map at `path`.
fn placeholder(path: &str) -> &'static str {
    PLACEHOLDERS.iter().find(|(p, _)| *p == path).map_or("<name>", |(_, name)| name)
}

/// Every key the configuration types accept, with its type as the reference writes it
/// (`string`, `integer`, `boolean`, `float`, `array of string`, ...). Tables are not keys
/// of their own: their keys are.
pub(crate) fn accepted_keys() -> Result<BTreeMap<String, String>, String> {
    let found = RefCell::new(BTreeMap::new());
    <super::raw::RawConfig as de::Deserialize>::deserialize(Tracer { path: String::new(), found: &found }).map_err(|e| e.0)?;
    Ok(found.into_inner())
}

#[derive(Debug)]
struct TraceError(String);

impl std::fmt::Display for TraceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TraceError {}

impl de::Error for TraceError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        TraceError(msg.to_string())
    }
}

/// Deserializes any configuration type with placeholder values, recording the path and type of
/// every key on the way.
struct Tracer<'a> {
    path: String,
    found: &'a RefCell<BTreeMap<String, String>>,
}

impl<'a> Tracer<'a> {
    fn child(&self, name: &str) -> Tracer<'a> {
        let path = if self.path.is_empty() { name.to_string() } else { format!("{}.{name}", self.path) };
        Tracer { path, found: self.found }
    }

    /// Records a value's type at this path. The item of an array of plain values is recorded
    /// on the array itself (`holidays`, `array of string`).
    fn record(&self, kind: &str) {
        let (mut path, mut kind) = (self.path.as_str(), kind.to_string());
        while let Some(outer) = path.strip_suffix("[]") {
            path = outer;
            kind = format!("array of {kind}");
        }
        let mut found = self.found.borrow_mut();
        let entry = found.entry(path.to_string()).or_insert_with(|| kind.clone());
        if *entry != kind {
            *entry = format!("{entry} or {kind}");
        }
    }
}

macro_rules! plain {
    ($($method:ident => $kind:literal, $visit:ident($value:expr);)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
            self.record($kind);
            visitor.$visit($value)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Tracer<'_> {
    type Error = TraceError;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, TraceError> {
        Err(TraceError(format!("`{}`: a type that reads any value cannot be traced", self.path)))
    }

    plain! {
        deserialize_bool => "boolean", visit_bool(false);
        deserialize_i8 => "integer", visit_i8(0);
        deserialize_i16 => "integer", visit_i16(0);
        deserialize_i32 => "integer", visit_i32(0);
        deserialize_i64 => "integer", visit_i64(0);
        deserialize_u8 => "integer", visit_u8(0);
        deserialize_u16 => "integer", visit_u16(0);
        deserialize_u32 => "integer", visit_u32(0);
        deserialize_u64 => "integer", visit_u64(0);
        deserialize_f32 => "float", visit_f32(0.0);
        deserialize_f64 => "float", visit_f64(0.0);
        deserialize_char => "string", visit_char('x');
        deserialize_str => "string", visit_str("");
        deserialize_string => "string", visit_string(String::new());
        deserialize_bytes => "string", visit_bytes(&[]);
        deserialize_byte_buf => "string", visit_byte_buf(Vec::new());
        deserialize_identifier => "string", visit_str("");
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, TraceError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, TraceError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        let item = Tracer { path: format!("{}[]", self.path), found: self.found };
        visitor.visit_seq(OneItem { item: Some(item) })
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, TraceError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _: &'static str, _: usize, visitor: V) -> Result<V::Value, TraceError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        let key = placeholder(&self.path);
        let value = self.child(key);
        visitor.visit_map(Entries { entries: vec![(key, value)].into_iter(), pending: None })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        let entries: Vec<_> = fields.iter().map(|f| (*f, self.child(f))).collect();
        visitor.visit_map(Entries { entries: entries.into_iter(), pending: None })
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        self.record(&format!("one of {}", variants.join(", ")));
        let first = variants.first().copied().unwrap_or_default();
        visitor.visit_enum(first.into_deserializer())
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        visitor.visit_unit()
    }
}

/// An array holding one traced item.
struct OneItem<'a> {
    item: Option<Tracer<'a>>,
}

impl<'de> de::SeqAccess<'de> for OneItem<'_> {
    type Error = TraceError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, TraceError> {
        self.item.take().map(|item| seed.deserialize(item)).transpose()
    }
}

/// A table's keys, each with its traced value.
struct Entries<'a, I: Iterator<Item = (&'static str, Tracer<'a>)>> {
    entries: I,
    pending: Option<Tracer<'a>>,
}

impl<'de, 'a, I: Iterator<Item = (&'static str, Tracer<'a>)>> de::MapAccess<'de> for Entries<'a, I> {
    type Error = TraceError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, TraceError> {
        match self.entries.next() {
            Some((key, value)) => {
                self.pending = Some(value);
                let key: de::value::StrDeserializer<'_, TraceError> = key.into_deserializer();
                seed.deserialize(key).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, TraceError> {
        let value = self.pending.take().ok_or_else(|| TraceError("a value without its key".into()))?;
        seed.deserialize(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "docs/configuration-reference.md";

    /// The keys the reference documents, with the type each row gives: the first two cells of
    /// each table row whose first cell is one code span (`| `organization.name` | string | ...`).
    fn documented(page: &str) -> BTreeMap<String, String> {
        page.lines()
            .filter_map(|line| line.strip_prefix("| `"))
            .filter_map(|rest| rest.split_once('`'))
            .filter_map(|(key, after)| after.trim_start().strip_prefix('|').map(|cells| (key, cells)))
            .map(|(key, cells)| (key.to_string(), cells.split('|').next().unwrap_or_default().trim().to_string()))
            .collect()
    }

    #[test]
    fn the_tracer_finds_keys_the_example_file_leaves_out() {
        let keys = accepted_keys().unwrap();
        assert_eq!(keys.get("organization.name").map(String::as_str), Some("string"));
        assert_eq!(keys.get("business_hours.holidays").map(String::as_str), Some("array of string"));
        assert_eq!(keys.get("service_lines[].part2").map(String::as_str), Some("boolean"));
        assert!(keys.contains_key("intake.processing_alarm_seconds"));
        assert!(keys.contains_key("urgency.service_lines.<service_line>.crisis"));
    }

    /// What the page gets wrong against the types: keys missing, keys gone, types changed.
    fn problems(page: &str) -> String {
        let documented = documented(page);
        let accepted = accepted_keys().unwrap();
        let missing: Vec<String> =
            accepted.iter().filter(|(k, _)| !documented.contains_key(*k)).map(|(k, kind)| format!("  `{k}` ({kind})")).collect();
        let gone: Vec<String> = documented.keys().filter(|k| !accepted.contains_key(*k)).map(|k| format!("  `{k}`")).collect();
        let retyped: Vec<String> = documented
            .iter()
            .filter_map(|(k, written)| {
                accepted
                    .get(k)
                    .filter(|kind| *kind != written)
                    .map(|kind| format!("  `{k}`: the page says {written}, the types read {kind}"))
            })
            .collect();
        let mut problems = String::new();
        if !missing.is_empty() {
            problems +=
                &format!("keys the configuration accepts that {PAGE} does not document (add a row for each):\n{}\n", missing.join("\n"));
        }
        if !gone.is_empty() {
            problems +=
                &format!("keys {PAGE} documents that the configuration does not accept (remove or rename them):\n{}\n", gone.join("\n"));
        }
        if !retyped.is_empty() {
            problems += &format!("keys whose type in {PAGE} is not the one the configuration reads:\n{}\n", retyped.join("\n"));
        }
        problems
    }

    fn page() -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(PAGE);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{PAGE}: {e}"))
    }

    #[test]
    fn the_reference_documents_every_key_and_only_those() {
        let problems = problems(&page());
        assert!(problems.is_empty(), "{problems}");
    }

    #[test]
    fn a_missing_a_gone_and_a_retyped_key_are_named() {
        let page = page();
        let edited: String = page
            .lines()
            .filter(|l| !l.starts_with("| `organization.time_zone` |"))
            .map(|l| if l.starts_with("| `organization.currency` |") { l.replacen("| string |", "| integer |", 1) } else { l.to_string() })
            .chain(["| `organization.motto` | string | none | — | Not a key. |".to_string()])
            .collect::<Vec<_>>()
            .join("\n");
        let problems = problems(&edited);
        assert!(problems.contains("`organization.time_zone` (string)"), "{problems}");
        assert!(problems.contains("`organization.motto`"), "{problems}");
        assert!(problems.contains("`organization.currency`: the page says integer, the types read string"), "{problems}");
    }
}
