//! The REST shape of evaluated resources: what `reference()` sees of a declared resource
//! (partial: what Azure sets is unknown and names the property), what it sees of a nested
//! deployment (its outputs), the ids Azure gives inline sub-resources, and which resource
//! types the network model reads.

use super::value::{Obj, Partial, RefPath, Seg, Unknown, Val};
use serde_json::Value;
use std::sync::Arc;

/// Whether the network model reads resources of this type (notes about others are noise).
pub fn relevant(rtype: &str) -> bool {
    let t = rtype.to_ascii_lowercase();
    (t.starts_with("microsoft.network/")
        || t.starts_with("microsoft.containerservice/managedclusters")
        || t == "microsoft.resources/deployments")
        && !t.contains("/providers/")
}

/// `{type, value}` of an output.
pub fn output_entry(decl: &Value, value: Val) -> Val {
    let mut o = Obj::new();
    o.insert(
        "type".into(),
        Val::str(decl.get("type").and_then(Value::as_str).unwrap_or("object")),
    );
    o.insert("value".into(), value);
    Val::Object(o)
}

/// What `reference()` of a nested deployment gives (`properties.outputs`), in full form.
pub fn deployment_value(id: Option<&str>, name: Option<&str>, rtype: &str, outputs: Val) -> Val {
    let mut props = Obj::new();
    props.insert("outputs".into(), outputs);
    props.insert("provisioningState".into(), Val::str("Succeeded"));
    let mut o = Obj::new();
    if let Some(id) = id {
        o.insert("id".into(), Val::str(id));
    }
    if let Some(n) = name {
        o.insert("name".into(), Val::str(n));
    }
    o.insert("type".into(), Val::str(rtype));
    o.insert("properties".into(), Val::Object(props));
    Val::Object(o)
}

/// A declared resource as `reference()` sees it: what the template sets, and for anything else
/// an unknown value that names the resource property.
pub fn partial(v: Val, at: &RefPath, reason: &Arc<str>) -> Val {
    match v {
        Val::Object(o) => {
            let mut out = Obj::new();
            for (k, x) in o.into_entries() {
                let child = at.child(Seg::Prop(k.clone()));
                out.insert(k, partial(x, &child, reason));
            }
            out.open = Some(Arc::new(Partial {
                reason: reason.clone(),
                at: Some(at.clone()),
            }));
            Val::Object(out)
        }
        Val::Array(a) => Val::Array(
            a.into_iter()
                .enumerate()
                .map(|(i, x)| partial(x, &at.child(Seg::Index(i)), reason))
                .collect(),
        ),
        // not set by the template: Azure may set it
        Val::Null => Val::Unknown(Unknown {
            reason: reason.clone(),
            refers: Some(Arc::new(at.clone())),
        }),
        other => other,
    }
}

/// Sub-resources written inline (a VNet's `subnets`, an NSG's `securityRules`, …) get the ids
/// Azure gives them, as in a REST GET.
pub fn add_child_ids(obj: &mut Obj, rtype: &str, id: &str) {
    const INLINE: &[(&str, &str)] = &[
        ("Microsoft.Network/virtualNetworks", "subnets"),
        (
            "Microsoft.Network/virtualNetworks",
            "virtualNetworkPeerings",
        ),
        ("Microsoft.Network/networkSecurityGroups", "securityRules"),
        ("Microsoft.Network/routeTables", "routes"),
        ("Microsoft.Network/azureFirewalls", "ipConfigurations"),
    ];
    let Some(Val::Object(props)) = obj.get("properties").cloned() else {
        return;
    };
    let mut props = props;
    let mut changed = false;
    for (t, key) in INLINE {
        if !t.eq_ignore_ascii_case(rtype) {
            continue;
        }
        let Some(Val::Array(items)) = props.get(key).cloned() else {
            continue;
        };
        let items = items
            .into_iter()
            .map(|item| match item {
                Val::Object(mut o) if !o.contains_key("id") => {
                    if let Some(Val::Str(n)) = o.get("name").cloned() {
                        o.insert("id".into(), Val::str(format!("{id}/{key}/{n}")));
                        changed = true;
                    }
                    Val::Object(o)
                }
                other => other,
            })
            .collect();
        props.insert((*key).to_string(), Val::Array(items));
    }
    if changed {
        obj.insert("properties".into(), Val::Object(props));
    }
}
