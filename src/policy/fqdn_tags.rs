//! The Azure Firewall FQDN tag catalogue (`policies/fqdn-tags.toml`, embedded).
//!
//! Tag names are matched case-insensitively. Most tags' contents are not published by Microsoft:
//! matching a host against such a tag is undecidable ([`TagCover::Maybe`]). The
//! `AzureKubernetesService` tag carries the AKS outbound FQDN list (see the TOML file for the
//! sources and what is uncertain).

use crate::eval::fqdn;
use serde::Deserialize;
use std::sync::OnceLock;

const BUILTIN: &str = include_str!("../../policies/fqdn-tags.toml");

/// One FQDN tag.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FqdnTag {
    pub name: String,
    #[serde(default)]
    pub doc_spellings: Vec<String>,
    #[serde(default)]
    pub description: String,
    /// Host patterns known to be in the tag; `None`: contents unknown.
    #[serde(default)]
    pub hosts: Option<Vec<String>>,
    /// Hosts that may or may not be in the tag.
    #[serde(default)]
    pub maybe_hosts: Vec<String>,
    /// A host matching neither list is not in the tag.
    #[serde(default)]
    pub exhaustive: bool,
    /// The listed contents are our reading of the documentation.
    #[serde(default)]
    pub uncertain: bool,
    #[serde(default)]
    pub source: String,
}

/// Does a tag contain a host?
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagCover {
    /// Yes; the pattern of the tag that covers the host.
    Yes(String),
    /// Not decidable statically; the reason.
    Maybe(String),
    No,
}

impl FqdnTag {
    /// Does this tag contain `host` (a name or a wildcard requirement such as
    /// `*.data.mcr.microsoft.com`, which must be covered entirely)?
    pub fn covers(&self, host: &str) -> TagCover {
        let Some(hosts) = &self.hosts else {
            return TagCover::Maybe(format!(
                "the contents of FQDN tag {} are maintained by Microsoft and not known statically",
                self.name
            ));
        };
        if let Some(p) = hosts.iter().find(|p| fqdn::pattern_matches(p, host)) {
            return TagCover::Yes(p.clone());
        }
        if let Some(p) = self
            .maybe_hosts
            .iter()
            .find(|p| fqdn::pattern_matches(p, host))
        {
            return TagCover::Maybe(format!(
                "whether FQDN tag {} includes {p} is not documented",
                self.name
            ));
        }
        if self.exhaustive {
            TagCover::No
        } else {
            TagCover::Maybe(format!(
                "FQDN tag {} may contain {host}: its full contents are maintained by Microsoft",
                self.name
            ))
        }
    }
}

/// The catalogue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FqdnTagCatalogue {
    /// Name prefixes of tag families Azure extends on its own (`Office365.`): unlisted names with
    /// these prefixes may be valid.
    #[serde(default)]
    pub families: Vec<String>,
    #[serde(default, rename = "tag")]
    pub tags: Vec<FqdnTag>,
}

impl FqdnTagCatalogue {
    /// Parse a catalogue in the `policies/fqdn-tags.toml` format.
    pub fn parse(text: &str) -> Result<FqdnTagCatalogue, String> {
        let cat: FqdnTagCatalogue = toml::from_str(text).map_err(|e| e.to_string())?;
        for t in &cat.tags {
            if t.name.trim().is_empty() {
                return Err("an FQDN tag has an empty name".into());
            }
            for p in t.hosts.iter().flatten().chain(&t.maybe_hosts) {
                if !fqdn::is_valid_pattern(p) {
                    return Err(format!("FQDN tag {}: invalid host pattern {p:?}", t.name));
                }
            }
        }
        Ok(cat)
    }

    /// The embedded catalogue, parsed once. Should the embedded file fail to parse (a build
    /// defect caught by the unit tests), an empty catalogue is returned: every tag is then unknown.
    pub fn builtin() -> &'static FqdnTagCatalogue {
        static CAT: OnceLock<FqdnTagCatalogue> = OnceLock::new();
        CAT.get_or_init(|| {
            FqdnTagCatalogue::parse(BUILTIN).unwrap_or(FqdnTagCatalogue {
                families: vec![],
                tags: vec![],
            })
        })
    }

    /// Find a tag by name, case-insensitively.
    pub fn lookup(&self, name: &str) -> Option<&FqdnTag> {
        let n = name.trim();
        self.tags.iter().find(|t| t.name.eq_ignore_ascii_case(n))
    }

    /// Every tag name, as Azure spells it.
    pub fn known_names(&self) -> Vec<&str> {
        self.tags.iter().map(|t| t.name.as_str()).collect()
    }

    /// Does the name belong to a family Azure extends on its own (`Office365.*`)?
    pub fn in_family(&self, name: &str) -> bool {
        let n = name.trim().to_ascii_lowercase();
        self.families
            .iter()
            .any(|f| n.starts_with(&f.to_ascii_lowercase()))
    }

    /// The tag whose documentation spelling is `name` (`AzureHDInsight` -> `HDInsight`).
    pub fn by_doc_spelling(&self, name: &str) -> Option<&FqdnTag> {
        let n = name.trim();
        self.tags
            .iter()
            .find(|t| t.doc_spellings.iter().any(|s| s.eq_ignore_ascii_case(n)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_parses() {
        let cat = FqdnTagCatalogue::parse(BUILTIN).expect("embedded catalogue parses");
        assert!(cat.tags.len() >= 20);
        assert!(
            FqdnTagCatalogue::builtin()
                .lookup("AzureKubernetesService")
                .is_some()
        );
    }

    #[test]
    fn lookup_is_case_insensitive() {
        let cat = FqdnTagCatalogue::builtin();
        assert_eq!(
            cat.lookup("azurekubernetesservice")
                .map(|t| t.name.as_str()),
            Some("AzureKubernetesService")
        );
        assert!(cat.lookup("AzureKubernetesServices").is_none());
        assert!(cat.known_names().contains(&"WindowsUpdate"));
        assert!(cat.known_names().contains(&"citrixHdxPlusForWindows365"));
        assert!(cat.in_family("office365.Exchange.Allow.NotRequired"));
        assert!(!cat.in_family("WindowsUpdate"));
        assert_eq!(
            cat.by_doc_spelling("AzureHDInsight")
                .map(|t| t.name.as_str()),
            Some("HDInsight")
        );
    }

    #[test]
    fn aks_tag_contents() {
        let aks = FqdnTagCatalogue::builtin()
            .lookup("AzureKubernetesService")
            .expect("aks tag");
        for h in [
            "mcr.microsoft.com",
            "*.data.mcr.microsoft.com",
            "eastus.data.mcr.microsoft.com",
            "management.azure.com",
            "login.microsoftonline.com",
            "packages.microsoft.com",
            "packages.aks.azure.com",
            "abc.hcp.westeurope.azmk8s.io",
            "*.hcp.westeurope.azmk8s.io",
        ] {
            assert!(matches!(aks.covers(h), TagCover::Yes(_)), "{h}");
        }
        assert!(matches!(
            aks.covers("snapshot.ubuntu.com"),
            TagCover::Maybe(_)
        ));
        assert_eq!(aks.covers("ifconfig.me"), TagCover::No);
        assert_eq!(aks.covers("*.microsoft.com"), TagCover::No);
        let wu = FqdnTagCatalogue::builtin().lookup("WindowsUpdate").unwrap();
        assert!(matches!(wu.covers("mcr.microsoft.com"), TagCover::Maybe(_)));
    }

    #[test]
    fn rejects_bad_patterns() {
        let bad = "[[tag]]\nname = \"X\"\nhosts = [\"a.*.com\"]\n";
        assert!(FqdnTagCatalogue::parse(bad).is_err());
        assert!(FqdnTagCatalogue::parse("[[tag]]\nname = \"\"\n").is_err());
        assert!(FqdnTagCatalogue::parse("nonsense = 1").is_err());
    }
}
