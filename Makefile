# handbook - a static site generator for the Handboek Integraal Arrangeren.
#
#   make site      install missing build dependencies, build the generator and
#                  build the handbook from this repository into site/
#   make check     install missing test dependencies and run every test
#                  (also under AddressSanitizer and UndefinedBehaviorSanitizer,
#                  and the incremental and two-thread builds under ThreadSanitizer)
#   make bench     benchmarks, side by side with their peers where installed
#   make fuzz-template FUZZ_SECONDS=60   fuzz the template engine (clang)
#   make fuzz-page FUZZ_SECONDS=60       fuzz the parsing of a contributor's file
#   make install PREFIX=/usr/local DESTDIR=

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
CFLAGS ?= -O2 -g
FUZZ_SECONDS ?= 60

PKGS := yaml-0.1 libcmark-gfm libgit2 libutf8proc libdeflate libxxhash
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# cmark-gfm-extensions and libstemmer ship no pkg-config file on Debian.
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcmark-gfm-extensions -lstemmer -lm -pthread

WARNINGS := -std=c17 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla
ALL_CFLAGS := $(WARNINGS) -D_GNU_SOURCE -pthread $(CFLAGS) $(PKG_CFLAGS) -Isrc -MMD -MP
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# The build has three threads (rendering, history, writing files).
TSANITIZE := -fsanitize=thread -fno-omit-frame-pointer

LIB_SRC := $(filter-out src/main.c,$(wildcard src/*.c))
MAIN_SRC := $(wildcard src/main.c)
TEST_SRC := $(wildcard tests/test_*.c)

LIB_OBJ := $(LIB_SRC:src/%.c=build/obj/%.o)
ASAN_OBJ := $(LIB_SRC:src/%.c=build/asan/%.o)
TSAN_OBJ := $(LIB_SRC:src/%.c=build/tsan/%.o)
TESTS := $(TEST_SRC:tests/%.c=build/tests/%)
ASAN_TESTS := $(TEST_SRC:tests/%.c=build/asan/tests/%)

.PHONY: all site check check-mustache run-checks bench fuzz-template fuzz-page install clean

all: $(if $(MAIN_SRC),build/handbook) $(TESTS)

# The two commands of the README install what they lack first, then run make
# again so that pkg-config sees the libraries it just installed.
site:
	@scripts/install-deps build
	@$(MAKE) --no-print-directory build/handbook
	build/handbook build -o site

check:
	@scripts/install-deps test
	@$(MAKE) --no-print-directory run-checks

run-checks: $(TESTS) $(ASAN_TESTS) $(if $(MAIN_SRC),build/handbook build/asan/handbook build/tsan/handbook)
	@tests/run-checks $(TESTS) $(ASAN_TESTS) \
	    $(if $(MAIN_SRC),tests/test_cli.sh:build/handbook tests/test_cli.sh:build/asan/handbook tests/test_hook.sh:build/handbook tests/test_publish.sh:build/handbook \
	    tests/test_incremental.sh:build/handbook tests/test_incremental.sh:build/asan/handbook \
	    tests/test_incremental.sh:build/tsan/handbook tests/test_parallel.sh:build/handbook \
	    tests/test_parallel.sh:build/asan/handbook tests/test_parallel.sh:build/tsan/handbook \
	    tests/test_history.sh:build/handbook tests/test_history.sh:build/asan/handbook \
	    tests/test_install.sh \
	    tests/test_content.sh tests/test_search_js.sh tests/test_browser.sh)

check-mustache:
	@scripts/install-deps test
	@$(MAKE) --no-print-directory build/tests/test_mustache_spec
	@build/tests/test_mustache_spec tests/mustache-spec

build/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

build/asan/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SANITIZE) -c $< -o $@

build/tsan/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TSANITIZE) -c $< -o $@

build/handbook: build/obj/main.o $(LIB_OBJ)
	$(CC) $(CFLAGS) $^ $(PKG_LIBS) -o $@

build/asan/handbook: build/asan/main.o $(ASAN_OBJ)
	$(CC) $(CFLAGS) $(SANITIZE) $^ $(PKG_LIBS) -o $@

build/tsan/handbook: build/tsan/main.o $(TSAN_OBJ)
	$(CC) $(CFLAGS) $(TSANITIZE) $^ $(PKG_LIBS) -o $@

build/tests/%: tests/%.c $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $< $(LIB_OBJ) $(PKG_LIBS) -o $@

build/asan/tests/%: tests/%.c $(ASAN_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SANITIZE) $< $(ASAN_OBJ) $(PKG_LIBS) -o $@

build/bench/%: bench/%.c $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -O2 $< $(LIB_OBJ) $(PKG_LIBS) -o $@

# The template benchmark, then the 10,000-page site beside Hugo (when installed),
# then its search beside Pagefind (when installed) in headless Chromium.
bench:
	@scripts/install-deps bench
	@$(MAKE) --no-print-directory build/bench/bench_template build/handbook
	build/bench/bench_template
	bench/run-site-bench
	bench/run-search-bench

# libFuzzer needs clang; the fuzz build has its own objects.
FUZZ_FLAGS := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -g -O1 \
    -DTEMPLATE_MAX_STEPS=200000u -DTEMPLATE_MAX_OUTPUT=1048576u
fuzz-template:
	@scripts/install-deps fuzz
	@mkdir -p build/fuzz build/fuzz/corpus-template
	clang $(WARNINGS) -D_GNU_SOURCE $(FUZZ_FLAGS) -Isrc $(PKG_CFLAGS) \
	    tests/fuzz/fuzz_template.c src/template.c src/suggest.c src/value.c src/buf.c src/diag.c src/arena.c \
	    -o build/fuzz/fuzz_template
	build/fuzz/fuzz_template -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 \
	    -artifact_prefix=build/fuzz/ build/fuzz/corpus-template tests/fuzz/corpus-template

# The parse stage on one contributor's file: front matter, YAML, schema, Markdown.
fuzz-page:
	@scripts/install-deps fuzz
	@mkdir -p build/fuzz build/fuzz/corpus-page
	clang $(WARNINGS) -D_GNU_SOURCE $(FUZZ_FLAGS) -Isrc $(PKG_CFLAGS) \
	    tests/fuzz/fuzz_page.c src/markdown.c src/yamlvalue.c src/schema.c src/config.c \
	    src/suggest.c src/value.c src/buf.c src/diag.c src/arena.c $(PKG_LIBS) \
	    -o build/fuzz/fuzz_page
	build/fuzz/fuzz_page -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=10 \
	    -artifact_prefix=build/fuzz/ build/fuzz/corpus-page tests/fuzz/corpus-page

install: build/handbook
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 build/handbook $(DESTDIR)$(PREFIX)/bin/handbook
	install -m 644 doc/handbook.1 $(DESTDIR)$(PREFIX)/share/man/man1/handbook.1

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(ASAN_OBJ:.o=.d) $(TSAN_OBJ:.o=.d) \
    $(wildcard build/obj/main.d build/asan/main.d build/tsan/main.d)
