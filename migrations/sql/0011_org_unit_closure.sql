-- The organisation hierarchy materialised as a closure: one row for every unit and each of its
-- ancestors (itself included, at depth 0). A list restricted to a region's subtree joins it
-- (`org_unit_id IN (SELECT unit_id FROM org_unit_closure WHERE ancestor_id = ?)`) instead of
-- sending the subtree's ids, thousands for a region, in every statement. Units never move, so a
-- unit's rows are written once, with the unit (host/store/src/repo/org.rs).
CREATE TABLE org_unit_closure (
    ancestor_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    depth INTEGER NOT NULL,
    PRIMARY KEY (ancestor_id, unit_id)
);
CREATE INDEX org_unit_closure_unit ON org_unit_closure(unit_id);
INSERT INTO org_unit_closure (ancestor_id, unit_id, depth)
WITH RECURSIVE up(ancestor_id, unit_id, depth) AS (
    SELECT id, id, 0 FROM org_units
    UNION ALL
    SELECT o.parent_id, up.unit_id, up.depth + 1
    FROM up JOIN org_units o ON o.id = up.ancestor_id
    WHERE o.parent_id IS NOT NULL AND up.depth < 64
)
SELECT ancestor_id, unit_id, depth FROM up;
