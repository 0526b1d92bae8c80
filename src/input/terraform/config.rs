//! The plan's `configuration` tree: unevaluated expressions per module call, used to resolve
//! references when values are unknown until apply.

use super::instances::call_ptr;
use crate::source::ptr_seg;
use serde_json::Value;
use std::collections::HashMap;

/// A configuration node with its JSON pointer.
#[derive(Debug, Clone)]
pub(crate) struct Node<'a> {
    pub v: &'a Value,
    pub ptr: String,
}

#[derive(Debug, Default)]
pub(crate) struct Config<'a> {
    /// Module bodies by call-name path (`[]` is the root module).
    modules: HashMap<Vec<String>, Node<'a>>,
    /// Resource configuration blocks by (module path, module-relative address).
    resources: HashMap<(Vec<String>, String), Node<'a>>,
    /// Root module variable values as set for the plan (`variables`).
    root_vars: Option<&'a Value>,
}

const MAX_MODULE_DEPTH: usize = 64;

impl<'a> Config<'a> {
    pub(crate) fn from_plan(root: &'a Value) -> Config<'a> {
        let mut c = Config {
            root_vars: root.get("variables"),
            ..Default::default()
        };
        if let Some(rm) = root.get("configuration").and_then(|c| c.get("root_module")) {
            c.add_module(Vec::new(), rm, "/configuration/root_module".into());
        }
        c
    }

    fn add_module(&mut self, path: Vec<String>, m: &'a Value, ptr: String) {
        if path.len() > MAX_MODULE_DEPTH {
            return;
        }
        if let Some(rs) = m.get("resources").and_then(Value::as_array) {
            for (j, r) in rs.iter().enumerate() {
                if let Some(a) = r.get("address").and_then(Value::as_str) {
                    self.resources
                        .entry((path.clone(), a.to_string()))
                        .or_insert(Node {
                            v: r,
                            ptr: format!("{ptr}/resources/{j}"),
                        });
                }
            }
        }
        if let Some(calls) = m.get("module_calls").and_then(Value::as_object) {
            for (name, call) in calls {
                if let Some(body) = call.get("module") {
                    let mut p = path.clone();
                    p.push(name.clone());
                    self.add_module(p, body, call_ptr(&ptr, name));
                }
            }
        }
        self.modules.insert(path, Node { v: m, ptr });
    }

    /// The `expressions` of a resource block.
    pub(crate) fn resource_expressions(&self, module: &[String], rel: &str) -> Option<Node<'a>> {
        let r = self.resources.get(&(module.to_vec(), rel.to_string()))?;
        Some(Node {
            v: r.v.get("expressions")?,
            ptr: format!("{}/expressions", r.ptr),
        })
    }

    /// Expression of output `name` of the module at `module`.
    pub(crate) fn output(&self, module: &[String], name: &str) -> Option<Node<'a>> {
        let m = self.modules.get(module)?;
        let e = m.v.get("outputs")?.get(name)?.get("expression")?;
        Some(Node {
            v: e,
            ptr: format!("{}/outputs/{}/expression", m.ptr, ptr_seg(name)),
        })
    }

    /// The argument `var` given by the parent to module call `module` (a non-empty path).
    pub(crate) fn call_argument(&self, module: &[String], var: &str) -> Option<Node<'a>> {
        let (call, parent) = module.split_last()?;
        let pm = self.modules.get(parent)?;
        let e =
            pm.v.get("module_calls")?
                .get(call)?
                .get("expressions")?
                .get(var)?;
        Some(Node {
            v: e,
            ptr: format!(
                "{}/module_calls/{}/expressions/{}",
                pm.ptr,
                ptr_seg(call),
                ptr_seg(var)
            ),
        })
    }

    /// The default of variable `var` declared in the module at `module`.
    pub(crate) fn variable_default(&self, module: &[String], var: &str) -> Option<&'a Value> {
        self.modules
            .get(module)?
            .v
            .get("variables")?
            .get(var)?
            .get("default")
    }

    /// Whether variable `var` of the module at `module` is declared `sensitive`.
    pub(crate) fn variable_is_sensitive(&self, module: &[String], var: &str) -> bool {
        self.modules
            .get(module)
            .and_then(|m| m.v.get("variables"))
            .and_then(|v| v.get(var))
            .and_then(|v| v.get("sensitive"))
            .and_then(Value::as_bool)
            == Some(true)
    }

    /// The value of a root module variable as set for the plan.
    pub(crate) fn root_variable(&self, var: &str) -> Option<&'a Value> {
        self.root_vars?.get(var)?.get("value")
    }
}
