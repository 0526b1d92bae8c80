//! `az aks create`: the planned cluster and its default node pool, with the defaults az and the
//! AKS API apply, after the checks az itself makes.
//!
//! Defaults (sources in the module documentation of `input::azcli`): outbound type
//! `loadBalancer` (`managedNATGateway` for `--sku automatic`); network plugin left to the AKS
//! API, which chooses Azure CNI Overlay for Kubernetes 1.30 and later and kubenet before;
//! private clusters get the `system` private DNS zone and keep a public FQDN unless
//! `--disable-public-fqdn`; the bootstrap artifact source is `Direct`; the node pool is
//! `nodepool1`, a Linux system pool.

use super::parse::CommandLine;
use super::validate::{self as v, AzError, Checked};
use super::{Reader, cli_origin, defaults_note, subscription_of};
use crate::model::{
    Cluster, ClusterIdentity, HttpProxy, Known, Lifecycle, Meta, Model, NodePool, OsType,
    OutboundType, PrefixValue, PrivateDnsZoneSetting, Ref, ResourceId,
};
use crate::source::FileId;
use std::ops::Range;

/// The cluster id (when the subscription is known) and the address shown for it.
fn identity(sub: Option<&str>, rg: &str, name: &str) -> (Option<ResourceId>, String) {
    let id = sub.map(|s| {
        ResourceId::new(format!(
            "/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}"
        ))
    });
    (id, format!("{rg}/managedClusters/{name}"))
}

/// azure-cli's `_get_default_dns_prefix`.
fn default_dns_prefix(name: &str, rg: &str, sub: &str) -> String {
    let clean = |s: &str, n: usize| -> String {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .take(n)
            .collect()
    };
    let mut name_part = clean(name, 10);
    if !name_part.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name_part = format!("a{name_part}").chars().take(10).collect();
    }
    format!(
        "{name_part}-{}-{}",
        clean(rg, 16),
        sub.chars().take(6).collect::<String>()
    )
}

/// The checks az makes before it sends the request, in the order it makes them.
fn check(cl: &CommandLine) -> Checked<Option<(u32, u32)>> {
    v::required(cl, &["--resource-group", "--name"])?;
    if let Some(a) = cl.get("--name") {
        v::cluster_name(a)?;
    }
    if let Some(a) = cl.get("--nodepool-name") {
        v::nodepool_name(a)?;
    }
    let version = v::kubernetes_version(cl)?;
    for id in [
        "--vnet-subnet-id",
        "--pod-subnet-id",
        "--apiserver-subnet-id",
        "--assign-identity",
        "--assign-kubelet-identity",
        "--bootstrap-container-registry-resource-id",
        "--snapshot-id",
        "--ppg",
        "--host-group-id",
        "--crg-id",
    ] {
        v::resource_id(cl, id)?;
    }
    v::authorized_ip_ranges(cl)?;
    v::network_policy(cl)?;
    v::outbound_ports(cl)?;
    v::int_in(
        cl,
        "--load-balancer-idle-timeout",
        4,
        100,
        "--load-balancer-idle-timeout must be in the range [4,100]",
    )?;
    v::int_in(
        cl,
        "--nat-gateway-managed-outbound-ip-count",
        1,
        16,
        "--nat-gateway-managed-outbound-ip-count must be in the range [1,16]",
    )?;
    v::int_in(
        cl,
        "--nat-gateway-idle-timeout",
        4,
        120,
        "--nat-gateway-idle-timeout must be in the range [4,120]",
    )?;
    v::int(cl, "--load-balancer-managed-outbound-ip-count")?;
    v::int(cl, "--max-pods")?;
    v::int(cl, "--node-count")?;

    // the managed cluster decorator
    let span = |n: &str| cl.get(n).map(|a| a.span.clone()).unwrap_or(cl.head.clone());
    let basic_lb = cl
        .value("--load-balancer-sku")
        .is_some_and(|s| s.eq_ignore_ascii_case("basic"));
    let outbound = cl.value("--outbound-type").map(str::to_ascii_lowercase);
    if let Some(ot) = outbound.as_deref() {
        let named = cl.value("--outbound-type").unwrap_or_default();
        if matches!(
            ot,
            "userdefinedrouting" | "managednatgateway" | "userassignednatgateway"
        ) {
            if basic_lb {
                return Err(AzError::at(
                    span("--load-balancer-sku"),
                    format!("{named} doesn't support basic load balancer sku"),
                ));
            }
            if ot != "managednatgateway" && cl.value("--vnet-subnet-id").is_none_or(str::is_empty) {
                return Err(AzError::at(
                    span("--outbound-type"),
                    "--vnet-subnet-id must be specified for userDefinedRouting and it must be pre-configured with a route table with egress rules",
                )
                .help(if ot == "userdefinedrouting" {
                    "give --vnet-subnet-id: the node subnet, associated with a route table whose 0.0.0.0/0 route goes to your firewall"
                } else {
                    "give --vnet-subnet-id: the node subnet, associated with a NAT gateway that has public IPs or prefixes"
                }));
            }
        }
        if ot == "userdefinedrouting" {
            for n in [
                "--load-balancer-managed-outbound-ip-count",
                "--load-balancer-outbound-ips",
                "--load-balancer-outbound-ip-prefixes",
            ] {
                if cl.value(n).is_some_and(|x| !x.is_empty() && x != "0") {
                    return Err(AzError::at(
                        span(n),
                        "userDefinedRouting doesn't support customizing a standard load balancer with IP addresses",
                    ));
                }
            }
        }
    }
    let plugin = cl.value("--network-plugin");
    if plugin.is_none() {
        for n in [
            "--pod-cidr",
            "--service-cidr",
            "--dns-service-ip",
            "--docker-bridge-address",
            "--network-policy",
        ] {
            if cl.value(n).is_some_and(|x| !x.is_empty()) {
                return Err(AzError::at(span(n), "Please explicitly specify the network plugin type")
                    .help("add --network-plugin azure (with --network-plugin-mode overlay for a pod CIDR) or --network-plugin kubenet"));
            }
        }
    } else if plugin.is_some_and(|p| p.eq_ignore_ascii_case("azure"))
        && cl.value("--pod-cidr").is_some_and(|x| !x.is_empty())
        && !cl
            .value("--network-plugin-mode")
            .is_some_and(|m| m.eq_ignore_ascii_case("overlay"))
    {
        return Err(AzError::at(
            span("--pod-cidr"),
            "Please specify network plugin mode `overlay` when using pod_cidr or use network plugin `kubenet`. For more information about Azure CNI Overlay please see https://aka.ms/aksoverlay",
        ));
    }
    if cl.has("--apiserver-subnet-id") {
        if cl.value("--vnet-subnet-id").is_none_or(str::is_empty) {
            return Err(AzError::at(
                span("--apiserver-subnet-id"),
                "\"--apiserver-subnet-id\" requires \"--vnet-subnet-id\".",
            ));
        }
        if !cl.has("--enable-apiserver-vnet-integration") {
            return Err(AzError::at(
                span("--apiserver-subnet-id"),
                "\"--apiserver-subnet-id\" requires \"--enable-apiserver-vnet-integration\".",
            ));
        }
    }
    let private = cl.has("--enable-private-cluster");
    let has_ranges = cl
        .value("--api-server-authorized-ip-ranges")
        .is_some_and(|x| !x.is_empty());
    if private {
        if basic_lb {
            return Err(AzError::at(
                span("--load-balancer-sku"),
                "Please use standard load balancer for private cluster",
            ));
        }
        if has_ranges {
            return Err(AzError::at(
                span("--api-server-authorized-ip-ranges"),
                "--api-server-authorized-ip-ranges is not supported for private cluster",
            ));
        }
    } else {
        if cl.has("--disable-public-fqdn") {
            return Err(AzError::at(
                span("--disable-public-fqdn"),
                "--disable-public-fqdn should only be used with --enable-private-cluster",
            ));
        }
        if cl
            .value("--private-dns-zone")
            .is_some_and(|x| !x.is_empty())
        {
            return Err(AzError::at(
                span("--private-dns-zone"),
                "Invalid private dns zone for public cluster. It should always be empty for public cluster",
            ));
        }
    }
    if has_ranges && basic_lb {
        return Err(AzError::at(
            span("--api-server-authorized-ip-ranges"),
            "--api-server-authorized-ip-ranges can only be used with standard load balancer",
        ));
    }
    let zone = cl.value("--private-dns-zone").unwrap_or_default();
    let custom_zone = !zone.is_empty()
        && !zone.eq_ignore_ascii_case("system")
        && !zone.eq_ignore_ascii_case("none");
    if custom_zone && !v::is_valid_resource_id(zone) {
        return Err(AzError::at(
            span("--private-dns-zone"),
            format!("{zone} is not a valid Azure resource ID."),
        ));
    }
    if cl.value("--fqdn-subdomain").is_some_and(|x| !x.is_empty()) {
        if !custom_zone {
            return Err(AzError::at(
                span("--fqdn-subdomain"),
                "--fqdn-subdomain should only be used for private cluster with custom private dns zone",
            ));
        }
        if cl.value("--dns-name-prefix").is_some_and(|x| !x.is_empty()) {
            return Err(AzError::at(
                span("--fqdn-subdomain"),
                "--dns-name-prefix and --fqdn-subdomain cannot be used at same time",
            ));
        }
    }
    if cl.has("--bootstrap-container-registry-resource-id")
        && !cl
            .value("--bootstrap-artifact-source")
            .is_some_and(|s| s.eq_ignore_ascii_case("cache"))
    {
        return Err(AzError::at(span("--bootstrap-container-registry-resource-id"), "--bootstrap-container-registry-resource-id requires --bootstrap-artifact-source Cache")
            .help("az's help: \"Configure container registry resource ID. Must use \\\"Cache\\\" as bootstrap artifact source.\""));
    }
    Ok(version)
}

/// Map `--enable-addons` names to the catalogue's condition keywords.
fn addon_feature(name: &str) -> String {
    match name {
        "monitoring" => "addon:monitoring".into(),
        "azure-policy" => "addon:azure-policy".into(),
        "azure-keyvault-secrets-provider" => "addon:keyvault-csi".into(),
        other => format!("addon:{other}"),
    }
}

/// The planned cluster of an `az aks create` command line (`file` holds its text).
pub fn build(cl: &CommandLine, file: FileId, reader: &dyn Reader) -> Result<Model, AzError> {
    let version = check(cl)?;
    let rg = cl.value("--resource-group").unwrap_or_default().to_string();
    let name = cl.value("--name").unwrap_or_default().to_string();
    let sub = subscription_of(cl);
    let (id, address) = identity(sub.as_deref(), &rg, &name);
    let at = |span: Range<usize>| cli_origin(file, &address, span);
    let arg_or_head = |n: &str| at(cl.get(n).map(|a| a.span.clone()).unwrap_or(cl.head.clone()));
    let mut defaults: Vec<String> = vec![];

    let mut meta = Meta::new(
        id.as_ref()
            .map(ResourceId::key)
            .unwrap_or_else(|| format!("az:{rg}/{name}").to_ascii_lowercase()),
        at(cl.head.clone()),
    );
    meta.id = id.clone();
    meta.name = Known::Known(name.clone());
    meta.resource_group = Known::Known(rg.clone());
    meta.lifecycle = Lifecycle::Create;
    meta.location = match cl.value("--location") {
        Some(l) => Known::Known(l.to_string()),
        None => Known::unknown(format!(
            "az aks create uses the location of resource group {rg} when --location is omitted; give -l/--location"
        )),
    };

    // ---- outbound
    let sku_automatic = cl
        .value("--sku")
        .is_some_and(|s| s.eq_ignore_ascii_case("automatic"));
    let outbound_type = match cl.value("--outbound-type") {
        Some(s) => OutboundType::parse(s)
            .map(Known::Known)
            .unwrap_or_else(|| Known::unknown(format!("unrecognised outbound type `{s}`"))),
        None if sku_automatic => {
            defaults
                .push("outbound type managedNATGateway (az's default for --sku automatic)".into());
            Known::Known(OutboundType::ManagedNatGateway)
        }
        None => {
            defaults.push("outbound type loadBalancer (az's default)".into());
            Known::Known(OutboundType::LoadBalancer)
        }
    };
    meta.set_field_origin("outbound_type", arg_or_head("--outbound-type"));

    // ---- network plugin: left to the AKS API, which decides by Kubernetes version
    let (network_plugin, network_plugin_mode) = match cl.value("--network-plugin") {
        Some(p) => (
            Known::Known(p.to_ascii_lowercase()),
            cl.value("--network-plugin-mode")
                .map(|m| m.to_ascii_lowercase())
                .into(),
        ),
        None => match version {
            Some(v) if v < (1, 30) => {
                defaults.push(format!("network plugin kubenet (the AKS default before Kubernetes 1.30; --kubernetes-version {}.{})", v.0, v.1));
                (Known::Known("kubenet".to_string()), Known::Absent)
            }
            _ => {
                defaults.push("network plugin azure in overlay mode (Azure CNI Overlay, the AKS default for Kubernetes 1.30 and later)".into());
                (
                    Known::Known("azure".to_string()),
                    Known::Known("overlay".to_string()),
                )
            }
        },
    };
    meta.set_field_origin("network_plugin", arg_or_head("--network-plugin"));

    // ---- API server
    let private = cl.has("--enable-private-cluster");
    meta.set_field_origin("private_cluster", arg_or_head("--enable-private-cluster"));
    let zone = cl.value("--private-dns-zone").filter(|z| !z.is_empty());
    let private_dns_zone = match (private, zone) {
        (false, _) => Known::Absent,
        (true, None) => Known::Known(PrivateDnsZoneSetting::System),
        (true, Some(z)) if z.eq_ignore_ascii_case("system") => {
            Known::Known(PrivateDnsZoneSetting::System)
        }
        (true, Some(z)) if z.eq_ignore_ascii_case("none") => {
            Known::Known(PrivateDnsZoneSetting::None)
        }
        (true, Some(z)) => Known::Known(PrivateDnsZoneSetting::Custom(Ref::id(z))),
    };
    meta.set_field_origin(
        "private_dns_zone",
        arg_or_head(if zone.is_some() {
            "--private-dns-zone"
        } else {
            "--enable-private-cluster"
        }),
    );
    let private_cluster_public_fqdn = if private {
        Known::Known(!cl.has("--disable-public-fqdn"))
    } else {
        Known::Absent
    };
    meta.set_field_origin(
        "private_cluster_public_fqdn",
        arg_or_head(if cl.has("--disable-public-fqdn") {
            "--disable-public-fqdn"
        } else {
            "--enable-private-cluster"
        }),
    );
    let authorized_ip_ranges = match cl.get("--api-server-authorized-ip-ranges") {
        None => Known::Absent,
        Some(a) if a.value().is_empty() => Known::Known(vec![]),
        Some(a) => Known::Known(
            cl.comma_items(a)
                .into_iter()
                .map(|(item, span)| PrefixValue {
                    net: match item.parse::<ipnet::IpNet>().ok().or_else(|| {
                        item.parse::<std::net::IpAddr>()
                            .ok()
                            .map(ipnet::IpNet::from)
                    }) {
                        Some(n) => Known::Known(n),
                        None => Known::unknown(format!("`{item}` is not a CIDR range")),
                    },
                    symbol: None,
                    origin: at(span),
                })
                .collect(),
        ),
    };
    meta.set_field_origin(
        "authorized_ip_ranges",
        arg_or_head("--api-server-authorized-ip-ranges"),
    );
    let apiserver_vnet_integration = Known::Known(cl.has("--enable-apiserver-vnet-integration"));
    let apiserver_subnet: Known<Ref> = cl.value("--apiserver-subnet-id").map(Ref::id).into();
    meta.set_field_origin("apiserver_subnet", arg_or_head("--apiserver-subnet-id"));

    // ---- load balancer outbound IPs
    let ids = |n: &str| -> Vec<Ref> {
        cl.get(n)
            .map(|a| {
                cl.comma_items(a)
                    .into_iter()
                    .filter(|(s, _)| !s.is_empty())
                    .map(|(s, _)| Ref::id(s))
                    .collect()
            })
            .unwrap_or_default()
    };
    let lb_outbound_ips = ids("--load-balancer-outbound-ips");
    let lb_outbound_ip_prefixes = ids("--load-balancer-outbound-ip-prefixes");
    meta.set_field_origin(
        "lb_outbound_ips",
        arg_or_head("--load-balancer-outbound-ips"),
    );

    // the control plane's identity: a user-assigned one, a service principal, else AKS's
    // default (system-assigned, `Absent` in the model)
    let identity = match (
        cl.value("--assign-identity"),
        cl.value("--service-principal"),
    ) {
        (Some(id), _) => Known::Known(ClusterIdentity::UserAssigned(vec![Ref::Id(
            ResourceId::new(id.trim()),
        )])),
        (None, Some(sp)) => Known::Known(ClusterIdentity::ServicePrincipal(sp.trim().to_string())),
        (None, None) => Known::Absent,
    };
    meta.set_field_origin(
        "identity",
        arg_or_head(if cl.has("--assign-identity") {
            "--assign-identity"
        } else {
            "--service-principal"
        }),
    );

    let bootstrap_artifact_source = Known::Known(
        cl.value("--bootstrap-artifact-source")
            .map(|s| {
                if s.eq_ignore_ascii_case("cache") {
                    "Cache"
                } else {
                    "Direct"
                }
            })
            .unwrap_or("Direct")
            .to_string(),
    );
    meta.set_field_origin(
        "bootstrap_artifact_source",
        arg_or_head("--bootstrap-artifact-source"),
    );

    // ---- HTTP proxy: the file's settings, never its trustedCa nor proxy credentials
    let http_proxy = match cl.get("--http-proxy-config") {
        None => Known::Absent,
        Some(a) => {
            Known::Known(read_proxy(reader, a.value()).map_err(|e| AzError::at(a.span.clone(), e))?)
        }
    };
    meta.set_field_origin("http_proxy", arg_or_head("--http-proxy-config"));

    // ---- add-ons and features
    let mut features: Vec<String> = vec![];
    if let Some(a) = cl.get("--enable-addons") {
        for (addon, _) in cl.comma_items(a) {
            if !addon.is_empty() {
                features.push(addon_feature(&addon));
            }
        }
    }
    if cl.has("--enable-defender") {
        features.push("addon:defender".into());
    }
    if cl.has("--enable-workload-identity") {
        features.push("feature:workload-identity".into());
    }
    features.sort();
    features.dedup();

    let dns_prefix = match (
        cl.value("--dns-name-prefix"),
        cl.value("--fqdn-subdomain"),
        sub.as_deref(),
    ) {
        (Some(p), _, _) | (None, Some(p), _) => Known::Known(p.to_string()),
        (None, None, Some(s)) => Known::Known(default_dns_prefix(&name, &rg, s)),
        (None, None, None) => Known::unknown(
            "az derives the DNS prefix from the cluster name, resource group and subscription; the subscription is not known (give --subscription)",
        ),
    };

    // ---- the default node pool
    let pool_name = cl
        .value("--nodepool-name")
        .filter(|n| !n.is_empty())
        .unwrap_or("nodepool1")
        .to_string();
    let subnet: Known<Ref> = cl
        .value("--vnet-subnet-id")
        .filter(|s| !s.is_empty())
        .map(Ref::id)
        .into();
    let subnet_origin = arg_or_head("--vnet-subnet-id");
    meta.set_field_origin("subnet", subnet_origin.clone());
    let vm_size: Known<String> = cl.value("--node-vm-size").map(str::to_string).into();
    let pool = NodePool {
        key: format!("{}/agentpools/{}", meta.key, pool_name.to_ascii_lowercase()),
        name: Known::Known(pool_name.clone()),
        origin: at(cl
            .get("--nodepool-name")
            .map(|a| a.span.clone())
            .unwrap_or(cl.head.clone()))
        .with_address(format!("{address}/agentPools/{pool_name}")),
        subnet,
        subnet_origin,
        os_type: Known::Known(OsType::Linux),
        gpu: vm_size.known().is_some_and(|s| NodePool::is_gpu_size(s)),
        vm_size,
        node_public_ip: Known::Known(cl.has("--enable-node-public-ip")),
        mode: Known::Known("System".into()),
        lifecycle: Lifecycle::Create,
    };

    let mut model = Model::new();
    if let Some(n) = defaults_note(&defaults, at(cl.head.clone())) {
        model.input_notes.push(n);
    }
    model.clusters.push(Cluster {
        meta,
        identity,
        dns_prefix,
        outbound_type,
        network_plugin,
        network_plugin_mode,
        private_cluster: Known::Known(private),
        private_dns_zone,
        private_cluster_public_fqdn,
        authorized_ip_ranges,
        apiserver_vnet_integration,
        apiserver_subnet,
        lb_outbound_ips,
        lb_outbound_ip_prefixes,
        bootstrap_artifact_source,
        http_proxy,
        features,
        node_pools: vec![pool],
    });
    Ok(model)
}

/// The settings of an `--http-proxy-config` file (`httpProxy`, `httpsProxy`, `noProxy`,
/// `trustedCa`), without credentials.
fn read_proxy(reader: &dyn Reader, path: &str) -> Result<HttpProxy, String> {
    let text = reader
        .read(path)
        .map_err(|e| format!("--http-proxy-config {path}: {e}"))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        format!("--http-proxy-config {path} is not valid JSON ({e}); az could not read it either")
    })?;
    let o = v
        .as_object()
        .ok_or_else(|| format!("--http-proxy-config {path} is not a JSON object"))?;
    let get = |k: &str| {
        o.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v)
    };
    let url = |k: &str| {
        get(k)
            .and_then(|v| v.as_str())
            .map(HttpProxy::strip_credentials)
    };
    let no_proxy = get("noProxy")
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    Ok(HttpProxy {
        http_proxy: url("httpProxy"),
        https_proxy: url("httpsProxy"),
        no_proxy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn az_default_dns_prefix() {
        assert_eq!(
            default_dns_prefix("myAKSCluster", "myResourceGroup", "3f2c9b1e-7d4a"),
            "myAKSClust-myResourceGroup-3f2c9b"
        );
        assert_eq!(
            default_dns_prefix("1aks", "rg_x", "abcdef12"),
            "a1aks-rgx-abcdef"
        );
    }
}
