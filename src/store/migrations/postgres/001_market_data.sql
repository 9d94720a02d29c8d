-- Market data, PostgreSQL dialect. Integers in venue units are bigint (read back as JS numbers by
-- the adapter's int8 parser, which rejects anything past 2^53); times are bigint ms since epoch.

-- Trades are partitioned by day on ts; the adapter creates partitions on demand before it writes
-- (no DEFAULT partition: it would have to be scanned every time a new partition is attached).
-- A unique key on a partitioned table must contain the partition key, so the key is
-- (venue, market_id, ts, trade_id) rather than the trade id alone. That is still idempotent for
-- what actually repeats — replays and overlapping backfills of the same trade, which a venue
-- always reports with the same ts — and it is the read order, so range and cursor reads walk
-- the primary key index of each partition.
CREATE TABLE trades (
  venue          text    NOT NULL,
  market_id      integer NOT NULL,
  ts             bigint  NOT NULL,
  trade_id       bigint  NOT NULL,
  price          bigint  NOT NULL,
  size           bigint  NOT NULL,
  is_maker_ask   boolean NOT NULL,
  ask_account_id bigint  NOT NULL,
  bid_account_id bigint  NOT NULL,
  kind           text    NOT NULL CHECK (kind IN ('trade', 'liquidation', 'deleverage')),
  PRIMARY KEY (venue, market_id, ts, trade_id)
) PARTITION BY RANGE (ts);

-- Snapshots are far fewer than trades: monthly partitions. Levels are jsonb arrays of
-- [price, size] pairs (exact for safe integers, and queryable in SQL, e.g. bids->0).
CREATE TABLE book_snapshots (
  venue     text    NOT NULL,
  market_id integer NOT NULL,
  ts        bigint  NOT NULL,
  nonce     bigint  NOT NULL,
  bids      jsonb   NOT NULL,
  asks      jsonb   NOT NULL,
  PRIMARY KEY (venue, market_id, ts)
) PARTITION BY RANGE (ts);

-- quote_volume is bigint (exact up to 9.2e18 quote units; larger values fail the write). The
-- adapter reads it as text and returns a JS bigint.
CREATE TABLE candles (
  venue        text    NOT NULL,
  market_id    integer NOT NULL,
  resolution   text    NOT NULL,
  open_time    bigint  NOT NULL,
  open         bigint  NOT NULL,
  high         bigint  NOT NULL,
  low          bigint  NOT NULL,
  close        bigint  NOT NULL,
  volume       bigint  NOT NULL,
  quote_volume bigint  NOT NULL,
  trade_count  bigint  NOT NULL,
  buy_volume   bigint  NOT NULL,
  PRIMARY KEY (venue, market_id, resolution, open_time)
);

-- rate is kept as the venue's decimal string (text, not numeric, so it round-trips byte for byte
-- exactly as on SQLite).
CREATE TABLE funding (
  venue       text    NOT NULL,
  market_id   integer NOT NULL,
  ts          bigint  NOT NULL,
  rate        text    NOT NULL,
  mark_price  bigint  NOT NULL,
  index_price bigint  NOT NULL,
  PRIMARY KEY (venue, market_id, ts)
);
CREATE INDEX funding_venue_ts ON funding (venue, ts, market_id);

-- Liquidations are few: not partitioned, so the key can be the id alone (exact idempotency).
CREATE TABLE liquidations (
  venue      text    NOT NULL,
  market_id  integer NOT NULL,
  id         bigint  NOT NULL,
  ts         bigint  NOT NULL,
  account_id bigint  NOT NULL,
  side       text    NOT NULL CHECK (side IN ('long', 'short')),
  price      bigint  NOT NULL,
  size       bigint  NOT NULL,
  kind       text    NOT NULL CHECK (kind IN ('liquidation', 'deleverage')),
  PRIMARY KEY (venue, market_id, id)
);
CREATE INDEX liquidations_market_ts ON liquidations (venue, market_id, ts, id);
CREATE INDEX liquidations_venue_ts ON liquidations (venue, ts, market_id, id);
