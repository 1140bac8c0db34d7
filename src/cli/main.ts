/**
 * The `codegen-eval` command line: a thin layer over the library (src/index.ts). Exit codes: 0 ok,
 * 1 failure (bad data, a failed check), 2 usage error (bad flags or config).
 */
import { Command, CommanderError } from 'commander';
import { ExitWith, isUserError } from '../util/errors.ts';
import { TOOL_VERSION } from '../util/version.ts';
import { conceptsCommand } from './concepts.ts';
import { corpusCommand } from './corpus.ts';
import type { CliIO } from './shared.ts';
import { testbedCommand } from './testbed.ts';
import { effectCommand } from './effect.ts';
import { tokenizerCommand } from './tokenizer.ts';
import { trainCommand } from './train.ts';
import { scoreCommand } from './score.ts';
import { serveCommand } from './serve.ts';
import { exportCommand } from './export.ts';
import { compareCommand, reportCommand } from './report.ts';
import { gateCommand } from './gate.ts';

export function buildProgram(io: CliIO): Command {
  const program = new Command('codegen-eval')
    .description('Where and why code-completion models fail: concept-level, causal evaluation of code models')
    .version(TOOL_VERSION)
    .showHelpAfterError('(run with --help for usage)');
  program.addCommand(corpusCommand(io));
  program.addCommand(conceptsCommand(io));
  program.addCommand(testbedCommand(io));
  program.addCommand(effectCommand(io));
  program.addCommand(tokenizerCommand(io));
  program.addCommand(trainCommand(io));
  program.addCommand(scoreCommand(io));
  program.addCommand(reportCommand(io));
  program.addCommand(compareCommand(io));
  program.addCommand(gateCommand(io));
  program.addCommand(serveCommand(io));
  program.addCommand(exportCommand(io));
  const configure = (cmd: Command) => {
    cmd.exitOverride();
    cmd.configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) });
    cmd.commands.forEach(configure);
  };
  configure(program);
  return program;
}

export async function main(argv: string[], io: CliIO = defaultIO()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      if (error.code === 'commander.executeSubCommandAsync') return 0;
      return 2;
    }
    if (error instanceof ExitWith) return error.exitCode;
    if (isUserError(error)) {
      io.err(`codegen-eval: error: ${error.message}`);
      if (error.hint) io.err(`  hint: ${error.hint}`);
      return error.exitCode;
    }
    io.err(`codegen-eval: internal error (please report it): ${(error as Error)?.stack ?? String(error)}`);
    return 1;
  }
}

function defaultIO(): CliIO {
  // `codegen-eval ... | head`: the reader is gone, so stop quietly, as Unix tools do
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(0);
      throw error;
    });
  }
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    stderrIsTTY: Boolean(process.stderr.isTTY),
  };
}
