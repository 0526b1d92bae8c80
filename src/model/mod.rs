//! The normalized network model.
//!
//! Every input (Terraform plan JSON today; HCL, ARM/Bicep, live Azure and `az` snapshots later)
//! fills this one model. *Invariants:* no format knowledge here (no azurerm or ARM attribute names,
//! no `serde_json::Value`); every element has an [`Origin`]; values that are not decided yet are
//! [`Known::Unknown`] with a reason; links between elements are [`Ref`]s resolved by [`Model`].

pub mod ids;
pub mod known;
mod types;

pub use ids::{Ref, ResourceId};
pub use known::Known;
pub use types::*;

use std::collections::HashMap;

/// All network and cluster elements of one check run.
#[derive(Debug, Default, Clone)]
pub struct Model {
    pub clusters: Vec<Cluster>,
    pub vnets: Vec<VirtualNetwork>,
    pub subnets: Vec<Subnet>,
    pub nsgs: Vec<Nsg>,
    pub route_tables: Vec<RouteTable>,
    pub nat_gateways: Vec<NatGateway>,
    pub public_ips: Vec<PublicIp>,
    pub public_ip_prefixes: Vec<PublicIpPrefix>,
    pub peerings: Vec<Peering>,
    pub firewalls: Vec<Firewall>,
    pub firewall_policies: Vec<FirewallPolicy>,
    pub rule_collection_groups: Vec<RuleCollectionGroup>,
    pub ip_groups: Vec<IpGroup>,
    pub private_dns_zones: Vec<PrivateDnsZone>,
    pub dns_zone_links: Vec<DnsZoneLink>,
    pub dns_resolver_inbound_endpoints: Vec<DnsResolverInboundEndpoint>,
    /// Notes from loaders (unresolved references, unsupported constructs, partial plans).
    pub input_notes: Vec<InputNote>,
    index: Index,
}

#[derive(Debug, Default, Clone)]
struct Index {
    built: bool,
    by_key: HashMap<String, (Kind, usize)>,
}

/// Element kinds, for the lookup index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Cluster,
    Vnet,
    Subnet,
    Nsg,
    RouteTable,
    NatGateway,
    PublicIp,
    PublicIpPrefix,
    Peering,
    Firewall,
    FirewallPolicy,
    RuleCollectionGroup,
    IpGroup,
    PrivateDnsZone,
    DnsZoneLink,
    DnsResolverInboundEndpoint,
}

macro_rules! lookups {
    ($($fn:ident, $field:ident, $ty:ty, $kind:ident;)*) => {
        impl Model {
            fn index_all(&mut self) {
                let mut by_key = HashMap::new();
                $(
                    for (i, e) in self.$field.iter().enumerate() {
                        by_key.entry(e.meta.key.clone()).or_insert((Kind::$kind, i));
                        if let Some(id) = &e.meta.id {
                            by_key.entry(id.key()).or_insert((Kind::$kind, i));
                        }
                    }
                )*
                self.index = Index { built: true, by_key };
            }
            $(
                /// Resolve a reference to an element of this kind (`None`: not in the model).
                pub fn $fn(&self, r: &Ref) -> Option<&$ty> {
                    let k = match r {
                        Ref::Key(k) => k.clone(),
                        Ref::Id(id) => id.key(),
                    };
                    if self.index.built {
                        match self.index.by_key.get(&k) {
                            Some((Kind::$kind, i)) => return self.$field.get(*i),
                            _ => {}
                        }
                        // keys may also be ids in lower case
                        if let Some((Kind::$kind, i)) = self.index.by_key.get(&k.to_ascii_lowercase()) {
                            return self.$field.get(*i);
                        }
                        return None;
                    }
                    self.$field.iter().find(|e| e.meta.matches(r))
                }
            )*
        }
    };
}

lookups! {
    cluster, clusters, Cluster, Cluster;
    vnet, vnets, VirtualNetwork, Vnet;
    subnet, subnets, Subnet, Subnet;
    nsg, nsgs, Nsg, Nsg;
    route_table, route_tables, RouteTable, RouteTable;
    nat_gateway, nat_gateways, NatGateway, NatGateway;
    public_ip, public_ips, PublicIp, PublicIp;
    public_ip_prefix, public_ip_prefixes, PublicIpPrefix, PublicIpPrefix;
    peering, peerings, Peering, Peering;
    firewall, firewalls, Firewall, Firewall;
    firewall_policy, firewall_policies, FirewallPolicy, FirewallPolicy;
    rule_collection_group, rule_collection_groups, RuleCollectionGroup, RuleCollectionGroup;
    ip_group, ip_groups, IpGroup, IpGroup;
    private_dns_zone, private_dns_zones, PrivateDnsZone, PrivateDnsZone;
    dns_zone_link, dns_zone_links, DnsZoneLink, DnsZoneLink;
    dns_resolver_inbound_endpoint, dns_resolver_inbound_endpoints, DnsResolverInboundEndpoint, DnsResolverInboundEndpoint;
}

impl Model {
    pub fn new() -> Self {
        Self::default()
    }

    /// Build the lookup index. Call after loading (and after merging several inputs); lookups
    /// still work without it, by linear scan.
    pub fn finish(&mut self) {
        self.index_all();
    }

    /// Merge another model into this one. Elements whose key or id already exists are replaced by
    /// `other`'s (later inputs overlay earlier ones: a plan over a live snapshot).
    pub fn merge(&mut self, other: Model) {
        if self.is_empty() {
            *self = other;
            self.index = Index::default();
            return;
        }
        macro_rules! merge_field {
            ($($f:ident),*) => {$(
                // Match only against what was here before this merge: two elements of one
                // input never replace each other (a VNet's refreshed inline copy of a subnet
                // has the same Azure id as the subnet resource itself).
                let mut by_key: HashMap<String, usize> = HashMap::new();
                for (i, x) in self.$f.iter().enumerate() {
                    by_key.entry(format!("k:{}", x.meta.key)).or_insert(i);
                    if let Some(id) = &x.meta.id {
                        by_key.entry(format!("i:{}", id.key())).or_insert(i);
                    }
                }
                for e in other.$f {
                    let hit = by_key
                        .get(&format!("k:{}", e.meta.key))
                        .or_else(|| e.meta.id.as_ref().and_then(|id| by_key.get(&format!("i:{}", id.key()))))
                        .copied();
                    match hit {
                        Some(pos) => self.$f[pos] = e,
                        None => self.$f.push(e),
                    }
                }
            )*};
        }
        merge_field!(
            clusters,
            vnets,
            subnets,
            nsgs,
            route_tables,
            nat_gateways,
            public_ips,
            public_ip_prefixes,
            peerings,
            firewalls,
            firewall_policies,
            rule_collection_groups,
            ip_groups,
            private_dns_zones,
            dns_zone_links,
            dns_resolver_inbound_endpoints
        );
        self.input_notes.extend(other.input_notes);
        self.index = Index::default();
    }

    /// No elements and no notes.
    pub fn is_empty(&self) -> bool {
        self.clusters.is_empty()
            && self.vnets.is_empty()
            && self.subnets.is_empty()
            && self.nsgs.is_empty()
            && self.route_tables.is_empty()
            && self.nat_gateways.is_empty()
            && self.public_ips.is_empty()
            && self.public_ip_prefixes.is_empty()
            && self.peerings.is_empty()
            && self.firewalls.is_empty()
            && self.firewall_policies.is_empty()
            && self.rule_collection_groups.is_empty()
            && self.ip_groups.is_empty()
            && self.private_dns_zones.is_empty()
            && self.dns_zone_links.is_empty()
            && self.dns_resolver_inbound_endpoints.is_empty()
            && self.input_notes.is_empty()
    }

    /// The VNet a subnet belongs to.
    pub fn subnet_vnet(&self, subnet: &Subnet) -> Option<&VirtualNetwork> {
        subnet.vnet.known().and_then(|r| self.vnet(r))
    }

    /// Subnets of a VNet.
    pub fn vnet_subnets<'a>(
        &'a self,
        vnet: &'a VirtualNetwork,
    ) -> impl Iterator<Item = &'a Subnet> {
        self.subnets.iter().filter(move |s| {
            s.vnet
                .known()
                .map(|r| vnet.meta.matches(r))
                .unwrap_or(false)
        })
    }

    /// Peerings whose local side is `vnet`.
    pub fn peerings_of<'a>(
        &'a self,
        vnet: &'a VirtualNetwork,
    ) -> impl Iterator<Item = &'a Peering> {
        self.peerings.iter().filter(move |p| {
            p.local_vnet
                .known()
                .map(|r| vnet.meta.matches(r))
                .unwrap_or(false)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Origin;

    fn subnet(key: &str, id: Option<&str>) -> Subnet {
        let mut meta = Meta::new(key, Origin::none());
        meta.id = id.map(ResourceId::new);
        Subnet {
            meta,
            vnet: Known::Absent,
            prefixes: Known::Absent,
            nsg: Known::Absent,
            route_table: Known::Absent,
            nat_gateway: Known::Absent,
            default_outbound_access: Known::Absent,
            delegations: vec![],
            private_endpoint_network_policies: Known::Absent,
        }
    }

    /// r: a VNet's inline copy of a subnet shares the subnet resource's id; merging one input
    /// into an empty model must keep both (regression: the copy replaced the subnet).
    #[test]
    fn merge_never_collapses_elements_of_one_input() {
        let id = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/n";
        let mut one = Model::new();
        one.subnets.push(subnet("azurerm_subnet.nodes", Some(id)));
        one.subnets
            .push(subnet("azurerm_virtual_network.v/subnet/n", Some(id)));
        let mut m = Model::new();
        m.merge(one.clone());
        assert_eq!(m.subnets.len(), 2);
        // a second input with the same id overlays the first match
        let mut two = Model::new();
        two.subnets.push(subnet("live:n", Some(&id.to_uppercase())));
        let mut base = Model::new();
        base.subnets.push(subnet("x", None));
        base.merge(one);
        base.merge(two);
        assert_eq!(base.subnets.len(), 3);
        assert_eq!(base.subnets[1].meta.key, "live:n");
    }
}
