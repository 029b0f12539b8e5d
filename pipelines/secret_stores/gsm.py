"""Google Secret Manager, through Google's client library (``pip install 'connector-pipelines[gsm]'``).

Airbyte's layout: one secret per connector config, labelled ``connector=<name>`` and optionally
``filename=<stem>``, which becomes ``secrets/<stem>.json``. The store lists a connector's secrets
by that label once (the ``labels.connector=<name>`` filter Airbyte's own tools use), then reads the
latest version of the ones the metadata asks for. A secret whose label joins several connector
names with ``_`` is not matched by that filter; give each connector its own label value.
"""

from __future__ import annotations

import threading
from typing import Any

from pipelines.secret_stores import SecretStoreError, StoredSecret, remember


class GoogleSecretManagerStore:
    def __init__(self, project: str, *, endpoint: str | None = None) -> None:
        self.project = project
        self.endpoint = endpoint
        self.description = f"Google Secret Manager project {project}"
        self._client: Any = None
        self._listed: dict[str, dict[str, dict[str, str]]] = {}
        self._lock = threading.Lock()

    def client(self) -> Any:
        if self._client is None:
            try:
                from google.api_core.client_options import ClientOptions
                from google.auth.credentials import AnonymousCredentials
                from google.auth.exceptions import DefaultCredentialsError
                from google.cloud import secretmanager
            except ImportError:
                raise SecretStoreError("the gsm secret store needs google-cloud-secret-manager: "
                                       "pip install 'connector-pipelines[gsm]'") from None
            options = ClientOptions(api_endpoint=self.endpoint) if self.endpoint else None
            # A plain-http endpoint is a local stand-in (tests, emulators): it takes no credentials.
            credentials = AnonymousCredentials() if (self.endpoint or "").startswith("http://") else None
            try:
                self._client = secretmanager.SecretManagerServiceClient(
                    transport="rest", client_options=options, credentials=credentials)
            except DefaultCredentialsError:
                raise SecretStoreError("no Google credentials for the gsm secret store: set "
                                       "GOOGLE_APPLICATION_CREDENTIALS or run `gcloud auth application-default "
                                       "login`") from None
        return self._client

    def labelled(self, connector: str) -> dict[str, dict[str, str]]:
        """The connector's secrets by short name, with their labels (listed once per connector)."""
        with self._lock:
            if connector not in self._listed:
                found = {}
                request = {"parent": f"projects/{self.project}", "filter": f"labels.connector={connector}"}
                for secret in self._call(lambda: list(self.client().list_secrets(request=request))):
                    labels = dict(secret.labels)
                    if labels.get("connector") == connector:
                        found[secret.name.rsplit("/", 1)[-1]] = labels
                self._listed[connector] = found
            return self._listed[connector]

    def fetch(self, connector: str, name: str) -> StoredSecret | None:
        labels = self.labelled(connector).get(name)
        if labels is None:
            return None
        version = f"projects/{self.project}/secrets/{name}/versions/latest"
        response = self._call(lambda: self.client().access_secret_version(request={"name": version}))
        stem = labels.get("filename")
        return remember(StoredSecret(name=name, value=response.payload.data.decode("utf-8"),
                                     file_name=f"{stem}.json" if stem else None))

    def where(self, name: str) -> str:
        return f"{self.description} (secret {name} labelled connector=<name>)"

    def _call(self, call: Any) -> Any:
        from google.api_core.exceptions import GoogleAPIError

        try:
            return call()
        except GoogleAPIError as exc:
            message = str(getattr(exc, "message", "") or exc).splitlines()[0][:200]
            raise SecretStoreError(f"{self.description}: {type(exc).__name__}: {message}") from None
