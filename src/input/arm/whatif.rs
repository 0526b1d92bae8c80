//! `az deployment group|sub what-if --output json` (with or without `--no-pretty-print`) and the
//! REST `whatIf` response: the resources a deployment would leave, for the ARM resource reader.
//!
//! Azure has evaluated the template, so no expressions remain, except values known only at
//! deployment, which what-if leaves as `[reference(…)…]` strings: those become unknown values
//! (naming the resource property when the expression names a resource id).
//!
//! * `Create` → the `after` state, created; `Modify`, `Deploy` → `after`, updated; `NoChange`,
//!   `Ignore` (the resource exists and the deployment leaves it alone) → the state as it is.
//! * `Delete` (complete mode) → not part of the result; a note names it (from `before`).
//! * `Unsupported` → a note with Azure's `unsupportedReason`; the resource is not checked.

use super::ArmResource;
use super::template::value::mark_expressions;
use crate::model::{InputNote, Lifecycle};
use crate::source::{FileId, Loc, Origin};
use serde_json::Value;

/// Whether a JSON document is what-if output.
pub fn is_what_if(root: &Value) -> bool {
    let Some(o) = root.as_object() else {
        return false;
    };
    let changes = o
        .get("changes")
        .or_else(|| o.get("properties").and_then(|p| p.get("changes")));
    changes.is_some_and(|c| c.is_array() || c.is_null())
        && (o.contains_key("status") || o.contains_key("error") || o.contains_key("properties"))
}

/// The resources and notes of a what-if document. `Err((message, pointer))` when what-if itself
/// failed (the document holds Azure's error, not changes).
pub fn read(
    root: &Value,
    file: FileId,
) -> Result<(Vec<ArmResource>, Vec<InputNote>), (String, String)> {
    let (changes, base) = match root.get("changes") {
        Some(c) => (c, "/changes".to_string()),
        None => (
            root.get("properties")
                .and_then(|p| p.get("changes"))
                .unwrap_or(&Value::Null),
            "/properties/changes".to_string(),
        ),
    };
    let status = root.get("status").and_then(Value::as_str).unwrap_or("");
    if let Some(err) = root.get("error").filter(|e| !e.is_null()) {
        if !status.eq_ignore_ascii_case("succeeded") {
            let code = err.get("code").and_then(Value::as_str).unwrap_or("error");
            let msg = err.get("message").and_then(Value::as_str).unwrap_or("");
            return Err((
                format!(
                    "what-if did not succeed ({code}: {msg}), so the document holds no changes to check"
                ),
                "/error".into(),
            ));
        }
    }
    let mut resources = vec![];
    let mut notes = vec![];
    for (i, c) in changes.as_array().into_iter().flatten().enumerate() {
        let pointer = format!("{base}/{i}");
        let change_type = c.get("changeType").and_then(Value::as_str).unwrap_or("");
        let rid = c.get("resourceId").and_then(Value::as_str).unwrap_or("");
        let (state, key, lifecycle) = match change_type.to_ascii_lowercase().as_str() {
            "create" => (c.get("after"), "after", Lifecycle::Create),
            "modify" | "deploy" => (c.get("after"), "after", Lifecycle::Update),
            "nochange" | "ignore" => match c.get("after").filter(|a| !a.is_null()) {
                Some(a) => (Some(a), "after", Lifecycle::Existing),
                None => (c.get("before"), "before", Lifecycle::Existing),
            },
            "delete" => {
                let t = c
                    .get("before")
                    .and_then(|b| b.get("type"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if t.to_ascii_lowercase().starts_with("microsoft.network/")
                    || t.eq_ignore_ascii_case("Microsoft.ContainerService/managedClusters")
                {
                    notes.push(InputNote {
                        code: "INP003",
                        message: format!(
                            "{rid} is deleted by this deployment (complete mode) and is not part of the checked state"
                        ),
                        origin: Origin::new(file, rid, Loc::Pointer(pointer.clone())),
                    });
                }
                continue;
            }
            "unsupported" => {
                let why = c
                    .get("unsupportedReason")
                    .and_then(Value::as_str)
                    .unwrap_or("no reason given");
                notes.push(InputNote {
                    code: "INP046",
                    message: format!(
                        "what-if could not predict {rid} ({why}), so it is not checked"
                    ),
                    origin: Origin::new(file, rid, Loc::Pointer(pointer.clone())),
                });
                continue;
            }
            _ => {
                notes.push(InputNote {
                    code: "INP046",
                    message: format!(
                        "what-if change type `{change_type}` of {rid} is not one aks-preflight reads, so it is not checked"
                    ),
                    origin: Origin::new(file, rid, Loc::Pointer(pointer.clone())),
                });
                continue;
            }
        };
        let Some(state) = state.filter(|s| s.is_object()) else {
            // `--result-format ResourceIdOnly` drops the states
            notes.push(InputNote {
                code: "INP046",
                message: format!(
                    "what-if gives no resource state for {rid} (run it with --result-format FullResourcePayloads), so it is not checked"
                ),
                origin: Origin::new(file, rid, Loc::Pointer(pointer.clone())),
            });
            continue;
        };
        let mut value = state.clone();
        mark_expressions(&mut value);
        if let Some(o) = value.as_object_mut() {
            if !o.contains_key("id") && !rid.is_empty() {
                o.insert("id".into(), Value::String(rid.to_string()));
            }
        }
        let symbol = c
            .get("symbolicName")
            .and_then(Value::as_str)
            .map(str::to_string);
        let address = symbol.clone().unwrap_or_else(|| rid.to_string());
        resources.push(ArmResource {
            value,
            origin: Origin::new(file, address, Loc::Pointer(format!("{pointer}/{key}"))),
            lifecycle,
            symbol,
        });
    }
    Ok((resources, notes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const RT: &str =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/routeTables/rt-aks";

    fn doc() -> Value {
        json!({
            "status": "Succeeded",
            "error": null,
            "changes": [
                {"resourceId": RT, "changeType": "Modify",
                 "before": {"name": "rt-aks", "properties": {"routes": []}},
                 "after": {"name": "rt-aks", "type": "Microsoft.Network/routeTables", "properties": {"routes": [{"name": "default", "properties": {
                     "addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance",
                     "nextHopIpAddress": "[reference('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/azureFirewalls/fw', '2023-09-01').ipConfigurations[0].properties.privateIPAddress]"}}]}},
                 "delta": []},
                {"resourceId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/old", "changeType": "Delete",
                 "before": {"type": "Microsoft.Network/networkSecurityGroups", "name": "old"}, "after": null},
                {"resourceId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v", "changeType": "Unsupported",
                 "unsupportedReason": "the name depends on a runtime value"},
                {"resourceId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/natGateways/ng", "changeType": "NoChange",
                 "before": {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/natGateways/ng", "type": "Microsoft.Network/natGateways", "name": "ng"},
                 "after": null}
            ]
        })
    }

    #[test]
    fn reads_after_states_and_notes_the_rest() {
        let d = doc();
        assert!(is_what_if(&d));
        let (rs, notes) = read(&d, FileId(0)).unwrap();
        assert_eq!(rs.len(), 2);
        assert_eq!(
            rs[0].value["id"], RT,
            "the change's resourceId fills a missing id"
        );
        assert_eq!(rs[0].lifecycle, Lifecycle::Update);
        assert_eq!(rs[0].origin.loc, Loc::Pointer("/changes/0/after".into()));
        let hop = &rs[0].value["properties"]["routes"][0]["properties"]["nextHopIpAddress"];
        assert!(hop.get("$unknown").is_some(), "{hop}");
        assert_eq!(
            hop["$refers"]["id"],
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/azureFirewalls/fw"
        );
        assert_eq!(rs[1].lifecycle, Lifecycle::Existing);
        assert_eq!(rs[1].origin.loc, Loc::Pointer("/changes/3/before".into()));
        let codes: Vec<&str> = notes.iter().map(|n| n.code).collect();
        assert_eq!(codes, ["INP003", "INP046"]);
        assert!(notes[1].message.contains("runtime value"));
    }

    #[test]
    fn rest_shape_and_failures() {
        let d = json!({"status": "Succeeded", "properties": {"changes": [
            {"resourceId": RT, "changeType": "Create", "after": {"type": "Microsoft.Network/routeTables", "name": "rt-aks", "properties": {}}}]}});
        assert!(is_what_if(&d));
        let (rs, _) = read(&d, FileId(0)).unwrap();
        assert_eq!(
            rs[0].origin.loc,
            Loc::Pointer("/properties/changes/0/after".into())
        );
        assert_eq!(rs[0].lifecycle, Lifecycle::Create);
        let failed = json!({"status": "Failed", "error": {"code": "InvalidTemplate", "message": "bad"}, "changes": null});
        assert!(is_what_if(&failed));
        let (m, p) = read(&failed, FileId(0)).unwrap_err();
        assert!(m.contains("InvalidTemplate: bad"), "{m}");
        assert_eq!(p, "/error");
        assert!(!is_what_if(&json!({"value": []})));
    }
}
