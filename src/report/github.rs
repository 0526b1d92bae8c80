//! GitHub Actions: workflow commands (`::error file=…,line=…::message`) for each finding, and the
//! Markdown job summary appended to `$GITHUB_STEP_SUMMARY` ([`super::markdown`]).
//!
//! Escaping follows GitHub's rules: in the message `%`, CR and LF become `%25`, `%0D`, `%0A`; in
//! properties `:` and `,` also become `%3A` and `%2C`. Paths are relative to `GITHUB_WORKSPACE`.
//! GitHub shows at most 10 annotations of each kind per step (50 per job): the first 10 of each
//! kind are written, and one notice says how many more there are.

use super::{Finding, Report, Severity};
use crate::source::SourceMap;
use std::fmt::Write as _;
use std::path::Path;

/// GitHub shows this many annotations of one kind (error, warning, notice) per step.
pub const ANNOTATIONS_PER_KIND: usize = 10;

/// Is this run inside GitHub Actions (`GITHUB_ACTIONS=true`)?
pub fn in_github_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// Escape a workflow command's message.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a workflow command property value.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(f: &Finding) -> &'static str {
    match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    }
}

/// The properties of a finding's annotation: `file`, `line`, `col`, `endLine`, `endColumn`
/// (columns only on a one-line span, as GitHub requires), `title`.
fn properties(f: &Finding, sources: &mut SourceMap, root: Option<&Path>) -> String {
    let mut props = vec![];
    let origin = f
        .primary_origin()
        .or_else(|| f.labels.first().map(|l| &l.origin));
    if let Some(o) = origin {
        let file = o.file;
        let name = file.map(|id| sources.get(id).name.clone());
        let rel = name.as_deref().and_then(|n| match root {
            Some(r) => super::paths::relative_to(n, r),
            None => (!n.starts_with('<')).then(|| n.to_string()),
        });
        if let (Some(rel), Some(id)) = (rel, file) {
            props.push(format!("file={}", escape_property(&rel)));
            if let Some(l) = sources.locate_label(o) {
                let (end_line, end_col) = sources
                    .get(id)
                    .line_col(l.span.end.max(l.span.start + 1) - 1);
                props.push(format!("line={}", l.line));
                if end_line == l.line {
                    props.push(format!("col={}", l.column));
                    props.push(format!("endColumn={}", end_col.max(l.column)));
                }
                props.push(format!("endLine={}", end_line.max(l.line)));
            }
        }
    }
    let name = crate::analysis::registry::rule(&f.rule)
        .map(|r| format!("{} {}", f.rule, r.name))
        .unwrap_or_else(|| f.rule.clone());
    props.push(format!("title={}", escape_property(&name)));
    props.join(",")
}

/// The workflow commands for the report's findings (suppressed findings are not annotated).
pub fn annotations(report: &Report, sources: &mut SourceMap, root: Option<&Path>) -> String {
    sources.prepare_labels(
        report
            .findings
            .iter()
            .flat_map(|f| f.labels.iter().map(|l| &l.origin)),
    );
    let mut out = String::new();
    let mut shown = [0usize; 3];
    let mut hidden = [0usize; 3];
    for f in &report.findings {
        let k = match f.severity {
            Severity::Error => 0,
            Severity::Warning => 1,
            Severity::Note => 2,
        };
        if shown[k] == ANNOTATIONS_PER_KIND {
            hidden[k] += 1;
            continue;
        }
        shown[k] += 1;
        let mut msg = f.message.clone();
        if let Some(h) = f.full_help().filter(|h| !h.trim().is_empty()) {
            let _ = write!(msg, "\nfix: {h}");
        }
        let _ = writeln!(
            out,
            "::{} {}::{}",
            command(f),
            properties(f, sources, root),
            escape_data(&msg)
        );
    }
    let more: usize = hidden.iter().sum();
    if more > 0 {
        let _ = writeln!(
            out,
            "::notice title=aks-preflight::{}",
            escape_data(&format!(
                "{more} more finding(s) are not annotated (GitHub shows {ANNOTATIONS_PER_KIND} annotations of each kind per step): {} error(s), {} warning(s), {} note(s); see the job summary or the SARIF report",
                hidden[0], hidden[1], hidden[2]
            ))
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_githubs_rules() {
        assert_eq!(escape_data("50% a\r\nb: c,d"), "50%25 a%0D%0Ab: c,d");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn annotations_are_capped_per_kind_with_a_notice() {
        let report = Report {
            findings: (0..12)
                .map(|i| Finding::new("NSG001", Severity::Error, format!("m{i}")))
                .collect(),
            ..Default::default()
        };
        let out = annotations(&report, &mut SourceMap::new(), None);
        assert_eq!(
            out.lines().filter(|l| l.starts_with("::error ")).count(),
            10
        );
        assert!(out.contains("2 more finding(s)"));
        assert!(
            out.lines()
                .next()
                .unwrap()
                .starts_with("::error title=NSG001 nsg-denies-required-egress::m0")
        );
    }
}
