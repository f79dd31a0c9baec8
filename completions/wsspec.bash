# bash completion for wsspec. Installed as share/bash-completion/completions/wsspec.
#
# Nothing here lists an option or a case: the subcommands and each one's options come
# from the binary (`wsspec complete [CMD]`, printed from the same tables as --help), the
# case ids from `wsspec list`, so the completion never goes stale. After --cases and
# --exclude it completes case ids and section patterns (1.*, 6.4.*) after the last
# comma; after options taking a file or a directory, paths.

# _wsspec_bin: the wsspec being completed (as typed, so build/wsspec works too)
_wsspec_bin() {
    local b=${COMP_WORDS[0]}
    b=${b/#\~/$HOME}
    if [[ $b == */* && -x $b ]] || command -v -- "$b" >/dev/null 2>&1; then
        printf '%s\n' "$b"
    else
        printf 'wsspec\n'
    fi
}

# _wsspec_ids BIN CMD: case ids and the section patterns above them, one per line
_wsspec_ids() {
    "$1" list 2>/dev/null | awk '{
        id = $1; print id
        n = split(id, p, ".")
        s = ""
        for (i = 1; i < n; i++) { s = s (i > 1 ? "." : "") p[i]; print s ".*" }
    }' | sort -u
}

_wsspec() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=
    [ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
    local bin
    bin=$(_wsspec_bin)
    COMPREPLY=()
    if [ "$COMP_CWORD" -le 1 ]; then
        mapfile -t COMPREPLY < <(compgen -W "$("$bin" complete 2>/dev/null) --help --version" -- "$cur")
        return 0
    fi
    # each line of `wsspec complete CMD`: its spellings ("-j --jobs"), then the
    # argument's name when it takes one ("N", "PATTERNS", "both|autobahn|rfc")
    local cmd=${COMP_WORDS[1]} line arg= i o
    local -a words=() f opts
    while IFS= read -r line; do
        read -ra f <<<"$line"
        opts=()
        local a=
        for ((i = 0; i < ${#f[@]}; i++)); do
            if [[ ${f[i]} == -* ]]; then opts+=("${f[i]}"); else a=${f[*]:i}; break; fi
        done
        words+=("${opts[@]}")
        for o in "${opts[@]}"; do [ "$o" = "$prev" ] && arg=$a; done
    done < <("$bin" complete "$cmd" 2>/dev/null)
    if [ -n "$arg" ]; then
        case $arg in
        PATTERNS)
            local head=${cur%,*} tail=${cur##*,}
            [ "$head" = "$cur" ] && head= || head+=,
            mapfile -t COMPREPLY < <(compgen -P "$head" -W "$(_wsspec_ids "$bin")" -- "$tail")
            compopt -o nospace 2>/dev/null
            ;;
        DIR) mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
        FILE | OLD) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
        *'|'*) mapfile -t COMPREPLY < <(compgen -W "${arg//|/ }" -- "$cur") ;;
        esac
        return 0
    fi
    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "${words[*]}" -- "$cur")
    elif [ "$cmd" = lint ] || [ "$cmd" = report ]; then
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    elif [ "$cmd" = help ] || [ "$cmd" = man ]; then
        mapfile -t COMPREPLY < <(compgen -W "$("$bin" complete 2>/dev/null)" -- "$cur")
    fi
    return 0
}
complete -F _wsspec wsspec
