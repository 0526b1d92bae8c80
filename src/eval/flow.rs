//! A flow: what a node opens towards a destination.

use ipnet::IpNet;
use serde::Serialize;
use std::net::IpAddr;

/// Transport protocol of a flow. HTTP/HTTPS requirements are TCP flows that an Azure Firewall can
/// also match with application rules (`app_protocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AppProto {
    Http,
    Https,
}

/// Where the flow goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Destination {
    /// A public host name or wildcard (`mcr.microsoft.com`, `*.data.mcr.microsoft.com`). Its IPs
    /// are public Azure / internet addresses not known statically.
    Host(String),
    /// A literal address (custom DNS server, API server private IP).
    Ip(IpAddr),
    /// Every address of a service tag (`AzureMonitor`, `AzureCloud.westeurope`).
    Tag(String),
    /// Any public internet address (network rules to `*`).
    AnyPublic,
}

/// One flow from a node subnet.
#[derive(Debug, Clone, Serialize)]
pub struct Flow {
    /// Address prefixes of the source (node) subnet.
    pub source_prefixes: Vec<IpNet>,
    pub destination: Destination,
    /// Service tags known to contain the destination's addresses (from the endpoint catalogue),
    /// e.g. `MicrosoftContainerRegistry` for `mcr.microsoft.com`.
    pub destination_tags: Vec<String>,
    pub protocol: Protocol,
    pub port: u16,
    /// Set for HTTP(S) requirements: an Azure Firewall may match them with application rules.
    pub app_protocol: Option<AppProto>,
}

impl Flow {
    pub fn describe(&self) -> String {
        let dst = match &self.destination {
            Destination::Host(h) => h.clone(),
            Destination::Ip(ip) => ip.to_string(),
            Destination::Tag(t) => format!("service tag {t}"),
            Destination::AnyPublic => "any internet address".into(),
        };
        let proto = match self.protocol {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        };
        format!("{dst}:{}/{proto}", self.port)
    }

    /// Is the destination a public (internet / Azure public) address?
    pub fn is_public(&self) -> bool {
        match &self.destination {
            Destination::Host(_) | Destination::Tag(_) | Destination::AnyPublic => true,
            Destination::Ip(ip) => crate::eval::servicetags::is_public_ip(ip),
        }
    }
}
