//! TEMPORARY SHIM.
use super::catalogue::{Catalogue, FailureSpec};
use super::config::Config;
use crate::eval::flow::AppProto;
use crate::eval::{Destination, Protocol};
use crate::model::{Cloud, Cluster, Model};

#[derive(Debug, Clone)]
pub struct ClusterFacts {
    pub cloud: Cloud,
}
impl ClusterFacts {
    pub fn from_model(_m: &Model, _c: &Cluster) -> Self {
        ClusterFacts {
            cloud: Cloud::Public,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Requirement {
    pub endpoint_id: String,
    pub host: String,
    pub destination: Destination,
    pub protocol: Protocol,
    pub app_protocol: Option<AppProto>,
    pub port: u16,
    pub required: bool,
    pub condition: String,
    pub service_tags: Vec<String>,
    pub purpose: String,
    pub source: String,
    pub uncertain: bool,
    pub failure: Option<FailureSpec>,
    pub from_user_config: bool,
    pub note: Option<String>,
}

pub fn requirements(_c: &Catalogue, _cfg: &Config, _f: &ClusterFacts) -> Vec<Requirement> {
    vec![]
}
