//! Live reads from Azure Resource Manager: credentials ([`credential`]), the HTTP client with its
//! retries ([`client`]), what to read ([`walk`]), and the runner that reads in rounds until the
//! model wants nothing more. Read-only: GET (and list) requests, so the Reader role on the
//! scopes read is enough. The responses go through the one ARM mapper (`input::arm`); each body
//! is registered in the [`SourceMap`] as a source named by the resource and the read time
//! (`rg-hub/azureFirewalls/fw-hub (live, read 2026-12-02T10:00Z)`), so findings and hops point
//! into it.

pub mod client;
pub mod cloud;
pub mod credential;
pub mod graph;
pub mod walk;

use crate::error::Error;
use crate::input::arm::reads::ReadRecord;
use crate::input::arm::{self, ArmResource, short_address, strip_sensitive};
use crate::model::{Cloud, InputNote, Lifecycle, Model, ResourceId};
use crate::source::{Loc, Origin, SourceMap};
use client::{ArmClient, ClientOptions, Fetched};
use credential::{Credential, CredentialKind, ProcessEnv};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;
use walk::{Found, Want};

/// How to read.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// `--arm-endpoint` (default: the cloud's Resource Manager).
    pub endpoint: Option<String>,
    pub cloud: Cloud,
    pub credential: CredentialKind,
    /// Per request.
    pub timeout: Duration,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Attempts per request (retries on 408/429/5xx and timeouts).
    pub max_attempts: u32,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// Stop after this many requests (a runaway estate).
    pub max_reads: usize,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            endpoint: None,
            cloud: Cloud::Public,
            credential: CredentialKind::Auto,
            timeout: Duration::from_secs(30),
            concurrency: 8,
            max_attempts: 4,
            progress: false,
            max_reads: 2000,
        }
    }
}

/// What a live read brought.
#[derive(Debug, Default)]
pub struct LiveRead {
    /// The resources read, as model elements (`Lifecycle::Existing`), with notes for the reads
    /// that failed.
    pub model: Model,
    /// The response bodies kept, in REST shape without secrets, sorted by id (for snapshots).
    pub resources: Vec<Value>,
    /// Every request made.
    pub records: Vec<ReadRecord>,
    /// The endpoint read from.
    pub endpoint: String,
}

/// One scope of a snapshot without a plan: a subscription, or a resource group of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub subscription: String,
    pub resource_group: Option<String>,
}

/// The time of a record to the minute, for source names: `2026-12-02T10:00Z`.
fn minute(rfc3339: &str) -> String {
    match rfc3339.get(..16) {
        Some(m) if rfc3339.len() >= 17 => format!("{m}Z"),
        _ => rfc3339.to_string(),
    }
}

/// The live runner's state.
struct Runner<'a> {
    client: ArmClient,
    sources: &'a mut SourceMap,
    opts: &'a LiveOptions,
    live: Model,
    kept: BTreeMap<String, Value>,
    records: Vec<ReadRecord>,
    attempted: BTreeSet<Want>,
    found: Found,
    /// Where the inputs refer to each resource read: what a failed read points at.
    referrers: BTreeMap<String, Origin>,
    progress: Progress,
}

/// The ARM client of `opts`, with its credential.
fn client_of(opts: &LiveOptions) -> Result<ArmClient, Error> {
    let endpoints = cloud::CloudEndpoints::of(opts.cloud);
    let endpoint = match &opts.endpoint {
        Some(e) => cloud::check_endpoint(e).map_err(Error::Usage)?,
        None => endpoints.resource_manager.to_string(),
    };
    let http =
        http_client().map_err(|e| Error::Usage(format!("cannot set up the HTTP client: {e}")))?;
    let credential = Credential::build(opts.credential, opts.cloud, &ProcessEnv, http.clone())
        .map_err(|e| credential_error(&e))?;
    let mut co = ClientOptions::new(&endpoint);
    co.timeout = opts.timeout;
    co.max_attempts = opts.max_attempts.max(1);
    Ok(ArmClient::new(http, co, Arc::new(credential)))
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))
}

/// The HTTP client of live reads and token requests: TLS through rustls with the ring provider
/// (installed once as the process-wide default).
pub fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!("aks-preflight/", env!("CARGO_PKG_VERSION")))
        .build()
}

fn credential_error(e: &str) -> Error {
    Error::Unsupported {
        message: format!("live reads need an Azure credential: {e}"),
        help: Some(
            "sign in with `az login` (or azure/login in CI), set AZURE_CLIENT_ID, \
             AZURE_TENANT_ID and AZURE_CLIENT_SECRET, or choose one with --credential \
             (auto|env|workload-identity|github-oidc|azure-cli|managed-identity)"
                .into(),
        ),
    }
}

/// Read what `planned` over `existing` refers to but does not hold, transitively (see
/// [`walk`]). The bodies are registered in `sources`.
pub fn read_missing(
    planned: &Model,
    existing: &Model,
    sources: &mut SourceMap,
    opts: &LiveOptions,
) -> Result<LiveRead, Error> {
    Connection::open(opts)?.read(&[], planned, existing, sources, opts)
}

/// Whether `planned` over `existing` refers to resources neither holds (what a live read
/// would read first).
pub fn refers_to_missing(planned: &Model, existing: &Model) -> bool {
    let mut layered = Model::layered(existing.clone(), planned.clone());
    layered.finish();
    !walk::wants(&layered, &Found::default()).wants.is_empty()
}

/// A connection to Resource Manager: the client with its credential, and the runtime its
/// requests run on (one per connection, so that pooled connections outlive each read).
pub struct Connection {
    client: ArmClient,
    rt: tokio::runtime::Runtime,
}

impl Connection {
    /// The client of `opts` (no request yet; a bad endpoint or a credential whose environment
    /// is incomplete is an error).
    pub fn open(opts: &LiveOptions) -> Result<Connection, Error> {
        Ok(Connection {
            client: client_of(opts)?,
            rt: runtime()?,
        })
    }

    /// Whether the credential gives a token (kept for the reads that follow); nothing is read.
    pub fn ready(&self) -> Result<(), Error> {
        self.rt
            .block_on(self.client.ready())
            .map_err(|e| credential_error(&e))
    }

    /// The existing `clusters` (managed cluster GET and its agent pools, in the first round),
    /// then what they and `planned` over `existing` refer to but do not hold, transitively.
    pub fn read(
        &self,
        clusters: &[ResourceId],
        planned: &Model,
        existing: &Model,
        sources: &mut SourceMap,
        opts: &LiveOptions,
    ) -> Result<LiveRead, Error> {
        let seeds = clusters
            .iter()
            .flat_map(|id| [Want::Get(id.clone()), Want::AgentPools(id.clone())])
            .collect();
        read_missing_with(
            &self.rt,
            self.client.clone(),
            seeds,
            planned,
            existing,
            sources,
            opts,
        )
    }
}

/// [`Connection::read`] through a given client, the `seeds` read in the first round.
fn read_missing_with(
    rt: &tokio::runtime::Runtime,
    client: ArmClient,
    seeds: Vec<Want>,
    planned: &Model,
    existing: &Model,
    sources: &mut SourceMap,
    opts: &LiveOptions,
) -> Result<LiveRead, Error> {
    let mut r = Runner::new(client, sources, opts);
    let mut seeds = Some(seeds);
    rt.block_on(async {
        for _round in 0..16 {
            let mut exist = existing.clone();
            exist.merge(r.live.clone());
            let mut layered = Model::layered(exist, planned.clone());
            layered.finish();
            let round = walk::wants(&layered, &r.found);
            for (k, o) in round.referrers {
                r.referrers.entry(k).or_insert(o);
            }
            let new: Vec<Want> = seeds
                .take()
                .unwrap_or_default()
                .into_iter()
                .chain(round.wants)
                .filter(|w| !r.attempted.contains(w))
                .collect();
            if new.is_empty() {
                break;
            }
            if !r.round(new, &round.orphans).await? {
                break;
            }
        }
        Ok::<(), Error>(())
    })?;
    Ok(r.finish())
}

/// Read every modelled resource of the scopes (a snapshot without a plan).
pub fn read_scopes(
    scopes: &[Scope],
    sources: &mut SourceMap,
    opts: &LiveOptions,
) -> Result<LiveRead, Error> {
    const TYPES: &[&str] = &[
        "Microsoft.Network/virtualNetworks",
        "Microsoft.Network/networkSecurityGroups",
        "Microsoft.Network/routeTables",
        "Microsoft.Network/natGateways",
        "Microsoft.Network/publicIPAddresses",
        "Microsoft.Network/publicIPPrefixes",
        "Microsoft.Network/azureFirewalls",
        "Microsoft.Network/firewallPolicies",
        "Microsoft.Network/ipGroups",
        "Microsoft.Network/privateDnsZones",
        "Microsoft.Network/dnsResolvers",
        "Microsoft.ContainerService/managedClusters",
    ];
    let rt = runtime()?;
    let mut r = Runner::new(client_of(opts)?, sources, opts);
    rt.block_on(async {
        let mut lists = vec![];
        for s in scopes {
            let base = match &s.resource_group {
                Some(g) => format!("/subscriptions/{}/resourceGroups/{g}", s.subscription),
                None => format!("/subscriptions/{}", s.subscription),
            };
            for t in TYPES {
                lists.push(format!("{base}/providers/{t}"));
            }
        }
        let items = r.lists(lists).await?;
        // children listed per parent: rule collection groups, zone links, inbound endpoints
        let mut children = vec![];
        let mut keep = vec![];
        for it in items {
            let t = arm::resource_type(&it)
                .unwrap_or_default()
                .to_ascii_lowercase();
            let Some(id) = it.get("id").and_then(Value::as_str).map(str::to_string) else {
                continue;
            };
            match t.as_str() {
                "microsoft.network/firewallpolicies" => {
                    children.push(format!("{id}/ruleCollectionGroups"));
                }
                "microsoft.network/privatednszones" => {
                    children.push(format!("{id}/virtualNetworkLinks"));
                }
                "microsoft.network/dnsresolvers" => {
                    children.push(format!("{id}/inboundEndpoints"));
                    continue; // the resolver itself is not modelled
                }
                _ => {}
            }
            keep.push(it);
        }
        keep.extend(r.lists(children).await?);
        r.keep_all(keep);
        Ok::<(), Error>(())
    })?;
    Ok(r.finish())
}

impl<'a> Runner<'a> {
    fn new(client: ArmClient, sources: &'a mut SourceMap, opts: &'a LiveOptions) -> Self {
        Runner {
            client,
            sources,
            opts,
            live: Model::new(),
            kept: BTreeMap::new(),
            records: vec![],
            attempted: BTreeSet::new(),
            found: Found::default(),
            referrers: BTreeMap::new(),
            progress: Progress::new(opts.progress),
        }
    }

    /// One round of reads. `false` when the request budget is spent.
    async fn round(
        &mut self,
        mut wants: Vec<Want>,
        orphans: &[std::net::IpAddr],
    ) -> Result<bool, Error> {
        let room = self.opts.max_reads.saturating_sub(self.records.len());
        let truncated = wants.len() > room;
        wants.truncate(room);
        self.attempted.extend(wants.iter().cloned());
        self.progress.add(wants.len());
        let client = self.client.clone();
        let progress = &self.progress;
        let results: Vec<(Want, Result<Outcome, String>)> =
            run_bounded(wants, self.opts.concurrency, |w: Want| {
                let client = client.clone();
                async move {
                    let out = fetch(&client, &w).await;
                    progress.inc();
                    (w, out)
                }
            })
            .await;
        let mut batch = vec![];
        for (w, out) in results {
            let out = out.map_err(|e| credential_error(&e))?;
            self.records.extend(out.records);
            match w {
                // a cluster and its agent pools in one batch: the pools join their cluster
                Want::Get(_) | Want::ZoneLinks(_) | Want::AgentPools(_) => batch.extend(out.items),
                Want::Resolvers(_) => {
                    for it in &out.items {
                        if let Some(id) = it.get("id").and_then(Value::as_str) {
                            self.found.resolvers.push(ResourceId::new(id));
                        }
                    }
                }
                Want::Firewalls(_) | Want::InboundEndpoints(_) => {
                    // keep only the owners of the addresses looked for
                    for it in out.items {
                        let m = arm::map_resources(&[ArmResource {
                            value: it.clone(),
                            origin: Origin::none(),
                            lifecycle: Lifecycle::Existing,
                            symbol: None,
                        }]);
                        let owns = m
                            .firewalls
                            .iter()
                            .filter_map(|f| f.private_ip.known())
                            .chain(
                                m.dns_resolver_inbound_endpoints
                                    .iter()
                                    .filter_map(|e| e.ip.known()),
                            )
                            .any(|ip| orphans.contains(ip));
                        if owns {
                            batch.push(it);
                        }
                    }
                }
            }
        }
        self.keep_all(batch);
        if truncated {
            self.live.input_notes.push(InputNote {
                code: "LIV003",
                message: format!(
                    "stopped after {} requests: the rest of the resources the inputs refer to \
                     were not read; what depends on them is unknown",
                    self.opts.max_reads
                ),
                origin: Origin::none(),
            });
        }
        Ok(!truncated)
    }

    /// GET every list path (and its further pages); the items.
    async fn lists(&mut self, paths: Vec<String>) -> Result<Vec<Value>, Error> {
        self.progress.add(paths.len());
        let client = self.client.clone();
        let progress = &self.progress;
        let results = run_bounded(paths, self.opts.concurrency, |p: String| {
            let client = client.clone();
            async move {
                let t = arm::type_from_id(&format!("{p}/x")).unwrap_or_default();
                let out = client.list(&p, client::api_version(&t)).await;
                progress.inc();
                out
            }
        })
        .await;
        let mut items = vec![];
        for r in results {
            let (its, recs) = r.map_err(|e| credential_error(&e))?;
            self.records.extend(recs);
            items.extend(its);
        }
        Ok(items)
    }

    /// Keep resource bodies: register each as a source, map them, add them to the live model.
    fn keep_all(&mut self, items: Vec<Value>) {
        let read_at = self
            .records
            .last()
            .map(|r| r.read_at.clone())
            .unwrap_or_else(client::now_rfc3339);
        let mut resources = vec![];
        let mut items = items;
        items.sort_by_key(|v| {
            v.get("id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_ascii_lowercase()
        });
        for mut it in items {
            let Some(id) = it.get("id").and_then(Value::as_str).map(str::to_string) else {
                continue;
            };
            strip_sensitive(&mut it);
            let when = self
                .records
                .iter()
                .rev()
                .find(|r| r.id.as_deref().is_some_and(|i| i.eq_ignore_ascii_case(&id)))
                .map(|r| r.read_at.clone())
                .unwrap_or_else(|| read_at.clone());
            let name = format!("{} (live, read {})", short_address(&id), minute(&when));
            let text = serde_json::to_string_pretty(&it).unwrap_or_default() + "\n";
            let file = self.sources.add(name, text);
            resources.push(ArmResource {
                value: it.clone(),
                origin: Origin {
                    file: Some(file),
                    address: None,
                    loc: Loc::Pointer(String::new()),
                },
                lifecycle: Lifecycle::Existing,
                symbol: None,
            });
            self.kept.insert(id.to_ascii_lowercase(), it);
        }
        let m = arm::map_resources(&resources);
        self.live.merge(m);
    }

    fn finish(mut self) -> LiveRead {
        self.progress.done();
        for r in &self.records {
            // the failed read points at where the inputs refer to the resource
            let origin =
                r.id.as_ref()
                    .and_then(|id| self.referrers.get(&id.to_ascii_lowercase()))
                    .filter(|o| o.file.is_some())
                    .cloned()
                    .unwrap_or_else(|| Origin {
                        file: None,
                        address: Some(r.target().into()),
                        loc: Loc::None,
                    });
            if let Some(n) = r.note(origin) {
                self.live.input_notes.push(n);
            }
        }
        let mut model = self.live;
        model.finish();
        LiveRead {
            model,
            resources: self.kept.into_values().collect(),
            records: self.records,
            endpoint: self.client.endpoint().to_string(),
        }
    }
}

/// What one want brought: resource bodies, and the records of its requests.
struct Outcome {
    items: Vec<Value>,
    records: Vec<ReadRecord>,
}

async fn fetch(client: &ArmClient, w: &Want) -> Result<Outcome, String> {
    let list = |path: String, t: &str| {
        let api = client::api_version(t);
        async move {
            let (items, records) = client.list(&path, api).await?;
            Ok::<Outcome, String>(Outcome { items, records })
        }
    };
    match w {
        Want::Get(id) => {
            let Fetched { record, body, .. } = client.get_resource(id).await?;
            Ok(Outcome {
                items: body.into_iter().collect(),
                records: vec![record],
            })
        }
        Want::Firewalls(s) => {
            list(
                format!("/subscriptions/{s}/providers/Microsoft.Network/azureFirewalls"),
                "Microsoft.Network/azureFirewalls",
            )
            .await
        }
        Want::Resolvers(s) => {
            list(
                format!("/subscriptions/{s}/providers/Microsoft.Network/dnsResolvers"),
                "Microsoft.Network/dnsResolvers",
            )
            .await
        }
        Want::InboundEndpoints(r) => {
            list(
                format!("{}/inboundEndpoints", r.as_str()),
                "Microsoft.Network/dnsResolvers/inboundEndpoints",
            )
            .await
        }
        Want::ZoneLinks(z) => {
            list(
                format!("{}/virtualNetworkLinks", z.as_str()),
                "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
            )
            .await
        }
        Want::AgentPools(c) => {
            list(
                format!("{}/agentPools", c.as_str()),
                "Microsoft.ContainerService/managedClusters/agentPools",
            )
            .await
        }
    }
}

/// Run `f` over `items` with at most `n` in flight; results in the order of `items`.
async fn run_bounded<T, F, Fut, R>(items: Vec<T>, n: usize, f: F) -> Vec<R>
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = R>,
{
    use futures::stream::{self, StreamExt};
    stream::iter(items.into_iter().map(f))
        .buffered(n.max(1))
        .collect()
        .await
}

/// A progress bar on stderr for reads that take more than a moment.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    started: std::time::Instant,
}

impl Progress {
    fn new(enabled: bool) -> Progress {
        let bar = enabled.then(|| {
            let b = indicatif::ProgressBar::with_draw_target(
                Some(0),
                indicatif::ProgressDrawTarget::hidden(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} reading from Azure Resource Manager [{pos}/{len}] {elapsed}",
            ) {
                b.set_style(style);
            }
            b
        });
        Progress {
            bar,
            started: std::time::Instant::now(),
        }
    }
    fn add(&self, n: usize) {
        if let Some(b) = &self.bar {
            b.inc_length(n as u64);
        }
    }
    fn inc(&self) {
        if let Some(b) = &self.bar {
            if b.is_hidden() && self.started.elapsed() > Duration::from_millis(400) {
                b.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
            b.inc(1);
        }
    }
    fn done(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
    use wiremock::matchers::{header, method};
    use wiremock::{Mock, MockServer, Request, ResponseTemplate};

    #[derive(Debug)]
    struct StaticToken;

    #[async_trait::async_trait]
    impl TokenCredential for StaticToken {
        async fn get_token(
            &self,
            _: &[&str],
            _: Option<TokenRequestOptions<'_>>,
        ) -> azure_core::Result<AccessToken> {
            Ok(AccessToken::new(
                "static-token",
                azure_core::time::OffsetDateTime::now_utc() + azure_core::time::Duration::hours(1),
            ))
        }
    }

    struct PathIs(String);
    impl wiremock::Match for PathIs {
        fn matches(&self, r: &Request) -> bool {
            r.url.path().eq_ignore_ascii_case(&self.0)
        }
    }

    const DIR: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/scenarios/existing-hub-spoke"
    );

    fn hub() -> Vec<Value> {
        let text = std::fs::read_to_string(format!("{DIR}/hub-rest.json")).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        v["value"].as_array().unwrap().clone()
    }

    /// The spoke plan, a fake ARM serving the hub by id (after the `extra` mocks), and a client
    /// for it with a static token.
    fn setup(extra: Vec<Mock>) -> (SourceMap, Model, MockServer, ArmClient) {
        let mut sources = SourceMap::new();
        let plan_text = std::fs::read_to_string(format!("{DIR}/plan.json")).unwrap();
        let (_, planned) = crate::input::load(&mut sources, "plan.json", plan_text).unwrap();
        let rt = runtime().unwrap();
        let server = rt.block_on(async {
            let server = MockServer::start().await;
            for m in extra {
                server.register(m).await;
            }
            for r in hub() {
                Mock::given(method("GET"))
                    .and(PathIs(r["id"].as_str().unwrap().into()))
                    .and(header("authorization", "Bearer static-token"))
                    .respond_with(ResponseTemplate::new(200).set_body_json(r))
                    .mount(&server)
                    .await;
            }
            server
        });
        let credential = Credential::from_token_credential(
            CredentialKind::AzureCli,
            Arc::new(StaticToken),
            "https://management.azure.com/.default",
        );
        let client = ArmClient::new(
            http_client().unwrap(),
            ClientOptions::new(&server.uri()),
            Arc::new(credential),
        );
        (sources, planned, server, client)
    }

    /// What a live read of `planned` brings (nothing existing besides), with default options.
    fn read_for(client: ArmClient, planned: &Model, sources: &mut SourceMap) -> LiveRead {
        let opts = LiveOptions::default();
        let rt = runtime().unwrap();
        read_missing_with(&rt, client, vec![], planned, &Model::new(), sources, &opts).unwrap()
    }

    /// The live layer read for the spoke plan of `existing-hub-spoke`: what was read, how it is
    /// named, and that the plan's data sources resolve to it.
    #[test]
    fn live_model_of_the_spoke_plan() {
        let (mut sources, planned, server, client) = setup(vec![]);
        let read = read_for(client, &planned, &mut sources);
        // the hub was read: VNet, firewall, its public IP, policy, rule collection group
        let m = &read.model;
        assert_eq!(
            (m.vnets.len(), m.firewalls.len(), m.firewall_policies.len()),
            (1, 1, 1)
        );
        assert_eq!(m.rule_collection_groups.len(), 1);
        assert_eq!(m.public_ips.len(), 1);
        assert!(read.records.iter().all(|r| r.ok()), "{:?}", read.records);
        assert_eq!(read.resources.len(), 5);
        let fw = &m.firewalls[0];
        assert_eq!(fw.meta.lifecycle, Lifecycle::Existing);
        assert_eq!(
            fw.meta.address(),
            "rg-hub-prod-weu/azureFirewalls/afw-hub-prod-weu"
        );
        let name = &sources.get(fw.meta.origin.file.unwrap()).name;
        assert!(
            name.starts_with("rg-hub-prod-weu/azureFirewalls/afw-hub-prod-weu (live, read 20"),
            "{name}"
        );
        // layered under the plan: the data sources stand for what was read
        let mut layered = Model::layered(read.model, planned);
        layered.finish();
        let f = layered
            .firewall(&crate::model::Ref::key("data.azurerm_firewall.hub"))
            .expect("the data source resolves");
        assert!(
            f.policy
                .known()
                .and_then(|p| layered.firewall_policy(p))
                .is_some()
        );
        assert!(
            layered
                .vnet(&crate::model::Ref::key("data.azurerm_virtual_network.hub"))
                .is_some_and(|v| v.meta.lifecycle == Lifecycle::Existing)
        );
        drop(server);
    }

    /// A next hop that nothing in the inputs refers to by id: the firewall that owns it is found
    /// in the list of the subscription's firewalls (two pages), the others are not kept.
    #[test]
    fn the_owner_of_a_next_hop_is_found_by_listing() {
        let fw = hub()
            .into_iter()
            .find(|r| r["type"] == "Microsoft.Network/azureFirewalls")
            .unwrap();
        let mut other = fw.clone();
        other["id"] = Value::String(fw["id"].as_str().unwrap().replace("afw-hub", "afw-other"));
        other["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"] =
            Value::String("10.9.0.4".into());
        let sub = "3f2c9b1e-7d4a-4c8e-9a51-2b6f0d8e1c47";
        let list = format!("/subscriptions/{sub}/providers/Microsoft.Network/azureFirewalls");
        let resolvers = format!("/subscriptions/{sub}/providers/Microsoft.Network/dnsResolvers");
        let next = Arc::new(std::sync::Mutex::new(String::new()));
        let page2 = Mock::given(method("GET"))
            .and(PathIs(list.clone()))
            .and(wiremock::matchers::query_param("$skipToken", "2"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"value": [fw]})),
            );
        let n = next.clone();
        let page1 =
            Mock::given(method("GET"))
                .and(PathIs(list))
                .respond_with(move |_: &Request| {
                    ResponseTemplate::new(200).set_body_json(
                    serde_json::json!({"value": [other], "nextLink": n.lock().unwrap().clone()}),
                )
                });
        let none = Mock::given(method("GET"))
            .and(PathIs(resolvers))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"value": []})),
            );
        let (mut sources, mut planned, server, client) = setup(vec![page2, page1, none]);
        *next.lock().unwrap() = format!(
            "{}/subscriptions/{sub}/providers/Microsoft.Network/azureFirewalls?api-version=2024-05-01&$skipToken=2",
            server.uri()
        );
        // the plan without its firewall data source: 10.0.1.4 has no owner in the inputs
        planned.firewalls.clear();
        planned.finish();
        let read = read_for(client, &planned, &mut sources);
        let fws: Vec<&str> = read
            .model
            .firewalls
            .iter()
            .map(|f| f.meta.address())
            .collect();
        assert_eq!(fws, ["rg-hub-prod-weu/azureFirewalls/afw-hub-prod-weu"]);
        let pages = read
            .records
            .iter()
            .filter(|r| r.url.contains("azureFirewalls?"))
            .count();
        assert_eq!(pages, 2);
        // and from the firewall on, its policy and the policy's group were read
        assert_eq!(read.model.firewall_policies.len(), 1);
        assert_eq!(read.model.rule_collection_groups.len(), 1);
        drop(server);
    }
}
