//! Policies: the endpoint catalogue, rule metadata and user configuration (data in policies/).
//! TEMPORARY SHIM: replaced by the policy work item.

pub mod catalogue;
pub mod config;
pub mod fqdn_tags;
pub mod requirements;
