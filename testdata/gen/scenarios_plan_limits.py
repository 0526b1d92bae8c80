"""Scenarios: what a plan cannot know. A pre-existing VNet, firewall policy or subnet may have
peerings, rule collection groups or associations that other configurations manage: their
absence from the plan proves nothing, so the verdict is unknown, not blocked."""

from __future__ import annotations

TITLE = "What a plan cannot know about resources that exist already"

from azurerm import (C, R, firewall, firewall_policy, net_id, nsg, public_ip, rg_id, route_item,
                     route_table, rule_collection_group, subnet, subnet_id, virtual_network)
from common import (CORE_HTTPS, PUBLIC_API, TAGS, TAGS_REF, Egress, Expect, Finding, Refs,
                    Scenario, add_cluster, add_subnet, egress, standard_variables)
from scenarios_firewall_dns_private import (HUB_RG, HUB_VNET, add_default_route_to_firewall,
                                            aks_tag_collection, hub_and_spoke, network_collection)
from scenarios_nsg_routes_outbound import inbound_rules
from tfplan import Plan

RG = "rg-aks-prod-weu"
VNET = "vnet-aks-prod-weu"
SNET = "snet-aks-nodes"
NODES = ["10.1.0.0/22"]
ALL_PUBLIC = CORE_HTTPS + [PUBLIC_API]
SPOKE_ID = net_id(RG, "virtualNetworks", VNET)
HUB_ID = net_id(HUB_RG, "virtualNetworks", HUB_VNET)
POLICY_ID = net_id(HUB_RG, "firewallPolicies", "afwp-hub-prod-weu")
FW_IP = "10.0.1.4"

PEERING_DOCS = (
    "Microsoft: \"Virtual network peering\" "
    "(https://learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview): "
    "traffic flows between peered VNets only when a peering exists in each of them; "
    "\"Virtual network traffic routing\" "
    "(https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview): "
    "peering adds a route for the peer's address space, and private ranges outside every known "
    "address space go to next hop None. A peering is a child of its VNet: the configuration "
    "that manages it may not be the one that manages the cluster."
)


def existing_spoke(p: Plan, *, dns_servers=None, echo: dict | None = None) -> tuple[Refs, str]:
    """Existing resource group, spoke VNet (no-op; its subnet echo states the node subnet's
    associations) and node subnet resource (no-op)."""
    standard_variables(p)
    p.add("azurerm_resource_group", "aks",
          {"location": C("westeurope"), "managed_by": None, "name": C(RG),
           "tags": R("var.tags", v=TAGS), "timeouts": None},
          action="no-op", known={"id": rg_id(RG)})
    rg = Refs("aks", RG)
    sid = subnet_id(RG, VNET, SNET)
    sub_echo = {
        "address_prefixes": NODES, "default_outbound_access_enabled": True, "delegation": [],
        "id": sid, "name": SNET, "private_endpoint_network_policies": "Disabled",
        "private_link_service_network_policies_enabled": True, "route_table_id": "",
        "security_group": "", "service_endpoint_policy_ids": [], "service_endpoints": [],
    }
    sub_echo.update(echo or {})
    p.add("azurerm_virtual_network", "aks",
          virtual_network(VNET, rg.rg, rg.loc, ["10.1.0.0/16"], dns_servers=dns_servers,
                          tags=TAGS_REF),
          action="no-op",
          known={"id": SPOKE_ID, "guid": "7d2c9e41-0a6b-4f3e-8c15-2e9b4d7a1f08",
                 "dns_servers": dns_servers or [], "subnet": [sub_echo]})
    p.add("azurerm_subnet", "nodes",
          subnet(SNET, rg.rg, R("azurerm_virtual_network.aks.name", v=VNET), NODES),
          action="no-op", known={"id": sid})
    return rg, sid


# ----------------------------------------------------------------------------- peerings


def build_existing_spoke_peering_elsewhere() -> Plan:
    p = Plan()
    nsg_id = net_id(RG, "networkSecurityGroups", "nsg-aks-nodes")
    rt_id = net_id(RG, "routeTables", "rt-aks-nodes")
    rg, sid = existing_spoke(p, echo={"security_group": nsg_id, "route_table_id": rt_id})
    p.add("azurerm_network_security_group", "nodes",
          nsg("nsg-aks-nodes", rg.rg, rg.loc, rules=inbound_rules("10.1.0.0/22"), tags=TAGS_REF),
          action="no-op", known={"id": nsg_id})
    p.add("azurerm_route_table", "aks",
          route_table("rt-aks-nodes", rg.rg, rg.loc,
                      routes=[route_item("default-to-firewall", "0.0.0.0/0", "VirtualAppliance",
                                         FW_IP)],
                      bgp_propagation=False, tags=TAGS_REF),
          action="no-op", known={"id": rt_id, "subnets": [sid]})
    # the hub is the network team's: read through data sources
    p.add("azurerm_virtual_network", "hub", {
        "address_space": ["10.0.0.0/16"], "dns_servers": [],
        "guid": "c4e8a1d2-6b3f-4e9a-8d07-1f5c2b9e6a34", "location": "westeurope",
        "name": C(HUB_VNET), "resource_group_name": C(HUB_RG),
        "subnets": ["AzureFirewallSubnet", "snet-dns"], "tags": {"owner": "network-team"},
        "timeouts": None,
        "vnet_peerings": {"peer-hub-to-aks": SPOKE_ID},
        "vnet_peerings_addresses": ["10.1.0.0/16"],
    }, mode="data", action="state", known={"id": HUB_ID})
    p.add("azurerm_firewall", "hub", {
        "dns_proxy_enabled": None, "dns_servers": None, "firewall_policy_id": POLICY_ID,
        "ip_configuration": [{"name": "configuration", "private_ip_address": FW_IP,
                              "public_ip_address_id": net_id(HUB_RG, "publicIPAddresses",
                                                             "pip-afw-hub-prod-weu"),
                              "subnet_id": subnet_id(HUB_RG, HUB_VNET, "AzureFirewallSubnet")}],
        "location": "westeurope", "management_ip_configuration": [],
        "name": C("afw-hub-prod-weu"), "resource_group_name": C(HUB_RG), "sku_name": "AZFW_VNet",
        "sku_tier": "Standard", "tags": {"owner": "network-team"}, "threat_intel_mode": "",
        "timeouts": None, "virtual_hub": [], "zones": ["1", "2", "3"],
    }, mode="data", action="state", known={"id": net_id(HUB_RG, "azureFirewalls",
                                                         "afw-hub-prod-weu")})
    p.add("azurerm_firewall_policy", "hub", {
        "base_policy_id": "", "child_policies": [],
        "dns": [{"proxy_enabled": True, "servers": []}], "firewalls": [],
        "location": "westeurope", "name": C("afwp-hub-prod-weu"),
        "resource_group_name": C(HUB_RG), "rule_collection_groups": [],
        "tags": {"owner": "network-team"}, "threat_intelligence_allowlist": [],
        "threat_intelligence_mode": "Alert", "timeouts": None,
    }, mode="data", action="state", known={"id": POLICY_ID})
    # this stack adds the AKS rules to the hub policy
    p.add("azurerm_firewall_policy_rule_collection_group", "aks",
          rule_collection_group("rcg-aks-egress",
                                R("data.azurerm_firewall_policy.hub.id", v=POLICY_ID), 200,
                                app=[aks_tag_collection()],
                                net=[network_collection(api_https=True)]))
    add_cluster(p, rg, R("azurerm_subnet.nodes.id", v=sid), "userDefinedRouting")
    return p


PEERING_ELSEWHERE_README = (
    "The spoke (resource group, VNet `azurerm_virtual_network.aks`, node subnet, NSG and route "
    "table) exists already (no-op); the route table sends 0.0.0.0/0 to the hub Azure Firewall "
    "10.0.1.4. The hub is the network team's and is read through data sources: "
    "`data.azurerm_virtual_network.hub` lists one peering, `peer-hub-to-aks` to the spoke, "
    "`data.azurerm_firewall.hub` gives the firewall, `data.azurerm_firewall_policy.hub` its "
    "policy (DNS proxy on, no rule collection group yet), to which this plan adds the AKS rule "
    "collection group (the `hub-fw-aks-tag` rules). No spoke-to-hub peering is in the plan: the "
    "spoke's peerings are managed by the hub team's configuration too, as often. The spoke VNet "
    "exists already, so the missing peering proves nothing: the path to the firewall is "
    "`unknown`, with a finding that says where the peering would have to come from, never "
    "`blocked`. Verdict unknown, exit 0 (1 with `--fail-on unknown`), PER002 on the spoke VNet. "
    + PEERING_DOCS
)


def build_existing_spoke_dns_peer_elsewhere() -> Plan:
    p = Plan()
    rg, sid = existing_spoke(p, dns_servers=["10.0.2.4"])
    add_cluster(p, rg, R("azurerm_subnet.nodes.id", v=sid), "loadBalancer")
    return p


DNS_PEER_ELSEWHERE_README = (
    "The spoke VNet `azurerm_virtual_network.aks` exists already (no-op; its refreshed subnet "
    "list shows the node subnet without NSG or route table) and uses the DNS server 10.0.2.4, a "
    "VM in the hub VNet 10.0.0.0/16 that this plan does not contain; the peerings are managed "
    "by the network team's configuration. The new cluster (outbound type `loadBalancer`) "
    "reaches every public endpoint. Whether 10.0.2.4 is reachable on 53 depends on a peering "
    "the plan cannot see: without one, 10.0.0.0/8 goes to next hop None; with one, the hub is "
    "reached. The DNS server is `unknown` (DNS003: neither the server nor the path can be "
    "verified), not unreachable (no DNS001). Verdict unknown, exit 0. " + PEERING_DOCS
)


# ----------------------------------------------------------------------------- policy groups


def build_existing_policy(all_groups: bool) -> Plan:
    p = Plan()
    n = hub_and_spoke(p)
    groups = [] if all_groups else [net_id(HUB_RG, "firewallPolicies", "afwp-hub-prod-weu",
                                           "ruleCollectionGroups", "rcg-hub-baseline")]
    p.add("azurerm_firewall_policy", "hub",
          firewall_policy("afwp-hub-prod-weu", HUB_RG, "westeurope", dns_proxy=True,
                          tags=TAGS_REF),
          action="no-op",
          known={"id": POLICY_ID, "child_policies": [], "firewalls": [],
                 "rule_collection_groups": groups})
    # a new firewall in the new hub, with the existing policy
    add_subnet(p, "firewall", n.hub, "hub", HUB_VNET, "AzureFirewallSubnet", ["10.0.1.0/26"])
    p.add("azurerm_public_ip", "fw", public_ip("pip-afw-hub-prod-weu", n.hub.rg, n.hub.loc,
                                               zones=["1", "2", "3"], tags=TAGS_REF))
    p.add("azurerm_firewall", "hub",
          firewall("afw-hub-prod-weu", n.hub.rg, n.hub.loc, R("azurerm_subnet.firewall.id"),
                   R("azurerm_public_ip.fw.id"), R("azurerm_firewall_policy.hub.id", v=POLICY_ID),
                   zones=["1", "2", "3"], tags=TAGS_REF))
    p.add("azurerm_firewall_policy_rule_collection_group", "aks",
          rule_collection_group("rcg-aks-egress", R("azurerm_firewall_policy.hub.id",
                                                    v=POLICY_ID), 200,
                                app=[aks_tag_collection()],
                                net=[network_collection(api_https=True)]))
    add_default_route_to_firewall(p, n)
    add_cluster(p, n.spoke, n.nodes, "userDefinedRouting", network_contributor_scope=n.nodes)
    return p


POLICY_DOCS = (
    "Microsoft: \"Azure Firewall rule processing logic\" "
    "(https://learn.microsoft.com/azure/firewall/rule-processing): the firewall processes every "
    "rule collection group of its policy by priority, and the first matching collection decides; "
    "a rule collection group is a child resource of the policy that any configuration can "
    "manage (https://registry.terraform.io/providers/hashicorp/azurerm/latest/docs/resources/"
    "firewall_policy: `rule_collection_groups` lists the groups of an existing policy)."
)

POLICY_UNSEEN_README = (
    "The hub-and-spoke of `hub-fw-aks-tag`, except that the firewall policy "
    "`azurerm_firewall_policy.hub` exists already (no-op, DNS proxy on): its refreshed "
    "`rule_collection_groups` lists `rcg-hub-baseline`, a group the network team manages in "
    "another configuration and that is not in this plan. This plan adds `rcg-aks-egress` "
    "(priority 200), whose rules allow every required endpoint. Whether the baseline group, with "
    "a priority the plan does not show, denies something first cannot be decided: every "
    "endpoint through the firewall is `unknown`, not `reachable`. Verdict unknown, exit 0, "
    "EGR001 on the firewall. " + POLICY_DOCS
)

POLICY_ALL_README = (
    "As `existing-policy-unseen-groups`, but the existing policy's refreshed "
    "`rule_collection_groups` is empty: the group this plan adds is the only one, so the rules "
    "in the plan are all the rules, and the firewall allows every required endpoint. Verdict "
    "pass, exit 0. " + POLICY_DOCS
)


# ----------------------------------------------------------------------------- associations


def build_existing_subnet_association_elsewhere() -> Plan:
    p = Plan()
    standard_variables(p)
    p.add("azurerm_resource_group", "aks",
          {"location": C("westeurope"), "managed_by": None, "name": C(RG),
           "tags": R("var.tags", v=TAGS), "timeouts": None},
          action="no-op", known={"id": rg_id(RG)})
    rg = Refs("aks", RG)
    sid = subnet_id(RG, VNET, SNET)
    # the VNet is the platform team's: the data source lists subnet names only
    p.add("azurerm_virtual_network", "aks", {
        "address_space": ["10.1.0.0/16"], "dns_servers": [],
        "guid": "5b1e9c3a-7d2f-4a6e-9b08-3c4d1e2f5a67", "location": "westeurope",
        "name": C(VNET), "resource_group_name": C(RG), "subnets": [SNET],
        "tags": {"owner": "platform-team"}, "timeouts": None, "vnet_peerings": {},
        "vnet_peerings_addresses": [],
    }, mode="data", action="state", known={"id": SPOKE_ID})
    p.add("azurerm_subnet", "nodes",
          subnet(SNET, rg.rg, R("data.azurerm_virtual_network.aks.name", v=VNET), NODES),
          action="no-op", known={"id": sid})
    add_cluster(p, rg, R("azurerm_subnet.nodes.id", v=sid), "loadBalancer")
    return p


ASSOCIATION_README = (
    "The node subnet `azurerm_subnet.nodes` exists already (no-op) in a VNet of the platform "
    "team, read through `data.azurerm_virtual_network.aks` (which lists subnet names, not their "
    "associations). The `azurerm_subnet` resource has no NSG or route table attribute: "
    "associations are separate resources "
    "(`azurerm_subnet_network_security_group_association`, "
    "`azurerm_subnet_route_table_association`), and none is in this plan, so the platform team "
    "may well associate an NSG that denies egress, or a route table that sends it to an "
    "appliance. The plan proves neither: every required endpoint is `unknown` (never "
    "`reachable` on a guess), EGR001 names the subnet whose association is unknown. Verdict "
    "unknown, exit 0. Microsoft: \"Network security groups\" "
    "(https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview) and "
    "\"Virtual network traffic routing\" "
    "(https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview): a "
    "subnet's NSG filters, and its route table routes, every flow of its nodes."
)


# ----------------------------------------------------------------------------- registry


def scenarios() -> list[Scenario]:
    unknown = egress("system", ALL_PUBLIC, "unknown")
    return [
        Scenario("existing-spoke-peering-elsewhere",
                 "Existing spoke, hub firewall read by data sources, no spoke-to-hub peering in "
                 "the plan: PER002, unknown.",
                 PEERING_ELSEWHERE_README,
                 Expect(0, "unknown", ["PER002"], unknown,
                        [Finding("PER002", "azurerm_virtual_network.aks", pool="system")]),
                 build_existing_spoke_peering_elsewhere),
        Scenario("existing-spoke-dns-peer-elsewhere",
                 "Existing spoke whose DNS server sits in a hub the plan does not show: DNS003, "
                 "unknown (not DNS001).",
                 DNS_PEER_ELSEWHERE_README,
                 Expect(0, "unknown", ["DNS003"],
                        egress("system", ALL_PUBLIC, "reachable")
                        + [Egress("system", "10.0.2.4", 53, "udp", "unknown")],
                        [Finding("DNS003", "azurerm_virtual_network.aks", pool="system")]),
                 build_existing_spoke_dns_peer_elsewhere),
        Scenario("existing-policy-unseen-groups",
                 "Existing firewall policy with a rule collection group not in the plan: EGR001, "
                 "unknown.",
                 POLICY_UNSEEN_README,
                 Expect(0, "unknown", ["EGR001"], unknown),
                 lambda: build_existing_policy(False)),
        Scenario("existing-policy-all-groups-in-plan",
                 "Existing firewall policy whose only group is in the plan: pass.",
                 POLICY_ALL_README,
                 Expect(0, "pass", [], egress("system", ALL_PUBLIC, "reachable")),
                 lambda: build_existing_policy(True)),
        Scenario("existing-subnet-association-elsewhere",
                 "Existing subnet resource without association resources or VNet echo: EGR001, "
                 "unknown.",
                 ASSOCIATION_README,
                 Expect(0, "unknown", ["EGR001"], unknown,
                        [Finding("EGR001", "azurerm_subnet.nodes", pool="system")]),
                 build_existing_subnet_association_elsewhere),
    ]
