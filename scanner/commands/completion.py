"""``leakwarden completion bash|zsh|fish``: a completion script made from the parser itself, so it
never lists a command or option that does not exist."""
from __future__ import annotations

import argparse
import sys

SHELLS = ("bash", "zsh", "fish")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("completion", help="print a shell completion script (bash, zsh or fish)",
                       description="Print a completion script. bash: eval \"$(leakwarden completion bash)\" in "
                                   "~/.bashrc; zsh: eval \"$(leakwarden completion zsh)\" in ~/.zshrc (after "
                                   "compinit); fish: leakwarden completion fish > "
                                   "~/.config/fish/completions/leakwarden.fish")
    p.add_argument("shell", choices=SHELLS)
    p.set_defaults(func=run)


def _commands() -> dict[str, list[str]]:
    """Command name -> its options (first-level subcommands like `baseline create` as words too)."""
    from scanner.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    out: dict[str, list[str]] = {}
    for name, cmd in sub.choices.items():
        words: list[str] = []
        for action in cmd._actions:
            if isinstance(action, argparse._SubParsersAction) or (not action.option_strings and action.choices):
                words.extend(action.choices or ())
            words.extend(o for o in action.option_strings if o.startswith("--"))
        out[name] = words
    return out


def bash(commands: dict[str, list[str]]) -> str:
    cases = "".join(f"    {name}) words=\"{' '.join(opts)}\" ;;\n" for name, opts in commands.items())
    return f"""\
# leakwarden bash completion: eval "$(leakwarden completion bash)"
_leakwarden() {{
  local cur=${{COMP_WORDS[COMP_CWORD]}} cmd="" i words
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${{COMP_WORDS[i]}} in -*) ;; *) cmd=${{COMP_WORDS[i]}}; break ;; esac
  done
  case $cmd in
    "") words="{' '.join(commands)} --help --version" ;;
{cases}  esac
  if [[ -z $cmd || $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -W "$words" -f -- "$cur")
  fi
}}
complete -o filenames -F _leakwarden leakwarden
"""


def zsh(commands: dict[str, list[str]]) -> str:
    # zsh runs bash completion functions through bashcompinit: one script to keep right.
    return "# leakwarden zsh completion: eval \"$(leakwarden completion zsh)\" after compinit\n" \
           "autoload -U +X bashcompinit && bashcompinit\n" + bash(commands)


def fish(commands: dict[str, list[str]]) -> str:
    lines = ["# leakwarden fish completion: leakwarden completion fish > ~/.config/fish/completions/leakwarden.fish",
             "complete -c leakwarden -f"]
    names = " ".join(commands)
    for name in commands:
        lines.append(f"complete -c leakwarden -n 'not __fish_seen_subcommand_from {names}' -a {name}")
    for name, opts in commands.items():
        for opt in opts:
            if opt.startswith("--"):
                lines.append(f"complete -c leakwarden -n '__fish_seen_subcommand_from {name}' -l {opt[2:]}")
            else:
                lines.append(f"complete -c leakwarden -n '__fish_seen_subcommand_from {name}' -a {opt}")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    sys.stdout.write({"bash": bash, "zsh": zsh, "fish": fish}[args.shell](_commands()))
    return 0
