//! Access sheets: taking in a need and forwarding it to a case.

use chrono::NaiveDate;
use siso_domain::access::{self, AccessChannel, AccessSheet, AccessSheetState, ReferralSource, ReporterKind};
use siso_domain::case::{self, Case, UserArea};
use siso_domain::ids::*;
use siso_store::repo::{access as access_repo, org as org_repo};

use crate::authz::{Action, check, sees};
use crate::error::{AppError, AppResult};
use crate::{Actor, App, audit};
use siso_plugins::Hook;
use siso_plugins::model::Change;

use super::{OpenCase, load_person};

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
    /// Where the referral came from, in INPS's sources.
    pub referral_source: Option<ReferralSource>,
    /// Reasons.
    pub reasons: Vec<String>,
    /// Consent.
    pub privacy_consent: bool,
}

impl App {
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
            referral_source: cmd.referral_source,
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
        let today = self.clock().today();
        if let Some(d) = opened_on {
            case::check_opening(d, Some(sheet.access_on), today)?;
        }
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
}
