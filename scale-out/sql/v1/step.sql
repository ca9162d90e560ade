-- turnout scale-out SQL, version 1. Stage {k} of an ordered funnel (DESIGN.md §4.2, §4.4): per
-- person who filled stage {k} - 1 (`frontier`), the earliest event matching stage {k} that is
-- not before that fill and not after entry + window (each compared at the coarser precision of
-- the pair), that filled no earlier stage (`fills`) and, when earlier stages {same} have the
-- same predicate, whose occasion none of them was filled with.
-- Exclusions are windows over candidates and fills together, not anti-joins: one shuffle by
-- person, and a plan Ballista runs as well as DataFusion.
-- Placeholders: {k}; {same} (the earlier stages with stage {k}'s predicate, or 0 for none).
WITH cand AS (
  SELECT
    e.person_id, e.event_id, e.occasion_key, e.ts_us, e.prec, e.t_s, e.t_m, e.t_d,
    f.p1, f.b_s, f.b_m, f.b_d
  FROM frontier f
  JOIN stage_events e ON e.person_id = f.person_id
  WHERE e.stage = {k}
    AND CASE greatest(e.prec, f.prec) WHEN 0 THEN e.t_s >= f.t_s WHEN 1 THEN e.t_m >= f.t_m ELSE e.t_d >= f.t_d END
    AND CASE greatest(e.prec, f.p1) WHEN 0 THEN e.t_s <= f.b_s WHEN 1 THEN e.t_m <= f.b_m ELSE e.t_d <= f.b_d END
),
tagged AS (
  SELECT
    person_id, event_id, occasion_key, ts_us, prec, t_s, t_m, t_d, p1, b_s, b_m, b_d,
    CAST(1 AS BIGINT) AS is_candidate, CAST(0 AS BIGINT) AS fills_event, CAST(0 AS BIGINT) AS fills_occasion
  FROM cand
  UNION ALL
  SELECT
    person_id, event_id, occasion_key, ts_us, prec, t_s, t_m, t_d, p1, b_s, b_m, b_d,
    CAST(0 AS BIGINT), CAST(1 AS BIGINT), CAST(CASE WHEN stage IN ({same}) THEN 1 ELSE 0 END AS BIGINT)
  FROM fills
),
flagged AS (
  SELECT
    *,
    max(fills_event) OVER (PARTITION BY person_id, event_id) AS event_used,
    max(fills_occasion) OVER (PARTITION BY person_id, occasion_key) AS occasion_used
  FROM tagged
),
ranked AS (
  SELECT
    person_id, event_id, occasion_key, ts_us, prec, t_s, t_m, t_d, p1, b_s, b_m, b_d,
    row_number() OVER (PARTITION BY person_id ORDER BY ts_us, event_id) AS rn
  FROM flagged
  WHERE is_candidate = 1 AND event_used = 0 AND occasion_used = 0
)
SELECT
  person_id, CAST({k} AS BIGINT) AS stage, event_id, occasion_key, ts_us, prec, t_s, t_m, t_d,
  p1, b_s, b_m, b_d
FROM ranked
WHERE rn = 1
