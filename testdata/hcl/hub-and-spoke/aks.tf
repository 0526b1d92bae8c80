resource "azurerm_resource_group" "aks" {
  name     = "rg-aks-${var.location}"
  location = var.location
  tags     = var.tags
}

resource "azurerm_kubernetes_cluster" "aks" {
  name                = "aks-prod"
  resource_group_name = azurerm_resource_group.aks.name
  location            = azurerm_resource_group.aks.location
  dns_prefix          = "aks-prod"
  sku_tier            = "Standard"
  tags                = var.tags

  default_node_pool {
    name           = "system"
    vm_size        = "Standard_D4ds_v5"
    vnet_subnet_id = module.spoke["apps"].node_subnet_id
    zones          = ["1", "2", "3"]
  }

  identity {
    type = "SystemAssigned"
  }

  network_profile {
    network_plugin      = "azure"
    network_plugin_mode = "overlay"
    outbound_type       = "userDefinedRouting"
  }
}

resource "azurerm_kubernetes_cluster_node_pool" "batch" {
  name                  = "batch"
  kubernetes_cluster_id = azurerm_kubernetes_cluster.aks.id
  vm_size               = "Standard_D8ds_v5"
  vnet_subnet_id        = module.spoke["batch"].node_subnet_id
  mode                  = "User"
}
