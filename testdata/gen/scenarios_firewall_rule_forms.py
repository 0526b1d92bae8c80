"""Scenarios: Azure Firewall rule forms (FQDN-tag rules without protocols, classic and policy)
and findings that must name the rule that really causes a denial."""

from __future__ import annotations

TITLE = "Firewall rule forms, and findings that name the real cause"

from azurerm import (R, app_rule, classic_app_collection, classic_app_rule,
                     classic_net_collection, classic_net_rule, ip_group, rule_collection)
from common import (CORE_HTTPS, PUBLIC_API, TAGS_REF, Expect, Finding, Scenario, add_cluster,
                    egress)
from scenarios_firewall_dns_private import (AZURE_CLOUD_REGION, NODE_PREFIXES, add_default_route_to_firewall,
                                            add_firewall, hub_and_spoke, network_collection,
                                            standard_egress_firewall)
from tfplan import Plan

ALL_PUBLIC = CORE_HTTPS + [PUBLIC_API]
RCG = "azurerm_firewall_policy_rule_collection_group.aks"

FQDN_TAG_DOCS = (
    "Microsoft: \"FQDN tags overview\" (https://learn.microsoft.com/azure/firewall/fqdn-tags): an "
    "FQDN tag in an application rule allows the tag's FQDNs; the FQDN-tag rule form carries no "
    "protocols (`New-AzFirewallApplicationRule` and `New-AzFirewallPolicyApplicationRule` take no "
    "`-Protocol` in their `FqdnTag` parameter sets, "
    "https://learn.microsoft.com/powershell/module/az.network/new-azfirewallapplicationrule), "
    "and azurerm's classic `protocol` block is \"not required when specifying fqdn_tags\" "
    "(https://registry.terraform.io/providers/hashicorp/azurerm/latest/docs/resources/"
    "firewall_application_rule_collection): the tag implies HTTP 80 and HTTPS 443. "
    "\"Limit network traffic with Azure Firewall in AKS\" "
    "(https://learn.microsoft.com/azure/aks/limit-egress-traffic) uses the "
    "`AzureKubernetesService` tag for the AKS FQDNs."
)


# ----------------------------------------------------------------------------- FQDN tag rules


def build_classic_fw_fqdn_tag_no_protocol() -> Plan:
    p = Plan()
    n = hub_and_spoke(p)
    add_firewall(p, n, policy=False, dns_proxy=False)
    fw_name = R("azurerm_firewall.hub.name", v="afw-hub-prod-weu")
    p.add("azurerm_firewall_application_rule_collection", "aks",
          classic_app_collection("aks-fqdn-tag", fw_name, n.hub.rg, 200, "Allow", [
              classic_app_rule("aks", NODE_PREFIXES, fqdn_tags=["AzureKubernetesService"],
                               protocols=()),
          ]))
    p.add("azurerm_firewall_network_rule_collection", "aks",
          classic_net_collection("aks-network", fw_name, n.hub.rg, 100, "Allow", [
              classic_net_rule("aks-tunnel-udp", NODE_PREFIXES, ["UDP"], [AZURE_CLOUD_REGION],
                               ["1194"]),
              classic_net_rule("aks-tunnel-tcp", NODE_PREFIXES, ["TCP"], [AZURE_CLOUD_REGION],
                               ["9000"]),
              classic_net_rule("ntp", NODE_PREFIXES, ["UDP"], ["*"], ["123"]),
          ]))
    add_default_route_to_firewall(p, n)
    add_cluster(p, n.spoke, n.nodes, "userDefinedRouting", network_contributor_scope=n.nodes)
    return p


CLASSIC_TAG_README = (
    "Hub-and-spoke with the spoke's 0.0.0.0/0 routed to the hub Azure Firewall "
    "`azurerm_firewall.hub`, which uses classic rule collections (no policy). "
    "`azurerm_firewall_application_rule_collection.aks` (priority 200, Allow) has one rule with "
    "`fqdn_tags = [\"AzureKubernetesService\"]` and, as the FQDN-tag form allows, no `protocol` "
    "block; the network collection allows the tunnel ports and NTP. The tag covers MCR, ARM, "
    "Entra ID, the package hosts and `*.hcp.westeurope.azmk8s.io` on HTTP 80 and HTTPS 443, so "
    "every required HTTPS endpoint is allowed; a rule without protocols must not be read as a "
    "rule that matches nothing. Verdict pass, exit 0. " + FQDN_TAG_DOCS
)


def build_policy_fw_fqdn_tag_no_protocols() -> Plan:
    p = Plan()
    app = rule_collection("aks-fqdn-tag", 200, "Allow", [
        app_rule("aks-service-tag", NODE_PREFIXES, fqdn_tags=["AzureKubernetesService"],
                 protocols=()),
    ])
    standard_egress_firewall(p, app=[app], net=[network_collection()])
    return p


POLICY_TAG_README = (
    "Same hub-and-spoke and route table as `hub-fw-aks-tag` (Firewall Policy with DNS proxy), "
    "but the application rule of `azurerm_firewall_policy_rule_collection_group.aks` lists "
    "`destination_fqdn_tags = [\"AzureKubernetesService\"]` without a `protocols` block, the "
    "policy form of the FQDN-tag rule. No network rule allows Tcp 443, so every HTTPS endpoint "
    "depends on that rule: with the tag's implied HTTP 80 / HTTPS 443 they are all allowed. "
    "Verdict pass, exit 0. " + FQDN_TAG_DOCS
)


# ----------------------------------------------------------------------------- sources


def build_hub_fw_ipgroup_misses_nodes() -> Plan:
    p = Plan()
    app = rule_collection("aks-fqdn-tag", 200, "Allow", [
        app_rule("aks-service-tag", None, fqdn_tags=["AzureKubernetesService"],
                 ip_groups=R("azurerm_ip_group.aks_nodes.id")),
    ])
    n = standard_egress_firewall(p, app=[app], net=[network_collection(api_https=False)])
    p.add("azurerm_ip_group", "aks_nodes",
          ip_group("ipg-aks-nodes", n.hub.rg, n.hub.loc, ["10.2.0.0/22"], tags=TAGS_REF))
    return p


IPGROUP_README = (
    "Same hub-and-spoke as `hub-fw-aks-tag`, but the application rule that allows the "
    "`AzureKubernetesService` FQDN tag takes its sources from the IP group "
    "`azurerm_ip_group.aks_nodes` (`source_ip_groups`), which still holds 10.2.0.0/22, the node "
    "subnet of the previous cluster; this cluster's nodes are in 10.1.0.0/22. No network rule "
    "allows Tcp 443. The rule meant to allow MCR, ARM, Entra ID, the package hosts and the API "
    "server FQDN does not apply to these nodes, so the firewall's default deny drops them. The "
    "finding must name that rule and its IP group (the fix is in the group), not say that no "
    "rule allows the endpoints. Verdict fail, exit 1, FWL005 (not FWL001). Microsoft: \"Azure "
    "Firewall rule processing logic\" (https://learn.microsoft.com/azure/firewall/"
    "rule-processing): a rule matches only traffic from its source addresses or IP groups, and "
    "traffic no rule allows is denied; \"IP Groups in Azure Firewall\" "
    "(https://learn.microsoft.com/azure/firewall/ip-groups)."
)


def build_classic_fw_source_old_subnet() -> Plan:
    p = Plan()
    n = hub_and_spoke(p)
    add_firewall(p, n, policy=False, dns_proxy=False)
    fw_name = R("azurerm_firewall.hub.name", v="afw-hub-prod-weu")
    p.add("azurerm_firewall_application_rule_collection", "aks",
          classic_app_collection("aks-fqdn-tag", fw_name, n.hub.rg, 200, "Allow", [
              classic_app_rule("aks", ["10.1.4.0/22"], fqdn_tags=["AzureKubernetesService"]),
          ]))
    p.add("azurerm_firewall_network_rule_collection", "aks",
          classic_net_collection("aks-network", fw_name, n.hub.rg, 100, "Allow", [
              classic_net_rule("aks-tunnel-udp", NODE_PREFIXES, ["UDP"], [AZURE_CLOUD_REGION],
                               ["1194"]),
              classic_net_rule("aks-tunnel-tcp", NODE_PREFIXES, ["TCP"], [AZURE_CLOUD_REGION],
                               ["9000"]),
              classic_net_rule("ntp", NODE_PREFIXES, ["UDP"], ["*"], ["123"]),
          ]))
    add_default_route_to_firewall(p, n)
    add_cluster(p, n.spoke, n.nodes, "userDefinedRouting", network_contributor_scope=n.nodes)
    return p


CLASSIC_SOURCE_README = (
    "Classic rule collections on `azurerm_firewall.hub` (as in `classic-fw-fqdn-tag-no-protocol`), "
    "but the application rule for the `AzureKubernetesService` tag lists `source_addresses = "
    "[\"10.1.4.0/22\"]`, typed by hand for the node subnet the cluster was planned in, while the "
    "node subnet is 10.1.0.0/22 (the network rules use the subnet's prefixes by reference and "
    "match). The default deny drops every HTTPS endpoint, and the cause is the rule's source, "
    "which misses all the nodes (unlike `hub-fw-source-partial`, where it covers half). Verdict "
    "fail, exit 1, FWL005 naming the rule and 10.1.4.0/22. Microsoft: \"Azure Firewall rule "
    "processing logic\" (https://learn.microsoft.com/azure/firewall/rule-processing)."
)


# ----------------------------------------------------------------------------- registry


def scenarios() -> list[Scenario]:
    ok = egress("system", ALL_PUBLIC, "reachable")
    return [
        Scenario("classic-fw-fqdn-tag-no-protocol",
                 "Classic application rule with fqdn_tags and no protocol block: the tag implies "
                 "HTTP/HTTPS, pass.",
                 CLASSIC_TAG_README, Expect(0, "pass", [], ok),
                 build_classic_fw_fqdn_tag_no_protocol),
        Scenario("policy-fw-fqdn-tag-no-protocols",
                 "Policy application rule with destination_fqdn_tags and no protocols: pass.",
                 POLICY_TAG_README, Expect(0, "pass", [], ok),
                 build_policy_fw_fqdn_tag_no_protocols),
        Scenario("hub-fw-ipgroup-misses-nodes",
                 "The AKS allow rule's source IP group holds another subnet: FWL005 names the "
                 "rule and its IP group.",
                 IPGROUP_README,
                 Expect(1, "fail", ["FWL005"], egress("system", ALL_PUBLIC, "blocked"),
                        [Finding("FWL005", RCG, pool="system",
                                 message="azurerm_ip_group.aks_nodes")]),
                 build_hub_fw_ipgroup_misses_nodes),
        Scenario("classic-fw-source-old-subnet",
                 "Classic AKS allow rule with a typed source prefix that misses the node subnet: "
                 "FWL005.",
                 CLASSIC_SOURCE_README,
                 Expect(1, "fail", ["FWL005"], egress("system", ALL_PUBLIC, "blocked"),
                        [Finding("FWL005", "azurerm_firewall_application_rule_collection.aks",
                                 pool="system", message="10.1.4.0/22")]),
                 build_classic_fw_source_old_subnet),
    ]
