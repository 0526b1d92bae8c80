//! A template's declarations, read once: parameters, variables, user-defined functions, the
//! resources (classic array or languageVersion 2.0 object of symbolic names; child resources
//! nested in their parent flattened after it) and outputs, each with its JSON pointer.

use super::scope::Level;
use crate::source::{FileId, ptr_seg};
use serde_json::{Map, Value};

/// A template error: Azure rejects the template. Located by JSON pointer in `file`, and by byte
/// offset inside the string value when the error is in an expression.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateError {
    pub file: FileId,
    pub message: String,
    pub pointer: String,
    pub offset: Option<usize>,
}

#[derive(Debug)]
pub struct Template<'t> {
    pub file: FileId,
    /// Pointer of the template object in its file (`""` for a root template).
    pub pointer: String,
    /// `languageVersion` 2.0 (symbolic resource names).
    pub v2: bool,
    pub level: Level,
    pub params: Vec<(&'t str, &'t Value)>,
    pub variables: Vec<(String, VarDecl<'t>)>,
    pub functions: Vec<Function<'t>>,
    pub decls: Vec<Decl<'t>>,
    pub outputs: Option<&'t Map<String, Value>>,
}

#[derive(Debug, Clone, Copy)]
pub enum VarDecl<'t> {
    /// `"name": value`, at pointer `/variables/name`.
    Value(&'t Value),
    /// `"copy": [{name, count, input}]` entry `i`.
    Loop(&'t Value, usize),
}

#[derive(Debug)]
pub struct Function<'t> {
    pub namespace: String,
    pub name: String,
    pub params: Vec<String>,
    pub output: &'t Value,
}

/// One resource declaration.
#[derive(Debug)]
pub struct Decl<'t> {
    pub json: &'t Map<String, Value>,
    pub pointer: String,
    /// The symbolic name (languageVersion 2.0).
    pub symbol: Option<&'t str>,
    /// The declaration this one is nested in (a child resource).
    pub parent: Option<usize>,
}

impl<'t> Decl<'t> {
    pub fn get(&self, key: &str) -> Option<&'t Value> {
        self.json.get(key)
    }
    pub fn rtype(&self) -> &'t str {
        self.json.get("type").and_then(Value::as_str).unwrap_or("")
    }
    pub fn existing(&self) -> bool {
        self.json
            .get("existing")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }
    pub fn is_deployment(&self) -> bool {
        self.rtype()
            .eq_ignore_ascii_case("Microsoft.Resources/deployments")
    }
}

impl<'t> Template<'t> {
    /// Read a template object found at `pointer` of `file`.
    pub fn read(
        file: FileId,
        root: &'t Value,
        pointer: &str,
    ) -> Result<Template<'t>, TemplateError> {
        let err = |message: String, p: String| TemplateError {
            file,
            message,
            pointer: p,
            offset: None,
        };
        let Some(obj) = root.as_object() else {
            return Err(err(
                "the template is not a JSON object".into(),
                pointer.to_string(),
            ));
        };
        let v2 = obj
            .get("languageVersion")
            .and_then(Value::as_str)
            .is_some_and(|v| v.starts_with('2'));
        let level = Level::from_schema(obj.get("$schema").and_then(Value::as_str).unwrap_or(""));
        let mut params = vec![];
        match obj.get("parameters") {
            None | Some(Value::Null) => {}
            Some(Value::Object(p)) => {
                for (k, v) in p {
                    if !v.is_object() {
                        return Err(err(
                            format!("parameter '{k}' must be an object with a `type`"),
                            format!("{pointer}/parameters/{}", ptr_seg(k)),
                        ));
                    }
                    params.push((k.as_str(), v));
                }
            }
            Some(_) => {
                return Err(err(
                    "`parameters` must be an object".into(),
                    format!("{pointer}/parameters"),
                ));
            }
        }
        let mut variables = vec![];
        match obj.get("variables") {
            None | Some(Value::Null) => {}
            Some(Value::Object(vars)) => {
                for (k, v) in vars {
                    if k == "copy" && super::eval::is_property_loops(v) {
                        for (i, l) in v.as_array().into_iter().flatten().enumerate() {
                            let name = l.get("name").and_then(Value::as_str).unwrap_or_default();
                            variables.push((name.to_string(), VarDecl::Loop(l, i)));
                        }
                    } else {
                        variables.push((k.clone(), VarDecl::Value(v)));
                    }
                }
            }
            Some(_) => {
                return Err(err(
                    "`variables` must be an object".into(),
                    format!("{pointer}/variables"),
                ));
            }
        }
        let mut functions = vec![];
        if let Some(Value::Array(ns)) = obj.get("functions") {
            for n in ns {
                let namespace = n.get("namespace").and_then(Value::as_str).unwrap_or("");
                if let Some(Value::Object(members)) = n.get("members") {
                    for (name, f) in members {
                        let params = f
                            .get("parameters")
                            .and_then(Value::as_array)
                            .map(|ps| {
                                ps.iter()
                                    .filter_map(|p| p.get("name").and_then(Value::as_str))
                                    .map(str::to_string)
                                    .collect()
                            })
                            .unwrap_or_default();
                        if let Some(output) = f.get("output").and_then(|o| o.get("value")) {
                            functions.push(Function {
                                namespace: namespace.to_string(),
                                name: name.clone(),
                                params,
                                output,
                            });
                        }
                    }
                }
            }
        }
        let mut decls = vec![];
        match obj.get("resources") {
            None | Some(Value::Null) => {}
            Some(Value::Array(rs)) => {
                for (i, r) in rs.iter().enumerate() {
                    read_decl(
                        file,
                        r,
                        format!("{pointer}/resources/{i}"),
                        None,
                        None,
                        &mut decls,
                    )?;
                }
            }
            Some(Value::Object(rs)) => {
                for (k, r) in rs {
                    read_decl(
                        file,
                        r,
                        format!("{pointer}/resources/{}", ptr_seg(k)),
                        Some(k.as_str()),
                        None,
                        &mut decls,
                    )?;
                }
            }
            Some(_) => {
                return Err(err(
                    "`resources` must be an array (or, with languageVersion 2.0, an object of symbolic names)".into(),
                    format!("{pointer}/resources"),
                ));
            }
        }
        let outputs = obj.get("outputs").and_then(Value::as_object);
        Ok(Template {
            file,
            pointer: pointer.to_string(),
            v2,
            level,
            params,
            variables,
            functions,
            decls,
            outputs,
        })
    }

    pub fn param(&self, name: &str) -> Option<(&'t str, &'t Value)> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .copied()
    }

    pub fn variable(&self, name: &str) -> Option<(&str, VarDecl<'t>)> {
        self.variables
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(k, v)| (k.as_str(), *v))
    }

    pub fn function(&self, ns: &str, name: &str) -> Option<&Function<'t>> {
        self.functions
            .iter()
            .find(|f| f.namespace.eq_ignore_ascii_case(ns) && f.name.eq_ignore_ascii_case(name))
    }

    /// Names of the declared parameters, for messages.
    pub fn param_names(&self) -> String {
        if self.params.is_empty() {
            return "none".into();
        }
        self.params
            .iter()
            .map(|(k, _)| *k)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn read_decl<'t>(
    file: FileId,
    r: &'t Value,
    pointer: String,
    symbol: Option<&'t str>,
    parent: Option<usize>,
    out: &mut Vec<Decl<'t>>,
) -> Result<(), TemplateError> {
    let err = |message: String, p: String| TemplateError {
        file,
        message,
        pointer: p,
        offset: None,
    };
    let Some(obj) = r.as_object() else {
        return Err(err("a resource must be a JSON object".into(), pointer));
    };
    match obj.get("type") {
        Some(Value::String(_)) => {}
        Some(_) => {
            return Err(err(
                "the resource `type` must be a string".into(),
                format!("{pointer}/type"),
            ));
        }
        None => return Err(err("the resource has no `type`".into(), pointer)),
    }
    if !obj.contains_key("name") {
        return Err(err("the resource has no `name`".into(), pointer));
    }
    if let Some(c) = obj.get("copy") {
        if !c.is_object() || c.get("count").is_none() {
            return Err(err(
                "a resource `copy` must be an object with `name` and `count`".into(),
                format!("{pointer}/copy"),
            ));
        }
    }
    let me = out.len();
    out.push(Decl {
        json: obj,
        pointer: pointer.clone(),
        symbol,
        parent,
    });
    match obj.get("resources") {
        None | Some(Value::Null) => {}
        Some(Value::Array(children)) => {
            for (i, c) in children.iter().enumerate() {
                read_decl(
                    file,
                    c,
                    format!("{pointer}/resources/{i}"),
                    None,
                    Some(me),
                    out,
                )?;
            }
        }
        Some(Value::Object(children)) => {
            for (k, c) in children {
                read_decl(
                    file,
                    c,
                    format!("{pointer}/resources/{}", ptr_seg(k)),
                    Some(k.as_str()),
                    Some(me),
                    out,
                )?;
            }
        }
        Some(_) => {
            return Err(err(
                "child `resources` must be an array".into(),
                format!("{pointer}/resources"),
            ));
        }
    }
    Ok(())
}
