import { Command, InvalidArgumentError } from 'commander';
import { openModel } from '../models/index.ts';
import { openGenerator, type Generator } from '../models/generate.ts';
import { startServer } from '../models/serve.ts';
import type { ScoringBackend } from '../models/builtin.ts';
import { parsePositiveInt, backendOption, type CliIO } from './shared.ts';

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port from 0 to 65535');
  return n;
}

export function serveCommand(io: CliIO): Command {
  return new Command('serve')
    .description('serve a model over the OpenAI completions protocol: prompt log-probs (echo + logprobs) and, for built-in GPTs, generation')
    .requiredOption('--model <spec>', 'the model, e.g. builtin:models/gpt-small')
    .option('--port <n>', 'port (0: any free one)', parsePort, 8000)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--name <name>', 'the model name clients send (default: the spec)')
    .option('--timeout <seconds>', 'longest a request may wait and run', parsePositiveInt, 300)
    .option('--queue <n>', 'requests that may wait; more get 503', parsePositiveInt, 64)
    .option('--max-body-mb <n>', 'largest request body, in MiB; larger get 413', parsePositiveInt, 16)
    .addOption(backendOption())
    .action(async (opts: { model: string; port: number; host: string; name?: string; timeout: number; queue: number; maxBodyMb: number; backend?: ScoringBackend }) => {
      const model = await openModel(opts.model, { backend: opts.backend });
      const info = model.info.model as { type?: string } | undefined;
      const generator: Generator | undefined = model.kind === 'builtin' && info?.type === 'gpt' ? await openGenerator(String(model.info.dir)) : undefined;
      const { url, close } = await startServer({
        model, generator, name: opts.name ?? opts.model, host: opts.host, port: opts.port,
        timeoutMs: opts.timeout * 1000, maxQueue: opts.queue, maxBodyBytes: opts.maxBodyMb * 1024 * 1024, log: (m) => io.err(m),
      });
      io.out(`serving ${opts.model} at ${url} (POST ${url}/completions${generator ? ': prompt log-probs and generation' : ': prompt log-probs, max_tokens 0'}); Ctrl-C to stop`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await close();
      await generator?.dispose();
      await model.dispose();
    });
}
