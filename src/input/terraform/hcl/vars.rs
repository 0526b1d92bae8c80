//! Values of the root module's variables, from the places Terraform reads them, later ones
//! winning: `TF_VAR_name` environment variables, `terraform.tfvars` (`.json`), `*.auto.tfvars`
//! (`.json`) in lexical order, then `--var-file` files and `--var NAME=VALUE` options.

use super::files::{parse_text, read_source};
use super::scope::ModuleDef;
use super::value::{Kind, Src, Val};
use crate::error::Error;
use crate::source::{FileId, Loc, SourceMap, ptr_seg};
use hcl::edit::Span;
use hcl::edit::expr::{Expression, ObjectKey, UnaryOperator};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Variable values given on the command line.
#[derive(Debug, Clone, Default)]
pub struct VarArgs {
    /// `--var NAME=VALUE`, in order.
    pub vars: Vec<String>,
    /// `--var-file FILE`, in order.
    pub var_files: Vec<PathBuf>,
}

/// Collect the root variables' values. Values of sensitive variables are marked sensitive in the
/// files they are written in, so excerpts never show them.
#[allow(clippy::result_large_err)]
pub(crate) fn root_inputs(
    sources: &mut SourceMap,
    root_dir: &Path,
    root: &ModuleDef<'_>,
    args: &VarArgs,
) -> Result<HashMap<String, Val>, Error> {
    let mut out: HashMap<String, Val> = HashMap::new();
    let decl = |n: &str| root.vars.iter().find(|v| v.name == n);
    let mut env: Vec<(String, String)> = std::env::vars()
        .filter_map(|(k, v)| k.strip_prefix("TF_VAR_").map(|n| (n.to_string(), v)))
        .collect();
    env.sort();
    for (name, text) in env {
        if let Some(d) = decl(&name) {
            out.insert(name.clone(), from_text(&name, &text, d.ty, "TF_VAR_")?);
        }
    }
    let mut files: Vec<PathBuf> = Vec::new();
    for f in ["terraform.tfvars", "terraform.tfvars.json"] {
        let p = root_dir.join(f);
        if p.is_file() {
            files.push(p);
        }
    }
    let mut auto: Vec<PathBuf> = std::fs::read_dir(root_dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| {
                    p.is_file()
                        && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                            n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json")
                        })
                })
                .collect()
        })
        .unwrap_or_default();
    auto.sort();
    files.extend(auto);
    files.extend(args.var_files.iter().cloned());
    for f in files {
        for (name, v) in read_file(sources, &f, |n| decl(n).is_some_and(|d| d.sensitive))? {
            out.insert(name, v);
        }
    }
    for a in &args.vars {
        let Some((name, text)) = a.split_once('=') else {
            return Err(Error::Usage(format!(
                "--var {a}: expected NAME=VALUE (for example --var dns_servers='[\"10.0.0.4\"]')"
            )));
        };
        let name = name.trim();
        let ty = decl(name).and_then(|d| d.ty);
        out.insert(name.to_string(), from_text(name, text, ty, "--var ")?);
    }
    Ok(out)
}

/// A value given as text (`--var`, `TF_VAR_`): a string for string (or untyped) variables, an
/// HCL expression otherwise, as Terraform reads them.
#[allow(clippy::result_large_err)]
fn from_text(name: &str, text: &str, ty: Option<&Expression>, how: &str) -> Result<Val, Error> {
    let is_string = match ty {
        None => true,
        Some(Expression::Variable(v)) => v.as_str() == "string",
        Some(Expression::String(s)) => s.value() == "string",
        _ => false,
    };
    if is_string {
        return Ok(Val::str(text));
    }
    let e = hcl::edit::parser::parse_expr(text).map_err(|e| {
        Error::Usage(format!(
            "{how}{name}: `{text}` is not a valid HCL value: {}",
            e.message()
        ))
    })?;
    constant(&e, None).map_err(|m| Error::Usage(format!("{how}{name}: {m}")))
}

/// Read a `.tfvars` or `.tfvars.json` file.
#[allow(clippy::result_large_err)]
fn read_file(
    sources: &mut SourceMap,
    path: &Path,
    sensitive: impl Fn(&str) -> bool,
) -> Result<Vec<(String, Val)>, Error> {
    let (name, text) = read_source(path)?;
    let file = sources.add(name.clone(), text);
    let text = sources.get(file).text.clone();
    let mut out = Vec::new();
    let mut secret = Vec::new();
    if name.ends_with(".json") {
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::Io {
            path: name.clone(),
            message: format!("not valid JSON: {e}"),
        })?;
        let obj = v.as_object().ok_or_else(|| Error::Io {
            path: name.clone(),
            message: "a .tfvars.json file must hold a JSON object".into(),
        })?;
        let keys: Vec<String> = obj.keys().cloned().collect();
        let ptrs: Vec<String> = keys.iter().map(|k| format!("/{}", ptr_seg(k))).collect();
        let spans = crate::jsonspan::resolve_pointers(&text, &ptrs);
        for ((k, x), span) in obj.iter().zip(spans) {
            let mut v = Val::from_json(x);
            if let Some(r) = span {
                v.src = Some(Src::new(file, r.clone()));
                if sensitive(k) {
                    secret.push(Loc::Span(r));
                }
            }
            out.push((k.clone(), v));
        }
    } else {
        let body = parse_text(&name, &text)?;
        for a in body.attributes() {
            let k = a.key.as_str();
            let v = constant(&a.value, Some(file)).map_err(|m| {
                let r = a.value.span().unwrap_or_default();
                Error::input_at(
                    &name,
                    text.clone(),
                    Some(r),
                    text.len(),
                    format!("{name}: the value of `{k}` is not a constant: {m}"),
                    "not a constant",
                    Some("a variables file holds literal values only".into()),
                )
            })?;
            if sensitive(k) {
                if let Some(r) = a.value.span() {
                    secret.push(Loc::Span(r));
                }
            }
            out.push((k.to_string(), v));
        }
    }
    if !secret.is_empty() {
        sources.mark_sensitive(file, secret);
    }
    Ok(out)
}

/// A constant expression as a value (a `.tfvars` value, an `optional()` default), every part
/// with its span when the file is given.
pub(crate) fn constant(e: &Expression, spans: Option<FileId>) -> Result<Val, String> {
    let v = match e {
        Expression::Null(_) => Val::null(),
        Expression::Bool(b) => Val::bool(*b.value()),
        Expression::Number(n) => Val::num(n.value().as_f64().unwrap_or(0.0)),
        Expression::String(s) => Val::str(s.value().as_str()),
        Expression::StringTemplate(t) => {
            let mut out = String::new();
            for el in t.iter() {
                out.push_str(
                    el.as_literal()
                        .ok_or("interpolations are not allowed here")?
                        .value(),
                );
            }
            Val::str(out)
        }
        Expression::HeredocTemplate(h) => {
            let mut out = String::new();
            for el in h.template.iter() {
                out.push_str(
                    el.as_literal()
                        .ok_or("interpolations are not allowed here")?
                        .value(),
                );
            }
            Val::str(out)
        }
        Expression::Array(a) => Val::list(
            a.iter()
                .map(|x| constant(x, spans))
                .collect::<Result<_, _>>()?,
        ),
        Expression::Object(o) => {
            let mut m = BTreeMap::new();
            for (k, x) in o.iter() {
                let key = match k {
                    ObjectKey::Ident(id) => id.as_str().to_string(),
                    ObjectKey::Expression(ke) => constant(ke, None)?.as_string()?,
                };
                m.insert(key, constant(x.expr(), spans)?);
            }
            Val::map(m)
        }
        Expression::Parenthesis(p) => constant(p.inner(), spans)?,
        Expression::UnaryOp(u) if *u.operator.value() == UnaryOperator::Neg => {
            let x = constant(&u.expr, None)?;
            Val::num(-x.as_num()?)
        }
        _ => return Err("only literal values are allowed here".into()),
    };
    Ok(match (spans, e.span()) {
        (Some(file), Some(r)) if !matches!(v.kind, Kind::Unknown(_)) => {
            v.with_src(Src::new(file, r))
        }
        _ => v,
    })
}
