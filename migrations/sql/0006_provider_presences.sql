-- Providers record the monthly presences of the placements assigned to them (domain.md: an
-- ente erogatore sees only its interventions: deliveries, presences, reports). The permission
-- holds for the own unit of the provider, and the record is checked against the provider of
-- the placement. (No semicolons in comments: the migration runner splits on them.)
INSERT INTO authz_rules (ptype, v0, v1, v2, created_at) VALUES ('p', 'provider', 'presence', 'record', CURRENT_TIMESTAMP);
UPDATE authz_state SET generation = generation + 1 WHERE id = 1;
