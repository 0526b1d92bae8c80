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
}

fn print_error(e: &Error) {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let mut s = String::new();
    let _ = handler.render_report(&mut s, e);
    if !s.ends_with('\n') {
        s.push('\n');
    }
    eprint!("{s}");
}

/// Load inputs, policies and config. Input errors are printed; `Err(2)` when any occurred.
pub fn load(args: &InputArgs) -> Result<Loaded, i32> {
    let mut sources = SourceMap::new();
    let mut model = Model::new();
    let mut failed = false;
    let vars = crate::input::terraform::hcl::VarArgs {
        vars: args.vars.clone(),
        var_files: args.var_files.clone(),
    };
    for path in &args.inputs {
        let first_file = crate::source::FileId(sources.files().count() as u32);
        let res = crate::input::load_path_with(&mut sources, path, &vars);
        match res {
            Ok((kind, mut m)) => {
                if kind == crate::input::InputKind::TerraformPlan {
                    // findings of a plan point at the .tf lines it was made from
                    let explicit = args.source.clone();
                    let dir = explicit
                        .clone()
                        .or_else(|| crate::input::terraform::hcl::source_dir_of(path));
                    if let Some(dir) = dir {
                        match crate::input::terraform::hcl::locate_plan_in_source(
                            &mut sources,
                            first_file,
                            &dir,
                            &vars,
                        ) {
                            Ok(w) => m.waivers.extend(w),
                            Err(e) => {
                                print_error(&e);
                                failed |= explicit.is_some();
                            }
                        }
                    }
                }
                model.merge(m)
            }
            Err(e) => {
                print_error(&e);
                failed = true;
            }
        }
    }
    let catalogue = match &args.policy_dir {
        Some(dir) => Catalogue::load_dir(dir),
        None => Catalogue::builtin().cloned(),
    };
    let catalogue = match catalogue {
        Ok(c) => c,
        Err(e) => {
            print_error(&e);
            failed = true;
            Catalogue::default()
        }
    };
    let config = match &args.config {
        Some(p) => match Config::load(p).and_then(|c| c.validate_against(&catalogue).map(|_| c)) {
            Ok(c) => c,
            Err(e) => {
                print_error(&e);
                failed = true;
                Config::default()
            }
        },
        None => Config::default(),
    };
    if failed {
        return Err(2);
    }
    model.finish();
    let cloud = args.cloud.map(|c| match c {
        CloudArg::Public => Cloud::Public,
        CloudArg::China => Cloud::China,
        CloudArg::Usgov => Cloud::UsGov,
    });
    let options = CheckOptions {
        cloud: cloud.or(config.cloud.as_ref().map(|c| c.value)),
    };
    Ok(Loaded {
        sources,
        model,
        catalogue,
        config,
        options,
    })
}

fn write_stdout(s: &str) -> i32 {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => 0,
        // broken pipe (`| head`): quiet
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(_) => 2,
    }
}

pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Check(a) => check(a),
        Command::Requirements(a) => requirements(a),
        Command::Explain(a) => super::explain::run(a),
        Command::Rules(a) => rules(a),
    }
}

fn use_color(c: Color) -> bool {
    match c {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    }
}

fn check(a: CheckArgs) -> i32 {
    let mut l = match load(&a.input) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let report = analysis::check(&l.model, &l.catalogue, &l.config, &l.options);
    let text = match a.format {
        Format::Json => report::json::render(&report, &mut l.sources) + "\n",
        Format::Human => {
            let style = human::Style {
                color: use_color(a.color),
                width: 100,
                all_endpoints: !a.problems_only,
            };
            human::render(&report, &mut l.sources, &style)
        }
    };
    if write_stdout(&text) != 0 {
        return 2;
    }
    exit_code(&report, a.fail_on)
}

/// 0 no error findings; 1 error findings (or warnings / unknown verdicts with `--fail-on`).
pub fn exit_code(report: &report::Report, fail_on: FailOn) -> i32 {
    let errors = report.count(Severity::Error) > 0;
    let warnings = report.count(Severity::Warning) > 0;
    let unknown = report.verdict() == report::RunVerdict::Unknown;
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
    for c in &l.model.clusters {
        let mut reqs = analysis::egress::cluster_requirements(&ctx, c);
        if !a.all {
            reqs.retain(|r| r.required);
        }
        // node subnet prefixes, only when every pool's subnet prefixes are known
        let mut prefixes: Option<Vec<ipnet::IpNet>> = Some(vec![]);
        for p in &c.node_pools {
            match p
                .subnet
                .known()
                .and_then(|r| l.model.subnet(r))
                .and_then(|s| s.prefixes.known())
            {
                Some(ps) => {
                    if let Some(v) = prefixes.as_mut() {
                        for n in ps {
                            if !v.contains(n) {
                                v.push(*n);
                            }
                        }
                    }
                }
                None => prefixes = None,
            }
        }
        per_cluster.push(report::requirements::ClusterRequirements {
            address: c.meta.address().to_string(),
            requirements: reqs,
            node_subnet_prefixes: prefixes.filter(|v| !v.is_empty()),
        });
    }
    if per_cluster.is_empty() {
        eprintln!("aks-preflight: the inputs contain no AKS cluster; nothing to list");
    }
    let text = match a.format {
        ReqFormat::Table => report::requirements::render_text(&per_cluster),
        ReqFormat::Json => report::requirements::render_json(&per_cluster),
        ReqFormat::Terraform => report::requirements::render_terraform(&per_cluster),
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
