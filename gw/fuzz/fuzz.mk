# fuzz.mk - libFuzzer targets (gw/fuzz/*.c), included by the top Makefile.
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="dns tls"] [FUZZ_FLAGS=...]
#	builds every target with clang (-fsanitize=fuzzer,address,undefined,
#	objects in $(BUILD)/fuzz/), makes seed corpora from the captures and the
#	policies, and runs the targets one after the other for FUZZ_SECONDS each.
#	New inputs go to $(BUILD)/fuzz/corpus-T/, crashes to artifacts-T/, the
#	whole output to T.log.
#   $(FUZZ_REGRESS) (make fuzz-regress): the same targets built with $(CC) and
#	gw/fuzz/driver.c, which gw/tests/fuzz_regress.sh runs over
#	gw/fuzz/corpus/T/ in `make test`.

FUZZ_ALL	:= frame dns tls http stream policy capture
FUZZ_TARGETS	?= $(FUZZ_ALL)
FUZZ_SECONDS	?= 60
# a policy may run 10M Lua instructions (or 10 s) at load, more under ASan
FUZZ_TIMEOUT	?= 30
FUZZ_FLAGS	?=
FUZZ_CC		?= clang
FUZZ_DIR	:= $(BUILD)/fuzz
FUZZ_SAN	:= -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer
FUZZ_CFLAGS	= -std=c11 -D_GNU_SOURCE -O1 -g $(WARN) $(WERROR) $(PKG_CFLAGS) \
		  -Igw $(FUZZ_SAN) -MMD -MP
# common.c gives the engine a small DNS table
FUZZ_WRAP	:= -Wl,--wrap=dnscache_new
FUZZ_OBJS	:= $(LIBSRCS:gw/%.c=$(FUZZ_DIR)/gw/%.o)
FUZZ_BINS	= $(FUZZ_TARGETS:%=$(FUZZ_DIR)/%)
FUZZ_REGRESS	:= $(FUZZ_ALL:%=$(BUILD)/fuzz-regress/%)
FUZZ_CAPTURES	:= $(wildcard pcap-tests/*/capture.*) \
		   $(wildcard ../shared/pcaps/*.pcap ../shared/pcaps/*.pcapng)
FUZZ_POLICIES	:= $(wildcard rules/*.lua lua/*.lua pcap-tests/*/policy.lua \
		   tools/*.lua tools/bench/*.lua gw/fuzz/*.lua)

.PHONY: fuzz-build fuzz-regress

# One line when clang cannot link a libFuzzer target, not a page of link errors.
$(FUZZ_DIR)/.fuzzer-ok:
	@mkdir -p $(FUZZ_DIR)
	@printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >$(FUZZ_DIR)/probe.c
	@$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $(FUZZ_DIR)/probe \
	    $(FUZZ_DIR)/probe.c >/dev/null 2>&1 || { echo "make fuzz: $(FUZZ_CC)" \
	    "cannot link -fsanitize=fuzzer: install clang and its fuzzer runtime" \
	    "(Debian: libclang-rt-14-dev)" >&2; exit 1; }
	@touch $@

$(FUZZ_DIR)/gw/%.o: gw/%.c | $(DEPS_STAMP) $(FUZZ_DIR)/.fuzzer-ok
	@mkdir -p $(dir $@)
	$(call say,FUZZCC,$<)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/obj/%.o: gw/fuzz/%.c | $(DEPS_STAMP) $(FUZZ_DIR)/.fuzzer-ok
	@mkdir -p $(dir $@)
	$(call say,FUZZCC,$<)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_ALL:%=$(FUZZ_DIR)/%): $(FUZZ_DIR)/%: $(FUZZ_DIR)/obj/%.o \
    $(FUZZ_DIR)/obj/common.o $(FUZZ_OBJS)
	$(call say,LD,$@)
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) $(FUZZ_WRAP) -o $@ $^ \
	    $(PKG_LIBS) -lm

fuzz-build: $(FUZZ_BINS)

# Seeds: frames and handshake bytes out of the captures (mkseeds), whole or
# cut captures, the policies as they are.
$(FUZZ_DIR)/mkseeds: $(BUILD)/fuzz-regress/seeds.o $(BUILD)/gw/pkt.o $(BUILD)/gw/addr.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(FUZZ_DIR)/seeds.stamp: $(FUZZ_DIR)/mkseeds $(FUZZ_CAPTURES) $(FUZZ_POLICIES)
	@rm -rf $(FUZZ_DIR)/seeds-*
	@$(FUZZ_DIR)/mkseeds $(FUZZ_DIR) $(FUZZ_CAPTURES)
	@mkdir -p $(FUZZ_DIR)/seeds-policy
	@for f in $(FUZZ_POLICIES); do \
		cp "$$f" "$(FUZZ_DIR)/seeds-policy/$$(echo "$$f" | tr / _)"; \
	done
	@touch $@

# One target at a time (the machine is shared); a crash does not stop the
# others, and fails the whole at the end.
fuzz: $(FUZZ_BINS) $(FUZZ_DIR)/seeds.stamp
	@fail=""; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_DIR)/corpus-$$t $(FUZZ_DIR)/artifacts-$$t \
		    $(FUZZ_DIR)/seeds-$$t; \
		dict=""; [ -f gw/fuzz/$$t.dict ] && dict=-dict=gw/fuzz/$$t.dict; \
		kept=""; [ -d gw/fuzz/corpus/$$t ] && kept=gw/fuzz/corpus/$$t; \
		echo "fuzz: $$t, $(FUZZ_SECONDS) s (log: $(FUZZ_DIR)/$$t.log)"; \
		$(FUZZ_DIR)/$$t -max_total_time=$(FUZZ_SECONDS) \
		    -timeout=$(FUZZ_TIMEOUT) -rss_limit_mb=2048 \
		    -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/artifacts-$$t/ \
		    $$dict $(FUZZ_FLAGS) $(FUZZ_DIR)/corpus-$$t $(FUZZ_DIR)/seeds-$$t \
		    $$kept >$(FUZZ_DIR)/$$t.log 2>&1; \
		rc=$$?; \
		grep -E '^#[0-9]+.*(DONE|cov:)' $(FUZZ_DIR)/$$t.log | tail -n 1 | \
		    sed "s/^/fuzz: $$t: /"; \
		grep -E '^stat::number_of_executed_units' $(FUZZ_DIR)/$$t.log | \
		    sed "s/^/fuzz: $$t: /"; \
		if [ $$rc -ne 0 ]; then \
			grep -E 'ERROR|SUMMARY|invariant|Test unit written|exiting' \
			    $(FUZZ_DIR)/$$t.log | sed "s/^/fuzz: $$t: /"; \
			fail="$$fail $$t"; \
		fi; \
	done; \
	if [ -n "$$fail" ]; then \
		echo "fuzz: failed:$$fail (reproducers in $(FUZZ_DIR)/artifacts-*)"; \
		exit 1; \
	fi

# The regression build: the normal compiler and flags, no libFuzzer.
$(BUILD)/fuzz-regress/%.o: gw/fuzz/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS) -Igw -c $< -o $@

$(FUZZ_REGRESS): $(BUILD)/fuzz-regress/%: $(BUILD)/fuzz-regress/%.o \
    $(BUILD)/fuzz-regress/common.o $(BUILD)/fuzz-regress/driver.o $(LIBOBJS)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $(FUZZ_WRAP) -o $@ $^ $(LDLIBS)

fuzz-regress: $(FUZZ_REGRESS)

-include $(wildcard $(FUZZ_DIR)/gw/*.d $(FUZZ_DIR)/obj/*.d $(BUILD)/fuzz-regress/*.d)
