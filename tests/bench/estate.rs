//! A synthetic hub-and-spoke estate as `terraform show -json` plan JSON, written by the
//! generator example (`examples/gen_estate.rs`, `cargo run --release --example gen_estate --
//! SCALE OUT`) for `bench/compare.sh`, and generated in memory by the criterion benchmarks of
//! `tests/bench/check.rs` (scale 0.1 unless `AKS_PREFLIGHT_BENCH_SCALE` says otherwise). The
//! same resources are written as ARM resources by `estate_arm.rs` (`--format arm`) and as a
//! Terraform configuration by `estate_hcl.rs` (`--format hcl`); `tests/estate_forms.rs` checks
//! that every form gives the plan's verdicts.
//!
//! At scale 1.0: one hub with an Azure Firewall whose policy (and its parent policy) hold 20,000
//! rules in 20 rule collection groups, 200 IP groups; 50 spokes, each a VNet with two AKS
//! clusters of three node pools (100 clusters, 300 pools), one NSG of 200 rules per cluster
//! (100 NSGs, 20,000 rules), a route table to the firewall, peerings both ways, the firewall as
//! DNS server; a `configuration` section with the expressions of the hub and of the spoke
//! module. About 55 MB on one line, as Terraform writes it. Other scales multiply the spokes,
//! the firewall rules and the IP groups.
//!
//! Two variants: [`Mix::Mixed`] (a tenth of the spokes are left out of the firewall's AKS rule,
//! so their pools are denied by the firewall, and a tenth have an NSG rule denying outbound 443
//! to the Internet, so their pools are blocked at the first hop) and [`Mix::MostlyAllowed`]
//! (one spoke left out of the firewall's rule, every other path evaluated to the end).

#![allow(dead_code)] // each user of this module uses part of it

use serde_json::{Value, json};
use std::io::{self, Write};

const SUB: &str = "00000000-0000-0000-0000-000000000000";
pub const FW_IP: &str = "10.0.1.4";

fn net_id(rg: &str, path: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Network/{path}")
}

/// How much of the estate's traffic is allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mix {
    /// A tenth of the spokes denied by the firewall, a tenth blocked by their NSGs.
    Mixed,
    /// One spoke denied by the firewall; every other path is allowed end to end.
    MostlyAllowed,
}

/// Shape of a generated estate.
#[derive(Clone, Copy, Debug)]
pub struct Estate {
    pub spokes: usize,
    /// AKS clusters per spoke, each with its own two node subnets and NSG.
    pub clusters_per_spoke: usize,
    pub nsg_rules: usize,
    /// NSG rules as separate `azurerm_network_security_rule` resources instead of inline.
    pub separate_nsg_rules: bool,
    /// Rule collection groups of the child policy (the parent policy adds 4 more).
    pub groups: usize,
    pub collections_per_group: usize,
    pub rules_per_collection: usize,
    pub ip_groups: usize,
    /// The last spokes are left out of the AKS allow rules (their pools are denied by the
    /// firewall: FWL001/FWL005 and the counterfactual root-cause search run).
    pub uncovered_spokes: usize,
    /// The first spokes' NSGs deny outbound 443 to the Internet (blocked at the first hop).
    pub nsg_denied_spokes: usize,
}

impl Estate {
    /// The estate at `scale` (1.0: 50 spokes, 100 clusters, 100 NSGs × 200 rules, 20,000
    /// firewall rules, 200 IP groups, ≈55 MB).
    pub fn at_scale(scale: f64, mix: Mix) -> Estate {
        let n = |x: f64| (x * scale).round().max(1.0) as usize;
        let spokes = n(50.0).clamp(2, 390);
        let (uncovered, denied) = match mix {
            Mix::Mixed => {
                let tenth = (spokes / 10).max(1);
                (tenth, tenth.min(spokes - tenth - 1))
            }
            Mix::MostlyAllowed => (1, 0),
        };
        Estate {
            spokes,
            clusters_per_spoke: 2,
            nsg_rules: 200,
            separate_nsg_rules: false,
            groups: 16,
            collections_per_group: 10,
            // 20 groups × 10 collections
            rules_per_collection: n(100.0),
            ip_groups: n(200.0).max(8),
            uncovered_spokes: uncovered,
            nsg_denied_spokes: denied,
        }
    }

    pub fn clusters(&self) -> usize {
        self.spokes * self.clusters_per_spoke
    }

    pub fn firewall_rules(&self) -> usize {
        (self.groups + 4) * self.collections_per_group * self.rules_per_collection
    }

    /// Whether spoke `s` (1-based) is covered by the firewall's AKS rules and not blocked by its
    /// NSG: its pools reach MCR.
    pub fn spoke_reaches_mcr(&self, s: usize) -> bool {
        s > self.nsg_denied_spokes && s <= self.spokes - self.uncovered_spokes
    }

    /// Whether spoke `s`'s NSGs deny outbound 443 to the Internet.
    pub fn spoke_nsg_denied(&self, s: usize) -> bool {
        s <= self.nsg_denied_spokes
    }
}

/// One resource instance: address parts and its after-state.
pub struct Res {
    pub module: Option<String>,
    pub rtype: &'static str,
    pub name: String,
    pub index: Option<String>,
    pub values: Value,
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
    pub fn address(&self) -> String {
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

/// Octets for spoke `s` (1-based): VNet 10.a.b.0/18.
fn spoke_octets(s: usize) -> (usize, usize) {
    (1 + (s - 1) / 4, ((s - 1) % 4) * 64)
}
fn spoke_vnet_cidr(s: usize) -> String {
    let (a, b) = spoke_octets(s);
    format!("10.{a}.{b}.0/18")
}
/// Node subnet `k` of the spoke: /22 each from the start of the spoke's /18 (up to 16).
pub fn spoke_subnet_cidr(s: usize, k: usize) -> String {
    let (a, b) = spoke_octets(s);
    format!("10.{a}.{}.0/22", b + 4 * k)
}

/// A subnet as a VNet's refreshed `subnet` list shows it (`""`: no association).
fn echoed_subnet(name: &str, id: &str, prefix: &str, nsg: &str, rt: &str) -> Value {
    json!({
        "address_prefixes": [prefix], "default_outbound_access_enabled": false, "delegation": [],
        "id": id, "name": name, "private_endpoint_network_policies": "Disabled",
        "private_link_service_network_policies_enabled": true, "route_table_id": rt,
        "security_group": nsg, "service_endpoint_policy_ids": [], "service_endpoints": []
    })
}

/// Cluster keys within a spoke (`for_each` keys of the spoke module's cluster resources).
fn cluster_key(c: usize) -> String {
    ((b'a' + (c % 26) as u8) as char).to_string()
}

fn security_rule(s: usize, j: usize, deny_443: bool) -> Value {
    if deny_443 && j == 0 {
        // a hardening rule that also blocks node provisioning
        return json!({
            "access": "Deny", "description": "block web egress",
            "destination_address_prefix": "Internet", "destination_address_prefixes": [],
            "destination_application_security_group_ids": [],
            "destination_port_range": "443", "destination_port_ranges": [],
            "direction": "Outbound", "name": "deny-internet-443", "priority": 100,
            "protocol": "Tcp", "source_address_prefix": "*", "source_address_prefixes": [],
            "source_application_security_group_ids": [], "source_port_range": "*",
            "source_port_ranges": []
        });
    }
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
        "priority": 110 + j * 10,
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
    let rt_name = format!("rt-spoke-{s:03}");
    let rt_id = net_id(&rg, &format!("routeTables/{rt_name}"));
    let loc = "westeurope";
    // the refreshed state of an existing VNet lists its subnets with their associations
    let echoes: Vec<Value> = (0..e.clusters_per_spoke)
        .flat_map(|c| {
            let key = cluster_key(c);
            let nsg_id = net_id(
                &rg,
                &format!("networkSecurityGroups/nsg-spoke-{s:03}-{key}"),
            );
            let (vnet_id, rt_id) = (&vnet_id, &rt_id);
            ["nodes", "user"]
                .into_iter()
                .enumerate()
                .map(move |(k, role)| {
                    let name = format!("snet-aks-{key}-{role}");
                    echoed_subnet(
                        &name,
                        &format!("{vnet_id}/subnets/{name}"),
                        &spoke_subnet_cidr(s, 2 * c + k),
                        &nsg_id,
                        rt_id,
                    )
                })
        })
        .collect();
    out.push(
        Res::new(
            "azurerm_virtual_network",
            "this",
            json!({
                "address_space": [spoke_vnet_cidr(s)], "bgp_community": null,
                "ddos_protection_plan": [], "dns_servers": [FW_IP], "edge_zone": null,
                "encryption": [], "flow_timeout_in_minutes": null, "id": vnet_id,
                "location": loc, "name": vnet_name, "resource_group_name": rg,
                "subnet": echoes, "tags": tags()
            }),
        )
        .in_module(&m),
    );
    let mut all_subnets = vec![];
    for c in 0..e.clusters_per_spoke {
        let key = cluster_key(c);
        let nsg_name = format!("nsg-spoke-{s:03}-{key}");
        let nsg_id = net_id(&rg, &format!("networkSecurityGroups/{nsg_name}"));
        let mut subnet_ids = vec![];
        for (k, role) in ["nodes", "user"].iter().enumerate() {
            let name = format!("snet-aks-{key}-{role}");
            let id = format!("{vnet_id}/subnets/{name}");
            subnet_ids.push(id.clone());
            let res_key = format!("{key}-{role}");
            out.push(
                Res::new(
                    "azurerm_subnet",
                    "aks",
                    json!({
                        "address_prefixes": [spoke_subnet_cidr(s, 2 * c + k)],
                        "default_outbound_access_enabled": false, "delegation": [], "id": id,
                        "name": name, "private_endpoint_network_policies": "Disabled",
                        "private_link_service_network_policies_enabled": true,
                        "resource_group_name": rg, "service_endpoint_policy_ids": null,
                        "service_endpoints": null, "virtual_network_name": vnet_name
                    }),
                )
                .in_module(&m)
                .indexed(&res_key),
            );
            out.push(
                Res::new(
                    "azurerm_subnet_network_security_group_association",
                    "aks",
                    json!({"id": id, "network_security_group_id": nsg_id, "subnet_id": id}),
                )
                .in_module(&m)
                .indexed(&res_key),
            );
            out.push(
                Res::new(
                    "azurerm_subnet_route_table_association",
                    "aks",
                    json!({"id": id, "route_table_id": rt_id, "subnet_id": id}),
                )
                .in_module(&m)
                .indexed(&res_key),
            );
        }
        all_subnets.extend(subnet_ids.iter().cloned());
        let deny = e.spoke_nsg_denied(s);
        let inline: Vec<Value> = if e.separate_nsg_rules {
            vec![]
        } else {
            (0..e.nsg_rules)
                .map(|j| security_rule(s, j, deny))
                .collect()
        };
        out.push(
            Res::new(
                "azurerm_network_security_group",
                "aks",
                json!({
                    "id": nsg_id, "location": loc, "name": nsg_name, "resource_group_name": rg,
                    "security_rule": inline, "tags": tags()
                }),
            )
            .in_module(&m)
            .indexed(&key),
        );
        if e.separate_nsg_rules {
            for j in 0..e.nsg_rules {
                let mut r = security_rule(s, j, deny);
                let name = r["name"].as_str().unwrap_or_default().to_string();
                r["id"] = json!(format!("{nsg_id}/securityRules/{name}"));
                r["network_security_group_name"] = json!(nsg_name);
                r["resource_group_name"] = json!(rg);
                out.push(
                    Res::new("azurerm_network_security_rule", "rules", r)
                        .in_module(&m)
                        .indexed(&format!("{key}-{name}")),
                );
            }
        }
        cluster(s, &key, &rg, &subnet_ids, &m, out);
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
                "subnets": all_subnets, "tags": tags()
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
}

/// One AKS cluster of a spoke: a system pool on the first subnet, two user pools.
fn cluster(s: usize, key: &str, rg: &str, subnet_ids: &[String], m: &str, out: &mut Vec<Res>) {
    let loc = "westeurope";
    let aks_name = format!("aks-spoke-{s:03}-{key}");
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
        .in_module(m)
        .indexed(key),
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
            .in_module(m)
            .indexed(&format!("{key}-{pool}")),
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
            "subnet": [echoed_subnet("AzureFirewallSubnet", &fw_subnet, "10.0.1.0/26", "", "")],
            "tags": tags()
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
        .flat_map(|s| (0..2 * e.clusters_per_spoke).map(move |k| spoke_subnet_cidr(s, k)))
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
            g.values["application_rule_collection"][0]["rule"][0] = json!({
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
pub fn resources(e: &Estate) -> Vec<Res> {
    let mut out = vec![];
    hub(e, &mut out);
    for s in 1..=e.spokes {
        spoke(e, s, &mut out);
    }
    out
}

/// A configuration expression referencing `refs` (Terraform lists the attribute and the
/// resource both).
fn refs(r: &[&str]) -> Value {
    json!({ "references": r })
}

fn constant(v: Value) -> Value {
    json!({ "constant_value": v })
}

/// The plan's `configuration`: the hub's resource blocks in the root module and the spoke
/// module called with `for_each` (NSG rules and firewall rules come from `dynamic` blocks,
/// which plan JSON does not show).
fn configuration(resources: &[Res]) -> Value {
    let block = |r: &Res, expressions: Value| {
        json!({
            "address": format!("{}.{}", r.rtype, r.name), "mode": "managed", "type": r.rtype,
            "name": r.name, "provider_config_key": "azurerm", "expressions": expressions,
            "schema_version": 0
        })
    };
    let mut root = vec![];
    let mut seen = std::collections::HashSet::new();
    for r in resources.iter().filter(|r| r.module.is_none()) {
        if !seen.insert((r.rtype, r.name.clone())) {
            continue;
        }
        let mut ex = json!({
            "name": constant(r.values["name"].clone()),
            "resource_group_name": constant(json!("rg-hub")),
        });
        if r.values.get("location").is_some() {
            ex["location"] = constant(json!("westeurope"));
        }
        if r.rtype == "azurerm_firewall_policy_rule_collection_group" {
            let policy = if r.name.starts_with("rcg_platform") {
                "base"
            } else {
                "hub"
            };
            let a = format!("azurerm_firewall_policy.{policy}.id");
            let b = format!("azurerm_firewall_policy.{policy}");
            ex = json!({"name": constant(r.values["name"].clone()),
                        "firewall_policy_id": refs(&[&a, &b]),
                        "priority": constant(r.values["priority"].clone())});
        }
        if r.rtype == "azurerm_firewall" {
            ex["firewall_policy_id"] = refs(&[
                "azurerm_firewall_policy.hub.id",
                "azurerm_firewall_policy.hub",
            ]);
            ex["ip_configuration"] = json!([{
                "name": constant(json!("configuration")),
                "subnet_id": refs(&["azurerm_subnet.firewall.id", "azurerm_subnet.firewall"]),
                "public_ip_address_id": refs(&["azurerm_public_ip.fw.id", "azurerm_public_ip.fw"])
            }]);
        }
        root.push(block(r, ex));
    }
    let var = |n: &str| refs(&[&format!("var.{n}")]);
    let spoke_blocks = vec![
        json!({"address": "azurerm_virtual_network.this", "mode": "managed",
               "type": "azurerm_virtual_network", "name": "this", "provider_config_key": "azurerm",
               "expressions": {"name": var("vnet_name"), "address_space": var("address_space"),
                               "dns_servers": refs(&["var.firewall_ip"]),
                               "location": var("location"),
                               "resource_group_name": var("resource_group_name")},
               "schema_version": 0}),
        json!({"address": "azurerm_subnet.aks", "mode": "managed", "type": "azurerm_subnet",
               "name": "aks", "provider_config_key": "azurerm",
               "for_each_expression": refs(&["local.subnets"]),
               "expressions": {"name": refs(&["each.value.name", "each.value"]),
                               "address_prefixes": refs(&["each.value.prefix", "each.value"]),
                               "virtual_network_name": refs(&["azurerm_virtual_network.this.name",
                                                              "azurerm_virtual_network.this"]),
                               "resource_group_name": var("resource_group_name")},
               "schema_version": 0}),
        json!({"address": "azurerm_subnet_network_security_group_association.aks",
               "mode": "managed", "type": "azurerm_subnet_network_security_group_association",
               "name": "aks", "provider_config_key": "azurerm",
               "for_each_expression": refs(&["local.subnets"]),
               "expressions": {"subnet_id": refs(&["azurerm_subnet.aks", "each.key"]),
                               "network_security_group_id": refs(&["azurerm_network_security_group.aks",
                                                                   "each.value.cluster"])},
               "schema_version": 0}),
        json!({"address": "azurerm_subnet_route_table_association.aks", "mode": "managed",
               "type": "azurerm_subnet_route_table_association", "name": "aks",
               "provider_config_key": "azurerm", "for_each_expression": refs(&["local.subnets"]),
               "expressions": {"subnet_id": refs(&["azurerm_subnet.aks", "each.key"]),
                               "route_table_id": refs(&["azurerm_route_table.this.id",
                                                        "azurerm_route_table.this"])},
               "schema_version": 0}),
        json!({"address": "azurerm_network_security_group.aks", "mode": "managed",
               "type": "azurerm_network_security_group", "name": "aks",
               "provider_config_key": "azurerm", "for_each_expression": var("clusters"),
               "expressions": {"name": refs(&["each.key"]), "location": var("location"),
                               "resource_group_name": var("resource_group_name")},
               "schema_version": 0}),
        json!({"address": "azurerm_route_table.this", "mode": "managed",
               "type": "azurerm_route_table", "name": "this", "provider_config_key": "azurerm",
               "expressions": {"name": var("route_table_name"),
                               "bgp_route_propagation_enabled": constant(json!(false)),
                               "route": [{"name": constant(json!("default-to-firewall")),
                                          "address_prefix": constant(json!("0.0.0.0/0")),
                                          "next_hop_type": constant(json!("VirtualAppliance")),
                                          "next_hop_in_ip_address": var("firewall_ip")}]},
               "schema_version": 0}),
        json!({"address": "azurerm_virtual_network_peering.to_hub", "mode": "managed",
               "type": "azurerm_virtual_network_peering", "name": "to_hub",
               "provider_config_key": "azurerm",
               "expressions": {"name": constant(json!("to-hub")),
                               "remote_virtual_network_id": var("hub_vnet_id"),
                               "virtual_network_name": refs(&["azurerm_virtual_network.this.name",
                                                              "azurerm_virtual_network.this"])},
               "schema_version": 0}),
        json!({"address": "azurerm_virtual_network_peering.from_hub", "mode": "managed",
               "type": "azurerm_virtual_network_peering", "name": "from_hub",
               "provider_config_key": "azurerm",
               "expressions": {"remote_virtual_network_id": refs(&["azurerm_virtual_network.this.id",
                                                                   "azurerm_virtual_network.this"]),
                               "virtual_network_name": constant(json!("vnet-hub"))},
               "schema_version": 0}),
        json!({"address": "azurerm_kubernetes_cluster.this", "mode": "managed",
               "type": "azurerm_kubernetes_cluster", "name": "this",
               "provider_config_key": "azurerm", "for_each_expression": var("clusters"),
               "expressions": {"name": refs(&["each.key"]),
                               "default_node_pool": [{"name": constant(json!("system")),
                                                      "vnet_subnet_id": refs(&["azurerm_subnet.aks",
                                                                               "each.key"])}],
                               "network_profile": [{"network_plugin": constant(json!("azure")),
                                                    "outbound_type": constant(json!("userDefinedRouting"))}]},
               "schema_version": 0}),
        json!({"address": "azurerm_kubernetes_cluster_node_pool.user", "mode": "managed",
               "type": "azurerm_kubernetes_cluster_node_pool", "name": "user",
               "provider_config_key": "azurerm", "for_each_expression": refs(&["local.pools"]),
               "expressions": {"name": refs(&["each.value.name", "each.value"]),
                               "kubernetes_cluster_id": refs(&["azurerm_kubernetes_cluster.this",
                                                               "each.value.cluster"]),
                               "vnet_subnet_id": refs(&["azurerm_subnet.aks", "each.value.subnet"])},
               "schema_version": 0}),
    ];
    let variables: serde_json::Map<String, Value> = [
        "vnet_name",
        "address_space",
        "firewall_ip",
        "location",
        "resource_group_name",
        "clusters",
        "route_table_name",
        "hub_vnet_id",
    ]
    .iter()
    .map(|v| ((*v).to_string(), json!({})))
    .collect();
    json!({
        "provider_config": {"azurerm": {"name": "azurerm", "full_name": "registry.terraform.io/hashicorp/azurerm",
                                        "version_constraint": "~> 4.14"}},
        "root_module": {
            "resources": root,
            "module_calls": {"spoke": {
                "source": "./modules/spoke",
                "expressions": {"firewall_ip": refs(&["azurerm_firewall.hub.ip_configuration[0].private_ip_address",
                                                      "azurerm_firewall.hub.ip_configuration[0]",
                                                      "azurerm_firewall.hub.ip_configuration",
                                                      "azurerm_firewall.hub"]),
                                "hub_vnet_id": refs(&["azurerm_virtual_network.hub.id",
                                                      "azurerm_virtual_network.hub"])},
                "for_each_expression": refs(&["local.spokes"]),
                "module": {"resources": spoke_blocks, "variables": variables}
            }}
        }
    })
}

/// Write `terraform show -json` of a plan that changes nothing (every resource `no-op`), on
/// one line, as Terraform writes it: `planned_values`, `resource_changes` (before and after),
/// `configuration`.
pub fn write_plan(resources: &[Res], mut out: impl Write) -> io::Result<()> {
    let pv = |r: &Res| {
        let mut v = json!({
            "address": r.address(), "mode": "managed", "type": r.rtype, "name": r.name,
            "provider_name": "registry.terraform.io/hashicorp/azurerm", "schema_version": 0,
            "values": r.values, "sensitive_values": {}
        });
        if let Some(k) = &r.index {
            v["index"] = json!(k);
        }
        v
    };
    let mut modules: Vec<&str> = vec![];
    for r in resources {
        if let Some(m) = &r.module {
            if modules.last() != Some(&m.as_str()) && !modules.contains(&m.as_str()) {
                modules.push(m);
            }
        }
    }
    out.write_all(br#"{"format_version":"1.2","terraform_version":"1.9.8","planned_values":{"root_module":{"resources":["#)?;
    let mut first = true;
    for r in resources.iter().filter(|r| r.module.is_none()) {
        if !first {
            out.write_all(b",")?;
        }
        first = false;
        serde_json::to_writer(&mut out, &pv(r))?;
    }
    out.write_all(br#"],"child_modules":["#)?;
    for (k, m) in modules.iter().enumerate() {
        if k > 0 {
            out.write_all(b",")?;
        }
        write!(out, "{{\"address\":{},\"resources\":[", json!(m))?;
        let mut first = true;
        for r in resources.iter().filter(|r| r.module.as_deref() == Some(*m)) {
            if !first {
                out.write_all(b",")?;
            }
            first = false;
            serde_json::to_writer(&mut out, &pv(r))?;
        }
        out.write_all(b"]}")?;
    }
    out.write_all(br#"]}},"resource_changes":["#)?;
    for (k, r) in resources.iter().enumerate() {
        if k > 0 {
            out.write_all(b",")?;
        }
        let mut rc = json!({
            "address": r.address(), "mode": "managed", "type": r.rtype, "name": r.name,
            "provider_name": "registry.terraform.io/hashicorp/azurerm",
            "change": {
                "actions": ["no-op"], "before": r.values, "after": r.values,
                "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}
            }
        });
        if let Some(m) = &r.module {
            rc["module_address"] = json!(m);
        }
        if let Some(i) = &r.index {
            rc["index"] = json!(i);
        }
        serde_json::to_writer(&mut out, &rc)?;
    }
    out.write_all(br#"],"configuration":"#)?;
    serde_json::to_writer(&mut out, &configuration(resources))?;
    out.write_all(br#","applyable":false,"complete":true,"errored":false}"#)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// [`write_plan`] into a string.
pub fn plan_json(resources: &[Res]) -> String {
    let mut buf = Vec::new();
    write_plan(resources, &mut buf).expect("writing to memory");
    String::from_utf8(buf).expect("serde_json writes UTF-8")
}
