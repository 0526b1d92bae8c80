subscription_id = "3f2c9b1e-7d4a-4c8e-9a51-2b6f0d8e1c47"
