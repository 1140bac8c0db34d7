import { test } from 'node:test';
import assert from 'node:assert/strict';
import { causalQuestion, DegenerateDataError, estimateEffect } from '../../src/stats/effect.ts';
import { placeboQuestion, refuteEstimate } from '../../src/stats/refute.ts';
import { tableFromColumns } from '../../src/stats/table.ts';
import { NoMatchesError } from '../../src/stats/matching.ts';
import { UserError } from '../../src/util/errors.ts';
import { close, closeAll, reference} from './golden.ts';

const CONFOUNDERS = ['x1', 'x2', 'x3', 'x4', 'b1', 'b2', 'cat'];

test('estimateEffect reaches the reference numbers through the public API', () => {
  const { golden, data } = reference();
  const q = causalQuestion(data, { treatment: 'treat', outcome: 'y', confounders: CONFOUNDERS });
  const m = estimateEffect(q, { method: 'matching' });
  close(m.estimate, golden.b_nn_1to1_largest.att, 1e-9, 'matching ATT');
  close(m.se, golden.b_nn_1to1_largest.se_vcovCL_default_HC1_cadjust.se, 1e-9, 'matching SE');
  closeAll(m.ci, golden.b_nn_1to1_largest.se_vcovCL_default_HC1_cadjust.ci95_t, 1e-9, 'matching CI');
  assert.equal(m.n.matchedTreated, 460);
  assert.ok(m.diagnostics.balance!.maxAbsSmdAfter! < m.diagnostics.balance!.maxAbsSmdBefore!);
  const c = estimateEffect(q, { method: 'matching', caliper: 0.2 });
  close(c.estimate, golden.c_nn_1to1_caliper.att, 1e-9, 'caliper ATT');
  assert.equal(c.n.dropped, 74);
  // the reference is lm(y ~ treat + x): the constant-effect model, no longer the default
  const r = estimateEffect(q, { method: 'regression', vcov: 'HC3', adjust: false });
  close(r.estimate, golden.g_regression_adjustment.treat_coef, 1e-9, 'regression');
  close(r.se, golden.g_regression_adjustment.treat.HC3.se, 1e-9, 'regression HC3');
  const rc = estimateEffect(q, { method: 'regression', cluster: 'cluster', adjust: false });
  close(rc.se, golden.g_regression_adjustment.treat.cluster_vcovCL_default.se, 1e-9, 'regression cluster');
  close(estimateEffect(q, { method: 'ipw' }).estimate, golden.i_ipw_aipw.ate_hajek, 1e-7, 'ipw');
  close(estimateEffect(q, { method: 'ipw', estimand: 'ATT' }).estimate, golden.i_ipw_aipw.att_hajek, 1e-7, 'ipw att');
  const a = estimateEffect(q, { method: 'aipw' });
  close(a.estimate, golden.i_ipw_aipw.aipw_ate, 1e-7, 'aipw');
  close(a.se, golden.i_ipw_aipw.aipw_se_if_sd_over_sqrt_n, 1e-7, 'aipw se');
  const s = estimateEffect(q, { method: 'stratification', strata: 5 });
  assert.ok(s.ci[0] < golden.truth.true_ate_sample + 0.5 && s.estimate > 1);
  assert.equal(s.diagnostics.strata!.length, 5);
  // the result is plain JSON
  assert.deepEqual(JSON.parse(JSON.stringify(m)).estimate, m.estimate);
});

test('degenerate input gives typed errors or explicit warnings, never a silent NaN', () => {
  const base = { x: [1, 2, 3, 4, 5, 6, 7, 8], t: [0, 1, 0, 1, 0, 1, 0, 1], y: [1, 3, 2, 5, 3, 6, 4, 8] };
  const q = (cols: Record<string, number[] | string[]>) => causalQuestion(tableFromColumns(cols, 'd.csv'), { treatment: 't', outcome: 'y', confounders: ['x'] });
  assert.throws(() => q({ ...base, t: [0, 0, 0, 0, 0, 0, 0, 0] }), (e: unknown) => e instanceof DegenerateDataError && /no treated units/.test(e.message));
  assert.throws(() => q({ ...base, t: [1, 1, 1, 1, 1, 1, 1, 1] }), /no control units/);
  assert.throws(() => q({ ...base, y: [2, 2, 2, 2, 2, 2, 2, 2] }), (e: unknown) => e instanceof DegenerateDataError && /constant/.test(e.message));
  assert.throws(() => q({ ...base, t: [0, 1, 2, 1, 0, 1, 0, 1] }), /d\.csv: data row 3: treatment 't' must be 0 or 1, this row has 2/);
  assert.throws(() => q({ ...base, x: [1, 2, NaN, 4, 5, 6, 7, 8] }) && estimateEffect(q({ ...base, x: [1, 2, NaN, 4, 5, 6, 7, 8] }), { method: 'regression' }), /d\.csv: data row 3: a missing value in column 'x'/);
  assert.throws(() => causalQuestion(tableFromColumns(base), { treatment: 't', outcome: 'y', confounders: ['nope'] }), /no column 'nope'/);
  // collinear confounders: dropped with a warning
  const collinear = causalQuestion(tableFromColumns({ ...base, x2: base.x.map((v) => 2 * v) }), { treatment: 't', outcome: 'y', confounders: ['x', 'x2'] });
  const r = estimateEffect(collinear, { method: 'regression' });
  assert.ok(Number.isFinite(r.estimate) && Number.isFinite(r.se));
  assert.ok(r.diagnostics.warnings.some((w) => /collinear: x2/.test(w)));
  // perfect separation: a warning on the propensity model
  const sep = causalQuestion(tableFromColumns({ x: [1, 2, 3, 4, 5, 6, 7, 8], t: [0, 0, 0, 0, 1, 1, 1, 1], y: [1, 2, 1, 2, 5, 6, 5, 7] }), { treatment: 't', outcome: 'y', confounders: ['x'] });
  const ipwSep = (() => { try { return estimateEffect(sep, { method: 'ipw' }); } catch (e) { return e; } })();
  assert.ok(ipwSep instanceof UserError || (ipwSep as { diagnostics: { warnings: string[] } }).diagnostics.warnings.some((w) => /separation/.test(w)));
  // n not larger than the parameters
  const tiny = causalQuestion(tableFromColumns({ x: [1, 2, 3], z: [3, 1, 2], t: [0, 1, 1], y: [1, 2, 4] }), { treatment: 't', outcome: 'y', confounders: ['x', 'z'] });
  assert.throws(() => estimateEffect(tiny, { method: 'regression' }), /3 rows are not more than the 3 coefficients/);
  // a caliper that leaves no pairs
  const far = causalQuestion(tableFromColumns({ x: [0, 0.1, 0.2, 0.3, 5, 5.1, 5.2, 5.3], t: [0, 0, 0, 1, 1, 1, 1, 0], y: [1, 2, 1, 2, 5, 6, 5, 7] }), { treatment: 't', outcome: 'y', confounders: ['x'] });
  assert.throws(() => estimateEffect(far, { method: 'matching', caliper: 0.0001 }), NoMatchesError);
});

// ---- simulations with a known truth ----

function gaussianStream(seed: number) {
  let s = seed >>> 0 || 1;
  const uniform = () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  return { uniform, normal: () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()) };
}

/** x1 ~ N(0,1), x2 ~ Bern(.5); logit P(T) = -0.3 + 0.8 x1 + 0.5 x2; y = 1 + 2 T + 1.5 x1 - x2 + (1 + 0.5|x1|) e. True effect 2. */
function simulate(seed: number, n: number) {
  const g = gaussianStream(seed * 7919 + 17);
  const x1 = new Float64Array(n), x2 = new Float64Array(n), t = new Float64Array(n), y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x1[i] = g.normal();
    x2[i] = g.uniform() < 0.5 ? 1 : 0;
    t[i] = g.uniform() < 1 / (1 + Math.exp(-(-0.3 + 0.8 * x1[i] + 0.5 * x2[i]))) ? 1 : 0;
    y[i] = 1 + 2 * t[i] + 1.5 * x1[i] - x2[i] + (1 + 0.5 * Math.abs(x1[i])) * g.normal();
  }
  return causalQuestion(tableFromColumns({ x1, x2, t, y }), { treatment: 't', outcome: 'y', confounders: ['x1', 'x2'] });
}

test('simulation: 95% intervals of regression adjustment and AIPW cover the true effect in 93-97% of 400 datasets', () => {
  const datasets = 400;
  let coveredRegression = 0;
  let coveredAipw = 0;
  for (let s = 0; s < datasets; s++) {
    const q = simulate(s, 400);
    const r = estimateEffect(q, { method: 'regression' });
    if (r.ci[0] <= 2 && 2 <= r.ci[1]) coveredRegression++;
    const a = estimateEffect(q, { method: 'aipw' });
    if (a.ci[0] <= 2 && 2 <= a.ci[1]) coveredAipw++;
  }
  const rate = (k: number) => k / datasets;
  assert.ok(rate(coveredRegression) >= 0.93 && rate(coveredRegression) <= 0.97, `regression coverage ${rate(coveredRegression)}`);
  assert.ok(rate(coveredAipw) >= 0.93 && rate(coveredAipw) <= 0.97, `AIPW coverage ${rate(coveredAipw)}`);
});

test('simulation, heterogeneous effects: the default regression ATE (interactions, Lin 2013) covers 92-98%; the constant-effect model does not', () => {
  // tau(x) = 2 + 3 x1 with x1 ~ N(0,1) shifted in the treated: ATE = 2 in the population, while the
  // constant-effect coefficient weights units by the variance of their treatment (a different number)
  const datasets = 300;
  let coveredDefault = 0;
  let coveredConstant = 0;
  for (let s = 0; s < datasets; s++) {
    const g = gaussianStream(50_000 + s);
    const n = 400;
    const x1 = new Float64Array(n), t = new Float64Array(n), y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x1[i] = g.normal();
      t[i] = g.uniform() < 1 / (1 + Math.exp(-(-0.2 + 1.2 * x1[i]))) ? 1 : 0;
      const tau = 2 + 3 * x1[i];
      y[i] = 1 + tau * t[i] + 1.5 * x1[i] + g.normal();
    }
    const q = causalQuestion(tableFromColumns({ x1, t, y }), { treatment: 't', outcome: 'y', confounders: ['x1'] });
    const r = estimateEffect(q, { method: 'regression' });
    if (r.ci[0] <= 2 && 2 <= r.ci[1]) coveredDefault++;
    const c = estimateEffect(q, { method: 'regression', adjust: false });
    if (c.ci[0] <= 2 && 2 <= c.ci[1]) coveredConstant++;
  }
  const rate = (k: number) => k / datasets;
  assert.ok(rate(coveredDefault) >= 0.92 && rate(coveredDefault) <= 0.98, `default (interactions) coverage ${rate(coveredDefault)}`);
  assert.ok(rate(coveredConstant) < 0.88, `constant-effect coverage ${rate(coveredConstant)} (it estimates a variance-weighted effect, not the ATE)`);
});

test('simulation: placebo treatments are found significant at about the nominal 5% rate', () => {
  const datasets = 300;
  let rejected = 0;
  for (let s = 0; s < datasets; s++) {
    const q = simulate(10_000 + s, 300);
    // a placebo treatment (a permutation of the real one) has no effect: its test should reject 5% of the time
    if (estimateEffect(placeboQuestion(q, s), { method: 'regression' }).p < 0.05) rejected++;
  }
  const rate = rejected / datasets;
  assert.ok(rate >= 0.02 && rate <= 0.085, `placebo rejection rate ${rate}`);
});

test('refuters on data with a real effect: placebo, random cause, subset and bootstrap pass; E-value reported', () => {
  const q = simulate(424242, 600);
  const options = { method: 'regression' as const };
  const estimate = estimateEffect(q, options);
  for (const refuter of ['placebo', 'random-cause', 'subset', 'bootstrap'] as const) {
    const r = refuteEstimate(q, estimate, options, refuter, { simulations: 30, seed: 1 });
    assert.equal(r.verdict, 'passed', `${refuter}: ${r.explanation}`);
  }
  const u = refuteEstimate(q, estimate, options, 'unobserved');
  assert.ok((u.details.evalue as number) > 2);
  assert.match(u.explanation, /E-value/);
  // on a null effect the placebo refuter fails: the estimate does not stand out
  const nullQ = causalQuestion(tableFromColumns({ x1: q.table.columns.get('x1') as Float64Array, x2: q.table.columns.get('x2') as Float64Array, t: q.treat, y: Float64Array.from(q.y, (v, i) => v - 2 * q.treat[i]) }), { treatment: 't', outcome: 'y', confounders: ['x1', 'x2'] });
  assert.equal(refuteEstimate(nullQ, estimateEffect(nullQ, options), options, 'placebo', { simulations: 30, seed: 1 }).verdict, 'failed');
});

test('bootstrap: seeded, percentile and BCa intervals around the estimate; cluster resampling', () => {
  const q = simulate(77, 300);
  const a = estimateEffect(q, { method: 'regression', bootstrap: 200, seed: 5 });
  const b = estimateEffect(q, { method: 'regression', bootstrap: 200, seed: 5 });
  assert.deepEqual(a.ci, b.ci);
  assert.ok(a.ci[0] < a.estimate && a.estimate < a.ci[1]);
  assert.ok(Math.abs(a.se - a.diagnostics.analytic!.se) / a.diagnostics.analytic!.se < 0.3, 'bootstrap SE near the robust SE');
  const bca = estimateEffect(q, { method: 'regression', bootstrap: 200, seed: 5, bootstrapInterval: 'bca' });
  assert.equal(bca.diagnostics.bootstrap!.interval, 'bca');
  assert.ok(Number.isFinite(bca.diagnostics.bootstrap!.acceleration!));
  assert.ok(bca.ci[0] < bca.estimate && bca.estimate < bca.ci[1]);
});

test('bootstrap over worker threads gives exactly the single-thread result', async () => {
  const { estimateEffectParallel } = await import('../../src/stats/bootstrapParallel.ts');
  const q = simulate(99, 300);
  const options = { method: 'ipw' as const, bootstrap: 60, seed: 11 };
  const single = estimateEffect(q, options);
  const threaded = await estimateEffectParallel(q, options, { threads: 2, minWork: 0 });
  assert.deepEqual(threaded.ci, single.ci);
  assert.equal(threaded.se, single.se);
  assert.equal(threaded.diagnostics.bootstrap!.replicates, 60);
});
