//! What AKS creates or changes itself when it creates a cluster, as Microsoft documents it. The
//! evaluators take these as given (they are not in the inputs, and need not be):
//!
//! * [`CUSTOM_ZONE_LINK`]: with a custom private DNS zone, AKS links the zone to the cluster's
//!   own VNet, even when the zone is linked to a hub already (`analysis::private`); the cluster
//!   identity needs Private DNS Zone Contributor on the zone for it (AKS001, here).
//! * [`SYSTEM_ZONE`]: with `System`, AKS creates `privatelink.<region>.azmk8s.io` in the node
//!   resource group and links it to the cluster's VNet only (`analysis::private`).
//! * [`NIC_NSG`]: AKS puts a network security group of its own on the node NICs and manages its
//!   rules; it keeps the default outbound rules, so the subnet NSG decides egress (`eval::nsg`
//!   evaluates the subnet NSG only).
//! * [`OUTBOUND_LB`]: outbound type `loadBalancer`: AKS creates the Standard load balancer, a
//!   public IP and the outbound rules (`eval::path`, the load balancer hop).
//! * [`AUTHORIZED_LB_IP`]: with API server authorized IP ranges, AKS adds its load balancer's
//!   outbound IP to them itself (`analysis::authorized`).

use super::{Ctx, registry};
use crate::model::{
    Cluster, ClusterIdentity, Known, ManagedIdentity, Meta, Model, Principal,
    PrivateDnsZoneSetting, Ref, RoleAssignment,
};
use crate::report::{Finding, PredictedFailure};

/// Something AKS does itself, and the page that says so.
pub struct AksDoes {
    pub what: &'static str,
    pub page: &'static str,
}

pub const CUSTOM_ZONE_LINK: AksDoes = AksDoes {
    what: "with a custom private DNS zone, AKS creates a virtual network link from the zone to the VNet that hosts the cluster, even when the zone is linked to a hub VNet already; the cluster identity needs Private DNS Zone Contributor on the zone (and Network Contributor)",
    page: "https://learn.microsoft.com/azure/aks/private-clusters",
};
pub const SYSTEM_ZONE: AksDoes = AksDoes {
    what: "with private_dns_zone_id = System, AKS creates the private DNS zone in the node resource group and links it to the cluster's VNet",
    page: "https://learn.microsoft.com/azure/aks/private-clusters",
};
pub const NIC_NSG: AksDoes = AksDoes {
    what: "AKS manages a network security group on the node NICs (do not modify it; filter with subnet NSGs) and adds the rules load balancer services need",
    page: "https://learn.microsoft.com/azure/aks/concepts-security",
};
pub const OUTBOUND_LB: AksDoes = AksDoes {
    what: "outbound type loadBalancer: AKS creates a public IP for egress and assigns it to the Standard load balancer it creates",
    page: "https://learn.microsoft.com/azure/aks/egress-outboundtype",
};
pub const AUTHORIZED_LB_IP: AksDoes = AksDoes {
    what: "with API server authorized IP ranges, AKS adds the outbound public IP of its Standard load balancer to the ranges by default",
    page: "https://learn.microsoft.com/azure/aks/api-server-authorized-ip-ranges",
};

/// Roles that include `Microsoft.Network/privateDnsZones/*` write on the zone.
const ZONE_ROLES: &[&str] = &["Private DNS Zone Contributor", "Contributor", "Owner"];

/// Does an assignment's scope contain `target` (Yes / No / cannot tell)?
fn scope_covers(a: &RoleAssignment, target: &Meta) -> Known<bool> {
    match &a.scope {
        Known::Known(Ref::Key(k)) if *k == target.key => Known::Known(true),
        Known::Known(Ref::Key(k)) => {
            // another element of the input: a resource group or subscription resource may
            // contain the target, another resource does not
            if k.contains("azurerm_resource_group") || k.contains("subscription") {
                Known::unknown(format!("whether {k} contains {}", target.address()))
            } else {
                Known::Known(false)
            }
        }
        Known::Known(Ref::Id(scope)) => {
            let s = scope.key();
            match &target.id {
                Some(id) => {
                    let t = id.key();
                    Known::Known(t == s || t.starts_with(&format!("{s}/")))
                }
                None => {
                    // the target is created by the plan: a resource group scope by name
                    let parts: Vec<&str> = s.split('/').collect();
                    match (parts.as_slice(), target.resource_group.known()) {
                        (["", "subscriptions", _], _) => Known::unknown("a subscription scope"),
                        (["", "subscriptions", _, "resourcegroups", rg], Some(trg)) => {
                            Known::Known(rg.eq_ignore_ascii_case(trg))
                        }
                        _ => Known::Known(false),
                    }
                }
            }
        }
        Known::Unknown(why) => Known::Unknown(why.clone()),
        Known::Absent => Known::Known(false),
    }
}

/// Is an assignment for this identity?
fn for_identity(model: &Model, a: &RoleAssignment, identity: &ManagedIdentity) -> Known<bool> {
    match &a.principal {
        Known::Known(Principal::Identity(r)) => Known::Known(
            model
                .identity(r)
                .is_some_and(|i| i.meta.same_resource(&identity.meta))
                || identity.meta.matches(r),
        ),
        Known::Known(Principal::Id(id)) => match &identity.principal_id {
            Known::Known(p) => Known::Known(p.eq_ignore_ascii_case(id)),
            _ => Known::unknown("the identity's principal id is known only after apply"),
        },
        Known::Known(Principal::ClusterIdentity(_)) => Known::Known(false),
        Known::Unknown(why) => Known::Unknown(why.clone()),
        Known::Absent => Known::Known(false),
    }
}

/// Does the input grant `identity` one of `roles` on `target`?
fn granted(
    model: &Model,
    identity: &ManagedIdentity,
    roles: &[&str],
    target: &Meta,
) -> Known<bool> {
    let mut unsure = None;
    for a in &model.role_assignments {
        let role = match &a.role {
            Known::Known(r) if roles.iter().any(|x| x.eq_ignore_ascii_case(r)) => {
                Known::Known(true)
            }
            Known::Known(r) if r.starts_with('/') => {
                Known::unknown(format!("role definition {r} is given by id"))
            }
            Known::Known(_) => Known::Known(false),
            Known::Unknown(w) => Known::Unknown(w.clone()),
            Known::Absent => Known::Known(false),
        };
        let parts = [
            role,
            for_identity(model, a, identity),
            scope_covers(a, target),
        ];
        if parts.iter().all(|p| p.known() == Some(&true)) {
            return Known::Known(true);
        }
        if parts.iter().any(|p| p.known() == Some(&false)) {
            continue;
        }
        unsure.get_or_insert_with(|| {
            format!(
                "{} may grant it ({})",
                a.meta.address(),
                parts
                    .iter()
                    .filter_map(|p| p.unknown_reason())
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        });
    }
    match unsure {
        Some(why) => Known::Unknown(why),
        None => Known::Known(false),
    }
}

fn missing_permission() -> Option<PredictedFailure> {
    Some(PredictedFailure {
        error: "CustomPrivateDNSZoneMissingPermissionError".into(),
        exit_code: None,
        detail: "AKS validates the permission when it creates the cluster and rejects the request: no node is created".into(),
    })
}

/// AKS001: the identity AKS uses to link a custom private DNS zone must hold Private DNS Zone
/// Contributor on the zone before the cluster is created. Reported when the inputs show it
/// cannot: a system-assigned identity (it does not exist before the cluster), or a user-assigned
/// identity this plan creates (no other configuration can have granted it a role) with no
/// assignment in the plan that grants it.
pub fn check(ctx: &Ctx<'_>, cluster: &Cluster, out: &mut Vec<Finding>) {
    let model = ctx.model;
    if cluster.private_cluster.known() != Some(&true) {
        return;
    }
    let Known::Known(PrivateDnsZoneSetting::Custom(zref)) = &cluster.private_dns_zone else {
        return;
    };
    let caddr = cluster.meta.address();
    let zone_origin = cluster.meta.origin_of("private_dns_zone");
    let zone_name = model
        .private_dns_zone(zref)
        .map_or_else(|| zref.display(), |z| z.meta.address().to_string());
    let help = format!(
        "{}\n({}: {})",
        registry::fix("AKS001"),
        CUSTOM_ZONE_LINK.page,
        CUSTOM_ZONE_LINK.what
    );
    match &cluster.identity {
        Known::Known(ClusterIdentity::SystemAssigned) | Known::Absent => {
            if cluster.meta.lifecycle != crate::model::Lifecycle::Create {
                return; // an existing cluster got its link when it was created
            }
            out.push(
                Finding::new(
                    "AKS001",
                    registry::severity("AKS001"),
                    format!(
                        "private cluster {caddr} uses the custom private DNS zone {zone_name} with a system-assigned identity: that identity is created with the cluster and holds no role on the zone, so AKS cannot link the zone to the cluster's VNet"
                    ),
                )
                .primary(zone_origin, "custom private DNS zone")
                .secondary(cluster.meta.origin_of("identity"), "system-assigned identity")
                .help(help)
                .at_cluster(caddr)
                .failure(missing_permission()),
            );
        }
        Known::Known(ClusterIdentity::UserAssigned(ids)) => {
            let Some(zone) = model.private_dns_zone(zref) else {
                return; // the zone is not in the inputs: nothing to decide on
            };
            for r in ids {
                let Some(identity) = model.identity(r) else {
                    continue;
                };
                // an identity this plan creates can hold only the roles this plan grants
                if identity.meta.lifecycle != crate::model::Lifecycle::Create {
                    continue;
                }
                if granted(model, identity, ZONE_ROLES, &zone.meta) != Known::Known(false) {
                    continue;
                }
                out.push(
                    Finding::new(
                        "AKS001",
                        registry::severity("AKS001"),
                        format!(
                            "identity {} of private cluster {caddr} has no Private DNS Zone Contributor role on the custom private DNS zone {zone_name}: the plan creates the identity and grants it no such role, so AKS cannot link the zone to the cluster's VNet",
                            identity.meta.address()
                        ),
                    )
                    .primary(&identity.meta.origin, "identity without a role on the zone")
                    .secondary(zone_origin, "custom private DNS zone")
                    .help(format!(
                        "{help}\nresource \"azurerm_role_assignment\" \"aks_private_dns_zone\" {{\n  scope                = {}\n  role_definition_name = \"Private DNS Zone Contributor\"\n  principal_id         = {}\n}}",
                        super::tf_ref(zone.meta.address(), "id"),
                        super::tf_ref(identity.meta.address(), "principal_id")
                    ))
                    .at_cluster(caddr)
                    .failure(missing_permission()),
                );
            }
        }
        _ => {}
    }
}
