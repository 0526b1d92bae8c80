//! Three-valued rule matching: does a rule's destination part (protocol, port, addresses, IP
//! groups, FQDNs, FQDN tags) and source part match a flow from a part of the node subnet?

use super::prepared::{Pass, Prepared, collection};
use super::ranges::{Range, is_everything, is_nonpublic_prefix, show_ranges};
use crate::eval::flow::AppProto;
use crate::eval::fqdn;
use crate::eval::{Destination, Flow, Protocol};
use crate::model::{
    AddressMatch, AppProtocol, AppProtocolPort, ApplicationRule, Firewall, FirewallRule, IpGroup,
    Known, Model, NetProtocol, NetworkRule, Ref, RuleCollectionKind,
};
use crate::policy::fqdn_tags::{FqdnTagCatalogue, TagCover};
use crate::source::Origin;
use ipnet::IpNet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum M {
    No,
    Maybe(String),
    Yes,
}

impl M {
    pub(super) fn or(self, other: M) -> M {
        match (self, other) {
            (M::Yes, _) | (_, M::Yes) => M::Yes,
            (M::Maybe(r), _) | (_, M::Maybe(r)) => M::Maybe(r),
            _ => M::No,
        }
    }
}

pub(super) fn any_of(items: impl IntoIterator<Item = M>) -> M {
    items.into_iter().fold(M::No, M::or)
}

pub(super) struct Ctx<'a> {
    pub(super) model: &'a Model,
    pub(super) flow: &'a Flow,
    pub(super) dns_proxy: Known<bool>,
    pub(super) tags: &'static FqdnTagCatalogue,
}

/// The part of the node subnet being evaluated.
#[derive(Debug, Clone, Copy)]
pub(super) enum Scope {
    Part(Range),
    /// The subnet's prefixes are not known.
    Unknown,
}

/// A network rule FQDN that matches the flow's host but for DNS proxy: rule name, FQDN, rule.
pub(super) type FqdnMiss = (String, String, Origin);

/// Everything a rule match found besides the verdict, for notes.
#[derive(Default)]
pub(super) struct Side {
    pub(super) fqdn_without_proxy: Vec<FqdnMiss>,
}

pub(super) fn lookup_ip_group<'a>(model: &'a Model, r: &Ref) -> Result<&'a IpGroup, String> {
    model
        .ip_group(r)
        .ok_or_else(|| format!("IP group {} is not in the input", r.display()))
}

/// One item of a rule's source, with IP groups resolved (see [`compile_source`]).
pub(super) enum SourceItem {
    Any,
    Range(Range),
    /// Undecidable whatever the node subnet (unknown addresses, missing IP group).
    Maybe(String),
}

/// A rule's source addresses and IP groups as a list of items, in order. Service tags, ASGs
/// and unparseable items are not valid firewall sources: they match nothing and are left out.
pub(super) fn compile_source(
    model: &Model,
    addrs: &[AddressMatch],
    groups: &[Ref],
) -> Vec<SourceItem> {
    let mut out = vec![];
    let push = |a: &AddressMatch, out: &mut Vec<SourceItem>| match a {
        AddressMatch::Any => out.push(SourceItem::Any),
        AddressMatch::Prefix(n) => out.push(SourceItem::Range(Range::of_net(n))),
        AddressMatch::Invalid(s) => out.extend(Range::parse_span(s).map(SourceItem::Range)),
        AddressMatch::Unknown(why) => out.push(SourceItem::Maybe(format!(
            "the source addresses are not known: {why}"
        ))),
        AddressMatch::Tag(_) | AddressMatch::Asg(_) => {}
    };
    for a in addrs {
        push(a, &mut out);
    }
    for g in groups {
        match lookup_ip_group(model, g) {
            Err(e) => out.push(SourceItem::Maybe(e)),
            Ok(grp) => match &grp.cidrs {
                Known::Known(list) => list.iter().for_each(|a| push(a, &mut out)),
                Known::Unknown(why) => out.push(SourceItem::Maybe(format!(
                    "the addresses of IP group {} are unknown ({why})",
                    grp.meta.address()
                ))),
                Known::Absent => {}
            },
        }
    }
    out
}

/// Does a rule's source (compiled by [`compile_source`]) match the part `scope` of the node
/// subnet? Any item that matches decides; otherwise the first undecidable item gives the
/// reason.
pub(super) fn source_match(items: &[SourceItem], scope: Scope) -> M {
    let mut maybe: Option<&str> = None;
    for it in items {
        let why = match (it, scope) {
            (SourceItem::Any, _) => return M::Yes,
            (SourceItem::Maybe(r), _) => r.as_str(),
            (SourceItem::Range(_), Scope::Unknown) => {
                "the node subnet's address prefixes are unknown"
            }
            (SourceItem::Range(r), Scope::Part(p)) if r.contains(&p) => return M::Yes,
            (SourceItem::Range(r), Scope::Part(p)) if r.overlaps(&p) => {
                "the source covers part of this address range"
            }
            (SourceItem::Range(_), Scope::Part(_)) => continue,
        };
        maybe.get_or_insert(why);
    }
    maybe.map_or(M::No, |r| M::Maybe(r.to_string()))
}

/// Is the flow's destination in service tag `tag` (a network-rule destination)?
pub(super) fn tag_match(flow: &Flow, tag: &str) -> M {
    let t = tag.trim();
    let lt = t.to_ascii_lowercase();
    for ft in flow
        .destination_tags
        .iter()
        .map(String::as_str)
        .chain(match &flow.destination {
            Destination::Tag(x) => Some(x.as_str()),
            _ => None,
        })
    {
        let lf = ft.to_ascii_lowercase();
        if lf == lt || lf.starts_with(&format!("{lt}.")) {
            // same tag, or the flow's tag is a regional part of the rule's tag
            return M::Yes;
        }
        if lt.starts_with(&format!("{lf}.")) {
            return M::Maybe(format!(
                "{t} is a regional part of {ft}: whether it holds the destination's addresses is not known statically"
            ));
        }
    }
    if let Destination::Ip(ip) = &flow.destination {
        if !crate::eval::servicetags::is_public_ip(ip) {
            return M::No;
        }
        return M::Maybe(format!(
            "whether {ip} is in service tag {t} is not known statically"
        ));
    }
    if lt == "azurecloud" || lt.starts_with("azurecloud.") {
        return M::Maybe(format!(
            "{t} may contain the addresses of {}; they are not known statically",
            dest_label(flow)
        ));
    }
    M::No
}

pub(super) fn dest_label(flow: &Flow) -> String {
    match &flow.destination {
        Destination::Host(h) => h.clone(),
        Destination::Ip(ip) => ip.to_string(),
        Destination::Tag(t) => format!("service tag {t}"),
        Destination::AnyPublic => "the public destination".into(),
    }
}

/// A destination address item of a network rule (or a Premium application rule).
pub(super) fn dest_address_match(flow: &Flow, a: &AddressMatch) -> M {
    match a {
        AddressMatch::Any => M::Yes,
        AddressMatch::Tag(t) => tag_match(flow, t),
        AddressMatch::Asg(_) => M::No,
        AddressMatch::Prefix(n) => dest_range_match(flow, Range::of_net(n), Some(n)),
        AddressMatch::Invalid(s) => match Range::parse_span(s) {
            Some(r) => dest_range_match(flow, r, None),
            None => M::No,
        },
        AddressMatch::Unknown(why) => {
            M::Maybe(format!("the destination addresses are not known: {why}"))
        }
    }
}

pub(super) fn dest_range_match(flow: &Flow, r: Range, net: Option<&IpNet>) -> M {
    match &flow.destination {
        Destination::Ip(ip) => {
            if r.contains_ip(*ip) {
                M::Yes
            } else {
                M::No
            }
        }
        _ => {
            if net.is_some_and(is_everything) && !r.v6 {
                return M::Yes;
            }
            let nets = r.cidrs();
            if !nets.is_empty() && nets.iter().all(is_nonpublic_prefix) {
                return M::No; // public destinations are never in private space
            }
            M::Maybe(format!(
                "the addresses of {} are not known statically; the rule lists {}",
                dest_label(flow),
                show_ranges(&[r])
            ))
        }
    }
}

/// The destination part of a network rule's match (protocol, port, destination addresses, IP
/// groups and FQDNs): everything but the source. FQDNs that would match but for DNS proxy are
/// pushed to `side`.
pub(super) fn network_rule_dest(ctx: &Ctx<'_>, r: &NetworkRule, side: &mut Vec<FqdnMiss>) -> M {
    let flow = ctx.flow;
    let proto = any_of(r.protocols.iter().map(|p| match (p, flow.protocol) {
        (NetProtocol::Any, _) => M::Yes,
        (NetProtocol::Tcp, Protocol::Tcp) | (NetProtocol::Udp, Protocol::Udp) => M::Yes,
        _ => M::No,
    }));
    let port = if r.destination_ports.iter().any(|p| p.contains(flow.port)) {
        M::Yes
    } else {
        M::No
    };
    if proto == M::No || port == M::No {
        return M::No;
    }
    let mut dest = any_of(
        r.destination_addresses
            .iter()
            .map(|a| dest_address_match(flow, a)),
    );
    for g in &r.destination_ip_groups {
        if dest == M::Yes {
            break;
        }
        let gm = match lookup_ip_group(ctx.model, g) {
            Err(e) => M::Maybe(e),
            Ok(grp) => match &grp.cidrs {
                Known::Known(list) => any_of(list.iter().map(|a| dest_address_match(flow, a))),
                Known::Unknown(why) => M::Maybe(format!(
                    "the addresses of IP group {} are unknown ({why})",
                    grp.meta.address()
                )),
                Known::Absent => M::No,
            },
        };
        dest = dest.or(gm);
    }
    for f in &r.destination_fqdns {
        if dest == M::Yes {
            break;
        }
        let fm = match &flow.destination {
            Destination::Host(h) if fqdn::network_fqdn_matches(f, h) => match &ctx.dns_proxy {
                Known::Known(true) => M::Yes,
                Known::Known(false) | Known::Absent => {
                    side.push((rule_display(&r.name), f.clone(), r.origin.clone()));
                    M::No
                }
                Known::Unknown(why) => M::Maybe(format!(
                    "FQDNs in network rules need DNS proxy, whose setting is unknown ({why})"
                )),
            },
            Destination::Ip(ip) if ctx.dns_proxy != Known::Known(false) => M::Maybe(format!(
                "FQDN {f} may resolve to {ip}; resolution is not known statically"
            )),
            _ => M::No,
        };
        dest = dest.or(fm);
    }
    dest
}

pub(super) fn rule_display(n: &Known<String>) -> String {
    match n {
        Known::Known(n) => n.clone(),
        _ => "(unnamed rule)".into(),
    }
}

/// The protocols an application rule matches. The FQDN-tag rule form carries no protocols (the
/// `FqdnTag` parameter sets of `New-AzFirewallApplicationRule` and
/// `New-AzFirewallPolicyApplicationRule` take none; azurerm's classic `protocol` block is "not
/// required when specifying fqdn_tags"): the tag implies HTTP on 80 and HTTPS on 443 (Microsoft,
/// "FQDN tags overview").
pub(super) fn app_rule_protocols(r: &ApplicationRule) -> std::borrow::Cow<'_, [AppProtocolPort]> {
    if r.protocols.is_empty() && !r.fqdn_tags.is_empty() {
        std::borrow::Cow::Owned(vec![
            AppProtocolPort {
                protocol: Ok(AppProtocol::Http),
                port: 80,
            },
            AppProtocolPort {
                protocol: Ok(AppProtocol::Https),
                port: 443,
            },
        ])
    } else {
        std::borrow::Cow::Borrowed(&r.protocols)
    }
}

/// The destination part of an application rule's match (protocol, port, FQDNs, FQDN tags,
/// URLs, addresses, web categories): everything but the source.
pub(super) fn app_rule_dest(ctx: &Ctx<'_>, r: &ApplicationRule) -> M {
    let flow = ctx.flow;
    let Some(ap) = flow.app_protocol else {
        return M::No;
    };
    if flow.protocol != Protocol::Tcp {
        return M::No;
    }
    let proto_ok = app_rule_protocols(r).iter().any(|p| {
        p.port == flow.port
            && matches!(
                (&p.protocol, ap),
                (Ok(AppProtocol::Http), AppProto::Http) | (Ok(AppProtocol::Https), AppProto::Https)
            )
    });
    if !proto_ok {
        return M::No;
    }
    let mut dest = M::No;
    match &flow.destination {
        Destination::Host(h) => {
            if r.target_fqdns.iter().any(|p| fqdn::pattern_matches(p, h)) {
                dest = M::Yes;
            }
            for t in &r.fqdn_tags {
                if dest == M::Yes {
                    break;
                }
                let tm = match ctx.tags.lookup(t) {
                    None => M::No, // unknown tag name: matches nothing (reported by unknown_names)
                    Some(tag) => match tag.covers(h) {
                        TagCover::Yes(_) => M::Yes,
                        TagCover::Maybe(why) => M::Maybe(why),
                        TagCover::No => M::No,
                    },
                };
                dest = dest.or(tm);
            }
            for u in &r.target_urls {
                let uh = fqdn::url_host(u);
                if fqdn::pattern_matches(&uh, h) {
                    dest = dest.or(M::Maybe(format!(
                        "target URL {u} also matches on the URL path (TLS inspection), which is not evaluated"
                    )));
                }
            }
        }
        Destination::Ip(ip) => {
            let ips = ip.to_string();
            if r.target_fqdns.iter().any(|p| p.trim() == "*") {
                dest = M::Yes;
            } else if r.target_fqdns.iter().any(|p| fqdn::normalize(p) == ips) {
                dest = M::Maybe(format!(
                    "an application rule naming {ips} matches on the Host header / SNI, which is not known statically"
                ));
            }
        }
        Destination::Tag(_) | Destination::AnyPublic => {
            if r.target_fqdns.iter().any(|p| p.trim() == "*") {
                dest = M::Yes;
            }
        }
    }
    if dest != M::Yes && !r.destination_addresses.is_empty() {
        dest = dest.or(any_of(
            r.destination_addresses
                .iter()
                .map(|a| dest_address_match(flow, a)),
        ));
    }
    if dest != M::Yes && !r.web_categories.is_empty() {
        dest = dest.or(M::Maybe(format!(
            "web category membership ({}) is not known statically",
            r.web_categories.join(", ")
        )));
    }
    dest
}

/// A rule's source, compiled.
pub(super) fn rule_source(model: &Model, rule: &FirewallRule) -> Vec<SourceItem> {
    match rule {
        FirewallRule::Application(r) => {
            compile_source(model, &r.source_addresses, &r.source_ip_groups)
        }
        FirewallRule::Network(r) => compile_source(model, &r.source_addresses, &r.source_ip_groups),
        FirewallRule::Nat(_) => vec![],
    }
}

/// A rule whose destination part may match a destination (or that lists the destination's
/// host as an FQDN while DNS proxy is off).
pub(super) struct Candidate {
    /// Index in the rule set's entries.
    pub(super) entry: usize,
    /// Index in the collection's rules.
    pub(super) rule: usize,
    /// The destination part of the match.
    pub(super) dest: M,
    /// The rule's source (empty when `dest` is `No`: not needed).
    pub(super) source: Vec<SourceItem>,
    /// FQDNs that match only with DNS proxy on.
    pub(super) side: Vec<FqdnMiss>,
}

/// The candidates for one destination, in processing order (entry, then rule): every other
/// rule cannot match it, whatever the source.
pub(super) struct DestMatches {
    pub(super) candidates: Vec<Candidate>,
}

pub(super) fn dest_matches(ctx: &Ctx<'_>, prep: &Prepared, firewall: &Firewall) -> DestMatches {
    let mut candidates = vec![];
    for (ei, info) in prep.entries.iter().enumerate() {
        let Some(coll) = collection(ctx.model, firewall, info.coll) else {
            continue;
        };
        if coll.kind == RuleCollectionKind::Nat {
            continue;
        }
        for (ri, rule) in coll.rules.iter().enumerate() {
            let mut side = vec![];
            let dest = match (info.pass, rule) {
                (Pass::Network, FirewallRule::Network(r)) => network_rule_dest(ctx, r, &mut side),
                (Pass::Application, FirewallRule::Application(r)) => app_rule_dest(ctx, r),
                _ => M::No,
            };
            if dest != M::No || !side.is_empty() {
                let source = if dest == M::No {
                    vec![]
                } else {
                    rule_source(ctx.model, rule)
                };
                candidates.push(Candidate {
                    entry: ei,
                    rule: ri,
                    dest,
                    source,
                    side,
                });
            }
        }
    }
    DestMatches { candidates }
}
