/**
 * The Chromium that prints the PDF report. In order: $CODEGEN_EVAL_CHROMIUM (a path, or `bundled`),
 * $PUPPETEER_EXECUTABLE_PATH, a system browser (the usual paths, then chromium/chrome on PATH), and
 * last the build that ships inside the optional npm package @sparticuz/chromium (Linux x64), which is
 * unpacked once into the user's cache folder. puppeteer itself is installed without its download.
 */
import { accessSync, constants, createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { brotliDecompressSync, createBrotliDecompress } from 'node:zlib';
import type { Browser } from 'puppeteer';
import { UserError } from '../util/errors.ts';
import { untar } from '../util/untar.ts';

export const SYSTEM_BROWSERS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/snap/bin/chromium', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'];
const BROWSER_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'];

export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

export type BrowserChoice =
  | { kind: 'executable'; path: string; from: string }
  | { kind: 'bundled'; packageDir: string; version: string };

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const require = createRequire(import.meta.url);

/** The optional @sparticuz/chromium package, when it is installed and runs on this platform. */
export function bundledChromium(): { packageDir: string; version: string } | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return null;
  // the package's exports map does not export package.json: look in the folders require would search
  const manifest = (require.resolve.paths('@sparticuz/chromium') ?? []).map((folder) => join(folder, '@sparticuz', 'chromium', 'package.json')).find((file) => existsSync(file));
  if (!manifest) return null;
  const packageDir = dirname(manifest);
  if (!existsSync(join(packageDir, 'bin', 'chromium.br'))) return null;
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  return { packageDir, version };
}

export interface FindBrowserOptions {
  /** Where system browsers are looked for (tests hide them); default SYSTEM_BROWSERS. */
  systemBrowsers?: readonly string[];
  /** The PATH searched for chromium/chrome; default $PATH. */
  searchPath?: string;
  /** Whether the npm-bundled build may be used; default true. */
  bundled?: boolean;
}

/** The browser to print with, or null when there is none. A wrong $CODEGEN_EVAL_CHROMIUM is a UserError now. */
export function findBrowser(options: FindBrowserOptions = {}): BrowserChoice | null {
  for (const env of ['CODEGEN_EVAL_CHROMIUM', 'PUPPETEER_EXECUTABLE_PATH']) {
    const value = process.env[env];
    if (!value) continue;
    if (env === 'CODEGEN_EVAL_CHROMIUM' && value === 'bundled') {
      const bundled = bundledChromium();
      if (!bundled) throw new UserError('$CODEGEN_EVAL_CHROMIUM=bundled, but the npm package @sparticuz/chromium is not installed (or this is not Linux x64)', { hint: 'run npm install (it installs the optional package), or point $CODEGEN_EVAL_CHROMIUM at a Chromium or Chrome executable' });
      return { kind: 'bundled', ...bundled };
    }
    if (!isExecutableFile(value)) throw new UserError(`$${env} names ${value}, which is not an executable file`, { hint: 'point it at a Chromium or Chrome executable, set CODEGEN_EVAL_CHROMIUM=bundled for the npm-bundled one, or unset it' });
    return { kind: 'executable', path: value, from: `$${env}` };
  }
  const system = (options.systemBrowsers ?? SYSTEM_BROWSERS).find(isExecutableFile);
  if (system) return { kind: 'executable', path: system, from: 'system' };
  for (const folder of (options.searchPath ?? process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const name of BROWSER_NAMES) {
      if (isExecutableFile(join(folder, name))) return { kind: 'executable', path: join(folder, name), from: 'PATH' };
    }
  }
  if (options.bundled === false) return null;
  const bundled = bundledChromium();
  return bundled ? { kind: 'bundled', ...bundled } : null;
}

/** The choice in words, for logs: 'the npm-bundled 143.0.4', 'system: /usr/bin/chromium', '$CODEGEN_EVAL_CHROMIUM: /opt/chrome'. */
export function describeBrowser(choice: BrowserChoice): string {
  if (choice.kind === 'bundled') return `the npm-bundled ${choice.version}`;
  return `${choice.from === 'PATH' ? 'system' : choice.from}: ${choice.path}`;
}

export const NO_BROWSER_HINT = 'run npm install (it installs the npm-bundled Chromium on Linux x64), install one (Debian/Ubuntu: sudo apt install chromium; macOS: Google Chrome) or set CODEGEN_EVAL_CHROMIUM=/path/to/chrome';

/** The folder the bundled build is unpacked into: $XDG_CACHE_HOME or ~/.cache, else the temporary folder. */
function cacheFolder(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const folder = join(base, 'codegen-eval');
  try {
    mkdirSync(folder, { recursive: true });
    accessSync(folder, constants.W_OK);
    return folder;
  } catch {
    const fallback = join(tmpdir(), `codegen-eval-${process.getuid?.() ?? 'user'}`);
    mkdirSync(fallback, { recursive: true, mode: 0o700 });
    return fallback;
  }
}

/**
 * Unpack the bundled Chromium (the browser, its graphics libraries, the NSS libraries it links and
 * a fallback font) into a fresh folder beside its place and rename it into place: a killed unpacking
 * leaves no half browser to be used. Returns the folder.
 */
export async function unpackBundledChromium(bundled: { packageDir: string; version: string }, log: (line: string) => void = () => undefined): Promise<string> {
  const parent = cacheFolder();
  const dir = join(parent, `chromium-${bundled.version}`);
  if (isExecutableFile(join(dir, 'chromium'))) return dir;
  // leftovers of a killed unpacking, older than any unpacking takes
  for (const name of readdirSync(parent)) {
    const path = join(parent, name);
    if (name.startsWith('.chromium-') && Date.now() - statSync(path).mtimeMs > 10 * 60_000) rmSync(path, { recursive: true, force: true });
  }
  log(`unpacking the npm-bundled Chromium ${bundled.version} into ${dir} (once, about 10 s)`);
  const stage = mkdtempSync(join(parent, `.chromium-${bundled.version}-`));
  try {
    const bin = join(bundled.packageDir, 'bin');
    await pipeline(createReadStream(join(bin, 'chromium.br')), createBrotliDecompress(), createWriteStream(join(stage, 'chromium'), { mode: 0o755 }));
    for (const archive of ['swiftshader.tar.br', 'al2023.tar.br', 'fonts.tar.br']) {
      if (existsSync(join(bin, archive))) untar(brotliDecompressSync(readFileSync(join(bin, archive))), stage);
    }
    // the package's fonts.conf names AWS Lambda's folders; this one names the unpacked fonts
    writeFileSync(join(stage, 'fonts.conf'), `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${join(dir, 'fonts')}</dir>\n  <cachedir>${join(dir, 'fonts-cache')}</cachedir>\n</fontconfig>\n`);
    try {
      renameSync(stage, dir);
    } catch (error) {
      // another process unpacked it first
      if (!isExecutableFile(join(dir, 'chromium'))) throw error;
      rmSync(stage, { recursive: true, force: true });
    }
  } catch (error) {
    rmSync(stage, { recursive: true, force: true });
    throw error;
  }
  return dir;
}

/** Start the chosen browser headless. */
export async function launchBrowser(choice: BrowserChoice, log?: (line: string) => void): Promise<Browser> {
  const puppeteer = (await import('puppeteer')).default;
  if (choice.kind === 'executable') return puppeteer.launch({ executablePath: choice.path, headless: true, args: CHROMIUM_FLAGS });
  let dir: string;
  try {
    dir = await unpackBundledChromium(choice, log);
  } catch (error) {
    throw new UserError(`could not unpack the npm-bundled Chromium (about 220 MB) into the cache folder: ${(error as Error).message}`, { hint: 'free disk space there, point XDG_CACHE_HOME at a folder with room, or install a system Chromium (Debian/Ubuntu: sudo apt install chromium); scores are cached, so a rerun is quick' });
  }
  const env: Record<string, string | undefined> = { ...process.env, LD_LIBRARY_PATH: [join(dir, 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(delimiter) };
  if (!existsSync('/etc/fonts/fonts.conf')) env.FONTCONFIG_PATH = dir;
  try {
    return await puppeteer.launch({ executablePath: join(dir, 'chromium'), headless: 'shell', args: [...CHROMIUM_FLAGS.filter((f) => f !== '--headless'), '--no-zygote'], env: env as Record<string, string> });
  } catch (error) {
    throw new UserError(`the npm-bundled Chromium in ${dir} did not start: ${(error as Error).message.split('\n')[0]}`, { hint: 'install a system Chromium (Debian/Ubuntu: sudo apt install chromium) or set CODEGEN_EVAL_CHROMIUM=/path/to/chrome; --no-pdf writes the rest of the report' });
  }
}
