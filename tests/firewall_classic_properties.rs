//! Property test (proptest): Azure Firewalls with classic rules against a deliberately naive
//! reference written from Microsoft's documentation. `properties.rs` does the same for Firewall
//! Policies; this file covers the firewall's own rule collections (ARM
//! `properties.networkRuleCollections`, `applicationRuleCollections`, `natRuleCollections`;
//! azurerm `azurerm_firewall_{network,application,nat}_rule_collection`).
//!
//! Each case is a random firewall (0–8 network, application and DNAT collections with
//! priorities and Allow/Deny actions; network rules with protocols, addresses, CIDRs, ranges,
//! IP groups, service tags, FQDNs and ports; application rules with protocol:port pairs and
//! target FQDNs or FQDN tags; DNS proxy on, off or not set) and a random flow from the node
//! subnet or part of it. The firewall is read twice by the product's own loaders: as the ARM
//! resource Azure returns (REST GET shape, IP groups beside it; `input::load`, as `check` reads
//! ARM files) and as a Terraform configuration whose collections are separate
//! `azurerm_firewall_*_rule_collection` resources attached by name (`hcl::load`, as `check DIR`
//! reads it). For both, the firewall evaluator's three-valued verdict (reachable, blocked,
//! unknown) must be the reference's. Unlike the policy test, the rules here also hold what the
//! evaluator cannot decide statically (service tags, FQDN tags, public ranges against a host
//! name, network-rule FQDNs against an address, collections of one type with equal
//! priorities), so `unknown` is an expected answer, and the reference says when.
//!
//! A failing case is printed by proptest with its seed; add it as a unit test beside the
//! evaluator (or the loader) when it is a bug.

#[path = "common/fw_reference.rs"]
mod fw_reference;

use aks_preflight::eval::firewall;
use aks_preflight::eval::flow::{AppProto, Flow};
use aks_preflight::eval::{Destination, Protocol, Verdict};
use aks_preflight::input::terraform::hcl::{self, VarArgs};
use aks_preflight::input::{self, InputKind};
use aks_preflight::source::SourceMap;
use fw_reference::{IP_GROUPS, fw_item_contains, reference_fqdn_match, weighted};
use ipnet::{IpNet, Ipv4Net};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

/// The node subnet: 16 addresses, so that rules can cover part of it.
const NODES: &str = "10.0.0.0/28";
const RG: &str = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/hub";

// ---------------------------------------------------------------- what rules and flows hold

/// Source items of rules, weighted: rules that cover the whole subnet are common, so that
/// several collections match a flow and their order matters.
const SOURCES: &[(usize, &str)] = &[
    (6, "*"),
    (3, "10.0.0.0/16"),
    (1, "10.0.0.0/28"),
    (1, "10.0.0.8/29"),
    (1, "10.0.0.4/30"),
    (1, "10.0.0.3"),
    (1, "10.0.0.2-10.0.0.6"),
    (1, "192.168.0.0/24"),
];
/// Network-rule destination addresses: everything, public and private ranges.
const NET_DESTINATIONS: &[(usize, &str)] = &[
    (5, "*"),
    (1, "0.0.0.0/0"),
    (1, "20.0.0.0/8"),
    (1, "20.0.0.0/25"),
    (1, "52.1.1.1"),
    (1, "20.0.0.1-20.0.0.10"),
    (1, "10.0.0.0/8"),
    (1, "10.1.0.0/16"),
    (1, "192.168.1.0/24"),
    (1, "172.16.0.0/12"),
];
/// Service tags in network-rule destinations.
const NET_TAGS: &[&str] = &[
    "AzureCloud",
    "AzureCloud.westeurope",
    "Storage",
    "Storage.westeurope",
    "AzureContainerRegistry",
];
/// Network-rule FQDNs (exact names only: network rules take no wildcards).
const NET_FQDNS: &[&str] = &[
    "mcr.microsoft.com",
    "MCR.Microsoft.com",
    "a.example.com",
    "example.com",
];
const NET_PROTOCOLS: &[(usize, &str)] = &[(3, "Any"), (2, "TCP"), (1, "UDP"), (1, "ICMP")];
const NET_PORTS: &[(usize, &str)] = &[
    (5, "*"),
    (2, "443"),
    (1, "80-443"),
    (1, "1-1024"),
    (1, "8000-9000"),
    (1, "123"),
    (1, "53"),
];
const APP_PATTERNS: &[(usize, &str)] = &[
    (3, "*"),
    (1, "example.com"),
    (2, "*.example.com"),
    (1, "*.Example.COM"),
    (1, "a.example.com"),
    (1, "*.a.example.com"),
    (1, "mcr.microsoft.com"),
    (1, "*.microsoft.com"),
    (1, "contoso.com"),
];
/// FQDN tags of application rules.
const FQDN_TAGS: &[&str] = &["AzureKubernetesService", "WindowsUpdate"];
/// `protocolType:port` pairs of application rules.
const APP_PROTOCOLS: &[(usize, (&str, u16))] = &[
    (2, ("Http", 80)),
    (4, ("Https", 443)),
    (1, ("Https", 8443)),
    (1, ("Http", 8080)),
];
const HOSTS: &[&str] = &[
    "example.com",
    "a.example.com",
    "b.a.example.com",
    "mcr.microsoft.com",
    "www.contoso.com",
    "security.ubuntu.com",
];
/// Flow addresses, with the service tags the flow says its address is in.
const FLOW_IPS: &[(&str, &[&str])] = &[
    ("20.0.0.5", &[]),
    ("20.0.0.200", &["AzureCloud.westeurope"]),
    ("52.1.1.1", &["Storage.westeurope"]),
    ("52.1.1.1", &["Storage"]),
    ("8.8.8.8", &[]),
    ("10.1.2.3", &[]),
    ("192.168.1.7", &[]),
    ("172.16.5.5", &[]),
];
/// Node subnets of flows: [`NODES`] and parts of it.
const FLOW_SOURCES: &[(usize, &str)] = &[
    (3, NODES),
    (1, "10.0.0.0/30"),
    (1, "10.0.0.2/31"),
    (1, "10.0.0.2/32"),
    (1, "10.0.0.7/32"),
    (1, "10.0.0.8/29"),
];

// ---------------------------------------------------------------- the generated firewall

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
    Tag(&'static str),
}

#[derive(Debug, Clone)]
enum RuleSpec {
    Net {
        protocols: Vec<&'static str>,
        sources: Vec<Src>,
        destinations: Vec<Dst>,
        ports: Vec<&'static str>,
    },
    App {
        protocols: Vec<(&'static str, u16)>,
        sources: Vec<Src>,
        fqdns: Vec<&'static str>,
        tags: Vec<&'static str>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Net,
    App,
    Nat,
}

#[derive(Debug, Clone)]
struct CollSpec {
    kind: Kind,
    priority: u32,
    allow: bool,
    /// Empty for DNAT collections (they hold one fixed inbound rule).
    rules: Vec<RuleSpec>,
}

#[derive(Debug, Clone)]
struct FirewallSpec {
    collections: Vec<CollSpec>,
    /// `additionalProperties["Network.DNS.EnableProxy"]` (`None`: not set).
    dns_proxy: Option<bool>,
}

#[derive(Debug, Clone)]
struct FlowSpec {
    source: &'static str,
    host: Option<&'static str>,
    ip: Option<(&'static str, &'static [&'static str])>,
    tcp: bool,
    port: u16,
    app: Option<AppProto>,
}

fn sources() -> impl Strategy<Value = Vec<Src>> {
    let item = prop_oneof![
        3 => weighted(SOURCES).prop_map(Src::Addr),
        1 => (0..IP_GROUPS.len()).prop_map(Src::Group),
    ];
    prop::collection::vec(item, 1..3)
}

/// `host_world`: the flows are to host names; service tags then stay out of the rules (what a
/// host name's addresses are in is what the flow says, see the reference).
fn net_rule(host_world: bool) -> impl Strategy<Value = RuleSpec> {
    let tag_weight = if host_world { 0 } else { 1 };
    let dst = prop_oneof![
        4 => weighted(NET_DESTINATIONS).prop_map(Dst::Addr),
        1 => (0..IP_GROUPS.len()).prop_map(Dst::Group),
        2 => prop::sample::select(NET_FQDNS).prop_map(Dst::Fqdn),
        tag_weight => prop::sample::select(NET_TAGS).prop_map(Dst::Tag),
    ];
    (
        prop::collection::vec(weighted(NET_PROTOCOLS), 1..3),
        sources(),
        prop::collection::vec(dst, 1..3),
        prop::collection::vec(weighted(NET_PORTS), 1..3),
    )
        .prop_map(|(protocols, sources, destinations, ports)| RuleSpec::Net {
            protocols,
            sources,
            destinations,
            ports,
        })
}

/// Application rules name target FQDNs or FQDN tags, not both (the two parameter sets of
/// `New-AzFirewallApplicationRule`). A tag rule takes no protocols from its author: the cmdlet
/// stores HTTP and HTTPS on their default ports, and so does the generator.
fn app_rule() -> impl Strategy<Value = RuleSpec> {
    let by_fqdn = (
        prop::collection::vec(weighted(APP_PROTOCOLS), 1..3),
        prop::collection::vec(weighted(APP_PATTERNS), 1..3),
    )
        .prop_map(|(protocols, fqdns)| (protocols, fqdns, vec![]));
    let by_tag = prop::collection::vec(prop::sample::select(FQDN_TAGS), 1..3)
        .prop_map(|tags| (vec![("Http", 80), ("Https", 443)], vec![], tags));
    (prop_oneof![3 => by_fqdn, 1 => by_tag], sources()).prop_map(
        |((protocols, fqdns, tags), sources)| RuleSpec::App {
            protocols,
            sources,
            fqdns,
            tags,
        },
    )
}

fn collection(host_world: bool) -> impl Strategy<Value = CollSpec> {
    let kind = prop_oneof![4 => Just(Kind::Net), 4 => Just(Kind::App), 1 => Just(Kind::Nat)];
    // allow a little more often than deny, so that flows are reachable often enough
    let allow = weighted(&[(3, true), (2, false)]);
    (kind, 1u32..10, allow).prop_flat_map(move |(kind, p, allow)| {
        let rules = match kind {
            Kind::Net => prop::collection::vec(net_rule(host_world), 1..4).boxed(),
            Kind::App => prop::collection::vec(app_rule(), 1..4).boxed(),
            Kind::Nat => Just(vec![]).boxed(),
        };
        rules.prop_map(move |rules| CollSpec {
            kind,
            priority: p * 100,
            allow,
            rules,
        })
    })
}

fn firewall_spec(host_world: bool) -> impl Strategy<Value = FirewallSpec> {
    (
        prop::collection::vec(collection(host_world), 0..9),
        // one firewall in eight keeps collections of one type with equal priorities
        weighted(&[(7, false), (1, true)]),
        prop::sample::select(vec![None, Some(false), Some(true)]),
    )
        .prop_map(|(mut collections, ties, dns_proxy)| {
            if !ties {
                let mut seen = std::collections::HashSet::new();
                collections.retain(|c| seen.insert((c.kind, c.priority)));
            }
            FirewallSpec {
                collections,
                dns_proxy,
            }
        })
}

fn flow_spec(host_world: bool) -> BoxedStrategy<FlowSpec> {
    let to_host = (
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
        });
    let to_ip = (
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
        });
    let to = if host_world {
        to_host.boxed()
    } else {
        to_ip.boxed()
    };
    (to, weighted(FLOW_SOURCES))
        .prop_map(|(mut f, source)| {
            f.source = source;
            f
        })
        .boxed()
}

/// A firewall and a flow: both to host names, or both to addresses.
fn case() -> impl Strategy<Value = (FirewallSpec, FlowSpec)> {
    any::<bool>().prop_flat_map(|host_world| (firewall_spec(host_world), flow_spec(host_world)))
}

// ---------------------------------------------------------------- as ARM resources

fn group_id(i: usize) -> String {
    format!("{RG}/providers/Microsoft.Network/ipGroups/g{i}")
}

/// A rule's sources: its addresses and the indices of its IP groups.
fn split(sources: &[Src]) -> (Vec<&'static str>, Vec<usize>) {
    let addrs = sources
        .iter()
        .filter_map(|s| match s {
            Src::Addr(a) => Some(*a),
            Src::Group(_) => None,
        })
        .collect();
    let groups = sources
        .iter()
        .filter_map(|s| match s {
            Src::Group(i) => Some(*i),
            Src::Addr(_) => None,
        })
        .collect();
    (addrs, groups)
}

/// [`split`], the IP groups by their ARM ids.
fn split_ids(sources: &[Src]) -> (Vec<&'static str>, Vec<String>) {
    let (addrs, groups) = split(sources);
    (addrs, groups.into_iter().map(group_id).collect())
}

fn arm_rule(name: String, r: &RuleSpec) -> Value {
    match r {
        RuleSpec::Net {
            protocols,
            sources,
            destinations,
            ports,
        } => {
            let (source_addresses, source_groups) = split_ids(sources);
            let (mut addrs, mut groups, mut fqdns) = (vec![], vec![], vec![]);
            for d in destinations {
                match d {
                    // service tags are written among the destination addresses
                    Dst::Addr(a) | Dst::Tag(a) => addrs.push(a.to_string()),
                    Dst::Group(i) => groups.push(group_id(*i)),
                    Dst::Fqdn(f) => fqdns.push(f.to_string()),
                }
            }
            json!({
                "name": name,
                "protocols": protocols,
                "sourceAddresses": source_addresses,
                "sourceIpGroups": source_groups,
                "destinationAddresses": addrs,
                "destinationIpGroups": groups,
                "destinationFqdns": fqdns,
                "destinationPorts": ports,
            })
        }
        RuleSpec::App {
            protocols,
            sources,
            fqdns,
            tags,
        } => {
            let (source_addresses, source_groups) = split_ids(sources);
            json!({
                "name": name,
                "protocols": protocols
                    .iter()
                    .map(|(t, p)| json!({ "protocolType": t, "port": p }))
                    .collect::<Vec<_>>(),
                "sourceAddresses": source_addresses,
                "sourceIpGroups": source_groups,
                "targetFqdns": fqdns,
                "fqdnTags": tags,
            })
        }
    }
}

/// A DNAT rule: inbound HTTPS to the firewall's public address, to a private server.
fn arm_dnat_rule(name: String) -> Value {
    json!({
        "name": name,
        "protocols": ["TCP"],
        "sourceAddresses": ["*"],
        "destinationAddresses": ["20.50.1.10"],
        "destinationPorts": ["443"],
        "translatedAddress": "10.0.5.4",
        "translatedPort": "443",
    })
}

/// The firewall and its IP groups, as a REST list body.
fn arm_document(fw: &FirewallSpec) -> String {
    let mut by_kind: [Vec<Value>; 3] = [vec![], vec![], vec![]];
    for (ci, c) in fw.collections.iter().enumerate() {
        let rules: Vec<Value> = match c.kind {
            Kind::Nat => vec![arm_dnat_rule(format!("c{ci}r0"))],
            _ => c
                .rules
                .iter()
                .enumerate()
                .map(|(ri, r)| arm_rule(format!("c{ci}r{ri}"), r))
                .collect(),
        };
        let (slot, action) = match c.kind {
            Kind::Net => (0, if c.allow { "Allow" } else { "Deny" }),
            Kind::App => (1, if c.allow { "Allow" } else { "Deny" }),
            Kind::Nat => (2, "Dnat"),
        };
        by_kind[slot].push(json!({
            "name": format!("c{ci}"),
            "id": format!("{RG}/providers/Microsoft.Network/azureFirewalls/hub/ruleCollections/c{ci}"),
            "properties": {
                "priority": c.priority,
                "action": { "type": action },
                "rules": rules,
            },
        }));
    }
    let [net, app, nat] = by_kind;
    let mut additional = serde_json::Map::new();
    if let Some(on) = fw.dns_proxy {
        additional.insert("Network.DNS.EnableProxy".into(), json!(on.to_string()));
    }
    let mut resources: Vec<Value> = IP_GROUPS
        .iter()
        .enumerate()
        .map(|(i, addrs)| {
            json!({
                "id": group_id(i),
                "name": format!("g{i}"),
                "type": "Microsoft.Network/ipGroups",
                "location": "westeurope",
                "properties": { "ipAddresses": addrs },
            })
        })
        .collect();
    resources.push(json!({
        "id": format!("{RG}/providers/Microsoft.Network/azureFirewalls/hub"),
        "name": "hub",
        "type": "Microsoft.Network/azureFirewalls",
        "location": "westeurope",
        "properties": {
            "sku": { "name": "AZFW_VNet", "tier": "Standard" },
            "threatIntelMode": "Alert",
            "additionalProperties": additional,
            "networkRuleCollections": net,
            "applicationRuleCollections": app,
            "natRuleCollections": nat,
        },
    }));
    serde_json::to_string_pretty(&json!({ "value": resources })).unwrap()
}

// ---------------------------------------------------------------- as Terraform configuration

/// `["a", "b"]`
fn hcl_list<S: AsRef<str>>(items: &[S]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("{:?}", s.as_ref())).collect();
    format!("[{}]", quoted.join(", "))
}

/// IP group references as written in a configuration: `[azurerm_ip_group.g1.id]`.
fn hcl_group_refs(groups: impl Iterator<Item = usize>) -> String {
    let refs: Vec<String> = groups
        .map(|i| format!("azurerm_ip_group.g{i}.id"))
        .collect();
    format!("[{}]", refs.join(", "))
}

fn hcl_rule(name: String, r: &RuleSpec) -> String {
    let mut out = format!("  rule {{\n    name = {name:?}\n");
    let mut attr = |k: &str, v: String| out.push_str(&format!("    {k} = {v}\n"));
    match r {
        RuleSpec::Net {
            protocols,
            sources,
            destinations,
            ports,
        } => {
            let (addrs, groups) = split(sources);
            let (mut dst, mut dst_groups, mut fqdns) = (vec![], vec![], vec![]);
            for d in destinations {
                match d {
                    Dst::Addr(a) | Dst::Tag(a) => dst.push(*a),
                    Dst::Group(i) => dst_groups.push(*i),
                    Dst::Fqdn(f) => fqdns.push(*f),
                }
            }
            attr("protocols", hcl_list(protocols));
            attr("destination_ports", hcl_list(ports));
            if !addrs.is_empty() {
                attr("source_addresses", hcl_list(&addrs));
            }
            if !groups.is_empty() {
                attr("source_ip_groups", hcl_group_refs(groups.into_iter()));
            }
            if !dst.is_empty() {
                attr("destination_addresses", hcl_list(&dst));
            }
            if !dst_groups.is_empty() {
                attr(
                    "destination_ip_groups",
                    hcl_group_refs(dst_groups.into_iter()),
                );
            }
            if !fqdns.is_empty() {
                attr("destination_fqdns", hcl_list(&fqdns));
            }
        }
        RuleSpec::App {
            protocols,
            sources,
            fqdns,
            tags,
        } => {
            let (addrs, groups) = split(sources);
            if !addrs.is_empty() {
                attr("source_addresses", hcl_list(&addrs));
            }
            if !groups.is_empty() {
                attr("source_ip_groups", hcl_group_refs(groups.into_iter()));
            }
            if !fqdns.is_empty() {
                attr("target_fqdns", hcl_list(fqdns));
            }
            if !tags.is_empty() {
                attr("fqdn_tags", hcl_list(tags));
            }
            for (t, port) in protocols {
                out.push_str(&format!(
                    "    protocol {{\n      type = {t:?}\n      port = {port}\n    }}\n"
                ));
            }
        }
    }
    out.push_str("  }\n");
    out
}

/// The firewall, its IP groups and one `azurerm_firewall_*_rule_collection` resource per
/// collection, attached by `azure_firewall_name` (a reference to the firewall's name).
fn hcl_configuration(fw: &FirewallSpec) -> String {
    let mut out = String::new();
    for (i, addrs) in IP_GROUPS.iter().enumerate() {
        out.push_str(&format!(
            "resource \"azurerm_ip_group\" \"g{i}\" {{\n  name                = \"g{i}\"\n  location            = \"westeurope\"\n  resource_group_name = \"hub\"\n  cidrs               = {}\n}}\n\n",
            hcl_list(addrs)
        ));
    }
    out.push_str(
        "resource \"azurerm_firewall\" \"hub\" {\n  name                = \"hub\"\n  location            = \"westeurope\"\n  resource_group_name = \"hub\"\n  sku_name            = \"AZFW_VNet\"\n  sku_tier            = \"Standard\"\n",
    );
    if let Some(on) = fw.dns_proxy {
        out.push_str(&format!("  dns_proxy_enabled   = {on}\n"));
    }
    out.push_str("}\n\n");
    for (ci, c) in fw.collections.iter().enumerate() {
        let (rtype, action) = match c.kind {
            Kind::Net => ("network", if c.allow { "Allow" } else { "Deny" }),
            Kind::App => ("application", if c.allow { "Allow" } else { "Deny" }),
            Kind::Nat => ("nat", "Dnat"),
        };
        out.push_str(&format!(
            "resource \"azurerm_firewall_{rtype}_rule_collection\" \"c{ci}\" {{\n  name                = \"c{ci}\"\n  azure_firewall_name = azurerm_firewall.hub.name\n  resource_group_name = \"hub\"\n  priority            = {}\n  action              = \"{action}\"\n",
            c.priority
        ));
        match c.kind {
            Kind::Nat => out.push_str(&format!(
                "  rule {{\n    name                  = \"c{ci}r0\"\n    protocols             = [\"TCP\"]\n    source_addresses      = [\"*\"]\n    destination_addresses = [\"20.50.1.10\"]\n    destination_ports     = [\"443\"]\n    translated_address    = \"10.0.5.4\"\n    translated_port       = 443\n  }}\n"
            )),
            _ => {
                for (ri, r) in c.rules.iter().enumerate() {
                    out.push_str(&hcl_rule(format!("c{ci}r{ri}"), r));
                }
            }
        }
        out.push_str("}\n\n");
    }
    out
}

// ---------------------------------------------------------------- the reference
//
// Microsoft, "Azure Firewall rule processing logic"
// (https://learn.microsoft.com/azure/firewall/rule-processing), classic rules:
//
// * "The firewall processes rule collections in priority order by rule type, from lower numbers
//   to higher numbers (100 to 65,000)"; "the rules are terminating, so rule processing stops on
//   a match"; by default the firewall "denies all traffic".
// * DNAT (NAT) rules are applied before network rules, to inbound traffic addressed to the
//   firewall's public address: an egress flow to another address never matches them.
// * Outbound: network rules are applied in priority order before application rules; if a
//   network rule matches, no other rule is processed; if none does and the traffic is
//   HTTP/HTTPS, the application rules are evaluated in priority order; then the
//   infrastructure rule collection (not modelled: none of these flows is for it); then
//   default deny.
//
// Within a collection rules have no order: a collection matches when any of its rules does,
// and applies its action. The documentation gives no order to collections of one type with
// equal priorities: any of them may be processed first.
//
// What one rule matches (three-valued: yes, no, or not knowable from the configuration):
//
// * Network rules: protocol (Any, TCP, UDP; ICMP matches no TCP/UDP flow), destination port,
//   source (addresses, CIDRs, ranges, IP groups), destination:
//   - addresses, CIDRs, ranges and IP groups: against a flow to an address, by containment;
//     against a flow to a host name, whose addresses are public and not known statically:
//     `*` and `0.0.0.0/0` hold them, a private range never does, any other range may;
//   - service tags (drawn for flows to addresses only): a flow says which tags its address is
//     known to be in (a regional tag `Storage.westeurope` is part of `Storage`); a private
//     address is in no service tag; any other public address may be in a tag (the tags'
//     contents change weekly and are not read);
//   - FQDNs need DNS proxy (https://learn.microsoft.com/azure/firewall/fqdn-filtering-network-rules):
//     without it they match nothing; with it a name matches a flow to that exact name
//     (case-insensitively), and a flow to an address when the name resolves to it, which is
//     not known statically.
// * Application rules: only HTTP/HTTPS (flows that carry an application protocol), on the
//   protocol:port pairs they list; target FQDNs as in the FAQ (see `reference_fqdn_match`);
//   FQDN tags by their documented contents: `AzureKubernetesService` holds the FQDNs of
//   "Outbound network and FQDN rules for AKS clusters"
//   (https://learn.microsoft.com/azure/aks/outbound-rules-control-egress): the required ones
//   (mcr.microsoft.com) are in it, whether the optional OS-update names (security.ubuntu.com)
//   are is not stated, and names of no AKS list are taken as not in it (the page lists what
//   the tag is for; this is a reading, the same one the product's tag catalogue records as
//   `exhaustive`); the contents of `WindowsUpdate` are not published name by name, so any name
//   may be in it.
//
// A node address is allowed when every way the unknowns can fall allows it, denied when every
// way denies it, unknown otherwise. The subnet is blocked when any of its addresses is denied
// (a node anywhere in it fails), reachable when all are allowed, unknown otherwise.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tri {
    No,
    Maybe,
    Yes,
}

fn any_tri(items: impl IntoIterator<Item = Tri>) -> Tri {
    items.into_iter().fold(Tri::No, |a, b| match (a, b) {
        (Tri::Yes, _) | (_, Tri::Yes) => Tri::Yes,
        (Tri::Maybe, _) | (_, Tri::Maybe) => Tri::Maybe,
        _ => Tri::No,
    })
}

fn tri(b: bool) -> Tri {
    if b { Tri::Yes } else { Tri::No }
}

fn is_private(ip: Ipv4Addr) -> bool {
    ip.is_private()
}

/// Is every address of the range a private one (10/8, 172.16/12, 192.168/16)?
fn range_is_private(item: &str) -> bool {
    let (lo, hi) = match item.split_once('-') {
        Some((a, b)) => (a.parse().unwrap(), b.parse().unwrap()),
        None => match item.parse::<Ipv4Net>() {
            Ok(n) => (n.network(), n.broadcast()),
            Err(_) => {
                let a: Ipv4Addr = item.parse().unwrap();
                (a, a)
            }
        },
    };
    ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
        .iter()
        .any(|p| {
            let n: Ipv4Net = p.parse().unwrap();
            n.contains(&lo) && n.contains(&hi)
        })
}

/// A destination address item of a network rule against the flow's destination.
fn dest_item(item: &str, f: &FlowSpec) -> Tri {
    match (f.host, f.ip) {
        (_, Some((ip, _))) => tri(fw_item_contains(item, ip.parse().unwrap())),
        (Some(_), None) if item == "*" || item == "0.0.0.0/0" => Tri::Yes,
        (Some(_), None) if range_is_private(item) => Tri::No,
        (Some(_), None) => Tri::Maybe,
        (None, None) => unreachable!("a flow has a destination"),
    }
}

fn service_tag(tag: &str, f: &FlowSpec) -> Tri {
    let Some((ip, tags)) = f.ip else {
        unreachable!("service tags are drawn for flows to addresses only")
    };
    let t = tag.to_ascii_lowercase();
    let known_in = tags.iter().any(|ft| {
        let ft = ft.to_ascii_lowercase();
        ft == t || ft.starts_with(&format!("{t}."))
    });
    if known_in {
        Tri::Yes
    } else if is_private(ip.parse().unwrap()) {
        Tri::No
    } else {
        Tri::Maybe
    }
}

fn fqdn_tag(tag: &str, host: &str) -> Tri {
    match (tag, host) {
        ("AzureKubernetesService", "mcr.microsoft.com") => Tri::Yes,
        ("AzureKubernetesService", "security.ubuntu.com") => Tri::Maybe,
        ("AzureKubernetesService", _) => Tri::No,
        _ => Tri::Maybe,
    }
}

fn port_item(item: &str, port: u16) -> bool {
    match item.split_once('-') {
        _ if item == "*" => true,
        Some((lo, hi)) => lo.parse::<u16>().unwrap() <= port && port <= hi.parse().unwrap(),
        None => item.parse::<u16>().unwrap() == port,
    }
}

fn source_ok(sources: &[Src], src: Ipv4Addr) -> bool {
    sources.iter().any(|s| match s {
        Src::Addr(a) => fw_item_contains(a, src),
        Src::Group(i) => IP_GROUPS[*i].iter().any(|a| fw_item_contains(a, src)),
    })
}

fn rule_matches(r: &RuleSpec, fw: &FirewallSpec, f: &FlowSpec, src: Ipv4Addr) -> Tri {
    match r {
        RuleSpec::Net {
            protocols,
            sources,
            destinations,
            ports,
        } => {
            let proto = protocols.iter().any(|p| match *p {
                "Any" => true,
                "TCP" => f.tcp,
                "UDP" => !f.tcp,
                _ => false,
            });
            let port = ports.iter().any(|p| port_item(p, f.port));
            if !(proto && port && source_ok(sources, src)) {
                return Tri::No;
            }
            let dns_proxy = fw.dns_proxy == Some(true);
            any_tri(destinations.iter().map(|d| match d {
                Dst::Addr(a) => dest_item(a, f),
                Dst::Group(i) => any_tri(IP_GROUPS[*i].iter().map(|a| dest_item(a, f))),
                Dst::Tag(t) => service_tag(t, f),
                Dst::Fqdn(_) if !dns_proxy => Tri::No,
                Dst::Fqdn(name) => match f.host {
                    Some(h) => tri(name.eq_ignore_ascii_case(h)),
                    None => Tri::Maybe,
                },
            }))
        }
        RuleSpec::App {
            protocols,
            sources,
            fqdns,
            tags,
        } => {
            let (Some(app), Some(host)) = (f.app, f.host) else {
                return Tri::No;
            };
            let scheme = if app == AppProto::Https {
                "Https"
            } else {
                "Http"
            };
            if !(f.tcp && protocols.contains(&(scheme, f.port)) && source_ok(sources, src)) {
                return Tri::No;
            }
            any_tri(
                fqdns
                    .iter()
                    .map(|p| tri(reference_fqdn_match(p, host)))
                    .chain(tags.iter().map(|t| fqdn_tag(t, host))),
            )
        }
    }
}

/// The verdict for one node address: the actions of every collection that can be the first
/// to match, in the documented order, and the default deny when none may match.
fn reference_verdict(fw: &FirewallSpec, f: &FlowSpec, src: Ipv4Addr) -> Verdict {
    let mut actions: BTreeSet<bool> = BTreeSet::new();
    let mut kinds = vec![Kind::Net];
    if f.app.is_some() {
        kinds.push(Kind::App); // application rules see HTTP/HTTPS only
    }
    'processing: {
        for kind in kinds {
            let priorities: BTreeSet<u32> = fw
                .collections
                .iter()
                .filter(|c| c.kind == kind)
                .map(|c| c.priority)
                .collect();
            for p in priorities {
                // collections of one priority: any of them may come first
                let mut decided = false;
                for c in fw
                    .collections
                    .iter()
                    .filter(|c| c.kind == kind && c.priority == p)
                {
                    match any_tri(c.rules.iter().map(|r| rule_matches(r, fw, f, src))) {
                        Tri::No => {}
                        Tri::Maybe => {
                            actions.insert(c.allow);
                        }
                        Tri::Yes => {
                            actions.insert(c.allow);
                            decided = true;
                        }
                    }
                }
                if decided {
                    break 'processing;
                }
            }
        }
        actions.insert(false); // default deny
    }
    match (actions.contains(&true), actions.contains(&false)) {
        (true, false) => Verdict::Reachable,
        (false, true) => Verdict::Blocked,
        _ => Verdict::Unknown,
    }
}

fn reference_subnet_verdict(fw: &FirewallSpec, f: &FlowSpec) -> Verdict {
    let nodes: Ipv4Net = f.source.parse().unwrap();
    let verdicts: BTreeSet<Verdict> = (u32::from(nodes.network())..=u32::from(nodes.broadcast()))
        .map(|a| reference_verdict(fw, f, Ipv4Addr::from(a)))
        .collect();
    if verdicts.contains(&Verdict::Blocked) {
        Verdict::Blocked
    } else if verdicts.contains(&Verdict::Unknown) {
        Verdict::Unknown
    } else {
        Verdict::Reachable
    }
}

// ---------------------------------------------------------------- the property

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn classic_firewall_matches_the_documented_processing_order(
        (fw, f) in case(),
    ) {
        let flow = Flow {
            source_prefixes: vec![f.source.parse::<IpNet>().unwrap()],
            destination: match (f.host, f.ip) {
                (Some(h), _) => Destination::Host(h.to_string()),
                (None, Some((ip, _))) => Destination::Ip(ip.parse().unwrap()),
                (None, None) => unreachable!("a flow has a destination"),
            },
            destination_tags: f.ip.map_or(vec![], |(_, tags)| {
                tags.iter().map(|t| t.to_string()).collect()
            }),
            protocol: if f.tcp { Protocol::Tcp } else { Protocol::Udp },
            port: f.port,
            app_protocol: f.app,
        };
        let expected = reference_subnet_verdict(&fw, &f);

        // the firewall as Azure returns it (ARM), read as `check` reads ARM files
        let mut sources = SourceMap::new();
        let (kind, model) =
            input::load(&mut sources, "firewall.json", arm_document(&fw)).expect("loads");
        prop_assert_eq!(kind, InputKind::ArmResources);
        prop_assert_eq!(model.firewalls.len(), 1);
        prop_assert!(model.firewalls[0].policy.is_absent(), "classic rules: no policy");
        let d = firewall::evaluate(&model, &model.firewalls[0], &flow);
        prop_assert_eq!(d.verdict, expected, "ARM: {}", d.reason);

        // the same firewall as a Terraform configuration, its collections separate resources
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.tf"), hcl_configuration(&fw)).unwrap();
        let mut sources = SourceMap::new();
        let model = hcl::load(&mut sources, dir.path(), &VarArgs::default()).expect("loads");
        prop_assert_eq!(model.firewalls.len(), 1);
        prop_assert_eq!(model.firewalls[0].collections.len(), fw.collections.len());
        let d = firewall::evaluate(&model, &model.firewalls[0], &flow);
        prop_assert_eq!(d.verdict, expected, "Terraform: {}", d.reason);
    }
}
