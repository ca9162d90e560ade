-- turnout scale-out SQL, version 1. Stage 1 (DESIGN.md §4.1): per person who is not an
-- organizer, the first event matching stage 1 over all the data, in time order, ties by
-- event id. Carries what later stages compare with: the entry's precision and the window's
-- bound (entry + window) truncated to each precision.
-- Placeholders: {tz}, {window_us}.
SELECT
  person_id, CAST(1 AS BIGINT) AS stage, event_id, occasion_key, ts_us, prec, t_s, t_m, t_d,
  p1, b_s, b_m, b_d
FROM (
  SELECT
    e.person_id, e.event_id, e.occasion_key, e.ts_us, e.prec, e.t_s, e.t_m, e.t_d,
    e.prec AS p1,
    (e.ts_us + {window_us}) / 1000000 AS b_s,
    (e.ts_us + {window_us}) / 60000000 AS b_m,
    arrow_cast(arrow_cast(to_char(
      arrow_cast(e.ts_us + {window_us}, 'Timestamp(Microsecond, Some("UTC"))') AT TIME ZONE '{tz}',
      '%Y-%m-%d'), 'Date32'), 'Int32') AS b_d,
    row_number() OVER (PARTITION BY e.person_id ORDER BY e.ts_us, e.event_id) AS rn
  FROM stage_events e
  LEFT JOIN organizers o ON o.person_id = e.person_id
  WHERE e.stage = 1 AND o.person_id IS NULL
)
WHERE rn = 1
