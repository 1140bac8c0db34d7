/**
 * The causal engine against R (MatchIt + sandwich) and statsmodels on 100,000 rows x 10 covariates,
 * about 25% treated: logistic fit; the matching pipeline (logistic + 1:1 nearest-neighbour matching +
 * weighted lm + cluster-robust SE by pair); OLS + HC3. The anchors run on the same CSV when installed
 * (Debian: r-base-core r-cran-matchit r-cran-sandwich python3-statsmodels), and their numbers are
 * compared with ours. Set BENCH_STATS_N to change the size.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { designMatrix } from '../src/stats/design.ts';
import { fitLogistic } from '../src/stats/logistic.ts';
import { matchedEffect } from '../src/stats/matchedEffect.ts';
import { nearestNeighbourMatch } from '../src/stats/matching.ts';
import { fitLinear } from '../src/stats/ols.ts';
import { tableFromColumns } from '../src/stats/table.ts';
import { standardErrors, vcov } from '../src/stats/vcov.ts';
import { bestOf, printTable } from './common.ts';
import { anchorEnv, describeBlas, matchitLibrary } from './anchors.ts';
import { availableParallelism } from 'node:os';
import { causalQuestion } from '../src/stats/effect.ts';
import { estimateEffectParallel } from '../src/stats/bootstrapParallel.ts';

const COVARIATES = Array.from({ length: 10 }, (_, j) => `x${j + 1}`);

function simulate(n: number) {
  let s = 2463534242;
  const uniform = () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const cols: Record<string, Float64Array> = {};
  for (const c of COVARIATES) cols[c] = new Float64Array(n);
  const t = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let lin = -0.85;
    let out = 1;
    COVARIATES.forEach((c, j) => {
      const v = j % 3 === 2 ? (uniform() < 0.4 ? 1 : 0) : normal() * (1 + j / 5) + j;
      cols[c][i] = Number(v.toFixed(6));
      lin += 0.15 * (j % 2 === 0 ? 1 : -1) * (cols[c][i] - j) / (1 + j / 5);
      out += 0.3 * cols[c][i];
    });
    t[i] = uniform() < 1 / (1 + Math.exp(-lin)) ? 1 : 0;
    y[i] = Number((out + 2 * t[i] + normal()).toFixed(6));
  }
  return { ...cols, t, y };
}

function has(command: string, args: string[]): boolean {
  return spawnSync(command, args, { encoding: 'utf8' }).status === 0;
}

const R_SCRIPT = (csv: string) => `
suppressPackageStartupMessages({ library(MatchIt); library(sandwich) })
d <- read.csv("${csv}")
f <- t ~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10
best <- function(fn, k = 3) min(replicate(k, system.time(fn())[["elapsed"]]))
t_glm <- best(function() glm(f, data = d, family = binomial()))
t_match <- best(function() { m <- matchit(f, data = d, method = "nearest", distance = "glm"); md <- match.data(m); fit <- lm(y ~ t, data = md, weights = weights); vcovCL(fit, cluster = ~subclass) })
m <- matchit(f, data = d, method = "nearest", distance = "glm"); md <- match.data(m); fit <- lm(y ~ t, data = md, weights = weights); V <- vcovCL(fit, cluster = ~subclass)
ols <- lm(y ~ t + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10, data = d)
t_ols <- best(function() { o <- lm(y ~ t + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10, data = d); vcovHC(o, type = "HC3") })
write.csv(data.frame(distance = sprintf("%.17g", m$distance)), "${csv}.ps.csv", row.names = FALSE, quote = FALSE)
cat(sprintf("glm %.6f\\nmatch %.6f\\nols %.6f\\natt %.15g\\nse %.15g\\nols_coef %.15g\\nols_se %.15g\\nversion %s\\n", t_glm, t_match, t_ols, coef(fit)[["t"]], sqrt(V[2,2]), coef(ols)[["t"]], sqrt(vcovHC(ols, type = "HC3")[2,2]), as.character(packageVersion("MatchIt"))))
`;

const PY_SCRIPT = (csv: string) => `
import time, numpy as np, pandas as pd, statsmodels.api as sm
d = pd.read_csv("${csv}")
X = sm.add_constant(d[[f"x{j}" for j in range(1, 11)]].to_numpy())
Xo = sm.add_constant(d[["t"] + [f"x{j}" for j in range(1, 11)]].to_numpy())
y = d["y"].to_numpy(); t = d["t"].to_numpy()
def best(fn, k=5):
    out = []
    for _ in range(k):
        t0 = time.perf_counter(); fn(); out.append(time.perf_counter() - t0)
    return min(out)
t_ols = best(lambda: sm.OLS(y, Xo).fit(cov_type="HC3"))
t_logit = best(lambda: sm.Logit(t, X).fit(disp=0))
r = sm.OLS(y, Xo).fit(cov_type="HC3")
print(f"ols {t_ols:.6f}\\nlogit {t_logit:.6f}\\nols_coef {r.params[1]:.15g}\\nols_se {r.bse[1]:.15g}\\nversion {sm.__version__}")
`;

function parseOutput(text: string): Record<string, string> {
  return Object.fromEntries(text.trim().split('\n').map((line) => {
    const i = line.indexOf(' ');
    return [line.slice(0, i), line.slice(i + 1)];
  }));
}

export async function benchStats(): Promise<void> {
  const n = Number(process.env.BENCH_STATS_N ?? 100_000);
  const columns = simulate(n);
  const table = tableFromColumns(columns);
  const design = designMatrix(table, COVARIATES);
  const treat = columns.t;
  const y = columns.y;
  const dir = mkdtempSync(join(tmpdir(), 'cge-stats-'));
  const csv = join(dir, 'data.csv');
  const names = [...COVARIATES, 't', 'y'];
  const lines = [names.join(',')];
  for (let i = 0; i < n; i++) lines.push(names.map((c) => String((columns as Record<string, Float64Array>)[c][i])).join(','));
  writeFileSync(csv, `${lines.join('\n')}\n`);

  let att = NaN;
  let attSe = NaN;
  const glmTime = await bestOf(5, () => { fitLogistic(design, treat); });
  const matchTime = await bestOf(5, () => {
    const ps = fitLogistic(design, treat).fitted;
    const m = nearestNeighbourMatch(ps, treat);
    const e = matchedEffect(y, treat, m);
    att = e.test.estimate;
    attSe = e.test.se;
  });
  const olsDesign = designMatrix(table, ['t', ...COVARIATES]);
  let olsCoef = NaN;
  let olsSe = NaN;
  const olsTime = await bestOf(5, () => {
    const fit = fitLinear(olsDesign, y);
    olsCoef = fit.coefficients[1];
    olsSe = standardErrors(vcov(fit, { type: 'HC3' }), fit.k)[1];
  });
  let treated = 0;
  for (const v of treat) treated += v;
  console.log(`${n} rows x ${COVARIATES.length} covariates, ${((100 * treated) / n).toFixed(1)}% treated; best of 5 (3 for R)`);

  const rows: (string | number)[][] = [];
  const fmt = (s: number) => `${(s * 1000).toFixed(1)} ms`;
  let r: Record<string, string> | undefined;
  // MatchIt 4.7.2 from its own library when it is built (anchors.ts), else whatever R has
  const matchitLib = matchitLibrary();
  if (!matchitLib) console.log('MatchIt 4.7.2 not found: build it with the anchors\' install-matchit.sh (into ~/.cache/codegen-eval/Rlib, or set CODEGEN_EVAL_MATCHIT_LIB); using the system MatchIt');
  const rEnv = anchorEnv(matchitLib ? { R_LIBS: matchitLib } : {});
  console.log(describeBlas());
  if (spawnSync('Rscript', ['-e', 'suppressPackageStartupMessages({library(MatchIt); library(sandwich)})'], { env: rEnv }).status === 0) {
    writeFileSync(join(dir, 'bench.R'), R_SCRIPT(csv));
    const out = spawnSync('Rscript', [join(dir, 'bench.R')], { encoding: 'utf8', env: rEnv });
    if (out.status === 0) r = parseOutput(out.stdout);
    else console.log(`R failed: ${out.stderr.slice(0, 500)}`);
  } else console.log('R with MatchIt and sandwich not found: apt-get install r-base-core r-cran-matchit r-cran-sandwich for the R anchor');
  let py: Record<string, string> | undefined;
  if (has('/usr/bin/python3', ['-c', 'import statsmodels'])) {
    writeFileSync(join(dir, 'bench.py'), PY_SCRIPT(csv));
    const out = spawnSync('/usr/bin/python3', [join(dir, 'bench.py')], { encoding: 'utf8', env: anchorEnv() });
    if (out.status === 0) py = parseOutput(out.stdout);
    else console.log(`statsmodels failed: ${out.stderr.slice(0, 500)}`);
  } else console.log('statsmodels not found: apt-get install python3-statsmodels for the statsmodels anchor');

  rows.push(['logistic fit (glm / Logit)', fmt(glmTime), r ? fmt(Number(r.glm)) : '-', r ? `${(Number(r.glm) / glmTime).toFixed(1)}x` : '-', py ? fmt(Number(py.logit)) : '-', py ? `${(Number(py.logit) / glmTime).toFixed(1)}x` : '-']);
  rows.push(['logistic + 1:1 NN match + lm + vcovCL', fmt(matchTime), r ? fmt(Number(r.match)) : '-', r ? `${(Number(r.match) / matchTime).toFixed(1)}x` : '-', '-', '-']);
  rows.push(['OLS + HC3', fmt(olsTime), r ? fmt(Number(r.ols)) : '-', r ? `${(Number(r.ols) / olsTime).toFixed(1)}x` : '-', py ? fmt(Number(py.ols)) : '-', py ? `${(Number(py.ols) / olsTime).toFixed(1)}x` : '-']);
  printTable('wall time (speed-up = anchor time / codegen-eval time; higher is better)', ['task', 'codegen-eval', `R${r ? ` (MatchIt ${r.version})` : ''}`, 'speed-up vs R', `statsmodels${py ? ` ${py.version}` : ''}`, 'speed-up vs statsmodels'], rows);
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
  const agree: (string | number)[][] = [];
  if (r) {
    agree.push(['matched ATT', att.toPrecision(12), Number(r.att).toPrecision(12), rel(att, Number(r.att)).toExponential(1)]);
    agree.push(['matched ATT SE (vcovCL)', attSe.toPrecision(12), Number(r.se).toPrecision(12), rel(attSe, Number(r.se)).toExponential(1)]);
    agree.push(['OLS treat coefficient (R)', olsCoef.toPrecision(12), Number(r.ols_coef).toPrecision(12), rel(olsCoef, Number(r.ols_coef)).toExponential(1)]);
    agree.push(['OLS HC3 SE (R)', olsSe.toPrecision(12), Number(r.ols_se).toPrecision(12), rel(olsSe, Number(r.ols_se)).toExponential(1)]);
  }
  if (py) {
    agree.push(['OLS treat coefficient (statsmodels)', olsCoef.toPrecision(12), Number(py.ols_coef).toPrecision(12), rel(olsCoef, Number(py.ols_coef)).toExponential(1)]);
    agree.push(['OLS HC3 SE (statsmodels)', olsSe.toPrecision(12), Number(py.ols_se).toPrecision(12), rel(olsSe, Number(py.ols_se)).toExponential(1)]);
  }
  if (r) {
    // match on R's own propensity scores: separates the matching algorithm from ~1e-9 differences in the scores
    const rPs = Float64Array.from(readFileSync(`${csv}.ps.csv`, 'utf8').trim().split('\n').slice(1), Number);
    const ours = fitLogistic(design, treat).fitted;
    let maxPsDiff = 0;
    for (let i = 0; i < n; i++) maxPsDiff = Math.max(maxPsDiff, Math.abs(ours[i] - rPs[i]));
    const onR = matchedEffect(y, treat, nearestNeighbourMatch(rPs, treat));
    agree.push(["matched ATT, matching on R's propensity scores", onR.test.estimate.toPrecision(12), Number(r.att).toPrecision(12), rel(onR.test.estimate, Number(r.att)).toExponential(1)]);
    agree.push(["matched SE, matching on R's propensity scores", onR.test.se.toPrecision(12), Number(r.se).toPrecision(12), rel(onR.test.se, Number(r.se)).toExponential(1)]);
    agree.push(['max |our PS - R PS|', maxPsDiff.toExponential(2), '', '']);
  }
  if (agree.length) printTable('same numbers?', ['quantity', 'codegen-eval', 'anchor', 'relative difference'], agree);
  if (r && r.version !== '4.7.2') console.log(`note: MatchIt ${r.version}'s nearest-neighbour matching differs from 4.7.2's, whose pairs codegen-eval reproduces exactly (test/stats/matching.test.ts, edges.test.ts): the numbers above need not agree`);
  rmSync(dir, { recursive: true, force: true });
  await benchBootstrap(columns, Math.min(n, 20_000));
}

/** The bootstrap of the matching pipeline, one thread against all cores (same replicates, same result). */
async function benchBootstrap(columns: Record<string, Float64Array>, m: number): Promise<void> {
  const sub: Record<string, Float64Array> = {};
  for (const [k, v] of Object.entries(columns)) sub[k] = v.subarray(0, m);
  const q = causalQuestion(tableFromColumns(sub), { treatment: 't', outcome: 'y', confounders: COVARIATES });
  const options = { method: 'matching' as const, bootstrap: 200, seed: 1 };
  const cores = availableParallelism();
  let a = NaN;
  let b = NaN;
  const one = await bestOf(1, async () => { a = (await estimateEffectParallel(q, options, { threads: 1 })).se; });
  const all = await bestOf(1, async () => { b = (await estimateEffectParallel(q, options, { threads: cores, minWork: 0 })).se; });
  printTable(`bootstrap: 200 replicates of logistic + matching + lm on ${m} rows`, ['threads', 'time', 'speed-up', 'bootstrap SE'], [
    ['1', `${one.toFixed(2)} s`, '1.0x', a.toPrecision(10)],
    [String(cores), `${all.toFixed(2)} s`, `${(one / all).toFixed(2)}x`, b.toPrecision(10)],
  ]);
}
