# AKS egress through the hub firewall:
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
      name                  = "aks-tunnel-udp"
      protocols             = ["UDP"]
      source_addresses      = azurerm_subnet.nodes.address_prefixes
      destination_addresses = ["AzureCloud.${azurerm_resource_group.aks.location}"]
      destination_ports     = ["1194"]
    }

    rule {
      name                  = "aks-tunnel-tcp"
      protocols             = ["TCP"]
      source_addresses      = azurerm_subnet.nodes.address_prefixes
      destination_addresses = ["AzureCloud.${azurerm_resource_group.aks.location}"]
      destination_ports     = ["9000"]
    }

    rule {
      name                  = "ntp"
      protocols             = ["UDP"]
      source_addresses      = azurerm_subnet.nodes.address_prefixes
      destination_addresses = ["*"]
      destination_ports     = ["123"]
    }

    rule {
      name                  = "aks-apiserver-https"
      protocols             = ["TCP"]
      source_addresses      = azurerm_subnet.nodes.address_prefixes
      destination_addresses = ["AzureCloud.${azurerm_resource_group.aks.location}"]
      destination_ports     = ["443"]
    }
  }

  application_rule_collection {
    name     = "aks-fqdn-tag"
    priority = 200
    action   = "Allow"

    rule {
      name                  = "aks-service-tag"
      source_addresses      = azurerm_subnet.nodes.address_prefixes
      destination_fqdn_tags = ["AzureKubernetesService"]

      protocols {
        type = "Http"
        port = 80
      }
      protocols {
        type = "Https"
        port = 443
      }
    }

    rule {
      name              = "ubuntu-updates"
      source_addresses  = azurerm_subnet.nodes.address_prefixes
      destination_fqdns = ["security.ubuntu.com", "azure.archive.ubuntu.com", "changelogs.ubuntu.com"]

      protocols {
        type = "Http"
        port = 80
      }
    }
  }
}
