//! Policies: the endpoint catalogue, rule metadata and user configuration (data in policies/).
pub mod fqdn_tags;
