//! `check DIR` on Terraform configurations: the real configurations of the shared corpus
//! (../shared/corpus/terraform-hcl, provenance in its PROVENANCE.md), malformed HCL, variables
//! from the command line and the environment, modules downloaded by `terraform init`, and
//! locations in `.tf` files.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/corpus/terraform-hcl"
);

fn bin() -> Command {
    let mut c = Command::cargo_bin("aks-preflight").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c.env_remove("NO_COLOR");
    c
}

/// `check --format json`: exit code and report.
fn check_json(args: &[&str]) -> (i32, serde_json::Value) {
    let out = bin()
        .args(["check", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), v)
}

fn rules(v: &serde_json::Value) -> Vec<String> {
    let mut r: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    r.dedup();
    r
}

fn messages(v: &serde_json::Value, rule: &str) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect()
}

/// Per pool: (name, subnet, the set of verdicts of required endpoints).
fn pools(v: &serde_json::Value) -> Vec<(String, String, Vec<String>)> {
    let mut out = Vec::new();
    for c in v["clusters"].as_array().unwrap() {
        for p in c["node_pools"].as_array().unwrap() {
            let mut verdicts: Vec<String> = p["egress"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["required"] == true)
                .map(|e| e["verdict"].as_str().unwrap().to_string())
                .collect();
            verdicts.sort();
            verdicts.dedup();
            out.push((
                p["name"].as_str().unwrap().to_string(),
                p["subnet"].as_str().unwrap_or("-").to_string(),
                verdicts,
            ));
        }
    }
    out
}

fn corpus(dir: &str) -> String {
    let p = format!("{CORPUS}/{dir}");
    assert!(
        Path::new(&p).is_dir(),
        "the shared corpus is missing: {p} (tests read ../shared/corpus next to the repository)"
    );
    p
}

/// Every directory of the corpus loads, and what the tool concludes for each.
#[test]
fn corpus_configurations() {
    let mut dirs: Vec<String> = std::fs::read_dir(CORPUS)
        .expect("the shared corpus ../shared/corpus/terraform-hcl")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    dirs.sort();
    assert_eq!(dirs.len(), 7, "{dirs:?}");
    for d in &dirs {
        let path = corpus(d);
        match d.as_str() {
            // AKS Automatic (azurerm_kubernetes_automatic_cluster) is not a type the azurerm
            // mappers read: no cluster, the network is read
            "azure-terraform-101-aks-automatic-private-custom-network" => {
                let (code, v) = check_json(&[&path]);
                assert_eq!(code, 0);
                assert_eq!(rules(&v), ["INP008"], "{d}");
                assert!(
                    messages(&v, "INP008")[0].contains("1 VNet, 3 subnets"),
                    "{d}"
                );
            }
            // a classic firewall, no cluster
            "azure-terraform-101-firewall-standard" => {
                let (code, v) = check_json(&[&path]);
                assert_eq!(code, 0);
                assert_eq!(rules(&v), ["INP008"], "{d}");
                assert!(messages(&v, "INP008")[0].contains("1 firewall"), "{d}");
            }
            // the node subnet is a data source: its prefixes come from Azure, so every path
            // is unknown, and said so
            "azure-terraform-201-k8s-cluster-with-aks-applicationgateway-ingress" => {
                let (code, v) = check_json(&[&path]);
                assert_eq!(code, 0);
                assert_eq!(v["verdict"], "unknown");
                assert_eq!(
                    pools(&v),
                    [(
                        "agentpool".to_string(),
                        "data.azurerm_subnet.kubesubnet".to_string(),
                        vec!["unknown".to_string()]
                    )]
                );
                let r = rules(&v);
                assert!(r.contains(&"INP034".to_string()) && r.contains(&"EGR001".to_string()));
                assert!(messages(&v, "EGR001")[0].contains("read from Azure by the data source"));
            }
            // a private cluster behind the default load balancer, Azure DNS given as custom DNS
            "azure-terraform-301-aks-private-cluster" => {
                let (code, v) = check_json(&[&path]);
                assert_eq!(code, 0);
                assert_eq!(v["verdict"], "pass", "{d}");
                assert_eq!(
                    pools(&v),
                    [(
                        "agentpool1".to_string(),
                        "azurerm_subnet.mysubnet".to_string(),
                        vec!["reachable".to_string()]
                    )]
                );
                // the SSH key is read with file(): not evaluated, and said so
                assert!(messages(&v, "INP031")[0].contains("file()"));
            }
            // hub and spoke without a cluster; subnet ids built as strings are followed
            "azure-terraform-301-nat-gateway-hub-spoke-firewall" => {
                let (code, v) = check_json(&[&path]);
                assert_eq!(code, 0);
                assert_eq!(rules(&v), ["INP008", "INP030"], "{d}");
                assert!(messages(&v, "INP008")[0].contains("2 VNets, 4 subnets"));
                assert!(messages(&v, "INP030")[0].contains("admin_ssh_key"));
            }
            // the repository's root module is terraform/: the top directory says so
            "private-aks-cluster-terraform-devops" => {
                bin()
                    .args(["check", &path])
                    .assert()
                    .code(2)
                    .stderr(predicate::str::contains("without Terraform configuration"))
                    .stderr(predicate::str::contains(
                        "these subdirectories hold Terraform configuration",
                    ));
                let tfvars = format!("{path}/tfvars/production/production.tfvars");
                let (code, v) = check_json(&[&format!("{path}/terraform"), "--var-file", &tfvars]);
                assert_eq!(code, 0);
                assert_eq!(v["verdict"], "pass", "{d}");
                // node pools in a module's for_each subnets, egress through the hub firewall of
                // another module, via a route table associated by a string-built subnet id
                assert_eq!(
                    pools(&v),
                    [
                        (
                            "system".to_string(),
                            r#"module.aks_network.azurerm_subnet.subnet["SystemSubnet"]"#
                                .to_string(),
                            vec!["reachable".to_string()]
                        ),
                        (
                            "user".to_string(),
                            r#"module.aks_network.azurerm_subnet.subnet["UserSubnet"]"#.to_string(),
                            vec!["reachable".to_string()]
                        )
                    ]
                );
                let c = &v["clusters"][0];
                assert_eq!(
                    c["name"], "ContosoProdAks",
                    "the name comes from production.tfvars"
                );
                let e = &c["node_pools"][0]["egress"][0];
                let hops: Vec<&str> = e["path"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| h["description"].as_str().unwrap())
                    .collect();
                assert!(
                    hops.iter()
                        .any(|h| h.contains("module.firewall.azurerm_firewall.firewall")),
                    "{hops:?}"
                );
                // the root module passes two variables it does not declare (Terraform would
                // stop); variables without value are named
                assert_eq!(messages(&v, "INP035").len(), 2);
                assert!(
                    messages(&v, "INP030")
                        .iter()
                        .any(|m| m.contains("ssh_public_key"))
                );
            }
            // the cluster is in the calling repository's root module (source = "../.."), which
            // is not in the corpus
            "terraform-azurerm-aks-api_server_vnet_integration" => {
                let (code, v) = check_json(&[&path]);
                assert_eq!(code, 0);
                assert_eq!(rules(&v), ["INP032", "INP008"], "{d}");
                assert!(messages(&v, "INP032")[0].contains("module.aks is not followed"));
            }
            other => panic!("no expectation for corpus directory {other}"),
        }
    }
}

/// A directory under the system temp dir, removed at the end.
struct Temp(PathBuf);

impl Temp {
    fn new(files: &[(&str, &[u8])]) -> Temp {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "aks-preflight-cli-hcl-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        for (name, text) in files {
            let p = dir.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        Temp(dir)
    }
    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn malformed_hcl_exits_2_with_file_line_and_column() {
    for (text, place) in [
        // unclosed block: the parser stops where the file ends
        (
            &b"resource \"azurerm_subnet\" \"a\" {\n  name = \"x\"\n"[..],
            "main.tf:2:13: not valid HCL",
        ),
        // bad interpolation
        (&b"locals {\n  a = \"${var.x\"\n}\n"[..], "main.tf:2:"),
        // not UTF-8
        (&b"locals {\n  a = \"\xff\xfe\"\n}\n"[..], "main.tf:2:8"),
    ] {
        let t = Temp::new(&[("main.tf", text)]);
        bin()
            .args(["check", t.path()])
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(place))
            .stderr(predicate::str::contains("panicked").not());
    }
}

#[test]
fn directories_without_tf_or_without_a_cluster_say_so() {
    let t = Temp::new(&[("README.md", b"nothing here")]);
    bin()
        .args(["check", t.path()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("without Terraform configuration"));
    let t = Temp::new(&[(
        "main.tf",
        b"resource \"azurerm_virtual_network\" \"v\" {\n  name = \"v\"\n  resource_group_name = \"rg\"\n  address_space = [\"10.0.0.0/16\"]\n}\n",
    )]);
    let (code, v) = check_json(&[t.path()]);
    assert_eq!(code, 0);
    assert_eq!(rules(&v), ["INP008"]);
    assert!(messages(&v, "INP008")[0].contains("1 VNet"));
    // a variables file is not a check input
    bin()
        .args([
            "check",
            "testdata/scenarios/hub-fw-missing-fqdns/hcl/egress.auto.tfvars",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--var-file"));
}

/// A spoke whose first DNS server comes from a variable.
const DNS_SPOKE: &str = r#"
variable "dns_servers" {
  type = list(string)
}
resource "azurerm_virtual_network" "aks" {
  name                = "vnet-aks"
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = ["10.1.0.0/16"]
  dns_servers         = var.dns_servers
}
resource "azurerm_subnet" "nodes" {
  name                 = "nodes"
  resource_group_name  = "rg"
  virtual_network_name = azurerm_virtual_network.aks.name
  address_prefixes     = ["10.1.0.0/22"]
}
resource "azurerm_kubernetes_cluster" "aks" {
  name                = "aks"
  resource_group_name = "rg"
  location            = "westeurope"
  dns_prefix          = "aks"
  default_node_pool {
    name           = "system"
    vm_size        = "Standard_D4s_v5"
    vnet_subnet_id = azurerm_subnet.nodes.id
  }
  identity {
    type = "SystemAssigned"
  }
  network_profile {
    network_plugin = "azure"
    outbound_type  = "loadBalancer"
  }
}
"#;

fn dns_server_1(v: &serde_json::Value) -> Option<String> {
    v["clusters"][0]["node_pools"][0]["egress"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["port"] == 53)
        .map(|e| e["host"].as_str().unwrap().to_string())
}

#[test]
fn variables_from_files_flags_and_the_environment() {
    let t = Temp::new(&[
        ("main.tf", DNS_SPOKE.as_bytes()),
        ("terraform.tfvars", b"dns_servers = [\"10.0.0.1\"]\n"),
        ("extra.tfvars", b"dns_servers = [\"10.0.0.3\"]\n"),
    ]);
    // terraform.tfvars
    let (_, v) = check_json(&[t.path()]);
    assert_eq!(dns_server_1(&v).as_deref(), Some("10.0.0.1"));
    // TF_VAR_ is read before terraform.tfvars, so the file wins
    let out = bin()
        .env("TF_VAR_dns_servers", "[\"10.0.0.2\"]")
        .args(["check", "--format", "json", t.path()])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(dns_server_1(&v).as_deref(), Some("10.0.0.1"));
    // --var-file after terraform.tfvars, --var last
    let extra = format!("{}/extra.tfvars", t.path());
    let (_, v) = check_json(&[t.path(), "--var-file", &extra]);
    assert_eq!(dns_server_1(&v).as_deref(), Some("10.0.0.3"));
    let (_, v) = check_json(&[
        t.path(),
        "--var-file",
        &extra,
        "--var",
        "dns_servers=[\"10.0.0.4\"]",
    ]);
    assert_eq!(dns_server_1(&v).as_deref(), Some("10.0.0.4"));
    // the environment alone
    let t2 = Temp::new(&[("main.tf", DNS_SPOKE.as_bytes())]);
    let out = bin()
        .env("TF_VAR_dns_servers", "[\"10.0.0.2\"]")
        .args(["check", "--format", "json", t2.path()])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(dns_server_1(&v).as_deref(), Some("10.0.0.2"));
    // no value: the DNS servers are unknown and the variable is named
    let (_, v) = check_json(&[t2.path()]);
    assert!(messages(&v, "INP030")[0].contains("dns_servers"));
    assert_eq!(v["verdict"], "unknown");
    // a malformed --var is a usage error
    bin()
        .args(["check", t2.path(), "--var", "dns_servers"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("NAME=VALUE"));
}

/// A registry module `terraform init` downloaded is followed through modules.json; one that is
/// not downloaded is reported once, and what comes from it is unknown.
#[test]
fn registry_modules_are_followed_after_terraform_init() {
    let root = r#"
module "vnet" {
  source  = "Azure/avm-res-network-virtualnetwork/azurerm"
  version = "0.7.1"
  name    = "vnet-aks"
}
module "other" {
  source = "git::https://example.com/net.git"
}
resource "azurerm_kubernetes_cluster" "aks" {
  name                = "aks"
  resource_group_name = "rg"
  location            = "westeurope"
  dns_prefix          = "aks"
  default_node_pool {
    name           = "system"
    vm_size        = "Standard_D4s_v5"
    vnet_subnet_id = module.vnet.subnets["nodes"].resource_id
  }
  identity {
    type = "SystemAssigned"
  }
  network_profile {
    network_plugin = "azure"
    outbound_type  = "loadBalancer"
  }
}
"#;
    let module = r#"
variable "name" { type = string }
resource "azurerm_virtual_network" "this" {
  name                = var.name
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = ["10.1.0.0/16"]
}
module "subnet" {
  source   = "./modules/subnet"
  for_each = { nodes = "10.1.0.0/22" }
  name     = each.key
  prefix   = each.value
  vnet     = azurerm_virtual_network.this.name
}
output "subnets" {
  value = module.subnet
}
"#;
    let submodule = r#"
variable "name" { type = string }
variable "prefix" { type = string }
variable "vnet" { type = string }
resource "azurerm_subnet" "this" {
  name                 = var.name
  resource_group_name  = "rg"
  virtual_network_name = var.vnet
  address_prefixes     = [var.prefix]
}
output "resource_id" {
  value = azurerm_subnet.this.id
}
"#;
    let modules_json = br#"{"Modules":[{"Key":"","Source":"","Dir":"."},{"Key":"vnet","Source":"registry.terraform.io/Azure/avm-res-network-virtualnetwork/azurerm","Version":"0.7.1","Dir":".terraform/modules/vnet"},{"Key":"vnet.subnet","Source":"./modules/subnet","Dir":".terraform/modules/vnet/modules/subnet"}]}"#;
    let t = Temp::new(&[
        ("main.tf", root.as_bytes()),
        (".terraform/modules/modules.json", modules_json),
        (".terraform/modules/vnet/main.tf", module.as_bytes()),
        (
            ".terraform/modules/vnet/modules/subnet/main.tf",
            submodule.as_bytes(),
        ),
    ]);
    let (_, v) = check_json(&[t.path()]);
    assert_eq!(
        pools(&v)[0].1,
        r#"module.vnet.module.subnet["nodes"].azurerm_subnet.this"#
    );
    assert_eq!(pools(&v)[0].2, ["reachable"]);
    let notes = messages(&v, "INP032");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("module.other is not followed"));
    assert!(notes[0].contains("run `terraform init`"));
}

#[test]
fn findings_underline_the_tf_line_and_say_where_a_value_is_written() {
    // the route with next_hop_type = "None"
    bin()
        .args([
            "check",
            "--color",
            "never",
            "testdata/scenarios/udr-default-to-none/hcl",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "testdata/scenarios/udr-default-to-none/hcl/main.tf:67:3",
        ))
        .stdout(predicate::str::contains(" 67 │   route {"));
    // the misspelt... the first DNS server: used in network.tf, written in terraform.tfvars
    let out = bin()
        .args([
            "check",
            "--color",
            "never",
            "testdata/scenarios/custom-dns-first-unreachable/hcl",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("custom-dns-first-unreachable/hcl/network.tf:39:25"),
        "{text}"
    );
    assert!(
        text.contains("custom-dns-first-unreachable/hcl/terraform.tfvars:4:15: the value is"),
        "{text}"
    );
    // JSON: the .tf location first, then where the value is written
    let (_, v) = check_json(&["testdata/scenarios/custom-dns-first-unreachable/hcl"]);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "DNS001")
        .unwrap();
    let files: Vec<&str> = f["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["file"].as_str().unwrap())
        .collect();
    assert!(files[0].ends_with("network.tf"), "{files:?}");
    assert!(
        files.last().unwrap().ends_with("terraform.tfvars"),
        "{files:?}"
    );
}

/// A plan whose directory holds the root module is shown against the `.tf` files without
/// `--source`; inline waivers of the `.tf` files come with it.
#[test]
fn a_plan_next_to_its_configuration_points_at_the_tf_lines() {
    let s = "testdata/scenarios/udr-default-to-none";
    let read = |p: &str| std::fs::read(format!("{}/{s}/{p}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let files: Vec<(String, Vec<u8>)> = [
        "main.tf",
        "variables.tf",
        "outputs.tf",
        "providers.tf",
        "terraform.tfvars",
    ]
    .iter()
    .map(|f| (f.to_string(), read(&format!("hcl/{f}"))))
    .chain([("plan.json".to_string(), read("plan.json"))])
    .collect();
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let t = Temp::new(&refs);
    let plan = format!("{}/plan.json", t.path());
    let (code, v) = check_json(&[&plan]);
    assert_eq!(code, 1);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "RTE001")
        .unwrap();
    let locs = f["locations"].as_array().unwrap();
    assert!(
        locs[0]["file"].as_str().unwrap().ends_with("main.tf"),
        "{locs:?}"
    );
    assert_eq!(locs[0]["line"], 67);
    assert!(
        locs.iter()
            .any(|l| l["file"].as_str().unwrap().ends_with("plan.json")),
        "the plan location is kept: {locs:?}"
    );
    // a malformed configuration next to the plan does not stop the plan's check
    std::fs::write(t.0.join("broken.tf"), "resource {").unwrap();
    let out = bin()
        .args(["check", "--format", "json", &plan])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not valid HCL"));
    // unless it was asked for
    bin()
        .args(["check", &plan, "--source", t.path()])
        .assert()
        .code(2);
}

/// The twin of nsg-deny-internet-443 with an inline waiver above the deny rule.
fn waived_nsg_twin(expires: &str) -> Vec<(String, Vec<u8>)> {
    let s = "testdata/scenarios/nsg-deny-internet-443";
    let read = |p: &str| std::fs::read(format!("{}/{s}/{p}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let main = String::from_utf8(read("hcl/main.tf")).unwrap().replace(
        "resource \"azurerm_network_security_rule\" \"deny_internet_https_outbound\" {",
        &format!(
            "# aks-preflight:ignore NSG001 reason=\"egress goes through the proxy, see ADR-12\"{expires}\nresource \"azurerm_network_security_rule\" \"deny_internet_https_outbound\" {{"
        ),
    );
    assert!(main.contains("aks-preflight:ignore"));
    let mut files: Vec<(String, Vec<u8>)> = [
        "variables.tf",
        "outputs.tf",
        "providers.tf",
        "terraform.tfvars",
    ]
    .iter()
    .map(|f| (f.to_string(), read(&format!("hcl/{f}"))))
    .collect();
    files.push(("main.tf".into(), main.into_bytes()));
    files.push(("plan.json".into(), read("plan.json")));
    files
}

fn temp_of(files: &[(String, Vec<u8>)]) -> Temp {
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    Temp::new(&refs)
}

/// An inline waiver in a `.tf` file waives the finding located in the block below it, when the
/// directory is checked and when the plan made from it is.
#[test]
fn inline_waivers_apply_to_the_configuration_and_to_its_plan() {
    let t = temp_of(&waived_nsg_twin(""));
    let plan = format!("{}/plan.json", t.path());
    let mut main_tf = std::path::PathBuf::from(t.path());
    main_tf.push("main.tf");
    for input in [t.path(), plan.as_str()] {
        // the plan next to its configuration is shown against it, waivers included
        let mut args = vec![input];
        if input.ends_with("plan.json") {
            args.extend(["--source", t.path()]);
        }
        let (code, v) = check_json(&args);
        assert_eq!(code, 0, "{input}: the only error is waived");
        assert!(!rules(&v).contains(&"NSG001".to_string()), "{input}");
        let s = v["suppressed"].as_array().unwrap();
        assert_eq!(s.len(), 1, "{input}: {s:?}");
        assert_eq!(s[0]["rule"], "NSG001");
        assert!(
            s[0]["suppression"].to_string().contains("see ADR-12"),
            "{}",
            s[0]
        );
    }
    // expired: the finding is reported again, and the waiver is named
    let t = temp_of(&waived_nsg_twin(" expires=2020-01-31"));
    let (code, v) = check_json(&[t.path()]);
    assert_eq!(code, 1);
    let r = rules(&v);
    assert!(
        r.contains(&"NSG001".to_string()) && r.contains(&"WAV001".to_string()),
        "{r:?}"
    );
}

/// The example configuration of the README (testdata/hcl/hub-and-spoke): a hub firewall policy,
/// spokes from a local module with for_each, NSGs, routes to the firewall, the firewall as DNS
/// server, variables from terraform.tfvars. Its README gives the expected outcome and the
/// Microsoft documentation behind it.
#[test]
fn the_hub_and_spoke_example() {
    let (code, v) = check_json(&["testdata/hcl/hub-and-spoke"]);
    assert_eq!(code, 1);
    assert_eq!(v["verdict"], "fail");
    let mut r = rules(&v);
    r.sort();
    r.dedup();
    assert_eq!(r, ["DNS002", "NSG001"]);
    // DNS002 for both pools, NSG001 for the batch pool only
    let findings = v["findings"].as_array().unwrap();
    let pools_of = |rule: &str| -> Vec<&str> {
        let mut p: Vec<&str> = findings
            .iter()
            .filter(|f| f["rule"] == rule)
            .map(|f| f["node_pool"].as_str().unwrap())
            .collect();
        p.sort();
        p
    };
    assert_eq!(pools_of("DNS002"), ["batch", "system"]);
    assert_eq!(pools_of("NSG001"), ["batch"]);
    // every location is in the configuration, and the tfvars value behind the DNS proxy setting
    // is named
    for f in findings {
        for l in f["locations"].as_array().unwrap() {
            let file = l["file"].as_str().unwrap();
            assert!(
                file.ends_with(".tf") || file.ends_with(".tfvars"),
                "{}: {file}",
                f["rule"]
            );
        }
    }
    let dns = findings.iter().find(|f| f["rule"] == "DNS002").unwrap();
    assert!(
        dns["locations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["file"].as_str().unwrap().ends_with("terraform.tfvars") && l["line"] == 1)
    );
    // the apps pool is otherwise reachable through the firewall
    let system = pools(&v).into_iter().find(|p| p.0 == "system").unwrap();
    assert_eq!(system.1, r#"module.spoke["apps"].azurerm_subnet.nodes"#);
}
