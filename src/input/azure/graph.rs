//! Azure Resource Graph queries, live: the network of an estate read in a handful of queries
//! (one per resource type of [`graph::TYPES`] and scope batch, each paged with `$skipToken`)
//! instead of one GET per resource. The format side — queries, scopes, bodies, pages, throttling
//! headers — is `input::arm::graph`; the rows go through the one ARM mapper like REST bodies,
//! each registered as a source `… (live, read …)`.
//!
//! Throttling: after a response whose `x-ms-user-quota-remaining` is 0 the next query waits
//! for `x-ms-user-quota-resets-after`; a 429 is retried by the client after `Retry-After`.
//! Queries run one at a time (the quota is per user: concurrent queries only spend it faster).

use super::client::{ArmClient, Fetched};
use super::{Connection, LiveOptions, LiveRead, Runner};
use crate::error::Error;
use crate::input::arm::graph::{self, Scope};
use crate::model::InputNote;
use crate::source::{Origin, SourceMap};
use serde_json::Value;

/// Longest wait for a quota window; beyond it the wait is capped (the query then meets a 429,
/// which the client retries after `Retry-After`).
const MAX_QUOTA_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Pages of one query at most (1,000 rows each).
const MAX_PAGES: usize = 500;

/// Read every resource of [`graph::TYPES`] in `scopes` through Resource Graph.
pub fn read_estate(
    conn: &Connection,
    scopes: &[Scope],
    sources: &mut SourceMap,
    opts: &LiveOptions,
) -> Result<LiveRead, Error> {
    let mut r = Runner::new(conn.client.clone(), sources, opts);
    r.progress.add(graph::TYPES.len() * scopes.len());
    let mut rows = vec![];
    let mut notes = vec![];
    conn.rt.block_on(async {
        for rtype in graph::TYPES {
            for scope in scopes {
                let q = query_all(&conn.client, scope, rtype, &mut r.records, &mut notes).await?;
                rows.extend(q);
                r.progress.inc();
            }
        }
        Ok::<(), Error>(())
    })?;
    r.keep_all(rows);
    r.live.input_notes.extend(notes);
    Ok(r.finish())
}

/// Every page of one query: its rows; one record per page.
async fn query_all(
    client: &ArmClient,
    scope: &Scope,
    rtype: &str,
    records: &mut Vec<crate::input::arm::reads::ReadRecord>,
    notes: &mut Vec<InputNote>,
) -> Result<Vec<Value>, Error> {
    let query = graph::query(rtype);
    let mut rows = vec![];
    let mut skip: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let body = graph::body(scope, &query, skip.as_deref());
        let Fetched {
            mut record,
            body,
            quota,
        } = client
            .post(&graph::path(), &body)
            .await
            .map_err(|e| super::credential_error(&e))?;
        if let Some(e) = record.error.as_mut() {
            *e = format!(
                "the Resource Graph query of {rtype} over {}: {e}",
                scope.describe()
            );
        }
        records.push(record);
        if quota.subscription_limit_hit && !notes.iter().any(|n| n.message.contains("10,000")) {
            notes.push(InputNote {
                code: "SCN001",
                message: format!(
                    "Resource Graph read only the first 10,000 subscriptions of {}: clusters \
                     in the others were not scanned; scan by --management-group or \
                     --subscription to cover them",
                    scope.describe()
                ),
                origin: Origin::none(),
            });
        }
        let Some(body) = body else { break };
        let page = graph::page(&body);
        rows.extend(page.rows);
        if page.truncated && page.skip_token.is_none() {
            notes.push(InputNote {
                code: "SCN001",
                message: format!(
                    "Resource Graph cut the result of {rtype} over {} short without a \
                     $skipToken: some resources were not read, and what depends on them is \
                     unknown",
                    scope.describe()
                ),
                origin: Origin::none(),
            });
        }
        if let Some(wait) = quota.wait() {
            tokio::time::sleep(wait.min(MAX_QUOTA_WAIT)).await;
        }
        match page.skip_token {
            Some(t) => skip = Some(t),
            None => break,
        }
    }
    Ok(rows)
}
