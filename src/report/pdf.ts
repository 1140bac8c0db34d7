/**
 * HTML to PDF with a real Chromium driven by puppeteer (puppeteer-core behaviour: the package is
 * installed without its browser download, see .puppeteerrc.cjs). The browser is found in
 * $CODEGEN_EVAL_CHROMIUM, $PUPPETEER_EXECUTABLE_PATH or the usual system paths; a missing browser
 * is a UserError that says how to install one.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { UserError } from '../util/errors.ts';
import { tempPathFor } from '../util/atomic.ts';

const SYSTEM_BROWSERS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'];

export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

export function findBrowser(): string | null {
  for (const env of ['CODEGEN_EVAL_CHROMIUM', 'PUPPETEER_EXECUTABLE_PATH']) {
    const value = process.env[env];
    if (value) {
      if (!existsSync(value)) throw new UserError(`$${env} names ${value}, which does not exist`, { hint: 'point it at a Chromium or Chrome executable, or unset it' });
      return value;
    }
  }
  return SYSTEM_BROWSERS.find((b) => existsSync(b)) ?? null;
}

/** The browser to print with, or a UserError saying how to get one. */
export function requireBrowser(): string {
  const executablePath = findBrowser();
  if (!executablePath) {
    throw new UserError('no Chromium found to print the PDF report', {
      hint: 'install one (Debian/Ubuntu: sudo apt install chromium; macOS: install Google Chrome) or set CODEGEN_EVAL_CHROMIUM=/path/to/chrome; or pass --no-pdf for HTML, LaTeX and JSON only',
    });
  }
  return executablePath;
}

/** Print the page to PDF (atomically); returns the browser's version string. */
export async function printPdf(htmlFile: string, pdfFile: string): Promise<string> {
  const executablePath = requireBrowser();
  const puppeteer = (await import('puppeteer')).default;
  const browser = await puppeteer.launch({ executablePath, headless: true, args: CHROMIUM_FLAGS });
  try {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(htmlFile).href, { waitUntil: 'load' });
    const tmp = tempPathFor(pdfFile);
    const bytes = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
    const epoch = sourceDateEpoch();
    const { rename, writeFile } = await import('node:fs/promises');
    await writeFile(tmp, epoch === null ? bytes : stampPdfDates(bytes, epoch));
    await rename(tmp, pdfFile);
    return await browser.version();
  } finally {
    await browser.close();
  }
}

/** $SOURCE_DATE_EPOCH (reproducible-builds.org): the time to stamp on outputs instead of the clock. */
export function sourceDateEpoch(): number | null {
  const value = process.env.SOURCE_DATE_EPOCH;
  if (value === undefined || value === '') return null;
  if (!/^\d+$/.test(value)) throw new UserError(`$SOURCE_DATE_EPOCH must be whole seconds since 1970, got '${value}'`, { hint: 'e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct), or unset it' });
  return Number(value);
}

/**
 * Chromium stamps the clock into the PDF's /CreationDate and /ModDate, the only bytes that differ
 * between two prints of the same page. Replace them with the given time, in the same number of bytes
 * so that the cross-reference offsets stay right.
 */
export function stampPdfDates(pdf: Uint8Array, epochSeconds: number): Uint8Array {
  const iso = new Date(epochSeconds * 1000).toISOString();
  const stamp = `D:${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}+00'00'`;
  const text = Buffer.from(pdf).toString('latin1');
  const stamped = text.replace(/\/(CreationDate|ModDate) \((D:[^)]*)\)/g, (whole, key: string, date: string) => (date.length === stamp.length ? `/${key} (${stamp})` : whole));
  return Buffer.from(stamped, 'latin1');
}
