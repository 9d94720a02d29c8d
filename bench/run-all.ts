/**
 * Runs every benchmark in bench/ in sequence, each in its own process with its small defaults, and
 * prints a summary of exit codes and durations. Benchmarks are scripts that print figures and
 * ratios; none is a test, and a missed target is reported by the script, not turned into a failure.
 *
 *   bun bench/run-all.ts               every bench/*.ts (this file excepted), alphabetically
 *   bun bench/run-all.ts ingest candles  only those (names without .ts)
 */
import { Glob } from "bun";
import { basename, join } from "node:path";

const only = new Set(process.argv.slice(2).map((n) => n.replace(/\.ts$/, "")));
const all: string[] = [];
for await (const file of new Glob("*.ts").scan({ cwd: import.meta.dir })) {
  const name = basename(file, ".ts");
  if (name !== "run-all") all.push(name);
}
all.sort();
const unknown = [...only].filter((n) => !all.includes(n));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; available: ${all.join(", ")}`);
  process.exit(2);
}
const names = only.size > 0 ? all.filter((n) => only.has(n)) : all;

const results: { name: string; code: number; seconds: number }[] = [];
for (const name of names) {
  console.log(`\n######## bench/${name}.ts ########`);
  const started = performance.now();
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, `${name}.ts`)], { stdout: "inherit", stderr: "inherit", cwd: join(import.meta.dir, "..") });
  const code = await proc.exited;
  results.push({ name, code, seconds: (performance.now() - started) / 1000 });
}

console.log("\n######## summary ########");
for (const r of results) console.log(`${r.name.padEnd(16)} ${r.code === 0 ? "ok    " : `exit ${r.code}`}  ${r.seconds.toFixed(1)} s`);
process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
