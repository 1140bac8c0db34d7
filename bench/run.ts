/**
 * Benchmarks: `npm run bench` runs them all; `npm run bench -- NAME ...` runs some. Each prints its
 * figures side by side with its anchor and the ratio. Latest figures: README.md. `scale` runs only
 * when named (`npm run bench -- scale [--quick]`).
 */
import { benchSyntax } from './syntax.ts';
import { benchStats } from './stats.ts';
import { benchTrain } from './train.ts';
import { benchScore } from './score.ts';
import { benchReport } from './report.ts';
import { benchGate } from './gate.ts';
import { benchGenerate } from './generate.ts';
import { benchScale } from './scale.ts';

const BENCHES: Record<string, () => Promise<void>> = { syntax: benchSyntax, stats: benchStats, train: benchTrain, score: benchScore, report: benchReport, gate: benchGate, generate: benchGenerate, scale: benchScale };
// scale takes about 25 minutes: it runs when named (npm run bench -- scale)
const BY_DEFAULT = Object.keys(BENCHES).filter((name) => name !== 'scale');
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const name of wanted.length ? wanted : BY_DEFAULT) {
  const bench = BENCHES[name];
  if (!bench) {
    console.error(`unknown benchmark '${name}' (have: ${Object.keys(BENCHES).join(', ')})`);
    process.exit(2);
  }
  console.log(`== ${name}`);
  await bench();
}
