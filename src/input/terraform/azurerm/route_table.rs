//! `azurerm_route_table` (inline `route`) and `azurerm_route`.

use super::super::Ctx;
use super::super::attach::{Attached, Removed};
use super::super::value::V;
use super::{computed_blocks, old_name};
use crate::model::{Known, NextHopType, Route, RoutePrefix, RouteTable};
use crate::source::Origin;
use ipnet::IpNet;

const RT_TYPES: &[&str] = &["azurerm_route_table"];

fn route_of(ctx: &mut Ctx<'_, '_>, i: usize, r: &V<'_>, origin: Origin) -> Route {
    let prefix = match r.get("address_prefix").str() {
        Known::Known(s) => match s.trim().parse::<IpNet>() {
            Ok(n) => Known::Known(RoutePrefix::Cidr(n)),
            Err(_) => Known::Known(RoutePrefix::Tag(s.trim().to_string())),
        },
        Known::Unknown(x) => Known::Unknown(x),
        Known::Absent => Known::Absent,
    };
    let next_hop_type = match r.get("next_hop_type").str() {
        Known::Known(s) => match NextHopType::parse(&s) {
            Some(t) => Known::Known(t),
            None => Known::Unknown(format!("{}: unrecognised next_hop_type `{s}`", r.addr)),
        },
        Known::Unknown(x) => Known::Unknown(x),
        Known::Absent => Known::Absent,
    };
    let nh = r.get("next_hop_in_ip_address");
    let next_hop_ip = ctx.ip_value(i, &nh);
    Route {
        name: r.get("name").str(),
        origin,
        prefix,
        next_hop_type,
        next_hop_ip,
    }
}

/// `bgp_route_propagation_enabled` (4.x+) or the inverted 3.x `disable_bgp_route_propagation`.
fn bgp(v: &V<'_>) -> Known<bool> {
    let new = v.get("bgp_route_propagation_enabled");
    if !new.is_null() {
        return new.bool();
    }
    v.get("disable_bgp_route_propagation")
        .bool()
        .map(|d| !d)
        .or_default_value(true)
}

pub(super) fn route_table(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let mut meta = ctx.meta(i, &v);
    let origin = meta.origin.clone();
    let rv = v.get("route");
    let routes = match computed_blocks(&rv) {
        Known::Known(items) => {
            let mut out = Vec::new();
            for r in items {
                let o = r.origin();
                out.push(route_of(ctx, i, &r, o));
            }
            Known::Known(out)
        }
        other => other.map(|_| vec![]),
    };
    meta.set_field_origin("routes", ctx.field_origin(&rv, &origin));
    let b = bgp(&v);
    let bo = if v.get("bgp_route_propagation_enabled").is_null() {
        ctx.field_origin(&v.get("disable_bgp_route_propagation"), &origin)
    } else {
        ctx.field_origin(&v.get("bgp_route_propagation_enabled"), &origin)
    };
    meta.set_field_origin("bgp_route_propagation", bo);
    ctx.model.route_tables.push(RouteTable {
        meta,
        routes,
        bgp_route_propagation: b,
    });
}

/// The parent route table of a separate route resource.
fn route_parent(ctx: &mut Ctx<'_, '_>, i: usize, v: &V<'_>) -> Known<crate::model::Ref> {
    let rg = v.get("resource_group_name").str();
    ctx.name_ref(i, &v.get("route_table_name"), RT_TYPES, &rg)
}

/// A route resource the plan deletes: its route leaves the route table's echo.
pub(super) fn removed_route(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    if let Known::Known(name) = v.get("name").str() {
        let table = route_parent(ctx, i, &v);
        ctx.pending.removed.push(Removed::Route { table, name });
    }
}

pub(super) fn route(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let origin = ctx.origin(i);
    let parent = route_parent(ctx, i, &v);
    let route = route_of(ctx, i, &v, origin.clone());
    if let Some(name) = old_name(ctx, i, &route.name) {
        ctx.pending.removed.push(Removed::Route {
            table: parent.clone(),
            name,
        });
    }
    ctx.pending.routes.push(Attached {
        parent,
        item: route,
        address: ctx.inst(i).address.to_string(),
        origin,
    });
}
