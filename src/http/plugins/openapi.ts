/**
 * The OpenAPI document (generated from every route's TypeBox schemas) at /openapi.json and
 * /openapi.yaml, and Swagger UI at /swagger. The UI's assets are served from the installed
 * swagger-ui-dist package so the page renders without reaching any CDN.
 */
import { Elysia } from "elysia";
import { openapi } from "@elysiajs/openapi";
import { FormatRegistry } from "@sinclair/typebox";
import { dirname, join } from "node:path";

// Importing @elysiajs/openapi (its bundled @sinclair/typemap) re-registers TypeBox's global string
// formats with checks that build a new zod schema on every call. Every response is validated, and
// every envelope's meta.request_id is `format: "uuid"`: that alone took about a quarter of the CPU
// of GET /api/v1/orderbook (bench/orderbook.ts). Restore a plain pattern test (Elysia's own).
const UUID = /^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i;
FormatRegistry.Set("uuid", (value) => UUID.test(value));

const ASSETS = dirname(Bun.resolveSync("swagger-ui-dist/package.json", import.meta.dir));
const ASSET_FILES = new Set(["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "favicon-16x16.png"]);

/** `handle` routes an in-process request through the composed app (to render the YAML from the JSON). */
export const apiDocs = (opts: { version: string; handle: (req: Request) => Promise<Response> }) =>
  new Elysia({ name: "api-docs" })
    .use(
      openapi({
        path: "/swagger",
        specPath: "/openapi.json",
        provider: "swagger-ui",
        swagger: {
          cdn: "/swagger/assets/swagger-ui-bundle.js",
          theme: "/swagger/assets/swagger-ui.css",
          autoDarkMode: false,
        },
        exclude: { paths: ["/swagger/assets/:file", "/openapi.yaml"] },
        documentation: {
          info: {
            title: "Hyperlight API",
            version: opts.version,
            description:
              "Enhanced market data for perpetual DEXes: order books, trade history, candles, liquidations, funding, batch account queries, streams and replay. Every response uses the envelope {success, data, meta}.",
          },
          tags: [
            { name: "Health", description: "Service and upstream status (no authentication)." },
            { name: "Orderbook" },
            { name: "Trades & Candles" },
            { name: "Liquidations" },
            { name: "Funding Rates" },
            { name: "Exchange Analytics" },
          ],
          components: {
            securitySchemes: {
              ApiKeyHeader: { type: "apiKey", in: "header", name: "X-Api-Key" },
              Bearer: { type: "http", scheme: "bearer", description: "An API key (hlt_…) or a JWT." },
              ApiKeyQuery: { type: "apiKey", in: "query", name: "api_key" },
            },
          },
        },
      }),
    )
    .get(
      "/swagger/assets/:file",
      ({ params, set }) => {
        if (!ASSET_FILES.has(params.file)) {
          set.status = 404;
          return "not found";
        }
        set.headers["cache-control"] = "public, max-age=86400";
        return Bun.file(join(ASSETS, params.file));
      },
      { detail: { hide: true } },
    )
    .get(
      "/openapi.yaml",
      async ({ set }) => {
        const res = await opts.handle(new Request("http://internal/openapi.json"));
        set.headers["content-type"] = "application/yaml; charset=utf-8";
        return Bun.YAML.stringify(await res.json(), null, 2);
      },
      { detail: { hide: true } },
    );
