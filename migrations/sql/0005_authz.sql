-- Authorization: the casbin policy lines (RBAC with domains) in our own table, read by the
-- small adapter of the application layer. `ptype` 'p' lines give a role a permission
-- (v0 role, v1 object, v2 action), 'g' lines give a subject a role in an organisation unit
-- (v0 subject such as 'op:42' or 'key:7', v1 role, v2 unit id), rights flow down the unit
-- hierarchy. `authz_state.generation` grows with every change of policies, grants or units,
-- so every server process notices a change and reloads.
CREATE TABLE authz_rules (
    id {ID},
    ptype TEXT NOT NULL,
    v0 TEXT NOT NULL,
    v1 TEXT NOT NULL,
    v2 TEXT NOT NULL,
    created_at {TS} NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX authz_rules_line ON authz_rules(ptype, v0, v1, v2);
CREATE INDEX authz_rules_subject ON authz_rules(v0);
CREATE TABLE authz_state (
    id INTEGER PRIMARY KEY,
    generation BIGINT NOT NULL
);
INSERT INTO authz_state (id, generation) VALUES (1, 1);
-- Machine clients: the key is shown once, only its SHA-256 is kept. Roles are 'g' lines of
-- subject 'key:<id>'.
CREATE TABLE api_keys (
    id {ID},
    name TEXT NOT NULL,
    prefix TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL,
    org_unit_id BIGINT NOT NULL REFERENCES org_units(id),
    created_by TEXT NOT NULL,
    created_at {TS} NOT NULL,
    expires_at {TS} NOT NULL,
    revoked_at {TS}
);
-- The operators that exist already keep their role in their home unit.
INSERT INTO authz_rules (ptype, v0, v1, v2, created_at)
SELECT 'g', 'op:' || CAST(id AS TEXT), role, CAST(org_unit_id AS TEXT), created_at FROM operators;
-- The roles of domain.md and their permissions.
INSERT INTO authz_rules (ptype, v0, v1, v2, created_at) VALUES
('p', 'operator', 'person', 'read', CURRENT_TIMESTAMP),
('p', 'operator', 'case', 'read', CURRENT_TIMESTAMP),
('p', 'operator', 'case', 'write', CURRENT_TIMESTAMP),
('p', 'operator', 'sheet', 'read', CURRENT_TIMESTAMP),
('p', 'operator', 'intervention', 'read', CURRENT_TIMESTAMP),
('p', 'operator', 'sensitive', 'read', CURRENT_TIMESTAMP),
('p', 'operator', 'budget', 'read', CURRENT_TIMESTAMP),
('p', 'office_head', 'person', 'read', CURRENT_TIMESTAMP),
('p', 'office_head', 'case', 'read', CURRENT_TIMESTAMP),
('p', 'office_head', 'case', 'write', CURRENT_TIMESTAMP),
('p', 'office_head', 'case', 'assign', CURRENT_TIMESTAMP),
('p', 'office_head', 'case', 'transfer', CURRENT_TIMESTAMP),
('p', 'office_head', 'sheet', 'read', CURRENT_TIMESTAMP),
('p', 'office_head', 'intervention', 'read', CURRENT_TIMESTAMP),
('p', 'office_head', 'sensitive', 'read', CURRENT_TIMESTAMP),
('p', 'office_head', 'budget', 'read', CURRENT_TIMESTAMP),
('p', 'administrative', 'person', 'read', CURRENT_TIMESTAMP),
('p', 'administrative', 'case', 'read', CURRENT_TIMESTAMP),
('p', 'administrative', 'intervention', 'read', CURRENT_TIMESTAMP),
('p', 'administrative', 'intervention', 'authorise', CURRENT_TIMESTAMP),
('p', 'administrative', 'budget', 'read', CURRENT_TIMESTAMP),
('p', 'administrative', 'budget', 'manage', CURRENT_TIMESTAMP),
('p', 'paymaster', 'person', 'read', CURRENT_TIMESTAMP),
('p', 'paymaster', 'case', 'read', CURRENT_TIMESTAMP),
('p', 'paymaster', 'intervention', 'read', CURRENT_TIMESTAMP),
('p', 'paymaster', 'payment', 'record', CURRENT_TIMESTAMP),
('p', 'paymaster', 'budget', 'read', CURRENT_TIMESTAMP),
('p', 'ambito_coordinator', 'person', 'read', CURRENT_TIMESTAMP),
('p', 'ambito_coordinator', 'case', 'read', CURRENT_TIMESTAMP),
('p', 'ambito_coordinator', 'sheet', 'read', CURRENT_TIMESTAMP),
('p', 'ambito_coordinator', 'intervention', 'read', CURRENT_TIMESTAMP),
('p', 'ambito_coordinator', 'budget', 'read', CURRENT_TIMESTAMP),
('p', 'ambito_coordinator', 'aggregate', 'read', CURRENT_TIMESTAMP),
('p', 'provider', 'intervention', 'read_assigned', CURRENT_TIMESTAMP),
('p', 'region_analyst', 'aggregate', 'read', CURRENT_TIMESTAMP),
('p', 'auditor', 'audit', 'read', CURRENT_TIMESTAMP),
('p', 'plugin_admin', 'plugin', 'manage', CURRENT_TIMESTAMP),
('p', 'org_admin', 'org', 'manage', CURRENT_TIMESTAMP),
('p', 'org_admin', 'case', 'transfer', CURRENT_TIMESTAMP);
