/**
 * The JWT signing secret: from config when set; otherwise (outside production) generated once with
 * a CSPRNG and kept in DATA_DIR with owner-only permissions, so tokens survive restarts.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export function resolveJwtSecret(opts: { configured?: string; dataDir: string }): string {
  if (opts.configured) return opts.configured;
  const file = join(opts.dataDir, "jwt-secret");
  if (existsSync(file)) {
    const stored = readFileSync(file, "utf8").trim();
    if (stored.length >= 32) return stored;
  }
  mkdirSync(opts.dataDir, { recursive: true });
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString("hex");
  writeFileSync(file, secret + "\n", { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}
