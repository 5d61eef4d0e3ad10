//! Needs and assessments of a case.

use chrono::NaiveDate;
use siso_domain::assessment::{self, Assessment, Instrument, Need, SinaBlock};
use siso_domain::case;
use siso_domain::ids::*;
use siso_store::repo::cases as case_repo;

use crate::authz::{Action, check};
use crate::error::AppResult;
use crate::{Actor, App, audit};

use super::load_case;

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

impl App {
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
}
