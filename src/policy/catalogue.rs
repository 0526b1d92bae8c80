//! The endpoint catalogue: every egress destination AKS nodes must (or may) reach, per cloud and
//! condition, with the predicted failure when a required one is unreachable.
//!
//! The built-in catalogue is `policies/endpoints.toml`, embedded at compile time. A policy
//! directory (`--policy-dir`) adds endpoints or replaces built-in ones by `id`. The file format is
//! described in `policies/README.md`.

use super::{policy_error, toml_error};
use crate::error::{Error, Result};
use crate::eval::Protocol;
use crate::eval::flow::AppProto;
use crate::model::Cloud;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use toml::Spanned;

/// File name shown for errors in the embedded catalogue.
pub const BUILTIN_NAME: &str = "policies/endpoints.toml";
const BUILTIN_TEXT: &str = include_str!("../../policies/endpoints.toml");

/// Condition keywords (section 1.0 of the AKS network requirements notes). See
/// [`crate::policy::requirements`] for when each one applies.
pub const CONDITIONS: &[&str] = &[
    "always",
    "public-cluster",
    "public-cluster-no-konnectivity",
    "private-cluster",
    "apiserver-vnet-integration",
    "network-isolated",
    "custom-dns",
    "pods-use-apiserver-ip",
    "legacy-ntp",
    "legacy-fallback",
    "optional:os-updates",
    "gpu",
    "windows",
    "addon:monitoring",
    "addon:azure-policy",
    "addon:keyvault-csi",
    "addon:defender",
    "addon:cost-analysis",
    "feature:workload-identity",
    "extension:any",
    "extension:marketplace",
    "platform",
    "observed-only",
];

/// Placeholders a destination may contain; they are substituted per cluster.
pub const PLACEHOLDERS: &[&str] = &[
    "<region>",
    "<custom-dns-server-ip>",
    "<apiserver-public-ip>",
    "<apiserver-private-endpoint-ip>",
    "<apiserver-subnet-cidr>",
    "<bootstrap-acr>",
];

/// The text of the built-in catalogue, for diagnostics that point into it
/// ([`PolicyLocation::file`] is [`BUILTIN_NAME`]).
pub fn builtin_text() -> &'static str {
    BUILTIN_TEXT
}

pub fn is_known_condition(s: &str) -> bool {
    CONDITIONS.contains(&s)
}

/// Which cloud(s) an endpoint applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CloudSel {
    Public,
    China,
    UsGov,
    All,
}

impl CloudSel {
    pub fn parse(s: &str) -> Option<CloudSel> {
        match s.to_ascii_lowercase().as_str() {
            "all" | "*" => Some(CloudSel::All),
            other => Cloud::parse(other).map(|c| match c {
                Cloud::Public => CloudSel::Public,
                Cloud::China => CloudSel::China,
                Cloud::UsGov => CloudSel::UsGov,
            }),
        }
    }
    pub fn as_str(&self) -> &'static str {
        match self {
            CloudSel::Public => "public",
            CloudSel::China => "china",
            CloudSel::UsGov => "usgov",
            CloudSel::All => "all",
        }
    }
    pub fn includes(&self, cloud: Cloud) -> bool {
        matches!(
            (self, cloud),
            (CloudSel::All, _)
                | (CloudSel::Public, Cloud::Public)
                | (CloudSel::China, Cloud::China)
                | (CloudSel::UsGov, Cloud::UsGov)
        )
    }
}

/// Protocol of an endpoint as written in policy files. HTTP and HTTPS are TCP flows that an
/// FQDN-aware firewall can match with application rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EndpointProtocol {
    Tcp,
    Udp,
    Http,
    Https,
}

impl EndpointProtocol {
    pub fn parse(s: &str) -> Option<EndpointProtocol> {
        match s.to_ascii_lowercase().as_str() {
            "tcp" => Some(EndpointProtocol::Tcp),
            "udp" => Some(EndpointProtocol::Udp),
            "http" => Some(EndpointProtocol::Http),
            "https" => Some(EndpointProtocol::Https),
            _ => None,
        }
    }
    pub fn as_str(&self) -> &'static str {
        match self {
            EndpointProtocol::Tcp => "tcp",
            EndpointProtocol::Udp => "udp",
            EndpointProtocol::Http => "http",
            EndpointProtocol::Https => "https",
        }
    }
    /// The transport protocol of the flow.
    pub fn transport(&self) -> Protocol {
        match self {
            EndpointProtocol::Udp => Protocol::Udp,
            _ => Protocol::Tcp,
        }
    }
    /// The application protocol, for HTTP(S) endpoints.
    pub fn app(&self) -> Option<AppProto> {
        match self {
            EndpointProtocol::Http => Some(AppProto::Http),
            EndpointProtocol::Https => Some(AppProto::Https),
            _ => None,
        }
    }
}

/// What happens when a required endpoint is unreachable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailureSpec {
    /// The AKS error name when one is documented (`VMExtensionError_OutboundConnFail`), else the
    /// AgentBaker constant (`ERR_IMDS_FETCH_FAILED`), else a short description of the symptom.
    pub error: String,
    /// The vmssCSE exit code the node provisioning fails with; absent when the failure is not a
    /// documented provisioning exit code (the node may provision and fail later).
    pub exit_code: Option<u32>,
    /// Other exit codes the same blockage can produce, depending on node image and cached content.
    pub also_exit_codes: Vec<u32>,
    pub detail: String,
}

/// Where a policy entry was written (for diagnostics pointing into policy or config files).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyLocation {
    pub file: String,
    pub span: Range<usize>,
}

/// One endpoint row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    /// Stable identifier (`public.mcr`, `china.mcr-cn`, `user.myacr.azurecr.io:443`).
    pub id: String,
    pub cloud: CloudSel,
    /// Host name or wildcard (`*.data.mcr.microsoft.com`), IP address, `tag:<ServiceTag>`, `*` (any
    /// address) or a placeholder (`<custom-dns-server-ip>`); may contain `<region>`.
    pub destination: String,
    pub protocol: EndpointProtocol,
    pub port: u16,
    pub required: bool,
    /// Condition keyword (see [`CONDITIONS`]).
    pub condition: String,
    /// Service tags known to contain the destination (may contain `<region>`).
    pub service_tags: Vec<String>,
    pub purpose: String,
    pub source: String,
    /// The requirement level or scope could not be confirmed (reason in `purpose`).
    pub uncertain: bool,
    pub failure: Option<FailureSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<PolicyLocation>,
}

/// The catalogue: endpoints in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Catalogue {
    pub endpoints: Vec<Endpoint>,
}

static BUILTIN: OnceLock<std::result::Result<Catalogue, String>> = OnceLock::new();

impl Catalogue {
    /// The embedded catalogue (`policies/endpoints.toml`), parsed once.
    pub fn builtin() -> Result<&'static Catalogue> {
        let parsed = BUILTIN.get_or_init(|| {
            Catalogue::parse(BUILTIN_NAME, BUILTIN_TEXT).map_err(|e| e.to_string())
        });
        match parsed {
            Ok(c) => Ok(c),
            Err(message) => Err(Error::Policy {
                message: format!("the built-in endpoint catalogue is invalid: {message}"),
                src: None,
                span: None,
                help: Some("this is a bug in aks-preflight; please report it".into()),
            }),
        }
    }

    /// Parse one catalogue file. `name` is used in error messages.
    pub fn parse(name: &str, text: &str) -> Result<Catalogue> {
        let text = Arc::new(text.to_string());
        let raw: RawCatalogueFile =
            toml::from_str(&text).map_err(|e| toml_error(name, &text, e))?;
        if let Some(v) = &raw.endpoints {
            return Err(policy_error(
                name,
                &text,
                Some(v.span()),
                "unknown key `endpoints`",
                Some("endpoint tables are written `[[endpoint]]` (singular)".into()),
            ));
        }
        let mut seen: HashSet<String> = HashSet::new();
        let mut endpoints = Vec::with_capacity(raw.endpoint.len());
        for e in raw.endpoint {
            let id_at = e
                .get_ref()
                .id
                .as_ref()
                .map(|i| (i.get_ref().trim().to_string(), i.span()));
            if let Some((id, span)) = id_at
                && !seen.insert(id.clone())
            {
                return Err(policy_error(
                    name,
                    &text,
                    Some(span),
                    format!("duplicate endpoint id `{id}`"),
                    Some("ids must be unique within a file; another file may override it".into()),
                ));
            }
            endpoints.push(validate_endpoint(
                e,
                name,
                &text,
                &EndpointDefaults::catalogue(),
            )?);
        }
        Ok(Catalogue { endpoints })
    }

    /// Read and parse one catalogue file.
    pub fn load_file(path: &Path) -> Result<Catalogue> {
        let text = read(path)?;
        Catalogue::parse(&path.display().to_string(), &text)
    }

    /// The built-in catalogue overlaid with every `*.toml` file of `dir` (in file name order):
    /// an endpoint whose `id` exists replaces it in place, a new `id` is appended. Files may hold
    /// other top-level tables (other policy kinds); only `[[endpoint]]` tables are read here.
    pub fn load_dir(dir: &Path) -> Result<Catalogue> {
        let mut cat = Catalogue::builtin()?.clone();
        let entries = std::fs::read_dir(dir).map_err(|e| Error::Io {
            path: dir.display().to_string(),
            message: e.to_string(),
        })?;
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::Io {
                path: dir.display().to_string(),
                message: e.to_string(),
            })?;
            let path = entry.path();
            if path.extension().is_some_and(|x| x == "toml") && path.is_file() {
                files.push(path);
            }
        }
        files.sort();
        for f in files {
            cat.overlay(Catalogue::load_file(&f)?);
        }
        Ok(cat)
    }

    /// Add `other`'s endpoints: same id replaces (keeping the position), new ids are appended.
    pub fn overlay(&mut self, other: Catalogue) {
        for e in other.endpoints {
            match self.endpoints.iter_mut().find(|x| x.id == e.id) {
                Some(slot) => *slot = e,
                None => self.endpoints.push(e),
            }
        }
    }

    pub fn get(&self, id: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.id == id)
    }

    /// Endpoints that apply to a cloud (rows for that cloud and rows for all clouds).
    pub fn for_cloud(&self, cloud: Cloud) -> impl Iterator<Item = &Endpoint> {
        self.endpoints
            .iter()
            .filter(move |e| e.cloud.includes(cloud))
    }
}

pub(crate) fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

// ---------------------------------------------------------------- raw (deserialized) form

#[derive(Deserialize)]
struct RawCatalogueFile {
    #[serde(default)]
    endpoint: Vec<Spanned<RawEndpoint>>,
    /// A common typo, reported instead of silently ignored.
    endpoints: Option<Spanned<toml::Value>>,
}

/// An `[[endpoint]]` table as written; shared by catalogue files and the user configuration.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEndpoint {
    id: Option<Spanned<String>>,
    cloud: Option<Spanned<String>>,
    destination: Spanned<String>,
    protocol: Spanned<String>,
    port: Spanned<i64>,
    required: Option<bool>,
    condition: Option<Spanned<String>>,
    #[serde(default)]
    service_tags: Vec<Spanned<String>>,
    purpose: Option<String>,
    source: Option<String>,
    #[serde(default)]
    uncertain: bool,
    failure: Option<Spanned<RawFailure>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFailure {
    error: String,
    exit_code: Option<Spanned<i64>>,
    #[serde(default)]
    also_exit_codes: Vec<Spanned<i64>>,
    detail: String,
}

/// What may be omitted in an `[[endpoint]]` table, and the defaults used then.
pub(crate) struct EndpointDefaults {
    /// Catalogue files must give id, cloud, required, condition, purpose and source.
    pub strict: bool,
    /// Id prefix for generated ids (`user.`).
    pub id_prefix: &'static str,
    pub source: String,
}

impl EndpointDefaults {
    fn catalogue() -> Self {
        EndpointDefaults {
            strict: true,
            id_prefix: "",
            source: String::new(),
        }
    }
}

/// Check an `[[endpoint]]` table and turn it into an [`Endpoint`].
pub(crate) fn validate_endpoint(
    raw: Spanned<RawEndpoint>,
    name: &str,
    text: &Arc<String>,
    d: &EndpointDefaults,
) -> Result<Endpoint> {
    let header = raw.span();
    let r = raw.into_inner();
    // toml gives the span of the `[[endpoint]]` header only: extend it to the last key we know.
    let end = [
        Some(r.destination.span()),
        Some(r.protocol.span()),
        Some(r.port.span()),
        r.id.as_ref().map(|x| x.span()),
        r.cloud.as_ref().map(|x| x.span()),
        r.condition.as_ref().map(|x| x.span()),
        r.failure.as_ref().map(|x| x.span()),
        r.service_tags.last().map(|x| x.span()),
    ]
    .into_iter()
    .flatten()
    .map(|s| s.end)
    .fold(header.end, usize::max);
    let table_span = header.start..end;
    let err = |span: Range<usize>, msg: String, help: Option<String>| {
        policy_error(name, text, Some(span), msg, help)
    };
    let missing = |key: &str| {
        policy_error(
            name,
            text,
            Some(header.clone()),
            format!("endpoint is missing the key `{key}`"),
            None,
        )
    };

    // destination
    let destination = r.destination.get_ref().trim().to_string();
    validate_destination(&destination)
        .map_err(|m| err(r.destination.span(), m, Some(destination_help())))?;

    // protocol
    let protocol = EndpointProtocol::parse(r.protocol.get_ref().trim()).ok_or_else(|| {
        err(
            r.protocol.span(),
            format!("unknown protocol `{}`", r.protocol.get_ref()),
            Some("expected one of: tcp, udp, http, https".into()),
        )
    })?;

    // port
    let port_value = *r.port.get_ref();
    if !(1..=65535).contains(&port_value) {
        return Err(err(
            r.port.span(),
            format!("invalid port {port_value}"),
            Some("a port is a number from 1 to 65535".into()),
        ));
    }
    let port = port_value as u16;

    // id
    let id = match &r.id {
        Some(id) => {
            let v = id.get_ref().trim();
            if v.is_empty() || v.chars().any(|c| c.is_whitespace()) {
                return Err(err(
                    id.span(),
                    format!("invalid endpoint id `{v}`"),
                    Some("ids are non-empty and contain no spaces (`public.mcr`)".into()),
                ));
            }
            v.to_string()
        }
        None if d.strict => return Err(missing("id")),
        None => format!(
            "{}{}:{}",
            d.id_prefix,
            destination.to_ascii_lowercase(),
            port
        ),
    };

    // cloud
    let cloud = match &r.cloud {
        Some(c) => CloudSel::parse(c.get_ref().trim()).ok_or_else(|| {
            err(
                c.span(),
                format!("unknown cloud `{}`", c.get_ref()),
                Some("expected one of: public, china, usgov, all".into()),
            )
        })?,
        None if d.strict => return Err(missing("cloud")),
        None => CloudSel::All,
    };

    // condition
    let condition = match &r.condition {
        Some(c) => {
            let v = c.get_ref().trim();
            if !is_known_condition(v) {
                return Err(err(
                    c.span(),
                    format!("unknown condition `{v}`"),
                    Some(format!("known conditions: {}", CONDITIONS.join(", "))),
                ));
            }
            v.to_string()
        }
        None if d.strict => return Err(missing("condition")),
        None => "always".to_string(),
    };

    let required = match r.required {
        Some(b) => b,
        None if d.strict => return Err(missing("required")),
        None => true,
    };
    let purpose = match r.purpose {
        Some(p) => p,
        None if d.strict => return Err(missing("purpose")),
        None => String::new(),
    };
    let source = match r.source {
        Some(s) => s,
        None if d.strict => return Err(missing("source")),
        None => d.source.clone(),
    };

    let mut service_tags = Vec::with_capacity(r.service_tags.len());
    for t in r.service_tags {
        let v = t.get_ref().trim();
        if v.is_empty() || !v.chars().all(is_tag_char) {
            return Err(err(
                t.span(),
                format!("invalid service tag `{v}`"),
                Some("service tags look like `AzureMonitor` or `AzureCloud.<region>`".into()),
            ));
        }
        service_tags.push(v.to_string());
    }

    let failure = match r.failure {
        None => None,
        Some(f) => {
            let f = f.into_inner();
            let code = |c: Spanned<i64>| -> Result<u32> {
                let v = *c.get_ref();
                if (0..=255).contains(&v) {
                    Ok(v as u32)
                } else {
                    Err(err(
                        c.span(),
                        format!("invalid exit code {v}"),
                        Some("exit codes are 0 to 255".into()),
                    ))
                }
            };
            let exit_code = f.exit_code.map(code).transpose()?;
            let also_exit_codes = f
                .also_exit_codes
                .into_iter()
                .map(code)
                .collect::<Result<Vec<_>>>()?;
            Some(FailureSpec {
                error: f.error,
                exit_code,
                also_exit_codes,
                detail: f.detail,
            })
        }
    };

    Ok(Endpoint {
        id,
        cloud,
        destination,
        protocol,
        port,
        required,
        condition,
        service_tags,
        purpose,
        source,
        uncertain: r.uncertain,
        failure,
        location: Some(PolicyLocation {
            file: name.to_string(),
            span: table_span,
        }),
    })
}

fn is_tag_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '<' | '>')
}

fn destination_help() -> String {
    format!(
        "a destination is a host name (wildcards like `*.example.com` allowed), an IP address, \
         `tag:<ServiceTag>`, `*`, or contains one of the placeholders {}",
        PLACEHOLDERS.join(", ")
    )
}

/// Check a destination's syntax: host name (optionally `*.`-prefixed or with `*` inside a label as
/// in `md-*.blob.storage.azure.net`), IP address, `tag:Name`, `*`, and known placeholders.
fn validate_destination(d: &str) -> std::result::Result<(), String> {
    if d.is_empty() {
        return Err("empty destination".into());
    }
    if d == "*" {
        return Ok(());
    }
    if let Some(tag) = d.strip_prefix("tag:") {
        if tag.is_empty() || !tag.chars().all(is_tag_char) {
            return Err(format!("invalid service tag destination `{d}`"));
        }
        return Ok(());
    }
    if d.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    // placeholders
    let mut rest = d;
    let mut plain = String::new();
    while let Some(start) = rest.find('<') {
        plain.push_str(&rest[..start]);
        let Some(len) = rest[start..].find('>') else {
            return Err(format!("unterminated placeholder in `{d}`"));
        };
        let ph = &rest[start..start + len + 1];
        if !PLACEHOLDERS.contains(&ph) {
            return Err(format!("unknown placeholder `{ph}` in `{d}`"));
        }
        plain.push('x');
        rest = &rest[start + len + 1..];
    }
    plain.push_str(rest);
    if plain.contains('>') {
        return Err(format!("stray `>` in `{d}`"));
    }
    let ok = plain.split('.').all(|label| {
        !label.is_empty()
            && label
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '*' || c == '_')
    });
    if !ok {
        return Err(format!("invalid destination `{d}`"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::test_util::{policy_parts, spanned_text};

    fn builtin() -> &'static Catalogue {
        Catalogue::builtin().expect("built-in catalogue parses")
    }

    #[test]
    fn builtin_parses_with_expected_rows_per_cloud() {
        let c = builtin();
        assert_eq!(c.endpoints.len(), 128);
        let count = |sel: CloudSel| c.endpoints.iter().filter(|e| e.cloud == sel).count();
        assert_eq!(count(CloudSel::Public), 50);
        assert_eq!(count(CloudSel::All), 17);
        assert_eq!(count(CloudSel::China), 31);
        assert_eq!(count(CloudSel::UsGov), 30);
        assert_eq!(c.for_cloud(Cloud::China).count(), 31 + 17);
        // ids are unique and prefixed with the cloud
        let ids: HashSet<_> = c.endpoints.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids.len(), c.endpoints.len());
        for e in &c.endpoints {
            assert!(
                e.id.starts_with(&format!("{}.", e.cloud.as_str())),
                "{} in cloud {}",
                e.id,
                e.cloud.as_str()
            );
        }
    }

    #[test]
    fn mcr_rows_and_failures() {
        let c = builtin();
        let mcr = c.get("public.mcr").expect("public.mcr");
        assert_eq!(mcr.destination, "mcr.microsoft.com");
        assert_eq!(mcr.protocol, EndpointProtocol::Https);
        assert_eq!(mcr.port, 443);
        assert!(mcr.required);
        assert_eq!(mcr.condition, "always");
        assert_eq!(
            mcr.service_tags,
            vec!["MicrosoftContainerRegistry", "AzureFrontDoor.FirstParty"]
        );
        let f = mcr.failure.as_ref().expect("failure");
        assert_eq!(f.exit_code, Some(50));
        assert_eq!(f.error, "VMExtensionError_OutboundConnFail");
        assert!(f.detail.contains("https://mcr.microsoft.com/v2/"));

        let data = c.get("public.mcr-data").expect("public.mcr-data");
        assert_eq!(data.destination, "*.data.mcr.microsoft.com");
        let f = data.failure.as_ref().expect("failure");
        assert_eq!(f.exit_code, Some(36));
        assert_eq!(f.also_exit_codes, vec![37, 35, 233]);

        let cn = c.get("china.mcr-cn").expect("china.mcr-cn");
        assert_eq!(cn.destination, "mcr.azure.cn");
        assert_eq!(cn.cloud, CloudSel::China);

        let pkgs = c.get("public.packages-aks").expect("packages-aks");
        assert_eq!(pkgs.failure.as_ref().and_then(|f| f.exit_code), Some(31));
        let hcp = c.get("public.hcp").expect("hcp");
        assert_eq!(hcp.destination, "*.hcp.<region>.azmk8s.io");
        assert_eq!(hcp.failure.as_ref().and_then(|f| f.exit_code), Some(51));
        // ARM / Entra: honest, no exit code
        for id in ["public.arm", "public.entra"] {
            let f = c.get(id).and_then(|e| e.failure.as_ref()).expect(id);
            assert_eq!(f.exit_code, None, "{id}");
            assert!(
                f.detail.contains("not a documented vmssCSE exit code"),
                "{id}"
            );
        }
        let pe = c.get("all.apiserver-private-endpoint").expect("pe");
        assert_eq!(pe.condition, "private-cluster");
        assert_eq!((pe.protocol, pe.port), (EndpointProtocol::Tcp, 443));
        let vni: Vec<u16> = c
            .endpoints
            .iter()
            .filter(|e| e.condition == "apiserver-vnet-integration")
            .map(|e| e.port)
            .collect();
        assert_eq!(vni, vec![443, 4443]);
    }

    #[test]
    fn every_required_row_has_a_failure_and_uncertain_rows_are_kept() {
        let c = builtin();
        for e in &c.endpoints {
            if e.required {
                assert!(e.failure.is_some(), "{} has no failure", e.id);
            } else {
                assert!(
                    e.failure.is_none(),
                    "{} is optional but has a failure",
                    e.id
                );
            }
            assert!(is_known_condition(&e.condition));
        }
        let uncertain = c.endpoints.iter().filter(|e| e.uncertain).count();
        assert_eq!(uncertain, 27);
        assert!(c.get("public.acs-mirror").is_some_and(|e| e.uncertain));
        assert!(c.get("public.mcr").is_some_and(|e| !e.uncertain));
    }

    #[test]
    fn location_points_at_the_table() {
        let c = builtin();
        let mcr = c.get("public.mcr").expect("mcr");
        let loc = mcr.location.as_ref().expect("location");
        assert_eq!(loc.file, BUILTIN_NAME);
        let at = &BUILTIN_TEXT[loc.span.clone()];
        assert!(at.starts_with("[[endpoint]]"), "{at}");
        assert!(at.contains("id = \"public.mcr\""), "{at}");
        assert!(at.ends_with('}'), "ends with the failure table: {at}");
    }

    const GOOD: &str = r#"
[[endpoint]]
id = "x.one"
cloud = "public"
destination = "one.example.com"
protocol = "HTTPS"
port = 443
required = true
condition = "always"
purpose = "p"
source = "s"
"#;

    #[test]
    fn parse_accepts_case_insensitive_protocols() {
        let c = Catalogue::parse("x.toml", GOOD).expect("parses");
        assert_eq!(c.endpoints[0].protocol, EndpointProtocol::Https);
        assert_eq!(c.endpoints[0].protocol.transport(), Protocol::Tcp);
        assert_eq!(c.endpoints[0].protocol.app(), Some(AppProto::Https));
        assert!(c.endpoints[0].failure.is_none());
    }

    fn bad(text: &str) -> (String, String) {
        let e = Catalogue::parse("bad.toml", text).expect_err("must fail");
        let (msg, _) = policy_parts(&e);
        (msg, spanned_text(text, &e).to_string())
    }

    #[test]
    fn unknown_protocol_is_located() {
        let (msg, at) = bad(&GOOD.replace("\"HTTPS\"", "\"ftp\""));
        assert_eq!(msg, "bad.toml: unknown protocol `ftp`");
        assert_eq!(at, "\"ftp\"");
    }

    #[test]
    fn port_zero_and_out_of_range_are_rejected() {
        let (msg, at) = bad(&GOOD.replace("port = 443", "port = 0"));
        assert_eq!(msg, "bad.toml: invalid port 0");
        assert_eq!(at, "0");
        let (msg, _) = bad(&GOOD.replace("port = 443", "port = 70000"));
        assert!(msg.contains("invalid port 70000"));
    }

    #[test]
    fn unknown_condition_lists_known_ones() {
        let text = GOOD.replace("\"always\"", "\"addon:monitorig\"");
        let e = Catalogue::parse("bad.toml", &text).expect_err("fails");
        assert_eq!(spanned_text(&text, &e), "\"addon:monitorig\"");
        match &e {
            Error::Policy { message, help, .. } => {
                assert!(message.contains("unknown condition `addon:monitorig`"));
                assert!(
                    help.as_deref()
                        .is_some_and(|h| h.contains("addon:monitoring"))
                );
            }
            _ => unreachable!(),
        }
    }

    #[test]
    fn duplicate_ids_in_one_file() {
        let text = format!(
            "{GOOD}\n{}",
            GOOD.replace("one.example.com", "two.example.com")
        );
        let (msg, at) = bad(&text);
        assert_eq!(msg, "bad.toml: duplicate endpoint id `x.one`");
        assert_eq!(at, "\"x.one\"");
        let e = Catalogue::parse("bad.toml", &text).expect_err("dup");
        let (_, span) = policy_parts(&e);
        assert!(
            span.is_some_and(|(o, _)| o > GOOD.len()),
            "points at the second id"
        );
    }

    #[test]
    fn syntax_and_type_errors_carry_toml_spans() {
        let (msg, at) = bad(&GOOD.replace("port = 443", "port = \"443\""));
        assert!(msg.starts_with("bad.toml: "), "{msg}");
        assert_eq!(at, "\"443\"");
        let e = Catalogue::parse("bad.toml", "[[endpoint]\nid = 1").expect_err("syntax");
        assert!(policy_parts(&e).1.is_some());
        let (msg, at) = bad(&GOOD.replace("purpose = \"p\"", "purpose = \"p\"\nporpuse = 1"));
        assert!(msg.contains("porpuse"), "{msg}");
        assert_eq!(at, "porpuse");
    }

    #[test]
    fn missing_keys_and_bad_values() {
        let (msg, at) = bad(&GOOD.replace("id = \"x.one\"\n", ""));
        assert!(msg.contains("missing the key `id`"), "{msg}");
        assert_eq!(at, "[[endpoint]]");
        let (msg, _) = bad(&GOOD.replace("cloud = \"public\"", "cloud = \"mars\""));
        assert!(msg.contains("unknown cloud `mars`"));
        let (msg, at) = bad(&GOOD.replace("one.example.com", "one example.com"));
        assert!(msg.contains("invalid destination"), "{msg}");
        assert_eq!(at, "\"one example.com\"");
        let (msg, _) = bad(&GOOD.replace("one.example.com", "*.hcp.<regoin>.azmk8s.io"));
        assert!(msg.contains("unknown placeholder `<regoin>`"), "{msg}");
        let (msg, _) = bad(&GOOD.replace("[[endpoint]]", "[[endpoints]]"));
        assert!(msg.contains("unknown key `endpoints`"), "{msg}");
        let (msg, _) = bad(&GOOD.replace(
            "source = \"s\"",
            "source = \"s\"\nfailure = { error = \"e\", exit_code = 300, detail = \"d\" }",
        ));
        assert!(msg.contains("invalid exit code 300"), "{msg}");
    }

    #[test]
    fn destinations() {
        for ok in [
            "*",
            "tag:AzureMonitor",
            "168.63.129.16",
            "md-*.blob.storage.azure.net",
            "<custom-dns-server-ip>",
            "<bootstrap-acr>.azurecr.io",
            "*.hcp.<region>.cx.prod.service.azk8s.cn",
        ] {
            assert!(validate_destination(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a..b", "tag:", "<region", "a>b", "x/y", "<nope>"] {
            assert!(validate_destination(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn load_dir_overrides_by_id_and_appends() {
        let dir = std::env::temp_dir().join(format!("aks-preflight-policy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("tmp dir");
        let over = r#"
# replaces the built-in MCR row (another purpose, no failure), adds one row
[[endpoint]]
id = "public.mcr"
cloud = "public"
destination = "mcr.microsoft.com"
protocol = "https"
port = 443
required = false
condition = "always"
purpose = "overridden"
source = "local"

[[endpoint]]
id = "local.proxy"
cloud = "all"
destination = "proxy.corp.example"
protocol = "tcp"
port = 3128
required = true
condition = "always"
purpose = "corporate proxy"
source = "local"
"#;
        std::fs::write(dir.join("10-local.toml"), over).expect("write");
        std::fs::write(dir.join("fqdn-tags.toml"), "[[fqdn_tag]]\nname = \"x\"\n").expect("w");
        std::fs::write(dir.join("notes.txt"), "not toml").expect("write");
        let c = Catalogue::load_dir(&dir).expect("loads");
        let builtin = builtin();
        assert_eq!(c.endpoints.len(), builtin.endpoints.len() + 1);
        let pos = |c: &Catalogue| c.endpoints.iter().position(|e| e.id == "public.mcr");
        assert_eq!(pos(&c), pos(builtin), "override keeps the position");
        let mcr = c.get("public.mcr").expect("mcr");
        assert_eq!(mcr.purpose, "overridden");
        assert!(!mcr.required);
        assert!(
            mcr.location
                .as_ref()
                .is_some_and(|l| l.file.ends_with("10-local.toml"))
        );
        assert_eq!(
            c.endpoints.last().map(|e| e.id.as_str()),
            Some("local.proxy")
        );

        // a bad file in the directory is an error naming that file
        std::fs::write(
            dir.join("20-bad.toml"),
            GOOD.replace("port = 443", "port = 0"),
        )
        .expect("write");
        let e = Catalogue::load_dir(&dir).expect_err("bad file");
        assert!(policy_parts(&e).0.contains("20-bad.toml"));
        let _ = std::fs::remove_dir_all(&dir);

        let e = Catalogue::load_dir(Path::new("/nonexistent/aks-preflight")).expect_err("io");
        assert!(matches!(e, Error::Io { .. }));
    }
}
