/*
 * fwrules.h - the kernel rules that send undecided packets to our queues and
 * keep decided flows in the kernel: install, remove, detect.
 *
 * The rules live in table filter, in chains of our own (OUTGATE_OUT and
 * OUTGATE_IN in host mode, OUTGATE_FWD in forward mode), reached by one jump
 * at the top of OUTPUT/INPUT/FORWARD; every rule carries the comment
 * "outgate", which is how remove finds ours and never touches anyone else's.
 * Each family is applied atomically by one `iptables-restore --noflush`
 * (`ip6tables-restore` for IPv6), run with fork/exec from PATH in the
 * caller's network namespace.
 *
 * Marks: the daemon gives a verdict of NF_REPEAT with a mark in our bits
 * (fwrules_marks); on re-entry our chain saves those bits, and only those,
 * into the connection's mark, and the connection is then accepted, dropped or
 * rejected in the kernel without visiting userspace again.
 *
 * Not for the hot path: each call forks iptables.  The caller must not set
 * SIGCHLD to SIG_IGN (the exit status of the children is needed).
 */
#ifndef OUTGATE_FWRULES_H
#define OUTGATE_FWRULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FWRULES_MARK_MASK_DEFAULT	0x60000000u
#define FWRULES_EXEMPT_MAX		8	/* --exempt-uid flags */
#define FWRULES_COMMENT			"outgate"

enum fwrules_backend {
	FWRULES_AUTO = 0,	/* what works here; today always iptables, see below */
	FWRULES_IPTABLES,	/* iptables-restore/ip6tables-restore (legacy or nft) */
	FWRULES_NFT,		/* native nft queue: detected, not implemented */
	FWRULES_NONE,		/* install nothing; someone else routes to the queue */
};

struct fwrules_opts {
	enum fwrules_backend backend;
	bool	 forward;		/* bastion: hook FORWARD; else OUTPUT and INPUT */
	uint16_t queue_lo, queue_hi;	/* one queue when equal, else --queue-balance lo:hi */
	bool	 fail_open;		/* --queue-bypass */
	uint32_t mark_mask;		/* the mark bits we own; 0 means FWRULES_MARK_MASK_DEFAULT */
	bool	 inbound_possible;	/* false: drop NEW inbound in the kernel (host mode) */
	bool	 include_loopback;	/* false: traffic on lo is not ours */
	bool	 replace;		/* install over stale rules of ours instead of refusing */
	/*
	 * Sockets left alone (host mode, outbound): those of these uids and
	 * those carrying this socket mark (SO_MARK, value/mask; mask 0 is none).
	 * Their connections get our accept mark, so the replies pass too.  For
	 * a sidecar: the gateway's own traffic is never queued to itself.
	 */
	uint32_t exempt_uid[FWRULES_EXEMPT_MAX];
	size_t	 nexempt_uid;
	uint32_t exempt_mark, exempt_mark_mask;
};

/*
 * The three marks, derived from the mask, which must be at least two
 * contiguous bits: with u its lowest bit, accept = u, drop = 2u, reject = 3u.
 * Returns 0, or -1 (outputs untouched) when the mask is unusable.  Any output
 * pointer may be NULL.
 */
int	fwrules_marks(uint32_t mask, uint32_t *accept, uint32_t *drop, uint32_t *reject);

/*
 * The iptables-restore input for family 4 or 6, written into buf (NUL
 * terminated).  o == NULL renders a removal; otherwise an install of o.
 * current is the family's `iptables -S` listing of table filter (NULL: none):
 * every rule of ours in it (by comment, outside our chains) is deleted and
 * every chain of ours flushed, and deleted when o does not recreate it, ahead
 * of the install in the same transaction.  Whether stale rules may be
 * replaced is the caller's decision (fwrules_install), not render's.
 * Returns the length written, or -1 for bad options, a bad family or a buf
 * too small.
 */
int	fwrules_render(const struct fwrules_opts *o, int family, const char *current,
	    char *buf, size_t len);

/*
 * Installs both families, IPv4 then IPv6; if IPv6 fails the IPv4 rules are
 * removed again.  Refuses when rules of ours exist unless o->replace.
 * FWRULES_NONE does nothing; FWRULES_NFT fails (see fwrules_detect).
 * Returns 0, or -1 with a one-line message in err.
 */
int	fwrules_install(const struct fwrules_opts *o, char *err, size_t errlen);

/*
 * Removes every chain and rule of ours, both families, in one transaction a
 * family; fine when there is none; touches no other rule.  o may be NULL
 * (iptables); with FWRULES_NONE or FWRULES_NFT there is nothing of ours.
 * Tries both families even when one fails.  Returns 0, or -1 with err.
 */
int	fwrules_remove(const struct fwrules_opts *o, char *err, size_t errlen);

/* 1 if any chain or rule of ours exists (either family), 0 none, -1 error. */
int	fwrules_present(char *err, size_t errlen);

/*
 * What AUTO would find: FWRULES_NFT only when nft is in PATH and the kernel
 * accepts a native queue rule (tried with `nft --check` in a throwaway
 * table: nothing is committed); else FWRULES_IPTABLES.  The nft rule set is
 * not written (it could not be tested here), so install with AUTO uses
 * iptables whatever this returns: iptables-nft drives nftables anyway.
 */
enum fwrules_backend fwrules_detect(void);

/* "auto", "iptables", "nft", "none"; a static string. */
const char *fwrules_backend_name(enum fwrules_backend b);

#endif
