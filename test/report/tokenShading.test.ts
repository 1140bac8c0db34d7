import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shadeTokens } from '../../src/report/tokenShading.ts';

test('gallery shading: code is escaped, tokens are shaded by probability, the concept underlined, long code cut', () => {
  const code = 'x = "<script>alert(1)</script>" & y\nz';
  const tokens = [
    { start: 0, end: 1, logprob: 0, concepts: ['scope'] },
    { start: 4, end: 31, logprob: -3, concepts: ['natural_language'] },
    { start: 34, end: 35, logprob: null, concepts: [] },
  ];
  const html = shadeTokens(code, tokens, 'natural_language');
  assert.doesNotMatch(html, /<script/);
  assert.match(html, /&quot;&lt;script&gt;alert\(1\)&lt;\/script&gt;&quot;/);
  assert.match(html, /<span style="background:rgba\(214,39,40,0\.00\)" title="log-prob 0\.00">x<\/span>/);
  assert.match(html, /<span class="c" style="background:rgba\(214,39,40,0\.30\)" title="log-prob -3\.00">/);
  assert.match(html, / &amp; y\nz$/);
  assert.equal(shadeTokens('a\nb\nc\nd', [], 'c', 2), 'a\nb\n… (2 more lines)');
});
