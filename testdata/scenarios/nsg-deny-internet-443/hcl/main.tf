locals {
  location      = "westeurope"
  node_prefixes = ["10.10.0.0/22"]
}

resource "azurerm_resource_group" "aks" {
  name     = "rg-aks-prod-weu"
  location = local.location
  tags     = var.tags
}

resource "azurerm_virtual_network" "aks" {
  name                = "vnet-aks-prod-weu"
  resource_group_name = azurerm_resource_group.aks.name
  location            = azurerm_resource_group.aks.location
  address_space       = ["10.10.0.0/16"]
  tags                = var.tags
}

resource "azurerm_subnet" "nodes" {
  name                 = "snet-aks-nodes"
  resource_group_name  = azurerm_resource_group.aks.name
  virtual_network_name = azurerm_virtual_network.aks.name
  address_prefixes     = local.node_prefixes
}

# The NSG carries no inline rules: every rule is a separate resource.
resource "azurerm_network_security_group" "nodes" {
  name                = "nsg-aks-nodes"
  resource_group_name = azurerm_resource_group.aks.name
  location            = azurerm_resource_group.aks.location
  tags                = var.tags
}

resource "azurerm_network_security_rule" "allow_https_inbound" {
  name                        = "AllowHttpsInbound"
  resource_group_name         = azurerm_resource_group.aks.name
  network_security_group_name = azurerm_network_security_group.nodes.name
  priority                    = 100
  direction                   = "Inbound"
  access                      = "Allow"
  protocol                    = "Tcp"
  source_address_prefix       = "Internet"
  source_port_range           = "*"
  destination_address_prefix  = local.node_prefixes[0]
  destination_port_range      = "443"
}

resource "azurerm_network_security_rule" "deny_internet_https_outbound" {
  name                        = "DenyInternetHttpsOutbound"
  description                 = "Security baseline: no direct internet HTTPS"
  resource_group_name         = azurerm_resource_group.aks.name
  network_security_group_name = azurerm_network_security_group.nodes.name
  priority                    = 100
  direction                   = "Outbound"
  access                      = "Deny"
  protocol                    = "Tcp"
  source_address_prefix       = "*"
  source_port_range           = "*"
  destination_address_prefix  = "Internet"
  destination_port_range      = "443"
}

resource "azurerm_subnet_network_security_group_association" "nodes" {
  subnet_id                 = azurerm_subnet.nodes.id
  network_security_group_id = azurerm_network_security_group.nodes.id
}

resource "azurerm_kubernetes_cluster" "aks" {
  name                    = "aks-prod-weu"
  resource_group_name     = azurerm_resource_group.aks.name
  location                = azurerm_resource_group.aks.location
  dns_prefix              = "aks-prod-weu"
  kubernetes_version      = "1.31"
  sku_tier                = "Standard"
  private_cluster_enabled = false
  tags                    = var.tags

  default_node_pool {
    name                         = "system"
    vm_size                      = "Standard_D4ds_v5"
    vnet_subnet_id               = azurerm_subnet.nodes.id
    zones                        = ["1", "2", "3"]
    auto_scaling_enabled         = true
    min_count                    = 2
    max_count                    = 5
    only_critical_addons_enabled = true
    temporary_name_for_rotation  = "systemtmp"

    upgrade_settings {
      max_surge = "10%"
    }
  }

  identity {
    type = "SystemAssigned"
  }

  network_profile {
    network_plugin      = "azure"
    network_plugin_mode = "overlay"
    outbound_type       = "loadBalancer"
    pod_cidr            = "192.168.0.0/16"
    service_cidr        = "172.16.0.0/16"
    dns_service_ip      = cidrhost("172.16.0.0/16", 10)
  }
}

resource "azurerm_role_assignment" "aks_network_contributor" {
  scope                = azurerm_subnet.nodes.id
  role_definition_name = "Network Contributor"
  principal_id         = azurerm_kubernetes_cluster.aks.identity[0].principal_id
}
