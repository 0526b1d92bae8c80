//! The egress path from a node subnet to a destination: NSG -> route -> next hop (internet
//! egress / NAT gateway / load balancer / firewall / appliance / gateway / peering) -> verdict.

use super::Verdict;
use crate::source::Origin;
use serde::Serialize;

/// Kinds of hop shown in traces (`explain`, JSON `path`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HopKind {
    Subnet,
    NsgRule,
    Route,
    Peering,
    Firewall,
    FirewallRule,
    Appliance,
    Gateway,
    NatGateway,
    LoadBalancer,
    PublicIp,
    Internet,
    Destination,
    Dns,
}

/// One step of a path.
#[derive(Debug, Clone, Serialize)]
pub struct Hop {
    pub kind: HopKind,
    /// One line, naming the element by its address (`azurerm_network_security_group.nodes rule
    /// deny-internet (priority 100, Deny)`).
    pub description: String,
    /// Where the element is written, when it comes from an input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    /// Verdict contributed by this hop, when it decided something.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
}

impl Hop {
    pub fn new(kind: HopKind, description: impl Into<String>, origin: Option<Origin>) -> Self {
        Hop {
            kind,
            description: description.into(),
            origin,
            verdict: None,
        }
    }
    pub fn with_verdict(mut self, v: Verdict) -> Self {
        self.verdict = Some(v);
        self
    }
}

/// The element responsible for a blocked or unknown verdict: what a finding points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Cause {
    /// An NSG rule (custom, or a default rule when `rule_name` starts with a default rule name)
    /// denied the flow.
    NsgRule {
        nsg: String,
        rule_name: String,
        priority: u32,
        default_rule: bool,
    },
    /// The NSG's rule set is unknown or a rule could not be decided.
    NsgUndecided { nsg: String, detail: String },
    /// A route sends the flow to `None` (dropped).
    RouteBlackhole {
        route_table: String,
        route_name: String,
        system: bool,
    },
    /// Next hop `VirtualNetworkGateway` (forced tunnelling / BGP): outside what we can see.
    GatewayNextHop {
        route_table: Option<String>,
        route_name: String,
    },
    /// Next hop IP owned by nothing known (third-party NVA), or unknown.
    UnknownAppliance {
        route_table: String,
        route_name: String,
        next_hop: String,
    },
    /// The firewall hop could not be decided (rules unknown, or firewall evaluation unavailable).
    FirewallUndecided { firewall: String, detail: String },
    /// The firewall denied the flow (explicit deny rule, or no allow rule: default deny).
    FirewallDenied {
        firewall: String,
        rule: Option<String>,
        detail: String,
    },
    /// Peering missing or not allowing the traffic.
    Peering {
        peering: Option<String>,
        detail: String,
    },
    /// No SNAT path to the internet (no public IP, NAT gateway, LB outbound rule or default
    /// outbound access).
    NoInternetEgress { subnet: String, detail: String },
    /// The subnet (or its prefixes, NSG, route table...) is not known.
    SubnetUndecided { subnet: String, detail: String },
    /// Anything else; the reason says it.
    Other { detail: String },
}

#[derive(Debug, Clone, Serialize)]
pub struct PathResult {
    pub verdict: Verdict,
    /// One sentence: why this verdict.
    pub reason: String,
    pub hops: Vec<Hop>,
    /// Set when the verdict is `Blocked` or `Unknown`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
    /// Origin of the element in `cause` (for the finding's primary label).
    #[serde(skip)]
    pub cause_origin: Option<Origin>,
}

/// Entry point (filled in by the path evaluation work item).
pub fn evaluate_egress(
    _model: &crate::model::Model,
    _ctx: &EgressContext<'_>,
    _flow: &super::Flow,
) -> PathResult {
    PathResult {
        verdict: Verdict::Unknown,
        reason: "path evaluation not implemented".into(),
        hops: vec![],
        cause: Some(Cause::Other {
            detail: "not implemented".into(),
        }),
        cause_origin: None,
    }
}

/// What the path evaluation needs to know about the node pool besides the flow.
#[derive(Debug, Clone)]
pub struct EgressContext<'a> {
    pub cluster: &'a crate::model::Cluster,
    pub pool: &'a crate::model::NodePool,
    pub subnet: &'a crate::model::Subnet,
}
