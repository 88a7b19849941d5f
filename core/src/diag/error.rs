//! The project-wide error: everything that can be wrong with a plan or with a
//! file the build reads, each with the span or position it points at.

use std::fmt::{self, Write as _};
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::diag::codes::Code;
use crate::yaml::YamlError;

/// Everything that can be wrong with a plan or with a file the build reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// plan.toml is not valid TOML.
    Syntax { span: Span, message: String },
    /// A key plan.toml does not know (a typo must not be silently ignored).
    UnknownKey {
        span: Span,
        key: String,
        table: String,
        expected: String,
    },
    /// A required key is missing.
    MissingKey {
        span: Span,
        key: &'static str,
        table: String,
    },
    /// A value of the wrong TOML type.
    WrongType {
        span: Span,
        key: String,
        expected: &'static str,
        found: &'static str,
    },
    /// A string that does not parse as what it must be.
    BadValue {
        span: Span,
        what: Subject,
        value: String,
        reason: String,
    },
    /// A range whose start is after its stop.
    StartAfterStop { span: Span, value: String },
    /// A range from an IPv4 to an IPv6 address, or a block of the other family
    /// than the network.
    MixedFamily {
        span: Span,
        value: String,
        network: String,
    },
    /// A CIDR written with host bits set.
    HostBits {
        span: Span,
        value: String,
        network: String,
    },
    /// A block, reserved range or pin not inside `network.cidr`.
    OutsideNetwork {
        span: Span,
        what: String,
        value: String,
        network: String,
    },
    /// Two ranges share addresses.
    Overlap {
        span: Span,
        other_span: Span,
        owner: String,
        range: String,
        other: String,
        at: String,
    },
    /// A pin that no pool of its own cluster holds.
    PinOutsidePool {
        span: Span,
        pin: String,
        cluster: String,
        addr: IpAddr,
        /// Who holds the address instead, if anyone.
        holder: Option<String>,
    },
    /// Two pins on one address.
    DuplicatePin {
        span: Span,
        other_span: Span,
        addr: IpAddr,
        pin: String,
        other: String,
    },
    /// A name that is not a DNS-1123 label.
    BadName {
        span: Span,
        what: Subject,
        name: String,
        reason: &'static str,
    },
    /// `[clusters]` without any cluster.
    NoClusters { span: Span },
    /// A cluster without any pool.
    NoPools { span: Span, cluster: String },
    /// A pool without any block.
    NoBlocks {
        span: Span,
        pool: String,
        cluster: String,
    },
    /// Two services write the same cluster-settings key or Helm values path.
    DuplicateSetting {
        span: Span,
        other_span: Span,
        /// `cluster-settings key` or `Helm values path`.
        what: &'static str,
        setting: String,
    },
    /// A file the plan renders (whole, or the parts the build owns) whose committed
    /// text differs, found by a build in check mode.
    Stale {
        path: PathBuf,
        /// The first line that differs (1-based).
        line: usize,
        /// That line as committed; `None` when the file is missing.
        found: Option<String>,
        /// That line as the plan renders it; `None` when the plan renders no such file.
        rendered: Option<String>,
    },
    /// A pool block or pin holding the network or broadcast address of the
    /// (IPv4, /30 or larger) network, which Cilium would hand out to a Service.
    NetworkOrBroadcast {
        span: Span,
        /// `block of POOL (CLUSTER)` or `pin SERVICE (CLUSTER)`.
        what: String,
        value: String,
        addr: IpAddr,
        /// `network` or `broadcast`.
        which: &'static str,
        network: String,
        /// What to do about it, which depends on what holds the address.
        fix: EdgeFix,
    },
    /// A pin on the first or last address of a `cidr:` block whose pool does
    /// not allow first and last IPs: Cilium never hands it out.
    PinNotAllocatable {
        span: Span,
        other_span: Span,
        pin: String,
        addr: IpAddr,
        /// `first` or `last`.
        edge: &'static str,
        block: String,
        pool: String,
    },
    /// With `[cilium] reserve-pins`, a pin whose `[services.NAME]` has no
    /// `service = "NAMESPACE/NAME"`: its own pool could select no Service.
    PinWithoutService {
        span: Span,
        pin: String,
        cluster: String,
    },
    /// A rule of pool selectors, advertisement or the Cilium version; the
    /// message is made where the rule is checked, its plan strings escaped
    /// ([`shown`]).
    Rule {
        span: Span,
        /// A second place and what it is, if the rule relates two.
        related: Option<(Span, &'static str)>,
        rule: crate::diag::rule::Rule,
        message: String,
    },
    /// A problem in a file of the repository other than plan.toml.
    File {
        /// Which problem it is.
        code: Code,
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
        /// Other places the finding involves (the other Service on one address).
        related: Vec<Related>,
    },
}

/// A place a finding involves besides its own, with what it is there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    /// The file, relative to the repository root.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is there (`also requested here`).
    pub label: String,
}

/// What a [`Error::BadValue`] or [`Error::BadName`] is about: the value's
/// place in plan.toml, so code can tell problems apart without reading
/// messages. Shown as the words a message uses (`pinned address`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    /// `network.cidr`.
    NetworkCidr,
    /// A `[reserved]` range (its value or its name).
    ReservedRange,
    /// A block of a pool.
    Block,
    /// The address of a pin.
    PinnedAddress,
    /// The name of a cluster.
    Cluster,
    /// The name of a pool.
    Pool,
    /// The service name of a pin.
    Pin,
    /// The name of a `[services.NAME]` table.
    Service,
    /// `service = "NAMESPACE/NAME"` of a service.
    ServiceRef,
    /// `[cilium] api-version`.
    CiliumApiVersion,
    /// `[cilium] ip-annotation`.
    AnnotationKey,
    /// The `setting` of a service: a key of the cluster-settings ConfigMap.
    SettingKey,
    /// The `helm-service` of a service: a path into the Helm values.
    HelmValuesPath,
    /// `[flux] interval` or `timeout`.
    Duration,
    /// `[flux] depends-on`: the name of a Flux Kustomization.
    FluxKustomization,
    /// `[flux] namespace`, or the namespace of a `depends-on` entry.
    FluxNamespace,
    /// A glob of `[layout] exclude`.
    Glob,
    /// `[flux] source` `kind`.
    FluxSourceKind,
    /// A path of `[layout]`.
    LayoutPath,
    /// A label key of a selector or of a Service's `labels`.
    LabelKey,
    /// A label value.
    LabelValue,
    /// The `operator` of a selector expression.
    SelectorOperator,
    /// An interface regular expression of `[clusters.C.l2]`.
    InterfaceRegex,
    /// `[cilium] version`.
    CiliumVersion,
    /// A cluster's `advertise`.
    AdvertiseMode,
    /// A BGP peer address.
    PeerAddress,
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Subject::*;
        f.write_str(match self {
            NetworkCidr => "network CIDR",
            ReservedRange => "reserved range",
            Block => "block",
            PinnedAddress => "pinned address",
            Cluster => "cluster",
            Pool => "pool",
            Pin => "pin",
            Service => "service",
            ServiceRef => "Service",
            CiliumApiVersion => "Cilium API version",
            AnnotationKey => "annotation key",
            SettingKey => "cluster-settings key",
            HelmValuesPath => "Helm values path",
            Duration => "duration",
            FluxKustomization => "Flux Kustomization",
            FluxNamespace => "Flux namespace",
            Glob => "glob",
            FluxSourceKind => "Flux source kind",
            LayoutPath => "layout path",
            LabelKey => "label key",
            LabelValue => "label value",
            SelectorOperator => "selector operator",
            InterfaceRegex => "interface regular expression",
            CiliumVersion => "Cilium version",
            AdvertiseMode => "advertise mode",
            PeerAddress => "BGP peer address",
        })
    }
}

/// Where an error points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location<'a> {
    /// A span of plan.toml, and optionally a second span it relates to.
    Plan {
        span: Span,
        related: Option<(Span, &'static str)>,
    },
    /// A 1-based position in another file.
    File {
        path: &'a std::path::Path,
        line: usize,
        column: usize,
    },
}

/// How to keep the network's network or broadcast address from being handed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeFix {
    /// A `cidr:` block in a pool that lets Cilium hand out its ends.
    CidrBlock,
    /// A `start-stop` range, which hands out every address.
    Range,
    /// A pin.
    Pin,
}

impl EdgeFix {
    /// The fix, as the error says it: the setting that decides, where one does.
    pub fn text(self) -> &'static str {
        match self {
            EdgeFix::CidrBlock => {
                "set `allow-first-last-ips = false` on the pool (Cilium then withholds the first and last address of its `cidr:` blocks), or leave the address out of the block"
            }
            EdgeFix::Range => {
                "leave it out of the range (Cilium hands out every address of a range; only a `cidr:` block in a pool with `allow-first-last-ips = false` keeps its ends back)"
            }
            EdgeFix::Pin => "pin another address",
        }
    }
}

/// What to do about a stale file: the help of each, and the report's last word.
pub(crate) const STALE_HELP: &str =
    "run `cargo build` without CI (and without LBIPAM_CHECK) and commit the result";

impl Error {
    /// A finding in a file other than plan.toml, with no related place.
    pub fn file(
        code: Code,
        path: impl Into<PathBuf>,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Error {
        Error::File {
            code,
            path: path.into(),
            line,
            column,
            message: message.into(),
            related: Vec::new(),
        }
    }

    /// The finding with one more related place (a no-op on a plan error, whose
    /// related span is part of its variant).
    pub(crate) fn with_related(mut self, at: Related) -> Error {
        if let Error::File { related, .. } = &mut self {
            related.push(at);
        }
        self
    }

    /// The related places of a finding in a file other than plan.toml.
    pub fn related_files(&self) -> &[Related] {
        match self {
            Error::File { related, .. } => related,
            _ => &[],
        }
    }

    /// How to fix it, when there is one thing to do whatever the details: added
    /// when the finding is shown (`= help:`, the `help` of JSON), never part of
    /// its message, so the model's findings say what is wrong and the rendering
    /// says what to run.
    pub fn help(&self) -> Option<&'static str> {
        match self {
            Error::File { code, .. } => code.help(),
            Error::Stale { .. } => Some(STALE_HELP),
            _ => None,
        }
    }

    /// Where the error points.
    pub fn location(&self) -> Location<'_> {
        use Error::*;
        let plan = |span: Span| Location::Plan {
            span,
            related: None,
        };
        match self {
            Syntax { span, .. }
            | UnknownKey { span, .. }
            | MissingKey { span, .. }
            | WrongType { span, .. }
            | BadValue { span, .. }
            | StartAfterStop { span, .. }
            | MixedFamily { span, .. }
            | HostBits { span, .. }
            | OutsideNetwork { span, .. }
            | PinOutsidePool { span, .. }
            | BadName { span, .. }
            | NoClusters { span }
            | NoPools { span, .. }
            | NoBlocks { span, .. }
            | NetworkOrBroadcast { span, .. }
            | PinWithoutService { span, .. } => plan(*span),
            PinNotAllocatable {
                span, other_span, ..
            } => Location::Plan {
                span: *span,
                related: Some((*other_span, "the block")),
            },
            Overlap {
                span, other_span, ..
            } => Location::Plan {
                span: *span,
                related: Some((*other_span, "overlapped range")),
            },
            DuplicatePin {
                span, other_span, ..
            } => Location::Plan {
                span: *span,
                related: Some((*other_span, "first pinned here")),
            },
            DuplicateSetting {
                span, other_span, ..
            } => Location::Plan {
                span: *span,
                related: Some((*other_span, "first used here")),
            },
            Rule { span, related, .. } => Location::Plan {
                span: *span,
                related: *related,
            },
            File {
                path, line, column, ..
            } => Location::File {
                path,
                line: *line,
                column: *column,
            },
            Stale { path, line, .. } => Location::File {
                path,
                line: *line,
                column: 1,
            },
        }
    }

    /// A stable, machine-readable name of the kind of error (`overlap`,
    /// `pin-outside-pool`, ...), for JSON output and scripts. Never changes
    /// once published; manual/codes.md lists every code.
    pub fn code(&self) -> &'static str {
        self.names().0
    }

    /// A short label for the caret under the offending value.
    pub fn label(&self) -> &'static str {
        self.names().1
    }

    /// Each variant's code, caret label and kind as a summary counts it, one
    /// row per variant so the three are written and read together.
    fn names(&self) -> (&'static str, &'static str, &'static str) {
        use Error::*;
        match self {
            Syntax { .. } => ("syntax", "invalid TOML", "invalid TOML"),
            UnknownKey { .. } => ("unknown-key", "unknown key", "unknown key"),
            MissingKey { .. } => ("missing-key", "in this table", "missing key"),
            WrongType { .. } => ("wrong-type", "wrong type", "value of the wrong type"),
            BadValue { .. } => ("bad-value", "cannot parse", "invalid value"),
            StartAfterStop { .. } => (
                "start-after-stop",
                "start is after stop",
                "range starting after it stops",
            ),
            MixedFamily { .. } => (
                "mixed-family",
                "wrong address family",
                "IPv4 mixed with IPv6",
            ),
            HostBits { .. } => ("host-bits", "host bits set", "CIDR with host bits set"),
            OutsideNetwork { .. } => (
                "outside-network",
                "outside the network",
                "outside the network",
            ),
            Overlap { .. } => ("overlap", "overlap", "overlap"),
            PinOutsidePool { .. } => (
                "pin-outside-pool",
                "not in this cluster's pools",
                "pin outside its cluster's pools",
            ),
            DuplicatePin { .. } => ("duplicate-pin", "pinned twice", "address pinned twice"),
            NoClusters { .. } => ("no-clusters", "no cluster", "no cluster"),
            BadName { .. } => ("bad-name", "invalid name", "invalid name"),
            NoPools { .. } => ("no-pools", "cluster without pools", "cluster without pools"),
            NoBlocks { .. } => ("no-blocks", "pool without blocks", "pool without blocks"),
            DuplicateSetting { .. } => (
                "duplicate-setting",
                "setting written twice",
                "setting written by two services",
            ),
            File { code, .. } => (code.as_str(), "here", "problem in a file"),
            Stale { .. } => (
                "stale",
                "differs from plan.toml",
                "file differing from plan.toml",
            ),
            NetworkOrBroadcast { .. } => (
                "network-or-broadcast",
                "holds a network or broadcast address",
                "network or broadcast address handed out",
            ),
            PinNotAllocatable { .. } => (
                "pin-not-allocatable",
                "never handed out",
                "pin Cilium never hands out",
            ),
            PinWithoutService { .. } => (
                "pin-without-service",
                "pin without its Service",
                "held-back pin without its Service",
            ),
            Rule { rule, .. } => (rule.code(), rule.label(), rule.kind()),
        }
    }

    /// What kind of problem this is, as a summary counts them: `invalid block`,
    /// `overlap`, `unknown key`.
    pub fn kind(&self) -> String {
        match self {
            Error::BadValue { what, .. } => format!("invalid {what}"),
            Error::BadName { what, .. } => format!("invalid {what} name"),
            Error::File { path, .. } => {
                format!(
                    "problem in {}",
                    crate::text::one_line(&path.display().to_string())
                )
            }
            _ => self.names().2.to_owned(),
        }
    }
}

/// A string from plan.toml as messages show it: one line, ASCII. A newline
/// cannot forge another `file:line:col:` line, and a look-alike (Cyrillic `а`
/// in a name) shows as `\u{430}` instead of passing for `a`.
struct Shown<'a>(&'a str);

/// A string from plan.toml as messages show it (one line, ASCII), for the
/// messages of [`Error::Rule`], which are made before they are printed.
pub fn shown(s: &str) -> String {
    Shown(s).to_string()
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '\\' => f.write_str("\\\\")?,
                ' '..='~' => f.write_char(c)?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c => write!(f, "{}", c.escape_unicode())?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for Error {
    /// The message without its location; see [`crate::diag`] for the full report.
    /// Every string that comes from plan.toml is shown through `Shown`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Error::*;
        match self {
            Syntax { .. }
            | UnknownKey { .. }
            | MissingKey { .. }
            | WrongType { .. }
            | BadValue { .. } => self.fmt_toml(f),
            StartAfterStop { .. }
            | MixedFamily { .. }
            | HostBits { .. }
            | OutsideNetwork { .. }
            | Overlap { .. }
            | NetworkOrBroadcast { .. } => self.fmt_address(f),
            PinOutsidePool { .. }
            | DuplicatePin { .. }
            | PinNotAllocatable { .. }
            | PinWithoutService { .. } => self.fmt_pin(f),
            BadName { .. }
            | NoClusters { .. }
            | NoPools { .. }
            | NoBlocks { .. }
            | DuplicateSetting { .. } => self.fmt_shape(f),
            Stale {
                found, rendered, ..
            } => match (found, rendered) {
                (None, _) => f.write_str("missing; plan.toml renders this file"),
                (Some(_), None) => {
                    f.write_str("not in the plan: a generated file plan.toml no longer renders")
                }
                (Some(found), Some(rendered)) => write!(
                    f,
                    "differs from plan.toml: the file has `{}`, plan.toml renders `{}`",
                    Shown(found),
                    Shown(rendered)
                ),
            },
            Rule { message, .. } => f.write_str(message),
            // Built from hand-written files: kept on one line (control characters
            // escaped) so a value cannot forge another `file:line:col:` line.
            File { message, .. } => f.write_str(&crate::text::one_line(message)),
        }
    }
}

/// The messages of the plan's errors, by kind; each shows only its own
/// variants (`fmt` sends each variant to one of them).
impl Error {
    /// The TOML of plan.toml: syntax, keys, types and values.
    fn fmt_toml(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Error::*;
        let s = Shown;
        match self {
            Syntax { message, .. } => write!(f, "invalid TOML: {}", message.trim_end()),
            UnknownKey {
                key,
                table,
                expected,
                ..
            } => write!(
                f,
                "unknown key `{}` in {} (expected one of: {expected})",
                s(key),
                s(table)
            ),
            MissingKey { key, table, .. } => {
                write!(f, "missing key `{key}` in {}", s(table))
            }
            WrongType {
                key,
                expected,
                found,
                ..
            } => write!(f, "`{}` must be {expected}, found {found}", s(key)),
            BadValue {
                what,
                value,
                reason,
                ..
            } => write!(f, "invalid {what} `{}`: {reason}", s(value)),
            _ => Ok(()),
        }
    }

    /// The address rules: ranges, families, networks, overlaps.
    fn fmt_address(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Error::*;
        let s = Shown;
        match self {
            StartAfterStop { value, .. } => {
                write!(f, "range `{}` starts after it stops", s(value))
            }
            MixedFamily { value, network, .. } => {
                write!(
                    f,
                    "`{}` mixes IPv4 and IPv6 (network is {network})",
                    s(value)
                )
            }
            HostBits { value, network, .. } => write!(
                f,
                "CIDR `{}` has host bits set; did you mean `{network}`?",
                s(value)
            ),
            OutsideNetwork {
                what,
                value,
                network,
                ..
            } => write!(f, "{} `{}` is outside network {network}", s(what), s(value)),
            Overlap {
                owner,
                range,
                other,
                at,
                ..
            } => write!(f, "{} {range} overlaps {} at {at}", s(owner), s(other)),
            NetworkOrBroadcast {
                what,
                value,
                addr,
                which,
                network,
                fix,
                ..
            } => write!(
                f,
                "{} `{}` holds {addr}, the {which} address of {network}: Cilium would hand it out; {}",
                s(what),
                s(value),
                fix.text()
            ),
            _ => Ok(()),
        }
    }

    /// The pins: in a pool, once, handed out, with their Service.
    fn fmt_pin(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Error::*;
        let s = Shown;
        match self {
            PinOutsidePool {
                pin,
                cluster,
                addr,
                holder,
                ..
            } => {
                let (pin, cluster) = (s(pin), s(cluster));
                write!(
                    f,
                    "pin {pin} ({cluster}) {addr} is not in any pool of cluster {cluster}"
                )?;
                match holder {
                    Some(h) => write!(f, "; it belongs to {}", s(h)),
                    None => Ok(()),
                }
            }
            DuplicatePin {
                addr, pin, other, ..
            } => write!(f, "pin {} {addr} is also pinned by {}", s(pin), s(other)),
            PinNotAllocatable {
                pin,
                addr,
                edge,
                block,
                pool,
                ..
            } => write!(
                f,
                "pin {} {addr} is the {edge} address of `{block}` in {}, which Cilium does not hand out (allow-first-last-ips = false)",
                s(pin),
                s(pool)
            ),
            PinWithoutService { pin, cluster, .. } => write!(
                f,
                "pin {} ({}) needs `service = \"NAMESPACE/NAME\"` in [services.{}]: with [cilium] reserve-pins its address goes to a pool that selects only that Service",
                s(pin),
                s(cluster),
                s(pin)
            ),
            _ => Ok(()),
        }
    }

    /// The shape of the plan: names, clusters, pools, blocks, settings.
    fn fmt_shape(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Error::*;
        let s = Shown;
        match self {
            BadName {
                what, name, reason, ..
            } => write!(
                f,
                "{what} name `{}` is not a DNS-1123 label: {reason}",
                s(name)
            ),
            NoClusters { .. } => {
                f.write_str("[clusters] has no cluster; a plan needs at least one")
            }
            NoPools { cluster, .. } => write!(f, "cluster {} has no pool", s(cluster)),
            NoBlocks { pool, cluster, .. } => {
                write!(f, "pool {} ({}) has no block", s(pool), s(cluster))
            }
            DuplicateSetting { what, setting, .. } => {
                write!(f, "{what} `{}` is written by two services", s(setting))
            }
            _ => Ok(()),
        }
    }
}

impl std::error::Error for Error {}

/// The findings of a file the build reads or edits: every site that reads or
/// edits a file words the same failure the same way, naming the file.
impl Error {
    /// The file's YAML cannot be read safely (it does not parse, or a YAML 1.1
    /// reader would read its line breaks differently).
    pub(crate) fn invalid_yaml(path: &Path, error: YamlError) -> Error {
        let message = format!("{}: {}", path.display(), error.message);
        Error::file(Code::InvalidYaml, path, error.line, error.column, message)
    }

    /// The document of `path` starting on `line` is not valid YAML.
    pub(crate) fn not_yaml(path: &Path, line: usize, error: &yaml_serde::Error) -> Error {
        let (l, c) = error.location().map_or((0, 1), |l| (l.line(), l.column()));
        let message = format!("{} is not valid YAML: {error}", path.display());
        Error::file(
            Code::InvalidYaml,
            path,
            line + l.saturating_sub(1),
            c,
            message,
        )
    }

    /// The edit of the parts the build owns in `path` was refused.
    pub(crate) fn edit_refused(path: &Path, error: YamlError) -> Error {
        let message = format!("cannot update {}: {}", path.display(), error.message);
        Error::file(Code::EditRefused, path, error.line, error.column, message)
    }

    /// `path` exists but cannot be read.
    pub fn unreadable(path: &Path, error: &io::Error) -> Error {
        let message = format!("cannot read {}: {error}", path.display());
        Error::file(Code::of_read(error), path, 1, 1, message)
    }
}

/// Byte offsets of a value in plan.toml (`start..end`); `0..0` when unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// The span as a `Range<usize>` for slicing and diagnostics.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}
