//! Stable finding fingerprints: what a finding is about, never where it is written.
//!
//! A fingerprint hashes the rule, the resource the finding points at (its primary location's
//! address, else its cluster's), the cluster, the node pool and the sorted endpoints. Line numbers,
//! byte offsets, JSON pointers (which hold a resource's position in the plan) and message wording
//! are left out, so a fingerprint survives line shifts, reordered inputs and a new tool version.
//! Two findings with the same identity in one report get `:1`, `:2`, ... in report order (as
//! GitHub's own `primaryLocationLineHash` does). SARIF `partialFingerprints` and baselines use it.

use super::Finding;

/// Version of the fingerprint recipe: part of the hash, and the SARIF fingerprint's key.
pub const VERSION: &str = "aks-preflight/v1";

/// What a fingerprint is computed from, readable (recorded in baselines for review).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    pub rule: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub resource: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cluster: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub node_pool: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<String>,
}

impl Identity {
    pub fn of(f: &Finding) -> Identity {
        let resource = f
            .primary_origin()
            .and_then(|o| o.address.as_deref().map(str::to_string))
            .or_else(|| {
                f.labels
                    .iter()
                    .find_map(|l| l.origin.address.as_deref().map(str::to_string))
            })
            .or_else(|| f.cluster.clone())
            .unwrap_or_default();
        let mut endpoints = f.endpoints.clone();
        endpoints.sort();
        endpoints.dedup();
        Identity {
            rule: f.rule.clone(),
            resource,
            cluster: f.cluster.clone().unwrap_or_default(),
            node_pool: f.node_pool.clone().unwrap_or_default(),
            endpoints,
        }
    }

    /// 16 hex digits: FNV-1a (64 bit) of the fields, NUL-separated, after the recipe version.
    pub fn hash(&self) -> String {
        let mut h = Fnv::new();
        for part in [
            VERSION,
            &self.rule,
            &self.resource,
            &self.cluster,
            &self.node_pool,
        ] {
            h.write(part.as_bytes());
            h.write(&[0]);
        }
        for e in &self.endpoints {
            h.write(e.as_bytes());
            h.write(&[0x1f]);
        }
        format!("{:016x}", h.0)
    }
}

/// FNV-1a, 64 bit: a fixed, documented function (std's `DefaultHasher` may change between Rust
/// releases, which would change every fingerprint).
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// Fingerprints of `findings`, in the same order: `<hash>:<n>`, `n` counting the findings of the
/// same identity in order (1-based). The findings should be in report order (sorted), so that
/// `n` does not depend on the order of the inputs.
pub fn fingerprints<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Vec<String> {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    findings
        .into_iter()
        .map(|f| {
            let h = Identity::of(f).hash();
            let n = seen.entry(h.clone()).or_insert(0);
            *n += 1;
            format!("{h}:{n}")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Severity;
    use crate::source::{FileId, Loc, Origin};

    fn finding(pointer: &str, line_text: &str) -> Finding {
        Finding::new("NSG001", Severity::Error, line_text)
            .primary(
                &Origin::new(
                    FileId(0),
                    "azurerm_network_security_group.nodes",
                    Loc::Pointer(pointer.into()),
                ),
                "deny",
            )
            .at_pool("azurerm_kubernetes_cluster.aks", "system")
            .endpoints(vec![
                "mcr.microsoft.com:443/https".into(),
                "management.azure.com:443/https".into(),
            ])
    }

    #[test]
    fn location_and_wording_do_not_change_the_fingerprint() {
        let a = finding("/resource_changes/3/change/after/security_rule/0", "one");
        let b = finding("/resource_changes/7/change/after/security_rule/2", "two");
        assert_eq!(fingerprints([&a]), fingerprints([&b]));
        let mut c = a.clone();
        c.endpoints.reverse();
        assert_eq!(fingerprints([&a]), fingerprints([&c]));
    }

    #[test]
    fn identity_changes_the_fingerprint_and_repeats_are_numbered() {
        let a = finding("/x", "m");
        let mut other_pool = a.clone();
        other_pool.node_pool = Some("user".into());
        let mut other_rule = a.clone();
        other_rule.rule = "RTE001".into();
        let fps = fingerprints([&a, &other_pool, &other_rule, &a]);
        assert_eq!(fps[0].len(), 16 + 2);
        assert!(fps[0].ends_with(":1") && fps[3].ends_with(":2"));
        assert_eq!(fps[0][..16], fps[3][..16]);
        assert_ne!(fps[0][..16], fps[1][..16]);
        assert_ne!(fps[0][..16], fps[2][..16]);
    }

    /// The recipe is a contract (baselines and code-scanning alerts rely on it): a change must
    /// be deliberate, with a new VERSION.
    #[test]
    fn recipe_is_pinned() {
        let id = Identity {
            rule: "NSG001".into(),
            resource: "azurerm_network_security_group.nodes".into(),
            cluster: "azurerm_kubernetes_cluster.aks".into(),
            node_pool: "system".into(),
            endpoints: vec!["mcr.microsoft.com:443/https".into()],
        };
        let mut h = Fnv::new();
        h.write(b"a");
        assert_eq!(h.0, 0xaf63_dc4c_8601_ec8c); // FNV-1a 64 test vector for "a"
        assert_eq!(id.hash().len(), 16);
        assert_eq!(id.hash(), id.clone().hash());
    }
}
