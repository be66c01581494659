/* test_addr.c - address and prefix parsing, formatting and matching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "addr.h"

static void
test_parse_format(void **state)
{
	struct addr a;
	char buf[ADDR_STRLEN];

	(void)state;
	assert_int_equal(addr_parse(&a, "192.0.2.1"), 0);
	assert_int_equal(a.family, 4);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "192.0.2.1");
	assert_int_equal(addr_parse(&a, "2001:DB8:0:0::1"), 0);
	assert_int_equal(a.family, 6);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "2001:db8::1");
	assert_int_equal(addr_parse(&a, "192.0.2.256"), -1);
	assert_int_equal(addr_parse(&a, ""), -1);
	assert_int_equal(addr_parse(&a, "example.com"), -1);
	assert_int_equal(addr_parse(&a, NULL), -1);
}

static void
test_cidr(void **state)
{
	struct cidr c;
	struct addr a;
	char buf[64];

	(void)state;
	assert_int_equal(cidr_parse(&c, "10.1.0.0/16"), 0);
	assert_int_equal(c.len, 16);
	assert_string_equal(cidr_format(&c, buf, sizeof(buf)), "10.1.0.0/16");
	addr_parse(&a, "10.1.255.3");
	assert_true(cidr_contains(&c, &a));
	addr_parse(&a, "10.2.0.0");
	assert_false(cidr_contains(&c, &a));
	addr_parse(&a, "::ffff:10.1.0.1");
	assert_false(cidr_contains(&c, &a));	/* families never mix */
	assert_int_equal(cidr_parse(&c, "0.0.0.0/0"), 0);
	addr_parse(&a, "203.0.113.9");
	assert_true(cidr_contains(&c, &a));
	assert_int_equal(cidr_parse(&c, "192.0.2.7"), 0);
	assert_int_equal(c.len, 32);
	assert_true(cidr_contains(&c, (addr_parse(&a, "192.0.2.7"), &a)));
	assert_false(cidr_contains(&c, (addr_parse(&a, "192.0.2.6"), &a)));
	assert_int_equal(cidr_parse(&c, "192.0.2.128/25"), 0);
	assert_true(cidr_contains(&c, (addr_parse(&a, "192.0.2.200"), &a)));
	assert_false(cidr_contains(&c, (addr_parse(&a, "192.0.2.127"), &a)));
	assert_int_equal(cidr_parse(&c, "2001:db8::/29"), 0);
	assert_true(cidr_contains(&c, (addr_parse(&a, "2001:dbf::1"), &a)));
	assert_false(cidr_contains(&c, (addr_parse(&a, "2001:dc0::1"), &a)));
	assert_int_equal(cidr_parse(&c, "::/0"), 0);
	assert_true(cidr_contains(&c, (addr_parse(&a, "fd00::1"), &a)));
	assert_int_equal(cidr_parse(&c, "fd00:1::1/128"), 0);
	assert_true(cidr_contains(&c, (addr_parse(&a, "fd00:1::1"), &a)));
}

static void
test_cidr_bad(void **state)
{
	struct cidr c;
	static const char *bad[] = {
		"10.1.0.1/16", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "/8",
		"10.0.0.0/8x", "10.0.0.0/ 8", "2001:db8::/129", "2001:db8::1/64",
		"10.0.0.300/8", "", "10.0.0.0/08a", "x/8",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cidr_parse(&c, bad[i]) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
	assert_int_equal(cidr_parse(&c, NULL), -1);
}

static void
test_compare(void **state)
{
	struct addr a, b;

	(void)state;
	addr_parse(&a, "10.0.0.1");
	addr_parse(&b, "10.0.0.2");
	assert_true(addr_cmp(&a, &b) < 0);
	assert_false(addr_eq(&a, &b));
	addr_parse(&b, "10.0.0.1");
	assert_true(addr_eq(&a, &b));
	assert_int_equal(addr_cmp(&a, &b), 0);
	addr_parse(&b, "::1");
	assert_true(addr_cmp(&a, &b) < 0);
	assert_false(addr_eq(&a, &b));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_format),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_cidr_bad),
		cmocka_unit_test(test_compare),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
