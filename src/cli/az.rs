//! `aks-preflight az aks create …` and `aks-preflight az aks nodepool add …`: the command line a
//! runbook would run, read with az's own arguments (`input::azcli`), checked exactly as `check`
//! checks its inputs. aks-preflight's own options may stand anywhere among az's; az's global
//! arguments keep their az meaning (`--subscription` selects the subscription; `--output/-o
//! json|table…`, `--query`, `--only-show-errors`, `--debug` are accepted and ignored), and an
//! `--output` value holding `=` is aks-preflight's `--output FORMAT=PATH`.

use super::args::CheckArgs;
use super::commands::{check_loaded, load_for_more, print_error};
use crate::error::Error;
use crate::input::azcli::{self, Planned};
use crate::input::azure;
use crate::model::{InputNote, Model};
use clap::{Args, FromArgMatches};

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

/// aks-preflight's options in an `az` command line: every option of `check`, its input files
/// given with `--snapshot FILE` (none is needed when the command names no existing resource).
fn own_command() -> clap::Command {
    let cmd = clap::Command::new("aks-preflight az aks create|nodepool add")
        .no_binary_name(true)
        .disable_help_flag(true)
        .disable_version_flag(true);
    let mut cmd = CheckArgs::augment_args(cmd).mut_arg("inputs", |a| a.required(false).hide(true));
    // options of ARM templates: no meaning here (az's --resource-group, --subscription and
    // --location are az's)
    for id in [
        "parameters",
        "param",
        "resource_group",
        "subscription",
        "location",
    ] {
        if cmd.get_arguments().any(|a| a.get_id() == id) {
            cmd = cmd.mut_arg(id, |a| a.hide(true));
        }
    }
    cmd.arg(
        clap::Arg::new("offline")
            .long("offline")
            .action(clap::ArgAction::SetTrue)
            .help(
                "Read nothing from Azure, even with credentials: what the command refers to and \
                 no --snapshot holds is unknown",
            ),
    )
    .arg(
        clap::Arg::new("snapshot")
            .long("snapshot")
            .value_name("FILE")
            .action(clap::ArgAction::Append)
            .help(
                "Existing resources (repeatable): `az … -o json` output (`az aks show` for \
                     `nodepool add`), ARM REST responses, aks-preflight snapshots",
            ),
    )
}

/// Parse aks-preflight's options (`ours`, split from az's words): `check`'s, and `--offline`.
fn own_args(ours: &[String]) -> Result<(CheckArgs, bool), clap::Error> {
    let mut m = own_command().try_get_matches_from(ours)?;
    let snapshots: Vec<String> = m
        .remove_many::<String>("snapshot")
        .map(|v| v.collect())
        .unwrap_or_default();
    let offline = m.remove_one::<bool>("offline").unwrap_or(false);
    let mut a = CheckArgs::from_arg_matches(&m)?;
    a.input.inputs = snapshots;
    Ok((a, offline))
}

/// Whether the existing resources an az command refers to are read from Azure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LiveMode {
    /// `--offline`, or `--snapshot` files without `--live`: the files are the existing resources.
    Off,
    /// No `--snapshot`: read live when a credential gives a token, else say what was not read.
    Implied,
    /// `--live`: a credential that fails is an error.
    Required,
}

fn live_mode(live: bool, offline: bool, snapshots: bool) -> LiveMode {
    if live {
        LiveMode::Required
    } else if offline || snapshots {
        LiveMode::Off
    } else {
        LiveMode::Implied
    }
}

/// Read live what the command refers to (for `nodepool add`, its cluster first), then add the
/// command's cluster or pool to the model.
fn read_and_plan(
    check: &CheckArgs,
    mode: LiveMode,
    cmd: &mut azcli::Command,
    sources: &mut crate::source::SourceMap,
    existing: &mut Model,
    planned: &mut Model,
) -> Result<(), Error> {
    let opts = check
        .input
        .live
        .options(super::live::cloud_of(check.input.cloud));
    let command_planned = match &cmd.planned {
        Planned::Cluster(m) => m.clone(),
        Planned::Pool(_) => Model::new(),
    };
    // the cluster a pool joins, when the files do not hold it
    let mut clusters = vec![];
    if let Planned::Pool(p) = &mut cmd.planned {
        let missing = matches!(
            p.attach(&mut existing.clone()),
            Err(azcli::nodepool::AttachError::NoCluster(_))
        );
        if mode != LiveMode::Off && missing {
            if p.subscription.is_none() {
                p.subscription = pool_subnet_subscription(p);
                if let Some(s) = &p.subscription {
                    existing.input_notes.push(InputNote {
                        code: "AZC004",
                        message: format!(
                            "no --subscription: cluster {} is read in subscription {s}, the \
                             subscription of --vnet-subnet-id",
                            p.cluster_address()
                        ),
                        origin: p.head.clone(),
                    });
                }
            }
            match p.cluster_id() {
                Some(id) => clusters.push(id),
                None => {
                    return Err(Error::Usage(format!(
                        "to read cluster {} from Azure, aks-preflight needs its subscription: \
                         give --subscription <subscription id> (or the cluster as --snapshot \
                         FILE, from `az aks show -g {} -n {} -o json`)",
                        p.cluster_address(),
                        p.resource_group,
                        p.cluster_name
                    )));
                }
            }
        }
    }
    // a new pool's subnet is read once the pool has joined its cluster
    let is_pool = matches!(cmd.planned, Planned::Pool(_));
    let wanted = is_pool || azure::refers_to_missing(&command_planned, existing);
    let mut connection = None;
    if mode != LiveMode::Off && wanted {
        let conn = azure::Connection::open(&opts).and_then(|c| c.ready().map(|()| c));
        match conn {
            Ok(conn) => {
                let read = conn.read(&clusters, &command_planned, existing, sources, &opts)?;
                existing.merge(read.model);
                connection = Some(conn);
            }
            // nothing to check a pool against without its cluster
            Err(e) if mode == LiveMode::Required || !clusters.is_empty() => return Err(e),
            Err(e) => existing.input_notes.push(InputNote {
                code: "AZC003",
                message: format!(
                    "the existing resources the command refers to were not read from Azure \
                     ({}); what depends on them is unknown: sign in (`az login`) or give them \
                     with --snapshot FILE",
                    e.to_string().trim_end_matches('.')
                ),
                origin: azcli::cli_origin(
                    cmd.file,
                    &format!("az {}", cmd.line.command.words()),
                    cmd.line.head.clone(),
                ),
            }),
        }
    }
    match &cmd.planned {
        Planned::Cluster(m) => planned.merge(m.clone()),
        Planned::Pool(_) => {
            azcli::attach_pool(cmd, existing)?;
            // the new pool's subnet and what is behind it
            if let Some(conn) = &connection {
                existing.finish();
                let read = conn.read(&[], &Model::new(), existing, sources, &opts)?;
                existing.merge(read.model);
            }
        }
    }
    Ok(())
}

/// The subscription of the pool's `--vnet-subnet-id`.
fn pool_subnet_subscription(p: &azcli::nodepool::PoolAdd) -> Option<String> {
    match p.pool.subnet.known()? {
        crate::model::Ref::Id(id) => {
            crate::input::arm::subscription_of(id.as_str()).map(str::to_ascii_lowercase)
        }
        crate::model::Ref::Key(_) => None,
    }
}

/// Separate aks-preflight's options from az's words. `--output`/`-o` is ours only with a
/// `FORMAT=PATH` value; `--help`/`-h` asks for help.
fn split(words: &[String]) -> (Vec<String>, Vec<String>, bool) {
    let own = own_command();
    // az's own arguments stay az's, also where `check` has an option of the same name
    // (`--resource-group`, `--subscription`, `--location` of ARM templates)
    let table = azcli::AzCommand::from_words(words).map(|(c, _)| c.table());
    let is_az = |name: &str| {
        table
            .is_some_and(|t| azcli::flags::lookup(t, name).is_some_and(|s| s.name() != "--verbose"))
    };
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
        if w.starts_with('-') && !w.starts_with("---") && !is_az(name) {
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
    let mut own = own_command();
    format!(
        "Check an Azure CLI command line before you run it, with the same arguments as az:\n\n  \
         aks-preflight az aks create -g rg -n aks -l westeurope --vnet-subnet-id <subnet id> \\\n      \
         --outbound-type userDefinedRouting --snapshot hub.json --snapshot spoke.json\n  \
         aks-preflight az aks nodepool add -g rg --cluster-name aks -n np2 --vnet-subnet-id <id> \\\n      \
         --snapshot cluster.json --snapshot spoke.json\n\n\
         The existing resources the command refers to (the subnet, its NSG and route table, the hub \
         firewall, the cluster of `nodepool add`) are read from Azure when a credential is \
         available (as with --live: az login, AZURE_* variables, …), or come from the --snapshot \
         files (then nothing is read unless --live is given; --offline reads nothing). az's own global \
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
    let (mut check, offline) = match own_args(&ours) {
        Ok(c) => c,
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
    if check.input.config.is_none() && check.input.inputs.is_empty() {
        check.input.config = super::discover::discover_config(&["-".to_string()])
            .map(|p| super::discover::display_path(&p));
    }
    let mode = live_mode(
        check.input.live.live,
        offline,
        !check.input.inputs.is_empty(),
    );
    // the live reads are the command's (its cluster first), not --live's in load_more
    check.input.live.live = false;
    let json = check.format == super::args::OutputFormat::Json;
    let schema = crate::report::json::SCHEMA;
    let loaded = load_for_more(&check.input, json, schema, |sources, existing, planned| {
        let mut cmd = azcli::load(sources, &theirs, &azcli::FileSystem)?;
        read_and_plan(&check, mode, &mut cmd, sources, existing, planned)
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
        // az's arguments that `check` also has stay az's
        let (ours2, theirs2, _) = split(&w(
            "aks create --resource-group rg --subscription 3f2c9b1e-7d4a-4c8e-9a51-2b6f0d8e1c47 --location westeurope -v",
        ));
        assert_eq!(ours2, w("-v"));
        assert_eq!(theirs2.len(), 8);
        assert!(!help);
        let (own, offline) = own_args(&ours).unwrap();
        assert!(!offline);
        assert_eq!(own.input.inputs, ["hub.json", "spoke.json"]);
        assert_eq!(own.outputs.len(), 2);
        assert_eq!(own.fail_on, super::super::args::FailOn::Warning);
        assert!(own.input.verbose);
        assert!(split(&w("aks create -h")).2);
    }
}
