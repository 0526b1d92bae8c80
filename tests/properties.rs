//! Property tests (proptest): the evaluators against deliberately naive reference
//! implementations, on random rule sets and destinations.
//!
//! * NSG: random outbound rules (distinct priorities, CIDR and tag sources and destinations,
//!   port ranges, protocols, allow and deny) and the default rules; the reference walks every
//!   address of a small node subnet through the rules in priority order, one by one. A flow is
//!   blocked when any node address is denied (a node anywhere in the subnet fails), reachable
//!   when every address is allowed.
//! * Routes: random user routes on a node subnet; the reference takes, for the destination,
//!   the longest matching prefix among user routes and the system routes (user routes win on
//!   equal prefixes), and the next hop type must be the evaluator's.
//!
//! A failing case is printed by proptest with its seed; add it as a unit test beside the
//! evaluator when it is a bug.

use aks_preflight::eval::flow::Flow;
use aks_preflight::eval::nsg::{self, NsgContext, VnetTag};
use aks_preflight::eval::{Destination, Protocol, Verdict};
use aks_preflight::model::{
    Access, AddressMatch, Direction, Known, Meta, Nsg, NsgProtocol, PortRange, SecurityRule,
};
use aks_preflight::source::Origin;
use ipnet::{IpNet, Ipv4Net};
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr};

const VNET: &str = "10.0.0.0/16";
/// The node subnet: 16 addresses, so that rules can cover part of it.
const NODES: &str = "10.0.0.0/28";

fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}

// ---------------------------------------------------------------- NSG

/// Address items rules may hold, as written in an NSG rule.
const SOURCES: &[&str] = &[
    "*",
    "10.0.0.0/16",
    "10.0.0.0/28",
    "10.0.0.8/29",
    "10.0.0.4/30",
    "10.0.0.3/32",
    "192.168.0.0/24",
    "VirtualNetwork",
    "Internet",
];
const DESTINATIONS: &[&str] = &[
    "*",
    "20.0.0.0/8",
    "20.0.0.0/25",
    "20.0.0.128/25",
    "52.1.1.1/32",
    "10.0.1.0/24",
    "10.0.0.0/16",
    "VirtualNetwork",
    "Internet",
];
/// Destinations of flows: public addresses, and private ones in the VNet.
const FLOW_DESTINATIONS: &[&str] = &["20.0.0.1", "20.0.0.200", "52.1.1.1", "10.0.1.5", "10.0.2.9"];
const PORTS: &[(u16, u16)] = &[(0, 65535), (443, 443), (80, 443), (1000, 2000), (53, 53)];

#[derive(Debug, Clone)]
struct RuleSpec {
    priority: u32,
    allow: bool,
    protocol: NsgProtocol,
    ports: Vec<(u16, u16)>,
    sources: Vec<&'static str>,
    destinations: Vec<&'static str>,
}

fn rule_spec() -> impl Strategy<Value = RuleSpec> {
    (
        100u32..4096,
        any::<bool>(),
        prop::sample::select(vec![NsgProtocol::Any, NsgProtocol::Tcp, NsgProtocol::Udp]),
        prop::collection::vec(prop::sample::select(PORTS), 1..3),
        prop::collection::vec(prop::sample::select(SOURCES), 1..3),
        prop::collection::vec(prop::sample::select(DESTINATIONS), 1..3),
    )
        .prop_map(
            |(priority, allow, protocol, ports, sources, destinations)| RuleSpec {
                priority,
                allow,
                protocol,
                ports,
                sources,
                destinations,
            },
        )
}

/// Rules with distinct priorities (Azure refuses duplicates in one direction).
fn rule_set() -> impl Strategy<Value = Vec<RuleSpec>> {
    prop::collection::vec(rule_spec(), 0..8).prop_map(|mut rules| {
        let mut seen = std::collections::HashSet::new();
        rules.retain(|r| seen.insert(r.priority));
        rules
    })
}

fn to_rule(i: usize, r: &RuleSpec) -> SecurityRule {
    SecurityRule {
        name: Known::Known(format!("r{i}")),
        origin: Origin::none(),
        priority: Known::Known(r.priority),
        direction: Known::Known(Direction::Outbound),
        access: Known::Known(if r.allow { Access::Allow } else { Access::Deny }),
        protocol: Known::Known(r.protocol),
        source_ports: Known::Known(vec![PortRange::ANY]),
        destination_ports: Known::Known(
            r.ports
                .iter()
                .map(|&(lo, hi)| PortRange { lo, hi })
                .collect(),
        ),
        sources: Known::Known(r.sources.iter().map(|s| AddressMatch::parse(s)).collect()),
        destinations: Known::Known(
            r.destinations
                .iter()
                .map(|s| AddressMatch::parse(s))
                .collect(),
        ),
    }
}

/// Naive membership of one address in an address item, from the meaning Microsoft documents
/// for the tags (`VirtualNetwork`: the VNet's address space; `Internet`: public addresses).
fn item_contains(item: &str, ip: Ipv4Addr) -> bool {
    match item {
        "*" => true,
        "VirtualNetwork" => net(VNET).contains(&IpAddr::V4(ip)),
        "Internet" => !(ip.is_private() || ip.is_loopback() || ip.is_link_local()),
        cidr => net(cidr).contains(&IpAddr::V4(ip)),
    }
}

/// The access the first matching rule gives one node address (default rules last).
fn reference_access(
    rules: &[RuleSpec],
    src: Ipv4Addr,
    dst: Ipv4Addr,
    tcp: bool,
    port: u16,
) -> bool {
    let mut sorted: Vec<&RuleSpec> = rules.iter().collect();
    sorted.sort_by_key(|r| r.priority);
    for r in sorted {
        let proto = match r.protocol {
            NsgProtocol::Any => true,
            NsgProtocol::Tcp => tcp,
            NsgProtocol::Udp => !tcp,
            _ => false,
        };
        let ports = r.ports.iter().any(|&(lo, hi)| lo <= port && port <= hi);
        let s = r.sources.iter().any(|i| item_contains(i, src));
        let d = r.destinations.iter().any(|i| item_contains(i, dst));
        if proto && ports && s && d {
            return r.allow;
        }
    }
    // AllowVnetOutBound, AllowInternetOutBound, DenyAllOutBound
    (item_contains("VirtualNetwork", src) && item_contains("VirtualNetwork", dst))
        || item_contains("Internet", dst)
}

fn nsg_context() -> NsgContext {
    NsgContext {
        vnet_tag: VnetTag {
            prefixes: vec![net(VNET)],
            ..VnetTag::default()
        },
        location: Some("westeurope".into()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn nsg_matches_a_naive_first_match_walk(
        rules in rule_set(),
        dst in prop::sample::select(FLOW_DESTINATIONS),
        tcp in any::<bool>(),
        port in prop::sample::select(vec![53u16, 80, 443, 1500, 9000]),
    ) {
        let nsg = Nsg {
            meta: Meta::new("azurerm_network_security_group.nodes", Origin::none()),
            rules: Known::Known(rules.iter().enumerate().map(|(i, r)| to_rule(i, r)).collect()),
        };
        let dst_ip: Ipv4Addr = dst.parse().unwrap();
        let flow = Flow {
            source_prefixes: vec![net(NODES)],
            destination: Destination::Ip(IpAddr::V4(dst_ip)),
            destination_tags: vec![],
            protocol: if tcp { Protocol::Tcp } else { Protocol::Udp },
            port,
            app_protocol: None,
        };
        let d = nsg::evaluate(&nsg, Direction::Outbound, &flow, &nsg_context());
        let nodes: Ipv4Net = NODES.parse().unwrap();
        let allowed: Vec<bool> = nodes
            .hosts()
            .chain([nodes.network(), nodes.broadcast()])
            .map(|src| reference_access(&rules, src, dst_ip, tcp, port))
            .collect();
        let expected = if allowed.iter().all(|a| *a) {
            Verdict::Reachable
        } else {
            Verdict::Blocked
        };
        prop_assert_eq!(d.verdict, expected, "{}", d.reason);
    }
}

// ---------------------------------------------------------------- routes

use aks_preflight::eval::routing::{self, NextHop};
use aks_preflight::model::{
    IpValue, Model, NextHopType, Ref, Route, RoutePrefix, RouteTable, Subnet, VirtualNetwork,
};

const ROUTE_PREFIXES: &[&str] = &[
    "0.0.0.0/0",
    "20.0.0.0/8",
    "20.0.0.0/24",
    "52.1.1.1/32",
    "10.0.0.0/8",
    "10.0.0.0/16",
    "10.0.1.0/24",
    "192.168.0.0/16",
];
const HOP_TYPES: &[NextHopType] = &[
    NextHopType::VirtualAppliance,
    NextHopType::Internet,
    NextHopType::None,
    NextHopType::VnetLocal,
];
const ROUTE_DESTINATIONS: &[&str] = &[
    "20.0.0.5",
    "20.1.0.1",
    "52.1.1.1",
    "8.8.8.8",
    "10.0.1.5",
    "10.0.2.9",
    "10.1.0.1",
    "192.168.1.1",
    "172.16.0.1",
];

/// User routes with distinct prefixes (a route table refuses two routes for one prefix).
fn user_routes() -> impl Strategy<Value = Vec<(&'static str, NextHopType)>> {
    prop::collection::vec(
        (
            prop::sample::select(ROUTE_PREFIXES),
            prop::sample::select(HOP_TYPES),
        ),
        0..6,
    )
    .prop_map(|mut routes| {
        let mut seen = std::collections::HashSet::new();
        routes.retain(|(p, _)| seen.insert(*p));
        routes
    })
}

fn meta(key: &str) -> Meta {
    let mut m = Meta::new(key, Origin::none());
    m.name = Known::Known(key.rsplit('.').next().unwrap_or(key).to_string());
    m.lists_all_children = true;
    m
}

fn route_model(routes: &[(&'static str, NextHopType)]) -> Model {
    let mut m = Model::new();
    m.vnets.push(VirtualNetwork {
        meta: meta("azurerm_virtual_network.spoke"),
        address_space: Known::Known(vec![net(VNET)]),
        dns_servers: Known::Absent,
    });
    m.subnets.push(Subnet {
        meta: meta("azurerm_subnet.nodes"),
        vnet: Known::Known(Ref::key("azurerm_virtual_network.spoke")),
        prefixes: Known::Known(vec![net(NODES)]),
        nsg: Known::Absent,
        route_table: Known::Known(Ref::key("azurerm_route_table.nodes")),
        nat_gateway: Known::Absent,
        default_outbound_access: Known::Absent,
        delegations: vec![],
        private_endpoint_network_policies: Known::Absent,
    });
    m.route_tables.push(RouteTable {
        meta: meta("azurerm_route_table.nodes"),
        routes: Known::Known(
            routes
                .iter()
                .enumerate()
                .map(|(i, (prefix, hop))| Route {
                    name: Known::Known(format!("route{i}")),
                    origin: Origin::none(),
                    prefix: Known::Known(RoutePrefix::Cidr(net(prefix))),
                    next_hop_type: Known::Known(*hop),
                    next_hop_ip: (*hop == NextHopType::VirtualAppliance).then(|| IpValue {
                        ip: Known::Known("10.0.5.4".parse().unwrap()),
                        symbol: None,
                        origin: Origin::none(),
                    }),
                })
                .collect(),
        ),
        bgp_route_propagation: Known::Known(false),
    });
    m.finish();
    m
}

/// Longest prefix match over the user routes and the system routes Microsoft documents for a
/// VNet without peerings or gateways (VNet space: VnetLocal; 0.0.0.0/0: Internet; the reserved
/// private ranges: None, and invalid once a user route covers 0.0.0.0/0, as the routing example
/// of "Virtual network traffic routing" shows); on equal prefixes a user route wins.
fn reference_next_hop(routes: &[(&'static str, NextHopType)], dst: Ipv4Addr) -> NextHop {
    let user_default = routes.iter().any(|(p, _)| *p == "0.0.0.0/0");
    let reserved = if user_default { 0 } else { 4 };
    let system = [
        (VNET, NextHop::VnetLocal),
        ("0.0.0.0/0", NextHop::Internet),
        ("10.0.0.0/8", NextHop::None),
        ("172.16.0.0/12", NextHop::None),
        ("192.168.0.0/16", NextHop::None),
        ("100.64.0.0/10", NextHop::None),
    ];
    let ip = IpAddr::V4(dst);
    // (prefix length, user route?) orders the candidates
    let mut best: Option<((u8, bool), NextHop)> = None;
    let candidates = routes
        .iter()
        .map(|(p, h)| (net(p), true, NextHop::from(*h)))
        .chain(
            system[..2 + reserved]
                .iter()
                .map(|(p, h)| (net(p), false, *h)),
        );
    for (prefix, user, hop) in candidates {
        if prefix.contains(&ip) {
            let key = (prefix.prefix_len(), user);
            if best.is_none_or(|(k, _)| key > k) {
                best = Some((key, hop));
            }
        }
    }
    best.map(|(_, h)| h)
        .expect("0.0.0.0/0 matches every address")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn routes_match_a_naive_longest_prefix_match(
        routes in user_routes(),
        dst in prop::sample::select(ROUTE_DESTINATIONS),
    ) {
        let model = route_model(&routes);
        let dst_ip: Ipv4Addr = dst.parse().unwrap();
        let flow = Flow {
            source_prefixes: vec![net(NODES)],
            destination: Destination::Ip(IpAddr::V4(dst_ip)),
            destination_tags: vec![],
            protocol: Protocol::Tcp,
            port: 443,
            app_protocol: None,
        };
        let d = routing::choose_route(&model, &model.subnets[0], &flow, Some("westeurope"));
        let chosen = d.chosen.as_ref().map(|r| r.next_hop.clone());
        prop_assert_eq!(
            chosen,
            Some(Known::Known(reference_next_hop(&routes, dst_ip))),
            "{:?}",
            d.undecided
        );
    }
}
