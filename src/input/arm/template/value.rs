//! Values of the ARM template language: JSON values plus `Unknown` (a value decided only at
//! deployment, or that the inputs cannot give, with the reason) and lambdas.
//!
//! Object property names are case-insensitive in ARM (`reference(x).IPConfigurations` and
//! `.ipConfigurations` are the same property); objects keep the author's spelling and order.

use super::expr::Expr;
use std::fmt::Write as _;
use std::sync::Arc;

/// A template value.
#[derive(Debug, Clone)]
pub enum Val {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Array(Vec<Val>),
    Object(Obj),
    /// Not known before deployment, or not given by the inputs.
    Unknown(Unknown),
    /// `lambda('x', …)`: only an argument of `map`, `filter`, `reduce`, `sort`, `toObject`.
    Lambda(Arc<Lambda>),
}

/// An object: properties in the author's order, looked up case-insensitively.
#[derive(Debug, Clone, Default)]
pub struct Obj {
    entries: Vec<(String, Val)>,
    /// A partial view (what a template declares for a resource that `reference()` reads): a
    /// property not listed is not absent but unknown, for this reason.
    pub open: Option<Arc<Partial>>,
}

/// Why the missing properties of a partial object are unknown, and where the object is.
#[derive(Debug, Clone)]
pub struct Partial {
    pub reason: Arc<str>,
    pub at: Option<RefPath>,
}

/// A property path into an Azure resource (`properties.ipConfigurations[0]…`), so that a value
/// that is only known after deployment can still say which resource and property it is.
#[derive(Debug, Clone, PartialEq)]
pub struct RefPath {
    /// The resource id.
    pub id: Arc<str>,
    /// The API version the template reads it with, when given.
    pub api_version: Option<Arc<str>>,
    /// From the full resource object (`properties`, `ipConfigurations`, `0`, …).
    pub path: Vec<Seg>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Seg {
    Prop(String),
    Index(usize),
}

impl RefPath {
    pub fn child(&self, seg: Seg) -> RefPath {
        let mut p = self.clone();
        p.path.push(seg);
        p
    }
}

/// An unknown value.
#[derive(Debug, Clone)]
pub struct Unknown {
    pub reason: Arc<str>,
    /// The resource property it is, when it is one (`reference(fw).ipConfigurations[0]…`).
    pub refers: Option<Arc<RefPath>>,
}

/// A lambda: parameter names, the body, and the lambda variables of the enclosing lambdas.
#[derive(Debug)]
pub struct Lambda {
    pub params: Vec<String>,
    pub body: Arc<Expr>,
    pub captured: Vec<(String, Val)>,
}

impl Unknown {
    pub fn new(reason: impl Into<Arc<str>>) -> Unknown {
        Unknown {
            reason: reason.into(),
            refers: None,
        }
    }
    fn child(&self, seg: Seg) -> Unknown {
        Unknown {
            reason: self.reason.clone(),
            refers: self.refers.as_ref().map(|r| Arc::new(r.child(seg))),
        }
    }
}

impl Val {
    pub fn unknown(reason: impl Into<Arc<str>>) -> Val {
        Val::Unknown(Unknown::new(reason))
    }
    pub fn str(s: impl Into<String>) -> Val {
        Val::Str(s.into())
    }

    /// The type name ARM uses in messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Val::Null => "null",
            Val::Bool(_) => "bool",
            Val::Int(_) => "int",
            Val::Float(_) => "float",
            Val::Str(_) => "string",
            Val::Array(_) => "array",
            Val::Object(_) => "object",
            Val::Unknown(_) => "unknown",
            Val::Lambda(_) => "lambda",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self, Val::Unknown(_))
    }

    /// The first unknown anywhere inside this value.
    pub fn find_unknown(&self) -> Option<&Unknown> {
        match self {
            Val::Unknown(u) => Some(u),
            Val::Array(a) => a.iter().find_map(Val::find_unknown),
            Val::Object(o) => o.entries.iter().find_map(|(_, v)| v.find_unknown()),
            _ => None,
        }
    }

    /// From plain JSON (no expression evaluation).
    pub fn from_json(v: &serde_json::Value) -> Val {
        match v {
            serde_json::Value::Null => Val::Null,
            serde_json::Value::Bool(b) => Val::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Val::Int(i),
                None => Val::Float(n.as_f64().unwrap_or(0.0)),
            },
            serde_json::Value::String(s) => Val::Str(s.clone()),
            serde_json::Value::Array(a) => Val::Array(a.iter().map(Val::from_json).collect()),
            serde_json::Value::Object(o) => Val::Object(Obj::from_entries(
                o.iter()
                    .map(|(k, v)| (k.clone(), Val::from_json(v)))
                    .collect(),
            )),
        }
    }

    /// To JSON in the shape the ARM resource reader expects. Unknown values become the reader's
    /// unknown marker ([`unknown_json`]).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Val::Null => serde_json::Value::Null,
            Val::Bool(b) => serde_json::Value::Bool(*b),
            Val::Int(i) => serde_json::Value::from(*i),
            Val::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Val::Str(s) => serde_json::Value::String(s.clone()),
            Val::Array(a) => serde_json::Value::Array(a.iter().map(Val::to_json).collect()),
            Val::Object(o) => serde_json::Value::Object(
                o.entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
            Val::Unknown(u) => unknown_json(u),
            Val::Lambda(_) => serde_json::Value::String("[lambda]".into()),
        }
    }

    /// Property access (`.name` / `['name']`), case-insensitive.
    pub fn prop(&self, name: &str) -> Result<Val, String> {
        match self {
            Val::Object(o) => match o.get(name) {
                Some(v) => Ok(v.clone()),
                None => match &o.open {
                    Some(p) => Ok(Val::Unknown(Unknown {
                        reason: p.reason.clone(),
                        refers: p
                            .at
                            .as_ref()
                            .map(|r| Arc::new(r.child(Seg::Prop(name.to_string())))),
                    })),
                    None => Err(format!(
                        "the object has no property '{name}' (it has: {})",
                        o.keys_list()
                    )),
                },
            },
            Val::Unknown(u) => Ok(Val::Unknown(u.child(Seg::Prop(name.to_string())))),
            other => Err(format!(
                "cannot read property '{name}' of a value of type {}",
                other.type_name()
            )),
        }
    }

    /// Index access (`[0]`, `['key']`).
    pub fn index(&self, idx: &Val) -> Result<Val, String> {
        match (self, idx) {
            (_, Val::Unknown(u)) => Ok(Val::Unknown(u.clone())),
            (Val::Array(a), Val::Int(i)) => {
                if *i < 0 || *i as usize >= a.len() {
                    Err(format!(
                        "index {i} is out of range (the array has {} elements)",
                        a.len()
                    ))
                } else {
                    Ok(a[*i as usize].clone())
                }
            }
            (Val::Object(_), Val::Str(k)) => self.prop(k),
            (Val::Unknown(u), Val::Int(i)) if *i >= 0 => {
                Ok(Val::Unknown(u.child(Seg::Index(*i as usize))))
            }
            (Val::Unknown(u), Val::Str(k)) => Ok(Val::Unknown(u.child(Seg::Prop(k.clone())))),
            (v, i) => Err(format!(
                "cannot index a value of type {} with a value of type {}",
                v.type_name(),
                i.type_name()
            )),
        }
    }

    /// Deep equality: `None` when an unknown value decides it.
    pub fn equals(&self, other: &Val) -> Option<bool> {
        match (self, other) {
            (Val::Unknown(_), _) | (_, Val::Unknown(_)) => None,
            (Val::Null, Val::Null) => Some(true),
            (Val::Bool(a), Val::Bool(b)) => Some(a == b),
            (Val::Int(a), Val::Int(b)) => Some(a == b),
            (Val::Float(a), Val::Float(b)) => Some(a == b),
            (Val::Int(a), Val::Float(b)) | (Val::Float(b), Val::Int(a)) => Some(*a as f64 == *b),
            (Val::Str(a), Val::Str(b)) => Some(a == b),
            (Val::Array(a), Val::Array(b)) => {
                if a.len() != b.len() {
                    return Some(false);
                }
                let mut undecided = false;
                for (x, y) in a.iter().zip(b) {
                    match x.equals(y) {
                        Some(false) => return Some(false),
                        None => undecided = true,
                        Some(true) => {}
                    }
                }
                if undecided { None } else { Some(true) }
            }
            (Val::Object(a), Val::Object(b)) => {
                if a.open.is_some() || b.open.is_some() {
                    return None;
                }
                if a.len() != b.len() {
                    return Some(false);
                }
                let mut undecided = false;
                for (k, x) in a.iter() {
                    match b.get(k) {
                        None => return Some(false),
                        Some(y) => match x.equals(y) {
                            Some(false) => return Some(false),
                            None => undecided = true,
                            Some(true) => {}
                        },
                    }
                }
                if undecided { None } else { Some(true) }
            }
            _ => Some(false),
        }
    }

    /// The text `string()` and `format()` give: strings as they are, `True`/`False` (ARM
    /// formats booleans the .NET way), numbers, and compact JSON for arrays and objects.
    /// `Err` carries the unknown that decides it.
    pub fn to_text(&self) -> Result<String, Unknown> {
        match self {
            Val::Str(s) => Ok(s.clone()),
            Val::Bool(true) => Ok("True".into()),
            Val::Bool(false) => Ok("False".into()),
            Val::Int(i) => Ok(i.to_string()),
            Val::Float(f) => Ok(f.to_string()),
            Val::Null => Ok(String::new()),
            Val::Unknown(u) => Err(u.clone()),
            Val::Array(_) | Val::Object(_) => {
                if let Some(u) = self.find_unknown() {
                    return Err(u.clone());
                }
                let mut s = String::new();
                write_compact(self, &mut s);
                Ok(s)
            }
            Val::Lambda(_) => Ok("lambda".into()),
        }
    }
}

fn write_compact(v: &Val, out: &mut String) {
    match v {
        Val::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_compact(x, out);
            }
            out.push(']');
        }
        Val::Object(o) => {
            out.push('{');
            for (i, (k, x)) in o.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(k.clone()).to_string());
                out.push(':');
                write_compact(x, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_json().to_string()),
    }
}

impl Obj {
    pub fn new() -> Obj {
        Obj::default()
    }
    /// Later duplicates (compared case-insensitively) replace earlier ones.
    pub fn from_entries(entries: Vec<(String, Val)>) -> Obj {
        let mut o = Obj::new();
        for (k, v) in entries {
            o.insert(k, v);
        }
        o
    }
    pub fn get(&self, key: &str) -> Option<&Val> {
        self.entries
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    }
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
    /// Insert or replace (keeping the position of the replaced property).
    pub fn insert(&mut self, key: String, val: Val) {
        match self
            .entries
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(&key))
        {
            Some(slot) => slot.1 = val,
            None => self.entries.push((key, val)),
        }
    }
    pub fn remove(&mut self, key: &str) -> Option<Val> {
        let i = self
            .entries
            .iter()
            .position(|(k, _)| k.eq_ignore_ascii_case(key))?;
        Some(self.entries.remove(i).1)
    }
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Val)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    pub fn into_entries(self) -> Vec<(String, Val)> {
        self.entries
    }
    fn keys_list(&self) -> String {
        if self.entries.is_empty() {
            return "no properties".into();
        }
        let mut s = String::new();
        for (i, (k, _)) in self.entries.iter().take(12).enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            s.push_str(k);
        }
        if self.entries.len() > 12 {
            let _ = write!(s, ", … ({} in all)", self.entries.len());
        }
        s
    }
}

// ------------------------------------------------------------------ unknowns in output JSON

/// The key of the ARM resource reader's marker for a value that is not known:
/// `{"$unknown": "reason"}`.
pub const UNKNOWN_MARKER: &str = "$unknown";
/// Beside [`UNKNOWN_MARKER`]: the resource property the value is, when it is one:
/// `{"id": "/subscriptions/…/azureFirewalls/fw", "apiVersion": "…", "path": ["properties",
/// "ipConfigurations", 0, "properties", "privateIPAddress"]}`.
pub const REFERS_MARKER: &str = "$refers";

/// An unknown value as JSON for the ARM resource reader.
pub fn unknown_json(u: &Unknown) -> serde_json::Value {
    let mut o = serde_json::Map::new();
    o.insert(
        UNKNOWN_MARKER.into(),
        serde_json::Value::String(u.reason.to_string()),
    );
    if let Some(r) = &u.refers {
        o.insert(REFERS_MARKER.into(), refers_json(r));
    }
    serde_json::Value::Object(o)
}

fn refers_json(r: &RefPath) -> serde_json::Value {
    let path: Vec<serde_json::Value> = r
        .path
        .iter()
        .map(|s| match s {
            Seg::Prop(p) => serde_json::Value::String(p.clone()),
            Seg::Index(i) => serde_json::Value::from(*i),
        })
        .collect();
    let mut o = serde_json::Map::new();
    o.insert("id".into(), serde_json::Value::String(r.id.to_string()));
    if let Some(a) = &r.api_version {
        o.insert(
            "apiVersion".into(),
            serde_json::Value::String(a.to_string()),
        );
    }
    o.insert("path".into(), serde_json::Value::Array(path));
    serde_json::Value::Object(o)
}

/// The resource property a `$refers` marker names.
pub fn refers_from_json(v: &serde_json::Value) -> Option<RefPath> {
    let id = v.get("id")?.as_str()?;
    let path = v
        .get("path")?
        .as_array()?
        .iter()
        .map(|s| match s {
            serde_json::Value::String(p) => Some(Seg::Prop(p.clone())),
            serde_json::Value::Number(n) => n.as_u64().map(|i| Seg::Index(i as usize)),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    Some(RefPath {
        id: Arc::from(id),
        api_version: v.get("apiVersion").and_then(|a| a.as_str()).map(Arc::from),
        path,
    })
}

/// Replace every unevaluated expression string of a JSON value (what-if leaves deploy-time
/// values as `[reference(…)…]`) by the unknown marker.
pub fn mark_expressions(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) => {
            if let Some(leaf) = decode_unknown(s) {
                let u = Unknown {
                    reason: Arc::from(leaf.reason),
                    refers: leaf.refers.map(Arc::new),
                };
                *v = unknown_json(&u);
            } else if s.starts_with("[[") && s.ends_with(']') {
                s.remove(0);
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(mark_expressions),
        serde_json::Value::Object(o) => o.values_mut().for_each(mark_expressions),
        _ => {}
    }
}

/// What an unevaluated expression string in an ARM resource stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownLeaf {
    /// Why the value is unknown, in words.
    pub reason: String,
    /// The resource property it reads, when it is a `reference(…)` of a resource by id.
    pub refers: Option<RefPath>,
}

/// Read a string that an ARM resource holds in place of a value: an expression (`[…]`) that
/// what-if left unevaluated (or `[unknown('reason')]`). `None` for ordinary strings (including
/// `[[`-escaped ones).
pub fn decode_unknown(s: &str) -> Option<UnknownLeaf> {
    if !super::expr::is_expression(s) {
        return None;
    }
    let parsed = super::expr::parse_expression(s).ok();
    if let Some(Expr::Call { name, args, .. }) = &parsed {
        if name.eq_ignore_ascii_case("unknown") {
            if let [Expr::Str(reason, _)] = args.as_slice() {
                return Some(UnknownLeaf {
                    reason: reason.clone(),
                    refers: None,
                });
            }
        }
    }
    let refers = parsed.as_ref().and_then(reference_path);
    let shown: String = s.chars().take(200).collect();
    let reason = match &refers {
        Some(r) => format!(
            "known only after deployment: {} of {}",
            path_text(&r.path),
            r.id
        ),
        None => format!("an expression evaluated only at deployment: {shown}"),
    };
    Some(UnknownLeaf { reason, refers })
}

/// `reference('<literal id>', …)` followed by property steps, as a resource property path.
fn reference_path(e: &Expr) -> Option<RefPath> {
    let mut steps = vec![];
    let mut cur = e;
    loop {
        match cur {
            Expr::Prop(inner, name, _) => {
                steps.push(Seg::Prop(name.clone()));
                cur = inner;
            }
            Expr::Index(inner, idx, _) => {
                match idx.as_ref() {
                    Expr::Int(i, _) if *i >= 0 => steps.push(Seg::Index(*i as usize)),
                    Expr::Str(s, _) => steps.push(Seg::Prop(s.clone())),
                    _ => return None,
                }
                cur = inner;
            }
            Expr::Call { name, args, ns, .. }
                if ns.is_none() && name.eq_ignore_ascii_case("reference") =>
            {
                let Some(Expr::Str(id, _)) = args.first() else {
                    return None;
                };
                if !id.starts_with('/') {
                    return None;
                }
                let api = match args.get(1) {
                    Some(Expr::Str(a, _)) if !a.is_empty() => Some(Arc::from(a.as_str())),
                    _ => None,
                };
                let full =
                    matches!(args.get(2), Some(Expr::Str(f, _)) if f.eq_ignore_ascii_case("full"));
                steps.reverse();
                let mut path = vec![];
                if !full {
                    path.push(Seg::Prop("properties".into()));
                }
                path.extend(steps);
                return Some(RefPath {
                    id: Arc::from(id.as_str()),
                    api_version: api,
                    path,
                });
            }
            _ => return None,
        }
    }
}

/// `properties.ipConfigurations[0].properties.privateIPAddress`.
pub fn path_text(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Prop(p) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(p);
            }
            Seg::Index(i) => {
                let _ = write!(s, "[{i}]");
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_case_insensitive_and_keep_spelling() {
        let mut o = Obj::new();
        o.insert("ipConfigurations".into(), Val::Int(1));
        o.insert("IPCONFIGURATIONS".into(), Val::Int(2));
        assert_eq!(o.len(), 1);
        assert!(matches!(o.get("ipconfigurations"), Some(Val::Int(2))));
        assert_eq!(o.iter().next().unwrap().0, "ipConfigurations");
    }

    #[test]
    fn unknown_property_paths_round_trip_through_json() {
        let u = Unknown {
            reason: "known after deployment".into(),
            refers: Some(Arc::new(RefPath {
                id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/azureFirewalls/fw".into(),
                api_version: Some("2023-09-01".into()),
                path: vec![Seg::Prop("properties".into())],
            })),
        };
        let v = Val::Unknown(u).prop("ipConfigurations").unwrap();
        let v = v.index(&Val::Int(0)).unwrap().prop("properties").unwrap();
        let v = v.prop("privateIPAddress").unwrap();
        let Val::Unknown(u) = &v else { panic!() };
        let j = v.to_json();
        assert_eq!(j[UNKNOWN_MARKER], "known after deployment");
        assert_eq!(
            j[REFERS_MARKER]["path"],
            serde_json::json!([
                "properties",
                "ipConfigurations",
                0,
                "properties",
                "privateIPAddress"
            ])
        );
        let back = refers_from_json(&j[REFERS_MARKER]).unwrap();
        assert_eq!(Some(&back), u.refers.as_deref());
    }

    #[test]
    fn what_if_expressions_become_markers() {
        let mut v = serde_json::json!({
            "properties": {
                "nextHopIpAddress": "[reference('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/azureFirewalls/fw', '2020-05-01').ipConfigurations[0].properties.privateIPAddress]",
                "other": "[reference(resourceId('Microsoft.Network/publicIPAddresses', 'p')).ipAddress]",
                "plain": "10.0.0.0/16",
                "escaped": "[[not an expression]"
            }
        });
        mark_expressions(&mut v);
        let p = &v["properties"];
        let r = refers_from_json(&p["nextHopIpAddress"][REFERS_MARKER]).unwrap();
        assert_eq!(
            path_text(&r.path),
            "properties.ipConfigurations[0].properties.privateIPAddress"
        );
        assert!(
            p["other"][UNKNOWN_MARKER]
                .as_str()
                .unwrap()
                .contains("evaluated only at deployment")
        );
        assert!(
            p["other"].get(REFERS_MARKER).is_none(),
            "resourceId() is not a literal id"
        );
        assert_eq!(p["plain"], "10.0.0.0/16");
        assert_eq!(p["escaped"], "[not an expression]");
    }

    #[test]
    fn reasons_of_unknown_expressions() {
        let leaf = decode_unknown("[unknown('parameter ''hubIp'' has no value')]").unwrap();
        assert_eq!(leaf.reason, "parameter 'hubIp' has no value");
        assert!(leaf.refers.is_none());
        assert!(decode_unknown("10.0.0.0/16").is_none());
        assert!(decode_unknown("[[literal]").is_none());
    }

    #[test]
    fn equality_is_deep_and_three_valued() {
        let a = Val::Array(vec![Val::Int(1), Val::str("x")]);
        let b = Val::Array(vec![Val::Int(1), Val::str("x")]);
        assert_eq!(a.equals(&b), Some(true));
        let c = Val::Array(vec![Val::Int(1), Val::unknown("later")]);
        assert_eq!(a.equals(&c), None);
        let d = Val::Array(vec![Val::Int(2), Val::unknown("later")]);
        assert_eq!(a.equals(&d), Some(false));
        assert_eq!(Val::str("A").equals(&Val::str("a")), Some(false));
    }

    #[test]
    fn text_of_values() {
        assert_eq!(Val::Bool(true).to_text().unwrap(), "True");
        let o = Val::Object(Obj::from_entries(vec![
            ("a".into(), Val::Int(1)),
            ("b".into(), Val::Array(vec![Val::str("x")])),
        ]));
        assert_eq!(o.to_text().unwrap(), r#"{"a":1,"b":["x"]}"#);
    }
}
