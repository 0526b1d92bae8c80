//! API server authorized IP ranges (public clusters): the cluster's own egress IP must be inside
//! them, or nodes cannot reach the API server (vmssCSE exit 51).
//!
//! The egress IP is often unknown in a plan (a public IP created in the same plan), so coverage
//! is decided symbolically: a range that references the same `azurerm_public_ip` (or the public IP
//! prefix it is allocated from) covers it; literal ranges that neither contain a known IP nor
//! reference it do not.

use super::egress::evaluate_pool;
use super::{Ctx, registry};
use crate::eval::HopKind;
use crate::model::{Cluster, IpSymbol, Known, Model, PrefixValue, PublicIp, Ref};
use crate::report::{Finding, PredictedFailure};

fn exit51() -> Option<PredictedFailure> {
    Some(PredictedFailure {
        error: "VMExtensionError_K8SAPIServerConnFail".into(),
        exit_code: Some(51),
        detail: "the API server refuses connections from the nodes' egress IP (not in the authorized ranges); the provisioning API server check fails".into(),
    })
}

/// Where a pool's internet traffic leaves Azure.
enum Egress {
    /// Public IPs (and prefixes) known to be used for SNAT, with the element that owns them.
    Ips {
        owner: String,
        ips: Vec<Ref>,
        prefixes: Vec<Ref>,
        origin: crate::source::Origin,
    },
    /// The AKS-managed load balancer: AKS adds its outbound IPs to the authorized ranges itself
    /// (`aks_managed::AUTHORIZED_LB_IP`).
    AksLoadBalancer,
    /// Egress IPs that cannot be known before deployment.
    Undecidable(String),
}

fn egress_of(model: &Model, hops: &[crate::eval::Hop]) -> Option<Egress> {
    for h in hops.iter().rev() {
        let addr = h.origin.as_ref().and_then(|o| o.address.clone());
        match h.kind {
            HopKind::Firewall => {
                let fw = model.firewalls.iter().find(|f| addr.as_deref() == Some(f.meta.address()))?;
                return Some(Egress::Ips {
                    owner: format!("Azure Firewall {}", fw.meta.address()),
                    ips: fw.public_ips.clone(),
                    prefixes: vec![],
                    origin: fw.meta.origin.clone(),
                });
            }
            HopKind::NatGateway => {
                if let Some(ng) = model.nat_gateways.iter().find(|n| addr.as_deref() == Some(n.meta.address())) {
                    return Some(Egress::Ips {
                        owner: format!("NAT gateway {}", ng.meta.address()),
                        ips: ng.public_ips.clone(),
                        prefixes: ng.public_ip_prefixes.clone(),
                        origin: ng.meta.origin.clone(),
                        });
                }
                return Some(Egress::Undecidable("the AKS-managed NAT gateway's public IPs are allocated at creation".into()));
            }
            HopKind::LoadBalancer => return Some(Egress::AksLoadBalancer),
            HopKind::PublicIp => return Some(Egress::Undecidable("nodes use instance-level public IPs allocated at creation".into())),
            HopKind::Internet if h.description.contains("default outbound access") => {
                return Some(Egress::Undecidable("default outbound access uses an Azure-chosen IP that cannot be authorized in advance".into()))
            }
            HopKind::Proxy => {
                return Some(Egress::Undecidable("the traffic leaves through the cluster's HTTP proxy, whose public IP is not in the inputs".into()))
            }
            HopKind::Appliance | HopKind::Gateway => {
                return Some(Egress::Undecidable("the traffic leaves through an appliance or gateway whose public IP is not in the inputs".into()))
            }
            _ => {}
        }
    }
    None
}

/// Does `range` cover public IP `ip`?  Known(true/false) or Unknown.
fn covers(model: &Model, range: &PrefixValue, ip_ref: &Ref, ip: Option<&PublicIp>) -> Known<bool> {
    // symbolic: the same public IP, or the prefix it is allocated from
    let same_ip = matches!(&range.symbol, Some(IpSymbol::PublicIp(r)) if r == ip_ref || ip.is_some_and(|p| p.meta.matches(r)));
    let same_prefix = matches!(&range.symbol, Some(IpSymbol::PublicIpPrefix(r))
        if ip.and_then(|p| p.prefix.known()).is_some_and(|pr| pr == r || model.public_ip_prefix(r).is_some_and(|x| x.meta.matches(pr))));
    if same_ip || same_prefix {
        return Known::Known(true);
    }
    match (&range.net, ip.map(|p| &p.ip)) {
        (Known::Known(net), Some(Known::Known(addr))) => Known::Known(net.contains(addr)),
        (Known::Known(net), _) => {
            // the IP is decided at apply; a known prefix it comes from can still be contained
            if let Some(pfx) = ip
                .and_then(|p| p.prefix.known())
                .and_then(|r| model.public_ip_prefix(r))
                .and_then(|p| p.prefix.known())
            {
                if net.contains(pfx) {
                    return Known::Known(true);
                }
            }
            // A literal range that neither contains a known IP nor references it does not cover
            // it: the IP will be allocated from Azure's pool, not from the user's literal range
            // (unless it comes from a public IP prefix whose range is unknown).
            if range.symbol.is_none() && ip.is_none_or(|p| p.prefix.is_absent()) {
                Known::Known(false)
            } else {
                Known::unknown(
                    "the egress IP comes from a public IP prefix whose range is decided at apply",
                )
            }
        }
        (Known::Unknown(w), _) => Known::Unknown(w.clone()),
        (Known::Absent, _) => Known::Known(false),
    }
}

pub fn check(ctx: &Ctx<'_>, cluster: &Cluster, out: &mut Vec<Finding>) {
    if cluster.private_cluster.known() == Some(&true) {
        return; // nodes use the private endpoint; authorized ranges apply to the public one
    }
    let ranges = match &cluster.authorized_ip_ranges {
        Known::Known(r) if !r.is_empty() => r,
        _ => return,
    };
    let model = ctx.model;
    let caddr = cluster.meta.address();
    let ranges_origin = cluster.meta.origin_of("authorized_ip_ranges");
    let reqs = super::egress::cluster_requirements(ctx, cluster);
    let Some(req) = reqs
        .iter()
        .find(|r| r.host.contains(".hcp.") && r.destination.is_some())
        .or_else(|| {
            reqs.iter()
                .find(|r| r.required && r.port == 443 && r.destination.is_some())
        })
    else {
        return;
    };
    let mut seen = vec![];
    for pool in &cluster.node_pools {
        let key = pool.subnet.known().map(|r| r.display()).unwrap_or_default();
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let pname = pool.display_name();
        let res = evaluate_pool(ctx, cluster, pool, req);
        let Some(egress) = egress_of(model, &res.hops) else {
            continue;
        };
        match egress {
            Egress::AksLoadBalancer => {}
            Egress::Undecidable(why) => out.push(
                Finding::new("EGR001", registry::severity("EGR001"), format!("cluster {caddr} restricts the API server to authorized IP ranges, but the egress IP of node pool \"{pname}\" cannot be known before deployment ({why}): whether nodes may reach the API server cannot be proven"))
                    .primary(ranges_origin, "authorized IP ranges")
                    .at_pool(caddr, &pname),
            ),
            Egress::Ips { owner, ips, prefixes, origin, .. } => {
                if ips.is_empty() && prefixes.is_empty() {
                    continue; // no SNAT at all: reported by the egress analysis
                }
                let mut missing = vec![];
                let mut undecided = vec![];
                for r in &ips {
                    let pip = model.public_ip(r);
                    let mut any_unknown = None;
                    let mut covered = false;
                    for range in ranges {
                        match covers(model, range, r, pip) {
                            Known::Known(true) => covered = true,
                            Known::Unknown(w) => any_unknown = Some(w),
                            _ => {}
                        }
                    }
                    let name = pip.map(|p| p.meta.address().to_string()).unwrap_or_else(|| r.display());
                    let shown = match pip.map(|p| &p.ip) {
                        Some(Known::Known(a)) => format!("{name} ({a})"),
                        _ => format!("{name} (address allocated at apply)"),
                    };
                    if covered {
                        continue;
                    }
                    match any_unknown {
                        Some(w) => undecided.push(format!("{shown}: {w}")),
                        None => missing.push((shown, name, pip.map(|p| p.meta.origin.clone()))),
                    }
                }
                for p in &prefixes {
                    let prefix = model.public_ip_prefix(p);
                    let covered = ranges.iter().any(|range| {
                        matches!(&range.symbol, Some(IpSymbol::PublicIpPrefix(x)) if x == p || prefix.is_some_and(|q| q.meta.matches(x)))
                            || matches!((&range.net, prefix.map(|q| &q.prefix)), (Known::Known(n), Some(Known::Known(q))) if n.contains(q))
                    });
                    if !covered {
                        let name = prefix.map(|q| q.meta.address().to_string()).unwrap_or_else(|| p.display());
                        missing.push((format!("public IP prefix {name}"), name, prefix.map(|q| q.meta.origin.clone())));
                    }
                }
                if !missing.is_empty() {
                    let list: Vec<&str> = missing.iter().map(|(s, _, _)| s.as_str()).collect();
                    let first = &missing[0];
                    let mut f = Finding::new("API001", registry::severity("API001"), format!(
                        "the API server authorized IP ranges of cluster {caddr} do not include the egress IP of node pool \"{pname}\": its traffic leaves through {owner} with {}",
                        list.join(", ")))
                        .primary(ranges_origin, "authorized IP ranges")
                        .secondary(&origin, format!("egress through {owner}"))
                        .help(format!("add the egress IP to the authorized ranges, by reference so it stays right when the address changes:\napi_server_access_profile {{\n  authorized_ip_ranges = [\n    # ...existing ranges,\n    \"${{{}.ip_address}}/32\",\n  ]\n}}", first.1))
                        .at_pool(caddr, &pname)
                        .failure(exit51());
                    if let Some(o) = &first.2 {
                        f = f.secondary(o, "the egress public IP");
                    }
                    out.push(f);
                } else if !undecided.is_empty() {
                    out.push(
                        Finding::new("EGR001", registry::severity("EGR001"), format!("whether the API server authorized IP ranges of cluster {caddr} include the egress IP of node pool \"{pname}\" cannot be decided: {}", undecided.join("; ")))
                            .primary(ranges_origin, "authorized IP ranges")
                            .at_pool(caddr, &pname),
                    );
                }
            }
        }
    }
}
