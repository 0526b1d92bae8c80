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

variable "aks_fqdns" {
  type        = list(string)
  description = "FQDNs the AKS nodes may reach over HTTPS."
}

variable "os_update_fqdns" {
  type    = list(string)
  default = ["security.ubuntu.com", "azure.archive.ubuntu.com", "changelogs.ubuntu.com"]
}

variable "network_rules" {
  type = map(object({
    protocol    = string
    destination = string
    port        = number
  }))
  description = "Network rules of the AKS egress collection, by rule name."
}
