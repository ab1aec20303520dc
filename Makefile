# turkchat: build, test and demo on a Debian machine with Swift 6.3.
# `make demo` and `make test` install the Debian packages they need first (as root).

SWIFT ?= swift
PYTHON ?= /usr/bin/python3

.PHONY: all setup build release test demo docs bench clean

all: build

setup:
	@bash scripts/install-deps.sh

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release

# Unit tests, end-to-end tests of the built executables, the browser tests, then boto3 and the AWS CLI
# against the local wire endpoint.
test: setup
	$(SWIFT) build
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	bash Tests/wire/run.sh

demo: setup
	$(SWIFT) build
	bash scripts/demo.sh

# Regenerates man/ and completions/ from the tool specs.
docs:
	TURKCHAT_REGENERATE_DOCS=1 $(SWIFT) test --filter GeneratedDocs

# The serve-chat load test; bench/README.md explains the options and records the figures.
bench: setup
	$(SWIFT) build -c release --product serve-chat
	cd bench && $(SWIFT) build -c release
	cd bench && .build/release/chat-bench --workers 1000 --rate 2000 --duration 8 --warmup 2

clean:
	rm -rf .build bench/.build demo-state
