//! What an artifact wants in the repository: a whole file, or an edit of the
//! part of a hand-written file the build owns.

use std::fmt;
use std::path::PathBuf;

use crate::artifact::edit::YamlError;

/// An edit of a hand-written file's text: the new text, or why it cannot be made.
pub type Edit = Box<dyn Fn(&str) -> Result<Edited, YamlError> + Send + Sync>;

/// The text an [`Edit`] made, with the parse that checked it when the edit
/// kept one: the audit reads that instead of parsing the text again.
#[derive(Debug)]
pub struct Edited {
    /// The new text.
    pub text: String,
    pub(crate) checked: Option<crate::yaml::Checked>,
}

impl From<String> for Edited {
    fn from(text: String) -> Edited {
        Edited {
            text,
            checked: None,
        }
    }
}

impl From<(String, crate::yaml::Checked)> for Edited {
    fn from((text, checked): (String, crate::yaml::Checked)) -> Edited {
        Edited {
            text,
            checked: Some(checked),
        }
    }
}

/// What an artifact wants in the repository.
pub enum Want {
    /// A file the build writes whole (it carries the generated-file header).
    Whole {
        /// The file, relative to the repo root.
        path: PathBuf,
        /// Its text.
        text: String,
        /// Its YAML objects in order, when the artifact rendered them from these
        /// values: the audit takes them instead of reading its own text back.
        objects: Option<Vec<yaml_serde::Value>>,
    },
    /// A hand-written file of which the build owns a part.
    Edit {
        /// The file, relative to the repo root.
        path: PathBuf,
        /// The text to start from when the file does not exist.
        default: String,
        /// Brings the parts the build owns in line with the plan, keeping the rest.
        edit: Edit,
    },
}

impl Want {
    /// A [`Want::Whole`] of `path` holding `text`.
    pub fn whole(path: PathBuf, text: String) -> Want {
        Want::Whole {
            path,
            text,
            objects: None,
        }
    }

    /// A [`Want::Edit`] of `path`.
    pub fn edit(
        path: PathBuf,
        default: &str,
        edit: impl Fn(&str) -> Result<Edited, YamlError> + Send + Sync + 'static,
    ) -> Want {
        Want::Edit {
            path,
            default: default.to_owned(),
            edit: Box::new(edit),
        }
    }
}

impl fmt::Debug for Want {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Want::Whole { path, .. } => write!(f, "Whole({})", path.display()),
            Want::Edit { path, .. } => write!(f, "Edit({})", path.display()),
        }
    }
}
