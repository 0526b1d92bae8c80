//! Analyses: rules that turn evaluator answers into findings.
