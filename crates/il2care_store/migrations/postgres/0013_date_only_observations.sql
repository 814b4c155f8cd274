-- il2care record, version 13 (PostgreSQL): date-only observations (issue 17 item 3). A FHIR Observation whose
-- effectiveDateTime is a date without a time (2026-11-30, 2026-11) is stored with its date kept in the document
-- (`at_date`, no `at`) and `at_ms` at the first instant of its UTC day or month, for ordering only. It has no
-- time, so it never counts as the latest measurement of its code (the worklist's vital-signs age): the trigger
-- function of migration 10 now leaves date-only rows out. Never edit once released.
CREATE OR REPLACE FUNCTION observations_note_latest() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.document::jsonb ? 'at_date' THEN
        RETURN NULL;
    END IF;
    INSERT INTO latest_observations (patient_id, code, at_ms) VALUES (NEW.patient_id, NEW.code, NEW.at_ms)
    ON CONFLICT (patient_id, code) DO UPDATE SET at_ms = GREATEST(latest_observations.at_ms, excluded.at_ms);
    RETURN NULL;
END;
$$;
