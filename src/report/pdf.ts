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
    await page.pdf({ path: tmp, format: 'A4', printBackground: true, preferCSSPageSize: true });
    const { rename } = await import('node:fs/promises');
    await rename(tmp, pdfFile);
    return await browser.version();
  } finally {
    await browser.close();
  }
}
