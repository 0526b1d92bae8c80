"""Scenarios: clusters with an HTTP proxy (`http_proxy_config`). HTTP and HTTPS egress goes to
the proxy, so the path that decides is the one from the node subnet to the proxy."""

from __future__ import annotations

TITLE = "HTTP proxy on the egress path"

from azurerm import R, SECRET, linux_vm, network_interface, nsg_rule
from common import (CORE_HTTPS, PUBLIC_API, TAGS_REF, Egress, Expect, Finding, Scenario,
                    add_cluster, add_subnet, egress)
from scenarios_firewall_dns_private import hub_and_spoke
from scenarios_nsg_routes_outbound import VNET, inbound_rules, spoke
from tfplan import Plan, variable_decl

ALL_PUBLIC = CORE_HTTPS + [PUBLIC_API]
SPOKE_PROXY = "10.10.8.4"
HUB_PROXY = "10.0.3.4"

PROXY_DOCS = (
    "Microsoft: \"HTTP proxy support in Azure Kubernetes Service (AKS)\" "
    "(https://learn.microsoft.com/azure/aks/http-proxy): with `httpProxyConfig` both nodes and "
    "pods use the proxy (`HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY`); `httpsProxy` defaults to "
    "`httpProxy`; `noProxy` lists destinations that bypass it, and AKS adds values of its own to "
    "the effective list (`effectiveNoProxy`, \"a superset of noProxy and values injected by "
    "AKS\", which are not listed). Only HTTP and HTTPS use it: the tunnel (Udp 1194, Tcp 9000), "
    "NTP and DNS go straight. \"Network security groups\" "
    "(https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview) filter "
    "the flow to the proxy like any other."
)


def proxy_vm(p: Plan, rg, subnet_ref: R, ip: str, tf: str = "proxy"):
    p.add("azurerm_network_interface", tf,
          network_interface(f"nic-{tf}-01", rg.rg, rg.loc, subnet_ref, ip, tags=TAGS_REF))
    p.add("azurerm_linux_virtual_machine", tf,
          linux_vm(f"vm-{tf}-01", rg.rg, rg.loc, f"azurerm_network_interface.{tf}.id",
                   "local.proxy_cloud_init", tags=TAGS_REF))


def proxy_ca_var(p: Plan):
    p.var("proxy_trusted_ca", SECRET,
          variable_decl(description="CA bundle of the corporate proxy (PEM, base64).",
                        sensitive=True))


def build_spoke_proxy(nsg_rules, no_proxy=("localhost", "127.0.0.1")) -> Plan:
    p = Plan()
    rg, sn = spoke(p, nsg_rules=nsg_rules)
    proxy_sn = add_subnet(p, "proxy", rg, "aks", VNET, "snet-proxy", ["10.10.8.0/24"])
    proxy_vm(p, rg, proxy_sn, SPOKE_PROXY)
    proxy_ca_var(p)
    add_cluster(p, rg, sn, "loadBalancer", network_contributor_scope=sn,
                http_proxy=(f"http://{SPOKE_PROXY}:3128/", None, list(no_proxy)))
    return p


UNATTESTED_README = (
    "Public cluster (outbound type `loadBalancer`) in the custom VNet of `lb-clean`, with "
    "`http_proxy_config { http_proxy = \"http://10.10.8.4:3128/\", no_proxy = [\"localhost\", "
    "\"127.0.0.1\"] }` (the CA bundle `trusted_ca` is a sensitive variable and must never be "
    "printed). The proxy is a VM in the same VNet (`snet-proxy`, static NIC address 10.10.8.4). "
    "Every required HTTPS endpoint goes to the proxy: the node subnet's NSG (inbound rules only) "
    "lets Tcp 3128 to 10.10.8.4 out by `AllowVnetOutBound`, the route is `VnetLocal`, and the "
    "proxy's subnet has no NSG, so the nodes reach the proxy. What the proxy lets through is "
    "not in the plan: the HTTPS endpoints are `unknown` (PXY001 names the proxy), never "
    "`reachable` on the strength of the direct path. The API server FQDN may be one of the "
    "values AKS adds to the no-proxy list: straight it is reachable, through the proxy unknown, "
    "so PXY004. Verdict unknown, exit 0. "
    + PROXY_DOCS
)

DENIED_README = (
    "As `proxy-reachable-unattested`, but the node subnet's NSG is locked down: "
    "`AllowWebOutbound` (100) allows Tcp 80 and 443 to `Internet`, and `DenyVnetOutbound` "
    "(4000) denies everything to `VirtualNetwork`, which contains the proxy 10.10.8.4. Straight "
    "to the internet every HTTPS endpoint would be allowed, and a check that ignores the proxy "
    "says pass; but the nodes send HTTPS to the proxy on Tcp 3128, which `DenyVnetOutbound` "
    "drops: the proxy and every endpoint behind it are `blocked`, and the provisioning outbound "
    "check (curl to MCR through the proxy) fails with exit 50. The API server goes straight "
    "(`no_proxy` lists `azmk8s.io`) and is reachable. Verdict fail, exit 1: NSG001 on "
    "`DenyVnetOutbound`, listing the proxy and the endpoints behind it, whose fix opens Tcp 3128 "
    "to the proxy (not 443 to the internet). " + PROXY_DOCS
)


def build_hub_proxy() -> Plan:
    p = Plan()
    n = hub_and_spoke(p, hub_subnets=[("proxy", "snet-proxy", ["10.0.3.0/24"], {})])
    proxy_vm(p, n.hub, R("azurerm_subnet.proxy.id"), HUB_PROXY)
    proxy_ca_var(p)
    add_cluster(p, n.spoke, n.nodes, "loadBalancer", network_contributor_scope=n.nodes,
                http_proxy=(f"http://{HUB_PROXY}:8080/", None,
                            ["localhost", "127.0.0.1", "packages.aks.azure.com"]))
    return p


HUB_README = (
    "Public cluster (outbound type `loadBalancer`) in the spoke of `hub-fw-aks-tag`'s "
    "hub-and-spoke (peered both ways, no firewall), with `http_proxy = "
    "\"http://10.0.3.4:8080/\"`, a proxy VM in the hub's `snet-proxy`, and `no_proxy` "
    "including `packages.aks.azure.com`. The config file `aks-preflight.toml` attests what the "
    "proxy lets through (`*:443/https`, `*:80/http`). The nodes reach the proxy over the "
    "peering (the spoke NSG's `AllowVnetOutBound` covers the peered hub; the proxy subnet has "
    "no NSG), and the proxy allows what goes through it; `packages.aks.azure.com` bypasses the "
    "proxy and leaves through the AKS load balancer. The API server is reachable both ways. "
    "Verdict pass, exit 0. " + PROXY_DOCS
)

HUB_CONFIG = """# The corporate proxy in the hub, and what it lets through (attested by the network team).
[[proxy]]
address = "10.0.3.4:8080"
name = "hub-proxy"
allows = ["*:443/https", "*:80/http"]
"""


def scenarios() -> list[Scenario]:
    https = [h for h in ALL_PUBLIC if h != PUBLIC_API]
    locked = [
        nsg_rule("AllowWebOutbound", 100, "Outbound", "Allow", "Tcp", dst="Internet",
                 dst_ports=["80", "443"]),
        nsg_rule("DenyVnetOutbound", 4000, "Outbound", "Deny", "*", dst="VirtualNetwork"),
    ] + inbound_rules()
    return [
        Scenario("proxy-reachable-unattested",
                 "HTTP proxy in the VNet, reachable, not attested: PXY001 (and PXY004 for the API "
                 "server), unknown.",
                 UNATTESTED_README,
                 Expect(0, "unknown", ["PXY001", "PXY004"],
                        egress("system", https, "unknown")
                        + [Egress("system", SPOKE_PROXY, 3128, "tcp", "reachable")],
                        [Finding("PXY001", "azurerm_kubernetes_cluster.aks", pool="system",
                                 message=f"{SPOKE_PROXY}:3128")]),
                 lambda: build_spoke_proxy("inbound")),
        Scenario("proxy-port-denied",
                 "NSG denies the proxy port while direct 443 is open: NSG001 for the proxy and "
                 "everything behind it.",
                 DENIED_README,
                 Expect(1, "fail", ["NSG001"],
                        egress("system", https, "blocked")
                        + [Egress("system", SPOKE_PROXY, 3128, "tcp", "blocked"),
                           Egress("system", PUBLIC_API, 443, "tcp", "reachable")],
                        [Finding("NSG001", "azurerm_network_security_group.nodes", pool="system",
                                 message="DenyVnetOutbound", help="destination_address_prefix = \"10.10.8.4\"")]),
                 lambda: build_spoke_proxy(locked, ("localhost", "127.0.0.1", "azmk8s.io"))),
        Scenario("proxy-in-peered-hub-attested",
                 "HTTP proxy in the peered hub, attested in the config; one no_proxy bypass: "
                 "pass.",
                 HUB_README,
                 Expect(0, "pass", [], egress("system", ALL_PUBLIC, "reachable")
                        + [Egress("system", HUB_PROXY, 8080, "tcp", "reachable")]),
                 build_hub_proxy, config=HUB_CONFIG),
    ]
