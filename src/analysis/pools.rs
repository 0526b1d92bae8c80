//! The node pools of one cluster together: AKS requires every pool's subnet to belong to the
//! same virtual network ("All subnets assigned to node pools must belong to the same virtual
//! network (VNet)", learn.microsoft.com/azure/aks/node-pool-unique-subnet); a pool in another
//! VNet is rejected when it is added (AZC002).

use super::{Ctx, registry};
use crate::model::{Cluster, Known, NodePool, Ref};
use crate::report::Finding;

/// The VNet of a pool's subnet: the subnet element's VNet, else the parent of a subnet id.
fn vnet_of(ctx: &Ctx<'_>, pool: &NodePool) -> Option<(String, String)> {
    let Known::Known(r) = &pool.subnet else {
        return None;
    };
    if let Some(s) = ctx.model.subnet(r) {
        if let Some(v) = ctx.model.subnet_vnet(s) {
            let key = v.meta.id.as_ref().map_or(v.meta.key.clone(), |i| i.key());
            return Some((key, v.meta.address().to_string()));
        }
        if let Known::Known(Ref::Id(id)) = &s.vnet {
            return Some((id.key(), crate::input::arm::short_address(id.as_str())));
        }
    }
    match r {
        Ref::Id(id) => id
            .parent()
            .map(|p| (p.key(), crate::input::arm::short_address(p.as_str()))),
        Ref::Key(_) => None,
    }
}

pub fn check(ctx: &Ctx<'_>, cluster: &Cluster, out: &mut Vec<Finding>) {
    let pools: Vec<(&NodePool, (String, String))> = cluster
        .node_pools
        .iter()
        .filter_map(|p| vnet_of(ctx, p).map(|v| (p, v)))
        .collect();
    // the cluster's VNet: that of its first pool (the system pool AKS created it with)
    let Some((first, (first_key, first_vnet))) = pools.first() else {
        return;
    };
    for (pool, (key, vnet)) in &pools[1..] {
        if key == first_key {
            continue;
        }
        out.push(
            Finding::new(
                "AZC002",
                registry::severity("AZC002"),
                format!(
                    "node pool \"{}\" is in virtual network {vnet}, node pool \"{}\" of {} in {first_vnet}: AKS rejects a node pool whose subnet is in another virtual network",
                    pool.display_name(),
                    first.display_name(),
                    cluster.meta.address()
                ),
            )
            .at_pool(cluster.meta.address(), &pool.display_name())
            .primary(&pool.subnet_origin, format!("a subnet of {vnet}"))
            .secondary(&first.subnet_origin, format!("the cluster's pools are in {first_vnet}"))
            .help(registry::fix("AZC002")),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{Cluster, Known, Lifecycle, Meta, Model, NodePool, OsType, Ref};

    fn pool(name: &str, subnet: &str) -> NodePool {
        NodePool {
            key: name.into(),
            name: Known::Known(name.into()),
            origin: Default::default(),
            subnet: Known::Known(Ref::id(subnet)),
            subnet_origin: Default::default(),
            os_type: Known::Known(OsType::Linux),
            vm_size: Known::Absent,
            gpu: false,
            node_public_ip: Known::Known(false),
            mode: Known::Absent,
            lifecycle: Lifecycle::Existing,
        }
    }

    fn findings(pools: Vec<NodePool>) -> Vec<crate::report::Finding> {
        let mut c = Cluster::unknown(Meta::new("c", Default::default()), "test");
        c.node_pools = pools;
        let model = Model::new();
        let catalogue = crate::policy::catalogue::Catalogue::default();
        let config = crate::policy::config::Config::default();
        let options = Default::default();
        let ctx = super::Ctx {
            model: &model,
            catalogue: &catalogue,
            config: &config,
            options: &options,
        };
        let mut out = vec![];
        super::check(&ctx, &c, &mut out);
        out
    }

    const A: &str =
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/a/subnets/";
    const B: &str =
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/b/subnets/";

    #[test]
    fn pools_in_one_vnet_pass_another_vnet_fails() {
        let same = findings(vec![
            pool("sys", &format!("{A}one")),
            pool("np2", &format!("{A}TWO")),
        ]);
        assert!(same.is_empty());
        let other = findings(vec![
            pool("sys", &format!("{A}one")),
            pool("np2", &format!("{B}two")),
        ]);
        assert_eq!(other.len(), 1);
        assert_eq!(other[0].rule, "AZC002");
        assert_eq!(other[0].node_pool.as_deref(), Some("np2"));
        // pools without a subnet of their own are not compared
        let mut managed = pool("sys", "x");
        managed.subnet = Known::Absent;
        assert!(findings(vec![managed, pool("np2", &format!("{B}two"))]).is_empty());
    }
}
