//! The SISO domain: entities, value types and the rules that hold whatever the storage or API.
//!
//! This crate does no I/O, has no async and never reads the system clock: "now" always comes
//! from a [`clock::Clock`] passed in by the caller. Every invariant of the case lifecycle lives
//! here and is unit-tested here; the application layer calls these rules, resolvers never
//! re-implement them.

/// Defines a closed enum stored and exchanged as a stable lower-case code. With the `graphql`
/// feature it is also a GraphQL enum whose values are those codes (the API's schema documents
/// and validates them; the JSON a front end reads is the code stored in the database).
macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
        pub enum $name { $($(#[$vdoc])* #[cfg_attr(feature = "graphql", graphql(name = $code))] $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code stored in the database.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// Parses a stored code.
            pub fn parse(code: &str) -> Option<$name> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod access;
pub mod api_key;
pub mod assessment;
pub mod audit;
pub mod budget;
pub mod case;
pub mod catalogue;
pub mod clock;
pub mod codice_fiscale;
pub mod error;
pub mod ids;
pub mod intervention;
pub mod money;
pub mod org;
pub mod page;
pub mod person;
pub mod plan;
pub mod plugin_result;
pub mod provider;

pub use error::{DomainError, DomainResult};
pub use money::Money;
