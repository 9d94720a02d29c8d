import { expect, test } from "bun:test";
import { configTable } from "../../scripts/config-doc";

test("the README's configuration table matches the config schema", async () => {
  const readme = await Bun.file(new URL("../../README.md", import.meta.url)).text();
  expect(readme).toContain(configTable());
});
