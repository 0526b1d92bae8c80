//! Fixes that apply as pasted: the snippets of findings' help texts, in the language the inputs
//! are written in (Terraform, or Bicep for ARM templates and what-if output: [`FixLanguage`]).
//!
//! *Invariant:* a snippet is valid HCL (or Bicep), covers every endpoint of its finding, and uses
//! priorities that are free where it goes: an NSG rule takes a priority no rule of the NSG uses,
//! below the deny it must precede (or the deny is renumbered into a free gap); firewall rules go
//! where the firewall keeps its rules — a new rule collection group of its policy, or classic rule
//! collections on the firewall — at priorities no group or collection there uses. Tests check
//! every snippet of every scenario (`tests/fixes.rs`) and apply every Bicep snippet of every ARM
//! twin (`tests/fixes_bicep.rs`).

use crate::eval::{Destination, Protocol};
use crate::model::{Model, Nsg};
use crate::policy::Requirement;
use crate::report::bicep::{self, Parent};
use crate::report::firewall_hcl::{self, FirewallTarget, Placed};
use crate::report::requirements::{hcl_list, hcl_str};
use std::fmt::Write as _;

/// A fix computed from the group of requirements a finding covers.
#[derive(Debug, Clone)]
pub enum Fix {
    /// Allow the requirements in the NSG `nsg` (address) before the rule that denies them.
    NsgAllow {
        nsg: String,
        /// The deny rule, as users find it (`azurerm_network_security_rule.deny`, or `rule "x"
        /// of` the NSG for inline rules).
        deny_rule: String,
        deny_priority: u32,
        /// The deny is a default rule (DenyAllOutBound): any custom priority precedes it.
        default_rule: bool,
    },
    /// Allow the requirements through the firewall `firewall` (address), whose default deny
    /// drops them.
    FirewallAllow { firewall: String },
}

/// The language fix snippets are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FixLanguage {
    /// azurerm resources (plans, state, Terraform configuration).
    #[default]
    Terraform,
    /// Bicep (ARM templates, usually compiled from Bicep, and what-if output).
    Bicep,
}

/// A rendered fix: the help text, and the snippet when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub help: String,
    pub snippet: Option<String>,
}

impl Fix {
    /// Render the fix for `reqs` from the node subnet prefixes `sources` (`None`: not known)
    /// in `lang`; `slug` names new resources.
    pub fn render(
        &self,
        model: &Model,
        reqs: &[&Requirement],
        sources: &Option<Vec<String>>,
        slug: &str,
        lang: FixLanguage,
    ) -> Rendered {
        match self {
            Fix::NsgAllow {
                nsg,
                deny_rule,
                deny_priority,
                default_rule,
            } => nsg_allow(
                model,
                nsg,
                (deny_rule, *deny_priority, *default_rule),
                reqs,
                sources,
                lang,
            ),
            Fix::FirewallAllow { firewall } => {
                firewall_allow(model, firewall, reqs, sources, slug, lang)
            }
        }
    }
}

/// A Terraform identifier from free text (`system` -> `system`, `np-1` -> `np_1`).
pub fn ident(s: &str) -> String {
    let mut o = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            o.push(c.to_ascii_lowercase());
        } else if !o.ends_with('_') {
            o.push('_');
        }
    }
    let o = o.trim_matches('_').to_string();
    match o.chars().next() {
        None => "pool".into(),
        Some(c) if c.is_ascii_digit() => format!("p_{o}"),
        Some(_) => o,
    }
}

// ------------------------------------------------------------------------------ NSG

/// One NSG allow rule: a protocol, a destination, the ports.
struct NsgAllowRule {
    protocol: Protocol,
    destination: String,
    ports: Vec<u16>,
}

/// The NSG destination that covers a requirement: its address or service tag, and `Internet`
/// for host names (an NSG cannot match names; one rule to `Internet` covers them all).
fn nsg_destination(r: &Requirement) -> String {
    match &r.destination {
        Some(Destination::Ip(ip)) => ip.to_string(),
        Some(Destination::Tag(t)) => t.clone(),
        _ => "Internet".into(),
    }
}

fn nsg_rules(reqs: &[&Requirement]) -> Vec<NsgAllowRule> {
    let mut out: Vec<NsgAllowRule> = vec![];
    for r in reqs {
        let dest = nsg_destination(r);
        match out
            .iter_mut()
            .find(|g| g.protocol == r.protocol && g.destination == dest)
        {
            Some(g) => {
                if !g.ports.contains(&r.port) {
                    g.ports.push(r.port);
                }
            }
            None => out.push(NsgAllowRule {
                protocol: r.protocol,
                destination: dest,
                ports: vec![r.port],
            }),
        }
    }
    for g in &mut out {
        g.ports.sort_unstable();
    }
    out
}

/// `n` free priorities, highest first, from `candidates` (tens first, then any number).
fn pick(used: &[u32], range: std::ops::RangeInclusive<u32>, n: usize) -> Option<Vec<u32>> {
    let tens = range.clone().rev().filter(|p| p % 10 == 0);
    let mut got: Vec<u32> = vec![];
    for p in tens.chain(range.rev()) {
        if !used.contains(&p) && !got.contains(&p) {
            got.push(p);
            if got.len() == n {
                return Some(got);
            }
        }
    }
    None
}

/// Where the allow rules go: their priorities, and the deny's new priority when it must move.
struct NsgPlacement {
    priorities: Vec<u32>,
    renumber: Option<u32>,
}

fn nsg_placement(used: &[u32], deny: u32, default_rule: bool, n: usize) -> Option<NsgPlacement> {
    if default_rule {
        // custom rules run 100-4096, all before the default rules
        return pick(used, 100..=4096, n).map(|priorities| NsgPlacement {
            priorities,
            renumber: None,
        });
    }
    if deny > 100 {
        if let Some(priorities) = pick(used, 100..=deny - 1, n) {
            return Some(NsgPlacement {
                priorities,
                renumber: None,
            });
        }
    }
    // no free priority below the deny: move the deny into the gap after it (before the next
    // rule, so the order of the others stays), the allows first
    let next = used
        .iter()
        .copied()
        .filter(|&p| p > deny)
        .min()
        .unwrap_or(4097);
    let gap = deny + 1..next;
    let tens: Vec<u32> = gap.clone().filter(|p| p % 10 == 0).collect();
    let all: Vec<u32> = gap.collect();
    let free = if tens.len() > n { tens } else { all };
    if free.len() < n + 1 {
        return None;
    }
    Some(NsgPlacement {
        priorities: free[..n].to_vec(),
        renumber: Some(free[n]),
    })
}

fn nsg_allow(
    model: &Model,
    nsg_address: &str,
    (deny_rule, deny, default_rule): (&str, u32, bool),
    reqs: &[&Requirement],
    sources: &Option<Vec<String>>,
    lang: FixLanguage,
) -> Rendered {
    let nsg: Option<&Nsg> = model.nsgs.iter().find(|n| n.meta.address() == nsg_address);
    let rules = nsg.and_then(|n| n.rules.known());
    let used: Vec<u32> = rules
        .map(|rs| {
            rs.iter()
                .filter_map(|r| r.priority.known().copied())
                .collect()
        })
        .unwrap_or_default();
    let names: Vec<String> = rules
        .map(|rs| rs.iter().filter_map(|r| r.name.known().cloned()).collect())
        .unwrap_or_default();
    // rules written inline in the NSG resource cannot be mixed with rule resources
    let inline = rules.is_some_and(|rs| {
        rs.iter()
            .any(|r| r.origin.address.as_deref() == Some(nsg_address))
    });
    let allows = nsg_rules(reqs);
    let deny_text = if default_rule {
        "the default deny".to_string()
    } else {
        format!("the deny (priority {deny})")
    };
    let Some(placement) = nsg_placement(&used, deny, default_rule, allows.len()) else {
        return Rendered {
            help: format!(
                "allow the flows with a rule evaluated before {deny_text}: no priority is free \
                 before it, so renumber the rules of {nsg_address} to make room, or narrow the deny"
            ),
            snippet: None,
        };
    };
    let known = rules.is_some();
    let mut help = match (&placement.renumber, inline) {
        (Some(d), _) => format!(
            "no priority is free below {deny_text}: change the priority of {deny_rule} to {d} \
             (free), and allow the flows before it"
        ),
        (None, _) => format!("allow the flows with a rule evaluated before {deny_text}"),
    };
    let parent = match nsg {
        Some(n) => Parent::of(&n.meta, "Microsoft.Network/networkSecurityGroups"),
        None => Parent::from_parts(
            nsg_address,
            None,
            "Microsoft.Network/networkSecurityGroups",
            Some(None),
        ),
    };
    match (inline, lang) {
        (true, FixLanguage::Terraform) => {
            let _ = write!(
                help,
                "; add to the security_rule blocks of {nsg_address} (its rules are inline)"
            );
        }
        (true, FixLanguage::Bicep) => {
            let _ = write!(
                help,
                "; add to the securityRules of {nsg_address} (its rules are inline: a separate \
                 securityRules resource would be deleted by the next deployment of the NSG)"
            );
        }
        (false, FixLanguage::Bicep) => help.push_str(&parent.placement()),
        (false, FixLanguage::Terraform) => {}
    }
    if !known {
        let _ = write!(
            help,
            " (the NSG's rules are not known: check that the priorities are free)"
        );
    }
    help.push(':');
    let mut specs: Vec<bicep::NsgRule> = vec![];
    let mut taken: Vec<String> = vec![];
    for (a, prio) in allows.iter().zip(&placement.priorities) {
        let ports: Vec<String> = a.ports.iter().map(|p| p.to_string()).collect();
        let proto = match a.protocol {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        };
        let base = format!("allow-aks-egress-{proto}-{}", ports.join("-"));
        let mut name = base.clone();
        let mut n = 2;
        while names.contains(&name) || taken.contains(&name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        taken.push(name.clone());
        specs.push(bicep::NsgRule {
            name,
            priority: *prio,
            protocol: a.protocol,
            sources: sources.clone(),
            destination: a.destination.clone(),
            ports: a.ports.clone(),
        });
    }
    let mut snippet = String::new();
    match lang {
        FixLanguage::Terraform => {
            let named = nsg.map_or(nsg_address.to_string(), |n| tf_address(&n.meta));
            nsg_rules_hcl(&mut snippet, &named, inline, &specs)
        }
        FixLanguage::Bicep => bicep::nsg_rules(&mut snippet, &parent, inline, &specs),
    }
    Rendered {
        help,
        snippet: Some(snippet.trim_end().to_string()),
    }
}

/// The azurerm form of NSG allow rules: `security_rule` blocks when the NSG's rules are inline,
/// else `azurerm_network_security_rule` resources.
fn nsg_rules_hcl(out: &mut String, nsg_address: &str, inline: bool, specs: &[bicep::NsgRule]) {
    for (i, a) in specs.iter().enumerate() {
        let proto = match a.protocol {
            Protocol::Tcp => "Tcp",
            Protocol::Udp => "Udp",
        };
        let source = match &a.sources {
            None => ("source_address_prefix", "\"VirtualNetwork\"".to_string()),
            Some(s) => ("source_address_prefixes", hcl_list(s.iter().cloned())),
        };
        let ports: Vec<String> = a.ports.iter().map(|p| p.to_string()).collect();
        let port_attr = if ports.len() == 1 {
            ("destination_port_range", hcl_str(&ports[0]))
        } else {
            ("destination_port_ranges", hcl_list(ports.into_iter()))
        };
        let mut kv: Vec<(&str, String)> = vec![
            ("name", format!("\"{}\"", a.name)),
            ("priority", a.priority.to_string()),
            ("direction", "\"Outbound\"".into()),
            ("access", "\"Allow\"".into()),
            ("protocol", format!("\"{proto}\"")),
            source,
            ("source_port_range", "\"*\"".into()),
            (
                "destination_address_prefix",
                format!("\"{}\"", a.destination),
            ),
            port_attr,
        ];
        if i > 0 {
            out.push('\n');
        }
        if inline {
            out.push_str("security_rule {\n");
        } else {
            let _ = writeln!(
                out,
                "resource \"azurerm_network_security_rule\" \"{}\" {{",
                a.name.replace('-', "_")
            );
            kv.push((
                "resource_group_name",
                super::tf_value(nsg_address, "resource_group_name"),
            ));
            kv.push((
                "network_security_group_name",
                super::tf_value(nsg_address, "name"),
            ));
        }
        let w = kv.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (k, v) in kv {
            let _ = writeln!(out, "  {k:<w$} = {v}");
        }
        out.push_str("}\n");
    }
}

// ------------------------------------------------------------------------- firewall

/// Where allow rules for a cluster's egress go: the one Azure Firewall its node subnets' route
/// tables send traffic to (in the form it uses), or a policy given as a variable when there is
/// none or more than one.
pub fn cluster_firewall_target(
    model: &Model,
    cluster: &crate::model::Cluster,
    fallback_priority: u32,
) -> FirewallTarget {
    let mut found: Vec<&crate::model::Firewall> = vec![];
    for p in &cluster.node_pools {
        let Some(s) = p.subnet.known().and_then(|r| model.subnet(r)) else {
            continue;
        };
        let Some(rt) = s.route_table.known().and_then(|r| model.route_table(r)) else {
            continue;
        };
        for route in rt.routes.known().into_iter().flatten() {
            if let Some(fw) = route
                .next_hop_ip
                .as_ref()
                .and_then(|v| super::firewall_at(model, v))
            {
                if !found.iter().any(|f| f.meta.key == fw.meta.key) {
                    found.push(fw);
                }
            }
        }
    }
    match found.as_slice() {
        [fw] => firewall_hcl::target_for(model, fw),
        _ => FirewallTarget::PolicyVariable {
            priority: fallback_priority,
        },
    }
}

/// How a Terraform snippet names a resource: its Terraform address when it has one, else its
/// Azure resource id when that is literal (a resource read from Azure or from files), so the
/// snippet holds the real id, name and resource group instead of a placeholder.
fn tf_address(meta: &crate::model::Meta) -> String {
    let address = meta.address();
    if !super::tf_ref(address, "id").starts_with('<') {
        return address.to_string();
    }
    match &meta.id {
        Some(id) if id.as_str().starts_with("/subscriptions/") && !id.as_str().contains('{') => {
            id.as_str().to_string()
        }
        _ => address.to_string(),
    }
}

/// The resource a [`FirewallTarget`]'s Bicep rules belong to: the policy (a new rule collection
/// group is its child) or the classic firewall (its collections are entries of its arrays).
pub fn bicep_parent(model: &Model, target: &FirewallTarget) -> Parent {
    let arm_type = match target {
        FirewallTarget::PolicyVariable { .. } => return bicep::policy_variable(),
        FirewallTarget::Policy { .. } => "Microsoft.Network/firewallPolicies",
        FirewallTarget::Classic { .. } => "Microsoft.Network/azureFirewalls",
    };
    match target_meta(model, target) {
        Some(m) => Parent::of(m, arm_type),
        None => Parent::from_parts(
            target.resource().unwrap_or_default(),
            None,
            arm_type,
            Some(None),
        ),
    }
}

/// The model element a [`FirewallTarget`] names: its policy, or its classic firewall.
fn target_meta<'m>(model: &'m Model, target: &FirewallTarget) -> Option<&'m crate::model::Meta> {
    match target {
        FirewallTarget::PolicyVariable { .. } => None,
        FirewallTarget::Policy { policy, .. } => model
            .firewall_policies
            .iter()
            .find(|p| p.meta.address() == policy)
            .map(|p| &p.meta),
        FirewallTarget::Classic { firewall, .. } => model
            .firewalls
            .iter()
            .find(|f| f.meta.address() == firewall)
            .map(|f| &f.meta),
    }
}

fn firewall_allow(
    model: &Model,
    firewall: &str,
    reqs: &[&Requirement],
    sources: &Option<Vec<String>>,
    slug: &str,
    lang: FixLanguage,
) -> Rendered {
    let fw = model
        .firewalls
        .iter()
        .find(|f| f.meta.address() == firewall);
    let target = fw
        .map(|f| firewall_hcl::target_for(model, f))
        .unwrap_or(FirewallTarget::PolicyVariable { priority: 500 });
    let placed = Placed::new(reqs.iter().copied());
    let mut help = match &target {
        FirewallTarget::Policy {
            policy,
            priority,
            groups_known: true,
        } => format!(
            "allow them in a new rule collection group of {policy} (priority {priority} is free \
             there)"
        ),
        FirewallTarget::Policy {
            policy, priority, ..
        } => format!(
            "allow them in a new rule collection group of {policy} (its groups are not in the \
             inputs: check that priority {priority} is free there)"
        ),
        FirewallTarget::Classic {
            firewall,
            app_priority,
            net_priority,
            extend,
        } => {
            let free = match (placed.app.is_empty(), placed.net.is_empty()) {
                (false, false) => format!(
                    "priorities {app_priority} (application) and {net_priority} (network) are"
                ),
                (true, _) => format!("priority {net_priority} is"),
                (false, true) => format!("priority {app_priority} is"),
            };
            let mut h = format!(
                "{firewall} uses classic rule collections: allow them in new collections ({free} \
                 free there)"
            );
            if let (Some(e), false) = (extend, placed.app.is_empty()) {
                let attr = match lang {
                    FixLanguage::Terraform => "target_fqdns",
                    FixLanguage::Bicep => "targetFqdns",
                };
                let _ = write!(h, ", or add the host names to {attr} of {e}");
            }
            h
        }
        FirewallTarget::PolicyVariable { .. } => {
            "allow them in a rule collection group of the firewall's policy".to_string()
        }
    };
    let left_out: Vec<String> = placed
        .skipped
        .iter()
        .map(|(r, why)| format!("{} ({why})", r.describe()))
        .chain(
            placed
                .in_vnet
                .iter()
                .map(|(r, _)| format!("{} (an in-VNet destination)", r.describe())),
        )
        .collect();
    if !left_out.is_empty() {
        let _ = write!(help, "; not covered below: {}", left_out.join(", "));
    }
    if !placed.has_rules() {
        return Rendered {
            help: format!("{help}."),
            snippet: None,
        };
    }
    let parent = bicep_parent(model, &target);
    if lang == FixLanguage::Bicep && !matches!(target, FirewallTarget::PolicyVariable { .. }) {
        help.push_str(&parent.placement());
    }
    help.push(':');
    let mut snippet = String::new();
    match lang {
        FixLanguage::Terraform => {
            let list = match sources {
                Some(s) => hcl_list(s.iter().cloned()),
                None => hcl_list(std::iter::once("<node subnet prefixes>".to_string())),
            };
            // a resource read from Azure or files is named by its id, not a placeholder
            let named = match target_meta(model, &target) {
                Some(m) => target.clone().naming(tf_address(m)),
                None => target.clone(),
            };
            firewall_hcl::resources(&mut snippet, &named, &placed, slug, &list)
        }
        FixLanguage::Bicep => {
            let list = match sources {
                Some(s) => bicep::blist(s),
                None => bicep::blist(&["<node subnet prefixes>"]),
            };
            let parent = match target {
                FirewallTarget::PolicyVariable { .. } => {
                    bicep::policy_variable_declaration(&mut snippet);
                    snippet.push('\n');
                    bicep::policy_variable()
                }
                _ => parent,
            };
            bicep::firewall_rules(&mut snippet, &target, &parent, &placed, slug, &list)
        }
    }
    Rendered {
        help,
        snippet: Some(snippet.trim_end().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nsg_priorities_are_free_and_before_the_deny() {
        // below a deny at 200 with 190 taken
        let p = nsg_placement(&[100, 190, 200], 200, false, 2).unwrap();
        assert_eq!(p.priorities, vec![180, 170]);
        assert_eq!(p.renumber, None);
        // the deny at 100: moved into the gap after it, the allows before it
        let p = nsg_placement(&[100, 200], 100, false, 1).unwrap();
        assert_eq!(p.priorities, vec![110]);
        assert_eq!(p.renumber, Some(120));
        let p = nsg_placement(&[100, 103], 100, false, 1).unwrap();
        assert_eq!((p.priorities, p.renumber), (vec![101], Some(102)));
        // no room at all
        assert!(nsg_placement(&[100, 101], 100, false, 1).is_none());
        // the default deny: any free custom priority
        let p = nsg_placement(&[4090], 65500, true, 1).unwrap();
        assert_eq!(p.priorities, vec![4080]);
    }
}
