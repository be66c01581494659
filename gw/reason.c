/*
 * reason.c - the reason codes' names.  Adding a code appends; a name never
 * changes once given.
 */
#include <string.h>

#include "reason.h"

static const char *const reason_names[REASON_COUNT] = {
	[REASON_ALLOWED] = "allowed",
	[REASON_ESTABLISHED] = "established",
	[REASON_RELATED] = "related",
	[REASON_NDP] = "ndp",
	[REASON_NOT_IP] = "not_ip",
	[REASON_UNKNOWN_EGRESS] = "unknown_egress",
	[REASON_UNSOLICITED_INBOUND] = "unsolicited_inbound",
	[REASON_MIDSTREAM] = "midstream",
	[REASON_UNRELATED_ICMP] = "unrelated_icmp",
	[REASON_ORPHAN_FRAGMENT] = "orphan_fragment",
	[REASON_MALFORMED] = "malformed",
	[REASON_FLOW_TABLE_FULL] = "flow_table_full",
	[REASON_CHECK_ERROR] = "check_error",
	[REASON_CHECK] = "check",
	[REASON_TCP_OVERLAP] = "tcp_overlap",
	[REASON_HTTP_DUPLICATE_HOST] = "http_duplicate_host",
	[REASON_HTTP_OBS_FOLD] = "http_obs_fold",
	[REASON_HTTP_BAD_HOST] = "http_bad_host",
	[REASON_HTTP_SPACE_BEFORE_COLON] = "http_space_before_colon",
	[REASON_HTTP_HOST_MISMATCH] = "http_host_mismatch",
	[REASON_NO_DNS_PROVENANCE] = "no_dns_provenance",
	[REASON_DNS_EXPIRED] = "dns_expired",
	[REASON_DNS_DENIED] = "dns_denied",
	[REASON_SNI_MISMATCH] = "sni_mismatch",
	[REASON_HOST_MISMATCH] = "host_mismatch",
	[REASON_PRIVATE_ADDRESS] = "private_address",
};

const char *
reason_name(int r)
{
	if (r < 0 || r >= REASON_COUNT || reason_names[r] == NULL)
		return "?";
	return reason_names[r];
}

int
reason_parse(const char *s)
{
	int i;

	for (i = 0; i < REASON_COUNT; i++)
		if (reason_names[i] != NULL && strcmp(s, reason_names[i]) == 0)
			return i;
	return -1;
}
