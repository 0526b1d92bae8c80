//! The check arguments of a directory's `check.args` (one argument a line), shared by the test
//! files that check the ARM twins.

use aks_preflight::cli::args::{Cli, Command, InputArgs};
use clap::Parser;
use std::path::Path;

/// The `check` input arguments written in `dir/check.args`: an argument naming a file of `dir`
/// becomes that file's path (`dir` joined, as given; `dir` relative to `base`), others stay.
pub fn check_args_in(base: &Path, dir: &Path) -> InputArgs {
    let text = std::fs::read_to_string(base.join(dir).join("check.args")).unwrap();
    let mut argv = vec!["aks-preflight".to_string(), "check".to_string()];
    for a in text.lines().filter(|l| !l.is_empty()) {
        if base.join(dir).join(a).is_file() {
            argv.push(dir.join(a).display().to_string());
        } else {
            argv.push(a.to_string());
        }
    }
    match Cli::try_parse_from(&argv)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .command
    {
        Command::Check(c) => c.input,
        _ => unreachable!("check arguments"),
    }
}
