//! `aks-preflight az …` end to end: every `testdata/azcli/<name>/command.txt` is run as a user
//! runs it (in its folder, the existing resources given with `--snapshot`) and checked against
//! its `expected.toml` (exit code, verdict, rules, findings, the files and lines findings point
//! at, per-endpoint verdicts); the human output is snapshotted.

use assert_cmd::Command;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
struct Expected {
    exit_code: i32,
    verdict: String,
    rules: Vec<String>,
    #[serde(default)]
    finding: Vec<ExpFinding>,
    #[serde(default)]
    locations: Vec<ExpLocation>,
    #[serde(default)]
    egress: Vec<ExpEgress>,
}

#[derive(Debug, Deserialize)]
struct ExpFinding {
    rule: String,
    pool: Option<String>,
    endpoint: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ExpLocation {
    rule: String,
    file: String,
    line: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct ExpEgress {
    pool: String,
    host: String,
    port: u16,
    protocol: String,
    verdict: String,
}

fn scenarios() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/azcli");
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("command.txt").exists())
        .collect();
    out.sort();
    assert!(out.len() >= 3, "{out:?}");
    out
}

/// The words of `command.txt` after `aks-preflight` (no quoting in these files).
fn words(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("command.txt")).unwrap();
    let mut w: Vec<String> = text
        .replace("\\\n", " ")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    assert_eq!(w.remove(0), "aks-preflight");
    w
}

fn run(dir: &Path, extra: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("aks-preflight")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .args(words(dir))
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

fn check(dir: &Path) -> Vec<String> {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let exp: Expected =
        toml::from_str(&std::fs::read_to_string(dir.join("expected.toml")).unwrap()).unwrap();
    let (code, out) = run(dir, &["--format", "json"]);
    let rep: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{name}: {e}\n{out}"));
    let mut errs = vec![];
    if code != exp.exit_code {
        errs.push(format!("{name}: exit {code}, expected {}", exp.exit_code));
    }
    if rep["verdict"] != exp.verdict.as_str() {
        errs.push(format!(
            "{name}: verdict {}, expected {}",
            rep["verdict"], exp.verdict
        ));
    }
    let findings = rep["findings"].as_array().unwrap();
    let fired: BTreeSet<&str> = findings
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .filter(|r| !r.starts_with("INP"))
        .collect();
    let want: BTreeSet<&str> = exp.rules.iter().map(String::as_str).collect();
    if fired != want {
        errs.push(format!("{name}: rules {fired:?}, expected {want:?}"));
    }
    for ef in &exp.finding {
        let ok = findings.iter().any(|f| {
            f["rule"] == ef.rule.as_str()
                && ef
                    .pool
                    .as_ref()
                    .is_none_or(|p| f["node_pool"] == p.as_str())
                && ef.endpoint.as_ref().is_none_or(|e| {
                    f["message"]
                        .as_str()
                        .is_some_and(|m| m.contains(e.as_str()))
                })
        });
        if !ok {
            errs.push(format!("{name}: no finding {ef:?}"));
        }
    }
    for el in &exp.locations {
        let ok = findings
            .iter()
            .filter(|f| f["rule"] == el.rule.as_str())
            .all(|f| {
                f["locations"].as_array().unwrap().iter().any(|l| {
                    l["file"] == el.file.as_str() && el.line.is_none_or(|n| l["line"] == n)
                })
            });
        if !ok {
            errs.push(format!(
                "{name}: a {} finding does not point at {el:?}",
                el.rule
            ));
        }
    }
    for ee in &exp.egress {
        let got = rep["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["node_pools"].as_array().unwrap())
            .filter(|p| p["name"] == ee.pool.as_str())
            .flat_map(|p| p["egress"].as_array().unwrap())
            .find(|e| {
                e["host"] == ee.host.as_str()
                    && e["port"] == ee.port
                    && e["protocol"] == ee.protocol.as_str()
            })
            .map(|e| e["verdict"].as_str().unwrap_or("").to_string());
        if got.as_deref() != Some(ee.verdict.as_str()) {
            errs.push(format!(
                "{name}: {} {}:{}/{} is {got:?}, expected {}",
                ee.pool, ee.host, ee.port, ee.protocol, ee.verdict
            ));
        }
    }
    errs
}

#[test]
fn az_command_lines_match_their_oracles() {
    let errs: Vec<String> = scenarios().iter().flat_map(|d| check(d)).collect();
    assert!(errs.is_empty(), "{}", errs.join("\n"));
}

#[test]
fn az_command_lines_human_output() {
    for dir in scenarios() {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let (_, out) = run(&dir, &["--problems-only"]);
        insta::assert_snapshot!(format!("azcli-{name}"), out);
    }
}

#[test]
fn oracles_name_only_registered_rules() {
    let rules: BTreeSet<String> = aks_preflight::analysis::registry::rules()
        .iter()
        .map(|r| r.id.to_string())
        .collect();
    for dir in scenarios() {
        let exp: Expected =
            toml::from_str(&std::fs::read_to_string(dir.join("expected.toml")).unwrap()).unwrap();
        for r in &exp.rules {
            assert!(rules.contains(r), "{}: unknown rule {r}", dir.display());
        }
    }
}

fn az(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("aks-preflight")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .arg("az")
        .args(args)
        .output()
        .unwrap()
}

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/azcli")
        .join(name)
}

#[test]
fn a_command_az_rejects_exits_2_pointing_at_the_argument() {
    let out = az(
        &scenario("udr-hub-fw-missing-aks-rules"),
        &[
            "aks",
            "create",
            "-g",
            "rg",
            "-n",
            "aks",
            "--outbound-type",
            "userDefinedRouting",
            "--snapshot",
            "spoke.json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "would be rejected: --vnet-subnet-id must be specified for userDefinedRouting"
        ),
        "{err}"
    );
    assert!(
        err.contains("[command line:4:3]") && err.contains("--outbound-type userDefinedRouting"),
        "{err}"
    );
}

#[test]
fn az_output_and_own_output_side_by_side() {
    let dir = scenario("udr-hub-fw-missing-aks-rules");
    let tmp =
        std::env::temp_dir().join(format!("aks-preflight-azcli-{}.sarif", std::process::id()));
    let mut args = words(&dir);
    args.remove(0); // az
    args.extend(
        [
            "-o",
            "table",
            "--query",
            "id",
            "--only-show-errors",
            "--output",
        ]
        .map(String::from),
    );
    args.push(format!("sarif={}", tmp.display()));
    args.push("--quiet".into());
    let out = Command::cargo_bin("aks-preflight")
        .unwrap()
        .current_dir(&dir)
        .arg("az")
        .args(&args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(&tmp).unwrap()).unwrap();
    let _ = std::fs::remove_file(&tmp);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "FWL001"));
}

#[test]
fn nodepool_add_needs_its_cluster() {
    let out = az(
        &scenario("nodepool-add-nsg-deny"),
        &[
            "aks",
            "nodepool",
            "add",
            "-g",
            "rg-aks-prod-weu",
            "--cluster-name",
            "other",
            "-n",
            "np3",
            "--snapshot",
            "spoke.json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cluster rg-aks-prod-weu/managedClusters/other is not in the inputs"),
        "{err}"
    );
    assert!(
        err.contains("az aks show -g rg-aks-prod-weu -n other -o json"),
        "{err}"
    );
    // a pool that exists already: az refuses
    let out = az(
        &scenario("nodepool-add-nsg-deny"),
        &[
            "aks",
            "nodepool",
            "add",
            "-g",
            "rg-aks-prod-weu",
            "--cluster-name",
            "aks-prod-weu",
            "-n",
            "system",
            "--snapshot",
            "cluster.json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Node pool system already exists"));
    // without --vnet-subnet-id the pool joins the subnet of the existing pools
    let out = az(
        &scenario("nodepool-add-nsg-deny"),
        &[
            "aks",
            "nodepool",
            "add",
            "-g",
            "rg-aks-prod-weu",
            "--cluster-name",
            "aks-prod-weu",
            "-n",
            "np3",
            "--snapshot",
            "cluster.json",
            "--snapshot",
            "spoke.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rep: Value = serde_json::from_slice(&out.stdout).unwrap();
    let pools = rep["clusters"][0]["node_pools"].as_array().unwrap();
    let np3 = pools.iter().find(|p| p["name"] == "np3").unwrap();
    assert!(
        np3["subnet"]
            .as_str()
            .unwrap()
            .ends_with("subnets/snet-system")
    );
}

#[test]
fn help_and_usage() {
    let dir = scenario("udr-hub-fw-aks-tag");
    let out = az(&dir, &["aks", "create", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("--snapshot <FILE>") && help.contains("--fail-on"),
        "{help}"
    );
    let out = az(&dir, &["vm", "create", "-g", "rg"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a command aks-preflight reads"));
    // an argument aks-preflight does not know is a note, never a failure
    let mut args: Vec<String> = words(&dir);
    args.remove(0);
    args.push("--enable-something-new".into());
    let out = Command::cargo_bin("aks-preflight")
        .unwrap()
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .arg("az")
        .args(&args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("AZC001"));
}

#[test]
fn nodepool_add_into_another_vnet_is_rejected_by_aks() {
    let other = "/subscriptions/3f2c9b1e-7d4a-4c8e-9a51-2b6f0d8e1c47/resourceGroups/rg-aks-prod-weu/providers/Microsoft.Network/virtualNetworks/vnet-other/subnets/snet-x";
    let out = az(
        &scenario("nodepool-add-nsg-deny"),
        &[
            "aks",
            "nodepool",
            "add",
            "-g",
            "rg-aks-prod-weu",
            "--cluster-name",
            "aks-prod-weu",
            "-n",
            "np3",
            "--vnet-subnet-id",
            other,
            "--snapshot",
            "cluster.json",
            "--snapshot",
            "spoke.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rep: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "AZC002")
        .expect("AZC002");
    assert_eq!(f["node_pool"], "np3");
    assert!(f["message"].as_str().unwrap().contains("vnet-other"), "{f}");
    let files: Vec<&str> = f["locations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["file"].as_str())
        .collect();
    assert_eq!(files, ["command line", "cluster.json"]);
}
