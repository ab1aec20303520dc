# fish completion for serve-chat, generated from its command spec by TurkCLI.
# Do not edit: run `make docs` after changing the spec.
complete -c serve-chat -f
complete -c serve-chat -l 'host' -x -d 'Sets the IP address to listen on, such as 0.0.0.0 for every interface'
complete -c serve-chat -l 'port' -x -d 'Sets the TCP port to listen on, or 0 to pick a free port and print it'
complete -c serve-chat -l 'task' -x -a '(__fish_complete_directories)' -d 'Adds a task directory to serve besides those that the runs name'
complete -c serve-chat -l 'tls-cert' -r -F -d 'Sets the PEM certificate chain for HTTPS and WSS, used together with --tls-key'
complete -c serve-chat -l 'tls-key' -r -F -d 'Sets the PEM private key of the --tls-cert certificate'
complete -c serve-chat -l 'public-url' -x -d 'Sets the URL at which workers reach this server, when a proxy or a name differs from the address it listens on'
complete -c serve-chat -l 'no-worker-site' -d 'Turns off the worker site that the local target serves'
complete -c serve-chat -l 'no-wire-endpoint' -d 'Turns off the MTurk API endpoint that the local target serves'
complete -c serve-chat -l 'state-dir' -x -a '(__fish_complete_directories)' -d 'Sets the state directory, which contains the run store and the local marketplace'
complete -c serve-chat -l 'target' -x -a 'local sandbox' -d 'Sets the marketplace: the offline local one or MTurk\'s sandbox'
complete -c serve-chat -l 'live' -d 'Uses MTurk\'s live marketplace, where real workers are paid with real money'
complete -c serve-chat -l 'endpoint-url' -x -d 'Sends MTurk API calls to this URL instead of the target\'s endpoint, as the AWS CLI option does'
complete -c serve-chat -l 'profile' -x -d 'Sets the AWS profile whose credentials sign the MTurk API calls'
complete -c serve-chat -l 'json' -d 'Writes one JSON object per line on standard output instead of text'
complete -c serve-chat -s 'h' -l 'help' -d 'Prints this help and exits'
complete -c serve-chat -l 'version' -d 'Prints the version and exits'
