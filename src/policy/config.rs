//! The user configuration file (`--config aks-preflight.toml`): extra required endpoints, catalogue
//! rows to switch off, conditions to force, and attestations for what the tool cannot see
//! (third-party appliances, custom DNS servers). Format: `policies/README.md`.
//!
//! Every value keeps its byte span so that later findings can point into the file.

use super::catalogue::{
    Catalogue, Endpoint, EndpointDefaults, RawEndpoint, is_known_condition, read, validate_endpoint,
};
use super::requirements::Requirement;
use super::{policy_error, toml_error};
use crate::error::{Error, Result};
use crate::eval::flow::AppProto;
use crate::eval::{Destination, Protocol};
use crate::model::{Cloud, Known, PortRange, Ref};
use ipnet::IpNet;
use serde::Deserialize;
use std::net::IpAddr;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use toml::Spanned;

/// A value and where it was written in the configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub span: Range<usize>,
}

/// The parsed and validated user configuration. `Config::default()` is the empty configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// File name as given by the user (for diagnostics).
    pub name: String,
    pub text: Arc<String>,
    /// Overrides the cloud inferred from the cluster region.
    pub cloud: Option<Located<Cloud>>,
    /// Extra endpoints (`[[endpoint]]`), in file order.
    pub endpoints: Vec<Endpoint>,
    /// Catalogue ids to switch off.
    pub disable: Vec<Located<String>>,
    /// Condition keywords treated as true for every cluster (`legacy-ntp`,
    /// `public-cluster-no-konnectivity`, `pods-use-apiserver-ip`, ...).
    pub force_conditions: Vec<Located<String>>,
    pub appliances: Vec<Appliance>,
    /// What the user's HTTP proxies let through (`[[proxy]]`).
    pub proxies: Vec<ProxyAttestation>,
    pub dns_servers: Vec<DnsServerAttestation>,
    /// Accepted findings (`[[waiver]]`), in file order.
    pub waivers: Vec<ConfigWaiver>,
}

/// A `[[waiver]]` entry: findings of these rules on this resource (and endpoint, node pool) are
/// accepted, for this reason, until this date. Applied to the report after the analyses
/// ([`crate::report::waivers`]); turned into a [`crate::model::Waiver`] by [`Config::waivers_in`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWaiver {
    pub rules: Vec<String>,
    /// Resource address or Azure id; `*` matches any run of characters.
    pub resource: String,
    /// `host[:port]` (globs allowed).
    pub endpoint: Option<String>,
    pub node_pool: Option<String>,
    pub reason: String,
    pub expires: Option<crate::model::Date>,
    /// The whole `[[waiver]]` table.
    pub span: Range<usize>,
}

/// A third-party appliance (NVA, firewall) and what the user attests it allows: the tool cannot
/// read its rules, so without an attestation traffic through it is `unknown`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appliance {
    pub ip: IpAddr,
    pub name: String,
    pub allows: Vec<AllowRule>,
    pub span: Range<usize>,
}

impl Appliance {
    /// The first attested rule that covers a requirement, if any.
    pub fn allowing(&self, req: &Requirement) -> Option<&AllowRule> {
        self.allows.iter().find(|r| r.covers(req))
    }
}

/// A user's HTTP proxy (`[[proxy]]`): where it listens, its address when the cluster names it by
/// host name, and what it lets through (the tool cannot see beyond it).
#[derive(Debug, Clone)]
pub struct ProxyAttestation {
    pub name: String,
    /// Host name or address, lower case, as in the cluster's proxy URL.
    pub host: String,
    pub port: u16,
    pub ip: Option<IpAddr>,
    pub allows: Vec<AllowRule>,
    pub span: Range<usize>,
}

impl ProxyAttestation {
    /// The first attested rule that covers a requirement, if any.
    pub fn allowing(&self, req: &Requirement) -> Option<&AllowRule> {
        self.allows.iter().find(|r| r.covers(req))
    }
}

/// One `allows` entry: `<host>:<port>/<protocol>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowRule {
    /// The entry as written.
    pub text: String,
    pub host: AllowHost,
    pub ports: PortRange,
    pub protocol: AllowProtocol,
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowHost {
    /// `*`: every destination.
    Any,
    /// A host name, lower case, possibly `*.`-prefixed.
    Name(String),
    /// An address or CIDR.
    Net(IpNet),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllowProtocol {
    Any,
    /// TCP, including HTTP(S) on the port.
    Tcp,
    Udp,
    /// HTTP requirements only.
    Http,
    /// HTTPS requirements only.
    Https,
}

impl AllowRule {
    /// Parse `*:443/tcp`, `mcr.microsoft.com:443/https`, `10.0.0.0/8:53/udp`, `[fd00::1]:53/any`.
    /// The protocol follows the *last* slash (a CIDR host has one too), the port the last colon
    /// (IPv6 hosts are written in brackets).
    pub fn parse(text: &str) -> std::result::Result<(AllowHost, PortRange, AllowProtocol), String> {
        let t = text.trim();
        let (hp, proto) = t.rsplit_once('/').ok_or_else(|| {
            format!("`{t}` has no protocol (expected `<host>:<port>/<protocol>`)")
        })?;
        let protocol = match proto.to_ascii_lowercase().as_str() {
            "any" | "*" => AllowProtocol::Any,
            "tcp" => AllowProtocol::Tcp,
            "udp" => AllowProtocol::Udp,
            "http" => AllowProtocol::Http,
            "https" => AllowProtocol::Https,
            other => {
                return Err(format!(
                    "unknown protocol `{other}` in `{t}` (expected tcp, udp, http, https or any)"
                ));
            }
        };
        let (host, port) = if let Some(rest) = hp.strip_prefix('[') {
            let (h, after) = rest
                .split_once(']')
                .ok_or_else(|| format!("unterminated `[` in `{t}`"))?;
            let port = after
                .strip_prefix(':')
                .ok_or_else(|| format!("`{t}` has no port after `]`"))?;
            (h, port)
        } else {
            hp.rsplit_once(':')
                .ok_or_else(|| format!("`{t}` has no port (expected `<host>:<port>/<protocol>`)"))?
        };
        let ports = PortRange::parse(port)
            .filter(|p| p.lo > 0 || p.hi == 65535)
            .ok_or_else(|| format!("invalid port `{port}` in `{t}`"))?;
        let host =
            parse_allow_host(host).ok_or_else(|| format!("invalid host `{host}` in `{t}`"))?;
        Ok((host, ports, protocol))
    }

    /// Does this rule cover a requirement? Only a definite match counts: a host name rule does not
    /// cover an IP or service-tag requirement, a wildcard requirement is covered only by an equal
    /// or wider wildcard, and a requirement whose destination is not known is never covered.
    pub fn covers(&self, req: &Requirement) -> bool {
        let proto_ok = match self.protocol {
            AllowProtocol::Any => true,
            AllowProtocol::Tcp => req.protocol == Protocol::Tcp,
            AllowProtocol::Udp => req.protocol == Protocol::Udp,
            AllowProtocol::Http => req.app_protocol == Some(AppProto::Http),
            AllowProtocol::Https => req.app_protocol == Some(AppProto::Https),
        };
        if !proto_ok || !self.ports.contains(req.port) {
            return false;
        }
        match &self.host {
            AllowHost::Any => true,
            AllowHost::Net(net) => match (&req.destination, &req.within) {
                (Some(Destination::Ip(ip)), _) => net.contains(ip),
                (None, Known::Known(prefixes)) if !prefixes.is_empty() => {
                    prefixes.iter().all(|p| net.contains(p))
                }
                _ => false,
            },
            AllowHost::Name(pattern) => match &req.destination {
                Some(Destination::Host(h)) => host_covered(pattern, h),
                _ => false,
            },
        }
    }
}

fn parse_allow_host(h: &str) -> Option<AllowHost> {
    let h = h.trim();
    if h == "*" {
        return Some(AllowHost::Any);
    }
    if let Ok(n) = h.parse::<IpNet>() {
        return Some(AllowHost::Net(n));
    }
    if let Ok(ip) = h.parse::<IpAddr>() {
        return Some(AllowHost::Net(IpNet::from(ip)));
    }
    let name = h.to_ascii_lowercase();
    let body = name.strip_prefix("*.").unwrap_or(&name);
    let ok = !body.is_empty()
        && body.split('.').all(|l| {
            !l.is_empty()
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
    ok.then_some(AllowHost::Name(name))
}

/// Is host (or host wildcard) `h` inside pattern `p` (both as written; compared case-insensitively)?
pub fn host_covered(p: &str, h: &str) -> bool {
    let p = p.to_ascii_lowercase();
    let h = h.to_ascii_lowercase();
    if p == h {
        return true;
    }
    match p.strip_prefix('*') {
        // `*.example.com` covers `a.example.com`, `a.b.example.com` and `*.a.example.com`
        Some(suffix) if suffix.starts_with('.') => {
            h.len() > suffix.len() && h.ends_with(suffix) && !h[..h.len() - suffix.len()].is_empty()
        }
        _ => false,
    }
}

/// What the user attests about a custom DNS server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsServerAttestation {
    pub ip: IpAddr,
    pub name: Option<String>,
    /// It forwards what it does not answer itself to Azure DNS (168.63.129.16), so it resolves
    /// public names and the private DNS zones linked to its own VNet.
    pub forwards_to_azure_dns: bool,
    /// The VNet it runs in (Terraform address or Azure resource id): private DNS zones must be
    /// linked to that VNet for it to resolve them.
    pub vnet: Option<Located<Ref>>,
    pub span: Range<usize>,
}

// ---------------------------------------------------------------- parsing

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    cloud: Option<Spanned<String>>,
    #[serde(default)]
    disable: Vec<Spanned<String>>,
    #[serde(default)]
    force_conditions: Vec<Spanned<String>>,
    #[serde(default)]
    endpoint: Vec<Spanned<RawEndpoint>>,
    #[serde(default)]
    appliance: Vec<Spanned<RawAppliance>>,
    #[serde(default)]
    dns_server: Vec<Spanned<RawDnsServer>>,
    #[serde(default)]
    proxy: Vec<Spanned<RawProxy>>,
    #[serde(default)]
    waiver: Vec<Spanned<RawWaiver>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProxy {
    address: Spanned<String>,
    ip: Option<Spanned<String>>,
    name: Option<String>,
    #[serde(default)]
    allows: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    rule: Spanned<OneOrMany>,
    resource: Spanned<String>,
    endpoint: Option<Spanned<String>>,
    node_pool: Option<Spanned<String>>,
    reason: Spanned<String>,
    expires: Option<Spanned<toml::value::Datetime>>,
}

/// `rule = "NSG001"` or `rule = ["NSG001", "RTE001"]`.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAppliance {
    ip: Spanned<String>,
    name: Option<String>,
    allows: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDnsServer {
    ip: Spanned<String>,
    name: Option<String>,
    forwards_to_azure_dns: bool,
    vnet: Option<Spanned<String>>,
}

fn located<T>(s: Spanned<String>, f: impl FnOnce(&str) -> T) -> Located<T> {
    let span = s.span();
    Located {
        value: f(s.get_ref().trim()),
        span,
    }
}

impl Config {
    /// Read and parse a configuration file.
    pub fn load(path: &Path) -> Result<Config> {
        let text = read(path)?;
        Config::parse(&path.display().to_string(), &text)
    }

    /// Parse a configuration. `name` is used in error messages.
    pub fn parse(name: &str, text: &str) -> Result<Config> {
        let text = Arc::new(text.to_string());
        let raw: RawConfig = toml::from_str(&text).map_err(|e| toml_error(name, &text, e))?;
        let err = |span: Range<usize>, msg: String, help: Option<String>| {
            policy_error(name, &text, Some(span), msg, help)
        };

        let cloud = match raw.cloud {
            None => None,
            Some(c) => {
                let span = c.span();
                let v = c.into_inner();
                let cloud = Cloud::parse(v.trim()).ok_or_else(|| {
                    err(
                        span.clone(),
                        format!("unknown cloud `{v}`"),
                        Some("expected one of: public, china, usgov".into()),
                    )
                })?;
                Some(Located { value: cloud, span })
            }
        };

        let mut disable = Vec::new();
        for d in raw.disable {
            if d.get_ref().trim().is_empty() {
                return Err(err(d.span(), "empty endpoint id in `disable`".into(), None));
            }
            disable.push(located(d, str::to_string));
        }

        let mut force_conditions = Vec::new();
        for c in raw.force_conditions {
            let v = c.get_ref().trim();
            if !is_known_condition(v) {
                return Err(err(
                    c.span(),
                    format!("unknown condition `{v}`"),
                    Some(format!(
                        "known conditions: {}",
                        super::catalogue::CONDITIONS.join(", ")
                    )),
                ));
            }
            force_conditions.push(located(c, str::to_string));
        }

        let defaults = EndpointDefaults {
            strict: false,
            id_prefix: "user.",
            source: name.to_string(),
        };
        let mut endpoints: Vec<Endpoint> = Vec::new();
        for e in raw.endpoint {
            let ep = validate_endpoint(e, name, &text, &defaults)?;
            if endpoints.iter().any(|x| x.id == ep.id) {
                let span = ep.location.as_ref().map(|l| l.span.clone()).unwrap_or(0..0);
                return Err(err(
                    span,
                    format!("duplicate endpoint id `{}`", ep.id),
                    Some("give the endpoints different `id`s (the default id is `user.<destination>:<port>`)".into()),
                ));
            }
            endpoints.push(ep);
        }

        let mut appliances: Vec<Appliance> = Vec::new();
        for a in raw.appliance {
            let span = a.span();
            let a = a.into_inner();
            let ip = parse_ip(&a.ip).map_err(|m| err(a.ip.span(), m, None))?;
            if appliances.iter().any(|x| x.ip == ip) {
                return Err(err(
                    a.ip.span(),
                    format!("appliance {ip} is attested twice"),
                    None,
                ));
            }
            let allows = parse_allows(a.allows, &err)?;
            appliances.push(Appliance {
                ip,
                name: a.name.unwrap_or_else(|| ip.to_string()),
                allows,
                span,
            });
        }

        let mut dns_servers: Vec<DnsServerAttestation> = Vec::new();
        for d in raw.dns_server {
            let span = d.span();
            let d = d.into_inner();
            let ip = parse_ip(&d.ip).map_err(|m| err(d.ip.span(), m, None))?;
            if dns_servers.iter().any(|x| x.ip == ip) {
                return Err(err(
                    d.ip.span(),
                    format!("DNS server {ip} is attested twice"),
                    None,
                ));
            }
            let vnet = match d.vnet {
                None => None,
                Some(v) => {
                    if v.get_ref().trim().is_empty() {
                        return Err(err(
                            v.span(),
                            "empty `vnet`".into(),
                            Some("give the Terraform address or the Azure resource id of the VNet the DNS server runs in".into()),
                        ));
                    }
                    Some(located(v, |s| {
                        if crate::model::ResourceId::looks_like_id(s) {
                            Ref::id(s)
                        } else {
                            Ref::key(s)
                        }
                    }))
                }
            };
            dns_servers.push(DnsServerAttestation {
                ip,
                name: d.name,
                forwards_to_azure_dns: d.forwards_to_azure_dns,
                vnet,
                span,
            });
        }

        let mut proxies: Vec<ProxyAttestation> = Vec::new();
        for p in raw.proxy {
            let span = p.span();
            let p = p.into_inner();
            let ep = crate::eval::proxy::ProxyEndpoint::parse(p.address.get_ref()).map_err(|m| {
                err(
                    p.address.span(),
                    m,
                    Some("write the proxy as in http_proxy_config: `10.0.5.10:3128` or `http://proxy.corp.example:3128`".into()),
                )
            })?;
            if proxies
                .iter()
                .any(|x| x.host == ep.host && x.port == ep.port)
            {
                return Err(err(
                    p.address.span(),
                    format!("proxy {} is attested twice", ep.authority()),
                    None,
                ));
            }
            let ip = match &p.ip {
                Some(s) => Some(parse_ip(s).map_err(|m| err(s.span(), m, None))?),
                None => ep.ip(),
            };
            proxies.push(ProxyAttestation {
                name: p.name.unwrap_or_else(|| ep.authority()),
                host: ep.host,
                port: ep.port,
                ip,
                allows: parse_allows(p.allows, &err)?,
                span,
            });
        }

        let mut waivers = Vec::new();
        for w in raw.waiver {
            waivers.push(parse_waiver(w, &err)?);
        }

        Ok(Config {
            name: name.to_string(),
            text,
            cloud,
            endpoints,
            disable,
            force_conditions,
            appliances,
            dns_servers,
            proxies,
            waivers,
        })
    }

    /// The `[[waiver]]` entries as model waivers, located in this file (added to the source map
    /// as `file`, so that findings about a waiver point at its entry).
    pub fn waivers_in(&self, file: crate::source::FileId) -> Vec<crate::model::Waiver> {
        use crate::model::{Waiver, WaiverScope};
        use crate::source::{Loc, Origin};
        self.waivers
            .iter()
            .map(|w| Waiver {
                rules: w.rules.clone(),
                scope: WaiverScope::Match {
                    resource: Some(w.resource.clone()),
                    endpoint: w.endpoint.clone(),
                    node_pool: w.node_pool.clone(),
                },
                reason: w.reason.clone(),
                expires: w.expires,
                origin: Origin {
                    file: Some(file),
                    address: None,
                    loc: Loc::Span(w.span.clone()),
                },
            })
            .collect()
    }

    /// Check references to the catalogue: every `disable` id must exist.
    pub fn validate_against(&self, catalogue: &Catalogue) -> Result<()> {
        for d in &self.disable {
            if catalogue.get(&d.value).is_some() {
                continue;
            }
            // a rule id (`disable = ["NSG001"]`): rules are not switched off here
            if let Some(rule) = crate::analysis::registry::rule(&d.value) {
                return Err(self.error_at(
                    d.span.clone(),
                    format!(
                        "`disable` switches off catalogue endpoints, and `{}` is a rule ({})",
                        d.value, rule.name
                    ),
                    Some(format!(
                        "to accept the findings of a rule, add a waiver naming the resources it \
                         is about:\n[[waiver]]\nrule = \"{}\"\nresource = \"<address or Azure \
                         id; * globs>\"\nreason = \"<why it is accepted>\"\nexpires = 2027-03-31",
                        rule.id
                    )),
                ));
            }
            let similar = similar_ids(catalogue, &d.value);
            let prefix = d.value.split_once('.').map(|(p, _)| p).unwrap_or("");
            let help = format!(
                "{}the endpoint ids of the catalogue{}:{}",
                if similar.is_empty() {
                    String::new()
                } else {
                    format!("did you mean {}? ", similar.join(", "))
                },
                if catalogue_ids(catalogue, prefix).is_empty() {
                    ""
                } else {
                    " with that prefix"
                },
                {
                    let ids = catalogue_ids(catalogue, prefix);
                    if ids.is_empty() {
                        catalogue_ids(catalogue, "")
                    } else {
                        ids
                    }
                }
            );
            return Err(self.error_at(
                d.span.clone(),
                format!("`disable` names an unknown endpoint id `{}`", d.value),
                Some(help),
            ));
        }
        Ok(())
    }

    /// A policy error pointing into this configuration file.
    pub fn error_at(
        &self,
        span: Range<usize>,
        message: impl Into<String>,
        help: Option<String>,
    ) -> Error {
        policy_error(&self.name, &self.text, Some(span), message, help)
    }

    pub fn is_disabled(&self, id: &str) -> bool {
        self.disable.iter().any(|d| d.value == id)
    }

    pub fn is_forced(&self, condition: &str) -> bool {
        self.force_conditions.iter().any(|c| c.value == condition)
    }

    pub fn appliance(&self, ip: &IpAddr) -> Option<&Appliance> {
        self.appliances.iter().find(|a| a.ip == *ip)
    }

    pub fn dns_server(&self, ip: &IpAddr) -> Option<&DnsServerAttestation> {
        self.dns_servers.iter().find(|d| d.ip == *ip)
    }

    /// The attestation of the proxy listening on `host` (name or address) and `port`.
    pub fn proxy(&self, host: &str, port: u16) -> Option<&ProxyAttestation> {
        self.proxies
            .iter()
            .find(|p| p.port == port && p.host.eq_ignore_ascii_case(host))
    }
}

/// `allows` entries (`<host>:<port>/<protocol>`) of an attestation.
fn parse_allows(
    raw: Vec<Spanned<String>>,
    err: &dyn Fn(Range<usize>, String, Option<String>) -> crate::error::Error,
) -> Result<Vec<AllowRule>> {
    let mut allows = Vec::new();
    for r in raw {
        let (host, ports, protocol) = AllowRule::parse(r.get_ref()).map_err(|m| {
            err(
                r.span(),
                m,
                Some(
                    "entries look like `*:443/tcp`, `mcr.microsoft.com:443/https`, `10.0.0.0/8:53/udp`"
                        .into(),
                ),
            )
        })?;
        allows.push(AllowRule {
            text: r.get_ref().trim().to_string(),
            host,
            ports,
            protocol,
            span: r.span(),
        });
    }
    Ok(allows)
}

/// Validate one `[[waiver]]` table: known rule ids, a non-empty resource and reason, a date
/// without a time.
fn parse_waiver(
    w: Spanned<RawWaiver>,
    err: &dyn Fn(Range<usize>, String, Option<String>) -> Error,
) -> Result<ConfigWaiver> {
    let span = w.span();
    let w = w.into_inner();
    let rule_span = w.rule.span();
    let rules: Vec<String> = match w.rule.into_inner() {
        OneOrMany::One(r) => vec![r],
        OneOrMany::Many(rs) => rs,
    };
    if rules.is_empty() {
        return Err(err(
            rule_span,
            "a waiver must name at least one rule".into(),
            None,
        ));
    }
    let mut ids = Vec::new();
    for r in &rules {
        match crate::analysis::registry::rule(r.trim()) {
            Some(meta) => ids.push(meta.id.clone()),
            None => {
                return Err(err(
                    rule_span,
                    format!("unknown rule `{r}` in a waiver"),
                    Some("`aks-preflight rules` lists the rule ids (NSG001, RTE001, ...)".into()),
                ));
            }
        }
    }
    let nonempty = |v: Spanned<String>, what: &str, help: &str| -> Result<String> {
        let t = v.get_ref().trim().to_string();
        if t.is_empty() {
            Err(err(
                v.span(),
                format!("empty `{what}` in a waiver"),
                Some(help.into()),
            ))
        } else {
            Ok(t)
        }
    };
    let resource = nonempty(
        w.resource,
        "resource",
        "give the Terraform address or Azure resource id of the resource the finding points at (`*` globs allowed)",
    )?;
    let reason = nonempty(
        w.reason,
        "reason",
        "say why the finding is accepted: the reason is shown wherever the finding is counted",
    )?;
    let endpoint = match w.endpoint {
        Some(e) => Some(nonempty(
            e,
            "endpoint",
            "`host` or `host:port`, e.g. `mcr.microsoft.com:443`",
        )?),
        None => None,
    };
    let node_pool = match w.node_pool {
        Some(p) => Some(nonempty(p, "node_pool", "the node pool's name")?),
        None => None,
    };
    let expires = match w.expires {
        None => None,
        Some(d) => {
            let dspan = d.span();
            let v = d.into_inner();
            match (v.date, v.time) {
                (Some(date), None) => Some(crate::model::Date {
                    year: i32::from(date.year),
                    month: date.month,
                    day: date.day,
                }),
                _ => {
                    return Err(err(
                        dspan,
                        format!("`expires = {v}` is not a date"),
                        Some("write a bare TOML date: `expires = 2027-03-31`".into()),
                    ));
                }
            }
        }
    };
    Ok(ConfigWaiver {
        rules: ids,
        resource,
        endpoint,
        node_pool,
        reason,
        expires,
        span,
    })
}

fn parse_ip(s: &Spanned<String>) -> std::result::Result<IpAddr, String> {
    let v = s.get_ref().trim();
    v.parse::<IpAddr>()
        .map_err(|_| format!("`{v}` is not an IP address"))
}

/// Catalogue ids that look like `id` (same last segment, or one contains the other).
fn similar_ids<'c>(catalogue: &'c Catalogue, id: &str) -> Vec<&'c str> {
    let tail = id.rsplit('.').next().unwrap_or(id).to_ascii_lowercase();
    catalogue
        .endpoints
        .iter()
        .map(|e| e.id.as_str())
        .filter(|c| {
            let ct = c.rsplit('.').next().unwrap_or(c).to_ascii_lowercase();
            !tail.is_empty() && (ct.contains(&tail) || tail.contains(&ct))
        })
        .take(5)
        .collect()
}

/// The endpoint ids of the catalogue, grouped by prefix (`public.{mcr, mcr-data, …}`), only
/// those of `only` when it is not empty: the list comes from the binary, so users without the
/// source tree can read it.
fn catalogue_ids(catalogue: &Catalogue, only: &str) -> String {
    let mut groups: Vec<(String, Vec<String>)> = vec![];
    for e in &catalogue.endpoints {
        let (prefix, rest) = e.id.split_once('.').unwrap_or(("", e.id.as_str()));
        if !only.is_empty() && prefix != only {
            continue;
        }
        match groups.iter_mut().find(|(p, _)| p == prefix) {
            Some((_, v)) => {
                if !v.iter().any(|x| x == rest) {
                    v.push(rest.to_string());
                }
            }
            None => groups.push((prefix.to_string(), vec![rest.to_string()])),
        }
    }
    groups
        .iter()
        .map(|(p, v)| format!("\n  {p}.{{{}}}", v.join(", ")))
        .collect::<String>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::test_util::{policy_parts, spanned_text};

    const SAMPLE: &str = r#"
cloud = "public"
disable = ["public.acs-mirror"]
force_conditions = ["legacy-ntp"]

[[endpoint]]
destination = "myacr.azurecr.io"
protocol = "https"
port = 443
purpose = "application images"

[[endpoint]]
destination = "myacr.westeurope.data.azurecr.io"
protocol = "https"
port = 443

[[endpoint]]
id = "proxy"
destination = "proxy.corp.example"
protocol = "tcp"
port = 3128
required = true

[[endpoint]]
id = "registry"
destination = "registry.corp.example"
protocol = "https"
port = 5000
condition = "private-cluster"

[[appliance]]
ip = "10.0.0.4"
name = "fortigate-hub"
allows = ["*:443/tcp", "mcr.microsoft.com:443/https", "*:123/udp", "[fd00::1]:53/any", "10.1.0.0/16:53/udp"]

[[dns_server]]
ip = "10.1.0.4"
forwards_to_azure_dns = true
vnet = "module.hub.azurerm_virtual_network.hub"

[[dns_server]]
ip = "10.1.0.5"
forwards_to_azure_dns = false
vnet = "/subscriptions/0000/resourceGroups/hub/providers/Microsoft.Network/virtualNetworks/hub"
"#;

    fn sample() -> Config {
        Config::parse("aks-preflight.toml", SAMPLE).expect("sample parses")
    }

    #[test]
    fn parses_everything() {
        let c = sample();
        assert_eq!(c.cloud.as_ref().map(|c| c.value), Some(Cloud::Public));
        assert!(c.is_disabled("public.acs-mirror"));
        assert!(c.is_forced("legacy-ntp"));
        assert!(!c.is_forced("gpu"));
        let ids: Vec<&str> = c.endpoints.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(
            ids,
            vec![
                "user.myacr.azurecr.io:443",
                "user.myacr.westeurope.data.azurecr.io:443",
                "proxy",
                "registry"
            ]
        );
        let acr = &c.endpoints[0];
        assert_eq!(acr.condition, "always");
        assert!(acr.required);
        assert_eq!(acr.cloud, super::super::CloudSel::All);
        assert_eq!(acr.source, "aks-preflight.toml");
        assert_eq!(acr.purpose, "application images");
        assert_eq!(c.endpoints[3].condition, "private-cluster");
        let loc = acr.location.as_ref().expect("location");
        assert!(SAMPLE[loc.span.clone()].contains("myacr.azurecr.io"));

        let fw = c
            .appliance(&"10.0.0.4".parse().expect("ip"))
            .expect("appliance");
        assert_eq!(fw.name, "fortigate-hub");
        assert_eq!(fw.allows.len(), 5);
        assert_eq!(fw.allows[0].host, AllowHost::Any);
        assert_eq!(fw.allows[0].ports, PortRange::single(443));
        assert_eq!(fw.allows[0].protocol, AllowProtocol::Tcp);
        assert_eq!(
            fw.allows[1].host,
            AllowHost::Name("mcr.microsoft.com".into())
        );
        assert_eq!(fw.allows[1].protocol, AllowProtocol::Https);
        assert_eq!(
            fw.allows[3].host,
            AllowHost::Net("fd00::1/128".parse().expect("net"))
        );
        assert_eq!(
            fw.allows[4].host,
            AllowHost::Net("10.1.0.0/16".parse().expect("net"))
        );
        assert_eq!(&SAMPLE[fw.allows[2].span.clone()], "\"*:123/udp\"");

        let d = c.dns_server(&"10.1.0.4".parse().expect("ip")).expect("dns");
        assert!(d.forwards_to_azure_dns);
        assert_eq!(
            d.vnet.as_ref().map(|v| &v.value),
            Some(&Ref::key("module.hub.azurerm_virtual_network.hub"))
        );
        let d2 = c.dns_server(&"10.1.0.5".parse().expect("ip")).expect("dns");
        assert!(matches!(
            d2.vnet.as_ref().map(|v| &v.value),
            Some(Ref::Id(_))
        ));
        assert!(!d2.forwards_to_azure_dns);
    }

    #[test]
    fn validate_against_catalogue() {
        let cat = Catalogue::builtin().expect("builtin");
        sample().validate_against(cat).expect("known ids");
        let text = SAMPLE.replace("public.acs-mirror", "public.acs-miror");
        let c = Config::parse("c.toml", &text).expect("parses");
        let e = c.validate_against(cat).expect_err("unknown id");
        assert_eq!(spanned_text(&text, &e), "\"public.acs-miror\"");
        assert!(
            policy_parts(&e)
                .0
                .contains("unknown endpoint id `public.acs-miror`")
        );
        // the valid ids come from the embedded catalogue, not a path in the source tree
        let help = match &e {
            Error::Policy { help, .. } => help.clone().unwrap_or_default(),
            _ => String::new(),
        };
        assert!(
            help.contains("public.{") && help.contains("acs-mirror"),
            "{help}"
        );
        assert!(!help.contains("policies/endpoints.toml"), "{help}");
    }

    #[test]
    fn a_rule_id_in_disable_points_at_waivers() {
        let cat = Catalogue::builtin().expect("builtin");
        let text = "disable = [\"NSG001\"]\n";
        let c = Config::parse("c.toml", text).expect("parses");
        let e = c
            .validate_against(cat)
            .expect_err("a rule is not an endpoint");
        assert_eq!(spanned_text(text, &e), "\"NSG001\"");
        assert!(policy_parts(&e).0.contains("`NSG001` is a rule"));
        let Error::Policy { help, .. } = &e else {
            panic!("{e:?}")
        };
        let help = help.clone().unwrap_or_default();
        assert!(
            help.contains("[[waiver]]") && help.contains("rule = \"NSG001\""),
            "{help}"
        );
    }

    fn bad(text: &str) -> (String, String) {
        let e = Config::parse("c.toml", text).expect_err("must fail");
        (policy_parts(&e).0, spanned_text(text, &e).to_string())
    }

    #[test]
    fn errors_are_located() {
        let (m, at) = bad(&SAMPLE.replace("cloud = \"public\"", "cloud = \"moon\""));
        assert!(m.contains("unknown cloud `moon`"), "{m}");
        assert_eq!(at, "\"moon\"");

        let (m, at) = bad(&SAMPLE.replace("\"legacy-ntp\"", "\"legacy-ntpp\""));
        assert!(m.contains("unknown condition"), "{m}");
        assert_eq!(at, "\"legacy-ntpp\"");

        let (m, at) = bad(&SAMPLE.replace("\"*:123/udp\"", "\"*:123/icmp\""));
        assert!(m.contains("unknown protocol `icmp`"), "{m}");
        assert_eq!(at, "\"*:123/icmp\"");

        let (m, _) = bad(&SAMPLE.replace("\"*:123/udp\"", "\"*/udp\""));
        assert!(m.contains("has no port"), "{m}");
        let (m, _) = bad(&SAMPLE.replace("\"*:123/udp\"", "\"*:0/udp\""));
        assert!(m.contains("invalid port"), "{m}");
        let (m, _) = bad(&SAMPLE.replace("\"*:123/udp\"", "\"bad host:1/udp\""));
        assert!(m.contains("invalid host"), "{m}");

        let (m, at) = bad(&SAMPLE.replace("ip = \"10.0.0.4\"", "ip = \"10.0.0.400\""));
        assert!(m.contains("is not an IP address"), "{m}");
        assert_eq!(at, "\"10.0.0.400\"");

        let (m, _) = bad(&SAMPLE.replace("ip = \"10.1.0.5\"", "ip = \"10.1.0.4\""));
        assert!(m.contains("attested twice"), "{m}");

        let (m, at) = bad(&SAMPLE.replace("port = 3128", "port = 0"));
        assert!(m.contains("invalid port 0"), "{m}");
        assert_eq!(at, "0");

        let (m, at) = bad(&SAMPLE.replace("id = \"registry\"", "id = \"proxy\""));
        assert!(m.contains("duplicate endpoint id `proxy`"), "{m}");
        assert!(at.contains("registry.corp.example"), "{at}");

        let (m, at) = bad(&SAMPLE.replace("forwards_to_azure_dns = true", "forwards = true"));
        assert!(m.contains("forwards"), "{m}");
        assert_eq!(at, "forwards");

        let (m, at) = bad(&format!("{SAMPLE}\nfrobnicate = 1\n"));
        assert!(m.contains("frobnicate"), "{m}");
        assert_eq!(at, "frobnicate");

        let (m, _) = bad(&SAMPLE.replace(
            "vnet = \"module.hub.azurerm_virtual_network.hub\"",
            "vnet = \" \"",
        ));
        assert!(m.contains("empty `vnet`"), "{m}");
    }

    #[test]
    fn empty_config_is_default() {
        let c = Config::parse("empty.toml", "").expect("empty parses");
        assert!(c.endpoints.is_empty() && c.appliances.is_empty() && c.cloud.is_none());
        assert!(
            Config::default()
                .validate_against(&Catalogue::default())
                .is_ok()
        );
        let e = Config::load(Path::new("/nonexistent/aks-preflight.toml")).expect_err("io");
        assert!(matches!(e, Error::Io { .. }));
    }

    #[test]
    fn proxies_are_attested_by_address() {
        let c = Config::parse(
            "aks-preflight.toml",
            "[[proxy]]\naddress = \"http://Proxy.Corp.example:3128/\"\nip = \"10.0.5.10\"\nallows = [\"*:443/https\"]\n\n[[proxy]]\naddress = \"10.0.3.4:8080\"\n",
        )
        .expect("cfg");
        let p = c.proxy("proxy.corp.example", 3128).expect("named proxy");
        assert_eq!(p.ip, Some("10.0.5.10".parse().unwrap()));
        assert_eq!(p.allows.len(), 1);
        let q = c.proxy("10.0.3.4", 8080).expect("proxy by address");
        assert_eq!(q.ip, Some("10.0.3.4".parse().unwrap()));
        assert!(q.allows.is_empty());
        assert!(c.proxy("10.0.3.4", 3128).is_none());
        // a bad address, a twice attested proxy, a bad allow entry: located errors
        for bad in [
            "[[proxy]]\naddress = \"http://proxy:port\"\n",
            "[[proxy]]\naddress = \"10.0.3.4:8080\"\n[[proxy]]\naddress = \"http://10.0.3.4:8080\"\n",
            "[[proxy]]\naddress = \"10.0.3.4:8080\"\nallows = [\"443\"]\n",
        ] {
            assert!(Config::parse("c.toml", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn appliance_rules_cover_requirements() {
        use crate::policy::{ClusterFacts, requirements};
        let c = sample();
        let fw = c.appliance(&"10.0.0.4".parse().expect("ip")).expect("fw");
        let mut f = ClusterFacts::new("aks");
        f.region = Some("westeurope".into());
        f.custom_dns_servers = vec![crate::model::IpValue {
            ip: Known::Known("10.1.0.4".parse().expect("ip")),
            symbol: None,
            origin: Default::default(),
        }];
        f.apiserver_vnet_integration = Known::Known(true);
        f.apiserver_subnet_prefixes = Known::Known(vec!["10.1.8.0/28".parse().expect("net")]);
        let reqs = requirements(Catalogue::builtin().expect("builtin"), &c, &f);
        let rule_for = |id: &str, host: Option<&str>| {
            let r = reqs
                .iter()
                .find(|r| r.endpoint_id == id && host.is_none_or(|h| r.host == h))
                .unwrap_or_else(|| panic!("{id} missing"));
            fw.allowing(r).map(|a| a.text.clone())
        };
        // `*:443/tcp` is listed first and covers HTTPS on 443
        assert_eq!(rule_for("public.mcr", None).as_deref(), Some("*:443/tcp"));
        // NTP (forced by the sample config) is UDP 123
        assert_eq!(rule_for("public.ntp", None).as_deref(), Some("*:123/udp"));
        // DNS to 10.1.0.4: UDP by the CIDR rule, TCP 53 by nothing
        assert_eq!(
            rule_for("public.custom-dns-udp", None).as_deref(),
            Some("10.1.0.0/16:53/udp")
        );
        assert_eq!(rule_for("public.custom-dns-tcp", None), None);
        // the proxy on 3128 is not covered
        assert_eq!(rule_for("proxy", None), None);
        // API server subnet 10.1.8.0/28 on 4443: not covered (port), 443: by `*:443/tcp`
        assert_eq!(rule_for("all.apiserver-vnet-integration-4443", None), None);

        // rule kinds one by one
        let rule = |text: &str| {
            let (host, ports, protocol) = AllowRule::parse(text).expect("parses");
            AllowRule {
                text: text.into(),
                host,
                ports,
                protocol,
                span: 0..0,
            }
        };
        let mcr = reqs
            .iter()
            .find(|r| r.endpoint_id == "public.mcr")
            .expect("mcr");
        let data = reqs
            .iter()
            .find(|r| r.endpoint_id == "public.mcr-data")
            .expect("data");
        let vni = reqs
            .iter()
            .find(|r| r.endpoint_id == "all.apiserver-vnet-integration-4443")
            .expect("vni");
        assert!(rule("mcr.microsoft.com:443/https").covers(mcr));
        assert!(!rule("mcr.microsoft.com:443/http").covers(mcr));
        assert!(!rule("mcr.microsoft.com:443/udp").covers(mcr));
        assert!(!rule("mcr.microsoft.com:443/https").covers(data));
        assert!(rule("*.mcr.microsoft.com:443/https").covers(data));
        assert!(rule("*:400-500/any").covers(data));
        assert!(rule("10.1.0.0/16:4443/tcp").covers(vni));
        assert!(!rule("10.1.8.0/29:4443/tcp").covers(vni));
        assert!(!rule("mcr.microsoft.com:443/https").covers(vni));
    }

    #[test]
    fn host_patterns() {
        assert!(host_covered("mcr.microsoft.com", "MCR.microsoft.com"));
        assert!(host_covered(
            "*.mcr.microsoft.com",
            "westeurope.data.mcr.microsoft.com"
        ));
        assert!(host_covered(
            "*.mcr.microsoft.com",
            "*.data.mcr.microsoft.com"
        ));
        assert!(host_covered(
            "*.data.mcr.microsoft.com",
            "*.data.mcr.microsoft.com"
        ));
        assert!(!host_covered("*.mcr.microsoft.com", "mcr.microsoft.com"));
        assert!(!host_covered(
            "eastus.data.mcr.microsoft.com",
            "*.data.mcr.microsoft.com"
        ));
        assert!(!host_covered(
            "*.microsoft.com",
            "mcr.microsoft.com.evil.example"
        ));
    }
}
