/**
 * The one place configuration comes from: the environment, checked against a TypeBox schema,
 * parsed once, frozen and passed down. A bad value stops the process with one line naming the
 * variable and what it expects.
 */
import { Type as T, type Static, type TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

const Port = T.Integer({ minimum: 0, maximum: 65535, description: "a TCP port number (0 picks a free one)" });

/** Every environment variable the service reads: name, schema, default and meaning. */
export const ENV = {
  PORT: { schema: Port, default: 8080, doc: "HTTP and WebSocket port." },
  HOST: { schema: T.String({ minLength: 1, description: "a host name or IP address" }), default: "0.0.0.0", doc: "Interface to listen on." },
  NODE_ENV: { schema: T.Union([T.Literal("development"), T.Literal("production"), T.Literal("test")], { description: "development, production or test" }), default: "development", doc: "Production requires JWT_SECRET." },
  DATA_DIR: { schema: T.String({ minLength: 1, description: "a directory path" }), default: "./data", doc: "Where the SQLite file, the dev JWT secret and recorder journals live." },
  DATABASE_URL: { schema: T.Optional(T.String({ pattern: "^postgres(ql)?://", description: "a postgres:// or postgresql:// URL" })), default: undefined, doc: "Unset: embedded SQLite in DATA_DIR. A postgres:// URL switches to PostgreSQL." },
  REDIS_URL: { schema: T.Optional(T.String({ pattern: "^rediss?://", description: "a redis:// or rediss:// URL" })), default: undefined, doc: "Unset: in-memory cache, limiter and broadcaster. Set: Redis adapters shared across nodes." },
  ROLE: { schema: T.Union([T.Literal("all"), T.Literal("api"), T.Literal("ingest")], { description: "all, api or ingest" }), default: "all", doc: "all: one process does everything. api: serves clients, never ingests. ingest: takes the leader lock and ingests." },
  JWT_SECRET: { schema: T.Optional(T.String({ minLength: 32, description: "at least 32 characters" })), default: undefined, doc: "HS256 signing secret. Unset outside production: generated once and kept in DATA_DIR." },
  LOG_LEVEL: { schema: T.Union([T.Literal("debug"), T.Literal("info"), T.Literal("warn"), T.Literal("error"), T.Literal("silent")], { description: "debug, info, warn, error or silent" }), default: "info", doc: "Minimum level of the JSON log lines." },
  LIGHTER_URL: { schema: T.Optional(T.String({ pattern: "^https?://", description: "an http(s):// URL" })), default: undefined, doc: "Lighter REST root. Unset: the embedded simulator is started on loopback." },
  LIGHTER_WS_URL: { schema: T.Optional(T.String({ pattern: "^wss?://", description: "a ws(s):// URL" })), default: undefined, doc: "Lighter WebSocket URL. Unset: derived from LIGHTER_URL (…/stream)." },
  LIGHTER_MARKETS: { schema: T.String({ pattern: "^(all|\\d+(,\\d+)*)$", description: "all, or a comma-separated list of market ids" }), default: "all", doc: "Markets the engine follows." },
  SIM_SEED: { schema: T.Integer({ minimum: 0, description: "a non-negative integer" }), default: 42, doc: "Seed of the embedded simulator (same seed, same market)." },
  SHUTDOWN_TIMEOUT_MS: { schema: T.Integer({ minimum: 0, maximum: 600000, description: "milliseconds (0 to 600000)" }), default: 10000, doc: "How long a graceful shutdown waits for in-flight work." },
  HEALTH_TIMEOUT_MS: { schema: T.Integer({ minimum: 10, maximum: 10000, description: "milliseconds (10 to 10000)" }), default: 1000, doc: "Bound on each /health dependency check." },
  SEED_HOURS: { schema: T.Integer({ minimum: 0, maximum: 720, description: "hours (0 to 720)" }), default: 24, doc: "With the embedded simulator: history seeded on a first start (the last N hours; 0 disables)." },
  SEED_GUIDE_WINDOW: { schema: T.Union([T.Literal("true"), T.Literal("false")], { description: "true or false" }), default: "true", doc: "With the embedded simulator: also seed 2026-01-01T00:00Z–2026-01-02T00:00Z, the window the guide's examples use." },
  SEED_RATE: { schema: T.Integer({ minimum: 1, maximum: 1000, description: "events per second (1 to 1000)" }), default: 5, doc: "Simulated events per second of seeded history (sparser than live, so a first start seeds in a few minutes)." },
  SEED_SNAPSHOT_MS: { schema: T.Integer({ minimum: 1000, maximum: 3600000, description: "milliseconds (1000 to 3600000)" }), default: 30000, doc: "Book snapshot cadence of seeded history (live recording keeps one per second)." },
  ADMIN_TOKEN: { schema: T.Optional(T.String({ minLength: 32, description: "at least 32 characters" })), default: undefined, doc: "Enables the /admin routes (Authorization: Bearer <token>). Unset: they do not exist (404)." },
  TRUST_PROXY_HOPS: { schema: T.Integer({ minimum: 0, maximum: 10, description: "an integer from 0 to 10" }), default: 0, doc: "Proxies in front of the service whose X-Forwarded-For entries are trusted for the client IP (key allowlists, login throttling). 0: the socket address." },
  JWT_TTL_SECONDS: { schema: T.Integer({ minimum: 60, maximum: 2592000, description: "seconds (60 to 2592000)" }), default: 43200, doc: "Lifetime of the JWTs issued by register and login." },
  PASSWORD_HASH_CONCURRENCY: { schema: T.Integer({ minimum: 1, maximum: 64, description: "an integer from 1 to 64" }), default: 4, doc: "argon2id hashes computed at once (19 MiB each); further sign-ins wait, and past a queue of 64 per slot get 503." },
  REGISTRATIONS_PER_IP_PER_HOUR: { schema: T.Integer({ minimum: 1, maximum: 100000, description: "an integer from 1 to 100000" }), default: 20, doc: "Accounts one client address may register per hour." },
  WS_AUTH_TIMEOUT_MS: { schema: T.Integer({ minimum: 50, maximum: 600000, description: "milliseconds (50 to 600000)" }), default: 10000, doc: "/ws: time from connecting to a successful auth message; then error frame and close 1008." },
  WS_PING_INTERVAL_MS: { schema: T.Integer({ minimum: 50, maximum: 600000, description: "milliseconds (50 to 600000)" }), default: 30000, doc: "/ws: the server pings (JSON and protocol ping) this often." },
  WS_PONG_TIMEOUT_MS: { schema: T.Integer({ minimum: 50, maximum: 600000, description: "milliseconds (50 to 600000)" }), default: 10000, doc: "/ws: a ping unanswered this long (no JSON or protocol pong) closes the socket 1008." },
  WS_MAX_MESSAGE_BYTES: { schema: T.Integer({ minimum: 256, maximum: 1048576, description: "bytes (256 to 1048576)" }), default: 4096, doc: "Largest inbound WebSocket message; larger ones close the socket 1009 (every WebSocket route of the server)." },
  WS_SEND_BUFFER_BYTES: { schema: T.Integer({ minimum: 4096, maximum: 268435456, description: "bytes (4096 to 268435456)" }), default: 1048576, doc: "/ws: bytes waiting to be sent to one socket beyond which the client counts as too slow and is closed 1008 \"slow consumer\"." },
  WS_SLOW_CONSUMER_CHECK_MS: { schema: T.Integer({ minimum: 10, maximum: 60000, description: "milliseconds (10 to 60000)" }), default: 250, doc: "/ws: how often send buffers are checked against WS_SEND_BUFFER_BYTES." },
  WS_ENRICHED_INTERVAL_MS: { schema: T.Integer({ minimum: 10, maximum: 60000, description: "milliseconds (10 to 60000)" }), default: 250, doc: "Least time between two frames of one enriched_order_book view (states are conflated)." },
  WS_ENRICHED_DEPTH: { schema: T.Integer({ minimum: 1, maximum: 500, description: "an integer from 1 to 500" }), default: 50, doc: "Levels (or custom-tick buckets) per side in enriched_order_book frames." },
  WS_L3_INTERVAL_MS: { schema: T.Integer({ minimum: 100, maximum: 600000, description: "milliseconds (100 to 600000)" }), default: 1000, doc: "Least time between two reads of a market's level-3 orders (venue REST), made only while someone holds its enriched_order_book or alert channel." },
  REPLAY_READ_WORKER: { schema: T.Union([T.Literal("true"), T.Literal("false")], { description: "true or false" }), default: "true", doc: "/ws/replay: read and render history pages on a worker thread (started by the first replay) with its own store connection, so a replay's reads and rendering do not hold the event loop that serves every other socket and request; false: in process." },
  WS_CHECKPOINT_MS: { schema: T.Integer({ minimum: 100, maximum: 600000, description: "milliseconds (100 to 600000)" }), default: 2000, doc: "With REDIS_URL: how often the ingest node resends every live book, so api nodes that joined late or lost a message catch up." },
  WS_HEATMAP_INTERVAL_MS: { schema: T.Integer({ minimum: 100, maximum: 600000, description: "milliseconds (100 to 600000)" }), default: 5000, doc: "How often liquidation_heatmap/{m} is recomputed and sent, for markets someone holds." },
  WHALE_NOTIONAL_USD: { schema: T.Integer({ minimum: 1, description: "whole USD, at least 1" }), default: 100000, doc: "Whale flag and large trade / large order alerts: notional at or above this (USD), in every market without an override." },
  WHALE_NOTIONAL_USD_MARKETS: { schema: T.Optional(T.String({ pattern: "^\\d+:\\d+(,\\d+:\\d+)*$", description: "market:usd pairs, e.g. 0:250000,1:1000000" })), default: undefined, doc: "Per-market overrides of WHALE_NOTIONAL_USD, as market_id:usd pairs." },
  LIQUIDATION_ALERT_USD: { schema: T.Integer({ minimum: 1, description: "whole USD, at least 1" }), default: 25000, doc: "alert/{m}: liquidation fills at or above this notional (USD) raise an alert." },
  SIM_RATE: { schema: T.Integer({ minimum: 1, maximum: 1000000, description: "events per second (1 to 1000000)" }), default: 200, doc: "Target event rate of the embedded simulator (book deltas + trades, all markets)." },
  ACCOUNT_SHARDS: { schema: T.Integer({ minimum: 1, maximum: 64, description: "an integer from 1 to 64" }), default: 4, doc: "AccountTracker actors; accounts are split between them by account index mod N." },
  ACCOUNT_MAX_TRACKED: { schema: T.Integer({ minimum: 1, maximum: 10000000, description: "an integer from 1 to 10000000" }), default: 200000, doc: "Most venue accounts tracked; discovery from the trade feed stops there." },
  ACCOUNT_STREAM_MAX: { schema: T.Integer({ minimum: 0, maximum: 400, description: "an integer from 0 to 400" }), default: 64, doc: "Accounts followed on the venue's account_all channel (TRACK_ACCOUNTS first, then the largest by notional). The venue allows 500 subscriptions per connection, markets included." },
  TRACK_ACCOUNTS: { schema: T.Optional(T.String({ pattern: "^\\d+(,\\d+)*$", description: "comma-separated account indices" })), default: undefined, doc: "Accounts always tracked and followed on the account channel, whether they trade or not." },
  ACCOUNT_REFRESH_PER_MINUTE: { schema: T.Optional(T.Integer({ minimum: 1, maximum: 1000000, description: "requests per minute (1 to 1000000)" })), default: undefined, doc: "Venue REST requests per minute for account snapshots and open orders. Unset: 30 against a remote venue (a standard account may make 60 per minute, shared with backfills), 6000 against the embedded simulator." },
  ACCOUNT_REFRESH_MAX_AGE_MS: { schema: T.Integer({ minimum: 1000, maximum: 86400000, description: "milliseconds (1000 to 86400000)" }), default: 600000, doc: "A tracked account's REST snapshot older than this is refreshed in the background, as the request budget allows." },
  ACCOUNT_PNL_SNAPSHOT_MS: { schema: T.Integer({ minimum: 1000, maximum: 86400000, description: "milliseconds (1000 to 86400000)" }), default: 60000, doc: "Cadence of the recorded account PnL snapshots (aligned to multiples of it)." },
  ACCOUNT_PERSIST_MS: { schema: T.Integer({ minimum: 1000, maximum: 3600000, description: "milliseconds (1000 to 3600000)" }), default: 30000, doc: "How often changed account states are saved (warm restarts, nodes without a tracker)." },
  ACCOUNT_PUBLISH_MS: { schema: T.Integer({ minimum: 50, maximum: 10000, description: "milliseconds (50 to 10000)" }), default: 250, doc: "How often account tracking publishes changed tracked accounts and marks: to this node's read model when tracking runs on its own thread (a change is readable within about this), and with Redis to the cache, which other nodes (ROLE=api, standbys) poll as often (a change reaches them within about twice this)." },
  ACCOUNT_FULL_SNAPSHOT_MS: { schema: T.Integer({ minimum: 1000, maximum: 600000, description: "milliseconds (1000 to 600000)" }), default: 10000, doc: "With Redis: how often account tracking writes the full tracked-account snapshot that nodes without a tracker start (and recover) from. (The node's own replica, with ACCOUNT_THREAD=worker, needs only the first one of each tracking thread.)" },
  ACCOUNT_THREAD: { schema: T.Union([T.Literal("worker"), T.Literal("main")], { description: "worker or main" }), default: "worker", doc: "Where the ingest node tracks venue accounts: worker (a thread of its own, so parsing account frames, the trackers and their garbage do not hold the event loop that fans out the streams; this node reads a replica of its state, at most ACCOUNT_PUBLISH_MS old) or main (the event loop itself; reads see every change at once)." },
  WEBHOOK_ALLOW_HOSTS: { schema: T.Optional(T.String({ pattern: "^[^,\\s]+(,[^,\\s]+)*$", description: "comma-separated host names and/or IP addresses or CIDR blocks" })), default: undefined, doc: "Signal webhooks: hosts (exact names) and address blocks that may be delivered to even though they are loopback, private or otherwise refused (local receivers, self-hosted setups). Unset: none." },
  WEBHOOK_ALLOW_HTTP: { schema: T.Union([T.Literal("true"), T.Literal("false")], { description: "true or false" }), default: "false", doc: "Signal webhooks: accept http:// URLs as well as https://." },
  WEBHOOK_TIMEOUT_MS: { schema: T.Integer({ minimum: 100, maximum: 60000, description: "milliseconds (100 to 60000)" }), default: 10000, doc: "Signal webhooks: how long one delivery attempt may take (connect to last response byte)." },
  WEBHOOK_RETRY_BASE_MS: { schema: T.Integer({ minimum: 1, maximum: 3600000, description: "milliseconds (1 to 3600000)" }), default: 5000, doc: "Signal webhooks: first retry step. Steps are 1, 6, 24, 120, 360, 720, 2160, 4320 and 8640 times this (5 s … 12 h), each with full jitter, and retries stop 17280 times this (24 h) after the firing." },
  WEBHOOK_CONCURRENCY: { schema: T.Integer({ minimum: 1, maximum: 256, description: "an integer from 1 to 256" }), default: 8, doc: "Signal webhooks: attempts one delivery worker sends at once." },
  WEBHOOK_START_DELAY_MS: { schema: T.Integer({ minimum: 0, maximum: 600000, description: "milliseconds (0 to 600000)" }), default: 0, doc: "Signal webhooks: how long the delivery worker waits after starting before its first claim (lets tests stop a process between the outbox write and the send)." },
  WEBHOOK_SECRET_KEY: { schema: T.Optional(T.String({ minLength: 32, description: "at least 32 characters" })), default: undefined, doc: "Signal webhooks: key that encrypts channel secrets at rest (AES-256-GCM). Unset: secrets are stored as given. Keep it once set: sealed secrets cannot be used without it." },
  SIGNAL_RETENTION_DAYS: { schema: T.Integer({ minimum: 1, maximum: 3650, description: "days (1 to 3650)" }), default: 30, doc: "Signals: finished webhook deliveries (delivered, failed, cancelled) with their attempts, and deleted signals, are removed this many days after they were written (deleted). The ingest leader prunes them hourly in small batches; pending deliveries are never removed." },
} as const satisfies Record<string, { schema: TSchema; default: unknown; doc: string }>;

type EnvSpec = typeof ENV;
type ValueOf<K extends keyof EnvSpec> = EnvSpec[K]["default"] extends undefined
  ? Static<EnvSpec[K]["schema"]> | undefined
  : Exclude<Static<EnvSpec[K]["schema"]>, undefined>;

/** The parsed configuration; keys are the variable names in camelCase. */
export interface Config {
  readonly port: ValueOf<"PORT">;
  readonly host: ValueOf<"HOST">;
  readonly nodeEnv: ValueOf<"NODE_ENV">;
  readonly dataDir: ValueOf<"DATA_DIR">;
  readonly databaseUrl: ValueOf<"DATABASE_URL">;
  readonly redisUrl: ValueOf<"REDIS_URL">;
  readonly role: ValueOf<"ROLE">;
  readonly jwtSecret: ValueOf<"JWT_SECRET">;
  readonly logLevel: ValueOf<"LOG_LEVEL">;
  readonly lighterUrl: ValueOf<"LIGHTER_URL">;
  readonly lighterWsUrl: ValueOf<"LIGHTER_WS_URL">;
  readonly lighterMarkets: "all" | readonly number[];
  readonly simSeed: ValueOf<"SIM_SEED">;
  readonly shutdownTimeoutMs: ValueOf<"SHUTDOWN_TIMEOUT_MS">;
  readonly healthTimeoutMs: ValueOf<"HEALTH_TIMEOUT_MS">;
  readonly seedHours: ValueOf<"SEED_HOURS">;
  readonly seedGuideWindow: boolean;
  readonly seedRate: ValueOf<"SEED_RATE">;
  readonly seedSnapshotMs: ValueOf<"SEED_SNAPSHOT_MS">;
  readonly adminToken: ValueOf<"ADMIN_TOKEN">;
  readonly trustProxyHops: ValueOf<"TRUST_PROXY_HOPS">;
  readonly jwtTtlSeconds: ValueOf<"JWT_TTL_SECONDS">;
  readonly passwordHashConcurrency: ValueOf<"PASSWORD_HASH_CONCURRENCY">;
  readonly registrationsPerIpPerHour: ValueOf<"REGISTRATIONS_PER_IP_PER_HOUR">;
  readonly wsAuthTimeoutMs: ValueOf<"WS_AUTH_TIMEOUT_MS">;
  readonly wsPingIntervalMs: ValueOf<"WS_PING_INTERVAL_MS">;
  readonly wsPongTimeoutMs: ValueOf<"WS_PONG_TIMEOUT_MS">;
  readonly wsMaxMessageBytes: ValueOf<"WS_MAX_MESSAGE_BYTES">;
  readonly wsSendBufferBytes: ValueOf<"WS_SEND_BUFFER_BYTES">;
  readonly wsSlowConsumerCheckMs: ValueOf<"WS_SLOW_CONSUMER_CHECK_MS">;
  readonly wsEnrichedIntervalMs: ValueOf<"WS_ENRICHED_INTERVAL_MS">;
  readonly wsEnrichedDepth: ValueOf<"WS_ENRICHED_DEPTH">;
  readonly wsL3IntervalMs: ValueOf<"WS_L3_INTERVAL_MS">;
  readonly replayReadWorker: boolean;
  readonly wsCheckpointMs: ValueOf<"WS_CHECKPOINT_MS">;
  readonly wsHeatmapIntervalMs: ValueOf<"WS_HEATMAP_INTERVAL_MS">;
  readonly whaleNotionalUsd: ValueOf<"WHALE_NOTIONAL_USD">;
  /** Parsed from WHALE_NOTIONAL_USD_MARKETS: market id → whole USD. */
  readonly whaleNotionalUsdMarkets: Readonly<Record<number, number>>;
  readonly liquidationAlertUsd: ValueOf<"LIQUIDATION_ALERT_USD">;
  readonly simRate: ValueOf<"SIM_RATE">;
  readonly accountShards: ValueOf<"ACCOUNT_SHARDS">;
  readonly accountMaxTracked: ValueOf<"ACCOUNT_MAX_TRACKED">;
  readonly accountStreamMax: ValueOf<"ACCOUNT_STREAM_MAX">;
  /** Parsed from TRACK_ACCOUNTS. */
  readonly trackAccounts: readonly number[];
  readonly accountRefreshPerMinute: ValueOf<"ACCOUNT_REFRESH_PER_MINUTE">;
  readonly accountRefreshMaxAgeMs: ValueOf<"ACCOUNT_REFRESH_MAX_AGE_MS">;
  readonly accountPnlSnapshotMs: ValueOf<"ACCOUNT_PNL_SNAPSHOT_MS">;
  readonly accountPersistMs: ValueOf<"ACCOUNT_PERSIST_MS">;
  readonly accountPublishMs: ValueOf<"ACCOUNT_PUBLISH_MS">;
  readonly accountFullSnapshotMs: ValueOf<"ACCOUNT_FULL_SNAPSHOT_MS">;
  readonly accountThread: ValueOf<"ACCOUNT_THREAD">;
  /** Parsed from WEBHOOK_ALLOW_HOSTS. */
  readonly webhookAllowHosts: readonly string[];
  readonly webhookAllowHttp: boolean;
  readonly webhookTimeoutMs: ValueOf<"WEBHOOK_TIMEOUT_MS">;
  readonly webhookRetryBaseMs: ValueOf<"WEBHOOK_RETRY_BASE_MS">;
  readonly webhookConcurrency: ValueOf<"WEBHOOK_CONCURRENCY">;
  readonly webhookStartDelayMs: ValueOf<"WEBHOOK_START_DELAY_MS">;
  readonly webhookSecretKey: ValueOf<"WEBHOOK_SECRET_KEY">;
  readonly signalRetentionDays: ValueOf<"SIGNAL_RETENTION_DAYS">;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

const camel = (name: string) => name.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function coerce(schema: TSchema, raw: string): unknown {
  const kind = (schema as { type?: string }).type;
  if (kind === "integer" || kind === "number") return raw.trim() === "" ? raw : Number(raw);
  return raw;
}

/** Parses and validates the environment. Throws ConfigError naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(ENV) as [string, EnvSpec[keyof EnvSpec]][]) {
    const raw = env[name];
    const schema = spec.schema as TSchema;
    if (raw === undefined || raw === "") {
      out[camel(name)] = spec.default;
      continue;
    }
    const value = coerce(schema, raw);
    if (!Value.Check(schema, value)) {
      const expects = (schema as { description?: string }).description ?? "a valid value";
      throw new ConfigError(name, `${name}=${JSON.stringify(raw)} is invalid: expected ${expects}`);
    }
    out[camel(name)] = value;
  }
  const whales = out.whaleNotionalUsdMarkets as string | undefined;
  out.whaleNotionalUsdMarkets = Object.freeze(Object.fromEntries((whales ? whales.split(",") : []).map((pair) => pair.split(":").map(Number))));
  out.seedGuideWindow = out.seedGuideWindow === "true";
  out.webhookAllowHttp = out.webhookAllowHttp === "true";
  out.replayReadWorker = out.replayReadWorker === "true";
  const allowHosts = out.webhookAllowHosts as string | undefined;
  out.webhookAllowHosts = Object.freeze(allowHosts ? allowHosts.split(",") : []);
  const tracked = out.trackAccounts as string | undefined;
  out.trackAccounts = Object.freeze(tracked ? [...new Set(tracked.split(",").map(Number))] : []);
  const markets = out.lighterMarkets as string;
  out.lighterMarkets = markets === "all" ? "all" : Object.freeze(markets.split(",").map(Number));
  if (out.nodeEnv === "production" && !out.jwtSecret) {
    throw new ConfigError("JWT_SECRET", "JWT_SECRET is required when NODE_ENV=production: expected at least 32 characters");
  }
  return Object.freeze(out) as unknown as Config;
}
