-- Accounts, SQLite dialect: venue accounts we track, their fills, PnL snapshots and the per-minute
-- liquidation-heatmap totals. Money per account is integer USDC micro-units; market-wide sums are
-- decimal strings (they can pass 2^53 micro-units). STRICT and WITHOUT ROWID as in 001.

-- Clustered by account then time: "the newest N fills of each of these accounts" is one index
-- seek and a short backwards walk per account. role is in the key so a self-trade keeps both sides.
CREATE TABLE account_fills (
  venue        TEXT    NOT NULL,
  account_id   INTEGER NOT NULL,
  ts           INTEGER NOT NULL,
  market_id    INTEGER NOT NULL,
  trade_id     INTEGER NOT NULL,
  role         TEXT    NOT NULL CHECK (role IN ('maker', 'taker')),
  side         TEXT    NOT NULL CHECK (side IN ('buy', 'sell')),
  price        INTEGER NOT NULL,
  size         INTEGER NOT NULL,
  kind         TEXT    NOT NULL CHECK (kind IN ('trade', 'liquidation', 'deleverage')),
  fee          INTEGER NOT NULL,
  realized_pnl INTEGER,
  PRIMARY KEY (venue, account_id, ts, market_id, trade_id, role)
) STRICT, WITHOUT ROWID;

CREATE TABLE pnl_snapshots (
  venue          TEXT    NOT NULL,
  account_id     INTEGER NOT NULL,
  ts             INTEGER NOT NULL,
  equity         INTEGER NOT NULL,
  collateral     INTEGER NOT NULL,
  unrealized_pnl INTEGER NOT NULL,
  realized_pnl   INTEGER NOT NULL,
  funding_paid   INTEGER NOT NULL,
  notional       INTEGER NOT NULL,
  positions      INTEGER NOT NULL,
  PRIMARY KEY (venue, account_id, ts)
) STRICT, WITHOUT ROWID;

CREATE TABLE heatmap_totals (
  venue           TEXT    NOT NULL,
  market_id       INTEGER NOT NULL,
  ts              INTEGER NOT NULL CHECK (ts % 60000 = 0),
  mark_price      INTEGER NOT NULL,
  long_usd        TEXT    NOT NULL,
  short_usd       TEXT    NOT NULL,
  long_near_usd   TEXT    NOT NULL,
  short_near_usd  TEXT    NOT NULL,
  long_positions  INTEGER NOT NULL,
  short_positions INTEGER NOT NULL,
  accounts        INTEGER NOT NULL,
  PRIMARY KEY (venue, market_id, ts)
) STRICT, WITHOUT ROWID;

CREATE TABLE tracked_accounts (
  venue      TEXT    NOT NULL,
  account_id INTEGER NOT NULL,
  l1_address TEXT,
  first_seen INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  state      TEXT,
  PRIMARY KEY (venue, account_id)
) STRICT, WITHOUT ROWID;

-- Liquidations of given accounts (/accounts/batch/liquidations) read by account, newest first.
CREATE INDEX liquidations_account_ts ON liquidations (venue, account_id, ts);
