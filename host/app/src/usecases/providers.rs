//! Placements with providers and their monthly presences.

use chrono::NaiveDate;
use siso_domain::ids::*;
use siso_domain::money::Money;
use siso_domain::provider::{self, MonthlyPresence, Placement};
use siso_store::repo::{cases as case_repo, interventions as int_repo, providers as provider_repo};

use crate::authz::{Action, check};
use crate::error::{AppError, AppResult};
use crate::{Actor, App, audit};

use super::{load_case, load_intervention};

impl App {
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
        provider::check_placement_of(&s.intervention, provider_id)?;
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
}
