//! The input notes of a template expansion: deduplicated, and one note per reason for the
//! resources that a reason leaves out (`INP041` names, `INP042` conditions, `INP045` copy
//! counts), so one missing parameter is one note, not one per resource.

use crate::model::InputNote;
use crate::source::{FileId, Loc, Origin};
use std::cell::RefCell;
use std::collections::HashSet;

/// Why resources are left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouped {
    /// INP041: a resource's name is unknown.
    Name,
    /// INP042: whether a resource is deployed is unknown.
    Condition,
    /// INP045: how many copies of a resource there are is unknown.
    CopyCount,
}

struct Group {
    kind: Grouped,
    reason: String,
    what: Vec<String>,
    file: FileId,
    pointer: String,
}

#[derive(Default)]
pub struct Notes {
    notes: RefCell<Vec<InputNote>>,
    keys: RefCell<HashSet<(&'static str, String, FileId)>>,
    groups: RefCell<Vec<Group>>,
}

impl Notes {
    /// Record that `what` is left out for `reason`; one note per reason is written by
    /// [`Notes::finish`].
    pub fn group(&self, kind: Grouped, reason: &str, what: String, file: FileId, pointer: String) {
        let mut groups = self.groups.borrow_mut();
        match groups
            .iter_mut()
            .find(|g| g.kind == kind && g.reason == reason)
        {
            Some(g) => {
                if !g.what.contains(&what) {
                    g.what.push(what);
                }
            }
            None => groups.push(Group {
                kind,
                reason: reason.to_string(),
                what: vec![what],
                file,
                pointer,
            }),
        }
    }

    /// A note at a pointer of the template (the same note twice is kept once).
    pub fn note(&self, code: &'static str, message: String, file: FileId, pointer: String) {
        let key = (code, format!("{pointer}\u{0}{message}"), file);
        if !self.keys.borrow_mut().insert(key) {
            return;
        }
        self.notes.borrow_mut().push(InputNote {
            code,
            message,
            origin: Origin::new(file, "template", Loc::Pointer(pointer)),
        });
    }

    /// Every note, the grouped ones (in the order their reasons were first met) last.
    pub fn finish(self) -> Vec<InputNote> {
        for g in self.groups.take() {
            let n = g.what.len();
            let mut list = g.what[..n.min(6)].join(", ");
            if n > 6 {
                list.push_str(&format!(" and {} more", n - 6));
            }
            let (code, message) = match (g.kind, n) {
                (Grouped::Name, 1) => (
                    "INP041",
                    format!(
                        "the name of {list} is unknown ({}), so it is not checked",
                        g.reason
                    ),
                ),
                (Grouped::Name, _) => (
                    "INP041",
                    format!(
                        "the names of {n} resources are unknown ({}), so they are not checked: {list}",
                        g.reason
                    ),
                ),
                (Grouped::Condition, 1) => (
                    "INP042",
                    format!(
                        "whether {list} is deployed is unknown ({}), so it is not checked",
                        g.reason
                    ),
                ),
                (Grouped::Condition, _) => (
                    "INP042",
                    format!(
                        "whether {n} resources are deployed is unknown ({}), so they are not checked: {list}",
                        g.reason
                    ),
                ),
                (Grouped::CopyCount, _) => (
                    "INP045",
                    format!(
                        "the number of copies of {list} is unknown ({}), so the instances are not checked",
                        g.reason
                    ),
                ),
            };
            self.note(code, message, g.file, g.pointer);
        }
        self.notes.take()
    }
}
