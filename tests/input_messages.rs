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
