/*
 * top.c - `outgate top`: the control socket's metrics and latest decisions,
 * shown again every interval.  Must never write to the daemon: it only asks.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control.h"
#include "top.h"

#define BUF_MAX	(1 << 20)

struct totals {
	double	accept, drop, reject, watched;
};

/* Sum outgate_decisions_total by verdict out of the metrics text. */
static void
sum_decisions(char *text, struct totals *t)
{
	char *line, *save = NULL;
	double v;

	memset(t, 0, sizeof(*t));
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *sp;

		if (strncmp(line, "outgate_decisions_total{", 24) != 0 ||
		    (sp = strrchr(line, ' ')) == NULL)
			continue;
		v = strtod(sp + 1, NULL);
		if (strstr(line, "verdict=\"accept\"") != NULL)
			t->accept += v;
		else if (strstr(line, "verdict=\"drop\"") != NULL)
			t->drop += v;
		else if (strstr(line, "verdict=\"reject\"") != NULL)
			t->reject += v;
	}
}

/* Ask the socket; the answer, NUL-terminated, in a buffer the caller frees. */
static char *
ask(const char *control, const char *what, char *err, size_t errlen)
{
	char *buf = NULL, why[512];
	size_t len = 0;
	FILE *mem;

	if ((mem = open_memstream(&buf, &len)) == NULL) {
		snprintf(err, errlen, "top: out of memory");
		return NULL;
	}
	if (control_read(control, what, mem, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "top: %s", why);
		fclose(mem);
		free(buf);
		return NULL;
	}
	fclose(mem);
	return buf;
}

/* The flows section: the daemon's "flows" answer, one flow a line. */
static void
print_flows(char *text)
{
	char *line, *save = NULL;
	unsigned shown = 0;

	printf("\n%-5s %-24s %-24s %-7s %-7s %-18s %-10s %9s %9s %7s %s\n", "proto",
	    "from", "to", "verdict", "would", "reason", "owner", "pkts o/i",
	    "bytes o", "idle", "");
	for (line = strtok_r(text, "\n", &save); line != NULL && shown < 20;
	    line = strtok_r(NULL, "\n", &save)) {
		char *f[14], *tab = line, pk[24];
		int k;

		for (k = 0; k < 14 && tab != NULL; k++) {
			f[k] = tab;
			if ((tab = strchr(tab, '\t')) != NULL)
				*tab++ = '\0';
		}
		if (k < 14)
			continue;
		snprintf(pk, sizeof(pk), "%s/%s", f[7], f[8]);
		printf("%-5s %-24.24s %-24.24s %-7s %-7s %-18.18s %-10.10s %9s %9s %6ss %s\n",
		    f[0], f[1], f[2], f[3], f[4], f[5], f[6], pk, f[9], f[12],
		    strcmp(f[13], "kernel") == 0 ? "in the kernel" : "");
		shown++;
	}
	if (shown == 0)
		puts("(no flow)");
}

int
top_run(const char *control, unsigned interval_ms, unsigned count, bool clear,
    char *err, size_t errlen)
{
	struct totals now, prev;
	struct timespec ts = { interval_ms / 1000, (long)(interval_ms % 1000) * 1000000L };
	char *m, *r, *fl, *line, *save = NULL;
	char stamp[32];
	time_t t;
	unsigned i, shown;
	bool have_prev = false;
	double secs = interval_ms / 1000.0;

	memset(&prev, 0, sizeof(prev));
	for (i = 0; count == 0 || i < count; i++) {
		if (i > 0)
			nanosleep(&ts, NULL);
		if ((m = ask(control, "metrics", err, errlen)) == NULL)
			return -1;
		if ((r = ask(control, "recent", err, errlen)) == NULL) {
			free(m);
			return -1;
		}
		if ((fl = ask(control, "flows", err, errlen)) == NULL) {
			free(m);
			free(r);
			return -1;
		}
		sum_decisions(m, &now);
		t = time(NULL);
		strftime(stamp, sizeof(stamp), "%H:%M:%S", localtime(&t));
		if (clear)
			fputs("\033[H\033[2J", stdout);
		printf("outgate top  %s  %s\n", control, stamp);
		printf("decisions: accept %.0f  drop %.0f  reject %.0f", now.accept, now.drop,
		    now.reject);
		if (have_prev)
			printf("   a second: accept %.1f  drop %.1f  reject %.1f",
			    (now.accept - prev.accept) / secs, (now.drop - prev.drop) / secs,
			    (now.reject - prev.reject) / secs);
		printf("\n\n%-8s %-7s %-7s %-20s %-14s %-6s %-24s %-24s %s\n", "time",
		    "verdict", "would", "reason", "rule", "proto", "from", "to", "owner");
		shown = 0;
		for (line = strtok_r(r, "\n", &save); line != NULL && shown < 20;
		    line = strtok_r(NULL, "\n", &save), shown++) {
			char *f[9], *tab = line;
			int k;

			for (k = 0; k < 9 && tab != NULL; k++) {
				f[k] = tab;
				if ((tab = strchr(tab, '\t')) != NULL)
					*tab++ = '\0';
			}
			if (k < 9)
				continue;
			printf("%-8s %-7s %-7s %-20.20s %-14.14s %-6s %-24.24s %-24.24s %s\n",
			    f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8]);
		}
		if (shown == 0)
			puts("(no decision yet)");
		print_flows(fl);
		fflush(stdout);
		prev = now;
		have_prev = true;
		free(m);
		free(r);
		free(fl);
	}
	return 0;
}
