//! Writes a synthetic hub-and-spoke estate as Terraform plan JSON, for benchmarks and for
//! comparing tools side by side (`bench/compare.sh`):
//!
//! ```sh
//! cargo run --release --example gen_estate -- 1.0 estate-1.0.json            # ≈55 MB
//! cargo run --release --example gen_estate -- 0.1 estate-0.1.json --mostly-allowed
//! ```
//!
//! SCALE 1.0 is 50 spokes with 100 AKS clusters of 3 node pools, 100 NSGs of 200 rules, a hub
//! firewall policy of 20,000 rules and 200 IP groups; other scales multiply the spokes, rules
//! and IP groups. By default a tenth of the spokes are denied by the firewall and a tenth are
//! blocked by their NSGs; `--mostly-allowed` leaves one spoke denied, so nearly every path is
//! evaluated to its end. OUT `-` writes to standard output. The shape is described in
//! `tests/bench/estate.rs`.

#[path = "../tests/bench/estate.rs"]
mod estate;

use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mostly_allowed = args.iter().any(|a| a == "--mostly-allowed");
    let positional: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let usage =
        "usage: gen_estate SCALE OUT [--mostly-allowed]   (SCALE > 0, e.g. 1.0; OUT a path or -)";
    let (Some(scale), Some(out)) = (positional.first(), positional.get(1)) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let scale: f64 = match scale.parse() {
        Ok(s) if s > 0.0 && s <= 7.5 => s,
        _ => {
            eprintln!("{usage}; SCALE at most 7.5 (the address plan's limit)");
            std::process::exit(2);
        }
    };
    let mix = if mostly_allowed {
        estate::Mix::MostlyAllowed
    } else {
        estate::Mix::Mixed
    };
    let e = estate::Estate::at_scale(scale, mix);
    let resources = estate::resources(&e);
    let result = if out.as_str() == "-" {
        estate::write_plan(
            &resources,
            std::io::BufWriter::new(std::io::stdout().lock()),
        )
    } else {
        std::fs::File::create(out.as_str())
            .and_then(|f| estate::write_plan(&resources, std::io::BufWriter::new(f)))
    };
    if let Err(err) = result {
        eprintln!("gen_estate: cannot write {out}: {err}");
        std::process::exit(1);
    }
    let _ = writeln!(
        std::io::stderr(),
        "gen_estate: {} resources; {} spokes, {} clusters × 3 node pools, {} NSGs × {} rules, \
         {} firewall rules, {} IP groups; {} spoke(s) denied by the firewall, {} by their NSGs",
        resources.len(),
        e.spokes,
        e.clusters(),
        e.clusters(),
        e.nsg_rules,
        e.firewall_rules(),
        e.ip_groups,
        e.uncovered_spokes,
        e.nsg_denied_spokes
    );
}
