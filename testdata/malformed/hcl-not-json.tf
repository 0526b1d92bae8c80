resource "azurerm_subnet" "x" {
  name = "a"
}
