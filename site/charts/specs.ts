// Chart specifications shared by the build (server-side SVG) and the browser (redraw on a switch): data and options
// in, Plot options out. No DOM here, so the same module runs in both places.
import * as Plot from '@observablehq/plot';

export type Row = Record<string, any>;
export interface ChartOptions {
  metric?: string;
  pct?: string;
  log?: boolean;
  hidden?: string[];
  /** 'latest' (default) or 'all' sweeps. */
  runs?: string;
  width?: number;
  labels: Record<string, string>;
}

/**
 * Rows a chart draws: frameworks not switched off, and — where rows carry their sweep — the latest sweep per framework,
 * or every sweep side by side ("framework · sweep") so an older run can be compared with the newest.
 */
function visible(rows: Row[], o: ChartOptions): Row[] {
  // An invalid point (its server died, or too many requests failed) is not a measurement: never drawn.
  const kept = rows.filter((r) => r.valid !== false && !(o.hidden ?? []).includes(r.framework));
  // Two models or two hosts on one chart: each framework × model × host is its own series, never pooled.
  const combos = new Set(kept.filter((r) => 'model' in r).map((r) => `${r.model}|${r.host}`));
  const shown: Row[] = combos.size > 1 ? kept.map((r) => ({ ...r, framework: `${r.framework} · ${r.model} · ${r.host}` })) : kept;
  if (!shown.some((r) => 'latest' in r)) return shown;
  if (o.runs !== 'all') return shown.filter((r) => r.latest);
  return shown.map((r) => ({ ...r, framework: `${r.framework} · ${r.sweep_id}` }));
}
const base = (o: ChartOptions) => ({ width: o.width ?? 720, height: 340, marginLeft: 60, color: { legend: true }, style: { background: 'transparent', color: 'currentColor' } });

/** Error bars of the 95% interval across trials, where a point has several (site/lib/trials.ts adds `_lo`/`_hi`). */
function errorBars(data: Row[], key: string): Plot.Markish[] {
  const withTrials = data.filter((d) => typeof d[`${key}_lo`] === 'number' && typeof d[`${key}_hi`] === 'number');
  return withTrials.length === 0 ? [] : [Plot.ruleX(withTrials, { x: 'concurrency', y1: `${key}_lo`, y2: `${key}_hi`, stroke: 'framework', strokeWidth: 1.5 })];
}

/** Latency (metric at a percentile) vs concurrency, with the p50–p99 band. */
function latency(rows: Row[], o: ChartOptions): Plot.PlotOptions {
  const m = o.metric ?? 'ttft';
  const p = o.pct ?? 'p50';
  const data = visible(rows, o).filter((r) => r.concurrency !== null && r[`${m}_${p}`] !== null);
  return {
    ...base(o),
    x: { label: o.labels.concurrency, type: 'log', base: 2 },
    y: { label: `${o.labels[m] ?? m} ${p} (ms)`, type: o.log ? 'log' : 'linear', grid: true },
    marks: [
      Plot.areaY(data, { x: 'concurrency', y1: `${m}_p50`, y2: `${m}_p99`, fill: 'framework', fillOpacity: 0.12 }),
      Plot.line(data, { x: 'concurrency', y: `${m}_${p}`, stroke: 'framework', marker: 'circle' }),
      ...errorBars(data, `${m}_${p}`),
      Plot.tip(data, Plot.pointer({ x: 'concurrency', y: `${m}_${p}`, title: (d: Row) => `${d.framework} c=${d.concurrency}\n${m} ${p}: ${Number(d[`${m}_${p}`]).toFixed(1)} ms` })),
    ],
  };
}

function throughput(rows: Row[], o: ChartOptions): Plot.PlotOptions {
  const m = o.metric ?? 'output_throughput';
  const data = visible(rows, o).filter((r) => r.concurrency !== null && r[m] !== null);
  return {
    ...base(o),
    x: { label: o.labels.concurrency, type: 'log', base: 2 },
    y: { label: o.labels[m] ?? m, type: o.log ? 'log' : 'linear', grid: true },
    marks: [
      Plot.line(data, { x: 'concurrency', y: m, stroke: 'framework', marker: 'circle' }),
      ...errorBars(data, m),
      Plot.tip(data, Plot.pointer({ x: 'concurrency', y: m, title: (d: Row) => `${d.framework} c=${d.concurrency}\n${Number(d[m]).toFixed(2)}` })),
    ],
  };
}

function ecdf(rows: Row[], o: ChartOptions): Plot.PlotOptions {
  const m = o.metric ?? 'ttft_ms';
  const data = visible(rows, o).filter((r) => r.metric === m);
  return {
    ...base(o),
    x: { label: `${o.labels[m] ?? m} (ms)`, type: o.log ? 'log' : 'linear', grid: true },
    y: { label: o.labels.share, domain: [0, 1] },
    marks: [Plot.line(data, { x: 'value', y: 'p', stroke: 'framework', curve: 'step-after' }), Plot.tip(data, Plot.pointer({ x: 'value', y: 'p', title: (d: Row) => `${d.framework}: p${Math.round(d.p * 100)} = ${Number(d.value).toFixed(1)} ms` }))],
  };
}

function timeline(rows: Row[], o: ChartOptions): Plot.PlotOptions {
  const data = visible(rows, o);
  return {
    ...base(o),
    height: Math.max(200, Math.min(600, data.length * 6 + 60)),
    x: { label: o.labels.seconds },
    y: { label: o.labels.request, axis: null },
    fy: { label: null },
    marks: [
      Plot.ruleY(data, { y: 'i', x1: (d: Row) => d.sent / 1000, x2: (d: Row) => d.first / 1000, fy: 'framework', stroke: '#aaa' }),
      Plot.ruleY(data, { y: 'i', x1: (d: Row) => d.first / 1000, x2: (d: Row) => d.last / 1000, fy: 'framework', stroke: 'framework', strokeWidth: 2 }),
      Plot.tip(data, Plot.pointer({ x: (d: Row) => d.first / 1000, y: 'i', fy: 'framework', title: (d: Row) => `#${d.i}: TTFT ${(d.first - d.sent).toFixed(0)} ms, E2E ${(d.last - d.sent).toFixed(0)} ms` })),
    ],
  };
}

function prefix(rows: Row[], o: ChartOptions): Plot.PlotOptions {
  const data = visible(rows, o);
  return {
    ...base(o),
    x: { label: o.labels.requestNumber },
    y: { label: `${o.labels.ttft} (ms)`, type: o.log ? 'log' : 'linear', grid: true },
    marks: [Plot.line(data, { x: 'n', y: 'ttft_ms', stroke: 'framework', marker: 'circle' }), Plot.tip(data, Plot.pointer({ x: 'n', y: 'ttft_ms', title: (d: Row) => `${d.framework} #${d.n}: ${Number(d.ttft_ms).toFixed(1)} ms, cached ${d.cached_tokens ?? '–'}` }))],
  };
}

function language(rows: Row[], o: ChartOptions): Plot.PlotOptions {
  const m = o.metric ?? 'chars_per_s';
  const data = visible(rows, o).filter((r) => r[m] !== null);
  return {
    ...base(o),
    x: { label: null },
    fx: { label: null },
    y: { label: o.labels[m] ?? m, grid: true },
    color: { legend: true },
    marks: [Plot.barY(data, { fx: 'task', x: 'language', y: m, fill: 'language' }), Plot.tip(data, Plot.pointer({ fx: 'task', x: 'language', y: m, title: (d: Row) => `${d.framework} ${d.task} ${d.language}: ${Number(d[m]).toFixed(2)}` }))],
  };
}

function gpu(rows: Row[], o: ChartOptions): Plot.PlotOptions {
  const m = o.metric ?? 'memory_used_mib';
  const data = visible(rows, o);
  return {
    ...base(o),
    x: { label: o.labels.seconds },
    y: { label: o.labels[m] ?? m, grid: true },
    marks: [Plot.line(data, { x: 't_s', y: m, stroke: 'framework' }), Plot.tip(data, Plot.pointer({ x: 't_s', y: m, title: (d: Row) => `${d.framework} ${d.t_s}s: ${Number(d[m]).toFixed(0)}` }))],
  };
}

/** Throughput vs p99 latency (the Pareto view) per scenario point. */
function pareto(rows: Row[], o: ChartOptions): Plot.PlotOptions {
  const data = visible(rows, o).filter((r) => r.output_throughput !== null && r.e2e_p99 !== null);
  return {
    ...base(o),
    x: { label: `${o.labels.e2e} p99 (ms)`, type: o.log ? 'log' : 'linear', grid: true },
    y: { label: o.labels.output_throughput, grid: true },
    marks: [Plot.dot(data, { x: 'e2e_p99', y: 'output_throughput', stroke: 'framework', r: 4 }), Plot.tip(data, Plot.pointer({ x: 'e2e_p99', y: 'output_throughput', title: (d: Row) => `${d.framework} ${d.point}` }))],
  };
}

/**
 * The client against the server's own clock, per point: the median difference (dot) and its spread to p90 (line), so a
 * reader sees whether the client added anything. Only points whose server reports per-request timings have rows.
 */
function crosscheck(rows: Row[], o: ChartOptions): Plot.PlotOptions {
  const m = o.metric ?? 'ttft_server_diff';
  const data = visible(rows, o).filter((r) => r[`${m}_p50`] !== null && r[`${m}_p50`] !== undefined);
  const label = (d: Row): string => `${d.scenario} · ${d.point}`;
  return {
    ...base(o),
    height: Math.max(160, Math.min(700, new Set(data.map(label)).size * 18 + 60)),
    marginLeft: 200,
    x: { label: o.labels[m] ?? m, grid: true },
    y: { label: null },
    marks: [
      Plot.ruleX([0]),
      Plot.ruleY(data, { y: label, x1: `${m}_p50`, x2: `${m}_p90`, stroke: 'framework' }),
      Plot.dot(data, { y: label, x: `${m}_p50`, fill: 'framework', r: 3.5 }),
      Plot.tip(data, Plot.pointer({ y: label, x: `${m}_p50`, title: (d: Row) => `${d.framework} ${label(d)}\np50 ${Number(d[`${m}_p50`]).toFixed(2)} ms, p90 ${Number(d[`${m}_p90`]).toFixed(2)} ms` })),
    ],
  };
}

export const CHARTS = { latency, throughput, ecdf, timeline, prefix, language, gpu, pareto, crosscheck } as const;
export type ChartName = keyof typeof CHARTS;

export function chartOptions(name: ChartName, rows: Row[], o: ChartOptions): Plot.PlotOptions {
  return CHARTS[name](rows, o);
}
