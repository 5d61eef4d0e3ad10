-- SISO core schema, version 1.
-- Portable SQL with placeholders the migration fills per backend:
--   {ID}   integer primary key (identity on PostgreSQL, rowid alias on SQLite)
--   {DATE} calendar date, {TS} instant in UTC
-- Money is always integer cents (BIGINT). Codes are lower-case text. JSON is stored as text.

CREATE TABLE org_units (
    id {ID},
    parent_id BIGINT REFERENCES org_units(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    istat_code TEXT,
    cadastral_code TEXT,
    inps_ente_code TEXT,
    fiscal_code TEXT,
    created_at {TS} NOT NULL
);
CREATE INDEX org_units_parent ON org_units(parent_id);

CREATE TABLE operators (
    id {ID},
    org_unit_id BIGINT NOT NULL REFERENCES org_units(id),
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at {TS} NOT NULL
);
CREATE INDEX operators_org ON operators(org_unit_id);

CREATE TABLE persons (
    id {ID},
    org_unit_id BIGINT NOT NULL REFERENCES org_units(id),
    fiscal_code TEXT,
    surname TEXT NOT NULL,
    given_name TEXT NOT NULL,
    search_name TEXT NOT NULL,
    sex TEXT NOT NULL,
    birth_date {DATE} NOT NULL,
    birth_place_code TEXT,
    citizenship_code TEXT,
    second_citizenship_code TEXT,
    residence_region_code TEXT,
    residence_comune_code TEXT,
    residence_nation_code TEXT,
    residence_address TEXT,
    domicile_address TEXT,
    homeless BOOLEAN NOT NULL,
    education_level TEXT,
    employment_status TEXT,
    disability BOOLEAN NOT NULL,
    civil_invalidity_percent SMALLINT,
    has_legal_guardian BOOLEAN NOT NULL,
    anpr_id TEXT,
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL
);
CREATE UNIQUE INDEX persons_org_fiscal_code ON persons(org_unit_id, fiscal_code);
CREATE INDEX persons_fiscal_code ON persons(fiscal_code);
CREATE INDEX persons_search_name ON persons(search_name);

CREATE TABLE households (
    id {ID},
    org_unit_id BIGINT NOT NULL REFERENCES org_units(id),
    registry_id TEXT,
    created_at {TS} NOT NULL
);

CREATE TABLE household_members (
    id {ID},
    household_id BIGINT NOT NULL REFERENCES households(id),
    person_id BIGINT NOT NULL REFERENCES persons(id),
    relation TEXT NOT NULL,
    created_at {TS} NOT NULL
);
CREATE UNIQUE INDEX household_members_unique ON household_members(household_id, person_id);
CREATE INDEX household_members_person ON household_members(person_id);

CREATE TABLE isee_attestations (
    id {ID},
    person_id BIGINT NOT NULL REFERENCES persons(id),
    household_id BIGINT REFERENCES households(id),
    kind TEXT NOT NULL,
    dsu_protocol TEXT NOT NULL,
    dsu_year INTEGER NOT NULL,
    dsu_date {DATE} NOT NULL,
    value_cents BIGINT NOT NULL CHECK (value_cents >= 0),
    valid_from {DATE} NOT NULL,
    valid_until {DATE} NOT NULL,
    equivalence_scale_milli INTEGER,
    created_at {TS} NOT NULL
);
CREATE INDEX isee_person ON isee_attestations(person_id);

CREATE TABLE cases (
    id {ID},
    org_unit_id BIGINT NOT NULL REFERENCES org_units(id),
    person_id BIGINT NOT NULL REFERENCES persons(id),
    state TEXT NOT NULL,
    area TEXT NOT NULL,
    responsible_operator_id BIGINT REFERENCES operators(id),
    opened_on {DATE} NOT NULL,
    closed_on {DATE},
    closure_reason TEXT,
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL
);
CREATE INDEX cases_org_state ON cases(org_unit_id, state, id);
CREATE INDEX cases_person ON cases(person_id);
CREATE INDEX cases_operator ON cases(responsible_operator_id);

CREATE TABLE case_events (
    id {ID},
    case_id BIGINT NOT NULL REFERENCES cases(id),
    kind TEXT NOT NULL,
    occurred_on {DATE} NOT NULL,
    state TEXT NOT NULL,
    operator_id BIGINT REFERENCES operators(id),
    org_unit_id BIGINT NOT NULL REFERENCES org_units(id),
    reason TEXT,
    recorded_by BIGINT REFERENCES operators(id),
    recorded_at {TS} NOT NULL
);
CREATE INDEX case_events_case ON case_events(case_id, id);

CREATE TABLE access_sheets (
    id {ID},
    org_unit_id BIGINT NOT NULL REFERENCES org_units(id),
    operator_id BIGINT REFERENCES operators(id),
    person_id BIGINT REFERENCES persons(id),
    access_on {DATE} NOT NULL,
    channel TEXT NOT NULL,
    reporter TEXT NOT NULL,
    reasons TEXT NOT NULL,
    privacy_consent BOOLEAN NOT NULL,
    state TEXT NOT NULL,
    case_id BIGINT REFERENCES cases(id),
    created_at {TS} NOT NULL
);
CREATE INDEX access_sheets_org ON access_sheets(org_unit_id, id);
CREATE INDEX access_sheets_person ON access_sheets(person_id);

CREATE TABLE needs (
    id {ID},
    case_id BIGINT NOT NULL REFERENCES cases(id),
    code TEXT NOT NULL,
    severity SMALLINT NOT NULL,
    recorded_on {DATE} NOT NULL,
    recorded_by BIGINT REFERENCES operators(id),
    created_at {TS} NOT NULL
);
CREATE INDEX needs_case ON needs(case_id);

CREATE TABLE assessments (
    id {ID},
    case_id BIGINT NOT NULL REFERENCES cases(id),
    person_id BIGINT NOT NULL REFERENCES persons(id),
    instrument TEXT NOT NULL,
    assessed_on {DATE} NOT NULL,
    assessor TEXT NOT NULL,
    recorded_by BIGINT REFERENCES operators(id),
    answers TEXT NOT NULL,
    score INTEGER,
    sina_mobility SMALLINT,
    sina_daily_living SMALLINT,
    sina_cognitive SMALLINT,
    sina_behavioural SMALLINT,
    sina_health_need SMALLINT,
    sina_income SMALLINT,
    sina_support_network SMALLINT,
    sina_source SMALLINT,
    sina_instrument SMALLINT,
    sina_invalidity_source SMALLINT,
    sina_civil_invalidity TEXT,
    sina_needed_benefits TEXT,
    created_at {TS} NOT NULL
);
CREATE INDEX assessments_case ON assessments(case_id);
CREATE INDEX assessments_person ON assessments(person_id);

CREATE TABLE plans (
    id {ID},
    case_id BIGINT NOT NULL REFERENCES cases(id),
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    starts_on {DATE} NOT NULL,
    planned_end_on {DATE},
    review_every_months SMALLINT NOT NULL,
    next_review_on {DATE} NOT NULL,
    closure_reason TEXT,
    created_by BIGINT REFERENCES operators(id),
    created_at {TS} NOT NULL
);
CREATE INDEX plans_case ON plans(case_id);

CREATE TABLE plan_objectives (
    id {ID},
    plan_id BIGINT NOT NULL REFERENCES plans(id),
    term TEXT NOT NULL,
    description TEXT NOT NULL,
    due_on {DATE},
    attainment TEXT
);
CREATE INDEX plan_objectives_plan ON plan_objectives(plan_id);

CREATE TABLE plan_reviews (
    id {ID},
    plan_id BIGINT NOT NULL REFERENCES plans(id),
    reviewed_on {DATE} NOT NULL,
    reviewed_by BIGINT REFERENCES operators(id),
    notes TEXT,
    created_at {TS} NOT NULL
);
CREATE INDEX plan_reviews_plan ON plan_reviews(plan_id);

CREATE TABLE catalogue_entries (
    id {ID},
    org_unit_id BIGINT REFERENCES org_units(id),
    local_code TEXT NOT NULL,
    name TEXT NOT NULL,
    inps_code TEXT NOT NULL,
    inps_area TEXT NOT NULL,
    istat_area TEXT NOT NULL,
    istat_type TEXT NOT NULL,
    sina_required BOOLEAN NOT NULL,
    means_test TEXT NOT NULL,
    benefit_character TEXT NOT NULL,
    created_at {TS} NOT NULL
);
CREATE UNIQUE INDEX catalogue_entries_code ON catalogue_entries(org_unit_id, local_code);

CREATE TABLE providers (
    id {ID},
    org_unit_id BIGINT NOT NULL REFERENCES org_units(id),
    name TEXT NOT NULL,
    vat_number TEXT,
    accreditation TEXT,
    places INTEGER,
    created_at {TS} NOT NULL
);

CREATE TABLE funds (
    id {ID},
    org_unit_id BIGINT NOT NULL REFERENCES org_units(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at {TS} NOT NULL
);

CREATE TABLE funding_lines (
    id {ID},
    fund_id BIGINT NOT NULL REFERENCES funds(id),
    org_unit_id BIGINT NOT NULL REFERENCES org_units(id),
    name TEXT NOT NULL,
    year INTEGER NOT NULL,
    chapter TEXT,
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    committed_cents BIGINT NOT NULL CHECK (committed_cents >= 0),
    created_at {TS} NOT NULL,
    CHECK (committed_cents <= amount_cents)
);
CREATE INDEX funding_lines_org ON funding_lines(org_unit_id);

CREATE TABLE interventions (
    id {ID},
    case_id BIGINT NOT NULL REFERENCES cases(id),
    org_unit_id BIGINT NOT NULL REFERENCES org_units(id),
    plan_id BIGINT REFERENCES plans(id),
    catalogue_entry_id BIGINT NOT NULL REFERENCES catalogue_entries(id),
    state TEXT NOT NULL,
    requested_cents BIGINT NOT NULL CHECK (requested_cents >= 0),
    authorised_cents BIGINT CHECK (authorised_cents > 0),
    disbursed_cents BIGINT NOT NULL CHECK (disbursed_cents >= 0),
    monthly_cents BIGINT,
    monthly_hours_centi BIGINT,
    starts_on {DATE} NOT NULL,
    ends_on {DATE},
    provider_id BIGINT REFERENCES providers(id),
    funding_line_id BIGINT REFERENCES funding_lines(id),
    co_payment_monthly_cents BIGINT,
    means_test TEXT NOT NULL,
    benefit_character TEXT NOT NULL,
    isee_threshold_cents BIGINT,
    isee_id BIGINT REFERENCES isee_attestations(id),
    application_protocol TEXT,
    requested_on {DATE} NOT NULL,
    decided_on {DATE},
    requested_by BIGINT REFERENCES operators(id),
    decided_by BIGINT REFERENCES operators(id),
    reason TEXT,
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    CHECK (authorised_cents IS NULL OR disbursed_cents <= authorised_cents)
);
CREATE INDEX interventions_case ON interventions(case_id, id);
CREATE INDEX interventions_state ON interventions(org_unit_id, state, id);
CREATE INDEX interventions_provider ON interventions(provider_id);
CREATE INDEX interventions_funding_line ON interventions(funding_line_id);

CREATE TABLE intervention_events (
    id {ID},
    intervention_id BIGINT NOT NULL REFERENCES interventions(id),
    from_state TEXT,
    to_state TEXT NOT NULL,
    occurred_on {DATE} NOT NULL,
    reason TEXT,
    recorded_by BIGINT REFERENCES operators(id),
    recorded_at {TS} NOT NULL
);
CREATE INDEX intervention_events_intervention ON intervention_events(intervention_id, id);

CREATE TABLE commitments (
    id {ID},
    funding_line_id BIGINT NOT NULL REFERENCES funding_lines(id),
    intervention_id BIGINT REFERENCES interventions(id),
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    committed_on {DATE} NOT NULL,
    description TEXT,
    created_by BIGINT REFERENCES operators(id),
    created_at {TS} NOT NULL
);
CREATE INDEX commitments_line ON commitments(funding_line_id);

CREATE TABLE disbursements (
    id {ID},
    intervention_id BIGINT NOT NULL REFERENCES interventions(id),
    paid_on {DATE} NOT NULL,
    period_from {DATE} NOT NULL,
    period_to {DATE} NOT NULL,
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    ente_cents BIGINT NOT NULL,
    user_cents BIGINT NOT NULL,
    ssn_cents BIGINT NOT NULL,
    other_cents BIGINT NOT NULL,
    hours_centi BIGINT,
    recorded_by BIGINT REFERENCES operators(id),
    created_at {TS} NOT NULL
);
CREATE INDEX disbursements_intervention ON disbursements(intervention_id, id);

CREATE TABLE placements (
    id {ID},
    intervention_id BIGINT NOT NULL REFERENCES interventions(id),
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    daily_fee_cents BIGINT NOT NULL CHECK (daily_fee_cents > 0),
    starts_on {DATE} NOT NULL,
    ends_on {DATE},
    created_at {TS} NOT NULL
);
CREATE INDEX placements_intervention ON placements(intervention_id);

CREATE TABLE monthly_presences (
    id {ID},
    placement_id BIGINT NOT NULL REFERENCES placements(id),
    month {DATE} NOT NULL,
    days_present SMALLINT NOT NULL,
    amount_due_cents BIGINT NOT NULL,
    recorded_by BIGINT REFERENCES operators(id),
    recorded_at {TS} NOT NULL
);
CREATE UNIQUE INDEX monthly_presences_unique ON monthly_presences(placement_id, month);

CREATE TABLE audit_events (
    id {ID},
    occurred_at {TS} NOT NULL,
    actor_operator_id BIGINT,
    actor_label TEXT NOT NULL,
    org_unit_id BIGINT,
    action TEXT NOT NULL,
    record_kind TEXT NOT NULL,
    record_id BIGINT,
    person_id BIGINT,
    purpose TEXT
);
CREATE INDEX audit_events_person ON audit_events(person_id, id);
