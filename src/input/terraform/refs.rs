//! Reference resolution through the configuration: `azurerm_subnet.x.id`,
//! `module.net.subnet_ids["blue"]` (into the module's output), `var.subnet_id` (out to the parent's
//! module call argument), across any number of module boundaries, re-attaching module path and
//! instance keys.

use super::addr::{
    IndexKey, ModStep, ResourceAddr, Step, module_names, parse_traversal, steps_to_string,
};
use super::config::Config;
use super::instances::Instance;
use crate::input::tree::Node;
use serde_json::Value;
use std::collections::HashMap;

/// Where a reference leads before we pick the instance.
#[derive(Debug, Clone)]
enum Target {
    /// A resource (module indexes and resource index may be unspecified) and the attribute path
    /// below it.
    Res { addr: ResourceAddr, attr: Vec<Step> },
    /// A constant (a module argument or variable given literally).
    Const(Value),
}

/// A resolved reference.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Resolved {
    /// Instance (index into the instance list) and the attribute path (`[]` = the resource itself).
    Inst {
        inst: usize,
        attr: Vec<Step>,
    },
    Const(Value),
}

const MAX_DEPTH: usize = 32;

pub(crate) struct Resolver<'a, 'b> {
    pub insts: &'b [Instance<'a>],
    pub config: &'b Config<'a>,
    by_addr: HashMap<&'b str, usize>,
    by_base: HashMap<String, Vec<usize>>,
    /// Known Azure ids (lower case) -> model key (inline VNet subnets included).
    by_id: HashMap<String, String>,
    /// (type, lower-case name) -> instances.
    by_name: HashMap<(String, String), Vec<usize>>,
}

/// Keep the longest references: `a.b[0].c` makes `a.b[0]`, `a.b` and `a` redundant.
pub(crate) fn maximal(refs: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for r in refs {
        let covered = refs.iter().any(|o| {
            o.len() > r.len()
                && o.starts_with(r.as_str())
                && matches!(o.as_bytes()[r.len()], b'.' | b'[')
        });
        if !covered && !out.contains(&r.as_str()) {
            out.push(r);
        }
    }
    out
}

/// References that only pick an instance (`count.index`, `each.key`) or that never name a
/// resource.
fn is_helper(r: &str) -> bool {
    r == "count.index"
        || r.starts_with("count.")
        || r == "each.key"
        || r.starts_with("path.")
        || r.starts_with("terraform.")
}

impl<'a, 'b> Resolver<'a, 'b> {
    pub(crate) fn new(insts: &'b [Instance<'a>], config: &'b Config<'a>) -> Self {
        let mut by_addr = HashMap::new();
        let mut by_base: HashMap<String, Vec<usize>> = HashMap::new();
        // id -> (rank, model key): a managed resource (0) before a data source (1) before a
        // VNet's inline echo of a subnet (2); equal ranks by address. The choice never depends
        // on the order of the input.
        let mut by_id: HashMap<String, (u8, String)> = HashMap::new();
        let mut add_id = |id: String, rank: u8, key: String| {
            let e = by_id.entry(id).or_insert_with(|| (rank, key.clone()));
            if (rank, &key) < (e.0, &e.1) {
                *e = (rank, key);
            }
        };
        let mut by_name: HashMap<(String, String), Vec<usize>> = HashMap::new();
        for (i, inst) in insts.iter().enumerate() {
            if inst.deleted {
                continue; // gone after apply: nothing refers to it
            }
            by_addr.entry(&*inst.address).or_insert(i);
            by_base.entry(inst.addr().base()).or_default().push(i);
            if let Some(n) = inst
                .values
                .and_then(|v| v.get("name"))
                .and_then(Node::as_str)
            {
                by_name
                    .entry((inst.rtype.clone(), n.to_ascii_lowercase()))
                    .or_default()
                    .push(i);
            }
            let id_of = |v: &Node<'_>| {
                v.get("id")
                    .and_then(Node::as_str)
                    .filter(|id| id.starts_with('/'))
                    .map(str::to_ascii_lowercase)
            };
            if let Some(id) = inst.values.and_then(id_of) {
                add_id(id, u8::from(inst.data), inst.address.to_string());
            }
            if inst.rtype == "azurerm_virtual_network" && !inst.data {
                let subnets = inst
                    .values
                    .and_then(|v| v.get("subnet"))
                    .and_then(Node::as_array);
                for s in subnets.into_iter().flatten() {
                    if let (Some(id), Some(n)) = (id_of(s), s.get("name").and_then(Node::as_str)) {
                        add_id(id, 2, format!("{}/subnet/{n}", inst.address));
                    }
                }
            }
        }
        let by_id = by_id.into_iter().map(|(k, (_, v))| (k, v)).collect();
        Resolver {
            insts,
            config,
            by_addr,
            by_base,
            by_id,
            by_name,
        }
    }

    pub(crate) fn by_address(&self, a: &str) -> Option<usize> {
        self.by_addr.get(a).copied()
    }

    /// The model key of the element whose known `id` is `id` (case-insensitive).
    pub(crate) fn by_id(&self, id: &str) -> Option<&str> {
        self.by_id.get(&id.to_ascii_lowercase()).map(String::as_str)
    }

    /// Resolve references the HCL reader already resolved to instances: `[{"address": "…",
    /// "attr": "ip_configuration[0].private_ip_address"}]`.
    pub(crate) fn resolve_targets(&self, targets: &Value) -> Result<Vec<Resolved>, String> {
        let list = targets.as_array().map(Vec::as_slice).unwrap_or_default();
        if list.is_empty() {
            return Err("the value does not come from a resource".into());
        }
        let mut out = Vec::new();
        for t in list {
            let addr = t.get("address").and_then(Value::as_str).unwrap_or_default();
            let attr = match t.get("attr").and_then(Value::as_str) {
                Some("") | None => Vec::new(),
                Some(a) => parse_traversal(a).ok_or_else(|| format!("cannot read `{a}`"))?,
            };
            let inst = self
                .by_address(addr)
                .ok_or_else(|| format!("{addr} is not in this input"))?;
            let r = Resolved::Inst { inst, attr };
            if !out.contains(&r) {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Resolve the references of one expression made in the module instance `module` by a
    /// resource with instance key `self_index`.
    pub(crate) fn resolve_refs(
        &self,
        module: &[ModStep],
        refs: &[String],
        self_index: Option<&IndexKey>,
    ) -> Result<Vec<Resolved>, String> {
        let targets = self.resolve_ref_list(module, refs, self_index, 0)?;
        let mut out = Vec::new();
        for t in targets {
            let r = self.concretize(t, self_index)?;
            if !out.contains(&r) {
                out.push(r);
            }
        }
        Ok(out)
    }

    fn resolve_ref_list(
        &self,
        module: &[ModStep],
        refs: &[String],
        self_index: Option<&IndexKey>,
        depth: usize,
    ) -> Result<Vec<Target>, String> {
        let max = maximal(refs);
        let main: Vec<&str> = max.iter().copied().filter(|r| !is_helper(r)).collect();
        if main.is_empty() {
            return Err(match max.first() {
                Some(r) => format!("`{r}` does not name a resource"),
                None => "the expression has no references".into(),
            });
        }
        let mut out = Vec::new();
        for r in main {
            out.extend(self.resolve_one(module, r, self_index, depth)?);
        }
        Ok(out)
    }

    fn resolve_expr(
        &self,
        module: &[ModStep],
        e: &Value,
        self_index: Option<&IndexKey>,
        depth: usize,
    ) -> Result<Vec<Target>, String> {
        if let Some(c) = e.get("constant_value") {
            return Ok(vec![Target::Const(c.clone())]);
        }
        let refs: Vec<String> = e
            .get("references")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        self.resolve_ref_list(module, &refs, self_index, depth)
    }

    fn resolve_one(
        &self,
        module: &[ModStep],
        r: &str,
        self_index: Option<&IndexKey>,
        depth: usize,
    ) -> Result<Vec<Target>, String> {
        if depth > MAX_DEPTH {
            return Err(format!("`{r}`: reference chain too long (a cycle?)"));
        }
        let steps = parse_traversal(r).ok_or_else(|| format!("cannot read reference `{r}`"))?;
        let head = match &steps[0] {
            Step::Name(n) => n.as_str(),
            Step::Index(_) => return Err(format!("cannot read reference `{r}`")),
        };
        match head {
            "var" => {
                let Some(Step::Name(var)) = steps.get(1) else {
                    return Err(format!("cannot read reference `{r}`"));
                };
                let rest = &steps[2..];
                if self
                    .config
                    .variable_is_sensitive(&module_names(module), var)
                {
                    return Err(format!(
                        "`{r}` is a sensitive variable; its value is not read"
                    ));
                }
                let targets = if module.is_empty() {
                    match self.config.root_variable(var) {
                        Some(v) => vec![Target::Const(v.clone())],
                        None => match self.config.variable_default(&[], var) {
                            Some(v) => vec![Target::Const(v.clone())],
                            None => return Err(format!("root variable `{var}` has no value")),
                        },
                    }
                } else {
                    let names = module_names(module);
                    let Some((call, parent)) = module.split_last() else {
                        return Err(format!("cannot read reference `{r}`"));
                    };
                    match self.config.call_argument(&names, var) {
                        Some(node) => self
                            .resolve_expr(parent, node.v, call.index.as_ref(), depth + 1)
                            .map_err(|e| {
                                format!("`{r}` (argument of module.{}): {e}", call.name)
                            })?,
                        None => match self.config.variable_default(&names, var) {
                            Some(v) => vec![Target::Const(v.clone())],
                            None => {
                                return Err(format!(
                                    "`{r}`: module.{} is not given `{var}` in the configuration",
                                    call.name
                                ));
                            }
                        },
                    }
                };
                apply_rest(targets, rest, r)
            }
            "module" => {
                let Some(Step::Name(call)) = steps.get(1) else {
                    return Err(format!("cannot read reference `{r}`"));
                };
                let mut i = 2;
                let mut index = None;
                if let Some(Step::Index(k)) = steps.get(i) {
                    index = Some(k.clone());
                    i += 1;
                }
                let Some(Step::Name(out)) = steps.get(i) else {
                    return Err(format!(
                        "`{r}` names a whole module, not one of its outputs"
                    ));
                };
                let rest = &steps[i + 1..];
                let mut child = module.to_vec();
                child.push(ModStep {
                    name: call.clone(),
                    index,
                });
                let names = module_names(&child);
                let node = self.config.output(&names, out).ok_or_else(|| {
                    format!("`{r}`: output `{out}` of module.{call} is not in the configuration")
                })?;
                let targets = self
                    .resolve_expr(&child, node.v, self_index, depth + 1)
                    .map_err(|e| format!("`{r}` (output of module.{call}): {e}"))?;
                apply_rest(targets, rest, r)
            }
            "local" => Err(format!(
                "`{r}` is a local value; locals are not in plan JSON (give the .tf sources too)"
            )),
            "each" | "count" | "self" | "path" | "terraform" => Err(format!(
                "`{r}` depends on the instance being evaluated and cannot be followed in plan JSON"
            )),
            _ => {
                let (data, rest) = if head == "data" {
                    (true, &steps[1..])
                } else {
                    (false, &steps[..])
                };
                let (Some(Step::Name(t)), Some(Step::Name(n))) = (rest.first(), rest.get(1)) else {
                    return Err(format!("cannot read reference `{r}`"));
                };
                let mut i = 2;
                let mut index = None;
                if let Some(Step::Index(k)) = rest.get(i) {
                    index = Some(k.clone());
                    i += 1;
                }
                Ok(vec![Target::Res {
                    addr: ResourceAddr {
                        module: module.to_vec(),
                        data,
                        rtype: t.clone(),
                        name: n.clone(),
                        index,
                    },
                    attr: rest[i..].to_vec(),
                }])
            }
        }
    }

    fn concretize(&self, t: Target, self_index: Option<&IndexKey>) -> Result<Resolved, String> {
        let (addr, attr) = match t {
            Target::Const(v) => return Ok(Resolved::Const(v)),
            Target::Res { addr, attr } => (addr, attr),
        };
        let full = addr.render();
        if let Some(&i) = self.by_addr.get(full.as_str()) {
            return Ok(Resolved::Inst { inst: i, attr });
        }
        let base = addr.base();
        let Some(cands) = self.by_base.get(&base) else {
            return Err(format!("{full} is not in this input"));
        };
        let matching: Vec<usize> = cands
            .iter()
            .copied()
            .filter(|&c| {
                let ci = &self.insts[c];
                let mods_ok = ci.module.len() == addr.module.len()
                    && ci
                        .module
                        .iter()
                        .zip(&addr.module)
                        .all(|(a, b)| b.index.is_none() || a.index == b.index);
                mods_ok && (addr.index.is_none() || ci.index == addr.index)
            })
            .collect();
        match matching.len() {
            0 => Err(format!("{full} is not in this input")),
            1 => Ok(Resolved::Inst {
                inst: matching[0],
                attr,
            }),
            n => {
                if addr.index.is_none() {
                    if let Some(si) = self_index {
                        let same: Vec<usize> = matching
                            .iter()
                            .copied()
                            .filter(|&c| self.insts[c].index.as_ref() == Some(si))
                            .collect();
                        if same.len() == 1 {
                            return Ok(Resolved::Inst {
                                inst: same[0],
                                attr,
                            });
                        }
                    }
                }
                Err(format!(
                    "{full} has {n} instances and the reference does not say which one"
                ))
            }
        }
    }

    /// Instances of `types` whose name (and resource group, when both are known) match.
    pub(crate) fn by_name(&self, types: &[&str], name: &str, rg: Option<&str>) -> Vec<usize> {
        let lname = name.to_ascii_lowercase();
        let mut out: Vec<usize> = types
            .iter()
            .filter_map(|t| self.by_name.get(&(t.to_string(), lname.clone())))
            .flatten()
            .copied()
            .filter(|&i| {
                let g = self.insts[i]
                    .values
                    .and_then(|v| v.get("resource_group_name"))
                    .and_then(Node::as_str);
                match (rg, g) {
                    (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                    _ => true,
                }
            })
            .collect();
        out.sort_unstable();
        out
    }
}

/// Apply the steps that follow a module output or variable to what it resolved to.
fn apply_rest(targets: Vec<Target>, rest: &[Step], r: &str) -> Result<Vec<Target>, String> {
    if rest.is_empty() {
        return Ok(targets);
    }
    // `[a.id, b.id][1]`: a list output indexed by position
    if targets.len() > 1 {
        if let Step::Index(IndexKey::Int(i)) = &rest[0] {
            let i = usize::try_from(*i).map_err(|_| format!("`{r}`: negative index"))?;
            let t = targets
                .get(i)
                .cloned()
                .ok_or_else(|| format!("`{r}`: index {i} is out of range"))?;
            return apply_rest(vec![t], &rest[1..], r);
        }
        return Err(format!(
            "`{r}` selects `{}` from a value built from several resources",
            steps_to_string(rest)
        ));
    }
    let mut out = Vec::new();
    for t in targets {
        out.push(match t {
            Target::Const(v) => {
                let mut cur = &v;
                for st in rest {
                    cur = match st {
                        Step::Name(n) => cur.get(n.as_str()),
                        Step::Index(IndexKey::Str(k)) => cur.get(k.as_str()),
                        Step::Index(IndexKey::Int(i)) => {
                            usize::try_from(*i).ok().and_then(|i| cur.get(i))
                        }
                    }
                    .ok_or_else(|| {
                        format!("`{r}`: `{}` is not in the constant", steps_to_string(rest))
                    })?;
                }
                Target::Const(cur.clone())
            }
            Target::Res { mut addr, mut attr } => {
                let mut rest = rest;
                if addr.index.is_none() && attr.is_empty() {
                    if let Some(Step::Index(k)) = rest.first() {
                        addr.index = Some(k.clone());
                        rest = &rest[1..];
                    }
                }
                attr.extend(rest.iter().cloned());
                Target::Res { addr, attr }
            }
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maximal_drops_prefixes() {
        let refs: Vec<String> = [
            "module.net.subnet_ids[\"blue\"]",
            "module.net.subnet_ids",
            "module.net",
            "azurerm_subnet.x.id",
            "azurerm_subnet.x",
            "azurerm_subnet.xy",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            maximal(&refs),
            vec![
                "module.net.subnet_ids[\"blue\"]",
                "azurerm_subnet.x.id",
                "azurerm_subnet.xy"
            ]
        );
    }
}
