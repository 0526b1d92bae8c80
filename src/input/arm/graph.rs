//! Azure Resource Graph, the format side: the queries that read an estate's network (one per
//! resource type the model holds), their scopes (at most [`MAX_SUBSCRIPTIONS_PER_QUERY`]
//! subscriptions per query, or management groups, or the tenant), request bodies, result pages
//! (`data`, `$skipToken`) and the throttling headers. The requests themselves are live access
//! (`input::azure`).
//!
//! REST: `POST {arm}/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01`, body
//! `{"subscriptions"|"managementGroups": [...], "query": "...", "options": {"$top", "$skipToken",
//! "resultFormat": "objectArray"}}`; response `{"totalRecords", "count", "resultTruncated",
//! "$skipToken", "data": [...]}`. Throttling: `x-ms-user-quota-remaining` and
//! `x-ms-user-quota-resets-after` (`hh:mm:ss`); more than 10,000 subscriptions at tenant scope
//! sets `x-ms-tenant-subscription-limit-hit: true`
//! (learn.microsoft.com/azure/governance/resource-graph/concepts/guidance-for-throttled-requests,
//! azure-rest-api-specs `specification/resourcegraph`, example `ResourcesNextPageQuery.json`).

use serde_json::{Value, json};
use std::time::Duration;

/// The api-version of the queries.
pub const API_VERSION: &str = "2022-10-01";

/// The query path at the Resource Manager endpoint.
pub fn path() -> String {
    format!("/providers/Microsoft.ResourceGraph/resources?api-version={API_VERSION}")
}

/// Subscriptions per query: the guidance for throttled requests batches about 300.
pub const MAX_SUBSCRIPTIONS_PER_QUERY: usize = 300;

/// Rows per page (the service's maximum `$top`).
pub const PAGE_SIZE: u32 = 1000;

/// The resource types an estate scan reads, lower case as Resource Graph stores them. Subnets,
/// peerings, security rules and routes come inline with their parents.
pub const TYPES: &[&str] = &[
    "microsoft.containerservice/managedclusters",
    "microsoft.network/virtualnetworks",
    "microsoft.network/networksecuritygroups",
    "microsoft.network/routetables",
    "microsoft.network/natgateways",
    "microsoft.network/publicipaddresses",
    "microsoft.network/publicipprefixes",
    "microsoft.network/azurefirewalls",
    "microsoft.network/firewallpolicies",
    "microsoft.network/firewallpolicies/rulecollectiongroups",
    "microsoft.network/ipgroups",
    "microsoft.network/privatednszones",
    "microsoft.network/privatednszones/virtualnetworklinks",
    "microsoft.network/dnsresolvers/inboundendpoints",
];

/// Where a query runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// These subscriptions (at most [`MAX_SUBSCRIPTIONS_PER_QUERY`]).
    Subscriptions(Vec<String>),
    /// These management groups (and every subscription below them).
    ManagementGroups(Vec<String>),
    /// Every subscription the identity can read (at most 10,000).
    Tenant,
}

impl Scope {
    /// The scopes of a subscription list, in batches the service takes in one query.
    pub fn batches(subscriptions: &[String]) -> Vec<Scope> {
        let mut subs: Vec<String> = vec![];
        for s in subscriptions {
            let s = s.trim().to_ascii_lowercase();
            if !s.is_empty() && !subs.contains(&s) {
                subs.push(s);
            }
        }
        subs.chunks(MAX_SUBSCRIPTIONS_PER_QUERY)
            .map(|c| Scope::Subscriptions(c.to_vec()))
            .collect()
    }

    /// For messages: `2 subscription(s)`, `management group mg-platform`, `the tenant`.
    pub fn describe(&self) -> String {
        match self {
            Scope::Subscriptions(s) => format!("{} subscription(s)", s.len()),
            Scope::ManagementGroups(m) => format!("management group(s) {}", m.join(", ")),
            Scope::Tenant => "every subscription of the tenant".into(),
        }
    }
}

/// The KQL of one resource type: the resource's REST shape (`id`, `name`, `type`, `location`,
/// `properties`, …), ordered by id so that pages are stable.
pub fn query(rtype: &str) -> String {
    format!(
        "Resources | where type =~ '{rtype}' | project id, name, type, location, resourceGroup, subscriptionId, sku, zones, properties | order by id asc"
    )
}

/// The request body of one page.
pub fn body(scope: &Scope, query: &str, skip_token: Option<&str>) -> Value {
    let mut options = json!({"$top": PAGE_SIZE, "resultFormat": "objectArray"});
    if let Some(t) = skip_token {
        options["$skipToken"] = json!(t);
    }
    let mut b = json!({"query": query, "options": options});
    match scope {
        Scope::Subscriptions(s) => b["subscriptions"] = json!(s),
        Scope::ManagementGroups(m) => b["managementGroups"] = json!(m),
        Scope::Tenant => {}
    }
    b
}

/// One page of results.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    pub rows: Vec<Value>,
    /// The token of the next page.
    pub skip_token: Option<String>,
    pub total_records: Option<u64>,
    /// The service cut the result short without a token (`resultTruncated: "true"`).
    pub truncated: bool,
}

/// Read a response body (`objectArray`; a `table` result is read too).
pub fn page(body: &Value) -> Page {
    let rows = match body.get("data") {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::Object(t)) => table_rows(t),
        _ => vec![],
    };
    let truncated = match body.get("resultTruncated") {
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        Some(Value::Bool(b)) => *b,
        _ => false,
    };
    Page {
        rows,
        skip_token: body
            .get("$skipToken")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_string),
        total_records: body.get("totalRecords").and_then(Value::as_u64),
        truncated,
    }
}

/// `{"columns": [{"name"}], "rows": [[…]]}` as objects.
fn table_rows(t: &serde_json::Map<String, Value>) -> Vec<Value> {
    let names: Vec<&str> = t
        .get("columns")
        .and_then(Value::as_array)
        .map(|c| {
            c.iter()
                .filter_map(|c| c.get("name").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    t.get("rows")
        .and_then(Value::as_array)
        .map(|rows| {
            rows.iter()
                .filter_map(Value::as_array)
                .map(|r| {
                    Value::Object(
                        names
                            .iter()
                            .zip(r)
                            .map(|(n, v)| (n.to_string(), v.clone()))
                            .collect(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The throttling state a response reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Quota {
    /// Queries left in the current window (`x-ms-user-quota-remaining`).
    pub remaining: Option<u32>,
    /// When the window resets (`x-ms-user-quota-resets-after`, `hh:mm:ss`).
    pub resets_after: Option<Duration>,
    /// Only the first 10,000 subscriptions of the tenant were queried.
    pub subscription_limit_hit: bool,
}

impl Quota {
    /// From response headers (name, value), names compared case-insensitively.
    pub fn from_headers<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Quota {
        let mut q = Quota::default();
        for (n, v) in headers {
            let v = v.trim();
            match n.to_ascii_lowercase().as_str() {
                "x-ms-user-quota-remaining" => q.remaining = v.parse().ok(),
                "x-ms-user-quota-resets-after" => q.resets_after = hms(v),
                "x-ms-tenant-subscription-limit-hit" => {
                    q.subscription_limit_hit = v.eq_ignore_ascii_case("true")
                }
                _ => {}
            }
        }
        q
    }

    /// How long to wait before the next query: until the window resets when no query is left.
    pub fn wait(&self) -> Option<Duration> {
        match (self.remaining, self.resets_after) {
            (Some(0), Some(d)) => Some(d),
            (Some(0), None) => Some(Duration::from_secs(5)),
            _ => None,
        }
    }
}

/// `hh:mm:ss` (fractional seconds allowed).
fn hms(s: &str) -> Option<Duration> {
    let parts: Vec<&str> = s.split(':').collect();
    let [h, m, sec] = parts.as_slice() else {
        return None;
    };
    let h: u64 = h.parse().ok()?;
    let m: u64 = m.parse().ok()?;
    let sec: f64 = sec.parse().ok()?;
    (sec >= 0.0 && sec.is_finite())
        .then(|| Duration::from_secs(h * 3600 + m * 60) + Duration::from_secs_f64(sec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_are_batched_by_300_without_duplicates() {
        let subs: Vec<String> = (0..650).map(|i| format!("sub-{i:04}")).collect();
        let mut with_dups = subs.clone();
        with_dups.push("SUB-0001".into());
        let b = Scope::batches(&with_dups);
        let sizes: Vec<usize> = b
            .iter()
            .map(|s| match s {
                Scope::Subscriptions(v) => v.len(),
                _ => 0,
            })
            .collect();
        assert_eq!(sizes, [300, 300, 50]);
    }

    #[test]
    fn request_bodies() {
        let q = query("microsoft.network/virtualnetworks");
        assert!(q.starts_with("Resources | where type =~ 'microsoft.network/virtualnetworks'"));
        assert!(q.contains("project id,") && q.ends_with("order by id asc"));
        let b = body(&Scope::Subscriptions(vec!["s1".into()]), &q, Some("tok"));
        assert_eq!(b["subscriptions"], json!(["s1"]));
        assert_eq!(b["options"]["$skipToken"], "tok");
        assert_eq!(b["options"]["$top"], 1000);
        let b = body(&Scope::ManagementGroups(vec!["mg".into()]), &q, None);
        assert_eq!(b["managementGroups"], json!(["mg"]));
        assert!(b["options"].get("$skipToken").is_none());
        let b = body(&Scope::Tenant, &q, None);
        assert!(b.get("subscriptions").is_none() && b.get("managementGroups").is_none());
    }

    #[test]
    fn pages_and_tables() {
        // the shape of the REST specification's ResourcesNextPageQuery example
        let p = page(
            &json!({"totalRecords": 386, "count": 3, "resultTruncated": "false",
            "$skipToken": "ew0KICAiJGlkIjogIjEiLA0KICAiTWF4Um93cyI6IDMsDQogICJSb3dzVG9Ta2lwIjogMywNCiAgIkt1c3RvQ2x1c3RlclVybCI6ICJodHRwczovL2FyZy1uZXUtb25lLXNmLmFyZy5jb3JlLndpbmRvd3MubmV0Ig0KfQ==",
            "data": [{"id": "/a"}, {"id": "/b"}, {"id": "/c"}], "facets": []}),
        );
        assert_eq!(p.rows.len(), 3);
        assert!(p.skip_token.is_some());
        assert_eq!(p.total_records, Some(386));
        assert!(!p.truncated);
        let t = page(
            &json!({"data": {"columns": [{"name": "id"}, {"name": "name"}],
            "rows": [["/x", "x"]]}, "resultTruncated": "true"}),
        );
        assert_eq!(t.rows, [json!({"id": "/x", "name": "x"})]);
        assert!(t.truncated && t.skip_token.is_none());
    }

    #[test]
    fn throttling_headers() {
        let q = Quota::from_headers([
            ("x-ms-user-quota-remaining", "0"),
            ("X-Ms-User-Quota-Resets-After", "00:00:03.5"),
        ]);
        assert_eq!(q.wait(), Some(Duration::from_millis(3500)));
        let q = Quota::from_headers([("x-ms-user-quota-remaining", "9")]);
        assert_eq!(q.wait(), None);
        assert!(
            Quota::from_headers([("x-ms-tenant-subscription-limit-hit", "true")])
                .subscription_limit_hit
        );
        assert_eq!(hms("01:02:03"), Some(Duration::from_secs(3723)));
        assert_eq!(hms("3"), None);
    }

    #[test]
    fn rows_are_mapped_like_rest_bodies() {
        // Resource Graph stores types in lower case and adds resourceGroup / subscriptionId
        let sub = "/subscriptions/s/resourceGroups/rg/providers";
        let rows = json!({"data": [
            {"id": format!("{sub}/Microsoft.Network/virtualNetworks/v"), "name": "v",
             "type": "microsoft.network/virtualnetworks", "location": "westeurope",
             "resourceGroup": "rg", "subscriptionId": "s",
             "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                "subnets": [{"id": format!("{sub}/Microsoft.Network/virtualNetworks/v/subnets/n"),
                    "name": "n", "properties": {"addressPrefix": "10.0.0.0/24"}}]}},
            {"id": format!("{sub}/Microsoft.ContainerService/managedClusters/aks"), "name": "aks",
             "type": "microsoft.containerservice/managedclusters", "location": "westeurope",
             "properties": {"networkProfile": {"outboundType": "loadBalancer"},
                "agentPoolProfiles": [{"name": "system", "mode": "System",
                    "vnetSubnetID": format!("{sub}/Microsoft.Network/virtualNetworks/v/subnets/n")}]}}
        ], "totalRecords": 2});
        let m = super::super::load_value(rows, crate::source::FileId(0), "graph");
        assert_eq!(m.vnets.len(), 1);
        assert_eq!(m.subnets.len(), 1);
        assert_eq!(m.clusters.len(), 1);
        assert_eq!(m.clusters[0].node_pools.len(), 1);
    }
}
