//! Everything the build owns in the repository, one module per artifact. Each
//! module owns its paths (from the plan's [`crate::plan::layout`]), its render and its
//! edit, and says what it wants through [`Want`]s; the build (`generate`) only
//! loops over [`wants`], applies the edits and audits the result.
//!
//! Adding an artifact means adding a module here and one line to [`wants`].

pub(crate) mod bgp;
pub(crate) mod docs;
pub mod edit;
pub(crate) mod flux;
pub(crate) mod helm_values;
pub mod ip_map;
pub(crate) mod l2;
pub(crate) mod markdown;
pub(crate) mod notes;
pub mod pools;
pub(crate) mod render;
pub(crate) mod rust;
pub(crate) mod settings;
pub(crate) mod summary;
pub mod take_over;
mod want;

use crate::plan::Plan;

pub use want::{Edit, Edited, Want};

/// Every artifact, in the order the build applies what they want.
const ARTIFACTS: [fn(&Plan) -> Vec<Want>; 7] = [
    pools::wants,
    bgp::wants,
    l2::wants,
    flux::wants,
    settings::wants,
    helm_values::wants,
    docs::wants,
];

/// What every artifact wants for the plan, in the order the build applies them
/// (rendered side by side: the docs of a fleet take as long as its pools).
pub fn wants(plan: &Plan) -> Vec<Want> {
    crate::par::map(ARTIFACTS, |wants| wants(plan))
        .into_iter()
        .flatten()
        .collect()
}
