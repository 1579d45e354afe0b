//! Sealing listed paths inside a JSON document, and opening every sealed value in one. A sealed
//! value is stored as `{"$sealed": SealedText}` in place of the plain string; its binding is
//! `{scope}:{path}`, so it only opens on the same record and field.

use super::sealed::SealedText;
use super::sealer::{SealError, Sealer};
use serde_json::Value;

/// Plain strings at `path` (`a.b`, `notes[].text`, `fields.*`) in `doc`, as (JSON pointer,
/// binding pattern). The pattern is the path with each `*` replaced by the key it matched, so
/// it is what [`open_all`] finds again on the way back (`[]` stays `[]`).
fn targets(doc: &Value, path: &str) -> Vec<(String, String)> {
    let escape = |k: &str| k.replace('~', "~0").replace('/', "~1");
    let join = |pattern: &str, k: &str| if pattern.is_empty() { k.to_string() } else { format!("{pattern}.{k}") };
    let mut found = vec![(String::new(), String::new(), doc)];
    for seg in path.split('.') {
        let mut next = Vec::new();
        for (ptr, pattern, v) in found {
            if seg == "*" {
                if let Some(map) = v.as_object() {
                    next.extend(map.iter().map(|(k, child)| (format!("{ptr}/{}", escape(k)), join(&pattern, k), child)));
                }
                continue;
            }
            let (name, each) = match seg.strip_suffix("[]") {
                Some(n) => (n, true),
                None => (seg, false),
            };
            let Some(child) = v.get(name) else { continue };
            let here = format!("{ptr}/{}", escape(name));
            let pattern = join(&pattern, seg);
            if each {
                if let Some(items) = child.as_array() {
                    next.extend(items.iter().enumerate().map(|(i, item)| (format!("{here}/{i}"), pattern.clone(), item)));
                }
            } else {
                next.push((here, pattern, child));
            }
        }
        found = next;
    }
    found.into_iter().filter(|(_, _, v)| v.is_string()).map(|(p, pattern, _)| (p, pattern)).collect()
}

/// Seals the string values at `paths` in `doc`, bound to `scope` and each value's path.
pub async fn seal_paths(sealer: &Sealer, doc: &mut Value, paths: &[&str], scope: &str) -> Result<(), SealError> {
    for path in paths {
        for (pointer, pattern) in targets(doc, path) {
            let Some(slot) = doc.pointer_mut(&pointer) else { continue };
            let Some(plain) = slot.as_str() else { continue };
            let sealed = sealer.seal(plain, &format!("{scope}:{pattern}")).await?;
            *slot = serde_json::json!({ SealedText::MARKER: sealed });
        }
    }
    Ok(())
}

/// Whether `doc` holds any sealed value.
pub fn has_sealed(doc: &Value) -> bool {
    match doc {
        Value::Object(map) => map.contains_key(SealedText::MARKER) || map.values().any(has_sealed),
        Value::Array(items) => items.iter().any(has_sealed),
        _ => false,
    }
}

/// Opens every sealed value in `doc`, for the record `scope`.
pub async fn open_all(sealer: &Sealer, doc: &mut Value, scope: &str) -> Result<(), SealError> {
    let mut pending = Vec::new();
    collect(doc, String::new(), String::new(), &mut pending);
    for (pointer, pattern) in pending {
        let Some(slot) = doc.pointer_mut(&pointer) else { continue };
        let sealed: SealedText =
            serde_json::from_value(slot[SealedText::MARKER].clone()).map_err(|_| SealError::Malformed("not a sealed value"))?;
        *slot = Value::String(sealer.open(&sealed, &format!("{scope}:{pattern}")).await?);
    }
    Ok(())
}

/// Puts `placeholder` in place of every sealed value in `doc`, opening none.
pub fn withhold_sealed(doc: &mut Value, placeholder: &str) {
    let mut pending = Vec::new();
    collect(doc, String::new(), String::new(), &mut pending);
    for (pointer, _) in pending {
        if let Some(slot) = doc.pointer_mut(&pointer) {
            *slot = Value::String(placeholder.to_string());
        }
    }
}

/// Puts `placeholder` in place of the plain strings at `paths` in `doc` (the paths
/// [`seal_paths`] seals).
pub fn withhold_paths(doc: &mut Value, paths: &[&str], placeholder: &str) {
    for path in paths {
        for (pointer, _) in targets(doc, path) {
            if let Some(slot) = doc.pointer_mut(&pointer) {
                *slot = Value::String(placeholder.to_string());
            }
        }
    }
}

/// Finds sealed values: their JSON pointer and their path pattern (`[]` for array elements).
fn collect(v: &Value, pointer: String, pattern: String, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) if map.contains_key(SealedText::MARKER) => out.push((pointer, pattern)),
        Value::Object(map) => {
            for (k, child) in map {
                let p = if pattern.is_empty() || pattern.ends_with('.') { format!("{pattern}{k}") } else { format!("{pattern}.{k}") };
                collect(child, format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1")), p, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                collect(child, format!("{pointer}/{i}"), format!("{pattern}[]"), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory::LocalKeys;
    use std::sync::Arc;

    #[tokio::test]
    async fn listed_paths_are_sealed_and_open_again_only_in_their_place() {
        let sealer = Sealer::new(Arc::new(LocalKeys::random()));
        let original = serde_json::json!({
            "context": {"concern": "chest pain", "city": "Austin"},
            "notes": [{"text": "called back"}, {"text": "left voicemail"}],
            "fields": {"concern": "night sweats", "zip": "07030"},
            "negated": ["not dizzy"]
        });
        let mut doc = original.clone();
        seal_paths(&sealer, &mut doc, &["context.concern", "notes[].text", "missing.path", "fields.*", "negated[]"], "lead:L1")
            .await
            .unwrap();
        let stored = doc.to_string();
        for plain in ["chest pain", "voicemail", "night sweats", "07030", "dizzy"] {
            assert!(!stored.contains(plain), "{plain} in {stored}");
        }
        assert_eq!(doc["context"]["city"], "Austin");
        assert!(has_sealed(&doc));

        let mut opened = doc.clone();
        open_all(&sealer, &mut opened, "lead:L1").await.unwrap();
        assert_eq!(opened, original);
        // Bound to the record: the same document does not open as another lead's.
        let mut moved = doc.clone();
        assert!(matches!(open_all(&sealer, &mut moved, "lead:L2").await, Err(SealError::Integrity)));
        // Bound to the field: a concern moved into a note does not open.
        let mut swapped = doc.clone();
        swapped["notes"][0]["text"] = doc["context"]["concern"].clone();
        assert!(matches!(open_all(&sealer, &mut swapped, "lead:L1").await, Err(SealError::Integrity)));
    }

    #[tokio::test]
    async fn withheld_values_are_the_sealed_or_listed_ones_only() {
        let sealer = Sealer::new(Arc::new(LocalKeys::random()));
        let original = serde_json::json!({"kind": "note_added", "note": "chest pain", "at": "2026-03-03"});
        let mut sealed = original.clone();
        seal_paths(&sealer, &mut sealed, &["note"], "lead:L1:tl:E1").await.unwrap();
        withhold_sealed(&mut sealed, "-");
        assert_eq!(sealed, serde_json::json!({"kind": "note_added", "note": "-", "at": "2026-03-03"}));
        let mut plain = original.clone();
        withhold_paths(&mut plain, &["note", "text"], "-");
        assert_eq!(plain, sealed);
    }
}
