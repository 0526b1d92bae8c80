//! TODO: filled in by the routing work item.
