-- turnout scale-out SQL, version 1. A first-touch breakdown (DESIGN.md §4.9): per person who
-- entered, the first non-blank value of {column} among their events up to and including the
-- entry event, in time order (ties by event id).
-- Placeholders: {column} (a timeline column, quoted).
WITH entry AS (
  SELECT f.person_id, f.event_id, arrow_cast(t.ts, 'Int64') AS ts_us
  FROM all_fills f
  JOIN timeline t ON t.person_id = f.person_id AND t.event_id = f.event_id
  WHERE f.stage = 1
),
ranked AS (
  SELECT
    t.person_id, CAST(t.{column} AS VARCHAR) AS value,
    row_number() OVER (PARTITION BY t.person_id ORDER BY arrow_cast(t.ts, 'Int64'), t.event_id) AS rn
  FROM entry e
  JOIN timeline t ON t.person_id = e.person_id
  WHERE t.{column} IS NOT NULL
    AND NOT regexp_like(CAST(t.{column} AS VARCHAR), '^\s*$')
    AND (arrow_cast(t.ts, 'Int64') < e.ts_us OR (arrow_cast(t.ts, 'Int64') = e.ts_us AND t.event_id <= e.event_id))
)
SELECT person_id, value FROM ranked WHERE rn = 1
