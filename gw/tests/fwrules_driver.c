/*
 * fwrules_driver.c - a test-only command around fwrules, for fwrules_live.sh.
 * Run it only inside a network namespace made for the test.
 *
 *   fwrules_driver install|remove|present|detect|render4|render6
 *       [--forward] [--queue N | --queues A:B] [--fail-open] [--mark-mask M]
 *       [--inbound] [--loopback] [--replace] [--rules auto|iptables|nft|none]
 *
 * Exit 0 on success (present: prints 1 or 0), 1 with the error on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwrules.h"

static int
usage(void)
{
	fprintf(stderr, "usage: fwrules_driver install|remove|present|detect|render4|render6 "
	    "[options]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct fwrules_opts o = { .mark_mask = FWRULES_MARK_MASK_DEFAULT };
	char err[1024] = "", *buf;
	const char *cmd;
	int r;

	if (argc < 2)
		return usage();
	cmd = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned lo, hi;

		if (strcmp(a, "--forward") == 0) {
			o.forward = true;
		} else if (strcmp(a, "--fail-open") == 0) {
			o.fail_open = true;
		} else if (strcmp(a, "--inbound") == 0) {
			o.inbound_possible = true;
		} else if (strcmp(a, "--loopback") == 0) {
			o.include_loopback = true;
		} else if (strcmp(a, "--replace") == 0) {
			o.replace = true;
		} else if (strcmp(a, "--queue") == 0 && v != NULL && sscanf(v, "%u", &lo) == 1) {
			o.queue_lo = o.queue_hi = (uint16_t)lo;
			i++;
		} else if (strcmp(a, "--queues") == 0 && v != NULL &&
		    sscanf(v, "%u:%u", &lo, &hi) == 2) {
			o.queue_lo = (uint16_t)lo;
			o.queue_hi = (uint16_t)hi;
			i++;
		} else if (strcmp(a, "--mark-mask") == 0 && v != NULL) {
			o.mark_mask = (uint32_t)strtoul(v, NULL, 0);
			i++;
		} else if (strcmp(a, "--rules") == 0 && v != NULL) {
			if (strcmp(v, "auto") == 0)
				o.backend = FWRULES_AUTO;
			else if (strcmp(v, "iptables") == 0)
				o.backend = FWRULES_IPTABLES;
			else if (strcmp(v, "nft") == 0)
				o.backend = FWRULES_NFT;
			else if (strcmp(v, "none") == 0)
				o.backend = FWRULES_NONE;
			else
				return usage();
			i++;
		} else {
			return usage();
		}
	}

	if (strcmp(cmd, "install") == 0) {
		r = fwrules_install(&o, err, sizeof(err));
	} else if (strcmp(cmd, "remove") == 0) {
		r = fwrules_remove(&o, err, sizeof(err));
	} else if (strcmp(cmd, "present") == 0) {
		r = fwrules_present(err, sizeof(err));
		if (r >= 0) {
			printf("%d\n", r);
			r = 0;
		}
	} else if (strcmp(cmd, "detect") == 0) {
		printf("%s\n", fwrules_backend_name(fwrules_detect()));
		r = 0;
	} else if (strcmp(cmd, "render4") == 0 || strcmp(cmd, "render6") == 0) {
		if ((buf = malloc(65536)) == NULL)
			return 1;
		r = fwrules_render(&o, cmd[6] == '6' ? 6 : 4, NULL, buf, 65536);
		if (r >= 0)
			fputs(buf, stdout);
		free(buf);
		r = r < 0 ? -1 : 0;
	} else {
		return usage();
	}
	if (r < 0) {
		fprintf(stderr, "error: %s\n", err[0] != '\0' ? err : "failed");
		return 1;
	}
	return 0;
}
