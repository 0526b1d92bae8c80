#!/usr/bin/env python3
"""ARM twins of plan scenarios: the same deployments as `testdata/scenarios/<name>/plan.json`,
written in Bicep (`main.bicep`, `modules/*.bicep`) and compiled by hand into the JSON that
`az bicep build` emits (`main.json`), with a parameters file (`main.parameters.json`), the
command-line arguments of the check (`check.args`) and a README.

There is no Bicep compiler on the machine that wrote them, so the JSON follows the compiled
shapes of Bicep's own baselines (Azure/bicep src/Bicep.Core.Samples/Files/baselines, classic
and languageVersion 2.0) and of the compiled templates in ../shared/corpus/arm-templates:
modules become `Microsoft.Resources/deployments` with an inline template and inner expression
scope; `for` loops become `copy`; `existing` resources, symbolic names and `dependsOn` follow
the language version. `templateHash` is written with the hash Bicep uses (ResourceStack
MurmurHash64 of the minified template) but was not checked against a Bicep build.

Regenerate from the repository root:   python3 testdata/gen/gen_arm_twins.py
Check the committed files:             python3 testdata/gen/gen_arm_twins.py --check
"""

from __future__ import annotations

import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1] / "arm-twins"
SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
PARAMS_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#"
BICEP_VERSION = "0.30.23.60470"
NET_API = "2024-05-01"
AKS_API = "2024-09-01"
DEPLOY_API = "2022-09-01"
REGION = "westeurope"
SPOKE_RG = "rg-aks-prod-weu"
HUB_RG = "rg-hub-prod-weu"


# ----------------------------------------------------------------------------- template hash

def _murmur64(data: bytes) -> int:
    m = 0xFFFFFFFF
    c1, c2 = 0x239B961B, 0xAB0E9789

    def rotl(x, r):
        return ((x << r) | (x >> (32 - r))) & m

    def le32(b):
        return int.from_bytes(b.ljust(4, b"\0")[:4], "little")

    h1 = h2 = 0
    n = len(data) - len(data) % 8
    for i in range(0, n, 8):
        k1 = rotl((le32(data[i:i + 4]) * c1) & m, 15) * c2 & m
        h1 = ((rotl(h1 ^ k1, 19) + h2) * 5 + 0x561CCD1B) & m
        k2 = rotl((le32(data[i + 4:i + 8]) * c2) & m, 17) * c1 & m
        h2 = ((rotl(h2 ^ k2, 13) + h1) * 5 + 0x0BCAA747) & m
    tail = data[n:]
    if tail:
        h1 ^= rotl((le32(tail[:4]) * c1) & m, 15) * c2 & m
        if len(tail) > 4:
            h2 ^= rotl((le32(tail[4:]) * c2) & m, 17) * c1 & m
    h1 ^= len(data)
    h2 ^= len(data)
    h1 = (h1 + h2) & m
    h2 = (h2 + h1) & m

    def fmix(h):
        h ^= h >> 16
        h = h * 0x85EBCA6B & m
        h ^= h >> 13
        h = h * 0xC2B2AE35 & m
        return h ^ (h >> 16)

    h1, h2 = fmix(h1), fmix(h2)
    h1 = (h1 + h2) & m
    h2 = (h2 + h1) & m
    return (h2 << 32) | h1


def template(*, parameters, resources, variables=None, outputs=None, v2=False,
             definitions=None) -> dict:
    t: dict = {"$schema": SCHEMA}
    if v2:
        t["languageVersion"] = "2.0"
    t["contentVersion"] = "1.0.0.0"
    t["metadata"] = {"_generator": {"name": "bicep", "version": BICEP_VERSION,
                                    "templateHash": "0"}}
    if definitions:
        t["definitions"] = definitions
    t["parameters"] = parameters
    if variables:
        t["variables"] = variables
    t["resources"] = resources
    if outputs:
        t["outputs"] = outputs
    body = json.dumps({k: v for k, v in t.items() if k != "metadata"}, separators=(",", ":"))
    t["metadata"]["_generator"]["templateHash"] = str(_murmur64(body.upper().encode()))
    return t


def param(ptype: str, default=None, description: str | None = None) -> dict:
    p: dict = {"type": ptype}
    if default is not None:
        p["defaultValue"] = default
    if description:
        p["metadata"] = {"description": description}
    return p


def module(name: str, template_: dict, params: dict, *, rg: str | None = None,
           depends=None) -> dict:
    """A Bicep module as it compiles: a nested deployment with an inline template."""
    m: dict = {"type": "Microsoft.Resources/deployments", "apiVersion": DEPLOY_API, "name": name}
    if rg:
        m["resourceGroup"] = rg
    m["properties"] = {
        "expressionEvaluationOptions": {"scope": "inner"},
        "mode": "Incremental",
        "parameters": {k: {"value": v} for k, v in params.items()},
        "template": template_,
    }
    if depends:
        m["dependsOn"] = depends
    return m


# ----------------------------------------------------------------------------- building blocks

INGRESS_RULES = [
    {"name": "AllowHttpsInbound", "description": "Ingress controller (HTTPS)", "port": "443",
     "priority": 100},
    {"name": "AllowHttpInbound", "description": "Ingress controller (HTTP, redirects to HTTPS)",
     "port": "80", "priority": 110},
]


def ingress_rule_json(r: dict, dest: str) -> dict:
    return {"name": r["name"], "properties": {
        "description": r["description"], "priority": r["priority"], "direction": "Inbound",
        "access": "Allow", "protocol": "Tcp", "sourceAddressPrefix": "Internet",
        "sourcePortRange": "*", "destinationAddressPrefix": dest,
        "destinationPortRange": r["port"]}}


INGRESS_BICEP = """\
  properties: {
    securityRules: [
      {
        name: 'AllowHttpsInbound'
        properties: {
          description: 'Ingress controller (HTTPS)'
          priority: 100
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourceAddressPrefix: 'Internet'
          sourcePortRange: '*'
          destinationAddressPrefix: nodeSubnetPrefix
          destinationPortRange: '443'
        }
      }
      {
        name: 'AllowHttpInbound'
        properties: {
          description: 'Ingress controller (HTTP, redirects to HTTPS)'
          priority: 110
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourceAddressPrefix: 'Internet'
          sourcePortRange: '*'
          destinationAddressPrefix: nodeSubnetPrefix
          destinationPortRange: '80'
        }
      }
    ]
  }
"""


def cluster_json(*, subnet_id: str, outbound: str, private: bool = False,
                 private_zone: str | None = None, identity=None, depends=None) -> dict:
    api: dict = {"enablePrivateCluster": private}
    if private:
        api["privateDNSZone"] = private_zone
        api["enablePrivateClusterPublicFQDN"] = False
    c: dict = {
        "type": "Microsoft.ContainerService/managedClusters", "apiVersion": AKS_API,
        "name": "[parameters('clusterName')]", "location": "[parameters('location')]",
        "identity": identity or {"type": "SystemAssigned"},
        "properties": {
            "kubernetesVersion": "1.31",
            "dnsPrefix": "[parameters('clusterName')]",
            "agentPoolProfiles": [{
                "name": "system", "mode": "System", "count": 2, "minCount": 2, "maxCount": 5,
                "enableAutoScaling": True, "vmSize": "Standard_D4ds_v5", "osType": "Linux",
                "type": "VirtualMachineScaleSets", "availabilityZones": ["1", "2", "3"],
                "onlyCriticalAddonsEnabled": True, "enableNodePublicIP": False,
                "vnetSubnetID": subnet_id,
            }],
            "networkProfile": {
                "networkPlugin": "azure", "networkPluginMode": "overlay",
                "networkDataplane": "azure", "loadBalancerSku": "standard",
                "outboundType": outbound, "podCidr": "192.168.0.0/16",
                "serviceCidr": "172.16.0.0/16", "dnsServiceIP": "172.16.0.10",
            },
            "apiServerAccessProfile": api,
        },
    }
    if depends:
        c["dependsOn"] = depends
    return c


def cluster_bicep(*, symbol: str = "aks", subnet: str, outbound: str, private: bool = False,
                  private_zone: str | None = None, identity: str | None = None) -> str:
    api = f"      enablePrivateCluster: {str(private).lower()}\n"
    if private:
        api += f"      privateDNSZone: {private_zone}\n      enablePrivateClusterPublicFQDN: false\n"
    ident = identity or "{\n    type: 'SystemAssigned'\n  }"
    return f"""\
resource {symbol} 'Microsoft.ContainerService/managedClusters@{AKS_API}' = {{
  name: clusterName
  location: location
  identity: {ident}
  properties: {{
    kubernetesVersion: '1.31'
    dnsPrefix: clusterName
    agentPoolProfiles: [
      {{
        name: 'system'
        mode: 'System'
        count: 2
        minCount: 2
        maxCount: 5
        enableAutoScaling: true
        vmSize: 'Standard_D4ds_v5'
        osType: 'Linux'
        type: 'VirtualMachineScaleSets'
        availabilityZones: ['1', '2', '3']
        onlyCriticalAddonsEnabled: true
        enableNodePublicIP: false
        vnetSubnetID: {subnet}
      }}
    ]
    networkProfile: {{
      networkPlugin: 'azure'
      networkPluginMode: 'overlay'
      networkDataplane: 'azure'
      loadBalancerSku: 'standard'
      outboundType: '{outbound}'
      podCidr: '192.168.0.0/16'
      serviceCidr: '172.16.0.0/16'
      dnsServiceIP: '172.16.0.10'
    }}
    apiServerAccessProfile: {{
{api}    }}
  }}
}}
"""


CLUSTER_PARAMS_BICEP = """\
@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('Name of the AKS cluster; also its DNS prefix.')
param clusterName string = 'aks-prod-weu'
"""


def cluster_params_json() -> dict:
    return {
        "location": param("string", "[resourceGroup().location]",
                          "Azure region of every resource."),
        "clusterName": param("string", "aks-prod-weu",
                             "Name of the AKS cluster; also its DNS prefix."),
    }


def parameters_file(values: dict) -> dict:
    return {"$schema": PARAMS_SCHEMA, "contentVersion": "1.0.0.0",
            "parameters": {k: {"value": v} for k, v in values.items()}}


# ----------------------------------------------------------------------------- single-VNet twins

def spoke_single(*, outbound: str, nsg_rules_loop: bool, extra_params_bicep: str = "",
                 extra_params: dict | None = None, extra_bicep: str = "",
                 extra_resources: list | None = None, subnet_extra: dict | None = None,
                 subnet_extra_bicep: str = "", nsg_json=None, nsg_bicep=None,
                 subnet_depends=None) -> tuple[str, dict]:
    """The `lb-clean` family: one VNet 10.10.0.0/16, node subnet 10.10.0.0/22 with an NSG, a
    public cluster. Classic (array) output, as Bicep emits without language-2.0 features."""
    params_bicep = CLUSTER_PARAMS_BICEP + """
param vnetName string = 'vnet-aks-prod-weu'
param vnetAddressPrefix string = '10.10.0.0/16'
param nodeSubnetPrefix string = '10.10.0.0/22'
""" + extra_params_bicep
    params = cluster_params_json() | {
        "vnetName": param("string", "vnet-aks-prod-weu"),
        "vnetAddressPrefix": param("string", "10.10.0.0/16"),
        "nodeSubnetPrefix": param("string", "10.10.0.0/22"),
    } | (extra_params or {})
    if nsg_json is None:
        if nsg_rules_loop:
            nsg_json = {
                "type": "Microsoft.Network/networkSecurityGroups", "apiVersion": NET_API,
                "name": "nsg-aks-nodes", "location": "[parameters('location')]",
                "properties": {"copy": [{
                    "name": "securityRules", "count": "[length(parameters('ingressRules'))]",
                    "input": {
                        "name": "[parameters('ingressRules')[copyIndex('securityRules')].name]",
                        "properties": {
                            "description": "[parameters('ingressRules')[copyIndex('securityRules')].description]",
                            "priority": "[parameters('ingressRules')[copyIndex('securityRules')].priority]",
                            "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
                            "sourceAddressPrefix": "Internet", "sourcePortRange": "*",
                            "destinationAddressPrefix": "[parameters('nodeSubnetPrefix')]",
                            "destinationPortRange": "[parameters('ingressRules')[copyIndex('securityRules')].port]",
                        },
                    },
                }]},
            }
            nsg_bicep = """\
resource nsg 'Microsoft.Network/networkSecurityGroups@%s' = {
  name: 'nsg-aks-nodes'
  location: location
  properties: {
    securityRules: [for rule in ingressRules: {
      name: rule.name
      properties: {
        description: rule.description
        priority: rule.priority
        direction: 'Inbound'
        access: 'Allow'
        protocol: 'Tcp'
        sourceAddressPrefix: 'Internet'
        sourcePortRange: '*'
        destinationAddressPrefix: nodeSubnetPrefix
        destinationPortRange: rule.port
      }
    }]
  }
}
""" % NET_API
        else:
            nsg_json = {
                "type": "Microsoft.Network/networkSecurityGroups", "apiVersion": NET_API,
                "name": "nsg-aks-nodes", "location": "[parameters('location')]",
                "properties": {"securityRules": [
                    ingress_rule_json(r, "[parameters('nodeSubnetPrefix')]")
                    for r in INGRESS_RULES]},
            }
            nsg_bicep = ("resource nsg 'Microsoft.Network/networkSecurityGroups@%s' = {\n"
                         "  name: 'nsg-aks-nodes'\n  location: location\n" % NET_API
                         + INGRESS_BICEP + "}\n")
    subnet_props = {"addressPrefix": "[parameters('nodeSubnetPrefix')]",
                    "networkSecurityGroup": {"id": "[resourceId('Microsoft.Network/networkSecurityGroups', 'nsg-aks-nodes')]"}}
    subnet_props |= subnet_extra or {}
    vnet = {"type": "Microsoft.Network/virtualNetworks", "apiVersion": NET_API,
            "name": "[parameters('vnetName')]", "location": "[parameters('location')]",
            "properties": {"addressSpace": {"addressPrefixes": ["[parameters('vnetAddressPrefix')]"]}}}
    subnet = {"type": "Microsoft.Network/virtualNetworks/subnets", "apiVersion": NET_API,
              "name": "[format('{0}/{1}', parameters('vnetName'), 'snet-aks-nodes')]",
              "properties": subnet_props,
              "dependsOn": (subnet_depends or []) + [
                  "[resourceId('Microsoft.Network/networkSecurityGroups', 'nsg-aks-nodes')]",
                  "[resourceId('Microsoft.Network/virtualNetworks', parameters('vnetName'))]"]}
    subnet_id = "[resourceId('Microsoft.Network/virtualNetworks/subnets', parameters('vnetName'), 'snet-aks-nodes')]"
    aks = cluster_json(subnet_id=subnet_id, outbound=outbound, depends=[subnet_id])
    resources = [nsg_json, vnet, subnet] + (extra_resources or []) + [aks]
    bicep = params_bicep + "\n" + nsg_bicep + f"""
resource vnet 'Microsoft.Network/virtualNetworks@{NET_API}' = {{
  name: vnetName
  location: location
  properties: {{
    addressSpace: {{
      addressPrefixes: [vnetAddressPrefix]
    }}
  }}
}}

resource nodeSubnet 'Microsoft.Network/virtualNetworks/subnets@{NET_API}' = {{
  parent: vnet
  name: 'snet-aks-nodes'
  properties: {{
    addressPrefix: nodeSubnetPrefix
    networkSecurityGroup: {{
      id: nsg.id
    }}
{subnet_extra_bicep}  }}
}}
""" + extra_bicep + "\n" + cluster_bicep(subnet="nodeSubnet.id", outbound=outbound)
    return bicep, template(parameters=params, resources=resources)


INGRESS_PARAM_BICEP = """
@description('Inbound rules of the node subnet NSG (an ingress controller).')
param ingressRules array = []
"""


def ingress_param() -> dict:
    return {"ingressRules": param("array", [], "Inbound rules of the node subnet NSG (an ingress controller).")}


def ingress_values() -> list:
    return [{k: r[k] for k in ("name", "description", "port", "priority")} for r in INGRESS_RULES]


def twin_lb_clean():
    bicep, t = spoke_single(outbound="loadBalancer", nsg_rules_loop=True,
                            extra_params_bicep=INGRESS_PARAM_BICEP, extra_params=ingress_param())
    pfile = parameters_file({"location": REGION, "clusterName": "aks-prod-weu",
                             "ingressRules": ingress_values()})
    return {
        "main.bicep": bicep, "main.json": t, "main.parameters.json": pfile,
        "check.args": ["main.json", "--parameters", "main.parameters.json",
                       "--resource-group", SPOKE_RG],
        "readme": "Twin of `lb-clean`: public cluster, Azure CNI overlay, outbound type "
                  "`loadBalancer`, node subnet with an inbound-only NSG. The NSG's rules are a "
                  "Bicep `for` loop over the `ingressRules` parameter (a property `copy` loop in "
                  "the JSON), given by the parameters file. Classic (array) output.",
    }


def twin_nsg_deny_internet_443():
    rules_bicep = """
@description('Security rules of the node subnet NSG, as separate child resources.')
param nsgRules array
"""
    rules_json = {"nsgRules": param("array", None, "Security rules of the node subnet NSG, as separate child resources.")}
    nsg_json = {"type": "Microsoft.Network/networkSecurityGroups", "apiVersion": NET_API,
                "name": "nsg-aks-nodes", "location": "[parameters('location')]"}
    nsg_bicep = f"""\
resource nsg 'Microsoft.Network/networkSecurityGroups@{NET_API}' = {{
  name: 'nsg-aks-nodes'
  location: location
}}

resource nsgRule 'Microsoft.Network/networkSecurityGroups/securityRules@{NET_API}' = [for rule in nsgRules: {{
  parent: nsg
  name: rule.name
  properties: {{
    description: rule.?description
    priority: rule.priority
    direction: rule.direction
    access: rule.access
    protocol: rule.protocol
    sourceAddressPrefix: rule.source
    sourcePortRange: '*'
    destinationAddressPrefix: rule.destination
    destinationPortRange: rule.port
  }}
}}]
"""
    rule_res = {
        "copy": {"name": "nsgRule", "count": "[length(parameters('nsgRules'))]"},
        "type": "Microsoft.Network/networkSecurityGroups/securityRules", "apiVersion": NET_API,
        "name": "[format('{0}/{1}', 'nsg-aks-nodes', parameters('nsgRules')[copyIndex()].name)]",
        "properties": {
            "description": "[tryGet(parameters('nsgRules')[copyIndex()], 'description')]",
            "priority": "[parameters('nsgRules')[copyIndex()].priority]",
            "direction": "[parameters('nsgRules')[copyIndex()].direction]",
            "access": "[parameters('nsgRules')[copyIndex()].access]",
            "protocol": "[parameters('nsgRules')[copyIndex()].protocol]",
            "sourceAddressPrefix": "[parameters('nsgRules')[copyIndex()].source]",
            "sourcePortRange": "*",
            "destinationAddressPrefix": "[parameters('nsgRules')[copyIndex()].destination]",
            "destinationPortRange": "[parameters('nsgRules')[copyIndex()].port]",
        },
        "dependsOn": ["[resourceId('Microsoft.Network/networkSecurityGroups', 'nsg-aks-nodes')]"],
    }
    bicep, t = spoke_single(outbound="loadBalancer", nsg_rules_loop=False,
                            extra_params_bicep=rules_bicep, extra_params=rules_json,
                            nsg_json=nsg_json, nsg_bicep=nsg_bicep, extra_resources=[rule_res])
    pfile = parameters_file({"location": REGION, "nsgRules": [
        {"name": "AllowHttpsInbound", "priority": 100, "direction": "Inbound", "access": "Allow",
         "protocol": "Tcp", "source": "Internet", "destination": "10.10.0.0/22", "port": "443"},
        {"name": "DenyInternetHttpsOutbound", "description": "Security baseline: no direct internet HTTPS",
         "priority": 100, "direction": "Outbound", "access": "Deny", "protocol": "Tcp",
         "source": "*", "destination": "Internet", "port": "443"},
    ]})
    return {
        "main.bicep": bicep, "main.json": t, "main.parameters.json": pfile,
        "check.args": ["main.json", "--parameters", "main.parameters.json",
                       "--resource-group", SPOKE_RG],
        "readme": "Twin of `nsg-deny-internet-443`: the NSG has no inline rules; its rules are "
                  "separate `securityRules` child resources from a Bicep resource `for` loop "
                  "over the `nsgRules` parameter (a resource `copy` loop with `copyIndex()`). "
                  "The parameters file gives an outbound Deny Tcp 443 to `Internet` at "
                  "priority 100.",
    }


def twin_udr_default_to_none():
    rt_json = {"type": "Microsoft.Network/routeTables", "apiVersion": NET_API,
               "name": "rt-aks-nodes", "location": "[parameters('location')]",
               "properties": {"disableBgpRoutePropagation": True, "routes": [
                   {"name": "default-drop", "properties": {"addressPrefix": "0.0.0.0/0",
                                                            "nextHopType": "None"}}]}}
    rt_bicep = f"""
resource routeTable 'Microsoft.Network/routeTables@{NET_API}' = {{
  name: 'rt-aks-nodes'
  location: location
  properties: {{
    disableBgpRoutePropagation: true
    routes: [
      {{
        name: 'default-drop'
        properties: {{
          addressPrefix: '0.0.0.0/0'
          nextHopType: 'None'
        }}
      }}
    ]
  }}
}}
"""
    bicep, t = spoke_single(
        outbound="userDefinedRouting", nsg_rules_loop=False, extra_resources=[rt_json],
        extra_bicep=rt_bicep,
        subnet_extra={"routeTable": {"id": "[resourceId('Microsoft.Network/routeTables', 'rt-aks-nodes')]"}},
        subnet_extra_bicep="    routeTable: {\n      id: routeTable.id\n    }\n",
        subnet_depends=["[resourceId('Microsoft.Network/routeTables', 'rt-aks-nodes')]"])
    return {
        "main.bicep": bicep, "main.json": t,
        "check.args": ["main.json", "--param", "location=westeurope",
                       "--resource-group", SPOKE_RG, "--subscription",
                       "3f2c9b1e-7d4a-4c8e-9a51-2b6f0d8e1c47"],
        "readme": "Twin of `udr-default-to-none`: outbound type `userDefinedRouting`, the node "
                  "subnet's route table sends 0.0.0.0/0 to next hop `None`. No parameters file: "
                  "the location is given with `--param`, and the deployment's subscription and "
                  "resource group on the command line.",
    }


def twin_user_nat_missing():
    nat_json = [
        {"type": "Microsoft.Network/publicIPAddresses", "apiVersion": NET_API,
         "name": "pip-ng-aks-prod-weu", "location": "[parameters('location')]",
         "sku": {"name": "Standard", "tier": "Regional"}, "zones": ["1"],
         "properties": {"publicIPAllocationMethod": "Static", "publicIPAddressVersion": "IPv4",
                        "idleTimeoutInMinutes": 4}},
        {"type": "Microsoft.Network/natGateways", "apiVersion": NET_API,
         "name": "ng-aks-prod-weu", "location": "[parameters('location')]",
         "sku": {"name": "Standard"}, "zones": ["1"],
         "properties": {"idleTimeoutInMinutes": 4, "publicIpAddresses": [
             {"id": "[resourceId('Microsoft.Network/publicIPAddresses', 'pip-ng-aks-prod-weu')]"}]},
         "dependsOn": ["[resourceId('Microsoft.Network/publicIPAddresses', 'pip-ng-aks-prod-weu')]"]},
    ]
    nat_bicep = f"""
resource natPip 'Microsoft.Network/publicIPAddresses@{NET_API}' = {{
  name: 'pip-ng-aks-prod-weu'
  location: location
  sku: {{
    name: 'Standard'
    tier: 'Regional'
  }}
  zones: ['1']
  properties: {{
    publicIPAllocationMethod: 'Static'
    publicIPAddressVersion: 'IPv4'
    idleTimeoutInMinutes: 4
  }}
}}

// the NAT gateway is created, but the node subnet does not name it
resource natGateway 'Microsoft.Network/natGateways@{NET_API}' = {{
  name: 'ng-aks-prod-weu'
  location: location
  sku: {{
    name: 'Standard'
  }}
  zones: ['1']
  properties: {{
    idleTimeoutInMinutes: 4
    publicIpAddresses: [
      {{
        id: natPip.id
      }}
    ]
  }}
}}
"""
    bicep, t = spoke_single(outbound="userAssignedNATGateway", nsg_rules_loop=False,
                            extra_resources=nat_json, extra_bicep=nat_bicep)
    pfile = parameters_file({"location": REGION})
    return {
        "main.bicep": bicep, "main.json": t, "main.parameters.json": pfile,
        "check.args": ["main.json", "--parameters", "main.parameters.json",
                       "--resource-group", SPOKE_RG],
        "readme": "Twin of `user-nat-missing`: outbound type `userAssignedNATGateway`; the NAT "
                  "gateway and its public IP are created, but the node subnet has no "
                  "`natGateway`.",
    }


# ----------------------------------------------------------------------------- hub and spoke

NODES = "10.1.0.0/22"
FW_SUBNET_ID = "[resourceId('Microsoft.Network/virtualNetworks/subnets', parameters('hubVnetName'), 'AzureFirewallSubnet')]"


def net_rule(name, protocols, destinations, ports):
    return {"ruleType": "NetworkRule", "name": name, "ipProtocols": protocols,
            "sourceAddresses": "[parameters('nodeSubnetPrefixes')]",
            "destinationAddresses": destinations, "destinationPorts": ports}


def app_rule(name, *, tags=(), fqdns=(), protocols=(("Http", 80), ("Https", 443))):
    r = {"ruleType": "ApplicationRule", "name": name,
         "sourceAddresses": "[parameters('nodeSubnetPrefixes')]",
         "protocols": [{"protocolType": t, "port": p} for t, p in protocols]}
    if tags:
        r["fqdnTags"] = list(tags)
    if fqdns:
        r["targetFqdns"] = list(fqdns)
    return r


def policy_collections() -> list:
    return [
        {"ruleCollectionType": "FirewallPolicyFilterRuleCollection", "name": "aks-network",
         "priority": 100, "action": {"type": "Allow"}, "rules": [
             net_rule("aks-tunnel-udp", ["UDP"], ["[format('AzureCloud.{0}', parameters('location'))]"], ["1194"]),
             net_rule("aks-tunnel-tcp", ["TCP"], ["[format('AzureCloud.{0}', parameters('location'))]"], ["9000"]),
             net_rule("ntp", ["UDP"], ["*"], ["123"]),
             net_rule("aks-apiserver-https", ["TCP"], ["[format('AzureCloud.{0}', parameters('location'))]"], ["443"]),
         ]},
        {"ruleCollectionType": "FirewallPolicyFilterRuleCollection", "name": "aks-fqdn-tag",
         "priority": 200, "action": {"type": "Allow"}, "rules": [
             app_rule("aks-service-tag", tags=["AzureKubernetesService"]),
             app_rule("ubuntu-updates", fqdns=["security.ubuntu.com", "azure.archive.ubuntu.com",
                                                "changelogs.ubuntu.com"],
                      protocols=(("Http", 80),)),
         ]},
    ]


POLICY_COLLECTIONS_BICEP = """\
    ruleCollections: [
      {
        ruleCollectionType: 'FirewallPolicyFilterRuleCollection'
        name: 'aks-network'
        priority: 100
        action: {
          type: 'Allow'
        }
        rules: [
          {
            ruleType: 'NetworkRule'
            name: 'aks-tunnel-udp'
            ipProtocols: ['UDP']
            sourceAddresses: nodeSubnetPrefixes
            destinationAddresses: ['AzureCloud.${location}']
            destinationPorts: ['1194']
          }
          {
            ruleType: 'NetworkRule'
            name: 'aks-tunnel-tcp'
            ipProtocols: ['TCP']
            sourceAddresses: nodeSubnetPrefixes
            destinationAddresses: ['AzureCloud.${location}']
            destinationPorts: ['9000']
          }
          {
            ruleType: 'NetworkRule'
            name: 'ntp'
            ipProtocols: ['UDP']
            sourceAddresses: nodeSubnetPrefixes
            destinationAddresses: ['*']
            destinationPorts: ['123']
          }
          {
            ruleType: 'NetworkRule'
            name: 'aks-apiserver-https'
            ipProtocols: ['TCP']
            sourceAddresses: nodeSubnetPrefixes
            destinationAddresses: ['AzureCloud.${location}']
            destinationPorts: ['443']
          }
        ]
      }
      {
        ruleCollectionType: 'FirewallPolicyFilterRuleCollection'
        name: 'aks-fqdn-tag'
        priority: 200
        action: {
          type: 'Allow'
        }
        rules: [
          {
            ruleType: 'ApplicationRule'
            name: 'aks-service-tag'
            sourceAddresses: nodeSubnetPrefixes
            protocols: [
              {
                protocolType: 'Http'
                port: 80
              }
              {
                protocolType: 'Https'
                port: 443
              }
            ]
            fqdnTags: ['AzureKubernetesService']
          }
          {
            ruleType: 'ApplicationRule'
            name: 'ubuntu-updates'
            sourceAddresses: nodeSubnetPrefixes
            protocols: [
              {
                protocolType: 'Http'
                port: 80
              }
            ]
            targetFqdns: ['security.ubuntu.com', 'azure.archive.ubuntu.com', 'changelogs.ubuntu.com']
          }
        ]
      }
    ]
"""


def hub_module(*, dns_proxy: bool, policy: bool = True, resolver: bool = False) -> tuple[str, dict]:
    """modules/hub.bicep: hub VNet 10.0.0.0/16 with AzureFirewallSubnet, Azure Firewall (with a
    policy, or classic rule collections when `policy` is false), the peering to the spoke.
    Compiled on its own: classic (array) output."""
    params = {
        "location": param("string"),
        "hubVnetName": param("string", "vnet-hub-prod-weu"),
        "spokeVnetId": param("string", None, "Id of the spoke VNet to peer with."),
        "nodeSubnetPrefixes": param("array", None, "Node subnet prefixes, the sources of the firewall rules."),
    }
    bicep = """\
param location string
param hubVnetName string = 'vnet-hub-prod-weu'

@description('Id of the spoke VNet to peer with.')
param spokeVnetId string

@description('Node subnet prefixes, the sources of the firewall rules.')
param nodeSubnetPrefixes array
"""
    subnets = [{"name": "AzureFirewallSubnet", "properties": {"addressPrefix": "10.0.1.0/26"}}]
    subnets_bicep = """\
      {
        name: 'AzureFirewallSubnet'
        properties: {
          addressPrefix: '10.0.1.0/26'
        }
      }
"""
    resources: list = []
    if resolver:
        subnets.append({"name": "snet-dns-inbound", "properties": {
            "addressPrefix": "10.0.3.0/28",
            "delegations": [{"name": "Microsoft.Network.dnsResolvers",
                             "properties": {"serviceName": "Microsoft.Network/dnsResolvers"}}]}})
        subnets_bicep += """\
      {
        name: 'snet-dns-inbound'
        properties: {
          addressPrefix: '10.0.3.0/28'
          delegations: [
            {
              name: 'Microsoft.Network.dnsResolvers'
              properties: {
                serviceName: 'Microsoft.Network/dnsResolvers'
              }
            }
          ]
        }
      }
"""
    resources.append({"type": "Microsoft.Network/virtualNetworks", "apiVersion": NET_API,
                      "name": "[parameters('hubVnetName')]", "location": "[parameters('location')]",
                      "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                                     "subnets": subnets}})
    bicep += f"""
resource hubVnet 'Microsoft.Network/virtualNetworks@{NET_API}' = {{
  name: hubVnetName
  location: location
  properties: {{
    addressSpace: {{
      addressPrefixes: ['10.0.0.0/16']
    }}
    subnets: [
{subnets_bicep}    ]
  }}
}}

resource hubToSpoke 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings@{NET_API}' = {{
  parent: hubVnet
  name: 'peer-hub-to-aks'
  properties: {{
    remoteVirtualNetwork: {{
      id: spokeVnetId
    }}
    allowVirtualNetworkAccess: true
    allowForwardedTraffic: true
    allowGatewayTransit: false
    useRemoteGateways: false
  }}
}}
"""
    resources.append({"type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
                      "apiVersion": NET_API,
                      "name": "[format('{0}/{1}', parameters('hubVnetName'), 'peer-hub-to-aks')]",
                      "properties": {"remoteVirtualNetwork": {"id": "[parameters('spokeVnetId')]"},
                                     "allowVirtualNetworkAccess": True,
                                     "allowForwardedTraffic": True,
                                     "allowGatewayTransit": False, "useRemoteGateways": False},
                      "dependsOn": ["[resourceId('Microsoft.Network/virtualNetworks', parameters('hubVnetName'))]"]})
    outputs = {"hubVnetId": {"type": "string",
                             "value": "[resourceId('Microsoft.Network/virtualNetworks', parameters('hubVnetName'))]"}}
    out_bicep = "\noutput hubVnetId string = hubVnet.id\n"
    if resolver:
        resources += [
            {"type": "Microsoft.Network/dnsResolvers", "apiVersion": "2022-07-01",
             "name": "dnspr-hub-prod-weu", "location": "[parameters('location')]",
             "properties": {"virtualNetwork": {"id": "[resourceId('Microsoft.Network/virtualNetworks', parameters('hubVnetName'))]"}},
             "dependsOn": ["[resourceId('Microsoft.Network/virtualNetworks', parameters('hubVnetName'))]"]},
            {"type": "Microsoft.Network/dnsResolvers/inboundEndpoints", "apiVersion": "2022-07-01",
             "name": "[format('{0}/{1}', 'dnspr-hub-prod-weu', 'in-hub-prod-weu')]",
             "location": "[parameters('location')]",
             "properties": {"ipConfigurations": [{"privateIpAllocationMethod": "Dynamic",
                                                  "subnet": {"id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', parameters('hubVnetName'), 'snet-dns-inbound')]"}}]},
             "dependsOn": ["[resourceId('Microsoft.Network/dnsResolvers', 'dnspr-hub-prod-weu')]"]},
        ]
        bicep += f"""
resource resolver 'Microsoft.Network/dnsResolvers@2022-07-01' = {{
  name: 'dnspr-hub-prod-weu'
  location: location
  properties: {{
    virtualNetwork: {{
      id: hubVnet.id
    }}
  }}
}}

resource inbound 'Microsoft.Network/dnsResolvers/inboundEndpoints@2022-07-01' = {{
  parent: resolver
  name: 'in-hub-prod-weu'
  location: location
  properties: {{
    ipConfigurations: [
      {{
        privateIpAllocationMethod: 'Dynamic'
        subnet: {{
          id: resourceId('Microsoft.Network/virtualNetworks/subnets', hubVnetName, 'snet-dns-inbound')
        }}
      }}
    ]
  }}
}}
"""
        outputs["resolverInboundIp"] = {
            "type": "string",
            "value": "[reference(resourceId('Microsoft.Network/dnsResolvers/inboundEndpoints', 'dnspr-hub-prod-weu', 'in-hub-prod-weu'), '2022-07-01').ipConfigurations[0].privateIpAddress]"}
        out_bicep += "output resolverInboundIp string = inbound.properties.ipConfigurations[0].privateIpAddress\n"
        t = template(parameters=params, resources=resources, outputs=outputs)
        return bicep + out_bicep, t
    # the firewall
    resources.append({"type": "Microsoft.Network/publicIPAddresses", "apiVersion": NET_API,
                      "name": "pip-afw-hub-prod-weu", "location": "[parameters('location')]",
                      "sku": {"name": "Standard", "tier": "Regional"}, "zones": ["1", "2", "3"],
                      "properties": {"publicIPAllocationMethod": "Static",
                                     "publicIPAddressVersion": "IPv4", "idleTimeoutInMinutes": 4}})
    bicep += f"""
resource fwPip 'Microsoft.Network/publicIPAddresses@{NET_API}' = {{
  name: 'pip-afw-hub-prod-weu'
  location: location
  sku: {{
    name: 'Standard'
    tier: 'Regional'
  }}
  zones: ['1', '2', '3']
  properties: {{
    publicIPAllocationMethod: 'Static'
    publicIPAddressVersion: 'IPv4'
    idleTimeoutInMinutes: 4
  }}
}}
"""
    fw_props: dict = {"sku": {"name": "AZFW_VNet", "tier": "Standard"},
                      "ipConfigurations": [{"name": "configuration", "properties": {
                          "subnet": {"id": FW_SUBNET_ID},
                          "publicIPAddress": {"id": "[resourceId('Microsoft.Network/publicIPAddresses', 'pip-afw-hub-prod-weu')]"}}}]}
    fw_depends = ["[resourceId('Microsoft.Network/publicIPAddresses', 'pip-afw-hub-prod-weu')]",
                  "[resourceId('Microsoft.Network/virtualNetworks', parameters('hubVnetName'))]"]
    if policy:
        pol_props: dict = {"sku": {"tier": "Standard"}, "threatIntelMode": "Alert"}
        pol_bicep_dns = ""
        if dns_proxy:
            pol_props["dnsSettings"] = {"enableProxy": True}
            pol_bicep_dns = "    dnsSettings: {\n      enableProxy: true\n    }\n"
        resources += [
            {"type": "Microsoft.Network/firewallPolicies", "apiVersion": NET_API,
             "name": "afwp-hub-prod-weu", "location": "[parameters('location')]",
             "properties": pol_props},
            {"type": "Microsoft.Network/firewallPolicies/ruleCollectionGroups",
             "apiVersion": NET_API, "name": "[format('{0}/{1}', 'afwp-hub-prod-weu', 'rcg-aks-egress')]",
             "properties": {"priority": 200, "ruleCollections": policy_collections()},
             "dependsOn": ["[resourceId('Microsoft.Network/firewallPolicies', 'afwp-hub-prod-weu')]"]},
        ]
        bicep += f"""
resource fwPolicy 'Microsoft.Network/firewallPolicies@{NET_API}' = {{
  name: 'afwp-hub-prod-weu'
  location: location
  properties: {{
    sku: {{
      tier: 'Standard'
    }}
    threatIntelMode: 'Alert'
{pol_bicep_dns}  }}
}}

resource aksEgress 'Microsoft.Network/firewallPolicies/ruleCollectionGroups@{NET_API}' = {{
  parent: fwPolicy
  name: 'rcg-aks-egress'
  properties: {{
    priority: 200
{POLICY_COLLECTIONS_BICEP}  }}
}}
"""
        fw_props["firewallPolicy"] = {"id": "[resourceId('Microsoft.Network/firewallPolicies', 'afwp-hub-prod-weu')]"}
        fw_depends.append("[resourceId('Microsoft.Network/firewallPolicies/ruleCollectionGroups', 'afwp-hub-prod-weu', 'rcg-aks-egress')]")
        fw_policy_bicep = "    firewallPolicy: {\n      id: fwPolicy.id\n    }\n"
        fw_classic_bicep = ""
    else:
        fw_props["additionalProperties"] = {"Network.DNS.EnableProxy": "false"}
        fw_props["threatIntelMode"] = "Alert"
        fw_props["applicationRuleCollections"] = [{
            "name": "aks-egress-fqdns", "properties": {"priority": 200, "action": {"type": "Allow"}, "rules": [
                {"name": "aks-required-fqdns", "sourceAddresses": "[parameters('nodeSubnetPrefixes')]",
                 "protocols": [{"protocolType": "Https", "port": 443}],
                 "targetFqdns": ["[format('*.hcp.{0}.azmk8s.io', parameters('location'))]",
                                 "mcr.microsoft.com", "*.data.mcr.microsoft.com",
                                 "mcr-0001.mcr-msedge.net", "packages.aks.azure.com",
                                 "acs-mirror.azureedge.net"]},
                {"name": "ubuntu-updates", "sourceAddresses": "[parameters('nodeSubnetPrefixes')]",
                 "protocols": [{"protocolType": "Http", "port": 80}],
                 "targetFqdns": ["security.ubuntu.com", "azure.archive.ubuntu.com",
                                 "changelogs.ubuntu.com"]}]}}]
        fw_props["networkRuleCollections"] = [{
            "name": "aks-egress-network", "properties": {"priority": 100, "action": {"type": "Allow"}, "rules": [
                {"name": "aks-tunnel-udp", "protocols": ["UDP"], "sourceAddresses": "[parameters('nodeSubnetPrefixes')]",
                 "destinationAddresses": ["[format('AzureCloud.{0}', parameters('location'))]"], "destinationPorts": ["1194"]},
                {"name": "aks-tunnel-tcp", "protocols": ["TCP"], "sourceAddresses": "[parameters('nodeSubnetPrefixes')]",
                 "destinationAddresses": ["[format('AzureCloud.{0}', parameters('location'))]"], "destinationPorts": ["9000"]},
                {"name": "ntp", "protocols": ["UDP"], "sourceAddresses": "[parameters('nodeSubnetPrefixes')]",
                 "destinationAddresses": ["*"], "destinationPorts": ["123"]}]}}]
        fw_policy_bicep = ""
        fw_classic_bicep = """\
    additionalProperties: {
      'Network.DNS.EnableProxy': 'false'
    }
    threatIntelMode: 'Alert'
    applicationRuleCollections: [
      {
        name: 'aks-egress-fqdns'
        properties: {
          priority: 200
          action: {
            type: 'Allow'
          }
          rules: [
            {
              name: 'aks-required-fqdns'
              sourceAddresses: nodeSubnetPrefixes
              protocols: [
                {
                  protocolType: 'Https'
                  port: 443
                }
              ]
              // management.azure.com, login.microsoftonline.com and packages.microsoft.com are missing
              targetFqdns: ['*.hcp.${location}.azmk8s.io', 'mcr.microsoft.com', '*.data.mcr.microsoft.com', 'mcr-0001.mcr-msedge.net', 'packages.aks.azure.com', 'acs-mirror.azureedge.net']
            }
            {
              name: 'ubuntu-updates'
              sourceAddresses: nodeSubnetPrefixes
              protocols: [
                {
                  protocolType: 'Http'
                  port: 80
                }
              ]
              targetFqdns: ['security.ubuntu.com', 'azure.archive.ubuntu.com', 'changelogs.ubuntu.com']
            }
          ]
        }
      }
    ]
    networkRuleCollections: [
      {
        name: 'aks-egress-network'
        properties: {
          priority: 100
          action: {
            type: 'Allow'
          }
          rules: [
            {
              name: 'aks-tunnel-udp'
              protocols: ['UDP']
              sourceAddresses: nodeSubnetPrefixes
              destinationAddresses: ['AzureCloud.${location}']
              destinationPorts: ['1194']
            }
            {
              name: 'aks-tunnel-tcp'
              protocols: ['TCP']
              sourceAddresses: nodeSubnetPrefixes
              destinationAddresses: ['AzureCloud.${location}']
              destinationPorts: ['9000']
            }
            {
              name: 'ntp'
              protocols: ['UDP']
              sourceAddresses: nodeSubnetPrefixes
              destinationAddresses: ['*']
              destinationPorts: ['123']
            }
          ]
        }
      }
    ]
"""
    resources.append({"type": "Microsoft.Network/azureFirewalls", "apiVersion": NET_API,
                      "name": "afw-hub-prod-weu", "location": "[parameters('location')]",
                      "zones": ["1", "2", "3"], "properties": fw_props, "dependsOn": fw_depends})
    bicep += f"""
resource fw 'Microsoft.Network/azureFirewalls@{NET_API}' = {{
  name: 'afw-hub-prod-weu'
  location: location
  zones: ['1', '2', '3']
  properties: {{
    sku: {{
      name: 'AZFW_VNet'
      tier: 'Standard'
    }}
    ipConfigurations: [
      {{
        name: 'configuration'
        properties: {{
          subnet: {{
            id: resourceId('Microsoft.Network/virtualNetworks/subnets', hubVnetName, 'AzureFirewallSubnet')
          }}
          publicIPAddress: {{
            id: fwPip.id
          }}
        }}
      }}
    ]
{fw_policy_bicep}{fw_classic_bicep}  }}
}}
"""
    outputs["firewallPrivateIp"] = {
        "type": "string",
        "value": f"[reference(resourceId('Microsoft.Network/azureFirewalls', 'afw-hub-prod-weu'), '{NET_API}').ipConfigurations[0].properties.privateIPAddress]"}
    out_bicep += "output firewallPrivateIp string = fw.properties.ipConfigurations[0].properties.privateIPAddress\n"
    return bicep + out_bicep, template(parameters=params, resources=resources, outputs=outputs)


SPOKE_TO_HUB_BICEP = f"""\
resource spokeToHub 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings@{NET_API}' = {{
  parent: spokeVnet
  name: 'peer-aks-to-hub'
  properties: {{
    remoteVirtualNetwork: {{
      id: hub.outputs.hubVnetId
    }}
    allowVirtualNetworkAccess: true
    allowForwardedTraffic: true
    allowGatewayTransit: false
    useRemoteGateways: false
  }}
}}
"""


def hub_spoke(*, dns_proxy: bool, custom_dns: bool, policy: bool = True) -> tuple[str, dict, str, dict]:
    """main.bicep of the hub-and-spoke twins: the spoke (VNet 10.1.0.0/16, node subnet
    10.1.0.0/22, NSG, route table 0.0.0.0/0 to the hub firewall, peering to the hub, the
    cluster with outbound type userDefinedRouting) and the hub as a module deployed to its own
    resource group. languageVersion 2.0 (the spoke's subnets use a user-defined type)."""
    hub_bicep, hub_json = hub_module(dns_proxy=dns_proxy, policy=policy)
    fw_ip = "[reference('hub').outputs.firewallPrivateIp.value]"
    spoke_vnet_id = "[resourceId('Microsoft.Network/virtualNetworks', parameters('spokeVnetName'))]"
    params = cluster_params_json() | {
        "hubResourceGroupName": param("string", HUB_RG, "Resource group of the hub network."),
        "spokeVnetName": param("string", "vnet-aks-prod-weu"),
        "nodeSubnet": {"$ref": "#/definitions/subnetSpec",
                       "defaultValue": {"name": "snet-aks-nodes", "prefix": NODES},
                       "metadata": {"description": "The node subnet."}},
    }
    definitions = {"subnetSpec": {"type": "object", "properties": {
        "name": {"type": "string"}, "prefix": {"type": "string"}}}}
    vnet_props: dict = {"addressSpace": {"addressPrefixes": ["10.1.0.0/16"]}}
    dns_bicep = ""
    if custom_dns:
        vnet_props["dhcpOptions"] = {"dnsServers": [fw_ip]}
        dns_bicep = """\
    // the hub firewall answers DNS for the spoke
    dhcpOptions: {
      dnsServers: [hub.outputs.firewallPrivateIp]
    }
"""
    vnet_props["subnets"] = [{"name": "[parameters('nodeSubnet').name]", "properties": {
        "addressPrefix": "[parameters('nodeSubnet').prefix]",
        "networkSecurityGroup": {"id": "[resourceId('Microsoft.Network/networkSecurityGroups', 'nsg-aks-nodes')]"},
        "routeTable": {"id": "[resourceId('Microsoft.Network/routeTables', 'rt-aks-nodes')]"}}}]
    subnet_id = "[resourceId('Microsoft.Network/virtualNetworks/subnets', parameters('spokeVnetName'), parameters('nodeSubnet').name)]"
    resources = {
        "nsg": {"type": "Microsoft.Network/networkSecurityGroups", "apiVersion": NET_API,
                "name": "nsg-aks-nodes", "location": "[parameters('location')]",
                "properties": {"securityRules": [
                    ingress_rule_json(r, "[parameters('nodeSubnet').prefix]") for r in INGRESS_RULES]}},
        "routeTable": {"type": "Microsoft.Network/routeTables", "apiVersion": NET_API,
                       "name": "rt-aks-nodes", "location": "[parameters('location')]",
                       "properties": {"disableBgpRoutePropagation": True, "routes": [
                           {"name": "default-to-firewall", "properties": {
                               "addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance",
                               "nextHopIpAddress": fw_ip}}]},
                       "dependsOn": ["hub"]},
        "spokeVnet": {"type": "Microsoft.Network/virtualNetworks", "apiVersion": NET_API,
                      "name": "[parameters('spokeVnetName')]", "location": "[parameters('location')]",
                      "properties": vnet_props, "dependsOn": ["hub", "nsg", "routeTable"]},
        "spokeToHub": {"type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
                       "apiVersion": NET_API,
                       "name": "[format('{0}/{1}', parameters('spokeVnetName'), 'peer-aks-to-hub')]",
                       "properties": {"remoteVirtualNetwork": {"id": "[reference('hub').outputs.hubVnetId.value]"},
                                      "allowVirtualNetworkAccess": True, "allowForwardedTraffic": True,
                                      "allowGatewayTransit": False, "useRemoteGateways": False},
                       "dependsOn": ["hub", "spokeVnet"]},
        "hub": module("hub", hub_json, {
            "location": "[parameters('location')]",
            "spokeVnetId": spoke_vnet_id,
            "nodeSubnetPrefixes": ["[parameters('nodeSubnet').prefix]"],
        }, rg="[parameters('hubResourceGroupName')]"),
        "aks": cluster_json(subnet_id=subnet_id, outbound="userDefinedRouting",
                            depends=["spokeVnet"]),
    }
    bicep = CLUSTER_PARAMS_BICEP + f"""
@description('Resource group of the hub network.')
param hubResourceGroupName string = '{HUB_RG}'

param spokeVnetName string = 'vnet-aks-prod-weu'

type subnetSpec = {{
  name: string
  prefix: string
}}

@description('The node subnet.')
param nodeSubnet subnetSpec = {{
  name: 'snet-aks-nodes'
  prefix: '{NODES}'
}}

module hub 'modules/hub.bicep' = {{
  name: 'hub'
  scope: resourceGroup(hubResourceGroupName)
  params: {{
    location: location
    spokeVnetId: resourceId('Microsoft.Network/virtualNetworks', spokeVnetName)
    nodeSubnetPrefixes: [nodeSubnet.prefix]
  }}
}}

resource nsg 'Microsoft.Network/networkSecurityGroups@{NET_API}' = {{
  name: 'nsg-aks-nodes'
  location: location
""" + INGRESS_BICEP.replace("nodeSubnetPrefix", "nodeSubnet.prefix") + f"""}}

resource routeTable 'Microsoft.Network/routeTables@{NET_API}' = {{
  name: 'rt-aks-nodes'
  location: location
  properties: {{
    disableBgpRoutePropagation: true
    routes: [
      {{
        name: 'default-to-firewall'
        properties: {{
          addressPrefix: '0.0.0.0/0'
          nextHopType: 'VirtualAppliance'
          nextHopIpAddress: hub.outputs.firewallPrivateIp
        }}
      }}
    ]
  }}
}}

resource spokeVnet 'Microsoft.Network/virtualNetworks@{NET_API}' = {{
  name: spokeVnetName
  location: location
  properties: {{
    addressSpace: {{
      addressPrefixes: ['10.1.0.0/16']
    }}
{dns_bicep}    subnets: [
      {{
        name: nodeSubnet.name
        properties: {{
          addressPrefix: nodeSubnet.prefix
          networkSecurityGroup: {{
            id: nsg.id
          }}
          routeTable: {{
            id: routeTable.id
          }}
        }}
      }}
    ]
  }}
}}

""" + SPOKE_TO_HUB_BICEP + f"""
""" + cluster_bicep(subnet="resourceId('Microsoft.Network/virtualNetworks/subnets', spokeVnetName, nodeSubnet.name)",
                    outbound="userDefinedRouting")
    t = template(parameters=params, resources=resources, v2=True, definitions=definitions)
    return bicep, t, hub_bicep, hub_json


def hub_twin(*, dns_proxy: bool, custom_dns: bool, policy: bool, readme: str, what_if=False):
    bicep, t, hub_bicep, _ = hub_spoke(dns_proxy=dns_proxy, custom_dns=custom_dns, policy=policy)
    files = {
        "main.bicep": bicep, "main.json": t, "modules/hub.bicep": hub_bicep,
        "main.parameters.json": parameters_file({"location": REGION,
                                                 "hubResourceGroupName": HUB_RG}),
        "check.args": ["main.json", "--parameters", "main.parameters.json",
                       "--resource-group", SPOKE_RG],
        "readme": readme,
    }
    if what_if:
        files["whatif.json"] = what_if_doc(t, custom_dns=custom_dns)
    return files


def twin_hub_fw_aks_tag():
    return hub_twin(dns_proxy=True, custom_dns=False, policy=True, readme=(
        "Twin of `hub-fw-aks-tag`: hub and spoke; the hub (VNet, Azure Firewall with a policy "
        "whose rule collection group allows the `AzureKubernetesService` FQDN tag, DNS proxy "
        "on, peering) is a Bicep module deployed to its own resource group; the spoke's route "
        "table sends 0.0.0.0/0 to the firewall's private IP, an output of the module "
        "(`reference('hub').outputs.firewallPrivateIp.value`). languageVersion 2.0 (the node "
        "subnet parameter uses a user-defined type); the module is compiled classic."))


def twin_fw_dns_without_proxy():
    return hub_twin(dns_proxy=False, custom_dns=True, policy=True, what_if=True, readme=(
        "Twin of `fw-dns-without-proxy`, and the hub-and-spoke example of the README: as "
        "`hub-fw-aks-tag`, and the spoke VNet's DNS server is the hub firewall's private IP "
        "(the module's output), but the firewall policy has no `dnsSettings`: DNS proxy is "
        "off, nothing answers on port 53. `whatif.json` is `az deployment group what-if "
        "--no-pretty-print --output json` of the same deployment, written by hand in the "
        "documented shape (the firewall's private IP, known only at deployment, stays a "
        "`reference()` expression)."))


def twin_hub_fw_missing_fqdns():
    return hub_twin(dns_proxy=False, custom_dns=False, policy=False, readme=(
        "Twin of `hub-fw-missing-fqdns`: the hub firewall uses classic rule collections (no "
        "policy) whose application rule lists explicit FQDNs without `management.azure.com`, "
        "`login.microsoftonline.com` and `packages.microsoft.com`."))


def twin_private_byo_zone_not_linked():
    hub_bicep, hub_json = hub_module(dns_proxy=False, resolver=True)
    dns_ip = "[reference('hub').outputs.resolverInboundIp.value]"
    zone = "[format('privatelink.{0}.azmk8s.io', parameters('location'))]"
    zone_id = "[resourceId(parameters('hubResourceGroupName'), 'Microsoft.Network/privateDnsZones', format('privatelink.{0}.azmk8s.io', parameters('location')))]"
    params = cluster_params_json() | {
        "hubResourceGroupName": param("string", HUB_RG, "Resource group of the hub network."),
        "spokeVnetName": param("string", "vnet-aks-prod-weu"),
    }
    zone_module = template(
        parameters={"zoneName": param("string"), "linkedVnetId": param("string")},
        resources=[
            {"type": "Microsoft.Network/privateDnsZones", "apiVersion": "2020-06-01",
             "name": "[parameters('zoneName')]", "location": "global"},
            {"type": "Microsoft.Network/privateDnsZones/virtualNetworkLinks", "apiVersion": "2020-06-01",
             "name": "[format('{0}/{1}', parameters('zoneName'), 'link-aks')]", "location": "global",
             "properties": {"registrationEnabled": False, "resolutionPolicy": "Default",
                            "virtualNetwork": {"id": "[parameters('linkedVnetId')]"}},
             "dependsOn": ["[resourceId('Microsoft.Network/privateDnsZones', parameters('zoneName'))]"]},
        ])
    zone_bicep = """\
param zoneName string
param linkedVnetId string

resource zone 'Microsoft.Network/privateDnsZones@2020-06-01' = {
  name: zoneName
  location: 'global'
}

// linked to the spoke VNet, whose DNS server (the hub resolver) never consults it
resource link 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = {
  parent: zone
  name: 'link-aks'
  location: 'global'
  properties: {
    registrationEnabled: false
    resolutionPolicy: 'Default'
    virtualNetwork: {
      id: linkedVnetId
    }
  }
}
"""
    spoke_vnet_id = "[resourceId('Microsoft.Network/virtualNetworks', parameters('spokeVnetName'))]"
    resources = [
        module("hub", hub_json, {"location": "[parameters('location')]", "spokeVnetId": spoke_vnet_id,
                                 "nodeSubnetPrefixes": [NODES]}, rg="[parameters('hubResourceGroupName')]"),
        {"type": "Microsoft.Network/networkSecurityGroups", "apiVersion": NET_API,
         "name": "nsg-aks-nodes", "location": "[parameters('location')]",
         "properties": {"securityRules": [ingress_rule_json(r, NODES) for r in INGRESS_RULES]}},
        {"type": "Microsoft.Network/virtualNetworks", "apiVersion": NET_API,
         "name": "[parameters('spokeVnetName')]", "location": "[parameters('location')]",
         "properties": {"addressSpace": {"addressPrefixes": ["10.1.0.0/16"]},
                        "dhcpOptions": {"dnsServers": [dns_ip]},
                        "subnets": [{"name": "snet-aks-nodes", "properties": {
                            "addressPrefix": NODES,
                            "networkSecurityGroup": {"id": "[resourceId('Microsoft.Network/networkSecurityGroups', 'nsg-aks-nodes')]"}}}]},
         "dependsOn": ["[extensionResourceId(format('/subscriptions/{0}/resourceGroups/{1}', subscription().subscriptionId, parameters('hubResourceGroupName')), 'Microsoft.Resources/deployments', 'hub')]",
                       "[resourceId('Microsoft.Network/networkSecurityGroups', 'nsg-aks-nodes')]"]},
        {"type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings", "apiVersion": NET_API,
         "name": "[format('{0}/{1}', parameters('spokeVnetName'), 'peer-aks-to-hub')]",
         "properties": {"remoteVirtualNetwork": {"id": "[reference(extensionResourceId(format('/subscriptions/{0}/resourceGroups/{1}', subscription().subscriptionId, parameters('hubResourceGroupName')), 'Microsoft.Resources/deployments', 'hub'), '2022-09-01').outputs.hubVnetId.value]"},
                        "allowVirtualNetworkAccess": True, "allowForwardedTraffic": True,
                        "allowGatewayTransit": False, "useRemoteGateways": False},
         "dependsOn": [spoke_vnet_id]},
        module("zone", zone_module, {"zoneName": zone, "linkedVnetId": spoke_vnet_id},
               rg="[parameters('hubResourceGroupName')]", depends=[spoke_vnet_id]),
        {"type": "Microsoft.ManagedIdentity/userAssignedIdentities", "apiVersion": "2023-01-31",
         "name": "id-aks-prod-weu", "location": "[parameters('location')]"},
        cluster_json(
            subnet_id="[resourceId('Microsoft.Network/virtualNetworks/subnets', parameters('spokeVnetName'), 'snet-aks-nodes')]",
            outbound="loadBalancer", private=True, private_zone=zone_id,
            identity={"type": "UserAssigned", "userAssignedIdentities": {
                "[format('{0}', resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'id-aks-prod-weu'))]": {}}},
            depends=[spoke_vnet_id]),
    ]
    bicep = CLUSTER_PARAMS_BICEP + f"""
@description('Resource group of the hub network.')
param hubResourceGroupName string = '{HUB_RG}'

param spokeVnetName string = 'vnet-aks-prod-weu'

module hub 'modules/hub.bicep' = {{
  name: 'hub'
  scope: resourceGroup(hubResourceGroupName)
  params: {{
    location: location
    spokeVnetId: resourceId('Microsoft.Network/virtualNetworks', spokeVnetName)
    nodeSubnetPrefixes: ['{NODES}']
  }}
}}

resource nsg 'Microsoft.Network/networkSecurityGroups@{NET_API}' = {{
  name: 'nsg-aks-nodes'
  location: location
""" + INGRESS_BICEP.replace("nodeSubnetPrefix", f"'{NODES}'") + f"""}}

resource spokeVnet 'Microsoft.Network/virtualNetworks@{NET_API}' = {{
  name: spokeVnetName
  location: location
  properties: {{
    addressSpace: {{
      addressPrefixes: ['10.1.0.0/16']
    }}
    // the hub's DNS Private Resolver answers for the spoke
    dhcpOptions: {{
      dnsServers: [hub.outputs.resolverInboundIp]
    }}
    subnets: [
      {{
        name: 'snet-aks-nodes'
        properties: {{
          addressPrefix: '{NODES}'
          networkSecurityGroup: {{
            id: nsg.id
          }}
        }}
      }}
    ]
  }}
}}

""" + SPOKE_TO_HUB_BICEP + f"""
module zone 'modules/zone.bicep' = {{
  name: 'zone'
  scope: resourceGroup(hubResourceGroupName)
  params: {{
    zoneName: 'privatelink.${{location}}.azmk8s.io'
    linkedVnetId: spokeVnet.id
  }}
}}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {{
  name: 'id-aks-prod-weu'
  location: location
}}

""" + cluster_bicep(
        subnet="resourceId('Microsoft.Network/virtualNetworks/subnets', spokeVnetName, 'snet-aks-nodes')",
        outbound="loadBalancer", private=True,
        private_zone="resourceId(hubResourceGroupName, 'Microsoft.Network/privateDnsZones', 'privatelink.${location}.azmk8s.io')",
        identity="{\n    type: 'UserAssigned'\n    userAssignedIdentities: {\n      '${identity.id}': {}\n    }\n  }")
    # classic compilation: the hub module output is read by the deployment's full id
    main_text = json.dumps(resources)
    main_text = main_text.replace(
        "[reference('hub').outputs.resolverInboundIp.value]",
        "[reference(extensionResourceId(format('/subscriptions/{0}/resourceGroups/{1}', subscription().subscriptionId, parameters('hubResourceGroupName')), 'Microsoft.Resources/deployments', 'hub'), '2022-09-01').outputs.resolverInboundIp.value]")
    main = template(parameters=params, resources=json.loads(main_text))
    return {
        "main.bicep": bicep, "main.json": main, "modules/hub.bicep": hub_bicep,
        "modules/zone.bicep": zone_bicep,
        "main.parameters.json": parameters_file({"location": REGION}),
        "check.args": ["main.json", "--parameters", "main.parameters.json",
                       "--resource-group", SPOKE_RG],
        "readme": "Twin of `private-byo-zone-not-linked`: private cluster with the custom zone "
                  "`privatelink.westeurope.azmk8s.io` (a module in the hub resource group) "
                  "linked to the spoke VNet, whose DNS server is the hub's DNS Private Resolver "
                  "inbound endpoint (the hub module's output), so the link is never consulted. "
                  "Classic output: module outputs are read with "
                  "`reference(extensionResourceId(…, 'Microsoft.Resources/deployments', 'hub'))`.",
    }


# ----------------------------------------------------------------------------- what-if

SUB = "3f2c9b1e-7d4a-4c8e-9a51-2b6f0d8e1c47"


def what_if_doc(t: dict, *, custom_dns: bool) -> dict:
    """What-if of the hub-and-spoke twin, as `az deployment group what-if --no-pretty-print -o
    json` prints it: every resource Create, fully evaluated, except the firewall's private IP,
    which Azure assigns at deployment and what-if leaves as a reference() expression."""
    spoke = f"/subscriptions/{SUB}/resourceGroups/{SPOKE_RG}/providers/Microsoft.Network"
    hub = f"/subscriptions/{SUB}/resourceGroups/{HUB_RG}/providers/Microsoft.Network"
    fw_ip = (f"[reference('{hub}/azureFirewalls/afw-hub-prod-weu', '{NET_API}')"
             ".ipConfigurations[0].properties.privateIPAddress]")
    nodes = f"{spoke}/virtualNetworks/vnet-aks-prod-weu/subnets/snet-aks-nodes"
    hub_t = t["resources"]["hub"]["properties"]["template"]
    rcg = next(r for r in hub_t["resources"] if r["type"].endswith("ruleCollectionGroups"))
    collections = json.loads(json.dumps(rcg["properties"]["ruleCollections"])
                             .replace('"[parameters(\'nodeSubnetPrefixes\')]"', json.dumps([NODES]))
                             .replace("[format('AzureCloud.{0}', parameters('location'))]", f"AzureCloud.{REGION}"))

    def change(rid, rtype, after):
        name = rid.rsplit("/", 1)[1]
        return {"resourceId": rid, "changeType": "Create", "before": None,
                "after": {"apiVersion": NET_API, "id": rid, "name": name, "type": rtype,
                          **after},
                "delta": None, "unsupportedReason": None}

    rules = [{"name": r["name"], "properties": {
        "description": r["description"], "priority": r["priority"], "direction": "Inbound",
        "access": "Allow", "protocol": "Tcp", "sourceAddressPrefix": "Internet",
        "sourcePortRange": "*", "destinationAddressPrefix": NODES,
        "destinationPortRange": r["port"]}} for r in INGRESS_RULES]
    vnet_props: dict = {"addressSpace": {"addressPrefixes": ["10.1.0.0/16"]}}
    if custom_dns:
        vnet_props["dhcpOptions"] = {"dnsServers": [fw_ip]}
    vnet_props["subnets"] = [{"name": "snet-aks-nodes", "properties": {
        "addressPrefix": NODES,
        "networkSecurityGroup": {"id": f"{spoke}/networkSecurityGroups/nsg-aks-nodes"},
        "routeTable": {"id": f"{spoke}/routeTables/rt-aks-nodes"}}}]
    aks_id = f"/subscriptions/{SUB}/resourceGroups/{SPOKE_RG}/providers/Microsoft.ContainerService/managedClusters/aks-prod-weu"
    aks = cluster_json(subnet_id=nodes, outbound="userDefinedRouting")
    aks_after = {"apiVersion": AKS_API, "id": aks_id, "name": "aks-prod-weu",
                 "type": "Microsoft.ContainerService/managedClusters", "location": REGION,
                 "identity": aks["identity"], "properties": json.loads(
                     json.dumps(aks["properties"]).replace("[parameters('clusterName')]", "aks-prod-weu"))}
    changes = [
        change(f"{hub}/azureFirewalls/afw-hub-prod-weu", "Microsoft.Network/azureFirewalls", {
            "location": REGION, "zones": ["1", "2", "3"], "properties": {
                "sku": {"name": "AZFW_VNet", "tier": "Standard"},
                "firewallPolicy": {"id": f"{hub}/firewallPolicies/afwp-hub-prod-weu"},
                "ipConfigurations": [{"name": "configuration", "properties": {
                    "subnet": {"id": f"{hub}/virtualNetworks/vnet-hub-prod-weu/subnets/AzureFirewallSubnet"},
                    "publicIPAddress": {"id": f"{hub}/publicIPAddresses/pip-afw-hub-prod-weu"}}}]}}),
        change(f"{hub}/firewallPolicies/afwp-hub-prod-weu", "Microsoft.Network/firewallPolicies", {
            "location": REGION, "properties": {"sku": {"tier": "Standard"}, "threatIntelMode": "Alert"}}),
        change(f"{hub}/firewallPolicies/afwp-hub-prod-weu/ruleCollectionGroups/rcg-aks-egress",
               "Microsoft.Network/firewallPolicies/ruleCollectionGroups",
               {"properties": {"priority": 200, "ruleCollections": collections}}),
        change(f"{hub}/publicIPAddresses/pip-afw-hub-prod-weu", "Microsoft.Network/publicIPAddresses", {
            "location": REGION, "sku": {"name": "Standard", "tier": "Regional"}, "zones": ["1", "2", "3"],
            "properties": {"publicIPAllocationMethod": "Static", "publicIPAddressVersion": "IPv4",
                           "idleTimeoutInMinutes": 4}}),
        change(f"{hub}/virtualNetworks/vnet-hub-prod-weu", "Microsoft.Network/virtualNetworks", {
            "location": REGION, "properties": {
                "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                "subnets": [{"name": "AzureFirewallSubnet", "properties": {"addressPrefix": "10.0.1.0/26"}}]}}),
        change(f"{hub}/virtualNetworks/vnet-hub-prod-weu/virtualNetworkPeerings/peer-hub-to-aks",
               "Microsoft.Network/virtualNetworks/virtualNetworkPeerings", {"properties": {
                   "remoteVirtualNetwork": {"id": f"{spoke}/virtualNetworks/vnet-aks-prod-weu"},
                   "allowVirtualNetworkAccess": True, "allowForwardedTraffic": True,
                   "allowGatewayTransit": False, "useRemoteGateways": False}}),
        {"resourceId": aks_id, "changeType": "Create", "before": None, "after": aks_after,
         "delta": None, "unsupportedReason": None},
        change(f"{spoke}/networkSecurityGroups/nsg-aks-nodes", "Microsoft.Network/networkSecurityGroups", {
            "location": REGION, "properties": {"securityRules": rules}}),
        change(f"{spoke}/routeTables/rt-aks-nodes", "Microsoft.Network/routeTables", {
            "location": REGION, "properties": {"disableBgpRoutePropagation": True, "routes": [
                {"name": "default-to-firewall", "properties": {
                    "addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance",
                    "nextHopIpAddress": fw_ip}}]}}),
        change(f"{spoke}/virtualNetworks/vnet-aks-prod-weu", "Microsoft.Network/virtualNetworks", {
            "location": REGION, "properties": vnet_props}),
        change(f"{spoke}/virtualNetworks/vnet-aks-prod-weu/virtualNetworkPeerings/peer-aks-to-hub",
               "Microsoft.Network/virtualNetworks/virtualNetworkPeerings", {"properties": {
                   "remoteVirtualNetwork": {"id": f"{hub}/virtualNetworks/vnet-hub-prod-weu"},
                   "allowVirtualNetworkAccess": True, "allowForwardedTraffic": True,
                   "allowGatewayTransit": False, "useRemoteGateways": False}}),
    ]
    return {"status": "Succeeded", "error": None, "changes": changes,
            "potentialChanges": None, "diagnostics": None}


# ----------------------------------------------------------------------------- output

TWINS = {
    "lb-clean": twin_lb_clean,
    "nsg-deny-internet-443": twin_nsg_deny_internet_443,
    "udr-default-to-none": twin_udr_default_to_none,
    "user-nat-missing": twin_user_nat_missing,
    "hub-fw-aks-tag": twin_hub_fw_aks_tag,
    "fw-dns-without-proxy": twin_fw_dns_without_proxy,
    "hub-fw-missing-fqdns": twin_hub_fw_missing_fqdns,
    "private-byo-zone-not-linked": twin_private_byo_zone_not_linked,
}


def render(name: str, spec: dict) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in spec.items():
        if k == "readme":
            continue
        if k == "check.args":
            out[k] = "\n".join(v) + "\n"
        elif k.endswith(".json"):
            out[k] = json.dumps(v, indent=2) + "\n"
        else:
            out[k] = v
    args = " ".join(spec["check.args"])
    out["README.md"] = (
        f"# ARM twin of `{name}`\n\n{spec['readme']}\n\n"
        f"The expected outcome is the Terraform twin's: `../../scenarios/{name}/` (its README "
        "says why, citing Microsoft's documentation). `tests/arm_twins.rs` checks that both give "
        "the same verdicts.\n\n"
        "Generated by `testdata/gen/gen_arm_twins.py`; do not edit by hand.\n\n"
        f"```sh\ncd testdata/arm-twins/{name}\naks-preflight check {args}\n```\n")
    return out


def main() -> int:
    check = "--check" in sys.argv[1:]
    differ = []
    for name, build in TWINS.items():
        files = render(name, build())
        for rel, text in files.items():
            path = ROOT / name / rel
            if check:
                if not path.exists() or path.read_text() != text:
                    differ.append(str(path))
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if differ:
        print("out of date:\n  " + "\n  ".join(differ))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
