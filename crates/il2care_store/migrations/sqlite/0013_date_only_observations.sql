-- il2care record, version 13 (SQLite): date-only observations (issue 17 item 3). A FHIR Observation whose
-- effectiveDateTime is a date without a time (2026-11-30, 2026-11) is stored with its date kept in the document
-- (`at_date`, no `at`) and `at_ms` at the first instant of its UTC day or month, for ordering only. It has no
-- time, so it never counts as the latest measurement of its code (the worklist's vital-signs age): the trigger
-- of migration 10 is replaced by one that leaves date-only rows out. Never edit once released.
DROP TRIGGER observations_latest;
CREATE TRIGGER observations_latest AFTER INSERT ON observations
WHEN json_extract(NEW.document, '$.at_date') IS NULL
BEGIN
    INSERT INTO latest_observations (patient_id, code, at_ms) VALUES (NEW.patient_id, NEW.code, NEW.at_ms)
    ON CONFLICT (patient_id, code) DO UPDATE SET at_ms = max(latest_observations.at_ms, excluded.at_ms);
END;
