//! ARM templates (and Bicep compiled with `az bicep build`): a real evaluator of the template
//! expression language, and the expansion of a template into the resources it deploys, in ARM
//! REST shape, for the one ARM resource reader.

pub mod bicep;
pub mod cidr;
pub mod decl;
pub mod eval;
pub mod expand;
pub mod expr;
pub mod functions;
pub mod hash;
pub mod load;
mod notes;
pub mod params;
mod rest;
pub mod scope;
pub mod value;

#[cfg(test)]
mod tests;
