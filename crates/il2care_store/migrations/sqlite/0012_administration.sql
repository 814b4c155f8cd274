-- il2care record, version 12 (SQLite): administration. Never edit once released: add a new migration.
--
-- Accounts (not clinical tables; 0008 leaves them updatable): an admin may disable an account, give it a
-- one-time temporary password (the user must choose their own at the next sign-in) and unlock it after too
-- many wrong passwords (failures on the account up to `unlocked_at_ms` no longer count).
ALTER TABLE users ADD COLUMN disabled_at_ms INTEGER;
ALTER TABLE users ADD COLUMN temporary_password_expires_at_ms INTEGER;
ALTER TABLE users ADD COLUMN temporary_password_used_at_ms INTEGER;
ALTER TABLE users ADD COLUMN unlocked_at_ms INTEGER;
-- What a patient was admitted with beyond the demographics: the identifier system of the MRN, the language
-- of the patient's pages and the units they read. Append-only like the record: a change is a new row.
CREATE TABLE patient_preferences (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    mrn_system TEXT NOT NULL,
    language TEXT NOT NULL CHECK (language IN ('en', 'es')),
    units TEXT NOT NULL CHECK (units IN ('metric', 'us')),
    created_at_ms INTEGER NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX patient_preferences_by_patient ON patient_preferences (patient_id, id);
CREATE TRIGGER patient_preferences_no_update BEFORE UPDATE ON patient_preferences BEGIN SELECT RAISE(ABORT, 'patient_preferences is append-only'); END;
CREATE TRIGGER patient_preferences_no_delete BEFORE DELETE ON patient_preferences BEGIN SELECT RAISE(ABORT, 'patient_preferences is append-only'); END;
-- The audit page filters by patient, actor, action and outcome and pages by id (newest first), and by time.
CREATE INDEX audit_log_by_patient_id ON audit_log (patient_id, id);
CREATE INDEX audit_log_by_actor_id ON audit_log (actor, id);
CREATE INDEX audit_log_by_action_id ON audit_log (action, id);
CREATE INDEX audit_log_by_outcome_id ON audit_log (outcome, id);
CREATE INDEX audit_log_by_at ON audit_log (at_ms, id);
