# rftpd: build, run a demo, test, install.
PREFIX  ?= /usr/local
DESTDIR ?=
CARGO   ?= cargo
# Cargo features for `make build`/`make install`, e.g. FEATURES=pam.
FEATURES ?=
# The binaries `make install` copies; set them to install a build made elsewhere.
BINARY  ?= target/release/rftpd
TFTP_BINARY ?= $(dir $(BINARY))rtftpd
SBINDIR  = $(DESTDIR)$(PREFIX)/sbin
CONFDIR  = $(DESTDIR)/etc/rftpd
UNITDIR  = $(DESTDIR)$(PREFIX)/lib/systemd/system
MANDIR   = $(DESTDIR)$(PREFIX)/share/man
DOCDIR   = $(DESTDIR)$(PREFIX)/share/doc/rftpd
ROTATEDIR = $(DESTDIR)/etc/logrotate.d
UNITS    = rftpd.service rftpd.socket rftpd-inetd.socket rftpd-inetd@.service rtftpd.service rtftpd.socket

.PHONY: all build run test lint check-jail install uninstall clean bench bench-peers bench-idle bench-metrics mutants

all: build

build:
	$(CARGO) build --release --locked $(if $(FEATURES),--features $(FEATURES))

# A demo server on 127.0.0.1:$(PORT) (no root needed): anonymous read-only
# plus a read-write user "demo" whose password is printed at start. Builds
# both daemons (rtftpd too, to try with -o options of its own).
PORT ?= 2121
run:
	$(CARGO) build --release --locked --bins
	target/release/rftpd demo -o listen_port=$(PORT) target/rftpd-demo

# Every test: unit tests, integration tests against the real binary, and
# interop tests with curl, lftp, wget, tnftp, Python ftplib and suppaftp;
# then the PAM build (feature pam, needs libpam0g-dev) and its tests.
test: check-jail
	$(CARGO) test --locked --all-targets
	@if [ -n "$$CI" ] || [ -e /usr/include/security/pam_appl.h ]; then \
		echo "$(CARGO) test --locked --features pam --test it -- --exact accounts::pam_checks_system_accounts"; \
		$(CARGO) test --locked --features pam --test it -- --exact accounts::pam_checks_system_accounts; \
	else echo "SKIPPED: the pam feature's tests (install libpam0g-dev)"; fi

# Side-by-side benchmarks (never part of `make test`): rftpd vs vsftpd,
# ProFTPD and Pure-FTPd in the clear and over FTPS, then rtftpd vs
# tftpd-hpa and atftpd. Needs root
# (the peers run as root and chroot). vsftpd and tftpd-hpa come from apt
# when missing (a policy-rc.d keeps their services stopped); ProFTPD,
# Pure-FTPd and atftpd conflict with them as packages, so bench-peers
# unpacks theirs under target/bench-peers and installs only the libraries
# they link. `make bench-idle` holds IDLE (default 10000) idle sessions.
BENCH = $(CARGO) run --release --manifest-path bench/Cargo.toml --
IDLE ?= 10000
PEERS = target/bench-peers
PEER_DEBS = proftpd-core proftpd-mod-crypto pure-ftpd atftpd
PEER_LIBS = libwrap0 libhiredis0.14 libmemcached11 libmemcachedutil2 libpcre2-posix3 libsodium23 libidn2-0 libcap2

bench-peers:
	@if ! command -v vsftpd >/dev/null || ! command -v in.tftpd >/dev/null || [ ! -e $(PEERS)/usr/lib/proftpd/mod_tls.so ]; then \
		[ -e /usr/sbin/policy-rc.d ] && keep=1 || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; }; \
		apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends vsftpd tftpd-hpa $(PEER_LIBS) >/dev/null; \
		[ -n "$$keep" ] || rm -f /usr/sbin/policy-rc.d; \
		mkdir -p $(PEERS)/debs && cd $(PEERS)/debs && apt-get download $(PEER_DEBS) 2>/dev/null && \
		for d in *.deb; do dpkg -x $$d ..; done; \
	fi

bench: build bench-peers
	$(BENCH) ftp target/release/rftpd
	$(BENCH) ftps target/release/rftpd
	$(BENCH) tftp target/release/rtftpd

# The cost of the metrics endpoint: rftpd with it on (scraped every second)
# against rftpd without, same run.
bench-metrics: build
	$(BENCH) metrics target/release/rftpd

bench-idle: build
	$(BENCH) idle target/release/rftpd $(IDLE)

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --locked --all-targets -- -D warnings
	$(CARGO) clippy --locked --all-targets --features pam -- -D warnings

# Only src/jail/ may take a client's path to the kernel (src/jail/mod.rs says
# why). ftp/preflight.rs, daemon/pidfile.rs and ftp/admin_socket.rs are left out:
# they touch only files the admin's config names.
check-jail:
	@if grep -rnE '(^|[^A-Za-z])File::(open|create)|OpenOptions|std::fs::(read|write|remove|rename|create_dir|metadata|symlink_metadata|canonicalize)' src/ftp src/daemon src/tftp --exclude=preflight.rs --exclude=pidfile.rs --exclude=admin_socket.rs; then \
		echo "error: file-system access outside src/jail/ (see src/jail/mod.rs)"; exit 1; fi

# What `make install` does, like a distribution package: stripped binaries,
# units and examples with PREFIX substituted, man pages, config files only
# where none exist yet (they are the admin's), /srv/ftp and /srv/tftp, and
# (on the real system, not into DESTDIR) the `ftp` system account that
# anonymous and virtual sessions run as and the `tftp` account rtftpd runs
# as, when they are missing.
SUBST    = sed 's|@SBINDIR@|$(PREFIX)/sbin|g'
CONFIGS  = /etc/rftpd/rftpd.conf:etc/rftpd.conf:644 /etc/rftpd/rtftpd.conf:etc/rtftpd.conf:644 \
	/etc/rftpd/rftpd.users:etc/rftpd.users:600 /etc/logrotate.d/rftpd:etc/logrotate.d/rftpd:644 \
	/etc/pam.d/rftpd:etc/pam.d/rftpd:644 \
	/etc/fail2ban/filter.d/rftpd.conf:etc/fail2ban/filter.d/rftpd.conf:644 \
	/etc/fail2ban/jail.d/rftpd.conf:etc/fail2ban/jail.d/rftpd.conf:644
install: $(if $(filter target/release/rftpd,$(BINARY)),build)
	install -d $(SBINDIR) $(CONFDIR) $(UNITDIR) $(MANDIR)/man5 $(MANDIR)/man8 $(DOCDIR)/xinetd.d $(ROTATEDIR) $(DESTDIR)/etc/pam.d \
		$(DESTDIR)/etc/fail2ban/filter.d $(DESTDIR)/etc/fail2ban/jail.d
	install -d -m 755 $(DESTDIR)/srv/ftp $(DESTDIR)/srv/tftp
	install -s -m 755 $(BINARY) $(SBINDIR)/rftpd
	install -s -m 755 $(TFTP_BINARY) $(SBINDIR)/rtftpd
	@for c in $(CONFIGS); do \
		dest=$(DESTDIR)$${c%%:*}; rest=$${c#*:}; src=$${rest%%:*}; mode=$${rest#*:}; \
		if [ -e "$$dest" ]; then echo "kept $$dest (already there)"; \
		else install -m $$mode "$$src" "$$dest"; fi; \
	done
	for u in $(UNITS); do $(SUBST) systemd/$$u > $(UNITDIR)/$$u && chmod 644 $(UNITDIR)/$$u; done
	install -m 644 etc/man/rftpd.8 etc/man/rtftpd.8 $(MANDIR)/man8/
	install -m 644 etc/man/rftpd.conf.5 etc/man/rftpd.users.5 $(MANDIR)/man5/
	$(SUBST) etc/inetd.conf.example > $(DOCDIR)/inetd.conf.example && chmod 644 $(DOCDIR)/inetd.conf.example
	$(SUBST) etc/xinetd.d/rftpd > $(DOCDIR)/xinetd.d/rftpd && chmod 644 $(DOCDIR)/xinetd.d/rftpd
	@if [ -z "$(DESTDIR)" ] && ! getent passwd ftp >/dev/null; then \
		useradd --system --user-group --home-dir /srv/ftp --no-create-home \
			--shell /usr/sbin/nologin --comment "rftpd anonymous and virtual users" ftp && \
		echo "created the system account ftp (home /srv/ftp, no login shell)"; fi
	@if [ -z "$(DESTDIR)" ] && ! getent passwd tftp >/dev/null; then \
		useradd --system --user-group --home-dir /srv/tftp --no-create-home \
			--shell /usr/sbin/nologin --comment "rtftpd" tftp && \
		echo "created the system account tftp (home /srv/tftp, no login shell)"; fi

# Removes everything `make install` put there except config the admin has
# changed (it says which it kept), the ftp and tftp accounts and /srv/ftp, /srv/tftp
# (they may hold data), and the logs.
uninstall:
	rm -f $(SBINDIR)/rftpd $(SBINDIR)/rtftpd $(MANDIR)/man8/rftpd.8 $(MANDIR)/man8/rtftpd.8
	rm -f $(MANDIR)/man5/rftpd.conf.5 $(MANDIR)/man5/rftpd.users.5
	for u in $(UNITS); do rm -f $(UNITDIR)/$$u; done
	rm -rf $(DOCDIR)
	@for c in $(CONFIGS); do \
		dest=$(DESTDIR)$${c%%:*}; rest=$${c#*:}; src=$${rest%%:*}; \
		if [ ! -e "$$dest" ]; then continue; \
		elif cmp -s "$$src" "$$dest"; then rm -f "$$dest"; \
		else echo "kept $$dest (changed since it was installed)"; fi; \
	done
	@rmdir $(CONFDIR) 2>/dev/null || true
	@echo "left the ftp and tftp accounts, /srv/ftp, /srv/tftp and the logs in /var/log (they may hold data)"

clean:
	$(CARGO) clean

# Mutation testing of the security-relevant code (cargo install cargo-mutants);
# results and the reasons for missed mutants are in docs/TESTING.md.
MUTANTS_FILES = src/jail src/auth src/ftp/data.rs src/daemon/admission.rs src/ftp/postlogin
mutants:
	cargo mutants --no-shuffle $(foreach f,$(MUTANTS_FILES),--file '$(f)/**' --file '$(f)') -- --test-threads 4
