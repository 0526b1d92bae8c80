//! Analyses: rules that ask the evaluators questions and turn the answers into findings.
//!
//! *Invariant:* no input-format knowledge (only the model) and no output-format knowledge (only
//! [`Finding`]s and the format-independent [`Report`]).

pub mod aks_managed;
pub mod authorized;
pub mod cloud;
pub mod counterfactual;
pub mod dns;
pub mod egress;
pub mod firewall;
pub mod fixes;
pub mod hygiene;
pub mod outbound;
pub mod pools;
pub mod private;
pub mod proxy;
pub mod registry;

use crate::model::{Cloud, Model};
use crate::policy::catalogue::Catalogue;
use crate::policy::config::Config;
use crate::report::{Finding, Report};

/// Options of a check run.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Force the cloud instead of inferring it from the cluster region.
    pub cloud: Option<Cloud>,
    /// The language of fix snippets: the one the inputs are written in.
    pub fix_language: fixes::FixLanguage,
}

/// Everything an analysis can read.
pub struct Ctx<'a> {
    pub model: &'a Model,
    pub catalogue: &'a Catalogue,
    pub config: &'a Config,
    pub options: &'a CheckOptions,
}

/// Run every analysis over the model.
pub fn check(
    model: &Model,
    catalogue: &Catalogue,
    config: &Config,
    options: &CheckOptions,
) -> Report {
    let ctx = Ctx {
        model,
        catalogue,
        config,
        options,
    };
    let mut report = Report::default();
    for note in &model.input_notes {
        let sev = registry::severity(note.code);
        report
            .findings
            .push(Finding::new(note.code, sev, note.message.clone()).primary(&note.origin, "here"));
    }
    if model.clusters.is_empty() {
        report.findings.push(
            Finding::new("INP008", registry::severity("INP008"), format!("the inputs contain no AKS cluster (azurerm_kubernetes_cluster): nothing to check ({})", inventory(model)))
                .help("pass the plan of the configuration that creates the cluster: terraform plan -out tfplan && terraform show -json tfplan > plan.json"),
        );
    }
    // Clusters are independent: analysed in parallel (rayon), each into its own findings,
    // then joined in the model's cluster order, so the report is the same on any number of
    // threads. Derived data the evaluators share (a firewall's prepared rule set) is built
    // once behind the model's lock (`Model::derived`).
    // The binary builds rayon's global pool with its main thread as worker 0 (src/main.rs): on
    // one core no other thread is spawned, on two one.
    use rayon::prelude::*;
    let per_cluster: Vec<_> = model
        .clusters
        .par_iter()
        .map(|cluster| {
            let mut findings = vec![];
            cloud::check(&ctx, cluster, &mut findings);
            outbound::check(&ctx, cluster, &mut findings);
            let cr = egress::check(&ctx, cluster, &mut findings);
            dns::check(&ctx, cluster, &mut findings);
            private::check(&ctx, cluster, &mut findings);
            aks_managed::check(&ctx, cluster, &mut findings);
            authorized::check(&ctx, cluster, &mut findings);
            pools::check(&ctx, cluster, &mut findings);
            (findings, cr)
        })
        .collect();
    for (findings, cr) in per_cluster {
        report.findings.extend(findings);
        report.clusters.push(cr);
    }
    hygiene::check(&ctx, &mut report.findings);
    firewall::check(&ctx, &firewalls_in_use(model), &mut report.findings);
    suppress_consequences(&mut report.findings);
    report.sort();
    report
}

/// Keys of the firewalls some node pool depends on: a next hop of a node subnet's route table,
/// or a DNS server of a node VNet.
pub fn firewalls_in_use(model: &Model) -> Vec<String> {
    let mut used = vec![];
    let mut add = |fw: Option<&crate::model::Firewall>| {
        if let Some(f) = fw {
            if !used.contains(&f.meta.key) {
                used.push(f.meta.key.clone());
            }
        }
    };
    let by_value = |v: &crate::model::IpValue| firewall_at(model, v);
    for s in node_subnets(model) {
        if let Some(rt) = s.route_table.known().and_then(|r| model.route_table(r)) {
            for route in rt.routes.known().into_iter().flatten() {
                if let Some(v) = &route.next_hop_ip {
                    add(by_value(v));
                }
            }
        }
        if let Some(v) = model.subnet_vnet(s) {
            for d in v.dns_servers.known().into_iter().flatten() {
                add(by_value(d));
            }
        }
    }
    used
}

/// The Azure Firewall an address designates (its private IP, by symbol or by value).
pub fn firewall_at<'m>(
    model: &'m Model,
    v: &crate::model::IpValue,
) -> Option<&'m crate::model::Firewall> {
    use crate::model::{IpSymbol, Known};
    match (&v.symbol, &v.ip) {
        (Some(IpSymbol::FirewallPrivateIp(r)), _) => model.firewall(r),
        (_, Known::Known(ip)) => model
            .firewalls
            .iter()
            .find(|f| f.private_ip.known() == Some(ip)),
        _ => None,
    }
}

/// The resolved subnets of every node pool of every cluster (a subnet shared by pools comes
/// once per pool).
pub fn node_subnets(model: &Model) -> impl Iterator<Item = &crate::model::Subnet> {
    model
        .clusters
        .iter()
        .flat_map(|c| &c.node_pools)
        .filter_map(|p| p.subnet.known().and_then(|r| model.subnet(r)))
}

/// What `requirements` lists for one cluster: its egress requirements (only the required ones
/// unless `all`), the proxy plan, and the node subnet prefixes (only when every pool's subnet
/// prefixes are known).
pub fn requirements_of(
    ctx: &Ctx<'_>,
    c: &crate::model::Cluster,
    all: bool,
) -> crate::report::requirements::ClusterRequirements {
    let mut reqs = egress::cluster_requirements(ctx, c);
    if !all {
        reqs.retain(|r| r.required);
    }
    let mut prefixes: Option<Vec<ipnet::IpNet>> = Some(vec![]);
    for p in &c.node_pools {
        match p
            .subnet
            .known()
            .and_then(|r| ctx.model.subnet(r))
            .and_then(|s| s.prefixes.known())
        {
            Some(ps) => {
                if let Some(v) = prefixes.as_mut() {
                    for n in ps {
                        if !v.contains(n) {
                            v.push(*n);
                        }
                    }
                }
            }
            None => prefixes = None,
        }
    }
    crate::report::requirements::ClusterRequirements {
        address: c.meta.address().to_string(),
        proxy: proxy::plan(c, &reqs),
        requirements: reqs,
        node_subnet_prefixes: prefixes.filter(|v| !v.is_empty()),
    }
}

/// One root cause, one finding: when an outbound-type finding already explains a pool's egress
/// (AKS rejects the cluster, or the subnet has no egress method of that type), the generic
/// egress findings for the same pool (default outbound access, no internet egress) are dropped.
fn suppress_consequences(findings: &mut Vec<Finding>) {
    const ROOT: [&str; 5] = ["RTE002", "RTE003", "RTE004", "NAT001", "NAT002"];
    const CONSEQUENCE: [&str; 2] = ["EGR002", "EGR003"];
    let roots: Vec<(Option<String>, Option<String>)> = findings
        .iter()
        .filter(|f| ROOT.contains(&f.rule.as_str()))
        .map(|f| (f.cluster.clone(), f.node_pool.clone()))
        .collect();
    findings.retain(|f| {
        !(CONSEQUENCE.contains(&f.rule.as_str())
            && roots.contains(&(f.cluster.clone(), f.node_pool.clone())))
    });
    // A misspelt name (FWL003) or an FQDN network rule without DNS proxy (FWL004) that leaves
    // required endpoints blocked is reported by the FWL001 error pointing at it: the warning
    // about the same place is the same root cause.
    let explained: Vec<crate::source::Origin> = findings
        .iter()
        .filter(|f| f.rule == "FWL001")
        .flat_map(|f| f.labels.iter().map(|l| l.origin.clone()))
        .collect();
    findings.retain(|f| {
        !(matches!(f.rule.as_str(), "FWL003" | "FWL004")
            && f.labels
                .iter()
                .find(|l| l.primary)
                .is_some_and(|l| explained.contains(&l.origin)))
    });
    // The same rule at the same place reported twice (e.g. FWL003 as a configuration warning and
    // as the error that blocks required endpoints): keep the most severe.
    let primary = |f: &Finding| {
        f.labels
            .iter()
            .find(|l| l.primary)
            .map(|l| l.origin.clone())
    };
    let mut keep = vec![true; findings.len()];
    for i in 0..findings.len() {
        let pi = primary(&findings[i]);
        if pi.is_none() {
            continue;
        }
        for j in 0..findings.len() {
            if i != j
                && keep[j]
                && findings[i].rule == findings[j].rule
                && pi == primary(&findings[j])
                && (findings[j].severity > findings[i].severity
                    || (findings[j].severity == findings[i].severity
                        && j < i
                        && findings[j].message == findings[i].message))
            {
                keep[i] = false;
                break;
            }
        }
    }
    let mut it = keep.into_iter();
    findings.retain(|_| it.next().unwrap_or(true));
}

/// What the model holds, in a few words (`2 VNets, 3 subnets, 4 NSGs (10 rules)`).
pub fn inventory(model: &Model) -> String {
    let rules: usize = model
        .nsgs
        .iter()
        .map(|n| n.rules.known().map(|r| r.len()).unwrap_or(0))
        .sum();
    let mut parts = vec![];
    for (n, what) in [
        (model.vnets.len(), "VNet"),
        (model.subnets.len(), "subnet"),
        (model.route_tables.len(), "route table"),
        (model.nat_gateways.len(), "NAT gateway"),
        (model.firewalls.len(), "firewall"),
        (model.firewall_policies.len(), "firewall policy"),
        (model.rule_collection_groups.len(), "rule collection group"),
        (model.ip_groups.len(), "IP group"),
        (model.peerings.len(), "peering"),
        (model.public_ips.len(), "public IP"),
        (model.public_ip_prefixes.len(), "public IP prefix"),
        (model.private_dns_zones.len(), "private DNS zone"),
        (model.dns_zone_links.len(), "private DNS zone link"),
        (
            model.dns_resolver_inbound_endpoints.len(),
            "DNS resolver inbound endpoint",
        ),
    ] {
        if n > 0 {
            let plural = match (n, what) {
                (1, _) => what.to_string(),
                (_, "firewall policy") => "firewall policies".to_string(),
                (_, "public IP prefix") => "public IP prefixes".to_string(),
                _ => format!("{what}s"),
            };
            parts.push(format!("{n} {plural}"));
        }
    }
    if !model.nsgs.is_empty() {
        parts.push(format!(
            "{} NSG{} ({rules} rule{})",
            model.nsgs.len(),
            if model.nsgs.len() == 1 { "" } else { "s" },
            if rules == 1 { "" } else { "s" }
        ));
    }
    if parts.is_empty() {
        "no network resources were read either".into()
    } else {
        format!("read: {}", parts.join(", "))
    }
}

/// A Terraform expression for an attribute of an element, when its address is a Terraform
/// address (`azurerm_virtual_network.hub.id`); otherwise a placeholder naming it.
pub fn tf_ref(address: &str, attr: &str) -> String {
    let is_tf = !address.starts_with('/')
        && address.contains('.')
        && !address.contains(' ')
        && address
            .split('.')
            .next()
            .is_some_and(|t| t.starts_with("azurerm_") || t == "module" || t == "data");
    if is_tf {
        format!("{address}.{attr}")
    } else {
        format!("<{attr} of {address}>")
    }
}

/// An HCL expression for attribute `attr` (`id`, `name`, `resource_group_name`) of the resource
/// at `address`: a reference for a Terraform address, the literal value for an Azure resource id
/// (an existing resource read from ARM or `az` output), a placeholder otherwise.
pub fn tf_value(address: &str, attr: &str) -> String {
    let segments: Vec<&str> = address.split('/').collect();
    if address.starts_with("/subscriptions/") && segments.len() >= 9 {
        let rg = segments
            .iter()
            .position(|s| s.eq_ignore_ascii_case("resourceGroups"))
            .and_then(|i| segments.get(i + 1));
        let value = match attr {
            "id" => Some(address),
            "name" => segments.last().copied(),
            "resource_group_name" => rg.copied(),
            _ => None,
        };
        if let Some(v) = value {
            return format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""));
        }
    }
    tf_ref(address, attr)
}

#[cfg(test)]
mod helper_tests {
    #[test]
    fn tf_values_of_resource_ids_are_literals() {
        let id = "/subscriptions/s/resourceGroups/rg-hub/providers/Microsoft.Network/firewallPolicies/p1";
        assert_eq!(super::tf_value(id, "id"), format!("\"{id}\""));
        assert_eq!(super::tf_value(id, "name"), "\"p1\"");
        assert_eq!(super::tf_value(id, "resource_group_name"), "\"rg-hub\"");
        assert_eq!(
            super::tf_value("azurerm_firewall.hub", "name"),
            "azurerm_firewall.hub.name"
        );
    }

    #[test]
    fn tf_refs() {
        assert_eq!(
            super::tf_ref("azurerm_virtual_network.hub", "id"),
            "azurerm_virtual_network.hub.id"
        );
        assert_eq!(
            super::tf_ref("module.net.azurerm_subnet.a[\"x\"]", "id"),
            "module.net.azurerm_subnet.a[\"x\"].id"
        );
        assert_eq!(
            super::tf_ref("/subscriptions/s/resourceGroups/g", "id"),
            "<id of /subscriptions/s/resourceGroups/g>"
        );
    }
}
