import { formatP } from '../stats/formatP.ts';
import { Command, Option } from 'commander';
import { causalQuestion, matchedDataCsv, type EstimateOptions } from '../stats/effect.ts';
import { estimateEffectParallel } from '../stats/bootstrapParallel.ts';
import { readTable } from '../stats/readTable.ts';
import { asCategories } from '../stats/table.ts';
import { REFUTERS, refuteEstimate, type Refuter } from '../stats/refute.ts';
import { UsageError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { checkOutputFile } from '../util/outputs.ts';
import { fixed, table, toJson } from './format.ts';
import { parseInteger, parsePositiveInt, type CliIO } from './shared.ts';

function parseNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`expected a number, got '${value}'`);
  return n;
}

function list(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

export function effectCommand(io: CliIO): Command {
  return new Command('effect')
    .description('estimate a causal effect in any CSV or Parquet table, with diagnostics and refutations')
    .requiredOption('--data <file>', 'a .csv or .parquet table, one row per unit')
    .requiredOption('--treatment <column>', 'the treatment: 0/1 (or true/false)')
    .requiredOption('--outcome <column>', 'the outcome (numeric)')
    .option('--confounders <columns>', 'confounders, comma-separated (text columns are dummy-coded, first level as reference)', list, [])
    .addOption(new Option('--na <policy>', "rows with a missing or non-numeric value in a used column: 'error' names them, 'drop' leaves them out (complete cases)").choices(['error', 'drop']).default('error'))
    .option('--categorical <columns>', 'columns to read as categories although their values are numbers (codes)', list, [])
    .addOption(new Option('--method <method>', 'estimator').choices(['matching', 'regression', 'ipw', 'aipw', 'stratification']).default('matching'))
    .addOption(new Option('--estimand <estimand>', 'ATT, ATE or ATC (default: ATT for matching, else ATE)').choices(['ATT', 'ATE', 'ATC']))
    .option('--ratio <k>', 'matching: units of the other group per focal unit (default 1)', parsePositiveInt)
    .option('--caliper <sd>', 'matching: caliper in standard deviations of the propensity score', parseNumber)
    .option('--replace', 'matching: with replacement')
    .addOption(new Option('--order <order>', "matching: order in which the focal units are matched (default, as MatchIt: largest score first for the ATT, smallest for the ATC)").choices(['largest', 'smallest', 'data', 'random']))
    .option('--exact <columns>', 'matching: columns that must be equal within a match', list)
    .addOption(new Option('--discard <arm>', 'matching: drop units outside common support').choices(['none', 'treated', 'control', 'both']))
    .option('--logit', 'matching: distance on the logit of the propensity score')
    .option('--adjust', 'matching: covariate-adjusted g-computation after matching; regression: treatment-confounder interactions (its default already)')
    .addOption(new Option('--se <type>', "matching: standard error; default 'pair' (cluster by matched pair) without replacement, 'pair-and-unit' (get_matches rows clustered by pair and unit) with replacement, as MatchIt's vignette recommends").choices(['pair', 'pair-and-unit', 'HC3']))
    .option('--matched-data <file>', "matching: write the matched sample as CSV: row (in the data file), every data column, distance, weights, subclass (MatchIt's match.data; with --replace get_matches: a line per unit per pair)")
    .option('--constant-effect', 'regression: no treatment-confounder interactions (y ~ treat + confounders): assumes the effect is the same for every unit')
    .option('--sample-effect', "regression: the SE of the effect averaged over this sample's confounders (Lin 2013), not the population's")
    .addOption(new Option('--vcov <type>', 'regression: standard errors').choices(['classical', 'HC0', 'HC1', 'HC2', 'HC3']))
    .option('--cluster <column>', 'regression: cluster-robust standard errors by this column (bootstrap: resample its clusters)')
    .option('--trim <a>', "ipw, aipw: drop units with propensity outside [a, 1-a]; 'crump': the optimal threshold of Crump et al. 2009", (v: string) => (v === 'crump' ? 'crump' as const : parseNumber(v)))
    .option('--stabilise', 'ipw: stabilised weights')
    .option('--horvitz-thompson', 'ipw: unnormalised (Horvitz-Thompson) instead of Hajek')
    .option('--strata <k>', 'stratification: number of strata (default 5; MatchIt: 6)', parsePositiveInt)
    .addOption(new Option('--strata-cuts <whose>', "stratification: cut points at quantiles of the focal group's scores (treated for the ATT, control for the ATC, all units for the ATE: MatchIt's rule, the default) or of all units' for every estimand").choices(['focal', 'all']))
    .option('--bootstrap <n>', 'bootstrap the whole estimation n times (SE and interval from the bootstrap)', parsePositiveInt)
    .option('--bca', 'bootstrap: bias-corrected and accelerated interval instead of percentile')
    .option('--refute <names>', `refutation tests, comma-separated (${REFUTERS.join(', ')})`, list, [])
    .option('--simulations <n>', 'refutations: simulations per test', parsePositiveInt)
    .option('--level <p>', 'confidence level', parseNumber, 0.95)
    .option('--seed <n>', 'random seed (bootstrap, random order, refutations)', parseInteger, 0)
    .option('--json', 'print one JSON object')
    .action(async (opts: {
      data: string; treatment: string; outcome: string; confounders: string[]; na: 'error' | 'drop'; categorical: string[]; method: EstimateOptions['method']; estimand?: EstimateOptions['estimand'];
      ratio?: number; caliper?: number; replace?: boolean; order?: EstimateOptions['order']; exact?: string[]; discard?: EstimateOptions['discard']; logit?: boolean; adjust?: boolean;
      se?: EstimateOptions['matchedSe']; matchedData?: string; constantEffect?: boolean; sampleEffect?: boolean; strataCuts?: EstimateOptions['strataCuts'];
      vcov?: EstimateOptions['vcov']; cluster?: string; trim?: number | 'crump'; stabilise?: boolean; horvitzThompson?: boolean; strata?: number;
      bootstrap?: number; bca?: boolean; refute: string[]; simulations?: number; level: number; seed: number; json?: boolean;
    }) => {
      for (const r of opts.refute) if (!(REFUTERS as readonly string[]).includes(r)) throw new UsageError(`unknown refuter '${r}'`, `use ${REFUTERS.join(', ')}`);
      // an option of another method would be ignored in silence: refuse it
      const only: [keyof typeof opts, string, string[]][] = [
        ['ratio', '--ratio', ['matching']], ['caliper', '--caliper', ['matching']], ['replace', '--replace', ['matching']], ['order', '--order', ['matching']],
        ['exact', '--exact', ['matching']], ['discard', '--discard', ['matching']], ['logit', '--logit', ['matching']], ['adjust', '--adjust', ['matching', 'regression']],
        ['vcov', '--vcov', ['regression']], ['cluster', '--cluster', ['regression']], ['trim', '--trim', ['ipw', 'aipw']], ['stabilise', '--stabilise', ['ipw']],
        ['horvitzThompson', '--horvitz-thompson', ['ipw']], ['strata', '--strata', ['stratification']],
        ['se', '--se', ['matching']], ['matchedData', '--matched-data', ['matching']], ['constantEffect', '--constant-effect', ['regression']],
        ['sampleEffect', '--sample-effect', ['regression']], ['strataCuts', '--strata-cuts', ['stratification']],
      ];
      for (const [key, flag, methods] of only) {
        if (opts[key] !== undefined && !methods.includes(opts.method)) throw new UsageError(`${flag} applies to --method ${methods.join(' or ')}, not ${opts.method}`, `drop ${flag}, or choose --method ${methods[0]}`);
      }
      if (opts.caliper !== undefined && !(opts.caliper > 0)) throw new UsageError(`--caliper must be a positive number of standard deviations, got ${opts.caliper}`);
      if (opts.bootstrap !== undefined && opts.bootstrap < 2) throw new UsageError(`--bootstrap needs at least 2 replicates, got ${opts.bootstrap}`, 'use --bootstrap 1000 or so');
      if (!(opts.level > 0 && opts.level < 1)) throw new UsageError('--level must lie between 0 and 1');
      if (opts.bca && opts.bootstrap === undefined) throw new UsageError('--bca chooses the bootstrap interval: it needs --bootstrap N');
      if (opts.simulations !== undefined && opts.refute.length === 0) throw new UsageError("--simulations sets the refutations' simulations: it needs --refute", `e.g. --refute placebo --simulations ${opts.simulations}`);
      if (opts.constantEffect && opts.adjust) throw new UsageError('--constant-effect and --adjust contradict each other', 'interactions are the default for regression: drop --adjust');
      if (opts.constantEffect && opts.sampleEffect) throw new UsageError('--sample-effect is about the interactions model, which --constant-effect drops');
      if (opts.se === 'pair' && opts.replace) throw new UsageError('--se pair needs matching without replacement: with --replace a control can be in several pairs', 'use the default (pair-and-unit) or --se HC3');
      if (opts.matchedData) checkOutputFile(opts.matchedData, { what: 'matched data', inputs: [opts.data], flag: '--matched-data' });
      const data = asCategories(await readTable(opts.data), opts.categorical);
      const otherColumns = [...(opts.cluster ? [opts.cluster] : []), ...(opts.exact ?? [])];
      const question = causalQuestion(data, { treatment: opts.treatment, outcome: opts.outcome, confounders: opts.confounders, na: opts.na, otherColumns });
      const options: EstimateOptions = {
        method: opts.method, estimand: opts.estimand, level: opts.level, ratio: opts.ratio, replace: opts.replace, caliper: opts.caliper, order: opts.order,
        exact: opts.exact, discard: opts.discard, logitDistance: opts.logit, adjust: opts.constantEffect ? false : opts.adjust, vcov: opts.vcov, cluster: opts.cluster,
        matchedSe: opts.se, sampleEffect: opts.sampleEffect, strataCuts: opts.strataCuts,
        normalise: opts.horvitzThompson ? false : undefined, stabilise: opts.stabilise, trim: opts.trim, strata: opts.strata,
        bootstrap: opts.bootstrap, bootstrapInterval: opts.bca ? 'bca' : 'percentile', seed: opts.seed,
      };
      const estimate = await estimateEffectParallel(question, options);
      if (opts.matchedData) {
        await writeFileAtomic(opts.matchedData, matchedDataCsv(question, estimate));
        io.err(`matched data: ${opts.matchedData}`);
      }
      const refutations = opts.refute.map((r) => refuteEstimate(question, estimate, options, r as Refuter, { simulations: opts.simulations, seed: opts.seed }));
      if (opts.json) {
        const compact = refutations.map(({ details, ...r }) => ({ ...r, details: Object.fromEntries(Object.entries(details).filter(([k]) => k !== 'placeboEstimates')) }));
        const { matched: _matched, ...record } = estimate;
        return io.out(toJson({ ...record, refutations: compact }));
      }
      const pct = Math.round(estimate.level * 100);
      io.out(`${estimate.estimand} of ${opts.treatment} on ${opts.outcome} by ${estimate.method}: ${fixed(estimate.estimate, 4)} (${pct}% CI ${fixed(estimate.ci[0], 4)} to ${fixed(estimate.ci[1], 4)}), SE ${fixed(estimate.se, 4)}, ${formatP(estimate.p)}`);
      io.out(`  units: ${estimate.n.total} (${estimate.n.treated} treated, ${estimate.n.control} control); used ${estimate.n.used}${estimate.n.matchedTreated !== undefined ? ` (matched ${estimate.n.matchedTreated} treated, ${estimate.n.matchedControl} control)` : ''}; dropped ${estimate.n.dropped}`);
      if (typeof estimate.options.outcomeModel === 'string') io.out(`  outcome model: ${estimate.options.outcomeModel}`);
      io.out(`  standard error: ${estimate.inference.se}; interval: ${estimate.inference.interval}${estimate.inference.df !== null ? ` with ${fixed(estimate.inference.df, 0)} df` : ''}`);
      const balance = estimate.diagnostics.balance;
      if (balance) {
        io.out('');
        io.out(table(['balance', 'SMD before', ...(balance.after ? ['SMD after'] : []), 'var ratio before', ...(balance.after ? ['var ratio after'] : [])], balance.before.map((row, i) => [
          row.label, fixed(row.smd), ...(balance.after ? [fixed(balance.after[i].smd)] : []), fixed(row.varianceRatio, 2), ...(balance.after ? [fixed(balance.after[i].varianceRatio, 2)] : []),
        ])));
      }
      for (const w of estimate.diagnostics.warnings) io.err(`warning: ${w}`);
      for (const r of refutations) io.out(`\nrefutation ${r.refuter}: ${r.verdict.toUpperCase()} (new estimate ${fixed(r.newEstimate, 4)}${r.p !== null ? `, ${formatP(r.p)}` : ''})\n  ${r.explanation}`);
    });
}
