//! `aks-preflight explain`: the hop-by-hop trace for one node pool and one endpoint.

use super::args::{ExplainArgs, Format};
use super::commands::load;
use crate::analysis::{self, egress};
use crate::eval::flow::AppProto;
use crate::eval::{Destination, Protocol, Verdict};
use crate::policy::requirements::Requirement;
use crate::report::human;
use serde::Serialize;
use std::fmt::Write as _;
use std::net::IpAddr;

/// Parse `host:port/proto` (proto defaults to tcp).
pub fn parse_endpoint(s: &str) -> Result<(String, u16, Protocol), String> {
    let (hp, proto) = match s.rsplit_once('/') {
        Some((hp, p)) => (hp, p),
        None => (s, "tcp"),
    };
    let proto = match proto.to_ascii_lowercase().as_str() {
        "tcp" | "https" | "http" => Protocol::Tcp,
        "udp" => Protocol::Udp,
        other => {
            return Err(format!(
                "unknown protocol `{other}` in `{s}` (use tcp or udp)"
            ));
        }
    };
    let (host, port) = hp
        .rsplit_once(':')
        .ok_or_else(|| format!("`{s}` is not host:port/proto (e.g. mcr.microsoft.com:443/tcp)"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("invalid port `{port}` in `{s}`"))?;
    if host.is_empty() {
        return Err(format!("missing host in `{s}`"));
    }
    Ok((host.to_ascii_lowercase(), port, proto))
}

/// An ad-hoc requirement for an endpoint that is not in the catalogue.
fn adhoc(host: &str, port: u16, protocol: Protocol) -> Requirement {
    let destination = match host.parse::<IpAddr>() {
        Ok(ip) => Destination::Ip(ip),
        Err(_) => Destination::Host(host.to_string()),
    };
    let app_protocol = match (protocol, port, &destination) {
        (Protocol::Tcp, 443, Destination::Host(_)) => Some(AppProto::Https),
        (Protocol::Tcp, 80, Destination::Host(_)) => Some(AppProto::Http),
        _ => None,
    };
    Requirement {
        endpoint_id: format!("adhoc.{host}:{port}"),
        host: host.to_string(),
        destination: Some(destination),
        within: crate::model::Known::Absent,
        unresolved: vec![],
        also_ids: vec![],
        also_conditions: vec![],
        location: None,
        protocol,
        app_protocol,
        port,
        required: true,
        condition: "always".into(),
        service_tags: vec![],
        purpose: "endpoint given on the command line".into(),
        source: String::new(),
        uncertain: false,
        failure: None,
        from_user_config: true,
        note: None,
    }
}

#[derive(Serialize)]
struct JsonTrace {
    cluster: String,
    node_pool: String,
    endpoint: String,
    verdict: Verdict,
    reason: String,
    path: Vec<crate::eval::Hop>,
}

/// `--cluster` (address or name) selects this cluster, or is not given.
fn cluster_selected(a: &ExplainArgs, c: &crate::model::Cluster) -> bool {
    a.cluster
        .as_ref()
        .is_none_or(|sel| c.meta.address() == sel || c.meta.name.known() == Some(sel))
}

/// `--pool` (name) selects this node pool, or is not given.
fn pool_selected(a: &ExplainArgs, p: &crate::model::NodePool) -> bool {
    a.pool
        .as_deref()
        .is_none_or(|sel| p.name.known().map(|n| n.as_str()) == Some(sel))
}

pub fn run(a: ExplainArgs) -> i32 {
    let mut l = match load(&a.input) {
        Ok(l) => l,
        Err(code) => return code,
    };
    if a.to.eq_ignore_ascii_case("dns") {
        return run_dns(&a, &mut l);
    }
    let (host, port, proto) = match parse_endpoint(&a.to) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("aks-preflight: {e}");
            return 2;
        }
    };
    let ctx = analysis::Ctx {
        model: &l.model,
        catalogue: &l.catalogue,
        config: &l.config,
        options: &l.options,
    };
    let mut traces = vec![];
    for c in &l.model.clusters {
        if !cluster_selected(&a, c) {
            continue;
        }
        let reqs = egress::cluster_requirements(&ctx, c);
        let req = reqs
            .iter()
            .find(|r| r.host.eq_ignore_ascii_case(&host) && r.port == port && r.protocol == proto)
            .cloned()
            .unwrap_or_else(|| adhoc(&host, port, proto));
        for p in &c.node_pools {
            if !pool_selected(&a, p) {
                continue;
            }
            let res = egress::evaluate_pool(&ctx, c, p, &req);
            traces.push(JsonTrace {
                cluster: c.meta.address().to_string(),
                node_pool: p.display_name(),
                endpoint: egress::endpoint_label(&req),
                verdict: res.verdict,
                reason: res.reason,
                path: res.hops,
            });
        }
    }
    if traces.is_empty() {
        eprintln!(
            "aks-preflight: no node pool matches (check --cluster / --pool; the inputs must contain an AKS cluster)"
        );
        return 2;
    }
    let out = match a.format {
        Format::Json => serde_json::to_string_pretty(&traces).unwrap_or_default() + "\n",
        Format::Mermaid => {
            let charts: Vec<Chart<'_>> = traces
                .iter()
                .map(|t| {
                    (
                        format!(
                            "{} / node pool {} -> {}",
                            t.cluster, t.node_pool, t.endpoint
                        ),
                        t.path.as_slice(),
                        t.verdict,
                        t.endpoint.clone(),
                    )
                })
                .collect();
            mermaid_out(&charts, &mut l.sources)
        }
        Format::Human => {
            let mut s = String::new();
            for t in &traces {
                let _ = writeln!(
                    s,
                    "{} / node pool {} -> {}",
                    t.cluster, t.node_pool, t.endpoint
                );
                s.push_str(&human::render_path(&t.path, &mut l.sources, "  "));
                let _ = writeln!(s, "  verdict: {} ({})\n", t.verdict.as_str(), t.reason);
            }
            s
        }
    };
    print!("{out}");
    i32::from(traces.iter().any(|t| t.verdict == Verdict::Blocked))
}

#[derive(Serialize)]
struct DnsProbe {
    verdict: Verdict,
    reason: String,
    path: Vec<crate::eval::Hop>,
}

#[derive(Serialize)]
struct DnsServerTrace {
    position: usize,
    server: String,
    resolver: String,
    resolves_from: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    udp: Option<DnsProbe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tcp: Option<DnsProbe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

#[derive(Serialize)]
struct DnsTrace {
    cluster: String,
    node_pool: String,
    endpoint: &'static str,
    vnet: String,
    /// Set when the DNS path cannot be traced (unknown subnet or VNet).
    #[serde(skip_serializing_if = "Option::is_none")]
    unknown: Option<String>,
    servers: Vec<DnsServerTrace>,
    /// Findings about this pool's DNS (DNS001-003, PRV001/002), as `RULE: message`.
    findings: Vec<String>,
}

fn resolver_text(r: &crate::analysis::dns::Resolver<'_>) -> String {
    use crate::analysis::dns::Resolver;
    match r {
        Resolver::AzureDns { .. } => "Azure-provided DNS (168.63.129.16)".into(),
        Resolver::Firewall { fw, proxy } => format!(
            "Azure Firewall {} (DNS proxy {})",
            fw.meta.address(),
            match proxy {
                crate::model::Known::Known(true) => "enabled".to_string(),
                crate::model::Known::Known(false) | crate::model::Known::Absent =>
                    "NOT enabled".to_string(),
                crate::model::Known::Unknown(w) => format!("unknown: {w}"),
            }
        ),
        Resolver::PrivateResolver { ep } => format!(
            "DNS Private Resolver inbound endpoint {}",
            ep.meta.address()
        ),
        Resolver::Attested { .. } => "DNS server attested in the config file".into(),
        Resolver::Opaque { .. } => "a VM or unknown host (its forwarding cannot be seen)".into(),
    }
}

/// `explain --to dns`: per node pool, the DNS servers in order, what each is, the VNet it
/// resolves from, the UDP/TCP 53 path to it, and the DNS / private zone findings.
fn run_dns(a: &ExplainArgs, l: &mut super::commands::Loaded) -> i32 {
    use crate::analysis::dns;
    let ctx = analysis::Ctx {
        model: &l.model,
        catalogue: &l.catalogue,
        config: &l.config,
        options: &l.options,
    };
    let report = analysis::check(&l.model, &l.catalogue, &l.config, &l.options);
    let mut traces = vec![];
    let mut failed = false;
    for c in &l.model.clusters {
        if !cluster_selected(a, c) {
            continue;
        }
        for p in &c.node_pools {
            if !pool_selected(a, p) {
                continue;
            }
            let why = match &p.subnet {
                crate::model::Known::Known(r) => match l.model.subnet(r) {
                    Some(s) if l.model.subnet_vnet(s).is_none() => Some(format!("the VNet of subnet {} is not in the inputs", s.meta.address())),
                    Some(_) => None,
                    None => Some(format!("the node subnet {r} is not in the inputs")),
                },
                crate::model::Known::Unknown(w) => Some(format!("the node subnet is not known: {w}")),
                crate::model::Known::Absent => Some("the node pool has no vnet_subnet_id (AKS-managed VNet with Azure-provided DNS)".to_string()),
            };
            let (Some(subnet), Some(vnet), None) = (
                p.subnet.known().and_then(|r| l.model.subnet(r)),
                p.subnet
                    .known()
                    .and_then(|r| l.model.subnet(r))
                    .and_then(|s| l.model.subnet_vnet(s)),
                why.clone(),
            ) else {
                traces.push(DnsTrace {
                    cluster: c.meta.address().to_string(),
                    node_pool: p.display_name(),
                    endpoint: "dns",
                    vnet: "unknown".into(),
                    unknown: why.or_else(|| Some("the node subnet is not known".into())),
                    servers: vec![],
                    findings: vec![],
                });
                continue;
            };
            let mut servers = vec![];
            match dns::servers(&ctx, vnet) {
                crate::model::Known::Known(list) if list.is_empty() => servers.push(DnsServerTrace {
                    position: 1,
                    server: "168.63.129.16".into(),
                    resolver: "Azure-provided DNS (the VNet sets no DNS servers)".into(),
                    resolves_from: vnet.meta.address().to_string(),
                    udp: None,
                    tcp: None,
                    note: Some("a platform address: not subject to NSGs (unless a rule names AzurePlatformDNS) or routes".into()),
                }),
                crate::model::Known::Known(list) => {
                    for s in &list {
                        let from = match dns::resolution_vnet(&l.model, &s.resolver) {
                            crate::model::Known::Known(r) => l.model.vnet(&r).map(|v| v.meta.address().to_string()).unwrap_or_else(|| r.display()),
                            crate::model::Known::Unknown(w) => format!("unknown: {w}"),
                            crate::model::Known::Absent => "unknown".into(),
                        };
                        let probes = dns::reach(&ctx, c, p, subnet, s);
                        let (udp, tcp) = match probes {
                            Some((u, t)) => (
                                Some(DnsProbe { verdict: u.verdict, reason: u.reason, path: u.hops }),
                                Some(DnsProbe { verdict: t.verdict, reason: t.reason, path: t.hops }),
                            ),
                            None => (None, None),
                        };
                        if s.position == 0 && udp.as_ref().is_some_and(|u| u.verdict == Verdict::Blocked) {
                            failed = true;
                        }
                        servers.push(DnsServerTrace {
                            position: s.position + 1,
                            server: s.display.clone(),
                            resolver: resolver_text(&s.resolver),
                            resolves_from: from,
                            udp,
                            tcp,
                            note: s.probe_note.clone().or_else(|| (s.position >= 3).then(|| "ignored: Linux nodes use the first 3 servers".to_string())),
                        });
                    }
                }
                crate::model::Known::Unknown(w) => servers.push(DnsServerTrace {
                    position: 1,
                    server: "(unknown)".into(),
                    resolver: format!("the DNS servers are not known: {w}"),
                    resolves_from: "unknown".into(),
                    udp: None,
                    tcp: None,
                    note: None,
                }),
                crate::model::Known::Absent => {}
            }
            let pname = p.display_name();
            let findings: Vec<String> = report
                .findings
                .iter()
                .filter(|f| f.rule.starts_with("DNS") || f.rule.starts_with("PRV"))
                .filter(|f| {
                    f.cluster.as_deref() == Some(c.meta.address())
                        && f.node_pool.as_deref().is_none_or(|n| n == pname)
                })
                .map(|f| {
                    if f.severity == crate::report::Severity::Error {
                        failed = true;
                    }
                    format!("{} {}: {}", f.rule, f.severity.as_str(), f.message)
                })
                .collect();
            traces.push(DnsTrace {
                cluster: c.meta.address().to_string(),
                node_pool: pname,
                endpoint: "dns",
                vnet: vnet.meta.address().to_string(),
                unknown: None,
                servers,
                findings,
            });
        }
    }
    if traces.is_empty() {
        eprintln!(
            "aks-preflight: no node pool matches (check --cluster / --pool; the inputs must contain an AKS cluster)"
        );
        return 2;
    }
    let out = match a.format {
        Format::Json => serde_json::to_string_pretty(&traces).unwrap_or_default() + "\n",
        Format::Mermaid => {
            let mut charts: Vec<Chart<'_>> = vec![];
            for t in &traces {
                for sv in &t.servers {
                    for (proto, probe) in [("udp", &sv.udp), ("tcp", &sv.tcp)] {
                        if let Some(pr) = probe {
                            charts.push((
                                format!(
                                    "{} / node pool {} -> DNS server {} ({}) {proto}/53",
                                    t.cluster, t.node_pool, sv.position, sv.server
                                ),
                                pr.path.as_slice(),
                                pr.verdict,
                                format!("{}:53/{proto}", sv.server),
                            ));
                        }
                    }
                }
            }
            if charts.is_empty() {
                eprintln!(
                    "aks-preflight: no DNS path to draw (Azure-provided DNS, or the DNS servers are not known); use --format human"
                );
                return 2;
            }
            mermaid_out(&charts, &mut l.sources)
        }
        Format::Human => {
            let mut s = String::new();
            for t in &traces {
                let _ = writeln!(
                    s,
                    "{} / node pool {} -> DNS (VNet {})",
                    t.cluster, t.node_pool, t.vnet
                );
                if let Some(u) = &t.unknown {
                    let _ = writeln!(s, "  verdict: unknown ({u})\n");
                    continue;
                }
                for sv in &t.servers {
                    let _ = writeln!(
                        s,
                        "  server {}: {} — {}; resolves from {}",
                        sv.position, sv.server, sv.resolver, sv.resolves_from
                    );
                    if let Some(n) = &sv.note {
                        let _ = writeln!(s, "    note: {n}");
                    }
                    for (proto, probe) in [("udp", &sv.udp), ("tcp", &sv.tcp)] {
                        if let Some(pr) = probe {
                            let _ = writeln!(
                                s,
                                "    {proto}/53: {} ({})",
                                pr.verdict.as_str(),
                                pr.reason
                            );
                            s.push_str(&human::render_path(&pr.path, &mut l.sources, "      "));
                        }
                    }
                }
                if t.findings.is_empty() {
                    let _ = writeln!(s, "  no DNS or private zone findings");
                } else {
                    for f in &t.findings {
                        let _ = writeln!(s, "  {f}");
                    }
                }
                s.push('\n');
            }
            s
        }
    };
    print!("{out}");
    i32::from(failed)
}

/// One path to draw: title, hops, verdict, destination.
type Chart<'a> = (String, &'a [crate::eval::Hop], Verdict, String);

/// `--format mermaid`: one path is a bare Mermaid flowchart (paste it into a `mermaid` block or
/// a Mermaid editor); several are Markdown, each titled, in its own ```` ```mermaid ```` block.
fn mermaid_out(charts: &[Chart<'_>], sources: &mut crate::source::SourceMap) -> String {
    use crate::report::mermaid::flowchart;
    if let [(title, hops, verdict, dest)] = charts {
        return format!(
            "%% {title}: {}\n{}",
            verdict.as_str(),
            flowchart(hops, sources, Some(*verdict), Some(dest))
        );
    }
    let mut s = String::new();
    for (title, hops, verdict, dest) in charts {
        let _ = writeln!(
            s,
            "### {title}: {}\n\n```mermaid\n{}```\n",
            verdict.as_str(),
            flowchart(hops, sources, Some(*verdict), Some(dest))
        );
    }
    s
}
