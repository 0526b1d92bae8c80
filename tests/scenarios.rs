//! End-to-end scenarios: every `testdata/scenarios/<name>/plan.json` is checked against its
//! independently written `expected.toml` (exit code, overall verdict, the exact set of rules that
//! fire, pinned findings, per-endpoint verdicts), and its human and JSON outputs are snapshotted.

use aks_preflight::analysis;
use aks_preflight::cli::args::{FailOn, InputArgs};
use aks_preflight::cli::commands::{exit_code, load};
use aks_preflight::report::{self, Report, human};
use aks_preflight::source::SourceMap;
use serde::Deserialize;
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
    egress: Vec<ExpEgress>,
}

#[derive(Debug, Deserialize)]
struct ExpFinding {
    rule: String,
    address: Option<String>,
    pool: Option<String>,
    endpoint: Option<String>,
    /// Text the message must contain (the cause the finding names).
    message: Option<String>,
    /// Text the help must contain (the fix it gives).
    help: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ExpEgress {
    pool: String,
    host: String,
    port: u16,
    protocol: String,
    verdict: String,
}

pub fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/scenarios")
}

/// Load and check a plan exactly as the CLI does (same loading, merging, policies).
fn run(plan: &Path) -> (Report, SourceMap) {
    let name = plan
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap()
        .display()
        .to_string();
    let name = name.trim_start_matches('/').to_string();
    // relative paths, so outputs and snapshots do not depend on the checkout location
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    // a scenario that needs a config file has it beside its plan (passed as --config)
    let config = Path::new(&name).with_file_name("aks-preflight.toml");
    let args = InputArgs {
        inputs: vec![name.clone()],
        config: config.exists().then_some(config),
        ..Default::default()
    };
    let l = load(&args).unwrap_or_else(|code| panic!("{name}: exit {code}"));
    let report = analysis::check(&l.model, &l.catalogue, &l.config, &l.options);
    (report, l.sources)
}

fn proto_matches(expected: &str, actual: &str) -> bool {
    expected == actual || (expected == "tcp" && (actual == "https" || actual == "http"))
}

fn verdict_str(r: &Report) -> &'static str {
    r.verdict().as_str()
}

/// Compare one scenario with its oracle; returns the list of mismatches.
fn compare(name: &str, exp: &Expected, rep: &Report) -> Vec<String> {
    let mut errs = vec![];
    let code = exit_code(rep, FailOn::Error);
    if code != exp.exit_code {
        errs.push(format!(
            "{name}: exit code {code}, expected {}",
            exp.exit_code
        ));
    }
    if verdict_str(rep) != exp.verdict {
        errs.push(format!(
            "{name}: verdict {}, expected {}",
            verdict_str(rep),
            exp.verdict
        ));
    }
    let fired: BTreeSet<&str> = rep
        .findings
        .iter()
        .map(|f| f.rule.as_str())
        .filter(|r| !r.starts_with("INP"))
        .collect();
    let want: BTreeSet<&str> = exp.rules.iter().map(|s| s.as_str()).collect();
    if fired != want {
        let detail: Vec<String> = rep
            .findings
            .iter()
            .filter(|f| !f.rule.starts_with("INP"))
            .map(|f| format!("    {} {}: {}", f.rule, f.severity.as_str(), f.message))
            .collect();
        errs.push(format!(
            "{name}: rules fired {fired:?}, expected {want:?}\n{}",
            detail.join("\n")
        ));
    }
    for ef in &exp.finding {
        let ok = rep.findings.iter().any(|f| {
            f.rule == ef.rule
                && ef
                    .pool
                    .as_ref()
                    .is_none_or(|p| f.node_pool.as_deref() == Some(p.as_str()))
                && ef.address.as_ref().is_none_or(|a| {
                    f.message.contains(a.as_str())
                        || f.labels
                            .iter()
                            .any(|l| l.origin.address.as_deref() == Some(a.as_str()))
                })
                && ef
                    .endpoint
                    .as_ref()
                    .is_none_or(|e| f.message.contains(e.as_str()))
                && ef
                    .message
                    .as_ref()
                    .is_none_or(|m| f.message.contains(m.as_str()))
                && ef
                    .help
                    .as_ref()
                    // the help a reader sees: the text and the snippet printed after it
                    .is_none_or(|h| {
                        f.help.as_deref().unwrap_or("").contains(h.as_str())
                            || f.snippet.as_deref().unwrap_or("").contains(h.as_str())
                    })
        });
        if !ok {
            errs.push(format!(
                "{name}: no {} finding naming {:?} (pool {:?}, endpoint {:?}, message {:?}, help {:?})",
                ef.rule, ef.address, ef.pool, ef.endpoint, ef.message, ef.help
            ));
        }
    }
    for ee in &exp.egress {
        let found = rep
            .clusters
            .iter()
            .flat_map(|c| &c.node_pools)
            .filter(|p| p.name == ee.pool)
            .flat_map(|p| &p.egress)
            .find(|e| {
                e.host == ee.host && e.port == ee.port && proto_matches(&ee.protocol, &e.protocol)
            });
        match found {
            None => errs.push(format!(
                "{name}: no egress row {}:{}/{} for pool {}",
                ee.host, ee.port, ee.protocol, ee.pool
            )),
            Some(e) if e.verdict.as_str() != ee.verdict => errs.push(format!(
                "{name}: {} {}:{}/{} is {}, expected {} ({})",
                ee.pool,
                ee.host,
                ee.port,
                ee.protocol,
                e.verdict.as_str(),
                ee.verdict,
                e.reason
            )),
            Some(_) => {}
        }
    }
    errs
}

#[test]
fn scenarios_match_their_oracles() {
    let mut all = vec![];
    let mut n = 0;
    let mut dirs: Vec<_> = std::fs::read_dir(scenarios_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.join("expected.toml").exists())
        .collect();
    dirs.sort();
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let exp: Expected =
            toml::from_str(&std::fs::read_to_string(dir.join("expected.toml")).unwrap())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        let (rep, mut sources) = run(&dir.join("plan.json"));
        all.extend(compare(&name, &exp, &rep));
        // sensitive values never reach any output
        let human_out = human::render(&rep, &mut sources, &human::Style::default());
        let json_out = report::json::render(&rep, &mut sources);
        for (fmt, out) in [("human", &human_out), ("json", &json_out)] {
            if out.contains("SECRET-SHOULD-NOT-BE-PRINTED") {
                all.push(format!(
                    "{name}: a sensitive value appears in the {fmt} output"
                ));
            }
        }
        n += 1;
    }
    assert!(n >= 35, "expected the scenario fixtures, found {n}");
    assert!(
        all.is_empty(),
        "{} mismatch(es):\n{}",
        all.len(),
        all.join("\n")
    );
}

#[test]
fn scenario_outputs_snapshots() {
    insta::glob!("../testdata/scenarios", "*/plan.json", |path| {
        let (rep, mut sources) = run(path);
        let style = human::Style {
            color: false,
            width: 100,
            all_endpoints: false,
            verbose: false,
        };
        let text = human::render(&rep, &mut sources, &style);
        insta::assert_snapshot!("human", text);
        let json: serde_json::Value =
            serde_json::from_str(&report::json::render(&rep, &mut sources)).unwrap();
        insta::assert_json_snapshot!("json", json);
    });
}
