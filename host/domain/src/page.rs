//! Keyset pagination by id, the basis of the API's Relay connections.

/// Which slice of a list to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Only ids greater than this.
    pub after: Option<i64>,
    /// Only ids lower than this.
    pub before: Option<i64>,
    /// How many, counted from the start (`first`) or the end (`last`).
    pub limit: u64,
    /// Count from the end.
    pub from_end: bool,
}

impl PageRequest {
    /// The first `limit` items.
    pub fn first(limit: u64) -> Self {
        Self { after: None, before: None, limit, from_end: false }
    }
}

/// One page of a list, in ascending id order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// More items exist after the last one.
    pub has_next: bool,
    /// More items exist before the first one.
    pub has_previous: bool,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows (ordered in the fetch direction).
    pub fn from_fetched(mut rows: Vec<T>, req: &PageRequest) -> Self {
        let limit = usize::try_from(req.limit).unwrap_or(usize::MAX);
        let more = rows.len() > limit;
        rows.truncate(limit);
        if req.from_end {
            rows.reverse();
            Page { items: rows, has_next: req.before.is_some(), has_previous: more }
        } else {
            Page { items: rows, has_next: more, has_previous: req.after.is_some() }
        }
    }

    /// Maps the items.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            has_next: self.has_next,
            has_previous: self.has_previous,
        }
    }
}
