/**
 * Two WebAssembly SIMD kernels for the weighted cross-product that dominates regression and
 * logistic fits (X'WX, about 60% of a logistic fit in scalar JavaScript): `scale` (dst = w * src)
 * and `dot2` (two dot products sharing one vector). They work on f64x2 lanes, so each load feeds
 * two products and there are no bounds checks; IEEE double arithmetic without fused multiply-add,
 * as WebAssembly requires, so every machine gives the same bits.
 *
 * The module is assembled here, byte by byte, from the WebAssembly 2.0 binary format (sections,
 * LEB128 immediates, the 0xFD SIMD prefix); references: WebAssembly Core Specification 2.0, 5.4
 * (instructions) and 5.5 (modules). A runtime without SIMD gets `null` and the callers use their
 * scalar loops.
 */

const I32 = 0x7f;
const V128 = 0x7b;

function unsignedLeb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function signedLeb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** The instructions the kernels use (spec 5.4), each as its bytes. */
const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...unsignedLeb(depth)],
  brIf: (depth: number) => [0x0d, ...unsignedLeb(depth)],
  get: (local: number) => [0x20, ...unsignedLeb(local)],
  set: (local: number) => [0x21, ...unsignedLeb(local)],
  i32: (value: number) => [0x41, ...signedLeb(value)],
  i32Add: [0x6a],
  i32Mul: [0x6c],
  i32GtS: [0x4a],
  i32Shl: [0x74],
  /** f64.load / f64.store with 8-byte alignment and a constant offset. */
  f64Load: (offset = 0) => [0x2b, 3, ...unsignedLeb(offset)],
  f64Store: (offset = 0) => [0x39, 3, ...unsignedLeb(offset)],
  f64Add: [0xa0],
  f64Zero: [0x44, 0, 0, 0, 0, 0, 0, 0, 0],
  f64Mul: [0xa2],
  /** v128.load / v128.store; rows start at any 8-byte boundary, so alignment 2^3 is promised. */
  v128Load: (offset = 0) => [0xfd, 0x00, 3, ...unsignedLeb(offset)],
  v128Store: (offset = 0) => [0xfd, 0x0b, 3, ...unsignedLeb(offset)],
  f64x2Splat: [0xfd, 0x14],
  f64x2ExtractLane: (lane: number) => [0xfd, 0x21, lane],
  f64x2Add: [0xfd, ...unsignedLeb(0xf0)],
  f64x2Mul: [0xfd, ...unsignedLeb(0xf2)],
};

/** A loop that runs `body` while i + step <= len, adding `step` to the local `i` each time. */
function countedLoop(i: number, len: number, step: number, body: number[]): number[] {
  return [
    ...op.block,
    ...op.loop,
    // exit when i + step > len
    ...op.get(i), ...op.i32(step), ...op.i32Add, ...op.get(len), ...op.i32GtS, ...op.brIf(1),
    ...body,
    ...op.get(i), ...op.i32(step), ...op.i32Add, ...op.set(i),
    ...op.br(0),
    ...op.end,
    ...op.end,
  ];
}

/** Byte address of element `i` (an i32 local) of the array at byte address `base` (a local). */
const address = (base: number, i: number) => [...op.get(base), ...op.get(i), ...op.i32(3), ...op.i32Shl, ...op.i32Add];

/** scale(dst, src, w, len): dst[i] = w[i] * src[i]. Locals: 0 dst, 1 src, 2 w, 3 len, 4 i. */
function scaleBody(): number[] {
  const [dst, src, w, len, i] = [0, 1, 2, 3, 4];
  const vector = [
    ...address(dst, i),
    ...address(w, i), ...op.v128Load(),
    ...address(src, i), ...op.v128Load(),
    ...op.f64x2Mul,
    ...op.v128Store(),
  ];
  const scalar = [...address(dst, i), ...address(w, i), ...op.f64Load(), ...address(src, i), ...op.f64Load(), ...op.f64Mul, ...op.f64Store()];
  return [...countedLoop(i, len, 2, vector), ...countedLoop(i, len, 1, scalar), ...op.end];
}

/**
 * dot2(a, b0, b1, len, out): out[0] += sum a[i] b0[i], out[1] += sum a[i] b1[i]. Four vector
 * accumulators (two lanes each) over four rows at a time, so additions do not wait on each other.
 * Locals: 0 a, 1 b0, 2 b1, 3 len, 4 out, 5 i, then v128 s0 s1 t0 t1, then f64 tail sums.
 */
function dot2Body(): number[] {
  const [a, b0, b1, len, out, i] = [0, 1, 2, 3, 4, 5];
  const [s0, s1, t0, t1] = [6, 7, 8, 9];
  const [sa, sb] = [10, 11];
  const accumulate = (acc: number, vecOffset: number, b: number) => [
    ...op.get(acc),
    ...address(a, i), ...op.v128Load(vecOffset),
    ...address(b, i), ...op.v128Load(vecOffset),
    ...op.f64x2Mul, ...op.f64x2Add, ...op.set(acc),
  ];
  const vector = [...accumulate(s0, 0, b0), ...accumulate(s1, 16, b0), ...accumulate(t0, 0, b1), ...accumulate(t1, 16, b1)];
  const tailOne = (sum: number, b: number) => [...op.get(sum), ...address(a, i), ...op.f64Load(), ...address(b, i), ...op.f64Load(), ...op.f64Mul, ...op.f64Add, ...op.set(sum)];
  const scalar = [...tailOne(sa, b0), ...tailOne(sb, b1)];
  const lanes = (acc: number) => [...op.get(acc), ...op.f64x2ExtractLane(0), ...op.get(acc), ...op.f64x2ExtractLane(1), ...op.f64Add];
  const store = (slot: number, x: number, y: number, tail: number) => [
    ...op.get(out),
    ...op.get(out), ...op.f64Load(slot * 8),
    ...lanes(x), ...lanes(y), ...op.f64Add, ...op.get(tail), ...op.f64Add,
    ...op.f64Add,
    ...op.f64Store(slot * 8),
  ];
  return [...countedLoop(i, len, 4, vector), ...countedLoop(i, len, 1, scalar), ...store(0, s0, s1, sa), ...store(1, t0, t1, sb), ...op.end];
}

/**
 * leverage2(x, n, k, c, h): for rows i = 0, 2, 4, ... (pairs, one per lane) of the column-major X,
 * h_i = ||C' x_i||^2 = sum_a (sum_{b >= a} C[b][a] x_ib)^2 with C lower-triangular (row-major k x k).
 * An odd last row is paired with the value after its column's end (the next column's first, or
 * whatever follows X), whose result lands in h[n]: h needs n + 1 slots. Locals: 0 x, 1 n, 2 k, 3 c,
 * 4 h, 5 i, 6 a, 7 b, 8 pc, 9 px, 10 stride of C's rows in bytes, 11 stride of X's columns in bytes,
 * 12 n + 1, then v128 13 t, 14 s.
 */
function leverage2Body(): number[] {
  const [x, n, k, c, h, i, a, b, pc, px, kStride, nStride, rowsEnd] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const [t, sum] = [13, 14];
  const zero = [...op.f64Zero, ...op.f64x2Splat];
  const inner = [
    ...op.get(t),
    ...op.get(pc), ...op.f64Load(), ...op.f64x2Splat,
    ...op.get(px), ...op.v128Load(),
    ...op.f64x2Mul, ...op.f64x2Add, ...op.set(t),
    ...op.get(pc), ...op.get(kStride), ...op.i32Add, ...op.set(pc),
    ...op.get(px), ...op.get(nStride), ...op.i32Add, ...op.set(px),
  ];
  const overA = [
    ...zero, ...op.set(t),
    // pc = c + 8 a (k + 1): C[a][a]; px = x + 8 (a n + i): X[a][i]
    ...op.get(c), ...op.get(a), ...op.get(k), ...op.i32(1), ...op.i32Add, ...op.i32Mul, ...op.i32(3), ...op.i32Shl, ...op.i32Add, ...op.set(pc),
    ...op.get(x), ...op.get(a), ...op.get(n), ...op.i32Mul, ...op.get(i), ...op.i32Add, ...op.i32(3), ...op.i32Shl, ...op.i32Add, ...op.set(px),
    ...op.get(a), ...op.set(b),
    ...countedLoop(b, k, 1, inner),
    ...op.get(sum), ...op.get(t), ...op.get(t), ...op.f64x2Mul, ...op.f64x2Add, ...op.set(sum),
  ];
  const overRows = [
    ...zero, ...op.set(sum),
    ...op.i32(0), ...op.set(a),
    ...countedLoop(a, k, 1, overA),
    ...address(h, i), ...op.get(sum), ...op.v128Store(),
  ];
  return [
    ...op.get(k), ...op.i32(3), ...op.i32Shl, ...op.set(kStride),
    ...op.get(n), ...op.i32(3), ...op.i32Shl, ...op.set(nStride),
    ...op.get(n), ...op.i32(1), ...op.i32Add, ...op.set(rowsEnd),
    ...countedLoop(i, rowsEnd, 2, overRows),
    ...op.end,
  ];
}

function section(id: number, payload: number[]): number[] {
  return [id, ...unsignedLeb(payload.length), ...payload];
}

function vector(items: number[][]): number[] {
  return [...unsignedLeb(items.length), ...items.flat()];
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...unsignedLeb(bytes.length), ...bytes];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const F64 = 0x7c;
  const types = [
    [0x60, ...vector([[I32], [I32], [I32], [I32]]), 0], // scale
    [0x60, ...vector([[I32], [I32], [I32], [I32], [I32]]), 0], // dot2, leverage2
  ];
  // a code entry: its size, then local declarations (count, type) and the body
  const code = (locals: number[][], body: number[]) => {
    const entry = [...vector(locals), ...body];
    return [...unsignedLeb(entry.length), ...entry];
  };
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector(types)),
    // import env.memory: a memory of at least 1 page, no maximum
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vector([[0], [1], [1]])),
    ...section(7, vector([[...name('scale'), 0x00, 0], [...name('dot2'), 0x00, 1], [...name('leverage2'), 0x00, 2]])),
    ...section(10, vector([code([[1, I32]], scaleBody()), code([[1, I32], [4, V128], [2, F64]], dot2Body()), code([[8, I32], [2, V128]], leverage2Body())])),
  ];
  return new Uint8Array(bytes);
}

interface KernelExports {
  scale: (dst: number, src: number, w: number, len: number) => void;
  dot2: (a: number, b0: number, b1: number, len: number, out: number) => void;
  leverage2: (x: number, n: number, k: number, c: number, h: number) => void;
}

let compiled: WebAssembly.Module | null | undefined;

function compiledModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(moduleBytes());
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/** Whether this runtime runs the SIMD kernels (else the scalar loops are used). */
export function simdAvailable(): boolean {
  return compiledModule() !== null;
}

const BLOCK = 256;
const PAGE = 65536;

/**
 * A design matrix (n x k, column-major) copied once into WebAssembly memory, whose weighted
 * cross-products can then be taken many times (the iterations of a fit) without copying it again.
 */
export interface CrossprodKernel {
  /** sum_i w_i x_i x_i' (k x k, row-major); with `v` and `xtv`, also xtv = sum_i w_i v_i x_i. */
  crossprod(w?: ArrayLike<number>, v?: Float64Array, xtv?: Float64Array): Float64Array;
}

/**
 * One memory kept between uses, so that a fit does not pay for fresh pages (a new 9 MB memory costs
 * about as much as two cross-products); kept only up to this size.
 */
let spareMemory: WebAssembly.Memory | null = null;
const KEEP_BYTES = 256 * 1024 * 1024;

/**
 * Calls `use` with the kernels' exports over a memory of at least `bytes` (the spare one when free),
 * or with null where SIMD is unavailable or the memory cannot be had.
 */
function withKernels<T>(bytes: number, use: (kernels: KernelExports | null, heap: Float64Array) => T): T {
  const module = compiledModule();
  const pages = Math.ceil(bytes / PAGE);
  let memory = spareMemory;
  spareMemory = null;
  try {
    if (!module) throw new Error('no SIMD');
    if (!memory) memory = new WebAssembly.Memory({ initial: pages });
    else if (memory.buffer.byteLength < pages * PAGE) memory.grow(pages - memory.buffer.byteLength / PAGE);
  } catch {
    return use(null, new Float64Array(0));
  }
  try {
    const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
    return use(kernels, new Float64Array(memory.buffer));
  } finally {
    if (memory.buffer.byteLength <= KEEP_BYTES) spareMemory = memory;
  }
}

/**
 * Calls `use` with a kernel for X (null where SIMD is unavailable or the memory cannot be had); the
 * kernel is valid only during the call.
 */
export function withCrossprodKernel<T>(X: Float64Array, n: number, k: number, use: (kernel: CrossprodKernel | null) => T): T {
  if (n * k !== X.length) return use(null);
  // layout (in doubles): X | v | w | weighted block ((k + 1) x BLOCK) | 2 sums. With v right after X,
  // [X v] is a design of k + 1 columns whose last row of products is X'Wv (and one spare, v'Wv).
  const xAt = 0;
  const vAt = n * k;
  const wAt = vAt + n;
  const blockAt = wAt + n;
  const outAt = blockAt + BLOCK * (k + 1);
  return withKernels((outAt + 2) * 8, (kernels, heap) => {
    if (!kernels) return use(null);
    heap.set(X, xAt);
    heap.fill(1, wAt, wAt + n);
    let weighted = false;
    const kernel: CrossprodKernel = {
      crossprod(w, v, xtv) {
        if (w) heap.set(w, wAt);
        else if (weighted) heap.fill(1, wAt, wAt + n);
        weighted = w !== undefined;
        const withV = v !== undefined && xtv !== undefined;
        if (withV) heap.set(v, vAt);
        const kk = withV ? k + 1 : k;
        const products = new Float64Array(kk * kk);
        const out = outAt * 8;
        for (let start = 0; start < n; start += BLOCK) {
          const len = Math.min(BLOCK, n - start);
          for (let a = 0; a < kk; a++) kernels.scale((blockAt + a * BLOCK) * 8, (xAt + a * n + start) * 8, (wAt + start) * 8, len);
          for (let a = 0; a < kk; a++) {
            const wa = (blockAt + a * BLOCK) * 8;
            for (let b = 0; b <= a; b += 2) {
              const b1 = b + 1 <= a ? b + 1 : b;
              heap[outAt] = 0;
              heap[outAt + 1] = 0;
              kernels.dot2(wa, (xAt + b * n + start) * 8, (xAt + b1 * n + start) * 8, len, out);
              products[a * kk + b] += heap[outAt];
              if (b1 !== b) products[a * kk + b1] += heap[outAt + 1];
            }
          }
        }
        const acc = new Float64Array(k * k);
        for (let a = 0; a < k; a++) for (let b = 0; b <= a; b++) acc[a * k + b] = acc[b * k + a] = products[a * kk + b];
        if (withV) for (let a = 0; a < k; a++) xtv[a] = products[k * kk + a];
        else if (xtv) xtv.fill(0);
        return acc;
      },
    };
    return use(kernel);
  });
}

/**
 * Leverages ||C' x_i||^2 of every row of the column-major X (n x k) for a lower-triangular C
 * (row-major k x k), two rows per SIMD lane pair; null where SIMD is unavailable.
 */
export function simdLeverages(X: Float64Array, n: number, k: number, C: Float64Array): Float64Array | null {
  if (n * k !== X.length || C.length !== k * k) return null;
  const cAt = n * k;
  const hAt = cAt + k * k;
  return withKernels((hAt + n + 1) * 8, (kernels, heap) => {
    if (!kernels) return null;
    heap.set(X, 0);
    heap.set(C, cAt);
    kernels.leverage2(0, n, k, cAt * 8, hAt * 8);
    return heap.slice(hAt, hAt + n);
  });
}
