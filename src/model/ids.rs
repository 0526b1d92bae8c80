//! Azure resource IDs and references between model elements.

use serde::Serialize;
use std::fmt;

/// An Azure resource ID, compared case-insensitively (ARM treats IDs as case-insensitive).
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct ResourceId(String);

impl ResourceId {
    pub fn new(s: impl Into<String>) -> Self {
        let mut s = s.into();
        while s.ends_with('/') {
            s.pop();
        }
        ResourceId(s)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Lower-cased form used as a lookup key.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
    /// Last path segment (the resource name).
    pub fn name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or("")
    }
    /// The ID of the parent resource (`.../virtualNetworks/v/subnets/s` -> `.../virtualNetworks/v`).
    pub fn parent(&self) -> Option<ResourceId> {
        let parts: Vec<&str> = self.0.split('/').collect();
        // /subscriptions/s/resourceGroups/g/providers/Ns/type/name[/child/name]
        if parts.len() > 9 {
            Some(ResourceId(parts[..parts.len() - 2].join("/")))
        } else {
            None
        }
    }
    pub fn looks_like_id(s: &str) -> bool {
        s.starts_with("/subscriptions/") || s.starts_with("/providers/")
    }
}

impl PartialEq for ResourceId {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}
impl Eq for ResourceId {}

/// Ordered by the lower-cased form, consistently with equality.
impl Ord for ResourceId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let a = self.0.bytes().map(|b| b.to_ascii_lowercase());
        let b = other.0.bytes().map(|b| b.to_ascii_lowercase());
        a.cmp(b)
    }
}

impl PartialOrd for ResourceId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A reference from one model element to another. Loaders produce whichever form they know: a
/// known Azure resource ID (existing resources, live data) or the model key of an element from the
/// same input (a Terraform address whose ID is unknown until apply). `Model::resolve_*` finds the
/// element; a reference that matches nothing is a missing resource (reported as unknown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Ref {
    /// A model key (see `Meta::key`), e.g. `module.net.azurerm_subnet.nodes["blue"]`.
    Key(String),
    /// An Azure resource ID.
    Id(ResourceId),
}

impl Ref {
    pub fn key(k: impl Into<String>) -> Self {
        Ref::Key(k.into())
    }
    pub fn id(s: impl Into<String>) -> Self {
        Ref::Id(ResourceId::new(s))
    }
    pub fn display(&self) -> String {
        match self {
            Ref::Key(k) => k.clone(),
            Ref::Id(id) => id.to_string(),
        }
    }
    /// The key the model's index is looked up by: the key as written, or the lower-cased ID
    /// (borrowed when it has no upper-case letters).
    pub(crate) fn lookup_key(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Ref::Key(k) => std::borrow::Cow::Borrowed(k.as_str()),
            Ref::Id(id) if !id.as_str().bytes().any(|b| b.is_ascii_uppercase()) => {
                std::borrow::Cow::Borrowed(id.as_str())
            }
            Ref::Id(id) => std::borrow::Cow::Owned(id.key()),
        }
    }
}

impl fmt::Display for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}
