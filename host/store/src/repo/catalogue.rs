//! The intervention catalogue.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use siso_domain::case::UserArea;
use siso_domain::catalogue::{CatalogueEntry, InpsArea, IstatType};
use siso_domain::ids::{CatalogueEntryId, OrgUnitId};
use siso_domain::intervention::{BenefitCharacter, MeansTest};

use super::{Conn, code, raw};
use crate::entities::catalogue_entries;
use crate::error::StoreError;

fn to_entry(m: catalogue_entries::Model) -> Result<CatalogueEntry, StoreError> {
    Ok(CatalogueEntry {
        id: CatalogueEntryId(m.id),
        org_unit_id: m.org_unit_id.map(OrgUnitId),
        local_code: m.local_code,
        name: m.name,
        inps_code: m.inps_code,
        inps_area: code(InpsArea::parse, "INPS area", &m.inps_area)?,
        istat_area: code(UserArea::parse, "ISTAT area", &m.istat_area)?,
        istat_type: code(IstatType::parse, "ISTAT type", &m.istat_type)?,
        sina_required: m.sina_required,
        means_test: code(MeansTest::parse, "means test", &m.means_test)?,
        character: code(BenefitCharacter::parse, "benefit character", &m.benefit_character)?,
    })
}

/// Inserts an entry (the `id` is ignored).
pub async fn insert(c: &impl Conn, e: &CatalogueEntry, now: DateTime<Utc>) -> Result<CatalogueEntry, StoreError> {
    let m = catalogue_entries::ActiveModel {
        org_unit_id: Set(e.org_unit_id.map(|o| o.0)),
        local_code: Set(e.local_code.trim().into()),
        name: Set(e.name.trim().into()),
        inps_code: Set(e.inps_code.clone()),
        inps_area: Set(e.inps_area.as_str().into()),
        istat_area: Set(e.istat_area.as_str().into()),
        istat_type: Set(e.istat_type.as_str().into()),
        sina_required: Set(e.sina_required),
        means_test: Set(e.means_test.as_str().into()),
        benefit_character: Set(e.character.as_str().into()),
        created_at: Set(now),
        ..Default::default()
    };
    to_entry(catalogue_entries::Entity::insert(m).exec_with_returning(c.db()).await?)
}

/// One entry.
pub async fn get(c: &impl Conn, id: CatalogueEntryId) -> Result<Option<CatalogueEntry>, StoreError> {
    catalogue_entries::Entity::find_by_id(id.0).one(c.db()).await?.map(to_entry).transpose()
}

/// Several entries.
pub async fn get_many(c: &impl Conn, ids: &[CatalogueEntryId]) -> Result<Vec<CatalogueEntry>, StoreError> {
    let rows =
        catalogue_entries::Entity::find().filter(catalogue_entries::Column::Id.is_in(raw(ids))).all(c.db()).await?;
    rows.into_iter().map(to_entry).collect()
}

/// All entries (national and local), by id.
pub async fn all(c: &impl Conn) -> Result<Vec<CatalogueEntry>, StoreError> {
    let rows = catalogue_entries::Entity::find().order_by_asc(catalogue_entries::Column::Id).all(c.db()).await?;
    rows.into_iter().map(to_entry).collect()
}

/// Inserts the entries a unit gets (from a plug-in's catalogue), or updates in place the
/// unit's entries with the same local code (interventions keep pointing at them).
pub async fn upsert_for_unit(
    c: &impl Conn,
    org: OrgUnitId,
    entries: &[CatalogueEntry],
    now: DateTime<Utc>,
) -> Result<Vec<CatalogueEntry>, StoreError> {
    let existing =
        catalogue_entries::Entity::find().filter(catalogue_entries::Column::OrgUnitId.eq(org.0)).all(c.db()).await?;
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let e = CatalogueEntry { org_unit_id: Some(org), ..e.clone() };
        match existing.iter().find(|m| m.local_code == e.local_code.trim()) {
            None => out.push(insert(c, &e, now).await?),
            Some(m) => {
                let update = catalogue_entries::ActiveModel {
                    id: Set(m.id),
                    name: Set(e.name.trim().into()),
                    inps_code: Set(e.inps_code.clone()),
                    inps_area: Set(e.inps_area.as_str().into()),
                    istat_area: Set(e.istat_area.as_str().into()),
                    istat_type: Set(e.istat_type.as_str().into()),
                    sina_required: Set(e.sina_required),
                    means_test: Set(e.means_test.as_str().into()),
                    benefit_character: Set(e.character.as_str().into()),
                    ..Default::default()
                };
                out.push(to_entry(catalogue_entries::Entity::update(update).exec(c.db()).await?)?);
            }
        }
    }
    Ok(out)
}
