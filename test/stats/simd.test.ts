import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crossprod, crossprodScalar } from '../../src/stats/linalg.ts';
import { simdAvailable, simdLeverages, withCrossprodKernel } from '../../src/stats/simd.ts';
import { createRandom } from '../../src/util/random.ts';

const uniform = (seed: number) => createRandom(seed).next;

/** The textbook triple loop, the reference both kernels are held to. */
function naiveCrossprod(X: Float64Array, n: number, k: number, w?: Float64Array, v?: Float64Array): { A: number[]; xtv: number[] } {
  const A = new Array<number>(k * k).fill(0);
  const xtv = new Array<number>(k).fill(0);
  for (let i = 0; i < n; i++) {
    const wi = w ? w[i] : 1;
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++) A[a * k + b] += wi * X[a * n + i] * X[b * n + i];
      if (v) xtv[a] += wi * v[i] * X[a * n + i];
    }
  }
  return { A, xtv };
}

function randomArray(length: number, random: () => number): Float64Array {
  return Float64Array.from({ length }, () => random() * 4 - 2);
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) {
    const tolerance = 1e-12 * (1 + Math.abs(expected[i]));
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

test('WebAssembly SIMD is available on the supported Node versions', () => {
  assert.equal(simdAvailable(), true);
});

test('the SIMD cross-product equals the triple loop, weighted or not, for row counts around the block and vector widths', () => {
  const random = uniform(7);
  for (const [n, k] of [[0, 3], [1, 1], [3, 2], [5, 4], [255, 3], [256, 11], [257, 12], [1031, 7]]) {
    const X = randomArray(n * k, random);
    const w = Float64Array.from({ length: n }, () => random());
    const v = randomArray(n, random);
    const expected = naiveCrossprod(X, n, k, w, v);
    const unweighted = naiveCrossprod(X, n, k);
    withCrossprodKernel(X, n, k, (kernel) => {
      assert.ok(kernel, 'a kernel');
      const xtv = new Float64Array(k);
      assertClose(kernel.crossprod(w, v, xtv), expected.A, `X'WX n=${n} k=${k}`);
      assertClose(xtv, expected.xtv, `X'Wv n=${n} k=${k}`);
      // the weights of the previous call must not leak into an unweighted one
      assertClose(kernel.crossprod(), unweighted.A, `X'X n=${n} k=${k}`);
    });
    assertClose(crossprodScalar(X, n, k, w), expected.A, `scalar X'WX n=${n} k=${k}`);
    assertClose(crossprod(X, n, k, w), expected.A, `crossprod n=${n} k=${k}`);
  }
});

test('a kernel used inside another gets its own memory', () => {
  const random = uniform(11);
  const n = 300;
  const X = randomArray(n * 2, random);
  const Y = randomArray(n * 3, random);
  withCrossprodKernel(X, n, 2, (outer) => {
    const inner = crossprod(Y, n, 3);
    assertClose(inner, naiveCrossprod(Y, n, 3).A, 'inner');
    assertClose(outer!.crossprod(), naiveCrossprod(X, n, 2).A, 'outer after inner');
  });
});

test('SIMD leverages equal ||C\'x_i||^2 row by row, odd row counts included', () => {
  const random = uniform(3);
  for (const [n, k] of [[1, 1], [2, 3], [7, 4], [1000, 11]]) {
    const X = randomArray(n * k, random);
    const C = new Float64Array(k * k);
    for (let a = 0; a < k; a++) for (let b = 0; b <= a; b++) C[a * k + b] = random() + (a === b ? 1 : 0);
    const expected = Array.from({ length: n }, (_, i) => {
      let s = 0;
      for (let a = 0; a < k; a++) {
        let t = 0;
        for (let b = a; b < k; b++) t += C[b * k + a] * X[b * n + i];
        s += t * t;
      }
      return s;
    });
    const h = simdLeverages(X, n, k, C);
    assert.ok(h, 'leverages');
    assertClose(h, expected, `leverages n=${n} k=${k}`);
  }
});
