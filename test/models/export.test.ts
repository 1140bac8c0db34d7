/**
 * The export as other tools load it: transformers.js generate() (which feeds only the new token at each
 * step, with the past keys and values) on the exported folder must give exactly the completions of
 * greedy decoding, which generate.test.ts checks against recomputing the full sequence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { exportGptToOnnx } from '../../src/models/onnx/exportGpt.ts';
import { openGenerator } from '../../src/models/generate.ts';
import { tempDir } from '../helpers.ts';

const PROMPTS = ['def add(a, b):\n    return', 'import os\n', 'class Stack:\n    def push(self, item):\n        self.items.append('];

for (const portable of [false, true]) {
  test(`export${portable ? ' --portable' : ''}: transformers.js generate() and pipeline('text-generation') on the export equal greedy decoding`, async () => {
    const out = join(tempDir(), 'export');
    await exportGptToOnnx('builtin:demo', out, { portable });
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { use_cache: boolean };
    assert.equal(config.use_cache, true);
    const { AutoModelForCausalLM, AutoTokenizer, Tensor, env, pipeline } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = dirname(out);
    const model = await AutoModelForCausalLM.from_pretrained(basename(out), { local_files_only: true, dtype: 'fp32' });
    const session = (model as unknown as { sessions: Record<string, { inputNames: string[]; outputNames: string[] }> }).sessions.model;
    assert.deepEqual(session.inputNames.slice(0, 5), ['input_ids', 'attention_mask', 'position_ids', 'past_key_values.0.key', 'past_key_values.0.value']);
    assert.deepEqual(session.outputNames.slice(0, 3), ['logits', 'present.0.key', 'present.0.value']);
    const generator = await openGenerator('builtin:demo');
    const tokenizer = await AutoTokenizer.from_pretrained(basename(out), { local_files_only: true });
    const generate = await pipeline('text-generation', basename(out), { local_files_only: true, dtype: 'fp32' });
    try {
      for (const prompt of PROMPTS) {
        const [[want]] = await generator.generate([prompt], { maxTokens: 24 });
        const ids = [generator.eos, ...generator.encode(prompt)];
        const sequences = (await model.generate({ input_ids: new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]), max_new_tokens: 24, do_sample: false })) as { tolist(): bigint[][] };
        const got = sequences.tolist()[0].slice(ids.length).map(Number);
        assert.deepEqual(got, want.ids, `generate() on ${JSON.stringify(prompt)}`);
        // the pipeline on text: <|endoftext|> is the tokenizer's special token, as the scorer conditions on it
        const [result] = (await generate(`<|endoftext|>${prompt}`, { max_new_tokens: 24, do_sample: false })) as { generated_text: string }[];
        assert.equal(result.generated_text, `<|endoftext|>${prompt}${want.text}`.replace(/<\|endoftext\|>/g, tokenizer.decode([generator.eos], { skip_special_tokens: true })), `pipeline on ${JSON.stringify(prompt)}`);
      }
    } finally {
      await generator.dispose();
      await model.dispose();
      await generate.dispose();
    }
  });
}
