import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lineChart, niceTicks } from '../../src/render/chart.js';
import { escapeXml } from '../../src/util/xml.js';
import { writeSvgAsPng } from '../../src/render/raster.js';

test('niceTicks covers the range with round steps', () => {
  assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0.33, 0.91, 4), [0.4, 0.6, 0.8]);
  assert.deepEqual(niceTicks(1, 1), [1]);
});

test('escapeXml escapes markup in labels', () => {
  assert.equal(escapeXml(`a<b & "c"`), 'a&lt;b &amp; &quot;c&quot;');
});

test('a chart renders to a PNG of the requested size with every series in the legend', async () => {
  const svg = lineChart({
    title: 'accuracy vs kept fraction',
    xLabel: 'kept fraction',
    yLabel: 'test accuracy',
    width: 640,
    height: 400,
    series: [
      { label: '(a) ticket', points: [[0.35, 0.8], [0.5, 0.84], [0.75, 0.86]], errors: [0.01, 0.01, 0.005] },
      { label: '(b) random <x>', points: [[0.35, 0.7], [0.5, 0.78], [0.75, 0.84]], dashed: true },
    ],
  });
  assert.match(svg, /\(a\) ticket/);
  assert.match(svg, /\(b\) random &lt;x&gt;/);
  const file = join(mkdtempSync(join(tmpdir(), 'dlth-chart-')), 'c.png');
  await writeSvgAsPng(svg, file);
  const png = readFileSync(file);
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  assert.equal(png.readUInt32BE(16), 640);
  assert.equal(png.readUInt32BE(20), 400);
});
