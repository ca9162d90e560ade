-- turnout scale-out SQL, version 1. Show rate (DESIGN.md §4, "Other metrics"), per occasion:
-- the counts `turnout::funnel::organizing::OccasionTally` holds. Per (member, occasion), in
-- time order (ties by event id): an RSVP stands unless cancelled after the person's last RSVP;
-- declined, attended and no-show are whether any such event exists. An occasion is marked when
-- someone's attendance (attended or no-show) was recorded.
-- Reads `members` (the events of people who are not organizers).
WITH ev AS (
  SELECT person_id, event_id, ts_us, action, occasion_key, occasion_name
  FROM members
  WHERE action IN ('rsvp', 'rsvp_confirmed', 'rsvp_cancelled', 'declined', 'attended', 'no_show')
),
last_rsvp AS (
  SELECT person_id, occasion_key, ts_us, event_id
  FROM (
    SELECT
      person_id, occasion_key, ts_us, event_id,
      row_number() OVER (PARTITION BY person_id, occasion_key ORDER BY ts_us DESC, event_id DESC) AS rn
    FROM ev
    WHERE action IN ('rsvp', 'rsvp_confirmed')
  )
  WHERE rn = 1
),
per AS (
  SELECT
    ev.person_id, ev.occasion_key,
    max(CASE WHEN r.person_id IS NULL THEN 0 ELSE 1 END) AS rsvp,
    max(CASE
      WHEN ev.action = 'rsvp_cancelled' AND r.person_id IS NOT NULL
        AND (ev.ts_us > r.ts_us OR (ev.ts_us = r.ts_us AND ev.event_id > r.event_id)) THEN 1
      ELSE 0
    END) AS cancel_after,
    max(CASE WHEN ev.action = 'declined' THEN 1 ELSE 0 END) AS declined,
    max(CASE WHEN ev.action = 'attended' THEN 1 ELSE 0 END) AS attended,
    max(CASE WHEN ev.action = 'no_show' THEN 1 ELSE 0 END) AS no_show
  FROM ev
  LEFT JOIN last_rsvp r ON r.person_id = ev.person_id AND r.occasion_key = ev.occasion_key
  GROUP BY ev.person_id, ev.occasion_key
),
states AS (
  SELECT
    occasion_key, rsvp, cancel_after, declined, attended, no_show,
    CASE WHEN rsvp = 1 AND cancel_after = 0 THEN 1 ELSE 0 END AS standing
  FROM per
),
occasions AS (
  SELECT occasion_key, min(ts_us) AS first_ts, min(occasion_name) AS name
  FROM ev
  GROUP BY occasion_key
)
SELECT
  o.name, o.first_ts,
  max(greatest(s.attended, s.no_show)) AS marked,
  sum(s.standing) AS standing,
  sum(s.standing * s.attended) AS standing_attended,
  sum(s.no_show) AS no_shows,
  sum(s.declined) AS declined,
  sum(s.rsvp * s.cancel_after) AS cancelled,
  sum(s.attended * (1 - s.standing)) AS walk_ins
FROM states s
JOIN occasions o ON o.occasion_key = s.occasion_key
GROUP BY s.occasion_key, o.name, o.first_ts
