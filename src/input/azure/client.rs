//! A small Azure Resource Manager client: GET by id and list (following `nextLink`), with a
//! per-request timeout and retries with backoff on 408, 429 and 5xx that honour `Retry-After`.
//! Every request becomes a [`ReadRecord`]; the body of a successful one is returned for the
//! mapper. The bearer token goes only to the configured endpoint (a `nextLink` elsewhere is not
//! followed) and never into a record, message or log.

use super::credential::Credential;
use crate::input::arm::reads::ReadRecord;
use crate::input::arm::type_from_id;
use crate::model::ResourceId;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// The api-version a resource type is read with.
pub fn api_version(rtype: &str) -> &'static str {
    let t = rtype.to_ascii_lowercase();
    if t.starts_with("microsoft.network/privatednszones") {
        "2024-06-01"
    } else if t.starts_with("microsoft.network/dnsresolvers") {
        "2022-07-01"
    } else if t.starts_with("microsoft.containerservice/") {
        "2024-09-01"
    } else if t.starts_with("microsoft.resourcegraph/") {
        "2022-10-01"
    } else {
        "2024-05-01"
    }
}

/// Client settings.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Resource Manager endpoint, without a trailing slash.
    pub endpoint: String,
    /// Per request (connection, headers and body).
    pub timeout: Duration,
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// First backoff delay; doubled per retry.
    pub backoff: Duration,
    /// Longest wait before a retry; a `Retry-After` beyond it ends the retries.
    pub max_delay: Duration,
}

impl ClientOptions {
    pub fn new(endpoint: &str) -> ClientOptions {
        ClientOptions {
            endpoint: endpoint.trim_end_matches('/').to_string(),
            timeout: Duration::from_secs(30),
            max_attempts: 4,
            backoff: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
        }
    }
}

/// One response: its record, and the parsed body when it succeeded.
#[derive(Debug)]
pub struct Fetched {
    pub record: ReadRecord,
    pub body: Option<Value>,
}

/// An HTTP client for ARM with a credential.
#[derive(Debug, Clone)]
pub struct ArmClient {
    http: reqwest::Client,
    options: ClientOptions,
    credential: Arc<Credential>,
}

/// The current time, RFC 3339 UTC to the second.
pub fn now_rfc3339() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Retry on these statuses.
fn retryable(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// The wait a response asks for: `retry-after-ms`, `x-ms-retry-after-ms`, or `Retry-After` in
/// seconds or as an HTTP date.
fn retry_after(h: &reqwest::header::HeaderMap) -> Option<Duration> {
    let get = |n: &str| h.get(n).and_then(|v| v.to_str().ok()).map(str::trim);
    for n in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(ms) = get(n).and_then(|v| v.parse::<u64>().ok()) {
            return Some(Duration::from_millis(ms));
        }
    }
    let v = get("retry-after")?;
    if let Ok(s) = v.parse::<u64>() {
        return Some(Duration::from_secs(s));
    }
    let when =
        time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc2822).ok()?;
    let wait = when - time::OffsetDateTime::now_utc();
    Some(Duration::from_millis(
        u64::try_from(wait.whole_milliseconds()).unwrap_or(0),
    ))
}

/// ARM's error body: `{"error": {"code", "message"}}`, on one line.
fn arm_error(body: &str) -> Option<String> {
    let v: Value = serde_json::from_str(body).ok()?;
    let e = v.get("error")?;
    let code = e.get("code").and_then(Value::as_str).unwrap_or("");
    let msg = e.get("message").and_then(Value::as_str).unwrap_or("");
    let msg: String = msg.split_whitespace().collect::<Vec<_>>().join(" ");
    let msg = if msg.chars().count() > 200 {
        format!("{}…", msg.chars().take(200).collect::<String>())
    } else {
        msg
    };
    Some(match (code.is_empty(), msg.is_empty()) {
        (false, false) => format!("{code}: {msg}"),
        (false, true) => code.to_string(),
        _ => msg,
    })
}

impl ArmClient {
    pub fn new(http: reqwest::Client, options: ClientOptions, credential: Arc<Credential>) -> Self {
        ArmClient {
            http,
            options,
            credential,
        }
    }

    pub fn endpoint(&self) -> &str {
        &self.options.endpoint
    }

    /// The URL of a path (`/subscriptions/…?api-version=…`) at the endpoint.
    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.options.endpoint)
    }

    /// GET one resource by id, with its type's api-version.
    pub async fn get_resource(&self, id: &ResourceId) -> Result<Fetched, String> {
        let rtype = type_from_id(id.as_str()).unwrap_or_default();
        let url = self.url(&format!(
            "{}?api-version={}",
            id.as_str(),
            api_version(&rtype)
        ));
        self.send("GET", &url, Some(id.as_str()), None).await
    }

    /// GET a list and every further page (`nextLink` at the same endpoint): the items, and one
    /// record per page.
    pub async fn list(
        &self,
        path: &str,
        api: &str,
    ) -> Result<(Vec<Value>, Vec<ReadRecord>), String> {
        let mut url = self.url(&format!("{path}?api-version={api}"));
        let mut items = vec![];
        let mut records = vec![];
        for _ in 0..200 {
            let f = self.send("GET", &url, None, None).await?;
            records.push(f.record);
            let Some(body) = f.body else { break };
            if let Some(v) = body.get("value").and_then(Value::as_array) {
                items.extend(v.iter().cloned());
            }
            match body.get("nextLink").and_then(Value::as_str) {
                Some(next) if !next.is_empty() => {
                    if !next.starts_with(&format!("{}/", self.options.endpoint)) {
                        if let Some(r) = records.last_mut() {
                            r.error = Some(format!(
                                "nextLink leads away from {} ({}): not followed, the rest of \
                                 the list is missing",
                                self.options.endpoint,
                                next.split('?').next().unwrap_or("")
                            ));
                        }
                        break;
                    }
                    url = next.to_string();
                }
                _ => break,
            }
        }
        Ok((items, records))
    }

    /// POST a JSON body (Azure Resource Graph queries).
    pub async fn post(&self, path_and_query: &str, body: &Value) -> Result<Fetched, String> {
        let url = self.url(path_and_query);
        self.send("POST", &url, None, Some(body)).await
    }

    /// One request with its retries. `Err` only when no token can be had (nothing can be read
    /// then); every HTTP outcome is a record.
    async fn send(
        &self,
        method: &str,
        url: &str,
        id: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Fetched, String> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let token = self.credential.token().await?;
            let mut req = match method {
                "POST" => self.http.post(url).json(body.unwrap_or(&Value::Null)),
                _ => self.http.get(url),
            };
            req = req
                .bearer_auth(token.secret())
                .header("Accept", "application/json")
                .timeout(self.options.timeout);
            let last = attempt >= self.options.max_attempts;
            // an error message that echoes the request (a proxy, a misbehaving server) must not
            // carry the token into a finding or a snapshot
            let record = |status: u16, error: Option<String>| ReadRecord {
                method: method.to_string(),
                url: url.to_string(),
                id: id.map(str::to_string),
                status,
                read_at: now_rfc3339(),
                attempts: attempt,
                error: error.map(|e| redact(&e, token.secret())),
            };
            match req.send().await {
                Ok(res) => {
                    let status = res.status().as_u16();
                    if retryable(status) && !last {
                        let backoff = self.backoff(attempt);
                        let wait = match retry_after(res.headers()) {
                            Some(w) if w > self.options.max_delay => {
                                let text = res.text().await.unwrap_or_default();
                                let why = arm_error(&text).unwrap_or_default();
                                return Ok(Fetched {
                                    record: record(
                                        status,
                                        Some(format!(
                                            "{why}{}Retry-After {} s is longer than {} s",
                                            if why.is_empty() { "" } else { "; " },
                                            w.as_secs(),
                                            self.options.max_delay.as_secs()
                                        )),
                                    ),
                                    body: None,
                                });
                            }
                            Some(w) => w.max(backoff),
                            None => backoff,
                        };
                        drop(res);
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    let text = match res.text().await {
                        Ok(t) => t,
                        Err(e) if !last && (e.is_timeout() || e.is_body()) => {
                            tokio::time::sleep(self.backoff(attempt)).await;
                            continue;
                        }
                        Err(e) => {
                            return Ok(Fetched {
                                record: record(0, Some(transport_error(&e))),
                                body: None,
                            });
                        }
                    };
                    if (200..300).contains(&status) {
                        return Ok(match serde_json::from_str::<Value>(&text) {
                            Ok(v) => Fetched {
                                record: record(status, None),
                                body: Some(v),
                            },
                            Err(e) => Fetched {
                                record: record(status, Some(format!("the body is not JSON ({e})"))),
                                body: None,
                            },
                        });
                    }
                    return Ok(Fetched {
                        record: record(status, arm_error(&text)),
                        body: None,
                    });
                }
                Err(_) if !last => tokio::time::sleep(self.backoff(attempt)).await,
                Err(e) => {
                    return Ok(Fetched {
                        record: record(0, Some(transport_error(&e))),
                        body: None,
                    });
                }
            }
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let d = self.options.backoff * 2u32.saturating_pow(attempt.saturating_sub(1));
        d.min(self.options.max_delay)
    }
}

/// `text` without `secret` (nothing to hide when it is empty).
fn redact(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        text.to_string()
    } else {
        text.replace(secret, "[redacted]")
    }
}

/// A transport error, without the URL (it is in the record already).
fn transport_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "connection failed".into()
    } else {
        let s = reqwest::Error::to_string(e);
        s.split(" for url").next().unwrap_or(&s).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("x-ms-retry-after-ms", HeaderValue::from_static("1500"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(1500)));
        let mut h = HeaderMap::new();
        h.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO), "a date in the past");
        assert!(retryable(429) && retryable(503) && retryable(408));
        assert!(!retryable(403) && !retryable(404) && !retryable(400));
    }

    #[test]
    fn an_echoed_token_is_redacted() {
        assert_eq!(
            redact("invalid header: Bearer abc.def.ghi", "abc.def.ghi"),
            "invalid header: Bearer [redacted]"
        );
        assert_eq!(redact("no token here", ""), "no token here");
    }

    #[test]
    fn arm_errors_on_one_line() {
        let body = r#"{"error": {"code": "AuthorizationFailed", "message": "The client 'x' does not have authorization\n to perform action"}}"#;
        assert_eq!(
            arm_error(body).unwrap(),
            "AuthorizationFailed: The client 'x' does not have authorization to perform action"
        );
        assert_eq!(arm_error("<html>"), None);
        assert_eq!(
            api_version("Microsoft.Network/privateDnsZones/virtualNetworkLinks"),
            "2024-06-01"
        );
        assert_eq!(
            api_version("Microsoft.Network/azureFirewalls"),
            "2024-05-01"
        );
    }
}
