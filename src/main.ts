/**
 * Composition root: loadConfig() → startService() → graceful shutdown on SIGTERM/SIGINT.
 */
import { ConfigError, loadConfig } from "./config";
import { startService } from "./service";

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`config error: ${err.message}`);
    process.exit(2);
  }
  throw err;
}

const service = await startService(config);

let signals = 0;
const shutdown = (signal: string) => {
  signals++;
  if (signals > 1) {
    service.log.warn("second signal; exiting now", { signal });
    process.exit(1);
  }
  service.log.info("signal received", { signal });
  const force = setTimeout(() => process.exit(1), config.shutdownTimeoutMs + 5000);
  force.unref();
  service.stop().then(
    () => process.exit(0),
    (err) => {
      console.error("shutdown failed", err);
      process.exit(1);
    },
  );
};
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));
