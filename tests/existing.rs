//! Existing resources as inputs: a spoke plan whose hub exists only in Azure
//! (`testdata/scenarios/existing-hub-*`), given as `az` files or ARM REST responses, gets the
//! verdicts of the equivalent all-in-one plan (`with-hub.toml` names it), and its hops say where
//! each element came from.

use aks_preflight::analysis;
use aks_preflight::cli::args::InputArgs;
use aks_preflight::cli::commands::load;
use aks_preflight::eval::Verdict;
use aks_preflight::report::Report;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Check `inputs` (paths relative to the repository) as the CLI does.
fn check(inputs: &[String]) -> Report {
    std::env::set_current_dir(root()).unwrap();
    let args = InputArgs {
        inputs: inputs.to_vec(),
        ..Default::default()
    };
    let l = load(&args).unwrap_or_else(|code| panic!("{inputs:?}: exit {code}"));
    analysis::check(&l.model, &l.catalogue, &l.config, &l.options)
}

type Verdicts = BTreeMap<(String, String, u16, String), Verdict>;

fn verdicts(r: &Report) -> Verdicts {
    let mut out = BTreeMap::new();
    for c in &r.clusters {
        for p in &c.node_pools {
            for e in &p.egress {
                out.insert(
                    (p.name.clone(), e.host.clone(), e.port, e.protocol.clone()),
                    e.verdict,
                );
            }
        }
    }
    out
}

fn rules(r: &Report) -> BTreeSet<String> {
    r.findings
        .iter()
        .filter(|f| !f.rule.starts_with("INP"))
        .map(|f| f.rule.clone())
        .collect()
}

/// The scenarios with an existing hub, and the all-in-one scenario each must match.
fn cases() -> Vec<(String, String)> {
    let dir = root().join("testdata/scenarios");
    let mut out = vec![];
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let with = p.join("with-hub.toml");
        if with.exists() {
            let t: toml::Value = toml::from_str(&std::fs::read_to_string(&with).unwrap()).unwrap();
            let eq = t["equivalent"].as_str().unwrap().to_string();
            out.push((p.file_name().unwrap().to_string_lossy().into_owned(), eq));
        }
    }
    out.sort();
    assert!(out.len() >= 3, "{out:?}");
    out
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root()).unwrap().display().to_string()
}

fn az_files(name: &str) -> Vec<String> {
    let dir = root().join(format!("testdata/scenarios/{name}/hub-az"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.iter().map(|p| rel(p)).collect()
}

/// The hub given one way gives the same verdicts as the all-in-one plan: every endpoint of the
/// all-in-one run has the same verdict, the same rules fire, and the only extra rows are the
/// DNS servers (the all-in-one plan names the firewall's IP by reference, unknown until apply,
/// so it has no per-IP DNS rows).
pub fn assert_same_verdicts(with_hub: &Report, all_in_one: &Report, what: &str) {
    assert_eq!(rules(with_hub), rules(all_in_one), "{what}: rules");
    assert_eq!(with_hub.verdict(), all_in_one.verdict(), "{what}: verdict");
    let a = verdicts(with_hub);
    let b = verdicts(all_in_one);
    assert!(!b.is_empty(), "{what}");
    for (k, v) in &b {
        assert_eq!(a.get(k), Some(v), "{what}: {k:?}");
    }
    for (k, v) in &a {
        if !b.contains_key(k) {
            assert_eq!(k.2, 53, "{what}: only DNS rows may be extra: {k:?}");
            assert_eq!(*v, Verdict::Reachable, "{what}: {k:?}");
        }
    }
}

#[test]
fn hub_as_az_files_or_rest_gives_the_all_in_one_verdicts() {
    for (name, equivalent) in cases() {
        let plan = format!("testdata/scenarios/{name}/plan.json");
        let all_in_one = check(&[format!("testdata/scenarios/{equivalent}/plan.json")]);
        let alone = check(std::slice::from_ref(&plan));
        assert!(
            verdicts(&alone).values().all(|v| *v == Verdict::Unknown),
            "{name}: alone, the hub is unknown"
        );

        let mut inputs = vec![plan.clone()];
        inputs.extend(az_files(&name));
        assert_same_verdicts(&check(&inputs), &all_in_one, &format!("{name} + az files"));

        // the same resources as one REST list; order of inputs does not matter
        let rest = format!("testdata/scenarios/{name}/hub-rest.json");
        assert_same_verdicts(
            &check(&[rest.clone(), plan.clone()]),
            &all_in_one,
            &format!("{name} + REST"),
        );
    }
}

#[test]
fn hops_say_which_file_each_element_came_from() {
    let name = "existing-hub-spoke-deny-before-allow";
    let mut inputs = vec![format!("testdata/scenarios/{name}/plan.json")];
    inputs.extend(az_files(name));
    std::env::set_current_dir(root()).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aks-preflight"))
        .arg("explain")
        .args(&inputs)
        .args(["--to", "mcr.microsoft.com:443/tcp"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    // planned hops point into the plan, existing ones into the az file that holds them
    assert!(
        text.contains(&format!("at testdata/scenarios/{name}/plan.json:")),
        "{text}"
    );
    for file in [
        "firewall.json",
        "firewall-policy-rule-collection-group.json",
    ] {
        assert!(
            text.contains(&format!("at testdata/scenarios/{name}/hub-az/{file}:")),
            "{file}\n{text}"
        );
    }
    assert!(text.contains("block-all-web"), "{text}");
    assert!(
        text.contains("rg-hub-prod-weu/azureFirewalls/afw-hub-prod-weu"),
        "{text}"
    );
}
