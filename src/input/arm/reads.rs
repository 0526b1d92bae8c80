//! Records of reads from Azure Resource Manager: what was asked, when, and what came back. A
//! live check keeps them, a snapshot stores them beside the resources (so that a check of the
//! snapshot reports the same failed reads as the live check did), and both turn failed reads
//! into findings:
//!
//! * `LIV001` the identity may not read a resource (HTTP 403): names the resource and the
//!   permission it lacks;
//! * `LIV002` a referenced resource was not found (HTTP 404): it does not exist, or its
//!   subscription is not visible to the identity; names the resource and the permission reading
//!   it needs;
//! * `LIV003` a read failed otherwise (timeout, throttling or server errors after retries, an
//!   unreadable body, HTTP 401).
//!
//! What depends on a resource that could not be read is unknown (the resource is not in the
//! model), never a pass.

use super::map::{short_address, type_from_id};
use crate::model::InputNote;
use crate::source::Origin;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The `snapshot.format` that this version writes and reads.
pub const SNAPSHOT_FORMAT: &str = "aks-preflight/snapshot/v1";

/// One request to Azure Resource Manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadRecord {
    /// `GET` (or `POST` for queries).
    pub method: String,
    /// The request URL (never carries credentials).
    pub url: String,
    /// The resource asked for; `None` for a list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// HTTP status of the last attempt; 0 when no response came (timeout, connection error).
    pub status: u16,
    /// When the (last) response arrived, RFC 3339 UTC.
    pub read_at: String,
    /// How many attempts were made (retries on 408/429/5xx and timeouts).
    #[serde(default = "one")]
    pub attempts: u32,
    /// ARM's error code and message, or the transport error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn one() -> u32 {
    1
}

/// The `reads` member of a snapshot (unreadable entries are skipped).
pub fn from_json(v: Option<&Value>) -> Vec<ReadRecord> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|r| serde_json::from_value(r.clone()).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The resource type a request is about: from the id, else from the URL's path (a list).
fn type_of(r: &ReadRecord) -> Option<String> {
    if let Some(t) = r.id.as_deref().and_then(type_from_id) {
        return Some(t);
    }
    let path = r.url.split('?').next().unwrap_or("");
    let at = path.to_ascii_lowercase().rfind("/providers/")?;
    let segs: Vec<&str> = path[at + "/providers/".len()..]
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let (ns, rest) = segs.split_first()?;
    let types: Vec<&str> = rest.iter().step_by(2).copied().collect();
    (!types.is_empty()).then(|| format!("{ns}/{}", types.join("/")))
}

impl ReadRecord {
    /// A 2xx response whose body was read.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status) && self.error.is_none()
    }

    /// What was read, as findings name it.
    pub fn target(&self) -> String {
        match &self.id {
            Some(id) => short_address(id),
            None => format!("the list {}", self.url.split('?').next().unwrap_or("")),
        }
    }

    /// The permission a read needs: `Microsoft.Network/azureFirewalls/read`.
    pub fn permission(&self) -> String {
        match type_of(self) {
            Some(t) => format!("{t}/read"),
            None => "read access (the Reader role)".into(),
        }
    }

    /// The finding a failed read becomes (`None` for a successful one). `origin` is where the
    /// record is shown (a synthesized source for live reads, the snapshot entry).
    pub fn note(&self, origin: Origin) -> Option<InputNote> {
        if self.ok() {
            return None;
        }
        let what = self.target();
        let detail = self
            .error
            .as_deref()
            .map(|e| format!(": {e}"))
            .unwrap_or_default();
        let (code, message) = match self.status {
            403 => (
                "LIV001",
                format!(
                    "could not read {what} (HTTP 403{detail}): the identity lacks `{}` on it; \
                     what depends on it is unknown",
                    self.permission()
                ),
            ),
            404 => (
                "LIV002",
                format!(
                    "{what} was not found (HTTP 404{detail}), but the inputs refer to it: it does \
                     not exist, or its subscription is not visible to the identity (reading it \
                     needs `{}`); what depends on it is unknown",
                    self.permission()
                ),
            ),
            0 => (
                "LIV003",
                format!(
                    "could not read {what}: no response after {} attempt(s){detail}; what \
                     depends on it is unknown",
                    self.attempts
                ),
            ),
            s => (
                "LIV003",
                format!(
                    "could not read {what}: HTTP {s} after {} attempt(s){detail}; what depends \
                     on it is unknown",
                    self.attempts
                ),
            ),
        };
        Some(InputNote {
            code,
            message,
            origin,
        })
    }
}

/// A snapshot document (pretty JSON text): the resources read (REST shape, secrets removed), and the reads that
/// produced them, failed ones included, so that a check of the snapshot reports what the live
/// check did. `header` says when, from where and for what (`createdAt`, `endpoint`, `cloud`,
/// `inputs`, `scopes`); `format` is added.
pub fn snapshot(
    mut header: serde_json::Map<String, Value>,
    resources: Vec<Value>,
    reads: &[ReadRecord],
) -> String {
    header.insert("format".into(), Value::String(SNAPSHOT_FORMAT.into()));
    header.insert(
        "tool".into(),
        Value::String(concat!("aks-preflight ", env!("CARGO_PKG_VERSION")).into()),
    );
    let mut resources = resources;
    for r in &mut resources {
        super::strip_sensitive(r);
    }
    /// The members in the order a reader expects them: header, resources, reads.
    #[derive(Serialize)]
    struct Doc<'a> {
        snapshot: Value,
        value: Vec<Value>,
        reads: &'a [ReadRecord],
    }
    let doc = Doc {
        snapshot: Value::Object(header),
        value: resources,
        reads,
    };
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(status: u16, id: Option<&str>, url: &str) -> ReadRecord {
        ReadRecord {
            method: "GET".into(),
            url: url.into(),
            id: id.map(str::to_string),
            status,
            read_at: "2026-12-02T10:00:00Z".into(),
            attempts: 1,
            error: Some("AuthorizationFailed".into()),
        }
    }

    #[test]
    fn failed_reads_name_resource_and_permission() {
        let id = "/subscriptions/s/resourceGroups/rg-hub/providers/Microsoft.Network/firewallPolicies/fwp";
        let n = rec(403, Some(id), "http://x").note(Origin::none()).unwrap();
        assert_eq!(n.code, "LIV001");
        assert!(
            n.message.contains("rg-hub/firewallPolicies/fwp"),
            "{}",
            n.message
        );
        assert!(
            n.message
                .contains("Microsoft.Network/firewallPolicies/read"),
            "{}",
            n.message
        );
        let list = rec(
            403,
            None,
            "https://management.azure.com/subscriptions/s/providers/Microsoft.Network/azureFirewalls?api-version=2024-05-01",
        );
        assert_eq!(list.permission(), "Microsoft.Network/azureFirewalls/read");
        // a 404 names the permission too: ARM also answers 404 for a subscription the
        // identity cannot see
        let nf = rec(404, Some(id), "u").note(Origin::none()).unwrap();
        assert_eq!(nf.code, "LIV002");
        assert!(
            nf.message
                .contains("Microsoft.Network/firewallPolicies/read"),
            "{}",
            nf.message
        );
        assert_eq!(
            rec(0, Some(id), "u").note(Origin::none()).unwrap().code,
            "LIV003"
        );
        let mut ok = rec(200, Some(id), "u");
        ok.error = None;
        assert!(ok.note(Origin::none()).is_none());
        // a 200 whose body could not be read is a failed read
        ok.error = Some("the body is not JSON".into());
        assert_eq!(ok.note(Origin::none()).unwrap().code, "LIV003");
    }

    #[test]
    fn records_round_trip_through_json() {
        let r = rec(429, None, "u");
        let v = serde_json::to_value(vec![&r]).unwrap();
        assert_eq!(from_json(Some(&v)), vec![r]);
    }
}
