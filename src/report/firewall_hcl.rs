//! Terraform that allows required endpoints through an Azure Firewall, in the form the firewall
//! uses: a rule collection group of its Firewall Policy, or classic rule collections on the
//! firewall itself, at priorities that are free where they go. Used by `requirements --format
//! terraform` and by the fixes of FWL001 findings, so both paste the same way.

use super::requirements::{attrs, comment, hcl_list, hcl_str, ids_of, rule_name, truncate};
use crate::eval::Destination;
use crate::eval::Protocol;
use crate::eval::flow::AppProto;
use crate::model::Known;
use crate::policy::Requirement;
use ipnet::IpNet;
use std::fmt::Write as _;

/// Where generated allow rules go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirewallTarget {
    /// No firewall in the inputs: a rule collection group for a Firewall Policy given as the
    /// variable `firewall_policy_id`, at `priority`.
    PolicyVariable { priority: u32 },
    /// A firewall's Firewall Policy (`policy`: its address or id): a new rule collection group
    /// at a priority no group of the policy uses. `groups_known`: the policy is in the inputs (so
    /// its groups are); otherwise the priority cannot be checked.
    Policy {
        policy: String,
        priority: u32,
        groups_known: bool,
    },
    /// A firewall with classic rule collections (`firewall`: its address): new application and
    /// network rule collections at priorities no collection of the firewall uses. `extend`: an
    /// existing Allow application rule collection the host names could be added to instead.
    Classic {
        firewall: String,
        app_priority: u32,
        net_priority: u32,
        extend: Option<String>,
    },
}

impl FirewallTarget {
    /// The address of the resource the rules go to (the policy, or the classic firewall).
    pub fn resource(&self) -> Option<&str> {
        match self {
            FirewallTarget::PolicyVariable { .. } => None,
            FirewallTarget::Policy { policy, .. } => Some(policy),
            FirewallTarget::Classic { firewall, .. } => Some(firewall),
        }
    }

    /// The same place one priority later: rules processed right after the target's own.
    pub fn then_next(mut self) -> FirewallTarget {
        match &mut self {
            FirewallTarget::PolicyVariable { priority }
            | FirewallTarget::Policy { priority, .. } => *priority += 1,
            FirewallTarget::Classic {
                app_priority,
                net_priority,
                ..
            } => {
                *app_priority += 1;
                *net_priority += 1;
            }
        }
        self
    }

    /// The same target with its resource named `name` (an address or an Azure resource id).
    pub fn naming(mut self, name: String) -> FirewallTarget {
        match &mut self {
            FirewallTarget::PolicyVariable { .. } => {}
            FirewallTarget::Policy { policy, .. } => *policy = name,
            FirewallTarget::Classic { firewall, .. } => *firewall = name,
        }
        self
    }
}

/// How one requirement is rendered.
enum Placement<'a> {
    App,
    Net(NetDest),
    InVnet(&'a [IpNet]),
    Unrenderable(String),
}

pub(crate) enum NetDest {
    Addresses(Vec<String>),
    Fqdn(String),
}

fn place(r: &Requirement) -> Placement<'_> {
    match (&r.destination, &r.within) {
        (Some(Destination::Host(_)), _) if r.app_protocol.is_some() => Placement::App,
        (Some(Destination::Host(h)), _) => {
            if h.contains('*') {
                Placement::Unrenderable(format!(
                    "network rules cannot match the wildcard `{h}`; allow it by address"
                ))
            } else {
                Placement::Net(NetDest::Fqdn(h.clone()))
            }
        }
        (Some(Destination::Ip(ip)), _) => Placement::Net(NetDest::Addresses(vec![ip.to_string()])),
        (Some(Destination::Tag(t)), _) => Placement::Net(NetDest::Addresses(vec![t.clone()])),
        (Some(Destination::AnyPublic), _) => {
            let tags: Vec<String> = r
                .service_tags
                .iter()
                .filter(|t| !t.contains('<'))
                .cloned()
                .collect();
            Placement::Net(NetDest::Addresses(if tags.is_empty() {
                vec!["*".into()]
            } else {
                tags
            }))
        }
        (None, Known::Known(p)) if !p.is_empty() => Placement::InVnet(p),
        (None, _) => Placement::Unrenderable(
            r.note
                .clone()
                .unwrap_or_else(|| "the destination is not known before deployment".into()),
        ),
    }
}

/// Requirements sorted by how a firewall matches them.
pub(crate) struct Placed<'a> {
    /// Application rules grouped by (protocol, port), in first-seen order.
    pub app: Vec<(AppProto, u16, Vec<&'a Requirement>)>,
    pub net: Vec<(&'a Requirement, NetDest)>,
    pub in_vnet: Vec<(&'a Requirement, &'a [IpNet])>,
    pub skipped: Vec<(&'a Requirement, String)>,
}

impl<'a> Placed<'a> {
    pub fn new(reqs: impl IntoIterator<Item = &'a Requirement>) -> Placed<'a> {
        let mut p = Placed {
            app: vec![],
            net: vec![],
            in_vnet: vec![],
            skipped: vec![],
        };
        for r in reqs {
            match place(r) {
                Placement::App => {
                    let proto = r.app_protocol.unwrap_or(AppProto::Https);
                    match p
                        .app
                        .iter_mut()
                        .find(|(pr, port, _)| *pr == proto && *port == r.port)
                    {
                        Some((_, _, v)) => v.push(r),
                        None => p.app.push((proto, r.port, vec![r])),
                    }
                }
                Placement::Net(d) => p.net.push((r, d)),
                Placement::InVnet(n) => p.in_vnet.push((r, n)),
                Placement::Unrenderable(why) => p.skipped.push((r, why)),
            }
        }
        p
    }

    pub fn has_rules(&self) -> bool {
        !self.app.is_empty() || !self.net.is_empty()
    }
}

/// The host names of one application rule, one a line with the endpoint ids as comments.
fn fqdn_lines(out: &mut String, indent: &str, reqs: &[&Requirement]) {
    let mut seen: Vec<&str> = Vec::new();
    let mut items: Vec<(String, String)> = Vec::new();
    for r in reqs {
        if seen.contains(&r.host.as_str()) {
            continue;
        }
        seen.push(&r.host);
        items.push((format!("{},", hcl_str(&r.host)), comment(&ids_of(r))));
    }
    let w = items
        .iter()
        .map(|(v, _)| v.chars().count())
        .max()
        .unwrap_or(0);
    for (v, c) in items {
        let pad = " ".repeat(w - v.chars().count());
        let _ = writeln!(out, "{indent}{v}{pad} # {c}");
    }
}

pub(crate) fn app_type(proto: AppProto) -> &'static str {
    match proto {
        AppProto::Http => "Http",
        AppProto::Https => "Https",
    }
}

pub(crate) fn proto_name(p: Protocol) -> &'static str {
    match p {
        Protocol::Tcp => "TCP",
        Protocol::Udp => "UDP",
    }
}

/// Unique rule names for the network rules.
pub(crate) fn net_names(net: &[(&Requirement, NetDest)]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (r, _) in net {
        let mut name = rule_name(r);
        let base = name.clone();
        let mut n = 2;
        while names.contains(&name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        names.push(name);
    }
    names
}

fn net_dest(d: &NetDest) -> (&'static str, String) {
    match d {
        NetDest::Addresses(a) => ("destination_addresses", hcl_list(a.iter().cloned())),
        NetDest::Fqdn(h) => ("destination_fqdns", format!("[{}]", hcl_str(h))),
    }
}

/// The Terraform resources allowing the placed requirements from `sources` (an HCL list
/// expression) in `target`. `slug` names the resources (`aks_egress_{slug}`).
pub(crate) fn resources(
    out: &mut String,
    target: &FirewallTarget,
    placed: &Placed<'_>,
    slug: &str,
    sources: &str,
) {
    if !placed.has_rules() {
        return;
    }
    match target {
        FirewallTarget::PolicyVariable { priority } => policy_group(
            out,
            "var.firewall_policy_id",
            *priority,
            placed,
            slug,
            sources,
        ),
        FirewallTarget::Policy {
            policy,
            priority,
            groups_known,
        } => {
            if !groups_known {
                let _ = writeln!(
                    out,
                    "# The rule collection groups of {} are not in the inputs: check that \
                     priority {priority} is free in it.",
                    comment(policy)
                );
            }
            policy_group(
                out,
                &crate::analysis::tf_value(policy, "id"),
                *priority,
                placed,
                slug,
                sources,
            )
        }
        FirewallTarget::Classic {
            firewall,
            app_priority,
            net_priority,
            extend: _,
        } => classic(
            out,
            firewall,
            *app_priority,
            *net_priority,
            placed,
            slug,
            sources,
        ),
    }
}

fn policy_group(
    out: &mut String,
    policy_id: &str,
    priority: u32,
    placed: &Placed<'_>,
    slug: &str,
    sources: &str,
) {
    let _ = writeln!(
        out,
        "resource \"azurerm_firewall_policy_rule_collection_group\" \"aks_egress_{slug}\" {{"
    );
    attrs(
        out,
        "  ",
        &[
            (
                "name",
                hcl_str(&format!("aks-egress-{}", slug.replace('_', "-"))),
            ),
            ("firewall_policy_id", policy_id.to_string()),
            ("priority", priority.to_string()),
        ],
    );
    if !placed.app.is_empty() {
        out.push_str(
            "\n  application_rule_collection {\n    name     = \"aks-egress-fqdns\"\n    priority = 100\n    action   = \"Allow\"\n",
        );
        for (proto, port, reqs) in &placed.app {
            let type_ = app_type(*proto);
            out.push_str("\n    rule {\n");
            attrs(
                out,
                "      ",
                &[
                    (
                        "name",
                        hcl_str(&format!("{}-{port}", type_.to_ascii_lowercase())),
                    ),
                    ("source_addresses", sources.to_string()),
                    ("destination_fqdns", "[".to_string()),
                ],
            );
            fqdn_lines(out, "        ", reqs);
            let _ = write!(
                out,
                "      ]\n      protocols {{\n        type = \"{type_}\"\n        port = {port}\n      }}\n    }}\n"
            );
        }
        out.push_str("  }\n");
    }
    if !placed.net.is_empty() {
        out.push_str(
            "\n  network_rule_collection {\n    name     = \"aks-egress-network\"\n    priority = 200\n    action   = \"Allow\"\n",
        );
        for ((r, d), name) in placed.net.iter().zip(net_names(&placed.net)) {
            net_comment(out, "    ", r, d);
            out.push_str("    rule {\n");
            attrs(
                out,
                "      ",
                &[
                    ("name", hcl_str(&name)),
                    ("protocols", format!("[\"{}\"]", proto_name(r.protocol))),
                    ("source_addresses", sources.to_string()),
                    net_dest(d),
                    ("destination_ports", format!("[\"{}\"]", r.port)),
                ],
            );
            out.push_str("    }\n");
        }
        out.push_str("  }\n");
    }
    out.push_str("}\n");
}

fn net_comment(out: &mut String, indent: &str, r: &Requirement, d: &NetDest) {
    let _ = writeln!(
        out,
        "\n{indent}# {}",
        comment(&format!("{}: {}", ids_of(r), truncate(&r.purpose, 100)))
    );
    if matches!(d, NetDest::Fqdn(_)) {
        let _ = writeln!(
            out,
            "{indent}# FQDNs in network rules need DNS proxy enabled on the firewall"
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn classic(
    out: &mut String,
    firewall: &str,
    app_priority: u32,
    net_priority: u32,
    placed: &Placed<'_>,
    slug: &str,
    sources: &str,
) {
    let common = |name: String, priority: u32| {
        vec![
            ("name", hcl_str(&name)),
            (
                "azure_firewall_name",
                crate::analysis::tf_value(firewall, "name"),
            ),
            (
                "resource_group_name",
                crate::analysis::tf_value(firewall, "resource_group_name"),
            ),
            ("priority", priority.to_string()),
            ("action", "\"Allow\"".to_string()),
        ]
    };
    let name = slug.replace('_', "-");
    if !placed.app.is_empty() {
        let _ = writeln!(
            out,
            "resource \"azurerm_firewall_application_rule_collection\" \"aks_egress_{slug}\" {{"
        );
        attrs(
            out,
            "  ",
            &common(format!("aks-egress-{name}-fqdns"), app_priority),
        );
        for (proto, port, reqs) in &placed.app {
            let type_ = app_type(*proto);
            out.push_str("\n  rule {\n");
            attrs(
                out,
                "    ",
                &[
                    (
                        "name",
                        hcl_str(&format!("{}-{port}", type_.to_ascii_lowercase())),
                    ),
                    ("source_addresses", sources.to_string()),
                    ("target_fqdns", "[".to_string()),
                ],
            );
            fqdn_lines(out, "      ", reqs);
            let _ = write!(
                out,
                "    ]\n    protocol {{\n      port = {port}\n      type = \"{type_}\"\n    }}\n  }}\n"
            );
        }
        out.push_str("}\n");
    }
    if !placed.net.is_empty() {
        if !placed.app.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "resource \"azurerm_firewall_network_rule_collection\" \"aks_egress_{slug}\" {{"
        );
        attrs(
            out,
            "  ",
            &common(format!("aks-egress-{name}-network"), net_priority),
        );
        for ((r, d), rname) in placed.net.iter().zip(net_names(&placed.net)) {
            net_comment(out, "  ", r, d);
            out.push_str("  rule {\n");
            attrs(
                out,
                "    ",
                &[
                    ("name", hcl_str(&rname)),
                    ("protocols", format!("[\"{}\"]", proto_name(r.protocol))),
                    ("source_addresses", sources.to_string()),
                    net_dest(d),
                    ("destination_ports", format!("[\"{}\"]", r.port)),
                ],
            );
            out.push_str("  }\n");
        }
        out.push_str("}\n");
    }
}

/// The lowest priority from 100 (in steps of 10, then of 1) that `used` does not hold, up to
/// `max`: rules processed before the existing ones, so a matching Deny cannot shadow them.
pub fn free_priority(used: &[u32], max: u32) -> Option<u32> {
    (100..=max)
        .step_by(10)
        .chain(100..=max)
        .find(|p| !used.contains(p))
}

/// The firewall a set of node pools routes through, as a target for allow rules: its policy
/// (a free rule collection group priority) or its classic collections (free priorities).
pub fn target_for(model: &crate::model::Model, fw: &crate::model::Firewall) -> FirewallTarget {
    use crate::model::{FwAction, RuleCollectionKind};
    match &fw.policy {
        Known::Known(r) => {
            let policy = model.firewall_policy(r);
            let used: Vec<u32> = model
                .rule_collection_groups
                .iter()
                .filter(|g| {
                    g.policy
                        .known()
                        .and_then(|gr| model.firewall_policy(gr))
                        .zip(policy)
                        .is_some_and(|(a, b)| a.meta.same_resource(&b.meta))
                })
                .filter_map(|g| g.priority.known().copied())
                .collect();
            FirewallTarget::Policy {
                policy: policy
                    .map(|p| p.meta.address().to_string())
                    .unwrap_or_else(|| r.display()),
                priority: free_priority(&used, 65000).unwrap_or(65000),
                groups_known: policy.is_some(),
            }
        }
        _ => {
            let used = |kind: RuleCollectionKind| -> Vec<u32> {
                fw.collections
                    .iter()
                    .filter(|c| c.kind == kind)
                    .filter_map(|c| c.priority.known().copied())
                    .collect()
            };
            let extend = fw
                .collections
                .iter()
                .filter(|c| {
                    c.kind == RuleCollectionKind::Application
                        && c.action == Known::Known(FwAction::Allow)
                })
                .find_map(|c| c.origin.address.as_deref().map(str::to_string));
            FirewallTarget::Classic {
                firewall: fw.meta.address().to_string(),
                app_priority: free_priority(&used(RuleCollectionKind::Application), 65000)
                    .unwrap_or(65000),
                net_priority: free_priority(&used(RuleCollectionKind::Network), 65000)
                    .unwrap_or(65000),
                extend,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_priorities_skip_used_ones() {
        assert_eq!(free_priority(&[], 65000), Some(100));
        assert_eq!(free_priority(&[100, 110], 65000), Some(120));
        assert_eq!(free_priority(&[100, 110], 105), Some(101));
        assert_eq!(free_priority(&[100], 100), None);
    }
}
