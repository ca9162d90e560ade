-- turnout scale-out SQL, version 1. The time and precision of every fill (`all_fills`: person,
-- stage, event, as the funnel's steps chose them): what the entry cohorts, the weekly counts
-- and the time to convert are computed from (DESIGN.md §4.6-4.8).
SELECT f.person_id, f.stage, f.event_id, arrow_cast(t.ts, 'Int64') AS ts_us, t.ts_precision
FROM all_fills f
JOIN timeline t ON t.person_id = f.person_id AND t.event_id = f.event_id
