# bash completion for create-hits, generated from its command spec by TurkCLI.
# Do not edit: run `make docs` after changing the spec.

# Adds completions of one kind to COMPREPLY: kind (words, file or directory), text to put before each
# completion, the text typed so far, and for words the candidates.
_turkchat_create_hits_add() {
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

_turkchat_create_hits() {
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
        --task)
            _turkchat_create_hits_add directory "$prefix" "$typed"
            return 0
            ;;
        -n|--num-conversations)
            return 0
            ;;
        -r|--reward)
            return 0
            ;;
        --server-url)
            return 0
            ;;
        --run-id)
            return 0
            ;;
        --lifetime)
            return 0
            ;;
        --assignment-duration)
            return 0
            ;;
        --auto-approve-delay)
            return 0
            ;;
        --unique-qual-name)
            return 0
            ;;
        --max-hits-per-worker)
            return 0
            ;;
        --allowed-conversations)
            return 0
            ;;
        --max-connections)
            return 0
            ;;
        --poll-interval)
            return 0
            ;;
        --over-recruit)
            return 0
            ;;
        --max-time)
            return 0
            ;;
        --max-time-qual)
            return 0
            ;;
        --disconnect-qualification)
            return 0
            ;;
        --block-qualification)
            return 0
            ;;
        --locale)
            return 0
            ;;
        --min-approval-rate)
            return 0
            ;;
        --min-approved-hits)
            return 0
            ;;
        --confirm-threshold)
            return 0
            ;;
        --state-dir)
            _turkchat_create_hits_add directory "$prefix" "$typed"
            return 0
            ;;
        --target)
            _turkchat_create_hits_add words "$prefix" "$typed" 'local sandbox'
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
        COMPREPLY=($(compgen -W '--task -n --num-conversations -r --reward --server-url --run-id --dry-run --lifetime --assignment-duration --auto-approve-delay --unique --unique-qual-name --max-hits-per-worker --allowed-conversations --max-connections --follow --poll-interval --over-recruit --count-complete --max-time --max-time-qual --disconnect-qualification --hard-block --block-qualification --locale --min-approval-rate --min-approved-hits --masters --confirm-threshold --state-dir --target --live --endpoint-url --profile --json -y --yes -h --help --version' -- "$cur"))
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
                --task|-n|--num-conversations|-r|--reward|--server-url|--run-id|--lifetime|--assignment-duration|--auto-approve-delay|--unique-qual-name|--max-hits-per-worker|--allowed-conversations|--max-connections|--poll-interval|--over-recruit|--max-time|--max-time-qual|--disconnect-qualification|--block-qualification|--locale|--min-approval-rate|--min-approved-hits|--confirm-threshold|--state-dir|--target|--endpoint-url|--profile)
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

complete -F _turkchat_create_hits create-hits
