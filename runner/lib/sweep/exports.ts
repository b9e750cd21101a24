// Exports like the in-house tool's: raw JSONL per run, a summary CSV and a Markdown report, for one sweep.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readParquetSql } from '../store/schema.ts';
import { duck } from '../store/writer.ts';

const q = (s: string): string => `'${s.replaceAll("'", "''")}'`;

const SUMMARY_COLUMNS = `s.framework, s.scenario, s.point, s.trial::INTEGER AS trial, s.n_ok::INTEGER AS n_ok, s.n_measured::INTEGER AS n_measured,
  round(s.ttft_p50, 2) AS ttft_p50_ms, round(s.ttft_p99, 2) AS ttft_p99_ms, round(s.tpot_p50, 3) AS tpot_p50_ms,
  round(s.itl_p99, 3) AS itl_p99_ms, round(s.e2e_p50, 2) AS e2e_p50_ms, round(s.output_throughput, 2) AS output_tok_s,
  round(s.request_throughput, 3) AS req_s, round(s.goodput, 3) AS goodput, r.client_limited, r.synthetic, s.run_id`;

export async function writeExports(dataDir: string, sweepId: string): Promise<string> {
  const dir = join(dataDir, 'exports', sweepId);
  await mkdir(join(dir, 'raw'), { recursive: true });
  const c = await duck();
  const runs = readParquetSql(dataDir, 'runs');
  const summary = `(SELECT ${SUMMARY_COLUMNS} FROM ${readParquetSql(dataDir, 'summary')} s JOIN ${runs} r USING (run_id) WHERE r.sweep_id = ${q(sweepId)} ORDER BY s.framework, s.scenario, s.point, s.trial)`;
  await c.run(`COPY ${summary} TO ${q(join(dir, 'summary.csv'))} (HEADER, DELIMITER ',')`);
  const ids = (await c.runAndReadAll(`SELECT run_id FROM ${runs} WHERE sweep_id = ${q(sweepId)} ORDER BY run_id`)).getRowObjectsJson();
  for (const { run_id } of ids) {
    const id = String(run_id);
    await c.run(`COPY (SELECT * EXCLUDE (host, sweep) FROM ${readParquetSql(dataDir, 'requests')} WHERE run_id = ${q(id)} ORDER BY request_index) TO ${q(join(dir, 'raw', `${id}.jsonl`))} (FORMAT json)`);
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
    'Latencies in milliseconds; throughput over each point’s measurement window (METRICS.md). Warmups excluded.',
    '',
    `| ${cols.join(' | ')} |`,
    `| ${cols.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${cols.map((c) => cell(r[c])).join(' | ')} |${r.client_limited === true ? ' ⚠ client-limited' : ''}`),
    '',
  ];
  if (rows.some((r) => r.synthetic === true)) lines.push('**Synthetic data: not a measurement.**', '');
  return lines.join('\n');
}
