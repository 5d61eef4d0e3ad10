//! Cases, their history, needs and assessments.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DbErr, EntityTrait, FromQueryResult, JoinType, QueryFilter, QueryOrder,
    QueryResult, QuerySelect, RelationDef,
};
use siso_domain::assessment::{Assessment, Instrument, Need, SinaBlock};
use siso_domain::case::{Case, CaseEvent, CaseEventKind, CaseState, UserArea};
use siso_domain::ids::{AssessmentId, CaseId, NeedId, OperatorId, OrgUnitId, PersonId};
use siso_domain::person::Person;

use super::{Conn, Units, code, from_json, json, raw};
use crate::entities::{assessments, case_events, cases, needs, persons};
use crate::error::StoreError;
use crate::page::{self, Page, PageRequest};

fn to_case(m: cases::Model) -> Result<Case, StoreError> {
    Ok(Case {
        id: CaseId(m.id),
        org_unit_id: OrgUnitId(m.org_unit_id),
        person_id: PersonId(m.person_id),
        state: code(CaseState::parse, "case state", &m.state)?,
        area: code(UserArea::parse, "user area", &m.area)?,
        responsible_operator_id: m.responsible_operator_id.map(OperatorId),
        opened_on: m.opened_on,
        closed_on: m.closed_on,
        closure_reason: m.closure_reason,
    })
}

fn case_model(k: &Case, now: DateTime<Utc>) -> cases::ActiveModel {
    cases::ActiveModel {
        org_unit_id: Set(k.org_unit_id.0),
        person_id: Set(k.person_id.0),
        state: Set(k.state.as_str().into()),
        area: Set(k.area.as_str().into()),
        responsible_operator_id: Set(k.responsible_operator_id.map(|o| o.0)),
        opened_on: Set(k.opened_on),
        closed_on: Set(k.closed_on),
        closure_reason: Set(k.closure_reason.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Inserts a case (the `id` is ignored).
pub async fn insert(c: &impl Conn, k: &Case, now: DateTime<Utc>) -> Result<Case, StoreError> {
    to_case(cases::Entity::insert(case_model(k, now)).exec_with_returning(c.db()).await?)
}

/// Inserts many cases (data generator, bulk import).
pub async fn insert_many(c: &impl Conn, ks: &[Case], now: DateTime<Utc>) -> Result<(), StoreError> {
    if ks.is_empty() {
        return Ok(());
    }
    cases::Entity::insert_many(ks.iter().map(|k| case_model(k, now))).exec_without_returning(c.db()).await?;
    Ok(())
}

/// One case; `for_update` locks the row until the transaction ends (PostgreSQL; SQLite
/// write transactions are serialised anyway).
pub async fn get(c: &impl Conn, id: CaseId, for_update: bool) -> Result<Option<Case>, StoreError> {
    let mut q = cases::Entity::find_by_id(id.0);
    if for_update {
        q = q.lock_exclusive();
    }
    q.one(c.db()).await?.map(to_case).transpose()
}

/// Several cases.
pub async fn get_many(c: &impl Conn, ids: &[CaseId]) -> Result<Vec<Case>, StoreError> {
    let rows = cases::Entity::find().filter(cases::Column::Id.is_in(raw(ids))).all(c.db()).await?;
    rows.into_iter().map(to_case).collect()
}

/// A case and its person, as one row of a join.
pub type WithPerson = (Case, Option<Person>);

/// The join of a case to its person.
fn to_person_rel() -> RelationDef {
    cases::Entity::belongs_to(persons::Entity).from(cases::Column::PersonId).to(persons::Column::Id).into()
}

/// A row of the join of cases to persons, decoded by column position: the select lists the
/// case's columns and then the person's, each in the entity's order ([`with_persons`]). sea-orm
/// decodes by a column name it formats for every column of every row, which cost a tenth of
/// the server's CPU on a page of 50 cases (perf; `docs/benchmarks.md`).
struct CaseAndPerson(cases::Model, Option<persons::Model>);

impl FromQueryResult for CaseAndPerson {
    fn from_query_result(r: &QueryResult, _prefix: &str) -> Result<Self, DbErr> {
        let case = cases::Model {
            id: r.try_get_by_index(0)?,
            org_unit_id: r.try_get_by_index(1)?,
            person_id: r.try_get_by_index(2)?,
            state: r.try_get_by_index(3)?,
            area: r.try_get_by_index(4)?,
            responsible_operator_id: r.try_get_by_index(5)?,
            opened_on: r.try_get_by_index(6)?,
            closed_on: r.try_get_by_index(7)?,
            closure_reason: r.try_get_by_index(8)?,
            created_at: r.try_get_by_index(9)?,
            updated_at: r.try_get_by_index(10)?,
        };
        const P: usize = CASE_COLUMNS;
        let person = match r.try_get_by_index::<Option<i64>>(P)? {
            None => None,
            Some(id) => Some(persons::Model {
                id,
                org_unit_id: r.try_get_by_index(P + 1)?,
                fiscal_code: r.try_get_by_index(P + 2)?,
                surname: r.try_get_by_index(P + 3)?,
                given_name: r.try_get_by_index(P + 4)?,
                search_name: r.try_get_by_index(P + 5)?,
                sex: r.try_get_by_index(P + 6)?,
                birth_date: r.try_get_by_index(P + 7)?,
                birth_place_code: r.try_get_by_index(P + 8)?,
                citizenship_code: r.try_get_by_index(P + 9)?,
                second_citizenship_code: r.try_get_by_index(P + 10)?,
                residence_region_code: r.try_get_by_index(P + 11)?,
                residence_comune_code: r.try_get_by_index(P + 12)?,
                residence_nation_code: r.try_get_by_index(P + 13)?,
                residence_address: r.try_get_by_index(P + 14)?,
                domicile_address: r.try_get_by_index(P + 15)?,
                homeless: r.try_get_by_index(P + 16)?,
                education_level: r.try_get_by_index(P + 17)?,
                employment_status: r.try_get_by_index(P + 18)?,
                disability: r.try_get_by_index(P + 19)?,
                civil_invalidity_percent: r.try_get_by_index(P + 20)?,
                has_legal_guardian: r.try_get_by_index(P + 21)?,
                anpr_id: r.try_get_by_index(P + 22)?,
                created_at: r.try_get_by_index(P + 23)?,
                updated_at: r.try_get_by_index(P + 24)?,
            }),
        };
        Ok(CaseAndPerson(case, person))
    }
}

/// The columns of a case, in the entity's order.
const CASE_COLUMNS: usize = 11;

/// A select of cases joined to their persons, with the columns [`CaseAndPerson`] reads: the
/// case's (the select's own), then the person's.
fn with_persons(select: sea_orm::Select<cases::Entity>) -> sea_orm::Selector<sea_orm::SelectModel<CaseAndPerson>> {
    select
        .join(JoinType::LeftJoin, to_person_rel())
        .columns(<persons::Column as sea_orm::Iterable>::iter())
        .into_model::<CaseAndPerson>()
}

fn with_person(CaseAndPerson(k, p): CaseAndPerson) -> Result<WithPerson, StoreError> {
    Ok((to_case(k)?, p.map(super::persons::to_person).transpose()?))
}

/// Several cases, each with its person, in one statement.
pub async fn get_many_with_persons(c: &impl Conn, ids: &[CaseId]) -> Result<Vec<WithPerson>, StoreError> {
    let rows = with_persons(cases::Entity::find().filter(cases::Column::Id.is_in(raw(ids)))).all(c.db()).await?;
    rows.into_iter().map(with_person).collect()
}

/// Writes back the mutable fields of a case.
pub async fn update(c: &impl Conn, k: &Case, now: DateTime<Utc>) -> Result<(), StoreError> {
    let m = cases::ActiveModel {
        id: Set(k.id.0),
        org_unit_id: Set(k.org_unit_id.0),
        state: Set(k.state.as_str().into()),
        responsible_operator_id: Set(k.responsible_operator_id.map(|o| o.0)),
        closed_on: Set(k.closed_on),
        closure_reason: Set(k.closure_reason.clone()),
        updated_at: Set(now),
        ..Default::default()
    };
    cases::Entity::update(m).exec(c.db()).await?;
    Ok(())
}

/// Filters of the case list.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// Only these organisation units.
    pub org_units: Option<Units>,
    /// Only these states.
    pub states: Option<Vec<CaseState>>,
    /// Only cases of this responsible operator.
    pub operator: Option<OperatorId>,
    /// Only this area.
    pub area: Option<UserArea>,
    /// Only cases of this person.
    pub person: Option<PersonId>,
}

fn list_condition(f: &CaseFilter) -> Condition {
    let mut cond = Condition::all();
    if let Some(units) = &f.org_units {
        cond = cond.add(units.contain(cases::Column::OrgUnitId));
    }
    if let Some(states) = &f.states {
        cond = cond.add(cases::Column::State.is_in(states.iter().map(|s| s.as_str())));
    }
    if let Some(op) = f.operator {
        cond = cond.add(cases::Column::ResponsibleOperatorId.eq(op.0));
    }
    if let Some(area) = f.area {
        cond = cond.add(cases::Column::Area.eq(area.as_str()));
    }
    if let Some(person) = f.person {
        cond = cond.add(cases::Column::PersonId.eq(person.0));
    }
    cond
}

/// A page of cases.
pub async fn list(c: &impl Conn, f: &CaseFilter, req: &PageRequest) -> Result<Page<Case>, StoreError> {
    let rows = page::apply(cases::Entity::find().filter(list_condition(f)), cases::Column::Id, req).all(c.db()).await?;
    let rows = rows.into_iter().map(to_case).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_fetched(rows, req))
}

/// A page of cases, each with its person, in one statement.
pub async fn list_with_persons(
    c: &impl Conn,
    f: &CaseFilter,
    req: &PageRequest,
) -> Result<Page<WithPerson>, StoreError> {
    let rows = with_persons(page::apply(cases::Entity::find().filter(list_condition(f)), cases::Column::Id, req))
        .all(c.db())
        .await?;
    let rows = rows.into_iter().map(with_person).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_fetched(rows, req))
}

/// Cases of some persons.
pub async fn of_persons(c: &impl Conn, persons: &[PersonId]) -> Result<Vec<Case>, StoreError> {
    let rows = cases::Entity::find()
        .filter(cases::Column::PersonId.is_in(raw(persons)))
        .order_by_asc(cases::Column::Id)
        .all(c.db())
        .await?;
    rows.into_iter().map(to_case).collect()
}

/// Appends an entry to a case's history.
pub async fn insert_event(c: &impl Conn, case: CaseId, e: &CaseEvent, now: DateTime<Utc>) -> Result<(), StoreError> {
    let m = case_events::ActiveModel {
        case_id: Set(case.0),
        kind: Set(e.kind.as_str().into()),
        occurred_on: Set(e.on),
        state: Set(e.state.as_str().into()),
        operator_id: Set(e.operator_id.map(|o| o.0)),
        org_unit_id: Set(e.org_unit_id.0),
        reason: Set(e.reason.clone()),
        recorded_by: Set(e.recorded_by.map(|o| o.0)),
        recorded_at: Set(now),
        ..Default::default()
    };
    case_events::Entity::insert(m).exec_without_returning(c.db()).await?;
    Ok(())
}

/// The history of some cases, oldest first.
pub async fn events_of(c: &impl Conn, ids: &[CaseId]) -> Result<Vec<(CaseId, CaseEvent)>, StoreError> {
    let rows = case_events::Entity::find()
        .filter(case_events::Column::CaseId.is_in(raw(ids)))
        .order_by_asc(case_events::Column::Id)
        .all(c.db())
        .await?;
    rows.into_iter()
        .map(|m| {
            Ok((
                CaseId(m.case_id),
                CaseEvent {
                    kind: code(CaseEventKind::parse, "case event", &m.kind)?,
                    on: m.occurred_on,
                    state: code(CaseState::parse, "case state", &m.state)?,
                    operator_id: m.operator_id.map(OperatorId),
                    org_unit_id: OrgUnitId(m.org_unit_id),
                    reason: m.reason,
                    recorded_by: m.recorded_by.map(OperatorId),
                },
            ))
        })
        .collect()
}

/// Records a need.
pub async fn insert_need(
    c: &impl Conn,
    case: CaseId,
    code_: &str,
    severity: i16,
    on: NaiveDate,
    by: Option<OperatorId>,
    now: DateTime<Utc>,
) -> Result<Need, StoreError> {
    let m = needs::ActiveModel {
        case_id: Set(case.0),
        code: Set(code_.trim().into()),
        severity: Set(severity),
        recorded_on: Set(on),
        recorded_by: Set(by.map(|o| o.0)),
        created_at: Set(now),
        ..Default::default()
    };
    let m = needs::Entity::insert(m).exec_with_returning(c.db()).await?;
    Ok(to_need(m))
}

fn to_need(m: needs::Model) -> Need {
    Need {
        id: NeedId(m.id),
        case_id: CaseId(m.case_id),
        code: m.code,
        severity: m.severity,
        recorded_on: m.recorded_on,
        recorded_by: m.recorded_by.map(OperatorId),
    }
}

/// Needs of some cases.
pub async fn needs_of(c: &impl Conn, ids: &[CaseId]) -> Result<Vec<Need>, StoreError> {
    let rows = needs::Entity::find()
        .filter(needs::Column::CaseId.is_in(raw(ids)))
        .order_by_asc(needs::Column::Id)
        .all(c.db())
        .await?;
    Ok(rows.into_iter().map(to_need).collect())
}

fn to_assessment(m: assessments::Model) -> Result<Assessment, StoreError> {
    let sina = if m.sina_mobility.is_some() || m.sina_daily_living.is_some() || m.sina_source.is_some() {
        Some(SinaBlock {
            mobility: m.sina_mobility,
            daily_living: m.sina_daily_living,
            cognitive: m.sina_cognitive,
            behavioural: m.sina_behavioural,
            health_need: m.sina_health_need,
            income: m.sina_income,
            support_network: m.sina_support_network,
            source: m.sina_source,
            instrument: m.sina_instrument,
            invalidity_source: m.sina_invalidity_source,
            civil_invalidity: m
                .sina_civil_invalidity
                .as_deref()
                .map(|t| from_json("civil invalidity", t))
                .transpose()?
                .unwrap_or_default(),
            needed_benefits: m
                .sina_needed_benefits
                .as_deref()
                .map(|t| from_json("needed benefits", t))
                .transpose()?
                .unwrap_or_default(),
        })
    } else {
        None
    };
    Ok(Assessment {
        id: AssessmentId(m.id),
        case_id: CaseId(m.case_id),
        person_id: PersonId(m.person_id),
        instrument: code(Instrument::parse, "instrument", &m.instrument)?,
        assessed_on: m.assessed_on,
        assessor: m.assessor,
        recorded_by: m.recorded_by.map(OperatorId),
        answers: from_json("answers", &m.answers)?,
        score: m.score,
        sina,
    })
}

/// Records an assessment (the `id` is ignored).
pub async fn insert_assessment(c: &impl Conn, a: &Assessment, now: DateTime<Utc>) -> Result<Assessment, StoreError> {
    let s = a.sina.clone().unwrap_or_default();
    let m = assessments::ActiveModel {
        case_id: Set(a.case_id.0),
        person_id: Set(a.person_id.0),
        instrument: Set(a.instrument.as_str().into()),
        assessed_on: Set(a.assessed_on),
        assessor: Set(a.assessor.trim().into()),
        recorded_by: Set(a.recorded_by.map(|o| o.0)),
        answers: Set(json(&a.answers)),
        score: Set(a.score),
        sina_mobility: Set(s.mobility),
        sina_daily_living: Set(s.daily_living),
        sina_cognitive: Set(s.cognitive),
        sina_behavioural: Set(s.behavioural),
        sina_health_need: Set(s.health_need),
        sina_income: Set(s.income),
        sina_support_network: Set(s.support_network),
        sina_source: Set(s.source),
        sina_instrument: Set(s.instrument),
        sina_invalidity_source: Set(s.invalidity_source),
        sina_civil_invalidity: Set(a.sina.as_ref().map(|s| json(&s.civil_invalidity))),
        sina_needed_benefits: Set(a.sina.as_ref().map(|s| json(&s.needed_benefits))),
        created_at: Set(now),
        ..Default::default()
    };
    to_assessment(assessments::Entity::insert(m).exec_with_returning(c.db()).await?)
}

/// Assessments of some cases.
pub async fn assessments_of(c: &impl Conn, ids: &[CaseId]) -> Result<Vec<Assessment>, StoreError> {
    let rows = assessments::Entity::find()
        .filter(assessments::Column::CaseId.is_in(raw(ids)))
        .order_by_asc(assessments::Column::Id)
        .all(c.db())
        .await?;
    rows.into_iter().map(to_assessment).collect()
}

/// Assessments of a person, newest first.
pub async fn assessments_of_person(c: &impl Conn, person: PersonId, limit: u64) -> Result<Vec<Assessment>, StoreError> {
    let rows = assessments::Entity::find()
        .filter(assessments::Column::PersonId.eq(person.0))
        .order_by_desc(assessments::Column::AssessedOn)
        .order_by_desc(assessments::Column::Id)
        .limit(limit)
        .all(c.db())
        .await?;
    rows.into_iter().map(to_assessment).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    /// [`CaseAndPerson`] reads columns by position: a column added to either entity must be
    /// added there too.
    #[test]
    fn the_join_decoder_reads_every_column() {
        assert_eq!(cases::Column::iter().count(), CASE_COLUMNS);
        assert_eq!(persons::Column::iter().count(), 25);
    }
}
