/*
 * common.c - what several fuzz targets share: the invariant check, an
 * in-memory file for the code that reads by path, and the built-in policy.
 * Nothing here may keep state from one input that changes the next one's result.
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lua.h>

#include "common.h"
#include "dnscache.h"
#include "lua_rt.h"

void
fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
	abort();
}

const char *
fuzz_path(const char *rel, char *buf, size_t len)
{
	const char *top = getenv("OUTGATE_TOP");

	if (top == NULL || *top == '\0')
		return rel;
	snprintf(buf, len, "%s/%s", top, rel);
	return buf;
}

const char *
fuzz_lua_dir(void)
{
	static char buf[4096];
	const char *env = getenv("OUTGATE_LUA_DIR");

	if (env != NULL && *env != '\0')
		return env;
	return fuzz_path("lua", buf, sizeof(buf));
}

int
fuzz_file_open(struct fuzz_file *ff, const char *name)
{
	if ((ff->fd = memfd_create(name, MFD_CLOEXEC)) == -1) {
		fprintf(stderr, "fuzz: memfd_create: %s\n", strerror(errno));
		return -1;
	}
	snprintf(ff->path, sizeof(ff->path), "/proc/self/fd/%d", ff->fd);
	return 0;
}

int
fuzz_file_put(struct fuzz_file *ff, const uint8_t *data, size_t size)
{
	size_t off = 0;
	ssize_t n;

	if (ftruncate(ff->fd, 0) == -1)
		return -1;
	while (off < size) {
		if ((n = pwrite(ff->fd, data + off, size - off, (off_t)off)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

struct policy *
fuzz_policy(const char *rel)
{
	struct policy *pol;
	char path[4096], err[1024];

	if (policy_load(&pol, fuzz_path(rel, path, sizeof(path)), fuzz_lua_dir(),
	    err, sizeof(err)) == -1) {
		fprintf(stderr, "fuzz: %s (run from the top of the tree, or set "
		    "OUTGATE_TOP)\n", err);
		exit(2);
	}
	return pol;
}

void
fuzz_policy_gc(struct policy *pol)
{
	lua_gc(luart_state(pol->lua), LUA_GCCOLLECT);
}

/*
 * Every fuzz link has -Wl,--wrap=dnscache_new: the engine's DNS table at its
 * default size (65,536 entries, 6 MB set up) would cost twenty times what
 * deciding an input's frames does, and a small one gets full, so that its
 * eviction is fuzzed too.
 */
struct dnscache *__real_dnscache_new(const struct dnscache_opts *);
struct dnscache *__wrap_dnscache_new(const struct dnscache_opts *);

struct dnscache *
__wrap_dnscache_new(const struct dnscache_opts *o)
{
	struct dnscache_opts d;

	memset(&d, 0, sizeof(d));
	if (o != NULL)
		d = *o;
	d.max_entries = FUZZ_DNS_ENTRIES;
	return __real_dnscache_new(&d);
}
