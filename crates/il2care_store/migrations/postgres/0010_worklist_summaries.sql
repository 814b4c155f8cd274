-- il2care record, version 10 (PostgreSQL): what the worklist shows beside each high-dose course (issue 14), kept
-- in small derived tables instead of read from the observations and dose records: when each code was last
-- measured for each patient (the age of the vital signs) and each course's latest dose record (the override
-- mark). Never edit once released: add a new migration instead.
--
-- Derived data, written only by the trigger below (and the backfill), in the same transaction as the
-- observation itself: the latest `at_ms` of each (patient, code). A correction is a new observation and counts
-- at its own time.
CREATE TABLE latest_observations (
    patient_id BIGINT NOT NULL REFERENCES patients(id),
    code TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (patient_id, code)
);
CREATE FUNCTION observations_note_latest() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO latest_observations (patient_id, code, at_ms) VALUES (NEW.patient_id, NEW.code, NEW.at_ms)
    ON CONFLICT (patient_id, code) DO UPDATE SET at_ms = GREATEST(latest_observations.at_ms, excluded.at_ms);
    RETURN NULL;
END;
$$;
-- No observation may be stored between the backfill and the trigger (another instance writing during the upgrade).
LOCK TABLE observations IN SHARE ROW EXCLUSIVE MODE;
CREATE TRIGGER observations_latest AFTER INSERT ON observations FOR EACH ROW EXECUTE FUNCTION observations_note_latest();
INSERT INTO latest_observations (patient_id, code, at_ms)
SELECT patient_id, code, MAX(at_ms) FROM observations GROUP BY patient_id, code;
-- The latest dose record of each course (the last written: ids grow with every insert) and whether it is a dose
-- given against its decision (an override carries its reason), so the worklist marks an override without
-- grouping the dose records. Derived like the above.
CREATE TABLE latest_dose_events (
    course_id BIGINT PRIMARY KEY REFERENCES courses(id),
    dose_event_id BIGINT NOT NULL,
    given_override BIGINT NOT NULL
);
CREATE FUNCTION dose_events_note_latest() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO latest_dose_events (course_id, dose_event_id, given_override)
    VALUES (NEW.course_id, NEW.id, CASE WHEN NEW.status = 'given' AND NEW.override_reason IS NOT NULL THEN 1 ELSE 0 END)
    ON CONFLICT (course_id) DO UPDATE SET dose_event_id = excluded.dose_event_id, given_override = excluded.given_override
    WHERE excluded.dose_event_id > latest_dose_events.dose_event_id;
    RETURN NULL;
END;
$$;
LOCK TABLE dose_events IN SHARE ROW EXCLUSIVE MODE;
CREATE TRIGGER dose_events_latest AFTER INSERT ON dose_events FOR EACH ROW EXECUTE FUNCTION dose_events_note_latest();
INSERT INTO latest_dose_events (course_id, dose_event_id, given_override)
SELECT d.course_id, d.id, CASE WHEN d.status = 'given' AND d.override_reason IS NOT NULL THEN 1 ELSE 0 END
FROM dose_events d JOIN (SELECT course_id, MAX(id) AS last_id FROM dose_events GROUP BY course_id) l ON l.last_id = d.id;
