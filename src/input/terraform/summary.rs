//! A stable, human-readable dump of a model: one line per element (rules, routes, node pools and
//! collections indented under their element), for snapshot tests and debugging.
//!
//! Notation: a known value as is, `?` for unknown, `-` for absent; references print the model key
//! or `id:<azure id>`; symbolic IPs add `<symbol kind>:<ref>` in braces.

use crate::model::{
    AddressMatch, FirewallRule, IpSymbol, IpValue, Known, Lifecycle, Model, PortRange, PrefixValue,
    Ref, RoutePrefix, RuleCollection,
};
use std::fmt::{Display, Write};

fn k<T: Display>(v: &Known<T>) -> String {
    match v {
        Known::Known(x) => x.to_string(),
        Known::Unknown(_) => "?".into(),
        Known::Absent => "-".into(),
    }
}

fn kd<T: std::fmt::Debug>(v: &Known<T>) -> String {
    match v {
        Known::Known(x) => format!("{x:?}"),
        Known::Unknown(_) => "?".into(),
        Known::Absent => "-".into(),
    }
}

fn r(x: &Ref) -> String {
    match x {
        Ref::Key(k) => k.clone(),
        Ref::Id(id) => format!("id:{id}"),
    }
}

fn kr(v: &Known<Ref>) -> String {
    match v {
        Known::Known(x) => r(x),
        Known::Unknown(_) => "?".into(),
        Known::Absent => "-".into(),
    }
}

fn refs(v: &[Ref]) -> String {
    format!("[{}]", v.iter().map(r).collect::<Vec<_>>().join(","))
}

fn sym(s: &Option<IpSymbol>) -> String {
    match s {
        None => String::new(),
        Some(IpSymbol::FirewallPrivateIp(x)) => format!("{{firewall:{}}}", r(x)),
        Some(IpSymbol::PublicIp(x)) => format!("{{public_ip:{}}}", r(x)),
        Some(IpSymbol::PublicIpPrefix(x)) => format!("{{public_ip_prefix:{}}}", r(x)),
        Some(IpSymbol::ResolverInboundEndpoint(x)) => format!("{{resolver:{}}}", r(x)),
        Some(IpSymbol::NetworkInterface(x)) => format!("{{nic:{}}}", r(x)),
        Some(IpSymbol::Other(d)) => format!("{{other:{d}}}"),
    }
}

fn ipv(v: &IpValue) -> String {
    format!("{}{}", k(&v.ip), sym(&v.symbol))
}

fn pfx(v: &PrefixValue) -> String {
    format!("{}{}", k(&v.net), sym(&v.symbol))
}

fn list<T>(v: &Known<Vec<T>>, f: impl Fn(&T) -> String) -> String {
    match v {
        Known::Known(l) => format!("[{}]", l.iter().map(f).collect::<Vec<_>>().join(",")),
        Known::Unknown(_) => "?".into(),
        Known::Absent => "-".into(),
    }
}

fn ports(v: &Known<Vec<PortRange>>) -> String {
    list(v, port)
}

fn port(p: &PortRange) -> String {
    if *p == PortRange::ANY {
        "*".into()
    } else if p.lo == p.hi {
        p.lo.to_string()
    } else {
        format!("{}-{}", p.lo, p.hi)
    }
}

fn am(a: &AddressMatch) -> String {
    match a {
        AddressMatch::Any => "*".into(),
        AddressMatch::Prefix(n) => n.to_string(),
        AddressMatch::Tag(t) => format!("tag:{t}"),
        AddressMatch::Asg(x) => format!("asg:{}", r(x)),
        AddressMatch::Invalid(t) => format!("invalid:{t}"),
        AddressMatch::Unknown(_) => "?".into(),
    }
}

fn ams(v: &[AddressMatch]) -> String {
    format!("[{}]", v.iter().map(am).collect::<Vec<_>>().join(","))
}

fn strs(v: &[String]) -> String {
    format!("[{}]", v.join(","))
}

fn lc(l: Lifecycle) -> &'static str {
    match l {
        Lifecycle::Existing => "existing",
        Lifecycle::Create => "create",
        Lifecycle::Update => "update",
        Lifecycle::Replace => "replace",
        Lifecycle::Read => "read",
    }
}

fn collection(out: &mut String, c: &RuleCollection) {
    let _ = writeln!(
        out,
        "  collection {} {:?} prio={} action={}",
        k(&c.name),
        c.kind,
        k(&c.priority),
        kd(&c.action)
    );
    for rule in &c.rules {
        let _ = match rule {
            FirewallRule::Application(a) => writeln!(
                out,
                "    app {} proto=[{}] src={} src_groups={} fqdns={} tags={} dst={} urls={}",
                k(&a.name),
                a.protocols
                    .iter()
                    .map(|p| match &p.protocol {
                        Ok(x) => format!("{x:?}:{}", p.port),
                        Err(t) => format!("{t}!:{}", p.port),
                    })
                    .collect::<Vec<_>>()
                    .join(","),
                ams(&a.source_addresses),
                refs(&a.source_ip_groups),
                strs(&a.target_fqdns),
                strs(&a.fqdn_tags),
                ams(&a.destination_addresses),
                strs(&a.target_urls),
            ),
            FirewallRule::Network(n) => writeln!(
                out,
                "    net {} proto=[{}] src={} src_groups={} dst={} dst_groups={} fqdns={} ports=[{}]",
                k(&n.name),
                n.protocols
                    .iter()
                    .map(|p| format!("{p:?}"))
                    .collect::<Vec<_>>()
                    .join(","),
                ams(&n.source_addresses),
                refs(&n.source_ip_groups),
                ams(&n.destination_addresses),
                refs(&n.destination_ip_groups),
                strs(&n.destination_fqdns),
                n.destination_ports
                    .iter()
                    .map(port)
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            FirewallRule::Nat(n) => writeln!(
                out,
                "    nat {} proto=[{}] src={} dst={} ports=[{}] to={}:{}",
                k(&n.name),
                n.protocols
                    .iter()
                    .map(|p| format!("{p:?}"))
                    .collect::<Vec<_>>()
                    .join(","),
                ams(&n.source_addresses),
                strs(&n.destination_addresses),
                n.destination_ports
                    .iter()
                    .map(port)
                    .collect::<Vec<_>>()
                    .join(","),
                n.translated_address.as_deref().unwrap_or("-"),
                n.translated_port
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "-".into()),
            ),
        };
    }
}

/// One line per element, in model order (input order within each kind).
pub fn summarize(model: &Model) -> String {
    let mut o = String::new();
    for c in &model.clusters {
        let _ = writeln!(
            o,
            "cluster {} [{}] outbound={} plugin={}/{} private={} dns_zone={} public_fqdn={} \
             authorized={} apiserver_vnet={} apiserver_subnet={} lb_ips={} lb_prefixes={} \
             bootstrap={} proxy={} features=[{}]",
            c.meta.key,
            lc(c.meta.lifecycle),
            kd(&c.outbound_type.as_ref().map(|t| t.as_str())).trim_matches('"'),
            k(&c.network_plugin),
            k(&c.network_plugin_mode),
            k(&c.private_cluster),
            match &c.private_dns_zone {
                Known::Known(crate::model::PrivateDnsZoneSetting::System) => "System".into(),
                Known::Known(crate::model::PrivateDnsZoneSetting::None) => "None".into(),
                Known::Known(crate::model::PrivateDnsZoneSetting::Custom(x)) => r(x),
                Known::Unknown(_) => "?".into(),
                Known::Absent => "-".into(),
            },
            k(&c.private_cluster_public_fqdn),
            list(&c.authorized_ip_ranges, pfx),
            k(&c.apiserver_vnet_integration),
            kr(&c.apiserver_subnet),
            refs(&c.lb_outbound_ips),
            refs(&c.lb_outbound_ip_prefixes),
            k(&c.bootstrap_artifact_source),
            match &c.http_proxy {
                Known::Known(p) => format!(
                    "{}|{}|{}",
                    p.http_proxy.as_deref().unwrap_or("-"),
                    p.https_proxy.as_deref().unwrap_or("-"),
                    p.no_proxy.join(";")
                ),
                Known::Unknown(_) => "?".into(),
                Known::Absent => "-".into(),
            },
            c.features.join(","),
        );
        for p in &c.node_pools {
            let _ = writeln!(
                o,
                "  pool {} name={} subnet={} os={} vm={} gpu={} public_ip={} mode={} [{}]",
                p.key,
                k(&p.name),
                kr(&p.subnet),
                kd(&p.os_type),
                k(&p.vm_size),
                p.gpu,
                k(&p.node_public_ip),
                k(&p.mode),
                lc(p.lifecycle),
            );
        }
    }
    for v in &model.vnets {
        let _ = writeln!(
            o,
            "vnet {} [{}] space={} dns={}",
            v.meta.key,
            lc(v.meta.lifecycle),
            list(&v.address_space, |n| n.to_string()),
            list(&v.dns_servers, ipv),
        );
    }
    for s in &model.subnets {
        let _ = writeln!(
            o,
            "subnet {} [{}] vnet={} prefixes={} nsg={} route_table={} nat={} default_outbound={} delegations={} pe_policies={}",
            s.meta.key,
            lc(s.meta.lifecycle),
            kr(&s.vnet),
            list(&s.prefixes, |n| n.to_string()),
            kr(&s.nsg),
            kr(&s.route_table),
            kr(&s.nat_gateway),
            k(&s.default_outbound_access),
            strs(&s.delegations),
            k(&s.private_endpoint_network_policies),
        );
    }
    for n in &model.nsgs {
        let count = match &n.rules {
            Known::Known(l) => l.len().to_string(),
            Known::Unknown(_) => "?".into(),
            Known::Absent => "-".into(),
        };
        let _ = writeln!(
            o,
            "nsg {} [{}] rules={count}",
            n.meta.key,
            lc(n.meta.lifecycle)
        );
        if let Known::Known(rules) = &n.rules {
            for x in rules {
                let _ = writeln!(
                    o,
                    "  rule {} prio={} {} {} proto={} sport={} dport={} src={} dst={}",
                    k(&x.name),
                    k(&x.priority),
                    kd(&x.direction),
                    kd(&x.access),
                    kd(&x.protocol),
                    ports(&x.source_ports),
                    ports(&x.destination_ports),
                    list(&x.sources, am),
                    list(&x.destinations, am),
                );
            }
        }
    }
    for t in &model.route_tables {
        let _ = writeln!(
            o,
            "route_table {} [{}] bgp={} routes={}",
            t.meta.key,
            lc(t.meta.lifecycle),
            k(&t.bgp_route_propagation),
            match &t.routes {
                Known::Known(l) => l.len().to_string(),
                Known::Unknown(_) => "?".into(),
                Known::Absent => "-".into(),
            }
        );
        if let Known::Known(routes) = &t.routes {
            for x in routes {
                let _ = writeln!(
                    o,
                    "  route {} {} -> {}{}",
                    k(&x.name),
                    match &x.prefix {
                        Known::Known(RoutePrefix::Cidr(n)) => n.to_string(),
                        Known::Known(RoutePrefix::Tag(t)) => format!("tag:{t}"),
                        Known::Unknown(_) => "?".into(),
                        Known::Absent => "-".into(),
                    },
                    kd(&x.next_hop_type.as_ref().map(|t| t.as_str())).trim_matches('"'),
                    x.next_hop_ip
                        .as_ref()
                        .map(|ip| format!(" {}", ipv(ip)))
                        .unwrap_or_default(),
                );
            }
        }
    }
    for n in &model.nat_gateways {
        let _ = writeln!(
            o,
            "nat_gateway {} [{}] ips={} prefixes={}",
            n.meta.key,
            lc(n.meta.lifecycle),
            refs(&n.public_ips),
            refs(&n.public_ip_prefixes)
        );
    }
    for p in &model.public_ips {
        let _ = writeln!(
            o,
            "public_ip {} [{}] ip={} prefix={}",
            p.meta.key,
            lc(p.meta.lifecycle),
            k(&p.ip),
            kr(&p.prefix)
        );
    }
    for p in &model.public_ip_prefixes {
        let _ = writeln!(
            o,
            "public_ip_prefix {} [{}] prefix={}",
            p.meta.key,
            lc(p.meta.lifecycle),
            k(&p.prefix)
        );
    }
    for p in &model.peerings {
        let _ = writeln!(
            o,
            "peering {} [{}] local={} remote={} access={} forwarded={} gw_transit={} remote_gw={}",
            p.meta.key,
            lc(p.meta.lifecycle),
            kr(&p.local_vnet),
            kr(&p.remote_vnet),
            k(&p.allow_virtual_network_access),
            k(&p.allow_forwarded_traffic),
            k(&p.allow_gateway_transit),
            k(&p.use_remote_gateways),
        );
    }
    for f in &model.firewalls {
        let _ = writeln!(
            o,
            "firewall {} [{}] subnet={} private_ip={} public_ips={} policy={} dns_proxy={} dns={} threat_intel={} tier={}",
            f.meta.key,
            lc(f.meta.lifecycle),
            kr(&f.subnet),
            k(&f.private_ip),
            refs(&f.public_ips),
            kr(&f.policy),
            k(&f.dns_proxy),
            strs(&f.dns_servers),
            k(&f.threat_intel_mode),
            k(&f.sku_tier),
        );
        for c in &f.collections {
            collection(&mut o, c);
        }
    }
    for p in &model.firewall_policies {
        let _ = writeln!(
            o,
            "firewall_policy {} [{}] base={} dns_proxy={} dns={} threat_intel={} sku={}",
            p.meta.key,
            lc(p.meta.lifecycle),
            kr(&p.base_policy),
            k(&p.dns_proxy),
            strs(&p.dns_servers),
            k(&p.threat_intel_mode),
            k(&p.sku_tier),
        );
    }
    for g in &model.rule_collection_groups {
        let _ = writeln!(
            o,
            "rule_collection_group {} [{}] policy={} prio={}",
            g.meta.key,
            lc(g.meta.lifecycle),
            kr(&g.policy),
            k(&g.priority)
        );
        for c in &g.collections {
            collection(&mut o, c);
        }
    }
    for g in &model.ip_groups {
        let _ = writeln!(
            o,
            "ip_group {} [{}] cidrs={}",
            g.meta.key,
            lc(g.meta.lifecycle),
            list(&g.cidrs, am)
        );
    }
    for z in &model.private_dns_zones {
        let _ = writeln!(
            o,
            "private_dns_zone {} [{}] name={}",
            z.meta.key,
            lc(z.meta.lifecycle),
            k(&z.meta.name)
        );
    }
    for l in &model.dns_zone_links {
        let _ = writeln!(
            o,
            "dns_zone_link {} [{}] zone={} zone_name={} vnet={} registration={}",
            l.meta.key,
            lc(l.meta.lifecycle),
            kr(&l.zone),
            k(&l.zone_name),
            kr(&l.vnet),
            k(&l.registration_enabled)
        );
    }
    for e in &model.dns_resolver_inbound_endpoints {
        let _ = writeln!(
            o,
            "resolver_inbound_endpoint {} [{}] vnet={} subnet={} ip={}",
            e.meta.key,
            lc(e.meta.lifecycle),
            kr(&e.vnet),
            kr(&e.subnet),
            k(&e.ip)
        );
    }
    for n in &model.input_notes {
        let _ = writeln!(o, "note {} {}", n.code, n.message);
    }
    o
}
