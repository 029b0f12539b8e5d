"""The build rules every engine shares, as the plan states them: who gets the CA bundle, who the network."""

from __future__ import annotations

from pathlib import Path

from connector_build.plan import CA_PATH_IN_STAGE, ContainerPlan, ImageBase, Run, Stage, StageBase


def plan(*stages: Stage) -> ContainerPlan:
    return ContainerPlan("linux/amd64", Path("."), list(stages))


def test_only_a_command_that_needs_the_bundle_sees_it_and_only_when_there_is_one() -> None:
    install = Run(("pip", "install", "x"), needs_network=True, needs_ca=True)
    assert install.command(with_ca=True) == (
        "env", f"PIP_CERT={CA_PATH_IN_STAGE}", f"SSL_CERT_FILE={CA_PATH_IN_STAGE}",
        f"REQUESTS_CA_BUNDLE={CA_PATH_IN_STAGE}", "pip", "install", "x")
    assert install.command(with_ca=False) == ("pip", "install", "x")
    assert Run(("true",)).command(with_ca=True) == ("true",)


def test_the_plan_says_whether_the_build_needs_the_bundle_and_the_network() -> None:
    deps = Stage("deps", ImageBase("base:1"), [Run(("pip", "install", "x"), needs_network=True, needs_ca=True)])
    image = Stage("image", StageBase("deps"), [Run(("true",))])
    assert deps.needs_ca() and not image.needs_ca()
    assert plan(deps, image).needs_ca() and plan(deps, image).needs_network()
    offline = plan(Stage("image", ImageBase("base:1"), [Run(("true",))]))
    assert not offline.needs_ca() and not offline.needs_network()
