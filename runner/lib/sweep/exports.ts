// Exports like the in-house tool's: raw JSONL per run, a summary CSV and a Markdown report, for one sweep.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pointsSql } from '../store/points.ts';
import { tableSql } from '../store/read.ts';
import { sqlString } from '../store/schema.ts';
import { duck } from '../store/writer.ts';
import { failureClasses } from '../metrics/run.ts';

const SUMMARY_COLUMNS = `s.framework, s.model, s.host, s.scenario, s.point, s.trial::INTEGER AS trial, s.n_ok::INTEGER AS n_ok, s.n_measured::INTEGER AS n_measured,
  round(s.ttft_p50, 2) AS ttft_p50_ms, round(s.ttft_p99, 2) AS ttft_p99_ms, round(s.tpot_p50, 3) AS tpot_p50_ms,
  round(s.itl_p99, 3) AS itl_p99_ms, round(s.e2e_p50, 2) AS e2e_p50_ms, round(s.output_throughput, 2) AS output_tok_s,
  round(s.request_throughput, 3) AS req_s, round(s.goodput, 3) AS goodput, s.errors AS failures, s.n_retried::INTEGER AS n_retried,
  round(s.cache_hit_share, 3) AS cache_hit_share, round(s.prompt_computed_share, 3) AS prompt_computed_share,
  round(s.ttft_server_diff_p50, 2) AS ttft_server_diff_p50_ms, round(s.tpot_server_diff_p50, 3) AS tpot_server_diff_p50_ms, s.cross_check_flag,
  round(s.gpu_memory_peak_mib, 0) AS gpu_memory_peak_mib, round(s.output_tokens_per_joule, 3) AS output_tokens_per_joule,
  s.valid, s.invalid_reason, s.client_limited, s.synthetic, s.run_id`;

export async function writeExports(dataDir: string, sweepId: string): Promise<string> {
  const dir = join(dataDir, 'exports', sweepId);
  await mkdir(join(dir, 'raw'), { recursive: true });
  const c = await duck();
  const runs = tableSql(dataDir, 'runs');
  const summary = `(SELECT ${SUMMARY_COLUMNS} FROM ${pointsSql((t) => tableSql(dataDir, t))} s WHERE s.sweep_id = ${sqlString(sweepId)} ORDER BY s.framework, s.scenario, s.point, s.trial)`;
  await c.run(`COPY ${summary} TO ${sqlString(join(dir, 'summary.csv'))} (HEADER, DELIMITER ',')`);
  const ids = (await c.runAndReadAll(`SELECT run_id FROM ${runs} WHERE sweep_id = ${sqlString(sweepId)} ORDER BY run_id`)).getRowObjectsJson();
  for (const { run_id } of ids) {
    const id = String(run_id);
    await c.run(`COPY (SELECT * EXCLUDE (host, sweep) FROM ${tableSql(dataDir, 'requests')} WHERE run_id = ${sqlString(id)} ORDER BY request_index) TO ${sqlString(join(dir, 'raw', `${id}.jsonl`))} (FORMAT json)`);
  }
  const rows = (await c.runAndReadAll(`SELECT * FROM ${summary}`)).getRowObjectsJson();
  await writeFile(join(dir, 'report.md'), markdownReport(sweepId, rows));
  return dir;
}

const cell = (v: unknown): string => (v === null || v === undefined ? '–' : String(v).replaceAll('|', '\\|').replaceAll('\n', ' '));

export function markdownReport(sweepId: string, rows: Array<Record<string, unknown>>): string {
  const cols = ['framework', 'scenario', 'point', 'trial', 'n_ok', 'n_measured', 'ttft_p50_ms', 'ttft_p99_ms', 'tpot_p50_ms', 'itl_p99_ms', 'e2e_p50_ms', 'output_tok_s', 'req_s'];
  const lines = [
    `# servebench sweep ${sweepId}`,
    '',
    'Latencies in milliseconds; throughput over each point’s measurement window (docs/metrics.md). Warmups excluded.',
    '',
    `| ${cols.join(' | ')} |`,
    `| ${cols.map(() => '---').join(' | ')} |`,
    ...rows.map((r) =>
      r.valid === false
        ? `| ${cols.slice(0, 6).map((c) => cell(r[c])).join(' | ')} | ${cell(`INVALID: ${String(r.invalid_reason)}`)} |${' |'.repeat(cols.length - 7)}`
        : `| ${cols.map((c) => cell(r[c])).join(' | ')} |${r.client_limited === true ? ' ⚠ client-limited' : ''}${r.cross_check_flag ? ` ⚠ ${cell(r.cross_check_flag)}` : ''}`,
    ),
    '',
  ];
  const failures = rows.filter((r) => typeof r.failures === 'string' && r.failures !== '{}');
  if (failures.length > 0) {
    lines.push('## Failed requests by class', '');
    for (const r of failures) lines.push(`- ${cell(r.framework)} · ${cell(r.scenario)} · ${cell(r.point)}: ${failureClasses(JSON.parse(String(r.failures)) as Record<string, number>)}`);
    lines.push('');
  }
  if (rows.some((r) => r.valid === false)) lines.push('Invalid points are not measurements (their server died or too many requests failed); `--resume` redoes them.', '');
  if (rows.some((r) => r.synthetic === true)) lines.push('**Synthetic data: not a measurement.**', '');
  return lines.join('\n');
}
