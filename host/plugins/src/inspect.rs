//! Reading a component without running it.

/// The contract stamp the guest SDK writes into a custom section `siso-plugin` of the
/// component's core module (e.g. `siso:plugin@0.1.0`), if present.
pub fn sdk_stamp(component: &[u8]) -> Option<String> {
    for payload in wasmparser::Parser::new(0).parse_all(component) {
        match payload {
            Ok(wasmparser::Payload::CustomSection(c)) if c.name() == "siso-plugin" => {
                return std::str::from_utf8(c.data()).ok().map(str::to_string);
            }
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}
