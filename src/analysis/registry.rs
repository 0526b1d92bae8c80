//! The rule registry: metadata of every rule, from `policies/rules.toml` (embedded).

use crate::report::Severity;
use serde::Deserialize;
use std::sync::OnceLock;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleMeta {
    pub id: String,
    pub name: String,
    pub severity: String,
    pub summary: String,
    pub what: String,
    pub why: String,
    pub fix: String,
}

impl RuleMeta {
    pub fn default_severity(&self) -> Severity {
        Severity::parse(&self.severity).unwrap_or(Severity::Warning)
    }
    /// The rule's documentation, as printed by `aks-preflight rules <ID>`.
    pub fn doc(&self) -> String {
        format!(
            "{} {} ({})\n\n{}\n\nWhat it checks\n  {}\n\nWhy it fails node provisioning\n  {}\n\nHow to fix\n  {}\n",
            self.id, self.name, self.severity, self.summary, self.what, self.why, self.fix
        )
    }
}

#[derive(Deserialize)]
struct RulesFile {
    rule: Vec<RuleMeta>,
}

const RULES_TOML: &str = include_str!("../../policies/rules.toml");

/// All rules, in file order.
pub fn rules() -> &'static [RuleMeta] {
    static RULES: OnceLock<Vec<RuleMeta>> = OnceLock::new();
    RULES.get_or_init(|| {
        // The embedded file is validated by the registry tests; a broken file is a build defect.
        toml::from_str::<RulesFile>(RULES_TOML)
            .map(|f| f.rule)
            .unwrap_or_default()
    })
}

/// Look a rule up by ID or name (case-insensitive).
pub fn rule(id_or_name: &str) -> Option<&'static RuleMeta> {
    rules()
        .iter()
        .find(|r| r.id.eq_ignore_ascii_case(id_or_name) || r.name.eq_ignore_ascii_case(id_or_name))
}

/// A rule's fix text (empty for an unregistered ID, which the tests forbid).
pub fn fix(id: &str) -> String {
    rule(id).map(|r| r.fix.clone()).unwrap_or_default()
}

/// Default severity of a rule (warning for an unregistered ID, which the tests forbid).
pub fn severity(id: &str) -> Severity {
    rule(id)
        .map(|r| r.default_severity())
        .unwrap_or(Severity::Warning)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn embedded_rules_parse_and_are_unique() {
        let parsed: RulesFile = toml::from_str(RULES_TOML).expect("policies/rules.toml parses");
        assert!(parsed.rule.len() >= 20);
        let mut ids = HashSet::new();
        let mut names = HashSet::new();
        for r in &parsed.rule {
            assert!(ids.insert(r.id.clone()), "duplicate id {}", r.id);
            assert!(names.insert(r.name.clone()), "duplicate name {}", r.name);
            assert!(
                Severity::parse(&r.severity).is_some(),
                "bad severity in {}",
                r.id
            );
            let (prefix, num) = r.id.split_at(3);
            assert!(
                prefix.chars().all(|c| c.is_ascii_uppercase()) && num.len() == 3,
                "bad id {}",
                r.id
            );
            assert!(
                r.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "bad name {}",
                r.name
            );
            for field in [&r.summary, &r.what, &r.why, &r.fix] {
                assert!(!field.trim().is_empty(), "empty doc field in {}", r.id);
            }
        }
    }

    #[test]
    fn lookup_by_id_and_name() {
        assert_eq!(rule("nsg001").unwrap().name, "nsg-denies-required-egress");
        assert_eq!(rule("route-to-none").unwrap().id, "RTE001");
        assert!(rule("XYZ999").is_none());
        assert_eq!(severity("EGR001"), Severity::Warning);
    }
}

#[cfg(test)]
mod code_tests {
    /// Every rule code written in the source is registered (and so documented).
    #[test]
    fn every_code_used_in_the_source_is_registered() {
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(std::fs::read_to_string(&p).unwrap());
                }
            }
        }
        let mut files = vec![];
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let mut missing = std::collections::BTreeSet::new();
        for text in &files {
            for (i, _) in text.match_indices('"') {
                let rest = &text[i + 1..];
                if rest.len() > 7 && rest.as_bytes()[6] == b'"' {
                    let code = &rest[..6];
                    let (p, n) = code.split_at(3);
                    if [
                        "NSG", "RTE", "NAT", "EGR", "FWL", "PER", "APL", "DNS", "PRV", "API",
                        "INP", "WAV",
                    ]
                    .contains(&p)
                        && n.chars().all(|c| c.is_ascii_digit())
                        && super::rule(code).is_none()
                    {
                        missing.insert(code.to_string());
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "rule codes used but not in policies/rules.toml: {missing:?}"
        );
    }
}
