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

variable "windows_admin_password" {
  type        = string
  description = "Admin password of Windows nodes."
  sensitive   = true
}
