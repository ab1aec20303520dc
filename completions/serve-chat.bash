# bash completion for serve-chat, generated from its command spec by TurkCLI.
# Do not edit: run `make docs` after changing the spec.

# Adds completions of one kind to COMPREPLY: kind (words, file or directory), text to put before each
# completion, the text typed so far, and for words the candidates.
_turkchat_serve_chat_add() {
    local kind=$1 prefix=$2 typed=$3 words=$4
    case $kind in
        words)
            COMPREPLY+=($(compgen -P "$prefix" -W "$words" -- "$typed"))
            ;;
        file|directory)
            local flag=-f
            [[ $kind == directory ]] && flag=-d
            compopt -o filenames 2>/dev/null
            local IFS=$'\n'
            COMPREPLY+=($(compgen -P "$prefix" $flag -- "$typed"))
            ;;
    esac
}

_turkchat_serve_chat() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local prev=${COMP_WORDS[COMP_CWORD-1]}
    local option=$prev typed=$cur prefix=
    COMPREPLY=()

    # Find the option whose value is being completed in each way bash may have split the line.
    if [[ $cur == --*=* ]]; then
        option=${cur%%=*}
        typed=${cur#*=}
        prefix="$option="
    elif [[ $cur == = && $prev == --* ]]; then
        option=$prev
        typed=
        prefix='='
    elif [[ $prev == = && $COMP_CWORD -ge 2 ]]; then
        option=${COMP_WORDS[COMP_CWORD-2]}
    fi

    case $option in
        --host)
            return 0
            ;;
        --port)
            return 0
            ;;
        --task)
            _turkchat_serve_chat_add directory "$prefix" "$typed"
            return 0
            ;;
        --tls-cert)
            _turkchat_serve_chat_add file "$prefix" "$typed"
            return 0
            ;;
        --tls-key)
            _turkchat_serve_chat_add file "$prefix" "$typed"
            return 0
            ;;
        --public-url)
            return 0
            ;;
        --poll-interval)
            return 0
            ;;
        --state-dir)
            _turkchat_serve_chat_add directory "$prefix" "$typed"
            return 0
            ;;
        --target)
            _turkchat_serve_chat_add words "$prefix" "$typed" 'local sandbox'
            return 0
            ;;
        --endpoint-url)
            return 0
            ;;
        --profile)
            return 0
            ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W '--host --port --task --tls-cert --tls-key --public-url --poll-interval --no-worker-site --no-wire-endpoint --local-human --state-dir --target --live --endpoint-url --profile --json -h --help --version' -- "$cur"))
        return 0
    fi

    # Count the positional arguments before the cursor, skipping options and their values.
    local i=1 position=0 word options_ended=
    while (( i < COMP_CWORD )); do
        word=${COMP_WORDS[i]}
        if [[ -n $options_ended ]]; then
            (( position++ ))
        else
            case $word in
                --) options_ended=1 ;;
                --host|--port|--task|--tls-cert|--tls-key|--public-url|--poll-interval|--state-dir|--target|--endpoint-url|--profile)
                    if [[ ${COMP_WORDS[i+1]} == = ]]; then (( i += 2 )); else (( i++ )); fi
                    ;;
                -?*) ;;
                *) (( position++ )) ;;
            esac
        fi
        (( i++ ))
    done

    case $position in
    esac
    return 0
}

complete -F _turkchat_serve_chat serve-chat
