//! The endpoint catalogue must be the one of the cloud the cluster runs in (CLD001). The cloud
//! is inferred from each cluster's region; `--cloud` or the config file's `cloud` override it.
//! An override that contradicts the region (`--cloud china` for a `westeurope` cluster) would
//! check endpoints the nodes never contact and miss the ones they do.

use super::{Ctx, registry};
use crate::model::{Cloud, Cluster, Known};
use crate::report::Finding;

/// The Azure cloud's name as Microsoft writes it.
pub fn cloud_name(c: Cloud) -> &'static str {
    match c {
        Cloud::Public => "the Azure public cloud",
        Cloud::China => "Azure China (operated by 21Vianet)",
        Cloud::UsGov => "Azure US Government",
    }
}

pub fn check(ctx: &Ctx<'_>, cluster: &Cluster, out: &mut Vec<Finding>) {
    // the same precedence as the requirements: the config file's cloud, then --cloud
    let (chosen, how) = match (&ctx.config.cloud, ctx.options.cloud) {
        (Some(c), _) => (
            c.value,
            format!("`cloud = \"{}\"` in {}", c.value.as_str(), ctx.config.name),
        ),
        (None, Some(c)) => (c, format!("`--cloud {}`", c.as_str())),
        (None, None) => return,
    };
    let Known::Known(region) = &cluster.meta.location else {
        return; // nothing to compare with; the requirements say the region is unknown
    };
    let region_cloud = Cloud::from_region(region);
    if region_cloud == chosen {
        return;
    }
    let caddr = cluster.meta.address();
    out.push(
        Finding::new(
            "CLD001",
            registry::severity("CLD001"),
            format!(
                "cluster {caddr} is in region {region}, a region of {}, but {how} selects the endpoint catalogue of {}: the endpoints checked are not the ones its nodes contact",
                cloud_name(region_cloud),
                cloud_name(chosen)
            ),
        )
        .primary(
            cluster.meta.origin_of("location"),
            format!("region {region}: {}", cloud_name(region_cloud)),
        )
        .help(format!(
            "{}\nhere: --cloud {} (or leave it out)",
            registry::fix("CLD001"),
            region_cloud.as_str()
        ))
        .at_cluster(caddr),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::CheckOptions;
    use crate::model::{Meta, Model};
    use crate::policy::catalogue::Catalogue;
    use crate::policy::config::Config;
    use crate::source::Origin;

    fn cluster(location: &str) -> Cluster {
        let mut meta = Meta::new("azurerm_kubernetes_cluster.aks", Origin::none());
        meta.location = Known::Known(location.into());
        let u = || Known::Absent;
        Cluster {
            meta,
            identity: Known::Absent,
            dns_prefix: u(),
            outbound_type: Known::Absent,
            network_plugin: u(),
            network_plugin_mode: u(),
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
            features: vec![],
            node_pools: vec![],
        }
    }

    fn run(location: &str, cloud: Option<Cloud>, config: &Config) -> Vec<Finding> {
        let model = Model::new();
        let catalogue = Catalogue::default();
        let options = CheckOptions {
            cloud,
            ..Default::default()
        };
        let ctx = Ctx {
            model: &model,
            catalogue: &catalogue,
            config,
            options: &options,
        };
        let mut out = vec![];
        check(&ctx, &cluster(location), &mut out);
        out
    }

    #[test]
    fn an_override_that_contradicts_the_region_is_an_error() {
        let none = Config::default();
        let f = run("westeurope", Some(Cloud::China), &none);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("westeurope"), "{}", f[0].message);
        assert!(f[0].message.contains("`--cloud china`"), "{}", f[0].message);
        assert!(run("chinanorth3", Some(Cloud::China), &none).is_empty());
        assert!(run("usgovvirginia", Some(Cloud::UsGov), &none).is_empty());
        assert_eq!(run("chinaeast2", Some(Cloud::Public), &none).len(), 1);
        // no override: the region decides, nothing to warn about
        assert!(run("westeurope", None, &none).is_empty());
        // the config file's cloud counts too, and is named
        let cfg = Config::parse("aks-preflight.toml", "cloud = \"usgov\"").unwrap();
        let f = run("westeurope", None, &cfg);
        assert!(
            f[0].message.contains("aks-preflight.toml"),
            "{}",
            f[0].message
        );
    }
}
