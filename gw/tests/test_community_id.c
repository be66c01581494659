/* test_community_id.c - Community ID v1 against the spec's published IDs; SHA-1 known answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "community_id.h"

/*
 * One published flow tuple and its IDs.  For ICMP and ICMPv6 sport and dport
 * are the message type and code; -1 is a protocol without ports.
 */
struct cid_vec {
	uint8_t		proto;
	const char	*src, *dst;
	int		sport, dport;
	const char	*id0;		/* seed 0, the default */
	const char	*id1;		/* seed 1 */
	const char	*hex;		/* seed 0, the digest in hex (the "no base64" form) */
};

/*
 * corelight/pycommunityid tests/communityid_test.py (1.5.0): test_icmp,
 * test_icmp6, test_sctp, test_tcp, test_udp, test_ip; its three columns are
 * CommunityID(), CommunityID(use_base64=False) and CommunityID(seed=1).
 */
static const struct cid_vec py_vecs[] = {
	{ 1, "192.168.0.89", "192.168.0.1", 8, 0,
	    "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", "1:03g6IloqVBdcZlPyX8r0hgoE7kA=",
	    "5f4b27617a60c22bfd4d9b6a83ae2c833527e839" },
	{ 1, "192.168.0.1", "192.168.0.89", 0, 8,
	    "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", "1:03g6IloqVBdcZlPyX8r0hgoE7kA=",
	    "5f4b27617a60c22bfd4d9b6a83ae2c833527e839" },
	{ 1, "192.168.0.89", "192.168.0.1", 20, 0,
	    "1:3o2RFccXzUgjl7zDpqmY7yJi8rI=", "1:lCXHHxavE1Vq3oX9NH5ladQg02o=",
	    "de8d9115c717cd482397bcc3a6a998ef2262f2b2" },
	{ 1, "192.168.0.89", "192.168.0.1", 20, 1,
	    "1:tz/fHIDUHs19NkixVVoOZywde+I=", "1:Ie3wmFyxiEyikbsbcO03d2nh+PM=",
	    "b73fdf1c80d41ecd7d3648b1555a0e672c1d7be2" },
	{ 1, "192.168.0.1", "192.168.0.89", 0, 20,
	    "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", "1:03g6IloqVBdcZlPyX8r0hgoE7kA=",
	    "5f4b27617a60c22bfd4d9b6a83ae2c833527e839" },
	{ 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 0,
	    "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=",
	    "7461f21af8cc7e58e0e81a69c26ddb8342cef136" },
	{ 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 0,
	    "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=",
	    "7461f21af8cc7e58e0e81a69c26ddb8342cef136" },
	{ 58, "3ffe:507:0:1:260:97ff:fe07:69ea", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0,
	    "1:NdobDX8PQNJbAyfkWxhtL2Pqp5w=", "1:OlOWx9psIbBFi7lOCw/4MhlKR9M=",
	    "35da1b0d7f0f40d25b0327e45b186d2f63eaa79c" },
	{ 58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:507:0:1:260:97ff:fe07:69ea", 3, 0,
	    "1:/OGBt9BN1ofenrmSPWYicpij2Vc=", "1:Ij4ZxnC87/MXzhOjvH2vHu7LRmE=",
	    "fce181b7d04dd687de9eb9923d66227298a3d957" },
	{ 132, "192.168.170.8", "192.168.170.56", 7, 80,
	    "1:jQgCxbku+pNGw8WPbEc/TS/uTpQ=", "1:Y1/0jQg6e+I3ZwZZ9LP65DNbTXU=",
	    "8d0802c5b92efa9346c3c58f6c473f4d2fee4e94" },
	{ 132, "192.168.170.56", "192.168.170.8", 80, 7,
	    "1:jQgCxbku+pNGw8WPbEc/TS/uTpQ=", "1:Y1/0jQg6e+I3ZwZZ9LP65DNbTXU=",
	    "8d0802c5b92efa9346c3c58f6c473f4d2fee4e94" },
	{ 6, "128.232.110.120", "66.35.250.204", 34855, 80,
	    "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "1:3V71V58M3Ksw/yuFALMcW0LAHvc=",
	    "2d053da9994af81e45dca0e67afea6e4f3226eb8" },
	{ 6, "66.35.250.204", "128.232.110.120", 80, 34855,
	    "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "1:3V71V58M3Ksw/yuFALMcW0LAHvc=",
	    "2d053da9994af81e45dca0e67afea6e4f3226eb8" },
	{ 6, "10.0.0.1", "10.0.0.2", 10, 11569,
	    "1:SXBGMX1lBOwhhoDrZynfROxnhnM=", "1:HmBRGR+fUyXF4t8WEtal7Y0gEAo=",
	    "497046317d6504ec218680eb6729df44ec678673" },
	{ 17, "192.168.1.52", "8.8.8.8", 54585, 53,
	    "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=",
	    "77f14fe445b7c22635bc29dd87095e451287a304" },
	{ 17, "8.8.8.8", "192.168.1.52", 53, 54585,
	    "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=",
	    "77f14fe445b7c22635bc29dd87095e451287a304" },
	{ 46, "10.1.24.4", "10.1.12.1", -1, -1,
	    "1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4=", "1:BK3BVW3U2eemuwVQVN3zd/GULno=",
	    "fe7408e1187f4ed63799fd11da0245064565812e" },
	{ 46, "10.1.12.1", "10.1.24.4", -1, -1,
	    "1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4=", "1:BK3BVW3U2eemuwVQVN3zd/GULno=",
	    "fe7408e1187f4ed63799fd11da0245064565812e" },
};

/*
 * corelight/community-id-spec baseline/README.md: the tables "Default
 * settings", "A custom seed=1 value" and "No base64-encoding", row by row.
 */
static const struct cid_vec readme_vecs[] = {
	{ 6, "1.2.3.4", "5.6.7.8", 1122, 3344,
	    "1:wCb3OG7yAFWelaUydu0D+125CLM=", "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=",
	    "c026f7386ef200559e95a53276ed03fb5db908b3" },
	{ 6, "5.6.7.8", "1.2.3.4", 3344, 1122,
	    "1:wCb3OG7yAFWelaUydu0D+125CLM=", "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=",
	    "c026f7386ef200559e95a53276ed03fb5db908b3" },
	{ 17, "1.2.3.4", "5.6.7.8", 1122, 3344,
	    "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=", "1:OShq+iKDAMVouh/4bMxB9Sz4amw=",
	    "d0cbbd227431eb3e1988264cffb1d78b658c84e8" },
	{ 17, "5.6.7.8", "1.2.3.4", 3344, 1122,
	    "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=", "1:OShq+iKDAMVouh/4bMxB9Sz4amw=",
	    "d0cbbd227431eb3e1988264cffb1d78b658c84e8" },
	{ 132, "1.2.3.4", "5.6.7.8", 1122, 3344,
	    "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=", "1:uitchpn5MMGAQKBJh7bIr/bAr7s=",
	    "10ab7832cc6ec9a13a98bfa19ab12443d72c0c3f" },
	{ 132, "5.6.7.8", "1.2.3.4", 3344, 1122,
	    "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=", "1:uitchpn5MMGAQKBJh7bIr/bAr7s=",
	    "10ab7832cc6ec9a13a98bfa19ab12443d72c0c3f" },
	{ 1, "1.2.3.4", "5.6.7.8", 8, 0,
	    "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=", "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=",
	    "72ba1d4472f6144b078dbbf752446b7dbb386d9d" },
	{ 1, "5.6.7.8", "1.2.3.4", 0, 0,
	    "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=", "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=",
	    "72ba1d4472f6144b078dbbf752446b7dbb386d9d" },
	{ 1, "1.2.3.4", "5.6.7.8", 11, 0,
	    "1:f/YiSyWqczrTgfUCZlBUnvHRcPk=", "1:1DD7cWGC/Yg91YGsQeni8du3pIA=",
	    "7ff6224b25aa733ad381f5026650549ef1d170f9" },
	{ 58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 128, 0,
	    "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=", "1:IO27GQzPuCtNnwFvjWALMHu5tJE=",
	    "d1b7fb872309530b777cc103ef3f0b21f46905ea" },
	{ 58, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 129, 0,
	    "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=", "1:IO27GQzPuCtNnwFvjWALMHu5tJE=",
	    "d1b7fb872309530b777cc103ef3f0b21f46905ea" },
	{ 58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 146, 0,
	    "1:fYC8+pz24E+EhANP1EZhpX0Dw10=", "1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s=",
	    "7d80bcfa9cf6e04f8484034fd44661a57d03c35d" },
	{ 46, "1.2.3.4", "5.6.7.8", -1, -1,
	    "1:ikv3kmf89luf73WPz1jOs49S768=", "1:/buhqeOmaRCopOZFy9HnoJd5XW8=",
	    "8a4bf79267fcf65b9fef758fcf58ceb38f52efaf" },
	{ 46, "5.6.7.8", "1.2.3.4", -1, -1,
	    "1:ikv3kmf89luf73WPz1jOs49S768=", "1:/buhqeOmaRCopOZFy9HnoJd5XW8=",
	    "8a4bf79267fcf65b9fef758fcf58ceb38f52efaf" },
	{ 46, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", -1, -1,
	    "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=", "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=",
	    "c10ff69b0ae75cfe259897077462f978f8d1f9ed" },
	{ 46, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", -1, -1,
	    "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=", "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=",
	    "c10ff69b0ae75cfe259897077462f978f8d1f9ed" },
};

/*
 * corelight/community-id-spec baseline/baseline_deflt.json, baseline_seed1.json
 * and baseline_nob64.json (community-id-pcap on pcaps/combined.pcap.gz), entry
 * by entry.  Their ICMP tuples are written after the type mapping: dport is
 * the answering type, or the code for a type that has none.  The code of a
 * type that has an answer is not hashed, so dport passed as the code is exact.
 */
static const struct cid_vec json_vecs[] = {
	{ 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136,
	    "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=",
	    "7461f21af8cc7e58e0e81a69c26ddb8342cef136" },
	{ 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 135,
	    "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=",
	    "7461f21af8cc7e58e0e81a69c26ddb8342cef136" },
	{ 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 136,
	    "1:zavyT/cezQr1fmImYCwYnMXbgck=", "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM=",
	    "cdabf24ff71ecd0af57e6226602c189cc5db81c9" },
	{ 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 136, 135,
	    "1:zavyT/cezQr1fmImYCwYnMXbgck=", "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM=",
	    "cdabf24ff71ecd0af57e6226602c189cc5db81c9" },
	{ 58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0,
	    "1:2ObVBgIn28oZvibYZhZMBgh7WdQ=", "1:lVEtCZpYu84Xqaa++3lXFyuu2n4=",
	    "d8e6d5060227dbca19be26d866164c06087b59d4" },
	{ 58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4,
	    "1:hLZd0XGWojozrvxqE0dWB1iM6R0=", "1:W8MHwXpWzpoSTD+cGcaJr4u0ys8=",
	    "84b65dd17196a23a33aefc6a13475607588ce91d" },
	{ 58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 129,
	    "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=", "1:GfZxjAkDk2MkegpBYHV6tadtFXQ=",
	    "f935be1ed2c7bd5d719c6855d65bfb5e826ba908" },
	{ 58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 128,
	    "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=", "1:GfZxjAkDk2MkegpBYHV6tadtFXQ=",
	    "f935be1ed2c7bd5d719c6855d65bfb5e826ba908" },
	{ 58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 134,
	    "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=", "1:L7Ka0ZMYu+J3bL4ulW2PrqyXNo8=",
	    "84efac3781fe306e4c63ff2122b5cfa9ce19433d" },
	{ 58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 133,
	    "1:pkvHqCL88/tg1k4cPigmZXUtL00=", "1:K/ee5UCqAMAQXDorP5nSa2CGLjc=",
	    "a64bc7a822fcf3fb60d64e1c3e282665752d2f4d" },
	{ 1, "192.168.0.89", "192.168.0.1", 8, 0,
	    "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", "1:03g6IloqVBdcZlPyX8r0hgoE7kA=",
	    "5f4b27617a60c22bfd4d9b6a83ae2c833527e839" },
	{ 1, "192.168.0.1", "192.168.0.89", 0, 8,
	    "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", "1:03g6IloqVBdcZlPyX8r0hgoE7kA=",
	    "5f4b27617a60c22bfd4d9b6a83ae2c833527e839" },
	{ 1, "10.0.0.1", "10.0.0.2", 11, 0,
	    "1:YHxtAirCG//0OzkcVAukqKQN9xM=", "1:XjUibYHaafLQ3pxQeiMI8g25q20=",
	    "607c6d022ac21bfff43b391c540ba4a8a40df713" },
	{ 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25,
	    "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", "1:eJYTW6AOzFLlSUoESovMjnu7rMw=",
	    "fea15a78047e8057b52988cccd50ec32ffb0814e" },
	{ 6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943,
	    "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", "1:eJYTW6AOzFLlSUoESovMjnu7rMw=",
	    "fea15a78047e8057b52988cccd50ec32ffb0814e" },
	{ 132, "192.168.170.8", "192.168.170.56", 7, 7,
	    "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=",
	    "30fd84b5108050866f4f0e8cc491cb57b37b243b" },
	{ 132, "192.168.170.56", "192.168.170.8", 7, 7,
	    "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=",
	    "30fd84b5108050866f4f0e8cc491cb57b37b243b" },
	{ 6, "128.232.110.120", "66.35.250.204", 34855, 80,
	    "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "1:3V71V58M3Ksw/yuFALMcW0LAHvc=",
	    "2d053da9994af81e45dca0e67afea6e4f3226eb8" },
	{ 6, "66.35.250.204", "128.232.110.120", 80, 34855,
	    "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "1:3V71V58M3Ksw/yuFALMcW0LAHvc=",
	    "2d053da9994af81e45dca0e67afea6e4f3226eb8" },
	{ 17, "192.168.1.52", "8.8.8.8", 54585, 53,
	    "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=",
	    "77f14fe445b7c22635bc29dd87095e451287a304" },
	{ 17, "8.8.8.8", "192.168.1.52", 53, 54585,
	    "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=",
	    "77f14fe445b7c22635bc29dd87095e451287a304" },
	{ 46, "10.1.12.1", "10.1.12.2", -1, -1,
	    "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=", "1:rYir8gphR31noO9iDRQmF/BteEI=",
	    "28794b920a095bb89f513c934a0c957e4147ccac" },
	{ 46, "10.1.12.2", "10.1.12.1", -1, -1,
	    "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=", "1:rYir8gphR31noO9iDRQmF/BteEI=",
	    "28794b920a095bb89f513c934a0c957e4147ccac" },
};

#define NVEC(a)	(sizeof(a) / sizeof((a)[0]))

static int
b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decode a Community ID's base64 part to hex, independently of the encoder under test. */
static void
id_to_hex(const char *id, char *hex, size_t hexlen)
{
	uint32_t acc = 0;
	size_t n = 0;
	int bits = 0, v;

	assert_true(strncmp(id, "1:", 2) == 0);
	hex[0] = '\0';
	for (id += 2; *id != '\0' && *id != '='; id++) {
		v = b64_val(*id);
		assert_true(v >= 0);
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			assert_true(n + 3 <= hexlen);
			snprintf(hex + n, 3, "%02x", (unsigned)(acc >> bits & 0xff));
			n += 2;
		}
	}
}

static void
digest_hex(const uint8_t *d, char *hex)
{
	size_t i;

	for (i = 0; i < COMMUNITY_ID_SHA1_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

static void
key_of(const struct cid_vec *v, struct flow_key *k, bool swap)
{
	memset(k, 0, sizeof(*k));
	assert_int_equal(addr_parse(&k->src, swap ? v->dst : v->src), 0);
	assert_int_equal(addr_parse(&k->dst, swap ? v->src : v->dst), 0);
	k->proto = v->proto;
	if (v->proto == 1 || v->proto == 58) {
		/* the echo id, which must not enter the hash */
		k->sport = k->dport = 0xbeef;
	} else if (v->sport < 0) {
		/* ports of a protocol without them are not hashed either */
		k->sport = swap ? 5678 : 1234;
		k->dport = swap ? 1234 : 5678;
	} else {
		k->sport = (uint16_t)(swap ? v->dport : v->sport);
		k->dport = (uint16_t)(swap ? v->sport : v->dport);
	}
}

/* The ID of k (the tuple of v, one way or the other) must be want; id gets it. */
static void
check_one(const struct flow_key *k, const struct cid_vec *v, uint16_t seed,
    const char *want, char id[COMMUNITY_ID_LEN])
{
	bool icmp = v->proto == 1 || v->proto == 58;

	assert_int_equal(community_id(k, seed, icmp, icmp ? (uint8_t)v->sport : 0,
	    icmp ? (uint8_t)v->dport : 0, id, COMMUNITY_ID_LEN), 0);
	if (strcmp(id, want) != 0)
		fail_msg("proto %u %s %d -> %s %d seed %u: got %s, want %s",
		    v->proto, v->src, v->sport, v->dst, v->dport, seed, id, want);
}

static void
check_vecs(const struct cid_vec *vecs, size_t n)
{
	const struct cid_vec *v;
	struct flow_key k;
	char id[COMMUNITY_ID_LEN], hex[2 * COMMUNITY_ID_SHA1_LEN + 1];
	size_t i;

	for (i = 0; i < n; i++) {
		v = &vecs[i];
		key_of(v, &k, false);
		check_one(&k, v, 1, v->id1, id);
		check_one(&k, v, 0, v->id0, id);

		/* the "no base64" column: the same digest */
		id_to_hex(id, hex, sizeof(hex));
		assert_string_equal(hex, v->hex);

		/* ICMP's reverse direction is another message type: the
		 * tables give it as its own row */
		if (v->proto == 1 || v->proto == 58)
			continue;
		key_of(v, &k, true);
		check_one(&k, v, 0, v->id0, id);
		check_one(&k, v, 1, v->id1, id);
	}
}

static void
test_pycommunityid_vectors(void **state)
{
	(void)state;
	check_vecs(py_vecs, NVEC(py_vecs));
}

static void
test_baseline_readme(void **state)
{
	(void)state;
	check_vecs(readme_vecs, NVEC(readme_vecs));
}

static void
test_baseline_json(void **state)
{
	(void)state;
	check_vecs(json_vecs, NVEC(json_vecs));
}

/*
 * corelight/pycommunityid tests/communityid_test.py, TestCommands:
 * `community-id tcp 10.0.0.1 10.0.0.2 10 20` and, with -vv, the bytes hashed.
 */
static void
test_hash_input_layout(void **state)
{
	static const uint8_t in[] = {
		0x00, 0x00,			/* seed */
		0x0a, 0x00, 0x00, 0x01,		/* ipaddr */
		0x0a, 0x00, 0x00, 0x02,		/* ipaddr */
		0x06,				/* proto */
		0x00,				/* padding */
		0x00, 0x0a,			/* port */
		0x00, 0x14,			/* port */
	};
	static const char want[] = "1:9j2Dzwrw7T9E+IZi4b4IVT66HBI=";
	uint8_t d[COMMUNITY_ID_SHA1_LEN];
	char id[COMMUNITY_ID_LEN], hex[2 * COMMUNITY_ID_SHA1_LEN + 1];
	char whex[2 * COMMUNITY_ID_SHA1_LEN + 1];
	struct flow_key k;

	(void)state;
	community_id_sha1(in, sizeof(in), d);
	digest_hex(d, hex);
	id_to_hex(want, whex, sizeof(whex));
	assert_string_equal(hex, whex);

	memset(&k, 0, sizeof(k));
	assert_int_equal(addr_parse(&k.src, "10.0.0.1"), 0);
	assert_int_equal(addr_parse(&k.dst, "10.0.0.2"), 0);
	k.proto = 6;
	k.sport = 10;
	k.dport = 20;
	assert_int_equal(community_id(&k, 0, false, 0, 0, id, sizeof(id)), 0);
	assert_string_equal(id, want);
	assert_int_equal(strlen(id), COMMUNITY_ID_LEN - 1);
}

static void
make_key(struct flow_key *k, uint8_t proto, const char *src, const char *dst,
    uint16_t sport, uint16_t dport)
{
	memset(k, 0, sizeof(*k));
	assert_int_equal(addr_parse(&k->src, src), 0);
	assert_int_equal(addr_parse(&k->dst, dst), 0);
	k->proto = proto;
	k->sport = sport;
	k->dport = dport;
}

/*
 * No published vector has the same address at both ends.  The spec's
 * README: "If the IP addresses are equal, the ports decide", so the hash
 * input is laid out by hand here, the smaller port first.
 */
static void
test_equal_addresses(void **state)
{
	static const uint8_t in[] = {
		0x00, 0x07,			/* seed 7 */
		0x7f, 0x00, 0x00, 0x01,		/* 127.0.0.1 */
		0x7f, 0x00, 0x00, 0x01,		/* 127.0.0.1 */
		0x11,				/* UDP */
		0x00,				/* padding */
		0x00, 0x35,			/* 53 */
		0x14, 0xe9,			/* 5353 */
	};
	uint8_t d[COMMUNITY_ID_SHA1_LEN];
	char id[COMMUNITY_ID_LEN], hex[2 * COMMUNITY_ID_SHA1_LEN + 1];
	char want[2 * COMMUNITY_ID_SHA1_LEN + 1];
	struct flow_key k;

	(void)state;
	community_id_sha1(in, sizeof(in), d);
	digest_hex(d, want);

	make_key(&k, 17, "127.0.0.1", "127.0.0.1", 5353, 53);
	assert_int_equal(community_id(&k, 7, false, 0, 0, id, sizeof(id)), 0);
	id_to_hex(id, hex, sizeof(hex));
	assert_string_equal(hex, want);

	make_key(&k, 17, "127.0.0.1", "127.0.0.1", 53, 5353);
	assert_int_equal(community_id(&k, 7, false, 0, 0, id, sizeof(id)), 0);
	id_to_hex(id, hex, sizeof(hex));
	assert_string_equal(hex, want);
}

/* No expected strings here: the two directions agree, flows differing in one field do not. */
static void
test_symmetry(void **state)
{
	static const struct {
		uint8_t		proto;
		const char	*a, *b;
		uint16_t	pa, pb;
	} t[] = {
		{ 6, "192.0.2.1", "198.51.100.7", 40000, 443 },
		{ 17, "198.51.100.7", "192.0.2.1", 53, 53000 },
		{ 132, "2001:db8::1", "2001:db8::2", 3868, 3868 },
		{ 6, "2001:db8::2", "2001:db8::1", 80, 65535 },
		/* the same address on both ends: the ports decide */
		{ 17, "127.0.0.1", "127.0.0.1", 5353, 53 },
		{ 6, "::1", "::1", 8080, 1 },
		/* no ports */
		{ 47, "203.0.113.9", "192.0.2.1", 0, 0 },
		{ 50, "2001:db8::9", "2001:db8::1", 0, 0 },
	};
	static const uint16_t seeds[] = { 0, 1, 0xffff };
	struct flow_key k, r;
	char f[COMMUNITY_ID_LEN], b[COMMUNITY_ID_LEN], o[COMMUNITY_ID_LEN];
	size_t i, s;

	(void)state;
	for (s = 0; s < NVEC(seeds); s++) {
		for (i = 0; i < NVEC(t); i++) {
			make_key(&k, t[i].proto, t[i].a, t[i].b, t[i].pa, t[i].pb);
			make_key(&r, t[i].proto, t[i].b, t[i].a, t[i].pb, t[i].pa);
			assert_int_equal(community_id(&k, seeds[s], false, 0, 0, f, sizeof(f)), 0);
			assert_int_equal(community_id(&r, seeds[s], false, 0, 0, b, sizeof(b)), 0);
			assert_string_equal(f, b);

			/* another protocol number is another flow */
			k.proto ^= 0x80;
			assert_int_equal(community_id(&k, seeds[s], false, 0, 0, o, sizeof(o)), 0);
			assert_string_not_equal(f, o);
			if (t[i].proto == 47 || t[i].proto == 50)
				continue;
			/* and so is another port */
			k.proto = t[i].proto;
			k.sport++;
			assert_int_equal(community_id(&k, seeds[s], false, 0, 0, o, sizeof(o)), 0);
			assert_string_not_equal(f, o);
		}
	}
}

/* ICMP request and reply pair up through their types, whatever the echo id in the key. */
static void
test_icmp_pairs(void **state)
{
	static const struct {
		uint8_t	proto, req, rep;
	} t[] = {
		{ 1, 8, 0 }, { 1, 10, 9 }, { 1, 13, 14 }, { 1, 15, 16 }, { 1, 17, 18 },
		{ 58, 128, 129 }, { 58, 130, 131 }, { 58, 133, 134 }, { 58, 135, 136 },
		{ 58, 139, 140 }, { 58, 144, 145 },
	};
	struct flow_key k, r;
	char f[COMMUNITY_ID_LEN], b[COMMUNITY_ID_LEN], o[COMMUNITY_ID_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < NVEC(t); i++) {
		if (t[i].proto == 1) {
			make_key(&k, 1, "192.0.2.1", "198.51.100.7", 0x1234, 0x1234);
			make_key(&r, 1, "198.51.100.7", "192.0.2.1", 0x4321, 0x4321);
		} else {
			make_key(&k, 58, "2001:db8::7", "2001:db8::1", 0x1234, 0x1234);
			make_key(&r, 58, "2001:db8::1", "2001:db8::7", 0x4321, 0x4321);
		}
		/* the code of a message that has an answer is not hashed */
		assert_int_equal(community_id(&k, 0, true, t[i].req, 0, f, sizeof(f)), 0);
		assert_int_equal(community_id(&r, 0, true, t[i].rep, 3, b, sizeof(b)), 0);
		assert_string_equal(f, b);
		/* nor is a request sent the other way a different flow */
		assert_int_equal(community_id(&r, 0, true, t[i].req, 0, o, sizeof(o)), 0);
		assert_string_not_equal(f, o);
	}

	/* a message without an answer keeps its direction and its code */
	make_key(&k, 1, "192.0.2.1", "198.51.100.7", 0, 0);
	make_key(&r, 1, "198.51.100.7", "192.0.2.1", 0, 0);
	assert_int_equal(community_id(&k, 0, true, 3, 1, f, sizeof(f)), 0);
	assert_int_equal(community_id(&r, 0, true, 3, 1, b, sizeof(b)), 0);
	assert_string_not_equal(f, b);
	assert_int_equal(community_id(&k, 0, true, 3, 3, o, sizeof(o)), 0);
	assert_string_not_equal(f, o);
}

static void
test_errors(void **state)
{
	struct flow_key k;
	char id[COMMUNITY_ID_LEN + 8];

	(void)state;
	make_key(&k, 6, "192.0.2.1", "198.51.100.7", 1, 2);
	assert_int_equal(community_id(NULL, 0, false, 0, 0, id, sizeof(id)), -1);
	assert_int_equal(community_id(&k, 0, false, 0, 0, NULL, sizeof(id)), -1);

	memset(id, 'x', sizeof(id));
	assert_int_equal(community_id(&k, 0, false, 0, 0, id, COMMUNITY_ID_LEN - 1), -1);
	assert_string_equal(id, "");
	assert_int_equal(community_id(&k, 0, false, 0, 0, id, COMMUNITY_ID_LEN), 0);
	assert_int_equal(strlen(id), COMMUNITY_ID_LEN - 1);

	/* mixed or missing families */
	assert_int_equal(addr_parse(&k.dst, "2001:db8::1"), 0);
	assert_int_equal(community_id(&k, 0, false, 0, 0, id, sizeof(id)), -1);
	assert_string_equal(id, "");
	memset(&k.src, 0, sizeof(k.src));
	memset(&k.dst, 0, sizeof(k.dst));
	assert_int_equal(community_id(&k, 0, false, 0, 0, id, sizeof(id)), -1);

	/* ICMP without its type and code */
	make_key(&k, 1, "192.0.2.1", "198.51.100.7", 7, 7);
	assert_int_equal(community_id(&k, 0, false, 8, 0, id, sizeof(id)), -1);
	make_key(&k, 58, "2001:db8::1", "2001:db8::2", 7, 7);
	assert_int_equal(community_id(&k, 0, false, 128, 0, id, sizeof(id)), -1);
	assert_int_equal(community_id(&k, 0, true, 128, 0, id, sizeof(id)), 0);
}

static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n;
	unsigned v;

	for (n = 0; s[0] != '\0' && s[1] != '\0'; s += 2, n++) {
		assert_true(n < cap);
		assert_int_equal(sscanf(s, "%2x", &v), 1);
		out[n] = (uint8_t)v;
	}
	return n;
}

/*
 * NIST CAVP SHAVS, SHA1ShortMsg.rsp (byte-oriented): the lengths around the
 * padding's edges, 55, 56, 63 and 64 bytes.
 */
static void
test_sha1_padding(void **state)
{
	static const struct {
		const char	*msg, *md;
	} t[] = {
		{ "8e608d4bac688c4afdcd93cdeae3fcd935f530403a7e0f72749b929642c1aedaeb"
		  "ab7c07e097985842b2c78ca4d1dc3a1261dc6552a160",
		  "4ca82efd6e7b10a3cb7da9ca79b064001a867646" },		/* Len = 440 */
		{ "6e29c28d97ab8a8bd9670837a3e82e0f844b30c085478049bc6afd5e1ea5680a95"
		  "0b179953d6edb565ab89cf8b1fbec1477943b134b9ac38",
		  "33c29860b4a4af2167185f857aa20307d6b4f3b1" },		/* Len = 448 */
		{ "6a2466c4ef8d878d4b917223c8a2e41d2bc3e531e7eaa0b191a87256940b413d26"
		  "c40f2f7a85ce2537ad760b2a2756c5378fa770969767ea3caa659496cf98",
		  "6d378f822e2b705865492c3a2afde8ab6cff886e" },		/* Len = 504 */
		{ "4f86cf9bedc40560a5c9b74c1ee8f7f819349da85f9fe189f86329379ea11f8272"
		  "480772ed39508918a9684700c6d5f4649d8299b23b565032120bbd809f3edd",
		  "7233a0f331054dbc9589f1a8912611847a4993b0" },		/* Len = 512 */
	};
	static const size_t len[] = { 55, 56, 63, 64 };
	uint8_t msg[64], d[COMMUNITY_ID_SHA1_LEN];
	char hex[2 * COMMUNITY_ID_SHA1_LEN + 1];
	size_t i, n;

	(void)state;
	for (i = 0; i < NVEC(t); i++) {
		n = unhex(t[i].msg, msg, sizeof(msg));
		assert_int_equal(n, len[i]);
		community_id_sha1(msg, n, d);
		digest_hex(d, hex);
		assert_string_equal(hex, t[i].md);
	}
}

/* RFC 3174 section 7.3, TEST1 to TEST4 (the FIPS 180 examples), and the empty message. */
static void
test_sha1(void **state)
{
	static char million[1000000];
	static const char test4[] = "0123456701234567012345670123456701234567012345670123456701234567";
	char buf[10 * (sizeof(test4) - 1)];
	uint8_t d[COMMUNITY_ID_SHA1_LEN];
	char hex[2 * COMMUNITY_ID_SHA1_LEN + 1];
	size_t i;

	(void)state;
	community_id_sha1("abc", 3, d);
	digest_hex(d, hex);
	assert_string_equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");

	community_id_sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
	digest_hex(d, hex);
	assert_string_equal(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");

	memset(million, 'a', sizeof(million));
	community_id_sha1(million, sizeof(million), d);
	digest_hex(d, hex);
	assert_string_equal(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");

	for (i = 0; i < 10; i++)
		memcpy(buf + i * (sizeof(test4) - 1), test4, sizeof(test4) - 1);
	community_id_sha1(buf, sizeof(buf), d);
	digest_hex(d, hex);
	assert_string_equal(hex, "dea356a2cddd90c7a7ecedc5ebb563934f460452");

	community_id_sha1(NULL, 0, d);
	digest_hex(d, hex);
	assert_string_equal(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha1),
		cmocka_unit_test(test_sha1_padding),
		cmocka_unit_test(test_pycommunityid_vectors),
		cmocka_unit_test(test_baseline_readme),
		cmocka_unit_test(test_baseline_json),
		cmocka_unit_test(test_hash_input_layout),
		cmocka_unit_test(test_equal_addresses),
		cmocka_unit_test(test_symmetry),
		cmocka_unit_test(test_icmp_pairs),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
