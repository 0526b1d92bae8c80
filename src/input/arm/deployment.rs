//! Deployment documents as inputs: ARM templates (and Bicep compiled to them), what-if output,
//! and the parameters files that only go with a template. Each is reduced to [`ArmResource`]s
//! for the one mapper ([`super::map_resources`]); their notes join the model's.

use super::template::load::{self as tload, TemplateInputs};
use super::template::params;
use super::{ArmResource, whatif};
use crate::error::Error;
use crate::input::InputKind;
use crate::model::{InputNote, Model};
use crate::source::{FileId, SourceMap};
use serde_json::Value;

/// Whether a text that is not strict JSON announces a deployment document in its `$schema`
/// (ARM accepts `//` and `/* */` comments in templates and parameters files).
pub fn looks_like_deployment_json(text: &str) -> bool {
    let head: String = text
        .chars()
        .take(4096)
        .collect::<String>()
        .to_ascii_lowercase();
    head.contains("\"$schema\"")
        && (head.contains("deploymenttemplate.json") || head.contains("deploymentparameters.json"))
}

/// The model of a deployment document; `None` when `root` is not one.
#[allow(clippy::result_large_err)]
pub fn load_document(
    sources: &mut SourceMap,
    file: FileId,
    name: &str,
    root: &Value,
    inputs: &TemplateInputs,
) -> Option<Result<(InputKind, Model), Error>> {
    if tload::is_template(root) {
        return Some(
            tload::load(sources, file, root, inputs)
                .map(|t| (InputKind::ArmTemplate, model_of(&t.resources, t.notes))),
        );
    }
    if name.rsplit(['/', '\\']).next() == Some("bicepconfig.json") {
        return Some(Err(Error::Unsupported {
            message: format!(
                "{name} is a Bicep configuration file (linter and module settings), not a deployment"
            ),
            help: Some(
                "check the template compiled from the .bicep files: `az bicep build --file main.bicep`, then `aks-preflight check main.json`".into(),
            ),
        }));
    }
    if params::is_parameters_file(root) {
        return Some(Err(Error::Unsupported {
            message: format!(
                "{name} is {}: it gives values to a template, and is not checked by itself",
                InputKind::ArmParameters.describe()
            ),
            help: Some(format!(
                "give it with the template: `aks-preflight check main.json --parameters {name}`"
            )),
        }));
    }
    if whatif::is_what_if(root) {
        return Some(match whatif::read(root, file) {
            Ok((resources, notes)) => Ok((InputKind::WhatIf, model_of(&resources, notes))),
            Err((message, pointer)) => {
                let text = sources.get(file).text.clone();
                let span = crate::jsonspan::resolve_pointers(&text, &[pointer])
                    .into_iter()
                    .next()
                    .flatten();
                Err(Error::input_at(
                    name,
                    text.clone(),
                    span,
                    text.len(),
                    message,
                    "what-if's error",
                    Some(
                        "fix the deployment error and run `az deployment group what-if … --no-pretty-print --output json` again"
                            .into(),
                    ),
                ))
            }
        });
    }
    None
}

fn model_of(resources: &[ArmResource], notes: Vec<InputNote>) -> Model {
    let mut model = super::map_resources(resources);
    model.input_notes.extend(notes);
    model
}
