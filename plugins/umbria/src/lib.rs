//! Being written.

/// The rules.
pub struct Rules;

impl siso_plugin_sdk::Plugin for Rules {}

siso_plugin_sdk::register!(Rules);
