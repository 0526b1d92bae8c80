//! `azurerm_firewall`, `azurerm_firewall_policy`, `azurerm_firewall_policy_rule_collection_group`,
//! the classic `azurerm_firewall_{application,network,nat}_rule_collection`, `azurerm_ip_group`.

use super::super::Ctx;
use super::super::attach::Attached;
use super::super::value::V;
use super::{
    FIREWALL_POLICY, IP_GROUP, PUBLIC_IP, SUBNET, fw_addresses, fw_ports, strings_or_empty,
};
use crate::model::{
    AddressMatch, AppProtocol, AppProtocolPort, ApplicationRule, Firewall, FirewallPolicy,
    FirewallRule, FwAction, IpGroup, Known, NatRule, NetProtocol, NetworkRule, Ref, RuleCollection,
    RuleCollectionGroup, RuleCollectionKind,
};
use std::net::IpAddr;

const FW_TYPES: &[&str] = &["azurerm_firewall"];
const RULE_COLLECTION_GROUP: &[&str] = &["azurerm_firewall_policy_rule_collection_group"];

pub(super) fn firewall(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let mut meta = ctx.meta(i, &v);
    let origin = meta.origin.clone();
    let ipcs = v.get("ip_configuration").items();

    // the AzureFirewallSubnet: the ip_configuration that has a subnet
    let mut subnet = Known::Absent;
    for c in &ipcs {
        let sv = c.get("subnet_id");
        if !sv.is_null() {
            // the firewall's subnet is always named AzureFirewallSubnet
            subnet = match ctx.inline_subnet_named(i, &sv, "AzureFirewallSubnet") {
                Some(r) => Known::Known(r),
                None => ctx.ref_field(i, &sv, SUBNET),
            };
            meta.set_field_origin("subnet", ctx.field_origin(&sv, &origin));
            break;
        }
    }
    let mut public_ips = Vec::new();
    for c in &ipcs {
        if let Known::Known(r) = ctx.ref_field(i, &c.get("public_ip_address_id"), PUBLIC_IP) {
            if !public_ips.contains(&r) {
                public_ips.push(r);
            }
        }
    }

    let pv = match ipcs.first() {
        Some(c) => c.get("private_ip_address"),
        None => v.block("virtual_hub").get("private_ip_address"),
    };
    let private_ip = match pv.str() {
        Known::Known(s) => match s.parse::<IpAddr>() {
            Ok(ip) => Known::Known(ip),
            Err(_) => Known::Unknown(format!("{}: `{s}` is not an IP address", meta.key)),
        },
        Known::Absent if ipcs.is_empty() && v.get("virtual_hub").items().is_empty() => {
            Known::Absent
        }
        Known::Absent => Known::Unknown(format!(
            "{}: the private IP is known only after apply",
            meta.key
        )),
        Known::Unknown(r) => Known::Unknown(r),
    };
    meta.set_field_origin("private_ip", ctx.field_origin(&pv, &origin));

    let polv = v.get("firewall_policy_id");
    let policy = ctx.ref_field(i, &polv, FIREWALL_POLICY);
    meta.set_field_origin("policy", ctx.field_origin(&polv, &origin));

    let dns_servers = strings_or_empty(&v.get("dns_servers"));
    let dpv = v.get("dns_proxy_enabled");
    // azurerm 3.x has no dns_proxy_enabled: setting dns_servers turned the proxy on
    let dns_proxy = match dpv.bool() {
        Known::Absent if !dns_servers.is_empty() => Known::Known(true),
        other => other,
    };
    meta.set_field_origin("dns_proxy", ctx.field_origin(&dpv, &origin));

    ctx.model.firewalls.push(Firewall {
        meta,
        subnet,
        private_ip,
        public_ips,
        policy,
        dns_proxy,
        dns_servers,
        threat_intel_mode: v.get("threat_intel_mode").str(),
        sku_tier: v.get("sku_tier").str(),
        collections: vec![],
    });
}

pub(super) fn policy(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let mut meta = ctx.meta(i, &v);
    let origin = meta.origin.clone();
    let dns = v.block("dns");
    let pe = dns.get("proxy_enabled");
    meta.set_field_origin("dns_proxy", ctx.field_origin(&pe, &origin));
    let bp = v.get("base_policy_id");
    let base_policy = ctx.ref_field(i, &bp, FIREWALL_POLICY);
    meta.set_field_origin("base_policy", ctx.field_origin(&bp, &origin));
    // the data source lists the policy's groups (managed in another configuration); a resource's
    // groups are separate resources of this plan (its refreshed list may name groups the plan
    // deletes)
    let rule_collection_groups = if ctx.inst(i).data {
        let gv = v.get("rule_collection_groups");
        meta.set_field_origin("rule_collection_groups", ctx.field_origin(&gv, &origin));
        ctx.ref_list(i, &gv, RULE_COLLECTION_GROUP)
    } else {
        Known::Absent
    };
    // an existing policy says which rule collection groups it holds (computed, refreshed)
    if !meta.lists_all_children {
        if let Known::Known(ids) = v.get("rule_collection_groups").strings() {
            let ids = ids
                .iter()
                .filter(|s| crate::model::ResourceId::looks_like_id(s))
                .map(crate::model::ResourceId::new)
                .collect();
            ctx.pending.policy_groups.push((meta.key.clone(), ids));
        }
    }
    ctx.model.firewall_policies.push(FirewallPolicy {
        meta,
        base_policy,
        dns_proxy: pe.bool().or_default_value(false),
        dns_servers: strings_or_empty(&dns.get("servers")),
        threat_intel_mode: v.get("threat_intelligence_mode").str(),
        sku_tier: v.get("sku").str(),
        rule_collection_groups,
    });
}

fn action(v: &V<'_>) -> Known<FwAction> {
    match v.str() {
        Known::Known(s) => match s.to_ascii_lowercase().as_str() {
            "allow" => Known::Known(FwAction::Allow),
            "deny" => Known::Known(FwAction::Deny),
            "dnat" => Known::Known(FwAction::Dnat),
            _ => Known::Unknown(format!("{}: unrecognised action `{s}`", v.addr)),
        },
        Known::Unknown(r) => Known::Unknown(r),
        Known::Absent => Known::Absent,
    }
}

fn net_protocol(s: &str) -> NetProtocol {
    match s.to_ascii_lowercase().as_str() {
        "any" | "*" => NetProtocol::Any,
        "tcp" => NetProtocol::Tcp,
        "udp" => NetProtocol::Udp,
        "icmp" => NetProtocol::Icmp,
        _ => NetProtocol::Other(s.to_string()),
    }
}

fn net_protocols(v: &V<'_>) -> Vec<NetProtocol> {
    strings_or_empty(v)
        .iter()
        .map(|s| net_protocol(s))
        .collect()
}

/// Application rule protocols: policy rules use `protocols { type, port }`, classic rules
/// `protocol { type, port }`.
fn app_protocols(r: &V<'_>) -> Vec<AppProtocolPort> {
    let mut items = r.get("protocols").items();
    if items.is_empty() {
        items = r.get("protocol").items();
    }
    items
        .iter()
        .filter_map(|p| {
            let t = p.get("type").str().into_known()?;
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

fn ip_groups(ctx: &mut Ctx<'_, '_>, i: usize, v: &V<'_>) -> Vec<Ref> {
    ctx.ref_list(i, v, IP_GROUP)
        .into_known()
        .unwrap_or_default()
}

fn first_list<'b>(r: &V<'b>, names: &[&str]) -> V<'b> {
    for n in names {
        let c = r.get(n);
        if !c.is_null() {
            return c;
        }
    }
    r.get(names[0])
}

fn app_rule(ctx: &mut Ctx<'_, '_>, i: usize, r: &V<'_>) -> FirewallRule {
    let tags = first_list(r, &["destination_fqdn_tags", "fqdn_tags"]);
    FirewallRule::Application(ApplicationRule {
        name: r.get("name").str(),
        origin: r.origin(),
        protocols: app_protocols(r),
        source_addresses: fw_addresses(&r.get("source_addresses")),
        source_ip_groups: ip_groups(ctx, i, &r.get("source_ip_groups")),
        target_fqdns: strings_or_empty(&first_list(r, &["destination_fqdns", "target_fqdns"])),
        fqdn_tags: strings_or_empty(&tags),
        fqdn_tag_origins: tags.items().iter().map(V::origin).collect(),
        destination_addresses: fw_addresses(&r.get("destination_addresses")),
        web_categories: strings_or_empty(&r.get("web_categories")),
        target_urls: strings_or_empty(&r.get("destination_urls")),
        terminate_tls: r.get("terminate_tls").bool().known() == Some(&true),
    })
}

fn network_rule(ctx: &mut Ctx<'_, '_>, i: usize, r: &V<'_>) -> FirewallRule {
    FirewallRule::Network(NetworkRule {
        name: r.get("name").str(),
        origin: r.origin(),
        protocols: net_protocols(&r.get("protocols")),
        source_addresses: fw_addresses(&r.get("source_addresses")),
        source_ip_groups: ip_groups(ctx, i, &r.get("source_ip_groups")),
        destination_addresses: fw_addresses(&r.get("destination_addresses")),
        destination_ip_groups: ip_groups(ctx, i, &r.get("destination_ip_groups")),
        destination_fqdns: strings_or_empty(&r.get("destination_fqdns")),
        destination_ports: fw_ports(&r.get("destination_ports")),
    })
}

fn nat_rule(r: &V<'_>) -> FirewallRule {
    let mut destination_addresses = strings_or_empty(&r.get("destination_addresses"));
    if let Known::Known(a) = r.get("destination_address").str() {
        destination_addresses.push(a);
    }
    let translated_address = match r.get("translated_address").str() {
        Known::Known(a) => Some(a),
        _ => r.get("translated_fqdn").str().into_known(),
    };
    FirewallRule::Nat(NatRule {
        name: r.get("name").str(),
        origin: r.origin(),
        protocols: net_protocols(&r.get("protocols")),
        source_addresses: fw_addresses(&r.get("source_addresses")),
        destination_addresses,
        destination_ports: fw_ports(&r.get("destination_ports")),
        translated_address,
        translated_port: r
            .get("translated_port")
            .u64()
            .into_known()
            .and_then(|p| u16::try_from(p).ok()),
    })
}

fn collection(
    ctx: &mut Ctx<'_, '_>,
    i: usize,
    c: &V<'_>,
    kind: RuleCollectionKind,
) -> RuleCollection {
    let rules = c
        .get("rule")
        .items()
        .into_iter()
        .map(|r| match kind {
            RuleCollectionKind::Application => app_rule(ctx, i, &r),
            RuleCollectionKind::Network => network_rule(ctx, i, &r),
            RuleCollectionKind::Nat => nat_rule(&r),
        })
        .collect();
    let rv = c.get("rule");
    if rv.is_unknown() {
        ctx.note(
            "INP001",
            format!(
                "{}: the rules of collection {} are known only after apply",
                c.addr,
                c.get("name")
                    .str()
                    .known()
                    .cloned()
                    .unwrap_or_else(|| c.path.clone())
            ),
            c.origin(),
        );
    }
    RuleCollection {
        name: c.get("name").str(),
        origin: c.origin(),
        kind,
        priority: c.get("priority").u32(),
        action: match (kind, action(&c.get("action"))) {
            // classic NAT collections say Dnat or Snat; only DNAT exists for Azure Firewall
            (RuleCollectionKind::Nat, Known::Absent) => Known::Known(FwAction::Dnat),
            (_, a) => a,
        },
        rules,
    }
}

pub(super) fn rule_collection_group(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let mut meta = ctx.meta(i, &v);
    let origin = meta.origin.clone();
    let pv = v.get("firewall_policy_id");
    let policy = ctx.ref_field(i, &pv, FIREWALL_POLICY);
    meta.set_field_origin("policy", ctx.field_origin(&pv, &origin));
    let mut collections = Vec::new();
    for (attr, kind) in [
        (
            "application_rule_collection",
            RuleCollectionKind::Application,
        ),
        ("network_rule_collection", RuleCollectionKind::Network),
        ("nat_rule_collection", RuleCollectionKind::Nat),
    ] {
        let cv = v.get(attr);
        if cv.is_unknown() {
            ctx.note(
                "INP001",
                format!("{}: {attr} is known only after apply", meta.key),
                ctx.field_origin(&cv, &origin),
            );
        }
        for c in cv.items() {
            collections.push(collection(ctx, i, &c, kind));
        }
    }
    ctx.model.rule_collection_groups.push(RuleCollectionGroup {
        meta,
        policy,
        priority: v.get("priority").u32(),
        collections,
    });
}

pub(super) fn classic_collection(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let origin = ctx.origin(i);
    let inst = ctx.inst(i);
    let kind = match inst.rtype.as_str() {
        "azurerm_firewall_application_rule_collection" => RuleCollectionKind::Application,
        "azurerm_firewall_network_rule_collection" => RuleCollectionKind::Network,
        _ => RuleCollectionKind::Nat,
    };
    let rg = v.get("resource_group_name").str();
    let parent = ctx.name_ref(i, &v.get("azure_firewall_name"), FW_TYPES, &rg);
    let c = collection(ctx, i, &v, kind);
    ctx.pending.fw_collections.push(Attached {
        parent,
        item: c,
        address: inst.address.to_string(),
        origin,
    });
}

pub(super) fn ip_group(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let meta = ctx.meta(i, &v);
    let cidrs = v
        .get("cidrs")
        .strings()
        .map(|l| l.iter().map(|s| AddressMatch::parse(s)).collect());
    ctx.model.ip_groups.push(IpGroup { meta, cidrs });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_protocols_are_kept_as_written() {
        assert_eq!(net_protocol("TCP"), NetProtocol::Tcp);
        assert_eq!(net_protocol("Tcpp"), NetProtocol::Other("Tcpp".into()));
    }
}
