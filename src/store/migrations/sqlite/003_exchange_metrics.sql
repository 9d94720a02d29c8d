-- Exchange metrics, SQLite dialect: one row per market per minute, sampled by the ingest from the
-- venue's live stats. Open interest and funding rate stay the venue's decimal strings (stored and
-- returned byte for byte); prices are integers in venue units, as in every other table.
-- The key is the natural access path for one market's history; venue-wide reads ("all markets",
-- exchange totals) walk the (venue, ts, market_id) index in read order.
CREATE TABLE market_metrics (
  venue             TEXT    NOT NULL,
  market_id         INTEGER NOT NULL,
  ts                INTEGER NOT NULL CHECK (ts % 60000 = 0),
  open_interest_usd TEXT    NOT NULL,
  mark_price        INTEGER NOT NULL,
  index_price       INTEGER NOT NULL,
  funding_rate      TEXT,
  PRIMARY KEY (venue, market_id, ts)
) STRICT, WITHOUT ROWID;
CREATE INDEX market_metrics_venue_ts ON market_metrics (venue, ts, market_id);
