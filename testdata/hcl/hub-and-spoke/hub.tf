resource "azurerm_resource_group" "hub" {
  name     = "rg-hub-${var.location}"
  location = var.location
  tags     = var.tags
}

resource "azurerm_virtual_network" "hub" {
  name                = "vnet-hub"
  resource_group_name = azurerm_resource_group.hub.name
  location            = azurerm_resource_group.hub.location
  address_space       = [var.hub_address_space]
  tags                = var.tags
}

resource "azurerm_subnet" "firewall" {
  name                 = "AzureFirewallSubnet"
  resource_group_name  = azurerm_resource_group.hub.name
  virtual_network_name = azurerm_virtual_network.hub.name
  address_prefixes     = [cidrsubnet(var.hub_address_space, 10, 4)]
}

resource "azurerm_public_ip" "firewall" {
  name                = "pip-afw-hub"
  resource_group_name = azurerm_resource_group.hub.name
  location            = azurerm_resource_group.hub.location
  allocation_method   = "Static"
  sku                 = "Standard"
  tags                = var.tags
}

resource "azurerm_firewall_policy" "hub" {
  name                = "afwp-hub"
  resource_group_name = azurerm_resource_group.hub.name
  location            = azurerm_resource_group.hub.location
  sku                 = "Standard"
  tags                = var.tags

  dns {
    proxy_enabled = var.dns_proxy_enabled
  }
}

resource "azurerm_firewall" "hub" {
  name                = "afw-hub"
  resource_group_name = azurerm_resource_group.hub.name
  location            = azurerm_resource_group.hub.location
  sku_name            = "AZFW_VNet"
  sku_tier            = "Standard"
  firewall_policy_id  = azurerm_firewall_policy.hub.id
  tags                = var.tags

  ip_configuration {
    name                 = "configuration"
    subnet_id            = azurerm_subnet.firewall.id
    public_ip_address_id = azurerm_public_ip.firewall.id
  }
}

locals {
  node_prefixes = [for s in module.spoke : s.node_prefix]
}

# https://learn.microsoft.com/azure/aks/outbound-rules-control-egress
resource "azurerm_firewall_policy_rule_collection_group" "aks" {
  name               = "rcg-aks-egress"
  firewall_policy_id = azurerm_firewall_policy.hub.id
  priority           = 200

  network_rule_collection {
    name     = "aks-network"
    priority = 100
    action   = "Allow"

    rule {
      name                  = "aks-tunnel"
      protocols             = ["UDP"]
      source_addresses      = local.node_prefixes
      destination_addresses = ["AzureCloud.${var.location}"]
      destination_ports     = ["1194"]
    }

    rule {
      name                  = "aks-apiserver"
      protocols             = ["TCP"]
      source_addresses      = local.node_prefixes
      destination_addresses = ["AzureCloud.${var.location}"]
      destination_ports     = ["443", "9000"]
    }

    rule {
      name                  = "ntp"
      protocols             = ["UDP"]
      source_addresses      = local.node_prefixes
      destination_addresses = ["*"]
      destination_ports     = ["123"]
    }
  }

  application_rule_collection {
    name     = "aks-fqdn-tag"
    priority = 200
    action   = "Allow"

    rule {
      name                  = "aks"
      source_addresses      = local.node_prefixes
      destination_fqdn_tags = ["AzureKubernetesService"]

      protocols {
        type = "Https"
        port = 443
      }
      protocols {
        type = "Http"
        port = 80
      }
    }
  }
}

module "spoke" {
  source   = "./modules/spoke"
  for_each = var.spokes

  name                = each.key
  location            = var.location
  address_space       = each.value.address_space
  deny_internet_https = each.value.deny_internet_https
  firewall_private_ip = azurerm_firewall.hub.ip_configuration[0].private_ip_address
  hub_vnet_id         = azurerm_virtual_network.hub.id
  hub_vnet_name       = azurerm_virtual_network.hub.name
  hub_resource_group  = azurerm_resource_group.hub.name
  tags                = var.tags
}
