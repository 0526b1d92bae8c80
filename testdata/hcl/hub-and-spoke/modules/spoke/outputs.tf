output "node_subnet_id" {
  value = azurerm_subnet.nodes.id
}

output "node_prefix" {
  value = local.node_prefix
}
