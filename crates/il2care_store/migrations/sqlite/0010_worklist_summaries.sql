-- il2care record, version 10 (SQLite): what the worklist shows beside each high-dose course (issue 14), kept
-- in small derived tables instead of read from the observations and dose records: when each code was last
-- measured for each patient (the age of the vital signs) and each course's latest dose record (the override
-- mark). Never edit once released: add a new migration instead.
--
-- Derived data, written only by the trigger below (and the backfill), in the same transaction as the
-- observation itself: the latest `at_ms` of each (patient, code). A correction is a new observation and counts
-- at its own time.
CREATE TABLE latest_observations (
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    code TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (patient_id, code)
);
CREATE TRIGGER observations_latest AFTER INSERT ON observations
BEGIN
    INSERT INTO latest_observations (patient_id, code, at_ms) VALUES (NEW.patient_id, NEW.code, NEW.at_ms)
    ON CONFLICT (patient_id, code) DO UPDATE SET at_ms = max(latest_observations.at_ms, excluded.at_ms);
END;
INSERT INTO latest_observations (patient_id, code, at_ms)
SELECT patient_id, code, MAX(at_ms) FROM observations GROUP BY patient_id, code;
-- The latest dose record of each course (the last written: ids grow with every insert) and whether it is a dose
-- given against its decision (an override carries its reason), so the worklist marks an override without
-- grouping the dose records. Derived like the above.
CREATE TABLE latest_dose_events (
    course_id INTEGER PRIMARY KEY REFERENCES courses(id),
    dose_event_id INTEGER NOT NULL,
    given_override INTEGER NOT NULL
);
CREATE TRIGGER dose_events_latest AFTER INSERT ON dose_events
BEGIN
    INSERT INTO latest_dose_events (course_id, dose_event_id, given_override)
    VALUES (NEW.course_id, NEW.id, CASE WHEN NEW.status = 'given' AND NEW.override_reason IS NOT NULL THEN 1 ELSE 0 END)
    ON CONFLICT (course_id) DO UPDATE SET dose_event_id = excluded.dose_event_id, given_override = excluded.given_override
    WHERE excluded.dose_event_id > latest_dose_events.dose_event_id;
END;
INSERT INTO latest_dose_events (course_id, dose_event_id, given_override)
SELECT d.course_id, d.id, CASE WHEN d.status = 'given' AND d.override_reason IS NOT NULL THEN 1 ELSE 0 END
FROM dose_events d JOIN (SELECT course_id, MAX(id) AS last_id FROM dose_events GROUP BY course_id) l ON l.last_id = d.id;
