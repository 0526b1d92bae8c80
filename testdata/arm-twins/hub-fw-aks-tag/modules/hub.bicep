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

resource fwPolicy 'Microsoft.Network/firewallPolicies@2024-05-01' = {
  name: 'afwp-hub-prod-weu'
  location: location
  properties: {
    sku: {
      tier: 'Standard'
    }
    threatIntelMode: 'Alert'
    dnsSettings: {
      enableProxy: true
    }
  }
}

resource aksEgress 'Microsoft.Network/firewallPolicies/ruleCollectionGroups@2024-05-01' = {
  parent: fwPolicy
  name: 'rcg-aks-egress'
  properties: {
    priority: 200
    ruleCollections: [
      {
        ruleCollectionType: 'FirewallPolicyFilterRuleCollection'
        name: 'aks-network'
        priority: 100
        action: {
          type: 'Allow'
        }
        rules: [
          {
            ruleType: 'NetworkRule'
            name: 'aks-tunnel-udp'
            ipProtocols: ['UDP']
            sourceAddresses: nodeSubnetPrefixes
            destinationAddresses: ['AzureCloud.${location}']
            destinationPorts: ['1194']
          }
          {
            ruleType: 'NetworkRule'
            name: 'aks-tunnel-tcp'
            ipProtocols: ['TCP']
            sourceAddresses: nodeSubnetPrefixes
            destinationAddresses: ['AzureCloud.${location}']
            destinationPorts: ['9000']
          }
          {
            ruleType: 'NetworkRule'
            name: 'ntp'
            ipProtocols: ['UDP']
            sourceAddresses: nodeSubnetPrefixes
            destinationAddresses: ['*']
            destinationPorts: ['123']
          }
          {
            ruleType: 'NetworkRule'
            name: 'aks-apiserver-https'
            ipProtocols: ['TCP']
            sourceAddresses: nodeSubnetPrefixes
            destinationAddresses: ['AzureCloud.${location}']
            destinationPorts: ['443']
          }
        ]
      }
      {
        ruleCollectionType: 'FirewallPolicyFilterRuleCollection'
        name: 'aks-fqdn-tag'
        priority: 200
        action: {
          type: 'Allow'
        }
        rules: [
          {
            ruleType: 'ApplicationRule'
            name: 'aks-service-tag'
            sourceAddresses: nodeSubnetPrefixes
            protocols: [
              {
                protocolType: 'Http'
                port: 80
              }
              {
                protocolType: 'Https'
                port: 443
              }
            ]
            fqdnTags: ['AzureKubernetesService']
          }
          {
            ruleType: 'ApplicationRule'
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
    ]
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
    firewallPolicy: {
      id: fwPolicy.id
    }
  }
}

output hubVnetId string = hubVnet.id
output firewallPrivateIp string = fw.properties.ipConfigurations[0].properties.privateIPAddress
