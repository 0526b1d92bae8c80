//! Writes a synthetic hub-and-spoke estate as Terraform plan JSON (or the same estate as ARM
//! resources or as a Terraform configuration), for benchmarks and for comparing tools side by
//! side (`bench/compare.sh`):
//!
//! ```sh
//! cargo run --release --example gen_estate -- 1.0 estate-1.0.json            # ≈55 MB
//! cargo run --release --example gen_estate -- 0.1 estate-0.1.json --mostly-allowed
//! cargo run --release --example gen_estate -- 1.0 estate-1.0.arm.json --format arm
//! cargo run --release --example gen_estate -- 1.0 estate-1.0-hcl --format hcl  # a directory
//! ```
//!
//! `--format plan` (the default) writes `terraform show -json` of a plan; `--format arm` one
//! REST list page of ARM resources (`{"value": [...]}`, `tests/bench/estate_arm.rs`), which
//! `aks-preflight check` reads with its ARM reader as existing resources; `--format hcl` a
//! directory OUT with one flattened `main.tf` (`tests/bench/estate_hcl.rs`), read by `check
//! OUT` with the HCL reader. Every form gives the same per-pool verdicts and findings
//! (`tests/estate_forms.rs`).
//!
//! SCALE 1.0 is 50 spokes with 100 AKS clusters of 3 node pools, 100 NSGs of 200 rules, a hub
//! firewall policy of 20,000 rules and 200 IP groups; other scales multiply the spokes, rules
//! and IP groups. By default a tenth of the spokes are denied by the firewall and a tenth are
//! blocked by their NSGs; `--mostly-allowed` leaves one spoke denied, so nearly every path is
//! evaluated to its end. OUT `-` writes to standard output. The shape is described in
//! `tests/bench/estate.rs`.

#[path = "../tests/bench/estate.rs"]
mod estate;
#[path = "../tests/bench/estate_arm.rs"]
mod estate_arm;
#[path = "../tests/bench/estate_hcl.rs"]
mod estate_hcl;

use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: gen_estate SCALE OUT [--mostly-allowed] [--format plan|arm|hcl]   \
                 (SCALE > 0, e.g. 1.0; OUT a path or -; with hcl, a directory)";
    let mut mostly_allowed = false;
    let mut format = "plan".to_string();
    let mut positional: Vec<&String> = vec![];
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--mostly-allowed" => mostly_allowed = true,
            "--format" => format = it.next().cloned().unwrap_or_default(),
            f if f.starts_with("--format=") => format = f["--format=".len()..].to_string(),
            f if f.starts_with("--") => {
                eprintln!("gen_estate: unknown option {f}\n{usage}");
                std::process::exit(2);
            }
            _ => positional.push(a),
        }
    }
    let write: fn(&[estate::Res], &mut dyn Write) -> std::io::Result<()> = match format.as_str() {
        "plan" => |r, out| estate::write_plan(r, out),
        "arm" => |r, out| estate_arm::write_arm(r, out),
        // a directory: written below
        "hcl" => |_, _| Ok(()),
        _ => {
            eprintln!("gen_estate: --format is plan, arm or hcl\n{usage}");
            std::process::exit(2);
        }
    };
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
    let result = if format == "hcl" {
        if out.as_str() == "-" {
            eprintln!("gen_estate: --format hcl writes OUT/main.tf: OUT is a directory, not -");
            std::process::exit(2);
        }
        estate_hcl::write_hcl(&resources, std::path::Path::new(out.as_str()))
    } else if out.as_str() == "-" {
        write(
            &resources,
            &mut std::io::BufWriter::new(std::io::stdout().lock()),
        )
    } else {
        std::fs::File::create(out.as_str())
            .and_then(|f| write(&resources, &mut std::io::BufWriter::new(f)))
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
