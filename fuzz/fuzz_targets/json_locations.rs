//! Locations in JSON text (`jsonspan`): pointers into any text, well-formed or not, resolve to
//! a range inside the text or to nothing, never a panic. The first line of the input is the
//! pointers (separated by spaces), the rest the text.
#![no_main]

use aks_preflight::jsonspan::JsonIndex;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let (pointers, text) = s.split_once('\n').unwrap_or(("/0 /a", s));
    let mut index = JsonIndex::default();
    for label in [false, true] {
        for p in pointers.split(' ') {
            if let Some(r) = index.resolve(text, p, label) {
                assert!(r.start <= r.end && r.end <= text.len(), "{r:?} outside the text");
                assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
            }
        }
    }
});
