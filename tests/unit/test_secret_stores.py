"""Test credentials: the three stores behind one interface, and a connector's declared secrets as files."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from connector_build.monorepo import Monorepo
from pipelines.secret_stores import SecretStoreError, StoreSettings, open_store
from pipelines.secret_stores.gsm import GoogleSecretManagerStore
from pipelines.secret_stores.local import EnvironmentStore, FolderStore
from pipelines.test_secrets import SECRETS_DIR, TestSecrets
from registry.secrets import redact
from tests.conftest import write_connector
from tests.fake_secret_manager import FakeSecretManager

CONFIG = '{"api_key": "sk-live-4f9a8b7c6d", "region": "eu-west-zz9"}'


def test_environment_store_reads_dashes_as_underscores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_SOURCE_ACME__CREDS", CONFIG)
    found = EnvironmentStore().fetch("source-acme", "SECRET_SOURCE-ACME__CREDS")
    assert found is not None and found.value == CONFIG
    assert "sk-live-4f9a8b7c6d" not in repr(found)
    assert EnvironmentStore().fetch("source-acme", "SECRET_ABSENT") is None
    assert "SECRET_ABSENT" in EnvironmentStore().where("SECRET_ABSENT")


def test_folder_store_reads_one_file_per_secret(tmp_path: Path) -> None:
    (tmp_path / "SECRET_SOURCE-ACME__CREDS").write_text(CONFIG)
    found = FolderStore(tmp_path).fetch("source-acme", "SECRET_SOURCE-ACME__CREDS")
    assert found is not None and found.value == CONFIG
    assert FolderStore(tmp_path).fetch("source-acme", "SECRET_OTHER") is None


def test_fetched_values_are_redacted_in_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_REDACT_ME", CONFIG)
    EnvironmentStore().fetch("source-acme", "SECRET_REDACT_ME")
    assert redact(f"config was {CONFIG}") == "config was ***"
    assert redact("key sk-live-4f9a8b7c6d in eu-west-zz9") == "key *** in ***"  # each string of the JSON too


def test_short_words_and_dates_in_a_secret_stay_readable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_PLAIN_PARTS", '{"units": "imperial", "start": "2024-03-01", "token": "t0k3n-abcdef"}')
    EnvironmentStore().fetch("source-acme", "SECRET_PLAIN_PARTS")
    assert redact("imperial from 2024-03-01 with t0k3n-abcdef") == "*** from 2024-03-01 with ***"


def test_gsm_store_lists_by_connector_label_through_the_client_library() -> None:
    secrets = {
        "SECRET_SOURCE-ACME__CREDS": ({"connector": "source-acme", "filename": "oauth_config"}, CONFIG),
        "SECRET_SOURCE-ACME_OAUTH": ({"connector": "source-acme"}, '{"token": "yes-oauth-1"}'),
        "SECRET_SOURCE-ACME-PLUS__CREDS": ({"connector": "source-acme-plus"}, "{}"),
        "SECRET_OTHER": ({"connector": "source-other"}, "{}"),
    }
    with FakeSecretManager(secrets) as fake:
        store = GoogleSecretManagerStore(fake.project, endpoint=fake.endpoint)
        assert sorted(store.labelled("source-acme")) == ["SECRET_SOURCE-ACME_OAUTH", "SECRET_SOURCE-ACME__CREDS"]
        found = store.fetch("source-acme", "SECRET_SOURCE-ACME__CREDS")
        assert found is not None and found.value == CONFIG and found.file_name == "oauth_config.json"
        oauth = store.fetch("source-acme", "SECRET_SOURCE-ACME_OAUTH")
        assert oauth is not None and oauth.file_name is None  # no filename label: the metadata names it
        assert store.fetch("source-acme", "SECRET_OTHER") is None  # not labelled for this connector
        listed = [r for r in fake.requests if "/secrets?" in r]
        assert len(listed) == 1 and "filter=labels.connector%3Dsource-acme&" in listed[0]  # listed once


def test_gsm_store_errors_are_one_line_without_values() -> None:
    with FakeSecretManager({}, project="other-project") as fake:
        store = GoogleSecretManagerStore("test-project", endpoint=fake.endpoint)
        with pytest.raises(SecretStoreError, match="Google Secret Manager project test-project: NotFound"):
            store.fetch("source-acme", "SECRET_X")


def test_store_settings_need_their_fields(tmp_path: Path) -> None:
    with pytest.raises(SecretStoreError, match="needs project"):
        open_store(StoreSettings(type="gsm"), tmp_path)
    with pytest.raises(SecretStoreError, match="needs path"):
        open_store(StoreSettings(type="folder"), tmp_path)


DECLARED = """\
  connectorTestSuitesOptions:
    - suite: unitTests
      testSecrets:
        - name: SECRET_SOURCE-ACME_UNIT
          fileName: unit.json
          secretStore: {type: GSM, alias: local-folder}
    - suite: integrationTests
      testSecrets:
        - name: SECRET_SOURCE-ACME__CREDS
          secretStore: {type: GSM, alias: gsm}
        - name: SECRET_SOURCE-ACME_MISSING
          fileName: other.json
          secretStore: {type: GSM, alias: unconfigured}
"""


def test_declared_secrets_become_files_where_the_connector_reads_them(tmp_path: Path) -> None:
    write_connector(tmp_path, "source-acme", extra=DECLARED)
    (tmp_path / "ci-secrets").mkdir()
    (tmp_path / "ci-secrets" / "SECRET_SOURCE-ACME_UNIT").write_text('{"unit": true}')
    gsm = {"SECRET_SOURCE-ACME__CREDS": ({"connector": "source-acme", "filename": "config"}, CONFIG)}
    with FakeSecretManager(gsm) as fake:
        (tmp_path / "pyproject.toml").write_text(
            '[tool.connector-pipelines.secret-stores.local-folder]\ntype = "folder"\npath = "ci-secrets"\n'
            f'[tool.connector-pipelines.secret-stores.gsm]\ntype = "gsm"\nproject = "{fake.project}"\n'
            f'endpoint = "{fake.endpoint}"\n')
        repo = Monorepo.open(tmp_path)
        connector = repo.discover().connectors["source-acme"]
        secrets = TestSecrets.for_repo(repo)
        unit = anyio.run(lambda: secrets.resolve(connector, suites=frozenset({"unitTests"})))
        smoke = anyio.run(lambda: secrets.resolve(connector, suites=frozenset({"integrationTests"})))
    assert unit.files == {f"{SECRETS_DIR}/unit.json": b'{"unit": true}'} and unit.missing == []
    assert smoke.files == {f"{SECRETS_DIR}/config.json": CONFIG.encode()}
    assert smoke.config_path == "/airbyte/integration_code/secrets/config.json"
    assert smoke.missing == ["SECRET_SOURCE-ACME_MISSING (not found: environment variable "
                             "SECRET_SOURCE-ACME_MISSING or SECRET_SOURCE_ACME_MISSING)"]
    assert "sk-live" not in repr(smoke)
