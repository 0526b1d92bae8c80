//! `check --cluster <id>`: one existing cluster, checked as a whole (every node pool, each in
//! its own subnet), taken from the inputs (`az aks show -o json` output, ARM REST responses,
//! snapshots) or read live: with `--live`, or without INPUT files, the managed cluster GET, its
//! agent pools, and everything behind their subnets.

use super::args::InputArgs;
use super::commands::{Loaded, load_for_more};
use crate::error::Error;
use crate::input::azure;
use crate::model::{Model, ResourceId};

/// Load the inputs of `check --cluster id`: the files, and with `--live` or without files the
/// cluster (when the files do not hold it) and what it refers to, read live.
pub fn load(input: &InputArgs, id: &str, json: bool) -> Result<Loaded, i32> {
    let schema = crate::report::json::SCHEMA;
    let live = input.live.live || input.inputs.is_empty();
    if !live {
        return super::commands::load_for(input, json, schema);
    }
    let want = match cluster_id(id) {
        Ok(w) => w,
        Err(e) => {
            super::commands::print_error(&e);
            return Err(2);
        }
    };
    // the live read is this one (the cluster first), not --live's in load_more
    let mut files = input.clone();
    files.live.live = false;
    load_for_more(&files, json, schema, |sources, existing, planned| {
        let held = existing
            .clusters
            .iter()
            .chain(&planned.clusters)
            .any(|c| c.meta.id.as_ref() == Some(&want));
        let opts = input.live.options(super::live::cloud_of(input.cloud));
        let seeds = if held { vec![] } else { vec![want.clone()] };
        let read =
            azure::Connection::open(&opts)?.read(&seeds, planned, existing, sources, &opts)?;
        let found = read
            .model
            .clusters
            .iter()
            .any(|c| c.meta.id.as_ref() == Some(&want));
        if !held && !found {
            // the failed read says why (403, 404, timeout)
            let why = read
                .model
                .input_notes
                .iter()
                .find(|n| n.code.starts_with("LIV") && n.message.contains(want.name()))
                .map(|n| n.message.clone())
                .unwrap_or_else(|| format!("cluster {want} was not read"));
            return Err(Error::Unsupported {
                message: why,
                help: Some(format!(
                    "check the id (`az aks show --ids {want} --query id`), or give the cluster \
                     as a file: `az aks show -g {} -n {} -o json > cluster.json`",
                    crate::input::arm::resource_group_of(want.as_str()).unwrap_or_default(),
                    want.name()
                )),
            });
        }
        existing.merge(read.model);
        Ok(())
    })
}

/// A cluster resource id, or a usage error.
fn cluster_id(id: &str) -> Result<ResourceId, Error> {
    let want = ResourceId::new(id.trim());
    if !ResourceId::looks_like_id(&want.key()) {
        return Err(Error::Usage(format!(
            "--cluster {id} is not a cluster resource id (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ContainerService/managedClusters/<name>)"
        )));
    }
    Ok(want)
}

/// Keep only the cluster `id` in the model (the report is about it alone); an error naming the
/// clusters the inputs hold when it is not among them.
pub fn select(model: &mut Model, id: &str) -> Result<(), Error> {
    let want = cluster_id(id)?;
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
