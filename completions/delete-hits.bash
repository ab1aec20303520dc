# bash completion for delete-hits, generated from its command spec by TurkCLI.
# Do not edit: run `make docs` after changing the spec.

# Adds completions of one kind to COMPREPLY: kind (words, file or directory), text to put before each
# completion, the text typed so far, and for words the candidates.
_turkchat_delete_hits_add() {
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

_turkchat_delete_hits() {
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
        --run)
            return 0
            ;;
        --hit)
            return 0
            ;;
        --title)
            return 0
            ;;
        --annotation)
            return 0
            ;;
        --older-than)
            return 0
            ;;
        --wait)
            return 0
            ;;
        --reject-submitted)
            return 0
            ;;
        --state-dir)
            _turkchat_delete_hits_add directory "$prefix" "$typed"
            return 0
            ;;
        --target)
            _turkchat_delete_hits_add words "$prefix" "$typed" 'local sandbox'
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
        COMPREPLY=($(compgen -W '--run --hit --all --title --annotation --older-than --dry-run --wait --approve-submitted --reject-submitted --account --state-dir --target --live --endpoint-url --profile --json -y --yes -h --help --version' -- "$cur"))
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
                --run|--hit|--title|--annotation|--older-than|--wait|--reject-submitted|--state-dir|--target|--endpoint-url|--profile)
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

complete -F _turkchat_delete_hits delete-hits
