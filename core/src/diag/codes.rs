//! The stable codes of findings in files other than plan.toml: what the audits,
//! the resolver, the sharing rules and the file readers and writers report, and
//! what `lbipam live` finds in the running clusters.
//! [`crate::diag::error::Error::code`] gives every error its code (plan errors by
//! variant); manual/codes.md lists every code in one table, and `core/tests/codes.rs`
//! proves that table and the codes produced agree.

use std::fmt;

macro_rules! codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $code:literal $(=> $help:literal)?,)*) => {
        /// The stable code of a finding in a file other than plan.toml. Never
        /// changes once published: CI tools, scripts and suppressions key on it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as written in JSON, SARIF and suppressions (`stray-ip`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            /// What to do about every finding of this code, when one thing is
            /// right whatever its details; the rendering adds it (`= help:`),
            /// the finding's message does not carry it.
            pub fn help(self) -> Option<&'static str> {
                match self {
                    $(Code::$variant => None $(.or(Some($help)))?,)*
                }
            }
        }
    };
}

codes! {
    /// A file or directory that cannot be read or listed.
    Unreadable = "unreadable",
    /// A file that is not UTF-8.
    NotUtf8 = "not-utf8",
    /// A file that is not valid YAML, or whose line breaks YAML 1.1 reads differently.
    InvalidYaml = "invalid-yaml",
    /// The edit of the parts the build owns in a hand-written file was refused.
    EditRefused = "edit-refused",
    /// The write step will not touch a file (a symlink, a directory, changed under the
    /// build, a hand-written file where a generated one goes, one file for two outputs).
    WriteRefused = "write-refused",
    /// Writing a file failed.
    WriteFailed = "write-failed",
    /// A hand-written file listed in `[layout] take-over` whose objects are not
    /// what plan.toml renders there, address for address.
    TakeOverDiffers = "take-over-differs",
    /// An object with a value its Kubernetes, Cilium or Flux type refuses (a wrong
    /// type, a pattern, an enum: the schema check of lbipam-gate, which
    /// `lbipam check` runs too).
    Schema = "schema",
    /// An object with a field its type does not have (a misspelling, or a field
    /// of another API version): the schema check.
    UnknownField = "unknown-field",
    /// An object without a field its type requires, which no patch supplies: the
    /// schema check.
    MissingField = "missing-field",
    /// `lbipam init` cannot write a plan of what the repository holds (a pool the
    /// plan cannot say, a layout it cannot express, no Flux entry).
    InitRefused = "init-refused",
    /// A symlink the audit cannot follow (leading out of the repository, dangling, a loop).
    SymlinkRefused = "symlink-refused",
    /// The compile-time proof rejects a plan the checker passed (a safety net).
    ProofRejected = "proof-rejected",
    // Warnings: what the build reports without failing.
    /// A YAML file the audits could not read (unreadable, too large, not YAML) that
    /// no Flux Kustomization applies: a warning.
    SkippedFile = "skipped-file"
        => "add it to [layout] exclude in plan.toml to say so",
    /// A LoadBalancer IP in HelmRelease values the audit does not read (a values
    /// ConfigMap it cannot follow to a file, a value it cannot place): a warning.
    UnauditedValues = "unaudited-values",
    /// A `PreferDualStack` LoadBalancer Service in a cluster whose pools lack a
    /// family: it gets one address only. A warning.
    OneFamilyOnly = "one-family-only",
    /// Pools written as `cilium.io/v2alpha1` for a Cilium that deprecates it: a warning.
    DeprecatedPoolApi = "deprecated-pool-api"
        => "set [cilium] api-version = \"cilium.io/v2\" in plan.toml",
    /// `metadata.namespace` written on an object of a cluster-scoped kind (the API
    /// server drops it): a warning of the schema check.
    NamespaceOnClusterScoped = "namespace-on-cluster-scoped"
        => "remove `metadata.namespace` from the file: the API server drops it",
    /// A LoadBalancer IP not given to the cluster that applies the file.
    StrayIp = "stray-ip"
        => "ask for an address of the cluster's own pools (`lbipam next-free CLUSTER` lists free ones), or pin the Service in plan.toml",
    /// A LoadBalancer IP request whose value is not an IP address.
    NotAnIp = "not-an-ip",
    /// An alias-key IP request Cilium never reads (the primary key asks for another).
    ShadowedIpAnnotation = "shadowed-ip-annotation",
    /// `${VAR}` in an IP request applied by a Flux Kustomization without `postBuild`.
    UnsubstitutedVariable = "unsubstituted-variable",
    /// A `cluster-settings` value that is another cluster's pool address.
    ForeignSetting = "foreign-setting",
    /// A `dependsOn` naming no Flux Kustomization of the same cluster.
    DanglingDependsOn = "dangling-depends-on"
        => "define that Flux Kustomization in the cluster's directory (a new cluster: copy another cluster's), or drop the dependency (of the generated wiring: `[flux] depends-on` in plan.toml)",
    /// A `RequireDualStack` LoadBalancer Service in a cluster whose pools lack a family.
    DualStackUnsatisfiable = "dual-stack-unsatisfiable",
    /// A pinned address held back for one Service, requested by another.
    PinnedIpTaken = "pinned-ip-taken",
    /// One address requested in two clusters.
    IpInTwoClusters = "ip-in-two-clusters",
    /// Two Services on one address without a common sharing key.
    SharingKeyMismatch = "sharing-key-mismatch",
    /// Two Services on one address in namespaces that do not allow each other.
    SharingNamespaceMismatch = "sharing-namespace-mismatch",
    /// Two Services on one address with different `externalTrafficPolicy`.
    SharingTrafficPolicyMismatch = "sharing-traffic-policy-mismatch",
    /// Two Services on one address using the same port.
    SharingPortClash = "sharing-port-clash",
    /// A directory under the clusters' root with no cluster in plan.toml.
    UnplannedCluster = "unplanned-cluster"
        => "add the cluster to plan.toml and run `cargo build`, or delete the directory",
    /// A cluster without the Flux Kustomization that applies its pools.
    MissingIpamKustomization = "missing-ipam-kustomization"
        => "run `cargo build` to regenerate the cluster's Flux wiring from plan.toml",
    /// A pool applied with `metadata.namespace` (pools are cluster-scoped).
    NamespacedPool = "namespaced-pool"
        => "delete `metadata.namespace` from the pool's file (a generated file: run `cargo build`)",
    /// A pool applied that plan.toml does not have.
    UnknownPool = "unknown-pool"
        => "add the pool to plan.toml or delete its file, then run `cargo build`",
    /// Another cluster's pool applied to a cluster.
    ForeignPool = "foreign-pool"
        => "apply each pool from its own cluster only: `cargo build` rewrites the generated Flux wiring; a copy placed by hand must move or go",
    /// A cluster's pool applied by another Flux Kustomization than the plan's.
    PoolWrongKustomization = "pool-wrong-kustomization",
    /// A pool applied twice by one Flux Kustomization.
    DuplicatePool = "duplicate-pool",
    /// A pool whose `spec.blocks` differ from plan.toml.
    PoolBlocksDiffer = "pool-blocks-differ"
        => "change the blocks in plan.toml, not in the file, and run `cargo build` to regenerate it",
    /// A pool whose `spec.blocks` cannot be read.
    InvalidPoolBlocks = "invalid-pool-blocks"
        => "run `cargo build` to regenerate the pool from plan.toml",
    /// A pool of plan.toml that the cluster does not apply.
    PoolNotApplied = "pool-not-applied"
        => "run `cargo build` to regenerate the cluster's Flux wiring from plan.toml",
    /// A Flux Kustomization inside a component directory.
    FluxInComponent = "flux-in-component",
    /// A kustomize field out of the model's reach (`helmCharts`, `replacements`, plugins, ...):
    /// a note, an error with `[audit] strict`.
    UnmodelledKustomize = "unmodelled-kustomize"
        => "what it adds or changes is not audited; set [audit] strict = true in plan.toml to make this an error",
    /// A document after the first of a kustomization file, which kustomize
    /// never reads: a note, an error with `[audit] strict`.
    IgnoredDocument = "ignored-document"
        => "move what it says into the first document, or delete it; [audit] strict = true in plan.toml makes this an error",
    /// A kustomize or Flux patch that cannot be read or applied (no target, a failing operation).
    InvalidPatch = "invalid-patch",
    /// A `configMapGenerator` or `secretGenerator` entry that cannot be generated.
    InvalidGenerator = "invalid-generator",
    /// A Flux Kustomization whose `sourceRef` is not this repository.
    WrongSource = "wrong-source"
        => "what it applies is not audited; set [audit] strict = true in plan.toml to make this an error",
    /// A Flux Kustomization without a `spec.path` string.
    MissingFluxPath = "missing-flux-path",
    /// A `spec.path` or `resources:` entry naming nothing, or a file for a directory.
    MissingResource = "missing-resource",
    /// A remote `resources:` entry (URL, git).
    RemoteResource = "remote-resource"
        => "vendor it into the repository to have it audited; [audit] strict = true in plan.toml makes this an error",
    /// A path leaving the repository (`..`, absolute, a symlink out).
    PathOutsideRepo = "path-outside-repo",
    /// A Flux Kustomization whose `spec.path` is in the repository but outside
    /// `[layout] audit`: what it applies is not audited.
    OutsideAudit = "outside-audit"
        => "add the directory to [layout] audit in plan.toml, or leave it unaudited",
    /// A kustomization that includes itself.
    KustomizeCycle = "kustomize-cycle",
    /// A Flux Kustomization applied by one of the Kustomizations it applies.
    FluxCycle = "flux-kustomization-cycle",
    /// A directory in `resources:` without a kustomization file.
    MissingKustomization = "missing-kustomization",
    /// A kustomization file of the wrong shape (not a mapping, empty as kustomize counts it, `resources` not a list, ...).
    InvalidKustomization = "invalid-kustomization",
    /// A document applied that is not a Kubernetes object (no `kind`).
    NotAnObject = "not-an-object",
    /// `${VAR}` that `postBuild` does not set, without a default.
    UnsetVariable = "unset-variable",
    /// A substitution Flux cannot make (unterminated or invalid `${...}`, not YAML after it).
    BadSubstitution = "bad-substitution",
    /// A `substituteFrom` ConfigMap no file of the cluster defines.
    MissingSubstituteFrom = "missing-substitute-from",
    /// One object applied twice by one Flux Kustomization.
    DuplicateObject = "duplicate-object",
    /// Cilium Helm values that do not enable what the cluster's `advertise` needs.
    AdvertisementNotEnabled = "advertisement-not-enabled",
    /// A `sharing-cross-namespace` entry with spaces, which Cilium does not trim.
    SharingNamespaceSpace = "sharing-namespace-space",
    /// An ignore annotation without a reason.
    SuppressionWithoutReason = "suppression-without-reason"
        => "say why after the code: `lbipam.dev/ignore: \"CODE: the reason\"`",
    /// An ignore annotation that suppresses nothing.
    UnusedSuppression = "unused-suppression"
        => "delete the annotation: nothing here has that finding any more",
    // What `lbipam live` finds in what the clusters hold.
    /// A Service's LoadBalancer address is in no pool of its cluster.
    OutsidePools = "outside-pools",
    /// A Service's LoadBalancer address is in another cluster's pool.
    OtherClusterPool = "other-cluster-pool",
    /// Services of two clusters hold the same address.
    HeldInTwoClusters = "held-in-two-clusters",
    /// A pinned Service lacks its pinned address.
    PinNotHeld = "pin-not-held",
    /// Another Service holds a pinned address.
    PinTaken = "pin-taken",
    /// A LoadBalancer Service of Cilium's has no address.
    Pending = "pending",
    /// A pool the build writes is not in the cluster.
    PoolMissing = "pool-missing",
    /// The cluster has a pool the plan does not.
    PoolExtra = "pool-extra",
    /// A pool in the cluster hands out other addresses than the plan's.
    PoolBlocks = "pool-blocks",
    /// A pool's `serviceSelector` in the cluster differs from the plan's.
    PoolSelector = "pool-selector",
    /// A pool in the cluster is `disabled: true`.
    PoolDisabled = "pool-disabled",
    /// A pool's `cilium.io/PoolConflict` condition is `True`.
    PoolConflict = "pool-conflict",
    /// No Gateway Service holds the address the plan renders for it.
    GatewayAddress = "gateway-address",
    /// A cluster of the plan was given no input.
    NotChecked = "not-checked",
}

/// The codes of plan.toml errors ([`crate::diag::error::Error::code`] of every
/// variant but `File` and `Stale`).
pub(crate) const PLAN_CODES: [&str; 20] = [
    "syntax",
    "unknown-key",
    "missing-key",
    "wrong-type",
    "bad-value",
    "start-after-stop",
    "mixed-family",
    "host-bits",
    "outside-network",
    "overlap",
    "pin-outside-pool",
    "duplicate-pin",
    "bad-name",
    "no-clusters",
    "no-pools",
    "no-blocks",
    "duplicate-setting",
    "network-or-broadcast",
    "pin-not-allocatable",
    "pin-without-service",
];

/// The code of a file the plan renders that differs from what is committed.
pub const STALE: &str = "stale";

/// Every stable code: the plan's, then `stale`, then every [`Code`].
pub fn all() -> Vec<&'static str> {
    let mut out = PLAN_CODES.to_vec();
    out.extend(crate::diag::rule::Rule::ALL.iter().map(|r| r.code()));
    out.push(STALE);
    out.extend(Code::ALL.iter().map(|c| c.as_str()));
    out
}

impl Code {
    /// The code of a file that cannot be read for `error`: `not-utf8` for text
    /// that is not UTF-8 ([`crate::read::text`]), `unreadable` otherwise.
    pub fn of_read(error: &std::io::Error) -> Code {
        match error.kind() {
            std::io::ErrorKind::InvalidData => Code::NotUtf8,
            _ => Code::Unreadable,
        }
    }

    /// Whether `lbipam live` reports this, from what a running cluster holds
    /// (the build never does).
    pub fn is_live(self) -> bool {
        use Code::*;
        matches!(
            self,
            OutsidePools
                | OtherClusterPool
                | HeldInTwoClusters
                | PinNotHeld
                | PinTaken
                | Pending
                | PoolMissing
                | PoolExtra
                | PoolBlocks
                | PoolSelector
                | PoolDisabled
                | PoolConflict
                | GatewayAddress
                | NotChecked
        )
    }

    /// The code of that name.
    pub fn from_name(name: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == name)
    }

    /// Whether a hand-written object may opt out of this finding with
    /// the `lbipam.dev/ignore` annotation (`audit::suppress`): the audits of what hand-written objects
    /// ask for. What the resolver cannot model, the isolation of clusters, file
    /// errors, stale files and plan errors cannot be suppressed.
    pub(crate) fn suppressible(self) -> bool {
        use Code::*;
        matches!(
            self,
            StrayIp
                | NotAnIp
                | ShadowedIpAnnotation
                | UnsubstitutedVariable
                | ForeignSetting
                | DanglingDependsOn
                | FluxInComponent
                | PinnedIpTaken
                | IpInTwoClusters
                | SharingKeyMismatch
                | SharingNamespaceMismatch
                | SharingTrafficPolicyMismatch
                | SharingPortClash
                | DualStackUnsatisfiable
        )
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
