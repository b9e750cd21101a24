// What the user sees while a sweep runs: a bar per scenario point with ETA and a live TTFT/throughput line on a
// terminal, plain lines elsewhere (CI logs, pipes), and a summary table at the end.
import cliProgress from 'cli-progress';
import Table from 'cli-table3';
import type { RequestRecord } from '../client/record.ts';
import { percentile } from '../metrics/percentile.ts';
import type { RunSummary } from '../metrics/run.ts';
import type { ScenarioPoint } from '../scenarios/points.ts';
import { failureClasses } from '../metrics/run.ts';
import type { PointResult, SweepReporter, SweepResult } from './sweep.ts';

type Write = (line: string) => void;

// CSI (ESC [ or the one-byte C1 CSI, … final), OSC (ESC ] … BEL or ESC \), and any other ESC pair.
const ESCAPES = /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-_]/g;
// C0 controls but tab and newline, DEL, and C1 controls.
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Text from servers (error bodies, log tails, model output) made safe for a terminal: escape sequences and control
 * characters removed, so a hostile or broken server cannot clear the screen, retitle the window or hide lines.
 */
export function terminalSafe(text: string): string {
  return text.replace(ESCAPES, '').replace(CONTROLS, '');
}

const fmt = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

export function pointLine(target: string, point: ScenarioPoint, trial: number): string {
  return `${target} · ${point.scenario} · ${point.label}${trial > 1 ? ` · trial ${trial}` : ''}`;
}

export function summaryLine(s: RunSummary): string {
  const failures = failureClasses(s.errors);
  return `ok ${s.n_ok}/${s.n_measured}${failures ? ` (${failures})` : ''} · TTFT p50 ${fmt(s.ttft.p50)} ms · TPOT p50 ${fmt(s.tpot.p50, 2)} ms · ${fmt(s.output_throughput)} tok/s`;
}

/** Running figures over the requests finished so far in a point. */
class Live {
  private ttfts: number[] = [];
  private tokens = 0;
  private first = Infinity;
  private last = 0;
  private done = 0;
  add(r: RequestRecord): void {
    if (r.is_warmup) return;
    this.done++;
    if (r.status === 'ok' && r.t_first_token !== null) this.ttfts.push(r.t_first_token - r.t_sent);
    if (r.status === 'ok') this.tokens += r.output_tokens ?? 0;
    this.first = Math.min(this.first, r.t_sent);
    this.last = Math.max(this.last, r.t_done);
  }
  text(): string {
    // The same median as everywhere else (numpy's linear interpolation), so the live figure matches the summary's p50.
    const median = this.ttfts.length > 0 ? percentile(this.ttfts, 50) : null;
    const secs = (this.last - this.first) / 1000;
    return `TTFT~${fmt(median, 0)}ms ${fmt(secs > 0 ? this.tokens / secs : null)}tok/s`;
  }
  get count(): number {
    return this.done;
  }
}

export function consoleReporter(opts: { tty: boolean; write?: Write }): SweepReporter & { close(): void } {
  const out: Write = opts.write ?? ((l) => process.stderr.write(l + '\n'));
  const write: Write = (l) => out(terminalSafe(l));
  let bar: cliProgress.SingleBar | null = null;
  let live = new Live();
  let total: number | null = null;
  const stopBar = (): void => {
    bar?.stop();
    bar = null;
  };
  return {
    targetStarting: (name) => write(`▶ starting ${name} …`),
    targetFailed: (name, err) => {
      stopBar();
      write(`✖ ${name}: ${err.message} — skipped, the other targets still run`);
    },
    pointSkipped: (target, point, trial) => write(`↷ ${pointLine(target, point, trial)} (already on disk)`),
    pointStarting: (target, point, trial, requests) => {
      live = new Live();
      total = requests;
      const label = pointLine(target, point, trial);
      if (opts.tty && requests !== null) {
        bar = new cliProgress.SingleBar(
          { format: `${label} [{bar}] {value}/{total} · ETA {eta_formatted} · {live}`, hideCursor: true, clearOnComplete: true, stream: process.stderr },
          cliProgress.Presets.shades_classic,
        );
        bar.start(requests, 0, { live: '' });
      } else {
        write(`• ${label}${requests !== null ? ` (${requests} requests)` : ''}`);
      }
    },
    requestDone: (r) => {
      live.add(r);
      if (bar !== null) bar.update(live.count, { live: live.text() });
      else if (!opts.tty && total !== null && live.count > 0 && live.count % Math.max(1, Math.ceil(total / 4)) === 0) write(`  ${live.count}/${total} · ${live.text()}`);
    },
    pointDone: (target, point, trial, summary, invalid) => {
      stopBar();
      if (invalid === null) write(`✔ ${pointLine(target, point, trial)} · ${summaryLine(summary)}`);
      else write(`✖ ${pointLine(target, point, trial)} · INVALID: ${invalid} — kept on disk, not charted, redone by --resume`);
    },
    pointFailed: (target, point, trial, err) => {
      stopBar();
      write(`✖ ${pointLine(target, point, trial)}: ${err.message}`);
    },
    close: stopBar,
  };
}

export function summaryTable(result: SweepResult): string {
  const table = new Table({
    head: ['target', 'scenario', 'point', 'ok', 'TTFT p50', 'TTFT p99', 'TPOT p50', 'ITL p99', 'E2E p50', 'out tok/s', 'req/s'],
    style: { head: [], border: [] },
  });
  const row = (p: PointResult) => p.invalid !== null ? [
    p.target,
    p.scenario,
    p.point + (p.trial > 1 ? ` #${p.trial}` : ''),
    `${p.summary.n_ok}/${p.summary.n_measured}`,
    { colSpan: 7, content: `INVALID: ${p.invalid}` },
  ] : [
    p.target,
    p.scenario,
    p.point + (p.trial > 1 ? ` #${p.trial}` : '') + (p.client_limited ? ' (client-limited)' : ''),
    `${p.summary.n_ok}/${p.summary.n_measured}${Object.keys(p.summary.errors).length > 0 ? `\n${failureClasses(p.summary.errors)}` : ''}`,
    fmt(p.summary.ttft.p50),
    fmt(p.summary.ttft.p99),
    fmt(p.summary.tpot.p50, 2),
    fmt(p.summary.itl.p99, 2),
    fmt(p.summary.e2e.p50),
    fmt(p.summary.output_throughput),
    fmt(p.summary.request_throughput, 2),
  ];
  for (const p of result.points) table.push(row(p));
  const lines = [table.toString()];
  if (result.skipped > 0) lines.push(`${result.skipped} point(s) were already on disk and skipped (--resume).`);
  const invalid = result.points.filter((p) => p.invalid !== null).length;
  if (invalid > 0) lines.push(`${invalid} point(s) are INVALID (kept on disk, never charted); --resume ${result.sweepId} redoes them.`);
  for (const f of result.failedPoints) lines.push(`point ${f.target} ${f.scenario} ${f.point}${f.trial > 1 ? ` #${f.trial}` : ''} failed: ${f.error}`);
  for (const f of result.failedTargets) lines.push(`target ${f.target} failed: ${f.error}`);
  if (result.diskFull !== null) lines.push(`stopped: disk full: ${result.diskFull}`);
  return terminalSafe(lines.join('\n'));
}
