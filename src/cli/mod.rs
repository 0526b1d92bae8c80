//! Command-line interface: argument parsing and the glue between loaders, analyses and reporters.

pub mod args;
pub mod commands;
mod discover;
mod explain;
pub mod live;
pub mod outputs;
mod snapshot;

pub use args::{Cli, Command};

use clap::Parser;

/// Run the CLI; returns the process exit code (0 clean, 1 error findings, 2 usage/input error).
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    commands::run(cli)
}
