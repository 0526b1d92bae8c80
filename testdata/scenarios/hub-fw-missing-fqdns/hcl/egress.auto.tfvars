# Allowlist as agreed with the network team (ticket NET-4711).
aks_fqdns = [
  "*.hcp.westeurope.azmk8s.io",
  "mcr.microsoft.com",
  "*.data.mcr.microsoft.com",
  "mcr-0001.mcr-msedge.net",
  "packages.aks.azure.com",
  "acs-mirror.azureedge.net",
]

network_rules = {
  aks-tunnel-udp = { protocol = "UDP", destination = "AzureCloud.westeurope", port = 1194 }
  aks-tunnel-tcp = { protocol = "TCP", destination = "AzureCloud.westeurope", port = 9000 }
  ntp            = { protocol = "UDP", destination = "*", port = 123 }
}
