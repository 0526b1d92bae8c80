//! `Microsoft.ContainerService/managedClusters` (with `agentPoolProfiles`) and its
//! `agentPools` child resources.

use super::map::{Child, Mapper, Res, short_address};
use super::network::parse_net;
use super::node::Node;
use crate::model::{
    Cluster, ClusterIdentity, HttpProxy, Known, Lifecycle, Meta, Model, NodePool, OsType,
    OutboundType, PrefixValue, PrivateDnsZoneSetting, ResourceId,
};
use crate::source::Origin;

fn pool_of(p: &Node<'_>, key: String, lifecycle: Lifecycle, fallback: &Origin) -> NodePool {
    let sub = p.prop("vnetSubnetID");
    let os_type = match p.prop("osType").str() {
        Known::Known(s) if s.eq_ignore_ascii_case("windows") => Known::Known(OsType::Windows),
        Known::Known(s) if s.eq_ignore_ascii_case("linux") => Known::Known(OsType::Linux),
        Known::Known(s) => Known::Unknown(format!("{}: unrecognised osType `{s}`", p.label())),
        Known::Absent => Known::Known(OsType::Linux),
        Known::Unknown(r) => Known::Unknown(r),
    };
    let vm_size = p.prop("vmSize").str();
    let name = match p.get("name").str() {
        Known::Absent => Known::Known(key.rsplit('/').next().unwrap_or(&key).to_string()),
        n => n,
    };
    NodePool {
        key,
        name,
        origin: p.origin(),
        subnet: sub.id_ref(),
        subnet_origin: sub.origin_or(fallback),
        os_type,
        gpu: vm_size.known().is_some_and(|s| NodePool::is_gpu_size(s)),
        vm_size,
        node_public_ip: p.prop("enableNodePublicIP").bool().or_default_value(false),
        mode: p.prop("mode").str().or_default_value("User".into()),
        lifecycle,
    }
}

/// `true` when `<addon>.enabled` is true.
fn enabled(n: &Node<'_>) -> bool {
    n.get("enabled").bool().known() == Some(&true)
}

pub(crate) fn cluster(m: &mut Mapper, r: &Res<'_>) {
    let n = &r.node;
    let mut meta = r.meta.clone();
    let origin = meta.origin.clone();
    let address = meta.address().to_string();

    // ---- network profile
    let np = n.prop("networkProfile");
    let ot = np.get("outboundType");
    meta.set_field_origin("outbound_type", ot.origin_or(&np.origin_or(&origin)));
    let outbound_type = match ot.str() {
        Known::Known(s) => match OutboundType::parse(&s) {
            Some(t) => Known::Known(t),
            None => Known::Unknown(format!("{address}: unrecognised outboundType `{s}`")),
        },
        Known::Unknown(x) => Known::Unknown(x),
        Known::Absent => {
            m.note(
                "INP004",
                format!(
                    "{address}: networkProfile.outboundType is not set; AKS uses its documented \
                     default, loadBalancer"
                ),
                origin.clone(),
            );
            Known::Known(OutboundType::LoadBalancer)
        }
    };
    let plugin = np.get("networkPlugin");
    meta.set_field_origin("network_plugin", plugin.origin_or(&origin));

    // ---- API server
    let aap = n.prop("apiServerAccessProfile");
    let pc = aap.get("enablePrivateCluster");
    meta.set_field_origin("private_cluster", pc.origin_or(&origin));
    let private_cluster = pc.bool().or_default_value(false);
    let pdz = aap.get("privateDNSZone");
    meta.set_field_origin("private_dns_zone", pdz.origin_or(&origin));
    let private_dns_zone = match pdz.str() {
        Known::Known(s) if s.eq_ignore_ascii_case("system") => {
            Known::Known(PrivateDnsZoneSetting::System)
        }
        Known::Known(s) if s.eq_ignore_ascii_case("none") => {
            Known::Known(PrivateDnsZoneSetting::None)
        }
        Known::Known(s) if s.is_empty() => system_if_private(&private_cluster),
        Known::Absent => system_if_private(&private_cluster),
        _ => pdz.id_ref().map(PrivateDnsZoneSetting::Custom),
    };
    let pf = aap.get("enablePrivateClusterPublicFQDN");
    meta.set_field_origin("private_cluster_public_fqdn", pf.origin_or(&origin));
    let air = aap.get("authorizedIPRanges");
    meta.set_field_origin("authorized_ip_ranges", air.origin_or(&origin));
    let authorized_ip_ranges = match air.unknown_marker() {
        Some(x) => Known::Unknown(x),
        None if !air.exists() => Known::Absent,
        None => Known::Known(
            air.items()
                .iter()
                .map(|it| PrefixValue {
                    net: match it.str() {
                        Known::Known(s) => match parse_net(&s) {
                            Some(x) => Known::Known(x),
                            None => Known::Unknown(format!("`{s}` is not a CIDR range")),
                        },
                        Known::Unknown(x) => Known::Unknown(x),
                        Known::Absent => Known::Absent,
                    },
                    symbol: it.ip_symbol(),
                    origin: it.origin(),
                })
                .collect(),
        ),
    };
    let asub = aap.get("subnetId");
    meta.set_field_origin("apiserver_subnet", asub.origin_or(&origin));

    // ---- outbound IPs given for the load balancer
    let lbp = np.get("loadBalancerProfile");
    meta.set_field_origin("lb_outbound_ips", lbp.origin_or(&origin));
    let lb_outbound_ips = lbp
        .get("outboundIPs")
        .get("publicIPs")
        .id_refs()
        .into_known()
        .unwrap_or_default();
    let lb_outbound_ip_prefixes = lbp
        .get("outboundIPPrefixes")
        .get("publicIPPrefixes")
        .id_refs()
        .into_known()
        .unwrap_or_default();

    let bas = n.prop("bootstrapProfile").get("artifactSource");
    meta.set_field_origin("bootstrap_artifact_source", bas.origin_or(&origin));

    // ---- HTTP proxy (never trustedCa; no credentials)
    let hp = n.prop("httpProxyConfig");
    meta.set_field_origin("http_proxy", hp.origin_or(&origin));
    let http_proxy = match hp.unknown_marker() {
        Some(x) => Known::Unknown(x),
        None if !hp.exists() => Known::Absent,
        None => {
            let h = hp.get("httpProxy").str();
            let hs = hp.get("httpsProxy").str();
            match (&h, &hs) {
                (Known::Unknown(x), _) | (_, Known::Unknown(x)) => Known::Unknown(x.clone()),
                (Known::Absent, Known::Absent) => Known::Absent,
                _ => Known::Known(HttpProxy {
                    http_proxy: h.into_known().map(|s| HttpProxy::strip_credentials(&s)),
                    https_proxy: hs.into_known().map(|s| HttpProxy::strip_credentials(&s)),
                    no_proxy: hp.get("noProxy").strings_or_empty(),
                }),
            }
        }
    };

    // ---- add-ons and features (catalogue condition keywords)
    let mut features: Vec<String> = vec![];
    let addons = n.prop("addonProfiles");
    let sec = n.prop("securityProfile");
    for (on, f) in [
        (enabled(&addons.get("omsagent")), "addon:monitoring"),
        (enabled(&addons.get("azurepolicy")), "addon:azure-policy"),
        (
            enabled(&addons.get("azureKeyvaultSecretsProvider")),
            "addon:keyvault-csi",
        ),
        (
            enabled(&sec.get("defender").get("securityMonitoring")),
            "addon:defender",
        ),
        (
            enabled(&sec.get("workloadIdentity")),
            "feature:workload-identity",
        ),
    ] {
        if on {
            features.push(f.to_string());
        }
    }

    let dns_prefix = match n.prop("dnsPrefix").str() {
        Known::Absent => n.prop("fqdnSubdomain").str(),
        other => other,
    };

    // ---- node pools
    let mut node_pools = vec![];
    let profiles = n.prop("agentPoolProfiles");
    for (i, p) in profiles.items().iter().enumerate() {
        let pname = p.get("name").str().into_known().unwrap_or(i.to_string());
        let key = format!("{}/agentpools/{}", meta.key, pname.to_ascii_lowercase());
        let pool = pool_of(p, key, meta.lifecycle, &origin);
        if i == 0 {
            meta.set_field_origin("subnet", pool.subnet_origin.clone());
        }
        node_pools.push(pool);
    }

    // ---- identity (top level): SystemAssigned, or UserAssigned with the identities as keys
    let idn = n.get("identity");
    let identity = match idn.get("type").str() {
        Known::Known(t) if t.to_ascii_lowercase().contains("userassigned") => {
            let ids = match idn.get("userAssignedIdentities").raw() {
                Some(serde_json::Value::Object(map)) => {
                    let mut keys: Vec<&String> = map.keys().collect();
                    keys.sort();
                    keys.into_iter()
                        .map(|k| crate::model::Ref::id(k.as_str()))
                        .collect()
                }
                _ => vec![],
            };
            Known::Known(ClusterIdentity::UserAssigned(ids))
        }
        Known::Known(_) => Known::Known(ClusterIdentity::SystemAssigned),
        Known::Absent => match n.prop("servicePrincipalProfile").get("clientId").str() {
            Known::Known(id) if !id.eq_ignore_ascii_case("msi") => {
                Known::Known(ClusterIdentity::ServicePrincipal(id))
            }
            _ => Known::Absent,
        },
        Known::Unknown(r) => Known::Unknown(r),
    };
    meta.set_field_origin("identity", idn.origin_or(&origin));

    m.model.clusters.push(Cluster {
        identity,
        dns_prefix,
        outbound_type,
        network_plugin: plugin.str(),
        network_plugin_mode: np.get("networkPluginMode").str(),
        private_cluster,
        private_dns_zone,
        private_cluster_public_fqdn: pf.bool().or_default_value(false),
        authorized_ip_ranges,
        apiserver_vnet_integration: aap
            .get("enableVnetIntegration")
            .bool()
            .or_default_value(false),
        apiserver_subnet: asub.id_ref(),
        lb_outbound_ips,
        lb_outbound_ip_prefixes,
        bootstrap_artifact_source: bas.str(),
        http_proxy,
        features,
        node_pools,
        meta,
    });
}

fn system_if_private(private: &Known<bool>) -> Known<PrivateDnsZoneSetting> {
    match private {
        Known::Known(true) => Known::Known(PrivateDnsZoneSetting::System),
        Known::Known(false) | Known::Absent => Known::Absent,
        Known::Unknown(r) => Known::Unknown(r.clone()),
    }
}

pub(crate) fn agent_pool(m: &mut Mapper, r: &Res<'_>) {
    let Some(parent) = r.parent_id() else {
        let msg = format!(
            "agent pool {} has no id, so its cluster is not known",
            r.meta.address()
        );
        m.note("INP006", msg, r.meta.origin.clone());
        return;
    };
    let pool = pool_of(
        &r.node,
        r.meta.key.clone(),
        r.meta.lifecycle,
        &r.meta.origin,
    );
    m.pools.push(Child {
        parent,
        item: pool,
        origin: r.meta.origin.clone(),
        address: r.meta.address().to_string(),
    });
}

/// A cluster element for node pools whose cluster is not in the input (an agent pool read on
/// its own); returns its index.
pub(crate) fn placeholder(model: &mut Model, id: &ResourceId, origin: &Origin) -> usize {
    if let Some(i) = model
        .clusters
        .iter()
        .position(|c| c.meta.id.as_ref() == Some(id))
    {
        return i;
    }
    let address = short_address(id.as_str());
    let reason = format!("cluster {address} is not in this input");
    let mut meta = Meta::new(id.key(), origin.clone().with_address(address));
    meta.id = Some(id.clone());
    meta.name = Known::Known(id.name().to_string());
    model.clusters.push(Cluster::unknown(meta, &reason));
    model.clusters.len() - 1
}
