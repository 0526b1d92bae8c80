//! Human output: miette's graphical diagnostics (colour on a TTY, plain otherwise) and a
//! per-node-pool table of endpoint verdicts.

use super::{Finding, Report, RunVerdict, Severity};
use crate::eval::{Hop, Verdict};
use crate::source::{Located, SourceMap};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic};
use std::fmt::Write as _;

/// Rendering options.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    pub width: usize,
    /// Show every endpoint in the table (default: every endpoint; `false` shows only problems).
    pub all_endpoints: bool,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            color: false,
            width: 100,
            all_endpoints: true,
        }
    }
}

/// Secondary labels further than this from the primary label are listed, not drawn.
const NEAR_LINES: usize = 12;

fn paint(style: &Style, code: &str, text: &str) -> String {
    if style.color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn verdict_text(style: &Style, v: Verdict) -> String {
    let s = format!("{:<9}", v.as_str());
    match v {
        Verdict::Reachable => paint(style, "32", &s),
        Verdict::Blocked => paint(style, "31;1", &s),
        Verdict::Unknown => paint(style, "33", &s),
    }
}

/// Render one finding as a miette diagnostic.
pub fn render_finding(f: &Finding, sources: &mut SourceMap, style: &Style) -> String {
    let severity = match f.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Note => miette::Severity::Advice,
    };
    let mut diag = MietteDiagnostic::new(f.message.clone())
        .with_code(f.rule.clone())
        .with_severity(severity);
    let mut help = f.help.clone().unwrap_or_default();
    if let Some(fail) = &f.failure {
        let code = fail
            .exit_code
            .map(|c| format!(" (vmssCSE exit code {c})"))
            .unwrap_or_default();
        let _ = write!(
            help,
            "{}{}: {}{code}: {}",
            if help.is_empty() { "" } else { "\n" },
            if f.verdict == Some(crate::eval::Verdict::Unknown) {
                "failure if the path turns out blocked"
            } else {
                "predicted failure"
            },
            fail.error,
            fail.detail
        );
    }
    // Where a labelled value comes from, when elsewhere (a Terraform variable's default)
    let related: Vec<super::Label> = f
        .labels
        .iter()
        .flat_map(|l| sources.related(&l.origin))
        .map(|(origin, text)| super::Label {
            origin,
            text,
            primary: false,
        })
        .collect();
    // Locate labels; the diagnostic's source is the file of the first primary label.
    let mut located: Vec<(Located, &super::Label)> = vec![];
    let mut unlocated: Vec<&super::Label> = vec![];
    for l in f.labels.iter().chain(&related) {
        match sources.locate_label(&l.origin) {
            Some(loc) => located.push((loc, l)),
            None => unlocated.push(l),
        }
    }
    located.sort_by_key(|(_, l)| !l.primary);
    let main_file = located.first().map(|(loc, _)| loc.file);
    let main_line = located.first().map(|(loc, _)| loc.line).unwrap_or(0);
    let mut other_files = vec![];
    // Labels far from the primary one are listed as `also:` lines: miette would print every line
    // between them.
    located.retain(|(loc, l)| {
        if Some(loc.file) == main_file && loc.line.abs_diff(main_line) > NEAR_LINES {
            other_files.push((loc.clone(), *l));
            false
        } else {
            true
        }
    });
    if let Some(file) = main_file {
        let in_file: Vec<Located> = located
            .iter()
            .filter(|(l, _)| l.file == file)
            .map(|(l, _)| l.clone())
            .collect();
        // a short excerpt around the labels, sensitive values masked, at the real positions
        let focus: Vec<_> = in_file.iter().map(|l| l.span.clone()).collect();
        let src = sources.excerpt(file, &focus, 1);
        let mut labels = vec![];
        for (loc, l) in &located {
            if loc.file != file {
                other_files.push((loc.clone(), *l));
                continue;
            }
            let Some(shown) = src.map(loc.span.start..loc.span.end.min(loc.span.start + 400))
            else {
                other_files.push((loc.clone(), *l));
                continue;
            };
            let text = match &l.origin.address {
                Some(a) if !l.text.contains(a.as_str()) => format!("{} ({a})", l.text),
                _ => l.text.clone(),
            };
            let span = (shown.start, shown.end - shown.start);
            labels.push(if l.primary {
                LabeledSpan::new_primary_with_span(Some(text), span)
            } else {
                LabeledSpan::new_with_span(Some(text), span)
            });
        }
        diag = diag.with_labels(labels);
        let report = miette::Report::new(diag).with_source_code(src);
        return finish(report, f, sources, style, &other_files, &unlocated, &help);
    }
    finish(
        miette::Report::new(diag),
        f,
        sources,
        style,
        &other_files,
        &unlocated,
        &help,
    )
}

#[allow(clippy::too_many_arguments)]
fn finish(
    report: miette::Report,
    f: &Finding,
    sources: &mut SourceMap,
    style: &Style,
    other_files: &[(Located, &super::Label)],
    unlocated: &[&super::Label],
    help: &str,
) -> String {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false);
    let mut out = String::new();
    let _ = handler.render_report(&mut out, report.as_ref());
    for (loc, l) in other_files {
        let name = &sources.get(loc.file).name;
        let _ = writeln!(
            out,
            "  also: {name}:{}:{}: {}",
            loc.line, loc.column, l.text
        );
    }
    for l in unlocated {
        match &l.origin.address {
            Some(a) => {
                let _ = writeln!(out, "  also: {a}: {}", l.text);
            }
            None => {
                let _ = writeln!(out, "  also: {}", l.text);
            }
        }
    }
    // Help is printed here rather than by miette, which re-wraps lines and drops the
    // indentation of the Terraform snippets.
    for (i, line) in help.lines().enumerate() {
        let lead = if i == 0 { "  help: " } else { "        " };
        let _ = writeln!(out, "{lead}{line}");
    }
    if !f.path.is_empty() {
        let _ = writeln!(out, "  path:");
        out.push_str(&render_path(&f.path, sources, "    "));
    }
    out
}

/// Render a hop list, one hop a line, with `file:line:col` locations.
pub fn render_path(hops: &[Hop], sources: &mut SourceMap, indent: &str) -> String {
    sources.prepare_labels(hops.iter().filter_map(|h| h.origin.as_ref()));
    let mut out = String::new();
    for (i, h) in hops.iter().enumerate() {
        let verdict = h
            .verdict
            .map(|v| format!(" [{}]", v.as_str()))
            .unwrap_or_default();
        let loc = h
            .origin
            .as_ref()
            .and_then(|o| {
                let file = o.file?;
                Some(match sources.locate_label(o) {
                    Some(l) => {
                        let name = &sources.get(l.file).name;
                        format!("\n{indent}   at {name}:{}:{}", l.line, l.column)
                    }
                    None => format!("\n{indent}   in {}", sources.get(file).name),
                })
            })
            .unwrap_or_default();
        let _ = writeln!(out, "{indent}{}. {}{verdict}{loc}", i + 1, h.description);
    }
    out
}

/// The per-node-pool egress table.
pub fn render_table(report: &Report, style: &Style) -> String {
    let mut out = String::new();
    for c in &report.clusters {
        let _ = writeln!(out, "cluster {} ({})", c.address, c.name);
        if c.node_pools.is_empty() {
            let _ = writeln!(out, "  (no node pools)");
        }
        for p in &c.node_pools {
            let subnet = p.subnet.as_deref().unwrap_or("subnet unknown");
            let _ = writeln!(out, "  node pool {} (subnet {subnet})", p.name);
            let width = p
                .egress
                .iter()
                .map(|e| e.host.len() + 10)
                .max()
                .unwrap_or(20)
                .max(20);
            for e in &p.egress {
                if !style.all_endpoints && e.verdict == Verdict::Reachable {
                    continue;
                }
                let ep = format!(
                    "{}:{}/{}",
                    e.host,
                    e.port,
                    e.app_protocol.as_deref().unwrap_or(&e.protocol)
                );
                let req = if e.required { "required" } else { "optional" };
                let _ = writeln!(
                    out,
                    "    {} {ep:<width$} {req:<8}  {}",
                    verdict_text(style, e.verdict),
                    crate::eval::path::reason_without_flow(&e.reason)
                );
            }
        }
    }
    out
}

/// Full human report: findings, the table, and a summary line.
pub fn render(report: &Report, sources: &mut SourceMap, style: &Style) -> String {
    let mut out = String::new();
    // every location shown (labels and the findings' paths) resolved in one pass over each
    // file: a single-line plan of tens of MB is parsed once, not once per finding
    let origins: Vec<_> = report
        .findings
        .iter()
        .flat_map(|f| {
            f.labels
                .iter()
                .map(|l| &l.origin)
                .chain(f.path.iter().filter_map(|h| h.origin.as_ref()))
        })
        .collect();
    sources.prepare_labels(origins);
    for f in &report.findings {
        out.push_str(&render_finding(f, sources, style));
        out.push('\n');
    }
    out.push_str(&render_table(report, style));
    let verdict = match report.verdict() {
        RunVerdict::Pass => paint(style, "32;1", "PASS"),
        RunVerdict::Fail => paint(style, "31;1", "FAIL"),
        RunVerdict::Unknown => paint(style, "33;1", "UNKNOWN"),
    };
    let _ = writeln!(
        out,
        "\n{verdict}: {} error(s), {} warning(s), {} note(s)",
        report.count(Severity::Error),
        report.count(Severity::Warning),
        report.count(Severity::Note)
    );
    out.push_str(&render_suppressed(report));
    out
}

/// How many findings were suppressed and why, one line each (at most [`SUPPRESSED_SHOWN`]).
pub fn render_suppressed(report: &Report) -> String {
    let mut out = String::new();
    if report.suppressed.is_empty() {
        return out;
    }
    let (waived, baselined) = report.suppressed_counts();
    let _ = writeln!(
        out,
        "{} finding(s) suppressed: {waived} waived, {baselined} in the baseline",
        report.suppressed.len()
    );
    for s in report.suppressed.iter().take(SUPPRESSED_SHOWN) {
        let what = s
            .finding
            .primary_origin()
            .and_then(|o| o.address.as_deref())
            .or(s.finding.cluster.as_deref())
            .unwrap_or("");
        let _ = writeln!(out, "  {} {what}: {}", s.finding.rule, s.by.describe());
    }
    if report.suppressed.len() > SUPPRESSED_SHOWN {
        let _ = writeln!(
            out,
            "  ... and {} more (--format json lists them)",
            report.suppressed.len() - SUPPRESSED_SHOWN
        );
    }
    out
}

/// Suppressed findings listed in the human summary.
const SUPPRESSED_SHOWN: usize = 10;
#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Loc, Origin};

    /// A sensitive value beside the labelled line is masked with a mask that does not keep its
    /// length, and the header gives the real line and column, in a pretty and a minified file.
    #[test]
    fn excerpts_mask_sensitive_values_beside_labels() {
        let secret = "hunter2-correct-horse-battery-staple";
        for text in [
            format!(
                "{{\n  \"rule\": {{\n    \"description\": \"{secret}\",\n    \"name\": \"deny\"\n  }}\n}}\n"
            ),
            format!("{{\"rule\": {{\"description\": \"{secret}\", \"name\": \"deny\"}}}}"),
        ] {
            let mut sources = SourceMap::new();
            let file = sources.add("plan.json", text.clone());
            sources.mark_sensitive(file, vec![Loc::Pointer("/rule/description".into())]);
            let f = Finding::new("NSG001", Severity::Error, "denied").primary(
                &Origin::new(
                    file,
                    "azurerm_network_security_rule.deny",
                    Loc::Pointer("/rule".into()),
                ),
                "this rule denies the traffic",
            );
            let out = render_finding(&f, &mut sources, &Style::default());
            assert!(!out.contains("hunter2"), "{out}");
            assert!(out.contains("\"(sensitive)\""), "{out}");
            let name = text.find("\"deny\"").unwrap();
            let line = text[..name].matches('\n').count() + 1;
            let col = name - text[..name].rfind('\n').map_or(0, |i| i + 1) + 1;
            assert!(out.contains(&format!("[plan.json:{line}:{col}]")), "{out}");
        }
    }
}
