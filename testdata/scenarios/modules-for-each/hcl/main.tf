resource "azurerm_resource_group" "aks" {
  name     = "rg-aks-shared-weu"
  location = "westeurope"
  tags     = var.tags
}

locals {
  subnets = {
    aks = {
      address_prefixes = ["10.20.0.0/22"]
      security_rules = [
        { name = "AllowHttpsInbound", priority = 100, direction = "Inbound", access = "Allow", protocol = "Tcp", source_address_prefix = "Internet", destination_address_prefix = "10.20.0.0/22", destination_port_range = "443" },
      ]
    }
    batch = {
      address_prefixes = ["10.20.4.0/22"]
      security_rules = [
        { name = "AllowHttpsInbound", priority = 100, direction = "Inbound", access = "Allow", protocol = "Tcp", source_address_prefix = "Internet", destination_address_prefix = "10.20.4.0/22", destination_port_range = "443" },
        # batch jobs must not reach the internet directly
        { name = "DenyInternetHttpsOutbound", priority = 200, direction = "Outbound", access = "Deny", protocol = "Tcp", source_address_prefix = "*", destination_address_prefix = "Internet", destination_port_range = "443" },
      ]
    }
  }
}

module "network" {
  source = "./modules/network"

  vnet_name           = "vnet-aks-shared-weu"
  resource_group_name = azurerm_resource_group.aks.name
  location            = azurerm_resource_group.aks.location
  address_space       = ["10.20.0.0/16"]
  subnets             = local.subnets
  tags                = var.tags
}

resource "azurerm_kubernetes_cluster" "aks" {
  name                    = "aks-shared-weu"
  resource_group_name     = azurerm_resource_group.aks.name
  location                = azurerm_resource_group.aks.location
  dns_prefix              = "aks-shared-weu"
  kubernetes_version      = "1.31"
  sku_tier                = "Standard"
  private_cluster_enabled = false
  tags                    = var.tags

  default_node_pool {
    name                         = "system"
    vm_size                      = "Standard_D4ds_v5"
    vnet_subnet_id               = module.network.subnet_ids["aks"]
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
    dns_service_ip      = "172.16.0.10"
  }

  windows_profile {
    admin_username = "azureadmin"
    admin_password = var.windows_admin_password
  }
}

resource "azurerm_kubernetes_cluster_node_pool" "batch" {
  name                  = "batch"
  kubernetes_cluster_id = azurerm_kubernetes_cluster.aks.id
  mode                  = "User"
  vm_size               = "Standard_D8ds_v5"
  vnet_subnet_id        = module.network.subnet_ids["batch"]
  zones                 = ["1", "2", "3"]
  auto_scaling_enabled  = true
  min_count             = 1
  max_count             = 10

  upgrade_settings {
    max_surge = "10%"
  }
}
