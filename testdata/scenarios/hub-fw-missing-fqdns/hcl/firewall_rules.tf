# Classic rule collections on the firewall itself (no firewall policy).
resource "azurerm_firewall_network_rule_collection" "aks" {
  name                = "aks-egress-network"
  azure_firewall_name = azurerm_firewall.hub.name
  resource_group_name = azurerm_resource_group.hub.name
  priority            = 100
  action              = "Allow"

  dynamic "rule" {
    for_each = var.network_rules
    content {
      name                  = rule.key
      protocols             = [rule.value.protocol]
      source_addresses      = azurerm_subnet.nodes.address_prefixes
      destination_addresses = [rule.value.destination]
      destination_ports     = [tostring(rule.value.port)]
    }
  }
}

resource "azurerm_firewall_application_rule_collection" "aks" {
  name                = "aks-egress-fqdns"
  azure_firewall_name = azurerm_firewall.hub.name
  resource_group_name = azurerm_resource_group.hub.name
  priority            = 200
  action              = "Allow"

  rule {
    name             = "aks-required-fqdns"
    source_addresses = azurerm_subnet.nodes.address_prefixes
    target_fqdns     = var.aks_fqdns

    protocol {
      type = "Https"
      port = 443
    }
  }

  rule {
    name             = "ubuntu-updates"
    source_addresses = azurerm_subnet.nodes.address_prefixes
    target_fqdns     = var.os_update_fqdns

    protocol {
      type = "Http"
      port = 80
    }
  }
}
