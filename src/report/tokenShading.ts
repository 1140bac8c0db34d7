/**
 * A snippet's code as HTML with each token shaded by its log-prob (AsC-Viz in ASTxplainer, Palacio et
 * al. 2023): by surprise, white at 0 nats and full red from 8 nats up; the concept's tokens are
 * underlined. Every character of the code is escaped; the markup is only the spans this writes.
 */
export interface ShadedToken { start: number; end: number; logprob: number | null; concepts: readonly string[] }

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Lines beyond `maxLines` are cut, with a note of how many. */
export function shadeTokens(code: string, tokens: readonly ShadedToken[], concept: string, maxLines = 25): string {
  const lines = code.split('\n');
  const cut = lines.length > maxLines ? lines.slice(0, maxLines).join('\n').length : code.length;
  let html = '';
  let pos = 0;
  for (const t of [...tokens].sort((a, b) => a.start - b.start)) {
    if (t.start < pos || t.start >= cut) continue; // overlapping or past the cut
    const end = Math.min(t.end, cut);
    html += escapeHtml(code.slice(pos, t.start));
    const text = escapeHtml(code.slice(t.start, end));
    if (t.logprob === null) html += text;
    else {
      // on the log scale, as surprise: 0 nats white, 8 nats (p = 0.0003) or more full red
      const alpha = Math.min(1, -t.logprob / 8) * 0.8;
      const mark = t.concepts.includes(concept) ? ' class="c"' : '';
      html += `<span${mark} style="background:rgba(214,39,40,${alpha.toFixed(2)})" title="log-prob ${t.logprob.toFixed(2)}">${text}</span>`;
    }
    pos = end;
  }
  html += escapeHtml(code.slice(pos, cut));
  if (cut < code.length) html += `\n… (${lines.length - maxLines} more lines)`;
  return html;
}
