//! ARM twins: each `testdata/arm-twins/<name>/` is a Bicep-compiled template of the deployment
//! `testdata/scenarios/<name>/plan.json` plans. Both are checked at run time and must give the
//! same verdicts (overall, per node pool and endpoint, and the rules that fire): the Terraform
//! scenario's `expected.toml` is the oracle for both, whatever it currently says. The what-if
//! output of the hub-and-spoke twin must agree too, and the twin's findings must point into
//! the template and name the Bicep symbols.

#[path = "common/check_args.rs"]
mod check_args;

use aks_preflight::analysis;
use aks_preflight::cli::args::InputArgs;
use aks_preflight::cli::commands::load;
use aks_preflight::report::{self, Report};
use aks_preflight::source::SourceMap;
use assert_cmd::Command as Bin;
use predicates::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const TWINS: &[&str] = &[
    "lb-clean",
    "nsg-deny-internet-443",
    "udr-default-to-none",
    "user-nat-missing",
    "hub-fw-aks-tag",
    "fw-dns-without-proxy",
    "hub-fw-missing-fqdns",
    "private-byo-zone-not-linked",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The check's input arguments of a twin (`check.args`), with its files named from the
/// repository root.
fn twin_args(name: &str) -> InputArgs {
    check_args::check_args_in(&root(), &Path::new("testdata/arm-twins").join(name))
}

fn check(args: &InputArgs) -> (Report, SourceMap) {
    std::env::set_current_dir(root()).unwrap();
    let l = load(args).unwrap_or_else(|code| panic!("{:?}: exit {code}", args.inputs));
    let report = analysis::check(&l.model, &l.catalogue, &l.config, &l.options);
    (report, l.sources)
}

fn plan_args(path: &str) -> InputArgs {
    InputArgs {
        inputs: vec![path.to_string()],
        ..Default::default()
    }
}

/// What must agree: the overall verdict, every (pool, host, port, protocol) verdict, and the
/// rules that fire (input notes differ by format and are left out).
#[derive(Debug, PartialEq)]
struct Conclusions {
    verdict: String,
    egress: BTreeMap<(String, String, u16, String), String>,
    rules: BTreeSet<String>,
}

fn conclusions(r: &Report) -> Conclusions {
    let verdict = r.verdict().as_str().to_string();
    let mut egress = BTreeMap::new();
    for c in &r.clusters {
        for p in &c.node_pools {
            for e in &p.egress {
                egress.insert(
                    (p.name.clone(), e.host.clone(), e.port, e.protocol.clone()),
                    e.verdict.as_str().to_string(),
                );
            }
        }
    }
    let rules = r
        .findings
        .iter()
        .map(|f| f.rule.clone())
        .filter(|x| !x.starts_with("INP"))
        .collect();
    Conclusions {
        verdict,
        egress,
        rules,
    }
}

#[test]
fn twins_agree_with_their_terraform_plans() {
    let mut mismatches = vec![];
    for name in TWINS {
        let (arm, _) = check(&twin_args(name));
        let (tf, _) = check(&plan_args(&format!("testdata/scenarios/{name}/plan.json")));
        let (a, t) = (conclusions(&arm), conclusions(&tf));
        assert!(!t.egress.is_empty(), "{name}: the plan has no egress rows");
        if a != t {
            mismatches.push(format!("{name}:\n  ARM       {a:?}\n  Terraform {t:?}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn what_if_agrees_with_the_template_and_the_plan() {
    let (wi, _) = check(&plan_args(
        "testdata/arm-twins/fw-dns-without-proxy/whatif.json",
    ));
    let (tf, _) = check(&plan_args(
        "testdata/scenarios/fw-dns-without-proxy/plan.json",
    ));
    let (arm, _) = check(&twin_args("fw-dns-without-proxy"));
    assert_eq!(conclusions(&wi), conclusions(&tf));
    assert_eq!(conclusions(&wi), conclusions(&arm));
}

/// The hub-and-spoke DNS twin's finding points into main.json at the spoke's DNS server and
/// names the Bicep symbols and the lines that declare them.
#[test]
fn findings_point_into_the_template_and_name_the_bicep_symbols() {
    let (r, mut sources) = check(&twin_args("fw-dns-without-proxy"));
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == "DNS002")
        .expect("DNS002");
    assert!(
        f.message.contains("spokeVnet (main.bicep:")
            && f.message.contains("hub.fw (modules/hub.bicep:"),
        "{}",
        f.message
    );
    let help = f.help.as_deref().unwrap_or_default();
    assert!(help.contains("hub.fwPolicy (modules/hub.bicep:"), "{help}");
    let json: serde_json::Value =
        serde_json::from_str(&report::json::render(&r, &mut sources)).unwrap();
    let loc = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "DNS002")
        .unwrap()["locations"][0]
        .clone();
    assert_eq!(
        loc["file"],
        "testdata/arm-twins/fw-dns-without-proxy/main.json"
    );
    let text =
        std::fs::read_to_string(root().join("testdata/arm-twins/fw-dns-without-proxy/main.json"))
            .unwrap();
    let line = text
        .lines()
        .nth(loc["line"].as_u64().unwrap() as usize - 1)
        .unwrap();
    assert!(
        line.contains("reference('hub').outputs.firewallPrivateIp.value"),
        "{line}"
    );
    // the declarations named are the lines of main.bicep and modules/hub.bicep
    let bicep =
        std::fs::read_to_string(root().join("testdata/arm-twins/fw-dns-without-proxy/main.bicep"))
            .unwrap();
    let n: usize = f
        .message
        .split("spokeVnet (main.bicep:")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        bicep
            .lines()
            .nth(n - 1)
            .unwrap()
            .starts_with("resource spokeVnet ")
    );
}

fn bin() -> Bin {
    let mut c = Bin::cargo_bin("aks-preflight").unwrap();
    c.current_dir(root());
    c
}

#[test]
fn the_hub_and_spoke_example_runs_from_the_command_line() {
    bin()
        .current_dir(root().join("testdata/arm-twins/fw-dns-without-proxy"))
        .args([
            "check",
            "main.json",
            "--parameters",
            "main.parameters.json",
            "--resource-group",
            "rg-aks-prod-weu",
            "--subscription",
            "3f2c9b1e-7d4a-4c8e-9a51-2b6f0d8e1c47",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("DNS002"))
        .stdout(predicate::str::contains("hub.fwPolicy (modules/hub.bicep:"))
        .stdout(predicate::str::contains("INP044").not());
}

#[test]
fn malformed_templates_exit_2_with_the_location() {
    let dir = tempdir("malformed");
    let t = dir.join("main.json");
    std::fs::write(
        &t,
        "{\n  \"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\",\n  // ARM accepts comments\n  \"resources\": [\n    {\"type\": \"Microsoft.Network/routeTables\", \"apiVersion\": \"2024-05-01\",\n     \"name\": \"[concat('rt', parameters('missing'))]\"}\n  ]\n}\n",
    )
    .unwrap();
    bin()
        .args(["check", &t.display().to_string()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("parameter 'missing'"))
        .stderr(predicate::str::contains("main.json:6:"))
        .stderr(predicate::str::contains("panicked").not());
    std::fs::write(&t, "{\"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\", \"resources\": [ // cut\n").unwrap();
    bin()
        .args(["check", &t.display().to_string()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not valid JSON"))
        .stderr(predicate::str::contains("panicked").not());
}

/// A function aks-preflight does not implement makes what depends on it unknown: an unknown
/// verdict with the function named, not a failure to read the template.
#[test]
fn unknown_functions_give_unknown_verdicts() {
    let src =
        std::fs::read_to_string(root().join("testdata/arm-twins/udr-default-to-none/main.json"))
            .unwrap();
    let changed = src.replace(
        "\"nextHopType\": \"None\"",
        "\"nextHopType\": \"VirtualAppliance\",\n                \"nextHopIpAddress\": \"[someFutureFunction('fw')]\"",
    );
    assert_ne!(src, changed);
    let dir = tempdir("unknown-fn");
    std::fs::write(dir.join("main.json"), changed).unwrap();
    let out = bin()
        .args([
            "check",
            &dir.join("main.json").display().to_string(),
            "--param",
            "location=westeurope",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["verdict"], "unknown");
    let rows = r["clusters"][0]["node_pools"][0]["egress"]
        .as_array()
        .unwrap();
    assert!(rows.iter().any(|e| e["verdict"] == "unknown"
        && e["reason"].as_str().unwrap().contains("someFutureFunction")));
}

#[test]
fn template_options_without_a_template_are_a_usage_error() {
    bin()
        .args([
            "check",
            "testdata/scenarios/lb-clean/plan.json",
            "--param",
            "a=b",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("apply to ARM templates"));
}

/// stdout and stderr of a run.
fn everything(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("aks-preflight-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Secure parameter values (a parameters file, `--param`) and Key Vault references never reach
/// any output, also when the parameters file is broken.
#[test]
fn secure_parameter_values_never_reach_an_output() {
    const SECRET: &str = "SECRET-SHOULD-NOT-BE-PRINTED";
    let dir = tempdir("secure");
    let template = std::fs::read_to_string(root().join("testdata/arm-twins/lb-clean/main.json"))
        .unwrap()
        .replace(
            "\"parameters\": {",
            "\"parameters\": {\n    \"adminPassword\": {\"type\": \"securestring\"},\n    \"kvSecret\": {\"type\": \"securestring\"},",
        )
        .replace(
            "\"dnsPrefix\": \"[parameters('clusterName')]\",",
            "\"dnsPrefix\": \"[parameters('clusterName')]\",\n        \"windowsProfile\": {\"adminUsername\": \"azureadmin\", \"adminPassword\": \"[parameters('adminPassword')]\"},\n        \"tags\": {\"x\": \"[concat(parameters('kvSecret'), parameters('adminPassword'))]\"},",
        );
    assert!(template.contains("adminPassword"));
    std::fs::write(dir.join("main.json"), template).unwrap();
    let params = serde_json::json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {
            "location": {"value": "westeurope"},
            "adminPassword": {"value": SECRET},
            "kvSecret": {"reference": {"keyVault": {"id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.KeyVault/vaults/kv"}, "secretName": "pw"}}
        }
    });
    std::fs::write(dir.join("p.json"), params.to_string()).unwrap();
    let t = dir.join("main.json").display().to_string();
    let p = dir.join("p.json").display().to_string();
    for extra in [
        vec![],
        vec!["--param".to_string(), format!("adminPassword={SECRET}")],
    ] {
        for format in ["human", "json"] {
            let out = bin()
                .args(["check", &t, "--parameters", &p, "--format", format])
                .args(&extra)
                .output()
                .unwrap();
            let all = everything(&out);
            assert!(out.status.code() == Some(0), "{all}");
            assert!(!all.contains(SECRET), "{format}: {all}");
        }
    }
    // a broken parameters file: the error excerpt shows no value
    std::fs::write(
        dir.join("p.json"),
        format!("{{\"parameters\": {{\"adminPassword\": {{\"value\": \"{SECRET}\"}}, "),
    )
    .unwrap();
    let out = bin()
        .args(["check", &t, "--parameters", &p])
        .output()
        .unwrap();
    let all = everything(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(!all.contains(SECRET), "{all}");
}

/// A linked template that sits beside the main one (`templateLink.relativePath`) is read, and
/// its resources point into its own file; a linked URI is noted as not checked.
#[test]
fn linked_templates_beside_the_main_one_are_read() {
    let dir = tempdir("linked");
    std::fs::create_dir_all(dir.join("nested")).unwrap();
    let schema = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";
    let main = serde_json::json!({
        "$schema": schema, "contentVersion": "1.0.0.0",
        "resources": [
            {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "net",
             "properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"},
                            "templateLink": {"relativePath": "nested/net.json"},
                            "parameters": {"rtName": {"value": "rt-linked"}}}},
            {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "remote",
             "properties": {"mode": "Incremental", "templateLink": {"uri": "https://example.invalid/t.json"}}}
        ]
    });
    let nested = serde_json::json!({
        "$schema": schema, "contentVersion": "1.0.0.0",
        "parameters": {"rtName": {"type": "string"}},
        "resources": [{"type": "Microsoft.Network/routeTables", "apiVersion": "2024-05-01",
                       "name": "[parameters('rtName')]", "location": "westeurope",
                       "properties": {"routes": [{"name": "default", "properties": {"addressPrefix": "0.0.0.0/0", "nextHopType": "None"}}]}}]
    });
    std::fs::write(
        dir.join("main.json"),
        serde_json::to_string_pretty(&main).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join("nested/net.json"),
        serde_json::to_string_pretty(&nested).unwrap(),
    )
    .unwrap();
    let mut sources = aks_preflight::source::SourceMap::new();
    let opts = aks_preflight::input::LoadOptions::default();
    let (kind, model) = aks_preflight::input::load_path_with(
        &mut sources,
        &dir.join("main.json").display().to_string(),
        &opts,
    )
    .unwrap();
    assert_eq!(kind, aks_preflight::input::InputKind::ArmTemplate);
    assert_eq!(model.route_tables.len(), 1);
    let rt = &model.route_tables[0];
    assert_eq!(rt.meta.name.known().map(String::as_str), Some("rt-linked"));
    let file = rt.meta.origin.file.unwrap();
    assert!(
        sources.get(file).name.ends_with("net.json"),
        "{}",
        sources.get(file).name
    );
    assert!(
        model
            .input_notes
            .iter()
            .any(|n| n.code == "INP043" && n.message.contains("https://example.invalid/t.json")),
        "{:?}",
        model.input_notes
    );
}
