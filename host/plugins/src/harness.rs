//! A test harness for plug-in authors: builds a plug-in crate for `wasm32-wasip2`, loads it in
//! the real sandbox (development mode: no signature needed) and runs its hooks on fixtures,
//! without a server or a database.
//!
//! ```no_run
//! # async fn t() -> anyhow::Result<()> {
//! use siso_plugins::harness::{Harness, fixtures};
//! let h = Harness::build_crate(env!("CARGO_MANIFEST_DIR"))?
//!     .with_settings(serde_json::json!({"isee_ceiling_cents": 2_000_000}))?;
//! let verdict = h.validate(&fixtures::authorisation(fixtures::subject())).await??;
//! assert!(verdict.vetoes.is_empty());
//! # Ok(()) }
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use chrono::NaiveDate;

use siso_domain::catalogue::CatalogueEntry;
use siso_domain::org::OrgUnit;

use crate::model::{self, CallContext, Change, Subject};
use crate::package::{AuthorManifest, Capability, Manifest};
use crate::runtime::{CallEnv, Fault, Limits, LoadedPlugin, Runtime, RuntimeConfig};

/// Where plug-ins built by the harness go: a target directory of their own, so a build from
/// inside `cargo test` never waits for the lock of the outer build.
pub fn plugin_target_dir() -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    base.join("siso-plugins")
}

/// Builds the plug-in crate at `crate_dir` for `wasm32-wasip2` (release) and returns the path
/// of its component.
pub fn build_component(crate_dir: impl AsRef<Path>) -> anyhow::Result<PathBuf> {
    build_component_with(crate_dir, &[])
}

/// [`build_component`] with cargo features.
pub fn build_component_with(crate_dir: impl AsRef<Path>, features: &[&str]) -> anyhow::Result<PathBuf> {
    let dir = crate_dir.as_ref();
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).with_context(|| format!("cannot read {}", manifest.display()))?;
    let name = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("name = \"").and_then(|r| r.strip_suffix('"')))
        .context("no package name in Cargo.toml")?
        .replace('-', "_");
    let mut target = plugin_target_dir();
    if !features.is_empty() {
        target = target.join(features.join("-"));
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--release", "--target", "wasm32-wasip2", "--manifest-path"])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target)
        // Components carry no debug info: smaller, and faster to compile at install.
        .args(["--config", "profile.release.debug=false", "--config", "profile.release.strip=\"debuginfo\""])
        .args(["--config", "profile.release.lto=true", "--config", "profile.release.codegen-units=1"])
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    if !features.is_empty() {
        cmd.arg("--features").arg(features.join(","));
    }
    let out = cmd.output().context("cannot run cargo")?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        if stderr.contains("target may not be installed") {
            bail!("the wasm32-wasip2 target is not installed: run `rustup target add wasm32-wasip2`");
        }
        bail!("building {} for wasm32-wasip2 failed:\n{stderr}", dir.display());
    }
    let wasm = target.join("wasm32-wasip2/release").join(format!("{name}.wasm"));
    if !wasm.exists() {
        bail!("the build produced no {}", wasm.display());
    }
    Ok(wasm)
}

/// A plug-in loaded in the sandbox with settings and grants, ready to call.
#[derive(Debug)]
pub struct Harness {
    runtime: Runtime,
    plugin: Arc<LoadedPlugin>,
    env: CallEnv,
    context: CallContext,
    _cache: Option<tempfile::TempDir>,
}

impl Harness {
    /// Builds the crate at `crate_dir` and loads it with the manifest `siso-plugin.toml` next
    /// to its `Cargo.toml`.
    pub fn build_crate(crate_dir: impl AsRef<Path>) -> anyhow::Result<Harness> {
        let dir = crate_dir.as_ref();
        let wasm = build_component(dir)?;
        Harness::load(&dir.join("siso-plugin.toml"), &wasm)
    }

    /// Loads a component with its author manifest.
    pub fn load(manifest: &Path, wasm: &Path) -> anyhow::Result<Harness> {
        let manifest = AuthorManifest::load(manifest)?;
        let bytes = std::fs::read(wasm).with_context(|| format!("cannot read {}", wasm.display()))?;
        Harness::from_parts(manifest, &bytes)
    }

    /// Loads a component with a manifest.
    pub fn from_parts(manifest: Manifest, component: &[u8]) -> anyhow::Result<Harness> {
        let cache = tempfile::tempdir()?;
        let runtime = Runtime::new(RuntimeConfig::new(cache.path()))?;
        let plugin = Arc::new(runtime.load(&manifest, component)?);
        let env = CallEnv {
            limits: runtime.default_limits(),
            capabilities: BTreeSet::new(),
            catalogue: Arc::new(fixtures::catalogue()),
        };
        Ok(Harness { runtime, plugin, env, context: fixtures::context(), _cache: Some(cache) })
    }

    /// Sets the organisation's settings (checked against the manifest's schema).
    pub fn with_settings(mut self, settings: serde_json::Value) -> anyhow::Result<Harness> {
        self.plugin.manifest().check_settings(&settings).map_err(|e| anyhow::anyhow!("settings rejected: {e}"))?;
        self.context.settings = settings.to_string();
        Ok(self)
    }

    /// Grants a capability.
    pub fn grant(mut self, capability: Capability) -> Harness {
        self.env.capabilities.insert(capability);
        self
    }

    /// Changes the limits.
    pub fn with_limits(mut self, limits: Limits) -> Harness {
        self.env.limits = limits;
        self
    }

    /// Runs the calls for another organisation (the ancestors nearest first), e.g. a
    /// Municipio under Roma Capitale.
    pub fn at(mut self, organisation: OrgUnit, ancestors: Vec<OrgUnit>) -> Harness {
        self.context.organisation = organisation;
        self.context.ancestors = ancestors;
        self
    }

    /// Changes today's date.
    pub fn on(mut self, today: NaiveDate) -> Harness {
        self.context.today = today;
        self
    }

    /// The loaded plug-in.
    pub fn plugin(&self) -> &LoadedPlugin {
        &self.plugin
    }

    /// The runtime (for its counters).
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Runs the validate hook.
    pub async fn validate(&self, change: &Change) -> Result<Result<model::Verdict, model::PluginError>, Fault> {
        self.runtime.validate(&self.plugin, &self.env, &self.context, change).await
    }

    /// Runs the eligibility decision.
    pub async fn eligibility(&self, s: &Subject) -> Result<Result<model::Eligibility, model::PluginError>, Fault> {
        self.runtime.eligibility(&self.plugin, &self.env, &self.context, s).await
    }

    /// Runs the co-payment decision.
    pub async fn co_payment(&self, s: &Subject) -> Result<Result<model::CoPayment, model::PluginError>, Fault> {
        self.runtime.co_payment(&self.plugin, &self.env, &self.context, s).await
    }

    /// The catalogue entries the plug-in contributes (as the host imports them at enablement).
    pub async fn catalogue(&self) -> Result<Vec<CatalogueEntry>, Fault> {
        self.runtime.contributed_catalogue(&self.plugin, &self.env).await
    }

    /// Runs the batch eligibility decision.
    pub async fn eligibility_batch(
        &self,
        subjects: &[Subject],
    ) -> Result<Vec<Result<model::Eligibility, model::PluginError>>, Fault> {
        self.runtime.eligibility_batch(&self.plugin, &self.env, &self.context, subjects).await
    }
}

/// Fixtures: a comune, a person with an ISEE, a case and an intervention of a means-tested
/// home-care allowance. Change what a test needs.
pub mod fixtures {
    use chrono::NaiveDate;
    use siso_domain::case::{Case, CaseState, UserArea};
    use siso_domain::catalogue::{CatalogueEntry, InpsArea, IstatType};
    use siso_domain::ids::*;
    use siso_domain::intervention::{BenefitCharacter, Intervention, InterventionState, MeansTest};
    use siso_domain::money::Money;
    use siso_domain::org::{OrgUnit, OrgUnitKind};
    use siso_domain::person::{IseeAttestation, IseeKind, Person, Sex};

    use siso_domain::access::{AccessChannel, AccessSheet, AccessSheetState, ReporterKind};
    use siso_domain::plan::{Objective, Plan, PlanKind, PlanState, Term};

    use crate::model::{CallContext, Change, DisbursementView, PlanChange, Subject};

    /// A date (panics on an impossible one: fixtures only).
    pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    /// The comune of Perugia.
    pub fn organisation() -> OrgUnit {
        OrgUnit {
            id: OrgUnitId(4),
            parent_id: Some(OrgUnitId(2)),
            kind: OrgUnitKind::Comune,
            name: "Comune di Perugia".into(),
            istat_code: Some("054039".into()),
            cadastral_code: Some("G478".into()),
            inps_ente_code: None,
            fiscal_code: None,
        }
    }

    /// A unit of `kind` named `name`, under `parent`.
    pub fn unit(id: i64, parent: Option<i64>, kind: OrgUnitKind, name: &str, istat_code: Option<&str>) -> OrgUnit {
        OrgUnit {
            id: OrgUnitId(id),
            parent_id: parent.map(OrgUnitId),
            kind,
            name: name.into(),
            istat_code: istat_code.map(Into::into),
            cadastral_code: None,
            inps_ente_code: None,
            fiscal_code: None,
        }
    }

    /// The units above Perugia, nearest first: its zona sociale and Regione Umbria.
    pub fn ancestors() -> Vec<OrgUnit> {
        vec![
            unit(2, Some(1), OrgUnitKind::Ambito, "Zona sociale 2 - Perugia", None),
            unit(1, None, OrgUnitKind::Region, "Regione Umbria", None),
        ]
    }

    /// The call context: Perugia, 26 November 2026, empty settings.
    pub fn context() -> CallContext {
        CallContext {
            organisation: organisation(),
            ancestors: ancestors(),
            today: date(2026, 11, 26),
            settings: "{}".into(),
        }
    }

    /// The catalogue the host lookups see.
    pub fn catalogue() -> Vec<CatalogueEntry> {
        vec![
            home_care_allowance(),
            CatalogueEntry {
                id: CatalogueEntryId(1),
                org_unit_id: None,
                local_code: "CONTR-ECO".into(),
                name: "Contributo economico".into(),
                inps_code: "A1.04".into(),
                inps_area: InpsArea::Poverty,
                istat_area: UserArea::Poverty,
                istat_type: IstatType::CashTransfers,
                sina_required: false,
                means_test: MeansTest::Isee,
                character: BenefitCharacter::OneOff,
            },
        ]
    }

    /// *Assegno di cura* (A1.11): means-tested, needs SINA.
    pub fn home_care_allowance() -> CatalogueEntry {
        CatalogueEntry {
            id: CatalogueEntryId(2),
            org_unit_id: None,
            local_code: "ASS-CURA".into(),
            name: "Assegno di cura".into(),
            inps_code: "A1.11".into(),
            inps_area: InpsArea::DisabilityNonSelfSufficiency,
            istat_area: UserArea::Disability,
            istat_type: IstatType::CashTransfers,
            sina_required: true,
            means_test: MeansTest::Isee,
            character: BenefitCharacter::Periodic,
        }
    }

    /// An ISEE attestation of the given value, valid in 2026.
    pub fn isee(value: Money) -> IseeAttestation {
        IseeAttestation {
            id: IseeId(1),
            person_id: PersonId(1),
            household_id: None,
            kind: IseeKind::SocioHealth,
            dsu_protocol: "INPS-ISEE-2026-00000001-00".into(),
            dsu_year: 2026,
            dsu_date: date(2026, 1, 15),
            value,
            valid_from: date(2026, 1, 15),
            valid_until: date(2026, 12, 31),
            equivalence_scale_milli: None,
        }
    }

    /// A person with an ISEE of 12,000 €, a case and a requested home-care allowance of
    /// 4,800 €.
    pub fn subject() -> Subject {
        let person = Person {
            id: PersonId(1),
            org_unit_id: OrgUnitId(4),
            fiscal_code: None,
            surname: "Rossi".into(),
            given_name: "Maria".into(),
            sex: Sex::Female,
            birth_date: date(1938, 3, 2),
            birth_place_code: None,
            citizenship_code: Some("100".into()),
            second_citizenship_code: None,
            residence_region_code: None,
            residence_comune_code: Some("054039".into()),
            residence_nation_code: None,
            residence_address: None,
            domicile_address: None,
            homeless: false,
            education_level: None,
            employment_status: None,
            disability: true,
            civil_invalidity_percent: Some(100),
            has_legal_guardian: false,
            anpr_id: None,
        };
        let case = Case {
            id: CaseId(1),
            org_unit_id: OrgUnitId(4),
            person_id: PersonId(1),
            state: CaseState::Open,
            area: UserArea::Elderly,
            responsible_operator_id: None,
            opened_on: date(2026, 2, 1),
            closed_on: None,
            closure_reason: None,
        };
        let intervention = Intervention {
            id: InterventionId(1),
            case_id: CaseId(1),
            plan_id: None,
            catalogue_entry_id: CatalogueEntryId(2),
            state: InterventionState::Requested,
            requested_amount: Money::from_euro(4800),
            authorised_amount: None,
            monthly_amount: Some(Money::from_euro(400)),
            monthly_hours_centi: None,
            starts_on: date(2026, 3, 1),
            ends_on: Some(date(2026, 12, 31)),
            provider_id: None,
            funding_line_id: None,
            co_payment_monthly: None,
            means_test: MeansTest::Isee,
            character: BenefitCharacter::Periodic,
            isee_threshold: None,
            isee_id: Some(IseeId(1)),
            application_protocol: None,
            requested_on: date(2026, 2, 10),
            decided_on: None,
            requested_by: None,
            decided_by: None,
            reason: None,
            event_on: None,
            taken_in_charge: true,
        };
        Subject {
            person,
            household: None,
            isee: vec![isee(Money::from_euro(12_000))],
            case,
            needs: Vec::new(),
            assessments: Vec::new(),
            plan: None,
            intervention,
            catalogue_entry: home_care_allowance(),
            disbursed: Money::ZERO,
        }
    }

    /// The subject's intervention being authorised for its requested amount.
    pub fn authorisation(mut s: Subject) -> Change {
        s.intervention.authorised_amount = Some(s.intervention.requested_amount);
        Change::InterventionAuthorised(Box::new(s))
    }

    /// The subject's intervention being requested.
    pub fn request(s: Subject) -> Change {
        Change::InterventionRequested(Box::new(s))
    }

    /// A disbursement of `amount` for the month starting on `from`, paid by the ente.
    pub fn disbursement(s: Subject, from: NaiveDate, amount: Money, hours_centi: Option<i64>) -> Change {
        let to = from.checked_add_months(chrono::Months::new(1)).and_then(|d| d.pred_opt()).unwrap_or(from);
        Change::DisbursementRecorded(
            Box::new(s),
            DisbursementView {
                paid_on: to,
                period_from: from,
                period_to: to,
                amount,
                ente_share: amount,
                user_share: Money::ZERO,
                ssn_share: Money::ZERO,
                other_share: Money::ZERO,
                hours_centi,
            },
        )
    }

    /// A case being opened.
    pub fn case_opened() -> Change {
        Change::CaseOpened(subject().case)
    }

    /// An access sheet taken in person at Perugia's office, reported by the person, with
    /// consent, for `reasons`.
    pub fn access_sheet(reasons: &[&str]) -> AccessSheet {
        AccessSheet {
            id: AccessSheetId(1),
            org_unit_id: OrgUnitId(4),
            operator_id: None,
            person_id: Some(PersonId(1)),
            access_on: date(2026, 11, 20),
            channel: AccessChannel::InPerson,
            reporter: ReporterKind::Self_,
            referral_source: None,
            reasons: reasons.iter().map(|r| (*r).to_string()).collect(),
            privacy_consent: true,
            state: AccessSheetState::Open,
            case_id: None,
        }
    }

    /// A PAI starting on 1 December 2026, reviewed every 6 months, with one short-term
    /// objective due in 3 months; `review`: the date of a review being recorded.
    pub fn plan_change(review: Option<NaiveDate>) -> Change {
        let s = subject();
        let plan = Plan {
            id: PlanId(1),
            case_id: s.case.id,
            kind: PlanKind::Pai,
            state: PlanState::Active,
            starts_on: date(2026, 12, 1),
            planned_end_on: Some(date(2027, 11, 30)),
            review_every_months: 6,
            next_review_on: date(2027, 6, 1),
            closure_reason: None,
        };
        let objective = Objective {
            id: ObjectiveId(1),
            plan_id: plan.id,
            term: Term::Short,
            description: "Keep living at home".into(),
            due_on: Some(date(2027, 3, 1)),
            attainment: None,
        };
        Change::PlanSaved(Box::new(PlanChange {
            person: s.person,
            case: s.case,
            assessments: s.assessments,
            plan,
            objectives: vec![objective],
            review,
        }))
    }
}
