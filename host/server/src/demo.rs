//! Demo data: the administrations of the reuse request, with offices, operators, persons,
//! cases and interventions in every state, and funding lines with commitments and payments.
//! Everything after the reference data goes through the use cases, so the demo obeys the same
//! rules as the API.

use std::path::PathBuf;

use anyhow::Context;
use chrono::{Datelike, Months, NaiveDate};
use siso_app::usecases::{CreatePerson, OpenAccessSheet, OpenCase, RecordDisbursement, RequestIntervention};
use siso_app::{Actor, App};
use siso_domain::access::{AccessChannel, ReporterKind};
use siso_domain::assessment::{Instrument, SinaBlock};
use siso_domain::budget::FundKind;
use siso_domain::case::{CaseAction, UserArea};
use siso_domain::catalogue::{self, CatalogueEntry, InpsArea, IstatType};
use siso_domain::ids::*;
use siso_domain::intervention::{BenefitCharacter, InterventionAction, MeansTest, Shares};
use siso_domain::money::Money;
use siso_domain::org::OrgUnitKind;
use siso_domain::person::{IseeKind, Relation, Sex};
use siso_domain::plan::{PlanKind, Term};
use siso_store::repo::org::{NewOrgUnit, insert_operator, insert_unit};
use siso_store::repo::{budget, catalogue as catalogue_repo, providers};

/// Where the demo publisher's secret key lives (created on first use).
const DEMO_KEY: &str = "data/demo-publisher.key";

/// The demo publisher key (created if missing) as a `plugins.trusted` entry for the
/// manifest's publisher.
pub fn demo_publisher(manifest: &std::path::Path) -> anyhow::Result<String> {
    let m = siso_plugins::package::AuthorManifest::load(manifest)?;
    let path = std::path::Path::new(DEMO_KEY);
    if !path.exists() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let key = siso_plugins::package::generate_key()?;
        crate::plugin_cli::write_secret(path, &siso_plugins::package::encode_secret_key(&key))?;
    }
    let key = siso_plugins::package::decode_secret_key(&std::fs::read_to_string(path)?)?;
    Ok(format!("{}={}", m.publisher, siso_plugins::package::public_key(&key)))
}

/// The administrations' plug-ins in the demo: where each is enabled and with which settings
/// (JSON valid against its schema; `{}` takes the defaults its README documents). A plug-in
/// not listed here (the template) is installed but enabled nowhere.
const ENABLEMENTS: &[(&str, &str, &str)] = &[
    // Umbria: the SISO practices for every zona sociale and comune of the Region.
    ("it.regione.umbria.siso", "Regione Umbria", "{}"),
    // Rete Comuni: the Lombard ambito of the demo.
    ("it.anci.lombardia.retecomuni", "Ambito di Lodi (Rete Comuni)", "{}"),
    // Lazio: the regional bands everywhere; Municipio VII sets its own (a district may).
    ("it.regione.lazio.fna", "Regione Lazio", "{}"),
    (
        "it.regione.lazio.fna",
        "Municipio Roma VII",
        r#"{"assegno_di_cura": {"local_code": "FNA-ADC",
            "gravissima": {"min_cents": 80000, "max_cents": 120000, "bands": [
                {"isee_up_to_cents": 2000000, "monthly_cents": 120000},
                {"isee_up_to_cents": 4000000, "monthly_cents": 100000},
                {"isee_up_to_cents": null, "monthly_cents": 80000}]},
            "grave": {"min_cents": 40000, "max_cents": 80000, "bands": [
                {"isee_up_to_cents": 2000000, "monthly_cents": 80000},
                {"isee_up_to_cents": 4000000, "monthly_cents": 60000},
                {"isee_up_to_cents": null, "monthly_cents": 40000}]}}}"#,
    ),
    // Co-payment: Lecce's regulation and Perugia's, different on purpose.
    (
        "it.siso.compartecipazione",
        "Comune di Lecce",
        r#"{"exempt_up_to_cents": 600000, "monthly_cap_cents": 25000,
            "bands": [{"up_to_cents": 1500000, "percent": 20}, {"up_to_cents": 3000000, "percent": 40},
                      {"up_to_cents": null, "fixed_cents": 30000}]}"#,
    ),
    (
        "it.siso.compartecipazione",
        "Comune di Perugia",
        r#"{"exempt_codes": ["A3.02"],
            "bands": [{"up_to_cents": 1300000, "fixed_cents": 5000}, {"up_to_cents": 2500000, "fixed_cents": 10000},
                      {"up_to_cents": null, "percent": 50}]}"#,
    ),
];

/// Signs each plug-in (manifest, component) with the demo publisher key, installs it and
/// enables it as [`ENABLEMENTS`] says. The caller trusts the demo key for the publishers
/// ([`demo_publisher`]).
pub async fn install_plugins(app: &App, plugins: &[(PathBuf, PathBuf)]) -> anyhow::Result<()> {
    let units = siso_store::repo::org::all_units(app.store()).await?;
    let unit = |name: &str| units.iter().find(|u| u.name == name).map(|u| u.id).context(format!("no unit {name:?}"));
    for (manifest, component) in plugins {
        let pkg = crate::plugin_cli::sign(manifest, component, std::path::Path::new(DEMO_KEY))?;
        // Each plug-in belongs to the administration of its first enablement (the template, to
        // Umbria); the demo grants every capability a plug-in asks for.
        let owner = ENABLEMENTS.iter().find(|(id, ..)| *id == pkg.manifest.id).map_or("Regione Umbria", |(_, u, _)| u);
        let admin = Actor::system(unit(owner)?);
        let grants: Vec<String> = pkg.manifest.capabilities.iter().map(|c| c.as_str().to_string()).collect();
        let installed = app
            .plugins()
            .install(&admin, &pkg.to_bytes())
            .await
            .map_err(|e| anyhow::anyhow!("install {}: {e:?}", manifest.display()))?;
        for (id, unit_name, settings) in ENABLEMENTS.iter().filter(|(id, ..)| *id == installed.key) {
            let org = unit(unit_name)?;
            app.plugins()
                .enable(
                    &Actor::system(org),
                    siso_app::plugins::Enable {
                        plugin: installed.key.clone(),
                        org_unit_id: org,
                        settings: Some((*settings).to_string()),
                        capabilities: grants.clone(),
                        failure_policy: None,
                        locked: false,
                    },
                )
                .await
                .map_err(|e| anyhow::anyhow!("enable {id} for {unit_name}: {e:?}"))?;
        }
        tracing::info!(plugin = %installed.key, version = %installed.version, "demo plug-in installed");
    }
    Ok(())
}

/// Parses `MANIFEST=COMPONENT` (the `--plugin` option).
pub fn parse_plugin_arg(arg: &str) -> anyhow::Result<(PathBuf, PathBuf)> {
    let (m, c) = arg.split_once('=').context("--plugin takes MANIFEST=COMPONENT")?;
    Ok((PathBuf::from(m), PathBuf::from(c)))
}

/// Deletes the SQLite file (and its WAL) so the demo starts afresh.
pub fn reset_sqlite_file(url: &str) -> anyhow::Result<()> {
    let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = path.split('?').next().unwrap_or(path);
    for suffix in ["", "-wal", "-shm"] {
        let p = format!("{path}{suffix}");
        if std::path::Path::new(&p).exists() {
            std::fs::remove_file(&p).with_context(|| format!("cannot remove {p}"))?;
        }
    }
    Ok(())
}

struct Units {
    store: siso_store::Store,
    now: chrono::DateTime<chrono::Utc>,
}

impl Units {
    async fn add(
        &self,
        parent: Option<OrgUnitId>,
        kind: OrgUnitKind,
        name: &str,
        istat: Option<&str>,
        cad: Option<&str>,
    ) -> anyhow::Result<OrgUnitId> {
        let u = NewOrgUnit {
            parent_id: parent,
            kind,
            name: name.into(),
            istat_code: istat.map(Into::into),
            cadastral_code: cad.map(Into::into),
            inps_ente_code: istat.map(|i| format!("E{i}")),
            fiscal_code: None,
        };
        Ok(insert_unit(&self.store, u, self.now).await?.id)
    }
}

/// The day before the same day of the next month: the end of a monthly period.
fn month_end(from: NaiveDate) -> NaiveDate {
    from.checked_add_months(Months::new(1)).and_then(|x| x.pred_opt()).unwrap_or(from)
}

/// Opens a case for `person` in `office`, held by `actor`, on `on`.
async fn case_for(
    app: &App,
    actor: &Actor,
    office: OrgUnitId,
    person: PersonId,
    area: UserArea,
    on: NaiveDate,
) -> anyhow::Result<siso_domain::case::Case> {
    let cmd = OpenCase {
        org_unit_id: office,
        person_id: person,
        area,
        responsible_operator_id: actor.operator_id,
        opened_on: on,
    };
    Ok(app.open_case(actor, cmd).await?)
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
}

/// Generates `scale` units of bulk data after the demo data, timing it.
pub async fn generate(app: &App, scale: u32) -> anyhow::Result<()> {
    if scale == 0 {
        return Ok(());
    }
    let started = std::time::Instant::now();
    let g = siso_store::generate::generate(app.store(), scale, app.clock().now()).await.context("data generator")?;
    let secs = started.elapsed().as_secs_f64();
    tracing::info!(persons = g.persons, cases = g.cases, disbursements = g.disbursements, seconds = secs, "generated");
    println!("generated {} persons, {} cases, {} disbursements in {secs:.1} s", g.persons, g.cases, g.disbursements);
    Ok(())
}

/// Loads the demo data.
pub async fn load(app: &App) -> anyhow::Result<()> {
    let store = app.store().clone();
    let now = app.clock().now();
    let today = app.clock().today();
    let u = Units { store: store.clone(), now };
    use OrgUnitKind::*;

    // Regione Umbria: two zone sociali, three comuni.
    let umbria = u.add(None, Region, "Regione Umbria", None, None).await?;
    let zona1 = u.add(Some(umbria), Ambito, "Zona sociale 2 - Perugia", None, None).await?;
    let zona2 = u.add(Some(umbria), Ambito, "Zona sociale 10 - Terni", None, None).await?;
    let perugia = u.add(Some(zona1), Comune, "Comune di Perugia", Some("054039"), Some("G478")).await?;
    let corciano = u.add(Some(zona1), Comune, "Comune di Corciano", Some("054015"), Some("D016")).await?;
    let terni = u.add(Some(zona2), Comune, "Comune di Terni", Some("055032"), Some("L117")).await?;
    let perugia_office = u.add(Some(perugia), Office, "Perugia - Segretariato sociale", None, None).await?;
    let _ = u.add(Some(corciano), Office, "Corciano - Servizio sociale", None, None).await?;
    let _ = u.add(Some(terni), Office, "Terni - Servizio sociale", None, None).await?;

    // Regione Lazio, Roma Capitale with its 15 Municipi (each an ambito), a district, two comuni.
    let lazio = u.add(None, Region, "Regione Lazio", None, None).await?;
    let roma = u.add(Some(lazio), Comune, "Roma Capitale", Some("058091"), Some("H501")).await?;
    let numerals = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV"];
    let mut municipi = Vec::new();
    for n in numerals {
        let m = u.add(Some(roma), Municipio, &format!("Municipio Roma {n}"), None, None).await?;
        municipi.push(m);
    }
    let pua_roma1 = u.add(Some(municipi[0]), Office, "Municipio I - PUA", None, None).await?;
    let pua_roma7 = u.add(Some(municipi[6]), Office, "Municipio VII - PUA", None, None).await?;
    let distretto = u.add(Some(lazio), Ambito, "Distretto socio-sanitario RM 5.1", None, None).await?;
    let guidonia =
        u.add(Some(distretto), Comune, "Comune di Guidonia Montecelio", Some("058047"), Some("E263")).await?;
    let tivoli = u.add(Some(distretto), Comune, "Comune di Tivoli", Some("058104"), Some("L182")).await?;
    let _ = u.add(Some(guidonia), Office, "Guidonia - Servizio sociale", None, None).await?;
    let _ = u.add(Some(tivoli), Office, "Tivoli - Servizio sociale", None, None).await?;

    // Comune di Lecce; a Rete Comuni member comune in Lombardia.
    let lecce = u.add(None, Comune, "Comune di Lecce", Some("075035"), Some("E506")).await?;
    let lecce_office = u.add(Some(lecce), Office, "Lecce - Settore Welfare", None, None).await?;
    let lombardia = u.add(None, Region, "Regione Lombardia", None, None).await?;
    let ambito_lo = u.add(Some(lombardia), Ambito, "Ambito di Lodi (Rete Comuni)", None, None).await?;
    let lodi = u.add(Some(ambito_lo), Comune, "Comune di Lodi", Some("098031"), Some("E648")).await?;
    let lodi_office = u.add(Some(lodi), Office, "Lodi - Servizio sociale", None, None).await?;
    let provider_org = u.add(Some(roma), Provider, "Cooperativa Sociale Il Ponte", None, None).await?;
    let provider_pg_org = u.add(Some(perugia), Provider, "Comunità educativa La Tenda", None, None).await?;

    // Operators: one social worker and one administrative officer per main office.
    let mut ops = Vec::new();
    for (office, user, name) in [
        (perugia_office, "op.perugia", "Operatrice Perugia"),
        (pua_roma1, "op.roma1", "Assistente sociale Municipio I"),
        (pua_roma7, "op.roma7", "Assistente sociale Municipio VII"),
        (lecce_office, "op.lecce", "Assistente sociale Lecce"),
        (lodi_office, "op.lodi", "Assistente sociale Lodi"),
    ] {
        ops.push(insert_operator(&store, office, user, name, "operator", None, now).await?);
    }
    // Authorising a payment and recording it are separate permissions (separate people); the
    // administrative offices work for the whole comune or Municipio and manage its budgets.
    for (office, user, name, role) in [
        (municipi[0], "amm.roma1", "Amministrativo Municipio I", "administrative"),
        (municipi[0], "pay.roma1", "Ragioneria Municipio I", "paymaster"),
        (municipi[6], "amm.roma7", "Amministrativo Municipio VII", "administrative"),
        (municipi[6], "pay.roma7", "Ragioneria Municipio VII", "paymaster"),
        (perugia, "amm.perugia", "Amministrativo Perugia", "administrative"),
        (perugia, "pay.perugia", "Ragioneria Perugia", "paymaster"),
        (lecce, "amm.lecce", "Amministrativo Lecce", "administrative"),
        (lecce, "pay.lecce", "Ragioneria Lecce", "paymaster"),
        (lodi, "amm.lodi", "Amministrativo Lodi", "administrative"),
        (lodi, "pay.lodi", "Ragioneria Lodi", "paymaster"),
        (pua_roma1, "head.roma1", "Responsabile PUA Municipio I", "office_head"),
    ] {
        insert_operator(&store, office, user, name, role, None, now).await?;
    }
    // Roma Capitale's coordination reads the cases of all 15 Municipi; the Region's analyst
    // sees aggregates only; the DPO reads the access log; administrators of units and plug-ins.
    insert_operator(&store, roma, "coord.roma", "Coordinamento Roma Capitale", "ambito_coordinator", None, now).await?;
    insert_operator(&store, lazio, "analyst.lazio", "Osservatorio Regione Lazio", "region_analyst", None, now).await?;
    insert_operator(&store, roma, "dpo.roma", "Responsabile protezione dati Roma", "auditor", None, now).await?;
    insert_operator(&store, roma, "admin.roma", "Amministratore Roma Capitale", "org_admin", None, now).await?;
    insert_operator(&store, umbria, "admin.umbria", "Amministratore Regione Umbria", "org_admin", None, now).await?;
    insert_operator(&store, provider_org, "op.ponte", "Coordinatrice Il Ponte", "provider", None, now).await?;
    insert_operator(&store, provider_pg_org, "op.tenda", "Coordinatore La Tenda", "provider", None, now).await?;
    insert_operator(&store, umbria, "plugins.umbria", "Amministratore plug-in Umbria", "plugin_admin", None, now)
        .await?;

    // National catalogue.
    let mut entries = Vec::new();
    for (local, name, inps, area, istat_area, ty, means, character) in [
        (
            "CONTR-ECO",
            "Contributo economico",
            "A1.04",
            InpsArea::Poverty,
            UserArea::Poverty,
            IstatType::CashTransfers,
            MeansTest::Isee,
            BenefitCharacter::Periodic,
        ),
        (
            "ASS-CURA",
            "Assegno di cura",
            "A1.11",
            InpsArea::DisabilityNonSelfSufficiency,
            UserArea::Elderly,
            IstatType::CashTransfers,
            MeansTest::Isee,
            BenefitCharacter::Periodic,
        ),
        (
            "SAD",
            "Assistenza domiciliare (SAD)",
            "A2.07",
            InpsArea::DisabilityNonSelfSufficiency,
            UserArea::Elderly,
            IstatType::Services,
            MeansTest::Isee,
            BenefitCharacter::Periodic,
        ),
        (
            "RES-MIN",
            "Comunità residenziale per minori",
            "A3.02",
            InpsArea::FamilyAndMinors,
            UserArea::FamilyAndMinors,
            IstatType::Structures,
            MeansTest::None,
            BenefitCharacter::Periodic,
        ),
        (
            "EDU-DOM",
            "Educativa domiciliare",
            "A2.02",
            InpsArea::FamilyAndMinors,
            UserArea::FamilyAndMinors,
            IstatType::Services,
            MeansTest::None,
            BenefitCharacter::Periodic,
        ),
    ] {
        let e = CatalogueEntry {
            id: CatalogueEntryId(0),
            org_unit_id: None,
            local_code: local.into(),
            name: name.into(),
            inps_code: inps.into(),
            inps_area: area,
            istat_area,
            istat_type: ty,
            sina_required: catalogue::requires_sina(inps),
            means_test: means,
            character,
        };
        entries.push(catalogue_repo::insert(&store, &e, now).await?);
    }
    let provider = providers::insert(
        &store,
        &siso_domain::provider::Provider {
            id: ProviderId(0),
            org_unit_id: provider_org,
            name: "Cooperativa Sociale Il Ponte".into(),
            vat_number: None,
            accreditation: Some("RM-ACC-2023-114".into()),
            places: Some(12),
        },
        now,
    )
    .await?;
    providers::insert(
        &store,
        &siso_domain::provider::Provider {
            id: ProviderId(0),
            org_unit_id: provider_pg_org,
            name: "Comunità educativa La Tenda".into(),
            vat_number: None,
            accreditation: Some("PG-ACC-2022-031".into()),
            places: Some(8),
        },
        now,
    )
    .await?;

    // Funds and lines.
    let year = today.year();
    let fna = budget::insert_fund(&store, lazio, FundKind::Fna, "Fondo Non Autosufficienze", now).await?;
    let fp = budget::insert_fund(&store, umbria, FundKind::Poverty, "Fondo Povertà", now).await?;
    let own = budget::insert_fund(&store, lecce, FundKind::Own, "Risorse proprie Comune di Lecce", now).await?;
    let system_roma = Actor::system(roma);
    let line_fna = app
        .create_funding_line(
            &system_roma,
            siso_app::usecases::CreateFundingLine {
                fund_id: fna.id,
                org_unit_id: roma,
                name: format!("FNA {year} - assegni di cura Roma"),
                year,
                chapter: Some("U.1.04.02.02".into()),
                amount: Money::from_euro(500_000),
            },
        )
        .await?;
    let line_minori = app
        .create_funding_line(
            &system_roma,
            siso_app::usecases::CreateFundingLine {
                fund_id: own.id,
                org_unit_id: roma,
                name: format!("Accoglienza minori {year}"),
                year,
                chapter: Some("U.1.03.02.15".into()),
                amount: Money::from_euro(200_000),
            },
        )
        .await?;
    let line_pov = app
        .create_funding_line(
            &Actor::system(perugia),
            siso_app::usecases::CreateFundingLine {
                fund_id: fp.id,
                org_unit_id: perugia,
                name: format!("Contributi economici {year}"),
                year,
                chapter: Some("U.1.04.02.05".into()),
                amount: Money::from_euro(60_000),
            },
        )
        .await?;
    let line_lecce = app
        .create_funding_line(
            &Actor::system(lecce),
            siso_app::usecases::CreateFundingLine {
                fund_id: own.id,
                org_unit_id: lecce,
                name: format!("Contributi Lecce {year}"),
                year,
                chapter: None,
                amount: Money::from_euro(40_000),
            },
        )
        .await?;
    let own_lodi = budget::insert_fund(&store, lodi, FundKind::Own, "Risorse proprie Comune di Lodi", now).await?;
    app.create_funding_line(
        &Actor::system(lodi),
        siso_app::usecases::CreateFundingLine {
            fund_id: own_lodi.id,
            org_unit_id: lodi,
            name: format!("Contributi economici Lodi {year}"),
            year,
            chapter: Some("U.1.04.02.05".into()),
            amount: Money::from_euro(30_000),
        },
    )
    .await?;
    app.commit_funds(&system_roma, line_fna.id, Money::from_euro(25_000), None, Some("Determina dirigenziale".into()))
        .await?;

    // Persons, cases and interventions through the use cases.
    app.authz().refresh().await?;
    let mut actors = Vec::new();
    for o in &ops {
        actors.push(app.operator_actor(o).await?);
    }
    let op = |i: usize| actors[i].clone();
    let start = today.checked_sub_months(Months::new(5)).unwrap_or(today).with_day(1).unwrap_or(today);

    // Scenario 1: elderly person in Municipio I, assegno di cura with monthly payments.
    let roma_op = op(1);
    let anna = person(app, &roma_op, pua_roma1, None, "Bianchi", "Anna", Sex::Female, d(1938, 4, 2)).await?;
    let sheet = app
        .open_access_sheet(
            &roma_op,
            OpenAccessSheet {
                org_unit_id: pua_roma1,
                person_id: Some(anna),
                access_on: start,
                channel: AccessChannel::InPerson,
                reporter: ReporterKind::Family,
                referral_source: Some(siso_domain::access::ReferralSource::CohabitingFamily),
                reasons: vec!["non_self_sufficiency".into()],
                privacy_consent: true,
            },
        )
        .await?;
    let case1 = app.forward_access_sheet(&roma_op, sheet.id, UserArea::Elderly, None, Some(start)).await?;
    let sina = SinaBlock {
        mobility: Some(2),
        daily_living: Some(3),
        cognitive: Some(2),
        behavioural: Some(1),
        health_need: Some(2),
        income: Some(2),
        support_network: Some(2),
        source: Some(1),
        instrument: Some(1),
        invalidity_source: Some(1),
        civil_invalidity: vec![2],
        needed_benefits: vec!["A1.11".into()],
    };
    app.record_assessment(
        &roma_op,
        siso_app::usecases::RecordAssessment {
            case_id: case1.id,
            instrument: Instrument::Svama,
            assessed_on: start,
            assessor: "UVM ASL Roma 1".into(),
            answers: vec![("adl".into(), "totally_dependent".into())],
            score: Some(78),
            sina: Some(sina),
        },
    )
    .await?;
    let plan1 = app
        .create_plan(
            &roma_op,
            siso_app::usecases::CreatePlan {
                case_id: case1.id,
                kind: PlanKind::Pai,
                starts_on: start,
                planned_end_on: None,
                review_every_months: 6,
                objectives: vec![(Term::Medium, "Keep living at home with family care".into(), None)],
            },
        )
        .await?;
    let i1 = app
        .request_intervention(
            &roma_op,
            intervention(
                case1.id,
                entries[1].id,
                Some(plan1.id),
                Money::from_euro(6_000),
                Some(Money::from_euro(1_000)),
                start,
                Some(line_fna.id),
            ),
        )
        .await?;
    app.authorise_intervention(&Actor::system(roma), i1.intervention.id, Money::from_euro(6_000), None).await?;
    app.change_intervention_state(&roma_op, i1.intervention.id, InterventionAction::Activate, None).await?;
    for k in 0..4u32 {
        let from = start.checked_add_months(Months::new(k)).unwrap_or(start);
        let to = month_end(from);
        app.record_disbursement(
            &Actor::system(roma),
            RecordDisbursement {
                intervention_id: i1.intervention.id,
                amount: Money::from_euro(1_000),
                shares: Shares { ente: None, user: None, ssn: None, other: None },
                paid_on: to,
                period_from: from,
                period_to: to,
                hours_centi: None,
            },
        )
        .await?;
    }

    // Scenario 2: family in poverty in Perugia; one request authorised, one rejected.
    let pg_op = op(0);
    let maria =
        person(app, &pg_op, perugia_office, Some("BNCLRA90A41F205I"), "Bianco", "Laura", Sex::Female, d(1990, 1, 1))
            .await?;
    let child1 = person(app, &pg_op, perugia_office, None, "Bianco", "Luca", Sex::Male, d(2015, 6, 3)).await?;
    let child2 = person(app, &pg_op, perugia_office, None, "Bianco", "Sara", Sex::Female, d(2018, 9, 21)).await?;
    app.create_household(
        &pg_op,
        perugia_office,
        Some("PG-000123".into()),
        vec![(maria, Relation::Head), (child1, Relation::Child), (child2, Relation::Child)],
    )
    .await?;
    let isee = app
        .record_isee(
            &pg_op,
            siso_app::usecases::RecordIsee {
                person_id: maria,
                kind: IseeKind::Ordinary,
                dsu_protocol: "INPS-ISEE-DEMO-0001".into(),
                dsu_year: start.year(),
                dsu_date: start,
                value: Money::from_euro(4_800),
                valid_from: start,
                valid_until: d(start.year(), 12, 31),
            },
        )
        .await?;
    let case2 = case_for(app, &pg_op, perugia_office, maria, UserArea::Poverty, start).await?;
    app.record_need(&pg_op, case2.id, "economic_hardship".into(), 3, start).await?;
    let mut req = intervention(
        case2.id,
        entries[0].id,
        None,
        Money::from_euro(1_800),
        Some(Money::from_euro(300)),
        start,
        Some(line_pov.id),
    );
    req.isee_id = Some(isee.id);
    req.isee_threshold = Some(Money::from_euro(6_000));
    let i2 = app.request_intervention(&pg_op, req).await?;
    app.authorise_intervention(&Actor::system(perugia), i2.intervention.id, Money::from_euro(1_800), None).await?;
    app.change_intervention_state(&pg_op, i2.intervention.id, InterventionAction::Activate, None).await?;
    let to = month_end(start);
    app.record_disbursement(
        &Actor::system(perugia),
        RecordDisbursement {
            intervention_id: i2.intervention.id,
            amount: Money::from_euro(300),
            shares: Shares { ente: None, user: None, ssn: None, other: None },
            paid_on: to,
            period_from: start,
            period_to: to,
            hours_centi: None,
        },
    )
    .await?;
    let i2b = app
        .request_intervention(
            &pg_op,
            intervention(case2.id, entries[2].id, None, Money::from_euro(900), None, start, None),
        )
        .await?;
    app.reject_intervention(&Actor::system(perugia), i2b.intervention.id, "Requirements not met".into()).await?;

    // Scenario 3: a minor placed in a residential community by Municipio VII.
    let roma7 = op(2);
    let minor = person(
        app,
        &roma7,
        pua_roma7,
        None,
        "Verdi",
        "Marco",
        Sex::Male,
        today.checked_sub_months(Months::new(12 * 14)).unwrap_or(today),
    )
    .await?;
    let case3 = case_for(app, &roma7, pua_roma7, minor, UserArea::FamilyAndMinors, start).await?;
    app.record_assessment(
        &roma7,
        siso_app::usecases::RecordAssessment {
            case_id: case3.id,
            instrument: Instrument::Sinba,
            assessed_on: start,
            assessor: "Servizio sociale Municipio VII".into(),
            answers: vec![("source".into(), "school".into())],
            score: None,
            sina: None,
        },
    )
    .await?;
    let mut req =
        intervention(case3.id, entries[3].id, None, Money::from_euro(40_000), None, start, Some(line_minori.id));
    req.provider_id = Some(provider.id);
    let i3 = app.request_intervention(&roma7, req).await?;
    app.authorise_intervention(&Actor::system(roma), i3.intervention.id, Money::from_euro(40_000), None).await?;
    app.change_intervention_state(&roma7, i3.intervention.id, InterventionAction::Activate, None).await?;
    let placement =
        app.create_placement(&roma7, i3.intervention.id, provider.id, Money::from_cents(11_500), start, None).await?;
    let p = app.record_presences(&roma7, placement.id, start.year(), start.month(), 28).await?;
    let to = month_end(start);
    app.record_disbursement(
        &Actor::system(roma),
        RecordDisbursement {
            intervention_id: i3.intervention.id,
            amount: p.amount_due,
            shares: Shares { ente: None, user: None, ssn: None, other: None },
            paid_on: to,
            period_from: start,
            period_to: to,
            hours_centi: None,
        },
    )
    .await?;

    // More cases in every state, in Lecce and Lodi.
    let lecce_op = op(3);
    let lodi_op = op(4);
    let mario =
        person(app, &lecce_op, lecce_office, Some("RSSMRA85T10A562S"), "Rossi", "Mario", Sex::Male, d(1985, 12, 10))
            .await?;
    let c = case_for(app, &lecce_op, lecce_office, mario, UserArea::Poverty, start).await?;
    let _requested_only = app
        .request_intervention(
            &lecce_op,
            intervention(
                c.id,
                entries[0].id,
                None,
                Money::from_euro(1_200),
                Some(Money::from_euro(200)),
                start,
                Some(line_lecce.id),
            ),
        )
        .await?;
    let ia = app
        .request_intervention(
            &lecce_op,
            intervention(c.id, entries[0].id, None, Money::from_euro(600), None, start, Some(line_lecce.id)),
        )
        .await?;
    app.authorise_intervention(&Actor::system(lecce), ia.intervention.id, Money::from_euro(600), None).await?;
    let is = app
        .request_intervention(
            &lecce_op,
            intervention(c.id, entries[2].id, None, Money::from_euro(900), None, start, None),
        )
        .await?;
    app.authorise_intervention(&Actor::system(lecce), is.intervention.id, Money::from_euro(900), None).await?;
    app.change_intervention_state(&lecce_op, is.intervention.id, InterventionAction::Activate, None).await?;
    app.change_intervention_state(
        &lecce_op,
        is.intervention.id,
        InterventionAction::Suspend,
        Some("Hospital stay".into()),
    )
    .await?;
    let ic = app
        .request_intervention(
            &lecce_op,
            intervention(c.id, entries[4].id, None, Money::from_euro(500), None, start, None),
        )
        .await?;
    app.authorise_intervention(&Actor::system(lecce), ic.intervention.id, Money::from_euro(500), None).await?;
    app.change_intervention_state(&lecce_op, ic.intervention.id, InterventionAction::Activate, None).await?;
    app.change_intervention_state(
        &lecce_op,
        ic.intervention.id,
        InterventionAction::Close,
        Some("Objectives reached".into()),
    )
    .await?;

    let g = person(app, &lodi_op, lodi_office, None, "Colombo", "Giulia", Sex::Female, d(1979, 3, 14)).await?;
    let suspended = case_for(app, &lodi_op, lodi_office, g, UserArea::FamilyAndMinors, start).await?;
    app.change_case_state(&lodi_op, suspended.id, CaseAction::Suspend, None, Some("Moved temporarily".into())).await?;
    let h = person(app, &lodi_op, lodi_office, None, "Ferrari", "Paolo", Sex::Male, d(1950, 7, 30)).await?;
    let closed = case_for(app, &lodi_op, lodi_office, h, UserArea::Elderly, start).await?;
    app.change_case_state(&lodi_op, closed.id, CaseAction::Close, None, Some("Moved to another comune".into())).await?;
    let k = person(app, &lodi_op, lodi_office, None, "Esposito", "Rita", Sex::Female, d(1962, 11, 5)).await?;
    let reopened = case_for(app, &lodi_op, lodi_office, k, UserArea::Disability, start).await?;
    app.change_case_state(&lodi_op, reopened.id, CaseAction::Close, None, Some("No longer needed".into())).await?;
    app.change_case_state(&lodi_op, reopened.id, CaseAction::Reopen, None, Some("New need reported".into())).await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn person(
    app: &App,
    actor: &Actor,
    org: OrgUnitId,
    cf: Option<&str>,
    surname: &str,
    given: &str,
    sex: Sex,
    birth: NaiveDate,
) -> anyhow::Result<PersonId> {
    let p = app
        .create_person(
            actor,
            CreatePerson {
                org_unit_id: org,
                fiscal_code: cf.map(Into::into),
                surname: surname.into(),
                given_name: given.into(),
                sex,
                birth_date: birth,
                birth_place_code: None,
                citizenship_code: Some("100".into()),
                residence_comune_code: None,
                residence_address: None,
                homeless: false,
                disability: false,
                civil_invalidity_percent: None,
            },
        )
        .await?;
    Ok(p.id)
}

fn intervention(
    case: CaseId,
    entry: CatalogueEntryId,
    plan: Option<PlanId>,
    amount: Money,
    monthly: Option<Money>,
    start: NaiveDate,
    line: Option<FundingLineId>,
) -> RequestIntervention {
    RequestIntervention {
        case_id: case,
        catalogue_entry_id: entry,
        plan_id: plan,
        requested_amount: amount,
        monthly_amount: monthly,
        monthly_hours_centi: None,
        starts_on: start,
        ends_on: start.checked_add_months(Months::new(12)).and_then(|x| x.pred_opt()),
        provider_id: None,
        funding_line_id: line,
        isee_id: None,
        isee_threshold: None,
        application_protocol: None,
        event_on: None,
        taken_in_charge: None,
    }
}
