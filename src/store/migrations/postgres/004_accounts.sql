-- Accounts, PostgreSQL dialect: venue accounts we track, their fills, PnL snapshots and the
-- per-minute liquidation-heatmap totals. Money per account is bigint USDC micro-units; market-wide
-- sums are text decimals (byte-for-byte as on SQLite, and they can pass 2^53 micro-units).

-- Not partitioned: every read is by account ("the newest N fills of these accounts", LATERAL per
-- account), which time partitions would turn into one probe per partition. The key is the read
-- order; role is in it so a self-trade keeps both sides.
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
);

CREATE TABLE pnl_snapshots (
  venue          text    NOT NULL,
  account_id     bigint  NOT NULL,
  ts             bigint  NOT NULL,
  equity         bigint  NOT NULL,
  collateral     bigint  NOT NULL,
  unrealized_pnl bigint  NOT NULL,
  realized_pnl   bigint  NOT NULL,
  funding_paid   bigint  NOT NULL,
  notional       bigint  NOT NULL,
  positions      integer NOT NULL,
  PRIMARY KEY (venue, account_id, ts)
);

CREATE TABLE heatmap_totals (
  venue           text    NOT NULL,
  market_id       integer NOT NULL,
  ts              bigint  NOT NULL CHECK (ts % 60000 = 0),
  mark_price      bigint  NOT NULL,
  long_usd        text    NOT NULL,
  short_usd       text    NOT NULL,
  long_near_usd   text    NOT NULL,
  short_near_usd  text    NOT NULL,
  long_positions  integer NOT NULL,
  short_positions integer NOT NULL,
  accounts        integer NOT NULL,
  PRIMARY KEY (venue, market_id, ts)
);

CREATE TABLE tracked_accounts (
  venue      text   NOT NULL,
  account_id bigint NOT NULL,
  l1_address text,
  first_seen bigint NOT NULL,
  updated_at bigint NOT NULL,
  state      text,
  PRIMARY KEY (venue, account_id)
);

-- Liquidations of given accounts (/accounts/batch/liquidations) read by account, newest first.
CREATE INDEX liquidations_account_ts ON liquidations (venue, account_id, ts);
