/**
 * Migration files are imported as text (`import ddl from "./001_x.sql" with { type: "text" }`),
 * so they are bundled with the code instead of being read from disk at a path that a build may
 * move. Bun implements the loader; this tells TypeScript what such an import yields.
 */
declare module "*.sql" {
  const text: string;
  export default text;
}
