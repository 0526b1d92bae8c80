//! Credentials for live reads, built on azure_identity 1.x (which has no
//! DefaultAzureCredential: the chain is ours).
//!
//! `auto` picks the first credential whose environment is present, in this order:
//!
//! 1. **environment service principal**: `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`,
//!    `AZURE_CLIENT_SECRET`;
//! 2. **workload identity**: `AZURE_FEDERATED_TOKEN_FILE` (with `AZURE_CLIENT_ID`,
//!    `AZURE_TENANT_ID`), as AKS workload identity and other Kubernetes federations set them;
//! 3. **GitHub Actions OIDC**: `ACTIONS_ID_TOKEN_REQUEST_URL` and
//!    `ACTIONS_ID_TOKEN_REQUEST_TOKEN` (job permission `id-token: write`) with `AZURE_CLIENT_ID`
//!    and `AZURE_TENANT_ID`: the GitHub token for audience `api://AzureADTokenExchange` is the
//!    client assertion;
//! 4. **managed identity**, only when its environment says it is there (`IDENTITY_ENDPOINT`,
//!    App Service, Functions, Container Apps): the instance metadata address is never probed by
//!    `auto`; choose `managed-identity` on a VM;
//! 5. **Azure CLI**: `az account get-access-token` (after `az login`, or `azure/login` in CI).
//!
//! `--credential` picks one of them. A chosen credential that fails is an error naming it; the
//! chain does not fall through to another identity. Tokens are cached until five minutes
//! before they expire (the Azure CLI credential does not cache), and never printed.

use super::cloud::CloudEndpoints;
use crate::model::Cloud;
use azure_core::credentials::{AccessToken, Secret, TokenCredential};
use azure_core::http::{ClientMethodOptions, ClientOptions, Transport};
use azure_identity::{
    AzureCliCredential, ClientAssertion, ClientAssertionCredential,
    ClientAssertionCredentialOptions, ClientSecretCredential, ClientSecretCredentialOptions,
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId,
    WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
};
use std::sync::Arc;
use tokio::sync::Mutex;

/// Which credential to use (`--credential`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum CredentialKind {
    /// The first credential whose environment is present (see the README).
    #[default]
    Auto,
    /// A service principal from AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_CLIENT_SECRET.
    Env,
    /// Workload identity (AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID, AZURE_TENANT_ID).
    WorkloadIdentity,
    /// GitHub Actions OIDC (ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN, AZURE_CLIENT_ID, AZURE_TENANT_ID).
    GithubOidc,
    /// The Azure CLI's login (az account get-access-token).
    AzureCli,
    /// The managed identity of the machine (AZURE_CLIENT_ID: a user-assigned one).
    ManagedIdentity,
}

impl CredentialKind {
    pub fn name(self) -> &'static str {
        match self {
            CredentialKind::Auto => "auto",
            CredentialKind::Env => "env",
            CredentialKind::WorkloadIdentity => "workload-identity",
            CredentialKind::GithubOidc => "github-oidc",
            CredentialKind::AzureCli => "azure-cli",
            CredentialKind::ManagedIdentity => "managed-identity",
        }
    }
}

/// The environment the chain reads (a trait so that tests decide it without touching the
/// process environment).
pub trait Environment {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Environment for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

fn has(env: &dyn Environment, names: &[&str]) -> bool {
    names.iter().all(|n| env.var(n).is_some())
}

const SP: &[&str] = &["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET"];
const WORKLOAD: &[&str] = &[
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_FEDERATED_TOKEN_FILE",
];
const GITHUB: &[&str] = &[
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
];

/// The credential `auto` (or the given kind) resolves to in this environment.
pub fn resolve(kind: CredentialKind, env: &dyn Environment) -> CredentialKind {
    if kind != CredentialKind::Auto {
        return kind;
    }
    if has(env, SP) {
        CredentialKind::Env
    } else if has(env, WORKLOAD) {
        CredentialKind::WorkloadIdentity
    } else if has(env, GITHUB) {
        CredentialKind::GithubOidc
    } else if env.var("IDENTITY_ENDPOINT").is_some() || env.var("MSI_ENDPOINT").is_some() {
        CredentialKind::ManagedIdentity
    } else {
        CredentialKind::AzureCli
    }
}

/// A credential with a token cache, for one scope.
pub struct Credential {
    kind: CredentialKind,
    inner: Arc<dyn TokenCredential>,
    scope: String,
    cache: Mutex<Option<AccessToken>>,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("kind", &self.kind.name())
            .finish_non_exhaustive()
    }
}

impl Credential {
    /// A credential from a token source (tests give a static one).
    pub fn from_token_credential(
        kind: CredentialKind,
        inner: Arc<dyn TokenCredential>,
        scope: &str,
    ) -> Credential {
        Credential {
            kind,
            inner,
            scope: scope.to_string(),
            cache: Mutex::new(None),
        }
    }

    /// Build the chosen credential. `http` is the client token requests go through.
    pub fn build(
        kind: CredentialKind,
        cloud: Cloud,
        env: &dyn Environment,
        http: reqwest::Client,
    ) -> Result<Credential, String> {
        let kind = resolve(kind, env);
        let scope = CloudEndpoints::of(cloud).scope;
        // the public cloud leaves the authority to azure_identity, which honours
        // AZURE_AUTHORITY_HOST (a custom or test authority)
        let options = || ClientOptions {
            transport: Some(Transport::new(Arc::new(http.clone()))),
            cloud: (cloud != Cloud::Public)
                .then(|| Arc::new(CloudEndpoints::azure_core_cloud(cloud))),
            ..Default::default()
        };
        let need = |names: &[&str]| -> Result<(), String> {
            let missing: Vec<&str> = names
                .iter()
                .copied()
                .filter(|n| env.var(n).is_none())
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "credential {} needs {} in the environment",
                    kind.name(),
                    missing.join(", ")
                ))
            }
        };
        let var = |n: &str| env.var(n).unwrap_or_default();
        let failed = |e: azure_core::Error| format!("credential {}: {e}", kind.name());
        let inner: Arc<dyn TokenCredential> = match kind {
            CredentialKind::Env => {
                need(SP)?;
                ClientSecretCredential::new(
                    &var("AZURE_TENANT_ID"),
                    var("AZURE_CLIENT_ID"),
                    Secret::new(var("AZURE_CLIENT_SECRET")),
                    Some(ClientSecretCredentialOptions {
                        client_options: options(),
                    }),
                )
                .map_err(failed)?
            }
            CredentialKind::WorkloadIdentity => {
                need(WORKLOAD)?;
                WorkloadIdentityCredential::new(Some(WorkloadIdentityCredentialOptions {
                    credential_options: ClientAssertionCredentialOptions {
                        client_options: options(),
                    },
                    client_id: Some(var("AZURE_CLIENT_ID")),
                    tenant_id: Some(var("AZURE_TENANT_ID")),
                    token_file_path: Some(var("AZURE_FEDERATED_TOKEN_FILE").into()),
                }))
                .map_err(failed)?
            }
            CredentialKind::GithubOidc => {
                need(GITHUB)?;
                ClientAssertionCredential::new(
                    var("AZURE_TENANT_ID"),
                    var("AZURE_CLIENT_ID"),
                    GithubOidcAssertion {
                        url: var("ACTIONS_ID_TOKEN_REQUEST_URL"),
                        token: Secret::new(var("ACTIONS_ID_TOKEN_REQUEST_TOKEN")),
                        http: http.clone(),
                    },
                    Some(ClientAssertionCredentialOptions {
                        client_options: options(),
                    }),
                )
                .map_err(failed)?
            }
            CredentialKind::ManagedIdentity => {
                ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
                    user_assigned_id: env.var("AZURE_CLIENT_ID").map(UserAssignedId::ClientId),
                    client_options: options(),
                }))
                .map_err(failed)?
            }
            CredentialKind::AzureCli | CredentialKind::Auto => {
                AzureCliCredential::new(None).map_err(failed)?
            }
        };
        Ok(Credential::from_token_credential(kind, inner, scope))
    }

    pub fn kind(&self) -> CredentialKind {
        self.kind
    }

    /// A bearer token for the scope: cached until five minutes before it expires.
    pub async fn token(&self) -> Result<Secret, String> {
        let mut cache = self.cache.lock().await;
        let now = azure_core::time::OffsetDateTime::now_utc();
        if let Some(t) = cache.as_ref() {
            if t.expires_on - azure_core::time::Duration::minutes(5) > now {
                return Ok(t.token.clone());
            }
        }
        let t = self
            .inner
            .get_token(&[self.scope.as_str()], None)
            .await
            .map_err(|e| {
                format!(
                    "credential {} could not get a token: {}",
                    self.kind.name(),
                    one_line(&e.to_string())
                )
            })?;
        let secret = t.token.clone();
        *cache = Some(t);
        Ok(secret)
    }
}

/// An error message on one line, without anything that looks like a bearer token.
fn one_line(s: &str) -> String {
    let s: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    s.split(' ')
        .map(|w| {
            if w.len() > 40 && w.matches('.').count() >= 2 {
                "[redacted]"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The GitHub Actions ID token for Entra ID's token exchange, as a client assertion.
#[derive(Debug)]
struct GithubOidcAssertion {
    url: String,
    token: Secret,
    http: reqwest::Client,
}

#[async_trait::async_trait]
impl ClientAssertion for GithubOidcAssertion {
    async fn secret(&self, _: Option<ClientMethodOptions<'_>>) -> azure_core::Result<String> {
        use azure_core::error::{Error, ErrorKind};
        let sep = if self.url.contains('?') { '&' } else { '?' };
        let url = format!("{}{sep}audience=api://AzureADTokenExchange", self.url);
        let res = self
            .http
            .get(url)
            .header("Authorization", format!("bearer {}", self.token.secret()))
            .send()
            .await
            .map_err(|e| {
                Error::with_message(
                    ErrorKind::Credential,
                    format!("GitHub OIDC token request failed: {}", e.without_url()),
                )
            })?;
        let status = res.status();
        let body: serde_json::Value = res.json().await.map_err(|_| {
            Error::with_message(
                ErrorKind::Credential,
                format!("GitHub OIDC token request: HTTP {status}, no JSON body"),
            )
        })?;
        body.get("value")
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .ok_or_else(|| {
                Error::with_message(
                    ErrorKind::Credential,
                    format!(
                        "GitHub OIDC token request: HTTP {status}, no `value` (does the job have \
                         `permissions: id-token: write`?)"
                    ),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Env(HashMap<&'static str, &'static str>);
    impl Environment for Env {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|v| v.to_string())
        }
    }

    #[test]
    fn auto_picks_by_environment() {
        let e = |pairs: &[(&'static str, &'static str)]| Env(pairs.iter().copied().collect());
        let auto = CredentialKind::Auto;
        assert_eq!(resolve(auto, &e(&[])), CredentialKind::AzureCli);
        let sp = [
            ("AZURE_CLIENT_ID", "c"),
            ("AZURE_TENANT_ID", "t"),
            ("AZURE_CLIENT_SECRET", "s"),
        ];
        assert_eq!(resolve(auto, &e(&sp)), CredentialKind::Env);
        let wi = [
            ("AZURE_CLIENT_ID", "c"),
            ("AZURE_TENANT_ID", "t"),
            ("AZURE_FEDERATED_TOKEN_FILE", "/f"),
        ];
        assert_eq!(resolve(auto, &e(&wi)), CredentialKind::WorkloadIdentity);
        let gh = [
            ("AZURE_CLIENT_ID", "c"),
            ("AZURE_TENANT_ID", "t"),
            ("ACTIONS_ID_TOKEN_REQUEST_URL", "https://x"),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "y"),
        ];
        assert_eq!(resolve(auto, &e(&gh)), CredentialKind::GithubOidc);
        // the metadata address is never assumed: only an App Service style environment
        assert_eq!(
            resolve(auto, &e(&[("IDENTITY_ENDPOINT", "http://x")])),
            CredentialKind::ManagedIdentity
        );
        // a chosen kind stays, and says what it lacks
        assert_eq!(
            resolve(CredentialKind::GithubOidc, &e(&[])),
            CredentialKind::GithubOidc
        );
        let err = Credential::build(
            CredentialKind::Env,
            Cloud::Public,
            &e(&[("AZURE_CLIENT_ID", "c")]),
            super::super::http_client().unwrap(),
        )
        .unwrap_err();
        assert!(
            err.contains("AZURE_TENANT_ID, AZURE_CLIENT_SECRET"),
            "{err}"
        );
    }

    /// The GitHub OIDC assertion: the ID token for Entra ID's audience, asked with the
    /// request token (a fake GitHub endpoint on 127.0.0.1).
    #[test]
    fn github_oidc_assertion_asks_for_the_token_exchange_audience() {
        use wiremock::matchers::{header, method, path, query_param};
        use wiremock::{Mock, MockServer, ResponseTemplate};
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let server = MockServer::start().await;
            Mock::given(method("GET"))
                .and(path("/idtoken"))
                .and(query_param("api-version", "2.0"))
                .and(query_param("audience", "api://AzureADTokenExchange"))
                .and(header("authorization", "bearer request-token"))
                .respond_with(
                    ResponseTemplate::new(200)
                        .set_body_json(serde_json::json!({"count": 1, "value": "gh-id-token"})),
                )
                .mount(&server)
                .await;
            let a = GithubOidcAssertion {
                url: format!("{}/idtoken?api-version=2.0", server.uri()),
                token: Secret::new("request-token"),
                http: super::super::http_client().unwrap(),
            };
            assert_eq!(a.secret(None).await.unwrap(), "gh-id-token");
            let missing = GithubOidcAssertion {
                url: format!("{}/nothing", server.uri()),
                token: Secret::new("request-token"),
                http: super::super::http_client().unwrap(),
            };
            let e = missing.secret(None).await.unwrap_err().to_string();
            assert!(!e.contains("request-token"), "{e}");
        });
    }

    #[test]
    fn token_like_words_are_redacted_from_errors() {
        let jwt = "eyJ0eXAiOiJKV1QiLCJhbGciOi.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQ.c2lnbmF0dXJl";
        let s = one_line(&format!("failed:\n  token {jwt} refused"));
        assert_eq!(s, "failed: token [redacted] refused");
    }
}
