//! Evaluated instances in the shape the plan loader reads: per instance the `after` values, the
//! `after_unknown` and `after_sensitive` masks, and configuration expressions whose references
//! are already resolved to instances (`targets`), plus the source span of every node, so the
//! azurerm mappers build the model unchanged and every origin is a span of a `.tf` file.

use super::super::addr::{IndexKey, steps_to_string};
use super::super::value::{CONSTANT_HERE, OTHER_KEYS};
use super::SpanTable;
use super::scope::{EAttr, EBlock, EBlocks, Inst};
use super::value::{Kind, Src, Target, Val};
use crate::source::ptr_seg;
use serde_json::{Map, Value as Json, json};
use std::collections::HashSet;
use std::rc::Rc;

/// One instance, ready for the plan loader.
pub(crate) struct Emitted {
    pub address: String,
    pub after: Json,
    pub unknown: Json,
    pub sensitive: Json,
    pub expressions: Json,
}

/// Placeholder for a sensitive string in `after` (the value itself never leaves the evaluator).
const SENSITIVE: &str = "(sensitive value)";

/// Why the attributes of a data source that the configuration does not set are unknown.
const DATA_UNKNOWN: &str = "read from Azure by the data source when Terraform plans; not known to a \
                            configuration-only check";

pub(crate) struct Emitter {
    pub spans: SpanTable,
    /// (where a value is used, where it is written), for values written elsewhere.
    pub related: Vec<(Src, Src, &'static str)>,
    seen: HashSet<(Src, Src), super::FxBuild>,
}

pub(crate) fn after_ptr(i: usize) -> String {
    format!("/hcl/{i}/after")
}
pub(crate) fn expr_ptr(i: usize) -> String {
    format!("/hcl/{i}/expr")
}

impl Emitter {
    /// An emitter for `insts` (its span table sized once for all of them).
    pub(crate) fn new(insts: &[Inst]) -> Emitter {
        let n = insts.iter().map(|i| span_count(&i.body)).sum();
        Emitter {
            spans: SpanTable::with_capacity(n),
            related: Vec::new(),
            seen: HashSet::default(),
        }
    }

    /// Emit instance number `i`.
    pub(crate) fn instance(&mut self, i: usize, inst: &Inst) -> Emitted {
        let (after, mut unknown, sensitive, mut expressions) =
            self.block(&inst.body, &after_ptr(i));
        if inst.addr.rtype == "azapi_resource" {
            if let (Some(body), Json::Object(e)) = (
                inst.body.attrs.iter().find(|a| a.name == "body"),
                &mut expressions,
            ) {
                e.insert("body".into(), tree(&body.refs, &body.val));
            }
        }
        if inst.addr.data {
            // what the configuration sets is known; everything else comes from Azure
            if let (Json::Object(m), Json::Object(a)) = (&mut unknown, &after) {
                for k in a.keys() {
                    m.entry(k.clone()).or_insert(Json::Bool(false));
                }
                m.insert(OTHER_KEYS.into(), Json::String(DATA_UNKNOWN.into()));
            }
        }
        Emitted {
            address: inst.address(),
            after,
            unknown,
            sensitive,
            expressions,
        }
    }

    /// A block at the `after` pointer `ap` (its configuration expression has the same path
    /// under `expr`, and the same spans: [`SpanTable`] maps one to the other).
    fn block(&mut self, b: &EBlock, ap: &str) -> (Json, Json, Json, Json) {
        self.spans.insert(ap.to_string(), b.header);
        if let Some(d) = b.expanded_by {
            self.relate(b.header, d, "expanded by this dynamic block");
        }
        let mut after = Map::new();
        let mut unk = Map::new();
        let mut sens = Map::new();
        let mut expr = Map::new();
        for a in &b.attrs {
            let k = &a.name;
            after.insert(k.clone(), to_after(&a.val));
            if a.val.has_unknown() {
                unk.insert(k.clone(), mask(&a.val));
            }
            if a.val.any_sensitive() {
                sens.insert(k.clone(), sens_mask(&a.val));
            }
            expr.insert(k.clone(), leaf(a));
            self.value(child(ap, k), &a.val, a.span, None);
        }
        for (name, bs) in &b.blocks {
            let ap2 = child(ap, name);
            match bs {
                EBlocks::Known(list) => {
                    let mut av = Vec::new();
                    let mut uv = Vec::new();
                    let mut sv = Vec::new();
                    let mut ev = Vec::new();
                    for (j, x) in list.iter().enumerate() {
                        let (a, u, s, e) = self.block(x, &child(&ap2, &j.to_string()));
                        av.push(a);
                        uv.push(u);
                        sv.push(s);
                        ev.push(e);
                    }
                    if let Some(first) = list.first() {
                        self.spans.insert(ap2.clone(), first.header);
                    }
                    after.insert(name.clone(), Json::Array(av));
                    unk.insert(name.clone(), Json::Array(uv));
                    sens.insert(name.clone(), Json::Array(sv));
                    expr.insert(name.clone(), Json::Array(ev));
                }
                EBlocks::Unknown { why, at } => {
                    self.spans.insert(ap2.clone(), *at);
                    after.insert(name.clone(), Json::Null);
                    unk.insert(name.clone(), mask(why));
                    expr.insert(
                        name.clone(),
                        json!({"references": [], "targets": targets(&why.refs)}),
                    );
                }
            }
        }
        (
            Json::Object(after),
            Json::Object(unk),
            Json::Object(sens),
            Json::Object(expr),
        )
    }

    /// Spans of a value and its parts: a part written inside the expression points at itself;
    /// a part written elsewhere (a variable default, a `.tfvars` file) points where it is used
    /// and is related to where it is written (once for a list written elsewhere as a whole).
    fn value(&mut self, ptr: String, v: &Val, used: Src, covered: Option<Src>) {
        let mut covered = covered;
        if let Some(src) = v.src {
            let inside = used.contains(&src) || covered.is_some_and(|c| c.contains(&src));
            if !inside {
                self.relate(used, src, "the value is written here");
                covered = Some(src);
            }
        }
        let part = |x: &Val| match x.src {
            Some(s) if used.contains(&s) => s,
            _ => used,
        };
        match &v.kind {
            Kind::List(l) => {
                for (i, x) in l.iter().enumerate() {
                    self.value(child(&ptr, &i.to_string()), x, part(x), covered);
                }
            }
            Kind::Map(m) => {
                for (k, x) in m.iter() {
                    self.value(child(&ptr, k), x, part(x), covered);
                }
            }
            _ => {}
        }
        self.spans.insert(ptr, used);
    }

    fn relate(&mut self, used: Src, from: Src, text: &'static str) {
        if self.seen.insert((used, from)) {
            self.related.push((used, from, text));
        }
    }
}

/// How many spans [`Emitter::block`] records for a block.
fn span_count(b: &EBlock) -> usize {
    fn nodes(v: &Val) -> usize {
        1 + match &v.kind {
            Kind::List(l) => l.iter().map(nodes).sum(),
            Kind::Map(m) => m.values().map(nodes).sum(),
            _ => 0,
        }
    }
    let attrs: usize = b.attrs.iter().map(|a| nodes(&a.val)).sum();
    let blocks: usize = b
        .blocks
        .iter()
        .map(|(_, bs)| match bs {
            EBlocks::Known(l) => 1 + l.iter().map(span_count).sum::<usize>(),
            EBlocks::Unknown { .. } => 1,
        })
        .sum();
    1 + attrs + blocks
}

fn child(ptr: &str, seg: &str) -> String {
    format!("{ptr}/{}", ptr_seg(seg))
}

/// The value as `after` holds it: unknown parts null, sensitive strings replaced.
fn to_after(v: &Val) -> Json {
    match &v.kind {
        Kind::Unknown(_) | Kind::Null => Json::Null,
        Kind::Str(_) if v.sensitive => Json::String(SENSITIVE.into()),
        Kind::List(l) => Json::Array(l.iter().map(to_after).collect()),
        Kind::Map(m) => Json::Object(m.iter().map(|(k, x)| (k.clone(), to_after(x))).collect()),
        _ => v.to_json(),
    }
}

/// The `after_unknown` mask of a value: `true` for a value known only after apply (a resource
/// attribute); the reason, for a value unknown for another reason.
fn mask(v: &Val) -> Json {
    match &v.kind {
        Kind::Unknown(r) if v.refs.is_empty() => Json::String(r.to_string()),
        Kind::Unknown(_) => Json::Bool(true),
        Kind::List(l) => Json::Array(l.iter().map(mask).collect()),
        Kind::Map(m) => Json::Object(
            m.iter()
                .filter(|(_, x)| x.has_unknown())
                .map(|(k, x)| (k.clone(), mask(x)))
                .collect(),
        ),
        _ => Json::Bool(false),
    }
}

fn sens_mask(v: &Val) -> Json {
    if v.sensitive {
        return Json::Bool(true);
    }
    match &v.kind {
        Kind::List(l) => Json::Array(l.iter().map(sens_mask).collect()),
        Kind::Map(m) => Json::Object(
            m.iter()
                .filter(|(_, x)| x.any_sensitive())
                .map(|(k, x)| (k.clone(), sens_mask(x)))
                .collect(),
        ),
        _ => Json::Bool(false),
    }
}

fn targets(refs: &[Rc<Target>]) -> Json {
    Json::Array(
        refs.iter()
            .map(|t| json!({"address": &*t.addr, "attr": steps_to_string(&t.attr)}))
            .collect(),
    )
}

/// References of a known value: its own, or its parts'.
fn deep_refs(v: &Val, out: &mut Vec<Rc<Target>>) {
    if !v.refs.is_empty() {
        for r in &v.refs {
            if !out.contains(r) {
                out.push(r.clone());
            }
        }
        return;
    }
    match &v.kind {
        Kind::List(l) => l.iter().for_each(|x| deep_refs(x, out)),
        Kind::Map(m) => m.values().for_each(|x| deep_refs(x, out)),
        _ => {}
    }
}

/// The configuration expression of an attribute: the references as written and the resource
/// attributes the value is (or, for unknown parts, depends on); a constant otherwise.
fn leaf(a: &EAttr) -> Json {
    leaf_of(&a.refs, &a.val)
}

/// The configuration expression of an object-valued attribute read property by property (an
/// `azapi_resource`'s `body`): an object of the expressions of its parts, so that each property
/// follows only its own references (`networkSecurityGroup.id` its NSG, `routeTable.id` its
/// route table).
fn tree(written: &[String], v: &Val) -> Json {
    match &v.kind {
        Kind::Map(m) => Json::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), tree(written, x)))
                .collect(),
        ),
        _ => leaf_of(written, v),
    }
}

fn leaf_of(written: &[String], v: &Val) -> Json {
    let mut refs = Vec::new();
    if v.is_unknown() {
        refs = v.refs.clone();
    } else if v.has_unknown() {
        v.unknown_refs(&mut refs);
    } else {
        deep_refs(v, &mut refs);
    }
    if !refs.is_empty() || v.has_unknown() || v.any_sensitive() {
        let mut m = json!({"references": written, "targets": targets(&refs)});
        if let (Some(p), Json::Object(o)) = (&v.pattern, &mut m) {
            o.insert("id_pattern".into(), Json::String(p.to_string()));
        }
        m
    } else {
        // `{"constant_value": …}`, without copying the value: it is the `after` value here
        CONSTANT_HERE
    }
}

/// Sort key of an instance as Terraform orders them: root module first, then by module path;
/// managed resources before data sources; type, name, index.
pub(crate) fn sort_key(inst: &Inst) -> (String, bool, String, String, (u8, i64, String)) {
    let module = super::super::addr::module_prefix(&inst.addr.module);
    let idx = match &inst.addr.index {
        None => (0, 0, String::new()),
        Some(IndexKey::Int(n)) => (1, *n, String::new()),
        Some(IndexKey::Str(s)) => (2, 0, s.clone()),
    };
    (
        module,
        inst.addr.data,
        inst.addr.rtype.clone(),
        inst.addr.name.clone(),
        idx,
    )
}
