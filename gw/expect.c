/*
 * expect.c - the expected verdicts of a pcap test, and the comparison.
 * Allocates only while loading the file; checking a frame allocates nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"

struct expect_line {
	bool		set;
	int		line;
	int8_t		verdict;
	int8_t		would;		/* -1: not checked */
	int8_t		dir;		/* 0: not checked */
	int16_t		reason;
	char		*rule;		/* NULL: not checked; "" means no rule ("-") */
	char		*detail;	/* NULL: not checked */
};

struct expect {
	char			*path;
	struct expect_line	*lines;	/* by frame - 1 */
	size_t			n;
};

void
expect_free(struct expect *x)
{
	size_t i;

	if (x == NULL)
		return;
	for (i = 0; i < x->n; i++) {
		free(x->lines[i].rule);
		free(x->lines[i].detail);
	}
	free(x->lines);
	free(x->path);
	free(x);
}

static int
grow(struct expect *x, size_t need)
{
	struct expect_line *nl;
	size_t ncap = x->n ? x->n : 64;

	if (need <= x->n)
		return 0;
	while (ncap < need)
		ncap *= 2;
	if ((nl = realloc(x->lines, ncap * sizeof(*nl))) == NULL)
		return -1;
	memset(nl + x->n, 0, (ncap - x->n) * sizeof(*nl));
	x->lines = nl;
	x->n = ncap;
	return 0;
}

static int
parse_line(struct expect *x, char *s, int lineno, char *err, size_t errlen)
{
	char *tok[8], *save = NULL, *t, *end;
	struct expect_line *el;
	unsigned long long frame;
	int ntok = 0, i, v;

	for (t = strtok_r(s, " \t\r\n", &save); t != NULL && ntok < 8;
	    t = strtok_r(NULL, " \t\r\n", &save))
		tok[ntok++] = t;
	if (t != NULL) {
		snprintf(err, errlen, "%s:%d: too many fields", x->path, lineno);
		return -1;
	}
	if (ntok == 0)
		return 0;
	if (ntok < 3) {
		snprintf(err, errlen, "%s:%d: expected \"FRAME VERDICT REASON [RULE]\"",
		    x->path, lineno);
		return -1;
	}
	errno = 0;
	frame = strtoull(tok[0], &end, 10);
	if (errno != 0 || *end != '\0' || frame == 0 || frame > 100000000) {
		snprintf(err, errlen, "%s:%d: \"%s\" is not a frame number",
		    x->path, lineno, tok[0]);
		return -1;
	}
	if (grow(x, (size_t)frame) == -1) {
		snprintf(err, errlen, "%s: out of memory", x->path);
		return -1;
	}
	el = &x->lines[frame - 1];
	if (el->set) {
		snprintf(err, errlen, "%s:%d: frame %llu listed twice (first on line %d)",
		    x->path, lineno, frame, el->line);
		return -1;
	}
	el->set = true;
	el->line = lineno;
	el->would = -1;
	if ((v = engine_verdict_parse(tok[1])) < 0) {
		snprintf(err, errlen, "%s:%d: \"%s\" is not a verdict", x->path,
		    lineno, tok[1]);
		return -1;
	}
	el->verdict = (int8_t)v;
	if ((v = engine_reason_parse(tok[2])) < 0) {
		snprintf(err, errlen, "%s:%d: \"%s\" is not a reason code",
		    x->path, lineno, tok[2]);
		return -1;
	}
	el->reason = (int16_t)v;
	for (i = 3; i < ntok; i++) {
		if (strncmp(tok[i], "would=", 6) == 0) {
			if ((v = engine_verdict_parse(tok[i] + 6)) < 0)
				goto badfield;
			el->would = (int8_t)v;
		} else if (strncmp(tok[i], "detail=", 7) == 0) {
			if (el->detail != NULL || (el->detail = strdup(tok[i] + 7)) == NULL)
				goto badfield;
		} else if (strncmp(tok[i], "dir=", 4) == 0) {
			if (strcmp(tok[i] + 4, "out") == 0)
				el->dir = ENGINE_DIR_OUT;
			else if (strcmp(tok[i] + 4, "in") == 0)
				el->dir = ENGINE_DIR_IN;
			else
				goto badfield;
		} else if (i == 3 && strchr(tok[i], '=') == NULL) {
			el->rule = strdup(strcmp(tok[i], "-") == 0 ? "" : tok[i]);
			if (el->rule == NULL) {
				snprintf(err, errlen, "%s: out of memory", x->path);
				return -1;
			}
		} else {
			goto badfield;
		}
	}
	return 0;
badfield:
	snprintf(err, errlen, "%s:%d: \"%s\" is not RULE, would=VERDICT, "
	    "detail=TEXT or dir=in|out",
	    x->path, lineno, tok[i]);
	return -1;
}

struct expect *
expect_load(const char *path, char *err, size_t errlen)
{
	struct expect *x;
	FILE *fp;
	char buf[1024], *hash;
	int lineno = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((x = calloc(1, sizeof(*x))) == NULL || (x->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	while (fgets(buf, sizeof(buf), fp) != NULL) {
		lineno++;
		if (strchr(buf, '\n') == NULL && !feof(fp)) {
			snprintf(err, errlen, "%s:%d: line too long", path, lineno);
			goto fail;
		}
		if ((hash = strchr(buf, '#')) != NULL)
			*hash = '\0';
		if (parse_line(x, buf, lineno, err, errlen) == -1)
			goto fail;
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	fclose(fp);
	return x;
fail:
	fclose(fp);
	expect_free(x);
	return NULL;
}

static void
describe(char *buf, size_t len, int verdict, int reason, const char *rule,
    int would, int dir)
{
	int n;

	n = snprintf(buf, len, "%s %s", engine_verdict_name(verdict),
	    engine_reason_name(reason));
	if (rule != NULL && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " %s", *rule ? rule : "-");
	if (would >= 0 && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " would=%s",
		    engine_verdict_name(would));
	if (dir != 0 && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " dir=%s", engine_dir_name(dir));
}

bool
expect_frame(struct expect *x, uint64_t frame, const struct decision *d, FILE *out)
{
	const struct expect_line *el;
	const char *got_rule = d->rule != NULL ? d->rule : "";
	char want[256], got[256];
	bool ok;

	if (frame == 0 || frame > x->n || !x->lines[frame - 1].set) {
		describe(got, sizeof(got), d->verdict, d->reason, got_rule, d->would,
		    d->dir);
		if (out != NULL)
			fprintf(out, "frame %llu: not listed in %s; got %s\n",
		    (unsigned long long)frame, x->path, got);
		return false;
	}
	el = &x->lines[frame - 1];
	ok = el->verdict == d->verdict && el->reason == d->reason &&
	    (el->rule == NULL || strcmp(el->rule, got_rule) == 0) &&
	    (el->would < 0 || el->would == d->would) &&
	    (el->dir == 0 || el->dir == d->dir) &&
	    (el->detail == NULL || (d->detail != NULL &&
	    strcmp(el->detail, d->detail) == 0));
	if (ok)
		return true;
	describe(want, sizeof(want), el->verdict, el->reason, el->rule, el->would,
	    el->dir);
	describe(got, sizeof(got), d->verdict, d->reason,
	    el->rule != NULL ? got_rule : NULL, el->would >= 0 ? d->would : -1,
	    el->dir != 0 ? d->dir : 0);
	if (out != NULL)
		fprintf(out, "frame %llu: expected %s%s%s, got %s%s%s\n",
	    (unsigned long long)frame, want, el->detail ? " detail=" : "",
	    el->detail ? el->detail : "", got, d->detail ? " detail=" : "",
	    d->detail ? d->detail : "");
	return false;
}

size_t
expect_finish(struct expect *x, uint64_t frames_seen, FILE *out)
{
	size_t i, missing = 0;

	for (i = (size_t)frames_seen; i < x->n; i++) {
		if (!x->lines[i].set)
			continue;
		if (out != NULL)
			fprintf(out, "frame %zu: expected on %s line %d, but the capture ends at frame %llu\n",
		    i + 1, x->path, x->lines[i].line, (unsigned long long)frames_seen);
		missing++;
	}
	return missing;
}
