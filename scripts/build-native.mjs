// Placeholder until the native kernel pack lands (issue 5): nothing to build yet.
