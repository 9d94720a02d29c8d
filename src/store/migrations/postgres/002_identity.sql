-- Identity, PostgreSQL dialect: our users, their API keys, hourly usage per key and the monthly
-- credit ledger per user. Secrets are never stored: a password only as its argon2id PHC string, a
-- key only as the SHA-256 hex of the whole key plus a short display prefix ("hlt_1a2b3c4d").
-- Times are bigint ms since the epoch; plans and tiers are tier ids from src/domain/tiers.ts.

CREATE TABLE users (
  id            text   PRIMARY KEY,
  -- Normalised (trimmed, NFC, lower-case) before it gets here, so UNIQUE is case-insensitive in effect.
  email         text   NOT NULL UNIQUE,
  password_hash text   NOT NULL,
  plan          text   NOT NULL,
  created_at    bigint NOT NULL
);
CREATE INDEX users_created ON users (created_at, id);

CREATE TABLE api_keys (
  id           text    PRIMARY KEY,
  user_id      text    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  hash         text    NOT NULL UNIQUE CHECK (length(hash) = 64),
  prefix       text    NOT NULL,
  name         text    NOT NULL,
  tier         text    NOT NULL,
  -- IPv4/IPv6 addresses and CIDR blocks as written by the client; NULL = any address.
  allowed_ips  text[],
  expires_at   bigint,
  enabled      boolean NOT NULL DEFAULT true,
  created_at   bigint  NOT NULL,
  revoked_at   bigint,
  last_used_at bigint
);
CREATE INDEX api_keys_user ON api_keys (user_id, created_at, id);

-- Counters per key per UTC hour (hour = ms of the hour's start), incremented in batches.
CREATE TABLE key_usage_hourly (
  key_id   text   NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
  hour     bigint NOT NULL CHECK (hour % 3600000 = 0),
  requests bigint NOT NULL DEFAULT 0 CHECK (requests >= 0),
  credits  bigint NOT NULL DEFAULT 0 CHECK (credits >= 0),
  errors   bigint NOT NULL DEFAULT 0 CHECK (errors >= 0),
  PRIMARY KEY (key_id, hour)
);

-- Credits used per user per UTC month ('YYYY-MM'). The durable side of the credit meter: debits
-- are an atomic conditional UPSERT here (or land here shortly after a Redis debit), so a balance
-- survives restarts and a Redis flush. Overage = max(0, used - the plan's monthly allowance).
CREATE TABLE credit_ledger (
  user_id text   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  month   text   NOT NULL CHECK (length(month) = 7),
  used    bigint NOT NULL DEFAULT 0 CHECK (used >= 0),
  PRIMARY KEY (user_id, month)
);
