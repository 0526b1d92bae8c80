//! `aks-preflight snapshot`: read Azure resources and save them, in ARM REST shape with the reads
//! that produced them, as an input for later checks (CI without credentials, reproducible bug
//! reports). From inputs it saves exactly what `check --live` of those inputs reads; with
//! `--subscription`/`--resource-group` it saves every resource of the kinds aks-preflight
//! models in those scopes.

use super::args::CloudArg;
use super::commands::{Inputs, load_inputs, print_error};
use super::live::{LiveArgs, cloud_of, scopes};
use crate::error::Error;
use crate::input::arm::reads;
use crate::input::azure;
use clap::Args;
use serde_json::{Map, Value};

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Inputs whose references to existing resources are read (plans, az or REST files); none
    /// with --subscription.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<String>,
    /// Subscription to read every modelled resource of (repeatable).
    #[arg(long = "subscription", value_name = "ID")]
    pub subscriptions: Vec<String>,
    /// Resource group to read (repeatable): a name (in each --subscription) or a full id.
    #[arg(long = "resource-group", value_name = "NAME")]
    pub resource_groups: Vec<String>,
    /// Azure cloud (default: public).
    #[arg(long, value_enum)]
    pub cloud: Option<CloudArg>,
    #[command(flatten)]
    pub live: LiveArgs,
    /// Where to write the snapshot (`-`: standard output).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: String,
    /// No progress bar and no closing line on stderr (errors are still printed).
    #[arg(short, long)]
    pub quiet: bool,
}

pub fn run(a: SnapshotArgs) -> i32 {
    match snapshot(&a) {
        Ok(code) => code,
        Err(e) => {
            print_error(&e);
            2
        }
    }
}

fn snapshot(a: &SnapshotArgs) -> Result<i32, Error> {
    if !a.live.live {
        return Err(Error::Usage(
            "snapshot reads from Azure: add --live (a snapshot of files is the files)".into(),
        ));
    }
    let scopes = scopes(&a.subscriptions, &a.resource_groups).map_err(Error::Usage)?;
    if a.inputs.is_empty() && scopes.is_empty() {
        return Err(Error::Usage(
            "say what to read: inputs (a plan) whose references to read, or --subscription / \
             --resource-group"
                .into(),
        ));
    }
    let cloud = cloud_of(a.cloud);
    let mut opts = a.live.options(cloud);
    opts.progress &= !a.quiet;
    let verbose = super::outputs::Verbose::new(false);
    let Inputs {
        mut sources,
        existing,
        planned,
        failed,
        ..
    } = load_inputs(
        &a.inputs,
        &crate::input::LoadOptions::default(),
        &verbose,
        &mut |_, e| print_error(e),
    );
    if failed {
        return Ok(2);
    }
    let mut resources = vec![];
    let mut records = vec![];
    let mut endpoint = String::new();
    if !a.inputs.is_empty() {
        let read = azure::read_missing(&planned, &existing, &mut sources, &opts)?;
        endpoint = read.endpoint;
        resources.extend(read.resources);
        records.extend(read.records);
    }
    if !scopes.is_empty() {
        let read = azure::read_scopes(&scopes, &mut sources, &opts)?;
        endpoint = read.endpoint;
        resources.extend(read.resources);
        records.extend(read.records);
    }
    resources.sort_by_key(|v| {
        v.get("id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase()
    });
    resources.dedup_by_key(|v| {
        v.get("id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase()
    });
    let mut header = Map::new();
    header.insert(
        "createdAt".into(),
        Value::String(azure::client::now_rfc3339()),
    );
    header.insert("endpoint".into(), Value::String(endpoint));
    header.insert("cloud".into(), Value::String(cloud.as_str().into()));
    header.insert(
        "inputs".into(),
        Value::Array(a.inputs.iter().cloned().map(Value::String).collect()),
    );
    header.insert(
        "scopes".into(),
        Value::Array(
            scopes
                .iter()
                .map(|s| {
                    Value::String(match &s.resource_group {
                        Some(g) => format!("/subscriptions/{}/resourceGroups/{g}", s.subscription),
                        None => format!("/subscriptions/{}", s.subscription),
                    })
                })
                .collect(),
        ),
    );
    let failed_reads = records.iter().filter(|r| !r.ok()).count();
    let count = resources.len();
    let text = reads::snapshot(header, resources, &records);
    if a.output == "-" {
        print!("{text}");
    } else {
        std::fs::write(&a.output, text).map_err(|e| Error::Io {
            path: a.output.clone(),
            message: e.to_string(),
        })?;
    }
    if !a.quiet {
        eprintln!(
            "aks-preflight: {count} resource(s) from {} request(s) written to {}{}",
            records.len(),
            a.output,
            if failed_reads > 0 {
                format!(
                    " ({failed_reads} read(s) failed; they are recorded and reported by checks of the snapshot)"
                )
            } else {
                String::new()
            }
        );
    }
    Ok(0)
}
