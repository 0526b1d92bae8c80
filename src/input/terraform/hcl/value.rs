//! The values HCL expressions evaluate to: JSON-like, plus an explicit `Unknown(reason)` that
//! propagates through operators and functions, the place each value was written (`src`), the
//! resource attributes it is or comes from (`refs`, kept as references exactly like the plan's
//! `configuration` references), and sensitivity.

use super::super::addr::{IndexKey, Step, steps_to_string};
use crate::source::FileId;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::ops::Range;
use std::rc::Rc;

/// A byte range of a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Src {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}

impl Src {
    pub(crate) fn new(file: FileId, r: Range<usize>) -> Src {
        Src {
            file,
            start: r.start,
            end: r.end,
        }
    }
    pub(crate) fn range(&self) -> Range<usize> {
        self.start..self.end
    }
    /// Whether `other` lies inside this range of the same file.
    pub(crate) fn contains(&self, other: &Src) -> bool {
        self.file == other.file && self.start <= other.start && other.end <= self.end
    }
}

/// A resource attribute: the instance address and the attribute path below it (`[]` is the
/// resource itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub addr: Rc<str>,
    pub attr: Vec<Step>,
}

impl Target {
    pub(crate) fn child(&self, step: Step) -> Target {
        let mut attr = self.attr.clone();
        attr.push(step);
        Target {
            addr: self.addr.clone(),
            attr,
        }
    }
    /// `azurerm_subnet.nodes["a"].id`
    pub(crate) fn render(&self) -> String {
        if self.attr.is_empty() {
            self.addr.to_string()
        } else {
            let a = steps_to_string(&self.attr);
            if a.starts_with('[') {
                format!("{}{a}", self.addr)
            } else {
                format!("{}.{a}", self.addr)
            }
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    /// Lists, sets and tuples (shared: a value referenced many times is not copied).
    List(Rc<Vec<Val>>),
    /// Maps and objects (Terraform iterates both in key order).
    Map(Rc<BTreeMap<String, Val>>),
    /// Not known without Terraform (or not until apply), with the reason.
    Unknown(Rc<str>),
}

/// An evaluated value.
#[derive(Debug, Clone)]
pub(crate) struct Val {
    pub kind: Kind,
    /// Where the value is written, when it is a literal of the configuration (or of a variables
    /// file): a value used far from where it is written can say both.
    pub src: Option<Src>,
    /// Resource attributes this value is or is computed from (`azurerm_subnet.x.id`).
    pub refs: Vec<Rc<Target>>,
    /// The resource attribute this value *is*: traversing it extends the path, and attributes
    /// the configuration does not set are unknown until apply.
    pub at: Option<Rc<Target>>,
    pub sensitive: bool,
    /// For an unknown string built by a template: the known text, `*` for each unknown part
    /// (an id whose subscription is unknown still names its element).
    pub pattern: Option<Rc<str>>,
}

impl Val {
    pub(crate) fn new(kind: Kind) -> Val {
        Val {
            kind,
            src: None,
            refs: Vec::new(),
            at: None,
            sensitive: false,
            pattern: None,
        }
    }
    pub(crate) fn null() -> Val {
        Val::new(Kind::Null)
    }
    pub(crate) fn bool(b: bool) -> Val {
        Val::new(Kind::Bool(b))
    }
    pub(crate) fn num(n: f64) -> Val {
        Val::new(Kind::Num(n))
    }
    pub(crate) fn str(s: impl Into<String>) -> Val {
        Val::new(Kind::Str(s.into()))
    }
    pub(crate) fn list(items: Vec<Val>) -> Val {
        Val::new(Kind::List(Rc::new(items)))
    }
    pub(crate) fn map(m: BTreeMap<String, Val>) -> Val {
        Val::new(Kind::Map(Rc::new(m)))
    }
    pub(crate) fn unknown(reason: impl Into<String>) -> Val {
        let r: String = reason.into();
        Val::new(Kind::Unknown(r.into()))
    }
    pub(crate) fn with_src(mut self, src: Src) -> Val {
        self.src = Some(src);
        self
    }
    /// A value computed from `inputs`: their references and sensitivity carry over.
    pub(crate) fn derived(kind: Kind, inputs: &[&Val]) -> Val {
        let mut v = Val::new(kind);
        for i in inputs {
            v.absorb(i);
        }
        v
    }
    /// Take over the references and sensitivity of `other`.
    pub(crate) fn absorb(&mut self, other: &Val) {
        for r in &other.refs {
            if !self.refs.iter().any(|x| x == r) {
                self.refs.push(r.clone());
            }
        }
        self.sensitive |= other.sensitive;
    }
    /// Unknown because of `cause` (its reason and references).
    pub(crate) fn unknown_from(cause: &Val, inputs: &[&Val]) -> Val {
        let reason = cause
            .first_unknown()
            .map(|r| r.to_string())
            .unwrap_or_else(|| "unknown".into());
        let mut v = Val::unknown(reason);
        v.absorb(cause);
        for i in inputs {
            v.absorb(i);
        }
        v
    }

    pub(crate) fn is_unknown(&self) -> bool {
        matches!(self.kind, Kind::Unknown(_))
    }
    pub(crate) fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }
    /// The reason of the first unknown part (depth first), if any.
    pub(crate) fn first_unknown(&self) -> Option<&str> {
        match &self.kind {
            Kind::Unknown(r) => Some(r),
            Kind::List(l) => l.iter().find_map(Val::first_unknown),
            Kind::Map(m) => m.values().find_map(Val::first_unknown),
            _ => None,
        }
    }
    /// Whether any part is unknown.
    pub(crate) fn has_unknown(&self) -> bool {
        self.first_unknown().is_some()
    }
    /// References of the unknown parts only.
    pub(crate) fn unknown_refs(&self, out: &mut Vec<Rc<Target>>) {
        match &self.kind {
            Kind::Unknown(_) => {
                for r in &self.refs {
                    if !out.contains(r) {
                        out.push(r.clone());
                    }
                }
            }
            Kind::List(l) => l.iter().for_each(|x| x.unknown_refs(out)),
            Kind::Map(m) => m.values().for_each(|x| x.unknown_refs(out)),
            _ => {}
        }
    }

    pub(crate) fn type_name(&self) -> &'static str {
        match &self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "bool",
            Kind::Num(_) => "number",
            Kind::Str(_) => "string",
            Kind::List(_) => "list",
            Kind::Map(_) => "object",
            Kind::Unknown(_) => "unknown value",
        }
    }

    /// The value as a string in a string context (templates, string functions): numbers and
    /// bools convert, like Terraform's automatic conversion.
    pub(crate) fn as_string(&self) -> Result<String, String> {
        match &self.kind {
            Kind::Str(s) => Ok(s.clone()),
            Kind::Num(n) => Ok(fmt_num(*n)),
            Kind::Bool(b) => Ok(b.to_string()),
            Kind::Null => Err("a null value cannot be used as a string".into()),
            other => Err(format!(
                "a {} cannot be used as a string",
                Val::new(other.clone()).type_name()
            )),
        }
    }
    pub(crate) fn as_num(&self) -> Result<f64, String> {
        match &self.kind {
            Kind::Num(n) => Ok(*n),
            Kind::Str(s) => s
                .trim()
                .parse::<f64>()
                .map_err(|_| format!("`{s}` is not a number")),
            _ => Err(format!("a {} is not a number", self.type_name())),
        }
    }
    pub(crate) fn as_int(&self) -> Result<i64, String> {
        let n = self.as_num()?;
        if n.fract() != 0.0 || !n.is_finite() {
            return Err(format!("{} is not a whole number", fmt_num(n)));
        }
        Ok(n as i64)
    }
    pub(crate) fn as_bool(&self) -> Result<bool, String> {
        match &self.kind {
            Kind::Bool(b) => Ok(*b),
            Kind::Str(s) if s == "true" => Ok(true),
            Kind::Str(s) if s == "false" => Ok(false),
            _ => Err(format!("a {} is not a bool", self.type_name())),
        }
    }
    pub(crate) fn as_list(&self) -> Result<&[Val], String> {
        match &self.kind {
            Kind::List(l) => Ok(l),
            _ => Err(format!("a {} is not a list", self.type_name())),
        }
    }
    pub(crate) fn as_map(&self) -> Result<&BTreeMap<String, Val>, String> {
        match &self.kind {
            Kind::Map(m) => Ok(m),
            _ => Err(format!("a {} is not a map or object", self.type_name())),
        }
    }

    /// Deep equality of known values (`None`: an unknown part decides).
    pub(crate) fn equals(&self, other: &Val) -> Option<bool> {
        match (&self.kind, &other.kind) {
            (Kind::Unknown(_), _) | (_, Kind::Unknown(_)) => None,
            (Kind::Null, Kind::Null) => Some(true),
            (Kind::Bool(a), Kind::Bool(b)) => Some(a == b),
            (Kind::Num(a), Kind::Num(b)) => Some(a == b),
            (Kind::Str(a), Kind::Str(b)) => Some(a == b),
            (Kind::List(a), Kind::List(b)) => {
                if a.len() != b.len() {
                    return Some(false);
                }
                let mut all = Some(true);
                for (x, y) in a.iter().zip(b.iter()) {
                    match x.equals(y) {
                        Some(false) => return Some(false),
                        None => all = None,
                        Some(true) => {}
                    }
                }
                all
            }
            (Kind::Map(a), Kind::Map(b)) => {
                if a.len() != b.len() || a.keys().ne(b.keys()) {
                    return Some(false);
                }
                let mut all = Some(true);
                for (x, y) in a.values().zip(b.values()) {
                    match x.equals(y) {
                        Some(false) => return Some(false),
                        None => all = None,
                        Some(true) => {}
                    }
                }
                all
            }
            _ => Some(false),
        }
    }

    /// The value as JSON (unknown parts become null; use [`Val::has_unknown`] first when that
    /// matters).
    pub(crate) fn to_json(&self) -> Json {
        match &self.kind {
            Kind::Null | Kind::Unknown(_) => Json::Null,
            Kind::Bool(b) => Json::Bool(*b),
            Kind::Num(n) => num_json(*n),
            Kind::Str(s) => Json::String(s.clone()),
            Kind::List(l) => Json::Array(l.iter().map(Val::to_json).collect()),
            Kind::Map(m) => Json::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
        }
    }

    pub(crate) fn from_json(j: &Json) -> Val {
        Val::new(match j {
            Json::Null => Kind::Null,
            Json::Bool(b) => Kind::Bool(*b),
            Json::Number(n) => Kind::Num(n.as_f64().unwrap_or(0.0)),
            Json::String(s) => Kind::Str(s.clone()),
            Json::Array(a) => Kind::List(Rc::new(a.iter().map(Val::from_json).collect())),
            Json::Object(o) => Kind::Map(Rc::new(
                o.iter()
                    .map(|(k, v)| (k.clone(), Val::from_json(v)))
                    .collect(),
            )),
        })
    }

    /// Mark this value and every part of it sensitive.
    pub(crate) fn mark_sensitive(&mut self) {
        self.sensitive = true;
        match &mut self.kind {
            Kind::List(l) => Rc::make_mut(l).iter_mut().for_each(Val::mark_sensitive),
            Kind::Map(m) => Rc::make_mut(m).values_mut().for_each(Val::mark_sensitive),
            _ => {}
        }
    }

    /// Whether a part of the value is sensitive.
    pub(crate) fn any_sensitive(&self) -> bool {
        self.sensitive
            || match &self.kind {
                Kind::List(l) => l.iter().any(Val::any_sensitive),
                Kind::Map(m) => m.values().any(Val::any_sensitive),
                _ => false,
            }
    }

    /// Stamp this value as the resource attribute `t` (recursively: every part knows its path).
    pub(crate) fn stamp(&mut self, t: &Target) {
        let rc = Rc::new(t.clone());
        self.refs = vec![rc.clone()];
        self.at = Some(rc);
        match &mut self.kind {
            Kind::List(l) => {
                for (i, x) in Rc::make_mut(l).iter_mut().enumerate() {
                    x.stamp(&t.child(Step::Index(IndexKey::Int(i as i64))));
                }
            }
            Kind::Map(m) => {
                for (k, x) in Rc::make_mut(m).iter_mut() {
                    x.stamp(&t.child(Step::Name(k.clone())));
                }
            }
            _ => {}
        }
    }
}

/// A number as Terraform prints it: whole numbers without a fraction.
pub(crate) fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn num_json(n: f64) -> Json {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Json::from(n as i64)
    } else {
        serde_json::Number::from_f64(n)
            .map(Json::Number)
            .unwrap_or(Json::Null)
    }
}
