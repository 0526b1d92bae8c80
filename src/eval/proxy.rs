//! A cluster's HTTP proxy (`http_proxy_config` / `httpProxyConfig`): which flows go to it.
//!
//! With a proxy, AKS configures nodes and pods with `HTTP_PROXY`, `HTTPS_PROXY` and `NO_PROXY`
//! (Microsoft, "HTTP proxy support in AKS", learn.microsoft.com/azure/aks/http-proxy): HTTP and
//! HTTPS connections go to the proxy (`httpsProxy` falls back to `httpProxy`) unless the
//! destination is in `noProxy`, or in the values AKS itself injects into the effective list
//! (`effectiveNoProxy`, "a superset of noProxy and values injected by AKS"; which values is not
//! documented). Other flows (UDP, TCP that is not HTTP) never use it. `noProxy` entries match as
//! curl does: a name matches itself and its subdomains (a leading `.` is ignored), an address
//! matches itself; CIDR entries are not honoured by curl (the provisioning script's client).

use super::flow::AppProto;
use crate::model::HttpProxy;
use serde::Serialize;
use std::net::IpAddr;

/// Where a proxy listens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProxyEndpoint {
    /// The URL as configured, credentials removed.
    pub url: String,
    /// Host name or address, lower case.
    pub host: String,
    pub port: u16,
}

impl ProxyEndpoint {
    /// Parse `http://host:port/`; the port defaults to 80 (`http`) or 443 (`https`).
    pub fn parse(url: &str) -> Result<ProxyEndpoint, String> {
        let t = url.trim();
        let (scheme, rest) = match t.find("://") {
            Some(p) => (t[..p].to_ascii_lowercase(), &t[p + 3..]),
            None => ("http".to_string(), t),
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let authority = authority.rsplit('@').next().unwrap_or(authority);
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, tail) = v6
                .split_once(']')
                .ok_or_else(|| format!("`{url}` is not a proxy URL"))?;
            (h.to_string(), tail.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (authority.to_string(), None),
            }
        };
        if host.is_empty() {
            return Err(format!("`{url}` names no proxy host"));
        }
        let port = match port {
            Some(p) => p
                .parse::<u16>()
                .map_err(|_| format!("`{url}`: `{p}` is not a port"))?,
            None if scheme == "https" => 443,
            None => 80,
        };
        Ok(ProxyEndpoint {
            url: t.to_string(),
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// The proxy's address, when the URL gives one (not a host name).
    pub fn ip(&self) -> Option<IpAddr> {
        self.host.parse().ok()
    }

    /// `host:port`.
    pub fn authority(&self) -> String {
        match self.ip() {
            Some(IpAddr::V6(a)) => format!("[{a}]:{}", self.port),
            _ => format!("{}:{}", self.host, self.port),
        }
    }
}

/// A cluster's proxy settings, parsed.
#[derive(Debug, Clone)]
pub struct ProxySettings {
    pub http: Option<ProxyEndpoint>,
    pub https: Option<ProxyEndpoint>,
    pub no_proxy: Vec<String>,
}

/// Where one flow goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyRoute {
    /// Straight to its destination; why (not HTTP, a `noProxy` entry, no proxy for it).
    Direct(String),
    /// To the proxy.
    Proxy(ProxyEndpoint),
    /// To the proxy, or straight if AKS puts the destination in the no-proxy list it injects
    /// (not documented): both paths must be looked at.
    Either(ProxyEndpoint, String),
}

impl ProxySettings {
    /// `None` when the configuration sets no proxy URL.
    pub fn from_model(p: &HttpProxy) -> Result<Option<ProxySettings>, String> {
        let http = p
            .http_proxy
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(ProxyEndpoint::parse)
            .transpose()?;
        let https = p
            .https_proxy
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(ProxyEndpoint::parse)
            .transpose()?;
        if http.is_none() && https.is_none() {
            return Ok(None);
        }
        Ok(Some(ProxySettings {
            http,
            https,
            no_proxy: p.no_proxy.clone(),
        }))
    }

    /// Every distinct proxy endpoint (HTTP first).
    pub fn endpoints(&self) -> Vec<&ProxyEndpoint> {
        let mut out: Vec<&ProxyEndpoint> = vec![];
        for e in self.http.iter().chain(self.https.iter()) {
            if !out.iter().any(|x| x.authority() == e.authority()) {
                out.push(e);
            }
        }
        out
    }

    /// The `noProxy` entry that covers `host` (a name, possibly `*.`-prefixed, or an address).
    /// A wildcard host is covered when every name it stands for is.
    pub fn bypass_entry(&self, host: &str) -> Option<&str> {
        let h = host.trim().trim_end_matches('.').to_ascii_lowercase();
        let base = h.strip_prefix("*.").unwrap_or(&h).to_string();
        self.no_proxy.iter().map(String::as_str).find(|e| {
            let e = e.trim().trim_start_matches('.').to_ascii_lowercase();
            if e.is_empty() || e.contains('/') {
                return false; // CIDRs: not honoured by curl
            }
            if e == "*" {
                return true;
            }
            // a wildcard host stands for subdomains of `base`: all covered when `base` is
            base == e || base.ends_with(&format!(".{e}"))
        })
    }

    /// Where a flow to `host` (a name or address) on `port` goes. `app` is set for HTTP(S)
    /// flows; `may_be_injected` for destinations AKS may add to the no-proxy list itself (the
    /// API server).
    pub fn route(&self, host: &str, app: Option<AppProto>, may_be_injected: bool) -> ProxyRoute {
        let Some(app) = app else {
            return ProxyRoute::Direct("not HTTP or HTTPS: the proxy is not used".into());
        };
        let proxy = match app {
            AppProto::Https => self.https.as_ref().or(self.http.as_ref()),
            AppProto::Http => self.http.as_ref(),
        };
        let Some(proxy) = proxy else {
            return ProxyRoute::Direct(format!(
                "no proxy is configured for {}",
                match app {
                    AppProto::Http => "HTTP",
                    AppProto::Https => "HTTPS",
                }
            ));
        };
        if let Some(e) = self.bypass_entry(host) {
            return ProxyRoute::Direct(format!("no_proxy entry `{e}`"));
        }
        if may_be_injected {
            return ProxyRoute::Either(
                proxy.clone(),
                "AKS adds values of its own to the effective no-proxy list, and which ones is not \
                 documented"
                    .into(),
            );
        }
        ProxyRoute::Proxy(proxy.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(no_proxy: &[&str]) -> ProxySettings {
        ProxySettings::from_model(&HttpProxy {
            http_proxy: Some("http://10.0.5.10:3128/".into()),
            https_proxy: None,
            no_proxy: no_proxy.iter().map(|s| s.to_string()).collect(),
        })
        .unwrap()
        .unwrap()
    }

    #[test]
    fn proxy_urls() {
        let p = ProxyEndpoint::parse("http://10.0.5.10:3128/").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("10.0.5.10", 3128));
        assert_eq!(p.ip(), Some("10.0.5.10".parse().unwrap()));
        let p = ProxyEndpoint::parse("https://Proxy.Corp.example").unwrap();
        assert_eq!(
            (p.host.as_str(), p.port, p.ip()),
            ("proxy.corp.example", 443, None)
        );
        assert_eq!(
            ProxyEndpoint::parse("http://[fd00::5]:8080").unwrap().port,
            8080
        );
        assert!(ProxyEndpoint::parse("http://proxy:http").is_err());
        assert!(ProxyEndpoint::parse("http://").is_err());
    }

    #[test]
    fn routes() {
        let s = settings(&[".packages.microsoft.com", "azure.com", "10.0.0.0/8"]);
        // https falls back to the http proxy
        assert!(matches!(
            s.route("mcr.microsoft.com", Some(AppProto::Https), false),
            ProxyRoute::Proxy(p) if p.port == 3128
        ));
        // names and their subdomains; a leading dot is ignored
        assert!(matches!(
            s.route("packages.microsoft.com", Some(AppProto::Https), false),
            ProxyRoute::Direct(_)
        ));
        assert!(matches!(
            s.route("management.azure.com", Some(AppProto::Https), false),
            ProxyRoute::Direct(_)
        ));
        assert!(matches!(
            s.route("*.data.mcr.microsoft.com", Some(AppProto::Https), false),
            ProxyRoute::Proxy(_)
        ));
        // CIDRs are not honoured; non-HTTP flows never use the proxy
        assert!(matches!(
            s.route("10.1.0.4", Some(AppProto::Https), false),
            ProxyRoute::Proxy(_)
        ));
        assert!(matches!(
            s.route("ntp.ubuntu.com", None, false),
            ProxyRoute::Direct(_)
        ));
        // the API server may be in AKS's own list
        assert!(matches!(
            s.route("x.hcp.westeurope.azmk8s.io", Some(AppProto::Https), true),
            ProxyRoute::Either(..)
        ));
        let s = settings(&["azmk8s.io"]);
        assert!(matches!(
            s.route("*.hcp.westeurope.azmk8s.io", Some(AppProto::Https), true),
            ProxyRoute::Direct(_)
        ));
    }
}
