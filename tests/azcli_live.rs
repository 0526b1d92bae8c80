//! The live modes of issue 9 against an in-process fake Azure Resource Manager on 127.0.0.1
//! (wiremock) that serves resources by id, lists (a subscription's resources of a type, a
//! parent's children) and Azure Resource Graph queries, with the real credential chain: the
//! Azure CLI credential, `az` being a stub on `PATH` that prints a token. Nothing reaches the
//! internet; no metadata address is probed (`auto` never does, and the managed identity
//! environment is cleared).
//!
//! * `az aks create` with no `--snapshot`: the subnet and everything behind it read live (a UDR
//!   cluster whose hub firewall lacks the AKS rules fails, located at `--outbound-type` and at
//!   the live rule collection group), with the verdicts of the same command on snapshot files;
//! * `az aks nodepool add` into a subnet whose NSG denies outbound HTTPS: the cluster and its
//!   agent pools read live, then the new pool's subnet;
//! * `check --cluster ID` with no files;
//! * `scan` over two subscriptions holding three clusters: one Resource Graph query per resource
//!   type (both subscriptions in one body), paged by `$skipToken`, the quota headers honoured,
//!   no GET at all;
//! * without a credential `az aks create` still runs, with AZC003 saying what was not read.

use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const TOKEN: &str = "fake-arm-token-9b2e7c41d0a84f3e";
const SUB: &str = "3f2c9b1e-7d4a-4c8e-9a51-2b6f0d8e1c47";
const SUB2: &str = "7a41c0d2-93be-4f6a-8d15-c2e9b0a7f318";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn scenario(name: &str) -> PathBuf {
    root().join("testdata/azcli").join(name)
}

/// A stub `az` on `PATH`: prints a token as `az account get-access-token -o json` does, or
/// fails as an `az` that is not logged in.
struct StubAz {
    dir: tempfile::TempDir,
}

impl StubAz {
    fn new(logged_in: bool) -> StubAz {
        let dir = tempfile::tempdir().unwrap();
        let script = if logged_in {
            format!(
                "#!/bin/sh\ncat <<EOF\n{{\"accessToken\": \"{TOKEN}\", \"expiresOn\": \
                 \"2030-01-01 00:00:00.000000\", \"expires_on\": 1893456000, \"subscription\": \
                 \"{SUB}\", \"tenant\": \"8d3e1a52-64c2-4f0b-b7a9-5e1c2d9f0a36\", \"tokenType\": \
                 \"Bearer\"}}\nEOF\n"
            )
        } else {
            "#!/bin/sh\necho \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n"
                .to_string()
        };
        let az = dir.path().join("az");
        std::fs::write(&az, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
        StubAz { dir }
    }
}

/// Run the binary in `dir` with the stub `az` first on `PATH` and no other credential in the
/// environment; no output may hold the token.
fn run(az: &StubAz, dir: &Path, args: &[&str]) -> Output {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_aks-preflight"));
    c.current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .env(
            "PATH",
            format!(
                "{}:{}",
                az.dir.path().display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        );
    for v in [
        "AZURE_CLIENT_ID",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_FEDERATED_TOKEN_FILE",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "IDENTITY_ENDPOINT",
        "MSI_ENDPOINT",
    ] {
        c.env_remove(v);
    }
    let out = c.output().unwrap();
    for s in [&out.stdout, &out.stderr] {
        assert!(
            !String::from_utf8_lossy(s).contains(TOKEN),
            "the token was printed"
        );
    }
    out
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

/// The resources of a `{"value": [...]}` file.
fn values(path: &Path) -> Vec<Value> {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["value"].as_array().unwrap().clone()
}

/// `az aks show -o json` output as Resource Manager returns the cluster (`properties`), and its
/// agent pools as the `agentPools` list returns them.
fn rest_cluster(az_shape: &Value) -> (Value, Vec<Value>) {
    let mut top = serde_json::Map::new();
    let mut props = serde_json::Map::new();
    for (k, v) in az_shape.as_object().unwrap() {
        match k.as_str() {
            "id" | "name" | "type" | "location" | "sku" | "identity" | "tags" => {
                top.insert(k.clone(), v.clone());
            }
            "resourceGroup" => {}
            _ => {
                props.insert(k.clone(), v.clone());
            }
        }
    }
    let id = az_shape["id"].as_str().unwrap();
    let pools = props["agentPoolProfiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let mut p = p.clone();
            let name = p["name"].as_str().unwrap().to_string();
            p.as_object_mut().unwrap().remove("name");
            json!({"id": format!("{id}/agentPools/{name}"), "name": name,
                   "type": "Microsoft.ContainerService/managedClusters/agentPools",
                   "properties": p})
        })
        .collect();
    top.insert("properties".into(), Value::Object(props));
    (Value::Object(top), pools)
}

/// The hub VNet the spokes of `nodepool-add-nsg-deny` and `check-cluster-pool-nsg-deny` peer
/// with (the hub of `udr-hub-fw-missing-aks-rules`).
fn hub_vnet() -> Value {
    values(&scenario("udr-hub-fw-missing-aks-rules").join("hub.json"))
        .into_iter()
        .find(|r| type_of(r) == "microsoft.network/virtualnetworks")
        .unwrap()
}

/// The outbound public IP the clusters' load balancer profile names.
fn outbound_ip(sub: &str, cluster: &str) -> Value {
    json!({"id": format!("/subscriptions/{sub}/resourceGroups/MC_rg-{cluster}_{cluster}_westeurope/providers/Microsoft.Network/publicIPAddresses/pip-outbound-1"),
           "name": "pip-outbound-1", "type": "Microsoft.Network/publicIPAddresses",
           "location": "westeurope", "sku": {"name": "Standard"},
           "properties": {"ipAddress": "20.31.4.17", "publicIPAllocationMethod": "Static"}})
}

/// The fake Resource Manager: every request is logged (`METHOD path`, and the body of
/// queries); the first Resource Graph response reports an exhausted quota for one second.
#[derive(Clone)]
struct FakeArm {
    resources: Arc<Vec<Value>>,
    log: Arc<Mutex<Vec<(String, String, Value)>>>,
    /// Rows per Resource Graph page.
    page: usize,
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or("").to_ascii_lowercase()
}

fn type_of(v: &Value) -> String {
    v["type"].as_str().unwrap_or("").to_ascii_lowercase()
}

fn sub_of(id: &str) -> &str {
    id.split('/').nth(2).unwrap_or("")
}

impl FakeArm {
    fn new(resources: Vec<Value>) -> FakeArm {
        FakeArm {
            resources: Arc::new(resources),
            log: Arc::default(),
            page: 2,
        }
    }

    async fn start(&self) -> MockServer {
        let server = MockServer::start().await;
        server
            .register(Mock::given(wiremock::matchers::any()).respond_with(self.clone()))
            .await;
        server
    }

    fn requests(&self) -> Vec<(String, String, Value)> {
        self.log.lock().unwrap().clone()
    }

    fn graph(&self, body: &Value) -> ResponseTemplate {
        let query = body["query"].as_str().unwrap_or("");
        let rtype = query
            .split("type =~ '")
            .nth(1)
            .and_then(|s| s.split('\'').next())
            .unwrap_or("")
            .to_ascii_lowercase();
        let subs: Option<Vec<String>> = body["subscriptions"].as_array().map(|a| {
            a.iter()
                .map(|s| s.as_str().unwrap_or("").to_ascii_lowercase())
                .collect()
        });
        let mut rows: Vec<Value> = self
            .resources
            .iter()
            .filter(|r| type_of(r) == rtype)
            .filter(|r| {
                subs.as_ref()
                    .is_none_or(|s| s.iter().any(|x| x == sub_of(&id_of(r))))
            })
            .map(|r| {
                // as Resource Graph stores them: the type in lower case, the group and
                // subscription beside
                let mut row = r.clone();
                let id = id_of(r);
                row["type"] = json!(rtype);
                row["subscriptionId"] = json!(sub_of(&id));
                row["resourceGroup"] = json!(id.split('/').nth(4).unwrap_or(""));
                row
            })
            .collect();
        rows.sort_by_key(id_of);
        let skip: usize = body["options"]["$skipToken"]
            .as_str()
            .and_then(|t| t.strip_prefix("offset-"))
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        let total = rows.len();
        let page: Vec<Value> = rows.into_iter().skip(skip).take(self.page).collect();
        let mut out = json!({"totalRecords": total, "count": page.len(),
                             "resultTruncated": "false", "data": page});
        if skip + self.page < total {
            out["$skipToken"] = json!(format!("offset-{}", skip + self.page));
        }
        let first = self
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.0 == "POST")
            .count()
            == 1;
        ResponseTemplate::new(200)
            .set_body_json(out)
            .insert_header("x-ms-user-quota-remaining", if first { "0" } else { "14" })
            .insert_header("x-ms-user-quota-resets-after", "00:00:01")
    }

    fn get(&self, path: &str) -> ResponseTemplate {
        let path = path.trim_end_matches('/').to_ascii_lowercase();
        if let Some(r) = self.resources.iter().find(|r| id_of(r) == path) {
            return ResponseTemplate::new(200).set_body_json(r);
        }
        // a subscription's resources of a type
        let segs: Vec<&str> = path.split('/').collect();
        let items: Vec<Value> =
            if segs.len() == 6 && segs[1] == "subscriptions" && segs[3] == "providers" {
                let t = format!("{}/{}", segs[4], segs[5]);
                self.resources
                    .iter()
                    .filter(|r| type_of(r) == t && sub_of(&id_of(r)) == segs[2])
                    .cloned()
                    .collect()
            } else {
                // a parent's children
                self.resources
                    .iter()
                    .filter(|r| {
                        id_of(r)
                            .strip_prefix(&format!("{path}/"))
                            .is_some_and(|rest| !rest.contains('/'))
                    })
                    .cloned()
                    .collect()
            };
        let is_list = segs.len() % 2 == 0;
        if is_list {
            ResponseTemplate::new(200).set_body_json(json!({ "value": items }))
        } else {
            ResponseTemplate::new(404).set_body_json(json!({"error": {
                "code": "ResourceNotFound", "message": "The Resource was not found."}}))
        }
    }
}

impl Respond for FakeArm {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        self.log.lock().unwrap().push((
            r.method.to_string(),
            r.url.path().to_string(),
            body.clone(),
        ));
        let auth = r.headers.get("authorization").and_then(|v| v.to_str().ok());
        if auth != Some(&format!("Bearer {TOKEN}")) {
            return ResponseTemplate::new(401);
        }
        match r.method.as_str() {
            "POST"
                if r.url
                    .path()
                    .eq_ignore_ascii_case("/providers/Microsoft.ResourceGraph/resources") =>
            {
                self.graph(&body)
            }
            "GET" => self.get(r.url.path()),
            _ => ResponseTemplate::new(405),
        }
    }
}

/// Findings of a rule.
fn findings<'a>(rep: &'a Value, rule: &str) -> Vec<&'a Value> {
    rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

fn rules(rep: &Value) -> BTreeSet<String> {
    rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .filter(|r| !r.starts_with("INP") && !r.starts_with("AZC00"))
        .collect()
}

/// Every location of a finding: (file, line).
fn locations(f: &Value) -> Vec<(String, Option<u64>)> {
    f["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["file"].as_str().unwrap().to_string(), l["line"].as_u64()))
        .collect()
}

/// (pool, host, port, verdict) of every endpoint.
fn verdicts(rep: &Value) -> BTreeSet<(String, String, u64, String)> {
    let mut out = BTreeSet::new();
    for c in rep["clusters"].as_array().unwrap() {
        for p in c["node_pools"].as_array().unwrap() {
            for e in p["egress"].as_array().unwrap() {
                out.insert((
                    p["name"].as_str().unwrap().to_string(),
                    e["host"].as_str().unwrap().to_string(),
                    e["port"].as_u64().unwrap(),
                    e["verdict"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    out
}

/// The words of a scenario's `command.txt` after `aks-preflight`, without its `--snapshot`
/// options.
fn command_without_snapshots(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("command.txt")).unwrap();
    let words: Vec<String> = text
        .replace("\\\n", " ")
        .split_whitespace()
        .skip(1)
        .map(str::to_string)
        .collect();
    let mut out = vec![];
    let mut i = 0;
    while i < words.len() {
        if words[i] == "--snapshot" {
            i += 2;
            continue;
        }
        out.push(words[i].clone());
        i += 1;
    }
    out
}

/// The scenario's command without its `--snapshot` files, reading from the fake at `uri`; JSON.
fn run_live(az: &StubAz, dir: &Path, uri: &str) -> Output {
    let mut args = command_without_snapshots(dir);
    args.extend(["--arm-endpoint", uri, "--format", "json"].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(az, dir, &args)
}

/// The scenario's command as written (its `--snapshot` files) gives the rules and verdicts of
/// the live run.
fn assert_same_as_snapshots(az: &StubAz, dir: &Path, live: &Value) {
    let files = with_snapshots(dir);
    let mut args: Vec<&str> = files.iter().map(String::as_str).collect();
    args.extend(["--format", "json"]);
    let offline = json_of(&run(az, dir, &args));
    assert_eq!(rules(live), rules(&offline));
    assert_eq!(verdicts(live), verdicts(&offline));
}

/// The estate of a scenario with an existing cluster, as Resource Manager serves it: the
/// spoke, the cluster and its agent pools, the cluster's outbound IP, and the hub VNet the
/// spoke peers with.
fn cluster_estate(dir: &Path) -> Vec<Value> {
    let az_show: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cluster.json")).unwrap()).unwrap();
    let (cluster, pools) = rest_cluster(&az_show);
    let mut resources = values(&dir.join("spoke.json"));
    resources.push(cluster);
    resources.extend(pools);
    resources.push(outbound_ip(SUB, "aks-prod-weu"));
    resources.push(hub_vnet());
    resources
}

fn with_snapshots(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("command.txt")).unwrap();
    text.replace("\\\n", " ")
        .split_whitespace()
        .skip(1)
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn az_aks_create_reads_the_hub_live_and_fails_at_the_flag_and_the_firewall_rule() {
    let az = StubAz::new(true);
    let dir = scenario("udr-hub-fw-missing-aks-rules");
    let mut resources = values(&dir.join("hub.json"));
    resources.extend(values(&dir.join("spoke.json")));
    let fake = FakeArm::new(resources);
    let server = fake.start().await;
    let out = run_live(&az, &dir, &server.uri());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let live = json_of(&out);
    let fwl = findings(&live, "FWL001");
    assert!(!fwl.is_empty(), "{}", text(&out));
    for f in &fwl {
        let locs = locations(f);
        // the flag that puts the pool behind the firewall: --outbound-type, line 6
        assert!(locs.contains(&("command line".into(), Some(6))), "{locs:?}");
        // the firewall whose rules deny it (default deny: no rule allows it), read live, at a
        // line of its body
        assert!(
            locs.iter().any(|(file, line)| file
                .starts_with("rg-hub-prod-weu/azureFirewalls/afw-hub-prod-weu (live, read 20")
                && line.is_some()),
            "{locs:?}"
        );
    }
    assert!(
        findings(&live, "LIV001").is_empty() && findings(&live, "LIV002").is_empty(),
        "{}",
        text(&out)
    );
    // every read was a GET, and the hub's firewall was found by listing the subscription's
    let reqs = fake.requests();
    assert!(reqs.iter().all(|r| r.0 == "GET"), "{reqs:?}");
    assert!(reqs.iter().any(|r| r.1.eq_ignore_ascii_case(&format!(
        "/subscriptions/{SUB}/providers/Microsoft.Network/azureFirewalls"
    ))));
    // the same command on the snapshot files: the same rules and verdicts
    assert_same_as_snapshots(&az, &dir, &live);
}

#[tokio::test(flavor = "multi_thread")]
async fn az_aks_nodepool_add_reads_the_cluster_live_and_fails_at_the_denying_nsg() {
    let az = StubAz::new(true);
    let dir = scenario("nodepool-add-nsg-deny");
    let fake = FakeArm::new(cluster_estate(&dir));
    let server = fake.start().await;
    let uri = server.uri();
    let out = run_live(&az, &dir, &uri);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let live = json_of(&out);
    let nsg = findings(&live, "NSG001");
    assert!(!nsg.is_empty(), "{}", text(&out));
    for f in &nsg {
        assert_eq!(f["node_pool"], "np2");
        let locs = locations(f);
        // --vnet-subnet-id, line 5 of the command line, and the deny rule read live
        assert!(locs.contains(&("command line".into(), Some(5))), "{locs:?}");
        assert!(
            locs.iter().any(|(file, line)| file
                .starts_with("rg-aks-prod-weu/networkSecurityGroups/nsg-np2 (live, read 20")
                && line.is_some()),
            "{locs:?}"
        );
    }
    // the cluster was read in the subscription of --vnet-subnet-id, and says so
    let azc4 = findings(&live, "AZC004");
    assert_eq!(azc4.len(), 1, "{}", text(&out));
    assert!(azc4[0]["message"].as_str().unwrap().contains(SUB));
    let reqs = fake.requests();
    for want in [
        "/managedClusters/aks-prod-weu".to_string(),
        "/managedClusters/aks-prod-weu/agentPools".to_string(),
    ] {
        assert!(
            reqs.iter().any(|r| r
                .1
                .to_ascii_lowercase()
                .ends_with(&want.to_ascii_lowercase())),
            "{want}: {reqs:?}"
        );
    }
    // the same command on the snapshot files
    assert_same_as_snapshots(&az, &dir, &live);
    // --live beside a --snapshot holding the cluster: the cluster from the file, the new pool's
    // subnet read live
    let before = fake.requests().len();
    let mut args = command_without_snapshots(&dir);
    args.extend(
        [
            "--snapshot",
            "cluster.json",
            "--live",
            "--arm-endpoint",
            &uri,
            "--format",
            "json",
        ]
        .map(String::from),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&az, &dir, &args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let mixed = json_of(&out);
    assert!(findings(&mixed, "NSG001").iter().all(|f| {
        locations(f).iter().any(|(file, _)| {
            file.starts_with("rg-aks-prod-weu/networkSecurityGroups/nsg-np2 (live")
        })
    }));
    assert_eq!(verdicts(&mixed), verdicts(&live));
    let reqs = fake.requests();
    assert!(
        reqs[before..]
            .iter()
            .all(|r| !r.1.to_ascii_lowercase().contains("managedclusters")),
        "{:?}",
        &reqs[before..]
    );
    // a pool name the live cluster has already: az refuses
    let mut args = command_without_snapshots(&dir);
    let n = args.iter().position(|w| w == "-n").unwrap();
    args[n + 1] = "system".into();
    args.extend(["--arm-endpoint", &uri].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&az, &dir, &args);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("Node pool system already exists"));
}

#[tokio::test(flavor = "multi_thread")]
async fn check_cluster_reads_the_cluster_live() {
    let az = StubAz::new(true);
    let dir = scenario("check-cluster-pool-nsg-deny");
    let resources = cluster_estate(&dir);
    let id = resources
        .iter()
        .find(|r| type_of(r) == "microsoft.containerservice/managedclusters")
        .and_then(|r| r["id"].as_str())
        .unwrap()
        .to_string();
    let fake = FakeArm::new(resources);
    let server = fake.start().await;
    let uri = server.uri();
    let out = run(
        &az,
        &dir,
        &[
            "check",
            "--cluster",
            &id,
            "--arm-endpoint",
            &uri,
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let live = json_of(&out);
    assert_eq!(
        rules(&live),
        BTreeSet::from(["NSG001".to_string()]),
        "{}",
        text(&out)
    );
    assert!(
        findings(&live, "NSG001")
            .iter()
            .all(|f| f["node_pool"] == "np2")
    );
    // the files' check of the same cluster
    let offline = json_of(&run(
        &az,
        &dir,
        &[
            "check",
            "--cluster",
            &id,
            "cluster.json",
            "spoke.json",
            "--format",
            "json",
        ],
    ));
    assert_eq!(verdicts(&live), verdicts(&offline));
    // a cluster that does not exist: the read's 404 says so
    let gone = id.replace("aks-prod-weu", "aks-gone");
    let out = run(
        &az,
        &dir,
        &["check", "--cluster", &gone, "--arm-endpoint", &uri],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("managedClusters/aks-gone was not found (HTTP 404"),
        "{}",
        text(&out)
    );
}

/// The tenant of the scan: in the first subscription the cluster of
/// `check-cluster-pool-nsg-deny` (pool np2 behind a denying NSG); in the second the same
/// estate renamed (`-neu`), and a third cluster there with its system pool only.
fn tenant() -> Vec<Value> {
    let mut first = cluster_estate(&scenario("check-cluster-pool-nsg-deny"));
    first.retain(|r| !id_of(r).contains("vnet-hub"));
    let text = serde_json::to_string(&first)
        .unwrap()
        .replace(SUB, SUB2)
        .replace("aks-prod-weu", "aks-prod-neu");
    let second: Vec<Value> = serde_json::from_str(&text).unwrap();
    let mut third: Value = second
        .iter()
        .find(|r| type_of(r) == "microsoft.containerservice/managedclusters")
        .unwrap()
        .clone();
    let text = serde_json::to_string(&third).unwrap().replace(
        "managedClusters/aks-prod-neu",
        "managedClusters/aks-batch-neu",
    );
    third = serde_json::from_str(&text).unwrap();
    third["name"] = json!("aks-batch-neu");
    third["properties"]["agentPoolProfiles"]
        .as_array_mut()
        .unwrap()
        .retain(|p| p["name"] == "system");
    let mut all = first;
    all.extend(second);
    all.push(third);
    all
}

#[tokio::test(flavor = "multi_thread")]
async fn scan_reads_two_subscriptions_through_resource_graph_in_one_query_per_type() {
    let az = StubAz::new(true);
    let fake = FakeArm::new(tenant());
    let server = fake.start().await;
    let uri = server.uri();
    let dir = root();
    let started = Instant::now();
    let out = run(
        &az,
        dir,
        &[
            "scan",
            "--subscription",
            SUB,
            "--subscription",
            SUB2,
            "--arm-endpoint",
            &uri,
            "--format",
            "json",
        ],
    );
    // the first response said the quota was spent for a second: the next query waited
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let rep = json_of(&out);
    let clusters: BTreeSet<String> = rep["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["address"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        clusters,
        BTreeSet::from([
            "rg-aks-prod-weu/managedClusters/aks-prod-weu".to_string(),
            "rg-aks-prod-neu/managedClusters/aks-prod-neu".to_string(),
            "rg-aks-prod-neu/managedClusters/aks-batch-neu".to_string(),
        ]),
        "{}",
        text(&out)
    );
    // np2 of each of the two full clusters is blocked; the batch cluster passes
    let nsg: BTreeSet<(String, String)> = findings(&rep, "NSG001")
        .iter()
        .map(|f| {
            (
                f["cluster"].as_str().unwrap_or("").to_string(),
                f["node_pool"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(nsg.len(), 2, "{nsg:?}");
    assert!(nsg.iter().all(|(_, p)| p == "np2"));
    assert!(findings(&rep, "LIV002").is_empty(), "{}", text(&out));
    // Resource Graph only: one query per resource type with both subscriptions in its body,
    // the clusters (3 rows, 2 per page here) in two pages read by $skipToken
    let reqs = fake.requests();
    assert!(reqs.iter().all(|r| r.0 == "POST"), "{reqs:?}");
    let queries: BTreeSet<String> = reqs
        .iter()
        .map(|r| r.2["query"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(queries.len(), 14, "{queries:?}");
    assert_eq!(reqs.len(), 15, "{reqs:?}");
    for r in &reqs {
        assert_eq!(
            r.2["subscriptions"],
            json!([SUB, SUB2]),
            "one query covers both subscriptions"
        );
    }
    let second_page = reqs
        .iter()
        .filter(|r| r.2["options"]["$skipToken"] == "offset-2")
        .count();
    assert_eq!(second_page, 1);
    // the table: one row per node pool of each cluster
    let out = run(
        &az,
        dir,
        &[
            "scan",
            "--subscription",
            SUB,
            "--subscription",
            SUB2,
            "--arm-endpoint",
            &uri,
        ],
    );
    let table = String::from_utf8_lossy(&out.stdout).to_string();
    for row in [
        "rg-aks-prod-weu/managedClusters/aks-prod-weu   np2     fail     NSG001",
        "rg-aks-prod-neu/managedClusters/aks-prod-neu   np2     fail     NSG001",
        "rg-aks-prod-neu/managedClusters/aks-batch-neu  system  pass     -",
    ] {
        assert!(table.contains(row), "{table}");
    }
    assert!(
        table.contains("3 cluster(s), 5 node pool(s): 2 fail, 0 unknown, 3 pass"),
        "{table}"
    );
    // a management group: the same estate, every query scoped to it
    let before = fake.requests().len();
    let out = run(
        &az,
        dir,
        &[
            "scan",
            "--management-group",
            "mg-landing-zones",
            "--arm-endpoint",
            &uri,
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(json_of(&out)["clusters"].as_array().unwrap().len(), 3);
    let reqs = fake.requests();
    assert!(reqs[before..].iter().all(|r| r.0 == "POST"
        && r.2["managementGroups"] == json!(["mg-landing-zones"])
        && r.2.get("subscriptions").is_none()));
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_credential_az_aks_create_says_what_was_not_read() {
    let az = StubAz::new(false);
    let dir = scenario("udr-hub-fw-missing-aks-rules");
    let fake = FakeArm::new(vec![]);
    let server = fake.start().await;
    let uri = server.uri();
    let out = run_live(&az, &dir, &uri);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let rep = json_of(&out);
    let note = findings(&rep, "AZC003");
    assert_eq!(note.len(), 1, "{}", text(&out));
    assert!(note[0]["message"].as_str().unwrap().contains("az login"));
    // nothing reachable on a guess
    assert!(
        verdicts(&rep)
            .iter()
            .all(|v| v.3 != "reachable" || v.2 == 53),
        "{:?}",
        verdicts(&rep)
    );
    assert!(fake.requests().is_empty());
    // --offline reads nothing and says nothing about credentials
    let mut args = command_without_snapshots(&dir);
    args.extend(["--offline", "--format", "json"].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let rep = json_of(&run(&az, &dir, &args));
    assert!(findings(&rep, "AZC003").is_empty());
    // --live with no credential is an error
    let mut args = command_without_snapshots(&dir);
    args.extend(["--live", "--arm-endpoint", &uri].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&az, &dir, &args);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("az login"), "{}", text(&out));
}
