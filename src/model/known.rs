//! Three-valued values: a model field is known, unknown until apply (or unresolvable), or absent.

use serde::Serialize;

/// A value read from an input. Plans and templates contain values that are only decided at apply
/// time (ids, computed IPs) or that we could not resolve: those are `Unknown`, with the reason, and
/// must never be treated as a pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(tag = "state", content = "value", rename_all = "lowercase")]
pub enum Known<T> {
    Known(T),
    Unknown(String),
    #[default]
    Absent,
}

impl<T> Known<T> {
    pub fn unknown(reason: impl Into<String>) -> Self {
        Known::Unknown(reason.into())
    }
    pub fn known(&self) -> Option<&T> {
        match self {
            Known::Known(v) => Some(v),
            _ => None,
        }
    }
    pub fn into_known(self) -> Option<T> {
        match self {
            Known::Known(v) => Some(v),
            _ => None,
        }
    }
    pub fn is_known(&self) -> bool {
        matches!(self, Known::Known(_))
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self, Known::Unknown(_))
    }
    pub fn is_absent(&self) -> bool {
        matches!(self, Known::Absent)
    }
    pub fn unknown_reason(&self) -> Option<&str> {
        match self {
            Known::Unknown(r) => Some(r),
            _ => None,
        }
    }
    pub fn as_ref(&self) -> Known<&T> {
        match self {
            Known::Known(v) => Known::Known(v),
            Known::Unknown(r) => Known::Unknown(r.clone()),
            Known::Absent => Known::Absent,
        }
    }
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Known<U> {
        match self {
            Known::Known(v) => Known::Known(f(v)),
            Known::Unknown(r) => Known::Unknown(r),
            Known::Absent => Known::Absent,
        }
    }
    /// Absent becomes `Known(default)`: for attributes whose absence means a documented default.
    pub fn or_default_value(self, default: T) -> Known<T> {
        match self {
            Known::Absent => Known::Known(default),
            other => other,
        }
    }
    /// Absent is replaced by `other`; Known and Unknown stay.
    pub fn or(self, other: Known<T>) -> Known<T> {
        match self {
            Known::Absent => other,
            v => v,
        }
    }
}

impl<T> From<Option<T>> for Known<T> {
    fn from(o: Option<T>) -> Self {
        match o {
            Some(v) => Known::Known(v),
            None => Known::Absent,
        }
    }
}
