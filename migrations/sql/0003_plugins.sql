-- The plug-in registry. Every replica of the host serves the set recorded here: packages
-- (component bytes and signed manifest) are stored in the database, compiled artifacts are a
-- per-host cache on disk. `plugin_registry_state.generation` grows at every change so other
-- processes notice and reload.
CREATE TABLE plugins (
    id {ID},
    plugin_key TEXT NOT NULL UNIQUE,
    current_version_id BIGINT,
    timeout_ms BIGINT,
    fuel BIGINT,
    memory_mib BIGINT,
    quarantined_at {TS},
    quarantine_reason TEXT,
    created_at {TS} NOT NULL
);

CREATE TABLE plugin_versions (
    id {ID},
    plugin_id BIGINT NOT NULL REFERENCES plugins(id) ON DELETE CASCADE,
    version TEXT NOT NULL,
    wit_version TEXT NOT NULL,
    publisher TEXT NOT NULL,
    manifest TEXT NOT NULL,
    digest TEXT NOT NULL,
    signer_key TEXT,
    component {BLOB} NOT NULL,
    installed_at {TS} NOT NULL,
    installed_by BIGINT,
    UNIQUE (plugin_id, version)
);

CREATE TABLE plugin_enablements (
    id {ID},
    plugin_id BIGINT NOT NULL REFERENCES plugins(id) ON DELETE CASCADE,
    org_unit_id BIGINT NOT NULL REFERENCES org_units(id),
    settings TEXT NOT NULL,
    capabilities TEXT NOT NULL,
    failure_policy TEXT NOT NULL,
    enabled_at {TS} NOT NULL,
    enabled_by BIGINT,
    UNIQUE (plugin_id, org_unit_id)
);

-- What plug-ins decided or warned about a record, with the plug-in's id and version.
CREATE TABLE plugin_results (
    id {ID},
    record_kind TEXT NOT NULL,
    record_id BIGINT NOT NULL,
    hook TEXT NOT NULL,
    plugin_key TEXT NOT NULL,
    plugin_version TEXT NOT NULL,
    outcome TEXT NOT NULL,
    amount_cents BIGINT,
    reasons TEXT NOT NULL,
    created_at {TS} NOT NULL
);
CREATE INDEX plugin_results_record ON plugin_results(record_kind, record_id, id);

CREATE TABLE plugin_registry_state (
    id INTEGER PRIMARY KEY,
    generation BIGINT NOT NULL
);
INSERT INTO plugin_registry_state (id, generation) VALUES (1, 0);
