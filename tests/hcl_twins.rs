//! HCL twins: `testdata/scenarios/<name>/hcl/` holds, written by hand as a Terraform author
//! would, the configuration `<name>/plan.json` is the plan of. Checking the directory must give
//! what checking the plan gives: the same verdicts (overall and per endpoint, with reasons) and
//! the same findings (rules, severities, messages, pools, addresses), with every location in a
//! `.tf` file instead of the plan. Compared at run time, so a change of verdicts applies to both.

use aks_preflight::analysis;
use aks_preflight::cli::args::{FailOn, InputArgs};
use aks_preflight::cli::commands::{exit_code, load};
use aks_preflight::report::{Report, human, json};
use aks_preflight::source::{Loc, SourceMap};
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn check(input: &str) -> (Report, SourceMap) {
    std::env::set_current_dir(root()).unwrap();
    let args = InputArgs {
        inputs: vec![input.to_string()],
        ..Default::default()
    };
    let l = load(&args).unwrap_or_else(|code| panic!("{input}: exit {code}"));
    let report = analysis::check(&l.model, &l.catalogue, &l.config, &l.options);
    (report, l.sources)
}

/// Codes only the HCL reader emits (a twin is a complete configuration: none may appear but
/// the data-source note).
const HCL_ONLY: &[&str] = &["INP030", "INP031", "INP032", "INP033", "INP034", "INP035"];

/// A finding without its locations.
fn finding_key(f: &aks_preflight::report::Finding) -> String {
    let mut labels: Vec<String> = f
        .labels
        .iter()
        .map(|l| {
            format!(
                "{}{}: {}",
                if l.primary { "*" } else { "" },
                l.origin.address.as_deref().unwrap_or("-"),
                l.text
            )
        })
        .collect();
    labels.sort();
    let path: Vec<String> = f
        .path
        .iter()
        .map(|h| format!("{:?} {}", h.verdict, h.description))
        .collect();
    format!(
        "{} {} {:?}/{:?}: {}\n  help: {:?}\n  labels: {labels:?}\n  path: {path:?}\n  verdict: {:?}",
        f.rule,
        f.severity.as_str(),
        f.cluster,
        f.node_pool,
        f.message,
        f.help,
        f.verdict
    )
}

fn egress_keys(r: &Report) -> Vec<String> {
    let mut out = Vec::new();
    for c in &r.clusters {
        for p in &c.node_pools {
            for e in &p.egress {
                out.push(format!(
                    "{} {} {:?} {}:{}/{} {} {}",
                    c.address,
                    p.name,
                    p.subnet,
                    e.host,
                    e.port,
                    e.protocol,
                    e.verdict.as_str(),
                    e.reason
                ));
            }
        }
    }
    out
}

/// Compare a twin with its plan; the list of differences.
fn compare(name: &str, plan: &Report, hcl: &Report, sources: &mut SourceMap) -> Vec<String> {
    let mut errs = Vec::new();
    if plan.verdict() != hcl.verdict() {
        errs.push(format!(
            "{name}: verdict {:?} from HCL, {:?} from the plan",
            hcl.verdict(),
            plan.verdict()
        ));
    }
    if exit_code(plan, FailOn::Error) != exit_code(hcl, FailOn::Error) {
        errs.push(format!("{name}: exit codes differ"));
    }
    let (pe, he) = (egress_keys(plan), egress_keys(hcl));
    for x in pe.iter().filter(|x| !he.contains(x)).take(3) {
        errs.push(format!("{name}: egress only from the plan: {x}"));
    }
    for x in he.iter().filter(|x| !pe.contains(x)).take(3) {
        errs.push(format!("{name}: egress only from HCL: {x}"));
    }
    let pf: Vec<String> = plan.findings.iter().map(finding_key).collect();
    let hf: Vec<String> = hcl
        .findings
        .iter()
        .filter(|f| f.rule != "INP034")
        .map(finding_key)
        .collect();
    for x in pf.iter().filter(|x| !hf.contains(x)) {
        errs.push(format!("{name}: finding only from the plan:\n{x}"));
    }
    for x in hf.iter().filter(|x| !pf.contains(x)) {
        errs.push(format!("{name}: finding only from HCL:\n{x}"));
    }
    for f in &hcl.findings {
        if HCL_ONLY.contains(&f.rule.as_str()) && f.rule != "INP034" {
            errs.push(format!(
                "{name}: the twin is not fully evaluated: {} {}",
                f.rule, f.message
            ));
        }
        // every location is a span of a .tf file
        let hops = f.path.iter().filter_map(|h| h.origin.as_ref());
        for o in f.labels.iter().map(|l| &l.origin).chain(hops) {
            let Some(file) = o.file else { continue };
            let fname = sources.get(file).name.clone();
            if !matches!(o.loc, Loc::Span(_)) || !fname.ends_with(".tf") {
                errs.push(format!(
                    "{name}: {} is located in {fname} ({:?}), not at a .tf span",
                    f.rule, o.loc
                ));
            } else if sources.locate_label(o).is_none() {
                errs.push(format!("{name}: {} has an unresolvable location", f.rule));
            }
        }
    }
    // the outputs render, and no location points at the plan
    let text = human::render(hcl, sources, &human::Style::default());
    let out = json::render(hcl, sources);
    for t in [&text, &out] {
        if t.contains("SECRET-SHOULD-NOT-BE-PRINTED") {
            errs.push(format!("{name}: a sensitive value appears in an output"));
        }
        if t.contains("plan.json:")
            || t.contains("\"file\": \"testdata/scenarios/") && t.contains("plan.json\"")
        {
            errs.push(format!("{name}: an output of the twin names plan.json"));
        }
    }
    errs
}

fn twins() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("testdata/scenarios"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.join("hcl").is_dir())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn hcl_twins_give_the_plans_verdicts_and_findings() {
    let mut errs = Vec::new();
    let dirs = twins();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let rel = format!("testdata/scenarios/{name}");
        let (plan, _) = check(&format!("{rel}/plan.json"));
        let (hcl, mut sources) = check(&format!("{rel}/hcl"));
        errs.extend(compare(&name, &plan, &hcl, &mut sources));
    }
    assert!(errs.is_empty(), "{}", errs.join("\n"));
    assert!(
        dirs.len() >= 12,
        "expected at least twelve HCL twins, found {}",
        dirs.len()
    );
}

/// A plan checked with the configuration it was made from (`--source`) shows every finding at
/// the `.tf` lines, and keeps the plan location as a related one.
#[test]
fn plans_checked_with_their_source_point_at_the_tf_lines() {
    let mut errs = Vec::new();
    for dir in twins() {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let rel = format!("testdata/scenarios/{name}");
        std::env::set_current_dir(root()).unwrap();
        let args = InputArgs {
            inputs: vec![format!("{rel}/plan.json")],
            source: Some(PathBuf::from(format!("{rel}/hcl"))),
            ..Default::default()
        };
        let l = load(&args).unwrap_or_else(|code| panic!("{name}: exit {code}"));
        let report = analysis::check(&l.model, &l.catalogue, &l.config, &l.options);
        let (plain, _) = check(&format!("{rel}/plan.json"));
        // the same findings as without the source
        let keys: Vec<String> = report.findings.iter().map(finding_key).collect();
        let plain_keys: Vec<String> = plain.findings.iter().map(finding_key).collect();
        if keys != plain_keys {
            errs.push(format!("{name}: --source changed the findings"));
        }
        let mut sources = l.sources;
        for f in &report.findings {
            for l in &f.labels {
                let Some(loc) = sources.locate_label(&l.origin) else {
                    continue;
                };
                let fname = sources.get(loc.file).name.clone();
                if !fname.ends_with(".tf") {
                    errs.push(format!(
                        "{name}: {} `{}` is shown in {fname}",
                        f.rule, l.text
                    ));
                    continue;
                }
                if l.origin
                    .file
                    .is_some_and(|p| sources.get(p).name.ends_with("plan.json"))
                    && !sources
                        .related(&l.origin)
                        .iter()
                        .any(|(o, t)| t == "in the plan" && o.file == l.origin.file)
                {
                    errs.push(format!("{name}: {} keeps no plan location", f.rule));
                }
            }
        }
    }
    assert!(errs.is_empty(), "{}", errs.join("\n"));
}
