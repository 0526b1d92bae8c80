use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Find AKS node-provisioning network failures (VMExtensionProvisioningTimeout, vmssCSE exit
/// 50/51/52) before you deploy.
#[derive(Debug, Parser)]
#[command(name = "aks-preflight", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the inputs: every node pool's path to every required endpoint.
    Check(CheckArgs),
    /// Print the endpoints the planned clusters need (the allowlist to open).
    Requirements(RequirementsArgs),
    /// Explain the path from one node pool to one endpoint, hop by hop.
    Explain(ExplainArgs),
    /// List the rules, or show one rule's documentation.
    Rules(RulesArgs),
}

#[derive(Debug, Args, Clone, Default)]
pub struct InputArgs {
    /// Inputs: `terraform show -json` output of a plan or of state (`-` reads stdin), or a
    /// Terraform configuration (a directory holding the root module, or a `.tf` file).
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
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Tighten the exit code.
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: FailOn,
    /// Colour (human format).
    #[arg(long, value_enum, default_value = "auto")]
    pub color: Color,
    /// In the human table, list only endpoints that are not reachable.
    #[arg(long)]
    pub problems_only: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ReqFormat {
    Table,
    Json,
    Terraform,
}

#[derive(Debug, Args)]
pub struct RequirementsArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format: a table, JSON, or a ready-to-paste Azure Firewall policy rule collection group.
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
    /// Endpoint: `host:port/proto` (`mcr.microsoft.com:443/tcp`, `10.0.0.4:53/udp`), or `dns`.
    #[arg(long, value_name = "ENDPOINT")]
    pub to: String,
    /// Node pool name (default: every node pool).
    #[arg(long)]
    pub pool: Option<String>,
    /// Cluster address or name (default: every cluster).
    #[arg(long)]
    pub cluster: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Rule ID or name to document.
    pub id: Option<String>,
}
