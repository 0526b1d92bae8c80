//! Resource instances of a plan, a `terraform show -json` state, or a raw `terraform.tfstate`,
//! with the values we model (the after-state), their masks and their JSON pointers.

use super::addr::{IndexKey, ModStep, ResourceAddr, parse_module_path, parse_resource_address};
use super::hcl::SpanTable;
use super::value::{Mask, V};
use crate::input::document::ChangeValues;
use crate::input::tree::{self, Node};
use crate::model::{InputNote, Lifecycle, ResourceId};
use crate::source::{FileId, Loc, Origin, ptr_seg};
use bumpalo::Bump;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::Arc;

/// One resource instance as read from the input.
#[derive(Debug)]
pub(crate) struct Instance<'a> {
    /// Shared by the origins of the instance's parts.
    pub address: Arc<str>,
    pub module: Vec<ModStep>,
    pub data: bool,
    pub rtype: String,
    pub name: String,
    pub index: Option<IndexKey>,
    pub values: Option<&'a Node<'a>>,
    pub unknown: Option<&'a Node<'a>>,
    /// Its sensitivity mask (for a raw tfstate, built from `sensitive_attributes`).
    pub sensitive: Option<&'a Node<'a>>,
    /// Pointer of `values` in the original text.
    pub ptr: String,
    pub lifecycle: Lifecycle,
    /// This instance's own configuration expressions and their pointer (the HCL reader evaluates
    /// each instance); `None`: the plan's per-block `configuration` applies.
    pub expressions: Option<(&'a Value, String)>,
    /// Source spans of the values (HCL); `None`: origins are JSON pointers into the input.
    pub spans: Option<&'a SpanTable>,
    /// Deleted by the plan: `values` is the before-state. Such an instance is no element of the
    /// model; it only removes what it managed from the echoes of its parent (a rule from its
    /// NSG's refreshed `security_rule` list, a subnet from its VNet's `subnet` list...).
    pub deleted: bool,
    /// The before-state of a planned change (plans only): what an update or replacement
    /// changes, e.g. the old name of a replaced NSG rule.
    pub before: Option<&'a Node<'a>>,
}

impl<'a> Instance<'a> {
    pub(crate) fn addr(&self) -> ResourceAddr {
        ResourceAddr {
            module: self.module.clone(),
            data: self.data,
            rtype: self.rtype.clone(),
            name: self.name.clone(),
            index: self.index.clone(),
        }
    }

    /// A cursor at the root of this instance's values (no configuration attached).
    pub(crate) fn cursor(&self, file: FileId) -> V<'_> {
        V::root(
            self.values,
            Mask::from_opt(self.unknown),
            Mask::from_opt(self.sensitive),
            self.ptr.clone(),
            &self.address,
            file,
        )
        .with_spans(self.spans)
    }

    pub(crate) fn origin(&self, file: FileId) -> Origin {
        match self.spans {
            Some(t) => t.origin(file, &self.address, &self.ptr),
            None => Origin::new(file, self.address.clone(), Loc::Pointer(self.ptr.clone())),
        }
    }
}

/// Network and cluster resource types whose deletion is worth a note.
fn is_network_type(t: &str) -> bool {
    t.starts_with("azurerm_kubernetes_cluster")
        || t.starts_with("azurerm_virtual_network")
        || t.starts_with("azurerm_subnet")
        || t.starts_with("azurerm_network_security")
        || t.starts_with("azurerm_route")
        || t.starts_with("azurerm_nat_gateway")
        || t.starts_with("azurerm_firewall")
        || t.starts_with("azurerm_private_dns")
        || t.starts_with("azurerm_public_ip")
        || t == "azurerm_ip_group"
}

fn str_of<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// Build an instance from the common fields of a change / values entry.
fn base_instance<'a>(entry: &'a Value, fallback_module: Option<&str>) -> Option<Instance<'a>> {
    let address = str_of(entry, "address")?;
    let parsed = parse_resource_address(address);
    let rtype = str_of(entry, "type")
        .map(str::to_string)
        .or_else(|| parsed.as_ref().map(|p| p.rtype.clone()))?;
    let name = str_of(entry, "name")
        .map(str::to_string)
        .or_else(|| parsed.as_ref().map(|p| p.name.clone()))?;
    let data = match str_of(entry, "mode") {
        Some(m) => m == "data",
        None => parsed.as_ref().is_some_and(|p| p.data),
    };
    let module = match str_of(entry, "module_address").or(fallback_module) {
        Some(m) => parse_module_path(m).unwrap_or_default(),
        None => parsed
            .as_ref()
            .map(|p| p.module.clone())
            .unwrap_or_default(),
    };
    let index = entry
        .get("index")
        .and_then(IndexKey::from_json)
        .or_else(|| parsed.as_ref().and_then(|p| p.index.clone()));
    Some(Instance {
        address: address.into(),
        module,
        data,
        rtype,
        name,
        index,
        values: None,
        unknown: None,
        sensitive: None,
        ptr: String::new(),
        lifecycle: Lifecycle::Existing,
        expressions: None,
        spans: None,
        deleted: false,
        before: None,
    })
}

/// Instances of a plan: `resource_changes` (after-state, their values in `changes`) and the data
/// sources of `prior_state` (their values copied into `bump`).
pub(crate) fn from_plan<'a>(
    root: &'a Value,
    change_values: &'a [ChangeValues<'a>],
    bump: &'a Bump,
    file: FileId,
    notes: &mut Vec<InputNote>,
) -> Vec<Instance<'a>> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    if let Some(changes) = root.get("resource_changes").and_then(Value::as_array) {
        for (i, rc) in changes.iter().enumerate() {
            if rc.get("deposed").is_some() {
                continue; // a deposed object is on its way out
            }
            let Some(mut inst) = base_instance(rc, None) else {
                continue;
            };
            let change = rc.get("change");
            let ch = change_values.get(i);
            let actions: Vec<&str> = change
                .and_then(|c| c.get("actions"))
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let has = |a: &str| actions.contains(&a);
            let base = format!("/resource_changes/{i}/change");
            let (lifecycle, side) = if has("delete") && has("create") {
                (Lifecycle::Replace, "after")
            } else if has("delete") {
                if is_network_type(&inst.rtype) {
                    notes.push(InputNote {
                        code: "INP003",
                        message: format!(
                            "{} is deleted by this plan; it is left out of the model",
                            inst.address
                        ),
                        origin: Origin::new(
                            file,
                            inst.address.clone(),
                            Loc::Pointer(format!("/resource_changes/{i}")),
                        ),
                    });
                }
                seen.insert(inst.address.clone());
                inst.deleted = true;
                inst.values = ch.and_then(|c| c.before.as_ref());
                inst.sensitive = ch.and_then(|c| c.before_sensitive.as_ref());
                inst.ptr = format!("{base}/before");
                out.push(inst);
                continue;
            } else if has("forget") && !has("create") {
                // removed from state but not destroyed: it stays in Azure as it was
                (Lifecycle::Existing, "before")
            } else if has("create") {
                (Lifecycle::Create, "after")
            } else if has("update") {
                (Lifecycle::Update, "after")
            } else if has("read") {
                (Lifecycle::Read, "after")
            } else {
                (Lifecycle::Existing, "after")
            };
            if lifecycle == Lifecycle::Read && inst.data && is_network_type(&inst.rtype) {
                let why = rc
                    .get("action_reason")
                    .and_then(Value::as_str)
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default();
                notes.push(InputNote {
                    code: "INP007",
                    message: format!(
                        "{} is read only during apply{why}: its attributes are unknown in this plan",
                        inst.address
                    ),
                    origin: Origin::new(
                        file,
                        inst.address.clone(),
                        Loc::Pointer(format!("/resource_changes/{i}")),
                    ),
                });
            }
            inst.lifecycle = lifecycle;
            inst.before = ch.and_then(|c| c.before.as_ref()).filter(|b| !b.is_null());
            if side == "after" {
                inst.values = ch.and_then(|c| c.after.as_ref());
                inst.unknown = ch.and_then(|c| c.after_unknown.as_ref());
                inst.sensitive = ch.and_then(|c| c.after_sensitive.as_ref());
            } else {
                inst.values = ch.and_then(|c| c.before.as_ref());
                inst.sensitive = ch.and_then(|c| c.before_sensitive.as_ref());
            }
            inst.ptr = format!("{base}/{side}");
            seen.insert(inst.address.clone());
            out.push(inst);
        }
    }
    // data sources read at plan time (and, for plans that list only changed resources, the
    // unchanged managed ones)
    if let Some(rm) = root
        .get("prior_state")
        .and_then(|p| p.get("values"))
        .and_then(|v| v.get("root_module"))
    {
        let mut data = Vec::new();
        walk_values_module(
            rm,
            "/prior_state/values/root_module".into(),
            bump,
            &mut data,
        );
        for inst in data {
            if seen.insert(inst.address.clone()) {
                out.push(inst);
            }
        }
    }
    out
}

/// Ids (before the change) of the resources a plan deletes or replaces: existing resources with
/// these ids are gone after apply (see `Model::layered`).
pub(crate) fn deleted_ids(root: &Value, changes: &[ChangeValues<'_>]) -> Vec<ResourceId> {
    let Some(rcs) = root.get("resource_changes").and_then(Value::as_array) else {
        return vec![];
    };
    rcs.iter()
        .zip(changes)
        .filter(|(rc, _)| rc.get("mode").and_then(Value::as_str) != Some("data"))
        .filter(|(rc, _)| {
            rc.get("change")
                .and_then(|c| c.get("actions"))
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|x| x.as_str() == Some("delete")))
        })
        .filter_map(|(_, c)| c.before?.get("id")?.as_str())
        .filter(|id| ResourceId::looks_like_id(id))
        .map(ResourceId::new)
        .collect()
}

/// Instances of `terraform show -json` state output (`values.root_module`), their values copied
/// into `bump`.
pub(crate) fn from_state<'a>(root: &'a Value, bump: &'a Bump) -> Vec<Instance<'a>> {
    let mut out = Vec::new();
    if let Some(rm) = root.get("values").and_then(|v| v.get("root_module")) {
        walk_values_module(rm, "/values/root_module".into(), bump, &mut out);
    }
    out
}

/// `v` as a tree in `bump` (its strings borrowed from `v`).
fn node_of<'a>(v: &'a Value, bump: &'a Bump) -> &'a Node<'a> {
    bump.alloc(Node::from_value(v, bump))
}

fn walk_values_module<'a>(m: &'a Value, ptr: String, bump: &'a Bump, out: &mut Vec<Instance<'a>>) {
    if let Some(rs) = m.get("resources").and_then(Value::as_array) {
        for (j, r) in rs.iter().enumerate() {
            if r.get("deposed").is_some() {
                continue;
            }
            let Some(mut inst) = base_instance(r, None) else {
                continue;
            };
            inst.values = r.get("values").map(|v| node_of(v, bump));
            inst.sensitive = r.get("sensitive_values").map(|v| node_of(v, bump));
            inst.ptr = format!("{ptr}/resources/{j}/values");
            inst.lifecycle = if inst.data {
                Lifecycle::Read
            } else {
                Lifecycle::Existing
            };
            out.push(inst);
        }
    }
    if let Some(cms) = m.get("child_modules").and_then(Value::as_array) {
        for (k, cm) in cms.iter().enumerate() {
            walk_values_module(cm, format!("{ptr}/child_modules/{k}"), bump, out);
        }
    }
}

/// Instances of a raw `terraform.tfstate` (version 4): `resources[].instances[]`, their values
/// copied into `bump`.
pub(crate) fn from_tfstate<'a>(root: &'a Value, bump: &'a Bump) -> Vec<Instance<'a>> {
    let mut out = Vec::new();
    let Some(rs) = root.get("resources").and_then(Value::as_array) else {
        return out;
    };
    for (i, r) in rs.iter().enumerate() {
        let (Some(rtype), Some(name)) = (str_of(r, "type"), str_of(r, "name")) else {
            continue;
        };
        let data = str_of(r, "mode") == Some("data");
        let module = str_of(r, "module")
            .and_then(parse_module_path)
            .unwrap_or_default();
        let Some(insts) = r.get("instances").and_then(Value::as_array) else {
            continue;
        };
        for (j, ins) in insts.iter().enumerate() {
            if ins.get("deposed").is_some() {
                continue;
            }
            let index = ins.get("index_key").and_then(IndexKey::from_json);
            let addr = ResourceAddr {
                module: module.clone(),
                data,
                rtype: rtype.to_string(),
                name: name.to_string(),
                index: index.clone(),
            };
            out.push(Instance {
                address: addr.render().into(),
                module: module.clone(),
                data,
                rtype: rtype.to_string(),
                name: name.to_string(),
                index,
                values: ins.get("attributes").map(|v| node_of(v, bump)),
                unknown: None,
                sensitive: ins
                    .get("sensitive_attributes")
                    .and_then(|p| sensitive_mask(p, bump))
                    .map(|m| &*bump.alloc(m)),
                ptr: format!("/resources/{i}/instances/{j}/attributes",),
                lifecycle: if data {
                    Lifecycle::Read
                } else {
                    Lifecycle::Existing
                },
                expressions: None,
                spans: None,
                deleted: false,
                before: None,
            });
        }
    }
    out
}

/// Turn tfstate `sensitive_attributes` (a list of paths of `{type: get_attr|index, value}` steps)
/// into a mask of the same shape as `after_sensitive` (objects keyed by attribute; list indexes
/// become whole-list masks, which errs on the side of hiding), in `bump`.
fn sensitive_mask<'a>(paths: &'a Value, bump: &'a Bump) -> Option<Node<'a>> {
    let paths = paths.as_array()?;
    if paths.is_empty() {
        return None;
    }
    let names: Vec<Vec<&str>> = paths
        .iter()
        .filter_map(Value::as_array)
        .map(|steps| {
            steps
                .iter()
                .take_while(|s| s.get("type").and_then(Value::as_str) == Some("get_attr"))
                .filter_map(|s| s.get("value").and_then(Value::as_str))
                .collect::<Vec<_>>()
        })
        .filter(|n| !n.is_empty())
        .collect();
    let all: Vec<&[&str]> = names.iter().map(Vec::as_slice).collect();
    Some(mask_of(&all, bump))
}

/// The mask of the (non-empty) attribute paths `paths`: an attribute some path ends at is
/// sensitive as a whole.
fn mask_of<'a>(paths: &[&[&'a str]], bump: &'a Bump) -> Node<'a> {
    let mut keys: Vec<&'a str> = paths.iter().map(|p| p[0]).collect();
    keys.sort_unstable();
    keys.dedup();
    let mut members: Vec<(&'a str, Node<'a>)> = keys
        .into_iter()
        .map(|k| {
            let below: Vec<&[&'a str]> = paths
                .iter()
                .filter(|p| p[0] == k)
                .map(|p| &p[1..])
                .collect();
            if below.iter().any(|p| p.is_empty()) {
                (k, Node::Bool(true))
            } else {
                (k, mask_of(&below, bump))
            }
        })
        .collect();
    Node::Object(tree::object(bump, &mut members))
}

/// Pointer of a `module_calls` child configuration.
pub(crate) fn call_ptr(parent: &str, call: &str) -> String {
    format!("{parent}/module_calls/{}/module", ptr_seg(call))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tfstate_sensitive_paths_become_a_mask() {
        let paths = json!([[{"type": "get_attr", "value": "http_proxy_config"},
            {"type": "index", "value": {"value": 0, "type": "number"}},
            {"type": "get_attr", "value": "trusted_ca"}],
            [{"type": "get_attr", "value": "kube_config_raw"}],
            [{"type": "get_attr", "value": "a"}, {"type": "get_attr", "value": "b"}],
            [{"type": "get_attr", "value": "a"}, {"type": "get_attr", "value": "c"}],
            [{"type": "get_attr", "value": "d"}, {"type": "get_attr", "value": "e"}],
            [{"type": "get_attr", "value": "d"}]]);
        let bump = Bump::new();
        let m = sensitive_mask(&paths, &bump).expect("mask");
        assert_eq!(
            m.to_value(),
            json!({"http_proxy_config": true, "kube_config_raw": true,
                   "a": {"b": true, "c": true}, "d": true})
        );
        assert!(sensitive_mask(&json!([]), &bump).is_none());
    }

    #[test]
    fn plan_actions_map_to_lifecycle() {
        let plan = json!({"format_version": "1.2", "resource_changes": [
            {"address": "azurerm_subnet.a", "mode": "managed", "type": "azurerm_subnet", "name": "a",
             "change": {"actions": ["delete", "create"], "after": {"name": "a"}}},
            {"address": "azurerm_subnet.b", "mode": "managed", "type": "azurerm_subnet", "name": "b",
             "change": {"actions": ["delete"], "before": {"name": "b"}, "after": null}},
            {"address": "azurerm_subnet.c", "mode": "managed", "type": "azurerm_subnet", "name": "c",
             "change": {"actions": ["forget"], "before": {"name": "c"}, "after": null}}
        ]});
        let text = plan.to_string();
        let bump = Bump::new();
        let doc = crate::input::document::parse(&text, &bump).unwrap();
        let mut notes = Vec::new();
        let insts = from_plan(&doc.root, &doc.changes, &bump, FileId(0), &mut notes);
        assert_eq!(insts.len(), 3);
        assert_eq!(insts[0].lifecycle, Lifecycle::Replace);
        assert!(!insts[0].deleted);
        // the deleted subnet stays, marked, with its before-state (it removes echoes)
        assert!(insts[1].deleted);
        assert_eq!(insts[1].ptr, "/resource_changes/1/change/before");
        assert_eq!(&*insts[2].address, "azurerm_subnet.c");
        assert_eq!(insts[2].ptr, "/resource_changes/2/change/before");
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].code, "INP003");
        assert!(notes[0].message.contains("azurerm_subnet.b"));
    }
}
