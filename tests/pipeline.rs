//! CI outputs end to end, through the binary: SARIF (validated against the official 2.1.0 schema),
//! JUnit (read back with a strict XML parser), Markdown, GitHub annotations and the job summary,
//! stable fingerprints, waivers (config file) and baselines.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

const NSG_DENY: &str = "testdata/scenarios/nsg-deny-internet-443/plan.json";
const FW_MISSING: &str = "testdata/scenarios/hub-fw-missing-fqdns/plan.json";
const APPLIANCE: &str = "testdata/scenarios/unknown-appliance/plan.json";
const DNS_UNREACHABLE: &str = "testdata/scenarios/custom-dns-first-unreachable/plan.json";

/// The binary, run from the repository root (relative paths in outputs), outside GitHub
/// Actions, on a fixed date.
fn bin() -> Command {
    let mut c = Command::cargo_bin("aks-preflight").expect("binary builds");
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env("AKS_PREFLIGHT_TODAY", "2026-06-15")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_WORKSPACE");
    c
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "aks-preflight-pipeline-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Run `check` writing SARIF to a file; return the parsed log.
fn sarif_of(dir: &Path, name: &str, args: &[&str]) -> Value {
    let out = dir.join(format!("{name}.sarif"));
    bin()
        .arg("check")
        .args(args)
        .arg("--output")
        .arg(format!("sarif={}", out.display()))
        .arg("--quiet")
        .assert()
        .code(predicate::in_iter([0, 1]));
    serde_json::from_str(&read(&out)).unwrap()
}

fn sarif_validator() -> (boon::Schemas, boon::SchemaIndex) {
    // the official schema, read from the shared reference copy (never copied into the repository)
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/reference/sarif-schema-2.1.0.json"
    );
    let schema: Value = serde_json::from_str(&read(Path::new(path))).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    let url = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
    compiler.add_resource(url, schema).unwrap();
    let index = compiler.compile(url, &mut schemas).unwrap();
    (schemas, index)
}

#[test]
fn sarif_validates_against_the_official_schema_and_has_what_github_needs() {
    let dir = scratch("sarif");
    let (schemas, index) = sarif_validator();
    for (name, plan) in [
        ("nsg", NSG_DENY),
        ("fw", FW_MISSING),
        ("appliance", APPLIANCE),
        ("dns", DNS_UNREACHABLE),
        ("clean", "testdata/scenarios/lb-clean/plan.json"),
    ] {
        let log = sarif_of(&dir, name, &[plan]);
        if let Err(e) = schemas.validate(&log, index) {
            panic!("{plan}: SARIF does not validate: {e:#}");
        }
        assert_eq!(log["version"], "2.1.0");
        let run = &log["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert!(rules.len() > 30);
        for r in rules {
            assert!(r["help"]["text"].as_str().unwrap().contains("How to fix"));
            assert!(
                r["help"]["markdown"]
                    .as_str()
                    .unwrap()
                    .contains("### How to fix")
            );
            assert!(
                r["helpUri"]
                    .as_str()
                    .unwrap()
                    .starts_with("https://learn.microsoft.com/")
            );
            assert!(r["properties"]["security-severity"].is_string());
            assert!(!r["properties"]["tags"].as_array().unwrap().is_empty());
            assert!(r["shortDescription"]["text"].as_str().unwrap().len() <= 1024);
        }
        for res in run["results"].as_array().unwrap() {
            let id = res["ruleId"].as_str().unwrap();
            let idx = res["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[idx]["id"], id, "{plan}: ruleIndex");
            let loc = &res["locations"][0]["physicalLocation"];
            assert_eq!(
                loc["artifactLocation"]["uri"], plan,
                "{plan}: {id} located in the input"
            );
            assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
            assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
            assert!(res["partialFingerprints"]["primaryLocationLineHash"].is_string());
        }
    }
    // the failing NSG plan: the result points at the deny rule and carries the path
    let log = sarif_of(&dir, "nsg", &[NSG_DENY]);
    let res = &log["runs"][0]["results"][0];
    assert_eq!(res["ruleId"], "NSG001");
    assert_eq!(res["level"], "error");
    assert_eq!(
        res["locations"][0]["physicalLocation"]["region"]["startLine"],
        778
    );
    let flow = res["codeFlows"][0]["threadFlows"][0]["locations"]
        .as_array()
        .unwrap();
    assert!(flow.len() >= 2);
    assert!(flow.iter().any(|l| {
        l["importance"] == "essential"
            && l["location"]["message"]["text"]
                .as_str()
                .unwrap()
                .contains("DenyInternetHttpsOutbound")
    }));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Resource order and line numbers change; fingerprints do not.
#[test]
fn fingerprints_are_stable_across_runs_and_reordered_inputs() {
    let dir = scratch("fingerprints");
    let fps = |log: &Value| -> Vec<(String, String, u64)> {
        let mut v: Vec<_> = log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["ruleId"].as_str().unwrap().to_string(),
                    r["partialFingerprints"]["primaryLocationLineHash"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]
                        .as_u64()
                        .unwrap_or(0),
                )
            })
            .collect();
        v.sort();
        v
    };
    for plan in [FW_MISSING, NSG_DENY, DNS_UNREACHABLE] {
        let a = fps(&sarif_of(&dir, "a", &[plan]));
        let b = fps(&sarif_of(&dir, "b", &[plan]));
        assert_eq!(a, b, "{plan}: two runs");
        assert!(!a.is_empty());
        // the same plan with its resources in reverse order, pretty-printed differently
        let mut doc: Value =
            serde_json::from_str(&read(&Path::new(env!("CARGO_MANIFEST_DIR")).join(plan))).unwrap();
        doc["resource_changes"].as_array_mut().unwrap().reverse();
        if let Some(rs) = doc["planned_values"]["root_module"]["resources"].as_array_mut() {
            rs.reverse();
        }
        let reordered = dir.join("reordered.json");
        std::fs::write(&reordered, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
        let c = fps(&sarif_of(&dir, "c", &[reordered.to_str().unwrap()]));
        let strip = |v: &[(String, String, u64)]| -> Vec<(String, String)> {
            let mut x: Vec<_> = v.iter().map(|(r, f, _)| (r.clone(), f.clone())).collect();
            x.sort();
            x
        };
        assert_eq!(strip(&a), strip(&c), "{plan}: reordered resources");
        let lines = |v: &[(String, String, u64)]| v.iter().map(|t| t.2).collect::<Vec<_>>();
        assert_ne!(lines(&a), lines(&c), "{plan}: the lines did move");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn junit_reads_back_with_a_strict_parser() {
    let dir = scratch("junit");
    for (plan, fail_on, failures, skipped) in [
        (NSG_DENY, "error", 8, 0),
        (APPLIANCE, "error", 0, 8),
        (APPLIANCE, "unknown", 8, 0),
    ] {
        let out = dir.join("TEST-aks-preflight.xml");
        bin()
            .args(["check", plan, "--quiet", "--fail-on", fail_on, "--output"])
            .arg(format!("junit={}", out.display()))
            .assert()
            .code(predicate::in_iter([0, 1]));
        let text = read(&out);
        let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{plan}: {e}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        let suites: Vec<_> = root
            .children()
            .filter(|n| n.has_tag_name("testsuite"))
            .collect();
        assert!(!suites.is_empty());
        let cases: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        let n_fail = cases
            .iter()
            .filter(|c| c.children().any(|x| x.has_tag_name("failure")))
            .count();
        let n_skip = cases
            .iter()
            .filter(|c| c.children().any(|x| x.has_tag_name("skipped")))
            .count();
        assert_eq!(
            (n_fail, n_skip),
            (failures, skipped),
            "{plan} --fail-on {fail_on}:\n{text}"
        );
        assert_eq!(root.attribute("tests").unwrap(), cases.len().to_string());
        assert_eq!(root.attribute("failures").unwrap(), failures.to_string());
        assert_eq!(root.attribute("skipped").unwrap(), skipped.to_string());
        // a suite per node pool, a case per required endpoint and one for DNS
        assert!(suites[0].attribute("name").unwrap().contains(" / "));
        assert!(
            cases
                .iter()
                .any(|c| c.attribute("name") == Some("mcr.microsoft.com:443/https"))
        );
        assert!(
            cases
                .iter()
                .any(|c| c.attribute("name") == Some("DNS resolution"))
        );
    }
    // the failure's body is the path
    let out = dir.join("nsg.xml");
    bin()
        .args(["check", NSG_DENY, "--quiet", "--output"])
        .arg(format!("junit={}", out.display()))
        .assert()
        .code(1);
    let text = read(&out);
    let doc = roxmltree::Document::parse(&text).unwrap();
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert!(
        failure
            .attribute("message")
            .unwrap()
            .starts_with("NSG001 error: ")
    );
    assert_eq!(failure.attribute("type"), Some("NSG001"));
    assert!(
        failure
            .text()
            .unwrap()
            .contains("path:\n  1. subnet azurerm_subnet.nodes")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn github_actions_get_annotations_and_a_summary_with_the_table_and_a_picture() {
    let dir = scratch("github");
    let summary = dir.join("summary.md");
    std::fs::write(&summary, "previous step content\n").unwrap();
    let out = bin()
        .args(["check", NSG_DENY])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_WORKSPACE", env!("CARGO_MANIFEST_DIR"))
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let stdout = String::from_utf8(out).unwrap();
    let first = stdout.lines().next().unwrap();
    assert!(
        first.starts_with(
            "::error file=testdata/scenarios/nsg-deny-internet-443/plan.json,line=778,col=19,endColumn="
        ),
        "{first}"
    );
    assert!(first.contains(
        ",title=NSG001 nsg-denies-required-egress::NSG rule \"DenyInternetHttpsOutbound\""
    ));
    assert!(
        first.contains("%0Afix: "),
        "multi-line messages are escaped: {first}"
    );
    // the human report follows
    assert!(stdout.contains("FAIL: 1 error(s)"));
    let md = read(&summary);
    assert!(
        md.starts_with("previous step content\n"),
        "appended, not replaced"
    );
    assert!(md.contains("## aks-preflight: ❌ FAIL"));
    assert!(md.contains("| endpoint | required | verdict | reason |"));
    assert!(md.contains("| `mcr.microsoft.com:443/https` | required | ❌ blocked |"));
    assert!(md.contains("```mermaid\nflowchart TD\n"));
    assert!(md.contains("class h1 blocked"));
    // machine formats on stdout keep the annotations off it
    let json = bin()
        .args(["check", NSG_DENY, "--format", "json"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", dir.join("s2.md"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("::error file="))
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice::<Value>(&json).expect("stdout is JSON only");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn one_run_writes_every_format() {
    let dir = scratch("all");
    let (sarif, junit, md, json) = (
        dir.join("a.sarif"),
        dir.join("a.xml"),
        dir.join("a.md"),
        dir.join("a.json"),
    );
    bin()
        .args(["check", FW_MISSING])
        .arg("--output")
        .arg(format!("sarif={}", sarif.display()))
        .arg("--output")
        .arg(format!("junit={}", junit.display()))
        .arg("--output")
        .arg(format!("markdown={}", md.display()))
        .arg("--output")
        .arg(format!("json={}", json.display()))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FWL001"))
        .stdout(predicate::str::contains("FAIL:"));
    for p in [&sarif, &junit, &md, &json] {
        assert!(!read(p).is_empty());
    }
    bin()
        .args(["check", FW_MISSING, "--output", "pdf=x.pdf"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown format `pdf`"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The JSON report is written as it is serialized, to stdout and to files: both are the same
/// document, one line-ended JSON value, and the same as the library's rendering of it.
#[test]
fn the_json_report_streamed_to_stdout_and_to_a_file_is_one_document() {
    let dir = scratch("json-stream");
    let file = dir.join("r.json");
    let out = bin()
        .args(["check", FW_MISSING, "--format", "json"])
        .arg("--output")
        .arg(format!("json={}", file.display()))
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let stdout = String::from_utf8(out).unwrap();
    assert_eq!(stdout, read(&file));
    assert!(
        stdout.ends_with("}\n") && !stdout.ends_with("\n\n"),
        "{stdout}"
    );
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["schema"], "aks-preflight/report/v1");
    assert!(v["findings"].as_array().is_some_and(|f| !f.is_empty()));
    let args = aks_preflight::cli::args::InputArgs {
        inputs: vec![FW_MISSING.to_string()],
        ..Default::default()
    };
    let mut l = aks_preflight::cli::commands::load(&args).unwrap_or_else(|c| panic!("exit {c}"));
    let report = aks_preflight::analysis::check(&l.model, &l.catalogue, &l.config, &l.options);
    let rendered = aks_preflight::report::json::render(&report, &mut l.sources) + "\n";
    assert_eq!(rendered, stdout);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn explain_draws_one_path_as_mermaid() {
    let out = bin()
        .args([
            "explain",
            NSG_DENY,
            "--to",
            "mcr.microsoft.com:443/tcp",
            "--format",
            "mermaid",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("%% azurerm_kubernetes_cluster.aks / node pool system -> mcr.microsoft.com:443/tcp: blocked\nflowchart TD\n"), "{text}");
    assert!(text.contains("class h1 blocked"));
    assert!(text.contains("-. blocked .-x dest("));
}

// ------------------------------------------------------------------ waivers and baselines

/// A scratch repository holding a copy of `plan` and a `.aks-preflight.toml` at its root.
fn repo_with_config(name: &str, plan: &str, config: &str) -> (PathBuf, PathBuf) {
    let dir = scratch(name);
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    std::fs::create_dir_all(dir.join("infra")).unwrap();
    let copy = dir.join("infra/plan.json");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join(plan), &copy).unwrap();
    std::fs::write(dir.join(".aks-preflight.toml"), config).unwrap();
    (dir, copy)
}

fn json_of(dir: &Path, plan: &Path, extra: &[&str], today: &str) -> (i32, Value) {
    let out = bin()
        .current_dir(dir)
        .env("AKS_PREFLIGHT_TODAY", today)
        .arg("check")
        .arg(plan)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), v)
}

fn rules_of(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["rule"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

const NSG_WAIVER: &str = r#"
[[waiver]]
rule = "NSG001"
resource = "azurerm_network_security_rule.deny_internet_*"
node_pool = "system"
reason = "INC-4711: egress opens with the hub firewall change"
expires = 2026-06-30
"#;

#[test]
fn a_discovered_waiver_suppresses_its_finding_until_it_expires() {
    let (dir, plan) = repo_with_config("waiver", NSG_DENY, NSG_WAIVER);
    // valid: the finding is suppressed, counted, and the run passes the error gate
    let (code, v) = json_of(&dir, &plan, &[], "2026-06-30");
    assert_eq!(code, 0, "{v:#}");
    // the blocked endpoints' only finding is accepted: the run passes, not `unknown`
    assert_eq!(v["verdict"], "pass");
    let (code, _) = json_of(&dir, &plan, &["--fail-on", "unknown"], "2026-06-30");
    assert_eq!(code, 0);
    assert!(!rules_of(&v, "findings").contains(&"NSG001".to_string()));
    assert_eq!(rules_of(&v, "suppressed"), ["NSG001"]);
    assert_eq!(v["summary"]["suppressed"], 1);
    assert_eq!(v["suppressed"][0]["suppression"]["kind"], "waiver");
    assert_eq!(v["suppressed"][0]["suppression"]["expires"], "2026-06-30");
    assert_eq!(
        v["suppressed"][0]["suppression"]["location"]["file"],
        ".aks-preflight.toml"
    );
    // the human summary says how many and why
    bin()
        .current_dir(&dir)
        .env("AKS_PREFLIGHT_TODAY", "2026-06-30")
        .arg("check")
        .arg(&plan)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "1 finding(s) suppressed: 1 waived, 0 in the baseline",
        ))
        .stdout(predicate::str::contains(
            "waived until 2026-06-30: INC-4711",
        ));
    // SARIF keeps it, with a suppression
    let sarif = dir.join("w.sarif");
    bin()
        .current_dir(&dir)
        .env("AKS_PREFLIGHT_TODAY", "2026-06-30")
        .arg("check")
        .arg(&plan)
        .arg("--quiet")
        .arg("--output")
        .arg(format!("sarif={}", sarif.display()))
        .assert()
        .code(0);
    let log: Value = serde_json::from_str(&read(&sarif)).unwrap();
    let (schemas, index) = sarif_validator();
    schemas.validate(&log, index).unwrap();
    let nsg = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "NSG001")
        .unwrap();
    assert_eq!(nsg["suppressions"][0]["kind"], "external");
    assert!(
        nsg["suppressions"][0]["justification"]
            .as_str()
            .unwrap()
            .contains("INC-4711")
    );
    // the day after expiry: the finding is back, with a warning naming the waiver
    let (code, v) = json_of(&dir, &plan, &[], "2026-07-01");
    assert_eq!(code, 1);
    let rules = rules_of(&v, "findings");
    assert!(rules.contains(&"NSG001".to_string()) && rules.contains(&"WAV001".to_string()));
    let wav = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "WAV001")
        .unwrap();
    let msg = wav["message"].as_str().unwrap();
    assert!(
        msg.contains("expired on 2026-06-30")
            && msg.contains("NSG001 on azurerm_network_security_rule.deny_internet_*"),
        "{msg}"
    );
    assert_eq!(wav["locations"][0]["file"], ".aks-preflight.toml");
    assert_eq!(wav["locations"][0]["line"], 2);
    // --config wins over discovery
    let empty = dir.join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    let (code, _) = json_of(
        &dir,
        &plan,
        &["--config", empty.to_str().unwrap()],
        "2026-06-30",
    );
    assert_eq!(code, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn waivers_match_by_rule_resource_and_endpoint_and_unused_ones_are_noted() {
    let config = r#"
[[waiver]]
rule = "NSG001"
resource = "azurerm_network_security_rule.deny_internet_https_outbound"
endpoint = "mcr.microsoft.com:443"
reason = "only one of the endpoints"

[[waiver]]
rule = ["RTE001"]
resource = "*"
reason = "nothing routes to None here"

[[waiver]]
rule = "NSG001"
resource = "azurerm_network_security_group.other"
reason = "another resource"
"#;
    let (dir, plan) = repo_with_config("match", NSG_DENY, config);
    let (code, v) = json_of(&dir, &plan, &[], "2026-06-15");
    assert_eq!(
        code, 1,
        "an endpoint waiver does not hide a finding about 8 endpoints"
    );
    let rules = rules_of(&v, "findings");
    assert!(rules.contains(&"NSG001".to_string()));
    assert!(rules.contains(&"WAV003".to_string()), "{rules:?}");
    assert_eq!(
        rules.iter().filter(|r| *r == "WAV002").count(),
        3,
        "{rules:?}"
    );
    assert!(v["suppressed"].is_null());
    // a waiver covering every endpoint of the finding (a glob) suppresses it
    let config = r#"
[[waiver]]
rule = "NSG001"
resource = "azurerm_network_security_rule.deny_internet_https_outbound"
endpoint = "*:443"
reason = "all of them"
"#;
    std::fs::write(dir.join(".aks-preflight.toml"), config).unwrap();
    let (code, v) = json_of(&dir, &plan, &[], "2026-06-15");
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(rules_of(&v, "suppressed"), ["NSG001"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_waivers_are_located_input_errors() {
    for (config, expect) in [
        (
            "[[waiver]]\nrule = \"NSG001\"\nresource = \"x\"\n",
            "missing field `reason`",
        ),
        (
            "[[waiver]]\nrule = \"NSG001\"\nresource = \"x\"\nreason = \"r\"\nexpire = 2027-01-01\n",
            "unknown field `expire`",
        ),
        (
            "[[waiver]]\nrule = \"NSG001\"\nresource = \"x\"\nreason = \"r\"\nexpires = \"soon\"\n",
            "expires",
        ),
        (
            "[[waiver]]\nrule = \"NSG999\"\nresource = \"x\"\nreason = \"r\"\n",
            "unknown rule `NSG999`",
        ),
        (
            "[[waiver]]\nrule = \"NSG001\"\nresource = \"x\"\nreason = \"  \"\n",
            "empty `reason`",
        ),
    ] {
        let (dir, plan) = repo_with_config("bad", NSG_DENY, config);
        bin()
            .current_dir(&dir)
            .arg("check")
            .arg(&plan)
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(expect))
            .stderr(predicate::str::contains(".aks-preflight.toml:"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_baseline_hides_exactly_the_findings_it_recorded() {
    // a plan with several findings (a firewall's missing allows are one grouped finding)
    let dir = scratch("baseline");
    let base = dir.join("baseline.json");
    bin()
        .args(["check", DNS_UNREACHABLE, "--quiet", "--write-baseline"])
        .arg(&base)
        .assert()
        .code(1);
    let text = read(&base);
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["schema"], "aks-preflight/baseline/v1");
    let recorded = doc["findings"].as_array().unwrap().len();
    assert!(recorded >= 2, "{text}");
    // everything recorded: nothing left, the run passes
    let out = bin()
        .args(["check", DNS_UNREACHABLE, "--format", "json", "--baseline"])
        .arg(&base)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
    assert_eq!(v["suppressed"].as_array().unwrap().len(), recorded);
    assert!(
        v["suppressed"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["suppression"]["kind"] == "baseline")
    );
    // a baseline without one of them: exactly that one is new
    let dropped = doc["findings"].as_array_mut().unwrap().remove(0);
    std::fs::write(&base, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    let out = bin()
        .args(["check", DNS_UNREACHABLE, "--format", "json", "--baseline"])
        .arg(&base)
        .assert()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{v:#}");
    assert_eq!(findings[0]["rule"], dropped["rule"]);
    assert_eq!(findings[0]["message"], dropped["message"]);
    // a broken baseline is an input error
    std::fs::write(
        &base,
        "{\"schema\": \"aks-preflight/baseline/v1\", \"findings\": [",
    )
    .unwrap();
    bin()
        .args(["check", DNS_UNREACHABLE, "--baseline"])
        .arg(&base)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not an aks-preflight baseline"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn quiet_verbose_and_no_color() {
    bin()
        .args(["check", NSG_DENY, "--quiet"])
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty());
    bin()
        .args(["check", NSG_DENY, "-v", "--quiet"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "aks-preflight: read {NSG_DENY}: "
        )))
        .stderr(predicate::str::contains("aks-preflight: analysis: "))
        .stderr(predicate::str::contains(" ms"));
    bin()
        .env_remove("NO_COLOR")
        .args(["check", NSG_DENY, "--color", "always", "--no-color"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\u{1b}[").not());
}

// ------------------------------------------------------------------ snapshots

fn output_of(plan: &str, format: &str) -> String {
    let out = bin()
        .args(["check", plan, "--format", format])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn snapshot_markdown() {
    insta::assert_snapshot!("markdown_nsg_deny", output_of(NSG_DENY, "markdown"));
    insta::assert_snapshot!("markdown_fw_missing", output_of(FW_MISSING, "markdown"));
}

#[test]
fn snapshot_junit() {
    insta::assert_snapshot!("junit_nsg_deny", output_of(NSG_DENY, "junit"));
    insta::assert_snapshot!("junit_appliance", output_of(APPLIANCE, "junit"));
}

#[test]
fn snapshot_sarif() {
    for (name, plan) in [("sarif_nsg_deny", NSG_DENY), ("sarif_dns", DNS_UNREACHABLE)] {
        let v: Value = serde_json::from_str(&output_of(plan, "sarif")).unwrap();
        insta::assert_json_snapshot!(name, v, {
            // machine-specific or covered by the schema test
            ".runs[0].originalUriBaseIds" => "[repository root]",
            ".runs[0].tool.driver.rules" => "[every rule of policies/rules.toml]",
            ".runs[0].tool.driver.semanticVersion" => "[version]",
            ".runs[0].tool.driver.version" => "[version]",
        });
    }
}

#[test]
fn snapshot_annotations() {
    let out = bin()
        .args(["check", FW_MISSING, "--quiet"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_WORKSPACE", env!("CARGO_MANIFEST_DIR"))
        .env("GITHUB_STEP_SUMMARY", "")
        .output()
        .unwrap();
    insta::assert_snapshot!(
        "annotations_fw_missing",
        String::from_utf8(out.stdout).unwrap()
    );
}
