/* test_nfq.c - nfq.c without a kernel: verdict runs into messages, packet messages parsed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "nfq.h"

#define QNUM	7
#define PKT_TYPE	((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET)

/* One verdict message read back. */
struct vmsg {
	int		batch;
	uint32_t	verdict, id;
	int		has_mark;
	uint32_t	mark;
};

static size_t
read_verdicts(const void *buf, size_t len, struct vmsg *out, size_t max)
{
	const struct nlmsghdr *nlh = buf;
	int rem = (int)len;
	size_t n = 0;

	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
		const struct nlattr *a;
		int saw_hdr = 0;

		assert_true(n < max);
		memset(&out[n], 0, sizeof(out[n]));
		assert_true(nlh->nlmsg_type == ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT) ||
		    nlh->nlmsg_type == ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT_BATCH));
		assert_true(nlh->nlmsg_flags & NLM_F_REQUEST);
		assert_int_equal(ntohs(g->res_id), QNUM);
		assert_int_equal(g->version, NFNETLINK_V0);
		out[n].batch = nlh->nlmsg_type == ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT_BATCH);
		mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
			switch (mnl_attr_get_type(a)) {
			case NFQA_VERDICT_HDR: {
				struct nfqnl_msg_verdict_hdr vh;

				assert_int_equal(mnl_attr_get_payload_len(a), sizeof(vh));
				memcpy(&vh, mnl_attr_get_payload(a), sizeof(vh));
				out[n].verdict = ntohl(vh.verdict);
				out[n].id = ntohl(vh.id);
				saw_hdr = 1;
				break;
			}
			case NFQA_MARK:
				out[n].has_mark = 1;
				out[n].mark = ntohl(mnl_attr_get_u32(a));
				break;
			default:
				fail_msg("unexpected attribute %u", mnl_attr_get_type(a));
			}
		}
		assert_true(saw_hdr);
		n++;
	}
	assert_int_equal(rem, 0);
	return n;
}

static struct nfqueue_decided
dec(uint32_t id, uint32_t verdict, int set_mark, uint32_t mark)
{
	struct nfqueue_decided d;

	memset(&d, 0, sizeof(d));
	d.id = id;
	d.v.verdict = verdict;
	d.v.set_mark = set_mark != 0;
	d.v.mark = mark;
	return d;
}

static void
expect_vmsg(const struct vmsg *m, int batch, uint32_t verdict, uint32_t id, int has_mark,
    uint32_t mark)
{
	assert_int_equal(m->batch, batch);
	assert_int_equal(m->verdict, verdict);
	assert_int_equal(m->id, id);
	assert_int_equal(m->has_mark, has_mark);
	if (has_mark)
		assert_int_equal(m->mark, mark);
}

static void
test_verdict_runs(void **state)
{
	uint32_t buf[64 * NFQUEUE_VERDICT_MSG_MAX / 4];
	struct nfqueue_decided d[16] = { 0 };
	struct nfqueue_built b;
	struct vmsg m[16];
	size_t n;

	(void)state;
	/* nothing decided, nothing written */
	assert_int_equal(nfqueue_build_verdicts(buf, sizeof(buf), QNUM, d, 0, &b), 0);
	assert_int_equal(b.len, 0);

	/* one packet: a plain verdict for exactly its id */
	d[0] = dec(41, NF_ACCEPT, 0, 0);
	assert_int_equal(nfqueue_build_verdicts(buf, sizeof(buf), QNUM, d, 1, &b), 0);
	assert_int_equal(read_verdicts(buf, b.len, m, 16), 1);
	expect_vmsg(&m[0], 0, NF_ACCEPT, 41, 0, 0);
	assert_int_equal(b.verdict_msgs, 1);
	assert_int_equal(b.batch_msgs, 0);

	/* one run: one batch message with the last id */
	for (n = 0; n < 5; n++)
		d[n] = dec((uint32_t)(100 + n), NF_ACCEPT, 0, 0);
	assert_int_equal(nfqueue_build_verdicts(buf, sizeof(buf), QNUM, d, 5, &b), 0);
	assert_int_equal(read_verdicts(buf, b.len, m, 16), 1);
	expect_vmsg(&m[0], 1, NF_ACCEPT, 104, 0, 0);
	assert_int_equal(b.batch_msgs, 1);
	assert_int_equal(b.verdict_msgs, 0);

	/* verdict changes start new runs; a run of one stays a plain verdict */
	d[0] = dec(1, NF_ACCEPT, 0, 0);
	d[1] = dec(2, NF_ACCEPT, 0, 0);
	d[2] = dec(3, NF_DROP, 0, 0);
	d[3] = dec(5, NF_DROP, 0, 0);	/* ids need not be consecutive */
	d[4] = dec(6, NF_ACCEPT, 0, 0);
	d[5] = dec(7, NF_REPEAT, 1, 0x40000000);
	d[6] = dec(8, NF_REPEAT, 1, 0x40000000);
	assert_int_equal(nfqueue_build_verdicts(buf, sizeof(buf), QNUM, d, 7, &b), 0);
	assert_int_equal(read_verdicts(buf, b.len, m, 16), 4);
	expect_vmsg(&m[0], 1, NF_ACCEPT, 2, 0, 0);
	expect_vmsg(&m[1], 1, NF_DROP, 5, 0, 0);
	expect_vmsg(&m[2], 0, NF_ACCEPT, 6, 0, 0);
	expect_vmsg(&m[3], 1, NF_REPEAT, 8, 1, 0x40000000);
	assert_int_equal(b.batch_msgs, 3);
	assert_int_equal(b.verdict_msgs, 1);
}

static void
test_verdict_marks(void **state)
{
	uint32_t buf[64 * NFQUEUE_VERDICT_MSG_MAX / 4];
	struct nfqueue_decided d[16];
	struct nfqueue_built b;
	struct vmsg m[16];

	(void)state;
	/* a mark change or a mark action change starts a new run */
	d[0] = dec(10, NF_ACCEPT, 1, 0x20000001);
	d[1] = dec(11, NF_ACCEPT, 1, 0x20000001);
	d[2] = dec(12, NF_ACCEPT, 1, 0x20000002);
	d[3] = dec(13, NF_ACCEPT, 0, 0x20000002);	/* no mark action: the value is ignored */
	d[4] = dec(14, NF_ACCEPT, 0, 0x12345678);
	d[5] = dec(15, NF_ACCEPT, 1, 0);		/* setting mark 0 is an action */
	assert_int_equal(nfqueue_build_verdicts(buf, sizeof(buf), QNUM, d, 6, &b), 0);
	assert_int_equal(read_verdicts(buf, b.len, m, 16), 4);
	expect_vmsg(&m[0], 1, NF_ACCEPT, 11, 1, 0x20000001);
	expect_vmsg(&m[1], 0, NF_ACCEPT, 12, 1, 0x20000002);
	expect_vmsg(&m[2], 1, NF_ACCEPT, 14, 0, 0);
	expect_vmsg(&m[3], 0, NF_ACCEPT, 15, 1, 0);

	/* drops merge whatever their marks, and carry none */
	d[0] = dec(20, NF_DROP, 1, 1);
	d[1] = dec(21, NF_DROP, 0, 0);
	d[2] = dec(22, NF_DROP, 1, 2);
	assert_int_equal(nfqueue_build_verdicts(buf, sizeof(buf), QNUM, d, 3, &b), 0);
	assert_int_equal(read_verdicts(buf, b.len, m, 16), 1);
	expect_vmsg(&m[0], 1, NF_DROP, 22, 0, 0);

	/* the same verdict and mark, but repeat vs accept: two runs */
	d[0] = dec(30, NF_ACCEPT, 1, 5);
	d[1] = dec(31, NF_REPEAT, 1, 5);
	assert_int_equal(nfqueue_build_verdicts(buf, sizeof(buf), QNUM, d, 2, &b), 0);
	assert_int_equal(read_verdicts(buf, b.len, m, 16), 2);
	expect_vmsg(&m[0], 0, NF_ACCEPT, 30, 1, 5);
	expect_vmsg(&m[1], 0, NF_REPEAT, 31, 1, 5);
}

static void
test_verdict_space(void **state)
{
	struct nfqueue_decided d[64];
	struct nfqueue_built b;
	uint32_t *buf;
	size_t i, need = 64 * NFQUEUE_VERDICT_MSG_MAX;

	(void)state;
	/* the worst case, every packet its own message with a mark, fits n * MAX exactly */
	for (i = 0; i < 64; i++)
		d[i] = dec((uint32_t)i, NF_ACCEPT, 1, (uint32_t)i);
	buf = malloc(need);
	assert_non_null(buf);
	assert_int_equal(nfqueue_build_verdicts(buf, need, QNUM, d, 64, &b), 0);
	assert_int_equal(b.len, need);
	assert_int_equal(b.verdict_msgs, 64);
	assert_int_equal(nfqueue_build_verdicts(buf, need - 1, QNUM, d, 64, &b), -1);
	assert_int_equal(nfqueue_build_verdicts(buf, 0, QNUM, d, 1, &b), -1);
	free(buf);
}

/* Build a packet message the way the kernel does. */
struct pktmsg {
	uint32_t	buf[1024];
	struct nlmsghdr	*nlh;
};

static void
msg_start(struct pktmsg *m, uint16_t type)
{
	struct nfgenmsg *g;

	memset(m->buf, 0, sizeof(m->buf));
	m->nlh = mnl_nlmsg_put_header(m->buf);
	m->nlh->nlmsg_type = type;
	g = mnl_nlmsg_put_extra_header(m->nlh, sizeof(*g));
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = htons(QNUM);
}

static void
put_hdr(struct pktmsg *m, uint32_t id, uint16_t proto, uint8_t hook)
{
	struct nfqnl_msg_packet_hdr h;

	h.packet_id = htonl(id);
	h.hw_protocol = htons(proto);
	h.hook = hook;
	mnl_attr_put(m->nlh, NFQA_PACKET_HDR, sizeof(h), &h);
}

static void
put_be32(struct pktmsg *m, uint16_t type, uint32_t v)
{
	mnl_attr_put_u32(m->nlh, type, htonl(v));
}

static const uint8_t payload[60] = { 0x45, 0, 0, 60, 0, 0, 0x40, 0, 64, 6 };

static void
full_msg(struct pktmsg *m)
{
	static const uint8_t ts[16] = { 1 };
	static const uint8_t unknown[5] = { 9, 9, 9, 9, 9 };
	struct nlattr *nest;

	msg_start(m, PKT_TYPE);
	put_hdr(m, 0xdeadbeef, 0x0800, NF_INET_LOCAL_OUT);
	put_be32(m, NFQA_MARK, 0x20000042);
	mnl_attr_put(m->nlh, NFQA_TIMESTAMP, sizeof(ts), ts);
	put_be32(m, NFQA_IFINDEX_OUTDEV, 3);
	put_be32(m, NFQA_UID, 65534);
	put_be32(m, NFQA_GID, 100);
	put_be32(m, NFQA_SKB_INFO, NFQA_SKB_GSO | NFQA_SKB_CSUMNOTREADY);
	put_be32(m, NFQA_CAP_LEN, 65000);
	nest = mnl_attr_nest_start(m->nlh, NFQA_VLAN);
	mnl_attr_put_u16(m->nlh, NFQA_VLAN_TCI, htons(5));
	mnl_attr_nest_end(m->nlh, nest);
	mnl_attr_put(m->nlh, 250, sizeof(unknown), unknown);	/* from a newer kernel */
	mnl_attr_put(m->nlh, NFQA_PAYLOAD, sizeof(payload), payload);
}

static void
test_parse_full(void **state)
{
	struct pktmsg m;
	struct nfqueue_pkt p;

	(void)state;
	full_msg(&m);
	assert_int_equal(nfqueue_parse_packet(m.nlh, m.nlh->nlmsg_len, &p), NFQUEUE_PKT_OK);
	assert_int_equal(p.id, 0xdeadbeef);
	assert_int_equal(p.hw_protocol, 0x0800);
	assert_int_equal(p.hook, NF_INET_LOCAL_OUT);
	assert_int_equal(p.mark, 0x20000042);
	assert_int_equal(p.indev, 0);
	assert_int_equal(p.outdev, 3);
	assert_true(p.has_uid);
	assert_true(p.has_gid);
	assert_int_equal(p.uid, 65534);
	assert_int_equal(p.gid, 100);
	assert_true(p.gso);
	assert_true(p.csum_partial);
	assert_int_equal(p.caplen, sizeof(payload));
	assert_int_equal(p.wirelen, 65000);
	assert_memory_equal(p.data, payload, sizeof(payload));
	/* data points into the message, not a copy */
	assert_true(p.data > (const uint8_t *)m.buf && p.data < (const uint8_t *)m.buf + sizeof(m.buf));
	/* a longer buffer than the message is fine */
	assert_int_equal(nfqueue_parse_packet(m.nlh, sizeof(m.buf), &p), NFQUEUE_PKT_OK);
}

static void
test_parse_minimal(void **state)
{
	struct pktmsg m;
	struct nfqueue_pkt p;

	(void)state;
	/* only the header: a packet without payload, uid, mark */
	msg_start(&m, PKT_TYPE);
	put_hdr(&m, 7, 0x86dd, NF_INET_LOCAL_IN);
	assert_int_equal(nfqueue_parse_packet(m.nlh, m.nlh->nlmsg_len, &p), NFQUEUE_PKT_OK);
	assert_int_equal(p.id, 7);
	assert_int_equal(p.hw_protocol, 0x86dd);
	assert_null(p.data);
	assert_int_equal(p.caplen, 0);
	assert_int_equal(p.wirelen, 0);
	assert_false(p.has_uid);
	assert_false(p.has_gid);
	assert_false(p.gso);

	/* a payload without CAP_LEN was not cut */
	mnl_attr_put(m.nlh, NFQA_PAYLOAD, 5, payload);	/* 5: the message ends unpadded */
	m.nlh->nlmsg_len -= 3;
	assert_int_equal(nfqueue_parse_packet(m.nlh, m.nlh->nlmsg_len, &p), NFQUEUE_PKT_OK);
	assert_int_equal(p.caplen, 5);
	assert_int_equal(p.wirelen, 5);

	/* an empty payload attribute */
	msg_start(&m, PKT_TYPE);
	put_hdr(&m, 8, 0x0800, NF_INET_FORWARD);
	mnl_attr_put(m.nlh, NFQA_PAYLOAD, 0, NULL);
	assert_int_equal(nfqueue_parse_packet(m.nlh, m.nlh->nlmsg_len, &p), NFQUEUE_PKT_OK);
	assert_int_equal(p.caplen, 0);
}

static void
test_parse_bad(void **state)
{
	struct pktmsg m;
	struct nfqueue_pkt p;
	struct nlattr *a;
	uint8_t six[6] = { 0 };
	uint64_t eight = 0;

	(void)state;
	/* no packet header: nothing to answer */
	msg_start(&m, PKT_TYPE);
	put_be32(&m, NFQA_MARK, 1);
	assert_int_equal(nfqueue_parse_packet(m.nlh, m.nlh->nlmsg_len, &p), NFQUEUE_PKT_NOID);

	/* a packet header too short */
	msg_start(&m, PKT_TYPE);
	mnl_attr_put(m.nlh, NFQA_PACKET_HDR, sizeof(six), six);
	assert_int_equal(nfqueue_parse_packet(m.nlh, m.nlh->nlmsg_len, &p), NFQUEUE_PKT_NOID);

	/* a u32 of the wrong size: the id survives, nothing else */
	msg_start(&m, PKT_TYPE);
	put_hdr(&m, 9, 0x0800, NF_INET_LOCAL_OUT);
	put_be32(&m, NFQA_UID, 1000);
	mnl_attr_put(m.nlh, NFQA_MARK, sizeof(eight), &eight);
	assert_int_equal(nfqueue_parse_packet(m.nlh, m.nlh->nlmsg_len, &p), NFQUEUE_PKT_BAD);
	assert_int_equal(p.id, 9);
	assert_int_equal(p.hook, NF_INET_LOCAL_OUT);
	assert_false(p.has_uid);
	assert_null(p.data);
	msg_start(&m, PKT_TYPE);
	put_hdr(&m, 10, 0x0800, NF_INET_LOCAL_OUT);
	mnl_attr_put(m.nlh, NFQA_GID, 3, six);
	assert_int_equal(nfqueue_parse_packet(m.nlh, m.nlh->nlmsg_len, &p), NFQUEUE_PKT_BAD);

	/* CAP_LEN below what was copied */
	msg_start(&m, PKT_TYPE);
	put_hdr(&m, 11, 0x0800, NF_INET_LOCAL_OUT);
	put_be32(&m, NFQA_CAP_LEN, 10);
	mnl_attr_put(m.nlh, NFQA_PAYLOAD, sizeof(payload), payload);
	assert_int_equal(nfqueue_parse_packet(m.nlh, m.nlh->nlmsg_len, &p), NFQUEUE_PKT_BAD);
	assert_int_equal(p.id, 11);

	/* an attribute longer than the message */
	full_msg(&m);
	a = (struct nlattr *)((uint8_t *)m.nlh + m.nlh->nlmsg_len - MNL_ALIGN(
	    MNL_ATTR_HDRLEN + sizeof(payload)));
	assert_int_equal(mnl_attr_get_type(a), NFQA_PAYLOAD);
	a->nla_len = (uint16_t)(a->nla_len + 4);
	assert_int_equal(nfqueue_parse_packet(m.nlh, m.nlh->nlmsg_len, &p), NFQUEUE_PKT_BAD);
	assert_int_equal(p.id, 0xdeadbeef);
	/* an attribute length below its own header */
	a->nla_len = 2;
	assert_int_equal(nfqueue_parse_packet(m.nlh, m.nlh->nlmsg_len, &p), NFQUEUE_PKT_BAD);

	/* a message cut inside its attributes, header first */
	full_msg(&m);
	m.nlh->nlmsg_len -= 20;
	assert_int_equal(nfqueue_parse_packet(m.nlh, m.nlh->nlmsg_len, &p), NFQUEUE_PKT_BAD);
	/* ... and cut inside the packet header itself */
	full_msg(&m);
	m.nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 4 + 8;
	assert_int_equal(nfqueue_parse_packet(m.nlh, m.nlh->nlmsg_len, &p), NFQUEUE_PKT_NOID);
}

static void
test_parse_envelope(void **state)
{
	struct pktmsg m;
	struct nfqueue_pkt p;

	(void)state;
	full_msg(&m);
	/* the buffer ends before the message does */
	assert_int_equal(nfqueue_parse_packet(m.nlh, m.nlh->nlmsg_len - 1, &p), NFQUEUE_PKT_NOID);
	assert_int_equal(nfqueue_parse_packet(m.nlh, 10, &p), NFQUEUE_PKT_NOID);
	assert_int_equal(nfqueue_parse_packet(m.nlh, 0, &p), NFQUEUE_PKT_NOID);
	/* a header that claims less than itself */
	m.nlh->nlmsg_len = 8;
	assert_int_equal(nfqueue_parse_packet(m.nlh, sizeof(m.buf), &p), NFQUEUE_PKT_NOID);
	/* no room for the nfgenmsg */
	m.nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 2;
	assert_int_equal(nfqueue_parse_packet(m.nlh, sizeof(m.buf), &p), NFQUEUE_PKT_NOID);
	/* other messages are not packets */
	msg_start(&m, NLMSG_ERROR);
	assert_int_equal(nfqueue_parse_packet(m.nlh, m.nlh->nlmsg_len, &p), NFQUEUE_PKT_OTHER);
	msg_start(&m, (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_CONFIG);
	put_hdr(&m, 1, 0x0800, 0);
	assert_int_equal(nfqueue_parse_packet(m.nlh, m.nlh->nlmsg_len, &p), NFQUEUE_PKT_OTHER);
	msg_start(&m, (NFNL_SUBSYS_ULOG << 8) | NFQNL_MSG_PACKET);
	assert_int_equal(nfqueue_parse_packet(m.nlh, m.nlh->nlmsg_len, &p), NFQUEUE_PKT_OTHER);
}

/* Every cut and many corruptions of a good message, each in a buffer of its exact size. */
static void
test_parse_mangled(void **state)
{
	struct pktmsg m;
	struct nfqueue_pkt p;
	uint32_t x = 0x9e3779b9, full;
	size_t len, i;
	uint8_t *copy;

	(void)state;
	full_msg(&m);
	full = m.nlh->nlmsg_len;
	for (len = 0; len <= full; len++) {
		struct nlmsghdr *h;
		enum nfqueue_parse r;

		copy = malloc(len ? len : 1);
		assert_non_null(copy);
		memcpy(copy, m.buf, len);
		h = (struct nlmsghdr *)copy;
		r = nfqueue_parse_packet(copy, len, &p);
		assert_true(r == NFQUEUE_PKT_NOID || (len == full && r == NFQUEUE_PKT_OK));
		if (len >= sizeof(*h)) {
			h->nlmsg_len = (uint32_t)len;	/* a message that says it is this long */
			r = nfqueue_parse_packet(copy, len, &p);
			assert_true(r != NFQUEUE_PKT_OTHER);
			if (r == NFQUEUE_PKT_OK)	/* only a cut at an attribute boundary */
				assert_true(p.caplen <= len);
		}
		free(copy);
	}
	copy = malloc(full);
	assert_non_null(copy);
	for (i = 0; i < 20000; i++) {
		unsigned flips = 1 + i % 4, k;

		memcpy(copy, m.buf, full);
		for (k = 0; k < flips; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			copy[16 + x % (full - 16)] = (uint8_t)(x >> 24);	/* keep the netlink header */
		}
		if (nfqueue_parse_packet(copy, full, &p) == NFQUEUE_PKT_OK && p.data != NULL)
			assert_true(p.data >= copy && p.data + p.caplen <= copy + full);
	}
	free(copy);
}

static void
test_open_bad_opts(void **state)
{
	struct nfqueue_opts o = { .queue = 1, .copy_range = NFQUEUE_COPY_MAX + 1 };
	char err[128];

	(void)state;
	err[0] = '\0';
	assert_null(nfqueue_open(&o, err, sizeof(err)));
	assert_non_null(strstr(err, "copy range"));
	o.copy_range = 0;
	o.batch = NFQUEUE_BATCH_MAX + 1;
	assert_null(nfqueue_open(&o, err, sizeof(err)));
	nfqueue_close(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict_runs),
		cmocka_unit_test(test_verdict_marks),
		cmocka_unit_test(test_verdict_space),
		cmocka_unit_test(test_parse_full),
		cmocka_unit_test(test_parse_minimal),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_envelope),
		cmocka_unit_test(test_parse_mangled),
		cmocka_unit_test(test_open_bad_opts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
