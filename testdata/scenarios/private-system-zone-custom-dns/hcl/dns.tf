# A BIND forwarder in the hub: forwards everything to Azure DNS (168.63.129.16).
locals {
  dns_cloud_init = base64encode(<<-EOT
    #cloud-config
    packages:
      - bind9
    write_files:
      - path: /etc/bind/named.conf.options
        content: |
          options {
            directory "/var/cache/bind";
            forwarders { 168.63.129.16; };
            allow-query { any; };
          };
    runcmd:
      - systemctl restart named
  EOT
  )
}

resource "azurerm_network_interface" "dns" {
  name                = "nic-dns-hub-01"
  resource_group_name = azurerm_resource_group.hub.name
  location            = azurerm_resource_group.hub.location
  tags                = var.tags

  ip_configuration {
    name                          = "ipconfig1"
    subnet_id                     = azurerm_subnet.dns.id
    private_ip_address_allocation = "Static"
    private_ip_address            = local.dns_vm_ip
  }
}

resource "azurerm_linux_virtual_machine" "dns" {
  name                            = "vm-dns-hub-01"
  resource_group_name             = azurerm_resource_group.hub.name
  location                        = azurerm_resource_group.hub.location
  size                            = "Standard_B2s"
  admin_username                  = "azureuser"
  disable_password_authentication = true
  network_interface_ids           = [azurerm_network_interface.dns.id]
  custom_data                     = local.dns_cloud_init
  tags                            = var.tags

  admin_ssh_key {
    username   = "azureuser"
    public_key = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQC7fixturekeyonlyZm9yIHRlc3RzIG5vdCBhIHJlYWwga2V5 azureuser@fixtures"
  }

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
  }

  source_image_reference {
    publisher = "Canonical"
    offer     = "ubuntu-24_04-lts"
    sku       = "server"
    version   = "latest"
  }
}
