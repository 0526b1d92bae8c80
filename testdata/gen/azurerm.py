"""Attribute specs of the azurerm resource types the scenarios use.

Attribute names follow azurerm 4.x unless a builder takes ``v3=True`` (3.x names such as
``disable_bgp_route_propagation``, ``enable_auto_scaling``, ``api_server_authorized_ip_ranges``).
Every builder returns a spec dict for ``Plan.add`` (see tfplan.py): arguments given as plain
Python values are configured constants, ``R(...)`` values are references, and attributes the
user does not set get the provider default or are unknown (computed) as in a real plan.
"""

from __future__ import annotations

from typing import Any

from tfplan import A, B, C, R, S, U, UL, UM  # noqa: F401  (re-exported for scenarios)

SUBSCRIPTION = "3f2c9b1e-7d4a-4c8e-9a51-2b6f0d8e1c47"
TENANT = "8d3e1a52-64c2-4f0b-b7a9-5e1c2d9f0a36"
SECRET = "SECRET-SHOULD-NOT-BE-PRINTED"
SSH_KEY = ("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQC7fixturekeyonlyZm9yIHRlc3RzIG5vdCBhIHJlYWwga2V5"
           " azureuser@fixtures")


def cv(x: Any) -> Any:
    """Wrap a plain value as a configured constant; keep specs as they are."""
    if isinstance(x, (C, R, S, B, A)):
        return x
    return C(x)


def opt(x: Any, default: Any) -> Any:
    """Configured when given, provider default otherwise."""
    return default if x is None else cv(x)


# ----------------------------------------------------------------------------- Azure IDs


def rg_id(rg: str, sub: str = SUBSCRIPTION) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}"


def net_id(rg: str, kind: str, name: str, *rest: str) -> str:
    tail = "".join(f"/{r}" for r in rest)
    return f"{rg_id(rg)}/providers/Microsoft.Network/{kind}/{name}{tail}"


def subnet_id(rg: str, vnet: str, subnet: str) -> str:
    return net_id(rg, "virtualNetworks", vnet, "subnets", subnet)


def aks_id(rg: str, name: str) -> str:
    return f"{rg_id(rg)}/providers/Microsoft.ContainerService/managedClusters/{name}"


# ----------------------------------------------------------------------------- core


def resource_group(name, location="westeurope", tags=None) -> dict:
    return {
        "location": cv(location),
        "managed_by": None,
        "name": cv(name),
        "tags": opt(tags, None),
        "timeouts": None,
    }


def virtual_network(name, rg, location, address_space, dns_servers=None, tags=None,
                    subnets=None) -> dict:
    """``dns_servers`` and ``subnet`` are Optional+Computed in azurerm: when the configuration
    does not set them they are unknown in the plan (``after_unknown: true``)."""
    return {
        "address_space": cv(address_space),
        "bgp_community": None,
        "ddos_protection_plan": [],
        "dns_servers": UL if dns_servers is None else cv(dns_servers),
        "edge_zone": None,
        "encryption": [],
        "flow_timeout_in_minutes": None,
        "guid": U,
        "ip_address_pool": [],
        "location": cv(location),
        "name": cv(name),
        "private_endpoint_vnet_policies": "Disabled",
        "resource_group_name": cv(rg),
        "subnet": UL if subnets is None else subnets,
        "tags": opt(tags, None),
        "timeouts": None,
    }


def delegation(name, service, actions) -> dict:
    return {
        "name": cv(name),
        "service_delegation": B({"actions": cv(actions), "name": cv(service)}),
    }


def subnet(name, rg, vnet_name, prefixes, delegations=None, v3=False,
           service_endpoints=None, default_outbound_access=None) -> dict:
    if v3:
        return {
            "address_prefixes": cv(prefixes),
            "delegation": B(*delegations) if delegations else [],
            "enforce_private_link_endpoint_network_policies": False,
            "enforce_private_link_service_network_policies": False,
            "name": cv(name),
            "private_endpoint_network_policies_enabled": True,
            "private_link_service_network_policies_enabled": True,
            "resource_group_name": cv(rg),
            "service_endpoint_policy_ids": None,
            "service_endpoints": opt(service_endpoints, None),
            "timeouts": None,
            "virtual_network_name": cv(vnet_name),
        }
    return {
        "address_prefixes": cv(prefixes),
        "default_outbound_access_enabled": opt(default_outbound_access, True),
        "delegation": B(*delegations) if delegations else [],
        "name": cv(name),
        "private_endpoint_network_policies": "Disabled",
        "private_link_service_network_policies_enabled": True,
        "resource_group_name": cv(rg),
        "service_endpoint_policy_ids": None,
        "service_endpoints": opt(service_endpoints, None),
        "timeouts": None,
        "virtual_network_name": cv(vnet_name),
    }


# ----------------------------------------------------------------------------- NSGs


def nsg_rule(name, priority, direction, access, protocol, *, dst="*", dst_port="*",
             src="*", src_port="*", dst_prefixes=None, dst_ports=None, src_prefixes=None,
             description=None) -> dict:
    """One inline ``security_rule`` item (attributes-as-blocks: unset strings are "" and unset
    lists [] in the planned value)."""
    return {
        "access": cv(access),
        "description": opt(description, ""),
        "destination_address_prefix": "" if dst_prefixes else cv(dst),
        "destination_address_prefixes": cv(dst_prefixes) if dst_prefixes else [],
        "destination_application_security_group_ids": [],
        "destination_port_range": "" if dst_ports else cv(dst_port),
        "destination_port_ranges": cv(dst_ports) if dst_ports else [],
        "direction": cv(direction),
        "name": cv(name),
        "priority": cv(priority),
        "protocol": cv(protocol),
        "source_address_prefix": "" if src_prefixes else cv(src),
        "source_address_prefixes": cv(src_prefixes) if src_prefixes else [],
        "source_application_security_group_ids": [],
        "source_port_range": cv(src_port),
        "source_port_ranges": [],
    }


def nsg(name, rg, location, rules=None, tags=None) -> dict:
    """``rules=None``: no inline rules in configuration, so ``security_rule`` is computed
    (unknown until apply; separate azurerm_network_security_rule resources fill it)."""
    return {
        "location": cv(location),
        "name": cv(name),
        "resource_group_name": cv(rg),
        "security_rule": UL if rules is None else A(*rules),
        "tags": opt(tags, None),
        "timeouts": None,
    }


def nsg_rule_resource(name, nsg_name, rg, priority, direction, access, protocol, *, dst="*",
                      dst_port="*", src="*", src_port="*", description=None) -> dict:
    return {
        "access": cv(access),
        "description": opt(description, None),
        "destination_address_prefix": cv(dst),
        "destination_address_prefixes": None,
        "destination_application_security_group_ids": None,
        "destination_port_range": cv(dst_port),
        "destination_port_ranges": None,
        "direction": cv(direction),
        "name": cv(name),
        "network_security_group_name": cv(nsg_name),
        "priority": cv(priority),
        "protocol": cv(protocol),
        "resource_group_name": cv(rg),
        "source_address_prefix": cv(src),
        "source_address_prefixes": None,
        "source_application_security_group_ids": None,
        "source_port_range": cv(src_port),
        "source_port_ranges": None,
        "timeouts": None,
    }


def subnet_nsg_association(subnet_ref, nsg_ref) -> dict:
    return {"network_security_group_id": cv(nsg_ref), "subnet_id": cv(subnet_ref), "timeouts": None}


# ----------------------------------------------------------------------------- routing


def route_item(name, prefix, hop_type, hop_ip=None) -> dict:
    """Inline ``route`` item (attributes-as-blocks). ``hop_ip=U`` for a referenced address."""
    if hop_ip is None:
        ip: Any = ""
    elif hop_ip is U:
        ip = U
    else:
        ip = cv(hop_ip)
    return {
        "address_prefix": cv(prefix),
        "name": cv(name),
        "next_hop_in_ip_address": ip,
        "next_hop_type": cv(hop_type),
    }


def route_table(name, rg, location, routes=None, route_refs=None, bgp_propagation=None,
                v3=False, tags=None) -> dict:
    spec = {
        "id": U,
        "location": cv(location),
        "name": cv(name),
        "resource_group_name": cv(rg),
        "route": UL if routes is None else A(*routes, refs=route_refs),
        "subnets": UL,
        "tags": opt(tags, None),
        "timeouts": None,
    }
    if v3:
        spec["disable_bgp_route_propagation"] = opt(
            None if bgp_propagation is None else (not bgp_propagation), False)
    else:
        spec["bgp_route_propagation_enabled"] = opt(bgp_propagation, True)
    return spec


def route_resource(name, rg, route_table_name, prefix, hop_type, hop_ip=None) -> dict:
    return {
        "address_prefix": cv(prefix),
        "name": cv(name),
        "next_hop_in_ip_address": None if hop_ip is None else cv(hop_ip),
        "next_hop_type": cv(hop_type),
        "resource_group_name": cv(rg),
        "route_table_name": cv(route_table_name),
        "timeouts": None,
    }


def subnet_route_table_association(subnet_ref, rt_ref) -> dict:
    return {"route_table_id": cv(rt_ref), "subnet_id": cv(subnet_ref), "timeouts": None}


# ----------------------------------------------------------------------------- public IPs / NAT


def public_ip(name, rg, location, zones=None, tags=None) -> dict:
    return {
        "allocation_method": C("Static"),
        "ddos_protection_mode": "VirtualNetworkInherited",
        "ddos_protection_plan_id": None,
        "domain_name_label": None,
        "domain_name_label_scope": None,
        "edge_zone": None,
        "fqdn": U,
        "idle_timeout_in_minutes": 4,
        "ip_address": U,
        "ip_tags": None,
        "ip_version": "IPv4",
        "location": cv(location),
        "name": cv(name),
        "public_ip_prefix_id": None,
        "resource_group_name": cv(rg),
        "reverse_fqdn": None,
        "sku": C("Standard"),
        "sku_tier": "Regional",
        "tags": opt(tags, None),
        "timeouts": None,
        "zones": opt(zones, None),
    }


def nat_gateway(name, rg, location, zones=None, tags=None) -> dict:
    return {
        "idle_timeout_in_minutes": C(4),
        "location": cv(location),
        "name": cv(name),
        "resource_group_name": cv(rg),
        "resource_guid": U,
        "sku_name": C("Standard"),
        "tags": opt(tags, None),
        "timeouts": None,
        "zones": opt(zones, None),
    }


def nat_gateway_public_ip_association(nat_ref, pip_ref) -> dict:
    return {"nat_gateway_id": cv(nat_ref), "public_ip_address_id": cv(pip_ref), "timeouts": None}


def subnet_nat_gateway_association(subnet_ref, nat_ref) -> dict:
    return {"nat_gateway_id": cv(nat_ref), "subnet_id": cv(subnet_ref), "timeouts": None}


# ----------------------------------------------------------------------------- peering


def peering(name, rg, vnet_name, remote_id, *, forwarded=True, gateway_transit=False,
            remote_gateways=False, vnet_access=True) -> dict:
    return {
        "allow_forwarded_traffic": cv(forwarded),
        "allow_gateway_transit": cv(gateway_transit),
        "allow_virtual_network_access": cv(vnet_access),
        "local_subnet_names": None,
        "name": cv(name),
        "only_ipv6_peering_enabled": False,
        "peer_complete_virtual_networks_enabled": True,
        "remote_subnet_names": None,
        "remote_virtual_network_id": cv(remote_id),
        "resource_group_name": cv(rg),
        "timeouts": None,
        "triggers": None,
        "use_remote_gateways": cv(remote_gateways),
        "virtual_network_name": cv(vnet_name),
    }


# ----------------------------------------------------------------------------- firewall


def firewall(name, rg, location, subnet_ref, pip_ref, policy_ref=None, *, dns_proxy=None,
             dns_servers=None, zones=None, tags=None, threat_intel_mode=None) -> dict:
    """With a firewall policy the DNS proxy and threat-intel settings live in the policy, so the
    firewall's own ``dns_proxy_enabled``/``threat_intel_mode`` stay unset (null)."""
    classic = policy_ref is None
    return {
        "dns_proxy_enabled": opt(dns_proxy, False if classic else None),
        "dns_servers": opt(dns_servers, None),
        "firewall_policy_id": opt(policy_ref, None),
        "ip_configuration": B({
            "name": C("configuration"),
            "private_ip_address": U,
            "public_ip_address_id": cv(pip_ref),
            "subnet_id": cv(subnet_ref),
        }),
        "location": cv(location),
        "management_ip_configuration": [],
        "name": cv(name),
        "private_ip_ranges": None,
        "resource_group_name": cv(rg),
        "sku_name": C("AZFW_VNet"),
        "sku_tier": C("Standard"),
        "tags": opt(tags, None),
        "threat_intel_mode": opt(threat_intel_mode, "Alert" if classic else None),
        "timeouts": None,
        "virtual_hub": [],
        "zones": opt(zones, None),
    }


def firewall_policy(name, rg, location, *, dns_proxy=None, dns_servers=None, tags=None) -> dict:
    """``dns_proxy=None``: no ``dns`` block (proxy off, Azure DNS)."""
    if dns_proxy is None:
        dns: Any = []
    else:
        dns = B({"proxy_enabled": cv(dns_proxy), "servers": opt(dns_servers, None)})
    return {
        "auto_learn_private_ranges_enabled": None,
        "base_policy_id": None,
        "child_policies": UL,
        "dns": dns,
        "explicit_proxy": [],
        "firewalls": UL,
        "identity": [],
        "insights": [],
        "intrusion_detection": [],
        "location": cv(location),
        "name": cv(name),
        "private_ip_ranges": None,
        "resource_group_name": cv(rg),
        "rule_collection_groups": UL,
        "sku": C("Standard"),
        "sql_redirect_allowed": None,
        "tags": opt(tags, None),
        "threat_intelligence_allowlist": [],
        "threat_intelligence_mode": "Alert",
        "timeouts": None,
        "tls_certificate": [],
    }


def app_rule(name, sources, *, fqdn_tags=None, fqdns=None, protocols=(("Http", 80), ("Https", 443)),
             description=None, ip_groups=None) -> dict:
    """``sources=None`` with ``ip_groups``: the rule's sources are IP groups only."""
    return {
        "description": opt(description, None),
        "destination_addresses": None,
        "destination_fqdn_tags": opt(fqdn_tags, None),
        "destination_fqdns": opt(fqdns, None),
        "destination_urls": None,
        "http_headers": [],
        "name": cv(name),
        # the FQDN-tag form may leave the block out (protocols=()): then it is not configured
        "protocols": B(*({"port": C(p), "type": C(t)} for t, p in protocols)) if protocols else [],
        "source_addresses": opt(sources, None),
        "source_ip_groups": opt(ip_groups, None),
        "terminate_tls": None,
        "web_categories": None,
    }


def net_rule(name, sources, protocols, destinations, ports, *, fqdns=None,
             description=None) -> dict:
    return {
        "description": opt(description, None),
        "destination_addresses": opt(destinations, None),
        "destination_fqdns": opt(fqdns, None),
        "destination_ip_groups": None,
        "destination_ports": cv(ports),
        "name": cv(name),
        "protocols": cv(protocols),
        "source_addresses": cv(sources),
        "source_ip_groups": None,
    }


def ip_group(name, rg, location, cidrs, tags=None) -> dict:
    return {
        "cidrs": cv(cidrs),
        "firewall_ids": UL,
        "firewall_policy_ids": UL,
        "location": cv(location),
        "name": cv(name),
        "resource_group_name": cv(rg),
        "tags": opt(tags, None),
        "timeouts": None,
    }


def rule_collection(name, priority, action, rules) -> dict:
    return {"action": C(action), "name": C(name), "priority": C(priority), "rule": B(*rules)}


def rule_collection_group(name, policy_ref, priority, app=(), net=()) -> dict:
    return {
        "application_rule_collection": B(*app) if app else [],
        "firewall_policy_id": cv(policy_ref),
        "name": cv(name),
        "nat_rule_collection": [],
        "network_rule_collection": B(*net) if net else [],
        "priority": cv(priority),
        "timeouts": None,
    }


def classic_app_rule(name, sources, *, fqdn_tags=None, target_fqdns=None,
                     protocols=(("Http", 80), ("Https", 443))) -> dict:
    return {
        "description": None,
        "fqdn_tags": opt(fqdn_tags, None),
        "name": cv(name),
        # "not required when specifying fqdn_tags" (protocols=()): then it is not configured
        "protocol": B(*({"port": C(p), "type": C(t)} for t, p in protocols)) if protocols else [],
        "source_addresses": cv(sources),
        "source_ip_groups": None,
        "target_fqdns": opt(target_fqdns, None),
    }


def classic_app_collection(name, fw_name, rg, priority, action, rules) -> dict:
    return {
        "action": C(action),
        "azure_firewall_name": cv(fw_name),
        "name": C(name),
        "priority": C(priority),
        "resource_group_name": cv(rg),
        "rule": B(*rules),
        "timeouts": None,
    }


def classic_net_rule(name, sources, protocols, destinations, ports) -> dict:
    return {
        "description": None,
        "destination_addresses": cv(destinations),
        "destination_fqdns": None,
        "destination_ip_groups": None,
        "destination_ports": cv(ports),
        "name": cv(name),
        "protocols": cv(protocols),
        "source_addresses": cv(sources),
        "source_ip_groups": None,
    }


def classic_net_collection(name, fw_name, rg, priority, action, rules) -> dict:
    return classic_app_collection(name, fw_name, rg, priority, action, rules)


# ----------------------------------------------------------------------------- DNS


def private_dns_zone(name, rg, tags=None) -> dict:
    return {
        "max_number_of_record_sets": U,
        "max_number_of_virtual_network_links": U,
        "max_number_of_virtual_network_links_with_registration": U,
        "name": cv(name),
        "number_of_record_sets": U,
        "resource_group_name": cv(rg),
        "soa_record": UL,
        "tags": opt(tags, None),
        "timeouts": None,
    }


def private_dns_zone_link(name, rg, zone_name_ref, vnet_ref, registration=None, tags=None) -> dict:
    return {
        "name": cv(name),
        "private_dns_zone_name": cv(zone_name_ref),
        "registration_enabled": opt(registration, False),
        "resolution_policy": "Default",
        "resource_group_name": cv(rg),
        "tags": opt(tags, None),
        "timeouts": None,
        "virtual_network_id": cv(vnet_ref),
    }


def dns_resolver(name, rg, location, vnet_ref, tags=None) -> dict:
    return {
        "location": cv(location),
        "name": cv(name),
        "resource_group_name": cv(rg),
        "tags": opt(tags, None),
        "timeouts": None,
        "virtual_network_id": cv(vnet_ref),
    }


def dns_resolver_inbound_endpoint(name, location, resolver_ref, subnet_ref, tags=None) -> dict:
    return {
        "ip_configurations": B({
            "private_ip_address": U,
            "private_ip_allocation_method": C("Dynamic"),
            "subnet_id": cv(subnet_ref),
        }),
        "location": cv(location),
        "name": cv(name),
        "private_dns_resolver_id": cv(resolver_ref),
        "tags": opt(tags, None),
        "timeouts": None,
    }


# ----------------------------------------------------------------------------- identity


def user_assigned_identity(name, rg, location, tags=None) -> dict:
    return {
        "client_id": U,
        "location": cv(location),
        "name": cv(name),
        "principal_id": U,
        "resource_group_name": cv(rg),
        "tags": opt(tags, None),
        "tenant_id": U,
        "timeouts": None,
    }


def role_assignment(scope_ref, role_name, principal_ref) -> dict:
    return {
        "condition": None,
        "condition_version": None,
        "delegated_managed_identity_resource_id": None,
        "description": None,
        "name": U,
        "principal_id": cv(principal_ref),
        "principal_type": U,
        "role_definition_id": U,
        "role_definition_name": cv(role_name),
        "scope": cv(scope_ref),
        "skip_service_principal_aad_check": U,
        "timeouts": None,
    }


# ----------------------------------------------------------------------------- VMs


def network_interface(name, rg, location, subnet_ref, private_ip, tags=None) -> dict:
    return {
        "accelerated_networking_enabled": False,
        "applied_dns_servers": UL,
        "auxiliary_mode": None,
        "auxiliary_sku": None,
        "dns_servers": UL,
        "edge_zone": None,
        "internal_dns_name_label": U,
        "internal_domain_name_suffix": U,
        "ip_configuration": B({
            "gateway_load_balancer_frontend_ip_configuration_id": U,
            "name": C("ipconfig1"),
            "primary": U,
            "private_ip_address": cv(private_ip),
            "private_ip_address_allocation": C("Static"),
            "private_ip_address_version": "IPv4",
            "public_ip_address_id": None,
            "subnet_id": cv(subnet_ref),
        }),
        "ip_forwarding_enabled": False,
        "location": cv(location),
        "mac_address": U,
        "name": cv(name),
        "private_ip_address": U,
        "private_ip_addresses": UL,
        "resource_group_name": cv(rg),
        "tags": opt(tags, None),
        "timeouts": None,
        "virtual_machine_id": U,
    }


def linux_vm(name, rg, location, nic_ref, custom_data_ref, size="Standard_B2s", tags=None) -> dict:
    return {
        "additional_capabilities": [],
        "admin_password": S(None),
        "admin_ssh_key": B({"public_key": C(SSH_KEY), "username": C("azureuser")}),
        "admin_username": C("azureuser"),
        "allow_extension_operations": True,
        "availability_set_id": None,
        "boot_diagnostics": [],
        "computer_name": U,
        "custom_data": S(R(custom_data_ref, v=SECRET)),
        "disable_password_authentication": C(True),
        "encryption_at_host_enabled": None,
        "identity": [],
        "location": cv(location),
        "name": cv(name),
        "network_interface_ids": R(nic_ref, v=[U]),
        "os_disk": B({
            "caching": C("ReadWrite"),
            "disk_encryption_set_id": None,
            "disk_size_gb": U,
            "name": U,
            "storage_account_type": C("Premium_LRS"),
            "write_accelerator_enabled": False,
            "diff_disk_settings": [],
            "secure_vm_disk_encryption_set_id": None,
            "security_encryption_type": None,
        }),
        "patch_mode": "ImageDefault",
        "plan": [],
        "private_ip_address": U,
        "private_ip_addresses": UL,
        "public_ip_address": U,
        "public_ip_addresses": UL,
        "resource_group_name": cv(rg),
        "secret": [],
        "size": cv(size),
        "source_image_reference": B({
            "offer": C("ubuntu-24_04-lts"),
            "publisher": C("Canonical"),
            "sku": C("server"),
            "version": C("latest"),
        }),
        "tags": opt(tags, None),
        "timeouts": None,
        "virtual_machine_id": U,
        "zone": None,
    }


def vpn_gateway(name, rg, location, subnet_ref, pip_ref, tags=None) -> dict:
    return {
        "active_active": U,
        "bgp_enabled": False,
        "bgp_route_translation_for_nat_enabled": False,
        "bgp_settings": UL,
        "custom_route": [],
        "default_local_network_gateway_id": None,
        "dns_forwarding_enabled": None,
        "edge_zone": None,
        "generation": U,
        "ip_configuration": B({
            "name": C("vnetGatewayConfig"),
            "private_ip_address_allocation": C("Dynamic"),
            "public_ip_address_id": cv(pip_ref),
            "subnet_id": cv(subnet_ref),
        }),
        "ip_sec_replay_protection_enabled": True,
        "location": cv(location),
        "name": cv(name),
        "policy_group": [],
        "private_ip_address_enabled": None,
        "remote_vnet_traffic_enabled": False,
        "resource_group_name": cv(rg),
        "sku": C("VpnGw2AZ"),
        "tags": opt(tags, None),
        "timeouts": None,
        "type": C("Vpn"),
        "virtual_wan_traffic_enabled": False,
        "vpn_client_configuration": [],
        "vpn_type": C("RouteBased"),
    }


def local_network_gateway(name, rg, location, gateway_address, address_space, tags=None) -> dict:
    return {
        "address_space": cv(address_space),
        "bgp_settings": [],
        "gateway_address": cv(gateway_address),
        "gateway_fqdn": None,
        "location": cv(location),
        "name": cv(name),
        "resource_group_name": cv(rg),
        "tags": opt(tags, None),
        "timeouts": None,
    }


def vpn_connection(name, rg, location, vng_ref, lng_ref, shared_key_ref, tags=None) -> dict:
    return {
        "bgp_enabled": False,
        "connection_mode": "Default",
        "connection_protocol": U,
        "custom_bgp_addresses": [],
        "dpd_timeout_seconds": None,
        "egress_nat_rule_ids": None,
        "express_route_circuit_id": None,
        "express_route_gateway_bypass": U,
        "ingress_nat_rule_ids": None,
        "ipsec_policy": [],
        "local_azure_ip_address_enabled": False,
        "local_network_gateway_id": cv(lng_ref),
        "location": cv(location),
        "name": cv(name),
        "peer_virtual_network_gateway_id": None,
        "private_link_fast_path_enabled": False,
        "resource_group_name": cv(rg),
        "routing_weight": U,
        "shared_key": S(R(shared_key_ref, v=SECRET)),
        "tags": opt(tags, None),
        "timeouts": None,
        "traffic_selector_policy": [],
        "type": C("IPsec"),
        "use_policy_based_traffic_selectors": False,
        "virtual_network_gateway_id": cv(vng_ref),
    }


# ----------------------------------------------------------------------------- AKS


def _node_pool_common(v3: bool) -> dict:
    if v3:
        return {
            "enable_auto_scaling": C(True),
            "enable_host_encryption": None,
            "enable_node_public_ip": C(False),
        }
    return {
        "auto_scaling_enabled": C(True),
        "host_encryption_enabled": None,
        "node_public_ip_enabled": False,
    }


def default_node_pool(name, subnet_ref, *, vm_size="Standard_D4ds_v5", min_count=2, max_count=5,
                      zones=("1", "2", "3"), v3=False, critical_only=True) -> dict:
    spec = {
        "capacity_reservation_group_id": None,
        "fips_enabled": None,
        "gpu_instance": None,
        "host_group_id": None,
        "kubelet_config": [],
        "kubelet_disk_type": U,
        "linux_os_config": [],
        "max_count": C(max_count),
        "max_pods": U,
        "min_count": C(min_count),
        "name": C(name),
        "node_count": U,
        "node_labels": UM,
        "node_network_profile": [],
        "node_public_ip_prefix_id": None,
        "only_critical_addons_enabled": C(critical_only),
        "orchestrator_version": U,
        "os_disk_size_gb": U,
        "os_disk_type": "Managed",
        "os_sku": U,
        "pod_subnet_id": None,
        "proximity_placement_group_id": None,
        "scale_down_mode": "Delete",
        "snapshot_id": None,
        "tags": None,
        "temporary_name_for_rotation": C(f"{name}tmp"),
        "type": "VirtualMachineScaleSets",
        "ultra_ssd_enabled": False,
        "upgrade_settings": B({
            "drain_timeout_in_minutes": 0,
            "max_surge": C("10%"),
            "node_soak_duration_in_minutes": 0,
        }),
        "vm_size": C(vm_size),
        "vnet_subnet_id": opt(subnet_ref, None),
        "workload_runtime": U,
        "zones": C(list(zones)) if zones else None,
    }
    spec.update(_node_pool_common(v3))
    if v3:
        spec["custom_ca_trust_enabled"] = None
        spec["message_of_the_day"] = None
        spec["node_taints"] = None
    return spec


def network_profile(outbound_type, *, plugin="azure", plugin_mode="overlay",
                    service_cidr="172.16.0.0/16", dns_service_ip="172.16.0.10",
                    pod_cidr="192.168.0.0/16", v3=False) -> dict:
    spec = {
        "dns_service_ip": C(dns_service_ip),
        "ip_versions": UL,
        "load_balancer_profile": UL if outbound_type == "loadBalancer" else [],
        "load_balancer_sku": "standard",
        "nat_gateway_profile": UL if outbound_type == "managedNATGateway" else [],
        "network_data_plane": "azure",
        "network_mode": U,
        "network_plugin": C(plugin),
        "network_plugin_mode": opt(plugin_mode, None),
        "network_policy": None,
        "outbound_type": C(outbound_type),
        "pod_cidr": opt(pod_cidr, U),
        "pod_cidrs": UL,
        "service_cidr": C(service_cidr),
        "service_cidrs": UL,
    }
    if v3:
        spec["docker_bridge_cidr"] = U
        spec["ebpf_data_plane"] = None
    return spec


def kubernetes_cluster(name, rg, location, dns_prefix, pool, net, *, private=False,
                       private_dns_zone=None, public_fqdn=None, authorized_ranges=None,
                       identity_ids=None, service_principal=None, tags=None,
                       kubernetes_version="1.31", v3=False, sku_tier="Standard",
                       workload_identity=False, windows_password_ref=None,
                       http_proxy=None) -> dict:
    """``authorized_ranges``: list / ``R`` (4.x: ``api_server_access_profile``; 3.x:
    ``api_server_authorized_ip_ranges``). ``private_dns_zone``: "System", "None" or an ``R``.
    ``service_principal``: (client_id, secret reference) instead of a managed identity.
    ``windows_password_ref``: reference of the Windows admin password (sensitive) when the
    configuration sets a ``windows_profile``. ``http_proxy``: (http_proxy, https_proxy or None,
    no_proxy list) for an ``http_proxy_config`` block (``trusted_ca`` comes from the sensitive
    variable ``proxy_trusted_ca``, which the scenario declares)."""
    if service_principal:
        identity: Any = []
        sp: Any = B({"client_id": C(service_principal[0]),
                     "client_secret": S(R(service_principal[1], v=SECRET))})
    else:
        sp = []
        if identity_ids is not None:
            identity = B({"identity_ids": cv(identity_ids), "principal_id": U, "tenant_id": U,
                          "type": C("UserAssigned")})
        else:
            identity = B({"identity_ids": None, "principal_id": U, "tenant_id": U,
                          "type": C("SystemAssigned")})
    spec = {
        "aci_connector_linux": [],
        "auto_scaler_profile": UL,
        "azure_active_directory_role_based_access_control": [],
        "azure_policy_enabled": None,
        "confidential_computing": [],
        "cost_analysis_enabled": None,
        "current_kubernetes_version": U,
        "custom_ca_trust_certificates_base64": None,
        "default_node_pool": B(pool),
        "disk_encryption_set_id": None,
        "dns_prefix": cv(dns_prefix),
        "dns_prefix_private_cluster": None,
        "edge_zone": None,
        "fqdn": U,
        "http_application_routing_zone_name": U,
        "http_proxy_config": [] if http_proxy is None else B({
            "http_proxy": C(http_proxy[0]),
            "https_proxy": opt(http_proxy[1], None),
            "no_proxy": C(http_proxy[2]),
            "trusted_ca": S(R("var.proxy_trusted_ca", v=SECRET)),
        }),
        "identity": identity,
        "image_cleaner_enabled": None,
        "image_cleaner_interval_hours": None,
        "ingress_application_gateway": [],
        "key_management_service": [],
        "key_vault_secrets_provider": [],
        "kube_admin_config": S(UL),
        "kube_admin_config_raw": S(U),
        "kube_config": S(UL),
        "kube_config_raw": S(U),
        "kubelet_identity": UL,
        "kubernetes_version": C(kubernetes_version),
        "linux_profile": [],
        "local_account_disabled": None,
        "location": cv(location),
        "maintenance_window": [],
        "maintenance_window_auto_upgrade": [],
        "maintenance_window_node_os": [],
        "microsoft_defender": [],
        "monitor_metrics": [],
        "name": cv(name),
        "network_profile": B(net),
        "node_os_upgrade_channel": "NodeImage",
        "node_resource_group": U,
        "node_resource_group_id": U,
        "oidc_issuer_enabled": C(True) if workload_identity else None,
        "oidc_issuer_url": U,
        "oms_agent": [],
        "open_service_mesh_enabled": None,
        "portal_fqdn": U,
        "private_cluster_enabled": cv(private),
        "private_cluster_public_fqdn_enabled": opt(public_fqdn, False),
        "private_dns_zone_id": U if private_dns_zone is None else cv(private_dns_zone),
        "private_fqdn": U,
        "resource_group_name": cv(rg),
        "role_based_access_control_enabled": True,
        "run_command_enabled": True,
        "service_mesh_profile": [],
        "service_principal": sp,
        "sku_tier": C(sku_tier),
        "storage_profile": UL,
        "support_plan": "KubernetesOfficial",
        "tags": opt(tags, None),
        "timeouts": None,
        "upgrade_override": [],
        "web_app_routing": [],
        "windows_profile": UL if windows_password_ref is None else B({
            "admin_password": S(R(windows_password_ref, v=SECRET)),
            "admin_username": C("azureadmin"),
            "gmsa": [],
            "license": None,
        }),
        "workload_autoscaler_profile": [],
        "workload_identity_enabled": opt(workload_identity or None, False),
    }
    if v3:
        spec["api_server_authorized_ip_ranges"] = opt(authorized_ranges, None)
        spec["api_server_access_profile"] = UL if authorized_ranges is not None else []
        spec["automatic_channel_upgrade"] = None
        spec["http_application_routing_enabled"] = None
        spec["image_cleaner_enabled"] = None
        spec["node_os_channel_upgrade"] = U
        del spec["node_os_upgrade_channel"]
        spec["public_network_access_enabled"] = True
        spec["upgrade_override"] = []
    else:
        spec["automatic_upgrade_channel"] = None
        spec["api_server_access_profile"] = (
            B({"authorized_ip_ranges": cv(authorized_ranges)}) if authorized_ranges is not None
            else [])
    return spec


def node_pool(name, cluster_ref, subnet_ref, *, vm_size="Standard_D8ds_v5", min_count=1,
              max_count=10, zones=("1", "2", "3"), mode="User", v3=False) -> dict:
    spec = {
        "capacity_reservation_group_id": None,
        "eviction_policy": None,
        "fips_enabled": None,
        "gpu_instance": None,
        "host_group_id": None,
        "kubelet_config": [],
        "kubelet_disk_type": U,
        "kubernetes_cluster_id": cv(cluster_ref),
        "linux_os_config": [],
        "max_count": C(max_count),
        "max_pods": U,
        "min_count": C(min_count),
        "mode": C(mode),
        "name": C(name),
        "node_count": U,
        "node_labels": UM,
        "node_network_profile": [],
        "node_public_ip_prefix_id": None,
        "node_taints": None,
        "orchestrator_version": U,
        "os_disk_size_gb": U,
        "os_disk_type": "Managed",
        "os_sku": U,
        "os_type": "Linux",
        "pod_subnet_id": None,
        "priority": "Regular",
        "proximity_placement_group_id": None,
        "scale_down_mode": "Delete",
        "snapshot_id": None,
        "spot_max_price": -1,
        "tags": None,
        "temporary_name_for_rotation": None,
        "timeouts": None,
        "ultra_ssd_enabled": False,
        "upgrade_settings": B({
            "drain_timeout_in_minutes": 0,
            "max_surge": C("10%"),
            "node_soak_duration_in_minutes": 0,
        }),
        "vm_size": C(vm_size),
        "vnet_subnet_id": cv(subnet_ref),
        "windows_profile": [],
        "workload_runtime": U,
        "zones": C(list(zones)) if zones else None,
    }
    spec.update(_node_pool_common(v3))
    return spec
