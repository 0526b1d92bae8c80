//! Outbound type requirements: what the node subnets must have for the cluster's outbound type.

use super::{Ctx, registry};
use crate::model::{Cluster, Known, NextHopType, OutboundType, RoutePrefix, Subnet};
use crate::report::{Finding, PredictedFailure};

fn exit50() -> Option<PredictedFailure> {
    Some(PredictedFailure {
        error: "VMExtensionError_OutboundConnFail".into(),
        exit_code: Some(50),
        detail: "the provisioning outbound check (curl https://mcr.microsoft.com/v2/) never gets a response".into(),
    })
}

/// Check the outbound type of `cluster` against its node subnets.
pub fn check(ctx: &Ctx<'_>, cluster: &Cluster, out: &mut Vec<Finding>) {
    let Known::Known(ot) = &cluster.outbound_type else {
        return;
    };
    let caddr = cluster.meta.address();
    let ot_origin = cluster.meta.origin_of("outbound_type");
    let mut seen_subnets: Vec<String> = vec![];
    // NAT gateways without public IPs, whatever the outbound type (a NAT gateway on the subnet
    // overrides every other outbound method).
    for pool in &cluster.node_pools {
        let pname = pool.display_name();
        let subnet: Option<&Subnet> = pool.subnet.known().and_then(|r| ctx.model.subnet(r));
        let sub_label = subnet
            .map(|s| s.meta.address().to_string())
            .unwrap_or_else(|| "the node subnet".into());
        match ot {
            OutboundType::UserDefinedRouting => match (&pool.subnet, subnet) {
                (Known::Absent, _) => out.push(
                    Finding::new("RTE002", registry::severity("RTE002"), format!("outbound type userDefinedRouting but node pool \"{pname}\" has no vnet_subnet_id: userDefinedRouting needs your own subnet with a route table"))
                        .primary(ot_origin, "outbound type set here")
                        .secondary(&pool.origin, "node pool without vnet_subnet_id")
                        .help(registry::fix("RTE002"))
                        .at_pool(caddr, &pname)
                        .failure(exit50()),
                ),
                (_, Some(s)) => check_udr_subnet(ctx, cluster, &pname, s, out),
                _ => {}
            },
            OutboundType::UserAssignedNatGateway => {
                if let Some(s) = subnet {
                    if s.nat_gateway.is_absent() && !seen_subnets.contains(&s.meta.key) {
                        out.push(
                            Finding::new("NAT001", registry::severity("NAT001"), format!("outbound type userAssignedNATGateway but subnet {sub_label} of node pool \"{pname}\" has no NAT gateway"))
                                .primary(&s.meta.origin, "subnet without a NAT gateway association")
                                .secondary(ot_origin, "outbound type set here")
                                .help(registry::fix("NAT001"))
                                .at_pool(caddr, &pname)
                                .failure(exit50()),
                        );
                    }
                }
            }
            OutboundType::ManagedNatGateway | OutboundType::ManagedNatGatewayV2 if !pool.subnet.is_absent() => {
                {
                    out.push(
                        Finding::new("NAT002", registry::severity("NAT002"), format!("outbound type {} is only supported with an AKS-managed VNet, but node pool \"{pname}\" sets a subnet ({sub_label})", ot.as_str()))
                            .primary(&pool.subnet_origin, "custom subnet set here")
                            .secondary(ot_origin, "outbound type set here")
                            .help(registry::fix("NAT002"))
                            .at_pool(caddr, &pname),
                    );
                }
            }
            _ => {}
        }
        // NAT gateway without public IPs
        if let Some(s) = subnet {
            if seen_subnets.contains(&s.meta.key) {
                continue;
            }
            seen_subnets.push(s.meta.key.clone());
            if let Some(nat) = s.nat_gateway.known().and_then(|r| ctx.model.nat_gateway(r)) {
                if nat.public_ips.is_empty() && nat.public_ip_prefixes.is_empty() {
                    out.push(
                        Finding::new("NAT003", registry::severity("NAT003"), format!("NAT gateway {} on subnet {sub_label} (node pool \"{pname}\") has no public IP or public IP prefix", nat.meta.address()))
                            .primary(&nat.meta.origin, "NAT gateway without public addresses")
                            .secondary(s.meta.origin_of("nat_gateway"), "associated with the node subnet here")
                            .help(registry::fix("NAT003"))
                            .at_pool(caddr, &pname)
                            .failure(exit50()),
                    );
                }
            }
        }
    }
}

fn check_udr_subnet(
    ctx: &Ctx<'_>,
    cluster: &Cluster,
    pname: &str,
    s: &Subnet,
    out: &mut Vec<Finding>,
) {
    let caddr = cluster.meta.address();
    let ot_origin = cluster.meta.origin_of("outbound_type");
    let sub = s.meta.address();
    match &s.route_table {
        Known::Absent => out.push(
            Finding::new("RTE002", registry::severity("RTE002"), format!("outbound type userDefinedRouting but subnet {sub} of node pool \"{pname}\" has no route table"))
                .primary(&s.meta.origin, "subnet without a route table association")
                .secondary(ot_origin, "outbound type set here")
                .help(registry::fix("RTE002"))
                .at_pool(caddr, pname)
                .failure(exit50()),
        ),
        Known::Unknown(_) => {}
        Known::Known(r) => {
            let Some(rt) = ctx.model.route_table(r) else {
                return; // missing route table: the path analysis reports it as unknown
            };
            let Known::Known(routes) = &rt.routes else {
                return;
            };
            let default = routes.iter().find(|rt| {
                matches!(&rt.prefix, Known::Known(RoutePrefix::Cidr(n)) if n.prefix_len() == 0 && n.addr().is_ipv4())
            });
            match default {
                None => {
                    // an unknown prefix might be the default route
                    if routes.iter().any(|r| r.prefix.is_unknown()) {
                        return;
                    }
                    out.push(
                        Finding::new("RTE003", registry::severity("RTE003"), format!("outbound type userDefinedRouting but route table {} of subnet {sub} (node pool \"{pname}\") has no 0.0.0.0/0 route", rt.meta.address()))
                            .primary(&rt.meta.origin, "route table without a default route")
                            .secondary(s.meta.origin_of("route_table"), "associated with the node subnet here")
                            .secondary(ot_origin, "outbound type set here")
                            .help(format!("{}\nroute {{\n  name                   = \"default-to-firewall\"\n  address_prefix         = \"0.0.0.0/0\"\n  next_hop_type          = \"VirtualAppliance\"\n  next_hop_in_ip_address = azurerm_firewall.<name>.ip_configuration[0].private_ip_address\n}}", registry::fix("RTE003")))
                            .at_pool(caddr, pname)
                            .failure(exit50()),
                    );
                }
                Some(route) => {
                    if route.next_hop_type == Known::Known(NextHopType::Internet) {
                        out.push(
                            Finding::new("RTE004", registry::severity("RTE004"), format!("outbound type userDefinedRouting but the default route \"{}\" of {} (subnet {sub}, node pool \"{pname}\") has next hop Internet", route.display_name(), rt.meta.address()))
                                .primary(&route.origin, "next hop Internet")
                                .secondary(ot_origin, "outbound type set here")
                                .help(registry::fix("RTE004"))
                                .at_pool(caddr, pname)
                                .failure(Some(PredictedFailure {
                                    error: "RouteTableInvalidNextHop".into(),
                                    exit_code: None,
                                    detail: "AKS rejects the cluster at creation: a userDefinedRouting default route must point at a virtual appliance or gateway".into(),
                                })),
                        );
                    }
                }
            }
        }
    }
}
