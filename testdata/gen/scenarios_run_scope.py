"""Scenarios: what a run can vouch for. A plan that leaves no node pool to check, and a cloud
chosen against the cluster's region."""

from __future__ import annotations

TITLE = "What a run can vouch for: nothing to check, the wrong cloud"

from azurerm import (C, R, default_node_pool, kubernetes_cluster, network_profile, nsg, rg_id,
                     subnet, subnet_id, subnet_nsg_association, virtual_network)
from common import (TAGS, TAGS_REF, Expect, Finding, Refs, Scenario, add_cluster, add_subnet,
                    add_vnet, egress, standard_variables)
from scenarios_nsg_routes_outbound import existing_cluster_known, inbound_rules
from tfplan import Plan

RG = "rg-aks-prod-weu"
VNET = "vnet-aks-prod-weu"
SNET = "snet-aks-nodes"
CLUSTER = "aks-prod-weu"

CLOUD_DOCS = (
    "Microsoft: \"Outbound network and FQDN rules for AKS clusters\" "
    "(https://learn.microsoft.com/azure/aks/outbound-rules-control-egress) lists different "
    "required endpoints for the public cloud, Microsoft Azure operated by 21Vianet "
    "(`*.cx.prod.service.azk8s.cn`, `mcr.azk8s.cn`, `login.chinacloudapi.cn`, "
    "`management.chinacloudapi.cn`) and Azure US Government (`*.cx.aks.containerservice.azure.us`, "
    "`login.microsoftonline.us`, `management.usgovcloudapi.net`); China regions are named `china*`, "
    "US Government regions `usgov*` / `usdod*` (\"Azure China 21Vianet\" and \"Azure Government\" "
    "developer guides, https://learn.microsoft.com/azure/china/resources-developer-guide and "
    "https://learn.microsoft.com/azure/azure-government/documentation-government-developer-guide)."
)


# ----------------------------------------------------------------------------- nothing checked


def build_cluster_destroyed() -> Plan:
    p = Plan()
    standard_variables(p)
    p.add("azurerm_resource_group", "aks",
          {"location": C("westeurope"), "managed_by": None, "name": C(RG),
           "tags": R("var.tags", v=TAGS), "timeouts": None},
          action="no-op", known={"id": rg_id(RG)})
    rg = Refs("aks", RG)
    sid = subnet_id(RG, VNET, SNET)
    p.add("azurerm_virtual_network", "aks",
          virtual_network(VNET, rg.rg, rg.loc, ["10.10.0.0/16"], tags=TAGS_REF),
          action="no-op",
          known={"id": f"{rg_id(RG)}/providers/Microsoft.Network/virtualNetworks/{VNET}",
                 "guid": "3e9a1c7d-5b2f-4a8e-b6d0-8c4f2e1a9b57", "dns_servers": [],
                 "subnet": []})
    p.add("azurerm_subnet", "nodes",
          subnet(SNET, rg.rg, R("azurerm_virtual_network.aks.name", v=VNET), ["10.10.0.0/22"]),
          action="no-op", known={"id": sid})
    # the cluster left the configuration: this plan destroys it
    pool = default_node_pool("system", sid)
    p.add("azurerm_kubernetes_cluster", "aks",
          kubernetes_cluster(CLUSTER, RG, "westeurope", CLUSTER, pool,
                             network_profile("loadBalancer"), tags=TAGS),
          schema_version=2, action="delete", config=False,
          action_reason="delete_because_no_resource_config",
          known=existing_cluster_known(RG, CLUSTER))
    return p


CLUSTER_DESTROYED_README = (
    "The cluster stack's plan after the cluster was removed from the configuration: resource "
    "group, VNet and node subnet stay (no-op), and `azurerm_kubernetes_cluster.aks` is deleted "
    "(`delete_because_no_resource_config`; its sensitive `kube_config` must never be printed). "
    "No node pool will be provisioned, so no path can be checked, and a gate that checked "
    "nothing must not say it passed: verdict `nothing-checked`, exit 0 by default and 1 with "
    "`--fail-on unknown`, no rule fired (INP003 notes the deleted cluster, INP008 that no "
    "cluster is left). Microsoft: \"Node provisioning\" failures come from nodes being created "
    "(https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/error-codes/"
    "vmextensionerror-provisioningtimeout); a plan without nodes creates none."
)


# ----------------------------------------------------------------------------- cloud


def lb_cluster_in(p: Plan, location: str) -> None:
    """A public cluster with outbound type loadBalancer in `location`."""
    standard_variables(p)
    p.add("azurerm_resource_group", "aks",
          {"location": C(location), "managed_by": None, "name": C(RG),
           "tags": R("var.tags", v=TAGS), "timeouts": None})
    rg = Refs("aks", RG, location=location)
    add_vnet(p, "aks", rg, VNET, ["10.10.0.0/16"])
    sn = add_subnet(p, "nodes", rg, "aks", VNET, SNET, ["10.10.0.0/22"])
    p.add("azurerm_network_security_group", "nodes",
          nsg("nsg-aks-nodes", rg.rg, rg.loc, rules=inbound_rules(), tags=TAGS_REF))
    p.add("azurerm_subnet_network_security_group_association", "nodes",
          subnet_nsg_association(sn, R("azurerm_network_security_group.nodes.id")))
    add_cluster(p, rg, sn, "loadBalancer", network_contributor_scope=sn)


CLOUD_MISMATCH_README = (
    "The `lb-clean` design (public cluster in `westeurope`, outbound type `loadBalancer`, "
    "inbound-only NSG), checked with the config file `aks-preflight.toml` saying `cloud = "
    "\"china\"` (copied from the team's China pipeline). `westeurope` is a region of the Azure "
    "public cloud: its nodes contact `mcr.microsoft.com`, `login.microsoftonline.com` and "
    "`management.azure.com`, not the China endpoints, so checking the China catalogue would "
    "vouch for endpoints the nodes never use. Verdict fail, exit 1, CLD001 on the cluster's "
    "region. " + CLOUD_DOCS
)

CLOUD_MATCH_README = (
    "The same design in the Azure US Government region `usgovvirginia`, checked with `cloud = "
    "\"usgov\"` in `aks-preflight.toml`: the override agrees with the region, so the US "
    "Government catalogue is the right one (`management.usgovcloudapi.net`, "
    "`login.microsoftonline.us`, `*.hcp.usgovvirginia.cx.aks.containerservice.azure.us`...), every "
    "required endpoint leaves through the AKS load balancer and no CLD001 is raised. Verdict "
    "pass, exit 0. " + CLOUD_DOCS
)


def build_cloud(location: str) -> Plan:
    p = Plan()
    lb_cluster_in(p, location)
    return p


# ----------------------------------------------------------------------------- registry


def scenarios() -> list[Scenario]:
    usgov_hosts = ["mcr.microsoft.com", "management.usgovcloudapi.net",
                   "login.microsoftonline.us"]
    return [
        Scenario("cluster-destroyed",
                 "The plan destroys the only cluster: nothing checked, not a pass.",
                 CLUSTER_DESTROYED_README,
                 Expect(0, "nothing-checked", [], [], [], notes=["no AKS cluster"]),
                 build_cluster_destroyed),
        Scenario("cloud-override-contradicts-region",
                 "cloud = \"china\" for a westeurope cluster: CLD001.",
                 CLOUD_MISMATCH_README,
                 Expect(1, "fail", ["CLD001"], [],
                        [Finding("CLD001", "azurerm_kubernetes_cluster.aks")]),
                 lambda: build_cloud("westeurope"), config='cloud = "china"\n'),
        Scenario("cloud-override-matches-region",
                 "cloud = \"usgov\" for a usgovvirginia cluster: pass.",
                 CLOUD_MATCH_README,
                 Expect(0, "pass", [], egress("system", usgov_hosts, "reachable")),
                 lambda: build_cloud("usgovvirginia"), config='cloud = "usgov"\n'),
    ]
