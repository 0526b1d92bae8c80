//! Association resources: subnet <-> NSG / route table / NAT gateway, NAT gateway <-> public IP /
//! public IP prefix. They set a field of another element; the field's origin points at the
//! association.

use super::super::Ctx;
use super::super::attach::{Attached, Removed, SubnetField, SubnetLink};
use super::{NAT_GATEWAY, NSG, PUBLIC_IP, PUBLIC_IP_PREFIX, ROUTE_TABLE, SUBNET};

fn field_of(rtype: &str) -> (SubnetField, &'static str, &'static [&'static str]) {
    match rtype {
        "azurerm_subnet_network_security_group_association" => {
            (SubnetField::Nsg, "network_security_group_id", NSG)
        }
        "azurerm_subnet_route_table_association" => {
            (SubnetField::RouteTable, "route_table_id", ROUTE_TABLE)
        }
        _ => (SubnetField::NatGateway, "nat_gateway_id", NAT_GATEWAY),
    }
}

/// An association the plan deletes: what it set is cleared (unless set again).
pub(super) fn removed_subnet_association(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let (field, attr, want) = field_of(&ctx.inst(i).rtype);
    let subnet = ctx.ref_field(i, &v.get("subnet_id"), SUBNET);
    let value = ctx.ref_field(i, &v.get(attr), want);
    ctx.pending.removed.push(Removed::Association {
        subnet,
        field,
        value,
    });
}

pub(super) fn subnet_association(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let origin = ctx.origin(i);
    let inst = ctx.inst(i);
    let (field, attr, want) = field_of(&inst.rtype);
    let subnet = ctx.ref_field(i, &v.get("subnet_id"), SUBNET);
    let av = v.get(attr);
    let value = ctx.ref_field(i, &av, want);
    let field_origin = ctx.field_origin(&av, &origin);
    ctx.pending.subnet_links.push(SubnetLink {
        subnet,
        field,
        value,
        origin: field_origin,
        address: inst.address.to_string(),
    });
}

pub(super) fn nat_gateway_association(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let origin = ctx.origin(i);
    let inst = ctx.inst(i);
    let prefix = inst.rtype == "azurerm_nat_gateway_public_ip_prefix_association";
    let nat = ctx.ref_field(i, &v.get("nat_gateway_id"), NAT_GATEWAY);
    let attr = if prefix {
        "public_ip_prefix_id"
    } else {
        "public_ip_address_id"
    };
    let want = if prefix { PUBLIC_IP_PREFIX } else { PUBLIC_IP };
    let ip = ctx.ref_field(i, &v.get(attr), want);
    ctx.pending.nat_ips.push(Attached {
        parent: nat,
        item: (ip, prefix),
        address: inst.address.to_string(),
        origin,
    });
}
