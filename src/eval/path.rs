//! The egress path from a node subnet to a destination: NSG -> route -> next hop (internet
//! egress / NAT gateway / load balancer / firewall / appliance / gateway / peering) -> verdict.

use super::flow::{Destination, Flow};
use super::nsg::{self, NsgContext, NsgDecision};
use super::return_path::{self, Via};
use super::routing::{self, EffectiveRoute, NextHop, RouteSource, SystemKind};
use super::{Verdict, firewall, servicetags};
use crate::model::{
    Firewall, IpSymbol, Known, Model, OutboundType, Peering, Ref, Subnet, VirtualNetwork,
};
use crate::source::Origin;
use ipnet::IpNet;
use serde::Serialize;
use std::net::IpAddr;

/// Kinds of hop shown in traces (`explain`, JSON `path`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HopKind {
    Subnet,
    NsgRule,
    Route,
    Peering,
    Firewall,
    FirewallRule,
    Appliance,
    Gateway,
    NatGateway,
    LoadBalancer,
    PublicIp,
    Internet,
    Destination,
    Dns,
    /// The cluster's HTTP proxy, which HTTP(S) flows go to.
    Proxy,
    /// The way back from a private destination to the nodes.
    Return,
}

/// One step of a path.
#[derive(Debug, Clone, Serialize)]
pub struct Hop {
    pub kind: HopKind,
    /// One line, naming the element by its address (`azurerm_network_security_group.nodes rule
    /// deny-internet (priority 100, Deny)`).
    pub description: String,
    /// Where the element is written, when it comes from an input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    /// Verdict contributed by this hop, when it decided something.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
}

impl Hop {
    pub fn new(kind: HopKind, description: impl Into<String>, origin: Option<Origin>) -> Self {
        Hop {
            kind,
            description: description.into(),
            origin,
            verdict: None,
        }
    }
    pub fn with_verdict(mut self, v: Verdict) -> Self {
        self.verdict = Some(v);
        self
    }
}

/// The element responsible for a blocked or unknown verdict: what a finding points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Cause {
    /// An NSG rule (custom, or a default rule when `rule_name` starts with a default rule name)
    /// denied the flow.
    NsgRule {
        nsg: String,
        rule_name: String,
        priority: u32,
        default_rule: bool,
    },
    /// The NSG's rule set is unknown or a rule could not be decided.
    NsgUndecided { nsg: String, detail: String },
    /// A route sends the flow to `None` (dropped).
    RouteBlackhole {
        route_table: String,
        route_name: String,
        system: bool,
    },
    /// Next hop `VirtualNetworkGateway` (forced tunnelling / BGP): outside what we can see.
    GatewayNextHop {
        route_table: Option<String>,
        route_name: String,
    },
    /// Next hop IP owned by nothing known (third-party NVA), or unknown.
    UnknownAppliance {
        route_table: String,
        route_name: String,
        next_hop: String,
    },
    /// The firewall hop could not be decided (rules unknown, or firewall evaluation unavailable).
    FirewallUndecided { firewall: String, detail: String },
    /// The firewall denied the flow (explicit deny rule, or no allow rule: default deny).
    FirewallDenied {
        firewall: String,
        rule: Option<String>,
        detail: String,
    },
    /// Peering missing or not allowing the traffic.
    Peering {
        peering: Option<String>,
        detail: String,
    },
    /// No peering from `local` to `remote` is in the inputs, but `local` exists already and
    /// another configuration may manage its peerings: whether one exists is not known.
    PeeringNotInInputs { local: String, remote: String },
    /// No SNAT path to the internet (no public IP, NAT gateway, LB outbound rule or default
    /// outbound access).
    NoInternetEgress { subnet: String, detail: String },
    /// The subnet (or its prefixes, NSG, route table...) is not known.
    SubnetUndecided { subnet: String, detail: String },
    /// The route for the flow cannot be chosen (unknown route prefixes or next hops, a public
    /// CIDR route that may contain a host name's addresses).
    RouteUndecided {
        route_table: Option<String>,
        detail: String,
    },
    /// The flow goes through the cluster's HTTP proxy, which is reached, and what the proxy
    /// lets through is not known (no attestation in the config).
    ProxyUnattested { proxy: String },
    /// The proxy's attestation in the config allows none of this.
    ProxyDenies { proxy: String },
    /// The proxy's address is not known (a host name, or a URL that does not parse).
    ProxyAddressUnknown { proxy: String, detail: String },
    /// The flow may go through the proxy or straight (AKS's own no-proxy values are not
    /// documented), and the two paths end differently.
    ProxyBypassUndecided { proxy: String, detail: String },
    /// The reply of a private destination cannot come back (or its way back is undecided):
    /// `subnet` is the destination's subnet, whose routes carry the reply.
    ReturnPath { subnet: String, detail: String },
    /// Anything else; the reason says it.
    Other { detail: String },
}

#[derive(Debug, Clone, Serialize)]
pub struct PathResult {
    pub verdict: Verdict,
    /// One sentence: why this verdict.
    pub reason: String,
    pub hops: Vec<Hop>,
    /// Set when the verdict is `Blocked` or `Unknown`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
    /// Origin of the element in `cause` (for the finding's primary label).
    #[serde(skip)]
    pub cause_origin: Option<Origin>,
}

/// What the path evaluation needs to know about the node pool besides the flow.
#[derive(Debug, Clone)]
pub struct EgressContext<'a> {
    pub cluster: &'a crate::model::Cluster,
    pub pool: &'a crate::model::NodePool,
    pub subnet: &'a crate::model::Subnet,
}

// ---------------------------------------------------------------- evaluation

/// A definite or undecided stop on the path (boxed: it travels in `Err`).
type Stop = Box<StopData>;

struct StopData {
    verdict: Verdict,
    reason: String,
    cause: Cause,
    origin: Option<Origin>,
}

impl StopData {
    fn blocked(reason: String, cause: Cause, origin: Option<Origin>) -> Stop {
        Box::new(StopData {
            verdict: Verdict::Blocked,
            reason,
            cause,
            origin,
        })
    }
    fn unknown(reason: String, cause: Cause, origin: Option<Origin>) -> Stop {
        Box::new(StopData {
            verdict: Verdict::Unknown,
            reason,
            cause,
            origin,
        })
    }
}

/// The path being built: hops, the first undecided step (evaluation goes on past it, so that a
/// definite block further on still wins), and the fragments of the final sentence.
struct Trace {
    hops: Vec<Hop>,
    pending: Option<Stop>,
    said: Vec<String>,
}

impl Trace {
    fn hop(&mut self, kind: HopKind, desc: impl Into<String>, origin: Option<Origin>) {
        self.hops.push(Hop::new(kind, desc, origin));
    }
    fn hop_v(
        &mut self,
        kind: HopKind,
        desc: impl Into<String>,
        origin: Option<Origin>,
        v: Verdict,
    ) {
        self.hops.push(Hop::new(kind, desc, origin).with_verdict(v));
    }
    /// Set the verdict of the last hop (the element that decided).
    fn mark_last(&mut self, v: Verdict) {
        if let Some(h) = self.hops.last_mut() {
            h.verdict = Some(v);
        }
    }
    fn defer(&mut self, s: Stop) {
        if self.pending.is_none() {
            self.pending = Some(s);
        }
    }
    fn finish(self, end: Result<String, Stop>, what: &str) -> PathResult {
        match end {
            Err(stop) if stop.verdict == Verdict::Blocked => PathResult {
                verdict: Verdict::Blocked,
                reason: stop.reason,
                hops: self.hops,
                cause: Some(stop.cause),
                cause_origin: stop.origin,
            },
            Err(stop) => {
                let s = self.pending.unwrap_or(stop);
                PathResult {
                    verdict: Verdict::Unknown,
                    reason: s.reason,
                    hops: self.hops,
                    cause: Some(s.cause),
                    cause_origin: s.origin,
                }
            }
            Ok(last) => match self.pending {
                Some(s) => PathResult {
                    verdict: Verdict::Unknown,
                    reason: s.reason,
                    hops: self.hops,
                    cause: Some(s.cause),
                    cause_origin: s.origin,
                },
                None => {
                    let mut parts = self.said;
                    parts.push(last);
                    PathResult {
                        verdict: Verdict::Reachable,
                        reason: format!("{what} is reachable: {}", parts.join("; ")),
                        hops: self.hops,
                        cause: None,
                        cause_origin: None,
                    }
                }
            },
        }
    }
}

fn nets(v: &[IpNet]) -> String {
    v.iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Add the hops of an NSG decision and turn it into a stop when it does not allow.
fn nsg_hops(
    t: &mut Trace,
    d: &NsgDecision,
    nsg: &crate::model::Nsg,
    inbound: bool,
) -> Option<Stop> {
    let dir = if inbound { "inbound" } else { "outbound" };
    for u in &d.undecided {
        t.hop_v(
            HopKind::NsgRule,
            format!("{} may match ({dir}): {}", u.rule.describe(), u.reason),
            Some(u.rule.origin.clone()),
            Verdict::Unknown,
        );
    }
    match &d.deciding {
        Some(r) => t.hop_v(
            HopKind::NsgRule,
            format!("{} ({dir})", r.describe()),
            Some(r.origin.clone()),
            d.verdict,
        ),
        None => t.hop_v(
            HopKind::NsgRule,
            format!("{} ({dir}): {}", nsg.meta.address(), d.reason),
            Some(nsg.meta.origin.clone()),
            d.verdict,
        ),
    }
    match d.verdict {
        Verdict::Reachable => None,
        Verdict::Blocked => {
            let r = d.deciding.as_ref();
            Some(StopData::blocked(
                d.reason.clone(),
                Cause::NsgRule {
                    nsg: nsg.meta.address().to_string(),
                    rule_name: r.map(|r| r.name.clone()).unwrap_or_default(),
                    priority: r.and_then(|r| r.priority).unwrap_or(0),
                    default_rule: r.is_some_and(|r| r.default_rule),
                },
                r.map(|r| r.origin.clone()),
            ))
        }
        Verdict::Unknown => Some(StopData::unknown(
            d.reason.clone(),
            Cause::NsgUndecided {
                nsg: nsg.meta.address().to_string(),
                detail: d.reason.clone(),
            },
            d.undecided
                .first()
                .map(|u| u.rule.origin.clone())
                .or_else(|| Some(nsg.meta.origin_of("rules").clone())),
        )),
    }
}

/// Outcome of the NSG of `subnet` (outbound for the node subnet, inbound for a destination).
/// `Ok(fragment)` when allowed; a stop otherwise.
fn subnet_nsg(
    model: &Model,
    t: &mut Trace,
    subnet: &Subnet,
    flow: &Flow,
    location: Option<&str>,
    inbound: bool,
) -> Result<String, Stop> {
    let saddr = subnet.meta.address();
    let role = if inbound {
        "destination subnet"
    } else {
        "node subnet"
    };
    match &subnet.nsg {
        Known::Absent => {
            t.hop(
                HopKind::NsgRule,
                format!("no NSG is associated with {role} {saddr}"),
                Some(subnet.meta.origin.clone()),
            );
            Ok(format!("no NSG on {role} {saddr}"))
        }
        Known::Unknown(why) => Err(StopData::unknown(
            format!(
                "the NSG association of {role} {saddr} is not known ({why}), so its rules cannot \
                 be checked"
            ),
            Cause::SubnetUndecided {
                subnet: saddr.to_string(),
                detail: format!("NSG association not known: {why}"),
            },
            Some(subnet.meta.origin_of("nsg").clone()),
        )),
        Known::Known(r) => {
            let Some(nsg) = model.nsg(r) else {
                return Err(StopData::unknown(
                    format!(
                        "{role} {saddr} uses NSG {r}, which is not in the input, so its rules \
                         cannot be checked"
                    ),
                    Cause::NsgUndecided {
                        nsg: r.display(),
                        detail: "the NSG is not in the input".into(),
                    },
                    Some(subnet.meta.origin_of("nsg").clone()),
                ));
            };
            let ctx = NsgContext::for_subnet(model, subnet, location);
            let d = if inbound {
                nsg::evaluate_inbound(nsg, flow, &ctx)
            } else {
                nsg::evaluate_outbound(nsg, flow, &ctx)
            };
            match nsg_hops(t, &d, nsg, inbound) {
                None => Ok(match &d.deciding {
                    Some(r) => format!(
                        "{} by {}",
                        if inbound {
                            "allowed inbound"
                        } else {
                            "allowed outbound"
                        },
                        r.describe()
                    ),
                    None => d.reason.clone(),
                }),
                Some(stop) => Err(stop),
            }
        }
    }
}

/// The VNet reference of a subnet, and the element when in the model.
fn vnet_of_subnet<'a>(model: &'a Model, s: &Subnet) -> (Option<Ref>, Option<&'a VirtualNetwork>) {
    let r = s.vnet.known().cloned();
    let v = r.as_ref().and_then(|r| model.vnet(r));
    (r, v)
}

/// The VNet of a firewall (through its subnet).
fn firewall_vnet(model: &Model, fw: &Firewall) -> Result<Ref, String> {
    match &fw.subnet {
        Known::Known(sr) => {
            if let Some(s) = model.subnet(sr) {
                return s.vnet.known().cloned().ok_or_else(|| {
                    format!(
                        "the VNet of firewall subnet {} is not known",
                        s.meta.address()
                    )
                });
            }
            match sr {
                Ref::Id(id) => id.parent().map(Ref::Id).ok_or_else(|| {
                    format!("the VNet of firewall subnet {sr} cannot be derived from its id")
                }),
                Ref::Key(_) => Err(format!("firewall subnet {sr} is not in the input")),
            }
        }
        Known::Unknown(why) => Err(format!(
            "the subnet of firewall {} is not known ({why})",
            fw.meta.address()
        )),
        Known::Absent => Err(format!(
            "firewall {} sits in a virtual hub; the VNet's hub connection is not modelled",
            fw.meta.address()
        )),
    }
}

/// A VNet as named in messages: its address when it is in the model, else the reference.
fn vnet_name(model: &Model, r: &Ref) -> String {
    model
        .vnet(r)
        .map_or_else(|| r.display(), |v| v.meta.address().to_string())
}

fn find_peering<'a>(model: &'a Model, local: &Ref, remote: &Ref) -> Option<&'a Peering> {
    routing::find_peering(model, local, remote, None)
}

/// Check that spoke <-> hub peering carries traffic to an appliance in the hub and its return.
fn check_hub_peering(model: &Model, t: &mut Trace, spoke: &Ref, hub: &Ref) -> Result<(), Stop> {
    let s2h = find_peering(model, spoke, hub);
    let h2s = find_peering(model, hub, spoke);
    let peer_cause = |p: Option<&Peering>, detail: &str| Cause::Peering {
        peering: p.map(|p| p.meta.address().to_string()),
        detail: detail.to_string(),
    };
    for (p, local, remote) in [(s2h, spoke, hub), (h2s, hub, spoke)] {
        let Some(p) = p else {
            let detail = format!("there is no peering from {local} to {remote}");
            match model
                .vnet(local)
                .map(|v| (v, v.meta.children_unlisted("peerings")))
            {
                Some((v, None)) => {
                    return Err(StopData::blocked(
                        format!(
                            "{detail}; the next hop is in {hub}, and a peering carries traffic \
                             only when both sides exist"
                        ),
                        peer_cause(None, &detail),
                        Some(v.meta.origin.clone()),
                    ));
                }
                Some((v, Some(why))) => {
                    let (l, r) = (vnet_name(model, local), vnet_name(model, remote));
                    return Err(StopData::unknown(
                        format!(
                            "no peering from {l} to {r} is in the inputs, but {why}: such a \
                             peering would carry the traffic to the next hop in {}",
                            vnet_name(model, hub)
                        ),
                        Cause::PeeringNotInInputs {
                            local: v.meta.address().to_string(),
                            remote: r,
                        },
                        Some(v.meta.origin.clone()),
                    ));
                }
                None => {
                    return Err(StopData::unknown(
                        format!(
                            "the peering from {local} to {remote} is not in the input ({local} is \
                             managed elsewhere), so whether the next hop in {hub} is reachable \
                             cannot be decided"
                        ),
                        Cause::PeeringNotInInputs {
                            local: vnet_name(model, local),
                            remote: vnet_name(model, remote),
                        },
                        None,
                    ));
                }
            }
        };
        let addr = p.meta.address();
        match &p.allow_virtual_network_access {
            Known::Known(false) => {
                let d = format!("{addr} has allow_virtual_network_access = false");
                return Err(StopData::blocked(
                    format!("{d}, so traffic between {spoke} and {hub} is dropped"),
                    peer_cause(Some(p), &d),
                    Some(p.meta.origin_of("allow_virtual_network_access").clone()),
                ));
            }
            Known::Unknown(why) => {
                let d = format!("allow_virtual_network_access of {addr} is not known ({why})");
                return Err(StopData::unknown(
                    d.clone(),
                    peer_cause(Some(p), &d),
                    Some(p.meta.origin_of("allow_virtual_network_access").clone()),
                ));
            }
            Known::Absent | Known::Known(true) => {}
        }
        if let Known::Known(state) = &p.state
            && !state.eq_ignore_ascii_case("Connected")
        {
            let d = format!("{addr} is in state {state}, not Connected");
            return Err(StopData::blocked(
                format!("{d}, so traffic between {spoke} and {hub} is dropped"),
                peer_cause(Some(p), &d),
                Some(p.meta.origin_of("state").clone()),
            ));
        }
    }
    // Both exist here.
    let (Some(s2h), Some(h2s)) = (s2h, h2s) else {
        return Ok(());
    };
    let addr = s2h.meta.address();
    match &s2h.allow_forwarded_traffic {
        Known::Known(true) => {}
        Known::Unknown(why) => {
            let d = format!("allow_forwarded_traffic of {addr} is not known ({why})");
            return Err(StopData::unknown(
                format!(
                    "{d}; the spoke side must accept traffic forwarded by the appliance in {hub} \
                     (the return traffic of the flow)"
                ),
                Cause::Peering {
                    peering: Some(addr.to_string()),
                    detail: d,
                },
                Some(s2h.meta.origin_of("allow_forwarded_traffic").clone()),
            ));
        }
        other => {
            let set = if other.is_absent() {
                "is not set (default false)"
            } else {
                "is false"
            };
            let d = format!("allow_forwarded_traffic of {addr} {set}");
            return Err(StopData::blocked(
                format!(
                    "{d}: the return traffic that the appliance in {hub} forwards back to the \
                     nodes is dropped by the spoke side of the peering"
                ),
                Cause::Peering {
                    peering: Some(addr.to_string()),
                    detail: d,
                },
                Some(s2h.meta.origin_of("allow_forwarded_traffic").clone()),
            ));
        }
    }
    t.hop(
        HopKind::Peering,
        format!(
            "peering {addr} and {} (both sides present, forwarded traffic allowed on the spoke \
             side)",
            h2s.meta.address()
        ),
        Some(s2h.meta.origin.clone()),
    );
    Ok(())
}

/// Deliver a flow to a private address inside the VNet or a peered VNet: the destination subnet's
/// NSG must allow it inbound.
fn deliver_private(
    model: &Model,
    t: &mut Trace,
    source: &Subnet,
    ip: &IpAddr,
    flow: &Flow,
    location: Option<&str>,
    via: Via<'_>,
) -> Result<String, Stop> {
    // Plans may hold several VNets with the same address space (one per environment): prefer
    // the source VNet, then VNets peered with it, then any other.
    let src_vnet = model.subnet_vnet(source);
    let tier = |s: &Subnet| -> u8 {
        let Some(sv) = src_vnet else { return 0 };
        match s.vnet.known() {
            Some(r) if routing::ref_is_vnet(model, r, sv) => 2,
            Some(r) => {
                let peered = model.peerings_of(sv).any(|p| {
                    p.remote_vnet
                        .known()
                        .is_some_and(|x| routing::refs_same_vnet(model, x, r))
                });
                u8::from(peered)
            }
            None => 0,
        }
    };
    let dest = model
        .subnets
        .iter()
        .filter_map(|s| {
            let best = s
                .prefixes
                .known()?
                .iter()
                .filter(|n| n.contains(ip))
                .map(|n| n.prefix_len())
                .max()?;
            Some(((tier(s), best), s))
        })
        .max_by_key(|(k, _)| *k)
        .map(|(_, s)| s);
    let Some(ds) = dest else {
        return Err(StopData::unknown(
            format!(
                "no subnet in the input contains {ip}, so the NSG in front of it cannot be checked"
            ),
            Cause::Other {
                detail: format!("destination subnet of {ip} not in the input"),
            },
            None,
        ));
    };
    t.hop(
        HopKind::Destination,
        format!(
            "destination subnet {} ({})",
            ds.meta.address(),
            ds.prefixes.known().map(|p| nets(p)).unwrap_or_default()
        ),
        Some(ds.meta.origin.clone()),
    );
    let inbound = subnet_nsg(model, t, ds, flow, location, true)?;
    if ds.meta.same_resource(&source.meta) {
        return Ok(inbound); // the nodes' own subnet: the reply stays in it
    }
    // the reply must come back: routes are not stateful
    let r = return_path::reply(model, ds, ip, source, flow, via, location);
    t.hops.push(r.hop);
    match (r.verdict, r.cause) {
        (Verdict::Reachable, _) | (_, None) => Ok(format!("{inbound}; {}", r.reason)),
        (Verdict::Blocked, Some(cause)) => Err(StopData::blocked(r.reason, cause, r.origin)),
        (Verdict::Unknown, Some(cause)) => Err(StopData::unknown(r.reason, cause, r.origin)),
    }
}

fn route_origin(r: &EffectiveRoute, subnet: &Subnet) -> Option<Origin> {
    r.origin
        .clone()
        .or_else(|| Some(subnet.meta.origin.clone()))
}

/// Internet egress: which SNAT path takes the flow out.
fn internet_egress(
    model: &Model,
    t: &mut Trace,
    ctx: &EgressContext<'_>,
    route: &EffectiveRoute,
    flow: &Flow,
) -> Result<String, Stop> {
    let subnet = ctx.subnet;
    let saddr = subnet.meta.address();
    if let Destination::Ip(ip) = &flow.destination
        && !servicetags::is_public_ip(ip)
    {
        let d = format!(
            "{} sends the private address {ip} to the internet, where it cannot be delivered",
            route.describe()
        );
        t.mark_last(Verdict::Blocked);
        return Err(StopData::blocked(
            d.clone(),
            Cause::Other { detail: d },
            route_origin(route, subnet),
        ));
    }
    // NAT gateway on the subnet takes precedence over everything but a VA/gateway route.
    match &subnet.nat_gateway {
        Known::Known(r) => {
            let Some(ng) = model.nat_gateway(r) else {
                return Err(StopData::unknown(
                    format!(
                        "subnet {saddr} uses NAT gateway {r}, which is not in the input, so its \
                         public IPs cannot be checked"
                    ),
                    Cause::SubnetUndecided {
                        subnet: saddr.to_string(),
                        detail: format!("NAT gateway {r} not in the input"),
                    },
                    Some(subnet.meta.origin_of("nat_gateway").clone()),
                ));
            };
            let n = ng.public_ips.len() + ng.public_ip_prefixes.len();
            if n == 0 {
                let d = format!(
                    "NAT gateway {} on subnet {saddr} has no public IP or public IP prefix, so it \
                     cannot translate outbound traffic",
                    ng.meta.address()
                );
                t.hop_v(
                    HopKind::NatGateway,
                    format!("NAT gateway {} (no public IP)", ng.meta.address()),
                    Some(ng.meta.origin.clone()),
                    Verdict::Blocked,
                );
                return Err(StopData::blocked(
                    d.clone(),
                    Cause::NoInternetEgress {
                        subnet: saddr.to_string(),
                        detail: d,
                    },
                    Some(ng.meta.origin.clone()),
                ));
            }
            t.hop(
                HopKind::NatGateway,
                format!(
                    "NAT gateway {} ({} public IP(s), {} prefix(es))",
                    ng.meta.address(),
                    ng.public_ips.len(),
                    ng.public_ip_prefixes.len()
                ),
                Some(ng.meta.origin.clone()),
            );
            t.hop(
                HopKind::Internet,
                format!(
                    "internet: {}",
                    servicetags::describe_dest(&flow.destination)
                ),
                None,
            );
            return Ok(format!(
                "it leaves through NAT gateway {}",
                ng.meta.address()
            ));
        }
        Known::Unknown(why) => {
            return Err(StopData::unknown(
                format!(
                    "the NAT gateway association of subnet {saddr} is not known ({why}), so the \
                     outbound path cannot be decided"
                ),
                Cause::SubnetUndecided {
                    subnet: saddr.to_string(),
                    detail: format!("NAT gateway association not known: {why}"),
                },
                Some(subnet.meta.origin_of("nat_gateway").clone()),
            ));
        }
        Known::Absent => {}
    }
    let pool = ctx.pool;
    let internet_hop = |t: &mut Trace| {
        t.hop(
            HopKind::Internet,
            format!(
                "internet: {}",
                servicetags::describe_dest(&flow.destination)
            ),
            None,
        )
    };
    if let Known::Known(true) = pool.node_public_ip {
        t.hop(
            HopKind::PublicIp,
            format!(
                "instance-level public IP on each node of pool {}",
                pool.display_name()
            ),
            Some(pool.origin.clone()),
        );
        internet_hop(t);
        return Ok(format!(
            "it leaves through the nodes' own public IPs (node pool {})",
            pool.display_name()
        ));
    }
    let caddr = ctx.cluster.meta.address();
    let ot = &ctx.cluster.outbound_type;
    match ot {
        Known::Known(OutboundType::LoadBalancer) => {
            // AKS creates the load balancer, its outbound public IP and the outbound rules
            // (`analysis::aks_managed::OUTBOUND_LB`)
            t.hop(
                HopKind::LoadBalancer,
                format!(
                    "AKS-managed load balancer outbound rules of {caddr} (outbound type \
                     loadBalancer)"
                ),
                Some(ctx.cluster.meta.origin_of("outbound_type").clone()),
            );
            internet_hop(t);
            return Ok(format!(
                "it leaves through the outbound rules of the AKS-managed load balancer of {caddr}"
            ));
        }
        Known::Known(o @ (OutboundType::ManagedNatGateway | OutboundType::ManagedNatGatewayV2)) => {
            t.hop(
                HopKind::NatGateway,
                format!(
                    "AKS-managed NAT gateway of {caddr} (outbound type {})",
                    o.as_str()
                ),
                Some(ctx.cluster.meta.origin_of("outbound_type").clone()),
            );
            internet_hop(t);
            return Ok(format!(
                "it leaves through the AKS-managed NAT gateway of {caddr}"
            ));
        }
        _ => {}
    }
    // Nothing explicit: implicit default outbound access, if the subnet has it.
    let undecided_pub = match &pool.node_public_ip {
        Known::Unknown(why) => Some(format!(
            "whether nodes of pool {} get public IPs is not known ({why})",
            pool.display_name()
        )),
        _ => None,
    };
    let undecided_ot = match ot {
        Known::Unknown(why) => Some(format!("the outbound type of {caddr} is not known ({why})")),
        _ => None,
    };
    let ot_name = match ot {
        Known::Known(o) => o.as_str().to_string(),
        Known::Absent => "loadBalancer (default)".into(),
        Known::Unknown(_) => "unknown".into(),
    };
    if matches!(ot, Known::Absent) {
        // Absent outbound type is the documented default, loadBalancer.
        t.hop(
            HopKind::LoadBalancer,
            format!(
                "AKS-managed load balancer outbound rules of {caddr} (outbound type not set: \
                 loadBalancer)"
            ),
            Some(ctx.cluster.meta.origin.clone()),
        );
        internet_hop(t);
        return Ok(format!(
            "it leaves through the outbound rules of the AKS-managed load balancer of {caddr} \
             (default outbound type)"
        ));
    }
    match &subnet.default_outbound_access {
        Known::Known(false) => {
            if let Some(why) = undecided_pub.or(undecided_ot) {
                return Err(StopData::unknown(
                    format!(
                        "subnet {saddr} has default outbound access disabled and {why}, so \
                         whether {} has a way to the internet cannot be decided",
                        flow.describe()
                    ),
                    Cause::NoInternetEgress {
                        subnet: saddr.to_string(),
                        detail: why,
                    },
                    Some(subnet.meta.origin_of("default_outbound_access").clone()),
                ));
            }
            let d = format!(
                "{} routes {} to the internet, but subnet {saddr} has no NAT gateway, the nodes \
                 have no public IP, outbound type {ot_name} provides no outbound SNAT, and \
                 default outbound access is disabled on the subnet",
                route.describe(),
                flow.describe()
            );
            t.hop_v(
                HopKind::Internet,
                "no outbound SNAT: default outbound access disabled".to_string(),
                Some(subnet.meta.origin_of("default_outbound_access").clone()),
                Verdict::Blocked,
            );
            Err(StopData::blocked(
                d.clone(),
                Cause::NoInternetEgress {
                    subnet: saddr.to_string(),
                    detail: d,
                },
                Some(subnet.meta.origin_of("default_outbound_access").clone()),
            ))
        }
        Known::Unknown(why) => Err(StopData::unknown(
            format!(
                "whether subnet {saddr} has default outbound access is not known ({why}); with \
                 outbound type {ot_name} it is the only way to the internet"
            ),
            Cause::NoInternetEgress {
                subnet: saddr.to_string(),
                detail: format!("default outbound access not known: {why}"),
            },
            Some(subnet.meta.origin_of("default_outbound_access").clone()),
        )),
        _ => {
            t.hop(
                HopKind::Internet,
                format!(
                    "default outbound access of subnet {saddr} (implicit, being retired): {}",
                    servicetags::describe_dest(&flow.destination)
                ),
                Some(subnet.meta.origin.clone()),
            );
            Ok(format!(
                "it leaves via default outbound access (implicit, being retired) of subnet \
                 {saddr}, since outbound type {ot_name} provides no outbound SNAT"
            ))
        }
    }
}

/// Resolve the next hop IP of a `VirtualAppliance` route to an Azure Firewall.
fn resolve_appliance<'a>(
    model: &'a Model,
    route: &EffectiveRoute,
    subnet: &Subnet,
) -> Result<&'a Firewall, Stop> {
    let rt = route.route_table.clone().unwrap_or_default();
    let unknown_appliance = |next_hop: String, reason: String| {
        StopData::unknown(
            reason,
            Cause::UnknownAppliance {
                route_table: rt.clone(),
                route_name: route.name.clone(),
                next_hop,
            },
            route_origin(route, subnet),
        )
    };
    let Some(v) = &route.next_hop_ip else {
        return Err(unknown_appliance(
            "(not set)".into(),
            format!(
                "{} has no next hop IP address, so where it sends the flow is not known",
                route.describe()
            ),
        ));
    };
    if let Some(IpSymbol::FirewallPrivateIp(r)) = &v.symbol {
        return model.firewall(r).ok_or_else(|| {
            StopData::unknown(
                format!(
                    "{} sends the flow to firewall {r}, which is not in the input, so its rules \
                     cannot be checked",
                    route.describe()
                ),
                Cause::FirewallUndecided {
                    firewall: r.display(),
                    detail: "the firewall is not in the input".into(),
                },
                route_origin(route, subnet),
            )
        });
    }
    let shown = routing::ip_value_display(v);
    match &v.ip {
        Known::Known(ip) => model
            .firewalls
            .iter()
            .find(|f| f.private_ip.known() == Some(ip))
            .ok_or_else(|| {
                unknown_appliance(
                    ip.to_string(),
                    format!(
                        "{} sends the flow to {ip}, which is not the private IP of any Azure \
                         Firewall in the input (a third-party appliance or load balancer?); its \
                         behaviour is not known; a user attestation in the config can settle it",
                        route.describe()
                    ),
                )
            }),
        _ => Err(unknown_appliance(
            shown.clone(),
            match &v.symbol {
                Some(_) => format!(
                    "{} sends the flow to {shown}, which is not an Azure Firewall in the input; \
                     its behaviour is not known; a user attestation in the config can settle it",
                    route.describe()
                ),
                None => format!(
                    "the next hop IP of {} is not known ({}), so where it sends the flow is not \
                     known",
                    route.describe(),
                    v.ip.unknown_reason().unwrap_or("not set")
                ),
            },
        )),
    }
}

fn through_firewall(
    model: &Model,
    t: &mut Trace,
    ctx: &EgressContext<'_>,
    route: &EffectiveRoute,
    flow: &Flow,
    location: Option<&str>,
) -> Result<String, Stop> {
    let subnet = ctx.subnet;
    let fw = match resolve_appliance(model, route, subnet) {
        Ok(fw) => fw,
        Err(stop) => {
            let shown = route
                .next_hop_ip
                .as_ref()
                .map(routing::ip_value_display)
                .unwrap_or_else(|| "(no next hop IP)".into());
            t.hop_v(
                HopKind::Appliance,
                format!("next hop {shown}: not an Azure Firewall in the input"),
                route.origin.clone(),
                stop.verdict,
            );
            return Err(stop);
        }
    };
    let faddr = fw.meta.address().to_string();
    let fip = fw
        .private_ip
        .known()
        .map(|i| i.to_string())
        .unwrap_or_else(|| "private IP known after apply".into());
    // Peering between the node VNet and the firewall's VNet.
    let (spoke, _) = vnet_of_subnet(model, subnet);
    match (spoke, firewall_vnet(model, fw)) {
        (Some(spoke), Ok(hub)) => {
            if !routing::refs_same_vnet(model, &spoke, &hub)
                && let Err(stop) = check_hub_peering(model, t, &spoke, &hub)
            {
                t.hop_v(
                    HopKind::Peering,
                    format!("peering between {spoke} and {hub}: {}", stop.reason),
                    stop.origin.clone(),
                    stop.verdict,
                );
                return Err(stop);
            }
        }
        (None, _) => {
            t.defer(StopData::unknown(
                format!(
                    "the VNet of subnet {} is not known, so the peering to firewall {faddr} \
                     cannot be checked",
                    subnet.meta.address()
                ),
                Cause::SubnetUndecided {
                    subnet: subnet.meta.address().to_string(),
                    detail: "VNet not known".into(),
                },
                Some(subnet.meta.origin_of("vnet").clone()),
            ));
        }
        (Some(_), Err(why)) => {
            t.defer(StopData::unknown(
                format!("{why}, so the path to firewall {faddr} cannot be checked"),
                Cause::Peering {
                    peering: None,
                    detail: why.clone(),
                },
                Some(fw.meta.origin.clone()),
            ));
        }
    }
    t.hop(
        HopKind::Firewall,
        format!("Azure Firewall {faddr} ({fip})"),
        Some(fw.meta.origin.clone()),
    );
    let d = firewall::evaluate(model, fw, flow);
    t.hops.extend(d.hops.iter().cloned());
    match d.verdict {
        Verdict::Reachable => {
            let frag = format!("allowed by firewall {faddr}: {}", d.reason);
            if let Destination::Ip(ip) = &flow.destination
                && !servicetags::is_public_ip(ip)
            {
                // The firewall forwards it to the private destination (no SNAT for private
                // ranges on network rules): the destination's NSG must let it in.
                let via = Via::Firewall { fw, snat: d.snat };
                let inner = deliver_private(model, t, subnet, ip, flow, location, via)?;
                return Ok(format!("{frag}; {inner}"));
            }
            Ok(frag)
        }
        Verdict::Blocked => Err(StopData::blocked(
            d.reason.clone(),
            Cause::FirewallDenied {
                firewall: faddr.clone(),
                rule: d.rule.clone(),
                detail: d.reason.clone(),
            },
            d.rule_origin
                .clone()
                .or_else(|| Some(fw.meta.origin.clone())),
        )),
        Verdict::Unknown => Err(StopData::unknown(
            d.reason.clone(),
            Cause::FirewallUndecided {
                firewall: faddr.clone(),
                detail: d.reason.clone(),
            },
            d.rule_origin
                .clone()
                .or_else(|| Some(fw.meta.origin.clone())),
        )),
    }
}

/// A path reason without its restatement of the flow ("x:443/tcp from subnet s is blocked:
/// ..."), for places that already show the flow (report tables, grouped findings).
pub fn reason_without_flow(reason: &str) -> &str {
    for marker in [
        " is reachable: ",
        " is blocked: ",
        " is unknown: ",
        " cannot be decided: ",
    ] {
        if let Some(i) = reason.find(marker) {
            if reason[..i].contains(" from subnet ") {
                return &reason[i + marker.len()..];
            }
        }
    }
    reason
}

/// Evaluate the flow from the node pool's subnet: NSG (outbound), route, next hop.
pub fn evaluate_egress(model: &Model, ctx: &EgressContext<'_>, flow: &Flow) -> PathResult {
    let subnet = ctx.subnet;
    let saddr = subnet.meta.address().to_string();
    let what = format!("{} from subnet {saddr}", flow.describe());
    let location = ctx.cluster.meta.location.known().map(String::as_str);
    let mut t = Trace {
        hops: vec![],
        pending: None,
        said: vec![],
    };
    let end = (|| -> Result<String, Stop> {
        // Subnet.
        match &subnet.prefixes {
            Known::Known(p) if !p.is_empty() => t.hop(
                HopKind::Subnet,
                format!(
                    "subnet {saddr} ({}) of node pool {}",
                    nets(p),
                    ctx.pool.display_name()
                ),
                Some(subnet.meta.origin.clone()),
            ),
            other => {
                t.hop_v(
                    HopKind::Subnet,
                    format!(
                        "subnet {saddr} of node pool {} (address prefixes not known)",
                        ctx.pool.display_name()
                    ),
                    Some(subnet.meta.origin.clone()),
                    Verdict::Unknown,
                );
                // Remembered, not final: a route that drops everything still decides.
                let why = other.unknown_reason().unwrap_or("not set").to_string();
                t.defer(StopData::unknown(
                    format!(
                        "the address prefixes of subnet {saddr} are not known ({why}), so NSG \
                         rules cannot be matched against the nodes' addresses"
                    ),
                    Cause::SubnetUndecided {
                        subnet: saddr.clone(),
                        detail: format!("address prefixes not known: {why}"),
                    },
                    Some(subnet.meta.origin_of("prefixes").clone()),
                ));
            }
        }
        // NSG (outbound). A non-definite result is remembered and evaluation continues.
        match subnet_nsg(model, &mut t, subnet, flow, location, false) {
            Ok(frag) => t.said.push(frag),
            Err(stop) if stop.verdict == Verdict::Blocked => return Err(stop),
            Err(stop) => t.defer(stop),
        }
        // Host platform addresses ignore UDRs.
        if let Destination::Ip(ip) = &flow.destination
            && servicetags::is_platform_ip(ip)
        {
            t.hop(
                HopKind::Destination,
                format!("{ip}: host platform address, not subject to user-defined routes"),
                None,
            );
            return Ok(format!(
                "{ip} is a host platform address that ignores routes"
            ));
        }
        // Route.
        if let Err(e) = routing::subnet_route_table(model, subnet) {
            return Err(StopData::unknown(
                e.reason.clone(),
                Cause::SubnetUndecided {
                    subnet: saddr.clone(),
                    detail: e.reason,
                },
                e.origin,
            ));
        }
        let rd = routing::choose_route(model, subnet, flow, location);
        let Some(route) = rd.chosen.clone() else {
            let reason = rd
                .undecided
                .clone()
                .unwrap_or_else(|| "the route cannot be decided".into());
            for c in &rd.candidates {
                t.hop_v(
                    HopKind::Route,
                    format!("candidate {}", c.describe()),
                    c.origin.clone(),
                    Verdict::Unknown,
                );
            }
            return Err(StopData::unknown(
                reason.clone(),
                Cause::RouteUndecided {
                    route_table: rd.route_table.clone(),
                    detail: reason,
                },
                rd.origin
                    .clone()
                    .or_else(|| Some(subnet.meta.origin.clone())),
            ));
        };
        t.hop(HopKind::Route, route.describe(), route.origin.clone());
        if let Some(why) = &rd.possible_forced_tunnelling {
            t.mark_last(Verdict::Unknown);
            return Err(StopData::unknown(
                format!(
                    "{why}, so the path of {} may continue outside Azure",
                    flow.describe()
                ),
                Cause::GatewayNextHop {
                    route_table: rd.route_table.clone(),
                    route_name: "(possible gateway-learned route)".into(),
                },
                route_origin(&route, subnet),
            ));
        }
        t.said.push(format!("routed by {}", route.describe()));
        let hop = match &route.next_hop {
            Known::Known(h) => *h,
            other => {
                let why = other.unknown_reason().unwrap_or("not set").to_string();
                return Err(StopData::unknown(
                    format!(
                        "the next hop type of {} is not known ({why})",
                        route.describe()
                    ),
                    Cause::RouteUndecided {
                        route_table: route.route_table.clone(),
                        detail: format!("next hop type not known: {why}"),
                    },
                    route_origin(&route, subnet),
                ));
            }
        };
        match hop {
            NextHop::None => {
                if let (Some(SystemKind::Reserved), Some((pr, why))) =
                    (route.system_kind, &rd.inactive_peering)
                {
                    let d = format!(
                        "{} would carry {} but {why}; the packet falls to {} and is dropped",
                        pr.describe(),
                        flow.describe(),
                        route.describe()
                    );
                    t.hop_v(
                        HopKind::Peering,
                        format!("{} (not active: {why})", pr.describe()),
                        pr.origin.clone(),
                        Verdict::Blocked,
                    );
                    return Err(StopData::blocked(
                        d.clone(),
                        Cause::Peering {
                            peering: pr.peering.clone(),
                            detail: d,
                        },
                        pr.origin.clone(),
                    ));
                }
                // A private range falls to None only for want of a peering; the node VNet's
                // peerings may not all be in the inputs.
                if route.system_kind == Some(SystemKind::Reserved)
                    && let Some(why) = model
                        .subnet_vnet(subnet)
                        .and_then(|v| v.meta.children_unlisted("peerings"))
                {
                    t.mark_last(Verdict::Unknown);
                    let vnet = model
                        .subnet_vnet(subnet)
                        .map(|v| v.meta.address().to_string())
                        .unwrap_or_default();
                    return Err(StopData::unknown(
                        format!(
                            "{} drops {} unless a peering carries it, and none in the inputs \
                             does; but {why}: a peering from {vnet} to the VNet that holds the \
                             destination (in the configuration that manages {vnet}) would carry \
                             it; add that plan or a snapshot of {vnet} to decide",
                            route.describe(),
                            flow.describe()
                        ),
                        Cause::PeeringNotInInputs {
                            local: vnet.clone(),
                            remote: format!(
                                "the VNet holding {}",
                                servicetags::describe_dest(&flow.destination)
                            ),
                        },
                        route_origin(&route, subnet),
                    ));
                }
                t.mark_last(Verdict::Blocked);
                Err(StopData::blocked(
                    format!(
                        "{} drops {} (next hop None)",
                        route.describe(),
                        flow.describe()
                    ),
                    Cause::RouteBlackhole {
                        route_table: route
                            .route_table
                            .clone()
                            .unwrap_or_else(|| "(system routes)".into()),
                        route_name: route.name.clone(),
                        system: route.source != RouteSource::User,
                    },
                    route_origin(&route, subnet),
                ))
            }
            NextHop::VnetLocal | NextHop::VNetPeering => {
                if hop == NextHop::VNetPeering {
                    t.hop(
                        HopKind::Peering,
                        format!(
                            "peering {}",
                            route.peering.as_deref().unwrap_or("(unknown peering)")
                        ),
                        route.origin.clone(),
                    );
                }
                match &flow.destination {
                    Destination::Ip(ip) => {
                        deliver_private(model, &mut t, subnet, ip, flow, location, Via::Direct)
                    }
                    _ => Err(StopData::unknown(
                        format!(
                            "{} keeps {} inside the virtual network, where no address of it is \
                             known",
                            route.describe(),
                            flow.describe()
                        ),
                        Cause::Other {
                            detail: "public destination routed inside the VNet".into(),
                        },
                        route_origin(&route, subnet),
                    )),
                }
            }
            NextHop::Internet => internet_egress(model, &mut t, ctx, &route, flow),
            NextHop::VirtualAppliance => {
                through_firewall(model, &mut t, ctx, &route, flow, location)
            }
            NextHop::VirtualNetworkGateway => {
                t.hop_v(
                    HopKind::Gateway,
                    format!("virtual network gateway ({})", route.describe()),
                    route.origin.clone(),
                    Verdict::Unknown,
                );
                Err(StopData::unknown(
                    format!(
                        "{} sends {} to the virtual network gateway: forced tunnelling to \
                         on-premises, the path continues outside Azure",
                        route.describe(),
                        flow.describe()
                    ),
                    Cause::GatewayNextHop {
                        route_table: route.route_table.clone(),
                        route_name: route.name.clone(),
                    },
                    route_origin(&route, subnet),
                ))
            }
        }
    })();
    t.finish(end, &what)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::flow::Protocol;
    use crate::eval::routing::tests::{
        base_model, firewall, host_flow, ip_flow, meta, named, net, peering, route, route_table,
        subnet, vnet,
    };
    use crate::model::{
        Access, AddressMatch, Cluster, Direction, IpValue, NatGateway, NextHopType, NodePool, Nsg,
        NsgProtocol, PortRange, SecurityRule,
    };

    fn cluster(ot: Known<OutboundType>) -> Cluster {
        let mut m = named("azurerm_kubernetes_cluster.aks", "aks");
        m.location = Known::Known("westeurope".into());
        Cluster {
            meta: m,
            identity: Known::Absent,
            dns_prefix: Known::Absent,
            outbound_type: ot,
            network_plugin: Known::Absent,
            network_plugin_mode: Known::Absent,
            private_cluster: Known::Known(false),
            private_dns_zone: Known::Absent,
            private_cluster_public_fqdn: Known::Absent,
            authorized_ip_ranges: Known::Absent,
            apiserver_vnet_integration: Known::Absent,
            apiserver_subnet: Known::Absent,
            lb_outbound_ips: vec![],
            lb_outbound_ip_prefixes: vec![],
            bootstrap_artifact_source: Known::Absent,
            http_proxy: Known::Absent,
            features: vec![],
            node_pools: vec![],
        }
    }

    fn pool() -> NodePool {
        NodePool {
            key: "azurerm_kubernetes_cluster.aks/default_node_pool".into(),
            name: Known::Known("system".into()),
            origin: Origin::default(),
            subnet: Known::Known(Ref::key("subnet.nodes")),
            subnet_origin: Origin::default(),
            os_type: Known::Absent,
            vm_size: Known::Absent,
            gpu: false,
            node_public_ip: Known::Known(false),
            mode: Known::Absent,
            lifecycle: Default::default(),
        }
    }

    fn run(m: &Model, ot: Known<OutboundType>, flow: &Flow) -> PathResult {
        let c = cluster(ot);
        let p = pool();
        let s = m
            .subnets
            .iter()
            .find(|s| s.meta.key == "subnet.nodes")
            .unwrap();
        let ctx = EgressContext {
            cluster: &c,
            pool: &p,
            subnet: s,
        };
        evaluate_egress(m, &ctx, flow)
    }

    fn lb() -> Known<OutboundType> {
        Known::Known(OutboundType::LoadBalancer)
    }
    fn udr() -> Known<OutboundType> {
        Known::Known(OutboundType::UserDefinedRouting)
    }

    fn mcr() -> Flow {
        host_flow("mcr.microsoft.com", &["MicrosoftContainerRegistry"])
    }

    fn deny_rule(name: &str, prio: u32, dir: Direction, ports: &str, dst: &str) -> SecurityRule {
        SecurityRule {
            name: Known::Known(name.into()),
            origin: crate::eval::routing::tests::origin(&format!("rule {name}")),
            priority: Known::Known(prio),
            direction: Known::Known(dir),
            access: Known::Known(Access::Deny),
            protocol: Known::Known(NsgProtocol::Any),
            source_ports: Known::Known(vec![PortRange::ANY]),
            destination_ports: Known::Known(vec![PortRange::parse(ports).unwrap()]),
            sources: Known::Known(vec![AddressMatch::Any]),
            destinations: Known::Known(vec![AddressMatch::parse(dst)]),
        }
    }

    fn with_nsg(m: &mut Model, subnet_key: &str, nsg_key: &str, rules: Vec<SecurityRule>) {
        m.nsgs.push(Nsg {
            meta: named(nsg_key, nsg_key),
            rules: Known::Known(rules),
        });
        let s = m
            .subnets
            .iter_mut()
            .find(|s| s.meta.key == subnet_key)
            .unwrap();
        s.nsg = Known::Known(Ref::key(nsg_key));
    }

    fn with_routes(m: &mut Model, routes: Vec<crate::model::Route>) {
        m.route_tables
            .push(route_table("azurerm_route_table.rt", routes));
        m.subnets[0].route_table = Known::Known(Ref::key("azurerm_route_table.rt"));
    }

    /// Hub VNet 10.1.0.0/16 with an Azure Firewall at 10.1.0.4, peered both ways.
    fn hub(m: &mut Model, forwarded: Known<bool>) {
        m.vnets.push(vnet("vnet.hub", &["10.1.0.0/16"]));
        m.subnets
            .push(subnet("subnet.fw", "vnet.hub", &["10.1.0.0/26"]));
        let mut p = peering("peering.spoke-hub", "vnet.spoke", "vnet.hub");
        p.allow_forwarded_traffic = forwarded;
        m.peerings.push(p);
        m.peerings
            .push(peering("peering.hub-spoke", "vnet.hub", "vnet.spoke"));
        m.firewalls.push(firewall("subnet.fw", "10.1.0.4"));
    }

    #[test]
    fn default_path_through_load_balancer() {
        let m = base_model();
        let r = run(&m, lb(), &mcr());
        assert_eq!(r.verdict, Verdict::Reachable, "{}", r.reason);
        assert!(r.reason.contains("load balancer"), "{}", r.reason);
        assert_eq!(r.hops[0].kind, HopKind::Subnet);
        assert!(r.cause.is_none());
    }

    #[test]
    fn nsg_deny_blocks() {
        let mut m = base_model();
        with_nsg(
            &mut m,
            "subnet.nodes",
            "azurerm_network_security_group.nodes",
            vec![deny_rule(
                "deny-internet",
                100,
                Direction::Outbound,
                "443",
                "Internet",
            )],
        );
        let r = run(&m, lb(), &mcr());
        assert_eq!(r.verdict, Verdict::Blocked);
        assert_eq!(
            r.cause,
            Some(Cause::NsgRule {
                nsg: "azurerm_network_security_group.nodes".into(),
                rule_name: "deny-internet".into(),
                priority: 100,
                default_rule: false,
            })
        );
        assert!(r.hops.iter().any(|h| {
            h.kind == HopKind::NsgRule
                && h.verdict == Some(Verdict::Blocked)
                && h.description
                    .contains("rule \"deny-internet\" (priority 100, Deny)")
        }));
    }

    #[test]
    fn udr_to_none_blackholes() {
        let mut m = base_model();
        with_routes(
            &mut m,
            vec![route("drop", "0.0.0.0/0", NextHopType::None, None)],
        );
        let r = run(&m, udr(), &mcr());
        assert_eq!(r.verdict, Verdict::Blocked);
        assert!(matches!(
            r.cause,
            Some(Cause::RouteBlackhole { ref route_name, system: false, .. }) if route_name == "drop"
        ));
    }

    #[test]
    fn firewall_in_peered_hub() {
        let mut m = base_model();
        hub(&mut m, Known::Known(true));
        with_routes(
            &mut m,
            vec![route(
                "to-fw",
                "0.0.0.0/0",
                NextHopType::VirtualAppliance,
                Some("10.1.0.4"),
            )],
        );
        let r = run(&m, udr(), &mcr());
        // Peering fine; the firewall decides (its evaluator is another work item: unknown today).
        assert!(r.hops.iter().any(|h| h.kind == HopKind::Peering));
        assert!(
            r.hops
                .iter()
                .any(|h| h.kind == HopKind::Firewall
                    && h.description.contains("azurerm_firewall.fw"))
        );
        // The firewall has no rule collections: Azure Firewall's default deny decides.
        assert_eq!(r.verdict, Verdict::Blocked, "{}", r.reason);
        assert!(
            matches!(r.cause, Some(Cause::FirewallDenied { .. })),
            "{:?}",
            r.cause
        );
    }

    #[test]
    fn firewall_hub_without_forwarded_traffic_blocks() {
        let mut m = base_model();
        hub(&mut m, Known::Absent);
        with_routes(
            &mut m,
            vec![route(
                "to-fw",
                "0.0.0.0/0",
                NextHopType::VirtualAppliance,
                Some("10.1.0.4"),
            )],
        );
        let r = run(&m, udr(), &mcr());
        assert_eq!(r.verdict, Verdict::Blocked, "{}", r.reason);
        assert!(matches!(r.cause, Some(Cause::Peering { .. })));
        assert!(r.reason.contains("allow_forwarded_traffic"), "{}", r.reason);
        // Unknown flag: unknown.
        m.peerings[0].allow_forwarded_traffic = Known::unknown("var.fwd");
        assert_eq!(run(&m, udr(), &mcr()).verdict, Verdict::Unknown);
        // Missing hub -> spoke side: blocked (the hub is in the input).
        m.peerings[0].allow_forwarded_traffic = Known::Known(true);
        m.peerings.remove(1);
        let r = run(&m, udr(), &mcr());
        assert_eq!(r.verdict, Verdict::Blocked);
        assert!(
            r.reason.contains("no peering from vnet.hub"),
            "{}",
            r.reason
        );
        // Firewall referenced symbolically.
        let mut m = base_model();
        hub(&mut m, Known::Known(false));
        let mut rt = route("to-fw", "0.0.0.0/0", NextHopType::VirtualAppliance, None);
        rt.next_hop_ip = Some(IpValue {
            ip: Known::unknown("known after apply"),
            symbol: Some(IpSymbol::FirewallPrivateIp(Ref::key("azurerm_firewall.fw"))),
            origin: Origin::default(),
        });
        with_routes(&mut m, vec![rt]);
        let r = run(&m, udr(), &mcr());
        assert_eq!(r.verdict, Verdict::Blocked);
        assert!(matches!(r.cause, Some(Cause::Peering { .. })));
    }

    #[test]
    fn unknown_appliance_and_unknown_next_hop() {
        let mut m = base_model();
        with_routes(
            &mut m,
            vec![route(
                "to-nva",
                "0.0.0.0/0",
                NextHopType::VirtualAppliance,
                Some("10.0.9.4"),
            )],
        );
        let r = run(&m, udr(), &mcr());
        assert_eq!(r.verdict, Verdict::Unknown);
        assert!(matches!(
            r.cause,
            Some(Cause::UnknownAppliance { ref next_hop, .. }) if next_hop == "10.0.9.4"
        ));
        assert!(r.reason.contains("attestation"), "{}", r.reason);
        let mut m = base_model();
        let mut rt = route("to-nva", "0.0.0.0/0", NextHopType::VirtualAppliance, None);
        rt.next_hop_ip = Some(IpValue {
            ip: Known::unknown("var.nva_ip"),
            symbol: None,
            origin: Origin::default(),
        });
        with_routes(&mut m, vec![rt]);
        let r = run(&m, udr(), &mcr());
        assert_eq!(r.verdict, Verdict::Unknown);
        assert!(r.reason.contains("var.nva_ip"), "{}", r.reason);
    }

    #[test]
    fn gateway_next_hop_is_unknown() {
        let mut m = base_model();
        with_routes(
            &mut m,
            vec![route(
                "to-onprem",
                "0.0.0.0/0",
                NextHopType::VirtualNetworkGateway,
                None,
            )],
        );
        let r = run(&m, udr(), &mcr());
        assert_eq!(r.verdict, Verdict::Unknown);
        assert!(matches!(r.cause, Some(Cause::GatewayNextHop { .. })));
        assert!(r.reason.contains("forced tunnelling"));
    }

    #[test]
    fn possible_bgp_default_route_is_unknown() {
        let mut m = base_model();
        let mut gw = subnet("subnet.gw", "vnet.spoke", &["10.0.255.0/27"]);
        gw.meta.name = Known::Known("GatewaySubnet".into());
        m.subnets.push(gw);
        let r = run(&m, lb(), &mcr());
        assert_eq!(r.verdict, Verdict::Unknown);
        assert!(matches!(r.cause, Some(Cause::GatewayNextHop { .. })));
    }

    #[test]
    fn nat_gateway_needs_public_ip() {
        let mut m = base_model();
        m.nat_gateways.push(NatGateway {
            meta: named("azurerm_nat_gateway.ng", "ng"),
            public_ips: vec![],
            public_ip_prefixes: vec![],
        });
        m.subnets[0].nat_gateway = Known::Known(Ref::key("azurerm_nat_gateway.ng"));
        let ot = Known::Known(OutboundType::UserAssignedNatGateway);
        let r = run(&m, ot.clone(), &mcr());
        assert_eq!(r.verdict, Verdict::Blocked);
        assert!(matches!(r.cause, Some(Cause::NoInternetEgress { .. })));
        m.nat_gateways[0]
            .public_ips
            .push(Ref::key("azurerm_public_ip.ng"));
        let r = run(&m, ot, &mcr());
        assert_eq!(r.verdict, Verdict::Reachable);
        assert!(r.reason.contains("NAT gateway azurerm_nat_gateway.ng"));
    }

    #[test]
    fn default_outbound_access() {
        let mut m = base_model();
        with_routes(
            &mut m,
            vec![route("inet", "0.0.0.0/0", NextHopType::Internet, None)],
        );
        m.subnets[0].default_outbound_access = Known::Known(false);
        let r = run(&m, udr(), &mcr());
        assert_eq!(r.verdict, Verdict::Blocked, "{}", r.reason);
        assert!(matches!(r.cause, Some(Cause::NoInternetEgress { .. })));
        m.subnets[0].default_outbound_access = Known::Absent;
        let r = run(&m, udr(), &mcr());
        assert_eq!(r.verdict, Verdict::Reachable);
        assert!(
            r.reason
                .contains("default outbound access (implicit, being retired)")
        );
        // Outbound type none behaves the same.
        m.subnets[0].default_outbound_access = Known::Known(false);
        let r = run(&m, Known::Known(OutboundType::None), &mcr());
        assert_eq!(r.verdict, Verdict::Blocked);
        // Node public IPs give egress anyway.
        let c = cluster(Known::Known(OutboundType::None));
        let mut p = pool();
        p.node_public_ip = Known::Known(true);
        let ctx = EgressContext {
            cluster: &c,
            pool: &p,
            subnet: &m.subnets[0],
        };
        assert_eq!(
            evaluate_egress(&m, &ctx, &mcr()).verdict,
            Verdict::Reachable
        );
    }

    #[test]
    fn private_dns_server_via_specific_route_to_firewall() {
        let mut m = base_model();
        hub(&mut m, Known::Known(true));
        m.vnets.push(vnet("vnet.shared", &["10.2.0.0/16"]));
        m.subnets
            .push(subnet("subnet.dns", "vnet.shared", &["10.2.0.0/24"]));
        with_routes(
            &mut m,
            vec![route(
                "dns",
                "10.2.0.4/32",
                NextHopType::VirtualAppliance,
                Some("10.1.0.4"),
            )],
        );
        let r = run(&m, lb(), &ip_flow("10.2.0.4", Protocol::Udp, 53));
        assert!(
            r.hops
                .iter()
                .any(|h| h.kind == HopKind::Route && h.description.contains("route \"dns\""))
        );
        assert!(r.hops.iter().any(|h| h.kind == HopKind::Firewall));
        // Without the route, 10.2.0.4 is not peered: the reserved range drops it.
        m.route_tables[0].routes = Known::Known(vec![]);
        let r = run(&m, lb(), &ip_flow("10.2.0.4", Protocol::Udp, 53));
        assert_eq!(r.verdict, Verdict::Blocked);
        assert!(matches!(
            r.cause,
            Some(Cause::RouteBlackhole { system: true, .. })
        ));
    }

    #[test]
    fn in_vnet_destination_checks_inbound_nsg() {
        let mut m = base_model();
        m.subnets
            .push(subnet("subnet.dns", "vnet.spoke", &["10.0.2.0/24"]));
        // Another environment's VNet with the same address space and a denying NSG: ignored.
        m.vnets.push(vnet("vnet.other", &["10.0.0.0/16"]));
        m.subnets
            .push(subnet("subnet.other-dns", "vnet.other", &["10.0.2.0/24"]));
        with_nsg(
            &mut m,
            "subnet.other-dns",
            "nsg.other",
            vec![deny_rule("deny-all-in", 100, Direction::Inbound, "*", "*")],
        );
        let dns = ip_flow("10.0.2.4", Protocol::Udp, 53);
        let r = run(&m, lb(), &dns);
        assert_eq!(r.verdict, Verdict::Reachable, "{}", r.reason);
        assert!(r.hops.iter().any(|h| h.description.contains("subnet.dns")));
        with_nsg(
            &mut m,
            "subnet.dns",
            "azurerm_network_security_group.dns",
            vec![deny_rule("deny-dns", 100, Direction::Inbound, "53", "*")],
        );
        let r = run(&m, lb(), &dns);
        assert_eq!(r.verdict, Verdict::Blocked);
        assert!(
            r.reason.contains("deny-dns") && r.reason.contains("inbound"),
            "{}",
            r.reason
        );
        // Peered VNet destination.
        let mut m = base_model();
        hub(&mut m, Known::Known(true));
        m.subnets
            .push(subnet("subnet.hubdns", "vnet.hub", &["10.1.1.0/24"]));
        let r = run(&m, lb(), &ip_flow("10.1.1.4", Protocol::Udp, 53));
        assert_eq!(r.verdict, Verdict::Reachable, "{}", r.reason);
        assert!(r.hops.iter().any(|h| h.kind == HopKind::Peering));
        // Peering only on one side: dropped, and the peering is named as the cause.
        m.peerings.remove(1);
        let r = run(&m, lb(), &ip_flow("10.1.1.4", Protocol::Udp, 53));
        assert_eq!(r.verdict, Verdict::Blocked);
        assert!(
            matches!(r.cause, Some(Cause::Peering { .. })),
            "{:?}",
            r.cause
        );
    }

    #[test]
    fn unknown_nsg_then_definite_block() {
        let mut m = base_model();
        m.nsgs.push(Nsg {
            meta: meta("nsg.x"),
            rules: Known::unknown("known after apply"),
        });
        m.subnets[0].nsg = Known::Known(Ref::key("nsg.x"));
        let r = run(&m, lb(), &mcr());
        assert_eq!(r.verdict, Verdict::Unknown);
        assert!(matches!(r.cause, Some(Cause::NsgUndecided { .. })));
        with_routes(
            &mut m,
            vec![route("drop", "0.0.0.0/0", NextHopType::None, None)],
        );
        let r = run(&m, lb(), &mcr());
        assert_eq!(r.verdict, Verdict::Blocked);
        // NSG association unknown.
        let mut m = base_model();
        m.subnets[0].nsg = Known::unknown("module output");
        let r = run(&m, lb(), &mcr());
        assert_eq!(r.verdict, Verdict::Unknown);
        assert!(matches!(r.cause, Some(Cause::SubnetUndecided { .. })));
    }

    #[test]
    fn unknown_subnet_prefixes_and_route_table() {
        let mut m = base_model();
        m.subnets[0].prefixes = Known::unknown("var.prefixes");
        let mut f = mcr();
        f.source_prefixes.clear();
        let r = run(&m, lb(), &f);
        assert_eq!(r.verdict, Verdict::Unknown);
        assert!(matches!(r.cause, Some(Cause::SubnetUndecided { .. })));
        assert!(r.reason.contains("var.prefixes"), "{}", r.reason);
        // A definite drop further on still decides.
        with_routes(
            &mut m,
            vec![route("drop", "0.0.0.0/0", NextHopType::None, None)],
        );
        assert_eq!(run(&m, lb(), &f).verdict, Verdict::Blocked);
        let mut m = base_model();
        m.subnets[0].route_table = Known::unknown("module output");
        let r = run(&m, lb(), &mcr());
        assert_eq!(r.verdict, Verdict::Unknown);
        assert!(matches!(r.cause, Some(Cause::SubnetUndecided { .. })));
    }

    #[test]
    fn platform_address_ignores_routes() {
        let mut m = base_model();
        with_routes(
            &mut m,
            vec![route("drop", "0.0.0.0/0", NextHopType::None, None)],
        );
        let r = run(&m, udr(), &ip_flow("168.63.129.16", Protocol::Udp, 53));
        assert_eq!(r.verdict, Verdict::Reachable, "{}", r.reason);
    }

    #[test]
    fn private_ip_via_internet_is_blocked() {
        let mut m = base_model();
        with_routes(
            &mut m,
            vec![route("inet", "0.0.0.0/0", NextHopType::Internet, None)],
        );
        let r = run(&m, lb(), &ip_flow("172.20.0.4", Protocol::Tcp, 443));
        assert_eq!(r.verdict, Verdict::Blocked);
        let _ = net("10.0.0.0/8");
    }

    /// A missing peering is proof only for a VNet whose peerings the inputs list in full (one
    /// this plan creates, or a complete read); for a VNet that exists already it is unknown.
    #[test]
    fn absence_of_a_peering_proves_nothing_for_an_existing_vnet() {
        let mut m = base_model();
        hub(&mut m, Known::Known(true));
        m.peerings.clear();
        with_routes(
            &mut m,
            vec![route(
                "to-fw",
                "0.0.0.0/0",
                NextHopType::VirtualAppliance,
                Some("10.1.0.4"),
            )],
        );
        let r = run(&m, udr(), &mcr());
        assert_eq!(r.verdict, Verdict::Blocked, "{}", r.reason);
        assert!(
            matches!(r.cause, Some(Cause::Peering { .. })),
            "{:?}",
            r.cause
        );
        m.vnets[0].meta.lists_all_children = false; // the spoke exists already
        let r = run(&m, udr(), &mcr());
        assert_eq!(r.verdict, Verdict::Unknown, "{}", r.reason);
        assert!(
            matches!(&r.cause, Some(Cause::PeeringNotInInputs { local, .. }) if local == "vnet.spoke"),
            "{:?}",
            r.cause
        );
        assert!(r.reason.contains("exists already"), "{}", r.reason);
    }

    /// A private address outside every known VNet falls to the reserved-range route (None); for
    /// an existing node VNet, a peering elsewhere may carry it.
    #[test]
    fn reserved_range_drop_is_unknown_when_peerings_may_be_elsewhere() {
        let mut m = base_model();
        let r = run(&m, lb(), &ip_flow("10.2.0.4", Protocol::Udp, 53));
        assert_eq!(r.verdict, Verdict::Blocked, "{}", r.reason);
        m.vnets[0].meta.lists_all_children = false;
        let r = run(&m, lb(), &ip_flow("10.2.0.4", Protocol::Udp, 53));
        assert_eq!(r.verdict, Verdict::Unknown, "{}", r.reason);
        assert!(matches!(r.cause, Some(Cause::PeeringNotInInputs { .. })));
    }
}
