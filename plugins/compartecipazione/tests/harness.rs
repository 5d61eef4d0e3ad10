//! The co-payment rules, built for `wasm32-wasip2` and run in the host's real sandbox by the
//! test harness: no server, no database. `cargo test -p siso-plugin-compartecipazione` runs it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use siso_domain::case::UserArea;
use siso_domain::catalogue::{CatalogueEntry, InpsArea, IstatType};
use siso_domain::ids::CatalogueEntryId;
use siso_domain::intervention::{BenefitCharacter, MeansTest};
use siso_domain::money::Money;
use siso_domain::person::IseeKind;
use siso_plugins::harness::{Harness, build_component, fixtures};
use siso_plugins::model::{Change, CoPayment, Issue, PluginError, Subject, Verdict};
use siso_plugins::package::AuthorManifest;

fn manifest_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("siso-plugin.toml")
}

/// The component, built once for every test of this file.
fn component() -> &'static Path {
    static WASM: OnceLock<PathBuf> = OnceLock::new();
    WASM.get_or_init(|| build_component(env!("CARGO_MANIFEST_DIR")).expect("build the plug-in for wasm32-wasip2"))
}

fn harness(settings: serde_json::Value) -> Harness {
    Harness::load(&manifest_path(), component()).expect("load the plug-in").with_settings(settings).expect("settings")
}

/// Lecce's regulation: exempt up to €6,000; up to €15,000 20% of the cost; up to €30,000 40%;
/// above, a fixed €300; never more than €250 a month.
fn lecce() -> serde_json::Value {
    serde_json::json!({
        "exempt_up_to_cents": 600_000,
        "bands": [ {"up_to_cents": 1_500_000, "percent": 20},
                   {"up_to_cents": 3_000_000, "percent": 40},
                   {"up_to_cents": null, "fixed_cents": 30_000} ],
        "monthly_cap_cents": 25_000
    })
}

/// An Umbrian comune's regulation: up to €13,000 a fixed €50; up to €25,000 €100; above, 50%
/// of the cost; residential care (A3.02) exempt.
fn perugia() -> serde_json::Value {
    serde_json::json!({
        "bands": [ {"up_to_cents": 1_300_000, "fixed_cents": 5_000},
                   {"up_to_cents": 2_500_000, "fixed_cents": 10_000},
                   {"up_to_cents": null, "percent": 50} ],
        "exempt_codes": ["A3.02"]
    })
}

fn with(mut settings: serde_json::Value, key: &str, value: serde_json::Value) -> serde_json::Value {
    settings[key] = value;
    settings
}

fn codes(issues: &[Issue]) -> Vec<&str> {
    issues.iter().map(|i| i.code.as_str()).collect()
}

/// Home care (SAD, A2.07).
fn home_care() -> CatalogueEntry {
    CatalogueEntry {
        id: CatalogueEntryId(3),
        org_unit_id: None,
        local_code: "SAD".into(),
        name: "Servizio di assistenza domiciliare".into(),
        inps_code: "A2.07".into(),
        inps_area: InpsArea::DisabilityNonSelfSufficiency,
        istat_area: UserArea::Elderly,
        istat_type: IstatType::Services,
        sina_required: true,
        means_test: MeansTest::Isee,
        character: BenefitCharacter::Periodic,
    }
}

/// The fixture subject (socio-sanitary ISEE €12,000) using home care at €400.00 a month.
fn sad_subject() -> Subject {
    let mut s = fixtures::subject();
    s.catalogue_entry = home_care();
    s.intervention.monthly_amount = Some(Money::from_euro(400));
    s
}

fn with_isee(mut s: Subject, euro: i64) -> Subject {
    s.isee = vec![fixtures::isee(Money::from_euro(euro))];
    s
}

async fn co_payment(h: &Harness, s: &Subject) -> CoPayment {
    h.co_payment(s).await.expect("no fault").expect("a decision")
}

#[test]
fn the_schema_requires_bands_with_exactly_one_charge() {
    let m = AuthorManifest::load(&manifest_path()).expect("manifest");
    assert_eq!((m.id.as_str(), m.version.as_str(), m.wit.as_str()), ("it.siso.compartecipazione", "1.0.0", "0.1.0"));
    assert_eq!(m.publisher, "SISO project");
    let hooks: Vec<&str> = m.hooks.iter().map(|h| h.as_str()).collect();
    assert_eq!(hooks, ["validate.disbursement-recorded", "decide.co-payment"]);

    let documented = serde_json::json!({
        "services": ["A2.07", "A2.08", "A1.12", "A1.13", "A1.14", "A3.01", "A3.02"],
        "isee_kinds": ["ordinary", "socio_health", "residential"],
        "exempt_up_to_cents": 0,
        "exempt_codes": [],
        "exempt_full_invalidity": false,
        "bands": [ {"up_to_cents": 1000000, "percent": 10}, {"up_to_cents": 2000000, "percent": 30}, {"up_to_cents": null, "fixed_cents": 15000} ],
        "monthly_cap_cents": null,
        "without_isee": "highest_band"
    });
    for ok in [
        documented,
        lecce(),
        perugia(),
        with(perugia(), "isee_kinds", serde_json::json!(["minors"])),
        with(perugia(), "without_isee", serde_json::json!("full_cost")),
    ] {
        assert_eq!(m.check_settings(&ok), Ok(()), "{ok}");
    }
    for bad in [
        serde_json::json!({}),
        serde_json::json!({ "bands": [] }),
        serde_json::json!({ "bands": [{"up_to_cents": null, "percent": 10, "fixed_cents": 100}] }),
        serde_json::json!({ "bands": [{"up_to_cents": null}] }),
        serde_json::json!({ "bands": [{"percent": 10}] }),
        serde_json::json!({ "bands": [{"up_to_cents": null, "percent": 101}] }),
        serde_json::json!({ "bands": [{"up_to_cents": null, "percent": 12.5}] }),
        serde_json::json!({ "bands": [{"up_to_cents": null, "fixed_cents": -1}] }),
        serde_json::json!({ "bands": [{"up_to_cents": null, "percent": 10, "note": "x"}] }),
        with(lecce(), "without_isee", serde_json::json!("free")),
        with(lecce(), "isee_kinds", serde_json::json!(["current"])),
        with(lecce(), "services", serde_json::json!(["A2,07"])),
        with(lecce(), "monthly_cap", serde_json::json!(1)),
    ] {
        assert!(m.check_settings(&bad).is_err(), "accepted {bad}");
    }
}

#[tokio::test]
async fn two_regulations_give_different_shares_for_the_same_person() {
    let s = sad_subject();
    let in_lecce = co_payment(&harness(lecce()), &s).await;
    assert_eq!(in_lecce.monthly, Money::from_euro(80));
    assert_eq!(codes(&in_lecce.reasons), ["CO_PAYMENT_BAND"]);
    assert_eq!(in_lecce.reasons[0].field.as_deref(), Some("isee"));
    assert_eq!(
        in_lecce.reasons[0].message,
        "The ISEE (€12000.00) falls in the band up to €15000.00: 20% of the monthly cost (€400.00) is €80.00."
    );
    let in_perugia = co_payment(&harness(perugia()), &s).await;
    assert_eq!(in_perugia.monthly, Money::from_euro(50));
    assert_eq!(
        in_perugia.reasons[0].message,
        "The ISEE (€12000.00) falls in the band up to €13000.00: a fixed €50.00 a month."
    );
    // Percentages round half up to the cent: 50% of €333.33 is €166.67.
    let mut dear = with_isee(sad_subject(), 26_000);
    dear.intervention.monthly_amount = Some(Money::from_cents(33_333));
    assert_eq!(co_payment(&harness(perugia()), &dear).await.monthly, Money::from_cents(16_667));
}

#[tokio::test]
async fn exemptions_by_isee_service_and_invalidity() {
    let h = harness(lecce());
    let c = co_payment(&h, &with_isee(sad_subject(), 6_000)).await;
    assert_eq!((c.monthly, codes(&c.reasons)), (Money::ZERO, vec!["ISEE_BELOW_EXEMPTION"]));

    let mut residential = with_isee(sad_subject(), 50_000);
    residential.catalogue_entry.inps_code = "A3.02".into();
    let c = co_payment(&harness(perugia()), &residential).await;
    assert_eq!((c.monthly, codes(&c.reasons)), (Money::ZERO, vec!["CO_PAYMENT_EXEMPT"]));
    assert!(c.reasons[0].message.contains("A3.02"), "{}", c.reasons[0].message);
    // Lecce does not exempt it: above €30,000 the fixed €300 capped at €250.
    assert_eq!(co_payment(&h, &residential).await.monthly, Money::from_euro(250));

    // The fixture person has a 100% civil invalidity.
    let h = harness(with(lecce(), "exempt_full_invalidity", serde_json::json!(true)));
    let c = co_payment(&h, &sad_subject()).await;
    assert_eq!((c.monthly, codes(&c.reasons)), (Money::ZERO, vec!["CO_PAYMENT_EXEMPT"]));
    let mut partial = sad_subject();
    partial.person.civil_invalidity_percent = Some(75);
    assert_eq!(co_payment(&h, &partial).await.monthly, Money::from_euro(80));
}

#[tokio::test]
async fn the_cap_bites_with_a_reason() {
    let h = harness(lecce());
    // 40% of €1,000.00 is €400.00, capped at €250.00.
    let mut s = with_isee(sad_subject(), 20_000);
    s.intervention.monthly_amount = Some(Money::from_euro(1_000));
    let c = co_payment(&h, &s).await;
    assert_eq!(c.monthly, Money::from_euro(250));
    assert_eq!(codes(&c.reasons), ["CO_PAYMENT_BAND", "CO_PAYMENT_CAPPED"]);
    assert_eq!(c.reasons[1].message, "The share (€400.00) is capped at the regulation's monthly maximum (€250.00).");
    // 40% of €400.00 is under the cap.
    let c = co_payment(&h, &with_isee(sad_subject(), 20_000)).await;
    assert_eq!((c.monthly, codes(&c.reasons)), (Money::from_euro(160), vec!["CO_PAYMENT_BAND"]));
}

#[tokio::test]
async fn without_an_isee_the_highest_band_or_the_full_cost() {
    let mut s = sad_subject();
    s.isee.clear();
    let c = co_payment(&harness(lecce()), &s).await;
    assert_eq!(c.monthly, Money::from_euro(250));
    assert_eq!(codes(&c.reasons), ["ISEE_MISSING", "CO_PAYMENT_BAND", "CO_PAYMENT_CAPPED"]);
    let c = co_payment(&harness(perugia()), &s).await;
    assert_eq!((c.monthly, codes(&c.reasons)), (Money::from_euro(200), vec!["ISEE_MISSING", "CO_PAYMENT_BAND"]));

    let full = harness(with(perugia(), "without_isee", serde_json::json!("full_cost")));
    let c = co_payment(&full, &s).await;
    assert_eq!((c.monthly, codes(&c.reasons)), (Money::from_euro(400), vec!["ISEE_MISSING_FULL_COST"]));

    // An ISEE of a kind the regulation does not accept counts as none.
    let mut minors = sad_subject();
    minors.isee[0].kind = IseeKind::Minors;
    let c = co_payment(&full, &minors).await;
    assert_eq!(codes(&c.reasons), ["ISEE_MISSING_FULL_COST"]);
    let accepting = harness(with(perugia(), "isee_kinds", serde_json::json!(["minors"])));
    assert_eq!(co_payment(&accepting, &minors).await.monthly, Money::from_euro(50));
}

#[tokio::test]
async fn a_percentage_band_without_a_monthly_cost_is_invalid_input() {
    let mut s = sad_subject();
    s.intervention.monthly_amount = None;
    let r = harness(lecce()).co_payment(&s).await.unwrap();
    assert_eq!(
        r,
        Err(PluginError::InvalidInput("the intervention has no monthly cost: a percentage band cannot apply".into()))
    );
    // A fixed band needs no cost.
    assert_eq!(co_payment(&harness(perugia()), &s).await.monthly, Money::from_euro(50));
}

#[tokio::test]
async fn uncovered_services_abstain_and_unusable_settings_are_refused() {
    // The fixture's assegno di cura (A1.11) is not in the default services.
    let r = harness(lecce()).co_payment(&fixtures::subject()).await.unwrap();
    assert!(matches!(r, Err(PluginError::Unsupported(_))), "{r:?}");
    // A comune that covers it.
    let h = harness(with(lecce(), "services", serde_json::json!(["A1.11", "A2.07"])));
    assert_eq!(co_payment(&h, &fixtures::subject()).await.monthly, Money::from_euro(80));

    // Valid against the schema but descending bands.
    let h = harness(
        serde_json::json!({ "bands": [ {"up_to_cents": 2_000_000, "percent": 10}, {"up_to_cents": 1_000_000, "percent": 20} ] }),
    );
    let r = h.co_payment(&sad_subject()).await.unwrap();
    assert!(matches!(r, Err(PluginError::BadSettings(_))), "{r:?}");
}

fn with_user_share(change: Change, share: Money) -> Change {
    match change {
        Change::DisbursementRecorded(s, mut d) => {
            d.user_share = share;
            d.ente_share = d.amount.checked_sub(share).unwrap_or(Money::ZERO);
            Change::DisbursementRecorded(s, d)
        }
        other => other,
    }
}

#[tokio::test]
async fn the_user_share_of_a_disbursement_stays_within_the_co_payment() {
    let h = harness(lecce());
    let mut s = sad_subject();
    s.intervention.co_payment_monthly = Some(Money::from_euro(80));
    let april = fixtures::date(2026, 4, 1);
    let pay = |s: &Subject, share: Money| {
        with_user_share(fixtures::disbursement(s.clone(), april, Money::from_euro(400), None), share)
    };

    assert_eq!(h.validate(&pay(&s, Money::from_euro(80))).await.unwrap().unwrap(), Verdict::default());
    let v = h.validate(&pay(&s, Money::from_cents(8_001))).await.unwrap().unwrap();
    assert_eq!(codes(&v.vetoes), ["USER_SHARE_ABOVE_CO_PAYMENT"]);
    assert_eq!(v.vetoes[0].field.as_deref(), Some("userShare"));
    assert_eq!(
        v.vetoes[0].message,
        "The user's share (€80.01) is above the decided co-payment of €80.00 a month for 1 month (€80.00)."
    );

    // Without a decided co-payment, or for a service the regulation does not cover: accepted.
    let mut undecided = s.clone();
    undecided.intervention.co_payment_monthly = None;
    assert_eq!(h.validate(&pay(&undecided, Money::from_euro(100))).await.unwrap().unwrap(), Verdict::default());
    let mut other = s;
    other.catalogue_entry = fixtures::home_care_allowance();
    assert_eq!(h.validate(&pay(&other, Money::from_euro(100))).await.unwrap().unwrap(), Verdict::default());
    // Other changes are not its business.
    assert_eq!(h.validate(&fixtures::case_opened()).await.unwrap().unwrap(), Verdict::default());
}
