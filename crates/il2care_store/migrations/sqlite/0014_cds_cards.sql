-- il2care record, version 14 (SQLite): the CDS Hooks cards il2care issued, so feedback is accepted only for
-- them and its audit entry names their patient. Never edit once released: add a new migration instead.
-- A row is written in the same commit as the call's audit entry (the group-commit writer), is never changed,
-- and is pruned once past `kept_until_ms` (as `cds_token_uses` is): feedback for an older card is refused.
CREATE TABLE cds_cards (
    uuid TEXT PRIMARY KEY,
    service_id TEXT NOT NULL,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    issued_to TEXT NOT NULL,
    issued_at_ms INTEGER NOT NULL,
    kept_until_ms INTEGER NOT NULL
);
CREATE INDEX cds_cards_by_expiry ON cds_cards (kept_until_ms);
CREATE TRIGGER cds_cards_no_update BEFORE UPDATE ON cds_cards BEGIN SELECT RAISE(ABORT, 'cds_cards is append-only'); END;
