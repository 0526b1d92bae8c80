//! The mapper over the corpus (Azure REST API specification examples and `az` output, in
//! `../shared/corpus/`) and over fixtures (`testdata/fixtures/arm/`) for what the corpus lacks:
//! a whole hub-and-spoke estate, `az aks show`, child resources, unknown values.

use super::*;
use crate::input::terraform::summarize;
use crate::input::{InputKind, load};
use crate::model::*;
use crate::source::{Loc, SourceMap};

/// Load a file under a display name relative to the repository (`../shared/corpus/…` or
/// `testdata/…`), as the CLI would.
fn load_rel(rel: &str) -> (Model, SourceMap) {
    let path = format!("{}/{rel}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut sources = SourceMap::new();
    let (kind, model) = load(&mut sources, rel, text).unwrap_or_else(|e| panic!("{rel}: {e:?}"));
    assert_eq!(kind, InputKind::ArmResources, "{rel}");
    (model, sources)
}

/// The text an origin points at.
fn text_at(sm: &mut SourceMap, o: &crate::source::Origin) -> String {
    let l = sm
        .locate(o)
        .unwrap_or_else(|| panic!("origin does not resolve: {o:?}"));
    sm.get(l.file).text[l.span].to_string()
}

fn id(s: &str) -> Ref {
    Ref::id(s)
}

const SUB1: &str = "/subscriptions/11111111-1111-1111-1111-111111111111";
const SUB2: &str = "/subscriptions/22222222-2222-2222-2222-222222222222";

// ------------------------------------------------------------------ the corpus

/// Every file of `arm-api/` and `az-cli/` loads; what each contributes is its snapshot.
#[test]
fn corpus_files_load_and_contribute() {
    for dir in ["arm-api", "az-cli"] {
        let d = format!("{}/../shared/corpus/{dir}", env!("CARGO_MANIFEST_DIR"));
        let mut names: Vec<String> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".json"))
            .collect();
        names.sort();
        assert!(!names.is_empty(), "{d}");
        for n in names {
            let (m, _) = load_rel(&format!("../shared/corpus/{dir}/{n}"));
            let stem = n.trim_end_matches(".json");
            insta::assert_snapshot!(format!("corpus__{dir}__{stem}"), summarize(&m));
        }
    }
}

/// `az` output (properties hoisted, `privateIpAddress` spelt differently) maps to the same
/// model as the REST body it was made from.
#[test]
fn az_output_and_rest_give_the_same_model() {
    for (rest, az) in [
        (
            "network-2024-07-01-AzureFirewallGet",
            "az-network-firewall-show",
        ),
        (
            "network-2024-07-01-FirewallPolicyGet",
            "az-network-firewall-policy-show",
        ),
        (
            "network-2024-07-01-FirewallPolicyRuleCollectionGroupGet",
            "az-network-firewall-policy-rule-collection-group-show",
        ),
        (
            "network-2024-07-01-NatGatewayGet",
            "az-network-nat-gateway-show",
        ),
        (
            "network-2024-07-01-NetworkSecurityGroupGet",
            "az-network-nsg-show",
        ),
        (
            "network-2024-07-01-PublicIpAddressGet",
            "az-network-public-ip-show",
        ),
        (
            "network-2024-07-01-RouteTableGet",
            "az-network-route-table-show",
        ),
        (
            "network-2024-07-01-VirtualNetworkPeeringGet",
            "az-network-vnet-peering-show",
        ),
        (
            "network-2024-07-01-VirtualNetworkGet",
            "az-network-vnet-show",
        ),
    ] {
        let (a, _) = load_rel(&format!("../shared/corpus/arm-api/{rest}.json"));
        let (b, _) = load_rel(&format!("../shared/corpus/az-cli/{az}.json"));
        assert_eq!(summarize(&a), summarize(&b), "{rest} vs {az}");
        assert!(!summarize(&a).is_empty(), "{rest}");
    }
}

#[test]
fn corpus_firewall_details() {
    let (m, mut sm) = load_rel("../shared/corpus/arm-api/network-2024-07-01-AzureFirewallGet.json");
    let fw = &m.firewalls[0];
    assert_eq!(fw.meta.address(), "rg1/azureFirewalls/azurefirewall");
    assert_eq!(fw.private_ip, Known::Known("10.0.0.0".parse().unwrap()));
    assert_eq!(fw.policy, Known::Absent);
    let kinds: Vec<_> = fw.collections.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        [
            RuleCollectionKind::Nat,
            RuleCollectionKind::Network,
            RuleCollectionKind::Application
        ]
    );
    // the rule's origin is the rule object in the specification example
    let FirewallRule::Application(app) = &fw.collections[2].rules[0] else {
        panic!("application rule")
    };
    assert_eq!(
        app.origin.loc,
        Loc::Pointer(
            "/responses/200/body/properties/applicationRuleCollections/0/properties/rules/0".into()
        )
    );
    assert!(text_at(&mut sm, &app.origin).contains("www.test.com"));
    assert!(text_at(&mut sm, fw.meta.origin_of("private_ip")).contains("10.0.0.0"));
}

#[test]
fn corpus_cluster_private_zone_and_proxy() {
    let (m, _) = load_rel(
        "../shared/corpus/arm-api/containerservice-2024-09-01-ManagedClustersCreate_PrivateClusterFQDNSubdomain.json",
    );
    let c = &m.clusters[0];
    assert_eq!(c.private_cluster, Known::Known(true));
    assert!(matches!(
        c.private_dns_zone,
        Known::Known(PrivateDnsZoneSetting::Custom(Ref::Id(_)))
    ));
    // the 200 body is read (not the request's `parameters`)
    assert!(matches!(&c.meta.origin.loc, Loc::Pointer(p) if p == "/responses/200/body"));
    let (m, _) = load_rel(
        "../shared/corpus/arm-api/containerservice-2024-09-01-ManagedClustersCreate_HTTPProxy.json",
    );
    let p = m.clusters[0].http_proxy.known().expect("proxy");
    assert_eq!(
        p.https_proxy.as_deref(),
        Some("https://myproxy.server.com:8080")
    );
}

// ------------------------------------------------------------------ a whole estate

#[test]
fn estate_maps_every_type_with_links() {
    let (m, mut sm) = load_rel("testdata/fixtures/arm/estate-rest.json");
    insta::assert_snapshot!("fixture__estate_rest", summarize(&m));

    // VNet, inline subnets and peering
    let vnet = m
        .vnet(&id(&format!(
            "{SUB1}/resourceGroups/rg-spoke/providers/Microsoft.Network/virtualNetworks/vnet-spoke"
        )))
        .expect("vnet");
    let dns: Vec<_> = vnet
        .dns_servers
        .known()
        .unwrap()
        .iter()
        .map(|d| d.ip.clone())
        .collect();
    assert_eq!(dns, vec![Known::Known("10.0.1.4".parse().unwrap())]);
    let nodes = m.vnet_subnets(vnet).next().expect("subnet");
    assert_eq!(nodes.meta.name, Known::Known("snet-nodes".into()));
    assert_eq!(nodes.default_outbound_access, Known::Known(false));
    assert!(m.nsg(nodes.nsg.known().unwrap()).is_some());
    assert!(m.route_table(nodes.route_table.known().unwrap()).is_some());
    assert_eq!(
        text_at(&mut sm, nodes.meta.origin_of("route_table")),
        format!(
            "{{ \"id\": \"{SUB1}/resourceGroups/rg-spoke/providers/Microsoft.Network/routeTables/rt-spoke\" }}"
        )
    );
    let natted = m
        .subnets
        .iter()
        .find(|s| s.meta.name == Known::Known("snet-natted".into()))
        .unwrap();
    assert_eq!(
        natted.delegations,
        vec!["Microsoft.ContainerService/managedClusters"]
    );
    assert_eq!(natted.prefixes.known().map(Vec::len), Some(2));
    let ng = m
        .nat_gateway(natted.nat_gateway.known().unwrap())
        .expect("nat");
    assert!(m.public_ip(&ng.public_ips[0]).is_some());
    assert!(m.public_ip_prefix(&ng.public_ip_prefixes[0]).is_some());
    let peer = m.peerings_of(vnet).next().expect("peering");
    assert_eq!(peer.state, Known::Known("Connected".into()));
    assert_eq!(peer.allow_forwarded_traffic, Known::Known(true));

    // the NSG with its inline rule and the separate rule resource
    let nsg = m.nsg(nodes.nsg.known().unwrap()).unwrap();
    let rules = nsg.rules.known().unwrap();
    assert_eq!(rules.len(), 2, "default rules are not stored");
    let allow = rules
        .iter()
        .find(|r| r.priority == Known::Known(100))
        .unwrap();
    assert_eq!(allow.protocol, Known::Known(NsgProtocol::Tcp));
    assert_eq!(
        allow.destination_ports,
        Known::Known(vec![
            PortRange::single(443),
            PortRange { lo: 8000, hi: 8080 }
        ])
    );
    assert_eq!(
        allow.destinations.known().unwrap().len(),
        3,
        "two prefixes and an ASG"
    );
    assert!(text_at(&mut sm, &allow.origin).contains("allow-hub-443"));

    // route table: inline route, separate service-tag route, BGP propagation off
    let rt = m.route_table(nodes.route_table.known().unwrap()).unwrap();
    assert_eq!(rt.bgp_route_propagation, Known::Known(false));
    let routes = rt.routes.known().unwrap();
    assert_eq!(routes.len(), 2);
    assert_eq!(
        routes[1].prefix,
        Known::Known(RoutePrefix::Tag("Storage.WestEurope".into()))
    );

    // firewall → policy → base policy (missing) and listed group
    let fw = &m.firewalls[0];
    assert_eq!(fw.dns_proxy, Known::Known(true));
    assert_eq!(fw.dns_servers, vec!["10.0.2.4", "10.0.2.5"]);
    assert_eq!(fw.sku_tier, Known::Known("Premium".into()));
    let pol = m
        .firewall_policy(fw.policy.known().unwrap())
        .expect("policy");
    assert!(pol.base_policy.is_known());
    assert_eq!(pol.rule_collection_groups.known().map(Vec::len), Some(1));
    let g = m
        .rule_collection_group(&pol.rule_collection_groups.known().unwrap()[0])
        .expect("group");
    assert_eq!(g.priority, Known::Known(200));
    let kinds: Vec<_> = g
        .collections
        .iter()
        .map(|c| (c.kind, c.action.clone()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (
                RuleCollectionKind::Application,
                Known::Known(FwAction::Allow)
            ),
            (RuleCollectionKind::Network, Known::Known(FwAction::Allow)),
            (RuleCollectionKind::Nat, Known::Known(FwAction::Dnat)),
        ],
        "a filter collection with both rule types is split"
    );
    let FirewallRule::Network(ntp) = &g.collections[1].rules[0] else {
        panic!("network rule")
    };
    assert_eq!(ntp.protocols, vec![NetProtocol::Udp]);
    assert!(m.ip_group(&ntp.source_ip_groups[0]).is_some());
    let FirewallRule::Application(tag) = &g.collections[0].rules[0] else {
        panic!("application rule")
    };
    assert_eq!(tag.protocols[1].port, 80, "Http without a port is 80");

    // DNS
    let link = &m.dns_zone_links[0];
    assert!(m.private_dns_zone(link.zone.known().unwrap()).is_some());
    assert_eq!(
        link.zone_name,
        Known::Known("privatelink.westeurope.azmk8s.io".into())
    );
    let inb = &m.dns_resolver_inbound_endpoints[0];
    assert_eq!(inb.ip, Known::Known("10.0.2.4".parse().unwrap()));
    assert_eq!(
        inb.vnet,
        Known::Known(id(&format!(
            "{SUB2}/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub"
        )))
    );

    // the cluster: profiles, and the separate agent pool replacing its profile by name
    let c = &m.clusters[0];
    assert_eq!(
        c.outbound_type,
        Known::Known(OutboundType::UserDefinedRouting)
    );
    assert_eq!(
        c.features,
        vec!["addon:monitoring", "feature:workload-identity"]
    );
    assert_eq!(c.node_pools.len(), 2);
    let gpu = &c.node_pools[1];
    assert_eq!(gpu.os_type, Known::Known(OsType::Windows));
    assert_eq!(gpu.vm_size, Known::Known("Standard_NC12s_v3".into()));
    assert!(gpu.gpu);
    assert_eq!(gpu.node_public_ip, Known::Known(true));
    assert_eq!(
        m.subnet(gpu.subnet.known().unwrap())
            .map(|s| s.meta.key.as_str()),
        Some(natted.meta.key.as_str())
    );
    assert!(m.input_notes.is_empty(), "{:?}", m.input_notes);
}

#[test]
fn az_aks_show_shape() {
    let (m, mut sm) = load_rel("testdata/fixtures/arm/az-aks-show.json");
    let c = &m.clusters[0];
    assert_eq!(c.meta.address(), "rg-aks/managedClusters/aks-az");
    assert_eq!(c.meta.resource_group, Known::Known("rg-aks".into()));
    assert_eq!(c.outbound_type, Known::Known(OutboundType::LoadBalancer));
    assert_eq!(c.private_cluster, Known::Known(false));
    assert_eq!(c.private_dns_zone, Known::Absent);
    let ranges: Vec<_> = c
        .authorized_ip_ranges
        .known()
        .unwrap()
        .iter()
        .map(|p| p.net.clone())
        .collect();
    assert_eq!(
        ranges,
        vec![
            Known::Known("20.1.2.3/32".parse().unwrap()),
            Known::Known("198.51.100.0/24".parse().unwrap())
        ]
    );
    assert_eq!(c.lb_outbound_ips.len(), 1);
    assert_eq!(
        c.features,
        vec!["addon:azure-policy", "addon:keyvault-csi", "addon:defender"]
    );
    assert!(matches!(&c.node_pools[0].subnet, Known::Known(Ref::Id(_))));
    // the proxy password is neither in the model nor in what a finding would show
    let p = c.http_proxy.known().unwrap();
    assert_eq!(
        p.http_proxy.as_deref(),
        Some("http://proxy.corp.example:3128/")
    );
    let file = c.meta.origin.file.unwrap();
    let whole = 0..sm.get(file).text.len();
    let shown = sm.excerpt(file, &[whole], 10_000);
    assert!(
        !shown.text().contains("Pr0xyPassw0rd"),
        "masked in excerpts"
    );
    assert!(text_at(&mut sm, c.meta.origin_of("authorized_ip_ranges")).contains("198.51.100.0/24"));
}

#[test]
fn unknown_markers_become_unknown_values() {
    let (m, _) = load_rel("testdata/fixtures/arm/unknown-values.json");
    let rt = &m.route_tables[0];
    let hop = rt.routes.known().unwrap()[0].next_hop_ip.as_ref().unwrap();
    assert!(
        hop.ip
            .unknown_reason()
            .unwrap()
            .contains("reference('hubFirewall')"),
        "{:?}",
        hop.ip
    );
    let nsg = &m.nsgs[0];
    assert_eq!(
        nsg.rules.unknown_reason(),
        Some("the rules come from a parameter")
    );
    // without an id: keyed and named by type and name
    assert_eq!(
        nsg.meta.key,
        "Microsoft.Network/networkSecurityGroups/nsg-template"
    );
    let s = &m.subnets[0];
    assert_eq!(s.meta.name, Known::Known("snet-t".into()));
    assert!(s.route_table.is_unknown());
    assert!(s.vnet.is_known());
}

#[test]
fn the_mapper_api_takes_resources_from_any_front_end() {
    // what an ARM template evaluator hands over: REST shape, a symbol, a planned lifecycle
    let r = ArmResource {
        value: serde_json::json!({
            "type": "Microsoft.Network/routeTables",
            "name": "rt",
            "id": format!("{SUB1}/resourceGroups/g/providers/Microsoft.Network/routeTables/rt"),
            "properties": {"routes": [{"name": "default", "properties": {
                "addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance",
                "nextHopIpAddress": unknown_value("known at deployment")}}]}
        }),
        origin: crate::source::Origin {
            file: None,
            address: None,
            loc: Loc::Pointer("/resources/2".into()),
        },
        lifecycle: Lifecycle::Create,
        symbol: Some("hub.routeTable".into()),
    };
    let m = map_resources(&[r]);
    let rt = &m.route_tables[0];
    assert_eq!(rt.meta.address(), "hub.routeTable");
    assert_eq!(rt.meta.lifecycle, Lifecycle::Create);
    let route = &rt.routes.known().unwrap()[0];
    assert_eq!(
        route.origin.loc,
        Loc::Pointer("/resources/2/properties/routes/0".into())
    );
    assert_eq!(
        route.next_hop_ip.as_ref().unwrap().ip.unknown_reason(),
        Some("known at deployment")
    );
    // one lookup by id, case-insensitive
    assert!(
        m.route_table(&id(&format!(
            "{}/RESOURCEGROUPS/G/providers/Microsoft.Network/routeTables/RT",
            SUB1.to_uppercase()
        )))
        .is_some()
    );
}

#[test]
fn shapes_that_are_not_arm_resources() {
    for (text, arm) in [
        (
            r#"{"format_version": "1.2", "resource_changes": []}"#,
            false,
        ),
        (
            r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "resources": []}"#,
            false,
        ),
        (r#"{"status": "Succeeded", "changes": []}"#, false),
        (
            r#"{"value": [{"source": "Default", "state": "Active"}]}"#,
            false,
        ),
        (r#"{"value": []}"#, true),
        (r#"[]"#, true),
        (
            r#"[{"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/ipGroups/x"}]"#,
            true,
        ),
        (r#"{"totalRecords": 0, "count": 0, "data": []}"#, true),
        (r#"{"data": []}"#, false),
        (
            r#"{"parameters": {}, "responses": {"200": {"body": {}}}}"#,
            true,
        ),
    ] {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(is_arm_resource_json(&v), arm, "{text}");
    }
}
