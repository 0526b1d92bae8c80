//! Deciding one part of the node subnet: the collections that match (or may match) the flow,
//! in processing order; the first definite match decides unless an undecidable one before it
//! has another action; no match is the default deny.

use super::matching::{Candidate, M, Scope, Side, source_match};
use super::prepared::{Entry, Pass, rule_name, rule_origin};
use crate::eval::{Hop, HopKind, Verdict};
use crate::model::{FirewallRule, FwAction, RuleCollectionKind};
use crate::source::Origin;
use std::collections::BTreeSet;

/// A collection that matches (or may match) the flow.
pub(super) struct Hit<'e, 'a> {
    pub(super) entry: &'e Entry<'a>,
    pub(super) definite: bool,
    pub(super) rule: &'a FirewallRule,
    pub(super) maybe_reason: Option<String>,
}

impl Hit<'_, '_> {
    fn path(&self) -> String {
        self.entry.rule_path(rule_name(self.rule))
    }
    fn describe(&self) -> String {
        self.entry.describe(&rule_name(self.rule))
    }
    fn rule_origin(&self) -> Origin {
        rule_origin(self.rule).clone()
    }
}

/// Does collection `e` match (or may it match) the flow from `scope`? `candidates` are the
/// collection's rules that can match the destination, in rule order; the others cannot match.
/// Rules are tried in order until one matches definitely.
pub(super) fn collection_hit<'e, 'a>(
    e: &'e Entry<'a>,
    candidates: &[Candidate],
    scope: Scope,
    side: &mut Side,
) -> Option<Hit<'e, 'a>> {
    if e.coll.kind == RuleCollectionKind::Nat {
        return None;
    }
    let mut maybe: Option<Hit<'e, 'a>> = None;
    for c in candidates {
        side.fqdn_without_proxy.extend(c.side.iter().cloned());
        let Some(rule) = e.coll.rules.get(c.rule) else {
            continue;
        };
        // `dest.and(source)`, cloning the destination's reason only when it is the result
        let m = match &c.dest {
            M::No => continue,
            M::Yes => source_match(&c.source, scope),
            M::Maybe(r) => match source_match(&c.source, scope) {
                M::No => M::No,
                _ => M::Maybe(r.clone()),
            },
        };
        let why = match m {
            M::No => continue,
            M::Yes => match &e.membership {
                None => {
                    return Some(Hit {
                        entry: e,
                        definite: true,
                        rule,
                        maybe_reason: None,
                    });
                }
                Some(why) => why.clone(),
            },
            M::Maybe(why) => why,
        };
        if maybe.is_none() {
            maybe = Some(Hit {
                entry: e,
                definite: false,
                rule,
                maybe_reason: Some(why),
            });
        }
    }
    maybe
}

/// The decision for one part of the node subnet.
#[derive(Debug, Clone)]
pub(super) struct PartDecision {
    pub(super) verdict: Verdict,
    /// Identity of the decider, to merge equal parts: the rule path or "default deny".
    pub(super) decider: String,
    pub(super) reason: String,
    pub(super) hop: Hop,
    pub(super) rule_origin: Option<Origin>,
    pub(super) rule: Option<String>,
    pub(super) allow: bool,
    /// Decided by an application rule (the firewall proxies the flow: it SNATs it).
    pub(super) application: bool,
}

/// Decide one part of the node subnet. `runs`: the collections that have candidates for the
/// flow's destination, in processing order, with their candidates.
pub(super) fn decide_part(
    runs: &[(Entry<'_>, &[Candidate])],
    scope: Scope,
    side: &mut Side,
) -> PartDecision {
    let mut hits: Vec<Hit<'_, '_>> = vec![];
    for (e, run) in runs {
        hits.extend(collection_hit(e, run, scope, side));
    }
    // A hit can decide if it can come before every definite hit.
    let definite: Vec<&Hit<'_, '_>> = hits.iter().filter(|y| y.definite).collect();
    let winners: Vec<&Hit<'_, '_>> = hits
        .iter()
        .filter(|x| {
            definite
                .iter()
                .all(|y| std::ptr::eq(*x, *y) || x.entry.can_precede(y.entry))
        })
        .collect();
    let default_possible = !hits.iter().any(|h| h.definite);

    let mut actions: BTreeSet<Option<u8>> = winners
        .iter()
        .map(|h| h.entry.action().map(action_code))
        .collect();
    if default_possible {
        actions.insert(Some(action_code(FwAction::Deny)));
    }
    let decisive = actions.len() == 1 && !actions.contains(&None);

    if decisive {
        // the first definite winner in processing order, else default deny
        if let Some(h) = winners.iter().find(|h| h.definite) {
            let allow = h.entry.action() == Some(FwAction::Allow);
            let verdict = if allow {
                Verdict::Reachable
            } else {
                Verdict::Blocked
            };
            let verb = if allow { "allowed" } else { "denied" };
            let mut reason = format!("{verb} by {}", h.describe());
            let others: Vec<String> = winners
                .iter()
                .filter(|w| !w.definite)
                .map(|w| w.path())
                .collect();
            if !others.is_empty() {
                reason.push_str(&format!(
                    " (undecidable rules before it have the same action: {})",
                    others.join(", ")
                ));
            }
            return PartDecision {
                verdict,
                decider: h.path(),
                hop: Hop::new(HopKind::FirewallRule, h.describe(), Some(h.rule_origin()))
                    .with_verdict(verdict),
                reason,
                rule_origin: Some(h.rule_origin()),
                rule: Some(h.path()),
                allow,
                application: h.entry.pass == Pass::Application,
            };
        }
        let mut reason = "no rule allows it: default deny".to_string();
        let maybes: Vec<String> = winners.iter().map(|w| w.path()).collect();
        if !maybes.is_empty() {
            reason.push_str(&format!(
                " (rules that may match also deny it: {})",
                maybes.join(", ")
            ));
        }
        return PartDecision {
            verdict: Verdict::Blocked,
            decider: "default deny".into(),
            hop: Hop::new(
                HopKind::FirewallRule,
                "default deny (no rule collection allows the flow)",
                None,
            )
            .with_verdict(Verdict::Blocked),
            reason,
            rule_origin: None,
            rule: None,
            allow: false,
            application: false,
        };
    }

    // Undecidable: name the rules whose match or position cannot be decided.
    let undecided: Vec<&&Hit<'_, '_>> = winners
        .iter()
        .filter(|h| !h.definite || h.entry.action().is_none() || has_unknown_position(h.entry))
        .collect();
    let first = undecided.first().copied().or(winners.first());
    let mut parts: Vec<String> = undecided
        .iter()
        .map(|h| {
            let act = match h.entry.action() {
                Some(FwAction::Allow) => "Allow",
                Some(FwAction::Deny) => "Deny",
                Some(FwAction::Dnat) => "DNAT",
                None => "unknown action",
            };
            let why = if let Some(r) = &h.maybe_reason {
                format!("may match: {r}")
            } else if h.entry.action().is_none() {
                "matches, but the collection's action is unknown".to_string()
            } else {
                "matches, but its processing position is unknown (priority unknown)".to_string()
            };
            format!("{} ({act}) {why}", h.path())
        })
        .collect();
    let decided: Vec<String> = winners
        .iter()
        .filter(|h| h.definite && !undecided.iter().any(|u| std::ptr::eq(**u, **h)))
        .map(|h| {
            let act = if h.entry.action() == Some(FwAction::Allow) {
                "allows"
            } else {
                "denies"
            };
            format!("{} {act} it", h.path())
        })
        .collect();
    if undecided.is_empty() && decided.len() > 1 {
        // only definite matches with known priorities: equal priorities, order undefined
        parts.push(format!(
            "rule collections with equal priorities disagree and their order is not defined: {}",
            decided.join(", ")
        ));
    } else {
        parts.extend(decided.into_iter().map(|d| format!("otherwise {d}")));
    }
    if default_possible {
        parts.push("otherwise no rule allows it (default deny)".into());
    }
    let reason = format!("undecidable: {}", parts.join("; "));
    let (hop, origin, rule, decider) = match first {
        Some(h) => (
            Hop::new(
                HopKind::FirewallRule,
                format!("{} (undecidable)", h.describe()),
                Some(h.rule_origin()),
            )
            .with_verdict(Verdict::Unknown),
            Some(h.rule_origin()),
            Some(h.path()),
            format!("undecidable {}", h.path()),
        ),
        None => (
            Hop::new(HopKind::FirewallRule, "undecidable", None).with_verdict(Verdict::Unknown),
            None,
            None,
            "undecidable".into(),
        ),
    };
    PartDecision {
        verdict: Verdict::Unknown,
        decider,
        reason,
        hop,
        rule_origin: origin,
        rule,
        allow: false,
        application: false,
    }
}

pub(super) fn has_unknown_position(e: &Entry<'_>) -> bool {
    e.coll_prio.is_none() || e.group_prio.is_none()
}

pub(super) fn action_code(a: FwAction) -> u8 {
    match a {
        FwAction::Allow => 0,
        FwAction::Deny => 1,
        FwAction::Dnat => 2,
    }
}
