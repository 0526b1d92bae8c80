"""Scenarios: NSGs, routes and outbound types of a single spoke / custom VNet."""

from __future__ import annotations

TITLE = "NSGs, routes, outbound types"

from azurerm import (C, R, SECRET, U, UL, aks_id, default_node_pool, kubernetes_cluster,
                     local_network_gateway, nat_gateway, nat_gateway_public_ip_association, net_id,
                     network_profile, node_pool, nsg, nsg_rule, peering, subnet, virtual_network,
                     nsg_rule_resource, public_ip, rg_id, route_item, route_resource, route_table,
                     subnet_id, subnet_nat_gateway_association, subnet_nsg_association,
                     subnet_route_table_association, vpn_connection, vpn_gateway, TENANT)
from common import (CORE_HTTPS, PUBLIC_API, TAGS, TAGS_REF, Expect, Finding, Scenario, Refs,
                    add_cluster, add_rg, add_subnet, add_vnet, egress, standard_variables)
from tfplan import Plan, output_decl, strip_markers, variable_decl

RG = "rg-aks-prod-weu"
VNET = "vnet-aks-prod-weu"
SNET = "snet-aks-nodes"
NODES = ["10.10.0.0/22"]
CLUSTER = "aks-prod-weu"

ALL_PUBLIC = CORE_HTTPS + [PUBLIC_API]


def inbound_rules(prefix: str = "10.10.0.0/22") -> list[dict]:
    return [
        nsg_rule("AllowHttpsInbound", 100, "Inbound", "Allow", "Tcp", src="Internet", dst=prefix,
                 dst_port="443", description="Ingress controller (HTTPS)"),
        nsg_rule("AllowHttpInbound", 110, "Inbound", "Allow", "Tcp", src="Internet", dst=prefix,
                 dst_port="80", description="Ingress controller (HTTP, redirects to HTTPS)"),
    ]


def spoke(p: Plan, *, nsg_rules="inbound", subnet_kw=None, vnet_kw=None) -> tuple[Refs, R]:
    """RG + VNet 10.10.0.0/16 + node subnet 10.10.0.0/22 (+ NSG and its association)."""
    standard_variables(p)
    rg = add_rg(p, "aks", RG)
    add_vnet(p, "aks", rg, VNET, ["10.10.0.0/16"], **(vnet_kw or {}))
    sn = add_subnet(p, "nodes", rg, "aks", VNET, SNET, NODES, **(subnet_kw or {}))
    if nsg_rules is not False:
        rules = inbound_rules() if nsg_rules == "inbound" else nsg_rules
        p.add("azurerm_network_security_group", "nodes",
              nsg("nsg-aks-nodes", rg.rg, rg.loc, rules=rules, tags=TAGS_REF))
        p.add("azurerm_subnet_network_security_group_association", "nodes",
              subnet_nsg_association(sn, R("azurerm_network_security_group.nodes.id")))
    return rg, sn


# ----------------------------------------------------------------------------- lb-clean


def build_lb_clean() -> Plan:
    p = Plan()
    rg, sn = spoke(p)
    add_cluster(p, rg, sn, "loadBalancer", network_contributor_scope=sn, windows_admin=True)
    return p


LB_CLEAN_README = (
    "Public AKS cluster `azurerm_kubernetes_cluster.aks` (Azure CNI overlay, outbound type "
    "`loadBalancer`) in a custom VNet: node subnet `azurerm_subnet.nodes` (10.10.0.0/22) with the "
    "subnet NSG `azurerm_network_security_group.nodes`, which only carries two inbound allow rules "
    "for an ingress controller. Outbound traffic therefore meets only the NSG default rule "
    "`AllowInternetOutBound` (65001), no route table overrides the system route 0.0.0.0/0 -> "
    "Internet, and AKS SNATs node egress through the outbound rules of its Standard load "
    "balancer. Every required endpoint (MCR, ARM, Entra ID, packages, the public API server "
    "`*.hcp.westeurope.azmk8s.io`) is reachable: verdict pass, exit 0, no finding. All IDs are "
    "unknown at plan time (everything is created), so the subnet, NSG and association are linked "
    "only through `configuration` references."
)


# ----------------------------------------------------------------------------- nsg-deny-internet-443


def build_nsg_deny_internet_443() -> Plan:
    p = Plan()
    rg, sn = spoke(p, nsg_rules=None)  # NSG without inline rules: security_rule is computed
    p.add("azurerm_network_security_rule", "allow_https_inbound",
          nsg_rule_resource("AllowHttpsInbound", R("azurerm_network_security_group.nodes.name",
                                                   v="nsg-aks-nodes"),
                            rg.rg, 100, "Inbound", "Allow", "Tcp", src="Internet",
                            dst="10.10.0.0/22", dst_port="443"))
    p.add("azurerm_network_security_rule", "deny_internet_https_outbound",
          nsg_rule_resource("DenyInternetHttpsOutbound",
                            R("azurerm_network_security_group.nodes.name", v="nsg-aks-nodes"),
                            rg.rg, 100, "Outbound", "Deny", "Tcp", dst="Internet",
                            dst_port="443",
                            description="Security baseline: no direct internet HTTPS"))
    add_cluster(p, rg, sn, "loadBalancer", network_contributor_scope=sn)
    return p


NSG_DENY_README = (
    "Same cluster and network as `lb-clean`, but the NSG `azurerm_network_security_group.nodes` "
    "has no inline rules; its rules are separate `azurerm_network_security_rule` resources, so "
    "the NSG's own `security_rule` is unknown in the plan (`after_unknown: true`, as Terraform "
    "shows it) and must be assembled from the rule resources. "
    "`azurerm_network_security_rule.deny_internet_https_outbound` denies Outbound Tcp 443 to the "
    "service tag `Internet` at priority 100, the lowest number an NSG accepts, so no other rule "
    "can be evaluated before it. The `Internet` tag includes Azure public IPs, so MCR, ARM, Entra "
    "ID, packages.microsoft.com, packages.aks.azure.com and the public API server are all blocked "
    "for every node: the outbound check of the provisioning script fails (vmssCSE exit 50). "
    "Verdict fail, exit 1, NSG001 on the deny rule."
)


# ----------------------------------------------------------------------------- nsg-deny-with-higher-allow


def build_nsg_deny_with_higher_allow() -> Plan:
    p = Plan()
    rules = inbound_rules() + [
        nsg_rule("AllowAzureCloudHttpsOutbound", 100, "Outbound", "Allow", "Tcp",
                 src="10.10.0.0/22", dst="AzureCloud", dst_port="443"),
        nsg_rule("AllowInternetHttpsOutbound", 110, "Outbound", "Allow", "Tcp",
                 src="10.10.0.0/22", dst="Internet", dst_port="443"),
        nsg_rule("AllowTunnelUdp1194Outbound", 120, "Outbound", "Allow", "Udp",
                 src="10.10.0.0/22", dst="AzureCloud.westeurope", dst_port="1194"),
        nsg_rule("AllowTunnelTcp9000Outbound", 130, "Outbound", "Allow", "Tcp",
                 src="10.10.0.0/22", dst="AzureCloud.westeurope", dst_port="9000"),
        nsg_rule("AllowNtpOutbound", 140, "Outbound", "Allow", "Udp",
                 src="10.10.0.0/22", dst="Internet", dst_port="123"),
        nsg_rule("AllowVnetOutbound", 3900, "Outbound", "Allow", "*",
                 src="VirtualNetwork", dst="VirtualNetwork"),
        nsg_rule("DenyAllOutbound", 4000, "Outbound", "Deny", "*",
                 description="Default deny for everything not allowed above"),
    ]
    rg, sn = spoke(p, nsg_rules=rules)
    add_cluster(p, rg, sn, "loadBalancer", network_contributor_scope=sn)
    return p


NSG_ALLOW_README = (
    "Same cluster as `lb-clean`; the subnet NSG is locked down with `DenyAllOutbound` (`*` to "
    "`*`, priority 4000) but allows, at lower priority numbers (evaluated first, first match "
    "wins), Tcp 443 to `AzureCloud` (100) and to `Internet` (110), the legacy tunnel ports "
    "(Udp 1194 and Tcp 9000 to `AzureCloud.westeurope`), Udp 123, and VirtualNetwork to "
    "VirtualNetwork (3900) for node-to-node traffic. Every required HTTPS endpoint matches rule "
    "100 or 110 before the deny, Azure DNS and IMDS are platform traffic the NSG does not see, so "
    "everything required is reachable: verdict pass, exit 0, no finding. A validator that stops "
    "at the first Deny it finds, or ignores priorities, fails this scenario."
)


# ----------------------------------------------------------------------------- UDR scenarios


def build_udr_no_route_table() -> Plan:
    p = Plan()
    rg, sn = spoke(p)
    add_cluster(p, rg, sn, "userDefinedRouting", network_contributor_scope=sn)
    return p


UDR_NO_RT_README = (
    "The cluster uses outbound type `userDefinedRouting`, which tells AKS not to create any "
    "egress path and to rely on a route table on the node subnet (0.0.0.0/0 to a firewall or "
    "NVA). The node subnet `azurerm_subnet.nodes` has no route table association at all (no "
    "`azurerm_subnet_route_table_association`), so AKS rejects the cluster at validation time "
    "(the route table must exist and carry a default route). Verdict fail, exit 1, RTE002 "
    "pointing at the subnet. Egress verdicts are not asserted: the cluster is never created."
)


def add_route_table(p: Plan, rg: Refs, sn: R, routes=None, route_refs=None, name="rt-aks-nodes",
                    tf="nodes", **kw):
    p.add("azurerm_route_table", tf,
          route_table(name, rg.rg, rg.loc, routes=routes, route_refs=route_refs,
                      bgp_propagation=kw.pop("bgp_propagation", False), tags=TAGS_REF, **kw))
    p.add("azurerm_subnet_route_table_association", tf,
          subnet_route_table_association(sn, R(f"azurerm_route_table.{tf}.id")))


def build_nsg_duplicate_priority() -> Plan:
    p = Plan()
    rules = inbound_rules() + [
        nsg_rule("AllowHttpsOutbound", 200, "Outbound", "Allow", "Tcp",
                 src="10.10.0.0/22", dst="Internet", dst_port="443"),
        nsg_rule("AllowHttpOutbound", 200, "Outbound", "Allow", "Tcp",
                 src="10.10.0.0/22", dst="Internet", dst_port="80"),
    ]
    rg, sn = spoke(p, nsg_rules=rules)
    add_cluster(p, rg, sn, "loadBalancer", network_contributor_scope=sn)
    return p


NSG_DUP_README = (
    "Same cluster and network as `lb-clean`, but two outbound rules of the node subnet's NSG "
    "(`AllowHttpsOutbound`, `AllowHttpOutbound`) share priority 200. Azure rejects an NSG whose "
    "rules in one direction share a priority (`SecurityRuleConflict`), so the deployment fails "
    "before any node exists. Verdict fail, exit 1, NSG002 on the NSG. Egress is not asserted: the "
    "NSG that would be evaluated is never created as planned."
)


def build_route_duplicate_prefix() -> Plan:
    p = Plan()
    rg, sn = spoke(p)
    add_route_table(p, rg, sn, routes=[
        route_item("onprem-a", "10.50.0.0/16", "VnetLocal"),
        route_item("onprem-b", "10.50.0.0/16", "None"),
    ])
    add_cluster(p, rg, sn, "loadBalancer", network_contributor_scope=sn)
    return p


ROUTE_DUP_README = (
    "Outbound type `loadBalancer`; the node subnet's route table has two routes for the same "
    "address prefix 10.50.0.0/16 (`onprem-a` to `VnetLocal`, `onprem-b` to `None`). Azure rejects "
    "the route table (`RouteConflict`: routes cannot have the same address prefix), so the "
    "deployment fails. Verdict fail, exit 1, RTE006 on the route table. Egress is not asserted."
)


def build_udr_default_to_none() -> Plan:
    p = Plan()
    rg, sn = spoke(p)
    add_route_table(p, rg, sn, routes=[route_item("default-drop", "0.0.0.0/0", "None")])
    add_cluster(p, rg, sn, "userDefinedRouting", network_contributor_scope=sn)
    return p


UDR_NONE_README = (
    "Outbound type `userDefinedRouting`; the node subnet's route table `azurerm_route_table.nodes` "
    "(inline route, BGP propagation disabled) sends 0.0.0.0/0 to next hop `None`, i.e. every "
    "packet to a public address is dropped by the Azure fabric (the route table passes AKS's "
    "existence check, so creation proceeds and nodes fail). Every required public endpoint is "
    "blocked, the outbound check fails (vmssCSE exit 50). Verdict fail, exit 1, RTE001 on the "
    "route table."
)


def build_udr_default_to_internet() -> Plan:
    p = Plan()
    rg, sn = spoke(p)
    # route table without inline routes: `route` is computed; the route is a separate resource
    add_route_table(p, rg, sn, routes=None)
    p.add("azurerm_route", "default",
          route_resource("default-internet", rg.rg,
                         R("azurerm_route_table.nodes.name", v="rt-aks-nodes"),
                         "0.0.0.0/0", "Internet"))
    add_cluster(p, rg, sn, "userDefinedRouting", network_contributor_scope=sn)
    return p


UDR_INTERNET_README = (
    "Outbound type `userDefinedRouting` with a route table whose default route is the separate "
    "resource `azurerm_route.default` (0.0.0.0/0 -> `Internet`); the table has no inline routes, "
    "so its `route` attribute is unknown in the plan and the route must be joined by "
    "`route_table_name`. With `userDefinedRouting` AKS creates no outbound public IP and "
    "requires the default route to point at a virtual appliance or a virtual network gateway; "
    "next hop `Internet` is rejected (`RouteTableInvalidNextHop`). Verdict fail, exit 1, RTE004 "
    "on the route. Egress verdicts are not asserted: the cluster is never created."
)


def build_udr_no_default_route() -> Plan:
    p = Plan()
    rg, sn = spoke(p)
    add_route_table(p, rg, sn, routes=[
        route_item("onprem-via-gateway", "10.0.0.0/8", "VirtualNetworkGateway"),
    ])
    add_cluster(p, rg, sn, "userDefinedRouting", network_contributor_scope=sn)
    return p


UDR_NO_DEFAULT_README = (
    "Outbound type `userDefinedRouting`; the node subnet has a route table, but its only route "
    "sends the on-premises range 10.0.0.0/8 to the virtual network gateway. There is no "
    "0.0.0.0/0 route, so AKS rejects the cluster (a UDR cluster needs a default route to its "
    "egress appliance). Verdict fail, exit 1, RTE003 on `azurerm_route_table.nodes`. Egress "
    "verdicts are not asserted: the cluster is never created."
)


def build_vnet_gateway_forced_tunnel() -> Plan:
    p = Plan()
    standard_variables(p, {
        "vpn_shared_key": (SECRET, variable_decl(description="IPsec pre-shared key",
                                                 sensitive=True)),
    })
    rg = add_rg(p, "aks", RG)
    add_vnet(p, "aks", rg, VNET, ["10.10.0.0/16"])
    sn = add_subnet(p, "nodes", rg, "aks", VNET, SNET, NODES)
    gw = add_subnet(p, "gateway", rg, "aks", VNET, "GatewaySubnet", ["10.10.255.0/27"])
    p.add("azurerm_network_security_group", "nodes",
          nsg("nsg-aks-nodes", rg.rg, rg.loc, rules=inbound_rules(), tags=TAGS_REF))
    p.add("azurerm_subnet_network_security_group_association", "nodes",
          subnet_nsg_association(sn, R("azurerm_network_security_group.nodes.id")))
    p.add("azurerm_public_ip", "vpn", public_ip("pip-vgw-prod-weu", rg.rg, rg.loc,
                                                zones=["1", "2", "3"], tags=TAGS_REF))
    p.add("azurerm_virtual_network_gateway", "vpn",
          vpn_gateway("vgw-prod-weu", rg.rg, rg.loc, gw, R("azurerm_public_ip.vpn.id"),
                      tags=TAGS_REF), schema_version=1)
    p.add("azurerm_local_network_gateway", "onprem",
          local_network_gateway("lgw-onprem-dc1", rg.rg, rg.loc, "198.51.100.10",
                                ["10.100.0.0/16"], tags=TAGS_REF))
    p.add("azurerm_virtual_network_gateway_connection", "onprem",
          vpn_connection("cn-onprem-dc1", rg.rg, rg.loc, R("azurerm_virtual_network_gateway.vpn.id"),
                         R("azurerm_local_network_gateway.onprem.id"), "var.vpn_shared_key",
                         tags=TAGS_REF))
    add_route_table(p, rg, sn, routes=[
        route_item("forced-tunnel-onprem", "0.0.0.0/0", "VirtualNetworkGateway"),
    ], bgp_propagation=True)
    add_cluster(p, rg, sn, "userDefinedRouting", network_contributor_scope=sn)
    return p


FORCED_TUNNEL_README = (
    "Outbound type `userDefinedRouting`; the node subnet's route table sends 0.0.0.0/0 to next "
    "hop `VirtualNetworkGateway`: all egress is forced through the site-to-site VPN "
    "(`azurerm_virtual_network_gateway.vpn`, connection `azurerm_virtual_network_gateway_connection"
    ".onprem`) to the on-premises data centre, whose proxy/firewall is not described by the plan. "
    "AKS accepts this configuration, but whether MCR, ARM, Entra ID and the package hosts are "
    "reachable depends on equipment outside Azure: every required public endpoint is `unknown`, "
    "never `reachable`. Verdict unknown, exit 0 (1 with `--fail-on unknown`), RTE005 on the route "
    "table. The VPN pre-shared key is a sensitive variable whose value must never be printed."
)


# ----------------------------------------------------------------------------- NAT gateway


def add_nat(p: Plan, rg: Refs, *, with_ip=True, associate=True, sn: R | None = None):
    p.add("azurerm_nat_gateway", "aks", nat_gateway("ng-aks-prod-weu", rg.rg, rg.loc, zones=["1"],
                                                    tags=TAGS_REF))
    p.add("azurerm_public_ip", "nat", public_ip("pip-ng-aks-prod-weu", rg.rg, rg.loc, zones=["1"],
                                                tags=TAGS_REF))
    if with_ip:
        p.add("azurerm_nat_gateway_public_ip_association", "aks",
              nat_gateway_public_ip_association(R("azurerm_nat_gateway.aks.id"),
                                                R("azurerm_public_ip.nat.id")))
    if associate and sn is not None:
        p.add("azurerm_subnet_nat_gateway_association", "nodes",
              subnet_nat_gateway_association(sn, R("azurerm_nat_gateway.aks.id")))


def build_user_nat_missing() -> Plan:
    p = Plan()
    rg, sn = spoke(p)
    add_nat(p, rg, associate=False)
    add_cluster(p, rg, sn, "userAssignedNATGateway", network_contributor_scope=sn)
    return p


USER_NAT_MISSING_README = (
    "Outbound type `userAssignedNATGateway`: AKS creates no egress of its own and expects a NAT "
    "gateway already associated with the node subnet. The plan creates the NAT gateway "
    "`azurerm_nat_gateway.aks` and attaches its public IP, but forgets the "
    "`azurerm_subnet_nat_gateway_association` for `azurerm_subnet.nodes`, so the node subnet has "
    "no NAT gateway. Whether AKS rejects this at create time is not documented; either way the "
    "nodes have no designed egress path. Verdict fail, exit 1, NAT001 on the subnet (egress "
    "verdicts are not asserted because the outcome depends on that undocumented validation and "
    "on default outbound access)."
)


def build_user_nat_ok() -> Plan:
    p = Plan()
    rg, sn = spoke(p)
    add_nat(p, rg, sn=sn)
    add_cluster(p, rg, sn, "userAssignedNATGateway", network_contributor_scope=sn)
    return p


USER_NAT_OK_README = (
    "Outbound type `userAssignedNATGateway` done right: NAT gateway `azurerm_nat_gateway.aks` "
    "with public IP `azurerm_public_ip.nat` (via `azurerm_nat_gateway_public_ip_association`) is "
    "associated with the node subnet (`azurerm_subnet_nat_gateway_association.nodes`); the subnet "
    "NSG has inbound rules only and no route table overrides 0.0.0.0/0. Node egress is SNATed by "
    "the NAT gateway and every required endpoint is reachable. Verdict pass, exit 0. All links "
    "(NAT gateway, public IP, subnet) are unknown IDs joined through configuration references."
)


def build_user_nat_no_public_ip() -> Plan:
    p = Plan()
    rg, sn = spoke(p)
    add_nat(p, rg, with_ip=False, sn=sn)
    add_cluster(p, rg, sn, "userAssignedNATGateway", network_contributor_scope=sn)
    return p


USER_NAT_NO_IP_README = (
    "Outbound type `userAssignedNATGateway`; the NAT gateway is associated with the node subnet, "
    "but no public IP or public IP prefix is attached to it (the public IP `azurerm_public_ip.nat` "
    "is created but the `azurerm_nat_gateway_public_ip_association` is missing). A NAT gateway "
    "without a public address cannot SNAT anything, and because it is associated it takes "
    "precedence over default outbound access, so every public endpoint is blocked. Verdict fail, "
    "exit 1, NAT003 on `azurerm_nat_gateway.aks`."
)


def build_managed_nat_custom_vnet() -> Plan:
    p = Plan()
    rg, sn = spoke(p)
    add_cluster(p, rg, sn, "managedNATGateway", network_contributor_scope=sn)
    return p


MANAGED_NAT_README = (
    "Outbound type `managedNATGateway` combined with a bring-your-own node subnet "
    "(`default_node_pool[0].vnet_subnet_id` references `azurerm_subnet.nodes`). An AKS-managed "
    "NAT gateway is only supported with the AKS-managed VNet; with a custom VNet the user must "
    "use `userAssignedNATGateway` and associate their own NAT gateway. AKS rejects the request. "
    "Verdict fail, exit 1, NAT002 on the cluster. Egress verdicts are not asserted."
)


# ----------------------------------------------------------------------------- azurerm 3.x


def build_azurerm3_names() -> Plan:
    p = Plan(terraform_version="1.5.7", provider_constraint="~> 3.116",
             timestamp="2024-11-05T14:03:51Z",
             provider_expressions={"features": [{}]})
    p.var("tags", TAGS, variable_decl(default=TAGS, description="Tags applied to every resource."))
    rg = add_rg(p, "aks", RG)
    add_vnet(p, "aks", rg, VNET, ["10.10.0.0/16"])
    sn = add_subnet(p, "nodes", rg, "aks", VNET, SNET, NODES, v3=True,
                    service_endpoints=["Microsoft.Storage", "Microsoft.KeyVault"])
    p.add("azurerm_network_security_group", "nodes",
          nsg("nsg-aks-nodes", rg.rg, rg.loc, rules=inbound_rules(), tags=TAGS_REF))
    p.add("azurerm_subnet_network_security_group_association", "nodes",
          subnet_nsg_association(sn, R("azurerm_network_security_group.nodes.id")))
    # empty route table reserved for a future firewall; BGP propagation disabled (3.x name)
    p.add("azurerm_route_table", "nodes",
          route_table("rt-aks-nodes", rg.rg, rg.loc, routes=[], bgp_propagation=False, v3=True,
                      tags=TAGS_REF))
    p.add("azurerm_subnet_route_table_association", "nodes",
          subnet_route_table_association(sn, R("azurerm_route_table.nodes.id")))
    p.var("client_secret", SECRET, variable_decl(description="Secret of the cluster's service "
                                                 "principal.", sensitive=True))
    add_cluster(p, rg, sn, "loadBalancer", v3=True, authorized_ranges=["198.51.100.0/24"],
                kubernetes_version="1.29", net_kw={"plugin_mode": None, "pod_cidr": None},
                service_principal=("7c1e9b2d-4a6f-4d3e-8b5a-0e2f9c7d1a48", "var.client_secret"))
    return p


AZURERM3_README = (
    "A plan made with Terraform 1.5.7 and azurerm 3.x, using the 3.x attribute names: "
    "`default_node_pool[0].enable_auto_scaling` / `enable_node_public_ip`, the top-level "
    "`api_server_authorized_ip_ranges` (removed in 4.0), `automatic_channel_upgrade`, "
    "`disable_bgp_route_propagation` on the route table (inverted meaning of 4.x "
    "`bgp_route_propagation_enabled`), and the boolean `private_endpoint_network_policies_enabled` "
    "on the subnet. The design is clean: outbound type `loadBalancer`, Azure CNI (no overlay), an "
    "NSG with inbound rules only, and an empty route table with BGP propagation disabled (no "
    "route overrides 0.0.0.0/0). The authorized IP range 198.51.100.0/24 (the office) does not "
    "contain the cluster's egress IP, but with outbound type `loadBalancer` AKS adds the load "
    "balancer's outbound IP to the authorized ranges itself, so API001 must not fire. The cluster "
    "authenticates with a service principal whose `client_secret` comes from a sensitive "
    "variable (fake secret, never to be printed). Verdict pass, exit 0."
)


# ----------------------------------------------------------------------------- modules + for_each


NET_SUBNETS = {
    "aks": {
        "address_prefixes": ["10.20.0.0/22"],
        "security_rules": [
            {"name": "AllowHttpsInbound", "priority": 100, "direction": "Inbound",
             "access": "Allow", "protocol": "Tcp", "source_address_prefix": "Internet",
             "destination_address_prefix": "10.20.0.0/22", "destination_port_range": "443"},
        ],
    },
    "batch": {
        "address_prefixes": ["10.20.4.0/22"],
        "security_rules": [
            {"name": "AllowHttpsInbound", "priority": 100, "direction": "Inbound",
             "access": "Allow", "protocol": "Tcp", "source_address_prefix": "Internet",
             "destination_address_prefix": "10.20.4.0/22", "destination_port_range": "443"},
            {"name": "DenyInternetHttpsOutbound", "priority": 200, "direction": "Outbound",
             "access": "Deny", "protocol": "Tcp", "source_address_prefix": "*",
             "destination_address_prefix": "Internet", "destination_port_range": "443"},
        ],
    },
}


def _rule_value(r: dict) -> dict:
    """An NSG rule as produced by the module's dynamic "security_rule" block."""
    return {
        "access": r["access"],
        "description": "",
        "destination_address_prefix": r["destination_address_prefix"],
        "destination_address_prefixes": [],
        "destination_application_security_group_ids": [],
        "destination_port_range": r["destination_port_range"],
        "destination_port_ranges": [],
        "direction": r["direction"],
        "name": r["name"],
        "priority": r["priority"],
        "protocol": r["protocol"],
        "source_address_prefix": r["source_address_prefix"],
        "source_address_prefixes": [],
        "source_application_security_group_ids": [],
        "source_port_range": "*",
        "source_port_ranges": [],
    }


def build_modules_for_each() -> Plan:
    p = Plan()
    standard_variables(p)
    rg = add_rg(p, "aks", "rg-aks-shared-weu")
    vnet_name = "vnet-aks-shared-weu"
    p.module_call("network", "./modules/network", {
        "address_space": {"constant_value": ["10.20.0.0/16"]},
        "location": {"references": ["azurerm_resource_group.aks.location",
                                    "azurerm_resource_group.aks"]},
        "resource_group_name": {"references": ["azurerm_resource_group.aks.name",
                                               "azurerm_resource_group.aks"]},
        "subnets": {"constant_value": strip_markers(NET_SUBNETS)},
        "tags": {"references": ["var.tags"]},
        "vnet_name": {"constant_value": vnet_name},
    })
    mod = p.module(("network",))
    mod.variables.update({
        "address_space": variable_decl(description="Address space of the VNet."),
        "location": variable_decl(description="Azure region."),
        "resource_group_name": variable_decl(description="Resource group of the network."),
        "subnets": variable_decl(description="Subnets by key: address_prefixes and NSG rules."),
        "tags": variable_decl(default={}, has_default=True, description="Tags."),
        "vnet_name": variable_decl(description="Name of the VNet."),
    })
    mod.outputs.update({
        "subnet_ids": output_decl("azurerm_subnet.this", description="Subnet IDs by key."),
        "vnet_id": output_decl("azurerm_virtual_network.this.id"),
    })
    m = ("network",)
    mrg = R("var.resource_group_name", v="rg-aks-shared-weu")
    mloc = R("var.location", v="westeurope")
    mtags = R("var.tags", v=TAGS)
    p.add("azurerm_virtual_network", "this",
          virtual_network(R("var.vnet_name", v=vnet_name), mrg, mloc,
                          R("var.address_space", v=["10.20.0.0/16"]), tags=mtags), module=m)
    for key in sorted(NET_SUBNETS):
        sub = NET_SUBNETS[key]
        p.add("azurerm_subnet", "this",
              subnet(R("each.key", v=f"snet-{key}"), mrg,
                     R("azurerm_virtual_network.this.name", v=vnet_name),
                     R("each.value.address_prefixes", v=sub["address_prefixes"])),
              module=m, index=key, for_each={"references": ["var.subnets"]})
        spec = {
            "location": mloc,
            "name": R("each.key", v=f"nsg-{key}"),
            "resource_group_name": mrg,
            # dynamic "security_rule" blocks: values known, no expression in configuration
            "security_rule": [_rule_value(r) for r in sub["security_rules"]],
            "tags": mtags,
            "timeouts": None,
        }
        p.add("azurerm_network_security_group", "this", spec, module=m, index=key,
              for_each={"references": ["var.subnets"]})
        p.add("azurerm_subnet_network_security_group_association", "this",
              subnet_nsg_association(R("azurerm_subnet.this", "each.key"),
                                     R("azurerm_network_security_group.this", "each.key")),
              module=m, index=key, for_each={"references": ["var.subnets"]})
    add_cluster(p, rg, R('module.network.subnet_ids["aks"]'), "loadBalancer",
                name="aks-shared-weu", windows_admin=True)
    p.add("azurerm_kubernetes_cluster_node_pool", "batch",
          node_pool("batch", R("azurerm_kubernetes_cluster.aks.id"),
                    R('module.network.subnet_ids["batch"]')), schema_version=1)
    return p


MODULES_README = (
    "The network lives in a child module `module.network` (`./modules/network`): one VNet and, "
    "with `for_each = var.subnets`, the subnets `module.network.azurerm_subnet.this[\"aks\"]` "
    "(10.20.0.0/22) and `[\"batch\"]` (10.20.4.0/22), one NSG per subnet whose rules come from a "
    "`dynamic \"security_rule\"` block (so the rules are known values but absent from "
    "`configuration`), and the NSG associations. The module output `subnet_ids` is a `for` "
    "expression over `azurerm_subnet.this`. In the root, the cluster's default pool `system` uses "
    "`module.network.subnet_ids[\"aks\"]` and the separate `azurerm_kubernetes_cluster_node_pool."
    "batch` uses `module.network.subnet_ids[\"batch\"]`; resolving both needs the module call, "
    "the output expression and the `for_each` key. The `batch` NSG denies Outbound Tcp 443 to "
    "`Internet` (priority 200) so only the batch pool is cut off from MCR, ARM, Entra ID and the "
    "package hosts; the system pool is clean. Verdict fail, exit 1, NSG001 for the batch pool only."
)


# ----------------------------------------------------------------------------- deleted NSG


LEGACY_NSG_RULES = [
    nsg_rule("AllowHttpsInbound", 100, "Inbound", "Allow", "Tcp", src="Internet",
             dst="10.10.0.0/22", dst_port="443"),
    nsg_rule("DenyInternetOutbound", 100, "Outbound", "Deny", "*", dst="Internet",
             description="Legacy lockdown from the pre-AKS design"),
]


def existing_cluster_known(rg: str, cluster: str) -> dict:
    """The computed values of an existing `azurerm_kubernetes_cluster` (refreshed state): what
    a no-op or deleted cluster carries, its sensitive kube_config included."""
    cid = aks_id(rg, cluster)
    node_rg = f"MC_{rg}_{cluster}_westeurope"
    fqdn = "aks-prod-weu-7q2k4d1x.hcp.westeurope.azmk8s.io"
    lb_ip = f"{rg_id(node_rg)}/providers/Microsoft.Network/publicIPAddresses/3c7b1f0a-9d2e-4e61-8a45-1f6b0c2d7e93"
    known = {
        "id": cid,
        "auto_scaler_profile": [{
            "balance_similar_node_groups": False, "daemonset_eviction_for_empty_nodes_enabled": False,
            "daemonset_eviction_for_occupied_nodes_enabled": True, "empty_bulk_delete_max": "10",
            "expander": "random", "ignore_daemonsets_utilization_enabled": False,
            "max_graceful_termination_sec": "600", "max_node_provisioning_time": "15m",
            "max_unready_nodes": 3, "max_unready_percentage": 45, "new_pod_scale_up_delay": "0s",
            "scale_down_delay_after_add": "10m", "scale_down_delay_after_delete": "10s",
            "scale_down_delay_after_failure": "3m", "scale_down_unneeded": "10m",
            "scale_down_unready": "20m", "scale_down_utilization_threshold": "0.5",
            "scan_interval": "10s", "skip_nodes_with_local_storage": False,
            "skip_nodes_with_system_pods": True,
        }],
        "current_kubernetes_version": "1.31.5",
        "default_node_pool[0].kubelet_disk_type": "OS",
        "default_node_pool[0].max_pods": 250,
        "default_node_pool[0].node_count": 3,
        "default_node_pool[0].node_labels": {},
        "default_node_pool[0].orchestrator_version": "1.31.5",
        "default_node_pool[0].os_disk_size_gb": 128,
        "default_node_pool[0].os_sku": "Ubuntu",
        "default_node_pool[0].workload_runtime": "OCIContainer",
        "fqdn": fqdn,
        "http_application_routing_zone_name": None,
        "identity[0].principal_id": "0c5e8a3f-1b2d-4f6e-9a7c-3d8b2e1f4a60",
        "identity[0].tenant_id": TENANT,
        "kube_admin_config": [],
        "kube_admin_config_raw": "",
        "kube_config": [{
            "client_certificate": SECRET,
            "client_key": SECRET,
            "cluster_ca_certificate": SECRET,
            "host": f"https://{fqdn}:443",
            "password": SECRET,
            "username": f"clusterUser_{rg}_{cluster}",
        }],
        "kube_config_raw": SECRET,
        "kubelet_identity": [{
            "client_id": "5a9d3e1c-7f2b-4c8d-a6e0-2b4f1d9c3e75",
            "object_id": "9e2c4a7b-3d1f-4b6a-8c5e-0f7d2a1b4c93",
            "user_assigned_identity_id": (f"{rg_id(node_rg)}/providers/Microsoft.ManagedIdentity/"
                                          f"userAssignedIdentities/{cluster}-agentpool"),
        }],
        "network_profile[0].ip_versions": ["IPv4"],
        "network_profile[0].load_balancer_profile": [{
            "backend_pool_type": "NodeIPConfiguration",
            "effective_outbound_ips": [lb_ip],
            "idle_timeout_in_minutes": 0,
            "managed_outbound_ip_count": 1,
            "managed_outbound_ipv6_count": 0,
            "outbound_ip_address_ids": [],
            "outbound_ip_prefix_ids": [],
            "outbound_ports_allocated": 0,
        }],
        "network_profile[0].network_mode": "",
        "network_profile[0].pod_cidrs": ["192.168.0.0/16"],
        "network_profile[0].service_cidrs": ["172.16.0.0/16"],
        "node_resource_group": node_rg,
        "node_resource_group_id": rg_id(node_rg),
        "oidc_issuer_url": "",
        "portal_fqdn": "aks-prod-weu-7q2k4d1x.portal.hcp.westeurope.azmk8s.io",
        "private_dns_zone_id": "",
        "private_fqdn": "",
        "storage_profile": [{
            "blob_driver_enabled": False, "disk_driver_enabled": True,
            "file_driver_enabled": True, "snapshot_controller_enabled": True,
        }],
        "windows_profile": [],
    }
    return known


def build_deleted_nsg() -> Plan:
    p = Plan()
    standard_variables(p)
    nsg_legacy_id = net_id(RG, "networkSecurityGroups", "nsg-aks-nodes-legacy")
    sid = subnet_id(RG, VNET, SNET)
    p.add("azurerm_resource_group", "aks",
          {"location": C("westeurope"), "managed_by": None, "name": C(RG), "tags": R("var.tags", v=TAGS),
           "timeouts": None},
          action="no-op", known={"id": rg_id(RG)})
    rg = Refs("aks", RG)
    vnet_known = {
        "id": net_id(RG, "virtualNetworks", VNET),
        "guid": "6f1d9c0e-2b47-4e8a-9d35-71c0a4e2b8f3",
        "dns_servers": [],
        "subnet": [{
            "address_prefixes": NODES,
            "default_outbound_access_enabled": True,
            "delegation": [],
            "id": sid,
            "name": SNET,
            "private_endpoint_network_policies": "Disabled",
            "private_link_service_network_policies_enabled": True,
            "route_table_id": "",
            "security_group": nsg_legacy_id,
            "service_endpoint_policy_ids": [],
            "service_endpoints": [],
        }],
    }
    p.add("azurerm_virtual_network", "aks",
          virtual_network(VNET, rg.rg, rg.loc, ["10.10.0.0/16"], tags=TAGS_REF),
          action="no-op", known=vnet_known, state_depends_on=["azurerm_resource_group.aks"])
    p.add("azurerm_subnet", "nodes",
          subnet(SNET, rg.rg, R("azurerm_virtual_network.aks.name", v=VNET), NODES),
          action="no-op", known={"id": sid},
          state_depends_on=["azurerm_resource_group.aks", "azurerm_virtual_network.aks"])
    sn = R("azurerm_subnet.nodes.id", v=sid)
    # the legacy NSG and its association are no longer in the configuration: deleted
    p.add("azurerm_network_security_group", "legacy",
          nsg("nsg-aks-nodes-legacy", RG, "westeurope", rules=LEGACY_NSG_RULES, tags=TAGS),
          action="delete", known={"id": nsg_legacy_id}, config=False,
          action_reason="delete_because_no_resource_config",
          state_depends_on=["azurerm_resource_group.aks"])
    p.add("azurerm_subnet_network_security_group_association", "legacy",
          subnet_nsg_association(sid, nsg_legacy_id),
          action="delete", known={"id": sid}, config=False,
          action_reason="delete_because_no_resource_config",
          state_depends_on=["azurerm_network_security_group.legacy", "azurerm_subnet.nodes"])
    # the replacement NSG (inbound rules only) and its association are created
    p.add("azurerm_network_security_group", "nodes",
          nsg("nsg-aks-nodes", rg.rg, rg.loc, rules=inbound_rules(), tags=TAGS_REF))
    p.add("azurerm_subnet_network_security_group_association", "nodes",
          subnet_nsg_association(sn, R("azurerm_network_security_group.nodes.id")))
    # the cluster already exists and does not change
    pool = default_node_pool("system", sn)
    net = network_profile("loadBalancer")
    known = existing_cluster_known(RG, CLUSTER)
    p.add("azurerm_kubernetes_cluster", "aks",
          kubernetes_cluster(CLUSTER, rg.rg, rg.loc, CLUSTER, pool, net, tags=TAGS_REF),
          schema_version=2, action="no-op", known=known,
          state_depends_on=["azurerm_resource_group.aks", "azurerm_subnet.nodes"])
    p.output("cluster_name", CLUSTER, "azurerm_kubernetes_cluster.aks.name")
    return p


DELETED_NSG_README = (
    "An existing cluster (`azurerm_kubernetes_cluster.aks`, no-op, all values known, including "
    "its sensitive `kube_config` whose fake secrets must never be printed) and existing network "
    "(resource group, VNet, subnet: no-op with real Azure IDs). The subnet is still associated in "
    "`prior_state` with `azurerm_network_security_group.legacy`, whose rule "
    "`DenyInternetOutbound` (priority 100) would block all internet egress. This plan deletes that "
    "NSG and its association (`delete_because_no_resource_config`) and creates "
    "`azurerm_network_security_group.nodes` (inbound rules only) with a new association. The "
    "after-state is clean: every required endpoint is reachable for new nodes. Verdict pass, exit "
    "0. Trap: the no-op VNet's computed `subnet[0].security_group` still shows the legacy NSG ID "
    "(refreshed state, not configuration); deleted resources and computed echoes must not be "
    "evaluated as the future network."
)


# ----------------------------------------------------------------------------- no cluster


def build_no_cluster() -> Plan:
    p = Plan()
    standard_variables(p)
    rg = add_rg(p, "network", "rg-network-prod-weu")
    add_vnet(p, "spoke", rg, "vnet-spoke-prod-weu", ["10.30.0.0/16"])
    sn = add_subnet(p, "workload", rg, "spoke", "vnet-spoke-prod-weu", "snet-workload",
                    ["10.30.0.0/24"])
    pe = add_subnet(p, "private_endpoints", rg, "spoke", "vnet-spoke-prod-weu",
                    "snet-private-endpoints", ["10.30.1.0/24"])
    p.add("azurerm_network_security_group", "workload",
          nsg("nsg-workload", rg.rg, rg.loc, rules=[
              nsg_rule("AllowAzureCloudHttpsOutbound", 100, "Outbound", "Allow", "Tcp",
                       dst="AzureCloud", dst_port="443"),
              nsg_rule("DenyInternetOutbound", 4000, "Outbound", "Deny", "*", dst="Internet"),
          ], tags=TAGS_REF))
    p.add("azurerm_subnet_network_security_group_association", "workload",
          subnet_nsg_association(sn, R("azurerm_network_security_group.workload.id")))
    p.add("azurerm_route_table", "workload",
          route_table("rt-workload", rg.rg, rg.loc, routes=[
              route_item("onprem", "10.100.0.0/16", "VirtualNetworkGateway")],
              bgp_propagation=False, tags=TAGS_REF))
    p.add("azurerm_subnet_route_table_association", "workload",
          subnet_route_table_association(sn, R("azurerm_route_table.workload.id")))
    _ = pe
    return p


NO_CLUSTER_README = (
    "A network-only landing-zone plan: resource group, spoke VNet, a workload subnet with an NSG "
    "(allow Tcp 443 to `AzureCloud`, deny `Internet`) and a route table, and a private-endpoint "
    "subnet. There is no `azurerm_kubernetes_cluster` or node pool, so there is no node subnet to "
    "evaluate and nothing AKS needs can be blocked: the tool must not invent findings from the "
    "restrictive NSG. Nor can it pass a gate that checked nothing (the wrong workspace's plan "
    "looks just like this): verdict `nothing-checked`, exit 0 by default and 1 with `--fail-on "
    "unknown`, no rule fired, and a note saying that the input contains no AKS cluster."
)


# ----------------------------------------------------------------------------- deferred data source


def build_deferred_data_subnet() -> Plan:
    p = Plan()
    standard_variables(p)
    rg = add_rg(p, "aks", RG)
    hub_vnet_id = net_id("rg-hub-prod-weu", "virtualNetworks", "vnet-hub-prod-weu")
    p.add("azurerm_virtual_network_peering", "spoke_to_hub",
          peering("peer-spoke-to-hub", "rg-spoke-prod-weu",
                                        "vnet-spoke-prod-weu", hub_vnet_id))
    # existing subnet looked up with depends_on: the read is deferred to apply time
    data_after = {
        "address_prefix": U,
        "address_prefixes": UL,
        "default_outbound_access_enabled": U,
        "id": U,
        "name": C("snet-aks-nodes"),
        "network_security_group_id": U,
        "private_endpoint_network_policies": U,
        "private_link_service_network_policies_enabled": U,
        "resource_group_name": C("rg-spoke-prod-weu"),
        "route_table_id": U,
        "service_endpoints": UL,
        "timeouts": None,
        "virtual_network_name": C("vnet-spoke-prod-weu"),
    }
    p.add("azurerm_subnet", "nodes", data_after, mode="data", action="read",
          action_reason="read_because_dependency_pending",
          depends_on=["azurerm_virtual_network_peering.spoke_to_hub"])
    add_cluster(p, rg, R("data.azurerm_subnet.nodes.id"), "userDefinedRouting")
    return p


DEFERRED_README = (
    "The cluster joins an existing spoke subnet read with `data \"azurerm_subnet\" \"nodes\"`, but "
    "the data source has `depends_on = [azurerm_virtual_network_peering.spoke_to_hub]`, so "
    "Terraform defers the read to apply time (`actions: [\"read\"]`, "
    "`read_because_dependency_pending`): the subnet's ID, prefixes, NSG and route table are all "
    "unknown in the plan, and nothing else in the plan describes that subnet. The egress path "
    "cannot be evaluated at all; every required endpoint is `unknown` (never `reachable`). "
    "Verdict unknown, exit 0 (1 with `--fail-on unknown`), EGR001. The fix: drop `depends_on` "
    "from the data source so that it is read during planning."
)


# ----------------------------------------------------------------------------- outbound none


def build_outbound_none_private_subnet() -> Plan:
    p = Plan()
    rg, sn = spoke(p, subnet_kw={"default_outbound_access": False})
    add_cluster(p, rg, sn, "none", network_contributor_scope=sn)
    return p


def build_outbound_none_default_access() -> Plan:
    p = Plan()
    rg, sn = spoke(p, subnet_kw={"default_outbound_access": True})
    add_cluster(p, rg, sn, "none", network_contributor_scope=sn)
    return p


OUTBOUND_NONE_DEFAULT_README = (
    "Outbound type `none` on a node subnet that keeps Azure's default outbound access "
    "(`default_outbound_access_enabled = true`), with no NAT gateway, route table, instance "
    "public IPs or firewall. Nodes reach the public endpoints only through implicit default "
    "outbound access, which Azure is retiring (new subnets are private by default): it works "
    "today, so every required endpoint is `reachable`, with an EGR003 warning. Verdict pass, "
    "exit 0 (1 with `--fail-on warning`)."
)


OUTBOUND_NONE_README = (
    "Outbound type `none` (AKS sets up no egress and leaves it entirely to the user) on a node "
    "subnet created as a private subnet (`default_outbound_access_enabled = false`), with no NAT "
    "gateway, no route table, no instance public IPs and no firewall. The cluster is not "
    "network isolated (no `bootstrap_profile` with artifact source `Cache`, no private cluster), "
    "so nodes still need MCR, ARM, Entra ID, the package hosts and the public API server, but "
    "there is no SNAT path to any public address: every required endpoint is blocked. (With "
    "`none` the provisioning script skips its outbound check, so the failure shows up later, as "
    "image pulls and API server connections that never succeed.) Verdict fail, exit 1, EGR002 "
    "on the node subnet. Note: support for `none` in azurerm's `outbound_type` validation depends "
    "on the provider release; the plan is what a provider accepting it produces."
)


# ----------------------------------------------------------------------------- registry


def scenarios() -> list[Scenario]:
    sys_ok = egress("system", ALL_PUBLIC, "reachable")
    return [
        Scenario("lb-clean", "loadBalancer outbound, custom VNet, inbound-only NSG: all reachable.",
                 LB_CLEAN_README, Expect(0, "pass", [], sys_ok), build_lb_clean),
        Scenario("minified-lb-clean", "lb-clean written on one line as `terraform show -json` does.",
                 LB_CLEAN_README + " This copy is minified on a single line, exactly as "
                 "`terraform show -json` writes it (including Go's escaping of `>` as `\\u003e` in "
                 "`\"~\\u003e 4.14\"`), to exercise byte-offset locations on a single line.",
                 Expect(0, "pass", [], sys_ok), build_lb_clean, minified=True),
        Scenario("nsg-deny-internet-443", "Separate NSG rule denies Tcp 443 to Internet at priority 100: NSG001.",
                 NSG_DENY_README,
                 Expect(1, "fail", ["NSG001"], egress("system", ALL_PUBLIC, "blocked"),
                        [Finding("NSG001", "azurerm_network_security_rule.deny_internet_https_outbound",
                                 pool="system")]),
                 build_nsg_deny_internet_443),
        Scenario("nsg-deny-with-higher-allow", "Allow 443 to AzureCloud/Internet at 100/110 before Deny-all at 4000: pass.",
                 NSG_ALLOW_README, Expect(0, "pass", [], sys_ok), build_nsg_deny_with_higher_allow),
        Scenario("udr-no-route-table", "userDefinedRouting without a route table: RTE002.",
                 UDR_NO_RT_README,
                 Expect(1, "fail", ["RTE002"], [],
                        [Finding("RTE002", "azurerm_subnet.nodes", pool="system")]),
                 build_udr_no_route_table),
        Scenario("nsg-duplicate-priority", "Two outbound NSG rules with priority 200: NSG002 (Azure rejects the NSG).",
                 NSG_DUP_README,
                 Expect(1, "fail", ["NSG002"], [],
                        [Finding("NSG002", "azurerm_network_security_group.nodes")]),
                 build_nsg_duplicate_priority),
        Scenario("route-duplicate-prefix", "Two routes for 10.50.0.0/16 in one route table: RTE006 (RouteConflict).",
                 ROUTE_DUP_README,
                 Expect(1, "fail", ["RTE006"], [],
                        [Finding("RTE006", "azurerm_route_table.nodes")]),
                 build_route_duplicate_prefix),
        Scenario("udr-default-to-none", "0.0.0.0/0 -> None: RTE001, everything blocked.",
                 UDR_NONE_README,
                 Expect(1, "fail", ["RTE001"], egress("system", ALL_PUBLIC, "blocked"),
                        [Finding("RTE001", "azurerm_route_table.nodes", pool="system")]),
                 build_udr_default_to_none),
        Scenario("udr-default-to-internet", "userDefinedRouting with 0.0.0.0/0 -> Internet (separate azurerm_route): RTE004.",
                 UDR_INTERNET_README,
                 Expect(1, "fail", ["RTE004"], [],
                        [Finding("RTE004", "azurerm_route.default", pool="system")]),
                 build_udr_default_to_internet),
        Scenario("udr-no-default-route", "userDefinedRouting, route table with only 10.0.0.0/8: RTE003.",
                 UDR_NO_DEFAULT_README,
                 Expect(1, "fail", ["RTE003"], [],
                        [Finding("RTE003", "azurerm_route_table.nodes", pool="system")]),
                 build_udr_no_default_route),
        Scenario("vnet-gateway-forced-tunnel", "0.0.0.0/0 -> VirtualNetworkGateway (forced tunnel to on-premises): RTE005, unknown.",
                 FORCED_TUNNEL_README,
                 Expect(0, "unknown", ["RTE005"], egress("system", ALL_PUBLIC, "unknown"),
                        [Finding("RTE005", "azurerm_route_table.nodes", pool="system")]),
                 build_vnet_gateway_forced_tunnel),
        Scenario("user-nat-missing", "userAssignedNATGateway, NAT gateway not associated with the node subnet: NAT001.",
                 USER_NAT_MISSING_README,
                 Expect(1, "fail", ["NAT001"], [],
                        [Finding("NAT001", "azurerm_subnet.nodes", pool="system")]),
                 build_user_nat_missing),
        Scenario("user-nat-ok", "userAssignedNATGateway with NAT gateway + public IP: pass.",
                 USER_NAT_OK_README, Expect(0, "pass", [], sys_ok), build_user_nat_ok),
        Scenario("user-nat-no-public-ip", "userAssignedNATGateway, NAT gateway associated but without public IP: NAT003.",
                 USER_NAT_NO_IP_README,
                 Expect(1, "fail", ["NAT003"], egress("system", ALL_PUBLIC, "blocked"),
                        [Finding("NAT003", "azurerm_nat_gateway.aks", pool="system")]),
                 build_user_nat_no_public_ip),
        Scenario("managed-nat-custom-vnet", "managedNATGateway with a custom subnet (vnet_subnet_id): NAT002.",
                 MANAGED_NAT_README,
                 Expect(1, "fail", ["NAT002"], [],
                        [Finding("NAT002", "azurerm_kubernetes_cluster.aks")]),
                 build_managed_nat_custom_vnet),
        Scenario("modules-for-each", "Network in module.network with for_each subnets; only the batch pool's NSG denies 443.",
                 MODULES_README,
                 Expect(1, "fail", ["NSG001"],
                        egress("system", ALL_PUBLIC, "reachable")
                        + egress("batch", ALL_PUBLIC, "blocked"),
                        [Finding("NSG001",
                                 'module.network.azurerm_network_security_group.this["batch"]',
                                 pool="batch")]),
                 build_modules_for_each),
        Scenario("azurerm3-names", "azurerm 3.x attribute names (disable_bgp_route_propagation, api_server_authorized_ip_ranges): pass.",
                 AZURERM3_README, Expect(0, "pass", [], sys_ok), build_azurerm3_names),
        Scenario("deleted-nsg", "The denying NSG and its association are deleted in this plan: after-state clean.",
                 DELETED_NSG_README, Expect(0, "pass", [], sys_ok), build_deleted_nsg),
        Scenario("no-cluster", "Network-only plan, no AKS cluster: nothing checked, with a note.",
                 NO_CLUSTER_README,
                 Expect(0, "nothing-checked", [], [], [], notes=["no AKS cluster"]),
                 build_no_cluster),
        Scenario("outbound-none-private-subnet", "Outbound type none on a private subnet without NAT/firewall: EGR002.",
                 OUTBOUND_NONE_README,
                 Expect(1, "fail", ["EGR002"], egress("system", ALL_PUBLIC, "blocked"),
                        [Finding("EGR002", "azurerm_subnet.nodes", pool="system")]),
                 build_outbound_none_private_subnet),
        Scenario("outbound-none-default-access", "Outbound type none, egress only through implicit default outbound access: EGR003 warning.",
                 OUTBOUND_NONE_DEFAULT_README,
                 Expect(0, "pass", ["EGR003"], egress("system", ALL_PUBLIC, "reachable"),
                        [Finding("EGR003", "azurerm_subnet.nodes", pool="system")]),
                 build_outbound_none_default_access),
        Scenario("deferred-data-subnet", "Node subnet from a data source read at apply time: EGR001, unknown.",
                 DEFERRED_README,
                 Expect(0, "unknown", ["EGR001"], egress("system", ALL_PUBLIC, "unknown"),
                        [Finding("EGR001", "data.azurerm_subnet.nodes", pool="system")]),
                 build_deferred_data_subnet),
    ]

