-- il2care record, version 7 (PostgreSQL): the ward's record-side safety (ASSESSMENT §10.4-§10.6, TRIAGE amendment 3).
-- Never edit once released: add a new migration instead. Append-only like 0001: settings, delays and clearances
-- are new rows; the latest row wins.
--
-- A dose record names its slot (course-wide: cycle 1 slots 1-15, cycle 2 slots 16-30), the override's reason
-- code, the co-signing physician and the form's idempotency key. One `given` per slot: the unique index below
-- (rows written before this migration have no slot and are not covered). A correction (corrects_id) is not
-- covered either; it replaces its row.
ALTER TABLE dose_events ADD COLUMN slot_number BIGINT;
ALTER TABLE dose_events ADD COLUMN idempotency_key TEXT;
ALTER TABLE dose_events ADD COLUMN reason_code TEXT;
ALTER TABLE dose_events ADD COLUMN cosigned_by TEXT;
CREATE UNIQUE INDEX dose_events_one_given_per_slot ON dose_events (course_id, slot_number)
    WHERE status = 'given' AND slot_number IS NOT NULL AND corrects_id IS NULL;
CREATE UNIQUE INDEX dose_events_by_idempotency_key ON dose_events (patient_id, idempotency_key);
-- The injection log: one standing entry per slot. `standing_slot` is the slot of an entry that is not a
-- correction (written by the store, never by a caller); rows from before this migration have none.
ALTER TABLE injections ADD COLUMN standing_slot BIGINT;
CREATE UNIQUE INDEX injections_one_per_slot ON injections (course_id, standing_slot) WHERE standing_slot IS NOT NULL;
-- Per-patient settings set by a physician (the consensus target systolic pressure), latest row wins.
CREATE TABLE patient_settings (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient_id BIGINT NOT NULL REFERENCES patients(id),
    target_systolic_bp TEXT,
    set_at_ms BIGINT NOT NULL,
    set_by TEXT NOT NULL
);
CREATE INDEX patient_settings_by_patient ON patient_settings (patient_id, id);
-- Site settings by name (`tachycardia_hold_min`, `default_rule_set`), latest row per name wins.
CREATE TABLE site_settings (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    set_at_ms BIGINT NOT NULL,
    set_by TEXT NOT NULL
);
CREATE INDEX site_settings_by_name ON site_settings (name, id);
-- A physician's record that cycle 2 starts later than day 15 (ASSESSMENT §10.5).
CREATE TABLE cycle_two_delays (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id BIGINT NOT NULL REFERENCES courses(id),
    start_day BIGINT NOT NULL CHECK (start_day >= 15),
    reason TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX cycle_two_delays_by_course ON cycle_two_delays (course_id, id);
-- A clinician's record that the call-back after an urgent check-in cleared the next shot (TRIAGE amendment 3).
CREATE TABLE checkin_clearances (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    checkin_id BIGINT NOT NULL UNIQUE REFERENCES checkins(id),
    note TEXT NOT NULL,
    cleared_at_ms BIGINT NOT NULL,
    cleared_by TEXT NOT NULL
);
