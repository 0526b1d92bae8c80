//! One root cause, one finding, and a failing run fits on one screen: every failing scenario's
//! default human output is at most 60 lines at 120 columns, the misspelt FQDN tag is one FWL
//! finding, and no line of prose or table is wider than the terminal.

use aks_preflight::analysis;
use aks_preflight::cli::args::InputArgs;
use aks_preflight::cli::commands::load;
use aks_preflight::report::{RunVerdict, human};
use std::path::Path;

const SCREEN_LINES: usize = 60;
const COLUMNS: usize = 120;

fn human_output(name: &str, style: &human::Style) -> (RunVerdict, Vec<String>, String) {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let args = InputArgs {
        inputs: vec![format!("testdata/scenarios/{name}/plan.json")],
        ..Default::default()
    };
    let mut l = load(&args).unwrap_or_else(|c| panic!("{name}: exit {c}"));
    let report = analysis::check(&l.model, &l.catalogue, &l.config, &l.options);
    let rules = report.findings.iter().map(|f| f.rule.clone()).collect();
    (
        report.verdict(),
        rules,
        human::render(&report, &mut l.sources, style),
    )
}

fn screen() -> human::Style {
    human::Style {
        color: false,
        width: COLUMNS,
        all_endpoints: false,
        verbose: false,
    }
}

#[test]
fn every_failing_scenario_fits_on_one_screen() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/scenarios");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("plan.json").exists())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    let mut failing = 0;
    let mut too_long = vec![];
    for name in &names {
        let (verdict, _, out) = human_output(name, &screen());
        if verdict != RunVerdict::Fail {
            continue;
        }
        failing += 1;
        let lines = out.lines().count();
        if lines > SCREEN_LINES {
            too_long.push(format!("{name}: {lines} lines\n{out}"));
        }
        // prose, messages, labels and table rows fit the width (source lines and Terraform
        // snippets are shown as they are)
        for l in out.lines() {
            let source_line = l
                .trim_start()
                .split_once(" │")
                .is_some_and(|(n, _)| n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty());
            let code = source_line || l.starts_with("        ");
            if !code && l.chars().count() > COLUMNS {
                too_long.push(format!(
                    "{name}: a line of {} columns: {l}",
                    l.chars().count()
                ));
            }
        }
    }
    assert!(failing >= 20, "{failing} failing scenarios");
    assert!(too_long.is_empty(), "{}", too_long.join("\n\n"));
}

#[test]
fn a_misspelt_fqdn_tag_is_one_finding_with_every_endpoint() {
    let (_, rules, out) = human_output("hub-fw-typo-tag", &screen());
    let fwl: Vec<&String> = rules.iter().filter(|r| r.starts_with("FWL")).collect();
    assert_eq!(fwl, ["FWL001"], "{out}");
    assert!(out.contains("denies 8 required endpoints"), "{out}");
    assert!(out.contains("replace \"AzureKubernetesServices\" with \"AzureKubernetesService\""));
    // the hop-by-hop path comes with --verbose only
    assert!(!out.contains("  path:"), "{out}");
    let verbose = human::Style {
        verbose: true,
        ..screen()
    };
    let (_, _, out) = human_output("hub-fw-typo-tag", &verbose);
    assert!(out.contains("  path:"), "{out}");
}

#[test]
fn passing_endpoints_are_counted_unless_all_are_asked_for() {
    let (_, _, out) = human_output("hub-fw-missing-fqdns", &screen());
    assert!(out.contains("endpoint(s) not listed: 9 reachable"), "{out}");
    assert!(!out.contains("reachable mcr.microsoft.com"), "{out}");
    let all = human::Style {
        all_endpoints: true,
        ..screen()
    };
    let (_, _, out) = human_output("hub-fw-missing-fqdns", &all);
    assert!(
        out.contains("reachable mcr.microsoft.com:443/https"),
        "{out}"
    );
    assert!(!out.contains("not listed"), "{out}");
}

#[test]
fn help_text_wraps_at_spaces_never_inside_a_host_name() {
    let narrow = human::Style {
        width: 60,
        ..screen()
    };
    let (_, _, out) = human_output("hub-fw-typo-tag", &narrow);
    for host in [
        "mcr-0001.mcr-msedge.net:443/https",
        "*.hcp.westeurope.azmk8s.io:443/https",
        "login.microsoftonline.com:443/https",
    ] {
        assert!(out.contains(host), "{host} was cut:\n{out}");
    }
}
