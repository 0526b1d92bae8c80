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
//! * Azure Firewall: random policies (a parent policy sometimes, 1–3 rule collection groups,
//!   network, application and DNAT collections, IP groups, DNS proxy on or off) and flows from
//!   the node subnet or part of it; the reference walks every source address through the
//!   collections in the order Microsoft documents (see the section below for the semantics and
//!   the pages). The evaluator's verdict must be the reference's; `unknown` is never right here,
//!   since the generated rules and flows hold nothing the evaluator cannot decide statically.
//!   Firewalls with classic rules (the firewall's own rule collections) have their own test,
//!   `firewall_classic_properties.rs`, which shares the reference's address and FQDN helpers
//!   (`common/fw_reference.rs`).
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

// ---------------------------------------------------------------- Azure Firewall
//
// Random Firewall Policies (a child policy, sometimes with a parent; 1–3 rule collection
// groups; network, application and DNAT collections with priorities and Allow/Deny actions;
// network rules with addresses, CIDRs, address ranges, IP groups, port ranges, protocols and
// FQDNs; application rules with protocols, ports and FQDN patterns including `*.` wildcards)
// and random flows from a small node subnet or part of it. The reference walks every address
// of the flow's source through the rules as Microsoft documents the processing
// (https://learn.microsoft.com/azure/firewall/rule-processing):
//
// * DNAT rules first (they translate inbound traffic to the firewall's public address: an egress
//   flow never matches them), then every network rule collection, then every application rule
//   collection, whatever their groups' priorities;
// * within one rule type: rule collection groups of the parent policy before the child's, then
//   by group priority, then collections by priority (lower first);
// * rules are terminating: the first collection holding a matching rule decides with its
//   action; no match: denied;
// * application rules only see HTTP/HTTPS (here: flows that carry an application protocol),
//   on the protocol:port pairs they list; a target FQDN `*` matches every name, `*.contoso.com`
//   every name below contoso.com at any depth but not contoso.com itself, anything else the name
//   itself, case-insensitively (https://learn.microsoft.com/azure/firewall/firewall-faq, "How do
//   wildcards work in target URLs and target FQDNs in application rules?");
// * FQDNs in network rules match only with DNS proxy enabled
//   (https://learn.microsoft.com/azure/firewall/fqdn-filtering-network-rules), by exact name.
//
// The subnet is blocked when any of its addresses is denied (a node anywhere in it fails),
// reachable when all are allowed. Flows and rules stay within what the evaluator decides
// statically, so it must never answer `unknown` here: a flow to a host name (whose addresses
// are public and not known) meets network rules whose destinations are `*`, private ranges or
// FQDNs; a flow to an address meets no network-rule FQDN (their resolution is not known) and
// carries no application protocol; no service tags, FQDN tags or web categories.

#[path = "common/fw_reference.rs"]
mod fw_reference;

use aks_preflight::eval::firewall;
use aks_preflight::eval::flow::AppProto;
use aks_preflight::model::{
    AppProtocol, AppProtocolPort, ApplicationRule, Firewall, FirewallPolicy, FirewallRule,
    FwAction, IpGroup, NatRule, NetProtocol, NetworkRule, RuleCollection, RuleCollectionGroup,
    RuleCollectionKind,
};
use fw_reference::{IP_GROUPS, fw_item_contains, reference_fqdn_match, weighted};

/// Source items of rules (node subnet: [`NODES`]), with weights: rules that cover the whole
/// subnet are common, so that several collections match a flow and their order matters.
const FW_SOURCES: &[(usize, &str)] = &[
    (4, "*"),
    (2, "10.0.0.0/16"),
    (1, "10.0.0.0/28"),
    (1, "10.0.0.8/29"),
    (1, "10.0.0.4/30"),
    (1, "10.0.0.3"),
    (1, "10.0.0.2-10.0.0.6"),
    (1, "192.168.0.0/24"),
];
/// Network-rule destinations for flows to host names: `*` and private ranges only.
const HOST_NET_DESTINATIONS: &[(usize, &str)] = &[
    (3, "*"),
    (1, "10.0.0.0/8"),
    (1, "192.168.1.0/24"),
    (1, "172.16.0.0/12"),
];
/// The IP groups of [`IP_GROUPS`] holding private ranges only.
const PRIVATE_IP_GROUPS: &[usize] = &[3];
const IP_NET_DESTINATIONS: &[&str] = &[
    "*",
    "20.0.0.0/8",
    "20.0.0.0/25",
    "52.1.1.1",
    "10.1.0.0/16",
    "10.0.0.0/8",
    "192.168.1.0/24",
    "20.0.0.1-20.0.0.10",
];
const HOSTS: &[&str] = &[
    "example.com",
    "a.example.com",
    "b.a.example.com",
    "mcr.microsoft.com",
    "www.contoso.com",
];
/// Network-rule FQDNs (exact names only: network rules take no wildcards).
const NET_FQDNS: &[&str] = &[
    "mcr.microsoft.com",
    "MCR.Microsoft.com",
    "a.example.com",
    "example.com",
];
const APP_PATTERNS: &[&str] = &[
    "*",
    "example.com",
    "*.example.com",
    "*.Example.COM",
    "a.example.com",
    "*.a.example.com",
    "mcr.microsoft.com",
    "*.microsoft.com",
    "contoso.com",
];
const APP_PROTOCOLS: &[(bool, u16)] = &[(false, 80), (true, 443), (true, 8443), (false, 8080)];
const FLOW_IPS: &[&str] = &[
    "20.0.0.5",
    "20.0.0.200",
    "52.1.1.1",
    "10.1.2.3",
    "192.168.1.7",
    "172.16.5.5",
    "8.8.8.8",
];
const FW_PORTS: &[(usize, (u16, u16))] = &[
    (3, (0, 65535)),
    (2, (443, 443)),
    (1, (80, 443)),
    (1, (1, 1024)),
    (1, (8000, 9000)),
    (1, (123, 123)),
    (1, (53, 53)),
];

#[derive(Debug, Clone, Copy)]
enum Src {
    Addr(&'static str),
    Group(usize),
}

#[derive(Debug, Clone, Copy)]
enum Dst {
    Addr(&'static str),
    Group(usize),
    Fqdn(&'static str),
}

#[derive(Debug, Clone)]
enum FwRuleSpec {
    Net {
        protocols: Vec<NetProtocol>,
        sources: Vec<Src>,
        destinations: Vec<Dst>,
        ports: Vec<(u16, u16)>,
    },
    App {
        /// (HTTPS?, port)
        protocols: Vec<(bool, u16)>,
        sources: Vec<Src>,
        fqdns: Vec<&'static str>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CollKind {
    Net,
    App,
    Nat,
}

#[derive(Debug, Clone)]
struct CollSpec {
    kind: CollKind,
    priority: u32,
    allow: bool,
    rules: Vec<FwRuleSpec>,
}

#[derive(Debug, Clone)]
struct GroupSpec {
    /// In the parent policy (processed before every group of the child policy).
    parent: bool,
    priority: u32,
    collections: Vec<CollSpec>,
}

#[derive(Debug, Clone)]
struct PolicySpec {
    groups: Vec<GroupSpec>,
    /// The child policy's DNS proxy setting (`None`: not set, off).
    dns_proxy: Option<bool>,
}

#[derive(Debug, Clone)]
struct FlowSpec {
    /// The node subnet, or part of it (the evaluator's verdict is the worst over its addresses:
    /// small parts check the address-by-address decisions).
    source: &'static str,
    /// A host name, or an address.
    host: Option<&'static str>,
    ip: Option<&'static str>,
    tcp: bool,
    port: u16,
    app: Option<AppProto>,
}

fn fw_sources() -> impl Strategy<Value = Vec<Src>> {
    let item = prop_oneof![
        3 => weighted(FW_SOURCES).prop_map(Src::Addr),
        1 => (0..IP_GROUPS.len()).prop_map(Src::Group),
    ];
    prop::collection::vec(item, 1..3)
}

fn net_rule_spec(host_world: bool) -> impl Strategy<Value = FwRuleSpec> {
    let dst = if host_world {
        prop_oneof![
            3 => weighted(HOST_NET_DESTINATIONS).prop_map(Dst::Addr),
            1 => prop::sample::select(PRIVATE_IP_GROUPS).prop_map(Dst::Group),
            2 => prop::sample::select(NET_FQDNS).prop_map(Dst::Fqdn),
        ]
        .boxed()
    } else {
        prop_oneof![
            3 => prop::sample::select(IP_NET_DESTINATIONS).prop_map(Dst::Addr),
            1 => (0..IP_GROUPS.len()).prop_map(Dst::Group),
        ]
        .boxed()
    };
    (
        prop::collection::vec(
            weighted(&[
                (2, NetProtocol::Any),
                (2, NetProtocol::Tcp),
                (1, NetProtocol::Udp),
                (1, NetProtocol::Icmp),
            ]),
            1..3,
        ),
        fw_sources(),
        prop::collection::vec(dst, 1..3),
        prop::collection::vec(weighted(FW_PORTS), 1..3),
    )
        .prop_map(
            |(protocols, sources, destinations, ports)| FwRuleSpec::Net {
                protocols,
                sources,
                destinations,
                ports,
            },
        )
}

fn app_rule_spec() -> impl Strategy<Value = FwRuleSpec> {
    (
        prop::collection::vec(prop::sample::select(APP_PROTOCOLS), 1..3),
        fw_sources(),
        prop::collection::vec(prop::sample::select(APP_PATTERNS), 1..3),
    )
        .prop_map(|(protocols, sources, fqdns)| FwRuleSpec::App {
            protocols,
            sources,
            fqdns,
        })
}

fn coll_spec(host_world: bool) -> impl Strategy<Value = CollSpec> {
    let kind =
        prop_oneof![4 => Just(CollKind::Net), 4 => Just(CollKind::App), 1 => Just(CollKind::Nat)];
    (kind, 1u32..10, any::<bool>()).prop_flat_map(move |(kind, p, allow)| {
        let rules = match kind {
            CollKind::App => prop::collection::vec(app_rule_spec(), 1..4).boxed(),
            _ => prop::collection::vec(net_rule_spec(host_world), 1..4).boxed(),
        };
        rules.prop_map(move |rules| CollSpec {
            kind,
            priority: p * 100,
            allow,
            rules,
        })
    })
}

fn policy_spec(host_world: bool) -> impl Strategy<Value = PolicySpec> {
    let group = (
        any::<bool>(),
        1u32..10,
        prop::collection::vec(coll_spec(host_world), 1..4),
    )
        .prop_map(|(parent, p, mut collections)| {
            // a group refuses two collections of one priority
            let mut seen = std::collections::HashSet::new();
            collections.retain(|c| seen.insert(c.priority));
            GroupSpec {
                parent,
                priority: p * 100,
                collections,
            }
        });
    (
        prop::collection::vec(group, 1..4),
        prop::sample::select(vec![None, Some(false), Some(true)]),
    )
        .prop_map(|(mut groups, dns_proxy)| {
            // distinct group priorities (within a policy Azure refuses duplicates)
            let mut seen = std::collections::HashSet::new();
            groups.retain(|g| seen.insert(g.priority));
            PolicySpec { groups, dns_proxy }
        })
}

fn flow_spec(host_world: bool) -> BoxedStrategy<FlowSpec> {
    if host_world {
        (
            prop::sample::select(HOSTS),
            weighted(&[
                (4, (true, 443, Some(AppProto::Https))),
                (1, (true, 80, Some(AppProto::Http))),
                (1, (true, 8443, Some(AppProto::Https))),
                (1, (true, 9000, None)),
                (1, (false, 123, None)),
            ]),
        )
            .prop_map(|(h, (tcp, port, app))| FlowSpec {
                source: NODES,
                host: Some(h),
                ip: None,
                tcp,
                port,
                app,
            })
            .boxed()
    } else {
        (
            prop::sample::select(FLOW_IPS),
            prop::sample::select(vec![(true, 443), (true, 22), (false, 53), (false, 123)]),
        )
            .prop_map(|(ip, (tcp, port))| FlowSpec {
                source: NODES,
                host: None,
                ip: Some(ip),
                tcp,
                port,
                app: None,
            })
            .boxed()
    }
}

/// Node subnets of flows: [`NODES`] and parts of it.
const FLOW_SOURCES: &[(usize, &str)] = &[
    (3, NODES),
    (1, "10.0.0.0/30"),
    (1, "10.0.0.2/31"),
    (1, "10.0.0.2/32"),
    (1, "10.0.0.6/32"),
    (1, "10.0.0.7/32"),
    (1, "10.0.0.8/29"),
];

fn fw_case() -> impl Strategy<Value = (PolicySpec, FlowSpec)> {
    any::<bool>().prop_flat_map(|host_world| {
        (
            policy_spec(host_world),
            flow_spec(host_world),
            weighted(FLOW_SOURCES),
        )
            .prop_map(|(p, mut f, source)| {
                f.source = source;
                (p, f)
            })
    })
}

fn fw_meta(key: &str) -> Meta {
    let mut m = Meta::new(key, Origin::none().with_address(key));
    m.name = Known::Known(key.rsplit('.').next().unwrap_or(key).to_string());
    m.lists_all_children = true; // the model holds every group and rule
    m
}

const PARENT: &str = "azurerm_firewall_policy.parent";
const CHILD: &str = "azurerm_firewall_policy.child";

fn group_ref(i: usize) -> Ref {
    Ref::key(format!("azurerm_ip_group.g{i}"))
}

fn to_fw_rule(name: String, r: &FwRuleSpec) -> FirewallRule {
    let split = |sources: &[Src]| {
        let addrs = sources
            .iter()
            .filter_map(|s| match s {
                Src::Addr(a) => Some(AddressMatch::parse(a)),
                Src::Group(_) => None,
            })
            .collect();
        let groups = sources
            .iter()
            .filter_map(|s| match s {
                Src::Group(i) => Some(group_ref(*i)),
                Src::Addr(_) => None,
            })
            .collect();
        (addrs, groups)
    };
    let origin = Origin::none().with_address(name.clone());
    match r {
        FwRuleSpec::Net {
            protocols,
            sources,
            destinations,
            ports,
        } => {
            let (source_addresses, source_ip_groups) = split(sources);
            let mut rule = NetworkRule {
                name: Known::Known(name),
                origin,
                protocols: protocols.clone(),
                source_addresses,
                source_ip_groups,
                destination_addresses: vec![],
                destination_ip_groups: vec![],
                destination_fqdns: vec![],
                destination_ports: ports.iter().map(|&(lo, hi)| PortRange { lo, hi }).collect(),
            };
            for d in destinations {
                match d {
                    Dst::Addr(a) => rule.destination_addresses.push(AddressMatch::parse(a)),
                    Dst::Group(i) => rule.destination_ip_groups.push(group_ref(*i)),
                    Dst::Fqdn(f) => rule.destination_fqdns.push(f.to_string()),
                }
            }
            FirewallRule::Network(rule)
        }
        FwRuleSpec::App {
            protocols,
            sources,
            fqdns,
        } => {
            let (source_addresses, source_ip_groups) = split(sources);
            FirewallRule::Application(ApplicationRule {
                name: Known::Known(name),
                origin,
                protocols: protocols
                    .iter()
                    .map(|&(https, port)| AppProtocolPort {
                        protocol: Ok(if https {
                            AppProtocol::Https
                        } else {
                            AppProtocol::Http
                        }),
                        port,
                    })
                    .collect(),
                source_addresses,
                source_ip_groups,
                target_fqdns: fqdns.iter().map(|f| f.to_string()).collect(),
                fqdn_tags: vec![],
                fqdn_tag_origins: vec![],
                destination_addresses: vec![],
                web_categories: vec![],
                target_urls: vec![],
                terminate_tls: false,
            })
        }
    }
}

/// A DNAT rule: inbound HTTPS to the firewall's public address, to a private server.
fn dnat_rule(name: String) -> FirewallRule {
    FirewallRule::Nat(NatRule {
        name: Known::Known(name.clone()),
        origin: Origin::none().with_address(name),
        protocols: vec![NetProtocol::Tcp],
        source_addresses: vec![AddressMatch::Any],
        destination_addresses: vec!["20.50.1.10".into()],
        destination_ports: vec![PortRange::single(443)],
        translated_address: Some("10.0.5.4".into()),
        translated_port: Some(443),
    })
}

fn fw_model(p: &PolicySpec) -> Model {
    let mut m = Model::new();
    for (i, cidrs) in IP_GROUPS.iter().enumerate() {
        m.ip_groups.push(IpGroup {
            meta: fw_meta(&format!("azurerm_ip_group.g{i}")),
            cidrs: Known::Known(cidrs.iter().map(|c| AddressMatch::parse(c)).collect()),
        });
    }
    let has_parent = p.groups.iter().any(|g| g.parent);
    let policy = |key: &str, base: Option<&str>, dns_proxy: Option<bool>| FirewallPolicy {
        meta: fw_meta(key),
        base_policy: base.map(Ref::key).into(),
        dns_proxy: dns_proxy.into(),
        dns_servers: vec![],
        threat_intel_mode: Known::Absent,
        sku_tier: Known::Known("Standard".into()),
        rule_collection_groups: Known::Absent,
    };
    if has_parent {
        m.firewall_policies.push(policy(PARENT, None, None));
    }
    m.firewall_policies
        .push(policy(CHILD, has_parent.then_some(PARENT), p.dns_proxy));
    for (gi, g) in p.groups.iter().enumerate() {
        let collections = g
            .collections
            .iter()
            .enumerate()
            .map(|(ci, c)| {
                let rules = c
                    .rules
                    .iter()
                    .enumerate()
                    .map(|(ri, r)| {
                        let name = format!("g{gi}c{ci}r{ri}");
                        match c.kind {
                            CollKind::Nat => dnat_rule(name),
                            _ => to_fw_rule(name, r),
                        }
                    })
                    .collect();
                let (kind, action) = match c.kind {
                    CollKind::Net => (RuleCollectionKind::Network, c.allow),
                    CollKind::App => (RuleCollectionKind::Application, c.allow),
                    CollKind::Nat => (RuleCollectionKind::Nat, false),
                };
                RuleCollection {
                    name: Known::Known(format!("g{gi}c{ci}")),
                    origin: Origin::none().with_address(format!("g{gi}c{ci}")),
                    kind,
                    priority: Known::Known(c.priority),
                    action: Known::Known(match c.kind {
                        CollKind::Nat => FwAction::Dnat,
                        _ if action => FwAction::Allow,
                        _ => FwAction::Deny,
                    }),
                    rules,
                }
            })
            .collect();
        m.rule_collection_groups.push(RuleCollectionGroup {
            meta: fw_meta(&format!(
                "azurerm_firewall_policy_rule_collection_group.g{gi}"
            )),
            policy: Known::Known(Ref::key(if g.parent { PARENT } else { CHILD })),
            priority: Known::Known(g.priority),
            collections,
        });
    }
    m.firewalls.push(Firewall {
        meta: fw_meta("azurerm_firewall.hub"),
        subnet: Known::Absent,
        private_ip: Known::Absent,
        public_ips: vec![],
        policy: Known::Known(Ref::key(CHILD)),
        dns_proxy: Known::Absent,
        dns_servers: vec![],
        threat_intel_mode: Known::Absent,
        sku_tier: Known::Known("Standard".into()),
        collections: vec![],
    });
    m.finish();
    m
}

fn fw_group_contains(i: usize, ip: Ipv4Addr) -> bool {
    IP_GROUPS[i].iter().any(|c| fw_item_contains(c, ip))
}

/// The action the first matching rule collection applies to a flow from `src`, in the documented
/// processing order; `false` (deny) when nothing matches.
fn reference_fw_allows(p: &PolicySpec, f: &FlowSpec, src: Ipv4Addr) -> bool {
    let dns_proxy = p.dns_proxy == Some(true);
    let source_ok = |sources: &[Src]| {
        sources.iter().any(|s| match s {
            Src::Addr(a) => fw_item_contains(a, src),
            Src::Group(i) => fw_group_contains(*i, src),
        })
    };
    let rule_matches = |r: &FwRuleSpec| match r {
        FwRuleSpec::Net {
            protocols,
            sources,
            destinations,
            ports,
        } => {
            let proto = protocols.iter().any(|p| match p {
                NetProtocol::Any => true,
                NetProtocol::Tcp => f.tcp,
                NetProtocol::Udp => !f.tcp,
                _ => false,
            });
            let port = ports.iter().any(|&(lo, hi)| lo <= f.port && f.port <= hi);
            let dest = destinations.iter().any(|d| match (d, f.host, f.ip) {
                (Dst::Addr("*"), _, _) => true,
                // a host name's addresses are public: never in the private ranges written here
                (Dst::Addr(_) | Dst::Group(_), Some(_), _) => false,
                (Dst::Addr(a), None, Some(ip)) => fw_item_contains(a, ip.parse().unwrap()),
                (Dst::Group(i), None, Some(ip)) => fw_group_contains(*i, ip.parse().unwrap()),
                (Dst::Fqdn(name), Some(h), _) => dns_proxy && name.eq_ignore_ascii_case(h),
                _ => false,
            });
            proto && port && dest && source_ok(sources)
        }
        FwRuleSpec::App {
            protocols,
            sources,
            fqdns,
        } => {
            let (Some(app), Some(host)) = (f.app, f.host) else {
                return false; // not HTTP(S): application rules do not apply
            };
            let https = app == AppProto::Https;
            f.tcp
                && protocols.contains(&(https, f.port))
                && fqdns.iter().any(|p| reference_fqdn_match(p, host))
                && source_ok(sources)
        }
    };
    // (parent first, group priority, collection priority) within each rule type
    let mut ordered: Vec<(bool, u32, &CollSpec)> = p
        .groups
        .iter()
        .flat_map(|g| {
            g.collections
                .iter()
                .map(move |c| (!g.parent, g.priority, c))
        })
        .collect();
    ordered.sort_by_key(|(child, gp, c)| (*child, *gp, c.priority));
    for kind in [CollKind::Net, CollKind::App] {
        for (_, _, c) in ordered.iter().filter(|(_, _, c)| c.kind == kind) {
            if c.rules.iter().any(rule_matches) {
                return c.allow;
            }
        }
    }
    false
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn firewall_matches_the_documented_processing_order((policy, f) in fw_case()) {
        let model = fw_model(&policy);
        let flow = Flow {
            source_prefixes: vec![net(f.source)],
            destination: match (f.host, f.ip) {
                (Some(h), _) => Destination::Host(h.to_string()),
                (None, Some(ip)) => Destination::Ip(ip.parse().unwrap()),
                (None, None) => unreachable!("a flow has a destination"),
            },
            destination_tags: vec![],
            protocol: if f.tcp { Protocol::Tcp } else { Protocol::Udp },
            port: f.port,
            app_protocol: f.app,
        };
        let d = firewall::evaluate(&model, &model.firewalls[0], &flow);
        let nodes: Ipv4Net = f.source.parse().unwrap();
        let all_allowed = (u32::from(nodes.network())..=u32::from(nodes.broadcast()))
            .all(|src| reference_fw_allows(&policy, &f, Ipv4Addr::from(src)));
        let expected = if all_allowed {
            Verdict::Reachable
        } else {
            Verdict::Blocked
        };
        prop_assert_eq!(d.verdict, expected, "{}", d.reason);
    }
}
