//! Custom scalars: exact money, and global ids.

use async_graphql::{ID, InputValueError, InputValueResult, Scalar, ScalarType, Value};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use siso_domain::money::Money;

/// An amount in euro as an exact decimal string with at most two decimals ("1200", "800.50").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Euro(pub Money);

#[Scalar(name = "Money")]
impl ScalarType for Euro {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(s) => s.parse::<Money>().map(Euro).map_err(|e| InputValueError::custom(e.to_string())),
            Value::Number(n) if n.is_i64() => n
                .as_i64()
                .and_then(Money::checked_from_euro)
                .map(Euro)
                .ok_or_else(|| InputValueError::custom("the amount is out of range")),
            _ => Err(InputValueError::custom("money is a decimal string such as \"800.50\"")),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// A record id as the API shows it: a global id, the same for a record wherever it appears and
/// never the same for two records of different types. It is opaque to clients (base64url of
/// the GraphQL type and the key, e.g. `Case:42`), so a front end caches and refetches any
/// record by its id alone (`node(id:)`, the Relay convention).
pub trait GlobalId: Copy {
    /// The GraphQL type whose records carry this id.
    const TYPE: &'static str;
    /// The database key.
    fn key(self) -> i64;
    /// The id of a database key.
    fn of_key(key: i64) -> Self;
}

macro_rules! global_ids {
    ($($id:ident => $name:literal),* $(,)?) => {$(
        impl GlobalId for siso_domain::ids::$id {
            const TYPE: &'static str = $name;
            fn key(self) -> i64 {
                self.0
            }
            fn of_key(key: i64) -> Self {
                Self(key)
            }
        }
    )*};
}

global_ids! {
    OrgUnitId => "OrgUnit",
    OperatorId => "Operator",
    PersonId => "Person",
    HouseholdId => "Household",
    IseeId => "IseeAttestation",
    AccessSheetId => "AccessSheet",
    CaseId => "Case",
    NeedId => "Need",
    AssessmentId => "Assessment",
    PlanId => "Plan",
    ObjectiveId => "Objective",
    PlanReviewId => "PlanReview",
    CatalogueEntryId => "CatalogueEntry",
    InterventionId => "Intervention",
    DisbursementId => "Disbursement",
    ProviderId => "Provider",
    PlacementId => "Placement",
    FundId => "Fund",
    FundingLineId => "FundingLine",
    CommitmentId => "Commitment",
}

/// An API key's id (keys are administration records, not domain entities).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiKeyRef(pub i64);

impl GlobalId for ApiKeyRef {
    const TYPE: &'static str = "ApiKey";
    fn key(self) -> i64 {
        self.0
    }
    fn of_key(key: i64) -> Self {
        Self(key)
    }
}

/// The global id of a record the access log names by its kind (`case`, `access_sheet`,
/// `isee`...): the id the API shows for that record.
pub fn record_global_id(kind: &str, key: i64) -> ID {
    let type_name = match kind {
        "isee" => "IseeAttestation".to_string(),
        "presence" => "MonthlyPresence".to_string(),
        _ => kind
            .split('_')
            .map(|w| {
                let mut c = w.chars();
                c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
            })
            .collect(),
    };
    global_id(&type_name, key)
}

/// The longest global id accepted (a type name and a 19-digit key, encoded, fit well below).
const MAX_GLOBAL_ID: usize = 80;

/// The global id of the record of type `type_name` with key `key`.
pub fn global_id(type_name: &str, key: i64) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{type_name}:{key}")))
}

/// The type and key a global id names, if it is one this server made: well-formed base64url,
/// a type name, a positive key in its canonical decimal form (so one record has one id).
pub fn decode_global_id(id: &str) -> Option<(String, i64)> {
    if id.len() > MAX_GLOBAL_ID {
        return None;
    }
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(id.as_bytes()).ok()?).ok()?;
    let (type_name, digits) = text.split_once(':')?;
    let key = digits.parse::<i64>().ok().filter(|k| *k > 0 && k.to_string() == digits)?;
    let name_ok = !type_name.is_empty() && type_name.bytes().all(|b| b.is_ascii_alphabetic());
    name_ok.then(|| (type_name.to_string(), key))
}

/// Parses the global id of a `T`: `None` for anything else (malformed, or another type's id).
pub fn parse_id<T: GlobalId>(id: &ID) -> Option<T> {
    let (type_name, key) = decode_global_id(id)?;
    (type_name == T::TYPE).then(|| T::of_key(key))
}

/// The global id of a record for output.
pub fn id<T: GlobalId>(v: T) -> ID {
    global_id(T::TYPE, v.key())
}

#[cfg(test)]
mod tests {
    use super::*;
    use siso_domain::ids::{CaseId, PersonId};

    #[test]
    fn a_global_id_names_one_record_of_one_type() {
        let case = id(CaseId(42));
        assert_eq!(parse_id::<CaseId>(&case), Some(CaseId(42)));
        assert_eq!(parse_id::<PersonId>(&case), None, "a case's id is no person's");
        assert_ne!(id(CaseId(42)).0, id(PersonId(42)).0);
        assert_eq!(decode_global_id(&case), Some(("Case".to_string(), 42)));
        assert_eq!(record_global_id("case", 42), case, "the access log names a case as the API does");
        assert_eq!(record_global_id("access_sheet", 7), id(siso_domain::ids::AccessSheetId(7)));
        assert_eq!(record_global_id("isee", 7), id(siso_domain::ids::IseeId(7)));
    }

    #[test]
    fn anything_else_is_not_an_id() {
        for bad in ["", "42", "Q2FzZTo0Mg==", "%%%", &"A".repeat(200)] {
            assert_eq!(parse_id::<CaseId>(&ID(bad.to_string())), None, "{bad}");
        }
        for text in ["Case:0", "Case:-1", "Case:+4", "Case:04", "Case:", ":4", "Ca se:4", "Case:4:5"] {
            let id = ID(URL_SAFE_NO_PAD.encode(text));
            assert_eq!(parse_id::<CaseId>(&id), None, "{text}");
        }
    }
}
