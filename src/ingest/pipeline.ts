/**
 * The ingest pipeline of a leader node: the venue feed (the embedded simulator when no venue URL
 * is configured) and everything fed by it.
 */
import type { Config } from "../config";
import type { Deps } from "../deps";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import type { Metrics } from "../http/metrics";
import type { CheckState, UpstreamView } from "../http/routes/health/service";

export interface IngestPipeline {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The venue feed as a /health check state. */
  feedState(): CheckState;
  upstream(): UpstreamView;
}

export async function createIngestPipeline(opts: { config: Config; deps: Deps; clock: Clock; log: Logger; metrics: Metrics }): Promise<IngestPipeline> {
  const { config } = opts;
  return {
    async start() {},
    async stop() {},
    feedState: () => "unknown",
    upstream: () => ({
      venue: "lighter",
      network: "unknown",
      source: config.lighterUrl ? "remote" : "simulator",
      rest_url: config.lighterUrl ?? "embedded",
      ws_url: config.lighterWsUrl ?? "embedded",
      connection: "not started",
    }),
  };
}
