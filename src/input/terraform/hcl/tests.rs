//! Evaluation of Terraform configurations: expressions, variables, modules, count / for_each,
//! dynamic blocks, unknown values and their references, spans and waivers.

use super::files::{ModuleDir, Parsed, Tree, parse_text};
use super::scope::{Evaluator, definitions};
use super::value::{Kind, Val};
use super::{VarArgs, load};
use crate::model::{Access, Known, Model, WaiverScope};
use crate::source::{Loc, SourceMap};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Evaluate the locals of a one-file root module.
fn locals(src: &str, inputs: &[(&str, Val)]) -> (HashMap<String, Val>, Vec<String>) {
    let mut sources = SourceMap::new();
    let file = sources.add("main.tf", src.to_string());
    let text = sources.get(file).text.clone();
    let body = parse_text("main.tf", &text).expect("parses");
    let tree = Tree {
        modules: vec![ModuleDir {
            display: ".".into(),
            files: vec![Parsed { file, body }],
        }],
        calls: HashMap::new(),
    };
    let defs = definitions(&tree);
    let names: Vec<String> = defs[0].locals.keys().cloned().collect();
    let inputs: HashMap<String, Val> = inputs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let ev = Evaluator::new(defs, &inputs);
    let mut out = HashMap::new();
    for n in names {
        let v = ev
            .local(0, &n, None)
            .unwrap_or_else(|f| Val::unknown(f.msg));
        out.insert(n, v);
    }
    let notes = ev
        .take_notes()
        .into_iter()
        .map(|n| format!("{} {}", n.code, n.message))
        .collect();
    (out, notes)
}

fn s(v: &Val) -> String {
    v.as_string().unwrap_or_else(|e| panic!("{e}: {v:?}"))
}

fn strings(v: &Val) -> Vec<String> {
    v.as_list().expect("list").iter().map(s).collect()
}

/// A directory of files under the system temp dir, removed at the end.
struct TempConfig(PathBuf);

impl TempConfig {
    fn new(files: &[(&str, &str)]) -> TempConfig {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "aks-preflight-hcl-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        for (name, text) in files {
            let p = dir.join(name);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        }
        TempConfig(dir)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempConfig {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn model(files: &[(&str, &str)]) -> (Model, SourceMap) {
    let t = TempConfig::new(files);
    let mut sources = SourceMap::new();
    let m = load(&mut sources, t.path(), &VarArgs::default()).expect("loads");
    (m, sources)
}

fn notes(m: &Model) -> Vec<String> {
    m.input_notes
        .iter()
        .map(|n| format!("{} {}", n.code, n.message))
        .collect()
}

#[test]
fn expressions_evaluate_like_terraform() {
    let (l, notes) = locals(
        r#"
locals {
  env      = "prod"
  name     = "rt-${local.env}-${upper("weu")}"
  one      = "${local.nets}"
  nets     = ["10.0.0.0/24", "10.0.1.0/24"]
  cond     = local.env == "prod" ? "big" : "small"
  arith    = 2 * 3 + 10 % 4 - 1
  cmp      = 3 > 2 && !(1 >= 2)
  fl       = [for n in local.nets : cidrhost(n, 4) if n != "10.0.1.0/24"]
  fm       = { for i, n in local.nets : "s${i}" => n }
  group    = { for k, v in { a = "x", b = "x", c = "y" } : v => k... }
  objs     = [{ name = "a", p = 1 }, { name = "b", p = 2 }]
  splat    = local.objs[*].name
  legacy   = local.objs.*.p
  idx      = local.objs[1].name
  dir      = "%{ if local.env == "prod" }P%{ else }D%{ endif }-%{ for n in ["x", "y"] }${n}%{ endfor }"
  heredoc  = <<-EOT
    a=${local.env}
  EOT
  tried    = try(local.objs[5].name, "fallback")
  can_ok   = can(local.objs[0].name)
  can_bad  = can(local.objs[9].name)
  merged   = merge({ a = 1 }, { b = 2 })["b"]
  lookup   = lookup({ a = "1" }, "z", "d")
  expand   = max([3, 9, 4]...)
}
"#,
        &[],
    );
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(s(&l["name"]), "rt-prod-WEU");
    // a template that is one interpolation is that value, not a string
    assert_eq!(strings(&l["one"]), ["10.0.0.0/24", "10.0.1.0/24"]);
    assert_eq!(s(&l["cond"]), "big");
    assert_eq!(l["arith"].as_num().unwrap(), 7.0);
    assert!(l["cmp"].as_bool().unwrap());
    assert_eq!(strings(&l["fl"]), ["10.0.0.4"]);
    assert_eq!(s(&l["fm"].as_map().unwrap()["s1"]), "10.0.1.0/24");
    assert_eq!(strings(&l["group"].as_map().unwrap()["x"]), ["a", "b"]);
    assert_eq!(strings(&l["splat"]), ["a", "b"]);
    assert_eq!(l["legacy"].as_list().unwrap()[1].as_num().unwrap(), 2.0);
    assert_eq!(s(&l["idx"]), "b");
    assert_eq!(s(&l["dir"]), "P-xy");
    assert_eq!(s(&l["heredoc"]), "a=prod\n");
    assert_eq!(s(&l["tried"]), "fallback");
    assert!(l["can_ok"].as_bool().unwrap());
    assert!(!l["can_bad"].as_bool().unwrap());
    assert_eq!(l["merged"].as_num().unwrap(), 2.0);
    assert_eq!(s(&l["lookup"]), "d");
    assert_eq!(l["expand"].as_num().unwrap(), 9.0);
}

#[test]
fn unknown_values_propagate_with_their_reason() {
    let (l, notes) = locals(
        r#"
variable "hub_cidr" {
  type = string
}
locals {
  fw_subnet = cidrsubnet(var.hub_cidr, 8, 1)
  name      = "fw-${local.fw_subnet}"
  cond      = var.hub_cidr == "" ? "a" : "b"
  list      = ["x", var.hub_cidr]
  len       = length(local.list)
  fn        = filebase64("cloud-init.yaml")
  self_a    = local.self_b
  self_b    = local.self_a
  bad       = {}.missing
}
"#,
        &[],
    );
    for k in ["fw_subnet", "name", "cond"] {
        assert_eq!(
            l[k].first_unknown(),
            Some("var.hub_cidr has no value"),
            "{k}: {:?}",
            l[k]
        );
    }
    // a list keeps its known length and its known items
    assert_eq!(l["len"].as_num().unwrap(), 2.0);
    assert_eq!(s(&l["list"].as_list().unwrap()[0]), "x");
    assert!(l["fn"].first_unknown().unwrap().contains("filebase64()"));
    assert!(l["self_a"].first_unknown().unwrap().contains("cycle"));
    assert!(l["bad"].is_unknown());
    let codes: Vec<&str> = notes.iter().map(|n| &n[..6]).collect();
    assert!(codes.contains(&"INP030"), "{notes:?}");
    assert!(codes.contains(&"INP031"), "{notes:?}");
    assert!(codes.contains(&"INP035"), "{notes:?}");
    assert!(
        notes
            .iter()
            .any(|n| n.contains("variable `hub_cidr` has no value"))
    );
}

#[test]
fn variables_take_given_values_converted_to_their_type() {
    let (l, _) = locals(
        r#"
variable "subnets" {
  type = map(object({ cidr = string, nsg = optional(bool, true) }))
}
variable "count_of" {
  type    = number
  default = 2
}
locals {
  a     = var.subnets["a"].nsg
  cidr  = var.subnets["a"].cidr
  count = var.count_of + 1
}
"#,
        &[(
            "subnets",
            Val::map(
                [(
                    "a".into(),
                    Val::map([("cidr".into(), Val::str("10.0.0.0/24"))].into()),
                )]
                .into(),
            ),
        )],
    );
    assert!(l["a"].as_bool().unwrap());
    assert_eq!(s(&l["cidr"]), "10.0.0.0/24");
    assert_eq!(l["count"].as_num().unwrap(), 3.0);
}

#[test]
fn count_and_for_each_address_instances_like_plans() {
    let (m, _) = model(&[(
        "main.tf",
        r#"
resource "azurerm_virtual_network" "v" {
  name                = "vnet"
  resource_group_name = "rg"
  address_space       = ["10.0.0.0/16"]
}
resource "azurerm_subnet" "by_count" {
  count                = 2
  name                 = "c${count.index}"
  resource_group_name  = "rg"
  virtual_network_name = azurerm_virtual_network.v.name
  address_prefixes     = [cidrsubnet("10.0.0.0/16", 8, count.index)]
}
resource "azurerm_subnet" "by_key" {
  for_each             = toset(["blue", "green"])
  name                 = each.key
  resource_group_name  = "rg"
  virtual_network_name = azurerm_virtual_network.v.name
  address_prefixes     = [each.key == "blue" ? "10.0.10.0/24" : "10.0.11.0/24"]
}
resource "azurerm_subnet" "none" {
  count                = 0
  name                 = "never"
  resource_group_name  = "rg"
  virtual_network_name = azurerm_virtual_network.v.name
  address_prefixes     = ["10.0.99.0/24"]
}
"#,
    )]);
    let keys: Vec<&str> = m.subnets.iter().map(|s| s.meta.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "azurerm_subnet.by_count[0]",
            "azurerm_subnet.by_count[1]",
            r#"azurerm_subnet.by_key["blue"]"#,
            r#"azurerm_subnet.by_key["green"]"#,
        ]
    );
    let prefix = |k: &str| {
        m.subnets
            .iter()
            .find(|s| s.meta.key == k)
            .and_then(|s| s.prefixes.known())
            .map(|p| p[0].to_string())
    };
    assert_eq!(
        prefix("azurerm_subnet.by_count[1]").as_deref(),
        Some("10.0.1.0/24")
    );
    assert_eq!(
        prefix(r#"azurerm_subnet.by_key["green"]"#).as_deref(),
        Some("10.0.11.0/24")
    );
    // every subnet names its VNet by reference
    assert!(
        m.subnets.iter().all(
            |s| s.vnet.known().map(|r| r.display()) == Some("azurerm_virtual_network.v".into())
        )
    );
}

#[test]
fn unknown_count_gives_one_instance_with_an_unknown_key() {
    let (m, _) = model(&[(
        "main.tf",
        r#"
variable "enabled" { type = bool }
resource "azurerm_network_security_group" "n" {
  name                = "nsg"
  resource_group_name = "rg"
}
resource "azurerm_network_security_rule" "deny" {
  count                       = var.enabled ? 1 : 0
  name                        = "deny"
  resource_group_name         = "rg"
  network_security_group_name = azurerm_network_security_group.n.name
  priority                    = 100
  direction                   = "Outbound"
  access                      = "Deny"
  protocol                    = "*"
  source_address_prefix       = "*"
  source_port_range           = "*"
  destination_address_prefix  = "Internet"
  destination_port_range      = "*"
}
"#,
    )]);
    let n = notes(&m);
    assert!(
        n.iter()
            .any(|x| x.starts_with("INP033") && x.contains("azurerm_network_security_rule.deny")),
        "{n:?}"
    );
    let rules = m.nsgs[0].rules.known().expect("rules");
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].access, Known::Known(Access::Deny));
}

#[test]
fn modules_wire_inputs_and_outputs_across_instances() {
    let (m, sources) = model(&[
        (
            "main.tf",
            r#"
module "spoke" {
  for_each = { a = "10.1.0.0/16", b = "10.2.0.0/16" }
  source   = "./modules/spoke"
  name     = "vnet-${each.key}"
  space    = each.value
}
resource "azurerm_kubernetes_cluster" "aks" {
  name                = "aks"
  resource_group_name = "rg"
  location            = "westeurope"
  dns_prefix          = "aks"
  default_node_pool {
    name           = "system"
    vm_size        = "Standard_D4s_v5"
    vnet_subnet_id = module.spoke["b"].nodes_id
  }
  network_profile {
    network_plugin = "azure"
    outbound_type  = "loadBalancer"
  }
}
"#,
        ),
        (
            "modules/spoke/main.tf",
            r#"
variable "name" { type = string }
variable "space" { type = string }
variable "nodes_newbits" {
  type    = number
  default = 6
}
resource "azurerm_virtual_network" "this" {
  name                = var.name
  resource_group_name = "rg"
  address_space       = [var.space]
}
resource "azurerm_subnet" "nodes" {
  name                 = "nodes"
  resource_group_name  = "rg"
  virtual_network_name = azurerm_virtual_network.this.name
  address_prefixes     = [cidrsubnet(var.space, var.nodes_newbits, 0)]
}
output "nodes_id" {
  value = azurerm_subnet.nodes.id
}
"#,
        ),
    ]);
    let pool = &m.clusters[0].node_pools[0];
    assert_eq!(
        pool.subnet.known().map(|r| r.display()),
        Some(r#"module.spoke["b"].azurerm_subnet.nodes"#.to_string())
    );
    let s = m
        .subnet(pool.subnet.known().unwrap())
        .expect("the subnet is in the model");
    assert_eq!(s.prefixes.known().unwrap()[0].to_string(), "10.2.0.0/22");
    // its origin is a span of the module's file
    let f = s.meta.origin.file.expect("file");
    assert!(sources.get(f).name.ends_with("modules/spoke/main.tf"));
    assert!(matches!(s.meta.origin.loc, Loc::Span(_)));
}

#[test]
fn dynamic_blocks_expand_and_unknown_ones_stay_unknown() {
    let (m, _) = model(&[(
        "main.tf",
        r#"
variable "extra" { type = list(string) }
locals {
  rules = {
    deny-internet = { priority = 200, access = "Deny" }
    allow-vnet    = { priority = 100, access = "Allow" }
  }
}
resource "azurerm_network_security_group" "known" {
  name                = "a"
  resource_group_name = "rg"
  dynamic "security_rule" {
    for_each = local.rules
    iterator = r
    content {
      name                       = r.key
      priority                   = r.value.priority
      direction                  = "Outbound"
      access                     = r.value.access
      protocol                   = "*"
      source_address_prefix      = "*"
      source_port_range          = "*"
      destination_address_prefix = "*"
      destination_port_range     = "*"
    }
  }
}
resource "azurerm_network_security_group" "unknown" {
  name                = "b"
  resource_group_name = "rg"
  dynamic "security_rule" {
    for_each = var.extra
    content {
      name = security_rule.value
    }
  }
}
"#,
    )]);
    let known = m
        .nsgs
        .iter()
        .find(|n| n.meta.key.ends_with("known"))
        .unwrap();
    let names: Vec<String> = known
        .rules
        .known()
        .unwrap()
        .iter()
        .map(|r| r.display_name())
        .collect();
    assert_eq!(names, ["allow-vnet", "deny-internet"]);
    let unknown = m
        .nsgs
        .iter()
        .find(|n| n.meta.key.ends_with("unknown"))
        .unwrap();
    assert!(unknown.rules.is_unknown(), "{:?}", unknown.rules);
}

#[test]
fn references_between_resources_are_kept_as_references() {
    let (m, _) = model(&[(
        "main.tf",
        r#"
resource "azurerm_firewall" "fw" {
  name                = "fw"
  resource_group_name = "rg"
  sku_name            = "AZFW_VNet"
  sku_tier            = "Standard"
  ip_configuration {
    name      = "c"
    subnet_id = "${azurerm_virtual_network.hub.id}/subnets/AzureFirewallSubnet"
  }
}
resource "azurerm_virtual_network" "hub" {
  name                = "hub"
  resource_group_name = "rg"
  address_space       = ["10.0.0.0/16"]
  subnet {
    name             = "AzureFirewallSubnet"
    address_prefixes = ["10.0.1.0/26"]
  }
}
resource "azurerm_route_table" "rt" {
  name                = "rt"
  resource_group_name = "rg"
  route {
    name                   = "default"
    address_prefix         = "0.0.0.0/0"
    next_hop_type          = "VirtualAppliance"
    next_hop_in_ip_address = azurerm_firewall.fw.ip_configuration[0].private_ip_address
  }
}
"#,
    )]);
    let rt = &m.route_tables[0];
    let route = &rt.routes.known().unwrap()[0];
    let ip = route.next_hop_ip.as_ref().expect("next hop");
    assert!(ip.ip.is_unknown());
    assert_eq!(
        ip.symbol,
        Some(crate::model::IpSymbol::FirewallPrivateIp(
            crate::model::Ref::Key("azurerm_firewall.fw".into())
        ))
    );
    // the firewall's subnet is the VNet's inline AzureFirewallSubnet, found through the id
    // pattern
    assert_eq!(
        m.firewalls[0].subnet.known().map(|r| r.display()),
        Some("azurerm_virtual_network.hub/subnet/AzureFirewallSubnet".to_string())
    );
}

#[test]
fn data_sources_keep_their_lookup_keys_and_are_unknown_otherwise() {
    let (m, _) = model(&[(
        "main.tf",
        r#"
data "azurerm_subnet" "nodes" {
  name                 = "snet-aks"
  virtual_network_name = "vnet-spoke"
  resource_group_name  = "rg-net"
}
"#,
    )]);
    let s = &m.subnets[0];
    assert_eq!(s.meta.key, "data.azurerm_subnet.nodes");
    assert_eq!(s.meta.name, Known::Known("snet-aks".into()));
    assert_eq!(s.meta.resource_group, Known::Known("rg-net".into()));
    let why = s.prefixes.unknown_reason().expect("unknown prefixes");
    assert!(why.contains("read from Azure"), "{why}");
    assert!(notes(&m).iter().any(|n| n.starts_with("INP034")));
}

#[test]
fn origins_are_spans_of_the_tf_file() {
    let text = r#"resource "azurerm_route_table" "rt" {
  name                = "rt"
  resource_group_name = "rg"

  route {
    name           = "drop"
    address_prefix = "0.0.0.0/0"
    next_hop_type  = "None"
  }
}
"#;
    let (m, mut sources) = model(&[("main.tf", text)]);
    let route = &m.route_tables[0].routes.known().unwrap()[0];
    let loc = sources.locate(&route.origin).expect("located");
    assert_eq!((loc.line, loc.column), (5, 3));
    assert_eq!(&text[loc.span.clone()], "route");
    let rt = &m.route_tables[0].meta.origin;
    let loc = sources.locate(rt).expect("located");
    assert_eq!(
        &text[loc.span.clone()],
        r#"resource "azurerm_route_table" "rt""#
    );
}

#[test]
fn values_written_elsewhere_are_related_to_where_they_are_used() {
    let (m, mut sources) = model(&[
        (
            "main.tf",
            r#"resource "azurerm_virtual_network" "v" {
  name                = "v"
  resource_group_name = "rg"
  address_space       = ["10.0.0.0/16"]
  dns_servers         = var.dns
}
"#,
        ),
        (
            "variables.tf",
            "variable \"dns\" {\n  default = [\"10.0.0.4\"]\n}\n",
        ),
    ]);
    let dv = m.vnets[0].meta.origin_of("dns_servers");
    let rel = sources.related(dv);
    assert_eq!(rel.len(), 1, "{rel:?}");
    let f = rel[0].0.file.expect("file");
    assert!(sources.get(f).name.ends_with("variables.tf"));
    assert_eq!(rel[0].1, "the value is written here");
}

#[test]
fn inline_waivers_become_located_waivers() {
    let text = r#"resource "azurerm_network_security_group" "n" {
  name                = "nsg"
  resource_group_name = "rg"

  # aks-preflight:ignore NSG001,EGR001 reason="egress goes through the proxy subnet, see ADR-12" expires=2027-03-31
  security_rule {
    name      = "deny"
    access    = "Deny" // aks-preflight:ignore NSG002 reason="duplicate priority is intended"
    priority  = 100
    direction = "Outbound"
  }
}
"#;
    let (m, sources) = model(&[("main.tf", text)]);
    assert_eq!(m.waivers.len(), 2, "{:?}", m.waivers);
    let w = &m.waivers[0];
    assert_eq!(w.rules, ["NSG001", "EGR001"]);
    assert_eq!(w.reason, "egress goes through the proxy subnet, see ADR-12");
    assert_eq!(
        w.expires.map(|d| d.to_string()).as_deref(),
        Some("2027-03-31")
    );
    let WaiverScope::Located { at } = &w.scope else {
        panic!("located")
    };
    let Loc::Span(r) = &at.loc else {
        panic!("span")
    };
    assert!(text[r.clone()].starts_with("security_rule {"));
    assert!(text[r.clone()].ends_with('}'));
    let Loc::Span(c) = &w.origin.loc else {
        panic!("span")
    };
    assert!(text[c.clone()].starts_with("# aks-preflight:ignore NSG001"));
    let w2 = &m.waivers[1];
    let WaiverScope::Located { at } = &w2.scope else {
        panic!("located")
    };
    let Loc::Span(r) = &at.loc else {
        panic!("span")
    };
    assert_eq!(&text[r.clone()], r#"access    = "Deny""#);
    assert!(sources.get(at.file.unwrap()).name.ends_with("main.tf"));
}

#[test]
fn waivers_without_reason_or_with_unknown_rules_are_errors() {
    for (comment, want) in [
        ("# aks-preflight:ignore NSG001", "has no reason"),
        ("# aks-preflight:ignore NSG001 reason=\"\"", "has no reason"),
        ("# aks-preflight:ignore NOPE99 reason=\"x\"", "not a rule"),
        (
            "# aks-preflight:ignore NSG001 reason=\"x\" expires=2027-02-30",
            "not a date",
        ),
        ("# aks-preflight:ignore reason=\"x\"", "names no rule"),
    ] {
        let text = format!(
            "resource \"azurerm_network_security_group\" \"n\" {{\n  {comment}\n  name = \"x\"\n}}\n"
        );
        let t = TempConfig::new(&[("main.tf", &text)]);
        let mut sources = SourceMap::new();
        let Err(crate::error::Error::Input { message, span, .. }) =
            load(&mut sources, t.path(), &VarArgs::default())
        else {
            panic!("{comment}: expected a located input error")
        };
        assert!(message.contains(want), "{comment}: {message}");
        assert!(message.contains("main.tf:2:3"), "{message}");
        assert!(span.is_some());
    }
}

#[test]
fn sensitive_values_never_reach_the_model() {
    let (m, _) = model(&[(
        "main.tf",
        r#"
variable "dns" {
  type      = list(string)
  sensitive = true
  default   = ["10.9.9.9"]
}
resource "azurerm_virtual_network" "v" {
  name                = "v"
  resource_group_name = "rg"
  address_space       = ["10.0.0.0/16"]
  dns_servers         = var.dns
}
"#,
    )]);
    let text = format!("{:?}", m.vnets[0]);
    assert!(!text.contains("10.9.9.9"), "{text}");
    let d = m.vnets[0].dns_servers.known().expect("list");
    assert!(d[0].ip.is_unknown());
}

#[test]
fn values_of_lists_and_maps_are_json_shaped() {
    let v = Val::list(vec![Val::num(1.0), Val::str("a"), Val::unknown("u")]);
    assert_eq!(v.to_json(), serde_json::json!([1, "a", null]));
    assert!(matches!(v.kind, Kind::List(_)));
}

#[test]
fn long_reference_chains_and_deep_nesting_give_unknown_not_a_crash() {
    // 2,000 locals, each the previous one plus one: deeper than the evaluation goes
    let mut src = String::from("locals {\n  l0 = 0\n");
    for i in 1..2000 {
        src.push_str(&format!("  l{i} = local.l{} + 1\n", i - 1));
    }
    src.push_str("}\n");
    for (name, local) in [("a", "l10"), ("b", "l1999")] {
        src.push_str(&format!(
            "resource \"azurerm_virtual_network\" \"{name}\" {{\n  name = \"{name}-${{local.{local}}}\"\n  \
             resource_group_name = \"rg\"\n  address_space = [\"10.0.0.0/16\"]\n}}\n"
        ));
    }
    let (m, _) = model(&[("main.tf", &src)]);
    let name = |k: &str| {
        m.vnets
            .iter()
            .find(|v| v.meta.key.ends_with(k))
            .map(|v| v.meta.name.clone())
            .unwrap()
    };
    assert_eq!(name(".a"), Known::Known("a-10".into()));
    let why = name(".b");
    assert!(
        why.unknown_reason()
            .is_some_and(|r| r.contains("too deeply")),
        "{why:?}"
    );
    // deeply nested brackets: the parser's error or a value, never a stack overflow
    let deep = format!(
        "locals {{\n  x = {}1{}\n}}\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let mut sources = SourceMap::new();
    let f = sources.add("deep.tf", deep);
    let text = sources.get(f).text.clone();
    let _ = parse_text("deep.tf", &text);
}

#[test]
fn a_resource_declared_twice_counts_once() {
    let (m, _) = model(&[
        (
            "a.tf",
            "resource \"azurerm_virtual_network\" \"v\" {\n  name = \"one\"\n  resource_group_name = \"rg\"\n  address_space = [\"10.0.0.0/16\"]\n}\n",
        ),
        (
            "b_override.tf",
            "resource \"azurerm_virtual_network\" \"v\" {\n  name = \"two\"\n  resource_group_name = \"rg\"\n  address_space = [\"10.1.0.0/16\"]\n}\n",
        ),
    ]);
    assert_eq!(m.vnets.len(), 1);
    assert_eq!(m.vnets[0].meta.name, Known::Known("one".into()));
}
