# dangan — build, test and install.
#
#   make              build ./build/dangan
#   make check        build with AddressSanitizer + UndefinedBehaviorSanitizer, run every test
#   make install PREFIX=/usr/local
#   make readme       rewrite the README's command list from the command table
#   make format | make lint | make clean
#
# Sources are found by folder: every .c in base/ engine/ ingest/ (and its subfolders, e.g.
# ingest/ocr/) index/ retention/ cli/ (and the one .cc, the Xapian shim, in index/) goes into
# libdangan.a; cli/main.c is the program. Sources made from data files are generated into
# $(BUILD)/gen/ and never committed. Every tests/unit/test_*.c is its own cmocka program.

PREFIX ?= /usr/local
CC ?= cc
CXX ?= c++

# harfbuzz-subset cuts the Chinese font down to what a printed PDF uses (cli/pdf_print.c);
# libmicrohttpd and freetype2 are the web interface's HTTP and watermark glyphs (cli/http.c).
# libcrypto (OpenSSL) is SHA-256 only, with the CPU's SHA instructions (base/hash.c).
PKGS := sqlite3 libsodium libcrypto zlib libmagic tesseract lept opencc jansson xapian-core libzip libxml-2.0 uchardet icu-uc icu-i18n \
        harfbuzz-subset libmicrohttpd freetype2
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# libmupdf-dev ships static libraries only and declares none of their dependencies.
MUPDF_LIBS := -lmupdf -lmupdf-third -lharfbuzz -lfreetype -ljbig2dec -lopenjp2 -ljpeg \
              -lgumbo -lmujs -lz -lm
LIBS := $(PKG_LIBS) $(MUPDF_LIBS) -lpthread -lm

WARN := -Wall -Wextra -Werror
CFLAGS_BASE := -std=c11 -D_GNU_SOURCE $(WARN) $(PKG_CFLAGS) -I.
CXXFLAGS_BASE := -std=c++17 -D_GNU_SOURCE $(WARN) $(PKG_CFLAGS) -I.

OPT ?= -O2 -g
SAN := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

LIB_C := $(filter-out cli/main.c,$(wildcard base/*.c engine/*.c ingest/*.c ingest/*/*.c \
                                            index/*.c retention/*.c cli/*.c))
LIB_CXX := $(wildcard index/*.cc)
TEST_SRC := $(wildcard tests/unit/test_*.c)
# A test that must call Xapian itself (test_cjk_ranges.cc) is C++, like the shim it checks.
TEST_CXX_SRC := $(wildcard tests/unit/test_*.cc)

# BUILD is the output folder; `make check` re-invokes make with BUILD=build/check and
# sanitizer flags so the two builds never mix objects.
BUILD ?= build
MODE_FLAGS ?= $(OPT)

# Generated sources (rules below), compiled beside themselves in $(BUILD)/gen/.
GEN_C := $(BUILD)/gen/ingest/starter_corpus.c $(BUILD)/gen/index/thesaurus.c
GEN_OBJ := $(GEN_C:.c=.o)

LIB_OBJ := $(LIB_C:%.c=$(BUILD)/obj/%.o) $(LIB_CXX:%.cc=$(BUILD)/obj/%.o) $(GEN_OBJ)

# The sanitizer (test) build also compiles the failure-injection points (base/fault.h)
# and, in engine/, counts every allocation as one (base/fault_alloc.h); the normal
# build has neither.
ifneq ($(findstring -fsanitize,$(MODE_FLAGS)),)
FAULT_FLAGS := -DDG_FAULT_INJECTION
$(BUILD)/obj/engine/%.o: FAULT_ALLOC := -include base/fault_alloc.h
# fileio.c and buf.c moved down from engine/ to base/; their allocations stay counted as
# they were (buf.c grows the access log's entry bytes).
$(BUILD)/obj/base/fileio.o: FAULT_ALLOC := -include base/fault_alloc.h
$(BUILD)/obj/base/buf.o: FAULT_ALLOC := -include base/fault_alloc.h
endif
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%) \
            $(TEST_CXX_SRC:tests/unit/%.cc=$(BUILD)/tests/%)

.PHONY: all check unit e2e install format lint clean deps test-bins bench readme

all: $(BUILD)/dangan

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(MODE_FLAGS) $(FAULT_FLAGS) $(FAULT_ALLOC) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.cc
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS_BASE) $(MODE_FLAGS) $(FAULT_FLAGS) -MMD -MP -c $< -o $@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(CFLAGS_BASE) $(MODE_FLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libdangan.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

# Linked with the C++ driver: the Xapian shim needs the C++ runtime.
$(BUILD)/dangan: $(BUILD)/obj/cli/main.o $(BUILD)/libdangan.a
	$(CXX) $(MODE_FLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libdangan.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(MODE_FLAGS) $(FAULT_FLAGS) -MMD -MP -c $< -o $@.o
	$(CXX) $(MODE_FLAGS) -o $@ $@.o $(BUILD)/libdangan.a $(LIBS) -lcmocka

$(BUILD)/tests/%: tests/unit/%.cc $(BUILD)/libdangan.a
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS_BASE) $(MODE_FLAGS) $(FAULT_FLAGS) -MMD -MP -c $< -o $@.o
	$(CXX) $(MODE_FLAGS) -o $@ $@.o $(BUILD)/libdangan.a $(LIBS) -lcmocka

test-bins: $(BUILD)/dangan $(TEST_BIN)

# The classifier's starter corpus is compiled into the program (ingest/starter_corpus.h);
# editing ingest/corpus/train.jsonl regenerates it. xxd comes from scripts/install-deps.sh.
$(BUILD)/gen/ingest/starter_corpus.c: ingest/corpus/train.jsonl scripts/embed-bytes.sh
	scripts/embed-bytes.sh $< $@ ingest/starter_corpus.h 'unsigned char' \
	    dg_starter_corpus dg_starter_corpus_len

# The shipped thesaurus is compiled into the program too (index/thesaurus.h).
$(BUILD)/gen/index/thesaurus.c: index/thesaurus.txt scripts/embed-bytes.sh
	scripts/embed-bytes.sh $< $@ index/thesaurus.h char dg_thesaurus_text dg_thesaurus_len

# The sanitizer build and every test: unit tests, then end-to-end tests on the real binary.
check:
	@$(MAKE) --no-print-directory -j$$(nproc) BUILD=build/check MODE_FLAGS="$(SAN)" test-bins
	@BUILD=build/check scripts/run-tests.sh

# The README's command list is made from the command table (cli/commands.c).
readme: $(BUILD)/dangan
	scripts/readme-commands.sh $(BUILD)/dangan README.md

install: $(BUILD)/dangan
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BUILD)/dangan $(DESTDIR)$(PREFIX)/bin/dangan

deps:
	scripts/install-deps.sh

format:
	clang-format -i $(wildcard */*.c */*.h ingest/*/*.c ingest/*/*.h */*.cc tests/unit/*.c)

lint:
	scripts/check-layers.sh
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	    --std=c11 -D_GNU_SOURCE --suppress=missingIncludeSystem -I. \
	    '-Djson_array_foreach(a,i,v)=for (i = 0; (v = json_array_get(a, i)); i++)' \
	    '-Djson_object_foreach(o,k,v)=for (k = 0; (v = 0);)' \
	    base engine ingest index retention cli
	clang-tidy $(LIB_C) cli/main.c -- $(CFLAGS_BASE)

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(BUILD)/obj/cli/main.d

# Benchmark of the full-text index (not part of `make check`): build/bench/search [N].
bench: $(BUILD)/bench/search $(BUILD)/bench/raw_xapian $(BUILD)/bench/serve $(BUILD)/bench/log \
       $(BUILD)/bench/web $(BUILD)/bench/scale $(BUILD)/bench/batch $(BUILD)/bench/query_dump \
       $(BUILD)/bench/scale_texts $(BUILD)/bench/index_dump

$(BUILD)/bench/search: bench/search.c bench/corpus.h bench/index_doc.h $(BUILD)/libdangan.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(OPT) -c $< -o $@.o
	$(CXX) $(OPT) -o $@ $@.o $(BUILD)/libdangan.a $(LIBS)

# How an archive's costs grow: index bytes per record, indexing rate, search against raw
# Xapian, server throughput and memory, retention review, at each size:
# build/bench/scale [N ...] (default 10000 100000). It runs bench/raw_xapian and build/dangan.
$(BUILD)/bench/scale: bench/scale.c bench/corpus.h bench/index_doc.h bench/proc.h $(BUILD)/libdangan.a \
                      | $(BUILD)/bench/raw_xapian $(BUILD)/dangan
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(OPT) -c $< -o $@.o
	$(CXX) $(OPT) -o $@ $@.o $(BUILD)/libdangan.a $(LIBS)

# A kept bench/scale archive's texts as object files, so that reindex reads them:
# build/bench/scale_texts ARCHIVE N.
$(BUILD)/bench/scale_texts: bench/scale_texts.c bench/corpus.h bench/index_doc.h $(BUILD)/libdangan.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(OPT) -c $< -o $@.o
	$(CXX) $(OPT) -o $@ $@.o $(BUILD)/libdangan.a $(LIBS)

# Every search result printed, to compare two builds on one index, or timed by CPU:
# build/bench/query_dump gen|dump|time|seq ... (see the file).
$(BUILD)/bench/query_dump: bench/query_dump.c bench/corpus.h bench/index_doc.h $(BUILD)/libdangan.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(OPT) -c $< -o $@.o
	$(CXX) $(OPT) -o $@ $@.o $(BUILD)/libdangan.a $(LIBS)

# Every document of an index, to compare two builds' indexing of the same records byte for
# byte: build/bench/index_dump INDEX [--ids] (see the file).
$(BUILD)/bench/index_dump: bench/index_dump.cc
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS_BASE) $(OPT) -o $@ $< $(LIBS)

$(BUILD)/bench/raw_xapian: bench/raw_xapian.cc bench/corpus.h
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS_BASE) $(OPT) -o $@ $< $(LIBS)

# Searches through `dangan serve` against direct mode: build/bench/serve [N] [SECONDS].
$(BUILD)/bench/serve: bench/serve.c bench/corpus.h bench/site.h bench/proc.h $(BUILD)/libdangan.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(OPT) -c $< -o $@.o
	$(CXX) $(OPT) -o $@ $@.o $(BUILD)/libdangan.a $(LIBS)

# The search page through HTTP against the socket, and 50 sessions at once: build/bench/web [N] [SECONDS].
$(BUILD)/bench/web: bench/web.c bench/corpus.h bench/site.h $(BUILD)/libdangan.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(OPT) -c $< -o $@.o
	$(CXX) $(OPT) -o $@ $@.o $(BUILD)/libdangan.a $(LIBS)

# The access log's costs (append, proof, verify, bytes per search): build/bench/log [N] [DIR].
$(BUILD)/bench/log: bench/log.c $(BUILD)/libdangan.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(OPT) -c $< -o $@.o
	$(CXX) $(OPT) -o $@ $@.o $(BUILD)/libdangan.a $(LIBS)

# A born-digital ingest batch of the bench corpus (text files and manifest.csv), for
# bench/reindex.sh: build/bench/batch DIR N [FIRST].
$(BUILD)/bench/batch: bench/batch.c bench/corpus.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(OPT) -o $@ $<
