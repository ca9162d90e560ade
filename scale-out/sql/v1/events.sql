-- turnout scale-out SQL, version 1 (docs/scale-out.md). Same text on DataFusion and Ballista.
-- The timeline's events as the funnel and the metrics compare them (DESIGN.md §4.4): the time
-- truncated to each precision (seconds, minutes, the local day in the pipeline's zone) and the
-- occasion (the export's, else the context, or the source when the context is blank, on the
-- local day), with its name as turnout prints it.
-- Placeholders: {tz} (IANA zone of the pipeline).
SELECT
  person_id, event_id, ts_us, prec, t_d, action, source, tool, channel, context, organizer,
  ts_us / 1000000 AS t_s,
  ts_us / 60000000 AS t_m,
  CASE
    WHEN occasion IS NOT NULL THEN concat('N|', occasion)
    ELSE concat('D|', base, '|', CAST(t_d AS VARCHAR))
  END AS occasion_key,
  CASE WHEN occasion IS NOT NULL THEN occasion ELSE concat(base, ' ', local_date) END AS occasion_name
FROM (
  SELECT
    person_id, event_id, action, source, tool, channel, context, occasion, organizer, ts_us, prec,
    local_date, arrow_cast(arrow_cast(local_date, 'Date32'), 'Int32') AS t_d,
    CASE WHEN context IS NULL OR regexp_like(context, '^\s*$') THEN source ELSE context END AS base
  FROM (
    SELECT
      person_id, event_id, action, source, tool, channel, context, occasion, organizer,
      arrow_cast(ts, 'Int64') AS ts_us,
      CASE ts_precision WHEN 'second' THEN 0 WHEN 'minute' THEN 1 ELSE 2 END AS prec,
      to_char(ts AT TIME ZONE '{tz}', '%Y-%m-%d') AS local_date
    FROM timeline
  )
)
