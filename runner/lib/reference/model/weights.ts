// The llama tensors of a spec and their seeded random contents. Each tensor has its own stream derived from
// (seed, tensor index), so its bytes depend on nothing else and tensors can be produced one at a time.

import { GGML_TYPE_F16, GGML_TYPE_F32, type GgufTensorInfo } from './gguf.ts';
import { littleEndianBytes, toF16Bytes } from './f16.ts';
import type { ModelSpec } from './spec.ts';

export interface TensorPlan extends GgufTensorInfo {
  /** RMSNorm gains are ones; matrices are N(0, std²). */
  init: { kind: 'ones' } | { kind: 'normal'; std: number };
}

export function tensorPlan(s: ModelSpec): TensorPlan[] {
  const head = s.dim / s.heads;
  const kv = head * s.kvHeads;
  const mat = s.dtype === 'f16' ? GGML_TYPE_F16 : GGML_TYPE_F32;
  const normal = { kind: 'normal', std: s.initStd } as const;
  // GPT-2's scaled init for the projections that write into the residual stream keeps its variance from growing
  // with depth, so deeper presets still produce non-degenerate logits.
  const residual = { kind: 'normal', std: s.initStd / Math.sqrt(2 * s.layers) } as const;
  const ones = { kind: 'ones' } as const;
  // Norm gains stay F32 whatever the dtype, as llama.cpp's own converters write them.
  const plan: TensorPlan[] = [{ name: 'token_embd.weight', dims: [s.dim, s.vocabSize], ggmlType: mat, init: normal }];
  for (let i = 0; i < s.layers; i++) {
    const p = `blk.${i}.`;
    plan.push(
      { name: `${p}attn_norm.weight`, dims: [s.dim], ggmlType: GGML_TYPE_F32, init: ones },
      { name: `${p}attn_q.weight`, dims: [s.dim, s.dim], ggmlType: mat, init: normal },
      { name: `${p}attn_k.weight`, dims: [s.dim, kv], ggmlType: mat, init: normal },
      { name: `${p}attn_v.weight`, dims: [s.dim, kv], ggmlType: mat, init: normal },
      { name: `${p}attn_output.weight`, dims: [s.dim, s.dim], ggmlType: mat, init: residual },
      { name: `${p}ffn_norm.weight`, dims: [s.dim], ggmlType: GGML_TYPE_F32, init: ones },
      { name: `${p}ffn_gate.weight`, dims: [s.dim, s.ffn], ggmlType: mat, init: normal },
      { name: `${p}ffn_up.weight`, dims: [s.dim, s.ffn], ggmlType: mat, init: normal },
      { name: `${p}ffn_down.weight`, dims: [s.ffn, s.dim], ggmlType: mat, init: residual },
    );
  }
  plan.push(
    { name: 'output_norm.weight', dims: [s.dim], ggmlType: GGML_TYPE_F32, init: ones },
    { name: 'output.weight', dims: [s.dim, s.vocabSize], ggmlType: mat, init: normal },
  );
  return plan;
}

/** splitmix32-style mixing of (seed, stream) into an independent 32-bit state. */
export function streamSeed(seed: number, stream: number): number {
  let h = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Fills `out` with N(0, std²): Box–Muller over mulberry32, the algorithm of random.ts's seededRng, inlined because
 * the default preset draws ~40M numbers.
 */
export function fillNormal(out: Float32Array, seed: number, std: number): void {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const twoPi = 2 * Math.PI;
  for (let i = 0; i < out.length; i += 2) {
    const r = std * Math.sqrt(-2 * Math.log(1 - next()));
    const th = twoPi * next();
    out[i] = r * Math.cos(th);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(th);
  }
}

/** The little-endian bytes of tensor `index` of the plan. */
export function tensorBytes(spec: ModelSpec, plan: readonly TensorPlan[], index: number): Uint8Array {
  const t = plan[index];
  if (!t) throw new RangeError(`no tensor ${index}`);
  const values = new Float32Array(t.dims.reduce((a, b) => a * b, 1));
  if (t.init.kind === 'ones') values.fill(1);
  else fillNormal(values, streamSeed(spec.seed, index), t.init.std);
  return t.ggmlType === GGML_TYPE_F16 ? toF16Bytes(values) : littleEndianBytes(values);
}
