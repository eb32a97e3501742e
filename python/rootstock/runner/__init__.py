"""The one runner: every build (stage steps, static packages) goes through it."""
