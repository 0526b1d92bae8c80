//! `azurerm_private_dns_zone`, `azurerm_private_dns_zone_virtual_network_link`,
//! `azurerm_private_dns_resolver_inbound_endpoint` (with its resolver's VNet).

use super::super::Ctx;
use super::{DNS_RESOLVER, PRIVATE_DNS_ZONE, SUBNET, VNET};
use crate::model::{DnsResolverInboundEndpoint, DnsZoneLink, Known, PrivateDnsZone, Ref};
use std::net::IpAddr;

const ZONE_TYPES: &[&str] = &["azurerm_private_dns_zone"];

pub(super) fn zone(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let meta = ctx.meta(i, &v);
    ctx.model.private_dns_zones.push(PrivateDnsZone { meta });
}

pub(super) fn zone_link(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let mut meta = ctx.meta(i, &v);
    let origin = meta.origin.clone();
    // 5.x: private_dns_zone_id; 4.x and before: private_dns_zone_name + resource_group_name
    let idv = v.get("private_dns_zone_id");
    let nv = v.get("private_dns_zone_name");
    let zone_name = nv.str();
    let zone = if !idv.is_null() {
        meta.set_field_origin("zone", ctx.field_origin(&idv, &origin));
        ctx.ref_field(i, &idv, PRIVATE_DNS_ZONE)
    } else {
        meta.set_field_origin("zone", ctx.field_origin(&nv, &origin));
        let rg = meta.resource_group.clone();
        ctx.name_ref(i, &nv, ZONE_TYPES, &rg)
    };
    let vv = v.get("virtual_network_id");
    let vnet = ctx.ref_field(i, &vv, VNET);
    meta.set_field_origin("vnet", ctx.field_origin(&vv, &origin));
    ctx.model.dns_zone_links.push(DnsZoneLink {
        meta,
        zone,
        zone_name,
        vnet,
        registration_enabled: v.get("registration_enabled").bool().or_default_value(false),
    });
}

pub(super) fn inbound_endpoint(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let mut meta = ctx.meta(i, &v);
    let origin = meta.origin.clone();
    let ipc = v.block("ip_configurations");
    let ipv = ipc.get("private_ip_address");
    let ip = match ipv.str() {
        Known::Known(s) => match s.parse::<IpAddr>() {
            Ok(ip) => Known::Known(ip),
            Err(_) => Known::Unknown(format!("{}: `{s}` is not an IP address", meta.key)),
        },
        other => other.map(|_| IpAddr::from([0, 0, 0, 0])),
    };
    meta.set_field_origin("ip", ctx.field_origin(&ipv, &origin));
    let sv = ipc.get("subnet_id");
    let subnet = ctx.ref_field(i, &sv, SUBNET);
    meta.set_field_origin("subnet", ctx.field_origin(&sv, &origin));

    // the VNet is the resolver's
    let rv = v.get("private_dns_resolver_id");
    let vnet = match ctx.ref_field(i, &rv, DNS_RESOLVER) {
        Known::Known(Ref::Key(addr)) => match ctx.res.by_address(&addr) {
            Some(ri) if ctx.inst(ri).rtype == "azurerm_private_dns_resolver" => {
                let rc = ctx.cursor(ri);
                let vn = rc.get("virtual_network_id");
                meta.set_field_origin("vnet", ctx.field_origin(&vn, &origin));
                ctx.ref_field(ri, &vn, VNET)
            }
            _ => Known::Unknown(format!(
                "{addr} is not a DNS private resolver in this input"
            )),
        },
        Known::Known(Ref::Id(id)) => Known::Unknown(format!(
            "DNS private resolver {id} is not in this input, so its virtual network is not known"
        )),
        Known::Unknown(r) => Known::Unknown(r),
        Known::Absent => Known::Absent,
    };
    ctx.model
        .dns_resolver_inbound_endpoints
        .push(DnsResolverInboundEndpoint {
            meta,
            vnet,
            subnet,
            ip,
        });
}
