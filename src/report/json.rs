//! `--format json`: the `aks-preflight/report/v1` contract. Fields are only ever added.

use super::{Report, RunVerdict};
use crate::eval::Verdict;
use crate::source::SourceMap;
use serde::Serialize;

pub const SCHEMA: &str = "aks-preflight/report/v1";

/// Schema of `explain --format json`: traces with the report's hop and location shapes.
pub const EXPLAIN_SCHEMA: &str = "aks-preflight/explain/v1";

#[derive(Serialize)]
struct JsonReport<'a> {
    schema: &'static str,
    verdict: RunVerdict,
    summary: Summary,
    clusters: Vec<JsonCluster<'a>>,
    findings: Vec<JsonFinding<'a>>,
    /// Findings accepted by a waiver or the baseline (present when there are any).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressed: Vec<JsonSuppressed<'a>>,
}

#[derive(Serialize)]
struct JsonSuppressed<'a> {
    #[serde(flatten)]
    finding: JsonFinding<'a>,
    suppression: JsonSuppression,
}

#[derive(Serialize)]
struct JsonSuppression {
    /// `waiver` or `baseline`.
    kind: &'static str,
    /// The waiver's reason, or `in baseline FILE`.
    reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<String>,
    /// Where the waiver is written.
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<JsonLocation>,
}

#[derive(Serialize)]
struct Summary {
    errors: usize,
    warnings: usize,
    notes: usize,
    /// Findings accepted by a waiver or the baseline (present when there are any).
    #[serde(skip_serializing_if = "is_zero")]
    suppressed: usize,
    reachable: usize,
    blocked: usize,
    unknown: usize,
}

#[derive(Serialize)]
struct JsonCluster<'a> {
    address: &'a str,
    name: &'a str,
    node_pools: Vec<JsonPool<'a>>,
}

#[derive(Serialize)]
struct JsonPool<'a> {
    name: &'a str,
    subnet: Option<&'a str>,
    egress: Vec<JsonEgress<'a>>,
}

#[derive(Serialize)]
struct JsonEgress<'a> {
    host: &'a str,
    port: u16,
    protocol: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    app_protocol: Option<&'a str>,
    required: bool,
    verdict: Verdict,
    reason: &'a str,
    path: Vec<JsonHop<'a>>,
}

#[derive(Serialize)]
struct JsonHop<'a> {
    kind: crate::eval::HopKind,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    verdict: Option<Verdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<JsonLocation>,
}

#[derive(Serialize)]
struct JsonLocation {
    file: String,
    line: Option<usize>,
    column: Option<usize>,
    address: Option<String>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    severity: &'static str,
    message: &'a str,
    help: Option<String>,
    locations: Vec<JsonLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    node_pool: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    predicted_failure: Option<&'a super::PredictedFailure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verdict: Option<Verdict>,
    /// The endpoints (`host:port/proto`) an egress finding covers.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    endpoints: &'a [String],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    path: Vec<JsonHop<'a>>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn location(sources: &mut SourceMap, origin: &crate::source::Origin) -> Option<JsonLocation> {
    let file = origin.file?;
    let loc = sources.locate_label(origin);
    // the located file: a plan location may be shown in the .tf file it was made from
    let name = sources
        .get(loc.as_ref().map_or(file, |l| l.file))
        .name
        .clone();
    Some(JsonLocation {
        file: name,
        line: loc.as_ref().map(|l| l.line),
        column: loc.as_ref().map(|l| l.column),
        address: origin.address.as_deref().map(str::to_string),
    })
}

fn hops<'a>(sources: &mut SourceMap, hops: &'a [crate::eval::Hop]) -> Vec<JsonHop<'a>> {
    hops.iter()
        .map(|h| JsonHop {
            kind: h.kind,
            description: &h.description,
            verdict: h.verdict,
            location: h.origin.as_ref().and_then(|o| location(sources, o)),
        })
        .collect()
}

/// Render the report as pretty JSON.
pub fn render(report: &Report, sources: &mut SourceMap) -> String {
    let mut out = Vec::new();
    match write(report, sources, &mut out) {
        // serde_json writes UTF-8 only
        Ok(()) => String::from_utf8(out).unwrap_or_default(),
        Err(e) => format!("{{\"error\": \"{e}\"}}"),
    }
}

/// Write the report as pretty JSON to `w`, as it is serialized: a large estate's report is tens
/// of megabytes, and building it as one string first would hold it (and its growth) in memory.
pub fn write(
    report: &Report,
    sources: &mut SourceMap,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    // resolve every JSON pointer with one parse per file
    let mut origins = vec![];
    for f in report
        .findings
        .iter()
        .chain(report.suppressed.iter().map(|s| &s.finding))
    {
        origins.extend(f.labels.iter().map(|l| &l.origin));
        origins.extend(f.path.iter().filter_map(|h| h.origin.as_ref()));
    }
    for c in &report.clusters {
        for p in &c.node_pools {
            for e in &p.egress {
                origins.extend(e.path.iter().filter_map(|h| h.origin.as_ref()));
            }
        }
    }
    sources.prepare_labels(origins);

    let mut summary = Summary {
        errors: report.count(super::Severity::Error),
        warnings: report.count(super::Severity::Warning),
        notes: report.count(super::Severity::Note),
        suppressed: report.suppressed.len(),
        reachable: 0,
        blocked: 0,
        unknown: 0,
    };
    let clusters = report
        .clusters
        .iter()
        .map(|c| JsonCluster {
            address: &c.address,
            name: &c.name,
            node_pools: c
                .node_pools
                .iter()
                .map(|p| JsonPool {
                    name: &p.name,
                    subnet: p.subnet.as_deref(),
                    egress: p
                        .egress
                        .iter()
                        .map(|e| {
                            match e.verdict {
                                Verdict::Reachable => summary.reachable += 1,
                                Verdict::Blocked => summary.blocked += 1,
                                Verdict::Unknown => summary.unknown += 1,
                            }
                            JsonEgress {
                                host: &e.host,
                                port: e.port,
                                protocol: &e.protocol,
                                app_protocol: e.app_protocol.as_deref(),
                                required: e.required,
                                verdict: e.verdict,
                                reason: &e.reason,
                                path: hops(sources, &e.path),
                            }
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let findings = report
        .findings
        .iter()
        .map(|f| json_finding(f, sources))
        .collect();
    let suppressed = report
        .suppressed
        .iter()
        .map(|x| JsonSuppressed {
            finding: json_finding(&x.finding, sources),
            suppression: match &x.by {
                super::Suppression::Waiver {
                    reason,
                    expires,
                    origin,
                    ..
                } => JsonSuppression {
                    kind: "waiver",
                    reason: reason.clone(),
                    expires: expires.map(|d| d.to_string()),
                    location: location(sources, origin),
                },
                super::Suppression::Baseline { file } => JsonSuppression {
                    kind: "baseline",
                    reason: format!("in baseline {file}"),
                    expires: None,
                    location: None,
                },
            },
        })
        .collect();
    let out = JsonReport {
        schema: SCHEMA,
        verdict: report.verdict(),
        summary,
        clusters,
        findings,
        suppressed,
    };
    serde_json::to_writer_pretty(&mut *w, &out)?;
    Ok(())
}

fn json_finding<'a>(f: &'a super::Finding, sources: &mut SourceMap) -> JsonFinding<'a> {
    let mut locations: Vec<JsonLocation> = vec![];
    // primary labels first
    let mut labels: Vec<_> = f.labels.iter().collect();
    labels.sort_by_key(|l| !l.primary);
    // after the labels: where labelled values come from, when elsewhere
    let related: Vec<crate::source::Origin> = labels
        .iter()
        .flat_map(|l| sources.related(&l.origin).into_iter().map(|(o, _)| o))
        .collect();
    for l in labels {
        if let Some(loc) = location(sources, &l.origin) {
            locations.push(loc);
        } else if let Some(a) = &l.origin.address {
            locations.push(JsonLocation {
                file: String::new(),
                line: None,
                column: None,
                address: Some(a.to_string()),
            });
        }
    }
    for o in &related {
        if let Some(loc) = location(sources, o) {
            locations.push(loc);
        }
    }
    JsonFinding {
        rule: &f.rule,
        severity: f.severity.as_str(),
        message: &f.message,
        help: f.full_help(),
        locations,
        cluster: f.cluster.as_deref(),
        node_pool: f.node_pool.as_deref(),
        predicted_failure: f.failure.as_ref(),
        verdict: f.verdict,
        endpoints: &f.endpoints,
        path: hops(sources, &f.path),
    }
}

/// One hop as the report writes it, owned, for other JSON documents (`explain`).
#[derive(Serialize)]
pub struct PathHop {
    kind: crate::eval::HopKind,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    verdict: Option<Verdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<JsonLocation>,
}

/// A hop list as the report writes it (`kind`, `description`, `verdict`, `location` with file,
/// line, column and address).
pub fn path_hops(sources: &mut SourceMap, path: &[crate::eval::Hop]) -> Vec<PathHop> {
    sources.prepare_labels(path.iter().filter_map(|h| h.origin.as_ref()));
    path.iter()
        .map(|h| PathHop {
            kind: h.kind,
            description: h.description.clone(),
            verdict: h.verdict,
            location: h.origin.as_ref().and_then(|o| location(sources, o)),
        })
        .collect()
}

/// One error of a run that could not check (an input, configuration or usage error).
#[derive(Serialize)]
pub struct JsonError {
    code: Option<String>,
    message: String,
    help: Option<String>,
    /// Where it is, when known (the input, the configuration file).
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
}

/// [`JsonError`] of an error. `input`: the input it came from, when the error does not say.
pub fn error_value(e: &crate::error::Error, input: Option<&str>) -> JsonError {
    use crate::error::Error as E;
    use miette::Diagnostic;
    let (file, line, column) = match e {
        E::Input {
            location: Some(l), ..
        } => (Some(l.file.clone()), Some(l.line), Some(l.column)),
        E::Io { path, .. } => (Some(path.clone()), None, None),
        E::Policy {
            src: Some(src),
            span,
            ..
        } => {
            let text = src.inner();
            let (line, column) = match span {
                Some(sp) => {
                    let at = sp.offset().min(text.len());
                    let before = text.get(..at).unwrap_or("");
                    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
                    (
                        Some(before.matches('\n').count() + 1),
                        Some(before[line_start..].chars().count() + 1),
                    )
                }
                None => (None, None),
            };
            (Some(src.name().to_string()), line, column)
        }
        _ => (input.map(str::to_string), None, None),
    };
    JsonError {
        code: e.code().map(|c| c.to_string()),
        message: e.to_string(),
        help: e.help().map(|h| h.to_string()),
        file,
        line,
        column,
    }
}

#[derive(Serialize)]
struct ErrorDoc<'a> {
    schema: &'a str,
    verdict: RunVerdict,
    /// The report's fields, empty (report schema only).
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<Summary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    clusters: Option<[(); 0]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    findings: Option<[(); 0]>,
    /// The explain document's traces, empty (explain schema only).
    #[serde(skip_serializing_if = "Option::is_none")]
    traces: Option<[(); 0]>,
    errors: Vec<JsonError>,
}

/// The document `--format json` prints when the run could not check: the schema, verdict
/// `error` and the errors, with the schema's other fields empty.
pub fn render_errors(schema: &str, errors: Vec<JsonError>) -> String {
    let report = schema == SCHEMA;
    let doc = ErrorDoc {
        schema,
        verdict: RunVerdict::Error,
        summary: report.then_some(Summary {
            errors: 0,
            warnings: 0,
            notes: 0,
            suppressed: 0,
            reachable: 0,
            blocked: 0,
            unknown: 0,
        }),
        clusters: report.then_some([]),
        findings: report.then_some([]),
        traces: (!report).then_some([]),
        errors,
    };
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}
