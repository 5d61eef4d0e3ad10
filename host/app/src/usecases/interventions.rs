//! Interventions: request, authorisation, state changes and disbursements.

use chrono::NaiveDate;
use siso_domain::budget::{self, CommitmentKind};
use siso_domain::case::{self, Case};
use siso_domain::catalogue::CatalogueEntry;
use siso_domain::error::check_text;
use siso_domain::ids::*;
use siso_domain::intervention::{self, Disbursement, Intervention, InterventionAction, InterventionState, Shares};
use siso_domain::money::Money;
use siso_store::Tx;
use siso_store::repo::budget::Commitment;
use siso_store::repo::interventions::{InterventionEvent, StoredIntervention};
use siso_store::repo::{
    budget as budget_repo, catalogue as catalogue_repo, interventions as int_repo, persons as person_repo,
    plans as plan_repo, providers as provider_repo,
};

use crate::authz::{Action, check};
use crate::error::{AppError, AppResult};
use crate::{Actor, App, audit};
use siso_plugins::Hook;
use siso_plugins::model::{Change, DisbursementView};

use super::{load_case, load_intervention, load_line};

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

impl App {
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
            intervention::check_application_protocol(p)?;
        }
        let today = self.clock().today();
        intervention::check_event_on(cmd.event_on, today)?;
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
}
