use super::names::{KNOWN_APP_PROTOCOLS, edit_distance};
use super::ranges::Range;
use super::*;
use crate::eval::flow::AppProto;
use crate::eval::{Destination, Protocol};
use crate::model::{
    AddressMatch, AppProtocol, AppProtocolPort, ApplicationRule, FirewallPolicy, FwAction, IpGroup,
    Meta, NetProtocol, NetworkRule, PortRange, Ref, RuleCollection, RuleCollectionGroup,
    RuleCollectionKind,
};
use ipnet::IpNet;

// ---------------------------------------------------------- builders

fn meta(key: &str) -> Meta {
    let mut m = Meta::new(key, Origin::none().with_address(key));
    m.lists_all_children = true; // the model holds every rule
    m.name = Known::Known(key.rsplit('.').next().unwrap_or(key).to_string());
    m
}

fn firewall(policy: Option<&str>) -> Firewall {
    Firewall {
        meta: meta("azurerm_firewall.hub"),
        subnet: Known::Absent,
        private_ip: Known::Absent,
        public_ips: vec![],
        policy: policy.map(Ref::key).into(),
        dns_proxy: Known::Absent,
        dns_servers: vec![],
        threat_intel_mode: Known::Absent,
        sku_tier: Known::Absent,
        collections: vec![],
    }
}

fn policy(key: &str, base: Option<&str>, dns_proxy: Known<bool>) -> FirewallPolicy {
    FirewallPolicy {
        meta: meta(key),
        base_policy: base.map(Ref::key).into(),
        dns_proxy,
        dns_servers: vec![],
        threat_intel_mode: Known::Absent,
        sku_tier: Known::Absent,
        rule_collection_groups: Known::Absent,
    }
}

fn group(
    key: &str,
    policy: &str,
    prio: Known<u32>,
    cs: Vec<RuleCollection>,
) -> RuleCollectionGroup {
    RuleCollectionGroup {
        meta: meta(key),
        policy: Known::Known(Ref::key(policy)),
        priority: prio,
        collections: cs,
    }
}

fn coll(
    name: &str,
    kind: RuleCollectionKind,
    prio: Known<u32>,
    action: FwAction,
    rules: Vec<FirewallRule>,
) -> RuleCollection {
    RuleCollection {
        name: Known::Known(name.into()),
        origin: Origin::none().with_address(format!("coll {name}")),
        kind,
        priority: prio,
        action: Known::Known(action),
        rules,
    }
}

fn app_coll(name: &str, prio: u32, action: FwAction, rules: Vec<FirewallRule>) -> RuleCollection {
    coll(
        name,
        RuleCollectionKind::Application,
        Known::Known(prio),
        action,
        rules,
    )
}

fn net_coll(name: &str, prio: u32, action: FwAction, rules: Vec<FirewallRule>) -> RuleCollection {
    coll(
        name,
        RuleCollectionKind::Network,
        Known::Known(prio),
        action,
        rules,
    )
}

fn addrs(xs: &[&str]) -> Vec<AddressMatch> {
    xs.iter().map(|s| AddressMatch::parse(s)).collect()
}

fn app_rule(name: &str, src: &[&str], fqdns: &[&str], tags: &[&str]) -> ApplicationRule {
    ApplicationRule {
        name: Known::Known(name.into()),
        origin: Origin::none().with_address(format!("rule {name}")),
        protocols: vec![
            AppProtocolPort {
                protocol: Ok(AppProtocol::Http),
                port: 80,
            },
            AppProtocolPort {
                protocol: Ok(AppProtocol::Https),
                port: 443,
            },
        ],
        source_addresses: addrs(src),
        source_ip_groups: vec![],
        target_fqdns: fqdns.iter().map(|s| s.to_string()).collect(),
        fqdn_tags: tags.iter().map(|s| s.to_string()).collect(),
        fqdn_tag_origins: vec![],
        destination_addresses: vec![],
        web_categories: vec![],
        target_urls: vec![],
        terminate_tls: false,
    }
}

fn app(name: &str, fqdns: &[&str]) -> FirewallRule {
    FirewallRule::Application(app_rule(name, &["*"], fqdns, &[]))
}

fn net_rule(
    name: &str,
    protos: &[NetProtocol],
    src: &[&str],
    dst: &[&str],
    fqdns: &[&str],
    ports: &[&str],
) -> NetworkRule {
    NetworkRule {
        name: Known::Known(name.into()),
        origin: Origin::none().with_address(format!("rule {name}")),
        protocols: protos.to_vec(),
        source_addresses: addrs(src),
        source_ip_groups: vec![],
        destination_addresses: addrs(dst),
        destination_ip_groups: vec![],
        destination_fqdns: fqdns.iter().map(|s| s.to_string()).collect(),
        destination_ports: ports.iter().filter_map(|p| PortRange::parse(p)).collect(),
    }
}

fn net(name: &str, proto: NetProtocol, dst: &[&str], ports: &[&str]) -> FirewallRule {
    FirewallRule::Network(net_rule(name, &[proto], &["*"], dst, &[], ports))
}

/// A model with one policy `azurerm_firewall_policy.hub` holding one group `grp` (priority 200).
fn policy_model(colls: Vec<RuleCollection>) -> (Model, Firewall) {
    let mut m = Model::new();
    m.firewall_policies
        .push(policy("azurerm_firewall_policy.hub", None, Known::Absent));
    m.rule_collection_groups.push(group(
        "azurerm_firewall_policy_rule_collection_group.grp",
        "azurerm_firewall_policy.hub",
        Known::Known(200),
        colls,
    ));
    let fw = firewall(Some("azurerm_firewall_policy.hub"));
    m.firewalls.push(fw.clone());
    m.finish();
    (m, fw)
}

const NODES: &str = "10.240.0.0/16";

fn https(host: &str) -> Flow {
    Flow {
        source_prefixes: vec![NODES.parse().unwrap()],
        destination: Destination::Host(host.into()),
        destination_tags: vec![],
        protocol: Protocol::Tcp,
        port: 443,
        app_protocol: Some(AppProto::Https),
    }
}

fn udp(dst: Destination, port: u16) -> Flow {
    Flow {
        source_prefixes: vec![NODES.parse().unwrap()],
        destination: dst,
        destination_tags: vec![],
        protocol: Protocol::Udp,
        port,
        app_protocol: None,
    }
}

fn tcp(dst: Destination, port: u16, tags: &[&str]) -> Flow {
    Flow {
        source_prefixes: vec![NODES.parse().unwrap()],
        destination: dst,
        destination_tags: tags.iter().map(|s| s.to_string()).collect(),
        protocol: Protocol::Tcp,
        port,
        app_protocol: None,
    }
}

// ---------------------------------------------------------- application rules

#[test]
fn aks_fqdn_tag_allows_core_hosts() {
    let rule = FirewallRule::Application(app_rule("aks", &["*"], &[], &["AzureKubernetesService"]));
    let (m, fw) = policy_model(vec![app_coll("aks-app", 100, FwAction::Allow, vec![rule])]);
    for h in [
        "mcr.microsoft.com",
        "*.data.mcr.microsoft.com",
        "management.azure.com",
        "login.microsoftonline.com",
        "packages.microsoft.com",
        "packages.aks.azure.com",
    ] {
        let d = evaluate(&m, &fw, &https(h));
        assert_eq!(d.verdict, Verdict::Reachable, "{h}: {}", d.reason);
        assert_eq!(d.rule.as_deref(), Some("grp/aks-app/aks"));
        assert_eq!(d.hops.len(), 2);
        assert_eq!(d.hops[0].kind, HopKind::Firewall);
        assert!(
            d.hops[0]
                .description
                .contains("policy azurerm_firewall_policy.hub")
        );
        assert_eq!(d.hops[1].kind, HopKind::FirewallRule);
        assert!(
            d.hops[1]
                .description
                .contains("rule collection group grp (priority 200)"),
            "{}",
            d.hops[1].description
        );
        assert!(
            d.hops[1]
                .description
                .contains("aks-app (priority 100, Allow) / rule aks")
        );
    }
    // not in the tag: default deny
    let d = evaluate(&m, &fw, &https("ifconfig.me"));
    assert_eq!(d.verdict, Verdict::Blocked);
    // optional OS-update host: undocumented in the tag
    let mut f = https("snapshot.ubuntu.com");
    f.app_protocol = Some(AppProto::Https);
    assert_eq!(evaluate(&m, &fw, &f).verdict, Verdict::Unknown);
    // a tag whose contents are unknown
    let rule = FirewallRule::Application(app_rule("wu", &["*"], &[], &["WindowsUpdate"]));
    let (m, fw) = policy_model(vec![app_coll("c", 100, FwAction::Allow, vec![rule])]);
    let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
    assert_eq!(d.verdict, Verdict::Unknown, "{}", d.reason);
    assert!(d.reason.contains("WindowsUpdate"), "{}", d.reason);
}

#[test]
fn allowlist_missing_management_denies_only_management() {
    let (m, fw) = policy_model(vec![app_coll(
        "aks",
        100,
        FwAction::Allow,
        vec![app(
            "core",
            &[
                "mcr.microsoft.com",
                "*.data.mcr.microsoft.com",
                "login.microsoftonline.com",
            ],
        )],
    )]);
    let d = evaluate(&m, &fw, &https("management.azure.com"));
    assert_eq!(d.verdict, Verdict::Blocked);
    assert!(
        d.reason.contains("no rule allows it: default deny"),
        "{}",
        d.reason
    );
    assert!(d.rule.is_none() && d.rule_origin.is_none());
    assert_eq!(
        d.hops.last().map(|h| h.description.as_str()),
        Some("default deny (no rule collection allows the flow)")
    );
    for h in [
        "mcr.microsoft.com",
        "westeurope.data.mcr.microsoft.com",
        "*.data.mcr.microsoft.com",
        "login.microsoftonline.com",
    ] {
        assert_eq!(
            evaluate(&m, &fw, &https(h)).verdict,
            Verdict::Reachable,
            "{h}"
        );
    }
}

#[test]
fn wildcard_requirement_hosts() {
    let (m, fw) = policy_model(vec![app_coll(
        "c",
        100,
        FwAction::Allow,
        vec![app("r", &["*.mcr.microsoft.com"])],
    )]);
    assert_eq!(
        evaluate(&m, &fw, &https("*.data.mcr.microsoft.com")).verdict,
        Verdict::Reachable
    );
    assert_eq!(
        evaluate(&m, &fw, &https("mcr.microsoft.com")).verdict,
        Verdict::Blocked,
        "apex is not covered"
    );
    let (m, fw) = policy_model(vec![app_coll(
        "c",
        100,
        FwAction::Allow,
        vec![app("r", &["westeurope.data.mcr.microsoft.com"])],
    )]);
    assert_eq!(
        evaluate(&m, &fw, &https("*.data.mcr.microsoft.com")).verdict,
        Verdict::Blocked
    );
}

#[test]
fn app_protocol_and_port_must_match() {
    let mut r = app_rule("r", &["*"], &["mcr.microsoft.com"], &[]);
    r.protocols = vec![AppProtocolPort {
        protocol: Ok(AppProtocol::Http),
        port: 443,
    }];
    let (m, fw) = policy_model(vec![app_coll(
        "c",
        100,
        FwAction::Allow,
        vec![FirewallRule::Application(r)],
    )]);
    assert_eq!(
        evaluate(&m, &fw, &https("mcr.microsoft.com")).verdict,
        Verdict::Blocked
    );
    let mut r = app_rule("r", &["*"], &["mcr.microsoft.com"], &[]);
    r.protocols = vec![AppProtocolPort {
        protocol: Err("Htps".into()),
        port: 443,
    }];
    let (m, fw) = policy_model(vec![app_coll(
        "c",
        100,
        FwAction::Allow,
        vec![FirewallRule::Application(r)],
    )]);
    assert_eq!(
        evaluate(&m, &fw, &https("mcr.microsoft.com")).verdict,
        Verdict::Blocked
    );
    // a TCP 443 flow without an application protocol never meets application rules
    let (m, fw) = policy_model(vec![app_coll(
        "c",
        100,
        FwAction::Allow,
        vec![app("r", &["*"])],
    )]);
    let mut f = https("mcr.microsoft.com");
    f.app_protocol = None;
    assert_eq!(evaluate(&m, &fw, &f).verdict, Verdict::Blocked);
}

#[test]
fn web_categories_and_urls_are_undecidable() {
    let mut r = app_rule("cat", &["*"], &[], &[]);
    r.web_categories = vec!["ComputersAndTechnology".into()];
    let (m, fw) = policy_model(vec![app_coll(
        "cats",
        100,
        FwAction::Allow,
        vec![FirewallRule::Application(r.clone())],
    )]);
    let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
    assert_eq!(d.verdict, Verdict::Unknown);
    assert!(d.reason.contains("web category"), "{}", d.reason);
    assert_eq!(d.rule.as_deref(), Some("grp/cats/cat"));
    // a maybe-Allow followed by a definite Allow: same action, decided
    let (m, fw) = policy_model(vec![
        app_coll(
            "cats",
            100,
            FwAction::Allow,
            vec![FirewallRule::Application(r.clone())],
        ),
        app_coll(
            "mcr",
            200,
            FwAction::Allow,
            vec![app("mcr", &["mcr.microsoft.com"])],
        ),
    ]);
    let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
    assert_eq!(d.verdict, Verdict::Reachable, "{}", d.reason);
    assert_eq!(d.rule.as_deref(), Some("grp/mcr/mcr"));
    // a maybe-Deny before a definite Allow: undecidable
    let (m, fw) = policy_model(vec![
        app_coll(
            "cats",
            100,
            FwAction::Deny,
            vec![FirewallRule::Application(r)],
        ),
        app_coll(
            "mcr",
            200,
            FwAction::Allow,
            vec![app("mcr", &["mcr.microsoft.com"])],
        ),
    ]);
    let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
    assert_eq!(d.verdict, Verdict::Unknown);
    assert!(
        d.reason.contains("grp/cats/cat (Deny) may match"),
        "{}",
        d.reason
    );
    // target URL with the same host: maybe; with another host: no match
    let mut u = app_rule("url", &["*"], &[], &[]);
    u.target_urls = vec!["mcr.microsoft.com/v2/".into()];
    let (m, fw) = policy_model(vec![app_coll(
        "u",
        100,
        FwAction::Allow,
        vec![FirewallRule::Application(u)],
    )]);
    assert_eq!(
        evaluate(&m, &fw, &https("mcr.microsoft.com")).verdict,
        Verdict::Unknown
    );
    assert_eq!(
        evaluate(&m, &fw, &https("login.microsoftonline.com")).verdict,
        Verdict::Blocked
    );
}

// ---------------------------------------------------------- ordering

#[test]
fn collection_priority_decides() {
    let deny = app_coll("deny-all", 100, FwAction::Deny, vec![app("all", &["*"])]);
    let allow = app_coll(
        "allow-mcr",
        200,
        FwAction::Allow,
        vec![app("mcr", &["mcr.microsoft.com"])],
    );
    let (m, fw) = policy_model(vec![allow.clone(), deny.clone()]);
    let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
    assert_eq!(d.verdict, Verdict::Blocked);
    assert_eq!(d.rule.as_deref(), Some("grp/deny-all/all"));
    assert!(d.reason.starts_with("denied by"), "{}", d.reason);

    let mut deny = deny;
    deny.priority = Known::Known(300);
    let (m, fw) = policy_model(vec![deny, allow]);
    let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
    assert_eq!(d.verdict, Verdict::Reachable);
    assert_eq!(d.rule.as_deref(), Some("grp/allow-mcr/mcr"));
}

#[test]
fn group_priority_comes_before_collection_priority() {
    let mut m = Model::new();
    m.firewall_policies
        .push(policy("azurerm_firewall_policy.hub", None, Known::Absent));
    m.rule_collection_groups.push(group(
        "g.deny",
        "azurerm_firewall_policy.hub",
        Known::Known(300),
        vec![app_coll(
            "deny",
            100,
            FwAction::Deny,
            vec![app("all", &["*"])],
        )],
    ));
    m.rule_collection_groups.push(group(
        "g.allow",
        "azurerm_firewall_policy.hub",
        Known::Known(200),
        vec![app_coll(
            "allow",
            4000,
            FwAction::Allow,
            vec![app("mcr", &["mcr.microsoft.com"])],
        )],
    ));
    let fw = firewall(Some("azurerm_firewall_policy.hub"));
    m.finish();
    let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
    assert_eq!(d.verdict, Verdict::Reachable, "{}", d.reason);
    assert_eq!(d.rule.as_deref(), Some("allow/allow/mcr"));
}

#[test]
fn parent_policy_groups_come_first() {
    let mut m = Model::new();
    m.firewall_policies
        .push(policy("p.parent", None, Known::Absent));
    m.firewall_policies
        .push(policy("p.child", Some("p.parent"), Known::Absent));
    m.rule_collection_groups.push(group(
        "g.parent",
        "p.parent",
        Known::Known(60000),
        vec![app_coll(
            "deny",
            60000,
            FwAction::Deny,
            vec![app("all", &["*"])],
        )],
    ));
    m.rule_collection_groups.push(group(
        "g.child",
        "p.child",
        Known::Known(100),
        vec![app_coll(
            "allow",
            100,
            FwAction::Allow,
            vec![app("mcr", &["mcr.microsoft.com"])],
        )],
    ));
    let fw = firewall(Some("p.child"));
    m.finish();
    let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
    assert_eq!(d.verdict, Verdict::Blocked, "{}", d.reason);
    assert_eq!(d.rule.as_deref(), Some("parent/deny/all"));
    // groups of an unrelated policy are ignored
    let mut m2 = m.clone();
    m2.firewall_policies
        .push(policy("p.other", None, Known::Absent));
    m2.rule_collection_groups[0].policy = Known::Known(Ref::key("p.other"));
    m2.finish();
    assert_eq!(
        evaluate(&m2, &fw, &https("mcr.microsoft.com")).verdict,
        Verdict::Reachable
    );
}

#[test]
fn policy_chain_problems_are_unknown() {
    // cycle
    let mut m = Model::new();
    m.firewall_policies
        .push(policy("p.a", Some("p.b"), Known::Absent));
    m.firewall_policies
        .push(policy("p.b", Some("p.a"), Known::Absent));
    m.finish();
    let d = evaluate(&m, &firewall(Some("p.a")), &https("mcr.microsoft.com"));
    assert_eq!(d.verdict, Verdict::Unknown);
    assert!(d.reason.contains("loops"), "{}", d.reason);
    // missing policy
    let d = evaluate(
        &m,
        &firewall(Some("p.missing")),
        &https("mcr.microsoft.com"),
    );
    assert_eq!(d.verdict, Verdict::Unknown);
    assert!(d.reason.contains("not in the input"), "{}", d.reason);
    // unknown policy reference
    let mut fw = firewall(None);
    fw.policy = Known::unknown("known after apply");
    let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
    assert_eq!(d.verdict, Verdict::Unknown);
    // unknown parent
    let mut m = Model::new();
    let mut p = policy("p.c", None, Known::Absent);
    p.base_policy = Known::unknown("known after apply");
    m.firewall_policies.push(p);
    let d = evaluate(&m, &firewall(Some("p.c")), &https("mcr.microsoft.com"));
    assert_eq!(d.verdict, Verdict::Unknown);
    assert!(d.reason.contains("parent policy"), "{}", d.reason);
}

#[test]
fn policy_without_groups_default_denies() {
    let mut m = Model::new();
    m.firewall_policies
        .push(policy("p.empty", None, Known::Absent));
    let d = evaluate(&m, &firewall(Some("p.empty")), &https("mcr.microsoft.com"));
    assert_eq!(d.verdict, Verdict::Blocked);
    assert!(
        d.reason.contains("no rule collection groups"),
        "{}",
        d.reason
    );
}

#[test]
fn unknown_priority_makes_ordering_undecidable() {
    let mut deny = app_coll("deny", 100, FwAction::Deny, vec![app("all", &["*"])]);
    deny.priority = Known::unknown("var.prio");
    let allow = app_coll(
        "allow",
        200,
        FwAction::Allow,
        vec![app("mcr", &["mcr.microsoft.com"])],
    );
    let (m, fw) = policy_model(vec![deny.clone(), allow.clone()]);
    let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
    assert_eq!(d.verdict, Verdict::Unknown, "{}", d.reason);
    assert!(d.reason.contains("priority unknown"), "{}", d.reason);
    assert_eq!(d.rule.as_deref(), Some("grp/deny/all"));
    // it does not matter when the unknown-priority collection does not match
    assert_eq!(
        evaluate(&m, &fw, &https("management.azure.com")).verdict,
        Verdict::Blocked
    );
    // nor when it has the same action as the decider
    let mut allow2 = app_coll("allow2", 1, FwAction::Allow, vec![app("all", &["*"])]);
    allow2.priority = Known::unknown("var.prio");
    let (m, fw) = policy_model(vec![allow2, allow.clone()]);
    assert_eq!(
        evaluate(&m, &fw, &https("mcr.microsoft.com")).verdict,
        Verdict::Reachable
    );
    // a lone unknown-priority Allow that matches decides
    let mut allow3 = allow;
    allow3.priority = Known::unknown("var.prio");
    let (m, fw) = policy_model(vec![allow3]);
    assert_eq!(
        evaluate(&m, &fw, &https("mcr.microsoft.com")).verdict,
        Verdict::Reachable
    );
    // unknown group priority vs another group
    let mut m = Model::new();
    m.firewall_policies.push(policy("p", None, Known::Absent));
    m.rule_collection_groups.push(group(
        "g1",
        "p",
        Known::unknown("x"),
        vec![app_coll(
            "deny",
            100,
            FwAction::Deny,
            vec![app("all", &["*"])],
        )],
    ));
    m.rule_collection_groups.push(group(
        "g2",
        "p",
        Known::Known(200),
        vec![app_coll(
            "allow",
            100,
            FwAction::Allow,
            vec![app("all", &["*"])],
        )],
    ));
    m.finish();
    assert_eq!(
        evaluate(&m, &firewall(Some("p")), &https("mcr.microsoft.com")).verdict,
        Verdict::Unknown
    );
}

#[test]
fn equal_priorities_that_disagree_are_undecidable() {
    let mut m = Model::new();
    m.firewall_policies.push(policy("p", None, Known::Absent));
    for (g, action) in [("g1", FwAction::Deny), ("g2", FwAction::Allow)] {
        m.rule_collection_groups.push(group(
            g,
            "p",
            Known::Known(200),
            vec![app_coll("c", 100, action, vec![app("all", &["*"])])],
        ));
    }
    m.finish();
    let d = evaluate(&m, &firewall(Some("p")), &https("mcr.microsoft.com"));
    assert_eq!(d.verdict, Verdict::Unknown);
    assert!(d.reason.contains("equal priorities"), "{}", d.reason);
    // same action: no ambiguity
    m.rule_collection_groups[0].collections[0].action = Known::Known(FwAction::Allow);
    m.finish();
    let d = evaluate(&m, &firewall(Some("p")), &https("mcr.microsoft.com"));
    assert_eq!(d.verdict, Verdict::Reachable);
    // a collection action that is unknown
    m.rule_collection_groups[0].collections[0].action = Known::unknown("var.action");
    m.finish();
    let d = evaluate(&m, &firewall(Some("p")), &https("mcr.microsoft.com"));
    assert_eq!(d.verdict, Verdict::Unknown);
    assert!(d.reason.contains("action is unknown"), "{}", d.reason);
}

// ---------------------------------------------------------- network rules

#[test]
fn network_match_ends_processing() {
    // network Deny wins over an application Allow whatever the priorities
    let (m, fw) = policy_model(vec![
        app_coll(
            "allow-app",
            100,
            FwAction::Allow,
            vec![app("mcr", &["mcr.microsoft.com"])],
        ),
        net_coll(
            "deny-net",
            4000,
            FwAction::Deny,
            vec![net("https-out", NetProtocol::Tcp, &["*"], &["443"])],
        ),
    ]);
    let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
    assert_eq!(d.verdict, Verdict::Blocked, "{}", d.reason);
    assert_eq!(d.rule.as_deref(), Some("grp/deny-net/https-out"));
    assert!(
        d.hops[1]
            .description
            .contains("network rule collection deny-net")
    );
    // network Allow wins over an application Deny
    let (m, fw) = policy_model(vec![
        app_coll("deny-app", 100, FwAction::Deny, vec![app("all", &["*"])]),
        net_coll(
            "allow-net",
            4000,
            FwAction::Allow,
            vec![net("https-out", NetProtocol::Any, &["*"], &["443"])],
        ),
    ]);
    assert_eq!(
        evaluate(&m, &fw, &https("mcr.microsoft.com")).verdict,
        Verdict::Reachable
    );
}

#[test]
fn udp_only_via_network_rules() {
    let ntp = Destination::Host("ntp.ubuntu.com".into());
    let (m, fw) = policy_model(vec![app_coll(
        "all",
        100,
        FwAction::Allow,
        vec![app("all", &["*"])],
    )]);
    let d = evaluate(&m, &fw, &udp(ntp.clone(), 123));
    assert_eq!(d.verdict, Verdict::Blocked, "{}", d.reason);
    let (m, fw) = policy_model(vec![
        app_coll("all", 100, FwAction::Allow, vec![app("all", &["*"])]),
        net_coll(
            "ntp",
            300,
            FwAction::Allow,
            vec![net("ntp", NetProtocol::Udp, &["*"], &["123"])],
        ),
    ]);
    assert_eq!(
        evaluate(&m, &fw, &udp(ntp.clone(), 123)).verdict,
        Verdict::Reachable
    );
    // TCP-only or ICMP rules do not carry UDP; Any does
    for (p, want) in [
        (NetProtocol::Tcp, Verdict::Blocked),
        (NetProtocol::Icmp, Verdict::Blocked),
        (NetProtocol::Other("UPD".into()), Verdict::Blocked),
        (NetProtocol::Any, Verdict::Reachable),
    ] {
        let (m, fw) = policy_model(vec![net_coll(
            "n",
            100,
            FwAction::Allow,
            vec![net("n", p.clone(), &["*"], &["100-200"])],
        )]);
        assert_eq!(
            evaluate(&m, &fw, &udp(ntp.clone(), 123)).verdict,
            want,
            "{p:?}"
        );
    }
    // wrong port
    let (m, fw) = policy_model(vec![net_coll(
        "n",
        100,
        FwAction::Allow,
        vec![net("n", NetProtocol::Udp, &["*"], &["124"])],
    )]);
    assert_eq!(evaluate(&m, &fw, &udp(ntp, 123)).verdict, Verdict::Blocked);
}

#[test]
fn network_destinations() {
    let host = https("mcr.microsoft.com");
    // private CIDR never holds a public host
    let (m, fw) = policy_model(vec![net_coll(
        "n",
        100,
        FwAction::Allow,
        vec![net("n", NetProtocol::Tcp, &["10.0.0.0/8"], &["443"])],
    )]);
    assert_eq!(evaluate(&m, &fw, &host).verdict, Verdict::Blocked);
    // a public CIDR might
    let (m, fw) = policy_model(vec![net_coll(
        "n",
        100,
        FwAction::Allow,
        vec![net("n", NetProtocol::Tcp, &["20.0.0.0/8"], &["443"])],
    )]);
    let d = evaluate(&m, &fw, &host);
    assert_eq!(d.verdict, Verdict::Unknown);
    assert!(d.reason.contains("not known statically"), "{}", d.reason);
    // 0.0.0.0/0 covers it
    let (m, fw) = policy_model(vec![net_coll(
        "n",
        100,
        FwAction::Allow,
        vec![net("n", NetProtocol::Tcp, &["0.0.0.0/0"], &["443"])],
    )]);
    assert_eq!(evaluate(&m, &fw, &host).verdict, Verdict::Reachable);
    // IP destinations are compared exactly
    let (m, fw) = policy_model(vec![net_coll(
        "n",
        100,
        FwAction::Allow,
        vec![net(
            "dns",
            NetProtocol::Udp,
            &["10.0.0.4", "10.0.0.5"],
            &["53"],
        )],
    )]);
    assert_eq!(
        evaluate(
            &m,
            &fw,
            &udp(Destination::Ip("10.0.0.4".parse().unwrap()), 53)
        )
        .verdict,
        Verdict::Reachable
    );
    assert_eq!(
        evaluate(
            &m,
            &fw,
            &udp(Destination::Ip("10.0.0.6".parse().unwrap()), 53)
        )
        .verdict,
        Verdict::Blocked
    );
    // address ranges
    let (m, fw) = policy_model(vec![net_coll(
        "n",
        100,
        FwAction::Allow,
        vec![net(
            "dns",
            NetProtocol::Udp,
            &["10.0.0.1-10.0.0.9"],
            &["53"],
        )],
    )]);
    assert_eq!(
        evaluate(
            &m,
            &fw,
            &udp(Destination::Ip("10.0.0.4".parse().unwrap()), 53)
        )
        .verdict,
        Verdict::Reachable
    );
}

#[test]
fn service_tag_destinations() {
    let rule = net(
        "tunnel",
        NetProtocol::Tcp,
        &["AzureCloud.westeurope"],
        &["9000"],
    );
    let (m, fw) = policy_model(vec![net_coll("aks-net", 100, FwAction::Allow, vec![rule])]);
    // the requirement names the tag
    let f = tcp(Destination::AnyPublic, 9000, &["AzureCloud.westeurope"]);
    let d = evaluate(&m, &fw, &f);
    assert_eq!(d.verdict, Verdict::Reachable, "{}", d.reason);
    let f = tcp(Destination::Tag("azurecloud.WestEurope".into()), 9000, &[]);
    assert_eq!(evaluate(&m, &fw, &f).verdict, Verdict::Reachable);
    // not listed: AzureCloud may or may not contain it
    let f = tcp(Destination::AnyPublic, 9000, &[]);
    assert_eq!(evaluate(&m, &fw, &f).verdict, Verdict::Unknown);
    // wrong port
    let f = tcp(Destination::AnyPublic, 9001, &["AzureCloud.westeurope"]);
    assert_eq!(evaluate(&m, &fw, &f).verdict, Verdict::Blocked);
    // a specific service tag that the requirement does not list does not match
    let (m, fw) = policy_model(vec![net_coll(
        "n",
        100,
        FwAction::Allow,
        vec![net("mon", NetProtocol::Tcp, &["AzureMonitor"], &["443"])],
    )]);
    let d = evaluate(&m, &fw, &https("management.azure.com"));
    assert_eq!(d.verdict, Verdict::Blocked, "{}", d.reason);
    let mut f = https("mcr.microsoft.com");
    f.destination_tags = vec!["MicrosoftContainerRegistry".into()];
    let (m, fw) = policy_model(vec![net_coll(
        "n",
        100,
        FwAction::Allow,
        vec![net(
            "mcr",
            NetProtocol::Tcp,
            &["MicrosoftContainerRegistry.westeurope"],
            &["443"],
        )],
    )]);
    assert_eq!(
        evaluate(&m, &fw, &f).verdict,
        Verdict::Unknown,
        "regional part of the tag"
    );
}

#[test]
fn fqdn_network_rules_need_dns_proxy() {
    let ntp = || {
        FirewallRule::Network(net_rule(
            "ntp",
            &[NetProtocol::Udp],
            &["*"],
            &[],
            &["ntp.ubuntu.com"],
            &["123"],
        ))
    };
    let flow = udp(Destination::Host("ntp.ubuntu.com".into()), 123);
    // off (default)
    let (m, fw) = policy_model(vec![net_coll("n", 100, FwAction::Allow, vec![ntp()])]);
    assert_eq!(dns_proxy_enabled(&m, &fw), Known::Known(false));
    let d = evaluate(&m, &fw, &flow);
    assert_eq!(d.verdict, Verdict::Blocked);
    assert!(
        d.notes
            .iter()
            .any(|n| n.kind == FirewallNoteKind::FqdnNetworkRuleWithoutDnsProxy)
    );
    assert!(d.reason.contains("DNS proxy"), "{}", d.reason);
    // inherited from the parent policy
    let mut m = Model::new();
    m.firewall_policies
        .push(policy("p.parent", None, Known::Known(true)));
    m.firewall_policies
        .push(policy("p.child", Some("p.parent"), Known::Absent));
    m.rule_collection_groups.push(group(
        "g",
        "p.child",
        Known::Known(100),
        vec![net_coll("n", 100, FwAction::Allow, vec![ntp()])],
    ));
    m.finish();
    let fw = firewall(Some("p.child"));
    assert_eq!(dns_proxy_enabled(&m, &fw), Known::Known(true));
    let d = evaluate(&m, &fw, &flow);
    assert_eq!(d.verdict, Verdict::Reachable, "{}", d.reason);
    assert!(d.notes.is_empty());
    // the child overrides
    m.firewall_policies[1].dns_proxy = Known::Known(false);
    m.finish();
    assert_eq!(evaluate(&m, &fw, &flow).verdict, Verdict::Blocked);
    // unknown setting
    m.firewall_policies[1].dns_proxy = Known::unknown("var.dns");
    m.finish();
    assert!(dns_proxy_enabled(&m, &fw).is_unknown());
    assert_eq!(evaluate(&m, &fw, &flow).verdict, Verdict::Unknown);
    // no wildcards in network-rule FQDNs
    m.firewall_policies[1].dns_proxy = Known::Known(true);
    m.rule_collection_groups[0].collections[0].rules = vec![FirewallRule::Network(net_rule(
        "ntp",
        &[NetProtocol::Udp],
        &["*"],
        &[],
        &["*.ubuntu.com"],
        &["123"],
    ))];
    m.finish();
    assert_eq!(evaluate(&m, &fw, &flow).verdict, Verdict::Blocked);
}

#[test]
fn static_fqdn_network_rule_check() {
    let ntp = FirewallRule::Network(net_rule(
        "ntp",
        &[NetProtocol::Udp],
        &["*"],
        &[],
        &["ntp.ubuntu.com"],
        &["123"],
    ));
    let other = net("web", NetProtocol::Tcp, &["*"], &["443"]);
    let (mut m, fw) = policy_model(vec![net_coll("n", 100, FwAction::Allow, vec![ntp, other])]);
    let notes = fqdn_network_rules_without_dns_proxy(&m, &fw);
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0].message.contains("grp/n/ntp"),
        "{}",
        notes[0].message
    );
    m.firewall_policies[0].dns_proxy = Known::Known(true);
    m.finish();
    assert!(fqdn_network_rules_without_dns_proxy(&m, &fw).is_empty());
}

#[test]
fn classic_dns_proxy_setting() {
    let mut fw = firewall(None);
    fw.collections = vec![net_coll(
        "n",
        100,
        FwAction::Allow,
        vec![FirewallRule::Network(net_rule(
            "ntp",
            &[NetProtocol::Udp],
            &["*"],
            &[],
            &["ntp.ubuntu.com"],
            &["123"],
        ))],
    )];
    let m = Model::new();
    let flow = udp(Destination::Host("ntp.ubuntu.com".into()), 123);
    assert_eq!(evaluate(&m, &fw, &flow).verdict, Verdict::Blocked);
    fw.dns_proxy = Known::Known(true);
    assert_eq!(dns_proxy_enabled(&m, &fw), Known::Known(true));
    assert_eq!(evaluate(&m, &fw, &flow).verdict, Verdict::Reachable);
}

// ---------------------------------------------------------- sources

#[test]
fn sources_must_cover_the_node_subnet() {
    let rule =
        |src: &[&str]| FirewallRule::Application(app_rule("mcr", src, &["mcr.microsoft.com"], &[]));
    // another subnet entirely
    let (m, fw) = policy_model(vec![app_coll(
        "c",
        100,
        FwAction::Allow,
        vec![rule(&["10.0.0.0/24"])],
    )]);
    let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
    assert_eq!(d.verdict, Verdict::Blocked);
    // the rule written for the endpoint, whose sources miss every node, is the cause
    assert_eq!(d.notes.len(), 1, "{:?}", d.notes);
    assert_eq!(d.notes[0].kind, FirewallNoteKind::SourcesMissNodes);
    assert!(
        d.notes[0].message.contains("c/mcr"),
        "{}",
        d.notes[0].message
    );
    assert!(
        d.notes[0].message.contains("10.0.0.0/24"),
        "{}",
        d.notes[0].message
    );
    // no such note for an endpoint no rule is written for
    assert!(evaluate(&m, &fw, &https("example.org")).notes.is_empty());
    // a wider source covers it
    let (m, fw) = policy_model(vec![app_coll(
        "c",
        100,
        FwAction::Allow,
        vec![rule(&["10.0.0.0/8"])],
    )]);
    assert_eq!(
        evaluate(&m, &fw, &https("mcr.microsoft.com")).verdict,
        Verdict::Reachable
    );
    // partial coverage
    let (m, fw) = policy_model(vec![app_coll(
        "c",
        100,
        FwAction::Allow,
        vec![rule(&["10.240.0.0/17"])],
    )]);
    let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
    assert_eq!(d.verdict, Verdict::Blocked, "{}", d.reason);
    assert!(d.reason.contains("10.240.128.0/17"), "{}", d.reason);
    assert!(d.reason.contains("default deny"), "{}", d.reason);
    assert_eq!(d.rule.as_deref(), Some("grp/c/mcr"));
    let note = d
        .notes
        .iter()
        .find(|n| n.kind == FirewallNoteKind::PartialSourceCoverage)
        .expect("partial note");
    assert!(note.message.contains("10.240.0.0/17"), "{}", note.message);
    // two rules that together cover it
    let (m, fw) = policy_model(vec![app_coll(
        "c",
        100,
        FwAction::Allow,
        vec![
            rule(&["10.240.0.0/17"]),
            rule(&["10.240.128.0-10.240.255.255"]),
        ],
    )]);
    let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
    assert_eq!(d.verdict, Verdict::Reachable, "{}", d.reason);
    assert!(d.notes.is_empty());
    // unknown subnet prefixes
    let (m, fw) = policy_model(vec![app_coll(
        "c",
        100,
        FwAction::Allow,
        vec![rule(&["10.240.0.0/16"])],
    )]);
    let mut f = https("mcr.microsoft.com");
    f.source_prefixes.clear();
    assert_eq!(evaluate(&m, &fw, &f).verdict, Verdict::Unknown);
}

#[test]
fn ip_groups() {
    let mut r = app_rule("mcr", &[], &["mcr.microsoft.com"], &[]);
    r.source_ip_groups = vec![Ref::key("azurerm_ip_group.nodes")];
    let (mut m, fw) = policy_model(vec![app_coll(
        "c",
        100,
        FwAction::Allow,
        vec![FirewallRule::Application(r)],
    )]);
    // missing group
    let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
    assert_eq!(d.verdict, Verdict::Unknown);
    assert!(d.reason.contains("azurerm_ip_group.nodes"), "{}", d.reason);
    // known group
    m.ip_groups.push(IpGroup {
        meta: meta("azurerm_ip_group.nodes"),
        cidrs: Known::Known(addrs(&["10.240.0.0/16", "10.241.0.0/16"])),
    });
    m.finish();
    assert_eq!(
        evaluate(&m, &fw, &https("mcr.microsoft.com")).verdict,
        Verdict::Reachable
    );
    // known group covering half
    m.ip_groups[0].cidrs = Known::Known(addrs(&["10.240.0.0/17"]));
    m.finish();
    assert_eq!(
        evaluate(&m, &fw, &https("mcr.microsoft.com")).verdict,
        Verdict::Blocked
    );
    // unknown contents
    m.ip_groups[0].cidrs = Known::unknown("known after apply");
    m.finish();
    assert_eq!(
        evaluate(&m, &fw, &https("mcr.microsoft.com")).verdict,
        Verdict::Unknown
    );
    // destination IP group
    let mut n = net_rule("dns", &[NetProtocol::Udp], &["*"], &[], &[], &["53"]);
    n.destination_ip_groups = vec![Ref::key("azurerm_ip_group.dns")];
    let (mut m, fw) = policy_model(vec![net_coll(
        "n",
        100,
        FwAction::Allow,
        vec![FirewallRule::Network(n)],
    )]);
    m.ip_groups.push(IpGroup {
        meta: meta("azurerm_ip_group.dns"),
        cidrs: Known::Known(addrs(&["10.0.0.4"])),
    });
    m.finish();
    assert_eq!(
        evaluate(
            &m,
            &fw,
            &udp(Destination::Ip("10.0.0.4".parse().unwrap()), 53)
        )
        .verdict,
        Verdict::Reachable
    );
}

// ---------------------------------------------------------- classic, notes, names

#[test]
fn classic_collections_without_policy() {
    let mut fw = firewall(None);
    fw.collections = vec![
        app_coll(
            "aks",
            200,
            FwAction::Allow,
            vec![FirewallRule::Application(app_rule(
                "aks",
                &["10.240.0.0/16"],
                &[],
                &["AzureKubernetesService"],
            ))],
        ),
        app_coll(
            "deny-login",
            100,
            FwAction::Deny,
            vec![app("login", &["login.microsoftonline.com"])],
        ),
    ];
    let m = Model::new();
    let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
    assert_eq!(d.verdict, Verdict::Reachable, "{}", d.reason);
    assert_eq!(d.rule.as_deref(), Some("aks/aks"));
    assert!(d.hops[0].description.contains("classic rules"));
    assert!(!d.hops[1].description.contains("rule collection group"));
    let d = evaluate(&m, &fw, &https("login.microsoftonline.com"));
    assert_eq!(d.verdict, Verdict::Blocked);
    assert_eq!(d.rule.as_deref(), Some("deny-login/login"));
}

#[test]
fn threat_intel_and_dnat_are_notes() {
    let (mut m, mut fw) = policy_model(vec![
        app_coll(
            "c",
            100,
            FwAction::Allow,
            vec![app("mcr", &["mcr.microsoft.com"])],
        ),
        coll(
            "dnat",
            RuleCollectionKind::Nat,
            Known::Known(100),
            FwAction::Dnat,
            vec![],
        ),
    ]);
    m.firewall_policies[0].threat_intel_mode = Known::Known("Deny".into());
    m.finish();
    let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
    assert_eq!(d.verdict, Verdict::Reachable);
    assert!(
        d.reason.contains("threat intelligence mode is Deny"),
        "{}",
        d.reason
    );
    assert!(
        d.notes
            .iter()
            .any(|n| n.kind == FirewallNoteKind::ThreatIntelDeny)
    );
    assert!(
        d.notes
            .iter()
            .any(|n| n.kind == FirewallNoteKind::DnatNotApplied)
    );
    // classic firewall setting
    fw.policy = Known::Absent;
    fw.threat_intel_mode = Known::Known("Alert".into());
    let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
    assert!(
        !d.notes
            .iter()
            .any(|n| n.kind == FirewallNoteKind::ThreatIntelDeny)
    );
}

#[test]
fn typos_are_reported_with_suggestions() {
    let mut bad = app_rule(
        "aks",
        &["*"],
        &[],
        &[
            "AzureKubernetesServices",
            "AzureHDInsight",
            "Office365.Exchange.Allow.NotRequired",
        ],
    );
    bad.protocols = vec![AppProtocolPort {
        protocol: Err("Htps".into()),
        port: 443,
    }];
    let n1 = net_rule(
        "n",
        &[NetProtocol::Other("TPC".into())],
        &["*"],
        &["AzureMonitr", "AzureCloud.westeurope", "SomethingNew"],
        &[],
        &["443"],
    );
    let (m, fw) = policy_model(vec![
        app_coll(
            "app",
            100,
            FwAction::Allow,
            vec![FirewallRule::Application(bad)],
        ),
        net_coll("net", 100, FwAction::Allow, vec![FirewallRule::Network(n1)]),
    ]);
    let names = unknown_names(&m, &fw);
    let find = |v: &str| names.iter().find(|u| u.value == v);
    let t = find("AzureKubernetesServices").expect("tag typo");
    assert_eq!(t.kind, "fqdn_tag");
    assert_eq!(t.closest.as_deref(), Some("AzureKubernetesService"));
    assert_eq!(t.rule, "grp/app/aks");
    assert_eq!(t.origin.address.as_deref(), Some("rule aks"));
    assert_eq!(
        find("AzureHDInsight").and_then(|u| u.closest.as_deref()),
        Some("HDInsight")
    );
    assert!(
        find("Office365.Exchange.Allow.NotRequired").is_none(),
        "family member"
    );
    let p = find("Htps").expect("protocol typo");
    assert_eq!((p.kind, p.closest.as_deref()), ("protocol", Some("Https")));
    assert_eq!(find("TPC").and_then(|u| u.closest.as_deref()), Some("TCP"));
    let s = find("AzureMonitr").expect("service tag typo");
    assert_eq!(
        (s.kind, s.closest.as_deref()),
        ("service_tag", Some("AzureMonitor"))
    );
    assert!(find("AzureCloud.westeurope").is_none());
    assert!(
        find("SomethingNew").is_none(),
        "not exhaustive: only typos are reported"
    );
    assert_eq!(names.len(), 5, "{names:?}");
    // and the misspelled tag allows nothing
    let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
    assert_eq!(d.verdict, Verdict::Blocked);
}

#[test]
fn closest_name_limits() {
    assert_eq!(
        closest_name("Htps", KNOWN_APP_PROTOCOLS).as_deref(),
        Some("Https")
    );
    assert_eq!(
        closest_name("https", KNOWN_APP_PROTOCOLS).as_deref(),
        Some("Https")
    );
    assert_eq!(closest_name("Gopher", KNOWN_APP_PROTOCOLS), None);
    assert_eq!(closest_name("", KNOWN_APP_PROTOCOLS), None);
    assert_eq!(edit_distance("tcp", "tpc"), 1);
    assert_eq!(edit_distance("kitten", "sitting"), 3);
}

#[test]
fn range_cidrs() {
    let r = Range::parse_span("10.240.128.0-10.240.255.255").unwrap();
    assert_eq!(show_ranges(&[r]), "10.240.128.0/17");
    let r = Range::parse_span("10.0.0.1-10.0.0.6").unwrap();
    assert_eq!(
        show_ranges(&[r]),
        "10.0.0.1/32, 10.0.0.2/31, 10.0.0.4/31, 10.0.0.6/32"
    );
    let all: IpNet = "0.0.0.0/0".parse().unwrap();
    assert_eq!(Range::of_net(&all).cidrs(), vec![all]);
    let all6: IpNet = "::/0".parse().unwrap();
    assert_eq!(Range::of_net(&all6).cidrs(), vec![all6]);
    assert!(Range::parse_span("10.0.0.9-10.0.0.1").is_none());
    assert!(Range::parse_span("10.0.0.1-::1").is_none());
}

/// A firewall of a finished model keeps its prepared rule set and per-destination matches
/// across flows; the decisions are the ones an unprepared evaluation makes, whatever the
/// order of the flows (destinations, ports, protocols and sources that differ must not share
/// a cached answer).
#[test]
fn prepared_rule_sets_decide_like_fresh_ones() {
    let mut partial = app_rule("contoso", &["10.240.0.0/17"], &["*.contoso.com"], &[]);
    partial.protocols.truncate(1); // Http 80 only
    let mut grouped = app_rule("mcr", &[], &["mcr.microsoft.com"], &[]);
    grouped.source_ip_groups = vec![Ref::key("azurerm_ip_group.nodes")];
    let mut fqdn = net_rule(
        "sql",
        &[NetProtocol::Tcp],
        &["*"],
        &[],
        &["x.contoso.com"],
        &["443"],
    );
    fqdn.destination_ip_groups = vec![Ref::key("azurerm_ip_group.dst")];
    let colls = vec![
        net_coll(
            "net",
            100,
            FwAction::Allow,
            vec![
                FirewallRule::Network(fqdn),
                net("tunnel", NetProtocol::Udp, &["AzureCloud"], &["1194"]),
                net("db", NetProtocol::Tcp, &["10.1.0.0/16"], &["1433"]),
            ],
        ),
        app_coll(
            "deny-wu",
            150,
            FwAction::Deny,
            vec![FirewallRule::Application(app_rule(
                "wu",
                &["10.241.0.0/24"],
                &[],
                &["WindowsUpdate"],
            ))],
        ),
        app_coll(
            "allow",
            200,
            FwAction::Allow,
            vec![
                FirewallRule::Application(partial),
                FirewallRule::Application(grouped),
            ],
        ),
    ];
    let (mut m, fw) = policy_model(colls);
    m.ip_groups.push(IpGroup {
        meta: meta("azurerm_ip_group.nodes"),
        cidrs: Known::Known(addrs(&["10.240.0.0/16"])),
    });
    m.ip_groups.push(IpGroup {
        meta: meta("azurerm_ip_group.dst"),
        cidrs: Known::Known(addrs(&["10.9.0.0/16"])),
    });
    m.finish();
    let with_source = |mut f: Flow, src: &[&str]| {
        f.source_prefixes = src.iter().map(|s| s.parse().unwrap()).collect();
        f
    };
    let mut http = https("a.contoso.com");
    http.port = 80;
    http.app_protocol = Some(AppProto::Http);
    let mut flows = vec![];
    for src in [&[NODES][..], &["10.241.0.0/24"], &[]] {
        for f in [
            https("mcr.microsoft.com"),
            https("x.contoso.com"),
            https("a.contoso.com"),
            http.clone(),
            https("*.data.mcr.microsoft.com"),
            tcp(Destination::Ip("10.1.2.3".parse().unwrap()), 1433, &[]),
            tcp(Destination::Ip("10.1.2.3".parse().unwrap()), 1434, &[]),
            tcp(Destination::Ip("10.9.0.9".parse().unwrap()), 443, &[]),
            udp(Destination::Tag("AzureCloud.westeurope".into()), 1194),
            tcp(Destination::Tag("AzureCloud.westeurope".into()), 1194, &[]),
        ] {
            flows.push(with_source(f, src));
        }
    }
    let fresh: Vec<String> = flows
        .iter()
        .map(|f| format!("{:?}", evaluate(&m, &fw, f)))
        .collect();
    // the model's own firewall: prepared once, reused (twice over, in two orders)
    let prepared = &m.firewalls[0];
    for order in [false, true] {
        for i in 0..flows.len() {
            let i = if order { flows.len() - 1 - i } else { i };
            assert_eq!(
                format!("{:?}", evaluate(&m, prepared, &flows[i])),
                fresh[i],
                "flow {}",
                flows[i].describe()
            );
        }
    }
    // the decisions are not all alike (the cache could not hide behind one answer)
    assert!(fresh.iter().any(|d| d.contains("Reachable")), "{fresh:?}");
    assert!(fresh.iter().any(|d| d.contains("Blocked")), "{fresh:?}");
    assert!(fresh.iter().any(|d| d.contains("Unknown")), "{fresh:?}");
    assert!(fresh.iter().any(|d| d.contains("DNS proxy")), "{fresh:?}");
    assert!(
        fresh.iter().any(|d| d.contains("PartialSourceCoverage")),
        "{fresh:?}"
    );
}

/// The FQDN-tag rule form has no protocols: the tag implies HTTP 80 and HTTPS 443 (classic and
/// policy rules alike). A target-FQDN rule without protocols still matches nothing.
#[test]
fn fqdn_tag_rule_without_protocols_implies_http_and_https() {
    let mut tag_rule = app_rule("aks-tag", &["*"], &[], &["AzureKubernetesService"]);
    tag_rule.protocols.clear();
    let mut fqdn_rule = app_rule("mcr", &["*"], &["mcr.microsoft.com"], &[]);
    fqdn_rule.protocols.clear();
    for (rule, want) in [
        (tag_rule, Verdict::Reachable),
        (fqdn_rule, Verdict::Blocked),
    ] {
        let (m, fw) = policy_model(vec![app_coll(
            "c",
            200,
            FwAction::Allow,
            vec![FirewallRule::Application(rule)],
        )]);
        assert_eq!(evaluate(&m, &fw, &https("mcr.microsoft.com")).verdict, want);
        let mut http = https("mcr.microsoft.com");
        http.port = 80;
        http.app_protocol = Some(AppProto::Http);
        assert_eq!(evaluate(&m, &fw, &http).verdict, want);
        // other ports are not implied
        let mut odd = https("mcr.microsoft.com");
        odd.port = 8443;
        assert_eq!(evaluate(&m, &fw, &odd).verdict, Verdict::Blocked);
    }
}

/// A pre-existing policy or classic firewall may have rule collections that are not in the
/// inputs: what the inputs decide is unknown then.
#[test]
fn rules_not_in_the_inputs_make_the_decision_unknown() {
    let (mut m, fw) = policy_model(vec![app_coll(
        "aks",
        200,
        FwAction::Allow,
        vec![app("mcr", &["mcr.microsoft.com"])],
    )]);
    assert_eq!(
        evaluate(&m, &fw, &https("mcr.microsoft.com")).verdict,
        Verdict::Reachable
    );
    m.firewall_policies[0].meta.lists_all_children = false;
    m.finish();
    for host in ["mcr.microsoft.com", "example.org"] {
        let d = evaluate(&m, &fw, &https(host));
        assert_eq!(d.verdict, Verdict::Unknown, "{}", d.reason);
        assert!(d.reason.contains("rule collection groups"), "{}", d.reason);
    }
    // classic rules of an existing firewall
    let mut m = Model::new();
    let mut fw = firewall(None);
    fw.collections = vec![app_coll(
        "aks",
        200,
        FwAction::Allow,
        vec![app("mcr", &["mcr.microsoft.com"])],
    )];
    fw.meta.lists_all_children = false;
    m.firewalls.push(fw.clone());
    m.finish();
    let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
    assert_eq!(d.verdict, Verdict::Unknown, "{}", d.reason);
    assert!(
        d.reason.contains("classic rule collections"),
        "{}",
        d.reason
    );
}

#[test]
fn a_listed_group_outside_the_model_makes_decisions_unknown() {
    let mut m = Model::new();
    let mut p = policy("p.listed", None, Known::Absent);
    p.rule_collection_groups = Known::Known(vec![Ref::id(
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/firewallPolicies/p/ruleCollectionGroups/elsewhere",
    )]);
    m.firewall_policies.push(p);
    m.finish();
    let d = evaluate(&m, &firewall(Some("p.listed")), &https("mcr.microsoft.com"));
    assert_eq!(d.verdict, Verdict::Unknown, "{}", d.reason);
    assert!(d.reason.contains("elsewhere"), "{}", d.reason);
    // the listed group present: decided (default deny here)
    let mut m2 = m.clone();
    let mut g = group("g.elsewhere", "p.listed", Known::Known(100), vec![]);
    g.meta.id = Some(crate::model::ResourceId::new(
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/firewallPolicies/p/ruleCollectionGroups/elsewhere",
    ));
    m2.rule_collection_groups.push(g);
    m2.finish();
    let d = evaluate(
        &m2,
        &firewall(Some("p.listed")),
        &https("mcr.microsoft.com"),
    );
    assert_eq!(d.verdict, Verdict::Blocked, "{}", d.reason);
}
