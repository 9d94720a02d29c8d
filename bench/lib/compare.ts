/**
 * Runs the load generator against a baseline and a candidate alternately, round after round, so
 * both see the same machine conditions; reports the median of each and the ratio.
 */
import { join } from "node:path";

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
}

/** Request headers; a list of values is used in turn, one request after another (e.g. many API keys). */
export type LoadHeaders = Record<string, string | readonly string[]>;

export async function runLoad(url: string, opts: { connections: number; seconds: number; headers?: LoadHeaders }): Promise<LoadResult> {
  const headerArgs = Object.entries(opts.headers ?? {}).flatMap(([k, v]) => (typeof v === "string" ? [v] : v).map((x) => `${k}:${x}`));
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "loadgen.ts"), url, String(opts.connections), String(opts.seconds), ...headerArgs], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  return JSON.parse(out.trim().split("\n").pop()!) as LoadResult;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

export async function compare(
  label: string,
  baseline: { name: string; url: string; headers?: LoadHeaders },
  candidate: { name: string; url: string; headers?: LoadHeaders },
  opts: { rounds: number; connections: number; seconds: number },
) {
  const base: LoadResult[] = [];
  const cand: LoadResult[] = [];
  // Warm both (JIT, connection pools) before measuring.
  await runLoad(baseline.url, { connections: opts.connections, seconds: 1, headers: baseline.headers });
  await runLoad(candidate.url, { connections: opts.connections, seconds: 1, headers: candidate.headers });
  for (let r = 0; r < opts.rounds; r++) {
    base.push(await runLoad(baseline.url, { ...opts, headers: baseline.headers }));
    cand.push(await runLoad(candidate.url, { ...opts, headers: candidate.headers }));
  }
  const summary = (rs: LoadResult[]) => ({
    rps: Math.round(median(rs.map((r) => r.rps))),
    p50_ms: +median(rs.map((r) => r.p50_ms)).toFixed(3),
    p99_ms: +median(rs.map((r) => r.p99_ms)).toFixed(3),
    errors: rs.reduce((a, r) => a + r.errors, 0),
  });
  const b = summary(base);
  const c = summary(cand);
  console.log(`\n== ${label} (${opts.rounds} alternating rounds × ${opts.seconds}s, ${opts.connections} connections) ==`);
  console.log(`${baseline.name.padEnd(28)} ${String(b.rps).padStart(8)} req/s   p50 ${b.p50_ms} ms   p99 ${b.p99_ms} ms   errors ${b.errors}`);
  console.log(`${candidate.name.padEnd(28)} ${String(c.rps).padStart(8)} req/s   p50 ${c.p50_ms} ms   p99 ${c.p99_ms} ms   errors ${c.errors}`);
  console.log(`ratio ${candidate.name} / ${baseline.name}: ${(c.rps / b.rps).toFixed(3)}x`);
  return { baseline: b, candidate: c, ratio: c.rps / b.rps };
}
