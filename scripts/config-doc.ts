/**
 * Prints the README's configuration table from the config schema (src/config.ts), so the docs
 * cannot drift from what the service reads. `bun run scripts/config-doc.ts`
 */
import { ENV } from "../src/config";

/** The markdown table of every environment variable, its default and meaning. */
export function configTable(): string {
  const rows = Object.entries(ENV).map(([name, spec]) => {
    const def = spec.default === undefined ? "unset" : `\`${String(spec.default)}\``;
    return `| \`${name}\` | ${def} | ${spec.doc} |`;
  });
  return ["| Variable | Default | Meaning |", "| --- | --- | --- |", ...rows].join("\n");
}

if (import.meta.main) console.log(configTable());
