//! The Azure CLI as an input: `az aks create …` and `az aks nodepool add …` command lines read
//! with az's own arguments, spellings and checks, turned into the planned cluster (or node pool)
//! of the model. A reader like the others: it knows az's flags and defaults, never what an
//! analysis makes of them.
//!
//! * [`parse`] reads the words as azure-cli's argparse does and writes the command-line text
//!   diagnostics point into (one argument per line; secrets never written).
//! * [`validate`] holds the checks az itself makes before sending anything; a command az would
//!   reject is an [`crate::error::Error`] located at the argument, quoting az's message.
//! * [`create`] builds the cluster and its default node pool of `az aks create`, with the
//!   defaults az and the AKS API apply; [`nodepool`] builds the pool of `az aks nodepool add`
//!   and adds it to the existing cluster read from the other inputs.
//!
//! Sources of the rules: azure-cli `src/azure-cli/azure/cli/command_modules/acs/` (`_params.py`,
//! `_validators.py`, `managed_cluster_decorator.py`, `agentpool_decorator.py`, `custom.py`); the
//! network plugin default by Kubernetes version: Azure/azure-rest-api-specs#30845 ("The default
//! value in k8s < 1.30 will remain kubenet while in 1.30+ it will be CNI Overlay") and
//! Azure/AKS#4897.
//!
//! Input note codes: `AZC001` an argument az aks create / nodepool add does not declare (ignored);
//! `INP004` defaults az or AKS apply.

pub mod create;
pub mod flags;
pub mod nodepool;
pub mod parse;
pub mod validate;

pub use parse::{AzCommand, CommandLine};
pub use validate::AzError;

use crate::error::Error;
use crate::excerpt::{Excerpt, Redaction};
use crate::model::{InputNote, Model};
use crate::source::{FileId, Loc, Origin, SourceMap};
use std::ops::Range;

/// The name of the command-line source in diagnostics.
pub const SOURCE_NAME: &str = "command line";

/// Reads the files a command names (`--http-proxy-config FILE`).
pub trait Reader {
    fn read(&self, path: &str) -> Result<String, String>;
}

/// Files from the file system, relative to the working directory (as az reads them).
pub struct FileSystem;

impl Reader for FileSystem {
    fn read(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(path).map_err(|e| e.to_string())
    }
}

/// What one command plans.
#[derive(Debug)]
pub enum Planned {
    /// `az aks create`: a new cluster with its default node pool.
    Cluster(Model),
    /// `az aks nodepool add`: a pool for an existing cluster.
    Pool(nodepool::PoolAdd),
}

/// A command line read: its text (registered in the sources) and what it plans.
#[derive(Debug)]
pub struct Command {
    pub line: CommandLine,
    pub file: FileId,
    pub planned: Planned,
}

/// An origin in the command line.
pub(crate) fn cli_origin(file: FileId, address: &str, span: Range<usize>) -> Origin {
    Origin::new(file, address, Loc::Span(span))
}

/// One `INP004` note for the defaults a command relies on.
pub(crate) fn defaults_note(defaults: &[String], origin: Origin) -> Option<InputNote> {
    if defaults.is_empty() {
        return None;
    }
    Some(InputNote {
        code: "INP004",
        message: format!(
            "{} does not set every network setting; the defaults apply: {}",
            origin.address.as_deref().unwrap_or("the command"),
            defaults.join("; ")
        ),
        origin,
    })
}

/// The subscription of the command: `--subscription` when it is an id (a subscription name
/// needs az to resolve it).
pub(crate) fn subscription_of(cl: &CommandLine) -> Option<String> {
    let s = cl.value("--subscription")?.trim();
    let is_guid = s.len() == 36
        && s.chars().enumerate().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    is_guid.then(|| s.to_ascii_lowercase())
}

/// An error located in the command line (its text holds no secret, so nothing is masked).
fn located(
    name: &str,
    text: &str,
    span: Range<usize>,
    message: String,
    help: Option<String>,
) -> Error {
    let src = Excerpt::build(
        name,
        text,
        std::slice::from_ref(&span),
        Redaction::Spans(&[]),
        1,
    );
    let shown = src.map(span.clone());
    let line_start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
    Error::Input {
        message,
        src,
        span: shown.map(|r| miette::SourceSpan::new(r.start.into(), r.end - r.start)),
        label: "here".into(),
        help,
        location: Some(crate::error::InputLocation {
            file: name.to_string(),
            span: span.clone(),
            line: text[..span.start].matches('\n').count() + 1,
            column: text[line_start..span.start].chars().count() + 1,
        }),
    }
}

fn rejected(cl_text: &str, command: AzCommand, e: AzError) -> Error {
    located(
        SOURCE_NAME,
        cl_text,
        e.span,
        format!("az {} would be rejected: {}", command.words(), e.message),
        Some(e.help.unwrap_or_else(|| {
            "aks-preflight checks what az would send; fix the command so that az accepts it".into()
        })),
    )
}

/// Read an `az` command line: `words` are the words after `az` (`aks create -g rg …`). Its text
/// joins `sources`; every origin of the planned elements points into it. A command az would
/// reject is an error located at the argument.
pub fn load(
    sources: &mut SourceMap,
    words: &[String],
    reader: &dyn Reader,
) -> Result<Command, Error> {
    let Some((command, used)) = AzCommand::from_words(words) else {
        return Err(Error::Usage(format!(
            "`az {}` is not a command aks-preflight reads; it reads `az aks create …` and `az aks nodepool add …`",
            words.iter().take(3).cloned().collect::<Vec<_>>().join(" ")
        )));
    };
    let line = match parse::parse(command, &words[used..]) {
        Ok(l) => l,
        Err(r) => return Err(rejected(&r.text, command, AzError::at(r.span, r.message))),
    };
    let file = sources.add(SOURCE_NAME, line.text.clone());
    let planned = match command {
        AzCommand::AksCreate => create::build(&line, file, reader).map(Planned::Cluster),
        AzCommand::AksNodepoolAdd => nodepool::build(&line, file).map(Planned::Pool),
    }
    .map_err(|e| rejected(&line.text, command, e))?;
    let mut cmd = Command {
        line,
        file,
        planned,
    };
    let notes = unknown_notes(&cmd.line, file);
    match &mut cmd.planned {
        Planned::Cluster(m) => m.input_notes.extend(notes),
        Planned::Pool(p) => p.notes.extend(notes),
    }
    Ok(cmd)
}

/// Add the pool of an `az aks nodepool add` command to its cluster in `existing` (the resources
/// read for it). The cluster missing from the inputs, or a pool of the same name in it, is an
/// error located at the argument.
pub fn attach_pool(cmd: &Command, existing: &mut Model) -> Result<(), Error> {
    let Planned::Pool(p) = &cmd.planned else {
        return Ok(());
    };
    let span = |n: &str| {
        cmd.line
            .get(n)
            .map(|a| a.span.clone())
            .unwrap_or(cmd.line.head.clone())
    };
    match p.attach(existing) {
        Ok(()) => Ok(()),
        Err(nodepool::AttachError::NoCluster(address)) => Err(located(
            SOURCE_NAME,
            &cmd.line.text,
            span("--cluster-name"),
            format!(
                "cluster {address} is not in the inputs: aks-preflight checks the new node pool together with the cluster it joins"
            ),
            Some(format!(
                "give the cluster as an input: `az aks show -g {} -n {} -o json > cluster.json`, then --snapshot cluster.json (or read it live)",
                p.resource_group, p.cluster_name
            )),
        )),
        Err(nodepool::AttachError::PoolExists(name)) => Err(rejected(
            &cmd.line.text,
            cmd.line.command,
            AzError::at(
                span("--nodepool-name"),
                format!(
                    "Node pool {name} already exists, please try a different name, use 'aks nodepool list' to get current list of node pool"
                ),
            ),
        )),
    }
}

/// `AZC001` for each argument the command does not declare and each stray word.
fn unknown_notes(cl: &CommandLine, file: FileId) -> Vec<InputNote> {
    let cmd = format!("az {}", cl.command.words());
    let mut out: Vec<InputNote> = cl
        .unknown()
        .map(|a| InputNote {
            code: "AZC001",
            message: format!(
                "`{}` is not an argument of {cmd} that aks-preflight knows; it was ignored (a newer az or an extension may take it; az itself would stop with \"unrecognized arguments\" otherwise)",
                a.written
            ),
            origin: cli_origin(file, &cmd, a.span.clone()),
        })
        .collect();
    out.extend(cl.strays.iter().map(|s| InputNote {
        code: "AZC001",
        message: format!(
            "`{}` is not the value of an argument of {cmd}; it was ignored",
            s.word
        ),
        origin: cli_origin(file, &cmd, s.span.clone()),
    }));
    out
}

#[cfg(test)]
mod tests;
