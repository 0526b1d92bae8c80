//! Private clusters: will the API server's private name resolve from the nodes' DNS path?
//!
//! The name lives in `privatelink.<region>.azmk8s.io` (or a subzone). Azure DNS answers from a
//! VNet only for zones linked to that VNet; so follow the node VNet's resolvers to the VNet they
//! resolve from, and check the zone's links there.

use super::dns::{self, Resolver};
use super::{Ctx, registry};
use crate::model::{Cluster, Known, PrivateDnsZoneSetting, Ref, VirtualNetwork};
use crate::report::{Finding, PredictedFailure};

fn exit52() -> Option<PredictedFailure> {
    Some(PredictedFailure {
        error: "VMExtensionError_K8SAPIServerDNSLookupFail".into(),
        exit_code: Some(52),
        detail: "nslookup of the private API server name fails for 600 s (K8SAPIServerDNSLookupFailVMExtensionError)".into(),
    })
}

fn same_vnet(model: &crate::model::Model, a: &Ref, b: &VirtualNetwork) -> bool {
    b.meta.matches(a) || model.vnet(a).is_some_and(|v| v.meta.key == b.meta.key)
}

/// Is `zone_name` an acceptable private cluster zone for `region`?
pub fn zone_name_ok(zone_name: &str, region: Option<&str>, vnet_integration: bool) -> bool {
    let z = zone_name.to_ascii_lowercase();
    let label = if vnet_integration {
        "private"
    } else {
        "privatelink"
    };
    let suffixes = [
        ".azmk8s.io",
        ".cx.prod.service.azk8s.cn",
        ".cx.aks.containerservice.azure.us",
    ];
    suffixes.iter().any(|sfx| match region {
        Some(r) => {
            let want = format!("{label}.{r}{sfx}");
            z == want || z.ends_with(&format!(".{want}"))
        }
        None => z.contains(&format!("{label}.")) && z.ends_with(sfx),
    })
}

pub fn check(ctx: &Ctx<'_>, cluster: &Cluster, out: &mut Vec<Finding>) {
    if cluster.private_cluster.known() != Some(&true) {
        return;
    }
    let model = ctx.model;
    let caddr = cluster.meta.address();
    let zone_origin = cluster.meta.origin_of("private_dns_zone");
    let setting = match &cluster.private_dns_zone {
        Known::Known(s) => s.clone(),
        Known::Absent => PrivateDnsZoneSetting::System,
        Known::Unknown(why) => {
            out.push(
                Finding::new("EGR001", registry::severity("EGR001"), format!("the private DNS zone of private cluster {caddr} is not known ({why}); API server name resolution cannot be checked"))
                    .primary(zone_origin, "private_dns_zone_id")
                    .at_cluster(caddr),
            );
            return;
        }
    };
    let region = cluster
        .meta
        .location
        .known()
        .map(|l| l.to_ascii_lowercase().replace(' ', ""));
    let vnet_integration = cluster.apiserver_vnet_integration.known() == Some(&true);
    let mut seen = vec![];
    for pool in &cluster.node_pools {
        let Some(subnet) = pool.subnet.known().and_then(|r| model.subnet(r)) else {
            continue;
        };
        let Some(node_vnet) = model.subnet_vnet(subnet) else {
            continue;
        };
        if seen.contains(&node_vnet.meta.key) {
            continue;
        }
        seen.push(node_vnet.meta.key.clone());
        let pname = pool.display_name();
        let servers = match dns::servers(ctx, node_vnet) {
            Known::Known(s) => s,
            _ => continue, // reported by the DNS analysis
        };
        // (display, resolver) pairs; empty list = Azure DNS from the node VNet
        let resolvers: Vec<(String, Resolver<'_>)> = if servers.is_empty() {
            vec![(
                "Azure-provided DNS (168.63.129.16)".into(),
                Resolver::AzureDns {
                    vnet: Some(node_vnet),
                },
            )]
        } else {
            servers
                .into_iter()
                .take(3)
                .map(|s| (s.display.clone(), s.resolver))
                .collect()
        };
        let dns_origin = node_vnet.meta.origin_of("dns_servers");
        for (i, (display, resolver)) in resolvers.iter().enumerate() {
            let rvnet = match dns::resolution_vnet(model, resolver) {
                Known::Known(v) => v,
                _ => continue, // DNS003 / EGR001 from the DNS analysis say why
            };
            let rvnet_name = model
                .vnet(&rvnet)
                .map(|v| v.meta.address().to_string())
                .unwrap_or_else(|| rvnet.display());
            match &setting {
                PrivateDnsZoneSetting::System => {
                    // AKS creates the zone and links it to the cluster VNet only
                    // (`aks_managed::SYSTEM_ZONE`)
                    if same_vnet(model, &rvnet, node_vnet) {
                        continue;
                    }
                    out.push(
                        Finding::new("PRV001", registry::severity("PRV001"), format!(
                            "private cluster {caddr} uses private_dns_zone_id = \"System\": AKS links the zone privatelink.{}.azmk8s.io only to the cluster VNet {}, but DNS server {} of that VNet ({display}) resolves from VNet {rvnet_name}, which cannot see the zone (node pool \"{pname}\")",
                            region.as_deref().unwrap_or("<region>"), node_vnet.meta.address(), i + 1))
                            .primary(zone_origin, "System zone: linked to the cluster VNet only")
                            .secondary(dns_origin, "custom DNS servers")
                            .help(format!("bring your own zone, linked to {rvnet_name} (the cluster identity needs Private DNS Zone Contributor on it), or set private_dns_zone_id = \"None\" with private_cluster_public_fqdn_enabled = true:\nresource \"azurerm_private_dns_zone\" \"aks\" {{\n  name                = \"privatelink.{region}.azmk8s.io\"\n  resource_group_name = <resource group>\n}}\nresource \"azurerm_private_dns_zone_virtual_network_link\" \"aks_dns\" {{\n  name                  = \"link-to-dns-vnet\"\n  resource_group_name   = azurerm_private_dns_zone.aks.resource_group_name\n  private_dns_zone_name = azurerm_private_dns_zone.aks.name\n  virtual_network_id    = {vnet_id}\n}}\n# and in {caddr}: private_dns_zone_id = azurerm_private_dns_zone.aks.id", region = region.as_deref().unwrap_or("<region>"), vnet_id = super::tf_ref(&rvnet_name, "id")))
                            .at_pool(caddr, &pname)
                            .failure(exit52()),
                    );
                    break;
                }
                PrivateDnsZoneSetting::None => {
                    if cluster.private_cluster_public_fqdn.known() == Some(&false)
                        || cluster.private_cluster_public_fqdn.is_absent()
                    {
                        out.push(
                            Finding::new("PRV001", registry::severity("PRV001"), format!("private cluster {caddr} uses private_dns_zone_id = \"None\" without a public FQDN: nodes have no name to resolve the API server with"))
                                .primary(zone_origin, "None: no private zone")
                                .secondary(cluster.meta.origin_of("private_cluster_public_fqdn"), "public FQDN not enabled")
                                .help("set private_cluster_public_fqdn_enabled = true, or use a private DNS zone")
                                .at_cluster(caddr)
                                .failure(exit52()),
                        );
                    }
                    break;
                }
                PrivateDnsZoneSetting::Custom(zref) => {
                    let Some(zone) = model.private_dns_zone(zref) else {
                        out.push(
                            Finding::new("EGR001", registry::severity("EGR001"), format!("private DNS zone {zref} of cluster {caddr} is not in the inputs, so its VNet links cannot be checked"))
                                .primary(zone_origin, "private_dns_zone_id")
                                .at_cluster(caddr),
                        );
                        break;
                    };
                    let zname = zone.meta.name.known().cloned().unwrap_or_default();
                    if !zname.is_empty()
                        && !zone_name_ok(&zname, region.as_deref(), vnet_integration)
                    {
                        out.push(
                            Finding::new("PRV002", registry::severity("PRV002"), format!("private DNS zone {} ({zname}) is not a valid private cluster zone for region {}: it must be privatelink.<region>.azmk8s.io or a subzone of it", zone.meta.address(), region.as_deref().unwrap_or("<region>")))
                                .primary(&zone.meta.origin, "zone name")
                                .at_cluster(caddr),
                        );
                        break;
                    }
                    let linked = model.dns_zone_links.iter().any(|l| {
                        let zone_match = match &l.zone {
                            Known::Known(r) => zone.meta.matches(r),
                            _ => l
                                .zone_name
                                .known()
                                .is_some_and(|n| n.eq_ignore_ascii_case(&zname)),
                        };
                        zone_match
                            && l.vnet.known().is_some_and(|v| {
                                same_vnet(model, v, model.vnet(&rvnet).unwrap_or(node_vnet))
                                    || *v == rvnet
                            })
                    });
                    // AKS links a custom zone to the cluster's own VNet itself when it creates
                    // the cluster (see `aks_managed::CUSTOM_ZONE_LINK`), whatever other links
                    // the zone has; what it needs for that is checked by AKS001.
                    let aks_link = same_vnet(model, &rvnet, node_vnet);
                    if linked || aks_link {
                        continue;
                    }
                    let unknown_links = model.dns_zone_links.iter().any(|l| {
                        l.vnet.is_unknown() || l.zone.is_unknown() && l.zone_name.is_unknown()
                    });
                    let complete = zone.meta.lists_all_children && !unknown_links;
                    if complete {
                        out.push(
                            Finding::new("PRV002", registry::severity("PRV002"), format!("private DNS zone {} ({zname}) of cluster {caddr} is not linked to VNet {rvnet_name}, from which DNS server {} ({display}) resolves (node pool \"{pname}\")", zone.meta.address(), i + 1))
                                .primary(&zone.meta.origin, "zone without a link to that VNet")
                                .secondary(zone_origin, "used by the cluster here")
                                .help(format!("resource \"azurerm_private_dns_zone_virtual_network_link\" \"aks_dns\" {{\n  name                  = \"link-to-dns-vnet\"\n  resource_group_name   = {}\n  private_dns_zone_name = \"{zname}\"\n  virtual_network_id    = {}\n}}", super::tf_ref(zone.meta.address(), "resource_group_name"), super::tf_ref(&rvnet_name, "id")))
                                .at_pool(caddr, &pname)
                                .failure(exit52()),
                        );
                    } else {
                        out.push(
                            Finding::new("EGR001", registry::severity("EGR001"), format!("no link from private DNS zone {} to VNet {rvnet_name} is in the inputs; the zone exists already and may have links that are not shown (node pool \"{pname}\")", zone.meta.address()))
                                .primary(&zone.meta.origin, "existing zone")
                                .at_pool(caddr, &pname),
                        );
                    }
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_names() {
        assert!(zone_name_ok(
            "privatelink.westeurope.azmk8s.io",
            Some("westeurope"),
            false
        ));
        assert!(zone_name_ok(
            "team1.privatelink.westeurope.azmk8s.io",
            Some("westeurope"),
            false
        ));
        assert!(!zone_name_ok(
            "privatelink.northeurope.azmk8s.io",
            Some("westeurope"),
            false
        ));
        assert!(!zone_name_ok(
            "privatelink.azurecr.io",
            Some("westeurope"),
            false
        ));
        assert!(!zone_name_ok(
            "xprivatelink.westeurope.azmk8s.io",
            Some("westeurope"),
            false
        ));
        assert!(zone_name_ok(
            "private.westeurope.azmk8s.io",
            Some("westeurope"),
            true
        ));
        assert!(zone_name_ok(
            "privatelink.chinaeast2.cx.prod.service.azk8s.cn",
            Some("chinaeast2"),
            false
        ));
    }
}
