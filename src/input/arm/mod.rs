//! ARM resources: the one reader of Azure Resource Manager resource JSON (`id`, `type`, `name`,
//! `location`, `properties`), whatever brought it: live GET/list responses, ARM REST files,
//! `az … -o json` output (its hoisted properties are normalised to the REST shape first), what-if
//! `after` states and evaluated ARM templates. Every such source is a thin front end that produces
//! [`ArmResource`]s; the mapper turns them into model elements.

pub mod template;
pub mod whatif;

use crate::model::Lifecycle;
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
