param location string
param hubVnetName string = 'vnet-hub-prod-weu'

@description('Id of the spoke VNet to peer with.')
param spokeVnetId string

@description('Node subnet prefixes, the sources of the firewall rules.')
param nodeSubnetPrefixes array

resource hubVnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: hubVnetName
  location: location
  properties: {
    addressSpace: {
      addressPrefixes: ['10.0.0.0/16']
    }
    subnets: [
      {
        name: 'AzureFirewallSubnet'
        properties: {
          addressPrefix: '10.0.1.0/26'
        }
      }
    ]
  }
}

resource hubToSpoke 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings@2024-05-01' = {
  parent: hubVnet
  name: 'peer-hub-to-aks'
  properties: {
    remoteVirtualNetwork: {
      id: spokeVnetId
    }
    allowVirtualNetworkAccess: true
    allowForwardedTraffic: true
    allowGatewayTransit: false
    useRemoteGateways: false
  }
}

resource fwPip 'Microsoft.Network/publicIPAddresses@2024-05-01' = {
  name: 'pip-afw-hub-prod-weu'
  location: location
  sku: {
    name: 'Standard'
    tier: 'Regional'
  }
  zones: ['1', '2', '3']
  properties: {
    publicIPAllocationMethod: 'Static'
    publicIPAddressVersion: 'IPv4'
    idleTimeoutInMinutes: 4
  }
}

resource fw 'Microsoft.Network/azureFirewalls@2024-05-01' = {
  name: 'afw-hub-prod-weu'
  location: location
  zones: ['1', '2', '3']
  properties: {
    sku: {
      name: 'AZFW_VNet'
      tier: 'Standard'
    }
    ipConfigurations: [
      {
        name: 'configuration'
        properties: {
          subnet: {
            id: resourceId('Microsoft.Network/virtualNetworks/subnets', hubVnetName, 'AzureFirewallSubnet')
          }
          publicIPAddress: {
            id: fwPip.id
          }
        }
      }
    ]
    additionalProperties: {
      'Network.DNS.EnableProxy': 'false'
    }
    threatIntelMode: 'Alert'
    applicationRuleCollections: [
      {
        name: 'aks-egress-fqdns'
        properties: {
          priority: 200
          action: {
            type: 'Allow'
          }
          rules: [
            {
              name: 'aks-required-fqdns'
              sourceAddresses: nodeSubnetPrefixes
              protocols: [
                {
                  protocolType: 'Https'
                  port: 443
                }
              ]
              // management.azure.com, login.microsoftonline.com and packages.microsoft.com are missing
              targetFqdns: ['*.hcp.${location}.azmk8s.io', 'mcr.microsoft.com', '*.data.mcr.microsoft.com', 'mcr-0001.mcr-msedge.net', 'packages.aks.azure.com', 'acs-mirror.azureedge.net']
            }
            {
              name: 'ubuntu-updates'
              sourceAddresses: nodeSubnetPrefixes
              protocols: [
                {
                  protocolType: 'Http'
                  port: 80
                }
              ]
              targetFqdns: ['security.ubuntu.com', 'azure.archive.ubuntu.com', 'changelogs.ubuntu.com']
            }
          ]
        }
      }
    ]
    networkRuleCollections: [
      {
        name: 'aks-egress-network'
        properties: {
          priority: 100
          action: {
            type: 'Allow'
          }
          rules: [
            {
              name: 'aks-tunnel-udp'
              protocols: ['UDP']
              sourceAddresses: nodeSubnetPrefixes
              destinationAddresses: ['AzureCloud.${location}']
              destinationPorts: ['1194']
            }
            {
              name: 'aks-tunnel-tcp'
              protocols: ['TCP']
              sourceAddresses: nodeSubnetPrefixes
              destinationAddresses: ['AzureCloud.${location}']
              destinationPorts: ['9000']
            }
            {
              name: 'ntp'
              protocols: ['UDP']
              sourceAddresses: nodeSubnetPrefixes
              destinationAddresses: ['*']
              destinationPorts: ['123']
            }
          ]
        }
      }
    ]
  }
}

output hubVnetId string = hubVnet.id
output firewallPrivateIp string = fw.properties.ipConfigurations[0].properties.privateIPAddress
