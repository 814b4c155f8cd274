-- il2care record, version 8 (SQLite): a tamper-evident audit log, a write probe for /healthz, and the refusal
-- of UPDATE and DELETE on the audit log and the clinical tables. Never edit once released: add a new migration.
--
-- Each audit entry carries its place in the chain and a SHA-256 over its fields and the previous entry's hash
-- (computed by the store, see audit.rs); entries from before this migration have none and are reported as
-- unchained by `il2care audit verify`. The chain head is one row, updated in the same transaction as the
-- entries it covers, so deleting the newest entries is detected too.
ALTER TABLE audit_log ADD COLUMN chain_seq INTEGER;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_log_by_chain_seq ON audit_log (chain_seq);
CREATE TABLE audit_chain_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, '');
-- One row the group-commit writer updates when /healthz asks whether writes commit.
CREATE TABLE writer_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at_ms INTEGER NOT NULL
);
INSERT INTO writer_probe (id, at_ms) VALUES (1, 0);
-- Append-only: the record and its audit trail are never changed or removed in place.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER patients_no_update BEFORE UPDATE ON patients BEGIN SELECT RAISE(ABORT, 'patients is append-only'); END;
CREATE TRIGGER patients_no_delete BEFORE DELETE ON patients BEGIN SELECT RAISE(ABORT, 'patients is append-only'); END;
CREATE TRIGGER courses_no_update BEFORE UPDATE ON courses BEGIN SELECT RAISE(ABORT, 'courses is append-only'); END;
CREATE TRIGGER courses_no_delete BEFORE DELETE ON courses BEGIN SELECT RAISE(ABORT, 'courses is append-only'); END;
CREATE TRIGGER observations_no_update BEFORE UPDATE ON observations BEGIN SELECT RAISE(ABORT, 'observations is append-only'); END;
CREATE TRIGGER observations_no_delete BEFORE DELETE ON observations BEGIN SELECT RAISE(ABORT, 'observations is append-only'); END;
CREATE TRIGGER checkins_no_update BEFORE UPDATE ON checkins BEGIN SELECT RAISE(ABORT, 'checkins is append-only'); END;
CREATE TRIGGER checkins_no_delete BEFORE DELETE ON checkins BEGIN SELECT RAISE(ABORT, 'checkins is append-only'); END;
CREATE TRIGGER checkin_acknowledgements_no_update BEFORE UPDATE ON checkin_acknowledgements BEGIN SELECT RAISE(ABORT, 'checkin_acknowledgements is append-only'); END;
CREATE TRIGGER checkin_acknowledgements_no_delete BEFORE DELETE ON checkin_acknowledgements BEGIN SELECT RAISE(ABORT, 'checkin_acknowledgements is append-only'); END;
CREATE TRIGGER assessments_no_update BEFORE UPDATE ON assessments BEGIN SELECT RAISE(ABORT, 'assessments is append-only'); END;
CREATE TRIGGER assessments_no_delete BEFORE DELETE ON assessments BEGIN SELECT RAISE(ABORT, 'assessments is append-only'); END;
CREATE TRIGGER assessment_summaries_no_update BEFORE UPDATE ON assessment_summaries BEGIN SELECT RAISE(ABORT, 'assessment_summaries is append-only'); END;
CREATE TRIGGER assessment_summaries_no_delete BEFORE DELETE ON assessment_summaries BEGIN SELECT RAISE(ABORT, 'assessment_summaries is append-only'); END;
CREATE TRIGGER dose_events_no_update BEFORE UPDATE ON dose_events BEGIN SELECT RAISE(ABORT, 'dose_events is append-only'); END;
CREATE TRIGGER dose_events_no_delete BEFORE DELETE ON dose_events BEGIN SELECT RAISE(ABORT, 'dose_events is append-only'); END;
CREATE TRIGGER flags_no_update BEFORE UPDATE ON flags BEGIN SELECT RAISE(ABORT, 'flags is append-only'); END;
CREATE TRIGGER flags_no_delete BEFORE DELETE ON flags BEGIN SELECT RAISE(ABORT, 'flags is append-only'); END;
CREATE TRIGGER injections_no_update BEFORE UPDATE ON injections BEGIN SELECT RAISE(ABORT, 'injections is append-only'); END;
CREATE TRIGGER injections_no_delete BEFORE DELETE ON injections BEGIN SELECT RAISE(ABORT, 'injections is append-only'); END;
CREATE TRIGGER screenings_no_update BEFORE UPDATE ON screenings BEGIN SELECT RAISE(ABORT, 'screenings is append-only'); END;
CREATE TRIGGER screenings_no_delete BEFORE DELETE ON screenings BEGIN SELECT RAISE(ABORT, 'screenings is append-only'); END;
-- Sign-in throttling counts failures per client address as well as per account.
CREATE INDEX login_attempts_by_remote ON login_attempts (remote, at_ms);
