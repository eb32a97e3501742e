"""The one runner: every build (stage steps, static packages) goes through it, and writes one report format."""
