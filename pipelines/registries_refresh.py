"""After a publish run: regenerate the registries from the whole store, under the registries lease.

The CLI's ``publish`` and the Dagger module's run this same tail after the same step list.
Always from the whole store, even when the run recorded nothing: a run that died after recording,
before regenerating, is healed here. Unchanged files are not rewritten; a store with nothing
published gets no registry files. Never forced: a publish does not shrink a registry
(:class:`~registry.compile.RegistryShrinks` is raised instead).
"""

from __future__ import annotations

from collections.abc import Callable

from registry import layout
from registry.compile import CompiledRegistry, generate_registries
from registry.signing import SigningKey
from registry.store import Store
from registry.store_lease import LeaseSettings, StoreLease


async def regenerate_registries(store: Store, *, base_url: str, lease_settings: LeaseSettings,
                                on_wait: Callable[[str], None], on_warning: Callable[[str], None],
                                signing_key: SigningKey | None = None,
                                ) -> tuple[CompiledRegistry, CompiledRegistry] | None:
    """The OSS and Cloud registries as written (signed with ``signing_key`` when given), or None
    when the store has nothing published."""
    if not store.glob(layout.LATEST_METADATA_GLOB):
        return None
    lease = StoreLease(store, layout.REGISTRIES_LOCK, "the registries lease", lease_settings)
    await lease.acquire(on_wait=on_wait)
    try:
        for warning in lease.warnings:
            on_warning(str(warning))
        return generate_registries(store, base_url=base_url, signing_key=signing_key)
    finally:
        lease.release()
