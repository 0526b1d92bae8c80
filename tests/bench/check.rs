//! Benchmarks (criterion): `cargo bench --bench check` (release build; add a filter such as
//! `-- stage/analysis` to run part of it, `-- --quick` for a short run). Not a test target:
//! `cargo test` does not build or run it, `cargo test --benches` runs every benchmark once as a
//! smoke test.
//!
//! The estate is the one `examples/gen_estate.rs` writes for `bench/compare.sh`
//! (`tests/bench/estate.rs`), generated in memory at the start of the run, at scale 0.1 by
//! default (5 spokes, 10 AKS clusters of 3 node pools, 10 NSGs of 200 rules, a firewall policy
//! of about 2,000 rules, 21 IP groups; 5.8 MB of plan JSON on one line). Other estates:
//!
//! * `AKS_PREFLIGHT_BENCH_SCALE=1.0` (any scale in (0, 7.5]; 1.0 is the 57 MB estate of
//!   issue 10 and makes a run take minutes);
//! * `AKS_PREFLIGHT_BENCH_MIX=mostly-allowed` (one spoke denied, every other path evaluated to
//!   its end) instead of the default mix (a tenth of the spokes denied by the firewall, a tenth
//!   by their NSGs).
//!
//! Groups:
//!
//! * `stage/parse`: the plan text to the parsed document (`input::document::parse`, the JSON
//!   parse every reader starts from);
//! * `stage/model`: the plan text to the finished model through the normal loader
//!   (`input::load`, then `Model::finish`): parse, detection, the Terraform reader;
//! * `stage/analysis`: `analysis::check` of the loaded model (a fresh copy each time, so the
//!   derived data, such as prepared firewall rule sets, is built inside the timing, as in one
//!   CLI run);
//! * `stage/report/human` and `stage/report/json`: rendering the result as the human and the
//!   JSON report, locations included (each from a copy of the loader's `SourceMap` taken before
//!   any location was resolved, so every iteration resolves them);
//! * `firewall_one_flow/{cold,prepared}`: one flow through the hub firewall, before and after
//!   its rule set is prepared;
//! * `scenario/...`: load + check of the largest bundled scenario plan.

#[path = "estate.rs"]
mod estate;

use aks_preflight::analysis::{self, CheckOptions};
use aks_preflight::eval::firewall;
use aks_preflight::eval::{Destination, Flow, Protocol, Verdict, flow::AppProto};
use aks_preflight::input::document;
use aks_preflight::model::{Model, Ref};
use aks_preflight::policy::{Catalogue, Config};
use aks_preflight::report::{Report, human, json};
use aks_preflight::source::SourceMap;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use estate::{Estate, Mix};
use std::hint::black_box;
use std::time::Instant;

const NAME: &str = "estate.json";

fn load(name: &str, text: String) -> (SourceMap, Model) {
    let mut sources = SourceMap::new();
    let (_, mut model) = aks_preflight::input::load(&mut sources, name, text)
        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
    model.finish();
    (sources, model)
}

fn check(model: &Model) -> Report {
    let catalogue = Catalogue::builtin().expect("builtin catalogue");
    analysis::check(
        model,
        catalogue,
        &Config::default(),
        &CheckOptions::default(),
    )
}

/// The estate the environment asks for (see the module documentation).
fn chosen_estate() -> (f64, Estate) {
    let scale = match std::env::var("AKS_PREFLIGHT_BENCH_SCALE") {
        Err(_) => 0.1,
        Ok(s) => match s.trim().parse::<f64>() {
            Ok(x) if x > 0.0 && x <= 7.5 => x,
            _ => panic!("AKS_PREFLIGHT_BENCH_SCALE={s}: a number in (0, 7.5] expected"),
        },
    };
    let mix = match std::env::var("AKS_PREFLIGHT_BENCH_MIX").as_deref() {
        Err(_) | Ok("mixed") => Mix::Mixed,
        Ok("mostly-allowed") => Mix::MostlyAllowed,
        Ok(other) => {
            panic!("AKS_PREFLIGHT_BENCH_MIX={other}: `mixed` or `mostly-allowed` expected")
        }
    };
    (scale, Estate::at_scale(scale, mix))
}

fn firewall_rules(m: &Model) -> usize {
    m.rule_collection_groups
        .iter()
        .flat_map(|g| &g.collections)
        .map(|c| c.rules.len())
        .sum()
}

/// The spoke (1-based) of a cluster address (`module.spoke["s003"].azurerm_kubernetes_cluster…`).
fn spoke_of(address: &str) -> usize {
    address
        .split_once("[\"s")
        .and_then(|(_, rest)| rest.get(..3))
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| panic!("no spoke number in {address}"))
}

/// The estate behaves as built: the pools of the spokes the generator allows reach MCR, the
/// others are blocked (by the firewall or by their NSG). (A benchmark of a broken model would
/// measure nothing.)
fn sanity(e: &Estate, model: &Model, report: &Report) {
    assert_eq!(report.clusters.len(), e.clusters());
    for c in &report.clusters {
        let s = spoke_of(&c.address);
        assert_eq!(c.node_pools.len(), 3, "{}", c.address);
        for p in &c.node_pools {
            let mcr = p
                .egress
                .iter()
                .find(|r| r.host == "mcr.microsoft.com")
                .expect("mcr requirement");
            let want = if e.spoke_reaches_mcr(s) {
                Verdict::Reachable
            } else {
                Verdict::Blocked
            };
            assert_eq!(
                mcr.verdict, want,
                "{} {}: {}",
                c.address, p.name, mcr.reason
            );
        }
    }
    // the misspelt FQDN tag the generator plants
    assert!(report.findings.iter().any(|f| f.rule == "FWL003"));
    assert_eq!(firewall_rules(model), e.firewall_rules() + 6);
    assert_eq!(model.firewalls.len(), 1);
}

fn describe(text: &str, model: &Model, report: &Report) -> String {
    let verdicts = |v: Verdict| {
        report
            .clusters
            .iter()
            .flat_map(|c| &c.node_pools)
            .flat_map(|p| &p.egress)
            .filter(|r| r.verdict == v)
            .count()
    };
    format!(
        "{:.1} MB plan, {} clusters, {} node pools, {} NSG rules, {} firewall rules in {} rule \
         collection groups, {} IP groups; {} reachable, {} blocked, {} unknown endpoint \
         verdicts, {} findings",
        text.len() as f64 / 1e6,
        model.clusters.len(),
        model
            .clusters
            .iter()
            .map(|c| c.node_pools.len())
            .sum::<usize>(),
        model
            .nsgs
            .iter()
            .map(|n| n.rules.known().map_or(0, Vec::len))
            .sum::<usize>(),
        firewall_rules(model),
        model.rule_collection_groups.len(),
        model.ip_groups.len(),
        verdicts(Verdict::Reachable),
        verdicts(Verdict::Blocked),
        verdicts(Verdict::Unknown),
        report.findings.len()
    )
}

// ------------------------------------------------------------------ benchmarks

fn scenario(c: &mut Criterion) {
    // the largest bundled scenario
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/scenarios/hub-fw-deny-before-allow/plan.json"
    );
    let text = std::fs::read_to_string(path).expect("scenario plan");
    let mut g = c.benchmark_group("scenario");
    g.bench_function("hub-fw-deny-before-allow/load+check", |b| {
        b.iter_batched(
            || text.clone(),
            |t| {
                let (_, m) = load("plan.json", t);
                check(&m)
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn stages(c: &mut Criterion) {
    let (scale, e) = chosen_estate();
    let t0 = Instant::now();
    let text = estate::plan_json(&estate::resources(&e));
    let t1 = Instant::now();
    let (sources, model) = load(NAME, text.clone());
    let t2 = Instant::now();
    let report = check(&model);
    let t3 = Instant::now();
    sanity(&e, &model, &report);
    eprintln!(
        "estate {scale} ({e:?}): generated in {:?}, loaded in {:?}, checked in {:?}",
        t1 - t0,
        t2 - t1,
        t3 - t2
    );
    eprintln!("estate: {}", describe(&text, &model, &report));

    let mut g = c.benchmark_group("stage");
    g.sample_size(10);
    g.bench_function("parse", |b| {
        // the arena and the tree are dropped inside the measured time
        b.iter(|| {
            let bump = bumpalo::Bump::new();
            let d = document::parse(black_box(&text), &bump).expect("the plan parses");
            black_box(&d);
        })
    });
    g.bench_function("model", |b| {
        b.iter_batched(|| text.clone(), |t| load(NAME, t), BatchSize::LargeInput)
    });
    g.bench_function("analysis", |b| {
        b.iter_batched_ref(|| model.clone(), |m| check(m), BatchSize::PerIteration)
    });
    // as `check` prints it by default: only the endpoints that are not reachable listed
    let style = human::Style {
        all_endpoints: false,
        ..human::Style::default()
    };
    g.bench_function("report/human", |b| {
        b.iter_batched(
            || sources.clone(),
            |mut s| human::render(black_box(&report), &mut s, &style),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("report/json", |b| {
        b.iter_batched(
            || sources.clone(),
            |mut s| json::render(black_box(&report), &mut s),
            BatchSize::LargeInput,
        )
    });
    g.finish();

    // One flow through the hub firewall, from the first node subnet of spoke 1, which the
    // firewall's AKS rules cover (the uncovered spokes are the last ones).
    assert!(e.uncovered_spokes < e.spokes);
    let flow = Flow {
        source_prefixes: vec![estate::spoke_subnet_cidr(1, 0).parse().expect("cidr")],
        destination: Destination::Host("mcr.microsoft.com".into()),
        destination_tags: vec![],
        protocol: Protocol::Tcp,
        port: 443,
        app_protocol: Some(AppProto::Https),
    };
    let fw = model
        .firewall(&Ref::key("azurerm_firewall.hub"))
        .expect("hub firewall");
    assert_eq!(
        firewall::evaluate(&model, fw, &flow).verdict,
        Verdict::Reachable
    );
    let mut g = c.benchmark_group("firewall_one_flow");
    g.sample_size(10);
    // a firewall seen for the first time: preparing its rule set and finding the rules that
    // can match the destination, then deciding
    g.bench_function("cold", |b| {
        b.iter_batched_ref(
            || model.clone(),
            |m| firewall::evaluate(m, &m.firewalls[0], black_box(&flow)),
            BatchSize::PerIteration,
        )
    });
    // the same flow again (what every further node pool and subnet costs)
    g.bench_function("prepared", |b| {
        b.iter(|| firewall::evaluate(black_box(&model), fw, black_box(&flow)))
    });
    g.finish();
}

criterion_group!(benches, scenario, stages);
criterion_main!(benches);
