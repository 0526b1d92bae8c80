//! Benchmark (criterion) of ARM template expansion: `cargo bench --bench template`. Not a test
//! target: `cargo test --benches` runs it once as a smoke test.
//!
//! `template/copy_500`: a Bicep-shaped template with a 500-iteration resource `copy` of
//! subnets (each `cidrSubnet` of the VNet range, each with an NSG and a route table by
//! `resourceId`) and an NSG whose 500 security rules are a property `copy` loop over a
//! parameter array, plus a cluster on the first subnet: read, expanded, mapped to the model
//! and checked, as `aks-preflight check main.json` does.

use aks_preflight::analysis::{self, CheckOptions};
use aks_preflight::input::{self, LoadOptions};
use aks_preflight::policy::{Catalogue, Config};
use aks_preflight::source::SourceMap;
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use std::hint::black_box;

const N: usize = 500;

fn template() -> String {
    let rules: Vec<Value> = (0..N)
        .map(|i| {
            json!({"name": format!("allow-{i}"), "priority": 100 + i, "port": (1000 + i).to_string(),
                   "prefix": format!("10.{}.{}.0/24", 100 + i / 256, i % 256)})
        })
        .collect();
    let t = json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {
            "location": {"type": "string", "defaultValue": "westeurope"},
            "vnetName": {"type": "string", "defaultValue": "vnet-big"},
            "subnetCount": {"type": "int", "defaultValue": N},
            "rules": {"type": "array", "defaultValue": rules}
        },
        "variables": {
            "vnetPrefix": "10.0.0.0/8",
            "nsgId": "[resourceId('Microsoft.Network/networkSecurityGroups', 'nsg-big')]"
        },
        "resources": [
            {"type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2024-05-01",
             "name": "nsg-big", "location": "[parameters('location')]",
             "properties": {"copy": [{"name": "securityRules", "count": "[length(parameters('rules'))]",
                "input": {"name": "[parameters('rules')[copyIndex('securityRules')].name]",
                          "properties": {"priority": "[parameters('rules')[copyIndex('securityRules')].priority]",
                                         "direction": "Outbound", "access": "Allow", "protocol": "Tcp",
                                         "sourceAddressPrefix": "VirtualNetwork", "sourcePortRange": "*",
                                         "destinationAddressPrefix": "[parameters('rules')[copyIndex('securityRules')].prefix]",
                                         "destinationPortRange": "[parameters('rules')[copyIndex('securityRules')].port]"}}}]}},
            {"type": "Microsoft.Network/routeTables", "apiVersion": "2024-05-01", "name": "rt-big",
             "location": "[parameters('location')]",
             "properties": {"routes": [{"name": "default", "properties": {"addressPrefix": "0.0.0.0/0", "nextHopType": "Internet"}}]}},
            {"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2024-05-01",
             "name": "[parameters('vnetName')]", "location": "[parameters('location')]",
             "properties": {"addressSpace": {"addressPrefixes": ["[variables('vnetPrefix')]"]}}},
            {"copy": {"name": "subnetLoop", "count": "[parameters('subnetCount')]", "mode": "serial", "batchSize": 1},
             "type": "Microsoft.Network/virtualNetworks/subnets", "apiVersion": "2024-05-01",
             "name": "[format('{0}/{1}', parameters('vnetName'), format('snet-{0:D3}', copyIndex()))]",
             "properties": {"addressPrefix": "[cidrSubnet(variables('vnetPrefix'), 24, copyIndex())]",
                            "networkSecurityGroup": {"id": "[variables('nsgId')]"},
                            "routeTable": {"id": "[resourceId('Microsoft.Network/routeTables', 'rt-big')]"}},
             "dependsOn": ["[resourceId('Microsoft.Network/virtualNetworks', parameters('vnetName'))]"]},
            {"type": "Microsoft.ContainerService/managedClusters", "apiVersion": "2024-09-01",
             "name": "aks-big", "location": "[parameters('location')]",
             "properties": {"dnsPrefix": "aks-big",
                "agentPoolProfiles": [{"name": "system", "mode": "System", "count": 3,
                    "vnetSubnetID": "[resourceId('Microsoft.Network/virtualNetworks/subnets', parameters('vnetName'), 'snet-000')]"}],
                "networkProfile": {"networkPlugin": "azure", "outboundType": "loadBalancer"}}}
        ]
    });
    serde_json::to_string_pretty(&t).unwrap()
}

fn opts() -> LoadOptions {
    let mut o = LoadOptions::default();
    o.template.subscription = Some("00000000-0000-0000-0000-000000000000".into());
    o.template.resource_group = Some("rg-big".into());
    o
}

fn bench(c: &mut Criterion) {
    let text = template();
    let opts = opts();
    // sanity: every instance is there
    let mut sources = SourceMap::new();
    let (_, model) = input::load_with(&mut sources, "main.json", text.clone(), &opts).unwrap();
    assert_eq!(model.subnets.len(), N);
    assert_eq!(model.nsgs[0].rules.known().map(Vec::len), Some(N));
    let catalogue = Catalogue::builtin().unwrap().clone();
    let config = Config::default();
    let mut g = c.benchmark_group("template");
    g.sample_size(20);
    g.bench_function("copy_500/load", |b| {
        b.iter(|| {
            let mut sources = SourceMap::new();
            black_box(input::load_with(&mut sources, "main.json", text.clone(), &opts).unwrap())
        })
    });
    g.bench_function("copy_500/load+check", |b| {
        b.iter(|| {
            let mut sources = SourceMap::new();
            let (_, mut model) =
                input::load_with(&mut sources, "main.json", text.clone(), &opts).unwrap();
            model.finish();
            black_box(analysis::check(
                &model,
                &catalogue,
                &config,
                &CheckOptions::default(),
            ))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
