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

pub fn run(a: ExplainArgs) -> i32 {
    let mut l = match load(&a.input) {
        Ok(l) => l,
        Err(code) => return code,
    };
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
        if let Some(sel) = &a.cluster {
            if c.meta.address() != sel && c.meta.name.known() != Some(sel) {
                continue;
            }
        }
        let reqs = egress::cluster_requirements(&ctx, c);
        let req = reqs
            .iter()
            .find(|r| r.host.eq_ignore_ascii_case(&host) && r.port == port && r.protocol == proto)
            .cloned()
            .unwrap_or_else(|| adhoc(&host, port, proto));
        for p in &c.node_pools {
            if a.pool
                .as_deref()
                .is_some_and(|sel| p.name.known().map(|n| n.as_str()) != Some(sel))
            {
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
