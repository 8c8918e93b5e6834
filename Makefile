# esdb.cluster: the two commands a user needs are `make demo` and `make test`.
# Every target bootstraps what it needs first and skips what is already in place.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv/bin
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.collections
export PATH := $(CURDIR)/$(VENV):$(PATH)

# Molecule scenarios that `make test` runs, in order.
# (molecule/bad_input is the converged cluster that tests/integration/test_role_bad_input.py feeds
# bad input to; the integration stage runs it, so it is not listed here.)
MOLECULE_SCENARIOS ?= default insecure existing_hosts failover rolling scale

.PHONY: help bootstrap docker images demo demo-down test lint sanity core-matrix unit mutation twin integration molecule clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

bootstrap: ## create .venv and .collections (skipped when already in place)
	@scripts/bootstrap.sh

docker: ## make sure a Docker engine answers (starts dockerd as root)
	@scripts/ensure-docker.sh

images: bootstrap docker ## the twin's base images: systemd (apt server, most scenarios) and fresh-host (a first-boot cloud host)
	@tests/twin/twinctl image >/dev/null
	@tests/twin/twinctl image --flavour fresh-host >/dev/null

demo: bootstrap docker images ## a ready 3-node cluster on the local twin (ESDB_SOURCE=packagecloud for the real package)
	@scripts/demo.sh

demo-down: bootstrap ## remove everything the demo created
	@scripts/demo.sh down

test: bootstrap docker images ## every quality gate and test; ends with "N passed, N failed"
	@$(VENV)/python scripts/run_tests.py --molecule "$(MOLECULE_SCENARIOS)"

lint: bootstrap ## ansible-lint (production profile) and yamllint
	$(VENV)/ansible-lint --offline -q
	$(VENV)/yamllint --strict .

sanity: bootstrap ## ansible-test sanity, with no ignore files, and the modules' Python 3.8 floor
	scripts/sanity.sh
	scripts/check_target_python.sh

core-matrix: bootstrap ## the controller-side tests on every ansible-core release meta/runtime.yml claims
	$(VENV)/python scripts/core_matrix.py

unit: bootstrap ## pytest unit tests of plugins/ and module_utils/
	$(VENV)/pytest -q tests/unit

mutation: bootstrap ## mutation testing of the verdict code, every target (report in .cache/results/mutation.txt)
	$(VENV)/python scripts/mutation.py

twin: bootstrap ## pytest tests of the local twin (emulator, package, repository)
	$(VENV)/pytest -q tests/twin/tests

integration: bootstrap docker ## pytest integration tests (collection build, moto, emulators)
	@$(VENV)/python scripts/run_tests.py --only integration

molecule: bootstrap docker images ## every Molecule scenario in MOLECULE_SCENARIOS
	@for s in $(MOLECULE_SCENARIOS); do $(VENV)/molecule test -s $$s || exit 1; done

clean: ## remove build output and caches (keeps .venv and .collections)
	rm -rf .cache/results .cache/sanity tests/output build .pytest_cache *.tar.gz
	find . -name __pycache__ -not -path './.venv/*' -prune -exec rm -rf {} +
