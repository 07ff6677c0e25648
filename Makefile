# SQA Engage. Quick start: `make demo`, `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
DEBS   := dovecot-imapd dovecot-lmtpd mosquitto postgresql chromium
export PIP_DISABLE_PIP_VERSION_CHECK=1

.PHONY: setup debs venv demo test bench bench-quick clean install

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
	$(PY) benchmarks/schedule.py --quick --json

bench: setup
	$(PY) benchmarks/e2e.py --json
	$(PY) benchmarks/crash.py --json
	$(PY) benchmarks/consent_race.py --json
	$(PY) benchmarks/tokens.py --json
	$(PY) benchmarks/schedule.py --json
	$(PY) benchmarks/accuracy.py --json

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache

# Install as a systemd service: a venv at $(PREFIX) with the package, the unit, sysusers and tmpfiles
# snippets, /etc/sqa/sqa.toml (only if absent) and a random unsubscribe-token key (only if absent).
# DESTDIR stages everything under a directory (packaging, tests); a venv is not relocatable, so a staged
# one runs only from there: install for real with DESTDIR empty (as root). PIP_FLAGS=--no-deps skips the
# dependencies (tests: the layout, not the wheels).
PREFIX      ?= /opt/sqa
DESTDIR     ?=
UNITDIR     ?= /etc/systemd/system
SYSUSERSDIR ?= /usr/lib/sysusers.d
TMPFILESDIR ?= /usr/lib/tmpfiles.d
DOCDIR      ?= /usr/share/doc/sqa
PIP_FLAGS   ?=

install:
	$(PYTHON) -m venv $(DESTDIR)$(PREFIX)
	$(DESTDIR)$(PREFIX)/bin/python -m pip install -q $(PIP_FLAGS) .
	install -d -m 0755 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(DOCDIR)
	sed 's#^ExecStart=/opt/sqa/bin/sqa #ExecStart=$(PREFIX)/bin/sqa #' systemd/sqa.service > $(DESTDIR)$(UNITDIR)/sqa.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/sqa.service
	install -m 0644 systemd/sqa.sysusers $(DESTDIR)$(SYSUSERSDIR)/sqa.conf
	install -m 0644 systemd/sqa.tmpfiles $(DESTDIR)$(TMPFILESDIR)/sqa.conf
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -d -m 0750 $(DESTDIR)/etc/sqa
	install -d -m 0700 $(DESTDIR)/etc/sqa/credentials
	@if [ -e $(DESTDIR)/etc/sqa/sqa.toml ]; then echo "kept $(DESTDIR)/etc/sqa/sqa.toml"; \
	else install -m 0640 examples/sqa.toml $(DESTDIR)/etc/sqa/sqa.toml && echo "wrote $(DESTDIR)/etc/sqa/sqa.toml: edit it"; fi
	@if [ ! -e $(DESTDIR)/etc/sqa/credentials/token-key ]; then (umask 077; \
	  $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(32))' > $(DESTDIR)/etc/sqa/credentials/token-key) \
	  && echo "made $(DESTDIR)/etc/sqa/credentials/token-key (never replace it: it signs the unsubscribe links)"; fi
	@if [ -z "$(DESTDIR)" ]; then \
	  systemd-sysusers $(SYSUSERSDIR)/sqa.conf && systemd-tmpfiles --create $(TMPFILESDIR)/sqa.conf \
	  && chgrp sqa /etc/sqa/sqa.toml; \
	else echo "staged in $(DESTDIR): systemd-sysusers and systemd-tmpfiles --create run at the real install"; fi
	@echo "next: put the mailbox passwords in /etc/sqa/credentials/imap-password and smtp-password (mode 0600),"
	@echo "      check with: $(PREFIX)/bin/sqa config check --config /etc/sqa/sqa.toml"
	@echo "      then: systemctl daemon-reload && systemctl enable --now sqa"
