/*
 * main.c - the outgate commands (replay, check, run, rules): flags in, a
 * source wired to the engine, exit codes out (0 fine, 1 a check failed, 2 bad
 * usage or input).  Must never decide a packet itself: that is the engine's.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control.h"
#include "diag.h"
#include "learn.h"
#include "report.h"
#include "top.h"
#include "engine.h"
#include "expect.h"
#include "flow.h"
#include "log.h"
#include "meta.h"
#include "policy.h"
#include "replay.h"
#include "daemon.h"
#include "fwrules.h"
#include "privdrop.h"

#ifndef OUTGATE_VERSION
#define OUTGATE_VERSION	"0.1.0"
#endif
#ifndef OUTGATE_LUA_DIR
#define OUTGATE_LUA_DIR	"/usr/share/outgate/lua"
#endif

#define EXIT_CHECK	1
#define EXIT_USAGE	2

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: outgate replay --policy FILE [--local CIDR]... [--mode monitor|enforce]\n"
	    "                      [--expect FILE] [--log FILE|-] [--meta FILE] [--flows N]\n"
	    "                      [--quiet] CAPTURE\n"
	    "       outgate check --policy FILE [--forward]\n"
	    "       outgate run --policy FILE [--queue N | --queues A:B] [--rules auto|iptables|nft|none]\n"
	    "                   [--forward] [--fail-open] [--replace] [--mark-mask HEX]\n"
	    "                   [--log FILE|-] [--mode monitor|enforce] [--flows N] [--no-seed]\n"
	    "                   [--no-attrib] [--log-rate N] [--syslog[=SOCKET]] [--include-loopback]\n"
	    "                   [--control SOCKET] [--metrics ADDR:PORT] [--user USER] [--no-seccomp]\n"
	    "                   [--exempt-uid USER]... [--exempt-mark MARK[/MASK]]\n"
	    "       outgate stats --control SOCKET\n"
	    "       outgate health --control SOCKET\n"
	    "       outgate learn LOG... > policy.lua\n"
	    "       outgate report LOG... --html FILE\n"
	    "       outgate top --control SOCKET [--interval SECONDS] [--count N]\n"
	    "       outgate rules install|remove [--queue N | --queues A:B] [--rules ...] [--forward]\n"
	    "                   [--fail-open] [--replace] [--mark-mask HEX] [--include-loopback]\n"
	    "                   [--exempt-uid USER]... [--exempt-mark MARK[/MASK]]\n"
	    "       outgate version\n"
	    "common: [--lua-dir DIR] (modules for require; default: $OUTGATE_LUA_DIR,\n"
	    "        else lua/ or share/outgate/lua beside the binary's parent, else " OUTGATE_LUA_DIR ")\n");
}

static bool
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Where `require` looks: the flag, the environment, the tree we run from, the install. */
static const char *
find_lua_dir(const char *flag)
{
	static char buf[PATH_MAX + 32];
	const char *env;
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if (flag != NULL)
		return flag;
	if ((env = getenv("OUTGATE_LUA_DIR")) != NULL && *env != '\0')
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			snprintf(buf, sizeof(buf), "%s/../lua", exe);
			if (is_dir(buf))
				return buf;
			/* installed: PREFIX/sbin/outgate, PREFIX/share/outgate/lua */
			snprintf(buf, sizeof(buf), "%s/../share/outgate/lua", exe);
			if (is_dir(buf))
				return buf;
		}
	}
	return OUTGATE_LUA_DIR;
}

static int
parse_size(const char *s, size_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > (1ULL << 30) || s[0] == '-')
		return -1;
	*out = (size_t)v;
	return 0;
}

/* --mode: a policy_mode, or -1 after saying what is wrong */
static int
parse_mode(const char *cmd, const char *s)
{
	if (strcmp(s, "monitor") == 0)
		return POLICY_MONITOR;
	if (strcmp(s, "enforce") == 0)
		return POLICY_ENFORCE;
	diag_warnx("%s: --mode: \"%s\" is not monitor or enforce", cmd, s);
	return -1;
}

enum {
	OPT_POLICY = 256, OPT_LOCAL, OPT_MODE, OPT_EXPECT, OPT_FLOWS, OPT_QUIET,
	OPT_LUA_DIR, OPT_HELP, OPT_LOG, OPT_META, OPT_QUEUE, OPT_QUEUES, OPT_RULES,
	OPT_FORWARD, OPT_FAIL_OPEN, OPT_REPLACE, OPT_MARK_MASK, OPT_NO_SEED, OPT_NO_ATTRIB, OPT_LOG_RATE, OPT_SYSLOG, OPT_CONTROL, OPT_METRICS,
	OPT_LOOPBACK, OPT_USER, OPT_EXEMPT_UID, OPT_EXEMPT_MARK, OPT_NO_SECCOMP,
};

static const struct option replay_longopts[] = {
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "local", required_argument, NULL, OPT_LOCAL },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "expect", required_argument, NULL, OPT_EXPECT },
	{ "flows", required_argument, NULL, OPT_FLOWS },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "meta", required_argument, NULL, OPT_META },
	{ "lua-dir", required_argument, NULL, OPT_LUA_DIR },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* The engine's owner lookup for replay: the --meta file. */
static const struct policy_subject *
meta_owner(void *arg, const struct flow_key *k, uint64_t now_us)
{
	static const struct policy_subject none = {
		.known = false, .uid = POLICY_ID_NONE, .gid = POLICY_ID_NONE,
		.how = "no meta line",
	};
	const struct policy_subject *s = meta_lookup(arg, k, now_us);

	return s != NULL ? s : &none;
}

static const char *
mode_name(int mode)
{
	return mode == POLICY_MONITOR ? "monitor" : "enforce";
}

static void
print_summary(const struct engine *e, const struct replay_result *r)
{
	struct engine_stats st;
	struct flow_stats fs;
	char reasons[1024];
	size_t n = 0;
	int i;

	engine_get_stats(e, &st);
	flow_get_stats(engine_flows((struct engine *)e), &fs);
	reasons[0] = '\0';
	for (i = 0; i < REASON_COUNT; i++) {
		if (st.by_reason[i] == 0 || i == REASON_ALLOWED ||
		    i == REASON_ESTABLISHED || i == REASON_RELATED ||
		    i == REASON_NDP || i == REASON_NOT_IP)
			continue;
		n += (size_t)snprintf(reasons + n, sizeof(reasons) - n, "%s%s:%llu",
		    n ? "," : "", engine_reason_name(i),
		    (unsigned long long)st.by_reason[i]);
		if (n >= sizeof(reasons))
			break;
	}
	fprintf(stderr, "replay: packets=%llu flows=%llu accepted=%llu dropped=%llu "
	    "rejected=%llu by_reason=%s elapsed=%.3fs pps=%.0f\n",
	    (unsigned long long)r->frames, (unsigned long long)fs.created,
	    (unsigned long long)st.by_verdict[VERDICT_ACCEPT],
	    (unsigned long long)st.by_verdict[VERDICT_DROP],
	    (unsigned long long)st.by_verdict[VERDICT_REJECT],
	    reasons[0] ? reasons : "-", r->elapsed,
	    r->elapsed > 0 ? (double)r->frames / r->elapsed : 0.0);
}

/* engine_opts.flow_end: a flow_end record at the capture's clock. */
static void
replay_flow_end(void *arg, const struct flow *f, uint64_t now_us)
{
	dlog_flow_end(arg, f, now_us, false);
}

static int
cmd_replay(int argc, char **argv)
{
	struct replay_opts ro;
	struct replay_result rr;
	struct engine_opts eo;
	struct policy *pol = NULL;
	struct engine *e = NULL;
	struct expect *x = NULL;
	const char *policy_path = NULL, *expect_path = NULL, *lua_flag = NULL;
	const char *log_path = NULL, *meta_path = NULL, *locals[64];
	struct dlog *log = NULL;
	struct meta *meta = NULL;
	char err[1024];
	static char outbuf[1 << 20];
	size_t nlocal = 0, i;
	bool quiet = false;
	int ch, ret = EXIT_USAGE;

	memset(&eo, 0, sizeof(eo));
	eo.mode = -1;
	eo.inspect_all = true;	/* replay shows every handshake it can read */
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", replay_longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_POLICY:
			policy_path = optarg;
			break;
		case OPT_LOCAL:
			if (nlocal == sizeof(locals) / sizeof(locals[0])) {
				diag_warnx("replay: too many --local (at most 64)");
				return EXIT_USAGE;
			}
			locals[nlocal++] = optarg;
			break;
		case OPT_MODE:
			if ((eo.mode = parse_mode("replay", optarg)) == -1)
				return EXIT_USAGE;
			break;
		case OPT_EXPECT:
			expect_path = optarg;
			break;
		case OPT_FLOWS:
			if (parse_size(optarg, &eo.flow_capacity) == -1) {
				diag_warnx("replay: --flows: \"%s\" is not a count (1 to 2^30)", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_QUIET:
			quiet = true;
			break;
		case OPT_LOG:
			log_path = optarg;
			break;
		case OPT_META:
			meta_path = optarg;
			break;
		case OPT_LUA_DIR:
			lua_flag = optarg;
			break;
		case OPT_HELP:
			usage(stdout);
			return 0;
		default:
			/* getopt_long has said what was wrong on one line */
			return EXIT_USAGE;
		}
	}
	if (policy_path == NULL || optind != argc - 1) {
		diag_warnx("replay: %s (outgate help)", policy_path == NULL ?
		    "--policy FILE is required" : optind >= argc ?
		    "a capture file is required" : "one capture file at a time");
		return EXIT_USAGE;
	}
	if (policy_load(&pol, policy_path, find_lua_dir(lua_flag), err, sizeof(err)) == -1) {
		diag_warnx("%s", err);
		return EXIT_USAGE;
	}
	for (i = 0; i < nlocal; i++) {
		struct cidr c;

		if (cidr_parse(&c, locals[i]) == -1) {
			diag_warnx("replay: --local: \"%s\" is not an address or prefix", locals[i]);
			goto out;
		}
		if (policy_add_local(pol, &c) == -1) {
			diag_warnx("replay: --local: out of memory");
			goto out;
		}
	}
	if (expect_path != NULL && (x = expect_load(expect_path, err, sizeof(err))) == NULL) {
		diag_warnx("%s", err);
		goto out;
	}
	if (log_path != NULL && (log = dlog_open(log_path,
	    mode_name(eo.mode >= 0 ? eo.mode : (int)pol->mode), pol->hash, err,
	    sizeof(err))) == NULL) {
		diag_warnx("%s", err);
		goto out;
	}
	if (meta_path != NULL) {
		if ((meta = meta_load(meta_path, err, sizeof(err))) == NULL) {
			diag_warnx("%s", err);
			goto out;
		}
		eo.owner = meta_owner;
		eo.owner_arg = meta;
	}
	if (log != NULL) {
		eo.flow_end = replay_flow_end;
		eo.flow_end_arg = log;
	}
	if ((e = engine_new(pol, &eo)) == NULL) {
		diag_warnx("replay: out of memory for %zu flows", eo.flow_capacity ?
		    eo.flow_capacity : (size_t)ENGINE_DEFAULT_FLOWS);
		goto out;
	}
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	memset(&ro, 0, sizeof(ro));
	ro.capture = argv[optind];
	ro.out = quiet ? NULL : stdout;
	ro.expect = x;
	ro.log = log;
	ro.diff = stderr;
	ro.max_diffs = 100;
	ro.progress = isatty(STDERR_FILENO) ? stderr : NULL;
	if (replay_run(e, &ro, &rr, err, sizeof(err)) == -1) {
		fflush(stdout);
		diag_warnx("%s", err);
		if (rr.frames > 0)
			print_summary(e, &rr);
		goto out;
	}
	fflush(stdout);
	print_summary(e, &rr);
	ret = 0;
	if (x != NULL && rr.mismatches > 0) {
		diag_warnx("replay: %llu frame(s) differ from %s",
		    (unsigned long long)rr.mismatches, expect_path);
		ret = EXIT_CHECK;
	}
out:
	fflush(stdout);
	engine_free(e);		/* first: its flows' flow_end records go to the log */
	dlog_close(log);
	meta_free(meta);
	expect_free(x);
	policy_free(pol);
	return ret;
}

static const struct option stats_longopts[] = {
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/*
 * `outgate stats --control SOCKET` (the metrics) and `outgate health
 * --control SOCKET` (exit 0 when the daemon says ok: for probes).
 */
static int
cmd_control(const char *cmd, int argc, char **argv)
{
	const char *path = NULL;
	char err[512], line[256];
	FILE *mem;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", stats_longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_CONTROL:
			path = optarg;
			break;
		case OPT_HELP:
			usage(stdout);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (path == NULL || optind != argc) {
		diag_warnx("%s: %s (outgate help)", cmd, path == NULL ?
		    "--control SOCKET is required" : "unexpected argument");
		return EXIT_USAGE;
	}
	if (strcmp(cmd, "stats") == 0) {
		if (control_read(path, "metrics", stdout, err, sizeof(err)) == -1) {
			diag_warnx("stats: %s", err);
			return EXIT_USAGE;
		}
		return 0;
	}
	line[0] = '\0';
	if ((mem = fmemopen(line, sizeof(line) - 1, "w")) == NULL) {
		diag_warnx("health: out of memory");
		return EXIT_CHECK;
	}
	setvbuf(mem, NULL, _IONBF, 0);
	if (control_read(path, "health", mem, err, sizeof(err)) == -1) {
		fclose(mem);
		diag_warnx("health: not ready: %s", err);
		return EXIT_CHECK;
	}
	fclose(mem);
	line[strcspn(line, "\n")] = '\0';
	printf("%s\n", line[0] != '\0' ? line : "failing: the daemon gave no answer");
	return strncmp(line, "ok", 2) == 0 ? 0 : EXIT_CHECK;
}

/* `outgate learn LOG...`: a draft policy on stdout. */
static int
cmd_learn(int argc, char **argv)
{
	char err[512];

	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		if (argc >= 2) {
			usage(stdout);
			return 0;
		}
		diag_warnx("learn: a decision log is required (outgate learn LOG... > policy.lua)");
		return EXIT_USAGE;
	}
	if (learn_run(argv + 1, (size_t)(argc - 1), stdout, err, sizeof(err)) == -1) {
		diag_warnx("%s", err);
		return EXIT_USAGE;
	}
	return fflush(stdout) == 0 ? 0 : EXIT_USAGE;
}

/* `outgate report LOG... --html FILE`: one HTML page about the logs. */
static int
cmd_report(int argc, char **argv)
{
	const char *html = NULL;
	char *logs[256], err[512];
	size_t nlogs = 0;
	FILE *out;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--html") == 0 && i + 1 < argc)
			html = argv[++i];
		else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			diag_warnx("report: %s: unknown option (outgate help)", argv[i]);
			return EXIT_USAGE;
		} else if (nlogs < sizeof(logs) / sizeof(logs[0]))
			logs[nlogs++] = argv[i];
	}
	if (html == NULL || nlogs == 0) {
		diag_warnx("report: %s (outgate report LOG... --html FILE)", html == NULL ?
		    "--html FILE is required" : "a decision log is required");
		return EXIT_USAGE;
	}
	if ((out = strcmp(html, "-") == 0 ? stdout : fopen(html, "w")) == NULL) {
		diag_warn("report: %s", html);
		return EXIT_USAGE;
	}
	rc = report_run(logs, nlogs, out, err, sizeof(err));
	if (out != stdout && fclose(out) != 0 && rc == 0) {
		snprintf(err, sizeof(err), "report: %s: %s", html, strerror(errno));
		rc = -1;
	}
	if (rc == -1) {
		diag_warnx("%s", err);
		return EXIT_USAGE;
	}
	return 0;
}

/* `outgate top --control SOCKET [--interval S] [--count N]`. */
static int
cmd_top(int argc, char **argv)
{
	const char *path = NULL;
	unsigned interval = 1000, count = 0;
	char err[512], *end;
	double s;
	long c;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--control") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--interval") == 0 && i + 1 < argc) {
			s = strtod(argv[++i], &end);
			if (*end != '\0' || !(s >= 0.1 && s <= 3600)) {
				diag_warnx("top: --interval: \"%s\" is not seconds (0.1 to 3600)",
				    argv[i]);
				return EXIT_USAGE;
			}
			interval = (unsigned)(s * 1000);
		} else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
			c = strtol(argv[++i], &end, 10);
			if (*end != '\0' || c < 1 || c > 1000000) {
				diag_warnx("top: --count: \"%s\" is not a count (1 to 1000000)",
				    argv[i]);
				return EXIT_USAGE;
			}
			count = (unsigned)c;
		} else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			diag_warnx("top: %s: unknown argument (outgate help)", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (path == NULL) {
		diag_warnx("top: --control SOCKET is required (outgate help)");
		return EXIT_USAGE;
	}
	if (top_run(path, interval, count, isatty(STDOUT_FILENO), err, sizeof(err)) == -1) {
		diag_warnx("%s", err);
		return EXIT_USAGE;
	}
	return 0;
}

static const struct option check_longopts[] = {
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "lua-dir", required_argument, NULL, OPT_LUA_DIR },
	{ "forward", no_argument, NULL, OPT_FORWARD },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int
cmd_check(int argc, char **argv)
{
	struct policy *pol = NULL;
	const char *policy_path = NULL, *lua_flag = NULL;
	char err[1024];
	bool forward = false;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", check_longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_POLICY:
			policy_path = optarg;
			break;
		case OPT_LUA_DIR:
			lua_flag = optarg;
			break;
		case OPT_FORWARD:
			forward = true;
			break;
		case OPT_HELP:
			usage(stdout);
			return 0;
		default:
			/* getopt_long has said what was wrong on one line */
			return EXIT_USAGE;
		}
	}
	if (policy_path == NULL || optind != argc) {
		diag_warnx("check: %s (outgate help)", policy_path == NULL ?
		    "--policy FILE is required" : "unexpected argument");
		return EXIT_USAGE;
	}
	if (access(policy_path, R_OK) == -1) {
		diag_warn("check: %s", policy_path);
		return EXIT_USAGE;
	}
	if (policy_load(&pol, policy_path, find_lua_dir(lua_flag), err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return EXIT_USAGE;	/* a bad policy is bad input, as everywhere */
	}
	if (forward && pol->nlocal == 0) {
		/* as outgate run --forward refuses it */
		diag_warnx("check: %s: --forward needs local_nets (the inside) in the policy",
		    policy_path);
		policy_free(pol);
		return EXIT_USAGE;
	}
	printf("%s: ok: mode=%s egress_rules=%zu inbound_rules=%zu local_nets=%zu policy_hash=%s\n",
	    policy_path, mode_name((int)pol->mode),
	    pol->negress, pol->ninbound, pol->nlocal, pol->hash);
	policy_free(pol);
	return 0;
}

static const struct option run_longopts[] = {
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "queue", required_argument, NULL, OPT_QUEUE },
	{ "queues", required_argument, NULL, OPT_QUEUES },
	{ "rules", required_argument, NULL, OPT_RULES },
	{ "forward", no_argument, NULL, OPT_FORWARD },
	{ "fail-open", no_argument, NULL, OPT_FAIL_OPEN },
	{ "replace", no_argument, NULL, OPT_REPLACE },
	{ "mark-mask", required_argument, NULL, OPT_MARK_MASK },
	{ "include-loopback", no_argument, NULL, OPT_LOOPBACK },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "flows", required_argument, NULL, OPT_FLOWS },
	{ "no-seed", no_argument, NULL, OPT_NO_SEED },
	{ "no-attrib", no_argument, NULL, OPT_NO_ATTRIB },
	{ "log-rate", required_argument, NULL, OPT_LOG_RATE },
	{ "syslog", optional_argument, NULL, OPT_SYSLOG },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "lua-dir", required_argument, NULL, OPT_LUA_DIR },
	{ "user", required_argument, NULL, OPT_USER },
	{ "no-seccomp", no_argument, NULL, OPT_NO_SECCOMP },
	{ "exempt-uid", required_argument, NULL, OPT_EXEMPT_UID },
	{ "exempt-mark", required_argument, NULL, OPT_EXEMPT_MARK },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int
parse_u16(const char *s, uint16_t *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > 65535 || s[0] == '-')
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* MARK[/MASK], numbers in C's bases; no MASK is all 32 bits.  0, or -1. */
static int
parse_mark(const char *s, uint32_t *mark, uint32_t *mask)
{
	unsigned long v, m = 0xffffffffUL;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno == 0 && end != s && *end == '/') {
		s = end + 1;
		m = strtoul(s, &end, 0);
	}
	if (errno != 0 || end == s || *end != '\0' || v == 0 || v > 0xffffffffUL ||
	    m > 0xffffffffUL || (v & ~m) != 0)
		return -1;
	*mark = (uint32_t)v;
	*mask = (uint32_t)m;
	return 0;
}

/* The flags `run` and `rules` share; returns 1 when taken, 0 not ours, -1 bad. */
static int
rules_flag(const char *cmd, int ch, struct fwrules_opts *r, uint16_t *lo, uint16_t *hi)
{
	unsigned long v;
	char *end, *colon;

	switch (ch) {
	case OPT_QUEUE:
		if (parse_u16(optarg, lo) == -1) {
			diag_warnx("%s: --queue: \"%s\" is not a queue number (0-65535)",
			    cmd, optarg);
			return -1;
		}
		*hi = *lo;
		return 1;
	case OPT_QUEUES:
		colon = strchr(optarg, ':');
		if (colon == NULL) {
			diag_warnx("%s: --queues: \"%s\" is not A:B", cmd, optarg);
			return -1;
		}
		*colon = '\0';
		if (parse_u16(optarg, lo) == -1 || parse_u16(colon + 1, hi) == -1 ||
		    *hi < *lo || *hi - *lo >= 64) {
			*colon = ':';
			diag_warnx("%s: --queues: \"%s\" is not A:B with A <= B and at most "
			    "64 queues", cmd, optarg);
			return -1;
		}
		*colon = ':';
		return 1;
	case OPT_RULES:
		if (strcmp(optarg, "auto") == 0)
			r->backend = FWRULES_AUTO;
		else if (strcmp(optarg, "iptables") == 0)
			r->backend = FWRULES_IPTABLES;
		else if (strcmp(optarg, "nft") == 0)
			r->backend = FWRULES_NFT;
		else if (strcmp(optarg, "none") == 0)
			r->backend = FWRULES_NONE;
		else {
			diag_warnx("%s: --rules: \"%s\" is not auto, iptables, nft or none",
			    cmd, optarg);
			return -1;
		}
		return 1;
	case OPT_FORWARD:
		r->forward = true;
		return 1;
	case OPT_FAIL_OPEN:
		r->fail_open = true;
		return 1;
	case OPT_REPLACE:
		r->replace = true;
		return 1;
	case OPT_LOOPBACK:
		r->include_loopback = true;
		return 1;
	case OPT_MARK_MASK:
		errno = 0;
		v = strtoul(optarg, &end, 16);
		if (errno != 0 || end == optarg || *end != '\0' || v > 0xffffffffUL ||
		    fwrules_marks((uint32_t)v, NULL, NULL, NULL) == -1) {
			diag_warnx("%s: --mark-mask: \"%s\" is not a mask of two or more "
			    "contiguous bits (hex)", cmd, optarg);
			return -1;
		}
		r->mark_mask = (uint32_t)v;
		return 1;
	case OPT_EXEMPT_UID: {
		struct privdrop_user u;
		char err[256];

		if (r->nexempt_uid == FWRULES_EXEMPT_MAX) {
			diag_warnx("%s: --exempt-uid: at most %d", cmd, FWRULES_EXEMPT_MAX);
			return -1;
		}
		if (privdrop_user_parse(optarg, &u, err, sizeof(err)) == -1) {
			diag_warnx("%s: --exempt-uid: %s", cmd, err);
			return -1;
		}
		r->exempt_uid[r->nexempt_uid++] = (uint32_t)u.uid;
		return 1;
	}
	case OPT_EXEMPT_MARK:
		if (parse_mark(optarg, &r->exempt_mark, &r->exempt_mark_mask) == -1) {
			diag_warnx("%s: --exempt-mark: \"%s\" is not a nonzero MARK[/MASK] "
			    "(MARK inside MASK)", cmd, optarg);
			return -1;
		}
		return 1;
	default:
		return 0;
	}
}

static void
rules_defaults(struct fwrules_opts *r)
{
	memset(r, 0, sizeof(*r));
	r->backend = FWRULES_AUTO;
	r->mark_mask = FWRULES_MARK_MASK_DEFAULT;
	/* NEW inbound is always queued, so a reload that adds an inbound rule
	 * needs no change to the kernel's rules */
	r->inbound_possible = true;
}

static int
cmd_run(int argc, char **argv)
{
	struct daemon_opts o;
	const char *lua_flag = NULL;
	char err[256];
	size_t n;
	int ch, rc;

	memset(&o, 0, sizeof(o));
	o.mode = -1;
	o.log_rate = DLOG_RATE_DEFAULT;
	rules_defaults(&o.rules);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", run_longopts, NULL)) != -1) {
		if ((rc = rules_flag("run", ch, &o.rules, &o.queue_lo, &o.queue_hi)) == -1)
			return EXIT_USAGE;
		if (rc == 1)
			continue;
		switch (ch) {
		case OPT_POLICY:
			o.policy_path = optarg;
			break;
		case OPT_LOG:
			o.log_path = optarg;
			break;
		case OPT_MODE:
			if ((o.mode = parse_mode("run", optarg)) == -1)
				return EXIT_USAGE;
			break;
		case OPT_FLOWS:
			if (parse_size(optarg, &o.flows) == -1) {
				diag_warnx("run: --flows: \"%s\" is not a count (1 to 2^30)", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_NO_SEED:
			o.no_seed = true;
			break;
		case OPT_NO_ATTRIB:
			o.no_attrib = true;
			break;
		case OPT_SYSLOG:
			o.syslog = optarg != NULL ? optarg : "/dev/log";
			break;
		case OPT_CONTROL:
			o.control_path = optarg;
			break;
		case OPT_METRICS:
			o.metrics_addr = optarg;
			break;
		case OPT_LOG_RATE:
			n = 0;
			if (strcmp(optarg, "0") != 0 &&
			    (parse_size(optarg, &n) == -1 || n > 1000000)) {
				diag_warnx("run: --log-rate: \"%s\" is not a count of records "
				    "a second (1 to 1000000; 0 is no limit)", optarg);
				return EXIT_USAGE;
			}
			o.log_rate = (unsigned)n;
			break;
		case OPT_LUA_DIR:
			lua_flag = optarg;
			break;
		case OPT_USER:
			if (privdrop_user_parse(optarg, &o.user, err, sizeof(err)) == -1) {
				diag_warnx("run: --user: %s", err);
				return EXIT_USAGE;
			}
			o.has_user = true;
			break;
		case OPT_NO_SECCOMP:
			o.no_seccomp = true;
			break;
		case OPT_HELP:
			usage(stdout);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (o.syslog != NULL && o.log_path != NULL) {
		diag_warnx("run: --syslog and --log: the decision log goes to one of them");
		return EXIT_USAGE;
	}
	if (o.policy_path == NULL || optind != argc) {
		diag_warnx("run: %s (outgate help)", o.policy_path == NULL ?
		    "--policy FILE is required" : "unexpected argument");
		return EXIT_USAGE;
	}
	o.rules.queue_lo = o.queue_lo;
	o.rules.queue_hi = o.queue_hi;
	o.lua_dir = find_lua_dir(lua_flag);
	return daemon_run(&o);
}

static int
cmd_rules(int argc, char **argv)
{
	struct fwrules_opts r;
	uint16_t lo = 0, hi = 0;
	char err[1024];
	const char *what;
	int ch, rc;

	if (argc < 2 || (strcmp(argv[1], "install") != 0 &&
	    strcmp(argv[1], "remove") != 0)) {
		diag_warnx("rules: install or remove? (outgate help)");
		return EXIT_USAGE;
	}
	what = argv[1];
	rules_defaults(&r);
	optind = 1;
	while ((ch = getopt_long(argc - 1, argv + 1, "", run_longopts, NULL)) != -1) {
		if ((rc = rules_flag("rules", ch, &r, &lo, &hi)) == -1)
			return EXIT_USAGE;
		if (rc == 1)
			continue;
		if (ch == OPT_HELP) {
			usage(stdout);
			return 0;
		}
		if (ch != '?')
			diag_warnx("rules %s: that flag belongs to outgate run", what);
		return EXIT_USAGE;
	}
	if (optind != argc - 1) {
		diag_warnx("rules: unexpected argument (outgate help)");
		return EXIT_USAGE;
	}
	r.queue_lo = lo;
	r.queue_hi = hi;
	if (strcmp(what, "install") == 0)
		rc = fwrules_install(&r, err, sizeof(err));
	else
		rc = fwrules_remove(&r, err, sizeof(err));
	if (rc == -1) {
		diag_warnx("%s", err);
		return EXIT_USAGE;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *cmd;

	diag_init("outgate", 0);
	if (argc < 2) {
		diag_warnx("a command is required (outgate help lists them)");
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "replay") == 0)
		return cmd_replay(argc - 1, argv + 1);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(cmd, "stats") == 0 || strcmp(cmd, "health") == 0)
		return cmd_control(cmd, argc - 1, argv + 1);
	if (strcmp(cmd, "learn") == 0)
		return cmd_learn(argc - 1, argv + 1);
	if (strcmp(cmd, "report") == 0)
		return cmd_report(argc - 1, argv + 1);
	if (strcmp(cmd, "top") == 0)
		return cmd_top(argc - 1, argv + 1);
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "rules") == 0)
		return cmd_rules(argc - 1, argv + 1);

	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("outgate %s\n", OUTGATE_VERSION);
		return 0;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	diag_warnx("unknown command \"%s\" (outgate help lists them)", cmd);
	return EXIT_USAGE;
}
