//! `Microsoft.Network`: virtual networks (inline subnets and peerings), subnets, peerings,
//! network security groups and their rules, route tables and routes, NAT gateways, public IPs
//! and prefixes.

use super::map::{Child, Mapper, Res};
use super::node::Node;
use crate::model::{
    Access, AddressMatch, Direction, IpValue, Known, Meta, NatGateway, NextHopType, Nsg,
    NsgProtocol, Peering, PortRange, PublicIp, PublicIpPrefix, Ref, Route, RoutePrefix, RouteTable,
    SecurityRule, Subnet, VirtualNetwork,
};
use ipnet::IpNet;
use std::net::IpAddr;

/// A CIDR, or a bare address as a host prefix.
pub(crate) fn parse_net(s: &str) -> Option<IpNet> {
    let t = s.trim();
    t.parse::<IpNet>()
        .ok()
        .or_else(|| t.parse::<IpAddr>().ok().map(IpNet::from))
}

fn nets(n: &Node<'_>) -> Known<Vec<IpNet>> {
    match n.strings() {
        Known::Known(l) => {
            let mut out = vec![];
            for s in l {
                match parse_net(&s) {
                    Some(x) => out.push(x),
                    None => {
                        return Known::Unknown(format!("{}: `{s}` is not a CIDR range", n.label()));
                    }
                }
            }
            Known::Known(out)
        }
        Known::Unknown(r) => Known::Unknown(r),
        Known::Absent => Known::Absent,
    }
}

pub(crate) fn ip(n: &Node<'_>) -> Known<IpAddr> {
    match n.str() {
        Known::Known(s) => match s.trim().parse::<IpAddr>() {
            Ok(ip) => Known::Known(ip),
            Err(_) => Known::Unknown(format!("{}: `{s}` is not an IP address", n.label())),
        },
        Known::Unknown(r) => Known::Unknown(r),
        Known::Absent => Known::Absent,
    }
}

/// An IP address as an [`IpValue`]; a value known only at deployment keeps the resource
/// property it reads (a firewall's private IP) as its symbol.
pub(crate) fn ip_value(n: &Node<'_>) -> IpValue {
    IpValue {
        ip: ip(n),
        symbol: n.ip_symbol(),
        origin: n.origin(),
    }
}

// ------------------------------------------------------------------ virtual networks

pub(crate) fn vnet(m: &mut Mapper, r: &Res<'_>) {
    let n = &r.node;
    let mut meta = r.meta.clone();
    let asp = n.prop("addressSpace").get("addressPrefixes");
    meta.set_field_origin("address_space", asp.origin_or(&meta.origin));
    let dhcp = n.prop("dhcpOptions");
    let dv = dhcp.get("dnsServers");
    let dns_servers = match dv.raw() {
        Some(serde_json::Value::Array(_)) => {
            Known::Known(dv.items().iter().map(ip_value).collect())
        }
        _ if dv.unknown_marker().is_some() || dhcp.unknown_marker().is_some() => Known::Unknown(
            dv.unknown_marker()
                .or(dhcp.unknown_marker())
                .unwrap_or_default(),
        ),
        None | Some(serde_json::Value::Null) => Known::Absent,
        Some(_) => Known::Unknown(format!("{} is not a list of addresses", dv.label())),
    };
    meta.set_field_origin("dns_servers", dv.origin_or(&dhcp.origin_or(&meta.origin)));
    let this = r.self_ref();
    for s in n.prop("subnets").items() {
        let smeta = r.inline_meta(&s, "subnets");
        subnet_from(m, &s, smeta, Known::Known(this.clone()));
    }
    for p in n.prop("virtualNetworkPeerings").items() {
        let pmeta = r.inline_meta(&p, "virtualNetworkPeerings");
        peering_from(m, &p, pmeta, Known::Known(this.clone()));
    }
    m.model.vnets.push(VirtualNetwork {
        meta,
        address_space: nets(&asp),
        dns_servers,
    });
}

pub(crate) fn subnet(m: &mut Mapper, r: &Res<'_>) {
    let vnet = match r.parent_id() {
        Some(p) => Known::Known(Ref::Id(p)),
        None => Known::Unknown(format!(
            "the id of subnet {} is not known, so neither is its virtual network",
            r.meta.address()
        )),
    };
    subnet_from(m, &r.node, r.meta.clone(), vnet);
}

fn subnet_from(m: &mut Mapper, s: &Node<'_>, mut meta: Meta, vnet: Known<Ref>) {
    let origin = meta.origin.clone();
    meta.set_field_origin("vnet", origin.clone());
    let plural = s.prop("addressPrefixes");
    let single = s.prop("addressPrefix");
    let prefixes = match nets(&plural) {
        Known::Known(l) if !l.is_empty() => {
            meta.set_field_origin("prefixes", plural.origin());
            Known::Known(l)
        }
        Known::Unknown(r) => Known::Unknown(r),
        _ => {
            meta.set_field_origin("prefixes", single.origin_or(&origin));
            nets(&single)
        }
    };
    let link = |meta: &mut Meta, field: &'static str, prop: &str| {
        let v = s.prop(prop);
        meta.set_field_origin(field, v.origin_or(&origin));
        v.id_ref()
    };
    let nsg = link(&mut meta, "nsg", "networkSecurityGroup");
    let route_table = link(&mut meta, "route_table", "routeTable");
    let nat_gateway = link(&mut meta, "nat_gateway", "natGateway");
    let doa = s.prop("defaultOutboundAccess");
    meta.set_field_origin("default_outbound_access", doa.origin_or(&origin));
    let delegations = s
        .prop("delegations")
        .items()
        .iter()
        .filter_map(|d| d.prop("serviceName").str().into_known())
        .collect();
    m.model.subnets.push(Subnet {
        meta,
        vnet,
        prefixes,
        nsg,
        route_table,
        nat_gateway,
        // Azure's default for subnets that do not say (private subnets are opt-in)
        default_outbound_access: doa.bool().or_default_value(true),
        delegations,
        private_endpoint_network_policies: s.prop("privateEndpointNetworkPolicies").str(),
    });
}

pub(crate) fn peering(m: &mut Mapper, r: &Res<'_>) {
    let local = match r.parent_id() {
        Some(p) => Known::Known(Ref::Id(p)),
        None => Known::Unknown(format!(
            "the id of peering {} is not known, so neither is its local virtual network",
            r.meta.address()
        )),
    };
    peering_from(m, &r.node, r.meta.clone(), local);
}

fn peering_from(m: &mut Mapper, p: &Node<'_>, mut meta: Meta, local_vnet: Known<Ref>) {
    let origin = meta.origin.clone();
    meta.set_field_origin("local_vnet", origin.clone());
    let rv = p.prop("remoteVirtualNetwork");
    meta.set_field_origin("remote_vnet", rv.origin_or(&origin));
    let flag = |meta: &mut Meta, field: &'static str, prop: &str, default: bool| {
        let v = p.prop(prop);
        meta.set_field_origin(field, v.origin_or(&origin));
        v.bool().or_default_value(default)
    };
    let allow_virtual_network_access = flag(
        &mut meta,
        "allow_virtual_network_access",
        "allowVirtualNetworkAccess",
        true,
    );
    let allow_forwarded_traffic = flag(
        &mut meta,
        "allow_forwarded_traffic",
        "allowForwardedTraffic",
        false,
    );
    let allow_gateway_transit = flag(
        &mut meta,
        "allow_gateway_transit",
        "allowGatewayTransit",
        false,
    );
    let use_remote_gateways = flag(&mut meta, "use_remote_gateways", "useRemoteGateways", false);
    let st = p.prop("peeringState");
    meta.set_field_origin("state", st.origin_or(&origin));
    m.model.peerings.push(Peering {
        meta,
        local_vnet,
        remote_vnet: rv.id_ref(),
        allow_virtual_network_access,
        allow_forwarded_traffic,
        allow_gateway_transit,
        use_remote_gateways,
        state: st.str(),
    });
}

// ------------------------------------------------------------------ NSGs

/// The items of one side of a rule: singular prefix, plural prefixes and application security
/// groups together; `Absent` when none is given.
fn addresses(r: &Node<'_>, side: &str) -> Known<Vec<AddressMatch>> {
    let mut out = vec![];
    match r.prop(&format!("{side}AddressPrefix")).str() {
        Known::Known(s) if !s.is_empty() => out.push(AddressMatch::parse(&s)),
        Known::Unknown(x) => return Known::Unknown(x),
        _ => {}
    }
    match r.prop(&format!("{side}AddressPrefixes")).strings() {
        Known::Known(l) => out.extend(l.iter().map(|s| AddressMatch::parse(s))),
        Known::Unknown(x) => return Known::Unknown(x),
        Known::Absent => {}
    }
    match r
        .prop(&format!("{side}ApplicationSecurityGroups"))
        .id_refs()
    {
        Known::Known(l) => out.extend(l.into_iter().map(AddressMatch::Asg)),
        Known::Unknown(x) => return Known::Unknown(x),
        Known::Absent => {}
    }
    if out.is_empty() {
        Known::Absent
    } else {
        Known::Known(out)
    }
}

/// Plural port ranges when they have items, else the singular one.
fn ports(r: &Node<'_>, side: &str) -> Known<Vec<PortRange>> {
    let plural = r.prop(&format!("{side}PortRanges"));
    let single = r.prop(&format!("{side}PortRange"));
    let (texts, at) = match plural.strings() {
        Known::Known(l) if !l.is_empty() => (Known::Known(l), plural),
        Known::Unknown(x) => (Known::Unknown(x), plural),
        _ => (single.strings(), single),
    };
    match texts {
        Known::Known(l) => {
            let mut out = vec![];
            for t in l {
                match PortRange::parse(&t) {
                    Some(p) => out.push(p),
                    None => {
                        return Known::Unknown(format!(
                            "{}: `{t}` is not a port or port range",
                            at.label()
                        ));
                    }
                }
            }
            Known::Known(out)
        }
        Known::Unknown(x) => Known::Unknown(x),
        Known::Absent => Known::Absent,
    }
}

fn rule_of(r: &Node<'_>) -> SecurityRule {
    let word = |prop: &str| r.prop(prop).str();
    let direction = match word("direction") {
        Known::Known(s) if s.eq_ignore_ascii_case("inbound") => Known::Known(Direction::Inbound),
        Known::Known(s) if s.eq_ignore_ascii_case("outbound") => Known::Known(Direction::Outbound),
        Known::Known(s) => Known::Unknown(format!("{}: unrecognised direction `{s}`", r.label())),
        Known::Unknown(x) => Known::Unknown(x),
        Known::Absent => Known::Absent,
    };
    let access = match word("access") {
        Known::Known(s) if s.eq_ignore_ascii_case("allow") => Known::Known(Access::Allow),
        Known::Known(s) if s.eq_ignore_ascii_case("deny") => Known::Known(Access::Deny),
        Known::Known(s) => Known::Unknown(format!("{}: unrecognised access `{s}`", r.label())),
        Known::Unknown(x) => Known::Unknown(x),
        Known::Absent => Known::Absent,
    };
    let protocol = match word("protocol") {
        Known::Known(s) => match NsgProtocol::parse(&s) {
            Some(p) => Known::Known(p),
            None => Known::Unknown(format!("{}: unrecognised protocol `{s}`", r.label())),
        },
        Known::Unknown(x) => Known::Unknown(x),
        Known::Absent => Known::Absent,
    };
    SecurityRule {
        name: r.get("name").str(),
        origin: r.origin(),
        priority: r.prop("priority").u32(),
        direction,
        access,
        protocol,
        source_ports: ports(r, "source"),
        destination_ports: ports(r, "destination"),
        sources: addresses(r, "source"),
        destinations: addresses(r, "destination"),
    }
}

pub(crate) fn nsg(m: &mut Mapper, r: &Res<'_>) {
    let sr = r.node.prop("securityRules");
    let mut meta = r.meta.clone();
    meta.set_field_origin("rules", sr.origin_or(&meta.origin));
    // default rules (`defaultSecurityRules`) are not stored: the evaluator adds Azure's own
    let rules = match sr.unknown_marker() {
        Some(x) => Known::Unknown(x),
        None => Known::Known(sr.items().iter().map(rule_of).collect()),
    };
    m.model.nsgs.push(Nsg { meta, rules });
}

pub(crate) fn security_rule(m: &mut Mapper, r: &Res<'_>) {
    let rule = rule_of(&r.node);
    match r.parent_id() {
        Some(parent) => m.rules.push(Child {
            parent,
            item: rule,
            origin: r.meta.origin.clone(),
            address: r.meta.address().to_string(),
        }),
        None => {
            let msg = format!(
                "security rule {} has no id, so its network security group is not known",
                r.meta.address()
            );
            m.note("INP006", msg, r.meta.origin.clone());
        }
    }
}

// ------------------------------------------------------------------ routing

fn route_of(r: &Node<'_>) -> Route {
    let prefix = match r.prop("addressPrefix").str() {
        Known::Known(s) => match s.trim().parse::<IpNet>() {
            Ok(n) => Known::Known(RoutePrefix::Cidr(n)),
            Err(_) => Known::Known(RoutePrefix::Tag(s.trim().to_string())),
        },
        Known::Unknown(x) => Known::Unknown(x),
        Known::Absent => Known::Absent,
    };
    let next_hop_type = match r.prop("nextHopType").str() {
        Known::Known(s) => match NextHopType::parse(&s) {
            Some(t) => Known::Known(t),
            None => Known::Unknown(format!("{}: unrecognised nextHopType `{s}`", r.label())),
        },
        Known::Unknown(x) => Known::Unknown(x),
        Known::Absent => Known::Absent,
    };
    let nh = r.prop("nextHopIpAddress");
    Route {
        name: r.get("name").str(),
        origin: r.origin(),
        prefix,
        next_hop_type,
        next_hop_ip: nh.exists().then(|| ip_value(&nh)),
    }
}

pub(crate) fn route_table(m: &mut Mapper, r: &Res<'_>) {
    let n = &r.node;
    let mut meta = r.meta.clone();
    let rv = n.prop("routes");
    meta.set_field_origin("routes", rv.origin_or(&meta.origin));
    let routes = match rv.unknown_marker() {
        Some(x) => Known::Unknown(x),
        None => Known::Known(rv.items().iter().map(route_of).collect()),
    };
    let d = n.prop("disableBgpRoutePropagation");
    meta.set_field_origin("bgp_route_propagation", d.origin_or(&meta.origin));
    m.model.route_tables.push(RouteTable {
        meta,
        routes,
        bgp_route_propagation: d.bool().map(|x| !x).or_default_value(true),
    });
}

pub(crate) fn route(m: &mut Mapper, r: &Res<'_>) {
    let route = route_of(&r.node);
    match r.parent_id() {
        Some(parent) => m.routes.push(Child {
            parent,
            item: route,
            origin: r.meta.origin.clone(),
            address: r.meta.address().to_string(),
        }),
        None => {
            let msg = format!(
                "route {} has no id, so its route table is not known",
                r.meta.address()
            );
            m.note("INP006", msg, r.meta.origin.clone());
        }
    }
}

// ------------------------------------------------------------------ NAT and public IPs

pub(crate) fn nat_gateway(m: &mut Mapper, r: &Res<'_>) {
    let n = &r.node;
    m.model.nat_gateways.push(NatGateway {
        meta: r.meta.clone(),
        public_ips: n
            .prop("publicIpAddresses")
            .id_refs()
            .into_known()
            .unwrap_or_default(),
        public_ip_prefixes: n
            .prop("publicIpPrefixes")
            .id_refs()
            .into_known()
            .unwrap_or_default(),
    });
}

pub(crate) fn public_ip(m: &mut Mapper, r: &Res<'_>) {
    let n = &r.node;
    let mut meta = r.meta.clone();
    let iv = n.prop("ipAddress");
    meta.set_field_origin("ip", iv.origin_or(&meta.origin));
    let address = match ip(&iv) {
        Known::Absent => Known::Unknown(format!(
            "public IP {} has no address yet (it is allocated when the resource is deployed, \
             or when it is attached for Dynamic allocation)",
            meta.address()
        )),
        other => other,
    };
    m.model.public_ips.push(PublicIp {
        meta,
        ip: address,
        prefix: n.prop("publicIPPrefix").id_ref(),
    });
}

pub(crate) fn public_ip_prefix(m: &mut Mapper, r: &Res<'_>) {
    let n = &r.node;
    let pv = n.prop("ipPrefix");
    let prefix = match pv.str() {
        Known::Known(s) => match parse_net(&s) {
            Some(x) => Known::Known(x),
            None => Known::Unknown(format!("{}: `{s}` is not a CIDR range", pv.label())),
        },
        Known::Absent => Known::Unknown(format!(
            "public IP prefix {} has no range yet (it is allocated when the resource is \
             deployed)",
            r.meta.address()
        )),
        Known::Unknown(x) => Known::Unknown(x),
    };
    m.model.public_ip_prefixes.push(PublicIpPrefix {
        meta: r.meta.clone(),
        prefix,
    });
}
