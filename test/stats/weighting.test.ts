import { test } from 'node:test';
import assert from 'node:assert/strict';
import { designMatrix, numericVector } from '../../src/stats/design.ts';
import { fitLogistic } from '../../src/stats/logistic.ts';
import { aipw, ipw, NoOverlapError } from '../../src/stats/weighting.ts';
import { close, closeAll, reference} from './golden.ts';

const COVARIATES = ['x1', 'x2', 'x3', 'x4', 'b1', 'b2', 'cat'];
const NAMES = ['(Intercept)', 'x1', 'x2', 'x3', 'x4', 'b1', 'b2', 'catb', 'catc'];

test('IPW (Hajek, Horvitz-Thompson) and AIPW agree with R (i)', () => {
  const { golden, data } = reference();
  const ref = golden.i_ipw_aipw;
  const treat = numericVector(data, 'treat');
  const y = numericVector(data, 'y');
  const design = designMatrix(data, COVARIATES);
  const ps = fitLogistic(design, treat).fitted;
  const ate = ipw(y, treat, ps);
  close(ate.estimate, ref.ate_hajek, 1e-7, 'ATE Hajek');
  close(ate.weightSums.treated, ref.weight_sums.sum_1_over_ps_treated, 1e-7, 'sum 1/ps');
  close(ate.weightSums.control, ref.weight_sums.sum_1_over_1mps_control, 1e-7, 'sum 1/(1-ps)');
  close(ate.ess.treated, ref.ess.ate_treated, 1e-7, 'ESS treated');
  close(ate.ess.control, ref.ess.ate_control, 1e-7, 'ESS control');
  const att = ipw(y, treat, ps, { estimand: 'ATT' });
  close(att.estimate, ref.att_hajek, 1e-7, 'ATT Hajek');
  close(att.weightSums.control, ref.weight_sums.sum_odds_control, 1e-7, 'sum of odds');
  close(att.ess.control, ref.ess.att_control, 1e-7, 'ESS ATT control');
  close(ipw(y, treat, ps, { normalise: false }).estimate, ref.ate_horvitz_thompson, 1e-7, 'ATE HT');
  close(ipw(y, treat, ps, { estimand: 'ATT', normalise: false }).estimate, ref.att_horvitz_thompson_extra, 1e-7, 'ATT HT');
  const dr = aipw(y, treat, ps, design);
  close(dr.estimate, ref.aipw_ate, 1e-7, 'AIPW');
  close(dr.se, ref.aipw_se_if_sd_over_sqrt_n, 1e-7, 'AIPW SE');
  close(dr.seN, ref.aipw_se_if_n_denominator, 1e-7, 'AIPW SE (n)');
  closeAll(dr.ci, ref.aipw_ci95_normal, 1e-7, 'AIPW CI');
  closeAll(dr.mu1.subarray(0, 10), ref.aipw_mu1_ids_1_10, 1e-9, 'mu1');
  closeAll(dr.mu0.subarray(0, 10), ref.aipw_mu0_ids_1_10, 1e-9, 'mu0');
  assert.deepEqual(dr.outcomeModels.treated.names, NAMES);
  closeAll(dr.outcomeModels.treated.coefficients, NAMES.map((n) => ref.outcome_model_treated_coefficients[n]), 1e-9, 'treated model');
  closeAll(dr.outcomeModels.control.coefficients, NAMES.map((n) => ref.outcome_model_control_coefficients[n]), 1e-9, 'control model');
});

test('IPW: scores of 0 or 1 are a typed error; trimming and stabilising behave', () => {
  const y = Float64Array.from([1, 2, 3, 4, 5, 6]);
  const t = Float64Array.from([0, 1, 0, 1, 0, 1]);
  assert.throws(() => ipw(y, t, Float64Array.from([0.2, 1, 0.4, 0.5, 0.3, 0.6])), NoOverlapError);
  const ps = Float64Array.from([0.02, 0.5, 0.4, 0.5, 0.3, 0.99]);
  const trimmed = ipw(y, t, ps, { trim: 0.05 });
  assert.equal(trimmed.trimmed, 2);
  assert.equal(trimmed.nUsed, 4);
  assert.match(trimmed.warnings[0], /2 units with propensity outside/);
  // Hajek is invariant to stabilising
  close(ipw(y, t, ps, { stabilise: true }).estimate, ipw(y, t, ps).estimate, 1e-12, 'stabilised Hajek');
});

test('simulation: the Horvitz-Thompson SE is its own: 95% intervals cover the true ATE and ATT in 93-97% of 400 datasets', () => {
  // x ~ N(0,1), e = plogis(-0.3 + 0.6 x) known, y = 3 + 2 T + 1.5 x + N(0,1): true ATE = ATT = 2.
  // (The Hajek regression's SE, used for it before, covered far less: HT is the noisier estimator.)
  let state = 20261202;
  const uniform = () => { state = (Math.imul(state, 1664525) + 1013904223) >>> 0; return (state + 0.5) / 4294967296; };
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const datasets = 400;
  const covered = { ATE: 0, ATT: 0 };
  for (let s = 0; s < datasets; s++) {
    const n = 500;
    const x = Float64Array.from({ length: n }, normal);
    const e = x.map((v) => 1 / (1 + Math.exp(-(-0.3 + 0.6 * v))));
    const t = e.map((p) => (uniform() < p ? 1 : 0));
    const yy = x.map((v, i) => 3 + 2 * t[i] + 1.5 * v + normal());
    for (const estimand of ['ATE', 'ATT'] as const) {
      const r = ipw(yy, t, e, { estimand, normalise: false });
      assert.equal(r.estimator, 'horvitz-thompson');
      if (r.test.ciT[0] <= 2 && 2 <= r.test.ciT[1]) covered[estimand]++;
    }
  }
  for (const estimand of ['ATE', 'ATT'] as const) {
    const rate = covered[estimand] / datasets;
    assert.ok(rate >= 0.93 && rate <= 0.97, `${estimand} HT coverage ${rate}`);
  }
});

test('Horvitz-Thompson with stabilised weights is refused (their factors do not cancel)', () => {
  assert.throws(() => ipw([1, 2, 3, 4], [1, 0, 1, 0], [0.5, 0.5, 0.4, 0.6], { normalise: false, stabilise: true }), /stabilised weights bias the Horvitz-Thompson/);
});
