import { test } from 'node:test';
import assert from 'node:assert/strict';
import { balanceTable } from '../../src/stats/balance.ts';
import { designMatrix, numericVector } from '../../src/stats/design.ts';
import { fitLogistic } from '../../src/stats/logistic.ts';
import { nearestNeighbourMatch } from '../../src/stats/matching.ts';
import { close, reference} from './golden.ts';

const COVARIATES = ['x1', 'x2', 'x3', 'x4', 'b1', 'b2', 'cat'];

test('balance tables before and after matching agree with MatchIt summary() (j)', () => {
  const { golden, data } = reference();
  const j = golden.j_balance;
  const treat = numericVector(data, 'treat');
  const ps = fitLogistic(designMatrix(data, COVARIATES), treat).fitted;
  const b = nearestNeighbourMatch(ps, treat);
  const c = nearestNeighbourMatch(ps, treat, { caliper: 0.2 });
  const tables = {
    before: balanceTable({ table: data, covariates: COVARIATES, treat, distance: ps }),
    after_b: balanceTable({ table: data, covariates: COVARIATES, treat, distance: ps, weights: b.weights, subclass: b.subclass }),
    after_c: balanceTable({ table: data, covariates: COVARIATES, treat, distance: ps, weights: c.weights, subclass: c.subclass }),
  };
  for (const [name, table] of Object.entries(tables)) {
    assert.deepEqual(table.rows.map((r) => r.variable), ['distance', 'x1', 'x2', 'x3', 'x4', 'b1', 'b2', 'cata', 'catb', 'catc']);
    for (const row of table.rows) {
      const ref = j[name][row.variable];
      const tol = row.variable === 'distance' ? 1e-6 : 1e-9;
      const what = `${name} ${row.variable}`;
      close(row.meanTreated, ref.mean_treated, tol, `${what} mean treated`);
      close(row.meanControl, ref.mean_control, tol, `${what} mean control`);
      close(row.smd, ref.smd, tol, `${what} smd`);
      if (ref.var_ratio === null) assert.equal(row.varianceRatio, null);
      else close(row.varianceRatio!, ref.var_ratio, tol, `${what} var ratio`);
      close(row.ecdfMean, ref.ecdf_mean, tol, `${what} ecdf mean`);
      close(row.ecdfMax, ref.ecdf_max, tol, `${what} ecdf max`);
      if (name !== 'before') close(row.stdPairDistance!, ref.std_pair_dist, tol, `${what} std pair dist`);
      close(table.smdDenominators[row.variable], j.smd_denominator_sd_treated_all[row.variable], tol, `${what} SMD denominator`);
    }
  }
  const sizes = j.sample_sizes_c;
  assert.equal(tables.after_c.sampleSizes.treated, sizes.Matched.Treated);
  assert.equal(tables.after_c.sampleSizes.control, sizes.Matched.Control);
  close(tables.after_c.sampleSizes.essControl, sizes['Matched (ESS)'].Control, 1e-9, 'ESS');
});
