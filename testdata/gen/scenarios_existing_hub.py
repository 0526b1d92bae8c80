"""Spoke plans whose hub already exists in Azure.

The spoke stack plans the spoke VNet, the node subnet, its NSG and route table, both peerings and
the cluster; the hub (VNet, Azure Firewall, its policy and rule collection group) belongs to the
platform team and exists already. The plan refers to the hub three ways, as landing-zone stacks
do: data sources read at plan time (`data.azurerm_virtual_network.hub`,
`data.azurerm_firewall.hub`, whose private IP is the route's next hop), a variable holding the
hub VNet's id (`var.hub_vnet_id`, the spoke-to-hub peering's remote), and a hard-coded address
(the VNet's DNS server, the firewall's IP).

Besides `plan.json` (checked alone by the scenario runner: unknown where the hub is needed, as
nothing in the plan shows the firewall's rules), each scenario folder holds the existing hub in
the shapes users have it:

* `hub-rest.json`: the hub's ARM REST GET bodies, as a list page (`{"value": [...]}`); the fake
  ARM server of the live tests serves each body at its id;
* `hub-az/*.json`: the same resources as `az network ... show -o json` prints them (properties
  hoisted, `privateIpAddress`-style names, `resourceGroup` added: what the Azure CLI's output
  conversion does, see ../shared/corpus/PROVENANCE.md);
* `with-hub.toml`: the all-in-one scenario (hub and spoke in one plan) whose verdicts the spoke
  plan must reproduce once the hub is given.
"""

from __future__ import annotations

import json

from azurerm import (C, R, net_id, nsg, peering, route_item, route_table, subnet_id,
                     subnet_nsg_association, subnet_route_table_association)
TITLE = "Spoke plans whose hub exists in Azure"

from common import (REGION, TAGS_REF, Egress, Expect, Finding, Scenario, add_cluster, add_rg,
                    add_subnet, add_vnet, egress, standard_variables)
from scenarios_nsg_routes_outbound import inbound_rules
from scenarios_firewall_dns_private import (AZURE_CLOUD_REGION, CORE_HTTPS, HUB_RG, HUB_VNET, NODES,
                              PUBLIC_API, SPOKE_RG, SPOKE_VNET)
from tfplan import Plan, variable_decl

FW_IP = "10.0.1.4"
FW_NAME = "afw-hub-prod-weu"
POLICY_NAME = "afwp-hub-prod-weu"
RCG_NAME = "rcg-aks-egress"
HUB_VNET_ID = net_id(HUB_RG, "virtualNetworks", HUB_VNET)
FW_ID = net_id(HUB_RG, "azureFirewalls", FW_NAME)
POLICY_ID = net_id(HUB_RG, "firewallPolicies", POLICY_NAME)
RCG_ID = net_id(HUB_RG, "firewallPolicies", POLICY_NAME, "ruleCollectionGroups", RCG_NAME)
PIP_ID = net_id(HUB_RG, "publicIPAddresses", "pip-afw-hub-prod-weu")
FW_SUBNET_ID = subnet_id(HUB_RG, HUB_VNET, "AzureFirewallSubnet")
OTHER_SPOKE_ID = net_id("rg-app-prod-weu", "virtualNetworks", "vnet-app-prod-weu")
NODE_SOURCES = NODES


# ----------------------------------------------------------------------------- the spoke plan


def data_hub_vnet(p: Plan):
    p.add("azurerm_virtual_network", "hub", {
        "address_space": ["10.0.0.0/16"],
        "dns_servers": [],
        "guid": "b3f6e1a9-0c2d-4e7f-8a15-6d9c2b4e7f01",
        "location": REGION,
        "name": C(HUB_VNET),
        "resource_group_name": C(HUB_RG),
        "subnets": ["AzureFirewallSubnet"],
        "tags": {"environment": "prod", "owner": "network-team"},
        "timeouts": None,
        "vnet_peerings": {"peer-hub-to-app": OTHER_SPOKE_ID},
        "vnet_peerings_addresses": ["10.2.0.0/16"],
    }, mode="data", action="state", known={"id": HUB_VNET_ID})


def data_hub_firewall(p: Plan):
    """What the azurerm 4.x data source exposes: the IP configuration and the policy's id, not
    the policy's rules."""
    p.add("azurerm_firewall", "hub", {
        "dns_proxy_enabled": None,
        "dns_servers": None,
        "firewall_policy_id": POLICY_ID,
        "ip_configuration": [{
            "name": "configuration",
            "private_ip_address": FW_IP,
            "public_ip_address_id": PIP_ID,
            "subnet_id": FW_SUBNET_ID,
        }],
        "location": REGION,
        "management_ip_configuration": [],
        "name": C(FW_NAME),
        "resource_group_name": C(HUB_RG),
        "sku_name": "AZFW_VNet",
        "sku_tier": "Standard",
        "tags": {"environment": "prod", "owner": "network-team"},
        "threat_intel_mode": "",
        "timeouts": None,
        "virtual_hub": [],
        "zones": ["1", "2", "3"],
    }, mode="data", action="state", known={"id": FW_ID})


def build_spoke(spoke_dns: list[str] | None) -> Plan:
    p = Plan()
    standard_variables(p, {"hub_vnet_id": (HUB_VNET_ID, variable_decl(
        description="Id of the platform team's hub VNet."))})
    spoke = add_rg(p, "aks", SPOKE_RG)
    data_hub_vnet(p)
    data_hub_firewall(p)
    add_vnet(p, "aks", spoke, SPOKE_VNET, ["10.1.0.0/16"], dns_servers=spoke_dns)
    nodes = add_subnet(p, "nodes", spoke, "aks", SPOKE_VNET, "snet-aks-nodes", NODES)
    p.add("azurerm_network_security_group", "nodes",
          nsg("nsg-aks-nodes", spoke.rg, spoke.loc, rules=inbound_rules("10.1.0.0/22"),
              tags=TAGS_REF))
    p.add("azurerm_subnet_network_security_group_association", "nodes",
          subnet_nsg_association(nodes, R("azurerm_network_security_group.nodes.id")))
    p.add("azurerm_virtual_network_peering", "spoke_to_hub",
          peering("peer-aks-to-hub", spoke.rg, R("azurerm_virtual_network.aks.name",
                                                  v=SPOKE_VNET),
                  R("var.hub_vnet_id", v=HUB_VNET_ID)))
    p.add("azurerm_virtual_network_peering", "hub_to_spoke",
          peering("peer-hub-to-aks", R("data.azurerm_virtual_network.hub.resource_group_name",
                                       v=HUB_RG),
                  R("data.azurerm_virtual_network.hub.name", v=HUB_VNET),
                  R("azurerm_virtual_network.aks.id")))
    p.add("azurerm_route_table", "aks",
          route_table("rt-aks-nodes", spoke.rg, spoke.loc,
                      routes=[route_item("default-to-firewall", "0.0.0.0/0", "VirtualAppliance",
                                         FW_IP)],
                      route_refs=["data.azurerm_firewall.hub.ip_configuration[0]."
                                  "private_ip_address"],
                      bgp_propagation=False, tags=TAGS_REF))
    p.add("azurerm_subnet_route_table_association", "aks",
          subnet_route_table_association(nodes, R("azurerm_route_table.aks.id")))
    add_cluster(p, spoke, nodes, "userDefinedRouting", network_contributor_scope=nodes)
    return p


# ----------------------------------------------------------------------------- the existing hub


def _sub_resource(id_: str) -> dict:
    return {"id": id_}


def hub_rest(*, dns_proxy: bool, app: list[dict], net: list[dict]) -> list[dict]:
    """The hub's ARM REST GET bodies (api-version 2024-05-01 shapes)."""
    loc = REGION
    vnet = {
        "id": HUB_VNET_ID, "name": HUB_VNET, "type": "Microsoft.Network/virtualNetworks",
        "location": loc, "etag": "W/\"7c1d1b0e-0c8a-4f3b-9c57-1a2b3c4d5e6f\"",
        "properties": {
            "provisioningState": "Succeeded",
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{
                "id": FW_SUBNET_ID, "name": "AzureFirewallSubnet",
                "type": "Microsoft.Network/virtualNetworks/subnets",
                "properties": {
                    "provisioningState": "Succeeded", "addressPrefix": "10.0.1.0/26",
                    "ipConfigurations": [_sub_resource(
                        FW_ID + "/azureFirewallIpConfigurations/configuration")],
                    "delegations": [], "privateEndpointNetworkPolicies": "Disabled",
                    "privateLinkServiceNetworkPolicies": "Enabled",
                },
            }],
            "virtualNetworkPeerings": [{
                "id": HUB_VNET_ID + "/virtualNetworkPeerings/peer-hub-to-app",
                "name": "peer-hub-to-app",
                "type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
                "properties": {
                    "provisioningState": "Succeeded", "peeringState": "Connected",
                    "remoteVirtualNetwork": _sub_resource(OTHER_SPOKE_ID),
                    "allowVirtualNetworkAccess": True, "allowForwardedTraffic": True,
                    "allowGatewayTransit": False, "useRemoteGateways": False,
                    "remoteAddressSpace": {"addressPrefixes": ["10.2.0.0/16"]},
                },
            }],
            "enableDdosProtection": False,
        },
    }
    pip = {
        "id": PIP_ID, "name": "pip-afw-hub-prod-weu", "type": "Microsoft.Network/publicIPAddresses",
        "location": loc, "sku": {"name": "Standard", "tier": "Regional"}, "zones": ["1", "2", "3"],
        "properties": {
            "provisioningState": "Succeeded", "ipAddress": "20.61.12.34",
            "publicIPAddressVersion": "IPv4", "publicIPAllocationMethod": "Static",
            "idleTimeoutInMinutes": 4,
            "ipConfiguration": _sub_resource(
                FW_ID + "/azureFirewallIpConfigurations/configuration"),
        },
    }
    fw = {
        "id": FW_ID, "name": FW_NAME, "type": "Microsoft.Network/azureFirewalls",
        "location": loc, "zones": ["1", "2", "3"],
        "properties": {
            "provisioningState": "Succeeded",
            "sku": {"name": "AZFW_VNet", "tier": "Standard"},
            "firewallPolicy": _sub_resource(POLICY_ID),
            "ipConfigurations": [{
                "id": FW_ID + "/azureFirewallIpConfigurations/configuration",
                "name": "configuration",
                "properties": {
                    "provisioningState": "Succeeded", "privateIPAddress": FW_IP,
                    "privateIPAllocationMethod": "Dynamic",
                    "subnet": _sub_resource(FW_SUBNET_ID),
                    "publicIPAddress": _sub_resource(PIP_ID),
                },
            }],
            "networkRuleCollections": [], "applicationRuleCollections": [],
            "natRuleCollections": [], "additionalProperties": {},
        },
    }
    policy_props: dict = {
        "provisioningState": "Succeeded",
        "sku": {"tier": "Standard"},
        "threatIntelMode": "Alert",
        "ruleCollectionGroups": [_sub_resource(RCG_ID)],
        "firewalls": [_sub_resource(FW_ID)],
        "childPolicies": [],
    }
    if dns_proxy:
        policy_props["dnsSettings"] = {"enableProxy": True, "servers": []}
    policy = {
        "id": POLICY_ID, "name": POLICY_NAME, "type": "Microsoft.Network/firewallPolicies",
        "location": loc, "properties": policy_props,
    }
    rcg = {
        "id": RCG_ID, "name": RCG_NAME,
        "type": "Microsoft.Network/firewallPolicies/ruleCollectionGroups",
        "properties": {
            "provisioningState": "Succeeded", "priority": 200,
            "ruleCollections": net + app,
        },
    }
    return [vnet, pip, fw, policy, rcg]


def filter_collection(name: str, priority: int, action: str, rules: list[dict]) -> dict:
    return {"ruleCollectionType": "FirewallPolicyFilterRuleCollection", "name": name,
            "priority": priority, "action": {"type": action}, "rules": rules}


def app_rule(name, sources, *, fqdn_tags=(), fqdns=(), protocols=(("Http", 80), ("Https", 443))):
    return {"ruleType": "ApplicationRule", "name": name, "sourceAddresses": list(sources),
            "sourceIpGroups": [], "protocols": [{"protocolType": t, "port": p}
                                                for t, p in protocols],
            "fqdnTags": list(fqdn_tags), "targetFqdns": list(fqdns), "targetUrls": [],
            "terminateTLS": False, "webCategories": [], "destinationAddresses": []}


def net_rule(name, sources, protocols, destinations, ports, *, fqdns=()):
    return {"ruleType": "NetworkRule", "name": name, "ipProtocols": list(protocols),
            "sourceAddresses": list(sources), "sourceIpGroups": [],
            "destinationAddresses": list(destinations), "destinationIpGroups": [],
            "destinationFqdns": list(fqdns), "destinationPorts": list(ports)}


def network_collection(api_https: bool) -> dict:
    """As `scenarios_firewall_dns_private.network_collection`, in REST shape."""
    rules = [
        net_rule("aks-tunnel-udp", NODE_SOURCES, ["UDP"], [AZURE_CLOUD_REGION], ["1194"]),
        net_rule("aks-tunnel-tcp", NODE_SOURCES, ["TCP"], [AZURE_CLOUD_REGION], ["9000"]),
        net_rule("ntp", NODE_SOURCES, ["UDP"], ["*"], ["123"]),
    ]
    if api_https:
        rules.append(net_rule("aks-apiserver-https", NODE_SOURCES, ["TCP"],
                              [AZURE_CLOUD_REGION], ["443"]))
    return filter_collection("aks-network", 100, "Allow", rules)


def aks_tag_collection(priority: int = 200) -> dict:
    """As `scenarios_firewall_dns_private.aks_tag_collection`, in REST shape."""
    return filter_collection("aks-fqdn-tag", priority, "Allow", [
        app_rule("aks-service-tag", NODE_SOURCES, fqdn_tags=["AzureKubernetesService"]),
        app_rule("ubuntu-updates", NODE_SOURCES,
                 fqdns=["security.ubuntu.com", "azure.archive.ubuntu.com",
                        "changelogs.ubuntu.com"], protocols=(("Http", 80),)),
    ])


# ----------------------------------------------------------------------------- az CLI shape

# REST names the Azure CLI's output conversion spells differently (Python attribute names turned
# back into camelCase: private_ip_address -> privateIpAddress)
AZ_NAMES = {
    "privateIPAddress": "privateIpAddress",
    "privateIPAllocationMethod": "privateIpAllocationMethod",
    "publicIPAddress": "publicIpAddress",
    "publicIPAddressVersion": "publicIpAddressVersion",
    "publicIPAllocationMethod": "publicIpAllocationMethod",
    "terminateTLS": "terminateTls",
}


def to_az(v, top: bool = True):
    """`az network ... show -o json` of a REST body: every `properties` object hoisted into its
    parent, CLI spellings, and `resourceGroup` beside the id."""
    if isinstance(v, list):
        return [to_az(x, False) for x in v]
    if not isinstance(v, dict):
        return v
    out: dict = {}
    for k, x in v.items():
        if k == "properties" and isinstance(x, dict):
            out.update(to_az(x, False))
        else:
            out[AZ_NAMES.get(k, k)] = to_az(x, False)
    if top and "id" in v:
        out["resourceGroup"] = v["id"].split("/")[4]
    return out


AZ_FILES = ["vnet", "public-ip", "firewall", "firewall-policy",
            "firewall-policy-rule-collection-group"]


def hub_files(resources: list[dict], equivalent: str) -> dict[str, str]:
    files = {"hub-rest.json": json.dumps({"value": resources}, indent=2) + "\n"}
    for name, r in zip(AZ_FILES, resources):
        files[f"hub-az/{name}.json"] = json.dumps(to_az(r), indent=2) + "\n"
    files["with-hub.toml"] = (
        "# With the hub given (az files, REST responses, a live read or a snapshot), the spoke\n"
        "# plan's verdicts are those of this all-in-one scenario (hub and spoke in one plan).\n"
        f"equivalent = \"{equivalent}\"\n")
    return files


# ----------------------------------------------------------------------------- scenarios

SPOKE_ALONE = (
    " Checked alone, the plan shows the firewall only through the data source: its IP "
    f"({FW_IP}, the route's next hop) and the id of its policy, not the policy's rules nor its "
    "DNS proxy setting, so every required endpoint and the DNS server are `unknown` (EGR001), "
    "never `reachable`. Given the hub (`hub-az/*.json`, `hub-rest.json`, `--live`, or a "
    "snapshot), the data sources resolve to the existing resources and the verdicts are those of "
)


def readme(first: str, equivalent: str) -> str:
    return first + SPOKE_ALONE + f"`{equivalent}` (see `with-hub.toml`)."


SPOKE_README = (
    "Spoke stack of a landing zone: spoke VNet 10.1.0.0/16 with node subnet 10.1.0.0/22, an "
    "inbound-only NSG, route table 0.0.0.0/0 -> `VirtualAppliance` at the hub firewall's IP (from "
    "`data.azurerm_firewall.hub`), peerings both ways (`var.hub_vnet_id`, "
    "`data.azurerm_virtual_network.hub`), the VNet's DNS server hard-coded to the firewall's IP, "
    "and a cluster with outbound type `userDefinedRouting`. The hub exists already: Azure "
    "Firewall `afw-hub-prod-weu` with policy `afwp-hub-prod-weu` (DNS proxy on; rule collection "
    "group `rcg-aks-egress` allowing the AKS FQDN tag and the tunnel, NTP and API server ports, "
    "as the AKS egress tutorial does)."
)

NO_PROXY_README = (
    "The same spoke stack as `existing-hub-spoke`, but the existing hub policy "
    "`afwp-hub-prod-weu` has no `dnsSettings`: DNS proxy is off, so the firewall does not "
    "answer on port 53 and every DNS lookup of the nodes fails (vmssCSE exit 52/50)."
)

DENY_README = (
    "The same spoke stack as `existing-hub-spoke`, with Azure-provided DNS, but the existing "
    "hub rule collection group puts an application collection `block-all-web` (Deny `*`, "
    "priority 100) before the AKS allow collection (priority 200) and allows no Tcp 443 network "
    "rule: every required HTTPS endpoint is denied by the hub firewall (FWL001)."
)


def spoke_alone_expect(dns: list[str] | None) -> Expect:
    """Alone, the plan cannot show what the firewall allows, nor (for a custom DNS server) the
    hub subnet in front of the firewall: unknown, never reachable."""
    hosts = CORE_HTTPS + [PUBLIC_API]
    out = egress("system", hosts, "unknown")
    for ip in dns or []:
        out += [Egress("system", ip, 53, "udp", "unknown"), Egress("system", ip, 53, "tcp",
                                                                   "unknown")]
    return Expect(exit_code=0, verdict="unknown", rules=["EGR001"], egress=out,
                  findings=[Finding("EGR001", "data.azurerm_firewall.hub")])


def scenarios() -> list[Scenario]:
    cases = [
        ("existing-hub-spoke", "fw-dns-with-proxy", [FW_IP], True,
         [aks_tag_collection()], [network_collection(api_https=True)], SPOKE_README,
         "spoke plan; hub firewall, policy and DNS proxy exist only in Azure"),
        ("existing-hub-spoke-no-dns-proxy", "fw-dns-without-proxy", [FW_IP], False,
         [aks_tag_collection()], [network_collection(api_https=True)], NO_PROXY_README,
         "spoke plan; the existing hub policy has DNS proxy off"),
        ("existing-hub-spoke-deny-before-allow", "hub-fw-deny-before-allow", None, True,
         [filter_collection("block-all-web", 100, "Deny", [
             app_rule("deny-everything-else", ["*"], fqdns=["*"])]),
          aks_tag_collection(priority=200)],
         [network_collection(api_https=False)], DENY_README,
         "spoke plan; the existing hub rule collection group denies before it allows"),
    ]
    out = []
    for name, equivalent, dns, proxy, app, net, text, summary in cases:
        resources = hub_rest(dns_proxy=proxy, app=app, net=net)
        out.append(Scenario(
            name, summary, readme(text, equivalent), spoke_alone_expect(dns),
            (lambda dns=dns: build_spoke(dns)),
            files=(lambda r=resources, e=equivalent: hub_files(r, e))))
    return out
