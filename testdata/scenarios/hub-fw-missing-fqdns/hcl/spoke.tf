resource "azurerm_resource_group" "aks" {
  name     = "rg-aks-prod-weu"
  location = "westeurope"
  tags     = var.tags
}

resource "azurerm_virtual_network" "aks" {
  name                = "vnet-aks-prod-weu"
  resource_group_name = azurerm_resource_group.aks.name
  location            = azurerm_resource_group.aks.location
  address_space       = ["10.1.0.0/16"]
  tags                = var.tags
}

resource "azurerm_subnet" "nodes" {
  name                 = "snet-aks-nodes"
  resource_group_name  = azurerm_resource_group.aks.name
  virtual_network_name = azurerm_virtual_network.aks.name
  address_prefixes     = ["10.1.0.0/22"]
}

resource "azurerm_network_security_group" "nodes" {
  name                = "nsg-aks-nodes"
  resource_group_name = azurerm_resource_group.aks.name
  location            = azurerm_resource_group.aks.location
  tags                = var.tags

  dynamic "security_rule" {
    for_each = {
      AllowHttpsInbound = { priority = 100, port = "443", description = "Ingress controller (HTTPS)" }
      AllowHttpInbound  = { priority = 110, port = "80", description = "Ingress controller (HTTP, redirects to HTTPS)" }
    }
    content {
      name                       = security_rule.key
      description                = security_rule.value.description
      priority                   = security_rule.value.priority
      direction                  = "Inbound"
      access                     = "Allow"
      protocol                   = "Tcp"
      source_address_prefix      = "Internet"
      source_port_range          = "*"
      destination_address_prefix = azurerm_subnet.nodes.address_prefixes[0]
      destination_port_range     = security_rule.value.port
    }
  }
}

resource "azurerm_subnet_network_security_group_association" "nodes" {
  subnet_id                 = azurerm_subnet.nodes.id
  network_security_group_id = azurerm_network_security_group.nodes.id
}

resource "azurerm_route_table" "aks" {
  name                          = "rt-aks-nodes"
  resource_group_name           = azurerm_resource_group.aks.name
  location                      = azurerm_resource_group.aks.location
  bgp_route_propagation_enabled = false
  tags                          = var.tags

  route {
    name                   = "default-to-firewall"
    address_prefix         = "0.0.0.0/0"
    next_hop_type          = "VirtualAppliance"
    next_hop_in_ip_address = azurerm_firewall.hub.ip_configuration[0].private_ip_address
  }
}

resource "azurerm_subnet_route_table_association" "aks" {
  subnet_id      = azurerm_subnet.nodes.id
  route_table_id = azurerm_route_table.aks.id
}

resource "azurerm_virtual_network_peering" "spoke_to_hub" {
  name                         = "peer-aks-to-hub"
  resource_group_name          = azurerm_resource_group.aks.name
  virtual_network_name         = azurerm_virtual_network.aks.name
  remote_virtual_network_id    = azurerm_virtual_network.hub.id
  allow_virtual_network_access = true
  allow_forwarded_traffic      = true
  allow_gateway_transit        = false
  use_remote_gateways          = false
}
