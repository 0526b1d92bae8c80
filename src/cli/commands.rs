use super::args::*;
use crate::analysis::{self, CheckOptions, registry};
use crate::error::Error;
use crate::model::{Cloud, Model};
use crate::policy::catalogue::Catalogue;
use crate::policy::config::Config;
use crate::report::{self, Severity, human};
use crate::source::SourceMap;
use std::io::{IsTerminal, Write};

/// Everything loaded from the command line.
pub struct Loaded {
    pub sources: SourceMap,
    pub model: Model,
    pub catalogue: Catalogue,
    pub config: Config,
    pub options: CheckOptions,
    /// Every waiver: the config file's `[[waiver]]` entries and those written in the inputs.
    pub waivers: Vec<crate::model::Waiver>,
}

/// What the inputs hold: the sources, what exists (ARM and az files, snapshots), what is planned
/// (plans, state, templates), whether any input failed (its error went to `on_error`), how many
/// were ARM templates, and the language of fixes.
pub struct Inputs {
    pub sources: SourceMap,
    pub existing: Model,
    pub planned: Model,
    pub failed: bool,
    pub templates: usize,
    /// The language fixes are written in: the one of what is deployed (Bicep for ARM templates
    /// and what-if output alone, else Terraform).
    pub fix_language: crate::analysis::fixes::FixLanguage,
}

/// Read every input; each error goes to `on_error` with the input it came from.
pub fn load_inputs(
    inputs: &[String],
    opts: &crate::input::LoadOptions,
    verbose: &super::outputs::Verbose,
    on_error: &mut dyn FnMut(Option<&str>, &Error),
) -> Inputs {
    let mut out = Inputs {
        sources: SourceMap::new(),
        existing: Model::new(),
        planned: Model::new(),
        failed: false,
        templates: 0,
        fix_language: Default::default(),
    };
    let (mut arm_deployments, mut terraform) = (0, 0);
    for path in inputs {
        let started = std::time::Instant::now();
        let first_file = crate::source::FileId(out.sources.files().count() as u32);
        let res = crate::input::load_path_with(&mut out.sources, path, opts);
        verbose.done(&format!("read {path}"), started);
        match res {
            Ok((crate::input::InputKind::ArmResources, m)) => out.existing.merge(m),
            Ok((kind, mut m)) => {
                use crate::input::InputKind as K;
                if kind == K::TerraformPlan {
                    // findings of a plan point at the .tf lines it was made from
                    let explicit = opts.plan_source.clone();
                    let dir = explicit
                        .clone()
                        .or_else(|| crate::input::terraform::hcl::source_dir_of(path));
                    if let Some(dir) = dir {
                        match crate::input::terraform::hcl::locate_plan_in_source(
                            &mut out.sources,
                            first_file,
                            &dir,
                            &opts.hcl,
                        ) {
                            Ok(w) => m.waivers.extend(w),
                            Err(e) => {
                                print_error(&e);
                                out.failed |= explicit.is_some();
                            }
                        }
                    }
                }
                out.templates += usize::from(kind == K::ArmTemplate);
                arm_deployments += usize::from(matches!(kind, K::ArmTemplate | K::WhatIf));
                terraform += usize::from(!matches!(kind, K::ArmTemplate | K::WhatIf));
                out.planned.merge(m)
            }
            Err(e) => {
                on_error(Some(path), &e);
                out.failed = true;
            }
        }
    }
    if arm_deployments > 0 && terraform == 0 {
        out.fix_language = crate::analysis::fixes::FixLanguage::Bicep;
    }
    out
}

pub(crate) fn print_error(e: &Error) {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    eprint!("{}", render_error(e, color));
}

/// An error as the CLI prints it on stderr: a miette diagnostic (excerpts are short and
/// redacted, see [`crate::excerpt`]).
pub fn render_error(e: &Error, color: bool) -> String {
    let mut s = String::new();
    let _ = human::handler(color, 100).render_report(&mut s, e);
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// Load inputs, policies and config. Input errors are printed; `Err(2)` when any occurred.
pub fn load(args: &InputArgs) -> Result<Loaded, i32> {
    load_with(args, &mut |_, e| print_error(e))
}

/// [`load`], handing each error to `on_error` with the input it came from (when it is an
/// input's): printed on stderr, and for `--format json` also kept for the error document.
pub fn load_with(
    args: &InputArgs,
    on_error: &mut dyn FnMut(Option<&str>, &Error),
) -> Result<Loaded, i32> {
    load_more(args, on_error, |_, _, _| Ok(()))
}

/// [`load_with`], with `more` adding inputs that are not files (an `az` command line's planned
/// cluster or node pool, a cluster or an estate read live): it gets the sources, what exists
/// and what is planned, after the files are read and before `--live`'s reads.
pub fn load_more(
    args: &InputArgs,
    on_error: &mut dyn FnMut(Option<&str>, &Error),
    more: impl FnOnce(&mut SourceMap, &mut Model, &mut Model) -> Result<(), Error>,
) -> Result<Loaded, i32> {
    if args.inputs.iter().filter(|i| *i == "-").count() > 1 {
        on_error(
            None,
            &Error::Usage(
                "`-` (standard input) can be given only once: it is read to its end the first time"
                    .into(),
            ),
        );
        return Err(2);
    }
    if let Err(e) = crate::input::limit::configure(args.max_input_size) {
        on_error(None, &e);
        return Err(2);
    }
    let cloud = args.cloud.map(|c| match c {
        CloudArg::Public => Cloud::Public,
        CloudArg::China => Cloud::China,
        CloudArg::Usgov => Cloud::UsGov,
    });
    let opts = crate::input::LoadOptions {
        template: crate::input::arm::template::load::TemplateInputs {
            parameter_files: args.parameters.clone(),
            params: args.param.clone(),
            subscription: args.subscription.clone(),
            resource_group: args.resource_group.clone(),
            location: args.location.clone(),
            cloud,
        },
        hcl: crate::input::terraform::hcl::VarArgs {
            vars: args.vars.clone(),
            var_files: args.var_files.clone(),
        },
        plan_source: args.source.clone(),
    };
    let verbose = super::outputs::Verbose::new(args.verbose);
    // what exists (ARM and az files, snapshots) under what is planned (plans, state, templates)
    let Inputs {
        mut sources,
        mut existing,
        mut planned,
        mut failed,
        templates,
        fix_language,
    } = load_inputs(&args.inputs, &opts, &verbose, on_error);
    let catalogue = match &args.policy_dir {
        Some(dir) => Catalogue::load_dir(dir),
        None => Catalogue::builtin().cloned(),
    };
    let catalogue = match catalogue {
        Ok(c) => c,
        Err(e) => {
            on_error(None, &e);
            failed = true;
            Catalogue::default()
        }
    };
    let config_path = args.config.clone().or_else(|| {
        let found = super::discover::discover_config(&args.inputs)?;
        let shown = super::discover::display_path(&found);
        verbose.say(&format!("config: {} (discovered)", shown.display()));
        Some(shown)
    });
    let config = match &config_path {
        Some(p) => match Config::load(p).and_then(|c| c.validate_against(&catalogue).map(|_| c)) {
            Ok(c) => c,
            Err(e) => {
                on_error(None, &e);
                failed = true;
                Config::default()
            }
        },
        None => Config::default(),
    };
    if templates == 0 && !failed && opts.template.any() {
        print_error(&Error::Usage(
            "--parameters, --param, --subscription, --resource-group and --location apply to ARM templates, and no input is one".into(),
        ));
        failed = true;
    }
    if failed {
        return Err(2);
    }
    if let Err(e) = more(&mut sources, &mut existing, &mut planned) {
        on_error(None, &e);
        return Err(2);
    }
    if args.live.live {
        let live_cloud = cloud.or(config.cloud.as_ref().map(|c| c.value));
        let started = std::time::Instant::now();
        let read = super::live::read(
            &args.live,
            live_cloud.unwrap_or_default(),
            &planned,
            &existing,
            &mut sources,
        );
        match read {
            Ok(read) => {
                let failed = read.records.iter().filter(|r| !r.ok()).count();
                verbose.done(
                    &format!(
                        "live reads from {}: {} request(s), {failed} failed, {} resource(s)",
                        read.endpoint,
                        read.records.len(),
                        read.resources.len()
                    ),
                    started,
                );
                existing.merge(read.model)
            }
            Err(e) => {
                on_error(None, &e);
                return Err(2);
            }
        }
    }
    let mut model = Model::layered(existing, planned);
    let mut waivers = std::mem::take(&mut model.waivers);
    if !config.waivers.is_empty() {
        // the config file joins the sources, so findings about a waiver point at its entry
        let file = sources.add(config.name.clone(), config.text.to_string());
        waivers.extend(config.waivers_in(file));
    }
    verbose.say(&crate::analysis::inventory(&model));
    model.finish();
    let options = CheckOptions {
        cloud: cloud.or(config.cloud.as_ref().map(|c| c.value)),
        fix_language,
    };
    Ok(Loaded {
        sources,
        model,
        catalogue,
        config,
        options,
        waivers,
    })
}

/// Write to stdout; a full or closed stdout is said on stderr and is exit 2 (the output is
/// incomplete: a CI step must not read half a report as a verdict).
pub(crate) fn write_stdout(s: &str) -> i32 {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("aks-preflight: cannot write to standard output: {e}");
            2
        }
    }
}

/// Load for a command whose `--format json` must print a JSON document even when loading
/// fails: errors are printed on stderr as always, and in JSON mode also written to stdout as the
/// `schema` error document (verdict `error`, exit 2).
pub(crate) fn load_for(args: &InputArgs, json: bool, schema: &str) -> Result<Loaded, i32> {
    load_for_more(args, json, schema, |_, _, _| Ok(()))
}

/// [`load_for`] with [`load_more`]'s `more`.
pub(crate) fn load_for_more(
    args: &InputArgs,
    json: bool,
    schema: &str,
    more: impl FnOnce(&mut SourceMap, &mut Model, &mut Model) -> Result<(), Error>,
) -> Result<Loaded, i32> {
    let mut errors = vec![];
    let res = load_more(
        args,
        &mut |input, e| {
            print_error(e);
            if json {
                errors.push(report::json::error_value(e, input));
            }
        },
        more,
    );
    match res {
        Ok(l) => Ok(l),
        Err(code) => {
            if json {
                let _ = write_stdout(&report::json::render_errors(schema, errors));
            }
            Err(code)
        }
    }
}

pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Check(a) => check(a),
        Command::Requirements(a) => requirements(a),
        Command::Explain(a) => super::explain::run(a),
        Command::Rules(a) => rules(a),
        Command::Az(a) => super::az::run(a),
        Command::Scan(a) => super::scan::run(a),
        Command::Snapshot(a) => super::snapshot::run(a),
    }
}

/// Columns of the terminal on stdout (100 when it is not a terminal: logs, pipes).
pub(crate) fn terminal_width() -> usize {
    match terminal_size::terminal_size_of(std::io::stdout()) {
        Some((terminal_size::Width(w), _)) if w >= 40 => usize::from(w),
        _ => 100,
    }
}

fn use_color(c: Color) -> bool {
    match c {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    }
}

fn check(mut a: CheckArgs) -> i32 {
    // --quiet: no progress bar of --live reads either
    a.input.live.no_progress |= a.quiet;
    let verbose = super::outputs::Verbose::new(a.input.verbose);
    let started = std::time::Instant::now();
    let json = a.format == OutputFormat::Json;
    let loaded = match &a.cluster {
        Some(id) => super::cluster::load(&a.input, id, json),
        None => load_for(&a.input, json, report::json::SCHEMA),
    };
    let mut l = match loaded {
        Ok(l) => l,
        Err(code) => return code,
    };
    if let Some(id) = &a.cluster {
        if let Err(e) = super::cluster::select(&mut l.model, id) {
            print_error(&e);
            return 2;
        }
    }
    verbose.done("load", started);
    check_loaded(&a, l)
}

/// `check` once the inputs are loaded: analyses, waivers and baseline, every output.
pub(crate) fn check_loaded(a: &CheckArgs, l: Loaded) -> i32 {
    report_loaded(a, l, None)
}

/// [`check_loaded`], with `stdout` rendering what goes to stdout instead of `--format` (the
/// estate table of `scan`).
pub(crate) fn report_loaded(
    a: &CheckArgs,
    mut l: Loaded,
    stdout: Option<&dyn Fn(&report::Report) -> String>,
) -> i32 {
    let verbose = super::outputs::Verbose::new(a.input.verbose);
    let json = a.format == OutputFormat::Json && stdout.is_none();
    // read the baseline before the analyses: a bad file fails fast
    let baseline = match &a.baseline {
        Some(p) => match super::outputs::read_baseline(p) {
            Ok(b) => Some(b),
            Err(e) => {
                print_error(&e);
                if json {
                    let errors = vec![report::json::error_value(&e, p.to_str())];
                    let _ =
                        write_stdout(&report::json::render_errors(report::json::SCHEMA, errors));
                }
                return 2;
            }
        },
        None => None,
    };
    let started = std::time::Instant::now();
    let mut report = analysis::check(&l.model, &l.catalogue, &l.config, &l.options);
    verbose.done("analysis", started);
    if let Err(code) = super::outputs::accept(a, &mut l, &mut report, baseline.as_ref(), &verbose) {
        return code;
    }
    let color = use_color(a.color) && !a.no_color;
    let github = report::github::in_github_actions();
    let mut text = String::new();
    // the JSON report goes to stdout as it is serialized (tens of megabytes for an estate)
    let stream_json = json && !a.quiet;
    if !a.quiet && !stream_json {
        let style = human::Style {
            color,
            width: terminal_width(),
            all_endpoints: a.all && !a.problems_only,
            verbose: a.input.verbose,
        };
        let started = std::time::Instant::now();
        text = match stdout {
            Some(f) => f(&report),
            None => {
                match super::outputs::render(a.format, &report, &mut l.sources, a.fail_on, &style) {
                    Ok(t) => t,
                    Err(code) => return code,
                }
            }
        };
        verbose.done("report", started);
    }
    if github {
        // annotations on stdout beside the human report; on stderr when stdout carries a
        // machine-readable format (GitHub reads workflow commands from both)
        let notes = super::outputs::github_annotations(&report, &mut l.sources);
        if a.format == OutputFormat::Human || a.quiet {
            text = notes + &text;
        } else {
            eprint!("{notes}");
        }
    }
    if !text.is_empty() && write_stdout(&text) != 0 {
        return 2;
    }
    if stream_json {
        let started = std::time::Instant::now();
        if super::outputs::write_json_stdout(&report, &mut l.sources) != 0 {
            return 2;
        }
        verbose.done("report", started);
    }
    let started = std::time::Instant::now();
    if let Err(code) = super::outputs::write_files(a, &report, &mut l.sources, &verbose) {
        return code;
    }
    if github {
        super::outputs::step_summary(&report, &mut l.sources, &verbose);
    }
    verbose.done("outputs", started);
    let code = exit_code(&report, a.fail_on);
    // the process ends with this code: freeing a large model, its sources and the report node
    // by node would only take time (a few percent of a large estate's run)
    std::mem::forget(l);
    std::mem::forget(report);
    code
}

/// 0 no error findings; 1 error findings (or warnings / unknown verdicts with `--fail-on`;
/// `--fail-on unknown` also fails a run that checked no node pool).
pub fn exit_code(report: &report::Report, fail_on: FailOn) -> i32 {
    let errors = report.count(Severity::Error) > 0;
    let warnings = report.count(Severity::Warning) > 0;
    // nothing checked proves nothing: it fails where unknown verdicts fail
    let unknown = matches!(
        report.verdict(),
        report::RunVerdict::Unknown | report::RunVerdict::NothingChecked
    );
    let fail = match fail_on {
        FailOn::Error => errors,
        FailOn::Warning => errors || warnings,
        FailOn::Unknown => errors || warnings || unknown,
    };
    i32::from(fail)
}

fn requirements(a: RequirementsArgs) -> i32 {
    let l = match load(&a.input) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let ctx = analysis::Ctx {
        model: &l.model,
        catalogue: &l.catalogue,
        config: &l.config,
        options: &l.options,
    };
    let mut per_cluster = vec![];
    let mut targets = vec![];
    for (i, c) in l.model.clusters.iter().enumerate() {
        targets.push(analysis::fixes::cluster_firewall_target(
            &l.model,
            c,
            500 + 10 * i as u32,
        ));
        per_cluster.push(analysis::requirements_of(&ctx, c, a.all));
    }
    if per_cluster.is_empty() {
        eprintln!("aks-preflight: the inputs contain no AKS cluster; nothing to list");
    }
    let text = match a.format {
        ReqFormat::Table => report::requirements::render_text(&per_cluster),
        ReqFormat::Json => report::requirements::render_json(&per_cluster),
        ReqFormat::Terraform => report::requirements::render_terraform_for(&per_cluster, &targets),
        ReqFormat::Bicep => {
            let targets: Vec<_> = targets
                .into_iter()
                .map(|t| {
                    let p = analysis::fixes::bicep_parent(&l.model, &t);
                    (t, p)
                })
                .collect();
            report::requirements::render_bicep_for(&per_cluster, &targets)
        }
    };
    write_stdout(&text)
}

fn rules(a: RulesArgs) -> i32 {
    match a.id {
        Some(id) => match registry::rule(&id) {
            Some(r) => write_stdout(&r.doc()),
            None => {
                print_error(&Error::Usage(format!(
                    "no rule `{id}`; `aks-preflight rules` lists them"
                )));
                2
            }
        },
        None => {
            let mut s = String::new();
            for r in registry::rules() {
                s.push_str(&format!(
                    "{:<7} {:<8} {:<40} {}\n",
                    r.id, r.severity, r.name, r.summary
                ));
            }
            write_stdout(&s)
        }
    }
}
