//! The estate of `estate.rs` as a Terraform configuration: one `main.tf`, flattened (every
//! resource a top-level block with a unique name, no modules), read by `aks-preflight check DIR`
//! with the HCL reader. Written by `gen_estate SCALE OUT --format hcl` (OUT a directory).
//!
//! The blocks are the azurerm after-values of [`estate::resources`] with what Azure computes
//! left out (`id`, a public IP's address, the firewall's private IP, a policy's list of rule
//! collection groups, a VNet's refreshed `subnet` echo, a route table's `subnets`): the ids of
//! resources of the estate are references (`azurerm_subnet.s001_aks_a_nodes.id`), and the
//! firewall's private IP, where routes and DNS servers use it, is
//! `azurerm_firewall.hub.ip_configuration[0].private_ip_address`, as a configuration says them
//! before apply. Lists of objects are nested blocks (`security_rule`, `route`, `rule`,
//! `protocols`, `default_node_pool`, `network_profile`, `dns`, `identity`…), objects are maps
//! (`tags`); nulls and empty lists are left out.

#![allow(dead_code)] // each user of this module uses part of it

use super::estate::{FW_IP, Res};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Attributes Azure computes (never written in a configuration), by resource type; `*` for
/// every type.
const COMPUTED: &[(&str, &str)] = &[
    ("*", "id"),
    ("azurerm_public_ip", "ip_address"),
    ("azurerm_firewall_policy", "rule_collection_groups"),
    ("azurerm_virtual_network", "subnet"),
    ("azurerm_route_table", "subnets"),
];

/// A block's unique name from its address: module key, name and index, `s001_aks_a_nodes`.
fn block_name(r: &Res) -> String {
    let mut parts = vec![];
    if let Some(m) = &r.module {
        // module.spoke["s001"]
        parts.push(m.rsplit('[').next().unwrap_or(m).to_string());
    }
    parts.push(r.name.clone());
    if let Some(i) = &r.index {
        parts.push(i.clone());
    }
    let raw = parts.join("_");
    let mut out: String = raw
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    while out.contains("__") {
        out = out.replace("__", "_");
    }
    let out = out.trim_matches('_').to_string();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("r_{out}")
    } else {
        out
    }
}

/// A quoted HCL string (no interpolation).
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out.replace("${", "$${").replace("%{", "%%{") + "\""
}

/// The attributes that name a parent resource of the estate, as `names` keys them.
fn name_attr(k: &str) -> Option<&'static str> {
    match k {
        "virtual_network_name" => Some("virtual_network_name"),
        "network_security_group_name" => Some("network_security_group_name"),
        _ => None,
    }
}

struct Writer<'a> {
    /// Resource id → the expression of that id (`azurerm_subnet.x.id`).
    ids: &'a HashMap<String, String>,
    /// (attribute, name) → the expression of that name (`virtual_network_name`,
    /// `network_security_group_name`: `azurerm_virtual_network.x.name`).
    names: &'a HashMap<(&'static str, String), String>,
    /// The expression of the firewall's private IP, when the estate has one.
    fw_ip: Option<String>,
    out: String,
}

impl Writer<'_> {
    /// An attribute value: ids of the estate's resources and the firewall's IP as references.
    fn expr(&self, v: &Value) -> String {
        match v {
            Value::String(s) => match self.ids.get(s) {
                Some(e) => e.clone(),
                None if s == FW_IP && self.fw_ip.is_some() => self.fw_ip.clone().unwrap(),
                None => quoted(s),
            },
            Value::Array(items) => {
                let parts: Vec<String> = items.iter().map(|i| self.expr(i)).collect();
                format!("[{}]", parts.join(", "))
            }
            Value::Object(map) => {
                let parts: Vec<String> = map
                    .iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| format!("{} = {}", quoted(k), self.expr(v)))
                    .collect();
                format!("{{ {} }}", parts.join(", "))
            }
            other => other.to_string(),
        }
    }

    /// The body of a block: attributes first, then nested blocks (lists of objects).
    fn body(&mut self, v: &Value, depth: usize, skip: &dyn Fn(&str) -> bool) {
        let pad = "  ".repeat(depth);
        let Some(map) = v.as_object() else { return };
        let is_blocks = |v: &Value| {
            v.as_array()
                .is_some_and(|l| !l.is_empty() && l.iter().all(Value::is_object))
        };
        for (k, v) in map {
            if skip(k) || v.is_null() || is_blocks(v) {
                continue;
            }
            if v.as_array().is_some_and(Vec::is_empty) {
                continue;
            }
            let e = match v
                .as_str()
                .and_then(|n| self.names.get(&(name_attr(k)?, n.to_string())))
            {
                Some(e) => e.clone(),
                None => self.expr(v),
            };
            let _ = writeln!(self.out, "{pad}{k} = {e}");
        }
        for (k, v) in map {
            if skip(k) || !is_blocks(v) {
                continue;
            }
            for item in v.as_array().into_iter().flatten() {
                let _ = writeln!(self.out, "\n{pad}{k} {{");
                self.body(item, depth + 1, &|_| false);
                let _ = writeln!(self.out, "{pad}}}");
            }
        }
    }
}

/// The configuration's text: a provider block and every resource of the estate.
pub fn main_tf(resources: &[Res]) -> String {
    let associations = |t: &str| t.contains("_association");
    let mut ids = HashMap::new();
    let mut names = HashMap::new();
    let mut fw_ip = None;
    for r in resources.iter().filter(|r| !associations(r.rtype)) {
        let name = block_name(r);
        if let Some(id) = r.values["id"].as_str() {
            ids.entry(id.to_string())
                .or_insert_with(|| format!("{}.{name}.id", r.rtype));
        }
        let named = match r.rtype {
            "azurerm_virtual_network" => Some("virtual_network_name"),
            "azurerm_network_security_group" => Some("network_security_group_name"),
            _ => None,
        };
        if let (Some(attr), Some(n)) = (named, r.values["name"].as_str()) {
            names
                .entry((attr, n.to_string()))
                .or_insert_with(|| format!("{}.{name}.name", r.rtype));
        }
        if r.rtype == "azurerm_firewall" && fw_ip.is_none() {
            fw_ip = Some(format!(
                "{}.{name}.ip_configuration[0].private_ip_address",
                r.rtype
            ));
        }
    }
    let mut w = Writer {
        ids: &ids,
        names: &names,
        fw_ip,
        out: String::new(),
    };
    w.out.push_str(
        "# The estate of aks-preflight's tests/bench/estate.rs, flattened into one file\n\
         # (gen_estate SCALE OUT --format hcl).\n\n\
         terraform {\n  required_providers {\n    azurerm = {\n      source  = \"hashicorp/azurerm\"\n      version = \"~> 4.14\"\n    }\n  }\n}\n\n\
         provider \"azurerm\" {\n  features {}\n}\n",
    );
    for r in resources {
        let rtype = r.rtype;
        let skip = |k: &str| {
            COMPUTED
                .iter()
                .any(|(t, a)| (*t == "*" || *t == rtype) && *a == k)
                || (rtype == "azurerm_firewall" && k == "private_ip_address")
        };
        let _ = writeln!(w.out, "\nresource \"{rtype}\" \"{}\" {{", block_name(r));
        // the firewall's private IP is computed; its IP configuration keeps the rest
        if rtype == "azurerm_firewall" {
            let mut v = r.values.clone();
            for c in v["ip_configuration"].as_array_mut().into_iter().flatten() {
                if let Some(o) = c.as_object_mut() {
                    o.remove("private_ip_address");
                }
            }
            w.body(&v, 1, &skip);
        } else {
            w.body(&r.values, 1, &skip);
        }
        w.out.push_str("}\n");
    }
    w.out
}

/// Write the configuration into directory `dir` (created if missing) as `main.tf`.
pub fn write_hcl(resources: &[Res], dir: &std::path::Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut f = std::fs::File::create(dir.join("main.tf"))?;
    f.write_all(main_tf(resources).as_bytes())?;
    f.flush()
}
