//! A cluster's HTTP proxy on the egress path. Nodes send HTTP and HTTPS to the proxy (unless
//! `no_proxy` or AKS's own no-proxy values exempt the destination: see [`crate::eval::proxy`]),
//! so for those flows the path that matters is the one from the node subnet to the proxy
//! (NSG, routes, peering, firewall), which is evaluated like any other; beyond the proxy the
//! verdict is `unknown` unless the config file attests what it lets through (`[[proxy]]`).
//! The proxy itself becomes a required endpoint (`proxy.http` / `proxy.https`), so
//! `requirements` lists what to allow to it, and [`plan`] what it must allow.

use super::Ctx;
use crate::eval::path::reason_without_flow;
use crate::eval::proxy::{ProxyEndpoint, ProxyRoute, ProxySettings};
use crate::eval::{Cause, Destination, Hop, HopKind, PathResult, Protocol, Verdict};
use crate::model::{Cluster, Known};
use crate::policy::{FailureSpec, Requirement};
use serde::Serialize;

/// The cluster's proxy settings: `Known(None)` without a proxy.
pub fn settings(cluster: &Cluster) -> Known<Option<ProxySettings>> {
    match &cluster.http_proxy {
        Known::Known(p) => match ProxySettings::from_model(p) {
            Ok(s) => Known::Known(s),
            Err(e) => Known::Unknown(format!(
                "the HTTP proxy of {} cannot be read: {e}",
                cluster.meta.address()
            )),
        },
        Known::Absent => Known::Known(None),
        Known::Unknown(why) => Known::Unknown(why.clone()),
    }
}

/// The proxy's address: the URL's, or the one the config attests for a named proxy.
fn proxy_ip(ctx: &Ctx<'_>, p: &ProxyEndpoint) -> Option<std::net::IpAddr> {
    p.ip()
        .or_else(|| ctx.config.proxy(&p.host, p.port).and_then(|a| a.ip))
}

/// The proxy endpoints as requirements: nodes must reach them on TCP.
pub fn requirements(ctx: &Ctx<'_>, cluster: &Cluster) -> Vec<Requirement> {
    let Known::Known(Some(s)) = settings(cluster) else {
        return vec![];
    };
    s.endpoints()
        .into_iter()
        .enumerate()
        .map(|(i, p)| proxy_row(ctx, cluster, p, i))
        .collect()
}

/// The requirement of reaching proxy `p` (the `i`-th of the cluster).
fn proxy_row(ctx: &Ctx<'_>, cluster: &Cluster, p: &ProxyEndpoint, i: usize) -> Requirement {
    let ip = proxy_ip(ctx, p);
    Requirement {
        endpoint_id: if i == 0 {
            "proxy".into()
        } else {
            format!("proxy-{}", i + 1)
        },
        host: ip.map_or_else(|| p.host.clone(), |ip| ip.to_string()),
        destination: ip.map(Destination::Ip),
        within: Known::Absent,
        unresolved: if ip.is_none() {
            vec![format!("address of proxy {}", p.host)]
        } else {
            vec![]
        },
        protocol: Protocol::Tcp,
        app_protocol: None,
        port: p.port,
        required: true,
        condition: "http-proxy".into(),
        also_ids: vec![],
        also_conditions: vec![],
        service_tags: vec![],
        purpose: format!(
            "the cluster's HTTP proxy ({}): nodes send their HTTP and HTTPS egress to it",
            p.url
        ),
        source: format!("http_proxy_config of {}", cluster.meta.address()),
        uncertain: false,
        failure: Some(FailureSpec {
            error: "VMExtensionError_OutboundConnFail".into(),
            exit_code: Some(50),
            also_exit_codes: vec![51, 52],
            detail: "the provisioning script reaches MCR through the proxy (curl honours \
                     HTTPS_PROXY): without the proxy the outbound check never gets a response"
                .into(),
        }),
        from_user_config: false,
        note: None,
        location: None,
    }
}

/// Is this requirement a proxy endpoint row (see [`requirements`])?
pub fn is_proxy_row(r: &Requirement) -> bool {
    r.condition == "http-proxy"
}

/// A destination AKS may put in its own no-proxy values: the API server.
fn may_be_injected(r: &Requirement) -> bool {
    r.host.contains(".hcp.")
        || r.endpoint_id.contains("apiserver")
        || r.endpoint_id.ends_with(".hcp")
}

fn unknown(
    reason: String,
    cause: Cause,
    hops: Vec<Hop>,
    origin: Option<crate::source::Origin>,
) -> PathResult {
    PathResult {
        verdict: Verdict::Unknown,
        reason,
        hops,
        cause: Some(cause),
        cause_origin: origin,
    }
}

/// Where the requirement's flow goes, with the proxy in use.
pub fn route(cluster: &Cluster, r: &Requirement) -> Option<Result<ProxyRoute, String>> {
    match settings(cluster) {
        Known::Known(None) | Known::Absent => None,
        Known::Unknown(why) => Some(Err(why)),
        Known::Known(Some(s)) => Some(Ok(s.route(&r.host, r.app_protocol, may_be_injected(r)))),
    }
}

/// The path of `req` for a cluster with a proxy; `None` when the proxy is not involved (no
/// proxy, or the flow bypasses it: the caller evaluates it directly). `direct` evaluates a
/// requirement without the proxy.
pub fn evaluate(
    ctx: &Ctx<'_>,
    cluster: &Cluster,
    req: &Requirement,
    direct: &dyn Fn(&Requirement) -> PathResult,
) -> Option<PathResult> {
    let origin = Some(cluster.meta.origin_of("http_proxy").clone());
    if is_proxy_row(req) {
        if req.destination.is_some() {
            return None;
        }
        let what = format!("{}:{}", req.host, req.port);
        return Some(unknown(
            format!(
                "the HTTP proxy {what} is named by a host name whose address is not in the inputs, so the path to it cannot be checked; attest its address in the config ([[proxy]] with ip)"
            ),
            Cause::ProxyAddressUnknown {
                proxy: what,
                detail: "a host name".into(),
            },
            vec![],
            origin,
        ));
    }
    let route = match route(cluster, req)? {
        Ok(r) => r,
        Err(why) => {
            req.app_protocol?; // only HTTP(S) can use a proxy
            return Some(unknown(
                format!(
                    "whether {} goes through an HTTP proxy is not known: {why}",
                    req.describe()
                ),
                Cause::ProxyAddressUnknown {
                    proxy: "(unknown)".into(),
                    detail: why,
                },
                vec![],
                origin,
            ));
        }
    };
    match route {
        ProxyRoute::Direct(why) => {
            let mut res = direct(req);
            if req.app_protocol.is_some() {
                res.reason = format!("{} (bypasses the HTTP proxy: {why})", res.reason);
            }
            Some(res)
        }
        ProxyRoute::Proxy(p) => Some(through(ctx, cluster, req, &p, direct)),
        ProxyRoute::Either(p, why) => {
            let d = direct(req);
            let v = through(ctx, cluster, req, &p, direct);
            if d.verdict == v.verdict {
                let mut res = if d.verdict == Verdict::Reachable {
                    v
                } else {
                    d
                };
                res.reason = format!(
                    "{} (the same through the proxy {} or straight: {why})",
                    res.reason,
                    p.authority()
                );
                return Some(res);
            }
            let worse = if d.verdict > v.verdict { &d } else { &v };
            Some(unknown(
                format!(
                    "{} may go through the proxy {} or straight ({why}): straight it is {} ({}); through the proxy it is {} ({})",
                    req.describe(),
                    p.authority(),
                    d.verdict.as_str(),
                    reason_without_flow(&d.reason),
                    v.verdict.as_str(),
                    reason_without_flow(&v.reason)
                ),
                Cause::ProxyBypassUndecided {
                    proxy: p.authority(),
                    detail: why,
                },
                worse.hops.clone(),
                worse.cause_origin.clone().or(origin),
            ))
        }
    }
}

/// The path through the proxy: to the proxy (as the proxy row is evaluated), then beyond it by
/// the proxy's attestation.
fn through(
    ctx: &Ctx<'_>,
    cluster: &Cluster,
    req: &Requirement,
    p: &ProxyEndpoint,
    direct: &dyn Fn(&Requirement) -> PathResult,
) -> PathResult {
    let auth = p.authority();
    let origin = Some(cluster.meta.origin_of("http_proxy").clone());
    let row = proxy_row(ctx, cluster, p, 0);
    if row.destination.is_none() {
        return unknown(
            format!(
                "{} goes through the HTTP proxy {auth}, whose address is not in the inputs (a host name): the path to it cannot be checked",
                req.describe()
            ),
            Cause::ProxyAddressUnknown {
                proxy: auth,
                detail: "a host name".into(),
            },
            vec![],
            origin,
        );
    }
    let to_proxy = direct(&row);
    let mut hops = to_proxy.hops.clone();
    let proxy_hop = |v: Option<Verdict>, text: String| Hop {
        kind: HopKind::Proxy,
        description: text,
        origin: origin.clone(),
        verdict: v,
    };
    if to_proxy.verdict != Verdict::Reachable {
        hops.push(proxy_hop(
            Some(to_proxy.verdict),
            format!(
                "HTTP proxy {auth} (http_proxy_config): {} for the nodes",
                to_proxy.verdict.as_str()
            ),
        ));
        return PathResult {
            verdict: to_proxy.verdict,
            reason: format!(
                "{} goes through the HTTP proxy {auth}, and the path to the proxy is {}: {}",
                req.describe(),
                to_proxy.verdict.as_str(),
                reason_without_flow(&to_proxy.reason)
            ),
            hops,
            cause: to_proxy.cause,
            cause_origin: to_proxy.cause_origin,
        };
    }
    let config = &ctx.config;
    match config.proxy(&p.host, p.port) {
        Some(att) => match att.allowing(req) {
            Some(rule) => {
                hops.push(proxy_hop(
                    Some(Verdict::Reachable),
                    format!(
                        "HTTP proxy {auth}: attested allow {} ({})",
                        rule.text, config.name
                    ),
                ));
                PathResult {
                    verdict: Verdict::Reachable,
                    reason: format!(
                        "{} is reachable through the HTTP proxy {auth}: the nodes reach the proxy ({}), and the proxy allows it, as attested in {} ({})",
                        req.describe(),
                        reason_without_flow(&to_proxy.reason),
                        config.name,
                        rule.text
                    ),
                    hops,
                    cause: None,
                    cause_origin: None,
                }
            }
            None => {
                hops.push(proxy_hop(
                    Some(Verdict::Blocked),
                    format!(
                        "HTTP proxy {auth}: no attested allow covers it ({})",
                        config.name
                    ),
                ));
                PathResult {
                    verdict: Verdict::Blocked,
                    reason: format!(
                        "{} goes through the HTTP proxy {auth}, which does not allow it: no entry of its attestation in {} covers it",
                        req.describe(),
                        config.name
                    ),
                    hops,
                    cause: Some(Cause::ProxyDenies { proxy: auth }),
                    cause_origin: origin,
                }
            }
        },
        None => {
            hops.push(proxy_hop(
                Some(Verdict::Unknown),
                format!("HTTP proxy {auth}: what it lets through is not known"),
            ));
            unknown(
                format!(
                    "{} goes through the HTTP proxy {auth}; the nodes reach the proxy ({}), but what the proxy lets through is not in the inputs (attest it in the config: [[proxy]])",
                    req.describe(),
                    reason_without_flow(&to_proxy.reason)
                ),
                Cause::ProxyUnattested { proxy: auth },
                hops,
                origin,
            )
        }
    }
}

/// Did the path stop on the way to the proxy (the proxy hop is not reachable)?
pub fn stopped_before_proxy(res: &PathResult) -> bool {
    res.hops
        .iter()
        .any(|h| h.kind == HopKind::Proxy && h.verdict != Some(Verdict::Reachable))
        && !matches!(
            res.cause,
            Some(Cause::ProxyDenies { .. } | Cause::ProxyUnattested { .. })
        )
}

/// The requirement of reaching the proxy `req` goes through (`None`: it does not use one).
pub fn proxy_requirement(
    ctx: &Ctx<'_>,
    cluster: &Cluster,
    req: &Requirement,
) -> Option<Requirement> {
    match route(cluster, req)? {
        Ok(ProxyRoute::Proxy(p) | ProxyRoute::Either(p, _)) => Some(proxy_row(ctx, cluster, &p, 0)),
        _ => None,
    }
}

/// What `requirements` says about a cluster's proxy.
#[derive(Debug, Clone, Serialize)]
pub struct ProxyPlan {
    /// The proxies (`host:port`) the nodes must reach on TCP.
    pub proxies: Vec<String>,
    /// Requirements (labels) that go through a proxy: the proxy must allow them.
    pub through_proxy: Vec<String>,
    /// Requirements that bypass it, with why.
    pub bypass: Vec<(String, String)>,
    /// Requirements that may go either way (AKS's own no-proxy values): allow both.
    pub either: Vec<(String, String)>,
}

/// The proxy plan of a cluster for its requirements; `None` without a proxy.
pub fn plan(cluster: &Cluster, reqs: &[Requirement]) -> Option<ProxyPlan> {
    let Known::Known(Some(s)) = settings(cluster) else {
        return None;
    };
    let mut p = ProxyPlan {
        proxies: s.endpoints().iter().map(|e| e.authority()).collect(),
        through_proxy: vec![],
        bypass: vec![],
        either: vec![],
    };
    for r in reqs.iter().filter(|r| !is_proxy_row(r)) {
        match s.route(&r.host, r.app_protocol, may_be_injected(r)) {
            ProxyRoute::Proxy(_) => p.through_proxy.push(r.describe()),
            ProxyRoute::Direct(why) => p.bypass.push((r.describe(), why)),
            ProxyRoute::Either(_, why) => p.either.push((r.describe(), why)),
        }
    }
    Some(p)
}
