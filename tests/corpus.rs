//! What `check` says about the real plan and state files of the shared corpus
//! (`../shared/corpus/terraform-plan` beside the repository, provenance in its PROVENANCE.md;
//! third-party files are read there, never copied in). None of them contains an AKS cluster: each
//! must load (format 0.1 plans with a note), report "no cluster" (INP008), the run verdict
//! `nothing-checked`, and exit 0.

use assert_cmd::Command;

fn check_json(path: &str) -> (i32, serde_json::Value) {
    let out = Command::cargo_bin("aks-preflight")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["check", "--format", "json", path])
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{path}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), v)
}

#[test]
fn corpus_plans_and_states() {
    let cases: &[(&str, &[&str])] = &[
        (
            "checkov-plan_with_resource_reference-tfplan_extra_ref.json",
            &["INP008"],
        ),
        ("driftctl-azurerm_lb.terraform.tfstate.json", &["INP008"]),
        (
            "driftctl-azurerm_network_security_group.terraform.tfstate.json",
            &["INP008"],
        ),
        (
            "driftctl-azurerm_private_dns_zone.terraform.tfstate.json",
            &["INP008"],
        ),
        (
            "regula-security_group_no_inbound_22_infra.json",
            &["INP005", "INP008"],
        ),
        (
            "regula-security_group_no_inbound_3389_infra.json",
            &["INP005", "INP008"],
        ),
        (
            "terraform-compliance-test_issue-294.plan.out.json",
            &["INP005", "INP008"],
        ),
    ];
    let mut summary = String::new();
    for (file, rules) in cases {
        let path = format!("../shared/corpus/terraform-plan/{file}");
        let (code, v) = check_json(&path);
        assert_eq!(code, 0, "{file}");
        assert_eq!(v["verdict"], "nothing-checked", "{file}");
        assert!(v["clusters"].as_array().unwrap().is_empty(), "{file}");
        let fired: Vec<&str> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap())
            .collect();
        let mut sorted = fired.clone();
        sorted.sort();
        assert_eq!(sorted, *rules, "{file}");
        for f in v["findings"].as_array().unwrap() {
            summary.push_str(&format!(
                "{file}: {} {}\n",
                f["rule"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            ));
        }
    }
    insta::assert_snapshot!(summary);
}
