//! Private DNS zones, their virtual network links, and DNS Private Resolver inbound endpoints.

use super::map::{Mapper, Res};
use super::network::ip;
use crate::model::{DnsResolverInboundEndpoint, DnsZoneLink, Known, PrivateDnsZone, Ref};

pub(crate) fn zone(m: &mut Mapper, r: &Res<'_>) {
    m.model.private_dns_zones.push(PrivateDnsZone {
        meta: r.meta.clone(),
    });
}

pub(crate) fn zone_link(m: &mut Mapper, r: &Res<'_>) {
    let n = &r.node;
    let mut meta = r.meta.clone();
    let origin = meta.origin.clone();
    meta.set_field_origin("zone", origin.clone());
    let parent = r.parent_id();
    let zone_name = match &parent {
        Some(p) => Known::Known(p.name().to_string()),
        None => Known::Absent,
    };
    let zone = match parent {
        Some(p) => Known::Known(Ref::Id(p)),
        None => Known::Unknown(format!(
            "the id of virtual network link {} is not known, so neither is its zone",
            meta.address()
        )),
    };
    let vv = n.prop("virtualNetwork");
    meta.set_field_origin("vnet", vv.origin_or(&origin));
    m.model.dns_zone_links.push(DnsZoneLink {
        meta,
        zone,
        zone_name,
        vnet: vv.id_ref(),
        registration_enabled: n.prop("registrationEnabled").bool().or_default_value(false),
    });
}

/// An inbound endpoint answers from its resolver's virtual network, which is the VNet of the
/// endpoint's subnet.
pub(crate) fn inbound_endpoint(m: &mut Mapper, r: &Res<'_>) {
    let n = &r.node;
    let mut meta = r.meta.clone();
    let origin = meta.origin.clone();
    let ipc = n.prop("ipConfigurations").items().into_iter().next();
    let (ip_v, subnet_v) = match &ipc {
        Some(c) => (c.get("privateIpAddress"), c.get("subnet")),
        None => (
            n.prop("ipConfigurations").get("privateIpAddress"),
            n.prop("ipConfigurations").get("subnet"),
        ),
    };
    meta.set_field_origin("ip", ip_v.origin_or(&origin));
    meta.set_field_origin("subnet", subnet_v.origin_or(&origin));
    meta.set_field_origin("vnet", subnet_v.origin_or(&origin));
    let subnet = subnet_v.id_ref();
    let vnet = match &subnet {
        Known::Known(Ref::Id(id)) => match id.parent() {
            Some(v) => Known::Known(Ref::Id(v)),
            None => Known::Unknown(format!("{id} is not a subnet id")),
        },
        Known::Known(Ref::Key(k)) => Known::Unknown(format!("{k} is not a subnet id")),
        Known::Unknown(x) => Known::Unknown(x.clone()),
        Known::Absent => Known::Absent,
    };
    let address = match ip(&ip_v) {
        Known::Absent if ipc.is_some() => Known::Unknown(format!(
            "inbound endpoint {}: the address is allocated when it is deployed",
            meta.address()
        )),
        other => other,
    };
    m.model
        .dns_resolver_inbound_endpoints
        .push(DnsResolverInboundEndpoint {
            meta,
            vnet,
            subnet,
            ip: address,
        });
}
