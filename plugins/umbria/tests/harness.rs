//! Regione Umbria's rules, built for `wasm32-wasip2` and run in the host's real sandbox by the
//! test harness: no server, no database. `cargo test -p siso-plugin-umbria` runs it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use siso_domain::assessment::{Assessment, Instrument, SinaBlock};
use siso_domain::case::UserArea;
use siso_domain::catalogue::{InpsArea, IstatType};
use siso_domain::ids::{AssessmentId, CaseId, ObjectiveId, PersonId, PlanId};
use siso_domain::intervention::{BenefitCharacter, MeansTest};
use siso_domain::plan::{Attainment, Objective, Plan, PlanKind, PlanState, Term};
use siso_plugins::harness::{Harness, fixtures};
use siso_plugins::model::{Change, Issue, PlanChange, Subject, Verdict};
use siso_plugins::package::AuthorManifest;

fn harness(settings: serde_json::Value) -> Harness {
    Harness::build_crate(env!("CARGO_MANIFEST_DIR"))
        .expect("build and load the plug-in")
        .with_settings(settings)
        .expect("settings")
}

fn complete_sina() -> SinaBlock {
    SinaBlock {
        mobility: Some(2),
        daily_living: Some(3),
        cognitive: Some(1),
        behavioural: Some(1),
        health_need: Some(2),
        income: Some(2),
        support_network: Some(2),
        source: Some(1),
        instrument: Some(1),
        invalidity_source: None,
        civil_invalidity: vec![2],
        needed_benefits: vec!["A1.11".into()],
    }
}

fn assessment(instrument: Instrument, on: (i32, u32, u32), sina: Option<SinaBlock>) -> Assessment {
    Assessment {
        id: AssessmentId(1),
        case_id: CaseId(1),
        person_id: PersonId(1),
        instrument,
        assessed_on: fixtures::date(on.0, on.1, on.2),
        assessor: "UVM".into(),
        recorded_by: None,
        answers: Vec::new(),
        score: None,
        sina,
    }
}

/// The fixture subject (A1.11, born 1938) with these assessments, newest first.
fn subject(assessments: Vec<Assessment>) -> Subject {
    let mut s = fixtures::subject();
    s.assessments = assessments;
    s
}

async fn authorise(h: &Harness, s: Subject) -> Verdict {
    h.validate(&fixtures::authorisation(s)).await.expect("no fault").expect("a verdict")
}

async fn save(h: &Harness, change: Change) -> Verdict {
    h.validate(&change).await.expect("no fault").expect("a verdict")
}

fn codes(issues: &[Issue]) -> Vec<&str> {
    issues.iter().map(|i| i.code.as_str()).collect()
}

fn fields(issues: &[Issue]) -> Vec<&str> {
    issues.iter().map(|i| i.field.as_deref().unwrap_or("")).collect()
}

/// The fixture's plan change (a PAI 2026-12-01..2027-11-30, reviewed every 6 months, one
/// short-term objective due 2027-03-01), edited by `edit`.
fn plan_change(review: Option<(i32, u32, u32)>, edit: impl FnOnce(&mut PlanChange)) -> Change {
    let mut change = fixtures::plan_change(review.map(|(y, m, d)| fixtures::date(y, m, d)));
    let Change::PlanSaved(p) = &mut change else { panic!("the fixture is a plan change") };
    edit(p);
    change
}

#[test]
fn the_manifest_and_schema_accept_exactly_the_documented_settings() {
    // Natively, without building the component.
    let m = AuthorManifest::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("siso-plugin.toml"))
        .expect("manifest");
    assert_eq!((m.id.as_str(), m.version.as_str(), m.wit.as_str()), ("it.regione.umbria.siso", "1.0.0", "0.1.0"));
    assert_eq!(m.publisher, "Regione Umbria");
    // The UVM's and the SINA data set's answers are health data: the enabling administration
    // grants them.
    let caps: Vec<&str> = m.capabilities.iter().map(|c| c.as_str()).collect();
    assert_eq!(caps, ["health:read"]);
    let hooks: Vec<&str> = m.hooks.iter().map(|h| h.as_str()).collect();
    assert_eq!(hooks, ["validate.plan-saved", "validate.intervention-authorised", "contribute"]);
    assert!(m.check_settings(&serde_json::json!({})).is_ok());
    let defaults = serde_json::json!({
        "sina_codes": ["A1.04","A1.10","A1.11","A1.12","A1.13","A1.14","A1.15","A1.16","A1.23","A2.07","A2.08","A2.14","A2.20","A2.21","A3.02"],
        "sina_valid_months": 12,
        "minors_need_sinba": true,
        "max_review_months": 6,
        "require_objective_due_dates": true
    });
    assert!(m.check_settings(&defaults).is_ok());
    assert!(m.check_settings(&serde_json::json!({ "sina_codes": ["A1.04.01"] })).is_ok());
    for bad in [
        serde_json::json!({ "unknown": 1 }),
        serde_json::json!({ "sina_codes": ["A1.1"] }),
        serde_json::json!({ "sina_codes": ["A1.11", "A1.11"] }),
        serde_json::json!({ "sina_valid_months": 0 }),
        serde_json::json!({ "max_review_months": 25 }),
        serde_json::json!({ "minors_need_sinba": "yes" }),
    ] {
        assert!(m.check_settings(&bad).is_err(), "{bad} should be rejected");
    }
}

#[tokio::test]
async fn sina_missing_outdated_incomplete_or_complete() {
    let h = harness(serde_json::json!({}));
    // The fixture: an assegno di cura (A1.11) for a woman born in 1938, never assessed.
    let v = authorise(&h, fixtures::subject()).await;
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["SINA_MISSING"], vec!["assessments"]));
    assert!(v.vetoes[0].message.contains("A1.11"), "{}", v.vetoes[0].message);

    // A complete SINA assessment of 1 October 2026.
    let v = authorise(&h, subject(vec![assessment(Instrument::Sina, (2026, 10, 1), Some(complete_sina()))])).await;
    assert!(v.vetoes.is_empty() && v.warnings.is_empty(), "{v:?}");

    // Two items missing: two vetoes, one per field.
    let mut partial = complete_sina();
    partial.daily_living = None;
    partial.support_network = None;
    let v = authorise(&h, subject(vec![assessment(Instrument::Sina, (2026, 10, 1), Some(partial))])).await;
    assert_eq!(codes(&v.vetoes), ["SINA_INCOMPLETE", "SINA_INCOMPLETE"]);
    assert_eq!(fields(&v.vetoes), ["sina.dailyLiving", "sina.supportNetwork"]);
    assert!(v.vetoes[1].message.contains("area supporto"), "{}", v.vetoes[1].message);

    // Assessed 1 October 2025: more than 12 months before 26 November 2026.
    let old = subject(vec![assessment(Instrument::Sina, (2025, 10, 1), Some(complete_sina()))]);
    let v = authorise(&h, old.clone()).await;
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["SINA_OUTDATED"], vec!["assessments"]));
    assert!(v.vetoes[0].message.contains("2025-10-01"));
    // An organisation that keeps assessments valid for 18 months accepts it.
    let lenient = harness(serde_json::json!({ "sina_valid_months": 18 }));
    assert!(authorise(&lenient, old).await.vetoes.is_empty());
}

#[tokio::test]
async fn minors_need_the_sinba_sheet() {
    let h = harness(serde_json::json!({}));
    let mut minor = subject(vec![assessment(Instrument::Sina, (2026, 10, 1), Some(complete_sina()))]);
    minor.person.birth_date = fixtures::date(2012, 4, 10);
    let v = authorise(&h, minor.clone()).await;
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["SINBA_MISSING"], vec!["assessments"]));

    let mut sheet = minor.clone();
    sheet.assessments.insert(0, assessment(Instrument::Sinba, (2026, 9, 15), None));
    let v = authorise(&h, sheet).await;
    assert!(v.vetoes.is_empty(), "{v:?}");

    let mut stale = minor.clone();
    stale.assessments.insert(0, assessment(Instrument::Sinba, (2025, 9, 15), None));
    assert_eq!(codes(&authorise(&h, stale).await.vetoes), ["SINBA_OUTDATED"]);

    // Without the SINBA rule the minor's SINA assessment is enough.
    let off = harness(serde_json::json!({ "minors_need_sinba": false }));
    assert!(authorise(&off, minor).await.vetoes.is_empty());
}

#[tokio::test]
async fn only_the_configured_codes_need_sina() {
    let h = harness(serde_json::json!({}));
    let mut housing = fixtures::subject();
    housing.catalogue_entry.local_code = "UMB-AFFITTO".into();
    housing.catalogue_entry.inps_code = "A1.05".into();
    assert!(authorise(&h, housing.clone()).await.vetoes.is_empty());
    // A more specific code under a configured one matches it.
    let mut specific = fixtures::subject();
    specific.catalogue_entry.inps_code = "A1.11.01".into();
    assert_eq!(codes(&authorise(&h, specific).await.vetoes), ["SINA_MISSING"]);

    let custom = harness(serde_json::json!({ "sina_codes": ["A1.05"] }));
    assert_eq!(codes(&authorise(&custom, housing).await.vetoes), ["SINA_MISSING"]);
    assert!(authorise(&custom, fixtures::subject()).await.vetoes.is_empty());
    // Other changes are not its business.
    let v = save(&h, fixtures::request(fixtures::subject())).await;
    assert!(v.vetoes.is_empty() && v.warnings.is_empty());
}

#[tokio::test]
async fn a_plan_past_its_end_needs_a_reassessment_before_authorising() {
    let h = harness(serde_json::json!({}));
    let fixture = match fixtures::plan_change(None) {
        Change::PlanSaved(p) => *p,
        _ => unreachable!(),
    };
    let ended = Plan { planned_end_on: Some(fixtures::date(2026, 9, 30)), ..fixture.plan };
    let mut s = subject(vec![assessment(Instrument::Sina, (2026, 9, 1), Some(complete_sina()))]);
    s.plan = Some((ended, fixture.objectives));
    let v = authorise(&h, s.clone()).await;
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["REASSESSMENT_REQUIRED"], vec!["plan"]));
    assert!(v.vetoes[0].message.contains("2026-09-30"), "{}", v.vetoes[0].message);

    // Any instrument after the end will do.
    s.assessments.insert(0, assessment(Instrument::Svama, (2026, 10, 5), None));
    assert!(authorise(&h, s).await.vetoes.is_empty());
}

#[tokio::test]
async fn a_new_plan_reviews_often_and_dates_its_objectives() {
    let h = harness(serde_json::json!({}));
    let v = save(&h, plan_change(None, |_| {})).await;
    assert!(v.vetoes.is_empty(), "{v:?}");

    let v = save(&h, plan_change(None, |p| p.plan.review_every_months = 12)).await;
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["REVIEW_INTERVAL_TOO_LONG"], vec!["reviewEveryMonths"]));
    let lenient = harness(serde_json::json!({ "max_review_months": 12 }));
    assert!(save(&lenient, plan_change(None, |p| p.plan.review_every_months = 12)).await.vetoes.is_empty());

    let v = save(&h, plan_change(None, |p| p.objectives.clear())).await;
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["OBJECTIVES_MISSING"], vec!["objectives"]));

    let undated = |p: &mut PlanChange| {
        let mut second = p.objectives[0].clone();
        second.id = ObjectiveId(2);
        second.term = Term::Medium;
        second.due_on = None;
        p.objectives.push(second);
    };
    let v = save(&h, plan_change(None, undated)).await;
    assert_eq!(
        (codes(&v.vetoes), fields(&v.vetoes)),
        (vec!["OBJECTIVE_DUE_DATE_MISSING"], vec!["objectives[1].dueOn"])
    );
    assert!(v.vetoes[0].message.contains("medium term"), "{}", v.vetoes[0].message);
    let optional = harness(serde_json::json!({ "require_objective_due_dates": false }));
    assert!(save(&optional, plan_change(None, undated)).await.vetoes.is_empty());
}

#[tokio::test]
async fn a_review_records_attainments_and_follows_a_reassessment() {
    let h = harness(serde_json::json!({}));
    // The fixture's objective has no attainment.
    let v = save(&h, plan_change(Some((2027, 3, 1)), |_| {})).await;
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["ATTAINMENT_MISSING"], vec!["attainments"]));
    assert!(v.vetoes[0].message.contains("objective 1 (short term)"), "{}", v.vetoes[0].message);

    let attained = |p: &mut PlanChange| p.objectives[0].attainment = Some(Attainment::Partly);
    assert!(save(&h, plan_change(Some((2027, 3, 1)), attained)).await.vetoes.is_empty());

    // A review after the planned end (2027-11-30) without an assessment since.
    let v = save(&h, plan_change(Some((2027, 12, 10)), attained)).await;
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["REASSESSMENT_REQUIRED"], vec!["plan"]));
    assert!(v.vetoes[0].message.contains("2027-11-30"));
    let reassessed = |p: &mut PlanChange| {
        p.objectives[0].attainment = Some(Attainment::Reached);
        p.assessments = vec![assessment(Instrument::Svama, (2027, 12, 2), None)];
    };
    assert!(save(&h, plan_change(Some((2027, 12, 10)), reassessed)).await.vetoes.is_empty());

    // A plan built from scratch: two objectives, both unattained at the review.
    let fresh = |p: &mut PlanChange| {
        p.plan = Plan {
            id: PlanId(9),
            case_id: p.case.id,
            kind: PlanKind::Pei,
            state: PlanState::Active,
            starts_on: fixtures::date(2026, 1, 1),
            planned_end_on: None,
            review_every_months: 3,
            next_review_on: fixtures::date(2026, 4, 1),
            closure_reason: None,
        };
        p.objectives = [Term::Short, Term::Long]
            .into_iter()
            .enumerate()
            .map(|(i, term)| Objective {
                id: ObjectiveId(i64::try_from(i).unwrap() + 10),
                plan_id: PlanId(9),
                term,
                description: "Objective".into(),
                due_on: None,
                attainment: None,
            })
            .collect();
    };
    let v = save(&h, plan_change(Some((2026, 4, 1)), fresh)).await;
    assert_eq!(codes(&v.vetoes), ["ATTAINMENT_MISSING", "ATTAINMENT_MISSING"]);
    assert!(v.vetoes[1].message.contains("objective 2 (long term)"), "{}", v.vetoes[1].message);
}

#[tokio::test]
async fn the_catalogue_of_the_zone_sociali() {
    let h = harness(serde_json::json!({}));
    let c = h.catalogue().await.expect("catalogue");
    let codes: Vec<(&str, &str)> = c.iter().map(|e| (e.local_code.as_str(), e.inps_code.as_str())).collect();
    assert_eq!(
        codes,
        [
            ("UMB-SAD", "A2.07"),
            ("UMB-ADI", "A2.08"),
            ("UMB-ASS-CURA", "A1.11"),
            ("UMB-MIN-VITALE", "A1.04"),
            ("UMB-AFFITTO", "A1.05"),
            ("UMB-CD-RETTA", "A1.12"),
            ("UMB-RES-RETTA", "A1.14"),
            ("UMB-TRASPORTO", "A1.16"),
            ("UMB-COM-MIN", "A3.02"),
            ("UMB-EDU-MIN", "A2.02"),
            ("UMB-MENSA", "A2.01"),
            ("UMB-INS-LAV", "A1.18"),
        ]
    );
    let by = |code: &str| c.iter().find(|e| e.local_code == code).unwrap();
    let cura = by("UMB-ASS-CURA");
    assert_eq!(cura.name, "Assegno di cura per la non autosufficienza");
    assert_eq!(
        (cura.inps_area, cura.istat_area, cura.istat_type, cura.means_test, cura.character, cura.sina_required),
        (
            InpsArea::DisabilityNonSelfSufficiency,
            UserArea::Elderly,
            IstatType::CashTransfers,
            MeansTest::Isee,
            BenefitCharacter::Periodic,
            true
        )
    );
    let rent = by("UMB-AFFITTO");
    assert_eq!(
        (rent.character, rent.sina_required, rent.inps_area),
        (BenefitCharacter::OneOff, false, InpsArea::Poverty)
    );
    let community = by("UMB-COM-MIN");
    assert_eq!(
        (community.istat_area, community.istat_type, community.means_test, community.sina_required),
        (UserArea::FamilyAndMinors, IstatType::Structures, MeansTest::None, true)
    );
    assert_eq!(c.iter().filter(|e| e.sina_required).count(), 8);
}
