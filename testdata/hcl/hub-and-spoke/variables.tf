variable "location" {
  type    = string
  default = "westeurope"
}

variable "hub_address_space" {
  type    = string
  default = "10.0.0.0/16"
}

variable "dns_proxy_enabled" {
  type        = bool
  description = "DNS proxy of the hub firewall (the spokes use the firewall as DNS server)."
  default     = true
}

variable "spokes" {
  type = map(object({
    address_space       = string
    deny_internet_https = optional(bool, false)
  }))
  description = "Spoke VNets by name."
}

variable "tags" {
  type    = map(string)
  default = {}
}
