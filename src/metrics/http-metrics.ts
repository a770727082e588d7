// Request count and latency by method, route and status, recorded on every request. Hand-written
// rather than prom-client's Counter/Histogram because those validate and hash the label object on each
// observation (a few µs per request on the hot path); here a series is found by one string key and an
// observation is a few additions. Rendered in the Prometheus text format next to prom-client's output.

const BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

interface Series {
  labels: string;
  /** Observations per bucket (not cumulative; summed when rendered). */
  buckets: Float64Array;
  count: number;
  sumSeconds: number;
}

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

export class HttpMetrics {
  private readonly series = new Map<string, Series>();

  constructor(private readonly prefix: string) {}

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let s = this.series.get(key);
    if (!s) {
      s = {
        labels: `method="${escapeLabel(method)}",route="${escapeLabel(route)}",status="${status}"`,
        buckets: new Float64Array(BUCKETS_SECONDS.length),
        count: 0,
        sumSeconds: 0,
      };
      this.series.set(key, s);
    }
    s.count += 1;
    s.sumSeconds += seconds;
    for (let i = 0; i < BUCKETS_SECONDS.length; i++) {
      if (seconds <= (BUCKETS_SECONDS[i] as number)) {
        (s.buckets[i] as number) += 1;
        break;
      }
    }
  }

  render(): string {
    const total = `${this.prefix}http_requests_total`;
    const duration = `${this.prefix}http_request_duration_seconds`;
    const lines = [`# HELP ${total} HTTP requests by method, route and status.`, `# TYPE ${total} counter`];
    for (const s of this.series.values()) lines.push(`${total}{${s.labels}} ${s.count}`);
    lines.push(`# HELP ${duration} HTTP request latency by method, route and status.`, `# TYPE ${duration} histogram`);
    for (const s of this.series.values()) {
      let cumulative = 0;
      BUCKETS_SECONDS.forEach((bound, i) => {
        cumulative += s.buckets[i] as number;
        lines.push(`${duration}_bucket{le="${bound}",${s.labels}} ${cumulative}`);
      });
      lines.push(
        `${duration}_bucket{le="+Inf",${s.labels}} ${s.count}`,
        `${duration}_sum{${s.labels}} ${s.sumSeconds}`,
        `${duration}_count{${s.labels}} ${s.count}`,
      );
    }
    return `${lines.join('\n')}\n`;
  }
}
