import { test } from 'node:test';
import assert from 'node:assert/strict';
import { designMatrix, numericVector } from '../../src/stats/design.ts';
import { fitLogistic } from '../../src/stats/logistic.ts';
import { tableFromColumns } from '../../src/stats/table.ts';
import { close, closeAll, reference} from './golden.ts';

const TERMS = ['x1', 'x2', 'x3', 'x4', 'b1', 'b2', 'cat'];
const NAMES = ['(Intercept)', 'x1', 'x2', 'x3', 'x4', 'b1', 'b2', 'catb', 'catc'];

test('logistic regression (IRLS) agrees with R glm (a)', () => {
  const { golden, data } = reference();
  const a = golden.a_propensity_glm;
  const fit = fitLogistic(designMatrix(data, TERMS), numericVector(data, 'treat'), { seAtFinal: true });
  assert.deepEqual(fit.names, NAMES);
  assert.ok(fit.converged);
  assert.deepEqual(fit.warnings, []);
  closeAll(fit.coefficients, NAMES.map((n) => a.coefficients[n]), 1e-6, 'coefficients');
  closeAll(fit.coefficients, NAMES.map((n) => a.tight_fit.coefficients[n]), 1e-6, 'coefficients vs tight fit');
  closeAll(fit.se, NAMES.map((n) => a.se[n]), 1e-4, 'se (R summary.glm)');
  closeAll(fit.seAtFinal!, NAMES.map((n) => a.se_at_final_estimate[n]), 1e-6, 'se at final estimate');
  closeAll(fit.z, NAMES.map((n) => a.z[n]), 1e-4, 'z');
  closeAll(fit.p, NAMES.map((n) => a.p[n]), 1e-4, 'p');
  close(fit.logLik, a.logLik, 1e-9, 'logLik');
  close(fit.deviance, a.deviance, 1e-9, 'deviance');
  close(fit.nullDeviance, a.null_deviance, 1e-9, 'null deviance');
  close(fit.aic, a.aic, 1e-9, 'aic');
  assert.equal(fit.dfResidual, a.df_residual);
  closeAll(fit.fitted.subarray(0, 10), a.fitted_ids_1_10, 1e-6, 'fitted');
  closeAll(fit.linearPredictor.subarray(0, 10), a.linear_predictor_ids_1_10, 1e-6, 'linear predictor');
});

test('logistic regression: perfect separation is reported, not hidden', () => {
  const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const t = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1];
  const fit = fitLogistic(designMatrix(tableFromColumns({ x }), ['x']), Float64Array.from(t));
  assert.ok(fit.warnings.some((w) => /separation/.test(w)), fit.warnings.join('; '));
});

test('logistic regression: recovers known coefficients from simulated data', () => {
  // deterministic pseudo-random data, large n: the MLE should be near the truth (-0.5, 1.2)
  let s = 12345;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const n = 20000;
  const x = new Float64Array(n);
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = rand() * 4 - 2;
    t[i] = rand() < 1 / (1 + Math.exp(-(-0.5 + 1.2 * x[i]))) ? 1 : 0;
  }
  const fit = fitLogistic(designMatrix(tableFromColumns({ x }), ['x']), t);
  assert.ok(Math.abs(fit.coefficients[0] + 0.5) < 4 * fit.se[0]);
  assert.ok(Math.abs(fit.coefficients[1] - 1.2) < 4 * fit.se[1]);
});
