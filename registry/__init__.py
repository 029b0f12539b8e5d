"""The publishing side: OCI registry client, metadata store, registry JSON and its server."""
