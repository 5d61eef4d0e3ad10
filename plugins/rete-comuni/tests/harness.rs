//! The Rete Comuni rules, built for `wasm32-wasip2` and run in the host's real sandbox by the
//! test harness: no server, no database. `cargo test -p siso-plugin-rete-comuni` runs it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use siso_domain::catalogue::{CatalogueEntry, InpsArea, IstatType};
use siso_domain::intervention::MeansTest;
use siso_domain::money::Money;
use siso_domain::plan::PlanState;
use siso_plugins::harness::{Harness, build_component, fixtures};
use siso_plugins::model::{Change, Issue, PluginError, Subject, Verdict};
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

fn codes(issues: &[Issue]) -> Vec<&str> {
    issues.iter().map(|i| i.code.as_str()).collect()
}

fn fields(issues: &[Issue]) -> Vec<Option<&str>> {
    issues.iter().map(|i| i.field.as_deref()).collect()
}

async fn verdict(h: &Harness, change: &Change) -> Verdict {
    h.validate(change).await.expect("no fault").expect("a verdict")
}

/// The fixture subject, for the catalogue entry `local_code` (an A1.11 cash benefit; the
/// rules look at the local code only).
fn subject_for(local_code: &str) -> Subject {
    let mut s = fixtures::subject();
    s.catalogue_entry.local_code = local_code.into();
    s
}

/// The fixture subject asking for the national catalogue's economic contribution.
fn contribution_subject() -> Subject {
    let mut s = fixtures::subject();
    s.catalogue_entry = fixtures::catalogue().into_iter().find(|e| e.local_code == "CONTR-ECO").expect("CONTR-ECO");
    s
}

fn with_active_plan(mut s: Subject) -> Subject {
    let Change::PlanSaved(change) = fixtures::plan_change(None) else { panic!("a plan change") };
    s.plan = Some((change.plan, change.objectives));
    s
}

#[test]
fn the_manifest_and_the_schema_accept_the_documented_settings_only() {
    let m = AuthorManifest::load(&manifest_path()).expect("manifest");
    assert_eq!((m.id.as_str(), m.version.as_str(), m.wit.as_str()), ("it.anci.lombardia.retecomuni", "1.0.0", "0.1.0"));
    assert_eq!(m.publisher, "ANCI Lombardia");
    let hooks: Vec<&str> = m.hooks.iter().map(|h| h.as_str()).collect();
    assert_eq!(hooks.len(), 7, "{hooks:?}");
    assert!(m.capabilities.is_empty());

    assert_eq!(m.check_settings(&serde_json::json!({})), Ok(()));
    let documented = serde_json::json!({
        "access_reasons": ["information", "economic_hardship", "housing", "work", "care", "non_self_sufficiency",
                           "disability", "minors", "family", "health", "violence", "addiction", "immigration", "legal"],
        "information_only_reasons": ["information"],
        "unclassified_reporter_allowed": false,
        "forward_within_days": 60,
        "vouchers": [ {"local_code": "BUONO-SOCIALE", "kind": "cash", "monthly_cap_cents": 40000, "max_months": 12},
                      {"local_code": "VOUCHER-SAD", "kind": "hours", "hourly_rate_cents": 2000, "max_monthly_hours": 40, "max_months": 6} ],
        "contributions": [ {"local_code": "CONTR-ECO", "isee_ceiling_cents": 600000, "monthly_cents": 30000, "max_months": 6, "requires_project": true} ]
    });
    assert_eq!(m.check_settings(&documented), Ok(()));

    for bad in [
        serde_json::json!({ "unknown": 1 }),
        serde_json::json!({ "forward_within_days": -1 }),
        serde_json::json!({ "forward_within_days": "60" }),
        // A cash voucher with an hours field; an hours voucher without its rate; an unknown kind.
        serde_json::json!({ "vouchers": [{"local_code": "B", "kind": "cash", "monthly_cap_cents": 1, "max_months": 1, "hourly_rate_cents": 5}] }),
        serde_json::json!({ "vouchers": [{"local_code": "V", "kind": "hours", "max_monthly_hours": 4, "max_months": 1}] }),
        serde_json::json!({ "vouchers": [{"local_code": "G", "kind": "gift", "monthly_cap_cents": 1, "max_months": 1}] }),
        serde_json::json!({ "vouchers": [{"local_code": "B", "kind": "cash", "monthly_cap_cents": 1, "max_months": 0}] }),
        serde_json::json!({ "contributions": [{"local_code": "C", "isee_ceiling_cents": 1, "monthly_cents": 1, "max_months": 1}] }),
        serde_json::json!({ "contributions": [{"local_code": "C", "isee_ceiling_cents": 1, "monthly_cents": 1, "max_months": 1, "requires_project": true, "x": 1}] }),
    ] {
        assert!(m.check_settings(&bad).is_err(), "accepted {bad}");
    }
}

#[tokio::test]
async fn access_sheets_need_classified_reasons_and_referral_source() {
    let h = harness(serde_json::json!({}));
    assert_eq!(
        verdict(&h, &Change::AccessSheetOpened(fixtures::access_sheet(&["housing", "work"]))).await,
        Verdict::default()
    );

    let v = verdict(&h, &Change::AccessSheetOpened(fixtures::access_sheet(&[]))).await;
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["REASONS_MISSING"], vec![Some("reasons")]));

    let mut sheet = fixtures::access_sheet(&["housing", "astrology"]);
    sheet.reporter = siso_domain::access::ReporterKind::Other;
    let v = verdict(&h, &Change::AccessSheetOpened(sheet.clone())).await;
    assert_eq!(codes(&v.vetoes), ["REASON_NOT_CLASSIFIED", "REFERRAL_SOURCE_UNCLASSIFIED"]);
    assert_eq!(fields(&v.vetoes), [Some("reasons"), Some("reporter")]);
    assert!(v.vetoes[0].message.contains("\"astrology\""), "{}", v.vetoes[0].message);

    // A comune that classifies "astrology" and accepts unclassified referral sources.
    let h = harness(serde_json::json!({
        "access_reasons": ["information", "housing", "astrology"], "unclassified_reporter_allowed": true
    }));
    assert_eq!(verdict(&h, &Change::AccessSheetOpened(sheet)).await, Verdict::default());
}

#[tokio::test]
async fn forwarding_needs_consent_a_need_and_a_recent_access() {
    let h = harness(serde_json::json!({}));
    // The fixture's access is on 2026-11-20.
    let mut case = fixtures::subject().case;
    case.opened_on = fixtures::date(2026, 11, 26);
    let ok = Change::AccessSheetForwarded(fixtures::access_sheet(&["information", "care"]), case.clone());
    assert_eq!(verdict(&h, &ok).await, Verdict::default());

    let mut sheet = fixtures::access_sheet(&["information"]);
    sheet.privacy_consent = false;
    let mut late = case.clone();
    late.opened_on = fixtures::date(2027, 1, 20); // 61 days after the access
    let v = verdict(&h, &Change::AccessSheetForwarded(sheet, late.clone())).await;
    assert_eq!(codes(&v.vetoes), ["PRIVACY_CONSENT_MISSING", "INFORMATION_ONLY", "ACCESS_TOO_OLD"]);
    assert_eq!(fields(&v.vetoes), [Some("privacyConsent"), Some("reasons"), Some("openedOn")]);
    assert!(v.vetoes[2].message.contains("61 days"), "{}", v.vetoes[2].message);

    // Day 60 is still in time; a comune with a 90-day window takes day 61.
    late.opened_on = fixtures::date(2027, 1, 19);
    let v = verdict(&h, &Change::AccessSheetForwarded(fixtures::access_sheet(&["care"]), late.clone())).await;
    assert_eq!(v, Verdict::default());
    late.opened_on = fixtures::date(2027, 1, 20);
    let h = harness(serde_json::json!({ "forward_within_days": 90 }));
    let v = verdict(&h, &Change::AccessSheetForwarded(fixtures::access_sheet(&["care"]), late)).await;
    assert_eq!(v, Verdict::default());
}

#[tokio::test]
async fn a_cash_voucher_is_capped_monthly_and_for_its_months() {
    let h = harness(serde_json::json!({}));
    // The fixture: €400.00 a month from 2026-03-01 to 2026-12-31 (10 months), €4800.00.
    let s = subject_for("BUONO-SOCIALE");
    assert_eq!(verdict(&h, &fixtures::request(s.clone())).await, Verdict::default());

    let v = verdict(&h, &fixtures::authorisation(s.clone())).await;
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["AUTHORISED_ABOVE_CAP"], vec![Some("authorisedAmount")]));
    assert_eq!(
        v.vetoes[0].message,
        "The authorised amount (€4800.00) is above €400.00 a month for 10 months (€4000.00)."
    );
    let mut ok = s.clone();
    ok.intervention.requested_amount = Money::from_euro(4000);
    assert_eq!(verdict(&h, &fixtures::authorisation(ok)).await, Verdict::default());

    let mut high = s.clone();
    high.intervention.monthly_amount = Some(Money::from_cents(40_001));
    high.intervention.ends_on = Some(fixtures::date(2027, 3, 1)); // 13 months
    let v = verdict(&h, &fixtures::request(high)).await;
    assert_eq!(codes(&v.vetoes), ["VALIDITY_TOO_LONG", "AMOUNT_ABOVE_CAP"]);
    assert_eq!(fields(&v.vetoes), [Some("endsOn"), Some("monthlyAmount")]);

    let mut open = s;
    open.intervention.ends_on = None;
    open.intervention.monthly_amount = None;
    let v = verdict(&h, &fixtures::request(open)).await;
    assert_eq!(codes(&v.vetoes), ["VALIDITY_MISSING", "MONTHLY_AMOUNT_MISSING"]);
    assert_eq!(fields(&v.vetoes), [Some("endsOn"), Some("monthlyAmount")]);
}

#[tokio::test]
async fn an_hours_voucher_is_capped_by_hours_rate_and_validity() {
    let h = harness(serde_json::json!({}));
    let mut s = subject_for("VOUCHER-SAD");
    let v = verdict(&h, &fixtures::request(s.clone())).await;
    // 10 months against 6; no hours.
    assert_eq!(codes(&v.vetoes), ["VALIDITY_TOO_LONG", "HOURS_MISSING"]);
    assert_eq!(fields(&v.vetoes), [Some("endsOn"), Some("monthlyHours")]);

    // 2026-03 to 2026-08: 6 months; 20 hours at €20.00 = €400.00 a month.
    s.intervention.ends_on = Some(fixtures::date(2026, 8, 31));
    s.intervention.monthly_hours_centi = Some(2_000);
    s.intervention.requested_amount = Money::from_euro(2400);
    assert_eq!(verdict(&h, &fixtures::request(s.clone())).await, Verdict::default());
    assert_eq!(verdict(&h, &fixtures::authorisation(s.clone())).await, Verdict::default());

    let mut more = s.clone();
    more.intervention.monthly_hours_centi = Some(4_100);
    more.intervention.requested_amount = Money::from_euro(4801); // above 40 h × €20.00 × 6 months
    let v = verdict(&h, &fixtures::authorisation(more)).await;
    assert_eq!(codes(&v.vetoes), ["HOURS_ABOVE_CAP", "AUTHORISED_ABOVE_CAP"]);
    assert_eq!(fields(&v.vetoes), [Some("monthlyHours"), Some("authorisedAmount")]);

    let mut dear = s;
    dear.intervention.monthly_hours_centi = Some(1_250); // 12.5 h = €250.00
    let v = verdict(&h, &fixtures::request(dear)).await;
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["AMOUNT_ABOVE_HOURS"], vec![Some("monthlyAmount")]));
    assert_eq!(v.vetoes[0].message, "The monthly amount (€400.00) is above 12.50 hours at €20.00 an hour (€250.00).");
}

#[tokio::test]
async fn voucher_disbursements_stay_within_validity_hours_and_caps() {
    let h = harness(serde_json::json!({}));
    let cash = subject_for("BUONO-SOCIALE");
    let april = fixtures::date(2026, 4, 1);
    let ok = fixtures::disbursement(cash.clone(), april, Money::from_euro(400), None);
    assert_eq!(verdict(&h, &ok).await, Verdict::default());
    let v = verdict(&h, &fixtures::disbursement(cash.clone(), april, Money::from_cents(40_001), None)).await;
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["AMOUNT_ABOVE_CAP"], vec![Some("amount")]));
    let v = verdict(&h, &fixtures::disbursement(cash, fixtures::date(2027, 1, 1), Money::from_euro(400), None)).await;
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["OUTSIDE_VALIDITY"], vec![Some("periodFrom")]));

    let hours = subject_for("VOUCHER-SAD");
    let ok = fixtures::disbursement(hours.clone(), april, Money::from_euro(800), Some(4_000));
    assert_eq!(verdict(&h, &ok).await, Verdict::default());
    let v = verdict(&h, &fixtures::disbursement(hours.clone(), april, Money::from_euro(100), None)).await;
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["HOURS_MISSING"], vec![Some("hours")]));
    let v = verdict(&h, &fixtures::disbursement(hours.clone(), april, Money::from_euro(810), Some(4_050))).await;
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["HOURS_ABOVE_CAP"], vec![Some("hours")]));
    let v = verdict(&h, &fixtures::disbursement(hours, april, Money::from_cents(60_001), Some(3_000))).await;
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["AMOUNT_ABOVE_HOURS"], vec![Some("amount")]));
}

#[tokio::test]
async fn a_contribution_follows_the_comune_regulation() {
    let h = harness(serde_json::json!({}));
    // ISEE €7,500, no plan, €400.00 a month for 10 months, €4800.00 authorised.
    let mut s = contribution_subject();
    s.isee = vec![fixtures::isee(Money::from_euro(7_500))];
    let v = verdict(&h, &fixtures::authorisation(s.clone())).await;
    assert_eq!(
        codes(&v.vetoes),
        [
            "ISEE_ABOVE_THRESHOLD",
            "PROJECT_MISSING",
            "AMOUNT_ABOVE_RULE",
            "DURATION_ABOVE_RULE",
            "AUTHORISED_ABOVE_RULE"
        ]
    );
    assert_eq!(
        fields(&v.vetoes),
        [Some("isee"), Some("planId"), Some("monthlyAmount"), Some("endsOn"), Some("authorisedAmount")]
    );
    assert_eq!(
        v.vetoes[0].message,
        "The ISEE (€7500.00) is above the threshold of the comune's regulation (€6000.00)."
    );
    // Requests are not checked: the regulation applies when it is granted.
    assert_eq!(verdict(&h, &fixtures::request(s.clone())).await, Verdict::default());

    // The second test case of the domain: ISEE €4,800, a project, €300.00 a month for 6 months.
    let mut ok = with_active_plan(s);
    ok.isee = vec![fixtures::isee(Money::from_euro(4_800))];
    ok.intervention.monthly_amount = Some(Money::from_euro(300));
    ok.intervention.ends_on = Some(fixtures::date(2026, 8, 31));
    ok.intervention.requested_amount = Money::from_euro(1_800);
    assert_eq!(verdict(&h, &fixtures::authorisation(ok.clone())).await, Verdict::default());

    let mut closed = ok.clone();
    if let Some((plan, _)) = closed.plan.as_mut() {
        plan.state = PlanState::Closed;
    }
    let v = verdict(&h, &fixtures::authorisation(closed)).await;
    assert_eq!((codes(&v.vetoes), fields(&v.vetoes)), (vec!["PROJECT_MISSING"], vec![Some("planId")]));

    let mut none = ok.clone();
    none.isee.clear();
    none.intervention.monthly_amount = None;
    none.intervention.ends_on = None;
    let v = verdict(&h, &fixtures::authorisation(none)).await;
    assert_eq!(codes(&v.vetoes), ["ISEE_MISSING", "MONTHLY_AMOUNT_MISSING", "DURATION_MISSING"]);

    // A comune with a higher threshold and no project requirement.
    let h = harness(serde_json::json!({ "contributions": [
        {"local_code": "CONTR-ECO", "isee_ceiling_cents": 800000, "monthly_cents": 40000, "max_months": 12, "requires_project": false}
    ]}));
    let mut s = contribution_subject();
    s.isee = vec![fixtures::isee(Money::from_euro(7_500))];
    s.intervention.requested_amount = Money::from_euro(4_000);
    assert_eq!(verdict(&h, &fixtures::authorisation(s)).await, Verdict::default());
}

#[tokio::test]
async fn eligibility_for_contributions_and_vouchers_and_abstention_otherwise() {
    let h = harness(serde_json::json!({}));
    let mut s = with_active_plan(contribution_subject());
    s.isee = vec![fixtures::isee(Money::from_euro(4_800))];
    let e = h.eligibility(&s).await.unwrap().unwrap();
    assert!(e.eligible);
    assert_eq!(e.amount, Some(Money::from_euro(300)));
    assert_eq!(codes(&e.reasons), ["CONTRIBUTION_RULE"]);
    assert_eq!(
        e.reasons[0].message,
        "The ISEE (€4800.00) is within the threshold (€6000.00): €300.00 a month for at most 6 months."
    );

    let e = h.eligibility(&contribution_subject()).await.unwrap().unwrap();
    assert!(!e.eligible);
    assert_eq!(e.amount, None);
    assert_eq!(codes(&e.reasons), ["ISEE_ABOVE_THRESHOLD", "PROJECT_MISSING"]);

    let e = h.eligibility(&subject_for("VOUCHER-SAD")).await.unwrap().unwrap();
    assert!(e.eligible);
    assert_eq!(e.amount, Some(Money::from_euro(800)));
    assert_eq!(codes(&e.reasons), ["VOUCHER_RULE"]);
    let e = h.eligibility(&subject_for("BUONO-SOCIALE")).await.unwrap().unwrap();
    assert_eq!((e.eligible, e.amount), (true, Some(Money::from_euro(400))));

    // The fixture's assegno di cura is not a Rete Comuni voucher or contribution.
    let r = h.eligibility(&fixtures::subject()).await.unwrap();
    assert!(matches!(r, Err(PluginError::Unsupported(_))), "{r:?}");
    // Nor are its changes this plug-in's business.
    assert_eq!(verdict(&h, &fixtures::authorisation(fixtures::subject())).await, Verdict::default());

    let all = h.eligibility_batch(&[s, subject_for("BUONO-SOCIALE"), fixtures::subject()]).await.unwrap();
    assert!(all[0].as_ref().is_ok_and(|e| e.eligible && e.amount == Some(Money::from_euro(300))));
    assert!(all[1].as_ref().is_ok_and(|e| e.eligible && e.amount == Some(Money::from_euro(400))));
    assert!(matches!(all[2], Err(PluginError::Unsupported(_))));
}

#[tokio::test]
async fn settings_the_schema_lets_through_but_the_rules_cannot_use_are_refused() {
    // Valid against the schema, but the same local code is ruled twice.
    let h = harness(serde_json::json!({ "contributions": [
        {"local_code": "BUONO-SOCIALE", "isee_ceiling_cents": 1, "monthly_cents": 1, "max_months": 1, "requires_project": false}
    ]}));
    let r = h.validate(&fixtures::request(subject_for("BUONO-SOCIALE"))).await.unwrap();
    assert!(matches!(r, Err(PluginError::BadSettings(_))), "{r:?}");
    let r = h.eligibility(&subject_for("BUONO-SOCIALE")).await.unwrap();
    assert!(matches!(r, Err(PluginError::BadSettings(_))), "{r:?}");
}

#[tokio::test]
async fn the_catalogue_contributes_the_two_vouchers() {
    let h = harness(serde_json::json!({}));
    let entries: Vec<CatalogueEntry> = h.catalogue().await.unwrap();
    let summary: Vec<(&str, &str, &str, InpsArea, IstatType, MeansTest, bool)> = entries
        .iter()
        .map(|e| {
            (
                e.local_code.as_str(),
                e.name.as_str(),
                e.inps_code.as_str(),
                e.inps_area,
                e.istat_type,
                e.means_test,
                e.sina_required,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "BUONO-SOCIALE",
                "Buono sociale mensile (caregiver familiare)",
                "A1.11",
                InpsArea::DisabilityNonSelfSufficiency,
                IstatType::CashTransfers,
                MeansTest::Isee,
                true
            ),
            (
                "VOUCHER-SAD",
                "Voucher sociale per assistenza domiciliare",
                "A2.07",
                InpsArea::DisabilityNonSelfSufficiency,
                IstatType::Services,
                MeansTest::Isee,
                true
            ),
        ]
    );
    assert_eq!(entries[0].istat_area, siso_domain::case::UserArea::Disability);
    assert_eq!(entries[1].istat_area, siso_domain::case::UserArea::Elderly);
}
