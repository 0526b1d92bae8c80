//! Drives the binary: exit codes, malformed inputs, the `rules` command.

use assert_cmd::Command;
use predicates::prelude::*;

fn bin() -> Command {
    let mut c = Command::cargo_bin("aks-preflight").expect("binary builds");
    c.env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY");
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
        .stderr(predicate::str::contains("truncated-plan.json:22:58"))
        .stderr(predicate::str::contains("the text ends here"))
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn non_plan_json_exits_2_and_says_what_is_expected() {
    bin()
        .args(["check", &malformed("not-a-plan.json")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is an ARM parameters file"))
        .stderr(predicate::str::contains("--parameters"));
}

#[test]
fn other_malformed_inputs_exit_2_without_panicking() {
    for f in [
        "array.json",
        "empty-file.json",
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

/// A run that checked no node pool is not a pass: its own verdict, and it fails where unknown
/// verdicts fail.
#[test]
fn no_cluster_is_nothing_checked_and_fails_with_fail_on_unknown() {
    let out = bin()
        .args(["check", "--format", "json", &scenario("no-cluster")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "nothing-checked");
    bin()
        .args(["check", &scenario("no-cluster")])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("NOTHING CHECKED"));
    bin()
        .args(["check", "--fail-on", "unknown", &scenario("no-cluster")])
        .assert()
        .code(1);
    bin()
        .args([
            "check",
            "--fail-on",
            "unknown",
            &malformed("empty-plan.json"),
        ])
        .assert()
        .code(1);
}

/// `--cloud` against a cluster's region is an error (CLD001); with the region's own cloud it is
/// not.
#[test]
fn cloud_flag_contradicting_the_region_fails() {
    bin()
        .args(["check", "--cloud", "china", &scenario("lb-clean")])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("CLD001"));
    bin()
        .args(["check", "--cloud", "public", &scenario("lb-clean")])
        .assert()
        .code(0);
}

/// With an HTTP proxy, `requirements` says what to allow to the proxy and what the proxy must
/// allow; the Terraform allows the proxied endpoints from the proxy's address.
#[test]
fn requirements_with_a_proxy() {
    let out = bin()
        .args(["requirements", &scenario("proxy-in-peered-hub-attested")])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("HTTP proxy 10.0.3.4:8080"), "{text}");
    assert!(
        text.contains("the proxy must let through:\n    mcr.microsoft.com:443/https"),
        "{text}"
    );
    assert!(
        text.contains("packages.aks.azure.com:443/https (no_proxy entry"),
        "{text}"
    );
    let out = bin()
        .args([
            "requirements",
            "--format",
            "terraform",
            &scenario("proxy-in-peered-hub-attested"),
        ])
        .output()
        .unwrap();
    let tf = String::from_utf8_lossy(&out.stdout);
    let via = tf
        .split("aks_egress_aks_via_proxy")
        .nth(1)
        .expect("a group for the proxy");
    assert!(via.contains("source_addresses  = [\"10.0.3.4\"]"), "{tf}");
    let out = bin()
        .args([
            "requirements",
            "--format",
            "json",
            &scenario("proxy-in-peered-hub-attested"),
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["clusters"][0]["proxy"]["proxies"][0], "10.0.3.4:8080");
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

#[test]
fn readme_lists_every_rule() {
    let readme =
        std::fs::read_to_string(format!("{}/README.md", env!("CARGO_MANIFEST_DIR"))).unwrap();
    for r in aks_preflight::analysis::registry::rules() {
        assert!(
            readme.contains(&format!("`{}`", r.id)) && readme.contains(&r.name),
            "README misses rule {} {}",
            r.id,
            r.name
        );
    }
}

fn scenario(name: &str) -> String {
    format!(
        "{}/testdata/scenarios/{name}/plan.json",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn exit_codes_follow_findings_and_fail_on() {
    bin()
        .args(["check", &scenario("lb-clean")])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("PASS"));
    bin()
        .args(["check", &scenario("nsg-deny-internet-443")])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("NSG001"));
    // unknown verdicts pass by default and fail with --fail-on unknown (or warning: APL001 warns)
    bin()
        .args(["check", &scenario("unknown-appliance")])
        .assert()
        .code(0);
    bin()
        .args([
            "check",
            "--fail-on",
            "unknown",
            &scenario("unknown-appliance"),
        ])
        .assert()
        .code(1);
    bin()
        .args([
            "check",
            "--fail-on",
            "warning",
            &scenario("unknown-appliance"),
        ])
        .assert()
        .code(1);
    bin()
        .args(["check", "--fail-on", "unknown", &scenario("lb-clean")])
        .assert()
        .code(0);
}

#[test]
fn udr_and_nat_failures_name_the_subnet() {
    for (s, rule) in [
        ("udr-no-route-table", "RTE002"),
        ("udr-default-to-none", "RTE001"),
        ("user-nat-missing", "NAT001"),
    ] {
        bin()
            .args(["check", &scenario(s)])
            .assert()
            .code(1)
            .stdout(predicate::str::contains(rule))
            .stdout(predicate::str::contains("azurerm_subnet.nodes"));
    }
}

#[test]
fn json_report_contract() {
    let out = bin()
        .args([
            "check",
            "--format",
            "json",
            &scenario("nsg-deny-internet-443"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "aks-preflight/report/v1");
    assert_eq!(v["verdict"], "fail");
    let pool = &v["clusters"][0]["node_pools"][0];
    assert_eq!(pool["name"], "system");
    let mcr = pool["egress"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["host"] == "mcr.microsoft.com")
        .unwrap();
    for k in [
        "host", "port", "protocol", "required", "verdict", "reason", "path",
    ] {
        assert!(mcr.get(k).is_some(), "egress entry lacks {k}");
    }
    assert_eq!(mcr["verdict"], "blocked");
    assert_eq!(mcr["protocol"], "tcp");
    assert_eq!(mcr["app_protocol"], "https");
    assert_eq!(mcr["port"], 443);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "NSG001")
        .unwrap();
    for k in ["rule", "severity", "message", "help", "locations"] {
        assert!(f.get(k).is_some(), "finding lacks {k}");
    }
    let loc = &f["locations"][0];
    assert!(
        loc["file"]
            .as_str()
            .unwrap()
            .ends_with("nsg-deny-internet-443/plan.json")
    );
    assert!(loc["line"].as_u64().unwrap() > 1);
    assert!(loc["column"].as_u64().is_some());
    assert!(
        loc["address"]
            .as_str()
            .unwrap()
            .starts_with("azurerm_network_security")
    );
    // the located line is the deny rule's
    let text = std::fs::read_to_string(scenario("nsg-deny-internet-443")).unwrap();
    let line = loc["line"].as_u64().unwrap() as usize;
    let window: String = text
        .lines()
        .skip(line - 1)
        .take(12)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        window.contains("\"Deny\"") || window.contains("DenyInternetHttpsOutbound"),
        "{window}"
    );
}

#[test]
fn minified_plan_is_located_on_line_1_and_shown_as_an_excerpt() {
    let out = bin()
        .args(["check", &scenario("nsg-deny-internet-443")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // the minified clean plan passes and prints no giant line
    let out = bin()
        .args(["check", &scenario("minified-lb-clean")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.lines().all(|l| l.len() < 2000));
}

#[test]
fn requirements_command_formats() {
    bin()
        .args(["requirements", &scenario("lb-clean")])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("mcr.microsoft.com"))
        .stdout(predicate::str::contains("packages.aks.azure.com"));
    let out = bin()
        .args(["requirements", "--format", "json", &scenario("lb-clean")])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "aks-preflight/requirements/v1");
    let tf = bin()
        .args([
            "requirements",
            "--format",
            "terraform",
            &scenario("hub-fw-aks-tag"),
        ])
        .output()
        .unwrap();
    let tf = String::from_utf8_lossy(&tf.stdout);
    assert!(tf.contains("azurerm_firewall_policy_rule_collection_group"));
    assert!(
        tf.contains("10.1.0.0/22"),
        "node subnet prefixes are used as sources:\n{tf}"
    );
    hcl::parse(&tf).expect("the Terraform output parses as HCL");
}

#[test]
fn sensitive_values_never_printed() {
    for s in [
        "minified-lb-clean",
        "private-system-zone-custom-dns",
        "custom-dns-onprem-unverifiable",
    ] {
        for fmt in ["human", "json"] {
            let out = bin()
                .args(["check", "--format", fmt, &scenario(s)])
                .output()
                .unwrap();
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(!all.contains("SECRET-SHOULD-NOT-BE-PRINTED"), "{s} {fmt}");
        }
    }
}

fn config(name: &str) -> String {
    format!("{}/testdata/config/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn appliance_attestation_settles_unknown_appliance() {
    // without attestation: unknown (APL001 warning), exit 0, fails with --fail-on unknown
    bin()
        .args([
            "check",
            "--fail-on",
            "unknown",
            &scenario("unknown-appliance"),
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("APL001"));
    // attested to allow HTTP and HTTPS: everything required is reachable
    bin()
        .args([
            "check",
            "--fail-on",
            "unknown",
            "--config",
            &config("appliance-allows-all.toml"),
            &scenario("unknown-appliance"),
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("APL001").not())
        .stdout(predicate::str::contains("PASS"));
    // attested to allow MCR only: the other required endpoints are blocked (APL002 error)
    bin()
        .args([
            "check",
            "--config",
            &config("appliance-allows-mcr-only.toml"),
            &scenario("unknown-appliance"),
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("APL002"))
        .stdout(predicate::str::contains("packages.aks.azure.com"));
}

#[test]
fn dns_server_attestation_settles_dns003_but_not_the_private_zone() {
    let out = bin()
        .args([
            "check",
            "--format",
            "json",
            "--config",
            &config("dns-vm-attested.toml"),
            &scenario("private-system-zone-custom-dns"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(!rules.contains(&"DNS003"), "{rules:?}");
    // the attested server resolves from the hub VNet, which the System zone is not linked to
    assert!(rules.contains(&"PRV001"), "{rules:?}");
}

#[test]
fn own_endpoints_and_disabled_rows_from_config() {
    bin()
        .args([
            "requirements",
            "--all",
            "--config",
            &config("own-endpoint.toml"),
            &scenario("lb-clean"),
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("myregistry.azurecr.io"))
        .stdout(predicate::str::contains("acs-mirror.azureedge.net").not());
    bin()
        .args([
            "check",
            "--config",
            &config("own-endpoint.toml"),
            &scenario("nsg-deny-internet-443"),
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("myregistry.azurecr.io:443/https"));
}

#[test]
fn bad_config_is_a_located_usage_error() {
    bin()
        .args([
            "check",
            "--config",
            &config("bad-config.toml"),
            &scenario("lb-clean"),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad-config.toml"))
        .stderr(predicate::str::contains("not-an-ip"));
}

#[test]
fn policy_dir_overrides_and_adds_endpoints() {
    let dir = format!("{}/testdata/policy-dir", env!("CARGO_MANIFEST_DIR"));
    bin()
        .args(["requirements", "--policy-dir", &dir, &scenario("lb-clean")])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("proxy.corp.example"))
        .stdout(predicate::str::contains("overridden in a policy directory"));
}
