//! `aks-preflight az aks create …` and `aks-preflight az aks nodepool add …`: the command line a
//! runbook would run, read with az's own arguments (`input::azcli`), checked exactly as `check`
//! checks its inputs. aks-preflight's own options may stand anywhere among az's; az's global
//! arguments keep their az meaning (`--subscription` selects the subscription; `--output/-o
//! json|table…`, `--query`, `--only-show-errors`, `--debug` are accepted and ignored), and an
//! `--output` value holding `=` is aks-preflight's `--output FORMAT=PATH`.

use super::args::{
    CheckArgs, CloudArg, Color, FailOn, InputArgs, OutputFormat, OutputSpec, parse_output_spec,
};
use super::commands::{check_loaded, load_with, print_error};
use crate::error::Error;
use crate::input::azcli::{self, Planned};
use clap::{Args, CommandFactory, Parser};
use std::path::PathBuf;

/// `az …` words, with aks-preflight's options among them.
#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct AzArgs {
    /// `aks create <az arguments>` or `aks nodepool add <az arguments>`, with aks-preflight's
    /// options (`--snapshot FILE`, `--format`, `--output FORMAT=PATH`, `--fail-on`, …) anywhere
    /// among them. `aks-preflight az aks create --help` lists them.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        num_args = 0..,
        value_name = "AZ_COMMAND"
    )]
    pub words: Vec<String>,
}

/// aks-preflight's options in an `az` command line (the options of `check`, with `--snapshot`
/// for the input files).
#[derive(Debug, Parser)]
#[command(
    name = "aks-preflight az aks create|nodepool add",
    no_binary_name = true,
    disable_help_flag = true,
    disable_version_flag = true
)]
struct OwnArgs {
    /// Existing resources (repeatable): `az … -o json` output (`az aks show` for `nodepool
    /// add`), ARM REST responses, aks-preflight snapshots.
    #[arg(long = "snapshot", value_name = "FILE")]
    snapshots: Vec<String>,
    /// Directory of extra policy files (*.toml) adding or overriding catalogue endpoints by id.
    #[arg(long, value_name = "DIR")]
    policy_dir: Option<PathBuf>,
    /// Configuration file (default: `.aks-preflight.toml` discovered from the first snapshot's
    /// directory, or the current one, up to the repository root).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Azure cloud (default: inferred from the cluster's region).
    #[arg(long, value_enum)]
    cloud: Option<CloudArg>,
    /// Say on stderr what was read and how long each stage took (also az's `--verbose`).
    #[arg(short, long)]
    verbose: bool,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value = "human")]
    format: OutputFormat,
    /// Also write FORMAT to PATH (repeatable). A value without `=` is az's own `--output`.
    #[arg(long = "output", value_name = "FORMAT=PATH", value_parser = parse_output_spec)]
    outputs: Vec<OutputSpec>,
    /// Report only findings that are not in this baseline file.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Record this run's findings (after waivers) in FILE, for `--baseline`.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Print nothing on stdout.
    #[arg(short, long)]
    quiet: bool,
    /// No colour.
    #[arg(long)]
    no_color: bool,
    /// Tighten the exit code.
    #[arg(long, value_enum, default_value = "error")]
    fail_on: FailOn,
    /// Colour (human format).
    #[arg(long, value_enum, default_value = "auto")]
    color: Color,
    /// In the human table, list only endpoints that are not reachable.
    #[arg(long)]
    problems_only: bool,
}

/// Separate aks-preflight's options from az's words. `--output`/`-o` is ours only with a
/// `FORMAT=PATH` value; `--help`/`-h` asks for help.
fn split(words: &[String]) -> (Vec<String>, Vec<String>, bool) {
    let own = OwnArgs::command();
    let takes_value = |w: &str| -> Option<bool> {
        let name = w.split('=').next().unwrap_or(w);
        own.get_arguments()
            .find(|a| {
                if let Some(l) = name.strip_prefix("--") {
                    a.get_long() == Some(l)
                } else {
                    let mut cs = name.strip_prefix('-').unwrap_or("").chars();
                    matches!((cs.next(), cs.next()), (Some(c), None) if a.get_short() == Some(c))
                }
            })
            .map(|a| a.get_action().takes_values())
    };
    let (mut ours, mut theirs) = (vec![], vec![]);
    let mut help = false;
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        i += 1;
        let name = w.split('=').next().unwrap_or(w);
        if name == "--help" || name == "-h" {
            help = true;
            continue;
        }
        if name == "--output" || name == "-o" {
            let (inline, next) = (w.split_once('=').map(|(_, v)| v), words.get(i));
            let value = inline.or(next.map(String::as_str));
            if value.is_some_and(|v| v.contains('=')) {
                ours.push("--output".into());
                ours.push(value.unwrap_or_default().to_string());
                if inline.is_none() {
                    i += 1;
                }
            } else {
                theirs.push(w.clone());
            }
            continue;
        }
        if w.starts_with('-') && !w.starts_with("---") {
            if let Some(value) = takes_value(w) {
                ours.push(w.clone());
                if value && !w.contains('=') {
                    if let Some(v) = words.get(i) {
                        ours.push(v.clone());
                        i += 1;
                    }
                }
                continue;
            }
        }
        theirs.push(w.clone());
    }
    (ours, theirs, help)
}

fn help_text() -> String {
    let mut own = OwnArgs::command();
    format!(
        "Check an Azure CLI command line before you run it, with the same arguments as az:\n\n  \
         aks-preflight az aks create -g rg -n aks -l westeurope --vnet-subnet-id <subnet id> \\\n      \
         --outbound-type userDefinedRouting --snapshot hub.json --snapshot spoke.json\n  \
         aks-preflight az aks nodepool add -g rg --cluster-name aks -n np2 --vnet-subnet-id <id> \\\n      \
         --snapshot cluster.json --snapshot spoke.json\n\n\
         The existing resources the command refers to (the subnet, its NSG and route table, the hub \
         firewall, the cluster of `nodepool add`) come from the --snapshot files. az's own global \
         arguments keep their meaning: --subscription selects the subscription; --output/-o \
         json|table, --query, --only-show-errors and --debug are accepted and ignored.\n\n{}",
        own.render_help()
    )
}

fn usage(msg: &str) -> i32 {
    print_error(&Error::Usage(msg.to_string()));
    2
}

pub fn run(a: AzArgs) -> i32 {
    let (ours, theirs, help) = split(&a.words);
    if help {
        print!("{}", help_text());
        return 0;
    }
    let own = match OwnArgs::try_parse_from(&ours) {
        Ok(o) => o,
        Err(e) => {
            let _ = e.print();
            return 2;
        }
    };
    if azcli::AzCommand::from_words(&theirs).is_none() {
        return usage(&format!(
            "`aks-preflight az {}` is not a command aks-preflight reads: give `az aks create …` or `az aks nodepool add …` (without the leading `az`), e.g. `aks-preflight az aks create -g rg -n aks --vnet-subnet-id <id> --snapshot spoke.json`",
            theirs.iter().take(3).cloned().collect::<Vec<_>>().join(" ")
        ));
    }
    // the config file: discovered from the first snapshot's directory, else the current one
    let config = own.config.clone().or_else(|| {
        own.snapshots
            .is_empty()
            .then(|| super::discover::discover_config(&["-".to_string()]))
            .flatten()
            .map(|p| super::discover::display_path(&p))
    });
    let check = CheckArgs {
        input: InputArgs {
            inputs: own.snapshots.clone(),
            policy_dir: own.policy_dir.clone(),
            config,
            cloud: own.cloud,
            verbose: own.verbose,
        },
        format: own.format,
        outputs: own.outputs.clone(),
        baseline: own.baseline.clone(),
        write_baseline: own.write_baseline.clone(),
        quiet: own.quiet,
        no_color: own.no_color,
        fail_on: own.fail_on,
        color: own.color,
        problems_only: own.problems_only,
    };
    let loaded = load_with(&check.input, |sources, existing, planned| {
        let cmd = azcli::load(sources, &theirs, &azcli::FileSystem)?;
        match &cmd.planned {
            Planned::Cluster(m) => planned.merge(m.clone()),
            Planned::Pool(_) => azcli::attach_pool(&cmd, existing)?,
        }
        Ok(())
    });
    match loaded {
        Ok(l) => check_loaded(&check, l),
        Err(code) => code,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn own_options_are_picked_out_of_az_arguments() {
        let (ours, theirs, help) = split(&w(
            "aks create -g rg --snapshot hub.json -o json --output sarif=out.sarif --output=junit=t.xml --fail-on=warning -n aks --verbose --snapshot=spoke.json",
        ));
        assert_eq!(
            ours,
            w(
                "--snapshot hub.json --output sarif=out.sarif --output junit=t.xml --fail-on=warning --verbose --snapshot=spoke.json"
            )
        );
        assert_eq!(theirs, w("aks create -g rg -o json -n aks"));
        assert!(!help);
        let own = OwnArgs::try_parse_from(&ours).unwrap();
        assert_eq!(own.snapshots, ["hub.json", "spoke.json"]);
        assert_eq!(own.outputs.len(), 2);
        assert_eq!(own.fail_on, FailOn::Warning);
        assert!(split(&w("aks create -h")).2);
    }
}
