//! JUnit XML for Azure DevOps `PublishTestResults@2` (`testResultsFormat: JUnit`) and GitHub test
//! reporters.
//!
//! * One `<testsuite>` per cluster and node pool (`<cluster address> / <pool>`); one for each
//!   cluster's findings that belong to no pool, and one for findings about no cluster.
//! * One `<testcase>` per required endpoint of the pool (name `host:port/proto`) and one
//!   `DNS resolution` case per pool (the DNS and private-zone findings: `DNS…`, `PRV…`).
//! * A finding that belongs to no endpoint (an NSG priority clash, a NAT gateway without a public
//!   IP, an input note) is a case of its own, named `RULE: message`.
//!
//! Outcomes follow the exit code, so the test report and the gate agree:
//! `blocked` → `<failure>` (message: the finding, body: the hop-by-hop path); `unknown` →
//! `<skipped>` with the reason, or `<failure type="unknown">` with `--fail-on unknown`; an error
//! finding → `<failure>`; a warning → `<skipped>`, or `<failure>` with `--fail-on warning`/`unknown`;
//! a note → a passing case whose `<system-out>` holds it; a waived or baselined finding →
//! `<skipped>` saying why.

use super::{Finding, Report, Severity};
use crate::eval::Verdict;
use crate::source::SourceMap;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

/// Which outcomes fail the gate (from `--fail-on`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub fail_on_warning: bool,
    pub fail_on_unknown: bool,
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Pass,
    Failure { kind: String, message: String },
    Skipped { message: String },
}

struct Case {
    classname: String,
    name: String,
    outcome: Outcome,
    body: String,
}

struct Suite {
    name: String,
    cases: Vec<Case>,
}

/// XML 1.0 forbids most control characters, even escaped.
fn xml_safe(s: &str) -> String {
    s.chars()
        .filter(|&c| matches!(c, '\t' | '\n' | '\r') || !c.is_control())
        .collect()
}

fn finding_line(f: &Finding) -> String {
    format!("{} {}: {}", f.rule, f.severity.as_str(), f.message)
}

fn finding_body(f: &Finding, sources: &mut SourceMap) -> String {
    let mut body = finding_line(f);
    if let Some(w) = f
        .primary_origin()
        .and_then(|o| o.file.map(|id| (id, o.clone())))
    {
        let name = sources.get(w.0).name.clone();
        if let Some(l) = sources.locate_label(&w.1) {
            body.push_str(&format!("\nat {name}:{}:{}", l.line, l.column));
        }
    }
    if let Some(h) = f.full_help() {
        body.push_str(&format!("\nfix: {h}"));
    }
    if !f.path.is_empty() {
        body.push_str("\npath:\n");
        body.push_str(&super::human::render_path(&f.path, sources, "  "));
    }
    body
}

fn finding_outcome(f: &Finding, o: Options) -> Outcome {
    let fails = match f.severity {
        Severity::Error => true,
        Severity::Warning => o.fail_on_warning || o.fail_on_unknown,
        Severity::Note => false,
    };
    match (fails, f.severity) {
        (true, _) => Outcome::Failure {
            kind: f.rule.clone(),
            message: finding_line(f),
        },
        (false, Severity::Note) => Outcome::Pass,
        (false, _) => Outcome::Skipped {
            message: format!(
                "{} (does not fail the gate with the current --fail-on)",
                finding_line(f)
            ),
        },
    }
}

fn is_dns(f: &Finding) -> bool {
    f.rule.starts_with("DNS") || f.rule.starts_with("PRV")
}

/// Build the suites from the report.
fn suites(report: &Report, sources: &mut SourceMap, o: Options) -> Vec<Suite> {
    let mut attached = vec![false; report.findings.len()];
    let mut attached_s = vec![false; report.suppressed.len()];
    let mut out = vec![];
    for c in &report.clusters {
        for p in &c.node_pools {
            let classname = format!("{}.{}", c.address, p.name);
            let mine = |f: &Finding| {
                f.cluster.as_deref() == Some(c.address.as_str())
                    && f.node_pool.as_deref() == Some(p.name.as_str())
            };
            let mut cases = vec![];
            for e in p.egress.iter().filter(|e| e.required) {
                let label = e.label();
                let about = |f: &Finding| mine(f) && f.endpoints.contains(&label);
                let active = report.findings.iter().position(about);
                let waived = report.suppressed.iter().position(|s| about(&s.finding));
                for (i, f) in report.findings.iter().enumerate() {
                    if about(f) {
                        attached[i] = true;
                    }
                }
                for (i, s) in report.suppressed.iter().enumerate() {
                    if about(&s.finding) {
                        attached_s[i] = true;
                    }
                }
                let reason = crate::eval::path::reason_without_flow(&e.reason).to_string();
                let (outcome, body) = match (e.verdict, active, waived) {
                    (Verdict::Reachable, _, _) => (Outcome::Pass, String::new()),
                    (_, None, Some(s)) => {
                        let s = &report.suppressed[s];
                        (
                            Outcome::Skipped {
                                message: format!(
                                    "{}: {} ({})",
                                    e.verdict.as_str(),
                                    finding_line(&s.finding),
                                    s.by.describe()
                                ),
                            },
                            finding_body(&s.finding, sources),
                        )
                    }
                    (Verdict::Unknown, _, _) if !o.fail_on_unknown => {
                        let body = active
                            .map(|i| finding_body(&report.findings[i], sources))
                            .unwrap_or_else(|| super::human::render_path(&e.path, sources, "  "));
                        (
                            Outcome::Skipped {
                                message: format!("unknown: {reason}"),
                            },
                            body,
                        )
                    }
                    (v, Some(i), _) => {
                        let f = &report.findings[i];
                        (
                            Outcome::Failure {
                                kind: if v == Verdict::Unknown {
                                    "unknown".into()
                                } else {
                                    f.rule.clone()
                                },
                                message: finding_line(f),
                            },
                            finding_body(f, sources),
                        )
                    }
                    (v, None, None) => (
                        Outcome::Failure {
                            kind: v.as_str().into(),
                            message: format!("{}: {reason}", v.as_str()),
                        },
                        super::human::render_path(&e.path, sources, "  "),
                    ),
                };
                cases.push(Case {
                    classname: classname.clone(),
                    name: label,
                    outcome,
                    body,
                });
            }
            // DNS resolution: the pool's DNS and private-zone findings
            let mut dns_failure = None;
            let mut dns_skipped = vec![];
            let mut dns_body = vec![];
            for (i, f) in report.findings.iter().enumerate() {
                if mine(f) && is_dns(f) && !attached[i] {
                    attached[i] = true;
                    dns_body.push(finding_body(f, sources));
                    match finding_outcome(f, o) {
                        Outcome::Failure { kind, message } => {
                            dns_failure.get_or_insert((kind, message));
                        }
                        Outcome::Skipped { message } => dns_skipped.push(message),
                        Outcome::Pass => {}
                    }
                }
            }
            for (i, s) in report.suppressed.iter().enumerate() {
                if mine(&s.finding) && is_dns(&s.finding) && !attached_s[i] {
                    attached_s[i] = true;
                    dns_skipped.push(format!(
                        "{} ({})",
                        finding_line(&s.finding),
                        s.by.describe()
                    ));
                }
            }
            let outcome = match (dns_failure, dns_skipped.is_empty()) {
                (Some((kind, message)), _) => Outcome::Failure { kind, message },
                (None, false) => Outcome::Skipped {
                    message: dns_skipped.join("; "),
                },
                (None, true) => Outcome::Pass,
            };
            cases.push(Case {
                classname: classname.clone(),
                name: "DNS resolution".into(),
                outcome,
                body: dns_body.join("\n"),
            });
            // the pool's other findings, one case each
            for (i, f) in report.findings.iter().enumerate() {
                if mine(f) && !attached[i] {
                    attached[i] = true;
                    cases.push(finding_case(&classname, f, finding_outcome(f, o), sources));
                }
            }
            for (i, s) in report.suppressed.iter().enumerate() {
                if mine(&s.finding) && !attached_s[i] {
                    attached_s[i] = true;
                    cases.push(suppressed_case(&classname, s, sources));
                }
            }
            out.push(Suite {
                name: format!("{} / {}", c.address, p.name),
                cases,
            });
        }
    }
    // what is left: findings about a cluster but no pool (or a pool not in the report), and
    // findings about no cluster
    let mut rest: Vec<(String, Case)> = vec![];
    for (i, f) in report.findings.iter().enumerate() {
        if !attached[i] {
            let suite = f.cluster.clone().unwrap_or_else(|| "aks-preflight".into());
            rest.push((
                suite.clone(),
                finding_case(&suite, f, finding_outcome(f, o), sources),
            ));
        }
    }
    for (i, s) in report.suppressed.iter().enumerate() {
        if !attached_s[i] {
            let suite = s
                .finding
                .cluster
                .clone()
                .unwrap_or_else(|| "aks-preflight".into());
            rest.push((suite.clone(), suppressed_case(&suite, s, sources)));
        }
    }
    for (suite, case) in rest {
        match out.iter_mut().find(|s| s.name == suite) {
            Some(s) => s.cases.push(case),
            None => out.push(Suite {
                name: suite,
                cases: vec![case],
            }),
        }
    }
    out
}

fn finding_case(classname: &str, f: &Finding, outcome: Outcome, sources: &mut SourceMap) -> Case {
    let mut name = format!("{}: {}", f.rule, f.message);
    if name.chars().count() > 200 {
        name = name.chars().take(199).collect::<String>() + "…";
    }
    Case {
        classname: classname.to_string(),
        name,
        outcome,
        body: finding_body(f, sources),
    }
}

fn suppressed_case(classname: &str, s: &super::Suppressed, sources: &mut SourceMap) -> Case {
    finding_case(
        classname,
        &s.finding,
        Outcome::Skipped {
            message: format!("{} ({})", finding_line(&s.finding), s.by.describe()),
        },
        sources,
    )
}

/// Render the report as JUnit XML.
pub fn render(report: &Report, sources: &mut SourceMap, options: Options) -> String {
    let suites = suites(report, sources, options);
    let count =
        |s: &Suite, f: fn(&Outcome) -> bool| s.cases.iter().filter(|c| f(&c.outcome)).count();
    let is_failure = |o: &Outcome| matches!(o, Outcome::Failure { .. });
    let is_skipped = |o: &Outcome| matches!(o, Outcome::Skipped { .. });
    let total: usize = suites.iter().map(|s| s.cases.len()).sum();
    let failures: usize = suites.iter().map(|s| count(s, is_failure)).sum();
    let skipped: usize = suites.iter().map(|s| count(s, is_skipped)).sum();

    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let result: std::io::Result<()> = (|| {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        w.create_element("testsuites")
            .with_attribute(("name", "aks-preflight"))
            .with_attribute(("tests", total.to_string().as_str()))
            .with_attribute(("failures", failures.to_string().as_str()))
            .with_attribute(("errors", "0"))
            .with_attribute(("skipped", skipped.to_string().as_str()))
            .write_inner_content(|w| {
                for s in &suites {
                    w.create_element("testsuite")
                        .with_attribute(("name", xml_safe(&s.name).as_str()))
                        .with_attribute(("tests", s.cases.len().to_string().as_str()))
                        .with_attribute(("failures", count(s, is_failure).to_string().as_str()))
                        .with_attribute(("errors", "0"))
                        .with_attribute(("skipped", count(s, is_skipped).to_string().as_str()))
                        .with_attribute(("time", "0"))
                        .write_inner_content(|w| {
                            for c in &s.cases {
                                write_case(w, c)?;
                            }
                            Ok(())
                        })?;
                }
                Ok(())
            })?;
        Ok(())
    })();
    let mut out = String::from_utf8(w.into_inner()).unwrap_or_default();
    if let Err(e) = result {
        // writing to a Vec cannot fail; keep the error visible rather than silent
        out.push_str(&format!("\n<!-- {e} -->"));
    }
    out.push('\n');
    out
}

fn write_case(w: &mut Writer<Vec<u8>>, c: &Case) -> std::io::Result<()> {
    let el = w
        .create_element("testcase")
        .with_attribute(("classname", xml_safe(&c.classname).as_str()))
        .with_attribute(("name", xml_safe(&c.name).as_str()))
        .with_attribute(("time", "0"));
    match &c.outcome {
        Outcome::Pass if c.body.is_empty() => {
            el.write_empty()?;
        }
        Outcome::Pass => {
            el.write_inner_content(|w| {
                w.create_element("system-out")
                    .write_text_content(BytesText::new(&xml_safe(&c.body)))?;
                Ok(())
            })?;
        }
        Outcome::Failure { kind, message } => {
            el.write_inner_content(|w| {
                w.create_element("failure")
                    .with_attribute(("message", xml_safe(message).as_str()))
                    .with_attribute(("type", xml_safe(kind).as_str()))
                    .write_text_content(BytesText::new(&xml_safe(&c.body)))?;
                Ok(())
            })?;
        }
        Outcome::Skipped { message } => {
            el.write_inner_content(|w| {
                w.create_element("skipped")
                    .with_attribute(("message", xml_safe(message).as_str()))
                    .write_empty()?;
                if !c.body.is_empty() {
                    w.create_element("system-out")
                        .write_text_content(BytesText::new(&xml_safe(&c.body)))?;
                }
                Ok(())
            })?;
        }
    }
    Ok(())
}
