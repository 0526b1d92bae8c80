//! The normalized network model.
//!
//! Every input (Terraform plan JSON today; HCL, ARM/Bicep, live Azure and `az` snapshots later)
//! fills this one model. *Invariants:* no format knowledge here (no azurerm or ARM attribute names,
//! no `serde_json::Value`); every element has an [`Origin`]; values that are not decided yet are
//! [`Known::Unknown`] with a reason; links between elements are [`Ref`]s resolved by [`Model`].

pub mod ids;
pub mod known;
mod layers;
mod types;

pub use ids::{Ref, ResourceId};
pub use known::Known;
pub use types::*;

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

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
    pub identities: Vec<ManagedIdentity>,
    pub role_assignments: Vec<RoleAssignment>,
    /// Notes from loaders (unresolved references, unsupported constructs, partial plans).
    pub input_notes: Vec<InputNote>,
    /// Waivers written in the inputs themselves (inline source comments); config-file waivers
    /// are added by the CLI. Applied to the report, never seen by analyses.
    pub waivers: Vec<Waiver>,
    /// Resources the input deletes or replaces (a plan's `delete` actions, by their ids before
    /// the change): an existing resource with one of these ids is gone ([`Model::layered`]).
    pub deleted: Vec<ResourceId>,
    index: Index,
    derived: Derived,
}

/// Data that evaluators derive from the finished model and reuse across flows (a firewall's
/// processing order and per-destination rule matches). Built on first use after [`Model::finish`];
/// dropped by `finish`, `merge` and `clone` (a changed copy derives its own).
#[derive(Default)]
struct Derived {
    slots: Mutex<HashMap<(&'static str, usize), DerivedValue>>,
}

type DerivedValue = Arc<dyn Any + Send + Sync>;

impl Clone for Derived {
    fn clone(&self) -> Self {
        Derived::default()
    }
}

impl std::fmt::Debug for Derived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Derived")
    }
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
    Identity,
    RoleAssignment,
}

macro_rules! lookups {
    ($($fn:ident, $field:ident, $ty:ty, $kind:ident;)*) => {
        impl Model {
            fn index_all(&mut self) {
                let mut by_key = HashMap::new();
                $(
                    for (i, e) in self.$field.iter().enumerate() {
                        by_key.entry(e.meta.key.clone()).or_insert((Kind::$kind, i));
                        for a in &e.meta.aliases {
                            by_key.entry(a.clone()).or_insert((Kind::$kind, i));
                        }
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
                    if self.index.built {
                        let k = r.lookup_key();
                        match self.index.by_key.get(&*k) {
                            Some((Kind::$kind, i)) => return self.$field.get(*i),
                            _ => {}
                        }
                        // keys may also be ids in lower case
                        if k.bytes().any(|b| b.is_ascii_uppercase()) {
                            if let Some((Kind::$kind, i)) = self.index.by_key.get(&k.to_ascii_lowercase()) {
                                return self.$field.get(*i);
                            }
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
    identity, identities, ManagedIdentity, Identity;
    role_assignment, role_assignments, RoleAssignment, RoleAssignment;
}

/// Add `items` to `list`; an item replaces the first element of `list` that is the same
/// resource (same key, or same resource ID: [`Meta::same_resource`]), in order. Positions are
/// found through hash maps (by key, by lower-cased ID), not by scanning `list` per item.
fn merge_list<T>(list: &mut Vec<T>, items: Vec<T>, meta: impl Fn(&T) -> &Meta) {
    use std::collections::BTreeSet;
    type Positions = HashMap<String, BTreeSet<usize>>;
    fn add(by_key: &mut Positions, by_id: &mut Positions, m: &Meta, i: usize) {
        by_key.entry(m.key.clone()).or_default().insert(i);
        if let Some(id) = &m.id {
            by_id.entry(id.key()).or_default().insert(i);
        }
    }
    fn remove(by_key: &mut Positions, by_id: &mut Positions, m: &Meta, i: usize) {
        if let Some(s) = by_key.get_mut(&m.key) {
            s.remove(&i);
        }
        if let Some(s) = m.id.as_ref().and_then(|id| by_id.get_mut(&id.key())) {
            s.remove(&i);
        }
    }
    let mut by_key = Positions::new();
    let mut by_id = Positions::new();
    for (i, e) in list.iter().enumerate() {
        add(&mut by_key, &mut by_id, meta(e), i);
    }
    // Ids match only elements that were here before this merge and were not replaced by it: two
    // elements of one input never replace each other by id (a VNet's refreshed inline copy of
    // a subnet has the same Azure id as the subnet resource itself).
    let before = list.len();
    let mut fresh: std::collections::HashSet<usize> = std::collections::HashSet::new();
    for e in items {
        let m = meta(&e);
        let same_key = by_key.get(&m.key).and_then(|s| s.first().copied());
        let same_id =
            m.id.as_ref()
                .and_then(|id| by_id.get(&id.key()))
                .and_then(|s| {
                    s.iter()
                        .copied()
                        .find(|p| *p < before && !fresh.contains(p))
                });
        let pos = match (same_key, same_id) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match pos.filter(|&p| p < list.len()) {
            Some(p) => {
                remove(&mut by_key, &mut by_id, meta(&list[p]), p);
                add(&mut by_key, &mut by_id, m, p);
                fresh.insert(p);
                list[p] = e;
            }
            None => {
                add(&mut by_key, &mut by_id, m, list.len());
                fresh.insert(list.len());
                list.push(e);
            }
        }
    }
}

/// The position of `item` in `items` when it is one of the slice's elements (the same object,
/// not an equal one); constant time.
pub fn element_index<T>(items: &[T], item: &T) -> Option<usize> {
    let size = std::mem::size_of::<T>();
    if size == 0 {
        return None;
    }
    let offset = (item as *const T as usize).wrapping_sub(items.as_ptr() as usize);
    let i = offset / size;
    (offset % size == 0 && items.get(i).is_some_and(|x| std::ptr::eq(x, item))).then_some(i)
}

impl Model {
    pub fn new() -> Self {
        Self::default()
    }

    /// Build the lookup index. Call after loading (and after merging several inputs); lookups
    /// still work without it, by linear scan.
    pub fn finish(&mut self) {
        self.index_all();
        self.derived = Derived::default();
    }

    /// Data derived from element `idx` of some kind (`kind` names the slot, e.g. `"firewall"`),
    /// built by `build` on first use and shared afterwards. `None` before [`Model::finish`] (and
    /// after `merge`): the caller then builds it for one use. Like the lookup index, derived data
    /// reflects the model as it was at `finish`: call `finish` again after changing elements.
    pub fn derived<T: Any + Send + Sync>(
        &self,
        kind: &'static str,
        idx: usize,
        build: impl FnOnce() -> T,
    ) -> Option<Arc<T>> {
        if !self.index.built {
            return None;
        }
        let key = (kind, idx);
        let found = self
            .derived
            .slots
            .lock()
            .ok()
            .and_then(|m| m.get(&key).cloned());
        if let Some(v) = found.and_then(|v| v.downcast::<T>().ok()) {
            return Some(v);
        }
        // built outside the lock: `build` may itself use derived data
        let v = Arc::new(build());
        if let Ok(mut m) = self.derived.slots.lock() {
            m.entry(key).or_insert_with(|| v.clone());
        }
        Some(v)
    }

    /// Merge another model into this one. Elements whose key or id already exists are replaced by
    /// `other`'s (later inputs overlay earlier ones: a plan over a live snapshot).
    pub fn merge(&mut self, other: Model) {
        if self.is_empty() {
            *self = other;
            self.index = Index::default();
            self.derived = Derived::default();
            return;
        }
        macro_rules! merge_field {
            ($($f:ident),*) => {$(
                merge_list(&mut self.$f, other.$f, |e| &e.meta);
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
            dns_resolver_inbound_endpoints,
            identities,
            role_assignments
        );
        self.input_notes.extend(other.input_notes);
        self.waivers.extend(other.waivers);
        self.deleted.extend(other.deleted);
        self.index = Index::default();
        self.derived = Derived::default();
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
            && self.identities.is_empty()
            && self.role_assignments.is_empty()
            && self.input_notes.is_empty()
            && self.waivers.is_empty()
            && self.deleted.is_empty()
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

    fn pip(key: &str, id: Option<&str>, ip: &str) -> PublicIp {
        let mut meta = Meta::new(key, Origin::none());
        meta.id = id.map(ResourceId::new);
        PublicIp {
            meta,
            ip: Known::Known(ip.parse().unwrap()),
            prefix: Known::Absent,
        }
    }

    fn ips(m: &Model) -> Vec<(String, String)> {
        m.public_ips
            .iter()
            .map(|p| (p.meta.key.clone(), p.ip.known().unwrap().to_string()))
            .collect()
    }

    #[test]
    fn merge_replaces_the_same_resource_by_key_or_id() {
        let id =
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/publicIPAddresses/a";
        let mut base = Model::new();
        base.public_ips.push(pip("live-a", Some(id), "1.1.1.1"));
        base.public_ips
            .push(pip("azurerm_public_ip.b", None, "2.2.2.2"));
        base.finish();
        let mut plan = Model::new();
        // same id in other case: replaces live-a in place
        plan.public_ips.push(pip(
            "azurerm_public_ip.a",
            Some(&id.to_uppercase()),
            "3.3.3.3",
        ));
        // same key: replaces b
        plan.public_ips
            .push(pip("azurerm_public_ip.b", None, "4.4.4.4"));
        // new, then the same key again within the same input: the later one wins
        plan.public_ips
            .push(pip("azurerm_public_ip.c", None, "5.5.5.5"));
        plan.public_ips
            .push(pip("azurerm_public_ip.c", None, "6.6.6.6"));
        base.merge(plan);
        assert_eq!(
            ips(&base),
            vec![
                ("azurerm_public_ip.a".into(), "3.3.3.3".into()),
                ("azurerm_public_ip.b".into(), "4.4.4.4".into()),
                ("azurerm_public_ip.c".into(), "6.6.6.6".into()),
            ]
        );
        // a replaced element no longer answers to its old key
        let mut more = Model::new();
        more.public_ips.push(pip("live-a", None, "7.7.7.7"));
        base.merge(more);
        assert_eq!(ips(&base).len(), 4);
        assert_eq!(ips(&base)[3], ("live-a".into(), "7.7.7.7".into()));
        base.finish();
        assert!(base.public_ip(&Ref::id(id)).is_some());
    }

    #[test]
    fn derived_data_is_shared_until_finish() {
        let mut m = Model::new();
        assert!(m.derived("x", 0, || 1u32).is_none(), "not before finish");
        m.finish();
        let a = m.derived("x", 0, || 1u32).unwrap();
        let b = m.derived("x", 0, || 2u32).unwrap();
        assert_eq!((*a, *b), (1, 1));
        assert!(m.clone().derived("x", 0, || 3u32).is_some_and(|v| *v == 3));
        m.finish();
        assert_eq!(*m.derived("x", 0, || 4u32).unwrap(), 4);
    }

    #[test]
    fn element_index_is_by_identity() {
        let v = vec![1u64, 2, 3];
        let other = 2u64;
        assert_eq!(element_index(&v, &v[2]), Some(2));
        assert_eq!(element_index(&v, &other), None);
    }
}
