//! The checked-in SDL (`docs/schema.graphql`) must match the code. Regenerate it with
//! `cargo run -p siso -- export-schema > docs/schema.graphql`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[test]
fn checked_in_schema_matches_the_code() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_siso")).arg("export-schema").output().expect("run siso");
    assert!(out.status.success());
    let generated = String::from_utf8(out.stdout).expect("utf-8");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/schema.graphql");
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        generated == checked_in,
        "docs/schema.graphql is out of date: run `cargo run -p siso -- export-schema > docs/schema.graphql`"
    );
}
