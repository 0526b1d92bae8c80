//! `azurerm_virtual_network` (with inline subnets), `azurerm_subnet`,
//! `azurerm_virtual_network_dns_servers` and `azurerm_virtual_network_peering`.

use super::super::Ctx;
use super::super::attach::{Attached, Removed, SubnetField};
use super::super::value::V;
use super::{NSG, ROUTE_TABLE, VNET, computed_blocks};
use crate::model::{Known, Meta, Peering, Ref, ResourceId, Subnet, VirtualNetwork};
use ipnet::IpNet;

pub(super) fn nets(v: &V<'_>) -> Known<Vec<IpNet>> {
    match v.strings() {
        Known::Known(l) => {
            let mut out = Vec::new();
            for s in l {
                match s.trim().parse::<IpNet>() {
                    Ok(n) => out.push(n),
                    Err(_) => {
                        return Known::Unknown(format!(
                            "{}.{}: `{s}` is not a CIDR range",
                            v.addr, v.path
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

/// `address_prefixes`, or the single `address_prefix` of old provider versions.
fn prefixes(v: &V<'_>) -> Known<Vec<IpNet>> {
    let plural = nets(&v.get("address_prefixes"));
    match plural {
        Known::Known(l) if !l.is_empty() => Known::Known(l),
        other => {
            let single = v.get("address_prefix");
            match (other, single.str()) {
                (_, Known::Known(s)) => match s.trim().parse::<IpNet>() {
                    Ok(n) => Known::Known(vec![n]),
                    Err(_) => Known::Unknown(format!(
                        "{}.{}: `{s}` is not a CIDR range",
                        single.addr, single.path
                    )),
                },
                (Known::Unknown(r), _) => Known::Unknown(r),
                (Known::Known(l), _) => Known::Known(l),
                (Known::Absent, Known::Unknown(r)) => Known::Unknown(r),
                (Known::Absent, Known::Absent) => Known::Absent,
            }
        }
    }
}

fn delegations(v: &V<'_>) -> Vec<String> {
    v.get("delegation")
        .items()
        .iter()
        .filter_map(|d| d.block("service_delegation").get("name").str().into_known())
        .collect()
}

/// `private_endpoint_network_policies` (4.x+: `Disabled`/`Enabled`/...), the 3.x boolean
/// `private_endpoint_network_policies_enabled`, or the 2.x inverted
/// `enforce_private_link_endpoint_network_policies` (true = policies disabled).
fn pe_policies(v: &V<'_>) -> Known<String> {
    let s = v.get("private_endpoint_network_policies").str();
    if !s.is_absent() {
        return s;
    }
    let en = |b: bool| if b { "Enabled" } else { "Disabled" }.to_string();
    match v.get("private_endpoint_network_policies_enabled").bool() {
        Known::Known(b) => return Known::Known(en(b)),
        Known::Unknown(r) => return Known::Unknown(r),
        Known::Absent => {}
    }
    v.get("enforce_private_link_endpoint_network_policies")
        .bool()
        .map(|b| en(!b))
}

pub(super) fn vnet(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let mut meta = ctx.meta(i, &v);
    let origin = meta.origin.clone();
    let asp = v.get("address_space");
    let address_space = nets(&asp);
    meta.set_field_origin("address_space", ctx.field_origin(&asp, &origin));
    let dv = v.get("dns_servers");
    let dns_servers = if dv.is_unknown() && dv.not_configured() {
        Known::Absent
    } else {
        ctx.ip_list(i, &dv)
    };
    meta.set_field_origin("dns_servers", ctx.field_origin(&dv, &origin));

    // inline subnets (the data source lists only names, under `subnets`)
    if !ctx.inst(i).data {
        let sv = v.get("subnet");
        // written in the configuration, or a computed echo of the refreshed subnets
        let configured = sv.expr().is_some();
        match computed_blocks(&sv) {
            Known::Known(items) => {
                for it in items {
                    let key = inline_subnet(ctx, i, &meta, &it);
                    ctx.pending.inline_subnets.push((key, configured));
                }
            }
            Known::Unknown(r) => ctx.note(
                "INP001",
                format!(
                    "{}: the inline subnets are known only after apply ({r})",
                    meta.key
                ),
                ctx.field_origin(&sv, &origin),
            ),
            Known::Absent => {}
        }
    }
    if ctx.inst(i).data {
        data_source_peerings(ctx, &mut meta, &v);
    }
    ctx.model.vnets.push(VirtualNetwork {
        meta,
        address_space,
        dns_servers,
    });
}

/// The VNet data source lists every peering of the VNet (`vnet_peerings`: name -> remote VNet
/// id) as read at plan time, without their settings: each becomes a peering whose settings are
/// unknown, and the VNet lists all its peerings (a missing one does not exist).
fn data_source_peerings(ctx: &mut Ctx<'_, '_>, meta: &mut Meta, v: &V<'_>) {
    let pv = v.get("vnet_peerings");
    let Some(crate::input::tree::Node::Object(map)) = pv.raw().filter(|_| !pv.is_unknown()) else {
        return;
    };
    meta.lists_all_children = true;
    // an object's members are in key order
    for (name, remote) in map.iter() {
        let Some(remote) = remote.as_str() else {
            continue;
        };
        let key = format!("{}/peering/{name}", meta.key);
        let mut pm = Meta::new(key.clone(), pv.get(name).origin().with_address(key.clone()));
        // the peering's own id, so that a read of the existing peering (ARM, live) replaces it
        pm.id = meta
            .id
            .as_ref()
            .map(|v| ResourceId::new(format!("{v}/virtualNetworkPeerings/{name}")));
        pm.name = Known::Known(name.to_string());
        pm.lifecycle = meta.lifecycle;
        let why = || {
            Known::Unknown(format!(
                "the settings of peering {name} of {} are not in the input (the data source lists \
                 only its remote VNet)",
                meta.address()
            ))
        };
        ctx.pending.listed_peerings.push(key.clone());
        ctx.model.peerings.push(Peering {
            meta: pm,
            local_vnet: Known::Known(Ref::Key(meta.key.clone())),
            remote_vnet: Known::Known(ctx.id_ref(remote)),
            allow_virtual_network_access: why(),
            allow_forwarded_traffic: why(),
            allow_gateway_transit: why(),
            use_remote_gateways: why(),
            state: Known::Absent,
        });
    }
}

/// One subnet of a VNet's own `subnet` list; returns its key.
fn inline_subnet(ctx: &mut Ctx<'_, '_>, i: usize, vnet: &Meta, s: &V<'_>) -> String {
    let name = s.get("name").str();
    let key = match &name {
        Known::Known(n) => format!("{}/subnet/{n}", vnet.key),
        _ => format!("{}/subnet/{}", vnet.key, s.path),
    };
    let origin = s.origin().with_address(key.clone());
    let mut meta = Meta::new(key.clone(), origin.clone());
    meta.id = s
        .get("id")
        .str()
        .into_known()
        .filter(|x| ResourceId::looks_like_id(x))
        .map(ResourceId::new);
    meta.name = name;
    meta.resource_group = vnet.resource_group.clone();
    meta.location = vnet.location.clone();
    meta.lifecycle = vnet.lifecycle;
    let nsg_v = s.get("security_group");
    let nsg = ctx.ref_field(i, &nsg_v, NSG);
    meta.set_field_origin("nsg", ctx.field_origin(&nsg_v, &origin));
    let rt_v = s.get("route_table_id");
    let route_table = ctx.ref_field(i, &rt_v, ROUTE_TABLE);
    meta.set_field_origin("route_table", ctx.field_origin(&rt_v, &origin));
    ctx.model.subnets.push(Subnet {
        meta,
        vnet: Known::Known(Ref::Key(vnet.key.clone())),
        prefixes: prefixes(s),
        nsg,
        route_table,
        nat_gateway: Known::Absent,
        default_outbound_access: s
            .get("default_outbound_access_enabled")
            .bool()
            .or_default_value(true),
        delegations: delegations(s),
        private_endpoint_network_policies: pe_policies(s),
    });
    key
}

/// A subnet association set through a write-only attribute (`network_security_group_id_wo`) is
/// not visible in plans.
fn write_only(v: &V<'_>, attr: &str) -> Option<String> {
    let ver = v.get(&format!("{attr}_wo_version"));
    let wo = v.get(&format!("{attr}_wo"));
    if (!ver.is_null() && ver.exists()) || wo.expr().is_some() {
        Some(format!(
            "{}.{attr}_wo is write-only: its value is not in the plan",
            v.addr
        ))
    } else {
        None
    }
}

/// The VNet of a subnet resource: a known subnet id names it; otherwise the name (by
/// reference, or joined).
fn subnet_vnet(ctx: &mut Ctx<'_, '_>, i: usize, v: &V<'_>, meta: &Meta) -> Known<Ref> {
    match meta.id.as_ref().and_then(ResourceId::parent) {
        Some(p) => Known::Known(ctx.id_ref(p.as_str())),
        None => ctx.name_ref(
            i,
            &v.get("virtual_network_name"),
            VNET,
            &meta.resource_group,
        ),
    }
}

/// A subnet resource the plan deletes: it leaves its VNet's echo.
pub(super) fn removed_subnet(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let meta = ctx.meta(i, &v);
    if let Known::Known(name) = meta.name.clone() {
        let vnet = subnet_vnet(ctx, i, &v, &meta);
        ctx.pending.removed.push(Removed::Subnet {
            vnet,
            name,
            id: meta.id,
        });
    }
}

pub(super) fn subnet(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let mut meta = ctx.meta(i, &v);
    let origin = meta.origin.clone();
    let vn = v.get("virtual_network_name");
    let vnet = subnet_vnet(ctx, i, &v, &meta);
    meta.set_field_origin("vnet", ctx.field_origin(&vn, &origin));
    let pv = v.get("address_prefixes");
    meta.set_field_origin("prefixes", ctx.field_origin(&pv, &origin));

    // the data source exposes the associations; the resource has them in association resources
    let nsg_v = v.get("network_security_group_id");
    let nsg = match write_only(&v, "network_security_group_id") {
        Some(r) => Known::Unknown(r),
        None => ctx.ref_field(i, &nsg_v, NSG),
    };
    meta.set_field_origin("nsg", ctx.field_origin(&nsg_v, &origin));
    let rt_v = v.get("route_table_id");
    let route_table = match write_only(&v, "route_table_id") {
        Some(r) => Known::Unknown(r),
        None => ctx.ref_field(i, &rt_v, ROUTE_TABLE),
    };
    meta.set_field_origin("route_table", ctx.field_origin(&rt_v, &origin));
    // The resource (azurerm 2.x-4.x) has no association attributes: for a subnet that exists
    // already, what is associated is stated elsewhere or not at all in this input.
    if !ctx.inst(i).data && !meta.lists_all_children {
        for (field, attr, what) in [
            (SubnetField::Nsg, &nsg_v, "NSG"),
            (SubnetField::RouteTable, &rt_v, "route table"),
        ] {
            if !attr.exists() {
                ctx.pending.unstated.push((
                    meta.key.clone(),
                    field,
                    format!(
                        "subnet {} exists already and no input states its {what} association \
                         (no association resource, no refreshed subnet list of its VNet); one \
                         managed by another configuration may exist",
                        meta.key
                    ),
                ));
            }
        }
    }

    ctx.model.subnets.push(Subnet {
        meta,
        vnet,
        prefixes: prefixes(&v),
        nsg,
        route_table,
        nat_gateway: Known::Absent,
        default_outbound_access: v
            .get("default_outbound_access_enabled")
            .bool()
            .or_default_value(true),
        delegations: delegations(&v),
        private_endpoint_network_policies: pe_policies(&v),
    });
}

pub(super) fn dns_servers(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let origin = ctx.origin(i);
    let vid = v.get("virtual_network_id");
    let vnet = ctx.ref_field(i, &vid, VNET);
    let dv = v.get("dns_servers");
    let servers = ctx.ip_list(i, &dv);
    let item = match servers {
        Known::Absent => Known::Known(vec![]),
        other => other,
    };
    ctx.pending.vnet_dns.push(Attached {
        parent: vnet,
        item,
        address: ctx.inst(i).address.to_string(),
        origin: ctx.field_origin(&dv, &origin),
    });
}

pub(super) fn peering(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let mut meta = ctx.meta(i, &v);
    let origin = meta.origin.clone();
    let vn = v.get("virtual_network_name");
    let local_vnet = ctx.name_ref(i, &vn, VNET, &meta.resource_group);
    meta.set_field_origin("local_vnet", ctx.field_origin(&vn, &origin));
    let rv = v.get("remote_virtual_network_id");
    let remote_vnet = ctx.ref_field(i, &rv, VNET);
    meta.set_field_origin("remote_vnet", ctx.field_origin(&rv, &origin));
    for f in [
        "allow_virtual_network_access",
        "allow_forwarded_traffic",
        "allow_gateway_transit",
        "use_remote_gateways",
    ] {
        let o = ctx.field_origin(&v.get(f), &origin);
        meta.set_field_origin(f, o);
    }
    ctx.model.peerings.push(Peering {
        meta,
        local_vnet,
        remote_vnet,
        allow_virtual_network_access: v
            .get("allow_virtual_network_access")
            .bool()
            .or_default_value(true),
        allow_forwarded_traffic: v
            .get("allow_forwarded_traffic")
            .bool()
            .or_default_value(false),
        allow_gateway_transit: v
            .get("allow_gateway_transit")
            .bool()
            .or_default_value(false),
        use_remote_gateways: v.get("use_remote_gateways").bool().or_default_value(false),
        state: Known::Absent,
    });
}
