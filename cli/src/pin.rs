//! `lbipam pin CLUSTER NAME [IP]`: adds or moves a pin in plan.toml, in place.

use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use lbipam_core::diag::Report;
use lbipam_core::diag::error::Error;
use lbipam_core::diag::error::Location;
use lbipam_core::generate;
use lbipam_core::plan::Cluster;
use lbipam_core::plan::layout;
use lbipam_core::write;
use toml_edit::{DocumentMut, InlineTable, Item, Table, TableLike, Value};

use crate::next_free::Asked;
use crate::{Output, fail, ok, root_of};

pub(crate) fn run(plan_path: &Path, cluster: &str, name: &str, ip: Option<IpAddr>) -> Output {
    let root = root_of(plan_path);
    let plan = match generate::load(root) {
        Ok(plan) => plan,
        Err(report) => return crate::invalid(&report),
    };
    let c = match crate::cluster(&plan, cluster) {
        Ok(c) => c,
        Err(out) => return out,
    };
    let old = c
        .pins
        .iter()
        .find(|p| p.service.item == name)
        .map(|p| p.addr.item);
    let asked = Asked::of(root, &plan, cluster);
    let (ip, mut notes) = match choose(c, name, (ip, old), &asked) {
        Ok(chosen) => chosen,
        Err(out) => return out,
    };
    if old == Some(ip) {
        return ok(format!(
            "{name} ({cluster}) is already pinned at {ip}; nothing changed\n"
        ));
    }
    // load() succeeded, so the file is readable UTF-8.
    let text = match lbipam_core::read::text(plan_path) {
        Ok(text) => text,
        Err(e) => return fail(format!("cannot read {}: {e}", plan_path.display())),
    };
    let edited = match set_pin(&text, cluster, name, ip) {
        Ok(edited) => edited,
        Err(message) => return fail(format!("cannot edit {}: {message}", plan_path.display())),
    };
    match checked(root, &edited, &asked) {
        Ok(note) => notes.push_str(&note),
        Err(report) => return refused(&format!("{name} ({cluster}) at {ip}"), &report),
    }
    if let Err(e) = write::write_atomic(&real_path(plan_path), edited.as_bytes()) {
        return fail(format!("cannot write {}: {e}", plan_path.display()));
    }
    let moved = old.map(|o| format!(" (was {o})")).unwrap_or_default();
    Output {
        stderr: notes,
        ..ok(format!(
            "pinned {name} ({cluster}) at {ip}{moved} in {}; run `cargo build` to regenerate the repository\n",
            plan_path.display()
        ))
    }
}

/// The address to pin (`ip` if given, else the cluster's next free one) and
/// the notes to print; or, when there is nothing to do, the output that says so.
fn choose(
    c: &Cluster,
    name: &str,
    (ip, old): (Option<IpAddr>, Option<IpAddr>),
    asked: &Asked,
) -> Result<(IpAddr, String), Output> {
    let cluster = &c.name.item;
    match (ip, old) {
        (Some(ip), _) => {
            // Maybe the Service being pinned; else two Services would ask for it.
            let note = asked.at(ip).map(|at| {
                format!("note: {at} already asks for {ip}: unless that is {name}'s Service, two Services now ask for it\n")
            });
            Ok((ip, note.unwrap_or_default()))
        }
        (None, Some(old)) => Err(ok(format!(
            "{name} ({cluster}) is already pinned at {old}; give an address to move it\n"
        ))),
        (None, None) => match asked.free(c, None, 1) {
            (found, notes) if !found.is_empty() => Ok((found[0], notes)),
            (_, notes) => {
                let mut out = fail(format!(
                    "cluster {cluster} has no free address left in its pools"
                ));
                out.stderr.insert_str(0, &notes);
                Err(out)
            }
        },
    }
}

/// The build's checks (plan and audits) on the edited plan: a warning when
/// the repository still fails only checks it failed before (not the pin's to
/// fix), or the report of the errors the pin brings.
fn checked(root: &Path, edited: &str, asked: &Asked) -> Result<String, Report> {
    let plan = lbipam_core::check::compile(edited)
        .map_err(|errors| Report::new(layout::PLAN_FILE, edited.to_owned(), errors))?;
    let Err(mut report) = generate::outputs(root, &plan) else {
        return Ok(String::new());
    };
    // The pin's own edits move lines of the files it changes: an error is the
    // same one if it says the same of the same file.
    let before: Vec<_> = asked.errors.iter().map(gist).collect();
    let (old, new): (Vec<Error>, Vec<Error>) = report
        .errors
        .drain(..)
        .partition(|e| before.contains(&gist(e)));
    if !new.is_empty() {
        report.errors = new;
        return Err(report);
    }
    let n = old.len();
    Ok(format!(
        "warning: the repository still fails {n} check{} it failed before (see `lbipam check`)\n",
        if n == 1 { "" } else { "s" }
    ))
}

/// An error without its line: the file it is in, its code and its message.
fn gist(e: &Error) -> (Option<PathBuf>, &'static str, String) {
    let file = match e.location() {
        Location::File { path, .. } => Some(path.to_path_buf()),
        Location::Plan { .. } => None,
    };
    (file, e.code(), e.to_string())
}

/// Why a pin is refused: the errors it would bring, shown on the edited text.
fn refused(what: &str, report: &Report) -> Output {
    Output {
        code: 1,
        stderr: format!(
            "error: refusing to pin {what}: plan.toml would fail its checks (the excerpts show the edited text, which was not written)\n\n{}",
            crate::check::render(report, false)
        ),
        ..Output::default()
    }
}

/// Where to write plan.toml: a symlinked one is edited where it lies, the link
/// kept.
fn real_path(plan_path: &Path) -> PathBuf {
    match plan_path.is_symlink() {
        true => fs::canonicalize(plan_path).unwrap_or_else(|_| plan_path.to_owned()),
        false => plan_path.to_owned(),
    }
}

/// plan.toml's text with `clusters.CLUSTER.pins.NAME = "IP"`, everything else
/// (comments, blank lines, key order, alignment, CRLF line endings, a byte
/// order mark) kept. An existing pin keeps its place and its trailing comment;
/// a new one goes after the cluster's last pin, and a missing
/// `[clusters.CLUSTER.pins]` table after the cluster's last table.
pub(crate) fn set_pin(text: &str, cluster: &str, name: &str, ip: IpAddr) -> Result<String, String> {
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(body) => ("\u{feff}", body),
        None => ("", text),
    };
    // toml_edit writes `\n`: a file of CRLF lines gets them back.
    let crlf = body.contains("\r\n") && !body.replace("\r\n", "").contains('\n');
    let edited = if crlf {
        pin_in(&body.replace("\r\n", "\n"), cluster, name, ip)?.replace('\n', "\r\n")
    } else {
        pin_in(body, cluster, name, ip)?
    };
    Ok(format!("{bom}{edited}"))
}

/// [`set_pin`] on a text with `\n` line endings.
fn pin_in(text: &str, cluster: &str, name: &str, ip: IpAddr) -> Result<String, String> {
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
    let c = doc
        .get_mut("clusters")
        .and_then(|c| c.get_mut(cluster))
        .ok_or_else(|| format!("no table clusters.{cluster}"))?;
    let inline = c.is_inline_table();
    let c = c
        .as_table_like_mut()
        .ok_or_else(|| format!("clusters.{cluster} is not a table"))?;
    if c.get("pins").is_none() {
        let pins = if inline {
            Item::Value(Value::InlineTable(InlineTable::new()))
        } else {
            Item::Table(Table::new())
        };
        c.insert("pins", pins);
    }
    let inline_pins = c.get("pins").is_some_and(Item::is_inline_table);
    let pins = c
        .get_mut("pins")
        .and_then(Item::as_table_like_mut)
        .ok_or_else(|| format!("clusters.{cluster}.pins is not a table"))?;
    let new = Value::from(ip.to_string());
    match pins.get_mut(name) {
        Some(item) => {
            let value = item
                .as_value_mut()
                .ok_or_else(|| format!("clusters.{cluster}.pins.{name} is not a value"))?;
            // `{ address = "…", pool = "…" }`: the address moves, the pool it names
            // stays (the checks then say if the address left that pool).
            let value = match value.as_inline_table_mut() {
                Some(table) => table
                    .get_mut("address")
                    .ok_or_else(|| format!("clusters.{cluster}.pins.{name} has no address"))?,
                None => value,
            };
            let decor = value.decor().clone();
            *value = new;
            *value.decor_mut() = decor;
        }
        None => {
            let width = aligned_width(pins);
            let last = pins.iter().last().map(|(k, _)| k.to_owned());
            pins.insert(name, Item::Value(new));
            if inline_pins && let Some(last) = last {
                // `{ x = "a" }` + y: the space before `}` follows the new last value.
                move_trailing_space(pins, &last, name);
            }
            // Lined up with the pins above, when they line up their `=`.
            if let (Some(width), Some(mut key)) = (width, pins.key_mut(name)) {
                let pad = width.saturating_sub(name.len()).max(1);
                key.leaf_decor_mut().set_suffix(" ".repeat(pad));
            }
        }
    }
    Ok(doc.to_string())
}

/// Moves the spaces after the value of `from` to after the value of `to`.
fn move_trailing_space(table: &mut dyn TableLike, from: &str, to: &str) {
    let Some(value) = table.get_mut(from).and_then(Item::as_value_mut) else {
        return;
    };
    let space = value
        .decor()
        .suffix()
        .and_then(|s| s.as_str())
        .map(str::to_owned);
    let Some(space) = space.filter(|s| s.chars().all(char::is_whitespace)) else {
        return;
    };
    value.decor_mut().set_suffix("");
    if let Some(new) = table.get_mut(to).and_then(Item::as_value_mut) {
        new.decor_mut().set_suffix(space);
    }
}

/// The column of `=` (key and spaces before it) the keys of `table` share,
/// when they are lined up (at least one has more than one space before `=`).
fn aligned_width(table: &dyn TableLike) -> Option<usize> {
    let widths: Vec<(usize, usize)> = table
        .iter()
        .filter_map(|(k, _)| {
            let key = table.key(k)?;
            let spaces = key.leaf_decor().suffix()?.as_str()?;
            let spaces = spaces.chars().all(|c| c == ' ').then_some(spaces.len())?;
            Some((key.display_repr().len() + spaces, spaces))
        })
        .collect();
    let (width, _) = *widths.first()?;
    let same = widths.len() == table.len() && widths.iter().all(|(w, _)| *w == width);
    (same && widths.iter().any(|(_, spaces)| *spaces > 1)).then_some(width)
}
