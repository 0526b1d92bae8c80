//! Effective routes of a subnet and the route a flow takes.
//!
//! System routes (VNet address space -> `VnetLocal`, peered VNets -> `VNetPeering`,
//! `0.0.0.0/0` -> `Internet`, the RFC 1918 / RFC 6598 ranges -> `None`) are merged with the user
//! routes of the subnet's route table; the route with the longest matching prefix wins, and on
//! equal prefixes a user route wins over a system route. Gateway (BGP) routes are not in any input:
//! when the VNet may have a gateway and propagation is on, the choice of a system route is flagged
//! as possibly overridden ("possible forced tunnelling").
//!
//! Destinations whose addresses are not known (public host names, service tags) match a route
//! when the route's prefix contains every public address (`0.0.0.0/0`) or a service tag known to
//! contain them; a narrower public CIDR *may* contain them, which makes the choice undecidable
//! unless every candidate leads to the same next hop.

use super::flow::{Destination, Flow};
use super::servicetags::{self, TagRelation};
use crate::model::{
    IpSymbol, IpValue, Known, Model, NextHopType, Peering, Ref, RoutePrefix, RouteTable, Subnet,
    VirtualNetwork,
};
use crate::source::Origin;
use ipnet::IpNet;
use serde::Serialize;

// ---------------------------------------------------------------- peerings

/// Whether a peering carries traffic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "reason", rename_all = "snake_case")]
pub enum LinkStatus {
    /// Both sides exist (or live state says `Connected`) and allow VNet access.
    Active,
    /// The link does not carry traffic; the reason says why.
    Inactive(String),
    /// Cannot be decided from the input; the reason says why.
    Uncertain(String),
}

/// A peering seen from its local VNet, with the peering in the other direction.
#[derive(Debug, Clone)]
pub struct PeerLink<'a> {
    pub local: &'a Peering,
    /// The peering from the remote VNet back to the local one, when in the input.
    pub reverse: Option<&'a Peering>,
    pub remote_vnet: Option<&'a VirtualNetwork>,
    pub status: LinkStatus,
}

/// Do two references name the same VNet (resolving them through the model when possible)?
pub fn refs_same_vnet(model: &Model, a: &Ref, b: &Ref) -> bool {
    if a == b {
        return true;
    }
    match (model.vnet(a), model.vnet(b)) {
        (Some(x), Some(y)) => x.meta.same_resource(&y.meta),
        (Some(x), None) => x.meta.matches(b),
        (None, Some(y)) => y.meta.matches(a),
        (None, None) => false,
    }
}

/// Does `r` refer to `vnet`?
pub fn ref_is_vnet(model: &Model, r: &Ref, vnet: &VirtualNetwork) -> bool {
    vnet.meta.matches(r)
        || model
            .vnet(r)
            .is_some_and(|v| v.meta.same_resource(&vnet.meta))
}

/// The VNets (indices into `model.vnets`) that each peering's local and remote references
/// resolve to, computed once per finished model: [`refs_same_vnet`] against many peerings
/// without resolving their references again.
fn peering_vnets(model: &Model) -> std::sync::Arc<Vec<[Option<usize>; 2]>> {
    let build = || -> Vec<[Option<usize>; 2]> {
        let index =
            |r: &Known<Ref>| crate::model::element_index(&model.vnets, model.vnet(r.known()?)?);
        model
            .peerings
            .iter()
            .map(|p| [index(&p.local_vnet), index(&p.remote_vnet)])
            .collect()
    };
    match model.derived("peering_vnets", 0, build) {
        Some(t) if t.len() == model.peerings.len() => t,
        _ => std::sync::Arc::new(build()),
    }
}

/// [`refs_same_vnet`] with both sides already resolved (`a_vnet`: index of `a`'s VNet).
fn resolved_same_vnet(
    model: &Model,
    a: &Ref,
    a_vnet: Option<usize>,
    b: &Ref,
    b_vnet: Option<&VirtualNetwork>,
) -> bool {
    if a == b {
        return true;
    }
    match (a_vnet.and_then(|i| model.vnets.get(i)), b_vnet) {
        (Some(x), Some(y)) => x.meta.same_resource(&y.meta),
        (Some(x), None) => x.meta.matches(b),
        (None, Some(y)) => y.meta.matches(a),
        (None, None) => false,
    }
}

/// The first peering (in input order) whose local VNet is `local` and remote VNet is
/// `remote`, skipping `except`.
pub fn find_peering<'a>(
    model: &'a Model,
    local: &Ref,
    remote: &Ref,
    except: Option<&Peering>,
) -> Option<&'a Peering> {
    let table = peering_vnets(model);
    let (lv, rv) = (model.vnet(local), model.vnet(remote));
    model
        .peerings
        .iter()
        .zip(table.iter())
        .find(|(p, [pl, pr])| {
            !except.is_some_and(|e| p.meta.same_resource(&e.meta))
                && p.local_vnet
                    .known()
                    .is_some_and(|x| resolved_same_vnet(model, x, *pl, local, lv))
                && p.remote_vnet
                    .known()
                    .is_some_and(|x| resolved_same_vnet(model, x, *pr, remote, rv))
        })
        .map(|(p, _)| p)
}

/// The peering from `local`'s remote VNet back to its local VNet.
pub fn reverse_peering<'a>(model: &'a Model, local: &Peering) -> Option<&'a Peering> {
    let (Some(lv), Some(rv)) = (local.local_vnet.known(), local.remote_vnet.known()) else {
        return None;
    };
    find_peering(model, rv, lv, Some(local))
}

fn side_status(p: &Peering) -> Option<LinkStatus> {
    let addr = p.meta.address();
    match &p.allow_virtual_network_access {
        Known::Known(false) => {
            return Some(LinkStatus::Inactive(format!(
                "{addr} has allow_virtual_network_access = false"
            )));
        }
        Known::Unknown(r) => {
            return Some(LinkStatus::Uncertain(format!(
                "allow_virtual_network_access of {addr} is not known ({r})"
            )));
        }
        _ => {}
    }
    if let Known::Known(s) = &p.state
        && !s.eq_ignore_ascii_case("Connected")
    {
        return Some(LinkStatus::Inactive(format!(
            "{addr} is in state {s}, not Connected"
        )));
    }
    None
}

/// Status of one peering, checking both directions.
pub fn link_status(model: &Model, local: &Peering) -> LinkStatus {
    if let Some(s) = side_status(local) {
        return s;
    }
    let addr = local.meta.address();
    let Some(remote_ref) = local.remote_vnet.known() else {
        return LinkStatus::Uncertain(format!("the remote VNet of {addr} is not known"));
    };
    match reverse_peering(model, local) {
        Some(rev) => side_status(rev).unwrap_or(LinkStatus::Active),
        None => {
            if local
                .state
                .known()
                .is_some_and(|s| s.eq_ignore_ascii_case("Connected"))
            {
                // Live state: Connected means the other side exists.
                LinkStatus::Active
            } else if let Some(remote) = model.vnet(remote_ref) {
                match remote.meta.children_unlisted("peerings") {
                    None => LinkStatus::Inactive(format!(
                        "there is no peering from {} back to the local VNet of {addr}; a peering \
                         carries traffic only when both sides exist",
                        remote_ref
                    )),
                    Some(why) => LinkStatus::Uncertain(format!(
                        "no peering from {} back to the local VNet of {addr} is in the inputs, \
                         and {why}",
                        remote.meta.address()
                    )),
                }
            } else {
                LinkStatus::Uncertain(format!(
                    "the peering from {remote_ref} back to the local VNet of {addr} is not in the \
                     input (the remote VNet is managed elsewhere)"
                ))
            }
        }
    }
}

/// Peerings whose local side is `vnet`, with their status.
pub fn peer_links<'a>(model: &'a Model, vnet: &'a VirtualNetwork) -> Vec<PeerLink<'a>> {
    model
        .peerings_of(vnet)
        .map(|p| PeerLink {
            local: p,
            reverse: reverse_peering(model, p),
            remote_vnet: p.remote_vnet.known().and_then(|r| model.vnet(r)),
            status: link_status(model, p),
        })
        .collect()
}

// ---------------------------------------------------------------- effective routes

/// Where a route comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteSource {
    /// A route of the subnet's route table.
    User,
    /// A default system route (VNet address space, `0.0.0.0/0`, reserved ranges).
    System,
    /// A system route added by a VNet peering.
    Peering,
}

/// Next hop of an effective route (the user-settable types plus `VNetPeering`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum NextHop {
    VnetLocal,
    VNetPeering,
    Internet,
    VirtualAppliance,
    VirtualNetworkGateway,
    None,
}

impl NextHop {
    pub fn as_str(&self) -> &'static str {
        match self {
            NextHop::VnetLocal => "VnetLocal",
            NextHop::VNetPeering => "VNetPeering",
            NextHop::Internet => "Internet",
            NextHop::VirtualAppliance => "VirtualAppliance",
            NextHop::VirtualNetworkGateway => "VirtualNetworkGateway",
            NextHop::None => "None",
        }
    }
}

impl From<NextHopType> for NextHop {
    fn from(t: NextHopType) -> Self {
        match t {
            NextHopType::VirtualNetworkGateway => NextHop::VirtualNetworkGateway,
            NextHopType::VnetLocal => NextHop::VnetLocal,
            NextHopType::Internet => NextHop::Internet,
            NextHopType::VirtualAppliance => NextHop::VirtualAppliance,
            NextHopType::None => NextHop::None,
        }
    }
}

/// What a system route stands for (for messages and the reserved-range rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SystemKind {
    /// VNet address space.
    VnetSpace,
    /// Default route to the internet.
    Default,
    /// RFC 1918 / RFC 6598 reserved range dropped by default.
    Reserved,
    /// Address space of a peered VNet.
    PeeredSpace,
}

/// One route of a subnet's effective route table.
#[derive(Debug, Clone, Serialize)]
pub struct EffectiveRoute {
    pub source: RouteSource,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_kind: Option<SystemKind>,
    /// User route name, or a description of the system route.
    pub name: String,
    pub prefix: Known<RoutePrefix>,
    pub next_hop: Known<NextHop>,
    /// For `VirtualAppliance`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_hop_ip: Option<IpValue>,
    #[serde(skip)]
    pub origin: Option<Origin>,
    /// Address of the route table (user routes) .
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route_table: Option<String>,
    /// Address of the local peering (peering routes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peering: Option<String>,
    /// Set when the route may not exist (peering status not decidable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uncertain: Option<String>,
}

impl EffectiveRoute {
    pub fn prefix_display(&self) -> String {
        match &self.prefix {
            Known::Known(RoutePrefix::Cidr(n)) => n.to_string(),
            Known::Known(RoutePrefix::Tag(t)) => format!("service tag {t}"),
            Known::Unknown(_) => "(prefix unknown)".into(),
            Known::Absent => "(no prefix)".into(),
        }
    }

    pub fn next_hop_display(&self) -> String {
        let t = match &self.next_hop {
            Known::Known(h) => h.as_str().to_string(),
            _ => "(next hop type unknown)".into(),
        };
        match &self.next_hop_ip {
            Some(ip) => format!("{t} {}", ip_value_display(ip)),
            None => t,
        }
    }

    /// One line naming the route: `route table azurerm_route_table.rt route "default"
    /// (0.0.0.0/0 -> VirtualAppliance 10.0.1.4)` or `system route 0.0.0.0/0 -> Internet`.
    pub fn describe(&self) -> String {
        match self.source {
            RouteSource::User => format!(
                "route table {} route \"{}\" ({} -> {})",
                self.route_table.as_deref().unwrap_or("(unknown)"),
                self.name,
                self.prefix_display(),
                self.next_hop_display()
            ),
            RouteSource::System => format!(
                "system route {} -> {} ({})",
                self.prefix_display(),
                self.next_hop_display(),
                self.name
            ),
            RouteSource::Peering => format!(
                "peering route {} -> VNetPeering via {}",
                self.prefix_display(),
                self.peering.as_deref().unwrap_or("(unknown peering)")
            ),
        }
    }

    fn precedence(&self) -> u8 {
        match (self.source, self.system_kind) {
            (RouteSource::User, _) => 3,
            (RouteSource::Peering, _) | (_, Some(SystemKind::VnetSpace)) => 2,
            _ => 1,
        }
    }
}

/// Display of an IP value: the address, or what it refers to.
pub fn ip_value_display(v: &IpValue) -> String {
    match (&v.ip, &v.symbol) {
        (Known::Known(ip), _) => ip.to_string(),
        (_, Some(IpSymbol::FirewallPrivateIp(r))) => format!("(private IP of {r})"),
        (_, Some(IpSymbol::NetworkInterface(r))) => format!("(private IP of {r})"),
        (_, Some(IpSymbol::ResolverInboundEndpoint(r))) => format!("(IP of {r})"),
        (_, Some(IpSymbol::PublicIp(r))) => format!("(address of {r})"),
        (_, Some(IpSymbol::PublicIpPrefix(r))) => format!("(prefix {r})"),
        (_, Some(IpSymbol::Other(s))) => format!("({s})"),
        (Known::Unknown(_), None) => "(IP known after apply)".into(),
        (Known::Absent, None) => "(no IP)".into(),
    }
}

/// The effective route table of a subnet (before choosing for a destination).
#[derive(Debug, Clone, Default, Serialize)]
pub struct EffectiveRoutes {
    pub routes: Vec<EffectiveRoute>,
    /// Peering routes that do not exist because the peering does not carry traffic (kept to
    /// explain drops).
    pub inactive_peerings: Vec<(EffectiveRoute, String)>,
    /// Set when gateway (BGP) routes may be added to this subnet; says why.
    pub bgp_possible: Option<String>,
    /// Address of the associated route table.
    pub route_table: Option<String>,
}

/// Why the effective routes cannot be built.
#[derive(Debug, Clone)]
pub struct RoutesUnknown {
    pub reason: String,
    pub origin: Option<Origin>,
    /// The route table address when the problem is in it.
    pub route_table: Option<String>,
}

const RESERVED: [&str; 4] = [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
];

fn system(
    kind: SystemKind,
    name: &str,
    prefix: Known<RoutePrefix>,
    hop: NextHop,
) -> EffectiveRoute {
    EffectiveRoute {
        source: RouteSource::System,
        system_kind: Some(kind),
        name: name.into(),
        prefix,
        next_hop: Known::Known(hop),
        next_hop_ip: None,
        origin: None,
        route_table: None,
        peering: None,
        uncertain: None,
    }
}

/// The route table associated with a subnet: `Ok(None)` when none is associated.
pub fn subnet_route_table<'a>(
    model: &'a Model,
    subnet: &Subnet,
) -> Result<Option<&'a RouteTable>, RoutesUnknown> {
    match &subnet.route_table {
        Known::Absent => Ok(None),
        Known::Unknown(r) => Err(RoutesUnknown {
            reason: format!(
                "the route table association of subnet {} is not known ({r})",
                subnet.meta.address()
            ),
            origin: Some(subnet.meta.origin_of("route_table").clone()),
            route_table: None,
        }),
        Known::Known(rr) => match model.route_table(rr) {
            Some(rt) => Ok(Some(rt)),
            None => Err(RoutesUnknown {
                reason: format!(
                    "subnet {} uses route table {rr}, which is not in the input",
                    subnet.meta.address()
                ),
                origin: Some(subnet.meta.origin_of("route_table").clone()),
                route_table: Some(rr.display()),
            }),
        },
    }
}

/// Why gateway (BGP) routes may reach this subnet, if they may.
pub fn bgp_possible(model: &Model, subnet: &Subnet, rt: Option<&RouteTable>) -> Option<String> {
    if let Some(rt) = rt
        && let Known::Known(false) = rt.bgp_route_propagation
    {
        return None;
    }
    let vnet = model.subnet_vnet(subnet)?;
    let mut why = Vec::new();
    for s in model.vnet_subnets(vnet) {
        if s.meta
            .name
            .known()
            .is_some_and(|n| n.eq_ignore_ascii_case("GatewaySubnet"))
        {
            why.push(format!(
                "VNet {} has a GatewaySubnet ({})",
                vnet.meta.address(),
                s.meta.address()
            ));
        }
    }
    for p in model.peerings_of(vnet) {
        match &p.use_remote_gateways {
            Known::Known(true) => why.push(format!(
                "peering {} uses the remote VNet's gateway",
                p.meta.address()
            )),
            Known::Unknown(_) => why.push(format!(
                "peering {} may use the remote VNet's gateway (use_remote_gateways is not known)",
                p.meta.address()
            )),
            _ => {}
        }
    }
    if why.is_empty() {
        return None;
    }
    let prop = match rt {
        None => "no route table disables gateway route propagation".to_string(),
        Some(rt) => match &rt.bgp_route_propagation {
            Known::Unknown(_) => format!(
                "whether route table {} propagates gateway routes is not known",
                rt.meta.address()
            ),
            _ => format!(
                "route table {} propagates gateway routes",
                rt.meta.address()
            ),
        },
    };
    Some(format!("{}; {prop}", why.join("; ")))
}

/// Build the effective routes of a subnet.
pub fn effective_routes(model: &Model, subnet: &Subnet) -> Result<EffectiveRoutes, RoutesUnknown> {
    let rt = subnet_route_table(model, subnet)?;
    let mut out = EffectiveRoutes {
        route_table: rt.map(|t| t.meta.address().to_string()),
        bgp_possible: bgp_possible(model, subnet, rt),
        ..Default::default()
    };
    // User routes.
    let mut user_default = false;
    if let Some(rt) = rt {
        let routes = match &rt.routes {
            Known::Known(r) => r,
            Known::Unknown(r) => {
                return Err(RoutesUnknown {
                    reason: format!(
                        "the routes of route table {} are not known ({r})",
                        rt.meta.address()
                    ),
                    origin: Some(rt.meta.origin_of("routes").clone()),
                    route_table: Some(rt.meta.address().to_string()),
                });
            }
            Known::Absent => &Vec::new(),
        };
        for r in routes {
            if let Known::Known(RoutePrefix::Cidr(n)) = &r.prefix
                && n.prefix_len() == 0
            {
                user_default = true;
            }
            out.routes.push(EffectiveRoute {
                source: RouteSource::User,
                system_kind: None,
                name: r.display_name(),
                prefix: r.prefix.clone(),
                next_hop: r.next_hop_type.clone().map(NextHop::from),
                next_hop_ip: r.next_hop_ip.clone(),
                origin: Some(r.origin.clone()),
                route_table: Some(rt.meta.address().to_string()),
                peering: None,
                uncertain: None,
            });
        }
    }
    // VNet address space.
    let vnet = model.subnet_vnet(subnet);
    let mut vnet_space: Vec<IpNet> = Vec::new();
    match vnet.map(|v| &v.address_space) {
        Some(Known::Known(space)) => {
            for n in space {
                vnet_space.push(*n);
                out.routes.push(system(
                    SystemKind::VnetSpace,
                    "VNet address space",
                    Known::Known(RoutePrefix::Cidr(*n)),
                    NextHop::VnetLocal,
                ));
            }
        }
        Some(other) => {
            let why = other
                .unknown_reason()
                .unwrap_or("not set in the input")
                .to_string();
            out.routes.push(system(
                SystemKind::VnetSpace,
                "VNet address space",
                Known::Unknown(format!(
                    "the address space of VNet {} is not known ({why})",
                    vnet.map(|v| v.meta.address()).unwrap_or("?")
                )),
                NextHop::VnetLocal,
            ));
        }
        None => {
            let what = match &subnet.vnet {
                Known::Known(r) => format!("VNet {r} is not in the input"),
                _ => "the subnet's VNet is not known".into(),
            };
            out.routes.push(system(
                SystemKind::VnetSpace,
                "VNet address space",
                Known::Unknown(what),
                NextHop::VnetLocal,
            ));
        }
    }
    // Peerings.
    if let Some(vnet) = vnet {
        for link in peer_links(model, vnet) {
            let paddr = link.local.meta.address().to_string();
            let prefixes: Vec<Known<RoutePrefix>> = match link.remote_vnet.map(|v| &v.address_space)
            {
                Some(Known::Known(space)) => space
                    .iter()
                    .map(|n| Known::Known(RoutePrefix::Cidr(*n)))
                    .collect(),
                _ => vec![Known::Unknown(format!(
                    "the address space of the VNet peered by {paddr} is not known"
                ))],
            };
            for prefix in prefixes {
                let route = EffectiveRoute {
                    source: RouteSource::Peering,
                    system_kind: Some(SystemKind::PeeredSpace),
                    name: format!("peered VNet address space ({paddr})"),
                    prefix,
                    next_hop: Known::Known(NextHop::VNetPeering),
                    next_hop_ip: None,
                    origin: Some(link.local.meta.origin.clone()),
                    route_table: None,
                    peering: Some(paddr.clone()),
                    uncertain: match &link.status {
                        LinkStatus::Uncertain(r) => Some(r.clone()),
                        _ => None,
                    },
                };
                match &link.status {
                    LinkStatus::Inactive(r) => out.inactive_peerings.push((route, r.clone())),
                    _ => out.routes.push(route),
                }
            }
        }
    }
    // Default route and reserved ranges.
    out.routes.push(system(
        SystemKind::Default,
        "default route",
        Known::Known(RoutePrefix::Cidr(IpNet::V4(Default::default()))),
        NextHop::Internet,
    ));
    // A user route for 0.0.0.0/0 removes the reserved-range routes (documented in the Azure
    // routing example); so does an address space containing the reserved range.
    if !user_default {
        for r in RESERVED {
            let Ok(net) = r.parse::<IpNet>() else {
                continue;
            };
            if vnet_space.iter().any(|v| v.contains(&net)) {
                continue;
            }
            out.routes.push(system(
                SystemKind::Reserved,
                "reserved private range",
                Known::Known(RoutePrefix::Cidr(net)),
                NextHop::None,
            ));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- route choice

/// Specificity of a match: prefix length, then tie rank (explicit prefix > regional tag >
/// top-level tag > `AzureCloud.<region>` > `AzureCloud`), then source precedence.
type Spec = (u8, u8, u8);

enum RMatch {
    Yes(Spec),
    No,
    Maybe(Spec, String),
}

fn tag_rank(tag: &str) -> u8 {
    let (_, region) = servicetags::split_regional(tag);
    match (servicetags::is_azurecloud_tag(tag), region.is_some()) {
        (false, true) => 4,
        (false, false) => 3,
        (true, true) => 2,
        (true, false) => 1,
    }
}

fn match_route(r: &EffectiveRoute, flow: &Flow, location: Option<&str>) -> RMatch {
    let prec = r.precedence();
    let dest = &flow.destination;
    let m = match &r.prefix {
        Known::Known(RoutePrefix::Cidr(n)) => match dest {
            Destination::Ip(ip) => {
                if n.contains(ip) {
                    RMatch::Yes((n.prefix_len(), 10, prec))
                } else {
                    RMatch::No
                }
            }
            _ => {
                if servicetags::covers_all_public(n) {
                    // Host names and tags are taken as IPv4 destinations (AKS egress is IPv4).
                    if matches!(n, IpNet::V4(_)) {
                        RMatch::Yes((0, 10, prec))
                    } else {
                        RMatch::No
                    }
                } else if servicetags::is_non_public_net(n) {
                    RMatch::No
                } else {
                    RMatch::Maybe(
                        (n.prefix_len(), 10, prec),
                        format!(
                            "{} may contain addresses of {}",
                            n,
                            servicetags::describe_dest(dest)
                        ),
                    )
                }
            }
        },
        Known::Known(RoutePrefix::Tag(t)) => {
            match servicetags::relation(t, dest, &flow.destination_tags, location) {
                TagRelation::Contains => RMatch::Yes((1, tag_rank(t), prec)),
                TagRelation::Maybe(why) => RMatch::Maybe((1, tag_rank(t), prec), why),
                TagRelation::Unrelated(_) | TagRelation::Disjoint => RMatch::No,
            }
        }
        Known::Unknown(why) => {
            let vnet_kind = matches!(
                r.system_kind,
                Some(SystemKind::VnetSpace) | Some(SystemKind::PeeredSpace)
            );
            if vnet_kind && !matches!(dest, Destination::Ip(_)) {
                // VNet address spaces are not where public service endpoints live: a VNet whose
                // space contained them could not reach those services anyway.
                RMatch::No
            } else if vnet_kind
                && matches!(dest, Destination::Ip(ip) if servicetags::is_public_ip(ip))
            {
                RMatch::No
            } else {
                RMatch::Maybe((128, 0, prec), why.clone())
            }
        }
        Known::Absent => RMatch::Maybe((128, 0, prec), "route has no address prefix".into()),
    };
    // A route that may not exist turns a match into a maybe.
    match (m, &r.uncertain) {
        (RMatch::Yes(s), Some(why)) => RMatch::Maybe(s, why.clone()),
        (m, _) => m,
    }
}

/// Same next hop (type and, for appliances, address)?
pub fn same_next_hop(a: &EffectiveRoute, b: &EffectiveRoute) -> bool {
    let (Known::Known(ta), Known::Known(tb)) = (&a.next_hop, &b.next_hop) else {
        return false;
    };
    if ta != tb {
        return false;
    }
    match ta {
        NextHop::VirtualAppliance => match (&a.next_hop_ip, &b.next_hop_ip) {
            (Some(x), Some(y)) => match (&x.ip, &y.ip) {
                (Known::Known(i), Known::Known(j)) => i == j,
                _ => x.symbol.is_some() && x.symbol == y.symbol,
            },
            _ => false,
        },
        NextHop::VNetPeering => a.peering == b.peering,
        _ => true,
    }
}

/// The route a flow takes from a subnet.
#[derive(Debug, Clone, Serialize)]
pub struct RouteDecision {
    /// The route taken; `None` when undecidable.
    pub chosen: Option<EffectiveRoute>,
    /// Set when `chosen` is a system route that a gateway-learned (BGP) route may override.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub possible_forced_tunnelling: Option<String>,
    /// Why no route could be chosen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undecided: Option<String>,
    /// Routes that might apply instead of the best definite match.
    pub candidates: Vec<EffectiveRoute>,
    /// Element to point at when undecided.
    #[serde(skip)]
    pub origin: Option<Origin>,
    /// Address of the subnet's route table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route_table: Option<String>,
    /// A peering route for the destination that does not exist because the peering is not
    /// active, with the reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inactive_peering: Option<(EffectiveRoute, String)>,
}

impl RouteDecision {
    fn undecided(reason: String, origin: Option<Origin>, route_table: Option<String>) -> Self {
        RouteDecision {
            chosen: None,
            possible_forced_tunnelling: None,
            undecided: Some(reason),
            candidates: vec![],
            origin,
            route_table,
            inactive_peering: None,
        }
    }
}

/// Choose the route for `flow` out of `subnet`. `location` is the cluster region (regional
/// service-tag routes).
pub fn choose_route(
    model: &Model,
    subnet: &Subnet,
    flow: &Flow,
    location: Option<&str>,
) -> RouteDecision {
    // the effective routes depend on the subnet only: built once per subnet of a finished model
    let er = crate::model::element_index(&model.subnets, subnet)
        .and_then(|i| model.derived("effective_routes", i, || effective_routes(model, subnet)))
        .unwrap_or_else(|| std::sync::Arc::new(effective_routes(model, subnet)));
    match &*er {
        Ok(er) => choose_from(er, flow, location),
        Err(e) => {
            RouteDecision::undecided(e.reason.clone(), e.origin.clone(), e.route_table.clone())
        }
    }
}

/// Choose among already built effective routes.
pub fn choose_from(er: &EffectiveRoutes, flow: &Flow, location: Option<&str>) -> RouteDecision {
    let mut yes: Vec<(Spec, &EffectiveRoute)> = Vec::new();
    let mut maybe: Vec<(Spec, &EffectiveRoute, String)> = Vec::new();
    for r in &er.routes {
        match match_route(r, flow, location) {
            RMatch::Yes(s) => yes.push((s, r)),
            RMatch::Maybe(s, why) => maybe.push((s, r, why)),
            RMatch::No => {}
        }
    }
    yes.sort_by_key(|b| std::cmp::Reverse(b.0));
    let what = flow.describe();
    let Some((best_spec, best)) = yes.first().map(|(s, r)| (*s, *r)) else {
        let mut d = RouteDecision::undecided(
            format!("no route of the subnet is known to match {what}"),
            None,
            er.route_table.clone(),
        );
        d.candidates = maybe.iter().map(|(_, r, _)| (*r).clone()).collect();
        return d;
    };
    // Ties with the best at the same specificity and precedence must agree.
    let mut conflicts: Vec<(&EffectiveRoute, String)> = yes
        .iter()
        .skip(1)
        .filter(|(s, r)| *s == best_spec && !same_next_hop(r, best))
        .map(|(_, r)| (*r, "matches with the same prefix length".to_string()))
        .collect();
    // The address spaces of a VNet and of the VNets peered with it never overlap (Azure refuses
    // such peerings): a VNet or peering route whose prefix is unknown cannot be more specific
    // than the VNet or peering route that matches.
    let space = |r: &EffectiveRoute| {
        matches!(
            r.system_kind,
            Some(SystemKind::VnetSpace) | Some(SystemKind::PeeredSpace)
        )
    };
    for (s, r, why) in &maybe {
        if space(best) && space(r) && !r.prefix.is_known() {
            continue;
        }
        if *s > best_spec && !same_next_hop(r, best) {
            conflicts.push((*r, why.clone()));
        }
    }
    if !conflicts.is_empty() {
        let list: Vec<String> = conflicts
            .iter()
            .map(|(r, why)| format!("{} ({why})", r.describe()))
            .collect();
        let origin = conflicts.first().and_then(|(r, _)| r.origin.clone());
        let mut d = RouteDecision::undecided(
            format!(
                "the route for {what} cannot be decided: {} would apply, but {} may be more \
                 specific",
                best.describe(),
                list.join("; ")
            ),
            origin,
            er.route_table.clone(),
        );
        d.candidates = std::iter::once(best.clone())
            .chain(conflicts.iter().map(|(r, _)| (*r).clone()))
            .collect();
        return d;
    }
    let possible_forced_tunnelling = match (&er.bgp_possible, best.source, best.system_kind) {
        (Some(why), RouteSource::System, Some(SystemKind::Default)) => Some(format!(
            "a gateway-learned (BGP) default route may override {} ({why})",
            best.describe()
        )),
        (Some(why), RouteSource::System, Some(SystemKind::Reserved)) => Some(format!(
            "a gateway-learned (BGP) route for an on-premises range may override {} ({why})",
            best.describe()
        )),
        _ => None,
    };
    // A peering that would have carried the destination had it been active.
    let inactive_peering = match &flow.destination {
        Destination::Ip(ip) => er
            .inactive_peerings
            .iter()
            .find(|(r, _)| {
                matches!(&r.prefix, Known::Known(RoutePrefix::Cidr(n))
                    if n.contains(ip) && n.prefix_len() > best_spec.0)
            })
            .cloned(),
        _ => None,
    };
    RouteDecision {
        chosen: Some(best.clone()),
        possible_forced_tunnelling,
        undecided: None,
        candidates: vec![],
        origin: best.origin.clone(),
        route_table: er.route_table.clone(),
        inactive_peering,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::eval::flow::Protocol;
    use crate::model::{Meta, Route};
    use std::net::IpAddr;

    pub(crate) fn origin(addr: &str) -> Origin {
        Origin {
            file: None,
            address: Some(addr.into()),
            loc: Default::default(),
        }
    }

    /// An element of a complete model (created by the input: its children are all there).
    pub(crate) fn meta(key: &str) -> Meta {
        let mut m = Meta::new(key, origin(key));
        m.lists_all_children = true;
        m
    }

    pub(crate) fn named(key: &str, name: &str) -> Meta {
        let mut m = meta(key);
        m.name = Known::Known(name.into());
        m
    }

    pub(crate) fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    pub(crate) fn vnet(key: &str, space: &[&str]) -> VirtualNetwork {
        VirtualNetwork {
            meta: named(key, key),
            address_space: Known::Known(space.iter().map(|s| net(s)).collect()),
            dns_servers: Known::Absent,
        }
    }

    pub(crate) fn subnet(key: &str, vnet: &str, prefixes: &[&str]) -> Subnet {
        Subnet {
            meta: named(key, key.rsplit('.').next().unwrap_or(key)),
            vnet: Known::Known(Ref::key(vnet)),
            prefixes: Known::Known(prefixes.iter().map(|s| net(s)).collect()),
            nsg: Known::Absent,
            route_table: Known::Absent,
            nat_gateway: Known::Absent,
            default_outbound_access: Known::Absent,
            delegations: vec![],
            private_endpoint_network_policies: Known::Absent,
        }
    }

    pub(crate) fn route(name: &str, prefix: &str, hop: NextHopType, ip: Option<&str>) -> Route {
        let prefix = match prefix.parse::<IpNet>() {
            Ok(n) => RoutePrefix::Cidr(n),
            Err(_) => RoutePrefix::Tag(prefix.into()),
        };
        Route {
            name: Known::Known(name.into()),
            origin: origin(&format!("route {name}")),
            prefix: Known::Known(prefix),
            next_hop_type: Known::Known(hop),
            next_hop_ip: ip.map(|s| IpValue {
                ip: Known::Known(s.parse().unwrap()),
                symbol: None,
                origin: origin("ip"),
            }),
        }
    }

    pub(crate) fn route_table(key: &str, routes: Vec<Route>) -> RouteTable {
        RouteTable {
            meta: named(key, key),
            routes: Known::Known(routes),
            bgp_route_propagation: Known::Absent,
        }
    }

    pub(crate) fn peering(key: &str, local: &str, remote: &str) -> Peering {
        Peering {
            meta: named(key, key),
            local_vnet: Known::Known(Ref::key(local)),
            remote_vnet: Known::Known(Ref::key(remote)),
            allow_virtual_network_access: Known::Absent,
            allow_forwarded_traffic: Known::Absent,
            allow_gateway_transit: Known::Absent,
            use_remote_gateways: Known::Absent,
            state: Known::Absent,
        }
    }

    /// An Azure Firewall `azurerm_firewall.fw` in `subnet` at `ip`, with no policy and no rules.
    pub(crate) fn firewall(subnet: &str, ip: &str) -> crate::model::Firewall {
        crate::model::Firewall {
            meta: named("azurerm_firewall.fw", "fw"),
            subnet: Known::Known(Ref::key(subnet)),
            private_ip: Known::Known(ip.parse().unwrap()),
            public_ips: vec![],
            policy: Known::Absent,
            dns_proxy: Known::Absent,
            dns_servers: vec![],
            threat_intel_mode: Known::Absent,
            sku_tier: Known::Absent,
            collections: vec![],
        }
    }

    pub(crate) fn host_flow(host: &str, tags: &[&str]) -> Flow {
        Flow {
            source_prefixes: vec![net("10.0.1.0/24")],
            destination: Destination::Host(host.into()),
            destination_tags: tags.iter().map(|s| s.to_string()).collect(),
            protocol: Protocol::Tcp,
            port: 443,
            app_protocol: None,
        }
    }

    pub(crate) fn ip_flow(ip: &str, proto: Protocol, port: u16) -> Flow {
        Flow {
            source_prefixes: vec![net("10.0.1.0/24")],
            destination: Destination::Ip(ip.parse::<IpAddr>().unwrap()),
            destination_tags: vec![],
            protocol: proto,
            port,
            app_protocol: None,
        }
    }

    /// spoke VNet 10.0.0.0/16 with subnet nodes 10.0.1.0/24.
    pub(crate) fn base_model() -> Model {
        let mut m = Model::new();
        m.vnets.push(vnet("vnet.spoke", &["10.0.0.0/16"]));
        m.subnets
            .push(subnet("subnet.nodes", "vnet.spoke", &["10.0.1.0/24"]));
        m
    }

    fn hop(d: &RouteDecision) -> NextHop {
        *d.chosen.as_ref().unwrap().next_hop.known().unwrap()
    }

    #[test]
    fn system_routes_only() {
        let m = base_model();
        let s = &m.subnets[0];
        let d = choose_route(&m, s, &host_flow("mcr.microsoft.com", &[]), None);
        assert_eq!(hop(&d), NextHop::Internet);
        assert!(d.possible_forced_tunnelling.is_none());
        let d = choose_route(&m, s, &ip_flow("10.0.2.4", Protocol::Udp, 53), None);
        assert_eq!(hop(&d), NextHop::VnetLocal);
        // 10.1.x is outside the VNet and not peered: reserved range, dropped.
        let d = choose_route(&m, s, &ip_flow("10.1.0.4", Protocol::Udp, 53), None);
        assert_eq!(hop(&d), NextHop::None);
        assert_eq!(
            d.chosen.as_ref().unwrap().system_kind,
            Some(SystemKind::Reserved)
        );
    }

    #[test]
    fn longest_prefix_match_and_user_over_system() {
        let mut m = base_model();
        m.route_tables.push(route_table(
            "rt",
            vec![
                route(
                    "default",
                    "0.0.0.0/0",
                    NextHopType::VirtualAppliance,
                    Some("10.1.0.4"),
                ),
                route(
                    "dns",
                    "10.2.0.4/32",
                    NextHopType::VirtualAppliance,
                    Some("10.1.0.5"),
                ),
                route(
                    "vnet",
                    "10.0.0.0/16",
                    NextHopType::VirtualAppliance,
                    Some("10.1.0.4"),
                ),
            ],
        ));
        m.subnets[0].route_table = Known::Known(Ref::key("rt"));
        let s = &m.subnets[0];
        let d = choose_route(&m, s, &host_flow("mcr.microsoft.com", &[]), None);
        assert_eq!(d.chosen.as_ref().unwrap().name, "default");
        // The /32 beats the default route; with a 0/0 UDR the reserved None routes are gone.
        let d = choose_route(&m, s, &ip_flow("10.2.0.4", Protocol::Udp, 53), None);
        assert_eq!(d.chosen.as_ref().unwrap().name, "dns");
        let d = choose_route(&m, s, &ip_flow("10.3.0.4", Protocol::Udp, 53), None);
        assert_eq!(d.chosen.as_ref().unwrap().name, "default");
        // Equal prefix: the user route beats the VNet system route.
        let d = choose_route(&m, s, &ip_flow("10.0.2.4", Protocol::Tcp, 443), None);
        assert_eq!(d.chosen.as_ref().unwrap().name, "vnet");
    }

    #[test]
    fn default_route_to_none_blackholes() {
        let mut m = base_model();
        m.route_tables.push(route_table(
            "rt",
            vec![route("drop", "0.0.0.0/0", NextHopType::None, None)],
        ));
        m.subnets[0].route_table = Known::Known(Ref::key("rt"));
        let d = choose_route(
            &m,
            &m.subnets[0],
            &host_flow("mcr.microsoft.com", &[]),
            None,
        );
        assert_eq!(hop(&d), NextHop::None);
        assert_eq!(d.chosen.unwrap().source, RouteSource::User);
    }

    #[test]
    fn public_cidr_route_is_undecidable_for_host() {
        let mut m = base_model();
        m.route_tables.push(route_table(
            "rt",
            vec![
                route(
                    "fw",
                    "0.0.0.0/0",
                    NextHopType::VirtualAppliance,
                    Some("10.1.0.4"),
                ),
                route("direct", "20.0.0.0/8", NextHopType::Internet, None),
                route("private", "192.168.0.0/16", NextHopType::None, None),
            ],
        ));
        m.subnets[0].route_table = Known::Known(Ref::key("rt"));
        let d = choose_route(
            &m,
            &m.subnets[0],
            &host_flow("mcr.microsoft.com", &[]),
            None,
        );
        assert!(d.chosen.is_none());
        assert!(d.undecided.unwrap().contains("20.0.0.0/8"));
        // Same next hop as the default route: decided.
        m.route_tables[0].routes = Known::Known(vec![
            route(
                "fw",
                "0.0.0.0/0",
                NextHopType::VirtualAppliance,
                Some("10.1.0.4"),
            ),
            route(
                "fw2",
                "20.0.0.0/8",
                NextHopType::VirtualAppliance,
                Some("10.1.0.4"),
            ),
        ]);
        let d = choose_route(
            &m,
            &m.subnets[0],
            &host_flow("mcr.microsoft.com", &[]),
            None,
        );
        assert_eq!(d.chosen.unwrap().name, "fw");
    }

    #[test]
    fn service_tag_routes() {
        let mut m = base_model();
        m.route_tables.push(route_table(
            "rt",
            vec![
                route(
                    "fw",
                    "0.0.0.0/0",
                    NextHopType::VirtualAppliance,
                    Some("10.1.0.4"),
                ),
                route(
                    "mcr",
                    "MicrosoftContainerRegistry",
                    NextHopType::Internet,
                    None,
                ),
                route("storage", "Storage", NextHopType::Internet, None),
            ],
        ));
        m.subnets[0].route_table = Known::Known(Ref::key("rt"));
        let s = &m.subnets[0];
        let d = choose_route(
            &m,
            s,
            &host_flow("mcr.microsoft.com", &["MicrosoftContainerRegistry"]),
            None,
        );
        assert_eq!(d.chosen.unwrap().name, "mcr");
        // Untagged host: Storage tag route is ignored, the default route applies.
        let d = choose_route(&m, s, &host_flow("login.microsoftonline.com", &[]), None);
        assert_eq!(d.chosen.unwrap().name, "fw");
        // AzureCloud route: maybe.
        m.route_tables[0].routes = Known::Known(vec![
            route(
                "fw",
                "0.0.0.0/0",
                NextHopType::VirtualAppliance,
                Some("10.1.0.4"),
            ),
            route("azure", "AzureCloud", NextHopType::Internet, None),
        ]);
        let d = choose_route(
            &m,
            &m.subnets[0],
            &host_flow("mcr.microsoft.com", &["MicrosoftContainerRegistry"]),
            None,
        );
        assert!(d.chosen.is_none());
        assert!(d.undecided.unwrap().contains("AzureCloud"));
    }

    #[test]
    fn unknown_routes_are_undecided() {
        let mut m = base_model();
        let mut rt = route_table("rt", vec![]);
        rt.routes = Known::unknown("known after apply");
        m.route_tables.push(rt);
        m.subnets[0].route_table = Known::Known(Ref::key("rt"));
        let d = choose_route(
            &m,
            &m.subnets[0],
            &host_flow("mcr.microsoft.com", &[]),
            None,
        );
        assert!(d.chosen.is_none());
        assert!(d.undecided.unwrap().contains("not known"));
        // Route table referenced but missing.
        m.subnets[0].route_table = Known::Known(Ref::key("rt-missing"));
        let d = choose_route(
            &m,
            &m.subnets[0],
            &host_flow("mcr.microsoft.com", &[]),
            None,
        );
        assert!(d.undecided.unwrap().contains("not in the input"));
        // A route with an unknown prefix may be more specific.
        let mut r = route(
            "x",
            "0.0.0.0/0",
            NextHopType::VirtualAppliance,
            Some("10.1.0.4"),
        );
        r.prefix = Known::unknown("var.prefix");
        m.route_tables[0].routes = Known::Known(vec![r]);
        m.subnets[0].route_table = Known::Known(Ref::key("rt"));
        let d = choose_route(
            &m,
            &m.subnets[0],
            &host_flow("mcr.microsoft.com", &[]),
            None,
        );
        assert!(d.chosen.is_none());
    }

    #[test]
    fn peering_routes_need_both_sides() {
        let mut m = base_model();
        m.vnets.push(vnet("vnet.hub", &["10.1.0.0/16"]));
        m.peerings
            .push(peering("p.spoke-hub", "vnet.spoke", "vnet.hub"));
        let flow = ip_flow("10.1.0.4", Protocol::Udp, 53);
        // Only one side: no peering route, the reserved range drops the packet.
        let d = choose_route(&m, &m.subnets[0], &flow, None);
        assert_eq!(hop(&d), NextHop::None);
        assert!(d.inactive_peering.is_some());
        m.peerings
            .push(peering("p.hub-spoke", "vnet.hub", "vnet.spoke"));
        let d = choose_route(&m, &m.subnets[0], &flow, None);
        assert_eq!(hop(&d), NextHop::VNetPeering);
        // Hub not in the input: the peering may or may not be complete.
        let mut m2 = base_model();
        m2.peerings
            .push(peering("p.spoke-hub", "vnet.spoke", "vnet.hub"));
        let d = choose_route(&m2, &m2.subnets[0], &flow, None);
        assert!(d.chosen.is_none(), "{d:?}");
        // Public destinations do not depend on the unknown hub space.
        let d = choose_route(
            &m2,
            &m2.subnets[0],
            &host_flow("mcr.microsoft.com", &[]),
            None,
        );
        assert_eq!(hop(&d), NextHop::Internet);
    }

    #[test]
    fn bgp_propagation_flags_forced_tunnelling() {
        let mut m = base_model();
        m.subnets
            .push(subnet("subnet.gw", "vnet.spoke", &["10.0.255.0/27"]));
        m.subnets[1].meta.name = Known::Known("GatewaySubnet".into());
        let d = choose_route(
            &m,
            &m.subnets[0],
            &host_flow("mcr.microsoft.com", &[]),
            None,
        );
        assert_eq!(hop(&d), NextHop::Internet);
        assert!(
            d.possible_forced_tunnelling
                .unwrap()
                .contains("GatewaySubnet")
        );
        // Propagation disabled on the route table: no flag.
        let mut rt = route_table("rt", vec![]);
        rt.bgp_route_propagation = Known::Known(false);
        m.route_tables.push(rt);
        m.subnets[0].route_table = Known::Known(Ref::key("rt"));
        let d = choose_route(
            &m,
            &m.subnets[0],
            &host_flow("mcr.microsoft.com", &[]),
            None,
        );
        assert!(d.possible_forced_tunnelling.is_none());
        // A user default route wins over BGP routes: no flag either.
        m.route_tables[0].bgp_route_propagation = Known::Known(true);
        m.route_tables[0].routes = Known::Known(vec![route(
            "fw",
            "0.0.0.0/0",
            NextHopType::VirtualAppliance,
            Some("10.0.9.4"),
        )]);
        let d = choose_route(
            &m,
            &m.subnets[0],
            &host_flow("mcr.microsoft.com", &[]),
            None,
        );
        assert!(d.possible_forced_tunnelling.is_none());
        // use_remote_gateways on a peering.
        let mut m = base_model();
        let mut p = peering("p", "vnet.spoke", "vnet.hub");
        p.use_remote_gateways = Known::Known(true);
        m.peerings.push(p);
        let d = choose_route(
            &m,
            &m.subnets[0],
            &host_flow("mcr.microsoft.com", &[]),
            None,
        );
        assert!(
            d.possible_forced_tunnelling
                .unwrap()
                .contains("remote VNet's gateway")
        );
    }

    #[test]
    fn vnet_space_containing_reserved_range() {
        let mut m = Model::new();
        m.vnets.push(vnet("v", &["10.0.0.0/8"]));
        m.subnets.push(subnet("s", "v", &["10.0.1.0/24"]));
        let d = choose_route(
            &m,
            &m.subnets[0],
            &ip_flow("10.200.0.1", Protocol::Tcp, 443),
            None,
        );
        assert_eq!(hop(&d), NextHop::VnetLocal);
    }
}
