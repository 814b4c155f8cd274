-- il2care record, version 16 (PostgreSQL): each course's latest stored decision in one row, so the worklist reads
-- one small row per course instead of grouping every summary (issue 18: the worklist at 10,000 patients). Never
-- edit once released: add a new migration instead.
--
-- Derived data, written only by the trigger below (and the backfill), in the same transaction as the decision
-- itself: the summary (migration 0005) with the highest assessment id of each course. Decisions without a course
-- are not kept here.
CREATE TABLE latest_assessment_summaries (
    course_id BIGINT PRIMARY KEY REFERENCES courses(id),
    assessment_id BIGINT NOT NULL,
    at_ms BIGINT NOT NULL,
    decision TEXT NOT NULL,
    fired_ids TEXT NOT NULL
);
CREATE FUNCTION assessment_summaries_note_latest() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.course_id IS NOT NULL THEN
        INSERT INTO latest_assessment_summaries (course_id, assessment_id, at_ms, decision, fired_ids)
        VALUES (NEW.course_id, NEW.assessment_id, NEW.at_ms, NEW.decision, NEW.fired_ids)
        ON CONFLICT (course_id) DO UPDATE SET assessment_id = excluded.assessment_id, at_ms = excluded.at_ms,
            decision = excluded.decision, fired_ids = excluded.fired_ids
        WHERE excluded.assessment_id > latest_assessment_summaries.assessment_id;
    END IF;
    RETURN NULL;
END;
$$;
-- No decision may be stored between the backfill and the trigger (another instance writing during the upgrade).
LOCK TABLE assessment_summaries IN SHARE ROW EXCLUSIVE MODE;
CREATE TRIGGER assessment_summaries_latest AFTER INSERT ON assessment_summaries
FOR EACH ROW EXECUTE FUNCTION assessment_summaries_note_latest();
INSERT INTO latest_assessment_summaries (course_id, assessment_id, at_ms, decision, fired_ids)
SELECT s.course_id, s.assessment_id, s.at_ms, s.decision, s.fired_ids
FROM assessment_summaries s
JOIN (SELECT course_id, MAX(assessment_id) AS latest_id FROM assessment_summaries WHERE course_id IS NOT NULL
      GROUP BY course_id) l ON l.latest_id = s.assessment_id;
