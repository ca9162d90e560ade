"""The ordered funnel of examples/bench_funnel.rs, computed by DuckDB from the same Parquet timeline.

Per stage, per person: the earliest (ts, event_id) event matching the stage, not before the
previous stage and not after entry + 30 days (DESIGN.md §4.2; the benchmark's timestamps are
whole seconds and its stage predicates disjoint, so no precision or occasion rule applies).
Prints the stage counts and the query time as JSON.
"""
import json
import sys
import time

import duckdb

path = sys.argv[1]
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
con = duckdb.connect()
con.execute(f"SET threads = {threads}")
con.execute(f"CREATE VIEW t AS SELECT person_id, event_id, epoch_us(ts) AS ts, action FROM read_parquet('{path}')")
window = 30 * 86400 * 1_000_000
sql = f"""
WITH s1 AS (
  SELECT person_id, ts AS t1, ts AS tp FROM t WHERE action IN ('group_joined', 'group_added')
  QUALIFY row_number() OVER (PARTITION BY person_id ORDER BY ts, event_id) = 1
), s2 AS (
  SELECT t.person_id, s1.t1, t.ts AS tp FROM t JOIN s1 USING (person_id)
  WHERE t.action = 'message_sent' AND t.ts >= s1.tp AND t.ts <= s1.t1 + {window}
  QUALIFY row_number() OVER (PARTITION BY t.person_id ORDER BY t.ts, t.event_id) = 1
), s3 AS (
  SELECT t.person_id, s2.t1, t.ts AS tp FROM t JOIN s2 USING (person_id)
  WHERE t.action IN ('rsvp', 'rsvp_confirmed') AND t.ts >= s2.tp AND t.ts <= s2.t1 + {window}
  QUALIFY row_number() OVER (PARTITION BY t.person_id ORDER BY t.ts, t.event_id) = 1
), s4 AS (
  SELECT t.person_id FROM t JOIN s3 USING (person_id)
  WHERE t.action = 'attended' AND t.ts >= s3.tp AND t.ts <= s3.t1 + {window}
  QUALIFY row_number() OVER (PARTITION BY t.person_id ORDER BY t.ts, t.event_id) = 1
)
SELECT (SELECT count(*) FROM s1), (SELECT count(*) FROM s2), (SELECT count(*) FROM s3), (SELECT count(*) FROM s4)
"""
start = time.perf_counter()
counts = list(con.execute(sql).fetchone())
elapsed = time.perf_counter() - start
print(json.dumps({"counts": counts, "query_s": round(elapsed, 3), "duckdb": duckdb.__version__, "threads": threads}))
