# Two entry points do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LLAMA_CPP_VERSION := 0.3.36
# A default (native) llama.cpp build crashed with a general protection fault in libggml-cpu on
# machines that report AVX-512/AMX; this portable AVX2 build runs on them and on any x86-64-v3 CPU.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
# Built once per machine, keyed by version and flags, so a fresh clone does not rebuild for minutes.
WHEELS ?= $(HOME)/.cache/synth-assets/wheels/llama-cpp-python-$(LLAMA_CPP_VERSION)-avx2-portable
export DAGSTER_HOME ?= $(CURDIR)/data/dagster_home

.PHONY: setup sandbox postgres-binaries run test lint ui docs docs-serve lock clean

# $(call apt_install,PACKAGE,WHAT): install a Debian package where we may (root with apt, the
# package lists refreshed once if the first try fails); elsewhere one line says what to install.
define apt_install
{ if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	echo "installing $(1) ($(2))"; \
	apt-get install -y -qq $(1) >/dev/null 2>&1 || \
		{ apt-get update -qq >/dev/null && apt-get install -y -qq $(1) >/dev/null; }; \
else \
	echo "missing Debian's $(1) ($(2)): sudo apt-get install $(1)"; \
fi; }
endef

setup: $(VENV)/.installed sandbox

# Code verification runs model code under bubblewrap (Debian's `bubblewrap` package). Installed
# here when we may (root with apt); otherwise one line says what to install. Without it, code
# checks are refused (never passed), unless an experiment sets verify.allow_weak_isolation.
sandbox:
	@command -v bwrap >/dev/null 2>&1 || $(call apt_install,bubblewrap,the code-verification sandbox)

# Every package at the version in requirements.lock (the versions CI ran); `make lock` refreshes it.
$(VENV)/.installed: pyproject.toml requirements.lock Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade 'pip>=25.1'  # 25.1: dependency groups (--group)
	@if ! ls $(WHEELS)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl >/dev/null 2>&1; then \
		echo "building llama-cpp-python $(LLAMA_CPP_VERSION) (portable, a few minutes on 2 cores)"; \
		mkdir -p $(WHEELS) && CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip wheel \
			--no-cache-dir --no-deps -w $(WHEELS) llama-cpp-python==$(LLAMA_CPP_VERSION); \
	fi
	$(BIN)/python -m pip install --quiet $(WHEELS)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl
	$(BIN)/python -m pip install --quiet -c requirements.lock -e . --group dev
	touch $@

# The neural student's extra (JAX, optax: about 630 MB): the test suite exercises it; `make run` does not need it.
$(VENV)/.neural: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[neural]'
	touch $@

# After a change to the dependencies in pyproject.toml: resolve again, keeping every pin that
# still fits (uv reads the old file as its preferences), then `make setup` installs the result.
lock: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra neural --group dev --universal --no-header --quiet -o requirements.lock

run: setup
	$(BIN)/synth init
	$(BIN)/synth run

# The shared-profile tests start their own throwaway PostgreSQL cluster from the server binaries
# (Debian's `postgresql` package; nothing is started as a service). Under CI a missing one fails
# those tests instead of skipping them.
postgres-binaries:
	@ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null 2>&1 || \
		$(call apt_install,postgresql,the shared-profile tests' PostgreSQL server binaries)

test: setup $(VENV)/.neural postgres-binaries docs
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# The documentation site (MkDocs, Material theme) into site/; strict: a broken link or a page
# missing from the navigation fails the build (and so `make test`).
docs: setup
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

docs-serve: setup
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve -a 127.0.0.1:8001

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

# `dg dev` is Dagster's recommended local UI (webserver and daemon); it reads [tool.dg] in pyproject.toml
ui: setup
	$(BIN)/synth init
	VIRTUAL_ENV=$(CURDIR)/$(VENV) PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/dg dev

# Everything a run, the docs or the install wrote; nothing tracked (git status stays clean).
clean:
	rm -rf $(VENV) site data/warehouse.duckdb* data/dagster_home data/cache data/artifacts data/reports data/exports
