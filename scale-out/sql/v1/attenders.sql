-- turnout scale-out SQL, version 1. Repeat attendance and first digital touch to first meeting
-- (DESIGN.md §4, "Other metrics"), per member who attended at least once: what
-- `turnout::funnel::organizing::AttenderTally` holds. The first attendance is the earliest
-- (ties by event id). Came back within N days: another attendance of a different occasion, not
-- before the first and not after first + N days (each compared at the coarser precision of
-- the pair, days in the pipeline's zone). The first digital touch is the earliest event on a
-- digital channel ({digital}).
-- Placeholders: {tz}, {digital}. Reads `members`.
WITH att AS (
  SELECT
    person_id, event_id, ts_us, prec, t_s, t_m, t_d, occasion_key,
    row_number() OVER (PARTITION BY person_id ORDER BY ts_us, event_id) AS rn
  FROM members
  WHERE action = 'attended'
),
first AS (
  SELECT
    person_id, event_id, ts_us, prec, t_s, t_m, t_d, occasion_key,
    (ts_us + 30 * 86400000000) / 1000000 AS b30_s,
    (ts_us + 30 * 86400000000) / 60000000 AS b30_m,
    arrow_cast(arrow_cast(to_char(
      arrow_cast(ts_us + 30 * 86400000000, 'Timestamp(Microsecond, Some("UTC"))') AT TIME ZONE '{tz}',
      '%Y-%m-%d'), 'Date32'), 'Int32') AS b30_d,
    (ts_us + 60 * 86400000000) / 1000000 AS b60_s,
    (ts_us + 60 * 86400000000) / 60000000 AS b60_m,
    arrow_cast(arrow_cast(to_char(
      arrow_cast(ts_us + 60 * 86400000000, 'Timestamp(Microsecond, Some("UTC"))') AT TIME ZONE '{tz}',
      '%Y-%m-%d'), 'Date32'), 'Int32') AS b60_d
  FROM att
  WHERE rn = 1
),
back AS (
  SELECT
    f.person_id,
    max(CASE greatest(a.prec, f.prec)
      WHEN 0 THEN CASE WHEN a.t_s <= f.b30_s THEN 1 ELSE 0 END
      WHEN 1 THEN CASE WHEN a.t_m <= f.b30_m THEN 1 ELSE 0 END
      ELSE CASE WHEN a.t_d <= f.b30_d THEN 1 ELSE 0 END
    END) AS back30,
    max(CASE greatest(a.prec, f.prec)
      WHEN 0 THEN CASE WHEN a.t_s <= f.b60_s THEN 1 ELSE 0 END
      WHEN 1 THEN CASE WHEN a.t_m <= f.b60_m THEN 1 ELSE 0 END
      ELSE CASE WHEN a.t_d <= f.b60_d THEN 1 ELSE 0 END
    END) AS back60
  FROM first f
  JOIN att a ON a.person_id = f.person_id
  WHERE a.event_id <> f.event_id
    AND a.occasion_key <> f.occasion_key
    AND CASE greatest(a.prec, f.prec) WHEN 0 THEN a.t_s >= f.t_s WHEN 1 THEN a.t_m >= f.t_m ELSE a.t_d >= f.t_d END
  GROUP BY f.person_id
),
digital AS (
  SELECT person_id, ts_us, prec
  FROM (
    SELECT person_id, ts_us, prec, row_number() OVER (PARTITION BY person_id ORDER BY ts_us, event_id) AS rn
    FROM members
    WHERE channel IN ({digital})
  )
  WHERE rn = 1
)
SELECT
  f.person_id, f.ts_us AS first_ts, f.prec AS first_prec,
  coalesce(b.back30, 0) AS back30, coalesce(b.back60, 0) AS back60,
  d.ts_us AS digital_ts, d.prec AS digital_prec
FROM first f
LEFT JOIN back b ON b.person_id = f.person_id
LEFT JOIN digital d ON d.person_id = f.person_id
ORDER BY f.person_id
