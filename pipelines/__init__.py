"""Running the work: engines, steps, pipelines, the runner, reports and the CLI."""
