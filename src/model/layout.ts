/**
 * Host-side layout conversions between PyTorch (timm) tensors and ours. All exact (permutations).
 *
 * - Linear weight: PyTorch [out, in] ⇄ ours [in, out].
 * - Patch projection: Conv2d weight [D, C, p, p] ⇄ ours [p·p·C, D] with input rows in
 *   (row, col, channel) order, matching the shard's patch layout:
 *   ours[(r·p + c)·C + ch][d] = conv[d][ch][r][c].
 */
import type { HostTensor } from './safetensors.js';

export function transpose2d(t: HostTensor): HostTensor {
  const [rows, cols] = t.shape;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[j * rows + i] = t.data[i * cols + j];
  }
  return { shape: [cols, rows], data: out };
}

export function convToPatchMatrix(t: HostTensor): HostTensor {
  const [d, ch, p] = t.shape;
  const out = new Float32Array(t.data.length);
  for (let o = 0; o < d; o++) {
    for (let c = 0; c < ch; c++) {
      for (let r = 0; r < p; r++) {
        for (let q = 0; q < p; q++) out[((r * p + q) * ch + c) * d + o] = t.data[((o * ch + c) * p + r) * p + q];
      }
    }
  }
  return { shape: [p * p * ch, d], data: out };
}

export function patchMatrixToConv(t: HostTensor, channels: number): HostTensor {
  const [rows, d] = t.shape;
  const p = Math.round(Math.sqrt(rows / channels));
  const out = new Float32Array(t.data.length);
  for (let o = 0; o < d; o++) {
    for (let c = 0; c < channels; c++) {
      for (let r = 0; r < p; r++) {
        for (let q = 0; q < p; q++) out[((o * channels + c) * p + r) * p + q] = t.data[((r * p + q) * channels + c) * d + o];
      }
    }
  }
  return { shape: [d, channels, p, p], data: out };
}
