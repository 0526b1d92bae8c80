//! Input loaders: each turns one input format into a [`Model`] fragment. Loaders know formats and
//! never decide policy; they do not fail on partial input (unknowns become `Known::Unknown` plus an
//! input note), only on input that cannot be read at all (exit 2 with a located error).

pub mod arm;
pub mod azcli;
pub mod azure;
pub mod detect;
pub mod document;
pub mod limit;
pub mod sensitive;
pub mod terraform;
pub mod tree;
pub mod wrapper;

use crate::error::Error;
use crate::model::Model;
use crate::source::{FileId, SourceMap};
use bumpalo::Bump;
use serde_json::Value;
use std::ops::Range;
use std::sync::Arc;
use terraform::DocKind;

/// The kinds of input we recognise. Each kind has one reader; [`load_path`] dispatches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// `terraform show -json <planfile>`.
    TerraformPlan,
    /// `terraform show -json` of state, or a raw `terraform.tfstate` (version 4).
    TerraformState,
    /// Terraform configuration: a `.tf` file or a directory holding a root module.
    TerraformHcl,
    /// A Terraform variables file (`.tfvars`, `.tfvars.json`): an input of an HCL check, not a
    /// check input by itself.
    TerraformVars,
    /// Bicep source (`.bicep`, `.bicepparam`): must be compiled to an ARM template first.
    Bicep,
    /// An ARM deployment template (`$schema` …/deploymentTemplate.json).
    ArmTemplate,
    /// An ARM deployment parameters file (`$schema` …/deploymentParameters.json).
    ArmParameters,
    /// `az deployment … what-if --output json`.
    WhatIf,
    /// ARM resources: REST GET/list responses, `az … show/list -o json` output, snapshots.
    ArmResources,
}

impl InputKind {
    /// What the kind is, in a few words, for messages.
    pub fn describe(&self) -> &'static str {
        match self {
            InputKind::TerraformPlan => "a Terraform plan (JSON)",
            InputKind::TerraformState => "Terraform state (JSON)",
            InputKind::TerraformHcl => "Terraform configuration (HCL)",
            InputKind::TerraformVars => "a Terraform variables file",
            InputKind::Bicep => "Bicep source",
            InputKind::ArmTemplate => "an ARM template",
            InputKind::ArmParameters => "an ARM parameters file",
            InputKind::WhatIf => "what-if output",
            InputKind::ArmResources => "Azure resources (ARM REST or az CLI JSON)",
        }
    }
}

/// The kind an input path announces before its content is read: a directory or a file
/// extension that is not JSON. `None`: decided from the content.
pub fn kind_from_path(path: &std::path::Path) -> Option<InputKind> {
    if path.is_dir() {
        return Some(InputKind::TerraformHcl);
    }
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".tf") {
        Some(InputKind::TerraformHcl)
    } else if name.ends_with(".tfvars") || name.ends_with(".tfvars.json") {
        Some(InputKind::TerraformVars)
    } else if name.ends_with(".bicep") || name.ends_with(".bicepparam") {
        Some(InputKind::Bicep)
    } else {
        None
    }
}

/// What some input kinds need besides their own file.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// ARM templates: parameters, and where the deployment goes.
    pub template: arm::template::load::TemplateInputs,
    /// Terraform configurations: variable values (`--var`, `--var-file`).
    pub hcl: terraform::hcl::VarArgs,
    /// The Terraform configuration plans were made from (`--source`): findings of a plan point
    /// at its `.tf` lines. `None`: the plan's directory, when it holds `.tf` files.
    pub plan_source: Option<std::path::PathBuf>,
}

/// Read and load one input path (`-` is stdin): a file of any recognised kind, or a directory.
/// The text is added to `sources`; every origin in the model points into it.
pub fn load_path(sources: &mut SourceMap, path: &str) -> Result<(InputKind, Model), Error> {
    load_path_with(sources, path, &LoadOptions::default())
}

/// [`load_path`] with the options some kinds need.
pub fn load_path_with(
    sources: &mut SourceMap,
    path: &str,
    opts: &LoadOptions,
) -> Result<(InputKind, Model), Error> {
    if path != "-" {
        let p = std::path::Path::new(path);
        if p.is_dir() {
            return match detect::directory(p) {
                Ok(InputKind::TerraformHcl) => terraform::hcl::load(sources, p, &opts.hcl)
                    .map(|m| (InputKind::TerraformHcl, m)),
                Ok(kind) => Err(not_read_yet(path, kind, None)),
                Err(r) => Err(with_module_hint(refused(r), p)),
            };
        }
        if let Some(kind) = kind_from_path(p) {
            return match kind {
                InputKind::TerraformHcl => {
                    terraform::hcl::load(sources, p, &opts.hcl).map(|m| (kind, m))
                }
                _ => Err(not_read_yet(path, kind, None)),
            };
        }
    }
    let (name, text) = read_text(path)?;
    load_with(sources, &name, text, opts)
}

/// A directory without `.tf` files: name its subdirectories that are modules (a repository's
/// `terraform/` folder).
fn with_module_hint(e: Error, dir: &std::path::Path) -> Error {
    let Error::Unsupported { message, help } = e else {
        return e;
    };
    let mut below: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|x| x.ok())
                .map(|x| x.path())
                .filter(|p| p.is_dir() && detect::directory(p).is_ok())
                .map(|p| p.display().to_string())
                .collect()
        })
        .unwrap_or_default();
    below.sort();
    let help = match below.as_slice() {
        [] => help,
        some => Some(format!(
            "these subdirectories hold Terraform configuration: {}; or {}",
            some.join(", "),
            help.unwrap_or_default()
        )),
    };
    Error::Unsupported { message, help }
}

fn refused(r: detect::Refusal) -> Error {
    Error::Unsupported {
        message: r.message,
        help: Some(r.help),
    }
}

/// A recognised kind this build has no reader for (or that is not checked by itself), with
/// what to do instead. `seen`: how it was recognised, when not by its name.
fn not_read_yet(path: &str, kind: InputKind, seen: Option<&str>) -> Error {
    let plan = "`terraform plan -out tfplan && terraform show -json tfplan > plan.json`";
    let (what, help) = match kind {
        InputKind::TerraformHcl => (
            "which is read from its module: a directory, or a file named *.tf".to_string(),
            format!(
                "check the directory that holds the root module (`aks-preflight check DIR`), or \
                 the plan: {plan}"
            ),
        ),
        InputKind::TerraformVars => (
            "the values of a configuration's variables: there is nothing in it to check by itself"
                .to_string(),
            format!(
                "check the configuration with it: `aks-preflight check DIR --var-file {path}`, or \
                 the plan made with it: `terraform plan -var-file={path} -out tfplan && \
                 terraform show -json tfplan > plan.json`"
            ),
        ),
        InputKind::Bicep if path.to_ascii_lowercase().ends_with(".bicepparam") => (
            "which aks-preflight does not read: compile it to a parameters file".to_string(),
            "`az bicep build-params --file main.bicepparam` writes main.parameters.json; give it \
             with the template: `aks-preflight check main.json --parameters main.parameters.json`"
                .to_string(),
        ),
        InputKind::Bicep => (
            "which aks-preflight does not read: compile it to an ARM template".to_string(),
            "`az bicep build --file main.bicep` (or `bicep build main.bicep`) writes main.json; then \
             `aks-preflight check main.json --parameters main.parameters.json`"
                .to_string(),
        ),
        InputKind::ArmParameters => (
            "the parameter values of an ARM template: there is nothing in it to check by itself"
                .to_string(),
            format!(
                "give it with the template: `aks-preflight check main.json --parameters {path}`"
            ),
        ),
        _ => (
            "which aks-preflight does not read".to_string(),
            RECIPE.to_string(),
        ),
    };
    let seen = seen.map(|s| format!(" ({s})")).unwrap_or_default();
    Error::Unsupported {
        message: format!("{path} is {}{seen}, {what}", kind.describe()),
        help: Some(help),
    }
}

/// The text of a file (or of stdin for `-`), with the name to show for it.
pub fn read_text(path: &str) -> Result<(String, String), Error> {
    // bounded by the input size limit (`limit.rs`): a huge file or endless stdin is refused
    let (name, bytes) = if path == "-" {
        let b = limit::read_bounded("<stdin>", std::io::stdin().lock(), None)?;
        ("<stdin>".to_string(), b)
    } else {
        let io = |e: std::io::Error| Error::Io {
            path: path.into(),
            message: e.to_string(),
        };
        let f = std::fs::File::open(path).map_err(io)?;
        let size = f.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
        (path.to_string(), limit::read_bounded(path, f, size)?)
    };
    // empty, UTF-16, a binary plan file: said as such
    let text = detect::text_of(&name, bytes).map_err(refused)?;
    Ok((name, text))
}

const RECIPE: &str = "aks-preflight reads the JSON form of a Terraform plan. Produce it with:\n  \
                      terraform plan -out=tfplan\n  terraform show -json tfplan > plan.json\n\
                      (or `terraform show -json > state.json` for the current state)";

/// Load one input text, detecting its kind. The text is added to `sources` under `name`, and
/// every origin in the model points into it.
#[allow(clippy::result_large_err)] // the crate-wide `Error` carries its source text
pub fn load(
    sources: &mut SourceMap,
    name: &str,
    text: String,
) -> Result<(InputKind, Model), Error> {
    load_with(sources, name, text, &LoadOptions::default())
}

/// [`load`] with the options some kinds need.
#[allow(clippy::result_large_err)]
pub fn load_with(
    sources: &mut SourceMap,
    name: &str,
    mut text: String,
    opts: &LoadOptions,
) -> Result<(InputKind, Model), Error> {
    use serde_json::error::Category;
    // lines a CI wrapper adds around the JSON are blanked (offsets stay the file's own)
    let command = wrapper::blank_command_line(&mut text);
    // a UTF-8 byte order mark (editors on Windows add one) is not JSON
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    // a plan's `planned_values` and most of its `before` values are not kept, its change values
    // are borrowed trees of the text in `bump` (document.rs); the source map shares the text
    let mut text = Arc::new(text);
    let bump = Bump::new();
    let mut trailing = None;
    let parsed = match document::parse(&text[bom..], &bump) {
        Err(e)
            if e.classify() == Category::Syntax
                && e.to_string().starts_with("trailing characters") =>
        {
            let at = offset_of(&text[bom..], e.line(), e.column()) + bom;
            let owned = Arc::make_mut(&mut text);
            trailing = wrapper::blank_trailing_lines(owned, at);
            if trailing.is_some() {
                document::parse(&text[bom..], &bump)
            } else {
                Err(e)
            }
        }
        r => r,
    };
    let wrapped = wrapper::WrapperLines { command, trailing };
    let file = sources.add_shared(name, Arc::clone(&text));
    let (root, changes, parse_sensitive) = match parsed {
        Ok(d) => (d.root, d.changes, d.sensitive),
        Err(e) => {
            // not JSON, but a kind we know: HCL, Bicep, an ARM template with comments
            if let Some((kind, seen)) = detect::kind_of_text(&text) {
                if matches!(kind, InputKind::ArmTemplate | InputKind::ArmParameters) {
                    // ARM accepts comments in templates and parameters files
                    let root = arm::template::load::parse_json(name, &text)?;
                    if let Some(r) =
                        arm::deployment::load_document(sources, file, name, &root, &opts.template)
                    {
                        return r;
                    }
                }
                if !matches!(
                    kind,
                    InputKind::TerraformPlan | InputKind::TerraformState | InputKind::ArmResources
                ) {
                    return Err(not_read_yet(name, kind, Some(seen)));
                }
            }
            return Err(json_error(name, &text, &e, bom, &wrapped));
        }
    };
    // one dispatch by kind: each reader plugs in here
    match detect::kind_of_json(&root) {
        Some(InputKind::ArmResources) => return Ok(load_arm(sources, file, name, root)),
        Some(kind @ (InputKind::ArmTemplate | InputKind::ArmParameters | InputKind::WhatIf)) => {
            return arm::deployment::load_document(sources, file, name, &root, &opts.template)
                .unwrap_or_else(|| Err(not_read_yet(name, kind, None)));
        }
        Some(kind @ (InputKind::TerraformHcl | InputKind::TerraformVars | InputKind::Bicep)) => {
            return Err(not_read_yet(name, kind, None));
        }
        Some(InputKind::TerraformPlan | InputKind::TerraformState) => {}
        // a bicepconfig.json is named as such
        None => {
            if let Some(r) =
                arm::deployment::load_document(sources, file, name, &root, &opts.template)
            {
                return r;
            }
        }
    }
    let kind = detect(name, &text, &root)?;
    // never show sensitive values in source excerpts
    let mut secrets = sensitive::terraform_sensitive_pointers(&root);
    secrets.extend(parse_sensitive);
    if !secrets.is_empty() {
        sources.mark_sensitive(
            file,
            secrets
                .into_iter()
                .map(crate::source::Loc::Pointer)
                .collect(),
        );
    }
    let (kind, mut model) = load_kind(kind, &root, &changes, file);
    if !wrapped.is_empty() {
        let start = text.len() - text.trim_start().len();
        model.input_notes.push(crate::model::InputNote {
            code: "INP010",
            message: format!(
                "{name} holds the output of a CI wrapper, not the JSON alone ({}); those lines \
                 were ignored. With hashicorp/setup-terraform set `terraform_wrapper: false` (or \
                 run `terraform-bin show -json`) so the file is the plan alone",
                wrapper_lines_text(&wrapped)
            ),
            origin: crate::source::Origin {
                file: Some(file),
                address: None,
                loc: crate::source::Loc::Span(start..(start + 1).min(text.len())),
            },
        });
    }
    Ok((kind, model))
}

fn wrapper_lines_text(w: &wrapper::WrapperLines) -> &'static str {
    match (&w.command, &w.trailing) {
        (Some(_), Some(_)) => "a `[command]` line before it, status lines after it",
        (Some(_), None) => "a `[command]` line before it",
        _ => "status lines after it",
    }
}

/// ARM resources (REST, `az`, snapshots): never shows their secrets in excerpts.
fn load_arm(sources: &mut SourceMap, file: FileId, name: &str, root: Value) -> (InputKind, Model) {
    let secrets = arm::sensitive_pointers(&root);
    if !secrets.is_empty() {
        sources.mark_sensitive(
            file,
            secrets
                .into_iter()
                .map(crate::source::Loc::Pointer)
                .collect(),
        );
    }
    (InputKind::ArmResources, arm::load_value(root, file, name))
}

fn load_kind(
    kind: DocKind,
    root: &Value,
    changes: &[document::ChangeValues<'_>],
    file: FileId,
) -> (InputKind, Model) {
    let model = terraform::load_value(kind, root, changes, file);
    let ik = match kind {
        DocKind::Plan => InputKind::TerraformPlan,
        DocKind::ShowState | DocKind::TfState => InputKind::TerraformState,
    };
    (ik, model)
}

/// Byte offset of serde_json's 1-based line / column.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    if line > 1 {
        let mut seen = 1;
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                seen += 1;
                if seen == line {
                    start = i + 1;
                    break;
                }
            }
        }
    }
    (start + column.saturating_sub(1)).min(text.len())
}

fn char_span(text: &str, at: usize) -> Range<usize> {
    let at = at.min(text.len());
    let mut end = at;
    if end < text.len() {
        end += 1;
        while end < text.len() && !text.is_char_boundary(end) {
            end += 1;
        }
    }
    let mut start = at;
    while start > 0 && !text.is_char_boundary(start) {
        start -= 1;
    }
    start..end
}

fn json_error(
    name: &str,
    text: &Arc<String>,
    e: &serde_json::Error,
    bom: usize,
    wrapped: &wrapper::WrapperLines,
) -> Error {
    use serde_json::error::Category;
    let at = offset_of(&text[bom..], e.line(), e.column()) + bom;
    let msg = e.to_string();
    // serde_json appends " at line L column C"; the label shows the place
    let what = msg
        .rsplit_once(" at line ")
        .map(|(a, _)| a.to_string())
        .unwrap_or(msg.clone());
    let (message, label, help) = match e.classify() {
        Category::Eof => (
            format!("{name} is not complete JSON: it ends in the middle of a value"),
            "the text ends here".to_string(),
            Some(format!(
                "the file looks truncated (an interrupted redirect or copy?). {RECIPE}"
            )),
        ),
        _ if what.contains("recursion limit") => (
            format!("{name} nests JSON arrays/objects too deeply to be a Terraform plan"),
            "nesting exceeds 128 levels here".to_string(),
            Some(RECIPE.to_string()),
        ),
        Category::Io => (
            format!("{name} could not be read: {what}"),
            "here".into(),
            None,
        ),
        _ => (
            format!("{name} is not valid JSON: {what}"),
            what.clone(),
            Some(RECIPE.to_string()),
        ),
    };
    let span = if e.classify() == Category::Eof {
        // just after the last character (a final newline would put it on an empty line)
        let end = text.trim_end().len();
        end..end
    } else {
        char_span(text, at)
    };
    // the text parsed up to the error (all of it when it ends too early)
    let help = match (help, &wrapped.command) {
        (Some(h), Some(_)) => Some(format!(
            "{h}\nThe file starts with a `[command]` line: it was written through the \
             hashicorp/setup-terraform wrapper; set `terraform_wrapper: false` (or run \
             `terraform-bin show -json`)."
        )),
        (h, _) => h,
    };
    let valid_until = if e.classify() == Category::Eof {
        text.len()
    } else {
        span.start
    };
    Error::input_at(
        name,
        text.clone(),
        Some(span),
        valid_until,
        message,
        label,
        help,
    )
}

/// A short description of what a JSON document looks like, for the "not a plan" error.
fn looks_like(root: &Value) -> String {
    let obj = match root {
        Value::Object(o) => o,
        Value::Array(a) => {
            let first = a.first().map(looks_like).unwrap_or_default();
            return if first.is_empty() {
                format!("a JSON array of {} item(s)", a.len())
            } else {
                format!("a JSON array of {} item(s), the first {first}", a.len())
            };
        }
        Value::Null => return "JSON `null`".into(),
        Value::Bool(_) => return "a JSON boolean".into(),
        Value::Number(_) => return "a JSON number".into(),
        Value::String(_) => return "a JSON string".into(),
    };
    let schema = obj.get("$schema").and_then(Value::as_str).unwrap_or("");
    if schema.contains("deploymentTemplate") {
        return "an ARM template (`$schema` …deploymentTemplate.json)".into();
    }
    if schema.contains("deploymentParameters") {
        return "an ARM parameters file".into();
    }
    if obj.contains_key("changes") && obj.contains_key("status") {
        return "`az deployment … what-if` output".into();
    }
    if let Some(t) = obj.get("type").and_then(Value::as_str) {
        if t.contains('/') && obj.contains_key("id") {
            return format!("an Azure resource of type `{t}` (ARM or `az` output)");
        }
    }
    if obj.contains_key("value") && obj.get("value").is_some_and(Value::is_array) {
        return "an ARM list response (`value` array)".into();
    }
    if obj.contains_key("version") && obj.contains_key("modules") {
        return "a Terraform state file of version 3 (Terraform before 0.12)".into();
    }
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).take(6).collect();
    keys.sort_unstable();
    if keys.is_empty() {
        "an empty JSON object".into()
    } else {
        format!("a JSON object with keys {}", keys.join(", "))
    }
}

#[allow(clippy::result_large_err)]
fn detect(name: &str, text: &Arc<String>, root: &Value) -> Result<DocKind, Error> {
    let first = char_span(
        text,
        text.len()
            - text
                .trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n'])
                .len(),
    );
    let not_plan = |what: String| {
        Error::input_at(
            name,
            text.clone(),
            Some(first.clone()),
            text.len(),
            format!(
                "{name} is not a Terraform plan or state: it looks like {what}, and a plan is a \
                 JSON object with `format_version` and `resource_changes`"
            ),
            "expected `terraform show -json` output",
            Some(RECIPE.to_string()),
        )
    };
    let Value::Object(obj) = root else {
        return Err(not_plan(looks_like(root)));
    };
    // raw terraform.tfstate
    if obj.contains_key("version") && !obj.contains_key("format_version") {
        let version = obj.get("version").and_then(Value::as_u64);
        if version == Some(4) && obj.get("resources").is_some_and(Value::is_array) {
            return Ok(DocKind::TfState);
        }
        if obj.contains_key("lineage") || obj.contains_key("serial") {
            let span = pointer_span(text, "/version").or(Some(first.clone()));
            return Err(Error::input_at(
                name,
                text.clone(),
                span,
                text.len(),
                format!(
                    "{name} is a terraform.tfstate of version {}, which we do not read (only \
                     version 4, Terraform 0.12 and later)",
                    obj.get("version")
                        .map(Value::to_string)
                        .unwrap_or_else(|| "?".into())
                ),
                "state version",
                Some(
                    "upgrade the state with a current Terraform, or use `terraform show -json` \
                     output"
                        .into(),
                ),
            ));
        }
        return Err(not_plan(looks_like(root)));
    }
    let Some(fv) = obj.get("format_version") else {
        return Err(not_plan(looks_like(root)));
    };
    let fv_s = match fv {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    let major = fv_s.split('.').next().and_then(|m| m.parse::<u64>().ok());
    match major {
        Some(0) | Some(1) => {}
        _ => {
            let span = pointer_span(text, "/format_version").or(Some(first.clone()));
            return Err(Error::input_at(
                name,
                text.clone(),
                span,
                text.len(),
                format!(
                    "{name} has format_version {fv}, which this version of aks-preflight does \
                     not read (it reads 0.x and 1.x)"
                ),
                "unsupported format version",
                Some(
                    "a new major format version may change the meaning of fields; check for a \
                     newer aks-preflight, or produce the plan with a Terraform that emits \
                     format 1.x"
                        .into(),
                ),
            ));
        }
    }
    let is_plan = [
        "resource_changes",
        "planned_values",
        "configuration",
        "prior_state",
    ]
    .iter()
    .any(|k| obj.contains_key(*k));
    if is_plan {
        return Ok(DocKind::Plan);
    }
    if obj.contains_key("values") || obj.len() <= 2 {
        // `{"format_version":"1.0"}` is what `terraform show -json` prints for an empty state
        return Ok(DocKind::ShowState);
    }
    Err(not_plan(looks_like(root)))
}

fn pointer_span(text: &str, pointer: &str) -> Option<Range<usize>> {
    crate::jsonspan::resolve_pointers(text, &[pointer.to_string()])
        .into_iter()
        .next()
        .flatten()
}
