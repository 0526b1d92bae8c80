"""Scenarios: Azure Firewall in a hub, peerings, DNS, private clusters, authorized ranges."""

from __future__ import annotations

TITLE = "Firewall, hub-spoke, DNS, private clusters"

from azurerm import (C, R, U, app_rule, classic_app_collection, classic_app_rule,
                     classic_net_collection, classic_net_rule, delegation, dns_resolver,
                     dns_resolver_inbound_endpoint, firewall, firewall_policy, linux_vm,
                     local_network_gateway, net_id, net_rule, network_interface, nsg, peering,
                     private_dns_zone, private_dns_zone_link, public_ip, role_assignment,
                     route_item, route_table, rule_collection, rule_collection_group,
                     subnet_nsg_association, subnet_route_table_association,
                     user_assigned_identity, vpn_connection, vpn_gateway, SECRET)
from common import (CORE_HTTPS, PUBLIC_API, REGION, TAGS_REF, Egress, Expect, Finding, Refs,
                    Scenario, add_cluster, add_rg, add_subnet, add_vnet, egress,
                    standard_variables)
from scenarios_nsg_routes_outbound import inbound_rules
from tfplan import Plan, variable_decl

HUB_RG = "rg-hub-prod-weu"
HUB_VNET = "vnet-hub-prod-weu"
SPOKE_RG = "rg-aks-prod-weu"
SPOKE_VNET = "vnet-aks-prod-weu"
NODES = ["10.1.0.0/22"]
ALL_PUBLIC = CORE_HTTPS + [PUBLIC_API]
FW_IP_REF = "azurerm_firewall.hub.ip_configuration[0].private_ip_address"
NODE_PREFIXES = R("azurerm_subnet.nodes.address_prefixes", v=NODES)
AZURE_CLOUD_REGION = f"AzureCloud.{REGION}"


def dns_egress(ip: str, verdict: str) -> Egress:
    """Expectation for a custom DNS server (udp/53) from the system pool."""
    return Egress("system", ip, 53, "udp", verdict)


class Net:
    """References into the generated hub and spoke."""

    hub: Refs
    spoke: Refs
    nodes: R


def hub_and_spoke(p: Plan, *, spoke_dns=None, hub_subnets=(), spoke_forwarded=True,
                  extra_vars=None, spoke_kw=None, gateway_transit=False) -> Net:
    """Hub VNet 10.0.0.0/16 (rg-hub-prod-weu) and AKS spoke 10.1.0.0/16 (rg-aks-prod-weu), node
    subnet 10.1.0.0/22 with an inbound-only NSG, peered both ways."""
    standard_variables(p, extra_vars)
    n = Net()
    n.hub = add_rg(p, "hub", HUB_RG)
    n.spoke = add_rg(p, "aks", SPOKE_RG)
    add_vnet(p, "hub", n.hub, HUB_VNET, ["10.0.0.0/16"])
    add_vnet(p, "aks", n.spoke, SPOKE_VNET, ["10.1.0.0/16"], dns_servers=spoke_dns,
             **(spoke_kw or {}))
    for tf, name, prefixes, kw in hub_subnets:
        add_subnet(p, tf, n.hub, "hub", HUB_VNET, name, prefixes, **kw)
    n.nodes = add_subnet(p, "nodes", n.spoke, "aks", SPOKE_VNET, "snet-aks-nodes", NODES)
    p.add("azurerm_network_security_group", "nodes",
          nsg("nsg-aks-nodes", n.spoke.rg, n.spoke.loc, rules=inbound_rules("10.1.0.0/22"),
              tags=TAGS_REF))
    p.add("azurerm_subnet_network_security_group_association", "nodes",
          subnet_nsg_association(n.nodes, R("azurerm_network_security_group.nodes.id")))
    p.add("azurerm_virtual_network_peering", "hub_to_spoke",
          peering("peer-hub-to-aks", n.hub.rg, R("azurerm_virtual_network.hub.name", v=HUB_VNET),
                  R("azurerm_virtual_network.aks.id"), forwarded=True,
                  gateway_transit=gateway_transit))
    p.add("azurerm_virtual_network_peering", "spoke_to_hub",
          peering("peer-aks-to-hub", n.spoke.rg, R("azurerm_virtual_network.aks.name",
                                                    v=SPOKE_VNET),
                  R("azurerm_virtual_network.hub.id"), forwarded=spoke_forwarded,
                  remote_gateways=gateway_transit))
    return n


def add_firewall(p: Plan, n: Net, *, policy=True, dns_proxy=True):
    add_subnet(p, "firewall", n.hub, "hub", HUB_VNET, "AzureFirewallSubnet", ["10.0.1.0/26"])
    p.add("azurerm_public_ip", "fw", public_ip("pip-afw-hub-prod-weu", n.hub.rg, n.hub.loc,
                                               zones=["1", "2", "3"], tags=TAGS_REF))
    if policy:
        p.add("azurerm_firewall_policy", "hub",
              firewall_policy("afwp-hub-prod-weu", n.hub.rg, n.hub.loc,
                              dns_proxy=True if dns_proxy else None, tags=TAGS_REF))
    p.add("azurerm_firewall", "hub",
          firewall("afw-hub-prod-weu", n.hub.rg, n.hub.loc, R("azurerm_subnet.firewall.id"),
                   R("azurerm_public_ip.fw.id"),
                   R("azurerm_firewall_policy.hub.id") if policy else None,
                   dns_proxy=None if policy else dns_proxy, zones=["1", "2", "3"],
                   tags=TAGS_REF))


def add_default_route_to_firewall(p: Plan, n: Net):
    """Inline route whose next hop is the firewall's private IP (unknown until apply): the
    `route` argument is attributes-as-blocks, so its configuration is ONE references list."""
    p.add("azurerm_route_table", "aks",
          route_table("rt-aks-nodes", n.spoke.rg, n.spoke.loc,
                      routes=[route_item("default-to-firewall", "0.0.0.0/0", "VirtualAppliance",
                                         U)],
                      route_refs=[FW_IP_REF], bgp_propagation=False, tags=TAGS_REF))
    p.add("azurerm_subnet_route_table_association", "aks",
          subnet_route_table_association(n.nodes, R("azurerm_route_table.aks.id")))


def network_collection(api_https=False, ntp_fqdn=False, sources=NODE_PREFIXES) -> dict:
    rules = [
        net_rule("aks-tunnel-udp", sources, ["UDP"], [AZURE_CLOUD_REGION], ["1194"]),
        net_rule("aks-tunnel-tcp", sources, ["TCP"], [AZURE_CLOUD_REGION], ["9000"]),
    ]
    if ntp_fqdn:
        rules.append(net_rule("ntp", sources, ["UDP"], None, ["123"], fqdns=["ntp.ubuntu.com"]))
    else:
        rules.append(net_rule("ntp", sources, ["UDP"], ["*"], ["123"]))
    if api_https:
        rules.append(net_rule("aks-apiserver-https", sources, ["TCP"], [AZURE_CLOUD_REGION],
                              ["443"]))
    return rule_collection("aks-network", 100, "Allow", rules)


def aks_tag_collection(tag="AzureKubernetesService", sources=NODE_PREFIXES, priority=200) -> dict:
    return rule_collection("aks-fqdn-tag", priority, "Allow", [
        app_rule("aks-service-tag", sources, fqdn_tags=[tag]),
        app_rule("ubuntu-updates", sources,
                 fqdns=["security.ubuntu.com", "azure.archive.ubuntu.com",
                        "changelogs.ubuntu.com"], protocols=(("Http", 80),)),
    ])


def add_rcg(p: Plan, app=(), net=()):
    p.add("azurerm_firewall_policy_rule_collection_group", "aks",
          rule_collection_group("rcg-aks-egress", R("azurerm_firewall_policy.hub.id"), 200,
                                app=app, net=net))


def standard_egress_firewall(p: Plan, *, spoke_dns=None, dns_proxy=True, spoke_forwarded=True,
                             app=None, net=None, cluster_kw=None) -> Net:
    n = hub_and_spoke(p, spoke_dns=spoke_dns, spoke_forwarded=spoke_forwarded)
    add_firewall(p, n, dns_proxy=dns_proxy)
    add_rcg(p, app=app if app is not None else [aks_tag_collection()],
            net=net if net is not None else [network_collection(api_https=True)])
    add_default_route_to_firewall(p, n)
    add_cluster(p, n.spoke, n.nodes, "userDefinedRouting", network_contributor_scope=n.nodes,
                **(cluster_kw or {}))
    return n


# ----------------------------------------------------------------------------- firewall rules


def build_hub_fw_aks_tag() -> Plan:
    p = Plan()
    standard_egress_firewall(p, cluster_kw={"windows_admin": True})
    return p


HUB_FW_AKS_TAG_README = (
    "Hub-and-spoke as in the AKS egress tutorial. The spoke node subnet (10.1.0.0/22) has route "
    "table `azurerm_route_table.aks` with 0.0.0.0/0 -> `VirtualAppliance` whose address is "
    "`azurerm_firewall.hub.ip_configuration[0].private_ip_address` (unknown until apply: the "
    "inline `route` argument's configuration holds the reference). VNets are peered both ways "
    "with `allow_forwarded_traffic = true`; the firewall policy `azurerm_firewall_policy.hub` "
    "has DNS proxy enabled; the rule collection group allows, from the node subnet prefixes "
    "(a reference to `azurerm_subnet.nodes.address_prefixes`, known at plan time), network "
    "rules Udp 1194 / Tcp 9000 / Tcp 443 to `AzureCloud.westeurope` and Udp 123, and an "
    "application rule with FQDN tag `AzureKubernetesService` on Http 80 / Https 443, which "
    "covers every FQDN of the AKS outbound list (MCR, ARM, Entra ID, packages, "
    "`*.hcp.westeurope.azmk8s.io`). Whether an endpoint first matches the Tcp 443 network rule "
    "or falls through to the application rule, it is allowed. Outbound type "
    "`userDefinedRouting`. Verdict pass, exit 0."
)


def build_hub_fw_missing_fqdns() -> Plan:
    p = Plan()
    n = hub_and_spoke(p)
    add_firewall(p, n, policy=False, dns_proxy=False)
    fw_name = R("azurerm_firewall.hub.name", v="afw-hub-prod-weu")
    p.add("azurerm_firewall_application_rule_collection", "aks",
          classic_app_collection("aks-egress-fqdns", fw_name, n.hub.rg, 200, "Allow", [
              classic_app_rule("aks-required-fqdns", NODE_PREFIXES, target_fqdns=[
                  PUBLIC_API,
                  "mcr.microsoft.com",
                  "*.data.mcr.microsoft.com",
                  "mcr-0001.mcr-msedge.net",
                  "packages.aks.azure.com",
                  "acs-mirror.azureedge.net",
              ], protocols=(("Https", 443),)),
              classic_app_rule("ubuntu-updates", NODE_PREFIXES, target_fqdns=[
                  "security.ubuntu.com", "azure.archive.ubuntu.com", "changelogs.ubuntu.com",
              ], protocols=(("Http", 80),)),
          ]))
    p.add("azurerm_firewall_network_rule_collection", "aks",
          classic_net_collection("aks-egress-network", fw_name, n.hub.rg, 100, "Allow", [
              classic_net_rule("aks-tunnel-udp", NODE_PREFIXES, ["UDP"], [AZURE_CLOUD_REGION],
                               ["1194"]),
              classic_net_rule("aks-tunnel-tcp", NODE_PREFIXES, ["TCP"], [AZURE_CLOUD_REGION],
                               ["9000"]),
              classic_net_rule("ntp", NODE_PREFIXES, ["UDP"], ["*"], ["123"]),
          ]))
    add_default_route_to_firewall(p, n)
    add_cluster(p, n.spoke, n.nodes, "userDefinedRouting", network_contributor_scope=n.nodes)
    return p


MISSING = ["management.azure.com", "login.microsoftonline.com", "packages.microsoft.com"]

HUB_FW_MISSING_README = (
    "Same hub-and-spoke and UDR as `hub-fw-aks-tag`, but the firewall `azurerm_firewall.hub` "
    "uses classic rule collections instead of a policy: "
    "`azurerm_firewall_application_rule_collection.aks` allows an explicit `target_fqdns` list "
    "(API server `*.hcp.westeurope.azmk8s.io`, `mcr.microsoft.com`, `*.data.mcr.microsoft.com`, "
    "`mcr-0001.mcr-msedge.net`, `packages.aks.azure.com`, the retired `acs-mirror.azureedge.net`) "
    "and `azurerm_firewall_network_rule_collection.aks` allows the tunnel ports and NTP. "
    "`management.azure.com`, `login.microsoftonline.com` and `packages.microsoft.com` are in no "
    "rule, and no network rule covers Tcp 443, so Azure Firewall's default deny drops them: "
    "kubelet cannot get Entra tokens, ARM calls fail, packages cannot be installed. Verdict "
    "fail, exit 1, one FWL001 for the firewall listing the three missing endpoints (one root "
    "cause: no rule allows them), with a fix in the classic form the firewall uses; the listed "
    "endpoints stay reachable."
)


def build_hub_fw_deny_before_allow() -> Plan:
    p = Plan()
    deny = rule_collection("block-all-web", 100, "Deny", [
        app_rule("deny-everything-else", ["*"], fqdns=["*"]),
    ])
    standard_egress_firewall(p, app=[deny, aks_tag_collection(priority=200)],
                             net=[network_collection()])
    return p


HUB_FW_DENY_README = (
    "Same design as `hub-fw-aks-tag` except for the rule collection group "
    "`azurerm_firewall_policy_rule_collection_group.aks`: an application rule collection "
    "`block-all-web` with action Deny and `destination_fqdns = [\"*\"]` from `*` was meant as a "
    "catch-all but got priority 100, lower than the `aks-fqdn-tag` Allow collection (200). "
    "Within a group, collections are processed by priority and the first match is final, so "
    "every HTTP/HTTPS flow hits the Deny first. No network rule allows Tcp 443 here. All required "
    "HTTPS endpoints (MCR, ARM, Entra ID, packages, API server) are blocked. Verdict fail, exit "
    "1, FWL001."
)


def build_hub_fw_source_partial() -> Plan:
    p = Plan()
    app = rule_collection("aks-fqdn-tag", 200, "Allow", [
        app_rule("aks-service-tag", ["10.1.0.0/23"], fqdn_tags=["AzureKubernetesService"]),
    ])
    standard_egress_firewall(p, app=[app], net=[network_collection()])
    return p


HUB_FW_PARTIAL_README = (
    "Same design as `hub-fw-aks-tag`, but the application rule with the "
    "`AzureKubernetesService` tag lists `source_addresses = [\"10.1.0.0/23\"]` (typed by hand) "
    "while the node subnet is 10.1.0.0/22: nodes that get addresses in 10.1.2.0/23 (as the pool "
    "scales out or is upgraded with surge nodes) match no allow rule and are denied. The network "
    "rules use the subnet's prefixes by reference and are fine. A first small node pool may even "
    "work, which makes the failure intermittent and late. Verdict fail, exit 1, FWL002; the "
    "HTTPS endpoints are `blocked` for the pool because part of its nodes cannot reach them."
)


def build_hub_fw_typo_tag() -> Plan:
    p = Plan()
    standard_egress_firewall(p, app=[aks_tag_collection(tag="AzureKubernetesServices")],
                             net=[network_collection()])
    return p


HUB_FW_TYPO_README = (
    "Same design as `hub-fw-aks-tag`, but the application rule names the FQDN tag "
    "`AzureKubernetesServices` (trailing s). The real tag is `AzureKubernetesService`; an "
    "unknown tag matches no FQDN (or is rejected when the policy is deployed), so the only "
    "rule meant to allow the AKS FQDNs allows nothing and the firewall's default deny drops "
    "MCR, ARM, Entra ID, the package hosts and the API server FQDN. Verdict fail, exit 1, "
    "one FWL001 (error) pointing at the rule with the misspelt tag, suggesting "
    "`AzureKubernetesService` and listing every required endpoint the default deny then drops "
    "(one root cause, one finding: the FWL003 warning about the same rule is not repeated); "
    "the endpoints are `blocked`."
)


def build_peering_no_forwarded() -> Plan:
    p = Plan()
    standard_egress_firewall(p, spoke_forwarded=False)
    return p


PEERING_README = (
    "Same design as `hub-fw-aks-tag`, but the spoke side of the peering, "
    "`azurerm_virtual_network_peering.spoke_to_hub`, has `allow_forwarded_traffic = false`. "
    "Node traffic reaches the firewall (it originates in the spoke), but the replies the "
    "firewall forwards back from the internet do not originate in the hub VNet, and the spoke's "
    "peering refuses forwarded traffic, so every connection through the firewall fails. All "
    "required public endpoints are blocked. Verdict fail, exit 1, PER001 on the spoke-to-hub "
    "peering."
)


# ----------------------------------------------------------------------------- unknown appliance


def build_unknown_appliance() -> Plan:
    p = Plan()
    standard_variables(p)
    spoke = add_rg(p, "aks", SPOKE_RG)
    add_vnet(p, "aks", spoke, SPOKE_VNET, ["10.1.0.0/16"])
    nodes = add_subnet(p, "nodes", spoke, "aks", SPOKE_VNET, "snet-aks-nodes", NODES)
    p.add("azurerm_network_security_group", "nodes",
          nsg("nsg-aks-nodes", spoke.rg, spoke.loc, rules=inbound_rules("10.1.0.0/22"),
              tags=TAGS_REF))
    p.add("azurerm_subnet_network_security_group_association", "nodes",
          subnet_nsg_association(nodes, R("azurerm_network_security_group.nodes.id")))
    hub_id = net_id(HUB_RG, "virtualNetworks", HUB_VNET)
    p.add("azurerm_virtual_network", "hub", {
        "address_space": ["10.0.0.0/16"],
        "dns_servers": [],
        "guid": "b3f6e1a9-0c2d-4e7f-8a15-6d9c2b4e7f01",
        "location": "westeurope",
        "name": C(HUB_VNET),
        "resource_group_name": C(HUB_RG),
        "subnets": ["snet-nva-untrust", "snet-nva-trust", "GatewaySubnet"],
        "tags": {"environment": "prod", "owner": "network-team"},
        "timeouts": None,
        "vnet_peerings": {},
        "vnet_peerings_addresses": [],
    }, mode="data", action="state", known={"id": hub_id})
    p.add("azurerm_virtual_network_peering", "spoke_to_hub",
          peering("peer-aks-to-hub", spoke.rg, R("azurerm_virtual_network.aks.name", v=SPOKE_VNET),
                  R("data.azurerm_virtual_network.hub.id", v=hub_id)))
    p.add("azurerm_virtual_network_peering", "hub_to_spoke",
          peering("peer-hub-to-aks", R("data.azurerm_virtual_network.hub.resource_group_name",
                                       v=HUB_RG),
                  R("data.azurerm_virtual_network.hub.name", v=HUB_VNET),
                  R("azurerm_virtual_network.aks.id")))
    p.add("azurerm_route_table", "aks",
          route_table("rt-aks-nodes", spoke.rg, spoke.loc,
                      routes=[route_item("default-to-nva", "0.0.0.0/0", "VirtualAppliance",
                                         "10.0.0.68")],
                      bgp_propagation=False, tags=TAGS_REF))
    p.add("azurerm_subnet_route_table_association", "aks",
          subnet_route_table_association(nodes, R("azurerm_route_table.aks.id")))
    add_cluster(p, spoke, nodes, "userDefinedRouting", network_contributor_scope=nodes)
    return p


UNKNOWN_APPLIANCE_README = (
    "The spoke is peered (both directions, forwarded traffic allowed) with an existing hub VNet "
    "read at plan time through `data.azurerm_virtual_network.hub` (10.0.0.0/16, in "
    "`prior_state`). The node subnet's route table sends 0.0.0.0/0 to `VirtualAppliance` "
    "10.0.0.68, a literal address inside the hub, where a third-party NVA pair sits behind an "
    "internal load balancer that is not part of this plan: no firewall, NIC or load balancer in "
    "the input owns 10.0.0.68. What the appliance allows, and whether it SNATs, cannot be known "
    "from the plan, so every required public endpoint is `unknown`, never `reachable`. Verdict "
    "unknown, exit 0 (1 with `--fail-on unknown`), APL001 on the route table."
)


# ----------------------------------------------------------------------------- DNS


def add_dns_vm(p: Plan, n: Net, ip: str = "10.0.2.4"):
    p.add("azurerm_network_interface", "dns",
          network_interface("nic-dns-hub-01", n.hub.rg, n.hub.loc, R("azurerm_subnet.dns.id"), ip,
                            tags=TAGS_REF))
    p.add("azurerm_linux_virtual_machine", "dns",
          linux_vm("vm-dns-hub-01", n.hub.rg, n.hub.loc, "azurerm_network_interface.dns.id",
                   "local.dns_cloud_init", tags=TAGS_REF))


def build_custom_dns_first_unreachable(servers=("10.200.0.4", "10.0.2.4")) -> Plan:
    p = Plan()
    n = hub_and_spoke(p, spoke_dns=list(servers),
                      hub_subnets=[("dns", "snet-dns", ["10.0.2.0/24"], {})])
    add_dns_vm(p, n)
    add_cluster(p, n.spoke, n.nodes, "loadBalancer", network_contributor_scope=n.nodes)
    return p


CUSTOM_DNS_README = (
    "Public cluster, outbound type `loadBalancer` (internet egress is fine). The spoke VNet "
    "`azurerm_virtual_network.aks` sets `dns_servers = [\"10.200.0.4\", \"10.0.2.4\"]`. "
    "10.0.2.4 is the DNS VM `azurerm_linux_virtual_machine.dns` (static NIC address) in the "
    "peered hub and is reachable. 10.200.0.4 (a decommissioned data-centre DNS server) is in no "
    "VNet of the plan, not in a peered VNet and not behind a gateway: the spoke's effective "
    "routes send 10.0.0.0/8 outside its own address space to the system route next hop `None`, "
    "and the address is neither in the `VirtualNetwork` nor in the `Internet` service tag, so "
    "the subnet NSG's default `DenyAllOutBound` (65500) drops it as well. Nodes try the first server first and fail over only after the "
    "timeout (5 s per attempt), which makes the provisioning script's DNS and outbound checks "
    "time out (vmssCSE exit 50/51/52). Verdict fail, exit 1, DNS001 for 10.200.0.4. "
    "The hub DNS VM is a VM whose forwarding cannot be seen into, so it also gets DNS003 (a "
    "warning: unknown unless attested in the config file)."
)


CUSTOM_DNS_SECOND_README = (
    "`custom-dns-first-unreachable` with the servers the other way round: `dns_servers = "
    "[\"10.0.2.4\", \"10.200.0.4\"]`. The hub DNS VM 10.0.2.4 answers first; 10.200.0.4 is still "
    "unroutable (no VNet, peering or gateway holds it: 10.0.0.0/8 -> None outside the spoke, and "
    "the NSG's `DenyAllOutBound`). Clients use the list in order and turn to the second server "
    "only when the first does not answer (Microsoft, \"Name resolution for resources in Azure "
    "virtual networks\", https://learn.microsoft.com/azure/virtual-network/"
    "virtual-networks-name-resolution-for-vms-and-role-instances), so provisioning works while "
    "10.0.2.4 is healthy and the dead server only bites when it is not: DNS001 as a warning whose "
    "fix speaks of the second server (make it reachable or remove it), not of reordering the "
    "first; DNS003 for the VM. Verdict unknown (a required DNS path is blocked without an error "
    "finding), exit 0."
)


def build_fw_dns(proxy: bool) -> Plan:
    p = Plan()
    standard_egress_firewall(p, spoke_dns=R(FW_IP_REF, v=[U]), dns_proxy=proxy)
    return p


FW_DNS_OFF_README = (
    "Same design as `hub-fw-aks-tag`, and the spoke VNet's `dns_servers` is set to the "
    "firewall's private IP by reference (`[azurerm_firewall.hub.ip_configuration[0]."
    "private_ip_address]`, so the plan shows `dns_servers: [null]` with `after_unknown: [true]`). "
    "But the firewall policy `azurerm_firewall_policy.hub` has no `dns` block, i.e. DNS proxy is "
    "off: nothing listens on port 53 of the firewall, so every DNS query of every node is lost "
    "and provisioning fails on the first name lookup (vmssCSE exit 52/50). Verdict fail, exit 1, "
    "DNS002 on the firewall policy."
)

FW_DNS_ON_README = (
    "The corrected `fw-dns-without-proxy`: the spoke VNet's DNS server is the firewall's private "
    "IP (by reference, unknown until apply) and the firewall policy has `dns { proxy_enabled = "
    "true }`, so the firewall answers on port 53 and forwards to Azure DNS (as the AKS egress "
    "tutorial recommends, and as FQDN network rules require). The firewall IP is reached over "
    "the peering (the VNet-peering route is more specific than the 0.0.0.0/0 UDR). All required "
    "endpoints are allowed by the `AzureKubernetesService` tag. Verdict pass, exit 0."
)


# ----------------------------------------------------------------------------- private clusters


def build_private_system_zone_custom_dns() -> Plan:
    p = Plan()
    n = hub_and_spoke(p, spoke_dns=["10.0.2.4"],
                      hub_subnets=[("dns", "snet-dns", ["10.0.2.0/24"], {})])
    add_dns_vm(p, n)
    add_cluster(p, n.spoke, n.nodes, "loadBalancer", network_contributor_scope=n.nodes,
                private=True, private_dns_zone="System")
    return p


PRIVATE_SYSTEM_README = (
    "Private cluster (`private_cluster_enabled = true`, `private_dns_zone_id = \"System\"`, "
    "public FQDN disabled) in the spoke, whose VNet uses the hub DNS VM 10.0.2.4 as its only DNS "
    "server. With `System`, AKS creates `privatelink.westeurope.azmk8s.io` in the node resource "
    "group and links it only to the cluster (spoke) VNet. The DNS VM forwards to Azure DNS from "
    "the hub VNet, which is not linked to that zone, so the API server's private FQDN does not "
    "resolve for the nodes: they cannot join (vmssCSE exit 52). The DNS server itself is "
    "reachable over the peering. Supported fixes: a custom zone linked to the hub (see "
    "`private-byo-zone-linked-hub`), or a conditional forwarder for the zone to 168.63.129.16 "
    "from a linked VNet. Verdict fail, exit 1, PRV001 on the cluster, and DNS003 (warning) for the "
    "DNS VM, whose recursion for public names cannot be seen into."
)


def build_private_byo_zone(linked_to_hub: bool) -> Plan:
    p = Plan()
    n = hub_and_spoke(
        p, spoke_dns=R("azurerm_private_dns_resolver_inbound_endpoint.hub.ip_configurations[0]."
                       "private_ip_address", v=[U]),
        hub_subnets=[("dns_inbound", "snet-dns-inbound", ["10.0.3.0/28"], {
            "delegations": [delegation("Microsoft.Network.dnsResolvers",
                                       "Microsoft.Network/dnsResolvers",
                                       ["Microsoft.Network/virtualNetworks/subnets/join/action"])],
        })])
    p.add("azurerm_private_dns_resolver", "hub",
          dns_resolver("dnspr-hub-prod-weu", n.hub.rg, n.hub.loc, R("azurerm_virtual_network.hub.id"),
                       tags=TAGS_REF))
    p.add("azurerm_private_dns_resolver_inbound_endpoint", "hub",
          dns_resolver_inbound_endpoint("in-hub-prod-weu", n.hub.loc,
                                        R("azurerm_private_dns_resolver.hub.id"),
                                        R("azurerm_subnet.dns_inbound.id"), tags=TAGS_REF))
    zone = "privatelink.westeurope.azmk8s.io"
    p.add("azurerm_private_dns_zone", "aks", private_dns_zone(zone, n.hub.rg, tags=TAGS_REF))
    linked_vnet, link_name = ("hub", "link-hub") if linked_to_hub else ("aks", "link-aks")
    p.add("azurerm_private_dns_zone_virtual_network_link", linked_vnet,
          private_dns_zone_link(link_name, n.hub.rg, R("azurerm_private_dns_zone.aks.name", v=zone),
                                R(f"azurerm_virtual_network.{linked_vnet}.id"), tags=TAGS_REF))
    p.add("azurerm_user_assigned_identity", "aks",
          user_assigned_identity("id-aks-prod-weu", n.spoke.rg, n.spoke.loc, tags=TAGS_REF))
    p.add("azurerm_role_assignment", "aks_dns_zone",
          role_assignment(R("azurerm_private_dns_zone.aks.id"), "Private DNS Zone Contributor",
                          R("azurerm_user_assigned_identity.aks.principal_id")))
    p.add("azurerm_role_assignment", "aks_spoke_network",
          role_assignment(R("azurerm_virtual_network.aks.id"), "Network Contributor",
                          R("azurerm_user_assigned_identity.aks.principal_id")))
    add_cluster(p, n.spoke, n.nodes, "loadBalancer", private=True,
                private_dns_zone=R("azurerm_private_dns_zone.aks.id"), public_fqdn=False,
                identity_ids=R("azurerm_user_assigned_identity.aks.id", v=[U]), windows_admin=True)
    return p


PRIVATE_BYO_README = (
    "Private cluster with a bring-your-own zone: `azurerm_private_dns_zone.aks` "
    "(`privatelink.westeurope.azmk8s.io`, hub resource group) is linked to the hub VNet "
    "(`azurerm_private_dns_zone_virtual_network_link.hub`), where the Azure DNS Private "
    "Resolver `azurerm_private_dns_resolver.hub` has its inbound endpoint (dynamic address in the "
    "delegated subnet 10.0.3.0/28). The spoke VNet's `dns_servers` is that inbound endpoint "
    "address by reference (unknown until apply). The cluster uses a user-assigned identity with "
    "Private DNS Zone Contributor on the zone and Network Contributor on the spoke VNet, and "
    "`private_cluster_public_fqdn_enabled = false`: Microsoft's supported hub-and-spoke pattern. "
    "Nodes ask the resolver, which resolves the zone linked to its VNet; the resolver is reached "
    "over the peering. Verdict pass, exit 0."
)

PRIVATE_BYO_NOT_LINKED_README = (
    "Same as `private-byo-zone-linked-hub`, except that the custom zone "
    "`privatelink.westeurope.azmk8s.io` is linked to the spoke VNet "
    "(`azurerm_private_dns_zone_virtual_network_link.aks`) instead of the hub. The spoke uses the "
    "Private Resolver inbound endpoint in the hub as its DNS server, so the spoke link is never "
    "consulted (custom DNS servers bypass the VNet's own zone links) and the resolver's VNet is "
    "not linked to the zone: the private API server FQDN does not resolve for the nodes (vmssCSE "
    "exit 52). Verdict fail, exit 1, PRV002 on the zone (link the zone to the hub VNet)."
)


# ----------------------------------------------------------------------------- authorized ranges


def build_authorized_ranges(include_fw: bool) -> Plan:
    p = Plan()
    if include_fw:
        ranges = R("azurerm_public_ip.fw.ip_address", v=[U, "203.0.113.0/24"])
    else:
        ranges = ["203.0.113.0/24"]
    standard_egress_firewall(p, cluster_kw={"authorized_ranges": ranges})
    return p


AUTH_EXCLUDE_README = (
    "Public cluster behind the hub firewall (same design as `hub-fw-aks-tag`, outbound type "
    "`userDefinedRouting`) with API server authorized IP ranges "
    "`api_server_access_profile[0].authorized_ip_ranges = [\"203.0.113.0/24\"]` (the office). "
    "Node traffic to the public API server leaves through the firewall and is SNATed to the "
    "firewall's public IP `azurerm_public_ip.fw` (allocated at apply, so unknown here), and the "
    "literal range does not reference it; 203.0.113.0/24 is documentation space that Azure never "
    "allocates. AKS adds only its own load balancer's outbound IP automatically, not a firewall's. "
    "The API server refuses the nodes, which never register (vmssCSE exit 51 / NotReady). The "
    "network path itself is open. Verdict fail, exit 1, API001 on the cluster."
)

AUTH_INCLUDE_README = (
    "The corrected `authorized-ranges-exclude-fw`: `authorized_ip_ranges = "
    "[\"${azurerm_public_ip.fw.ip_address}/32\", \"203.0.113.0/24\"]`, so the plan shows the "
    "first element unknown (`null` in `after`, `true` in `after_unknown`) and the configuration "
    "references `azurerm_public_ip.fw.ip_address`, the firewall's SNAT address for node egress. "
    "The nodes' source address will be authorized whatever IP Azure allocates. Verdict pass, "
    "exit 0."
)


# ----------------------------------------------------------------------------- DNS unverifiable


def build_custom_dns_onprem() -> Plan:
    p = Plan()
    n = hub_and_spoke(p, spoke_dns=["10.100.0.10", "10.100.0.11"],
                      hub_subnets=[("gateway", "GatewaySubnet", ["10.0.255.0/27"], {})],
                      gateway_transit=True,
                      extra_vars={"vpn_shared_key": (SECRET, variable_decl(
                          description="IPsec pre-shared key", sensitive=True))})
    p.add("azurerm_public_ip", "vpn", public_ip("pip-vgw-hub-prod-weu", n.hub.rg, n.hub.loc,
                                                zones=["1", "2", "3"], tags=TAGS_REF))
    p.add("azurerm_virtual_network_gateway", "hub",
          vpn_gateway("vgw-hub-prod-weu", n.hub.rg, n.hub.loc, R("azurerm_subnet.gateway.id"),
                      R("azurerm_public_ip.vpn.id"), tags=TAGS_REF), schema_version=1)
    p.add("azurerm_local_network_gateway", "onprem",
          local_network_gateway("lgw-onprem-dc1", n.hub.rg, n.hub.loc, "198.51.100.10",
                                ["10.100.0.0/16"], tags=TAGS_REF))
    p.add("azurerm_virtual_network_gateway_connection", "onprem",
          vpn_connection("cn-onprem-dc1", n.hub.rg, n.hub.loc,
                         R("azurerm_virtual_network_gateway.hub.id"),
                         R("azurerm_local_network_gateway.onprem.id"), "var.vpn_shared_key",
                         tags=TAGS_REF))
    add_cluster(p, n.spoke, n.nodes, "loadBalancer", network_contributor_scope=n.nodes)
    return p


CUSTOM_DNS_ONPREM_README = (
    "Public cluster with outbound type `loadBalancer`; the spoke VNet uses the on-premises DNS "
    "servers 10.100.0.10 and 10.100.0.11, reached through the hub's site-to-site VPN "
    "(`azurerm_virtual_network_gateway.hub`, local network gateway 10.100.0.0/16; the peerings "
    "use gateway transit, `use_remote_gateways = true` on the spoke side). The path leaves Azure "
    "at the VPN gateway: whether the tunnel is up, whether on-premises firewalls admit Udp/Tcp 53 "
    "from 10.1.0.0/22, and whether the servers recurse for public names cannot be verified from "
    "the plan. Verdict unknown, exit 0 (1 with `--fail-on unknown`), DNS003 for the DNS servers. "
    "Internet egress is unknown too: with gateway transit and no route table disabling gateway "
    "route propagation, a BGP-learned default route from on-premises (forced tunnelling) may "
    "override the system route 0.0.0.0/0 -> Internet, so RTE005 warns. The IPsec pre-shared key "
    "is a sensitive variable that must never be printed."
)


# ----------------------------------------------------------------------------- FQDN network rule


def build_fw_fqdn_network_rule_no_proxy() -> Plan:
    p = Plan()
    net = rule_collection("aks-network", 100, "Allow", [
        net_rule("aks-tunnel-udp", NODE_PREFIXES, ["UDP"], [AZURE_CLOUD_REGION], ["1194"]),
        net_rule("aks-tunnel-tcp", NODE_PREFIXES, ["TCP"], [AZURE_CLOUD_REGION], ["9000"]),
        net_rule("ntp", NODE_PREFIXES, ["UDP"], None, ["123"], fqdns=["ntp.ubuntu.com"]),
        net_rule("aks-packages", NODE_PREFIXES, ["TCP"], None, ["443"],
                 fqdns=["packages.microsoft.com", "packages.aks.azure.com"]),
    ])
    app = rule_collection("aks-fqdns", 200, "Allow", [
        app_rule("aks-required-fqdns", NODE_PREFIXES, fqdns=[
            PUBLIC_API, "mcr.microsoft.com", "*.data.mcr.microsoft.com", "mcr-0001.mcr-msedge.net",
            "management.azure.com", "login.microsoftonline.com",
        ], protocols=(("Https", 443),)),
    ])
    standard_egress_firewall(p, dns_proxy=False, app=[app], net=[net])
    return p


FW_FQDN_NET_README = (
    "Same hub-and-spoke and UDR as `hub-fw-aks-tag`, but the policy's rules are explicit: an "
    "application rule allows the API server FQDN, MCR, ARM and Entra ID on Https 443, while "
    "`packages.microsoft.com` and `packages.aks.azure.com` (and `ntp.ubuntu.com`) are allowed by "
    "network rules using `destination_fqdns`. The firewall policy has no `dns` block, so DNS "
    "proxy is off; Azure Firewall requires DNS proxy for FQDNs in network rules (the firewall and "
    "the clients must resolve the same addresses; without it the rule is rejected or unreliable). "
    "The package hosts therefore cannot be counted as reachable. Verdict fail, exit 1, FWL004 "
    "(warning) on the rule collection group and FWL001 (error) for the package hosts the default "
    "deny drops. Egress verdicts are not asserted: whether Azure rejects the "
    "rule collection group at deployment (then nothing is allowed) or accepts it depends on "
    "service-side validation the plan cannot show."
)


# ----------------------------------------------------------------------------- registry


RCG = "azurerm_firewall_policy_rule_collection_group.aks"


def scenarios() -> list[Scenario]:
    ok = egress("system", ALL_PUBLIC, "reachable")
    blocked = egress("system", ALL_PUBLIC, "blocked")
    missing_ok = [h for h in ALL_PUBLIC if h not in MISSING]
    return [
        Scenario("hub-fw-aks-tag", "Spoke UDR to hub Azure Firewall, AzureKubernetesService FQDN tag, DNS proxy: pass.",
                 HUB_FW_AKS_TAG_README, Expect(0, "pass", [], ok), build_hub_fw_aks_tag),
        Scenario("hub-fw-missing-fqdns", "Classic target_fqdns allowlist without management/login/packages.microsoft.com: one FWL001 listing them.",
                 HUB_FW_MISSING_README,
                 Expect(1, "fail", ["FWL001"],
                        egress("system", missing_ok, "reachable")
                        + egress("system", MISSING, "blocked"),
                        [Finding("FWL001", "azurerm_firewall.hub", endpoint=h, pool="system")
                         for h in MISSING]),
                 build_hub_fw_missing_fqdns),
        Scenario("hub-fw-deny-before-allow", "Deny-all application collection at 100 before the AKS allow at 200: FWL001.",
                 HUB_FW_DENY_README,
                 Expect(1, "fail", ["FWL001"], blocked, [Finding("FWL001", RCG, pool="system")]),
                 build_hub_fw_deny_before_allow),
        Scenario("hub-fw-source-partial", "Application rule source 10.1.0.0/23 covers half of the /22 node subnet: FWL002.",
                 HUB_FW_PARTIAL_README,
                 Expect(1, "fail", ["FWL002"], blocked, [Finding("FWL002", RCG, pool="system")]),
                 build_hub_fw_source_partial),
        Scenario("hub-fw-typo-tag", "FQDN tag AzureKubernetesServices (typo): one FWL001 naming it, endpoints blocked.",
                 HUB_FW_TYPO_README,
                 Expect(1, "fail", ["FWL001"], blocked,
                        [Finding("FWL001", RCG), Finding("FWL001", "azurerm_firewall.hub", endpoint="mcr.microsoft.com")]),
                 build_hub_fw_typo_tag),
        Scenario("peering-no-forwarded", "Spoke-to-hub peering without allow_forwarded_traffic: PER001.",
                 PEERING_README,
                 Expect(1, "fail", ["PER001"], blocked,
                        [Finding("PER001", "azurerm_virtual_network_peering.spoke_to_hub",
                                 pool="system")]),
                 build_peering_no_forwarded),
        Scenario("unknown-appliance", "0.0.0.0/0 -> 10.0.0.68 owned by nothing in the input: APL001, unknown.",
                 UNKNOWN_APPLIANCE_README,
                 Expect(0, "unknown", ["APL001"], egress("system", ALL_PUBLIC, "unknown"),
                        [Finding("APL001", "azurerm_route_table.aks", pool="system")]),
                 build_unknown_appliance),
        Scenario("custom-dns-first-unreachable", "First custom DNS server 10.200.0.4 unroutable, second (hub VM) fine: DNS001.",
                 CUSTOM_DNS_README,
                 Expect(1, "fail", ["DNS001", "DNS003"],
                        ok + [dns_egress("10.200.0.4", "blocked"), dns_egress("10.0.2.4", "reachable")],
                        [Finding("DNS001", "azurerm_virtual_network.aks", endpoint="10.200.0.4",
                                 pool="system", help="put a reachable server first"),
                         Finding("DNS003", "azurerm_virtual_network.aks", endpoint="10.0.2.4",
                                 pool="system")]),
                 build_custom_dns_first_unreachable),
        Scenario("custom-dns-second-unreachable",
                 "Second custom DNS server 10.200.0.4 unroutable, first (hub VM) fine: DNS001 "
                 "warning, worded for the second server.",
                 CUSTOM_DNS_SECOND_README,
                 Expect(0, "unknown", ["DNS001", "DNS003"],
                        ok + [dns_egress("10.200.0.4", "blocked"), dns_egress("10.0.2.4", "reachable")],
                        [Finding("DNS001", "azurerm_virtual_network.aks", endpoint="10.200.0.4",
                                 pool="system", help="remove it from the dns_servers"),
                         Finding("DNS003", "azurerm_virtual_network.aks", endpoint="10.0.2.4",
                                 pool="system")]),
                 lambda: build_custom_dns_first_unreachable(("10.0.2.4", "10.200.0.4"))),
        Scenario("custom-dns-onprem-unverifiable", "DNS servers on-premises behind the VPN gateway: DNS003, unknown.",
                 CUSTOM_DNS_ONPREM_README,
                 Expect(0, "unknown", ["DNS003", "RTE005"],
                        egress("system", CORE_HTTPS, "unknown")
                        + [dns_egress("10.100.0.10", "unknown"), dns_egress("10.100.0.11", "unknown")],
                        [Finding("DNS003", "azurerm_virtual_network.aks", endpoint="10.100.0.10",
                                 pool="system")]),
                 build_custom_dns_onprem),
        Scenario("fw-dns-without-proxy", "VNet DNS = firewall private IP (reference), policy DNS proxy off: DNS002.",
                 FW_DNS_OFF_README,
                 Expect(1, "fail", ["DNS002"], [],
                        [Finding("DNS002", "azurerm_firewall_policy.hub", pool="system")]),
                 lambda: build_fw_dns(False)),
        Scenario("fw-dns-with-proxy", "VNet DNS = firewall private IP (reference), policy DNS proxy on: pass.",
                 FW_DNS_ON_README, Expect(0, "pass", [], ok), lambda: build_fw_dns(True)),
        Scenario("fw-fqdn-network-rule-no-proxy", "FQDNs in network rules (packages hosts) with DNS proxy off: FWL004.",
                 FW_FQDN_NET_README,
                 Expect(1, "fail", ["FWL001", "FWL004"], [], [Finding("FWL004", RCG)]),
                 build_fw_fqdn_network_rule_no_proxy),
        Scenario("private-system-zone-custom-dns", "Private cluster, System zone, spoke DNS = hub DNS VM: PRV001.",
                 PRIVATE_SYSTEM_README,
                 Expect(1, "fail", ["DNS003", "PRV001"],
                        egress("system", CORE_HTTPS, "reachable") + [dns_egress("10.0.2.4", "reachable")],
                        [Finding("PRV001", "azurerm_kubernetes_cluster.aks")]),
                 build_private_system_zone_custom_dns),
        Scenario("private-byo-zone-linked-hub", "Private cluster, custom zone linked to the hub with the DNS Private Resolver: pass.",
                 PRIVATE_BYO_README,
                 Expect(0, "pass", [], egress("system", CORE_HTTPS, "reachable")),
                 lambda: build_private_byo_zone(True)),
        Scenario("private-byo-zone-not-linked", "Private cluster, custom zone linked to the spoke only while DNS is the hub resolver: PRV002.",
                 PRIVATE_BYO_NOT_LINKED_README,
                 Expect(1, "fail", ["PRV002"], egress("system", CORE_HTTPS, "reachable"),
                        [Finding("PRV002", "azurerm_private_dns_zone.aks")]),
                 lambda: build_private_byo_zone(False)),
        Scenario("authorized-ranges-exclude-fw", "Authorized IP ranges (literal) exclude the firewall egress IP: API001.",
                 AUTH_EXCLUDE_README,
                 Expect(1, "fail", ["API001"], egress("system", CORE_HTTPS, "reachable"),
                        [Finding("API001", "azurerm_kubernetes_cluster.aks")]),
                 lambda: build_authorized_ranges(False)),
        Scenario("authorized-ranges-include-fw-ref", "Authorized IP ranges built from azurerm_public_ip.fw.ip_address: pass.",
                 AUTH_INCLUDE_README, Expect(0, "pass", [], ok),
                 lambda: build_authorized_ranges(True)),
    ]


