//! `--live` and its options (shared by `check`, `requirements`, `explain`), and the `snapshot`
//! command.

use super::args::CloudArg;
use crate::input::azure::credential::CredentialKind;
use crate::input::azure::{self, LiveOptions, LiveRead, Scope};
use crate::model::{Cloud, Model};
use crate::source::SourceMap;
use clap::Args;
use std::io::IsTerminal;
use std::time::Duration;

#[derive(Debug, Args, Clone, Default)]
pub struct LiveArgs {
    /// Read from Azure the resources the inputs refer to but do not contain (read-only: the
    /// Reader role on them is enough).
    #[arg(long)]
    pub live: bool,
    /// Credential for --live (default: auto).
    #[arg(long, value_enum, value_name = "KIND")]
    pub credential: Option<CredentialKind>,
    /// Azure Resource Manager endpoint for --live (default: the cloud's). Plain http only on
    /// 127.0.0.1, ::1 or localhost.
    #[arg(long, value_name = "URL")]
    pub arm_endpoint: Option<String>,
    /// Per-request timeout of --live reads, in seconds (default: 30).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// No progress bar for --live reads (it is shown only when stderr is a terminal; `check
    /// --quiet` hides it too).
    #[arg(long)]
    pub no_progress: bool,
}

impl LiveArgs {
    pub fn options(&self, cloud: Cloud) -> LiveOptions {
        self.options_for(cloud, std::io::stderr().is_terminal())
    }

    /// The options when stderr is (`tty`) or is not a terminal: the progress bar is drawn only
    /// on a terminal and without --no-progress.
    fn options_for(&self, cloud: Cloud, tty: bool) -> LiveOptions {
        LiveOptions {
            endpoint: self.arm_endpoint.clone(),
            cloud,
            credential: self.credential.unwrap_or_default(),
            timeout: Duration::from_secs(self.timeout.unwrap_or(30).max(1)),
            progress: !self.no_progress && tty,
            ..LiveOptions::default()
        }
    }
}

/// The cloud of `--cloud` (public when not given).
pub fn cloud_of(arg: Option<CloudArg>) -> Cloud {
    match arg {
        Some(CloudArg::China) => Cloud::China,
        Some(CloudArg::Usgov) => Cloud::UsGov,
        _ => Cloud::Public,
    }
}

/// Read what the inputs refer to.
pub fn read(
    live: &LiveArgs,
    cloud: Cloud,
    planned: &Model,
    existing: &Model,
    sources: &mut SourceMap,
) -> Result<LiveRead, crate::error::Error> {
    azure::read_missing(planned, existing, sources, &live.options(cloud))
}

/// `--resource-group` values against the `--subscription`s: a bare name applies to each
/// subscription; a full `/subscriptions/…/resourceGroups/…` id stands alone.
pub fn scopes(subscriptions: &[String], groups: &[String]) -> Result<Vec<Scope>, String> {
    let mut out = vec![];
    for g in groups {
        if let (Some(s), Some(rg)) = (
            crate::input::arm::subscription_of(g),
            crate::input::arm::resource_group_of(g),
        ) {
            out.push(Scope {
                subscription: s.to_string(),
                resource_group: Some(rg.to_string()),
            });
            continue;
        }
        if subscriptions.is_empty() {
            return Err(format!(
                "--resource-group {g} needs --subscription (or give the group's full id)"
            ));
        }
        for s in subscriptions {
            out.push(Scope {
                subscription: s.clone(),
                resource_group: Some(g.clone()),
            });
        }
    }
    if groups.is_empty() {
        out.extend(subscriptions.iter().map(|s| Scope {
            subscription: s.clone(),
            resource_group: None,
        }));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_only_on_a_terminal_and_not_when_asked_away() {
        let a = LiveArgs::default();
        assert!(a.options_for(Cloud::Public, true).progress);
        assert!(!a.options_for(Cloud::Public, false).progress);
        let quiet = LiveArgs {
            no_progress: true,
            ..LiveArgs::default()
        };
        assert!(!quiet.options_for(Cloud::Public, true).progress);
    }

    #[test]
    fn resource_groups_and_subscriptions() {
        let s = scopes(&["s1".into(), "s2".into()], &["rg".into()]).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].subscription, "s2");
        let s = scopes(&[], &["/subscriptions/s3/resourceGroups/rg-hub".into()]).unwrap();
        assert_eq!(s[0].resource_group.as_deref(), Some("rg-hub"));
        assert!(scopes(&[], &["rg".into()]).is_err());
        assert_eq!(scopes(&["s1".into()], &[]).unwrap()[0].resource_group, None);
    }
}
