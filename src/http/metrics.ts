/**
 * A small Prometheus registry: counters, gauges read on scrape, and a latency histogram. Label
 * sets are joined into one string key so the per-request cost is a Map lookup and an increment.
 */

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Histogram {
  labels: string;
  counts: Float64Array;
  sum: number;
  count: number;
}

export type GaugeReader = () => Array<{ labels?: Record<string, string>; value: number }> | number;

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

const renderLabels = (labels: Record<string, string>) => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
};

/** One (method, route, status): its request counter and the latency histogram it feeds. */
interface RequestSeries {
  labels: string;
  count: number;
  latency: Histogram;
}

export class Metrics {
  /** Keyed by the raw "method status route", so a request costs no label escaping once its series exists. */
  private readonly requests = new Map<string, RequestSeries>();
  private readonly latency = new Map<string, Histogram>();
  private readonly counters = new Map<string, { help: string; values: Map<string, number> }>();
  private readonly gauges = new Map<string, { help: string; read: GaugeReader }>();
  private readonly readCounters = new Map<string, { help: string; read: GaugeReader }>();

  /** Records one HTTP request: count by (method, route, status) and latency by (route, status). */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const id = `${method} ${status} ${route}`;
    let series = this.requests.get(id);
    if (!series) {
      const hkey = `route="${escapeLabel(route)}",status="${status}"`;
      let latency = this.latency.get(hkey);
      if (!latency) {
        latency = { labels: hkey, counts: new Float64Array(LATENCY_BUCKETS.length), sum: 0, count: 0 };
        this.latency.set(hkey, latency);
      }
      series = { labels: `method="${escapeLabel(method)}",route="${escapeLabel(route)}",status="${status}"`, count: 0, latency };
      this.requests.set(id, series);
    }
    series.count++;
    const h = series.latency;
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) if (seconds <= LATENCY_BUCKETS[i]!) h.counts[i]!++;
    h.sum += seconds;
    h.count++;
  }

  /** Adds `by` to a named counter (declared on first use). */
  inc(name: string, help: string, labels: Record<string, string> = {}, by = 1): void {
    let c = this.counters.get(name);
    if (!c) {
      c = { help, values: new Map() };
      this.counters.set(name, c);
    }
    const key = renderLabels(labels);
    c.values.set(key, (c.values.get(key) ?? 0) + by);
  }

  /** Registers a gauge read at scrape time (queue depths, connection counts, drops...). */
  gauge(name: string, help: string, read: GaugeReader): void {
    this.gauges.set(name, { help, read });
  }

  /** Registers a counter a component keeps itself, read at scrape time (hot paths count in a plain field). */
  counter(name: string, help: string, read: GaugeReader): void {
    this.readCounters.set(name, { help, read });
  }

  /** The Prometheus text exposition (version 0.0.4). */
  render(): string {
    const out: string[] = [];
    out.push("# HELP http_requests_total HTTP requests by method, route and status.");
    out.push("# TYPE http_requests_total counter");
    for (const r of this.requests.values()) out.push(`http_requests_total{${r.labels}} ${r.count}`);
    out.push("# HELP http_request_duration_seconds HTTP request latency by route and status.");
    out.push("# TYPE http_request_duration_seconds histogram");
    for (const h of this.latency.values()) {
      for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
        out.push(`http_request_duration_seconds_bucket{${h.labels},le="${LATENCY_BUCKETS[i]}"} ${h.counts[i]}`);
      }
      out.push(`http_request_duration_seconds_bucket{${h.labels},le="+Inf"} ${h.count}`);
      out.push(`http_request_duration_seconds_sum{${h.labels}} ${h.sum}`);
      out.push(`http_request_duration_seconds_count{${h.labels}} ${h.count}`);
    }
    for (const [name, c] of this.counters) {
      out.push(`# HELP ${name} ${c.help}`, `# TYPE ${name} counter`);
      for (const [labels, v] of c.values) out.push(`${name}${labels} ${v}`);
    }
    const scraped = [...[...this.readCounters].map(([n, r]) => [n, r, "counter"] as const), ...[...this.gauges].map(([n, r]) => [n, r, "gauge"] as const)];
    for (const [name, g, type] of scraped) {
      out.push(`# HELP ${name} ${g.help}`, `# TYPE ${name} ${type}`);
      let read: ReturnType<GaugeReader>;
      try {
        read = g.read();
      } catch {
        continue;
      }
      if (typeof read === "number") out.push(`${name} ${read}`);
      else for (const s of read) out.push(`${name}${renderLabels(s.labels ?? {})} ${s.value}`);
    }
    return out.join("\n") + "\n";
  }
}
