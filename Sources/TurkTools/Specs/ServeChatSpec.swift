import TurkCLI

/// The command line of `serve-chat`.
public enum ServeChatSpec {
    public static let spec = CommandSpec(
        name: "serve-chat",
        abstract: "serve the chat page, the chat WebSocket and the worker site to workers",
        discussion: [
            "serve-chat runs the conversations of the runs that create-hits made. It serves the chat page that "
                + "each HIT's ExternalQuestion opens, carries messages between workers and bots over a WebSocket, "
                + "and stores every message in the run store before it acknowledges it.",
            "On the local target it also serves the worker site, where a person lists the open HITs, accepts one "
                + "and does the task in a browser, and the MTurk API over HTTP for tools given --endpoint-url.",
            "MTurk accepts only https URLs in an ExternalQuestion, so for the sandbox and live targets serve-chat "
                + "needs --tls-cert and --tls-key, or a TLS proxy in front of it named by --public-url. On those "
                + "targets it calls MTurk with the AWS credentials of --profile or the environment.",
            "On sandbox and live, a join is allowed only for a HIT of the run that GetHIT finds still open, and not "
                + "for an assignment that ListAssignmentsForHIT shows submitted by another worker. When MTurk does "
                + "not answer within 10 seconds the page is asked to connect again. Because the chat page submits "
                + "straight to MTurk, serve-chat polls ListAssignmentsForHIT (see --poll-interval) to notice "
                + "submissions.",
            "The first line on standard output is the URL the server listens on (a JSON object with the url and "
                + "the target with --json), so a script can start serve-chat with --port 0 and read the port.",
        ],
        options: [
            OptionSpec(
                long: "host", valueName: "ADDR",
                help: "Sets the IP address to listen on: an address of this machine, localhost (127.0.0.1), or 0.0.0.0 "
                    + "for every interface.",
                defaultValue: "127.0.0.1"),
            OptionSpec(
                long: "port", valueName: "N",
                help: "Sets the TCP port to listen on, or 0 to pick a free port and print it.",
                defaultValue: "8080"),
            OptionSpec(
                long: "task", valueName: "DIR",
                help: "Adds a task directory to serve besides those that the runs name.",
                isRepeatable: true, completion: .directory),
            OptionSpec(
                long: "tls-cert", valueName: "FILE",
                help: "Sets the PEM certificate chain for HTTPS and WSS, used together with --tls-key.",
                completion: .file),
            OptionSpec(
                long: "tls-key", valueName: "FILE",
                help: "Sets the PEM private key of the --tls-cert certificate.",
                completion: .file),
            OptionSpec(
                long: "public-url", valueName: "URL",
                help: "Sets the URL at which workers reach this server, when a proxy or a name differs from the "
                    + "address it listens on."),
            OptionSpec(
                long: "poll-interval", valueName: "SECONDS",
                help: "Sets how often serve-chat asks MTurk which assignments were submitted, on the sandbox and live "
                    + "targets: a number of seconds from 1 to 600, or a number with a unit such as 2m. After "
                    + "throttling or an outage the pause doubles, up to 10 minutes.",
                defaultValue: "30"),
            .flag("no-worker-site", help: "Turns off the worker site that the local target serves."),
            .flag("no-wire-endpoint", help: "Turns off the MTurk API endpoint that the local target serves."),
            .flag(
                "local-human",
                help: "Lets the person at this terminal play the local human of tasks that have one, such as "
                    + "multi_agent_dialog: their messages are shown on standard output and replies are read from "
                    + "standard input."),
            CommonOptions.stateDir,
            CommonOptions.target,
            CommonOptions.live,
            CommonOptions.endpointURL,
            CommonOptions.profile,
            CommonOptions.json,
        ],
        environment: CommonOptions.environment + [
            DocumentedItem(
                "TURKCHAT_EVENT_LOOP",
                "The event loop of the network server: libev (the default, with epoll), poll (libwebsockets' own "
                    + "loop, whose cost per wake-up grows with the open connections) or libuv. Any other value is "
                    + "an error."),
        ],
        files: CommonOptions.stateFiles + [
            DocumentedItem(
                "STATE_DIR/serve-chat.lock",
                "Locked while serve-chat runs, with its process id inside. A second serve-chat on the same state "
                    + "directory exits with an error instead of serving the same conversations."),
        ] + CommonOptions.awsFiles,
        examples: [
            ExampleSpec(
                "Serve the local target on a free port and print the URL it listens on:",
                "serve-chat --port 0"),
            ExampleSpec(
                "Serve sandbox workers over HTTPS on every interface:",
                "serve-chat --target sandbox --host 0.0.0.0 --port 8443 --tls-cert cert.pem --tls-key key.pem "
                    + "--public-url https://chat.example.org:8443"),
        ],
        seeAlso: ["create-hits(1)", "review(1)", "delete-hits(1)"])
}
