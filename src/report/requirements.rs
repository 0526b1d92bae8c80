//! Renderings of cluster requirements (the `requirements` command): a text table, JSON, and
//! ready-to-paste Azure Firewall rules in Terraform or Bicep.

use super::bicep::{self, Parent};
use super::firewall_hcl::{self, FirewallTarget, Placed};
use crate::analysis::fixes::FixLanguage;
use crate::analysis::proxy::ProxyPlan;
use crate::eval::Destination;
use crate::eval::Protocol;
use crate::policy::Requirement;
use ipnet::IpNet;
use serde::Serialize;
use std::fmt::Write as _;

/// JSON schema identifier of [`to_json`].
pub const SCHEMA: &str = "aks-preflight/requirements/v1";

/// The requirements of one cluster, as passed to the renderers.
#[derive(Debug, Clone)]
pub struct ClusterRequirements {
    /// The cluster's address (Terraform address / resource id).
    pub address: String,
    pub requirements: Vec<Requirement>,
    /// Node subnet prefixes (firewall rule sources). `None`: not known, a Terraform variable is
    /// used instead.
    pub node_subnet_prefixes: Option<Vec<IpNet>>,
    /// With an HTTP proxy: what the nodes must reach (the proxy) and what the proxy must allow.
    pub proxy: Option<ProxyPlan>,
}

// ---------------------------------------------------------------- text

const PURPOSE_WIDTH: usize = 60;

/// A plain text table per cluster: host, protocol/port, required, condition, service tags,
/// purpose (truncated), followed by numbered notes.
pub fn render_text(clusters: &[ClusterRequirements]) -> String {
    let mut out = String::new();
    for (i, c) in clusters.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "{}", c.address);
        if c.requirements.is_empty() {
            out.push_str("  no egress endpoints required\n");
            continue;
        }
        let header = [
            "HOST",
            "PROTO/PORT",
            "REQUIRED",
            "CONDITION",
            "SERVICE TAGS",
            "PURPOSE",
        ];
        let mut notes: Vec<String> = Vec::new();
        let rows: Vec<[String; 6]> = c
            .requirements
            .iter()
            .map(|r| {
                let mut required = if r.required { "yes" } else { "no" }.to_string();
                if let Some(n) = &r.note {
                    notes.push(format!("{} ({}): {n}", r.host, r.endpoint_id));
                    let _ = write!(required, " [{}]", notes.len());
                }
                let mut condition = r.condition.clone();
                for a in &r.also_conditions {
                    condition.push_str(", ");
                    condition.push_str(a);
                }
                let tags = if r.service_tags.is_empty() {
                    "-".to_string()
                } else {
                    r.service_tags.join(", ")
                };
                let mut purpose = String::new();
                if r.uncertain {
                    purpose.push_str("[uncertain] ");
                }
                if r.from_user_config {
                    purpose.push_str("[config] ");
                }
                purpose.push_str(&r.purpose);
                [
                    r.host.clone(),
                    format!("{}/{}", r.protocol_str(), r.port),
                    required,
                    condition,
                    tags,
                    truncate(&purpose, PURPOSE_WIDTH),
                ]
            })
            .collect();
        let mut widths = header.map(|h| h.chars().count());
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row.iter()) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: &[&str]| {
            let mut l = String::from(" ");
            for (i, (cell, w)) in cells.iter().zip(widths.iter()).enumerate() {
                l.push(' ');
                l.push_str(cell);
                if i + 1 < cells.len() {
                    l.push_str(&" ".repeat(w - cell.chars().count() + 1));
                }
            }
            l.trim_end().to_string()
        };
        let _ = writeln!(out, "{}", line(&header));
        for row in &rows {
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            let _ = writeln!(out, "{}", line(&cells));
        }
        let required = c.requirements.iter().filter(|r| r.required).count();
        let _ = writeln!(
            out,
            "  {} endpoint(s): {} required, {} optional or undecided",
            c.requirements.len(),
            required,
            c.requirements.len() - required
        );
        if !notes.is_empty() {
            out.push_str("  notes:\n");
            for (i, n) in notes.iter().enumerate() {
                let _ = writeln!(out, "    [{}] {n}", i + 1);
            }
        }
        if let Some(p) = &c.proxy {
            render_proxy_text(&mut out, p);
        }
    }
    out
}

/// The proxy part of the text: what to allow to the proxy, what the proxy must allow.
fn render_proxy_text(out: &mut String, p: &ProxyPlan) {
    let _ = writeln!(
        out,
        "  HTTP proxy {}: allow TCP from the node subnets to it (the `proxy` rows above).",
        p.proxies.join(", ")
    );
    if !p.through_proxy.is_empty() {
        out.push_str("  the proxy must let through:\n");
        for e in &p.through_proxy {
            let _ = writeln!(out, "    {e}");
        }
    }
    if !p.either.is_empty() {
        out.push_str("  through the proxy or straight (allow both ways):\n");
        for (e, why) in &p.either {
            let _ = writeln!(out, "    {e} ({why})");
        }
    }
    if !p.bypass.is_empty() {
        out.push_str("  straight, not through the proxy:\n");
        for (e, why) in &p.bypass {
            let _ = writeln!(out, "    {e} ({why})");
        }
    }
}

pub(super) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

// ---------------------------------------------------------------- JSON

#[derive(Serialize)]
struct JsonDoc<'a> {
    schema: &'static str,
    clusters: Vec<JsonCluster<'a>>,
}

#[derive(Serialize)]
struct JsonCluster<'a> {
    address: &'a str,
    node_subnet_prefixes: Option<&'a [IpNet]>,
    requirements: Vec<JsonRequirement<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    proxy: Option<&'a ProxyPlan>,
}

#[derive(Serialize)]
struct JsonRequirement<'a> {
    id: &'a str,
    host: &'a str,
    /// `https`, `http`, `tcp` or `udp`.
    protocol: &'static str,
    /// `tcp` or `udp`.
    transport: Protocol,
    port: u16,
    required: bool,
    condition: &'a str,
    also_ids: &'a [String],
    also_conditions: &'a [String],
    service_tags: &'a [String],
    destination: Option<&'a Destination>,
    within: Option<&'a [IpNet]>,
    unresolved: &'a [String],
    purpose: &'a str,
    source: &'a str,
    uncertain: bool,
    from_user_config: bool,
    note: Option<&'a str>,
    failure: Option<&'a crate::policy::FailureSpec>,
}

/// The JSON document (`{"schema": "aks-preflight/requirements/v1", "clusters": [...]}`).
pub fn to_json(clusters: &[ClusterRequirements]) -> serde_json::Value {
    serde_json::to_value(doc(clusters)).unwrap_or(serde_json::Value::Null)
}

/// [`to_json`], pretty-printed (fields in schema order) with a trailing newline.
pub fn render_json(clusters: &[ClusterRequirements]) -> String {
    let mut s = serde_json::to_string_pretty(&doc(clusters)).unwrap_or_default();
    s.push('\n');
    s
}

fn doc(clusters: &[ClusterRequirements]) -> JsonDoc<'_> {
    JsonDoc {
        schema: SCHEMA,
        clusters: clusters
            .iter()
            .map(|c| JsonCluster {
                address: &c.address,
                node_subnet_prefixes: c.node_subnet_prefixes.as_deref(),
                requirements: c
                    .requirements
                    .iter()
                    .map(|r| JsonRequirement {
                        id: &r.endpoint_id,
                        host: &r.host,
                        protocol: r.protocol_str(),
                        transport: r.protocol,
                        port: r.port,
                        required: r.required,
                        condition: &r.condition,
                        also_ids: &r.also_ids,
                        also_conditions: &r.also_conditions,
                        service_tags: &r.service_tags,
                        destination: r.destination.as_ref(),
                        within: r.within.known().map(Vec::as_slice),
                        unresolved: &r.unresolved,
                        purpose: &r.purpose,
                        source: &r.source,
                        uncertain: r.uncertain,
                        from_user_config: r.from_user_config,
                        note: r.note.as_deref(),
                        failure: r.failure.as_ref(),
                    })
                    .collect(),
                proxy: c.proxy.as_ref(),
            })
            .collect(),
    }
}

// ---------------------------------------------------------------- Terraform

/// Terraform for an Azure Firewall policy: one `azurerm_firewall_policy_rule_collection_group`
/// per cluster, with an application rule collection for the required HTTP(S) host names and a
/// network rule collection for the other required flows, for a policy given as a variable.
/// Optional, undecided and unrenderable requirements are listed in comments.
pub fn render_terraform(clusters: &[ClusterRequirements]) -> String {
    let targets: Vec<FirewallTarget> = (0..clusters.len())
        .map(|i| FirewallTarget::PolicyVariable {
            priority: 500 + 10 * i as u32,
        })
        .collect();
    render_terraform_for(clusters, &targets)
}

/// [`render_terraform`] with the rules of each cluster placed in `targets[i]`: the firewall the
/// cluster's egress goes through, in the form it uses (its policy, or classic rule collections).
pub fn render_terraform_for(
    clusters: &[ClusterRequirements],
    targets: &[FirewallTarget],
) -> String {
    let targets: Vec<(FirewallTarget, Option<Parent>)> =
        targets.iter().map(|t| (t.clone(), None)).collect();
    render_rules(clusters, &targets, FixLanguage::Terraform)
}

/// The Bicep twin of [`render_terraform_for`]: each cluster's rules in `targets[i]`, a child of
/// the policy (or entries of the classic firewall) named by its `Parent`.
pub fn render_bicep_for(
    clusters: &[ClusterRequirements],
    targets: &[(FirewallTarget, Parent)],
) -> String {
    let targets: Vec<(FirewallTarget, Option<Parent>)> = targets
        .iter()
        .map(|(t, p)| (t.clone(), Some(p.clone())))
        .collect();
    render_rules(clusters, &targets, FixLanguage::Bicep)
}

/// How a language writes what the rules need besides themselves.
struct Lang(FixLanguage);

impl Lang {
    /// The comment marker.
    fn c(&self) -> &'static str {
        match self.0 {
            FixLanguage::Terraform => "#",
            FixLanguage::Bicep => "//",
        }
    }
    fn list(&self, items: Vec<String>) -> String {
        match self.0 {
            FixLanguage::Terraform => hcl_list(items.into_iter()),
            FixLanguage::Bicep => bicep::blist(&items),
        }
    }
    /// Declare a list-of-strings input and return the expression that reads it.
    fn list_input(&self, out: &mut String, name: &str, description: &str) -> String {
        match self.0 {
            FixLanguage::Terraform => {
                let _ = write!(
                    out,
                    "\nvariable \"{name}\" {{\n  description = {}\n  type        = list(string)\n}}\n",
                    hcl_str(description)
                );
                format!("var.{name}")
            }
            FixLanguage::Bicep => {
                let name = bicep::ident(name);
                let _ = write!(
                    out,
                    "\n@description({})\nparam {name} array\n",
                    bicep::bstr(description)
                );
                name
            }
        }
    }
}

fn render_rules(
    clusters: &[ClusterRequirements],
    targets: &[(FirewallTarget, Option<Parent>)],
    lang: FixLanguage,
) -> String {
    let l = Lang(lang);
    let c = l.c();
    let mut out = String::new();
    let _ = write!(
        out,
        "{c} Azure Firewall egress allowlist for AKS nodes, generated by aks-preflight.\n\
         {c} Review before use: it allows what the clusters below need, nothing else.\n",
    );
    let target = |i: usize| {
        targets.get(i).cloned().unwrap_or((
            FirewallTarget::PolicyVariable {
                priority: 500 + 10 * i as u32,
            },
            None,
        ))
    };
    let needs_var =
        (0..clusters.len()).any(|i| matches!(target(i).0, FirewallTarget::PolicyVariable { .. }));
    if needs_var {
        match lang {
            FixLanguage::Terraform => out.push_str(
                "\nvariable \"firewall_policy_id\" {\n  \
                 description = \"ID of the Azure Firewall policy the AKS egress rules are added to\"\n  \
                 type        = string\n}\n",
            ),
            FixLanguage::Bicep => out.push_str(
                "\n@description('Name of the Azure Firewall policy the AKS egress rules are added to')\n\
                 param firewallPolicyName string\n\n\
                 resource firewallPolicy 'Microsoft.Network/firewallPolicies@2024-05-01' existing = {\n  \
                 name: firewallPolicyName\n}\n",
            ),
        }
    }
    let mut slugs: Vec<String> = Vec::new();
    for (i, cl) in clusters.iter().enumerate() {
        let mut slug = slug(&cl.address);
        let base = slug.clone();
        let mut n = 2;
        while slugs.contains(&slug) {
            slug = format!("{base}_{n}");
            n += 1;
        }
        slugs.push(slug.clone());
        let sources = match &cl.node_subnet_prefixes {
            Some(p) if !p.is_empty() => l.list(p.iter().map(|n| n.to_string()).collect()),
            _ => {
                let var = if clusters.len() == 1 {
                    "node_subnet_prefixes".to_string()
                } else {
                    format!("node_subnet_prefixes_{slug}")
                };
                l.list_input(
                    &mut out,
                    &var,
                    &format!("Address prefixes of the node subnets of {}", cl.address),
                )
            }
        };
        out.push('\n');
        let t = target(i);
        match &cl.proxy {
            None => render_group(&mut out, cl, &t, &slug, &sources, &l),
            Some(p) => render_with_proxy(&mut out, cl, p, &t, &slug, &sources, &l),
        }
    }
    out
}

/// With a proxy: the node subnets need the proxy and what bypasses it; what goes through the
/// proxy is allowed from the proxy's address, in a group of its own (for a proxy whose egress
/// passes this firewall). What may go either way is in both.
fn render_with_proxy(
    out: &mut String,
    c: &ClusterRequirements,
    p: &ProxyPlan,
    (target, parent): &(FirewallTarget, Option<Parent>),
    slug: &str,
    sources: &str,
    l: &Lang,
) {
    let through = |r: &Requirement| p.through_proxy.contains(&r.describe());
    let either = |r: &Requirement| p.either.iter().any(|(e, _)| *e == r.describe());
    let subset = |keep: &dyn Fn(&Requirement) -> bool| ClusterRequirements {
        address: c.address.clone(),
        requirements: c.requirements.iter().filter(|r| keep(r)).cloned().collect(),
        node_subnet_prefixes: c.node_subnet_prefixes.clone(),
        proxy: None,
    };
    render_group(
        out,
        &subset(&|r| !through(r)),
        &(target.clone(), parent.clone()),
        slug,
        sources,
        l,
    );
    let proxied = subset(&|r| through(r) || either(r));
    if proxied.requirements.is_empty() {
        return;
    }
    // the proxy's rules come right after the nodes' ones
    let next = target.clone().then_next();
    let ips: Vec<String> = c
        .requirements
        .iter()
        .filter(|r| r.condition == "http-proxy")
        .filter_map(|r| match &r.destination {
            Some(Destination::Ip(ip)) => Some(ip.to_string()),
            _ => None,
        })
        .collect();
    let cm = l.c();
    let _ = writeln!(
        out,
        "\n{cm} Through the HTTP proxy {}: the proxy must allow these; if its egress passes this\n\
         {cm} firewall, the firewall must allow them from the proxy's address.",
        comment(&p.proxies.join(", "))
    );
    let next = (next, parent.clone());
    if ips.is_empty() {
        let _ = writeln!(
            out,
            "{cm} The proxy's address is not known (a host name): set proxy_source_addresses."
        );
        let sources = l.list_input(
            out,
            &format!("proxy_source_addresses_{slug}"),
            "Addresses the HTTP proxy connects from",
        );
        render_group(
            out,
            &proxied,
            &next,
            &format!("{slug}_via_proxy"),
            &sources,
            l,
        );
    } else {
        render_group(
            out,
            &proxied,
            &next,
            &format!("{slug}_via_proxy"),
            &l.list(ips),
            l,
        );
    }
}

fn render_group(
    out: &mut String,
    c: &ClusterRequirements,
    (target, parent): &(FirewallTarget, Option<Parent>),
    slug: &str,
    sources: &str,
    l: &Lang,
) {
    let placed = Placed::new(c.requirements.iter().filter(|r| r.required));
    let optional: Vec<&Requirement> = c.requirements.iter().filter(|r| !r.required).collect();
    let cm = l.c();
    let (tag_rule, target_fqdns) = match l.0 {
        FixLanguage::Terraform => (
            "destination_fqdn_tags = [\"AzureKubernetesService\"]",
            "target_fqdns",
        ),
        FixLanguage::Bicep => ("fqdnTags: ['AzureKubernetesService']", "targetFqdns"),
    };

    let _ = writeln!(out, "{cm} Cluster {}", comment(&c.address));
    if !placed.app.is_empty() {
        let _ = write!(
            out,
            "{cm} Alternative to the host names in the application rules: a rule with\n\
             {cm}   {tag_rule}\n\
             {cm} on Http:80 and Https:443 covers the AKS core host names (Microsoft maintains the tag);\n\
             {cm} add-on, region-specific and user endpoints may still need their own rules.\n",
        );
    }
    if let FirewallTarget::Classic {
        extend: Some(e), ..
    } = target
    {
        let _ = writeln!(
            out,
            "{cm} The firewall uses classic rule collections; the host names can also be added to\n\
             {cm} {target_fqdns} of {}.",
            comment(e)
        );
    }
    if !placed.has_rules() {
        let _ = writeln!(
            out,
            "{cm} No firewall rule is needed for the required endpoints of this cluster."
        );
    } else {
        match (l.0, parent) {
            (FixLanguage::Bicep, Some(p)) => {
                bicep::firewall_rules(out, target, p, &placed, slug, sources)
            }
            (FixLanguage::Bicep, None) => bicep::firewall_rules(
                out,
                &FirewallTarget::PolicyVariable { priority: 500 },
                &bicep::policy_variable(),
                &placed,
                slug,
                sources,
            ),
            (FixLanguage::Terraform, _) => {
                firewall_hcl::resources(out, target, &placed, slug, sources)
            }
        }
    }

    if !placed.in_vnet.is_empty() {
        let _ = write!(
            out,
            "{cm} In-VNet destinations (allow them in NSGs; they pass this firewall only if a route sends\n\
             {cm} VNet traffic there):\n",
        );
        for (r, p) in &placed.in_vnet {
            let prefixes: Vec<String> = p.iter().map(|n| n.to_string()).collect();
            let _ = writeln!(
                out,
                "{cm}   {} -> {}:{}/{}{}",
                r.endpoint_id,
                prefixes.join(", "),
                r.port,
                r.protocol_str(),
                r.note
                    .as_deref()
                    .map(|n| format!(" ({})", comment(n)))
                    .unwrap_or_default()
            );
        }
    }
    if !placed.skipped.is_empty() {
        let _ = writeln!(out, "{cm} Required but not rendered:");
        for (r, why) in &placed.skipped {
            let _ = writeln!(
                out,
                "{cm}   {} {}: {}",
                r.endpoint_id,
                comment(&r.describe()),
                comment(why)
            );
        }
    }
    if !optional.is_empty() {
        let _ = writeln!(out, "{cm} Optional or undecided (not in the rules above):");
        for r in &optional {
            let why = match &r.note {
                Some(n) => n.clone(),
                None => format!("optional ({})", r.condition),
            };
            let _ = writeln!(
                out,
                "{cm}   {} {}: {}",
                r.endpoint_id,
                comment(&r.describe()),
                comment(&why)
            );
        }
    }
}

/// Attributes with their `=` aligned, as `terraform fmt` does.
pub(super) fn attrs(out: &mut String, indent: &str, kv: &[(&str, String)]) {
    let w = kv.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in kv {
        let _ = writeln!(out, "{indent}{k:<w$} = {v}");
    }
}

pub(super) fn ids_of(r: &Requirement) -> String {
    let mut s = r.endpoint_id.clone();
    for a in &r.also_ids {
        s.push_str(", ");
        s.push_str(a);
    }
    s
}

/// Rule name: endpoint id plus the host for per-server rows (`public.custom-dns-udp-10.1.0.4`),
/// restricted to the characters Azure accepts.
pub(super) fn rule_name(r: &Requirement) -> String {
    let mut name = r.endpoint_id.clone();
    if r.condition == "custom-dns" {
        name.push('-');
        name.push_str(&r.host);
    }
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = cleaned.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if trimmed.is_empty() {
        "rule".into()
    } else {
        trimmed.to_string()
    }
}

/// A Terraform identifier from a cluster address:
/// `module.aks.azurerm_kubernetes_cluster.this["blue"]` -> `module_aks_this_blue`.
fn slug(address: &str) -> String {
    // a template resource's address names its declaration: `aks (main.bicep:126)`
    let address = address.split(" (").next().unwrap_or(address);
    let a = address.replace("azurerm_kubernetes_cluster.", "");
    let mut s = String::new();
    for c in a.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('_') {
            s.push('_');
        }
    }
    let s = s.trim_matches('_').to_string();
    match s.chars().next() {
        None => "cluster".into(),
        Some(c) if c.is_ascii_digit() => format!("c_{s}"),
        Some(_) => s,
    }
}

/// A quoted HCL string (template sequences escaped).
pub(crate) fn hcl_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                o.push(c);
                o.push(c);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

pub(crate) fn hcl_list(items: impl Iterator<Item = String>) -> String {
    let v: Vec<String> = items.map(|s| hcl_str(&s)).collect();
    format!("[{}]", v.join(", "))
}

/// Text safe inside a `#` comment (one line).
pub(super) fn comment(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Cloud, IpValue, Known};
    use crate::policy::{Catalogue, ClusterFacts, Config, requirements};
    use crate::source::Origin;

    fn cluster(f: ClusterFacts, prefixes: Option<Vec<IpNet>>) -> ClusterRequirements {
        let cat = Catalogue::builtin().expect("builtin");
        let cfg = Config::parse(
            "aks-preflight.toml",
            "[[endpoint]]\ndestination = \"myacr.azurecr.io\"\nprotocol = \"https\"\nport = 443\npurpose = \"app images\"\n",
        )
        .expect("cfg");
        ClusterRequirements {
            address: f.address.clone(),
            requirements: requirements(cat, &cfg, &f),
            node_subnet_prefixes: prefixes,
            proxy: None,
        }
    }

    fn public() -> ClusterFacts {
        let mut f = ClusterFacts::new("azurerm_kubernetes_cluster.aks");
        f.region = Some("westeurope".into());
        f.features = vec!["addon:monitoring".into()];
        f.custom_dns_servers = vec![IpValue {
            ip: Known::Known("10.1.0.4".parse().expect("ip")),
            symbol: None,
            origin: Origin::none(),
        }];
        f
    }

    fn private_unknown_region() -> ClusterFacts {
        let mut f = ClusterFacts::new("module.aks.azurerm_kubernetes_cluster.this[\"blue\"]");
        f.private_cluster = Known::Known(true);
        f.first_pool_subnet_prefixes = Known::Known(vec!["10.2.0.0/22".parse().expect("net")]);
        f.cloud = Cloud::Public;
        f
    }

    #[test]
    fn text_table() {
        let t = render_text(&[cluster(public(), None)]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "azurerm_kubernetes_cluster.aks");
        assert!(lines[1].starts_with("  HOST "), "{}", lines[1]);
        for col in [
            "PROTO/PORT",
            "REQUIRED",
            "CONDITION",
            "SERVICE TAGS",
            "PURPOSE",
        ] {
            assert!(lines[1].contains(col));
        }
        let mcr = lines
            .iter()
            .find(|l| l.trim_start().starts_with("mcr.microsoft.com "))
            .expect("mcr row");
        assert!(mcr.contains("https/443"));
        assert!(mcr.contains(" yes "));
        assert!(mcr.contains("MicrosoftContainerRegistry, AzureFrontDoor.FirstParty"));
        // columns line up: every row has PROTO/PORT at the same character offset
        let col = lines[1].find("PROTO/PORT").expect("col");
        assert_eq!(mcr.chars().take(col).count(), col);
        assert_eq!(&mcr[col..col + 9], "https/443");
        let dns = lines
            .iter()
            .find(|l| l.contains("10.1.0.4 "))
            .expect("dns row");
        assert!(dns.contains("udp/53"));
        let acr = lines
            .iter()
            .find(|l| l.contains("myacr.azurecr.io"))
            .expect("acr");
        assert!(acr.contains("[config] app images"));
        // purpose is truncated
        assert!(t.lines().all(|l| {
            l.split("  ")
                .last()
                .map(|p| p.chars().count() <= PURPOSE_WIDTH + 2)
                .unwrap_or(true)
        }));
        assert!(t.contains('…'));
        assert!(t.contains("endpoint(s):"));

        let t = render_text(&[cluster(private_unknown_region(), None)]);
        assert!(t.contains("<apiserver-private-endpoint-ip>"));
        assert!(t.contains("notes:"));
        assert!(t.contains(
            "[1] <apiserver-private-endpoint-ip> (all.apiserver-private-endpoint): AKS allocates"
        ));
    }

    #[test]
    fn json_document() {
        let v = to_json(&[
            cluster(public(), Some(vec!["10.0.0.0/22".parse().expect("net")])),
            cluster(private_unknown_region(), None),
        ]);
        assert_eq!(v["schema"], SCHEMA);
        let c0 = &v["clusters"][0];
        assert_eq!(c0["address"], "azurerm_kubernetes_cluster.aks");
        assert_eq!(c0["node_subnet_prefixes"][0], "10.0.0.0/22");
        let reqs = c0["requirements"].as_array().expect("array");
        let mcr = reqs.iter().find(|r| r["id"] == "public.mcr").expect("mcr");
        assert_eq!(mcr["host"], "mcr.microsoft.com");
        assert_eq!(mcr["protocol"], "https");
        assert_eq!(mcr["transport"], "tcp");
        assert_eq!(mcr["port"], 443);
        assert_eq!(mcr["required"], true);
        assert_eq!(mcr["destination"]["kind"], "host");
        assert_eq!(mcr["failure"]["exit_code"], 50);
        assert_eq!(mcr["failure"]["error"], "VMExtensionError_OutboundConnFail");
        let tag = reqs
            .iter()
            .find(|r| r["id"] == "public.monitor-tag")
            .expect("tag");
        assert_eq!(tag["destination"]["kind"], "tag");
        assert_eq!(tag["destination"]["value"], "AzureMonitor");
        let c1 = &v["clusters"][1];
        assert!(c1["node_subnet_prefixes"].is_null());
        let pe = c1["requirements"]
            .as_array()
            .expect("array")
            .iter()
            .find(|r| r["id"] == "all.apiserver-private-endpoint")
            .expect("pe");
        assert!(pe["destination"].is_null());
        assert_eq!(pe["within"][0], "10.2.0.0/22");
        assert_eq!(pe["unresolved"][0], "<apiserver-private-endpoint-ip>");
        let s = render_json(&[]);
        assert!(s.ends_with("}\n"));
        let back: serde_json::Value = serde_json::from_str(&s).expect("valid json");
        assert_eq!(back["clusters"].as_array().map(Vec::len), Some(0));
    }

    fn blocks<'a>(body: &'a hcl::Body, ident: &str) -> Vec<&'a hcl::Block> {
        body.blocks().filter(|b| b.identifier() == ident).collect()
    }

    fn attr<'a>(body: &'a hcl::Body, key: &str) -> Option<&'a hcl::Expression> {
        body.attributes().find(|a| a.key() == key).map(|a| a.expr())
    }

    fn strings(e: Option<&hcl::Expression>) -> Vec<String> {
        match e {
            Some(hcl::Expression::Array(a)) => a
                .iter()
                .filter_map(|x| match x {
                    hcl::Expression::String(s) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
            _ => vec![],
        }
    }

    #[test]
    fn terraform_is_valid_hcl_with_expected_rules() {
        let tf = render_terraform(&[cluster(
            public(),
            Some(vec!["10.0.0.0/22".parse().expect("net")]),
        )]);
        let body: hcl::Body = hcl::parse(&tf).unwrap_or_else(|e| panic!("invalid HCL: {e}\n{tf}"));
        assert_eq!(
            blocks(&body, "variable").len(),
            1,
            "only firewall_policy_id"
        );
        let res = blocks(&body, "resource");
        assert_eq!(res.len(), 1);
        let labels: Vec<&str> = res[0].labels().iter().map(|l| l.as_str()).collect();
        assert_eq!(
            labels,
            vec![
                "azurerm_firewall_policy_rule_collection_group",
                "aks_egress_aks"
            ]
        );
        let rb = res[0].body();
        let apps = blocks(rb, "application_rule_collection");
        assert_eq!(apps.len(), 1);
        let rules = blocks(apps[0].body(), "rule");
        assert_eq!(rules.len(), 1, "all required FQDNs are https/443");
        let fqdns = strings(attr(rules[0].body(), "destination_fqdns"));
        for h in [
            "*.hcp.westeurope.azmk8s.io",
            "mcr.microsoft.com",
            "*.data.mcr.microsoft.com",
            "packages.aks.azure.com",
            "westeurope.handler.control.monitor.azure.com",
            "myacr.azurecr.io",
        ] {
            assert!(fqdns.contains(&h.to_string()), "{h} missing from {fqdns:?}");
        }
        // optional rows are not in the rules
        assert!(!fqdns.contains(&"acs-mirror.azureedge.net".to_string()));
        assert!(tf.contains(
            "#   public.acs-mirror acs-mirror.azureedge.net:443/https: optional (legacy-fallback)"
        ));
        assert_eq!(
            strings(attr(rules[0].body(), "source_addresses")),
            vec!["10.0.0.0/22"]
        );
        assert!(tf.contains("AzureKubernetesService"));

        let nets = blocks(rb, "network_rule_collection");
        assert_eq!(nets.len(), 1);
        let nrules = blocks(nets[0].body(), "rule");
        let summary: Vec<(Vec<String>, Vec<String>, Vec<String>)> = nrules
            .iter()
            .map(|r| {
                (
                    strings(attr(r.body(), "protocols")),
                    strings(attr(r.body(), "destination_addresses")),
                    strings(attr(r.body(), "destination_ports")),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    vec!["UDP".into()],
                    vec!["10.1.0.4".into()],
                    vec!["53".into()]
                ),
                (
                    vec!["TCP".into()],
                    vec!["10.1.0.4".into()],
                    vec!["53".into()]
                ),
                (
                    vec!["TCP".into()],
                    vec!["AzureMonitor".into()],
                    vec!["443".into()]
                ),
            ]
        );
        let names: Vec<String> = nrules
            .iter()
            .filter_map(|r| match attr(r.body(), "name") {
                Some(hcl::Expression::String(s)) => Some(s.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(
            names,
            vec![
                "public.custom-dns-udp-10.1.0.4",
                "public.custom-dns-tcp-10.1.0.4",
                "public.monitor-tag"
            ]
        );
    }

    #[test]
    fn terraform_placeholders_and_in_vnet_rows() {
        let mut china = private_unknown_region();
        china.address = "azurerm_kubernetes_cluster.cn".into();
        china.cloud = Cloud::China;
        china.private_cluster = Known::Known(false);
        china.region = Some("chinanorth3".into());
        let tf = render_terraform(&[
            cluster(private_unknown_region(), None),
            cluster(china, None),
        ]);
        let body: hcl::Body = hcl::parse(&tf).unwrap_or_else(|e| panic!("invalid HCL: {e}\n{tf}"));
        let vars: Vec<String> = blocks(&body, "variable")
            .iter()
            .map(|b| b.labels()[0].as_str().to_string())
            .collect();
        assert_eq!(
            vars,
            vec![
                "firewall_policy_id",
                "node_subnet_prefixes_module_aks_this_blue",
                "node_subnet_prefixes_cn"
            ]
        );
        let res = blocks(&body, "resource");
        assert_eq!(res.len(), 2);
        let prio: Vec<String> = res
            .iter()
            .map(|r| format!("{:?}", attr(r.body(), "priority")))
            .collect();
        assert_ne!(prio[0], prio[1], "group priorities differ");
        // the private cluster's private endpoint is an in-VNet comment, not a rule
        assert!(tf.contains("#   all.apiserver-private-endpoint -> 10.2.0.0/22:443/tcp"));
        assert!(tf.contains("source_addresses  = var.node_subnet_prefixes_module_aks_this_blue"));
        // China public cluster: `*` tunnel rows become network rules to AzureCloud.chinanorth3
        let cn = res[1].body();
        let nrules = blocks(blocks(cn, "network_rule_collection")[0].body(), "rule");
        let dests: Vec<Vec<String>> = nrules
            .iter()
            .map(|r| strings(attr(r.body(), "destination_addresses")))
            .collect();
        assert!(dests.contains(&vec!["AzureCloud.chinanorth3".to_string()]));
        // ntp.ubuntu.com (UDP 123, China `always`) is a network FQDN rule
        let fq: Vec<Vec<String>> = nrules
            .iter()
            .map(|r| strings(attr(r.body(), "destination_fqdns")))
            .collect();
        assert!(fq.contains(&vec!["ntp.ubuntu.com".to_string()]));
        assert!(tf.contains("need DNS proxy"));

        // unknown region: the hcp row cannot be rendered and says why
        let mut f = ClusterFacts::new("azurerm_kubernetes_cluster.x");
        f.region = None;
        let tf = render_terraform(&[cluster(f, Some(vec!["10.0.0.0/24".parse().expect("net")]))]);
        hcl::parse(&tf).unwrap_or_else(|e| panic!("invalid HCL: {e}\n{tf}"));
        assert!(tf.contains("# Required but not rendered:"));
        assert!(tf.contains(
            "public.hcp *.hcp.<region>.azmk8s.io:443/https: the cluster region is unknown"
        ));
        assert!(tf.contains("source_addresses  = [\"10.0.0.0/24\"]"));
    }

    #[test]
    fn helpers() {
        assert_eq!(
            slug("module.aks.azurerm_kubernetes_cluster.this[\"blue\"]"),
            "module_aks_this_blue"
        );
        assert_eq!(slug("azurerm_kubernetes_cluster.main"), "main");
        assert_eq!(slug("/subscriptions/1/x"), "subscriptions_1_x");
        assert_eq!(slug("---"), "cluster");
        assert_eq!(hcl_str("a\"b${c}%{d}\\"), "\"a\\\"b$${c}%%{d}\\\\\"");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
        assert_eq!(comment("a\nb"), "a b");
    }
}
