"""The Dockerfile and the Helm values say what the code and the Makefile say: the same code
location module, the same llama.cpp build, the shared profile, the secret that carries the
PostgreSQL URL, one mount for the data path, the queue limits `synth init` writes. (They cannot be
built or installed here: no registry or cluster; this keeps them from drifting.)"""

import re

import yaml

from synth_assets.config.instance import ONE_RUN_PER_EXPERIMENT, instance_config
from synth_assets_tests.support.paths import ROOT

DOCKERFILE = (ROOT / "deploy" / "Dockerfile").read_text()
VALUES = yaml.safe_load((ROOT / "deploy" / "helm" / "values.yaml").read_text())
MODULE = yaml.safe_load((ROOT / "workspace.yaml").read_text())["load_from"][0]["python_module"]["module_name"]


def _make_var(name: str) -> str:
    return re.search(rf"^{name} :?= (.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE).group(1).strip()


def test_the_image_serves_the_workspace_module_with_the_makefiles_llama_build() -> None:
    assert f'"-m", "{MODULE}"' in DOCKERFILE
    assert f"ARG LLAMA_CPP_VERSION={_make_var('LLAMA_CPP_VERSION')}" in DOCKERFILE
    assert f'ARG LLAMA_CMAKE_ARGS="{_make_var("LLAMA_CMAKE_ARGS")}"' in DOCKERFILE
    assert "SYNTH_PROFILE=shared" in DOCKERFILE and "bubblewrap" in DOCKERFILE


def test_the_user_deployment_runs_the_shared_profile_on_one_data_mount() -> None:
    [deployment] = VALUES["dagster-user-deployments"]["deployments"]
    assert deployment["dagsterApiGrpcArgs"] == ["-m", MODULE]
    env = {e["name"]: e["value"] for e in deployment["env"]}
    assert env["SYNTH_PROFILE"] == "shared"
    [mount] = deployment["volumeMounts"]
    assert env["SYNTH_DATA_DIR"] == mount["mountPath"]
    assert mount["name"] in {v["name"] for v in deployment["volumes"]}
    assert deployment["envSecrets"] == [{"name": "synth-assets-env"}]  # SYNTH_POSTGRES_URL, API keys
    assert deployment["includeConfigInLaunchedRuns"]["enabled"]  # run pods get the same env and mount


def test_runs_go_to_kubernetes_jobs_through_the_queue_with_synth_inits_limits() -> None:
    assert VALUES["runLauncher"]["type"] == "K8sRunLauncher"
    coordinator = VALUES["dagsterDaemon"]["runCoordinator"]
    assert coordinator["type"] == "QueuedRunCoordinator"
    [limit] = coordinator["config"]["queuedRunCoordinator"]["tagConcurrencyLimits"]
    assert limit == ONE_RUN_PER_EXPERIMENT
    assert instance_config(2, shared=True)["concurrency"]["runs"]["tag_concurrency_limits"] == [limit]


def test_every_process_of_the_image_runs_under_an_init_that_reaps() -> None:
    """Run workers are PID 1 of their pods; without an init, orphans stay zombies there."""
    assert "tini" in DOCKERFILE.split("RUN apt-get", 2)[2].split("\n", 1)[0]  # installed in the final stage
    assert 'ENTRYPOINT ["/usr/bin/tini", "--"]' in DOCKERFILE


def test_the_image_installs_the_wheel_from_the_lock() -> None:
    """Not an editable install: the image holds what `pip install .` ships, at the locked versions."""
    assert "pip install --no-cache-dir -c requirements.lock ." in DOCKERFILE
    assert "-e ." not in DOCKERFILE
