/**
 * Runs the real service as a child process (`bun src/main.ts`) for tests that need signals, exit
 * codes or two nodes. Output lines are collected so tests can await a specific one with a deadline.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");

export interface ServiceProcess {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  lines: string[];
  /** Resolves with the first output line matching `pattern`, or rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the port once the service logs that it listens. */
  port(): Promise<number>;
  exited: Promise<number>;
  kill(signal?: NodeJS.Signals | number): void;
}

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `hl-${prefix}-`));

export function spawnService(env: Record<string, string>): ServiceProcess {
  const proc = Bun.spawn([process.execPath, join(ROOT, "src/main.ts")], {
    cwd: ROOT,
    // Seeding history takes minutes; tests that want it ask for it. Every test registers from
    // 127.0.0.1, and with Redis the per-address registration limit is shared by every process (for
    // an hour, across runs): tests lift it unless they test it.
    env: {
      PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "info", SEED_HOURS: "0", SEED_GUIDE_WINDOW: "false",
      REGISTRATIONS_PER_IP_PER_HOUR: "100000", ...env,
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const lines: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of stream) {
      rest += decoder.decode(chunk, { stream: true });
      let i: number;
      while ((i = rest.indexOf("\n")) >= 0) {
        const line = rest.slice(0, i);
        rest = rest.slice(i + 1);
        lines.push(line);
        for (const w of [...waiters]) {
          if (w.pattern.test(line)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      }
    }
  };
  void pump(proc.stdout);
  void pump(proc.stderr);

  const waitFor = (pattern: RegExp, timeoutMs = 15_000) => {
    const seen = lines.find((l) => pattern.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise<string>((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; output:\n${lines.slice(-20).join("\n")}`)), timeoutMs);
      waiters.push({ pattern, resolve: (line) => (clearTimeout(timer), resolvePromise(line)) });
    });
  };

  return {
    proc,
    lines,
    waitFor,
    async port() {
      const line = await waitFor(/"msg":"listening"/);
      return Number(new URL((JSON.parse(line) as { url: string }).url).port);
    },
    exited: proc.exited,
    kill: (signal = "SIGTERM") => proc.kill(signal),
  };
}
