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

variable "api_server_authorized_ranges" {
  type        = list(string)
  description = "Who may reach the public API server: the office egress range."
  default     = ["203.0.113.0/24"]
}
