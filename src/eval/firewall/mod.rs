//! Azure Firewall rule evaluation (classic rule collections and Firewall Policy).
//!
//! Processing model (learn.microsoft.com/azure/firewall/rule-processing, policy-rule-sets;
//! `aks-network-requirements.md` section 6):
//!
//! * Which rules: a firewall with a policy uses the rule collection groups of that policy and of
//!   its ancestors (`base_policy`); parent groups are processed before child groups whatever
//!   their priority numbers. A firewall without a policy uses its classic rule collections.
//! * Order: DNAT collections first (inbound only: not applied to egress flows, noted), then all
//!   network collections, then all application collections. Within a type: group priority, then
//!   collection priority, lower first. Within a collection rules have no order: any matching rule
//!   applies the collection's action. The first matching collection decides; a network rule match
//!   ends processing. Application rules apply to HTTP/HTTPS flows only. No match: default deny.
//! * Three-valued matching: a rule whose match cannot be decided statically (unknown IP group,
//!   host IPs vs a CIDR, web categories, FQDN tag contents...) is a *maybe*. A definite match
//!   decides only if no earlier maybe has a different action; otherwise the result is `unknown`,
//!   naming the undecidable rule. Collections or groups with unknown priority may sit anywhere in
//!   their pass: they make the result `unknown` when their position matters.
//! * The node subnet is split at every source boundary that rules use: a rule whose source
//!   covers only part of the subnet decides only for that part; when parts get different
//!   verdicts the subnet's verdict is the worst one (some nodes cannot provision).
//! * Threat intelligence in `Deny` mode is noted, never turned into a verdict.
//!
//! The firewall's built-in infrastructure rule collection (platform image repository storage,
//! managed-disk status storage, Azure diagnostics) is not modelled: AKS endpoints are not in it.
//!
//! Cost: a policy may hold tens of thousands of rules and a check sends thousands of flows
//! through it. The rule set is prepared once per firewall of a finished model (`Prepared`,
//! kept in [`Model::derived`]): processing order, policy chain, the cut points of every rule
//! source, the DNS proxy setting. For each destination (a flow without its source) the rules
//! whose destination part can match are found once (usually a handful); a flow then tests only
//! those rules' sources, per part of the node subnet. Rules skipped this way match nothing for
//! the destination whatever the source, so the decisions are those of a full scan.

//!
//! Layout: [`prepared`] builds the rule set in processing order, [`matching`] decides whether a
//! rule matches a flow (three-valued), [`order`] decides one part of the node subnet from the
//! matching collections, [`ranges`] splits the node subnet at the rules' source boundaries,
//! and [`names`] finds the names Azure does not know. This module holds the entry point
//! ([`evaluate`]) and the public helpers.

mod matching;
mod names;
mod order;
mod prepared;
mod ranges;

pub use names::{KNOWN_SERVICE_TAGS, UnknownName, closest_name, unknown_names};

use super::{Flow, Hop, HopKind, Verdict};
use crate::model::{Firewall, FirewallPolicy, FirewallRule, Known, Model};
use crate::policy::fqdn_tags::FqdnTagCatalogue;
use crate::source::Origin;
use matching::{Candidate, Ctx, Scope, Side};
use order::{PartDecision, decide_part};
use prepared::{Entry, collection, policy_chain, prepared, rule_name};
use ranges::{Range, merge_ranges, partition, show_ranges};
use serde::Serialize;
use std::collections::BTreeSet;

/// What the firewall does with a flow.
#[derive(Debug, Clone)]
pub struct FirewallDecision {
    pub verdict: Verdict,
    /// One sentence: which rule matched (group / collection / rule), or default deny, or why
    /// undecidable.
    pub reason: String,
    /// Hops to append to the path trace (firewall, rule collection group, collection, rule).
    pub hops: Vec<Hop>,
    /// The deciding rule (or collection) for findings' labels.
    pub rule_origin: Option<Origin>,
    /// Display name of the deciding rule, `group/collection/rule`.
    pub rule: Option<String>,
    /// Remarks beside the verdict, for findings: FQDN network rules that match nothing because
    /// DNS proxy is off, rules whose source covers only part of the node subnet, threat
    /// intelligence in Deny mode, DNAT collections not applied to egress.
    pub notes: Vec<FirewallNote>,
    /// The allowed flow leaves the firewall with the firewall's address as source: application
    /// rules always SNAT (transparent proxy); network rules do not for private destinations
    /// (default private IP ranges), and do for public ones.
    pub snat: bool,
}

/// A remark about the firewall configuration met while deciding a flow.
#[derive(Debug, Clone, Serialize)]
pub struct FirewallNote {
    pub kind: FirewallNoteKind,
    pub message: String,
    /// The rule (or firewall / policy) the note is about.
    #[serde(skip)]
    pub origin: Option<Origin>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FirewallNoteKind {
    /// A network rule lists the flow's host in `destination_fqdns`, but DNS proxy is off: the
    /// rule matches nothing.
    FqdnNetworkRuleWithoutDnsProxy,
    /// A rule's source covers only part of the node subnet; the rest of the nodes are not
    /// covered by it.
    PartialSourceCoverage,
    /// Threat intelligence mode `Deny`: may drop allowed traffic to known-malicious destinations.
    ThreatIntelDeny,
    /// DNAT rule collections exist; they apply to inbound traffic only.
    DnatNotApplied,
    /// An allow rule matches the flow's destination, but its sources (addresses, IP groups)
    /// leave the whole node subnet out: the flow meets the default deny because of them.
    SourcesMissNodes,
}

impl FirewallDecision {
    fn unknown(model: &Model, firewall: &Firewall, reason: String) -> FirewallDecision {
        FirewallDecision {
            verdict: Verdict::Unknown,
            hops: vec![
                Hop::new(
                    HopKind::Firewall,
                    firewall_label(model, firewall),
                    Some(firewall.meta.origin.clone()),
                )
                .with_verdict(Verdict::Unknown),
            ],
            reason,
            rule_origin: None,
            rule: None,
            notes: vec![],
            snat: false,
        }
    }
}

fn firewall_label(model: &Model, firewall: &Firewall) -> String {
    match &firewall.policy {
        Known::Known(r) => {
            let p = model
                .firewall_policy(r)
                .map_or_else(|| r.display(), |p| p.meta.address().to_string());
            format!("{} (policy {p})", firewall.meta.address())
        }
        Known::Unknown(_) => format!("{} (policy unknown)", firewall.meta.address()),
        Known::Absent => format!("{} (classic rules)", firewall.meta.address()),
    }
}

// ------------------------------------------------------------------ public helpers

/// Is DNS proxy enabled for this firewall? With a policy: the policy's setting, inherited from
/// the parent policy chain when the policy does not set it; without a policy: the firewall's own
/// (classic) setting. Off when nobody sets it (Azure's default).
pub fn dns_proxy_enabled(model: &Model, firewall: &Firewall) -> Known<bool> {
    match &firewall.policy {
        Known::Absent => firewall.dns_proxy.clone().or_default_value(false),
        Known::Unknown(r) => Known::Unknown(format!(
            "the firewall policy of {} is unknown ({r})",
            firewall.meta.address()
        )),
        Known::Known(r) => match policy_chain(model, r) {
            Err(e) => Known::Unknown(e),
            Ok(chain) => {
                // chain is root first; the child's own setting wins
                for p in chain.iter().rev() {
                    match &p.dns_proxy {
                        Known::Known(v) => return Known::Known(*v),
                        Known::Unknown(why) => {
                            return Known::Unknown(format!(
                                "DNS proxy setting of {} is unknown ({why})",
                                p.meta.address()
                            ));
                        }
                        Known::Absent => {}
                    }
                }
                Known::Known(false)
            }
        },
    }
}

/// Network rules of this firewall that list FQDNs while DNS proxy is off (they match nothing),
/// independent of any flow: one [`FirewallNoteKind::FqdnNetworkRuleWithoutDnsProxy`] note per
/// rule. Empty when DNS proxy is on or its setting is unknown.
pub fn fqdn_network_rules_without_dns_proxy(
    model: &Model,
    firewall: &Firewall,
) -> Vec<FirewallNote> {
    if dns_proxy_enabled(model, firewall) != Known::Known(false) {
        return vec![];
    }
    let prep = prepared(model, firewall);
    let entries = prep.view(model, firewall);
    let mut out = vec![];
    for e in &entries {
        for rule in &e.coll.rules {
            if let FirewallRule::Network(n) = rule {
                if n.destination_fqdns.is_empty() {
                    continue;
                }
                out.push(FirewallNote {
                    kind: FirewallNoteKind::FqdnNetworkRuleWithoutDnsProxy,
                    message: format!(
                        "network rule {} lists {}, but DNS proxy is not enabled: FQDNs in network rules match nothing without it",
                        e.rule_path(rule_name(rule)),
                        sorted_unique(&n.destination_fqdns).join(", ")
                    ),
                    origin: Some(n.origin.clone()),
                });
            }
        }
    }
    out
}

/// A set-like list as shown in messages: sorted, without repeats (input order means nothing).
fn sorted_unique(items: &[String]) -> Vec<&str> {
    let set: BTreeSet<&str> = items.iter().map(String::as_str).collect();
    set.into_iter().collect()
}

// ------------------------------------------------------------------ entry point

fn append_note(reason: &mut String, msg: &str) {
    if !reason.ends_with('.') {
        reason.push('.');
    }
    reason.push_str(" Note: ");
    reason.push_str(msg);
    reason.push('.');
}

/// Decide a flow that the route table sends to `firewall`.
pub fn evaluate(model: &Model, firewall: &Firewall, flow: &Flow) -> FirewallDecision {
    let prep = prepared(model, firewall);
    if let Some(err) = &prep.error {
        return FirewallDecision::unknown(
            model,
            firewall,
            format!(
                "the rules of {} cannot be determined: {err}",
                firewall.meta.address()
            ),
        );
    }
    let ctx = Ctx {
        model,
        flow,
        dns_proxy: prep.dns_proxy.clone(),
        tags: FqdnTagCatalogue::builtin(),
    };
    let dest = prep.dest_matches(&ctx, firewall);
    // the collections that may match the destination, with their candidate rules
    let runs: Vec<(Entry<'_>, &[Candidate])> = dest
        .candidates
        .chunk_by(|a, b| a.entry == b.entry)
        .filter_map(|run| {
            let info = prep.entries.get(run[0].entry)?;
            let coll = collection(model, firewall, info.coll)?;
            Some((Entry { info, coll }, run))
        })
        .collect();
    let chain: Vec<&FirewallPolicy> = prep
        .chain
        .iter()
        .filter_map(|&i| model.firewall_policies.get(i))
        .collect();
    let mut notes = vec![];
    if prep.nat_collections > 0 {
        notes.push(FirewallNote {
            kind: FirewallNoteKind::DnatNotApplied,
            message: format!(
                "{} DNAT rule collection(s) apply to inbound traffic only; not evaluated for this egress flow",
                prep.nat_collections
            ),
            origin: None,
        });
    }

    // Decide each part of the node subnet.
    let mut side = Side::default();
    let mut decided: Vec<(Option<Range>, PartDecision)> = vec![];
    let parts = if flow.source_prefixes.is_empty() {
        vec![]
    } else {
        partition(&prep.cuts, &flow.source_prefixes)
    };
    if parts.is_empty() {
        decided.push((None, decide_part(&runs, Scope::Unknown, &mut side)));
    } else {
        for part in &parts {
            decided.push((
                Some(*part),
                decide_part(&runs, Scope::Part(*part), &mut side),
            ));
        }
    }
    let default_denied = decided
        .iter()
        .any(|(_, d)| d.verdict == Verdict::Blocked && d.rule.is_none());

    // Group parts by decider (keeping first-seen order).
    let mut groups: Vec<(PartDecision, Vec<Range>)> = vec![];
    for (range, d) in decided {
        match groups.iter_mut().find(|(g, _)| g.decider == d.decider) {
            Some((_, rs)) => rs.extend(range),
            None => groups.push((d, range.into_iter().collect())),
        }
    }
    let verdict = groups
        .iter()
        .map(|(d, _)| d.verdict)
        .max()
        .unwrap_or(Verdict::Unknown);
    // who the destination sees: the firewall for application rules, or for public destinations
    let private_dest = matches!(&flow.destination, super::Destination::Ip(ip) if !super::servicetags::is_public_ip(ip));
    let snat = verdict == Verdict::Reachable
        && (!private_dest || groups.iter().all(|(d, _)| d.application));

    let mut hops = vec![
        Hop::new(
            HopKind::Firewall,
            firewall_label(model, firewall),
            Some(firewall.meta.origin.clone()),
        )
        .with_verdict(verdict),
    ];
    let (mut reason, rule_origin, rule);
    if groups.len() == 1 {
        let (d, _) = groups.remove(0);
        hops.push(d.hop);
        reason = d.reason;
        rule_origin = d.rule_origin;
        rule = d.rule;
    } else {
        let mixed = groups.iter().any(|(d, _)| d.verdict != verdict);
        let prefixes = flow
            .source_prefixes
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let mut sentences = vec![];
        for (d, rs) in &groups {
            let rs = merge_ranges(rs.clone());
            sentences.push(format!("for {}: {}", show_ranges(&rs), d.reason));
            if mixed && d.allow {
                notes.push(FirewallNote {
                    kind: FirewallNoteKind::PartialSourceCoverage,
                    message: format!(
                        "the source of {} covers only part of the node subnet {prefixes} ({})",
                        d.rule.as_deref().unwrap_or("the allowing rule"),
                        show_ranges(&rs)
                    ),
                    origin: d.rule_origin.clone(),
                });
            }
        }
        reason = if mixed {
            format!(
                "the firewall treats parts of the node subnet {prefixes} differently: {}",
                sentences.join("; ")
            )
        } else {
            sentences.join("; ")
        };
        // Point at the partially covering allow rule when that is the story, otherwise at the
        // worst part's decider.
        let worst = groups
            .iter()
            .find(|(d, _)| d.verdict == verdict)
            .map(|(d, _)| d.clone());
        let partial = groups.iter().find(|(d, _)| mixed && d.allow);
        match (partial, &worst) {
            (Some((p, _)), Some(w)) if w.rule_origin.is_none() => {
                rule_origin = p.rule_origin.clone();
                rule = p.rule.clone();
            }
            (_, Some(w)) => {
                rule_origin = w.rule_origin.clone();
                rule = w.rule.clone();
            }
            _ => {
                rule_origin = None;
                rule = None;
            }
        }
        for (d, _) in groups {
            hops.push(d.hop);
        }
    }

    // Allow rules for this destination whose sources leave every node out: the real cause of a
    // default deny.
    if default_denied {
        notes.extend(sources_missing_nodes(model, &runs, &parts, flow));
    }

    if firewall.policy.is_known() && prep.group_count == 0 && verdict == Verdict::Blocked {
        reason.push_str(" (the firewall policy has no rule collection groups in the input)");
    }

    // FQDN network rules that would have matched without DNS proxy off.
    let mut seen = BTreeSet::new();
    for (rname, f, origin) in side.fqdn_without_proxy {
        if !seen.insert((rname.clone(), f.clone())) {
            continue;
        }
        let msg = format!(
            "network rule {rname} lists {f}, but DNS proxy is not enabled on {}: FQDNs in network rules match nothing without it",
            if chain.is_empty() {
                firewall.meta.address().to_string()
            } else {
                chain
                    .last()
                    .map(|p| p.meta.address().to_string())
                    .unwrap_or_default()
            }
        );
        if verdict != Verdict::Reachable {
            append_note(&mut reason, &msg);
        }
        notes.push(FirewallNote {
            kind: FirewallNoteKind::FqdnNetworkRuleWithoutDnsProxy,
            message: msg,
            origin: Some(origin),
        });
    }

    // Threat intelligence.
    let ti_deny = |m: &Known<String>| m.known().is_some_and(|s| s.eq_ignore_ascii_case("deny"));
    let ti_origin = if chain.is_empty() {
        ti_deny(&firewall.threat_intel_mode).then(|| firewall.meta.origin.clone())
    } else {
        chain
            .iter()
            .find(|p| ti_deny(&p.threat_intel_mode))
            .map(|p| p.meta.origin.clone())
    };
    if let Some(origin) = ti_origin {
        let msg = "threat intelligence mode is Deny: it can drop allowed traffic to known-malicious addresses and FQDNs (Microsoft endpoints are not affected)".to_string();
        if verdict != Verdict::Blocked {
            append_note(&mut reason, &msg);
        }
        notes.push(FirewallNote {
            kind: FirewallNoteKind::ThreatIntelDeny,
            message: msg,
            origin: Some(origin),
        });
    }

    // Collections that are not in the inputs may be processed before the ones that decided.
    let (mut verdict, mut hops) = (verdict, hops);
    if let Some(why) = unlisted_rules(firewall, &chain) {
        if verdict != Verdict::Unknown {
            reason = format!(
                "the rules in the inputs decide it ({reason}), but {why}; a rule collection of \
                 those may be processed first: add the plan that manages them, or a snapshot of \
                 the firewall's rules, to decide"
            );
            verdict = Verdict::Unknown;
            if let Some(h) = hops.first_mut() {
                h.verdict = Some(Verdict::Unknown);
            }
        }
    }

    FirewallDecision {
        verdict,
        reason,
        hops,
        rule_origin,
        rule,
        notes,
        snat,
    }
}

/// Allow rules whose destination part matches the flow but whose sources match no part of the
/// node subnet (not even maybe), one note each, naming the rule and what its sources hold.
fn sources_missing_nodes(
    model: &Model,
    runs: &[(Entry<'_>, &[Candidate])],
    parts: &[Range],
    flow: &Flow,
) -> Vec<FirewallNote> {
    if parts.is_empty() {
        return vec![];
    }
    let mut out = vec![];
    for (e, cands) in runs {
        if e.action() != Some(crate::model::FwAction::Allow) {
            continue;
        }
        for c in cands.iter() {
            if c.dest == matching::M::No || c.source.is_empty() {
                continue;
            }
            let misses = parts
                .iter()
                .all(|p| matching::source_match(&c.source, Scope::Part(*p)) == matching::M::No);
            let Some(rule) = e.coll.rules.get(c.rule).filter(|_| misses) else {
                continue;
            };
            let nodes = flow
                .source_prefixes
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            out.push(FirewallNote {
                kind: FirewallNoteKind::SourcesMissNodes,
                message: format!(
                    "allow rule {} is written for these endpoints, but its sources ({}) leave the node subnet {nodes} out",
                    e.rule_path(rule_name(rule)),
                    describe_sources(model, rule)
                ),
                origin: Some(prepared::rule_origin(rule).clone()),
            });
        }
    }
    out
}

/// A rule's sources as written: addresses, and IP groups with their addresses.
fn describe_sources(model: &Model, rule: &FirewallRule) -> String {
    let (addrs, groups) = match rule {
        FirewallRule::Application(r) => (&r.source_addresses, &r.source_ip_groups),
        FirewallRule::Network(r) => (&r.source_addresses, &r.source_ip_groups),
        FirewallRule::Nat(r) => (&r.source_addresses, &vec![]),
    };
    let show = |a: &crate::model::AddressMatch| match a {
        crate::model::AddressMatch::Prefix(n) => n.to_string(),
        crate::model::AddressMatch::Any => "*".into(),
        crate::model::AddressMatch::Tag(t) => t.clone(),
        crate::model::AddressMatch::Asg(r) => r.display(),
        crate::model::AddressMatch::Invalid(s) | crate::model::AddressMatch::Unknown(s) => {
            s.clone()
        }
    };
    let mut parts: Vec<String> = addrs.iter().map(show).collect();
    for g in groups {
        parts.push(match model.ip_group(g) {
            Some(grp) => match &grp.cidrs {
                Known::Known(list) => format!(
                    "IP group {}: {}",
                    grp.meta.address(),
                    list.iter().map(show).collect::<Vec<_>>().join(", ")
                ),
                _ => format!("IP group {}", grp.meta.address()),
            },
            None => format!("IP group {}", g.display()),
        });
    }
    parts.join("; ")
}

/// Why rules that are not in the inputs may apply to this firewall: a pre-existing policy (in
/// the chain) may hold rule collection groups other configurations manage, a pre-existing
/// classic firewall rule collections. `None` when the inputs hold every rule.
fn unlisted_rules(firewall: &Firewall, chain: &[&FirewallPolicy]) -> Option<String> {
    if firewall.policy.is_absent() {
        return firewall.meta.children_unlisted("classic rule collections");
    }
    chain
        .iter()
        .find_map(|p| p.meta.children_unlisted("rule collection groups"))
}

#[cfg(test)]
mod tests;
