"""connector-pipelines as a Dagger module: build, test and publish connectors of an Airbyte-style
monorepo with the same recipes and the same plan-to-container translation as the CLI."""

from .main import ConnectorPipelines as ConnectorPipelines
