@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('Name of the AKS cluster; also its DNS prefix.')
param clusterName string = 'aks-prod-weu'

param vnetName string = 'vnet-aks-prod-weu'
param vnetAddressPrefix string = '10.10.0.0/16'
param nodeSubnetPrefix string = '10.10.0.0/22'

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
          destinationAddressPrefix: nodeSubnetPrefix
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
          destinationAddressPrefix: nodeSubnetPrefix
          destinationPortRange: '80'
        }
      }
    ]
  }
}

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

resource natPip 'Microsoft.Network/publicIPAddresses@2024-05-01' = {
  name: 'pip-ng-aks-prod-weu'
  location: location
  sku: {
    name: 'Standard'
    tier: 'Regional'
  }
  zones: ['1']
  properties: {
    publicIPAllocationMethod: 'Static'
    publicIPAddressVersion: 'IPv4'
    idleTimeoutInMinutes: 4
  }
}

// the NAT gateway is created, but the node subnet does not name it
resource natGateway 'Microsoft.Network/natGateways@2024-05-01' = {
  name: 'ng-aks-prod-weu'
  location: location
  sku: {
    name: 'Standard'
  }
  zones: ['1']
  properties: {
    idleTimeoutInMinutes: 4
    publicIpAddresses: [
      {
        id: natPip.id
      }
    ]
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
      outboundType: 'userAssignedNATGateway'
      podCidr: '192.168.0.0/16'
      serviceCidr: '172.16.0.0/16'
      dnsServiceIP: '172.16.0.10'
    }
    apiServerAccessProfile: {
      enablePrivateCluster: false
    }
  }
}
