//! Reading a template input from files: the template itself (JSON with the `//` and `/* */`
//! comments ARM accepts), its parameters files, `--param` values, linked templates that sit
//! beside it, and the Bicep source the symbols come from. Errors are located in the file.

use super::bicep;
use super::decl::TemplateError;
use super::expand::{self, LinkedTemplate, Options};
use super::params::{self, GivenParam};
use crate::error::Error;
use crate::input::arm::ArmResource;
use crate::model::{Cloud, InputNote};
use crate::source::{FileId, Loc, SourceMap, ptr_seg};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// What the command line says about template deployments.
#[derive(Debug, Clone, Default)]
pub struct TemplateInputs {
    /// `--parameters FILE` (also `@FILE`; `NAME=VALUE` as `az` accepts it).
    pub parameter_files: Vec<String>,
    /// `--param NAME=VALUE`.
    pub params: Vec<String>,
    pub subscription: Option<String>,
    pub resource_group: Option<String>,
    pub location: Option<String>,
    pub cloud: Option<Cloud>,
}

impl TemplateInputs {
    /// Whether any template option is given (they mean nothing without a template input).
    pub fn any(&self) -> bool {
        !self.parameter_files.is_empty()
            || !self.params.is_empty()
            || self.subscription.is_some()
            || self.resource_group.is_some()
            || self.location.is_some()
    }
}

/// What a template input gives the ARM resource reader.
#[derive(Debug)]
pub struct LoadedTemplate {
    pub resources: Vec<ArmResource>,
    pub notes: Vec<InputNote>,
}

/// Whether a JSON document is a deployment template (`$schema` …DeploymentTemplate.json).
pub fn is_template(root: &Value) -> bool {
    root.get("$schema")
        .and_then(Value::as_str)
        .is_some_and(|s| s.to_ascii_lowercase().contains("deploymenttemplate.json"))
}

/// Parse JSON that may hold comments (ARM accepts `//` and `/* */`). Nesting deeper than
/// serde_json's limit is refused before the comment-tolerant parser sees it.
pub fn parse_json(name: &str, text: &std::sync::Arc<String>) -> Result<Value, Error> {
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let body = &text[bom..];
    let strict = match serde_json::from_str::<Value>(body) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    if strict.to_string().contains("recursion limit") || nesting(body) > 128 {
        return Err(Error::input_at(
            name,
            text.clone(),
            None,
            0,
            format!("{name} nests JSON arrays/objects more than 128 levels deep"),
            "",
            None,
        ));
    }
    let opts = jsonc_parser::ParseOptions {
        allow_comments: true,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    jsonc_parser::parse_to_serde_value::<Value>(body, &opts).map_err(|e| {
        let r = e.range();
        let (start, end) = (r.start + bom, r.end.max(r.start + 1) + bom);
        let end = end.min(text.len());
        let start = start.min(end);
        Error::input_at(
            name,
            text.clone(),
            Some(start..end),
            start,
            format!("{name} is not valid JSON: {}", e.kind()),
            e.kind().to_string(),
            None,
        )
    })
}

/// The deepest nesting of arrays and objects outside strings and comments.
fn nesting(text: &str) -> usize {
    let (mut depth, mut max, mut in_str, mut esc) = (0usize, 0usize, false, false);
    for b in text.bytes() {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// A template error as a located input error.
pub fn template_error(sources: &SourceMap, e: &TemplateError) -> Error {
    let f = sources.get(e.file);
    let text = f.text.clone();
    let mut pointer = e.pointer.clone();
    let mut exact = true;
    let span = loop {
        match crate::jsonspan::resolve_pointers(&text, std::slice::from_ref(&pointer))
            .into_iter()
            .next()
            .flatten()
        {
            Some(s) => break Some(s),
            None => match pointer.rfind('/') {
                Some(i) => {
                    pointer.truncate(i);
                    exact = false;
                }
                None => break None,
            },
        }
    };
    // inside a string without escapes, point at the offending character
    let span = match (span, e.offset) {
        (Some(s), Some(off)) if exact && text.as_bytes().get(s.start) == Some(&b'"') => {
            let raw = &text[s.start + 1..s.end.saturating_sub(1).max(s.start + 1)];
            if !raw.contains('\\') && off < raw.len() {
                let at = s.start + 1 + off;
                let mut end = at + 1;
                while end < text.len() && !text.is_char_boundary(end) {
                    end += 1;
                }
                Some(at..end)
            } else {
                Some(s)
            }
        }
        (s, _) => s,
    };
    let parsed_len = text.len();
    Error::input_at(
        &f.name,
        text,
        span,
        parsed_len,
        format!("{}: {}", f.name, e.message),
        "here",
        Some(
            "Azure rejects this template as it is; fix it and run `az bicep build` (or `az deployment group validate`) again"
                .into(),
        ),
    )
}

/// Read the parameter values the command line gives, with the parameters file each comes from
/// (files are added to `sources`).
fn given_params(
    sources: &mut SourceMap,
    inputs: &TemplateInputs,
) -> Result<Vec<(Option<FileId>, GivenParam)>, Error> {
    let mut out = vec![];
    for p in &inputs.parameter_files {
        // `az` accepts `--parameters @file`, `--parameters file` and `--parameters NAME=VALUE`
        let path = p.strip_prefix('@').unwrap_or(p);
        if !Path::new(path).exists() && path.contains('=') {
            out.push((None, params::parse_cli_param(path).map_err(Error::Usage)?));
            continue;
        }
        if path.to_ascii_lowercase().ends_with(".bicepparam") {
            return Err(Error::Unsupported {
                message: format!(
                    "{path} is a Bicep parameters file, which aks-preflight does not read"
                ),
                help: Some(format!(
                    "compile it first: `az bicep build-params --file {path}` writes the JSON parameters file"
                )),
            });
        }
        let (name, text) = crate::input::read_text(path)?;
        let file = sources.add(&name, text);
        let text = sources.get(file).text.clone();
        let root = parse_json(&name, &text)?;
        let given = params::read_parameters_file(&name, &root).map_err(|(m, ptr)| {
            let span = crate::jsonspan::resolve_pointers(&text, &[ptr])
                .into_iter()
                .next()
                .flatten();
            Error::input_at(
                &name,
                text.clone(),
                span,
                text.len(),
                m,
                "here",
                Some("a parameters file is `{\"parameters\": {\"NAME\": {\"value\": …}}}`".into()),
            )
        })?;
        out.extend(given.into_iter().map(|g| (Some(file), g)));
    }
    for p in &inputs.params {
        out.push((None, params::parse_cli_param(p).map_err(Error::Usage)?));
    }
    Ok(out)
}

/// Linked templates that resolve to local files beside `dir` (literal `relativePath`, or a
/// relative `uri`), read and added to `sources`.
fn linked_templates(
    sources: &mut SourceMap,
    root: &Value,
    dir: &Path,
) -> Result<Vec<LinkedTemplate>, Error> {
    let mut out: Vec<LinkedTemplate> = vec![];
    let mut todo: Vec<(Value, PathBuf)> = vec![(root.clone(), dir.to_path_buf())];
    while let Some((doc, base)) = todo.pop() {
        let mut paths = vec![];
        collect_links(&doc, &mut paths);
        for p in paths {
            if out.iter().any(|l| l.path == p) || out.len() >= 64 {
                continue;
            }
            let full = base.join(&p);
            if !full.is_file() {
                continue;
            }
            let (name, text) = crate::input::read_text(&full.to_string_lossy())?;
            let file = sources.add(&name, text);
            let text = sources.get(file).text.clone();
            let linked = parse_json(&name, &text)?;
            todo.push((linked.clone(), full.parent().unwrap_or(dir).to_path_buf()));
            out.push(LinkedTemplate {
                path: p,
                file,
                root: linked,
            });
        }
    }
    Ok(out)
}

fn collect_links(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            if let Some(link) = o.get("templateLink") {
                let p = link
                    .get("relativePath")
                    .or_else(|| link.get("uri"))
                    .and_then(Value::as_str);
                if let Some(p) = p {
                    if !super::expr::is_expression(p) && !p.contains("://") {
                        out.push(p.to_string());
                    }
                }
            }
            o.values().for_each(|x| collect_links(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| collect_links(x, out)),
        _ => {}
    }
}

/// Pointers of the default values of secure parameters (`securestring`, `secureObject`) in a
/// template and the templates nested in it: never shown in an excerpt.
fn secure_default_pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            if let Some(Value::Object(params)) = o.get("parameters") {
                for (k, p) in params {
                    let secure = p
                        .get("type")
                        .and_then(Value::as_str)
                        .is_some_and(|t| t.to_ascii_lowercase().starts_with("secure"));
                    if secure && p.get("defaultValue").is_some() {
                        out.push(format!("{at}/parameters/{}/defaultValue", ptr_seg(k)));
                    }
                }
            }
            for (k, x) in o {
                secure_default_pointers(x, format!("{at}/{}", ptr_seg(k)), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                secure_default_pointers(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Expand the template `root` read from `file` (its path as given on the command line).
pub fn load(
    sources: &mut SourceMap,
    file: FileId,
    root: &Value,
    inputs: &TemplateInputs,
) -> Result<LoadedTemplate, Error> {
    let name = sources.get(file).name.clone();
    let path = Path::new(&name);
    let dir = path.parent().unwrap_or(Path::new("."));
    let given = given_params(sources, inputs)?;
    // secure parameter values in parameters files are never shown
    for (pf, g) in &given {
        let Some(pf) = pf else {
            continue;
        };
        let secure = root
            .get("parameters")
            .and_then(Value::as_object)
            .and_then(|ps| ps.iter().find(|(k, _)| k.eq_ignore_ascii_case(&g.name)))
            .and_then(|(_, d)| d.get("type"))
            .and_then(Value::as_str)
            .is_some_and(|t| t.to_ascii_lowercase().starts_with("secure"));
        if secure {
            sources.mark_sensitive(*pf, vec![Loc::Pointer(format!("{}/value", g.pointer))]);
        }
    }
    let mut secure_defaults = vec![];
    secure_default_pointers(root, String::new(), &mut secure_defaults);
    if !secure_defaults.is_empty() {
        sources.mark_sensitive(
            file,
            secure_defaults.into_iter().map(Loc::Pointer).collect(),
        );
    }
    let linked = linked_templates(sources, root, dir)?;
    let opts = Options {
        subscription_id: inputs.subscription.clone(),
        resource_group: inputs.resource_group.clone(),
        location: inputs.location.clone(),
        management_group: None,
        deployment_name: path.file_stem().map(|s| s.to_string_lossy().into_owned()),
        cloud: inputs.cloud.unwrap_or_default(),
        parameters: given.into_iter().map(|(_, g)| g).collect(),
    };
    let x = expand::expand(root, file, &opts, &linked).map_err(|e| template_error(sources, &e))?;
    let mut resources = x.resources;
    bicep::annotate(path, &mut resources, &x.declared);
    Ok(LoadedTemplate {
        resources,
        notes: x.notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_accepted_and_errors_located() {
        let text = std::sync::Arc::new(
            "{\n  // a comment ARM accepts\n  \"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\",\n  \"resources\": [] /* too */\n}".to_string(),
        );
        let v = parse_json("t.json", &text).unwrap();
        assert!(is_template(&v));
        let bad = std::sync::Arc::new("{\n  // c\n  \"a\": [1, }\n".to_string());
        let e = parse_json("t.json", &bad).unwrap_err();
        assert!(e.to_string().contains("not valid JSON"), "{e}");
        let at = e.location().unwrap();
        assert_eq!((at.line, at.column), (3, 12), "at the closing brace");
        let deep = std::sync::Arc::new(format!("// c\n{}{}", "[".repeat(5000), "]".repeat(5000)));
        let e = parse_json("t.json", &deep).unwrap_err();
        assert!(e.to_string().contains("128 levels"), "{e}");
    }

    #[test]
    fn secure_defaults_are_marked_sensitive() {
        let root = serde_json::json!({"parameters": {"pw": {"type": "secureString", "defaultValue": "x"},
            "name": {"type": "string", "defaultValue": "y"}},
            "resources": [{"type": "Microsoft.Resources/deployments", "name": "m", "properties": {"template": {
                "parameters": {"key": {"type": "secureObject", "defaultValue": {}}}}}}]});
        let mut out = vec![];
        secure_default_pointers(&root, String::new(), &mut out);
        assert_eq!(
            out,
            [
                "/parameters/pw/defaultValue",
                "/resources/0/properties/template/parameters/key/defaultValue"
            ]
        );
    }

    #[test]
    fn errors_point_at_the_character_in_the_expression() {
        let mut sources = SourceMap::new();
        let text = "{\"resources\": [{\"type\": \"Microsoft.Network/routeTables\", \"name\": \"[concat('a', parameters('nope'))]\"}]}";
        let file = sources.add("t.json", text.to_string());
        let root: Value = serde_json::from_str(text).unwrap();
        let e = load(&mut sources, file, &root, &TemplateInputs::default()).unwrap_err();
        assert!(
            e.to_string().contains("declares no parameter 'nope'"),
            "{e}"
        );
        let at = e.location().unwrap();
        assert_eq!(&text[at.span.start..at.span.start + 10], "parameters");
        assert_eq!((at.line, at.column), (1, at.span.start + 1));
    }
}
