-- il2care record, version 16 (SQLite): each course's latest stored decision in one row, so the worklist reads one
-- small row per course instead of grouping every summary (issue 18: the worklist at 10,000 patients). Never edit
-- once released: add a new migration instead.
--
-- Derived data, written only by the trigger below (and the backfill), in the same transaction as the decision
-- itself: the summary (migration 0005) with the highest assessment id of each course. Decisions without a course
-- are not kept here.
CREATE TABLE latest_assessment_summaries (
    course_id INTEGER PRIMARY KEY REFERENCES courses(id),
    assessment_id INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    decision TEXT NOT NULL,
    fired_ids TEXT NOT NULL
);
CREATE TRIGGER assessment_summaries_latest AFTER INSERT ON assessment_summaries WHEN NEW.course_id IS NOT NULL
BEGIN
    INSERT INTO latest_assessment_summaries (course_id, assessment_id, at_ms, decision, fired_ids)
    VALUES (NEW.course_id, NEW.assessment_id, NEW.at_ms, NEW.decision, NEW.fired_ids)
    ON CONFLICT (course_id) DO UPDATE SET assessment_id = excluded.assessment_id, at_ms = excluded.at_ms,
        decision = excluded.decision, fired_ids = excluded.fired_ids
    WHERE excluded.assessment_id > latest_assessment_summaries.assessment_id;
END;
INSERT INTO latest_assessment_summaries (course_id, assessment_id, at_ms, decision, fired_ids)
SELECT s.course_id, s.assessment_id, s.at_ms, s.decision, s.fired_ids
FROM assessment_summaries s
JOIN (SELECT course_id, MAX(assessment_id) AS latest_id FROM assessment_summaries WHERE course_id IS NOT NULL
      GROUP BY course_id) l ON l.latest_id = s.assessment_id;
