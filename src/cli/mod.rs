//! Command-line interface: argument parsing and the glue between loaders, analyses and reporters.

pub mod args;
mod az;
mod cluster;
pub mod commands;
mod discover;
mod explain;
pub mod live;
pub mod outputs;
mod scan;
mod snapshot;

pub use args::{Cli, Command};

use clap::{CommandFactory, FromArgMatches};

/// The command-line grammar: `check --cluster ID` needs no INPUT.
pub fn command() -> clap::Command {
    Cli::command().mut_subcommand("check", |c| {
        c.mut_arg("inputs", |a| {
            a.required(false).required_unless_present("cluster")
        })
    })
}

/// Run the CLI; returns the process exit code (0 clean, 1 error findings, 2 usage/input error).
pub fn main() -> i32 {
    let cli = match command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    commands::run(cli)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_grammar_is_consistent() {
        super::command().debug_assert();
        // check --cluster needs no INPUT; check without either does
        let m = super::command().try_get_matches_from(["aks-preflight", "check", "--cluster", "x"]);
        assert!(m.is_ok());
        assert!(
            super::command()
                .try_get_matches_from(["aks-preflight", "check"])
                .is_err()
        );
    }
}
