import { test } from 'node:test';
import assert from 'node:assert/strict';
import { designMatrix, numericVector } from '../../src/stats/design.ts';
import { coefficientTest } from '../../src/stats/inference.ts';
import { fitLinear } from '../../src/stats/ols.ts';
import { standardErrors, vcov, type VcovSpec } from '../../src/stats/vcov.ts';
import { tableFromColumns } from '../../src/stats/table.ts';
import { close, closeAll, reference} from './golden.ts';

const TERMS = ['treat', 'x1', 'x2', 'x3', 'x4', 'b1', 'b2', 'cat'];
const NAMES = ['(Intercept)', 'treat', 'x1', 'x2', 'x3', 'x4', 'b1', 'b2', 'catb', 'catc'];

test('OLS regression adjustment: coefficients and every SE type agree with R (g)', () => {
  const { golden, data } = reference();
  const g = golden.g_regression_adjustment;
  const fit = fitLinear(designMatrix(data, TERMS), numericVector(data, 'y'));
  assert.deepEqual(fit.names, NAMES);
  assert.equal(fit.dfResidual, g.df_residual);
  closeAll(fit.coefficients, NAMES.map((n) => g.coefficients[n]), 1e-9, 'coefficients');
  close(fit.sigma, g.sigma, 1e-9, 'sigma');
  const specs: Record<string, VcovSpec> = {
    classical: { type: 'classical' }, HC0: { type: 'HC0' }, HC1: { type: 'HC1' }, HC2: { type: 'HC2' }, HC3: { type: 'HC3' },
    cluster_vcovCL_default: { type: 'cluster', cluster: numericVector(data, 'cluster') },
  };
  for (const [name, spec] of Object.entries(specs)) {
    const se = standardErrors(vcov(fit, spec), fit.k);
    closeAll(se, NAMES.map((n) => g.se_all[name][n]), 1e-9, `se ${name}`);
    const t = coefficientTest(fit.coefficients[1], se[1], fit.dfResidual);
    const ref = g.treat[name];
    close(t.statistic, ref.t_stat, 1e-9, `${name} t`);
    close(t.pT, ref.p_t, 1e-6, `${name} p_t`);
    close(t.pNormal, ref.p_normal, 1e-6, `${name} p_normal`);
    closeAll(t.ciT, ref.ci95_t, 1e-9, `${name} ci t`);
    closeAll(t.ciNormal, ref.ci95_normal, 1e-9, `${name} ci normal`);
  }
  const clusterSe = standardErrors(vcov(fit, specs.cluster_vcovCL_default), fit.k)[1];
  closeAll(coefficientTest(fit.coefficients[1], clusterSe, g.n_clusters - 1).ciT, g.treat_cluster_ci95_t_df_G_minus_1, 1e-9, 'cluster ci with df G-1');
});

test('WLS: coefficients and classical/HC0-HC3 SEs agree with R (h)', () => {
  const { golden, data } = reference();
  const h = golden.h_wls;
  const id = numericVector(data, 'id');
  const w = id.map((v) => 1 + (v % 5));
  const fit = fitLinear(designMatrix(data, TERMS), numericVector(data, 'y'), w);
  closeAll(fit.coefficients, NAMES.map((n) => h.coefficients[n]), 1e-9, 'coefficients');
  close(fit.sigma, h.sigma_weighted, 1e-9, 'sigma');
  for (const type of ['classical', 'HC0', 'HC1', 'HC2', 'HC3'] as const) {
    closeAll(standardErrors(vcov(fit, { type }), fit.k), NAMES.map((n) => h[`se_${type}`][n]), 1e-9, `se ${type}`);
  }
});

test('OLS: collinear columns are dropped with a warning; n <= k is an error', () => {
  const t = tableFromColumns({ y: [1, 2, 3, 4, 5.5], a: [1, 2, 3, 4, 5], b: [2, 4, 6, 8, 10], c: [1, 0, 1, 0, 1] });
  const fit = fitLinear(designMatrix(t, ['a', 'b', 'c']), Float64Array.from([1, 2, 3, 4, 5.5]));
  assert.deepEqual(fit.dropped, ['b']);
  assert.deepEqual(fit.names, ['(Intercept)', 'a', 'c']);
  assert.match(fit.warnings[0], /collinear: b is a linear combination/);
  assert.throws(() => fitLinear(designMatrix(tableFromColumns({ a: [1, 2, 4], c: [3, 5, 1] }), ['a', 'c']), Float64Array.from([1, 2, 3])), /3 rows are not more than the 3 coefficients/);
  const constant = fitLinear(designMatrix(t, ['a']), Float64Array.from([2, 2, 2, 2, 2]));
  assert.match(constant.warnings[0], /constant outcome/);
});

test('OLS: known truth on noiseless data, and scale invariance', () => {
  const n = 50;
  const x = Float64Array.from({ length: n }, (_, i) => 1e4 + i * 37.5);
  const z = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
  const y = Float64Array.from({ length: n }, (_, i) => 3 - 2e-4 * x[i] + 5 * z[i]);
  const fit = fitLinear(designMatrix(tableFromColumns({ x, z }), ['x', 'z']), y);
  closeAll(fit.coefficients, [3, -2e-4, 5], 1e-9, 'exact coefficients');
  assert.match(fit.warnings[0], /perfect fit/);
});
