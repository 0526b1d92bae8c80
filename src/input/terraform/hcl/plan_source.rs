//! Plan plus source: a plan checked with the configuration it was made from (`--source DIR`,
//! or the plan's own directory when it holds the root module) shows each finding at the `.tf`
//! block or attribute of the plan's resource instance (module instances included), with the
//! plan location kept as a related location. Inline waivers of the `.tf` files apply.
//!
//! The configuration is evaluated as for `check DIR`; every node of an evaluated instance has a
//! span, and the plan's JSON pointer of the same node (same address, same attribute path; blocks
//! of a set matched by name) is redirected to it.

use super::{Configuration, SpanTable, VarArgs, evaluate};
use crate::error::Error;
use crate::model::Waiver;
use crate::source::{FileId, Loc, Origin, SourceMap, ptr_seg};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The directory of a plan file when it holds `.tf` files (the plan was made there).
pub fn source_dir_of(plan: &str) -> Option<PathBuf> {
    if plan == "-" {
        return None;
    }
    let dir = Path::new(plan).parent()?;
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let has_tf = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .any(|e| e.path().is_file() && e.file_name().to_string_lossy().ends_with(".tf"));
    has_tf.then(|| dir.to_path_buf())
}

/// Point the locations of `plan` (a loaded plan file) at the configuration in `dir`. Returns
/// the inline waivers of the configuration.
#[allow(clippy::result_large_err)] // the crate-wide `Error` carries its source text
pub fn locate_plan_in_source(
    sources: &mut SourceMap,
    plan: FileId,
    dir: &Path,
    args: &VarArgs,
) -> Result<Vec<Waiver>, Error> {
    let c = evaluate(sources, dir, args)?;
    let text = sources.get(plan).text.clone();
    let Ok(root) = serde_json::from_str::<Value>(text.trim_start_matches('\u{feff}')) else {
        return Ok(c.waivers);
    };
    let map = redirects(&c, &root);
    sources.redirect(plan, map);
    Ok(c.waivers)
}

/// A span of an evaluated instance: the path below its values, and the `.tf` origin (its
/// configuration expressions have the same paths and spans).
type Entry<'a> = (Vec<&'a str>, Origin);

/// Plan pointer -> `.tf` origin, for every node the configuration has a span for.
fn redirects(c: &Configuration, root: &Value) -> HashMap<String, Origin> {
    let by_addr: HashMap<&str, usize> = c
        .instances
        .iter()
        .enumerate()
        .map(|(n, x)| (x.emitted.address.as_str(), n))
        .collect();
    // the configuration's span entries grouped by instance: n -> [(suffix, span)]
    let mut entries: HashMap<usize, Vec<Entry<'_>>> = HashMap::new();
    for (ptr, src) in c.spans.entries() {
        let mut segs = ptr.trim_start_matches('/').split('/');
        let (Some("hcl"), Some(n), Some("after")) = (segs.next(), segs.next(), segs.next()) else {
            continue;
        };
        let Ok(n) = n.parse::<usize>() else { continue };
        let origin = Origin {
            file: Some(src.file),
            address: Some(c.instances[n].emitted.address.as_str().into()),
            loc: Loc::Span(src.range()),
        };
        entries.entry(n).or_default().push((segs.collect(), origin));
    }
    let mut out = HashMap::new();
    // instance values: resource_changes (after and before) and prior_state
    let mut bases: Vec<(String, &Value, &str)> = Vec::new();
    if let Some(rcs) = root.get("resource_changes").and_then(Value::as_array) {
        for (i, rc) in rcs.iter().enumerate() {
            let Some(a) = rc.get("address").and_then(Value::as_str) else {
                continue;
            };
            for side in ["after", "before"] {
                if let Some(v) = rc.get("change").and_then(|c| c.get(side)) {
                    if !v.is_null() {
                        bases.push((format!("/resource_changes/{i}/change/{side}"), v, a));
                    }
                }
            }
        }
    }
    if let Some(rm) = root
        .get("prior_state")
        .and_then(|p| p.get("values"))
        .and_then(|v| v.get("root_module"))
    {
        state_module(rm, "/prior_state/values/root_module".into(), &mut bases);
    }
    for (base, plan_value, addr) in bases {
        let Some(&n) = by_addr.get(addr) else {
            continue;
        };
        let hcl_value = &c.instances[n].emitted.after;
        for (suffix, origin) in entries.get(&n).map(Vec::as_slice).unwrap_or_default() {
            if let Some(p) = translate(suffix, hcl_value, plan_value) {
                out.insert(format!("{base}{p}"), origin.clone());
            }
        }
    }
    // configuration expressions: per resource block, the first instance of that block
    let mut blocks: Vec<(Vec<String>, String, String)> = Vec::new();
    if let Some(rm) = root.get("configuration").and_then(|c| c.get("root_module")) {
        config_module(
            rm,
            Vec::new(),
            "/configuration/root_module".into(),
            &mut blocks,
            0,
        );
    }
    for (module, rel, ptr) in blocks {
        let found = c.instances.iter().position(|x| {
            x.addr
                .module
                .iter()
                .map(|m| m.name.as_str())
                .eq(module.iter().map(String::as_str))
                && x.addr.config_address() == rel
        });
        let Some(n) = found else { continue };
        // the expressions have the spans of the values
        for (suffix, origin) in entries.get(&n).map(Vec::as_slice).unwrap_or_default() {
            let mut p = format!("{ptr}/expressions");
            for s in suffix {
                p.push('/');
                p.push_str(s);
            }
            out.entry(p).or_insert_with(|| origin.clone());
        }
        // the block itself
        if let Some((_, origin)) = entries
            .get(&n)
            .and_then(|e| e.iter().find(|(s, _)| s.is_empty()))
        {
            out.entry(ptr).or_insert_with(|| origin.clone());
        }
    }
    out
}

fn state_module<'a>(m: &'a Value, ptr: String, out: &mut Vec<(String, &'a Value, &'a str)>) {
    for (j, r) in m
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let (Some(a), Some(v)) = (r.get("address").and_then(Value::as_str), r.get("values")) {
            out.push((format!("{ptr}/resources/{j}/values"), v, a));
        }
    }
    for (k, cm) in m
        .get("child_modules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        state_module(cm, format!("{ptr}/child_modules/{k}"), out);
    }
}

fn config_module(
    m: &Value,
    path: Vec<String>,
    ptr: String,
    out: &mut Vec<(Vec<String>, String, String)>,
    depth: usize,
) {
    if depth > 64 {
        return;
    }
    for (j, r) in m
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(a) = r.get("address").and_then(Value::as_str) {
            out.push((path.clone(), a.to_string(), format!("{ptr}/resources/{j}")));
        }
    }
    if let Some(calls) = m.get("module_calls").and_then(Value::as_object) {
        for (name, call) in calls {
            if let Some(body) = call.get("module") {
                let mut p = path.clone();
                p.push(name.clone());
                let seg = ptr_seg(name);
                config_module(
                    body,
                    p,
                    format!("{ptr}/module_calls/{seg}/module"),
                    out,
                    depth + 1,
                );
            }
        }
    }
}

/// The plan's pointer suffix of a configuration node: the same attribute path, blocks of a set
/// (`security_rule`, `route`) matched by their `name`.
fn translate(suffix: &[&str], hcl: &Value, plan: &Value) -> Option<String> {
    let mut out = String::new();
    let (mut h, mut p) = (Some(hcl), Some(plan));
    for seg in suffix {
        let idx = match (h, p) {
            (Some(Value::Array(ha)), Some(Value::Array(pa))) => {
                let k: usize = seg.parse().ok()?;
                let name = ha.get(k)?.get("name").and_then(Value::as_str);
                let j = match name {
                    Some(n) => pa
                        .iter()
                        .position(|x| x.get("name").and_then(Value::as_str) == Some(n))?,
                    None => k,
                };
                h = ha.get(k);
                p = pa.get(j);
                j.to_string()
            }
            _ => {
                h = h.and_then(|x| x.get(*seg));
                p = p.and_then(|x| x.get(*seg));
                seg.to_string()
            }
        };
        out.push('/');
        out.push_str(&idx);
    }
    Some(out)
}

impl SpanTable {
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&String, &super::value::Src)> {
        self.map.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_blocks_are_matched_by_name() {
        let hcl = json!({"security_rule": [{"name": "b"}, {"name": "a"}], "tags": {"x": "1"}});
        let plan = json!({"security_rule": [{"name": "a"}, {"name": "b"}], "tags": {"x": "1"}});
        assert_eq!(
            translate(&["security_rule", "0", "access"], &hcl, &plan).as_deref(),
            Some("/security_rule/1/access")
        );
        assert_eq!(
            translate(&["tags", "x"], &hcl, &plan).as_deref(),
            Some("/tags/x")
        );
        assert_eq!(translate(&["security_rule", "5"], &hcl, &plan), None);
    }
}
