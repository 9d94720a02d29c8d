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
  const markets = out.lighterMarkets as string;
  out.lighterMarkets = markets === "all" ? "all" : Object.freeze(markets.split(",").map(Number));
  if (out.nodeEnv === "production" && !out.jwtSecret) {
    throw new ConfigError("JWT_SECRET", "JWT_SECRET is required when NODE_ENV=production: expected at least 32 characters");
  }
  return Object.freeze(out) as unknown as Config;
}
