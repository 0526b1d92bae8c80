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
    // a directory holding .tf files and a .tf file are read (tests/hcl.rs); HCL that is neither
    // is named below
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
            dir.write("prod.tfvars", "location = \"westeurope\"\n"),
            "is a Terraform variables file",
            "-var-file=",
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

/// With `--format json`, a run that cannot check still prints a JSON document on stdout:
/// verdict `error` and each error with where it is.
#[test]
fn json_format_input_errors_are_a_json_document() {
    let truncated = format!(
        "{}/testdata/malformed/truncated-plan.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = bin()
        .args([
            "check",
            "--format",
            "json",
            &truncated,
            "/nonexistent/plan.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "aks-preflight/report/v1");
    assert_eq!(v["verdict"], "error");
    assert!(v["findings"].as_array().unwrap().is_empty());
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{v:#}");
    assert!(
        errors[0]["file"]
            .as_str()
            .unwrap()
            .ends_with("truncated-plan.json")
    );
    assert_eq!(
        (errors[0]["line"].as_u64(), errors[0]["column"].as_u64()),
        (Some(22), Some(58))
    );
    assert_eq!(errors[0]["code"], "input::invalid");
    assert_eq!(errors[1]["file"], "/nonexistent/plan.json");
    // the diagnostics are still on stderr for the log
    assert!(String::from_utf8_lossy(&out.stderr).contains("not complete JSON"));
    // explain follows the same convention, with its own schema
    let out = bin()
        .args([
            "explain",
            "--format",
            "json",
            &scenario("lb-clean"),
            "--to",
            "mcr.microsoft.com:443/sctp",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "aks-preflight/explain/v1");
    assert_eq!(v["verdict"], "error");
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("sctp"));
}

#[test]
fn stdin_given_twice_is_a_usage_error() {
    let out = bin()
        .args(["check", "-", "-"])
        .write_stdin("{}")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("can be given only once"));
}

/// A full standard output is not a silent success: it is said on stderr, exit 2.
#[test]
fn a_full_stdout_is_reported_with_exit_2() {
    if !std::path::Path::new("/dev/full").exists() {
        return;
    }
    let plan = scenario("nsg-deny-internet-443");
    for args in [
        vec!["check", plan.as_str()],
        vec!["check", "--format", "json", plan.as_str()],
        vec!["requirements", "--format", "terraform", plan.as_str()],
        vec![
            "explain",
            plan.as_str(),
            "--to",
            "mcr.microsoft.com:443/tcp",
        ],
        vec!["rules"],
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("aks-preflight"))
            .args(&args)
            .env("NO_COLOR", "1")
            .stdout(full)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("cannot write to standard output"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn explain_takes_urls_echoes_the_protocol_and_lists_pools() {
    let plan = scenario("hub-fw-aks-tag");
    let out = bin()
        .args(["explain", &plan, "--to", "https://mcr.microsoft.com/"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("-> mcr.microsoft.com:443/https"),
        "{stdout}"
    );
    let out = bin()
        .args(["explain", &plan, "--to", "mcr.microsoft.com:443/tcp"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("-> mcr.microsoft.com:443/tcp"));
    let out = bin()
        .args([
            "explain",
            &plan,
            "--to",
            "mcr.microsoft.com:443/tcp",
            "--pool",
            "nope",
        ])
        .output()
        .unwrap();
    let stderr = unwrapped(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("no node pool `nope`"), "{stderr}");
    assert!(
        stderr.contains("the node pools are: system (cluster azurerm_kubernetes_cluster.aks)"),
        "{stderr}"
    );
}

#[test]
fn help_shows_examples_and_exit_codes() {
    for args in [
        vec!["--help"],
        vec!["check", "--help"],
        vec!["explain", "--help"],
        vec!["requirements", "--help"],
    ] {
        let out = bin().args(&args).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(stdout.contains("Examples:"), "{args:?}: {stdout}");
        assert!(
            stdout.contains("Exit codes:") && stdout.contains("  2  "),
            "{args:?}: {stdout}"
        );
    }
}

/// A rule id where catalogue endpoint ids go is refused with the key that accepts findings.
#[test]
fn config_disable_of_a_rule_points_at_waivers() {
    let dir = Scratch::new("disable");
    let config = dir.write("aks-preflight.toml", "disable = [\"NSG001\"]\n");
    let out = bin()
        .args(["check", "--config", &config, &scenario("lb-clean")])
        .output()
        .unwrap();
    let stderr = unwrapped(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("`NSG001` is a rule"), "{stderr}");
    assert!(stderr.contains("[[waiver]]"), "{stderr}");
    let config = dir.write("aks-preflight.toml", "disable = [\"public.mcrr\"]\n");
    let out = bin()
        .args(["check", "--config", &config, &scenario("lb-clean")])
        .output()
        .unwrap();
    let stderr = unwrapped(&out.stderr);
    assert!(stderr.contains("did you mean public.mcr"), "{stderr}");
    assert!(!stderr.contains("policies/endpoints.toml"), "{stderr}");
}
