locals {
  node_prefix = cidrsubnet(var.spoke_address_space, 6, 0)
  dns_prefix  = cidrsubnet(var.hub_address_space, 8, 2)
  dns_vm_ip   = cidrhost(local.dns_prefix, 4)
}

resource "azurerm_resource_group" "hub" {
  name     = "rg-hub-prod-weu"
  location = "westeurope"
  tags     = var.tags
}

resource "azurerm_resource_group" "aks" {
  name     = "rg-aks-prod-weu"
  location = "westeurope"
  tags     = var.tags
}

resource "azurerm_virtual_network" "hub" {
  name                = "vnet-hub-prod-weu"
  resource_group_name = azurerm_resource_group.hub.name
  location            = azurerm_resource_group.hub.location
  address_space       = [var.hub_address_space]
  tags                = var.tags
}

resource "azurerm_subnet" "dns" {
  name                 = "snet-dns"
  resource_group_name  = azurerm_resource_group.hub.name
  virtual_network_name = azurerm_virtual_network.hub.name
  address_prefixes     = [local.dns_prefix]
}

resource "azurerm_virtual_network" "aks" {
  name                = "vnet-aks-prod-weu"
  resource_group_name = azurerm_resource_group.aks.name
  location            = azurerm_resource_group.aks.location
  address_space       = [var.spoke_address_space]
  dns_servers         = var.dns_servers
  tags                = var.tags
}

resource "azurerm_subnet" "nodes" {
  name                 = "snet-aks-nodes"
  resource_group_name  = azurerm_resource_group.aks.name
  virtual_network_name = azurerm_virtual_network.aks.name
  address_prefixes     = [local.node_prefix]
}

resource "azurerm_network_security_group" "nodes" {
  name                = "nsg-aks-nodes"
  resource_group_name = azurerm_resource_group.aks.name
  location            = azurerm_resource_group.aks.location
  tags                = var.tags

  security_rule {
    name                       = "AllowHttpsInbound"
    description                = "Ingress controller (HTTPS)"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_address_prefix      = "Internet"
    source_port_range          = "*"
    destination_address_prefix = local.node_prefix
    destination_port_range     = "443"
  }

  security_rule {
    name                       = "AllowHttpInbound"
    description                = "Ingress controller (HTTP, redirects to HTTPS)"
    priority                   = 110
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_address_prefix      = "Internet"
    source_port_range          = "*"
    destination_address_prefix = local.node_prefix
    destination_port_range     = "80"
  }
}

resource "azurerm_subnet_network_security_group_association" "nodes" {
  subnet_id                 = azurerm_subnet.nodes.id
  network_security_group_id = azurerm_network_security_group.nodes.id
}

resource "azurerm_virtual_network_peering" "hub_to_spoke" {
  name                         = "peer-hub-to-aks"
  resource_group_name          = azurerm_resource_group.hub.name
  virtual_network_name         = azurerm_virtual_network.hub.name
  remote_virtual_network_id    = azurerm_virtual_network.aks.id
  allow_virtual_network_access = true
  allow_forwarded_traffic      = true
  allow_gateway_transit        = false
  use_remote_gateways          = false
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
