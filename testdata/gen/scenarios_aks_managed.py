"""Scenarios: what AKS creates or changes itself when it creates a cluster (the link of a custom
private DNS zone to the cluster's VNet), and the permissions it needs for that."""

from __future__ import annotations

TITLE = "What AKS does itself at create time"

from azurerm import R, U, private_dns_zone, private_dns_zone_link, role_assignment, user_assigned_identity
from common import CORE_HTTPS, TAGS_REF, Expect, Finding, Scenario, add_cluster, egress
from scenarios_firewall_dns_private import hub_and_spoke
from tfplan import Plan

ZONE = "privatelink.westeurope.azmk8s.io"

DOCS = (
    "Microsoft: \"Create a private AKS cluster\" (https://learn.microsoft.com/azure/aks/"
    "private-clusters): a custom private DNS zone needs \"a user-assigned identity or service "
    "principal with the Private DNS Zone Contributor and Network Contributor roles\", and AKS "
    "creates the virtual network link from the zone to the VNet that hosts the cluster even when "
    "the zone is linked to a hub VNet (hub-and-spoke section; Azure/AKS issues 2711, 4841, 4998); "
    "the missing permission fails the creation with CustomPrivateDNSZoneMissingPermissionError "
    "(https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/error-codes/"
    "customprivatednszonemissingpermissions-error). Azure DNS (168.63.129.16) answers a VNet's "
    "queries from the private zones linked to that VNet "
    "(https://learn.microsoft.com/azure/dns/private-dns-virtual-network-links)."
)


def build(identity: str) -> Plan:
    """Private cluster, custom zone created in the plan and linked to the hub only, spoke on
    Azure-provided DNS. ``identity``: "granted" (user-assigned, Private DNS Zone Contributor on
    the zone), "no-role" (user-assigned, Network Contributor only), "system" (system-assigned)."""
    p = Plan()
    n = hub_and_spoke(p)
    p.add("azurerm_private_dns_zone", "aks", private_dns_zone(ZONE, n.hub.rg, tags=TAGS_REF))
    p.add("azurerm_private_dns_zone_virtual_network_link", "hub",
          private_dns_zone_link("link-hub", n.hub.rg, R("azurerm_private_dns_zone.aks.name", v=ZONE),
                                R("azurerm_virtual_network.hub.id"), tags=TAGS_REF))
    kw = {}
    if identity != "system":
        p.add("azurerm_user_assigned_identity", "aks",
              user_assigned_identity("id-aks-prod-weu", n.spoke.rg, n.spoke.loc, tags=TAGS_REF))
        if identity == "granted":
            p.add("azurerm_role_assignment", "aks_dns_zone",
                  role_assignment(R("azurerm_private_dns_zone.aks.id"),
                                  "Private DNS Zone Contributor",
                                  R("azurerm_user_assigned_identity.aks.principal_id")))
        p.add("azurerm_role_assignment", "aks_spoke_network",
              role_assignment(R("azurerm_virtual_network.aks.id"), "Network Contributor",
                              R("azurerm_user_assigned_identity.aks.principal_id")))
        kw["identity_ids"] = R("azurerm_user_assigned_identity.aks.id", v=[U])
    add_cluster(p, n.spoke, n.nodes, "loadBalancer", private=True,
                private_dns_zone=R("azurerm_private_dns_zone.aks.id"), public_fqdn=False, **kw)
    return p


GRANTED_README = (
    "Private cluster in the spoke of a hub-and-spoke (peered both ways), outbound type "
    "`loadBalancer`, with a bring-your-own zone `azurerm_private_dns_zone.aks` "
    "(`privatelink.westeurope.azmk8s.io`) that the plan links to the hub VNet only "
    "(`azurerm_private_dns_zone_virtual_network_link.hub`). The spoke uses Azure-provided DNS "
    "(no `dns_servers`), so the nodes resolve the API server name from the spoke VNet, which has "
    "no link in the plan. AKS creates that link itself when it creates the cluster, acting as "
    "the user-assigned identity `azurerm_user_assigned_identity.aks`, to which the plan grants "
    "Private DNS Zone Contributor on the zone (and Network Contributor on the spoke VNet). The "
    "name resolves; reporting the missing spoke link would be wrong. Verdict pass, exit 0. "
    + DOCS
)

NO_ROLE_README = (
    "As `private-byo-zone-aks-links-spoke`, but the plan grants the new identity only Network "
    "Contributor on the spoke VNet, not Private DNS Zone Contributor on the zone. The identity "
    "is created by this plan, so no other configuration can have granted it a role: AKS cannot "
    "link the zone and rejects the cluster. Verdict fail, exit 1, AKS001 on the identity, with "
    "the role assignment to add. " + DOCS
)

SYSTEM_README = (
    "As `private-byo-zone-aks-links-spoke`, but the cluster keeps the default system-assigned "
    "identity: it is created with the cluster and holds no role on the zone beforehand, so AKS "
    "cannot link the custom zone. Verdict fail, exit 1, AKS001 on the cluster. " + DOCS
)


def scenarios() -> list[Scenario]:
    ok = egress("system", CORE_HTTPS, "reachable")
    return [
        Scenario("private-byo-zone-aks-links-spoke",
                 "Custom zone linked to the hub only, spoke on Azure DNS: AKS links the spoke "
                 "itself (identity has the role), pass.",
                 GRANTED_README, Expect(0, "pass", [], ok), lambda: build("granted")),
        Scenario("private-byo-zone-identity-without-role",
                 "Custom zone; the new user-assigned identity lacks Private DNS Zone Contributor: "
                 "AKS001.",
                 NO_ROLE_README,
                 Expect(1, "fail", ["AKS001"], [],
                        [Finding("AKS001", "azurerm_user_assigned_identity.aks",
                                 message="Private DNS Zone Contributor")]),
                 lambda: build("no-role")),
        Scenario("private-byo-zone-system-identity",
                 "Custom zone with a system-assigned identity: AKS001.",
                 SYSTEM_README,
                 Expect(1, "fail", ["AKS001"], [],
                        [Finding("AKS001", "azurerm_kubernetes_cluster.aks",
                                 message="system-assigned")]),
                 lambda: build("system")),
    ]
