import { Command } from 'commander';
import { openModel } from '../models/index.ts';
import { startServer } from '../models/serve.ts';
import type { ScoringBackend } from '../models/builtin.ts';
import { parsePositiveInt, backendOption, type CliIO } from './shared.ts';

export function serveCommand(io: CliIO): Command {
  return new Command('serve')
    .description('serve a model over the OpenAI completions protocol (prompt log-probs: echo + logprobs, max_tokens 0)')
    .requiredOption('--model <spec>', 'the model, e.g. builtin:models/gpt-small')
    .option('--port <n>', 'port', parsePositiveInt, 8000)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--name <name>', 'the model name clients send (default: the spec)')
    .addOption(backendOption())
    .action(async (opts: { model: string; port: number; host: string; name?: string; backend?: ScoringBackend }) => {
      const model = await openModel(opts.model, { backend: opts.backend });
      const { url, close } = await startServer({ model, name: opts.name ?? opts.model, host: opts.host, port: opts.port, log: (m) => io.err(m) });
      io.out(`serving ${opts.model} at ${url} (POST ${url}/completions); Ctrl-C to stop`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await close();
      await model.dispose();
    });
}
