//! Persons, households and ISEE attestations.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use siso_domain::codice_fiscale::CodiceFiscale;
use siso_domain::ids::{HouseholdId, IseeId, OrgUnitId, PersonId};
use siso_domain::money::Money;
use siso_domain::person::{Household, HouseholdMember, IseeAttestation, IseeKind, Person, Relation, Sex};

use super::{Conn, Units, code, raw};
use crate::entities::{household_members, households, isee_attestations, persons};
use crate::error::StoreError;
use crate::page::{self, Page, PageRequest};

fn sex_code(s: Sex) -> &'static str {
    match s {
        Sex::Male => "m",
        Sex::Female => "f",
    }
}

fn parse_sex(s: &str) -> Option<Sex> {
    match s {
        "m" => Some(Sex::Male),
        "f" => Some(Sex::Female),
        _ => None,
    }
}

/// The normalised text persons are searched by: lower-case "surname given name".
pub fn search_name(surname: &str, given_name: &str) -> String {
    format!("{} {}", surname.trim(), given_name.trim()).to_lowercase()
}

pub(crate) fn to_person(m: persons::Model) -> Result<Person, StoreError> {
    let fiscal_code = match m.fiscal_code {
        Some(cf) => Some(CodiceFiscale::parse(&cf).map_err(|_| StoreError::Corrupt("stored codice fiscale".into()))?),
        None => None,
    };
    Ok(Person {
        id: PersonId(m.id),
        org_unit_id: OrgUnitId(m.org_unit_id),
        fiscal_code,
        surname: m.surname,
        given_name: m.given_name,
        sex: code(parse_sex, "sex", &m.sex)?,
        birth_date: m.birth_date,
        birth_place_code: m.birth_place_code,
        citizenship_code: m.citizenship_code,
        second_citizenship_code: m.second_citizenship_code,
        residence_region_code: m.residence_region_code,
        residence_comune_code: m.residence_comune_code,
        residence_nation_code: m.residence_nation_code,
        residence_address: m.residence_address,
        domicile_address: m.domicile_address,
        homeless: m.homeless,
        education_level: m.education_level,
        employment_status: m.employment_status,
        disability: m.disability,
        civil_invalidity_percent: m.civil_invalidity_percent,
        has_legal_guardian: m.has_legal_guardian,
        anpr_id: m.anpr_id,
    })
}

fn person_model(p: &Person, now: DateTime<Utc>) -> persons::ActiveModel {
    persons::ActiveModel {
        org_unit_id: Set(p.org_unit_id.0),
        fiscal_code: Set(p.fiscal_code.as_ref().map(|c| c.as_str().to_string())),
        surname: Set(p.surname.trim().into()),
        given_name: Set(p.given_name.trim().into()),
        search_name: Set(search_name(&p.surname, &p.given_name)),
        sex: Set(sex_code(p.sex).into()),
        birth_date: Set(p.birth_date),
        birth_place_code: Set(p.birth_place_code.clone()),
        citizenship_code: Set(p.citizenship_code.clone()),
        second_citizenship_code: Set(p.second_citizenship_code.clone()),
        residence_region_code: Set(p.residence_region_code.clone()),
        residence_comune_code: Set(p.residence_comune_code.clone()),
        residence_nation_code: Set(p.residence_nation_code.clone()),
        residence_address: Set(p.residence_address.clone()),
        domicile_address: Set(p.domicile_address.clone()),
        homeless: Set(p.homeless),
        education_level: Set(p.education_level.clone()),
        employment_status: Set(p.employment_status.clone()),
        disability: Set(p.disability),
        civil_invalidity_percent: Set(p.civil_invalidity_percent),
        has_legal_guardian: Set(p.has_legal_guardian),
        anpr_id: Set(p.anpr_id.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Inserts a person (the `id` of `p` is ignored).
pub async fn insert(c: &impl Conn, p: &Person, now: DateTime<Utc>) -> Result<Person, StoreError> {
    to_person(persons::Entity::insert(person_model(p, now)).exec_with_returning(c.db()).await?)
}

/// Inserts many persons at once (bulk import and the data generator).
pub async fn insert_many(c: &impl Conn, ps: &[Person], now: DateTime<Utc>) -> Result<(), StoreError> {
    if ps.is_empty() {
        return Ok(());
    }
    persons::Entity::insert_many(ps.iter().map(|p| person_model(p, now))).exec_without_returning(c.db()).await?;
    Ok(())
}

/// One person.
pub async fn get(c: &impl Conn, id: PersonId) -> Result<Option<Person>, StoreError> {
    persons::Entity::find_by_id(id.0).one(c.db()).await?.map(to_person).transpose()
}

/// Several persons.
pub async fn get_many(c: &impl Conn, ids: &[PersonId]) -> Result<Vec<Person>, StoreError> {
    let rows = persons::Entity::find().filter(persons::Column::Id.is_in(raw(ids))).all(c.db()).await?;
    rows.into_iter().map(to_person).collect()
}

/// Filters of the person list.
#[derive(Debug, Clone, Default)]
pub struct PersonFilter {
    /// Only these organisation units.
    pub org_units: Option<Units>,
    /// Exact codice fiscale.
    pub fiscal_code: Option<String>,
    /// Name prefix (surname first), case-insensitive.
    pub name: Option<String>,
}

/// A page of persons.
pub async fn list(c: &impl Conn, f: &PersonFilter, req: &PageRequest) -> Result<Page<Person>, StoreError> {
    let mut cond = Condition::all();
    if let Some(units) = &f.org_units {
        cond = cond.add(units.contain(persons::Column::OrgUnitId));
    }
    if let Some(cf) = &f.fiscal_code {
        cond = cond.add(persons::Column::FiscalCode.eq(cf.trim().to_uppercase()));
    }
    if let Some(name) = &f.name {
        let needle = name.trim().to_lowercase().replace(['%', '_', '\\'], "");
        cond = cond.add(persons::Column::SearchName.starts_with(needle));
    }
    let select = page::apply(persons::Entity::find().filter(cond), persons::Column::Id, req);
    let rows = select.all(c.db()).await?;
    let rows = rows.into_iter().map(to_person).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_fetched(rows, req))
}

/// Creates a household.
pub async fn insert_household(
    c: &impl Conn,
    org_unit_id: OrgUnitId,
    registry_id: Option<String>,
    now: DateTime<Utc>,
) -> Result<Household, StoreError> {
    let m = households::ActiveModel {
        org_unit_id: Set(org_unit_id.0),
        registry_id: Set(registry_id),
        created_at: Set(now),
        ..Default::default()
    };
    let m = households::Entity::insert(m).exec_with_returning(c.db()).await?;
    Ok(Household { id: HouseholdId(m.id), org_unit_id: OrgUnitId(m.org_unit_id), registry_id: m.registry_id })
}

/// One household.
pub async fn get_household(c: &impl Conn, id: HouseholdId) -> Result<Option<Household>, StoreError> {
    let m = households::Entity::find_by_id(id.0).one(c.db()).await?;
    Ok(m.map(|m| Household {
        id: HouseholdId(m.id),
        org_unit_id: OrgUnitId(m.org_unit_id),
        registry_id: m.registry_id,
    }))
}

/// Adds a member.
pub async fn add_member(c: &impl Conn, member: &HouseholdMember, now: DateTime<Utc>) -> Result<(), StoreError> {
    let m = household_members::ActiveModel {
        household_id: Set(member.household_id.0),
        person_id: Set(member.person_id.0),
        relation: Set(member.relation.as_str().into()),
        created_at: Set(now),
        ..Default::default()
    };
    household_members::Entity::insert(m).exec_without_returning(c.db()).await?;
    Ok(())
}

/// Members of some households.
pub async fn members_of(c: &impl Conn, ids: &[HouseholdId]) -> Result<Vec<HouseholdMember>, StoreError> {
    let rows = household_members::Entity::find()
        .filter(household_members::Column::HouseholdId.is_in(raw(ids)))
        .order_by_asc(household_members::Column::Id)
        .all(c.db())
        .await?;
    rows.into_iter()
        .map(|m| {
            Ok(HouseholdMember {
                household_id: HouseholdId(m.household_id),
                person_id: PersonId(m.person_id),
                relation: code(Relation::parse, "relation", &m.relation)?,
            })
        })
        .collect()
}

/// Memberships of some persons.
pub async fn memberships_of(c: &impl Conn, persons: &[PersonId]) -> Result<Vec<HouseholdMember>, StoreError> {
    let rows = household_members::Entity::find()
        .filter(household_members::Column::PersonId.is_in(raw(persons)))
        .all(c.db())
        .await?;
    rows.into_iter()
        .map(|m| {
            Ok(HouseholdMember {
                household_id: HouseholdId(m.household_id),
                person_id: PersonId(m.person_id),
                relation: code(Relation::parse, "relation", &m.relation)?,
            })
        })
        .collect()
}

fn to_isee(m: isee_attestations::Model) -> Result<IseeAttestation, StoreError> {
    Ok(IseeAttestation {
        id: IseeId(m.id),
        person_id: PersonId(m.person_id),
        household_id: m.household_id.map(HouseholdId),
        kind: code(IseeKind::parse, "ISEE kind", &m.kind)?,
        dsu_protocol: m.dsu_protocol,
        dsu_year: m.dsu_year,
        dsu_date: m.dsu_date,
        value: Money::from_cents(m.value_cents),
        valid_from: m.valid_from,
        valid_until: m.valid_until,
        equivalence_scale_milli: m.equivalence_scale_milli,
    })
}

/// Records an ISEE attestation (the `id` is ignored).
pub async fn insert_isee(
    c: &impl Conn,
    i: &IseeAttestation,
    now: DateTime<Utc>,
) -> Result<IseeAttestation, StoreError> {
    let m = isee_attestations::ActiveModel {
        person_id: Set(i.person_id.0),
        household_id: Set(i.household_id.map(|h| h.0)),
        kind: Set(i.kind.as_str().into()),
        dsu_protocol: Set(i.dsu_protocol.clone()),
        dsu_year: Set(i.dsu_year),
        dsu_date: Set(i.dsu_date),
        value_cents: Set(i.value.cents()),
        valid_from: Set(i.valid_from),
        valid_until: Set(i.valid_until),
        equivalence_scale_milli: Set(i.equivalence_scale_milli),
        created_at: Set(now),
        ..Default::default()
    };
    to_isee(isee_attestations::Entity::insert(m).exec_with_returning(c.db()).await?)
}

/// One attestation.
pub async fn get_isee(c: &impl Conn, id: IseeId) -> Result<Option<IseeAttestation>, StoreError> {
    isee_attestations::Entity::find_by_id(id.0).one(c.db()).await?.map(to_isee).transpose()
}

/// Attestations of some persons, newest first.
pub async fn isee_of(c: &impl Conn, persons: &[PersonId]) -> Result<Vec<IseeAttestation>, StoreError> {
    let rows = isee_attestations::Entity::find()
        .filter(isee_attestations::Column::PersonId.is_in(raw(persons)))
        .order_by_desc(isee_attestations::Column::ValidFrom)
        .order_by_desc(isee_attestations::Column::Id)
        .all(c.db())
        .await?;
    rows.into_iter().map(to_isee).collect()
}

/// The newest attestation of a person valid on `day`.
pub async fn valid_isee(
    c: &impl Conn,
    person: PersonId,
    day: NaiveDate,
) -> Result<Option<IseeAttestation>, StoreError> {
    let row = isee_attestations::Entity::find()
        .filter(isee_attestations::Column::PersonId.eq(person.0))
        .filter(isee_attestations::Column::ValidFrom.lte(day))
        .filter(isee_attestations::Column::ValidUntil.gte(day))
        .order_by_desc(isee_attestations::Column::ValidFrom)
        .one(c.db())
        .await?;
    row.map(to_isee).transpose()
}
