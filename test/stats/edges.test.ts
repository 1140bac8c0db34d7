// MatchIt 4.7.2 at the edges (test/fixtures/reference/causal/make_edges.R): exactly tied propensity
// scores, units on the subclass cut points, a small treated group. Pairs, weights, subclasses,
// estimates and standard errors as MatchIt and sandwich give them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { causalQuestion, estimateEffect, propensityScores } from '../../src/stats/effect.ts';
import { matchedEffect } from '../../src/stats/matchedEffect.ts';
import { matchesOf, nearestNeighbourMatch, type MatchOptions } from '../../src/stats/matching.ts';
import { readCsv, tableFromColumns } from '../../src/stats/table.ts';
import { stratify } from '../../src/stats/stratification.ts';
import { close, closeAll, REFERENCE_DIR } from './golden.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Block = Record<string, any>;
const edges = JSON.parse(readFileSync(join(REFERENCE_DIR, 'edges.json'), 'utf8')) as Block;
const data = readCsv(join(REFERENCE_DIR, 'edges.csv'));
const question = causalQuestion(data, { treatment: 'treat', outcome: 'y', confounders: ['b1', 'b2', 'b3', 'cat'] });
const { ps } = propensityScores(question);

test('the edge data has what it was made for: ties, a small treated group, and our scores equal R\'s', () => {
  assert.equal(edges.meta.versions.MatchIt, '4.7.2');
  assert.equal(question.nTreated, edges.meta.n_treated);
  assert.ok(question.nTreated < 0.2 * question.n);
  assert.equal(new Set(ps).size, edges.meta.distinct_scores, 'tied scores are bit-identical, as in R');
  closeAll(ps, edges.propensity, 1e-9, 'propensity');
});

/** MatchIt's match.matrix as rows [focal id, matched ids...] sorted by focal id. */
function rowsOf(block: Block): number[][] {
  return (block.match_matrix as (number | null)[][]).map((r) => r.filter((v): v is number => v !== null)).filter((r) => r.length > 1).sort((a, b) => a[0] - b[0]);
}

function checkNearest(name: string, options: MatchOptions): void {
  const block = edges[name] as Block;
  const m = nearestNeighbourMatch(ps, question.treat, options);
  const ours = [...matchesOf(m).entries()].map(([f, cs]) => [f + 1, ...cs.map((c) => c + 1)]).sort((a, b) => a[0] - b[0]);
  assert.deepEqual(ours, rowsOf(block), `${name}: the same units matched to each focal unit, in the same order`);
  closeAll(m.weights, block.weights, 1e-10, `${name} weights`);
  if (block.subclass) {
    // MatchIt numbers subclasses 1..; ours are the focal unit's index: compare the partitions
    const theirs = new Map<number, number>();
    const mine = new Map<number, number>();
    block.subclass.forEach((s: number | null, i: number) => {
      assert.equal(s === null, m.subclass[i] < 0, `${name}: unit ${i + 1} in a subclass in both or neither`);
      if (s === null) return;
      if (theirs.has(s)) assert.equal(mine.get(s), m.subclass[i], `${name}: unit ${i + 1}'s subclass`);
      theirs.set(s, m.subclass[i]);
      mine.set(s, m.subclass[i]);
    });
  }
  const effect = matchedEffect(question.y, question.treat, m);
  close(effect.test.estimate, block.estimate, 1e-10, `${name} estimate`);
  if (block.se_cluster_pair !== undefined) close(effect.test.se, block.se_cluster_pair, 1e-9, `${name} SE clustered by pair`);
  if (block.get_matches) {
    // with replacement the default SE is the vignette's: get_matches() rows clustered by pair and by unit
    assert.equal(effect.nRows, block.get_matches.rows, `${name}: get_matches() rows`);
    close(effect.test.estimate, block.get_matches.estimate, 1e-10, `${name} estimate on get_matches() rows`);
    close(effect.test.se, block.get_matches.se_pair_and_unit, 1e-9, `${name} SE clustered by pair and unit`);
    assert.match(effect.vcov, /by pair and by unit/);
  }
  close(matchedEffect(question.y, question.treat, m, { vcov: 'HC3' }).test.se, block.se_hc3, 1e-9, `${name} HC3 SE`);
}

test('ties in the propensity score: MatchIt\'s scan order decides, ATT 1:1 (default: largest first)', () => checkNearest('nearest_att', {}));
test('ATC: the default order is smallest first, as MatchIt\'s', () => {
  checkNearest('nearest_atc', { estimand: 'ATC' });
  assert.equal(nearestNeighbourMatch(ps, question.treat, { estimand: 'ATC' }).options.order, 'smallest');
  const viaEffect = estimateEffect(question, { method: 'matching', estimand: 'ATC' });
  close(viaEffect.estimate, edges.nearest_atc.estimate, 1e-10, 'ATC through estimateEffect');
  assert.equal(viaEffect.options.order, 'smallest');
});
test('ties: orders smallest and data', () => {
  checkNearest('nearest_att_smallest', { order: 'smallest' });
  checkNearest('nearest_att_data', { order: 'data' });
});
test('ties: 2:1 in rounds (a later round scans from the earlier matches)', () => checkNearest('nearest_att_ratio2', { ratio: 2 }));
test('ties: a caliper of 0.1 SD', () => checkNearest('nearest_att_caliper', { caliper: 0.1 }));
test('ties: with replacement, ATT and ATC', () => {
  checkNearest('nearest_att_replace', { replace: true });
  checkNearest('nearest_atc_replace', { estimand: 'ATC', replace: true });
});


function checkSubclass(name: string, estimand: 'ATT' | 'ATC' | 'ATE'): void {
  const block = edges[name] as Block;
  const r = stratify(question.y, question.treat, ps, { strata: block.subclasses, estimand });
  closeAll(r.cuts, block.q_cut.slice(1, -1), 1e-10, `${name} cut points`);
  // units on a cut point: this data has many, and they go up, as findInterval puts them
  const onCut = Array.from(ps).filter((p) => r.cuts.some((c) => Math.abs(p - c) < 1e-12)).length;
  assert.ok(onCut > 20, `${name}: ${onCut} units lie on a cut point`);
  assert.deepEqual(Array.from(r.stratum, (s) => s + 1), block.subclass, `${name}: every unit in MatchIt's subclass`);
  assert.deepEqual(r.strata.map((s) => s.nTreated), block.n_treated_per_subclass);
  assert.deepEqual(r.strata.map((s) => s.nControl), block.n_control_per_subclass);
  close(r.estimate, block.estimate, 1e-10, `${name}: the estimate is MatchIt's weighted lm coefficient`);
  assert.match(r.cutRule, estimand === 'ATT' ? /treated/ : estimand === 'ATC' ? /control/ : /all units/);
}

test('subclassification: cut at the focal group\'s quantiles, units on a cut point go up (ATT, ATC, ATE)', () => {
  checkSubclass('subclass_att', 'ATT');
  checkSubclass('subclass_atc', 'ATC');
  checkSubclass('subclass_ate', 'ATE');
});

test('subclassification: cuts at all units\' quantiles on request, named in the result; a one-unit arm warns', () => {
  const all = stratify(question.y, question.treat, ps, { strata: 4, estimand: 'ATT', cuts: 'all' });
  closeAll(all.cuts, edges.subclass_ate.q_cut.slice(1, -1), 1e-10, 'all-unit cut points');
  assert.match(all.cutRule, /all units/);
  // the ATC's first stratum holds one treated unit (see n_treated_per_subclass)
  const atc = stratify(question.y, question.treat, ps, { strata: 4, estimand: 'ATC' });
  assert.ok(atc.warnings.some((w) => /stratum 1 has a single treated unit: .* SE is too small/.test(w)), atc.warnings.join('\n'));
  // 24 distinct scores cannot fill 60 strata: said, not hidden in the strata list
  const many = stratify(question.y, question.treat, ps, { strata: 60, estimand: 'ATE' });
  assert.ok(many.warnings.some((w) => /of 60 strata are empty: the scores take too few distinct values/.test(w)), many.warnings.join('\n'));
  assert.ok(!atc.warnings.some((w) => /strata are empty/.test(w)));
});

test('regression: the ATE by default allows a heterogeneous effect (Lin 2013), and says so', () => {
  const lin = estimateEffect(question, { method: 'regression' });
  close(lin.estimate, edges.regression_ate.lin.estimate, 1e-10, 'Lin ATE');
  close(lin.se, edges.regression_ate.lin.se_hc3_population, 1e-9, 'population SE: Lin HC3 plus the covariate means\' variance');
  assert.match(lin.inference.se, /sampling variance of the confounder means/);
  const sample = estimateEffect(question, { method: 'regression', sampleEffect: true });
  close(sample.se, edges.regression_ate.lin.se_hc3, 1e-9, 'Lin HC3 SE (the sample\'s average effect)');
  assert.equal(lin.options.interactions, true);
  assert.match(String(lin.options.outcomeModel), /interactions \(Lin 2013\)/);
  const constant = estimateEffect(question, { method: 'regression', adjust: false });
  close(constant.estimate, edges.regression_ate.constant.estimate, 1e-10, 'constant-effect ATE');
  close(constant.se, edges.regression_ate.constant.se_hc3, 1e-9, 'constant-effect HC3 SE');
  assert.ok(constant.diagnostics.warnings.some((w) => /only if the effect is the same for every unit/.test(w)));
});

test('regression: an arm too small for its own slopes falls back to a constant effect, and says so; asked-for interactions are not dropped', () => {
  const small = causalQuestion(tableFromColumns({ t: [1, 1, 0, 0, 0, 0, 0], x: [1, 2, 1, 2, 3, 4, 5], y: [3, 5, 1, 2, 2.5, 4, 5.5] }), { treatment: 't', outcome: 'y', confounders: ['x'] });
  const r = estimateEffect(small, { method: 'regression' });
  assert.equal(r.options.interactions, false);
  assert.ok(r.diagnostics.warnings.some((w) => /too few units in the smaller arm \(2\).*constant effect/.test(w)), r.diagnostics.warnings.join('\n'));
  assert.equal(estimateEffect(small, { method: 'regression', adjust: true }).options.interactions, true);
});
