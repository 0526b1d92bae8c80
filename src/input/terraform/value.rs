//! A cursor over one resource instance's values together with its `after_unknown` and
//! `after_sensitive` masks, so that every read knows whether the value is known, unknown until
//! apply, sensitive, or absent, and where it sits in the original file (a JSON pointer).

use super::hcl::SpanTable;
use crate::input::tree::Node;
use crate::model::Known;
use crate::source::{FileId, Loc, Origin, joined, ptr_seg};
use serde_json::Value;
use std::borrow::Cow;
use std::sync::Arc;

/// One of the mirror masks (`after_unknown`, `after_sensitive`, `sensitive_values`). Terraform
/// collapses a mask to a boolean at any level.
///
/// Masks built by the HCL reader (`input/terraform/hcl`) add two things plans never contain: a
/// string leaf is "unknown, for this reason" (a variable without value, an unsupported function),
/// and an object key [`OTHER_KEYS`] gives the mask of every attribute the object does not list (a
/// data source: what the configuration does not set is read from Azure).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mask<'a> {
    All(bool),
    Reason(&'a str),
    Node(&'a Node<'a>),
}

/// Mask object key standing for every attribute the object does not list.
pub(crate) const OTHER_KEYS: &str = "*";

impl<'a> Mask<'a> {
    pub(crate) fn from_opt(v: Option<&'a Node<'a>>) -> Mask<'a> {
        match v {
            None | Some(Node::Null) => Mask::All(false),
            Some(Node::Bool(b)) => Mask::All(*b),
            // a reason: unknown for that reason (masks the HCL reader builds)
            Some(Node::String(r)) => Mask::Reason(r),
            // a mask of the wrong type (damaged input) hides and withholds everything below it
            Some(Node::Number(_)) => Mask::All(true),
            Some(v) => Mask::Node(v),
        }
    }
    /// The sensitivity mask of attribute `key` of `value`: a mask whose shape contradicts the
    /// value (damaged input) marks it all sensitive.
    fn sensitive_get(self, key: &str, value: Option<&Node<'_>>) -> Mask<'a> {
        match (self, value) {
            (Mask::Node(Node::Array(_)), Some(Node::Object(_))) => Mask::All(true),
            _ => self.get(key),
        }
    }
    /// Like [`Mask::sensitive_get`] for element `i` of an array.
    fn sensitive_at(self, i: usize, value: Option<&Node<'_>>) -> Mask<'a> {
        match (self, value) {
            (Mask::Node(Node::Object(_)), Some(Node::Array(_))) => Mask::All(true),
            _ => self.at(i),
        }
    }
    fn get(self, key: &str) -> Mask<'a> {
        match self {
            Mask::All(_) | Mask::Reason(_) => self,
            Mask::Node(Node::Object(m)) => Mask::from_opt(m.get(key).or_else(|| m.get(OTHER_KEYS))),
            Mask::Node(_) => Mask::All(false),
        }
    }
    fn at(self, i: usize) -> Mask<'a> {
        match self {
            Mask::All(_) | Mask::Reason(_) => self,
            Mask::Node(Node::Array(a)) => Mask::from_opt(a.get(i)),
            Mask::Node(_) => Mask::All(false),
        }
    }
    fn is_set(self) -> bool {
        matches!(self, Mask::All(true) | Mask::Reason(_))
    }
}

/// Cursor at one attribute path of a resource instance.
#[derive(Debug, Clone)]
pub(crate) struct V<'a> {
    v: Option<&'a Node<'a>>,
    unk: Mask<'a>,
    sens: Mask<'a>,
    /// JSON pointer of this node in the original text (it may not exist when the value is absent).
    pub ptr: String,
    /// Attribute path for messages: `default_node_pool[0].vnet_subnet_id`.
    pub path: String,
    /// Address of the resource instance (shared by the origins the cursor makes).
    pub addr: &'a Arc<str>,
    pub file: FileId,
    /// The configuration expression for this node (`expressions` of the resource, walked in
    /// parallel): a block body, a block list, or a leaf `{references|constant_value}`.
    e: Option<&'a Value>,
    /// JSON pointer of `e`.
    eptr: String,
    /// The resource's configuration was found (so a missing expression means "not configured").
    has_cfg: bool,
    /// For an expression [`CONSTANT_HERE`]: the value of the node it was written for.
    cval: Option<&'a Node<'a>>,
    /// Byte spans of the source the values were evaluated from (HCL): origins become spans.
    spans: Option<&'a SpanTable>,
}

/// The leaf expression the HCL reader writes for a constant: "the value here is the constant"
/// (a `{"constant_value": …}` object per attribute would copy every value and take a B-tree node
/// each; plans never hold a boolean where an expression is).
pub(crate) const CONSTANT_HERE: Value = Value::Bool(true);

fn is_constant_here(e: &Value) -> bool {
    matches!(e, Value::Bool(true))
}

/// A leaf expression has `references` or `constant_value`; block bodies hold attribute names.
fn is_leaf(e: &Value) -> bool {
    is_constant_here(e) || e.get("references").is_some() || e.get("constant_value").is_some()
}

impl<'a> V<'a> {
    pub(crate) fn root(
        v: Option<&'a Node<'a>>,
        unk: Mask<'a>,
        sens: Mask<'a>,
        ptr: String,
        addr: &'a Arc<str>,
        file: FileId,
    ) -> V<'a> {
        V {
            v,
            unk,
            sens,
            ptr,
            path: String::new(),
            addr,
            file,
            e: None,
            eptr: String::new(),
            has_cfg: false,
            cval: None,
            spans: None,
        }
    }

    /// Origins of this cursor are spans of the source the values were evaluated from.
    pub(crate) fn with_spans(mut self, spans: Option<&'a SpanTable>) -> V<'a> {
        self.spans = spans;
        self
    }

    /// The origin of a node at pointer `ptr`.
    fn origin_at(&self, ptr: &str) -> Origin {
        match self.spans {
            Some(t) => t.origin(self.file, self.addr, ptr),
            None => Origin::new(
                self.file,
                Arc::clone(self.addr),
                Loc::Pointer(ptr.to_string()),
            ),
        }
    }

    /// Attach the resource's configuration `expressions` (with its pointer). `authoritative`:
    /// whatever the configuration does not set is not set (managed resources; not data sources,
    /// whose other attributes come from Azure).
    pub(crate) fn with_expr(
        mut self,
        e: Option<&'a Value>,
        eptr: String,
        authoritative: bool,
    ) -> V<'a> {
        self.has_cfg = e.is_some() && authoritative;
        self.cval = e.filter(|x| is_constant_here(x)).and(self.v);
        self.e = e;
        self.eptr = eptr;
        self
    }

    fn expr_get(&self, key: &str) -> (Option<&'a Value>, String) {
        match self.e {
            Some(e) if is_leaf(e) => (Some(e), self.eptr.clone()),
            Some(Value::Object(m)) => (m.get(key), joined(&self.eptr, '/', &ptr_seg(key))),
            _ => (None, String::new()),
        }
    }

    fn expr_at(&self, i: usize, item: Option<&Node<'_>>) -> (Option<&'a Value>, String) {
        match self.e {
            Some(e) if is_leaf(e) => (Some(e), self.eptr.clone()),
            Some(Value::Array(a)) => {
                let vlen = match self.v {
                    Some(Node::Array(v)) => v.len(),
                    _ => 0,
                };
                // blocks in sets are matched by their name; lists by position
                let name = item.and_then(|x| x.get("name")).and_then(Node::as_str);
                let by_name = name.and_then(|n| {
                    a.iter().enumerate().position(|(j, b)| {
                        let c = match b.get("name") {
                            // the HCL reader's blocks: the values are in the same order
                            Some(x) if is_constant_here(x) => match self.v {
                                Some(Node::Array(v)) => {
                                    v.get(j).and_then(|x| x.get("name")).and_then(Node::as_str)
                                }
                                _ => None,
                            },
                            Some(x) => x.get("constant_value").and_then(Value::as_str),
                            None => None,
                        };
                        c == Some(n)
                    })
                });
                let j = by_name.or(if a.len() == vlen { Some(i) } else { None });
                match j {
                    Some(j) if j < a.len() => (a.get(j), format!("{}/{}", self.eptr, j)),
                    _ => (None, String::new()),
                }
            }
            _ => (None, String::new()),
        }
    }

    /// References of the configuration expression at this node (`None`: no expression, or a
    /// constant).
    pub(crate) fn expr_refs(&self) -> Option<Vec<String>> {
        let e = self.e?;
        let refs = e.get("references")?.as_array()?;
        Some(
            refs.iter()
                .filter_map(|r| r.as_str().map(str::to_string))
                .collect(),
        )
    }

    /// The configuration expression node here (leaf or block).
    pub(crate) fn expr(&self) -> Option<&'a Value> {
        self.e
    }

    /// The constant of the configuration expression here, when it is one (the whole constant
    /// of the attribute for a part of it, as in plans).
    pub(crate) fn constant(&self) -> Option<Cow<'a, Value>> {
        let e = self.e?;
        if is_constant_here(e) {
            return Some(Cow::Owned(self.cval.map_or(Value::Null, Node::to_value)));
        }
        e.get("constant_value").map(Cow::Borrowed)
    }

    /// The value a [`CONSTANT_HERE`] expression of a child stands for: the parent's, when the
    /// child inherits the parent's leaf; the child's own value `v`, when it is the child's.
    fn child_cval(&self, e: Option<&'a Value>, v: Option<&'a Node<'a>>) -> Option<&'a Node<'a>> {
        match self.e {
            Some(pe) if is_leaf(pe) => self.cval,
            _ => e.filter(|x| is_constant_here(x)).and(v),
        }
    }

    /// Whether the configuration was available for this resource at all.
    pub(crate) fn has_config(&self) -> bool {
        self.has_cfg
    }

    /// The resource's configuration is known and sets nothing here (so a computed attribute that
    /// is unknown in the plan takes the provider's / Azure's default). Blocks written with
    /// `dynamic` are invisible in plan JSON; that is the one case this cannot see.
    pub(crate) fn not_configured(&self) -> bool {
        self.has_cfg && self.e.is_none()
    }

    /// Origin of the configuration expression (when there is one).
    pub(crate) fn expr_origin(&self) -> Option<Origin> {
        self.e?;
        Some(self.origin_at(&self.eptr))
    }

    /// Attribute of an object.
    pub(crate) fn get(&self, key: &str) -> V<'a> {
        let v = match self.v {
            Some(Node::Object(m)) => m.get(key),
            _ => None,
        };
        let (e, eptr) = self.expr_get(key);
        V {
            cval: self.child_cval(e, v),
            e,
            eptr,
            has_cfg: self.has_cfg,
            v,
            unk: self.unk.get(key),
            sens: self.sens.sensitive_get(key, self.v),
            ptr: joined(&self.ptr, '/', &ptr_seg(key)),
            path: if self.path.is_empty() {
                key.to_string()
            } else {
                joined(&self.path, '.', key)
            },
            addr: self.addr,
            file: self.file,
            spans: self.spans,
        }
    }

    /// Element of an array.
    pub(crate) fn at(&self, i: usize) -> V<'a> {
        let v = match self.v {
            Some(Node::Array(a)) => a.get(i),
            _ => None,
        };
        let (e, eptr) = self.expr_at(i, v);
        V {
            cval: self.child_cval(e, v),
            e,
            eptr,
            has_cfg: self.has_cfg,
            v,
            unk: self.unk.at(i),
            sens: self.sens.sensitive_at(i, self.v),
            ptr: joined(&self.ptr, '/', itoa::Buffer::new().format(i)),
            path: {
                let mut p = joined(&self.path, '[', itoa::Buffer::new().format(i));
                p.push(']');
                p
            },
            addr: self.addr,
            file: self.file,
            spans: self.spans,
        }
    }

    /// The single item of a nested block (`network_profile[0]`).
    pub(crate) fn block(&self, key: &str) -> V<'a> {
        self.get(key).at(0)
    }

    pub(crate) fn raw(&self) -> Option<&'a Node<'a>> {
        self.v
    }
    pub(crate) fn is_unknown(&self) -> bool {
        self.unk.is_set()
    }
    pub(crate) fn is_sensitive(&self) -> bool {
        self.sens.is_set()
    }
    /// Missing or null, and not unknown.
    pub(crate) fn is_null(&self) -> bool {
        !self.is_unknown() && matches!(self.v, None | Some(Node::Null))
    }
    /// Present in the values (so the pointer resolves).
    pub(crate) fn exists(&self) -> bool {
        self.v.is_some()
    }
    pub(crate) fn unknown_reason(&self) -> String {
        match self.unk {
            Mask::Reason(r) => format!("{}.{}: {r}", self.addr, self.path),
            _ => format!("{}.{} is known only after apply", self.addr, self.path),
        }
    }

    /// Unknown for a reason the input states (not a value computed at apply): there is no
    /// reference to follow.
    pub(crate) fn unknown_explained(&self) -> bool {
        matches!(self.unk, Mask::Reason(_))
    }

    /// A string value. Empty strings count as absent (azurerm writes `""` for unset strings).
    pub(crate) fn str(&self) -> Known<String> {
        if self.is_unknown() {
            return Known::Unknown(self.unknown_reason());
        }
        match self.v {
            None | Some(Node::Null) => Known::Absent,
            Some(_) if self.is_sensitive() => {
                Known::Unknown(format!("{}.{} is a sensitive value", self.addr, self.path))
            }
            Some(Node::String("")) => Known::Absent,
            Some(Node::String(s)) => Known::Known(s.to_string()),
            Some(Node::Number(n)) => Known::Known(n.to_string()),
            Some(Node::Bool(b)) => Known::Known(b.to_string()),
            Some(_) => Known::Unknown(format!(
                "{}.{} is not a string in the plan",
                self.addr, self.path
            )),
        }
    }

    /// A boolean (sensitive booleans are read: they carry no secret).
    pub(crate) fn bool(&self) -> Known<bool> {
        if self.is_unknown() {
            return Known::Unknown(self.unknown_reason());
        }
        match self.v {
            None | Some(Node::Null) => Known::Absent,
            Some(Node::Bool(b)) => Known::Known(*b),
            Some(Node::String(s)) if s.eq_ignore_ascii_case("true") => Known::Known(true),
            Some(Node::String(s)) if s.eq_ignore_ascii_case("false") => Known::Known(false),
            Some(_) => Known::Unknown(format!(
                "{}.{} is not a boolean in the plan",
                self.addr, self.path
            )),
        }
    }

    /// A non-negative integer.
    pub(crate) fn u64(&self) -> Known<u64> {
        if self.is_unknown() {
            return Known::Unknown(self.unknown_reason());
        }
        match self.v {
            None | Some(Node::Null) => Known::Absent,
            Some(n @ Node::Number(_)) => match n.as_u64() {
                Some(x) => Known::Known(x),
                None => {
                    Known::Unknown(format!("{}.{} is not a valid number", self.addr, self.path))
                }
            },
            Some(Node::String("")) => Known::Absent,
            Some(Node::String(s)) => match s.trim().parse() {
                Ok(x) => Known::Known(x),
                Err(_) => {
                    Known::Unknown(format!("{}.{} is not a valid number", self.addr, self.path))
                }
            },
            Some(_) => Known::Unknown(format!("{}.{} is not a number", self.addr, self.path)),
        }
    }

    pub(crate) fn u32(&self) -> Known<u32> {
        match self.u64() {
            Known::Known(x) => match u32::try_from(x) {
                Ok(v) => Known::Known(v),
                Err(_) => Known::Unknown(format!("{}.{} is out of range", self.addr, self.path)),
            },
            Known::Unknown(r) => Known::Unknown(r),
            Known::Absent => Known::Absent,
        }
    }

    /// The items of a list, set or block list. Unknown list: `Unknown`; null: `Absent`.
    pub(crate) fn list(&self) -> Known<Vec<V<'a>>> {
        if self.is_unknown() {
            return Known::Unknown(self.unknown_reason());
        }
        match self.v {
            None | Some(Node::Null) => Known::Absent,
            Some(Node::Array(a)) => Known::Known((0..a.len()).map(|i| self.at(i)).collect()),
            // a single string where a list is expected (old provider versions)
            Some(Node::String(_)) => Known::Known(vec![self.clone()]),
            Some(_) => Known::Unknown(format!("{}.{} is not a list", self.addr, self.path)),
        }
    }

    /// Items of a block list; unknown or absent gives no items.
    pub(crate) fn items(&self) -> Vec<V<'a>> {
        self.list().into_known().unwrap_or_default()
    }

    /// A list of strings; unknown items and non-strings make the whole list unknown.
    pub(crate) fn strings(&self) -> Known<Vec<String>> {
        match self.list() {
            Known::Known(items) => {
                // exactly sized: the model keeps these lists (a pushed-to Vec holds four items)
                let mut out = Vec::with_capacity(items.len());
                for it in items {
                    match it.str() {
                        Known::Known(s) => out.push(s),
                        Known::Absent => {}
                        Known::Unknown(r) => return Known::Unknown(r),
                    }
                }
                Known::Known(out)
            }
            Known::Unknown(r) => Known::Unknown(r),
            Known::Absent => Known::Absent,
        }
    }

    /// Origin of this node: its own pointer when present, else the nearest existing ancestor is
    /// not known here, so the caller's fallback is used.
    pub(crate) fn origin(&self) -> Origin {
        self.origin_at(&self.ptr)
    }

    /// Origin of this node if it exists in the values, else `fallback`.
    pub(crate) fn origin_or(&self, fallback: &Origin) -> Origin {
        if self.exists() {
            self.origin()
        } else {
            fallback.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bumpalo::Bump;
    use serde_json::json;

    fn cur<'a>(bump: &'a Bump, v: &'a Value, u: &'a Value, s: &'a Value) -> V<'a> {
        let node = |x: &'a Value| &*bump.alloc(Node::from_value(x, bump));
        V::root(
            Some(node(v)),
            Mask::from_opt(Some(node(u))),
            Mask::from_opt(Some(node(s))),
            "/r/0/change/after".into(),
            bump.alloc(Arc::from("azurerm_x.y")),
            FileId(0),
        )
    }

    #[test]
    fn reads_known_unknown_sensitive_absent() {
        let v = json!({"a": "x", "b": [ {"c": true} ], "e": "", "secret": "p@ss", "n": 5});
        let u = json!({"b": [ {"d": true} ], "f": true});
        let s = json!({"secret": true});
        let bump = Bump::new();
        let c = cur(&bump, &v, &u, &s);
        assert_eq!(c.get("a").str(), Known::Known("x".into()));
        assert_eq!(c.block("b").get("c").bool(), Known::Known(true));
        assert_eq!(
            c.block("b").get("d").str(),
            Known::Unknown("azurerm_x.y.b[0].d is known only after apply".into())
        );
        assert_eq!(c.block("b").get("d").ptr, "/r/0/change/after/b/0/d");
        assert_eq!(c.get("e").str(), Known::Absent);
        assert!(c.get("f").is_unknown());
        assert!(c.get("f").get("g").is_unknown());
        let sec = c.get("secret").str();
        assert!(sec.is_unknown());
        assert!(!format!("{sec:?}").contains("p@ss"));
        assert_eq!(c.get("n").u32(), Known::Known(5));
        assert_eq!(c.get("zz").str(), Known::Absent);
    }

    #[test]
    fn pointer_segments_are_escaped() {
        let v = json!({"a/b": {"~c": 1}});
        let u = json!(false);
        let bump = Bump::new();
        let c = cur(&bump, &v, &u, &u);
        assert_eq!(c.get("a/b").get("~c").ptr, "/r/0/change/after/a~1b/~0c");
        assert_eq!(c.get("a/b").get("~c").u64(), Known::Known(1));
    }

    #[test]
    fn constant_markers_read_like_constant_values() {
        // the HCL reader's `CONSTANT_HERE` and a plan's `constant_value` give the same reads
        let v = json!({"tags": {"a": "1"}, "rule": [{"name": "b", "port": 443}, {"name": "a"}]});
        let none = json!({});
        let plan = json!({
            "tags": {"constant_value": {"a": "1"}},
            "rule": [
                {"name": {"constant_value": "b"}, "port": {"constant_value": 443}},
                {"name": {"constant_value": "a"}}
            ]
        });
        let hcl = json!({
            "tags": CONSTANT_HERE,
            "rule": [{"name": CONSTANT_HERE, "port": CONSTANT_HERE}, {"name": CONSTANT_HERE}]
        });
        let bump = Bump::new();
        for e in [&plan, &hcl] {
            let c = cur(&bump, &v, &none, &none).with_expr(Some(e), "/e".into(), true);
            // a part of a constant reads the whole attribute's constant, at the attribute
            let part = c.get("tags").get("a");
            assert_eq!(part.constant().as_deref(), Some(&json!({"a": "1"})));
            assert_eq!(part.expr_refs(), None);
            assert!(!part.not_configured());
            assert_eq!(
                c.get("rule").at(0).get("port").constant().as_deref(),
                Some(&json!(443))
            );
            assert_eq!(
                c.get("rule").at(1).get("name").constant().as_deref(),
                Some(&json!("a"))
            );
            assert!(c.get("rule").at(0).get("other").not_configured());
        }
    }
}
