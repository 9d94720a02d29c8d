-- Signals, PostgreSQL dialect: alert rules owned by users, and the webhook outbox (one delivery
-- per firing and channel) with every attempt made at it. Rules and channels are JSON text exactly
-- as the adapter wrote them (byte for byte as on SQLite); channel secrets are sealed by the
-- adapter when a key is configured.

-- A deleted signal stays as a tombstone (deleted_at set, channels emptied) so other nodes
-- following changes see the delete; every owner-facing read skips tombstones.
CREATE TABLE signals (
  id            text    PRIMARY KEY,
  user_id       text    NOT NULL,
  name          text    NOT NULL,
  venue         text    NOT NULL,
  market_id     integer NOT NULL,
  rule          text    NOT NULL,
  channels      text    NOT NULL,
  cooldown_secs integer NOT NULL,
  enabled       boolean NOT NULL,
  created_at    bigint  NOT NULL,
  updated_at    bigint  NOT NULL,
  last_fired_at bigint,
  deleted_at    bigint
);

CREATE INDEX signals_user ON signals (user_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX signals_updated ON signals (updated_at);

-- The outbox. claimed_by/lease_until: the worker holding the row and until when; a lease that ran
-- out makes the row claimable again (its holder crashed or hung). Claims take row locks with
-- SKIP LOCKED, so concurrent workers on any number of nodes split the due rows between them.
CREATE TABLE signal_deliveries (
  id              text    PRIMARY KEY,
  signal_id       text    NOT NULL,
  user_id         text    NOT NULL,
  channel         integer NOT NULL,
  url             text    NOT NULL,
  body            text    NOT NULL,
  test            boolean NOT NULL,
  fired_at        bigint,
  status          text    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
  attempts        integer NOT NULL DEFAULT 0,
  created_at      bigint  NOT NULL,
  next_attempt_at bigint,
  delivered_at    bigint,
  last_status     integer,
  last_error      text,
  claimed_by      text,
  lease_until     bigint
);

-- A firing is written once per channel: recording it again (a retried write, a restarted engine)
-- hits this and returns the rows already there. Test events have no firing time.
CREATE UNIQUE INDEX signal_deliveries_firing ON signal_deliveries (signal_id, fired_at, channel) WHERE fired_at IS NOT NULL;
CREATE INDEX signal_deliveries_due ON signal_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX signal_deliveries_signal ON signal_deliveries (signal_id, created_at, id);

CREATE TABLE signal_delivery_attempts (
  delivery_id text    NOT NULL,
  attempt     integer NOT NULL,
  at          bigint  NOT NULL,
  duration_ms integer NOT NULL,
  http_status integer,
  error       text,
  outcome     text    NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed', 'cancelled')),
  PRIMARY KEY (delivery_id, attempt)
);

-- Retention (the leader prunes in small batches): finished deliveries by age, and tombstones by
-- when they were deleted. Pending rows are never pruned, so they stay out of the first index.
CREATE INDEX signal_deliveries_finished ON signal_deliveries (created_at) WHERE status <> 'pending';
CREATE INDEX signals_tombstones ON signals (deleted_at) WHERE deleted_at IS NOT NULL;
