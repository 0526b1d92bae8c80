//! Benchmarks of the Terraform configuration (HCL) reader (criterion): `cargo bench --bench hcl`.
//!
//! A configuration generated at the start of the run (into the system temp dir, removed at the
//! end): a spoke module called once, whose `for_each` makes 1,000 subnets of a /8, 1,000 NSGs
//! (one per subnet, three rules each from a `dynamic` block: 3,000 rules) and 1,000
//! associations, and an AKS cluster whose ten node pools (`for_each`) sit on ten of the subnets.
//! `hcl/1000_subnets/load` reads and evaluates it into the model; `load+check` adds the full
//! check.

use aks_preflight::analysis::{self, CheckOptions};
use aks_preflight::input::terraform::hcl::{VarArgs, load};
use aks_preflight::policy::{Catalogue, Config};
use aks_preflight::source::SourceMap;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::{Path, PathBuf};

const SUBNETS: usize = 1000;
const POOLS: usize = 10;

const ROOT: &str = r#"
module "spoke" {
  source         = "./modules/spoke"
  address_space  = "10.0.0.0/8"
  subnet_count   = var.subnet_count
}

variable "subnet_count" {
  type = number
}

resource "azurerm_kubernetes_cluster" "aks" {
  name                = "aks-bench"
  resource_group_name = "rg-bench"
  location            = "westeurope"
  dns_prefix          = "aks-bench"

  default_node_pool {
    name           = "system"
    vm_size        = "Standard_D4ds_v5"
    vnet_subnet_id = module.spoke.subnet_ids["snet-0000"]
  }

  identity {
    type = "SystemAssigned"
  }

  network_profile {
    network_plugin = "azure"
    outbound_type  = "loadBalancer"
  }
}

resource "azurerm_kubernetes_cluster_node_pool" "pool" {
  for_each              = toset([for i in range(1, var.pools) : format("snet-%04d", i)])
  name                  = replace(each.key, "snet-", "p")
  kubernetes_cluster_id = azurerm_kubernetes_cluster.aks.id
  vm_size               = "Standard_D4ds_v5"
  vnet_subnet_id        = module.spoke.subnet_ids[each.key]
}

variable "pools" {
  type = number
}
"#;

const SPOKE: &str = r#"
variable "address_space" { type = string }
variable "subnet_count" { type = number }

locals {
  subnets = { for i in range(var.subnet_count) : format("snet-%04d", i) => cidrsubnet(var.address_space, 14, i) }
  rules = [
    { name = "allow-https-out", priority = 100, access = "Allow", port = "443", dst = "AzureCloud" },
    { name = "allow-ntp-out", priority = 110, access = "Allow", port = "123", dst = "Internet" },
    { name = "deny-smtp-out", priority = 200, access = "Deny", port = "25", dst = "Internet" },
  ]
}

resource "azurerm_virtual_network" "this" {
  name                = "vnet-bench"
  resource_group_name = "rg-bench"
  location            = "westeurope"
  address_space       = [var.address_space]
}

resource "azurerm_subnet" "this" {
  for_each             = local.subnets
  name                 = each.key
  resource_group_name  = "rg-bench"
  virtual_network_name = azurerm_virtual_network.this.name
  address_prefixes     = [each.value]
}

resource "azurerm_network_security_group" "this" {
  for_each            = local.subnets
  name                = "nsg-${each.key}"
  resource_group_name = "rg-bench"
  location            = "westeurope"

  dynamic "security_rule" {
    for_each = local.rules
    content {
      name                       = security_rule.value.name
      priority                   = security_rule.value.priority
      direction                  = "Outbound"
      access                     = security_rule.value.access
      protocol                   = "Tcp"
      source_address_prefix      = each.value
      source_port_range          = "*"
      destination_address_prefix = security_rule.value.dst
      destination_port_range     = security_rule.value.port
    }
  }
}

resource "azurerm_subnet_network_security_group_association" "this" {
  for_each                  = local.subnets
  subnet_id                 = azurerm_subnet.this[each.key].id
  network_security_group_id = azurerm_network_security_group.this[each.key].id
}

output "subnet_ids" {
  value = { for k, s in azurerm_subnet.this : k => s.id }
}
"#;

struct Generated(PathBuf);

impl Generated {
    fn new() -> Generated {
        let dir =
            std::env::temp_dir().join(format!("aks-preflight-bench-hcl-{}", std::process::id()));
        let write = |p: &Path, text: &str| {
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        };
        write(&dir.join("main.tf"), ROOT);
        write(&dir.join("modules/spoke/main.tf"), SPOKE);
        write(
            &dir.join("terraform.tfvars"),
            &format!("subnet_count = {SUBNETS}\npools = {POOLS}\n"),
        );
        Generated(dir)
    }
}

impl Drop for Generated {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn hcl(c: &mut Criterion) {
    let g = Generated::new();
    let catalogue = Catalogue::builtin().expect("catalogue").clone();
    let config = Config::default();
    let options = CheckOptions::default();
    // sanity: the configuration evaluates to what the benchmark says
    let mut sources = SourceMap::new();
    let m = load(&mut sources, &g.0, &VarArgs::default()).expect("loads");
    assert_eq!(m.subnets.len(), SUBNETS);
    assert_eq!(m.nsgs.len(), SUBNETS);
    assert_eq!(m.clusters[0].node_pools.len(), POOLS);
    assert!(m.subnets.iter().all(|s| s.nsg.is_known()));
    let report = analysis::check(&m, &catalogue, &config, &options);
    assert!(
        report.clusters[0]
            .node_pools
            .iter()
            .all(|p| !p.egress.is_empty())
    );

    let mut group = c.benchmark_group("hcl");
    group.sample_size(10);
    group.bench_function("1000_subnets/load", |b| {
        b.iter(|| {
            let mut sources = SourceMap::new();
            black_box(load(&mut sources, &g.0, &VarArgs::default()).expect("loads"))
        })
    });
    group.bench_function("1000_subnets/load+check", |b| {
        b.iter(|| {
            let mut sources = SourceMap::new();
            let m = load(&mut sources, &g.0, &VarArgs::default()).expect("loads");
            black_box(analysis::check(&m, &catalogue, &config, &options))
        })
    });
    group.finish();
}

criterion_group!(benches, hcl);
criterion_main!(benches);
