//! Parsing a JSON input into the tree the readers use, without keeping what no reader reads.
//!
//! A `terraform show -json` plan holds every resource's values up to three times: in
//! `planned_values`, and as `before` and `after` in `resource_changes`. The readers use
//! `resource_changes`; `planned_values` only tells which values are sensitive (its
//! `sensitive_values` masks), so that excerpts mask them. [`parse`] reads the document in one
//! pass; when it meets a top-level `planned_values` it parses that member alone, takes the
//! pointers of its sensitive values and drops it, leaving `null` in its place. The tree then
//! holds two copies of the values instead of three, and the peak is lower by that third.
//!
//! *Invariant:* for any text, [`parse`] fails exactly when `serde_json::from_str::<Value>`
//! fails, with the same error, and gives the same tree but for `planned_values`.

use serde::de::{DeserializeSeed, Deserializer as _, MapAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// A parsed input.
#[derive(Debug)]
pub struct Document {
    pub root: Value,
    /// Pointers of the sensitive values of a top-level `planned_values` that was dropped from
    /// `root` (empty when there was none).
    pub planned_sensitive: Vec<String>,
}

/// Parse `text` (no byte order mark); see the module documentation.
pub fn parse(text: &str) -> serde_json::Result<Document> {
    let starts_object = text.trim_start().starts_with('{');
    if !starts_object {
        return serde_json::from_str(text).map(|root| Document {
            root,
            planned_sensitive: vec![],
        });
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let mut planned_sensitive = vec![];
    let root = de.deserialize_map(RootVisitor {
        planned_sensitive: &mut planned_sensitive,
    })?;
    de.end()?;
    Ok(Document {
        root,
        planned_sensitive,
    })
}

struct RootVisitor<'a> {
    planned_sensitive: &'a mut Vec<String>,
}

impl<'de> Visitor<'de> for RootVisitor<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "planned_values" {
                let pv = map.next_value_seed(PlannedValues)?;
                // a repeated key: the last one counts, as in a full parse
                *self.planned_sensitive = pv;
                out.insert(key, Value::Null);
            } else {
                let v: Value = map.next_value()?;
                out.insert(key, v);
            }
        }
        Ok(Value::Object(out))
    }
}

/// A `planned_values` member: parsed, its sensitive pointers taken, then dropped.
struct PlannedValues;

impl<'de> DeserializeSeed<'de> for PlannedValues {
    type Value = Vec<String>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
        let v = <Value as serde::Deserialize>::deserialize(d)?;
        Ok(super::sensitive::values_pointers(&v, "/planned_values"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planned_values_leave_only_their_sensitive_pointers() {
        let text = r#"{"format_version": "1.2",
            "planned_values": {"root_module": {"resources": [
                {"address": "a.b", "values": {"k": "s3cret", "n": 1}, "sensitive_values": {"k": true}}]}},
            "resource_changes": [{"address": "a.b", "change": {"after": {"k": "s3cret"}}}]}"#;
        let d = parse(text).unwrap();
        assert_eq!(d.root["planned_values"], Value::Null);
        assert_eq!(d.root["resource_changes"][0]["address"], "a.b");
        assert_eq!(
            d.planned_sensitive,
            vec!["/planned_values/root_module/resources/0/values/k".to_string()]
        );
        let full: Value = serde_json::from_str(text).unwrap();
        let mut without = full.clone();
        without["planned_values"] = Value::Null;
        assert_eq!(d.root, without);
    }

    #[test]
    fn errors_and_other_documents_are_those_of_a_full_parse() {
        for text in [
            "",
            "{",
            r#"{"a": 1,}"#,
            r#"{"a": 1} trailing"#,
            r#"{"planned_values": {"root_module": [}}"#,
            r#"[1, 2"#,
            "\"x\"",
            r#"[{"id": "/subscriptions/x"}]"#,
            r#"{"a": {"b": [1, 2, {"c": null}]}, "a": 3}"#,
            "  \n {\"planned_values\": 1, \"x\": [true]}  \n",
        ] {
            let ours = parse(text).map(|d| d.root).map_err(|e| e.to_string());
            let full = serde_json::from_str::<Value>(text).map_err(|e| e.to_string());
            match (&ours, &full) {
                (Ok(a), Ok(b)) => {
                    let mut b = b.clone();
                    if let Some(pv) = b.get_mut("planned_values") {
                        *pv = Value::Null;
                    }
                    assert_eq!(a, &b, "{text}");
                }
                _ => assert_eq!(ours, full, "{text}"),
            }
        }
    }

    #[test]
    fn nesting_is_limited_as_in_a_full_parse() {
        let deep = format!(
            "{{\"planned_values\": {}{}}}",
            "[".repeat(200),
            "]".repeat(200)
        );
        assert!(parse(&deep).is_err());
        assert!(serde_json::from_str::<Value>(&deep).is_err());
    }
}
