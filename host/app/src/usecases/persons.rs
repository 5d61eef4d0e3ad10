//! Persons, households and ISEE attestations.

use chrono::NaiveDate;
use siso_domain::error::check_text;
use siso_domain::ids::*;
use siso_domain::money::Money;
use siso_domain::person::{self, HouseholdMember, IseeAttestation, IseeKind, NewPersonCheck, Person, Relation, Sex};
use siso_store::repo::{org as org_repo, persons as person_repo};

use crate::authz::{Action, check};
use crate::error::{AppError, AppResult};
use crate::{Actor, App, audit};

use super::{as_missing, load_person};

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

impl App {
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
                birth_place_code: cmd.birth_place_code.as_deref(),
                citizenship_code: cmd.citizenship_code.as_deref(),
            },
            today,
        )?;
        // INPS wants the place of birth: a personal codice fiscale says it.
        let birth_place_code =
            cmd.birth_place_code.clone().or_else(|| fiscal_code.as_ref().and_then(|cf| cf.birth_place_code()));
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
            birth_place_code,
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
        person::check_household(&members)?;
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
}
