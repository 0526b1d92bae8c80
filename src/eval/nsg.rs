//! TODO: filled in by the nsg work item.
