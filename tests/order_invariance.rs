//! Order invariance: a plan says the same thing whatever order Terraform writes it in. For every
//! scenario (`testdata/scenarios/*/plan.json`), shuffled copies — `resource_changes` permuted,
//! child modules and their resources permuted, and every set-like list (NSG rules, routes,
//! inline subnets, address and port lists, firewall rules and collections...) permuted in
//! `after`, `before` and their masks alike — must give the same run verdict, the same
//! per-endpoint verdicts and reasons, and the same finding texts. Locations may differ (the
//! elements moved); nothing else may.
//!
//! Lists whose order means something are left alone: `dns_servers` (nodes ask the first server
//! first), `ip_configuration` (the first one holds the firewall's subnet), single blocks.
//!
//! [`property`] says the same of `resource_changes` as a proptest: random scenarios, random
//! permutations (shrunk towards the written order when one fails), the JSON report compared.

use aks_preflight::analysis;
use aks_preflight::analysis::CheckOptions;
use aks_preflight::policy::catalogue::Catalogue;
use aks_preflight::policy::config::Config;
use aks_preflight::source::SourceMap;
use serde_json::Value;
use std::path::Path;

/// Attribute names whose lists have no order in Azure (sets in the azurerm schema, or lists
/// whose order Azure ignores).
const SET_LIKE: &[&str] = &[
    "security_rule",
    "route",
    "subnet",
    "address_space",
    "address_prefixes",
    "source_address_prefixes",
    "destination_address_prefixes",
    "source_port_ranges",
    "destination_port_ranges",
    "source_application_security_group_ids",
    "destination_application_security_group_ids",
    "application_rule_collection",
    "network_rule_collection",
    "nat_rule_collection",
    "rule",
    "protocol",
    "protocols",
    "source_addresses",
    "source_ip_groups",
    "destination_addresses",
    "destination_ip_groups",
    "destination_fqdns",
    "destination_fqdn_tags",
    "destination_ports",
    "fqdn_tags",
    "target_fqdns",
    "cidrs",
    "authorized_ip_ranges",
    "no_proxy",
    "delegation",
    "service_endpoints",
    "zones",
];

/// A small deterministic generator (xorshift64*): the same seed gives the same shuffles.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A permutation of `0..n` (Fisher-Yates).
    fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            p.swap(i, j);
        }
        p
    }
}

fn permute(v: &mut Value, p: &[usize]) {
    if let Value::Array(a) = v {
        if a.len() == p.len() {
            let old = std::mem::take(a);
            let mut slots: Vec<Option<Value>> = old.into_iter().map(Some).collect();
            *a = p.iter().map(|&i| slots[i].take().unwrap()).collect();
        }
    }
}

/// Shuffle the set-like lists of a value tree and, in step, of its masks (`after_unknown`,
/// `after_sensitive` ...: arrays element by element, or a scalar for the whole list).
fn shuffle_sets(rng: &mut Rng, value: &mut Value, masks: &mut [&mut Value]) {
    match value {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for k in keys {
                let child = map.get_mut(&k).unwrap();
                let mut child_masks: Vec<&mut Value> = masks
                    .iter_mut()
                    .filter_map(|m| match &mut **m {
                        Value::Object(mm) => mm.get_mut(&k),
                        _ => None,
                    })
                    .collect();
                if SET_LIKE.contains(&k.as_str()) {
                    if let Value::Array(a) = child {
                        let p = rng.permutation(a.len());
                        permute(child, &p);
                        for m in child_masks.iter_mut() {
                            permute(m, &p);
                        }
                    }
                }
                shuffle_sets(rng, child, &mut child_masks);
            }
        }
        Value::Array(items) => {
            for (i, it) in items.iter_mut().enumerate() {
                let mut item_masks: Vec<&mut Value> = masks
                    .iter_mut()
                    .filter_map(|m| match &mut **m {
                        Value::Array(ma) => ma.get_mut(i),
                        _ => None,
                    })
                    .collect();
                shuffle_sets(rng, it, &mut item_masks);
            }
        }
        _ => {}
    }
}

/// Shuffle a module of `prior_state.values` / `planned_values`: its resources, their set-like
/// lists, and its child modules.
fn shuffle_module(rng: &mut Rng, m: &mut Value) {
    if let Some(rs) = m.get_mut("resources") {
        let n = rs.as_array().map_or(0, Vec::len);
        let p = rng.permutation(n);
        permute(rs, &p);
        for r in rs.as_array_mut().into_iter().flatten() {
            let obj = r.as_object_mut().unwrap();
            let mut sens = obj.remove("sensitive_values").unwrap_or(Value::Null);
            if let Some(v) = obj.get_mut("values") {
                shuffle_sets(rng, v, &mut [&mut sens]);
            }
            obj.insert("sensitive_values".into(), sens);
        }
    }
    if let Some(cms) = m.get_mut("child_modules") {
        let n = cms.as_array().map_or(0, Vec::len);
        let p = rng.permutation(n);
        permute(cms, &p);
        for cm in cms.as_array_mut().into_iter().flatten() {
            shuffle_module(rng, cm);
        }
    }
}

fn shuffled(doc: &Value, seed: u64) -> Value {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut d = doc.clone();
    if let Some(rcs) = d.get_mut("resource_changes") {
        let n = rcs.as_array().map_or(0, Vec::len);
        let p = rng.permutation(n);
        permute(rcs, &p);
        for rc in rcs.as_array_mut().into_iter().flatten() {
            let Some(ch) = rc.get_mut("change").and_then(Value::as_object_mut) else {
                continue;
            };
            let mut unknown = ch.remove("after_unknown").unwrap_or(Value::Null);
            let mut after_s = ch.remove("after_sensitive").unwrap_or(Value::Null);
            let mut before_s = ch.remove("before_sensitive").unwrap_or(Value::Null);
            // the same seed for before and after: a no-op's before and after stay alike
            let s = rng.next();
            if let Some(a) = ch.get_mut("after") {
                shuffle_sets(&mut Rng(s | 1), a, &mut [&mut unknown, &mut after_s]);
            }
            if let Some(b) = ch.get_mut("before") {
                shuffle_sets(&mut Rng(s | 1), b, &mut [&mut before_s]);
            }
            ch.insert("after_unknown".into(), unknown);
            ch.insert("after_sensitive".into(), after_s);
            ch.insert("before_sensitive".into(), before_s);
        }
    }
    for top in ["prior_state", "planned_values"] {
        let root = match top {
            "prior_state" => d.pointer_mut("/prior_state/values/root_module"),
            _ => d.pointer_mut("/planned_values/root_module"),
        };
        if let Some(m) = root {
            shuffle_module(&mut rng, m);
        }
    }
    d
}

/// What a run says, location-free: run verdict, per-endpoint verdicts and reasons, findings.
fn outcome(name: &str, text: String, config: &Config) -> Vec<String> {
    let mut sources = SourceMap::new();
    let (_, mut model) = aks_preflight::input::load(&mut sources, name, text)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    model.finish();
    let catalogue = Catalogue::builtin().cloned().unwrap();
    let report = analysis::check(&model, &catalogue, config, &CheckOptions::default());
    let mut out = vec![format!("verdict {:?}", report.verdict())];
    for c in &report.clusters {
        for p in &c.node_pools {
            let mut rows: Vec<String> = p
                .egress
                .iter()
                .map(|e| {
                    format!(
                        "{} {} {}:{}/{} {} — {}",
                        c.address,
                        p.name,
                        e.host,
                        e.port,
                        e.protocol,
                        e.verdict.as_str(),
                        e.reason
                    )
                })
                .collect();
            rows.sort();
            out.extend(rows);
        }
    }
    let mut findings: Vec<String> = report
        .findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {:?}/{:?}: {}\n  help: {}",
                f.rule,
                f.severity.as_str(),
                f.cluster,
                f.node_pool,
                f.message,
                f.help.as_deref().unwrap_or("")
            )
        })
        .collect();
    findings.sort();
    out.extend(findings);
    out
}

/// The plan of every scenario of `testdata/scenarios`, sorted.
fn scenario_plans() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/scenarios");
    let mut plans: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("plan.json"))
        .filter(|p| p.exists())
        .collect();
    plans.sort();
    plans
}

#[test]
fn every_scenario_gives_the_same_verdicts_and_findings_in_any_order() {
    let plans = scenario_plans();
    assert!(
        plans.len() >= 35,
        "expected the scenarios, found {}",
        plans.len()
    );
    let mut failures = vec![];
    for plan in &plans {
        let name = plan
            .parent()
            .and_then(|d| d.file_name())
            .unwrap()
            .to_string_lossy()
            .to_string();
        let text = std::fs::read_to_string(plan).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        let cfg_path = plan.with_file_name("aks-preflight.toml");
        let config = if cfg_path.exists() {
            Config::load(&cfg_path).unwrap()
        } else {
            Config::default()
        };
        let want = outcome(&name, text, &config);
        for seed in 1..=4u64 {
            let variant = serde_json::to_string_pretty(&shuffled(&doc, seed)).unwrap();
            let got = outcome(&name, variant, &config);
            if got != want {
                let diff: Vec<String> = want
                    .iter()
                    .filter(|l| !got.contains(l))
                    .map(|l| format!("    - {l}"))
                    .chain(
                        got.iter()
                            .filter(|l| !want.contains(l))
                            .map(|l| format!("    + {l}")),
                    )
                    .take(8)
                    .collect();
                failures.push(format!("{name} (seed {seed}):\n{}", diff.join("\n")));
                break;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} scenario(s) depend on input order:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The shuffler itself: it moves things (a test that shuffles nothing proves nothing).
#[test]
fn the_shuffle_changes_the_document() {
    let doc: Value = serde_json::json!({
        "resource_changes": [
            {"address": "a", "change": {"after": {"security_rule": [1, 2, 3, 4, 5, 6],
                "dns_servers": [1, 2, 3, 4, 5, 6]},
                "after_unknown": {"security_rule": [false, true, false, false, false, false]}}},
            {"address": "b"}, {"address": "c"}, {"address": "d"}, {"address": "e"}
        ]
    });
    let moved = (1..=4).any(|s| shuffled(&doc, s) != doc);
    assert!(moved);
    for s in 1..=4 {
        let d = shuffled(&doc, s);
        let rc = d["resource_changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["address"] == "a")
            .unwrap();
        // ordered lists stay, set-like lists move with their masks
        assert_eq!(
            rc["change"]["after"]["dns_servers"],
            doc["resource_changes"][0]["change"]["after"]["dns_servers"]
        );
        let rules = rc["change"]["after"]["security_rule"].as_array().unwrap();
        let unk = rc["change"]["after_unknown"]["security_rule"]
            .as_array()
            .unwrap();
        let pos = rules.iter().position(|v| v == 2).unwrap();
        assert_eq!(unk[pos], true, "the mask follows its element");
    }
}

// ---------------------------------------------------------------- the same, as a property

mod property {
    //! A proptest form of the test above: proptest picks a scenario and a permutation of its
    //! `resource_changes` (shrinking towards the written order), and the JSON report's findings,
    //! run verdict and summary must be those of the plan as written. Findings are compared
    //! without their line and column (the resources moved) and as a sorted list.

    use super::{Catalogue, CheckOptions, Config, SourceMap, Value, analysis};
    use proptest::prelude::*;
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};

    struct Scenario {
        name: String,
        doc: Value,
        config: Config,
    }

    fn scenarios() -> &'static [Scenario] {
        static ALL: OnceLock<Vec<Scenario>> = OnceLock::new();
        ALL.get_or_init(|| {
            super::scenario_plans()
                .iter()
                .map(|plan| {
                    let cfg = plan.with_file_name("aks-preflight.toml");
                    Scenario {
                        name: plan
                            .parent()
                            .and_then(|d| d.file_name())
                            .unwrap()
                            .to_string_lossy()
                            .to_string(),
                        doc: serde_json::from_str(&std::fs::read_to_string(plan).unwrap()).unwrap(),
                        config: if cfg.exists() {
                            Config::load(&cfg).unwrap()
                        } else {
                            Config::default()
                        },
                    }
                })
                .collect()
        })
    }

    /// Remove `line` and `column` from every location (an object with a `file`).
    fn strip_positions(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if map.contains_key("file") {
                    map.remove("line");
                    map.remove("column");
                }
                map.values_mut().for_each(strip_positions);
            }
            Value::Array(items) => items.iter_mut().for_each(strip_positions),
            _ => {}
        }
    }

    /// The JSON report's verdict, summary and findings (sorted, without positions).
    fn findings(s: &Scenario, doc: &Value) -> Value {
        let mut sources = SourceMap::new();
        let text = serde_json::to_string(doc).unwrap();
        let (_, mut model) = aks_preflight::input::load(&mut sources, &s.name, text)
            .unwrap_or_else(|e| panic!("{}: {e}", s.name));
        model.finish();
        let catalogue = Catalogue::builtin().unwrap();
        let report = analysis::check(&model, catalogue, &s.config, &CheckOptions::default());
        let mut json: Value =
            serde_json::from_str(&aks_preflight::report::json::render(&report, &mut sources))
                .unwrap();
        strip_positions(&mut json);
        let mut list: Vec<String> = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| serde_json::to_string_pretty(f).unwrap())
            .collect();
        list.sort();
        serde_json::json!({
            "verdict": json["verdict"],
            "summary": json["summary"],
            "findings": list,
        })
    }

    /// The findings of each scenario as written, computed once.
    fn written(i: usize) -> Value {
        static CACHE: OnceLock<Mutex<HashMap<usize, Value>>> = OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        if let Some(v) = cache.lock().unwrap().get(&i) {
            return v.clone();
        }
        let s = &scenarios()[i];
        let v = findings(s, &s.doc);
        cache.lock().unwrap().insert(i, v.clone());
        v
    }

    /// A scenario and a permutation of its `resource_changes`.
    fn case() -> impl Strategy<Value = (usize, Vec<usize>)> {
        let n = scenarios().len();
        assert!(n >= 35, "expected the scenarios, found {n}");
        (0..n).prop_flat_map(|i| {
            let len = scenarios()[i].doc["resource_changes"]
                .as_array()
                .map_or(0, Vec::len);
            (Just(i), Just((0..len).collect::<Vec<_>>()).prop_shuffle())
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn findings_do_not_depend_on_the_order_of_resource_changes((i, order) in case()) {
            let s = &scenarios()[i];
            let mut doc = s.doc.clone();
            if let Some(Value::Array(rcs)) = doc.get_mut("resource_changes") {
                let old = std::mem::take(rcs);
                *rcs = order.iter().map(|&k| old[k].clone()).collect();
            }
            let got = findings(s, &doc);
            prop_assert_eq!(got, written(i), "{} in the order {:?}", s.name, order);
        }
    }
}
