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
