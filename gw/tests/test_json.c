/* test_json.c - the fixed-buffer JSON writer: escaping, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "json.h"

static void
test_record(void **state)
{
	char buf[256];
	struct jbuf j;
	size_t n;

	(void)state;
	json_begin(&j, buf, sizeof(buf));
	json_u64(&j, "frame", 18446744073709551615ULL);
	json_str(&j, "s", "a\"b\\c\n\x01\x7f");
	json_str(&j, "nil", NULL);
	json_null(&j, "z");
	n = json_end(&j);
	assert_string_equal(buf, "{\"frame\":18446744073709551615,"
	    "\"s\":\"a\\\"b\\\\c\\u000a\\u0001\\u007f\",\"nil\":null,\"z\":null}\n");
	assert_int_equal(n, strlen(buf));
}

static void
test_overflow(void **state)
{
	char buf[32], big[100];
	struct jbuf j;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	json_begin(&j, buf, sizeof(buf));
	json_str(&j, "k", big);
	json_end(&j);
	assert_string_equal(buf, "{\"error\":\"record too long\"}\n");
	json_begin(&j, buf, 3);
	assert_int_equal(json_end(&j), 0);
	assert_string_equal(buf, "");
}

static void
test_empty(void **state)
{
	char buf[8];
	struct jbuf j;

	(void)state;
	json_begin(&j, buf, sizeof(buf));
	json_end(&j);
	assert_string_equal(buf, "{}\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
