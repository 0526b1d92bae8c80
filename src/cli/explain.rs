//! `aks-preflight explain`: the hop-by-hop trace for one node pool and one endpoint.

use super::args::{ExplainArgs, Format};
use super::commands::{load_for, print_error, write_stdout};
use crate::analysis::{self, egress};
use crate::error::Error;
use crate::eval::flow::AppProto;
use crate::eval::{Destination, Protocol, Verdict};
use crate::policy::requirements::Requirement;
use crate::report::human;
use serde::Serialize;
use std::fmt::Write as _;
use std::net::IpAddr;

/// An endpoint given on the command line, with the protocol as the user wrote it (echoed in the
/// output: `https` stays `https`, `tcp` stays `tcp`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub protocol: Protocol,
    /// `https`, `http`, `tcp` or `udp`.
    pub given: String,
}

impl Target {
    pub fn label(&self) -> String {
        format!("{}:{}/{}", self.host, self.port, self.given)
    }
}

/// Parse `host:port/proto` (proto defaults to tcp), or a URL (`https://mcr.microsoft.com/`,
/// `http://host:8080/path`: the scheme's port unless one is given, TCP).
pub fn parse_target(s: &str) -> Result<Target, String> {
    let t = s.trim();
    if let Some((scheme, rest)) = t.split_once("://") {
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "https" => 443,
            "http" => 80,
            other => {
                return Err(format!(
                    "unknown scheme `{other}` in `{s}` (use https:// or http://, or host:port/proto)"
                ));
            }
        };
        // drop the path, query and user info
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let authority = authority.rsplit('@').next().unwrap_or(authority);
        // `[v6]:port`, `[v6]`, `host:port`, `host`
        let (host, port) = match authority.strip_prefix('[') {
            Some(v6) => {
                let (h, rest) = v6.split_once(']').unwrap_or((v6, ""));
                (h, rest.strip_prefix(':'))
            }
            None => match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            },
        };
        let port = match port {
            Some(p) => p
                .parse::<u16>()
                .map_err(|_| format!("invalid port `{p}` in `{s}`"))?,
            None => default_port,
        };
        if host.is_empty() {
            return Err(format!("missing host in `{s}`"));
        }
        return Ok(Target {
            host: host.to_ascii_lowercase(),
            port,
            protocol: Protocol::Tcp,
            given: scheme,
        });
    }
    let (hp, proto) = match t.rsplit_once('/') {
        Some((hp, p)) => (hp, p),
        None => (t, "tcp"),
    };
    let given = proto.to_ascii_lowercase();
    let protocol = match given.as_str() {
        "tcp" | "https" | "http" => Protocol::Tcp,
        "udp" => Protocol::Udp,
        other => {
            return Err(format!(
                "unknown protocol `{other}` in `{s}` (use tcp, udp, https or http)"
            ));
        }
    };
    let (host, port) = hp.rsplit_once(':').ok_or_else(|| {
        format!(
            "`{s}` is not host:port/proto or a URL (e.g. mcr.microsoft.com:443/tcp, \
             https://mcr.microsoft.com/)"
        )
    })?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("invalid port `{port}` in `{s}`"))?;
    if host.is_empty() {
        return Err(format!("missing host in `{s}`"));
    }
    Ok(Target {
        host: host.to_ascii_lowercase(),
        port,
        protocol,
        given,
    })
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
    #[serde(skip)]
    path: Vec<crate::eval::Hop>,
    /// The path as the report writes it (locations as file, line, column), filled for JSON.
    #[serde(rename = "path")]
    path_json: Vec<crate::report::json::PathHop>,
}

/// The `explain --format json` document: the schema and the traces.
#[derive(Serialize)]
struct ExplainDoc<'a, T: Serialize> {
    schema: &'static str,
    traces: &'a [T],
}

fn explain_json<T: Serialize>(traces: &[T]) -> String {
    let doc = ExplainDoc {
        schema: crate::report::json::EXPLAIN_SCHEMA,
        traces,
    };
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// An explain usage error: a diagnostic on stderr, and the error document on stdout for
/// `--format json`. Exit 2.
fn fail(a: &ExplainArgs, e: Error) -> i32 {
    print_error(&e);
    if a.format == Format::Json {
        let _ = write_stdout(&crate::report::json::render_errors(
            crate::report::json::EXPLAIN_SCHEMA,
            vec![crate::report::json::error_value(&e, None)],
        ));
    }
    2
}

/// Why no node pool matched `--cluster` / `--pool`, with the ones there are.
fn no_match(a: &ExplainArgs, model: &crate::model::Model) -> Error {
    let pools: Vec<String> = model
        .clusters
        .iter()
        .flat_map(|c| {
            c.node_pools
                .iter()
                .map(move |p| format!("{} (cluster {})", p.display_name(), c.meta.address()))
        })
        .collect();
    if pools.is_empty() {
        return Error::Usage(
            "the inputs contain no AKS cluster, so there is no node pool to explain".into(),
        );
    }
    let what = match (&a.cluster, &a.pool) {
        (Some(c), Some(p)) => format!("no node pool `{p}` in a cluster `{c}`"),
        (Some(c), None) => format!("no cluster `{c}` (give its address or name)"),
        (None, Some(p)) => format!("no node pool `{p}`"),
        (None, None) => "no node pool".into(),
    };
    Error::Usage(format!("{what}; the node pools are: {}", pools.join(", ")))
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
    let json = a.format == Format::Json;
    // the endpoint first: a typo is said before the inputs are read
    let target = if a.to.eq_ignore_ascii_case("dns") {
        None
    } else {
        match parse_target(&a.to) {
            Ok(t) => Some(t),
            Err(e) => return fail(&a, Error::Usage(e)),
        }
    };
    let mut l = match load_for(&a.input, json, crate::report::json::EXPLAIN_SCHEMA) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let Some(target) = target else {
        return run_dns(&a, &mut l);
    };
    let (host, port, proto) = (target.host.clone(), target.port, target.protocol);
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
                endpoint: target.label(),
                verdict: res.verdict,
                reason: res.reason,
                path: res.hops,
                path_json: vec![],
            });
        }
    }
    if traces.is_empty() {
        return fail(&a, no_match(&a, &l.model));
    }
    let out = match a.format {
        Format::Json => {
            for t in &mut traces {
                t.path_json = crate::report::json::path_hops(&mut l.sources, &t.path);
            }
            explain_json(&traces)
        }
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
    if write_stdout(&out) != 0 {
        return 2;
    }
    i32::from(traces.iter().any(|t| t.verdict == Verdict::Blocked))
}

#[derive(Serialize)]
struct DnsProbe {
    verdict: Verdict,
    reason: String,
    #[serde(skip)]
    path: Vec<crate::eval::Hop>,
    /// The path as the report writes it, filled for JSON.
    #[serde(rename = "path")]
    path_json: Vec<crate::report::json::PathHop>,
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
                                Some(DnsProbe { verdict: u.verdict, reason: u.reason, path: u.hops, path_json: vec![] }),
                                Some(DnsProbe { verdict: t.verdict, reason: t.reason, path: t.hops, path_json: vec![] }),
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
        return fail(a, no_match(a, &l.model));
    }
    let out = match a.format {
        Format::Json => {
            for t in &mut traces {
                for sv in &mut t.servers {
                    for probe in [&mut sv.udp, &mut sv.tcp].into_iter().flatten() {
                        probe.path_json =
                            crate::report::json::path_hops(&mut l.sources, &probe.path);
                    }
                }
            }
            explain_json(&traces)
        }
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
                return fail(
                    a,
                    Error::Usage(
                        "no DNS path to draw (Azure-provided DNS, or the DNS servers are not \
                         known); use --format human"
                            .into(),
                    ),
                );
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
    if write_stdout(&out) != 0 {
        return 2;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_as_host_port_proto_or_url() {
        let t = parse_target("https://mcr.microsoft.com/").unwrap();
        assert_eq!(t.label(), "mcr.microsoft.com:443/https");
        assert_eq!(t.protocol, Protocol::Tcp);
        let t = parse_target("http://Proxy.corp.example:3128/path?x=1").unwrap();
        assert_eq!(t.label(), "proxy.corp.example:3128/http");
        assert_eq!(
            parse_target("https://user:pw@packages.aks.azure.com")
                .unwrap()
                .label(),
            "packages.aks.azure.com:443/https"
        );
        assert_eq!(
            parse_target("mcr.microsoft.com:443/tcp").unwrap().label(),
            "mcr.microsoft.com:443/tcp"
        );
        assert_eq!(
            parse_target("mcr.microsoft.com:443/HTTPS").unwrap().label(),
            "mcr.microsoft.com:443/https"
        );
        assert_eq!(
            parse_target("10.0.0.4:53/udp").unwrap().protocol,
            Protocol::Udp
        );
        assert_eq!(parse_target("10.0.0.4:53").unwrap().given, "tcp");
        assert_eq!(
            parse_target("https://[2001:db8::1]/").unwrap().label(),
            "2001:db8::1:443/https"
        );
        assert_eq!(
            parse_target("http://[2001:db8::1]:8080").unwrap().port,
            8080
        );
        assert!(
            parse_target("ftp://x")
                .unwrap_err()
                .contains("unknown scheme")
        );
        assert!(
            parse_target("mcr.microsoft.com")
                .unwrap_err()
                .contains("not host:port")
        );
        assert!(
            parse_target("x:99999/tcp")
                .unwrap_err()
                .contains("invalid port")
        );
        assert!(
            parse_target("x:443/sctp")
                .unwrap_err()
                .contains("unknown protocol")
        );
    }
}
