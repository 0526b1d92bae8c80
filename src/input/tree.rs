//! A compact JSON tree whose strings are slices of the input text and whose arrays and objects
//! live in one arena: the representation planned for resource instances' values (bench/RESULTS.md:
//! a `serde_json::Value` tree of a plan's `after` values takes about seven times their text).
//!
//! A [`Node`] is 24 bytes and `Copy`; an object member is 40. Objects are sorted by key with
//! repeated keys resolved as `serde_json` does (the last one counts), so lookups are binary
//! searches and iteration order equals that of a `serde_json::Map`.
//!
//! *Invariant:* for any text `serde_json` parses into `v`, [`parse`] gives a tree whose
//! [`Node::to_value`] equals `v` (same errors otherwise: the same deserializer reads the text).

use bumpalo::Bump;
use serde::de::{DeserializeSeed, Deserializer as _, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// A JSON number as read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    U(u64),
    I(i64),
    F(f64),
}

/// One JSON value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Node<'t> {
    Null,
    Bool(bool),
    Number(Num),
    String(&'t str),
    Array(&'t [Node<'t>]),
    Object(Obj<'t>),
}

/// An object: members sorted by key, keys unique.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Obj<'t>(&'t [(&'t str, Node<'t>)]);

impl<'t> Obj<'t> {
    pub fn get(&self, key: &str) -> Option<&'t Node<'t>> {
        let m = self.0;
        m.binary_search_by(|(k, _)| (*k).cmp(key))
            .ok()
            .map(|i| &m[i].1)
    }
    pub fn iter(&self) -> impl Iterator<Item = (&'t str, &'t Node<'t>)> + 't {
        self.0.iter().map(|(k, v)| (*k, v))
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'t> Node<'t> {
    pub fn get(&self, key: &str) -> Option<&'t Node<'t>> {
        match self {
            Node::Object(o) => o.get(key),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&'t str> {
        match self {
            Node::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&'t [Node<'t>]> {
        match self {
            Node::Array(a) => Some(a),
            _ => None,
        }
    }
    pub fn as_object(&self) -> Option<Obj<'t>> {
        match self {
            Node::Object(o) => Some(*o),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Node::Bool(b) => Some(*b),
            _ => None,
        }
    }
    /// As `serde_json::Value::as_u64`.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Node::Number(Num::U(u)) => Some(*u),
            Node::Number(Num::I(i)) => u64::try_from(*i).ok(),
            _ => None,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Node::Null)
    }
    pub fn is_object(&self) -> bool {
        matches!(self, Node::Object(_))
    }

    /// The same value as a `serde_json::Value` (owned).
    pub fn to_value(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Number(Num::U(u)) => Value::from(*u),
            Node::Number(Num::I(i)) => Value::from(*i),
            Node::Number(Num::F(f)) => {
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
            }
            Node::String(s) => Value::String((*s).to_string()),
            Node::Array(a) => Value::Array(a.iter().map(Node::to_value).collect()),
            Node::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| (k.to_string(), v.to_value()))
                    .collect(),
            ),
        }
    }

    /// A tree of `v` in `bump`, its strings borrowed from `v` (readers whose input is already a
    /// `serde_json::Value`: states, the HCL reader's emitted values).
    pub fn from_value(v: &'t Value, bump: &'t Bump) -> Node<'t> {
        match v {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => Node::Number(num_of(n)),
            Value::String(s) => Node::String(s),
            Value::Array(a) => {
                Node::Array(bump.alloc_slice_fill_iter(a.iter().map(|x| Node::from_value(x, bump))))
            }
            // a Map iterates in key order with unique keys: already sorted
            Value::Object(m) => Node::Object(Obj(bump.alloc_slice_fill_iter(
                m.iter()
                    .map(|(k, x)| (k.as_str(), Node::from_value(x, bump))),
            ))),
        }
    }
}

impl Num {
    /// The same number as serde_json holds it.
    pub fn to_number(self) -> Option<serde_json::Number> {
        match self {
            Num::U(u) => Some(u.into()),
            Num::I(i) => Some(i.into()),
            Num::F(f) => serde_json::Number::from_f64(f),
        }
    }
}

impl fmt::Display for Num {
    /// As `serde_json::Number` displays it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_number() {
            Some(n) => n.fmt(f),
            None => f.write_str("null"),
        }
    }
}

/// A copy of `n` whose strings are slices of `text` where they were (parsed from it) and copies
/// in `bump` otherwise, and whose arrays and objects are in `bump`: what a value parsed into a
/// scratch arena keeps when the scratch goes.
pub fn rehome<'t>(n: &Node<'_>, text: &'t str, bump: &'t Bump) -> Node<'t> {
    match *n {
        Node::Null => Node::Null,
        Node::Bool(b) => Node::Bool(b),
        Node::Number(x) => Node::Number(x),
        Node::String(s) => Node::String(rehome_str(s, text, bump)),
        Node::Array(a) => {
            Node::Array(bump.alloc_slice_fill_iter(a.iter().map(|x| rehome(x, text, bump))))
        }
        Node::Object(o) => {
            Node::Object(Obj(bump
                .alloc_slice_fill_iter(o.0.iter().map(|(k, x)| {
                    (rehome_str(k, text, bump), rehome(x, text, bump))
                }))))
        }
    }
}

fn rehome_str<'t>(s: &str, text: &'t str, bump: &'t Bump) -> &'t str {
    let base = text.as_ptr() as usize;
    let at = (s.as_ptr() as usize).wrapping_sub(base);
    // a slice of `text` lies inside it, so its ends are char boundaries there
    match text.get(at..at.saturating_add(s.len())) {
        Some(t) if t.as_ptr() == s.as_ptr() => t,
        _ => bump.alloc_str(s),
    }
}

/// An object of the given members, in `bump` (sorted by key, the last of repeated keys kept).
pub fn object<'t>(bump: &'t Bump, members: &mut [(&'t str, Node<'t>)]) -> Obj<'t> {
    if members.windows(2).all(|w| w[0].0 < w[1].0) {
        return Obj(bump.alloc_slice_copy(members));
    }
    // stable: of repeated keys, the last one read is the last of its run
    members.sort_by(|x, y| x.0.cmp(y.0));
    let mut kept: Vec<(&'t str, Node<'t>)> = Vec::with_capacity(members.len());
    for &(k, v) in members.iter() {
        match kept.last_mut() {
            Some(last) if last.0 == k => last.1 = v,
            _ => kept.push((k, v)),
        }
    }
    Obj(bump.alloc_slice_copy(&kept))
}

fn num_of(n: &serde_json::Number) -> Num {
    if let Some(u) = n.as_u64() {
        Num::U(u)
    } else if let Some(i) = n.as_i64() {
        Num::I(i)
    } else {
        Num::F(n.as_f64().unwrap_or(f64::NAN))
    }
}

/// Parse `text` into a tree in `bump`: strings without escapes are slices of `text`, others are
/// copied into `bump`.
pub fn parse<'t>(text: &'t str, bump: &'t Bump) -> serde_json::Result<Node<'t>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let mut b = Builder::new(bump);
    let node = de.deserialize_any(Seed(&mut b))?;
    de.end()?;
    Ok(node)
}

/// Reads values into an arena, with scratch stacks shared by every level (one allocation per
/// array or object, exactly sized, in the arena).
pub struct Builder<'t> {
    bump: &'t Bump,
    items: Vec<Node<'t>>,
    members: Vec<(&'t str, Node<'t>)>,
}

impl<'t> Builder<'t> {
    pub fn new(bump: &'t Bump) -> Builder<'t> {
        Builder {
            bump,
            items: Vec::new(),
            members: Vec::new(),
        }
    }
    /// A seed that reads one value with this builder.
    pub fn seed(&mut self) -> Seed<'_, 't> {
        Seed(self)
    }
}

/// Reads one value ([`Builder::seed`]).
pub struct Seed<'b, 't>(&'b mut Builder<'t>);

impl<'de: 't, 't> DeserializeSeed<'de> for Seed<'_, 't> {
    type Value = Node<'t>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Node<'t>, D::Error> {
        d.deserialize_any(self)
    }
}

/// Reads an object key.
struct Key<'t>(&'t Bump);

impl<'de: 't, 't> DeserializeSeed<'de> for Key<'t> {
    type Value = &'t str;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<&'t str, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de: 't, 't> Visitor<'de> for Key<'t> {
    type Value = &'t str;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<&'t str, E> {
        Ok(v)
    }
    fn visit_str<E>(self, v: &str) -> Result<&'t str, E> {
        Ok(self.0.alloc_str(v))
    }
}

impl<'de: 't, 't> Visitor<'de> for Seed<'_, 't> {
    type Value = Node<'t>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node<'t>, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node<'t>, E> {
        // as serde_json::Value: non-negative integers are u64
        Ok(Node::Number(match u64::try_from(v) {
            Ok(u) => Num::U(u),
            Err(_) => Num::I(v),
        }))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node<'t>, E> {
        Ok(Node::Number(Num::U(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node<'t>, E> {
        // as serde_json::Value: a non-finite float is null
        Ok(if v.is_finite() {
            Node::Number(Num::F(v))
        } else {
            Node::Null
        })
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Node<'t>, E> {
        Ok(Node::String(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node<'t>, E> {
        Ok(Node::String(self.0.bump.alloc_str(v)))
    }
    fn visit_none<E>(self) -> Result<Node<'t>, E> {
        Ok(Node::Null)
    }
    fn visit_unit<E>(self) -> Result<Node<'t>, E> {
        Ok(Node::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'t>, A::Error> {
        let b = self.0;
        let start = b.items.len();
        while let Some(v) = seq.next_element_seed(Seed(&mut *b))? {
            b.items.push(v);
        }
        let out = b.bump.alloc_slice_copy(&b.items[start..]);
        b.items.truncate(start);
        Ok(Node::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'t>, A::Error> {
        let b = self.0;
        let start = b.members.len();
        while let Some(k) = map.next_key_seed(Key(b.bump))? {
            let v = map.next_value_seed(Seed(&mut *b))?;
            b.members.push((k, v));
        }
        let out = object(b.bump, &mut b.members[start..]);
        b.members.truncate(start);
        Ok(Node::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_as_serde(text: &str) {
        let bump = Bump::new();
        let ours = parse(text, &bump).map(|n| n.to_value());
        let theirs = serde_json::from_str::<Value>(text);
        match (ours, theirs) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{text}"),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{text}"),
            (a, b) => panic!("{text}: {a:?} vs {b:?}"),
        }
    }

    #[test]
    fn reads_as_serde_json_does() {
        for t in [
            r#"{"b": 1, "a": [true, null, -3, 2.5, 18446744073709551615, "x\"y", "\u00e9"]}"#,
            r#"{"k": 1, "k": 2, "a": {"z": 0, "z": {"q": []}}, "k": 3}"#,
            r#"{"a\/b": {}, "": [], "é": "plain"}"#,
            r#"[1e400]"#,
            r#"[-0, 0.0, -9223372036854775808]"#,
            r#""top""#,
            r#"{"truncated": [1, 2"#,
            r#"{"a": 1} trailing"#,
            "",
        ] {
            same_as_serde(t);
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        same_as_serde(&deep);
    }

    #[test]
    fn strings_without_escapes_are_slices_of_the_text() {
        let text = r#"{"name": "nsg-a", "esc": "a\nb"}"#;
        let bump = Bump::new();
        let n = parse(text, &bump).unwrap();
        let name = n.get("name").and_then(Node::as_str).unwrap();
        assert!(text.as_bytes().as_ptr_range().contains(&name.as_ptr()));
        assert_eq!(n.get("esc").and_then(Node::as_str), Some("a\nb"));
    }

    #[test]
    fn lookups_and_sizes() {
        assert_eq!(std::mem::size_of::<Node<'_>>(), 24);
        assert_eq!(std::mem::size_of::<(&str, Node<'_>)>(), 40);
        let bump = Bump::new();
        let n = parse(r#"{"c": 3, "a": 1, "b": 2, "a": 4}"#, &bump).unwrap();
        let o = n.as_object().unwrap();
        assert_eq!(
            o.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        assert_eq!(n.get("a").and_then(Node::as_u64), Some(4));
        assert_eq!(n.get("zz"), None);
        let v: Value = serde_json::from_str(r#"{"c": [1, {"d": "x"}], "a": null}"#).unwrap();
        let bump2 = Bump::new();
        assert_eq!(Node::from_value(&v, &bump2).to_value(), v);
    }

    #[test]
    fn every_plan_in_testdata_reads_the_same() {
        let mut n = 0;
        for e in walk(std::path::Path::new("testdata")) {
            if e.extension().is_some_and(|x| x == "json") {
                let t = std::fs::read_to_string(&e).unwrap_or_default();
                same_as_serde(&t);
                n += 1;
            }
        }
        assert!(n > 50, "{n} files");
    }

    fn walk(d: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = vec![];
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
        out
    }
}
