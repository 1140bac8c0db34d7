/**
 * HTML to PDF with a real Chromium driven by puppeteer (browser.ts finds it: a system one, else the
 * npm-bundled build); a missing browser is a UserError that says how to get one.
 */
import { rename, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { UserError } from '../util/errors.ts';
import { tempPathFor } from '../util/atomic.ts';
import { findBrowser, launchBrowser, NO_BROWSER_HINT, type BrowserChoice } from './browser.ts';

export { CHROMIUM_FLAGS, findBrowser, launchBrowser, type BrowserChoice } from './browser.ts';

/** The browser to print with, or a UserError saying how to get one. */
export function requireBrowser(): BrowserChoice {
  const choice = findBrowser();
  if (!choice) throw new UserError('no Chromium found to print the PDF report', { hint: `${NO_BROWSER_HINT}; or pass --no-pdf for HTML, LaTeX and JSON only` });
  return choice;
}

/** Print the page to PDF (atomically); returns the browser's version string. */
export async function printPdf(htmlFile: string, pdfFile: string, options: { browser?: BrowserChoice; log?: (line: string) => void } = {}): Promise<string> {
  const browser = await launchBrowser(options.browser ?? requireBrowser(), options.log);
  try {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(htmlFile).href, { waitUntil: 'load' });
    // the embedded fonts decode asynchronously: print only once every face the page uses is ready, or
    // a face still loading is printed in a fallback font (and two prints of one page differ)
    await page.evaluate(() => document.fonts.ready.then(() => undefined));
    const tmp = tempPathFor(pdfFile);
    // untagged: Chromium names a tagged PDF's structure elements by DOM node ids, which differ between
    // loads of the same page, so two prints of one report would differ in thousands of bytes
    const bytes = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true, tagged: false });
    const epoch = sourceDateEpoch();
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
