//! The docs in `docs-dir`: the generated allocation summary and address map, and
//! the generated section of the hand-written architecture document.

use super::summary::{ARCH_BEGIN, ARCH_END, ARCH_HEADING, architecture_section, ip_summary};
use super::want::Want;
use crate::artifact::edit::{self, YamlError};
use crate::plan::Plan;

/// `docs/architecture.md` for a repository that has none yet.
const ARCHITECTURE_SKELETON: &str = "# Architecture\n";

/// The summary, the map and the architecture section, when the layout has docs.
pub(crate) fn wants(plan: &Plan) -> Vec<Want> {
    let layout = &plan.layout;
    let mut out = Vec::new();
    if let Some(architecture) = layout.architecture() {
        let section = architecture_section(plan);
        out.push(Want::edit(
            architecture,
            ARCHITECTURE_SKELETON,
            move |text| with_architecture_section(text, &section).map(Into::into),
        ));
    }
    if let (Some(summary), Some(map)) = (layout.summary(), layout.ip_map()) {
        out.push(Want::whole(summary, ip_summary(plan)));
        out.push(Want::whole(map, super::ip_map::ip_map_svg(plan)));
    }
    out
}

/// The architecture document with the generated section replaced, or appended
/// under its heading when the document has none yet.
fn with_architecture_section(text: &str, section: &str) -> Result<String, YamlError> {
    let replaced = edit::replace_marked_section(text, ARCH_BEGIN, ARCH_END, section)?;
    Ok(replaced.unwrap_or_else(|| {
        let gap = if text.is_empty() || text.ends_with("\n\n") {
            ""
        } else if text.ends_with('\n') {
            "\n"
        } else {
            "\n\n"
        };
        format!("{text}{gap}\n{ARCH_HEADING}\n{ARCH_BEGIN}\n{section}{ARCH_END}\n")
    }))
}
