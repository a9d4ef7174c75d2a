// `egcfg`: the commander front (cli/program.ts) checks the command line and prints help; the chosen command's module
// is imported only then, so `egcfg --help` and `egcfg <cmd> --help` never load the platform. Bad input exits 2 with a
// message that names the problem.
import { CommanderError } from 'commander';
import { buildProgram, type Selected } from './program.ts';
import type { CommandModule } from './spec.ts';

type Runner = (args: string[]) => Promise<number>;

/** Each command's module, imported when it runs. */
const runners: Record<CommandModule, Runner> = {
  run: async (a) => (await import('./commands/run.ts')).runCommand(a),
  evaluate: async (a) => (await import('./commands/run.ts')).evaluateCommand(a),
  experiment: async (a) => (await import('./commands/experiment.ts')).experimentCommand(a),
  show: async (a) => (await import('./commands/show.ts')).showCommand(a),
  worker: async (a) => (await import('./commands/worker.ts')).workerCommand(a),
  serve: async (a) => (await import('./commands/serve.ts')).serveCommand(a),
  tokens: async (a) => (await import('./commands/tokens.ts')).tokensCommand(a),
  campaigns: async (a) => (await import('./commands/campaigns.ts')).campaignsCommand(a),
  models: async (a) => (await import('./commands/models.ts')).modelsCommand(a),
  down: async (a) => (await import('./commands/models.ts')).downCommand(a),
  sandbox: async (a) => (await import('./commands/sandbox.ts')).sandboxExecCommand(a.slice(1)),
};

export interface MainHooks {
  /** Called before a command's module is imported (the compiled front registers the TypeScript loader here). */
  beforeCommand?: () => Promise<void> | void;
}

export async function main(argv: string[], hooks: MainHooks = {}): Promise<number> {
  let selected: Selected | undefined;
  const program = buildProgram((s) => { selected = s; });
  if (argv.length === 0) {
    console.log(program.helpInformation());
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help asked for: 0. A bad command line (unknown flag or command, a missing value, a group without its
      // subcommand): 2, the message (with the nearest name) already printed.
      return err.exitCode === 0 ? 0 : 2;
    }
    console.error(`egcfg ${argv[0]}: ${(err as Error).message}`);
    return 2;
  }
  if (!selected) return 0; // `egcfg completion`: printed by its action
  const command = argv[0]!;
  try {
    await hooks.beforeCommand?.();
    return await runners[selected.module](argv.slice(1));
  } catch (err) {
    const { isInputError } = await import('./input-errors.ts');
    console.error(`egcfg ${command}: ${(err as Error).message}`);
    return isInputError(err) ? 2 : 1;
  }
}
