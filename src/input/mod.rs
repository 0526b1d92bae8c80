//! Input loaders: each turns one input format into a [`Model`] fragment. Loaders know formats and
//! never decide policy; they do not fail on partial input (unknowns become `Known::Unknown` plus an
//! input note), only on input that cannot be read at all (exit 2 with a located error).

pub mod terraform;

use crate::error::Error;
use crate::model::Model;
use crate::source::SourceMap;

/// The kinds of input we recognise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    TerraformPlan,
    TerraformState,
}

/// Load one input text (already added to `sources` under `name`), detecting its kind.
pub fn load(
    sources: &mut SourceMap,
    name: &str,
    text: String,
) -> Result<(InputKind, Model), Error> {
    terraform::load(sources, name, text)
}
