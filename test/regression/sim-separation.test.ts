/**
 * The engine knows the venue only through its client: nothing in src/ outside a venue's sim/
 * folder may import a simulator, except the composition root (main.ts, service.ts), which starts
 * the embedded one. So no test can pass by reading the simulator's memory through engine code.
 */
import { expect, test } from "bun:test";
import { Glob } from "bun";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(import.meta.dir, "../..");
const COMPOSITION_ROOT = new Set(["src/main.ts", "src/service.ts"]);
const IMPORT = /(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

test("only the composition root imports a venue simulator", async () => {
  const offenders: string[] = [];
  for await (const file of new Glob("src/**/*.ts").scan({ cwd: root })) {
    if (/^src\/venues\/[^/]+\/sim\//.test(file) || COMPOSITION_ROOT.has(file) || file.endsWith(".test.ts")) continue;
    const text = await Bun.file(join(root, file)).text();
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2]!;
      if (!spec.startsWith(".")) continue;
      const target = relative(root, resolve(root, dirname(file), spec));
      if (/^src\/venues\/[^/]+\/sim(\/|$)/.test(target)) offenders.push(`${file} → ${spec}`);
    }
  }
  expect(offenders).toEqual([]);
});

test("the check itself detects a simulator import", () => {
  const sample = 'import { startSimulator } from "../venues/lighter/sim";';
  const specs = [...sample.matchAll(IMPORT)].map((m) => m[1] ?? m[2]);
  expect(specs).toEqual(["../venues/lighter/sim"]);
});
