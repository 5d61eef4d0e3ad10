//! GraphQL output types: thin wrappers over domain types; nested fields go through the
//! request's [`Loaders`].

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::NaiveDate;
use siso_domain::access::{AccessChannel, AccessSheetState, ReferralSource, ReporterKind};
use siso_domain::assessment::{Assessment, Instrument, Need, SinaBlock};
use siso_domain::budget::Commitment;
use siso_domain::budget::{Fund, FundKind, FundingLine};
use siso_domain::case::{Case, CaseEvent, CaseEventKind, CaseState, UserArea};
use siso_domain::catalogue::{CatalogueEntry, InpsArea, IstatType};
use siso_domain::ids::*;
use siso_domain::intervention::Disbursement;
use siso_domain::intervention::{InterventionEvent, InterventionState, MeansTest, StoredIntervention};
use siso_domain::org::Operator;
use siso_domain::org::{OrgUnit, OrgUnitKind};
use siso_domain::person::{IseeAttestation, IseeKind, Person, Sex};
use siso_domain::plan::{Attainment, Objective, Plan, PlanKind, PlanReview, PlanState, Term};
use siso_domain::provider::{MonthlyPresence, Placement, Provider};

use crate::errors::to_graphql_error;
use crate::loaders::{Loaders, Of};
use crate::query::reader;
use crate::scalars::{Euro, id};

/// A sensitive part of a case (health answers, court measures, documents): the reader decides
/// (its own permission in the unit that holds the case) and notes the read by name.
async fn sensitive(ctx: &Context<'_>, kind: &'static str, id: i64, case: CaseId) -> Result<()> {
    let case = ld(ctx)?.load_one(case).await?;
    reader(ctx)?.sensitive_part(kind, id, case.as_ref()).map_err(to_graphql_error)
}

/// Whether the request's actor reads the case's parts of an intervention (see
/// [`siso_app::Reader::reads_case_parts`]); provider staff get a minimal view.
fn case_parts(ctx: &Context<'_>, i: &StoredIntervention) -> Result<bool> {
    Ok(reader(ctx)?.reads_case_parts(i))
}

fn ld<'a>(ctx: &Context<'a>) -> Result<&'a Loaders> {
    crate::loaders::from_context(ctx)
}

/// Hours ×100 as a decimal string.
fn hours(centi: Option<i64>) -> Option<String> {
    centi.map(|h| format!("{}.{:02}", h / 100, h % 100))
}

/// A record a client can refetch by its global id alone, with `node(id:)` (the Relay
/// convention): every id of this API is global, and these types can be fetched by it.
#[derive(async_graphql::Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "The record's global id."))]
pub enum Node {
    /// An organisation unit.
    OrgUnit(OrgUnitNode),
    /// An operator.
    Operator(OperatorNode),
    /// A person.
    Person(PersonNode),
    /// An access sheet.
    AccessSheet(AccessSheetNode),
    /// A case.
    Case(CaseNode),
    /// A plan.
    Plan(PlanNode),
    /// A catalogue entry.
    CatalogueEntry(CatalogueEntryNode),
    /// An intervention.
    Intervention(InterventionNode),
    /// A provider.
    Provider(ProviderNode),
    /// A fund.
    Fund(FundNode),
    /// A funding line.
    FundingLine(FundingLineNode),
}

/// An organisation unit.
pub struct OrgUnitNode(pub OrgUnit);

#[Object(name = "OrgUnit")]
impl OrgUnitNode {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// region, ambito, comune, municipio, office or provider.
    async fn kind(&self) -> OrgUnitKind {
        self.0.kind
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// ISTAT code.
    async fn istat_code(&self) -> Option<&str> {
        self.0.istat_code.as_deref()
    }
    /// Cadastral (Belfiore) code.
    async fn cadastral_code(&self) -> Option<&str> {
        self.0.cadastral_code.as_deref()
    }
    /// INPS *codice ente*.
    async fn inps_ente_code(&self) -> Option<&str> {
        self.0.inps_ente_code.as_deref()
    }
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<OrgUnitNode>> {
        match self.0.parent_id {
            Some(p) => Ok(ld(ctx)?.load_one(p).await?.map(OrgUnitNode)),
            None => Ok(None),
        }
    }
}

/// A social operator.
pub struct OperatorNode(pub Operator);

#[Object(name = "Operator")]
impl OperatorNode {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn username(&self) -> &str {
        &self.0.username
    }
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    async fn role(&self) -> &str {
        &self.0.role
    }
    async fn org_unit(&self, ctx: &Context<'_>) -> Result<Option<OrgUnitNode>> {
        Ok(ld(ctx)?.load_one(self.0.org_unit_id).await?.map(OrgUnitNode))
    }
    /// The codice fiscale (INPS's *CFOperatore*); shown to the operator and to who manages
    /// organisation in their home unit, `null` to others.
    async fn fiscal_code(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        Ok(reader(ctx)?.reads_operator_details(&self.0).then_some(self.0.fiscal_code.as_deref()).flatten())
    }
    /// Whether the operator may sign in; shown as `fiscalCode` is.
    async fn active(&self, ctx: &Context<'_>) -> Result<Option<bool>> {
        Ok(reader(ctx)?.reads_operator_details(&self.0).then_some(self.0.active))
    }
}

/// A person (*assistito*).
pub struct PersonNode(pub Person);

#[Object(name = "Person")]
impl PersonNode {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// Codice fiscale (personal or temporary).
    async fn fiscal_code(&self) -> Option<&str> {
        self.0.fiscal_code.as_ref().map(|c| c.as_str())
    }
    async fn surname(&self) -> &str {
        &self.0.surname
    }
    async fn given_name(&self) -> &str {
        &self.0.given_name
    }
    async fn sex(&self) -> Sex {
        self.0.sex
    }
    async fn birth_date(&self) -> NaiveDate {
        self.0.birth_date
    }
    /// Belfiore code of the birth place.
    async fn birth_place_code(&self) -> Option<&str> {
        self.0.birth_place_code.as_deref()
    }
    /// ISTAT state code of citizenship.
    async fn citizenship_code(&self) -> Option<&str> {
        self.0.citizenship_code.as_deref()
    }
    /// ISTAT code of the comune of residence.
    async fn residence_comune_code(&self) -> Option<&str> {
        self.0.residence_comune_code.as_deref()
    }
    async fn residence_address(&self) -> Option<&str> {
        self.0.residence_address.as_deref()
    }
    async fn homeless(&self) -> bool {
        self.0.homeless
    }
    async fn disability(&self) -> bool {
        self.0.disability
    }
    async fn civil_invalidity_percent(&self) -> Option<i16> {
        self.0.civil_invalidity_percent
    }
    /// The unit that holds the record.
    async fn org_unit(&self, ctx: &Context<'_>) -> Result<Option<OrgUnitNode>> {
        Ok(ld(ctx)?.load_one(self.0.org_unit_id).await?.map(OrgUnitNode))
    }
    /// The person's cases.
    async fn cases(&self, ctx: &Context<'_>) -> Result<Vec<CaseNode>> {
        let v = ld(ctx)?.load_one(Of::<Case, _>::new(self.0.id)).await?.unwrap_or_default();
        Ok(v.into_iter().map(CaseNode).collect())
    }
    /// ISEE attestations, newest first.
    async fn isee(&self, ctx: &Context<'_>) -> Result<Vec<IseeNode>> {
        let v = ld(ctx)?.load_one(Of::<IseeAttestation, _>::new(self.0.id)).await?.unwrap_or_default();
        Ok(v.into_iter().map(IseeNode).collect())
    }
}

/// An ISEE attestation.
pub struct IseeNode(pub IseeAttestation);

#[Object(name = "IseeAttestation")]
impl IseeNode {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// ordinary, socio_health, minors or residential.
    async fn kind(&self) -> IseeKind {
        self.0.kind
    }
    async fn dsu_protocol(&self) -> &str {
        &self.0.dsu_protocol
    }
    async fn dsu_year(&self) -> i32 {
        self.0.dsu_year
    }
    async fn dsu_date(&self) -> NaiveDate {
        self.0.dsu_date
    }
    async fn value(&self) -> Euro {
        Euro(self.0.value)
    }
    async fn valid_from(&self) -> NaiveDate {
        self.0.valid_from
    }
    async fn valid_until(&self) -> NaiveDate {
        self.0.valid_until
    }
}

/// An access sheet.
pub struct AccessSheetNode(pub siso_domain::access::AccessSheet);

#[Object(name = "AccessSheet")]
impl AccessSheetNode {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn access_on(&self) -> NaiveDate {
        self.0.access_on
    }
    async fn channel(&self) -> AccessChannel {
        self.0.channel
    }
    async fn reporter(&self) -> ReporterKind {
        self.0.reporter
    }
    /// Where the referral came from, in INPS's sources.
    async fn referral_source(&self) -> Option<ReferralSource> {
        self.0.referral_source
    }
    async fn reasons(&self) -> &[String] {
        &self.0.reasons
    }
    async fn privacy_consent(&self) -> bool {
        self.0.privacy_consent
    }
    /// open, forwarded or closed.
    async fn state(&self) -> AccessSheetState {
        self.0.state
    }
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<PersonNode>> {
        match self.0.person_id {
            Some(p) => Ok(ld(ctx)?.load_one(p).await?.map(PersonNode)),
            None => Ok(None),
        }
    }
    async fn case(&self, ctx: &Context<'_>) -> Result<Option<CaseNode>> {
        match self.0.case_id {
            Some(c) => Ok(ld(ctx)?.load_one(c).await?.map(CaseNode)),
            None => Ok(None),
        }
    }
    async fn org_unit(&self, ctx: &Context<'_>) -> Result<Option<OrgUnitNode>> {
        Ok(ld(ctx)?.load_one(self.0.org_unit_id).await?.map(OrgUnitNode))
    }
}

/// A case (*cartella sociale*).
pub struct CaseNode(pub Case);

#[Object(name = "Case")]
impl CaseNode {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// open, suspended, closed or reopened.
    async fn state(&self) -> CaseState {
        self.0.state
    }
    /// ISTAT area of users.
    async fn area(&self) -> UserArea {
        self.0.area
    }
    async fn opened_on(&self) -> NaiveDate {
        self.0.opened_on
    }
    async fn closed_on(&self) -> Option<NaiveDate> {
        self.0.closed_on
    }
    async fn closure_reason(&self) -> Option<&str> {
        self.0.closure_reason.as_deref()
    }
    async fn org_unit(&self, ctx: &Context<'_>) -> Result<Option<OrgUnitNode>> {
        Ok(ld(ctx)?.load_one(self.0.org_unit_id).await?.map(OrgUnitNode))
    }
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<PersonNode>> {
        Ok(ld(ctx)?.load_one(self.0.person_id).await?.map(PersonNode))
    }
    async fn responsible_operator(&self, ctx: &Context<'_>) -> Result<Option<OperatorNode>> {
        match self.0.responsible_operator_id {
            Some(o) => Ok(ld(ctx)?.load_one(o).await?.map(OperatorNode)),
            None => Ok(None),
        }
    }
    /// Every change of state, operator or office, oldest first.
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<CaseEventNode>> {
        let v = ld(ctx)?.load_one(Of::<(CaseId, CaseEvent), _>::new(self.0.id)).await?.unwrap_or_default();
        Ok(v.into_iter().map(|(_, e)| CaseEventNode(e)).collect())
    }
    async fn needs(&self, ctx: &Context<'_>) -> Result<Vec<NeedNode>> {
        let v = ld(ctx)?.load_one(Of::<Need, _>::new(self.0.id)).await?.unwrap_or_default();
        Ok(v.into_iter().map(NeedNode).collect())
    }
    async fn assessments(&self, ctx: &Context<'_>) -> Result<Vec<AssessmentNode>> {
        let v = ld(ctx)?.load_one(Of::<Assessment, _>::new(self.0.id)).await?.unwrap_or_default();
        Ok(v.into_iter().map(AssessmentNode).collect())
    }
    async fn plans(&self, ctx: &Context<'_>) -> Result<Vec<PlanNode>> {
        let v = ld(ctx)?.load_one(Of::<Plan, _>::new(self.0.id)).await?.unwrap_or_default();
        Ok(v.into_iter().map(PlanNode).collect())
    }
    /// The plan in force: the active plan that started last.
    async fn plan(&self, ctx: &Context<'_>) -> Result<Option<PlanNode>> {
        let v = ld(ctx)?.load_one(Of::<Plan, _>::new(self.0.id)).await?.unwrap_or_default();
        Ok(reader(ctx)?.plan_in_force(v).map(PlanNode))
    }
    async fn interventions(&self, ctx: &Context<'_>) -> Result<Vec<InterventionNode>> {
        let v = ld(ctx)?.load_one(Of::<StoredIntervention, _>::new(self.0.id)).await?.unwrap_or_default();
        Ok(v.into_iter().map(InterventionNode).collect())
    }
}

/// An entry of a case's history.
pub struct CaseEventNode(pub CaseEvent);

#[Object(name = "CaseEvent")]
impl CaseEventNode {
    /// opened, reassigned, suspended, resumed, closed or reopened.
    async fn kind(&self) -> CaseEventKind {
        self.0.kind
    }
    async fn on(&self) -> NaiveDate {
        self.0.on
    }
    async fn state(&self) -> CaseState {
        self.0.state
    }
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    async fn operator(&self, ctx: &Context<'_>) -> Result<Option<OperatorNode>> {
        match self.0.operator_id {
            Some(o) => Ok(ld(ctx)?.load_one(o).await?.map(OperatorNode)),
            None => Ok(None),
        }
    }
    async fn org_unit(&self, ctx: &Context<'_>) -> Result<Option<OrgUnitNode>> {
        Ok(ld(ctx)?.load_one(self.0.org_unit_id).await?.map(OrgUnitNode))
    }
}

/// A need.
pub struct NeedNode(pub Need);

#[Object(name = "Need")]
impl NeedNode {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn severity(&self) -> i16 {
        self.0.severity
    }
    async fn recorded_on(&self) -> NaiveDate {
        self.0.recorded_on
    }
}

/// The SINA block of an assessment.
#[derive(SimpleObject)]
#[graphql(name = "Sina")]
pub struct SinaNode {
    mobility: Option<i16>,
    daily_living: Option<i16>,
    cognitive: Option<i16>,
    behavioural: Option<i16>,
    health_need: Option<i16>,
    income: Option<i16>,
    support_network: Option<i16>,
    source: Option<i16>,
    instrument: Option<i16>,
    invalidity_source: Option<i16>,
    civil_invalidity: Vec<i16>,
    needed_benefits: Vec<String>,
    /// Every value the INPS flow requires is present.
    complete: bool,
}

impl From<&SinaBlock> for SinaNode {
    fn from(s: &SinaBlock) -> Self {
        SinaNode {
            mobility: s.mobility,
            daily_living: s.daily_living,
            cognitive: s.cognitive,
            behavioural: s.behavioural,
            health_need: s.health_need,
            income: s.income,
            support_network: s.support_network,
            source: s.source,
            instrument: s.instrument,
            invalidity_source: s.invalidity_source,
            civil_invalidity: s.civil_invalidity.clone(),
            needed_benefits: s.needed_benefits.clone(),
            complete: s.is_complete(),
        }
    }
}

/// An answer of an assessment.
#[derive(SimpleObject)]
pub struct Answer {
    question: String,
    answer: String,
}

/// An assessment.
pub struct AssessmentNode(pub Assessment);

#[Object(name = "Assessment")]
impl AssessmentNode {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// svama, sina, sinba or local.
    async fn instrument(&self) -> Instrument {
        self.0.instrument
    }
    async fn assessed_on(&self) -> NaiveDate {
        self.0.assessed_on
    }
    async fn assessor(&self) -> &str {
        &self.0.assessor
    }
    async fn score(&self) -> Option<i32> {
        self.0.score
    }
    /// The answers (health data): needs the permission to read sensitive parts in the case's
    /// unit; without it the field is null with a `FORBIDDEN` error.
    async fn answers(&self, ctx: &Context<'_>) -> Result<Option<Vec<Answer>>> {
        sensitive(ctx, "assessment_answers", self.0.id.0, self.0.case_id).await?;
        Ok(Some(self.0.answers.iter().map(|(q, a)| Answer { question: q.clone(), answer: a.clone() }).collect()))
    }
    /// The SINA data set (health data): the same permission as `answers`.
    async fn sina(&self, ctx: &Context<'_>) -> Result<Option<SinaNode>> {
        sensitive(ctx, "assessment_sina", self.0.id.0, self.0.case_id).await?;
        Ok(self.0.sina.as_ref().map(SinaNode::from))
    }
}

/// An individual plan.
pub struct PlanNode(pub Plan);

#[Object(name = "Plan")]
impl PlanNode {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// pai, pei or pti.
    async fn kind(&self) -> PlanKind {
        self.0.kind
    }
    /// active or closed.
    async fn state(&self) -> PlanState {
        self.0.state
    }
    async fn starts_on(&self) -> NaiveDate {
        self.0.starts_on
    }
    async fn planned_end_on(&self) -> Option<NaiveDate> {
        self.0.planned_end_on
    }
    async fn review_every_months(&self) -> i16 {
        self.0.review_every_months
    }
    async fn next_review_on(&self) -> NaiveDate {
        self.0.next_review_on
    }
    async fn objectives(&self, ctx: &Context<'_>) -> Result<Vec<ObjectiveNode>> {
        let v = ld(ctx)?.load_one(Of::<Objective, _>::new(self.0.id)).await?.unwrap_or_default();
        Ok(v.into_iter().map(ObjectiveNode).collect())
    }
    async fn reviews(&self, ctx: &Context<'_>) -> Result<Vec<PlanReviewNode>> {
        let v = ld(ctx)?.load_one(Of::<PlanReview, _>::new(self.0.id)).await?.unwrap_or_default();
        Ok(v.into_iter().map(PlanReviewNode).collect())
    }
}

/// An objective.
pub struct ObjectiveNode(pub Objective);

#[Object(name = "Objective")]
impl ObjectiveNode {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// short, medium or long.
    async fn term(&self) -> Term {
        self.0.term
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn due_on(&self) -> Option<NaiveDate> {
        self.0.due_on
    }
    /// not_reached, partly, reached or exceeded.
    async fn attainment(&self) -> Option<Attainment> {
        self.0.attainment
    }
}

/// A review of a plan.
pub struct PlanReviewNode(pub PlanReview);

#[Object(name = "PlanReview")]
impl PlanReviewNode {
    async fn reviewed_on(&self) -> NaiveDate {
        self.0.reviewed_on
    }
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
}

/// A catalogue entry.
pub struct CatalogueEntryNode(pub CatalogueEntry);

#[Object(name = "CatalogueEntry")]
impl CatalogueEntryNode {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn local_code(&self) -> &str {
        &self.0.local_code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// INPS benefit code (e.g. A1.11).
    async fn inps_code(&self) -> &str {
        &self.0.inps_code
    }
    async fn inps_area(&self) -> InpsArea {
        self.0.inps_area
    }
    async fn istat_area(&self) -> UserArea {
        self.0.istat_area
    }
    async fn istat_type(&self) -> IstatType {
        self.0.istat_type
    }
    async fn sina_required(&self) -> bool {
        self.0.sina_required
    }
    async fn means_test(&self) -> MeansTest {
        self.0.means_test
    }
    /// The unit whose own entry this is (null: the national catalogue). A unit's entries,
    /// e.g. imported from a plug-in it enabled, serve the cases of that unit and below.
    async fn org_unit_id(&self) -> Option<ID> {
        self.0.org_unit_id.map(id)
    }
}

/// An intervention.
pub struct InterventionNode(pub StoredIntervention);

#[Object(name = "Intervention")]
impl InterventionNode {
    async fn id(&self) -> ID {
        id(self.0.intervention.id)
    }
    /// requested, authorised, active, suspended, closed or rejected.
    async fn state(&self) -> InterventionState {
        self.0.intervention.state
    }
    async fn requested_amount(&self) -> Euro {
        Euro(self.0.intervention.requested_amount)
    }
    async fn authorised_amount(&self) -> Option<Euro> {
        self.0.intervention.authorised_amount.map(Euro)
    }
    /// Sum of the disbursements.
    async fn disbursed_amount(&self) -> Euro {
        Euro(self.0.disbursed)
    }
    async fn monthly_amount(&self) -> Option<Euro> {
        self.0.intervention.monthly_amount.map(Euro)
    }
    /// Monthly hours as a decimal string.
    async fn monthly_hours(&self) -> Option<String> {
        hours(self.0.intervention.monthly_hours_centi)
    }
    async fn co_payment_monthly(&self, ctx: &Context<'_>) -> Result<Option<Euro>> {
        let shown = case_parts(ctx, &self.0)?;
        Ok(self.0.intervention.co_payment_monthly.filter(|_| shown).map(Euro))
    }
    /// What plug-ins decided or warned about this intervention, each with the id and version
    /// of the plug-in that produced it, oldest first.
    async fn plugin_results(&self, ctx: &Context<'_>) -> Result<Vec<PluginResultNode>> {
        let key = crate::loaders::ResultsOf(self.0.intervention.id, self.0.org_unit_id);
        let rows = ld(ctx)?.load_one(key).await?.unwrap_or_default();
        Ok(rows.into_iter().map(PluginResultNode::from).collect())
    }
    async fn starts_on(&self) -> NaiveDate {
        self.0.intervention.starts_on
    }
    async fn ends_on(&self) -> Option<NaiveDate> {
        self.0.intervention.ends_on
    }
    async fn requested_on(&self) -> NaiveDate {
        self.0.intervention.requested_on
    }
    async fn decided_on(&self) -> Option<NaiveDate> {
        self.0.intervention.decided_on
    }
    async fn reason(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        let shown = case_parts(ctx, &self.0)?;
        Ok(self.0.intervention.reason.as_deref().filter(|_| shown))
    }
    /// isee, other, exempt or none.
    async fn means_test(&self) -> MeansTest {
        self.0.intervention.means_test
    }
    async fn isee_threshold(&self, ctx: &Context<'_>) -> Result<Option<Euro>> {
        let shown = case_parts(ctx, &self.0)?;
        Ok(self.0.intervention.isee_threshold.filter(|_| shown).map(Euro))
    }
    async fn application_protocol(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        let shown = case_parts(ctx, &self.0)?;
        Ok(self.0.intervention.application_protocol.as_deref().filter(|_| shown))
    }
    /// Date of the event giving rise to the benefit (INPS *DataEvento*).
    async fn event_on(&self) -> Option<NaiveDate> {
        self.0.intervention.event_on
    }
    /// The person is taken in charge (INPS *PresaCarico*).
    async fn taken_in_charge(&self) -> bool {
        self.0.intervention.taken_in_charge
    }
    async fn catalogue_entry(&self, ctx: &Context<'_>) -> Result<Option<CatalogueEntryNode>> {
        Ok(ld(ctx)?.load_one(self.0.intervention.catalogue_entry_id).await?.map(CatalogueEntryNode))
    }
    async fn case(&self, ctx: &Context<'_>) -> Result<Option<CaseNode>> {
        Ok(ld(ctx)?.load_one(self.0.intervention.case_id).await?.map(CaseNode))
    }
    async fn plan(&self, ctx: &Context<'_>) -> Result<Option<PlanNode>> {
        match self.0.intervention.plan_id {
            Some(p) if case_parts(ctx, &self.0)? => Ok(ld(ctx)?.load_one(p).await?.map(PlanNode)),
            _ => Ok(None),
        }
    }
    async fn provider(&self, ctx: &Context<'_>) -> Result<Option<ProviderNode>> {
        match self.0.intervention.provider_id {
            Some(p) => Ok(ld(ctx)?.load_one(p).await?.map(ProviderNode)),
            None => Ok(None),
        }
    }
    async fn funding_line(&self, ctx: &Context<'_>) -> Result<Option<FundingLineNode>> {
        match self.0.intervention.funding_line_id {
            Some(l) => Ok(ld(ctx)?.load_one(l).await?.map(FundingLineNode)),
            None => Ok(None),
        }
    }
    async fn disbursements(&self, ctx: &Context<'_>) -> Result<Vec<DisbursementNode>> {
        if !case_parts(ctx, &self.0)? {
            return Ok(Vec::new());
        }
        let v = ld(ctx)?.load_one(Of::<Disbursement, _>::new(self.0.intervention.id)).await?.unwrap_or_default();
        Ok(v.into_iter().map(DisbursementNode).collect())
    }
    async fn placements(&self, ctx: &Context<'_>) -> Result<Vec<PlacementNode>> {
        let v = ld(ctx)?.load_one(Of::<Placement, _>::new(self.0.intervention.id)).await?.unwrap_or_default();
        Ok(v.into_iter().map(PlacementNode).collect())
    }
    /// Every change of state, oldest first.
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<InterventionEventNode>> {
        if !case_parts(ctx, &self.0)? {
            return Ok(Vec::new());
        }
        let v = ld(ctx)?.load_one(Of::<InterventionEvent, _>::new(self.0.intervention.id)).await?.unwrap_or_default();
        Ok(v.into_iter().map(InterventionEventNode).collect())
    }
}

/// An entry of an intervention's history.
pub struct InterventionEventNode(pub InterventionEvent);

#[Object(name = "InterventionEvent")]
impl InterventionEventNode {
    async fn from_state(&self) -> Option<InterventionState> {
        self.0.from_state
    }
    async fn to_state(&self) -> InterventionState {
        self.0.to_state
    }
    async fn on(&self) -> NaiveDate {
        self.0.on
    }
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
}

/// A disbursement.
pub struct DisbursementNode(pub Disbursement);

#[Object(name = "Disbursement")]
impl DisbursementNode {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn paid_on(&self) -> NaiveDate {
        self.0.paid_on
    }
    async fn period_from(&self) -> NaiveDate {
        self.0.period_from
    }
    async fn period_to(&self) -> NaiveDate {
        self.0.period_to
    }
    async fn amount(&self) -> Euro {
        Euro(self.0.amount)
    }
    async fn ente_share(&self) -> Euro {
        Euro(self.0.ente_share)
    }
    async fn user_share(&self) -> Euro {
        Euro(self.0.user_share)
    }
    async fn ssn_share(&self) -> Euro {
        Euro(self.0.ssn_share)
    }
    async fn other_share(&self) -> Euro {
        Euro(self.0.other_share)
    }
    async fn hours(&self) -> Option<String> {
        hours(self.0.hours_centi)
    }
}

/// A provider.
pub struct ProviderNode(pub Provider);

#[Object(name = "Provider")]
impl ProviderNode {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn accreditation(&self) -> Option<&str> {
        self.0.accreditation.as_deref()
    }
    async fn places(&self) -> Option<i32> {
        self.0.places
    }
}

/// A residential placement.
pub struct PlacementNode(pub Placement);

#[Object(name = "Placement")]
impl PlacementNode {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn daily_fee(&self) -> Euro {
        Euro(self.0.daily_fee)
    }
    async fn starts_on(&self) -> NaiveDate {
        self.0.starts_on
    }
    async fn ends_on(&self) -> Option<NaiveDate> {
        self.0.ends_on
    }
    async fn provider(&self, ctx: &Context<'_>) -> Result<Option<ProviderNode>> {
        Ok(ld(ctx)?.load_one(self.0.provider_id).await?.map(ProviderNode))
    }
    async fn presences(&self, ctx: &Context<'_>) -> Result<Vec<PresenceNode>> {
        let v = ld(ctx)?.load_one(Of::<MonthlyPresence, _>::new(self.0.id)).await?.unwrap_or_default();
        Ok(v.into_iter().map(PresenceNode).collect())
    }
}

/// Presences of a month.
pub struct PresenceNode(pub MonthlyPresence);

#[Object(name = "MonthlyPresence")]
impl PresenceNode {
    /// First day of the month.
    async fn month(&self) -> NaiveDate {
        self.0.month
    }
    async fn days_present(&self) -> i16 {
        self.0.days_present
    }
    /// Days × daily fee.
    async fn amount_due(&self) -> Euro {
        Euro(self.0.amount_due)
    }
}

/// A fund.
pub struct FundNode(pub Fund);

#[Object(name = "Fund")]
impl FundNode {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// fnps, poverty, fna, regional, own or european.
    async fn kind(&self) -> FundKind {
        self.0.kind
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
}

/// A funding line.
pub struct FundingLineNode(pub FundingLine);

#[Object(name = "FundingLine")]
impl FundingLineNode {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn year(&self) -> i32 {
        self.0.year
    }
    /// Spending chapter (*capitolo*).
    async fn chapter(&self) -> Option<&str> {
        self.0.chapter.as_deref()
    }
    async fn amount(&self) -> Euro {
        Euro(self.0.amount)
    }
    async fn committed(&self) -> Euro {
        Euro(self.0.committed)
    }
    async fn available(&self) -> Euro {
        Euro(self.0.available())
    }
    async fn fund(&self, ctx: &Context<'_>) -> Result<Option<FundNode>> {
        Ok(ld(ctx)?.load_one(self.0.fund_id).await?.map(FundNode))
    }
    async fn org_unit(&self, ctx: &Context<'_>) -> Result<Option<OrgUnitNode>> {
        Ok(ld(ctx)?.load_one(self.0.org_unit_id).await?.map(OrgUnitNode))
    }
}

/// A commitment (*impegno*).
pub struct CommitmentNode(pub Commitment);

#[Object(name = "Commitment")]
impl CommitmentNode {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn amount(&self) -> Euro {
        Euro(self.0.amount)
    }
    async fn committed_on(&self) -> NaiveDate {
        self.0.committed_on
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn funding_line(&self, ctx: &Context<'_>) -> Result<Option<FundingLineNode>> {
        Ok(ld(ctx)?.load_one(self.0.funding_line_id).await?.map(FundingLineNode))
    }
}

/// A reason or warning given by a plug-in.
#[derive(SimpleObject)]
pub struct PluginReason {
    /// Stable code.
    pub code: String,
    /// Field concerned.
    pub field: Option<String>,
    /// Explanation.
    pub message: String,
}

/// What a plug-in decided or warned about a record.
#[derive(SimpleObject)]
pub struct PluginResultNode {
    /// Plug-in id.
    pub plugin: String,
    /// Its version.
    pub version: String,
    /// The hook (`decide.eligibility`, `validate.intervention-authorised`...).
    pub hook: String,
    /// `warned`, `eligible`, `not_eligible` or `co_payment`.
    pub outcome: String,
    /// The amount decided (eligibility amount, monthly co-payment).
    pub amount: Option<Euro>,
    /// Reasons or warnings (a sensitive part: empty for those without `sensitive/read`).
    pub reasons: Vec<PluginReason>,
    /// Whether this answer was applied: when several plug-ins decide the same thing for a
    /// record, every answer is shown and the nearest enablement's is applied.
    pub applied: bool,
    /// When.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<siso_domain::plugin_result::ResultRow> for PluginResultNode {
    fn from(r: siso_domain::plugin_result::ResultRow) -> Self {
        let reasons: Vec<siso_plugins::model::Issue> = serde_json::from_str(&r.reasons).unwrap_or_default();
        PluginResultNode {
            plugin: r.plugin_key,
            version: r.plugin_version,
            hook: r.hook,
            outcome: r.outcome,
            amount: r.amount_cents.map(|c| Euro(siso_domain::money::Money::from_cents(c))),
            reasons: reasons
                .into_iter()
                .map(|i| PluginReason { code: i.code, field: i.field, message: i.message })
                .collect(),
            applied: r.applied,
            created_at: r.created_at,
        }
    }
}
