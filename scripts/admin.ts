/**
 * Operator CLI, straight against the configured store (DATA_DIR's SQLite file, or DATABASE_URL):
 *
 *   bun run admin -- users list [--email <email>] [--limit 100] [--offset 0]
 *   bun run admin -- set-plan <email|user_id> <tier>
 *   bun run admin -- create-key <email|user_id> --tier enterprise [--name load]
 *
 * Output is JSON on stdout (the created key appears there once, and nowhere else); the audit line
 * of each action goes to stderr as the service's JSON log format, without secrets. With REDIS_URL
 * set, plan changes are published so running nodes drop their cached keys at once; without it they
 * pick the change up within the key cache TTL (5 s).
 */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../src/config";
import { isTierId, TIER_IDS } from "../src/domain/tiers";
import { AdminService } from "../src/identity/admin.service";
import { createMemoryInvalidationBus, createRedisInvalidationBus, type InvalidationBus } from "../src/identity/invalidation";
import { UsageRecorder } from "../src/identity/usage-recorder";
import { systemClock } from "../src/lib/clock";
import { AppError } from "../src/lib/errors";
import { createLogger } from "../src/lib/log";
import { openStore } from "../src/store";
import { createRedisClient } from "../src/store/redis/client";

const USAGE = `usage:
  bun run admin -- users list [--email <email>] [--limit N] [--offset N]
  bun run admin -- set-plan <email|user_id> <tier>
  bun run admin -- create-key <email|user_id> --tier <tier> [--name <name>]
tiers: ${TIER_IDS.join(", ")}`;

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { email: { type: "string" }, limit: { type: "string" }, offset: { type: "string" }, tier: { type: "string" }, name: { type: "string" } },
});
const [command, arg1, arg2] = positionals;

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) fail(`config error: ${err.message}`);
  throw err;
}

// Audit lines on stderr, so stdout stays machine-readable JSON.
const log = createLogger({ level: config.logLevel === "silent" ? "silent" : "info", sink: { write: (chunk) => void process.stderr.write(chunk) }, base: { service: "hyperlight-admin" } });
const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, log: createLogger({ level: "warn", sink: { write: (c) => void process.stderr.write(c) } }) });
const redis = config.redisUrl ? { pub: createRedisClient(config.redisUrl, log), sub: createRedisClient(config.redisUrl, log) } : undefined;
const bus: InvalidationBus = redis ? createRedisInvalidationBus({ ...redis, channel: "hl:keys:invalidate", log }) : createMemoryInvalidationBus();
const usage = new UsageRecorder({ store: store.identity, clock: systemClock, log, flushMs: 60_000 });
const admin = new AdminService({ store: store.identity, clock: systemClock, log, bus, usage });
const actor = { via: "cli" as const };

let exitCode = 0;
try {
  if (command === "users" && arg1 === "list") {
    const page = await admin.listUsers({ limit: Number(values.limit ?? 100), offset: Number(values.offset ?? 0), email: values.email?.toLowerCase() }, actor);
    console.log(JSON.stringify({ total: page.total, users: page.rows.map((u) => ({ id: u.id, email: u.email, plan: u.plan, created_at: new Date(u.createdAt).toISOString() })) }, null, 2));
  } else if (command === "set-plan" && arg1 && arg2) {
    if (!isTierId(arg2)) fail(`unknown tier '${arg2}'\n${USAGE}`);
    const { user, previous } = await admin.setPlan(arg1, arg2, actor);
    console.log(JSON.stringify({ user_id: user.id, email: user.email, previous_plan: previous, plan: user.plan }, null, 2));
  } else if (command === "create-key" && arg1) {
    if (!isTierId(values.tier)) fail(`--tier must be one of: ${TIER_IDS.join(", ")}\n${USAGE}`);
    const r = await admin.createKey(arg1, { tier: values.tier, name: values.name }, actor);
    console.log(JSON.stringify({ api_key: r.key, key_id: r.record.id, prefix: r.record.prefix, tier: r.record.tier, user_id: r.user.id, plan: r.user.plan, plan_raised: r.planRaised }, null, 2));
  } else {
    fail(USAGE);
  }
} catch (err) {
  if (!(err instanceof AppError)) throw err;
  console.error(`error: ${err.message}`);
  exitCode = 1;
} finally {
  await usage.close();
  await bus.close();
  redis?.pub.disconnect();
  redis?.sub.disconnect();
  await store.close();
  await log.flush();
}
process.exit(exitCode);
