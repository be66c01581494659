/*
 * report.c - `outgate report`: decision logs in, one HTML page out, with no
 * outside resource (no script, no font, no link).  Must escape every string
 * it copies from a log: a log is data, never markup.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonread.h"
#include "report.h"

#define MAX_KEYS	8192	/* distinct (owner, destination, port, reason) counted */
#define TOP		20	/* rows of each table */
#define NBUCKETS	60	/* bars of the chart */
#define LINE_MAX_LEN	16384

struct row {
	char		owner[160];
	char		dst[160];
	char		port[8];
	char		reason[32];
	unsigned long	n;
	bool		monitor;	/* let through in monitor mode, enforce would refuse */
};

struct rec {
	double		t;
	bool		refused;	/* would != accept */
};

#define HASH_SLOTS	(2 * MAX_KEYS)	/* power of two */

struct report {
	struct row	*rows;
	size_t		nrows;
	uint32_t	*index;		/* HASH_SLOTS: row + 1, 0 empty */
	struct rec	*recs;
	size_t		nrecs, caprecs;
	unsigned long	records, decisions, refused, monitor_refused, bad;
	double		t0, t1;
};

/* "2026-11-25T13:10:00.123456Z" -> seconds since the epoch; -1 when not that. */
static double
parse_ts(const char *s)
{
	struct tm tm;
	unsigned us = 0;
	int n = 0;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%6uZ%n", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &us, &n) != 7 ||
	    s[n] != '\0')
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (double)timegm(&tm) + us / 1e6;
}

static uint64_t
fnv(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ULL;
	return (h ^ 0xff) * 1099511628211ULL;
}

static void
count_row(struct report *r, const char *owner, const char *dst, const char *port,
    const char *reason, bool monitor)
{
	uint64_t h = fnv(fnv(fnv(fnv(monitor ? 7 : 3, owner), dst), port), reason);
	uint32_t *slot;
	struct row *w;
	size_t i;

	for (i = h & (HASH_SLOTS - 1); (slot = &r->index[i])[0] != 0;
	    i = (i + 1) & (HASH_SLOTS - 1)) {
		w = &r->rows[*slot - 1];
		if (w->monitor == monitor && strcmp(w->owner, owner) == 0 &&
		    strcmp(w->dst, dst) == 0 && strcmp(w->port, port) == 0 &&
		    strcmp(w->reason, reason) == 0) {
			w->n++;
			return;
		}
	}
	if (r->nrows == MAX_KEYS)
		return;		/* the tables show the top ones; the totals stay right */
	*slot = (uint32_t)r->nrows + 1;
	w = &r->rows[r->nrows++];
	snprintf(w->owner, sizeof(w->owner), "%s", owner);
	snprintf(w->dst, sizeof(w->dst), "%s", dst);
	snprintf(w->port, sizeof(w->port), "%s", port);
	snprintf(w->reason, sizeof(w->reason), "%s", reason);
	w->monitor = monitor;
	w->n = 1;
}

static int
take(struct report *r, const struct jsonread *o)
{
	const char *ev = jsonread_get(o, "event"), *verdict = jsonread_get(o, "verdict");
	const char *would = jsonread_get(o, "would"), *reason = jsonread_get(o, "reason");
	const char *owner, *dst, *port;
	struct rec *nr;
	bool refused, monitor;
	double t;

	if (ev == NULL || strcmp(ev, "decision") != 0 || verdict == NULL || reason == NULL)
		return 0;
	if (would == NULL)
		would = verdict;
	refused = strcmp(would, "accept") != 0;
	monitor = refused && strcmp(verdict, "accept") == 0;
	r->decisions++;
	if ((t = parse_ts(jsonread_get(o, "ts"))) >= 0) {
		if (r->nrecs == r->caprecs) {
			size_t cap = r->caprecs ? r->caprecs * 2 : 4096;

			if ((nr = realloc(r->recs, cap * sizeof(*nr))) == NULL)
				return -1;
			r->recs = nr;
			r->caprecs = cap;
		}
		r->recs[r->nrecs].t = t;
		r->recs[r->nrecs++].refused = refused;
		if (r->nrecs == 1 || t < r->t0)
			r->t0 = t;
		if (t > r->t1)
			r->t1 = t;
	}
	if (!refused)
		return 0;
	r->refused++;
	if (monitor)
		r->monitor_refused++;
	if ((owner = jsonread_get(o, "exe")) == NULL &&
	    ((owner = jsonread_get(o, "cgroup")) == NULL || strcmp(owner, "/") == 0) &&
	    (owner = jsonread_get(o, "src")) == NULL)
		owner = "?";
	if ((dst = jsonread_get(o, "dst_name")) == NULL &&
	    (dst = jsonread_get(o, "dst")) == NULL)
		dst = "?";
	if ((port = jsonread_get(o, "dport")) == NULL)
		port = "";
	count_row(r, owner, dst, port, reason, false);
	if (monitor)
		count_row(r, owner, dst, port, reason, true);
	return 0;
}

/* Text for HTML: & < > " ' escaped, bytes below 0x20 dropped. */
static void
html(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default:
			if ((unsigned char)*s >= 0x20)
				fputc(*s, out);
		}
	}
}

static int
cmp_rows(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return x->n < y->n ? 1 : x->n > y->n ? -1 : strcmp(x->dst, y->dst);
}

static void
table(FILE *out, struct report *r, bool monitor, const char *id, const char *empty)
{
	size_t i, shown = 0;

	fprintf(out, "<table id=\"%s\"><thead><tr><th>owner</th><th>destination</th>"
	    "<th>port</th><th>reason</th><th>count</th></tr></thead><tbody>\n", id);
	for (i = 0; i < r->nrows && shown < TOP; i++) {
		if (r->rows[i].monitor != monitor)
			continue;
		fputs("<tr><td>", out);
		html(out, r->rows[i].owner);
		fputs("</td><td>", out);
		html(out, r->rows[i].dst);
		fputs("</td><td>", out);
		html(out, r->rows[i].port);
		fputs("</td><td>", out);
		html(out, r->rows[i].reason);
		fprintf(out, "</td><td class=\"n\">%lu</td></tr>\n", r->rows[i].n);
		shown++;
	}
	if (shown == 0)
		fprintf(out, "<tr><td colspan=\"5\">%s</td></tr>\n", empty);
	fputs("</tbody></table>\n", out);
}

/* Decisions per time bucket as stacked bars: accepted, refused. */
static void
chart(FILE *out, const struct report *r)
{
	unsigned long acc[NBUCKETS] = { 0 }, ref[NBUCKETS] = { 0 }, max = 1;
	const double W = 900, H = 240, L = 50, B = 30;
	double span = r->t1 - r->t0, bw = (W - L) / NBUCKETS, h;
	char when[32];
	time_t tt;
	size_t i, b;

	if (span <= 0)
		span = 1;
	for (i = 0; i < r->nrecs; i++) {
		b = (size_t)((r->recs[i].t - r->t0) / span * NBUCKETS);
		if (b >= NBUCKETS)
			b = NBUCKETS - 1;
		if (r->recs[i].refused)
			ref[b]++;
		else
			acc[b]++;
	}
	for (b = 0; b < NBUCKETS; b++)
		if (acc[b] + ref[b] > max)
			max = acc[b] + ref[b];
	fprintf(out, "<svg id=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
	    "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
	    "aria-label=\"decisions over time\">\n", W, H + B, W, H + B);
	fprintf(out, "<line x1=\"%.0f\" y1=\"0\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#333\"/>\n"
	    "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#333\"/>\n",
	    L, L, H, L, H, W, H);
	fprintf(out, "<text x=\"%.0f\" y=\"12\" text-anchor=\"end\" font-size=\"11\">%lu</text>\n",
	    L - 4, max);
	for (b = 0; b < NBUCKETS; b++) {
		double x = L + b * bw + 1;

		if (acc[b] > 0) {
			h = H * (double)acc[b] / (double)max;
			fprintf(out, "<rect class=\"acc\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			    "height=\"%.1f\" fill=\"#4c9a5a\"><title>%lu accepted</title></rect>\n",
			    x, H - h, bw - 2, h, acc[b]);
		}
		if (ref[b] > 0) {
			double base = H - H * (double)acc[b] / (double)max;

			h = H * (double)ref[b] / (double)max;
			fprintf(out, "<rect class=\"ref\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			    "height=\"%.1f\" fill=\"#c0392b\"><title>%lu refused (or would be)</title></rect>\n",
			    x, base - h, bw - 2, h, ref[b]);
		}
	}
	for (i = 0; i < 2; i++) {
		tt = (time_t)(i == 0 ? r->t0 : r->t1);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", gmtime(&tt));
		fprintf(out, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"%s\" font-size=\"11\">%s</text>\n",
		    i == 0 ? L : W, H + 18, i == 0 ? "start" : "end", when);
	}
	fputs("</svg>\n", out);
}

int
report_run(char *const *paths, size_t npaths, FILE *out, char *err, size_t errlen)
{
	struct report r;
	struct jsonread o;
	const char *why;
	char *line = NULL;
	size_t i;
	FILE *fp;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	if ((r.rows = calloc(MAX_KEYS, sizeof(*r.rows))) == NULL ||
	    (r.index = calloc(HASH_SLOTS, sizeof(*r.index))) == NULL ||
	    (line = malloc(LINE_MAX_LEN)) == NULL) {
		snprintf(err, errlen, "report: out of memory");
		goto out;
	}
	for (i = 0; i < npaths; i++) {
		fp = strcmp(paths[i], "-") == 0 ? stdin : fopen(paths[i], "r");
		if (fp == NULL) {
			snprintf(err, errlen, "report: %s: %s", paths[i], strerror(errno));
			goto out;
		}
		while (fgets(line, LINE_MAX_LEN, fp) != NULL) {
			r.records++;
			if (jsonread_object(line, &o, &why) == -1)
				r.bad++;
			else if (take(&r, &o) == -1) {
				snprintf(err, errlen, "report: out of memory");
				if (fp != stdin)
					fclose(fp);
				goto out;
			}
		}
		if (fp != stdin)
			fclose(fp);
	}
	if (r.decisions == 0) {
		snprintf(err, errlen, "report: no decisions in %lu record%s (a decision "
		    "log from outgate run --log or replay --log)", r.records,
		    r.records == 1 ? "" : "s");
		goto out;
	}
	qsort(r.rows, r.nrows, sizeof(*r.rows), cmp_rows);
	fputs("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	    "<title>outgate report</title>\n<style>\n"
	    "body{font:14px/1.4 sans-serif;margin:2em;color:#222}\n"
	    "table{border-collapse:collapse;margin:1em 0}\n"
	    "th,td{border:1px solid #bbb;padding:3px 8px;text-align:left}\n"
	    "th{background:#eee}td.n{text-align:right}\n"
	    ".k{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}\n"
	    "</style></head><body>\n<h1>outgate report</h1>\n", out);
	fprintf(out, "<p id=\"summary\">%lu decisions from %lu records (%lu unreadable): "
	    "%lu refused or would be refused, %lu of them only watched (monitor mode: "
	    "enforce would refuse them).</p>\n", r.decisions, r.records, r.bad,
	    r.refused, r.monitor_refused);
	fputs("<h2>Decisions over time</h2>\n<p><span class=\"k\" style=\"background:#4c9a5a\">"
	    "</span>accepted<span class=\"k\" style=\"background:#c0392b\"></span>refused, or "
	    "would be in enforce mode</p>\n", out);
	chart(out, &r);
	fputs("<h2>Top refused destinations, by owner</h2>\n", out);
	table(out, &r, false, "refused", "nothing was refused");
	fputs("<h2>What enforce mode would refuse</h2>\n<p>Let through because the "
	    "policy (or the rule) is in monitor mode; switching to enforce refuses "
	    "these.</p>\n", out);
	table(out, &r, true, "would", "nothing: enforcing changes nothing that was seen");
	fputs("</body></html>\n", out);
	rc = fflush(out) == 0 ? 0 : -1;
	if (rc == -1)
		snprintf(err, errlen, "report: writing the page: %s", strerror(errno));
out:
	free(r.rows);
	free(r.index);
	free(r.recs);
	free(line);
	return rc;
}
