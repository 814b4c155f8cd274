-- il2care record, version 1 (PostgreSQL). Never edit once released: add a new migration instead.
CREATE TABLE patients (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mrn TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    sex TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE TABLE users (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('patient', 'nurse', 'physician', 'pharmacist', 'admin')),
    patient_id BIGINT REFERENCES patients(id),
    created_at_ms BIGINT NOT NULL
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);
CREATE TABLE login_attempts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username TEXT NOT NULL,
    remote TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    success BOOLEAN NOT NULL
);
CREATE INDEX login_attempts_by_username ON login_attempts (username, at_ms);
CREATE TABLE courses (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient_id BIGINT NOT NULL REFERENCES patients(id),
    regimen TEXT NOT NULL,
    rule_set TEXT NOT NULL,
    started_at_ms BIGINT NOT NULL,
    baseline_weight_kg TEXT,
    baseline_creatinine_mg_dl TEXT,
    created_at_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE TABLE observations (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient_id BIGINT NOT NULL REFERENCES patients(id),
    client_id TEXT,
    code TEXT NOT NULL,
    value TEXT NOT NULL,
    unit TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    start_ms BIGINT,
    document TEXT NOT NULL,
    corrects_id BIGINT REFERENCES observations(id),
    recorded_at_ms BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    UNIQUE (patient_id, client_id)
);
CREATE INDEX observations_by_patient ON observations (patient_id, code, at_ms);
CREATE TABLE checkins (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient_id BIGINT NOT NULL REFERENCES patients(id),
    client_id TEXT,
    at_ms BIGINT NOT NULL,
    level TEXT NOT NULL,
    level_rank BIGINT NOT NULL,
    document TEXT NOT NULL,
    result TEXT NOT NULL,
    submitted_at_ms BIGINT NOT NULL,
    submitted_by TEXT NOT NULL,
    UNIQUE (patient_id, client_id)
);
CREATE INDEX checkins_by_patient ON checkins (patient_id, at_ms);
CREATE TABLE checkin_acknowledgements (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    checkin_id BIGINT NOT NULL REFERENCES checkins(id),
    note TEXT NOT NULL,
    acknowledged_at_ms BIGINT NOT NULL,
    acknowledged_by TEXT NOT NULL
);
CREATE TABLE assessments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient_id BIGINT NOT NULL REFERENCES patients(id),
    course_id BIGINT REFERENCES courses(id),
    at_ms BIGINT NOT NULL,
    rule_set TEXT NOT NULL,
    rule_set_version TEXT NOT NULL,
    decision TEXT NOT NULL,
    document TEXT NOT NULL,
    result TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX assessments_by_patient ON assessments (patient_id, at_ms);
CREATE TABLE dose_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient_id BIGINT NOT NULL REFERENCES patients(id),
    course_id BIGINT NOT NULL REFERENCES courses(id),
    assessment_id BIGINT REFERENCES assessments(id),
    status TEXT NOT NULL CHECK (status IN ('given', 'held')),
    at_ms BIGINT NOT NULL,
    override_reason TEXT,
    corrects_id BIGINT REFERENCES dose_events(id),
    recorded_at_ms BIGINT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE TABLE flags (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient_id BIGINT NOT NULL REFERENCES patients(id),
    code TEXT NOT NULL,
    detail TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE TABLE audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    resource TEXT NOT NULL,
    patient_id BIGINT,
    outcome TEXT NOT NULL,
    remote TEXT NOT NULL
);
CREATE INDEX audit_by_patient ON audit_log (patient_id, at_ms);
