//! The endpoints one cluster needs: catalogue rows (and user endpoints) whose cloud and condition
//! apply to the cluster, with placeholders substituted.
//!
//! Condition semantics (keywords from `policies/README.md`):
//!
//! * `always`: every cluster that is not network isolated. User endpoints with `always` apply to
//!   every cluster, network isolated or not (they are the user's own statement).
//! * `public-cluster`: not a private cluster and no API Server VNet Integration (with VNet
//!   integration nodes reach the API server on its internal IP).
//! * `public-cluster-no-konnectivity`: never by default. Current clusters run konnectivity over
//!   `*.hcp.<region>.azmk8s.io:443`; the legacy tunnel ports (UDP 1194, TCP 9000) matter only for
//!   clusters still on tunnelfront/aks-link, which we cannot tell from the configuration. Users
//!   can force it (`force_conditions`).
//! * `private-cluster`: a Private Link private cluster *without* API Server VNet Integration (with
//!   it, nodes use the internal load balancer IP and there is no private endpoint).
//! * `apiserver-vnet-integration`, `network-isolated`, `gpu`, `windows`, add-ons and features: the
//!   cluster fact.
//! * `custom-dns`: one requirement per custom DNS server IP of the node VNets. Servers whose IP is
//!   not known (computed at apply, unresolved reference) produce no requirement here: the DNS
//!   analysis reports them, since it must explain the unknown anyway.
//! * `pods-use-apiserver-ip`, `legacy-ntp`: never by default; can be forced.
//! * `legacy-fallback`, `optional:os-updates`: listed as optional (not required).
//! * `platform`, `observed-only`: never listed.
//!
//! When a fact a condition depends on is unknown (e.g. `private_cluster_enabled` only known after
//! apply), the row is listed with `required = false` and a note explaining why.

use super::catalogue::{Catalogue, Endpoint, FailureSpec, PolicyLocation};
use super::config::Config;
use crate::eval::flow::AppProto;
use crate::eval::{Destination, Flow, Protocol};
use crate::model::{Cloud, Cluster, IpValue, Known, Model, OsType, OutboundType, Ref};
use ipnet::IpNet;
use serde::Serialize;
use std::net::IpAddr;

/// What the requirements of one cluster depend on, taken from the model.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterFacts {
    /// The cluster's address (Terraform address / resource id).
    pub address: String,
    pub cloud: Cloud,
    /// Location, lower case without spaces (`westeurope`).
    pub region: Option<String>,
    pub private_cluster: Known<bool>,
    pub apiserver_vnet_integration: Known<bool>,
    /// Custom DNS servers of the node VNets, in order, without duplicates. An entry whose `ip` is
    /// not known stays here (for the DNS analysis) but produces no requirement.
    pub custom_dns_servers: Vec<IpValue>,
    /// Why the DNS servers of some node VNet are not known (empty when all are known).
    pub dns_unknown: Vec<String>,
    /// Add-on and feature keywords (`addon:monitoring`, `feature:workload-identity`, ...).
    pub features: Vec<String>,
    pub has_windows: bool,
    pub has_gpu: bool,
    pub network_isolated: bool,
    /// Prefixes of all node pool subnets (source of the flows).
    pub node_subnet_prefixes: Known<Vec<IpNet>>,
    /// Prefixes of the first node pool's subnet, where AKS puts the API server private endpoint.
    pub first_pool_subnet_prefixes: Known<Vec<IpNet>>,
    /// Prefixes of the API server subnet (API Server VNet Integration).
    pub apiserver_subnet_prefixes: Known<Vec<IpNet>>,
    /// How facts were derived where the model was incomplete.
    pub notes: Vec<String>,
}

impl ClusterFacts {
    /// Facts with defaults for a public cluster in an unknown region: a starting point for tests
    /// and callers that do not read a model.
    pub fn new(address: impl Into<String>) -> Self {
        ClusterFacts {
            address: address.into(),
            cloud: Cloud::Public,
            region: None,
            private_cluster: Known::Known(false),
            apiserver_vnet_integration: Known::Known(false),
            custom_dns_servers: Vec::new(),
            dns_unknown: Vec::new(),
            features: Vec::new(),
            has_windows: false,
            has_gpu: false,
            network_isolated: false,
            node_subnet_prefixes: Known::Absent,
            first_pool_subnet_prefixes: Known::Absent,
            apiserver_subnet_prefixes: Known::Absent,
            notes: Vec::new(),
        }
    }

    /// Derive the facts of `cluster` from the model. The cloud comes from the region
    /// ([`Cloud::from_region`]); set `cloud` afterwards (or in the config) to override it.
    pub fn from_model(model: &Model, cluster: &Cluster) -> ClusterFacts {
        let mut f = ClusterFacts::new(cluster.meta.address());
        match &cluster.meta.location {
            Known::Known(l) => {
                let region = normalize_region(l);
                f.cloud = Cloud::from_region(&region);
                f.region = Some(region);
            }
            Known::Unknown(r) => f.notes.push(format!(
                "the cluster location is unknown ({r}): region-specific host names keep `<region>` and the cloud is assumed to be {}",
                f.cloud.as_str()
            )),
            Known::Absent => f.notes.push(format!(
                "the cluster location is not set: region-specific host names keep `<region>` and the cloud is assumed to be {}",
                f.cloud.as_str()
            )),
        }
        // documented defaults: not private, no VNet integration
        f.private_cluster = cluster.private_cluster.clone().or_default_value(false);
        f.apiserver_vnet_integration = cluster
            .apiserver_vnet_integration
            .clone()
            .or_default_value(false);
        f.features = cluster.features.clone();
        f.has_windows = cluster
            .node_pools
            .iter()
            .any(|p| p.os_type == Known::Known(OsType::Windows));
        f.has_gpu = cluster.node_pools.iter().any(|p| p.gpu);
        let unknown_os: Vec<String> = cluster
            .node_pools
            .iter()
            .filter(|p| p.os_type.is_unknown())
            .map(|p| p.display_name())
            .collect();
        if !unknown_os.is_empty() {
            f.notes.push(format!(
                "the OS type of node pool(s) {} is unknown; they are treated as Linux",
                unknown_os.join(", ")
            ));
        }

        let cache = matches!(&cluster.bootstrap_artifact_source,
            Known::Known(s) if s.eq_ignore_ascii_case("cache"));
        let no_egress = matches!(
            cluster.outbound_type,
            Known::Known(OutboundType::None | OutboundType::Block)
        );
        f.network_isolated = cache && no_egress;
        if cluster.bootstrap_artifact_source.is_unknown() {
            f.notes.push(
                "the bootstrap artifact source is unknown; the cluster is treated as not network isolated"
                    .into(),
            );
        }

        // node subnets, their VNets' DNS servers
        let mut node_prefixes: Known<Vec<IpNet>> = Known::Known(Vec::new());
        let mut vnets_seen: Vec<String> = Vec::new();
        let first_pool = cluster
            .node_pools
            .iter()
            .find(|p| p.key.ends_with("/default_node_pool"))
            .or_else(|| cluster.node_pools.first());
        if cluster.node_pools.is_empty() {
            node_prefixes = Known::unknown("the cluster has no node pool in the input");
        }
        for pool in &cluster.node_pools {
            let prefixes = subnet_prefixes(model, &pool.subnet, &pool.display_name());
            if first_pool.is_some_and(|fp| fp.key == pool.key) {
                f.first_pool_subnet_prefixes = prefixes.clone();
            }
            node_prefixes = match (node_prefixes, prefixes) {
                (Known::Known(mut all), Known::Known(p)) => {
                    for n in p {
                        if !all.contains(&n) {
                            all.push(n);
                        }
                    }
                    Known::Known(all)
                }
                (Known::Unknown(r), _) => Known::Unknown(r),
                (_, Known::Unknown(r)) => Known::Unknown(r),
                (k, Known::Absent) => match k {
                    Known::Known(_) => Known::unknown(format!(
                        "node pool {} has no subnet in the input (AKS-managed VNet)",
                        pool.display_name()
                    )),
                    other => other,
                },
                (Known::Absent, k) => k,
            };

            // DNS servers of the pool's VNet
            let Known::Known(subnet_ref) = &pool.subnet else {
                if pool.subnet.is_unknown() {
                    f.dns_unknown.push(format!(
                        "the subnet of node pool {} is unknown, so are its DNS servers",
                        pool.display_name()
                    ));
                }
                // Absent: AKS-managed VNet, which uses Azure-provided DNS
                continue;
            };
            let Some(subnet) = model.subnet(subnet_ref) else {
                f.dns_unknown.push(format!(
                    "subnet {subnet_ref} of node pool {} is not in the input, so its DNS servers are unknown",
                    pool.display_name()
                ));
                continue;
            };
            let Some(vnet) = model.subnet_vnet(subnet) else {
                f.dns_unknown.push(format!(
                    "the virtual network of subnet {} is not in the input, so its DNS servers are unknown",
                    subnet.meta.address()
                ));
                continue;
            };
            if vnets_seen.contains(&vnet.meta.key) {
                continue;
            }
            vnets_seen.push(vnet.meta.key.clone());
            match &vnet.dns_servers {
                Known::Known(list) => {
                    for s in list {
                        let dup = f.custom_dns_servers.iter().any(|x| match (&x.ip, &s.ip) {
                            (Known::Known(a), Known::Known(b)) => a == b,
                            _ => x.symbol.is_some() && x.symbol == s.symbol,
                        });
                        if !dup {
                            f.custom_dns_servers.push(s.clone());
                        }
                    }
                }
                Known::Unknown(r) => f.dns_unknown.push(format!(
                    "the DNS servers of {} are unknown ({r})",
                    vnet.meta.address()
                )),
                Known::Absent => {}
            }
        }
        f.node_subnet_prefixes = node_prefixes;

        if f.apiserver_vnet_integration == Known::Known(true) {
            f.apiserver_subnet_prefixes =
                subnet_prefixes(model, &cluster.apiserver_subnet, "the API server");
        }
        f
    }

    /// Known IPs of the custom DNS servers.
    pub fn custom_dns_ips(&self) -> Vec<IpAddr> {
        self.custom_dns_servers
            .iter()
            .filter_map(|s| s.ip.known().copied())
            .collect()
    }
}

fn subnet_prefixes(model: &Model, subnet: &Known<Ref>, whose: &str) -> Known<Vec<IpNet>> {
    match subnet {
        Known::Known(r) => match model.subnet(r) {
            Some(s) => s.prefixes.clone().or(Known::unknown(format!(
                "subnet {} of {whose} has no address prefixes in the input",
                s.meta.address()
            ))),
            None => Known::unknown(format!("subnet {r} of {whose} is not in the input")),
        },
        Known::Unknown(r) => Known::Unknown(r.clone()),
        Known::Absent => Known::Absent,
    }
}

/// `West Europe` -> `westeurope`.
pub fn normalize_region(region: &str) -> String {
    region
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// One endpoint a cluster's nodes need.
#[derive(Debug, Clone, Serialize)]
pub struct Requirement {
    /// The catalogue or user endpoint id.
    pub endpoint_id: String,
    /// The destination as shown to users, placeholders substituted where known (`*.hcp.westeurope.azmk8s.io`,
    /// `10.1.0.4`, `tag:AzureMonitor`, `*`, `10.0.8.0/28`).
    pub host: String,
    /// Where the flow goes. `None` when the destination is not a single host, address or tag
    /// known before deployment: an unresolved placeholder (see `unresolved`) or an in-VNet range
    /// (see `within`).
    pub destination: Option<Destination>,
    /// For in-VNet destinations: the prefixes the destination address lies in (the API server
    /// subnet, or the first node pool subnet for the private endpoint). `Absent` otherwise.
    pub within: Known<Vec<IpNet>>,
    /// Placeholders left in `host` (`<region>`, `<apiserver-private-endpoint-ip>`, ...).
    pub unresolved: Vec<String>,
    pub protocol: Protocol,
    pub app_protocol: Option<AppProto>,
    pub port: u16,
    /// `false`: optional, or the condition could not be decided (see `note`).
    pub required: bool,
    pub condition: String,
    /// Other endpoint ids merged into this one (same host, protocol and port).
    pub also_ids: Vec<String>,
    /// Conditions of the merged endpoints.
    pub also_conditions: Vec<String>,
    pub service_tags: Vec<String>,
    pub purpose: String,
    pub source: String,
    pub uncertain: bool,
    pub failure: Option<FailureSpec>,
    pub from_user_config: bool,
    pub note: Option<String>,
    /// Where the endpoint is defined (built-in catalogue, policy directory or user configuration).
    pub location: Option<PolicyLocation>,
}

impl Requirement {
    /// `host:port/proto` for messages (`mcr.microsoft.com:443/https`).
    pub fn describe(&self) -> String {
        format!("{}:{}/{}", self.host, self.port, self.protocol_str())
    }

    /// `https`, `http`, `tcp` or `udp`.
    pub fn protocol_str(&self) -> &'static str {
        match (self.app_protocol, self.protocol) {
            (Some(AppProto::Https), _) => "https",
            (Some(AppProto::Http), _) => "http",
            (None, Protocol::Tcp) => "tcp",
            (None, Protocol::Udp) => "udp",
        }
    }

    /// The flow from the given node prefixes, when the destination is known. Service tags that
    /// still contain a placeholder (`AzureCloud.<region>` with an unknown region) are left out.
    pub fn flow(&self, source_prefixes: Vec<IpNet>) -> Option<Flow> {
        Some(Flow {
            source_prefixes,
            destination: self.destination.clone()?,
            destination_tags: self
                .service_tags
                .iter()
                .filter(|t| !t.contains('<'))
                .cloned()
                .collect(),
            protocol: self.protocol,
            port: self.port,
            app_protocol: self.app_protocol,
        })
    }
}

/// Does a condition apply?
#[derive(Debug, Clone, PartialEq, Eq)]
enum Applies {
    Yes,
    No,
    /// Applies, but as an optional row.
    Optional,
    /// Could not be decided; listed as optional with this note.
    Maybe(String),
}

fn decide(cond: &str, facts: &ClusterFacts, config: &Config, user: bool) -> Applies {
    if config.is_forced(cond) {
        return Applies::Yes;
    }
    let yes = |b: bool| if b { Applies::Yes } else { Applies::No };
    match cond {
        "always" => yes(user || !facts.network_isolated),
        "public-cluster" => {
            match (
                facts.private_cluster.as_ref(),
                facts.apiserver_vnet_integration.as_ref(),
            ) {
                (Known::Known(true), _) | (_, Known::Known(true)) => Applies::No,
                (Known::Unknown(r), _) => Applies::Maybe(format!(
                    "needed only if the cluster is not private; whether it is private is unknown ({r})"
                )),
                (_, Known::Unknown(r)) => Applies::Maybe(format!(
                    "needed only without API Server VNet Integration, which is unknown ({r})"
                )),
                _ => Applies::Yes,
            }
        }
        // Modern clusters run konnectivity over *.hcp.<region>.azmk8s.io:443; the legacy tunnel
        // is not visible in any configuration, so it is only listed when forced.
        "public-cluster-no-konnectivity" => Applies::No,
        "private-cluster" => match (
            facts.private_cluster.as_ref(),
            facts.apiserver_vnet_integration.as_ref(),
        ) {
            (Known::Known(false) | Known::Absent, _) => Applies::No,
            (_, Known::Known(true)) => Applies::No,
            (Known::Unknown(r), _) => Applies::Maybe(format!(
                "needed only for a private cluster; whether it is private is unknown ({r})"
            )),
            (Known::Known(true), Known::Unknown(r)) => Applies::Maybe(format!(
                "needed only without API Server VNet Integration, which is unknown ({r})"
            )),
            (Known::Known(true), _) => Applies::Yes,
        },
        "apiserver-vnet-integration" => match facts.apiserver_vnet_integration.as_ref() {
            Known::Known(b) => yes(*b),
            Known::Unknown(r) => Applies::Maybe(format!(
                "needed only with API Server VNet Integration, which is unknown ({r})"
            )),
            Known::Absent => Applies::No,
        },
        "network-isolated" => yes(facts.network_isolated),
        "custom-dns" => yes(!facts.custom_dns_servers.is_empty()),
        "pods-use-apiserver-ip" | "legacy-ntp" => Applies::No,
        "legacy-fallback" | "optional:os-updates" => {
            if facts.network_isolated && !user {
                Applies::No
            } else {
                Applies::Optional
            }
        }
        "gpu" => yes(facts.has_gpu),
        "windows" => yes(facts.has_windows),
        "extension:any" => yes(facts.features.iter().any(|f| f.starts_with("extension:"))),
        "platform" | "observed-only" => Applies::No,
        other => yes(facts.features.iter().any(|f| f == other)),
    }
}

/// The requirements of one cluster: catalogue rows for the cluster's cloud (the config's `cloud`
/// wins over `facts.cloud`), minus `disable`d ids, plus the config's endpoints (an endpoint whose
/// id is in the catalogue replaces that row). Rows with the same host, protocol and port are
/// merged (required if any is). Order: catalogue order, then user endpoints.
pub fn requirements(
    catalogue: &Catalogue,
    config: &Config,
    facts: &ClusterFacts,
) -> Vec<Requirement> {
    let cloud = config
        .cloud
        .as_ref()
        .map(|c| c.value)
        .unwrap_or(facts.cloud);
    let mut rows: Vec<(&Endpoint, bool)> = catalogue
        .for_cloud(cloud)
        .filter(|e| !config.is_disabled(&e.id))
        .map(|e| (e, false))
        .collect();
    for u in config.endpoints.iter().filter(|e| e.cloud.includes(cloud)) {
        match rows.iter_mut().find(|(e, _)| e.id == u.id) {
            Some(slot) => *slot = (u, true),
            None => rows.push((u, true)),
        }
    }

    let mut out: Vec<Requirement> = Vec::new();
    for (ep, user) in rows {
        let applies = decide(&ep.condition, facts, config, user);
        let (required, note) = match &applies {
            Applies::No => continue,
            Applies::Yes => (ep.required, None),
            Applies::Optional => (false, None),
            Applies::Maybe(n) => (false, Some(n.clone())),
        };
        for mut r in expand(ep, facts) {
            r.required = required;
            r.from_user_config = user;
            r.note = join_notes(note.clone(), r.note.take());
            merge_into(&mut out, r);
        }
    }
    out
}

fn join_notes(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(format!("{a}; {b}")),
        (a, b) => a.or(b),
    }
}

/// Substitute placeholders; one endpoint gives zero (custom DNS without known servers), one or
/// several (one per custom DNS server) requirements.
fn expand(ep: &Endpoint, facts: &ClusterFacts) -> Vec<Requirement> {
    let base = |host: String| -> Requirement {
        let service_tags = ep
            .service_tags
            .iter()
            .map(|t| match &facts.region {
                Some(r) => t.replace("<region>", r),
                None => t.clone(),
            })
            .collect();
        Requirement {
            endpoint_id: ep.id.clone(),
            host,
            destination: None,
            within: Known::Absent,
            unresolved: Vec::new(),
            protocol: ep.protocol.transport(),
            app_protocol: ep.protocol.app(),
            port: ep.port,
            required: ep.required,
            condition: ep.condition.clone(),
            also_ids: Vec::new(),
            also_conditions: Vec::new(),
            service_tags,
            purpose: ep.purpose.clone(),
            source: ep.source.clone(),
            uncertain: ep.uncertain,
            failure: ep.failure.clone(),
            from_user_config: false,
            note: None,
            location: ep.location.clone(),
        }
    };

    let d = ep.destination.as_str();
    if d.contains("<custom-dns-server-ip>") {
        return facts
            .custom_dns_ips()
            .into_iter()
            .map(|ip| {
                let mut r = base(d.replace("<custom-dns-server-ip>", &ip.to_string()));
                r.destination = destination_of(&r.host);
                r
            })
            .collect();
    }

    let mut r = base(d.to_string());
    if r.host.contains("<region>") {
        match &facts.region {
            Some(region) => r.host = r.host.replace("<region>", region),
            None => {
                r.unresolved.push("<region>".into());
                r.note =
                    Some("the cluster region is unknown, so the host name keeps `<region>`".into());
            }
        }
    }
    if r.host.contains("<apiserver-private-endpoint-ip>") {
        r.unresolved.push("<apiserver-private-endpoint-ip>".into());
        r.within = facts.first_pool_subnet_prefixes.clone();
        r.note = Some(
            "AKS allocates the API server private endpoint IP in the first node pool's subnet at deployment"
                .into(),
        );
    }
    if r.host.contains("<apiserver-subnet-cidr>") {
        r.within = facts.apiserver_subnet_prefixes.clone();
        match &facts.apiserver_subnet_prefixes {
            Known::Known(p) if !p.is_empty() => {
                let cidrs: Vec<String> = p.iter().map(|n| n.to_string()).collect();
                r.host = r.host.replace("<apiserver-subnet-cidr>", &cidrs.join(","));
            }
            Known::Unknown(reason) => {
                r.unresolved.push("<apiserver-subnet-cidr>".into());
                r.note = Some(format!(
                    "the API server subnet prefixes are unknown ({reason})"
                ));
            }
            _ => {
                r.unresolved.push("<apiserver-subnet-cidr>".into());
                r.note = Some("the API server subnet is not in the input".into());
            }
        }
    }
    if r.host.contains("<apiserver-public-ip>") {
        r.unresolved.push("<apiserver-public-ip>".into());
        r.note = Some(
            "the API server public IP is assigned by AKS and not known before deployment".into(),
        );
    }
    if r.host.contains("<bootstrap-acr>") {
        r.unresolved.push("<bootstrap-acr>".into());
        r.note = Some(
            "the bootstrap registry is not in the model; add it (and its <region>.data endpoint) as [[endpoint]] in the configuration file"
                .into(),
        );
    }
    if r.unresolved.is_empty() && r.within.is_absent() {
        r.destination = destination_of(&r.host);
    }
    vec![r]
}

/// The flow destination of a substituted host.
fn destination_of(host: &str) -> Option<Destination> {
    if host == "*" {
        return Some(Destination::AnyPublic);
    }
    if let Some(tag) = host.strip_prefix("tag:") {
        return Some(Destination::Tag(tag.to_string()));
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Some(Destination::Ip(ip));
    }
    Some(Destination::Host(host.to_string()))
}

/// Add `r` to `out`, merging with an existing requirement for the same host, protocol and port.
fn merge_into(out: &mut Vec<Requirement>, r: Requirement) {
    let same = |x: &Requirement| {
        x.host.eq_ignore_ascii_case(&r.host)
            && x.protocol == r.protocol
            && x.app_protocol == r.app_protocol
            && x.port == r.port
    };
    let Some(existing) = out.iter_mut().find(|x| same(x)) else {
        out.push(r);
        return;
    };
    // The required one leads (its condition, purpose and failure); the other is recorded.
    let (mut lead, other) = if r.required && !existing.required {
        (r, existing.clone())
    } else {
        (existing.clone(), r)
    };
    lead.also_ids.push(other.endpoint_id.clone());
    lead.also_ids.extend(other.also_ids);
    if other.condition != lead.condition && !lead.also_conditions.contains(&other.condition) {
        lead.also_conditions.push(other.condition.clone());
    }
    for c in other.also_conditions {
        if c != lead.condition && !lead.also_conditions.contains(&c) {
            lead.also_conditions.push(c);
        }
    }
    for t in other.service_tags {
        if !lead.service_tags.contains(&t) {
            lead.service_tags.push(t);
        }
    }
    lead.from_user_config |= other.from_user_config;
    if lead.failure.is_none() {
        lead.failure = other.failure;
    }
    *existing = lead;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Meta, NodePool, Subnet, VirtualNetwork};
    use crate::source::Origin;

    fn cat() -> &'static Catalogue {
        Catalogue::builtin().expect("builtin")
    }

    fn ids(reqs: &[Requirement]) -> Vec<&str> {
        reqs.iter().map(|r| r.endpoint_id.as_str()).collect()
    }

    fn find<'a>(reqs: &'a [Requirement], id: &str) -> Option<&'a Requirement> {
        reqs.iter().find(|r| r.endpoint_id == id)
    }

    fn public_we() -> ClusterFacts {
        let mut f = ClusterFacts::new("azurerm_kubernetes_cluster.aks");
        f.region = Some("westeurope".into());
        f
    }

    #[test]
    fn public_lb_cluster() {
        let reqs = requirements(cat(), &Config::default(), &public_we());
        let got = ids(&reqs);
        assert_eq!(
            got,
            vec![
                "public.hcp",
                "public.mcr",
                "public.mcr-data",
                "public.mcr-edge",
                "public.arm",
                "public.entra",
                "public.packages-microsoft",
                "public.packages-aks",
                "public.acs-mirror",
                "public.ubuntu-security",
                "public.ubuntu-archive",
                "public.ubuntu-changelogs",
                "public.ubuntu-snapshot",
            ]
        );
        let hcp = find(&reqs, "public.hcp").expect("hcp");
        assert_eq!(hcp.host, "*.hcp.westeurope.azmk8s.io");
        assert_eq!(
            hcp.destination,
            Some(Destination::Host("*.hcp.westeurope.azmk8s.io".into()))
        );
        assert!(hcp.required);
        assert_eq!(hcp.protocol, Protocol::Tcp);
        assert_eq!(hcp.app_protocol, Some(AppProto::Https));
        assert_eq!(hcp.describe(), "*.hcp.westeurope.azmk8s.io:443/https");
        let mcr = find(&reqs, "public.mcr").expect("mcr");
        assert_eq!(mcr.failure.as_ref().and_then(|f| f.exit_code), Some(50));
        // optional rows are present but not required
        assert!(!find(&reqs, "public.acs-mirror").expect("acs").required);
        assert!(!find(&reqs, "public.ubuntu-security").expect("u").required);
        // no legacy tunnel, NTP, private endpoint, platform, DNS rows
        assert!(reqs.iter().all(|r| r.note.is_none() && !r.from_user_config));
        let flow = mcr
            .flow(vec!["10.0.0.0/22".parse().expect("net")])
            .expect("flow");
        assert_eq!(flow.describe(), "mcr.microsoft.com:443/tcp");
        assert_eq!(flow.destination_tags.len(), 2);
    }

    #[test]
    fn private_cluster_has_private_endpoint_not_hcp() {
        let mut f = public_we();
        f.private_cluster = Known::Known(true);
        f.first_pool_subnet_prefixes = Known::Known(vec!["10.0.0.0/22".parse().expect("net")]);
        let reqs = requirements(cat(), &Config::default(), &f);
        assert!(find(&reqs, "public.hcp").is_none());
        let pe = find(&reqs, "all.apiserver-private-endpoint").expect("pe");
        assert!(pe.required);
        assert_eq!(pe.destination, None);
        assert_eq!(pe.unresolved, vec!["<apiserver-private-endpoint-ip>"]);
        assert_eq!(
            pe.within,
            Known::Known(vec!["10.0.0.0/22".parse().expect("net")])
        );
        assert!(pe.flow(vec![]).is_none());
        assert_eq!(pe.failure.as_ref().and_then(|f| f.exit_code), Some(51));

        // private + VNet integration: no private endpoint, the API server subnet instead
        f.apiserver_vnet_integration = Known::Known(true);
        f.apiserver_subnet_prefixes = Known::Known(vec!["10.0.8.0/28".parse().expect("net")]);
        let reqs = requirements(cat(), &Config::default(), &f);
        assert!(find(&reqs, "all.apiserver-private-endpoint").is_none());
        assert!(find(&reqs, "public.hcp").is_none());
        let v: Vec<(&str, u16)> = reqs
            .iter()
            .filter(|r| r.condition == "apiserver-vnet-integration")
            .map(|r| (r.host.as_str(), r.port))
            .collect();
        assert_eq!(v, vec![("10.0.8.0/28", 443), ("10.0.8.0/28", 4443)]);
    }

    #[test]
    fn unknown_private_flag_lists_both_as_optional_with_notes() {
        let mut f = public_we();
        f.private_cluster = Known::unknown("known after apply");
        let reqs = requirements(cat(), &Config::default(), &f);
        let hcp = find(&reqs, "public.hcp").expect("hcp listed");
        assert!(!hcp.required);
        assert!(
            hcp.note
                .as_deref()
                .is_some_and(|n| n.contains("known after apply"))
        );
        let pe = find(&reqs, "all.apiserver-private-endpoint").expect("pe listed");
        assert!(!pe.required);
        assert!(pe.note.as_deref().is_some_and(|n| n.contains("private")));
        assert!(find(&reqs, "public.mcr").is_some_and(|r| r.required));
    }

    #[test]
    fn china_region_gets_china_rows() {
        let mut f = public_we();
        f.region = Some("chinanorth3".into());
        f.cloud = Cloud::from_region("chinanorth3");
        let reqs = requirements(cat(), &Config::default(), &f);
        assert!(reqs.iter().all(|r| r.endpoint_id.starts_with("china.")));
        let hosts: Vec<&str> = reqs.iter().map(|r| r.host.as_str()).collect();
        for h in [
            "*.hcp.chinanorth3.cx.prod.service.azk8s.cn",
            "*.tun.chinanorth3.cx.prod.service.azk8s.cn",
            "mcr.azure.cn",
            "*.azk8s.cn",
            "ntp.ubuntu.com",
            "*",
        ] {
            assert!(hosts.contains(&h), "{h} missing from {hosts:?}");
        }
        // the China tunnel rows are public-cluster rows: `*` UDP 1194 with AzureCloud.chinanorth3
        let t = find(&reqs, "china.tunnel-udp-1194").expect("tunnel");
        assert_eq!(t.destination, Some(Destination::AnyPublic));
        assert_eq!(t.service_tags, vec!["AzureCloud.chinanorth3"]);
        // `*` TCP 9000 and `*` TCP 22 stay separate (different ports)
        assert!(find(&reqs, "china.tunnel-tcp-22").is_some());
        // config cloud override wins
        let c = Config::parse("c.toml", "cloud = \"public\"").expect("cfg");
        let reqs = requirements(cat(), &c, &f);
        assert!(find(&reqs, "public.mcr").is_some());
        assert!(find(&reqs, "china.mcr").is_none());
    }

    #[test]
    fn addons_gpu_windows_and_merging() {
        let mut f = public_we();
        f.features = vec![
            "addon:monitoring".into(),
            "feature:workload-identity".into(),
            "extension:marketplace".into(),
        ];
        f.has_gpu = true;
        f.has_windows = true;
        let reqs = requirements(cat(), &Config::default(), &f);
        let tag = find(&reqs, "public.monitor-tag").expect("monitor tag");
        assert_eq!(
            tag.destination,
            Some(Destination::Tag("AzureMonitor".into()))
        );
        assert_eq!(tag.app_protocol, None);
        let region_handler = find(&reqs, "public.monitor-handler-region").expect("handler");
        assert_eq!(
            region_handler.host,
            "westeurope.handler.control.monitor.azure.com"
        );
        // workload identity's login.microsoftonline.com merges into the core Entra row
        assert!(find(&reqs, "public.workload-identity-entra").is_none());
        let entra = find(&reqs, "public.entra").expect("entra");
        assert_eq!(entra.also_ids, vec!["public.workload-identity-entra"]);
        assert_eq!(entra.also_conditions, vec!["feature:workload-identity"]);
        assert_eq!(entra.condition, "always");
        // extension:any applies with any extension
        assert!(find(&reqs, "public.extension-config").is_some());
        assert!(find(&reqs, "public.marketplace-api").is_some());
        assert!(find(&reqs, "all.gpu-nvidia-github").is_some());
        assert!(find(&reqs, "all.windows-ctldl").is_some());
        // not enabled
        assert!(find(&reqs, "public.policy-data").is_none());
        assert!(find(&reqs, "public.defender-cloud").is_none());
        // monitoring + azure policy both list dc.services.visualstudio.com: one requirement
        f.features.push("addon:azure-policy".into());
        let reqs = requirements(cat(), &Config::default(), &f);
        let dc: Vec<_> = reqs
            .iter()
            .filter(|r| r.host == "dc.services.visualstudio.com")
            .collect();
        assert_eq!(dc.len(), 1);
        assert_eq!(dc[0].also_ids, vec!["public.policy-dc"]);
    }

    #[test]
    fn custom_dns_servers_give_one_requirement_each() {
        let mut f = public_we();
        let ipv = |ip: Known<IpAddr>| IpValue {
            ip,
            symbol: None,
            origin: Origin::none(),
        };
        f.custom_dns_servers = vec![
            ipv(Known::Known("10.1.0.4".parse().expect("ip"))),
            ipv(Known::unknown("firewall private IP known after apply")),
            ipv(Known::Known("10.1.0.5".parse().expect("ip"))),
        ];
        let reqs = requirements(cat(), &Config::default(), &f);
        let dns: Vec<(String, Protocol)> = reqs
            .iter()
            .filter(|r| r.condition == "custom-dns")
            .map(|r| (r.host.clone(), r.protocol))
            .collect();
        assert_eq!(
            dns,
            vec![
                ("10.1.0.4".to_string(), Protocol::Udp),
                ("10.1.0.5".to_string(), Protocol::Udp),
                ("10.1.0.4".to_string(), Protocol::Tcp),
                ("10.1.0.5".to_string(), Protocol::Tcp),
            ]
        );
        let first = reqs.iter().find(|r| r.host == "10.1.0.4").expect("dns");
        assert_eq!(
            first.destination,
            Some(Destination::Ip("10.1.0.4".parse().expect("ip")))
        );
        assert_eq!(first.port, 53);
        assert!(first.required);
    }

    #[test]
    fn network_isolated_cluster_needs_only_its_registry_and_api_server() {
        let mut f = public_we();
        f.network_isolated = true;
        f.private_cluster = Known::Known(true);
        let reqs = requirements(cat(), &Config::default(), &f);
        assert_eq!(
            ids(&reqs),
            vec!["all.apiserver-private-endpoint", "all.bootstrap-acr"]
        );
        let acr = find(&reqs, "all.bootstrap-acr").expect("acr");
        assert_eq!(acr.unresolved, vec!["<bootstrap-acr>"]);
        assert!(acr.destination.is_none());
        assert_eq!(acr.failure.as_ref().and_then(|f| f.exit_code), Some(211));
    }

    #[test]
    fn user_config_endpoints_disable_and_force() {
        let cfg = Config::parse(
            "c.toml",
            r#"
disable = ["public.acs-mirror", "public.ubuntu-security"]
force_conditions = ["legacy-ntp", "public-cluster-no-konnectivity"]

[[endpoint]]
destination = "myacr.azurecr.io"
protocol = "https"
port = 443

[[endpoint]]
destination = "myacr.<region>.data.azurecr.io"
protocol = "https"
port = 443

[[endpoint]]
id = "public.arm"
destination = "management.azure.com"
protocol = "https"
port = 443
required = false
purpose = "we accept ARM being blocked"
"#,
        )
        .expect("cfg");
        let mut f = public_we();
        f.network_isolated = false;
        let reqs = requirements(cat(), &cfg, &f);
        assert!(find(&reqs, "public.acs-mirror").is_none());
        assert!(find(&reqs, "public.ubuntu-security").is_none());
        let ntp = find(&reqs, "public.ntp").expect("forced ntp");
        assert!(
            !ntp.required,
            "catalogue says optional even when its condition holds"
        );
        let tunnel = find(&reqs, "public.tunnel-udp-1194").expect("forced tunnel");
        assert!(tunnel.required);
        assert_eq!(tunnel.service_tags, vec!["AzureCloud.westeurope"]);
        let acr = find(&reqs, "user.myacr.azurecr.io:443").expect("user acr");
        assert!(acr.required && acr.from_user_config);
        assert!(acr.location.as_ref().is_some_and(|l| l.file == "c.toml"));
        let data = find(&reqs, "user.myacr.<region>.data.azurecr.io:443").expect("data");
        assert_eq!(data.host, "myacr.westeurope.data.azurecr.io");
        assert_eq!(
            data.destination,
            Some(Destination::Host("myacr.westeurope.data.azurecr.io".into()))
        );
        assert_eq!(
            reqs.last().map(|r| r.endpoint_id.as_str()),
            Some("user.myacr.<region>.data.azurecr.io:443")
        );
        let arm = find(&reqs, "public.arm").expect("overridden arm");
        assert!(!arm.required && arm.from_user_config);
        assert_eq!(arm.purpose, "we accept ARM being blocked");

        // user endpoints with `always` apply to network-isolated clusters too
        f.network_isolated = true;
        let reqs = requirements(cat(), &cfg, &f);
        assert!(find(&reqs, "user.myacr.azurecr.io:443").is_some());
        assert!(find(&reqs, "public.mcr").is_none());
    }

    #[test]
    fn unknown_region_keeps_placeholder() {
        let f = ClusterFacts::new("x");
        let reqs = requirements(cat(), &Config::default(), &f);
        let hcp = find(&reqs, "public.hcp").expect("hcp");
        assert_eq!(hcp.host, "*.hcp.<region>.azmk8s.io");
        assert_eq!(hcp.unresolved, vec!["<region>"]);
        assert!(hcp.destination.is_none());
        assert!(hcp.required);
        assert!(hcp.note.as_deref().is_some_and(|n| n.contains("region")));
    }

    fn meta(key: &str) -> Meta {
        Meta::new(key, Origin::none())
    }

    fn test_model(dns: Known<Vec<IpValue>>) -> (Model, Cluster) {
        let mut m = Model::new();
        m.vnets.push(VirtualNetwork {
            meta: meta("azurerm_virtual_network.spoke"),
            address_space: Known::Known(vec!["10.0.0.0/16".parse().expect("net")]),
            dns_servers: dns,
        });
        m.subnets.push(Subnet {
            meta: meta("azurerm_subnet.nodes"),
            vnet: Known::Known(Ref::key("azurerm_virtual_network.spoke")),
            prefixes: Known::Known(vec!["10.0.0.0/22".parse().expect("net")]),
            nsg: Known::Absent,
            route_table: Known::Absent,
            nat_gateway: Known::Absent,
            default_outbound_access: Known::Absent,
            delegations: vec![],
            private_endpoint_network_policies: Known::Absent,
        });
        m.finish();
        let mut cm = meta("azurerm_kubernetes_cluster.aks");
        cm.location = Known::Known("West Europe".into());
        let pool = |key: &str, os: OsType, gpu: bool| NodePool {
            key: key.into(),
            name: Known::Known(key.rsplit('/').next().unwrap_or(key).into()),
            origin: Origin::none(),
            subnet: Known::Known(Ref::key("azurerm_subnet.nodes")),
            subnet_origin: Origin::none(),
            os_type: Known::Known(os),
            vm_size: Known::Absent,
            gpu,
            node_public_ip: Known::Absent,
            mode: Known::Absent,
            lifecycle: Default::default(),
        };
        let cluster = Cluster {
            meta: cm,
            identity: Known::Absent,
            dns_prefix: Known::Absent,
            outbound_type: Known::Known(OutboundType::UserDefinedRouting),
            network_plugin: Known::Absent,
            network_plugin_mode: Known::Absent,
            private_cluster: Known::Absent,
            private_dns_zone: Known::Absent,
            private_cluster_public_fqdn: Known::Absent,
            authorized_ip_ranges: Known::Absent,
            apiserver_vnet_integration: Known::Absent,
            apiserver_subnet: Known::Absent,
            lb_outbound_ips: vec![],
            lb_outbound_ip_prefixes: vec![],
            bootstrap_artifact_source: Known::Absent,
            http_proxy: Known::Absent,
            features: vec!["addon:monitoring".into()],
            node_pools: vec![
                pool(
                    "azurerm_kubernetes_cluster.aks/default_node_pool",
                    OsType::Linux,
                    false,
                ),
                pool(
                    "azurerm_kubernetes_cluster_node_pool.win",
                    OsType::Windows,
                    false,
                ),
                pool(
                    "azurerm_kubernetes_cluster_node_pool.gpu",
                    OsType::Linux,
                    true,
                ),
            ],
        };
        (m, cluster)
    }

    #[test]
    fn facts_from_model() {
        let dns = vec![
            IpValue {
                ip: Known::Known("10.1.0.4".parse().expect("ip")),
                symbol: None,
                origin: Origin::none(),
            },
            IpValue {
                ip: Known::Known("10.1.0.4".parse().expect("ip")),
                symbol: None,
                origin: Origin::none(),
            },
        ];
        let (m, c) = test_model(Known::Known(dns));
        let f = ClusterFacts::from_model(&m, &c);
        assert_eq!(f.address, "azurerm_kubernetes_cluster.aks");
        assert_eq!(f.region.as_deref(), Some("westeurope"));
        assert_eq!(f.cloud, Cloud::Public);
        assert_eq!(f.private_cluster, Known::Known(false));
        assert_eq!(f.apiserver_vnet_integration, Known::Known(false));
        assert!(f.has_windows && f.has_gpu && !f.network_isolated);
        assert_eq!(
            f.custom_dns_ips(),
            vec!["10.1.0.4".parse::<IpAddr>().expect("ip")]
        );
        assert_eq!(
            f.node_subnet_prefixes,
            Known::Known(vec!["10.0.0.0/22".parse().expect("net")])
        );
        assert_eq!(f.first_pool_subnet_prefixes, f.node_subnet_prefixes);
        assert!(f.dns_unknown.is_empty());
        let reqs = requirements(cat(), &Config::default(), &f);
        assert!(find(&reqs, "public.custom-dns-udp").is_some_and(|r| r.host == "10.1.0.4"));
        assert!(find(&reqs, "public.monitor-tag").is_some());

        let (m, mut c) = test_model(Known::unknown("computed"));
        c.meta.location = Known::Known("China North 3".into());
        c.bootstrap_artifact_source = Known::Known("Cache".into());
        c.outbound_type = Known::Known(OutboundType::None);
        let f = ClusterFacts::from_model(&m, &c);
        assert_eq!(f.cloud, Cloud::China);
        assert_eq!(f.region.as_deref(), Some("chinanorth3"));
        assert!(f.network_isolated);
        assert!(f.custom_dns_servers.is_empty());
        assert_eq!(f.dns_unknown.len(), 1);
        assert!(f.dns_unknown[0].contains("computed"));

        // subnet missing from the input
        let (mut m, c) = test_model(Known::Absent);
        m.subnets.clear();
        m.finish();
        let f = ClusterFacts::from_model(&m, &c);
        assert!(f.node_subnet_prefixes.is_unknown());
        assert!(f.dns_unknown.iter().any(|n| n.contains("not in the input")));
    }
}
