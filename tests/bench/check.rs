//! Benchmarks (criterion): `cargo bench --bench check` (release build; add `-- estate` to run one
//! group). Not a test target: `cargo test` does not build or run it, `cargo test --benches` runs
//! every benchmark once as a smoke test.
//!
//! * `scenario/...`: load + `analysis::check` of the largest bundled scenario plan;
//! * `estate/...`: a synthetic hub-and-spoke estate generated here (one hub Azure Firewall whose
//!   policy and parent policy hold ~40,000 rules in 44 rule collection groups, 200 IP groups,
//!   50 spokes with an AKS cluster of three node pools each, NSGs of 200 rules, route tables to
//!   the firewall, peerings, the firewall as DNS server): the full check, and the firewall
//!   evaluator for one flow;
//! * `loader/...`: parsing and loading a single-line plan of ~40,000 resources.
//!
//! The generated plans are `terraform show -json` shaped (resource_changes with before/after,
//! planned_values) and live in memory only.

use aks_preflight::analysis::{self, CheckOptions};
use aks_preflight::eval::firewall;
use aks_preflight::eval::{Destination, Flow, Protocol, Verdict, flow::AppProto};
use aks_preflight::model::{Model, Ref};
use aks_preflight::policy::{Catalogue, Config};
use aks_preflight::source::SourceMap;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use std::hint::black_box;
use std::time::{Duration, Instant};

// ------------------------------------------------------------------ synthetic estate

const SUB: &str = "00000000-0000-0000-0000-000000000000";
const FW_IP: &str = "10.0.1.4";

fn net_id(rg: &str, path: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Network/{path}")
}

/// Shape of a generated estate.
#[derive(Clone, Copy)]
struct Estate {
    spokes: usize,
    nsg_rules: usize,
    /// NSG rules as separate `azurerm_network_security_rule` resources instead of inline.
    separate_nsg_rules: bool,
    /// Rule collection groups of the child policy (the parent policy adds 4 more).
    groups: usize,
    collections_per_group: usize,
    rules_per_collection: usize,
    ip_groups: usize,
    /// The last spokes are left out of the AKS allow rules (their pools are denied: FWL001 and
    /// the counterfactual root-cause search run).
    uncovered_spokes: usize,
}

/// One resource instance: address parts and its after-state.
struct Res {
    module: Option<String>,
    rtype: &'static str,
    name: String,
    index: Option<String>,
    values: Value,
}

impl Res {
    fn new(rtype: &'static str, name: impl Into<String>, values: Value) -> Res {
        Res {
            module: None,
            rtype,
            name: name.into(),
            index: None,
            values,
        }
    }
    fn in_module(mut self, m: &str) -> Res {
        self.module = Some(m.to_string());
        self
    }
    fn indexed(mut self, k: &str) -> Res {
        self.index = Some(k.to_string());
        self
    }
    fn address(&self) -> String {
        let local = match &self.index {
            Some(k) => format!("{}.{}[\"{k}\"]", self.rtype, self.name),
            None => format!("{}.{}", self.rtype, self.name),
        };
        match &self.module {
            Some(m) => format!("{m}.{local}"),
            None => local,
        }
    }
}

fn tags() -> Value {
    json!({"environment": "prod", "owner": "platform-team", "cost_center": "cc-1234"})
}

/// Octets for spoke `s` (1-based): VNet 10.s.0.0/16 for s <= 250.
fn spoke_vnet_cidr(s: usize) -> String {
    format!("10.{}.{}.0/{}", 1 + (s - 1) / 4, ((s - 1) % 4) * 64, 18)
}
fn spoke_octets(s: usize) -> (usize, usize) {
    (1 + (s - 1) / 4, ((s - 1) % 4) * 64)
}
/// Node subnets: /22 each at the start of the spoke's /18.
fn spoke_subnet_cidr(s: usize, k: usize) -> String {
    let (a, b) = spoke_octets(s);
    format!("10.{a}.{}.0/22", b + 4 * k)
}

fn security_rule(s: usize, j: usize) -> Value {
    // 60% inbound; outbound rules allow east-west traffic or deny a few management ports to
    // the Internet, never the ports node provisioning needs.
    let inbound = j % 5 < 3;
    let (access, proto, dst, port) = if inbound {
        (
            if j % 7 == 0 { "Deny" } else { "Allow" },
            "Tcp",
            spoke_subnet_cidr(s, 0),
            ["443", "80", "8080", "10250", "22"][j % 5].to_string(),
        )
    } else if j % 11 == 0 {
        (
            "Deny",
            "Tcp",
            "Internet".to_string(),
            ["23", "445", "3389", "5985"][j % 4].to_string(),
        )
    } else {
        (
            "Allow",
            if j % 3 == 0 { "Udp" } else { "Tcp" },
            format!("10.{}.0.0/16", 100 + j % 100),
            format!("{}", 1000 + j),
        )
    };
    json!({
        "access": access,
        "description": format!("rule {j} of spoke {s}"),
        "destination_address_prefix": dst,
        "destination_address_prefixes": [],
        "destination_application_security_group_ids": [],
        "destination_port_range": port,
        "destination_port_ranges": [],
        "direction": if inbound { "Inbound" } else { "Outbound" },
        "name": format!("{}-{j:03}", if inbound { "in" } else { "out" }),
        "priority": 100 + j * 10,
        "protocol": proto,
        "source_address_prefix": if inbound { "VirtualNetwork".to_string() } else { spoke_vnet_cidr(s) },
        "source_address_prefixes": [],
        "source_application_security_group_ids": [],
        "source_port_range": "*",
        "source_port_ranges": []
    })
}

fn spoke(e: &Estate, s: usize, out: &mut Vec<Res>) {
    let m = format!("module.spoke[\"s{s:03}\"]");
    let rg = format!("rg-spoke-{s:03}");
    let vnet_name = format!("vnet-spoke-{s:03}");
    let vnet_id = net_id(&rg, &format!("virtualNetworks/{vnet_name}"));
    let nsg_name = format!("nsg-spoke-{s:03}");
    let nsg_id = net_id(&rg, &format!("networkSecurityGroups/{nsg_name}"));
    let rt_name = format!("rt-spoke-{s:03}");
    let rt_id = net_id(&rg, &format!("routeTables/{rt_name}"));
    let loc = "westeurope";
    out.push(
        Res::new(
            "azurerm_virtual_network",
            "this",
            json!({
                "address_space": [spoke_vnet_cidr(s)], "bgp_community": null,
                "ddos_protection_plan": [], "dns_servers": [FW_IP], "edge_zone": null,
                "encryption": [], "flow_timeout_in_minutes": null, "id": vnet_id,
                "location": loc, "name": vnet_name, "resource_group_name": rg,
                "subnet": [], "tags": tags()
            }),
        )
        .in_module(&m),
    );
    let mut subnet_ids = vec![];
    for (k, sname) in ["nodes", "user"].iter().enumerate() {
        let name = format!("snet-aks-{sname}");
        let id = format!("{vnet_id}/subnets/{name}");
        subnet_ids.push(id.clone());
        out.push(
            Res::new(
                "azurerm_subnet",
                *sname,
                json!({
                    "address_prefixes": [spoke_subnet_cidr(s, k)],
                    "default_outbound_access_enabled": false, "delegation": [], "id": id,
                    "name": name, "private_endpoint_network_policies": "Disabled",
                    "private_link_service_network_policies_enabled": true,
                    "resource_group_name": rg, "service_endpoint_policy_ids": null,
                    "service_endpoints": null, "virtual_network_name": vnet_name
                }),
            )
            .in_module(&m),
        );
        out.push(
            Res::new(
                "azurerm_subnet_network_security_group_association",
                *sname,
                json!({"id": id, "network_security_group_id": nsg_id, "subnet_id": id}),
            )
            .in_module(&m),
        );
        out.push(
            Res::new(
                "azurerm_subnet_route_table_association",
                *sname,
                json!({"id": id, "route_table_id": rt_id, "subnet_id": id}),
            )
            .in_module(&m),
        );
    }
    let inline: Vec<Value> = if e.separate_nsg_rules {
        vec![]
    } else {
        (0..e.nsg_rules).map(|j| security_rule(s, j)).collect()
    };
    out.push(
        Res::new(
            "azurerm_network_security_group",
            "this",
            json!({
                "id": nsg_id, "location": loc, "name": nsg_name, "resource_group_name": rg,
                "security_rule": inline, "tags": tags()
            }),
        )
        .in_module(&m),
    );
    if e.separate_nsg_rules {
        for j in 0..e.nsg_rules {
            let mut r = security_rule(s, j);
            let name = r["name"].as_str().unwrap_or_default().to_string();
            r["id"] = json!(format!("{nsg_id}/securityRules/{name}"));
            r["network_security_group_name"] = json!(nsg_name);
            r["resource_group_name"] = json!(rg);
            out.push(
                Res::new("azurerm_network_security_rule", "rules", r)
                    .in_module(&m)
                    .indexed(&name),
            );
        }
    }
    out.push(
        Res::new(
            "azurerm_route_table",
            "this",
            json!({
                "bgp_route_propagation_enabled": false, "id": rt_id, "location": loc,
                "name": rt_name, "resource_group_name": rg,
                "route": [
                    {"address_prefix": "0.0.0.0/0", "name": "default-to-firewall",
                     "next_hop_in_ip_address": FW_IP, "next_hop_type": "VirtualAppliance"},
                    {"address_prefix": "10.0.0.0/8", "name": "private-to-firewall",
                     "next_hop_in_ip_address": FW_IP, "next_hop_type": "VirtualAppliance"},
                    {"address_prefix": spoke_vnet_cidr(s), "name": "local",
                     "next_hop_in_ip_address": null, "next_hop_type": "VnetLocal"}
                ],
                "subnets": subnet_ids, "tags": tags()
            }),
        )
        .in_module(&m),
    );
    let hub_vnet = net_id("rg-hub", "virtualNetworks/vnet-hub");
    out.push(
        Res::new(
            "azurerm_virtual_network_peering",
            "to_hub",
            json!({
                "allow_forwarded_traffic": true, "allow_gateway_transit": false,
                "allow_virtual_network_access": true,
                "id": format!("{vnet_id}/virtualNetworkPeerings/to-hub"), "name": "to-hub",
                "remote_virtual_network_id": hub_vnet, "resource_group_name": rg,
                "use_remote_gateways": false, "virtual_network_name": vnet_name
            }),
        )
        .in_module(&m),
    );
    out.push(
        Res::new(
            "azurerm_virtual_network_peering",
            "from_hub",
            json!({
                "allow_forwarded_traffic": true, "allow_gateway_transit": false,
                "allow_virtual_network_access": true,
                "id": format!("{hub_vnet}/virtualNetworkPeerings/to-spoke-{s:03}"),
                "name": format!("to-spoke-{s:03}"), "remote_virtual_network_id": vnet_id,
                "resource_group_name": "rg-hub", "use_remote_gateways": false,
                "virtual_network_name": "vnet-hub"
            }),
        )
        .in_module(&m),
    );
    let aks_name = format!("aks-spoke-{s:03}");
    let aks_id = format!(
        "/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{aks_name}"
    );
    out.push(
        Res::new(
            "azurerm_kubernetes_cluster",
            "this",
            json!({
                "api_server_access_profile": [], "azure_policy_enabled": false,
                "default_node_pool": [{
                    "auto_scaling_enabled": true, "max_count": 5, "min_count": 2,
                    "name": "system", "node_public_ip_enabled": false,
                    "only_critical_addons_enabled": true, "os_disk_type": "Managed",
                    "os_sku": "Ubuntu", "type": "VirtualMachineScaleSets",
                    "vm_size": "Standard_D4ds_v5", "vnet_subnet_id": subnet_ids[0],
                    "zones": ["1", "2", "3"]
                }],
                "dns_prefix": aks_name, "id": aks_id,
                "identity": [{"identity_ids": null, "type": "SystemAssigned"}],
                "kubernetes_version": "1.31", "location": loc, "name": aks_name,
                "network_profile": [{
                    "dns_service_ip": "172.16.0.10", "load_balancer_profile": [],
                    "load_balancer_sku": "standard", "nat_gateway_profile": [],
                    "network_data_plane": "azure", "network_plugin": "azure",
                    "network_plugin_mode": "overlay", "network_policy": null,
                    "outbound_type": "userDefinedRouting", "pod_cidr": "192.168.0.0/16",
                    "service_cidr": "172.16.0.0/16"
                }],
                "private_cluster_enabled": false, "resource_group_name": rg,
                "sku_tier": "Standard", "tags": tags()
            }),
        )
        .in_module(&m),
    );
    for (k, pool) in ["user1", "user2"].iter().enumerate() {
        out.push(
            Res::new(
                "azurerm_kubernetes_cluster_node_pool",
                "user",
                json!({
                    "auto_scaling_enabled": true, "id": format!("{aks_id}/agentPools/{pool}"),
                    "kubernetes_cluster_id": aks_id, "max_count": 10, "min_count": 1,
                    "mode": "User", "name": pool, "node_public_ip_enabled": false,
                    "os_type": "Linux", "vm_size": "Standard_D8ds_v5",
                    "vnet_subnet_id": subnet_ids[1 - k], "zones": ["1", "2", "3"]
                }),
            )
            .in_module(&m)
            .indexed(pool),
        );
    }
}

fn ip_group_id(g: usize) -> String {
    net_id("rg-hub", &format!("ipGroups/ipg-{g:03}"))
}

fn app_protocols(j: usize) -> Value {
    if j % 4 == 0 {
        json!([{"port": 80, "type": "Http"}, {"port": 443, "type": "Https"}])
    } else {
        json!([{"port": 443, "type": "Https"}])
    }
}

/// Sources of filler rules: a spoke VNet, IP groups, or (rarely) a slice of a node subnet,
/// which splits that subnet for the evaluator.
fn filler_sources(e: &Estate, n: usize) -> (Value, Value) {
    let s = 1 + (n / 7) % e.spokes;
    match n % 10 {
        0..=4 => (json!([spoke_vnet_cidr(s)]), json!(null)),
        5..=7 => (
            json!(null),
            json!([
                ip_group_id(n % e.ip_groups),
                ip_group_id((n * 7 + 3) % e.ip_groups)
            ]),
        ),
        8 if n % 500 == 8 => {
            let (a, b) = spoke_octets(1 + (n / 500) % e.spokes);
            (json!([format!("10.{a}.{b}.0/24")]), json!(null))
        }
        _ => (json!(["10.250.0.0/16", "192.168.10.0/24"]), json!(null)),
    }
}

fn app_rule(e: &Estate, n: usize) -> Value {
    let (src, groups) = filler_sources(e, n);
    // FQDN tags whose contents are not known statically: rules that may match any host
    let (fqdns, tags) = match n % 200 {
        0 => (json!(null), json!(["WindowsUpdate"])),
        _ => (
            json!([
                format!("api{n}.app{}.contoso.com", n % 97),
                format!("*.svc{n}.example.net"),
                format!("stacct{n}.blob.core.windows.net")
            ]),
            json!(null),
        ),
    };
    json!({
        "description": null, "destination_addresses": null, "destination_fqdn_tags": tags,
        "destination_fqdns": fqdns, "destination_urls": null, "http_headers": [],
        "name": format!("app-{n}"), "protocols": app_protocols(n),
        "source_addresses": src, "source_ip_groups": groups, "terminate_tls": null,
        "web_categories": null
    })
}

fn net_rule(e: &Estate, n: usize) -> Value {
    let (src, groups) = filler_sources(e, n);
    let (dst, dst_groups, fqdns) = match n % 25 {
        0 => (
            json!(null),
            json!([ip_group_id((n / 25) % e.ip_groups)]),
            json!(null),
        ),
        1 => (
            json!(null),
            json!(null),
            json!([format!("sql{n}.database.windows.net")]),
        ),
        _ => (
            json!([
                format!("172.{}.{}.0/24", 16 + n % 16, n % 256),
                format!("192.168.{}.0/24", n % 256)
            ]),
            json!(null),
            json!(null),
        ),
    };
    let port = ["1433", "5432", "22", "3389", "8080-8090", "6379", "443"][n % 7];
    json!({
        "description": null, "destination_addresses": dst, "destination_fqdns": fqdns,
        "destination_ip_groups": dst_groups, "destination_ports": [port],
        "name": format!("net-{n}"), "protocols": if n % 9 == 0 { json!(["UDP"]) } else { json!(["TCP"]) },
        "source_addresses": src, "source_ip_groups": groups
    })
}

fn filler_group(e: &Estate, name: &str, policy: &str, prio: usize, start: usize) -> Res {
    let mut apps = vec![];
    let mut nets = vec![];
    let mut n = start;
    for c in 0..e.collections_per_group {
        let action = if c % 7 == 3 { "Deny" } else { "Allow" };
        let rules: Vec<Value> = (0..e.rules_per_collection)
            .map(|_| {
                n += 1;
                if c % 2 == 0 {
                    app_rule(e, n)
                } else {
                    net_rule(e, n)
                }
            })
            .collect();
        let coll = json!({
            "action": action, "name": format!("{name}-c{c:02}"), "priority": 100 + c * 10,
            "rule": rules
        });
        if c % 2 == 0 {
            apps.push(coll);
        } else {
            nets.push(coll);
        }
    }
    Res::new(
        "azurerm_firewall_policy_rule_collection_group",
        name.replace('-', "_"),
        json!({
            "application_rule_collection": apps, "firewall_policy_id": policy,
            "id": format!("{policy}/ruleCollectionGroups/{name}"), "name": name,
            "nat_rule_collection": [], "network_rule_collection": nets, "priority": prio
        }),
    )
}

fn hub(e: &Estate, out: &mut Vec<Res>) {
    let rg = "rg-hub";
    let vnet_id = net_id(rg, "virtualNetworks/vnet-hub");
    let fw_subnet = format!("{vnet_id}/subnets/AzureFirewallSubnet");
    let pip = net_id(rg, "publicIPAddresses/pip-afw-hub");
    let base = net_id(rg, "firewallPolicies/afwp-base");
    let child = net_id(rg, "firewallPolicies/afwp-hub");
    out.push(Res::new(
        "azurerm_virtual_network",
        "hub",
        json!({
            "address_space": ["10.0.0.0/16"], "dns_servers": [], "id": vnet_id,
            "location": "westeurope", "name": "vnet-hub", "resource_group_name": rg,
            "subnet": [], "tags": tags()
        }),
    ));
    out.push(Res::new(
        "azurerm_subnet",
        "firewall",
        json!({
            "address_prefixes": ["10.0.1.0/26"], "default_outbound_access_enabled": true,
            "delegation": [], "id": fw_subnet, "name": "AzureFirewallSubnet",
            "resource_group_name": rg, "virtual_network_name": "vnet-hub"
        }),
    ));
    out.push(Res::new(
        "azurerm_public_ip",
        "fw",
        json!({
            "allocation_method": "Static", "id": pip, "ip_address": "20.50.1.10",
            "ip_version": "IPv4", "location": "westeurope", "name": "pip-afw-hub",
            "resource_group_name": rg, "sku": "Standard", "tags": tags()
        }),
    ));
    out.push(Res::new(
        "azurerm_firewall",
        "hub",
        json!({
            "dns_proxy_enabled": null, "dns_servers": null, "firewall_policy_id": child,
            "id": net_id(rg, "azureFirewalls/afw-hub"),
            "ip_configuration": [{"name": "configuration", "private_ip_address": FW_IP,
                                  "public_ip_address_id": pip, "subnet_id": fw_subnet}],
            "location": "westeurope", "name": "afw-hub", "resource_group_name": rg,
            "sku_name": "AZFW_VNet", "sku_tier": "Standard", "tags": tags(),
            "threat_intel_mode": null, "virtual_hub": []
        }),
    ));
    for (key, id, name, parent) in [
        ("base", &base, "afwp-base", json!(null)),
        ("hub", &child, "afwp-hub", json!(base)),
    ] {
        out.push(Res::new(
            "azurerm_firewall_policy",
            key,
            json!({
                "base_policy_id": parent, "dns": [{"proxy_enabled": true, "servers": null}],
                "id": id, "location": "westeurope", "name": name, "resource_group_name": rg,
                "sku": "Standard", "tags": tags(), "threat_intelligence_mode": "Alert"
            }),
        ));
    }
    // IP groups: the AKS node subnets of the covered spokes, and filler groups.
    let covered = e.spokes - e.uncovered_spokes;
    let node_cidrs: Vec<String> = (1..=covered)
        .flat_map(|s| [spoke_subnet_cidr(s, 0), spoke_subnet_cidr(s, 1)])
        .collect();
    out.push(Res::new(
        "azurerm_ip_group",
        "aks_nodes",
        json!({
            "cidrs": node_cidrs, "id": net_id(rg, "ipGroups/ipg-aks-nodes"),
            "location": "westeurope", "name": "ipg-aks-nodes", "resource_group_name": rg
        }),
    ));
    for g in 0..e.ip_groups {
        let cidrs: Vec<String> = (0..4 + g % 8)
            .map(|k| format!("10.{}.{}.0/24", 200 + g % 50, (g * 8 + k) % 256))
            .collect();
        out.push(
            Res::new(
                "azurerm_ip_group",
                "filler",
                json!({
                    "cidrs": cidrs, "id": ip_group_id(g), "location": "westeurope",
                    "name": format!("ipg-{g:03}"), "resource_group_name": rg
                }),
            )
            .indexed(&format!("{g:03}")),
        );
    }
    // Parent policy: platform groups processed before every child group.
    let mut n = 0;
    for k in 0..4 {
        out.push(filler_group(
            e,
            &format!("rcg-platform-{k}"),
            &base,
            100 + k * 100,
            n,
        ));
        n += e.collections_per_group * e.rules_per_collection;
    }
    for k in 0..e.groups {
        let mut g = filler_group(e, &format!("rcg-app-{k:02}"), &child, 1000 + k * 100, n);
        n += e.collections_per_group * e.rules_per_collection;
        if k == 7 {
            // one misspelt FQDN tag (FWL003), in a rule no node subnet uses
            g.values["application_rule_collection"][0]["rule"][1] = json!({
                "description": null, "destination_addresses": null,
                "destination_fqdn_tags": ["AzureKubernetesSevice"], "destination_fqdns": null,
                "destination_urls": null, "http_headers": [], "name": "legacy-aks",
                "protocols": [{"port": 443, "type": "Https"}],
                "source_addresses": ["10.251.0.0/16"], "source_ip_groups": null,
                "terminate_tls": null, "web_categories": null
            });
        }
        out.push(g);
    }
    // The AKS egress rules, processed last.
    let nodes = json!([net_id(rg, "ipGroups/ipg-aks-nodes")]);
    let net = |name: &str, proto: &str, dst: &str, port: &str| {
        json!({
            "description": null, "destination_addresses": [dst], "destination_fqdns": null,
            "destination_ip_groups": null, "destination_ports": [port], "name": name,
            "protocols": [proto], "source_addresses": null, "source_ip_groups": nodes
        })
    };
    out.push(Res::new(
        "azurerm_firewall_policy_rule_collection_group",
        "aks",
        json!({
            "application_rule_collection": [{
                "action": "Allow", "name": "aks-fqdn-tag", "priority": 200,
                "rule": [{
                    "description": null, "destination_addresses": null,
                    "destination_fqdn_tags": ["AzureKubernetesService"],
                    "destination_fqdns": null, "destination_urls": null, "http_headers": [],
                    "name": "aks-service-tag",
                    "protocols": [{"port": 80, "type": "Http"}, {"port": 443, "type": "Https"}],
                    "source_addresses": null, "source_ip_groups": nodes,
                    "terminate_tls": null, "web_categories": null
                }, {
                    "description": null, "destination_addresses": null,
                    "destination_fqdn_tags": null,
                    "destination_fqdns": ["security.ubuntu.com", "azure.archive.ubuntu.com",
                                          "changelogs.ubuntu.com", "snapshot.ubuntu.com"],
                    "destination_urls": null, "http_headers": [], "name": "ubuntu-updates",
                    "protocols": [{"port": 80, "type": "Http"}, {"port": 443, "type": "Https"}],
                    "source_addresses": null, "source_ip_groups": nodes,
                    "terminate_tls": null, "web_categories": null
                }]
            }],
            "firewall_policy_id": child, "id": format!("{child}/ruleCollectionGroups/rcg-aks"),
            "name": "rcg-aks", "nat_rule_collection": [],
            "network_rule_collection": [{
                "action": "Allow", "name": "aks-network", "priority": 100,
                "rule": [
                    net("aks-tunnel-udp", "UDP", "AzureCloud.westeurope", "1194"),
                    net("aks-tunnel-tcp", "TCP", "AzureCloud.westeurope", "9000"),
                    net("ntp", "UDP", "*", "123"),
                    net("aks-apiserver-https", "TCP", "AzureCloud.westeurope", "443")
                ]
            }],
            "priority": 65000
        }),
    ));
    // An existing policy's refreshed state lists its rule collection groups: here all of them
    // are in the estate, so the rules are complete (else every verdict would be unknown).
    let groups: Vec<(String, String)> = out
        .iter()
        .filter(|r| r.rtype == "azurerm_firewall_policy_rule_collection_group")
        .filter_map(|r| {
            Some((
                r.values["firewall_policy_id"].as_str()?.to_string(),
                r.values["id"].as_str()?.to_string(),
            ))
        })
        .collect();
    for r in out
        .iter_mut()
        .filter(|r| r.rtype == "azurerm_firewall_policy")
    {
        let id = r.values["id"].as_str().unwrap_or_default().to_string();
        let ids: Vec<&String> = groups
            .iter()
            .filter(|(p, _)| *p == id)
            .map(|(_, g)| g)
            .collect();
        r.values["rule_collection_groups"] = json!(ids);
    }
}

/// The estate's resources.
fn estate(e: &Estate) -> Vec<Res> {
    let mut out = vec![];
    hub(e, &mut out);
    for s in 1..=e.spokes {
        spoke(e, s, &mut out);
    }
    out
}

/// `terraform show -json` of a plan that changes nothing (every resource `no-op`), on one line.
fn plan_json(resources: &[Res]) -> String {
    let mut changes = Vec::with_capacity(resources.len());
    let mut root = vec![];
    let mut modules: Vec<(String, Vec<Value>)> = vec![];
    for r in resources {
        let addr = r.address();
        let mut rc = json!({
            "address": addr, "mode": "managed", "type": r.rtype, "name": r.name,
            "provider_name": "registry.terraform.io/hashicorp/azurerm",
            "change": {
                "actions": ["no-op"], "before": r.values, "after": r.values,
                "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}
            }
        });
        let mut pv = json!({
            "address": addr, "mode": "managed", "type": r.rtype, "name": r.name,
            "provider_name": "registry.terraform.io/hashicorp/azurerm", "schema_version": 0,
            "values": r.values, "sensitive_values": {}
        });
        if let Some(k) = &r.index {
            rc["index"] = json!(k);
            pv["index"] = json!(k);
        }
        match &r.module {
            Some(m) => {
                rc["module_address"] = json!(m);
                match modules.iter_mut().find(|(a, _)| a == m) {
                    Some((_, list)) => list.push(pv),
                    None => modules.push((m.clone(), vec![pv])),
                }
            }
            None => root.push(pv),
        }
        changes.push(rc);
    }
    let child_modules: Vec<Value> = modules
        .into_iter()
        .map(|(a, rs)| json!({"address": a, "resources": rs}))
        .collect();
    let plan = json!({
        "format_version": "1.2", "terraform_version": "1.9.8",
        "planned_values": {"root_module": {"resources": root, "child_modules": child_modules}},
        "resource_changes": changes,
        "configuration": {"provider_config": {"azurerm": {"name": "azurerm"}}, "root_module": {}},
        "applyable": false, "complete": true, "errored": false
    });
    serde_json::to_string(&plan).unwrap_or_default()
}

// ------------------------------------------------------------------ helpers

fn load(name: &str, text: String) -> Model {
    let mut sources = SourceMap::new();
    let (_, mut model) = aks_preflight::input::load(&mut sources, name, text)
        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
    model.finish();
    model
}

fn check(model: &Model) -> aks_preflight::report::Report {
    let catalogue = Catalogue::builtin().expect("builtin catalogue");
    analysis::check(
        model,
        catalogue,
        &Config::default(),
        &CheckOptions::default(),
    )
}

const ESTATE: Estate = Estate {
    spokes: 50,
    nsg_rules: 200,
    separate_nsg_rules: false,
    groups: 40,
    collections_per_group: 10,
    rules_per_collection: 90,
    ip_groups: 200,
    uncovered_spokes: 2,
};

/// ~40,000 resources: 190 spokes whose 200 NSG rules are separate resources.
const LOADER_ESTATE: Estate = Estate {
    spokes: 190,
    nsg_rules: 200,
    separate_nsg_rules: true,
    groups: 4,
    collections_per_group: 4,
    rules_per_collection: 25,
    ip_groups: 20,
    uncovered_spokes: 0,
};

fn firewall_rules(m: &Model) -> usize {
    m.rule_collection_groups
        .iter()
        .flat_map(|g| &g.collections)
        .map(|c| c.rules.len())
        .sum()
}

/// The estate behaves as built: covered pools reach MCR through the firewall, the uncovered
/// spokes' pools are denied by it. (A benchmark of a broken model would measure nothing.)
fn sanity(model: &Model, report: &aks_preflight::report::Report) {
    assert_eq!(report.clusters.len(), ESTATE.spokes);
    for (i, c) in report.clusters.iter().enumerate() {
        let covered = i < ESTATE.spokes - ESTATE.uncovered_spokes;
        assert_eq!(c.node_pools.len(), 3, "{}", c.address);
        for p in &c.node_pools {
            let mcr = p
                .egress
                .iter()
                .find(|r| r.host == "mcr.microsoft.com")
                .expect("mcr requirement");
            let want = if covered {
                Verdict::Reachable
            } else {
                Verdict::Blocked
            };
            assert_eq!(
                mcr.verdict, want,
                "{} {}: {}",
                c.address, p.name, mcr.reason
            );
        }
    }
    // the uncovered spokes' nodes are not in the AKS rule's IP group: that rule is the cause
    assert!(report.findings.iter().any(|f| f.rule == "FWL005"));
    assert!(report.findings.iter().any(|f| f.rule == "FWL003"));
    assert!(firewall_rules(model) >= 20_000);
    assert_eq!(model.firewalls.len(), 1);
}

// ------------------------------------------------------------------ benchmarks

fn scenario(c: &mut Criterion) {
    // the largest bundled scenario
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/scenarios/hub-fw-deny-before-allow/plan.json"
    );
    let text = std::fs::read_to_string(path).expect("scenario plan");
    let mut g = c.benchmark_group("scenario");
    g.bench_function("hub-fw-deny-before-allow/load+check", |b| {
        b.iter_batched(
            || text.clone(),
            |t| {
                let m = load("plan.json", t);
                check(&m)
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn estate_benches(c: &mut Criterion) {
    let t0 = Instant::now();
    let text = plan_json(&estate(&ESTATE));
    let t1 = Instant::now();
    let model = load("estate.json", text.clone());
    let t2 = Instant::now();
    let report = check(&model);
    let t3 = Instant::now();
    sanity(&model, &report);
    eprintln!(
        "estate setup: generated in {:?}, loaded in {:?}, checked in {:?}",
        t1 - t0,
        t2 - t1,
        t3 - t2
    );
    let verdicts = |v: Verdict| {
        report
            .clusters
            .iter()
            .flat_map(|c| &c.node_pools)
            .flat_map(|p| &p.egress)
            .filter(|r| r.verdict == v)
            .count()
    };
    eprintln!(
        "estate: {} MB plan, {} clusters, {} node pools, {} NSG rules, {} firewall rules in {} rule collection groups, {} IP groups; {} reachable, {} blocked, {} unknown endpoint verdicts, {} findings",
        text.len() / 1_000_000,
        model.clusters.len(),
        model
            .clusters
            .iter()
            .map(|c| c.node_pools.len())
            .sum::<usize>(),
        model
            .nsgs
            .iter()
            .map(|n| n.rules.known().map_or(0, Vec::len))
            .sum::<usize>(),
        firewall_rules(&model),
        model.rule_collection_groups.len(),
        model.ip_groups.len(),
        verdicts(Verdict::Reachable),
        verdicts(Verdict::Blocked),
        verdicts(Verdict::Unknown),
        report.findings.len()
    );

    let mut g = c.benchmark_group("estate");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    // Every iteration checks a fresh copy of the model: derived data (prepared firewall rule
    // sets, per-destination matches, effective routes) is built inside the timing, as in one
    // CLI run. The copy is made outside it.
    g.bench_function("check", |b| {
        b.iter_batched_ref(|| model.clone(), |m| check(m), BatchSize::PerIteration)
    });
    g.bench_function("load", |b| {
        b.iter_batched(
            || text.clone(),
            |t| load("estate.json", t),
            BatchSize::PerIteration,
        )
    });
    let flow = Flow {
        source_prefixes: vec!["10.1.0.0/22".parse().expect("cidr")],
        destination: Destination::Host("mcr.microsoft.com".into()),
        destination_tags: vec![],
        protocol: Protocol::Tcp,
        port: 443,
        app_protocol: Some(AppProto::Https),
    };
    let fw = model
        .firewall(&Ref::key("azurerm_firewall.hub"))
        .expect("hub firewall");
    assert_eq!(
        firewall::evaluate(&model, fw, &flow).verdict,
        Verdict::Reachable
    );
    // one flow through a firewall seen for the first time: preparing its rule set and finding
    // the rules that can match the destination, then deciding
    g.bench_function("firewall_one_flow/cold", |b| {
        b.iter_batched_ref(
            || model.clone(),
            |m| firewall::evaluate(m, &m.firewalls[0], black_box(&flow)),
            BatchSize::PerIteration,
        )
    });
    // the same flow again (what every further node pool and subnet costs)
    g.bench_function("firewall_one_flow/prepared", |b| {
        b.iter(|| firewall::evaluate(black_box(&model), fw, black_box(&flow)))
    });
    g.finish();
}

fn loader(c: &mut Criterion) {
    let resources = estate(&LOADER_ESTATE);
    let n = resources.len();
    let text = plan_json(&resources);
    drop(resources);
    let t0 = Instant::now();
    let m = load("plan.json", text.clone());
    eprintln!("loader setup: loaded in {:?}", t0.elapsed());
    assert_eq!(m.clusters.len(), LOADER_ESTATE.spokes);
    eprintln!(
        "loader: {n} resources, {} MB single-line plan",
        text.len() / 1_000_000
    );
    let mut g = c.benchmark_group("loader");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(30));
    g.bench_function("40k_resources", |b| {
        b.iter_batched(
            || text.clone(),
            |t| load("plan.json", t),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, scenario, estate_benches, loader);
criterion_main!(benches);
