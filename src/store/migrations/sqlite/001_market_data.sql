-- Market data, SQLite dialect. Tables are STRICT (a float or text in an integer column is an
-- error, as it is on PostgreSQL) and WITHOUT ROWID where the primary key is the natural access
-- path, so rows are clustered by (venue, market, time) and a range read is one index walk.

-- Key includes ts (as on PostgreSQL, where the partition key must be in every unique key): a
-- venue's trade id always comes with the same ts, so replays of a trade are still ignored, and
-- both backends give the same idempotency. (ts, trade_id) is also the read order.
CREATE TABLE trades (
  venue          TEXT    NOT NULL,
  market_id      INTEGER NOT NULL,
  ts             INTEGER NOT NULL,
  trade_id       INTEGER NOT NULL,
  price          INTEGER NOT NULL,
  size           INTEGER NOT NULL,
  is_maker_ask   INTEGER NOT NULL CHECK (is_maker_ask IN (0, 1)),
  ask_account_id INTEGER NOT NULL,
  bid_account_id INTEGER NOT NULL,
  kind           TEXT    NOT NULL CHECK (kind IN ('trade', 'liquidation', 'deleverage')),
  PRIMARY KEY (venue, market_id, ts, trade_id)
) STRICT, WITHOUT ROWID;

-- Levels are JSON arrays of [price, size] integer pairs: exact for safe integers, and read whole.
CREATE TABLE book_snapshots (
  venue     TEXT    NOT NULL,
  market_id INTEGER NOT NULL,
  ts        INTEGER NOT NULL,
  nonce     INTEGER NOT NULL,
  bids      TEXT    NOT NULL,
  asks      TEXT    NOT NULL,
  PRIMARY KEY (venue, market_id, ts)
) STRICT, WITHOUT ROWID;

-- quote_volume is a 64-bit integer (exact up to 9.2e18 quote units; the adapter rejects more).
CREATE TABLE candles (
  venue        TEXT    NOT NULL,
  market_id    INTEGER NOT NULL,
  resolution   TEXT    NOT NULL,
  open_time    INTEGER NOT NULL,
  open         INTEGER NOT NULL,
  high         INTEGER NOT NULL,
  low          INTEGER NOT NULL,
  close        INTEGER NOT NULL,
  volume       INTEGER NOT NULL,
  quote_volume INTEGER NOT NULL,
  trade_count  INTEGER NOT NULL,
  buy_volume   INTEGER NOT NULL,
  PRIMARY KEY (venue, market_id, resolution, open_time)
) STRICT, WITHOUT ROWID;

-- rate stays the venue's decimal string: stored and returned byte for byte.
CREATE TABLE funding (
  venue       TEXT    NOT NULL,
  market_id   INTEGER NOT NULL,
  ts          INTEGER NOT NULL,
  rate        TEXT    NOT NULL,
  mark_price  INTEGER NOT NULL,
  index_price INTEGER NOT NULL,
  PRIMARY KEY (venue, market_id, ts)
) STRICT, WITHOUT ROWID;
-- Venue-wide queries ("all markets") read in (ts, market_id) order.
CREATE INDEX funding_venue_ts ON funding (venue, ts, market_id);

-- Liquidations are few, so the key is the id alone (exact idempotency); reads go by time.
CREATE TABLE liquidations (
  venue      TEXT    NOT NULL,
  market_id  INTEGER NOT NULL,
  id         INTEGER NOT NULL,
  ts         INTEGER NOT NULL,
  account_id INTEGER NOT NULL,
  side       TEXT    NOT NULL CHECK (side IN ('long', 'short')),
  price      INTEGER NOT NULL,
  size       INTEGER NOT NULL,
  kind       TEXT    NOT NULL CHECK (kind IN ('liquidation', 'deleverage')),
  PRIMARY KEY (venue, market_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX liquidations_market_ts ON liquidations (venue, market_id, ts, id);
CREATE INDEX liquidations_venue_ts ON liquidations (venue, ts, market_id, id);
