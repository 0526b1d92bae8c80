//! `azapi_resource` of the network types Azure Verified Modules create with the AzAPI provider
//! (`Azure/avm-res-network-virtualnetwork` makes its VNet, subnets and peerings so,
//! `…-routetable` its routes): the ARM `type`, `name`, `parent_id` and `body.properties` (REST
//! property names) are read into the same model elements as their azurerm counterparts, and a
//! reference to such a resource counts as a reference to that counterpart.
//!
//! A `body` written as a JSON string (AzAPI 1.x with `jsonencode`) is not read: the element's
//! properties are unknown, with that reason.

use super::super::Ctx;
use super::super::attach::Attached;
use super::super::instances::Instance;
use super::super::value::V;
use super::virtual_network::nets;
use super::{NAT_GATEWAY, NSG, ROUTE_TABLE, VNET};
use crate::model::{Known, NextHopType, Peering, Route, RoutePrefix, Subnet, VirtualNetwork};
use ipnet::IpNet;

/// The azurerm resource type an ARM resource type (`Microsoft.Network/virtualNetworks@2024-07-01`)
/// corresponds to, for the types read here.
pub(crate) fn equivalent(arm_type: &str) -> Option<&'static str> {
    let t = arm_type.split('@').next()?.trim().to_ascii_lowercase();
    Some(match t.as_str() {
        "microsoft.network/virtualnetworks" => "azurerm_virtual_network",
        "microsoft.network/virtualnetworks/subnets" => "azurerm_subnet",
        "microsoft.network/virtualnetworks/virtualnetworkpeerings" => {
            "azurerm_virtual_network_peering"
        }
        "microsoft.network/routetables/routes" => "azurerm_route",
        _ => return None,
    })
}

/// The type an instance counts as when a reference to it is followed: an `azapi_resource` of a
/// type read here counts as its azurerm counterpart.
pub(crate) fn effective_type<'x>(inst: &'x Instance<'_>) -> &'x str {
    if inst.rtype == "azapi_resource" {
        if let Some(t) = inst
            .values
            .and_then(|v| v.get("type"))
            .and_then(crate::input::tree::Node::as_str)
            .and_then(equivalent)
        {
            return t;
        }
    }
    &inst.rtype
}

/// Map an `azapi_resource` instance of a type read here (others are ignored).
pub(super) fn resource(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let Known::Known(t) = v.get("type").str() else {
        return;
    };
    let Some(kind) = equivalent(&t) else {
        return;
    };
    let body = v.get("body");
    let string_body = matches!(body.raw(), Some(crate::input::tree::Node::String(_)));
    let p = body.get("properties");
    let props = Props {
        p,
        why: string_body.then(|| {
            format!(
                "{}: `body` is a JSON string (AzAPI 1.x `jsonencode`), which aks-preflight does \
                 not read; write it as an HCL object (AzAPI 2.x)",
                v.addr
            )
        }),
    };
    match kind {
        "azurerm_virtual_network" => vnet(ctx, i, &v, &props),
        "azurerm_subnet" => subnet(ctx, i, &v, &props),
        "azurerm_virtual_network_peering" => peering(ctx, i, &v, &props),
        "azurerm_route" => route(ctx, i, &v, &props),
        _ => {}
    }
}

/// `body.properties`, or why it cannot be read.
struct Props<'b> {
    p: V<'b>,
    why: Option<String>,
}

impl<'b> Props<'b> {
    fn get(&self, key: &str) -> V<'b> {
        self.p.get(key)
    }
    /// A property read with `f`, unknown when the body is not read.
    fn read<T>(&self, f: impl FnOnce(&V<'b>) -> Known<T>, key: &str) -> Known<T> {
        match &self.why {
            Some(w) => Known::Unknown(w.clone()),
            None => f(&self.get(key)),
        }
    }
}

/// The resource group, when `parent_id` is a known id.
fn resource_group(v: &V<'_>) -> Known<String> {
    match v.get("parent_id").str() {
        Known::Known(p) => match crate::input::arm::resource_group_of(&p) {
            Some(g) => Known::Known(g.to_string()),
            None => Known::Absent,
        },
        Known::Unknown(r) => Known::Unknown(r),
        Known::Absent => Known::Absent,
    }
}

fn vnet(ctx: &mut Ctx<'_, '_>, i: usize, v: &V<'_>, p: &Props<'_>) {
    let mut meta = ctx.meta(i, v);
    meta.resource_group = resource_group(v);
    let origin = meta.origin.clone();
    let asp = p.get("addressSpace").get("addressPrefixes");
    let address_space = match &p.why {
        Some(w) => Known::Unknown(w.clone()),
        None => nets(&asp),
    };
    meta.set_field_origin("address_space", ctx.field_origin(&asp, &origin));
    let dv = p.get("dhcpOptions").get("dnsServers");
    let dns_servers = match &p.why {
        Some(w) => Known::Unknown(w.clone()),
        None if p.get("dhcpOptions").is_null() => Known::Absent,
        None => ctx.ip_list(i, &dv),
    };
    meta.set_field_origin("dns_servers", ctx.field_origin(&dv, &origin));
    ctx.model.vnets.push(VirtualNetwork {
        meta,
        address_space,
        dns_servers,
    });
}

/// `addressPrefixes`, or the single `addressPrefix`.
fn subnet_prefixes(p: &Props<'_>) -> Known<Vec<IpNet>> {
    if let Some(w) = &p.why {
        return Known::Unknown(w.clone());
    }
    match nets(&p.get("addressPrefixes")) {
        Known::Known(l) if !l.is_empty() => return Known::Known(l),
        Known::Unknown(r) => return Known::Unknown(r),
        _ => {}
    }
    let single = p.get("addressPrefix");
    match single.str() {
        Known::Known(s) => match s.trim().parse::<IpNet>() {
            Ok(n) => Known::Known(vec![n]),
            Err(_) => Known::Unknown(format!(
                "{}.{}: `{s}` is not a CIDR range",
                single.addr, single.path
            )),
        },
        Known::Unknown(r) => Known::Unknown(r),
        Known::Absent => Known::Absent,
    }
}

/// A sub-resource reference (`{ id = … }`, or `null` for none).
fn sub_ref(
    ctx: &mut Ctx<'_, '_>,
    i: usize,
    p: &Props<'_>,
    key: &str,
    want: &[&str],
) -> Known<crate::model::Ref> {
    if let Some(w) = &p.why {
        return Known::Unknown(w.clone());
    }
    let o = p.get(key);
    if o.is_null() {
        return Known::Absent;
    }
    ctx.ref_field(i, &o.get("id"), want)
}

/// The element's meta and its parent VNet (`parent_id`), whose origin is recorded as `field`.
fn child_of_vnet(
    ctx: &mut Ctx<'_, '_>,
    i: usize,
    v: &V<'_>,
    field: &'static str,
) -> (crate::model::Meta, Known<crate::model::Ref>) {
    let mut meta = ctx.meta(i, v);
    meta.resource_group = resource_group(v);
    let pv = v.get("parent_id");
    let vnet = ctx.ref_field(i, &pv, VNET);
    let o = ctx.field_origin(&pv, &meta.origin);
    meta.set_field_origin(field, o);
    (meta, vnet)
}

fn subnet(ctx: &mut Ctx<'_, '_>, i: usize, v: &V<'_>, p: &Props<'_>) {
    let (mut meta, vnet) = child_of_vnet(ctx, i, v, "vnet");
    let origin = meta.origin.clone();
    let prefixes = subnet_prefixes(p);
    let prefix_v = if p.get("addressPrefixes").exists() {
        p.get("addressPrefixes")
    } else {
        p.get("addressPrefix")
    };
    meta.set_field_origin("prefixes", ctx.field_origin(&prefix_v, &origin));
    let nsg = sub_ref(ctx, i, p, "networkSecurityGroup", NSG);
    meta.set_field_origin(
        "nsg",
        ctx.field_origin(&p.get("networkSecurityGroup"), &origin),
    );
    let route_table = sub_ref(ctx, i, p, "routeTable", ROUTE_TABLE);
    meta.set_field_origin(
        "route_table",
        ctx.field_origin(&p.get("routeTable"), &origin),
    );
    let nat_gateway = sub_ref(ctx, i, p, "natGateway", NAT_GATEWAY);
    meta.set_field_origin(
        "nat_gateway",
        ctx.field_origin(&p.get("natGateway"), &origin),
    );
    let default_outbound_access = p
        .read(V::bool, "defaultOutboundAccess")
        .or_default_value(true);
    let delegations = match &p.why {
        Some(_) => vec![],
        None => p
            .get("delegations")
            .items()
            .iter()
            .filter_map(|d| d.get("properties").get("serviceName").str().into_known())
            .collect(),
    };
    let private_endpoint_network_policies = p.read(V::str, "privateEndpointNetworkPolicies");
    ctx.model.subnets.push(Subnet {
        meta,
        vnet,
        prefixes,
        nsg,
        route_table,
        nat_gateway,
        default_outbound_access,
        delegations,
        private_endpoint_network_policies,
    });
}

fn peering(ctx: &mut Ctx<'_, '_>, i: usize, v: &V<'_>, p: &Props<'_>) {
    let (mut meta, local_vnet) = child_of_vnet(ctx, i, v, "local_vnet");
    let origin = meta.origin.clone();
    let remote_vnet = sub_ref(ctx, i, p, "remoteVirtualNetwork", VNET);
    meta.set_field_origin(
        "remote_vnet",
        ctx.field_origin(&p.get("remoteVirtualNetwork"), &origin),
    );
    let mut flag = |name: &'static str, prop: &str, default: bool| {
        let o = ctx.field_origin(&p.get(prop), &origin);
        meta.set_field_origin(name, o);
        p.read(V::bool, prop).or_default_value(default)
    };
    let allow_virtual_network_access = flag(
        "allow_virtual_network_access",
        "allowVirtualNetworkAccess",
        true,
    );
    let allow_forwarded_traffic = flag("allow_forwarded_traffic", "allowForwardedTraffic", false);
    let allow_gateway_transit = flag("allow_gateway_transit", "allowGatewayTransit", false);
    let use_remote_gateways = flag("use_remote_gateways", "useRemoteGateways", false);
    ctx.model.peerings.push(Peering {
        meta,
        local_vnet,
        remote_vnet,
        allow_virtual_network_access,
        allow_forwarded_traffic,
        allow_gateway_transit,
        use_remote_gateways,
        state: Known::Absent,
    });
}

fn route(ctx: &mut Ctx<'_, '_>, i: usize, v: &V<'_>, p: &Props<'_>) {
    let origin = ctx.origin(i);
    let pv = v.get("parent_id");
    let parent = ctx.ref_field(i, &pv, ROUTE_TABLE);
    let prefix = p
        .read(V::str, "addressPrefix")
        .map(|s| match s.trim().parse::<IpNet>() {
            Ok(n) => RoutePrefix::Cidr(n),
            Err(_) => RoutePrefix::Tag(s.trim().to_string()),
        });
    let next_hop_type = match p.read(V::str, "nextHopType") {
        Known::Known(s) => match NextHopType::parse(&s) {
            Some(t) => Known::Known(t),
            None => Known::Unknown(format!("{}: unrecognised nextHopType `{s}`", v.addr)),
        },
        Known::Unknown(x) => Known::Unknown(x),
        Known::Absent => Known::Absent,
    };
    let next_hop_ip = match &p.why {
        Some(_) => None,
        None => ctx.ip_value(i, &p.get("nextHopIpAddress")),
    };
    let route = Route {
        name: v.get("name").str(),
        origin: origin.clone(),
        prefix,
        next_hop_type,
        next_hop_ip,
    };
    ctx.pending.routes.push(Attached {
        parent,
        item: route,
        address: ctx.inst(i).address.to_string(),
        origin,
    });
}
