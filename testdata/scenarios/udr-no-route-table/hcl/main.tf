resource "azurerm_resource_group" "aks" {
  name     = "rg-aks-prod-weu"
  location = "westeurope"
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
  address_prefixes     = ["10.10.0.0/22"]
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
    destination_address_prefix = "10.10.0.0/22"
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
    destination_address_prefix = "10.10.0.0/22"
    destination_port_range     = "80"
  }
}

resource "azurerm_subnet_network_security_group_association" "nodes" {
  subnet_id                 = azurerm_subnet.nodes.id
  network_security_group_id = azurerm_network_security_group.nodes.id
}

# Egress is meant to go through the hub firewall, but no route table is associated yet.
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
    outbound_type       = "userDefinedRouting"
    pod_cidr            = "192.168.0.0/16"
    service_cidr        = "172.16.0.0/16"
    dns_service_ip      = "172.16.0.10"
  }
}

resource "azurerm_role_assignment" "aks_network_contributor" {
  scope                = azurerm_subnet.nodes.id
  role_definition_name = "Network Contributor"
  principal_id         = azurerm_kubernetes_cluster.aks.identity[0].principal_id
}
