-- turnout scale-out SQL, version 1. A breakdown by the event that filled stage {stage}
-- (DESIGN.md §4.9): per person who reached it, that event's {column}, unless blank.
-- Placeholders: {column} (a timeline column, quoted), {stage}.
SELECT f.person_id, CAST(t.{column} AS VARCHAR) AS value
FROM all_fills f
JOIN timeline t ON t.person_id = f.person_id AND t.event_id = f.event_id
WHERE f.stage = {stage}
  AND t.{column} IS NOT NULL
  AND NOT regexp_like(CAST(t.{column} AS VARCHAR), '^\s*$')
