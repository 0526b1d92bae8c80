subscription_id = "3f2c9b1e-7d4a-4c8e-9a51-2b6f0d8e1c47"

# 10.200.0.4 is the on-premises resolver behind the (not yet built) VPN.
dns_servers = ["10.200.0.4", "10.0.2.4"]
