//! `azurerm_kubernetes_cluster` and `azurerm_kubernetes_cluster_node_pool`.

use super::super::Ctx;
use super::super::attach::Attached;
use super::super::value::V;
use super::{CLUSTER, PRIVATE_DNS_ZONE, PUBLIC_IP, PUBLIC_IP_PREFIX, SUBNET};
use crate::model::{
    Cluster, ClusterIdentity, HttpProxy, Known, Lifecycle, NodePool, OsType, OutboundType,
    PrivateDnsZoneSetting,
};
use crate::source::Origin;

/// The first of several attribute names (new name first) that is set or unknown, else the first.
fn first_set<'b>(first: V<'b>, others: Vec<V<'b>>) -> V<'b> {
    if !first.is_null() {
        return first;
    }
    others.into_iter().find(|c| !c.is_null()).unwrap_or(first)
}

fn add_feature(features: &mut Vec<String>, f: &str) {
    if !features.iter().any(|x| x == f) {
        features.push(f.to_string());
    }
}

/// A block list with at least one item (an enabled add-on block).
fn has_block(v: &V<'_>) -> bool {
    v.list().known().is_some_and(|l| !l.is_empty())
}

fn node_public_ip(p: &V<'_>) -> Known<bool> {
    first_set(
        p.get("node_public_ip_enabled"),
        vec![p.get("enable_node_public_ip")],
    )
    .bool()
    .or_default_value(false)
}

pub(super) fn cluster(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let mut meta = ctx.meta(i, &v);
    let origin = meta.origin.clone();
    let address = meta.key.clone();
    let lv = v.get("location");
    meta.set_field_origin("location", ctx.field_origin(&lv, &origin));

    // ---- network profile
    let np = v.block("network_profile");
    let ot = np.get("outbound_type");
    let outbound_type = match ot.str() {
        Known::Known(s) => match OutboundType::parse(&s) {
            Some(t) => Known::Known(t),
            None => Known::Unknown(format!("{address}: unrecognised outbound_type `{s}`")),
        },
        Known::Unknown(_) if ot.is_unknown() && ot.not_configured() => {
            default_outbound(ctx, &address, &origin)
        }
        Known::Unknown(r) => Known::Unknown(r),
        Known::Absent => default_outbound(ctx, &address, &origin),
    };
    meta.set_field_origin(
        "outbound_type",
        ctx.field_origin(&ot, &np.origin_or(&origin)),
    );
    let network_plugin = np.get("network_plugin").str();
    meta.set_field_origin(
        "network_plugin",
        ctx.field_origin(&np.get("network_plugin"), &origin),
    );
    let network_plugin_mode = np.get("network_plugin_mode").str();

    // ---- API server
    let pc = v.get("private_cluster_enabled");
    let private_cluster = pc.bool().or_default_value(false);
    meta.set_field_origin("private_cluster", ctx.field_origin(&pc, &origin));

    let pdz = v.get("private_dns_zone_id");
    let private_dns_zone = match pdz.str() {
        Known::Known(s) if s.eq_ignore_ascii_case("system") => {
            Known::Known(PrivateDnsZoneSetting::System)
        }
        Known::Known(s) if s.eq_ignore_ascii_case("none") => {
            Known::Known(PrivateDnsZoneSetting::None)
        }
        Known::Unknown(_) if pdz.is_unknown() && pdz.not_configured() => {
            system_if_private(&private_cluster)
        }
        Known::Absent => system_if_private(&private_cluster),
        _ => ctx
            .ref_field(i, &pdz, PRIVATE_DNS_ZONE)
            .map(PrivateDnsZoneSetting::Custom),
    };
    meta.set_field_origin("private_dns_zone", ctx.field_origin(&pdz, &origin));
    let private_cluster_public_fqdn = v
        .get("private_cluster_public_fqdn_enabled")
        .bool()
        .or_default_value(false);

    let aap = v.block("api_server_access_profile");
    let air = first_set(
        aap.get("authorized_ip_ranges"),
        vec![v.get("api_server_authorized_ip_ranges")],
    );
    let authorized_ip_ranges = if air.is_unknown() && air.not_configured() {
        Known::Absent
    } else {
        ctx.prefix_list(i, &air)
    };
    meta.set_field_origin("authorized_ip_ranges", ctx.field_origin(&air, &origin));
    let vi = first_set(
        aap.get("virtual_network_integration_enabled"),
        vec![aap.get("vnet_integration_enabled")],
    );
    let apiserver_vnet_integration = vi.bool().or_default_value(false);
    let asub = aap.get("subnet_id");
    let apiserver_subnet = ctx.ref_field(i, &asub, SUBNET);
    meta.set_field_origin("apiserver_subnet", ctx.field_origin(&asub, &origin));

    // ---- outbound IPs of the load balancer
    let lbp = np.block("load_balancer_profile");
    let lb_outbound_ips = ctx
        .ref_list(i, &lbp.get("outbound_ip_address_ids"), PUBLIC_IP)
        .into_known()
        .unwrap_or_default();
    let lb_outbound_ip_prefixes = ctx
        .ref_list(i, &lbp.get("outbound_ip_prefix_ids"), PUBLIC_IP_PREFIX)
        .into_known()
        .unwrap_or_default();
    meta.set_field_origin("lb_outbound_ips", ctx.field_origin(&lbp, &origin));

    let bas = v.block("bootstrap_profile").get("artifact_source");
    let bootstrap_artifact_source = if bas.is_unknown() && bas.not_configured() {
        Known::Absent
    } else {
        bas.str()
    };
    meta.set_field_origin("bootstrap_artifact_source", ctx.field_origin(&bas, &origin));

    // ---- HTTP proxy (never trusted_ca; no credentials)
    let hp = v.get("http_proxy_config");
    let http_proxy = if hp.is_sensitive() {
        Known::Unknown(format!("{address}.http_proxy_config is a sensitive value"))
    } else {
        match hp.list() {
            Known::Known(items) if !items.is_empty() => {
                let b = &items[0];
                let h = b.get("http_proxy").str();
                let hs = b.get("https_proxy").str();
                match (&h, &hs) {
                    (Known::Unknown(r), _) | (_, Known::Unknown(r)) => Known::Unknown(r.clone()),
                    _ => Known::Known(HttpProxy {
                        http_proxy: h.into_known().map(|s| HttpProxy::strip_credentials(&s)),
                        https_proxy: hs.into_known().map(|s| HttpProxy::strip_credentials(&s)),
                        no_proxy: b.get("no_proxy").strings().into_known().unwrap_or_default(),
                    }),
                }
            }
            Known::Known(_) | Known::Absent => Known::Absent,
            Known::Unknown(_) if hp.not_configured() => Known::Absent,
            Known::Unknown(r) => Known::Unknown(r),
        }
    };
    meta.set_field_origin("http_proxy", ctx.field_origin(&hp, &origin));

    // ---- add-ons and features (catalogue condition keywords)
    let mut features = Vec::new();
    let ap = v.block("addon_profile"); // azurerm 2.x
    if has_block(&v.get("oms_agent"))
        || ap.block("oms_agent").get("enabled").bool().known() == Some(&true)
    {
        add_feature(&mut features, "addon:monitoring");
    }
    if v.get("azure_policy_enabled").bool().known() == Some(&true)
        || ap.block("azure_policy").get("enabled").bool().known() == Some(&true)
    {
        add_feature(&mut features, "addon:azure-policy");
    }
    if has_block(&v.get("key_vault_secrets_provider")) {
        add_feature(&mut features, "addon:keyvault-csi");
    }
    if has_block(&v.get("microsoft_defender")) {
        add_feature(&mut features, "addon:defender");
    }
    if v.get("workload_identity_enabled").bool().known() == Some(&true) {
        add_feature(&mut features, "feature:workload-identity");
    }

    let dns_prefix = match v.get("dns_prefix").str() {
        Known::Absent => v.get("dns_prefix_private_cluster").str(),
        other => other,
    };

    // ---- default node pool
    let dnp = v.block("default_node_pool");
    let mut node_pools = Vec::new();
    if dnp.exists() || dnp.is_unknown() {
        let sub = dnp.get("vnet_subnet_id");
        let subnet = ctx.ref_field(i, &sub, SUBNET);
        let subnet_origin = ctx.field_origin(&sub, &dnp.origin_or(&origin));
        meta.set_field_origin("subnet", subnet_origin.clone());
        let vm_size = dnp.get("vm_size").str();
        node_pools.push(NodePool {
            key: format!("{address}/default_node_pool"),
            name: dnp.get("name").str(),
            origin: dnp.origin_or(&origin),
            subnet,
            subnet_origin,
            // the system pool is always Linux
            os_type: Known::Known(OsType::Linux),
            gpu: vm_size.known().is_some_and(|s| NodePool::is_gpu_size(s)),
            vm_size,
            node_public_ip: node_public_ip(&dnp),
            mode: Known::Known("System".into()),
            lifecycle: meta.lifecycle,
        });
    }

    // ---- identity
    let idv = v.block("identity");
    let spv = v.block("service_principal");
    let identity = match (idv.get("type").str(), spv.get("client_id").str()) {
        (Known::Known(t), _) if t.to_ascii_lowercase().contains("userassigned") => {
            match ctx.ref_list(i, &idv.get("identity_ids"), super::USER_IDENTITY) {
                Known::Known(ids) => Known::Known(ClusterIdentity::UserAssigned(ids)),
                Known::Unknown(r) => Known::Unknown(r),
                Known::Absent => Known::Known(ClusterIdentity::UserAssigned(vec![])),
            }
        }
        (Known::Known(_), _) => Known::Known(ClusterIdentity::SystemAssigned),
        (_, Known::Known(id)) => Known::Known(ClusterIdentity::ServicePrincipal(id)),
        (Known::Unknown(r), _) => Known::Unknown(r),
        _ => Known::Absent,
    };
    meta.set_field_origin("identity", ctx.field_origin(&idv.get("type"), &origin));

    ctx.model.clusters.push(Cluster {
        meta,
        identity,
        dns_prefix,
        outbound_type,
        network_plugin,
        network_plugin_mode,
        private_cluster,
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
        node_pools,
    });
}

fn default_outbound(ctx: &mut Ctx<'_, '_>, address: &str, origin: &Origin) -> Known<OutboundType> {
    ctx.note(
        "INP004",
        format!(
            "{address}: network_profile.outbound_type is not set; AKS uses its documented \
             default, loadBalancer"
        ),
        origin.clone(),
    );
    Known::Known(OutboundType::LoadBalancer)
}

fn system_if_private(private: &Known<bool>) -> Known<PrivateDnsZoneSetting> {
    match private {
        Known::Known(true) => Known::Known(PrivateDnsZoneSetting::System),
        Known::Known(false) => Known::Absent,
        Known::Unknown(r) => Known::Unknown(r.clone()),
        Known::Absent => Known::Absent,
    }
}

pub(super) fn node_pool(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let origin = ctx.origin(i);
    let inst = ctx.inst(i);
    let cid = v.get("kubernetes_cluster_id");
    let cluster = ctx.ref_field(i, &cid, CLUSTER);
    let sub = v.get("vnet_subnet_id");
    let subnet = ctx.ref_field(i, &sub, SUBNET);
    let subnet_origin = ctx.field_origin(&sub, &origin);
    let os_type = match v.get("os_type").str() {
        Known::Known(s) if s.eq_ignore_ascii_case("windows") => Known::Known(OsType::Windows),
        Known::Known(s) if s.eq_ignore_ascii_case("linux") => Known::Known(OsType::Linux),
        Known::Known(s) => Known::Unknown(format!("{}: unrecognised os_type `{s}`", inst.address)),
        Known::Absent => Known::Known(OsType::Linux),
        Known::Unknown(r) => Known::Unknown(r),
    };
    let vm_size = v.get("vm_size").str();
    let pool = NodePool {
        key: inst.address.to_string(),
        name: v.get("name").str(),
        origin: origin.clone(),
        subnet,
        subnet_origin,
        os_type,
        gpu: vm_size.known().is_some_and(|s| NodePool::is_gpu_size(s)),
        vm_size,
        node_public_ip: node_public_ip(&v),
        mode: v.get("mode").str().or_default_value("User".into()),
        lifecycle: match inst.lifecycle {
            Lifecycle::Read => Lifecycle::Existing,
            l => l,
        },
    };
    ctx.pending.node_pools.push(Attached {
        parent: cluster,
        item: pool,
        address: inst.address.to_string(),
        origin: ctx.field_origin(&cid, &origin),
    });
}
