//! `plan.rs`: the plan as Rust constants, `include!`d by the `lbipam-plan` crate.

use std::net::IpAddr;

use ipnet::IpNet;
use proc_macro2::{Delimiter, Literal, Spacing, TokenStream, TokenTree};
use quote::quote;

use crate::header::{GENERATED, HOW_TO_CHANGE};
use crate::net::Block;
use crate::plan::{
    Advertise, AdvertiseMode, ApiVersion, At, Cluster, Label, LabelSelector, Layout, Operator,
    Plan, Pool, Reserved, Service, Span, Str,
};

/// The whole plan as a `PLAN` constant with typed addresses, followed by a
/// `const` assertion that re-checks it at compile time, so the crate cannot be
/// built from an invalid plan even if this file is edited by hand.
pub(crate) fn rust_constants(plan: &Plan) -> String {
    let plan_tokens = plan_tokens(plan);
    let file = quote! {
        /// The plan of `plan.toml`, checked when `cargo build` generated this file.
        pub const PLAN: ::lbipam_core::plan::Plan = #plan_tokens;

        // The plan is proved valid again while this crate compiles.
        ::lbipam_core::assert_plan!(PLAN);
    };
    let mut text = format!("// {GENERATED}\n// {HOW_TO_CHANGE}\n\n");
    layout_tokens(file, 0, &mut text);
    text.push('\n');
    text
}

/// Writes tokens one struct field or list item a line, indented by nesting, so a
/// compile error in `plan.rs` points at a readable line. (A formatter such as
/// prettyplease would need syn's full parser in every cold build.)
fn layout_tokens(tokens: TokenStream, depth: usize, out: &mut String) {
    let mut joint_colon = false;
    for tree in tokens {
        let was_joint_colon = std::mem::take(&mut joint_colon);
        match tree {
            TokenTree::Group(g) => group(&g, depth, out),
            TokenTree::Punct(p) => match p.as_char() {
                ',' | ';' if depth_is_block(out) => {
                    out.push(p.as_char());
                    newline(out, depth);
                }
                ',' => out.push_str(", "),
                ':' if p.spacing() == Spacing::Joint => {
                    out.push(':');
                    joint_colon = true;
                }
                ':' if was_joint_colon => out.push(':'),
                ':' => out.push_str(": "),
                '=' => {
                    space_unless_open(out);
                    out.push_str("= ");
                }
                c => out.push(c),
            },
            other => {
                if out.ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ')') {
                    out.push(' ');
                }
                out.push_str(&other.to_string());
            }
        }
    }
}

/// Whether the innermost open delimiter of `out` is a brace or bracket (one item a
/// line) rather than a parenthesis (items inline).
fn depth_is_block(out: &str) -> bool {
    let mut depth = 0i32;
    for c in out.chars().rev() {
        match c {
            ')' | ']' | '}' => depth += 1,
            '(' if depth == 0 => return false,
            '[' | '{' if depth == 0 => return true,
            '(' | '[' | '{' => depth -= 1,
            _ => {}
        }
    }
    true
}

fn group(g: &proc_macro2::Group, depth: usize, out: &mut String) {
    let (open, close) = match g.delimiter() {
        Delimiter::Parenthesis => ('(', ')'),
        Delimiter::Bracket => ('[', ']'),
        _ => ('{', '}'),
    };
    if open == '{' {
        space_unless_open(out);
    }
    // Calls and attributes (`#[doc = …]`) stay on their line.
    let attribute = out.ends_with('#');
    let inline = open == '(' || attribute;
    out.push(open);
    if inline {
        layout_tokens(g.stream(), depth, out);
    } else if !g.stream().is_empty() {
        newline(out, depth + 1);
        layout_tokens(g.stream(), depth + 1, out);
        while out.ends_with([' ', '\n']) {
            out.pop();
        }
        newline(out, depth);
    }
    out.push(close);
    if attribute {
        newline(out, depth);
    }
}

fn newline(out: &mut String, depth: usize) {
    while out.ends_with(' ') {
        out.pop();
    }
    out.push('\n');
    out.push_str(&"    ".repeat(depth));
}

fn space_unless_open(out: &mut String) {
    if !out.ends_with([' ', '\n', '(', '[', '{', '&', ':']) && !out.is_empty() {
        out.push(' ');
    }
}

fn plan_tokens(plan: &Plan) -> TokenStream {
    let networks = list(plan.networks.iter().map(|n| at(n, |n| net(*n))));
    let reserved = list(plan.reserved.iter().map(reserved));
    let clusters = list(plan.clusters.iter().map(cluster));
    let annotation = at(&plan.cilium.ip_annotation, string);
    let reserve_pins = at(&plan.cilium.reserve_pins, |b| quote! { #b });
    let api_version = at(&plan.cilium.api_version, |v| match v {
        ApiVersion::V2Alpha1 => quote! { ::lbipam_core::plan::ApiVersion::V2Alpha1 },
        ApiVersion::V2 => quote! { ::lbipam_core::plan::ApiVersion::V2 },
    });
    let version = at(&plan.cilium.version, |v| {
        let minor = v.minor;
        quote! { ::lbipam_core::plan::Version { minor: #minor } }
    });
    let differentiation = at(&plan.cilium.protocol_differentiation, |b| quote! { #b });
    let services = list(plan.services.iter().map(service));
    let interval = at(&plan.flux.interval, string);
    let timeout = at(&plan.flux.timeout, string);
    let flux_namespace = at(&plan.flux.namespace, string);
    let depends_on = list(plan.flux.depends_on.iter().map(|d| at(d, string)));
    let source = &plan.flux.source;
    let (kind, name, namespace) = (
        at(&source.kind, string),
        at(&source.name, string),
        at(&source.namespace, string),
    );
    let layout = layout(&plan.layout);
    let strict = at(&plan.audit.strict, |b| quote! { #b });
    quote! {
        ::lbipam_core::plan::Plan {
            networks: #networks,
            reserved: #reserved,
            clusters: #clusters,
            cilium: ::lbipam_core::plan::Cilium {
                ip_annotation: #annotation,
                reserve_pins: #reserve_pins,
                api_version: #api_version,
                version: #version,
                protocol_differentiation: #differentiation,
            },
            services: #services,
            flux: ::lbipam_core::plan::Flux {
                interval: #interval,
                timeout: #timeout,
                namespace: #flux_namespace,
                depends_on: #depends_on,
                source: ::lbipam_core::plan::Source {
                    kind: #kind,
                    name: #name,
                    namespace: #namespace,
                },
            },
            layout: #layout,
            audit: ::lbipam_core::plan::AuditOptions { strict: #strict },
        }
    }
}

fn layout(l: &Layout) -> TokenStream {
    let s = |v: &At<Str>| at(v, string);
    let (pools_dir, pool_file, cluster_dir) = (s(&l.pools_dir), s(&l.pool_file), s(&l.cluster_dir));
    let (flux_file, flux_name) = (s(&l.flux_file), s(&l.flux_name));
    let (settings_file, settings_name) = (s(&l.settings_file), s(&l.settings_name));
    let (helm_values, docs_dir) = (s(&l.helm_values), s(&l.docs_dir));
    let audit = list(l.audit.iter().map(s));
    let exclude = list(l.exclude.iter().map(s));
    let take_over = list(l.take_over.iter().map(s));
    quote! {
        ::lbipam_core::plan::Layout {
            pools_dir: #pools_dir,
            pool_file: #pool_file,
            cluster_dir: #cluster_dir,
            flux_file: #flux_file,
            flux_name: #flux_name,
            settings_file: #settings_file,
            settings_name: #settings_name,
            helm_values: #helm_values,
            docs_dir: #docs_dir,
            audit: #audit,
            exclude: #exclude,
            take_over: #take_over,
        }
    }
}

fn reserved(r: &Reserved) -> TokenStream {
    let name = at(&r.name, string);
    let range = at(&r.range, block);
    let note = option(r.note.as_ref().map(string));
    quote! { ::lbipam_core::plan::Reserved { name: #name, range: #range, note: #note } }
}

fn cluster(c: &Cluster) -> TokenStream {
    let name = at(&c.name, string);
    let pools = list(c.pools.iter().map(pool));
    let pins = list(c.pins.iter().map(|p| {
        let service = at(&p.service, string);
        let addr = at(&p.addr, |a| ip(*a));
        let pool = option(p.pool.as_ref().map(|v| at(v, string)));
        quote! { ::lbipam_core::plan::Pin { service: #service, addr: #addr, pool: #pool } }
    }));
    let advertise = advertise(&c.advertise);
    quote! {
        ::lbipam_core::plan::Cluster { name: #name, pools: #pools, pins: #pins, advertise: #advertise }
    }
}

fn advertise(a: &Advertise) -> TokenStream {
    let mode = at(&a.mode, |m| match m {
        AdvertiseMode::None => quote! { ::lbipam_core::plan::AdvertiseMode::None },
        AdvertiseMode::Bgp => quote! { ::lbipam_core::plan::AdvertiseMode::Bgp },
        AdvertiseMode::L2 => quote! { ::lbipam_core::plan::AdvertiseMode::L2 },
    });
    let bgp = option(a.bgp.as_ref().map(|b| {
        let address = at(&b.peer_address, |a| ip(*a));
        let asn = at(&b.peer_asn, |n| quote! { #n });
        let labels = list(b.advertise_labels.iter().map(label));
        let services = option(b.service_selector.as_ref().map(selector));
        let span = span(b.span);
        quote! {
            ::lbipam_core::plan::Bgp {
                peer_address: #address,
                peer_asn: #asn,
                advertise_labels: #labels,
                service_selector: #services,
                span: #span,
            }
        }
    }));
    let l2 = option(a.l2.as_ref().map(|l| {
        let interfaces = list(l.interfaces.iter().map(|i| at(i, string)));
        let nodes = option(l.node_selector.as_ref().map(selector));
        let services = option(l.service_selector.as_ref().map(selector));
        let span = span(l.span);
        quote! {
            ::lbipam_core::plan::L2 {
                interfaces: #interfaces,
                node_selector: #nodes,
                service_selector: #services,
                span: #span,
            }
        }
    }));
    quote! { ::lbipam_core::plan::Advertise { mode: #mode, bgp: #bgp, l2: #l2 } }
}

fn label(l: &Label) -> TokenStream {
    let (key, value) = (at(&l.key, string), at(&l.value, string));
    quote! { ::lbipam_core::plan::Label { key: #key, value: #value } }
}

fn selector(s: &LabelSelector) -> TokenStream {
    let labels = list(s.match_labels.iter().map(label));
    let expressions = list(s.match_expressions.iter().map(|e| {
        let key = at(&e.key, string);
        let operator = at(&e.operator, |o| match o {
            Operator::In => quote! { ::lbipam_core::plan::Operator::In },
            Operator::NotIn => quote! { ::lbipam_core::plan::Operator::NotIn },
            Operator::Exists => quote! { ::lbipam_core::plan::Operator::Exists },
            Operator::DoesNotExist => quote! { ::lbipam_core::plan::Operator::DoesNotExist },
        });
        let values = list(e.values.iter().map(|v| at(v, string)));
        let span = span(e.span);
        quote! {
            ::lbipam_core::plan::Expression { key: #key, operator: #operator, values: #values, span: #span }
        }
    }));
    let span = span(s.span);
    quote! {
        ::lbipam_core::plan::LabelSelector {
            match_labels: #labels,
            match_expressions: #expressions,
            span: #span,
        }
    }
}

fn pool(p: &Pool) -> TokenStream {
    let name = at(&p.name, string);
    let blocks = list(p.blocks.iter().map(|b| at(b, block)));
    let note = option(p.note.as_ref().map(string));
    let first_last = option(
        p.allow_first_last_ips
            .as_ref()
            .map(|v| at(v, |b| quote! { #b })),
    );
    let selector = option(p.service_selector.as_ref().map(selector));
    quote! {
        ::lbipam_core::plan::Pool {
            name: #name,
            blocks: #blocks,
            note: #note,
            allow_first_last_ips: #first_last,
            service_selector: #selector,
        }
    }
}

fn service(s: &Service) -> TokenStream {
    let name = at(&s.name, string);
    let setting = option(s.setting.as_ref().map(|v| at(v, string)));
    let helm = option(s.helm_service.as_ref().map(|v| at(v, string)));
    let service = option(s.service.as_ref().map(|v| at(v, string)));
    let labels = list(s.labels.iter().map(label));
    quote! {
        ::lbipam_core::plan::Service {
            name: #name,
            setting: #setting,
            helm_service: #helm,
            service: #service,
            labels: #labels,
        }
    }
}

fn block(b: &Block) -> TokenStream {
    match *b {
        Block::Range { start, stop } => {
            let (start, stop) = (ip(start), ip(stop));
            quote! { ::lbipam_core::net::Block::Range { start: #start, stop: #stop } }
        }
        Block::Cidr(n) => {
            let n = net(n);
            quote! { ::lbipam_core::net::Block::Cidr(#n) }
        }
    }
}

fn ip(a: IpAddr) -> TokenStream {
    match a {
        IpAddr::V4(a) => {
            let [b0, b1, b2, b3] = a.octets();
            quote! { ::std::net::IpAddr::V4(::std::net::Ipv4Addr::new(#b0, #b1, #b2, #b3)) }
        }
        IpAddr::V6(a) => {
            let bits = Literal::u128_suffixed(a.to_bits());
            quote! { ::std::net::IpAddr::V6(::std::net::Ipv6Addr::from_bits(#bits)) }
        }
    }
}

fn net(n: IpNet) -> TokenStream {
    let len = n.prefix_len();
    let addr = ip(n.addr());
    quote! { ::lbipam_core::ipnet::IpNet::new_assert(#addr, #len) }
}

fn string(s: &Str) -> TokenStream {
    let s: &str = s;
    quote! { ::std::borrow::Cow::Borrowed(#s) }
}

fn span(s: Span) -> TokenStream {
    let (start, end) = (s.start, s.end);
    quote! { ::lbipam_core::plan::Span { start: #start, end: #end } }
}

fn at<T>(v: &At<T>, item: impl FnOnce(&T) -> TokenStream) -> TokenStream {
    let item = item(&v.item);
    let span = span(v.span);
    quote! { ::lbipam_core::plan::At { item: #item, span: #span } }
}

fn list(items: impl Iterator<Item = TokenStream>) -> TokenStream {
    quote! { ::std::borrow::Cow::Borrowed(&[#(#items),*]) }
}

fn option(v: Option<TokenStream>) -> TokenStream {
    match v {
        Some(v) => quote! { ::core::option::Option::Some(#v) },
        None => quote! { ::core::option::Option::None },
    }
}
