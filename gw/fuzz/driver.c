/*
 * driver.c - run a fuzz target without libFuzzer: each file named, and each
 * file in each directory named, is one input, read whole into a buffer of its
 * own size.  `make test` runs the committed corpus so; a crash is a failure.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/* Defined by the targets that need set-up; NULL in the others. */
#pragma weak LLVMFuzzerInitialize

static int
run_file(const char *path)
{
	struct stat sb;
	uint8_t *buf;
	size_t n = 0, r;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL || fstat(fileno(fp), &sb) == -1) {
		fprintf(stderr, "driver: %s: %s\n", path, strerror(errno));
		if (fp != NULL)
			fclose(fp);
		return -1;
	}
	/* one byte more, so that an empty file still has a buffer */
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		fprintf(stderr, "driver: %s: out of memory\n", path);
		fclose(fp);
		return -1;
	}
	while ((r = fread(buf + n, 1, (size_t)sb.st_size - n, fp)) > 0)
		n += r;
	fclose(fp);
	if (n != (size_t)sb.st_size) {
		fprintf(stderr, "driver: %s: short read\n", path);
		free(buf);
		return -1;
	}
	/* the input a crash report is about: the last one named */
	fprintf(stderr, "driver: %s\n", path);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Every regular file in dir, in name order; returns how many ran, -1 on error. */
static int
run_dir(const char *dir)
{
	struct dirent **ents;
	struct stat sb;
	char path[4096];
	int i, n, ran = 0, ret = 0;

	if ((n = scandir(dir, &ents, NULL, by_name)) == -1) {
		fprintf(stderr, "driver: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		if (ents[i]->d_name[0] != '.' && stat(path, &sb) == 0 &&
		    S_ISREG(sb.st_mode)) {
			if (run_file(path) == -1)
				ret = -1;
			else
				ran++;
		}
		free(ents[i]);
	}
	free(ents);
	return ret == -1 ? -1 : ran;
}

int
main(int argc, char **argv)
{
	struct stat sb;
	int i, n, ran = 0, bad = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode))
			n = run_dir(argv[i]);
		else
			n = run_file(argv[i]) == 0 ? 1 : -1;
		if (n == -1)
			bad = 1;
		else
			ran += n;
	}
	printf("%d inputs\n", ran);
	if (ran == 0) {
		fprintf(stderr, "driver: no inputs\n");
		return 1;
	}
	return bad ? 1 : 0;
}
