//! Newtype identifiers: a case id can never be passed where a person id is expected.

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The raw database key.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }
    )*};
}

ids! {
    /// An organisation unit (region, ambito, comune, municipio, office).
    OrgUnitId,
    /// A social operator (a user of the system).
    OperatorId,
    /// A person (*assistito*).
    PersonId,
    /// A household (*nucleo familiare*).
    HouseholdId,
    /// An ISEE attestation.
    IseeId,
    /// An access sheet (*scheda di accesso*).
    AccessSheetId,
    /// A case (*cartella sociale*).
    CaseId,
    /// A recorded need.
    NeedId,
    /// A multidimensional assessment.
    AssessmentId,
    /// An individual plan (PAI, PEI, PTI).
    PlanId,
    /// An objective of a plan.
    ObjectiveId,
    /// A review of a plan.
    PlanReviewId,
    /// An entry of the intervention catalogue.
    CatalogueEntryId,
    /// An intervention (*foglio amministrativo*).
    InterventionId,
    /// A disbursement (*erogazione*).
    DisbursementId,
    /// A provider (*ente erogatore*).
    ProviderId,
    /// A residential placement with a provider.
    PlacementId,
    /// A fund (FNPS, FNA, Fondo Povertà, ...).
    FundId,
    /// A funding line of a fund.
    FundingLineId,
    /// A commitment (*impegno*) on a funding line.
    CommitmentId,
}
