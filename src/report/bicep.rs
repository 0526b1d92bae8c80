//! Bicep that applies a fix as pasted, for inputs deployed with Bicep or ARM templates (what-if
//! output too): NSG security rules and Azure Firewall rules, in the form the resource keeps them
//! (child resources, or entries of the parent's inline array when the template writes them
//! inline, since a redeployment of the parent would delete child resources it does not list).
//! The Terraform twin of this module is [`super::firewall_hcl`] with `analysis::fixes`.
//!
//! *Invariant:* every snippet is Bicep the ARM mapper reads back to the same rules (checked by
//! applying each snippet of every ARM twin and checking again, `tests/fixes_bicep.rs`), and
//! names its parent by the symbol the template declares when there is one, else by an `existing`
//! declaration of its name.

use super::firewall_hcl::{FirewallTarget, NetDest, Placed, app_type, net_names, proto_name};
use super::requirements::{comment, ids_of, truncate};
use crate::eval::Protocol;
use crate::model::Meta;
use crate::policy::Requirement;
use std::fmt::Write as _;

/// The API version of the Microsoft.Network resources snippets declare.
pub const NETWORK_API: &str = "2024-05-01";

/// A Bicep string literal.
pub fn bstr(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('\'');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => o.push_str("\\'"),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            '$' if chars.peek() == Some(&'{') => o.push_str("\\$"),
            c => o.push(c),
        }
    }
    o.push('\'');
    o
}

/// A one-line Bicep array of strings.
pub fn blist<S: AsRef<str>>(items: &[S]) -> String {
    let v: Vec<String> = items.iter().map(|s| bstr(s.as_ref())).collect();
    format!("[{}]", v.join(", "))
}

/// A Bicep identifier from a resource name (`nsg-aks-nodes` -> `nsgAksNodes`).
pub fn ident(s: &str) -> String {
    let mut o = String::new();
    let mut upper = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if o.is_empty() {
                o.push(c.to_ascii_lowercase());
            } else if upper {
                o.push(c.to_ascii_uppercase());
            } else {
                o.push(c);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    match o.chars().next() {
        None => "res".into(),
        Some(c) if c.is_ascii_digit() => format!("r{o}"),
        Some(_) => o,
    }
}

/// How a snippet refers to the resource its rules belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parent {
    /// The Bicep symbol the snippet uses (`parent: nsg`).
    pub symbol: String,
    /// The `.bicep` file that declares `symbol`, where the snippet goes.
    pub file: Option<String>,
    /// When the template declares no symbol: the `existing` declaration the snippet starts
    /// with (ARM type, name).
    pub existing: Option<(String, String)>,
    /// The resource is not deployed by the inputs (read from Azure or from files): the resource
    /// group the snippet must be deployed to, when known.
    pub outside: Option<Option<String>>,
    /// The address findings show for the resource.
    pub address: String,
}

impl Parent {
    /// The parent of a snippet: the element `meta` of ARM type `arm_type`.
    pub fn of(meta: &Meta, arm_type: &str) -> Parent {
        let outside = matches!(
            meta.lifecycle,
            crate::model::Lifecycle::Existing | crate::model::Lifecycle::Read
        );
        let rg = meta
            .resource_group
            .known()
            .filter(|g| !g.contains('{'))
            .cloned();
        let name = meta.name.known().cloned();
        Parent::from_parts(meta.address(), name, arm_type, outside.then_some(rg))
    }

    /// A parent known only by its address (a resource id, or a template symbol with its
    /// declaration: `hub.fw (modules/hub.bicep:57)`).
    pub fn from_parts(
        address: &str,
        name: Option<String>,
        arm_type: &str,
        outside: Option<Option<String>>,
    ) -> Parent {
        if outside.is_none() {
            if let Some((symbol, file)) = declared_symbol(address) {
                return Parent {
                    symbol,
                    file,
                    existing: None,
                    outside,
                    address: address.to_string(),
                };
            }
        }
        let name = name
            .or_else(|| {
                address
                    .starts_with("/subscriptions/")
                    .then(|| address.rsplit('/').next().map(str::to_string))
                    .flatten()
            })
            .unwrap_or_else(|| format!("<name of {address}>"));
        Parent {
            symbol: ident(&name),
            file: None,
            existing: Some((arm_type.to_string(), name)),
            outside,
            address: address.to_string(),
        }
    }

    /// Where the snippet goes, for the help text: ` in modules/hub.bicep`, or the resource group
    /// it must be deployed to.
    pub fn placement(&self) -> String {
        match (&self.file, &self.outside) {
            (Some(f), _) => format!(" in {f}"),
            (None, Some(Some(rg))) => format!(
                " (a deployment to resource group {rg}, where {} is)",
                self.address
            ),
            (None, Some(None)) => {
                format!(" (a deployment to the resource group of {})", self.address)
            }
            (None, None) => String::new(),
        }
    }

    /// The `existing` declaration, when the snippet needs one.
    fn declare(&self, out: &mut String) {
        if let Some((t, name)) = &self.existing {
            let _ = writeln!(
                out,
                "resource {} '{t}@{NETWORK_API}' existing = {{\n  name: {}\n}}\n",
                self.symbol,
                bstr(name)
            );
        }
    }
}

/// The symbol a template resource's address names, and the file that declares it:
/// `hub.fw (modules/hub.bicep:57)` -> `fw` in `modules/hub.bicep`; a symbol of a loop
/// (`nsgs[0]`) cannot be a parent.
fn declared_symbol(address: &str) -> Option<(String, Option<String>)> {
    let (path, file) = match address.split_once(" (") {
        Some((p, rest)) => {
            let at = rest.strip_suffix(')')?;
            let file = at.rsplit_once(':').map_or(at, |(f, _)| f);
            if !file.ends_with(".bicep") {
                return None;
            }
            (p, Some(file.to_string()))
        }
        None => (address, None),
    };
    let symbol = path.rsplit('.').next()?;
    let ok = !symbol.is_empty()
        && symbol
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && symbol
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then(|| (symbol.to_string(), file))
}

// ------------------------------------------------------------------------------ NSG

/// One NSG allow rule of a fix.
#[derive(Debug, Clone)]
pub struct NsgRule {
    pub name: String,
    pub priority: u32,
    pub protocol: Protocol,
    /// The node subnet prefixes; `None`: not known (the rule uses `VirtualNetwork`).
    pub sources: Option<Vec<String>>,
    pub destination: String,
    pub ports: Vec<u16>,
}

fn nsg_properties(out: &mut String, indent: &str, r: &NsgRule) {
    let proto = match r.protocol {
        Protocol::Tcp => "Tcp",
        Protocol::Udp => "Udp",
    };
    let mut kv: Vec<(&str, String)> = vec![
        ("priority", r.priority.to_string()),
        ("direction", bstr("Outbound")),
        ("access", bstr("Allow")),
        ("protocol", bstr(proto)),
    ];
    match &r.sources {
        Some(s) => kv.push(("sourceAddressPrefixes", blist(s))),
        None => kv.push(("sourceAddressPrefix", bstr("VirtualNetwork"))),
    }
    kv.push(("sourcePortRange", bstr("*")));
    kv.push(("destinationAddressPrefix", bstr(&r.destination)));
    let ports: Vec<String> = r.ports.iter().map(u16::to_string).collect();
    if ports.len() == 1 {
        kv.push(("destinationPortRange", bstr(&ports[0])));
    } else {
        kv.push(("destinationPortRanges", blist(&ports)));
    }
    for (k, v) in kv {
        let _ = writeln!(out, "{indent}{k}: {v}");
    }
}

/// Security rules allowing the fix's flows in the NSG `parent`: child resources, or entries
/// of its `securityRules` array when the template writes its rules inline (`inline`).
pub fn nsg_rules(out: &mut String, parent: &Parent, inline: bool, rules: &[NsgRule]) {
    if inline {
        for r in rules {
            let _ = writeln!(out, "{{\n  name: {}\n  properties: {{", bstr(&r.name));
            nsg_properties(out, "    ", r);
            out.push_str("  }\n}\n");
        }
        return;
    }
    parent.declare(out);
    for (i, r) in rules.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "resource {} 'Microsoft.Network/networkSecurityGroups/securityRules@{NETWORK_API}' = {{\n  parent: {}\n  name: {}\n  properties: {{",
            ident(&r.name),
            parent.symbol,
            bstr(&r.name)
        );
        nsg_properties(out, "    ", r);
        out.push_str("  }\n}\n");
    }
}

// ------------------------------------------------------------------------- firewall

/// The host names of one application rule, one a line with the endpoint ids as comments.
fn fqdn_lines(out: &mut String, indent: &str, reqs: &[&Requirement]) {
    let mut seen: Vec<&str> = Vec::new();
    for r in reqs {
        if seen.contains(&r.host.as_str()) {
            continue;
        }
        seen.push(&r.host);
        let _ = writeln!(out, "{indent}{} // {}", bstr(&r.host), comment(&ids_of(r)));
    }
}

/// The policy given as the parameter `firewallPolicyName` (see
/// [`policy_variable_declaration`]).
pub fn policy_variable() -> Parent {
    Parent {
        symbol: "firewallPolicy".into(),
        file: None,
        existing: None,
        outside: None,
        address: "firewallPolicyName".into(),
    }
}

/// The parameter and `existing` declaration [`policy_variable`] refers to.
pub fn policy_variable_declaration(out: &mut String) {
    let _ = writeln!(
        out,
        "@description('Name of the Azure Firewall policy the AKS egress rules are added to')\nparam firewallPolicyName string\n\nresource firewallPolicy 'Microsoft.Network/firewallPolicies@{NETWORK_API}' existing = {{\n  name: firewallPolicyName\n}}\n"
    );
}

fn app_rule(
    out: &mut String,
    indent: &str,
    policy: bool,
    (proto, port, reqs): (&str, u16, &[&Requirement]),
    sources: &str,
) {
    let _ = writeln!(out, "{indent}{{");
    if policy {
        let _ = writeln!(out, "{indent}  ruleType: 'ApplicationRule'");
    }
    let _ = writeln!(
        out,
        "{indent}  name: {}\n{indent}  sourceAddresses: {}\n{indent}  targetFqdns: [",
        bstr(&format!("{}-{port}", proto.to_ascii_lowercase())),
        sources
    );
    fqdn_lines(out, &format!("{indent}    "), reqs);
    let _ = writeln!(
        out,
        "{indent}  ]\n{indent}  protocols: [{{ protocolType: {}, port: {port} }}]\n{indent}}}",
        bstr(proto)
    );
}

fn net_rule(
    out: &mut String,
    indent: &str,
    policy: bool,
    (r, d, name): (&Requirement, &NetDest, &str),
    sources: &str,
) {
    let _ = writeln!(
        out,
        "{indent}// {}",
        comment(&format!("{}: {}", ids_of(r), truncate(&r.purpose, 100)))
    );
    if matches!(d, NetDest::Fqdn(_)) {
        let _ = writeln!(
            out,
            "{indent}// FQDNs in network rules need DNS proxy enabled on the firewall"
        );
    }
    let _ = writeln!(out, "{indent}{{");
    let protocols = if policy { "ipProtocols" } else { "protocols" };
    if policy {
        let _ = writeln!(out, "{indent}  ruleType: 'NetworkRule'");
    }
    let dest = match d {
        NetDest::Addresses(a) => format!("destinationAddresses: {}", blist(a)),
        NetDest::Fqdn(h) => format!("destinationFqdns: {}", blist(&[h])),
    };
    let _ = writeln!(
        out,
        "{indent}  name: {}\n{indent}  {protocols}: {}\n{indent}  sourceAddresses: {}\n{indent}  {dest}\n{indent}  destinationPorts: {}\n{indent}}}",
        bstr(name),
        blist(&[proto_name(r.protocol)]),
        sources,
        blist(&[r.port.to_string()]),
    );
}

/// Firewall rules allowing the placed requirements from `sources` in `target`: a rule
/// collection group of the policy `parent` (a new child resource), or for classic rules the
/// entries of the firewall's `applicationRuleCollections` and `networkRuleCollections` arrays.
/// `slug` names what is new (`aks-egress-{slug}`); `sources` is a Bicep expression (an array).
pub(crate) fn firewall_rules(
    out: &mut String,
    target: &FirewallTarget,
    parent: &Parent,
    placed: &Placed<'_>,
    slug: &str,
    sources: &str,
) {
    if !placed.has_rules() {
        return;
    }
    let name = slug.replace('_', "-");
    match target {
        FirewallTarget::Classic {
            app_priority,
            net_priority,
            ..
        } => {
            if !placed.app.is_empty() {
                let _ = writeln!(
                    out,
                    "// add to properties.applicationRuleCollections of {}\n{{\n  name: {}\n  properties: {{\n    priority: {app_priority}\n    action: {{ type: 'Allow' }}\n    rules: [",
                    comment(&parent.address),
                    bstr(&format!("aks-egress-{name}-fqdns"))
                );
                for (proto, port, reqs) in &placed.app {
                    app_rule(
                        out,
                        "      ",
                        false,
                        (app_type(*proto), *port, reqs),
                        sources,
                    );
                }
                out.push_str("    ]\n  }\n}\n");
            }
            if !placed.net.is_empty() {
                if !placed.app.is_empty() {
                    out.push('\n');
                }
                let _ = writeln!(
                    out,
                    "// add to properties.networkRuleCollections of {}\n{{\n  name: {}\n  properties: {{\n    priority: {net_priority}\n    action: {{ type: 'Allow' }}\n    rules: [",
                    comment(&parent.address),
                    bstr(&format!("aks-egress-{name}-network"))
                );
                for ((r, d), rname) in placed.net.iter().zip(net_names(&placed.net)) {
                    net_rule(out, "      ", false, (r, d, &rname), sources);
                }
                out.push_str("    ]\n  }\n}\n");
            }
        }
        FirewallTarget::Policy {
            priority,
            groups_known,
            ..
        } => {
            if !groups_known {
                let _ = writeln!(
                    out,
                    "// The rule collection groups of {} are not in the inputs: check that \
                     priority {priority} is free in it.",
                    comment(&parent.address)
                );
            }
            policy_group(out, parent, *priority, placed, &name, sources);
        }
        FirewallTarget::PolicyVariable { priority } => {
            policy_group(out, &policy_variable(), *priority, placed, &name, sources);
        }
    }
}

fn policy_group(
    out: &mut String,
    parent: &Parent,
    priority: u32,
    placed: &Placed<'_>,
    name: &str,
    sources: &str,
) {
    parent.declare(out);
    let _ = writeln!(
        out,
        "resource {} 'Microsoft.Network/firewallPolicies/ruleCollectionGroups@{NETWORK_API}' = {{\n  parent: {}\n  name: {}\n  properties: {{\n    priority: {priority}\n    ruleCollections: [",
        ident(&format!("aks-egress-{name}")),
        parent.symbol,
        bstr(&format!("aks-egress-{name}")),
    );
    let collection = |out: &mut String, name: &str, priority: u32| {
        let _ = writeln!(
            out,
            "      {{\n        ruleCollectionType: 'FirewallPolicyFilterRuleCollection'\n        name: {}\n        priority: {priority}\n        action: {{ type: 'Allow' }}\n        rules: [",
            bstr(name)
        );
    };
    if !placed.app.is_empty() {
        collection(out, "aks-egress-fqdns", 100);
        for (proto, port, reqs) in &placed.app {
            app_rule(
                out,
                "          ",
                true,
                (app_type(*proto), *port, reqs),
                sources,
            );
        }
        out.push_str("        ]\n      }\n");
    }
    if !placed.net.is_empty() {
        collection(out, "aks-egress-network", 200);
        for ((r, d), rname) in placed.net.iter().zip(net_names(&placed.net)) {
            net_rule(out, "          ", true, (r, d, &rname), sources);
        }
        out.push_str("        ]\n      }\n");
    }
    out.push_str("    ]\n  }\n}\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_identifiers() {
        assert_eq!(bstr("it's ${x}\\"), "'it\\'s \\${x}\\\\'");
        assert_eq!(blist(&["a", "b"]), "['a', 'b']");
        assert_eq!(ident("nsg-aks-nodes"), "nsgAksNodes");
        assert_eq!(ident("allow-aks-egress-tcp-443"), "allowAksEgressTcp443");
        assert_eq!(ident("1fw"), "r1fw");
        assert_eq!(ident("--"), "res");
    }

    #[test]
    fn parents_are_named_by_their_declared_symbol_or_an_existing_declaration() {
        let p = Parent::from_parts("hub.fw (modules/hub.bicep:57)", None, "t", None);
        assert_eq!(
            (p.symbol.as_str(), p.file.as_deref(), p.existing.is_none()),
            ("fw", Some("modules/hub.bicep"), true)
        );
        let p = Parent::from_parts("nsg (main.bicep:14)", None, "t", None);
        assert_eq!(
            (p.symbol.as_str(), p.file.as_deref()),
            ("nsg", Some("main.bicep"))
        );
        // a loop element cannot be a parent; an id gives the name
        let id = "/subscriptions/s/resourceGroups/rg-hub/providers/Microsoft.Network/networkSecurityGroups/nsg-a";
        let p = Parent::from_parts(
            id,
            None,
            "Microsoft.Network/networkSecurityGroups",
            Some(Some("rg-hub".into())),
        );
        assert_eq!(p.symbol, "nsgA");
        assert_eq!(
            p.existing,
            Some((
                "Microsoft.Network/networkSecurityGroups".into(),
                "nsg-a".into()
            ))
        );
        assert!(p.placement().contains("resource group rg-hub"));
        let p = Parent::from_parts("nsgs[0] (main.bicep:3)", Some("n".into()), "t", None);
        assert_eq!(p.existing, Some(("t".into(), "n".into())));
    }
}
