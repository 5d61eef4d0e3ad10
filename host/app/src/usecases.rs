//! The use cases of the case lifecycle. Each is one transaction; see the crate docs for the
//! order of the steps.

use chrono::NaiveDate;
use siso_domain::DomainError;
use siso_domain::access::{self, AccessChannel, AccessSheet, AccessSheetState, ReporterKind};
use siso_domain::assessment::{self, Assessment, Instrument, Need, SinaBlock};
use siso_domain::budget::{self, CommitmentKind, FundingLine};
use siso_domain::case::{self, Case, CaseAction, CaseEvent, CaseEventKind, CaseState, UserArea};
use siso_domain::catalogue::CatalogueEntry;
use siso_domain::error::check_text;
use siso_domain::ids::*;
use siso_domain::intervention::{self, Disbursement, Intervention, InterventionAction, InterventionState, Shares};
use siso_domain::money::Money;
use siso_domain::person::{self, HouseholdMember, IseeAttestation, IseeKind, NewPersonCheck, Person, Relation, Sex};
use siso_domain::plan::{self, Attainment, Plan, PlanKind, PlanReview, PlanState, Term};
use siso_domain::provider::{self, MonthlyPresence, Placement};
use siso_store::Tx;
use siso_store::repo::budget::Commitment;
use siso_store::repo::interventions::{InterventionEvent, StoredIntervention};
use siso_store::repo::providers as provider_repo;
use siso_store::repo::{access as access_repo, budget as budget_repo, cases as case_repo, catalogue as catalogue_repo};
use siso_store::repo::{interventions as int_repo, org as org_repo, persons as person_repo, plans as plan_repo};

use crate::authz::{Action, check, sees};
use crate::error::{AppError, AppResult};
use crate::{Actor, App, audit};
use siso_plugins::Hook;
use siso_plugins::model::{Change, DisbursementView, HouseholdView, Member, Subject};

/// A new person.
#[derive(Debug, Clone)]
pub struct CreatePerson {
    /// Owning unit.
    pub org_unit_id: OrgUnitId,
    /// Codice fiscale text, validated here.
    pub fiscal_code: Option<String>,
    /// Surname.
    pub surname: String,
    /// Given name.
    pub given_name: String,
    /// Sex.
    pub sex: Sex,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// Belfiore code of the birth place.
    pub birth_place_code: Option<String>,
    /// Citizenship (ISTAT state code).
    pub citizenship_code: Option<String>,
    /// Residence comune (ISTAT code).
    pub residence_comune_code: Option<String>,
    /// Residence address.
    pub residence_address: Option<String>,
    /// No fixed abode.
    pub homeless: bool,
    /// Disability recognised.
    pub disability: bool,
    /// Civil invalidity percent.
    pub civil_invalidity_percent: Option<i16>,
}

/// A new access sheet.
#[derive(Debug, Clone)]
pub struct OpenAccessSheet {
    /// Office.
    pub org_unit_id: OrgUnitId,
    /// Person, when identified.
    pub person_id: Option<PersonId>,
    /// Date.
    pub access_on: NaiveDate,
    /// Channel.
    pub channel: AccessChannel,
    /// Reporter.
    pub reporter: ReporterKind,
    /// Reasons.
    pub reasons: Vec<String>,
    /// Consent.
    pub privacy_consent: bool,
}

/// A new case.
#[derive(Debug, Clone)]
pub struct OpenCase {
    /// Holding unit.
    pub org_unit_id: OrgUnitId,
    /// Person.
    pub person_id: PersonId,
    /// Area.
    pub area: UserArea,
    /// Responsible operator.
    pub responsible_operator_id: Option<OperatorId>,
    /// Opening date.
    pub opened_on: NaiveDate,
}

/// A new intervention request.
#[derive(Debug, Clone)]
pub struct RequestIntervention {
    /// Case.
    pub case_id: CaseId,
    /// Catalogue entry.
    pub catalogue_entry_id: CatalogueEntryId,
    /// Plan.
    pub plan_id: Option<PlanId>,
    /// Amount requested.
    pub requested_amount: Money,
    /// Monthly amount.
    pub monthly_amount: Option<Money>,
    /// Monthly hours ×100.
    pub monthly_hours_centi: Option<i64>,
    /// Period start.
    pub starts_on: NaiveDate,
    /// Period end.
    pub ends_on: Option<NaiveDate>,
    /// Provider.
    pub provider_id: Option<ProviderId>,
    /// Funding line.
    pub funding_line_id: Option<FundingLineId>,
    /// ISEE attestation used.
    pub isee_id: Option<IseeId>,
    /// ISEE threshold of the rule.
    pub isee_threshold: Option<Money>,
    /// Application protocol.
    pub application_protocol: Option<String>,
    /// Date of the event giving rise to the benefit (default: the request date).
    pub event_on: Option<NaiveDate>,
    /// The person is taken in charge (default: yes, a case exists).
    pub taken_in_charge: Option<bool>,
}

/// A new disbursement.
#[derive(Debug, Clone)]
pub struct RecordDisbursement {
    /// Intervention.
    pub intervention_id: InterventionId,
    /// Amount.
    pub amount: Money,
    /// Shares.
    pub shares: Shares,
    /// Payment date.
    pub paid_on: NaiveDate,
    /// Period start.
    pub period_from: NaiveDate,
    /// Period end.
    pub period_to: NaiveDate,
    /// Hours ×100.
    pub hours_centi: Option<i64>,
}

/// An ISEE attestation to record.
#[derive(Debug, Clone)]
pub struct RecordIsee {
    /// person id.
    pub person_id: PersonId,
    /// kind.
    pub kind: IseeKind,
    /// dsu protocol.
    pub dsu_protocol: String,
    /// dsu year.
    pub dsu_year: i32,
    /// dsu date.
    pub dsu_date: NaiveDate,
    /// value.
    pub value: Money,
    /// valid from.
    pub valid_from: NaiveDate,
    /// valid until.
    pub valid_until: NaiveDate,
}

/// An assessment to record.
#[derive(Debug, Clone)]
pub struct RecordAssessment {
    /// case id.
    pub case_id: CaseId,
    /// instrument.
    pub instrument: Instrument,
    /// assessed on.
    pub assessed_on: NaiveDate,
    /// assessor.
    pub assessor: String,
    /// answers.
    pub answers: Vec<(String, String)>,
    /// score.
    pub score: Option<i32>,
    /// sina.
    pub sina: Option<SinaBlock>,
}

/// A new plan with its objectives.
#[derive(Debug, Clone)]
pub struct CreatePlan {
    /// case id.
    pub case_id: CaseId,
    /// kind.
    pub kind: PlanKind,
    /// starts on.
    pub starts_on: NaiveDate,
    /// planned end on.
    pub planned_end_on: Option<NaiveDate>,
    /// review every months.
    pub review_every_months: i16,
    /// objectives.
    pub objectives: Vec<(Term, String, Option<NaiveDate>)>,
}

/// A new funding line.
#[derive(Debug, Clone)]
pub struct CreateFundingLine {
    /// fund id.
    pub fund_id: FundId,
    /// org unit id.
    pub org_unit_id: OrgUnitId,
    /// name.
    pub name: String,
    /// year.
    pub year: i32,
    /// chapter.
    pub chapter: Option<String>,
    /// amount.
    pub amount: Money,
}

// Records named by id: one the actor may not even read answers exactly like a missing one, so
// an id of another organisation reveals nothing.

async fn load_case(tx: &Tx, actor: &Actor, id: CaseId, lock: bool) -> AppResult<Case> {
    let found = case_repo::get(tx, id, lock).await?;
    found.filter(|c| sees(actor, Action::ReadCase, c.org_unit_id, "case")).ok_or(AppError::not_found("case", "caseId"))
}

async fn load_intervention(tx: &Tx, actor: &Actor, id: InterventionId) -> AppResult<StoredIntervention> {
    let found = int_repo::get(tx, id, true).await?;
    found
        .filter(|s| sees(actor, Action::ReadIntervention, s.org_unit_id, "intervention"))
        .ok_or(AppError::not_found("intervention", "interventionId"))
}

async fn load_person(tx: &Tx, actor: &Actor, id: PersonId) -> AppResult<Person> {
    let found = person_repo::get(tx, id).await?;
    found
        .filter(|p| sees(actor, Action::ReadPerson, p.org_unit_id, "person"))
        .ok_or(AppError::not_found("person", "personId"))
}

/// A record reached through another (a plan through its case): when the other is hidden, the
/// answer names the record asked for, exactly as if it were missing.
fn as_missing<T>(r: AppResult<T>, kind: &'static str, field: &'static str) -> AppResult<T> {
    match r {
        Err(AppError::NotFound { .. }) => Err(AppError::not_found(kind, field)),
        other => other,
    }
}

async fn load_line(tx: &Tx, actor: &Actor, id: FundingLineId, lock: bool) -> AppResult<FundingLine> {
    let found = budget_repo::get_line(tx, id, lock).await?;
    found.filter(|l| crate::queries::readable(actor, l)).ok_or(AppError::not_found("funding line", "fundingLineId"))
}

impl App {
    async fn begin(&self) -> AppResult<Tx> {
        Ok(self.store().begin().await?)
    }

    /// Whether operator `op` (active) holds case rights (read and write) in `unit`.
    async fn may_be_responsible(&self, op: OperatorId, unit: OrgUnitId) -> AppResult<bool> {
        let access = self.authz().access(&org_repo::operator_subject(op)).await?;
        Ok(access.allows(Action::ReadCase, unit) && access.allows(Action::Write, unit))
    }

    /// Naming `op` responsible for a case of `unit`: the operator must exist, be active and hold
    /// case rights there (anyone else, another administration's operator included, answers as
    /// missing); `assign` says whether the change needs `case/assign` (every reassignment, and
    /// opening a case for someone other than oneself).
    async fn check_responsible(
        &self,
        tx: &Tx,
        actor: &Actor,
        op: OperatorId,
        unit: OrgUnitId,
        field: &'static str,
        assign: bool,
    ) -> AppResult<()> {
        let found = org_repo::get_operator(tx, op).await?.filter(|o| o.active);
        if found.is_none() || !self.may_be_responsible(op, unit).await? {
            return Err(AppError::not_found("operator", field));
        }
        if assign {
            check(actor, Action::AssignCase, unit)?;
        }
        Ok(())
    }

    /// Everything plug-ins may look at about an intervention (loaded only when a plug-in
    /// will run).
    async fn subject(
        &self,
        tx: &Tx,
        s: &StoredIntervention,
        case: &Case,
        entry: &CatalogueEntry,
    ) -> AppResult<Subject> {
        let person = person_repo::get(tx, case.person_id).await?.ok_or(AppError::not_found("person", "personId"))?;
        let household = match person_repo::memberships_of(tx, &[person.id]).await?.first() {
            Some(m) => {
                let members = person_repo::members_of(tx, &[m.household_id]).await?;
                let ids: Vec<PersonId> = members.iter().map(|m| m.person_id).collect();
                let people = person_repo::get_many(tx, &ids).await?;
                Some(HouseholdView {
                    id: m.household_id,
                    members: members
                        .iter()
                        .filter_map(|m| {
                            people.iter().find(|p| p.id == m.person_id).map(|p| Member {
                                person_id: p.id,
                                relation: m.relation,
                                sex: p.sex,
                                birth_date: p.birth_date,
                            })
                        })
                        .collect(),
                })
            }
            None => None,
        };
        let mut isee = person_repo::isee_of(tx, &[person.id]).await?;
        isee.sort_by_key(|i| std::cmp::Reverse((i.dsu_date, i.id.0)));
        let needs = case_repo::needs_of(tx, &[case.id]).await?;
        let mut assessments = case_repo::assessments_of(tx, &[case.id]).await?;
        assessments.sort_by_key(|a| std::cmp::Reverse((a.assessed_on, a.id.0)));
        let plan = match siso_domain::plan::in_force(plan_repo::of_cases(tx, &[case.id]).await?) {
            Some(p) => {
                let objectives = plan_repo::objectives_of(tx, &[p.id]).await?;
                Some((p, objectives))
            }
            None => None,
        };
        Ok(Subject {
            person,
            household,
            isee,
            case: case.clone(),
            needs,
            assessments,
            plan,
            intervention: s.intervention.clone(),
            catalogue_entry: entry.clone(),
            disbursed: s.disbursed,
        })
    }

    /// Runs the validate hooks of the plug-ins enabled for `org` on a change, built only when
    /// one will run; a veto (or a fault, failing closed) refuses it.
    async fn validate(
        &self,
        tx: &Tx,
        org: OrgUnitId,
        hook: Hook,
        change: impl AsyncFnOnce() -> AppResult<Change>,
    ) -> AppResult<Vec<crate::plugins::Outcome>> {
        let targets = self.plugins.targets(tx, org, hook).await?;
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        self.ask_validate(&targets, change().await?).await
    }

    /// A plan as plug-ins see it when it is created or reviewed (`review`).
    async fn plan_change(&self, tx: &Tx, case: &Case, p: &Plan, review: Option<NaiveDate>) -> AppResult<Change> {
        let person = person_repo::get(tx, case.person_id).await?.ok_or(AppError::not_found("person", "personId"))?;
        let mut assessments = case_repo::assessments_of(tx, &[case.id]).await?;
        assessments.sort_by_key(|a| std::cmp::Reverse((a.assessed_on, a.id.0)));
        let objectives = plan_repo::objectives_of(tx, &[p.id]).await?;
        let mut plan = p.clone();
        let mut objectives = objectives;
        if review.is_none() {
            // A plan being created shows plug-ins no ids (as any record being created): the
            // question stays the same whatever ids a retried transaction draws.
            plan.id = PlanId(0);
            objectives.iter_mut().for_each(|o| {
                o.id = ObjectiveId(0);
                o.plan_id = PlanId(0);
            });
        }
        Ok(Change::PlanSaved(Box::new(siso_plugins::model::PlanChange {
            person,
            case: case.clone(),
            assessments,
            plan,
            objectives,
            review,
        })))
    }

    /// Runs the eligibility and co-payment plug-ins for an intervention and stores their
    /// results; the co-payment applied fills the intervention's when the operator gave none.
    /// An intervention being requested (`new`) shows plug-ins no id.
    async fn decide(
        &self,
        tx: &Tx,
        s: &mut StoredIntervention,
        case: &Case,
        entry: &CatalogueEntry,
        new: bool,
    ) -> AppResult<()> {
        let mut targets = self.plugins.targets(tx, s.org_unit_id, Hook::Eligibility).await?;
        for t in self.plugins.targets(tx, s.org_unit_id, Hook::CoPayment).await? {
            if !targets.iter().any(|x| x.same_plugin(&t)) {
                targets.push(t);
            }
        }
        if targets.is_empty() {
            return Ok(());
        }
        let mut subject = self.subject(tx, s, case, entry).await?;
        if new {
            subject.intervention.id = InterventionId(0);
        }
        let outcomes = self.ask_decide(&targets, subject).await?;
        self.plugins.record(tx, "intervention", s.intervention.id.0, &outcomes).await?;
        if s.intervention.co_payment_monthly.is_none()
            && let Some(m) = outcomes.iter().find(|o| o.hook == Hook::CoPayment && o.applied).and_then(|o| o.amount)
        {
            s.intervention.co_payment_monthly = Some(m);
            int_repo::update(tx, s, self.clock().now()).await?;
        }
        Ok(())
    }

    /// Registers a person.
    pub async fn create_person(&self, actor: &Actor, cmd: CreatePerson) -> AppResult<Person> {
        let fiscal_code =
            cmd.fiscal_code.as_deref().filter(|s| !s.trim().is_empty()).map(person::parse_fiscal_code).transpose()?;
        let today = self.clock().today();
        person::validate_person(
            &NewPersonCheck {
                fiscal_code: fiscal_code.as_ref(),
                surname: &cmd.surname,
                given_name: &cmd.given_name,
                sex: cmd.sex,
                birth_date: cmd.birth_date,
                civil_invalidity_percent: cmd.civil_invalidity_percent,
            },
            today,
        )?;
        let tx = self.begin().await?;
        org_repo::get_unit(&tx, cmd.org_unit_id).await?.ok_or(AppError::not_found("organisation unit", "orgUnitId"))?;
        check(actor, Action::Write, cmd.org_unit_id)?;
        let p = Person {
            id: PersonId(0),
            org_unit_id: cmd.org_unit_id,
            fiscal_code,
            surname: cmd.surname,
            given_name: cmd.given_name,
            sex: cmd.sex,
            birth_date: cmd.birth_date,
            birth_place_code: cmd.birth_place_code,
            citizenship_code: cmd.citizenship_code,
            second_citizenship_code: None,
            residence_region_code: None,
            residence_comune_code: cmd.residence_comune_code,
            residence_nation_code: Some("100".into()),
            residence_address: cmd.residence_address,
            domicile_address: None,
            homeless: cmd.homeless,
            education_level: None,
            employment_status: None,
            disability: cmd.disability,
            civil_invalidity_percent: cmd.civil_invalidity_percent,
            has_legal_guardian: false,
            anpr_id: None,
        };
        let p = person_repo::insert(&tx, &p, self.clock().now()).await?;
        audit::record(&tx, self.clock(), actor, "person.create", "person", p.id.0, Some(p.id)).await?;
        self.commit(tx).await?;
        Ok(p)
    }

    /// Creates a household with its members.
    pub async fn create_household(
        &self,
        actor: &Actor,
        org_unit_id: OrgUnitId,
        registry_id: Option<String>,
        members: Vec<(PersonId, Relation)>,
    ) -> AppResult<HouseholdId> {
        if members.is_empty() {
            return Err(DomainError::field("REQUIRED", "members", "a household needs at least one member").into());
        }
        if let Some(r) = &registry_id {
            check_text(r, "registryId", 40)?;
        }
        let tx = self.begin().await?;
        check(actor, Action::Write, org_unit_id)?;
        // Every member must be a person the actor may read and change: another
        // administration's person answers exactly like a missing one.
        for (person_id, _) in &members {
            let p = as_missing(load_person(&tx, actor, *person_id).await, "person", "members")?;
            check(actor, Action::Write, p.org_unit_id)?;
        }
        let h = person_repo::insert_household(&tx, org_unit_id, registry_id, self.clock().now()).await?;
        for (person_id, relation) in members {
            person_repo::add_member(
                &tx,
                &HouseholdMember { household_id: h.id, person_id, relation },
                self.clock().now(),
            )
            .await?;
            audit::record(&tx, self.clock(), actor, "household.add_member", "household", h.id.0, Some(person_id))
                .await?;
        }
        self.commit(tx).await?;
        Ok(h.id)
    }

    /// Records an ISEE attestation.
    pub async fn record_isee(&self, actor: &Actor, cmd: RecordIsee) -> AppResult<IseeAttestation> {
        let RecordIsee { person_id, kind, dsu_protocol, dsu_year, dsu_date, value, valid_from, valid_until } = cmd;
        person::validate_isee(value, &dsu_protocol, dsu_year, dsu_date, valid_from, valid_until, self.clock().today())?;
        let tx = self.begin().await?;
        let p = load_person(&tx, actor, person_id).await?;
        check(actor, Action::Write, p.org_unit_id)?;
        let i = IseeAttestation {
            id: IseeId(0),
            person_id,
            household_id: None,
            kind,
            dsu_protocol: dsu_protocol.trim().into(),
            dsu_year,
            dsu_date,
            value,
            valid_from,
            valid_until,
            equivalence_scale_milli: None,
        };
        let i = person_repo::insert_isee(&tx, &i, self.clock().now()).await?;
        audit::record(&tx, self.clock(), actor, "isee.record", "isee", i.id.0, Some(person_id)).await?;
        self.commit(tx).await?;
        Ok(i)
    }

    /// Opens an access sheet.
    pub async fn open_access_sheet(&self, actor: &Actor, cmd: OpenAccessSheet) -> AppResult<AccessSheet> {
        self.hooked(|| Box::pin(self.open_access_sheet_once(actor, cmd.clone()))).await
    }

    async fn open_access_sheet_once(&self, actor: &Actor, cmd: OpenAccessSheet) -> AppResult<AccessSheet> {
        access::validate_new(cmd.access_on, &cmd.reasons, self.clock().today())?;
        let tx = self.begin().await?;
        org_repo::get_unit(&tx, cmd.org_unit_id).await?.ok_or(AppError::not_found("organisation unit", "orgUnitId"))?;
        check(actor, Action::Write, cmd.org_unit_id)?;
        if let Some(pid) = cmd.person_id {
            load_person(&tx, actor, pid).await?;
        }
        let sheet = AccessSheet {
            id: AccessSheetId(0),
            org_unit_id: cmd.org_unit_id,
            operator_id: actor.operator_id,
            person_id: cmd.person_id,
            access_on: cmd.access_on,
            channel: cmd.channel,
            reporter: cmd.reporter,
            reasons: cmd.reasons.iter().map(|r| r.trim().to_string()).collect(),
            privacy_consent: cmd.privacy_consent,
            state: AccessSheetState::Open,
            case_id: None,
        };
        let outcomes = self
            .validate(&tx, sheet.org_unit_id, Hook::AccessSheetOpened, async || {
                Ok(Change::AccessSheetOpened(sheet.clone()))
            })
            .await?;
        let sheet = access_repo::insert(&tx, &sheet, self.clock().now()).await?;
        self.plugins.record(&tx, "access_sheet", sheet.id.0, &outcomes).await?;
        audit::record(&tx, self.clock(), actor, "access_sheet.open", "access_sheet", sheet.id.0, sheet.person_id)
            .await?;
        self.commit(tx).await?;
        Ok(sheet)
    }

    /// Forwards an access sheet to a new case.
    pub async fn forward_access_sheet(
        &self,
        actor: &Actor,
        sheet_id: AccessSheetId,
        area: UserArea,
        responsible_operator_id: Option<OperatorId>,
        opened_on: Option<NaiveDate>,
    ) -> AppResult<Case> {
        self.hooked(|| {
            Box::pin(self.forward_access_sheet_once(actor, sheet_id, area, responsible_operator_id, opened_on))
        })
        .await
    }

    async fn forward_access_sheet_once(
        &self,
        actor: &Actor,
        sheet_id: AccessSheetId,
        area: UserArea,
        responsible_operator_id: Option<OperatorId>,
        opened_on: Option<NaiveDate>,
    ) -> AppResult<Case> {
        let tx = self.begin().await?;
        let sheet = access_repo::get(&tx, sheet_id, true)
            .await?
            .filter(|s| sees(actor, Action::ReadSheet, s.org_unit_id, "access_sheet"))
            .ok_or(AppError::not_found("access sheet", "accessSheetId"))?;
        check(actor, Action::Write, sheet.org_unit_id)?;
        let person_id = access::check_forward(&sheet)?;
        if opened_on.is_some_and(|d| d < sheet.access_on) {
            return Err(DomainError::field("INVALID_DATE", "openedOn", "the case cannot open before the access").into());
        }
        let today = self.clock().today();
        let case = self
            .open_case_in(
                &tx,
                actor,
                OpenCase {
                    org_unit_id: sheet.org_unit_id,
                    person_id,
                    area,
                    responsible_operator_id: responsible_operator_id.or(actor.operator_id),
                    opened_on: opened_on.unwrap_or(today),
                },
            )
            .await?;
        let outcomes = self
            .validate(&tx, sheet.org_unit_id, Hook::AccessSheetForwarded, async || {
                let mut opened = case.clone();
                opened.id = CaseId(0);
                Ok(Change::AccessSheetForwarded(sheet.clone(), opened))
            })
            .await?;
        self.plugins.record(&tx, "access_sheet", sheet_id.0, &outcomes).await?;
        access_repo::set_forwarded(&tx, sheet_id, case.id).await?;
        self.commit(tx).await?;
        Ok(case)
    }

    /// Opens a case.
    pub async fn open_case(&self, actor: &Actor, cmd: OpenCase) -> AppResult<Case> {
        self.hooked(|| Box::pin(self.open_case_once(actor, cmd.clone()))).await
    }

    async fn open_case_once(&self, actor: &Actor, cmd: OpenCase) -> AppResult<Case> {
        let tx = self.begin().await?;
        let case = self.open_case_in(&tx, actor, cmd).await?;
        self.commit(tx).await?;
        Ok(case)
    }

    async fn open_case_in(&self, tx: &Tx, actor: &Actor, cmd: OpenCase) -> AppResult<Case> {
        if cmd.opened_on > self.clock().today() {
            return Err(DomainError::field("INVALID_DATE", "openedOn", "the opening date is in the future").into());
        }
        org_repo::get_unit(tx, cmd.org_unit_id).await?.ok_or(AppError::not_found("organisation unit", "orgUnitId"))?;
        check(actor, Action::Write, cmd.org_unit_id)?;
        load_person(tx, actor, cmd.person_id).await?;
        if let Some(op) = cmd.responsible_operator_id {
            let assign = actor.operator_id != Some(op);
            self.check_responsible(tx, actor, op, cmd.org_unit_id, "responsibleOperatorId", assign).await?;
        }
        let case = Case {
            id: CaseId(0),
            org_unit_id: cmd.org_unit_id,
            person_id: cmd.person_id,
            state: CaseState::Open,
            area: cmd.area,
            responsible_operator_id: cmd.responsible_operator_id,
            opened_on: cmd.opened_on,
            closed_on: None,
            closure_reason: None,
        };
        let outcomes =
            self.validate(tx, cmd.org_unit_id, Hook::CaseOpened, async || Ok(Change::CaseOpened(case.clone()))).await?;
        let now = self.clock().now();
        let case = case_repo::insert(tx, &case, now).await?;
        self.plugins.record(tx, "case", case.id.0, &outcomes).await?;
        let event = CaseEvent {
            kind: CaseEventKind::Opened,
            on: case.opened_on,
            state: case.state,
            operator_id: case.responsible_operator_id,
            org_unit_id: case.org_unit_id,
            reason: None,
            recorded_by: actor.operator_id,
        };
        case_repo::insert_event(tx, case.id, &event, now).await?;
        audit::record(tx, self.clock(), actor, "case.open", "case", case.id.0, Some(case.person_id)).await?;
        Ok(case)
    }

    /// Reassigns a case to another operator and/or office; the history keeps the old ones.
    pub async fn reassign_case(
        &self,
        actor: &Actor,
        case_id: CaseId,
        operator_id: Option<OperatorId>,
        org_unit_id: Option<OrgUnitId>,
        reason: Option<String>,
    ) -> AppResult<Case> {
        if operator_id.is_none() && org_unit_id.is_none() {
            return Err(
                DomainError::field("REQUIRED", "operatorId", "give a new operator, a new office or both").into()
            );
        }
        if let Some(r) = &reason {
            check_text(r, "reason", 500)?;
        }
        let tx = self.begin().await?;
        let mut case = load_case(&tx, actor, case_id, true).await?;
        check(actor, Action::Write, case.org_unit_id)?;
        if case.state == CaseState::Closed {
            return Err(DomainError::new("CASE_NOT_ACTIVE", "a closed case cannot be reassigned").into());
        }
        if let Some(org) = org_unit_id {
            org_repo::get_unit(&tx, org).await?.ok_or(AppError::not_found("organisation unit", "orgUnitId"))?;
            if org != case.org_unit_id {
                // A transfer between units needs the right on both sides.
                check(actor, Action::TransferCase, case.org_unit_id)?;
                check(actor, Action::TransferCase, org)?;
                case.org_unit_id = org;
                int_repo::move_case(&tx, case.id, org).await?;
            }
        }
        match operator_id {
            Some(op) => {
                let assign = case.responsible_operator_id != Some(op);
                self.check_responsible(&tx, actor, op, case.org_unit_id, "operatorId", assign).await?;
                case.responsible_operator_id = Some(op);
            }
            // A transfer keeps the responsible operator only if they may work in the new unit.
            None => {
                if let Some(op) = case.responsible_operator_id
                    && !self.may_be_responsible(op, case.org_unit_id).await?
                {
                    return Err(DomainError::field(
                        "OPERATOR_REQUIRED",
                        "operatorId",
                        "the responsible operator cannot work in the new unit: name one who can",
                    )
                    .into());
                }
            }
        }
        let now = self.clock().now();
        case_repo::update(&tx, &case, now).await?;
        let event = CaseEvent {
            kind: CaseEventKind::Reassigned,
            on: self.clock().today(),
            state: case.state,
            operator_id: case.responsible_operator_id,
            org_unit_id: case.org_unit_id,
            reason,
            recorded_by: actor.operator_id,
        };
        case_repo::insert_event(&tx, case.id, &event, now).await?;
        audit::record(&tx, self.clock(), actor, "case.reassign", "case", case.id.0, Some(case.person_id)).await?;
        self.commit(tx).await?;
        Ok(case)
    }

    /// Suspends, resumes, closes or reopens a case.
    pub async fn change_case_state(
        &self,
        actor: &Actor,
        case_id: CaseId,
        action: CaseAction,
        on: Option<NaiveDate>,
        reason: Option<String>,
    ) -> AppResult<Case> {
        let today = self.clock().today();
        let on = on.unwrap_or(today);
        if action == CaseAction::Close && reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            return Err(DomainError::field("REQUIRED", "reason", "a closure needs a reason").into());
        }
        if let Some(r) = &reason {
            check_text(r, "reason", 500)?;
        }
        let tx = self.begin().await?;
        let mut case = load_case(&tx, actor, case_id, true).await?;
        check(actor, Action::Write, case.org_unit_id)?;
        let to = case::transition(case.state, action)?;
        let last_event_on = case_repo::events_of(&tx, &[case.id]).await?.last().map(|(_, e)| e.on);
        case::check_event_date(case.opened_on, last_event_on, on, today)?;
        case.state = to;
        match action {
            CaseAction::Close => {
                case.closed_on = Some(on);
                case.closure_reason = reason.clone();
            }
            CaseAction::Reopen => {
                case.closed_on = None;
                case.closure_reason = None;
            }
            CaseAction::Suspend | CaseAction::Resume => {}
        }
        let now = self.clock().now();
        case_repo::update(&tx, &case, now).await?;
        let event = CaseEvent {
            kind: action.event(),
            on,
            state: case.state,
            operator_id: case.responsible_operator_id,
            org_unit_id: case.org_unit_id,
            reason,
            recorded_by: actor.operator_id,
        };
        case_repo::insert_event(&tx, case.id, &event, now).await?;
        let verb = format!("case.{}", event.kind.as_str());
        audit::record(&tx, self.clock(), actor, &verb, "case", case.id.0, Some(case.person_id)).await?;
        self.commit(tx).await?;
        Ok(case)
    }

    /// Records a need on an active case.
    pub async fn record_need(
        &self,
        actor: &Actor,
        case_id: CaseId,
        code: String,
        severity: i16,
        on: NaiveDate,
    ) -> AppResult<Need> {
        assessment::validate_need(&code, severity, on, self.clock().today())?;
        let tx = self.begin().await?;
        let case = load_case(&tx, actor, case_id, false).await?;
        check(actor, Action::Write, case.org_unit_id)?;
        case::require_active(case.state)?;
        case::check_work_date(case.opened_on, on, "recordedOn")?;
        let need =
            case_repo::insert_need(&tx, case_id, &code, severity, on, actor.operator_id, self.clock().now()).await?;
        audit::record(&tx, self.clock(), actor, "need.record", "need", need.id.0, Some(case.person_id)).await?;
        self.commit(tx).await?;
        Ok(need)
    }

    /// Records an assessment on an active case.
    pub async fn record_assessment(&self, actor: &Actor, cmd: RecordAssessment) -> AppResult<Assessment> {
        let RecordAssessment { case_id, instrument, assessed_on, assessor, answers, score, sina } = cmd;
        assessment::validate_assessment(&assessor, assessed_on, &answers, sina.as_ref(), self.clock().today())?;
        let tx = self.begin().await?;
        let case = load_case(&tx, actor, case_id, false).await?;
        check(actor, Action::Write, case.org_unit_id)?;
        case::require_active(case.state)?;
        case::check_work_date(case.opened_on, assessed_on, "assessedOn")?;
        let a = Assessment {
            id: AssessmentId(0),
            case_id,
            person_id: case.person_id,
            instrument,
            assessed_on,
            assessor,
            recorded_by: actor.operator_id,
            answers,
            score,
            sina,
        };
        let a = case_repo::insert_assessment(&tx, &a, self.clock().now()).await?;
        audit::record(&tx, self.clock(), actor, "assessment.record", "assessment", a.id.0, Some(case.person_id))
            .await?;
        self.commit(tx).await?;
        Ok(a)
    }

    /// Creates a plan with its objectives on an active case.
    pub async fn create_plan(&self, actor: &Actor, cmd: CreatePlan) -> AppResult<Plan> {
        self.hooked(|| Box::pin(self.create_plan_once(actor, cmd.clone()))).await
    }

    async fn create_plan_once(&self, actor: &Actor, cmd: CreatePlan) -> AppResult<Plan> {
        let CreatePlan { case_id, kind, starts_on, planned_end_on, review_every_months, objectives } = cmd;
        let next_review_on = plan::validate_new_plan(starts_on, planned_end_on, review_every_months, &objectives)?;
        let tx = self.begin().await?;
        let case = load_case(&tx, actor, case_id, false).await?;
        check(actor, Action::Write, case.org_unit_id)?;
        case::require_active(case.state)?;
        let p = Plan {
            id: PlanId(0),
            case_id,
            kind,
            state: PlanState::Active,
            starts_on,
            planned_end_on,
            review_every_months,
            next_review_on,
            closure_reason: None,
        };
        let p = plan_repo::insert(&tx, &p, &objectives, actor.operator_id, self.clock().now()).await?;
        let outcomes = self
            .validate(&tx, case.org_unit_id, Hook::PlanSaved, async || self.plan_change(&tx, &case, &p, None).await)
            .await?;
        self.plugins.record(&tx, "plan", p.id.0, &outcomes).await?;
        audit::record(&tx, self.clock(), actor, "plan.create", "plan", p.id.0, Some(case.person_id)).await?;
        self.commit(tx).await?;
        Ok(p)
    }

    /// Reviews a plan: scores its objectives and moves the next review date.
    pub async fn review_plan(
        &self,
        actor: &Actor,
        plan_id: PlanId,
        reviewed_on: NaiveDate,
        attainments: Vec<(ObjectiveId, Attainment)>,
        notes: Option<String>,
    ) -> AppResult<Plan> {
        self.hooked(|| Box::pin(self.review_plan_once(actor, plan_id, reviewed_on, attainments.clone(), notes.clone())))
            .await
    }

    async fn review_plan_once(
        &self,
        actor: &Actor,
        plan_id: PlanId,
        reviewed_on: NaiveDate,
        attainments: Vec<(ObjectiveId, Attainment)>,
        notes: Option<String>,
    ) -> AppResult<Plan> {
        if let Some(n) = &notes {
            check_text(n, "notes", 4000)?;
        }
        let tx = self.begin().await?;
        let mut p = plan_repo::get(&tx, plan_id, true).await?.ok_or(AppError::not_found("plan", "planId"))?;
        let case = as_missing(load_case(&tx, actor, p.case_id, false).await, "plan", "planId")?;
        check(actor, Action::Write, case.org_unit_id)?;
        let next = plan::check_review(&p, reviewed_on, self.clock().today())?;
        let objectives = plan_repo::objectives_of(&tx, &[plan_id]).await?;
        if let Some((unknown, _)) = attainments.iter().find(|(id, _)| !objectives.iter().any(|o| o.id == *id)) {
            let _ = unknown;
            return Err(AppError::not_found("objective", "attainments"));
        }
        let review = PlanReview { plan_id, reviewed_on, reviewed_by: actor.operator_id, notes };
        plan_repo::insert_review(&tx, &review, &attainments, next, self.clock().now()).await?;
        p.next_review_on = next;
        let outcomes = self
            .validate(&tx, case.org_unit_id, Hook::PlanSaved, async || {
                self.plan_change(&tx, &case, &p, Some(reviewed_on)).await
            })
            .await?;
        self.plugins.record(&tx, "plan", p.id.0, &outcomes).await?;
        audit::record(&tx, self.clock(), actor, "plan.review", "plan", p.id.0, Some(case.person_id)).await?;
        self.commit(tx).await?;
        Ok(p)
    }

    /// Requests an intervention on an active case.
    pub async fn request_intervention(&self, actor: &Actor, cmd: RequestIntervention) -> AppResult<StoredIntervention> {
        self.hooked(|| Box::pin(self.request_intervention_once(actor, cmd.clone()))).await
    }

    async fn request_intervention_once(
        &self,
        actor: &Actor,
        cmd: RequestIntervention,
    ) -> AppResult<StoredIntervention> {
        intervention::validate_request(cmd.requested_amount, cmd.starts_on, cmd.ends_on, cmd.monthly_hours_centi)?;
        if let Some(m) = cmd.monthly_amount {
            m.require_non_negative("monthlyAmount")?;
        }
        if let Some(m) = cmd.isee_threshold {
            m.require_non_negative("iseeThreshold")?;
        }
        if let Some(p) = &cmd.application_protocol {
            check_text(p, "applicationProtocol", 40)?;
        }
        let today = self.clock().today();
        if cmd.event_on.is_some_and(|d| d > today) {
            return Err(DomainError::field("INVALID_DATE", "eventOn", "the event date is in the future").into());
        }
        let tx = self.begin().await?;
        let case = load_case(&tx, actor, cmd.case_id, true).await?;
        check(actor, Action::Write, case.org_unit_id)?;
        case::require_active(case.state)?;
        case::check_work_date(case.opened_on, cmd.starts_on, "startsOn")?;
        // National entries serve everyone; a unit's own (e.g. imported from a plug-in) serve
        // the cases of that unit and the units below it.
        let tree = self.authz().tree().await?;
        let entry: CatalogueEntry = catalogue_repo::get(&tx, cmd.catalogue_entry_id)
            .await?
            .filter(|e| e.serves(tree.ancestors(case.org_unit_id)))
            .ok_or(AppError::not_found("catalogue entry", "catalogueEntryId"))?;
        if let Some(plan_id) = cmd.plan_id {
            let p = plan_repo::get(&tx, plan_id, false).await?.ok_or(AppError::not_found("plan", "planId"))?;
            if p.case_id != case.id {
                return Err(AppError::not_found("plan", "planId"));
            }
        }
        if let Some(pid) = cmd.provider_id {
            provider_repo::get(&tx, pid).await?.ok_or(AppError::not_found("provider", "providerId"))?;
        }
        if let Some(lid) = cmd.funding_line_id {
            load_line(&tx, actor, lid, false).await?;
        }
        if let Some(iid) = cmd.isee_id {
            let i = person_repo::get_isee(&tx, iid).await?.ok_or(AppError::not_found("ISEE attestation", "iseeId"))?;
            if i.person_id != case.person_id {
                return Err(AppError::not_found("ISEE attestation", "iseeId"));
            }
        }
        let i = Intervention {
            id: InterventionId(0),
            case_id: case.id,
            plan_id: cmd.plan_id,
            catalogue_entry_id: entry.id,
            state: InterventionState::Requested,
            requested_amount: cmd.requested_amount,
            authorised_amount: None,
            monthly_amount: cmd.monthly_amount,
            monthly_hours_centi: cmd.monthly_hours_centi,
            starts_on: cmd.starts_on,
            ends_on: cmd.ends_on,
            provider_id: cmd.provider_id,
            funding_line_id: cmd.funding_line_id,
            co_payment_monthly: None,
            means_test: entry.means_test,
            character: entry.character,
            isee_threshold: cmd.isee_threshold,
            isee_id: cmd.isee_id,
            application_protocol: cmd.application_protocol,
            requested_on: today,
            decided_on: None,
            requested_by: actor.operator_id,
            decided_by: None,
            reason: None,
            event_on: Some(cmd.event_on.unwrap_or(today)),
            taken_in_charge: cmd.taken_in_charge.unwrap_or(true),
        };
        let now = self.clock().now();
        let mut stored = int_repo::insert(&tx, &i, case.org_unit_id, now).await?;
        let outcomes = self
            .validate(&tx, case.org_unit_id, Hook::InterventionRequested, async || {
                let mut subject = self.subject(&tx, &stored, &case, &entry).await?;
                subject.intervention.id = InterventionId(0);
                Ok(Change::InterventionRequested(Box::new(subject)))
            })
            .await?;
        self.plugins.record(&tx, "intervention", stored.intervention.id.0, &outcomes).await?;
        self.decide(&tx, &mut stored, &case, &entry, true).await?;
        let event = InterventionEvent {
            intervention_id: stored.intervention.id,
            from_state: None,
            to_state: InterventionState::Requested,
            on: stored.intervention.requested_on,
            reason: None,
            recorded_by: actor.operator_id,
        };
        int_repo::insert_event(&tx, &event, now).await?;
        audit::record(
            &tx,
            self.clock(),
            actor,
            "intervention.request",
            "intervention",
            stored.intervention.id.0,
            Some(case.person_id),
        )
        .await?;
        self.commit(tx).await?;
        Ok(stored)
    }

    /// Authorises an intervention with an amount; when it has a funding line, the amount is
    /// committed on that line in the same transaction.
    pub async fn authorise_intervention(
        &self,
        actor: &Actor,
        id: InterventionId,
        authorised_amount: Money,
        funding_line_id: Option<FundingLineId>,
    ) -> AppResult<StoredIntervention> {
        self.hooked(|| Box::pin(self.authorise_intervention_once(actor, id, authorised_amount, funding_line_id))).await
    }

    async fn authorise_intervention_once(
        &self,
        actor: &Actor,
        id: InterventionId,
        authorised_amount: Money,
        funding_line_id: Option<FundingLineId>,
    ) -> AppResult<StoredIntervention> {
        let today = self.clock().today();
        let tx = self.begin().await?;
        let mut s = load_intervention(&tx, actor, id).await?;
        check(actor, Action::AuthorisePayment, s.org_unit_id)?;
        let to = intervention::transition(s.intervention.state, InterventionAction::Authorise)?;
        intervention::validate_authorisation(
            authorised_amount,
            s.intervention.requested_amount,
            today,
            s.intervention.requested_on,
        )?;
        let case = load_case(&tx, actor, s.intervention.case_id, false).await?;
        case::require_active(case.state)?;
        let entry = catalogue_repo::get(&tx, s.intervention.catalogue_entry_id)
            .await?
            .ok_or_else(|| AppError::Internal("intervention without catalogue entry".into()))?;
        let outcomes = self
            .validate(&tx, s.org_unit_id, Hook::InterventionAuthorised, async || {
                let mut draft = s.clone();
                draft.intervention.authorised_amount = Some(authorised_amount);
                let subject = self.subject(&tx, &draft, &case, &entry).await?;
                Ok(Change::InterventionAuthorised(Box::new(subject)))
            })
            .await?;
        self.plugins.record(&tx, "intervention", id.0, &outcomes).await?;
        let line_id = funding_line_id.or(s.intervention.funding_line_id);
        if let Some(line_id) = line_id {
            self.commit_in(&tx, actor, line_id, Some(id), authorised_amount, today, Some("authorisation".into()))
                .await?;
        }
        let i = &mut s.intervention;
        i.state = to;
        i.authorised_amount = Some(authorised_amount);
        i.funding_line_id = line_id;
        i.decided_on = Some(today);
        i.decided_by = actor.operator_id;
        self.write_intervention_change(
            &tx,
            actor,
            &s,
            InterventionState::Requested,
            None,
            case.person_id,
            "intervention.authorise",
        )
        .await?;
        self.decide(&tx, &mut s, &case, &entry, false).await?;
        self.commit(tx).await?;
        Ok(s)
    }

    /// Rejects a requested intervention.
    pub async fn reject_intervention(
        &self,
        actor: &Actor,
        id: InterventionId,
        reason: String,
    ) -> AppResult<StoredIntervention> {
        siso_domain::error::check_text(&reason, "reason", 500)?;
        let tx = self.begin().await?;
        let mut s = load_intervention(&tx, actor, id).await?;
        check(actor, Action::AuthorisePayment, s.org_unit_id)?;
        let from = s.intervention.state;
        s.intervention.state = intervention::transition(from, InterventionAction::Reject)?;
        s.intervention.decided_on = Some(self.clock().today());
        s.intervention.decided_by = actor.operator_id;
        s.intervention.reason = Some(reason.clone());
        let case = load_case(&tx, actor, s.intervention.case_id, false).await?;
        self.write_intervention_change(&tx, actor, &s, from, Some(reason), case.person_id, "intervention.reject")
            .await?;
        self.commit(tx).await?;
        Ok(s)
    }

    /// Activates, suspends or closes an intervention.
    pub async fn change_intervention_state(
        &self,
        actor: &Actor,
        id: InterventionId,
        action: InterventionAction,
        reason: Option<String>,
    ) -> AppResult<StoredIntervention> {
        if let Some(r) = &reason {
            check_text(r, "reason", 500)?;
        }
        let tx = self.begin().await?;
        let mut s = load_intervention(&tx, actor, id).await?;
        check(actor, Action::Write, s.org_unit_id)?;
        let from = s.intervention.state;
        s.intervention.state = intervention::transition(from, action)?;
        let case = load_case(&tx, actor, s.intervention.case_id, false).await?;
        if action == InterventionAction::Activate {
            case::require_active(case.state)?;
        }
        if action == InterventionAction::Close {
            if s.intervention.ends_on.is_none() {
                s.intervention.ends_on = Some(self.clock().today().max(s.intervention.starts_on));
            }
            self.release_unspent(&tx, actor, &s).await?;
        }
        if reason.is_some() {
            s.intervention.reason = reason.clone();
        }
        let verb = format!("intervention.{}", s.intervention.state.as_str());
        self.write_intervention_change(&tx, actor, &s, from, reason, case.person_id, &verb).await?;
        self.commit(tx).await?;
        Ok(s)
    }

    /// On closure, gives back to the funding line what the intervention did not spend.
    async fn release_unspent(&self, tx: &Tx, actor: &Actor, s: &StoredIntervention) -> AppResult<()> {
        let (Some(line_id), Some(authorised)) = (s.intervention.funding_line_id, s.intervention.authorised_amount)
        else {
            return Ok(());
        };
        let unspent = authorised.checked_sub(s.disbursed).unwrap_or(Money::ZERO);
        if unspent <= Money::ZERO {
            return Ok(());
        }
        let line = budget_repo::get_line(tx, line_id, true)
            .await?
            .ok_or_else(|| AppError::Internal("intervention on a missing funding line".into()))?;
        let committed = budget::release(line.committed, unspent)?;
        budget_repo::set_committed(tx, line_id, committed).await?;
        let k = Commitment {
            id: CommitmentId(0),
            kind: CommitmentKind::Release,
            funding_line_id: line_id,
            intervention_id: Some(s.intervention.id),
            amount: unspent,
            committed_on: self.clock().today(),
            description: Some("unspent at closure".into()),
            created_by: actor.operator_id,
        };
        budget_repo::insert_commitment(tx, &k, self.clock().now()).await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn write_intervention_change(
        &self,
        tx: &Tx,
        actor: &Actor,
        s: &StoredIntervention,
        from: InterventionState,
        reason: Option<String>,
        person: PersonId,
        verb: &str,
    ) -> AppResult<()> {
        let now = self.clock().now();
        int_repo::update(tx, s, now).await?;
        let event = InterventionEvent {
            intervention_id: s.intervention.id,
            from_state: Some(from),
            to_state: s.intervention.state,
            on: self.clock().today(),
            reason,
            recorded_by: actor.operator_id,
        };
        int_repo::insert_event(tx, &event, now).await?;
        audit::record(tx, self.clock(), actor, verb, "intervention", s.intervention.id.0, Some(person)).await?;
        Ok(())
    }

    /// Records a disbursement; the total never exceeds the authorised amount.
    pub async fn record_disbursement(&self, actor: &Actor, cmd: RecordDisbursement) -> AppResult<Disbursement> {
        self.hooked(|| Box::pin(self.record_disbursement_once(actor, cmd.clone()))).await
    }

    async fn record_disbursement_once(&self, actor: &Actor, cmd: RecordDisbursement) -> AppResult<Disbursement> {
        let tx = self.begin().await?;
        let mut s = load_intervention(&tx, actor, cmd.intervention_id).await?;
        check(actor, Action::RecordPayment, s.org_unit_id)?;
        let i = &s.intervention;
        let checked = intervention::check_disbursement(
            intervention::DisbursementContext {
                state: i.state,
                authorised: i.authorised_amount,
                already_disbursed: s.disbursed,
                starts_on: i.starts_on,
                ends_on: i.ends_on,
            },
            &intervention::NewDisbursement {
                amount: cmd.amount,
                shares: cmd.shares,
                paid_on: cmd.paid_on,
                period_from: cmd.period_from,
                period_to: cmd.period_to,
                hours_centi: cmd.hours_centi,
            },
            self.clock().today(),
        )?;
        let outcomes = self
            .validate(&tx, s.org_unit_id, Hook::DisbursementRecorded, async || {
                let case = load_case(&tx, actor, i.case_id, false).await?;
                let entry = catalogue_repo::get(&tx, i.catalogue_entry_id)
                    .await?
                    .ok_or_else(|| AppError::Internal("intervention without catalogue entry".into()))?;
                let subject = self.subject(&tx, &s, &case, &entry).await?;
                let view = DisbursementView {
                    paid_on: cmd.paid_on,
                    period_from: cmd.period_from,
                    period_to: cmd.period_to,
                    amount: checked.amount,
                    ente_share: checked.ente,
                    user_share: checked.user,
                    ssn_share: checked.ssn,
                    other_share: checked.other,
                    hours_centi: cmd.hours_centi,
                };
                Ok(Change::DisbursementRecorded(Box::new(subject), view))
            })
            .await?;
        let i = &s.intervention;
        let d = Disbursement {
            id: DisbursementId(0),
            intervention_id: i.id,
            paid_on: cmd.paid_on,
            period_from: cmd.period_from,
            period_to: cmd.period_to,
            amount: checked.amount,
            ente_share: checked.ente,
            user_share: checked.user,
            ssn_share: checked.ssn,
            other_share: checked.other,
            hours_centi: cmd.hours_centi,
            recorded_by: actor.operator_id,
        };
        let now = self.clock().now();
        let d = int_repo::insert_disbursement(&tx, &d, now).await?;
        self.plugins.record(&tx, "disbursement", d.id.0, &outcomes).await?;
        s.disbursed = s.disbursed + checked.amount;
        int_repo::update(&tx, &s, now).await?;
        let case = load_case(&tx, actor, s.intervention.case_id, false).await?;
        audit::record(&tx, self.clock(), actor, "disbursement.record", "disbursement", d.id.0, Some(case.person_id))
            .await?;
        self.commit(tx).await?;
        Ok(d)
    }

    /// Places the person of an intervention with a provider at a daily fee.
    pub async fn create_placement(
        &self,
        actor: &Actor,
        intervention_id: InterventionId,
        provider_id: ProviderId,
        daily_fee: Money,
        starts_on: NaiveDate,
        ends_on: Option<NaiveDate>,
    ) -> AppResult<Placement> {
        provider::validate_placement(daily_fee, starts_on, ends_on)?;
        let tx = self.begin().await?;
        let s = load_intervention(&tx, actor, intervention_id).await?;
        check(actor, Action::Write, s.org_unit_id)?;
        provider_repo::get(&tx, provider_id).await?.ok_or(AppError::not_found("provider", "providerId"))?;
        if matches!(s.intervention.state, InterventionState::Closed | InterventionState::Rejected) {
            return Err(DomainError::new("INTERVENTION_NOT_ACTIVE", "the intervention is closed").into());
        }
        // The provider the intervention is assigned to is the one that hosts it (and records its
        // presences).
        if s.intervention.provider_id.is_some_and(|assigned| assigned != provider_id) {
            return Err(DomainError::field(
                "PROVIDER_MISMATCH",
                "providerId",
                "the intervention is assigned to another provider",
            )
            .into());
        }
        let p = Placement { id: PlacementId(0), intervention_id, provider_id, daily_fee, starts_on, ends_on };
        let p = provider_repo::insert_placement(&tx, &p, self.clock().now()).await?;
        let case = load_case(&tx, actor, s.intervention.case_id, false).await?;
        audit::record(&tx, self.clock(), actor, "placement.create", "placement", p.id.0, Some(case.person_id)).await?;
        self.commit(tx).await?;
        Ok(p)
    }

    /// Records a provider's presences for a month.
    pub async fn record_presences(
        &self,
        actor: &Actor,
        placement_id: PlacementId,
        year: i32,
        month: u32,
        days_present: i16,
    ) -> AppResult<MonthlyPresence> {
        let tx = self.begin().await?;
        let p = provider_repo::get_placement(&tx, placement_id)
            .await?
            .ok_or(AppError::not_found("placement", "placementId"))?;
        // Readable by the case's workers and by the staff of the provider it is assigned to.
        let s = {
            int_repo::get(&tx, p.intervention_id, true)
                .await?
                .filter(|s| crate::queries::readable(actor, s))
                .ok_or(AppError::not_found("placement", "placementId"))?
        };
        // The provider the placement is with records its presences; so do the case's workers.
        if !actor.access.for_provider(Action::RecordPresence, Some(p.provider_id)) {
            check(actor, Action::Write, s.org_unit_id)?;
        }
        let (first, due) = provider::check_presences(&p, year, month, days_present, self.clock().today())?;
        let presence = MonthlyPresence { placement_id, month: first, days_present, amount_due: due };
        provider_repo::insert_presence(&tx, &presence, actor.operator_id, self.clock().now()).await?;
        // The person, for the access log only (a provider does not read the case).
        let case = case_repo::get(&tx, s.intervention.case_id, false)
            .await?
            .ok_or_else(|| AppError::Internal("intervention without case".into()))?;
        audit::record(&tx, self.clock(), actor, "presence.record", "placement", p.id.0, Some(case.person_id)).await?;
        self.commit(tx).await?;
        Ok(presence)
    }

    /// Creates a funding line.
    pub async fn create_funding_line(&self, actor: &Actor, cmd: CreateFundingLine) -> AppResult<FundingLine> {
        let CreateFundingLine { fund_id, org_unit_id, name, year, chapter, amount } = cmd;
        budget::validate_funding_line(&name, year, amount)?;
        let tx = self.begin().await?;
        budget_repo::get_fund(&tx, fund_id).await?.ok_or(AppError::not_found("fund", "fundId"))?;
        org_repo::get_unit(&tx, org_unit_id).await?.ok_or(AppError::not_found("organisation unit", "orgUnitId"))?;
        check(actor, Action::ManageBudget, org_unit_id)?;
        let line = FundingLine {
            id: FundingLineId(0),
            fund_id,
            org_unit_id,
            name,
            year,
            chapter,
            amount,
            committed: Money::ZERO,
        };
        let line = budget_repo::insert_line(&tx, &line, self.clock().now()).await?;
        self.commit(tx).await?;
        Ok(line)
    }

    /// Commits funds on a line; never more than what is left, also under concurrency (the line
    /// is locked until the commit).
    pub async fn commit_funds(
        &self,
        actor: &Actor,
        line_id: FundingLineId,
        amount: Money,
        intervention_id: Option<InterventionId>,
        description: Option<String>,
    ) -> AppResult<Commitment> {
        self.hooked(|| Box::pin(self.commit_funds_once(actor, line_id, amount, intervention_id, description.clone())))
            .await
    }

    async fn commit_funds_once(
        &self,
        actor: &Actor,
        line_id: FundingLineId,
        amount: Money,
        intervention_id: Option<InterventionId>,
        description: Option<String>,
    ) -> AppResult<Commitment> {
        if let Some(d) = &description {
            check_text(d, "description", 500)?;
        }
        let tx = self.begin().await?;
        if let Some(iid) = intervention_id {
            let found = int_repo::get(&tx, iid, false).await?;
            found
                .filter(|s| sees(actor, Action::ReadIntervention, s.org_unit_id, "intervention"))
                .ok_or(AppError::not_found("intervention", "interventionId"))?;
        }
        let c = self.commit_in(&tx, actor, line_id, intervention_id, amount, self.clock().today(), description).await?;
        self.commit(tx).await?;
        Ok(c)
    }

    #[allow(clippy::too_many_arguments)]
    async fn commit_in(
        &self,
        tx: &Tx,
        actor: &Actor,
        line_id: FundingLineId,
        intervention_id: Option<InterventionId>,
        amount: Money,
        on: NaiveDate,
        description: Option<String>,
    ) -> AppResult<Commitment> {
        let line = load_line(tx, actor, line_id, true).await?;
        check(actor, Action::ManageBudget, line.org_unit_id)?;
        let committed = budget::commit(line.amount, line.committed, amount)?;
        let outcomes = self
            .validate(tx, line.org_unit_id, Hook::FundsCommitted, async || {
                Ok(Change::FundsCommitted {
                    funding_line_id: line_id,
                    amount,
                    available_before: line.amount.checked_sub(line.committed).unwrap_or(Money::ZERO),
                })
            })
            .await?;
        budget_repo::set_committed(tx, line_id, committed).await?;
        let k = Commitment {
            id: CommitmentId(0),
            kind: CommitmentKind::Commitment,
            funding_line_id: line_id,
            intervention_id,
            amount,
            committed_on: on,
            description,
            created_by: actor.operator_id,
        };
        let k = budget_repo::insert_commitment(tx, &k, self.clock().now()).await?;
        self.plugins.record(tx, "commitment", k.id.0, &outcomes).await?;
        Ok(k)
    }
}
