//! Reporters.

pub mod requirements;
