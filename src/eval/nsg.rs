//! Network security group evaluation.
//!
//! A flow is matched against the NSG's custom rules of one direction plus the default rules, in
//! priority order; the first matching rule decides. Each rule field is matched three-valued
//! (yes / no / maybe, with the reason), and the source additionally as *partial* when a rule's
//! source covers only some of the node subnet's addresses.
//!
//! Combining: rules are walked in priority order, remembering every rule that *may* match. At the
//! first rule that certainly matches, the verdict is definite when all earlier maybe-rules have
//! the same access (whichever of them matched, the outcome is the same); otherwise it is unknown
//! and names the undecidable rules. A rule matching only part of the node subnet decides for those
//! nodes: a deny blocks them (some nodes fail to provision: the pool is blocked), an allow lets
//! them through and the walk continues for the remaining nodes.
//!
//! Only the subnet NSG is modelled: AKS-managed NIC NSGs keep the default outbound allows.

use super::Verdict;
use super::flow::{Destination, Flow, Protocol};
use super::routing::{self, LinkStatus};
use super::servicetags::{self, TagRelation};
use crate::model::{
    Access, AddressMatch, Direction, Known, Model, Nsg, NsgProtocol, PortRange, RoutePrefix,
    SecurityRule, Subnet,
};
use crate::source::Origin;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

// ---------------------------------------------------------------- address ranges

/// An inclusive address range of one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Range {
    v6: bool,
    lo: u128,
    hi: u128,
}

fn range_of(n: &IpNet) -> Range {
    match n {
        IpNet::V4(n) => Range {
            v6: false,
            lo: u32::from(n.network()) as u128,
            hi: u32::from(n.broadcast()) as u128,
        },
        IpNet::V6(n) => Range {
            v6: true,
            lo: u128::from(n.network()),
            hi: u128::from(n.broadcast()),
        },
    }
}

fn full_ranges() -> Vec<Range> {
    vec![
        Range {
            v6: false,
            lo: 0,
            hi: u32::MAX as u128,
        },
        Range {
            v6: true,
            lo: 0,
            hi: u128::MAX,
        },
    ]
}

fn normalize(mut v: Vec<Range>) -> Vec<Range> {
    v.sort();
    let mut out: Vec<Range> = Vec::with_capacity(v.len());
    for r in v {
        if let Some(last) = out.last_mut()
            && last.v6 == r.v6
            && r.lo <= last.hi.saturating_add(1)
        {
            last.hi = last.hi.max(r.hi);
            continue;
        }
        out.push(r);
    }
    out
}

fn intersect(a: &[Range], b: &[Range]) -> Vec<Range> {
    let mut out = Vec::new();
    for x in a {
        for y in b {
            if x.v6 == y.v6 {
                let lo = x.lo.max(y.lo);
                let hi = x.hi.min(y.hi);
                if lo <= hi {
                    out.push(Range { v6: x.v6, lo, hi });
                }
            }
        }
    }
    normalize(out)
}

fn subtract(a: &[Range], b: &[Range]) -> Vec<Range> {
    let mut cur: Vec<Range> = normalize(a.to_vec());
    for y in normalize(b.to_vec()) {
        let mut next = Vec::new();
        for x in cur {
            if x.v6 != y.v6 || y.hi < x.lo || y.lo > x.hi {
                next.push(x);
                continue;
            }
            if y.lo > x.lo {
                next.push(Range {
                    v6: x.v6,
                    lo: x.lo,
                    hi: y.lo - 1,
                });
            }
            if y.hi < x.hi {
                next.push(Range {
                    v6: x.v6,
                    lo: y.hi + 1,
                    hi: x.hi,
                });
            }
        }
        cur = next;
    }
    cur
}

/// The smallest list of CIDR blocks covering exactly the ranges.
fn to_cidrs(rs: &[Range]) -> Vec<IpNet> {
    let mut out = Vec::new();
    for r in rs {
        let width: u32 = if r.v6 { 128 } else { 32 };
        let mut lo = r.lo;
        loop {
            // Largest aligned block starting at lo that stays within hi.
            let align = if lo == 0 {
                width
            } else {
                lo.trailing_zeros().min(width)
            };
            let span = r.hi - lo; // block size - 1 allowed
            let fit = if span == u128::MAX {
                128
            } else {
                127 - (span + 1).leading_zeros()
            };
            let k = align.min(fit).min(width);
            let plen = (width - k) as u8;
            let n = if r.v6 {
                Ipv6Net::new(Ipv6Addr::from(lo), plen).ok().map(IpNet::V6)
            } else {
                Ipv4Net::new(Ipv4Addr::from(lo as u32), plen)
                    .ok()
                    .map(IpNet::V4)
            };
            if let Some(n) = n {
                out.push(n);
            }
            let size = if k >= 128 { None } else { 1u128.checked_shl(k) };
            match size.and_then(|s| lo.checked_add(s)) {
                Some(next) if next <= r.hi && next > lo => lo = next,
                _ => break,
            }
        }
    }
    out
}

fn join_nets(nets: &[IpNet]) -> String {
    nets.iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------- VirtualNetwork tag

/// Part of the `VirtualNetwork` tag whose membership cannot be decided.
#[derive(Debug, Clone, Serialize)]
pub struct UncertainPart {
    /// The addresses concerned, when known (`None`: could be any address).
    pub prefixes: Option<Vec<IpNet>>,
    /// Whether the part may contain public addresses.
    pub may_be_public: bool,
    pub reason: String,
}

/// Addresses of the `VirtualNetwork` service tag as seen from one subnet: the VNet address space,
/// the address spaces of peered VNets, and the prefixes of the user routes on the subnet's route
/// table (so a `0.0.0.0/0` UDR makes the tag cover every address; documented Azure behaviour).
#[derive(Debug, Clone, Default, Serialize)]
pub struct VnetTag {
    pub prefixes: Vec<IpNet>,
    /// Service tags used as UDR address prefixes.
    pub route_tags: Vec<String>,
    pub uncertain: Vec<UncertainPart>,
}

impl VnetTag {
    pub fn for_subnet(model: &Model, subnet: &Subnet) -> VnetTag {
        let mut t = VnetTag::default();
        if let Known::Known(p) = &subnet.prefixes {
            t.prefixes.extend(p.iter().copied());
        }
        match model.subnet_vnet(subnet) {
            Some(v) => {
                match &v.address_space {
                    Known::Known(space) => t.prefixes.extend(space.iter().copied()),
                    other => t.uncertain.push(UncertainPart {
                        prefixes: None,
                        may_be_public: false,
                        reason: format!(
                            "the address space of VNet {} is not known ({})",
                            v.meta.address(),
                            other.unknown_reason().unwrap_or("not set")
                        ),
                    }),
                }
                for link in routing::peer_links(model, v) {
                    let space = link
                        .remote_vnet
                        .and_then(|r| r.address_space.known().cloned());
                    let paddr = link.local.meta.address();
                    match (&link.status, space) {
                        (LinkStatus::Active, Some(s)) => t.prefixes.extend(s),
                        (LinkStatus::Active, None) => t.uncertain.push(UncertainPart {
                            prefixes: None,
                            may_be_public: false,
                            reason: format!(
                                "the address space of the VNet peered by {paddr} is not known"
                            ),
                        }),
                        (LinkStatus::Uncertain(why), s) => t.uncertain.push(UncertainPart {
                            prefixes: s,
                            may_be_public: false,
                            reason: why.clone(),
                        }),
                        (LinkStatus::Inactive(_), _) => {}
                    }
                }
                // peerings managed by another configuration add their address spaces too
                if let Some(why) = v.meta.children_unlisted("peerings") {
                    t.uncertain.push(UncertainPart {
                        prefixes: None,
                        may_be_public: false,
                        reason: format!(
                            "{why}; the address spaces of peerings not in the inputs are part of \
                             the VirtualNetwork tag"
                        ),
                    });
                }
            }
            None => t.uncertain.push(UncertainPart {
                prefixes: None,
                may_be_public: false,
                reason: format!(
                    "the VNet of subnet {} is not in the input",
                    subnet.meta.address()
                ),
            }),
        }
        // Address spaces reached through a VNet gateway (on-premises prefixes learned over BGP
        // or configured on local network gateways) are part of the tag, and invisible in plans.
        if let Some(why) = routing::bgp_possible(model, subnet, None) {
            t.uncertain.push(UncertainPart {
                prefixes: None,
                may_be_public: false,
                reason: format!(
                    "address spaces reached through the VNet gateway ({why}) are part of the \
                     VirtualNetwork tag and are not known"
                ),
            });
        }
        match routing::subnet_route_table(model, subnet) {
            Ok(None) => {}
            Ok(Some(rt)) => match &rt.routes {
                Known::Known(routes) => {
                    for r in routes {
                        match &r.prefix {
                            Known::Known(RoutePrefix::Cidr(n)) => t.prefixes.push(*n),
                            Known::Known(RoutePrefix::Tag(tag)) => t.route_tags.push(tag.clone()),
                            _ => t.uncertain.push(UncertainPart {
                                prefixes: None,
                                may_be_public: true,
                                reason: format!(
                                    "the prefix of route \"{}\" in {} is not known",
                                    r.display_name(),
                                    rt.meta.address()
                                ),
                            }),
                        }
                    }
                }
                Known::Unknown(why) => t.uncertain.push(UncertainPart {
                    prefixes: None,
                    may_be_public: true,
                    reason: format!(
                        "the routes of {} are not known ({why}); route prefixes are part of the \
                         VirtualNetwork tag",
                        rt.meta.address()
                    ),
                }),
                Known::Absent => {}
            },
            Err(e) => t.uncertain.push(UncertainPart {
                prefixes: None,
                may_be_public: true,
                reason: format!(
                    "{}; route prefixes are part of the VirtualNetwork tag",
                    e.reason
                ),
            }),
        }
        t
    }
}

/// What an NSG evaluation needs besides the NSG and the flow: the `VirtualNetwork` tag of the
/// subnet the NSG is associated with, and the cluster region (regional service tags).
#[derive(Debug, Clone, Default)]
pub struct NsgContext {
    pub vnet_tag: VnetTag,
    pub location: Option<String>,
}

impl NsgContext {
    pub fn for_subnet(model: &Model, subnet: &Subnet, location: Option<&str>) -> NsgContext {
        // the tag depends on the subnet only: built once per subnet of a finished model
        let vnet_tag = crate::model::element_index(&model.subnets, subnet)
            .and_then(|i| model.derived("vnet_tag", i, || VnetTag::for_subnet(model, subnet)))
            .map_or_else(|| VnetTag::for_subnet(model, subnet), |t| (*t).clone());
        NsgContext {
            vnet_tag,
            location: location.map(str::to_string),
        }
    }
}

// ---------------------------------------------------------------- results

/// A rule as shown in results and traces.
#[derive(Debug, Clone, Serialize)]
pub struct RuleInfo {
    /// Address of the NSG.
    pub nsg: String,
    pub name: String,
    pub priority: Option<u32>,
    pub access: Option<Access>,
    pub direction: Option<Direction>,
    /// One of the built-in default rules.
    pub default_rule: bool,
    #[serde(skip)]
    pub origin: Origin,
}

impl RuleInfo {
    /// `rule "deny-internet" (priority 100, Deny)` / `default rule "DenyAllOutBound" (priority
    /// 65500, Deny)`.
    pub fn label(&self) -> String {
        let prio = self
            .priority
            .map(|p| p.to_string())
            .unwrap_or_else(|| "unknown".into());
        let access = match self.access {
            Some(Access::Allow) => "Allow",
            Some(Access::Deny) => "Deny",
            None => "access unknown",
        };
        let kind = if self.default_rule {
            "default rule"
        } else {
            "rule"
        };
        format!("{kind} \"{}\" (priority {prio}, {access})", self.name)
    }
    /// `azurerm_network_security_group.nodes rule "deny-internet" (priority 100, Deny)`.
    pub fn describe(&self) -> String {
        format!("{} {}", self.nsg, self.label())
    }
}

/// A rule that may match but could not be decided.
#[derive(Debug, Clone, Serialize)]
pub struct UndecidedRule {
    pub rule: RuleInfo,
    pub reason: String,
}

/// Outcome of evaluating a flow against one NSG.
#[derive(Debug, Clone, Serialize)]
pub struct NsgDecision {
    pub verdict: Verdict,
    /// The first rule certainly matching (for unknown verdicts: the rule that would decide if the
    /// undecidable rules did not match).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deciding: Option<RuleInfo>,
    /// Earlier rules that may match with a different access (the reason the verdict is unknown).
    pub undecided: Vec<UndecidedRule>,
    /// When the deciding rule applies only to part of the node subnet: those addresses.
    pub partial: Vec<IpNet>,
    /// Allow rules that covered part of the node subnet before the deciding rule.
    pub partial_allows: Vec<(RuleInfo, Vec<IpNet>)>,
    /// One sentence.
    pub reason: String,
}

impl NsgDecision {
    fn unknown(reason: String) -> Self {
        NsgDecision {
            verdict: Verdict::Unknown,
            deciding: None,
            undecided: vec![],
            partial: vec![],
            partial_allows: vec![],
            reason,
        }
    }
}

// ---------------------------------------------------------------- matching

#[derive(Debug, Clone)]
enum Tri {
    Yes,
    No,
    Maybe(String),
}

#[derive(Debug, Clone)]
enum RuleMatch {
    Yes,
    No,
    Maybe(String),
    /// The rule matches the flow for these node addresses only.
    Partial(Vec<Range>),
}

fn match_protocol(p: &Known<NsgProtocol>, flow: &Flow) -> Tri {
    match p {
        Known::Known(NsgProtocol::Any) => Tri::Yes,
        Known::Known(NsgProtocol::Tcp) => bool_tri(flow.protocol == Protocol::Tcp),
        Known::Known(NsgProtocol::Udp) => bool_tri(flow.protocol == Protocol::Udp),
        Known::Known(_) => Tri::No,
        Known::Unknown(r) => Tri::Maybe(format!("protocol is not known ({r})")),
        Known::Absent => Tri::Maybe("protocol is not set".into()),
    }
}

fn bool_tri(b: bool) -> Tri {
    if b { Tri::Yes } else { Tri::No }
}

fn match_dest_ports(p: &Known<Vec<PortRange>>, port: u16) -> Tri {
    match p {
        Known::Known(list) if list.is_empty() => Tri::Maybe("no destination port is set".into()),
        Known::Known(list) => bool_tri(list.iter().any(|r| r.contains(port))),
        Known::Unknown(r) => Tri::Maybe(format!("destination ports are not known ({r})")),
        Known::Absent => Tri::Maybe("destination ports are not set".into()),
    }
}

/// Client source ports are ephemeral (Linux 32768-60999, Windows 49152-65535); a rule covering
/// 1024-65535 certainly matches them, one disjoint from that range never does.
fn match_source_ports(p: &Known<Vec<PortRange>>) -> Tri {
    const EPH: PortRange = PortRange {
        lo: 1024,
        hi: 65535,
    };
    match p {
        Known::Known(list) if list.is_empty() => Tri::Yes,
        Known::Known(list) => {
            let mut v: Vec<PortRange> = list.clone();
            v.sort_by_key(|r| r.lo);
            let mut next: u32 = EPH.lo as u32;
            for r in &v {
                if (r.lo as u32) <= next && (r.hi as u32) >= next {
                    next = r.hi as u32 + 1;
                }
            }
            if next > EPH.hi as u32 {
                Tri::Yes
            } else if v.iter().all(|r| r.hi < EPH.lo) {
                Tri::No
            } else {
                Tri::Maybe(
                    "the source port range restricts client (ephemeral) ports; which port a node \
                     uses is not known"
                        .into(),
                )
            }
        }
        Known::Unknown(r) => Tri::Maybe(format!("source ports are not known ({r})")),
        Known::Absent => Tri::Yes,
    }
}

/// Service tags used as UDR address prefixes are part of the VirtualNetwork tag: the first one
/// that contains (or may contain) the destination decides.
fn route_tag_match(ctx: &NsgContext, flow: &Flow) -> Option<Tri> {
    for t in &ctx.vnet_tag.route_tags {
        match servicetags::relation(
            t,
            &flow.destination,
            &flow.destination_tags,
            ctx.location.as_deref(),
        ) {
            TagRelation::Contains => return Some(Tri::Yes),
            TagRelation::Maybe(why) => {
                return Some(Tri::Maybe(format!(
                    "VirtualNetwork includes the UDR prefix {t}: {why}"
                )));
            }
            _ => {}
        }
    }
    None
}

fn match_vnet_tag_dest(ctx: &NsgContext, flow: &Flow) -> Tri {
    let tag = &ctx.vnet_tag;
    let dest = &flow.destination;
    let what = servicetags::describe_dest(dest);
    match dest {
        Destination::Ip(ip) => {
            if tag.prefixes.iter().any(|n| n.contains(ip)) {
                return Tri::Yes;
            }
            if let Some(m) = route_tag_match(ctx, flow) {
                return m;
            }
            for u in &tag.uncertain {
                let hit = match &u.prefixes {
                    Some(p) => p.iter().any(|n| n.contains(ip)),
                    None => u.may_be_public || !servicetags::is_public_ip(ip),
                };
                if hit {
                    return Tri::Maybe(format!(
                        "whether {what} is in VirtualNetwork is not known: {}",
                        u.reason
                    ));
                }
            }
            Tri::No
        }
        _ => {
            if tag
                .prefixes
                .iter()
                .any(|n| servicetags::covers_all_public(n) && matches!(n, IpNet::V4(_)))
            {
                return Tri::Yes;
            }
            if let Some(m) = route_tag_match(ctx, flow) {
                return m;
            }
            if let Some(n) = tag
                .prefixes
                .iter()
                .find(|n| !servicetags::is_non_public_net(n))
            {
                return Tri::Maybe(format!(
                    "VirtualNetwork includes the public prefix {n}, which may contain addresses \
                     of {what}"
                ));
            }
            if let Some(u) = tag.uncertain.iter().find(|u| {
                u.may_be_public
                    || u.prefixes
                        .as_ref()
                        .is_some_and(|p| p.iter().any(|n| !servicetags::is_non_public_net(n)))
            }) {
                return Tri::Maybe(format!(
                    "whether {what} is in VirtualNetwork is not known: {}",
                    u.reason
                ));
            }
            Tri::No
        }
    }
}

fn match_dest_item(item: &AddressMatch, ctx: &NsgContext, flow: &Flow) -> Tri {
    let dest = &flow.destination;
    let what = servicetags::describe_dest(dest);
    match item {
        AddressMatch::Any => Tri::Yes,
        AddressMatch::Prefix(n) => match dest {
            Destination::Ip(ip) => bool_tri(n.contains(ip)),
            _ => {
                if servicetags::covers_all_public(n) && matches!(n, IpNet::V4(_)) {
                    Tri::Yes
                } else if servicetags::is_non_public_net(n) || matches!(n, IpNet::V6(_)) {
                    Tri::No
                } else {
                    Tri::Maybe(format!("{n} may contain addresses of {what}"))
                }
            }
        },
        AddressMatch::Tag(t) if servicetags::tag_eq(t, "VirtualNetwork") => {
            match_vnet_tag_dest(ctx, flow)
        }
        AddressMatch::Tag(t) => {
            match servicetags::relation(t, dest, &flow.destination_tags, ctx.location.as_deref()) {
                TagRelation::Contains => Tri::Yes,
                TagRelation::Disjoint => Tri::No,
                TagRelation::Maybe(why) | TagRelation::Unrelated(why) => Tri::Maybe(why),
            }
        }
        AddressMatch::Asg(r) => {
            if flow.is_public() {
                // ASGs group network interfaces of the VNet (private addresses).
                Tri::No
            } else {
                Tri::Maybe(format!(
                    "application security group {r}: membership is not modelled"
                ))
            }
        }
        AddressMatch::Invalid(s) => Tri::Maybe(format!("destination \"{s}\" is not understood")),
        AddressMatch::Unknown(why) => Tri::Maybe(format!("the destination is not known: {why}")),
    }
}

fn match_dest(items: &Known<Vec<AddressMatch>>, ctx: &NsgContext, flow: &Flow) -> Tri {
    let items = match items {
        Known::Known(i) => i,
        Known::Unknown(r) => return Tri::Maybe(format!("destinations are not known ({r})")),
        Known::Absent => return Tri::Maybe("destinations are not set".into()),
    };
    let mut maybe = Vec::new();
    for i in items {
        match match_dest_item(i, ctx, flow) {
            Tri::Yes => return Tri::Yes,
            Tri::Maybe(r) => maybe.push(r),
            Tri::No => {}
        }
    }
    if maybe.is_empty() {
        Tri::No
    } else {
        Tri::Maybe(maybe.join("; "))
    }
}

/// Ranges a source item certainly covers, and a reason when it may cover more.
fn source_item(
    item: &AddressMatch,
    ctx: &NsgContext,
    remaining: &[Range],
) -> (Vec<Range>, Option<String>) {
    let all_private = to_cidrs(remaining)
        .iter()
        .all(servicetags::is_non_public_net);
    match item {
        AddressMatch::Any => (full_ranges(), None),
        AddressMatch::Prefix(n) => (vec![range_of(n)], None),
        AddressMatch::Tag(t) if servicetags::tag_eq(t, "VirtualNetwork") => {
            let vt = &ctx.vnet_tag;
            let ranges: Vec<Range> = vt.prefixes.iter().map(range_of).collect();
            let rest = subtract(remaining, &ranges);
            let mut why = None;
            if !rest.is_empty() {
                for u in &vt.uncertain {
                    let hit = match &u.prefixes {
                        Some(p) => !intersect(&rest, &p.iter().map(range_of).collect::<Vec<_>>())
                            .is_empty(),
                        None => true,
                    };
                    if hit {
                        why = Some(format!(
                            "whether the node addresses are in VirtualNetwork is not known: {}",
                            u.reason
                        ));
                        break;
                    }
                }
            }
            (ranges, why)
        }
        AddressMatch::Tag(t) => {
            if servicetags::is_non_public_tag(t) || all_private {
                // Internet / Azure service tags hold public addresses; the NSG sees the node's
                // private address (before SNAT).
                (vec![], None)
            } else {
                (
                    vec![],
                    Some(format!(
                        "the node subnet has public addresses; whether service tag {t} contains \
                         them is not known"
                    )),
                )
            }
        }
        AddressMatch::Asg(r) => (
            vec![],
            Some(format!(
                "application security group {r}: membership is not modelled"
            )),
        ),
        AddressMatch::Invalid(s) => (vec![], Some(format!("source \"{s}\" is not understood"))),
        AddressMatch::Unknown(why) => (vec![], Some(format!("the source is not known: {why}"))),
    }
}

fn match_source(
    items: &Known<Vec<AddressMatch>>,
    ctx: &NsgContext,
    remaining: &[Range],
) -> RuleMatch {
    let items = match items {
        Known::Known(i) => i,
        Known::Unknown(r) => return RuleMatch::Maybe(format!("sources are not known ({r})")),
        Known::Absent => return RuleMatch::Maybe("sources are not set".into()),
    };
    let mut covered = Vec::new();
    let mut maybe = Vec::new();
    for i in items {
        let (r, why) = source_item(i, ctx, remaining);
        covered.extend(r);
        if let Some(w) = why {
            maybe.push(w);
        }
    }
    let covered = normalize(covered);
    let rest = subtract(remaining, &covered);
    if rest.is_empty() {
        return RuleMatch::Yes;
    }
    if !maybe.is_empty() {
        return RuleMatch::Maybe(maybe.join("; "));
    }
    let hit = intersect(remaining, &covered);
    if hit.is_empty() {
        RuleMatch::No
    } else {
        RuleMatch::Partial(hit)
    }
}

fn match_rule(
    rule: &SecurityRule,
    direction: Direction,
    ctx: &NsgContext,
    flow: &Flow,
    remaining: &[Range],
) -> RuleMatch {
    let mut maybe: Vec<String> = Vec::new();
    let mut push = |t: Tri| -> bool {
        match t {
            Tri::Yes => true,
            Tri::No => false,
            Tri::Maybe(r) => {
                maybe.push(r);
                true
            }
        }
    };
    let dir = match &rule.direction {
        Known::Known(d) => bool_tri(*d == direction),
        Known::Unknown(r) => Tri::Maybe(format!("direction is not known ({r})")),
        Known::Absent => Tri::Maybe("direction is not set".into()),
    };
    if !push(dir)
        || !push(match_protocol(&rule.protocol, flow))
        || !push(match_dest_ports(&rule.destination_ports, flow.port))
        || !push(match_source_ports(&rule.source_ports))
        || !push(match_dest(&rule.destinations, ctx, flow))
    {
        return RuleMatch::No;
    }
    let src = match_source(&rule.sources, ctx, remaining);
    match src {
        RuleMatch::No => RuleMatch::No,
        RuleMatch::Maybe(r) => {
            maybe.push(r);
            RuleMatch::Maybe(maybe.join("; "))
        }
        other if !maybe.is_empty() => {
            let _ = other;
            RuleMatch::Maybe(maybe.join("; "))
        }
        other => other,
    }
}

// ---------------------------------------------------------------- default rules

fn default_rule(
    name: &str,
    priority: u32,
    direction: Direction,
    access: Access,
    src: AddressMatch,
    dst: AddressMatch,
    origin: &Origin,
) -> SecurityRule {
    SecurityRule {
        name: Known::Known(name.into()),
        origin: origin.clone(),
        priority: Known::Known(priority),
        direction: Known::Known(direction),
        access: Known::Known(access),
        protocol: Known::Known(NsgProtocol::Any),
        source_ports: Known::Known(vec![PortRange::ANY]),
        destination_ports: Known::Known(vec![PortRange::ANY]),
        sources: Known::Known(vec![src]),
        destinations: Known::Known(vec![dst]),
    }
}

/// The built-in rules of every NSG for one direction (`origin`: the NSG's).
pub fn default_rules(direction: Direction, origin: &Origin) -> Vec<SecurityRule> {
    let vnet = || AddressMatch::Tag("VirtualNetwork".into());
    match direction {
        Direction::Outbound => vec![
            default_rule(
                "AllowVnetOutBound",
                65000,
                direction,
                Access::Allow,
                vnet(),
                vnet(),
                origin,
            ),
            default_rule(
                "AllowInternetOutBound",
                65001,
                direction,
                Access::Allow,
                AddressMatch::Any,
                AddressMatch::Tag("Internet".into()),
                origin,
            ),
            default_rule(
                "DenyAllOutBound",
                65500,
                direction,
                Access::Deny,
                AddressMatch::Any,
                AddressMatch::Any,
                origin,
            ),
        ],
        Direction::Inbound => vec![
            default_rule(
                "AllowVnetInBound",
                65000,
                direction,
                Access::Allow,
                vnet(),
                vnet(),
                origin,
            ),
            default_rule(
                "AllowAzureLoadBalancerInBound",
                65001,
                direction,
                Access::Allow,
                AddressMatch::Tag("AzureLoadBalancer".into()),
                AddressMatch::Any,
                origin,
            ),
            default_rule(
                "DenyAllInBound",
                65500,
                direction,
                Access::Deny,
                AddressMatch::Any,
                AddressMatch::Any,
                origin,
            ),
        ],
    }
}

// ---------------------------------------------------------------- evaluation

fn info(nsg: &Nsg, r: &SecurityRule, default_rule: bool) -> RuleInfo {
    RuleInfo {
        nsg: nsg.meta.address().to_string(),
        name: r.display_name(),
        priority: r.priority.known().copied(),
        access: r.access.known().copied(),
        direction: r.direction.known().copied(),
        default_rule,
        origin: r.origin.clone(),
    }
}

fn verb(a: Access) -> &'static str {
    match a {
        Access::Allow => "allows",
        Access::Deny => "denies",
    }
}

fn dir_word(d: Direction) -> &'static str {
    match d {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
    }
}

/// Does a rule reference a host-platform tag that contains the flow's destination?
fn targets_platform(rule: &SecurityRule, flow: &Flow) -> bool {
    rule.destinations.known().is_some_and(|d| {
        d.iter().any(|i| match i {
            AddressMatch::Tag(t) => {
                servicetags::base_tag(t)
                    .to_ascii_lowercase()
                    .starts_with("azureplatform")
                    && servicetags::relation(t, &flow.destination, &[], None)
                        == TagRelation::Contains
            }
            _ => false,
        })
    })
}

/// Evaluate `flow` against `nsg` in `direction`. For outbound, `ctx` is built for the node subnet;
/// for inbound, for the destination subnet (whose NSG this is).
pub fn evaluate(nsg: &Nsg, direction: Direction, flow: &Flow, ctx: &NsgContext) -> NsgDecision {
    let addr = nsg.meta.address().to_string();
    let what = flow.describe();
    let custom: &[SecurityRule] = match &nsg.rules {
        Known::Known(r) => r,
        Known::Unknown(why) => {
            return NsgDecision::unknown(format!(
                "the rules of {addr} are not known ({why}), so whether it allows {what} cannot \
                 be decided"
            ));
        }
        Known::Absent => &[],
    };
    if flow.source_prefixes.is_empty() {
        return NsgDecision::unknown(format!(
            "the node subnet's address prefixes are not known, so the rules of {addr} cannot be \
             matched"
        ));
    }
    // Host platform addresses (Azure DNS / WireServer, IMDS) are exempt from NSG rules except
    // rules written with the AzurePlatform* tags; default rules do not apply to them.
    let platform = direction == Direction::Outbound
        && matches!(&flow.destination, Destination::Ip(ip) if servicetags::is_platform_ip(ip));

    let mut placed: Vec<(u32, &SecurityRule)> = Vec::new();
    let mut unplaced: Vec<(RuleInfo, &SecurityRule)> = Vec::new();
    for r in custom {
        if let Known::Known(d) = r.direction
            && d != direction
        {
            continue;
        }
        if platform && !targets_platform(r, flow) {
            continue;
        }
        match r.priority {
            Known::Known(p) => placed.push((p, r)),
            _ => unplaced.push((info(nsg, r, false), r)),
        }
    }
    placed.sort_by_key(|(p, _)| *p);
    let defaults = default_rules(direction, &nsg.meta.origin);
    // (rule, default rule?); the rule's RuleInfo is made only when a rule matches
    let mut order: Vec<(&SecurityRule, bool)> =
        placed.into_iter().map(|(_, r)| (r, false)).collect();
    if !platform {
        for d in &defaults {
            order.push((d, true));
        }
    }

    let node_ranges: Vec<Range> = normalize(flow.source_prefixes.iter().map(range_of).collect());
    let mut remaining = node_ranges.clone();
    let mut maybes: Vec<UndecidedRule> = Vec::new();
    let mut partial_allows: Vec<(RuleInfo, Vec<IpNet>)> = Vec::new();

    // Rules with an unknown priority may come before any other.
    for (ri, r) in &unplaced {
        match match_rule(r, direction, ctx, flow, &remaining) {
            RuleMatch::No => {}
            RuleMatch::Maybe(why) => maybes.push(UndecidedRule {
                rule: ri.clone(),
                reason: format!("its priority is not known and it may match: {why}"),
            }),
            RuleMatch::Yes | RuleMatch::Partial(_) => maybes.push(UndecidedRule {
                rule: ri.clone(),
                reason: "its priority is not known, so it may come first".into(),
            }),
        }
    }

    for &(r, default_rule) in &order {
        let m = match_rule(r, direction, ctx, flow, &remaining);
        if matches!(m, RuleMatch::No) {
            continue;
        }
        let ri = &info(nsg, r, default_rule);
        let access = r.access.known().copied();
        match (m, access) {
            (RuleMatch::No, _) => {}
            (RuleMatch::Maybe(why), _) => maybes.push(UndecidedRule {
                rule: ri.clone(),
                reason: why,
            }),
            (RuleMatch::Yes | RuleMatch::Partial(_), None) => maybes.push(UndecidedRule {
                rule: ri.clone(),
                reason: format!(
                    "it matches, but its access is not known ({})",
                    r.access.unknown_reason().unwrap_or("not set")
                ),
            }),
            (RuleMatch::Partial(hit), Some(Access::Allow)) => {
                partial_allows.push((ri.clone(), to_cidrs(&hit)));
                remaining = subtract(&remaining, &hit);
                if remaining.is_empty() {
                    return decide(
                        ri,
                        Access::Allow,
                        vec![],
                        maybes,
                        partial_allows,
                        &what,
                        direction,
                    );
                }
            }
            (RuleMatch::Partial(hit), Some(Access::Deny)) => {
                return decide(
                    ri,
                    Access::Deny,
                    to_cidrs(&hit),
                    maybes,
                    partial_allows,
                    &what,
                    direction,
                );
            }
            (RuleMatch::Yes, Some(a)) => {
                let part = if remaining != node_ranges && a == Access::Deny {
                    to_cidrs(&remaining)
                } else {
                    vec![]
                };
                return decide(ri, a, part, maybes, partial_allows, &what, direction);
            }
        }
    }
    // Only reachable for platform addresses (default rules always match otherwise).
    if maybes.is_empty() {
        NsgDecision {
            verdict: Verdict::Reachable,
            deciding: None,
            undecided: vec![],
            partial: vec![],
            partial_allows,
            reason: format!(
                "{what} is a host platform address: NSG rules apply to it only through the \
                 AzurePlatformDNS / AzurePlatformIMDS tags, and no such rule of {addr} matches"
            ),
        }
    } else {
        let names: Vec<String> = maybes
            .iter()
            .map(|u| format!("{} ({})", u.rule.label(), u.reason))
            .collect();
        NsgDecision {
            verdict: Verdict::Unknown,
            deciding: None,
            undecided: maybes,
            partial: vec![],
            partial_allows,
            reason: format!(
                "whether {addr} lets {what} through cannot be decided: {}",
                names.join("; ")
            ),
        }
    }
}

fn decide(
    ri: &RuleInfo,
    access: Access,
    partial: Vec<IpNet>,
    maybes: Vec<UndecidedRule>,
    partial_allows: Vec<(RuleInfo, Vec<IpNet>)>,
    what: &str,
    direction: Direction,
) -> NsgDecision {
    let conflicting: Vec<UndecidedRule> = maybes
        .into_iter()
        .filter(|u| u.rule.access != Some(access))
        .collect();
    let dir = dir_word(direction);
    if !conflicting.is_empty() {
        let names: Vec<String> = conflicting
            .iter()
            .map(|u| format!("{} may match first ({})", u.rule.label(), u.reason))
            .collect();
        return NsgDecision {
            verdict: Verdict::Unknown,
            deciding: Some(ri.clone()),
            reason: format!(
                "whether {} lets {what} through ({dir}) cannot be decided: {} {} it, but {}",
                ri.nsg,
                ri.label(),
                verb(access),
                names.join("; ")
            ),
            undecided: conflicting,
            partial: vec![],
            partial_allows,
        };
    }
    let verdict = match access {
        Access::Allow => Verdict::Reachable,
        Access::Deny => Verdict::Blocked,
    };
    let mut reason = if partial.is_empty() {
        format!("{} {} {what} ({dir})", ri.describe(), verb(access))
    } else {
        format!(
            "{} denies {what} ({dir}) for nodes in {} (part of the node subnet)",
            ri.describe(),
            join_nets(&partial)
        )
    };
    if !partial_allows.is_empty() {
        let p: Vec<String> = partial_allows
            .iter()
            .map(|(r, n)| format!("{} allows nodes in {}", r.label(), join_nets(n)))
            .collect();
        reason.push_str(&format!("; before it, {}", p.join(", ")));
    }
    NsgDecision {
        verdict,
        deciding: Some(ri.clone()),
        undecided: vec![],
        partial,
        partial_allows,
        reason,
    }
}

/// Outbound evaluation at the node subnet's NSG.
pub fn evaluate_outbound(nsg: &Nsg, flow: &Flow, ctx: &NsgContext) -> NsgDecision {
    evaluate(nsg, Direction::Outbound, flow, ctx)
}

/// Inbound evaluation at the destination subnet's NSG (`ctx` built for the destination subnet).
pub fn evaluate_inbound(nsg: &Nsg, flow: &Flow, ctx: &NsgContext) -> NsgDecision {
    evaluate(nsg, Direction::Inbound, flow, ctx)
}

// ---------------------------------------------------------------- lint helpers

/// Rules sharing a priority and direction (Azure rejects the NSG).
#[derive(Debug, Clone, Serialize)]
pub struct DuplicatePriority {
    pub direction: Direction,
    pub priority: u32,
    /// Rule names and origins, in input order.
    pub rules: Vec<(String, Origin)>,
}

/// Custom rules with the same priority in the same direction.
pub fn duplicate_priorities(nsg: &Nsg) -> Vec<DuplicatePriority> {
    let Some(rules) = nsg.rules.known() else {
        return vec![];
    };
    let mut groups: BTreeMap<(u8, u32), Vec<(String, Origin)>> = BTreeMap::new();
    for r in rules {
        if let (Known::Known(d), Known::Known(p)) = (&r.direction, &r.priority) {
            let dk = match d {
                Direction::Inbound => 0,
                Direction::Outbound => 1,
            };
            groups
                .entry((dk, *p))
                .or_default()
                .push((r.display_name(), r.origin.clone()));
        }
    }
    groups
        .into_iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|((d, p), mut rules)| {
            // by name, not by input order (rules are a set)
            rules.sort_by(|a, b| a.0.cmp(&b.0));
            ((d, p), rules)
        })
        .map(|((d, p), rules)| DuplicatePriority {
            direction: if d == 0 {
                Direction::Inbound
            } else {
                Direction::Outbound
            },
            priority: p,
            rules,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::routing::tests::{
        base_model, host_flow, ip_flow, net, origin, peering, route, route_table, subnet, vnet,
    };
    use crate::model::{NextHopType, Ref};

    fn rule(
        name: &str,
        prio: u32,
        access: Access,
        proto: NsgProtocol,
        dports: &[&str],
        src: &[&str],
        dst: &[&str],
    ) -> SecurityRule {
        SecurityRule {
            name: Known::Known(name.into()),
            origin: origin(&format!("nsg.nodes/{name}")),
            priority: Known::Known(prio),
            direction: Known::Known(Direction::Outbound),
            access: Known::Known(access),
            protocol: Known::Known(proto),
            source_ports: Known::Known(vec![PortRange::ANY]),
            destination_ports: Known::Known(
                dports.iter().filter_map(|p| PortRange::parse(p)).collect(),
            ),
            sources: Known::Known(src.iter().map(|s| AddressMatch::parse(s)).collect()),
            destinations: Known::Known(dst.iter().map(|s| AddressMatch::parse(s)).collect()),
        }
    }

    fn nsg(rules: Vec<SecurityRule>) -> Nsg {
        Nsg {
            meta: crate::eval::routing::tests::named(
                "azurerm_network_security_group.nodes",
                "nodes",
            ),
            rules: Known::Known(rules),
        }
    }

    fn ctx() -> NsgContext {
        let m = base_model();
        NsgContext::for_subnet(&m, &m.subnets[0], Some("westeurope"))
    }

    fn mcr() -> Flow {
        host_flow(
            "mcr.microsoft.com",
            &["MicrosoftContainerRegistry", "AzureFrontDoor.FirstParty"],
        )
    }

    use Access::{Allow, Deny};
    use NsgProtocol::{Any, Tcp, Udp};

    #[test]
    fn defaults_allow_internet_and_vnet() {
        let n = nsg(vec![]);
        let d = evaluate_outbound(&n, &mcr(), &ctx());
        assert_eq!(d.verdict, Verdict::Reachable);
        let r = d.deciding.unwrap();
        assert!(r.default_rule);
        assert_eq!(r.name, "AllowInternetOutBound");
        let d = evaluate_outbound(&n, &ip_flow("10.0.2.4", Protocol::Udp, 53), &ctx());
        assert_eq!(d.deciding.unwrap().name, "AllowVnetOutBound");
        // A private address outside the VNet: neither VirtualNetwork nor Internet.
        let d = evaluate_outbound(&n, &ip_flow("192.168.1.1", Protocol::Udp, 53), &ctx());
        assert_eq!(d.verdict, Verdict::Blocked);
        assert_eq!(d.deciding.unwrap().name, "DenyAllOutBound");
    }

    #[test]
    fn deny_internet_443_blocks_mcr() {
        let n = nsg(vec![rule(
            "deny-internet",
            100,
            Deny,
            Tcp,
            &["443"],
            &["*"],
            &["Internet"],
        )]);
        let d = evaluate_outbound(&n, &mcr(), &ctx());
        assert_eq!(d.verdict, Verdict::Blocked);
        assert!(
            d.reason.contains(
                "azurerm_network_security_group.nodes rule \"deny-internet\" (priority 100, Deny)"
            ),
            "{}",
            d.reason
        );
        // Port 80 is not covered.
        let mut f = mcr();
        f.port = 80;
        assert_eq!(
            evaluate_outbound(&n, &f, &ctx()).verdict,
            Verdict::Reachable
        );
    }

    #[test]
    fn allow_before_deny_passes() {
        let n = nsg(vec![
            rule("deny-all", 200, Deny, Any, &["*"], &["*"], &["*"]),
            rule(
                "allow-mcr",
                100,
                Allow,
                Tcp,
                &["443"],
                &["VirtualNetwork"],
                &["MicrosoftContainerRegistry"],
            ),
        ]);
        let d = evaluate_outbound(&n, &mcr(), &ctx());
        assert_eq!(d.verdict, Verdict::Reachable);
        assert_eq!(d.deciding.unwrap().name, "allow-mcr");
        // A host not known to be in that tag: the allow may or may not match it.
        let d = evaluate_outbound(&n, &host_flow("packages.aks.azure.com", &[]), &ctx());
        assert_eq!(d.verdict, Verdict::Unknown);
        assert_eq!(d.undecided[0].rule.name, "allow-mcr");
        assert_eq!(d.deciding.unwrap().priority, Some(200));
        // A private address is never in the MCR tag: the deny decides.
        let d = evaluate_outbound(&n, &ip_flow("10.0.2.4", Protocol::Tcp, 443), &ctx());
        assert_eq!(d.verdict, Verdict::Blocked);
        assert_eq!(d.deciding.unwrap().priority, Some(200));
    }

    #[test]
    fn port_lists_and_protocols() {
        let n = nsg(vec![rule(
            "deny-web",
            100,
            Deny,
            Any,
            &["80", "443", "8000-9000"],
            &["*"],
            &["*"],
        )]);
        assert_eq!(
            evaluate_outbound(&n, &mcr(), &ctx()).verdict,
            Verdict::Blocked
        );
        let mut f = mcr();
        f.port = 8443;
        assert_eq!(evaluate_outbound(&n, &f, &ctx()).verdict, Verdict::Blocked);
        f.port = 22;
        assert_eq!(
            evaluate_outbound(&n, &f, &ctx()).verdict,
            Verdict::Reachable
        );
        // UDP rule does not match TCP, and vice versa.
        let n = nsg(vec![rule(
            "deny-udp",
            100,
            Deny,
            Udp,
            &["*"],
            &["*"],
            &["*"],
        )]);
        assert_eq!(
            evaluate_outbound(&n, &mcr(), &ctx()).verdict,
            Verdict::Reachable
        );
        let dns = ip_flow("10.0.2.4", Protocol::Udp, 53);
        assert_eq!(
            evaluate_outbound(&n, &dns, &ctx()).verdict,
            Verdict::Blocked
        );
        // ICMP never matches TCP/UDP.
        let n = nsg(vec![rule(
            "deny-icmp",
            100,
            Deny,
            NsgProtocol::Icmp,
            &["*"],
            &["*"],
            &["*"],
        )]);
        assert_eq!(
            evaluate_outbound(&n, &mcr(), &ctx()).verdict,
            Verdict::Reachable
        );
    }

    #[test]
    fn partial_source_coverage() {
        // Denies the lower half of the node subnet.
        let n = nsg(vec![rule(
            "deny-half",
            100,
            Deny,
            Any,
            &["*"],
            &["10.0.1.0/25"],
            &["Internet"],
        )]);
        let d = evaluate_outbound(&n, &mcr(), &ctx());
        assert_eq!(d.verdict, Verdict::Blocked);
        assert_eq!(d.partial, vec![net("10.0.1.0/25")]);
        assert!(
            d.reason
                .contains("denies mcr.microsoft.com:443/tcp (outbound) for nodes in 10.0.1.0/25"),
            "{}",
            d.reason
        );
        // Allow for one half, allow for the other half, then deny: all nodes allowed.
        let n = nsg(vec![
            rule("a1", 100, Allow, Any, &["*"], &["10.0.1.0/25"], &["*"]),
            rule("a2", 110, Allow, Any, &["*"], &["10.0.1.128/25"], &["*"]),
            rule("deny", 120, Deny, Any, &["*"], &["*"], &["*"]),
        ]);
        let d = evaluate_outbound(&n, &mcr(), &ctx());
        assert_eq!(d.verdict, Verdict::Reachable, "{}", d.reason);
        assert_eq!(d.deciding.unwrap().name, "a2");
        // Allow for one half only: the rest is denied.
        let n = nsg(vec![
            rule("a1", 100, Allow, Any, &["*"], &["10.0.1.0/25"], &["*"]),
            rule("deny", 120, Deny, Any, &["*"], &["*"], &["*"]),
        ]);
        let d = evaluate_outbound(&n, &mcr(), &ctx());
        assert_eq!(d.verdict, Verdict::Blocked);
        assert_eq!(d.partial, vec![net("10.0.1.128/25")]);
        // A source list covering the whole subnet through two items is a full match.
        let n = nsg(vec![rule(
            "d",
            100,
            Deny,
            Any,
            &["*"],
            &["10.0.1.0/25", "10.0.1.128/25"],
            &["*"],
        )]);
        let d = evaluate_outbound(&n, &mcr(), &ctx());
        assert!(d.partial.is_empty());
        assert_eq!(d.verdict, Verdict::Blocked);
        // Unrelated source prefix: no match.
        let n = nsg(vec![rule(
            "d",
            100,
            Deny,
            Any,
            &["*"],
            &["10.9.0.0/16"],
            &["*"],
        )]);
        assert_eq!(
            evaluate_outbound(&n, &mcr(), &ctx()).verdict,
            Verdict::Reachable
        );
    }

    #[test]
    fn asg_is_unknown() {
        let mut r = rule("deny-asg", 100, Deny, Any, &["*"], &["*"], &["*"]);
        r.sources = Known::Known(vec![AddressMatch::Asg(Ref::key("asg.nodes"))]);
        let d = evaluate_outbound(&nsg(vec![r]), &mcr(), &ctx());
        assert_eq!(d.verdict, Verdict::Unknown);
        assert_eq!(d.undecided.len(), 1);
        assert!(
            d.reason.contains("application security group"),
            "{}",
            d.reason
        );
    }

    #[test]
    fn azurecloud_deny_is_unknown() {
        let n = nsg(vec![rule(
            "deny-azure",
            100,
            Deny,
            Any,
            &["*"],
            &["*"],
            &["AzureCloud"],
        )]);
        let d = evaluate_outbound(&n, &mcr(), &ctx());
        assert_eq!(d.verdict, Verdict::Unknown);
        assert_eq!(d.deciding.as_ref().unwrap().name, "AllowInternetOutBound");
        assert_eq!(d.undecided[0].rule.name, "deny-azure");
        // Tagged destination: definite.
        let f = host_flow("x.westeurope.cloudapp.azure.com", &["AzureCloud"]);
        assert_eq!(evaluate_outbound(&n, &f, &ctx()).verdict, Verdict::Blocked);
        // Regional variant in the cluster region for a tag-destination.
        let n = nsg(vec![rule(
            "deny-we",
            100,
            Deny,
            Any,
            &["*"],
            &["*"],
            &["AzureCloud.westeurope"],
        )]);
        let f = Flow {
            destination: Destination::Tag("AzureCloud.westeurope".into()),
            ..mcr()
        };
        assert_eq!(evaluate_outbound(&n, &f, &ctx()).verdict, Verdict::Blocked);
    }

    #[test]
    fn maybe_then_yes_with_same_access_is_definite() {
        let n = nsg(vec![
            rule(
                "deny-azure",
                100,
                Deny,
                Any,
                &["*"],
                &["*"],
                &["AzureCloud"],
            ),
            rule(
                "deny-internet",
                200,
                Deny,
                Any,
                &["*"],
                &["*"],
                &["Internet"],
            ),
        ]);
        let d = evaluate_outbound(&n, &mcr(), &ctx());
        assert_eq!(d.verdict, Verdict::Blocked);
        assert_eq!(d.deciding.unwrap().name, "deny-internet");
        // Maybe allow before definite allow.
        let n = nsg(vec![
            rule(
                "allow-storage",
                100,
                Allow,
                Any,
                &["*"],
                &["*"],
                &["Storage"],
            ),
            rule(
                "allow-internet",
                200,
                Allow,
                Any,
                &["*"],
                &["*"],
                &["Internet"],
            ),
            rule("deny", 300, Deny, Any, &["*"], &["*"], &["*"]),
        ]);
        assert_eq!(
            evaluate_outbound(&n, &mcr(), &ctx()).verdict,
            Verdict::Reachable
        );
    }

    #[test]
    fn public_cidr_vs_host() {
        let n = nsg(vec![rule(
            "deny-20",
            100,
            Deny,
            Any,
            &["*"],
            &["*"],
            &["20.0.0.0/8"],
        )]);
        assert_eq!(
            evaluate_outbound(&n, &mcr(), &ctx()).verdict,
            Verdict::Unknown
        );
        let n = nsg(vec![rule(
            "deny-priv",
            100,
            Deny,
            Any,
            &["*"],
            &["*"],
            &["192.168.0.0/16"],
        )]);
        assert_eq!(
            evaluate_outbound(&n, &mcr(), &ctx()).verdict,
            Verdict::Reachable
        );
        let n = nsg(vec![rule(
            "deny-all",
            100,
            Deny,
            Any,
            &["*"],
            &["*"],
            &["0.0.0.0/0"],
        )]);
        assert_eq!(
            evaluate_outbound(&n, &mcr(), &ctx()).verdict,
            Verdict::Blocked
        );
    }

    #[test]
    fn unknown_fields_and_rules() {
        let mut r = rule("x", 100, Deny, Any, &["*"], &["*"], &["*"]);
        r.priority = Known::unknown("var.prio");
        let d = evaluate_outbound(&nsg(vec![r]), &mcr(), &ctx());
        assert_eq!(d.verdict, Verdict::Unknown);
        assert!(d.reason.contains("priority is not known"), "{}", d.reason);
        let mut r = rule("x", 100, Deny, Any, &["*"], &["*"], &["*"]);
        r.destination_ports = Known::unknown("var.ports");
        assert_eq!(
            evaluate_outbound(&nsg(vec![r]), &mcr(), &ctx()).verdict,
            Verdict::Unknown
        );
        let mut r = rule("x", 100, Deny, Any, &["*"], &["*"], &["*"]);
        r.access = Known::unknown("var.access");
        assert_eq!(
            evaluate_outbound(&nsg(vec![r]), &mcr(), &ctx()).verdict,
            Verdict::Unknown
        );
        // Unknown field on a rule that cannot match anyway (UDP only): irrelevant.
        let mut r = rule("x", 100, Deny, Udp, &["*"], &["*"], &["*"]);
        r.destinations = Known::unknown("var.dst");
        assert_eq!(
            evaluate_outbound(&nsg(vec![r]), &mcr(), &ctx()).verdict,
            Verdict::Reachable
        );
        let mut n = nsg(vec![]);
        n.rules = Known::unknown("module output");
        let d = evaluate_outbound(&n, &mcr(), &ctx());
        assert_eq!(d.verdict, Verdict::Unknown);
        assert!(d.reason.contains("module output"));
    }

    #[test]
    fn vnet_tag_with_default_udr_covers_everything() {
        let mut m = base_model();
        m.route_tables.push(route_table(
            "rt",
            vec![route(
                "fw",
                "0.0.0.0/0",
                NextHopType::VirtualAppliance,
                Some("10.1.0.4"),
            )],
        ));
        m.subnets[0].route_table = Known::Known(Ref::key("rt"));
        let c = NsgContext::for_subnet(&m, &m.subnets[0], None);
        let n = nsg(vec![rule(
            "deny-vnet",
            100,
            Deny,
            Any,
            &["*"],
            &["*"],
            &["VirtualNetwork"],
        )]);
        assert_eq!(evaluate_outbound(&n, &mcr(), &c).verdict, Verdict::Blocked);
        // Without the UDR, VirtualNetwork does not contain mcr.
        assert_eq!(
            evaluate_outbound(&n, &mcr(), &ctx()).verdict,
            Verdict::Reachable
        );
        // Peered VNets are part of VirtualNetwork when both sides exist.
        let mut m = base_model();
        m.vnets.push(vnet("vnet.hub", &["10.1.0.0/16"]));
        m.peerings.push(peering("p1", "vnet.spoke", "vnet.hub"));
        m.peerings.push(peering("p2", "vnet.hub", "vnet.spoke"));
        let c = NsgContext::for_subnet(&m, &m.subnets[0], None);
        let dns = ip_flow("10.1.0.4", Protocol::Udp, 53);
        let d = evaluate_outbound(&nsg(vec![]), &dns, &c);
        assert_eq!(d.deciding.unwrap().name, "AllowVnetOutBound");
    }

    #[test]
    fn inbound_at_destination_subnet() {
        let mut m = base_model();
        m.subnets
            .push(subnet("subnet.dns", "vnet.spoke", &["10.0.2.0/24"]));
        let c = NsgContext::for_subnet(&m, &m.subnets[1], None);
        let dns = ip_flow("10.0.2.4", Protocol::Udp, 53);
        let d = evaluate_inbound(&nsg(vec![]), &dns, &c);
        assert_eq!(d.verdict, Verdict::Reachable);
        assert_eq!(d.deciding.unwrap().name, "AllowVnetInBound");
        let mut r = rule(
            "deny-dns",
            100,
            Deny,
            Udp,
            &["53"],
            &["10.0.1.0/24"],
            &["*"],
        );
        r.direction = Known::Known(Direction::Inbound);
        let d = evaluate_inbound(&nsg(vec![r.clone()]), &dns, &c);
        assert_eq!(d.verdict, Verdict::Blocked);
        // An outbound rule does not apply inbound.
        r.direction = Known::Known(Direction::Outbound);
        assert_eq!(
            evaluate_inbound(&nsg(vec![r]), &dns, &c).verdict,
            Verdict::Reachable
        );
        // Source from a VNet that is not peered: DenyAllInBound.
        let mut f = dns.clone();
        f.source_prefixes = vec![net("172.20.0.0/24")];
        assert_eq!(
            evaluate_inbound(&nsg(vec![]), &f, &c).verdict,
            Verdict::Blocked
        );
    }

    #[test]
    fn platform_addresses_ignore_ordinary_rules() {
        let n = nsg(vec![rule(
            "deny-all",
            100,
            Deny,
            Any,
            &["*"],
            &["*"],
            &["*"],
        )]);
        let f = ip_flow("168.63.129.16", Protocol::Udp, 53);
        let d = evaluate_outbound(&n, &f, &ctx());
        assert_eq!(d.verdict, Verdict::Reachable);
        let n = nsg(vec![rule(
            "deny-dns",
            100,
            Deny,
            Any,
            &["*"],
            &["*"],
            &["AzurePlatformDNS"],
        )]);
        assert_eq!(evaluate_outbound(&n, &f, &ctx()).verdict, Verdict::Blocked);
    }

    #[test]
    fn duplicate_priority_helper() {
        let n = nsg(vec![
            rule("a", 100, Deny, Any, &["*"], &["*"], &["*"]),
            rule("b", 100, Allow, Any, &["*"], &["*"], &["*"]),
            rule("c", 200, Allow, Any, &["*"], &["*"], &["*"]),
        ]);
        let d = duplicate_priorities(&n);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].priority, 100);
        assert_eq!(d[0].rules.len(), 2);
    }

    #[test]
    fn cidr_conversion() {
        let r = vec![Range {
            v6: false,
            lo: u32::from(Ipv4Addr::new(10, 0, 1, 0)) as u128,
            hi: u32::from(Ipv4Addr::new(10, 0, 1, 200)) as u128,
        }];
        let c = to_cidrs(&r);
        assert_eq!(
            join_nets(&c),
            "10.0.1.0/25, 10.0.1.128/26, 10.0.1.192/29, 10.0.1.200/32"
        );
        assert_eq!(to_cidrs(&full_ranges()).len(), 2);
        let s = subtract(
            &[range_of(&net("10.0.0.0/16"))],
            &[range_of(&net("10.0.1.0/24"))],
        );
        assert_eq!(to_cidrs(&s).len(), 8);
    }
}
