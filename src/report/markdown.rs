//! Markdown report: the GitHub job summary (`$GITHUB_STEP_SUMMARY`) and `--format markdown` (a
//! pull-request comment). The overall verdict, each finding with its fix and a Mermaid picture of
//! its path (deciding hop marked), a table per node pool (endpoint, verdict, reason) with passing
//! pools collapsed in `<details>`, and the suppressed findings with their reasons.
//!
//! A size limit can be given (GitHub takes at most 1 MiB per step summary): sections are dropped
//! from the end, passing pools' tables first, and the report says what was left out.

use super::{Finding, PoolReport, Report, RunVerdict, Severity};
use crate::eval::Verdict;
use crate::source::SourceMap;
use std::fmt::Write as _;

/// GitHub's limit for one step's summary: 1 MiB; beyond it the summary is not uploaded.
pub const STEP_SUMMARY_LIMIT: usize = 1024 * 1024;

/// Escape text for Markdown (inline and table cells): HTML and emphasis characters, pipes, and
/// line breaks as `<br>`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '|' => out.push_str("\\|"),
            '*' | '_' | '`' | '[' | ']' | '\\' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("<br>"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Inline code, with a fence long enough for the backticks inside.
fn code(s: &str) -> String {
    let s = s.replace('\n', " ");
    let ticks = "`".repeat(longest_run(&s, '`') + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{s}{pad}{ticks}")
}

fn longest_run(s: &str, ch: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in s.chars() {
        run = if c == ch { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

fn fenced(lang: &str, body: &str) -> String {
    let fence = "`".repeat((longest_run(body, '`') + 1).max(3));
    format!("{fence}{lang}\n{}\n{fence}\n", body.trim_end())
}

fn verdict_icon(v: Verdict) -> &'static str {
    match v {
        Verdict::Reachable => "✅ reachable",
        Verdict::Blocked => "❌ blocked",
        Verdict::Unknown => "⚠️ unknown",
    }
}

fn severity_icon(s: Severity) -> &'static str {
    match s {
        Severity::Error => "❌",
        Severity::Warning => "⚠️",
        Severity::Note => "ℹ️",
    }
}

/// Where a finding points: `file:line:col` (`address`), or the address alone.
pub fn where_text(f: &Finding, sources: &mut SourceMap) -> Option<String> {
    let o = f
        .primary_origin()
        .or_else(|| f.labels.first().map(|l| &l.origin))?;
    let file = o.file.map(|id| sources.get(id).name.clone());
    let loc = sources.locate_label(o);
    let at = match (file, loc) {
        (Some(name), Some(l)) => Some(format!("{name}:{}:{}", l.line, l.column)),
        (Some(name), None) => Some(name),
        _ => None,
    };
    match (at, &o.address) {
        (Some(at), Some(a)) => Some(format!("{} ({})", code(&at), code(a))),
        (Some(at), None) => Some(code(&at)),
        (None, Some(a)) => Some(code(a)),
        (None, None) => None,
    }
}

fn finding_section(f: &Finding, sources: &mut SourceMap) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "#### {} {} {}: {}\n",
        severity_icon(f.severity),
        f.rule,
        f.severity.as_str(),
        escape(&f.message)
    );
    if let Some(w) = where_text(f, sources) {
        let _ = writeln!(s, "**Where:** {w}\n");
    }
    if let Some(fail) = &f.failure {
        let code = fail
            .exit_code
            .map(|c| format!(" (vmssCSE exit code {c})"))
            .unwrap_or_default();
        let lead = if f.verdict == Some(Verdict::Unknown) {
            "Failure if the path turns out blocked"
        } else {
            "Predicted failure"
        };
        let _ = writeln!(
            s,
            "**{lead}:** {}{code}: {}\n",
            escape(&fail.error),
            escape(&fail.detail)
        );
    }
    if let Some(h) = f.full_help().filter(|h| !h.trim().is_empty()) {
        if h.contains('\n') {
            let _ = writeln!(s, "**Fix:**\n\n{}", fenced("", &h));
        } else {
            let _ = writeln!(s, "**Fix:** {}\n", escape(&h));
        }
    }
    if !f.path.is_empty() && matches!(f.verdict, Some(Verdict::Blocked | Verdict::Unknown)) {
        let chart = super::mermaid::flowchart(
            &f.path,
            sources,
            f.verdict,
            f.endpoints.first().map(String::as_str),
        );
        let _ = writeln!(s, "{}", fenced("mermaid", &chart));
    }
    s
}

fn pool_table(p: &PoolReport) -> String {
    let mut s = String::from("| endpoint | required | verdict | reason |\n|---|---|---|---|\n");
    for e in &p.egress {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            code(&e.label()),
            if e.required { "required" } else { "optional" },
            verdict_icon(e.verdict),
            escape(crate::eval::path::reason_without_flow(&e.reason))
        );
    }
    s
}

fn pool_passes(p: &PoolReport) -> bool {
    p.egress
        .iter()
        .all(|e| !e.required || e.verdict == Verdict::Reachable)
}

fn pool_heading(p: &PoolReport) -> String {
    let (mut ok, mut bad, mut unk) = (0, 0, 0);
    for e in p.egress.iter().filter(|e| e.required) {
        match e.verdict {
            Verdict::Reachable => ok += 1,
            Verdict::Blocked => bad += 1,
            Verdict::Unknown => unk += 1,
        }
    }
    format!(
        "node pool {} (subnet {}): {ok} reachable, {bad} blocked, {unk} unknown",
        code(&p.name),
        code(p.subnet.as_deref().unwrap_or("unknown"))
    )
}

/// Render the report as Markdown, within `limit` bytes when given.
pub fn render(report: &Report, sources: &mut SourceMap, limit: Option<usize>) -> String {
    sources.prepare_labels(report.finding_origins());

    let mut head = String::new();
    let verdict = match report.verdict() {
        RunVerdict::Pass => "✅ PASS",
        RunVerdict::Error => "⛔ ERROR",
        RunVerdict::Fail => "❌ FAIL",
        RunVerdict::Unknown => "⚠️ UNKNOWN",
        RunVerdict::NothingChecked => "⚪ NOTHING CHECKED",
    };
    let _ = writeln!(head, "## aks-preflight: {verdict}\n");
    let (mut ok, mut bad, mut unk) = (0, 0, 0);
    for e in report
        .clusters
        .iter()
        .flat_map(|c| &c.node_pools)
        .flat_map(|p| &p.egress)
        .filter(|e| e.required)
    {
        match e.verdict {
            Verdict::Reachable => ok += 1,
            Verdict::Blocked => bad += 1,
            Verdict::Unknown => unk += 1,
        }
    }
    let (waived, baselined) = report.suppressed_counts();
    let _ = writeln!(
        head,
        "**{} error(s), {} warning(s), {} note(s)** · required endpoints: {ok} reachable, {bad} blocked, {unk} unknown{}\n",
        report.count(Severity::Error),
        report.count(Severity::Warning),
        report.count(Severity::Note),
        if report.suppressed.is_empty() {
            String::new()
        } else {
            format!(" · suppressed: {waived} waived, {baselined} in the baseline")
        }
    );

    // sections in order of importance; later ones are dropped first when over the limit
    let mut sections: Vec<String> = vec![];
    if !report.findings.is_empty() {
        sections.push("### Findings\n\n".into());
        for f in &report.findings {
            sections.push(finding_section(f, sources));
        }
    }
    let mut passing: Vec<String> = vec![];
    for c in &report.clusters {
        let mut failing = format!("### Cluster {} ({})\n\n", code(&c.address), escape(&c.name));
        let mut pass_list = vec![];
        for p in &c.node_pools {
            if pool_passes(p) {
                pass_list.push(p);
            } else {
                let _ = writeln!(failing, "#### {}\n\n{}", pool_heading(p), pool_table(p));
            }
        }
        if c.node_pools.is_empty() {
            failing.push_str("(no node pools)\n\n");
        }
        sections.push(failing);
        if !pass_list.is_empty() {
            let mut s = format!(
                "<details><summary>{} passing node pool(s) of {}</summary>\n\n",
                pass_list.len(),
                escape(&c.address)
            );
            for p in pass_list {
                let _ = writeln!(s, "#### {}\n\n{}", pool_heading(p), pool_table(p));
            }
            s.push_str("</details>\n\n");
            passing.push(s);
        }
    }
    if !report.suppressed.is_empty() {
        let mut s =
            String::from("### Suppressed findings\n\n| rule | finding | why |\n|---|---|---|\n");
        for x in &report.suppressed {
            let _ = writeln!(
                s,
                "| {} | {} | {} |",
                x.finding.rule,
                escape(&x.finding.message),
                escape(&x.by.describe())
            );
        }
        s.push('\n');
        sections.push(s);
    }

    let mut out = head;
    let budget = limit.unwrap_or(usize::MAX);
    // room for the closing note
    let reserve = 400;
    let mut left_out = 0;
    for s in sections.iter() {
        if left_out == 0 && out.len() + s.len() + reserve <= budget {
            out.push_str(s);
        } else {
            left_out += 1;
        }
    }
    let mut passing_left_out = 0;
    for s in &passing {
        if left_out == 0 && out.len() + s.len() + reserve <= budget {
            out.push_str(s);
        } else {
            passing_left_out += 1;
        }
    }
    if left_out + passing_left_out > 0 {
        let _ = writeln!(
            out,
            "> **Truncated:** {left_out} section(s) and {passing_left_out} list(s) of passing node pools are left out to stay within {} KiB (GitHub's limit for a step summary is 1 MiB). The JSON or SARIF output has everything.",
            budget / 1024
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::report::{ClusterReport, EgressResult};

    fn pool(i: usize, verdict: Verdict) -> PoolReport {
        PoolReport {
            name: format!("pool{i:03}"),
            subnet: Some(format!("azurerm_subnet.s{i}")),
            egress: [
                "mcr.microsoft.com",
                "management.azure.com",
                "login.microsoftonline.com",
            ]
            .iter()
            .map(|h| EgressResult {
                host: h.to_string(),
                port: 443,
                protocol: "tcp".into(),
                app_protocol: Some("https".into()),
                required: true,
                verdict,
                reason: "allowed outbound by a rule with a long explanation".repeat(3),
                path: vec![],
            })
            .collect(),
        }
    }

    /// 100 node pools, one failing: the failing pool's table is shown, the passing ones are
    /// collapsed in one `<details>`; with a tight limit the report says what it left out.
    #[test]
    fn a_hundred_pools_stay_readable_and_within_the_limit() {
        let mut pools: Vec<PoolReport> = (0..100).map(|i| pool(i, Verdict::Reachable)).collect();
        pools[42] = pool(42, Verdict::Blocked);
        let report = Report {
            clusters: vec![ClusterReport {
                address: "azurerm_kubernetes_cluster.aks".into(),
                name: "aks".into(),
                node_pools: pools,
            }],
            ..Default::default()
        };
        let mut sources = SourceMap::new();
        let md = render(&report, &mut sources, Some(STEP_SUMMARY_LIMIT));
        assert_eq!(md.matches("<details>").count(), 1);
        let details = md.find("<details>").unwrap();
        let failing = md.find("node pool `pool042`").unwrap();
        assert!(
            failing < details,
            "the failing pool comes before the collapsed ones"
        );
        assert!(md.contains("99 passing node pool(s)"));
        assert!(md.len() < STEP_SUMMARY_LIMIT && !md.contains("Truncated"));
        let small = render(&report, &mut sources, Some(4096));
        assert!(small.len() <= 4096, "{}", small.len());
        assert!(small.contains("node pool `pool042`"));
        assert!(small.contains("**Truncated:**") && !small.contains("<details>"));
    }

    #[test]
    fn escaping() {
        assert_eq!(escape("a|b <c> *d*"), "a\\|b &lt;c&gt; \\*d\\*");
        assert_eq!(code("x`y"), "``x`y``");
        assert_eq!(fenced("", "a ``` b"), "````\na ``` b\n````\n");
    }
}
