//! A firewall's rule set in processing order, prepared once per firewall of a finished model
//! and reused for every flow (see the module documentation of `eval::firewall`).

use super::dns_proxy_enabled;
use super::matching::{Ctx, DestMatches, dest_matches};
use super::ranges::Range;
use crate::model::{
    AddressMatch, Firewall, FirewallPolicy, FirewallRule, FwAction, Known, Model, Ref,
    RuleCollection, RuleCollectionKind,
};
use crate::source::Origin;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The policy and its ancestors, root first. Errors: unknown or missing base policy, cycle.
pub(super) fn policy_chain<'a>(
    model: &'a Model,
    r: &Ref,
) -> Result<Vec<&'a FirewallPolicy>, String> {
    let mut p = model
        .firewall_policy(r)
        .ok_or_else(|| format!("firewall policy {} is not in the input", r.display()))?;
    let mut chain: Vec<&FirewallPolicy> = vec![];
    loop {
        if chain.iter().any(|q| q.meta.same_resource(&p.meta)) {
            return Err(format!(
                "the base_policy chain of firewall policy {} loops back to {}",
                r.display(),
                p.meta.address()
            ));
        }
        chain.push(p);
        match &p.base_policy {
            Known::Absent => break,
            Known::Unknown(why) => {
                return Err(format!(
                    "the parent policy (base_policy) of {} is unknown ({why}); its rules come first",
                    p.meta.address()
                ));
            }
            Known::Known(b) => {
                p = model.firewall_policy(b).ok_or_else(|| {
                    format!(
                        "the parent policy {} of {} is not in the input; its rules come first",
                        b.display(),
                        p.meta.address()
                    )
                })?;
            }
        }
    }
    chain.reverse();
    Ok(chain)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Pass {
    Network,
    Application,
}

/// Where a rule collection lives: the firewall's classic collections, or a rule collection
/// group of the model (group index, collection index).
#[derive(Debug, Clone, Copy)]
pub(super) enum CollRef {
    Classic(usize),
    Group(usize, usize),
}

/// One rule collection's place in the processing order (what [`Entry`] shows of it).
pub(super) struct EntryInfo {
    pub(super) pass: Pass,
    /// Position of the owning policy in the inheritance chain (root = 0); classic = 0.
    pub(super) depth: usize,
    /// Identity of the owning group (classic collections share one pseudo-group).
    pub(super) group_idx: usize,
    pub(super) group_prio: Option<u32>,
    /// `group (priority N)` for display, `None` for classic rules.
    pub(super) group_label: Option<String>,
    pub(super) group_name: Option<String>,
    pub(super) coll: CollRef,
    pub(super) coll_prio: Option<u32>,
    /// Set when the group's policy reference is unknown: the group may not belong here.
    pub(super) membership: Option<String>,
}

/// One rule collection, with everything that decides its place in the processing order.
pub(super) struct Entry<'a> {
    pub(super) info: &'a EntryInfo,
    pub(super) coll: &'a RuleCollection,
}

impl std::ops::Deref for Entry<'_> {
    type Target = EntryInfo;
    fn deref(&self) -> &EntryInfo {
        self.info
    }
}

impl Entry<'_> {
    pub(super) fn coll_name(&self) -> String {
        match &self.coll.name {
            Known::Known(n) => n.clone(),
            _ => "(unnamed collection)".into(),
        }
    }
    pub(super) fn action(&self) -> Option<FwAction> {
        self.coll.action.known().copied()
    }
    pub(super) fn rule_path(&self, rule: String) -> String {
        match &self.group_name {
            Some(g) => format!("{g}/{}/{rule}", self.coll_name()),
            None => format!("{}/{rule}", self.coll_name()),
        }
    }
    pub(super) fn describe(&self, rule: &str) -> String {
        let prio = match self.coll_prio {
            Some(p) => format!("priority {p}"),
            None => "priority unknown".into(),
        };
        let action = match self.coll.action {
            Known::Known(FwAction::Allow) => "Allow",
            Known::Known(FwAction::Deny) => "Deny",
            Known::Known(FwAction::Dnat) => "DNAT",
            _ => "action unknown",
        };
        let kind = match self.pass {
            Pass::Network => "network",
            Pass::Application => "application",
        };
        let coll = format!(
            "{kind} rule collection {} ({prio}, {action}) / rule {rule}",
            self.coll_name()
        );
        match &self.group_label {
            Some(g) => format!("rule collection group {g} / {coll}"),
            None => coll,
        }
    }
}

impl EntryInfo {
    /// Can this collection come before `other` in processing order (unknown priorities taken
    /// at their most favourable for `self`)? Ties are ambiguous and count as "can".
    pub(super) fn can_precede(&self, other: &EntryInfo) -> bool {
        if self.pass != other.pass {
            return self.pass < other.pass;
        }
        if self.depth != other.depth {
            return self.depth < other.depth;
        }
        if self.group_idx != other.group_idx {
            return match (self.group_prio, other.group_prio) {
                (Some(a), Some(b)) => a <= b,
                _ => true,
            };
        }
        match (self.coll_prio, other.coll_prio) {
            (Some(a), Some(b)) => a <= b,
            _ => true,
        }
    }
    pub(super) fn sort_key(&self) -> (Pass, usize, u64, usize, u64) {
        let unk = u64::from(u32::MAX) + 1;
        (
            self.pass,
            self.depth,
            self.group_prio.map_or(unk, u64::from),
            self.group_idx,
            self.coll_prio.map_or(unk, u64::from),
        )
    }
}

/// A firewall's rule set, prepared once and reused for every flow: the collections in
/// processing order, the policy chain, the cut points of the rules' sources, the DNS proxy
/// setting, and (filled per destination) which rules can match a destination at all. Kept in
/// the model's derived data for firewalls of a finished model (see [`Model::derived`]).
pub(super) struct Prepared {
    pub(super) entries: Vec<EntryInfo>,
    /// Indices into `model.firewall_policies`, root first.
    pub(super) chain: Vec<usize>,
    pub(super) nat_collections: usize,
    pub(super) group_count: usize,
    /// Why the rule set cannot be determined.
    pub(super) error: Option<String>,
    /// Starts and ends (+1) of every source range the rules use, sorted, per family (IPv4,
    /// IPv6): where the node subnet is split.
    pub(super) cuts: [Vec<u128>; 2],
    pub(super) dns_proxy: Known<bool>,
    /// Per destination (everything of a flow but its source): the rules whose destination part
    /// can match.
    pub(super) by_destination: Mutex<HashMap<String, Arc<DestMatches>>>,
}

/// The firewall's prepared rule set: shared through the model's derived data when `firewall`
/// is an element of a finished model, else prepared for this use.
pub(super) fn prepared(model: &Model, firewall: &Firewall) -> Arc<Prepared> {
    crate::model::element_index(&model.firewalls, firewall)
        .and_then(|i| model.derived("firewall", i, || prepare(model, firewall)))
        .unwrap_or_else(|| Arc::new(prepare(model, firewall)))
}

pub(super) fn collection<'a>(
    model: &'a Model,
    firewall: &'a Firewall,
    r: CollRef,
) -> Option<&'a RuleCollection> {
    match r {
        CollRef::Classic(c) => firewall.collections.get(c),
        CollRef::Group(g, c) => model.rule_collection_groups.get(g)?.collections.get(c),
    }
}

impl Prepared {
    /// The collections in processing order, over the model's elements.
    pub(super) fn view<'a>(&'a self, model: &'a Model, firewall: &'a Firewall) -> Vec<Entry<'a>> {
        self.entries
            .iter()
            .filter_map(|info| {
                collection(model, firewall, info.coll).map(|coll| Entry { info, coll })
            })
            .collect()
    }

    /// The rules that can match the destination of `ctx.flow`, computed once per destination.
    pub(super) fn dest_matches(&self, ctx: &Ctx<'_>, firewall: &Firewall) -> Arc<DestMatches> {
        let f = ctx.flow;
        let key = format!(
            "{:?}|{:?}|{:?}|{}|{:?}",
            f.destination, f.destination_tags, f.protocol, f.port, f.app_protocol
        );
        let found = self
            .by_destination
            .lock()
            .ok()
            .and_then(|m| m.get(&key).cloned());
        if let Some(d) = found {
            return d;
        }
        let d = Arc::new(dest_matches(ctx, self, firewall));
        if let Ok(mut m) = self.by_destination.lock() {
            m.entry(key).or_insert_with(|| d.clone());
        }
        d
    }
}

pub(super) fn prepare(model: &Model, firewall: &Firewall) -> Prepared {
    let mut p = Prepared {
        entries: vec![],
        chain: vec![],
        nat_collections: 0,
        group_count: 0,
        error: None,
        cuts: [vec![], vec![]],
        dns_proxy: dns_proxy_enabled(model, firewall),
        by_destination: Mutex::new(HashMap::new()),
    };
    match &firewall.policy {
        Known::Absent => {
            for (ci, c) in firewall.collections.iter().enumerate() {
                push_collection(
                    &mut p,
                    c,
                    CollRef::Classic(ci),
                    0,
                    0,
                    Some(0),
                    None,
                    None,
                    None,
                );
            }
        }
        Known::Unknown(why) => {
            p.error = Some(format!(
                "the firewall policy of {} is unknown ({why})",
                firewall.meta.address()
            ));
        }
        Known::Known(r) => {
            let chain = match policy_chain(model, r) {
                Ok(c) => {
                    p.error = missing_listed_group(model, &c);
                    c
                }
                Err(e) => {
                    p.error = Some(e);
                    // keep the child policy's own groups for name checks
                    model.firewall_policy(r).into_iter().collect()
                }
            };
            let child_depth = chain.len().saturating_sub(1);
            for (gi, g) in model.rule_collection_groups.iter().enumerate() {
                let (depth, membership) = match &g.policy {
                    Known::Known(gr) => {
                        let Some(gp) = model.firewall_policy(gr) else {
                            continue;
                        };
                        match chain.iter().position(|p| p.meta.same_resource(&gp.meta)) {
                            Some(d) => (d, None),
                            None => continue,
                        }
                    }
                    Known::Unknown(why) => (
                        child_depth,
                        Some(format!(
                            "the policy of rule collection group {} is unknown ({why})",
                            g.meta.address()
                        )),
                    ),
                    Known::Absent => continue,
                };
                p.group_count += 1;
                let gname = g.meta.display_name();
                let glabel = match &g.priority {
                    Known::Known(p) => format!("{gname} (priority {p})"),
                    _ => format!("{gname} (priority unknown)"),
                };
                for (ci, c) in g.collections.iter().enumerate() {
                    push_collection(
                        &mut p,
                        c,
                        CollRef::Group(gi, ci),
                        depth,
                        gi + 1,
                        g.priority.known().copied(),
                        Some(glabel.clone()),
                        Some(gname.clone()),
                        membership.clone(),
                    );
                }
            }
            p.chain = chain
                .iter()
                .filter_map(|q| {
                    model
                        .firewall_policies
                        .iter()
                        .position(|x| std::ptr::eq(x, *q))
                })
                .collect();
        }
    }
    p.entries.sort_by_key(|e| e.sort_key());
    p.cuts = source_cuts(model, firewall, &p.entries);
    p
}

#[allow(clippy::too_many_arguments)]
pub(super) fn push_collection(
    p: &mut Prepared,
    c: &RuleCollection,
    coll: CollRef,
    depth: usize,
    group_idx: usize,
    group_prio: Option<u32>,
    group_label: Option<String>,
    group_name: Option<String>,
    membership: Option<String>,
) {
    let pass = match c.kind {
        RuleCollectionKind::Network => Pass::Network,
        RuleCollectionKind::Application => Pass::Application,
        RuleCollectionKind::Nat => {
            p.nat_collections += 1;
            Pass::Network // kept for name checks; never evaluated for egress
        }
    };
    p.entries.push(EntryInfo {
        pass,
        depth,
        group_idx,
        group_prio,
        group_label,
        group_name,
        coll,
        coll_prio: c.priority.known().copied(),
        membership,
    });
}

pub(super) fn rule_name(rule: &FirewallRule) -> String {
    let n = match rule {
        FirewallRule::Application(r) => &r.name,
        FirewallRule::Network(r) => &r.name,
        FirewallRule::Nat(r) => &r.name,
    };
    match n {
        Known::Known(n) => n.clone(),
        _ => "(unnamed rule)".into(),
    }
}

pub(super) fn rule_origin(rule: &FirewallRule) -> &Origin {
    match rule {
        FirewallRule::Application(r) => &r.origin,
        FirewallRule::Network(r) => &r.origin,
        FirewallRule::Nat(r) => &r.origin,
    }
}

/// Every start and end (+1) of a source range the rules use (addresses and IP groups), sorted
/// and deduplicated, IPv4 first then IPv6: where node subnets are split.
pub(super) fn source_cuts(
    model: &Model,
    firewall: &Firewall,
    entries: &[EntryInfo],
) -> [Vec<u128>; 2] {
    let mut cuts: [Vec<u128>; 2] = [vec![], vec![]];
    let mut add = |a: &AddressMatch| {
        let b = match a {
            AddressMatch::Prefix(n) => Range::of_net(n),
            AddressMatch::Invalid(s) => match Range::parse_span(s) {
                Some(r) => r,
                None => return,
            },
            _ => return,
        };
        let list = &mut cuts[usize::from(b.v6)];
        list.push(b.lo);
        list.extend(b.hi.checked_add(1));
    };
    for info in entries {
        let Some(coll) = collection(model, firewall, info.coll) else {
            continue;
        };
        for rule in &coll.rules {
            let (addrs, groups) = match rule {
                FirewallRule::Application(r) => (&r.source_addresses, &r.source_ip_groups),
                FirewallRule::Network(r) => (&r.source_addresses, &r.source_ip_groups),
                FirewallRule::Nat(_) => continue,
            };
            addrs.iter().for_each(&mut add);
            for g in groups {
                if let Some(Known::Known(list)) = model.ip_group(g).map(|g| &g.cidrs) {
                    list.iter().for_each(&mut add);
                }
            }
        }
    }
    for list in &mut cuts {
        list.sort_unstable();
        list.dedup();
    }
    cuts
}

/// A rule collection group that a policy of the chain lists but the model does not hold: its
/// rules are not known, so no decision is.
fn missing_listed_group(model: &Model, chain: &[&FirewallPolicy]) -> Option<String> {
    for p in chain {
        let Known::Known(listed) = &p.rule_collection_groups else {
            continue;
        };
        for g in listed {
            if model.rule_collection_group(g).is_none() {
                return Some(format!(
                    "rule collection group {} of firewall policy {} is not in the inputs",
                    g.display(),
                    p.meta.address()
                ));
            }
        }
    }
    None
}
