//! Regione Lazio's FNA rules, built for `wasm32-wasip2` and run in the host's real sandbox by
//! the test harness: no server, no database. `cargo test -p siso-plugin-lazio` runs it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use siso_domain::assessment::{Assessment, Instrument};
use siso_domain::case::UserArea;
use siso_domain::catalogue::{InpsArea, IstatType};
use siso_domain::ids::{AssessmentId, CaseId, PersonId};
use siso_domain::intervention::{BenefitCharacter, MeansTest};
use siso_domain::money::Money;
use siso_domain::org::{OrgUnit, OrgUnitKind};
use siso_domain::person::IseeKind;
use siso_plugins::harness::{Harness, fixtures};
use siso_plugins::model::{Eligibility, Issue, PluginError, Subject, Verdict};
use siso_plugins::package::AuthorManifest;

fn harness(settings: serde_json::Value) -> Harness {
    Harness::build_crate(env!("CARGO_MANIFEST_DIR"))
        .expect("build and load the plug-in")
        .with_settings(settings)
        .expect("settings")
}

/// A UVM assessment of `on`, answering `fna_condition` with `condition` when given.
fn uvm(condition: Option<&str>, on: (i32, u32, u32)) -> Assessment {
    Assessment {
        id: AssessmentId(7),
        case_id: CaseId(1),
        person_id: PersonId(1),
        instrument: Instrument::Svama,
        assessed_on: fixtures::date(on.0, on.1, on.2),
        assessor: "UVM".into(),
        recorded_by: None,
        answers: condition.map(|c| ("fna_condition".to_string(), c.to_string())).into_iter().collect(),
        score: None,
        sina: None,
    }
}

/// The fixture subject (socio-sanitary ISEE €12,000 valid in 2026, 2026-03-01..2026-12-31) on
/// an FNA entry, with a gravissima UVM assessment of 2026-10-01, €1,200 a month and €12,000
/// requested (the authorisation grants what was requested: 10 months × €1,200).
fn fna(local_code: &str) -> Subject {
    let mut s = fixtures::subject();
    s.catalogue_entry.local_code = local_code.into();
    s.catalogue_entry.name = "Assegno di cura (FNA)".into();
    s.assessments.push(uvm(Some("gravissima"), (2026, 10, 1)));
    s.intervention.monthly_amount = Some(Money::from_euro(1_200));
    s.intervention.requested_amount = Money::from_euro(12_000);
    s
}

async fn authorise(h: &Harness, s: Subject) -> Verdict {
    h.validate(&fixtures::authorisation(s)).await.expect("no fault").expect("a verdict")
}

async fn decide(h: &Harness, s: &Subject) -> Eligibility {
    h.eligibility(s).await.expect("no fault").expect("a decision")
}

fn codes(issues: &[Issue]) -> Vec<&str> {
    issues.iter().map(|i| i.code.as_str()).collect()
}

fn fields(issues: &[Issue]) -> Vec<&str> {
    issues.iter().map(|i| i.field.as_deref().unwrap_or("")).collect()
}

/// An office of Municipio VII of Roma Capitale, with its ancestors nearest first.
fn roma_municipio_vii() -> (OrgUnit, Vec<OrgUnit>) {
    let office = fixtures::unit(73, Some(70), OrgUnitKind::Office, "PUA Municipio VII", None);
    let ancestors = vec![
        fixtures::unit(70, Some(60), OrgUnitKind::Municipio, "Municipio VII", None),
        fixtures::unit(60, Some(50), OrgUnitKind::Comune, "Roma Capitale", Some("058091")),
        fixtures::unit(50, None, OrgUnitKind::Region, "Regione Lazio", None),
    ];
    (office, ancestors)
}

#[test]
fn the_manifest_and_schema_accept_exactly_the_documented_settings() {
    // Natively, without building the component.
    let m = AuthorManifest::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("siso-plugin.toml"))
        .expect("manifest");
    assert_eq!((m.id.as_str(), m.version.as_str(), m.wit.as_str()), ("it.regione.lazio.fna", "1.0.0", "0.1.0"));
    assert_eq!(m.publisher, "Regione Lazio");
    // The UVM's and the SINA data set's answers are health data: the enabling administration
    // grants them.
    let caps: Vec<&str> = m.capabilities.iter().map(|c| c.as_str()).collect();
    assert_eq!(caps, ["health:read"]);
    let hooks: Vec<&str> = m.hooks.iter().map(|h| h.as_str()).collect();
    assert_eq!(
        hooks,
        ["validate.intervention-authorised", "validate.disbursement-recorded", "decide.eligibility", "contribute"]
    );
    assert!(m.check_settings(&serde_json::json!({})).is_ok());
    let defaults = serde_json::json!({
        "uvm_assessor": "UVM",
        "assessment_valid_months": 12,
        "condition_question": "fna_condition",
        "assegno_di_cura": {
            "local_code": "FNA-ADC",
            "gravissima": { "min_cents": 80000, "max_cents": 120000,
                "bands": [ {"isee_up_to_cents": 1500000, "monthly_cents": 120000},
                           {"isee_up_to_cents": 3000000, "monthly_cents": 100000},
                           {"isee_up_to_cents": 6500000, "monthly_cents": 80000} ] },
            "grave": { "min_cents": 40000, "max_cents": 80000,
                "bands": [ {"isee_up_to_cents": 1500000, "monthly_cents": 80000},
                           {"isee_up_to_cents": 3000000, "monthly_cents": 60000},
                           {"isee_up_to_cents": 5000000, "monthly_cents": 40000} ] } },
        "caregiver": { "local_code": "FNA-CAREGIVER", "min_cents": 40000, "max_cents": 70000,
            "bands": [ {"isee_up_to_cents": 1500000, "monthly_cents": 70000},
                       {"isee_up_to_cents": 3000000, "monthly_cents": 55000},
                       {"isee_up_to_cents": 5000000, "monthly_cents": 40000} ] }
    });
    assert!(m.check_settings(&defaults).is_ok(), "{:?}", m.check_settings(&defaults));
    let open_last = serde_json::json!({ "caregiver": { "bands": [
        {"isee_up_to_cents": 1000000, "monthly_cents": 70000}, {"isee_up_to_cents": null, "monthly_cents": 40000} ] } });
    assert!(m.check_settings(&open_last).is_ok());
    for bad in [
        serde_json::json!({ "unknown": 1 }),
        serde_json::json!({ "assegno_di_cura": { "gravissima": { "extra": 1 } } }),
        serde_json::json!({ "caregiver": { "bands": [] } }),
        serde_json::json!({ "caregiver": { "bands": [ {"isee_up_to_cents": 1} ] } }),
        serde_json::json!({ "caregiver": { "bands": [ {"monthly_cents": -1} ] } }),
        serde_json::json!({ "caregiver": { "bands": [ {"monthly_cents": 1, "x": 1} ] } }),
        serde_json::json!({ "uvm_assessor": "" }),
        serde_json::json!({ "assessment_valid_months": 0 }),
        serde_json::json!({ "assegno_di_cura": null }),
    ] {
        assert!(m.check_settings(&bad).is_err(), "{bad} should be rejected");
    }
}

#[tokio::test]
async fn an_assegno_within_the_band_is_authorised_and_other_amounts_are_vetoed() {
    let h = harness(serde_json::json!({}));
    let v = authorise(&h, fna("FNA-ADC")).await;
    assert!(v.vetoes.is_empty() && v.warnings.is_empty(), "{v:?}");

    let mut above = fna("FNA-ADC");
    above.intervention.monthly_amount = Some(Money::from_euro(1_300));
    let v = authorise(&h, above).await;
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["AMOUNT_ABOVE_BAND"], vec!["monthlyAmount"]));
    for part in ["€1300.00", "€1200.00", "€12000.00", "gravissima"] {
        assert!(v.vetoes[0].message.contains(part), "{part} not in {}", v.vetoes[0].message);
    }

    let mut below = fna("FNA-ADC");
    below.intervention.monthly_amount = Some(Money::from_euro(700));
    below.intervention.requested_amount = Money::from_euro(7_000);
    let v = authorise(&h, below).await;
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["AMOUNT_BELOW_RANGE"], vec!["monthlyAmount"]));
    assert!(v.vetoes[0].message.contains("€800.00"), "{}", v.vetoes[0].message);

    let mut missing = fna("FNA-ADC");
    missing.intervention.monthly_amount = None;
    let v = authorise(&h, missing).await;
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["MONTHLY_AMOUNT_MISSING"], vec!["monthlyAmount"]));

    // €1,200 a month but €12,000.01 over 10 months.
    let mut total = fna("FNA-ADC");
    total.intervention.requested_amount = Money::from_cents(1_200_001);
    let v = authorise(&h, total).await;
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["AUTHORISED_ABOVE_BAND"], vec!["authorisedAmount"]));
    assert!(v.vetoes[0].message.contains("10 months"), "{}", v.vetoes[0].message);
}

#[tokio::test]
async fn a_higher_isee_gives_a_lower_band() {
    let h = harness(serde_json::json!({}));
    let mut s = fna("FNA-ADC");
    s.isee = vec![fixtures::isee(Money::from_euro(20_000))];
    // Band €1,000: €1,200 a month and €12,000 over 10 months are both too much.
    let v = authorise(&h, s.clone()).await;
    assert_eq!(codes(&v.vetoes), ["AMOUNT_ABOVE_BAND", "AUTHORISED_ABOVE_BAND"]);
    assert_eq!(fields(&v.vetoes), ["monthlyAmount", "authorisedAmount"]);
    assert!(v.vetoes[0].message.contains("€1000.00"), "{}", v.vetoes[0].message);
    assert_eq!(decide(&h, &s).await.amount, Some(Money::from_euro(1_000)));

    s.intervention.monthly_amount = Some(Money::from_euro(1_000));
    s.intervention.requested_amount = Money::from_euro(10_000);
    assert!(authorise(&h, s.clone()).await.vetoes.is_empty());

    s.isee = vec![fixtures::isee(Money::from_euro(70_000))];
    let v = authorise(&h, s.clone()).await;
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["ISEE_ABOVE_BANDS"], vec!["isee"]));
    let d = decide(&h, &s).await;
    assert!(!d.eligible && d.amount.is_none());
    assert_eq!(codes(&d.reasons), ["ISEE_ABOVE_BANDS"]);

    // Only a socio-sanitary ISEE counts.
    let mut ordinary = fixtures::isee(Money::from_euro(12_000));
    ordinary.kind = IseeKind::Ordinary;
    s.isee = vec![ordinary];
    let v = authorise(&h, s).await;
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["ISEE_SOCIO_HEALTH_MISSING"], vec!["isee"]));
}

#[tokio::test]
async fn the_uvm_assessment_and_its_condition_are_required() {
    let h = harness(serde_json::json!({}));
    let mut none = fna("FNA-ADC");
    none.assessments.clear();
    let v = authorise(&h, none.clone()).await;
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["UVM_ASSESSMENT_MISSING"], vec!["assessments"]));
    let d = decide(&h, &none).await;
    assert!(!d.eligible);
    assert_eq!(codes(&d.reasons), ["UVM_ASSESSMENT_MISSING"]);

    // An assessment by someone else does not count; the assessor is case-insensitive.
    let mut other = fna("FNA-ADC");
    other.assessments[0].assessor = "Assistente sociale".into();
    assert_eq!(codes(&authorise(&h, other).await.vetoes), ["UVM_ASSESSMENT_MISSING"]);
    let mut lower = fna("FNA-ADC");
    lower.assessments[0].assessor = "uvm".into();
    assert!(authorise(&h, lower).await.vetoes.is_empty());

    let mut old = fna("FNA-ADC");
    old.assessments = vec![uvm(Some("gravissima"), (2025, 10, 1))];
    let v = authorise(&h, old).await;
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["UVM_ASSESSMENT_OUTDATED"], vec!["assessments"]));
    assert!(v.vetoes[0].message.contains("2025-10-01"));

    let mut no_answer = fna("FNA-ADC");
    no_answer.assessments = vec![uvm(None, (2026, 10, 1))];
    let v = authorise(&h, no_answer).await;
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["CONDITION_MISSING"], vec!["assessments"]));

    let mut unknown = fna("FNA-ADC");
    unknown.assessments = vec![uvm(Some("moderata"), (2026, 10, 1))];
    assert_eq!(codes(&authorise(&h, unknown).await.vetoes), ["CONDITION_UNKNOWN"]);

    // grave: band €800, so €1,200 a month is too much and the eligible amount is €800.
    let mut grave = fna("FNA-ADC");
    grave.assessments.insert(0, uvm(Some("grave"), (2026, 11, 2)));
    assert_eq!(codes(&authorise(&h, grave.clone()).await.vetoes), ["AMOUNT_ABOVE_BAND", "AUTHORISED_ABOVE_BAND"]);
    assert_eq!(decide(&h, &grave).await.amount, Some(Money::from_euro(800)));

    // A district asking another question and another assessor.
    let custom = harness(serde_json::json!({ "uvm_assessor": "UVMD", "condition_question": "livello" }));
    let mut s = fna("FNA-ADC");
    s.assessments = vec![Assessment {
        assessor: "UVMD".into(),
        answers: vec![("livello".into(), "gravissima".into())],
        ..uvm(None, (2026, 10, 1))
    }];
    assert!(authorise(&custom, s).await.vetoes.is_empty());
}

#[tokio::test]
async fn eligibility_names_the_district_and_follows_its_settings() {
    let (office, ancestors) = roma_municipio_vii();
    let h = harness(serde_json::json!({})).at(office.clone(), ancestors.clone());
    let d = decide(&h, &fna("FNA-ADC")).await;
    assert!(d.eligible);
    assert_eq!(d.amount, Some(Money::from_cents(120_000)));
    assert_eq!(codes(&d.reasons), ["FNA_BAND"]);
    for part in ["Municipio VII", "disabilità gravissima", "€12000.00", "up to €15000.00", "€1200.00"] {
        assert!(d.reasons[0].message.contains(part), "{part} not in {}", d.reasons[0].message);
    }

    // Municipio VII's own first band: €1,100.
    let own = serde_json::json!({ "assegno_di_cura": { "gravissima": { "bands": [
        { "isee_up_to_cents": 1_500_000, "monthly_cents": 110_000 },
        { "isee_up_to_cents": 3_000_000, "monthly_cents": 100_000 },
        { "isee_up_to_cents": null, "monthly_cents": 80_000 } ] } } });
    let h = harness(own).at(office, ancestors);
    let d = decide(&h, &fna("FNA-ADC")).await;
    assert_eq!(d.amount, Some(Money::from_euro(1_100)));
    assert!(d.reasons[0].message.contains("€1100.00"), "{}", d.reasons[0].message);
    let v = authorise(&h, fna("FNA-ADC")).await;
    assert_eq!(codes(&v.vetoes), ["AMOUNT_ABOVE_BAND", "AUTHORISED_ABOVE_BAND"]);
    // The open-ended last band covers any ISEE.
    let mut rich = fna("FNA-ADC");
    rich.isee = vec![fixtures::isee(Money::from_euro(90_000))];
    let d = decide(&h, &rich).await;
    assert_eq!(d.amount, Some(Money::from_euro(800)));
    assert!(d.reasons[0].message.contains("no ceiling"), "{}", d.reasons[0].message);

    // Outside Roma: the ambito (zona sociale) of the fixture's comune.
    let d = decide(&harness(serde_json::json!({})), &fna("FNA-ADC")).await;
    assert!(d.reasons[0].message.contains("Zona sociale 2 - Perugia"), "{}", d.reasons[0].message);
}

#[tokio::test]
async fn the_caregiver_contribution_has_its_own_bands() {
    let h = harness(serde_json::json!({}));
    let mut s = fna("FNA-CAREGIVER");
    // No condition needed.
    s.assessments = vec![uvm(None, (2026, 10, 1))];
    s.intervention.monthly_amount = Some(Money::from_euro(700));
    s.intervention.requested_amount = Money::from_euro(7_000);
    assert!(authorise(&h, s.clone()).await.vetoes.is_empty());
    let d = decide(&h, &s).await;
    assert_eq!((d.eligible, d.amount), (true, Some(Money::from_euro(700))));
    assert!(d.reasons[0].message.contains("caregiver"), "{}", d.reasons[0].message);

    s.isee = vec![fixtures::isee(Money::from_euro(25_000))];
    assert_eq!(decide(&h, &s).await.amount, Some(Money::from_euro(550)));
    let v = authorise(&h, s.clone()).await;
    assert_eq!(codes(&v.vetoes), ["AMOUNT_ABOVE_BAND", "AUTHORISED_ABOVE_BAND"]);

    s.intervention.monthly_amount = Some(Money::from_euro(350));
    s.intervention.requested_amount = Money::from_euro(3_500);
    let v = authorise(&h, s.clone()).await;
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["AMOUNT_BELOW_RANGE"], vec!["monthlyAmount"]));
    assert!(v.vetoes[0].message.contains("€400.00"), "{}", v.vetoes[0].message);

    s.isee = vec![fixtures::isee(Money::from_euro(50_001))];
    assert_eq!(codes(&decide(&h, &s).await.reasons), ["ISEE_ABOVE_BANDS"]);
}

#[tokio::test]
async fn disbursements_above_the_monthly_amount_are_vetoed() {
    let h = harness(serde_json::json!({}));
    let march = fixtures::date(2026, 3, 1);
    let ok = fixtures::disbursement(fna("FNA-ADC"), march, Money::from_euro(1_200), None);
    let v = h.validate(&ok).await.unwrap().unwrap();
    assert!(v.vetoes.is_empty(), "{v:?}");

    let over = fixtures::disbursement(fna("FNA-ADC"), march, Money::from_euro(1_300), None);
    let v = h.validate(&over).await.unwrap().unwrap();
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["DISBURSEMENT_ABOVE_MONTHLY"], vec!["amount"]));
    assert!(v.vetoes[0].message.contains("€1300.00") && v.vetoes[0].message.contains("€1200.00"));

    // Not an FNA entry: not its business.
    let other = fixtures::disbursement(fixtures::subject(), march, Money::from_euro(5_000), None);
    assert!(h.validate(&other).await.unwrap().unwrap().vetoes.is_empty());
}

#[tokio::test]
async fn other_entries_abstain() {
    let h = harness(serde_json::json!({}));
    // The fixture's own assegno di cura (ASS-CURA) is not an FNA entry.
    let r = h.eligibility(&fixtures::subject()).await.expect("no fault");
    assert!(matches!(r, Err(PluginError::Unsupported(_))), "{r:?}");
    let v = authorise(&h, fixtures::subject()).await;
    assert!(v.vetoes.is_empty() && v.warnings.is_empty());
    // In a batch, each subject on its own.
    let all = h.eligibility_batch(&[fna("FNA-ADC"), fixtures::subject()]).await.expect("no fault");
    assert!(matches!(&all[0], Ok(d) if d.eligible && d.amount == Some(Money::from_euro(1_200))));
    assert!(matches!(&all[1], Err(PluginError::Unsupported(_))));
}

#[tokio::test]
async fn the_catalogue_has_the_two_fna_measures() {
    let h = harness(serde_json::json!({}));
    let c = h.catalogue().await.expect("catalogue");
    let names: Vec<(&str, &str, &str)> =
        c.iter().map(|e| (e.local_code.as_str(), e.name.as_str(), e.inps_code.as_str())).collect();
    assert_eq!(
        names,
        [
            ("FNA-ADC", "Assegno di cura (FNA)", "A1.11"),
            ("FNA-CAREGIVER", "Contributo di cura al caregiver familiare (FNA)", "A1.11"),
        ]
    );
    for e in &c {
        assert_eq!(
            (e.inps_area, e.istat_area, e.istat_type, e.means_test, e.character, e.sina_required),
            (
                InpsArea::DisabilityNonSelfSufficiency,
                UserArea::Disability,
                IstatType::CashTransfers,
                MeansTest::Isee,
                BenefitCharacter::Periodic,
                true
            )
        );
    }
}
