@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('Name of the AKS cluster; also its DNS prefix.')
param clusterName string = 'aks-prod-weu'

@description('Resource group of the hub network.')
param hubResourceGroupName string = 'rg-hub-prod-weu'

param spokeVnetName string = 'vnet-aks-prod-weu'

module hub 'modules/hub.bicep' = {
  name: 'hub'
  scope: resourceGroup(hubResourceGroupName)
  params: {
    location: location
    spokeVnetId: resourceId('Microsoft.Network/virtualNetworks', spokeVnetName)
    nodeSubnetPrefixes: ['10.1.0.0/22']
  }
}

resource nsg 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {
  name: 'nsg-aks-nodes'
  location: location
  properties: {
    securityRules: [
      {
        name: 'AllowHttpsInbound'
        properties: {
          description: 'Ingress controller (HTTPS)'
          priority: 100
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourceAddressPrefix: 'Internet'
          sourcePortRange: '*'
          destinationAddressPrefix: '10.1.0.0/22'
          destinationPortRange: '443'
        }
      }
      {
        name: 'AllowHttpInbound'
        properties: {
          description: 'Ingress controller (HTTP, redirects to HTTPS)'
          priority: 110
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourceAddressPrefix: 'Internet'
          sourcePortRange: '*'
          destinationAddressPrefix: '10.1.0.0/22'
          destinationPortRange: '80'
        }
      }
    ]
  }
}

resource spokeVnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: spokeVnetName
  location: location
  properties: {
    addressSpace: {
      addressPrefixes: ['10.1.0.0/16']
    }
    // the hub's DNS Private Resolver answers for the spoke
    dhcpOptions: {
      dnsServers: [hub.outputs.resolverInboundIp]
    }
    subnets: [
      {
        name: 'snet-aks-nodes'
        properties: {
          addressPrefix: '10.1.0.0/22'
          networkSecurityGroup: {
            id: nsg.id
          }
        }
      }
    ]
  }
}

resource spokeToHub 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings@2024-05-01' = {
  parent: spokeVnet
  name: 'peer-aks-to-hub'
  properties: {
    remoteVirtualNetwork: {
      id: hub.outputs.hubVnetId
    }
    allowVirtualNetworkAccess: true
    allowForwardedTraffic: true
    allowGatewayTransit: false
    useRemoteGateways: false
  }
}

module zone 'modules/zone.bicep' = {
  name: 'zone'
  scope: resourceGroup(hubResourceGroupName)
  params: {
    zoneName: 'privatelink.${location}.azmk8s.io'
    linkedVnetId: spokeVnet.id
  }
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-aks-prod-weu'
  location: location
}

resource aks 'Microsoft.ContainerService/managedClusters@2024-09-01' = {
  name: clusterName
  location: location
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    kubernetesVersion: '1.31'
    dnsPrefix: clusterName
    agentPoolProfiles: [
      {
        name: 'system'
        mode: 'System'
        count: 2
        minCount: 2
        maxCount: 5
        enableAutoScaling: true
        vmSize: 'Standard_D4ds_v5'
        osType: 'Linux'
        type: 'VirtualMachineScaleSets'
        availabilityZones: ['1', '2', '3']
        onlyCriticalAddonsEnabled: true
        enableNodePublicIP: false
        vnetSubnetID: resourceId('Microsoft.Network/virtualNetworks/subnets', spokeVnetName, 'snet-aks-nodes')
      }
    ]
    networkProfile: {
      networkPlugin: 'azure'
      networkPluginMode: 'overlay'
      networkDataplane: 'azure'
      loadBalancerSku: 'standard'
      outboundType: 'loadBalancer'
      podCidr: '192.168.0.0/16'
      serviceCidr: '172.16.0.0/16'
      dnsServiceIP: '172.16.0.10'
    }
    apiServerAccessProfile: {
      enablePrivateCluster: true
      privateDNSZone: resourceId(hubResourceGroupName, 'Microsoft.Network/privateDnsZones', 'privatelink.${location}.azmk8s.io')
      enablePrivateClusterPublicFQDN: false
    }
  }
}
