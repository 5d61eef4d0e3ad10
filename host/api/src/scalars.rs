//! Custom scalars: exact money and ids.

use async_graphql::{ID, InputValueError, InputValueResult, Scalar, ScalarType, Value};
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

/// Parses a numeric id.
pub fn parse_id(id: &ID) -> Option<i64> {
    id.parse::<i64>().ok().filter(|v| *v > 0)
}

/// An id for output.
pub fn id(v: i64) -> ID {
    ID(v.to_string())
}
