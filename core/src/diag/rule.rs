//! Plan rules of pool selectors, advertisement and the Cilium version, each
//! with its stable code: one [`Rule`] per finding, carried by
//! [`crate::diag::error::Error::Rule`] with its message.

macro_rules! rules {
    ($($(#[doc = $doc:literal])* $variant:ident = ($code:literal, $label:literal, $kind:literal),)*) => {
        /// A plan rule of selectors, advertisement or the Cilium version.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Rule {
            /// Every rule, in declaration order.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)*];

            /// The stable code (`pool-selector-mismatch`).
            pub const fn code(self) -> &'static str {
                match self {
                    $(Rule::$variant => $code,)*
                }
            }

            /// The caret label under the offending value.
            pub const fn label(self) -> &'static str {
                match self {
                    $(Rule::$variant => $label,)*
                }
            }

            /// What kind of problem it is, as a summary counts them.
            pub const fn kind(self) -> &'static str {
                match self {
                    $(Rule::$variant => $kind,)*
                }
            }
        }
    };
}

rules! {
    /// `In`/`NotIn` without values, or `Exists`/`DoesNotExist` with some.
    SelectorValues = ("selector-values", "values do not fit the operator", "selector expression with the wrong values"),
    /// A pin's `pool` names no pool of its cluster, or one that does not hold its address.
    PinPoolMismatch = ("pin-pool-mismatch", "not this pin's pool", "pin outside the pool it names"),
    /// A pin whose pool's `service-selector` cannot match the pin's Service.
    PoolSelectorMismatch = ("pool-selector-mismatch", "selector cannot match the Service", "pin in a pool that does not select its Service"),
    /// `advertise` without the table of its mode, a table of another mode, an ASN out of range.
    InvalidAdvertisement = ("invalid-advertisement", "advertisement settings", "invalid advertisement"),
    /// A BGP peer that is not a reserved address, or lies in a pool.
    BgpPeerNotReserved = ("bgp-peer-not-reserved", "BGP peer address", "BGP peer outside the reserved ranges"),
    /// An `l2` cluster with an IPv6 block: L2 announcements answer ARP only.
    L2Ipv6 = ("l2-ipv6", "IPv6 block", "IPv6 block in an L2-announced cluster"),
    /// A setting the configured Cilium version does not have or no longer serves.
    CiliumVersion = ("cilium-version", "not in this Cilium version", "setting the Cilium version does not support"),
}
