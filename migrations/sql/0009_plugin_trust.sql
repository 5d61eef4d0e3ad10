-- Trust between administrations in the plug-in registry (no semicolons in comments: the
-- runner splits on them).
-- Each plug-in has an owner: the unit of the administration that installed it. Registry-wide
-- changes (upgrade, removal) need the plug-in right in the owner unit and in every unit where
-- the plug-in is enabled.
ALTER TABLE plugins ADD COLUMN owner_org_unit_id BIGINT REFERENCES org_units(id);
-- Limits, quarantine and the lock are per enablement: an administration sets and answers for
-- its own. A locked enablement cannot be overridden by an enablement of a unit below it.
ALTER TABLE plugin_enablements ADD COLUMN timeout_ms BIGINT;
ALTER TABLE plugin_enablements ADD COLUMN fuel BIGINT;
ALTER TABLE plugin_enablements ADD COLUMN memory_mib BIGINT;
ALTER TABLE plugin_enablements ADD COLUMN max_concurrency BIGINT;
ALTER TABLE plugin_enablements ADD COLUMN locked BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE plugin_enablements ADD COLUMN quarantined_at {TS};
ALTER TABLE plugin_enablements ADD COLUMN quarantine_reason TEXT;
UPDATE plugin_enablements SET
    timeout_ms = (SELECT p.timeout_ms FROM plugins p WHERE p.id = plugin_enablements.plugin_id),
    fuel = (SELECT p.fuel FROM plugins p WHERE p.id = plugin_enablements.plugin_id),
    memory_mib = (SELECT p.memory_mib FROM plugins p WHERE p.id = plugin_enablements.plugin_id),
    quarantined_at = (SELECT p.quarantined_at FROM plugins p WHERE p.id = plugin_enablements.plugin_id),
    quarantine_reason = (SELECT p.quarantine_reason FROM plugins p WHERE p.id = plugin_enablements.plugin_id);
-- A removed plug-in leaves a tombstone: its id stays with its publisher and cannot come back
-- at a version lower than or equal to the highest one installed.
CREATE TABLE plugin_tombstones (
    id {ID},
    plugin_key TEXT NOT NULL UNIQUE,
    publisher TEXT NOT NULL,
    highest_version TEXT NOT NULL,
    removed_at {TS} NOT NULL,
    removed_by BIGINT
);
-- The signature of each stored package, checked against the trusted publishers at every load.
ALTER TABLE plugin_versions ADD COLUMN signature TEXT;
-- The SHA-256 of each precompiled artifact a host wrote (per component and engine): an
-- artifact is native code and is loaded only when the file on disk matches.
CREATE TABLE plugin_artifacts (
    id {ID},
    component_digest TEXT NOT NULL,
    engine TEXT NOT NULL,
    artifact_sha256 TEXT NOT NULL,
    created_at {TS} NOT NULL,
    UNIQUE (component_digest, engine)
);
-- Calls and faults per enablement and minute, summed by every replica: quarantine follows the
-- fault rate across replicas.
CREATE TABLE plugin_call_stats (
    id {ID},
    plugin_id BIGINT NOT NULL REFERENCES plugins(id) ON DELETE CASCADE,
    org_unit_id BIGINT NOT NULL,
    minute {TS} NOT NULL,
    calls BIGINT NOT NULL,
    faults BIGINT NOT NULL,
    UNIQUE (plugin_id, org_unit_id, minute)
);
-- Every answer of deciding plug-ins is stored, with the one applied marked.
ALTER TABLE plugin_results ADD COLUMN applied BOOLEAN NOT NULL DEFAULT TRUE;
UPDATE plugin_registry_state SET generation = generation + 1 WHERE id = 1;
