//! `azurerm_network_security_group` (inline `security_rule`) and `azurerm_network_security_rule`.

use super::super::Ctx;
use super::super::attach::{Attached, Removed};
use super::super::value::V;
use super::{ASG, computed_blocks, old_name, port_ranges};
use crate::model::{Access, AddressMatch, Direction, Known, Nsg, NsgProtocol, SecurityRule};
use crate::source::Origin;

const NSG_TYPES: &[&str] = &["azurerm_network_security_group"];

/// Address items of one side of a rule: the singular prefix, the plural prefixes and the
/// application security groups, together.
fn addresses(ctx: &mut Ctx<'_, '_>, i: usize, r: &V<'_>, side: &str) -> Known<Vec<AddressMatch>> {
    let mut out = Vec::new();
    let single = r.get(&format!("{side}_address_prefix"));
    match single.str() {
        Known::Known(s) => out.push(AddressMatch::parse(&s)),
        Known::Unknown(x) => return Known::Unknown(x),
        Known::Absent => {}
    }
    match r.get(&format!("{side}_address_prefixes")).strings() {
        Known::Known(l) => out.extend(l.iter().map(|s| AddressMatch::parse(s))),
        Known::Unknown(x) => return Known::Unknown(x),
        Known::Absent => {}
    }
    let asg = r.get(&format!("{side}_application_security_group_ids"));
    match ctx.ref_list(i, &asg, ASG) {
        Known::Known(l) => out.extend(l.into_iter().map(AddressMatch::Asg)),
        Known::Unknown(x) => return Known::Unknown(x),
        Known::Absent => {}
    }
    if out.is_empty() {
        Known::Absent
    } else {
        // kept by the model: exactly sized (a pushed-to Vec holds four items)
        out.shrink_to_fit();
        Known::Known(out)
    }
}

/// One rule, inline or separate.
pub(super) fn security_rule(
    ctx: &mut Ctx<'_, '_>,
    i: usize,
    r: &V<'_>,
    origin: Origin,
) -> SecurityRule {
    let addr = r.addr;
    let direction = match r.get("direction").str() {
        Known::Known(s) if s.eq_ignore_ascii_case("inbound") => Known::Known(Direction::Inbound),
        Known::Known(s) if s.eq_ignore_ascii_case("outbound") => Known::Known(Direction::Outbound),
        Known::Known(s) => Known::Unknown(format!("{addr}: unrecognised direction `{s}`")),
        other => other.map(|_| Direction::Inbound),
    };
    let access = match r.get("access").str() {
        Known::Known(s) if s.eq_ignore_ascii_case("allow") => Known::Known(Access::Allow),
        Known::Known(s) if s.eq_ignore_ascii_case("deny") => Known::Known(Access::Deny),
        Known::Known(s) => Known::Unknown(format!("{addr}: unrecognised access `{s}`")),
        other => other.map(|_| Access::Allow),
    };
    let protocol = match r.get("protocol").str() {
        Known::Known(s) => match NsgProtocol::parse(&s) {
            Some(p) => Known::Known(p),
            None => Known::Unknown(format!("{addr}: unrecognised protocol `{s}`")),
        },
        other => other.map(|_| NsgProtocol::Any),
    };
    SecurityRule {
        name: r.get("name").str(),
        origin,
        priority: r.get("priority").u32(),
        direction,
        access,
        protocol,
        source_ports: port_ranges(&r.get("source_port_ranges"), &r.get("source_port_range")),
        destination_ports: port_ranges(
            &r.get("destination_port_ranges"),
            &r.get("destination_port_range"),
        ),
        sources: addresses(ctx, i, r, "source"),
        destinations: addresses(ctx, i, r, "destination"),
    }
}

pub(super) fn nsg(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let meta = ctx.meta(i, &v);
    let rules = match computed_blocks(&v.get("security_rule")) {
        Known::Known(items) => Known::Known(
            items
                .into_iter()
                .map(|r| {
                    let o = r.origin();
                    security_rule(ctx, i, &r, o)
                })
                .collect(),
        ),
        Known::Unknown(r) => Known::Unknown(r),
        Known::Absent => Known::Known(vec![]),
    };
    ctx.model.nsgs.push(Nsg { meta, rules });
}

/// The parent NSG of a separate rule resource.
fn rule_parent(ctx: &mut Ctx<'_, '_>, i: usize, v: &V<'_>) -> Known<crate::model::Ref> {
    let rg = v.get("resource_group_name").str();
    let nv = v.get("network_security_group_name");
    ctx.name_ref(i, &nv, NSG_TYPES, &rg)
}

/// A rule resource the plan deletes: its rule leaves the NSG's echo.
pub(super) fn removed_rule(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    if let Known::Known(name) = v.get("name").str() {
        let nsg = rule_parent(ctx, i, &v);
        ctx.pending.removed.push(Removed::NsgRule { nsg, name });
    }
}

pub(super) fn rule(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let origin = ctx.origin(i);
    let parent = rule_parent(ctx, i, &v);
    let rule = security_rule(ctx, i, &v, origin.clone());
    if let Some(name) = old_name(ctx, i, &rule.name) {
        ctx.pending.removed.push(Removed::NsgRule {
            nsg: parent.clone(),
            name,
        });
    }
    ctx.pending.nsg_rules.push(Attached {
        parent,
        item: rule,
        address: ctx.inst(i).address.to_string(),
        origin,
    });
}
