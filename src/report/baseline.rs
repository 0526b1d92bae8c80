//! Baselines: `--write-baseline FILE` records today's findings by their stable fingerprints;
//! `--baseline FILE` reports only the findings that are not in it (the others are suppressed,
//! kept and counted like waived ones).
//!
//! The file is JSON, sorted by fingerprint so that it diffs well in review:
//! `{"schema": "aks-preflight/baseline/v1", "findings": [{"fingerprint", "rule", "resource",
//! "cluster", "node_pool", "endpoints", "severity", "message"}]}`. Only `fingerprint` decides; the
//! other fields are there for the reader. Findings about waivers (`WAV…`) are never recorded.

use super::fingerprint::{Identity, fingerprints};
use super::{Finding, Report, Suppressed, Suppression};
use crate::error::Error;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

pub const SCHEMA: &str = "aks-preflight/baseline/v1";

#[derive(Serialize, Deserialize)]
struct BaselineFile {
    schema: String,
    findings: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    fingerprint: String,
    #[serde(flatten)]
    identity: Identity,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    message: String,
}

/// A baseline read from a file.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// The file name as given (for "in baseline FILE").
    pub name: String,
    /// Fingerprint → how many findings of that fingerprint it recorded (always 1 today: the
    /// occurrence number is part of the fingerprint).
    fingerprints: HashMap<String, usize>,
}

fn recordable(f: &Finding) -> bool {
    !f.rule.starts_with("WAV")
}

/// The baseline file for the report's (unsuppressed) findings.
pub fn render(report: &Report) -> String {
    let findings: Vec<&Finding> = report.findings.iter().filter(|f| recordable(f)).collect();
    let fps = fingerprints(findings.iter().copied());
    let mut entries: Vec<Entry> = findings
        .iter()
        .zip(fps)
        .map(|(f, fingerprint)| Entry {
            fingerprint,
            identity: Identity::of(f),
            severity: f.severity.as_str().to_string(),
            message: f.message.clone(),
        })
        .collect();
    entries.sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
    let file = BaselineFile {
        schema: SCHEMA.to_string(),
        findings: entries,
    };
    serde_json::to_string_pretty(&file).unwrap_or_default() + "\n"
}

/// Parse a baseline file; errors are located in it (exit 2).
pub fn parse(name: &str, text: &str) -> Result<Baseline, Error> {
    let shared = Arc::new(text.to_string());
    let file: BaselineFile = serde_json::from_str(text).map_err(|e| {
        let offset = offset_of(text, e.line(), e.column());
        Error::input_at(
            name,
            shared.clone(),
            Some(offset..offset),
            offset,
            format!("{name} is not an aks-preflight baseline: {e}"),
            "here",
            Some("write one with `aks-preflight check INPUT --write-baseline FILE`".into()),
        )
    })?;
    if file.schema != SCHEMA {
        let at = text.find(&file.schema).unwrap_or(0);
        return Err(Error::input_at(
            name,
            shared,
            Some(at..at + file.schema.len()),
            text.len(),
            format!(
                "{name}: unsupported baseline schema `{}` (this version reads `{SCHEMA}`)",
                file.schema
            ),
            "schema",
            None,
        ));
    }
    let mut fingerprints = HashMap::new();
    for e in file.findings {
        *fingerprints.entry(e.fingerprint).or_insert(0) += 1;
    }
    Ok(Baseline {
        name: name.to_string(),
        fingerprints,
    })
}

/// Byte offset of a 1-based line and column (serde_json's error position).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let mut at = (start + column.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Suppress the findings the baseline recorded. Keeps the report sorted.
pub fn apply(report: &mut Report, baseline: &Baseline) {
    let candidates: Vec<usize> = (0..report.findings.len())
        .filter(|&i| recordable(&report.findings[i]))
        .collect();
    let fps = fingerprints(candidates.iter().map(|&i| &report.findings[i]));
    let mut remaining = baseline.fingerprints.clone();
    let mut hide = vec![false; report.findings.len()];
    for (&i, fp) in candidates.iter().zip(&fps) {
        if let Some(n) = remaining.get_mut(fp) {
            if *n > 0 {
                *n -= 1;
                hide[i] = true;
            }
        }
    }
    let mut kept = vec![];
    for (f, hidden) in std::mem::take(&mut report.findings).into_iter().zip(hide) {
        if hidden {
            report.suppressed.push(Suppressed {
                finding: f,
                by: Suppression::Baseline {
                    file: baseline.name.clone(),
                },
            });
        } else {
            kept.push(f);
        }
    }
    report.findings = kept;
    report.sort();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Severity;

    fn report(rules: &[(&str, &str)]) -> Report {
        Report {
            findings: rules
                .iter()
                .map(|(r, pool)| Finding::new(r, Severity::Error, "m").at_pool("aks", pool))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn written_baseline_hides_exactly_its_findings() {
        let old = report(&[("NSG001", "a"), ("RTE001", "a")]);
        let text = render(&old);
        let b = parse("baseline.json", &text).unwrap();
        let mut new = report(&[("NSG001", "a"), ("RTE001", "a"), ("NSG001", "b")]);
        new.sort();
        apply(&mut new, &b);
        assert_eq!(new.findings.len(), 1);
        assert_eq!(new.findings[0].node_pool.as_deref(), Some("b"));
        assert_eq!(new.suppressed.len(), 2);
        assert!(matches!(new.suppressed[0].by, Suppression::Baseline { .. }));
    }

    #[test]
    fn baseline_is_sorted_and_names_its_schema() {
        let text = render(&report(&[
            ("RTE001", "z"),
            ("NSG001", "a"),
            ("EGR001", "m"),
        ]));
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["schema"], SCHEMA);
        let fps: Vec<&str> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["fingerprint"].as_str().unwrap())
            .collect();
        let mut sorted = fps.clone();
        sorted.sort();
        assert_eq!(fps, sorted);
    }

    #[test]
    fn malformed_and_foreign_baselines_are_located_errors() {
        let e = parse(
            "b.json",
            "{\n  \"schema\": \"aks-preflight/baseline/v1\",\n  \"findings\": [}\n",
        )
        .unwrap_err();
        assert!(matches!(e, Error::Input { .. }), "{e:?}");
        let e = parse("b.json", "{\"schema\": \"other/v9\", \"findings\": []}").unwrap_err();
        assert!(e.to_string().contains("other/v9"));
    }
}
