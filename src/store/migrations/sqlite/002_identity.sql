-- Identity, SQLite dialect: our users, their API keys, hourly usage per key and the monthly credit
-- ledger per user. Secrets are never stored: a password only as its argon2id PHC string, a key only
-- as the SHA-256 hex of the whole key plus a short display prefix ("hlt_1a2b3c4d").
-- Times are INTEGER ms since the epoch; plans and tiers are tier ids from src/domain/tiers.ts.

CREATE TABLE users (
  id            TEXT    PRIMARY KEY,
  -- Normalised (trimmed, NFC, lower-case) before it gets here, so UNIQUE is case-insensitive in effect.
  email         TEXT    NOT NULL UNIQUE,
  password_hash TEXT    NOT NULL,
  plan          TEXT    NOT NULL,
  created_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX users_created ON users (created_at, id);

CREATE TABLE api_keys (
  id           TEXT    PRIMARY KEY,
  user_id      TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  hash         TEXT    NOT NULL UNIQUE CHECK (length(hash) = 64),
  prefix       TEXT    NOT NULL,
  name         TEXT    NOT NULL,
  tier         TEXT    NOT NULL,
  -- JSON array of IPv4/IPv6 addresses and CIDR blocks; NULL = any address.
  allowed_ips  TEXT,
  expires_at   INTEGER,
  enabled      INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  created_at   INTEGER NOT NULL,
  revoked_at   INTEGER,
  last_used_at INTEGER
) STRICT;
CREATE INDEX api_keys_user ON api_keys (user_id, created_at, id);

-- Counters per key per UTC hour (hour = ms of the hour's start), incremented in batches.
CREATE TABLE key_usage_hourly (
  key_id   TEXT    NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
  hour     INTEGER NOT NULL CHECK (hour % 3600000 = 0),
  requests INTEGER NOT NULL DEFAULT 0 CHECK (requests >= 0),
  credits  INTEGER NOT NULL DEFAULT 0 CHECK (credits >= 0),
  errors   INTEGER NOT NULL DEFAULT 0 CHECK (errors >= 0),
  PRIMARY KEY (key_id, hour)
) STRICT, WITHOUT ROWID;

-- Credits used per user per UTC month ('YYYY-MM'). The durable side of the credit meter: debits
-- are an atomic conditional UPSERT here (or land here shortly after a Redis debit), so a balance
-- survives restarts and a Redis flush. Overage = max(0, used - the plan's monthly allowance).
CREATE TABLE credit_ledger (
  user_id TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  month   TEXT    NOT NULL CHECK (length(month) = 7),
  used    INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0),
  PRIMARY KEY (user_id, month)
) STRICT, WITHOUT ROWID;
