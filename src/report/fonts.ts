/**
 * The report's fonts ship with the package (@fontsource/arimo and @fontsource/cousine, SIL OFL 1.1),
 * so that a report looks the same on every machine: the HTML embeds them (and so the PDF prints with
 * them), and the figures' text is measured with the same glyphs. Arimo and Cousine have the metrics
 * of Liberation Sans/Mono and Arial/Courier New, which the font stacks fall back to.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import opentype from 'opentype.js';

export const SANS_FAMILY = "Arimo, 'Liberation Sans', Arial, Helvetica, sans-serif";
export const MONO_FAMILY = "Cousine, 'Liberation Mono', 'Courier New', monospace";

const require = createRequire(import.meta.url);
function fontsourceDir(name: 'arimo' | 'cousine'): string {
  return dirname(require.resolve(`@fontsource/${name}/package.json`));
}

/** fontsource's stylesheets (one @font-face per script subset) for the faces the report uses. */
const STYLESHEETS: Array<['arimo' | 'cousine', string]> = [
  ['arimo', '400.css'], ['arimo', '700.css'], ['arimo', '400-italic.css'], ['cousine', '400.css'], ['cousine', '700.css'],
];

let css: string | undefined;

/** @font-face rules with every file inlined as a woff2 data URL: the HTML needs nothing beside it. */
export function embeddedFontCss(): string {
  if (css !== undefined) return css;
  css = STYLESHEETS.map(([name, sheet]) => {
    const dir = fontsourceDir(name);
    return readFileSync(join(dir, sheet), 'utf8')
      .replace(/src: url\(\.\/files\/([^)]+\.woff2)\) format\('woff2'\)(, url\([^)]+\) format\('woff'\))?/g, (_whole, file: string) => `src: url(data:font/woff2;base64,${readFileSync(join(dir, 'files', file)).toString('base64')}) format('woff2')`)
      .replace(/\/\*[^*]*\*\/\n/g, '')
      .replace(/\s*font-display: swap;/g, '');
  }).join('');
  if (/url\(\.\//.test(css)) throw new Error('a fontsource stylesheet refers to a file that was not inlined');
  return css;
}

interface MeasuringFont {
  /** Subsets in fontsource's order (latin first): each covers some characters. */
  regular: opentype.Font[];
  bold: opentype.Font[];
}

let measuring: MeasuringFont | undefined;

function parseWoff(file: string): opentype.Font {
  const bytes = readFileSync(file);
  return opentype.parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function loadMeasuringFont(): MeasuringFont {
  if (measuring) return measuring;
  const dir = join(fontsourceDir('arimo'), 'files');
  const subsets = ['latin', 'latin-ext', 'greek', 'greek-ext', 'cyrillic', 'cyrillic-ext', 'vietnamese', 'hebrew'];
  measuring = {
    regular: subsets.map((s) => parseWoff(join(dir, `arimo-${s}-400-normal.woff`))),
    bold: subsets.map((s) => parseWoff(join(dir, `arimo-${s}-700-normal.woff`))),
  };
  return measuring;
}

/**
 * The advance width of `text` in Arimo at `fontSize` px, as the browser lays it out: with kerning
 * when the latin subset has every character, else character by character from the first subset that
 * has it (a character no subset has gets the latin .notdef width; the browser then uses a system font).
 */
export function textWidth(text: string, fontSize: number, weight?: string | number): number {
  const fonts = loadMeasuringFont();
  const faces = weight === 'bold' || (typeof weight === 'number' && weight >= 600) || weight === '700' ? fonts.bold : fonts.regular;
  const [latin] = faces;
  const chars = [...text];
  if (chars.every((c) => latin.charToGlyphIndex(c) !== 0)) return latin.getAdvanceWidth(text, fontSize);
  let width = 0;
  for (const c of chars) width += (faces.find((f) => f.charToGlyphIndex(c) !== 0) ?? latin).getAdvanceWidth(c, fontSize, { kerning: false });
  return width;
}
