//! Funding lines and commitments.

use chrono::NaiveDate;
use siso_domain::budget::{self, CommitmentKind, FundingLine};
use siso_domain::error::check_text;
use siso_domain::ids::*;
use siso_domain::money::Money;
use siso_store::Tx;
use siso_store::repo::budget::Commitment;
use siso_store::repo::{budget as budget_repo, interventions as int_repo, org as org_repo};

use crate::authz::{Action, check, sees};
use crate::error::{AppError, AppResult};
use crate::{Actor, App};
use siso_plugins::Hook;
use siso_plugins::model::Change;

use super::load_line;

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

impl App {
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
    pub(super) async fn commit_in(
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
