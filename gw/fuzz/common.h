/*
 * common.h - helpers the fuzz targets share (common.c): paths from the top
 * of the tree, an in-memory file, the built-in policy.  Fuzz builds only.
 */
#ifndef OUTGATE_FUZZ_COMMON_H
#define OUTGATE_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"
#include "pkt.h"
#include "policy.h"

/* The frame target's link types, by the number its first byte gives (seeds.c too). */
#define FUZZ_LINKS {							\
	PKT_LINK_ETHERNET, PKT_LINK_RAW, PKT_LINK_IP, PKT_LINK_SLL,	\
	PKT_LINK_SLL2, PKT_LINK_NULL, PKT_LINK_LOOP, PKT_LINK_IPV4,	\
	PKT_LINK_IPV6,							\
}

/*
 * A broken invariant: one line naming it, then abort() so that libFuzzer
 * and the regression driver both see a crash.
 */
#define FUZZ_ASSERT(x) do {						\
	if (!(x))							\
		fuzz_fail(__FILE__, __LINE__, #x);			\
} while (0)

void	fuzz_fail(const char *file, int line, const char *what)
	    __attribute__((noreturn));

/* The engine's DNS table in a fuzz build (see __wrap_dnscache_new). */
#define FUZZ_DNS_ENTRIES	64

/* A memfd that code reading by path opens as /proc/self/fd/N. */
struct fuzz_file {
	int		fd;
	char		path[32];
};

/* rel under $OUTGATE_TOP when set, else rel itself (run from the top). */
const char *fuzz_path(const char *rel, char *buf, size_t len);
/* Where require finds modules: $OUTGATE_LUA_DIR, else lua/ at the top. */
const char *fuzz_lua_dir(void);

int	fuzz_file_open(struct fuzz_file *ff, const char *name);
/* Make the file's content exactly data[0..size). */
int	fuzz_file_put(struct fuzz_file *ff, const uint8_t *data, size_t size);

/* Load the policy at rel (from the top) or exit(2) with the error. */
struct policy *fuzz_policy(const char *rel);
/*
 * Collect the garbage of the policy's Lua state (its checks ran): libFuzzer
 * scans for leaks after every input that freed less than it allocated.
 */
void	fuzz_policy_gc(struct policy *pol);

#endif
