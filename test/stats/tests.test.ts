import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pAdjust } from '../../src/stats/padjust.ts';
import { pairedTTest, welchTTest } from '../../src/stats/ttest.ts';
import { mannWhitneyTest, signedRankTest } from '../../src/stats/wilcoxon.ts';
import { pearson, spearman } from '../../src/stats/correlation.ts';
import { cliffsDelta, cohensD } from '../../src/stats/effectSizes.ts';
import { jensenShannonDistance, jensenShannonDivergence } from '../../src/stats/jensenShannon.ts';
import { evalueFromRR, evalueFromSMD } from '../../src/stats/evalue.ts';
import { normalCdf, normalQuantile, tCdf, tQuantile, twoSidedT } from '../../src/stats/distributions.ts';
import { close, closeAll, reference} from './golden.ts';

test('p-value adjustments agree with R p.adjust (k)', () => {
  const k = reference().golden.k_p_adjust;
  for (const method of ['BH', 'holm', 'bonferroni', 'BY'] as const) closeAll(pAdjust(k.p, method), k[method], 1e-10, method);
});

test('paired and Welch t, signed-rank, Mann-Whitney, Pearson and Spearman agree with R (l)', () => {
  const l = reference().golden.l_tests;
  const { x, y } = l;
  const sr = signedRankTest(x, y);
  assert.equal(sr.statistic, l.wilcoxon_signed_rank_paired.V);
  assert.equal(sr.n, l.wilcoxon_signed_rank_paired.n_nonzero);
  assert.equal(sr.zerosDropped, l.wilcoxon_signed_rank_paired.n_zero_dropped);
  close(sr.z, l.wilcoxon_signed_rank_paired.z_corrected, 1e-10, 'V z');
  close(sr.p, l.wilcoxon_signed_rank_paired.p, 1e-8, 'V p');
  const pt = pairedTTest(x, y);
  close(pt.statistic, l.t_test_paired.t, 1e-10, 'paired t');
  assert.equal(pt.df, 39);
  close(pt.p, l.t_test_paired.p, 1e-8, 'paired p');
  closeAll(pt.ci, l.t_test_paired.ci95, 1e-8, 'paired ci');
  const wt = welchTTest(x, y);
  close(wt.statistic, l.t_test_welch.t, 1e-10, 'welch t');
  close(wt.df, l.t_test_welch.df, 1e-10, 'welch df');
  close(wt.p, l.t_test_welch.p, 1e-8, 'welch p');
  closeAll(wt.ci, l.t_test_welch.ci95, 1e-8, 'welch ci');
  const mw = mannWhitneyTest(x, y);
  assert.equal(mw.statistic, l.mann_whitney.W);
  close(mw.z, l.mann_whitney.z_corrected, 1e-10, 'W z');
  close(mw.p, l.mann_whitney.p, 1e-8, 'W p');
  const r = pearson(x, y);
  close(r.estimate, l.pearson.r, 1e-10, 'r');
  close(r.statistic, l.pearson.t, 1e-10, 'r t');
  close(r.p, l.pearson.p, 1e-6, 'r p (far tail)');
  closeAll(r.ci!, l.pearson.ci95_fisher_z, 1e-8, 'r ci');
  const rho = spearman(x, y);
  close(rho.estimate, l.spearman.rho, 1e-10, 'rho');
  close(rho.S!, l.spearman.S, 1e-10, 'S');
  close(rho.p, l.spearman.p, 1e-6, 'rho p (far tail)');
  // Fisher-z interval with Bonett-Wright variance, by hand: tanh(atanh(rho) -+ 1.959964 sqrt((1 + rho^2/2)/37))
  const half = 1.959963984540054 * Math.sqrt((1 + rho.estimate ** 2 / 2) / 37);
  closeAll(rho.ci!, [Math.tanh(Math.atanh(rho.estimate) - half), Math.tanh(Math.atanh(rho.estimate) + half)], 1e-12, 'rho ci');
  assert.ok(rho.ci![0] < rho.estimate && rho.estimate < rho.ci![1]);
  const d = l.differences_x_minus_y;
  const r2 = pearson(x, d);
  close(r2.estimate, l.extra_pearson_x_vs_differences.r, 1e-10, 'r2');
  close(r2.p, l.extra_pearson_x_vs_differences.p, 1e-8, 'r2 p');
  closeAll(r2.ci!, l.extra_pearson_x_vs_differences.ci95_fisher_z, 1e-8, 'r2 ci');
  const rho2 = spearman(x, d);
  close(rho2.estimate, l.extra_spearman_x_vs_differences.rho, 1e-10, 'rho2');
  close(rho2.p, l.extra_spearman_x_vs_differences.p, 1e-8, 'rho2 p');
});

test('distribution functions agree with R (m)', () => {
  const m = reference().golden.m_distributions;
  for (const [key, value] of Object.entries(m.qt_0975 as Record<string, number>)) close(tQuantile(0.975, Number(key.slice(3))), value, 1e-9, key);
  close(normalQuantile(0.975), m.qnorm_0975, 1e-10, 'qnorm .975');
  close(normalQuantile(0.995), m.qnorm_0995, 1e-10, 'qnorm .995');
  close(normalQuantile(0.95), m.qnorm_095, 1e-10, 'qnorm .95');
  for (const [key, values] of Object.entries(m.pt_lower as Record<string, number[]>)) closeAll(m.pt_points.map((x: number) => tCdf(x, Number(key.slice(3)))), values, 1e-10, key);
  for (const [key, value] of Object.entries(m.pt_two_sided_at_2 as Record<string, number>)) close(twoSidedT(2, Number(key.slice(3))), value, 1e-10, key);
  closeAll(m.pnorm_points.map(normalCdf), m.pnorm_lower, 1e-10, 'pnorm');
});

test('Jensen-Shannon and E-values agree with the reference (n, o)', () => {
  const { n_jensen_shannon: n, o_evalue: o } = reference().golden;
  close(jensenShannonDivergence(n.P, n.Q), n.js_divergence_base2, 1e-10, 'JSD');
  close(jensenShannonDistance(n.P, n.Q), n.js_distance_base2, 1e-10, 'JS distance');
  close(jensenShannonDistance(n.P, n.Q, Math.E), n.js_distance_natural_log, 1e-10, 'JS distance (ln)');
  const rr = evalueFromRR(o.rr.rr, o.rr.lower);
  close(rr.point, o.rr.evalue_point, 1e-10, 'E rr');
  close(rr.ci!, o.rr.evalue_ci, 1e-10, 'E rr ci');
  const smd = evalueFromSMD(o.smd.d);
  close(smd.rr, o.smd.rr_approx, 1e-10, 'rr from d');
  close(smd.point, o.smd.evalue_point, 1e-10, 'E d');
  close(evalueFromSMD(o.smd.d, o.smd.extra_with_se.se).ci!, o.smd.extra_with_se.evalue_ci, 1e-10, 'E d ci');
  const protective = evalueFromRR(o.extra_protective_rr.rr, undefined, o.extra_protective_rr.upper);
  close(protective.point, o.extra_protective_rr.evalue_point, 1e-10, 'E protective');
  close(protective.ci!, o.extra_protective_rr.evalue_ci, 1e-10, 'E protective ci');
  assert.equal(evalueFromRR(o.extra_ci_includes_1.rr, o.extra_ci_includes_1.lower).ci, 1);
});

test("effect sizes: Cohen's d and Cliff's delta on hand-checked samples", () => {
  // x: mean 3, var 2.5; y: mean 5, var 2.5 -> pooled sd sqrt(2.5), d = -2 / 1.5811
  close(cohensD([1, 2, 3, 4, 5], [3, 4, 5, 6, 7]), -2 / Math.sqrt(2.5), 1e-12, 'd');
  // pairs (x > y, x < y) over 3 x 2 = 6: x=[1,5,9], y=[4,6] -> 1:(0,2) 5:(1,1) 9:(2,0) -> (3-3)/6 = 0
  assert.equal(cliffsDelta([1, 5, 9], [4, 6]), 0);
  assert.equal(cliffsDelta([10, 11], [1, 2, 3]), 1);
  close(cliffsDelta([1, 2, 2], [2, 3]), (0 - 4) / 6, 1e-12, 'ties count neither way'); // 1<2,1<3,2<3,2<3; 2=2 twice
  close(cohensD([2, 4, 6], [1, 2, 3], true), 2 / 1, 1e-12, 'paired d_z'); // d = [1,2,3], mean 2, sd 1
});

test('one-sided Wilcoxon signed-rank p-values equal R', () => {
  // R 4.x: wilcox.test(x, y, paired = TRUE, alternative = "less" / "greater", exact = FALSE)$p.value
  const x = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3, 0.2, -0.4, 0.9];
  const y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29, 0.5, 0.1, 1.2];
  assert.ok(Math.abs(signedRankTest(x, y, 'less').p - 0.915094747457239) < 1e-12);
  assert.ok(Math.abs(signedRankTest(x, y, 'greater').p - 0.0977694295519977) < 1e-12);
});
