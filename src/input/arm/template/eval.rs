//! The expression evaluator: walks a parsed [`Expr`] against an [`Env`] (the template around
//! it: parameters, variables, copy loops, the deployment's scope, declared resources).
//!
//! Unknown values propagate: a function of an unknown argument is unknown with the same reason,
//! except where the answer does not depend on it (`and(false, x)`, `length` of an array whose
//! elements are unknown, the untaken branch of `if`). Functions aks-preflight does not implement
//! give an unknown value naming the function, never an error.

use super::expr::{self, Expr, ParseError, Pos};
use super::functions;
use super::scope::{self, Context};
use super::value::{Lambda, Obj, Unknown, Val};
use crate::source::ptr_seg;
use std::sync::Arc;

/// Why an expression could not be evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalError {
    pub kind: ErrorKind,
    pub message: String,
    /// Byte offset in the string value, when the error is in an expression.
    pub at: Option<Pos>,
    /// Path from the evaluated JSON value to the string that failed, innermost last.
    pub path: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The template is invalid: Azure rejects it (a syntax error, an undeclared parameter or
    /// variable, a wrong number of arguments).
    Invalid,
    /// A function got a value it cannot work with; what depends on it is unknown.
    Runtime,
}

impl EvalError {
    pub fn invalid(message: impl Into<String>) -> EvalError {
        EvalError {
            kind: ErrorKind::Invalid,
            message: message.into(),
            at: None,
            path: vec![],
        }
    }
    pub fn runtime(message: impl Into<String>) -> EvalError {
        EvalError {
            kind: ErrorKind::Runtime,
            message: message.into(),
            at: None,
            path: vec![],
        }
    }
    fn at(mut self, pos: Pos) -> EvalError {
        self.at.get_or_insert(pos);
        self
    }
    /// Record that the error is inside property/element `seg` (called while unwinding).
    pub fn inside(mut self, seg: impl Into<String>) -> EvalError {
        self.path.insert(0, seg.into());
        self
    }
    /// The JSON pointer suffix (`/properties/subnets/0/name`) of the failing string.
    pub fn pointer(&self) -> String {
        let mut s = String::new();
        for seg in &self.path {
            s.push('/');
            s.push_str(&ptr_seg(seg));
        }
        s
    }
}

impl From<ParseError> for EvalError {
    fn from(e: ParseError) -> EvalError {
        EvalError {
            kind: ErrorKind::Invalid,
            message: format!("invalid expression: {}", e.message),
            at: Some(e.at),
            path: vec![],
        }
    }
}

/// A user-defined function (`functions` of a template, or Bicep's `__bicep` namespace).
#[derive(Debug, Clone)]
pub struct UserFunction<'t> {
    pub params: Vec<String>,
    pub output: &'t serde_json::Value,
}

/// What an expression can see of the template around it.
pub trait Env {
    fn parameter(&self, name: &str) -> Result<Val, EvalError>;
    fn variable(&self, name: &str) -> Result<Val, EvalError>;
    /// A parameter's value without copying it (`parameters('rules')[copyIndex()].name` reads
    /// one element of what may be a large array).
    fn parameter_shared(&self, name: &str) -> Result<Arc<Val>, EvalError> {
        self.parameter(name).map(Arc::new)
    }
    /// A variable's value without copying it.
    fn variable_shared(&self, name: &str) -> Result<Arc<Val>, EvalError> {
        self.variable(name).map(Arc::new)
    }
    /// `copyIndex()` (innermost resource loop) or `copyIndex('name')`.
    fn copy_index(&self, loop_name: Option<&str>) -> Result<i64, EvalError>;
    /// The deployment's subscription, resource group, location and name.
    fn context(&self) -> &Context;
    /// `reference(target, [apiVersion], ['Full'])`.
    fn reference(
        &self,
        target: &Val,
        api_version: Option<&str>,
        full: bool,
    ) -> Result<Val, EvalError>;
    /// `references('loopSymbol', ['Full'])` (languageVersion 2.0).
    fn references(&self, symbol: &str, _full: bool) -> Result<Val, EvalError> {
        Ok(Val::unknown(format!(
            "references('{symbol}') reads deployed resources, which are known only after deployment"
        )))
    }
    /// `resourceInfo('symbol')` (languageVersion 2.0): id, name, type, apiVersion.
    fn resource_info(&self, symbol: &str) -> Result<Val, EvalError> {
        Err(EvalError::invalid(format!(
            "resourceInfo('{symbol}'): no resource with that symbolic name"
        )))
    }
    fn user_function(&self, namespace: &str, name: &str) -> Option<UserFunction<'_>>;
    /// Parse an expression string (the expander caches parses).
    fn parse(&self, s: &str) -> Result<Arc<Expr>, ParseError> {
        expr::parse_expression(s).map(Arc::new)
    }
    /// A runtime error in one string of a JSON value: by default it stops the evaluation; the
    /// expander records it and goes on with an unknown value.
    fn on_runtime_error(&self, e: EvalError) -> Result<Val, EvalError> {
        Err(e)
    }
}

/// Lambda variables in scope.
pub type Locals = [(String, Val)];

/// Evaluate a JSON value of the template: strings that are expressions are evaluated, `[[`
/// escapes are undone, objects with a `copy` array expand their property loops. A runtime error
/// in one string goes to [`Env::on_runtime_error`] (the expander turns it into an unknown value
/// and a note); an invalid template is an error.
pub fn eval_json(v: &serde_json::Value, env: &dyn Env) -> Result<Val, EvalError> {
    let mut path = vec![];
    walk(v, env, &mut path)
}

fn walk(v: &serde_json::Value, env: &dyn Env, path: &mut Vec<String>) -> Result<Val, EvalError> {
    match v {
        serde_json::Value::String(s) => match eval_string(s, env) {
            Ok(v) => Ok(v),
            Err(mut e) => {
                e.path.splice(0..0, path.iter().cloned());
                match e.kind {
                    ErrorKind::Runtime => env.on_runtime_error(e),
                    ErrorKind::Invalid => Err(e),
                }
            }
        },
        serde_json::Value::Array(a) => {
            let mut out = Vec::with_capacity(a.len());
            for (i, x) in a.iter().enumerate() {
                path.push(i.to_string());
                let r = walk(x, env, path);
                path.pop();
                out.push(r?);
            }
            Ok(Val::Array(out))
        }
        serde_json::Value::Object(o) => {
            let mut out = Obj::new();
            for (k, x) in o {
                if k == "copy" && is_property_loops(x) {
                    continue;
                }
                path.push(k.clone());
                let r = walk(x, env, path);
                path.pop();
                out.insert(k.clone(), r?);
            }
            if let Some(loops) = o.get("copy").filter(|x| is_property_loops(x)) {
                for (i, l) in loops.as_array().into_iter().flatten().enumerate() {
                    path.push("copy".into());
                    path.push(i.to_string());
                    let r = property_loop(l, env, path);
                    path.truncate(path.len() - 2);
                    let (name, items) = r?;
                    out.insert(name, items);
                }
            }
            Ok(Val::Object(out))
        }
        other => Ok(Val::from_json(other)),
    }
}

/// `copy: [{name, count, input}]` inside an object: property (or variable) loops.
pub fn is_property_loops(v: &serde_json::Value) -> bool {
    v.as_array().is_some_and(|a| {
        !a.is_empty()
            && a.iter().all(|l| {
                l.get("name").is_some_and(serde_json::Value::is_string) && l.get("count").is_some()
            })
    })
}

/// One property (or variable) loop: its name and the array it produces.
pub fn eval_property_loop(
    l: &serde_json::Value,
    env: &dyn Env,
) -> Result<(String, Val), EvalError> {
    property_loop(l, env, &mut vec![])
}

fn property_loop(
    l: &serde_json::Value,
    env: &dyn Env,
    path: &mut Vec<String>,
) -> Result<(String, Val), EvalError> {
    let name = l
        .get("name")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_string();
    path.push("count".into());
    let count = walk(
        l.get("count").unwrap_or(&serde_json::Value::Null),
        env,
        path,
    );
    let count_path = path.clone();
    path.pop();
    let located = |e: EvalError| {
        let mut e = e;
        e.path = count_path.clone();
        e
    };
    let count = match count? {
        Val::Int(n) if n >= 0 => n,
        Val::Unknown(u) => {
            return Ok((
                name.clone(),
                Val::Unknown(Unknown::new(format!(
                    "the number of '{name}' items is unknown: {}",
                    u.reason
                ))),
            ));
        }
        other => {
            let e = located(EvalError::runtime(format!(
                "the count of copy loop '{name}' is {} of type {}, not a non-negative integer",
                other.to_text().unwrap_or_default(),
                other.type_name()
            )));
            return env.on_runtime_error(e).map(|v| (name, v));
        }
    };
    if count > MAX_COPY {
        return Err(located(EvalError::invalid(format!(
            "copy loop '{name}' has {count} iterations; Azure allows at most {MAX_COPY}"
        ))));
    }
    let input = l.get("input").unwrap_or(&serde_json::Value::Null);
    let mut items = Vec::with_capacity(count as usize);
    path.push("input".into());
    for i in 0..count {
        let inner = LoopEnv {
            inner: env,
            name: &name,
            index: i,
        };
        match walk(input, &inner, path) {
            Ok(v) => items.push(v),
            Err(e) => {
                path.pop();
                return Err(e);
            }
        }
    }
    path.pop();
    Ok((name, Val::Array(items)))
}

/// Azure's limit on copy loop iterations.
pub const MAX_COPY: i64 = 800;

/// An environment with one more named loop index.
pub struct LoopEnv<'a> {
    pub inner: &'a dyn Env,
    pub name: &'a str,
    pub index: i64,
}

impl Env for LoopEnv<'_> {
    fn parameter(&self, name: &str) -> Result<Val, EvalError> {
        self.inner.parameter(name)
    }
    fn variable(&self, name: &str) -> Result<Val, EvalError> {
        self.inner.variable(name)
    }
    fn parameter_shared(&self, name: &str) -> Result<Arc<Val>, EvalError> {
        self.inner.parameter_shared(name)
    }
    fn variable_shared(&self, name: &str) -> Result<Arc<Val>, EvalError> {
        self.inner.variable_shared(name)
    }
    fn copy_index(&self, loop_name: Option<&str>) -> Result<i64, EvalError> {
        match loop_name {
            Some(n) if n.eq_ignore_ascii_case(self.name) => Ok(self.index),
            _ => self.inner.copy_index(loop_name),
        }
    }
    fn context(&self) -> &Context {
        self.inner.context()
    }
    fn reference(&self, t: &Val, api: Option<&str>, full: bool) -> Result<Val, EvalError> {
        self.inner.reference(t, api, full)
    }
    fn references(&self, symbol: &str, full: bool) -> Result<Val, EvalError> {
        self.inner.references(symbol, full)
    }
    fn resource_info(&self, symbol: &str) -> Result<Val, EvalError> {
        self.inner.resource_info(symbol)
    }
    fn user_function(&self, ns: &str, name: &str) -> Option<UserFunction<'_>> {
        self.inner.user_function(ns, name)
    }
    fn parse(&self, s: &str) -> Result<Arc<Expr>, ParseError> {
        self.inner.parse(s)
    }
    fn on_runtime_error(&self, e: EvalError) -> Result<Val, EvalError> {
        self.inner.on_runtime_error(e)
    }
}

/// A JSON string: an expression, an escaped literal or a plain literal.
pub fn eval_string(s: &str, env: &dyn Env) -> Result<Val, EvalError> {
    if !expr::is_expression(s) {
        return Ok(Val::Str(expr::literal(s).to_string()));
    }
    let e = env.parse(s)?;
    eval(&e, env, &[])
}

/// Evaluate a parsed expression.
pub fn eval(e: &Expr, env: &dyn Env, locals: &Locals) -> Result<Val, EvalError> {
    match e {
        Expr::Str(s, _) => Ok(Val::Str(s.clone())),
        Expr::Int(i, _) => Ok(Val::Int(*i)),
        Expr::Prop(..) | Expr::Index(..) => eval_chain(e, env, locals),
        Expr::Call { ns, name, args, at } => {
            call(ns.as_deref(), name, args, env, locals).map_err(|e| e.at(*at))
        }
    }
}

/// One step of a property/index chain.
enum Step<'e> {
    Prop(&'e str, Pos),
    Index(&'e Expr, Pos),
}

/// `root.a[0]['b']`: the root is evaluated once and, when it is `parameters('x')` or
/// `variables('x')`, walked by reference, so only the value reached is copied.
fn eval_chain(e: &Expr, env: &dyn Env, locals: &Locals) -> Result<Val, EvalError> {
    let mut steps = vec![];
    let mut root = e;
    loop {
        match root {
            Expr::Prop(inner, name, at) => {
                steps.push(Step::Prop(name, *at));
                root = inner;
            }
            Expr::Index(inner, idx, at) => {
                steps.push(Step::Index(idx, *at));
                root = inner;
            }
            _ => break,
        }
    }
    steps.reverse();
    let shared = match root {
        Expr::Call {
            ns: None,
            name,
            args,
            at,
        } if args.len() == 1 => match &args[0] {
            Expr::Str(n, _) if name.eq_ignore_ascii_case("parameters") => {
                Some(env.parameter_shared(n).map_err(|e| e.at(*at))?)
            }
            Expr::Str(n, _) if name.eq_ignore_ascii_case("variables") => {
                Some(env.variable_shared(n).map_err(|e| e.at(*at))?)
            }
            _ => None,
        },
        _ => None,
    };
    let base = match shared {
        Some(b) => b,
        None => Arc::new(eval(root, env, locals)?),
    };
    let mut cur: &Val = &base;
    let mut owned: Option<Val> = None;
    for step in steps {
        let (key, at, is_prop) = match step {
            Step::Prop(n, at) => (Val::Str(n.to_string()), at, true),
            Step::Index(ix, at) => (eval(ix, env, locals)?, at, false),
        };
        if owned.is_none() {
            let child = match (cur, &key) {
                (Val::Object(o), Val::Str(k)) => o.get(k),
                (Val::Array(a), Val::Int(i)) => usize::try_from(*i).ok().and_then(|i| a.get(i)),
                _ => None,
            };
            if let Some(c) = child {
                cur = c;
                continue;
            }
        }
        let v = owned.take().unwrap_or_else(|| cur.clone());
        let next = match &key {
            Val::Str(k) if is_prop => v.prop(k),
            _ => v.index(&key),
        };
        owned = Some(next.map_err(|m| EvalError::runtime(m).at(at))?);
    }
    Ok(owned.unwrap_or_else(|| cur.clone()))
}

fn eval_args(args: &[Expr], env: &dyn Env, locals: &Locals) -> Result<Vec<Val>, EvalError> {
    args.iter().map(|a| eval(a, env, locals)).collect()
}

fn arity(name: &str, args: &[Expr], min: usize, max: usize) -> Result<(), EvalError> {
    check_arity(name, args.len(), min, max)
}

/// `name()` takes `min..=max` arguments (an invalid template otherwise).
pub fn check_arity(name: &str, n: usize, min: usize, max: usize) -> Result<(), EvalError> {
    if n < min || n > max {
        let want = if min == max {
            format!("{min}")
        } else if max == usize::MAX {
            format!("at least {min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(EvalError::invalid(format!(
            "{name}() takes {want} argument(s), not {n}"
        )));
    }
    Ok(())
}

/// The text of a string argument, or the unknown that decides it.
fn name_arg(fname: &str, v: &Val) -> Result<Result<String, Unknown>, EvalError> {
    match v {
        Val::Str(s) => Ok(Ok(s.clone())),
        Val::Unknown(u) => Ok(Err(u.clone())),
        other => Err(EvalError::runtime(format!(
            "{fname}() expects a string, not a value of type {}",
            other.type_name()
        ))),
    }
}

fn call(
    ns: Option<&str>,
    name: &str,
    args: &[Expr],
    env: &dyn Env,
    locals: &Locals,
) -> Result<Val, EvalError> {
    if let Some(ns) = ns {
        return call_user(ns, name, args, env, locals);
    }
    let lname = name.to_ascii_lowercase();
    match lname.as_str() {
        "if" => {
            arity(name, args, 3, 3)?;
            match eval(&args[0], env, locals)? {
                Val::Bool(true) => eval(&args[1], env, locals),
                Val::Bool(false) => eval(&args[2], env, locals),
                Val::Unknown(u) => {
                    // both branches may be invalid in the world they are not taken in
                    let a = eval(&args[1], env, locals);
                    let b = eval(&args[2], env, locals);
                    match (a, b) {
                        (Ok(a), Ok(b)) if a.equals(&b) == Some(true) => Ok(a),
                        _ => Ok(Val::Unknown(Unknown::new(format!(
                            "the condition of an if() is unknown: {}",
                            u.reason
                        )))),
                    }
                }
                other => Err(EvalError::runtime(format!(
                    "the condition of if() is of type {}, not bool",
                    other.type_name()
                ))),
            }
        }
        "and" | "or" => {
            arity(name, args, 1, usize::MAX)?;
            let decisive = lname == "or";
            let mut unknown: Option<Unknown> = None;
            for a in args {
                match eval(a, env, locals)? {
                    Val::Bool(b) if b == decisive => return Ok(Val::Bool(decisive)),
                    Val::Bool(_) => {}
                    Val::Unknown(u) => {
                        unknown.get_or_insert(u);
                    }
                    other => {
                        return Err(EvalError::runtime(format!(
                            "{name}() expects bool arguments, not {}",
                            other.type_name()
                        )));
                    }
                }
            }
            Ok(match unknown {
                Some(u) => Val::Unknown(u),
                None => Val::Bool(!decisive),
            })
        }
        "coalesce" => {
            arity(name, args, 1, usize::MAX)?;
            for a in args {
                match eval(a, env, locals)? {
                    Val::Null => continue,
                    v => return Ok(v),
                }
            }
            Ok(Val::Null)
        }
        "lambda" => {
            arity(name, args, 1, usize::MAX)?;
            let (body, params) = args.split_last().expect("arity checked");
            let mut names = vec![];
            for p in params {
                match p {
                    Expr::Str(s, _) => names.push(s.clone()),
                    _ => {
                        return Err(EvalError::invalid(
                            "the parameters of lambda() must be string literals",
                        ));
                    }
                }
            }
            Ok(Val::Lambda(Arc::new(Lambda {
                params: names,
                body: Arc::new(body.clone()),
                captured: locals.to_vec(),
            })))
        }
        "lambdavariables" => {
            arity(name, args, 1, 1)?;
            let v = eval(&args[0], env, locals)?;
            let n = v.as_str().unwrap_or_default();
            locals
                .iter()
                .rev()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.clone())
                .ok_or_else(|| {
                    EvalError::invalid(format!("lambdaVariables('{n}'): no lambda variable '{n}'"))
                })
        }
        "parameters" | "variables" => {
            arity(name, args, 1, 1)?;
            let v = eval(&args[0], env, locals)?;
            match name_arg(name, &v)? {
                Ok(n) if lname == "parameters" => env.parameter(&n),
                Ok(n) => env.variable(&n),
                Err(u) => Ok(Val::Unknown(u)),
            }
        }
        "copyindex" => {
            arity(name, args, 0, 2)?;
            let vals = eval_args(args, env, locals)?;
            let (loop_name, offset) = match vals.as_slice() {
                [] => (None, 0),
                [Val::Int(o)] => (None, *o),
                [Val::Str(n)] => (Some(n.as_str()), 0),
                [Val::Str(n), Val::Int(o)] => (Some(n.as_str()), *o),
                _ => {
                    return Err(EvalError::invalid(
                        "copyIndex() takes an optional loop name and an optional integer offset",
                    ));
                }
            };
            Ok(Val::Int(env.copy_index(loop_name)? + offset))
        }
        "reference" => {
            arity(name, args, 1, 3)?;
            let vals = eval_args(args, env, locals)?;
            let api = match vals.get(1) {
                Some(Val::Str(s)) => Some(s.as_str()),
                _ => None,
            };
            let full = matches!(vals.get(2), Some(Val::Str(s)) if s.eq_ignore_ascii_case("full"));
            env.reference(&vals[0], api, full)
        }
        "references" => {
            arity(name, args, 1, 2)?;
            let vals = eval_args(args, env, locals)?;
            let full = matches!(vals.get(1), Some(Val::Str(s)) if s.eq_ignore_ascii_case("full"));
            match name_arg(name, &vals[0])? {
                Ok(s) => env.references(&s, full),
                Err(u) => Ok(Val::Unknown(u)),
            }
        }
        "resourceinfo" => {
            arity(name, args, 1, 1)?;
            let v = eval(&args[0], env, locals)?;
            match name_arg(name, &v)? {
                Ok(s) => env.resource_info(&s),
                Err(u) => Ok(Val::Unknown(u)),
            }
        }
        "map" | "filter" | "reduce" | "sort" | "toobject" | "groupby" | "mapvalues" => {
            let vals = eval_args(args, env, locals)?;
            lambda_function(&lname, name, vals, env)
        }
        _ => {
            let vals = eval_args(args, env, locals)?;
            if let Some(r) = functions::call(&lname, name, &vals) {
                return r;
            }
            if let Some(r) = scope::call(&lname, name, &vals, env.context()) {
                return r;
            }
            Ok(Val::Unknown(Unknown::new(unsupported(name))))
        }
    }
}

fn unsupported(name: &str) -> String {
    let lname = name.to_ascii_lowercase();
    if lname.starts_with("list") {
        format!(
            "{name}() reads keys or secrets from Azure at deployment; aks-preflight never reads them"
        )
    } else if [
        "newguid",
        "utcnow",
        "datetimeadd",
        "datetimefromepoch",
        "datetimetoepoch",
    ]
    .contains(&lname.as_str())
    {
        format!("{name}() gives a new value at each deployment")
    } else if lname == "pickzones" {
        "pickZones() depends on the availability zones of the region, which aks-preflight does not know".into()
    } else if lname == "getsecret" {
        "getSecret() reads a Key Vault secret at deployment; aks-preflight never reads secrets"
            .into()
    } else {
        format!("the template function {name}() is not supported by aks-preflight")
    }
}

fn call_user(
    ns: &str,
    name: &str,
    args: &[Expr],
    env: &dyn Env,
    locals: &Locals,
) -> Result<Val, EvalError> {
    let Some(f) = env.user_function(ns, name) else {
        return Err(EvalError::invalid(format!(
            "the user-defined function {ns}.{name}() is not declared in the template's functions"
        )));
    };
    if args.len() != f.params.len() {
        return Err(EvalError::invalid(format!(
            "{ns}.{name}() takes {} argument(s), not {}",
            f.params.len(),
            args.len()
        )));
    }
    let vals = eval_args(args, env, locals)?;
    let fenv = FunctionEnv {
        outer: env,
        params: f.params.iter().cloned().zip(vals).collect(),
        name: format!("{ns}.{name}"),
    };
    eval_json(f.output, &fenv).map_err(|mut e| {
        e.message = format!("in {ns}.{name}(): {}", e.message);
        e.path.clear();
        e
    })
}

/// Inside a user-defined function: only its own parameters are visible.
struct FunctionEnv<'a> {
    outer: &'a dyn Env,
    params: Vec<(String, Val)>,
    name: String,
}

impl Env for FunctionEnv<'_> {
    fn parameter(&self, name: &str) -> Result<Val, EvalError> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .ok_or_else(|| EvalError::invalid(format!("{}() has no parameter '{name}'", self.name)))
    }
    fn variable(&self, name: &str) -> Result<Val, EvalError> {
        Err(EvalError::invalid(format!(
            "{}() cannot read variable '{name}': user-defined functions see only their parameters",
            self.name
        )))
    }
    fn copy_index(&self, _: Option<&str>) -> Result<i64, EvalError> {
        Err(EvalError::invalid(format!(
            "copyIndex() cannot be used inside the user-defined function {}()",
            self.name
        )))
    }
    fn context(&self) -> &Context {
        self.outer.context()
    }
    fn reference(&self, _: &Val, _: Option<&str>, _: bool) -> Result<Val, EvalError> {
        Err(EvalError::invalid(format!(
            "reference() cannot be used inside the user-defined function {}()",
            self.name
        )))
    }
    fn user_function(&self, ns: &str, name: &str) -> Option<UserFunction<'_>> {
        self.outer.user_function(ns, name)
    }
    fn parse(&self, s: &str) -> Result<Arc<Expr>, ParseError> {
        self.outer.parse(s)
    }
    fn on_runtime_error(&self, e: EvalError) -> Result<Val, EvalError> {
        self.outer.on_runtime_error(e)
    }
}

/// Apply a lambda to arguments.
pub fn apply(l: &Lambda, args: Vec<Val>, env: &dyn Env) -> Result<Val, EvalError> {
    if args.len() < l.params.len() {
        return Err(EvalError::invalid(format!(
            "the lambda takes {} argument(s), but is given {}",
            l.params.len(),
            args.len()
        )));
    }
    let mut locals = l.captured.clone();
    locals.extend(l.params.iter().cloned().zip(args));
    eval(&l.body, env, &locals)
}

fn lambda_arg<'v>(fname: &str, v: Option<&'v Val>) -> Result<&'v Lambda, EvalError> {
    match v {
        Some(Val::Lambda(l)) => Ok(l),
        _ => Err(EvalError::invalid(format!(
            "{fname}() expects a lambda as its last argument"
        ))),
    }
}

/// `map`, `filter`, `reduce`, `sort`, `toObject`, `groupBy`, `mapValues`.
fn lambda_function(
    lname: &str,
    name: &str,
    vals: Vec<Val>,
    env: &dyn Env,
) -> Result<Val, EvalError> {
    if let Some(u) = vals.first().and_then(|v| match v {
        Val::Unknown(u) => Some(u.clone()),
        _ => None,
    }) {
        return Ok(Val::Unknown(u));
    }
    let with_index = |l: &Lambda, x: Val, i: usize| {
        let mut a = vec![x];
        if l.params.len() > 1 {
            a.push(Val::Int(i as i64));
        }
        a
    };
    if lname == "mapvalues" {
        let Some(Val::Object(o)) = vals.first() else {
            return Err(EvalError::runtime(format!("{name}() expects an object")));
        };
        let l = lambda_arg(name, vals.get(1))?;
        let mut out = Obj::new();
        for (k, v) in o.iter() {
            out.insert(k.clone(), apply(l, vec![v.clone()], env)?);
        }
        return Ok(Val::Object(out));
    }
    let Some(Val::Array(items)) = vals.first() else {
        return Err(EvalError::runtime(format!(
            "{name}() expects an array as its first argument, not {}",
            vals.first().map(Val::type_name).unwrap_or("nothing")
        )));
    };
    match lname {
        "map" => {
            let l = lambda_arg(name, vals.get(1))?;
            let mut out = vec![];
            for (i, x) in items.iter().enumerate() {
                out.push(apply(l, with_index(l, x.clone(), i), env)?);
            }
            Ok(Val::Array(out))
        }
        "filter" => {
            let l = lambda_arg(name, vals.get(1))?;
            let mut out = vec![];
            for (i, x) in items.iter().enumerate() {
                match apply(l, with_index(l, x.clone(), i), env)? {
                    Val::Bool(true) => out.push(x.clone()),
                    Val::Bool(false) => {}
                    Val::Unknown(u) => {
                        return Ok(Val::Unknown(Unknown::new(format!(
                            "which elements filter() keeps is unknown: {}",
                            u.reason
                        ))));
                    }
                    other => {
                        return Err(EvalError::runtime(format!(
                            "the filter() lambda returned {}, not bool",
                            other.type_name()
                        )));
                    }
                }
            }
            Ok(Val::Array(out))
        }
        "reduce" => {
            let l = lambda_arg(name, vals.get(2))?;
            let mut acc = vals.get(1).cloned().unwrap_or(Val::Null);
            for (i, x) in items.iter().enumerate() {
                let mut a = vec![acc, x.clone()];
                if l.params.len() > 2 {
                    a.push(Val::Int(i as i64));
                }
                acc = apply(l, a, env)?;
            }
            Ok(acc)
        }
        "sort" => {
            let l = lambda_arg(name, vals.get(1))?;
            // insertion sort: the lambda says whether a comes before b
            let mut out: Vec<Val> = vec![];
            for x in items {
                let mut pos = out.len();
                for (j, y) in out.iter().enumerate() {
                    match apply(l, vec![x.clone(), y.clone()], env)? {
                        Val::Bool(true) => {
                            pos = j;
                            break;
                        }
                        Val::Bool(false) => {}
                        Val::Unknown(u) => return Ok(Val::Unknown(u)),
                        other => {
                            return Err(EvalError::runtime(format!(
                                "the sort() lambda returned {}, not bool",
                                other.type_name()
                            )));
                        }
                    }
                }
                out.insert(pos, x.clone());
            }
            Ok(Val::Array(out))
        }
        "toobject" => {
            let kl = lambda_arg(name, vals.get(1))?;
            let vl = match vals.get(2) {
                Some(Val::Lambda(l)) => Some(l.clone()),
                _ => None,
            };
            let mut out = Obj::new();
            for x in items {
                let k = match apply(kl, vec![x.clone()], env)? {
                    Val::Str(s) => s,
                    Val::Unknown(u) => return Ok(Val::Unknown(u)),
                    other => other.to_text().unwrap_or_default(),
                };
                let v = match &vl {
                    Some(l) => apply(l, vec![x.clone()], env)?,
                    None => x.clone(),
                };
                out.insert(k, v);
            }
            Ok(Val::Object(out))
        }
        "groupby" => {
            let l = lambda_arg(name, vals.get(1))?;
            let mut out = Obj::new();
            for x in items {
                let k = match apply(l, vec![x.clone()], env)? {
                    Val::Str(s) => s,
                    Val::Unknown(u) => return Ok(Val::Unknown(u)),
                    other => other.to_text().unwrap_or_default(),
                };
                let mut group = match out.remove(&k) {
                    Some(Val::Array(a)) => a,
                    _ => vec![],
                };
                group.push(x.clone());
                out.insert(k, Val::Array(group));
            }
            Ok(Val::Object(out))
        }
        _ => unreachable!("dispatched by name"),
    }
}

#[cfg(test)]
pub(crate) mod testenv {
    //! A small environment for evaluator tests.
    use super::*;
    use std::collections::HashMap;

    #[derive(Default)]
    pub struct TestEnv {
        pub params: HashMap<String, Val>,
        pub vars: HashMap<String, Val>,
        pub copy: Vec<(String, i64)>,
        pub ctx: Context,
        pub functions: Vec<(String, String, Vec<String>, serde_json::Value)>,
    }

    impl Env for TestEnv {
        fn parameter(&self, name: &str) -> Result<Val, EvalError> {
            self.params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
                .ok_or_else(|| EvalError::invalid(format!("no parameter '{name}'")))
        }
        fn variable(&self, name: &str) -> Result<Val, EvalError> {
            self.vars
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
                .ok_or_else(|| EvalError::invalid(format!("no variable '{name}'")))
        }
        fn copy_index(&self, loop_name: Option<&str>) -> Result<i64, EvalError> {
            match loop_name {
                None => self.copy.last().map(|c| c.1),
                Some(n) => self
                    .copy
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(n))
                    .map(|c| c.1),
            }
            .ok_or_else(|| EvalError::invalid("copyIndex() outside a copy loop"))
        }
        fn context(&self) -> &Context {
            &self.ctx
        }
        fn reference(&self, t: &Val, _: Option<&str>, _: bool) -> Result<Val, EvalError> {
            Ok(Val::unknown(format!(
                "reference({}) is not known in tests",
                t.to_text().unwrap_or_default()
            )))
        }
        fn user_function(&self, ns: &str, name: &str) -> Option<UserFunction<'_>> {
            self.functions
                .iter()
                .find(|(n, f, _, _)| n.eq_ignore_ascii_case(ns) && f.eq_ignore_ascii_case(name))
                .map(|(_, _, p, o)| UserFunction {
                    params: p.clone(),
                    output: o,
                })
        }
    }

    pub fn ev(env: &TestEnv, s: &str) -> Val {
        eval_string(s, env).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }
    pub fn ev_err(env: &TestEnv, s: &str) -> EvalError {
        match eval_string(s, env) {
            Ok(v) => panic!("{s}: expected an error, got {v:?}"),
            Err(e) => e,
        }
    }
    pub fn json(env: &TestEnv, s: &str) -> serde_json::Value {
        ev(env, s).to_json()
    }
}

#[cfg(test)]
mod tests {
    use super::testenv::*;
    use super::*;
    use serde_json::json;

    fn env() -> TestEnv {
        let mut e = TestEnv::default();
        e.params.insert("vnetName".into(), Val::str("vnet-spoke"));
        e.params.insert(
            "subnets".into(),
            Val::from_json(&json!([{"name": "nodes", "prefix": "10.0.0.0/22"}, {"name": "pods", "prefix": "10.0.4.0/22"}])),
        );
        e.params
            .insert("later".into(), Val::unknown("given at deployment"));
        e.vars.insert("prefix".into(), Val::str("aks"));
        e
    }

    #[test]
    fn names_are_case_insensitive() {
        let e = env();
        assert_eq!(json(&e, "[PARAMETERS('VNETNAME')]"), json!("vnet-spoke"));
        assert_eq!(json(&e, "[toUpper(Variables('Prefix'))]"), json!("AKS"));
        assert_eq!(json(&e, "[parameters('subnets')[1].NAME]"), json!("pods"));
        assert_eq!(
            json(&e, "[parameters('subnets')[0]['Prefix']]"),
            json!("10.0.0.0/22")
        );
    }

    #[test]
    fn escaping_leaves_literals() {
        let e = env();
        assert_eq!(json(&e, "[[parameters('x')]"), json!("[parameters('x')]"));
        assert_eq!(json(&e, "plain [text]"), json!("plain [text]"));
        assert_eq!(json(&e, "[concat('[', 'x', ']')]"), json!("[x]"));
    }

    #[test]
    fn if_evaluates_only_the_taken_branch() {
        let e = env();
        assert_eq!(
            json(&e, "[if(true(), 'a', parameters('undeclared'))]"),
            json!("a")
        );
        assert_eq!(
            json(&e, "[if(false(), parameters('undeclared'), 'b')]"),
            json!("b")
        );
        let v = ev(&e, "[if(equals(parameters('later'), 'x'), 'a', 'b')]");
        assert!(v.is_unknown());
        // both branches agree: the condition does not matter
        assert_eq!(
            json(&e, "[if(equals(parameters('later'), 'x'), 'a', 'a')]"),
            json!("a")
        );
    }

    #[test]
    fn and_or_are_three_valued() {
        let e = env();
        assert_eq!(
            json(&e, "[and(false(), equals(parameters('later'), 1))]"),
            json!(false)
        );
        assert_eq!(
            json(&e, "[or(true(), equals(parameters('later'), 1))]"),
            json!(true)
        );
        assert!(ev(&e, "[and(true(), equals(parameters('later'), 1))]").is_unknown());
        assert_eq!(json(&e, "[and(true(), true(), not(false()))]"), json!(true));
    }

    #[test]
    fn unknown_values_propagate_with_their_reason() {
        let e = env();
        let v = ev(&e, "[concat('x-', parameters('later'))]");
        let Val::Unknown(u) = v else { panic!() };
        assert_eq!(&*u.reason, "given at deployment");
        // length of an array with unknown elements is known
        assert_eq!(
            json(&e, "[length(createArray(parameters('later'), 1))]"),
            json!(2)
        );
        assert!(ev(&e, "[length(parameters('later'))]").is_unknown());
    }

    #[test]
    fn unsupported_functions_are_unknown_not_errors() {
        let e = env();
        let Val::Unknown(u) = ev(&e, "[someFutureFunction('x')]") else {
            panic!()
        };
        assert!(
            u.reason.contains("someFutureFunction() is not supported"),
            "{u:?}"
        );
        let Val::Unknown(u) = ev(&e, "[listKeys('x', '2020-01-01').keys[0].value]") else {
            panic!()
        };
        assert!(u.reason.contains("never reads them"), "{u:?}");
        assert!(ev(&e, "[utcNow()]").is_unknown());
    }

    #[test]
    fn copy_index_in_loops() {
        let mut e = env();
        e.copy.push(("subnetLoop".into(), 1));
        e.copy.push(("rules".into(), 3));
        assert_eq!(json(&e, "[copyIndex('subnetLoop')]"), json!(1));
        assert_eq!(json(&e, "[copyIndex('rules', 100)]"), json!(103));
        assert_eq!(
            json(&e, "[parameters('subnets')[copyIndex('subnetLoop')].name]"),
            json!("pods")
        );
        let e = env();
        let err = ev_err(&e, "[copyIndex()]");
        assert_eq!(err.kind, ErrorKind::Invalid);
    }

    #[test]
    fn property_loops_expand_with_their_own_index() {
        let e = env();
        let template = json!({
            "name": "vnet",
            "copy": [{
                "name": "subnets",
                "count": "[length(parameters('subnets'))]",
                "input": {
                    "name": "[parameters('subnets')[copyIndex('subnets')].name]",
                    "properties": {"addressPrefix": "[parameters('subnets')[copyIndex('subnets')].prefix]", "i": "[copyIndex('subnets', 1)]"}
                }
            }]
        });
        let v = eval_json(&template, &e).unwrap().to_json();
        assert_eq!(
            v,
            json!({"name": "vnet", "subnets": [
                {"name": "nodes", "properties": {"addressPrefix": "10.0.0.0/22", "i": 1}},
                {"name": "pods", "properties": {"addressPrefix": "10.0.4.0/22", "i": 2}}
            ]})
        );
    }

    #[test]
    fn errors_carry_the_json_path() {
        let e = env();
        let template = json!({"properties": {"subnets": [{"name": "[concat('a']"}]}});
        let err = eval_json(&template, &e).unwrap_err();
        assert_eq!(err.pointer(), "/properties/subnets/0/name");
        assert_eq!(err.kind, ErrorKind::Invalid);
        let template = json!({"a": "[parameters('nope')]"});
        let err = eval_json(&template, &e).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Invalid);
        assert_eq!(err.at, Some(1));
        let template = json!({"a": "[parameters('subnets')[5]]"});
        let err = eval_json(&template, &e).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Runtime);
        assert!(err.message.contains("out of range"), "{err:?}");
    }

    #[test]
    fn lambdas() {
        let e = env();
        assert_eq!(
            json(
                &e,
                "[map(parameters('subnets'), lambda('s', lambdaVariables('s').name))]"
            ),
            json!(["nodes", "pods"])
        );
        assert_eq!(
            json(
                &e,
                "[filter(range(0, 6), lambda('i', equals(mod(lambdaVariables('i'), 2), 0)))]"
            ),
            json!([0, 2, 4])
        );
        assert_eq!(
            json(
                &e,
                "[reduce(range(1, 4), 0, lambda('acc', 'x', add(lambdaVariables('acc'), lambdaVariables('x'))))]"
            ),
            json!(10)
        );
        assert_eq!(
            json(
                &e,
                "[toObject(parameters('subnets'), lambda('s', lambdaVariables('s').name), lambda('s', lambdaVariables('s').prefix))]"
            ),
            json!({"nodes": "10.0.0.0/22", "pods": "10.0.4.0/22"})
        );
        assert_eq!(
            json(
                &e,
                "[sort(createArray(3, 1, 2), lambda('a', 'b', less(lambdaVariables('a'), lambdaVariables('b'))))]"
            ),
            json!([1, 2, 3])
        );
        // nested lambdas see the outer variable
        assert_eq!(
            json(
                &e,
                "[map(createArray(1, 2), lambda('x', map(createArray(10), lambda('y', add(lambdaVariables('x'), lambdaVariables('y'))))))]"
            ),
            json!([[11], [12]])
        );
        assert_eq!(
            json(
                &e,
                "[map(createArray('a', 'b'), lambda('x', 'i', concat(lambdaVariables('x'), string(lambdaVariables('i')))))]"
            ),
            json!(["a0", "b1"])
        );
    }

    #[test]
    fn user_defined_functions_see_only_their_parameters() {
        let mut e = env();
        e.functions.push((
            "contoso".into(),
            "uniqueName".into(),
            vec!["namePrefix".into()],
            json!({"value": "[concat(toLower(parameters('namePrefix')), '-x')]"})["value"].clone(),
        ));
        assert_eq!(json(&e, "[contoso.uniqueName('AKS')]"), json!("aks-x"));
        let err = ev_err(&e, "[contoso.other('AKS')]");
        assert_eq!(err.kind, ErrorKind::Invalid);
        e.functions.push((
            "contoso".into(),
            "bad".into(),
            vec![],
            json!("[variables('prefix')]"),
        ));
        let err = ev_err(&e, "[contoso.bad()]");
        assert!(err.message.contains("see only their parameters"), "{err:?}");
    }

    #[test]
    fn coalesce_and_try_get() {
        let e = env();
        assert_eq!(json(&e, "[coalesce(null(), null(), 'x')]"), json!("x"));
        assert_eq!(
            json(
                &e,
                "[coalesce(tryGet(parameters('subnets')[0], 'missing'), 'd')]"
            ),
            json!("d")
        );
        assert!(ev(&e, "[coalesce(parameters('later'), 'd')]").is_unknown());
    }
}
