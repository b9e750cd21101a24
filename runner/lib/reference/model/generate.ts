// Assembles the GGUF of a spec: llama hyperparameters, the byte-level BPE vocabulary and ChatML template, and the
// seeded weights. The bytes are a pure function of (spec, vocabulary, hash): no timestamps, no host details.

import { alignUp, ggufHeader, tensorByteLength, writeGguf, type ByteSink, type GgufValue } from './gguf.ts';
import type { ModelSpec } from './spec.ts';
import type { Vocabulary } from './tokenizer.ts';
import { tensorBytes, tensorPlan } from './weights.ts';

export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export function ggufMetadata(spec: ModelSpec, vocab: Vocabulary, hash: string): Array<readonly [string, GgufValue]> {
  const u32 = (value: number) => ({ kind: 'u32', value }) as const;
  const f32 = (value: number) => ({ kind: 'f32', value }) as const;
  const str = (value: string) => ({ kind: 'string', value }) as const;
  const head = spec.dim / spec.heads;
  return [
    ['general.architecture', str('llama')],
    ['general.name', str(`servebench-reference-${spec.preset}`)],
    ['general.file_type', u32(spec.dtype === 'f16' ? 1 : 0)], // LLAMA_FTYPE_MOSTLY_F16 / ALL_F32
    ['general.alignment', u32(32)],
    ['servebench.spec_hash', str(hash)],
    ['llama.context_length', u32(spec.contextLength)],
    ['llama.embedding_length', u32(spec.dim)],
    ['llama.block_count', u32(spec.layers)],
    ['llama.feed_forward_length', u32(spec.ffn)],
    ['llama.attention.head_count', u32(spec.heads)],
    ['llama.attention.head_count_kv', u32(spec.kvHeads)],
    ['llama.rope.dimension_count', u32(head)],
    ['llama.rope.freq_base', f32(spec.ropeFreqBase)],
    ['llama.attention.layer_norm_rms_epsilon', f32(spec.rmsEps)],
    ['llama.vocab_size', u32(spec.vocabSize)],
    ['tokenizer.ggml.model', str('gpt2')],
    // "gpt2" is rejected; "gpt-2" selects the GPT-2 split that pretokenize.ts mirrors.
    ['tokenizer.ggml.pre', str('gpt-2')],
    ['tokenizer.ggml.tokens', { kind: 'string[]', value: vocab.tokens }],
    ['tokenizer.ggml.token_type', { kind: 'i32[]', value: vocab.tokenTypes }],
    ['tokenizer.ggml.merges', { kind: 'string[]', value: vocab.merges }],
    ['tokenizer.ggml.bos_token_id', u32(vocab.special.endOfText)],
    ['tokenizer.ggml.eos_token_id', u32(vocab.special.imEnd)],
    ['tokenizer.ggml.padding_token_id', u32(vocab.special.endOfText)],
    // ChatML models do not prepend BOS; explicit so tokenize() equals the JS encode with no extra token.
    ['tokenizer.ggml.add_bos_token', { kind: 'bool', value: false }],
    ['tokenizer.ggml.add_eos_token', { kind: 'bool', value: false }],
    ['tokenizer.chat_template', str(CHATML_TEMPLATE)],
  ];
}

export async function writeModel(
  sink: ByteSink,
  spec: ModelSpec,
  vocab: Vocabulary,
  hash: string,
  onTensor?: (done: number, total: number) => void,
): Promise<void> {
  if (vocab.tokens.length !== spec.vocabSize) throw new Error(`vocabulary has ${vocab.tokens.length} tokens, spec says ${spec.vocabSize}`);
  const plan = tensorPlan(spec);
  await writeGguf(
    sink,
    ggufMetadata(spec, vocab, hash),
    plan,
    (i) => tensorBytes(spec, plan, i),
    (i) => onTensor?.(i + 1, plan.length),
  );
}

/** The exact size writeModel produces, computed without drawing the weights (to validate a cached file cheaply). */
export function modelFileSize(spec: ModelSpec, vocab: Vocabulary, hash: string): number {
  const plan = tensorPlan(spec);
  return ggufHeader(ggufMetadata(spec, vocab, hash), plan).length + plan.reduce((n, t) => n + alignUp(tensorByteLength(t)), 0);
}
