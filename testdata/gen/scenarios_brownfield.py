"""Scenarios: brownfield plans. Existing NSGs, route tables and VNets whose rules, routes and
subnets are managed as separate resources, so the parent's after-state echoes every child."""

from __future__ import annotations

TITLE = "Brownfield plans: existing parents, separately managed children"

from azurerm import (C, R, U, UL, net_id, nsg, nsg_rule, nsg_rule_resource, rg_id, route_item,
                     route_resource, route_table, subnet, subnet_id, subnet_nsg_association,
                     subnet_route_table_association, virtual_network)
from common import (CORE_HTTPS, PUBLIC_API, TAGS, TAGS_REF, Expect, Refs, Scenario, add_cluster,
                    egress, standard_variables)
from tfplan import Plan, spec_value, variable_decl

RG = "rg-aks-prod-weu"
VNET = "vnet-aks-prod-weu"
SNET = "snet-aks-nodes"
NODES = ["10.10.0.0/22"]
ALL_PUBLIC = CORE_HTTPS + [PUBLIC_API]
NSG_NAME = "nsg-aks-nodes"
RT_NAME = "rt-aks-nodes"

NSG_DOCS = (
    "Microsoft: \"Network security groups\" "
    "(https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview): rules "
    "are processed by priority, each priority and direction is unique, and a deleted rule no "
    "longer filters traffic. azurerm: `security_rule` of `azurerm_network_security_group` is "
    "Optional+Computed, and inline rules cannot be mixed with `azurerm_network_security_rule` "
    "resources (https://registry.terraform.io/providers/hashicorp/azurerm/latest/docs/resources/"
    "network_security_group)."
)
ROUTE_DOCS = (
    "Microsoft: \"Virtual network traffic routing\" "
    "(https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview): the route "
    "with the longest matching prefix is chosen; a route table cannot hold two routes with the "
    "same prefix. azurerm: `route` of `azurerm_route_table` is Optional+Computed and inline routes "
    "cannot be mixed with `azurerm_route` resources "
    "(https://registry.terraform.io/providers/hashicorp/azurerm/latest/docs/resources/route_table)."
)


def plain(spec: dict) -> dict:
    """The state value of an attribute spec (markers removed): what a refreshed echo holds."""
    return {k: spec_value(v) for k, v in spec.items()}


def existing_network(p: Plan, subnet_echo: dict, *, subnet_module=()) -> tuple[Refs, str]:
    """Existing resource group, VNet (no-op; its `subnet` list is a computed echo of the
    refreshed subnets) and node subnet resource (no-op)."""
    standard_variables(p)
    p.add("azurerm_resource_group", "aks",
          {"location": C("westeurope"), "managed_by": None, "name": C(RG),
           "tags": R("var.tags", v=TAGS), "timeouts": None},
          action="no-op", known={"id": rg_id(RG)})
    rg = Refs("aks", RG)
    sid = subnet_id(RG, VNET, SNET)
    echo = {
        "address_prefixes": NODES,
        "default_outbound_access_enabled": True,
        "delegation": [],
        "id": sid,
        "name": SNET,
        "private_endpoint_network_policies": "Disabled",
        "private_link_service_network_policies_enabled": True,
        "route_table_id": "",
        "security_group": "",
        "service_endpoint_policy_ids": [],
        "service_endpoints": [],
    }
    echo.update(subnet_echo)
    p.add("azurerm_virtual_network", "aks",
          virtual_network(VNET, rg.rg, rg.loc, ["10.10.0.0/16"], tags=TAGS_REF),
          action="no-op",
          known={"id": net_id(RG, "virtualNetworks", VNET),
                 "guid": "0b6e2c4d-8f1a-4d3e-9c7b-5a2f1e8d4c60", "dns_servers": [],
                 "subnet": [echo]},
          state_depends_on=["azurerm_resource_group.aks"])
    if subnet_module:
        p.module_call(subnet_module[0], f"./modules/{subnet_module[0]}", {
            "resource_group_name": {"references": ["azurerm_resource_group.aks.name",
                                                   "azurerm_resource_group.aks"]},
            "vnet_name": {"references": ["azurerm_virtual_network.aks.name",
                                         "azurerm_virtual_network.aks"]},
        })
        p.module(subnet_module).variables.update({
            "resource_group_name": variable_decl(description="Resource group of the network."),
            "vnet_name": variable_decl(description="Name of the VNet."),
        })
        mrg = R("var.resource_group_name", v=RG)
        spec = subnet(SNET, mrg, R("var.vnet_name", v=VNET), NODES)
    else:
        spec = subnet(SNET, rg.rg, R("azurerm_virtual_network.aks.name", v=VNET), NODES)
    p.add("azurerm_subnet", "nodes", spec, module=subnet_module, action="no-op",
          known={"id": sid})
    return rg, sid


# ----------------------------------------------------------------------------- NSG rules


KEEP_INBOUND = nsg_rule("AllowHttpsInbound", 100, "Inbound", "Allow", "Tcp", src="Internet",
                        dst="10.10.0.0/22", dst_port="443")
LEGACY_DENY = nsg_rule("DenyInternetOutbound", 100, "Outbound", "Deny", "*", dst="Internet",
                       description="Lockdown before the cluster existed")
OLD_MONITOR = nsg_rule("AllowAzureMonitorOutbound", 300, "Outbound", "Allow", "Tcp",
                       dst="AzureMonitor", dst_port="443")
SHARED_RULE = nsg_rule("AllowBastionInbound", 200, "Inbound", "Allow", "Tcp",
                       src="10.0.5.0/26", dst="10.10.0.0/22", dst_port="22",
                       description="Managed by the network team's stack")


def build_brownfield_nsg_separate_rules() -> Plan:
    p = Plan()
    nsg_id = net_id(RG, "networkSecurityGroups", NSG_NAME)
    rg, sid = existing_network(p, {"security_group": nsg_id})
    # the NSG exists; its security_rule is not configured: the after-state echoes every rule
    p.add("azurerm_network_security_group", "nodes",
          nsg(NSG_NAME, rg.rg, rg.loc, tags=TAGS_REF), action="no-op",
          known={"id": nsg_id,
                 "security_rule": [plain(r) for r in
                                   (KEEP_INBOUND, LEGACY_DENY, OLD_MONITOR, SHARED_RULE)]},
          state_depends_on=["azurerm_resource_group.aks"])
    nsg_name = R("azurerm_network_security_group.nodes.name", v=NSG_NAME)
    rule_id = lambda n: net_id(RG, "networkSecurityGroups", NSG_NAME, "securityRules", n)  # noqa: E731
    # unchanged separate rule (echoed as well)
    p.add("azurerm_network_security_rule", "allow_https_inbound",
          nsg_rule_resource("AllowHttpsInbound", nsg_name, rg.rg, 100, "Inbound", "Allow", "Tcp",
                            src="Internet", dst="10.10.0.0/22", dst_port="443"),
          action="no-op", known={"id": rule_id("AllowHttpsInbound")})
    # the lockdown rule left the configuration: deleted by this plan
    p.add("azurerm_network_security_rule", "deny_internet_outbound",
          nsg_rule_resource("DenyInternetOutbound", NSG_NAME, RG, 100, "Outbound", "Deny", "*",
                            dst="Internet", description="Lockdown before the cluster existed"),
          action="delete", known={"id": rule_id("DenyInternetOutbound")}, config=False,
          action_reason="delete_because_no_resource_config")
    # renamed (the name forces a new rule) and moved to priority 310: replaced
    p.add("azurerm_network_security_rule", "allow_azure_monitor",
          nsg_rule_resource("allow-azure-monitor", nsg_name, rg.rg, 310, "Outbound", "Allow",
                            "Tcp", dst="AzureMonitor", dst_port="443"),
          action="replace", action_reason="replace_because_cannot_update",
          before_known={"id": rule_id("AllowAzureMonitorOutbound"),
                        "name": "AllowAzureMonitorOutbound", "priority": 300,
                        "network_security_group_name": NSG_NAME, "resource_group_name": RG})
    # a new deny that does not touch what nodes need
    p.add("azurerm_network_security_rule", "deny_smtp_outbound",
          nsg_rule_resource("DenySmtpOutbound", nsg_name, rg.rg, 4000, "Outbound", "Deny", "Tcp",
                            dst="Internet", dst_port="25"))
    p.add("azurerm_subnet_network_security_group_association", "nodes",
          subnet_nsg_association(R("azurerm_subnet.nodes.id", v=sid),
                                 R("azurerm_network_security_group.nodes.id", v=nsg_id)),
          action="no-op", known={"id": sid})
    add_cluster(p, rg, R("azurerm_subnet.nodes.id", v=sid), "loadBalancer")
    return p


BROWNFIELD_NSG_README = (
    "A new cluster in an existing network: resource group, VNet `azurerm_virtual_network.aks`, "
    "node subnet `azurerm_subnet.nodes` and NSG `azurerm_network_security_group.nodes` are no-op. "
    "The NSG's rules are managed as separate `azurerm_network_security_rule` resources, so the "
    "configuration of the NSG does not set `security_rule` and the plan's after-state of the "
    "NSG echoes the refreshed list of every rule: `AllowHttpsInbound` (100, Inbound), "
    "`DenyInternetOutbound` (100, Outbound, Deny to `Internet`), `AllowAzureMonitorOutbound` "
    "(300) and `AllowBastionInbound` (200, managed by another stack, in no resource of this "
    "plan). This plan keeps `AllowHttpsInbound` (no-op), deletes `DenyInternetOutbound` "
    "(`delete_because_no_resource_config`), replaces the monitor rule under a new name "
    "`allow-azure-monitor` at priority 310, and adds `DenySmtpOutbound` (4000, Tcp 25). After "
    "apply the NSG holds `AllowHttpsInbound`, `AllowBastionInbound`, `allow-azure-monitor` and "
    "`DenySmtpOutbound`: each rule once, the lockdown gone, so outbound 443 meets the default "
    "`AllowInternetOutBound` (65001) and the AKS load balancer SNATs it. Counting the echo and "
    "the resources both would give a false NSG002 (two Inbound rules at 100) and a false NSG001 "
    "from the deleted deny. Verdict pass, exit 0. " + NSG_DOCS
)


# ----------------------------------------------------------------------------- routes


def build_brownfield_routes_separate() -> Plan:
    p = Plan()
    rt_id = net_id(RG, "routeTables", RT_NAME)
    rg, sid = existing_network(p, {"route_table_id": rt_id})
    echo = [
        route_item("to-internet", "0.0.0.0/0", "Internet"),
        route_item("quarantine-low", "0.0.0.0/1", "None"),
        route_item("quarantine-high", "128.0.0.0/1", "None"),
    ]
    p.add("azurerm_route_table", "nodes",
          route_table(RT_NAME, rg.rg, rg.loc, tags=TAGS_REF), action="no-op",
          known={"id": rt_id, "route": [plain(r) for r in echo],
                 "subnets": [sid]},
          state_depends_on=["azurerm_resource_group.aks"])
    rt_name = R("azurerm_route_table.nodes.name", v=RT_NAME)
    route_id = lambda n: net_id(RG, "routeTables", RT_NAME, "routes", n)  # noqa: E731
    p.add("azurerm_route", "to_internet",
          route_resource("to-internet", rg.rg, rt_name, "0.0.0.0/0", "Internet"),
          action="no-op", known={"id": route_id("to-internet")})
    for tf, name, prefix in (("quarantine_low", "quarantine-low", "0.0.0.0/1"),
                             ("quarantine_high", "quarantine-high", "128.0.0.0/1")):
        p.add("azurerm_route", tf, route_resource(name, RG, RT_NAME, prefix, "None"),
              action="delete", known={"id": route_id(name)}, config=False,
              action_reason="delete_because_no_resource_config")
    p.add("azurerm_route", "mcr_direct",
          route_resource("mcr-direct", rg.rg, rt_name, "MicrosoftContainerRegistry", "Internet"))
    p.add("azurerm_subnet_route_table_association", "nodes",
          subnet_route_table_association(R("azurerm_subnet.nodes.id", v=sid),
                                         R("azurerm_route_table.nodes.id", v=rt_id)),
          action="no-op", known={"id": sid})
    add_cluster(p, rg, R("azurerm_subnet.nodes.id", v=sid), "loadBalancer")
    return p


BROWNFIELD_ROUTES_README = (
    "A new cluster (outbound type `loadBalancer`) in an existing network whose route table "
    "`azurerm_route_table.nodes` (no-op, associated with the node subnet) has its routes managed "
    "as separate `azurerm_route` resources; the table's after-state echoes the refreshed routes: "
    "`to-internet` 0.0.0.0/0 -> Internet, and `quarantine-low` 0.0.0.0/1 and `quarantine-high` "
    "128.0.0.0/1 -> None, added during an incident to cut all internet egress (the /1 routes "
    "win over 0.0.0.0/0 by longest prefix). This plan keeps `to-internet` (no-op), deletes both "
    "quarantine routes and adds `mcr-direct` (service tag `MicrosoftContainerRegistry` -> "
    "Internet). After apply the table holds `to-internet` and `mcr-direct` once each: every "
    "required endpoint leaves through the AKS load balancer. Counting echo and resources both "
    "would give a false RTE006 (`to-internet` twice) and a false RTE001 from the deleted "
    "quarantine routes. Verdict pass, exit 0. " + ROUTE_DOCS
)


# ----------------------------------------------------------------------------- subnet echo


def build_brownfield_subnet_in_module() -> Plan:
    p = Plan()
    legacy_rt = net_id(RG, "routeTables", "rt-lockdown")
    rg, sid = existing_network(p, {"route_table_id": legacy_rt}, subnet_module=("spoke",))
    p.var("node_subnet_id", sid,
          variable_decl(description="Node subnet of the cluster (from the platform team)."))
    # the lockdown route table stays (other subnets use it) but leaves the node subnet
    p.add("azurerm_route_table", "lockdown",
          route_table("rt-lockdown", rg.rg, rg.loc,
                      routes=[route_item("deny-all", "0.0.0.0/0", "None")], tags=TAGS_REF),
          action="no-op", known={"id": legacy_rt, "subnets": []},
          state_depends_on=["azurerm_resource_group.aks"])
    p.add("azurerm_subnet_route_table_association", "lockdown",
          subnet_route_table_association(sid, legacy_rt), module=("spoke",), action="delete",
          known={"id": sid}, config=False, action_reason="delete_because_no_resource_config")
    add_cluster(p, rg, R("var.node_subnet_id", v=sid), "loadBalancer")
    return p


BROWNFIELD_SUBNET_README = (
    "The node subnet is managed as `module.spoke.azurerm_subnet.nodes` (no-op) inside a module, "
    "while its VNet `azurerm_virtual_network.aks` (no-op) sits in the root module, so Terraform "
    "lists the VNet, whose computed `subnet` echo also describes `snet-aks-nodes`, before the "
    "subnet resource in `resource_changes` (root module first). The cluster gets the subnet as a "
    "literal id (`var.node_subnet_id`). The echo still shows `route_table_id` = `rt-lockdown`, "
    "whose only route sends 0.0.0.0/0 to None; this plan deletes that association "
    "(`module.spoke.azurerm_subnet_route_table_association.lockdown`) and keeps the route table "
    "for other subnets. After apply the node subnet has no route table: 0.0.0.0/0 -> Internet "
    "(system route), egress through the AKS load balancer. The echo and the subnet resource are "
    "one subnet, and which element the pool binds to must not depend on the order of "
    "`resource_changes`. Verdict pass, exit 0. Microsoft: \"Virtual network traffic routing\" "
    "(https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview): a "
    "subnet without a route table uses the system routes."
)


# ----------------------------------------------------------------------------- registry


def scenarios() -> list[Scenario]:
    ok = egress("system", ALL_PUBLIC, "reachable")
    return [
        Scenario("brownfield-nsg-separate-rules",
                 "Existing NSG echoing its separately managed rules; rules deleted, replaced, "
                 "added: each counted once, pass.",
                 BROWNFIELD_NSG_README, Expect(0, "pass", [], ok),
                 build_brownfield_nsg_separate_rules),
        Scenario("brownfield-routes-separate",
                 "Existing route table echoing its separate routes; quarantine routes deleted: "
                 "pass.",
                 BROWNFIELD_ROUTES_README, Expect(0, "pass", [], ok),
                 build_brownfield_routes_separate),
        Scenario("brownfield-subnet-in-module",
                 "Subnet resource in a module after its VNet's echo; lockdown association "
                 "deleted: pass.",
                 BROWNFIELD_SUBNET_README, Expect(0, "pass", [], ok),
                 build_brownfield_subnet_in_module),
    ]
