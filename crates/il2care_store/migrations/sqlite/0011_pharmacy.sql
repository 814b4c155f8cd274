-- il2care record, version 11 (SQLite): the pharmacist's desk (issue 16). Never edit once released. Append-only.
-- dose_verifications keeps each prepared dose a pharmacist checked and signed off: what was prepared (IU, mL,
-- bag), the vial lot and its expiry, when it was prepared, who verified and when. dosing_measurements keeps a
-- course's dosing weight or height entered at the desk when the course started without one; the latest of
-- each code feeds the dose calculation. The audit log has each write too.
CREATE TABLE dose_verifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    course_id INTEGER NOT NULL REFERENCES courses(id),
    slot_number INTEGER,
    dose_iu TEXT NOT NULL,
    volume_ml TEXT NOT NULL,
    bag_ml TEXT,
    final_concentration TEXT,
    lot TEXT NOT NULL CHECK (length(trim(lot)) > 0),
    lot_expires_on TEXT NOT NULL,
    prepared_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    verified_at_ms INTEGER NOT NULL,
    verified_by TEXT NOT NULL
);
CREATE INDEX dose_verifications_by_course ON dose_verifications (course_id, verified_at_ms);
CREATE TABLE dosing_measurements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    course_id INTEGER NOT NULL REFERENCES courses(id),
    code TEXT NOT NULL CHECK (code IN ('weight', 'height')),
    value TEXT NOT NULL,
    unit TEXT NOT NULL,
    entered TEXT NOT NULL,
    recorded_at_ms INTEGER NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX dosing_measurements_by_course ON dosing_measurements (course_id, code, recorded_at_ms);
CREATE TRIGGER dose_verifications_no_update BEFORE UPDATE ON dose_verifications BEGIN SELECT RAISE(ABORT, 'dose_verifications is append-only'); END;
CREATE TRIGGER dose_verifications_no_delete BEFORE DELETE ON dose_verifications BEGIN SELECT RAISE(ABORT, 'dose_verifications is append-only'); END;
CREATE TRIGGER dosing_measurements_no_update BEFORE UPDATE ON dosing_measurements BEGIN SELECT RAISE(ABORT, 'dosing_measurements is append-only'); END;
CREATE TRIGGER dosing_measurements_no_delete BEFORE DELETE ON dosing_measurements BEGIN SELECT RAISE(ABORT, 'dosing_measurements is append-only'); END;
