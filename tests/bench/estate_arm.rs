//! The estate of `estate.rs` as ARM resources: one REST list page, `{"value": [...]}`, each
//! resource in the shape a REST GET returns it (`id`, `type`, `name`, `location`, `properties`
//! with REST names), read by `aks-preflight check` with the ARM reader. Written by
//! `gen_estate SCALE OUT --format arm`.
//!
//! The conversion reads the azurerm after-values of [`estate::resources`]: VNets carry their
//! subnets (with their NSG and route table) and their peerings inline, as a VNet GET does;
//! NSGs their rules (inline or separate); clusters their node pools as `agentPoolProfiles`;
//! firewall policies list their rule collection groups by id, so the rule set is complete.
//! The separate `azurerm_subnet`, association and peering resources of the plan are covered
//! by their VNet and are not written again.

#![allow(dead_code)] // each user of this module uses part of it

use super::estate::Res;
use serde_json::{Map, Value, json};
use std::io::{self, Write};

/// `{"id": id}`, the REST shape of a reference to another resource.
fn id_obj(id: &str) -> Value {
    json!({ "id": id })
}

/// A string attribute, `None` when null or empty.
fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v[key].as_str().filter(|s| !s.is_empty())
}

/// A list attribute (null: empty).
fn list(v: &Value, key: &str) -> Vec<Value> {
    v[key].as_array().cloned().unwrap_or_default()
}

/// The REST resource type of an id: `Microsoft.Network/virtualNetworks` of
/// `…/providers/Microsoft.Network/virtualNetworks/v`.
fn type_of_id(id: &str) -> String {
    let at = id.rfind("/providers/").expect("a resource id") + "/providers/".len();
    let segs: Vec<&str> = id[at..].split('/').collect();
    let types: Vec<&str> = segs[1..].iter().step_by(2).copied().collect();
    format!("{}/{}", segs[0], types.join("/"))
}

/// A top-level resource: identity from the azurerm values, then `properties`.
fn resource(v: &Value, properties: Value) -> Value {
    let id = v["id"].as_str().expect("every estate resource has an id");
    let mut r = Map::new();
    r.insert("id".into(), json!(id));
    r.insert("name".into(), v["name"].clone());
    r.insert("type".into(), json!(type_of_id(id)));
    if let Some(l) = text(v, "location") {
        r.insert("location".into(), json!(l));
    }
    if v["tags"].is_object() {
        r.insert("tags".into(), v["tags"].clone());
    }
    r.insert("properties".into(), properties);
    Value::Object(r)
}

/// A child sub-resource written inline in its parent (a subnet, a rule, a route, a peering).
fn inline(id: &str, name: &Value, properties: Value) -> Value {
    json!({ "id": id, "name": name, "type": type_of_id(id), "properties": properties })
}

fn subnet(s: &Value) -> Value {
    let mut p = json!({
        "addressPrefixes": s["address_prefixes"],
        "defaultOutboundAccess": s["default_outbound_access_enabled"],
        "privateEndpointNetworkPolicies": s["private_endpoint_network_policies"],
        "privateLinkServiceNetworkPolicies": "Enabled",
        "provisioningState": "Succeeded"
    });
    if let Some(nsg) = text(s, "security_group") {
        p["networkSecurityGroup"] = id_obj(nsg);
    }
    if let Some(rt) = text(s, "route_table_id") {
        p["routeTable"] = id_obj(rt);
    }
    inline(s["id"].as_str().unwrap_or_default(), &s["name"], p)
}

fn peering(p: &Value) -> Value {
    inline(
        p["id"].as_str().unwrap_or_default(),
        &p["name"],
        json!({
            "allowVirtualNetworkAccess": p["allow_virtual_network_access"],
            "allowForwardedTraffic": p["allow_forwarded_traffic"],
            "allowGatewayTransit": p["allow_gateway_transit"],
            "useRemoteGateways": p["use_remote_gateways"],
            "remoteVirtualNetwork": id_obj(p["remote_virtual_network_id"].as_str().unwrap_or_default()),
            "peeringState": "Connected",
            "peeringSyncLevel": "FullyInSync",
            "provisioningState": "Succeeded"
        }),
    )
}

/// A VNet with its subnets (from its refreshed `subnet` list, which carries the associations)
/// and the peerings whose ids are under it.
fn vnet(v: &Value, peerings: &[&Value]) -> Value {
    let id = v["id"].as_str().unwrap_or_default();
    let under = format!("{id}/virtualNetworkPeerings/");
    let mine: Vec<Value> = peerings
        .iter()
        .filter(|p| p["id"].as_str().is_some_and(|i| i.starts_with(&under)))
        .map(|p| peering(p))
        .collect();
    resource(
        v,
        json!({
            "addressSpace": {"addressPrefixes": v["address_space"]},
            "dhcpOptions": {"dnsServers": list(v, "dns_servers")},
            "subnets": list(v, "subnet").iter().map(subnet).collect::<Vec<_>>(),
            "virtualNetworkPeerings": mine,
            "enableDdosProtection": false,
            "provisioningState": "Succeeded"
        }),
    )
}

/// The REST properties of an NSG rule from its azurerm values: plural lists only when they
/// have items (as Azure returns them).
fn security_rule(nsg_id: &str, r: &Value) -> Value {
    let mut p = Map::new();
    for (tf, rest) in [
        ("access", "access"),
        ("direction", "direction"),
        ("protocol", "protocol"),
        ("priority", "priority"),
        ("description", "description"),
    ] {
        p.insert(rest.into(), r[tf].clone());
    }
    for side in ["source", "destination"] {
        let single = format!("{side}_address_prefix");
        let plural = format!("{side}_address_prefixes");
        if let Some(s) = text(r, &single) {
            p.insert(format!("{side}AddressPrefix"), json!(s));
        }
        let l = list(r, &plural);
        if !l.is_empty() {
            p.insert(format!("{side}AddressPrefixes"), json!(l));
        }
        if let Some(s) = text(r, &format!("{side}_port_range")) {
            p.insert(format!("{side}PortRange"), json!(s));
        }
        let l = list(r, &format!("{side}_port_ranges"));
        if !l.is_empty() {
            p.insert(format!("{side}PortRanges"), json!(l));
        }
    }
    p.insert("provisioningState".into(), json!("Succeeded"));
    let name = r["name"].as_str().unwrap_or_default();
    inline(
        &format!("{nsg_id}/securityRules/{name}"),
        &r["name"],
        Value::Object(p),
    )
}

fn nsg(v: &Value, separate: &[&Value]) -> Value {
    let id = v["id"].as_str().unwrap_or_default();
    let under = format!("{id}/securityRules/");
    let rules: Vec<Value> = list(v, "security_rule")
        .iter()
        .chain(
            separate
                .iter()
                .copied()
                .filter(|r| r["id"].as_str().is_some_and(|i| i.starts_with(&under))),
        )
        .map(|r| security_rule(id, r))
        .collect();
    resource(
        v,
        json!({"securityRules": rules, "provisioningState": "Succeeded"}),
    )
}

fn route_table(v: &Value) -> Value {
    let id = v["id"].as_str().unwrap_or_default();
    let routes: Vec<Value> = list(v, "route")
        .iter()
        .map(|r| {
            let mut p = json!({
                "addressPrefix": r["address_prefix"],
                "nextHopType": r["next_hop_type"],
                "provisioningState": "Succeeded"
            });
            if let Some(ip) = text(r, "next_hop_in_ip_address") {
                p["nextHopIpAddress"] = json!(ip);
            }
            let name = r["name"].as_str().unwrap_or_default();
            inline(&format!("{id}/routes/{name}"), &r["name"], p)
        })
        .collect();
    resource(
        v,
        json!({
            "routes": routes,
            "disableBgpRoutePropagation": !v["bgp_route_propagation_enabled"].as_bool().unwrap_or(true),
            "provisioningState": "Succeeded"
        }),
    )
}

fn public_ip(v: &Value) -> Value {
    let mut r = resource(
        v,
        json!({
            "ipAddress": v["ip_address"],
            "publicIPAllocationMethod": v["allocation_method"],
            "publicIPAddressVersion": v["ip_version"],
            "provisioningState": "Succeeded"
        }),
    );
    r["sku"] = json!({"name": v["sku"], "tier": "Regional"});
    r
}

fn firewall(v: &Value) -> Value {
    let id = v["id"].as_str().unwrap_or_default();
    let ipcs: Vec<Value> = list(v, "ip_configuration")
        .iter()
        .map(|c| {
            let name = c["name"].as_str().unwrap_or_default();
            let mut p = json!({
                "privateIPAddress": c["private_ip_address"],
                "subnet": id_obj(c["subnet_id"].as_str().unwrap_or_default()),
                "provisioningState": "Succeeded"
            });
            if let Some(pip) = text(c, "public_ip_address_id") {
                p["publicIPAddress"] = id_obj(pip);
            }
            inline(
                &format!("{id}/azureFirewallIpConfigurations/{name}"),
                &c["name"],
                p,
            )
        })
        .collect();
    let mut p = json!({
        "ipConfigurations": ipcs,
        "sku": {"name": v["sku_name"], "tier": v["sku_tier"]},
        "provisioningState": "Succeeded"
    });
    if let Some(pol) = text(v, "firewall_policy_id") {
        p["firewallPolicy"] = id_obj(pol);
    }
    if let Some(t) = text(v, "threat_intel_mode") {
        p["threatIntelMode"] = json!(t);
    }
    resource(v, p)
}

fn firewall_policy(v: &Value) -> Value {
    let mut p = json!({
        "sku": {"tier": v["sku"]},
        "threatIntelMode": v["threat_intelligence_mode"],
        "ruleCollectionGroups": list(v, "rule_collection_groups")
            .iter()
            .map(|g| id_obj(g.as_str().unwrap_or_default()))
            .collect::<Vec<_>>(),
        "provisioningState": "Succeeded"
    });
    if let Some(b) = text(v, "base_policy_id") {
        p["basePolicy"] = id_obj(b);
    }
    if let Some(d) = v["dns"].as_array().and_then(|d| d.first()) {
        let mut dns = json!({"enableProxy": d["proxy_enabled"].as_bool().unwrap_or(false)});
        let servers = list(d, "servers");
        if !servers.is_empty() {
            dns["servers"] = json!(servers);
        }
        p["dnsSettings"] = dns;
    }
    resource(v, p)
}

/// Copy the non-empty lists of `keys` (azurerm name → REST name) into `p`.
fn lists_into(p: &mut Map<String, Value>, r: &Value, keys: &[(&str, &str)]) {
    for (tf, rest) in keys {
        let l = list(r, tf);
        if !l.is_empty() {
            p.insert((*rest).into(), json!(l));
        }
    }
}

fn application_rule(r: &Value) -> Value {
    let mut p = Map::new();
    p.insert("ruleType".into(), json!("ApplicationRule"));
    p.insert("name".into(), r["name"].clone());
    let protocols: Vec<Value> = list(r, "protocols")
        .iter()
        .map(|x| json!({"protocolType": x["type"], "port": x["port"]}))
        .collect();
    p.insert("protocols".into(), json!(protocols));
    lists_into(
        &mut p,
        r,
        &[
            ("source_addresses", "sourceAddresses"),
            ("source_ip_groups", "sourceIpGroups"),
            ("destination_fqdns", "targetFqdns"),
            ("destination_fqdn_tags", "fqdnTags"),
            ("destination_addresses", "destinationAddresses"),
            ("destination_urls", "targetUrls"),
            ("web_categories", "webCategories"),
        ],
    );
    if r["terminate_tls"].as_bool() == Some(true) {
        p.insert("terminateTLS".into(), json!(true));
    }
    Value::Object(p)
}

fn network_rule(r: &Value) -> Value {
    let mut p = Map::new();
    p.insert("ruleType".into(), json!("NetworkRule"));
    p.insert("name".into(), r["name"].clone());
    lists_into(
        &mut p,
        r,
        &[
            ("protocols", "ipProtocols"),
            ("source_addresses", "sourceAddresses"),
            ("source_ip_groups", "sourceIpGroups"),
            ("destination_addresses", "destinationAddresses"),
            ("destination_ip_groups", "destinationIpGroups"),
            ("destination_fqdns", "destinationFqdns"),
            ("destination_ports", "destinationPorts"),
        ],
    );
    Value::Object(p)
}

fn rule_collection_group(v: &Value) -> Value {
    let mut collections = vec![];
    for (key, rule) in [
        (
            "application_rule_collection",
            application_rule as fn(&Value) -> Value,
        ),
        ("network_rule_collection", network_rule),
    ] {
        for c in list(v, key) {
            collections.push(json!({
                "ruleCollectionType": "FirewallPolicyFilterRuleCollection",
                "name": c["name"],
                "priority": c["priority"],
                "action": {"type": c["action"]},
                "rules": list(&c, "rule").iter().map(rule).collect::<Vec<_>>()
            }));
        }
    }
    // no `location` or `tags`: a child resource
    json!({
        "id": v["id"], "name": v["name"], "type": type_of_id(v["id"].as_str().unwrap_or_default()),
        "properties": {"priority": v["priority"], "ruleCollections": collections,
                       "provisioningState": "Succeeded"}
    })
}

fn ip_group(v: &Value) -> Value {
    resource(
        v,
        json!({"ipAddresses": v["cidrs"], "provisioningState": "Succeeded"}),
    )
}

/// An agent pool profile from a default node pool or a separate node pool's values.
fn pool_profile(p: &Value, mode: &str) -> Value {
    let mut out = json!({
        "name": p["name"],
        "mode": mode,
        "type": "VirtualMachineScaleSets",
        "vmSize": p["vm_size"],
        "osType": p["os_type"].as_str().unwrap_or("Linux"),
        "enableAutoScaling": p["auto_scaling_enabled"],
        "minCount": p["min_count"],
        "maxCount": p["max_count"],
        "count": p["min_count"],
        "availabilityZones": p["zones"],
        "enableNodePublicIP": p["node_public_ip_enabled"],
        "vnetSubnetID": p["vnet_subnet_id"],
        "provisioningState": "Succeeded"
    });
    if let Some(sku) = text(p, "os_sku") {
        out["osSKU"] = json!(sku);
    }
    out
}

fn cluster(v: &Value, pools: &[&Value]) -> Value {
    let id = v["id"].as_str().unwrap_or_default();
    let mut profiles = vec![];
    if let Some(d) = v["default_node_pool"].as_array().and_then(|d| d.first()) {
        profiles.push(pool_profile(d, "System"));
    }
    for p in pools
        .iter()
        .filter(|p| p["kubernetes_cluster_id"].as_str() == Some(id))
    {
        profiles.push(pool_profile(p, p["mode"].as_str().unwrap_or("User")));
    }
    let np = v["network_profile"]
        .as_array()
        .and_then(|n| n.first())
        .cloned()
        .unwrap_or(Value::Null);
    let mut network = Map::new();
    for (tf, rest) in [
        ("network_plugin", "networkPlugin"),
        ("network_plugin_mode", "networkPluginMode"),
        ("network_data_plane", "networkDataplane"),
        ("network_policy", "networkPolicy"),
        ("outbound_type", "outboundType"),
        ("pod_cidr", "podCidr"),
        ("service_cidr", "serviceCidr"),
        ("dns_service_ip", "dnsServiceIP"),
        ("load_balancer_sku", "loadBalancerSku"),
    ] {
        if let Some(s) = text(&np, tf) {
            network.insert(rest.into(), json!(s));
        }
    }
    let mut r = resource(
        v,
        json!({
            "kubernetesVersion": v["kubernetes_version"],
            "dnsPrefix": v["dns_prefix"],
            "agentPoolProfiles": profiles,
            "networkProfile": network,
            "apiServerAccessProfile": {
                "enablePrivateCluster": v["private_cluster_enabled"].as_bool().unwrap_or(false)
            },
            "addonProfiles": {
                "azurepolicy": {"enabled": v["azure_policy_enabled"].as_bool().unwrap_or(false)}
            },
            "enableRBAC": true,
            "provisioningState": "Succeeded"
        }),
    );
    r["type"] = json!("Microsoft.ContainerService/managedClusters");
    r["identity"] = json!({"type": "SystemAssigned"});
    r["sku"] = json!({"name": "Base", "tier": v["sku_tier"]});
    r
}

/// The estate's ARM resources in the order of the plan's resources.
pub fn arm_resources(resources: &[Res]) -> Vec<Value> {
    let of = |t: &str| -> Vec<&Value> {
        resources
            .iter()
            .filter(|r| r.rtype == t)
            .map(|r| &r.values)
            .collect()
    };
    let peerings = of("azurerm_virtual_network_peering");
    let rules = of("azurerm_network_security_rule");
    let pools = of("azurerm_kubernetes_cluster_node_pool");
    let mut out = vec![];
    for r in resources {
        let v = &r.values;
        let arm = match r.rtype {
            "azurerm_virtual_network" => vnet(v, &peerings),
            "azurerm_network_security_group" => nsg(v, &rules),
            "azurerm_route_table" => route_table(v),
            "azurerm_public_ip" => public_ip(v),
            "azurerm_firewall" => firewall(v),
            "azurerm_firewall_policy" => firewall_policy(v),
            "azurerm_firewall_policy_rule_collection_group" => rule_collection_group(v),
            "azurerm_ip_group" => ip_group(v),
            "azurerm_kubernetes_cluster" => cluster(v, &pools),
            // inline in their VNet, NSG or cluster
            "azurerm_subnet"
            | "azurerm_subnet_network_security_group_association"
            | "azurerm_subnet_route_table_association"
            | "azurerm_virtual_network_peering"
            | "azurerm_network_security_rule"
            | "azurerm_kubernetes_cluster_node_pool" => continue,
            other => panic!("estate_arm: no ARM form for {other}"),
        };
        out.push(arm);
    }
    out
}

/// Write the estate as one REST list page, `{"value": [...]}`, one resource per line.
pub fn write_arm(resources: &[Res], mut out: impl Write) -> io::Result<()> {
    out.write_all(b"{\"value\": [\n")?;
    for (k, r) in arm_resources(resources).iter().enumerate() {
        if k > 0 {
            out.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut out, r)?;
    }
    out.write_all(b"\n]}\n")?;
    out.flush()
}
