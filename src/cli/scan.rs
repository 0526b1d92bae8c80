//! `aks-preflight scan`: every AKS cluster of an estate checked against today's requirements,
//! one table row per node pool (cluster, pool, verdict, top finding), plus every format of
//! `check` (`--format`, `--output FORMAT=PATH`). The estate comes from Azure Resource Graph
//! (`--subscription`, `--management-group`, `--all-subscriptions`) or from files (INPUT: saved
//! Resource Graph results, `az … -o json`, snapshots).

use super::args::CheckArgs;
use super::commands::{load_for_more, print_error, report_loaded};
use crate::error::Error;
use crate::input::arm::graph::Scope;
use crate::input::azure;
use clap::{ArgMatches, Args, Command, FromArgMatches, parser::ValueSource};

/// `scan`'s arguments: `check`'s, and the scope to read.
#[derive(Debug)]
pub struct ScanArgs {
    pub check: CheckArgs,
    /// `--subscription` (repeatable).
    pub subscriptions: Vec<String>,
    pub all_subscriptions: bool,
    /// `--management-group` (repeatable).
    pub management_groups: Vec<String>,
    /// `--format` not given: stdout is the estate table.
    pub table: bool,
}

impl ScanArgs {
    /// The scopes to query; none when the estate comes from files.
    pub fn scopes(&self) -> Vec<Scope> {
        let mut out = Scope::batches(&self.subscriptions);
        if !self.management_groups.is_empty() {
            out.push(Scope::ManagementGroups(self.management_groups.clone()));
        }
        if self.all_subscriptions {
            out.push(Scope::Tenant);
        }
        out
    }
}

impl Args for ScanArgs {
    fn augment_args(cmd: Command) -> Command {
        let mut cmd = CheckArgs::augment_args(cmd)
            .mut_arg("inputs", |a| {
                a.required(false).help(
                    "Files holding the estate instead of Azure: saved Resource Graph results (`az graph query … -o json`), `az … -o json` output, snapshots",
                )
            })
            .mut_arg("subscription", |a| {
                a.action(clap::ArgAction::Append)
                    .help("Subscription id to scan (repeatable; up to 300 are read per Resource Graph query)")
            })
            .mut_arg("cluster", |a| a.hide(true));
        for id in ["parameters", "param", "resource_group", "location"] {
            cmd = cmd.mut_arg(id, |a| a.hide(true));
        }
        cmd.arg(
            clap::Arg::new("all_subscriptions")
                .long("all-subscriptions")
                .action(clap::ArgAction::SetTrue)
                .help("Scan every subscription the identity can read (Resource Graph's tenant scope, at most 10,000)"),
        )
        .arg(
            clap::Arg::new("management_group")
                .long("management-group")
                .value_name("ID")
                .action(clap::ArgAction::Append)
                .help("Scan the subscriptions below this management group (repeatable)"),
        )
        .after_help(
            "Without --format, stdout is the table: one row per node pool (cluster, pool, verdict, top finding). --format gives any format of `check` instead; --output FORMAT=PATH writes more.",
        )
    }
    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for ScanArgs {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let mut m = m.clone();
        let take = |m: &mut ArgMatches, id: &str| -> Vec<String> {
            m.remove_many::<String>(id)
                .map(|v| v.collect())
                .unwrap_or_default()
        };
        let subscriptions = take(&mut m, "subscription");
        let management_groups = take(&mut m, "management_group");
        let all_subscriptions = m.remove_one::<bool>("all_subscriptions").unwrap_or(false);
        let table = m.value_source("format") != Some(ValueSource::CommandLine);
        Ok(ScanArgs {
            check: CheckArgs::from_arg_matches(&m)?,
            subscriptions,
            all_subscriptions,
            management_groups,
            table,
        })
    }
    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

fn usage(msg: &str) -> i32 {
    print_error(&Error::Usage(msg.to_string()));
    2
}

pub fn run(a: ScanArgs) -> i32 {
    let scopes = a.scopes();
    if scopes.is_empty() && a.check.input.inputs.is_empty() {
        return usage(
            "scan needs a scope (--subscription ID…, --management-group ID, --all-subscriptions) or files holding the estate",
        );
    }
    // the estate of the scopes, through Resource Graph; with --live, also what it refers to
    // outside them (--live's reads in load_more)
    let json = !a.table && a.check.format == super::args::OutputFormat::Json;
    let schema = crate::report::json::SCHEMA;
    let loaded = load_for_more(&a.check.input, json, schema, |sources, existing, _| {
        if scopes.is_empty() {
            return Ok(());
        }
        let input = &a.check.input;
        let opts = input.live.options(super::live::cloud_of(input.cloud));
        let conn = azure::Connection::open(&opts)?;
        let read = azure::graph::read_estate(&conn, &scopes, sources, &opts)?;
        existing.merge(read.model);
        Ok(())
    });
    let width = super::commands::terminal_width();
    let table = |r: &crate::report::Report| crate::report::scan::render(r, width);
    match loaded {
        Ok(l) => report_loaded(&a.check, l, a.table.then_some(&table as &dyn Fn(&_) -> _)),
        Err(code) => code,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> ScanArgs {
        let cmd = ScanArgs::augment_args(Command::new("scan").no_binary_name(true));
        ScanArgs::from_arg_matches(&cmd.try_get_matches_from(args).unwrap()).unwrap()
    }

    #[test]
    fn scopes_and_table() {
        let a = parse(&[
            "--subscription",
            "S1",
            "--subscription",
            "s2",
            "--management-group",
            "mg",
        ]);
        assert_eq!(
            a.scopes(),
            [
                Scope::Subscriptions(vec!["s1".into(), "s2".into()]),
                Scope::ManagementGroups(vec!["mg".into()])
            ]
        );
        assert!(a.table);
        let a = parse(&["estate.json", "--format", "json", "--all-subscriptions"]);
        assert!(!a.table);
        assert_eq!(a.check.input.inputs, ["estate.json"]);
        assert_eq!(a.scopes(), [Scope::Tenant]);
        ScanArgs::augment_args(Command::new("scan")).debug_assert();
    }
}
