//! ARM template expressions (`[concat(parameters('a'), '-x')]`): the tokenizer and the
//! recursive-descent parser give an expression or an error, never a panic or a stack overflow.
//! `parse_expression` takes what `is_expression` accepts (its documented precondition; the
//! first run of this target fed it an empty string).
#![no_main]

use aks_preflight::input::arm::template::expr;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if expr::is_expression(s) {
            let _ = expr::parse_expression(s);
        }
    }
});
