"""The publish step that signs the verified image index in cosign's format.

It runs after verify (only what was pulled back and ran is signed) and before the store records
the version, so the marker written last also means "signed". A rerun finds its signature there
and adds none; a signature by another key (cosign's, a second publisher's) is kept beside ours.
Publish adds this step only when a key is given (the command says once that nothing is signed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipelines.logs import StepLog
from pipelines.steps import ConnectorState, Outcome, StepFailed
from registry.image_signatures import docker_reference, sign_image

if TYPE_CHECKING:
    from pipelines.publish_steps import PublishTarget


@dataclass
class SignImage:
    target: PublishTarget
    name: str = "sign"

    def skip_reason(self, state: ConnectorState) -> str | None:
        return None if state.publish.has_work else "nothing to sign"

    def planned(self, state: ConnectorState) -> list[str]:
        name = self.target.image_name(state.connector.docker_repository)
        return [f"{state.connector.name}: would sign {name}:{state.publish.version} (its sha256-<digest>.sig tag)"]

    async def run(self, state: ConnectorState, log: StepLog) -> Outcome:
        key, publish = self.target.signing_key, state.publish
        repository = state.connector.docker_repository
        name = self.target.image_name(repository)
        if key is None or publish.index_digest is None:
            raise StepFailed(f"{name}:{publish.version}: nothing verified to sign" if key else "no signing key")
        outcome = await sign_image(self.target.registry_client, repository, publish.index_digest,
                                   docker_reference(self.target.registry, repository), key)
        verb = "signed" if outcome.created else "already signed by this key"
        log.write(f"{verb}: {name}@{publish.index_digest} -> {name}:{outcome.tag}")
        return Outcome(summary=f"{verb} ({key.public_key.key_id}): {name}:{outcome.tag[:19]}…")
