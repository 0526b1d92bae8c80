//! azurerm resource types -> model elements, one file per resource family. Attribute names of
//! provider generations 2.x/3.x (old names), 4.x and 5.x are all accepted. `azapi_resource`s of
//! the network types Azure Verified Modules create with AzAPI are read too ([`azapi`]).

mod associations;
pub(crate) mod azapi;
mod firewall;
mod identity;
mod kubernetes_cluster;
mod nat_gateway;
mod network_security_group;
mod private_dns;
mod route_table;
mod virtual_network;

use super::Ctx;
use super::value::V;
use crate::model::{AddressMatch, Known, PortRange};

// Element types an id attribute may designate (checked when a reference is followed).
pub(crate) const SUBNET: &[&str] = &["azurerm_subnet"];
pub(crate) const VNET: &[&str] = &["azurerm_virtual_network"];
pub(crate) const NSG: &[&str] = &["azurerm_network_security_group"];
pub(crate) const ROUTE_TABLE: &[&str] = &["azurerm_route_table"];
pub(crate) const NAT_GATEWAY: &[&str] = &["azurerm_nat_gateway"];
pub(crate) const PUBLIC_IP: &[&str] = &["azurerm_public_ip"];
pub(crate) const PUBLIC_IP_PREFIX: &[&str] = &["azurerm_public_ip_prefix"];
pub(crate) const FIREWALL_POLICY: &[&str] = &["azurerm_firewall_policy"];
pub(crate) const IP_GROUP: &[&str] = &["azurerm_ip_group"];
pub(crate) const PRIVATE_DNS_ZONE: &[&str] = &["azurerm_private_dns_zone"];
pub(crate) const CLUSTER: &[&str] = &["azurerm_kubernetes_cluster"];
pub(crate) const ASG: &[&str] = &["azurerm_application_security_group"];
pub(crate) const DNS_RESOLVER: &[&str] = &["azurerm_private_dns_resolver"];
pub(crate) const USER_IDENTITY: &[&str] = &["azurerm_user_assigned_identity"];

/// Map instance `i` by its resource type (managed resources and data sources alike; the data
/// sources we read expose the same attribute names). Other types are ignored.
pub(crate) fn map_instance(ctx: &mut Ctx<'_, '_>, i: usize) {
    let inst = ctx.inst(i);
    if inst.values.is_none() && inst.unknown.is_none() {
        return;
    }
    let data = inst.data;
    if inst.deleted {
        // gone after apply: it only takes away what it managed from its parent's echo
        if let Some(id) = inst
            .values
            .and_then(|v| v.get("id"))
            .and_then(crate::input::tree::Node::as_str)
        {
            ctx.pending.deleted_ids.push(id.to_ascii_lowercase());
        }
        match inst.rtype.as_str() {
            "azurerm_network_security_rule" if !data => {
                network_security_group::removed_rule(ctx, i)
            }
            "azurerm_route" if !data => route_table::removed_route(ctx, i),
            "azurerm_subnet" if !data => virtual_network::removed_subnet(ctx, i),
            "azurerm_subnet_network_security_group_association"
            | "azurerm_subnet_route_table_association"
            | "azurerm_subnet_nat_gateway_association" => {
                associations::removed_subnet_association(ctx, i)
            }
            _ => {}
        }
        return;
    }
    match inst.rtype.as_str() {
        "azurerm_kubernetes_cluster" if !data => kubernetes_cluster::cluster(ctx, i),
        "azurerm_kubernetes_cluster_node_pool" if !data => kubernetes_cluster::node_pool(ctx, i),
        "azurerm_virtual_network" => virtual_network::vnet(ctx, i),
        "azurerm_subnet" => virtual_network::subnet(ctx, i),
        "azurerm_virtual_network_dns_servers" => virtual_network::dns_servers(ctx, i),
        "azurerm_virtual_network_peering" => virtual_network::peering(ctx, i),
        "azurerm_subnet_network_security_group_association"
        | "azurerm_subnet_route_table_association"
        | "azurerm_subnet_nat_gateway_association" => associations::subnet_association(ctx, i),
        "azurerm_nat_gateway_public_ip_association"
        | "azurerm_nat_gateway_public_ip_prefix_association" => {
            associations::nat_gateway_association(ctx, i)
        }
        "azurerm_network_security_group" => network_security_group::nsg(ctx, i),
        "azurerm_network_security_rule" if !data => network_security_group::rule(ctx, i),
        "azurerm_route_table" => route_table::route_table(ctx, i),
        "azurerm_route" if !data => route_table::route(ctx, i),
        "azurerm_nat_gateway" => nat_gateway::nat_gateway(ctx, i),
        "azurerm_public_ip" => nat_gateway::public_ip(ctx, i),
        "azurerm_public_ip_prefix" => nat_gateway::public_ip_prefix(ctx, i),
        "azurerm_firewall" => firewall::firewall(ctx, i),
        "azurerm_firewall_policy" => firewall::policy(ctx, i),
        "azurerm_firewall_policy_rule_collection_group" if !data => {
            firewall::rule_collection_group(ctx, i)
        }
        "azurerm_firewall_application_rule_collection"
        | "azurerm_firewall_network_rule_collection"
        | "azurerm_firewall_nat_rule_collection"
            if !data =>
        {
            firewall::classic_collection(ctx, i)
        }
        "azurerm_ip_group" => firewall::ip_group(ctx, i),
        "azurerm_private_dns_zone" => private_dns::zone(ctx, i),
        "azurerm_private_dns_zone_virtual_network_link" => private_dns::zone_link(ctx, i),
        "azurerm_private_dns_resolver_inbound_endpoint" => private_dns::inbound_endpoint(ctx, i),
        "azurerm_user_assigned_identity" => identity::user_assigned_identity(ctx, i),
        "azurerm_role_assignment" if !data => identity::role_assignment(ctx, i),
        "azapi_resource" if !data => azapi::resource(ctx, i),
        "azurerm_kubernetes_automatic_cluster" if !data => {
            let origin = ctx.origin(i);
            let address = ctx.inst(i).address.clone();
            ctx.note(
                "INP036",
                format!(
                    "{address} is an AKS Automatic cluster, which aks-preflight does not read \
                     yet: its node pools are not checked"
                ),
                origin,
            );
        }
        _ => {}
    }
}

/// The name a planned update or replacement had before, when it differs from the new one
/// (a renamed NSG rule or route is replaced: the old one is gone after apply).
pub(crate) fn old_name(ctx: &Ctx<'_, '_>, i: usize, new: &Known<String>) -> Option<String> {
    let old = ctx.inst(i).before?.get("name")?.as_str()?;
    match new {
        Known::Known(n) if n.eq_ignore_ascii_case(old) => None,
        _ => Some(old.to_string()),
    }
}

/// Port ranges from the plural attribute when it has items, else the singular one
/// (`destination_port_ranges` / `destination_port_range`).
pub(crate) fn port_ranges(plural: &V<'_>, singular: &V<'_>) -> Known<Vec<PortRange>> {
    let texts = match plural.strings() {
        Known::Known(l) if !l.is_empty() => Known::Known(l),
        Known::Unknown(r) => Known::Unknown(r),
        _ => singular.str().map(|s| vec![s]),
    };
    match texts {
        Known::Known(l) => {
            let mut out = Vec::new();
            for t in l {
                // NSGs accept comma-free items only, but tolerate spaces
                match PortRange::parse(&t) {
                    Some(p) => out.push(p),
                    None => {
                        return Known::Unknown(format!(
                            "{}.{}: `{t}` is not a port or port range",
                            plural.addr, plural.path
                        ));
                    }
                }
            }
            Known::Known(out)
        }
        Known::Unknown(r) => Known::Unknown(r),
        Known::Absent => Known::Absent,
    }
}

/// Firewall rule ports (`"443"`, `"8000-8999"`, `"*"`); unparseable items are dropped with the
/// rest kept (the caller's element still shows them in its origin).
pub(crate) fn fw_ports(v: &V<'_>) -> Vec<PortRange> {
    v.strings()
        .into_known()
        .unwrap_or_default()
        .iter()
        .filter_map(|s| PortRange::parse(s))
        .collect()
}

/// Address items of a firewall rule; an unknown list becomes one `Unknown` item that says so
/// (it may match anything, and the reason travels with it).
pub(crate) fn fw_addresses(v: &V<'_>) -> Vec<AddressMatch> {
    match v.strings() {
        Known::Known(l) => l.iter().map(|s| AddressMatch::parse(s)).collect(),
        Known::Absent => vec![],
        Known::Unknown(r) => vec![AddressMatch::Unknown(r)],
    }
}

/// Strings of a list attribute; unknown gives none.
pub(crate) fn strings_or_empty(v: &V<'_>) -> Vec<String> {
    v.strings().into_known().unwrap_or_default()
}

/// The items of a block list that the provider computes when the configuration leaves it out
/// (`security_rule`, `route`, `subnet`): when the plan says "unknown" but the configuration sets
/// no such block, there are none (separate resources add theirs).
pub(crate) fn computed_blocks<'b>(v: &V<'b>) -> Known<Vec<V<'b>>> {
    match v.list() {
        Known::Unknown(_) if v.not_configured() => Known::Known(vec![]),
        Known::Absent => Known::Known(vec![]),
        other => other,
    }
}
