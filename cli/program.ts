// The commander tree of `egcfg`, built from cli/spec.ts: per-command help (generated from the flag tables, which come
// from the option schemas), --help/-h on every command and subcommand, "did you mean" on a typo, and the tree the
// completion script is printed from. It only validates and routes: the chosen command's module (loaded lazily)
// parses the same arguments with the same flag tables.
import { Command, Option } from 'commander';
import { bashCompletion, zshCompletion } from './completion.ts';
import { commandSpecs, type CommandModule, type CommandSpec } from './spec.ts';
import type { FlagDecl } from './flags.ts';

/** What commander chose: the module to run and the argument list it gets (everything after the top command name). */
export interface Selected { module: CommandModule; path: string[] }

function option(flag: string, d: FlagDecl): Option {
  const name = `${d.short ? `-${d.short}, ` : ''}--${flag}${d.type === 'string' ? ` <${d.value ?? 'value'}>` : ''}`;
  const o = new Option(name, d.help);
  if (d.multiple) o.argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
  if (d.group) o.helpGroup(`${d.group}:`);
  return o;
}

function configure(cmd: Command, label: string): Command {
  return cmd.exitOverride().allowExcessArguments(true).showSuggestionAfterError(true)
    .configureOutput({ outputError: (str, write) => write(`${label}: ${str.replace(/^error: /, '')}`) });
}

function add(parent: Command, spec: CommandSpec, path: string[], pick: (s: Selected) => void): void {
  const cmd = configure(parent.command(spec.name), `egcfg ${[...path, spec.name].join(' ')}`).description(spec.summary);
  for (const a of spec.args ?? []) cmd.argument(a);
  for (const [flag, decl] of Object.entries(spec.flags ?? {})) cmd.addOption(option(flag, decl));
  if (spec.notes) cmd.addHelpText('after', `\n${spec.notes}`);
  if (spec.commands) for (const sub of spec.commands) add(cmd, sub, [...path, spec.name], pick);
  const module = spec.module;
  if (module) cmd.action(() => pick({ module, path: [...path, spec.name] }));
}

/** The whole tree; `pick` is told which command to run, `print` gets what the completion command prints. */
export function buildProgram(pick: (s: Selected) => void, print: (text: string) => void = (t) => process.stdout.write(t)): Command {
  const program = configure(new Command('egcfg'), 'egcfg')
    .description('durable, auditable code-generation research campaigns: EG-CFG and BTP on Temporal + Postgres + nsjail')
    .usage('<command> [options]');
  for (const spec of commandSpecs) add(program, spec, [], pick);
  configure(program.command('completion'), 'egcfg completion').description('print a shell completion script: eval "$(egcfg completion bash)"')
    .argument('[shell]', 'bash or zsh', 'bash')
    .action((shell: string) => {
      if (shell !== 'bash' && shell !== 'zsh') throw new Error(`unknown shell '${shell}'; expected bash or zsh`);
      print(shell === 'bash' ? bashCompletion(program) : zshCompletion(program));
    });
  program.addHelpText('after', '\n`egcfg <command> --help` shows a command\'s flags; `egcfg completion bash` prints a completion script.');
  return program;
}
