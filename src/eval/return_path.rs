//! The way back: a private destination must be able to answer the nodes.
//!
//! NSGs are stateful, so the reply of an allowed flow passes them; routes are not: the reply is
//! routed by the destination subnet's own effective routes (Microsoft, "Virtual network traffic
//! routing"). Who the reply goes to depends on SNAT: Azure Firewall does not SNAT network-rule
//! traffic to private destinations (RFC 1918, RFC 6598, the default private IP ranges), so the
//! reply goes to the node's own address; application-rule traffic is always SNATed (the
//! firewall proxies it), so the reply goes to the firewall (Microsoft, "Azure Firewall SNAT
//! private IP address ranges"). The reply must then take the way it came: dropped (next hop
//! `None`, or the internet for a private address) is `blocked`; a different stateful hop than
//! the request's (asymmetric routing), a gateway, or an undecidable route is `unknown`.

use super::Verdict;
use super::flow::{Destination, Flow};
use super::path::{Cause, Hop, HopKind};
use super::routing::{self, NextHop, SystemKind};
use crate::model::{Firewall, IpSymbol, Known, Model, Subnet};
use crate::source::Origin;
use std::net::{IpAddr, Ipv4Addr};

/// How the request reached the destination.
#[derive(Debug, Clone, Copy)]
pub enum Via<'a> {
    /// Straight (same VNet, or a peering).
    Direct,
    /// Through an Azure Firewall; `snat`: the firewall translated the source (application
    /// rules), so the reply goes back to the firewall.
    Firewall { fw: &'a Firewall, snat: bool },
}

/// What the way back says.
#[derive(Debug, Clone)]
pub struct Reply {
    pub verdict: Verdict,
    /// One clause for the path's sentence.
    pub reason: String,
    pub hop: Hop,
    /// Set when the verdict is not reachable.
    pub cause: Option<Cause>,
    pub origin: Option<Origin>,
}

/// First usable address of a prefix (Azure reserves .0 to .3): stands for a node, or the
/// firewall, when the exact address is not known.
fn representative(n: &ipnet::IpNet) -> Option<IpAddr> {
    match n {
        ipnet::IpNet::V4(v) => Some(IpAddr::V4(Ipv4Addr::from(u32::from(v.network()) + 4))),
        ipnet::IpNet::V6(_) => None,
    }
}

/// Does a `VirtualAppliance` route point at `fw`?
fn is_firewall(model: &Model, fw: &Firewall, v: Option<&crate::model::IpValue>) -> bool {
    let Some(v) = v else { return false };
    match (&v.symbol, &v.ip) {
        (Some(IpSymbol::FirewallPrivateIp(r)), _) => model
            .firewall(r)
            .is_some_and(|f| f.meta.same_resource(&fw.meta)),
        (_, Known::Known(ip)) => fw.private_ip.known() == Some(ip),
        _ => false,
    }
}

/// The way back from `dest` (address `ip` in subnet `dest_subnet`) to the nodes of
/// `node_subnet`, for a request that came `via` a firewall or straight.
pub fn reply(
    model: &Model,
    dest_subnet: &Subnet,
    ip: &IpAddr,
    node_subnet: &Subnet,
    flow: &Flow,
    via: Via<'_>,
    location: Option<&str>,
) -> Reply {
    let daddr = dest_subnet.meta.address().to_string();
    // who the reply is addressed to
    let (target, to_what) = match via {
        Via::Firewall { fw, snat: true } => {
            let t = fw.private_ip.known().copied().or_else(|| {
                fw.subnet
                    .known()
                    .and_then(|r| model.subnet(r))
                    .and_then(|s| s.prefixes.known()?.first().and_then(representative))
            });
            (
                t,
                format!(
                    "firewall {}, which SNATs application-rule traffic",
                    fw.meta.address()
                ),
            )
        }
        _ => (
            node_subnet
                .prefixes
                .known()
                .and_then(|p| p.first())
                .and_then(representative),
            match via {
                Via::Firewall { fw, .. } => format!(
                    "the node itself: firewall {} does not SNAT network-rule traffic to private destinations",
                    fw.meta.address()
                ),
                Via::Direct => "the node itself".to_string(),
            },
        ),
    };
    // a reply that does not come back (or may not): verdict, reason, and the hop's text
    let failed = |verdict: Verdict, reason: String, hop: String, origin: Option<Origin>| Reply {
        verdict,
        hop: Hop::new(HopKind::Return, hop, origin.clone()).with_verdict(verdict),
        cause: Some(Cause::ReturnPath {
            subnet: daddr.clone(),
            detail: reason.clone(),
        }),
        reason,
        origin,
    };
    let undecided = |reason: String, origin: Option<Origin>| {
        let hop = format!("way back from {ip}: {reason}");
        failed(Verdict::Unknown, reason, hop, origin)
    };
    let Some(target) = target else {
        return undecided(
            format!("the address the reply goes to ({to_what}) is not known"),
            Some(node_subnet.meta.origin.clone()),
        );
    };
    let back = Flow {
        source_prefixes: dest_subnet.prefixes.known().cloned().unwrap_or_default(),
        destination: Destination::Ip(target),
        destination_tags: vec![],
        protocol: flow.protocol,
        port: flow.port,
        app_protocol: None,
    };
    let rd = routing::choose_route(model, dest_subnet, &back, location);
    let Some(route) = rd.chosen else {
        return undecided(
            format!(
                "the route of subnet {daddr} back to {target} ({to_what}) cannot be decided: {}",
                rd.undecided.unwrap_or_default()
            ),
            rd.origin.or_else(|| Some(dest_subnet.meta.origin.clone())),
        );
    };
    let origin = route
        .origin
        .clone()
        .or_else(|| Some(dest_subnet.meta.origin.clone()));
    if let Some(why) = rd.possible_forced_tunnelling {
        return undecided(
            format!("the reply to {target} from subnet {daddr} may leave through a gateway: {why}"),
            origin,
        );
    }
    let by = route.describe();
    let ok = |how: String| Reply {
        verdict: Verdict::Reachable,
        reason: format!(
            "the reply comes back: subnet {daddr} routes {target} ({to_what}) by {by}{how}"
        ),
        hop: Hop::new(
            HopKind::Return,
            format!("way back from {ip} to {target}: {by}{how}"),
            origin.clone(),
        ),
        cause: None,
        origin: origin.clone(),
    };
    let asymmetric = |what: String| {
        undecided(
            format!(
                "the reply from {ip} to {target} ({to_what}) takes {by}, {what}: asymmetric routing, which a stateful firewall or appliance on either way drops"
            ),
            origin.clone(),
        )
    };
    match route.next_hop {
        Known::Known(NextHop::None) => {
            if route.system_kind == Some(SystemKind::Reserved) {
                if let Some(why) = model
                    .subnet_vnet(dest_subnet)
                    .and_then(|v| v.meta.children_unlisted("peerings"))
                {
                    return undecided(
                        format!(
                            "subnet {daddr} routes the reply to {target} by {by} unless a peering carries it, and none in the inputs does; but {why}"
                        ),
                        origin,
                    );
                }
            }
            failed(
                Verdict::Blocked,
                format!(
                    "the reply is dropped: subnet {daddr} routes {target} ({to_what}) by {by}; it needs a route back the way the request came"
                ),
                format!("way back from {ip} to {target}: {by}: dropped"),
                origin,
            )
        }
        Known::Known(NextHop::Internet) => failed(
            Verdict::Blocked,
            format!(
                "the reply is lost: subnet {daddr} sends {target} ({to_what}) to the internet by {by}, where a private address cannot be delivered"
            ),
            format!("way back from {ip} to {target}: {by}: lost"),
            origin,
        ),
        Known::Known(NextHop::VnetLocal | NextHop::VNetPeering) => match via {
            Via::Firewall { fw, snat: false } => asymmetric(format!(
                "not firewall {} that carried the request",
                fw.meta.address()
            )),
            _ => ok(String::new()),
        },
        Known::Known(NextHop::VirtualAppliance) => match via {
            Via::Firewall { fw, .. } if is_firewall(model, fw, route.next_hop_ip.as_ref()) => {
                ok(format!(" (back through firewall {})", fw.meta.address()))
            }
            Via::Firewall { fw, .. } => asymmetric(format!(
                "not firewall {} that carried the request",
                fw.meta.address()
            )),
            Via::Direct => asymmetric("through an appliance the request did not pass".into()),
        },
        Known::Known(NextHop::VirtualNetworkGateway) => undecided(
            format!("the reply to {target} leaves through a virtual network gateway by {by}"),
            origin,
        ),
        other => undecided(
            format!(
                "the next hop of {by} is not known ({})",
                other.unknown_reason().unwrap_or("not set")
            ),
            origin,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::flow::Protocol;
    use crate::eval::routing::tests::{
        firewall, ip_flow, peering, route, route_table, subnet, vnet,
    };
    use crate::model::NextHopType;

    /// Nodes in spoke 10.0.0.0/16; hub 10.1.0.0/16 with a firewall at 10.1.0.4; shared
    /// services 10.2.0.0/16 peered with the hub only.
    fn model() -> (Model, Firewall) {
        let mut m = Model::new();
        m.vnets.push(vnet("vnet.spoke", &["10.0.0.0/16"]));
        m.vnets.push(vnet("vnet.hub", &["10.1.0.0/16"]));
        m.vnets.push(vnet("vnet.shared", &["10.2.0.0/16"]));
        m.subnets
            .push(subnet("subnet.nodes", "vnet.spoke", &["10.0.1.0/24"]));
        m.subnets
            .push(subnet("subnet.fw", "vnet.hub", &["10.1.0.0/26"]));
        m.subnets
            .push(subnet("subnet.dns", "vnet.shared", &["10.2.0.0/24"]));
        for (k, a, b) in [
            ("p.spoke-hub", "vnet.spoke", "vnet.hub"),
            ("p.hub-spoke", "vnet.hub", "vnet.spoke"),
            ("p.shared-hub", "vnet.shared", "vnet.hub"),
            ("p.hub-shared", "vnet.hub", "vnet.shared"),
        ] {
            m.peerings.push(peering(k, a, b));
        }
        let fw = firewall("subnet.fw", "10.1.0.4");
        m.firewalls.push(fw.clone());
        (m, fw)
    }

    fn run(m: &Model, fw: &Firewall, snat: bool) -> Reply {
        let dns = &m.subnets[2];
        let nodes = &m.subnets[0];
        let flow = ip_flow("10.2.0.4", Protocol::Udp, 53);
        reply(
            m,
            dns,
            &"10.2.0.4".parse().unwrap(),
            nodes,
            &flow,
            Via::Firewall { fw, snat },
            None,
        )
    }

    #[test]
    fn a_spoke_that_knows_only_its_hub_drops_the_reply() {
        let (m, fw) = model();
        let r = run(&m, &fw, false);
        assert_eq!(r.verdict, Verdict::Blocked, "{}", r.reason);
        assert!(r.reason.contains("10.0.0.0/8"), "{}", r.reason);
        assert!(matches!(r.cause, Some(Cause::ReturnPath { .. })));
        // SNATed (application rules): the reply goes to the firewall in the peered hub
        let r = run(&m, &fw, true);
        assert_eq!(r.verdict, Verdict::Reachable, "{}", r.reason);
    }

    #[test]
    fn a_route_back_through_the_same_firewall_is_symmetric() {
        let (mut m, fw) = model();
        m.route_tables.push(route_table(
            "rt.shared",
            vec![route(
                "nodes-via-fw",
                "10.0.0.0/16",
                NextHopType::VirtualAppliance,
                Some("10.1.0.4"),
            )],
        ));
        m.subnets[2].route_table = Known::Known(crate::model::Ref::key("rt.shared"));
        let r = run(&m, &fw, false);
        assert_eq!(r.verdict, Verdict::Reachable, "{}", r.reason);
        // another appliance: asymmetric, undecided
        if let Known::Known(routes) = &mut m.route_tables[0].routes {
            routes[0] = route(
                "nodes-via-nva",
                "10.0.0.0/16",
                NextHopType::VirtualAppliance,
                Some("10.1.0.68"),
            );
        }
        let r = run(&m, &fw, false);
        assert_eq!(r.verdict, Verdict::Unknown, "{}", r.reason);
        assert!(r.reason.contains("asymmetric"), "{}", r.reason);
    }

    #[test]
    fn a_direct_peering_bypassing_the_firewall_is_asymmetric() {
        let (mut m, fw) = model();
        m.peerings
            .push(peering("p.shared-spoke", "vnet.shared", "vnet.spoke"));
        m.peerings
            .push(peering("p.spoke-shared", "vnet.spoke", "vnet.shared"));
        let r = run(&m, &fw, false);
        assert_eq!(r.verdict, Verdict::Unknown, "{}", r.reason);
        assert!(r.reason.contains("asymmetric"), "{}", r.reason);
        // a request that came straight comes back straight
        let dns = &m.subnets[2];
        let r = reply(
            &m,
            dns,
            &"10.2.0.4".parse().unwrap(),
            &m.subnets[0],
            &ip_flow("10.2.0.4", Protocol::Udp, 53),
            Via::Direct,
            None,
        );
        assert_eq!(r.verdict, Verdict::Reachable, "{}", r.reason);
    }
}
