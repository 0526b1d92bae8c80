//! SARIF 2.1.0 for GitHub code scanning (and any SARIF viewer), with serde-sarif's types.
//!
//! * `tool.driver.rules`: every registered rule, with short and full descriptions, help as text
//!   and Markdown (the rule's documentation), a Microsoft Learn `helpUri`, the default level,
//!   `properties.tags` and `properties."security-severity"`.
//! * One result per finding, suppressed ones included (with `suppressions`: `inSource` for
//!   waivers written in the inputs, `external` for config-file waivers and baselines).
//!   `locations[0]` is the primary label (repository-relative `uri` with `uriBaseId` `%SRCROOT%`,
//!   region with start/end line and column); the other labels are `relatedLocations`; the path
//!   is a `codeFlows` thread, one location per hop. `partialFingerprints` hold the stable
//!   fingerprint ([`super::fingerprint`]) as `primaryLocationLineHash` (the key GitHub reads) and
//!   under its own versioned key.
//! * A result needs a location for GitHub: a finding located nowhere points at the first line of
//!   its first input file, and says so in its properties.
//! * GitHub's limits: at most 25,000 results per run and 10 MB gzip-compressed per upload. Results
//!   beyond the first 25,000 (the most severe come first) are left out, and [`render`] returns a
//!   warning for each limit the file exceeds or may exceed.

use super::fingerprint::{self, fingerprints};
use super::{Finding, Report, Severity, Suppression};
use crate::analysis::registry::{self, RuleMeta};
use crate::eval::Verdict;
use crate::source::{FileId, Origin, SourceMap};
use serde_json::json;
use serde_sarif::sarif;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The official schema of the format written.
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
/// GitHub code scanning: results per run.
pub const MAX_RESULTS: usize = 25_000;
/// GitHub code scanning: size of an upload, gzip-compressed.
pub const MAX_GZIP_BYTES: usize = 10 * 1024 * 1024;
/// SARIF's (and GitHub's) limit for `shortDescription` / `fullDescription` texts.
const MAX_DESCRIPTION: usize = 1024;
const SRCROOT: &str = "%SRCROOT%";

/// The Microsoft Learn page behind a rule's family.
pub fn help_uri(rule: &str) -> &'static str {
    match rule.get(..3).unwrap_or("") {
        "NSG" => {
            "https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview"
        }
        "RTE" => "https://learn.microsoft.com/azure/aks/egress-udr",
        "NAT" => "https://learn.microsoft.com/azure/aks/nat-gateway",
        "FWL" => "https://learn.microsoft.com/azure/aks/limit-egress-traffic",
        "DNS" => {
            "https://learn.microsoft.com/azure/virtual-network/what-is-ip-address-168-63-129-16"
        }
        "PRV" => "https://learn.microsoft.com/azure/aks/private-clusters",
        "API" => "https://learn.microsoft.com/azure/aks/api-server-authorized-ip-ranges",
        "EGR" => "https://learn.microsoft.com/azure/aks/egress-outboundtype",
        _ => "https://learn.microsoft.com/azure/aks/outbound-rules-control-egress",
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        s.chars().take(max - 1).collect::<String>() + "…"
    }
}

fn level(s: Severity) -> serde_json::Value {
    json!(match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    })
}

fn text(s: impl Into<String>) -> sarif::Message {
    sarif::Message {
        text: Some(s.into()),
        ..Default::default()
    }
}

fn rule_descriptor(r: &RuleMeta) -> sarif::ReportingDescriptor {
    let sev = r.default_severity();
    let markdown = format!(
        "**{}**\n\n### What it checks\n\n{}\n\n### Why it fails node provisioning\n\n{}\n\n### How to fix\n\n{}\n\nRun `aks-preflight rules {}` for this text in a terminal.",
        r.summary, r.what, r.why, r.fix, r.id
    );
    let family = match r.id.get(..3).unwrap_or("") {
        "NSG" => "nsg",
        "RTE" => "routing",
        "NAT" => "nat-gateway",
        "FWL" => "firewall",
        "DNS" | "PRV" => "dns",
        "API" => "api-server",
        "EGR" => "egress",
        "WAV" => "waiver",
        _ => "input",
    };
    let mut extra = BTreeMap::new();
    // Blocked node egress makes provisioning fail: an availability risk, rated like one.
    let security_severity = match sev {
        Severity::Error => "7.0",
        Severity::Warning => "5.0",
        Severity::Note => "2.0",
    };
    extra.insert("security-severity".to_string(), json!(security_severity));
    extra.insert("precision".to_string(), json!("high"));
    extra.insert(
        "problem.severity".to_string(),
        json!(match sev {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "recommendation",
        }),
    );
    let mut d = sarif::ReportingDescriptor::builder()
        .id(r.id.clone())
        .build();
    d.name = Some(r.name.clone());
    d.short_description = Some(mms(truncate(&r.summary, MAX_DESCRIPTION), None));
    d.full_description = Some(mms(truncate(&r.what, MAX_DESCRIPTION), None));
    d.help = Some(mms(r.doc(), Some(markdown)));
    d.help_uri = Some(help_uri(&r.id).to_string());
    d.default_configuration = Some(sarif::ReportingConfiguration {
        level: Some(level(sev)),
        ..Default::default()
    });
    d.properties = Some(sarif::PropertyBag {
        tags: Some(vec![
            "aks".to_string(),
            "network".to_string(),
            family.to_string(),
            "reliability".to_string(),
        ]),
        additional_properties: extra,
    });
    d
}

fn mms(text: String, markdown: Option<String>) -> sarif::MultiformatMessageString {
    let mut m = sarif::MultiformatMessageString::builder()
        .text(text)
        .build();
    m.markdown = markdown;
    m
}

/// Resolves origins to SARIF physical locations.
struct Locator<'a> {
    sources: &'a mut SourceMap,
    root: Option<PathBuf>,
}

impl Locator<'_> {
    fn artifact(&self, file: FileId) -> sarif::ArtifactLocation {
        let name = &self.sources.get(file).name;
        let rel = self
            .root
            .as_deref()
            .and_then(|r| super::paths::relative_to(name, r));
        match rel {
            Some(rel) => sarif::ArtifactLocation {
                uri: Some(rel),
                uri_base_id: Some(SRCROOT.to_string()),
                ..Default::default()
            },
            None => sarif::ArtifactLocation {
                uri: Some(file_uri(name)),
                ..Default::default()
            },
        }
    }

    fn physical(&mut self, o: &Origin) -> Option<sarif::PhysicalLocation> {
        let file = o.file?;
        if self.sources.get(file).name.starts_with('<') {
            return None; // standard input has no URI
        }
        let region = self.sources.locate_label(o).map(|l| {
            let f = self.sources.get(file);
            let (end_line, end_col) = f.line_col(l.span.end.max(l.span.start));
            sarif::Region {
                start_line: Some(l.line as i64),
                start_column: Some(l.column as i64),
                end_line: Some(end_line.max(l.line) as i64),
                end_column: Some(if end_line == l.line {
                    end_col.max(l.column + 1) as i64
                } else {
                    end_col as i64
                }),
                ..Default::default()
            }
        });
        Some(sarif::PhysicalLocation {
            artifact_location: Some(self.artifact(file)),
            region,
            ..Default::default()
        })
    }

    fn location(&mut self, o: &Origin, message: Option<String>) -> Option<sarif::Location> {
        let physical = self.physical(o)?;
        let logical = o.address.as_ref().map(|a| {
            vec![sarif::LogicalLocation {
                fully_qualified_name: Some(a.to_string()),
                kind: Some("resource".to_string()),
                ..Default::default()
            }]
        });
        Some(sarif::Location {
            physical_location: Some(physical),
            logical_locations: logical,
            message: message.map(text),
            ..Default::default()
        })
    }
}

/// `file://` URI of a path outside the repository (made absolute, percent-encoded minimally).
fn file_uri(name: &str) -> String {
    let p = Path::new(name);
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    };
    let s = abs.to_string_lossy().replace('\\', "/");
    let s = s
        .replace('%', "%25")
        .replace(' ', "%20")
        .replace('#', "%23");
    if s.starts_with('/') {
        format!("file://{s}")
    } else {
        format!("file:///{s}")
    }
}

fn result(
    f: &Finding,
    fp: &str,
    suppression: Option<&Suppression>,
    rule_index: &BTreeMap<&str, usize>,
    loc: &mut Locator<'_>,
    fallback: Option<FileId>,
) -> sarif::Result {
    let mut message = f.message.clone();
    if let Some(h) = f.full_help().filter(|h| !h.trim().is_empty()) {
        message.push_str("\n\nFix: ");
        message.push_str(&h);
    }
    let mut labels: Vec<_> = f.labels.iter().collect();
    labels.sort_by_key(|l| !l.primary);
    let mut located: Vec<sarif::Location> = vec![];
    for l in &labels {
        if let Some(x) = loc.location(&l.origin, Some(l.text.clone())) {
            located.push(x);
        }
    }
    let mut props = BTreeMap::new();
    if located.is_empty() {
        // GitHub needs a location: the first hop that has one, else the input's first line
        let from_path = f
            .path
            .iter()
            .filter_map(|h| h.origin.as_ref())
            .find_map(|o| loc.location(o, None));
        let fallback_loc = from_path.or_else(|| {
            let file = fallback?;
            let mut physical = sarif::PhysicalLocation {
                artifact_location: Some(loc.artifact(file)),
                ..Default::default()
            };
            physical.region = Some(sarif::Region {
                start_line: Some(1),
                ..Default::default()
            });
            Some(sarif::Location {
                physical_location: Some(physical),
                ..Default::default()
            })
        });
        if let Some(l) = fallback_loc {
            props.insert(
                "location".to_string(),
                json!("the finding is not located in a file; this location stands in for it"),
            );
            located.push(l);
        }
    }
    let mut related = located.split_off(1.min(located.len()));
    for (i, r) in related.iter_mut().enumerate() {
        r.id = Some(i as i64 + 1);
    }
    // related locations: GitHub allows 1,000 locations per result
    related.truncate(999);
    let code_flows = (!f.path.is_empty()).then(|| {
        let decided = super::mermaid::deciding_hop(&f.path);
        let locations: Vec<sarif::ThreadFlowLocation> = f
            .path
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let verdict = h
                    .verdict
                    .map(|v| format!(" [{}]", v.as_str()))
                    .unwrap_or_default();
                let msg = format!("{}{verdict}", h.description);
                let location = h
                    .origin
                    .as_ref()
                    .and_then(|o| loc.location(o, Some(msg.clone())))
                    .unwrap_or_else(|| sarif::Location {
                        message: Some(text(msg)),
                        ..Default::default()
                    });
                sarif::ThreadFlowLocation {
                    location: Some(location),
                    execution_order: Some(i as i64),
                    importance: Some(json!(if Some(i) == decided {
                        "essential"
                    } else {
                        "important"
                    })),
                    ..Default::default()
                }
            })
            .collect();
        let mut flow = sarif::CodeFlow::builder()
            .thread_flows(vec![
                sarif::ThreadFlow::builder().locations(locations).build(),
            ])
            .build();
        flow.message = f
            .verdict
            .map(|v| text(format!("path verdict: {}", v.as_str())));
        vec![flow]
    });
    if let Some(c) = &f.cluster {
        props.insert("cluster".to_string(), json!(c));
    }
    if let Some(p) = &f.node_pool {
        props.insert("nodePool".to_string(), json!(p));
    }
    if !f.endpoints.is_empty() {
        props.insert("endpoints".to_string(), json!(f.endpoints));
    }
    if let Some(v) = f.verdict {
        props.insert(
            "verdict".to_string(),
            json!(match v {
                Verdict::Reachable => "reachable",
                Verdict::Blocked => "blocked",
                Verdict::Unknown => "unknown",
            }),
        );
    }
    if let Some(pf) = &f.failure {
        props.insert("predictedFailure".to_string(), json!(pf));
    }
    let suppressions = suppression.map(|s| {
        let (kind, origin) = match s {
            // a waiver in an input file (source comment) is in source; config-file waivers
            // and baselines are external
            Suppression::Waiver { origin, inline, .. } => {
                (if *inline { "inSource" } else { "external" }, Some(origin))
            }
            Suppression::Baseline { .. } => ("external", None),
        };
        let mut x = sarif::Suppression::builder().kind(json!(kind)).build();
        x.status = Some(json!("accepted"));
        x.justification = Some(s.describe());
        x.location = origin.and_then(|o| loc.location(o, None));
        vec![x]
    });
    let mut partial = BTreeMap::new();
    partial.insert("primaryLocationLineHash".to_string(), fp.to_string());
    partial.insert(fingerprint::VERSION.to_string(), fp.to_string());
    let mut r = sarif::Result::builder().message(text(message)).build();
    r.rule_id = Some(f.rule.clone());
    r.rule_index = rule_index.get(f.rule.as_str()).map(|&i| i as i64);
    r.level = Some(match f.severity {
        Severity::Error => sarif::ResultLevel::Error,
        Severity::Warning => sarif::ResultLevel::Warning,
        Severity::Note => sarif::ResultLevel::Note,
    });
    r.locations = (!located.is_empty()).then_some(located);
    r.related_locations = (!related.is_empty()).then_some(related);
    r.code_flows = code_flows;
    r.partial_fingerprints = Some(partial);
    r.suppressions = suppressions;
    if !props.is_empty() {
        r.properties = Some(sarif::PropertyBag {
            tags: None,
            additional_properties: props,
        });
    }
    r
}

/// Render the report as SARIF (pretty JSON), with warnings about GitHub's upload limits.
pub fn render(report: &Report, sources: &mut SourceMap) -> (String, Vec<String>) {
    sources.prepare_labels(report.finding_origins());
    let rules: Vec<sarif::ReportingDescriptor> =
        registry::rules().iter().map(rule_descriptor).collect();
    let rule_index: BTreeMap<&str, usize> = registry::rules()
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let root = super::paths::repository_root();
    let fallback = sources
        .files()
        .find(|(_, f)| !f.name.starts_with('<'))
        .map(|(id, _)| id);
    let mut loc = Locator {
        sources,
        root: root.clone(),
    };
    let mut warnings = vec![];
    let mut results = vec![];
    let fps = fingerprints(&report.findings);
    for (f, fp) in report.findings.iter().zip(&fps) {
        results.push(result(f, fp, None, &rule_index, &mut loc, fallback));
    }
    let sfps = fingerprints(report.suppressed.iter().map(|s| &s.finding));
    for (s, fp) in report.suppressed.iter().zip(&sfps) {
        results.push(result(
            &s.finding,
            fp,
            Some(&s.by),
            &rule_index,
            &mut loc,
            fallback,
        ));
    }
    if results.len() > MAX_RESULTS {
        warnings.push(format!(
            "SARIF: {} results exceed GitHub's limit of {MAX_RESULTS} per run; the file keeps the first {MAX_RESULTS} (errors first)",
            results.len()
        ));
        results.truncate(MAX_RESULTS);
    }
    let without_location = results.iter().filter(|r| r.locations.is_none()).count();
    if without_location > 0 {
        warnings.push(format!(
            "SARIF: {without_location} result(s) have no file location (input read from standard input): GitHub code scanning rejects results without one"
        ));
    }
    let mut base_ids = BTreeMap::new();
    if let Some(r) = &root {
        let mut uri = file_uri(&r.to_string_lossy());
        if !uri.ends_with('/') {
            uri.push('/');
        }
        base_ids.insert(
            SRCROOT.to_string(),
            sarif::ArtifactLocation {
                uri: Some(uri),
                description: Some(text(
                    "the repository root (GITHUB_WORKSPACE, else the nearest directory with .git)",
                )),
                ..Default::default()
            },
        );
    }
    let mut driver = sarif::ToolComponent::builder()
        .name("aks-preflight".to_string())
        .build();
    driver.semantic_version = Some(env!("CARGO_PKG_VERSION").to_string());
    driver.version = Some(env!("CARGO_PKG_VERSION").to_string());
    driver.rules = Some(rules);
    let mut run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .build();
    run.results = Some(results);
    run.original_uri_base_ids = (!base_ids.is_empty()).then_some(base_ids);
    run.column_kind = Some(json!("unicodeCodePoints"));
    let mut log = sarif::Sarif::builder()
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build();
    log.schema = Some(SCHEMA_URI.to_string());
    let out = serde_json::to_string_pretty(&log).unwrap_or_default() + "\n";
    if out.len() > MAX_GZIP_BYTES {
        warnings.push(format!(
            "SARIF: the file is {:.1} MB uncompressed; GitHub accepts at most 10 MB gzip-compressed per upload (JSON usually compresses 5-10 times)",
            out.len() as f64 / 1_048_576.0
        ));
    }
    (out, warnings)
}
