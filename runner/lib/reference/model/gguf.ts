// A minimal GGUF v3 writer: the metadata types a llama model needs, F32/F16 tensors, 32-byte alignment.
// Layout: magic, version, tensor count, KV count, KVs, tensor infos, padding, then each tensor's data padded to the
// alignment (offsets in the infos are relative to the start of the data section).

export const GGUF_ALIGNMENT = 32;

const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const GGUF_VERSION = 3;

// gguf_type
const T_UINT32 = 4;
const T_INT32 = 5;
const T_FLOAT32 = 6;
const T_BOOL = 7;
const T_STRING = 8;
const T_ARRAY = 9;

// ggml_type
export const GGML_TYPE_F32 = 0;
export const GGML_TYPE_F16 = 1;

export type GgufValue =
  | { kind: 'string'; value: string }
  | { kind: 'u32'; value: number }
  | { kind: 'f32'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'string[]'; value: readonly string[] }
  | { kind: 'i32[]'; value: readonly number[] };

export interface GgufTensorInfo {
  name: string;
  /** Innermost (contiguous) dimension first, as GGUF lists them. */
  dims: readonly number[];
  ggmlType: typeof GGML_TYPE_F32 | typeof GGML_TYPE_F16;
}

export const tensorByteLength = (t: GgufTensorInfo): number =>
  t.dims.reduce((a, b) => a * b, 1) * (t.ggmlType === GGML_TYPE_F32 ? 4 : 2);

export const alignUp = (n: number): number => Math.ceil(n / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;

/** Growable little-endian byte buffer. */
class ByteWriter {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  i32(v: number): void {
    this.reserve(4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
  }
  u64(v: number): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  f32(v: number): void {
    this.reserve(4);
    this.view.setFloat32(this.length, v, true);
    this.length += 4;
  }
  u8(v: number): void {
    this.reserve(1);
    this.buf[this.length++] = v;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  string(s: string): void {
    const b = utf8.encode(s);
    this.u64(b.length);
    this.bytes(b);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

const utf8 = new TextEncoder();

function writeValue(w: ByteWriter, v: GgufValue): void {
  switch (v.kind) {
    case 'string':
      w.u32(T_STRING);
      w.string(v.value);
      return;
    case 'u32':
      w.u32(T_UINT32);
      w.u32(v.value);
      return;
    case 'f32':
      w.u32(T_FLOAT32);
      w.f32(v.value);
      return;
    case 'bool':
      w.u32(T_BOOL);
      w.u8(v.value ? 1 : 0);
      return;
    case 'string[]':
      w.u32(T_ARRAY);
      w.u32(T_STRING);
      w.u64(v.value.length);
      for (const s of v.value) w.string(s);
      return;
    case 'i32[]':
      w.u32(T_ARRAY);
      w.u32(T_INT32);
      w.u64(v.value.length);
      for (const x of v.value) w.i32(x);
      return;
  }
}

/** Everything before the tensor data: header, KVs, tensor infos and the padding up to the data section. */
export function ggufHeader(kvs: ReadonlyArray<readonly [string, GgufValue]>, tensors: readonly GgufTensorInfo[]): Uint8Array {
  const w = new ByteWriter();
  w.u32(GGUF_MAGIC);
  w.u32(GGUF_VERSION);
  w.u64(tensors.length);
  w.u64(kvs.length);
  for (const [key, value] of kvs) {
    w.string(key);
    writeValue(w, value);
  }
  let offset = 0;
  for (const t of tensors) {
    w.string(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(t.ggmlType);
    w.u64(offset);
    offset = alignUp(offset + tensorByteLength(t));
  }
  while (w.length % GGUF_ALIGNMENT !== 0) w.u8(0);
  return w.result();
}

/** Sink for the streamed file; a FileHandle in production, an array in tests. */
export interface ByteSink {
  write(bytes: Uint8Array): Promise<void>;
}

/**
 * Streams a GGUF file: the header, then each tensor's bytes as `data(i)` produces them (one tensor in memory at a
 * time, since the default model's tensors add up to tens of MB).
 */
export async function writeGguf(
  sink: ByteSink,
  kvs: ReadonlyArray<readonly [string, GgufValue]>,
  tensors: readonly GgufTensorInfo[],
  data: (index: number) => Uint8Array,
  onTensor?: (index: number) => void,
): Promise<void> {
  await sink.write(ggufHeader(kvs, tensors));
  for (let i = 0; i < tensors.length; i++) {
    const bytes = data(i);
    const want = tensorByteLength(tensors[i]!);
    if (bytes.length !== want) throw new Error(`tensor ${tensors[i]!.name}: ${bytes.length} bytes, expected ${want}`);
    await sink.write(bytes);
    const pad = alignUp(want) - want;
    if (pad > 0) await sink.write(new Uint8Array(pad));
    onTensor?.(i);
  }
}
