//! Element types of the normalized model.

use super::{Known, Ref, ResourceId};
use crate::source::Origin;
use ipnet::IpNet;
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// What the input says will happen to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Lifecycle {
    /// Exists and stays as is (no-op in a plan, existing in state/live data).
    #[default]
    Existing,
    Create,
    Update,
    /// Deleted and created again (the after-state is what we model).
    Replace,
    /// Read by a data source.
    Read,
}

/// Identity and provenance shared by every element.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Meta {
    /// Unique within the model: the Terraform address (`module.net.azurerm_subnet.nodes["a"]`), or
    /// the lower-cased Azure resource ID for live/ARM inputs.
    pub key: String,
    /// The Azure resource ID when known.
    pub id: Option<ResourceId>,
    pub name: Known<String>,
    pub resource_group: Known<String>,
    pub location: Known<String>,
    pub lifecycle: Lifecycle,
    pub origin: Origin,
    /// Origins of individual fields, keyed by the model field name (`"outbound_type"`), so that
    /// analyses can point at the exact attribute without knowing the input format.
    #[serde(skip)]
    pub fields: BTreeMap<&'static str, Origin>,
    /// Other keys this element answers to: the keys of the data sources (references to existing
    /// resources) that this existing resource stands for in a layered model.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Fields that the input itself changes on an element standing for an existing resource
    /// (a plan's association or separate rule attached to a data source). When the element is
    /// replaced by the existing resource it reads ([`super::Model::layered`]), these fields keep
    /// the input's values.
    #[serde(skip)]
    pub planned_fields: Vec<&'static str>,
    /// The inputs hold every child element of this one (a VNet's peerings, a firewall policy's
    /// rule collection groups, a classic firewall's rule collections, a private DNS zone's VNet
    /// links), so a child missing from the model does not exist. True for what a plan creates
    /// or replaces and for complete reads (live data, a data source that lists the children);
    /// false for a plan's pre-existing elements, whose children other configurations may
    /// manage: absence there proves nothing.
    pub lists_all_children: bool,
}

impl Meta {
    pub fn new(key: impl Into<String>, origin: Origin) -> Self {
        Meta {
            key: key.into(),
            origin,
            ..Default::default()
        }
    }
    /// Origin of a field, falling back to the element's origin.
    pub fn origin_of(&self, field: &str) -> &Origin {
        self.fields.get(field).unwrap_or(&self.origin)
    }
    pub fn set_field_origin(&mut self, field: &'static str, origin: Origin) {
        self.fields.insert(field, origin);
    }
    /// Record that the input changes `field` of this element, when it stands for an existing
    /// resource (lifecycle `Read`); see [`Meta::planned_fields`].
    pub fn mark_planned(&mut self, field: &'static str) {
        if self.lifecycle == Lifecycle::Read && !self.planned_fields.contains(&field) {
            self.planned_fields.push(field);
        }
    }
    /// The address shown to users: the Terraform address / ARM id / name.
    pub fn address(&self) -> &str {
        self.origin.address.as_deref().unwrap_or(&self.key)
    }
    pub fn display_name(&self) -> String {
        match &self.name {
            Known::Known(n) => n.clone(),
            _ => self.address().to_string(),
        }
    }
    pub fn matches(&self, r: &Ref) -> bool {
        match r {
            Ref::Key(k) => {
                self.key == *k
                    || self
                        .id
                        .as_ref()
                        .is_some_and(|id| id.as_str().eq_ignore_ascii_case(k))
                    || self.aliases.iter().any(|a| a == k)
            }
            Ref::Id(id) => {
                self.id.as_ref() == Some(id) || self.key.eq_ignore_ascii_case(id.as_str())
            }
        }
    }
    pub fn same_resource(&self, other: &Meta) -> bool {
        self.key == other.key || (self.id.is_some() && self.id == other.id)
    }
    /// Why a child missing from the inputs may still exist (`None`: the inputs list every child,
    /// so a missing one does not exist). `children` names them (`peerings`).
    pub fn children_unlisted(&self, children: &str) -> Option<String> {
        (!self.lists_all_children).then(|| {
            format!(
                "{} exists already (this input does not create it), and its {children} may be \
                 managed by another configuration",
                self.address()
            )
        })
    }
}

/// An IP address value that may be symbolic: a plan references a firewall's private IP before it
/// is allocated.
#[derive(Debug, Clone, Serialize)]
pub struct IpValue {
    pub ip: Known<IpAddr>,
    /// What the value refers to, when it is taken from another element.
    pub symbol: Option<IpSymbol>,
    pub origin: Origin,
}

/// A CIDR value that may be symbolic (authorized IP ranges built from a public IP resource).
#[derive(Debug, Clone, Serialize)]
pub struct PrefixValue {
    pub net: Known<IpNet>,
    pub symbol: Option<IpSymbol>,
    pub origin: Origin,
}

/// The element an IP value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "ref", rename_all = "snake_case")]
pub enum IpSymbol {
    /// Private IP of an Azure Firewall (its first IP configuration, or its virtual hub IP).
    FirewallPrivateIp(Ref),
    /// Address of a public IP resource.
    PublicIp(Ref),
    /// A public IP prefix.
    PublicIpPrefix(Ref),
    /// Inbound endpoint IP of an Azure DNS Private Resolver.
    ResolverInboundEndpoint(Ref),
    /// Private IP of a network interface (a VM: a DNS server or third-party appliance).
    NetworkInterface(Ref),
    /// Something else, described (`azurerm_lb.ilb.frontend_ip_configuration[0].private_ip_address`).
    Other(String),
}

// ---------------------------------------------------------------- clusters

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum OutboundType {
    #[serde(rename = "loadBalancer")]
    LoadBalancer,
    #[serde(rename = "userDefinedRouting")]
    UserDefinedRouting,
    #[serde(rename = "managedNATGateway")]
    ManagedNatGateway,
    #[serde(rename = "managedNATGatewayV2")]
    ManagedNatGatewayV2,
    #[serde(rename = "userAssignedNATGateway")]
    UserAssignedNatGateway,
    #[serde(rename = "none")]
    None,
    #[serde(rename = "block")]
    Block,
}

impl OutboundType {
    pub fn parse(s: &str) -> Option<OutboundType> {
        Some(match s.to_ascii_lowercase().as_str() {
            "loadbalancer" => OutboundType::LoadBalancer,
            "userdefinedrouting" => OutboundType::UserDefinedRouting,
            "managednatgateway" => OutboundType::ManagedNatGateway,
            "managednatgatewayv2" => OutboundType::ManagedNatGatewayV2,
            "userassignednatgateway" => OutboundType::UserAssignedNatGateway,
            "none" => OutboundType::None,
            "block" => OutboundType::Block,
            _ => return None,
        })
    }
    pub fn as_str(&self) -> &'static str {
        match self {
            OutboundType::LoadBalancer => "loadBalancer",
            OutboundType::UserDefinedRouting => "userDefinedRouting",
            OutboundType::ManagedNatGateway => "managedNATGateway",
            OutboundType::ManagedNatGatewayV2 => "managedNATGatewayV2",
            OutboundType::UserAssignedNatGateway => "userAssignedNATGateway",
            OutboundType::None => "none",
            OutboundType::Block => "block",
        }
    }
}

/// `private_dns_zone_id` / `privateDNSZone` of a private cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "zone", rename_all = "snake_case")]
pub enum PrivateDnsZoneSetting {
    System,
    None,
    Custom(Ref),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Cloud {
    #[default]
    Public,
    China,
    UsGov,
}

impl Cloud {
    pub fn as_str(&self) -> &'static str {
        match self {
            Cloud::Public => "public",
            Cloud::China => "china",
            Cloud::UsGov => "usgov",
        }
    }
    pub fn parse(s: &str) -> Option<Cloud> {
        match s.to_ascii_lowercase().as_str() {
            "public" | "azurecloud" => Some(Cloud::Public),
            "china" | "azurechinacloud" => Some(Cloud::China),
            "usgov" | "azureusgovernment" | "usgovernment" => Some(Cloud::UsGov),
            _ => None,
        }
    }
    /// Infer the cloud from an Azure region name.
    pub fn from_region(region: &str) -> Cloud {
        let r = region.to_ascii_lowercase().replace(' ', "");
        if r.starts_with("china") {
            Cloud::China
        } else if r.starts_with("usgov") || r.starts_with("usdod") {
            Cloud::UsGov
        } else {
            Cloud::Public
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OsType {
    Linux,
    Windows,
}

#[derive(Debug, Clone, Serialize)]
pub struct NodePool {
    /// Key of the node pool element: the cluster key plus `/default_node_pool`, or the address of
    /// a separate node pool resource.
    pub key: String,
    pub name: Known<String>,
    pub origin: Origin,
    pub subnet: Known<Ref>,
    pub subnet_origin: Origin,
    pub os_type: Known<OsType>,
    pub vm_size: Known<String>,
    pub gpu: bool,
    pub node_public_ip: Known<bool>,
    pub mode: Known<String>,
    pub lifecycle: Lifecycle,
}

impl NodePool {
    pub fn display_name(&self) -> String {
        match &self.name {
            Known::Known(n) => n.clone(),
            _ => self.key.clone(),
        }
    }
    /// `Standard_NC6s_v3`, `Standard_ND96asr_v4`, `Standard_NV36ads_A10_v5`: N-series sizes
    /// carry GPUs.
    pub fn is_gpu_size(size: &str) -> bool {
        let s = size.to_ascii_lowercase();
        s.strip_prefix("standard_")
            .or_else(|| s.strip_prefix("basic_"))
            .unwrap_or(&s)
            .starts_with('n')
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct HttpProxy {
    pub http_proxy: Option<String>,
    pub https_proxy: Option<String>,
    pub no_proxy: Vec<String>,
}

impl HttpProxy {
    /// A proxy URL without its `user:password@` part (never kept in the model).
    pub fn strip_credentials(url: &str) -> String {
        let (scheme, rest) = match url.find("://") {
            Some(p) => (&url[..p + 3], &url[p + 3..]),
            None => ("", url),
        };
        let host_end = rest.find('/').unwrap_or(rest.len());
        match rest[..host_end].rfind('@') {
            Some(at) => format!("{scheme}{}", &rest[at + 1..]),
            None => url.to_string(),
        }
    }
}

/// The identity a cluster acts with (the control plane's: it creates the zone link, joins the
/// subnet, manages the load balancer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "identities", rename_all = "snake_case")]
pub enum ClusterIdentity {
    /// Created with the cluster: it holds no role before the cluster exists.
    SystemAssigned,
    /// User-assigned managed identities.
    UserAssigned(Vec<Ref>),
    /// A service principal (its client id).
    ServicePrincipal(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct Cluster {
    pub meta: Meta,
    /// `Absent` when the input does not say (then AKS's default, system-assigned, applies).
    pub identity: Known<ClusterIdentity>,
    pub dns_prefix: Known<String>,
    pub outbound_type: Known<OutboundType>,
    pub network_plugin: Known<String>,
    pub network_plugin_mode: Known<String>,
    pub private_cluster: Known<bool>,
    pub private_dns_zone: Known<PrivateDnsZoneSetting>,
    pub private_cluster_public_fqdn: Known<bool>,
    /// API server authorized IP ranges (public clusters). `Absent` or empty: no restriction.
    pub authorized_ip_ranges: Known<Vec<PrefixValue>>,
    pub apiserver_vnet_integration: Known<bool>,
    pub apiserver_subnet: Known<Ref>,
    /// Load balancer outbound public IPs / prefixes given by the user (outbound type loadBalancer).
    pub lb_outbound_ips: Vec<Ref>,
    pub lb_outbound_ip_prefixes: Vec<Ref>,
    /// `Direct` (default) or `Cache` (network isolated).
    pub bootstrap_artifact_source: Known<String>,
    pub http_proxy: Known<HttpProxy>,
    /// Enabled add-ons and features, as condition keywords of the endpoint catalogue
    /// (`addon:monitoring`, `addon:azure-policy`, `addon:keyvault-csi`, `addon:defender`,
    /// `feature:workload-identity`, `extension:any`, ...).
    pub features: Vec<String>,
    pub node_pools: Vec<NodePool>,
}

impl Cluster {
    /// A cluster known only by reference (node pools added to a cluster that is not in the
    /// inputs): every cluster-level value is unknown, for `reason`.
    pub fn unknown(meta: Meta, reason: &str) -> Cluster {
        fn why<T>(r: &str) -> Known<T> {
            Known::Unknown(r.to_string())
        }
        Cluster {
            meta,
            identity: why(reason),
            dns_prefix: why(reason),
            outbound_type: why(reason),
            network_plugin: why(reason),
            network_plugin_mode: why(reason),
            private_cluster: why(reason),
            private_dns_zone: why(reason),
            private_cluster_public_fqdn: why(reason),
            authorized_ip_ranges: why(reason),
            apiserver_vnet_integration: why(reason),
            apiserver_subnet: why(reason),
            lb_outbound_ips: vec![],
            lb_outbound_ip_prefixes: vec![],
            bootstrap_artifact_source: why(reason),
            http_proxy: why(reason),
            features: vec![],
            node_pools: vec![],
        }
    }
}

// ---------------------------------------------------------------- virtual networks

#[derive(Debug, Clone, Serialize)]
pub struct VirtualNetwork {
    pub meta: Meta,
    pub address_space: Known<Vec<IpNet>>,
    /// Custom DNS servers in order; `Known(vec![])` or `Absent` means Azure-provided DNS.
    pub dns_servers: Known<Vec<IpValue>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Subnet {
    pub meta: Meta,
    pub vnet: Known<Ref>,
    pub prefixes: Known<Vec<IpNet>>,
    /// `Absent`: no NSG associated.
    pub nsg: Known<Ref>,
    /// `Absent`: no route table associated.
    pub route_table: Known<Ref>,
    /// `Absent`: no NAT gateway associated.
    pub nat_gateway: Known<Ref>,
    pub default_outbound_access: Known<bool>,
    pub delegations: Vec<String>,
    pub private_endpoint_network_policies: Known<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Peering {
    pub meta: Meta,
    pub local_vnet: Known<Ref>,
    pub remote_vnet: Known<Ref>,
    pub allow_virtual_network_access: Known<bool>,
    pub allow_forwarded_traffic: Known<bool>,
    pub allow_gateway_transit: Known<bool>,
    pub use_remote_gateways: Known<bool>,
    /// `Connected`, `Initiated`, `Disconnected` (live data only).
    pub state: Known<String>,
}

// ---------------------------------------------------------------- NSGs

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Direction {
    Inbound,
    Outbound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Access {
    Allow,
    Deny,
}

/// NSG rule protocol (`*` is `Any`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum NsgProtocol {
    Any,
    Tcp,
    Udp,
    Icmp,
    Esp,
    Ah,
}

impl NsgProtocol {
    pub fn parse(s: &str) -> Option<NsgProtocol> {
        Some(match s.to_ascii_lowercase().as_str() {
            "*" | "any" => NsgProtocol::Any,
            "tcp" => NsgProtocol::Tcp,
            "udp" => NsgProtocol::Udp,
            "icmp" => NsgProtocol::Icmp,
            "esp" => NsgProtocol::Esp,
            "ah" => NsgProtocol::Ah,
            _ => return None,
        })
    }
}

/// Inclusive port range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PortRange {
    pub lo: u16,
    pub hi: u16,
}

impl PortRange {
    pub const ANY: PortRange = PortRange { lo: 0, hi: 65535 };
    pub fn single(p: u16) -> Self {
        PortRange { lo: p, hi: p }
    }
    pub fn contains(&self, p: u16) -> bool {
        self.lo <= p && p <= self.hi
    }
    /// Parse `*`, `443`, `1000-2000`.
    pub fn parse(s: &str) -> Option<PortRange> {
        let s = s.trim();
        if s == "*" || s.eq_ignore_ascii_case("any") {
            return Some(PortRange::ANY);
        }
        if let Some((a, b)) = s.split_once('-') {
            let lo = a.trim().parse().ok()?;
            let hi = b.trim().parse().ok()?;
            return (lo <= hi).then_some(PortRange { lo, hi });
        }
        s.parse().ok().map(PortRange::single)
    }
}

/// One source or destination item of an NSG or firewall rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum AddressMatch {
    /// `*`
    Any,
    Prefix(IpNet),
    /// Service tag (`Internet`, `VirtualNetwork`, `AzureCloud.westeurope`, ...).
    Tag(String),
    /// Application security group.
    Asg(Ref),
    /// Could not be parsed; kept for the message.
    Invalid(String),
    /// Not known until apply (the whole address list of a rule is unknown): may match anything.
    Unknown(String),
}

impl AddressMatch {
    /// Parse an address item as written in NSG / firewall rules.
    pub fn parse(s: &str) -> AddressMatch {
        let t = s.trim();
        if t == "*" || t.eq_ignore_ascii_case("any") {
            return AddressMatch::Any;
        }
        if let Ok(n) = t.parse::<IpNet>() {
            return AddressMatch::Prefix(n);
        }
        if let Ok(ip) = t.parse::<IpAddr>() {
            return AddressMatch::Prefix(IpNet::from(ip));
        }
        if let Some((a, b)) = t.split_once('-') {
            // firewall rules accept "10.0.0.1-10.0.0.9" ranges; keep as invalid for NSGs
            if a.trim().parse::<IpAddr>().is_ok() && b.trim().parse::<IpAddr>().is_ok() {
                return AddressMatch::Invalid(t.to_string());
            }
        }
        if !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-')
        {
            return AddressMatch::Tag(t.to_string());
        }
        AddressMatch::Invalid(t.to_string())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SecurityRule {
    pub name: Known<String>,
    pub origin: Origin,
    pub priority: Known<u32>,
    pub direction: Known<Direction>,
    pub access: Known<Access>,
    pub protocol: Known<NsgProtocol>,
    pub source_ports: Known<Vec<PortRange>>,
    pub destination_ports: Known<Vec<PortRange>>,
    pub sources: Known<Vec<AddressMatch>>,
    pub destinations: Known<Vec<AddressMatch>>,
}

impl SecurityRule {
    pub fn display_name(&self) -> String {
        match &self.name {
            Known::Known(n) => n.clone(),
            _ => "(unnamed rule)".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Nsg {
    pub meta: Meta,
    /// Custom rules (inline and separate rule resources). Default rules are not stored; the
    /// evaluator adds them. `Unknown` when the rule set is only known after apply.
    pub rules: Known<Vec<SecurityRule>>,
}

// ---------------------------------------------------------------- routing

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum NextHopType {
    VirtualNetworkGateway,
    VnetLocal,
    Internet,
    VirtualAppliance,
    None,
}

impl NextHopType {
    pub fn parse(s: &str) -> Option<NextHopType> {
        Some(match s.to_ascii_lowercase().as_str() {
            "virtualnetworkgateway" => NextHopType::VirtualNetworkGateway,
            "vnetlocal" => NextHopType::VnetLocal,
            "internet" => NextHopType::Internet,
            "virtualappliance" => NextHopType::VirtualAppliance,
            "none" => NextHopType::None,
            _ => return None,
        })
    }
    pub fn as_str(&self) -> &'static str {
        match self {
            NextHopType::VirtualNetworkGateway => "VirtualNetworkGateway",
            NextHopType::VnetLocal => "VnetLocal",
            NextHopType::Internet => "Internet",
            NextHopType::VirtualAppliance => "VirtualAppliance",
            NextHopType::None => "None",
        }
    }
}

/// Route address prefix: a CIDR or a service tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum RoutePrefix {
    Cidr(IpNet),
    Tag(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct Route {
    pub name: Known<String>,
    pub origin: Origin,
    pub prefix: Known<RoutePrefix>,
    pub next_hop_type: Known<NextHopType>,
    /// Only for `VirtualAppliance`.
    pub next_hop_ip: Option<IpValue>,
}

impl Route {
    pub fn display_name(&self) -> String {
        match &self.name {
            Known::Known(n) => n.clone(),
            _ => "(unnamed route)".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RouteTable {
    pub meta: Meta,
    pub routes: Known<Vec<Route>>,
    /// Whether gateway (BGP) routes propagate to associated subnets. Default true.
    pub bgp_route_propagation: Known<bool>,
}

// ---------------------------------------------------------------- NAT and public IPs

#[derive(Debug, Clone, Serialize)]
pub struct NatGateway {
    pub meta: Meta,
    pub public_ips: Vec<Ref>,
    pub public_ip_prefixes: Vec<Ref>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicIp {
    pub meta: Meta,
    pub ip: Known<IpAddr>,
    pub prefix: Known<Ref>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicIpPrefix {
    pub meta: Meta,
    pub prefix: Known<IpNet>,
}

// ---------------------------------------------------------------- firewalls

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FwAction {
    Allow,
    Deny,
    Dnat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RuleCollectionKind {
    Application,
    Network,
    Nat,
}

/// Application rule protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AppProtocol {
    Http,
    Https,
    Mssql,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppProtocolPort {
    /// `Err(text)` keeps an unrecognised protocol name (a typo matches nothing in Azure).
    pub protocol: Result<AppProtocol, String>,
    pub port: u16,
}

/// Network rule protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum NetProtocol {
    Any,
    Tcp,
    Udp,
    Icmp,
    /// Unrecognised value, kept as written.
    Other(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct ApplicationRule {
    pub name: Known<String>,
    pub origin: Origin,
    pub protocols: Vec<AppProtocolPort>,
    pub source_addresses: Vec<AddressMatch>,
    pub source_ip_groups: Vec<Ref>,
    pub target_fqdns: Vec<String>,
    pub fqdn_tags: Vec<String>,
    /// Where each of `fqdn_tags` is written, when the input says (else: the rule's origin).
    #[serde(skip)]
    pub fqdn_tag_origins: Vec<Origin>,
    pub destination_addresses: Vec<AddressMatch>,
    pub web_categories: Vec<String>,
    /// Premium URL targets (`destination_urls`).
    pub target_urls: Vec<String>,
    pub terminate_tls: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct NetworkRule {
    pub name: Known<String>,
    pub origin: Origin,
    pub protocols: Vec<NetProtocol>,
    pub source_addresses: Vec<AddressMatch>,
    pub source_ip_groups: Vec<Ref>,
    /// IPs, CIDRs, service tags or `*`.
    pub destination_addresses: Vec<AddressMatch>,
    pub destination_ip_groups: Vec<Ref>,
    pub destination_fqdns: Vec<String>,
    pub destination_ports: Vec<PortRange>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NatRule {
    pub name: Known<String>,
    pub origin: Origin,
    pub protocols: Vec<NetProtocol>,
    pub source_addresses: Vec<AddressMatch>,
    pub destination_addresses: Vec<String>,
    pub destination_ports: Vec<PortRange>,
    pub translated_address: Option<String>,
    pub translated_port: Option<u16>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FirewallRule {
    Application(ApplicationRule),
    Network(NetworkRule),
    Nat(NatRule),
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleCollection {
    pub name: Known<String>,
    pub origin: Origin,
    pub kind: RuleCollectionKind,
    pub priority: Known<u32>,
    pub action: Known<FwAction>,
    pub rules: Vec<FirewallRule>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Firewall {
    pub meta: Meta,
    /// The `AzureFirewallSubnet` (absent for a virtual hub firewall).
    pub subnet: Known<Ref>,
    pub private_ip: Known<IpAddr>,
    pub public_ips: Vec<Ref>,
    /// `Absent`: classic rules on the firewall itself.
    pub policy: Known<Ref>,
    /// Classic DNS proxy setting (policies carry their own).
    pub dns_proxy: Known<bool>,
    pub dns_servers: Vec<String>,
    pub threat_intel_mode: Known<String>,
    pub sku_tier: Known<String>,
    /// Classic rule collections (inline and separate collection resources).
    pub collections: Vec<RuleCollection>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FirewallPolicy {
    pub meta: Meta,
    pub base_policy: Known<Ref>,
    pub dns_proxy: Known<bool>,
    pub dns_servers: Vec<String>,
    pub threat_intel_mode: Known<String>,
    pub sku_tier: Known<String>,
    /// The rule collection groups the policy says it has (ARM `ruleCollectionGroups`, the
    /// azurerm data source's `rule_collection_groups`). A listed group that is not in the model
    /// makes the policy's decisions unknown. `Absent`: the input does not list them (a
    /// Terraform resource; its groups are separate resources).
    pub rule_collection_groups: Known<Vec<Ref>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleCollectionGroup {
    pub meta: Meta,
    pub policy: Known<Ref>,
    pub priority: Known<u32>,
    pub collections: Vec<RuleCollection>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IpGroup {
    pub meta: Meta,
    pub cidrs: Known<Vec<AddressMatch>>,
}

// ---------------------------------------------------------------- DNS

#[derive(Debug, Clone, Serialize)]
pub struct PrivateDnsZone {
    pub meta: Meta,
}

#[derive(Debug, Clone, Serialize)]
pub struct DnsZoneLink {
    pub meta: Meta,
    pub zone: Known<Ref>,
    /// Zone name when the link names the zone by name (azurerm 4.x `private_dns_zone_name`).
    pub zone_name: Known<String>,
    pub vnet: Known<Ref>,
    pub registration_enabled: Known<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DnsResolverInboundEndpoint {
    pub meta: Meta,
    /// The VNet of the resolver (resolution happens from there).
    pub vnet: Known<Ref>,
    pub subnet: Known<Ref>,
    pub ip: Known<IpAddr>,
}

// ---------------------------------------------------------------- identities and roles

/// A user-assigned managed identity.
#[derive(Debug, Clone, Serialize)]
pub struct ManagedIdentity {
    pub meta: Meta,
    /// The service principal's object id (known once the identity exists).
    pub principal_id: Known<String>,
}

/// Whom a role assignment is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Principal {
    /// A managed identity of the model.
    Identity(Ref),
    /// The system-assigned identity of a cluster of the model.
    ClusterIdentity(Ref),
    /// An object id.
    Id(String),
}

/// An Azure RBAC role assignment.
#[derive(Debug, Clone, Serialize)]
pub struct RoleAssignment {
    pub meta: Meta,
    /// The scope: an element of the model, or a resource / resource group / subscription id.
    pub scope: Known<Ref>,
    /// The role's name (`Private DNS Zone Contributor`), or its definition id.
    pub role: Known<String>,
    pub principal: Known<Principal>,
}

// ---------------------------------------------------------------- input notes

/// A loader's remark: an unresolved reference, an unsupported construct, a partial plan.
#[derive(Debug, Clone, Serialize)]
pub struct InputNote {
    /// Rule code (`INP001`...).
    pub code: &'static str,
    pub message: String,
    pub origin: Origin,
}

// ---------------------------------------------------------------- waivers

/// A calendar date (`expires = 2027-03-31`), compared as (year, month, day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Which findings a waiver applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WaiverScope {
    /// Findings that match these attributes (a `[[waiver]]` entry of the config file). `None`
    /// matches anything; `resource` is a resource address or Azure id and may hold `*` globs.
    Match {
        resource: Option<String>,
        endpoint: Option<String>,
        node_pool: Option<String>,
    },
    /// Findings located inside this span of a source file (an inline comment above or on a block
    /// or attribute of a `.tf` file): the origin's `loc` is the block's or attribute's span.
    Located { at: Origin },
}

/// An accepted finding: the rules it waives, where, why and until when. Waivers are input data
/// (config files, source comments); they are applied to a report after the analyses ran, so an
/// analysis never sees them.
#[derive(Debug, Clone, Serialize)]
pub struct Waiver {
    /// Rule ids (`NSG001`); never empty.
    pub rules: Vec<String>,
    pub scope: WaiverScope,
    /// Mandatory justification.
    pub reason: String,
    pub expires: Option<Date>,
    /// Where the waiver is written (the TOML entry or the comment).
    pub origin: Origin,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpu_sizes() {
        assert!(NodePool::is_gpu_size("Standard_NC6s_v3"));
        assert!(NodePool::is_gpu_size("standard_nd96asr_v4"));
        assert!(!NodePool::is_gpu_size("Standard_D4s_v5"));
        assert!(!NodePool::is_gpu_size("Standard_E8as_v5"));
    }

    #[test]
    fn proxy_credentials_are_removed() {
        let strip = HttpProxy::strip_credentials;
        assert_eq!(
            strip("http://user:s3cret@proxy.corp:3128/"),
            "http://proxy.corp:3128/"
        );
        assert_eq!(strip("proxy.corp:3128"), "proxy.corp:3128");
        assert_eq!(strip("https://a@b@proxy:1"), "https://proxy:1");
    }
}
