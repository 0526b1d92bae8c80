//! `explain` traces, snapshotted: subnet -> NSG rule -> route -> peering -> firewall rule -> verdict,
//! each hop located in the input.

use assert_cmd::Command;

fn explain(args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("aks-preflight")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .arg("explain")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn explain_firewall_allows_through_fqdn_tag() {
    let (code, out) = explain(&[
        "testdata/scenarios/hub-fw-aks-tag/plan.json",
        "--to",
        "mcr.microsoft.com:443/tcp",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.contains("aks-fqdn-tag") && out.contains("verdict: reachable"),
        "{out}"
    );
    insta::assert_snapshot!(out);
}

#[test]
fn explain_firewall_default_deny() {
    let (code, out) = explain(&[
        "testdata/scenarios/hub-fw-missing-fqdns/plan.json",
        "--to",
        "management.azure.com:443/tcp",
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("verdict: blocked"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn explain_deny_collection_before_allow() {
    let (code, out) = explain(&[
        "testdata/scenarios/hub-fw-deny-before-allow/plan.json",
        "--to",
        "mcr.microsoft.com:443/tcp",
    ]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(out);
}

#[test]
fn explain_nsg_deny() {
    let (code, out) = explain(&[
        "testdata/scenarios/nsg-deny-internet-443/plan.json",
        "--to",
        "mcr.microsoft.com:443/tcp",
        "--pool",
        "system",
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("DenyInternetHttpsOutbound"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn explain_unknown_appliance() {
    let (code, out) = explain(&[
        "testdata/scenarios/unknown-appliance/plan.json",
        "--to",
        "packages.aks.azure.com:443/tcp",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("verdict: unknown"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn explain_dns_first_server_unreachable() {
    let (code, out) = explain(&[
        "testdata/scenarios/custom-dns-first-unreachable/plan.json",
        "--to",
        "dns",
    ]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(out);
}

#[test]
fn explain_dns_private_zone() {
    let (code, out) = explain(&[
        "testdata/scenarios/private-system-zone-custom-dns/plan.json",
        "--to",
        "dns",
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("PRV001"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn explain_json() {
    let (code, out) = explain(&[
        "testdata/scenarios/peering-no-forwarded/plan.json",
        "--to",
        "mcr.microsoft.com:443/tcp",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["schema"], "aks-preflight/explain/v1");
    let t = &v["traces"][0];
    assert_eq!(t["verdict"], "blocked");
    let path = t["path"].as_array().unwrap();
    assert!(path.iter().any(|h| h["kind"] == "peering"));
    // locations as the report writes them: file, line, column (no internal pointers)
    let loc = &path[0]["location"];
    assert!(
        loc["file"].as_str().unwrap().ends_with("plan.json"),
        "{loc}"
    );
    assert!(loc["line"].as_u64().unwrap() > 1 && loc["column"].as_u64().is_some());
    assert!(!out.contains("\"pointer\"") && !out.contains("/resource_changes/"));
    insta::assert_json_snapshot!(v);
}

#[test]
fn explain_bad_endpoint_is_a_usage_error() {
    let (code, _) = explain(&[
        "testdata/scenarios/lb-clean/plan.json",
        "--to",
        "mcr.microsoft.com",
    ]);
    assert_eq!(code, 2);
    let (code, _) = explain(&[
        "testdata/scenarios/lb-clean/plan.json",
        "--to",
        "mcr.microsoft.com:443/sctp",
    ]);
    assert_eq!(code, 2);
    let (code, _) = explain(&[
        "testdata/scenarios/lb-clean/plan.json",
        "--to",
        "mcr.microsoft.com:443/tcp",
        "--pool",
        "nope",
    ]);
    assert_eq!(code, 2);
}
