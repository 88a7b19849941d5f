//! Lossless YAML, domain-free: parsing that refuses what readers would disagree
//! on, documents, nodes by key path, and byte-exact splices checked by a
//! re-parse. It knows nothing of Kubernetes, Cilium or Flux, nor of the modules
//! built on it.
//!
//! Every edit is a text splice: yaml-edit parses the file losslessly to find
//! nodes and their byte ranges, and the text is replaced or inserted there.
//! Everything else (comments, blank lines, key order, indentation, anchors,
//! flow style, CRLF line endings, `---` markers) stays byte-for-byte the same.

use std::fmt;

mod comments;
mod documents;
mod editing;
mod ints;
mod keys;
mod parse;
mod path;
mod scalar;
mod splice;

pub(crate) use documents::split;
pub(crate) use editing::untag;
pub(crate) use ints::go_ints;
pub(crate) use parse::{check_line_breaks, yaml11_values};
pub(crate) use scalar::Scalar;

pub(crate) use comments::*;
pub(crate) use documents::*;
pub(crate) use editing::*;
pub(crate) use keys::*;
pub(crate) use parse::*;
pub(crate) use path::*;
pub(crate) use scalar::*;
pub(crate) use splice::*;

/// A problem in a hand-written YAML file, 1-based position, so a user can jump to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for YamlError {}

impl YamlError {
    pub(crate) fn new(line: usize, column: usize, message: impl Into<String>) -> Self {
        let message = message.into();
        YamlError {
            line,
            column,
            message,
        }
    }
}
