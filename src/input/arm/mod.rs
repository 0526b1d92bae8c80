//! ARM resources: the one reader of Azure Resource Manager resource JSON (`id`, `type`, `name`,
//! `location`, `properties`), whatever brought it: live GET/list responses, ARM REST files,
//! `az … -o json` output (whose hoisted properties the mapper reads where `az` put them), what-if
//! `after` states and evaluated ARM templates. Every such source is a thin front end that produces
//! [`ArmResource`]s; the mapper turns them into model elements.
//!
//! # Using the mapper
//!
//! [`map_resources`] takes a batch of [`ArmResource`]s and returns one [`Model`]. Give it a whole
//! input at once (a file, an evaluated template, a live read): child resources (a separate
//! security rule, route or agent pool) are attached to their parents within the batch.
//!
//! * **Shape.** `value` is one resource object in REST shape: `id`, `type`, `name`, `location`,
//!   `properties`. `az` output, which hoists the properties to the top level, is read as is:
//!   a property is read from `properties` when the object has a `properties` object, else from
//!   the object itself. Property names match case-insensitively (`privateIPAddress` and `az`'s
//!   `privateIpAddress`). `type` may be omitted when `id` is given (it is derived from the id).
//! * **Identity.** The model key is the lower-cased resource id; without an id, `symbol`, else
//!   `type/name`. Element addresses (what findings show) are `symbol` when given, else the id
//!   without subscription and namespace: `rg-hub/azureFirewalls/fw-hub`.
//! * **Unknown values.** A value the front end cannot know (an expression that depends on
//!   deployment-time state) is written as `{"$unknown": "reason"}` ([`unknown_value`]) anywhere a
//!   value may stand; the mapper turns it into `Known::Unknown(reason)`.
//! * **Provenance.** `origin` is the resource object's place (file + JSON pointer); every field
//!   origin extends that pointer by the property path, so a finding points at the property.
//!   When a pointer leads nowhere in the file (a value computed by a template expression), the
//!   location falls back to the nearest enclosing value that exists.
//! * **Lifecycle.** `lifecycle` says what the source says happens to the resource; existing
//!   resources (live reads, REST files, snapshots) are `Lifecycle::Existing`.
//!
//! Input note codes: `INP004` a documented default was assumed (outbound type); `INP006` a child
//! resource whose parent is not in the batch; `INP020` a file that holds no resource the model
//! reads.

mod cluster;
pub mod deployment;
mod dns;
mod files;
mod firewall;
pub mod graph;
mod map;
mod network;
mod node;
pub mod reads;
mod sensitive;
pub mod template;
pub mod whatif;

pub use files::{is_arm_resource_json, load_value, resources_from_json};
pub use map::{
    is_mapped_type, resource_group_of, resource_type, short_address, subscription_of, type_from_id,
};
pub use node::UNKNOWN_MARKER;
pub use sensitive::{sensitive_pointers, strip_sensitive};

use crate::model::{Lifecycle, Model};
use crate::source::Origin;

/// One ARM resource in REST shape, with where it came from.
#[derive(Debug, Clone)]
pub struct ArmResource {
    /// The resource object: `id`, `type`, `name`, `location`, `properties` (REST shape).
    pub value: serde_json::Value,
    /// Where the object is: a file and the JSON pointer of the object in it (field origins are
    /// derived by extending the pointer with the property path), or a synthesized source for
    /// live reads.
    pub origin: Origin,
    /// What the source says happens to the resource (`Existing` for live data and snapshots).
    pub lifecycle: Lifecycle,
    /// The name the author knows the resource by, when it differs from its id: a Bicep symbolic
    /// name or module deployment path (`hub.fwPolicy`).
    pub symbol: Option<String>,
}

/// The value a front end writes where it cannot know a value: `{"$unknown": reason}`.
pub fn unknown_value(reason: impl Into<String>) -> serde_json::Value {
    serde_json::json!({ UNKNOWN_MARKER: reason.into() })
}

/// Map a batch of ARM resources to one model (see the module documentation). Resources of types
/// the model does not hold are skipped; the result is [`Model::finish`]ed.
pub fn map_resources(resources: &[ArmResource]) -> Model {
    let mut m = map::Mapper::default();
    for r in resources {
        map::map_one(&mut m, r);
    }
    finished(m)
}

/// [`map_resources`], dropping each resource's JSON once it is mapped (the model grows as the
/// document shrinks).
pub fn map_resources_owned(resources: Vec<ArmResource>) -> Model {
    let mut m = map::Mapper::default();
    for r in resources {
        map::map_one(&mut m, &r);
    }
    finished(m)
}

fn finished(m: map::Mapper) -> Model {
    let mut model = map::finish(m);
    model.finish();
    model
}

#[cfg(test)]
mod tests;
