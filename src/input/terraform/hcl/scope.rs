//! Module instances and what they hold: variables (given by the caller), locals, resources and
//! data sources expanded by `count` / `for_each`, module calls and their outputs. Everything is
//! evaluated on first use and memoised, so the order of declarations does not matter and a
//! reference cycle gives an unknown value instead of a loop.

use super::super::addr::{IndexKey, ModStep, ResourceAddr, Step};
use super::files::{CallTarget, Tree};
use super::types::convert;
use super::value::{Kind, Src, Target, Val, fmt_num};
use crate::source::FileId;
use hcl::edit::Span;
use hcl::edit::expr::Expression;
use hcl::edit::structure::{Attribute, Block, Body};
use std::cell::{Cell, OnceCell, RefCell};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;

/// An input note of the HCL reader.
#[derive(Debug, Clone)]
pub(crate) struct Note {
    pub code: &'static str,
    pub message: String,
    pub at: Option<Src>,
}

pub(crate) struct VarDecl<'a> {
    pub name: String,
    pub block: &'a Block,
    pub file: FileId,
    pub ty: Option<&'a Expression>,
    pub default: Option<&'a Expression>,
    pub sensitive: bool,
}

pub(crate) struct ResDecl<'a> {
    pub data: bool,
    pub rtype: String,
    pub name: String,
    pub block: &'a Block,
    pub file: FileId,
}

pub(crate) struct CallDecl<'a> {
    pub name: String,
    pub block: &'a Block,
    pub file: FileId,
    pub target: CallTarget,
}

/// The declarations of one module directory.
pub(crate) struct ModuleDef<'a> {
    pub display: String,
    pub vars: Vec<VarDecl<'a>>,
    pub locals: HashMap<String, (&'a Attribute, FileId)>,
    pub resources: Vec<ResDecl<'a>>,
    pub calls: Vec<CallDecl<'a>>,
    pub outputs: HashMap<String, (&'a Block, FileId)>,
}

/// Collect the declarations of every module of a parsed configuration.
pub(crate) fn definitions(tree: &Tree) -> Vec<ModuleDef<'_>> {
    let mut out = Vec::new();
    for (mi, m) in tree.modules.iter().enumerate() {
        let mut d = ModuleDef {
            display: m.display.clone(),
            vars: Vec::new(),
            locals: HashMap::new(),
            resources: Vec::new(),
            calls: Vec::new(),
            outputs: HashMap::new(),
        };
        for p in &m.files {
            for b in p.body.blocks() {
                let l0 = b.labels.first().map(|l| l.as_str().to_string());
                let l1 = b.labels.get(1).map(|l| l.as_str().to_string());
                match (b.ident.as_str(), l0, l1) {
                    ("variable", Some(name), _) => d.vars.push(VarDecl {
                        name,
                        block: b,
                        file: p.file,
                        ty: b.body.get_attribute("type").map(|a| &a.value),
                        default: b.body.get_attribute("default").map(|a| &a.value),
                        sensitive: matches!(
                            b.body.get_attribute("sensitive").map(|a| &a.value),
                            Some(Expression::Bool(x)) if *x.value()
                        ),
                    }),
                    ("locals", _, _) => {
                        for a in b.body.attributes() {
                            d.locals
                                .entry(a.key.as_str().to_string())
                                .or_insert((a, p.file));
                        }
                    }
                    (kind @ ("resource" | "data"), Some(rtype), Some(name)) => {
                        let data = kind == "data";
                        // declared twice (Terraform refuses; override files are not merged):
                        // the first declaration counts
                        if !d
                            .resources
                            .iter()
                            .any(|r| r.data == data && r.rtype == rtype && r.name == name)
                        {
                            d.resources.push(ResDecl {
                                data,
                                rtype,
                                name,
                                block: b,
                                file: p.file,
                            })
                        }
                    }
                    ("module", Some(name), _) => {
                        let target = tree
                            .calls
                            .get(&(mi, name.clone()))
                            .cloned()
                            .unwrap_or_else(|| CallTarget::Missing("not resolved".into()));
                        d.calls.push(CallDecl {
                            name,
                            block: b,
                            file: p.file,
                            target,
                        });
                    }
                    ("output", Some(name), _) => {
                        d.outputs.entry(name).or_insert((b, p.file));
                    }
                    _ => {}
                }
            }
        }
        out.push(d);
    }
    out
}

/// A value being computed, or computed.
enum Slot<T> {
    Busy,
    Done(T),
}

/// One module instance.
pub(crate) struct Scope {
    pub module: usize,
    pub path: Vec<ModStep>,
    vars: HashMap<String, Val>,
    locals: RefCell<HashMap<String, Slot<Val>>>,
    resources: RefCell<HashMap<usize, Slot<Rc<Expansion>>>>,
    calls: RefCell<HashMap<usize, Slot<Rc<CallExpansion>>>>,
    outputs: RefCell<HashMap<String, Slot<Val>>>,
}

/// The instances of one resource block.
#[derive(Clone)]
pub(crate) struct Expansion {
    pub insts: Vec<Inst>,
    repeat: Repeat,
    /// The resource as a reference sees it (an object; a list for `count`; a map for
    /// `for_each`): built on first use, since most references read one attribute of a single
    /// instance ([`Evaluator::resource_ref`]) and most resources are not referenced at all.
    value: OnceCell<Val>,
}

impl Expansion {
    /// The resource as a reference sees it, every part stamped with its resource attribute.
    pub(crate) fn value(&self) -> &Val {
        self.value.get_or_init(|| {
            let stamped = |i: &Inst| {
                let mut v = i.body.value();
                v.stamp(&Target {
                    addr: i.address().into(),
                    attr: Vec::new(),
                });
                v
            };
            match self.repeat {
                Repeat::Single => self.insts.first().map(stamped).unwrap_or_else(Val::null),
                Repeat::Count => Val::list(self.insts.iter().map(stamped).collect()),
                Repeat::ForEach => {
                    let mut m = BTreeMap::new();
                    for i in &self.insts {
                        if let Some(IndexKey::Str(k)) = &i.addr.index {
                            m.insert(k.clone(), stamped(i));
                        }
                    }
                    Val::map(m)
                }
            }
        })
    }

    /// `resource.attr` of a single instance, as [`Expansion::value`] would give it, without
    /// building the whole value (`None`: not a single known instance).
    fn single_attr(&self, name: &str) -> Option<Val> {
        if self.repeat != Repeat::Single {
            return None;
        }
        let [inst] = self.insts.as_slice() else {
            return None;
        };
        if inst.unknown_key {
            return None;
        }
        let t = Target {
            addr: inst.address().into(),
            attr: vec![Step::Name(name.to_string())],
        };
        Some(match inst.body.member(name) {
            Some(mut v) => {
                v.stamp(&t);
                v
            }
            None => after_apply(t),
        })
    }
}

/// The value of a resource attribute the configuration does not set: known only after apply.
pub(crate) fn after_apply(t: Target) -> Val {
    let mut u = Val::unknown(format!("{} is known only after apply", t.render()));
    let rc = Rc::new(t);
    u.refs = vec![rc.clone()];
    u.at = Some(rc);
    u
}

/// One evaluated resource instance.
#[derive(Clone)]
pub(crate) struct Inst {
    pub addr: ResourceAddr,
    /// The instance key is unknown (`count` / `for_each` could not be evaluated).
    pub unknown_key: bool,
    pub body: EBlock,
}

impl Inst {
    pub(crate) fn address(&self) -> String {
        let a = self.addr.render();
        if self.unknown_key {
            format!("{a}[*]")
        } else {
            a
        }
    }
}

/// The instances of one module call.
pub(crate) struct CallExpansion {
    pub scopes: Vec<(Option<IndexKey>, usize)>,
    /// How references see the call: `Single`, a list, or a map of instances.
    pub repeat: Repeat,
    /// The call's instances are unknown, or the module was not followed.
    pub unknown: Option<Val>,
}

/// The instances of a block: how it repeats, each instance's key (`None`: unknown) and
/// environment, and why the instances are unknown when they are.
type Keys = (Repeat, Vec<(Option<IndexKey>, Env)>, Option<String>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeat {
    Single,
    Count,
    ForEach,
}

/// An evaluated block body.
#[derive(Debug, Clone)]
pub(crate) struct EBlock {
    /// The block header (`resource "azurerm_route" "x"`, `security_rule`); for a block made by a
    /// `dynamic` block, the collection element it was made from, when that is written literally.
    pub header: Src,
    /// The `dynamic` block this block was made by.
    pub expanded_by: Option<Src>,
    pub attrs: Vec<EAttr>,
    pub blocks: Vec<(String, EBlocks)>,
}

#[derive(Debug, Clone)]
pub(crate) struct EAttr {
    pub name: String,
    pub val: Val,
    /// The value expression as written.
    pub span: Src,
    /// The references written in the expression (`azurerm_subnet.x.id`), for messages.
    pub refs: Rc<[String]>,
}

#[derive(Debug, Clone)]
pub(crate) enum EBlocks {
    Known(Vec<EBlock>),
    /// A `dynamic` block whose `for_each` is unknown: the whole list of these blocks is.
    Unknown {
        why: Val,
        at: Src,
    },
}

impl EBlock {
    /// Member `name` of [`EBlock::value`], without building the rest.
    fn member(&self, name: &str) -> Option<Val> {
        if let Some((_, bs)) = self.blocks.iter().find(|(n, _)| n == name) {
            return Some(match bs {
                EBlocks::Known(l) => Val::list(l.iter().map(EBlock::value).collect()),
                EBlocks::Unknown { why, .. } => why.clone(),
            });
        }
        self.attrs
            .iter()
            .rev()
            .find(|a| a.name == name)
            .map(|a| a.val.clone())
    }

    /// The body as a value (attributes and nested block lists).
    pub(crate) fn value(&self) -> Val {
        let mut m = BTreeMap::new();
        for a in &self.attrs {
            m.insert(a.name.clone(), a.val.clone());
        }
        for (name, bs) in &self.blocks {
            let v = match bs {
                EBlocks::Known(l) => Val::list(l.iter().map(EBlock::value).collect()),
                EBlocks::Unknown { why, .. } => why.clone(),
            };
            m.insert(name.clone(), v);
        }
        Val::map(m)
    }
}

/// Bindings of `for` expressions and `dynamic` iterators.
pub(crate) struct Bind {
    pub name: String,
    pub val: Val,
    pub next: Option<Rc<Bind>>,
}

/// Where an expression is evaluated.
#[derive(Clone)]
pub(crate) struct Env {
    pub scope: usize,
    pub file: FileId,
    pub count: Option<Val>,
    pub each: Option<Rc<(Val, Val)>>,
    pub binds: Option<Rc<Bind>>,
}

impl Env {
    pub(crate) fn new(scope: usize, file: FileId) -> Env {
        Env {
            scope,
            file,
            count: None,
            each: None,
            binds: None,
        }
    }
    pub(crate) fn bind(&self, name: &str, val: Val) -> Env {
        let mut e = self.clone();
        e.binds = Some(Rc::new(Bind {
            name: name.to_string(),
            val,
            next: self.binds.clone(),
        }));
        e
    }
    pub(crate) fn lookup(&self, name: &str) -> Option<&Val> {
        let mut b = self.binds.as_deref();
        while let Some(x) = b {
            if x.name == name {
                return Some(&x.val);
            }
            b = x.next.as_deref();
        }
        None
    }
}

/// An evaluation error (a type mismatch, a missing attribute, a bad function argument): the
/// value becomes unknown and the error is noted where it happened.
#[derive(Debug, Clone)]
pub(crate) struct Fail {
    pub msg: String,
    pub at: Option<Src>,
}

pub(crate) type R = Result<Val, Fail>;

pub(crate) fn fail(msg: impl Into<String>, at: Option<Src>) -> Fail {
    Fail {
        msg: msg.into(),
        at,
    }
}

const MAX_MODULE_NESTING: usize = 32;
/// Nested evaluations (reference chains, nested expressions) beyond this give unknown.
pub(crate) const MAX_DEPTH: usize = 256;
/// Instances of one block beyond this are not expanded.
const MAX_INSTANCES: usize = 100_000;

/// Meta-arguments of resource and module blocks: not attributes.
const META: &[&str] = &[
    "count",
    "for_each",
    "depends_on",
    "provider",
    "providers",
    "lifecycle",
    "source",
    "version",
];
/// Nested blocks that are not part of the resource's attributes.
const META_BLOCKS: &[&str] = &[
    "lifecycle",
    "provisioner",
    "connection",
    "precondition",
    "postcondition",
    "timeouts",
];

pub(crate) struct Evaluator<'a> {
    pub defs: Vec<ModuleDef<'a>>,
    pub scopes: RefCell<Vec<Rc<Scope>>>,
    notes: RefCell<Vec<Note>>,
    noted: RefCell<HashSet<(&'static str, String)>>,
    pub(crate) depth: Cell<usize>,
    /// The references written in each expression (by its address: the syntax tree outlives the
    /// evaluator), computed once for all the instances of a block.
    references: RefCell<HashMap<*const Expression, Rc<[String]>>>,
    no_references: Rc<[String]>,
}

impl<'a> Evaluator<'a> {
    /// An evaluator whose root module (definition 0) gets `inputs` as variable values.
    pub(crate) fn new(defs: Vec<ModuleDef<'a>>, inputs: &HashMap<String, Val>) -> Evaluator<'a> {
        let ev = Evaluator {
            defs,
            scopes: RefCell::new(Vec::new()),
            notes: RefCell::new(Vec::new()),
            noted: RefCell::new(HashSet::new()),
            depth: Cell::new(0),
            references: RefCell::new(HashMap::new()),
            no_references: Rc::new([]),
        };
        let mut vars = HashMap::new();
        for v in &ev.defs[0].vars {
            let val = match inputs.get(&v.name) {
                Some(x) => ev.typed(v, x.clone()),
                None => match v.default {
                    Some(d) => {
                        let x = ev.eval_const(v.file, d);
                        ev.typed(v, x)
                    }
                    None => {
                        let at = span_of(v.file, v.block);
                        ev.note(
                            "INP030",
                            format!(
                                "variable `{}` has no value: values that depend on it are unknown \
                                 (give it with --var {}=…, --var-file, a terraform.tfvars or \
                                 *.auto.tfvars file, or TF_VAR_{})",
                                v.name, v.name, v.name
                            ),
                            at,
                        );
                        Val::unknown(format!("var.{} has no value", v.name))
                    }
                },
            };
            vars.insert(v.name.clone(), val);
        }
        ev.push_scope(0, Vec::new(), vars);
        ev
    }

    fn push_scope(&self, module: usize, path: Vec<ModStep>, vars: HashMap<String, Val>) -> usize {
        let mut scopes = self.scopes.borrow_mut();
        scopes.push(Rc::new(Scope {
            module,
            path,
            vars,
            locals: RefCell::new(HashMap::new()),
            resources: RefCell::new(HashMap::new()),
            calls: RefCell::new(HashMap::new()),
            outputs: RefCell::new(HashMap::new()),
        }));
        scopes.len() - 1
    }

    pub(crate) fn scope(&self, i: usize) -> Rc<Scope> {
        self.scopes.borrow()[i].clone()
    }

    pub(crate) fn def(&self, scope: &Scope) -> &ModuleDef<'a> {
        &self.defs[scope.module]
    }

    /// Record a note once per (code, message).
    pub(crate) fn note(&self, code: &'static str, message: String, at: Option<Src>) {
        if self
            .noted
            .borrow_mut()
            .insert((code, format!("{message}{at:?}")))
        {
            self.notes.borrow_mut().push(Note { code, message, at });
        }
    }

    /// The references an expression makes, as written (for messages).
    fn references(&self, e: &Expression) -> Rc<[String]> {
        let key = e as *const Expression;
        if let Some(r) = self.references.borrow().get(&key) {
            return r.clone();
        }
        let r = super::eval::references(e);
        if r.is_empty() {
            // most expressions are constants: not worth an entry (nor an allocation) each
            return self.no_references.clone();
        }
        let r: Rc<[String]> = r.into();
        self.references.borrow_mut().insert(key, r.clone());
        r
    }

    pub(crate) fn take_notes(&self) -> Vec<Note> {
        std::mem::take(&mut self.notes.borrow_mut())
    }

    /// A variable value converted to the declared type, marked sensitive when declared so.
    fn typed(&self, v: &VarDecl<'_>, x: Val) -> Val {
        let mut out = match v.ty {
            Some(t) => match convert(x, t) {
                Ok(c) => c,
                Err(e) => {
                    self.note(
                        "INP035",
                        format!(
                            "variable `{}`: the value does not fit its type: {e}",
                            v.name
                        ),
                        span_of(v.file, v.block),
                    );
                    Val::unknown(format!(
                        "var.{}: the value does not fit its type: {e}",
                        v.name
                    ))
                }
            },
            None => x,
        };
        if v.sensitive {
            out.mark_sensitive();
        }
        out
    }

    /// Evaluate an expression that may not reference anything (a variable default).
    fn eval_const(&self, file: FileId, e: &Expression) -> Val {
        // the root scope may not exist yet: evaluate in an empty environment whose references
        // fail
        let env = Env::new(usize::MAX, file);
        match self.eval(&env, e) {
            Ok(v) => v,
            Err(f) => {
                self.note("INP035", f.msg.clone(), f.at.or(expr_span(file, e)));
                Val::unknown(f.msg)
            }
        }
    }

    /// Evaluate an attribute's value: errors become unknown values, noted where they happen.
    pub(crate) fn eval_attr(&self, env: &Env, e: &Expression) -> Val {
        match self.eval(env, e) {
            Ok(v) => v,
            Err(f) => {
                let at = f.at.or(expr_span(env.file, e));
                self.note("INP035", format!("cannot evaluate: {}", f.msg), at);
                Val::unknown(f.msg)
            }
        }
    }

    // ------------------------------------------------------------------ lookups

    pub(crate) fn var(&self, scope: usize, name: &str) -> Option<Val> {
        if scope == usize::MAX {
            return None;
        }
        self.scope(scope).vars.get(name).cloned()
    }

    pub(crate) fn local(&self, scope: usize, name: &str, at: Option<Src>) -> R {
        if scope == usize::MAX {
            return Err(fail("a variable default cannot refer to locals", at));
        }
        let sc = self.scope(scope);
        if let Some(slot) = sc.locals.borrow().get(name) {
            return match slot {
                Slot::Done(v) => Ok(v.clone()),
                Slot::Busy => Ok(Val::unknown(format!(
                    "local.{name} refers to itself (a reference cycle)"
                ))),
            };
        }
        let Some((attr, file)) = self.def(&sc).locals.get(name).copied() else {
            return Err(fail(format!("there is no local value `{name}`"), at));
        };
        sc.locals.borrow_mut().insert(name.to_string(), Slot::Busy);
        let v = self.eval_attr(&Env::new(scope, file), &attr.value);
        sc.locals
            .borrow_mut()
            .insert(name.to_string(), Slot::Done(v.clone()));
        Ok(v)
    }

    /// A resource or data source of the scope, as references see it.
    pub(crate) fn resource(
        &self,
        scope: usize,
        data: bool,
        rtype: &str,
        name: &str,
        at: Option<Src>,
    ) -> R {
        if scope == usize::MAX {
            return Err(fail("a variable default cannot refer to resources", at));
        }
        let sc = self.scope(scope);
        let idx = self
            .def(&sc)
            .resources
            .iter()
            .position(|r| r.data == data && r.rtype == rtype && r.name == name);
        let Some(idx) = idx else {
            let what = if data {
                format!("data.{rtype}.{name}")
            } else {
                format!("{rtype}.{name}")
            };
            return Err(fail(
                format!("{what} is not declared in module {}", self.def(&sc).display),
                at,
            ));
        };
        Ok(self.expansion(scope, idx).value().clone())
    }

    /// A reference to a resource or data source followed by `next` (`azurerm_subnet.x.id`):
    /// the value and whether `next` was read (only the attribute is built when the resource has
    /// one instance).
    pub(crate) fn resource_ref(
        &self,
        scope: usize,
        data: bool,
        rtype: &str,
        name: &str,
        next: Option<&str>,
        at: Option<Src>,
    ) -> Result<(Val, bool), Fail> {
        if let (Some(a), Some(idx)) = (next, self.resource_index(scope, data, rtype, name)) {
            if let Some(v) = self.expansion(scope, idx).single_attr(a) {
                return Ok((v, true));
            }
        }
        Ok((self.resource(scope, data, rtype, name, at)?, false))
    }

    fn resource_index(&self, scope: usize, data: bool, rtype: &str, name: &str) -> Option<usize> {
        if scope == usize::MAX {
            return None;
        }
        let sc = self.scope(scope);
        self.def(&sc)
            .resources
            .iter()
            .position(|r| r.data == data && r.rtype == rtype && r.name == name)
    }

    /// The instances of resource block `idx` of `scope`.
    pub(crate) fn expansion(&self, scope: usize, idx: usize) -> Rc<Expansion> {
        let sc = self.scope(scope);
        if let Some(slot) = sc.resources.borrow().get(&idx) {
            return match slot {
                Slot::Done(x) => x.clone(),
                Slot::Busy => {
                    let d = &self.def(&sc).resources[idx];
                    Rc::new(Expansion {
                        insts: Vec::new(),
                        repeat: Repeat::Single,
                        value: OnceCell::from(Val::unknown(format!(
                            "{}.{} refers to itself (a reference cycle)",
                            d.rtype, d.name
                        ))),
                    })
                }
            };
        }
        sc.resources.borrow_mut().insert(idx, Slot::Busy);
        let x = Rc::new(self.expand_resource(&sc, scope, idx));
        sc.resources.borrow_mut().insert(idx, Slot::Done(x.clone()));
        x
    }

    fn expand_resource(&self, sc: &Scope, scope: usize, idx: usize) -> Expansion {
        let d = &self.def(sc).resources[idx];
        let env = Env::new(scope, d.file);
        let base = ResourceAddr {
            module: sc.path.clone(),
            data: d.data,
            rtype: d.rtype.clone(),
            name: d.name.clone(),
            index: None,
        };
        let what = base.render();
        let (repeat, keys, why) = self.repeat_keys(&env, d.block, &what);
        let unknown_instances = match &why {
            Some(r) => format!("the instances of {what} are unknown ({r})"),
            None => format!("the instances of {what} are unknown"),
        };
        let mut insts = Vec::new();
        for (key, env_i) in keys {
            let mut addr = base.clone();
            let unknown_key = key.is_none() && repeat != Repeat::Single;
            addr.index = key;
            let body = self.eval_block(&env_i, d.block, d.file, true);
            insts.push(Inst {
                addr,
                unknown_key,
                body,
            });
        }
        let value = OnceCell::new();
        if insts.first().is_some_and(|i| i.unknown_key) {
            let _ = value.set(Val::unknown(unknown_instances));
        }
        Expansion {
            insts,
            repeat,
            value,
        }
    }

    /// The instance keys of a block with `count` or `for_each` (or one instance), each with its
    /// environment. An unknown `count` / `for_each` gives one instance whose key is unknown, and
    /// its reason (`var.spokes has no value`).
    fn repeat_keys(&self, env: &Env, block: &Block, what: &str) -> Keys {
        let at = |a: &Attribute| Src::new(env.file, a.span().unwrap_or_default());
        if let Some(a) = block.body.get_attribute("count") {
            let v = self.eval_attr(env, &a.value);
            match (&v.kind, v.as_int()) {
                (Kind::Unknown(r), _) => {
                    self.note(
                        "INP033",
                        format!(
                            "the count of {what} is unknown ({r}): it is read as one instance \
                             whose index is unknown, so results that depend on it are unknown"
                        ),
                        Some(at(a)),
                    );
                    let mut e = env.clone();
                    e.count = Some(Val::unknown(format!("count.index of {what} is unknown")));
                    return (Repeat::Count, vec![(None, e)], Some(r.to_string()));
                }
                (_, Ok(n)) if n >= 0 => {
                    let n = (n as usize).min(MAX_INSTANCES);
                    let keys = (0..n)
                        .map(|i| {
                            let mut e = env.clone();
                            e.count = Some(Val::num(i as f64));
                            (Some(IndexKey::Int(i as i64)), e)
                        })
                        .collect();
                    return (Repeat::Count, keys, None);
                }
                _ => {
                    self.note(
                        "INP035",
                        format!(
                            "the count of {what} is not a whole number ≥ 0: it has no instances"
                        ),
                        Some(at(a)),
                    );
                    return (Repeat::Count, Vec::new(), None);
                }
            }
        }
        if let Some(a) = block.body.get_attribute("for_each") {
            let v = self.eval_attr(env, &a.value);
            let items: Vec<(String, Val)> = match &v.kind {
                Kind::Unknown(r) => {
                    self.note(
                        "INP033",
                        format!(
                            "the for_each of {what} is unknown ({r}): it is read as one instance \
                             whose key is unknown, so results that depend on it are unknown"
                        ),
                        Some(at(a)),
                    );
                    let mut e = env.clone();
                    let u = Val::unknown(format!("each.key of {what} is unknown"));
                    let mut uv = Val::unknown(format!("each.value of {what} is unknown"));
                    uv.refs = v.refs.clone();
                    e.each = Some(Rc::new((u, uv)));
                    return (Repeat::ForEach, vec![(None, e)], Some(r.to_string()));
                }
                Kind::Map(m) => m.iter().map(|(k, x)| (k.clone(), x.clone())).collect(),
                Kind::List(l) => {
                    let mut out = Vec::new();
                    for x in l.iter() {
                        match &x.kind {
                            Kind::Str(s) => out.push((s.clone(), x.clone())),
                            Kind::Num(n) => out.push((fmt_num(*n), x.clone())),
                            _ => {
                                self.note(
                                    "INP035",
                                    format!(
                                        "the for_each of {what} is a list of {}s; Terraform \
                                         needs a map or a set of strings",
                                        x.type_name()
                                    ),
                                    Some(at(a)),
                                );
                                return (Repeat::ForEach, Vec::new(), None);
                            }
                        }
                    }
                    out.sort_by(|a, b| a.0.cmp(&b.0));
                    out.dedup_by(|a, b| a.0 == b.0);
                    out
                }
                _ => {
                    self.note(
                        "INP035",
                        format!(
                            "the for_each of {what} is a {}, not a map or a set: it has no \
                             instances",
                            v.type_name()
                        ),
                        Some(at(a)),
                    );
                    Vec::new()
                }
            };
            let keys = items
                .into_iter()
                .take(MAX_INSTANCES)
                .map(|(k, x)| {
                    let mut e = env.clone();
                    e.each = Some(Rc::new((Val::str(k.clone()), x)));
                    (Some(IndexKey::Str(k)), e)
                })
                .collect();
            return (Repeat::ForEach, keys, None);
        }
        (Repeat::Single, vec![(None, env.clone())], None)
    }

    /// Evaluate a block's body: attributes (without meta-arguments), nested blocks, and
    /// `dynamic` blocks expanded.
    pub(crate) fn eval_block(&self, env: &Env, block: &Block, file: FileId, top: bool) -> EBlock {
        let header = header_span(file, block);
        self.eval_body(env, &block.body, file, header, top)
    }

    fn eval_body(&self, env: &Env, body: &Body, file: FileId, header: Src, top: bool) -> EBlock {
        let mut out = EBlock {
            header,
            expanded_by: None,
            attrs: Vec::new(),
            blocks: Vec::new(),
        };
        for a in body.attributes() {
            let name = a.key.as_str();
            if top && META.contains(&name) {
                continue;
            }
            let val = self.eval_attr(env, &a.value);
            out.attrs.push(EAttr {
                name: name.to_string(),
                val,
                span: expr_span(file, &a.value)
                    .unwrap_or_else(|| Src::new(file, a.span().unwrap_or_default())),
                refs: self.references(&a.value),
            });
        }
        for b in body.blocks() {
            let ident = b.ident.as_str();
            if META_BLOCKS.contains(&ident) {
                continue;
            }
            if ident == "dynamic" {
                self.dynamic(env, b, file, &mut out);
                continue;
            }
            let eb = self.eval_block(env, b, file, false);
            push_block(&mut out, ident, eb);
        }
        out
    }

    /// Expand a `dynamic "name" { for_each = …; iterator = it; content { … } }` block.
    fn dynamic(&self, env: &Env, b: &Block, file: FileId, out: &mut EBlock) {
        let Some(name) = b.labels.first().map(|l| l.as_str().to_string()) else {
            return;
        };
        let header = header_span(file, b);
        let iter_name = match b.body.get_attribute("iterator").map(|a| &a.value) {
            Some(Expression::Variable(v)) => v.as_str().to_string(),
            _ => name.clone(),
        };
        let Some(content) = b.body.blocks().find(|x| x.ident.as_str() == "content") else {
            return;
        };
        let coll = match b.body.get_attribute("for_each") {
            Some(a) => self.eval_attr(env, &a.value),
            None => Val::list(Vec::new()),
        };
        let items: Vec<(Val, Val)> = match &coll.kind {
            Kind::Unknown(_) => {
                let why = Val::unknown_from(&coll, &[]);
                set_blocks(out, &name, EBlocks::Unknown { why, at: header });
                return;
            }
            Kind::List(l) => l
                .iter()
                .enumerate()
                .map(|(i, x)| (Val::num(i as f64), x.clone()))
                .collect(),
            Kind::Map(m) => m
                .iter()
                .map(|(k, x)| (Val::str(k.clone()), x.clone()))
                .collect(),
            Kind::Null => Vec::new(),
            _ => {
                self.note(
                    "INP035",
                    format!(
                        "the for_each of dynamic block `{name}` is a {}, not a collection",
                        coll.type_name()
                    ),
                    Some(header),
                );
                return;
            }
        };
        for (k, v) in items {
            // a block made from a literal element points at that element (what to change)
            let own = v.src.unwrap_or(header);
            let it = Val::map([("key".to_string(), k), ("value".to_string(), v)].into());
            let e = env.bind(&iter_name, it);
            let mut eb = self.eval_body(&e, &content.body, file, own, false);
            if own != header {
                eb.expanded_by = Some(header);
            }
            push_block(out, &name, eb);
        }
        if !out.blocks.iter().any(|(n, _)| n == &name) {
            out.blocks.push((name, EBlocks::Known(Vec::new())));
        }
    }

    // ------------------------------------------------------------------ modules

    /// The instances of module call `idx` of `scope`.
    pub(crate) fn call_expansion(&self, scope: usize, idx: usize) -> Rc<CallExpansion> {
        let sc = self.scope(scope);
        if let Some(slot) = sc.calls.borrow().get(&idx) {
            return match slot {
                Slot::Done(x) => x.clone(),
                Slot::Busy => Rc::new(CallExpansion {
                    scopes: Vec::new(),
                    repeat: Repeat::Single,
                    unknown: Some(Val::unknown(format!(
                        "module.{} refers to itself (a reference cycle)",
                        self.def(&sc).calls[idx].name
                    ))),
                }),
            };
        }
        sc.calls.borrow_mut().insert(idx, Slot::Busy);
        let x = Rc::new(self.expand_call(&sc, scope, idx));
        sc.calls.borrow_mut().insert(idx, Slot::Done(x.clone()));
        x
    }

    fn expand_call(&self, sc: &Scope, scope: usize, idx: usize) -> CallExpansion {
        let call = &self.def(sc).calls[idx];
        let env = Env::new(scope, call.file);
        let mut what = super::super::addr::module_prefix(&sc.path);
        what.push_str("module.");
        what.push_str(&call.name);
        let target = match &call.target {
            CallTarget::Dir(d) if sc.path.len() < MAX_MODULE_NESTING => *d,
            CallTarget::Dir(_) => {
                let why = format!("{what} nests modules deeper than {MAX_MODULE_NESTING} levels");
                self.note(
                    "INP032",
                    why.clone(),
                    Some(header_span(call.file, call.block)),
                );
                return CallExpansion {
                    scopes: Vec::new(),
                    repeat: Repeat::Single,
                    unknown: Some(Val::unknown(why)),
                };
            }
            CallTarget::Missing(why) => {
                self.note(
                    "INP032",
                    format!(
                        "{what} is not followed: {why}; its resources are not checked and its \
                         outputs are unknown"
                    ),
                    Some(header_span(call.file, call.block)),
                );
                return CallExpansion {
                    scopes: Vec::new(),
                    repeat: Repeat::Single,
                    unknown: Some(Val::unknown(format!("{what} is not followed: {why}"))),
                };
            }
        };
        let (repeat, keys, why) = self.repeat_keys(&env, call.block, &what);
        let mut scopes = Vec::new();
        for (key, env_i) in keys {
            if key.is_none() && repeat != Repeat::Single {
                let reason = match &why {
                    Some(r) => format!("the instances of {what} are unknown ({r})"),
                    None => format!("the instances of {what} are unknown"),
                };
                return CallExpansion {
                    scopes: Vec::new(),
                    repeat,
                    unknown: Some(Val::unknown(reason)),
                };
            }
            let mut path = sc.path.clone();
            path.push(ModStep {
                name: call.name.clone(),
                index: key.clone(),
            });
            let mut vars = HashMap::new();
            for v in &self.defs[target].vars {
                let given = call.block.body.get_attribute(&v.name);
                let val = match (given, v.default) {
                    (Some(a), _) => {
                        let x = self.eval_attr(&env_i, &a.value);
                        // a null argument takes the default (nullable = false) or stays null
                        match (&x.kind, v.default) {
                            (Kind::Null, Some(d)) if !nullable(v.block) => {
                                self.eval_const(v.file, d)
                            }
                            _ => x,
                        }
                    }
                    (None, Some(d)) => self.eval_const(v.file, d),
                    (None, None) => {
                        let why = format!(
                            "{what} is not given the variable `{}`, which has no default",
                            v.name
                        );
                        self.note(
                            "INP035",
                            why.clone(),
                            Some(header_span(call.file, call.block)),
                        );
                        Val::unknown(why)
                    }
                };
                vars.insert(v.name.clone(), self.typed(v, val));
            }
            let s = self.push_scope(target, path, vars);
            scopes.push((key, s));
        }
        CallExpansion {
            scopes,
            repeat,
            unknown: None,
        }
    }

    /// Output `name` of the module instance `scope`.
    pub(crate) fn output(&self, scope: usize, name: &str, at: Option<Src>) -> R {
        let sc = self.scope(scope);
        if let Some(slot) = sc.outputs.borrow().get(name) {
            return match slot {
                Slot::Done(v) => Ok(v.clone()),
                Slot::Busy => Ok(Val::unknown(format!(
                    "output {name} refers to itself (a reference cycle)"
                ))),
            };
        }
        let Some((block, file)) = self.def(&sc).outputs.get(name).copied() else {
            return Err(fail(
                format!("module {} has no output `{name}`", self.def(&sc).display),
                at,
            ));
        };
        sc.outputs.borrow_mut().insert(name.to_string(), Slot::Busy);
        let mut v = match block.body.get_attribute("value") {
            Some(a) => self.eval_attr(&Env::new(scope, file), &a.value),
            None => Val::null(),
        };
        if matches!(
            block.body.get_attribute("sensitive").map(|a| &a.value),
            Some(Expression::Bool(b)) if *b.value()
        ) {
            v.mark_sensitive();
        }
        sc.outputs
            .borrow_mut()
            .insert(name.to_string(), Slot::Done(v.clone()));
        Ok(v)
    }

    /// Every output of a module instance, as an object.
    pub(crate) fn outputs(&self, scope: usize) -> Val {
        let sc = self.scope(scope);
        let mut names: Vec<String> = self.def(&sc).outputs.keys().cloned().collect();
        names.sort();
        let mut m = BTreeMap::new();
        for n in names {
            let v = self
                .output(scope, &n, None)
                .unwrap_or_else(|f| Val::unknown(f.msg));
            m.insert(n, v);
        }
        Val::map(m)
    }

    /// Index of module call `name` in `scope`.
    pub(crate) fn call_index(&self, scope: usize, name: &str) -> Option<usize> {
        if scope == usize::MAX {
            return None;
        }
        let sc = self.scope(scope);
        self.def(&sc).calls.iter().position(|c| c.name == name)
    }

    // ------------------------------------------------------------------ everything

    /// Every resource instance of the configuration, root module first.
    pub(crate) fn all_instances(&self) -> Vec<(usize, Rc<Expansion>)> {
        let mut out = Vec::new();
        self.walk(0, &mut out);
        out
    }

    fn walk(&self, scope: usize, out: &mut Vec<(usize, Rc<Expansion>)>) {
        let sc = self.scope(scope);
        let def = self.def(&sc);
        for i in 0..def.resources.len() {
            out.push((scope, self.expansion(scope, i)));
        }
        for c in 0..def.calls.len() {
            let x = self.call_expansion(scope, c);
            for (_, s) in &x.scopes {
                self.walk(*s, out);
            }
        }
    }
}

fn nullable(block: &Block) -> bool {
    !matches!(
        block.body.get_attribute("nullable").map(|a| &a.value),
        Some(Expression::Bool(b)) if !*b.value()
    )
}

fn push_block(out: &mut EBlock, name: &str, b: EBlock) {
    match out.blocks.iter_mut().find(|(n, _)| n == name) {
        Some((_, EBlocks::Known(l))) => l.push(b),
        Some((_, EBlocks::Unknown { .. })) => {}
        None => out.blocks.push((name.to_string(), EBlocks::Known(vec![b]))),
    }
}

fn set_blocks(out: &mut EBlock, name: &str, b: EBlocks) {
    match out.blocks.iter_mut().find(|(n, _)| n == name) {
        Some(slot) => slot.1 = b,
        None => out.blocks.push((name.to_string(), b)),
    }
}

/// The span of an expression.
pub(crate) fn expr_span(file: FileId, e: &Expression) -> Option<Src> {
    e.span().map(|r| Src::new(file, r))
}

/// The span of a whole block.
pub(crate) fn span_of(file: FileId, b: &Block) -> Option<Src> {
    b.span().map(|r| Src::new(file, r))
}

/// The span of a block's header: its type and labels (`resource "azurerm_route" "x"`).
pub(crate) fn header_span(file: FileId, b: &Block) -> Src {
    let whole = b.span().unwrap_or_default();
    let end = b
        .labels
        .last()
        .and_then(|l| l.span())
        .or_else(|| b.ident.span())
        .map(|r| r.end)
        .unwrap_or(whole.end);
    Src::new(file, whole.start..end.max(whole.start))
}
