//! Template expansion tests: scopes, loops, conditions, nested deployments, references.

use super::expand::{Expanded, Options, expand};
use super::params::{Given, GivenParam};
use super::value::{REFERS_MARKER, UNKNOWN_MARKER, refers_from_json};
use crate::source::{FileId, Loc};
use serde_json::{Value, json};

fn opts() -> Options {
    Options {
        subscription_id: Some("00000000-0000-0000-0000-000000000001".into()),
        resource_group: Some("rg-aks".into()),
        location: Some("westeurope".into()),
        ..Options::default()
    }
}

fn run(t: Value, o: &Options) -> Expanded {
    expand(&t, FileId(0), o, &[]).unwrap_or_else(|e| panic!("{e:?}"))
}

fn by_type<'a>(x: &'a Expanded, t: &str) -> Vec<&'a Value> {
    x.resources
        .iter()
        .filter(|r| r.value["type"].as_str() == Some(t))
        .map(|r| &r.value)
        .collect()
}

fn pointer_of(x: &Expanded, name: &str) -> String {
    let r = x
        .resources
        .iter()
        .find(|r| r.value["name"] == name)
        .unwrap_or_else(|| panic!("no resource {name}"));
    match &r.origin.loc {
        Loc::Pointer(p) => p.clone(),
        other => panic!("{other:?}"),
    }
}

/// The reason of an unknown marker.
fn reason(v: &Value) -> &str {
    v[UNKNOWN_MARKER]
        .as_str()
        .unwrap_or_else(|| panic!("not unknown: {v}"))
}

const RG: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-aks";

#[test]
fn parameters_variables_and_resource_loops() {
    let t = json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "parameters": {
            "vnetName": {"type": "string", "defaultValue": "vnet-spoke"},
            "subnets": {"type": "array", "defaultValue": [
                {"name": "nodes", "prefix": "10.1.0.0/22"}, {"name": "pods", "prefix": "10.1.4.0/22"}]}
        },
        "variables": {
            "VNETID": "[resourceId('Microsoft.Network/virtualNetworks', parameters('vnetName'))]",
            "copy": [{"name": "ruleNames", "count": 2, "input": "[format('rule-{0}', copyIndex('ruleNames'))]"}]
        },
        "resources": [
            {"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2023-09-01", "name": "[parameters('vnetName')]",
             "location": "[resourceGroup().location]",
             "properties": {"addressSpace": {"addressPrefixes": ["10.1.0.0/16"]}}},
            {"type": "Microsoft.Network/virtualNetworks/subnets", "apiVersion": "2023-09-01",
             "name": "[format('{0}/{1}', parameters('vnetName'), parameters('subnets')[copyIndex()].name)]",
             "copy": {"name": "subnetLoop", "count": "[length(parameters('subnets'))]", "mode": "serial", "batchSize": 1},
             "dependsOn": ["[variables('vnetId')]"],
             "properties": {"addressPrefix": "[parameters('subnets')[copyIndex('subnetLoop')].prefix]",
                            "description": "[variables('ruleNames')[copyIndex()]]"}}
        ]
    });
    let x = run(t, &opts());
    assert_eq!(x.resources.len(), 3);
    let vnet = &by_type(&x, "Microsoft.Network/virtualNetworks")[0];
    assert_eq!(
        vnet["id"],
        format!("{RG}/providers/Microsoft.Network/virtualNetworks/vnet-spoke")
    );
    assert_eq!(vnet["location"], "westeurope");
    let subnets = by_type(&x, "Microsoft.Network/virtualNetworks/subnets");
    assert_eq!(subnets[1]["name"], "pods");
    assert_eq!(
        subnets[1]["id"],
        format!("{RG}/providers/Microsoft.Network/virtualNetworks/vnet-spoke/subnets/pods")
    );
    assert_eq!(subnets[1]["properties"]["addressPrefix"], "10.1.4.0/22");
    assert_eq!(subnets[1]["properties"]["description"], "rule-1");
    assert!(subnets[0].get("copy").is_none() && subnets[0].get("dependsOn").is_none());
    assert_eq!(pointer_of(&x, "pods"), "/resources/1");
    assert!(x.notes.is_empty(), "{:?}", x.notes);
}

#[test]
fn nested_child_resources_and_inline_ids() {
    let t = json!({
        "resources": [{
            "type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2023-09-01", "name": "nsg-nodes",
            "properties": {"securityRules": [{"name": "inline", "properties": {"priority": 100}}]},
            "resources": [{"type": "securityRules", "apiVersion": "2023-09-01", "name": "deny-internet",
                           "properties": {"priority": 200, "access": "Deny"}}]
        }]
    });
    let x = run(t, &opts());
    let rule = &by_type(&x, "Microsoft.Network/networkSecurityGroups/securityRules")[0];
    assert_eq!(rule["name"], "deny-internet");
    assert_eq!(
        rule["id"],
        format!(
            "{RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-nodes/securityRules/deny-internet"
        )
    );
    assert_eq!(pointer_of(&x, "deny-internet"), "/resources/0/resources/0");
    let nsg = &by_type(&x, "Microsoft.Network/networkSecurityGroups")[0];
    assert_eq!(
        nsg["properties"]["securityRules"][0]["id"],
        format!(
            "{RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-nodes/securityRules/inline"
        )
    );
}

/// A Bicep module (inner scope) sees only its parameters; an outer-scope nested template sees
/// the parent's. Modules deploy to their own resource group.
#[test]
fn nested_deployment_scopes() {
    let module = |scope: &str| {
        json!({
            "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": format!("net-{scope}"),
            "resourceGroup": "rg-net",
            "properties": {
                "expressionEvaluationOptions": {"scope": scope},
                "mode": "Incremental",
                "parameters": {"prefix": {"value": "[parameters('prefix')]"}},
                "template": {
                    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                    "parameters": {"prefix": {"type": "string", "defaultValue": "inner-default"}},
                    "variables": {"rt": "[concat(parameters('prefix'), '-rt')]"},
                    "resources": [{"type": "Microsoft.Network/routeTables", "apiVersion": "2023-09-01",
                                   "name": "[variables('rt')]", "properties": {"note": "[resourceGroup().name]"}}],
                    "outputs": {"rtId": {"type": "string", "value": "[resourceId('Microsoft.Network/routeTables', variables('rt'))]"}}
                }
            }
        })
    };
    let t = json!({
        "parameters": {"prefix": {"type": "string", "defaultValue": "outer"}},
        "variables": {"rt": "outer-variable-rt"},
        "resources": [module("inner"), module("outer"),
            {"type": "Microsoft.Network/routeTables", "apiVersion": "2023-09-01", "name": "reader",
             "properties": {"fromModule": "[reference('net-inner').outputs.rtId.value]",
                            "fromClassic": "[reference(resourceId('rg-net', 'Microsoft.Resources/deployments', 'net-outer'), '2022-09-01').outputs.rtId.value]"}}]
    });
    let x = run(t, &opts());
    let names: Vec<&str> = by_type(&x, "Microsoft.Network/routeTables")
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    // inner: the module's own variable from its passed parameter; outer: the parent's variable
    assert_eq!(names, ["outer-rt", "outer-variable-rt", "reader"]);
    let inner = x
        .resources
        .iter()
        .find(|r| r.value["name"] == "outer-rt")
        .unwrap();
    assert_eq!(
        inner.value["id"],
        "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-net/providers/Microsoft.Network/routeTables/outer-rt"
    );
    // resourceGroup() inside an inner-scope module is the module's target group; with outer
    // scope it is the parent's
    assert_eq!(inner.value["properties"]["note"], "rg-net");
    assert_eq!(inner.symbol, None, "classic templates keep no symbols");
    let i = x
        .resources
        .iter()
        .position(|r| r.value["name"] == "outer-rt")
        .unwrap();
    assert_eq!(x.declared[i].module, "net-inner");
    let outer = x
        .resources
        .iter()
        .find(|r| r.value["name"] == "outer-variable-rt")
        .unwrap();
    assert_eq!(outer.value["properties"]["note"], "rg-aks");
    assert_eq!(
        pointer_of(&x, "outer-rt"),
        "/resources/0/properties/template/resources/0"
    );
    let reader = x
        .resources
        .iter()
        .find(|r| r.value["name"] == "reader")
        .unwrap();
    assert_eq!(
        reader.value["properties"]["fromModule"],
        "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-net/providers/Microsoft.Network/routeTables/outer-rt"
    );
    // the outer-scope template's resourceId() resolves in the parent's group
    assert_eq!(
        reader.value["properties"]["fromClassic"],
        format!("{RG}/providers/Microsoft.Network/routeTables/outer-variable-rt")
    );
}

/// languageVersion 2.0: symbolic names, `existing` resources kept as ids, and `reference()` of
/// a declared resource giving what the template sets and unknown for what Azure sets.
#[test]
fn symbolic_names_existing_and_references() {
    let t = json!({
        "languageVersion": "2.0",
        "resources": {
            "hubFw": {"existing": true, "type": "Microsoft.Network/azureFirewalls", "apiVersion": "2023-09-01",
                      "resourceGroup": "rg-hub", "name": "fw-hub"},
            "pip": {"type": "Microsoft.Network/publicIPAddresses", "apiVersion": "2023-09-01", "name": "pip-fw",
                    "properties": {"publicIPAllocationMethod": "Static"}},
            "rt": {"type": "Microsoft.Network/routeTables", "apiVersion": "2023-09-01", "name": "rt-nodes",
                   "properties": {"routes": [{"name": "default", "properties": {
                       "addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance",
                       "nextHopIpAddress": "[reference('hubFw').ipConfigurations[0].properties.privateIPAddress]"}}],
                       "pipMethod": "[reference('pip').publicIPAllocationMethod]",
                       "pipAddress": "[reference('pip').ipAddress]"}}
        }
    });
    let x = run(t, &opts());
    assert_eq!(x.resources.len(), 2, "existing resources are not deployed");
    let rt = x
        .resources
        .iter()
        .find(|r| r.value["name"] == "rt-nodes")
        .unwrap();
    assert_eq!(rt.symbol.as_deref(), Some("rt"));
    assert_eq!(rt.origin.address.as_deref(), Some("rt"));
    let hop = &rt.value["properties"]["routes"][0]["properties"]["nextHopIpAddress"];
    assert!(reason(hop).contains("existing resource"), "{hop}");
    let at = refers_from_json(&hop[REFERS_MARKER]).unwrap();
    assert_eq!(
        &*at.id,
        "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hub/providers/Microsoft.Network/azureFirewalls/fw-hub"
    );
    assert_eq!(
        super::value::path_text(&at.path),
        "properties.ipConfigurations[0].properties.privateIPAddress"
    );
    assert_eq!(rt.value["properties"]["pipMethod"], "Static");
    let addr = refers_from_json(&rt.value["properties"]["pipAddress"][REFERS_MARKER]).unwrap();
    assert_eq!(super::value::path_text(&addr.path), "properties.ipAddress");
}

#[test]
fn conditions() {
    let t = json!({
        "parameters": {"withNat": {"type": "bool", "defaultValue": false}, "maybe": {"type": "bool"}},
        "resources": [
            {"condition": "[parameters('withNat')]", "type": "Microsoft.Network/natGateways", "apiVersion": "2023-09-01", "name": "nat"},
            {"condition": "[not(parameters('withNat'))]", "type": "Microsoft.Network/publicIPAddresses", "apiVersion": "2023-09-01", "name": "pip",
             "properties": {"natIsDeployed": "[reference('nat').provisioningState]"}},
            {"condition": "[parameters('maybe')]", "type": "Microsoft.Network/routeTables", "apiVersion": "2023-09-01", "name": "rt"}
        ]
    });
    let x = run(t, &opts());
    let names: Vec<&str> = x
        .resources
        .iter()
        .map(|r| r.value["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["pip"]);
    let r = reason(&x.resources[0].value["properties"]["natIsDeployed"]);
    assert!(r.contains("not deployed"), "{r}");
    let codes: Vec<&str> = x.notes.iter().map(|n| n.code).collect();
    assert_eq!(codes, ["INP040", "INP042"], "{:?}", x.notes);
    assert!(x.notes[0].message.contains("--param maybe=VALUE"));
}

#[test]
fn parameter_values_from_files_and_command_line() {
    let t = json!({
        "parameters": {"cidr": {"type": "string"}, "count": {"type": "int", "defaultValue": 1},
                       "pw": {"type": "securestring"}},
        "resources": [{"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2023-09-01",
                       "name": "[format('vnet-{0}', parameters('count'))]",
                       "properties": {"addressSpace": {"addressPrefixes": ["[parameters('cidr')]"]},
                                      "secret": "[parameters('pw')]"}}]
    });
    let mut o = opts();
    o.parameters = vec![
        GivenParam {
            name: "CIDR".into(),
            value: Given::Json(json!("10.9.0.0/16")),
            source: "p.json".into(),
            pointer: "/parameters/CIDR".into(),
        },
        GivenParam {
            name: "count".into(),
            value: Given::Text("7".into()),
            source: "--param".into(),
            pointer: String::new(),
        },
        GivenParam {
            name: "pw".into(),
            value: Given::Json(json!("hunter2-secret")),
            source: "p.json".into(),
            pointer: "/parameters/pw".into(),
        },
    ];
    let x = run(t.clone(), &o);
    let v = &x.resources[0].value;
    assert_eq!(v["name"], "vnet-7");
    assert_eq!(
        v["properties"]["addressSpace"]["addressPrefixes"][0],
        "10.9.0.0/16"
    );
    assert!(
        !v.to_string().contains("hunter2"),
        "secure values are never read"
    );
    o.parameters.push(GivenParam {
        name: "nope".into(),
        value: Given::Text("1".into()),
        source: "--param".into(),
        pointer: String::new(),
    });
    let e = expand(&t, FileId(0), &o, &[]).unwrap_err();
    assert!(e.message.contains("does not declare"), "{e:?}");
}

#[test]
fn template_errors_are_located() {
    let t = json!({"resources": [{"type": "Microsoft.Network/routeTables", "name": "rt",
        "properties": {"x": "[concat('a', parameters('missing'))]"}}]});
    let e = expand(&t, FileId(0), &opts(), &[]).unwrap_err();
    assert_eq!(e.pointer, "/resources/0/properties/x");
    assert_eq!(e.offset, Some(13));
    assert!(
        e.message.contains("declares no parameter 'missing'"),
        "{e:?}"
    );

    let t =
        json!({"resources": [{"type": "Microsoft.Network/routeTables", "name": "[concat('rt']"}]});
    let e = expand(&t, FileId(0), &opts(), &[]).unwrap_err();
    assert!(e.message.contains("invalid expression"), "{e:?}");
    assert_eq!(e.pointer, "/resources/0/name");

    let t = json!({"resources": {"a": 1}});
    let e = expand(&t, FileId(0), &opts(), &[]).unwrap_err();
    assert_eq!(e.pointer, "/resources/a");

    let t = json!({"variables": {"a": "[variables('b')]", "b": "[variables('a')]"},
                   "resources": [{"type": "Microsoft.Network/routeTables", "name": "[variables('a')]"}]});
    let e = expand(&t, FileId(0), &opts(), &[]).unwrap_err();
    assert!(e.message.contains("refers to itself"), "{e:?}");
}

#[test]
fn runtime_errors_and_unsupported_functions_are_unknown_values() {
    let t = json!({"resources": [{"type": "Microsoft.Network/routeTables", "apiVersion": "2023-09-01", "name": "rt",
        "properties": {"bad": "[substring('abc', 5)]", "future": "[someFutureFunction(1)]", "ok": "yes"}}]});
    let x = run(t, &opts());
    let p = &x.resources[0].value["properties"];
    assert!(reason(&p["bad"]).contains("outside the string"));
    assert!(reason(&p["future"]).contains("someFutureFunction() is not supported"));
    assert_eq!(p["ok"], "yes");
    assert_eq!(x.notes.len(), 1);
    assert_eq!(x.notes[0].code, "INP041");
    assert_eq!(
        x.notes[0].origin.loc,
        Loc::Pointer("/resources/0/properties/bad".into())
    );
}

#[test]
fn placeholders_when_the_scope_is_not_given() {
    let t = json!({"resources": [{"type": "Microsoft.Network/routeTables", "apiVersion": "2023-09-01",
        "name": "[concat('rt-', uniqueString(resourceGroup().id))]"},
        {"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2023-09-01", "name": "vnet",
         "location": "[resourceGroup().location]"}]});
    let x = run(t, &Options::default());
    assert_eq!(
        x.resources.len(),
        1,
        "a route table with an unknown name is not checked"
    );
    assert_eq!(
        x.resources[0].value["id"],
        "/subscriptions/{subscription-id}/resourceGroups/{resource-group}/providers/Microsoft.Network/virtualNetworks/vnet"
    );
    assert!(reason(&x.resources[0].value["location"]).contains("--location"));
    let codes: Vec<&str> = x.notes.iter().map(|n| n.code).collect();
    assert_eq!(codes, ["INP041", "INP044"], "{:?}", x.notes);
}

#[test]
fn unknown_copy_counts_and_module_loops() {
    let t = json!({
        "languageVersion": "2.0",
        "parameters": {"n": {"type": "int"}, "names": {"type": "array", "defaultValue": ["a", "b"]}},
        "resources": {
            "unknownLoop": {"copy": {"name": "l", "count": "[parameters('n')]"},
                            "type": "Microsoft.Network/routeTables", "apiVersion": "2023-09-01", "name": "[format('rt{0}', copyIndex())]"},
            "mods": {"copy": {"name": "mods", "count": "[length(parameters('names'))]"},
                     "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01",
                     "name": "[format('m-{0}', parameters('names')[copyIndex()])]",
                     "properties": {"expressionEvaluationOptions": {"scope": "inner"}, "mode": "Incremental",
                        "parameters": {"n": {"value": "[parameters('names')[copyIndex()]]"}},
                        "template": {"languageVersion": "2.0", "parameters": {"n": {"type": "string"}},
                            "resources": {"nsg": {"type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2023-09-01",
                                                  "name": "[format('nsg-{0}', parameters('n'))]"}}}}}
        }
    });
    let x = run(t, &opts());
    let syms: Vec<(&str, &str)> = x
        .resources
        .iter()
        .map(|r| {
            (
                r.value["name"].as_str().unwrap(),
                r.symbol.as_deref().unwrap(),
            )
        })
        .collect();
    assert_eq!(syms, [("nsg-a", "mods[0].nsg"), ("nsg-b", "mods[1].nsg")]);
    assert!(x.notes.iter().any(|n| n.code == "INP045"), "{:?}", x.notes);
}

#[test]
fn linked_templates_without_a_local_file_are_noted() {
    let t = json!({"resources": [{"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "linked",
        "properties": {"mode": "Incremental", "templateLink": {"uri": "https://example.invalid/t.json"}}},
        {"type": "Microsoft.Network/routeTables", "apiVersion": "2023-09-01", "name": "rt",
         "properties": {"x": "[reference('linked').outputs.id.value]"}}]});
    let x = run(t, &opts());
    assert!(x.notes.iter().any(|n| n.code == "INP043"), "{:?}", x.notes);
    assert!(reason(&x.resources[0].value["properties"]["x"]).contains("linked deployment"));
}

#[test]
fn user_defined_functions_in_templates() {
    let t = json!({
        "functions": [{"namespace": "net", "members": {"sub": {"parameters": [{"name": "cidr", "type": "string"}, {"name": "i", "type": "int"}],
                       "output": {"type": "string", "value": "[cidrSubnet(parameters('cidr'), 24, parameters('i'))]"}}}}],
        "resources": [{"type": "Microsoft.Network/virtualNetworks/subnets", "apiVersion": "2023-09-01", "name": "v/s",
                       "properties": {"addressPrefix": "[net.sub('10.0.0.0/16', 3)]"}}]
    });
    let x = run(t, &opts());
    assert_eq!(
        x.resources[0].value["properties"]["addressPrefix"],
        "10.0.3.0/24"
    );
}

/// One reason, one note: resources left out for the same reason are listed in one note.
#[test]
fn notes_about_left_out_resources_are_grouped_by_reason() {
    let t = json!({
        "parameters": {"suffix": {"type": "string"}},
        "resources": [
            {"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2024-05-01", "name": "[concat('vnet-', parameters('suffix'))]"},
            {"type": "Microsoft.Network/routeTables", "apiVersion": "2024-05-01", "name": "[concat('rt-', parameters('suffix'))]"},
            {"type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2024-05-01", "name": "[concat('nsg-', parameters('suffix'))]"},
            {"type": "Microsoft.Authorization/roleAssignments", "apiVersion": "2022-04-01", "name": "[guid(parameters('suffix'))]"}
        ]
    });
    let x = run(t, &opts());
    let codes: Vec<&str> = x.notes.iter().map(|n| n.code).collect();
    assert_eq!(codes, ["INP040", "INP041"], "{:?}", x.notes);
    let m = &x.notes[1].message;
    assert!(m.starts_with("the names of 3 resources are unknown"), "{m}");
    assert!(m.contains("Microsoft.Network/routeTables"), "{m}");
    assert!(
        !m.contains("roleAssignments"),
        "resources the model does not read are not listed: {m}"
    );
}

/// Modules in another subscription and resource group, extension resources with a `scope`.
#[test]
fn other_subscriptions_groups_and_extension_scopes() {
    let t = json!({
        "languageVersion": "2.0",
        "resources": {
            "vnet": {"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2024-05-01", "name": "vnet"},
            "lock": {"type": "Microsoft.Authorization/locks", "apiVersion": "2020-05-01", "name": "no-delete",
                     "scope": "[format('Microsoft.Network/virtualNetworks/{0}', 'vnet')]",
                     "properties": {"level": "CanNotDelete"}},
            "hub": {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "hub",
                    "subscriptionId": "11111111-1111-1111-1111-111111111111", "resourceGroup": "rg-hub",
                    "properties": {"expressionEvaluationOptions": {"scope": "inner"}, "mode": "Incremental",
                        "template": {"resources": [{"type": "Microsoft.Network/routeTables", "apiVersion": "2024-05-01",
                            "name": "rt", "properties": {"sub": "[subscription().subscriptionId]", "rg": "[resourceGroup().name]"}}],
                            "outputs": {"id": {"type": "string", "value": "[resourceId('Microsoft.Network/routeTables', 'rt')]"}}}}},
            "user": {"type": "Microsoft.Network/routeTables", "apiVersion": "2024-05-01", "name": "user",
                     "properties": {"hubRt": "[reference('hub').outputs.id.value]"}}
        }
    });
    let x = run(t, &opts());
    let rt = x
        .resources
        .iter()
        .find(|r| r.value["name"] == "rt")
        .unwrap();
    let hub_rt = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-hub/providers/Microsoft.Network/routeTables/rt";
    assert_eq!(rt.value["id"], hub_rt);
    assert_eq!(
        rt.value["properties"]["sub"],
        "11111111-1111-1111-1111-111111111111"
    );
    assert_eq!(rt.value["properties"]["rg"], "rg-hub");
    let user = x
        .resources
        .iter()
        .find(|r| r.value["name"] == "user")
        .unwrap();
    assert_eq!(user.value["properties"]["hubRt"], hub_rt);
    let lock = x
        .resources
        .iter()
        .find(|r| r.value["name"] == "no-delete")
        .unwrap();
    assert_eq!(
        lock.value["id"],
        format!(
            "{RG}/providers/Microsoft.Network/virtualNetworks/vnet/providers/Microsoft.Authorization/locks/no-delete"
        )
    );
}

/// Deployments nested deeper than the limit are an error, not a stack overflow.
#[test]
fn nesting_is_bounded() {
    let mut t = json!({"resources": [{"type": "Microsoft.Network/routeTables", "apiVersion": "2024-05-01", "name": "leaf"}]});
    for i in 0..40 {
        t = json!({"resources": [{"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01",
            "name": format!("d{i}"), "properties": {"mode": "Incremental", "template": t}}]});
    }
    let e = expand(&t, FileId(0), &opts(), &[]).unwrap_err();
    assert!(e.message.contains("nest more than"), "{e:?}");
}

/// A resource loop of 801 iterations is refused, as Azure refuses it.
#[test]
fn copy_counts_are_bounded() {
    let t = json!({"resources": [{"copy": {"name": "l", "count": 801}, "type": "Microsoft.Network/routeTables",
        "apiVersion": "2024-05-01", "name": "[format('rt{0}', copyIndex())]"}]});
    let e = expand(&t, FileId(0), &opts(), &[]).unwrap_err();
    assert!(e.message.contains("Azure allows"), "{e:?}");
    assert_eq!(e.pointer, "/resources/0/copy/count");
}
