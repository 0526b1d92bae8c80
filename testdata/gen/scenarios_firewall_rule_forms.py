"""Scenarios: Azure Firewall rule forms (FQDN-tag rules without protocols, classic and policy)
and findings that must name the rule that really causes a denial."""

from __future__ import annotations

TITLE = "Firewall rule forms, and findings that name the real cause"

from azurerm import (R, app_rule, classic_app_collection, classic_app_rule,
                     classic_net_collection, classic_net_rule, rule_collection)
from common import CORE_HTTPS, PUBLIC_API, Expect, Scenario, add_cluster, egress
from scenarios_firewall_dns_private import (AZURE_CLOUD_REGION, NODE_PREFIXES, add_default_route_to_firewall,
                                            add_firewall, hub_and_spoke, network_collection,
                                            standard_egress_firewall)
from tfplan import Plan

ALL_PUBLIC = CORE_HTTPS + [PUBLIC_API]

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
    ]
