/**
 * Which covariates an observational analysis adjusts for (issue 13, item 5), by a simulation whose
 * truth is known: a docstring adds model tokens, and the token count affects the outcome, so the
 * token count is a mediator. Adjusting for it estimates only the part of the effect that does not go
 * through it; the declared rule leaves it out and recovers the whole effect.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { causalQuestion, estimateEffect } from '../../src/stats/effect.ts';
import { tableFromColumns } from '../../src/stats/table.ts';
import { adjustmentCovariates, hasComments, hasDocstring, OBSERVATIONAL_TREATMENTS, withDerivedCovariates } from '../../src/testbeds/treatments.ts';
import { createRandom } from '../../src/util/random.ts';

test('every treatment that adds text to the code declares the model-token count it inflates', () => {
  for (const t of [hasDocstring, hasComments, OBSERVATIONAL_TREATMENTS.find((x) => x.name === 'has-type-hints')!]) {
    assert.ok(t.excludedCovariates.includes('modelTokens'), t.name);
    assert.ok(!adjustmentCovariates(t.name, [], ['chars', 'docstringChars', 'commentChars', 'modelTokens', 'cyclomatic']).includes('modelTokens'), t.name);
  }
  // a testbed built before a declaration changed still gets today's rule, and its own recorded one
  assert.deepEqual(adjustmentCovariates('has-docstring', ['cyclomatic'], ['chars', 'docstringChars', 'commentChars', 'modelTokens', 'cyclomatic', 'astDepth', 'errorNodes']), ['commentChars', 'astDepth', 'codeChars']);
});

test('simulation: adjusting for the mediator biases the docstring effect; the declared rule recovers it', () => {
  const random = createRandom(11);
  const g = () => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
  const n = 4000;
  const direct = -0.3;
  const perToken = 0.002; // more tokens of context help the model a little
  const docTokens = 40;
  const columns: Record<string, number[]> = { y: [], t: [], chars: [], docstringChars: [], commentChars: [], modelTokens: [], cyclomatic: [] };
  for (let i = 0; i < n; i++) {
    const code = 500 + 150 * g(); // size of the code itself: a confounder, not changed by a docstring
    const t = random.next() < 1 / (1 + Math.exp(-(code - 500) / 150)) ? 1 : 0;
    const added = t * (docTokens + 5 * g());
    const modelTokens = code / 4 + 15 * g() + added; // tokens per character vary from function to function
    columns.y.push(-2 - 0.001 * code + direct * t + perToken * modelTokens + 0.3 * g());
    columns.t.push(t);
    const comments = Math.round(20 * Math.abs(g()));
    columns.chars.push(code + 4 * added + comments);
    columns.docstringChars.push(4 * added);
    columns.commentChars.push(comments);
    columns.modelTokens.push(modelTokens);
    columns.cyclomatic.push(1 + Math.round(code / 200));
  }
  // the truth: the whole effect of a docstring goes directly (-0.3) and through its tokens (+0.08)
  const total = direct + perToken * docTokens;
  const derived = Array.from({ length: n }, (_, i) => withDerivedCovariates({ chars: columns.chars[i], docstringChars: columns.docstringChars[i], commentChars: columns.commentChars[i] }).codeChars);
  const table = tableFromColumns({ ...columns, codeChars: derived });
  const estimate = (confounders: string[]) => estimateEffect(causalQuestion(table, { treatment: 't', outcome: 'y', confounders }), { method: 'regression' });
  const withMediator = estimate(['codeChars', 'modelTokens', 'cyclomatic']);
  assert.ok(withMediator.ci[1] < total, `adjusting for modelTokens: ${withMediator.ci} misses the total effect ${total}`);
  assert.ok(withMediator.ci[0] < direct && direct < withMediator.ci[1], 'it estimates the direct part only');
  const declared = adjustmentCovariates('has-docstring', [], ['chars', 'docstringChars', 'commentChars', 'modelTokens', 'cyclomatic']);
  assert.deepEqual(declared.sort(), ['codeChars', 'commentChars', 'cyclomatic']);
  const byRule = estimate(declared);
  assert.ok(byRule.ci[0] < total && total < byRule.ci[1], `the declared adjustment set: ${byRule.ci} covers ${total}`);
  const naive = estimate([]);
  assert.ok(naive.ci[1] < total || naive.ci[0] > total, `no adjustment is confounded by size: ${naive.ci}`);
});
