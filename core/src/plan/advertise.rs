//! How a cluster makes its LoadBalancer IPs reachable (`advertise`): over BGP
//! (a `CiliumBGPAdvertisement`), by L2 announcements (a
//! `CiliumL2AnnouncementPolicy`), or not through the plan at all.

use std::net::IpAddr;

use super::selector::{Label, LabelSelector};
use super::spanned::{At, List, Str};
use crate::diag::Span;

/// `advertise` of a cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdvertiseMode {
    /// Nothing is generated (the default: today's output).
    None,
    /// A `CiliumBGPAdvertisement` of the cluster's LoadBalancer IPs.
    Bgp,
    /// A `CiliumL2AnnouncementPolicy` announcing them by ARP.
    L2,
}

impl AdvertiseMode {
    /// Every mode, as plan.toml spells it.
    pub const ALL: [AdvertiseMode; 3] =
        [AdvertiseMode::None, AdvertiseMode::Bgp, AdvertiseMode::L2];

    /// `none`, `bgp` or `l2`.
    pub const fn as_str(self) -> &'static str {
        match self {
            AdvertiseMode::None => "none",
            AdvertiseMode::Bgp => "bgp",
            AdvertiseMode::L2 => "l2",
        }
    }
}

/// A cluster's advertisement: its mode and the settings of that mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Advertise {
    /// `advertise`.
    pub mode: At<AdvertiseMode>,
    /// `[clusters.C.bgp]`.
    pub bgp: Option<Bgp>,
    /// `[clusters.C.l2]`.
    pub l2: Option<L2>,
}

impl Advertise {
    /// A cluster that leaves `advertise` out.
    pub const NONE: Advertise = Advertise {
        mode: At::new(AdvertiseMode::None),
        bgp: None,
        l2: None,
    };
}

/// `[clusters.C.bgp]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bgp {
    /// `peer-address`: the BGP router the cluster peers with (a reserved address).
    pub peer_address: At<IpAddr>,
    /// `peer-asn`: its autonomous system number.
    pub peer_asn: At<u32>,
    /// `advertise-labels`: the labels of the `CiliumBGPAdvertisement`, which the
    /// cluster's `CiliumBGPPeerConfig` selects in its `families[].advertisements`.
    pub advertise_labels: List<Label>,
    /// `service-selector`: the Services advertised; every Service when absent.
    pub service_selector: Option<LabelSelector>,
    /// The table.
    pub span: Span,
}

/// `[clusters.C.l2]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct L2 {
    /// `interfaces`: regular expressions of the interfaces to announce on.
    pub interfaces: List<At<Str>>,
    /// `node-selector`: the nodes that announce; every node when absent.
    pub node_selector: Option<LabelSelector>,
    /// `service-selector`: the Services announced; every Service when absent.
    pub service_selector: Option<LabelSelector>,
    /// The table.
    pub span: Span,
}
