//! The mapper's frame: resource identity (type, id, name, resource group, address, key), the
//! dispatch by resource type, and the second phase that attaches child resources (a separate
//! security rule, route or agent pool) to their parents.

use super::node::Node;
use super::{ArmResource, cluster, dns, firewall, network};
use crate::model::{
    InputNote, Known, Lifecycle, Meta, Model, NodePool, Ref, ResourceId, Route, SecurityRule,
};
use crate::source::Origin;
use std::collections::HashMap;

/// A child resource waiting for its parent element.
pub(crate) struct Child<T> {
    pub parent: ResourceId,
    pub item: T,
    pub origin: Origin,
    pub address: String,
}

/// Mapper state for one batch of resources.
#[derive(Default)]
pub(crate) struct Mapper {
    pub model: Model,
    pub rules: Vec<Child<SecurityRule>>,
    pub routes: Vec<Child<Route>>,
    pub pools: Vec<Child<NodePool>>,
}

/// One resource being mapped: its cursor and the identity every element built from it shares.
pub(crate) struct Res<'a> {
    pub node: Node<'a>,
    /// Identity, provenance and lifecycle for the element (clone it per element).
    pub meta: Meta,
}

impl Mapper {
    pub(crate) fn note(&mut self, code: &'static str, message: String, origin: Origin) {
        self.model.input_notes.push(InputNote {
            code,
            message,
            origin,
        });
    }
}

/// The resource type of an ARM resource: its `type`, else derived from its id
/// (`…/providers/Microsoft.Network/virtualNetworks/v/subnets/s` →
/// `Microsoft.Network/virtualNetworks/subnets`). Inline sub-resources of `az` output carry
/// `"type": null`.
pub fn resource_type(v: &serde_json::Value) -> Option<String> {
    if let Some(t) = v.get("type").and_then(|t| t.as_str()) {
        if t.contains('/') {
            return Some(t.to_string());
        }
    }
    v.get("id").and_then(|i| i.as_str()).and_then(type_from_id)
}

/// `Namespace/type[/childType…]` of a resource id.
pub fn type_from_id(id: &str) -> Option<String> {
    let segs = provider_segments(id)?;
    let (ns, rest) = segs.split_first()?;
    if rest.is_empty() || rest.len() % 2 != 0 {
        return None;
    }
    let types: Vec<&str> = rest.iter().step_by(2).copied().collect();
    Some(format!("{ns}/{}", types.join("/")))
}

/// The segments after the last `/providers/` of an id: namespace, then type/name pairs.
fn provider_segments(id: &str) -> Option<Vec<&str>> {
    let lower = id.to_ascii_lowercase();
    let at = lower.rfind("/providers/")?;
    Some(
        id[at + "/providers/".len()..]
            .split('/')
            .filter(|s| !s.is_empty())
            .collect(),
    )
}

/// The resource group named in an id.
pub fn resource_group_of(id: &str) -> Option<&str> {
    let mut it = id.split('/');
    while let Some(s) = it.next() {
        if s.eq_ignore_ascii_case("resourceGroups") {
            return it.next().filter(|g| !g.is_empty());
        }
    }
    None
}

/// The subscription named in an id.
pub fn subscription_of(id: &str) -> Option<&str> {
    let mut it = id.split('/');
    while let Some(s) = it.next() {
        if s.eq_ignore_ascii_case("subscriptions") {
            return it.next().filter(|g| !g.is_empty());
        }
    }
    None
}

/// How findings name an Azure resource: its id without the subscription and provider
/// namespace, `rg-hub/azureFirewalls/fw-hub`, `rg-spoke/virtualNetworks/vnet/subnets/nodes`.
pub fn short_address(id: &str) -> String {
    let Some(segs) = provider_segments(id) else {
        return id.to_string();
    };
    let tail = segs.get(1..).unwrap_or_default().join("/");
    match resource_group_of(id) {
        Some(rg) => format!("{rg}/{tail}"),
        None => tail,
    }
}

/// Lower-case type → mapper.
type MapFn = fn(&mut Mapper, &Res<'_>);

fn mapper_for(rtype: &str) -> Option<MapFn> {
    Some(match rtype {
        "microsoft.network/virtualnetworks" => network::vnet,
        "microsoft.network/virtualnetworks/subnets" => network::subnet,
        "microsoft.network/virtualnetworks/virtualnetworkpeerings" => network::peering,
        "microsoft.network/networksecuritygroups" => network::nsg,
        "microsoft.network/networksecuritygroups/securityrules" => network::security_rule,
        "microsoft.network/routetables" => network::route_table,
        "microsoft.network/routetables/routes" => network::route,
        "microsoft.network/natgateways" => network::nat_gateway,
        "microsoft.network/publicipaddresses" => network::public_ip,
        "microsoft.network/publicipprefixes" => network::public_ip_prefix,
        "microsoft.network/azurefirewalls" => firewall::firewall,
        "microsoft.network/firewallpolicies" => firewall::policy,
        "microsoft.network/firewallpolicies/rulecollectiongroups" => {
            firewall::rule_collection_group
        }
        "microsoft.network/ipgroups" => firewall::ip_group,
        "microsoft.network/privatednszones" => dns::zone,
        "microsoft.network/privatednszones/virtualnetworklinks" => dns::zone_link,
        "microsoft.network/dnsresolvers/inboundendpoints" => dns::inbound_endpoint,
        "microsoft.containerservice/managedclusters" => cluster::cluster,
        "microsoft.containerservice/managedclusters/agentpools" => cluster::agent_pool,
        _ => return None,
    })
}

/// Whether the mapper reads resources of this type (case-insensitive).
pub fn is_mapped_type(rtype: &str) -> bool {
    mapper_for(&rtype.to_ascii_lowercase()).is_some()
}

/// Map one resource; `false` when its type is not one the model holds.
pub(crate) fn map_one(m: &mut Mapper, r: &ArmResource) -> bool {
    let v = &r.value;
    let Some(rtype) = resource_type(v) else {
        return false;
    };
    let Some(f) = mapper_for(&rtype.to_ascii_lowercase()) else {
        return false;
    };
    let id = v
        .get("id")
        .and_then(|i| i.as_str())
        .filter(|s| ResourceId::looks_like_id(s))
        .map(ResourceId::new);
    let name = match &id {
        Some(id) => Known::Known(id.name().to_string()),
        None => match v.get("name") {
            Some(serde_json::Value::String(n)) => {
                // a template child resource is named `parent/child`
                Known::Known(n.rsplit('/').next().unwrap_or(n).to_string())
            }
            _ => Known::Absent,
        },
    };
    let address = match (&r.symbol, &id, &name) {
        (Some(s), _, _) => s.clone(),
        (None, Some(id), _) => short_address(id.as_str()),
        (None, None, Known::Known(n)) => format!("{rtype}/{n}"),
        (None, None, _) => rtype.clone(),
    };
    let key = match (&id, &r.symbol) {
        (Some(id), _) => id.key(),
        (None, Some(s)) => s.clone(),
        (None, None) => address.clone(),
    };
    let origin = r.origin.clone().with_address(address.clone());
    let mut meta = Meta::new(key, origin.clone());
    meta.resource_group = match id.as_ref().and_then(|i| resource_group_of(i.as_str())) {
        Some(g) => Known::Known(g.to_string()),
        None => match v.get("resourceGroup").and_then(|g| g.as_str()) {
            Some(g) => Known::Known(g.to_string()),
            None => Known::Absent,
        },
    };
    meta.id = id;
    meta.name = name;
    meta.location = match v.get("location").and_then(|l| l.as_str()) {
        Some(l) => Known::Known(l.to_string()),
        None => Known::Absent,
    };
    meta.lifecycle = r.lifecycle;
    let node = Node::root(v, &origin, &address);
    meta.lists_all_children = lists_all_children(&rtype, r.lifecycle, &node);
    let res = Res { node, meta };
    f(m, &res);
    true
}

/// Whether the inputs hold every child of this resource (see `Meta::lists_all_children`): what
/// the source creates, and an existing resource whose body lists the children (a VNet's
/// `virtualNetworkPeerings`, a policy's `ruleCollectionGroups` ids, a classic firewall's rule
/// collections). A private DNS zone's body does not list its links (only their number), so an
/// existing zone's links missing from the inputs prove nothing. What the body does not list may
/// be managed elsewhere, so its absence proves nothing.
fn lists_all_children(rtype: &str, lifecycle: Lifecycle, n: &Node<'_>) -> bool {
    match lifecycle {
        Lifecycle::Create | Lifecycle::Replace => return true,
        Lifecycle::Existing | Lifecycle::Update => {}
        Lifecycle::Read => return false,
    }
    let listed = |key: &str| matches!(n.prop(key).raw(), Some(serde_json::Value::Array(_)));
    match rtype.to_ascii_lowercase().as_str() {
        "microsoft.network/virtualnetworks" => listed("virtualNetworkPeerings"),
        "microsoft.network/firewallpolicies" => listed("ruleCollectionGroups"),
        "microsoft.network/azurefirewalls" => {
            listed("applicationRuleCollections") || listed("networkRuleCollections")
        }
        _ => false,
    }
}

impl Res<'_> {
    /// A reference to this resource: by id when known, else by key.
    pub(crate) fn self_ref(&self) -> Ref {
        match &self.meta.id {
            Some(id) => Ref::Id(id.clone()),
            None => Ref::Key(self.meta.key.clone()),
        }
    }

    /// The parent resource's id (`…/networkSecurityGroups/n` of a security rule).
    pub(crate) fn parent_id(&self) -> Option<ResourceId> {
        self.meta.id.as_ref().and_then(ResourceId::parent)
    }

    /// Identity of an element defined inline in this resource (a VNet's subnet): its own id
    /// when it has one, else `<this key>/<collection>/<name>`.
    pub(crate) fn inline_meta(&self, item: &Node<'_>, collection: &str) -> Meta {
        let id = item
            .get("id")
            .str()
            .into_known()
            .filter(|s| ResourceId::looks_like_id(s))
            .map(ResourceId::new);
        let name = item.get("name").str();
        let label = match &name {
            Known::Known(n) => n.clone(),
            _ => item.path.clone(),
        };
        let key = match &id {
            Some(id) => id.key(),
            None => format!("{}/{collection}/{label}", self.meta.key),
        };
        let address = match &id {
            Some(id) => short_address(id.as_str()),
            None => format!("{}/{collection}/{label}", self.meta.address()),
        };
        let mut meta = Meta::new(key, item.origin().with_address(address));
        meta.id = id;
        meta.name = name;
        meta.resource_group = self.meta.resource_group.clone();
        meta.location = self.meta.location.clone();
        meta.lifecycle = self.meta.lifecycle;
        meta
    }
}

/// Keep one element per key (the last one read wins, in the first one's place): a subnet read
/// inline with its VNet and again on its own is one subnet.
fn dedupe<T>(list: &mut Vec<T>, key: impl Fn(&T) -> &str) {
    let mut first: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<T> = Vec::with_capacity(list.len());
    for e in list.drain(..) {
        match first.get(key(&e)) {
            Some(&i) => out[i] = e,
            None => {
                first.insert(key(&e).to_string(), out.len());
                out.push(e);
            }
        }
    }
    *list = out;
}

/// Second phase: child resources into their parents, duplicates merged.
pub(crate) fn finish(mut m: Mapper) -> Model {
    macro_rules! dedupe_all {
        ($($f:ident),*) => {$( dedupe(&mut m.model.$f, |e| e.meta.key.as_str()); )*};
    }
    dedupe_all!(
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
    let missing = |what: &str, c_addr: &str, parent: &ResourceId| {
        format!(
            "{c_addr} belongs to {what} {}, which is not in this input; give the {what} itself \
             (its GET includes this child)",
            short_address(parent.as_str())
        )
    };
    for c in std::mem::take(&mut m.rules) {
        match m
            .model
            .nsgs
            .iter_mut()
            .find(|n| n.meta.id.as_ref() == Some(&c.parent))
        {
            Some(n) => {
                if let Known::Known(rules) = &mut n.rules {
                    let name = c.item.name.known().cloned();
                    rules.retain(|r| name.is_none() || r.name.known() != name.as_ref());
                    rules.push(c.item);
                }
            }
            None => {
                let msg = missing("network security group", &c.address, &c.parent);
                m.note("INP006", msg, c.origin);
            }
        }
    }
    for c in std::mem::take(&mut m.routes) {
        match m
            .model
            .route_tables
            .iter_mut()
            .find(|t| t.meta.id.as_ref() == Some(&c.parent))
        {
            Some(t) => {
                if let Known::Known(routes) = &mut t.routes {
                    let name = c.item.name.known().cloned();
                    routes.retain(|r| name.is_none() || r.name.known() != name.as_ref());
                    routes.push(c.item);
                }
            }
            None => {
                let msg = missing("route table", &c.address, &c.parent);
                m.note("INP006", msg, c.origin);
            }
        }
    }
    for c in std::mem::take(&mut m.pools) {
        let idx = match m
            .model
            .clusters
            .iter()
            .position(|k| k.meta.id.as_ref() == Some(&c.parent))
        {
            Some(i) => i,
            None => {
                let msg = format!(
                    "{} belongs to managed cluster {}, which is not in this input: the \
                     cluster's settings are unknown",
                    c.address,
                    short_address(c.parent.as_str())
                );
                m.note("INP006", msg, c.origin.clone());
                cluster::placeholder(&mut m.model, &c.parent, &c.origin)
            }
        };
        let pools = &mut m.model.clusters[idx].node_pools;
        match pools.iter().position(|p| p.name == c.item.name) {
            Some(i) => pools[i] = c.item,
            None => pools.push(c.item),
        }
    }
    m.model
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUBNET: &str = "/subscriptions/s1/resourceGroups/rg-spoke/providers/Microsoft.Network/virtualNetworks/vnet-spoke/subnets/nodes";

    #[test]
    fn ids_give_type_group_and_address() {
        assert_eq!(
            type_from_id(SUBNET).as_deref(),
            Some("Microsoft.Network/virtualNetworks/subnets")
        );
        assert_eq!(resource_group_of(SUBNET), Some("rg-spoke"));
        assert_eq!(subscription_of(SUBNET), Some("s1"));
        assert_eq!(
            short_address(SUBNET),
            "rg-spoke/virtualNetworks/vnet-spoke/subnets/nodes"
        );
        assert_eq!(type_from_id("/subscriptions/s1"), None);
        assert_eq!(
            type_from_id("/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/x"),
            None
        );
    }
}
