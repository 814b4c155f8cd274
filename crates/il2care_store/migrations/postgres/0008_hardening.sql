-- il2care record, version 8 (PostgreSQL): a tamper-evident audit log, a write probe for /healthz, and the refusal
-- of UPDATE and DELETE on the audit log and the clinical tables. Never edit once released: add a new migration.
--
-- Each audit entry carries its place in the chain and a SHA-256 over its fields and the previous entry's hash
-- (computed by the store, see audit.rs); entries from before this migration have none and are reported as
-- unchained by `il2care audit verify`. The chain head is one row, locked (SELECT ... FOR UPDATE) and updated in
-- the same transaction as the entries it covers: concurrent writers extend the chain one after the other, and
-- deleting the newest entries is detected too.
ALTER TABLE audit_log ADD COLUMN chain_seq BIGINT;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_log_by_chain_seq ON audit_log (chain_seq);
CREATE TABLE audit_chain_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, '');
-- One row the group-commit writer updates when /healthz asks whether writes commit.
CREATE TABLE writer_probe (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    at_ms BIGINT NOT NULL
);
INSERT INTO writer_probe (id, at_ms) VALUES (1, 0);
-- Append-only: the record and its audit trail are never changed or removed in place (TRUNCATE included).
CREATE FUNCTION il2care_refuse_change() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION il2care_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION il2care_refuse_change();
CREATE TRIGGER patients_append_only BEFORE UPDATE OR DELETE ON patients FOR EACH ROW EXECUTE FUNCTION il2care_refuse_change();
CREATE TRIGGER patients_no_truncate BEFORE TRUNCATE ON patients FOR EACH STATEMENT EXECUTE FUNCTION il2care_refuse_change();
CREATE TRIGGER courses_append_only BEFORE UPDATE OR DELETE ON courses FOR EACH ROW EXECUTE FUNCTION il2care_refuse_change();
CREATE TRIGGER courses_no_truncate BEFORE TRUNCATE ON courses FOR EACH STATEMENT EXECUTE FUNCTION il2care_refuse_change();
CREATE TRIGGER observations_append_only BEFORE UPDATE OR DELETE ON observations FOR EACH ROW EXECUTE FUNCTION il2care_refuse_change();
CREATE TRIGGER observations_no_truncate BEFORE TRUNCATE ON observations FOR EACH STATEMENT EXECUTE FUNCTION il2care_refuse_change();
CREATE TRIGGER checkins_append_only BEFORE UPDATE OR DELETE ON checkins FOR EACH ROW EXECUTE FUNCTION il2care_refuse_change();
CREATE TRIGGER checkins_no_truncate BEFORE TRUNCATE ON checkins FOR EACH STATEMENT EXECUTE FUNCTION il2care_refuse_change();
CREATE TRIGGER checkin_acknowledgements_append_only BEFORE UPDATE OR DELETE ON checkin_acknowledgements FOR EACH ROW EXECUTE FUNCTION il2care_refuse_change();
CREATE TRIGGER checkin_acknowledgements_no_truncate BEFORE TRUNCATE ON checkin_acknowledgements FOR EACH STATEMENT EXECUTE FUNCTION il2care_refuse_change();
CREATE TRIGGER assessments_append_only BEFORE UPDATE OR DELETE ON assessments FOR EACH ROW EXECUTE FUNCTION il2care_refuse_change();
CREATE TRIGGER assessments_no_truncate BEFORE TRUNCATE ON assessments FOR EACH STATEMENT EXECUTE FUNCTION il2care_refuse_change();
CREATE TRIGGER assessment_summaries_append_only BEFORE UPDATE OR DELETE ON assessment_summaries FOR EACH ROW EXECUTE FUNCTION il2care_refuse_change();
CREATE TRIGGER assessment_summaries_no_truncate BEFORE TRUNCATE ON assessment_summaries FOR EACH STATEMENT EXECUTE FUNCTION il2care_refuse_change();
CREATE TRIGGER dose_events_append_only BEFORE UPDATE OR DELETE ON dose_events FOR EACH ROW EXECUTE FUNCTION il2care_refuse_change();
CREATE TRIGGER dose_events_no_truncate BEFORE TRUNCATE ON dose_events FOR EACH STATEMENT EXECUTE FUNCTION il2care_refuse_change();
CREATE TRIGGER flags_append_only BEFORE UPDATE OR DELETE ON flags FOR EACH ROW EXECUTE FUNCTION il2care_refuse_change();
CREATE TRIGGER flags_no_truncate BEFORE TRUNCATE ON flags FOR EACH STATEMENT EXECUTE FUNCTION il2care_refuse_change();
CREATE TRIGGER injections_append_only BEFORE UPDATE OR DELETE ON injections FOR EACH ROW EXECUTE FUNCTION il2care_refuse_change();
CREATE TRIGGER injections_no_truncate BEFORE TRUNCATE ON injections FOR EACH STATEMENT EXECUTE FUNCTION il2care_refuse_change();
CREATE TRIGGER screenings_append_only BEFORE UPDATE OR DELETE ON screenings FOR EACH ROW EXECUTE FUNCTION il2care_refuse_change();
CREATE TRIGGER screenings_no_truncate BEFORE TRUNCATE ON screenings FOR EACH STATEMENT EXECUTE FUNCTION il2care_refuse_change();
-- Sign-in throttling counts failures per client address as well as per account.
CREATE INDEX login_attempts_by_remote ON login_attempts (remote, at_ms);
