//! Configuration errors Azure rejects at deployment, on the resources node pools depend on:
//! two NSG rules with one priority and direction (NSG002), two routes with one address prefix
//! (RTE006, `RouteConflict`). A rejected NSG or route table leaves the subnet in its previous
//! state, so what was checked is not what will be there.

use super::{Ctx, registry};
use crate::eval::nsg::duplicate_priorities;
use crate::model::{Known, RoutePrefix};
use crate::report::Finding;

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let model = ctx.model;
    let mut nsgs = vec![];
    let mut tables = vec![];
    for s in super::node_subnets(model) {
        if let Some(n) = s.nsg.known().and_then(|r| model.nsg(r)) {
            if !nsgs.contains(&n.meta.key) {
                nsgs.push(n.meta.key.clone());
            }
        }
        if let Some(t) = s.route_table.known().and_then(|r| model.route_table(r)) {
            if !tables.contains(&t.meta.key) {
                tables.push(t.meta.key.clone());
            }
        }
    }
    for nsg in model.nsgs.iter().filter(|n| nsgs.contains(&n.meta.key)) {
        for d in duplicate_priorities(nsg) {
            let names: Vec<String> = d.rules.iter().map(|(n, _)| format!("\"{n}\"")).collect();
            let mut f = Finding::new(
                "NSG002",
                registry::severity("NSG002"),
                format!(
                    "NSG {} has {} {:?} rules with priority {}: {}; Azure rejects the NSG",
                    nsg.meta.address(),
                    d.rules.len(),
                    d.direction,
                    d.priority,
                    names.join(", ")
                ),
            )
            .help(registry::fix("NSG002"));
            for (i, (n, o)) in d.rules.iter().enumerate() {
                f = if i == 0 {
                    f.primary(o, format!("priority {} ({n})", d.priority))
                } else {
                    f.secondary(o, format!("same priority ({n})"))
                };
            }
            out.push(f);
        }
    }
    for rt in model
        .route_tables
        .iter()
        .filter(|t| tables.contains(&t.meta.key))
    {
        let Known::Known(routes) = &rt.routes else {
            continue;
        };
        // routes by prefix; within a prefix by name (routes are a set: input order means nothing)
        let mut by_prefix: std::collections::BTreeMap<String, Vec<&crate::model::Route>> =
            Default::default();
        for r in routes {
            let key = match &r.prefix {
                Known::Known(RoutePrefix::Cidr(n)) => n.trunc().to_string(),
                Known::Known(RoutePrefix::Tag(t)) => t.to_ascii_lowercase(),
                _ => continue,
            };
            by_prefix.entry(key).or_default().push(r);
        }
        for (key, mut same) in by_prefix {
            same.sort_by_key(|r| r.display_name());
            let Some((a, rest)) = same.split_first() else {
                continue;
            };
            for r in rest {
                out.push(
                    Finding::new(
                        "RTE006",
                        registry::severity("RTE006"),
                        format!(
                            "routes \"{}\" and \"{}\" of {} have the same address prefix {key}; Azure rejects the route table (RouteConflict)",
                            a.display_name(),
                            r.display_name(),
                            rt.meta.address()
                        ),
                    )
                    .primary(&r.origin, format!("same prefix as route \"{}\"", a.display_name()))
                    .secondary(&a.origin, "route with this prefix")
                    .help(registry::fix("RTE006")),
                );
            }
        }
    }
}
