//! Drives the binary: exit codes, malformed inputs, the `rules` command.

use assert_cmd::Command;
use predicates::prelude::*;

fn bin() -> Command {
    let mut c = Command::cargo_bin("aks-preflight").expect("binary builds");
    c.env("NO_COLOR", "1");
    c
}

fn malformed(name: &str) -> String {
    format!("{}/testdata/malformed/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn truncated_plan_exits_2_with_a_located_error() {
    bin()
        .args(["check", &malformed("truncated-plan.json")])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("truncated-plan.json"))
        .stderr(predicate::str::contains("truncated-plan.json:23:1"))
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn non_plan_json_exits_2_and_says_what_is_expected() {
    bin()
        .args(["check", &malformed("not-a-plan.json")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("terraform show -json"));
}

#[test]
fn other_malformed_inputs_exit_2_without_panicking() {
    for f in [
        "array.json",
        "empty-file.json",
        "hcl-not-json.tf",
        "future-major.json",
        "deeply-nested.json",
    ] {
        bin()
            .args(["check", &malformed(f)])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("panicked").not())
            .stderr(predicate::str::is_empty().not());
    }
}

#[test]
fn missing_file_exits_2() {
    bin()
        .args(["check", "/nonexistent/plan.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot read /nonexistent/plan.json",
        ));
}

#[test]
fn empty_plan_has_no_cluster_and_exits_0_with_a_note() {
    bin()
        .args(["check", &malformed("empty-plan.json")])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("INP008"));
}

#[test]
fn one_bad_input_among_good_ones_still_exits_2() {
    bin()
        .args([
            "check",
            &malformed("empty-plan.json"),
            &malformed("array.json"),
        ])
        .assert()
        .code(2);
}

#[test]
fn stdin_input() {
    let text = std::fs::read_to_string(malformed("empty-plan.json")).unwrap();
    bin()
        .args(["check", "-"])
        .write_stdin(text)
        .assert()
        .code(0);
}

#[test]
fn usage_errors_exit_2() {
    bin().args(["check"]).assert().code(2);
    bin()
        .args(["check", "--format", "xml", "x.json"])
        .assert()
        .code(2);
    bin().args(["frobnicate"]).assert().code(2);
}

#[test]
fn rules_lists_and_documents() {
    bin()
        .args(["rules"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("NSG001"))
        .stdout(predicate::str::contains("nsg-denies-required-egress"));
    bin()
        .args(["rules", "RTE002"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("How to fix"))
        .stdout(predicate::str::contains("route table"));
    bin().args(["rules", "NOPE42"]).assert().code(2);
}
