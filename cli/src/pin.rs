//! `lbipam pin CLUSTER NAME [IP]`: adds or moves a pin in plan.toml, in place.

use std::fmt::Write;
use std::fs;
use std::net::IpAddr;
use std::path::Path;

use lbipam_core::diag::Report;
use lbipam_core::generate;
use lbipam_core::layout;
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
    let (ip, notes) = match (ip, old) {
        (Some(ip), _) => {
            // Maybe the Service being pinned; else two Services would ask for it.
            let note = asked.at(ip).map(|at| {
                format!("note: {at} already asks for {ip}: unless that is {name}'s Service, two Services now ask for it\n")
            });
            (ip, note.unwrap_or_default())
        }
        (None, Some(old)) => {
            return ok(format!(
                "{name} ({cluster}) is already pinned at {old}; give an address to move it\n"
            ));
        }
        (None, None) => match asked.free(c, None, 1) {
            (found, notes) if !found.is_empty() => (found[0], notes),
            (_, notes) => {
                let mut out = fail(format!(
                    "cluster {cluster} has no free address left in its pools"
                ));
                out.stderr.insert_str(0, &notes);
                return out;
            }
        },
    };
    if old == Some(ip) {
        return ok(format!(
            "{name} ({cluster}) is already pinned at {ip}; nothing changed\n"
        ));
    }
    // load() succeeded, so the file is readable UTF-8.
    let text = match fs::read_to_string(plan_path) {
        Ok(text) => text,
        Err(e) => return fail(format!("cannot read {}: {e}", plan_path.display())),
    };
    let edited = match set_pin(&text, cluster, name, ip) {
        Ok(edited) => edited,
        Err(message) => return fail(format!("cannot edit {}: {message}", plan_path.display())),
    };
    // The same checks as the build, on the edited text, before anything is written.
    let refused = |report: Report| Output {
        code: 1,
        stderr: format!(
            "error: refusing to pin {name} ({cluster}) at {ip}: plan.toml would fail its checks (the excerpts show the edited text, which was not written)\n\n{}",
            crate::check::render(&report, false)
        ),
        ..Output::default()
    };
    let new_plan = match generate::compile(&edited) {
        Ok(plan) => plan,
        Err(errors) => return refused(Report::new(layout::PLAN_FILE, edited, errors)),
    };
    // Errors the repository had before are not the pin's: only new ones refuse it.
    let mut notes = notes;
    if let Err(mut report) = generate::outputs(root, &new_plan) {
        report.errors.retain(|e| !asked.errors.contains(e));
        if !report.errors.is_empty() {
            return refused(report);
        }
        let n = asked.errors.len();
        let _ = writeln!(
            notes,
            "warning: the repository still fails {n} check{} it failed before (see `lbipam check`)",
            if n == 1 { "" } else { "s" }
        );
    }
    // A symlinked plan.toml is edited where it lies, the link kept.
    let dest = match plan_path.is_symlink() {
        true => fs::canonicalize(plan_path).unwrap_or_else(|_| plan_path.to_owned()),
        false => plan_path.to_owned(),
    };
    if let Err(e) = write::write_atomic(&dest, edited.as_bytes()) {
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

/// plan.toml's text with `clusters.CLUSTER.pins.NAME = "IP"`, everything else
/// (comments, blank lines, key order, alignment, CRLF line endings, a byte
/// order mark) kept. An existing pin keeps its place and its trailing comment;
/// a new one goes after the cluster's last pin, and a missing
/// `[clusters.CLUSTER.pins]` table after the cluster's last table.
pub fn set_pin(text: &str, cluster: &str, name: &str, ip: IpAddr) -> Result<String, String> {
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
