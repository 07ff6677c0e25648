# SQA Engage. Quick start: `make demo`, `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
DEBS   := dovecot-imapd dovecot-lmtpd mosquitto postgresql chromium
export PIP_DISABLE_PIP_VERSION_CHECK=1

.PHONY: setup debs venv demo test bench bench-quick clean

setup: debs venv

# Debian packages the demo and the tests start as private servers; chromium for the page tests
# (driven by playwright's Python package: never `playwright install`).
debs:
	@missing=""; \
	command -v dovecot >/dev/null || missing="$$missing dovecot-imapd"; \
	[ -e /usr/lib/dovecot/lmtp ] || missing="$$missing dovecot-lmtpd"; \
	command -v mosquitto >/dev/null || missing="$$missing mosquitto"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "missing Debian packages:$$missing"; \
	    echo "run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

demo: setup
	$(VENV)/bin/sqa demo

test: setup
	SQA_REQUIRE_CHROMIUM=1 $(PY) -m pytest -q

bench-quick: setup
	$(PY) benchmarks/e2e.py --quick --json
	$(PY) benchmarks/crash.py --quick --json
	$(PY) benchmarks/consent_race.py --quick --json
	$(PY) benchmarks/tokens.py --quick --json

bench: setup
	$(PY) benchmarks/e2e.py --json
	$(PY) benchmarks/crash.py --json
	$(PY) benchmarks/consent_race.py --json
	$(PY) benchmarks/tokens.py --json
	$(PY) benchmarks/accuracy.py --json

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
