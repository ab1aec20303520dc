# bash completion for bonus-workers, generated from its command spec by TurkCLI.
# Do not edit: run `make docs` after changing the spec.

# Adds completions of one kind to COMPREPLY: kind (words, file or directory), text to put before each
# completion, the text typed so far, and for words the candidates.
_turkchat_bonus_workers_add() {
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

_turkchat_bonus_workers() {
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
        --columns)
            return 0
            ;;
        --reason)
            return 0
            ;;
        --max-per-payment)
            return 0
            ;;
        --max-total)
            return 0
            ;;
        --run)
            return 0
            ;;
        --confirm-threshold)
            return 0
            ;;
        --state-dir)
            _turkchat_bonus_workers_add directory "$prefix" "$typed"
            return 0
            ;;
        --target)
            _turkchat_bonus_workers_add words "$prefix" "$typed" 'local sandbox'
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
        COMPREPLY=($(compgen -W '--dry-run --columns --reason --max-per-payment --max-total --allow-over-max --allow-repeat-bonus --run --confirm-threshold --pay-waiting --state-dir --target --live --endpoint-url --profile --json -y --yes -h --help --version' -- "$cur"))
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
                --columns|--reason|--max-per-payment|--max-total|--run|--confirm-threshold|--state-dir|--target|--endpoint-url|--profile)
                    if [[ ${COMP_WORDS[i+1]} == = ]]; then (( i += 2 )); else (( i++ )); fi
                    ;;
                -?*) ;;
                *) (( position++ )) ;;
            esac
        fi
        (( i++ ))
    done

    case $position in
        0)
            _turkchat_bonus_workers_add file '' "$cur"
            ;;
    esac
    return 0
}

complete -F _turkchat_bonus_workers bonus-workers
