-- account_fills becomes partitioned by time (monthly ranges on ts), like trades and book snapshots,
-- so old fills can be detached or dropped a month at a time instead of deleted row by row.
--
-- Monthly, not daily like trades: every read is per account over a time range ("the newest N fills
-- of these accounts", one account's fills in a range of at most 31 days), and each partition in the
-- range costs one index probe per account; a month keeps that at one or two. The key already starts
-- with (venue, account_id, ts), so in each partition the read walks the key backwards and stops
-- after N rows, and the planner visits the partitions newest first.
--
-- Partitions are named account_fills_pYYYYMM, the names the adapter's partition maintenance
-- (partitions.postgres.ts) creates on demand before each write; existing rows are moved into the
-- partitions their months need.

ALTER TABLE account_fills RENAME TO account_fills_unpartitioned;
ALTER TABLE account_fills_unpartitioned RENAME CONSTRAINT account_fills_pkey TO account_fills_unpartitioned_pkey;

CREATE TABLE account_fills (
  venue        text    NOT NULL,
  account_id   bigint  NOT NULL,
  ts           bigint  NOT NULL,
  market_id    integer NOT NULL,
  trade_id     bigint  NOT NULL,
  role         text    NOT NULL CHECK (role IN ('maker', 'taker')),
  side         text    NOT NULL CHECK (side IN ('buy', 'sell')),
  price        bigint  NOT NULL,
  size         bigint  NOT NULL,
  kind         text    NOT NULL CHECK (kind IN ('trade', 'liquidation', 'deleverage')),
  fee          bigint  NOT NULL,
  realized_pnl bigint,
  PRIMARY KEY (venue, account_id, ts, market_id, trade_id, role)
) PARTITION BY RANGE (ts);

DO $$
DECLARE
  month timestamp;
  next_month timestamp;
BEGIN
  FOR month IN
    SELECT DISTINCT date_trunc('month', to_timestamp(ts / 1000.0) AT TIME ZONE 'UTC') FROM account_fills_unpartitioned
  LOOP
    next_month := month + interval '1 month';
    EXECUTE format(
      'CREATE TABLE IF NOT EXISTS %I PARTITION OF account_fills FOR VALUES FROM (%s) TO (%s)',
      'account_fills_p' || to_char(month, 'YYYYMM'),
      (extract(epoch FROM month) * 1000)::bigint,
      (extract(epoch FROM next_month) * 1000)::bigint
    );
  END LOOP;
END
$$;

INSERT INTO account_fills SELECT venue, account_id, ts, market_id, trade_id, role, side, price, size, kind, fee, realized_pnl FROM account_fills_unpartitioned;
DROP TABLE account_fills_unpartitioned;
