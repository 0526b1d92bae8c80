//! `az aks nodepool add`: the new pool, after az's checks, and its place in the existing
//! cluster read from the other inputs (live, or `az aks show` output in a snapshot file).
//!
//! Defaults: mode `User`, OS type `Linux` (az's defaults); without `--vnet-subnet-id` the pool
//! goes into the subnet of the cluster's existing pools when the cluster uses your own VNet
//! (on an AKS-managed VNet it goes into AKS's subnet).

use super::parse::CommandLine;
use super::validate::{self as v, AzError};
use super::{cli_origin, subscription_of};
use crate::model::{InputNote, Known, Lifecycle, Model, NodePool, OsType, Ref, ResourceId};
use crate::source::{FileId, Origin};

/// A node pool to add to an existing cluster.
#[derive(Debug, Clone)]
pub struct PoolAdd {
    pub resource_group: String,
    pub cluster_name: String,
    /// From `--subscription` (an id).
    pub subscription: Option<String>,
    /// The pool; its subnet is `Absent` when `--vnet-subnet-id` is not given (decided by
    /// [`PoolAdd::attach`]).
    pub pool: NodePool,
    /// `az aks nodepool add` in the command line.
    pub head: Origin,
    /// Notes about the command (unknown arguments, defaults).
    pub notes: Vec<InputNote>,
}

/// What went wrong when adding the pool to the cluster of the inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttachError {
    /// The cluster is not in the inputs.
    NoCluster(String),
    /// The cluster already has a pool of that name (az refuses).
    PoolExists(String),
}

impl PoolAdd {
    /// The cluster's resource id, when the subscription is known.
    pub fn cluster_id(&self) -> Option<ResourceId> {
        self.subscription.as_ref().map(|s| {
            ResourceId::new(format!(
                "/subscriptions/{s}/resourceGroups/{}/providers/Microsoft.ContainerService/managedClusters/{}",
                self.resource_group, self.cluster_name
            ))
        })
    }

    /// The cluster as written: `rg/managedClusters/name`.
    pub fn cluster_address(&self) -> String {
        format!(
            "{}/managedClusters/{}",
            self.resource_group, self.cluster_name
        )
    }

    /// Add the pool to its cluster in `model` (found by id, or by resource group and name), with
    /// the notes of the command. The model must be finished again afterwards.
    pub fn attach(&self, model: &mut Model) -> Result<(), AttachError> {
        let id = self.cluster_id();
        let pos = model.clusters.iter().position(|c| match (&id, &c.meta.id) {
            (Some(want), Some(have)) => want == have,
            _ => {
                c.meta
                    .name
                    .known()
                    .is_some_and(|n| n.eq_ignore_ascii_case(&self.cluster_name))
                    && c.meta
                        .resource_group
                        .known()
                        .is_some_and(|g| g.eq_ignore_ascii_case(&self.resource_group))
            }
        });
        let Some(pos) = pos else {
            return Err(AttachError::NoCluster(self.cluster_address()));
        };
        let cluster = &mut model.clusters[pos];
        let pname = self.pool.name.known().cloned().unwrap_or_default();
        if cluster.node_pools.iter().any(|p| {
            p.name
                .known()
                .is_some_and(|n| n.eq_ignore_ascii_case(&pname))
        }) {
            return Err(AttachError::PoolExists(pname));
        }
        let mut pool = self.pool.clone();
        pool.key = format!(
            "{}/agentpools/{}",
            cluster.meta.key,
            pname.to_ascii_lowercase()
        );
        let mut notes = self.notes.clone();
        if pool.subnet.is_absent() {
            // the subnet of the existing pools (your own VNet), else AKS's own
            if let Some(first) = cluster.node_pools.iter().find(|p| !p.subnet.is_absent()) {
                pool.subnet = first.subnet.clone();
                notes.push(InputNote {
                    code: "INP004",
                    message: format!(
                        "--vnet-subnet-id is not given: AKS puts node pool {pname} in the subnet of the cluster's node pool {} ({})",
                        first.display_name(),
                        match &first.subnet {
                            Known::Known(r) => crate::input::arm::short_address(&r.display()),
                            _ => "not known".into(),
                        }
                    ),
                    origin: self.head.clone(),
                });
            }
        }
        cluster.node_pools.push(pool);
        model.input_notes.extend(notes);
        Ok(())
    }
}

/// The pool of an `az aks nodepool add` command line (`file` holds its text).
pub fn build(cl: &CommandLine, file: FileId) -> Result<PoolAdd, AzError> {
    v::required(
        cl,
        &["--resource-group", "--cluster-name", "--nodepool-name"],
    )?;
    let name_arg = cl.get("--nodepool-name");
    if let Some(a) = name_arg {
        v::nodepool_name(a)?;
    }
    v::kubernetes_version(cl)?;
    for id in [
        "--vnet-subnet-id",
        "--pod-subnet-id",
        "--snapshot-id",
        "--ppg",
        "--host-group-id",
        "--crg-id",
        "--node-public-ip-prefix-id",
    ] {
        v::resource_id(cl, id)?;
    }
    v::int(cl, "--max-pods")?;
    v::int(cl, "--node-count")?;
    let os_type = match cl.value("--os-type") {
        None => Known::Known(OsType::Linux),
        Some(s) if s.eq_ignore_ascii_case("linux") => Known::Known(OsType::Linux),
        Some(s) if s.eq_ignore_ascii_case("windows") => Known::Known(OsType::Windows),
        Some(s) => Known::unknown(format!("--os-type {s} is neither Linux nor Windows")),
    };
    let windows = os_type == Known::Known(OsType::Windows);
    if let Some(a) = cl.get("--disable-windows-outbound-nat") {
        if !windows {
            return Err(AzError::at(
                a.span.clone(),
                "--disable-windows-outbound-nat can only be set for Windows nodepools",
            ));
        }
    }
    let pname = cl.value("--nodepool-name").unwrap_or_default().to_string();
    if windows && pname.chars().count() > 6 {
        return Err(AzError::at(
            name_arg.map(|a| a.span.clone()).unwrap_or(cl.head.clone()),
            "Windows agent pool name can not be longer than 6 characters.",
        ));
    }
    let rg = cl.value("--resource-group").unwrap_or_default().to_string();
    let cluster = cl.value("--cluster-name").unwrap_or_default().to_string();
    let address = format!("{rg}/managedClusters/{cluster}/agentPools/{pname}");
    let at = |span: std::ops::Range<usize>| cli_origin(file, &address, span);
    let arg_or_head = |n: &str| at(cl.get(n).map(|a| a.span.clone()).unwrap_or(cl.head.clone()));
    let vm_size: Known<String> = cl.value("--node-vm-size").map(str::to_string).into();
    let pool = NodePool {
        key: String::new(),
        name: Known::Known(pname.clone()),
        origin: arg_or_head("--nodepool-name"),
        subnet: cl
            .value("--vnet-subnet-id")
            .filter(|s| !s.is_empty())
            .map(Ref::id)
            .into(),
        subnet_origin: arg_or_head("--vnet-subnet-id"),
        os_type,
        gpu: vm_size.known().is_some_and(|s| NodePool::is_gpu_size(s)),
        vm_size,
        node_public_ip: Known::Known(cl.has("--enable-node-public-ip")),
        mode: Known::Known(
            cl.value("--mode")
                .map(|m| {
                    let mut c = m.chars();
                    c.next()
                        .map(|f| {
                            f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase()
                        })
                        .unwrap_or_default()
                })
                .unwrap_or_else(|| "User".into()),
        ),
        lifecycle: Lifecycle::Create,
    };
    Ok(PoolAdd {
        resource_group: rg,
        cluster_name: cluster,
        subscription: subscription_of(cl),
        pool,
        head: at(cl.head.clone()),
        notes: vec![],
    })
}
