-- turnout scale-out SQL, version 1 (docs/scale-out.md). Same text on DataFusion and Ballista.
-- The timeline's events as the funnel and the metrics compare them (DESIGN.md §4.4): the time
-- truncated to each precision (seconds, minutes, the local day in the pipeline's zone) and the
-- occasion (the export's, else the context, or the source when the context is blank, on the
-- local day), with its name as turnout prints it.
-- Placeholders: {local_us} (an expression of ts_us: the local time, in µs, from the zone's
-- UTC-offset changes over the data's range, computed by turnout's own zone code).
SELECT
  person_id, event_id, ts_us, prec, t_d, action, source, tool, channel, context, organizer,
  ts_us / 1000000 AS t_s,
  ts_us / 60000000 AS t_m,
  CASE
    WHEN occasion IS NOT NULL THEN concat('N|', occasion)
    ELSE concat('D|', base, '|', CAST(t_d AS VARCHAR))
  END AS occasion_key,
  CASE
    WHEN occasion IS NOT NULL THEN occasion
    ELSE concat(base, ' ', CAST(arrow_cast(arrow_cast(t_d, 'Int32'), 'Date32') AS VARCHAR))
  END AS occasion_name
FROM (
  SELECT
    person_id, event_id, action, source, tool, channel, context, occasion, organizer, ts_us, prec,
    -- Days since 1970-01-01 of the local date; shifted by two days first, so that the
    -- division truncates as a floor would (a local time can be before 1970 by the offset).
    ({local_us} + 172800000000) / 86400000000 - 2 AS t_d,
    CASE WHEN context IS NULL OR regexp_like(context, '^\s*$') THEN source ELSE context END AS base
  FROM (
    SELECT
      person_id, event_id, action, source, tool, channel, context, occasion, organizer,
      arrow_cast(ts, 'Int64') AS ts_us,
      CASE ts_precision WHEN 'second' THEN 0 WHEN 'minute' THEN 1 ELSE 2 END AS prec
    FROM timeline
  )
)
