/**
 * The anchors at their best on this machine. Debian's OpenBLAS (which numpy, statsmodels, PyTorch and
 * R use here) detects some virtual CPUs as an old core ("Prescott") and multiplies 5-7x below what the
 * CPU can do; OPENBLAS_CORETYPE chooses the kernel. `bestBlas()` times a single-threaded product under
 * each candidate core, checks it against an exact integer product, keeps the fastest correct one and
 * says which: every anchor then runs under `anchorEnv()`. MatchIt 4.7.2 (not in Debian, whose 4.5.1
 * matches differently) is used from $CODEGEN_EVAL_MATCHIT_LIB or ~/.cache/codegen-eval/Rlib, where the
 * anchors' install-matchit.sh builds it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const CORES = [undefined, 'SKYLAKEX', 'COOPERLAKE', 'HASWELL', 'ZEN', 'SANDYBRIDGE'] as const;

const PROBE = `
import time, numpy as np
rng = np.random.default_rng(1)
a = rng.integers(-8, 9, size=(768, 768)); b = rng.integers(-8, 9, size=(768, 768))
exact = a @ b                      # integer product: exact, and not through BLAS
fa, fb = a.astype(np.float64), b.astype(np.float64)
ok = bool(np.array_equal(fa @ fb, exact.astype(np.float64)))
best = 1e9
for _ in range(5):
    t0 = time.perf_counter(); fa @ fb; best = min(best, time.perf_counter() - t0)
lib = sorted({l.split()[-1] for l in open("/proc/self/maps") if "blas" in l.lower() and ".so" in l})
print(f"{ok} {2 * 768**3 / best / 1e9:.1f} {lib[0] if lib else 'unknown'}")
`;

export interface BlasChoice {
  /** OPENBLAS_CORETYPE, or undefined for OpenBLAS's own detection. */
  coretype: string | undefined;
  /** The kernel OpenBLAS reports (OPENBLAS_VERBOSE=2). */
  core: string;
  /** The BLAS library numpy loaded (Debian's alternatives may point at the slow reference BLAS). */
  library: string;
  gflops: number;
  /** Every candidate: its reported core, GFLOP/s, and whether the product was exact. */
  probed: { coretype: string; core: string; library: string; gflops: number; exact: boolean }[];
}

let chosen: BlasChoice | null | undefined;

/** The fastest correct OpenBLAS kernel for one thread, or null without /usr/bin/python3 and numpy. */
export function bestBlas(): BlasChoice | null {
  if (chosen !== undefined) return chosen;
  const probed: BlasChoice['probed'] = [];
  for (const coretype of CORES) {
    const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: '1', OPENBLAS_VERBOSE: '2' };
    delete env.OPENBLAS_CORETYPE;
    if (coretype) env.OPENBLAS_CORETYPE = coretype;
    const r = spawnSync('/usr/bin/python3', ['-c', PROBE], { encoding: 'utf8', env });
    if (r.status !== 0) continue;
    const [exact, gflops, library] = r.stdout.trim().split('\n').at(-1)!.split(' ');
    const core = /Core: (\S+)/.exec(r.stdout + r.stderr)?.[1] ?? 'unknown';
    probed.push({ coretype: coretype ?? 'detected', core, library: library ?? 'unknown', gflops: Number(gflops), exact: exact === 'True' });
  }
  const best = probed.filter((p) => p.exact).sort((a, b) => b.gflops - a.gflops)[0];
  chosen = best ? { coretype: best.coretype === 'detected' ? undefined : best.coretype, core: best.core, library: best.library, gflops: best.gflops, probed } : null;
  return chosen;
}

/** The environment an anchor runs in: the best OpenBLAS kernel (and anything in `extra`). */
export function anchorEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  const blas = bestBlas();
  delete env.OPENBLAS_CORETYPE;
  if (blas?.coretype) env.OPENBLAS_CORETYPE = blas.coretype;
  return env;
}

/** One line for the bench output: which kernel the anchors use, and what the others gave. */
export function describeBlas(): string {
  const blas = bestBlas();
  if (!blas) return 'anchors\' BLAS: not probed (no /usr/bin/python3 with numpy)';
  const others = blas.probed.map((p) => `${p.coretype}${p.coretype !== p.core ? ` (${p.core})` : ''} ${p.gflops.toFixed(0)}${p.exact ? '' : ' WRONG'}`).join(', ');
  if (!/openblas/i.test(blas.library)) {
    return `anchors' BLAS: NOT AT ITS BEST: numpy loads ${blas.library}, not OpenBLAS (${blas.gflops.toFixed(0)} GFLOP/s); apt-get install libopenblas0-pthread, or point update-alternatives' libblas.so.3 at it, then rerun`;
  }
  return `anchors' BLAS: ${blas.library}, OpenBLAS core ${blas.core} (OPENBLAS_CORETYPE=${blas.coretype ?? 'unset: detected'}), ${blas.gflops.toFixed(0)} GFLOP/s on one thread; probed: ${others}`;
}

/** The R library that holds MatchIt 4.7.2, if there is one. */
export function matchitLibrary(): string | null {
  const candidates = [process.env.CODEGEN_EVAL_MATCHIT_LIB, join(homedir(), '.cache', 'codegen-eval', 'Rlib')].filter((p): p is string => Boolean(p));
  for (const lib of candidates) {
    if (!existsSync(join(lib, 'MatchIt'))) continue;
    const r = spawnSync('Rscript', ['-e', 'cat(as.character(packageVersion("MatchIt")))'], { encoding: 'utf8', env: { ...process.env, R_LIBS: lib } });
    if (r.status === 0 && r.stdout.trim() === '4.7.2') return lib;
  }
  return null;
}
