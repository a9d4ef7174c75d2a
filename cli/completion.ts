// Shell completion printed from the commander tree: every command path, its subcommands and its flags, so the script
// cannot drift from the CLI. bash: `eval "$(egcfg completion bash)"`; zsh: `eval "$(egcfg completion zsh)"`.
import type { Command } from 'commander';

interface Node { path: string; words: string[] }

function nodes(cmd: Command, path: string[] = []): Node[] {
  const subs = cmd.commands.filter((c) => c.name() !== 'help');
  const flags = cmd.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f)));
  const here: Node = { path: path.join(' '), words: [...new Set([...subs.map((c) => c.name()), ...flags, '--help', '-h'])] };
  return [here, ...subs.flatMap((c) => nodes(c, [...path, c.name()]))];
}

/** A bash completion function: the command path typed so far picks the words offered. */
export function bashCompletion(program: Command): string {
  const cases = nodes(program).map((n) => `    "${n.path}") words="${n.words.join(' ')}" ;;`).join('\n');
  const paths = nodes(program).filter((n) => n.path !== '').map((n) => `      "${n.path}") path="${n.path}" ;;`).join('\n');
  return `# egcfg bash completion (generated from the CLI's command tree: egcfg completion bash)
_egcfg_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" i word words
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && continue
    case "\${path:+$path }$word" in
${paths}
    esac
  done
  case "$path" in
${cases}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
  [[ "$cur" != -* && \${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=($(compgen -f -- "$cur"))
  return 0
}
complete -o default -F _egcfg_complete egcfg
`;
}

/** zsh: the bash function through bashcompinit. */
export function zshCompletion(program: Command): string {
  return `# egcfg zsh completion (generated: egcfg completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n${bashCompletion(program)}`;
}
