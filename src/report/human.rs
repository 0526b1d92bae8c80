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
    /// Columns to fit (help text and table rows are wrapped or shortened to it).
    pub width: usize,
    /// List every endpoint in the table; otherwise only the required endpoints that are not
    /// reachable, the others counted in one line.
    pub all_endpoints: bool,
    /// Print each finding's hop-by-hop path.
    pub verbose: bool,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            color: false,
            width: 100,
            all_endpoints: true,
            verbose: false,
        }
    }
}

/// The miette handler every diagnostic goes through: long lines wrap at spaces only, so host
/// names, ports and addresses are never cut.
pub fn handler(color: bool, width: usize) -> GraphicalReportHandler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false)
        .with_break_words(false)
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
}

/// `text` wrapped at spaces to `width` columns, the first line after `first` and the others after
/// `rest` (tokens longer than a line are kept whole).
pub fn wrap(text: &str, width: usize, first: &str, rest: &str) -> String {
    let opts = textwrap::Options::new(width.max(20))
        .initial_indent(first)
        .subsequent_indent(rest)
        .break_words(false)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    let mut out = String::new();
    for line in textwrap::wrap(text, opts) {
        out.push_str(&line);
        out.push('\n');
    }
    out
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
    let help = f.help.clone().unwrap_or_default();
    let failure = f.failure.as_ref().map(|fail| {
        let code = fail
            .exit_code
            .map(|c| format!(" (vmssCSE exit code {c})"))
            .unwrap_or_default();
        format!(
            "{}: {}{code}: {}",
            if f.verdict == Some(crate::eval::Verdict::Unknown) {
                "failure if the path turns out blocked"
            } else {
                "predicted failure"
            },
            fail.error,
            fail.detail
        )
    });
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
                Some(a) if !l.text.contains(&**a) => format!("{} ({a})", l.text),
                _ => l.text.clone(),
            };
            // miette draws the label after `╰── ` under the middle of the span: wrap it so the
            // line fits the width
            let shown_text = src.text();
            let line_start = shown_text[..shown.start].rfind('\n').map_or(0, |i| i + 1);
            let middle = shown_text[line_start..shown.start].chars().count()
                + shown_text[shown.clone()].chars().count() / 2;
            let gutter = (loc.line + 1).to_string().len() + 4;
            let room = style.width.saturating_sub(gutter + middle + 4).max(30);
            let text = wrap(&text, room, "", "").trim_end().to_string();
            let span = (shown.start, shown.end - shown.start);
            labels.push(if l.primary {
                LabeledSpan::new_primary_with_span(Some(text), span)
            } else {
                LabeledSpan::new_with_span(Some(text), span)
            });
        }
        diag = diag.with_labels(labels);
        let report = miette::Report::new(diag).with_source_code(src);
        return finish(
            report,
            f,
            sources,
            style,
            &other_files,
            &unlocated,
            &help,
            failure.as_deref(),
        );
    }
    finish(
        miette::Report::new(diag),
        f,
        sources,
        style,
        &other_files,
        &unlocated,
        &help,
        failure.as_deref(),
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
    failure: Option<&str>,
) -> String {
    let mut out = String::new();
    let _ = handler(style.color, style.width).render_report(&mut out, report.as_ref());
    for (loc, l) in other_files {
        let name = &sources.get(loc.file).name;
        let text = format!("{name}:{}:{}: {}", loc.line, loc.column, l.text);
        out.push_str(&wrap(&text, style.width, "  also: ", "        "));
    }
    for l in unlocated {
        let text = match &l.origin.address {
            Some(a) => format!("{a}: {}", l.text),
            None => l.text.clone(),
        };
        out.push_str(&wrap(&text, style.width, "  also: ", "        "));
    }
    // Help is printed here rather than by miette, which re-wraps lines and drops the
    // indentation of the Terraform snippets: prose wraps at the width, snippets do not.
    for (i, line) in help.lines().enumerate() {
        let lead = if i == 0 { "  help: " } else { "        " };
        out.push_str(&wrap(line, style.width, lead, "        "));
    }
    if let Some(snippet) = &f.snippet {
        let lead = if help.is_empty() {
            "  help: "
        } else {
            "        "
        };
        for (i, line) in snippet.lines().enumerate() {
            let lead = if i == 0 { lead } else { "        " };
            let _ = writeln!(out, "{}", format!("{lead}{line}").trim_end());
        }
    }
    if let Some(fail) = failure {
        let lead = if help.is_empty() && f.snippet.is_none() {
            "  help: "
        } else {
            "        "
        };
        out.push_str(&wrap(fail, style.width, lead, "        "));
    }
    if style.verbose && !f.path.is_empty() {
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

/// `s` cut to `max` characters, with `…` when cut.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// The per-node-pool egress table: one short row per endpoint (the rule of the finding that
/// covers it, and the reason cut to the width). Unless `all_endpoints`, only the required
/// endpoints that are not reachable are listed and the others are counted.
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
            let label = |e: &super::EgressResult| {
                format!(
                    "{}:{}/{}",
                    e.host,
                    e.port,
                    e.app_protocol.as_deref().unwrap_or(&e.protocol)
                )
            };
            let shown: Vec<&super::EgressResult> = p
                .egress
                .iter()
                .filter(|e| style.all_endpoints || (e.required && e.verdict != Verdict::Reachable))
                .collect();
            let width = shown
                .iter()
                .map(|e| label(e).chars().count())
                .max()
                .unwrap_or(20)
                .max(20);
            for e in &shown {
                let ep = label(e);
                let req = if e.required { "" } else { "optional: " };
                let rule = report
                    .findings
                    .iter()
                    .find(|f| {
                        f.cluster.as_deref() == Some(c.address.as_str())
                            && f.node_pool.as_deref() == Some(p.name.as_str())
                            && f.endpoints.contains(&ep)
                    })
                    .map(|f| format!("{:<7}", f.rule))
                    .unwrap_or_else(|| " ".repeat(7));
                let lead = format!("    {:<9} {ep:<width$} {rule} {req}", e.verdict.as_str());
                let room = style.width.saturating_sub(lead.chars().count()).max(20);
                let reason = shorten(crate::eval::path::reason_without_flow(&e.reason), room);
                let row = format!("{lead}{reason}");
                let row = row.trim_end();
                // the verdict painted after measuring
                let _ = writeln!(
                    out,
                    "    {}{}",
                    verdict_text(style, e.verdict),
                    &row[4 + 9..]
                );
            }
            let hidden: Vec<&super::EgressResult> = p
                .egress
                .iter()
                .filter(|e| !shown.iter().any(|s| std::ptr::eq(*s, *e)))
                .collect();
            if !hidden.is_empty() {
                let reachable = hidden
                    .iter()
                    .filter(|e| e.verdict == Verdict::Reachable)
                    .count();
                let optional = hidden.len() - reachable;
                let mut parts = vec![];
                if reachable > 0 {
                    parts.push(format!("{reachable} reachable"));
                }
                if optional > 0 {
                    parts.push(format!("{optional} optional not reachable"));
                }
                let _ = writeln!(
                    out,
                    "    {} endpoint(s) not listed: {} (--all lists every endpoint)",
                    hidden.len(),
                    parts.join(", ")
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
        RunVerdict::Error => paint(style, "31;1", "ERROR"),
        RunVerdict::Fail => paint(style, "31;1", "FAIL"),
        RunVerdict::Unknown => paint(style, "33;1", "UNKNOWN"),
        RunVerdict::NothingChecked => paint(
            style,
            "33;1",
            "NOTHING CHECKED (no AKS node pool in the inputs)",
        ),
    };
    let _ = writeln!(
        out,
        "\n{verdict}: {} error(s), {} warning(s), {} note(s)",
        report.count(Severity::Error),
        report.count(Severity::Warning),
        report.count(Severity::Note)
    );
    out.push_str(&render_suppressed(report));
    if !style.verbose && report.findings.iter().any(|f| !f.path.is_empty()) {
        out.push_str(&wrap(
            "--verbose prints each finding's hop-by-hop path; `aks-preflight explain INPUT --to \
             HOST:PORT/PROTO` traces one endpoint",
            style.width,
            "",
            "",
        ));
    }
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
