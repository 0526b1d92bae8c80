//! Terraform configuration (HCL) read directly, without Terraform: the root module directory
//! (or one `.tf` file), its local modules and the registry/git modules `terraform init`
//! downloaded.
//!
//! The configuration is parsed with hcl-edit (spans and comments), evaluated statically
//! ([`eval`], [`scope`]: variables from defaults, `.tfvars` files, `--var` and `TF_VAR_*`; locals;
//! `count` / `for_each`; `dynamic` blocks; module inputs and outputs; the built-in functions of
//! [`funcs`]), and every resource instance is handed to the plan loader in the shape it reads
//! ([`emit`]: `after` values with `after_unknown` masks, and configuration references already
//! resolved to instances). So the azurerm mappers and every analysis are shared with plans; what
//! differs is that origins are byte spans of the `.tf` files.
//!
//! What a configuration cannot say is unknown, with the reason: attributes computed by Azure
//! (ids, allocated IPs) are "known only after apply" and stay references to the resource that
//! computes them, exactly like in a plan; a variable without value, an unsupported function, an
//! unknown `count`, a module that was not downloaded, or a data source's attributes are unknown
//! and noted (`INP030`–`INP035`).
//!
//! Input note codes:
//! * `INP030` a root variable has no value;
//! * `INP031` a function this reader does not evaluate;
//! * `INP032` a module call that is not followed (not downloaded, not found);
//! * `INP033` a `count` / `for_each` that is unknown;
//! * `INP034` a data source: its attributes are read from Azure at plan time;
//! * `INP035` an expression that cannot be evaluated (type error, missing attribute).

mod emit;
mod eval;
pub(crate) mod files;
mod funcs;
mod plan_source;
mod regex_fns;
mod scope;
mod types;
mod value;
mod vars;
mod waivers;

pub use plan_source::{locate_plan_in_source, source_dir_of};
pub use vars::VarArgs;

use super::config::Config;
use super::instances::Instance;
use crate::error::Error;
use crate::model::{InputNote, Lifecycle, Model};
use crate::source::{FileId, Loc, Origin, SourceMap};
use std::collections::HashMap;
use std::path::Path;
use value::Src;

/// The source span of every node of the evaluated instances, by JSON pointer
/// (`/hcl/3/after/security_rule/0`); a pointer without its own span takes its parent's, and a
/// configuration expression (`/hcl/3/expr/...`) has the span of its value.
#[derive(Debug, Default)]
pub(crate) struct SpanTable {
    map: HashMap<String, Src, FxBuild>,
}

/// rustc's FxHash: several times faster than the standard SipHash on the short keys of the
/// emitter's tables (one entry per node of every instance). The keys come from the
/// configuration being checked, so hash flooding is no concern.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

pub(crate) type FxBuild = std::hash::BuildHasherDefault<FxHasher>;

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
    fn finish(&self) -> u64 {
        // the multiply mixes into the high bits; the table indexes with the low ones
        self.0.rotate_left(26)
    }
}

impl SpanTable {
    fn with_capacity(n: usize) -> SpanTable {
        SpanTable {
            map: HashMap::with_capacity_and_hasher(n, FxBuild::default()),
        }
    }

    fn insert(&mut self, ptr: String, src: Src) {
        self.map.insert(ptr, src);
    }

    fn find(&self, ptr: &str) -> Option<Src> {
        // a configuration expression is where its value is: `/hcl/3/expr/x` is `/hcl/3/after/x`
        let owned;
        let mut p = match ptr.find("/expr") {
            Some(i) if ptr.starts_with("/hcl/") && !ptr[..i].contains("/after") => {
                owned = format!("{}/after{}", &ptr[..i], &ptr[i + 5..]);
                owned.as_str()
            }
            _ => ptr,
        };
        loop {
            if let Some(s) = self.map.get(p) {
                return Some(*s);
            }
            p = &p[..p.rfind('/')?];
        }
    }

    /// The origin of the node at `ptr` of the instance `address`.
    pub(crate) fn origin(&self, fallback: FileId, address: &str, ptr: &str) -> Origin {
        match self.find(ptr) {
            Some(s) => Origin::new(s.file, address, Loc::Span(s.range())),
            None => Origin::new(fallback, address, Loc::None),
        }
    }
}

/// Resource types whose data sources matter to the analyses (a note says they are unknown).
fn is_network_data(t: &str) -> bool {
    [
        "azurerm_virtual_network",
        "azurerm_subnet",
        "azurerm_network_security_group",
        "azurerm_route_table",
        "azurerm_nat_gateway",
        "azurerm_firewall",
        "azurerm_firewall_policy",
        "azurerm_public_ip",
        "azurerm_private_dns_zone",
        "azurerm_kubernetes_cluster",
        "azurerm_ip_group",
    ]
    .contains(&t)
}

/// One evaluated resource instance, in the shape the plan loader reads.
pub(crate) struct Evaluated {
    pub addr: super::addr::ResourceAddr,
    pub emitted: emit::Emitted,
}

/// A configuration evaluated: its instances (sorted as Terraform sorts them), the span of every
/// node, the notes and the waivers.
pub(crate) struct Configuration {
    pub instances: Vec<Evaluated>,
    pub spans: SpanTable,
    pub notes: Vec<InputNote>,
    pub waivers: Vec<crate::model::Waiver>,
    pub first_file: FileId,
}

fn origin_of(s: Src) -> Origin {
    Origin {
        file: Some(s.file),
        address: None,
        loc: Loc::Span(s.range()),
    }
}

/// Stack of the thread that evaluates a configuration: evaluation recurses along references and
/// nested expressions (up to `scope::MAX_DEPTH` levels), deeper than a default thread allows in
/// debug builds.
const EVAL_STACK: usize = 256 * 1024 * 1024;

/// Read and evaluate the configuration at `path` (a directory, or a `.tf` file).
#[allow(clippy::result_large_err)] // the crate-wide `Error` carries its source text
pub(crate) fn evaluate(
    sources: &mut SourceMap,
    path: &Path,
    args: &VarArgs,
) -> Result<Configuration, Error> {
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("hcl-evaluation".into())
            .stack_size(EVAL_STACK)
            .spawn_scoped(scope, || evaluate_here(sources, path, args));
        match worker {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(e) => Err(Error::Io {
                path: path.display().to_string(),
                message: format!("cannot start the thread that evaluates the configuration: {e}"),
            }),
        }
    })
}

#[allow(clippy::result_large_err)]
fn evaluate_here(
    sources: &mut SourceMap,
    path: &Path,
    args: &VarArgs,
) -> Result<Configuration, Error> {
    let tree = files::load(sources, path)?;
    let root_dir = if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent()
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| ".".into())
    };
    let all_files: Vec<&files::Parsed> = tree.modules.iter().flat_map(|m| &m.files).collect();
    let waivers = waivers::collect(sources, &all_files)?;
    let defs = scope::definitions(&tree);
    let inputs = vars::root_inputs(sources, &root_dir, &defs[0], args)?;
    // never show a sensitive variable's default in an excerpt
    for d in &defs {
        for v in d.vars.iter().filter(|v| v.sensitive) {
            if let Some(s) = v.default.and_then(hcl::edit::Span::span) {
                sources.mark_sensitive(v.file, vec![Loc::Span(s)]);
            }
        }
    }
    let first_file = all_files.first().map(|p| p.file).unwrap_or(FileId(0));
    let ev = scope::Evaluator::new(defs, &inputs);
    let expansions: Vec<(usize, std::rc::Rc<scope::Expansion>)> = ev.all_instances();
    let mut data: Vec<&scope::Inst> = expansions
        .iter()
        .flat_map(|(_, x)| x.insts.iter())
        .filter(|i| i.addr.data && is_network_data(&i.addr.rtype))
        .collect();
    data.sort_by_cached_key(|i| emit::sort_key(i));
    for i in data {
        ev.note(
            "INP034",
            format!(
                "{} is read from Azure when Terraform plans: its attributes are unknown to a \
                 configuration-only check (check the plan, or add a snapshot of the resource)",
                i.address()
            ),
            Some(i.body.header),
        );
    }
    // the syntax tree and the evaluator's memos are no longer needed: free them before the
    // instances are emitted (the instances are owned by nothing else once the evaluator is gone)
    let notes = ev.take_notes();
    drop(ev);
    drop(tree);
    let mut flat: Vec<scope::Inst> = expansions
        .into_iter()
        .flat_map(|(_, x)| std::rc::Rc::unwrap_or_clone(x).insts)
        .collect();
    flat.sort_by_cached_key(emit::sort_key);
    let mut em = emit::Emitter::new(&flat);
    let instances: Vec<Evaluated> = flat
        .into_iter()
        .enumerate()
        .map(|(n, i)| {
            let emitted = em.instance(n, &i);
            Evaluated {
                addr: i.addr,
                emitted,
            }
        })
        .collect();
    for (used, from, text) in std::mem::take(&mut em.related) {
        sources.relate(origin_of(used), origin_of(from), text);
    }
    let notes: Vec<InputNote> = notes
        .into_iter()
        .map(|n| InputNote {
            code: n.code,
            message: n.message,
            origin: n.at.map(origin_of).unwrap_or_else(Origin::none),
        })
        .collect();
    Ok(Configuration {
        instances,
        spans: em.spans,
        notes,
        waivers,
        first_file,
    })
}

/// Read the configuration at `path` (a directory, or a `.tf` file) into the model.
#[allow(clippy::result_large_err)] // the crate-wide `Error` carries its source text
pub fn load(sources: &mut SourceMap, path: &Path, args: &VarArgs) -> Result<Model, Error> {
    let c = evaluate(sources, path, args)?;
    // the emitted values as the trees instances hold
    let bump = bumpalo::Bump::new();
    let node = |v| &*bump.alloc(crate::input::tree::Node::from_value(v, &bump));
    let instances: Vec<Instance<'_>> = c
        .instances
        .iter()
        .enumerate()
        .map(|(n, x)| Instance {
            address: x.emitted.address.as_str().into(),
            module: x.addr.module.clone(),
            data: x.addr.data,
            rtype: x.addr.rtype.clone(),
            name: x.addr.name.clone(),
            index: x.addr.index.clone(),
            values: Some(node(&x.emitted.after)),
            unknown: Some(node(&x.emitted.unknown)),
            sensitive: Some(node(&x.emitted.sensitive)),
            ptr: emit::after_ptr(n),
            lifecycle: if x.addr.data {
                Lifecycle::Existing
            } else {
                Lifecycle::Create
            },
            expressions: Some((&x.emitted.expressions, emit::expr_ptr(n))),
            spans: Some(&c.spans),
            deleted: false,
            before: None,
        })
        .collect();
    let mut model = super::build_model(
        c.first_file,
        &instances,
        &Config::default(),
        c.notes,
        Vec::new(),
    );
    model.waivers = c.waivers;
    Ok(model)
}

#[cfg(test)]
mod tests;
