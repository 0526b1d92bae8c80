//! `azurerm_nat_gateway`, `azurerm_public_ip`, `azurerm_public_ip_prefix`.

use super::super::Ctx;
use super::{PUBLIC_IP, PUBLIC_IP_PREFIX};
use crate::model::{Known, NatGateway, PublicIp, PublicIpPrefix};
use ipnet::IpNet;
use std::net::IpAddr;

pub(super) fn nat_gateway(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let meta = ctx.meta(i, &v);
    // the data source (and azurerm 2.x) list the IPs on the gateway; otherwise associations do
    let public_ips = ctx
        .ref_list(i, &v.get("public_ip_address_ids"), PUBLIC_IP)
        .into_known()
        .unwrap_or_default();
    let public_ip_prefixes = ctx
        .ref_list(i, &v.get("public_ip_prefix_ids"), PUBLIC_IP_PREFIX)
        .into_known()
        .unwrap_or_default();
    ctx.model.nat_gateways.push(NatGateway {
        meta,
        public_ips,
        public_ip_prefixes,
    });
}

pub(super) fn public_ip(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let meta = ctx.meta(i, &v);
    let ip = match v.get("ip_address").str() {
        Known::Known(s) => match s.trim().parse::<IpAddr>() {
            Ok(ip) => Known::Known(ip),
            Err(_) => Known::Unknown(format!(
                "{}.ip_address `{s}` is not an IP address",
                meta.key
            )),
        },
        Known::Absent if meta.lifecycle == crate::model::Lifecycle::Create => {
            Known::Unknown(format!("{}.ip_address is known only after apply", meta.key))
        }
        other => other.map(|_| IpAddr::from([0, 0, 0, 0])),
    };
    let prefix = ctx.ref_field(i, &v.get("public_ip_prefix_id"), PUBLIC_IP_PREFIX);
    ctx.model.public_ips.push(PublicIp { meta, ip, prefix });
}

pub(super) fn public_ip_prefix(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let meta = ctx.meta(i, &v);
    let prefix = match v.get("ip_prefix").str() {
        Known::Known(s) => match s.trim().parse::<IpNet>() {
            Ok(n) => Known::Known(n),
            Err(_) => Known::Unknown(format!("{}.ip_prefix `{s}` is not a CIDR range", meta.key)),
        },
        other => other.map(|_| IpNet::from(IpAddr::from([0, 0, 0, 0]))),
    };
    ctx.model
        .public_ip_prefixes
        .push(PublicIpPrefix { meta, prefix });
}
