# rftpd — build, run a demo, test, install.
PREFIX  ?= /usr/local
DESTDIR ?=
CARGO   ?= cargo
SBINDIR  = $(DESTDIR)$(PREFIX)/sbin
CONFDIR  = $(DESTDIR)/etc/rftpd
UNITDIR  = $(DESTDIR)$(PREFIX)/lib/systemd/system

.PHONY: all build run test lint check-jail install uninstall clean

all: build

build:
	$(CARGO) build --release --locked

# A demo server on 127.0.0.1:2121 (no root needed): anonymous read-only plus
# a read-write user "demo" whose password is printed at start.
run:
	$(CARGO) run --release --locked -- demo target/rftpd-demo

# Every test: unit tests, integration tests against the real binary, and
# interop tests with curl, lftp, wget, tnftp, Python ftplib and suppaftp.
test: check-jail
	$(CARGO) test --locked --all-targets

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

# Only src/jail/ may take a path to the kernel (STYLE.md habit 4).
check-jail:
	@if grep -rnE '(^|[^A-Za-z])File::(open|create)|OpenOptions|std::fs::(read|write|remove|rename|create_dir|metadata|symlink_metadata|canonicalize)' src/ftp src/server; then \
		echo "error: file-system access outside src/jail/ (see STYLE.md)"; exit 1; fi

install: build
	install -d $(SBINDIR) $(CONFDIR) $(UNITDIR)
	install -m 755 target/release/rftpd $(SBINDIR)/rftpd
	test -e $(CONFDIR)/rftpd.conf || install -m 644 etc/rftpd.conf $(CONFDIR)/rftpd.conf
	test -e $(CONFDIR)/rftpd.users || install -m 600 etc/rftpd.users $(CONFDIR)/rftpd.users
	install -m 644 systemd/rftpd.service $(UNITDIR)/rftpd.service

uninstall:
	rm -f $(SBINDIR)/rftpd $(UNITDIR)/rftpd.service

clean:
	$(CARGO) clean
