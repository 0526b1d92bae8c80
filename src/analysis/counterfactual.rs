//! Counterfactual models, to find the root cause of a firewall denial: "would this endpoint be
//! allowed if the misspelt names were spelt right?" (FWL003), "...if DNS proxy were on?"
//! (FWL004). When the answer is yes, that finding explains the denial and no separate
//! per-endpoint FWL001 is reported.

use crate::eval::firewall as fw;
use crate::model::{
    AddressMatch, AppProtocol, FirewallRule, Known, Model, NetProtocol, RuleCollection,
};
use std::sync::Arc;

/// `build(model)` (one of the counterfactuals below), built once per finished model and shared
/// by every cluster's analysis (a copy of a large estate, and its firewalls' prepared rule sets,
/// are built once); built for this one use when the model is not finished.
pub fn shared(
    model: &Model,
    kind: &'static str,
    build: fn(&Model) -> Option<Model>,
) -> Arc<Option<Model>> {
    model
        .derived(kind, 0, || build(model))
        .unwrap_or_else(|| Arc::new(build(model)))
}

/// The model with every unknown FQDN tag, protocol and service tag in firewall rules replaced by
/// its closest known name (when there is one). `None` when nothing would change.
pub fn with_names_corrected(model: &Model) -> Option<Model> {
    let mut pairs: Vec<(&'static str, String, String)> = vec![];
    for f in &model.firewalls {
        for n in fw::unknown_names(model, f) {
            if let Some(c) = n.closest {
                pairs.push((n.kind, n.value, c));
            }
        }
    }
    if pairs.is_empty() {
        return None;
    }
    let fix = |kind: &str, v: &str| -> Option<String> {
        pairs
            .iter()
            .find(|(k, val, _)| *k == kind && val == v)
            .map(|(_, _, c)| c.clone())
    };
    let fix_collection = |c: &mut RuleCollection| {
        for r in &mut c.rules {
            match r {
                FirewallRule::Application(a) => {
                    for p in &mut a.protocols {
                        if let Err(text) = &p.protocol {
                            if let Some(c) = fix("protocol", text) {
                                p.protocol = match c.to_ascii_lowercase().as_str() {
                                    "http" => Ok(AppProtocol::Http),
                                    "https" => Ok(AppProtocol::Https),
                                    "mssql" => Ok(AppProtocol::Mssql),
                                    _ => Err(text.clone()),
                                };
                            }
                        }
                    }
                    for t in &mut a.fqdn_tags {
                        if let Some(c) = fix("fqdn_tag", t) {
                            *t = c;
                        }
                    }
                }
                FirewallRule::Network(n) => {
                    for p in &mut n.protocols {
                        if let NetProtocol::Other(text) = p {
                            if let Some(c) = fix("protocol", text) {
                                *p = match c.to_ascii_lowercase().as_str() {
                                    "tcp" => NetProtocol::Tcp,
                                    "udp" => NetProtocol::Udp,
                                    "icmp" => NetProtocol::Icmp,
                                    "any" => NetProtocol::Any,
                                    _ => NetProtocol::Other(text.clone()),
                                };
                            }
                        }
                    }
                    for d in &mut n.destination_addresses {
                        if let AddressMatch::Tag(t) = d {
                            if let Some(c) = fix("service_tag", t) {
                                *t = c;
                            }
                        }
                    }
                }
                FirewallRule::Nat(_) => {}
            }
        }
    };
    let mut m = model.clone();
    for g in &mut m.rule_collection_groups {
        g.collections.iter_mut().for_each(fix_collection);
    }
    for f in &mut m.firewalls {
        f.collections.iter_mut().for_each(fix_collection);
    }
    m.finish();
    Some(m)
}

/// The model with DNS proxy enabled on every firewall and firewall policy. `None` when every
/// firewall already has it on.
pub fn with_dns_proxy(model: &Model) -> Option<Model> {
    if model
        .firewalls
        .iter()
        .all(|f| fw::dns_proxy_enabled(model, f) == Known::Known(true))
    {
        return None;
    }
    let mut m = model.clone();
    for p in &mut m.firewall_policies {
        p.dns_proxy = Known::Known(true);
    }
    for f in &mut m.firewalls {
        f.dns_proxy = Known::Known(true);
    }
    m.finish();
    Some(m)
}
