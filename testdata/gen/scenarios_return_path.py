"""Scenarios: return paths. A private destination behind the hub firewall (a DNS server or a
proxy in another spoke) must be able to answer the nodes: routes are not stateful."""

from __future__ import annotations

TITLE = "Return paths from private destinations"

from azurerm import (R, U, net_rule, peering, route_item, route_table, rule_collection,
                     subnet_route_table_association)
from common import (CORE_HTTPS, PUBLIC_API, TAGS_REF, Egress, Expect, Finding, Scenario,
                    add_cluster, add_rg, add_subnet, add_vnet, egress)
from scenarios_firewall_dns_private import (FW_IP_REF, NODE_PREFIXES, Net, add_default_route_to_firewall,
                                            add_firewall, add_rcg, aks_tag_collection,
                                            hub_and_spoke, network_collection)
from scenarios_proxy import proxy_ca_var, proxy_vm
from tfplan import Plan

SHARED_RG = "rg-shared-prod-weu"
SHARED_VNET = "vnet-shared-prod-weu"
DNS_IP = "10.2.0.4"
PROXY_IP = "10.2.1.4"
ALL_PUBLIC = CORE_HTTPS + [PUBLIC_API]

RETURN_DOCS = (
    "Microsoft: \"Virtual network traffic routing\" "
    "(https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview): each "
    "subnet routes by its own effective routes, and private ranges outside its VNet and its "
    "peerings go to next hop None; \"Azure Firewall SNAT private IP address ranges\" "
    "(https://learn.microsoft.com/azure/firewall/snat-private-range): Azure Firewall does not "
    "SNAT network-rule traffic to private destinations, so the reply is addressed to the node; "
    "\"Network security groups\" (https://learn.microsoft.com/azure/virtual-network/"
    "network-security-groups-overview): NSGs are stateful, routes are not. The hub-and-spoke "
    "reference architecture (https://learn.microsoft.com/azure/architecture/networking/"
    "architecture/hub-spoke) sends spoke-to-spoke traffic through the hub firewall with a route "
    "on each spoke."
)


def shared_spoke(p: Plan, n: Net, *, return_route: bool) -> None:
    """Shared-services spoke 10.2.0.0/16 (DNS subnet 10.2.0.0/24, proxy subnet 10.2.1.0/24),
    peered with the hub only; optionally a route table sending the node range back through the
    hub firewall."""
    shared = add_rg(p, "shared", SHARED_RG)
    add_vnet(p, "shared", shared, SHARED_VNET, ["10.2.0.0/16"])
    dns = add_subnet(p, "dns", shared, "shared", SHARED_VNET, "snet-dns", ["10.2.0.0/24"])
    proxy = add_subnet(p, "proxy", shared, "shared", SHARED_VNET, "snet-proxy", ["10.2.1.0/24"])
    p.add("azurerm_virtual_network_peering", "shared_to_hub",
          peering("peer-shared-to-hub", shared.rg,
                  R("azurerm_virtual_network.shared.name", v=SHARED_VNET),
                  R("azurerm_virtual_network.hub.id"), forwarded=True))
    p.add("azurerm_virtual_network_peering", "hub_to_shared",
          peering("peer-hub-to-shared", n.hub.rg,
                  R("azurerm_virtual_network.hub.name", v="vnet-hub-prod-weu"),
                  R("azurerm_virtual_network.shared.id"), forwarded=True))
    if return_route:
        p.add("azurerm_route_table", "shared",
              route_table("rt-shared-services", shared.rg, shared.loc,
                          routes=[route_item("aks-nodes-via-firewall", "10.1.0.0/16",
                                             "VirtualAppliance", U)],
                          route_refs=[FW_IP_REF], bgp_propagation=False, tags=TAGS_REF))
        for tf, sn in (("dns", dns), ("proxy", proxy)):
            p.add("azurerm_subnet_route_table_association", f"shared_{tf}",
                  subnet_route_table_association(sn, R("azurerm_route_table.shared.id")))
    # the DNS server and the proxy are VMs (static NIC addresses)
    proxy_vm(p, shared, dns, DNS_IP, tf="dns")
    proxy_vm(p, shared, proxy, PROXY_IP, tf="proxy")


def spoke_to_shared_collection() -> dict:
    return rule_collection("aks-to-shared-services", 110, "Allow", [
        net_rule("dns-udp", NODE_PREFIXES, ["UDP"], [DNS_IP], ["53"]),
        net_rule("dns-tcp", NODE_PREFIXES, ["TCP"], [DNS_IP], ["53"]),
        net_rule("proxy", NODE_PREFIXES, ["TCP"], [PROXY_IP], ["3128"]),
    ])


def build_dns(return_route: bool) -> Plan:
    p = Plan()
    n = hub_and_spoke(p, spoke_dns=[DNS_IP])
    add_firewall(p, n)
    add_rcg(p, app=[aks_tag_collection()],
            net=[network_collection(api_https=True), spoke_to_shared_collection()])
    add_default_route_to_firewall(p, n)
    shared_spoke(p, n, return_route=return_route)
    add_cluster(p, n.spoke, n.nodes, "userDefinedRouting", network_contributor_scope=n.nodes)
    return p


def build_proxy_no_return() -> Plan:
    p = Plan()
    n = hub_and_spoke(p)
    add_firewall(p, n)
    add_rcg(p, app=[aks_tag_collection()],
            net=[network_collection(api_https=True), spoke_to_shared_collection()])
    add_default_route_to_firewall(p, n)
    shared_spoke(p, n, return_route=False)
    proxy_ca_var(p)
    add_cluster(p, n.spoke, n.nodes, "userDefinedRouting", network_contributor_scope=n.nodes,
                http_proxy=(f"http://{PROXY_IP}:3128/", None, ["localhost", "127.0.0.1"]))
    return p


DNS_NO_RETURN_README = (
    "The AKS spoke (10.1.0.0/16, nodes 10.1.0.0/22) sends 0.0.0.0/0 to the hub Azure Firewall "
    "(`hub-fw-aks-tag`) and uses the DNS server 10.2.0.4, a VM in a shared-services spoke "
    "(`azurerm_virtual_network.shared`, 10.2.0.0/16) that is peered with the hub only. The "
    "firewall's network rules allow Udp and Tcp 53 from the nodes to 10.2.0.4, so the query "
    "reaches the server. The answer does not come back: the firewall does not SNAT network-rule "
    "traffic to a private address, so the reply is addressed to the node (10.1.0.x), and the DNS "
    "subnet has no route table: its effective routes know its own VNet and the hub, and send "
    "10.0.0.0/8 to next hop None. Every lookup times out (vmssCSE exit 52, and 50 on older node "
    "images). Verdict fail, exit 1: DNS001 for 10.2.0.4, whose reason and trace show the reply "
    "dropped by the DNS subnet's route. The required public endpoints are reachable through the "
    "firewall. " + RETURN_DOCS
)

DNS_RETURN_README = (
    "`dns-spoke-via-firewall-no-return` with the fix: the shared-services spoke's subnets have "
    "the route table `azurerm_route_table.shared` with `10.1.0.0/16 -> VirtualAppliance` = the "
    "firewall's private IP, so the DNS server's answer goes back through the firewall that "
    "carried the query (symmetric). The config file attests the DNS server (it forwards to Azure "
    "DNS from the shared-services VNet). Verdict pass, exit 0. " + RETURN_DOCS
)

PROXY_NO_RETURN_README = (
    "The AKS spoke behind the hub firewall uses the HTTP proxy 10.2.1.4:3128 in the "
    "shared-services spoke (peered with the hub only, no route table). The firewall's network "
    "rule lets the nodes reach the proxy, but the proxy's subnet routes its replies to "
    "10.1.0.x to next hop None (10.0.0.0/8): no connection to the proxy completes, so MCR, ARM, "
    "Entra ID and the package hosts, which go through the proxy, are blocked too (exit 50). "
    "Verdict fail, exit 1: RET001 on the proxy's subnet, listing the proxy and the endpoints "
    "behind it; PXY004 for the API server (open straight through the firewall, blocked through "
    "the proxy). " + RETURN_DOCS
)

DNS_CONFIG = f"""# The shared-services DNS server forwards to Azure DNS (attested by the platform team).
[[dns_server]]
ip = "{DNS_IP}"
forwards_to_azure_dns = true
vnet = "azurerm_virtual_network.shared"
"""


def scenarios() -> list[Scenario]:
    https = [h for h in ALL_PUBLIC if h != PUBLIC_API]
    return [
        Scenario("dns-spoke-via-firewall-no-return",
                 "DNS server in another spoke behind the hub firewall, no route back: DNS001 "
                 "(the reply is dropped).",
                 DNS_NO_RETURN_README,
                 Expect(1, "fail", ["DNS001"],
                        egress("system", ALL_PUBLIC, "reachable")
                        + [Egress("system", DNS_IP, 53, "udp", "blocked")],
                        [Finding("DNS001", "azurerm_virtual_network.aks", pool="system",
                                 endpoint=DNS_IP, message="the reply is dropped")]),
                 lambda: build_dns(False)),
        Scenario("dns-spoke-via-firewall-with-return",
                 "DNS server in another spoke behind the hub firewall, route back through the "
                 "firewall: pass.",
                 DNS_RETURN_README,
                 Expect(0, "pass", [], egress("system", ALL_PUBLIC, "reachable")
                        + [Egress("system", DNS_IP, 53, "udp", "reachable")]),
                 lambda: build_dns(True), config=DNS_CONFIG),
        Scenario("proxy-spoke-via-firewall-no-return",
                 "HTTP proxy in another spoke behind the hub firewall, no route back: RET001 for "
                 "the proxy and everything behind it.",
                 PROXY_NO_RETURN_README,
                 Expect(1, "fail", ["PXY004", "RET001"],
                        egress("system", https, "blocked")
                        + [Egress("system", PROXY_IP, 3128, "tcp", "blocked")],
                        [Finding("RET001", "azurerm_subnet.proxy", pool="system")]),
                 build_proxy_no_return),
    ]
