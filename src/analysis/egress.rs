//! Egress analysis: for each node pool and each required endpoint, the path verdict; blocked and
//! unknown paths become findings grouped by their cause.

use super::{Ctx, registry};
use crate::eval::flow::AppProto;
use crate::eval::path::{EgressContext, evaluate_egress};
use crate::eval::{Cause, Destination, Flow, Hop, HopKind, PathResult, Protocol, Verdict};
use crate::model::{Cluster, Known, NodePool, OutboundType, Subnet};
use crate::policy::requirements::{ClusterFacts, Requirement, requirements};
use crate::report::{ClusterReport, EgressResult, Finding, PoolReport, PredictedFailure, Severity};
use crate::source::Origin;
use std::collections::BTreeMap;

/// Endpoint label as shown to users: `mcr.microsoft.com:443/https`.
pub fn endpoint_label(r: &Requirement) -> String {
    r.describe()
}

pub fn predicted(r: &Requirement) -> Option<PredictedFailure> {
    r.failure.as_ref().map(|f| PredictedFailure {
        error: f.error.clone(),
        exit_code: f.exit_code,
        detail: f.detail.clone(),
    })
}

/// The flow for a requirement from a subnet, and a note when the destination address is a
/// stand-in. In-VNet destinations decided at deployment (the API server private endpoint, the API
/// server subnet) are represented by the first usable address of the prefix they are allocated
/// from: NSG and route decisions depend on the prefix, and the reason says so. `Err` carries
/// why no flow can be built.
pub fn flow_for(req: &Requirement, subnet: &Subnet) -> Result<(Flow, Option<String>), String> {
    let prefixes = subnet.prefixes.known().cloned().unwrap_or_default();
    if let Some(flow) = req.flow(prefixes.clone()) {
        return Ok((flow, None));
    }
    if let Known::Known(within) = &req.within {
        if let Some(ipnet::IpNet::V4(n)) = within.first() {
            let ip = std::net::IpAddr::V4(std::net::Ipv4Addr::from(u32::from(n.network()) + 4));
            let flow = Flow {
                source_prefixes: prefixes,
                destination: Destination::Ip(ip),
                destination_tags: vec![],
                protocol: req.protocol,
                port: req.port,
                app_protocol: None,
            };
            return Ok((
                flow,
                Some(format!(
                    "{ip} stands for {}, an address in {n} decided at deployment",
                    req.host
                )),
            ));
        }
    }
    if let Known::Unknown(why) = &req.within {
        return Err(format!(
            "the destination {} is not known before deployment: {why}",
            req.host
        ));
    }
    Err(format!(
        "the destination {} is not known before deployment ({})",
        req.host,
        if req.unresolved.is_empty() {
            "no address".to_string()
        } else {
            format!("unresolved: {}", req.unresolved.join(", "))
        }
    ))
}

/// The requirements of a cluster (catalogue rows whose condition applies, plus user endpoints).
pub fn cluster_requirements(ctx: &Ctx<'_>, cluster: &Cluster) -> Vec<Requirement> {
    let mut facts = ClusterFacts::from_model(ctx.model, cluster);
    if let Some(cloud) = ctx.options.cloud {
        facts.cloud = cloud;
    }
    let mut reqs = requirements(ctx.catalogue, ctx.config, &facts);
    // with an HTTP proxy, the proxy is an endpoint the nodes need
    reqs.extend(super::proxy::requirements(ctx, cluster));
    reqs
}

/// GPU and Windows endpoints are needed by the GPU / Windows pools only.
pub fn applies_to_pool(req: &Requirement, pool: &NodePool) -> bool {
    let conds = std::iter::once(req.condition.as_str())
        .chain(req.also_conditions.iter().map(|c| c.as_str()));
    let mut only_gpu = true;
    let mut only_windows = true;
    let mut any = false;
    for c in conds {
        any = true;
        only_gpu &= c == "gpu";
        only_windows &= c == "windows";
    }
    if any && only_gpu {
        return pool.gpu;
    }
    if any && only_windows {
        return pool.os_type == Known::Known(crate::model::OsType::Windows);
    }
    true
}

/// Evaluate one pool's path to one requirement: through the cluster's HTTP proxy when the flow
/// goes there (see [`super::proxy`]), else straight.
pub fn evaluate_pool(
    ctx: &Ctx<'_>,
    cluster: &Cluster,
    pool: &NodePool,
    req: &Requirement,
) -> PathResult {
    let direct = |r: &Requirement| evaluate_pool_direct(ctx, cluster, pool, r);
    super::proxy::evaluate(ctx, cluster, req, &direct).unwrap_or_else(|| direct(req))
}

/// One pool's path to one requirement, without a proxy. Pools without a resolvable subnet get
/// an unknown (or, for an AKS-managed VNet, a reasoned) verdict here.
fn evaluate_pool_direct(
    ctx: &Ctx<'_>,
    cluster: &Cluster,
    pool: &NodePool,
    req: &Requirement,
) -> PathResult {
    match &pool.subnet {
        Known::Known(r) => match ctx.model.subnet(r) {
            Some(subnet) => match flow_for(req, subnet) {
                Ok((flow, note)) => {
                    let mut res = evaluate_egress(
                        ctx.model,
                        &EgressContext {
                            cluster,
                            pool,
                            subnet,
                        },
                        &flow,
                    );
                    apply_attestation(ctx, req, &mut res);
                    if let Some(n) = note {
                        res.reason = format!("{} ({n})", res.reason);
                    }
                    res
                }
                Err(why) => unknown(why.clone(), Cause::Other { detail: why }, None),
            },
            None => unknown(
                format!(
                    "node subnet {r} is not in the inputs; add the plan or a snapshot that contains it"
                ),
                Cause::SubnetUndecided {
                    subnet: r.display(),
                    detail: "missing from the inputs".into(),
                },
                Some(pool.subnet_origin.clone()),
            ),
        },
        Known::Unknown(why) => unknown(
            format!("the node subnet is not known: {why}"),
            Cause::SubnetUndecided {
                subnet: "(unknown)".into(),
                detail: why.clone(),
            },
            Some(pool.subnet_origin.clone()),
        ),
        Known::Absent => managed_vnet(cluster, req),
    }
}

/// A third-party appliance attested in the config file decides flows the evaluator could not.
fn apply_attestation(ctx: &Ctx<'_>, req: &Requirement, res: &mut PathResult) {
    let Some(Cause::UnknownAppliance { next_hop, .. }) = &res.cause else {
        return;
    };
    let Ok(ip) = next_hop.parse::<std::net::IpAddr>() else {
        return;
    };
    let Some(app) = ctx.config.appliance(&ip) else {
        return;
    };
    match app.allowing(req) {
        Some(rule) => {
            res.verdict = Verdict::Reachable;
            res.reason = format!(
                "appliance {} ({ip}) allows it, as attested in {} ({})",
                app.name, ctx.config.name, rule.text
            );
            res.cause = None;
            res.hops.push(
                Hop::new(
                    HopKind::Appliance,
                    format!("appliance {} {ip}: attested allow {}", app.name, rule.text),
                    None,
                )
                .with_verdict(Verdict::Reachable),
            );
        }
        None => {
            res.verdict = Verdict::Blocked;
            res.reason = format!(
                "appliance {} ({ip}) does not allow it: no entry of its attestation in {} covers it",
                app.name, ctx.config.name
            );
            res.hops.push(
                Hop::new(
                    HopKind::Appliance,
                    format!("appliance {} {ip}: no attested allow covers it", app.name),
                    None,
                )
                .with_verdict(Verdict::Blocked),
            );
        }
    }
}

fn unknown(reason: String, cause: Cause, origin: Option<Origin>) -> PathResult {
    PathResult {
        verdict: Verdict::Unknown,
        reason,
        hops: vec![],
        cause: Some(cause),
        cause_origin: origin,
    }
}

/// Node pools without a subnet live in an AKS-managed VNet: AKS creates the subnet, an NSG with
/// default rules on the NICs, and the egress for `loadBalancer` / `managedNATGateway`.
fn managed_vnet(cluster: &Cluster, req: &Requirement) -> PathResult {
    let Some(dest) = &req.destination else {
        return unknown(
            format!(
                "the destination {} is not known before deployment",
                req.host
            ),
            Cause::Other {
                detail: "destination unknown".into(),
            },
            None,
        );
    };
    let hop = Hop::new(
        HopKind::Subnet,
        "AKS-managed VNet (no vnet_subnet_id): subnet and NSG created by AKS with default rules",
        Some(cluster.meta.origin.clone()),
    );
    match &cluster.outbound_type {
        Known::Known(OutboundType::LoadBalancer | OutboundType::ManagedNatGateway | OutboundType::ManagedNatGatewayV2)
            if is_public_destination(dest) =>
        {
            let ot = cluster.outbound_type.known().map(|o| o.as_str()).unwrap_or("");
            PathResult {
                verdict: Verdict::Reachable,
                reason: format!("AKS-managed VNet with outbound type {ot}: egress through the AKS-managed outbound IPs; AKS-managed NSGs keep the default outbound allow rules"),
                hops: vec![hop, Hop::new(HopKind::Internet, format!("internet egress via the AKS-managed {ot}"), None).with_verdict(Verdict::Reachable)],
                cause: None,
                cause_origin: None,
            }
        }
        Known::Unknown(why) => unknown(format!("the outbound type is not known: {why}"), Cause::Other { detail: why.clone() }, Some(cluster.meta.origin_of("outbound_type").clone())),
        _ => unknown(
            "the node pool has no vnet_subnet_id (AKS-managed VNet) and this destination's path cannot be derived for that outbound type".into(),
            Cause::Other { detail: "AKS-managed VNet".into() },
            Some(cluster.meta.origin.clone()),
        ),
    }
}

fn is_public_destination(d: &Destination) -> bool {
    match d {
        Destination::Ip(ip) => crate::eval::servicetags::is_public_ip(ip),
        _ => true,
    }
}

/// Check every pool of a cluster; push findings; return the cluster's part of the report.
pub fn check(ctx: &Ctx<'_>, cluster: &Cluster, findings: &mut Vec<Finding>) -> ClusterReport {
    let reqs = cluster_requirements(ctx, cluster);
    let caddr = cluster.meta.address().to_string();
    let mut pools = vec![];
    let mut cf = Counterfactuals::default();
    for pool in &cluster.node_pools {
        let pname = pool.display_name();
        let subnet = match &pool.subnet {
            Known::Known(r) => Some(
                ctx.model
                    .subnet(r)
                    .map(|s| s.meta.address().to_string())
                    .unwrap_or_else(|| r.display()),
            ),
            _ => None,
        };
        let mut egress = vec![];
        // group by cause: (rule id, cause key) -> (cause, origin, results)
        let mut groups: BTreeMap<String, Group> = BTreeMap::new();
        for req in reqs.iter().filter(|r| applies_to_pool(r, pool)) {
            let res = evaluate_pool(ctx, cluster, pool, req);
            // custom DNS servers are the DNS analysis' (DNS001-003): one root cause, one rule
            if req.required && req.condition != "custom-dns" {
                classify(ctx, cluster, pool, req, &res, &mut groups, &mut cf);
            }
            egress.push(EgressResult {
                host: req.host.clone(),
                port: req.port,
                protocol: match req.protocol {
                    Protocol::Tcp => "tcp".to_string(),
                    Protocol::Udp => "udp".to_string(),
                },
                app_protocol: req.app_protocol.map(|a| match a {
                    AppProto::Http => "http".to_string(),
                    AppProto::Https => "https".to_string(),
                }),
                required: req.required,
                verdict: res.verdict,
                reason: res.reason.clone(),
                path: res.hops.clone(),
            });
        }
        for (_, g) in groups {
            findings.push(g.into_finding(ctx, pool, &caddr, &pname, subnet.as_deref()));
        }
        pools.push(PoolReport {
            name: pname,
            subnet,
            egress,
        });
    }
    ClusterReport {
        address: caddr,
        name: cluster.meta.display_name(),
        node_pools: pools,
    }
}

/// The findings of one pool, grouped by root cause: one finding per cause (an NSG rule, a route,
/// a firewall's missing allows, a misspelt name...), listing every endpoint it blocks.
struct Group {
    rule: &'static str,
    severity: Severity,
    /// What blocks / is undecidable, as a phrase: `NSG rule "deny" (priority 100) of X`. Never
    /// names one endpoint (see [`scrub_flow`]): the finding lists them.
    subject: String,
    verb: &'static str,
    cause_origin: Option<Origin>,
    items: Vec<(String, Option<PredictedFailure>, PathResult)>,
    /// The requirement of each item (the fix covers them all).
    reqs: Vec<Requirement>,
    help: Help,
    /// Further places of the same root cause (secondary labels).
    also: Vec<Origin>,
    /// The text of the primary label, when the rule's default does not fit the cause.
    label: Option<String>,
}

/// A finding's help: a fixed text, or a fix rendered for every endpoint of the group.
enum Help {
    Text(String),
    Fix(super::fixes::Fix),
}

impl Group {
    fn new(
        rule: &'static str,
        subject: String,
        verb: &'static str,
        cause_origin: Option<Origin>,
        help: Help,
    ) -> Group {
        Group {
            rule,
            severity: registry::severity(rule),
            subject,
            verb,
            cause_origin,
            items: vec![],
            reqs: vec![],
            help,
            also: vec![],
            label: None,
        }
    }

    fn push(&mut self, item: (String, Option<PredictedFailure>, PathResult), req: &Requirement) {
        self.items.push(item);
        self.reqs.push(req.clone());
    }

    fn into_finding(
        self,
        ctx: &Ctx<'_>,
        pool_model: &NodePool,
        cluster: &str,
        pool: &str,
        subnet: Option<&str>,
    ) -> Finding {
        let eps: Vec<&str> = self.items.iter().map(|(e, _, _)| e.as_str()).collect();
        let from = match subnet {
            Some(s) => format!("node pool \"{pool}\" (subnet {s})"),
            None => format!("node pool \"{pool}\""),
        };
        let lead = if self.verb.is_empty() {
            self.subject.clone()
        } else {
            format!("{} {}", self.subject, self.verb)
        };
        let message = if eps.len() == 1 {
            format!("{lead} {} from {from}", eps[0])
        } else {
            format!(
                "{lead} {} required endpoints from {from}: {}",
                eps.len(),
                eps.join(", ")
            )
        };
        let (_, failure, first) = &self.items[0];
        // The failure seen first during provisioning: the outbound check (50) runs before the
        // API server checks (51, 52); other codes come from downloads that only happen when the
        // node image lacks a cached artifact.
        let rank = |c: u32| match c {
            50 => 0,
            51 => 1,
            52 => 2,
            53 => 3,
            c => 10 + c,
        };
        let failure = self
            .items
            .iter()
            .filter_map(|(_, f, _)| f.as_ref().filter(|f| f.exit_code.is_some()))
            .min_by_key(|f| f.exit_code.map(rank).unwrap_or(u32::MAX))
            .cloned()
            .or_else(|| failure.clone());
        let reqs: Vec<&Requirement> = self.reqs.iter().collect();
        let (help, snippet) = match &self.help {
            Help::Text(t) => (t.clone(), None),
            Help::Fix(fix) => {
                let slug = super::fixes::ident(&format!("{}_{pool}", cluster_slug(cluster)));
                let r = fix.render(
                    ctx.model,
                    &reqs,
                    &node_prefixes(ctx, pool_model),
                    &slug,
                    ctx.options.fix_language,
                );
                (r.help, r.snippet)
            }
        };
        let mut f = Finding::new(self.rule, self.severity, message)
            .help(help)
            .at_pool(cluster, pool)
            .failure(failure)
            .path(first.verdict, first.hops.clone())
            .endpoints(eps.iter().map(|e| e.to_string()).collect());
        if let Some(o) = &self.cause_origin {
            let text = match (self.rule, first.verdict) {
                _ if self.label.is_some() => self.label.clone().unwrap_or_default(),
                ("NSG001", _) => "this rule denies the traffic".to_string(),
                ("RTE001", _) => "next hop None: traffic is dropped".to_string(),
                (_, Verdict::Blocked) => "blocks the traffic".to_string(),
                (_, Verdict::Unknown) => "the path cannot be decided here".to_string(),
                _ => first.reason.clone(),
            };
            f = f.primary(o, text);
        }
        for o in &self.also {
            f = f.secondary(o, "the same cause");
        }
        f.snippet = snippet;
        f
    }
}

/// A short name for a cluster address in resource names (`azurerm_kubernetes_cluster.aks` ->
/// `aks`).
fn cluster_slug(address: &str) -> &str {
    // a template resource's address names its declaration: `aks (main.bicep:126)`
    let address = address.split(" (").next().unwrap_or(address);
    address
        .rsplit_once("azurerm_kubernetes_cluster.")
        .map_or(address, |(_, n)| n)
}

/// The node subnet prefixes of a pool, for snippets (`None`: not known).
fn node_prefixes(ctx: &Ctx<'_>, pool: &NodePool) -> Option<Vec<String>> {
    match pool
        .subnet
        .known()
        .and_then(|r| ctx.model.subnet(r))
        .and_then(|s| s.prefixes.known())
    {
        Some(p) if !p.is_empty() => Some(p.iter().map(|n| n.to_string()).collect()),
        _ => None,
    }
}

/// The node subnet prefixes of a pool as an HCL list body (`"10.1.0.0/22"`), for help texts.
fn node_sources(ctx: &Ctx<'_>, pool: &NodePool) -> String {
    match node_prefixes(ctx, pool) {
        Some(p) => p
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", "),
        None => "\"<node subnet prefixes>\"".to_string(),
    }
}

/// A cause's text without the one flow it was found for (`routes mcr.microsoft.com:443/tcp to
/// the internet` becomes `routes the traffic to the internet`), so that every endpoint with the
/// same cause lands in one finding.
fn scrub_flow(text: &str, req: &Requirement, pool: &NodePool, ctx: &Ctx<'_>) -> String {
    let mut out = text.replace(&req.describe(), "the traffic");
    let flow = pool
        .subnet
        .known()
        .and_then(|r| ctx.model.subnet(r))
        .and_then(|s| flow_for(req, s).ok().map(|(f, _)| f))
        .or_else(|| req.flow(vec![]));
    if let Some(f) = flow {
        out = out.replace(&f.describe(), "the traffic");
    }
    out
}

fn key_of(c: &Cause) -> String {
    serde_json::to_string(c).unwrap_or_default()
}

/// Decide which rule a non-reachable (or caveated) path belongs to, and add it to its group.
/// Lazily built counterfactual models (see [`super::counterfactual`]).
#[derive(Default)]
struct Counterfactuals {
    names: Option<std::sync::Arc<Option<crate::model::Model>>>,
    proxy: Option<std::sync::Arc<Option<crate::model::Model>>>,
}

/// Why a firewall denies a flow, when the denial has a more specific root cause than "no rule
/// allows it": a rule covering only part of the subnet (FWL002), a misspelt name (FWL003,
/// reported by the firewall analysis), an FQDN network rule without DNS proxy (FWL004, likewise).
/// A firewall denial's more specific root cause.
#[derive(Debug, Clone)]
struct RootCause {
    /// `FWL002`, `FWL003` or `FWL004`.
    rule: &'static str,
    /// Where it is (the partial allow, each misspelt name, the FQDN network rule).
    origins: Vec<Origin>,
    text: String,
    /// How to fix it.
    help: String,
}

fn firewall_root_cause(
    ctx: &Ctx<'_>,
    pool: &NodePool,
    req: &Requirement,
    firewall: &str,
    cf: &mut Counterfactuals,
) -> Option<RootCause> {
    let fwall = ctx
        .model
        .firewalls
        .iter()
        .find(|f| f.meta.address() == firewall)?;
    let subnet = pool.subnet.known().and_then(|r| ctx.model.subnet(r))?;
    let (flow, _) = flow_for(req, subnet).ok()?;
    let d = crate::eval::firewall::evaluate(ctx.model, fwall, &flow);
    if let Some(n) = d
        .notes
        .iter()
        .find(|n| n.kind == crate::eval::firewall::FirewallNoteKind::PartialSourceCoverage)
    {
        return Some(RootCause {
            rule: "FWL002",
            origins: n.origin.iter().cloned().collect(),
            text: n.message.clone(),
            help: registry::fix("FWL002"),
        });
    }
    if let Some(n) = d
        .notes
        .iter()
        .find(|n| n.kind == crate::eval::firewall::FirewallNoteKind::SourcesMissNodes)
    {
        return Some(RootCause {
            rule: "FWL005",
            origins: n.origin.iter().cloned().collect(),
            text: n.message.clone(),
            help: format!(
                "{}\nHere: add the node subnet ({}) to the rule's source_addresses, or to the IP group it uses.",
                registry::fix("FWL005"),
                node_sources(ctx, pool)
            ),
        });
    }
    let allowed_in = |m: &crate::model::Model| {
        m.firewalls
            .iter()
            .find(|f| f.meta.key == fwall.meta.key)
            .map(|f| crate::eval::firewall::evaluate(m, f, &flow).verdict == Verdict::Reachable)
            .unwrap_or(false)
    };
    let names = cf.names.get_or_insert_with(|| {
        super::counterfactual::shared(
            ctx.model,
            "names_corrected",
            super::counterfactual::with_names_corrected,
        )
    });
    if Option::as_ref(names).is_some_and(allowed_in) {
        let wrong: Vec<_> = crate::eval::firewall::unknown_names(ctx.model, fwall)
            .into_iter()
            .filter(|n| n.closest.is_some())
            .collect();
        let text = wrong
            .iter()
            .map(|n| {
                format!(
                    "rule {} uses \"{}\" (did you mean \"{}\"?)",
                    n.rule,
                    n.value,
                    n.closest.as_deref().unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        let help = wrong
            .iter()
            .map(|n| {
                format!(
                    "replace \"{}\" with \"{}\" in rule {}",
                    n.value,
                    n.closest.as_deref().unwrap_or_default(),
                    n.rule
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        return Some(RootCause {
            rule: "FWL003",
            origins: wrong.iter().map(|n| n.origin.clone()).collect(),
            text,
            help: format!("{help} (`aks-preflight rules FWL003`)"),
        });
    }
    let proxy = cf.proxy.get_or_insert_with(|| {
        super::counterfactual::shared(
            ctx.model,
            "dns_proxy_on",
            super::counterfactual::with_dns_proxy,
        )
    });
    if Option::as_ref(proxy).is_some_and(allowed_in) {
        let note = d.notes.iter().find(|n| {
            n.kind == crate::eval::firewall::FirewallNoteKind::FqdnNetworkRuleWithoutDnsProxy
        });
        return Some(RootCause {
            rule: "FWL004",
            origins: note.and_then(|n| n.origin.clone()).into_iter().collect(),
            text: note.map(|n| n.message.clone()).unwrap_or_else(|| {
                "a network rule with destination FQDNs would allow it, but DNS proxy is off".into()
            }),
            help: registry::fix("FWL004"),
        });
    }
    None
}

#[allow(clippy::too_many_arguments)]
fn classify(
    ctx: &Ctx<'_>,
    cluster: &Cluster,
    pool: &NodePool,
    req: &Requirement,
    res: &PathResult,
    groups: &mut BTreeMap<String, Group>,
    cf: &mut Counterfactuals,
) {
    let label = endpoint_label(req);
    let item = (label.clone(), predicted(req), res.clone());
    if res.verdict == Verdict::Reachable {
        // Reachable only through implicit default outbound access: warn (the path evaluator
        // states it in the reason).
        if res.reason.contains("default outbound access") {
            let g = groups.entry("EGR003".into()).or_insert_with(|| {
                Group::new(
                    "EGR003",
                    "egress relies on implicit default outbound access, which is being retired, for"
                        .into(),
                    "reaching",
                    Some(pool.subnet_origin.clone()),
                    Help::Text(registry::fix("EGR003")),
                )
            });
            g.push(item, req);
        }
        return;
    }
    let Some(cause) = &res.cause else {
        return;
    };
    let blocked = res.verdict == Verdict::Blocked;
    let root_cause = match cause {
        Cause::FirewallDenied { firewall, .. } if blocked => {
            firewall_root_cause(ctx, pool, req, firewall, cf)
        }
        _ => None,
    };
    let (rule, subject, verb, help): (&'static str, String, &'static str, Help) = match cause {
        Cause::NsgRule {
            nsg,
            rule_name,
            priority,
            default_rule,
        } if blocked => (
            "NSG001",
            if *default_rule {
                format!("default NSG rule {rule_name} (priority {priority}) of {nsg}")
            } else {
                format!("NSG rule \"{rule_name}\" (priority {priority}) of {nsg}")
            },
            "denies",
            Help::Fix(super::fixes::Fix::NsgAllow {
                nsg: nsg.clone(),
                deny_rule: match res.cause_origin.as_ref().and_then(|o| o.address.as_deref()) {
                    Some(a) if a != nsg => a.to_string(),
                    _ => format!("rule \"{rule_name}\" of {nsg}"),
                },
                deny_priority: *priority,
                default_rule: *default_rule,
            }),
        ),
        Cause::RouteBlackhole {
            route_table,
            route_name,
            system,
        } if blocked => (
            "RTE001",
            if *system {
                format!("system route {route_name} drops traffic (next hop None) to")
            } else {
                format!("route \"{route_name}\" of {route_table} (next hop None) drops traffic to")
            },
            "",
            Help::Text(registry::fix("RTE001")),
        ),
        Cause::GatewayNextHop {
            route_table,
            route_name,
        } => (
            "RTE005",
            match route_table {
                Some(rt) => format!(
                    "route \"{route_name}\" of {rt} sends to a virtual network gateway (forced tunnelling)"
                ),
                None => format!(
                    "{route_name}: traffic may be forced-tunnelled to a virtual network gateway, for"
                ),
            },
            "",
            Help::Text(registry::fix("RTE005")),
        ),
        Cause::UnknownAppliance {
            route_table,
            route_name,
            next_hop,
        } if blocked => (
            "APL002",
            format!(
                "appliance {next_hop} (route \"{route_name}\" of {route_table}) is attested in {} not to allow",
                ctx.config.name
            ),
            "",
            Help::Text(registry::fix("APL002")),
        ),
        Cause::UnknownAppliance {
            route_table,
            route_name,
            next_hop,
        } => (
            "APL001",
            format!(
                "route \"{route_name}\" of {route_table} sends to appliance {next_hop}, which is not a known Azure Firewall;"
            ),
            "its rules are unknown for",
            Help::Text(format!(
                "{}\nExample attestation (aks-preflight.toml):\n[[appliance]]\nip = \"{next_hop}\"\nname = \"hub-nva\"\nallows = [\"*:443/tcp\", \"*:80/tcp\", \"*:123/udp\"]",
                registry::fix("APL001")
            )),
        ),
        Cause::FirewallDenied { firewall, .. } if blocked && root_cause.is_some() => {
            let Some(root) = root_cause.clone() else {
                return;
            };
            let origin = root.origins.first().cloned();
            if root.rule == "FWL002" {
                // the partial allow is the finding: one per firewall, listing the endpoints
                let key = format!("FWL002|{firewall}");
                let g = groups.entry(key).or_insert_with(|| {
                    Group::new(
                        "FWL002",
                        format!(
                            "firewall {firewall}: {}; the nodes outside it hit the default deny for",
                            root.text
                        ),
                        "",
                        origin.or_else(|| res.cause_origin.clone()),
                        Help::Text(registry::fix("FWL002")),
                    )
                });
                g.push(item, req);
                return;
            }
            if root.rule == "FWL005" {
                // the allow rule whose sources miss the nodes is the cause: one finding per rule
                let key = format!("FWL005|{firewall}|{origin:?}");
                let g = groups.entry(key).or_insert_with(|| {
                    Group::new(
                        "FWL005",
                        format!(
                            "firewall {firewall}: {}, so its default deny drops",
                            root.text
                        ),
                        "",
                        origin.or_else(|| res.cause_origin.clone()),
                        Help::Text(root.help.clone()),
                    )
                });
                g.push(item, req);
                return;
            }
            // A misspelt name (FWL003) or an FQDN network rule without DNS proxy (FWL004): one
            // error for every endpoint it leaves blocked, pointing at the name or rule; the
            // firewall analysis' warning about the same place is then left out (one root cause,
            // one finding).
            let why = match root.rule {
                "FWL003" => format!(
                    "{}, a name Azure does not know, so the rule matches nothing and the default deny applies",
                    root.text
                ),
                _ => format!("default deny: {}", root.text),
            };
            let key = format!("FWL001|{firewall}|{}", root.rule);
            let g = groups.entry(key).or_insert_with(|| {
                let mut g = Group::new(
                    "FWL001",
                    format!("firewall {firewall} ({why})"),
                    "denies",
                    origin.or_else(|| res.cause_origin.clone()),
                    Help::Text(root.help.clone()),
                );
                g.also = root.origins.iter().skip(1).cloned().collect();
                g.label = Some(match root.rule {
                    "FWL003" => "this rule uses a name Azure does not know".into(),
                    _ => "destination FQDNs in a network rule need DNS proxy".into(),
                });
                g
            });
            g.push(item, req);
            return;
        }
        // An explicit Deny rule: one finding per rule, listing what it blocks.
        Cause::FirewallDenied {
            firewall,
            rule: Some(r),
            detail: _,
        } if blocked => (
            "FWL001",
            format!("firewall {firewall}: Deny rule {r}"),
            "denies",
            Help::Text(format!(
                "the Deny collection is processed before any collection that would allow these endpoints \
                 (network rules before application rules; then rule collection group priority, then collection \
                 priority, lower numbers first; parent policy groups first): give the Deny collection a larger \
                 priority number than the Allow collection (priorities run 100-65000), narrow its destinations, \
                 or exclude the node subnet ({}) from its sources",
                node_sources(ctx, pool)
            )),
        ),
        // No rule allows it: one finding per firewall, listing every endpoint, with one fix
        // that allows them all in the rule form the firewall uses.
        Cause::FirewallDenied {
            firewall,
            rule: None,
            ..
        } if blocked => (
            "FWL001",
            format!("firewall {firewall} (default deny: no rule allows it)"),
            "denies",
            Help::Fix(super::fixes::Fix::FirewallAllow {
                firewall: firewall.clone(),
            }),
        ),
        Cause::Peering { peering, detail } if blocked => (
            "PER001",
            match peering {
                Some(p) => format!("peering {p} ({detail})"),
                None => format!("VNet peering on the path ({detail})"),
            },
            "blocks",
            Help::Text(registry::fix("PER001")),
        ),
        Cause::PeeringNotInInputs { local, remote } => (
            "PER002",
            format!(
                "no peering from {local} to {remote} is in the inputs, and {local} exists already: whether one exists cannot be decided for"
            ),
            "",
            Help::Text(format!(
                "{}\nHere: the peering from {local} to {remote} (and back) belongs to the configuration that manages {local}; pass its plan as another input, or a snapshot of the VNet.",
                registry::fix("PER002")
            )),
        ),
        Cause::ProxyUnattested { proxy } => (
            "PXY001",
            format!(
                "HTTP proxy {proxy}: the nodes reach it, but what it lets through is not known for"
            ),
            "",
            Help::Text(format!(
                "{}\nExample attestation (aks-preflight.toml):\n[[proxy]]\naddress = \"{proxy}\"\nallows = [\"*:443/https\", \"*:80/http\"]",
                registry::fix("PXY001")
            )),
        ),
        Cause::ProxyDenies { proxy } => (
            "PXY002",
            format!(
                "HTTP proxy {proxy} is attested in {} not to allow",
                ctx.config.name
            ),
            "",
            Help::Text(registry::fix("PXY002")),
        ),
        Cause::ProxyAddressUnknown { proxy, detail } => (
            "PXY003",
            format!(
                "the address of HTTP proxy {proxy} is not known ({detail}), so the path to it cannot be checked for"
            ),
            "",
            Help::Text(format!(
                "{}\nExample (aks-preflight.toml):\n[[proxy]]\naddress = \"{proxy}\"\nip = \"<the proxy's address>\"",
                registry::fix("PXY003")
            )),
        ),
        Cause::ProxyBypassUndecided { proxy, .. } => (
            "PXY004",
            format!(
                "whether AKS sends these through HTTP proxy {proxy} is not documented, and the two paths differ, for"
            ),
            "",
            Help::Text(registry::fix("PXY004")),
        ),
        Cause::ReturnPath { subnet, .. } if blocked => (
            "RET001",
            format!(
                "the reply cannot come back to node pool \"{}\": subnet {subnet} routes it away from the way the request came, for",
                pool.display_name()
            ),
            "",
            Help::Text(format!(
                "{}\nHere: {}",
                registry::fix("RET001"),
                crate::eval::path::reason_without_flow(&res.reason)
            )),
        ),
        Cause::ReturnPath { subnet, .. } => (
            "RET002",
            format!(
                "the way back from subnet {subnet} to node pool \"{}\" cannot be proven for",
                pool.display_name()
            ),
            "",
            Help::Text(registry::fix("RET002")),
        ),
        Cause::NoInternetEgress { subnet, detail } if blocked => {
            // a NAT gateway without public IPs is reported once by NAT003
            let has_nat = pool
                .subnet
                .known()
                .and_then(|r| ctx.model.subnet(r))
                .is_some_and(|s| s.nat_gateway.is_known());
            if has_nat {
                return;
            }
            (
                "EGR002",
                format!("subnet {subnet} has no outbound method ({detail}):"),
                "no egress for",
                Help::Text(registry::fix("EGR002")),
            )
        }
        _ if blocked => (
            "EGR002",
            format!("the path is blocked ({})", res.reason),
            "for",
            Help::Text(registry::fix("EGR002")),
        ),
        _ => (
            "EGR001",
            format!(
                "the path cannot be proven ({})",
                crate::eval::path::reason_without_flow(&res.reason)
            ),
            "for",
            Help::Text(registry::fix("EGR001")),
        ),
    };
    // the cause without the flow it was found for: every endpoint with the same cause is one
    // finding
    let subject = scrub_flow(&subject, req, pool, ctx);
    let key = if rule == "EGR001" {
        // undecidable paths: one finding per undecidable element (the details differ per
        // endpoint, the element does not)
        match &res.cause_origin {
            Some(o) => format!("{rule}|{o:?}"),
            None => format!("{rule}|{}", key_of(cause)),
        }
    } else {
        format!("{rule}|{}", scrub_flow(&key_of(cause), req, pool, ctx))
    };
    let g = groups
        .entry(key)
        .or_insert_with(|| Group::new(rule, subject, verb, res.cause_origin.clone(), help));
    // an endpoint behind the proxy, stopped on the way to the proxy: the fix is the proxy's flow
    let behind = super::proxy::stopped_before_proxy(res)
        .then(|| super::proxy::proxy_requirement(ctx, cluster, req))
        .flatten();
    g.push(item, behind.as_ref().unwrap_or(req));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Origin;

    fn req(condition: &str) -> Requirement {
        Requirement {
            endpoint_id: "t".into(),
            host: "nvidia.github.io".into(),
            destination: Some(Destination::Host("nvidia.github.io".into())),
            within: Known::Absent,
            unresolved: vec![],
            protocol: Protocol::Tcp,
            app_protocol: None,
            port: 443,
            required: true,
            condition: condition.into(),
            also_ids: vec![],
            also_conditions: vec![],
            service_tags: vec![],
            purpose: String::new(),
            source: String::new(),
            uncertain: false,
            failure: None,
            from_user_config: false,
            note: None,
            location: None,
        }
    }

    fn pool(gpu: bool, os: crate::model::OsType) -> NodePool {
        NodePool {
            key: "p".into(),
            name: Known::Known("p".into()),
            origin: Origin::none(),
            subnet: Known::Absent,
            subnet_origin: Origin::none(),
            os_type: Known::Known(os),
            vm_size: Known::Absent,
            gpu,
            node_public_ip: Known::Absent,
            mode: Known::Absent,
            lifecycle: Default::default(),
        }
    }

    #[test]
    fn gpu_and_windows_endpoints_apply_to_their_pools_only() {
        use crate::model::OsType::{Linux, Windows};
        assert!(applies_to_pool(&req("gpu"), &pool(true, Linux)));
        assert!(!applies_to_pool(&req("gpu"), &pool(false, Linux)));
        assert!(applies_to_pool(&req("windows"), &pool(false, Windows)));
        assert!(!applies_to_pool(&req("windows"), &pool(false, Linux)));
        assert!(applies_to_pool(&req("always"), &pool(false, Linux)));
        // merged with an `always` row: needed everywhere
        let mut r = req("gpu");
        r.also_conditions = vec!["always".into()];
        assert!(applies_to_pool(&r, &pool(false, Linux)));
    }
}
