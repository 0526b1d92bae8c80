//! Where the sensitive values of a Terraform JSON document are, so that no output ever shows
//! them: not in messages (loaders never copy them into the model) and not in the source excerpts
//! that diagnostics print (the source map masks these locations).
//!
//! Terraform writes sensitive values in clear and marks them with parallel masks:
//! `after_sensitive` / `before_sensitive` in resource changes, `sensitive_values` in values
//! representations, `sensitive` on variables and outputs.

use super::tree::Node;
use crate::source::ptr_seg;
use bumpalo::Bump;
use serde_json::Value;

/// Walk `mask` alongside `value`; push the pointer of every leaf the mask marks `true`. A mask
/// of the wrong type or shape (damaged input) marks the whole value: what cannot be told safe is
/// sensitive.
fn walk(mask: &Node<'_>, value: &Node<'_>, ptr: &str, out: &mut Vec<String>, depth: usize) {
    if value.is_null() {
        return;
    }
    if depth > 200 {
        out.push(ptr.to_string());
        return;
    }
    match (mask, value) {
        (Node::Bool(false) | Node::Null, _) => {}
        (Node::Object(m), Node::Object(v)) => {
            for (k, sub) in m.iter() {
                if let Some(vv) = v.get(k) {
                    walk(sub, vv, &format!("{ptr}/{}", ptr_seg(k)), out, depth + 1);
                }
            }
        }
        (Node::Array(m), Node::Array(v)) => {
            for (i, (sub, vv)) in m.iter().zip(v.iter()).enumerate() {
                walk(sub, vv, &format!("{ptr}/{i}"), out, depth + 1);
            }
        }
        // `true`, or a mask that does not mirror the value
        _ => out.push(ptr.to_string()),
    }
}

/// Pointers of the sensitive values of one value (`before` or `after` of a change) under `ptr`,
/// given its mask (`before_sensitive` / `after_sensitive`).
pub fn masked_pointers(mask: &Node<'_>, value: &Node<'_>, ptr: &str) -> Vec<String> {
    let mut out = vec![];
    walk(mask, value, ptr, &mut out, 0);
    out
}

/// [`masked_pointers`] of values held as `serde_json::Value` (states, outputs).
fn masked_value_pointers(mask: &Value, value: &Value, ptr: &str, out: &mut Vec<String>) {
    let bump = Bump::new();
    let (m, v) = (
        Node::from_value(mask, &bump),
        Node::from_value(value, &bump),
    );
    walk(&m, &v, ptr, out, 0);
}

fn module_values(module: &Value, ptr: &str, out: &mut Vec<String>, depth: usize) {
    if depth > 100 {
        return;
    }
    if let Some(Value::Array(rs)) = module.get("resources") {
        for (i, r) in rs.iter().enumerate() {
            if let (Some(mask), Some(vals)) = (r.get("sensitive_values"), r.get("values")) {
                masked_value_pointers(mask, vals, &format!("{ptr}/resources/{i}/values"), out);
            }
        }
    }
    if let Some(Value::Array(cs)) = module.get("child_modules") {
        for (i, c) in cs.iter().enumerate() {
            module_values(c, &format!("{ptr}/child_modules/{i}"), out, depth + 1);
        }
    }
    if let Some(outs) = module.get("outputs") {
        out.extend(output_pointers(outs, &format!("{ptr}/outputs"), true));
    }
}

/// `outputs` of a module or of `planned_values`: pointers of the values of sensitive outputs
/// (`with_value`: only of outputs that have a `value`, as a module's are read).
pub(crate) fn output_pointers(outputs: &Value, ptr: &str, with_value: bool) -> Vec<String> {
    let Value::Object(outs) = outputs else {
        return vec![];
    };
    outs.iter()
        .filter(|(_, o)| {
            o.get("sensitive") == Some(&Value::Bool(true))
                && (!with_value || o.get("value").is_some())
        })
        .map(|(k, _)| format!("{ptr}/{}/value", ptr_seg(k)))
        .collect()
}

/// Pointers of the sensitive values of a values representation (a plan's `planned_values`, a
/// state's `values`: resources of the root and child modules, and outputs) found at `ptr`.
pub fn values_pointers(values: &Value, ptr: &str) -> Vec<String> {
    let mut out = vec![];
    if let Some(rm) = values.get("root_module") {
        module_values(rm, &format!("{ptr}/root_module"), &mut out, 0);
    }
    if let Some(outs) = values.get("outputs") {
        out.extend(output_pointers(outs, &format!("{ptr}/outputs"), false));
    }
    out
}

/// Pointers of every sensitive value in the tree of a `terraform show -json` document (plan or
/// state) or a raw state file. The values of a plan's changes and its `planned_values` are not in
/// that tree: their pointers are the parsed document's (`super::document::Document::sensitive`).
pub fn terraform_sensitive_pointers(doc: &Value) -> Vec<String> {
    let mut out = vec![];
    if let Some(Value::Object(ocs)) = doc.get("output_changes") {
        for (k, oc) in ocs {
            for (mask, val) in [("after_sensitive", "after"), ("before_sensitive", "before")] {
                if let (Some(m), Some(v)) = (oc.get(mask), oc.get(val)) {
                    let ptr = format!("/output_changes/{}/{val}", ptr_seg(k));
                    masked_value_pointers(m, v, &ptr, &mut out);
                }
            }
        }
    }
    for (key, ptr) in [("planned_values", "/planned_values"), ("values", "/values")] {
        if let Some(v) = doc.get(key) {
            out.extend(values_pointers(v, ptr));
        }
    }
    if let Some(rm) = doc
        .get("prior_state")
        .and_then(|p| p.get("values"))
        .and_then(|v| v.get("root_module"))
    {
        module_values(rm, "/prior_state/values/root_module", &mut out, 0);
    }
    // variables declared sensitive in the root module
    if let (Some(Value::Object(vars)), Some(Value::Object(decl))) = (
        doc.get("variables"),
        doc.get("configuration")
            .and_then(|c| c.get("root_module"))
            .and_then(|r| r.get("variables")),
    ) {
        for (k, v) in vars {
            let sensitive =
                decl.get(k).and_then(|d| d.get("sensitive")) == Some(&Value::Bool(true));
            if sensitive && v.get("value").is_some() {
                out.push(format!("/variables/{}/value", ptr_seg(k)));
            }
        }
    }
    // raw state files: instances[].sensitive_attributes (paths as step lists)
    if let Some(Value::Array(rs)) = doc.get("resources") {
        for (i, r) in rs.iter().enumerate() {
            let Some(Value::Array(insts)) = r.get("instances") else {
                continue;
            };
            for (j, inst) in insts.iter().enumerate() {
                let Some(Value::Array(paths)) = inst.get("sensitive_attributes") else {
                    continue;
                };
                for p in paths {
                    let Value::Array(steps) = p else { continue };
                    let mut ptr = format!("/resources/{i}/instances/{j}/attributes");
                    for s in steps {
                        match s.get("value") {
                            Some(Value::String(k)) => ptr.push_str(&format!("/{}", ptr_seg(k))),
                            Some(Value::Number(n)) => ptr.push_str(&format!("/{n}")),
                            _ => {}
                        }
                    }
                    out.push(ptr);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pointers of a document's tree and of what parsing it set aside.
    fn pointers(text: &str) -> Vec<String> {
        let bump = Bump::new();
        let d = super::super::document::parse(text, &bump).unwrap();
        let mut p = terraform_sensitive_pointers(&d.root);
        p.extend(d.sensitive);
        p.sort();
        p
    }

    #[test]
    fn finds_change_values_and_variables() {
        let p = pointers(
            r#"{
              "variables": {"psk": {"value": "s3cret"}, "loc": {"value": "westeurope"}},
              "configuration": {"root_module": {"variables": {"psk": {"sensitive": true}, "loc": {}}}},
              "resource_changes": [{"change": {
                 "after": {"name": "x", "kube_config": [{"password": "pw", "host": "h"}], "n": null},
                 "after_sensitive": {"kube_config": [{"password": true}], "n": true},
                 "before": null, "before_sensitive": false}}],
              "planned_values": {"root_module": {"resources": [
                 {"values": {"admin_password": "pw2"}, "sensitive_values": {"admin_password": true}}],
                 "child_modules": [{"resources": [{"values": {"k": "v"}, "sensitive_values": {"k": true}}]}]}}
            }"#,
        );
        assert_eq!(
            p,
            vec![
                "/planned_values/root_module/child_modules/0/resources/0/values/k",
                "/planned_values/root_module/resources/0/values/admin_password",
                "/resource_changes/0/change/after/kube_config/0/password",
                "/variables/psk/value",
            ]
        );
    }

    #[test]
    fn masks_of_the_wrong_type_or_shape_mark_the_whole_value() {
        let p = pointers(
            r#"{"resource_changes": [
                {"change": {"after": {"a": "s1"}, "after_sensitive": "yes"}},
                {"change": {"after": {"b": {"c": "s2"}}, "after_sensitive": {"b": [true]}}},
                {"change": {"after": {"d": "ok"}, "after_sensitive": {"d": false}}}]}"#,
        );
        assert_eq!(
            p,
            vec![
                "/resource_changes/0/change/after",
                "/resource_changes/1/change/after/b"
            ]
        );
    }
}
