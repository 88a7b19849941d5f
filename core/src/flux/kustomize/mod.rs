//! kustomize's build, modelled: what `kubectl kustomize DIR` (and Flux's
//! kustomize-controller, which runs the same build with its own fields merged
//! into the top kustomization) outputs, computed from the [`Tree`](crate::tree::Tree).
//!
//! - `walk`: the one walker through kustomization files — `resources`
//!   (files and directories), `components` (`kind: Component`, nested, applied
//!   to what the including kustomization has so far), the kustomization Flux
//!   generates for a directory without one — in a strict mode (every problem
//!   is reported; the resolver) and a lenient one (problems are skipped; the
//!   schema gate's view of which files are objects);
//! - `generate`: `configMapGenerator`, `secretGenerator`, `generatorOptions`
//!   and the content-hash suffix;
//! - `patch`: strategic-merge and JSON 6902 patches; `select`: `target:`;
//! - `transform`: `namespace`, `namePrefix`/`nameSuffix`, `labels`,
//!   `commonLabels`, `commonAnnotations`.
//!
//! Transformers run in kustomize's order: `patchesStrategicMerge`, `patches`,
//! `namespace`, `namePrefix`, `nameSuffix`, labels, annotations,
//! `patchesJson6902`. What stays out of reach (a remote base, `helmCharts`,
//! `replacements`, `vars`, plugin generators and transformers) is a note
//! naming the file and the field ([`Problem::note`]), which the plan's
//! `[audit] strict` turns into an error. `images`, `replicas`,
//! `configurations`, `openapi`, `crds`, `buildMetadata` and `sortOptions` are
//! read past: they change nothing the audits read.

pub(crate) mod generate;
pub(crate) mod patch;
mod select;
pub(crate) mod transform;
pub(crate) mod walk;

pub use walk::{Problem, Strictness, Walker};
