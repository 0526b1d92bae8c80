//! Loader tests: fixtures under `testdata/fixtures/plan/` (one concern each, in the exact shape of
//! `terraform show -json`), and the real files of the shared corpus
//! (`../shared/corpus/terraform-plan/`, beside the repository; provenance in its PROVENANCE.md).

use super::summarize;
use crate::error::Error;
use crate::input::{InputKind, load};
use crate::model::*;
use crate::source::{Loc, Origin, SourceMap};

/// Where a test input is: `corpus/…` in the shared third-party corpus beside the repository
/// (`../shared/corpus`, never copied in), anything else under `testdata/`.
fn path_of(rel: &str) -> String {
    if rel.starts_with("corpus/") {
        format!("{}/../shared/{rel}", env!("CARGO_MANIFEST_DIR"))
    } else {
        format!("{}/testdata/{rel}", env!("CARGO_MANIFEST_DIR"))
    }
}

fn read(rel: &str) -> String {
    let p = path_of(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn load_file(rel: &str) -> (InputKind, Model, SourceMap) {
    let mut sm = SourceMap::new();
    let (k, m) = load(&mut sm, rel, read(rel)).unwrap_or_else(|e| panic!("{rel}: {e:?}"));
    (k, m, sm)
}

fn fixture(name: &str) -> (Model, SourceMap) {
    let (k, m, sm) = load_file(&format!("fixtures/plan/{name}"));
    assert_eq!(k, InputKind::TerraformPlan, "{name}");
    (m, sm)
}

fn key(k: &str) -> Ref {
    Ref::Key(k.to_string())
}

fn ptr(o: &Origin) -> &str {
    match &o.loc {
        Loc::Pointer(p) => p,
        other => panic!("expected a pointer, got {other:?}"),
    }
}

/// The text an origin points at in its file.
fn text_at(sm: &mut SourceMap, o: &Origin) -> String {
    let l = sm
        .locate(o)
        .unwrap_or_else(|| panic!("origin does not resolve: {o:?}"));
    sm.get(l.file).text[l.span].to_string()
}

fn load_err(text: &str) -> Error {
    let mut sm = SourceMap::new();
    match load(&mut sm, "input.json", text.to_string()) {
        Ok((k, _)) => panic!("expected an error, loaded as {k:?}"),
        Err(e) => e,
    }
}

fn err_parts(e: &Error) -> (String, Option<(usize, usize)>, String, String) {
    match e {
        Error::Input {
            message,
            location,
            label,
            help,
            ..
        } => (
            message.clone(),
            location
                .as_ref()
                .map(|l| (l.span.start, l.span.end - l.span.start)),
            label.clone(),
            help.clone().unwrap_or_default(),
        ),
        other => panic!("expected Error::Input, got {other:?}"),
    }
}

fn notes(m: &Model, code: &str) -> Vec<String> {
    m.input_notes
        .iter()
        .filter(|n| n.code == code)
        .map(|n| n.message.clone())
        .collect()
}

// ------------------------------------------------------------------ modules and associations

#[test]
fn node_pool_subnet_resolves_through_module_output_and_route_table_through_association() {
    let (m, mut sm) = fixture("module_subnet_route_table.json");
    assert!(m.input_notes.is_empty(), "{:?}", m.input_notes);
    assert_eq!(m.clusters.len(), 1);
    let c = &m.clusters[0];
    assert_eq!(c.meta.key, "azurerm_kubernetes_cluster.aks");
    assert_eq!(c.meta.lifecycle, Lifecycle::Create);
    assert_eq!(ptr(&c.meta.origin), "/resource_changes/5/change/after");
    assert_eq!(
        c.outbound_type,
        Known::Known(OutboundType::UserDefinedRouting)
    );
    assert_eq!(
        ptr(c.meta.origin_of("outbound_type")),
        "/resource_changes/5/change/after/network_profile/0/outbound_type"
    );
    assert_eq!(
        text_at(&mut sm, c.meta.origin_of("outbound_type")),
        "\"userDefinedRouting\""
    );

    // default pool -> module.net.subnet_ids["blue"] -> azurerm_subnet.nodes (for_each) + key
    let pool = &c.node_pools[0];
    assert_eq!(pool.key, "azurerm_kubernetes_cluster.aks/default_node_pool");
    let blue = r#"module.net.azurerm_subnet.nodes["blue"]"#;
    assert_eq!(pool.subnet, Known::Known(key(blue)));
    // unknown in `after`: the origin is the configuration expression
    assert!(ptr(&pool.subnet_origin).starts_with("/configuration/root_module/resources/5/"));
    assert!(text_at(&mut sm, &pool.subnet_origin).contains(r#"module.net.subnet_ids[\"blue\"]"#));

    // the separate GPU pool attaches to the cluster through kubernetes_cluster_id
    let gpu = &c.node_pools[1];
    assert_eq!(gpu.key, "azurerm_kubernetes_cluster_node_pool.gpu");
    assert!(gpu.gpu);
    assert_eq!(gpu.mode, Known::Known("User".into()));
    assert_eq!(
        gpu.subnet,
        Known::Known(key(r#"module.net.azurerm_subnet.nodes["green"]"#))
    );

    // the subnet's route table comes from the association resource (for_each, each.key)
    let s = m.subnet(&key(blue)).expect("blue subnet");
    assert_eq!(
        s.vnet,
        Known::Known(key("module.net.azurerm_virtual_network.this"))
    );
    assert_eq!(
        s.route_table,
        Known::Known(key("module.net.azurerm_route_table.egress"))
    );
    let o = s.meta.origin_of("route_table");
    assert_eq!(
        o.address.as_deref(),
        Some(r#"module.net.azurerm_subnet_route_table_association.nodes["blue"]"#)
    );
    assert!(text_at(&mut sm, o).contains("azurerm_route_table.egress.id"));
    assert_eq!(s.nsg, Known::Absent);
    assert_eq!(s.default_outbound_access, Known::Known(false));

    // the route's next hop is the firewall's private IP, passed into the module as a variable
    let rt = m
        .route_table(&key("module.net.azurerm_route_table.egress"))
        .expect("route table");
    assert_eq!(rt.bgp_route_propagation, Known::Known(false));
    let routes = rt.routes.known().expect("routes");
    assert_eq!(routes.len(), 1);
    assert_eq!(
        ptr(&routes[0].origin),
        "/resource_changes/8/change/after/route/0"
    );
    let nh = routes[0].next_hop_ip.as_ref().expect("next hop");
    assert!(nh.ip.is_unknown());
    assert_eq!(
        nh.symbol,
        Some(IpSymbol::FirewallPrivateIp(key("azurerm_firewall.hub")))
    );

    let fw = m.firewall(&key("azurerm_firewall.hub")).expect("firewall");
    assert_eq!(fw.subnet, Known::Known(key("azurerm_subnet.fw")));
    assert_eq!(fw.public_ips, vec![key("azurerm_public_ip.fw")]);
    assert!(fw.private_ip.is_unknown());
    assert_eq!(m.subnets.len(), 3);
    assert_eq!(m.vnets.len(), 2);
}

#[test]
fn nested_modules_module_for_each_and_string_built_ids() {
    let (m, mut sm) = fixture("nested_modules.json");
    // root -> module.spoke["a"].node_subnet_id -> module.subnets.ids[0] -> azurerm_subnet.this[0]
    let a = r#"module.spoke["a"].module.subnets.azurerm_subnet.this[0]"#;
    assert_eq!(m.clusters[0].node_pools[0].subnet, Known::Known(key(a)));
    let s = m.subnet(&key(a)).expect("subnet");
    // virtual_network_name = var.vnet_name, given by the parent module
    assert_eq!(
        s.vnet,
        Known::Known(key(r#"module.spoke["a"].azurerm_virtual_network.this"#))
    );
    assert_eq!(
        s.route_table,
        Known::Known(key(r#"module.spoke["a"].azurerm_route_table.this"#))
    );
    // var.firewall_ip -> module.hub.firewall_private_ip -> the hub firewall, per spoke instance
    for k in ["a", "b"] {
        let rt = m
            .route_table(&key(&format!(
                r#"module.spoke["{k}"].azurerm_route_table.this"#
            )))
            .expect("rt");
        let nh = rt.routes.known().unwrap()[0].next_hop_ip.clone().unwrap();
        assert_eq!(
            nh.symbol,
            Some(IpSymbol::FirewallPrivateIp(key(
                "module.hub.azurerm_firewall.this"
            )))
        );
        assert!(text_at(&mut sm, &nh.origin).contains("var.firewall_ip"));
    }
    // "${azurerm_virtual_network.this.id}/subnets/AzureFirewallSubnet": the inline subnet of
    // that fixed name
    let fw = m
        .firewall(&key("module.hub.azurerm_firewall.this"))
        .expect("fw");
    assert_eq!(
        fw.subnet,
        Known::Known(key(
            "module.hub.azurerm_virtual_network.this/subnet/AzureFirewallSubnet"
        ))
    );
    assert_eq!(
        fw.dns_proxy,
        Known::Known(true),
        "3.x: dns_servers turn the proxy on"
    );
    // other string-built subnet ids are not guessed: unknown, with a note, never the VNet
    let unresolved = notes(&m, "INP001");
    assert_eq!(unresolved.len(), 2);
    assert!(unresolved[0].contains("an id built as a string"));
    assert!(m.nsgs.iter().all(|n| {
        m.subnets
            .iter()
            .all(|s| s.nsg.known() != Some(&Ref::Key(n.meta.key.clone())))
    }));
    // a virtual hub firewall has no subnet, and its private IP is decided at apply
    let vwan = m
        .firewall(&key("module.hub.azurerm_firewall.vwan"))
        .expect("vwan");
    assert!(vwan.subnet.is_absent());
    assert!(vwan.private_ip.is_unknown());
}

#[test]
fn nsg_rules_associations_and_nat_gateway() {
    let (m, mut sm) = fixture("nsg_nat_associations.json");
    let nsg = m
        .nsg(&key("azurerm_network_security_group.nodes"))
        .expect("nsg");
    let rules = nsg.rules.known().expect("rules");
    assert_eq!(rules.len(), 4);
    // inline rules, in plan order, with their own pointers
    assert_eq!(rules[0].name, Known::Known("deny-internet-out".into()));
    assert_eq!(rules[0].protocol, Known::Known(NsgProtocol::Any));
    assert_eq!(
        rules[0].destinations,
        Known::Known(vec![AddressMatch::Tag("Internet".into())])
    );
    assert_eq!(
        ptr(&rules[1].origin),
        "/resource_changes/3/change/after/security_rule/1"
    );
    assert_eq!(
        rules[1].destination_ports,
        Known::Known(vec![
            PortRange::single(443),
            PortRange { lo: 8443, hi: 8445 }
        ])
    );
    // the unknown ASG id resolves through the configuration block matched by rule name
    assert_eq!(
        rules[1].sources,
        Known::Known(vec![AddressMatch::Asg(key(
            "azurerm_application_security_group.nodes"
        ))])
    );
    assert_eq!(
        rules[1].destinations,
        Known::Known(vec![
            AddressMatch::Prefix("10.20.0.0/16".parse().unwrap()),
            AddressMatch::Prefix("10.30.0.4/32".parse().unwrap()),
        ])
    );
    // separate rule attached by name + resource group (no reference in the configuration)
    assert_eq!(rules[2].name, Known::Known("allow-dns-out".into()));
    assert_eq!(rules[2].priority, Known::Known(200));
    assert_eq!(rules[2].direction, Known::Known(Direction::Outbound));
    assert!(
        text_at(&mut sm, &rules[2].origin).contains("allow-dns-out"),
        "the separate rule points at its resource"
    );
    // a typo stays visible as unknown, never as a match-all
    assert_eq!(rules[3].name, Known::Known("typo".into()));
    assert!(
        rules[3]
            .protocol
            .unknown_reason()
            .unwrap()
            .contains("unrecognised protocol `Tcpp`")
    );
    assert!(
        rules[3]
            .destination_ports
            .unknown_reason()
            .unwrap()
            .contains("`44 3`")
    );

    let s = m.subnet(&key("azurerm_subnet.nodes")).expect("subnet");
    assert_eq!(
        s.nsg,
        Known::Known(key("azurerm_network_security_group.nodes"))
    );
    assert_eq!(
        s.meta.origin_of("nsg").address.as_deref(),
        Some("azurerm_subnet_network_security_group_association.nodes")
    );
    assert_eq!(
        s.nat_gateway,
        Known::Known(key("azurerm_nat_gateway.egress"))
    );
    assert_eq!(
        s.meta.origin_of("nat_gateway").address.as_deref(),
        Some("azurerm_subnet_nat_gateway_association.nodes")
    );

    let nat = m
        .nat_gateway(&key("azurerm_nat_gateway.egress"))
        .expect("nat");
    assert_eq!(nat.public_ips, vec![key("azurerm_public_ip.nat")]);
    assert_eq!(
        nat.public_ip_prefixes,
        vec![key("azurerm_public_ip_prefix.nat")]
    );

    // an existing subnet read by a data source, its NSG replaced by an association in the plan
    let shared = m
        .subnet(&key("data.azurerm_subnet.shared"))
        .expect("data subnet");
    assert_eq!(shared.meta.lifecycle, Lifecycle::Read);
    assert!(shared.meta.id.is_some());
    assert_eq!(
        shared.prefixes,
        Known::Known(vec!["10.60.0.0/24".parse().unwrap()])
    );
    assert_eq!(
        shared.nsg,
        Known::Known(key("azurerm_network_security_group.nodes"))
    );
    assert_eq!(
        shared.vnet,
        Known::Known(Ref::id(
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-shared/providers/Microsoft.Network/virtualNetworks/vnet-shared"
        ))
    );
    assert!(ptr(&shared.meta.origin).starts_with("/prior_state/values/root_module/resources/0"));
    assert!(m.input_notes.is_empty(), "{:?}", m.input_notes);
}

// ------------------------------------------------------------------ provider generations

#[test]
fn azurerm_3x_attribute_names() {
    let (m, _) = fixture("azurerm3_names.json");
    let c = &m.clusters[0];
    // network_profile left to AKS: the documented default, with a note
    assert_eq!(c.outbound_type, Known::Known(OutboundType::LoadBalancer));
    assert_eq!(notes(&m, "INP004").len(), 1);
    // api_server_authorized_ip_ranges = ["${azurerm_public_ip.egress.ip_address}", "203.0.113.0/24"]
    let ranges = c.authorized_ip_ranges.known().expect("ranges");
    assert_eq!(ranges.len(), 2);
    assert!(ranges[0].net.is_unknown());
    assert_eq!(
        ranges[0].symbol,
        Some(IpSymbol::PublicIp(key("azurerm_public_ip.egress")))
    );
    assert_eq!(
        ranges[1].net,
        Known::Known("203.0.113.0/24".parse().unwrap())
    );
    assert_eq!(ranges[1].symbol, None);
    assert_eq!(
        c.features,
        vec!["addon:monitoring".to_string(), "addon:azure-policy".into()]
    );
    // enable_node_public_ip (3.x)
    assert_eq!(c.node_pools[0].node_public_ip, Known::Known(true));
    assert_eq!(
        c.node_pools[0].subnet,
        Known::Known(key("azurerm_subnet.nodes"))
    );
    // disable_bgp_route_propagation = true (inverted)
    let rt = &m.route_tables[0];
    assert_eq!(rt.bgp_route_propagation, Known::Known(false));
    // route unknown in the plan but not configured inline: only the separate azurerm_route
    let routes = rt.routes.known().expect("routes");
    assert_eq!(routes.len(), 1);
    assert_eq!(
        routes[0].prefix,
        Known::Known(RoutePrefix::Tag("AzureCloud.westeurope".into()))
    );
    assert_eq!(routes[0].next_hop_type, Known::Known(NextHopType::Internet));
    assert!(routes[0].next_hop_ip.is_none());
    // private_endpoint_network_policies_enabled = false
    assert_eq!(
        m.subnets[0].private_endpoint_network_policies,
        Known::Known("Disabled".into())
    );
    // dns_servers = [] is Azure-provided DNS
    assert!(m.vnets[0].dns_servers.known().is_some_and(|l| l.is_empty()));
}

#[test]
fn azurerm_5x_attribute_names_and_secrets() {
    let (m, mut sm) = fixture("azurerm5_names.json");
    let c = &m.clusters[0];
    assert_eq!(c.dns_prefix, Known::Known("aks5".into()));
    assert_eq!(c.private_cluster, Known::Known(true));
    assert_eq!(
        c.private_dns_zone,
        Known::Known(PrivateDnsZoneSetting::Custom(key(
            "azurerm_private_dns_zone.aks"
        )))
    );
    let ranges = c.authorized_ip_ranges.known().expect("ranges");
    assert_eq!(ranges.len(), 1);
    assert_eq!(
        ranges[0].net,
        Known::Known("198.51.100.0/24".parse().unwrap())
    );
    let t = text_at(&mut sm, c.meta.origin_of("authorized_ip_ranges"));
    assert!(
        t.starts_with('[') && t.contains("\"198.51.100.0/24\""),
        "{t}"
    );
    assert_eq!(c.apiserver_vnet_integration, Known::Known(true));
    assert_eq!(
        c.apiserver_subnet,
        Known::Known(key("azurerm_subnet.apiserver"))
    );
    assert_eq!(c.bootstrap_artifact_source, Known::Known("Cache".into()));
    assert_eq!(c.lb_outbound_ips.len(), 1);
    assert!(matches!(&c.lb_outbound_ips[0], Ref::Id(id) if id.name() == "pip-out"));
    assert_eq!(
        c.features,
        vec![
            "addon:keyvault-csi".to_string(),
            "addon:defender".into(),
            "feature:workload-identity".into()
        ]
    );
    let proxy = c.http_proxy.known().expect("proxy");
    assert_eq!(
        proxy.http_proxy.as_deref(),
        Some("http://proxy.corp.example:3128/")
    );
    assert_eq!(proxy.no_proxy, vec!["localhost", "10.0.0.0/8"]);
    // a known subnet id outside the plan stays an Azure id
    assert!(
        matches!(&c.node_pools[0].subnet, Known::Known(Ref::Id(id)) if id.name() == "snet-nodes")
    );
    assert_eq!(c.node_pools[0].node_public_ip, Known::Known(false));
    // neither the proxy password nor the CA bundle reaches the model
    let dump = format!("{m:?}");
    assert!(!dump.contains("Pr0xyPass"));
    assert!(!dump.contains("LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tU0VDUkVU"));

    let s = m.subnet(&key("azurerm_subnet.apiserver")).expect("subnet");
    assert_eq!(
        s.delegations,
        vec!["Microsoft.ContainerService/managedClusters".to_string()]
    );
    assert_eq!(s.default_outbound_access, Known::Known(false));
    assert_eq!(m.route_tables[0].bgp_route_propagation, Known::Known(true));

    // zone links: 5.x by id (a reference), 4.x by name + resource group
    let spoke = m
        .dns_zone_link(&key("azurerm_private_dns_zone_virtual_network_link.spoke"))
        .expect("link");
    assert_eq!(
        spoke.zone,
        Known::Known(key("azurerm_private_dns_zone.aks"))
    );
    assert_eq!(
        spoke.vnet,
        Known::Known(key("azurerm_virtual_network.spoke"))
    );
    let legacy = m
        .dns_zone_link(&key("azurerm_private_dns_zone_virtual_network_link.legacy"))
        .expect("link");
    assert_eq!(
        legacy.zone_name,
        Known::Known("privatelink.westeurope.azmk8s.io".into())
    );
    assert_eq!(
        legacy.zone,
        Known::Known(key("azurerm_private_dns_zone.aks"))
    );
    assert_eq!(legacy.registration_enabled, Known::Known(true));
    assert!(m.input_notes.is_empty(), "{:?}", m.input_notes);
}

// ------------------------------------------------------------------ DNS

#[test]
fn dns_servers_from_firewall_resolver_and_nic() {
    let (m, _) = fixture("dns_servers.json");
    let dns = |k: &str| {
        m.vnet(&key(k))
            .unwrap_or_else(|| panic!("{k}"))
            .dns_servers
            .clone()
    };
    let s1 = dns("azurerm_virtual_network.spoke1")
        .into_known()
        .expect("s1");
    assert_eq!(s1.len(), 1);
    assert!(s1[0].ip.is_unknown());
    assert_eq!(
        s1[0].symbol,
        Some(IpSymbol::FirewallPrivateIp(key("azurerm_firewall.hub")))
    );
    // azurerm_virtual_network_dns_servers overrides the VNet's (unset) list
    let s2 = dns("azurerm_virtual_network.spoke2")
        .into_known()
        .expect("s2");
    assert_eq!(s2.len(), 1);
    assert_eq!(
        s2[0].symbol,
        Some(IpSymbol::ResolverInboundEndpoint(key(
            "azurerm_private_dns_resolver_inbound_endpoint.in"
        )))
    );
    let v2 = m.vnet(&key("azurerm_virtual_network.spoke2")).unwrap();
    assert_eq!(
        v2.meta.origin_of("dns_servers").address.as_deref(),
        Some("azurerm_virtual_network_dns_servers.spoke2")
    );
    let s3 = dns("azurerm_virtual_network.spoke3")
        .into_known()
        .expect("s3");
    assert_eq!(s3.len(), 2);
    assert_eq!(
        s3[0].symbol,
        Some(IpSymbol::NetworkInterface(key(
            "azurerm_network_interface.dns"
        )))
    );
    assert_eq!(s3[1].ip, Known::Known("168.63.129.16".parse().unwrap()));
    // a local value cannot be followed in plan JSON
    let s4 = dns("azurerm_virtual_network.spoke4");
    assert!(s4.unknown_reason().unwrap().contains("local.dns_servers"));
    let inp001 = notes(&m, "INP001");
    assert_eq!(inp001.len(), 1);
    assert!(inp001[0].contains("azurerm_virtual_network.spoke4"));
    assert!(inp001[0].contains("local.dns_servers"));
    // no dns_servers configured and none computed: Azure-provided DNS
    assert!(dns("azurerm_virtual_network.hub").is_absent());

    let ep = &m.dns_resolver_inbound_endpoints[0];
    assert_eq!(ep.vnet, Known::Known(key("azurerm_virtual_network.hub")));
    assert_eq!(ep.subnet, Known::Known(key("azurerm_subnet.inbound")));
    assert!(ep.ip.is_unknown());

    // a data source read at plan time is an element with known values (lifecycle Read: it
    // stands for an existing resource); the peering refers to it by id
    let remote = m
        .vnet(&key("data.azurerm_virtual_network.remote"))
        .expect("remote");
    assert_eq!(remote.meta.lifecycle, Lifecycle::Read);
    assert_eq!(
        remote.dns_servers.known().map(|l| l[0].ip.clone()),
        Some(Known::Known("10.50.0.4".parse().unwrap()))
    );
    let p = &m.peerings[0];
    assert_eq!(
        p.local_vnet,
        Known::Known(key("azurerm_virtual_network.hub"))
    );
    assert_eq!(
        p.remote_vnet,
        Known::Known(key("data.azurerm_virtual_network.remote"))
    );
    assert_eq!(p.allow_forwarded_traffic, Known::Known(true));
    assert_eq!(m.firewalls[0].dns_proxy, Known::Known(true));
}

// ------------------------------------------------------------------ firewalls

#[test]
fn firewall_policy_rule_collections_and_classic_rules() {
    let (m, _) = fixture("firewall_policy.json");
    let fw = m.firewall(&key("azurerm_firewall.hub")).expect("fw");
    assert_eq!(
        fw.policy,
        Known::Known(key("azurerm_firewall_policy.child"))
    );
    assert_eq!(fw.sku_tier, Known::Known("Premium".into()));
    assert!(matches!(&fw.subnet, Known::Known(Ref::Id(id)) if id.name() == "AzureFirewallSubnet"));
    // classic collections attach by azure_firewall_name (constant) and by reference
    let names: Vec<_> = fw.collections.iter().map(|c| c.name.clone()).collect();
    assert_eq!(
        names,
        vec![
            Known::Known("classic-net".to_string()),
            Known::Known("classic-app".to_string())
        ]
    );
    match &fw.collections[1].rules[0] {
        FirewallRule::Application(a) => {
            assert_eq!(a.target_fqdns, vec!["*.ubuntu.com"]);
            assert_eq!(
                a.protocols,
                vec![AppProtocolPort {
                    protocol: Ok(AppProtocol::Http),
                    port: 80
                }]
            );
        }
        other => panic!("{other:?}"),
    }

    let child = m
        .firewall_policy(&key("azurerm_firewall_policy.child"))
        .expect("policy");
    assert_eq!(
        child.base_policy,
        Known::Known(key("azurerm_firewall_policy.base"))
    );
    assert_eq!(child.dns_proxy, Known::Known(true));
    assert_eq!(child.threat_intel_mode, Known::Known("Deny".into()));
    let base = m
        .firewall_policy(&key("azurerm_firewall_policy.base"))
        .expect("base");
    assert_eq!(base.dns_servers, vec!["10.1.0.4"]);

    let g = &m.rule_collection_groups[0];
    assert_eq!(g.policy, Known::Known(key("azurerm_firewall_policy.child")));
    assert_eq!(g.priority, Known::Known(200));
    assert_eq!(g.collections.len(), 3);
    let app = &g.collections[0];
    assert_eq!(app.kind, RuleCollectionKind::Application);
    assert_eq!(app.action, Known::Known(FwAction::Allow));
    let FirewallRule::Application(tag) = &app.rules[0] else {
        panic!("application rule")
    };
    assert_eq!(tag.fqdn_tags, vec!["AzureKubernetesService"]);
    assert_eq!(tag.source_ip_groups, vec![key("azurerm_ip_group.nodes")]);
    let FirewallRule::Application(typo) = &app.rules[1] else {
        panic!("application rule")
    };
    assert_eq!(typo.protocols[0].protocol, Err("Htps".to_string()));
    let FirewallRule::Network(api) = &g.collections[1].rules[1] else {
        panic!("network rule")
    };
    assert_eq!(
        api.protocols,
        vec![NetProtocol::Tcp, NetProtocol::Other("TCPP".into())]
    );
    assert_eq!(api.source_ip_groups, vec![key("azurerm_ip_group.nodes")]);
    assert_eq!(
        api.destination_ports,
        vec![
            PortRange::single(443),
            PortRange::single(1194),
            PortRange { lo: 9000, hi: 9001 }
        ]
    );
    assert_eq!(
        api.destination_addresses[0],
        AddressMatch::Tag("AzureCloud.westeurope".into())
    );
    let FirewallRule::Nat(nat) = &g.collections[2].rules[0] else {
        panic!("nat rule")
    };
    assert_eq!(g.collections[2].action, Known::Known(FwAction::Dnat));
    assert_eq!(nat.destination_addresses, vec!["20.1.2.3"]);
    assert_eq!(nat.translated_address.as_deref(), Some("10.10.0.4"));
    assert_eq!(nat.translated_port, Some(22));

    let ipg = m
        .ip_group(&key("azurerm_ip_group.nodes"))
        .expect("ip group");
    assert_eq!(
        ipg.cidrs,
        Known::Known(vec![
            AddressMatch::Prefix("10.10.0.0/22".parse().unwrap()),
            AddressMatch::Prefix("10.10.4.0/22".parse().unwrap())
        ])
    );
    assert!(m.input_notes.is_empty(), "{:?}", m.input_notes);
}

// ------------------------------------------------------------------ lifecycle, secrets, partial plans

#[test]
fn lifecycle_sensitive_values_and_partial_plans() {
    let (m, _) = fixture("lifecycle_sensitive_partial.json");
    // errored plan, deleted NSG, deferred data source read, unresolvable local
    assert_eq!(notes(&m, "INP002").len(), 1);
    let deleted = notes(&m, "INP003");
    assert_eq!(deleted.len(), 1);
    assert!(deleted[0].contains("azurerm_network_security_group.old"));
    assert!(m.nsgs.is_empty());
    assert_eq!(notes(&m, "INP007").len(), 1);
    let unresolved = notes(&m, "INP001");
    assert_eq!(unresolved.len(), 1, "{unresolved:?}");
    assert!(unresolved[0].contains("azurerm_kubernetes_cluster_node_pool.user"));
    assert!(unresolved[0].contains("local.pool_subnet_id"));

    let rt = &m.route_tables[0];
    assert_eq!(rt.meta.lifecycle, Lifecycle::Replace);
    assert_eq!(rt.meta.name, Known::Known("rt-life".into()));
    // a sensitive next hop is never copied
    let nh = rt.routes.known().unwrap()[0].next_hop_ip.as_ref().unwrap();
    assert!(nh.ip.unknown_reason().unwrap().contains("sensitive"));
    let dump = format!("{m:?}");
    assert!(!dump.contains("10.40.9.9"));
    assert!(!dump.contains("SECRET-KUBECONFIG"));

    let v = m.vnet(&key("azurerm_virtual_network.vnet")).unwrap();
    assert_eq!(v.meta.lifecycle, Lifecycle::Update);
    assert_eq!(v.dns_servers.known().unwrap().len(), 1);
    // count instances, no-op
    let a1 = m.subnet(&key("azurerm_subnet.a[1]")).expect("a[1]");
    assert_eq!(a1.meta.lifecycle, Lifecycle::Existing);
    assert_eq!(a1.vnet, Known::Known(key("azurerm_virtual_network.vnet")));
    // found by its known id too
    assert!(
        m.subnet(
            a1.meta
                .id
                .as_ref()
                .map(|i| Ref::Id(i.clone()))
                .as_ref()
                .unwrap()
        )
        .is_some()
    );

    let c = &m.clusters[0];
    assert_eq!(c.meta.lifecycle, Lifecycle::Existing);
    // a sensitive boolean is read (it is not a secret)
    assert_eq!(c.private_cluster, Known::Known(true));
    assert_eq!(
        c.private_dns_zone,
        Known::Known(PrivateDnsZoneSetting::System)
    );
    let pools: Vec<_> = c.node_pools.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        pools,
        vec![
            "azurerm_kubernetes_cluster.aks/default_node_pool",
            "azurerm_kubernetes_cluster_node_pool.user",
            "azurerm_kubernetes_cluster_node_pool.spot"
        ]
    );
    // the known subnet id of a no-op resource becomes its address
    assert_eq!(
        c.node_pools[0].subnet,
        Known::Known(key("azurerm_subnet.a[0]"))
    );
    assert_eq!(c.node_pools[1].os_type, Known::Known(OsType::Windows));
    assert!(
        c.node_pools[1]
            .subnet
            .unknown_reason()
            .unwrap()
            .contains("local.pool_subnet_id")
    );
    // the replaced subnet's id is unknown: the reference gives it
    assert_eq!(
        c.node_pools[2].subnet,
        Known::Known(key("azurerm_subnet.b"))
    );

    // deferred data source: unknown, not absent
    let hub = m
        .vnet(&key("data.azurerm_virtual_network.hub"))
        .expect("hub");
    assert_eq!(hub.meta.lifecycle, Lifecycle::Read);
    assert!(hub.address_space.is_unknown());
    assert!(hub.dns_servers.is_unknown());

    // `forget`: removed from state, still in Azure as it was
    let kept = m.public_ip(&key("azurerm_public_ip.kept")).expect("kept");
    assert_eq!(kept.ip, Known::Known("20.30.40.50".parse().unwrap()));
    assert_eq!(kept.meta.lifecycle, Lifecycle::Existing);
}

#[test]
fn show_json_state_with_child_module() {
    let (k, m, _) = load_file("fixtures/plan/state_show.json");
    assert_eq!(k, InputKind::TerraformState);
    let c = m
        .cluster(&key("module.aks.azurerm_kubernetes_cluster.this"))
        .expect("cluster");
    assert_eq!(c.meta.lifecycle, Lifecycle::Existing);
    assert!(c.meta.id.is_some());
    assert_eq!(
        ptr(&c.meta.origin),
        "/values/root_module/child_modules/0/resources/0/values"
    );
    // the subnet id is an inline VNet subnet of the same state
    let sk = "azurerm_virtual_network.spoke/subnet/snet-nodes";
    assert_eq!(c.node_pools[0].subnet, Known::Known(key(sk)));
    let s = m.subnet(&key(sk)).expect("inline subnet");
    assert_eq!(s.vnet, Known::Known(key("azurerm_virtual_network.spoke")));
    assert_eq!(s.nsg, Known::Absent);
    assert_eq!(
        ptr(&s.meta.origin),
        "/values/root_module/resources/0/values/subnet/0"
    );
    assert!(!format!("{m:?}").contains("SECRET"));
    assert_eq!(m.vnets[0].dns_servers.known().unwrap().len(), 2);
}

// ------------------------------------------------------------------ detection and errors

#[test]
fn invalid_json_is_a_located_error() {
    let text = "{\n  \"format_version\": \"1.2\",\n  \"resource_changes\": [,]\n}";
    let e = load_err(text);
    let (msg, span, _label, help) = err_parts(&e);
    assert!(msg.contains("not valid JSON"), "{msg}");
    let (off, _) = span.expect("span");
    assert_eq!(&text[off..off + 1], ",");
    assert!(help.contains("terraform show -json"));
}

#[test]
fn truncated_json_points_at_the_end() {
    let text = r#"{"format_version":"1.2","resource_changes":[{"address":"azurerm_subnet.a""#;
    let e = load_err(text);
    let (msg, span, label, _) = err_parts(&e);
    assert!(msg.contains("not complete JSON"), "{msg}");
    assert_eq!(span.map(|s| s.0), Some(text.len()));
    assert_eq!(label, "the text ends here");
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let text = format!(
        "{{\"format_version\":\"1.2\",\"variables\":{}{}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let e = load_err(&text);
    let (msg, span, _, _) = err_parts(&e);
    assert!(msg.contains("too deeply"), "{msg}");
    assert!(span.is_some());
}

#[test]
fn other_json_documents_are_rejected_with_what_they_look_like() {
    // an ARM template is read by the template evaluator, not rejected
    let arm = r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "resources": []}"#;
    let mut sm = SourceMap::new();
    let (k, _) = load(&mut sm, "main.json", arm.into()).expect("ARM template");
    assert_eq!(k, InputKind::ArmTemplate);
    let other = r#"{"hello": "world"}"#;
    let (msg, span, label, help) = err_parts(&load_err(other));
    assert!(msg.contains("a JSON object with keys hello"), "{msg}");
    assert!(msg.contains("resource_changes"));
    assert_eq!(span, Some((0, 1)));
    assert_eq!(label, "expected `terraform show -json` output");
    assert!(help.contains("terraform plan -out=tfplan"));

    let (msg, ..) = err_parts(&load_err("[1, 2]"));
    assert!(msg.contains("JSON array of 2 item(s)"), "{msg}");
    // an Azure resource is read by the ARM reader, not rejected
    let mut sm = SourceMap::new();
    let (k, _) = load(
        &mut sm,
        "vnet.json",
        r#"{"id": "/subscriptions/x", "type": "Microsoft.Network/virtualNetworks"}"#.into(),
    )
    .expect("ARM resource");
    assert_eq!(k, InputKind::ArmResources);
    let (msg, ..) = err_parts(&load_err(
        r#"{"version": 3, "serial": 1, "lineage": "x", "modules": []}"#,
    ));
    assert!(msg.contains("version 3"), "{msg}");
}

#[test]
fn unsupported_format_version_points_at_it() {
    let text = r#"{"format_version": "2.0", "resource_changes": []}"#;
    let (msg, span, ..) = err_parts(&load_err(text));
    assert!(msg.contains("format_version \"2.0\""), "{msg}");
    let (off, len) = span.expect("span");
    assert_eq!(&text[off..off + len], "\"2.0\"");
}

#[test]
fn empty_state_and_old_formats_load() {
    let mut sm = SourceMap::new();
    let (k, m) =
        load(&mut sm, "s.json", r#"{"format_version":"1.0"}"#.into()).expect("empty state");
    assert_eq!(k, InputKind::TerraformState);
    assert!(m.clusters.is_empty() && m.input_notes.is_empty());
    let (k, m) = load(
        &mut sm,
        "p.json",
        r#"{"format_version":"0.1","terraform_version":"0.12.31","resource_changes":[]}"#.into(),
    )
    .expect("0.1 plan");
    assert_eq!(k, InputKind::TerraformPlan);
    assert_eq!(notes(&m, "INP005").len(), 1);
    // every origin points into the file added last
    assert_eq!(sm.files().count(), 2);
}

#[test]
fn large_one_line_plans_load_with_separate_rules_attached() {
    // speed is measured by the benchmarks (tests/bench/check.rs), never here
    // 20 000 NSGs with one rule each, one line, as `terraform show -json` writes it
    let mut rcs = Vec::new();
    for i in 0..20_000 {
        rcs.push(format!(
            r#"{{"address":"azurerm_network_security_group.n[{i}]","mode":"managed","type":"azurerm_network_security_group","name":"n","index":{i},"provider_name":"registry.terraform.io/hashicorp/azurerm","change":{{"actions":["create"],"before":null,"after":{{"name":"nsg-{i}","resource_group_name":"rg","location":"westeurope","security_rule":[{{"name":"r","priority":100,"direction":"Outbound","access":"Allow","protocol":"Tcp","source_port_range":"*","destination_port_range":"443","source_address_prefix":"*","destination_address_prefix":"Internet"}}]}},"after_unknown":{{"id":true,"security_rule":[{{}}]}},"before_sensitive":false,"after_sensitive":{{"security_rule":[{{}}]}}}}}}"#
        ));
    }
    // and 20 000 separate rules, attached by NSG name + resource group
    for i in 0..20_000 {
        rcs.push(format!(
            r#"{{"address":"azurerm_network_security_rule.r[{i}]","mode":"managed","type":"azurerm_network_security_rule","name":"r","index":{i},"provider_name":"registry.terraform.io/hashicorp/azurerm","change":{{"actions":["create"],"before":null,"after":{{"name":"dns","network_security_group_name":"nsg-{i}","resource_group_name":"rg","priority":200,"direction":"Outbound","access":"Allow","protocol":"Udp","source_port_range":"*","destination_port_range":"53","source_address_prefix":"*","destination_address_prefix":"168.63.129.16"}},"after_unknown":{{"id":true}},"before_sensitive":false,"after_sensitive":{{}}}}}}"#
        ));
    }
    let text = format!(
        r#"{{"format_version":"1.2","terraform_version":"1.9.5","resource_changes":[{}]}}"#,
        rcs.join(",")
    );
    let mut sm = SourceMap::new();
    let (_, m) = load(&mut sm, "big.json", text).expect("big plan");
    assert_eq!(m.nsgs.len(), 20_000);
    assert!(
        m.nsgs
            .iter()
            .all(|n| n.rules.known().is_some_and(|r| r.len() == 2))
    );
    assert_eq!(
        m.nsgs[19_999].meta.key,
        "azurerm_network_security_group.n[19999]"
    );
}

// ------------------------------------------------------------------ the real corpus

#[test]
fn corpus_regula_port_22_rules() {
    let (k, m, mut sm) =
        load_file("corpus/terraform-plan/regula-security_group_no_inbound_22_infra.json");
    assert_eq!(k, InputKind::TerraformPlan);
    assert_eq!(notes(&m, "INP005").len(), 1);
    assert_eq!(m.nsgs.len(), 4);
    let total: usize = m
        .nsgs
        .iter()
        .map(|n| n.rules.known().map(Vec::len).unwrap_or(0))
        .sum();
    assert_eq!(total, 10);
    // the separate azurerm_network_security_rule resources attach to testnsg by name
    let testnsg = m
        .nsg(&key("azurerm_network_security_group.testnsg"))
        .unwrap();
    assert_eq!(testnsg.rules.known().unwrap().len(), 5);
    // inbound rules that open port 22
    let opens_22: Vec<String> = m
        .nsgs
        .iter()
        .flat_map(|n| n.rules.known().cloned().unwrap_or_default())
        .filter(|r| r.direction == Known::Known(Direction::Inbound))
        .filter(|r| {
            r.destination_ports
                .known()
                .is_some_and(|p| p.iter().any(|p| p.contains(22)))
        })
        .map(|r| r.display_name())
        .collect();
    assert_eq!(
        opens_22,
        vec![
            "testrule1",
            "testrule3",
            "invalidrule1",
            "validrule2",
            "validrule3",
            "validrule2",
            "testrule5"
        ]
    );
    let inv2 = m
        .nsg(&key("azurerm_network_security_group.invalidnsg2"))
        .unwrap();
    let r = &inv2.rules.known().unwrap()[0];
    assert_eq!(
        r.sources,
        Known::Known(vec![AddressMatch::Prefix("0.0.0.0/0".parse().unwrap())])
    );
    assert!(text_at(&mut sm, &r.origin).contains("testrule3"));
}

#[test]
fn corpus_regula_port_3389_rules() {
    let (_, m, _) =
        load_file("corpus/terraform-plan/regula-security_group_no_inbound_3389_infra.json");
    let opens_3389 = m
        .nsgs
        .iter()
        .flat_map(|n| n.rules.known().cloned().unwrap_or_default())
        .filter(|r| {
            r.destination_ports
                .known()
                .is_some_and(|p| p.iter().any(|p| p.contains(3389)))
        })
        .count();
    assert_eq!(opens_3389, 7);
}

#[test]
fn corpus_checkov_unknown_inline_rules_and_separate_deny() {
    let (k, m, _) = load_file(
        "corpus/terraform-plan/checkov-plan_with_resource_reference-tfplan_extra_ref.json",
    );
    assert_eq!(k, InputKind::TerraformPlan);
    assert!(notes(&m, "INP005").is_empty());
    // security_rule is unknown in the plan but not configured inline: only separate rules
    let fail = m.nsg(&key("azurerm_network_security_group.fail")).unwrap();
    assert!(fail.rules.known().is_some_and(|l| l.is_empty()));
    let pass = m.nsg(&key("azurerm_network_security_group.pass")).unwrap();
    let rules = pass.rules.known().unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].access, Known::Known(Access::Deny));
    assert_eq!(
        rules[0].destination_ports,
        Known::Known(vec![PortRange::single(3389)])
    );
}

#[test]
fn corpus_terraform_compliance_modules_and_old_subnet() {
    let (_, m, _) =
        load_file("corpus/terraform-plan/terraform-compliance-test_issue-294.plan.out.json");
    assert_eq!(m.nsgs.len(), 2);
    let linux = m
        .nsg(&key(
            "module.linuxservers-fail.azurerm_network_security_group.vm",
        ))
        .unwrap();
    let r = &linux.rules.known().unwrap()[0];
    assert_eq!(r.name, Known::Known("allow_remote_22_in_all".into()));
    assert_eq!(
        r.destination_ports,
        Known::Known(vec![PortRange::single(22)])
    );
    // the subnet of azurerm 2.x: address_prefix unknown, address_prefixes known
    let s = m.subnet(&key("azurerm_subnet.internal")).unwrap();
    assert_eq!(
        s.prefixes,
        Known::Known(vec!["10.0.2.0/24".parse().unwrap()])
    );
    assert_eq!(s.vnet, Known::Known(key("azurerm_virtual_network.main")));
    assert_eq!(
        m.public_ips[0].meta.key,
        "module.windowsservers-pass.azurerm_public_ip.vm[0]"
    );
}

#[test]
fn corpus_raw_tfstate_files() {
    let (k, m, mut sm) = load_file(
        "corpus/terraform-plan/driftctl-azurerm_network_security_group.terraform.tfstate.json",
    );
    assert_eq!(k, InputKind::TerraformState);
    assert_eq!(m.nsgs.len(), 2);
    let ex = m
        .nsg(&key("azurerm_network_security_group.example"))
        .unwrap();
    assert!(ex.meta.id.is_some());
    assert_eq!(ex.meta.lifecycle, Lifecycle::Existing);
    let rules = ex.rules.known().unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].name, Known::Known("test123".into()));
    assert!(text_at(&mut sm, &rules[0].origin).contains("test123"));

    let (_, m, _) =
        load_file("corpus/terraform-plan/driftctl-azurerm_private_dns_zone.terraform.tfstate.json");
    assert_eq!(m.private_dns_zones.len(), 1);
    assert_eq!(
        m.private_dns_zones[0].meta.name,
        Known::Known("thisisatestusingtf.com".into())
    );
    // a load balancer is not a type we map
    let (_, m, _) = load_file("corpus/terraform-plan/driftctl-azurerm_lb.terraform.tfstate.json");
    assert!(summarize(&m).is_empty());
}

// ------------------------------------------------------------------ snapshots

#[test]
fn summaries_are_stable() {
    let mut files = Vec::new();
    for sub in ["fixtures/plan", "corpus/terraform-plan"] {
        for f in std::fs::read_dir(path_of(sub)).expect("dir") {
            let f = f.expect("entry").path();
            if f.extension().is_some_and(|e| e == "json") {
                let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                files.push(format!("{sub}/{name}"));
            }
        }
    }
    files.sort();
    assert!(files.len() >= 15);
    for rel in files {
        let (_, m, _) = load_file(&rel);
        let name = rel.replace('/', "__").trim_end_matches(".json").to_string();
        insta::assert_snapshot!(name, summarize(&m));
    }
}

#[test]
fn sensitive_variables_are_not_followed() {
    let text = r#"{
  "format_version": "1.2",
  "terraform_version": "1.9.5",
  "variables": {"dns": {"value": ["10.9.9.9"]}},
  "resource_changes": [
    {"address": "azurerm_virtual_network.v", "mode": "managed", "type": "azurerm_virtual_network", "name": "v",
     "provider_name": "registry.terraform.io/hashicorp/azurerm",
     "change": {"actions": ["create"], "before": null,
       "after": {"name": "v", "resource_group_name": "rg", "address_space": ["10.9.0.0/16"]},
       "after_unknown": {"id": true, "dns_servers": true, "subnet": true},
       "before_sensitive": false, "after_sensitive": {"dns_servers": true}}}
  ],
  "configuration": {"root_module": {
    "resources": [{"address": "azurerm_virtual_network.v", "mode": "managed", "type": "azurerm_virtual_network",
      "name": "v", "provider_config_key": "azurerm", "schema_version": 0,
      "expressions": {"dns_servers": {"references": ["var.dns"]}}}],
    "variables": {"dns": {"sensitive": true}}}}
}"#;
    let mut sm = SourceMap::new();
    let (_, m) = load(&mut sm, "p.json", text.into()).expect("plan");
    let dns = &m.vnets[0].dns_servers;
    assert!(
        dns.unknown_reason().unwrap().contains("sensitive"),
        "{dns:?}"
    );
    assert!(!format!("{m:?}").contains("10.9.9.9"));
    assert_eq!(notes(&m, "INP001").len(), 1);
}

#[test]
fn unchanged_resources_of_prior_state_are_kept() {
    let text = r#"{
  "format_version": "1.0",
  "resource_changes": [],
  "prior_state": {"format_version": "1.0", "values": {"root_module": {"resources": [
    {"address": "azurerm_route_table.rt", "mode": "managed", "type": "azurerm_route_table", "name": "rt",
     "values": {"name": "rt", "id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/routeTables/rt",
       "route": [{"name": "r", "address_prefix": "0.0.0.0/0", "next_hop_type": "Internet", "next_hop_in_ip_address": ""}],
       "bgp_route_propagation_enabled": true},
     "sensitive_values": {"route": [{}]}}]}}}
}"#;
    let mut sm = SourceMap::new();
    let (k, m) = load(&mut sm, "p.json", text.into()).expect("plan");
    assert_eq!(k, InputKind::TerraformPlan);
    let rt = &m.route_tables[0];
    assert_eq!(rt.meta.lifecycle, Lifecycle::Existing);
    assert_eq!(
        ptr(&rt.meta.origin),
        "/prior_state/values/root_module/resources/0/values"
    );
    let r = &rt.routes.known().unwrap()[0];
    assert_eq!(r.next_hop_type, Known::Known(NextHopType::Internet));
    assert!(r.next_hop_ip.is_none());
}

#[test]
fn byte_order_mark_is_accepted_and_spans_stay_in_the_original_text() {
    let body = r#"{"format_version":"1.2","resource_changes":[{"address":"azurerm_public_ip.p","mode":"managed","type":"azurerm_public_ip","name":"p","change":{"actions":["create"],"after":{"name":"p","ip_address":"20.1.1.1"},"after_unknown":{}}}]}"#;
    let mut sm = SourceMap::new();
    let (_, m) = load(&mut sm, "bom.json", format!("\u{feff}{body}")).expect("plan with BOM");
    assert_eq!(
        text_at(&mut sm, &m.public_ips[0].meta.origin),
        r#"{"name":"p","ip_address":"20.1.1.1"}"#
    );
    let text = "\u{feff}{\"format_version\": 1.2, oops}";
    let e = load_err(text);
    let (_, span, ..) = err_parts(&e);
    let (off, _) = span.expect("span");
    assert_eq!(&text[off..off + 1], "o");
}

#[test]
fn pools_and_rules_of_elements_outside_the_input() {
    let cl = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/aks";
    let text = format!(
        r#"{{"format_version": "1.2", "resource_changes": [
    {{"address": "azurerm_kubernetes_cluster_node_pool.extra", "mode": "managed",
      "type": "azurerm_kubernetes_cluster_node_pool", "name": "extra",
      "change": {{"actions": ["create"], "before": null,
        "after": {{"name": "extra", "kubernetes_cluster_id": "{cl}", "vm_size": "Standard_ND96asr_v4",
          "vnet_subnet_id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/s"}},
        "after_unknown": {{"id": true}}, "before_sensitive": false, "after_sensitive": {{}}}}}},
    {{"address": "azurerm_network_security_rule.r", "mode": "managed", "type": "azurerm_network_security_rule",
      "name": "r", "change": {{"actions": ["create"], "before": null,
        "after": {{"name": "r", "network_security_group_name": "nsg-elsewhere", "resource_group_name": "g",
          "priority": 100, "direction": "Outbound", "access": "Deny", "protocol": "*"}},
        "after_unknown": {{"id": true}}, "before_sensitive": false, "after_sensitive": {{}}}}}}
  ]}}"#
    );
    let mut sm = SourceMap::new();
    let (_, m) = load(&mut sm, "p.json", text).expect("plan");
    // the pool is kept under a stand-in for the existing cluster, whose settings are unknown
    assert_eq!(m.clusters.len(), 1);
    let c = &m.clusters[0];
    assert_eq!(c.meta.id.as_ref().map(|i| i.name()), Some("aks"));
    assert!(
        c.outbound_type
            .unknown_reason()
            .unwrap()
            .contains("not in this input")
    );
    assert_eq!(c.node_pools.len(), 1);
    assert!(c.node_pools[0].gpu);
    assert_eq!(m.cluster(&Ref::id(cl)).map(|c| c.node_pools.len()), Some(1));
    // the rule's NSG is not in the plan: said, not invented
    assert!(m.nsgs.is_empty());
    let inp006 = notes(&m, "INP006");
    assert_eq!(inp006.len(), 2, "{inp006:?}");
    assert!(
        inp006
            .iter()
            .any(|n| n.contains("azurerm_network_security_rule.r") && n.contains("nsg-elsewhere"))
    );
}

#[test]
fn conditional_references_ignore_their_condition() {
    // vnet_subnet_id = var.create_subnet ? azurerm_subnet.a.id : var.existing_subnet_id
    let text = r#"{
  "format_version": "1.2",
  "variables": {"create_subnet": {"value": true}, "existing_subnet_id": {"value": null}},
  "resource_changes": [
    {"address": "azurerm_subnet.a", "mode": "managed", "type": "azurerm_subnet", "name": "a",
     "change": {"actions": ["create"], "before": null,
       "after": {"name": "a", "resource_group_name": "g", "virtual_network_name": "v", "address_prefixes": ["10.1.0.0/24"]},
       "after_unknown": {"id": true}, "before_sensitive": false, "after_sensitive": {}}},
    {"address": "azurerm_kubernetes_cluster.k", "mode": "managed", "type": "azurerm_kubernetes_cluster", "name": "k",
     "change": {"actions": ["create"], "before": null,
       "after": {"name": "k", "default_node_pool": [{"name": "system", "vm_size": "Standard_D4s_v5"}],
                 "network_profile": [{"network_plugin": "azure", "outbound_type": "loadBalancer"}]},
       "after_unknown": {"id": true, "default_node_pool": [{"vnet_subnet_id": true}]},
       "before_sensitive": false, "after_sensitive": {}}}
  ],
  "configuration": {"root_module": {"resources": [
    {"address": "azurerm_kubernetes_cluster.k", "mode": "managed", "type": "azurerm_kubernetes_cluster", "name": "k",
     "expressions": {"default_node_pool": [{"vnet_subnet_id": {"references": [
       "var.create_subnet", "azurerm_subnet.a.id", "azurerm_subnet.a", "var.existing_subnet_id"]}}]}}]}}
}"#;
    let mut sm = SourceMap::new();
    let (_, m) = load(&mut sm, "p.json", text.into()).expect("plan");
    assert_eq!(
        m.clusters[0].node_pools[0].subnet,
        Known::Known(key("azurerm_subnet.a"))
    );
    assert!(notes(&m, "INP001").is_empty(), "{:?}", m.input_notes);
}

// ------------------------------------------------------------------ brownfield echoes

const RG_ID: &str = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network";

/// One `resource_changes` entry (no configuration: what a state-backed plan of resources
/// outside the configuration looks like).
fn change(
    address: &str,
    actions: &[&str],
    before: serde_json::Value,
    after: serde_json::Value,
) -> serde_json::Value {
    let (t, n) = address.split_once('.').unwrap();
    serde_json::json!({"address": address, "mode": "managed", "type": t, "name": n,
        "change": {"actions": actions, "before": before, "after": after,
                   "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}}})
}

fn plan_of(changes: Vec<serde_json::Value>) -> Model {
    let doc = serde_json::json!({"format_version": "1.2", "resource_changes": changes});
    let mut sm = SourceMap::new();
    load(&mut sm, "p.json", doc.to_string()).expect("plan").1
}

fn nsg_rule_json(name: &str, prio: u32) -> serde_json::Value {
    serde_json::json!({"name": name, "priority": prio, "direction": "Outbound", "access": "Deny",
        "protocol": "Tcp", "source_port_range": "*", "destination_port_range": "443",
        "source_address_prefix": "*", "destination_address_prefix": "Internet",
        "network_security_group_name": "nsg", "resource_group_name": "g"})
}

fn rule_names(m: &Model) -> Vec<(String, u32)> {
    let mut v: Vec<(String, u32)> = m.nsgs[0]
        .rules
        .known()
        .unwrap()
        .iter()
        .map(|r| (r.display_name(), *r.priority.known().unwrap()))
        .collect();
    v.sort();
    v
}

/// An existing NSG's `security_rule` echoes every rule, including the separately managed ones:
/// each counts once, with its planned values; deleted and renamed ones are gone; an echoed rule
/// no resource of the plan manages stays (managed elsewhere, it persists).
#[test]
fn nsg_rule_echoes_are_reconciled_with_separate_rule_resources() {
    let echo = serde_json::json!({"name": "nsg", "resource_group_name": "g",
        "id": format!("{RG_ID}/networkSecurityGroups/nsg"),
        "security_rule": [nsg_rule_json("elsewhere", 100), nsg_rule_json("updated", 200),
                          nsg_rule_json("deleted", 300), nsg_rule_json("old-name", 400)]});
    let m = plan_of(vec![
        change(
            "azurerm_network_security_group.nsg",
            &["no-op"],
            echo.clone(),
            echo,
        ),
        change(
            "azurerm_network_security_rule.updated",
            &["update"],
            nsg_rule_json("updated", 200),
            nsg_rule_json("updated", 210),
        ),
        change(
            "azurerm_network_security_rule.deleted",
            &["delete"],
            nsg_rule_json("deleted", 300),
            serde_json::Value::Null,
        ),
        change(
            "azurerm_network_security_rule.renamed",
            &["delete", "create"],
            nsg_rule_json("old-name", 400),
            nsg_rule_json("new-name", 400),
        ),
        change(
            "azurerm_network_security_rule.added",
            &["create"],
            serde_json::Value::Null,
            nsg_rule_json("added", 500),
        ),
    ]);
    assert_eq!(
        rule_names(&m),
        vec![
            ("added".into(), 500),
            ("elsewhere".into(), 100),
            ("new-name".into(), 400),
            ("updated".into(), 210)
        ]
    );
    // create_before_destroy replaces the same way
    let echo = serde_json::json!({"name": "nsg", "resource_group_name": "g",
        "security_rule": [nsg_rule_json("r", 100)]});
    let m = plan_of(vec![
        change(
            "azurerm_network_security_group.nsg",
            &["no-op"],
            echo.clone(),
            echo,
        ),
        change(
            "azurerm_network_security_rule.r",
            &["create", "delete"],
            nsg_rule_json("r", 100),
            nsg_rule_json("r", 150),
        ),
    ]);
    assert_eq!(rule_names(&m), vec![("r".into(), 150)]);
}

#[test]
fn route_echoes_are_reconciled_with_separate_route_resources() {
    let route = |name: &str, prefix: &str| {
        serde_json::json!({"name": name, "address_prefix": prefix, "next_hop_type": "None",
            "next_hop_in_ip_address": "", "route_table_name": "rt", "resource_group_name": "g"})
    };
    let echo = serde_json::json!({"name": "rt", "resource_group_name": "g",
        "route": [route("default", "0.0.0.0/0"), route("gone", "10.0.0.0/8")]});
    let m = plan_of(vec![
        change("azurerm_route_table.rt", &["no-op"], echo.clone(), echo),
        change(
            "azurerm_route.default",
            &["no-op"],
            route("default", "0.0.0.0/0"),
            route("default", "0.0.0.0/0"),
        ),
        change(
            "azurerm_route.gone",
            &["delete"],
            route("gone", "10.0.0.0/8"),
            serde_json::Value::Null,
        ),
    ]);
    let routes = m.route_tables[0].routes.known().unwrap();
    assert_eq!(routes.len(), 1, "{routes:?}");
    assert_eq!(routes[0].display_name(), "default");
    assert_eq!(
        routes[0].origin.address.as_deref(),
        Some("azurerm_route.default")
    );
}

/// A VNet's `subnet` echo and the `azurerm_subnet` resource are one subnet (the resource); a
/// deleted subnet leaves the echo; a deleted association clears the echoed link it set.
#[test]
fn subnet_echoes_and_deleted_associations() {
    let sid = |n: &str| format!("{RG_ID}/virtualNetworks/v/subnets/{n}");
    let nsg_id = format!("{RG_ID}/networkSecurityGroups/legacy");
    let vnet = serde_json::json!({"name": "v", "resource_group_name": "g",
        "id": format!("{RG_ID}/virtualNetworks/v"), "address_space": ["10.0.0.0/16"],
        "subnet": [
            {"name": "nodes", "id": sid("nodes"), "address_prefixes": ["10.0.0.0/22"], "security_group": nsg_id},
            {"name": "gone", "id": sid("gone"), "address_prefixes": ["10.0.8.0/24"], "security_group": ""},
            {"name": "other", "id": sid("other"), "address_prefixes": ["10.0.9.0/24"], "security_group": nsg_id}]});
    let subnet = |n: &str, p: &str| {
        serde_json::json!({"name": n, "id": sid(n), "resource_group_name": "g",
            "virtual_network_name": "v", "address_prefixes": [p]})
    };
    let assoc = serde_json::json!({"id": sid("other"), "subnet_id": sid("other"),
        "network_security_group_id": nsg_id});
    let m = plan_of(vec![
        change("azurerm_virtual_network.v", &["no-op"], vnet.clone(), vnet),
        change(
            "azurerm_subnet.nodes",
            &["no-op"],
            subnet("nodes", "10.0.0.0/22"),
            subnet("nodes", "10.0.0.0/22"),
        ),
        change(
            "azurerm_subnet.gone",
            &["delete"],
            subnet("gone", "10.0.8.0/24"),
            serde_json::Value::Null,
        ),
        change(
            "azurerm_subnet_network_security_group_association.other",
            &["delete"],
            assoc,
            serde_json::Value::Null,
        ),
    ]);
    let keys: Vec<&str> = m.subnets.iter().map(|s| s.meta.key.as_str()).collect();
    assert_eq!(
        keys,
        vec![
            "azurerm_virtual_network.v/subnet/other",
            "azurerm_subnet.nodes"
        ]
    );
    assert_eq!(
        m.subnet(&Ref::id(sid("nodes"))).unwrap().meta.key,
        "azurerm_subnet.nodes"
    );
    assert_eq!(
        m.subnets[0].nsg,
        Known::Absent,
        "the deleted association took the NSG away"
    );
}

/// What a plan creates lists all its children; a pre-existing element does not, unless the
/// input lists them (a VNet data source's `vnet_peerings`, a policy's `rule_collection_groups`
/// when every group is in the input).
#[test]
fn which_elements_list_all_their_children() {
    let vid = format!("{RG_ID}/virtualNetworks/hub");
    let pol_id = format!("{RG_ID}/firewallPolicies/p");
    let rcg = |n: &str| format!("{pol_id}/ruleCollectionGroups/{n}");
    let data_hub = serde_json::json!({"address": "data.azurerm_virtual_network.hub", "mode": "data",
        "type": "azurerm_virtual_network", "name": "hub",
        "change": {"actions": ["read"], "before": null, "after": {"name": "hub", "id": vid,
            "address_space": ["10.0.0.0/16"],
            "vnet_peerings": {"hub-to-spoke": format!("{RG_ID}/virtualNetworks/spoke")}},
            "after_unknown": {}, "before_sensitive": false, "after_sensitive": {}}});
    let policy = |groups: Vec<String>| serde_json::json!({"name": "p", "id": pol_id, "rule_collection_groups": groups});
    let group = |n: &str| serde_json::json!({"name": n, "id": rcg(n), "firewall_policy_id": pol_id, "priority": 200});
    let m = plan_of(vec![
        data_hub,
        change(
            "azurerm_virtual_network.spoke",
            &["no-op"],
            serde_json::json!({"name": "spoke", "address_space": ["10.1.0.0/16"]}),
            serde_json::json!({"name": "spoke", "address_space": ["10.1.0.0/16"]}),
        ),
        change(
            "azurerm_virtual_network.new",
            &["create"],
            serde_json::Value::Null,
            serde_json::json!({"name": "new", "address_space": ["10.2.0.0/16"]}),
        ),
        change(
            "azurerm_firewall_policy.p",
            &["no-op"],
            policy(vec![rcg("a"), rcg("b")]),
            policy(vec![rcg("a"), rcg("b")]),
        ),
        change(
            "azurerm_firewall_policy_rule_collection_group.a",
            &["no-op"],
            group("a"),
            group("a"),
        ),
        change(
            "azurerm_firewall_policy_rule_collection_group.b",
            &["delete"],
            group("b"),
            serde_json::Value::Null,
        ),
    ]);
    let vnet = |k: &str| m.vnets.iter().find(|v| v.meta.key == k).unwrap();
    assert!(
        vnet("data.azurerm_virtual_network.hub")
            .meta
            .lists_all_children
    );
    assert!(
        !vnet("azurerm_virtual_network.spoke")
            .meta
            .lists_all_children
    );
    assert!(vnet("azurerm_virtual_network.new").meta.lists_all_children);
    // the data source's peering, settings unknown
    assert_eq!(m.peerings.len(), 1);
    assert!(m.peerings[0].allow_forwarded_traffic.is_unknown());
    // every group of the policy is in the input (or deleted by it)
    assert!(m.firewall_policies[0].meta.lists_all_children);
    let m = plan_of(vec![change(
        "azurerm_firewall_policy.p",
        &["no-op"],
        policy(vec![rcg("hub-baseline")]),
        policy(vec![rcg("hub-baseline")]),
    )]);
    assert!(!m.firewall_policies[0].meta.lists_all_children);
}

/// An existing subnet resource states no association: unknown, unless an association resource
/// or the VNet's refreshed subnet list says.
#[test]
fn associations_of_existing_subnets_are_unknown_unless_stated() {
    let sid = format!("{RG_ID}/virtualNetworks/v/subnets/nodes");
    let subnet = serde_json::json!({"name": "nodes", "id": sid, "resource_group_name": "g",
        "virtual_network_name": "v", "address_prefixes": ["10.0.0.0/22"]});
    let m = plan_of(vec![change(
        "azurerm_subnet.nodes",
        &["no-op"],
        subnet.clone(),
        subnet.clone(),
    )]);
    assert!(m.subnets[0].nsg.is_unknown());
    assert!(m.subnets[0].route_table.is_unknown());
    // the VNet's echo states both (no NSG, a route table)
    let rt = format!("{RG_ID}/routeTables/rt");
    let vnet = serde_json::json!({"name": "v", "resource_group_name": "g",
        "id": format!("{RG_ID}/virtualNetworks/v"), "address_space": ["10.0.0.0/16"],
        "subnet": [{"name": "nodes", "id": sid, "address_prefixes": ["10.0.0.0/22"],
                    "security_group": "", "route_table_id": rt}]});
    let m = plan_of(vec![
        change("azurerm_virtual_network.v", &["no-op"], vnet.clone(), vnet),
        change(
            "azurerm_subnet.nodes",
            &["no-op"],
            subnet.clone(),
            subnet.clone(),
        ),
    ]);
    assert_eq!(m.subnets.len(), 1);
    assert_eq!(m.subnets[0].nsg, Known::Absent);
    assert_eq!(m.subnets[0].route_table, Known::Known(Ref::id(rt)));
    // an association resource states it
    let nsg = format!("{RG_ID}/networkSecurityGroups/n");
    let assoc = serde_json::json!({"id": sid, "subnet_id": sid, "network_security_group_id": nsg});
    let m = plan_of(vec![
        change("azurerm_subnet.nodes", &["no-op"], subnet.clone(), subnet),
        change(
            "azurerm_subnet_network_security_group_association.n",
            &["no-op"],
            assoc.clone(),
            assoc,
        ),
    ]);
    assert_eq!(m.subnets[0].nsg, Known::Known(Ref::id(nsg)));
    assert!(m.subnets[0].route_table.is_unknown());
}

/// The cluster's identity and the role assignments of the plan, with principals that are known
/// only after apply resolved to the identity they reference.
#[test]
fn cluster_identity_and_role_assignments() {
    let (_, m, _) = load_file("scenarios/private-byo-zone-aks-links-spoke/plan.json");
    assert_eq!(
        m.clusters[0].identity,
        Known::Known(ClusterIdentity::UserAssigned(vec![key(
            "azurerm_user_assigned_identity.aks"
        )]))
    );
    assert_eq!(m.identities.len(), 1);
    let zone_role = m
        .role_assignments
        .iter()
        .find(|a| a.role == Known::Known("Private DNS Zone Contributor".into()))
        .expect("zone role");
    assert_eq!(
        zone_role.scope,
        Known::Known(key("azurerm_private_dns_zone.aks"))
    );
    assert_eq!(
        zone_role.principal,
        Known::Known(Principal::Identity(key(
            "azurerm_user_assigned_identity.aks"
        )))
    );
    let (_, m, _) = load_file("scenarios/private-byo-zone-system-identity/plan.json");
    assert_eq!(
        m.clusters[0].identity,
        Known::Known(ClusterIdentity::SystemAssigned)
    );
}

/// `azapi_resource`s of a plan (the VNet and subnet of Azure Verified Modules): read like their
/// azurerm counterparts; the subnet's VNet (`parent_id`) and NSG (`body.properties.
/// networkSecurityGroup.id`), known only after apply, resolve through the configuration, and a
/// node pool's `vnet_subnet_id` resolves to the azapi subnet.
#[test]
fn azapi_resources_of_a_plan() {
    let created = |address: &str, after: serde_json::Value, unknown: serde_json::Value| {
        let (rtype, name) = address.split_once('.').unwrap();
        serde_json::json!({
            "address": address, "mode": "managed", "type": rtype, "name": name,
            "change": {"actions": ["create"], "after": after, "after_unknown": unknown}
        })
    };
    let plan = serde_json::json!({
        "format_version": "1.2",
        "resource_changes": [
            created(
                "azurerm_network_security_group.nodes",
                serde_json::json!({"name": "nsg-nodes", "location": "westeurope",
                    "resource_group_name": "rg", "security_rule": []}),
                serde_json::json!({"id": true}),
            ),
            created(
                "azapi_resource.vnet",
                serde_json::json!({"type": "Microsoft.Network/virtualNetworks@2024-07-01",
                    "name": "vnet-aks", "location": "westeurope",
                    "parent_id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg",
                    "body": {"properties": {
                        "addressSpace": {"addressPrefixes": ["10.10.0.0/16"]},
                        "dhcpOptions": {"dnsServers": ["10.0.2.4"]}}}}),
                serde_json::json!({"id": true, "output": true}),
            ),
            created(
                "azapi_resource.subnet",
                serde_json::json!({"type": "Microsoft.Network/virtualNetworks/subnets@2024-07-01",
                    "name": "snet-nodes", "parent_id": null,
                    "body": {"properties": {"addressPrefixes": ["10.10.0.0/22"],
                        "networkSecurityGroup": {"id": null}, "routeTable": null}}}),
                serde_json::json!({"id": true, "parent_id": true, "output": true,
                    "body": {"properties": {"networkSecurityGroup": {"id": true}}}}),
            ),
            created(
                "azapi_resource.to_hub",
                serde_json::json!({"type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings@2024-07-01",
                    "name": "spoke-to-hub", "parent_id": null,
                    "body": {"properties": {
                        "remoteVirtualNetwork": {"id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub"},
                        "allowForwardedTraffic": true}}}),
                serde_json::json!({"id": true, "parent_id": true}),
            ),
            created(
                "azapi_resource.legacy",
                serde_json::json!({"type": "Microsoft.Network/virtualNetworks@2021-02-01",
                    "name": "vnet-legacy",
                    "parent_id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg",
                    "body": "{\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.20.0.0/16\"]}}}"}),
                serde_json::json!({"id": true}),
            ),
            created(
                "azurerm_kubernetes_cluster.aks",
                serde_json::json!({"name": "aks", "location": "westeurope",
                    "resource_group_name": "rg", "dns_prefix": "aks",
                    "default_node_pool": [{"name": "system", "vnet_subnet_id": null}]}),
                serde_json::json!({"id": true, "default_node_pool": [{"vnet_subnet_id": true}]}),
            ),
        ],
        "configuration": {"root_module": {"resources": [
            {"address": "azapi_resource.subnet", "mode": "managed", "type": "azapi_resource",
             "name": "subnet", "expressions": {
                "parent_id": {"references": ["azapi_resource.vnet.id", "azapi_resource.vnet"]},
                "body": {"references": ["azurerm_network_security_group.nodes.id",
                    "azurerm_network_security_group.nodes"]}}},
            {"address": "azapi_resource.to_hub", "mode": "managed", "type": "azapi_resource",
             "name": "to_hub", "expressions": {
                "parent_id": {"references": ["azapi_resource.vnet.id", "azapi_resource.vnet"]}}},
            {"address": "azurerm_kubernetes_cluster.aks", "mode": "managed",
             "type": "azurerm_kubernetes_cluster", "name": "aks", "expressions": {
                "default_node_pool": [{"vnet_subnet_id": {"references": [
                    "azapi_resource.subnet.id", "azapi_resource.subnet"]}}]}}
        ]}}
    });
    let mut sm = SourceMap::new();
    let (kind, m) = load(&mut sm, "plan.json", plan.to_string()).expect("loads");
    assert_eq!(kind, InputKind::TerraformPlan);
    let vnet = m
        .vnets
        .iter()
        .find(|v| v.meta.key == "azapi_resource.vnet")
        .expect("the azapi VNet");
    assert_eq!(
        vnet.address_space,
        Known::Known(vec!["10.10.0.0/16".parse().unwrap()])
    );
    assert!(matches!(&vnet.dns_servers, Known::Known(l) if l.len() == 1));
    assert_eq!(vnet.meta.resource_group, Known::Known("rg".into()));
    let subnet = m
        .subnets
        .iter()
        .find(|s| s.meta.key == "azapi_resource.subnet")
        .expect("the azapi subnet");
    assert_eq!(subnet.vnet, Known::Known(key("azapi_resource.vnet")));
    assert_eq!(
        subnet.nsg,
        Known::Known(key("azurerm_network_security_group.nodes"))
    );
    assert_eq!(subnet.route_table, Known::Absent);
    assert_eq!(
        subnet.prefixes,
        Known::Known(vec!["10.10.0.0/22".parse().unwrap()])
    );
    let pool = &m.clusters[0].node_pools[0];
    assert_eq!(pool.subnet, Known::Known(key("azapi_resource.subnet")));
    let peering = &m.peerings[0];
    assert_eq!(peering.local_vnet, Known::Known(key("azapi_resource.vnet")));
    assert!(
        matches!(&peering.remote_vnet, Known::Known(Ref::Id(id)) if id.name() == "vnet-hub"),
        "{:?}",
        peering.remote_vnet
    );
    assert_eq!(peering.allow_forwarded_traffic, Known::Known(true));
    assert_eq!(peering.allow_virtual_network_access, Known::Known(true));
    assert_eq!(peering.use_remote_gateways, Known::Known(false));
    // a body written as a JSON string (AzAPI 1.x) is not read: unknown, with the reason
    let legacy = m
        .vnets
        .iter()
        .find(|v| v.meta.key == "azapi_resource.legacy")
        .expect("the azapi VNet with a string body");
    assert!(
        matches!(&legacy.address_space, Known::Unknown(r) if r.contains("`body` is a JSON string")),
        "{:?}",
        legacy.address_space
    );
}
