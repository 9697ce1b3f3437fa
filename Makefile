# Two commands matter: `make run` (install, run an example) and `make test` (install, run every check).
VENV ?= .venv
PYTHON := $(VENV)/bin/python
EXAMPLE ?= workflows/arithmetic.json

.PHONY: run test lint bench bench-peer deploy mutation clean

$(PYTHON):
	python3 -c 'import sys; assert sys.version_info >= (3, 11), "stepthunk needs Python 3.11+"'
	python3 -m venv $(VENV)

$(VENV)/.run-installed: pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -e '.[dev,cdk]'
	touch $@ $(VENV)/.run-installed $(VENV)/.cdk-installed

$(VENV)/.cdk-installed: pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -e '.[cdk]'
	touch $@ $(VENV)/.run-installed

# asl-validator and the CDK CLI (npm) serve the tests and `make deploy`; `make run` needs no Node.
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund
	touch $@

run: $(VENV)/.run-installed
	$(VENV)/bin/stepthunk run $(EXAMPLE)

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Two workers; a worker that runs out of tests takes some of the other's (without it, one
# worker ran the last 70 s of the suite alone).
test: lint node_modules/.package-lock.json
	$(VENV)/bin/pytest -n 2 --dist worksteal

# Deploys the stack to the AWS account of your credentials (after `npx cdk bootstrap` once).
deploy: $(VENV)/.cdk-installed node_modules/.package-lock.json
	JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 npx cdk deploy

# Modules, not scripts: the benchmarks import one another as `bench.*`. The report writes BENCHMARKS.md.
bench: $(VENV)/.dev-installed
	$(PYTHON) -m bench.foundation
	$(PYTHON) -m bench.stepfunctions
	$(PYTHON) -m bench.chain --record
	$(PYTHON) -m bench.control_flow --record
	$(PYTHON) -m bench.package --record $$(command -v valgrind >/dev/null && echo --instructions)
	$(PYTHON) -m bench.report
	$(PYTHON) -m bench.serve_load --record

# stepthunk next to n8n, the peer, in one run (chains of 1, 100 and 1,000 nodes; a server under
# load). Installs n8n pinned into .peer-cache/ on first use: needs Node.js 20 and npm.
bench-peer: $(VENV)/.dev-installed
	$(PYTHON) -m bench.peer

# Mutation testing of the secrets, credits, cancel and CLI-option code ([tool.mutmut] in
# pyproject.toml), on one worker: each mutant runs only the tests that reached the function it
# changes. `make mutation MUTANTS=` mutates every function of the configured files.
MUTANTS ?= 'lambdas.runtime.secret_references.*' '*SealedSecrets*' \
	'lambdas.runtime.credits.*' 'lambdas.handlers.check_credits.*' \
	'lambdas.lifecycle.cancel.x_cancel__*' 'lambdas.lifecycle.cancel.x_cancel_execution__*' \
	'lambdas.lifecycle.cancel.x__cancelled_record*' \
	'lambdas.lifecycle.cancel.x__already_finished*' \
	'lambdas.lifecycle.records.x_final*' 'lambdas.lifecycle.records.x__ended*' \
	'local.cli_inputs.x_pairs*' 'local.cli_inputs.x_input_overrides*' \
	'local.cli_inputs.x__json_or_text*' 'local.cli_parser.x__port*' \
	'local.cli_parser.x__organization*' 'local.cli_local.x__engine*'
# A mutant that loops forever while growing a list (masking's occurrence search) would eat the
# machine's memory long before its CPU limit: capped (ulimit -v), it ends in a MemoryError.
mutation: $(VENV)/.dev-installed
	$(PYTHON) -m pip install --quiet --disable-pip-version-check 'mutmut==3.8.1'
	rm -f mutants/mutmut-stats.json  # with cached stats mutmut's clean run fails (README)
	ulimit -v 6000000 && $(VENV)/bin/mutmut run --max-children 1 $(MUTANTS)
	$(VENV)/bin/mutmut results

clean:
	rm -rf $(VENV) node_modules .mypy_cache .pytest_cache .ruff_cache .hypothesis .cdk-cache cdk.out mutants .peer-cache
