//! Real command lines from Microsoft's AKS documentation (MicrosoftDocs/azure-aks-docs,
//! `articles/aks/*.md`, published on learn.microsoft.com/azure/aks/), placeholders filled in,
//! and the model each must produce.

use super::*;
use crate::model::{Cluster, Known, OsType, OutboundType, PrivateDnsZoneSetting, Ref};
use std::collections::HashMap;

const SUB: &str = "3f2c9b1e-7d4a-4c8e-9a51-2b6f0d8e1c47";

fn subnet(vnet: &str, name: &str) -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/{vnet}/subnets/{name}"
    )
}

fn identity() -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/rg-id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-aks"
    )
}

struct Files(HashMap<&'static str, &'static str>);

impl Reader for Files {
    fn read(&self, path: &str) -> Result<String, String> {
        self.0
            .get(path)
            .map(|s| s.to_string())
            .ok_or_else(|| "No such file or directory (os error 2)".into())
    }
}

/// `az …` as a shell would split it (the documentation's commands hold no quotes).
fn words(cmd: &str) -> Vec<String> {
    let cmd = cmd.replace("\\\n", " ");
    let mut w: Vec<String> = cmd.split_whitespace().map(str::to_string).collect();
    assert_eq!(w.remove(0), "az");
    w
}

fn load_with(cmd: &str, files: &Files) -> Result<(Command, SourceMap), Error> {
    let mut sources = SourceMap::new();
    let c = load(&mut sources, &words(cmd), files)?;
    Ok((c, sources))
}

fn cluster(cmd: &str) -> (Cluster, Model, Command) {
    let (c, _) = load_with(cmd, &Files(HashMap::new())).unwrap();
    let Planned::Cluster(m) = &c.planned else {
        panic!("not a cluster")
    };
    assert_eq!(m.clusters.len(), 1);
    (m.clusters[0].clone(), m.clone(), c)
}

fn rejection(cmd: &str) -> String {
    match load_with(cmd, &Files(HashMap::new())) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("accepted: {cmd}"),
    }
}

/// The text the origin of a field points at.
fn points_at(c: &Command, o: &crate::source::Origin) -> String {
    match &o.loc {
        crate::source::Loc::Span(r) => c.line.text[r.clone()].to_string(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn private_cluster_with_custom_dns_zone_and_subdomain() {
    // articles/aks/private-clusters.md, "Create a private AKS cluster with a custom private DNS
    // zone or private DNS subzone" (learn.microsoft.com/azure/aks/private-clusters)
    let zone = format!(
        "/subscriptions/{SUB}/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/privatelink.westeurope.azmk8s.io"
    );
    let (c, m, cmd) = cluster(&format!(
        "az aks create \\
    --name aks-private \\
    --resource-group rg-aks \\
    --load-balancer-sku standard \\
    --enable-private-cluster \\
    --assign-identity {} \\
    --private-dns-zone {zone} \\
    --fqdn-subdomain team1 \\
    --generate-ssh-keys",
        identity()
    ));
    assert_eq!(c.private_cluster, Known::Known(true));
    assert_eq!(
        c.private_dns_zone,
        Known::Known(PrivateDnsZoneSetting::Custom(Ref::id(zone)))
    );
    assert_eq!(c.dns_prefix, Known::Known("team1".into()));
    // the user-assigned control-plane identity a custom zone needs
    assert_eq!(
        c.identity,
        Known::Known(crate::model::ClusterIdentity::UserAssigned(vec![Ref::id(
            identity()
        )]))
    );
    assert_eq!(
        points_at(&cmd, c.meta.origin_of("identity")),
        format!("--assign-identity {}", identity())
    );
    // AKS keeps the public FQDN unless --disable-public-fqdn
    assert_eq!(c.private_cluster_public_fqdn, Known::Known(true));
    assert_eq!(c.outbound_type, Known::Known(OutboundType::LoadBalancer));
    // no --vnet-subnet-id: the AKS-managed VNet
    assert!(c.node_pools[0].subnet.is_absent());
    assert_eq!(c.node_pools[0].name, Known::Known("nodepool1".into()));
    assert_eq!(
        points_at(&cmd, c.meta.origin_of("private_dns_zone")),
        format!(
            "--private-dns-zone {}",
            c.private_dns_zone
                .known()
                .map(|z| match z {
                    PrivateDnsZoneSetting::Custom(r) => r.display(),
                    _ => String::new(),
                })
                .unwrap_or_default()
        )
    );
    // the defaults are said once
    let notes: Vec<_> = m
        .input_notes
        .iter()
        .filter(|n| n.code == "INP004")
        .collect();
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0].message.contains("outbound type loadBalancer"),
        "{}",
        notes[0].message
    );
    assert!(
        notes[0].message.contains("Azure CNI Overlay"),
        "{}",
        notes[0].message
    );
    assert_eq!(c.network_plugin, Known::Known("azure".into()));
    assert_eq!(c.network_plugin_mode, Known::Known("overlay".into()));
}

#[test]
fn udr_with_azure_firewall() {
    // articles/aks/limit-egress-traffic.md, "Create an AKS cluster with a system-assigned
    // identity" (learn.microsoft.com/azure/aks/limit-egress-traffic)
    let (c, _, cmd) = cluster(&format!(
        "az aks create --resource-group rg-egress --name aks-egress --location westeurope \\
        --node-count 3 \\
        --network-plugin azure \\
        --outbound-type userDefinedRouting \\
        --vnet-subnet-id {} \\
        --api-server-authorized-ip-ranges 20.31.7.129 \\
        --generate-ssh-keys",
        subnet("vnet-spoke", "snet-aks")
    ));
    assert_eq!(
        c.outbound_type,
        Known::Known(OutboundType::UserDefinedRouting)
    );
    assert_eq!(
        points_at(&cmd, c.meta.origin_of("outbound_type")),
        "--outbound-type userDefinedRouting"
    );
    assert_eq!(c.network_plugin, Known::Known("azure".into()));
    assert!(c.network_plugin_mode.is_absent());
    assert_eq!(c.meta.location, Known::Known("westeurope".into()));
    assert_eq!(
        c.node_pools[0].subnet,
        Known::Known(Ref::id(subnet("vnet-spoke", "snet-aks")))
    );
    assert!(
        points_at(&cmd, &c.node_pools[0].subnet_origin)
            .starts_with("--vnet-subnet-id /subscriptions/")
    );
    let ranges = c.authorized_ip_ranges.known().unwrap();
    assert_eq!(ranges.len(), 1);
    assert_eq!(
        ranges[0].net,
        Known::Known("20.31.7.129/32".parse().unwrap())
    );
    assert_eq!(points_at(&cmd, &ranges[0].origin), "20.31.7.129");
    // no subscription given: no id, the address is rg/managedClusters/name
    assert!(c.meta.id.is_none());
    assert_eq!(c.meta.address(), "rg-egress/managedClusters/aks-egress");
}

#[test]
fn user_assigned_nat_gateway() {
    // articles/aks/nat-gateway.md, "Create an AKS cluster with a userAssignedNatGateway"
    let (c, _, _) = cluster(&format!(
        "az aks create \\
        --resource-group rg-nat \\
        --name myNatCluster \\
        --location southcentralus \\
        --network-plugin azure \\
        --vnet-subnet-id {} \\
        --outbound-type userAssignedNATGateway \\
        --assign-identity {} \\
        --generate-ssh-keys \\
        --subscription {SUB}",
        subnet("vnet-nat", "snet-aks"),
        identity()
    ));
    assert_eq!(
        c.outbound_type,
        Known::Known(OutboundType::UserAssignedNatGateway)
    );
    assert_eq!(
        c.meta.id.as_ref().map(|i| i.as_str().to_string()),
        Some(format!(
            "/subscriptions/{SUB}/resourceGroups/rg-nat/providers/Microsoft.ContainerService/managedClusters/myNatCluster"
        ))
    );
    // az's default DNS prefix: name[:10]-rg[:16]-subscription[:6]
    assert_eq!(
        c.dns_prefix,
        Known::Known("myNatClust-rg-nat-3f2c9b".into())
    );
}

#[test]
fn managed_nat_gateway_v2_preview_flags() {
    // articles/aks/nat-gateway.md, "Create an AKS cluster with a managed StandardV2 NAT gateway"
    // (aks-preview)
    let (c, m, _) = cluster(
        "az aks create \\
        --resource-group rg-nat \\
        --name myNatCluster \\
        --node-count 3 \\
        --outbound-type managedNATGatewayV2 \\
        --nat-gateway-outbound-ips /subscriptions/s/resourceGroups/g/providers/Microsoft.Network/publicIPAddresses/pip \\
        --nat-gateway-outbound-ip-prefixes /subscriptions/s/resourceGroups/g/providers/Microsoft.Network/publicIPPrefixes/pfx \\
        --nat-gateway-idle-timeout 4 \\
        --generate-ssh-keys",
    );
    assert_eq!(
        c.outbound_type,
        Known::Known(OutboundType::ManagedNatGatewayV2)
    );
    assert!(!m.input_notes.iter().any(|n| n.code == "AZC001"));
}

#[test]
fn private_api_server_vnet_integration() {
    // articles/aks/api-server-vnet-integration.md, "Deploy a private AKS cluster with API Server
    // VNet integration" (bring your own VNet)
    let (c, _, _) = cluster(&format!(
        "az aks create --name aks-vnetint \\
    --resource-group rg-aks \\
    --location westeurope \\
    --network-plugin azure \\
    --enable-private-cluster \\
    --enable-apiserver-vnet-integration \\
    --vnet-subnet-id {} \\
    --apiserver-subnet-id {} \\
    --assign-identity {} \\
    --generate-ssh-keys",
        subnet("vnet-aks", "snet-nodes"),
        subnet("vnet-aks", "snet-apiserver"),
        identity()
    ));
    assert_eq!(c.private_cluster, Known::Known(true));
    assert_eq!(c.apiserver_vnet_integration, Known::Known(true));
    assert_eq!(
        c.apiserver_subnet,
        Known::Known(Ref::id(subnet("vnet-aks", "snet-apiserver")))
    );
    assert_eq!(
        c.private_dns_zone,
        Known::Known(PrivateDnsZoneSetting::System)
    );
}

#[test]
fn http_proxy_from_the_config_file() {
    // articles/aks/http-proxy.md, "Create a cluster with an HTTP proxy configuration using the
    // Azure CLI", with the article's example configuration (a user and password added to the
    // proxy URL: never kept)
    let files = Files(HashMap::from([(
        "aks-proxy-config.json",
        r#"{
  "httpProxy": "http://myproxy.server.com:8080",
  "httpsProxy": "https://user:p4ss@myproxy.server.com:8080",
  "noProxy": ["localhost", "127.0.0.1"],
  "trustedCa": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUgvVENDQmVXZ0F3SUJB...S0tLS0="
}"#,
    )]));
    let (c, _) = load_with(
        "az aks create \\
       --name aks-proxy \\
       --resource-group rg-aks \\
       --http-proxy-config aks-proxy-config.json \\
       --generate-ssh-keys",
        &files,
    )
    .unwrap();
    let Planned::Cluster(m) = &c.planned else {
        panic!()
    };
    let p = m.clusters[0].http_proxy.known().unwrap();
    assert_eq!(
        p.http_proxy.as_deref(),
        Some("http://myproxy.server.com:8080")
    );
    assert_eq!(
        p.https_proxy.as_deref(),
        Some("https://myproxy.server.com:8080")
    );
    assert_eq!(p.no_proxy, ["localhost", "127.0.0.1"]);
    assert!(!format!("{m:?}").contains("p4ss") && !format!("{m:?}").contains("LS0t"));
    // a missing file is what az cannot read either
    let e = load_with(
        "az aks create -n aks -g rg --http-proxy-config missing.json",
        &files,
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("--http-proxy-config missing.json"),
        "{e}"
    );
}

#[test]
fn network_isolated_cluster_with_registry() {
    // articles/aks/network-isolated.md, "Create a private link-based network isolated cluster
    // that accesses your ACR"
    let (c, _, _) = cluster(&format!(
        "az aks create --resource-group rg-iso --name aks-iso --kubernetes-version 1.30.3 --vnet-subnet-id {} --assign-identity {} --assign-kubelet-identity {} --bootstrap-artifact-source Cache --bootstrap-container-registry-resource-id /subscriptions/{SUB}/resourceGroups/rg-acr/providers/Microsoft.ContainerRegistry/registries/acriso --outbound-type none --network-plugin azure --enable-private-cluster",
        subnet("vnet-iso", "snet-aks"),
        identity(),
        identity()
    ));
    assert_eq!(c.outbound_type, Known::Known(OutboundType::None));
    assert_eq!(c.bootstrap_artifact_source, Known::Known("Cache".into()));
    assert_eq!(c.private_cluster, Known::Known(true));
}

#[test]
fn default_plugin_follows_the_kubernetes_version() {
    let (c, _, _) = cluster("az aks create -g rg -n aks -k 1.29.9");
    assert_eq!(c.network_plugin, Known::Known("kubenet".into()));
    let (c, _, _) = cluster("az aks create -g rg -n aks -k 1.31");
    assert_eq!(c.network_plugin_mode, Known::Known("overlay".into()));
    let (c, _, _) = cluster("az aks create -g rg -n aks --sku automatic");
    assert_eq!(
        c.outbound_type,
        Known::Known(OutboundType::ManagedNatGateway)
    );
}

#[test]
fn addons_and_features() {
    let (c, _, _) = cluster(
        "az aks create -g rg -n aks -a monitoring,azure-keyvault-secrets-provider --enable-workload-identity --enable-defender",
    );
    assert_eq!(
        c.features,
        [
            "addon:defender",
            "addon:keyvault-csi",
            "addon:monitoring",
            "feature:workload-identity"
        ]
    );
}

#[test]
fn commands_az_rejects_say_so_at_the_argument() {
    let e = rejection("az aks create -g rg -n aks --outbound-type userDefinedRouting");
    assert!(
        e.contains("--vnet-subnet-id must be specified for userDefinedRouting"),
        "{e}"
    );
    assert!(
        rejection("az aks create -g rg -n aks --pod-cidr 10.244.0.0/16")
            .contains("explicitly specify the network plugin")
    );
    assert!(
        rejection("az aks create -g rg -n aks --network-plugin azure --pod-cidr 10.244.0.0/16")
            .contains("overlay")
    );
    assert!(rejection("az aks create -g rg -n aks --enable-private-cluster --api-server-authorized-ip-ranges 20.1.2.3").contains("not supported for private cluster"));
    assert!(
        rejection("az aks create -g rg -n aks --private-dns-zone system")
            .contains("public cluster")
    );
    assert!(
        rejection("az aks create -g rg -n aks --disable-public-fqdn")
            .contains("--enable-private-cluster")
    );
    assert!(
        rejection("az aks create -g rg -n aks --enable-private-cluster --fqdn-subdomain x")
            .contains("custom private dns zone")
    );
    assert!(rejection("az aks create -g rg -n aks --apiserver-subnet-id /subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/a").contains("requires \"--vnet-subnet-id\""));
    assert!(rejection("az aks create -g rg -n aks --outbound-type userDefinedRouting --vnet-subnet-id /subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/a --load-balancer-managed-outbound-ip-count 2").contains("customizing a standard load balancer"));
    assert!(
        rejection(
            "az aks create -g rg -n aks --load-balancer-sku basic --outbound-type managedNATGateway"
        )
        .contains("basic load balancer")
    );
    assert!(rejection("az aks create -g rg -n aks --bootstrap-container-registry-resource-id /subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerRegistry/registries/r").contains("Cache"));
    assert!(rejection("az aks create -n aks").contains("required: --resource-group/-g"));
    assert!(
        rejection("az aks create -g rg -n aks --nodepool-name pool_1").contains("alphanumeric")
    );
    assert!(rejection("az aks update -g rg -n aks").contains("not a command aks-preflight reads"));
}

#[test]
fn a_rejection_points_at_the_argument_in_the_command_line() {
    let (_, e) = match load_with(
        "az aks create -g rg -n aks --outbound-type userDefinedRouting --client-secret hunter2",
        &Files(HashMap::new()),
    ) {
        Err(e) => ((), e),
        Ok(_) => panic!(),
    };
    let loc = e.location().unwrap().clone();
    assert_eq!(loc.file, SOURCE_NAME);
    assert_eq!((loc.line, loc.column), (4, 3));
    let shown = crate::cli::commands::render_error(&e, false);
    assert!(
        shown.contains("--outbound-type userDefinedRouting"),
        "{shown}"
    );
    assert!(!shown.contains("hunter2"), "{shown}");
    // argparse's own errors too, with the rest of the command (secrets masked)
    let e = load_with(
        "az aks create -g rg --zones --client-secret hunter2",
        &Files(HashMap::new()),
    )
    .unwrap_err();
    let shown = crate::cli::commands::render_error(&e, false);
    assert!(shown.contains("expected at least one argument"), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
}

#[test]
fn unknown_arguments_are_notes() {
    let (_, m, _) = cluster(
        "az aks create -g rg -n aks --enable-some-future-thing --some-value x -o table --query id --only-show-errors --debug",
    );
    let notes: Vec<&str> = m
        .input_notes
        .iter()
        .filter(|n| n.code == "AZC001")
        .map(|n| n.message.as_str())
        .collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes[0].contains("--enable-some-future-thing"));
    assert!(notes[1].contains("--some-value"));
}

#[test]
fn nodepool_add_documented_commands() {
    // articles/aks/node-pool-unique-subnet.md, "Add a node pool with a unique subnet"
    let (c, _) = load_with(
        &format!(
            "az aks nodepool add \\
        --resource-group rg-aks \\
        --cluster-name aks1 \\
        --name np2 \\
        --node-count 3 \\
        --vnet-subnet-id {}",
            subnet("vnet-aks", "snet-np2")
        ),
        &Files(HashMap::new()),
    )
    .unwrap();
    let Planned::Pool(p) = &c.planned else {
        panic!()
    };
    assert_eq!(p.cluster_address(), "rg-aks/managedClusters/aks1");
    assert_eq!(
        p.pool.subnet,
        Known::Known(Ref::id(subnet("vnet-aks", "snet-np2")))
    );
    assert_eq!(p.pool.mode, Known::Known("User".into()));
    // articles/aks/learn/quick-windows-container-deploy-cli.md, "Add a Windows node pool"
    let (c, _) = load_with(
        "az aks nodepool add \\
      --resource-group rg-aks \\
      --cluster-name aks1 \\
      --os-type Windows \\
      --os-sku Windows2025 \\
      --enable-fips-image \\
      --name npwin \\
      --node-count 1",
        &Files(HashMap::new()),
    )
    .unwrap();
    let Planned::Pool(p) = &c.planned else {
        panic!()
    };
    assert_eq!(p.pool.os_type, Known::Known(OsType::Windows));
    // articles/aks/use-nvidia-gpu.md, "Create a node pool" (a GPU pool)
    let (c, _) = load_with(
        "az aks nodepool add \\
    --resource-group rg-aks \\
    --cluster-name aks1 \\
    --name gpunp \\
    --node-count 1 \\
    --node-vm-size Standard_NC4as_T4_v3 \\
    --node-taints sku=gpu:NoSchedule \\
    --enable-cluster-autoscaler \\
    --min-count 1 \\
    --max-count 3",
        &Files(HashMap::new()),
    )
    .unwrap();
    let Planned::Pool(p) = &c.planned else {
        panic!()
    };
    assert!(p.pool.gpu);
    assert!(
        rejection("az aks nodepool add -g rg --cluster-name aks1 -n windows1 --os-type Windows")
            .contains("6 characters")
    );
    assert!(
        rejection(
            "az aks nodepool add -g rg --cluster-name aks1 -n np --disable-windows-outbound-nat"
        )
        .contains("Windows nodepools")
    );
}
