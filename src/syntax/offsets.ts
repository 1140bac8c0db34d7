/**
 * Offset conversions. codegen-eval's spans are UTF-16 code units (JavaScript string indices, and what
 * tree-sitter reports for JS strings); models and servers report offsets in Unicode code points
 * (Python tokenizers) or UTF-8 bytes (some servers). These build a lookup table once per text.
 */

/** Map code-point offsets (0..count) to UTF-16 offsets. */
export function codePointToUtf16Table(text: string): Int32Array {
  const table: number[] = [];
  for (let i = 0; i < text.length; ) {
    table.push(i);
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
  }
  table.push(text.length);
  return Int32Array.from(table);
}

/** Map UTF-8 byte offsets (0..byteLength) to UTF-16 offsets; a byte inside a character maps to its start. */
export function utf8ToUtf16Table(text: string): Int32Array {
  const table = new Int32Array(Buffer.byteLength(text, 'utf8') + 1);
  let byte = 0;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const bytes = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (let k = 0; k < bytes; k++) table[byte + k] = i;
    byte += bytes;
    i += cp >= 0x10000 ? 2 : 1;
  }
  table[byte] = text.length;
  return table;
}
