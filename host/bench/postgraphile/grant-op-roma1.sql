-- What siso-bench does after generating the data (host/bench/src/main.rs): the load runs as
-- op.roma1, given the operator and paymaster roles in every root unit, so it reads every
-- generated case and each read still goes through siso's authorization check.
-- psql "$DATABASE_URL" -f grant-op-roma1.sql   (once, on a database siso-bench did not prepare)
INSERT INTO authz_rules (ptype, v0, v1, v2)
SELECT 'g', 'op:' || CAST(o.id AS TEXT), r.role, CAST(u.id AS TEXT)
FROM operators o, org_units u, (VALUES ('operator'), ('paymaster')) AS r(role)
WHERE o.username = 'op.roma1' AND u.parent_id IS NULL;
UPDATE authz_state SET generation = generation + 1;
