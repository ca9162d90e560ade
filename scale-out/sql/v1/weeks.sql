-- turnout scale-out SQL, version 1. New and active people per week (DESIGN.md §4, "Other
-- metrics"): new = members whose first event (time order, ties by event id) falls in the week;
-- active = members with an event of their own doing ({active}) in the week. Weeks are local
-- days [lo, hi) in the pipeline's zone, as days since 1970-01-01.
-- Placeholders: {weeks} (rows of week number, lo, hi), {active}. Reads `members`.
WITH w AS (
  SELECT column1 AS week, column2 AS lo, column3 AS hi FROM (VALUES {weeks})
),
firsts AS (
  SELECT t_d
  FROM (
    SELECT t_d, row_number() OVER (PARTITION BY person_id ORDER BY ts_us, event_id) AS rn
    FROM members
  )
  WHERE rn = 1
),
new_people AS (
  SELECT w.week, count(*) AS n
  FROM firsts f
  JOIN w ON f.t_d >= w.lo AND f.t_d < w.hi
  GROUP BY w.week
),
active_people AS (
  SELECT w.week, count(DISTINCT m.person_id) AS n
  FROM members m
  JOIN w ON m.t_d >= w.lo AND m.t_d < w.hi
  WHERE m.action IN ({active})
  GROUP BY w.week
)
SELECT w.week, coalesce(np.n, 0) AS new_people, coalesce(ap.n, 0) AS active_people
FROM w
LEFT JOIN new_people np ON np.week = w.week
LEFT JOIN active_people ap ON ap.week = w.week
ORDER BY w.week
