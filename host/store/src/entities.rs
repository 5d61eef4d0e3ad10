//! sea-orm entities, one module per table. Private to the store: they never leave this crate.
//!
//! Kept in step with `migrations/sql/*.sql` by hand; the store tests run every query on both
//! backends, so a drift fails there.

#![allow(missing_docs)]

pub mod org_units {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "org_units")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub parent_id: Option<i64>,
        pub kind: String,
        pub name: String,
        pub istat_code: Option<String>,
        pub cadastral_code: Option<String>,
        pub inps_ente_code: Option<String>,
        pub fiscal_code: Option<String>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod org_unit_closure {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "org_unit_closure")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub ancestor_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub unit_id: i64,
        pub depth: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod operators {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "operators")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub org_unit_id: i64,
        pub username: String,
        pub display_name: String,
        pub role: String,
        pub active: bool,
        pub created_at: DateTimeUtc,
        pub fiscal_code: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod persons {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "persons")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub org_unit_id: i64,
        pub fiscal_code: Option<String>,
        pub surname: String,
        pub given_name: String,
        pub search_name: String,
        pub sex: String,
        pub birth_date: Date,
        pub birth_place_code: Option<String>,
        pub citizenship_code: Option<String>,
        pub second_citizenship_code: Option<String>,
        pub residence_region_code: Option<String>,
        pub residence_comune_code: Option<String>,
        pub residence_nation_code: Option<String>,
        pub residence_address: Option<String>,
        pub domicile_address: Option<String>,
        pub homeless: bool,
        pub education_level: Option<String>,
        pub employment_status: Option<String>,
        pub disability: bool,
        pub civil_invalidity_percent: Option<i16>,
        pub has_legal_guardian: bool,
        pub anpr_id: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod households {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "households")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub org_unit_id: i64,
        pub registry_id: Option<String>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod household_members {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "household_members")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub household_id: i64,
        pub person_id: i64,
        pub relation: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod isee_attestations {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "isee_attestations")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub person_id: i64,
        pub household_id: Option<i64>,
        pub kind: String,
        pub dsu_protocol: String,
        pub dsu_year: i32,
        pub dsu_date: Date,
        pub value_cents: i64,
        pub valid_from: Date,
        pub valid_until: Date,
        pub equivalence_scale_milli: Option<i32>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod cases {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "cases")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub org_unit_id: i64,
        pub person_id: i64,
        pub state: String,
        pub area: String,
        pub responsible_operator_id: Option<i64>,
        pub opened_on: Date,
        pub closed_on: Option<Date>,
        pub closure_reason: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod case_events {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub case_id: i64,
        pub kind: String,
        pub occurred_on: Date,
        pub state: String,
        pub operator_id: Option<i64>,
        pub org_unit_id: i64,
        pub reason: Option<String>,
        pub recorded_by: Option<i64>,
        pub recorded_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod access_sheets {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "access_sheets")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub org_unit_id: i64,
        pub operator_id: Option<i64>,
        pub person_id: Option<i64>,
        pub access_on: Date,
        pub channel: String,
        pub reporter: String,
        pub referral_source: Option<String>,
        pub reasons: String,
        pub privacy_consent: bool,
        pub state: String,
        pub case_id: Option<i64>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod needs {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "needs")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub case_id: i64,
        pub code: String,
        pub severity: i16,
        pub recorded_on: Date,
        pub recorded_by: Option<i64>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod assessments {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "assessments")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub case_id: i64,
        pub person_id: i64,
        pub instrument: String,
        pub assessed_on: Date,
        pub assessor: String,
        pub recorded_by: Option<i64>,
        pub answers: String,
        pub score: Option<i32>,
        pub sina_mobility: Option<i16>,
        pub sina_daily_living: Option<i16>,
        pub sina_cognitive: Option<i16>,
        pub sina_behavioural: Option<i16>,
        pub sina_health_need: Option<i16>,
        pub sina_income: Option<i16>,
        pub sina_support_network: Option<i16>,
        pub sina_source: Option<i16>,
        pub sina_instrument: Option<i16>,
        pub sina_invalidity_source: Option<i16>,
        pub sina_civil_invalidity: Option<String>,
        pub sina_needed_benefits: Option<String>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod plans {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plans")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub case_id: i64,
        pub kind: String,
        pub state: String,
        pub starts_on: Date,
        pub planned_end_on: Option<Date>,
        pub review_every_months: i16,
        pub next_review_on: Date,
        pub closure_reason: Option<String>,
        pub created_by: Option<i64>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod plan_objectives {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plan_objectives")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub plan_id: i64,
        pub term: String,
        pub description: String,
        pub due_on: Option<Date>,
        pub attainment: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod plan_reviews {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plan_reviews")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub plan_id: i64,
        pub reviewed_on: Date,
        pub reviewed_by: Option<i64>,
        pub notes: Option<String>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod catalogue_entries {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "catalogue_entries")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub org_unit_id: Option<i64>,
        pub local_code: String,
        pub name: String,
        pub inps_code: String,
        pub inps_area: String,
        pub istat_area: String,
        pub istat_type: String,
        pub sina_required: bool,
        pub means_test: String,
        pub benefit_character: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod providers {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "providers")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub org_unit_id: i64,
        pub name: String,
        pub vat_number: Option<String>,
        pub accreditation: Option<String>,
        pub places: Option<i32>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod funds {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "funds")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub org_unit_id: i64,
        pub kind: String,
        pub name: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod funding_lines {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "funding_lines")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub fund_id: i64,
        pub org_unit_id: i64,
        pub name: String,
        pub year: i32,
        pub chapter: Option<String>,
        pub amount_cents: i64,
        pub committed_cents: i64,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod interventions {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "interventions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub case_id: i64,
        pub org_unit_id: i64,
        pub plan_id: Option<i64>,
        pub catalogue_entry_id: i64,
        pub state: String,
        pub requested_cents: i64,
        pub authorised_cents: Option<i64>,
        pub disbursed_cents: i64,
        pub monthly_cents: Option<i64>,
        pub monthly_hours_centi: Option<i64>,
        pub starts_on: Date,
        pub ends_on: Option<Date>,
        pub provider_id: Option<i64>,
        pub funding_line_id: Option<i64>,
        pub co_payment_monthly_cents: Option<i64>,
        pub means_test: String,
        pub benefit_character: String,
        pub isee_threshold_cents: Option<i64>,
        pub isee_id: Option<i64>,
        pub application_protocol: Option<String>,
        pub requested_on: Date,
        pub decided_on: Option<Date>,
        pub requested_by: Option<i64>,
        pub decided_by: Option<i64>,
        pub reason: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub event_on: Option<Date>,
        pub taken_in_charge: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod intervention_events {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "intervention_events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub intervention_id: i64,
        pub from_state: Option<String>,
        pub to_state: String,
        pub occurred_on: Date,
        pub reason: Option<String>,
        pub recorded_by: Option<i64>,
        pub recorded_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod commitments {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "commitments")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub funding_line_id: i64,
        pub intervention_id: Option<i64>,
        pub amount_cents: i64,
        pub committed_on: Date,
        pub description: Option<String>,
        pub created_by: Option<i64>,
        pub created_at: DateTimeUtc,
        pub kind: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod disbursements {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "disbursements")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub intervention_id: i64,
        pub paid_on: Date,
        pub period_from: Date,
        pub period_to: Date,
        pub amount_cents: i64,
        pub ente_cents: i64,
        pub user_cents: i64,
        pub ssn_cents: i64,
        pub other_cents: i64,
        pub hours_centi: Option<i64>,
        pub recorded_by: Option<i64>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod placements {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "placements")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub intervention_id: i64,
        pub provider_id: i64,
        pub daily_fee_cents: i64,
        pub starts_on: Date,
        pub ends_on: Option<Date>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod monthly_presences {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "monthly_presences")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub placement_id: i64,
        pub month: Date,
        pub days_present: i16,
        pub amount_due_cents: i64,
        pub recorded_by: Option<i64>,
        pub recorded_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod audit_events {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub occurred_at: DateTimeUtc,
        pub actor_operator_id: Option<i64>,
        pub actor_label: String,
        pub org_unit_id: Option<i64>,
        pub action: String,
        pub record_kind: String,
        pub record_id: Option<i64>,
        pub person_id: Option<i64>,
        pub purpose: Option<String>,
        pub prev_hash: Option<String>,
        pub hash: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod audit_chain_head {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_chain_head")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub last_hash: String,
        pub events: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod plugins {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plugins")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub plugin_key: String,
        pub current_version_id: Option<i64>,
        pub created_at: DateTimeUtc,
        pub owner_org_unit_id: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod plugin_versions {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plugin_versions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub plugin_id: i64,
        pub version: String,
        pub wit_version: String,
        pub publisher: String,
        pub manifest: String,
        pub digest: String,
        pub signer_key: Option<String>,
        pub component: Vec<u8>,
        pub installed_at: DateTimeUtc,
        pub installed_by: Option<i64>,
        pub signature: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod plugin_enablements {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plugin_enablements")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub plugin_id: i64,
        pub org_unit_id: i64,
        pub settings: String,
        pub capabilities: String,
        pub failure_policy: String,
        pub enabled_at: DateTimeUtc,
        pub enabled_by: Option<i64>,
        pub timeout_ms: Option<i64>,
        pub fuel: Option<i64>,
        pub memory_mib: Option<i64>,
        pub max_concurrency: Option<i64>,
        pub locked: bool,
        pub quarantined_at: Option<DateTimeUtc>,
        pub quarantine_reason: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod plugin_results {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plugin_results")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub record_kind: String,
        pub record_id: i64,
        pub hook: String,
        pub plugin_key: String,
        pub plugin_version: String,
        pub outcome: String,
        pub amount_cents: Option<i64>,
        pub reasons: String,
        pub created_at: DateTimeUtc,
        pub applied: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod plugin_registry_state {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plugin_registry_state")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub generation: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod authz_rules {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "authz_rules")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub ptype: String,
        pub v0: String,
        pub v1: String,
        pub v2: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod authz_state {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "authz_state")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub generation: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod api_keys {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_keys")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub name: String,
        pub prefix: String,
        pub key_hash: String,
        pub org_unit_id: i64,
        pub created_by: String,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub revoked_at: Option<DateTimeUtc>,
        pub created_by_operator_id: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod operator_identities {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "operator_identities")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub operator_id: i64,
        pub issuer: String,
        pub subject: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod plugin_tombstones {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plugin_tombstones")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub plugin_key: String,
        pub publisher: String,
        pub highest_version: String,
        pub removed_at: DateTimeUtc,
        pub removed_by: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod plugin_artifacts {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plugin_artifacts")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub component_digest: String,
        pub engine: String,
        pub artifact_sha256: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod plugin_call_stats {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plugin_call_stats")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub plugin_id: i64,
        pub org_unit_id: i64,
        pub minute: DateTimeUtc,
        pub calls: i64,
        pub faults: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
