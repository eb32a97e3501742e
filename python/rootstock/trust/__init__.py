"""The trust report (`rootstock report`, docs/report.md): the plan and every report and log on disk as one
deterministic HTML page with the chain as a graph, and the same data as JSON. Not the runner's build report
(runner/report.py), which is one of its inputs."""
