//! Keyset pagination by id: the window and order of a select.

pub use siso_domain::page::{Page, PageRequest};

/// Applies the keyset window and order to a select on an id column.
pub(crate) fn apply<E, C>(select: sea_orm::Select<E>, id: C, req: &PageRequest) -> sea_orm::Select<E>
where
    E: sea_orm::EntityTrait,
    C: sea_orm::ColumnTrait,
{
    use sea_orm::{QueryFilter, QueryOrder, QuerySelect};
    let mut select = select;
    if let Some(after) = req.after {
        select = select.filter(id.gt(after));
    }
    if let Some(before) = req.before {
        select = select.filter(id.lt(before));
    }
    let select = if req.from_end { select.order_by_desc(id) } else { select.order_by_asc(id) };
    select.limit(req.limit.saturating_add(1))
}
