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
import { readCsv } from '../../src/stats/table.ts';
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

