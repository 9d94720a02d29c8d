/**
 * Webhook delivery for signals: the outbox's write side, the worker that sends, and what they use
 * (payloads, signing, the SSRF policy, the retry schedule). `deliveryConfig` turns the WEBHOOK_*
 * settings into the worker's options, so every process builds the same worker from configuration.
 */
import type { Config } from "../../config.ts";
import { retryPolicy } from "./retry.ts";
import { webhookPolicyFromConfig } from "./ssrf.ts";
import type { DeliveryWorkerOptions } from "./worker.ts";

/** The worker options that come from configuration (the rest — store, clock, log, id — from the composition root). */
export function deliveryConfig(
  config: Pick<Config, "webhookAllowHttp" | "webhookAllowHosts" | "webhookTimeoutMs" | "webhookRetryBaseMs" | "webhookConcurrency" | "webhookStartDelayMs">,
): Pick<DeliveryWorkerOptions, "policy" | "retry" | "concurrency" | "timeoutMs" | "startDelayMs"> {
  return {
    policy: webhookPolicyFromConfig(config),
    retry: retryPolicy(config.webhookRetryBaseMs),
    concurrency: config.webhookConcurrency,
    timeoutMs: config.webhookTimeoutMs,
    startDelayMs: config.webhookStartDelayMs,
  };
}

export { createOutbox, type Outbox, type OutboxOptions, type TestEventOptions } from "./outbox.ts";
export { buildSignalPayload, signalPayload, type PayloadInput, type SignalWebhookPayload, type WebhookEventType } from "./payload.ts";
export { RETRY_STEPS, nextAttemptAt, retryPolicy, type RetryPolicy } from "./retry.ts";
export { WEBHOOK_USER_AGENT, webhookHeaders } from "./signing.ts";
export {
  type HostResolver, type UrlCheck, type WebhookPolicy, checkWebhookUrl, createWebhookPolicy, resolveWebhookTarget, systemResolver, webhookPolicyFromConfig,
} from "./ssrf.ts";
export { createDeliveryWorker, type DeliveryWorker, type DeliveryWorkerOptions, type DeliveryWorkerStats } from "./worker.ts";
