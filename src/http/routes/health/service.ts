/**
 * Health and upstream status, framework-free. Each dependency check is real (a query, a PING) and
 * bounded by a timeout so a hung dependency cannot hang /health.
 */
import type { Clock } from "../../../lib/clock";

export type CheckState = "ok" | "error" | "down" | "connecting" | "unknown";

export interface HealthProbe {
  /** The check's name in /health (postgres, sqlite, redis, memory, lighter_api). */
  name: string;
  /** Store checks are critical: only they turn /health into a 503. */
  critical: boolean;
  /** Resolves when healthy; rejects (or returns a non-ok state) otherwise. */
  check(): Promise<CheckState | void>;
}

export interface UpstreamView {
  venue: string;
  network: "ok" | "degraded" | "down" | "unknown";
  source: "simulator" | "remote";
  rest_url: string;
  ws_url: string;
  connection: string;
  markets?: number;
  last_message_at?: number;
  height?: number;
}

export interface HealthReport {
  httpStatus: 200 | 503;
  body: { status: "ok" | "degraded"; version: string; uptime_seconds: number; checks: Record<string, CheckState> };
}

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e) => (clearTimeout(timer), reject(e)),
    );
  });

export class HealthService {
  private readonly startedAt: number;

  constructor(
    private readonly deps: {
      clock: Clock;
      version: string;
      timeoutMs: number;
      probes: () => HealthProbe[];
      upstream: () => UpstreamView;
    },
  ) {
    this.startedAt = deps.clock.now();
  }

  async report(): Promise<HealthReport> {
    const probes = this.deps.probes();
    const results = await Promise.all(
      probes.map(async (p) => {
        try {
          const state = await withTimeout(p.check(), this.deps.timeoutMs);
          return [p, state ?? "ok"] as const;
        } catch {
          return [p, "error" as CheckState] as const;
        }
      }),
    );
    const checks: Record<string, CheckState> = {};
    let degraded = false;
    let storeDown = false;
    for (const [probe, state] of results) {
      checks[probe.name] = state;
      // "unknown" (nothing to check on this node, e.g. an api node's venue feed) is not a fault.
      if (state !== "ok" && state !== "unknown") {
        degraded = true;
        if (probe.critical) storeDown = true;
      }
    }
    return {
      httpStatus: storeDown ? 503 : 200,
      body: {
        status: degraded ? "degraded" : "ok",
        version: this.deps.version,
        uptime_seconds: Math.floor((this.deps.clock.now() - this.startedAt) / 1000),
        checks,
      },
    };
  }

  upstream(): UpstreamView {
    return this.deps.upstream();
  }
}
