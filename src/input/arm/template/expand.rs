//! Template expansion: from a template, its parameter values and the deployment's scope to the
//! resources it deploys, in ARM REST shape.
//!
//! A [`Dep`] is one deployment of one template (the root, or a nested
//! `Microsoft.Resources/deployments` with an inline template, which is how Bicep modules
//! compile). It first lists its resource *instances* (each `copy` iteration, child resources
//! under each parent instance) with their type, name and id; then evaluates each instance's
//! condition and body, on demand: `reference()` of a resource, or of a nested deployment's
//! outputs, evaluates that instance first (cycles give unknown values, not a hang).
//!
//! Expression scope follows ARM: a nested deployment with `expressionEvaluationOptions.scope`
//! `inner` sees only its own parameters (given by the parent) and variables; with `outer` (the
//! default) its expressions are evaluated in the parent's scope. Resources go where the
//! deployment's `subscriptionId` / `resourceGroup` say, whatever the scope.

use super::decl::{Decl, Template, TemplateError, VarDecl};
use super::eval::{self, Env, ErrorKind, EvalError, UserFunction};
use super::expr::{Expr, ParseError};
use super::notes::{Grouped, Notes};
use super::params::{Given, GivenParam, convert_text};
use super::rest::{add_child_ids, deployment_value, output_entry, partial, relevant};
use super::scope::{self, Context, Level};
use super::value::{Obj, RefPath, Seg, Unknown, Val};
use crate::input::arm::ArmResource;
use crate::model::{Cloud, InputNote, Lifecycle};
use crate::source::{FileId, Loc, Origin, ptr_seg};
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

/// How a template is deployed: what `az deployment group create` would be told.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub subscription_id: Option<String>,
    pub resource_group: Option<String>,
    pub location: Option<String>,
    pub management_group: Option<String>,
    /// Default: the template file's name without extension (as `az deployment … create`).
    pub deployment_name: Option<String>,
    pub cloud: Cloud,
    /// Parameter values in order (parameters files, then `--param`); later ones win.
    pub parameters: Vec<GivenParam>,
}

/// A linked template resolved to a local file (`templateLink.relativePath` or a relative
/// `uri`).
pub struct LinkedTemplate {
    /// The path as the template writes it.
    pub path: String,
    pub file: FileId,
    pub root: Value,
}

/// What a template deploys.
#[derive(Debug)]
pub struct Expanded {
    pub resources: Vec<ArmResource>,
    /// Beside each resource: where the template declares it.
    pub declared: Vec<Declared>,
    pub notes: Vec<InputNote>,
    /// The root template's outputs.
    pub outputs: Obj,
}

/// Where a deployed resource is declared, for naming it by its Bicep source.
#[derive(Debug, Clone, PartialEq)]
pub struct Declared {
    /// The module path that deploys it (`hub`, `mods[1].inner`; empty at the root).
    pub module: String,
    /// Its symbolic name in its own template (languageVersion 2.0).
    pub symbol: Option<String>,
    /// Its full resource type.
    pub rtype: String,
}

/// Nested deployments deeper than this are refused.
const MAX_NESTING: usize = 32;
/// Resource instances in one expansion, all deployments together.
const MAX_INSTANCES: usize = 100_000;

/// Expand the template `root` of `file`.
pub fn expand(
    root: &Value,
    file: FileId,
    opts: &Options,
    linked: &[LinkedTemplate],
) -> Result<Expanded, TemplateError> {
    let tpl = Template::read(file, root, "")?;
    let shared = Shared {
        linked,
        parse_cache: RefCell::new(HashMap::new()),
        notes: Notes::default(),
        registry: RefCell::new(HashMap::new()),
        instances: Cell::new(0),
    };
    let level = tpl.level;
    let ctx = Context {
        level,
        subscription_id: opts.subscription_id.clone(),
        resource_group: if level == Level::ResourceGroup {
            opts.resource_group.clone()
        } else {
            None
        },
        management_group: opts.management_group.clone(),
        location: opts.location.clone(),
        deployment_name: opts
            .deployment_name
            .clone()
            .unwrap_or_else(|| "deployment".into()),
        cloud: opts.cloud,
    };
    let given = root_params(&tpl, &opts.parameters)?;
    let dep = Dep::new(
        &shared,
        tpl,
        None,
        ctx.clone(),
        ctx,
        given,
        String::new(),
        0,
    )?;
    let (deployed, outputs) = dep.run()?;
    drop(dep);
    let (resources, declared): (Vec<ArmResource>, Vec<Declared>) = deployed.into_iter().unzip();
    let mut notes = shared.notes.finish();
    if resources.iter().any(|r| {
        r.value
            .get("id")
            .and_then(Value::as_str)
            .and_then(scope::placeholder_in)
            .is_some()
    }) {
        notes.push(InputNote {
            code: "INP044",
            message: format!(
                "the subscription or resource group of the deployment is not given, so resource ids use the placeholders {} and {} (pass --subscription and --resource-group to match ids in other inputs)",
                scope::SUBSCRIPTION_PLACEHOLDER,
                scope::RESOURCE_GROUP_PLACEHOLDER
            ),
            origin: Origin::new(file, "template", Loc::Pointer(String::new())),
        });
    }
    Ok(Expanded {
        resources,
        declared,
        notes,
        outputs,
    })
}

/// Parameter values of the root template from parameters files and `--param`.
fn root_params(
    tpl: &Template<'_>,
    given: &[GivenParam],
) -> Result<HashMap<String, Val>, TemplateError> {
    let mut out = HashMap::new();
    for g in given {
        let Some((name, decl)) = tpl.param(&g.name) else {
            return Err(TemplateError {
                file: tpl.file,
                message: format!(
                    "{} gives parameter '{}', which the template does not declare (it declares: {})",
                    g.source,
                    g.name,
                    tpl.param_names()
                ),
                pointer: "/parameters".into(),
                offset: None,
            });
        };
        let declared = decl.get("type").and_then(Value::as_str).unwrap_or("string");
        let v = match &g.value {
            Given::Json(j) => Val::from_json(j),
            Given::Text(t) => match convert_text(name, t, declared) {
                Ok(j) => Val::from_json(&j),
                Err(m) => {
                    return Err(TemplateError {
                        file: tpl.file,
                        message: m,
                        pointer: format!("/parameters/{}", ptr_seg(name)),
                        offset: None,
                    });
                }
            },
            Given::KeyVault { secret } => Val::unknown(format!(
                "parameter '{name}' is the Key Vault secret '{secret}', which aks-preflight never reads"
            )),
        };
        out.insert(name.to_ascii_lowercase(), v);
    }
    Ok(out)
}

/// State shared by all deployments of one expansion.
struct Shared<'t> {
    linked: &'t [LinkedTemplate],
    parse_cache: RefCell<HashMap<String, Arc<Expr>>>,
    notes: Notes,
    /// Evaluated resources by lower-case id, for `reference(id)` across deployments.
    registry: RefCell<HashMap<String, (Val, Option<String>)>>,
    instances: Cell<usize>,
}

/// A value being computed, for cycle detection.
enum Slot {
    Busy,
    Done(Arc<Val>),
}

/// A value computed once: `compute` runs on first use; asking again while it runs is a cycle
/// (`cycle` says which). Errors are not kept.
fn memo(
    slots: &RefCell<HashMap<String, Slot>>,
    key: String,
    cycle: impl FnOnce() -> String,
    compute: impl FnOnce() -> Result<Val, EvalError>,
) -> Result<Arc<Val>, EvalError> {
    match slots.borrow().get(&key) {
        Some(Slot::Done(v)) => return Ok(v.clone()),
        Some(Slot::Busy) => return Err(EvalError::invalid(cycle())),
        None => {}
    }
    slots.borrow_mut().insert(key.clone(), Slot::Busy);
    match compute() {
        Ok(v) => {
            let v = Arc::new(v);
            slots.borrow_mut().insert(key, Slot::Done(v.clone()));
            Ok(v)
        }
        Err(e) => {
            slots.borrow_mut().remove(&key);
            Err(e)
        }
    }
}

/// One resource instance.
struct Instance {
    decl: usize,
    /// The resource loop's name and this iteration's index.
    copy: Option<(String, i64)>,
    parent: Option<usize>,
    rtype: String,
    /// Full name, `/`-joined for child resources.
    name: Result<String, Unknown>,
    id: Result<String, Unknown>,
    api_version: Option<String>,
    /// `vnet`, `vnets[2]` (languageVersion 2.0).
    symbol: Option<String>,
    /// Where a nested deployment deploys.
    target: Context,
    state: RefCell<State>,
}

enum State {
    Pending,
    Busy,
    Done(Rc<Outcome>),
}

struct Outcome {
    /// Whether the instance is deployed (its condition, and its parent's).
    deployed: Result<bool, Unknown>,
    /// The evaluated resource (REST shape), or a deployment's `{outputs, …}` object.
    value: Option<Val>,
    resources: Vec<(ArmResource, Declared)>,
}

/// One deployment of one template.
struct Dep<'t, 'p> {
    x: &'p Shared<'t>,
    tpl: Template<'t>,
    /// Outer-scope nested deployment: parameters, variables and functions are the parent's.
    scope_parent: Option<&'p Dep<'t, 'p>>,
    ctx: Context,
    target: Context,
    given: HashMap<String, Val>,
    params: RefCell<HashMap<String, Slot>>,
    vars: RefCell<HashMap<String, Slot>>,
    instances: Vec<Instance>,
    /// Symbolic path prefix (`hub.` inside module `hub`).
    prefix: String,
    depth: usize,
}

/// The environment of expressions at one place of a deployment.
struct DepEnv<'a, 't, 'p> {
    dep: &'a Dep<'t, 'p>,
    copy: Option<(&'a str, i64)>,
    /// Pointer of the JSON value being evaluated, for notes.
    base: &'a str,
    /// Evaluating a resource the model does not read (role assignments, alerts): its
    /// unevaluable expressions are not worth a note.
    quiet: bool,
}

impl<'t, 'p> Dep<'t, 'p> {
    #[allow(clippy::too_many_arguments)]
    fn new(
        x: &'p Shared<'t>,
        tpl: Template<'t>,
        scope_parent: Option<&'p Dep<'t, 'p>>,
        ctx: Context,
        target: Context,
        given: HashMap<String, Val>,
        prefix: String,
        depth: usize,
    ) -> Result<Dep<'t, 'p>, TemplateError> {
        let mut dep = Dep {
            x,
            tpl,
            scope_parent,
            ctx,
            target,
            given,
            params: RefCell::new(HashMap::new()),
            vars: RefCell::new(HashMap::new()),
            instances: vec![],
            prefix,
            depth,
        };
        dep.instances = dep.list_instances()?;
        Ok(dep)
    }

    fn env<'a>(&'a self, copy: Option<(&'a str, i64)>, base: &'a str) -> DepEnv<'a, 't, 'p> {
        DepEnv {
            dep: self,
            copy,
            base,
            quiet: false,
        }
    }

    /// The environment for evaluating parts of instance `inst` (quiet for resources the model
    /// does not read).
    fn inst_env<'a>(&'a self, inst: &'a Instance, base: &'a str) -> DepEnv<'a, 't, 'p> {
        DepEnv {
            dep: self,
            copy: inst.copy.as_ref().map(|(n, i)| (n.as_str(), *i)),
            base,
            quiet: !relevant(&inst.rtype),
        }
    }

    fn error(&self, e: EvalError, base: &str) -> TemplateError {
        let pointer = format!("{base}{}", e.pointer());
        TemplateError {
            file: self.tpl.file,
            message: e.message,
            pointer,
            offset: e.at,
        }
    }

    /// The scope whose parameters and variables expressions see.
    fn scope(&self) -> &Dep<'t, 'p> {
        match self.scope_parent {
            Some(p) => p.scope(),
            None => self,
        }
    }

    // ------------------------------------------------------------ parameters and variables

    fn parameter(&self, name: &str) -> Result<Arc<Val>, EvalError> {
        let lname = name.to_ascii_lowercase();
        let Some((pname, decl)) = self.tpl.param(name) else {
            return Err(EvalError::invalid(format!(
                "parameters('{name}'): the template declares no parameter '{name}' (it declares: {})",
                self.tpl.param_names()
            )));
        };
        memo(
            &self.params,
            lname,
            || format!("the default value of parameter '{pname}' refers to itself"),
            || self.parameter_value(pname, decl),
        )
    }

    fn parameter_value(&self, name: &str, decl: &'t Value) -> Result<Val, EvalError> {
        let ptype = decl
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        if ptype.starts_with("secure") {
            return Ok(Val::unknown(format!(
                "parameter '{name}' is a {ptype}, whose value aks-preflight never reads"
            )));
        }
        if let Some(v) = self.given.get(&name.to_ascii_lowercase()) {
            return Ok(v.clone());
        }
        let pointer = format!("{}/parameters/{}", self.tpl.pointer, ptr_seg(name));
        if let Some(d) = decl.get("defaultValue") {
            let base = format!("{pointer}/defaultValue");
            return eval::eval_json(d, &self.env(None, &base)).map_err(|mut e| {
                e.path.insert(0, "defaultValue".into());
                e.path.insert(0, name.to_string());
                e.path.insert(0, "parameters".into());
                e
            });
        }
        if decl.get("nullable").and_then(Value::as_bool) == Some(true) {
            return Ok(Val::Null);
        }
        let how = if self.depth == 0 {
            format!("give it with --parameters FILE or --param {name}=VALUE")
        } else {
            "the module deployment does not pass it".to_string()
        };
        let reason = format!("parameter '{name}' has no value and no default ({how})");
        self.x
            .notes
            .note("INP040", reason.clone(), self.tpl.file, pointer);
        Ok(Val::unknown(reason))
    }

    fn variable(&self, name: &str) -> Result<Arc<Val>, EvalError> {
        let lname = name.to_ascii_lowercase();
        let Some((vname, decl)) = self.tpl.variable(name) else {
            return Err(EvalError::invalid(format!(
                "variables('{name}'): the template declares no variable '{name}'"
            )));
        };
        memo(
            &self.vars,
            lname,
            || format!("variable '{vname}' refers to itself (directly or through other variables)"),
            || match decl {
                VarDecl::Value(v) => {
                    let base = format!("{}/variables/{}", self.tpl.pointer, ptr_seg(vname));
                    eval::eval_json(v, &self.env(None, &base)).map_err(|mut e| {
                        e.path.insert(0, vname.to_string());
                        e.path.insert(0, "variables".into());
                        e
                    })
                }
                VarDecl::Loop(l, i) => {
                    let base = format!("{}/variables/copy/{i}", self.tpl.pointer);
                    eval::eval_property_loop(l, &self.env(None, &base))
                        .map(|(_, v)| v)
                        .map_err(|mut e| {
                            e.path
                                .splice(0..0, ["variables".into(), "copy".into(), i.to_string()]);
                            e
                        })
                }
            },
        )
    }

    // ------------------------------------------------------------ instances

    fn list_instances(&self) -> Result<Vec<Instance>, TemplateError> {
        let mut out: Vec<Instance> = vec![];
        for (d, decl) in self.tpl.decls.iter().enumerate() {
            // a child resource is repeated under each instance of its parent
            let parents: Vec<Option<usize>> = match decl.parent {
                Some(p) => out
                    .iter()
                    .enumerate()
                    .filter(|(_, i)| i.decl == p)
                    .map(|(k, _)| Some(k))
                    .collect(),
                None => vec![None],
            };
            for parent in parents {
                let inherited = parent.and_then(|p| out[p].copy.clone());
                let loops = self.copies(decl, inherited.as_ref())?;
                for copy in loops {
                    let inst = self.identify(d, decl, copy, parent, &out)?;
                    out.push(inst);
                    let n = self.x.instances.get() + 1;
                    if n > MAX_INSTANCES {
                        return Err(TemplateError {
                            file: self.tpl.file,
                            message: format!(
                                "the template expands to more than {MAX_INSTANCES} resources"
                            ),
                            pointer: decl.pointer.clone(),
                            offset: None,
                        });
                    }
                    self.x.instances.set(n);
                }
            }
        }
        Ok(out)
    }

    /// The copy bindings of a declaration's instances.
    fn copies(
        &self,
        decl: &Decl<'t>,
        inherited: Option<&(String, i64)>,
    ) -> Result<Vec<Option<(String, i64)>>, TemplateError> {
        let Some(copy) = decl.get("copy") else {
            return Ok(vec![inherited.cloned()]);
        };
        let name = copy
            .get("name")
            .and_then(Value::as_str)
            .or(decl.symbol)
            .unwrap_or("copy")
            .to_string();
        let base = format!("{}/copy/count", decl.pointer);
        let env = self.env(inherited.map(|(n, i)| (n.as_str(), *i)), &base);
        let count = eval::eval_json(&copy["count"], &env).map_err(|e| self.error(e, &base))?;
        let n = match count {
            Val::Int(n) if (0..=eval::MAX_COPY).contains(&n) => n,
            Val::Int(n) => {
                return Err(TemplateError {
                    file: self.tpl.file,
                    message: format!(
                        "copy loop '{name}' has {n} iterations; Azure allows 0 to {}",
                        eval::MAX_COPY
                    ),
                    pointer: base,
                    offset: None,
                });
            }
            Val::Unknown(u) => {
                self.x.notes.group(
                    Grouped::CopyCount,
                    &u.reason,
                    format!("'{name}'"),
                    self.tpl.file,
                    base,
                );
                return Ok(vec![]);
            }
            other => {
                return Err(TemplateError {
                    file: self.tpl.file,
                    message: format!(
                        "the count of copy loop '{name}' is a {}, not an integer",
                        other.type_name()
                    ),
                    pointer: base,
                    offset: None,
                });
            }
        };
        Ok((0..n).map(|i| Some((name.clone(), i))).collect())
    }

    /// Type, name, id and target scope of one instance.
    fn identify(
        &self,
        d: usize,
        decl: &Decl<'t>,
        copy: Option<(String, i64)>,
        parent: Option<usize>,
        done: &[Instance],
    ) -> Result<Instance, TemplateError> {
        let copy_ref = copy.as_ref().map(|(n, i)| (n.as_str(), *i));
        let eval_key = |key: &str| -> Result<Option<Val>, TemplateError> {
            match decl.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => {
                    let base = format!("{}/{key}", decl.pointer);
                    eval::eval_json(v, &self.env(copy_ref, &base))
                        .map(Some)
                        .map_err(|e| self.error(e, &base))
                }
            }
        };
        let own_type = decl.rtype();
        let own_name = eval_key("name")?.unwrap_or(Val::Null);
        let own_name = match own_name {
            Val::Str(s) => Ok(s),
            Val::Unknown(u) => Err(u),
            other => Err(Unknown::new(format!(
                "the resource name is a {}, not a string",
                other.type_name()
            ))),
        };
        let (rtype, name) = match parent {
            Some(p) if !own_type.contains('.') => {
                let pi = &done[p];
                let name = match (&pi.name, &own_name) {
                    (Ok(a), Ok(b)) => Ok(format!("{a}/{b}")),
                    (Err(u), _) | (_, Err(u)) => Err(u.clone()),
                };
                (format!("{}/{own_type}", pi.rtype), name)
            }
            _ => (own_type.to_string(), own_name),
        };
        let text = |v: Option<Val>| -> Result<Option<String>, Unknown> {
            match v {
                None | Some(Val::Null) => Ok(None),
                Some(Val::Str(s)) => Ok(Some(s)),
                Some(Val::Unknown(u)) => Err(u),
                Some(other) => Ok(other.to_text().ok()),
            }
        };
        // where the resource (or a nested deployment's resources) goes
        let sub = text(eval_key("subscriptionId")?);
        let rg = text(eval_key("resourceGroup")?);
        let mut target = self.target.clone();
        let mut target_unknown: Option<Unknown> = None;
        match sub {
            Ok(Some(s)) => {
                if Some(&s) != target.subscription_id.as_ref() {
                    target.location = None;
                }
                target.subscription_id = Some(s);
            }
            Ok(None) => {}
            Err(u) => target_unknown = Some(u),
        }
        match rg {
            Ok(Some(r)) => {
                if Some(&r) != target.resource_group.as_ref() {
                    target.location = None;
                }
                target.resource_group = Some(r);
                target.level = Level::ResourceGroup;
            }
            Ok(None) => {}
            Err(u) => target_unknown = Some(u),
        }
        if decl.is_deployment() {
            if let Some(l) = text(eval_key("location")?).ok().flatten() {
                if target.level != Level::ResourceGroup {
                    target.location = Some(l);
                }
            }
        }
        let scope_id = match text(eval_key("scope")?) {
            Ok(Some(s)) if s.starts_with('/') => Ok(s),
            // languageVersion 2.0 writes a scope in the same group as `Type/name`
            Ok(Some(s)) => Ok(format!("{}/providers/{s}", self.target.scope_id())),
            Ok(None) => match &target_unknown {
                Some(u) => Err(u.clone()),
                None => Ok(target.scope_id()),
            },
            Err(u) => Err(u),
        };
        let id: Result<String, Unknown> = match (&scope_id, &name) {
            (Ok(prefix), Ok(n)) => Ok(scope::resource_id(prefix, &rtype, &[n.as_str()]).map_err(
                |m| TemplateError {
                    file: self.tpl.file,
                    message: format!("the resource type and name do not match: {m}"),
                    pointer: format!("{}/name", decl.pointer),
                    offset: None,
                },
            )?),
            (Err(u), _) | (_, Err(u)) => Err(u.clone()),
        };
        let api_version = decl
            .get("apiVersion")
            .and_then(Value::as_str)
            .map(str::to_string);
        let symbol = decl.symbol.map(|s| match &copy {
            Some((_, i)) if decl.get("copy").is_some() => format!("{s}[{i}]"),
            _ => s.to_string(),
        });
        Ok(Instance {
            decl: d,
            copy,
            parent,
            rtype,
            name,
            id,
            api_version,
            symbol,
            target,
            state: RefCell::new(State::Pending),
        })
    }

    // ------------------------------------------------------------ evaluation

    /// Evaluate every instance, in order; then the outputs.
    fn run(&self) -> Result<(Vec<(ArmResource, Declared)>, Obj), TemplateError> {
        let mut resources = vec![];
        for i in 0..self.instances.len() {
            let o = self.outcome(i)?;
            resources.extend(o.resources.iter().cloned());
        }
        let outputs = self.outputs()?;
        Ok((resources, outputs))
    }

    fn outcome(&self, i: usize) -> Result<Rc<Outcome>, TemplateError> {
        {
            let st = self.instances[i].state.borrow();
            match &*st {
                State::Done(o) => return Ok(o.clone()),
                State::Busy => {
                    return Ok(Rc::new(Outcome {
                        deployed: Err(Unknown::new("resources refer to each other in a cycle")),
                        value: None,
                        resources: vec![],
                    }));
                }
                State::Pending => {}
            }
        }
        *self.instances[i].state.borrow_mut() = State::Busy;
        let r = self.evaluate(i);
        match &r {
            Ok(o) => *self.instances[i].state.borrow_mut() = State::Done(o.clone()),
            Err(_) => *self.instances[i].state.borrow_mut() = State::Pending,
        }
        r
    }

    fn evaluate(&self, i: usize) -> Result<Rc<Outcome>, TemplateError> {
        let inst = &self.instances[i];
        let decl = &self.tpl.decls[inst.decl];
        let mut deployed: Result<bool, Unknown> = match inst.parent {
            Some(p) => self.outcome(p)?.deployed.clone(),
            None => Ok(true),
        };
        if let (Ok(true), Some(c)) = (&deployed, decl.get("condition")) {
            let base = format!("{}/condition", decl.pointer);
            let cenv = self.inst_env(inst, &base);
            deployed = match eval::eval_json(c, &cenv).map_err(|e| self.error(e, &base))? {
                Val::Bool(b) => Ok(b),
                Val::Unknown(u) if cenv.quiet => Err(u),
                Val::Unknown(u) => {
                    self.x.notes.group(
                        Grouped::Condition,
                        &u.reason,
                        self.describe(inst),
                        self.tpl.file,
                        base,
                    );
                    Err(u)
                }
                other => {
                    return Err(TemplateError {
                        file: self.tpl.file,
                        message: format!("the condition is a {}, not a bool", other.type_name()),
                        pointer: base,
                        offset: None,
                    });
                }
            };
        }
        if !matches!(deployed, Ok(true)) || decl.existing() {
            return Ok(Rc::new(Outcome {
                deployed,
                value: None,
                resources: vec![],
            }));
        }
        if decl.is_deployment() {
            return self.deploy_nested(i).map(Rc::new);
        }
        let value = self.resource_value(i)?;
        let mut resources = vec![];
        if let Ok(id) = &inst.id {
            self.x.registry.borrow_mut().insert(
                id.to_ascii_lowercase(),
                (value.clone(), inst.api_version.clone()),
            );
            let symbol = self.symbol_path(inst);
            let address = symbol.clone().unwrap_or_else(|| id.clone());
            resources.push((
                ArmResource {
                    value: value.to_json(),
                    origin: Origin::new(self.tpl.file, address, Loc::Pointer(decl.pointer.clone())),
                    lifecycle: Lifecycle::Create,
                    symbol,
                },
                Declared {
                    module: self.prefix.trim_end_matches('.').to_string(),
                    symbol: inst.symbol.clone(),
                    rtype: inst.rtype.clone(),
                },
            ));
        } else if let (Err(u), true) = (&inst.id, relevant(&inst.rtype)) {
            self.x.notes.group(
                Grouped::Name,
                &u.reason,
                self.describe(inst),
                self.tpl.file,
                format!("{}/name", decl.pointer),
            );
        }
        Ok(Rc::new(Outcome {
            deployed,
            value: Some(value),
            resources,
        }))
    }

    /// A resource body in REST shape: `id`, `name` (last segment), `type`, and the evaluated
    /// declaration without template-only keys.
    fn resource_value(&self, i: usize) -> Result<Val, TemplateError> {
        const TEMPLATE_ONLY: &[&str] = &[
            "copy",
            "condition",
            "dependsOn",
            "resources",
            "comments",
            "existing",
            "scope",
            "metadata",
            "name",
            "type",
            "subscriptionId",
            "resourceGroup",
        ];
        let inst = &self.instances[i];
        let decl = &self.tpl.decls[inst.decl];
        let mut obj = Obj::new();
        obj.insert(
            "id".into(),
            match &inst.id {
                Ok(s) => Val::str(s.clone()),
                Err(u) => Val::Unknown(u.clone()),
            },
        );
        obj.insert(
            "name".into(),
            match &inst.name {
                Ok(n) => Val::str(n.rsplit('/').next().unwrap_or(n).to_string()),
                Err(u) => Val::Unknown(u.clone()),
            },
        );
        obj.insert("type".into(), Val::str(inst.rtype.clone()));
        for (k, v) in decl.json {
            if TEMPLATE_ONLY.contains(&k.as_str()) {
                continue;
            }
            let base = format!("{}/{}", decl.pointer, ptr_seg(k));
            let val = eval::eval_json(v, &self.inst_env(inst, &base))
                .map_err(|e| self.error(e, &base))?;
            obj.insert(k.clone(), val);
        }
        if let Ok(id) = &inst.id {
            add_child_ids(&mut obj, &inst.rtype, id);
        }
        Ok(Val::Object(obj))
    }

    /// A nested deployment: its parameters evaluated here, its template expanded in its own
    /// deployment.
    fn deploy_nested(&self, i: usize) -> Result<Outcome, TemplateError> {
        let inst = &self.instances[i];
        let decl = &self.tpl.decls[inst.decl];
        let file = self.tpl.file;
        let props = decl.get("properties").and_then(Value::as_object);
        let inner = props
            .and_then(|p| p.get("expressionEvaluationOptions"))
            .and_then(|o| o.get("scope"))
            .and_then(Value::as_str)
            .is_some_and(|s| s.eq_ignore_ascii_case("inner"));
        let name = inst.name.clone().unwrap_or_else(|_| "?".into());
        let label = self.symbol_path(inst).unwrap_or_else(|| name.clone());
        if self.depth + 1 > MAX_NESTING {
            return Err(TemplateError {
                file,
                message: format!("deployments nest more than {MAX_NESTING} levels deep"),
                pointer: decl.pointer.clone(),
                offset: None,
            });
        }
        // the nested template: inline, or a linked file given locally
        let (tpl_json, tpl_file, tpl_pointer) = match props.and_then(|p| p.get("template")) {
            Some(t) => (t, file, format!("{}/properties/template", decl.pointer)),
            None => {
                let link = props.and_then(|p| p.get("templateLink"));
                let path = link
                    .and_then(|l| l.get("relativePath").or_else(|| l.get("uri")))
                    .and_then(Value::as_str);
                match path.and_then(|p| self.x.linked.iter().find(|l| l.path == p)) {
                    Some(l) => (&l.root, l.file, String::new()),
                    None => {
                        let what = match path {
                            Some(p) if super::expr::is_expression(p) => {
                                "a computed link".to_string()
                            }
                            Some(p) => format!("'{p}'"),
                            None => "no template".to_string(),
                        };
                        self.x.notes.note(
                            "INP043",
                            format!(
                                "the nested deployment {label} links to {what}, which is not available locally, so the resources it deploys are not checked"
                            ),
                            file,
                            decl.pointer.clone(),
                        );
                        let outputs = Val::unknown(format!(
                            "the outputs of the linked deployment {label} are not known"
                        ));
                        return Ok(Outcome {
                            deployed: Ok(true),
                            value: Some(deployment_value(
                                inst.id.as_ref().ok().map(String::as_str),
                                inst.name.as_ref().ok().map(String::as_str),
                                &inst.rtype,
                                outputs,
                            )),
                            resources: vec![],
                        });
                    }
                }
            }
        };
        let tpl = Template::read(tpl_file, tpl_json, &tpl_pointer)?;
        let env = self.env(
            inst.copy.as_ref().map(|(n, k)| (n.as_str(), *k)),
            &decl.pointer,
        );
        let mut given = HashMap::new();
        if inner {
            if let Some(Value::Object(ps)) = props.and_then(|p| p.get("parameters")) {
                for (k, v) in ps {
                    let base = format!("{}/properties/parameters/{}", decl.pointer, ptr_seg(k));
                    let val = if let Some(value) = v.get("value") {
                        let vbase = format!("{base}/value");
                        eval::eval_json(value, &self.env(env.copy, &vbase))
                            .map_err(|e| self.error(e, &vbase))?
                    } else if v.get("reference").is_some() {
                        Val::unknown(format!(
                            "parameter '{k}' of {label} is a Key Vault secret, which aks-preflight never reads"
                        ))
                    } else {
                        return Err(TemplateError {
                            file,
                            message: format!(
                                "parameter '{k}' of the nested deployment must be {{\"value\": …}} or a Key Vault {{\"reference\": …}}"
                            ),
                            pointer: base,
                            offset: None,
                        });
                    };
                    if tpl.param(k).is_none() {
                        return Err(TemplateError {
                            file,
                            message: format!(
                                "the nested deployment {label} passes parameter '{k}', which its template does not declare (it declares: {})",
                                tpl.param_names()
                            ),
                            pointer: base,
                            offset: None,
                        });
                    }
                    given.insert(k.to_ascii_lowercase(), val);
                }
            }
        }
        let mut target = inst.target.clone();
        target.deployment_name = name.clone();
        let ctx = if inner {
            target.clone()
        } else {
            self.ctx.clone()
        };
        let prefix = format!("{label}.");
        let (resources, outputs) = if inner {
            let child = Dep::new(
                self.x,
                tpl,
                None,
                ctx,
                target,
                given,
                prefix,
                self.depth + 1,
            )?;
            child.run()?
        } else {
            let child = Dep::new(
                self.x,
                tpl,
                Some(self.scope()),
                ctx,
                target,
                given,
                prefix,
                self.depth + 1,
            )?;
            child.run()?
        };
        Ok(Outcome {
            deployed: Ok(true),
            value: Some(deployment_value(
                inst.id.as_ref().ok().map(String::as_str),
                inst.name.as_ref().ok().map(String::as_str),
                &inst.rtype,
                Val::Object(outputs),
            )),
            resources,
        })
    }

    /// The template's outputs: `{name: {type, value}}`.
    fn outputs(&self) -> Result<Obj, TemplateError> {
        let mut out = Obj::new();
        let Some(outputs) = self.tpl.outputs else {
            return Ok(out);
        };
        for (k, o) in outputs {
            let base = format!("{}/outputs/{}", self.tpl.pointer, ptr_seg(k));
            let env = self.env(None, &base);
            if let Some(c) = o.get("condition") {
                match eval::eval_json(c, &env)
                    .map_err(|e| self.error(e.inside("condition"), &base))?
                {
                    Val::Bool(false) => continue,
                    Val::Bool(true) => {}
                    _ => {
                        out.insert(
                            k.clone(),
                            output_entry(
                                o,
                                Val::unknown(format!("whether output '{k}' exists is unknown")),
                            ),
                        );
                        continue;
                    }
                }
            }
            let value = if let Some(copy) = o.get("copy") {
                let l = serde_json::json!({"name": k, "count": copy.get("count").cloned().unwrap_or(Value::Null), "input": copy.get("input").cloned().unwrap_or(Value::Null)});
                eval::eval_property_loop(&l, &env)
                    .map(|(_, v)| v)
                    .map_err(|e| self.error(e.inside("copy"), &base))?
            } else {
                eval::eval_json(o.get("value").unwrap_or(&Value::Null), &env)
                    .map_err(|e| self.error(e.inside("value"), &base))?
            };
            out.insert(k.clone(), output_entry(o, value));
        }
        Ok(out)
    }

    // ------------------------------------------------------------ reference()

    fn reference(&self, target: &Val, api: Option<&str>, full: bool) -> Result<Val, EvalError> {
        let t = match target {
            Val::Unknown(u) => return Ok(Val::Unknown(u.clone())),
            Val::Str(s) => s.as_str(),
            other => {
                return Err(EvalError::runtime(format!(
                    "reference() expects a resource id, name or symbolic name, not a {}",
                    other.type_name()
                )));
            }
        };
        let found = if t.starts_with('/') {
            self.instances
                .iter()
                .position(|i| i.id.as_ref().is_ok_and(|id| id.eq_ignore_ascii_case(t)))
        } else {
            self.instances
                .iter()
                .position(|i| {
                    i.symbol
                        .as_deref()
                        .is_some_and(|s| s.eq_ignore_ascii_case(t))
                })
                .or_else(|| {
                    self.instances
                        .iter()
                        .position(|i| i.name.as_ref().is_ok_and(|n| n.eq_ignore_ascii_case(t)))
                })
        };
        let Some(i) = found else {
            if !t.starts_with('/') {
                return Err(EvalError::invalid(format!(
                    "reference('{t}'): the template declares no resource with that name or symbolic name"
                )));
            }
            let path = if full {
                vec![]
            } else {
                vec![Seg::Prop("properties".into())]
            };
            let at = RefPath {
                id: Arc::from(t),
                api_version: api.map(Arc::from),
                path,
            };
            if let Some((v, _)) = self.x.registry.borrow().get(&t.to_ascii_lowercase()) {
                let reason: Arc<str> = Arc::from("a value Azure sets at deployment");
                let v = if full {
                    v.clone()
                } else {
                    v.prop("properties")
                        .unwrap_or_else(|_| Val::Object(Obj::new()))
                };
                return Ok(partial(v, &at, &reason));
            }
            return Ok(Val::Unknown(Unknown {
                reason: Arc::from(format!(
                    "{t} is not deployed by this template; its properties are read from Azure at deployment (give its current state as another input)"
                )),
                refers: Some(Arc::new(at)),
            }));
        };
        self.reference_instance(i, api, full)
    }

    fn reference_instance(
        &self,
        i: usize,
        api: Option<&str>,
        full: bool,
    ) -> Result<Val, EvalError> {
        let inst = &self.instances[i];
        let decl = &self.tpl.decls[inst.decl];
        let what = self.describe(inst);
        let id = match &inst.id {
            Ok(id) => id.clone(),
            Err(u) => return Ok(Val::Unknown(u.clone())),
        };
        let at = RefPath {
            id: Arc::from(id.as_str()),
            api_version: api
                .map(Arc::from)
                .or_else(|| inst.api_version.as_deref().map(Arc::from)),
            path: if full {
                vec![]
            } else {
                vec![Seg::Prop("properties".into())]
            },
        };
        if decl.existing() {
            return Ok(Val::Unknown(Unknown {
                reason: Arc::from(format!(
                    "{what} is an existing resource: its properties are read from Azure at deployment (give its current state as another input)"
                )),
                refers: Some(Arc::new(at)),
            }));
        }
        let o = self.outcome(i).map_err(|e| EvalError {
            kind: ErrorKind::Invalid,
            message: e.message,
            at: None,
            path: vec![],
        })?;
        match &o.deployed {
            Ok(true) => {}
            Ok(false) => {
                return Ok(Val::unknown(format!(
                    "{what} is not deployed (its condition is false)"
                )));
            }
            Err(u) => return Ok(Val::Unknown(u.clone())),
        }
        let Some(v) = &o.value else {
            return Ok(Val::unknown(format!("{what} has no value yet")));
        };
        if decl.is_deployment() {
            return Ok(if full {
                v.clone()
            } else {
                v.prop("properties").unwrap_or(Val::Null)
            });
        }
        let reason: Arc<str> = Arc::from(format!("a value Azure sets when it deploys {what}"));
        let v = if full {
            v.clone()
        } else {
            v.prop("properties")
                .unwrap_or_else(|_| Val::Object(Obj::new()))
        };
        Ok(partial(v, &at, &reason))
    }

    fn resource_info(&self, symbol: &str) -> Result<Val, EvalError> {
        let Some(inst) = self.instances.iter().find(|i| {
            i.symbol
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(symbol))
        }) else {
            return Err(EvalError::invalid(format!(
                "resourceInfo('{symbol}'): no resource with that symbolic name"
            )));
        };
        let mut o = Obj::new();
        let v = |r: &Result<String, Unknown>| match r {
            Ok(s) => Val::str(s.clone()),
            Err(u) => Val::Unknown(u.clone()),
        };
        o.insert("id".into(), v(&inst.id));
        o.insert("name".into(), v(&inst.name));
        o.insert("type".into(), Val::str(inst.rtype.clone()));
        if let Some(a) = &inst.api_version {
            o.insert("apiVersion".into(), Val::str(a.clone()));
        }
        Ok(Val::Object(o))
    }

    /// `hub.fwPolicy`, `network.vnets[1]`: the symbolic path of an instance, when it has one
    /// (classic templates keep no symbolic names).
    fn symbol_path(&self, inst: &Instance) -> Option<String> {
        inst.symbol.as_ref().map(|s| format!("{}{s}", self.prefix))
    }

    /// How messages name an instance.
    fn describe(&self, inst: &Instance) -> String {
        if let Some(s) = &inst.symbol {
            return format!("'{}{s}'", self.prefix);
        }
        match &inst.name {
            Ok(n) => format!("{} '{n}'", inst.rtype),
            Err(_) => format!("a {} resource", inst.rtype),
        }
    }
}

impl Env for DepEnv<'_, '_, '_> {
    fn parameter(&self, name: &str) -> Result<Val, EvalError> {
        self.dep.scope().parameter(name).map(|v| (*v).clone())
    }
    fn variable(&self, name: &str) -> Result<Val, EvalError> {
        self.dep.scope().variable(name).map(|v| (*v).clone())
    }
    fn parameter_shared(&self, name: &str) -> Result<Arc<Val>, EvalError> {
        self.dep.scope().parameter(name)
    }
    fn variable_shared(&self, name: &str) -> Result<Arc<Val>, EvalError> {
        self.dep.scope().variable(name)
    }
    fn copy_index(&self, loop_name: Option<&str>) -> Result<i64, EvalError> {
        match (self.copy, loop_name) {
            (Some((_, i)), None) => Ok(i),
            (Some((n, i)), Some(l)) if n.eq_ignore_ascii_case(l) => Ok(i),
            (_, Some(l)) => Err(EvalError::invalid(format!(
                "copyIndex('{l}'): there is no copy loop named '{l}' here"
            ))),
            (None, None) => Err(EvalError::invalid(
                "copyIndex() is used outside a copy loop",
            )),
        }
    }
    fn context(&self) -> &Context {
        &self.dep.ctx
    }
    fn reference(&self, t: &Val, api: Option<&str>, full: bool) -> Result<Val, EvalError> {
        self.dep.reference(t, api, full)
    }
    fn resource_info(&self, symbol: &str) -> Result<Val, EvalError> {
        self.dep.resource_info(symbol)
    }
    fn user_function(&self, ns: &str, name: &str) -> Option<UserFunction<'_>> {
        self.dep
            .scope()
            .tpl
            .function(ns, name)
            .map(|f| UserFunction {
                params: f.params.clone(),
                output: f.output,
            })
    }
    fn parse(&self, s: &str) -> Result<Arc<Expr>, ParseError> {
        if let Some(e) = self.dep.x.parse_cache.borrow().get(s) {
            return Ok(e.clone());
        }
        let e = Arc::new(super::expr::parse_expression(s)?);
        self.dep
            .x
            .parse_cache
            .borrow_mut()
            .insert(s.to_string(), e.clone());
        Ok(e)
    }
    fn on_runtime_error(&self, e: EvalError) -> Result<Val, EvalError> {
        let reason = format!("cannot be evaluated: {}", e.message);
        if self.quiet {
            return Ok(Val::unknown(reason));
        }
        self.dep.x.notes.note(
            "INP041",
            format!("a template expression {reason}; what depends on it is unknown"),
            self.dep.tpl.file,
            format!("{}{}", self.base, e.pointer()),
        );
        Ok(Val::unknown(reason))
    }
}
