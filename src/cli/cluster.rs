//! `check --cluster <id>`: one existing cluster, checked as a whole (every node pool, each in
//! its own subnet), taken from the inputs (`az aks show -o json` output, ARM REST responses,
//! snapshots).

use crate::error::Error;
use crate::model::{Model, ResourceId};

/// Keep only the cluster `id` in the model (the report is about it alone); an error naming the
/// clusters the inputs hold when it is not among them.
pub fn select(model: &mut Model, id: &str) -> Result<(), Error> {
    let want = ResourceId::new(id.trim());
    if !ResourceId::looks_like_id(&want.key()) {
        return Err(Error::Usage(format!(
            "--cluster {id} is not a cluster resource id (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ContainerService/managedClusters/<name>)"
        )));
    }
    if !model
        .clusters
        .iter()
        .any(|c| c.meta.id.as_ref() == Some(&want))
    {
        let held: Vec<String> = model
            .clusters
            .iter()
            .map(|c| {
                c.meta
                    .id
                    .as_ref()
                    .map_or(c.meta.address().to_string(), |i| i.to_string())
            })
            .collect();
        let rg = crate::input::arm::resource_group_of(want.as_str()).unwrap_or_default();
        return Err(Error::Unsupported {
            message: format!(
                "cluster {want} is not in the inputs ({})",
                if held.is_empty() {
                    "they hold no cluster".to_string()
                } else {
                    format!("they hold {}", held.join(", "))
                }
            ),
            help: Some(format!(
                "give its definition: `az aks show -g {rg} -n {} -o json > cluster.json`, then `aks-preflight check --cluster {want} cluster.json <its network resources>`",
                want.name()
            )),
        });
    }
    model.clusters.retain(|c| c.meta.id.as_ref() == Some(&want));
    model.finish();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Cluster, Meta};

    fn cluster(id: &str) -> Cluster {
        let mut m = Meta::new(id.to_ascii_lowercase(), Default::default());
        m.id = Some(ResourceId::new(id));
        Cluster::unknown(m, "test")
    }

    #[test]
    fn selects_by_id_case_insensitively() {
        let a = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/a";
        let b = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/b";
        let mut m = Model::new();
        m.clusters = vec![cluster(a), cluster(b)];
        select(&mut m, &b.to_ascii_uppercase()).unwrap();
        assert_eq!(m.clusters.len(), 1);
        assert_eq!(m.clusters[0].meta.id.as_ref().unwrap().as_str(), b);
        let e = select(&mut m, a).unwrap_err().to_string();
        assert!(
            e.contains("is not in the inputs") && e.contains("managedClusters/b"),
            "{e}"
        );
        assert!(select(&mut m, "aks1").is_err());
    }
}
