"""The test credentials a connector declares, fetched from their stores as files for its containers.

    secrets = TestSecrets.for_repo(repo)
    found = await secrets.resolve(connector, suites=SMOKE_SUITES)
    found.files          # {"/airbyte/integration_code/secrets/config.json": b"…"}: read-only in the container
    found.missing        # ["SECRET_SOURCE-X_CREDS (environment variable …)"]: the step skips, naming them

``connectorTestSuitesOptions[].testSecrets`` names each secret (``name``), the file it becomes
(``fileName``, default the store's suggestion or ``config.json``) and its store (``secretStore.alias``).
Values only ever travel as file contents: never as arguments or environment variables.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import anyio
from pydantic import ValidationError

from connector_build.connector import Connector
from connector_build.monorepo import Monorepo
from connector_build.problems import UserError
from connector_build.recipes import CODE_DIR
from pipelines.secret_stores import SecretStore, SecretStoreError, StoreSettings, open_store

SECRETS_DIR = f"{CODE_DIR}/secrets"
"""Where Airbyte connectors read test credentials: ``secrets/<file>`` in the connector folder."""
DEFAULT_FILE = "config.json"
UNIT_SUITES = frozenset({"unitTests"})
SMOKE_SUITES = frozenset({"integrationTests", "acceptanceTests", "liveTests", "smokeTests"})


@dataclass
class FoundSecrets:
    files: dict[str, bytes] = field(default_factory=dict, repr=False)
    missing: list[str] = field(default_factory=list)

    @property
    def config_path(self) -> str | None:
        """The secret that is the connector's config: ``secrets/config.json``, else the only one."""
        preferred = f"{SECRETS_DIR}/{DEFAULT_FILE}"
        if preferred in self.files:
            return preferred
        return next(iter(self.files)) if len(self.files) == 1 else None


class TestSecrets:
    __test__ = False  # not a pytest class

    def __init__(self, settings: dict[str, StoreSettings], root: Path) -> None:
        self._settings = settings
        self._root = root
        self._stores: dict[str, SecretStore] = {}

    @classmethod
    def for_repo(cls, repo: Monorepo) -> TestSecrets:
        return cls(read_store_settings(repo), repo.root)

    def store(self, alias: str | None) -> SecretStore:
        key = alias or ""
        if key not in self._stores:
            self._stores[key] = open_store(self._settings.get(key, StoreSettings()), self._root)
        return self._stores[key]

    async def resolve(self, connector: Connector, *, suites: frozenset[str]) -> FoundSecrets:
        found = FoundSecrets()
        for suite in connector.data.connectorTestSuitesOptions or []:
            if suite.suite not in suites:
                continue
            for declared in suite.testSecrets or []:
                store = self.store(declared.secretStore.alias)
                secret = await anyio.to_thread.run_sync(store.fetch, connector.name, declared.name)
                if secret is None:
                    found.missing.append(f"{declared.name} (not found: {store.where(declared.name)})")
                    continue
                file_name = declared.fileName or secret.file_name or DEFAULT_FILE
                if PurePosixPath(file_name).name != file_name or file_name in {".", ".."}:
                    raise SecretStoreError(f"{connector.name}: testSecrets fileName '{file_name}' must be a plain "
                                           "file name")
                found.files[f"{SECRETS_DIR}/{file_name}"] = secret.value.encode("utf-8")
        return found


def read_store_settings(repo: Monorepo) -> dict[str, StoreSettings]:
    """``[tool.connector-pipelines.secret-stores.<alias>]`` tables of the monorepo's pyproject.toml."""
    path = repo.root / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        tables = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}) \
            .get("connector-pipelines", {}).get("secret-stores", {})
        return {alias: StoreSettings.model_validate(table) for alias, table in tables.items()}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        raise UserError(f"{path}: [tool.connector-pipelines.secret-stores] "
                        f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
