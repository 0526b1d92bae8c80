dns_proxy_enabled = false

spokes = {
  apps = {
    address_space = "10.1.0.0/16"
  }
  batch = {
    address_space       = "10.2.0.0/16"
    deny_internet_https = true # security baseline for batch workloads
  }
}

tags = {
  environment = "prod"
  owner       = "platform-team"
}
