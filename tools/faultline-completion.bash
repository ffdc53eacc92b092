# bash completion for faultline: commands, options, modes, presets,
# parameter names (asked of faultline itself, so they never drift).
# Installed by `cmake --install`; or: source tools/faultline-completion.bash
_faultline() {
  local cur prev cmd fl
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  fl=${COMP_WORDS[0]}
  cmd=${COMP_WORDS[1]}
  local commands="run compare params presets modes events trace replay import sweep show explain quiz export kernel calibrate reproduce --help --version"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "$commands" -- "$cur"))
    return
  fi
  # after --, the guest's program and its arguments: files
  local i
  for ((i = 2; i < COMP_CWORD; i++)); do
    [ "${COMP_WORDS[i]}" = "--" ] && { COMPREPLY=($(compgen -f -- "$cur")); return; }
  done
  case $prev in
    --mode|--modes) COMPREPLY=($(compgen -W "$("$fl" modes 2>/dev/null | awk '{print $1}') all" -- "$cur")); return ;;
    --cpu) COMPREPLY=($(compgen -W "intel amd" -- "$cur")); return ;;
    --preset|--presets)
      COMPREPLY=($(compgen -W "$("$fl" presets 2>/dev/null | awk '/^[a-z0-9]/ {print $1}')" -- "$cur") $(compgen -f -- "$cur"))
      return ;;
    --set)
      # key=...: the parameter names
      COMPREPLY=($(compgen -S = -W "$("$fl" params 2>/dev/null | awk 'NR > 1 && /^[a-z]/ {print $1}')" -- "$cur"))
      compopt -o nospace 2>/dev/null
      return ;;
    --log-format) COMPREPLY=($(compgen -W "text jsonl" -- "$cur")); return ;;
    --stats|--log|--trace|--root|--out|-o|--csv|--json|--svg|--png|--perfetto|--view-record)
      COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  if [ "$cmd" = reproduce ] && [[ $cur != -* ]]; then
    COMPREPLY=($(compgen -W "$("$fl" reproduce --list 2>/dev/null | awk '/^[a-z]/ {print $1}') all" -- "$cur"))
    return
  fi
  if [ "$cmd" = params ] && [[ $cur != -* ]]; then
    COMPREPLY=($(compgen -W "$("$fl" params 2>/dev/null | awk 'NR > 1 && /^[a-z]/ {print $1}')" -- "$cur"))
    return
  fi
  if [[ $cur == -* ]]; then
    # the options the command's own --help lists
    COMPREPLY=($(compgen -W "$("$fl" "$cmd" --help 2>/dev/null | grep -o -- '--[a-z][a-z0-9-]*' | sort -u) --help" -- "$cur"))
    return
  fi
  COMPREPLY=($(compgen -f -- "$cur"))
}
complete -F _faultline faultline
