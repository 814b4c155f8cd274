-- il2care record, version 9 (PostgreSQL): the checklist gates the course (SCREENING §1 amendment of 2026-12-04).
-- Never edit once released: add a new migration instead. Append-only.
-- course_screenings ties a screening to the course it was run for (the latest one of a course gates its first
-- dose); screening_decisions keeps each physician's acknowledgement of a needs_review item or override of a fail
-- item, with who, when and why (the audit log has each write too).
CREATE TABLE course_screenings (
    screening_id BIGINT PRIMARY KEY REFERENCES screenings(id),
    course_id BIGINT NOT NULL REFERENCES courses(id)
);
CREATE INDEX course_screenings_by_course ON course_screenings (course_id);
CREATE TABLE screening_decisions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    screening_id BIGINT NOT NULL REFERENCES screenings(id),
    item BIGINT NOT NULL CHECK (item BETWEEN 1 AND 19),
    kind TEXT NOT NULL CHECK (kind IN ('acknowledge', 'override')),
    reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    decided_at_ms BIGINT NOT NULL,
    decided_by TEXT NOT NULL
);
CREATE INDEX screening_decisions_by_screening ON screening_decisions (screening_id, item);
