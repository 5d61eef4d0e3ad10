//! Mutations: one per step of the lifecycle. Each returns a payload with the record or the
//! typed user errors (code, field, message); faults become top-level errors without detail.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::NaiveDate;
use siso_app::AppResult;
use siso_app::usecases::{CreatePerson, OpenAccessSheet, OpenCase, RecordDisbursement, RequestIntervention};
use siso_domain::access::{AccessChannel, ReferralSource, ReporterKind};
use siso_domain::assessment::{Instrument, SinaBlock};
use siso_domain::case::{CaseAction, UserArea};
use siso_domain::ids::*;
use siso_domain::intervention::{InterventionAction, Shares};
use siso_domain::person::{IseeKind, Relation, Sex};
use siso_domain::plan::{Attainment, PlanKind, Term};

use crate::errors::{UserError, field_error, to_user_errors};
use crate::query::{actor, app};
use crate::scalars::{Euro, GlobalId, id, parse_id};
use crate::types::*;

type Input<T> = std::result::Result<T, UserError>;

fn req_id<T: GlobalId>(v: &ID, field: &str) -> Input<T> {
    parse_id::<T>(v).ok_or_else(|| field_error("INVALID_ID", field, "not a valid id"))
}

fn opt_id<T: GlobalId>(v: &Option<ID>, field: &str) -> Input<Option<T>> {
    v.as_ref().map(|v| req_id::<T>(v, field)).transpose()
}

fn hours_centi(v: &Option<String>, field: &str) -> Input<Option<i64>> {
    v.as_deref()
        .map(|h| {
            h.parse::<siso_domain::money::Money>().map(|m| m.cents()).map_err(|_| {
                field_error("INVALID_HOURS", field, "hours are a decimal number with at most two decimals")
            })
        })
        .transpose()
}

macro_rules! payload {
    ($name:ident, $field:ident, $node:ty) => {
        /// The result of a mutation: the record, or the user errors.
        #[derive(SimpleObject)]
        pub struct $name {
            /// The record, when the mutation succeeded.
            pub $field: Option<$node>,
            /// What to fix in the input, when it did not.
            pub errors: Vec<UserError>,
        }

        impl $name {
            fn ok(v: $node) -> Self {
                Self { $field: Some(v), errors: Vec::new() }
            }

            fn err(e: UserError) -> Self {
                Self { $field: None, errors: vec![e] }
            }

            fn from<T>(r: AppResult<T>, f: impl FnOnce(T) -> $node) -> Result<Self> {
                match r {
                    Ok(v) => Ok(Self::ok(f(v))),
                    Err(e) => to_user_errors(e).map(|errors| Self { $field: None, errors }),
                }
            }
        }
    };
}

payload!(PersonPayload, person, PersonNode);
payload!(HouseholdPayload, household_id, ID);
payload!(IseePayload, isee, IseeNode);
payload!(AccessSheetPayload, access_sheet, AccessSheetNode);
payload!(CasePayload, case, CaseNode);
payload!(NeedPayload, need, NeedNode);
payload!(AssessmentPayload, assessment, AssessmentNode);
payload!(PlanPayload, plan, PlanNode);
payload!(InterventionPayload, intervention, InterventionNode);
payload!(DisbursementPayload, disbursement, DisbursementNode);
payload!(PlacementPayload, placement, PlacementNode);
payload!(PresencePayload, presence, PresenceNode);
payload!(FundingLinePayload, funding_line, FundingLineNode);
payload!(CommitmentPayload, commitment, CommitmentNode);

/// A new person.
#[derive(InputObject)]
pub struct CreatePersonInput {
    /// Owning unit.
    pub org_unit_id: ID,
    /// Codice fiscale (16 characters, or an 11-digit temporary code).
    pub fiscal_code: Option<String>,
    pub surname: String,
    pub given_name: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    /// Belfiore code of the birth place.
    pub birth_place_code: Option<String>,
    /// ISTAT state code of citizenship (100 = Italy).
    pub citizenship_code: Option<String>,
    pub residence_comune_code: Option<String>,
    pub residence_address: Option<String>,
    #[graphql(default)]
    pub homeless: bool,
    #[graphql(default)]
    pub disability: bool,
    pub civil_invalidity_percent: Option<i16>,
}

/// A member of a new household.
#[derive(InputObject)]
pub struct MemberInput {
    pub person_id: ID,
    pub relation: Relation,
}

/// A new ISEE attestation.
#[derive(InputObject)]
pub struct RecordIseeInput {
    pub person_id: ID,
    pub kind: IseeKind,
    pub dsu_protocol: String,
    pub dsu_year: i32,
    pub dsu_date: NaiveDate,
    pub value: Euro,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
}

/// A new access sheet.
#[derive(InputObject)]
pub struct OpenAccessSheetInput {
    /// The office that takes the access.
    pub org_unit_id: ID,
    pub person_id: Option<ID>,
    pub access_on: NaiveDate,
    pub channel: AccessChannel,
    pub reporter: ReporterKind,
    /// Where the referral came from, in INPS's 14 sources (what SINBA reports).
    pub referral_source: Option<ReferralSource>,
    pub reasons: Vec<String>,
    pub privacy_consent: bool,
}

/// A new case.
#[derive(InputObject)]
pub struct OpenCaseInput {
    pub org_unit_id: ID,
    pub person_id: ID,
    /// ISTAT area of users.
    pub area: UserArea,
    pub responsible_operator_id: Option<ID>,
    pub opened_on: NaiveDate,
}

/// SINA values (INPS codes).
#[derive(InputObject, Default)]
pub struct SinaInput {
    pub mobility: Option<i16>,
    pub daily_living: Option<i16>,
    pub cognitive: Option<i16>,
    pub behavioural: Option<i16>,
    pub health_need: Option<i16>,
    pub income: Option<i16>,
    pub support_network: Option<i16>,
    pub source: Option<i16>,
    pub instrument: Option<i16>,
    pub invalidity_source: Option<i16>,
    #[graphql(default)]
    pub civil_invalidity: Vec<i16>,
    #[graphql(default)]
    pub needed_benefits: Vec<String>,
}

/// An answer.
#[derive(InputObject)]
pub struct AnswerInput {
    pub question: String,
    pub answer: String,
}

/// A new assessment.
#[derive(InputObject)]
pub struct RecordAssessmentInput {
    pub case_id: ID,
    pub instrument: Instrument,
    pub assessed_on: NaiveDate,
    pub assessor: String,
    #[graphql(default)]
    pub answers: Vec<AnswerInput>,
    pub score: Option<i32>,
    pub sina: Option<SinaInput>,
}

/// An objective of a new plan.
#[derive(InputObject)]
pub struct ObjectiveInput {
    pub term: Term,
    pub description: String,
    pub due_on: Option<NaiveDate>,
}

/// A new plan.
#[derive(InputObject)]
pub struct CreatePlanInput {
    pub case_id: ID,
    pub kind: PlanKind,
    pub starts_on: NaiveDate,
    pub planned_end_on: Option<NaiveDate>,
    pub review_every_months: i16,
    pub objectives: Vec<ObjectiveInput>,
}

/// The attainment of one objective at a review.
#[derive(InputObject)]
pub struct AttainmentInput {
    pub objective_id: ID,
    pub attainment: Attainment,
}

/// A new intervention request.
#[derive(InputObject)]
pub struct RequestInterventionInput {
    pub case_id: ID,
    pub catalogue_entry_id: ID,
    pub plan_id: Option<ID>,
    pub requested_amount: Euro,
    pub monthly_amount: Option<Euro>,
    /// Monthly hours, a decimal.
    pub monthly_hours: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub provider_id: Option<ID>,
    pub funding_line_id: Option<ID>,
    pub isee_id: Option<ID>,
    pub isee_threshold: Option<Euro>,
    pub application_protocol: Option<String>,
    /// Date of the event giving rise to the benefit (default: today).
    pub event_on: Option<NaiveDate>,
    /// The person is taken in charge (default: true).
    pub taken_in_charge: Option<bool>,
}

/// A new disbursement.
#[derive(InputObject)]
pub struct RecordDisbursementInput {
    pub intervention_id: ID,
    pub amount: Euro,
    /// Defaults to the amount minus the other shares.
    pub ente_share: Option<Euro>,
    pub user_share: Option<Euro>,
    pub ssn_share: Option<Euro>,
    pub other_share: Option<Euro>,
    pub paid_on: NaiveDate,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    /// Hours delivered, a decimal.
    pub hours: Option<String>,
}

/// A new funding line.
#[derive(InputObject)]
pub struct CreateFundingLineInput {
    /// The fund.
    pub fund_id: ID,
    /// The unit that manages the line.
    pub org_unit_id: ID,
    /// Project or service.
    pub name: String,
    /// Budget year.
    pub year: i32,
    /// Spending chapter (*capitolo*).
    pub chapter: Option<String>,
    /// Total amount.
    pub amount: Euro,
}

/// Every write of the lifecycle.
#[derive(Default)]
pub struct CoreMutation;

#[Object]
impl CoreMutation {
    /// Registers a person.
    async fn create_person(&self, ctx: &Context<'_>, input: CreatePersonInput) -> Result<PersonPayload> {
        let cmd = (|| -> Input<CreatePerson> {
            Ok(CreatePerson {
                org_unit_id: req_id::<OrgUnitId>(&input.org_unit_id, "orgUnitId")?,
                fiscal_code: input.fiscal_code,
                surname: input.surname,
                given_name: input.given_name,
                sex: input.sex,
                birth_date: input.birth_date,
                birth_place_code: input.birth_place_code,
                citizenship_code: input.citizenship_code,
                residence_comune_code: input.residence_comune_code,
                residence_address: input.residence_address,
                homeless: input.homeless,
                disability: input.disability,
                civil_invalidity_percent: input.civil_invalidity_percent,
            })
        })();
        match cmd {
            Ok(cmd) => PersonPayload::from(app(ctx)?.create_person(actor(ctx)?, cmd).await, PersonNode),
            Err(e) => Ok(PersonPayload::err(e)),
        }
    }

    /// Creates a household with its members.
    async fn create_household(
        &self,
        ctx: &Context<'_>,
        org_unit_id: ID,
        registry_id: Option<String>,
        members: Vec<MemberInput>,
    ) -> Result<HouseholdPayload> {
        let parsed = (|| -> Input<_> {
            let org = req_id::<OrgUnitId>(&org_unit_id, "orgUnitId")?;
            let members = members
                .iter()
                .map(|m| Ok((req_id::<PersonId>(&m.person_id, "members")?, m.relation)))
                .collect::<Input<Vec<_>>>()?;
            Ok((org, members))
        })();
        match parsed {
            Ok((org, members)) => {
                HouseholdPayload::from(app(ctx)?.create_household(actor(ctx)?, org, registry_id, members).await, |h| {
                    id(h)
                })
            }
            Err(e) => Ok(HouseholdPayload::err(e)),
        }
    }

    /// Records an ISEE attestation.
    async fn record_isee(&self, ctx: &Context<'_>, input: RecordIseeInput) -> Result<IseePayload> {
        let parsed = (|| -> Input<_> { Ok((req_id::<PersonId>(&input.person_id, "personId")?, input.kind)) })();
        match parsed {
            Ok((person, kind)) => IseePayload::from(
                app(ctx)?
                    .record_isee(
                        actor(ctx)?,
                        siso_app::usecases::RecordIsee {
                            person_id: person,
                            kind,
                            dsu_protocol: input.dsu_protocol,
                            dsu_year: input.dsu_year,
                            dsu_date: input.dsu_date,
                            value: input.value.0,
                            valid_from: input.valid_from,
                            valid_until: input.valid_until,
                        },
                    )
                    .await,
                IseeNode,
            ),
            Err(e) => Ok(IseePayload::err(e)),
        }
    }

    /// Opens an access sheet (*scheda di accesso*).
    async fn open_access_sheet(&self, ctx: &Context<'_>, input: OpenAccessSheetInput) -> Result<AccessSheetPayload> {
        let cmd = (|| -> Input<OpenAccessSheet> {
            Ok(OpenAccessSheet {
                org_unit_id: req_id::<OrgUnitId>(&input.org_unit_id, "orgUnitId")?,
                person_id: opt_id::<PersonId>(&input.person_id, "personId")?,
                access_on: input.access_on,
                channel: input.channel,
                reporter: input.reporter,
                referral_source: input.referral_source,
                reasons: input.reasons,
                privacy_consent: input.privacy_consent,
            })
        })();
        match cmd {
            Ok(cmd) => AccessSheetPayload::from(app(ctx)?.open_access_sheet(actor(ctx)?, cmd).await, AccessSheetNode),
            Err(e) => Ok(AccessSheetPayload::err(e)),
        }
    }

    /// Forwards an access sheet to a new case.
    async fn forward_access_sheet(
        &self,
        ctx: &Context<'_>,
        access_sheet_id: ID,
        area: UserArea,
        responsible_operator_id: Option<ID>,
        #[graphql(desc = "Opening date (default: today); not before the access.")] opened_on: Option<NaiveDate>,
    ) -> Result<CasePayload> {
        let parsed = (|| -> Input<_> {
            Ok((
                req_id::<AccessSheetId>(&access_sheet_id, "accessSheetId")?,
                area,
                opt_id::<OperatorId>(&responsible_operator_id, "responsibleOperatorId")?,
            ))
        })();
        match parsed {
            Ok((sheet, area, op)) => CasePayload::from(
                app(ctx)?.forward_access_sheet(actor(ctx)?, sheet, area, op, opened_on).await,
                CaseNode,
            ),
            Err(e) => Ok(CasePayload::err(e)),
        }
    }

    /// Opens a case.
    async fn open_case(&self, ctx: &Context<'_>, input: OpenCaseInput) -> Result<CasePayload> {
        let cmd = (|| -> Input<OpenCase> {
            Ok(OpenCase {
                org_unit_id: req_id::<OrgUnitId>(&input.org_unit_id, "orgUnitId")?,
                person_id: req_id::<PersonId>(&input.person_id, "personId")?,
                area: input.area,
                responsible_operator_id: opt_id::<OperatorId>(&input.responsible_operator_id, "responsibleOperatorId")?,
                opened_on: input.opened_on,
            })
        })();
        match cmd {
            Ok(cmd) => CasePayload::from(app(ctx)?.open_case(actor(ctx)?, cmd).await, CaseNode),
            Err(e) => Ok(CasePayload::err(e)),
        }
    }

    /// Reassigns a case to another operator and/or office.
    async fn reassign_case(
        &self,
        ctx: &Context<'_>,
        case_id: ID,
        operator_id: Option<ID>,
        org_unit_id: Option<ID>,
        reason: Option<String>,
    ) -> Result<CasePayload> {
        let parsed = (|| -> Input<_> {
            Ok((
                req_id::<CaseId>(&case_id, "caseId")?,
                opt_id::<OperatorId>(&operator_id, "operatorId")?,
                opt_id::<OrgUnitId>(&org_unit_id, "orgUnitId")?,
            ))
        })();
        match parsed {
            Ok((c, o, u)) => CasePayload::from(app(ctx)?.reassign_case(actor(ctx)?, c, o, u, reason).await, CaseNode),
            Err(e) => Ok(CasePayload::err(e)),
        }
    }

    /// Closes a case (cases are never deleted).
    async fn close_case(
        &self,
        ctx: &Context<'_>,
        case_id: ID,
        reason: String,
        on: Option<NaiveDate>,
    ) -> Result<CasePayload> {
        case_action(ctx, case_id, CaseAction::Close, on, Some(reason)).await
    }

    /// Reopens a closed case.
    async fn reopen_case(
        &self,
        ctx: &Context<'_>,
        case_id: ID,
        reason: Option<String>,
        on: Option<NaiveDate>,
    ) -> Result<CasePayload> {
        case_action(ctx, case_id, CaseAction::Reopen, on, reason).await
    }

    /// Suspends a case.
    async fn suspend_case(
        &self,
        ctx: &Context<'_>,
        case_id: ID,
        reason: Option<String>,
        on: Option<NaiveDate>,
    ) -> Result<CasePayload> {
        case_action(ctx, case_id, CaseAction::Suspend, on, reason).await
    }

    /// Resumes a suspended case.
    async fn resume_case(
        &self,
        ctx: &Context<'_>,
        case_id: ID,
        reason: Option<String>,
        on: Option<NaiveDate>,
    ) -> Result<CasePayload> {
        case_action(ctx, case_id, CaseAction::Resume, on, reason).await
    }

    /// Records a need on a case.
    async fn record_need(
        &self,
        ctx: &Context<'_>,
        case_id: ID,
        code: String,
        severity: i16,
        recorded_on: NaiveDate,
    ) -> Result<NeedPayload> {
        match req_id::<CaseId>(&case_id, "caseId") {
            Ok(c) => {
                NeedPayload::from(app(ctx)?.record_need(actor(ctx)?, c, code, severity, recorded_on).await, NeedNode)
            }
            Err(e) => Ok(NeedPayload::err(e)),
        }
    }

    /// Records a multidimensional assessment.
    async fn record_assessment(&self, ctx: &Context<'_>, input: RecordAssessmentInput) -> Result<AssessmentPayload> {
        let parsed = (|| -> Input<_> { Ok((req_id::<CaseId>(&input.case_id, "caseId")?, input.instrument)) })();
        let (case, instrument) = match parsed {
            Ok(v) => v,
            Err(e) => return Ok(AssessmentPayload::err(e)),
        };
        let answers = input.answers.into_iter().map(|a| (a.question, a.answer)).collect();
        let sina = input.sina.map(|s| SinaBlock {
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
            civil_invalidity: s.civil_invalidity,
            needed_benefits: s.needed_benefits,
        });
        AssessmentPayload::from(
            app(ctx)?
                .record_assessment(
                    actor(ctx)?,
                    siso_app::usecases::RecordAssessment {
                        case_id: case,
                        instrument,
                        assessed_on: input.assessed_on,
                        assessor: input.assessor,
                        answers,
                        score: input.score,
                        sina,
                    },
                )
                .await,
            AssessmentNode,
        )
    }

    /// Creates an individual plan with its objectives.
    async fn create_plan(&self, ctx: &Context<'_>, input: CreatePlanInput) -> Result<PlanPayload> {
        let parsed = (|| -> Input<_> {
            let objectives = input
                .objectives
                .iter()
                .map(|o| Ok((o.term, o.description.clone(), o.due_on)))
                .collect::<Input<Vec<_>>>()?;
            Ok((req_id::<CaseId>(&input.case_id, "caseId")?, input.kind, objectives))
        })();
        match parsed {
            Ok((case, kind, objectives)) => PlanPayload::from(
                app(ctx)?
                    .create_plan(
                        actor(ctx)?,
                        siso_app::usecases::CreatePlan {
                            case_id: case,
                            kind,
                            starts_on: input.starts_on,
                            planned_end_on: input.planned_end_on,
                            review_every_months: input.review_every_months,
                            objectives,
                        },
                    )
                    .await,
                PlanNode,
            ),
            Err(e) => Ok(PlanPayload::err(e)),
        }
    }

    /// Reviews a plan.
    async fn review_plan(
        &self,
        ctx: &Context<'_>,
        plan_id: ID,
        reviewed_on: NaiveDate,
        #[graphql(default)] attainments: Vec<AttainmentInput>,
        notes: Option<String>,
    ) -> Result<PlanPayload> {
        let parsed = (|| -> Input<_> {
            let atts = attainments
                .iter()
                .map(|a| Ok((req_id::<ObjectiveId>(&a.objective_id, "attainments")?, a.attainment)))
                .collect::<Input<Vec<_>>>()?;
            Ok((req_id::<PlanId>(&plan_id, "planId")?, atts))
        })();
        match parsed {
            Ok((plan, atts)) => {
                PlanPayload::from(app(ctx)?.review_plan(actor(ctx)?, plan, reviewed_on, atts, notes).await, PlanNode)
            }
            Err(e) => Ok(PlanPayload::err(e)),
        }
    }

    /// Requests an intervention.
    async fn request_intervention(
        &self,
        ctx: &Context<'_>,
        input: RequestInterventionInput,
    ) -> Result<InterventionPayload> {
        let cmd = (|| -> Input<RequestIntervention> {
            Ok(RequestIntervention {
                case_id: req_id::<CaseId>(&input.case_id, "caseId")?,
                catalogue_entry_id: req_id::<CatalogueEntryId>(&input.catalogue_entry_id, "catalogueEntryId")?,
                plan_id: opt_id::<PlanId>(&input.plan_id, "planId")?,
                requested_amount: input.requested_amount.0,
                monthly_amount: input.monthly_amount.map(|m| m.0),
                monthly_hours_centi: hours_centi(&input.monthly_hours, "monthlyHours")?,
                starts_on: input.starts_on,
                ends_on: input.ends_on,
                provider_id: opt_id::<ProviderId>(&input.provider_id, "providerId")?,
                funding_line_id: opt_id::<FundingLineId>(&input.funding_line_id, "fundingLineId")?,
                isee_id: opt_id::<IseeId>(&input.isee_id, "iseeId")?,
                isee_threshold: input.isee_threshold.map(|m| m.0),
                application_protocol: input.application_protocol,
                event_on: input.event_on,
                taken_in_charge: input.taken_in_charge,
            })
        })();
        match cmd {
            Ok(cmd) => {
                InterventionPayload::from(app(ctx)?.request_intervention(actor(ctx)?, cmd).await, InterventionNode)
            }
            Err(e) => Ok(InterventionPayload::err(e)),
        }
    }

    /// Authorises an intervention; with a funding line, commits the amount on it.
    async fn authorise_intervention(
        &self,
        ctx: &Context<'_>,
        intervention_id: ID,
        authorised_amount: Euro,
        funding_line_id: Option<ID>,
    ) -> Result<InterventionPayload> {
        let parsed = (|| -> Input<_> {
            Ok((
                req_id::<InterventionId>(&intervention_id, "interventionId")?,
                opt_id::<FundingLineId>(&funding_line_id, "fundingLineId")?,
            ))
        })();
        match parsed {
            Ok((i, l)) => InterventionPayload::from(
                app(ctx)?.authorise_intervention(actor(ctx)?, i, authorised_amount.0, l).await,
                InterventionNode,
            ),
            Err(e) => Ok(InterventionPayload::err(e)),
        }
    }

    /// Rejects a requested intervention.
    async fn reject_intervention(
        &self,
        ctx: &Context<'_>,
        intervention_id: ID,
        reason: String,
    ) -> Result<InterventionPayload> {
        match req_id::<InterventionId>(&intervention_id, "interventionId") {
            Ok(i) => {
                InterventionPayload::from(app(ctx)?.reject_intervention(actor(ctx)?, i, reason).await, InterventionNode)
            }
            Err(e) => Ok(InterventionPayload::err(e)),
        }
    }

    /// Starts (or resumes) delivery of an intervention.
    async fn activate_intervention(
        &self,
        ctx: &Context<'_>,
        intervention_id: ID,
        reason: Option<String>,
    ) -> Result<InterventionPayload> {
        intervention_action(ctx, intervention_id, InterventionAction::Activate, reason).await
    }

    /// Suspends an intervention.
    async fn suspend_intervention(
        &self,
        ctx: &Context<'_>,
        intervention_id: ID,
        reason: Option<String>,
    ) -> Result<InterventionPayload> {
        intervention_action(ctx, intervention_id, InterventionAction::Suspend, reason).await
    }

    /// Closes an intervention.
    async fn close_intervention(
        &self,
        ctx: &Context<'_>,
        intervention_id: ID,
        reason: Option<String>,
    ) -> Result<InterventionPayload> {
        intervention_action(ctx, intervention_id, InterventionAction::Close, reason).await
    }

    /// Records a disbursement (*erogazione*).
    async fn record_disbursement(
        &self,
        ctx: &Context<'_>,
        input: RecordDisbursementInput,
    ) -> Result<DisbursementPayload> {
        let cmd = (|| -> Input<RecordDisbursement> {
            Ok(RecordDisbursement {
                intervention_id: req_id::<InterventionId>(&input.intervention_id, "interventionId")?,
                amount: input.amount.0,
                shares: Shares {
                    ente: input.ente_share.map(|m| m.0),
                    user: input.user_share.map(|m| m.0),
                    ssn: input.ssn_share.map(|m| m.0),
                    other: input.other_share.map(|m| m.0),
                },
                paid_on: input.paid_on,
                period_from: input.period_from,
                period_to: input.period_to,
                hours_centi: hours_centi(&input.hours, "hours")?,
            })
        })();
        match cmd {
            Ok(cmd) => {
                DisbursementPayload::from(app(ctx)?.record_disbursement(actor(ctx)?, cmd).await, DisbursementNode)
            }
            Err(e) => Ok(DisbursementPayload::err(e)),
        }
    }

    /// Places the person of an intervention with a provider at a daily fee.
    async fn create_placement(
        &self,
        ctx: &Context<'_>,
        intervention_id: ID,
        provider_id: ID,
        daily_fee: Euro,
        starts_on: NaiveDate,
        ends_on: Option<NaiveDate>,
    ) -> Result<PlacementPayload> {
        let parsed = (|| -> Input<_> {
            Ok((
                req_id::<InterventionId>(&intervention_id, "interventionId")?,
                req_id::<ProviderId>(&provider_id, "providerId")?,
            ))
        })();
        match parsed {
            Ok((i, p)) => PlacementPayload::from(
                app(ctx)?.create_placement(actor(ctx)?, i, p, daily_fee.0, starts_on, ends_on).await,
                PlacementNode,
            ),
            Err(e) => Ok(PlacementPayload::err(e)),
        }
    }

    /// Records a provider's presences for a month.
    async fn record_presences(
        &self,
        ctx: &Context<'_>,
        placement_id: ID,
        year: i32,
        month: i32,
        days_present: i16,
    ) -> Result<PresencePayload> {
        let parsed = (|| -> Input<_> {
            let m = u32::try_from(month).map_err(|_| field_error("INVALID_DATE", "month", "the month is 1 to 12"))?;
            Ok((req_id::<PlacementId>(&placement_id, "placementId")?, m))
        })();
        match parsed {
            Ok((p, m)) => PresencePayload::from(
                app(ctx)?.record_presences(actor(ctx)?, p, year, m, days_present).await,
                PresenceNode,
            ),
            Err(e) => Ok(PresencePayload::err(e)),
        }
    }

    /// Creates a funding line.
    async fn create_funding_line(
        &self,
        ctx: &Context<'_>,
        input: CreateFundingLineInput,
    ) -> Result<FundingLinePayload> {
        let CreateFundingLineInput { fund_id, org_unit_id, name, year, chapter, amount } = input;
        let parsed = (|| -> Input<_> {
            Ok((req_id::<FundId>(&fund_id, "fundId")?, req_id::<OrgUnitId>(&org_unit_id, "orgUnitId")?))
        })();
        match parsed {
            Ok((f, o)) => FundingLinePayload::from(
                app(ctx)?
                    .create_funding_line(
                        actor(ctx)?,
                        siso_app::usecases::CreateFundingLine {
                            fund_id: f,
                            org_unit_id: o,
                            name,
                            year,
                            chapter,
                            amount: amount.0,
                        },
                    )
                    .await,
                FundingLineNode,
            ),
            Err(e) => Ok(FundingLinePayload::err(e)),
        }
    }

    /// Commits funds on a line (*impegno*); never more than what is left.
    async fn commit_funds(
        &self,
        ctx: &Context<'_>,
        funding_line_id: ID,
        amount: Euro,
        intervention_id: Option<ID>,
        description: Option<String>,
    ) -> Result<CommitmentPayload> {
        let parsed = (|| -> Input<_> {
            Ok((
                req_id::<FundingLineId>(&funding_line_id, "fundingLineId")?,
                opt_id::<InterventionId>(&intervention_id, "interventionId")?,
            ))
        })();
        match parsed {
            Ok((l, i)) => CommitmentPayload::from(
                app(ctx)?.commit_funds(actor(ctx)?, l, amount.0, i, description).await,
                CommitmentNode,
            ),
            Err(e) => Ok(CommitmentPayload::err(e)),
        }
    }
}

async fn case_action(
    ctx: &Context<'_>,
    case_id: ID,
    action: CaseAction,
    on: Option<NaiveDate>,
    reason: Option<String>,
) -> Result<CasePayload> {
    match req_id::<CaseId>(&case_id, "caseId") {
        Ok(c) => CasePayload::from(app(ctx)?.change_case_state(actor(ctx)?, c, action, on, reason).await, CaseNode),
        Err(e) => Ok(CasePayload::err(e)),
    }
}

async fn intervention_action(
    ctx: &Context<'_>,
    id_: ID,
    action: InterventionAction,
    reason: Option<String>,
) -> Result<InterventionPayload> {
    match req_id::<InterventionId>(&id_, "interventionId") {
        Ok(i) => InterventionPayload::from(
            app(ctx)?.change_intervention_state(actor(ctx)?, i, action, reason).await,
            InterventionNode,
        ),
        Err(e) => Ok(InterventionPayload::err(e)),
    }
}
