//! Expression evaluation over [`Val`]: literals, templates and directives, references
//! (`var.`, `local.`, `module.`, `data.`, resources, `each.`, `count.`, `path.`, iterators),
//! traversals and splats, operators, conditionals, `for` expressions and function calls.
//!
//! hcl-rs has an evaluator, but over plain JSON-like values: it has no unknown values, stops at
//! the first undefined variable and evaluates function arguments eagerly (so `try` cannot be a
//! function). Terraform configurations are full of values that are only known at apply, so the
//! evaluation here is our own, over the hcl-edit syntax tree that also gives the spans.

use super::super::addr::{IndexKey, Step};
use super::funcs;
use super::scope::{Env, Evaluator, MAX_DEPTH, R, fail};
use super::value::{Kind, Src, Val, fmt_num};
use hcl::edit::Span;
use hcl::edit::expr::{
    BinaryOperator, Expression, ForExpr, FuncCall, ObjectKey, Traversal, TraversalOperator,
    UnaryOperator,
};
use hcl::edit::template::{Directive, Element, Template};
use std::collections::BTreeMap;
use std::rc::Rc;

impl Evaluator<'_> {
    fn src(env: &Env, e: &impl Span) -> Option<Src> {
        e.span().map(|r| Src::new(env.file, r))
    }

    /// Evaluate an expression.
    pub(crate) fn eval(&self, env: &Env, e: &Expression) -> R {
        let d = self.depth.get();
        if d > MAX_DEPTH {
            return Ok(Val::unknown(
                "the expression nests (or references) too deeply to be evaluated",
            ));
        }
        self.depth.set(d + 1);
        let r = self.eval_inner(env, e);
        self.depth.set(d);
        r
    }

    fn eval_inner(&self, env: &Env, e: &Expression) -> R {
        let at = Self::src(env, e);
        let lit = |v: Val| {
            Ok(match at {
                Some(s) => v.with_src(s),
                None => v,
            })
        };
        match e {
            Expression::Null(_) => lit(Val::null()),
            Expression::Bool(b) => lit(Val::bool(*b.value())),
            Expression::Number(n) => lit(Val::num(n.value().as_f64().unwrap_or(f64::NAN))),
            Expression::String(s) => lit(Val::str(s.value().as_str())),
            Expression::Array(a) => {
                let mut items = Vec::with_capacity(a.len());
                for x in a.iter() {
                    items.push(self.eval(env, x)?);
                }
                lit(Val::list(items))
            }
            Expression::Object(o) => {
                let mut m = BTreeMap::new();
                let mut pending: Option<Val> = None;
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(id) => id.as_str().to_string(),
                        ObjectKey::Expression(Expression::Variable(id)) => id.as_str().to_string(),
                        ObjectKey::Expression(ke) => {
                            let kv = self.eval(env, ke)?;
                            if kv.is_unknown() {
                                pending.get_or_insert(kv);
                                continue;
                            }
                            kv.as_string().map_err(|m| fail(m, Self::src(env, ke)))?
                        }
                    };
                    m.insert(key, self.eval(env, v.expr())?);
                }
                if let Some(u) = pending {
                    return Ok(Val::unknown_from(&u, &[]));
                }
                lit(Val::map(m))
            }
            Expression::StringTemplate(t) => self.template(env, t, at),
            Expression::HeredocTemplate(h) => self.template(env, &h.template, at),
            Expression::Parenthesis(p) => self.eval(env, p.inner()),
            Expression::Variable(v) => self.head_value(env, v.as_str(), at),
            Expression::Traversal(t) => self.traversal(env, t),
            Expression::Conditional(c) => {
                let cond = self.eval(env, &c.cond_expr)?;
                match &cond.kind {
                    Kind::Unknown(_) => {
                        let a = self
                            .eval(env, &c.true_expr)
                            .unwrap_or_else(|f| Val::unknown(f.msg));
                        let b = self
                            .eval(env, &c.false_expr)
                            .unwrap_or_else(|f| Val::unknown(f.msg));
                        let mut v = Val::unknown_from(&cond, &[]);
                        v.refs.clear();
                        v.absorb(&a);
                        v.absorb(&b);
                        Ok(v)
                    }
                    _ => {
                        let b = cond.as_bool().map_err(|m| {
                            fail(format!("condition: {m}"), Self::src(env, &c.cond_expr))
                        })?;
                        self.eval(env, if b { &c.true_expr } else { &c.false_expr })
                    }
                }
            }
            Expression::UnaryOp(u) => {
                let v = self.eval(env, &u.expr)?;
                if v.has_unknown() {
                    return Ok(Val::unknown_from(&v, &[]));
                }
                let k = match u.operator.value() {
                    UnaryOperator::Neg => Kind::Num(-v.as_num().map_err(|m| fail(m, at))?),
                    UnaryOperator::Not => Kind::Bool(!v.as_bool().map_err(|m| fail(m, at))?),
                };
                Ok(Val::derived(k, &[&v]))
            }
            Expression::BinaryOp(b) => {
                let l = self.eval(env, &b.lhs_expr)?;
                let r = self.eval(env, &b.rhs_expr)?;
                binary(*b.operator.value(), &l, &r).map_err(|m| fail(m, at))
            }
            Expression::ForExpr(f) => self.for_expr(env, f, at),
            Expression::FuncCall(c) => self.call(env, c, at),
        }
    }

    // ------------------------------------------------------------------ templates

    fn template(&self, env: &Env, t: &Template, at: Option<Src>) -> R {
        // a template that is one interpolation (`"${var.x}"`) is that value, unconverted
        let elems: Vec<&Element> = t.iter().collect();
        if let [Element::Interpolation(i)] = elems.as_slice() {
            return self.eval(env, &i.expr);
        }
        let mut out = String::new();
        let mut unknown: Option<Val> = None;
        let mut parts: Vec<Val> = Vec::new();
        self.render(env, t, &mut out, &mut unknown, &mut parts, &mut false)?;
        let refs: Vec<&Val> = parts.iter().collect();
        if let Some(u) = unknown {
            let mut v = Val::unknown_from(&u, &refs);
            v.pattern = pattern(t, &parts).map(Into::into);
            return Ok(v);
        }
        let mut v = Val::derived(Kind::Str(out), &refs);
        if let Some(s) = at {
            v.src = Some(s);
        }
        Ok(v)
    }

    fn render(
        &self,
        env: &Env,
        t: &Template,
        out: &mut String,
        unknown: &mut Option<Val>,
        parts: &mut Vec<Val>,
        strip_next: &mut bool,
    ) -> Result<(), super::scope::Fail> {
        for el in t.iter() {
            match el {
                Element::Literal(s) => {
                    let text = s.value().as_str();
                    if *strip_next {
                        out.push_str(text.trim_start());
                    } else {
                        out.push_str(text);
                    }
                    *strip_next = false;
                }
                Element::Interpolation(i) => {
                    if i.strip.strip_start() {
                        trim_end(out);
                    }
                    let v = self.eval(env, &i.expr)?;
                    if v.is_unknown() {
                        unknown.get_or_insert(v.clone());
                    } else {
                        out.push_str(&v.as_string().map_err(|m| {
                            fail(format!("in a template: {m}"), Self::src(env, &i.expr))
                        })?);
                    }
                    parts.push(v);
                    *strip_next = i.strip.strip_end();
                }
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(ifd) => {
                        if ifd.if_expr.strip.strip_start() {
                            trim_end(out);
                        }
                        let c = self.eval(env, &ifd.if_expr.cond_expr)?;
                        if c.is_unknown() {
                            unknown.get_or_insert(c.clone());
                            parts.push(c);
                        } else {
                            let b = c
                                .as_bool()
                                .map_err(|m| fail(m, Self::src(env, &ifd.if_expr.cond_expr)))?;
                            *strip_next = ifd.if_expr.strip.strip_end();
                            if b {
                                self.render(
                                    env,
                                    &ifd.if_expr.template,
                                    out,
                                    unknown,
                                    parts,
                                    strip_next,
                                )?;
                            } else if let Some(e) = &ifd.else_expr {
                                *strip_next = e.strip.strip_end();
                                self.render(env, &e.template, out, unknown, parts, strip_next)?;
                            }
                        }
                        if ifd.endif_expr.strip.strip_start() {
                            trim_end(out);
                        }
                        *strip_next = ifd.endif_expr.strip.strip_end();
                    }
                    Directive::For(fd) => {
                        let fe = &fd.for_expr;
                        if fe.strip.strip_start() {
                            trim_end(out);
                        }
                        let coll = self.eval(env, &fe.collection_expr)?;
                        let items = match iterate(&coll) {
                            Ok(Some(items)) => items,
                            Ok(None) => {
                                unknown.get_or_insert(coll.clone());
                                parts.push(coll);
                                Vec::new()
                            }
                            Err(m) => return Err(fail(m, Self::src(env, &fe.collection_expr))),
                        };
                        for (k, v) in items {
                            let mut e = env.bind(fe.value_var.as_str(), v);
                            if let Some(kv) = &fe.key_var {
                                e = e.bind(kv.as_str(), k);
                            }
                            *strip_next = fe.strip.strip_end();
                            self.render(&e, &fe.template, out, unknown, parts, strip_next)?;
                            if fd.endfor_expr.strip.strip_start() {
                                trim_end(out);
                            }
                        }
                        *strip_next = fd.endfor_expr.strip.strip_end();
                    }
                },
            }
        }
        Ok(())
    }

    // ------------------------------------------------------------------ references

    /// A bare name: a `for` / iterator binding, or a namespace used without a traversal.
    fn head_value(&self, env: &Env, name: &str, at: Option<Src>) -> R {
        if let Some(v) = env.lookup(name) {
            return Ok(v.clone());
        }
        match name {
            "self" => Ok(Val::unknown(
                "`self` is not known to a configuration-only check",
            )),
            _ => Err(fail(
                format!("`{name}` is not a value (a reference needs an attribute)"),
                at,
            )),
        }
    }

    fn traversal(&self, env: &Env, t: &Traversal) -> R {
        let at = Self::src(env, t);
        let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| o.value()).collect();
        let (base, used) = match &t.expr {
            Expression::Variable(v) if env.lookup(v.as_str()).is_none() => {
                self.head(env, v.as_str(), &ops, at)?
            }
            other => (self.eval(env, other)?, 0),
        };
        self.apply(env, base, &ops[used..], at)
    }

    /// Resolve the namespace a traversal starts with; returns the value and how many operators
    /// it consumed.
    fn head(
        &self,
        env: &Env,
        name: &str,
        ops: &[&TraversalOperator],
        at: Option<Src>,
    ) -> Result<(Val, usize), super::scope::Fail> {
        let attr = |i: usize| match ops.get(i) {
            Some(TraversalOperator::GetAttr(a)) => Some(a.as_str()),
            _ => None,
        };
        match name {
            "var" => {
                let n = attr(0).ok_or_else(|| fail("`var` needs a variable name", at))?;
                match self.var(env.scope, n) {
                    Some(v) => Ok((v, 1)),
                    None => Err(fail(format!("variable `{n}` is not declared"), at)),
                }
            }
            "local" => {
                let n = attr(0).ok_or_else(|| fail("`local` needs a name", at))?;
                Ok((self.local(env.scope, n, at)?, 1))
            }
            "count" => match (attr(0), &env.count) {
                (Some("index"), Some(v)) => Ok((v.clone(), 1)),
                _ => Err(fail(
                    "`count.index` is only available in a block with `count`",
                    at,
                )),
            },
            "each" => match (attr(0), &env.each) {
                (Some("key"), Some(e)) => Ok((e.0.clone(), 1)),
                (Some("value"), Some(e)) => Ok((e.1.clone(), 1)),
                _ => Err(fail(
                    "`each` is only available in a block with `for_each`",
                    at,
                )),
            },
            "path" => {
                let which = attr(0).ok_or_else(|| fail("`path` needs an attribute", at))?;
                let root = self.defs[0].display.clone();
                let v = match which {
                    "root" | "cwd" => Val::str(root),
                    "module" if env.scope != usize::MAX => {
                        let sc = self.scope(env.scope);
                        Val::str(self.def(&sc).display.clone())
                    }
                    _ => return Err(fail(format!("unknown attribute path.{which}"), at)),
                };
                Ok((v, 1))
            }
            "terraform" => match attr(0) {
                Some("workspace") => Ok((Val::str("default"), 1)),
                _ => Ok((
                    Val::unknown("`terraform.*` is not known to a configuration-only check"),
                    1,
                )),
            },
            "self" => Ok((
                Val::unknown("`self` is not known to a configuration-only check"),
                0,
            )),
            "module" => self.module_ref(env, ops, at),
            "data" => {
                let (Some(t), Some(n)) = (attr(0), attr(1)) else {
                    return Err(fail("`data` needs a type and a name", at));
                };
                let (v, read) = self.resource_ref(env.scope, true, t, n, attr(2), at)?;
                Ok((v, 2 + usize::from(read)))
            }
            // `resource.TYPE.NAME`: the explicit form of a managed resource reference
            "resource" => {
                let (Some(t), Some(n)) = (attr(0), attr(1)) else {
                    return Err(fail("`resource` needs a type and a name", at));
                };
                let (v, read) = self.resource_ref(env.scope, false, t, n, attr(2), at)?;
                Ok((v, 2 + usize::from(read)))
            }
            rtype => {
                let n = attr(0).ok_or_else(|| fail(format!("`{rtype}` is not a value"), at))?;
                let (v, read) = self.resource_ref(env.scope, false, rtype, n, attr(1), at)?;
                Ok((v, 1 + usize::from(read)))
            }
        }
    }

    /// `module.NAME[.OUTPUT]`, `module.NAME[KEY][.OUTPUT]`.
    fn module_ref(
        &self,
        env: &Env,
        ops: &[&TraversalOperator],
        at: Option<Src>,
    ) -> Result<(Val, usize), super::scope::Fail> {
        let Some(TraversalOperator::GetAttr(call)) = ops.first() else {
            return Err(fail("`module` needs a module name", at));
        };
        let idx = self
            .call_index(env.scope, call.as_str())
            .ok_or_else(|| fail(format!("module.{} is not declared", call.as_str()), at))?;
        let x = self.call_expansion(env.scope, idx);
        if let Some(u) = &x.unknown {
            return Ok((u.clone(), 1));
        }
        use super::scope::Repeat;
        match (x.repeat, ops.get(1), ops.get(2)) {
            (Repeat::Single, Some(TraversalOperator::GetAttr(out)), _) => {
                let s = x.scopes.first().map(|s| s.1);
                match s {
                    Some(s) => Ok((self.output(s, out.as_str(), at)?, 2)),
                    None => Ok((
                        Val::unknown(format!("module.{} has no instance", call.as_str())),
                        2,
                    )),
                }
            }
            (
                Repeat::Count | Repeat::ForEach,
                Some(TraversalOperator::Index(k)),
                Some(TraversalOperator::GetAttr(out)),
            ) => {
                let kv = self.eval(env, k)?;
                if kv.is_unknown() {
                    return Ok((Val::unknown_from(&kv, &[]), 3));
                }
                let key = index_key(&kv).map_err(|m| fail(m, at))?;
                match x.scopes.iter().find(|(k, _)| k.as_ref() == Some(&key)) {
                    Some((_, s)) => Ok((self.output(*s, out.as_str(), at)?, 3)),
                    None => Err(fail(
                        format!("module.{} has no instance {key}", call.as_str()),
                        at,
                    )),
                }
            }
            (repeat, _, _) => {
                let v = match repeat {
                    Repeat::Single => x
                        .scopes
                        .first()
                        .map(|s| self.outputs(s.1))
                        .unwrap_or_else(Val::null),
                    Repeat::Count => {
                        Val::list(x.scopes.iter().map(|s| self.outputs(s.1)).collect())
                    }
                    Repeat::ForEach => Val::map(
                        x.scopes
                            .iter()
                            .filter_map(|(k, s)| match k {
                                Some(IndexKey::Str(k)) => Some((k.clone(), self.outputs(*s))),
                                _ => None,
                            })
                            .collect(),
                    ),
                };
                Ok((v, 1))
            }
        }
    }

    /// Apply traversal operators (attributes, indexes, splats).
    fn apply(&self, env: &Env, mut v: Val, ops: &[&TraversalOperator], at: Option<Src>) -> R {
        let mut i = 0;
        while i < ops.len() {
            match ops[i] {
                TraversalOperator::GetAttr(a) => {
                    v = get_attr(v, a.as_str()).map_err(|m| fail(m, at))?
                }
                TraversalOperator::Index(k) => {
                    let kv = self.eval(env, k)?;
                    v = index(v, &kv).map_err(|m| fail(m, at))?;
                }
                TraversalOperator::LegacyIndex(n) => {
                    v = index(v, &Val::num(*n.value() as f64)).map_err(|m| fail(m, at))?;
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let full = matches!(ops[i], TraversalOperator::FullSplat(_));
                    // the operators the splat applies to each element
                    let mut j = i + 1;
                    while j < ops.len() && (full || matches!(ops[j], TraversalOperator::GetAttr(_)))
                    {
                        j += 1;
                    }
                    let each = &ops[i + 1..j];
                    let items = match &v.kind {
                        Kind::Unknown(_) => return Ok(Val::unknown_from(&v, &[])),
                        Kind::Null => Vec::new(),
                        Kind::List(l) => l.to_vec(),
                        _ => vec![v.clone()],
                    };
                    let mut out = Vec::with_capacity(items.len());
                    for x in items {
                        out.push(self.apply(env, x, each, at)?);
                    }
                    v = Val::list(out);
                    i = j;
                    continue;
                }
            }
            i += 1;
        }
        Ok(v)
    }

    // ------------------------------------------------------------------ for, calls

    fn for_expr(&self, env: &Env, f: &ForExpr, at: Option<Src>) -> R {
        let coll = self.eval(env, &f.intro.collection_expr)?;
        let items = match iterate(&coll) {
            Ok(Some(items)) => items,
            Ok(None) => return Ok(Val::unknown_from(&coll, &[])),
            Err(m) => return Err(fail(m, at)),
        };
        let mut list = Vec::new();
        let mut map: BTreeMap<String, Val> = BTreeMap::new();
        let mut groups: BTreeMap<String, Vec<Val>> = BTreeMap::new();
        for (k, v) in items {
            let mut e = env.bind(f.intro.value_var.as_str(), v);
            if let Some(kv) = &f.intro.key_var {
                e = e.bind(kv.as_str(), k);
            }
            if let Some(c) = &f.cond {
                let cv = self.eval(&e, &c.expr)?;
                if cv.is_unknown() {
                    return Ok(Val::unknown_from(&cv, &[]));
                }
                if !cv
                    .as_bool()
                    .map_err(|m| fail(format!("`if` condition: {m}"), at))?
                {
                    continue;
                }
            }
            let value = self.eval(&e, &f.value_expr)?;
            match &f.key_expr {
                None => list.push(value),
                Some(ke) => {
                    let kv = self.eval(&e, ke)?;
                    if kv.is_unknown() {
                        return Ok(Val::unknown_from(&kv, &[]));
                    }
                    let key = kv
                        .as_string()
                        .map_err(|m| fail(format!("object key: {m}"), at))?;
                    if f.grouping {
                        groups.entry(key).or_default().push(value);
                    } else if map.insert(key.clone(), value).is_some() {
                        return Err(fail(
                            format!(
                                "duplicate object key `{key}` in a for expression (use `...` to group)"
                            ),
                            at,
                        ));
                    }
                }
            }
        }
        Ok(match (&f.key_expr, f.grouping) {
            (None, _) => Val::list(list),
            (Some(_), true) => {
                Val::map(groups.into_iter().map(|(k, v)| (k, Val::list(v))).collect())
            }
            (Some(_), false) => Val::map(map),
        })
    }

    fn call(&self, env: &Env, c: &FuncCall, at: Option<Src>) -> R {
        let name = c.name.name.as_str();
        if c.name.is_namespaced() {
            let full = c
                .name
                .namespace
                .iter()
                .map(|n| n.as_str())
                .chain([name])
                .collect::<Vec<_>>()
                .join("::");
            return Ok(self.unsupported(&format!("{full}()"), at));
        }
        match name {
            // errors are values here, so an argument that fails is simply passed over
            "try" => {
                for a in c.args.iter() {
                    if let Ok(v) = self.eval(env, a) {
                        return Ok(v);
                    }
                }
                return Err(fail("try(): no argument could be evaluated", at));
            }
            "can" => {
                let r = c.args.iter().next().map(|a| self.eval(env, a));
                return Ok(match r {
                    Some(Ok(v)) if v.has_unknown() => Val::unknown_from(&v, &[]),
                    Some(Ok(_)) => Val::bool(true),
                    _ => Val::bool(false),
                });
            }
            _ => {}
        }
        let mut args = Vec::new();
        for a in c.args.iter() {
            args.push(self.eval(env, a)?);
        }
        if c.args.expand_final() {
            if let Some(last) = args.pop() {
                match last.kind {
                    Kind::List(l) => args.extend(l.iter().cloned()),
                    Kind::Unknown(_) => return Ok(Val::unknown_from(&last, &[])),
                    _ => return Err(fail(format!("{name}(…): `...` needs a list"), at)),
                }
            }
        }
        if funcs::NAMES.contains(&name) {
            return funcs::call(name, args).map_err(|m| fail(m, at));
        }
        let mut v = self.unsupported(&format!("{name}()"), at);
        for a in &args {
            v.absorb(a);
        }
        Ok(v)
    }

    /// A function this reader does not implement: the value is unknown, and said so once per
    /// place.
    fn unsupported(&self, what: &str, at: Option<Src>) -> Val {
        let why = format!("function {what} is not evaluated by aks-preflight's HCL reader");
        self.note(
            "INP031",
            format!("{why}: values computed with it are unknown"),
            at,
        );
        Val::unknown(why)
    }
}

/// The text of a template with `*` for each unknown interpolation; `None` with directives or
/// strip markers (the text would not be the value's).
fn pattern(t: &Template, parts: &[Val]) -> Option<String> {
    let mut out = String::new();
    let mut vals = parts.iter();
    for el in t.iter() {
        match el {
            Element::Literal(s) => out.push_str(s.value()),
            Element::Interpolation(i) => {
                if i.strip.strip_start() || i.strip.strip_end() {
                    return None;
                }
                let v = vals.next()?;
                if v.is_unknown() {
                    out.push('*');
                } else {
                    out.push_str(&v.as_string().ok()?);
                }
            }
            Element::Directive(_) => return None,
        }
    }
    Some(out)
}

fn trim_end(s: &mut String) {
    let n = s.trim_end().len();
    s.truncate(n);
}

/// The (key, value) pairs a `for` iterates (`None`: the collection is unknown).
fn iterate(coll: &Val) -> Result<Option<Vec<(Val, Val)>>, String> {
    match &coll.kind {
        Kind::Unknown(_) => Ok(None),
        Kind::List(l) => Ok(Some(
            l.iter()
                .enumerate()
                .map(|(i, x)| (Val::num(i as f64), x.clone()))
                .collect(),
        )),
        Kind::Map(m) => Ok(Some(
            m.iter()
                .map(|(k, x)| (Val::str(k.clone()), x.clone()))
                .collect(),
        )),
        Kind::Null => Err("cannot iterate over null".into()),
        _ => Err(format!("cannot iterate over a {}", coll.type_name())),
    }
}

fn index_key(k: &Val) -> Result<IndexKey, String> {
    match &k.kind {
        Kind::Num(n) => Ok(IndexKey::Int(*n as i64)),
        Kind::Str(s) => Ok(IndexKey::Str(s.clone())),
        _ => Err(format!("a {} is not an instance key", k.type_name())),
    }
}

/// `v.name`
fn get_attr(v: Val, name: &str) -> Result<Val, String> {
    match &v.kind {
        Kind::Map(m) => match m.get(name) {
            Some(x) => Ok(x.clone()),
            None => match &v.at {
                Some(t) => Ok(super::scope::after_apply(
                    t.child(Step::Name(name.to_string())),
                )),
                None => Err(format!("the object has no attribute `{name}`")),
            },
        },
        Kind::Unknown(_) => Ok(extend_unknown(v, Step::Name(name.to_string()))),
        Kind::Null => Err(format!("cannot read attribute `{name}` of null")),
        _ => Err(format!("a {} has no attribute `{name}`", v.type_name())),
    }
}

/// An unknown value, traversed: a resource attribute path gets longer.
fn extend_unknown(v: Val, step: Step) -> Val {
    match &v.at {
        Some(t) => {
            let t = t.child(step);
            let mut u = Val::unknown(format!("{} is known only after apply", t.render()));
            let rc = Rc::new(t);
            u.refs = vec![rc.clone()];
            u.at = Some(rc);
            u.sensitive = v.sensitive;
            u
        }
        None => v,
    }
}

/// `v[k]`
fn index(v: Val, k: &Val) -> Result<Val, String> {
    if k.is_unknown() {
        let mut u = Val::unknown_from(k, &[]);
        u.absorb(&v);
        return Ok(u);
    }
    match &v.kind {
        Kind::List(l) => {
            let i = k.as_int()?;
            match usize::try_from(i).ok().and_then(|i| l.get(i)) {
                Some(x) => Ok(x.clone()),
                None => Err(format!(
                    "index {i} is out of range (the list has {} elements)",
                    l.len()
                )),
            }
        }
        Kind::Map(_) => {
            let key = k.as_string()?;
            get_attr(v, &key)
        }
        Kind::Unknown(_) => {
            let step = match &k.kind {
                Kind::Num(n) => Step::Index(IndexKey::Int(*n as i64)),
                _ => Step::Index(IndexKey::Str(k.as_string()?)),
            };
            Ok(extend_unknown(v, step))
        }
        Kind::Null => Err("cannot index null".into()),
        _ => Err(format!("cannot index a {}", v.type_name())),
    }
}

fn binary(op: BinaryOperator, l: &Val, r: &Val) -> Result<Val, String> {
    use BinaryOperator as B;
    // as in Terraform, a value that is not itself unknown (an object with unknown attributes)
    // is known not to be null
    if matches!(op, B::Eq | B::NotEq)
        && (l.is_null() || r.is_null())
        && !l.is_unknown()
        && !r.is_unknown()
    {
        let eq = l.is_null() && r.is_null();
        return Ok(Val::derived(Kind::Bool(eq == matches!(op, B::Eq)), &[l, r]));
    }
    if l.has_unknown() || r.has_unknown() {
        let cause = if l.has_unknown() { l } else { r };
        return Ok(Val::unknown_from(cause, &[l, r]));
    }
    let k = match op {
        B::Eq => Kind::Bool(l.equals(r).unwrap_or(false)),
        B::NotEq => Kind::Bool(!l.equals(r).unwrap_or(false)),
        B::And => Kind::Bool(l.as_bool()? && r.as_bool()?),
        B::Or => Kind::Bool(l.as_bool()? || r.as_bool()?),
        B::Less => Kind::Bool(l.as_num()? < r.as_num()?),
        B::LessEq => Kind::Bool(l.as_num()? <= r.as_num()?),
        B::Greater => Kind::Bool(l.as_num()? > r.as_num()?),
        B::GreaterEq => Kind::Bool(l.as_num()? >= r.as_num()?),
        B::Plus => Kind::Num(l.as_num()? + r.as_num()?),
        B::Minus => Kind::Num(l.as_num()? - r.as_num()?),
        B::Mul => Kind::Num(l.as_num()? * r.as_num()?),
        B::Div => {
            let d = r.as_num()?;
            if d == 0.0 {
                return Err("division by zero".into());
            }
            Kind::Num(l.as_num()? / d)
        }
        B::Mod => {
            let d = r.as_num()?;
            if d == 0.0 {
                return Err("modulo by zero".into());
            }
            Kind::Num(l.as_num()? % d)
        }
    };
    Ok(Val::derived(k, &[l, r]))
}

/// The references an expression makes, as Terraform writes them in plan JSON
/// (`azurerm_subnet.nodes["a"].id`, `var.x`, `module.net.ids`), for messages.
pub(crate) fn references(e: &Expression) -> Vec<String> {
    let mut out = Vec::new();
    collect_refs(e, &mut Vec::new(), &mut out);
    out
}

fn collect_refs(e: &Expression, bound: &mut Vec<String>, out: &mut Vec<String>) {
    let push = |s: String, out: &mut Vec<String>| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    match e {
        Expression::Variable(v) => {
            let n = v.as_str();
            if !bound.iter().any(|b| b == n) && !matches!(n, "count" | "each" | "self") {
                push(n.to_string(), out);
            }
        }
        Expression::Traversal(t) => {
            if let Expression::Variable(v) = &t.expr {
                let n = v.as_str();
                if !bound.iter().any(|b| b == n)
                    && !matches!(n, "count" | "each" | "path" | "terraform" | "self")
                {
                    // `resource.TYPE.NAME` is written as plans write it: `TYPE.NAME`
                    let explicit = n == "resource";
                    let mut s = if explicit {
                        String::new()
                    } else {
                        n.to_string()
                    };
                    let min = match n {
                        "data" | "resource" => 3,
                        "module" | "var" | "local" => 2,
                        _ => 2,
                    };
                    let mut steps = 1;
                    for op in &t.operators {
                        match op.value() {
                            TraversalOperator::GetAttr(a) => {
                                if !s.is_empty() {
                                    s.push('.');
                                }
                                s.push_str(a.as_str());
                            }
                            TraversalOperator::Index(Expression::Number(x)) => {
                                s.push_str(&format!(
                                    "[{}]",
                                    fmt_num(x.value().as_f64().unwrap_or(0.0))
                                ));
                            }
                            TraversalOperator::Index(Expression::String(x)) => {
                                s.push_str(&format!("[{:?}]", x.value().as_str()));
                            }
                            TraversalOperator::LegacyIndex(x) => {
                                s.push_str(&format!("[{}]", x.value()));
                            }
                            _ => break,
                        }
                        steps += 1;
                    }
                    if steps >= min {
                        push(s, out);
                    }
                }
            } else {
                collect_refs(&t.expr, bound, out);
            }
            for op in &t.operators {
                if let TraversalOperator::Index(x) = op.value() {
                    collect_refs(x, bound, out);
                }
            }
        }
        Expression::Array(a) => a.iter().for_each(|x| collect_refs(x, bound, out)),
        Expression::Object(o) => {
            for (k, v) in o.iter() {
                if let ObjectKey::Expression(ke) = k {
                    if !matches!(ke, Expression::Variable(_)) {
                        collect_refs(ke, bound, out);
                    }
                }
                collect_refs(v.expr(), bound, out);
            }
        }
        Expression::StringTemplate(t) => template_refs(t, bound, out),
        Expression::HeredocTemplate(h) => template_refs(&h.template, bound, out),
        Expression::Parenthesis(p) => collect_refs(p.inner(), bound, out),
        Expression::Conditional(c) => {
            collect_refs(&c.cond_expr, bound, out);
            collect_refs(&c.true_expr, bound, out);
            collect_refs(&c.false_expr, bound, out);
        }
        Expression::FuncCall(c) => c.args.iter().for_each(|x| collect_refs(x, bound, out)),
        Expression::UnaryOp(u) => collect_refs(&u.expr, bound, out),
        Expression::BinaryOp(b) => {
            collect_refs(&b.lhs_expr, bound, out);
            collect_refs(&b.rhs_expr, bound, out);
        }
        Expression::ForExpr(f) => {
            collect_refs(&f.intro.collection_expr, bound, out);
            let n = bound.len();
            bound.push(f.intro.value_var.as_str().to_string());
            if let Some(k) = &f.intro.key_var {
                bound.push(k.as_str().to_string());
            }
            if let Some(k) = &f.key_expr {
                collect_refs(k, bound, out);
            }
            collect_refs(&f.value_expr, bound, out);
            if let Some(c) = &f.cond {
                collect_refs(&c.expr, bound, out);
            }
            bound.truncate(n);
        }
        _ => {}
    }
}

fn template_refs(t: &Template, bound: &mut Vec<String>, out: &mut Vec<String>) {
    for el in t.iter() {
        match el {
            Element::Interpolation(i) => collect_refs(&i.expr, bound, out),
            Element::Directive(d) => match d.as_ref() {
                Directive::If(i) => {
                    collect_refs(&i.if_expr.cond_expr, bound, out);
                    template_refs(&i.if_expr.template, bound, out);
                    if let Some(e) = &i.else_expr {
                        template_refs(&e.template, bound, out);
                    }
                }
                Directive::For(f) => {
                    collect_refs(&f.for_expr.collection_expr, bound, out);
                    let n = bound.len();
                    bound.push(f.for_expr.value_var.as_str().to_string());
                    if let Some(k) = &f.for_expr.key_var {
                        bound.push(k.as_str().to_string());
                    }
                    template_refs(&f.for_expr.template, bound, out);
                    bound.truncate(n);
                }
            },
            Element::Literal(_) => {}
        }
    }
}
