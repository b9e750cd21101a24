// Prometheus text exposition (what vLLM, SGLang, llama.cpp and the reference server serve on /metrics) → one row per
// series. Line by line rather than grouped into families: a histogram's _bucket, _sum and _count series come out as
// they are, each with all its labels (a family-grouping parser kept only `le` and dropped _sum/_count of labelled
// histograms, which is every vLLM histogram).

export interface PrometheusSample {
  name: string;
  /** The series' labels as a JSON object text, in the order the server wrote them. */
  labels: string;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

function unescape(v: string): string {
  return v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/** Reads `{a="x",b="y"}` from position `at` (just after the metric name); returns the labels and where they end. */
function readLabels(line: string, at: number): { labels: Record<string, string>; end: number } | null {
  const labels: Record<string, string> = {};
  let i = at + 1;
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') return { labels, end: i + 1 };
    const name = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i))?.[0];
    if (name === undefined) return null;
    i += name.length;
    while (line[i] === ' ') i++;
    if (line[i] !== '=' || line[i + 1] !== '"') return null;
    i += 2;
    let raw = '';
    while (i < line.length && line[i] !== '"') {
      if (line[i] === '\\') raw += line[i++];
      raw += line[i++];
    }
    if (line[i] !== '"') return null;
    labels[name] = unescape(raw);
    i++;
  }
}

/** Every sample line with a finite value; comments, blank and malformed lines are skipped. */
export function parsePrometheus(text: string): PrometheusSample[] {
  const out: PrometheusSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const name = NAME.exec(line)?.[0];
    if (name === undefined) continue;
    let labels: Record<string, string> = {};
    let rest = line.slice(name.length);
    if (rest.startsWith('{')) {
      const read = readLabels(line, name.length);
      if (read === null) continue;
      labels = read.labels;
      rest = line.slice(read.end);
    }
    // The value, then an optional timestamp.
    const valueText = rest.trim().split(/\s+/)[0] ?? '';
    const value = Number(valueText);
    if (valueText === '' || !Number.isFinite(value)) continue;
    out.push({ name, labels: JSON.stringify(labels), value });
  }
  return out;
}
