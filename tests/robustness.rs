//! Robustness: damaged, mutated and wrongly shaped inputs never panic. Truncated text is always an
//! error (exit 2 through the CLI); byte-flipped and shape-mutated plans either fail to load with a
//! clean error or go through the whole pipeline (analysis, human and JSON reports, requirements).
//! Deterministic (a tiny LCG, no `rand`), and fast (a few seconds in debug).

use aks_preflight::analysis::{self, CheckOptions, Ctx};
use aks_preflight::policy::{Catalogue, Config};
use aks_preflight::report::{self, human, requirements};
use aks_preflight::source::SourceMap;
use assert_cmd::Command;
use serde_json::{Value, json};
use std::path::PathBuf;

const SCENARIOS: [&str; 3] = [
    "nsg-deny-with-higher-allow",
    "hub-fw-aks-tag",
    "private-byo-zone-linked-hub",
];

fn scenario_text(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/scenarios")
        .join(name)
        .join("plan.json");
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn bin() -> Command {
    let mut c = Command::cargo_bin("aks-preflight").expect("binary builds");
    c.env("NO_COLOR", "1");
    c
}

/// Tiny deterministic LCG (Knuth MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Load `text`; when it loads, run the analysis, both reporters and the requirements renderings.
/// Returns whether the input loaded. A panic anywhere fails the calling test.
fn pipeline(name: &str, text: String) -> bool {
    let mut sources = SourceMap::new();
    let Ok((_, mut model)) = aks_preflight::input::load(&mut sources, name, text) else {
        return false;
    };
    model.finish();
    let catalogue = Catalogue::builtin().expect("builtin catalogue");
    let config = Config::default();
    let options = CheckOptions::default();
    let rep = analysis::check(&model, catalogue, &config, &options);
    let h = human::render(&rep, &mut sources, &human::Style::default());
    assert!(!h.is_empty(), "{name}: empty human report");
    let j = report::json::render(&rep, &mut sources);
    let v: Value = serde_json::from_str(&j).unwrap_or_else(|e| panic!("{name}: bad JSON: {e}"));
    assert_eq!(v["schema"], "aks-preflight/report/v1", "{name}");
    let ctx = Ctx {
        model: &model,
        catalogue,
        config: &config,
        options: &options,
    };
    let per_cluster: Vec<_> = model
        .clusters
        .iter()
        .map(|c| analysis::requirements_of(&ctx, c, true))
        .collect();
    let _ = requirements::render_text(&per_cluster);
    let _ = requirements::render_json(&per_cluster);
    let _ = requirements::render_terraform(&per_cluster);
    true
}

/// `n` byte offsets evenly spread over `0..len` (exclusive of `len`), moved down to char
/// boundaries so the prefix stays a `String`.
fn spread_offsets(text: &str, n: usize) -> Vec<usize> {
    let len = text.len();
    let mut v: Vec<usize> = (0..n)
        .map(|i| {
            let mut at = i * len / n;
            while at > 0 && !text.is_char_boundary(at) {
                at -= 1;
            }
            at
        })
        .collect();
    v.dedup();
    v
}

#[test]
fn truncated_plans_are_errors_never_panics() {
    for sc in SCENARIOS {
        let text = scenario_text(sc);
        // the whole plan loads; every proper prefix of it is incomplete JSON
        assert!(pipeline(sc, text.clone()), "{sc}: the full plan must load");
        let trimmed_len = text.trim_end().len();
        for at in spread_offsets(&text, 60) {
            if at >= trimmed_len {
                continue;
            }
            let mut sources = SourceMap::new();
            let res = aks_preflight::input::load(&mut sources, sc, text[..at].to_string());
            assert!(res.is_err(), "{sc}: truncated at byte {at} loaded");
        }
    }
}

#[test]
fn truncated_plans_exit_2_through_the_cli() {
    let text = scenario_text(SCENARIOS[1]);
    let dir = std::env::temp_dir().join(format!("aks-preflight-robust-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (i, at) in [1usize, text.len() / 3, text.len() - 2]
        .into_iter()
        .enumerate()
    {
        let p = dir.join(format!("trunc-{i}.json"));
        std::fs::write(&p, &text.as_bytes()[..at]).unwrap();
        let out = bin().arg("check").arg(&p).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "truncated at {at}: {stderr}");
        assert!(out.stdout.is_empty(), "truncated at {at}: stdout not empty");
        assert!(!stderr.contains("panicked"), "truncated at {at}: {stderr}");
        assert!(!stderr.is_empty(), "truncated at {at}: no error message");
    }
    // through stdin as well
    let out = bin()
        .args(["check", "-"])
        .write_stdin(&text.as_bytes()[..text.len() / 2])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn flipped_and_inserted_bytes_never_panic() {
    const NOISE: &[u8] = b"{}[]\",:0123456789.-eE\\ntrufalsn \x00\x7f";
    let mut rng = Lcg(0x005e_eda1_1ce5);
    let mut loaded = 0;
    let mut total = 0;
    for sc in SCENARIOS {
        let base = scenario_text(sc).into_bytes();
        for variant in 0..34 {
            let mut b = base.clone();
            let edits = 1 + rng.below(4);
            for _ in 0..edits {
                let at = rng.below(b.len());
                let byte = if rng.below(3) == 0 {
                    rng.below(256) as u8
                } else {
                    NOISE[rng.below(NOISE.len())]
                };
                match rng.below(3) {
                    0 => b[at] = byte,
                    1 => b.insert(at, byte),
                    _ => {
                        b.remove(at);
                    }
                }
            }
            // the library takes text; invalid UTF-8 is replaced like a lossy reader would
            let text = String::from_utf8_lossy(&b).into_owned();
            total += 1;
            if pipeline(&format!("{sc}#{variant}"), text) {
                loaded += 1;
            }
        }
    }
    assert_eq!(total, 102);
    // byte noise inside string values keeps the JSON valid: some variants must load, or the
    // analysis half of this test would never run
    assert!(loaded > 0, "no mutated plan loaded");
}

/// Every JSON pointer in `v` (objects and arrays, depth-first, in document order).
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                let k = k.replace('~', "~0").replace('/', "~1");
                pointers(c, format!("{at}/{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                pointers(c, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn replaced(root: &Value, ptr: &str, with: Value) -> Value {
    let mut v = root.clone();
    if let Some(slot) = v.pointer_mut(ptr) {
        *slot = with;
    }
    v
}

fn wrong_shapes() -> Vec<Value> {
    vec![
        Value::Null,
        json!({}),
        json!([]),
        json!("x"),
        json!(42),
        json!(-1.5e300),
        json!(true),
        json!([null, {}, "10.0.0.0/8", 7]),
        json!({"id": null, "name": 3, "address_prefixes": "10.0.0.0/8"}),
    ]
}

#[test]
fn wrong_shapes_at_named_paths_never_panic() {
    let root: Value = serde_json::from_str(&scenario_text("hub-fw-aks-tag")).unwrap();
    let rc = root["resource_changes"].as_array().unwrap();
    let find = |ty: &str| {
        rc.iter()
            .position(|r| r["type"] == ty)
            .unwrap_or_else(|| panic!("no {ty} in the plan"))
    };
    let mut paths = vec![
        "/resource_changes".to_string(),
        "/resource_changes/0".to_string(),
        "/format_version".to_string(),
        "/terraform_version".to_string(),
        "/planned_values".to_string(),
        "/planned_values/root_module".to_string(),
        "/planned_values/root_module/resources".to_string(),
        "/prior_state".to_string(),
        "/configuration".to_string(),
        "/configuration/root_module".to_string(),
        "/configuration/root_module/resources".to_string(),
        "/configuration/root_module/module_calls".to_string(),
        "/errored".to_string(),
    ];
    for i in [
        find("azurerm_network_security_group"),
        find("azurerm_route_table"),
        find("azurerm_kubernetes_cluster"),
        find("azurerm_subnet"),
        find("azurerm_virtual_network"),
        find("azurerm_firewall"),
        find("azurerm_firewall_policy_rule_collection_group"),
        find("azurerm_subnet_route_table_association"),
    ] {
        let base = format!("/resource_changes/{i}");
        for p in [
            "",
            "/type",
            "/address",
            "/name",
            "/index",
            "/mode",
            "/module_address",
            "/change",
            "/change/actions",
            "/change/actions/0",
            "/change/after",
            "/change/before",
            "/change/after_unknown",
            "/change/after_sensitive",
            "/change/after/id",
            "/change/after/name",
            "/change/after/tags",
            "/change/after/security_rule",
            "/change/after/security_rule/0",
            "/change/after/security_rule/0/priority",
            "/change/after/security_rule/0/destination_port_range",
            "/change/after/security_rule/0/destination_port_ranges",
            "/change/after/route",
            "/change/after/route/0",
            "/change/after/route/0/address_prefix",
            "/change/after/priority",
            "/change/after/access",
            "/change/after/direction",
            "/change/after/protocol",
            "/change/after/destination_address_prefix",
            "/change/after/source_address_prefixes",
            "/change/after/address_prefixes",
            "/change/after/address_prefixes/0",
            "/change/after/network_profile",
            "/change/after/network_profile/0",
            "/change/after/network_profile/0/outbound_type",
            "/change/after/default_node_pool",
            "/change/after/default_node_pool/0",
            "/change/after/default_node_pool/0/vnet_subnet_id",
            "/change/after/api_server_access_profile",
            "/change/after/private_cluster_enabled",
            "/change/after/location",
            "/change/after/application_rule_collection",
            "/change/after/application_rule_collection/0",
            "/change/after/application_rule_collection/0/rule",
            "/change/after/application_rule_collection/0/rule/0",
            "/change/after/application_rule_collection/0/rule/0/protocols",
            "/change/after/network_rule_collection",
            "/change/after/dns_servers",
            "/change/after/dns_servers/0",
            "/change/after/ip_configuration",
            "/change/after/ip_configuration/0/private_ip_address",
            "/change/after/subnet_id",
            "/change/after/route_table_id",
            "/change/after/firewall_policy_id",
            "/change/after/dns",
            "/change/after/dns/0/proxy_enabled",
            "/change/after/api_server_access_profile/0/authorized_ip_ranges",
            "/change/after_unknown/id",
        ] {
            paths.push(format!("{base}{p}"));
        }
    }
    // one wrong shape per path, rotating through the shapes so each path and each shape is used
    let shapes = wrong_shapes();
    let mut runs = 0;
    for p in &paths {
        if root.pointer(p).is_none() {
            continue;
        }
        let with = shapes[runs % shapes.len()].clone();
        pipeline(
            &format!("shape {p} = {with}"),
            replaced(&root, p, with.clone()).to_string(),
        );
        runs += 1;
    }
    assert!(runs > 150, "only {runs} shape mutations applied");
    // the classic wrong shapes, each on its own
    let nsg = find("azurerm_network_security_group");
    let after = |i: usize, k: &str| format!("/resource_changes/{i}/change/after/{k}");
    for (p, with) in [
        ("/resource_changes".to_string(), json!({"a": 1})),
        ("/resource_changes".to_string(), Value::Null),
        (
            format!("/resource_changes/{nsg}/change/after"),
            json!("after"),
        ),
        (format!("/resource_changes/{nsg}/change"), json!([1, 2])),
        (
            after(nsg, "security_rule"),
            json!({"name": "x", "priority": "100"}),
        ),
        (
            after(nsg, "security_rule"),
            json!([{"priority": "100", "access": 1}]),
        ),
        (after(nsg, "security_rule"), json!([null])),
        (
            after(find("azurerm_route_table"), "route"),
            json!([{"address_prefix": 0, "next_hop_type": ["None"]}]),
        ),
        (
            after(find("azurerm_subnet"), "address_prefixes"),
            json!(["10.0.0.0/33", "::/200", "x", 10]),
        ),
        (
            after(find("azurerm_kubernetes_cluster"), "network_profile"),
            json!({"outbound_type": 7}),
        ),
    ] {
        pipeline(
            &format!("shape {p} = {with}"),
            replaced(&root, &p, with).to_string(),
        );
    }
}

#[test]
fn wrong_shapes_at_spread_paths_never_panic() {
    for sc in ["nsg-deny-with-higher-allow", "private-byo-zone-linked-hub"] {
        let root: Value = serde_json::from_str(&scenario_text(sc)).unwrap();
        let mut all = vec![];
        pointers(&root, String::new(), &mut all);
        // every 1/50th of the document's nodes, each replaced by a rotating wrong shape
        let shapes = wrong_shapes();
        let step = (all.len() / 50).max(1);
        for (n, p) in all.iter().step_by(step).enumerate() {
            let with = shapes[n % shapes.len()].clone();
            let v = replaced(&root, p, with.clone());
            pipeline(&format!("{sc} {p} = {with}"), v.to_string());
        }
        // nulls everywhere below resource_changes/*/change/after, one value at a time
        let afters: Vec<&String> = all
            .iter()
            .filter(|p| p.contains("/change/after/") && !p.contains("after_"))
            .collect();
        let step = (afters.len() / 30).max(1);
        for p in afters.iter().step_by(step) {
            pipeline(
                &format!("{sc} {p} = null"),
                replaced(&root, p, Value::Null).to_string(),
            );
        }
    }
}

#[test]
fn all_values_nulled_at_once_never_panic() {
    fn null_leaves(v: &mut Value) {
        match v {
            Value::Object(m) => m.values_mut().for_each(null_leaves),
            Value::Array(a) => a.iter_mut().for_each(null_leaves),
            other => *other = Value::Null,
        }
    }
    let mut root: Value = serde_json::from_str(&scenario_text("hub-fw-aks-tag")).unwrap();
    let keep = root["format_version"].clone();
    null_leaves(&mut root);
    root["format_version"] = keep;
    pipeline("all-null", root.to_string());
}

#[test]
fn deep_nesting_inside_tags_is_an_input_error() {
    let mut root: Value = serde_json::from_str(&scenario_text(SCENARIOS[0])).unwrap();
    let i = root["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .position(|r| r["type"] == "azurerm_virtual_network")
        .unwrap();
    // 2,000 nested arrays/objects as a tag value, spliced into the text (serde_json's own
    // Value would refuse to build it)
    let deep = format!("{}1{}", "[{\"a\":".repeat(1000), "}]".repeat(1000));
    root["resource_changes"][i]["change"]["after"]["tags"] = json!({"deep": "MARKER"});
    let text = root.to_string().replace("\"MARKER\"", &deep);
    // serde_json stops at 128 levels: unreadable input, not a crash
    assert!(
        !pipeline("deep-tags", text.clone()),
        "2,000-level nesting loaded"
    );
    // and through the CLI: exit 2 with a located message, never a crash
    let out = bin()
        .args(["check", "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn huge_strings_never_panic() {
    let mut root: Value = serde_json::from_str(&scenario_text(SCENARIOS[0])).unwrap();
    let huge = "x".repeat(200_000);
    let rc = root["resource_changes"].as_array_mut().unwrap();
    for r in rc.iter_mut() {
        if let Some(after) = r
            .pointer_mut("/change/after")
            .and_then(|a| a.as_object_mut())
        {
            if after.contains_key("name") {
                after.insert("name".into(), json!(huge.clone()));
            }
        }
    }
    rc[0]["address"] = json!(format!("azurerm_x.{huge}"));
    assert!(
        pipeline("huge", root.to_string()),
        "huge names are valid JSON"
    );
    // a huge single-line address in the diagnostic excerpt path of the CLI
    let out = bin()
        .args(["check", "-", "--format", "json"])
        .write_stdin(root.to_string())
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0..=2)));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn non_utf8_input_exits_2() {
    let mut b = scenario_text(SCENARIOS[0]).into_bytes();
    let at = b.len() / 2;
    b[at] = 0xff;
    b.insert(at, 0xc3);
    let dir = std::env::temp_dir().join(format!("aks-preflight-utf8-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("latin1.json");
    std::fs::write(&p, &b).unwrap();
    for args in [
        vec!["check".to_string(), p.display().to_string()],
        vec!["requirements".to_string(), p.display().to_string()],
    ] {
        let out = bin().args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("UTF-8"), "{stderr}");
        assert!(!stderr.contains("panicked"));
    }
    let out = bin().args(["check", "-"]).write_stdin(b).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    // UTF-16 (PowerShell's `>` redirect) is not UTF-8 either
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(
            "{\"format_version\":\"1.2\"}"
                .encode_utf16()
                .flat_map(|u| u.to_le_bytes()),
        )
        .collect();
    let out = bin()
        .args(["check", "-"])
        .write_stdin(utf16)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn empty_stdin_exits_2() {
    for input in ["", "   \n", "\u{feff}"] {
        let out = bin()
            .args(["check", "-"])
            .write_stdin(input)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{input:?}: {stderr}");
        assert!(out.stdout.is_empty());
        assert!(!stderr.is_empty() && !stderr.contains("panicked"));
    }
}
