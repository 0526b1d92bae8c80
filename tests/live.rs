//! Live reads against a fake Azure Resource Manager on 127.0.0.1 (wiremock), with the real
//! credential chain: the Azure CLI credential, `az` being a stub on `PATH` that prints a token.
//! The estates are the hubs of `testdata/scenarios/existing-hub-*` (`hub-rest.json`), served at
//! their ids. Covered: verdicts equal to the all-in-one plans, hops labelled by their live
//! source, the five faults (429 with Retry-After, a 500 then success, a response slower than the
//! timeout, a 403 on the firewall policy, a two-page list), the snapshot round trip, and that no
//! token reaches any output.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "fake-arm-token-5d1c9a0e7b3f4e2a9c8d";
const SUB: &str = "3f2c9b1e-7d4a-4c8e-9a51-2b6f0d8e1c47";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn scenario(name: &str) -> PathBuf {
    root().join("testdata/scenarios").join(name)
}

/// A stub `az` that prints an access token (as `az account get-access-token -o json` does)
/// and logs each call.
struct StubAz {
    dir: tempfile::TempDir,
}

impl StubAz {
    fn new() -> StubAz {
        let dir = tempfile::tempdir().unwrap();
        let expires = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 3600;
        let script = format!(
            "#!/bin/sh\necho \"$*\" >> \"{log}\"\ncat <<EOF\n{{\"accessToken\": \"{TOKEN}\", \
             \"expiresOn\": \"2030-01-01 00:00:00.000000\", \"expires_on\": {expires}, \
             \"subscription\": \"{SUB}\", \"tenant\": \"8d3e1a52-64c2-4f0b-b7a9-5e1c2d9f0a36\", \
             \"tokenType\": \"Bearer\"}}\nEOF\n",
            log = dir.path().join("calls.log").display()
        );
        let az = dir.path().join("az");
        std::fs::write(&az, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
        StubAz { dir }
    }
    fn path_var(&self) -> String {
        format!(
            "{}:{}",
            self.dir.path().display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }
    fn calls(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("calls.log"))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }
}

/// Run the binary from the repository root with the stub `az` first on `PATH` and no
/// credential environment (so `auto` picks the Azure CLI).
fn run(az: &StubAz, args: &[&str]) -> Output {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_aks-preflight"));
    c.current_dir(root()).args(args).env("PATH", az.path_var());
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

type Verdicts = BTreeMap<(String, String, u64, String), String>;

fn verdicts(report: &Value) -> Verdicts {
    let mut out = BTreeMap::new();
    for c in report["clusters"].as_array().unwrap() {
        for p in c["node_pools"].as_array().unwrap() {
            for e in p["egress"].as_array().unwrap() {
                out.insert(
                    (
                        p["name"].as_str().unwrap().to_string(),
                        e["host"].as_str().unwrap().to_string(),
                        e["port"].as_u64().unwrap(),
                        e["protocol"].as_str().unwrap().to_string(),
                    ),
                    e["verdict"].as_str().unwrap().to_string(),
                );
            }
        }
    }
    out
}

/// The findings as (rule, severity, message): what a round trip must keep.
fn findings(report: &Value) -> BTreeSet<(String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn rules(report: &Value) -> BTreeSet<String> {
    findings(report)
        .into_iter()
        .map(|f| f.0)
        .filter(|r| !r.starts_with("INP"))
        .collect()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

/// The all-in-one scenario's report.
fn all_in_one(az: &StubAz, name: &str) -> Value {
    let eq = std::fs::read_to_string(scenario(name).join("with-hub.toml")).unwrap();
    let eq = eq
        .lines()
        .find_map(|l| l.strip_prefix("equivalent = "))
        .unwrap()
        .trim_matches('"')
        .to_string();
    let plan = format!("testdata/scenarios/{eq}/plan.json");
    json(&run(az, &["check", &plan, "--format", "json"]))
}

/// Same verdicts and rules as the all-in-one plan; the extra rows may only be the DNS servers
/// (named by address here, by reference there).
fn assert_same(live: &Value, reference: &Value, what: &str) {
    assert_eq!(rules(live), rules(reference), "{what}: rules");
    assert_eq!(live["verdict"], reference["verdict"], "{what}: verdict");
    let (a, b) = (verdicts(live), verdicts(reference));
    for (k, v) in &b {
        assert_eq!(a.get(k), Some(v), "{what}: {k:?}");
    }
    for (k, v) in &a {
        if !b.contains_key(k) {
            assert_eq!((k.2, v.as_str()), (53, "reachable"), "{what}: {k:?}");
        }
    }
}

/// Case-insensitive path match, as ARM matches ids.
struct PathIs(String);

impl wiremock::Match for PathIs {
    fn matches(&self, r: &Request) -> bool {
        r.url.path().eq_ignore_ascii_case(&self.0)
    }
}

/// The bearer token from the stub `az`.
struct Authorized;

impl wiremock::Match for Authorized {
    fn matches(&self, r: &Request) -> bool {
        r.headers.get("authorization").and_then(|v| v.to_str().ok())
            == Some(&format!("Bearer {TOKEN}"))
    }
}

fn resource_mock(body: &Value) -> Mock {
    let id = body["id"].as_str().unwrap().to_string();
    Mock::given(method("GET"))
        .and(PathIs(id))
        .and(Authorized)
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
}

fn hub(name: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(scenario(name).join("hub-rest.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["value"].as_array().unwrap().clone()
}

fn id_of(hub: &[Value], rtype: &str) -> String {
    hub.iter()
        .find(|r| r["type"].as_str() == Some(rtype))
        .and_then(|r| r["id"].as_str())
        .unwrap()
        .to_string()
}

/// A fake ARM serving `resources` (after the `faults`, mounted first), and ARM's 404 for
/// anything else.
async fn fake_arm(resources: &[Value], faults: Vec<Mock>) -> MockServer {
    let server = MockServer::start().await;
    for f in faults {
        server.register(f).await;
    }
    for r in resources {
        server.register(resource_mock(r)).await;
    }
    // empty lists of resolvers and firewalls of the subscription (owner discovery)
    for t in ["dnsResolvers", "azureFirewalls"] {
        server
            .register(
                Mock::given(method("GET"))
                    .and(PathIs(format!(
                        "/subscriptions/{SUB}/providers/Microsoft.Network/{t}"
                    )))
                    .respond_with(
                        ResponseTemplate::new(200).set_body_json(serde_json::json!({"value": []})),
                    ),
            )
            .await;
    }
    server
        .register(Mock::given(method("GET")).respond_with(
            ResponseTemplate::new(404).set_body_json(serde_json::json!({"error": {
                "code": "ResourceNotFound", "message": "The Resource was not found."}})),
        ))
        .await;
    server
}

fn live_args<'a>(plan: &'a str, endpoint: &'a str) -> Vec<&'a str> {
    vec![
        "check",
        plan,
        "--live",
        "--arm-endpoint",
        endpoint,
        "--format",
        "json",
    ]
}

/// `explain PLAN --live --to mcr.microsoft.com:443/tcp` against the fake ARM at `uri`.
fn explain_mcr(az: &StubAz, plan: &str, uri: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "explain",
        plan,
        "--live",
        "--arm-endpoint",
        uri,
        "--to",
        "mcr.microsoft.com:443/tcp",
    ];
    args.extend(extra);
    run(az, &args)
}

/// `snapshot PLAN --live` from the fake ARM, then `check PLAN SNAPSHOT` offline: the report
/// and the snapshot.
fn snapshot_then_check(az: &StubAz, plan: &str, uri: &str) -> (Value, Value) {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("estate.json").display().to_string();
    let args = [
        "snapshot",
        plan,
        "--live",
        "--arm-endpoint",
        uri,
        "-o",
        &snap,
    ];
    let out = run(az, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let text = std::fs::read_to_string(&snap).unwrap();
    assert!(!text.contains(TOKEN), "the token was written");
    let offline = json(&run(az, &["check", plan, &snap, "--format", "json"]));
    (offline, serde_json::from_str(&text).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn live_reads_give_the_all_in_one_verdicts() {
    let az = StubAz::new();
    for name in [
        "existing-hub-spoke",
        "existing-hub-spoke-no-dns-proxy",
        "existing-hub-spoke-deny-before-allow",
    ] {
        let server = fake_arm(&hub(name), vec![]).await;
        let plan = format!("testdata/scenarios/{name}/plan.json");
        let uri = server.uri();
        let out = run(&az, &live_args(&plan, &uri));
        assert!(
            out.status.code() == Some(0) || out.status.code() == Some(1),
            "{}",
            text(&out)
        );
        let live = json(&out);
        assert_same(&live, &all_in_one(&az, name), name);
        // nothing failed, and the stub was asked for a token once (cached for every request)
        assert!(
            live["findings"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| !f["rule"].as_str().unwrap().starts_with("LIV")),
            "{name}: {}",
            text(&out)
        );
    }
    // the token is asked for once per run: 3 live runs, and the all-in-one runs ask nothing
    assert_eq!(az.calls(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn hops_from_live_reads_say_so() {
    let az = StubAz::new();
    let name = "existing-hub-spoke-deny-before-allow";
    let server = fake_arm(&hub(name), vec![]).await;
    let plan = format!("testdata/scenarios/{name}/plan.json");
    let uri = server.uri();
    let out = explain_mcr(&az, &plan, &uri, &[]);
    let t = text(&out);
    assert!(t.contains(&format!("at {plan}:")), "{t}");
    assert!(
        t.contains("at rg-hub-prod-weu/firewallPolicies/afwp-hub-prod-weu/ruleCollectionGroups/rcg-aks-egress (live, read 20"),
        "{t}"
    );
    assert!(t.contains("block-all-web"), "{t}");
}

#[tokio::test(flavor = "multi_thread")]
async fn transient_faults_are_retried() {
    let az = StubAz::new();
    let name = "existing-hub-spoke";
    let h = hub(name);
    let fw = id_of(&h, "Microsoft.Network/azureFirewalls");
    let vnet = id_of(&h, "Microsoft.Network/virtualNetworks");
    let rcg = id_of(
        &h,
        "Microsoft.Network/firewallPolicies/ruleCollectionGroups",
    );
    let rcg_body = h.iter().find(|r| r["id"] == rcg).unwrap().clone();
    let faults = vec![
        // 429 with Retry-After: 1 once
        Mock::given(method("GET"))
            .and(PathIs(fw.clone()))
            .respond_with(
                ResponseTemplate::new(429)
                    .insert_header("Retry-After", "1")
                    .set_body_json(serde_json::json!({"error": {"code": "TooManyRequests"}})),
            )
            .up_to_n_times(1),
        // a 500, then success
        Mock::given(method("GET"))
            .and(PathIs(vnet.clone()))
            .respond_with(ResponseTemplate::new(500))
            .up_to_n_times(1),
        // slower than the timeout once
        Mock::given(method("GET"))
            .and(PathIs(rcg.clone()))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(&rcg_body)
                    .set_delay(Duration::from_secs(3)),
            )
            .up_to_n_times(1),
    ];
    let server = fake_arm(&h, faults).await;
    let uri = server.uri();
    let plan = format!("testdata/scenarios/{name}/plan.json");
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("estate.json");
    let snap_s = snap.display().to_string();
    let start = Instant::now();
    let out = run(
        &az,
        &[
            "snapshot",
            &plan,
            "--live",
            "--arm-endpoint",
            &uri,
            "--timeout",
            "1",
            "-o",
            &snap_s,
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&snap).unwrap()).unwrap();
    let reads = s["reads"].as_array().unwrap();
    let rec = |id: &str| {
        reads
            .iter()
            .find(|r| r["id"].as_str().is_some_and(|x| x.eq_ignore_ascii_case(id)))
            .unwrap_or_else(|| panic!("no read of {id}"))
    };
    for id in [&fw, &vnet, &rcg] {
        assert_eq!(rec(id)["status"], 200, "{id}");
        assert_eq!(rec(id)["attempts"], 2, "{id}");
    }
    // and the check of the snapshot is the all-in-one's
    let checked = json(&run(&az, &["check", &plan, &snap_s, "--format", "json"]));
    assert_same(&checked, &all_in_one(&az, name), "after retries");
    assert!(!std::fs::read_to_string(&snap).unwrap().contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forbidden_policy_is_unknown_with_a_finding_and_survives_the_round_trip() {
    let az = StubAz::new();
    let name = "existing-hub-spoke";
    let h = hub(name);
    let policy = id_of(&h, "Microsoft.Network/firewallPolicies");
    let forbidden = Mock::given(method("GET"))
        .and(PathIs(policy.clone()))
        .respond_with(
            ResponseTemplate::new(403).set_body_json(serde_json::json!({"error": {
            "code": "AuthorizationFailed",
            "message": "The client does not have authorization to perform action \
                        'Microsoft.Network/firewallPolicies/read'."}})),
        );
    let server = fake_arm(&h, vec![forbidden]).await;
    let uri = server.uri();
    let plan = format!("testdata/scenarios/{name}/plan.json");
    let out = run(&az, &live_args(&plan, &uri));
    let live = json(&out);
    let f = findings(&live);
    let liv: Vec<_> = f.iter().filter(|x| x.0 == "LIV001").collect();
    assert_eq!(liv.len(), 1, "{f:?}");
    assert!(
        liv[0]
            .2
            .contains("rg-hub-prod-weu/firewallPolicies/afwp-hub-prod-weu")
    );
    assert!(liv[0].2.contains("Microsoft.Network/firewallPolicies/read"));
    // what depends on the policy is unknown, never reachable, and the run does not fail
    let v = verdicts(&live);
    assert_eq!(
        v[&(
            "system".into(),
            "mcr.microsoft.com".into(),
            443,
            "tcp".into()
        )],
        "unknown"
    );
    assert_eq!(out.status.code(), Some(0));
    let strict = run(
        &az,
        &[&live_args(&plan, &uri)[..], &["--fail-on", "unknown"]].concat(),
    );
    assert_eq!(strict.status.code(), Some(1));

    // every output and verbosity (`run` asserts that none carries the token); -v says what was
    // read on stderr, and the bar is never drawn on a stderr that is not a terminal
    for extra in [
        &["--format", "human", "-v", "--all"][..],
        &["--format", "sarif"],
        &["--format", "junit"],
        &["--format", "markdown", "-v"],
        &["--format", "json", "-v"],
        &["-q"],
    ] {
        let mut args = vec!["check", plan.as_str(), "--live", "--arm-endpoint", &uri];
        args.extend(extra);
        let out = run(&az, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !err.contains("reading from Azure Resource Manager"),
            "{err}"
        );
        if extra.contains(&"-v") {
            assert!(err.contains("live reads from http://127.0.0.1:"), "{err}");
            assert!(err.contains("1 failed"), "{err}");
        }
        if extra == ["-q"] {
            assert!(out.stdout.is_empty());
        }
    }
    let out = explain_mcr(&az, &plan, &uri, &["-v"]);
    assert!(text(&out).contains("firewallPolicies/afwp-hub-prod-weu"));

    // live -> snapshot -> offline check: identical findings
    let (offline, _) = snapshot_then_check(&az, &plan, &uri);
    assert_eq!(findings(&offline), f);
    assert_eq!(verdicts(&offline), v);
}

/// A server (or proxy) whose error message echoes the request's Authorization header: the
/// finding and the snapshot carry the message without the token.
#[tokio::test(flavor = "multi_thread")]
async fn an_error_that_echoes_the_token_is_redacted() {
    let az = StubAz::new();
    let name = "existing-hub-spoke";
    let h = hub(name);
    let rcg = id_of(
        &h,
        "Microsoft.Network/firewallPolicies/ruleCollectionGroups",
    );
    let echo = Mock::given(method("GET"))
        .and(PathIs(rcg))
        .respond_with(|r: &Request| {
            let auth = r
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            ResponseTemplate::new(400).set_body_json(serde_json::json!({"error": {
                "code": "InvalidAuthenticationToken",
                "message": format!("The header '{auth}' is not accepted here.")}}))
        });
    let server = fake_arm(&h, vec![echo]).await;
    let uri = server.uri();
    let plan = format!("testdata/scenarios/{name}/plan.json");
    let mut args = live_args(&plan, &uri);
    args.push("-v");
    let live = json(&run(&az, &args));
    let f = findings(&live);
    let liv: Vec<_> = f.iter().filter(|x| x.0 == "LIV003").collect();
    assert_eq!(liv.len(), 1, "{f:?}");
    assert!(liv[0].2.contains("Bearer [redacted]"), "{}", liv[0].2);
    let (offline, snapshot) = snapshot_then_check(&az, &plan, &uri);
    assert_eq!(findings(&offline), f);
    assert!(snapshot.to_string().contains("[redacted]"));
}

#[tokio::test(flavor = "multi_thread")]
async fn round_trip_gives_identical_findings() {
    let az = StubAz::new();
    for name in [
        "existing-hub-spoke",
        "existing-hub-spoke-no-dns-proxy",
        "existing-hub-spoke-deny-before-allow",
    ] {
        let server = fake_arm(&hub(name), vec![]).await;
        let uri = server.uri();
        let plan = format!("testdata/scenarios/{name}/plan.json");
        let live = json(&run(&az, &live_args(&plan, &uri)));
        let (offline, s) = snapshot_then_check(&az, &plan, &uri);
        drop(server);
        assert_eq!(findings(&offline), findings(&live), "{name}");
        assert_eq!(verdicts(&offline), verdicts(&live), "{name}");
        // the snapshot holds the hub in REST shape
        assert_eq!(s["snapshot"]["format"], "aks-preflight/snapshot/v1");
        let ids: BTreeSet<String> = s["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_ascii_lowercase())
            .collect();
        for r in hub(name) {
            if r["type"] != "Microsoft.Network/publicIPAddresses" {
                assert!(
                    ids.contains(&r["id"].as_str().unwrap().to_ascii_lowercase()),
                    "{name}: {}",
                    r["id"]
                );
            }
        }
        assert!(s["value"][0]["properties"].is_object());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_response_slower_than_every_attempt_is_a_failed_read() {
    let az = StubAz::new();
    let name = "existing-hub-spoke";
    let h = hub(name);
    let rcg = id_of(
        &h,
        "Microsoft.Network/firewallPolicies/ruleCollectionGroups",
    );
    let body = h.iter().find(|r| r["id"] == rcg).unwrap().clone();
    let slow = Mock::given(method("GET")).and(PathIs(rcg)).respond_with(
        ResponseTemplate::new(200)
            .set_body_json(&body)
            .set_delay(Duration::from_secs(5)),
    );
    let server = fake_arm(&h, vec![slow]).await;
    let uri = server.uri();
    let plan = format!("testdata/scenarios/{name}/plan.json");
    let mut args = live_args(&plan, &uri);
    args.extend(["--timeout", "1"]);
    let out = run(&az, &args);
    // reads that take seconds, but stderr is not a terminal: no progress bar
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("reading from Azure Resource Manager"),
        "{}",
        text(&out)
    );
    let live = json(&out);
    let f = findings(&live);
    let liv: Vec<_> = f.iter().filter(|x| x.0 == "LIV003").collect();
    assert_eq!(liv.len(), 1, "{f:?}");
    assert!(liv[0].2.contains("rcg-aks-egress"), "{}", liv[0].2);
    assert!(
        liv[0]
            .2
            .contains("no response after 4 attempt(s): timed out"),
        "{}",
        liv[0].2
    );
    assert_eq!(
        verdicts(&live)[&(
            "system".into(),
            "mcr.microsoft.com".into(),
            443,
            "tcp".into()
        )],
        "unknown"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn snapshot_of_a_subscription_follows_next_link() {
    let az = StubAz::new();
    let name = "existing-hub-spoke";
    let h = hub(name);
    let fw = h
        .iter()
        .find(|r| r["type"] == "Microsoft.Network/azureFirewalls")
        .unwrap()
        .clone();
    let mut other = fw.clone();
    other["id"] = Value::String(fw["id"].as_str().unwrap().replace("afw-hub", "afw-other"));
    other["name"] = Value::String("afw-other-prod-weu".into());
    let server = MockServer::start().await;
    let base = format!("/subscriptions/{SUB}/providers/Microsoft.Network/azureFirewalls");
    let next = format!(
        "{}{base}?api-version=2024-05-01&$skipToken=page2",
        server.uri()
    );
    server
        .register(
            Mock::given(method("GET"))
                .and(PathIs(base.clone()))
                .and(wiremock::matchers::query_param("$skipToken", "page2"))
                .and(Authorized)
                .respond_with(
                    ResponseTemplate::new(200).set_body_json(serde_json::json!({"value": [fw]})),
                ),
        )
        .await;
    server
        .register(
            Mock::given(method("GET"))
                .and(PathIs(base))
                .and(Authorized)
                .respond_with(
                    ResponseTemplate::new(200)
                        .set_body_json(serde_json::json!({"value": [other], "nextLink": next})),
                ),
        )
        .await;
    // a cluster whose body has secrets (as older api-versions and some tools return them)
    let cluster = serde_json::json!({
        "id": format!("/subscriptions/{SUB}/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks-prod"),
        "name": "aks-prod",
        "type": "Microsoft.ContainerService/managedClusters",
        "location": "westeurope",
        "properties": {
            "servicePrincipalProfile": {"clientId": "msi", "secret": "sp-secret-0d9f2c"},
            "windowsProfile": {"adminUsername": "azureuser", "adminPassword": "win-password-7e1b"},
            "networkProfile": {"networkPlugin": "azure", "outboundType": "loadBalancer"}
        }
    });
    server
        .register(
            Mock::given(method("GET"))
                .and(PathIs(format!(
                    "/subscriptions/{SUB}/providers/Microsoft.ContainerService/managedClusters"
                )))
                .respond_with(
                    ResponseTemplate::new(200)
                        .set_body_json(serde_json::json!({"value": [cluster]})),
                ),
        )
        .await;
    server
        .register(Mock::given(method("GET")).respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"value": []})),
        ))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("sub.json").display().to_string();
    let uri = server.uri();
    let out = run(
        &az,
        &[
            "snapshot",
            "--live",
            "--subscription",
            SUB,
            "--arm-endpoint",
            &uri,
            "-o",
            &snap,
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&snap).unwrap()).unwrap();
    let names: Vec<&str> = s["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    // in the order of their ids (rg-aks before rg-hub-prod-weu)
    assert_eq!(
        names,
        ["aks-prod", "afw-hub-prod-weu", "afw-other-prod-weu"]
    );
    // sensitive properties are not saved; the rest of the cluster is
    let saved = std::fs::read_to_string(&snap).unwrap();
    assert!(
        !saved.contains("sp-secret-0d9f2c") && !saved.contains("win-password-7e1b"),
        "{saved}"
    );
    assert!(saved.contains("\"adminUsername\": \"azureuser\""));
    assert!(saved.contains("\"outboundType\": \"loadBalancer\""));
    let pages = s["reads"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["url"].as_str().unwrap().contains("azureFirewalls"))
        .count();
    assert_eq!(pages, 2);
}

#[test]
fn no_credential_is_a_clear_error() {
    // an `az` that is not logged in
    let dir = tempfile::tempdir().unwrap();
    let az = dir.path().join("az");
    std::fs::write(
        &az,
        "#!/bin/sh\necho \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aks-preflight"))
        .current_dir(root())
        .args([
            "check",
            "testdata/scenarios/existing-hub-spoke/plan.json",
            "--live",
            "--credential",
            "azure-cli",
            "--arm-endpoint",
            "http://127.0.0.1:9",
        ])
        .env(
            "PATH",
            format!(
                "{}:{}",
                dir.path().display(),
                std::env::var("PATH").unwrap()
            ),
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let t = String::from_utf8_lossy(&out.stderr);
    assert!(t.contains("az login"), "{t}");
    assert!(t.contains("azure-cli"), "{t}");
    // plain http elsewhere than on the loopback interface is refused before any request
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aks-preflight"))
        .current_dir(root())
        .args([
            "check",
            "testdata/scenarios/existing-hub-spoke/plan.json",
            "--live",
            "--arm-endpoint",
            "http://arm.example.com",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
}
