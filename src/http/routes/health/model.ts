import { t } from "elysia";
import { Envelope } from "../../envelope";

export const CheckState = t.Union([t.Literal("ok"), t.Literal("error"), t.Literal("down"), t.Literal("connecting"), t.Literal("unknown")]);

export const HealthBody = t.Object(
  {
    status: t.Union([t.Literal("ok"), t.Literal("degraded")], { description: "degraded when any check is not ok." }),
    version: t.String(),
    uptime_seconds: t.Integer({ minimum: 0 }),
    checks: t.Record(t.String(), CheckState, {
      description: "postgres or sqlite (the store), redis or memory (cache and limiter), lighter_api (the venue feed).",
    }),
  },
  { description: "Service health. HTTP 503 only when the store is down." },
);

export const UpstreamStatus = t.Object({
  venue: t.String({ description: "Upstream venue name." }),
  network: t.Union([t.Literal("ok"), t.Literal("degraded"), t.Literal("down"), t.Literal("unknown")]),
  source: t.Union([t.Literal("simulator"), t.Literal("remote")], { description: "simulator: the embedded Lighter simulator on loopback." }),
  rest_url: t.String(),
  ws_url: t.String(),
  connection: t.String({ description: "State of the live feed connection." }),
  markets: t.Optional(t.Integer({ minimum: 0, description: "Markets the feed follows." })),
  last_message_at: t.Optional(t.Integer({ description: "ms epoch of the last frame received." })),
  height: t.Optional(t.Integer({ description: "Latest block height seen." })),
});

export const StatusEnvelope = Envelope(UpstreamStatus);
