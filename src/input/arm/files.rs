//! File front ends: the JSON shapes that carry ARM resources, each reduced to [`ArmResource`]s
//! for the one mapper.
//!
//! * one resource: a REST GET body, `az … show -o json` (properties hoisted), `az resource show`;
//! * a REST list page, `{"value": […], "nextLink": …}`; `az … list -o json`, a bare array;
//! * an Azure REST API specification example, `{"parameters": …, "responses": {"200": {"body":
//!   …}}}` (its first 2xx body);
//! * an Azure Resource Graph result, `{"data": […], "totalRecords": …}` (`az graph query`);
//! * an aks-preflight snapshot (a REST list page with a `snapshot` header and the `reads` that
//!   produced it; see [`super::reads`]).

use super::reads::{self, ReadRecord, SNAPSHOT_FORMAT};
use super::{ArmResource, is_mapped_type, map_resources_owned, resource_type};
use crate::model::{InputNote, Lifecycle, Model, ResourceId};
use crate::source::{FileId, Loc, Origin};
use serde_json::{Map, Value};

/// An object that is an ARM resource: an `id` that is a resource id, or a `type` with a
/// namespace and a `name`.
fn is_resource(v: &Value) -> bool {
    let Some(o) = v.as_object() else {
        return false;
    };
    if o.get("id")
        .and_then(Value::as_str)
        .is_some_and(ResourceId::looks_like_id)
    {
        return true;
    }
    o.get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.contains('/') && !t.starts_with('/'))
        && o.get("name").is_some_and(Value::is_string)
}

/// A list whose items are resources (an empty list counts: `az … list` of nothing).
fn is_resource_list(items: &[Value]) -> bool {
    items.iter().any(is_resource) || items.is_empty()
}

/// The `{"parameters", "responses"}` shape of an Azure REST API specification example.
fn spec_example(o: &Map<String, Value>) -> bool {
    o.get("responses").is_some_and(Value::is_object) && o.contains_key("parameters")
}

/// Is this JSON document ARM resources (REST or `az` shape, a list, a specification example, a
/// Resource Graph result or a snapshot)? Documents of other kinds (Terraform, ARM templates,
/// what-if output) answer `false`.
pub fn is_arm_resource_json(root: &Value) -> bool {
    match root {
        Value::Array(items) => is_resource_list(items),
        Value::Object(o) => {
            if o.contains_key("$schema") || o.contains_key("format_version") {
                return false;
            }
            if is_resource(root) || spec_example(o) || o.contains_key("snapshot") {
                return true;
            }
            for list in ["value", "data"] {
                if let Some(Value::Array(items)) = o.get(list) {
                    return is_resource_list(items)
                        && (!items.is_empty()
                            || list == "value"
                            || o.contains_key("totalRecords"));
                }
            }
            false
        }
        _ => false,
    }
}

/// What a file holds besides its resources.
#[derive(Debug, Default)]
pub struct Contents {
    pub resources: Vec<ArmResource>,
    /// Items that are not ARM resources (effective routes, NSG views…), by pointer.
    pub other_items: usize,
    /// The list is one page of several (`nextLink`), at this pointer.
    pub next_link: Option<String>,
    /// The reads recorded in a snapshot.
    pub reads: Vec<ReadRecord>,
    /// The snapshot header, when the file is a snapshot.
    pub snapshot: Option<Value>,
}

fn push_item(out: &mut Contents, v: Value, ptr: String, file: FileId) {
    if is_resource(&v) {
        out.resources.push(ArmResource {
            value: v,
            origin: Origin {
                file: Some(file),
                address: None,
                loc: Loc::Pointer(ptr),
            },
            lifecycle: Lifecycle::Existing,
            symbol: None,
        });
    } else {
        out.other_items += 1;
    }
}

/// The resources of `v` moved into `out` (a copy of each would double the memory a large
/// file takes).
fn collect(v: Value, ptr: &str, file: FileId, out: &mut Contents) {
    let resource = is_resource(&v);
    match v {
        Value::Array(items) => {
            for (i, it) in items.into_iter().enumerate() {
                push_item(out, it, format!("{ptr}/{i}"), file);
            }
        }
        Value::Object(mut o) if spec_example(&o) => {
            let responses = o.get("responses").and_then(Value::as_object);
            let mut codes: Vec<&String> = responses
                .map(|r| r.keys().filter(|k| k.starts_with('2')).collect())
                .unwrap_or_default();
            codes.sort();
            let code = codes
                .into_iter()
                .find(|c| {
                    responses
                        .and_then(|r| r.get(*c))
                        .and_then(|r| r.get("body"))
                        .is_some()
                })
                .cloned();
            if let Some(code) = code {
                let body = o["responses"][code.as_str()]["body"].take();
                collect(body, &format!("{ptr}/responses/{code}/body"), file, out);
            }
        }
        Value::Object(o) if resource && !o.contains_key("value") => {
            push_item(out, Value::Object(o), ptr.to_string(), file);
        }
        Value::Object(mut o) => {
            for list in ["value", "data"] {
                if let Some(Value::Array(items)) = o.get_mut(list).map(Value::take) {
                    for (i, it) in items.into_iter().enumerate() {
                        push_item(out, it, format!("{ptr}/{list}/{i}"), file);
                    }
                }
            }
            if o.get("nextLink")
                .is_some_and(|l| l.as_str().is_some_and(|s| !s.is_empty()))
            {
                out.next_link = Some(format!("{ptr}/nextLink"));
            }
            if let Some(h) = o.remove("snapshot") {
                out.snapshot = Some(h);
                out.reads = reads::from_json(o.get("reads"));
            }
        }
        _ => {}
    }
}

/// The resources of a document (see the module documentation), with what else it holds.
pub fn resources_from_json(root: Value, file: FileId) -> Contents {
    let mut out = Contents::default();
    collect(root, "", file, &mut out);
    out
}

/// Load an ARM resources document into a model: the resources mapped, plus notes for what it
/// holds that the model does not (no resource read, further pages, failed reads of a snapshot).
pub fn load_value(root: Value, file: FileId, name: &str) -> Model {
    let mut c = resources_from_json(root, file);
    // the types, for the note on a file that holds nothing modelled; then each resource is
    // mapped and dropped, so that the model grows as the document shrinks
    let mut types: Vec<String> = c
        .resources
        .iter()
        .filter_map(|r| resource_type(&r.value))
        .collect();
    let mut model = map_resources_owned(std::mem::take(&mut c.resources));
    let whole = Origin::new(file, name, Loc::Pointer(String::new()));
    if let Some(p) = &c.next_link {
        model.input_notes.push(InputNote {
            code: "INP021",
            message: format!(
                "{name} is one page of a list: the next page (`nextLink`) is not in it, so \
                 resources on later pages are missing (`az rest` and `az … list` follow the \
                 pages for you)"
            ),
            origin: Origin::new(file, name, Loc::Pointer(p.clone())),
        });
    }
    if let Some(h) = &c.snapshot {
        let format = h.get("format").and_then(Value::as_str).unwrap_or("");
        if format != SNAPSHOT_FORMAT {
            model.input_notes.push(InputNote {
                code: "INP022",
                message: format!(
                    "{name} says it is a snapshot of format `{format}`; this aks-preflight \
                     writes and reads `{SNAPSHOT_FORMAT}`: read as ARM resources"
                ),
                origin: Origin::new(file, name, Loc::Pointer("/snapshot".into())),
            });
        }
        for (i, r) in c.reads.iter().enumerate() {
            if let Some(n) = r.note(Origin::new(file, name, Loc::Pointer(format!("/reads/{i}")))) {
                model.input_notes.push(n);
            }
        }
    }
    let mapped = types.iter().filter(|t| is_mapped_type(t)).count();
    if mapped == 0 && c.reads.is_empty() {
        types.sort();
        types.dedup();
        let what = match (types.is_empty(), c.other_items) {
            (false, _) => format!("resources of type {}", types.join(", ")),
            (true, 0) => "no resources".to_string(),
            (true, n) => format!("{n} item(s) that are not Azure resources (no `id` or `type`)"),
        };
        model.input_notes.push(InputNote {
            code: "INP020",
            message: format!(
                "{name} holds {what}: nothing aks-preflight models (virtual networks, subnets, \
                 NSGs, route tables, NAT gateways, public IPs, peerings, firewalls and policies, \
                 IP groups, private DNS zones and links, DNS resolver inbound endpoints, AKS \
                 clusters)"
            ),
            origin: whole,
        });
    }
    model
}
