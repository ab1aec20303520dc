import Testing

/// Every test that starts a server runs in this suite, one at a time: each starts serve-chat, Python clients
/// and sometimes Chromium, and running them side by side on a small machine turns timeouts into failures.
@Suite(.serialized) enum ServerTests {}
