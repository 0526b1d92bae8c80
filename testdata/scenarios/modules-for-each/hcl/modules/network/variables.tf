variable "vnet_name" {
  type        = string
  description = "Name of the VNet."
}

variable "resource_group_name" {
  type        = string
  description = "Resource group of the network."
}

variable "location" {
  type        = string
  description = "Azure region."
}

variable "address_space" {
  type        = list(string)
  description = "Address space of the VNet."
}

variable "subnets" {
  type = map(object({
    address_prefixes = list(string)
    security_rules = optional(list(object({
      name                       = string
      priority                   = number
      direction                  = string
      access                     = string
      protocol                   = string
      source_address_prefix      = optional(string, "*")
      source_port_range          = optional(string, "*")
      destination_address_prefix = optional(string, "*")
      destination_port_range     = optional(string, "*")
    })), [])
  }))
  description = "Subnets by key: address_prefixes and NSG rules."
}

variable "tags" {
  type        = map(string)
  description = "Tags."
  default     = {}
}
