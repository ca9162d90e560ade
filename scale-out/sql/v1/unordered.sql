-- turnout scale-out SQL, version 1. Stages 2..{n} of an unordered funnel (DESIGN.md §4.3): per
-- person who entered (`frontier`, from entry.sql), the events that could fill a later stage:
-- matching one, not the entry event, and inside [entry, entry + window] (each compared at the
-- coarser precision of the pair). Which of them fill which stage is an exact matching per person
-- (distinct events; distinct occasions among identical predicates), solved by turnout's own
-- search on the client over these rows.
-- The rows are cut down without changing the answer: events of one occasion that match the
-- same set of stages are interchangeable, and a matching uses at most {n} - 1 of them, so only
-- the first {n} - 1 of each such class (in timeline order) are kept. The entry rows come too.
-- Placeholders: {n} (the number of stages).
WITH cand AS (
  SELECT
    e.person_id, e.event_id, e.occasion_key, e.ts_us, e.prec, e.action, e.source, e.tool,
    e.channel, e.context, CAST(power(2, e.stage) AS BIGINT) AS bit
  FROM frontier f
  JOIN stage_events e ON e.person_id = f.person_id
  WHERE e.stage >= 2 AND e.event_id <> f.event_id
    AND CASE greatest(e.prec, f.prec) WHEN 0 THEN e.t_s >= f.t_s WHEN 1 THEN e.t_m >= f.t_m ELSE e.t_d >= f.t_d END
    AND CASE greatest(e.prec, f.p1) WHEN 0 THEN e.t_s <= f.b_s WHEN 1 THEN e.t_m <= f.b_m ELSE e.t_d <= f.b_d END
),
classed AS (
  SELECT
    person_id, event_id, occasion_key, ts_us, prec, action, source, tool, channel, context,
    sum(bit) AS stages
  FROM cand
  GROUP BY person_id, event_id, occasion_key, ts_us, prec, action, source, tool, channel, context
),
kept AS (
  SELECT
    person_id, event_id, occasion_key, ts_us, prec, action, source, tool, channel, context,
    row_number() OVER (PARTITION BY person_id, occasion_key, stages ORDER BY ts_us, event_id) AS rn
  FROM classed
),
picked AS (
  SELECT person_id, event_id, occasion_key, ts_us, prec, action, source, tool, channel, context
  FROM kept
  WHERE rn < {n}
  UNION ALL
  SELECT
    e.person_id, e.event_id, e.occasion_key, e.ts_us, e.prec, e.action, e.source, e.tool,
    e.channel, e.context
  FROM frontier f
  JOIN stage_events e ON e.person_id = f.person_id AND e.event_id = f.event_id AND e.stage = 1
)
-- In the timeline's own columns and order, for the client's search.
SELECT
  person_id, event_id, ts_us AS ts,
  CASE prec WHEN 0 THEN 'second' WHEN 1 THEN 'minute' ELSE 'day' END AS ts_precision,
  action, source, tool, channel, context, occasion_key AS occasion, FALSE AS organizer
FROM picked
ORDER BY person_id, ts_us, event_id
