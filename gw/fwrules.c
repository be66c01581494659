/*
 * fwrules.c - the kernel rules for the queue: rendered as iptables-restore
 * input and applied one transaction a family.  Must never touch a rule or
 * chain that is not ours, and never run a shell.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "fwrules.h"

extern char **environ;

#define CHAIN_OUT	"OUTGATE_OUT"
#define CHAIN_IN	"OUTGATE_IN"
#define CHAIN_FWD	"OUTGATE_FWD"
#define TAG		"-m comment --comment \"" FWRULES_COMMENT "\""

/* How long one iptables child may take; it waits up to WAIT_S for the xtables lock. */
#define RUN_TIMEOUT_MS	30000
#define WAIT_S		"5"
/* A listing larger than this is refused rather than held (kube-proxy's are megabytes). */
#define LISTING_MAX	(256u << 20)
/* Where iptables lives when PATH lacks the sbin directories (a user's PATH under sudo -E). */
#define SBIN_FALLBACK	"/usr/local/sbin:/usr/sbin:/sbin"

static const char *const our_chains[] = { CHAIN_OUT, CHAIN_IN, CHAIN_FWD };
#define NCHAINS	(sizeof(our_chains) / sizeof(our_chains[0]))

enum hook { HOOK_OUT, HOOK_IN, HOOK_FWD };

static void append(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Adds to a message already in err. */
static void
append(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	size_t l;

	if (err == NULL || errlen == 0)
		return;
	l = strnlen(err, errlen - 1);
	va_start(ap, fmt);
	vsnprintf(err + l, errlen - l, fmt, ap);
	va_end(ap);
}

const char *
fwrules_backend_name(enum fwrules_backend b)
{
	switch (b) {
	case FWRULES_AUTO:	return "auto";
	case FWRULES_IPTABLES:	return "iptables";
	case FWRULES_NFT:	return "nft";
	case FWRULES_NONE:	return "none";
	}
	return "?";
}

int
fwrules_marks(uint32_t mask, uint32_t *accept, uint32_t *drop, uint32_t *reject)
{
	uint32_t u;
	uint64_t run;

	if (mask == 0)
		return -1;
	u = mask & -mask;
	run = (uint64_t)(mask / u);	/* the mask shifted down to bit 0 */
	/* contiguous: run is 2^k - 1; at least two bits: run >= 3 */
	if ((run & (run + 1)) != 0 || run < 3)
		return -1;
	if (accept != NULL)
		*accept = u;
	if (drop != NULL)
		*drop = 2 * u;
	if (reject != NULL)
		*reject = 3 * u;
	return 0;
}

static uint32_t
mask_of(const struct fwrules_opts *o)
{
	return o->mark_mask != 0 ? o->mark_mask : FWRULES_MARK_MASK_DEFAULT;
}

/* Options that render cannot turn into rules; a one-line reason, or NULL. */
static const char *
opts_problem(const struct fwrules_opts *o)
{
	if (fwrules_marks(mask_of(o), NULL, NULL, NULL) < 0)
		return "the mark mask must be at least two contiguous bits";
	if (o->queue_lo > o->queue_hi)
		return "the first queue number is above the last";
	if ((unsigned)o->backend > FWRULES_NONE)
		return "unknown rules backend";
	if (o->nexempt_uid > FWRULES_EXEMPT_MAX)
		return "too many exempt uids";
	if ((o->exempt_mark & ~o->exempt_mark_mask) != 0)
		return "the exempt mark has bits outside its mask";
	if ((o->exempt_mark & mask_of(o)) != 0)
		return "the exempt mark sets bits of the mark mask (our verdicts)";
	return NULL;
}

/* ---- rendering ---------------------------------------------------------- */

struct out {
	char	*buf;
	size_t	 len, pos;
	bool	 full;
};

static void put(struct out *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct out *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->pos, w->len - w->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= w->len - w->pos) {
		w->full = true;
		return;
	}
	w->pos += (size_t)n;
}

static bool
is_our_chain(const char *name, size_t n)
{
	for (size_t i = 0; i < NCHAINS; i++)
		if (strlen(our_chains[i]) == n && memcmp(our_chains[i], name, n) == 0)
			return true;
	return false;
}

/* Does a rule line (as `iptables -S` prints it, n bytes) carry our comment? */
static bool
has_our_tag(const char *line, size_t n)
{
	static const char *const forms[] = {
		" --comment " FWRULES_COMMENT, " --comment \"" FWRULES_COMMENT "\"",
	};

	for (size_t f = 0; f < 2; f++) {
		size_t fl = strlen(forms[f]);

		for (size_t i = 0; i + fl <= n; i++) {
			if (memcmp(line + i, forms[f], fl) != 0)
				continue;
			/* the whole argument, not a prefix of "outgate-foo" */
			if (i + fl == n || line[i + fl] == ' ')
				return true;
		}
	}
	return false;
}

/*
 * One line of a listing, classified.  A chain of ours ("-N OUTGATE_OUT") sets
 * *chain; a rule of ours outside our chains ("-A OUTPUT ... outgate ...") sets
 * *rule.  Rules inside our chains go with the chain.
 */
static void
classify(const char *line, size_t n, const char **chain, size_t *chainlen, bool *rule)
{
	const char *name;
	size_t nl;

	*chain = NULL;
	*rule = false;
	if (n < 4 || line[0] != '-' || line[2] != ' ')
		return;
	name = line + 3;
	nl = 0;
	while (3 + nl < n && name[nl] != ' ')
		nl++;
	if (line[1] == 'N' && is_our_chain(name, nl)) {
		*chain = name;
		*chainlen = nl;
	} else if (line[1] == 'A' && !is_our_chain(name, nl) && has_our_tag(line, n)) {
		*rule = true;
	}
}

/* Calls fn for each line of text (without its newline); stops at a nonzero return. */
static int
each_line(const char *text, int (*fn)(const char *, size_t, void *), void *arg)
{
	const char *p = text;
	int r;

	if (text == NULL)
		return 0;
	while (*p != '\0') {
		const char *e = strchrnul(p, '\n');
		size_t n = (size_t)(e - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		if ((r = fn(p, n, arg)) != 0)
			return r;
		p = *e == '\n' ? e + 1 : e;
	}
	return 0;
}

struct removal {
	struct out	*w;
	const bool	*keep;		/* per our_chains[]: recreated by the install */
};

static int
put_rule_deletion(const char *line, size_t n, void *arg)
{
	struct removal *r = arg;
	const char *chain;
	size_t cl;
	bool rule;

	classify(line, n, &chain, &cl, &rule);
	if (rule)
		put(r->w, "-D%.*s\n", (int)(n - 2), line + 2);
	return 0;
}

static int
put_chain_deletion(const char *line, size_t n, void *arg)
{
	struct removal *r = arg;
	const char *chain;
	size_t cl;
	bool rule;

	classify(line, n, &chain, &cl, &rule);
	if (chain == NULL)
		return 0;
	for (size_t i = 0; i < NCHAINS; i++)
		if (strlen(our_chains[i]) == cl && memcmp(our_chains[i], chain, cl) == 0 &&
		    r->keep[i])
			return 0;	/* its declaration flushes it */
	put(r->w, "-F %.*s\n-X %.*s\n", (int)cl, chain, (int)cl, chain);
	return 0;
}

static void
put_chain(struct out *w, const struct fwrules_opts *o, int family, enum hook h)
{
	const char *ch = h == HOOK_OUT ? CHAIN_OUT : h == HOOK_IN ? CHAIN_IN : CHAIN_FWD;
	uint32_t m = mask_of(o), acc = 0, drop = 0, rej = 0;	/* checked by opts_problem */

	(void)fwrules_marks(m, &acc, &drop, &rej);
	if (!o->include_loopback && h != HOOK_FWD)
		put(w, "-A %s %s lo " TAG " -j RETURN\n", ch, h == HOOK_OUT ? "-o" : "-i");
	/* exempt sockets: their connections marked accepted, replies included */
	for (size_t i = 0; h == HOOK_OUT && i < o->nexempt_uid; i++) {
		put(w, "-A %s -m owner --uid-owner %u " TAG
		    " -j CONNMARK --set-xmark 0x%x/0x%x\n", ch, o->exempt_uid[i], acc, m);
		put(w, "-A %s -m owner --uid-owner %u " TAG " -j RETURN\n", ch,
		    o->exempt_uid[i]);
	}
	if (h == HOOK_OUT && o->exempt_mark_mask != 0) {
		put(w, "-A %s -m mark --mark 0x%x/0x%x " TAG
		    " -j CONNMARK --set-xmark 0x%x/0x%x\n", ch, o->exempt_mark,
		    o->exempt_mark_mask, acc, m);
		put(w, "-A %s -m mark --mark 0x%x/0x%x " TAG " -j RETURN\n", ch,
		    o->exempt_mark, o->exempt_mark_mask);
	}
	/* after NF_REPEAT: keep the daemon's decision in our bits of the connmark */
	put(w, "-A %s -m mark ! --mark 0x0/0x%x " TAG
	    " -j CONNMARK --save-mark --nfmask 0x%x --ctmask 0x%x\n", ch, m, m, m);
	/* conntrack does not track neighbour discovery: it would be INVALID below */
	if (family == 6)
		for (int t = 133; t <= 137; t++)
			put(w, "-A %s -p ipv6-icmp -m icmp6 --icmpv6-type %d -m hl --hl-eq 255 "
			    TAG " -j RETURN\n", ch, t);
	put(w, "-A %s -m conntrack --ctstate INVALID " TAG " -j DROP\n", ch);
	put(w, "-A %s -m connmark --mark 0x%x/0x%x " TAG " -j RETURN\n", ch, acc, m);
	put(w, "-A %s -m connmark --mark 0x%x/0x%x " TAG " -j DROP\n", ch, drop, m);
	put(w, "-A %s -p tcp -m connmark --mark 0x%x/0x%x " TAG
	    " -j REJECT --reject-with tcp-reset\n", ch, rej, m);
	put(w, "-A %s -m connmark --mark 0x%x/0x%x " TAG " -j REJECT --reject-with %s\n",
	    ch, rej, m, family == 6 ? "icmp6-port-unreachable" : "icmp-port-unreachable");
	if (h == HOOK_IN && !o->inbound_possible)
		put(w, "-A %s -m conntrack --ctstate NEW " TAG " -j DROP\n", ch);
	if (o->queue_lo == o->queue_hi)
		put(w, "-A %s " TAG " -j NFQUEUE --queue-num %u%s\n", ch, o->queue_lo,
		    o->fail_open ? " --queue-bypass" : "");
	else
		put(w, "-A %s " TAG " -j NFQUEUE --queue-balance %u:%u%s\n", ch, o->queue_lo,
		    o->queue_hi, o->fail_open ? " --queue-bypass" : "");
}

int
fwrules_render(const struct fwrules_opts *o, int family, const char *current,
    char *buf, size_t len)
{
	struct out w = { buf, len, 0, false };
	bool keep[NCHAINS] = { false, false, false };
	struct removal r = { &w, keep };

	if ((family != 4 && family != 6) || buf == NULL || len == 0)
		return -1;
	if (o != NULL && opts_problem(o) != NULL)
		return -1;
	if (o != NULL) {
		keep[0] = keep[1] = !o->forward;
		keep[2] = o->forward;
	}
	put(&w, "*filter\n");
	for (size_t i = 0; i < NCHAINS; i++)
		if (keep[i])
			put(&w, ":%s - [0:0]\n", our_chains[i]);
	/* stale ones first: jumps, then the chains the jumps led to */
	each_line(current, put_rule_deletion, &r);
	each_line(current, put_chain_deletion, &r);
	if (o != NULL) {
		if (o->forward) {
			put_chain(&w, o, family, HOOK_FWD);
			put(&w, "-I FORWARD 1 " TAG " -j " CHAIN_FWD "\n");
		} else {
			put_chain(&w, o, family, HOOK_OUT);
			put_chain(&w, o, family, HOOK_IN);
			put(&w, "-I OUTPUT 1 " TAG " -j " CHAIN_OUT "\n");
			put(&w, "-I INPUT 1 " TAG " -j " CHAIN_IN "\n");
		}
	}
	put(&w, "COMMIT\n");
	if (w.full) {
		buf[0] = '\0';
		return -1;
	}
	return (int)w.pos;
}

/* ---- running iptables --------------------------------------------------- */

static int
find_prog(const char *prog, char *path, size_t len)
{
	const char *dirs[2] = { getenv("PATH"), SBIN_FALLBACK };

	for (size_t d = 0; d < 2; d++) {
		const char *p = dirs[d];

		if (p == NULL)
			continue;
		for (;;) {
			const char *e = strchrnul(p, ':');
			int n = (int)(e - p);
			int w = n > 0 ? snprintf(path, len, "%.*s/%s", n, p, prog)
				      : snprintf(path, len, "./%s", prog);

			if (w > 0 && (size_t)w < len && access(path, X_OK) == 0)
				return 0;
			if (*e == '\0')
				break;
			p = e + 1;
		}
	}
	return -1;
}

/* stderr as one line into dst: newlines become "; ", the end trimmed. */
static void
one_line(const char *src, char *dst, size_t len)
{
	size_t d = 0;

	for (const char *p = src; *p != '\0' && d + 3 < len; p++) {
		if (*p == '\n' || *p == '\r') {
			if (d > 0 && dst[d - 1] != ' ' && p[1] != '\0' && p[1] != '\n') {
				dst[d++] = ';';
				dst[d++] = ' ';
			}
		} else {
			dst[d++] = *p == '\t' ? ' ' : *p;
		}
	}
	while (d > 0 && (dst[d - 1] == ' ' || dst[d - 1] == ';'))
		d--;
	dst[d] = '\0';
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)(t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/*
 * Runs argv[0] (found in PATH) with `in` on its stdin; its stdout into *out
 * (malloc'd, NUL-terminated, the caller frees) when out is not NULL.  The
 * input is written into the pipe before the child exists, so a child that
 * exits early cannot raise SIGPIPE here.  0 when it exits 0, else -1 and err
 * holds its stderr as one line.
 */
static int
run(const char *const *argv, const char *in, char **out, char *err, size_t errlen)
{
	char path[4096], ebuf[1024], eline[1024], tmp[4096];
	size_t elen = 0, olen = 0, ocap = 0;
	char *obuf = NULL;
	int inp[2] = { -1, -1 }, outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	struct timespec t0;
	pid_t pid = -1;
	int st, rc = -1;

	if (out != NULL)
		*out = NULL;
	if (find_prog(argv[0], path, sizeof(path)) < 0) {
		diag_seterr(err, errlen, "%s not found in PATH", argv[0]);
		return -1;
	}
	if (pipe2(inp, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0 ||
	    pipe2(errp, O_CLOEXEC) < 0) {
		diag_seterr(err, errlen, "%s: pipe: %s", argv[0], strerror(errno));
		goto fail;
	}
	if (in != NULL) {
		size_t n = strlen(in), off = 0;

		if (n > 65536)
			(void)fcntl(inp[1], F_SETPIPE_SZ, (int)(n < (1u << 20) ? n : (1u << 20)));
		fcntl(inp[1], F_SETFL, O_NONBLOCK);
		while (off < n) {
			ssize_t k = write(inp[1], in + off, n - off);

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				diag_seterr(err, errlen, "%s: input of %zu bytes does not fit a pipe",
				    argv[0], n);
				goto fail;
			}
			off += (size_t)k;
		}
	}
	close_fd(&inp[1]);

	pid = fork();
	if (pid < 0) {
		diag_seterr(err, errlen, "%s: fork: %s", argv[0], strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		/*
		 * Only async-signal-safe calls between fork and exec.  The
		 * pipe ends go above 2 first, in case the daemon runs with a
		 * standard descriptor closed and a pipe took its number.
		 */
		int fi = fcntl(inp[0], F_DUPFD_CLOEXEC, 3);
		int fo = fcntl(outp[1], F_DUPFD_CLOEXEC, 3);
		int fe = fcntl(errp[1], F_DUPFD_CLOEXEC, 3);
		sigset_t none;

		if (fi < 0 || fo < 0 || fe < 0 || dup2(fi, 0) < 0 || dup2(fo, 1) < 0 ||
		    dup2(fe, 2) < 0)
			_exit(126);
		/* the daemon blocks signals for its own handling; iptables must not inherit that */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		close_range(3, ~0u, 0);
		execve(path, (char *const *)argv, environ);
		_exit(127);
	}
	close_fd(&inp[0]);
	close_fd(&outp[1]);
	close_fd(&errp[1]);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (outp[0] >= 0 || errp[0] >= 0) {
		struct pollfd pf[2] = { { outp[0], POLLIN, 0 }, { errp[0], POLLIN, 0 } };
		long left = RUN_TIMEOUT_MS - ms_since(&t0);
		int k;

		if (left <= 0) {
			kill(pid, SIGKILL);
			diag_seterr(err, errlen, "%s: timed out after %d s", argv[0],
			    RUN_TIMEOUT_MS / 1000);
			goto fail;
		}
		k = poll(pf, 2, (int)left);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			diag_seterr(err, errlen, "%s: poll: %s", argv[0], strerror(errno));
			kill(pid, SIGKILL);
			goto fail;
		}
		for (int i = 0; i < 2; i++) {
			int *fd = i == 0 ? &outp[0] : &errp[0];
			ssize_t n;

			if (*fd < 0 || pf[i].revents == 0)
				continue;
			n = read(*fd, tmp, sizeof(tmp));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close_fd(fd);
				continue;
			}
			if (i == 1) {
				size_t keep = sizeof(ebuf) - 1 - elen;

				if ((size_t)n < keep)
					keep = (size_t)n;
				memcpy(ebuf + elen, tmp, keep);
				elen += keep;
			} else if (out != NULL) {
				if (olen + (size_t)n + 1 > ocap) {
					size_t ncap = ocap ? 2 * ocap : 16384;
					char *nb;

					while (ncap < olen + (size_t)n + 1)
						ncap *= 2;
					if (ncap > LISTING_MAX ||
					    (nb = realloc(obuf, ncap)) == NULL) {
						diag_seterr(err, errlen, "%s: output too large",
						    argv[0]);
						kill(pid, SIGKILL);
						goto fail;
					}
					obuf = nb;
					ocap = ncap;
				}
				memcpy(obuf + olen, tmp, (size_t)n);
				olen += (size_t)n;
			}
		}
	}
	ebuf[elen] = '\0';
	one_line(ebuf, eline, sizeof(eline));

	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			diag_seterr(err, errlen, "%s: waitpid: %s", argv[0], strerror(errno));
			pid = -1;
			goto fail;
		}
	}
	pid = -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		if (eline[0] != '\0')
			diag_seterr(err, errlen, "%s: %s", argv[0], eline);
		else if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
			diag_seterr(err, errlen, "%s: could not be run", argv[0]);
		else if (WIFEXITED(st))
			diag_seterr(err, errlen, "%s exited with status %d", argv[0],
			    WEXITSTATUS(st));
		else
			diag_seterr(err, errlen, "%s killed by signal %d", argv[0], WTERMSIG(st));
		goto fail;
	}
	if (out != NULL) {
		if (obuf == NULL && (obuf = malloc(1)) == NULL) {
			diag_seterr(err, errlen, "%s: out of memory", argv[0]);
			goto fail;
		}
		obuf[olen] = '\0';
		*out = obuf;
		obuf = NULL;
	}
	rc = 0;
fail:
	if (pid > 0)
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	for (int i = 0; i < 2; i++) {
		close_fd(&inp[i]);
		close_fd(&outp[i]);
		close_fd(&errp[i]);
	}
	free(obuf);
	return rc;
}

static const char *
fam_name(int family)
{
	return family == 6 ? "IPv6" : "IPv4";
}

/* The family's table filter as `iptables -S` prints it; *text is malloc'd. */
static int
list(int family, char **text, char *err, size_t errlen)
{
	const char *argv[] = { family == 6 ? "ip6tables" : "iptables", "-w", WAIT_S,
		"-t", "filter", "-S", NULL };
	char e[512];

	if (run(argv, NULL, text, e, sizeof(e)) == 0)
		return 0;
	if (family == 6)
		diag_seterr(err, errlen, "ip6tables is unusable (is IPv6 disabled?): %s", e);
	else
		diag_seterr(err, errlen, "iptables is unusable: %s", e);
	return -1;
}

static int
restore(int family, const char *input, char *err, size_t errlen)
{
	const char *argv[] = { family == 6 ? "ip6tables-restore" : "iptables-restore",
		"-w", WAIT_S, "--noflush", NULL };
	char e[512];

	if (run(argv, input, NULL, e, sizeof(e)) == 0)
		return 0;
	diag_seterr(err, errlen, "%s rules: %s", fam_name(family), e);
	return -1;
}

struct first {
	char	what[160];
	bool	found;
};

static int
find_first_ours(const char *line, size_t n, void *arg)
{
	struct first *f = arg;
	const char *chain;
	size_t cl;
	bool rule;

	classify(line, n, &chain, &cl, &rule);
	if (chain != NULL)
		snprintf(f->what, sizeof(f->what), "chain %.*s", (int)cl, chain);
	else if (rule)
		snprintf(f->what, sizeof(f->what), "a rule tagged \"%s\" in chain %.*s",
		    FWRULES_COMMENT, (int)strcspn(line + 3, " \n"), line + 3);
	else
		return 0;
	f->found = true;
	return 1;
}

/* Renders into a fresh buffer (the caller frees), or NULL. */
static char *
render_alloc(const struct fwrules_opts *o, int family, const char *current,
    char *err, size_t errlen)
{
	size_t len = (current != NULL ? strlen(current) : 0) + 16384;
	char *buf = malloc(len);

	if (buf == NULL) {
		diag_seterr(err, errlen, "out of memory");
		return NULL;
	}
	if (fwrules_render(o, family, current, buf, len) < 0) {
		diag_seterr(err, errlen, "cannot render the %s rules", fam_name(family));
		free(buf);
		return NULL;
	}
	return buf;
}

/* Removes ours from one family, with a fresh listing; 0 when there was none. */
static int
remove_family(int family, char *err, size_t errlen)
{
	struct first f = { "", false };
	char *cur = NULL, *in = NULL;
	int rc = -1;

	if (list(family, &cur, err, errlen) < 0)
		return -1;
	each_line(cur, find_first_ours, &f);
	if (!f.found) {
		rc = 0;
		goto out;
	}
	if ((in = render_alloc(NULL, family, cur, err, errlen)) == NULL)
		goto out;
	rc = restore(family, in, err, errlen);
out:
	free(cur);
	free(in);
	return rc;
}

enum fwrules_backend
fwrules_detect(void)
{
	/* one transaction, checked by the kernel and never committed */
	static const char probe[] =
	    "add table inet outgate_probe\n"
	    "add chain inet outgate_probe probe\n"
	    "add rule inet outgate_probe probe queue num 0 bypass\n"
	    "delete table inet outgate_probe\n";
	const char *argv[] = { "nft", "--check", "-f", "-", NULL };
	char path[4096], e[256];

	if (find_prog("nft", path, sizeof(path)) < 0)
		return FWRULES_IPTABLES;
	return run(argv, probe, NULL, e, sizeof(e)) == 0 ? FWRULES_NFT : FWRULES_IPTABLES;
}

int
fwrules_install(const struct fwrules_opts *o, char *err, size_t errlen)
{
	char *cur[2] = { NULL, NULL }, *in[2] = { NULL, NULL };
	const char *problem;
	char e[512];
	int rc = -1;

	if ((problem = opts_problem(o)) != NULL) {
		diag_seterr(err, errlen, "%s", problem);
		return -1;
	}
	if (o->backend == FWRULES_NONE)
		return 0;
	if (o->backend == FWRULES_NFT) {
		if (fwrules_detect() != FWRULES_NFT)
			diag_seterr(err, errlen, "nftables queue is not available in this kernel; "
			    "use --rules iptables");
		else
			diag_seterr(err, errlen, "the nft rule set is not implemented; "
			    "use --rules iptables (iptables-nft drives nftables)");
		return -1;
	}
	/* both listings first: an unusable ip6tables stops us before any change */
	for (int i = 0; i < 2; i++) {
		struct first f = { "", false };

		if (list(i == 0 ? 4 : 6, &cur[i], err, errlen) < 0)
			goto out;
		each_line(cur[i], find_first_ours, &f);
		if (f.found && !o->replace) {
			diag_seterr(err, errlen, "rules of ours already exist (%s, %s); remove them "
			    "or use --replace", fam_name(i == 0 ? 4 : 6), f.what);
			goto out;
		}
		if ((in[i] = render_alloc(o, i == 0 ? 4 : 6, cur[i], err, errlen)) == NULL)
			goto out;
	}
	if (restore(4, in[0], err, errlen) < 0)
		goto out;
	if (restore(6, in[1], err, errlen) < 0) {
		bool undone = remove_family(4, e, sizeof(e)) == 0;

		append(err, errlen, undone ? "; the IPv4 rules were removed again"
		    : "; removing the IPv4 rules again failed too: %s", e);
		goto out;
	}
	rc = 0;
out:
	for (int i = 0; i < 2; i++) {
		free(cur[i]);
		free(in[i]);
	}
	return rc;
}

int
fwrules_remove(const struct fwrules_opts *o, char *err, size_t errlen)
{
	char e[512];
	int rc = 0;

	if (o != NULL && (o->backend == FWRULES_NONE || o->backend == FWRULES_NFT))
		return 0;
	if (remove_family(4, err, errlen) < 0)
		rc = -1;
	if (rc < 0) {
		if (remove_family(6, e, sizeof(e)) < 0)
			append(err, errlen, "; %s", e);
	} else if (remove_family(6, err, errlen) < 0) {
		rc = -1;
	}
	return rc;
}

int
fwrules_present(char *err, size_t errlen)
{
	int found = 0;

	for (int family = 4; family <= 6; family += 2) {
		struct first f = { "", false };
		char *cur = NULL;

		if (list(family, &cur, err, errlen) < 0)
			return -1;
		each_line(cur, find_first_ours, &f);
		free(cur);
		if (f.found)
			found = 1;
	}
	return found;
}
