/**
 * Training curves: one PNG with two panels, loss (train and each evaluation set) and accuracy,
 * per epoch. Built from the run's epoch records with the shared SVG chart renderer.
 */
import { lineChart, type Series } from '../render/chart.js';
import { writeSvgAsPng } from '../render/raster.js';
import type { EpochRecord, LossAcc } from './history.js';

const PANEL_W = 640;
const PANEL_H = 400;

function series(history: readonly EpochRecord[], pick: (r: LossAcc) => number): Series[] {
  const names = [...new Set(history.flatMap((h) => Object.keys(h.eval)))];
  const train: Series = { label: 'train', points: history.map((h) => [h.epoch, pick(h.train)]), dashed: true };
  const evals = names.map((n) => ({
    label: n,
    points: history.filter((h) => h.eval[n]).map((h): [number, number] => [h.epoch, pick(h.eval[n])]),
  }));
  return [train, ...evals];
}

/** The two-panel SVG document (loss left, accuracy right). */
export function curvesSvg(history: readonly EpochRecord[], title: string): string {
  const loss = lineChart({ title: `${title}: loss`, xLabel: 'epoch', yLabel: 'loss', width: PANEL_W, height: PANEL_H, series: series(history, (r) => r.loss) });
  const acc = lineChart({ title: `${title}: accuracy`, xLabel: 'epoch', yLabel: 'accuracy', width: PANEL_W, height: PANEL_H, series: series(history, (r) => r.acc) });
  const nest = (svg: string, x: number): string => svg.replace('<svg ', `<svg x="${x}" y="0" `);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * PANEL_W}" height="${PANEL_H}">`,
    nest(loss, 0),
    nest(acc, PANEL_W),
    '</svg>',
  ].join('\n');
}

export async function writeCurves(history: readonly EpochRecord[], title: string, file: string): Promise<void> {
  await writeSvgAsPng(curvesSvg(history, title), file);
}
