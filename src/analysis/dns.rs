//! DNS analysis per node pool: which servers the nodes use, whether each is reachable on UDP and
//! TCP 53 through the same path evaluation as egress, what kind of resolver it is, and from which
//! VNet it resolves (needed for private DNS zones).

use super::{Ctx, registry};
use crate::eval::path::{EgressContext, evaluate_egress};
use crate::eval::{Destination, Flow, PathResult, Protocol, Verdict};
use crate::model::{
    Cluster, DnsResolverInboundEndpoint, Firewall, IpSymbol, IpValue, Known, Model, NodePool, Ref,
    Subnet, VirtualNetwork,
};
use crate::report::{Finding, PredictedFailure, Severity};
use std::net::{IpAddr, Ipv4Addr};

/// Azure-provided DNS.
pub const AZURE_DNS: IpAddr = IpAddr::V4(Ipv4Addr::new(168, 63, 129, 16));

/// What answers a node's DNS queries.
#[derive(Debug, Clone)]
pub enum Resolver<'a> {
    /// Azure-provided DNS (168.63.129.16), resolving from `vnet`.
    AzureDns { vnet: Option<&'a VirtualNetwork> },
    /// An Azure Firewall (DNS proxy, which forwards to Azure DNS from the firewall's VNet unless
    /// the firewall has its own DNS servers).
    Firewall {
        fw: &'a Firewall,
        proxy: Known<bool>,
    },
    /// A DNS Private Resolver inbound endpoint, resolving through Azure DNS from its VNet.
    PrivateResolver { ep: &'a DnsResolverInboundEndpoint },
    /// A server attested in the config file as forwarding to Azure DNS from `vnet`.
    Attested { vnet: Option<Ref> },
    /// A VM or unknown host: cannot be seen into. `ip` is its address when known.
    Opaque { ip: Option<IpAddr> },
}

/// One DNS server of a node pool, identified and evaluated.
#[derive(Debug, Clone)]
pub struct DnsServer<'a> {
    pub position: usize,
    pub value: Option<&'a IpValue>,
    pub display: String,
    pub resolver: Resolver<'a>,
    /// Address used for the path evaluation (the literal, or a representative address of the
    /// element's subnet when the literal is decided at apply).
    pub probe_ip: Option<IpAddr>,
    pub probe_note: Option<String>,
}

/// The VNet from which a resolver asks Azure DNS (which decides which private zones it sees).
pub fn resolution_vnet(model: &Model, r: &Resolver<'_>) -> Known<Ref> {
    match r {
        Resolver::AzureDns { vnet } => match vnet {
            Some(v) => Known::Known(Ref::Key(v.meta.key.clone())),
            None => Known::unknown("the node VNet is not in the inputs"),
        },
        Resolver::Firewall { fw, .. } => {
            if !fw.dns_servers.is_empty() {
                return Known::unknown(format!(
                    "firewall {} forwards DNS to its own servers ({}), which cannot be seen into",
                    fw.meta.address(),
                    fw.dns_servers.join(", ")
                ));
            }
            if let Some(p) = fw.policy.known().and_then(|r| model.firewall_policy(r)) {
                if !p.dns_servers.is_empty() {
                    return Known::unknown(format!(
                        "firewall policy {} forwards DNS to custom servers ({})",
                        p.meta.address(),
                        p.dns_servers.join(", ")
                    ));
                }
            }
            match fw
                .subnet
                .known()
                .and_then(|r| model.subnet(r))
                .map(|s| &s.vnet)
            {
                Some(Known::Known(v)) => Known::Known(v.clone()),
                _ => Known::unknown(format!(
                    "the VNet of firewall {} is not known",
                    fw.meta.address()
                )),
            }
        }
        Resolver::PrivateResolver { ep } => match &ep.vnet {
            Known::Known(v) => Known::Known(v.clone()),
            Known::Unknown(w) => Known::Unknown(w.clone()),
            Known::Absent => match ep
                .subnet
                .known()
                .and_then(|r| model.subnet(r))
                .map(|s| &s.vnet)
            {
                Some(Known::Known(v)) => Known::Known(v.clone()),
                _ => Known::unknown(format!(
                    "the VNet of resolver endpoint {} is not known",
                    ep.meta.address()
                )),
            },
        },
        Resolver::Attested { vnet } => match vnet {
            Some(v) => Known::Known(v.clone()),
            None => Known::unknown("the attestation does not say which VNet the server runs in"),
        },
        // A DNS server VM can only see Azure private zones through 168.63.129.16, which answers
        // from the VNet the VM runs in: that VNet is where the zone must be linked.
        Resolver::Opaque { ip: Some(ip) } => match vnet_containing(model, ip) {
            Some(v) => Known::Known(Ref::Key(v.meta.key.clone())),
            None => Known::unknown(format!(
                "DNS server {ip} is in no VNet of the inputs; its forwarding cannot be seen"
            )),
        },
        Resolver::Opaque { ip: None } => {
            Known::unknown("the DNS server is a VM or unknown host whose forwarding cannot be seen")
        }
    }
}

/// The VNet whose address space contains `ip`.
pub fn vnet_containing<'a>(model: &'a Model, ip: &IpAddr) -> Option<&'a VirtualNetwork> {
    model.vnets.iter().find(|v| {
        v.address_space
            .known()
            .is_some_and(|sp| sp.iter().any(|n| n.contains(ip)))
    })
}

/// First usable address of a subnet (Azure reserves .0-.3): Azure Firewall and resolver
/// endpoints take the first free address, so it stands for the element when the exact address is
/// decided at apply. Only the route and NSG decisions use it, and they depend on the prefix.
fn representative(model: &Model, subnet: &Known<Ref>) -> Option<IpAddr> {
    let s = model.subnet(subnet.known()?)?;
    let net = s.prefixes.known()?.first()?;
    match net {
        ipnet::IpNet::V4(n) => {
            let base = u32::from(n.network());
            Some(IpAddr::V4(Ipv4Addr::from(base + 4)))
        }
        ipnet::IpNet::V6(_) => None,
    }
}

/// Identify the DNS servers of a VNet (in order). Empty list: Azure-provided DNS.
pub fn servers<'a>(ctx: &Ctx<'a>, vnet: &'a VirtualNetwork) -> Known<Vec<DnsServer<'a>>> {
    let model = ctx.model;
    let list = match &vnet.dns_servers {
        Known::Known(l) => l,
        Known::Absent => return Known::Known(vec![]),
        Known::Unknown(w) => return Known::Unknown(w.clone()),
    };
    let mut out = vec![];
    for (i, v) in list.iter().enumerate() {
        let mut probe_ip = v.ip.known().copied();
        let mut probe_note = None;
        let mut resolver = Resolver::Opaque {
            ip: v.ip.known().copied(),
        };
        let mut display = match (&v.ip, &v.symbol) {
            (Known::Known(ip), _) => ip.to_string(),
            (_, Some(IpSymbol::FirewallPrivateIp(r))) => format!("private IP of {r}"),
            (_, Some(IpSymbol::ResolverInboundEndpoint(r))) => format!("IP of {r}"),
            (_, Some(IpSymbol::NetworkInterface(r))) => format!("private IP of {r}"),
            (_, Some(IpSymbol::Other(s))) => s.clone(),
            (_, _) => "(unknown until apply)".into(),
        };
        if probe_ip == Some(AZURE_DNS) {
            resolver = Resolver::AzureDns { vnet: Some(vnet) };
        } else {
            let fw = match &v.symbol {
                Some(IpSymbol::FirewallPrivateIp(r)) => model.firewall(r),
                _ => None,
            }
            .or_else(|| {
                probe_ip.and_then(|ip| {
                    model
                        .firewalls
                        .iter()
                        .find(|f| f.private_ip.known() == Some(&ip))
                })
            });
            let ep = match &v.symbol {
                Some(IpSymbol::ResolverInboundEndpoint(r)) => {
                    model.dns_resolver_inbound_endpoint(r)
                }
                _ => None,
            }
            .or_else(|| {
                probe_ip.and_then(|ip| {
                    model
                        .dns_resolver_inbound_endpoints
                        .iter()
                        .find(|e| e.ip.known() == Some(&ip))
                })
            });
            if let Some(fw) = fw {
                resolver = Resolver::Firewall {
                    fw,
                    proxy: crate::eval::firewall::dns_proxy_enabled(model, fw),
                };
                if probe_ip.is_none() {
                    probe_ip = fw
                        .private_ip
                        .known()
                        .copied()
                        .or_else(|| representative(model, &fw.subnet));
                    probe_note = Some(format!(
                        "the firewall's private IP is decided at apply; the first usable address of its subnet ({}) stands for it",
                        probe_ip.map(|i| i.to_string()).unwrap_or_default()
                    ));
                }
                display = format!("{display} (Azure Firewall {})", fw.meta.address());
            } else if let Some(ep) = ep {
                resolver = Resolver::PrivateResolver { ep };
                if probe_ip.is_none() {
                    probe_ip = ep
                        .ip
                        .known()
                        .copied()
                        .or_else(|| representative(model, &ep.subnet));
                    probe_note = Some("the inbound endpoint's IP is decided at apply; the first usable address of its subnet stands for it".into());
                }
                display = format!(
                    "{display} (DNS Private Resolver inbound endpoint {})",
                    ep.meta.address()
                );
            } else if let Some(att) = probe_ip
                .and_then(|ip| ctx.config.dns_server(&ip))
                .filter(|a| a.forwards_to_azure_dns)
            {
                resolver = Resolver::Attested {
                    vnet: att.vnet.as_ref().map(|v| v.value.clone()),
                };
                display = format!("{display} (attested in the config file)");
            }
        }
        out.push(DnsServer {
            position: i,
            value: Some(v),
            display,
            resolver,
            probe_ip,
            probe_note,
        });
    }
    Known::Known(out)
}

fn dns_flow(subnet: &Subnet, ip: IpAddr, protocol: Protocol) -> Flow {
    Flow {
        source_prefixes: subnet.prefixes.known().cloned().unwrap_or_default(),
        destination: Destination::Ip(ip),
        destination_tags: vec![],
        protocol,
        port: 53,
        app_protocol: None,
    }
}

/// Reachability of one server on UDP and TCP 53.
pub fn reach(
    ctx: &Ctx<'_>,
    cluster: &Cluster,
    pool: &NodePool,
    subnet: &Subnet,
    server: &DnsServer<'_>,
) -> Option<(PathResult, PathResult)> {
    let ip = server.probe_ip?;
    let ectx = EgressContext {
        cluster,
        pool,
        subnet,
    };
    let udp = evaluate_egress(ctx.model, &ectx, &dns_flow(subnet, ip, Protocol::Udp));
    let tcp = evaluate_egress(ctx.model, &ectx, &dns_flow(subnet, ip, Protocol::Tcp));
    Some((udp, tcp))
}

fn exit52() -> Option<PredictedFailure> {
    Some(PredictedFailure {
        error: "VMExtensionError_K8SAPIServerDNSLookupFail".into(),
        exit_code: Some(52),
        detail: "the API server name does not resolve in time; on node images before 2026-07-21 the outbound check also fails (exit 50) while the first server times out".into(),
    })
}

/// The failure an unreachable later server causes: only when the earlier ones do not answer.
fn exit52_fallback(position: usize) -> Option<PredictedFailure> {
    Some(PredictedFailure {
        error: "VMExtensionError_K8SAPIServerDNSLookupFail".into(),
        exit_code: Some(52),
        detail: format!(
            "only when the servers before it do not answer: lookups then wait for server {} to time out as well, and the API server name may not resolve in time",
            position + 1
        ),
    })
}

/// Check DNS for every node pool of `cluster`.
pub fn check(ctx: &Ctx<'_>, cluster: &Cluster, out: &mut Vec<Finding>) {
    let caddr = cluster.meta.address();
    let mut seen: Vec<String> = vec![];
    for pool in &cluster.node_pools {
        let Some(subnet) = pool.subnet.known().and_then(|r| ctx.model.subnet(r)) else {
            continue;
        };
        if seen.contains(&subnet.meta.key) {
            continue;
        }
        seen.push(subnet.meta.key.clone());
        let pname = pool.display_name();
        let Some(vnet) = ctx.model.subnet_vnet(subnet) else {
            continue;
        };
        let servers = match servers(ctx, vnet) {
            Known::Known(s) => s,
            Known::Unknown(why) => {
                out.push(
                    Finding::new("EGR001", registry::severity("EGR001"), format!("the DNS servers of VNet {} are not known ({why}); DNS for node pool \"{pname}\" cannot be checked", vnet.meta.address()))
                        .primary(vnet.meta.origin_of("dns_servers"), "DNS servers")
                        .at_pool(caddr, &pname)
                        .path(Verdict::Unknown, vec![]),
                );
                continue;
            }
            Known::Absent => vec![],
        };
        let dns_origin = vnet.meta.origin_of("dns_servers").clone();
        let mut reachable_before: Option<String> = None;
        for s in servers.iter().take(3) {
            let origin = s
                .value
                .map(|v| v.origin.clone())
                .filter(|o| o.file.is_some())
                .unwrap_or_else(|| dns_origin.clone());
            // Firewall DNS proxy
            if let Resolver::Firewall { fw, proxy } = &s.resolver {
                match proxy {
                    Known::Known(false) | Known::Absent => {
                        let policy = fw.policy.known().and_then(|r| ctx.model.firewall_policy(r));
                        let mut f = Finding::new("DNS002", registry::severity("DNS002"), format!("DNS server {} of VNet {} is Azure Firewall {}, but DNS proxy is not enabled: the firewall does not answer on port 53 (node pool \"{pname}\")", s.position + 1, vnet.meta.address(), fw.meta.address()))
                            .primary(&origin, "DNS server set to the firewall here")
                            .help(match policy {
                                Some(p) => format!("enable DNS proxy on firewall policy {}:\n  dns {{\n    proxy_enabled = true\n  }}", p.meta.address()),
                                None => format!("enable DNS proxy on firewall {} (dns_proxy_enabled = true), or on its firewall policy:\n  dns {{\n    proxy_enabled = true\n  }}", fw.meta.address()),
                            })
                            .at_pool(caddr, &pname)
                            .failure(exit52());
                        if let Some(p) = policy {
                            f = f.secondary(
                                p.meta.origin_of("dns_proxy"),
                                "DNS proxy setting of the firewall policy",
                            );
                        } else {
                            f = f.secondary(
                                fw.meta.origin_of("dns_proxy"),
                                "DNS proxy setting of the firewall",
                            );
                        }
                        out.push(f);
                        continue;
                    }
                    Known::Unknown(why) => {
                        out.push(
                            Finding::new("EGR001", registry::severity("EGR001"), format!("whether firewall {} (DNS server {} of VNet {}) has DNS proxy enabled is not known: {why}", fw.meta.address(), s.position + 1, vnet.meta.address()))
                                .primary(&origin, "DNS server")
                                .at_pool(caddr, &pname)
                                .path(Verdict::Unknown, vec![]),
                        );
                    }
                    Known::Known(true) => {}
                }
            }
            // Reachability (Azure DNS is a platform address: not subject to UDRs, only to NSG
            // rules naming AzurePlatformDNS, which the NSG evaluator sees as a tag).
            if matches!(s.resolver, Resolver::AzureDns { .. }) {
                reachable_before.get_or_insert(s.display.clone());
                continue;
            }
            let opaque = matches!(s.resolver, Resolver::Opaque { .. });
            let dns003 = |extra: &str| {
                Finding::new("DNS003", registry::severity("DNS003"), format!("DNS server {} ({}) of VNet {} is not Azure DNS, an Azure Firewall or a DNS Private Resolver: whether it resolves public names and the cluster's private zone cannot be verified{extra} (node pool \"{pname}\")", s.position + 1, s.display, vnet.meta.address()))
                    .primary(&origin, "custom DNS server")
                    .help(format!("{}\n[[dns_server]]\nip = \"{}\"\nforwards_to_azure_dns = true\nvnet = \"<resource id or Terraform address of the VNet the server runs in>\"", registry::fix("DNS003"), s.probe_ip.map(|i| i.to_string()).unwrap_or_else(|| "<ip>".into())))
                    .at_pool(caddr, &pname)
            };
            let Some((udp, tcp)) = reach(ctx, cluster, pool, subnet, s) else {
                if opaque {
                    out.push(dns003(", and its address is not known"));
                    continue;
                }
                out.push(
                    Finding::new("EGR001", registry::severity("EGR001"), format!("the address of DNS server {} ({}) is not known, so its reachability from node pool \"{pname}\" cannot be checked", s.position + 1, s.display))
                        .primary(&origin, "DNS server")
                        .at_pool(caddr, &pname)
                        .path(Verdict::Unknown, vec![]),
                );
                continue;
            };
            let note = s
                .probe_note
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            match (udp.verdict, tcp.verdict) {
                (Verdict::Reachable, Verdict::Reachable) => {
                    reachable_before.get_or_insert(s.display.clone());
                    if opaque {
                        out.push(dns003(""));
                    }
                }
                (Verdict::Blocked, _) | (_, Verdict::Blocked) => {
                    let (bad, proto) = if udp.verdict == Verdict::Blocked {
                        (&udp, "UDP")
                    } else {
                        (&tcp, "TCP")
                    };
                    let first = s.position == 0;
                    let sev = if first || proto == "UDP" && reachable_before.is_none() {
                        Severity::Error
                    } else {
                        Severity::Warning
                    };
                    let later_ok = servers
                        .iter()
                        .skip(s.position + 1)
                        .take(3)
                        .map(|x| x.display.clone())
                        .next();
                    let mut msg = format!(
                        "DNS server {} ({}) of VNet {} is unreachable on {proto} 53 from node pool \"{pname}\": {}{note}",
                        s.position + 1,
                        s.display,
                        vnet.meta.address(),
                        bad.reason
                    );
                    if first && later_ok.is_some() {
                        msg.push_str(". It is the first server: every lookup waits for it to time out before the next server is tried, which makes the provisioning checks fail even if a later server works");
                    }
                    if proto == "TCP" {
                        msg.push_str(". DNS falls back to TCP for large answers");
                    }
                    // the fix depends on the server's place in the list
                    let help = if first {
                        format!(
                            "allow UDP and TCP 53 from the node subnet to {} on the path shown, or put a reachable server first in the dns_servers of {}: nodes ask the first server first and wait for it to time out before asking the next",
                            s.display,
                            vnet.meta.address()
                        )
                    } else {
                        format!(
                            "allow UDP and TCP 53 from the node subnet to {} on the path shown, or remove it from the dns_servers of {}: nodes ask server {} only when {} does not answer, and an unreachable server then adds timeouts instead of an answer",
                            s.display,
                            vnet.meta.address(),
                            s.position + 1,
                            servers
                                .iter()
                                .take(s.position)
                                .map(|x| x.display.clone())
                                .collect::<Vec<_>>()
                                .join(" or ")
                        )
                    };
                    let mut f = Finding::new("DNS001", sev, msg)
                        .primary(&origin, format!("DNS server {}", s.position + 1))
                        .help(help)
                        .at_pool(caddr, &pname)
                        .failure(if first {
                            exit52()
                        } else {
                            exit52_fallback(s.position)
                        })
                        .path(bad.verdict, bad.hops.clone());
                    if let Some(o) = &bad.cause_origin {
                        f = f.secondary(o, "blocks it");
                    }
                    out.push(f);
                }
                _ => {
                    let bad = if udp.verdict == Verdict::Unknown {
                        &udp
                    } else {
                        &tcp
                    };
                    if opaque {
                        // one finding: the server cannot be verified, nor the path to it
                        out.push(
                            dns003(&format!("; nor can the path to it: {}", bad.reason))
                                .path(Verdict::Unknown, bad.hops.clone()),
                        );
                        continue;
                    }
                    let mut f = Finding::new("EGR001", registry::severity("EGR001"), format!("the path to DNS server {} ({}) on 53 from node pool \"{pname}\" cannot be proven: {}{note}", s.position + 1, s.display, bad.reason))
                        .primary(&origin, "DNS server")
                        .at_pool(caddr, &pname)
                        .path(Verdict::Unknown, bad.hops.clone());
                    if let Some(o) = &bad.cause_origin {
                        f = f.secondary(o, "undecided here");
                    }
                    out.push(f);
                }
            }
        }
        if servers.len() > 3 {
            out.push(
                Finding::new(
                    "INP009",
                    Severity::Note,
                    format!(
                        "VNet {} lists {} DNS servers; Linux nodes use only the first 3",
                        vnet.meta.address(),
                        servers.len()
                    ),
                )
                .primary(&dns_origin, "DNS servers")
                .at_cluster(caddr),
            );
        }
    }
}
