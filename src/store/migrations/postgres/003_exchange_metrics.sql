-- Exchange metrics, PostgreSQL dialect: one row per market per minute, sampled by the ingest from
-- the venue's live stats. A plain table: about 1,440 rows per market per day is small next to the
-- trades (no partitioning, so the key can stay (venue, market_id, ts) without a partition key).
-- Open interest and funding rate are kept as the venue's decimal strings (text, not numeric, so
-- they round-trip byte for byte exactly as on SQLite).
CREATE TABLE market_metrics (
  venue             text    NOT NULL,
  market_id         integer NOT NULL,
  ts                bigint  NOT NULL CHECK (ts % 60000 = 0),
  open_interest_usd text    NOT NULL,
  mark_price        bigint  NOT NULL,
  index_price       bigint  NOT NULL,
  funding_rate      text,
  PRIMARY KEY (venue, market_id, ts)
);
-- Venue-wide reads (all markets, exchange totals) in (ts, market_id) order.
CREATE INDEX market_metrics_venue_ts ON market_metrics (venue, ts, market_id);
