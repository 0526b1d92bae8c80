//! TODO: filled in by the firewall work item.
