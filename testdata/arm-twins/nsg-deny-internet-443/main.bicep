@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('Name of the AKS cluster; also its DNS prefix.')
param clusterName string = 'aks-prod-weu'

param vnetName string = 'vnet-aks-prod-weu'
param vnetAddressPrefix string = '10.10.0.0/16'
param nodeSubnetPrefix string = '10.10.0.0/22'

@description('Security rules of the node subnet NSG, as separate child resources.')
param nsgRules array

resource nsg 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {
  name: 'nsg-aks-nodes'
  location: location
}

resource nsgRule 'Microsoft.Network/networkSecurityGroups/securityRules@2024-05-01' = [for rule in nsgRules: {
  parent: nsg
  name: rule.name
  properties: {
    description: rule.?description
    priority: rule.priority
    direction: rule.direction
    access: rule.access
    protocol: rule.protocol
    sourceAddressPrefix: rule.source
    sourcePortRange: '*'
    destinationAddressPrefix: rule.destination
    destinationPortRange: rule.port
  }
}]

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: vnetName
  location: location
  properties: {
    addressSpace: {
      addressPrefixes: [vnetAddressPrefix]
    }
  }
}

resource nodeSubnet 'Microsoft.Network/virtualNetworks/subnets@2024-05-01' = {
  parent: vnet
  name: 'snet-aks-nodes'
  properties: {
    addressPrefix: nodeSubnetPrefix
    networkSecurityGroup: {
      id: nsg.id
    }
  }
}

resource aks 'Microsoft.ContainerService/managedClusters@2024-09-01' = {
  name: clusterName
  location: location
  identity: {
    type: 'SystemAssigned'
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
        vnetSubnetID: nodeSubnet.id
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
      enablePrivateCluster: false
    }
  }
}
