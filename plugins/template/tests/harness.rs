//! The template's rules, built for `wasm32-wasip2` and run in the host's real sandbox by the
//! test harness: no server, no database. `cargo test -p siso-plugin-template` runs it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use siso_domain::money::Money;
use siso_plugins::harness::{Harness, fixtures};

fn harness(settings: serde_json::Value) -> Harness {
    Harness::build_crate(env!("CARGO_MANIFEST_DIR"))
        .expect("build and load the plug-in")
        .with_settings(settings)
        .expect("settings")
}

#[tokio::test]
async fn an_isee_above_the_ceiling_vetoes_the_authorisation() {
    let h = harness(serde_json::json!({ "isee_ceiling_cents": 1_000_000 }));
    // The fixture's ISEE is 12,000 €, above the 10,000 € ceiling.
    let verdict = h.validate(&fixtures::authorisation(fixtures::subject())).await.unwrap().unwrap();
    assert_eq!(verdict.vetoes.len(), 1);
    assert_eq!(verdict.vetoes[0].code, "ISEE_ABOVE_CEILING");
    // Under the ceiling it goes through.
    let h = harness(serde_json::json!({ "isee_ceiling_cents": 2_000_000 }));
    let verdict = h.validate(&fixtures::authorisation(fixtures::subject())).await.unwrap().unwrap();
    assert!(verdict.vetoes.is_empty(), "{verdict:?}");
    // Other changes are not its business.
    let verdict = h.validate(&fixtures::case_opened()).await.unwrap().unwrap();
    assert!(verdict.vetoes.is_empty() && verdict.warnings.is_empty());
}

#[tokio::test]
async fn a_missing_isee_vetoes_and_bands_give_the_co_payment() {
    let h = harness(serde_json::json!({
        "isee_ceiling_cents": 2_000_000,
        "co_payment_bands": [{ "up_to_cents": 1_000_000, "monthly_cents": 0 }, { "up_to_cents": null, "monthly_cents": 4_000 }]
    }));
    let mut s = fixtures::subject();
    s.isee.clear();
    let verdict = h.validate(&fixtures::authorisation(s)).await.unwrap().unwrap();
    assert_eq!(verdict.vetoes[0].code, "ISEE_MISSING");
    let c = h.co_payment(&fixtures::subject()).await.unwrap().unwrap();
    assert_eq!(c.monthly, Money::from_euro(40));
    let mut poor = fixtures::subject();
    poor.isee = vec![fixtures::isee(Money::from_euro(6_000))];
    assert_eq!(h.co_payment(&poor).await.unwrap().unwrap().monthly, Money::ZERO);
    let e = h.eligibility(&fixtures::subject()).await.unwrap().unwrap();
    assert!(e.eligible);
    assert_eq!(e.amount, Some(Money::from_euro(4800)));
    // Many subjects in one instantiation.
    let many = vec![fixtures::subject(); 100];
    let all = h.eligibility_batch(&many).await.unwrap();
    assert_eq!(all.len(), 100);
    assert!(all.iter().all(|r| r.as_ref().is_ok_and(|d| d.eligible)));
}
