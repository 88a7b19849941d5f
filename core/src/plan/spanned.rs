//! The values of the model, each with where plan.toml spells it: the same
//! types hold a plan parsed at run time and the generated `PLAN` constant.

use std::borrow::Cow;

use crate::diag::Span;

/// A string that is borrowed in the generated constant and owned when parsed.
pub type Str = Cow<'static, str>;
/// A list that is borrowed in the generated constant and owned when parsed.
pub type List<T> = Cow<'static, [T]>;

/// A value together with where plan.toml spells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct At<T> {
    /// The value.
    pub item: T,
    /// Where it is written.
    pub span: Span,
}

impl<T> At<T> {
    /// A value with no known place in plan.toml, for plans built in code.
    pub const fn new(item: T) -> At<T> {
        At {
            item,
            span: Span { start: 0, end: 0 },
        }
    }
}
