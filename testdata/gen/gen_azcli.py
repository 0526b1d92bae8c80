#!/usr/bin/env python3
"""Generate the `az` command-line scenarios in testdata/azcli/.

Usage (from the repository root):

    python3 testdata/gen/gen_azcli.py           # (re)write every scenario
    python3 testdata/gen/gen_azcli.py --check   # exit 1 if a committed file differs

Each scenario folder holds `command.txt` (the `aks-preflight az ...` words, one argument per
line, `\\` continuations), the existing resources it names with `--snapshot` (`hub.json`,
`spoke.json` as ARM REST list pages; `cluster.json` as `az aks show -o json` prints it),
`README.md` (the design and the documentation the verdict follows) and `expected.toml` (same
format as testdata/scenarios/README.md, plus `locations`: files and lines the findings must
point at).

Deterministic; Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.dont_write_bytecode = True
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from azurerm import SUBSCRIPTION, net_id, subnet_id  # noqa: E402
from common import CORE_HTTPS, PUBLIC_API, REGION  # noqa: E402
from scenarios_existing_hub import (FW_IP, HUB_VNET_ID, app_rule, aks_tag_collection,  # noqa: E402
                                    filter_collection, hub_rest, net_rule, network_collection)
from scenarios_firewall_dns_private import HUB_RG, HUB_VNET, NODES, SPOKE_RG, SPOKE_VNET  # noqa: E402,F401

OUT = HERE.parent / "azcli"
CLUSTER = "aks-prod-weu"
SPOKE_VNET_ID = net_id(SPOKE_RG, "virtualNetworks", SPOKE_VNET)
NODE_SUBNET = "snet-aks-nodes"
NODE_SUBNET_ID = subnet_id(SPOKE_RG, SPOKE_VNET, NODE_SUBNET)
NSG_ID = net_id(SPOKE_RG, "networkSecurityGroups", "nsg-aks-nodes")
RT_ID = net_id(SPOKE_RG, "routeTables", "rt-aks-nodes")

DOCS_EGRESS = "https://learn.microsoft.com/azure/aks/limit-egress-traffic"
DOCS_RULES = "https://learn.microsoft.com/azure/aks/outbound-rules-control-egress"
DOCS_NSG = "https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview"
DOCS_POOL = "https://learn.microsoft.com/azure/aks/node-pool-unique-subnet"


def ref(id_: str) -> dict:
    return {"id": id_}


# ----------------------------------------------------------------------------- existing spoke

def spoke_vnet(subnets: list[dict]) -> dict:
    return {
        "id": SPOKE_VNET_ID, "name": SPOKE_VNET, "type": "Microsoft.Network/virtualNetworks",
        "location": REGION,
        "properties": {
            "provisioningState": "Succeeded",
            "addressSpace": {"addressPrefixes": ["10.1.0.0/16"]},
            "dhcpOptions": {"dnsServers": []},
            "subnets": subnets,
            "virtualNetworkPeerings": [{
                "id": SPOKE_VNET_ID + "/virtualNetworkPeerings/peer-spoke-to-hub",
                "name": "peer-spoke-to-hub",
                "type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
                "properties": {
                    "provisioningState": "Succeeded", "peeringState": "Connected",
                    "remoteVirtualNetwork": ref(HUB_VNET_ID),
                    "allowVirtualNetworkAccess": True, "allowForwardedTraffic": True,
                    "allowGatewayTransit": False, "useRemoteGateways": False,
                    "remoteAddressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                },
            }],
        },
    }


def subnet(name: str, prefix: str, *, nsg: str | None = None, rt: str | None = None) -> dict:
    props: dict = {"provisioningState": "Succeeded", "addressPrefix": prefix,
                   "delegations": [], "privateEndpointNetworkPolicies": "Disabled",
                   "privateLinkServiceNetworkPolicies": "Enabled"}
    if nsg:
        props["networkSecurityGroup"] = ref(nsg)
    if rt:
        props["routeTable"] = ref(rt)
    return {"id": subnet_id(SPOKE_RG, SPOKE_VNET, name), "name": name,
            "type": "Microsoft.Network/virtualNetworks/subnets", "properties": props}


def nsg(id_: str, rules: list[dict]) -> dict:
    return {"id": id_, "name": id_.rsplit("/", 1)[1],
            "type": "Microsoft.Network/networkSecurityGroups", "location": REGION,
            "properties": {"provisioningState": "Succeeded", "securityRules": rules}}


def nsg_rule(nsg_id: str, name: str, priority: int, direction: str, access: str, protocol: str,
             dst: str, port: str) -> dict:
    return {"id": f"{nsg_id}/securityRules/{name}", "name": name,
            "type": "Microsoft.Network/networkSecurityGroups/securityRules",
            "properties": {"provisioningState": "Succeeded", "priority": priority,
                           "direction": direction, "access": access, "protocol": protocol,
                           "sourceAddressPrefix": "*", "sourcePortRange": "*",
                           "destinationAddressPrefix": dst, "destinationPortRange": port}}


def route_table() -> dict:
    return {"id": RT_ID, "name": "rt-aks-nodes", "type": "Microsoft.Network/routeTables",
            "location": REGION,
            "properties": {"provisioningState": "Succeeded", "disableBgpRoutePropagation": True,
                           "routes": [{
                               "id": RT_ID + "/routes/default-to-firewall",
                               "name": "default-to-firewall",
                               "type": "Microsoft.Network/routeTables/routes",
                               "properties": {"provisioningState": "Succeeded",
                                              "addressPrefix": "0.0.0.0/0",
                                              "nextHopType": "VirtualAppliance",
                                              "nextHopIpAddress": FW_IP}}]}}


def udr_spoke() -> list[dict]:
    inbound = nsg_rule(NSG_ID, "allow-https-inbound", 100, "Inbound", "Allow", "Tcp",
                       "VirtualNetwork", "443")
    return [spoke_vnet([subnet(NODE_SUBNET, NODES[0], nsg=NSG_ID, rt=RT_ID)]),
            nsg(NSG_ID, [inbound]), route_table()]


def hub(app: list[dict], net: list[dict]) -> list[dict]:
    resources = hub_rest(dns_proxy=True, app=app, net=net)
    # the hub's side of the peering goes to this spoke
    peer = resources[0]["properties"]["virtualNetworkPeerings"][0]
    peer["id"] = HUB_VNET_ID + "/virtualNetworkPeerings/peer-hub-to-aks"
    peer["name"] = "peer-hub-to-aks"
    peer["properties"]["remoteVirtualNetwork"] = ref(SPOKE_VNET_ID)
    peer["properties"]["remoteAddressSpace"] = {"addressPrefixes": ["10.1.0.0/16"]}
    return resources


def rest_list(resources: list[dict]) -> str:
    return json.dumps({"value": resources}, indent=2) + "\n"


# ----------------------------------------------------------------------------- existing cluster

def az_aks_show(pools: list[dict]) -> dict:
    """`az aks show -o json` of a cluster on your own VNet, outbound type loadBalancer: the
    properties hoisted, az's spellings (`vnetSubnetId`, `enableRbac`), `resourceGroup`."""
    cid = (f"/subscriptions/{SUBSCRIPTION}/resourcegroups/{SPOKE_RG}/providers/"
           f"Microsoft.ContainerService/managedClusters/{CLUSTER}")
    return {
        "id": cid, "location": REGION, "name": CLUSTER, "resourceGroup": SPOKE_RG,
        "type": "Microsoft.ContainerService/ManagedClusters",
        "provisioningState": "Succeeded", "powerState": {"code": "Running"},
        "kubernetesVersion": "1.31.5", "currentKubernetesVersion": "1.31.5",
        "dnsPrefix": "aks-prod-weu-dns", "fqdn": "aks-prod-weu-dns-k3p7x2.hcp.westeurope.azmk8s.io",
        "azurePortalFqdn": "aks-prod-weu-dns-k3p7x2.portal.hcp.westeurope.azmk8s.io",
        "enableRbac": True, "nodeResourceGroup": f"MC_{SPOKE_RG}_{CLUSTER}_{REGION}",
        "agentPoolProfiles": pools,
        "apiServerAccessProfile": None,
        "addonProfiles": None,
        "httpProxyConfig": None,
        "networkProfile": {
            "networkPlugin": "azure", "networkPluginMode": "overlay", "networkPolicy": None,
            "podCidr": "10.244.0.0/16", "serviceCidr": "10.0.0.0/16",
            "dnsServiceIp": "10.0.0.10", "loadBalancerSku": "standard",
            "outboundType": "loadBalancer", "ipFamilies": ["IPv4"],
            "loadBalancerProfile": {"managedOutboundIPs": {"count": 1},
                                    "effectiveOutboundIPs": [ref(
                                        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/MC_{SPOKE_RG}_{CLUSTER}_{REGION}/providers/Microsoft.Network/publicIPAddresses/pip-outbound-1")]},
        },
    }


def pool(name: str, subnet_name: str, mode: str) -> dict:
    return {"name": name, "count": 3, "vmSize": "Standard_D4s_v5", "osType": "Linux",
            "osSku": "Ubuntu", "mode": mode, "type": "VirtualMachineScaleSets",
            "maxPods": 250, "orchestratorVersion": "1.31.5",
            "vnetSubnetId": subnet_id(SPOKE_RG, SPOKE_VNET, subnet_name),
            "podSubnetId": None, "enableNodePublicIp": False,
            "provisioningState": "Succeeded", "powerState": {"code": "Running"}}


# ----------------------------------------------------------------------------- scenarios

def command(words: list[str]) -> str:
    """`aks-preflight az …`, one argument (with its value) per line."""
    assert words[0] == "az"
    lines: list[str] = []
    for w in words:
        if w.startswith("-") or not lines or len(lines) < 3 and not lines[-1].startswith("-"):
            lines.append(w)
        else:
            lines[-1] += " " + w
    head = "aks-preflight " + " ".join(x for x in lines if not x.startswith("-"))
    rest = [x for x in lines if x.startswith("-")]
    return " \\\n  ".join([head] + rest) + "\n"


def cli_line(words: list[str], flag: str) -> int:
    """The line of `flag` in the command-line text aks-preflight shows: `az aks create` on line
    1, then one az argument per line (aks-preflight's own options are not part of it)."""
    args = [w for w in words if w.startswith("-") and w != "--snapshot"]
    return 2 + args.index(flag)


def endpoints(pool_name: str, verdicts: dict[str, str], default: str) -> list[dict]:
    hosts = CORE_HTTPS + [PUBLIC_API]
    return [{"pool": pool_name, "host": h, "port": 443, "protocol": "tcp",
             "verdict": verdicts.get(h, default)} for h in hosts]


ALLOWED_BY_RCG = ["mcr.microsoft.com", "*.data.mcr.microsoft.com", "mcr-0001.mcr-msedge.net",
                  "packages.aks.azure.com", PUBLIC_API]
MISSING = ["management.azure.com", "login.microsoftonline.com", "packages.microsoft.com"]


def udr_create_words(extra: list[str]) -> list[str]:
    return (["az", "aks", "create", "-g", SPOKE_RG, "-n", CLUSTER, "-l", REGION,
             "--vnet-subnet-id", NODE_SUBNET_ID, "--outbound-type", "userDefinedRouting"]
            + extra + ["--snapshot", "hub.json", "--snapshot", "spoke.json"])


def scenarios() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}

    # 1. az aks create, UDR through a hub firewall that lacks some of the AKS rules
    partial_app = [filter_collection("aks-fqdns", 200, "Allow", [
        app_rule("aks-required", NODES, fqdns=ALLOWED_BY_RCG, protocols=(("Https", 443),)),
    ])]
    net = [network_collection(api_https=False)]
    words = udr_create_words([])
    out["udr-hub-fw-missing-aks-rules"] = {
        "command.txt": command(words),
        "hub.json": rest_list(hub(partial_app, net)),
        "spoke.json": rest_list(udr_spoke()),
        "README.md": (
            "# udr-hub-fw-missing-aks-rules\n\n"
            f"`az aks create` of a cluster with outbound type `userDefinedRouting` into the existing "
            f"subnet `{NODE_SUBNET}` of spoke `{SPOKE_VNET}` (10.1.0.0/16, peered with the hub, "
            "forwarded traffic allowed both ways). The subnet's route table `rt-aks-nodes` sends "
            f"0.0.0.0/0 to the hub firewall's private IP {FW_IP}; its NSG has only an inbound rule. "
            "The hub firewall's policy (DNS proxy on) has one rule collection group: a network "
            "collection with the tunnel and NTP rules, and an application collection allowing "
            + ", ".join(f"`{h}`" for h in ALLOWED_BY_RCG) + " on HTTPS. "
            + ", ".join(f"`{h}`" for h in MISSING)
            + " are in no rule, so Azure Firewall's default deny drops them: the required FQDN "
            f"list of [{DOCS_RULES}]({DOCS_RULES}) (Azure Global required FQDN / application "
            f"rules) is not fully allowed, which [{DOCS_EGRESS}]({DOCS_EGRESS}) requires for "
            "userDefinedRouting. Verdict fail, exit 1: FWL001 for the missing endpoints, "
            "located at the rule collection group in `hub.json` and at `--outbound-type "
            "userDefinedRouting` on the command line; the allowed endpoints are reachable.\n"),
        "expected.toml": toml({
            "exit_code": 1, "verdict": "fail", "rules": ["FWL001"],
            "finding": [{"rule": "FWL001", "endpoint": h, "pool": "nodepool1"} for h in MISSING],
            "locations": [
                {"rule": "FWL001", "file": "command line",
                 "line": cli_line(words, "--outbound-type")},
                {"rule": "FWL001", "file": "hub.json"},
            ],
            "egress": endpoints("nodepool1", {h: "blocked" for h in MISSING}, "reachable"),
        }),
    }

    # 2. the same with the AKS FQDN tag and the API server rule: every endpoint reachable
    full_app = [aks_tag_collection()]
    out["udr-hub-fw-aks-tag"] = {
        "command.txt": command(udr_create_words(["--network-plugin", "azure"])),
        "hub.json": rest_list(hub(full_app, [network_collection(api_https=True)])),
        "spoke.json": rest_list(udr_spoke()),
        "README.md": (
            "# udr-hub-fw-aks-tag\n\n"
            "As `udr-hub-fw-missing-aks-rules`, but the hub firewall's policy allows the "
            "`AzureKubernetesService` FQDN tag on HTTP/HTTPS and the network rules of the AKS "
            f"egress tutorial ([{DOCS_EGRESS}]({DOCS_EGRESS}): UDP 1194 and TCP 9000 to "
            "`AzureCloud.westeurope`, UDP 123, TCP 443 to `AzureCloud.westeurope`). The FQDN tag "
            f"covers the required FQDNs of [{DOCS_RULES}]({DOCS_RULES}); every required endpoint "
            "is reachable through the firewall. Verdict pass, exit 0.\n"),
        "expected.toml": toml({
            "exit_code": 0, "verdict": "pass", "rules": [],
            "egress": endpoints("nodepool1", {}, "reachable"),
        }),
    }

    # 3. az aks nodepool add into a new subnet whose NSG denies outbound HTTPS to Internet
    np_nsg = net_id(SPOKE_RG, "networkSecurityGroups", "nsg-np2")
    deny = nsg_rule(np_nsg, "deny-internet-https", 100, "Outbound", "Deny", "Tcp", "Internet", "443")
    lb_spoke = [spoke_vnet([subnet("snet-system", "10.1.0.0/24"),
                            subnet("snet-np2", "10.1.1.0/24", nsg=np_nsg)]),
                nsg(np_nsg, [deny])]
    words = ["az", "aks", "nodepool", "add", "-g", SPOKE_RG, "--cluster-name", CLUSTER,
             "-n", "np2", "--vnet-subnet-id", subnet_id(SPOKE_RG, SPOKE_VNET, "snet-np2"),
             "--snapshot", "cluster.json", "--snapshot", "spoke.json"]
    out["nodepool-add-nsg-deny"] = {
        "command.txt": command(words),
        "cluster.json": json.dumps(az_aks_show([pool("system", "snet-system", "System")]),
                                   indent=2) + "\n",
        "spoke.json": rest_list(lb_spoke),
        "README.md": (
            "# nodepool-add-nsg-deny\n\n"
            f"`az aks nodepool add` of pool `np2` into subnet `snet-np2` of the cluster "
            f"`{CLUSTER}` (outbound type loadBalancer, Azure CNI Overlay), whose system pool runs "
            "in `snet-system` of the same VNet ([" + DOCS_POOL + "](" + DOCS_POOL + "): pools may "
            "have their own subnets in the cluster's VNet). The new subnet's NSG `nsg-np2` has an "
            "outbound rule `deny-internet-https` (priority 100: Deny TCP 443 to `Internet`), "
            "evaluated before the default `AllowInternetOutBound` rule "
            f"([{DOCS_NSG}]({DOCS_NSG})), so the new pool cannot reach MCR, Entra ID, ARM or the "
            "package hosts, nor the public API server: its nodes would fail provisioning. The "
            "system pool's subnet has no NSG: its paths stay reachable. Verdict fail, exit 1, "
            "NSG001 for pool np2, located at the deny rule in `spoke.json` and at "
            "`--vnet-subnet-id` on the command line.\n"),
        "expected.toml": toml({
            "exit_code": 1, "verdict": "fail", "rules": ["NSG001"],
            "finding": [{"rule": "NSG001", "pool": "np2"}],
            "locations": [
                {"rule": "NSG001", "file": "command line",
                 "line": cli_line(words, "--vnet-subnet-id")},
                {"rule": "NSG001", "file": "spoke.json"},
            ],
            "egress": endpoints("np2", {}, "blocked") + endpoints("system", {}, "reachable"),
        }),
    }

    # 4. check --cluster: the existing cluster with both pools, read from `az aks show`
    cluster_id = (f"/subscriptions/{SUBSCRIPTION}/resourcegroups/{SPOKE_RG}/providers/"
                  f"Microsoft.ContainerService/managedClusters/{CLUSTER}")
    out["check-cluster-pool-nsg-deny"] = {
        "command.txt": ("aks-preflight check \\\n"
                        f"  --cluster {cluster_id} \\\n"
                        "  cluster.json \\\n  spoke.json\n"),
        "cluster.json": json.dumps(az_aks_show([pool("system", "snet-system", "System"),
                                                pool("np2", "snet-np2", "User")]),
                                   indent=2) + "\n",
        "spoke.json": rest_list(lb_spoke),
        "README.md": (
            "# check-cluster-pool-nsg-deny\n\n"
            f"`check --cluster` of the running cluster `{CLUSTER}` as `az aks show -o json` prints "
            "it: the pool `np2` of `nodepool-add-nsg-deny` has been added, and its subnet's NSG "
            "denies outbound HTTPS to `Internet` before the default rules "
            f"([{DOCS_NSG}]({DOCS_NSG})). Its next scale-out, upgrade or node image update "
            "provisions nodes that cannot reach their endpoints. Verdict fail, exit 1, NSG001 for "
            "pool np2 located at the deny rule in `spoke.json`; the system pool stays reachable.\n"),
        "expected.toml": toml({
            "exit_code": 1, "verdict": "fail", "rules": ["NSG001"],
            "finding": [{"rule": "NSG001", "pool": "np2"}],
            "locations": [{"rule": "NSG001", "file": "spoke.json"}],
            "egress": endpoints("np2", {}, "blocked") + endpoints("system", {}, "reachable"),
        }),
    }
    return out


def toml(d: dict) -> str:
    def val(v) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        return json.dumps(v)

    lines = ["# Expected outcome; generated by testdata/gen/gen_azcli.py."]
    tables = {}
    for k, v in d.items():
        if isinstance(v, list) and v and isinstance(v[0], dict):
            tables[k] = v
        else:
            lines.append(f"{k} = {val(v)}")
    for k, rows in tables.items():
        for r in rows:
            lines.append("")
            lines.append(f"[[{k}]]")
            lines.extend(f"{rk} = {val(rv)}" for rk, rv in r.items())
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    differ = []
    for name, files in scenarios().items():
        for fname, text in files.items():
            p = OUT / name / fname
            if args.check:
                if not p.exists() or p.read_text() != text:
                    differ.append(str(p.relative_to(OUT.parent.parent)))
            else:
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_text(text)
    for d in differ:
        print(f"differs: {d}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
