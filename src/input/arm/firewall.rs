//! Azure Firewall (classic rule collections inline), Firewall Policy, rule collection groups and
//! IP groups.

use super::map::{Mapper, Res};
use super::network::ip;
use super::node::Node;
use crate::model::{
    AddressMatch, AppProtocol, AppProtocolPort, ApplicationRule, Firewall, FirewallPolicy,
    FirewallRule, FwAction, IpGroup, Known, NatRule, NetProtocol, NetworkRule, PortRange,
    RuleCollection, RuleCollectionGroup, RuleCollectionKind,
};

fn addresses(n: &Node<'_>) -> Vec<AddressMatch> {
    match n.strings() {
        Known::Known(l) => l.iter().map(|s| AddressMatch::parse(s)).collect(),
        Known::Absent => vec![],
        Known::Unknown(r) => vec![AddressMatch::Unknown(r)],
    }
}

/// Ports such as `"443"`, `"8000-8999"`, `"*"`; unreadable items are dropped.
fn ports(n: &Node<'_>) -> Vec<PortRange> {
    n.strings_or_empty()
        .iter()
        .filter_map(|s| PortRange::parse(s))
        .collect()
}

fn net_protocols(n: &Node<'_>) -> Vec<NetProtocol> {
    n.strings_or_empty()
        .iter()
        .map(|s| match s.to_ascii_lowercase().as_str() {
            "any" | "*" => NetProtocol::Any,
            "tcp" => NetProtocol::Tcp,
            "udp" => NetProtocol::Udp,
            "icmp" => NetProtocol::Icmp,
            _ => NetProtocol::Other(s.clone()),
        })
        .collect()
}

/// `protocols: [{protocolType, port}]` of application rules (classic and policy alike).
fn app_protocols(r: &Node<'_>) -> Vec<AppProtocolPort> {
    r.get("protocols")
        .items()
        .iter()
        .filter_map(|p| {
            let t = p.get("protocolType").str().into_known()?;
            let protocol = match t.to_ascii_lowercase().as_str() {
                "http" => Ok(AppProtocol::Http),
                "https" => Ok(AppProtocol::Https),
                "mssql" => Ok(AppProtocol::Mssql),
                _ => Err(t.clone()),
            };
            let default = match protocol {
                Ok(AppProtocol::Http) => 80,
                Ok(AppProtocol::Mssql) => 1433,
                _ => 443,
            };
            let port = match p.get("port").u64() {
                Known::Known(x) => u16::try_from(x).ok()?,
                _ => default,
            };
            Some(AppProtocolPort { protocol, port })
        })
        .collect()
}

fn ip_groups(n: &Node<'_>) -> Vec<crate::model::Ref> {
    n.strings_or_empty()
        .iter()
        .filter(|s| crate::model::ResourceId::looks_like_id(s))
        .map(crate::model::Ref::id)
        .collect()
}

fn app_rule(r: &Node<'_>) -> FirewallRule {
    FirewallRule::Application(ApplicationRule {
        name: r.get("name").str(),
        origin: r.origin(),
        protocols: app_protocols(r),
        source_addresses: addresses(&r.get("sourceAddresses")),
        source_ip_groups: ip_groups(&r.get("sourceIpGroups")),
        target_fqdns: r.get("targetFqdns").strings_or_empty(),
        fqdn_tags: r.get("fqdnTags").strings_or_empty(),
        fqdn_tag_origins: r.get("fqdnTags").items().iter().map(Node::origin).collect(),
        destination_addresses: addresses(&r.get("destinationAddresses")),
        web_categories: r.get("webCategories").strings_or_empty(),
        target_urls: r.get("targetUrls").strings_or_empty(),
        terminate_tls: r.get("terminateTLS").bool().known() == Some(&true),
    })
}

fn network_rule(r: &Node<'_>) -> FirewallRule {
    // policy rules say `ipProtocols`, classic rules `protocols`
    let protocols = match r.get("ipProtocols") {
        p if p.exists() => net_protocols(&p),
        _ => net_protocols(&r.get("protocols")),
    };
    FirewallRule::Network(NetworkRule {
        name: r.get("name").str(),
        origin: r.origin(),
        protocols,
        source_addresses: addresses(&r.get("sourceAddresses")),
        source_ip_groups: ip_groups(&r.get("sourceIpGroups")),
        destination_addresses: addresses(&r.get("destinationAddresses")),
        destination_ip_groups: ip_groups(&r.get("destinationIpGroups")),
        destination_fqdns: r.get("destinationFqdns").strings_or_empty(),
        destination_ports: ports(&r.get("destinationPorts")),
    })
}

fn nat_rule(r: &Node<'_>) -> FirewallRule {
    let protocols = match r.get("ipProtocols") {
        p if p.exists() => net_protocols(&p),
        _ => net_protocols(&r.get("protocols")),
    };
    let translated_address = match r.get("translatedAddress").str() {
        Known::Known(a) => Some(a),
        _ => r.get("translatedFqdn").str().into_known(),
    };
    FirewallRule::Nat(NatRule {
        name: r.get("name").str(),
        origin: r.origin(),
        protocols,
        source_addresses: addresses(&r.get("sourceAddresses")),
        destination_addresses: r.get("destinationAddresses").strings_or_empty(),
        destination_ports: ports(&r.get("destinationPorts")),
        translated_address,
        translated_port: r
            .get("translatedPort")
            .u64()
            .into_known()
            .and_then(|p| u16::try_from(p).ok()),
    })
}

fn action(n: &Node<'_>) -> Known<FwAction> {
    // `{"type": "Allow"}`, or the bare word
    let t = match n.raw() {
        Some(serde_json::Value::Object(_)) => n.get("type").str(),
        _ => n.str(),
    };
    match t {
        Known::Known(s) => match s.to_ascii_lowercase().as_str() {
            "allow" => Known::Known(FwAction::Allow),
            "deny" => Known::Known(FwAction::Deny),
            "dnat" => Known::Known(FwAction::Dnat),
            _ => Known::Unknown(format!("{}: unrecognised action `{s}`", n.label())),
        },
        other => other.map(|_| FwAction::Deny),
    }
}

/// A classic collection of the firewall itself (`applicationRuleCollections[i]` …): name, and
/// under `properties` priority, action and rules.
fn classic_collection(c: &Node<'_>, kind: RuleCollectionKind) -> RuleCollection {
    let rules = c
        .prop("rules")
        .items()
        .iter()
        .map(|r| match kind {
            RuleCollectionKind::Application => app_rule(r),
            RuleCollectionKind::Network => network_rule(r),
            RuleCollectionKind::Nat => nat_rule(r),
        })
        .collect();
    RuleCollection {
        name: c.get("name").str(),
        origin: c.origin(),
        kind,
        priority: c.prop("priority").u32(),
        action: match (kind, action(&c.prop("action"))) {
            (RuleCollectionKind::Nat, Known::Absent) => Known::Known(FwAction::Dnat),
            (_, a) => a,
        },
        rules,
    }
}

pub(crate) fn firewall(m: &mut Mapper, r: &Res<'_>) {
    let n = &r.node;
    let mut meta = r.meta.clone();
    let origin = meta.origin.clone();
    let ipcs = n.prop("ipConfigurations").items();
    let mut subnet = Known::Absent;
    let mut public_ips = vec![];
    for c in &ipcs {
        let sv = c.prop("subnet");
        if sv.exists() && subnet.is_absent() {
            meta.set_field_origin("subnet", sv.origin());
            subnet = sv.id_ref();
        }
        if let Known::Known(p) = c.prop("publicIPAddress").id_ref() {
            if !public_ips.contains(&p) {
                public_ips.push(p);
            }
        }
    }
    // the first IP configuration's private address; a virtual hub firewall's hub address
    let pv = match ipcs.first() {
        Some(c) => c.prop("privateIPAddress"),
        None => n.prop("hubIPAddresses").get("privateIPAddress"),
    };
    meta.set_field_origin("private_ip", pv.origin_or(&origin));
    let private_ip = match ip(&pv) {
        Known::Absent if ipcs.is_empty() && !n.prop("hubIPAddresses").exists() => Known::Absent,
        Known::Absent => Known::Unknown(format!(
            "firewall {}: the private IP is allocated when it is deployed",
            meta.address()
        )),
        other => other,
    };
    let pol = n.prop("firewallPolicy");
    meta.set_field_origin("policy", pol.origin_or(&origin));
    // classic DNS settings: `additionalProperties` (REST), or hoisted to the top level by
    // scripts that post-process `az network firewall show`
    let ap = n.prop("additionalProperties");
    let setting = |k: &str| {
        let v = ap.get(k);
        if v.exists() { v } else { n.get(k) }
    };
    let dp = setting("Network.DNS.EnableProxy");
    meta.set_field_origin("dns_proxy", dp.origin_or(&origin));
    let dns_servers: Vec<String> = setting("Network.DNS.Servers")
        .strings_or_empty()
        .iter()
        .flat_map(|s| s.split(','))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let mut collections = vec![];
    for (prop, kind) in [
        ("natRuleCollections", RuleCollectionKind::Nat),
        ("networkRuleCollections", RuleCollectionKind::Network),
        (
            "applicationRuleCollections",
            RuleCollectionKind::Application,
        ),
    ] {
        for c in n.prop(prop).items() {
            collections.push(classic_collection(&c, kind));
        }
    }
    m.model.firewalls.push(Firewall {
        meta,
        subnet,
        private_ip,
        public_ips,
        policy: pol.id_ref(),
        dns_proxy: dp.bool(),
        dns_servers,
        threat_intel_mode: n.prop("threatIntelMode").str(),
        sku_tier: n.prop("sku").get("tier").str(),
        collections,
    });
}

pub(crate) fn policy(m: &mut Mapper, r: &Res<'_>) {
    let n = &r.node;
    let mut meta = r.meta.clone();
    let origin = meta.origin.clone();
    let dns = n.prop("dnsSettings");
    let ep = dns.get("enableProxy");
    meta.set_field_origin("dns_proxy", ep.origin_or(&dns.origin_or(&origin)));
    let bp = n.prop("basePolicy");
    meta.set_field_origin("base_policy", bp.origin_or(&origin));
    let groups = n.prop("ruleCollectionGroups");
    meta.set_field_origin("rule_collection_groups", groups.origin_or(&origin));
    m.model.firewall_policies.push(FirewallPolicy {
        meta,
        base_policy: bp.id_ref(),
        dns_proxy: ep.bool(),
        dns_servers: dns.get("servers").strings_or_empty(),
        threat_intel_mode: n.prop("threatIntelMode").str(),
        sku_tier: n.prop("sku").get("tier").str(),
        rule_collection_groups: groups.id_refs(),
    });
}

/// A policy rule collection: `FirewallPolicyFilterRuleCollection` (application or network
/// rules, by each rule's `ruleType`) or `FirewallPolicyNatRuleCollection`. A filter collection
/// holding both rule types becomes two collections of the same name and priority.
fn policy_collections(c: &Node<'_>, out: &mut Vec<RuleCollection>) {
    let ctype = c
        .get("ruleCollectionType")
        .str()
        .into_known()
        .unwrap_or_default();
    let is_nat = ctype.to_ascii_lowercase().contains("nat");
    let mut by_kind: Vec<(RuleCollectionKind, Vec<FirewallRule>)> = vec![];
    for r in c.get("rules").items() {
        let rt = r.get("ruleType").str().into_known().unwrap_or_default();
        let (kind, rule) = match rt.to_ascii_lowercase().as_str() {
            "applicationrule" => (RuleCollectionKind::Application, app_rule(&r)),
            "natrule" => (RuleCollectionKind::Nat, nat_rule(&r)),
            "networkrule" => (RuleCollectionKind::Network, network_rule(&r)),
            _ if is_nat => (RuleCollectionKind::Nat, nat_rule(&r)),
            _ => (RuleCollectionKind::Network, network_rule(&r)),
        };
        match by_kind.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, l)) => l.push(rule),
            None => by_kind.push((kind, vec![rule])),
        }
    }
    if by_kind.is_empty() {
        let kind = if is_nat {
            RuleCollectionKind::Nat
        } else {
            RuleCollectionKind::Network
        };
        by_kind.push((kind, vec![]));
    }
    for (kind, rules) in by_kind {
        out.push(RuleCollection {
            name: c.get("name").str(),
            origin: c.origin(),
            kind,
            priority: c.get("priority").u32(),
            action: match (kind, action(&c.get("action"))) {
                (RuleCollectionKind::Nat, Known::Absent) => Known::Known(FwAction::Dnat),
                (_, a) => a,
            },
            rules,
        });
    }
}

pub(crate) fn rule_collection_group(m: &mut Mapper, r: &Res<'_>) {
    let n = &r.node;
    let mut meta = r.meta.clone();
    meta.set_field_origin("policy", meta.origin.clone());
    let policy = match r.parent_id() {
        Some(p) => Known::Known(crate::model::Ref::Id(p)),
        None => Known::Unknown(format!(
            "the id of rule collection group {} is not known, so neither is its policy",
            meta.address()
        )),
    };
    let mut collections = vec![];
    for c in n.prop("ruleCollections").items() {
        policy_collections(&c, &mut collections);
    }
    m.model.rule_collection_groups.push(RuleCollectionGroup {
        meta,
        policy,
        priority: n.prop("priority").u32(),
        collections,
    });
}

pub(crate) fn ip_group(m: &mut Mapper, r: &Res<'_>) {
    let cidrs = r
        .node
        .prop("ipAddresses")
        .strings()
        .map(|l| l.iter().map(|s| AddressMatch::parse(s)).collect());
    m.model.ip_groups.push(IpGroup {
        meta: r.meta.clone(),
        cidrs,
    });
}
