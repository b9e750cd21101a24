// Server-side rendering of a chart to SVG markup with linkedom, so pages read without JavaScript.
import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';
import { chartOptions, type ChartName, type ChartOptions, type Row } from './specs.ts';

export function renderChart(name: ChartName, rows: Row[], o: ChartOptions): string {
  const { document } = parseHTML('<!doctype html><html><body></body></html>');
  const node = Plot.plot({ ...chartOptions(name, rows, o), document: document as unknown as Document });
  return (node as unknown as { outerHTML: string }).outerHTML;
}
