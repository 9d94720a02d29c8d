-- Signals, SQLite dialect: alert rules owned by users, and the webhook outbox (one delivery per
-- firing and channel) with every attempt made at it. Rules and channels are JSON text exactly as
-- the adapter wrote them; channel secrets are sealed by the adapter when a key is configured.

-- A deleted signal stays as a tombstone (deleted_at set, channels emptied) so other nodes
-- following changes see the delete; every owner-facing read skips tombstones.
CREATE TABLE signals (
  id            TEXT    PRIMARY KEY,
  user_id       TEXT    NOT NULL,
  name          TEXT    NOT NULL,
  venue         TEXT    NOT NULL,
  market_id     INTEGER NOT NULL,
  rule          TEXT    NOT NULL,
  channels      TEXT    NOT NULL,
  cooldown_secs INTEGER NOT NULL,
  enabled       INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  last_fired_at INTEGER,
  deleted_at    INTEGER
) STRICT;

CREATE INDEX signals_user ON signals (user_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX signals_updated ON signals (updated_at);

-- The outbox. claimed_by/lease_until: the worker holding the row and until when; a lease that ran
-- out makes the row claimable again (its holder crashed or hung).
CREATE TABLE signal_deliveries (
  id              TEXT    PRIMARY KEY,
  signal_id       TEXT    NOT NULL,
  user_id         TEXT    NOT NULL,
  channel         INTEGER NOT NULL,
  url             TEXT    NOT NULL,
  body            TEXT    NOT NULL,
  test            INTEGER NOT NULL CHECK (test IN (0, 1)),
  fired_at        INTEGER,
  status          TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL,
  next_attempt_at INTEGER,
  delivered_at    INTEGER,
  last_status     INTEGER,
  last_error      TEXT,
  claimed_by      TEXT,
  lease_until     INTEGER
) STRICT;

-- A firing is written once per channel: recording it again (a retried write, a restarted engine)
-- hits this and returns the rows already there. Test events have no firing time.
CREATE UNIQUE INDEX signal_deliveries_firing ON signal_deliveries (signal_id, fired_at, channel) WHERE fired_at IS NOT NULL;
CREATE INDEX signal_deliveries_due ON signal_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX signal_deliveries_signal ON signal_deliveries (signal_id, created_at, id);

CREATE TABLE signal_delivery_attempts (
  delivery_id TEXT    NOT NULL,
  attempt     INTEGER NOT NULL,
  at          INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  http_status INTEGER,
  error       TEXT,
  outcome     TEXT    NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed', 'cancelled')),
  PRIMARY KEY (delivery_id, attempt)
) STRICT, WITHOUT ROWID;

-- Retention (the leader prunes in small batches): finished deliveries by age, and tombstones by
-- when they were deleted. Pending rows are never pruned, so they stay out of the first index.
CREATE INDEX signal_deliveries_finished ON signal_deliveries (created_at) WHERE status <> 'pending';
CREATE INDEX signals_tombstones ON signals (deleted_at) WHERE deleted_at IS NOT NULL;
