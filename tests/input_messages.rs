//! What the binary says about each kind of input: CI wrapper output, minified plans (real line
//! and column), wrong kinds of file, and errors in machine-readable form.

use assert_cmd::Command;
use std::path::PathBuf;

fn bin() -> Command {
    let mut c = Command::cargo_bin("aks-preflight").expect("binary builds");
    c.env("NO_COLOR", "1");
    c
}

fn scenario(name: &str) -> String {
    format!(
        "{}/testdata/scenarios/{name}/plan.json",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// A scratch directory for generated inputs, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let d = std::env::temp_dir().join(format!(
            "aks-preflight-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&d).unwrap();
        Scratch(d)
    }
    fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, bytes).unwrap();
        p.display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Output with miette's and the help's line wrapping undone (one space per break).
fn unwrapped(out: &[u8]) -> String {
    let text = String::from_utf8_lossy(out);
    let mut s = String::new();
    for line in text.lines() {
        let t = line.trim_start();
        let cont = t
            .strip_prefix("│ ")
            .or_else(|| (line.starts_with("        ") && !s.is_empty()).then_some(t));
        match cont {
            Some(c) => {
                s.push(' ');
                s.push_str(c);
            }
            None => {
                s.push('\n');
                s.push_str(line);
            }
        }
    }
    s
}

fn minified(name: &str) -> String {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(scenario(name)).unwrap()).unwrap();
    serde_json::to_string(&v).unwrap()
}

#[test]
fn setup_terraform_wrapper_output_is_read_with_a_warning() {
    let dir = Scratch::new("wrapper");
    let plan = minified("nsg-deny-internet-443");
    let wrapped = dir.write(
        "plan.json",
        format!(
            "[command]/home/runner/work/_temp/0a1b/terraform-bin show -json tfplan\n{plan}\n::debug::Terraform exited with code 0.\n::debug::stdout: {plan}\n::set-output name=exitcode::0\n"
        ),
    );
    let out = bin().args(["check", &wrapped]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("INP010"), "{stdout}");
    assert!(stdout.contains("terraform_wrapper: false"), "{stdout}");
    assert!(stdout.contains("NSG001"), "{stdout}");
    assert!(!stdout.contains("::debug::Terraform") && !stdout.contains("_temp/0a1b"));
    // the same lines around a broken plan: an error that names the wrapper, no body printed
    let broken = dir.write(
        "broken.json",
        format!(
            "[command]/usr/bin/terraform show -json tfplan\n{}",
            &plan[..plan.len() / 2]
        ),
    );
    let out = bin().args(["check", &broken]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("terraform_wrapper: false"), "{stderr}");
    assert!(stderr.lines().all(|l| l.chars().count() < 200), "{stderr}");
}

#[test]
fn minified_plans_are_located_at_their_real_line_and_column() {
    let dir = Scratch::new("minified");
    let plan = dir.write("plan.json", minified("nsg-deny-internet-443"));
    let json = bin()
        .args(["check", "--format", "json", &plan])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let nsg = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "NSG001")
        .unwrap();
    let (line, column) = (
        nsg["locations"][0]["line"].as_u64().unwrap(),
        nsg["locations"][0]["column"].as_u64().unwrap(),
    );
    assert_eq!(line, 1);
    assert!(column > 1000, "{column}");
    let human = bin().args(["check", &plan]).output().unwrap();
    let human = String::from_utf8_lossy(&human.stdout);
    assert!(
        human.contains(&format!("plan.json:{line}:{column}]")),
        "the diagnostic header gives the JSON report's position:\n{human}"
    );
    // the excerpt of the single line is short
    let excerpt: Vec<&str> = human.lines().filter(|l| l.starts_with(" 1 │")).collect();
    assert!(!excerpt.is_empty(), "{human}");
    assert!(excerpt.iter().all(|l| l.chars().count() < 120), "{human}");
}

/// Each kind of input no reader takes gets a message naming what it is, and what to do.
#[test]
fn every_wrong_kind_of_input_is_named() {
    let dir = Scratch::new("kinds");
    let utf16: Vec<u8> = [0xFFu8, 0xFE]
        .into_iter()
        .chain(
            minified("lb-clean")
                .encode_utf16()
                .flat_map(|u| u.to_le_bytes()),
        )
        .collect();
    let corpus = |p: &str| format!("{}/../shared/corpus/{p}", env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(dir.0.join("empty-dir")).unwrap();
    std::fs::create_dir_all(dir.0.join("module")).unwrap();
    std::fs::write(
        dir.0.join("module/main.tf"),
        "resource \"azurerm_subnet\" \"x\" {}\n",
    )
    .unwrap();
    let cases: Vec<(String, &str, &str)> = vec![
        (dir.write("empty.json", ""), "is empty", "printed nothing"),
        (
            dir.write("ps.json", utf16),
            "is UTF-16 text",
            "Out-File -Encoding utf8",
        ),
        (
            dir.write("tfplan", b"PK\x03\x04\x14\x00\x08\x00tfplan/plan"),
            "is a binary Terraform plan file",
            "terraform show -json",
        ),
        (
            dir.write("noise.bin", [0x7Bu8, 0xFF, 0xFE, 0x00, 0x41]),
            "is not text",
            "terraform show -json",
        ),
        (
            dir.0.join("empty-dir").display().to_string(),
            "directory without Terraform configuration",
            "pass a file",
        ),
        (
            dir.0.join("module").display().to_string(),
            "is Terraform configuration (HCL)",
            "HCL is not read yet",
        ),
        (
            dir.write("prod.tfvars", "location = \"westeurope\"\n"),
            "is a Terraform variables file",
            "-var-file=",
        ),
        (
            dir.write("main.tf", "resource \"azurerm_subnet\" \"x\" {}\n"),
            "is Terraform configuration (HCL)",
            "terraform show -json",
        ),
        (
            dir.write("main.bicep", "param location string\n"),
            "is Bicep source",
            "az bicep build",
        ),
        // Bicep without its extension (a pipe, a renamed file)
        (
            dir.write(
                "main.txt",
                "targetScope = 'resourceGroup'\nparam location string\n",
            ),
            "is Bicep source",
            "az bicep build",
        ),
        (
            dir.write(
                "config.txt",
                "terraform {\n  required_version = \">= 1.5\"\n}\n",
            ),
            "is Terraform configuration (HCL)",
            "terraform plan",
        ),
        // ARM templates and what-if output are read (tests/arm_twins.rs, tests/arm_corpus.rs);
        // a parameters file alone is not
        (
            corpus(
                "arm-templates/private-aks-cluster/templates/one-node-pool/azuredeploy.parameters.json",
            ),
            "is an ARM parameters file",
            "--parameters",
        ),
    ];
    for (path, what, todo) in cases {
        let out = bin().args(["check", &path]).output().unwrap();
        let stderr = unwrapped(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{path}: {stderr}");
        assert!(
            stderr.contains(what),
            "{path}: expected `{what}`:\n{stderr}"
        );
        assert!(
            stderr.contains(todo),
            "{path}: expected `{todo}`:\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{path}: {stderr}");
    }
    // stdin is classified the same way
    let out = bin()
        .args(["check", "-"])
        .write_stdin("resource \"azurerm_subnet\" \"x\" {}\n")
        .output()
        .unwrap();
    assert!(unwrapped(&out.stderr).contains("is Terraform configuration (HCL)"));
}

/// `az … show` output of resources that have no AKS cluster is read and named, not refused.
#[test]
fn az_outputs_are_read_as_azure_resources() {
    for (f, read) in [
        ("az-network-vnet-peering-show.json", "1 peering"),
        (
            "az-network-firewall-policy-rule-collection-group-show.json",
            "1 rule collection group",
        ),
    ] {
        let path = format!("{}/../shared/corpus/az-cli/{f}", env!("CARGO_MANIFEST_DIR"));
        let out = bin().args(["check", &path]).output().unwrap();
        let stdout = unwrapped(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{f}: {stdout}");
        assert!(stdout.contains("INP008"), "{f}: {stdout}");
        assert!(stdout.contains(read), "{f}: {stdout}");
    }
}
