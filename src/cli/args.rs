use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Find AKS node-provisioning network failures (VMExtensionProvisioningTimeout, vmssCSE exit
/// 50/51/52) before you deploy.
#[derive(Debug, Parser)]
#[command(name = "aks-preflight", version, about, long_about = None, after_help = MAIN_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

const MAIN_HELP: &str = "\
Examples:
  terraform plan -out tfplan && terraform show -json tfplan > plan.json
  aks-preflight check plan.json
  aks-preflight check plan.json hub-vnet.json       a plan over existing resources (az … show -o json)
  aks-preflight explain plan.json --to https://mcr.microsoft.com/
  aks-preflight requirements --format terraform plan.json
  aks-preflight rules NSG001

Exit codes:
  0  no error findings
  1  error findings (with --fail-on: warnings, unknown verdicts)
  2  usage error, an input that cannot be read, or an output that cannot be written";

const CHECK_HELP: &str = "\
Examples:
  aks-preflight check plan.json
  aks-preflight check plan.json --all --verbose        every endpoint, each finding's path
  aks-preflight check plan.json --format json > preflight.json
  aks-preflight check plan.json --fail-on unknown      fail unless every endpoint is proven reachable
  terraform show -json tfplan | aks-preflight check -

Exit codes:
  0  no error findings (warnings and notes may exist)
  1  error findings (with --fail-on warning|unknown: warnings, unknown verdicts too)
  2  usage error, an input that cannot be read (with --format json: a document with verdict
     `error` on stdout), or an output that cannot be written";

const EXPLAIN_HELP: &str = "\
Examples:
  aks-preflight explain plan.json --to mcr.microsoft.com:443/tcp
  aks-preflight explain plan.json --to https://management.azure.com/ --pool system
  aks-preflight explain plan.json --to 10.0.0.4:53/udp
  aks-preflight explain plan.json --to dns                the DNS path of each node pool
  aks-preflight explain plan.json --to mcr.microsoft.com:443/tcp --format mermaid

Exit codes:
  0  every path traced is reachable or unknown
  1  a path is blocked (for --to dns: the first DNS server is unreachable, or a DNS error finding)
  2  usage error (endpoint, --pool, --cluster), an input that cannot be read, or an output that
     cannot be written";

const REQUIREMENTS_HELP: &str = "\
Examples:
  aks-preflight requirements plan.json
  aks-preflight requirements --all plan.json              optional endpoints too
  aks-preflight requirements --format terraform plan.json > aks-egress.tf

Exit codes:
  0  printed
  2  usage error, an input that cannot be read, or an output that cannot be written";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the inputs: every node pool's path to every required endpoint.
    #[command(after_help = CHECK_HELP)]
    Check(CheckArgs),
    /// Print the endpoints the planned clusters need (the allowlist to open).
    #[command(after_help = REQUIREMENTS_HELP)]
    Requirements(RequirementsArgs),
    /// Explain the path from one node pool to one endpoint, hop by hop.
    #[command(after_help = EXPLAIN_HELP)]
    Explain(ExplainArgs),
    /// List the rules, or show one rule's documentation.
    Rules(RulesArgs),
    /// Check an `az aks create …` or `az aks nodepool add …` command line before you run it.
    Az(super::az::AzArgs),
    /// Check every AKS cluster of subscriptions, management groups or the tenant (Azure
    /// Resource Graph), or of files: one row per node pool.
    Scan(super::scan::ScanArgs),
    /// Read Azure resources and save them as a snapshot: an input for checks without
    /// credentials.
    Snapshot(super::snapshot::SnapshotArgs),
}

#[derive(Debug, Args, Clone, Default)]
pub struct InputArgs {
    /// Inputs: `terraform show -json` output of a plan or of state (`-` reads stdin), a
    /// Terraform configuration (a directory holding the root module, or a `.tf` file), ARM
    /// templates and what-if output, existing resources (`az … -o json`, ARM REST responses,
    /// snapshots).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,
    /// Directory of extra policy files (*.toml) adding or overriding catalogue endpoints by id.
    #[arg(long, value_name = "DIR")]
    pub policy_dir: Option<PathBuf>,
    /// Configuration file: your own required endpoints, disabled catalogue rows, attestations.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Azure cloud (default: inferred from each cluster's region).
    #[arg(long, value_enum)]
    pub cloud: Option<CloudArg>,
    #[command(flatten)]
    pub live: super::live::LiveArgs,
    /// A Terraform variable for a configuration (HCL) input: `NAME=VALUE` (repeatable; a value
    /// for a non-string variable is written in HCL: `--var 'dns_servers=["10.0.0.4"]'`).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// A Terraform variables file (`.tfvars`, `.tfvars.json`) for a configuration (HCL) input
    /// (repeatable; read after terraform.tfvars and *.auto.tfvars, before --var).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// The Terraform configuration a plan input was made from: findings point at its `.tf`
    /// lines (the plan location is kept as a related one). Default: the plan's directory, when
    /// it holds `.tf` files.
    #[arg(long, value_name = "DIR")]
    pub source: Option<PathBuf>,
    /// ARM template parameters file (repeatable; `@FILE` and `NAME=VALUE` too, as `az` accepts).
    #[arg(long = "parameters", value_name = "FILE")]
    pub parameters: Vec<String>,
    /// One ARM template parameter value, `NAME=VALUE` (repeatable; arrays and objects as JSON).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub param: Vec<String>,
    /// Resource group an ARM template deploys to (`resourceGroup()`, resource ids).
    #[arg(long, value_name = "NAME")]
    pub resource_group: Option<String>,
    /// Subscription id an ARM template deploys to.
    #[arg(long, value_name = "ID")]
    pub subscription: Option<String>,
    /// Location of that resource group (`resourceGroup().location`).
    #[arg(long, value_name = "REGION")]
    pub location: Option<String>,
    /// More detail: each finding's hop-by-hop path (human format), and on stderr what was read
    /// (inputs, config, baseline) and how long each stage took.
    #[arg(short, long)]
    pub verbose: bool,
    /// Refuse inputs larger than SIZE (bytes, or `500M`, `2G`; default 1G, or the
    /// AKS_PREFLIGHT_MAX_INPUT_SIZE variable): reading takes about four times the input in memory.
    #[arg(long, value_name = "SIZE", value_parser = crate::input::limit::parse_size)]
    pub max_input_size: Option<u64>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CloudArg {
    Public,
    China,
    Usgov,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    /// A Mermaid flowchart of each path (`explain` only).
    Mermaid,
}

/// Formats of the `check` report: on stdout (`--format`) or written to files (`--output`).
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OutputFormat {
    /// Diagnostics pointing at the responsible lines, and the per-pool table.
    Human,
    /// The `aks-preflight/report/v1` contract.
    Json,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
    /// JUnit XML for Azure DevOps and test reporters.
    Junit,
    /// Markdown with Mermaid path pictures (job summary, pull-request comment).
    Markdown,
}

impl OutputFormat {
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Human => "human",
            OutputFormat::Json => "json",
            OutputFormat::Sarif => "sarif",
            OutputFormat::Junit => "junit",
            OutputFormat::Markdown => "markdown",
        }
    }
}

/// One `--output FORMAT=PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSpec {
    pub format: OutputFormat,
    pub path: PathBuf,
}

/// Parse `FORMAT=PATH` (`sarif=aks-preflight.sarif`). Returns `Err` with a message for anything
/// else; a value without `=` is not ours (`az ... --output json` keeps its own meaning where both
/// appear on one command line).
pub fn parse_output_spec(s: &str) -> Result<OutputSpec, String> {
    let (format, path) = s.split_once('=').ok_or_else(|| {
        format!("`{s}` is not FORMAT=PATH (for example sarif=aks-preflight.sarif)")
    })?;
    let format = <OutputFormat as ValueEnum>::from_str(format.trim(), true).map_err(|_| {
        let names: Vec<&str> = OutputFormat::value_variants()
            .iter()
            .map(|f| f.name())
            .collect();
        format!(
            "unknown format `{format}` in `{s}` (expected one of: {})",
            names.join(", ")
        )
    })?;
    if path.is_empty() {
        return Err(format!("missing path in `{s}` (FORMAT=PATH)"));
    }
    Ok(OutputSpec {
        format,
        path: PathBuf::from(path),
    })
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FailOn {
    /// Exit 1 on error findings only (default).
    Error,
    /// Exit 1 on warnings too.
    Warning,
    /// Exit 1 when any required endpoint's verdict is unknown (and on warnings and errors).
    Unknown,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value = "human")]
    pub format: OutputFormat,
    /// Also write FORMAT to PATH (repeatable): `--output sarif=aks-preflight.sarif --output junit=TEST-aks-preflight.xml`.
    #[arg(long = "output", value_name = "FORMAT=PATH", value_parser = parse_output_spec)]
    pub outputs: Vec<OutputSpec>,
    /// Report only findings that are not in this baseline file (the others are counted as suppressed).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record this run's findings (after waivers) in FILE, for `--baseline`.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Print nothing on stdout (files from --output, GitHub annotations and the summary are still
    /// written), and no progress bar of --live reads.
    #[arg(short, long)]
    pub quiet: bool,
    /// No colour (same as --color never; the NO_COLOR variable is honoured too).
    #[arg(long)]
    pub no_color: bool,
    /// Tighten the exit code.
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: FailOn,
    /// Colour (human format).
    #[arg(long, value_enum, default_value = "auto")]
    pub color: Color,
    /// In the human table, list every endpoint (default: only the required endpoints that are
    /// not reachable; the others are counted).
    #[arg(long)]
    pub all: bool,
    /// The default since the table lists problems only; kept for existing scripts.
    #[arg(long, hide = true)]
    pub problems_only: bool,
    /// Check this existing cluster (its resource id): taken from the inputs (`az aks show -o
    /// json` output, snapshots); the report covers it alone. INPUT files are optional with it.
    #[arg(long, value_name = "CLUSTER_ID")]
    pub cluster: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ReqFormat {
    Table,
    Json,
    Terraform,
    /// Bicep: a rule collection group of the firewall's policy, or classic collection entries.
    Bicep,
}

#[derive(Debug, Args)]
pub struct RequirementsArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format: a table, JSON, or ready-to-paste Azure Firewall rules in Terraform or
    /// Bicep (in the form of the cluster's firewall: policy rule collection group or classic
    /// collections).
    #[arg(long, value_enum, default_value = "table")]
    pub format: ReqFormat,
    /// Include optional endpoints (OS updates, legacy fallbacks).
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Endpoint: `host:port/proto` (`mcr.microsoft.com:443/tcp`, `10.0.0.4:53/udp`), a URL
    /// (`https://mcr.microsoft.com/`), or `dns`.
    #[arg(long, value_name = "ENDPOINT")]
    pub to: String,
    /// Node pool name (default: every node pool).
    #[arg(long)]
    pub pool: Option<String>,
    /// Cluster address or name (default: every cluster).
    #[arg(long)]
    pub cluster: Option<String>,
    /// Output format: human, json, or mermaid (a flowchart of each path, deciding hop marked).
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Rule ID or name to document.
    pub id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_specs() {
        assert_eq!(
            parse_output_spec("sarif=out/a.sarif").unwrap(),
            OutputSpec {
                format: OutputFormat::Sarif,
                path: PathBuf::from("out/a.sarif")
            }
        );
        // the path may contain `=`; the format is case-insensitive
        assert_eq!(
            parse_output_spec("JUnit=a=b.xml").unwrap().path,
            PathBuf::from("a=b.xml")
        );
        assert!(
            parse_output_spec("json")
                .unwrap_err()
                .contains("FORMAT=PATH")
        );
        assert!(parse_output_spec("pdf=x").unwrap_err().contains("sarif"));
        assert!(parse_output_spec("sarif=").is_err());
    }
}
