//! Firewall configuration checks that do not depend on one flow: names Azure does not know
//! (FWL003) and FQDN network rules that cannot match without DNS proxy (FWL004). Only firewalls
//! on a node pool's egress or DNS path are checked (a firewall nobody routes to cannot break
//! provisioning).

use super::{Ctx, registry};
use crate::eval::firewall::{self as fw, FirewallNoteKind};
use crate::model::Firewall;
use crate::report::Finding;

/// Check every firewall in the model that some node pool depends on (`used`: firewall keys).
pub fn check(ctx: &Ctx<'_>, used: &[String], out: &mut Vec<Finding>) {
    for firewall in ctx
        .model
        .firewalls
        .iter()
        .filter(|f| used.contains(&f.meta.key))
    {
        names(ctx, firewall, out);
        for note in fw::fqdn_network_rules_without_dns_proxy(ctx.model, firewall) {
            if note.kind != FirewallNoteKind::FqdnNetworkRuleWithoutDnsProxy {
                continue;
            }
            let mut f = Finding::new(
                "FWL004",
                registry::severity("FWL004"),
                format!("firewall {}: {}", firewall.meta.address(), note.message),
            )
            .help(registry::fix("FWL004"));
            if let Some(o) = &note.origin {
                f = f.primary(o, "destination_fqdns in a network rule");
            }
            out.push(f);
        }
    }
}

fn names(ctx: &Ctx<'_>, firewall: &Firewall, out: &mut Vec<Finding>) {
    for n in fw::unknown_names(ctx.model, firewall) {
        let kind = match n.kind {
            "fqdn_tag" => "FQDN tag",
            "service_tag" => "service tag",
            _ => "protocol",
        };
        let suggestion = match &n.closest {
            Some(c) => format!("; did you mean \"{c}\"?"),
            None => String::new(),
        };
        out.push(
            Finding::new(
                "FWL003",
                registry::severity("FWL003"),
                format!("rule {} of firewall {} uses the {kind} \"{}\", which Azure does not know: it matches nothing{suggestion}", n.rule, firewall.meta.address(), n.value),
            )
            .primary(&n.origin, format!("unknown {kind}"))
            .help(match &n.closest {
                Some(c) => format!("replace \"{}\" with \"{c}\"", n.value),
                None => registry::fix("FWL003"),
            }),
        );
    }
}
