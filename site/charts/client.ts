// In the browser: every chart figure redraws from its embedded aggregates when a control changes.
import * as Plot from '@observablehq/plot';
import { chartOptions, type ChartName, type ChartOptions, type Row } from './specs.ts';

interface Embedded {
  name: ChartName;
  rows: Row[];
  options: ChartOptions;
}

function wire(figure: HTMLElement): void {
  const payload = figure.querySelector('script[type="application/json"]');
  const target = figure.querySelector<HTMLElement>('.plot');
  if (payload === null || target === null) return;
  const chart = JSON.parse(payload.textContent ?? '{}') as Embedded;
  const redraw = (): void => {
    const o: ChartOptions = { ...chart.options, width: Math.min(target.clientWidth || 720, 900) };
    for (const el of figure.querySelectorAll<HTMLSelectElement>('select[data-opt]')) (o as unknown as Record<string, unknown>)[el.dataset.opt!] = el.value;
    for (const el of figure.querySelectorAll<HTMLInputElement>('input[data-opt]')) (o as unknown as Record<string, unknown>)[el.dataset.opt!] = el.checked;
    o.hidden = [...figure.querySelectorAll<HTMLInputElement>('input[data-framework]')].filter((el) => !el.checked).map((el) => el.dataset.framework!);
    target.replaceChildren(Plot.plot(chartOptions(chart.name, chart.rows, o)));
    figure.dataset.drawn = String(Number(figure.dataset.drawn ?? '0') + 1);
  };
  figure.addEventListener('change', redraw);
  redraw();
}

for (const f of document.querySelectorAll<HTMLElement>('figure[data-chart]')) wire(f);

const theme = document.querySelector<HTMLButtonElement>('#theme-toggle');
theme?.addEventListener('click', () => {
  const dark = document.documentElement.dataset.theme !== 'dark';
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
  localStorage.setItem('servebench-theme', dark ? 'dark' : 'light');
});
