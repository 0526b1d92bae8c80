//! Terraform inputs: `terraform show -json` of a plan (format 1.x) or of state.
//! (Filled in by the plan loader work item.)

use super::InputKind;
use crate::error::Error;
use crate::model::Model;
use crate::source::SourceMap;

pub fn load(
    sources: &mut SourceMap,
    name: &str,
    text: String,
) -> Result<(InputKind, Model), Error> {
    let _ = sources.add(name, text);
    Err(Error::Unsupported {
        message: format!("{name}: plan loader not implemented"),
        help: None,
    })
}
