//! Schema defaults in the canonical form: an optional property whose value
//! is its schema's `default` means what its absence means, so the canonical
//! form leaves it out, and the two fingerprint alike (`metadata: {}` and no
//! `metadata`). Only the canonical form does this: JSON and MessagePack keep
//! a payload exactly as it is, so it decodes to the same value.
//!
//! Each generated type implements [`OmitDefaults`] with the defaults of its
//! schema (see the codegen's `rust` emitter); the helpers below are what
//! those implementations call.

use crate::decode::Node;

/// Leaves a payload's defaults out of its node, in nested payloads too.
pub trait OmitDefaults {
    /// `node` is the node of a value of this type (anything else is left alone).
    fn omit_defaults(node: &mut Node);
}

/// Removes `key` when it holds `default`.
pub fn omit(entries: &mut Vec<(String, Node)>, key: &str, default: &Node) {
    entries.retain(|(name, value)| name != key || value != default);
}

/// Applies `omit` to the value of `key`.
pub fn nested(entries: &mut [(String, Node)], key: &str, omit: fn(&mut Node)) {
    if let Some((_, value)) = entries.iter_mut().find(|(name, _)| name == key) {
        omit(value);
    }
}

/// Applies `omit` to each item of the list under `key`.
pub fn nested_items(entries: &mut [(String, Node)], key: &str, omit: fn(&mut Node)) {
    if let Some((_, Node::Array(items))) = entries.iter_mut().find(|(name, _)| name == key) {
        items.iter_mut().for_each(omit);
    }
}

/// The value of a union's tag property.
pub fn tag(entries: &[(String, Node)], key: &str) -> Option<String> {
    entries.iter().find_map(|(name, value)| match value {
        Node::String(text) if name == key => Some(text.clone()),
        _ => None,
    })
}
