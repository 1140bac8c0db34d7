import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrap } from '../../src/stats/bootstrap.ts';
import { bootstrapMean } from '../../src/stats/bootstrapMean.ts';
import { mean } from '../../src/stats/mean.ts';
import { createRandom } from '../../src/util/random.ts';

test('bootstrapMean draws what the general bootstrap draws: the same interval, bit for bit', () => {
  const random = createRandom(3);
  const values = Array.from({ length: 737 }, () => Math.log(random.next() + 1e-3));
  for (const seed of [0, 1, 42]) {
    const general = bootstrap(values.length, (rows) => mean(Array.from(rows, (i) => values[i])), { replicates: 300, seed });
    const fast = bootstrapMean(values, { replicates: 300, seed });
    assert.deepEqual(fast.ci, general.ci);
    assert.equal(fast.se, general.se);
    assert.equal(fast.estimate, general.estimate);
  }
});

test('bootstrapMean: the 95% interval of a normal mean covers the truth about 95% of the time (simulation)', () => {
  const random = createRandom(9);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
  let covered = 0;
  const trials = 300;
  for (let t = 0; t < trials; t++) {
    const values = Array.from({ length: 80 }, () => 2 + normal());
    const { ci } = bootstrapMean(values, { replicates: 400, seed: t });
    if (ci[0] <= 2 && 2 <= ci[1]) covered++;
  }
  // binomial(300, 0.95): 0.92-0.98 holds with probability above 0.99; the percentile interval runs a little short at n = 80
  assert.ok(covered / trials > 0.9 && covered / trials < 0.99, `coverage ${covered / trials}`);
});
