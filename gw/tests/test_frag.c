/* test_frag.c - first-fragment decisions: recall, timeout, bucket pressure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "frag.h"

static struct frag_key
key(uint32_t id)
{
	struct frag_key k;

	memset(&k, 0, sizeof(k));
	addr_parse(&k.src, "10.1.0.5");
	addr_parse(&k.dst, "203.0.113.5");
	k.id = id;
	k.proto = 17;
	return k;
}

static void
test_recall(void **state)
{
	struct frag_table *t = frag_table_new(64);
	struct frag_key k = key(1), other = key(2);
	struct frag_decision d = { 1, 1, 2, 7, 3, 42 }, got;

	(void)state;
	assert_non_null(t);
	frag_remember(t, &k, &d, 100);
	assert_true(frag_recall(t, &k, 200, &got));
	assert_int_equal(got.flow_id, 42);
	assert_int_equal(got.reason, 7);
	assert_false(frag_recall(t, &other, 200, &got));
	other.proto = 6;
	other.id = 1;
	assert_false(frag_recall(t, &other, 200, &got));
	assert_false(frag_recall(t, &k, 100 + FRAG_TIMEOUT_US + 1, &got));
	assert_false(frag_recall(t, &k, 100, &got));	/* expired entries are gone */
	frag_table_free(t);
	frag_table_free(NULL);
}

static void
test_pressure(void **state)
{
	struct frag_table *t = frag_table_new(16);
	struct frag_decision d, got;
	struct frag_key k;
	uint32_t i, found = 0;

	(void)state;
	memset(&d, 0, sizeof(d));
	for (i = 0; i < 10000; i++) {
		k = key(i);
		d.flow_id = i;
		frag_remember(t, &k, &d, i);
	}
	/* the newest survive; nothing overflows */
	for (i = 9990; i < 10000; i++) {
		k = key(i);
		if (frag_recall(t, &k, 10000, &got)) {
			assert_int_equal(got.flow_id, i);
			found++;
		}
	}
	assert_true(found >= 4);	/* a bucket keeps its 4 newest */
	frag_table_free(t);
}

static void
count_one(struct frag_decision *d, void *arg)
{
	(*(int *)arg)++;
	d->rule = 99;
}

static void
test_foreach(void **state)
{
	struct frag_table *t = frag_table_new(64);
	struct frag_decision d, got;
	struct frag_key k1 = key(1), k2 = key(2);
	int n = 0;

	(void)state;
	memset(&d, 0, sizeof(d));
	frag_remember(t, &k1, &d, 1);
	frag_remember(t, &k2, &d, 1);
	frag_foreach(t, count_one, &n);
	assert_int_equal(n, 2);
	assert_true(frag_recall(t, &k1, 2, &got));
	assert_int_equal(got.rule, 99);
	frag_table_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recall),
		cmocka_unit_test(test_pressure),
		cmocka_unit_test(test_foreach),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
