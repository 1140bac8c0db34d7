import { test } from 'node:test';
import assert from 'node:assert/strict';
import { designMatrix, numericVector } from '../../src/stats/design.ts';
import { fitLogistic } from '../../src/stats/logistic.ts';
import { matchedEffect } from '../../src/stats/matchedEffect.ts';
import { matchesOf, nearestNeighbourMatch, NoMatchesError, type MatchOptions, type MatchResult } from '../../src/stats/matching.ts';
import { close, closeAll, reference} from './golden.ts';

const TERMS = ['x1', 'x2', 'x3', 'x4', 'b1', 'b2', 'cat'];
let cache: { ps: Float64Array; treat: Float64Array; y: Float64Array; ids: Float64Array } | undefined;
function setup() {
  const { data } = reference();
  cache ??= {
    ps: fitLogistic(designMatrix(data, TERMS), numericVector(data, 'treat')).fitted,
    treat: numericVector(data, 'treat'),
    y: numericVector(data, 'y'),
    ids: numericVector(data, 'id'),
  };
  return cache;
}

function pairsOf(m: MatchResult, ids: Float64Array): number[][] {
  return [...matchesOf(m).entries()].map(([t, cs]) => [ids[t], ...cs.map((c) => ids[c])]).sort((a, b) => a[0] - b[0]);
}

function checkSe(effect: ReturnType<typeof matchedEffect>, ref: Record<string, unknown> & { se: number; t_stat: number; p_t: number; p_normal: number; ci95_t: number[]; ci95_normal: number[] }, what: string) {
  close(effect.test.se, ref.se, 1e-9, `${what} se`);
  close(effect.test.statistic, ref.t_stat, 1e-9, `${what} t`);
  close(effect.test.pT, ref.p_t, 1e-6, `${what} p_t`);
  close(effect.test.pNormal, ref.p_normal, 1e-6, `${what} p_normal`);
  closeAll(effect.test.ciT, ref.ci95_t, 1e-9, `${what} ci t`);
  closeAll(effect.test.ciNormal, ref.ci95_normal, 1e-9, `${what} ci normal`);
}

function checkBlock(block: Record<string, any>, options: MatchOptions, what: string) {
  const { ps, treat, y, ids } = setup();
  const m = nearestNeighbourMatch(ps, treat, options);
  assert.equal(m.counts.focalMatched, block.n_treated_matched, `${what} treated matched`);
  const others = block.n_control_matched ?? block.n_unique_controls;
  if (others !== undefined) assert.equal(m.counts.matchedOther, others, `${what} controls matched`);
  if (block.n_matched_rows) assert.equal(m.counts.matchedRows, block.n_matched_rows);
  if (block.pairs_treated_control) assert.deepEqual(pairsOf(m, ids), block.pairs_treated_control, `${what}: identical pairs`);
  if (block.matches_treated_control1_control2) assert.deepEqual(pairsOf(m, ids), block.matches_treated_control1_control2.map((r: (number | null)[]) => r.filter((v) => v !== null)), `${what}: identical matches`);
  if (block.dropped_treated_ids) assert.deepEqual(m.unmatchedFocal.map((i) => ids[i]), block.dropped_treated_ids);
  if (block.weighted_ids) {
    const got: number[] = [];
    const weights: number[] = [];
    m.weights.forEach((w, i) => { if (w > 0) { got.push(ids[i]); weights.push(w); } });
    assert.deepEqual(got, block.weighted_ids);
    closeAll(weights, block.weights, 1e-9, `${what} weights`);
  }
  // the reference's df and SEs are lm's on match.data (get_matches rows are checked in edges.test.ts)
  const effect = matchedEffect(y, treat, m, options.replace ? { se: 'HC3' } : {});
  close(effect.test.estimate, block.att, 1e-9, `${what} ATT`);
  if (block.df_residual) assert.equal(effect.test.df, block.df_residual);
  return { m, effect };
}

test('matching 1:1 without replacement, largest first: identical pairs and SEs (b)', () => {
  const b = reference().golden.b_nn_1to1_largest;
  const { m } = checkBlock(b, {}, 'b');
  const { y, treat } = setup();
  checkSe(matchedEffect(y, treat, m), b.se_vcovCL_default_HC1_cadjust, 'HC1 cadjust');
  checkSe(matchedEffect(y, treat, m, { clusterType: 'HC0' }), b.se_vcovCL_HC0_cadjust, 'HC0 cadjust');
  checkSe(matchedEffect(y, treat, m, { clusterType: 'HC0', cadjust: false }), b.se_vcovCL_HC0_no_adjustment, 'HC0 no adjustment');
});

test('matching with a caliper of 0.2 SD: identical pairs, dropped treated and SEs (c)', () => {
  const c = reference().golden.c_nn_1to1_caliper;
  const { m, effect } = checkBlock(c, { caliper: 0.2 }, 'c');
  close(m.caliperDistance!, c.caliper_distance_units, 1e-7, 'caliper in PS units');
  checkSe(effect, c.se_vcovCL_default_HC1_cadjust, 'c HC1');
  const { y, treat } = setup();
  checkSe(matchedEffect(y, treat, m, { clusterType: 'HC0', cadjust: false }), c.se_vcovCL_HC0_no_adjustment, 'c HC0 none');
  assert.match(m.warnings[0], /74 of 460 treated units had no match within the caliper/);
});

test('matching 2:1 in rounds, and 2:1 with a caliper (non-trivial weights) (d, d2)', () => {
  const { golden } = reference();
  const d = checkBlock(golden.d_nn_ratio2, { ratio: 2 }, 'd');
  checkSe(d.effect, golden.d_nn_ratio2.se_vcovCL_default_HC1_cadjust, 'd HC1');
  const d2 = checkBlock(golden.d2_extra_nn_ratio2_caliper, { ratio: 2, caliper: 0.2 }, 'd2');
  checkSe(d2.effect, golden.d2_extra_nn_ratio2_caliper.se_vcovCL_default_HC1_cadjust, 'd2 HC1');
  const { y, treat } = setup();
  checkSe(matchedEffect(y, treat, d2.m, { clusterType: 'HC0' }), golden.d2_extra_nn_ratio2_caliper.se_vcovCL_HC0_cadjust, 'd2 HC0');
});

test('matching with replacement: pairs, weights and HC3 SE (e)', () => {
  const e = reference().golden.e_nn_1to1_replace;
  const { m, effect } = checkBlock(e, { replace: true }, 'e');
  const { y, treat } = setup();
  assert.match(matchedEffect(y, treat, m).vcov, /by pair and by unit/, 'with replacement the default SE clusters by pair and unit');
  checkSe(effect, e.se_HC3, 'e HC3');
  close(matchedEffect(y, treat, m, { vcov: 'HC0' }).test.se, e.se_HC0, 1e-9, 'e HC0');
  close(matchedEffect(y, treat, m, { vcov: 'HC1' }).test.se, e.se_HC1, 1e-9, 'e HC1');
  close(matchedEffect(y, treat, m, { vcov: 'classical' }).test.se, e.se_classical, 1e-9, 'e classical');
});

test('matching orders smallest and data (f)', () => {
  const f = reference().golden.f_m_order;
  checkBlock(f.smallest, { order: 'smallest' }, 'smallest');
  checkBlock(f.data, { order: 'data' }, 'data');
});

test('matching: ATC, random order, exact matching, discard, and a caliper leaving no pairs', () => {
  const ps = Float64Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.9]);
  const treat = Float64Array.from([0, 1, 0, 1, 0, 1, 0, 0]);
  const atc = nearestNeighbourMatch(ps, treat, { estimand: 'ATC' });
  assert.equal(atc.estimand, 'ATC');
  assert.equal(atc.counts.focal, 5);
  assert.equal(atc.counts.focalMatched, 3); // only three treated units to go around
  const a = nearestNeighbourMatch(ps, treat, { order: 'random', seed: 3 });
  const b = nearestNeighbourMatch(ps, treat, { order: 'random', seed: 3 });
  assert.deepEqual([...matchesOf(a)], [...matchesOf(b)]);
  const exact = nearestNeighbourMatch(ps, treat, { exact: ['a', 'a', 'b', 'b', 'a', 'b', 'b', 'a'] });
  for (const [t, cs] of matchesOf(exact)) for (const c of cs) assert.equal(['a', 'a', 'b', 'b', 'a', 'b', 'b', 'a'][t], ['a', 'a', 'b', 'b', 'a', 'b', 'b', 'a'][c]);
  const discard = nearestNeighbourMatch(Float64Array.from([0.05, 0.2, 0.25, 0.3, 0.95]), Float64Array.from([1, 0, 1, 0, 1]), { discard: 'treated' });
  assert.deepEqual(discard.discarded, [0, 4]);
  assert.deepEqual([...matchesOf(discard).keys()], [2]);
  assert.throws(() => nearestNeighbourMatch(Float64Array.from([0.05, 0.2, 0.3, 0.95]), Float64Array.from([1, 0, 0, 1]), { discard: 'treated' }), NoMatchesError);
  assert.throws(() => nearestNeighbourMatch(Float64Array.from([0.1, 0.9, 0.15]), Float64Array.from([1, 0, 1]), { caliper: 0.01 }), /no treated unit has a match within the caliper/);
});
