//! Parsing a JSON input into the tree the readers use, without keeping what no reader reads.
//!
//! A `terraform show -json` plan holds every resource's values up to three times: in
//! `planned_values`, and as `before` and `after` in `resource_changes`. The readers use the
//! `after` values; of `before` they use only the `name` and `id` of a resource the plan keeps
//! (an update or replacement renames, a replacement's old id is gone after apply) and the whole
//! of a resource it deletes or forgets; `planned_values` only tells which values are sensitive
//! (its `sensitive_values` masks), so that excerpts mask them. [`parse`] reads the document in
//! one pass and, as it goes:
//!
//! * reads a top-level `planned_values` one resource at a time for the pointers of its
//!   sensitive values, then drops it (`null` in its place);
//! * moves the values of each `resource_changes[i].change` (`before`, `after`, `after_unknown`,
//!   `after_sensitive`, `before_sensitive`) out of the tree into [`Document::changes`], as
//!   borrowed trees ([`super::tree`]: strings are slices of the text, arrays and objects sit in
//!   one arena, about a third of the memory of a `serde_json::Value` tree); the pointers of
//!   their sensitive values go to [`Document::sensitive`];
//! * cuts the `before` of a change whose `actions` neither delete nor forget down to its `name`
//!   and `id` members, once its sensitive pointers are taken (only one such value is whole at a
//!   time, in a scratch arena).
//!
//! *Invariant:* for any text, [`parse`] fails exactly when `serde_json::from_str::<Value>`
//! fails, with the same error (the same deserializer reads every byte, so nesting limits and
//! positions are the same), and gives the same tree but for the parts above; the moved values,
//! turned back into `Value`s, equal those of a full parse (the `before` cut as said), and the
//! pointers of the sensitive values of what is not in the tree are in [`Document::sensitive`].

use super::tree::{self, Builder, Node};
use bumpalo::Bump;
use serde::de::{DeserializeSeed, Deserializer as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// A parsed input.
#[derive(Debug)]
pub struct Document<'t> {
    pub root: Value,
    /// The values of each `resource_changes[i].change` (by `i`), moved out of `root`.
    pub changes: Vec<ChangeValues<'t>>,
    /// Pointers of the sensitive values of what is not in `root`: a top-level `planned_values`
    /// and the values of `changes` (all of a `before`, whatever was cut of it).
    pub sensitive: Vec<String>,
}

/// The values of one change, as borrowed trees ([`tree`]): its `before` cut down as the module
/// documentation says.
#[derive(Debug, Default, Clone, Copy)]
pub struct ChangeValues<'t> {
    pub before: Option<Node<'t>>,
    pub after: Option<Node<'t>>,
    pub after_unknown: Option<Node<'t>>,
    pub after_sensitive: Option<Node<'t>>,
    pub before_sensitive: Option<Node<'t>>,
}

/// The members of a change that [`ChangeValues`] holds.
const CHANGE_VALUES: [&str; 5] = [
    "before",
    "after",
    "after_unknown",
    "after_sensitive",
    "before_sensitive",
];

/// Parse `text` (no byte order mark), the change values in `bump`; see the module documentation.
pub fn parse<'t>(text: &'t str, bump: &'t Bump) -> serde_json::Result<Document<'t>> {
    let starts_object = text.trim_start().starts_with('{');
    if !starts_object {
        return serde_json::from_str(text).map(|root| Document {
            root,
            changes: vec![],
            sensitive: vec![],
        });
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let mut st = State {
        text,
        bump,
        builder: Builder::new(bump),
        changes: vec![],
        sensitive: vec![],
    };
    let root = de.deserialize_map(Shaped {
        at: At::Root,
        st: &mut st,
    })?;
    de.end()?;
    Ok(Document {
        root,
        changes: st.changes,
        sensitive: st.sensitive,
    })
}

/// What parsing a document gathers besides its tree.
struct State<'t> {
    text: &'t str,
    bump: &'t Bump,
    /// Reads the change values into `bump`.
    builder: Builder<'t>,
    changes: Vec<ChangeValues<'t>>,
    sensitive: Vec<String>,
}

/// Where in a plan a value being parsed sits: the places where something is left out.
#[derive(Clone, Copy)]
enum At {
    Root,
    /// `/resource_changes`
    Changes,
    /// `/resource_changes/{i}`
    Change(usize),
    /// `/resource_changes/{i}/change`
    ChangeBody(usize),
}

/// A value at `at`, parsed as `Value` would be, but for what is left out there.
struct Shaped<'s, 't> {
    at: At,
    st: &'s mut State<'t>,
}

impl<'de: 't, 't> DeserializeSeed<'de> for Shaped<'_, 't> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de: 't, 't> Visitor<'de> for Shaped<'_, 't> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    // scalars: as `Value`'s own visitor builds them
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        match self.at {
            At::Changes => {
                while let Some(v) = seq.next_element_seed(Shaped {
                    at: At::Change(out.len()),
                    st: &mut *self.st,
                })? {
                    out.push(v);
                }
            }
            _ => {
                while let Some(v) = seq.next_element::<Value>()? {
                    out.push(v);
                }
            }
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let st = self.st;
        let mut out = Map::new();
        // a change's `before`, whole (in a scratch arena) until the change's other members are
        // known
        let scratch = Bump::new();
        let mut before = None;
        let mut values = ChangeValues::default();
        while let Some(key) = map.next_key::<String>()? {
            let inner = match (self.at, key.as_str()) {
                (At::Root, "planned_values") => {
                    let pv = map.next_value_seed(PlannedValues)?;
                    // a repeated key: the last one counts, as in a full parse
                    st.sensitive.retain(|p| !p.starts_with("/planned_values/"));
                    st.sensitive.extend(pv);
                    out.insert(key, Value::Null);
                    continue;
                }
                (At::Root, "resource_changes") => {
                    // a repeated key: the last one counts
                    st.changes.clear();
                    st.sensitive
                        .retain(|p| !p.starts_with("/resource_changes/"));
                    Some(At::Changes)
                }
                (At::Change(i), "change") => Some(At::ChangeBody(i)),
                (At::ChangeBody(_), "before") => {
                    before = Some(map.next_value_seed(Builder::new(&scratch).seed())?);
                    continue;
                }
                (At::ChangeBody(_), k) if CHANGE_VALUES.contains(&k) => {
                    let v = Some(map.next_value_seed(st.builder.seed())?);
                    match k {
                        "after" => values.after = v,
                        "after_unknown" => values.after_unknown = v,
                        "after_sensitive" => values.after_sensitive = v,
                        _ => values.before_sensitive = v,
                    }
                    continue;
                }
                _ => None,
            };
            let v = match inner {
                Some(at) => map.next_value_seed(Shaped { at, st: &mut *st })?,
                None => map.next_value::<Value>()?,
            };
            out.insert(key, v);
        }
        if let At::ChangeBody(i) = self.at {
            st.change_done(i, values, before, &out);
        }
        Ok(Value::Object(out))
    }
}

impl<'t> State<'t> {
    /// Change `i` is read: its values `values` and `before` (whole, in a scratch arena), its
    /// other members `change`. Keeps its values and the pointers of their sensitive parts.
    fn change_done(
        &mut self,
        i: usize,
        mut values: ChangeValues<'t>,
        before: Option<Node<'_>>,
        change: &Map<String, Value>,
    ) {
        if self.changes.len() <= i {
            self.changes.resize(i + 1, ChangeValues::default());
        }
        let ptr = format!("/resource_changes/{i}/change");
        if self.changes[i].is_read() {
            // a repeated `change`: the last one counts
            let prefix = format!("{ptr}/");
            self.sensitive.retain(|p| !p.starts_with(&prefix));
        }
        if let (Some(m), Some(v)) = (&values.after_sensitive, &values.after) {
            let at = format!("{ptr}/after");
            self.sensitive
                .extend(super::sensitive::masked_pointers(m, v, &at));
        }
        if let (Some(m), Some(v)) = (&values.before_sensitive, &before) {
            // the pointers into the whole value: its excerpts stay masked whatever is cut
            let at = format!("{ptr}/before");
            self.sensitive
                .extend(super::sensitive::masked_pointers(m, v, &at));
        }
        values.before = before.map(|b| cut_before(&b, change, self.text, self.bump));
        self.changes[i] = values;
    }
}

impl ChangeValues<'_> {
    fn is_read(&self) -> bool {
        self.before.is_some()
            || self.after.is_some()
            || self.after_unknown.is_some()
            || self.after_sensitive.is_some()
            || self.before_sensitive.is_some()
    }
}

/// What of a change's `before` is kept, given the change's other members `change`: the whole
/// value of a change that deletes or forgets, else its `name` and `id`.
fn cut_before<'t>(
    before: &Node<'_>,
    change: &Map<String, Value>,
    text: &'t str,
    bump: &'t Bump,
) -> Node<'t> {
    let whole = change
        .get("actions")
        .and_then(Value::as_array)
        .is_some_and(|a| {
            a.iter()
                .any(|x| matches!(x.as_str(), Some("delete" | "forget")))
        });
    match before.as_object() {
        Some(members) if !whole => {
            let mut kept: Vec<(&str, Node<'t>)> = ["id", "name"]
                .into_iter()
                .filter_map(|k| Some((k, tree::rehome(members.get(k)?, text, bump))))
                .collect();
            Node::Object(tree::object(bump, &mut kept))
        }
        _ => tree::rehome(before, text, bump),
    }
}

/// A `planned_values` member, read for the pointers of its sensitive values and dropped: one
/// resource's value at a time is whole (parsing the member into one tree took as much memory as
/// all the `after` values of the plan, for a moment, and left the allocator's pages fragmented).
/// The pointers are those [`super::sensitive::values_pointers`] finds in the whole value: a
/// repeated key counts once, the last time, as in a full parse.
struct PlannedValues;

impl<'de> DeserializeSeed<'de> for PlannedValues {
    type Value = Vec<String>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
        d.deserialize_any(PvPointers {
            at: PvAt::Values,
            ptr: "/planned_values",
        })
    }
}

/// Where in a `planned_values` value the value being read sits.
#[derive(Clone, Copy)]
enum PvAt {
    /// The `planned_values` object: `root_module`, `outputs`.
    Values,
    /// A module: `resources`, `child_modules`, `outputs`; `depth` 0 for the root module.
    Module { depth: usize },
    /// A module's `resources`.
    Resources,
    /// A module's `child_modules`, the module at `depth`'s.
    Children { depth: usize },
}

/// The sensitive pointers of the value at `at`, whose JSON pointer is `ptr`.
struct PvPointers<'p> {
    at: PvAt,
    ptr: &'p str,
}

impl<'de> DeserializeSeed<'de> for PvPointers<'_> {
    type Value = Vec<String>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PvPointers<'_> {
    type Value = Vec<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    // scalars hold no sensitive value where they can be
    fn visit_bool<E>(self, _: bool) -> Result<Vec<String>, E> {
        Ok(vec![])
    }
    fn visit_i64<E>(self, _: i64) -> Result<Vec<String>, E> {
        Ok(vec![])
    }
    fn visit_u64<E>(self, _: u64) -> Result<Vec<String>, E> {
        Ok(vec![])
    }
    fn visit_f64<E>(self, _: f64) -> Result<Vec<String>, E> {
        Ok(vec![])
    }
    fn visit_str<E>(self, _: &str) -> Result<Vec<String>, E> {
        Ok(vec![])
    }
    fn visit_none<E>(self) -> Result<Vec<String>, E> {
        Ok(vec![])
    }
    fn visit_unit<E>(self) -> Result<Vec<String>, E> {
        Ok(vec![])
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
        let mut out = vec![];
        let mut i = 0;
        match self.at {
            PvAt::Resources => {
                // one resource at a time, in an arena of its own
                loop {
                    let scratch = Bump::new();
                    let Some(r) = seq.next_element_seed(Builder::new(&scratch).seed())? else {
                        break;
                    };
                    if let (Some(mask), Some(vals)) = (r.get("sensitive_values"), r.get("values")) {
                        let ptr = format!("{}/{i}/values", self.ptr);
                        out.extend(super::sensitive::masked_pointers(mask, vals, &ptr));
                    }
                    i += 1;
                }
            }
            // deeper modules than `values_pointers` reads are read as values and dropped
            PvAt::Children { depth } if depth < 100 => loop {
                let ptr = format!("{}/{i}", self.ptr);
                let seed = PvPointers {
                    at: PvAt::Module { depth: depth + 1 },
                    ptr: &ptr,
                };
                match seq.next_element_seed(seed)? {
                    Some(p) => out.extend(p),
                    None => break,
                }
                i += 1;
            },
            _ => while seq.next_element::<Value>()?.is_some() {},
        }
        Ok(out)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<String>, A::Error> {
        // pointers by key: a repeated key replaces what the earlier one gave
        let mut by_key: Vec<(String, Vec<String>)> = vec![];
        while let Some(key) = map.next_key::<String>()? {
            let ptr = format!("{}/{}", self.ptr, crate::source::ptr_seg(&key));
            let at = match (self.at, key.as_str()) {
                (PvAt::Values, "root_module") => Some(PvAt::Module { depth: 0 }),
                (PvAt::Module { .. }, "resources") => Some(PvAt::Resources),
                (PvAt::Module { depth }, "child_modules") => Some(PvAt::Children { depth }),
                _ => None,
            };
            let got = match (at, self.at, key.as_str()) {
                (Some(at), ..) => map.next_value_seed(PvPointers { at, ptr: &ptr })?,
                (None, PvAt::Values, "outputs") => {
                    super::sensitive::output_pointers(&map.next_value::<Value>()?, &ptr, false)
                }
                (None, PvAt::Module { .. }, "outputs") => {
                    super::sensitive::output_pointers(&map.next_value::<Value>()?, &ptr, true)
                }
                _ => {
                    map.next_value::<Value>()?;
                    vec![]
                }
            };
            match by_key.iter_mut().find(|(k, _)| *k == key) {
                Some((_, p)) => *p = got,
                None => by_key.push((key, got)),
            }
        }
        Ok(by_key.into_iter().flat_map(|(_, p)| p).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`parse`] with an arena of its own (the values of changes are dropped).
    fn parsed(text: &str) -> serde_json::Result<(Value, Vec<String>)> {
        let bump = Bump::new();
        parse(text, &bump).map(|d| (d.root, d.sensitive))
    }

    #[test]
    fn planned_values_leave_only_their_sensitive_pointers() {
        let text = r#"{"format_version": "1.2",
            "planned_values": {"root_module": {"resources": [
                {"address": "a.b", "values": {"k": "s3cret", "n": 1}, "sensitive_values": {"k": true}}]}},
            "resource_changes": [{"address": "a.b", "change": {"after": {"k": "s3cret"}}}]}"#;
        let (root, sensitive) = parsed(text).unwrap();
        assert_eq!(root["planned_values"], Value::Null);
        assert_eq!(root["resource_changes"][0]["address"], "a.b");
        assert_eq!(
            sensitive,
            vec!["/planned_values/root_module/resources/0/values/k".to_string()]
        );
        same_as_a_full_parse(text);
    }

    /// The sensitive pointers [`parse`] gives under `prefix`, sorted.
    fn sensitive_under(text: &str, prefix: &str) -> Vec<String> {
        let mut got: Vec<String> = parsed(text)
            .unwrap()
            .1
            .into_iter()
            .filter(|p| p.starts_with(prefix))
            .collect();
        got.sort();
        got
    }

    /// The `planned_values` pointers [`parse`] gives are those of the whole value, parsed.
    fn pv_pointers_as_a_full_parse(text: &str) {
        let full: Value = serde_json::from_str(text).unwrap();
        let mut want = full
            .get("planned_values")
            .map(|pv| super::super::sensitive::values_pointers(pv, "/planned_values"))
            .unwrap_or_default();
        want.sort();
        assert_eq!(sensitive_under(text, "/planned_values/"), want, "{text}");
    }

    #[test]
    fn planned_values_pointers_are_those_of_the_whole_value() {
        let res = |name: &str, secret: &str| {
            format!(
                r#"{{"address": "{name}", "values": {{"k": "{secret}", "l": [{{"p": "x"}}, {{"p": "y"}}], "n": 1}},
                    "sensitive_values": {{"k": true, "l": [{{}}, {{"p": true}}]}}}}"#
            )
        };
        let module = |inner: &str| {
            format!(
                r#"{{"resources": [{}, {{"address": "plain", "values": {{"a": 1}}}}], "child_modules": [{inner}],
                    "outputs": {{"pw": {{"sensitive": true, "value": "v"}}, "no/value~": {{"sensitive": true}},
                                 "open": {{"sensitive": false, "value": 1}}}}}}"#,
                res("a.b", "s3cret")
            )
        };
        let nested = module(&module(&module("")));
        for text in [
            format!(r#"{{"planned_values": {{"root_module": {nested}}}}}"#),
            // outputs of `planned_values` itself count with or without a value
            format!(
                r#"{{"planned_values": {{"outputs": {{"a/b": {{"sensitive": true}}, "c": {{"sensitive": false}}}},
                    "root_module": {nested}}}}}"#
            ),
            // repeated keys: the last counts, at every level
            format!(
                r#"{{"planned_values": {{"root_module": {nested}, "root_module": {{"resources": [{}]}}}}}}"#,
                res("z.z", "pw")
            ),
            format!(
                r#"{{"planned_values": {{"root_module": {{"resources": [{}], "resources": [], "child_modules": [{nested}]}}}}}}"#,
                res("y.y", "pw")
            ),
            format!(r#"{{"planned_values": {{"root_module": {nested}}}, "planned_values": {{}}}}"#),
            format!(r#"{{"planned_values": {{}}, "planned_values": {{"root_module": {nested}}}}}"#),
            // other shapes hold no pointers
            r#"{"planned_values": {"root_module": [1, {"resources": []}]}}"#.to_string(),
            r#"{"planned_values": {"root_module": {"resources": {"0": {}}, "child_modules": 3}}}"#
                .to_string(),
            r#"{"planned_values": [{"root_module": {}}], "x": 1}"#.to_string(),
            r#"{"planned_values": "s", "resource_changes": []}"#.to_string(),
        ] {
            pv_pointers_as_a_full_parse(&text);
            same_as_a_full_parse(&text);
        }
    }

    /// The pointers [`parse`] gives for the values of changes are those of each whole value of a
    /// full parse under its mask.
    fn change_pointers_as_a_full_parse(text: &str) {
        let full: Value = serde_json::from_str(text).unwrap();
        let bump = Bump::new();
        let mut want = vec![];
        let changes = full.get("resource_changes").and_then(Value::as_array);
        for (i, rc) in changes.into_iter().flatten().enumerate() {
            let Some(c) = rc.get("change") else { continue };
            for (mask, val) in [("after_sensitive", "after"), ("before_sensitive", "before")] {
                if let (Some(m), Some(v)) = (c.get(mask), c.get(val)) {
                    let (m, v) = (Node::from_value(m, &bump), Node::from_value(v, &bump));
                    let at = format!("/resource_changes/{i}/change/{val}");
                    want.extend(super::super::sensitive::masked_pointers(&m, &v, &at));
                }
            }
        }
        want.sort();
        assert_eq!(sensitive_under(text, "/resource_changes/"), want, "{text}");
    }

    #[test]
    fn every_plan_in_testdata_and_the_corpus_reads_as_a_full_parse() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut dirs = vec![
            root.join("testdata"),
            root.join("../shared/corpus/terraform-plan"),
        ];
        let mut seen = 0;
        while let Some(d) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(&p) else {
                    continue;
                };
                if p.extension().is_some_and(|x| x == "json")
                    && text.contains("\"planned_values\"")
                    && serde_json::from_str::<Value>(&text).is_ok()
                {
                    pv_pointers_as_a_full_parse(&text);
                    change_pointers_as_a_full_parse(&text);
                    same_as_a_full_parse(&text);
                    seen += 1;
                }
            }
        }
        assert!(seen >= 20, "only {seen} plans found");
    }

    /// What the module documentation says [`parse`] leaves out or moves, done on a full
    /// parse's tree: the change values it moves, by change.
    fn reference_cut(full: &mut Value) -> Vec<Vec<(&'static str, Value)>> {
        if let Some(pv) = full.get_mut("planned_values") {
            *pv = Value::Null;
        }
        let Some(Value::Array(changes)) = full.get_mut("resource_changes") else {
            return vec![];
        };
        let mut moved = vec![];
        for rc in changes {
            let mut values = vec![];
            if let Some(Value::Object(change)) = rc.get_mut("change") {
                let whole = change
                    .get("actions")
                    .and_then(Value::as_array)
                    .is_some_and(|a| a.iter().any(|x| x == "delete" || x == "forget"));
                if let Some(Value::Object(before)) = change.get_mut("before") {
                    if !whole {
                        before.retain(|k, _| k == "name" || k == "id");
                    }
                }
                for k in CHANGE_VALUES {
                    if let Some(v) = change.remove(k) {
                        values.push((k, v));
                    }
                }
            }
            moved.push(values);
        }
        moved
    }

    /// The values of `c` as [`reference_cut`] lists them.
    fn listed(c: &ChangeValues<'_>) -> Vec<(&'static str, Value)> {
        [
            ("before", c.before),
            ("after", c.after),
            ("after_unknown", c.after_unknown),
            ("after_sensitive", c.after_sensitive),
            ("before_sensitive", c.before_sensitive),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?.to_value())))
        .collect()
    }

    fn same_as_a_full_parse(text: &str) {
        let bump = Bump::new();
        let ours = parse(text, &bump).map_err(|e| e.to_string());
        let full = serde_json::from_str::<Value>(text).map_err(|e| e.to_string());
        match (ours, full) {
            (Ok(d), Ok(mut b)) => {
                let moved = reference_cut(&mut b);
                assert_eq!(d.root, b, "{text}");
                for (i, want) in moved.iter().enumerate() {
                    let got = d.changes.get(i).map(listed).unwrap_or_default();
                    let mut want = want.clone();
                    want.sort_by_key(|(k, _)| CHANGE_VALUES.iter().position(|x| x == k));
                    assert_eq!(got, want, "change {i} of {text}");
                }
                assert!(d.changes.len() <= moved.len(), "{text}");
            }
            (ours, full) => assert_eq!(ours.err(), full.err(), "{text}"),
        }
    }

    #[test]
    fn before_values_of_kept_resources_leave_their_name_id_and_sensitive_pointers() {
        let text = r#"{"format_version": "1.2", "resource_changes": [
            {"address": "a.b", "change": {"actions": ["no-op"],
                "before": {"name": "n", "id": "/x", "k": "s3cret", "rules": [{"p": "pw"}, {"p": "ok"}]},
                "after": {"name": "n", "id": "/x", "k": "s3cret"},
                "before_sensitive": {"k": true, "rules": [{"p": true}, {}]},
                "after_sensitive": {"k": true}}},
            {"address": "a.c", "change": {"actions": ["update"],
                "before_sensitive": false, "before": {"name": "old", "k": 1}, "after": {"name": "new"}}},
            {"address": "a.d", "change": {"actions": ["delete"], "before": {"name": "d", "k": 2},
                "before_sensitive": {"k": true}, "after": null}},
            {"address": "a.e", "change": {"actions": ["delete", "create"], "before": {"name": "e", "k": 3},
                "after": {"name": "e2"}}},
            {"address": "a.f", "change": {"actions": ["forget"], "before": {"name": "f", "k": 4}}},
            {"address": "a.g", "change": {"actions": ["create"], "before": null, "after": {"name": "g"}}},
            {"address": "a.h", "change": {"before": "not an object", "actions": ["update"]}}
        ]}"#;
        let bump = Bump::new();
        let d = parse(text, &bump).unwrap();
        let before = |i: usize| d.changes[i].before.map(|b| b.to_value());
        let json = |v| Some(serde_json::json!(v));
        assert_eq!(
            before(0),
            json(serde_json::json!({"name": "n", "id": "/x"}))
        );
        assert_eq!(before(1), json(serde_json::json!({"name": "old"})));
        // deleted, replaced and forgotten resources keep the whole value (readers read it)
        assert_eq!(before(2), json(serde_json::json!({"name": "d", "k": 2})));
        assert_eq!(before(3), json(serde_json::json!({"name": "e", "k": 3})));
        assert_eq!(before(4), json(serde_json::json!({"name": "f", "k": 4})));
        assert_eq!(before(5), Some(Value::Null));
        assert_eq!(before(6), json(serde_json::json!("not an object")));
        // the sensitive values of the cut value are still known, to mask them in excerpts
        assert_eq!(
            d.sensitive,
            vec![
                "/resource_changes/0/change/after/k".to_string(),
                "/resource_changes/0/change/before/k".to_string(),
                "/resource_changes/0/change/before/rules/0/p".to_string(),
                "/resource_changes/2/change/before/k".to_string(),
            ]
        );
        same_as_a_full_parse(text);
    }

    #[test]
    fn a_cut_before_fails_as_a_full_parse_does() {
        // nesting, numbers out of range, lone surrogates, bad escapes inside a `before` that is
        // cut: the same errors, at the same places
        let wrap = |inner: &str| {
            format!(
                r#"{{"resource_changes": [{{"change": {{"actions": ["no-op"], "before": {inner}, "after": {{}}}}}}]}}"#
            )
        };
        let mut read = [false, false];
        for depth in 118..=126 {
            let text = wrap(&format!(
                "{{\"a\": {}1{}}}",
                "[".repeat(depth),
                "]".repeat(depth)
            ));
            same_as_a_full_parse(&text);
            read[usize::from(parsed(&text).is_ok())] = true;
        }
        assert_eq!(
            read,
            [true, true],
            "the depths cross serde_json's nesting limit"
        );
        for inner in [
            r#"{"a": 1e999}"#,
            r#"{"a": "\ud800"}"#,
            r#"{"a": "\x"}"#,
            r#"{"a": tru}"#,
            r#"{"a": 1,}"#,
            r#"{"name": "n", "name": "m", "id": 5}"#,
            "{\"a\": \"\u{1}\"}",
        ] {
            same_as_a_full_parse(&wrap(inner));
        }
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
            same_as_a_full_parse(text);
        }
    }

    #[test]
    fn nesting_is_limited_as_in_a_full_parse() {
        let deep = format!(
            "{{\"planned_values\": {}{}}}",
            "[".repeat(200),
            "]".repeat(200)
        );
        assert!(parsed(&deep).is_err());
        assert!(serde_json::from_str::<Value>(&deep).is_err());
    }
}
