//! The plan: the network, reserved ranges, clusters, pools and pins of plan.toml.
//!
//! The model is built from `Cow`s and plain `Copy` data so that the same types hold
//! a plan parsed at run time and the `PLAN` constant that `build.rs` generates;
//! one set of checks serves both.

pub mod advertise;
pub mod layout;
mod parse;
mod placement;
pub mod selector;
mod spanned;

use std::borrow::Cow;
use std::net::IpAddr;

use ipnet::IpNet;

pub use crate::diag::Span;
pub use crate::net::Block;
pub use advertise::{Advertise, AdvertiseMode, Bgp, L2};
pub use layout::Layout;
pub use parse::parse;
pub(crate) use parse::parse_lenient;
pub use placement::Placed;
pub use selector::{Expression, Label, LabelSelector, Operator};
pub use spanned::{At, List, Str};

/// The whole plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The shared L2 LoadBalancer subnets (`[network] cidr`: one CIDR or a
    /// list, IPv4 and IPv6 alike), in file order. Every block, reserved range
    /// and pin lies inside one of them.
    pub networks: List<At<IpNet>>,
    /// Ranges no pool may take (`[reserved]`), in file order.
    pub reserved: List<Reserved>,
    /// Every cluster, in file order.
    pub clusters: List<Cluster>,
    /// How pins reach Cilium (`[cilium]`).
    pub cilium: Cilium,
    /// What a pin of a given name drives (`[services.NAME]`), in file order.
    pub services: List<Service>,
    /// The Flux `cilium-ipam` Kustomization settings (`[flux]`).
    pub flux: Flux,
    /// Where things are in the repository (`[layout]`).
    pub layout: Layout,
    /// How the audits treat what the kustomize/Flux model does not follow (`[audit]`).
    pub audit: AuditOptions,
}

/// `[audit]`: how the audits treat what the kustomize/Flux model does not
/// follow (a remote base, `helmCharts:`, a source other than this repository).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditOptions {
    /// `strict`: such a construct fails the build instead of being a note.
    pub strict: At<bool>,
}

impl AuditOptions {
    /// Without `[audit]`: what is out of reach is a note.
    pub const DEFAULT: AuditOptions = AuditOptions {
        strict: At::new(false),
    };
}

/// A reserved range (`[reserved] NAME = { range, note }`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reserved {
    /// The key, a DNS-1123 label.
    pub name: At<Str>,
    /// The addresses it holds.
    pub range: At<Block>,
    /// Free text for the docs.
    pub note: Option<Str>,
}

/// A cluster (`[clusters.NAME]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    /// The key, a DNS-1123 label; it names directories and Kubernetes objects.
    pub name: At<Str>,
    /// Its `CiliumLoadBalancerIPPool`s, in file order.
    pub pools: List<Pool>,
    /// Fixed LoadBalancer IPs of well-known services, in file order.
    pub pins: List<Pin>,
    /// How its LoadBalancer IPs are advertised (`advertise`, `[clusters.C.bgp]`,
    /// `[clusters.C.l2]`).
    pub advertise: Advertise,
}

/// A `CiliumLoadBalancerIPPool` (`[clusters.C.pools.NAME]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pool {
    /// The key and the pool's `metadata.name`, a DNS-1123 label.
    pub name: At<Str>,
    /// `spec.blocks`, in file order; the span of the `blocks` key covers them all.
    pub blocks: List<At<Block>>,
    /// Free text for the docs.
    pub note: Option<Str>,
    /// `allow-first-last-ips`: whether Cilium may hand out the first and last
    /// address of this pool's `cidr:` blocks (`spec.allowFirstLastIPs`).
    /// `None` means yes, Cilium's default since 1.16, written out explicitly.
    /// (With `[cilium] version` before 1.16 the parser fills in `false`, that
    /// version's default.)
    pub allow_first_last_ips: Option<At<bool>>,
    /// `service-selector`: the Services the pool serves (`spec.serviceSelector`);
    /// every Service when absent.
    pub service_selector: Option<LabelSelector>,
}

impl Pool {
    /// Whether Cilium may allocate the first and last address of this pool's
    /// `cidr:` blocks.
    pub const fn allows_first_last(&self) -> bool {
        match &self.allow_first_last_ips {
            Some(at) => at.item,
            None => true,
        }
    }

    /// How many addresses Cilium can allocate from this pool: every address of
    /// its blocks, less the first and last of each `cidr:` block of more than
    /// two addresses when the pool does not allow them.
    pub fn allocatable(&self) -> crate::net::Size {
        allocatable(
            self.blocks.iter().map(|b| &b.item),
            self.allows_first_last(),
        )
    }

    /// Whether one of the pool's blocks holds the address.
    pub fn holds(&self, addr: IpAddr) -> bool {
        self.blocks
            .iter()
            .any(|b| b.item.interval().is_some_and(|iv| iv.contains_addr(addr)))
    }

    /// Whether Cilium withholds the first and last address of this block of
    /// this pool.
    pub const fn edges_withheld(&self, block: &Block) -> bool {
        edges_withheld(block, self.allows_first_last())
    }
}

/// Whether Cilium withholds a block's first and last address: a `cidr:` block
/// of more than two addresses in a pool that does not allow first and last
/// IPs. Ranges hand out every address.
pub const fn edges_withheld(block: &Block, allow_first_last: bool) -> bool {
    let (prefix, max) = match block {
        Block::Cidr(ipnet::IpNet::V4(net)) => (net.prefix_len(), net.max_prefix_len()),
        Block::Cidr(ipnet::IpNet::V6(net)) => (net.prefix_len(), net.max_prefix_len()),
        Block::Range { .. } => return false,
    };
    !allow_first_last && prefix + 1 < max
}

/// How many addresses Cilium can allocate from blocks of one pool.
pub fn allocatable<'a>(
    blocks: impl Iterator<Item = &'a Block>,
    allow_first_last: bool,
) -> crate::net::Size {
    use crate::net::Size;
    blocks
        .filter_map(|b| b.interval().map(|iv| (b, iv)))
        .fold(Size::Count(0), |acc, (b, iv)| {
            acc.plus(match iv.size() {
                Size::Count(n) if edges_withheld(b, allow_first_last) => Size::Count(n - 2),
                // 2^128 - 2: the whole IPv6 space less its two ends.
                Size::All128 if edges_withheld(b, allow_first_last) => Size::Count(u128::MAX - 1),
                size => size,
            })
        })
}

/// A pinned LoadBalancer IP (`[clusters.C.pins] SERVICE = "ip"`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pin {
    /// The service it pins; may name a `[services.*]` entry.
    pub service: At<Str>,
    /// The address.
    pub addr: At<IpAddr>,
    /// `pool`: the pool the pin says its address is in (`{ address, pool }`).
    pub pool: Option<At<Str>>,
}

/// `[cilium]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cilium {
    /// The Service annotation that requests an LB-IPAM address.
    pub ip_annotation: At<Str>,
    /// `reserve-pins`: hold each pinned address back from automatic allocation
    /// by cutting it out of its pool into a pool of its own that selects only
    /// the pinned Service.
    pub reserve_pins: At<bool>,
    /// `api-version` of the generated `CiliumLoadBalancerIPPool`s.
    pub api_version: At<ApiVersion>,
    /// `version`: the Cilium minor version the clusters run, whose rules apply.
    pub version: At<Version>,
    /// `load-balancer-protocol-differentiation`: whether the clusters run with
    /// Cilium's `loadBalancer.protocolDifferentiation` (1.17 and later), so
    /// Services on one address may share a port number with different protocols.
    pub protocol_differentiation: At<bool>,
}

/// A Cilium minor version (`1.18`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    /// The minor number: 18 for 1.18.
    pub minor: u8,
}

impl Version {
    /// The version this repository runs, the default.
    pub const DEFAULT: Version = Version { minor: 18 };
    /// The oldest version whose rules lbipam-plan knows.
    pub(crate) const OLDEST: Version = Version { minor: 15 };
    /// The newest version whose rules lbipam-plan knows.
    pub(crate) const NEWEST: Version = Version { minor: 20 };

    /// Whether this is `1.minor` or later.
    pub(crate) const fn at_least(self, minor: u8) -> bool {
        self.minor >= minor
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "1.{}", self.minor)
    }
}

impl Cilium {
    /// `[cilium]` when the plan leaves it out.
    pub const DEFAULT: Cilium = Cilium {
        ip_annotation: At::new(Cow::Borrowed(DEFAULT_IP_ANNOTATION)),
        reserve_pins: At::new(false),
        api_version: At::new(ApiVersion::V2Alpha1),
        version: At::new(Version::DEFAULT),
        protocol_differentiation: At::new(false),
    };
}

/// The `apiVersion` of the generated pools.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiVersion {
    /// `cilium.io/v2alpha1`: the seed's; served but deprecated since Cilium 1.18.
    V2Alpha1,
    /// `cilium.io/v2`: the storage version since Cilium 1.18.
    V2,
}

impl ApiVersion {
    /// Both, as plan.toml and the pools spell them.
    pub const ALL: [ApiVersion; 2] = [ApiVersion::V2Alpha1, ApiVersion::V2];

    /// `cilium.io/v2alpha1` or `cilium.io/v2`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V2Alpha1 => "cilium.io/v2alpha1",
            ApiVersion::V2 => "cilium.io/v2",
        }
    }
}

/// The annotation written when `[cilium] ip-annotation` is not set: the seed
/// repository's `io.cilium/lb-ipam-ips`, which Cilium accepts as an alias of
/// `lbipam.cilium.io/ips`.
pub(crate) const DEFAULT_IP_ANNOTATION: &str = "io.cilium/lb-ipam-ips";

/// `[services.NAME]`: what a pin of that name drives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    /// The pin name it matches.
    pub name: At<Str>,
    /// The `cluster-settings` key that carries the pinned address.
    pub setting: Option<At<Str>>,
    /// The Helm values path of the Service it pins, e.g. `clustermesh.apiserver.service`.
    pub helm_service: Option<At<Str>>,
    /// `service = "NAMESPACE/NAME"`: the Kubernetes Service the pin is for, which
    /// alone may take the address when `[cilium] reserve-pins` is on.
    pub service: Option<At<Str>>,
    /// `labels`: the Service's own labels, which pool selectors are judged
    /// against (with the namespace and name labels LB-IPAM adds).
    pub labels: List<Label>,
}

impl Service {
    /// The namespace and name of `service`, if it is spelled `NAMESPACE/NAME`.
    pub(crate) fn namespaced_name(&self) -> Option<(&str, &str)> {
        self.service.as_ref()?.item.split_once('/')
    }

    /// The labels a pool's `serviceSelector` sees on the Service, if `service`
    /// is known: the plan's `labels`, then the namespace and name labels
    /// LB-IPAM sets (which win, as in Cilium).
    pub(crate) fn selector_labels(&self) -> Option<Vec<(&str, &str)>> {
        let (namespace, name) = self.namespaced_name()?;
        let implicit = [
            (selector::NAMESPACE_LABEL, namespace),
            (selector::NAME_LABEL, name),
        ];
        let mut out: Vec<(&str, &str)> = self
            .labels
            .iter()
            .map(|l| (&*l.key.item, &*l.value.item))
            .filter(|(k, _)| !implicit.iter().any(|(i, _)| i == k))
            .collect();
        out.extend(implicit);
        Some(out)
    }
}

/// `[flux]`: fields of every cluster's `cilium-ipam` Kustomization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flux {
    /// `spec.interval`.
    pub interval: At<Str>,
    /// `spec.timeout`.
    pub timeout: At<Str>,
    /// `metadata.namespace` of every managed Kustomization.
    pub namespace: At<Str>,
    /// `spec.dependsOn`: `NAME` (in [`Flux::namespace`]) or `NAMESPACE/NAME`.
    pub depends_on: List<At<Str>>,
    /// `spec.sourceRef`: the Flux source that is this repository.
    pub source: Source,
}

/// `[flux] source`: the `GitRepository` or `OCIRepository` holding this repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// `GitRepository` or `OCIRepository`.
    pub kind: At<Str>,
    /// Its name.
    pub name: At<Str>,
    /// Its namespace.
    pub namespace: At<Str>,
}

/// A `depends-on` entry as (namespace, name): `NAMESPACE/NAME`, or `NAME`
/// with no namespace of its own (Flux then looks in the dependent's).
pub fn dependency(entry: &str) -> (Option<&str>, &str) {
    match entry.split_once('/') {
        Some((namespace, name)) => (Some(namespace), name),
        None => (None, entry),
    }
}

impl Flux {
    /// `[flux]` when the plan leaves it out: the seed repository's `cilium-ipam`
    /// Kustomization.
    pub const DEFAULT: Flux = Flux {
        interval: At::new(Cow::Borrowed("10m")),
        timeout: At::new(Cow::Borrowed("5m")),
        namespace: At::new(Cow::Borrowed("flux-system")),
        depends_on: Cow::Borrowed(&[At::new(Cow::Borrowed("cilium-core"))]),
        source: Source {
            kind: At::new(Cow::Borrowed("GitRepository")),
            name: At::new(Cow::Borrowed("flux-system")),
            namespace: At::new(Cow::Borrowed("flux-system")),
        },
    };
}

impl Plan {
    /// The network holding all of `iv`, if one does (the networks of a checked
    /// plan do not overlap, so at most one does).
    pub(crate) fn network_of(&self, iv: &crate::net::Interval) -> Option<&At<IpNet>> {
        self.networks
            .iter()
            .find(|n| crate::net::Interval::of_net(n.item).contains(iv))
    }

    /// Whether some network holds the address.
    pub fn in_networks(&self, addr: IpAddr) -> bool {
        self.network_of(&crate::net::Interval::of_addr(addr))
            .is_some()
    }

    /// The networks of one family (or all), as messages name them:
    /// `10.25.11.0/24`, or `10.25.11.0/24 or 10.25.12.0/24`.
    pub fn networks_text(&self, v6: Option<bool>) -> String {
        let names: Vec<String> = self
            .networks
            .iter()
            .filter(|n| v6.is_none_or(|v6| n.item.addr().is_ipv6() == v6))
            .map(|n| n.item.trunc().to_string())
            .collect();
        names.join(" or ")
    }

    /// The cluster of that name.
    pub fn cluster(&self, name: &str) -> Option<&Cluster> {
        self.clusters.iter().find(|c| c.name.item == name)
    }

    /// The `[services.*]` entry a pin of this name drives.
    pub fn service(&self, pin: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name.item == pin)
    }
}

impl Cluster {
    /// Whether the address is inside one of this cluster's pools.
    pub fn holds(&self, addr: IpAddr) -> bool {
        self.pools.iter().any(|p| p.holds(addr))
    }

    /// The address families its pools hand out: (IPv4, IPv6).
    pub fn families(&self) -> (bool, bool) {
        let blocks = || self.pools.iter().flat_map(|p| p.blocks.iter());
        let v6 = |b: &At<Block>| b.item.first().is_ipv6();
        (blocks().any(|b| !v6(b)), blocks().any(v6))
    }
}
