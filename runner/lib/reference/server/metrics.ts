// The reference server's /metrics in Prometheus text format, with names in vLLM's style under `reference:`.

const TTFT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60];
const ITL_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

class Histogram {
  private readonly bounds: number[];
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(bounds: number[]) {
    this.bounds = bounds;
    this.counts = bounds.map(() => 0);
  }
  observe(seconds: number): void {
    this.sum += seconds;
    this.count++;
    this.bounds.forEach((b, i) => {
      if (seconds <= b) this.counts[i]!++;
    });
  }
  render(name: string, labels: string): string[] {
    return [
      `# TYPE ${name} histogram`,
      ...this.bounds.map((b, i) => `${name}_bucket{${labels},le="${b}"} ${this.counts[i]}`),
      `${name}_bucket{${labels},le="+Inf"} ${this.count}`,
      `${name}_sum{${labels}} ${this.sum}`,
      `${name}_count{${labels}} ${this.count}`,
    ];
  }
}

export class ServerMetrics {
  private promptTokens = 0;
  private generationTokens = 0;
  private requests = 0;
  private prefixQueries = 0;
  private prefixHits = 0;
  private readonly ttftH = new Histogram(TTFT_BUCKETS);
  private readonly itlH = new Histogram(ITL_BUCKETS);
  private readonly queueH = new Histogram(TTFT_BUCKETS);
  private readonly e2eH = new Histogram(TTFT_BUCKETS);

  ttft(ms: number): void {
    this.ttftH.observe(ms / 1000);
  }
  itl(ms: number): void {
    this.itlH.observe(ms / 1000);
  }
  queueTime(ms: number): void {
    this.queueH.observe(ms / 1000);
  }
  prefix(queried: number, hit: number): void {
    this.prefixQueries += queried;
    this.prefixHits += hit;
  }
  done(prompt: number, generated: number, ms: number): void {
    this.requests++;
    this.promptTokens += prompt;
    this.generationTokens += generated;
    this.e2eH.observe(ms / 1000);
  }

  render(model: string, running: number, waiting: number, decodeSteps: number): string {
    const l = `model_name="${model.replaceAll('"', '\\"')}"`;
    const gauge = (name: string, v: number) => [`# TYPE ${name} gauge`, `${name}{${l}} ${v}`];
    const counter = (name: string, v: number) => [`# TYPE ${name} counter`, `${name}{${l}} ${v}`];
    return [
      ...gauge('reference:num_requests_running', running),
      ...gauge('reference:num_requests_waiting', waiting),
      ...counter('reference:request_success_total', this.requests),
      ...counter('reference:prompt_tokens_total', this.promptTokens),
      ...counter('reference:generation_tokens_total', this.generationTokens),
      ...counter('reference:prefix_cache_queries_total', this.prefixQueries),
      ...counter('reference:prefix_cache_hits_total', this.prefixHits),
      // Generated tokens ÷ decode steps is how full the batches were.
      ...counter('reference:decode_steps_total', decodeSteps),
      ...this.ttftH.render('reference:time_to_first_token_seconds', l),
      ...this.itlH.render('reference:inter_token_latency_seconds', l),
      ...this.queueH.render('reference:request_queue_time_seconds', l),
      ...this.e2eH.render('reference:e2e_request_latency_seconds', l),
      '',
    ].join('\n');
  }
}
