-- Fields the INPS SIUSS benefit record needs beyond the core schema:
-- the operator's codice fiscale (CFOperatore), the event date (DataEvento) and whether the
-- person is taken in charge (PresaCarico). Commitments gain a kind: a release (*economia*)
-- gives back to the line what a closed intervention did not spend.
ALTER TABLE operators ADD COLUMN fiscal_code TEXT;
ALTER TABLE interventions ADD COLUMN event_on {DATE};
ALTER TABLE interventions ADD COLUMN taken_in_charge BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE commitments ADD COLUMN kind TEXT NOT NULL DEFAULT 'commitment';
