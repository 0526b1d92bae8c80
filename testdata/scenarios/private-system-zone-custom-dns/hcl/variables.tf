variable "subscription_id" {
  type        = string
  description = "Subscription the platform is deployed to."
}

variable "tags" {
  type        = map(string)
  description = "Tags applied to every resource."
  default = {
    environment = "prod"
    owner       = "platform-team"
    workload    = "aks"
  }
}

variable "hub_address_space" {
  type    = string
  default = "10.0.0.0/16"
}

variable "spoke_address_space" {
  type    = string
  default = "10.1.0.0/16"
}

variable "dns_servers" {
  type        = list(string)
  description = "DNS servers of the AKS VNet, in order (the on-premises resolver first)."
}

variable "private_cluster" {
  type    = bool
  default = false
}
