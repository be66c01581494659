/* test_expect.c - the expect file format and the comparison of decisions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "expect.h"

static char path[64];

static struct expect *
load(const char *text, char *err, size_t errlen)
{
	FILE *fp;

	strcpy(path, "/tmp/og-expect-XXXXXX");
	assert_int_not_equal(mkstemp(path), -1);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	return expect_load(path, err, errlen);
}

static struct decision
dec(int verdict, int reason, const char *rule, int would, int dir)
{
	struct decision d;

	memset(&d, 0, sizeof(d));
	d.verdict = (uint8_t)verdict;
	d.reason = (uint16_t)reason;
	d.rule = rule;
	d.would = (uint8_t)would;
	d.dir = (uint8_t)dir;
	return d;
}

static void
test_match(void **state)
{
	char err[256];
	struct expect *x;
	struct decision d;

	(void)state;
	x = load("# comment\n\n1 accept allowed web\n2 accept established  # trailing\n"
	    "3 drop unknown_egress - dir=out\n4 accept unknown_egress would=drop\n"
	    "5 drop check web detail=sni_mismatch\n", err,
	    sizeof(err));
	assert_non_null(x);
	d = dec(0, REASON_ALLOWED, "web", 0, ENGINE_DIR_OUT);
	assert_true(expect_frame(x, 1, &d, NULL));
	d.rule = "other";
	assert_false(expect_frame(x, 1, &d, NULL));
	d = dec(0, REASON_ESTABLISHED, "web", 0, ENGINE_DIR_IN);
	assert_true(expect_frame(x, 2, &d, NULL));	/* rule not given: not checked */
	d = dec(1, REASON_UNKNOWN_EGRESS, NULL, 1, ENGINE_DIR_OUT);
	assert_true(expect_frame(x, 3, &d, NULL));
	d.dir = ENGINE_DIR_IN;
	assert_false(expect_frame(x, 3, &d, NULL));
	d = dec(0, REASON_UNKNOWN_EGRESS, NULL, 1, ENGINE_DIR_OUT);
	assert_true(expect_frame(x, 4, &d, NULL));
	d.would = 0;
	assert_false(expect_frame(x, 4, &d, NULL));
	d = dec(1, REASON_CHECK, "web", 1, ENGINE_DIR_OUT);
	d.detail = "sni_mismatch";
	assert_true(expect_frame(x, 5, &d, NULL));
	d.detail = "no_sni";
	assert_false(expect_frame(x, 5, &d, NULL));
	d.detail = NULL;
	assert_false(expect_frame(x, 5, &d, NULL));
	assert_false(expect_frame(x, 6, &d, NULL));	/* not listed */
	assert_int_equal(expect_finish(x, 5, NULL), 0);
	assert_int_equal(expect_finish(x, 2, NULL), 3);
	expect_free(x);
	unlink(path);
}

static void
test_errors(void **state)
{
	static const struct { const char *text, *msg; } cases[] = {
		{ "1 accept\n", ":1: expected" },
		{ "x accept allowed\n", ":1: \"x\" is not a frame number" },
		{ "0 accept allowed\n", "is not a frame number" },
		{ "1 allow allowed\n", ":1: \"allow\" is not a verdict" },
		{ "\n1 accept allowd\n", ":2: \"allowd\" is not a reason code" },
		{ "1 accept allowed\n1 drop malformed\n", ":2: frame 1 listed twice" },
		{ "1 accept allowed r would=maybe\n", "is not RULE" },
		{ "1 accept allowed r dir=up\n", "is not RULE" },
		{ "1 accept allowed r r2\n", "is not RULE" },
		{ "1 accept allowed r detail=a detail=b\n", "is not RULE" },
	};
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		assert_null(load(cases[i].text, err, sizeof(err)));
		if (strstr(err, cases[i].msg) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].msg);
		unlink(path);
	}
	assert_null(expect_load("/nonexistent/expect", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/expect"));
	expect_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
