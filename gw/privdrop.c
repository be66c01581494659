/*
 * privdrop.c - least privilege for the daemon: the user, the capabilities
 * kept, the bounding set, no_new_privs.  Raw capget/capset (version 3, two
 * 32-bit words) rather than libcap, which we would use for nothing else.
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "privdrop.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT			47
#define PR_CAP_AMBIENT_RAISE		2
#endif

static void
seterr(char *err, size_t errlen, const char *what, int e)
{
	snprintf(err, errlen, "privileges: %s: %s", what, strerror(e));
}

static int
parse_id(const char *s, const char *end, unsigned long *out)
{
	unsigned long v = 0;

	if (s == end || end - s > 10)
		return -1;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v >= 0xffffffffUL)		/* (uid_t)-1 means "unchanged" to setresuid */
		return -1;
	*out = v;
	return 0;
}

int
privdrop_user_parse(const char *spec, struct privdrop_user *u, char *err, size_t errlen)
{
	const char *colon = strchr(spec, ':'), *end = spec + strlen(spec);
	unsigned long uid, gid;
	struct passwd *pw;

	if (*spec >= '0' && *spec <= '9') {
		if (parse_id(spec, colon != NULL ? colon : end, &uid) == -1 ||
		    (colon != NULL && parse_id(colon + 1, end, &gid) == -1)) {
			snprintf(err, errlen, "\"%s\" is not a user name or UID[:GID]", spec);
			return -1;
		}
		if (colon == NULL) {
			/* a uid alone: its passwd group when it has an entry, else the same number */
			pw = getpwuid((uid_t)uid);
			gid = pw != NULL ? pw->pw_gid : uid;
		}
		u->uid = (uid_t)uid;
		u->gid = (gid_t)gid;
		return 0;
	}
	errno = 0;
	if ((pw = getpwnam(spec)) == NULL) {
		snprintf(err, errlen, "\"%s\": no such user%s%s", spec,
		    errno != 0 ? ": " : "", errno != 0 ? strerror(errno) : "");
		return -1;
	}
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	return 0;
}

static int
cap_last(void)
{
	FILE *fp = fopen("/proc/sys/kernel/cap_last_cap", "r");
	int n = CAP_LAST_CAP;

	if (fp != NULL) {
		if (fscanf(fp, "%d", &n) != 1 || n < 0 || n > 63)
			n = CAP_LAST_CAP;
		fclose(fp);
	}
	return n;
}

static int
caps_get(uint64_t *eff, uint64_t *prm)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) == -1)
		return -1;
	*eff = (uint64_t)d[1].effective << 32 | d[0].effective;
	*prm = (uint64_t)d[1].permitted << 32 | d[0].permitted;
	return 0;
}

static int
caps_set(uint64_t eff, uint64_t prm, uint64_t inh)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	d[0].effective = (uint32_t)eff;
	d[1].effective = (uint32_t)(eff >> 32);
	d[0].permitted = (uint32_t)prm;
	d[1].permitted = (uint32_t)(prm >> 32);
	d[0].inheritable = (uint32_t)inh;
	d[1].inheritable = (uint32_t)(inh >> 32);
	return (int)syscall(SYS_capset, &h, d);
}

int
privdrop_apply(const struct privdrop_user *u, uint64_t keep, bool ambient,
    char *err, size_t errlen)
{
	uint64_t eff, prm;
	int last = cap_last(), c;

	if (caps_get(&eff, &prm) == -1) {
		seterr(err, errlen, "capget", errno);
		return -1;
	}
	if ((prm & keep) != keep) {
		snprintf(err, errlen, "privileges: needed capabilities missing "
		    "(have 0x%llx, need 0x%llx)", (unsigned long long)prm,
		    (unsigned long long)keep);
		return -1;
	}
	/* the bounding set, while CAP_SETPCAP may still be ours */
	if (prm & PRIVDROP_CAP(CAP_SETPCAP)) {
		for (c = 0; c <= last; c++)
			if (!(keep & PRIVDROP_CAP(c)) &&
			    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) == -1 && errno != EINVAL) {
				seterr(err, errlen, "dropping the bounding set", errno);
				return -1;
			}
	}
	if (u != NULL) {
		/* keep the permitted set across setuid, then cut it to keep */
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1) {
			seterr(err, errlen, "PR_SET_KEEPCAPS", errno);
			return -1;
		}
		if (setgroups(1, &u->gid) == -1) {
			seterr(err, errlen, "setgroups", errno);
			return -1;
		}
		if (setresgid(u->gid, u->gid, u->gid) == -1) {
			seterr(err, errlen, "setresgid", errno);
			return -1;
		}
		if (setresuid(u->uid, u->uid, u->uid) == -1) {
			seterr(err, errlen, "setresuid", errno);
			return -1;
		}
		(void)prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	}
	if (caps_set(keep, keep, ambient ? keep : 0) == -1) {
		seterr(err, errlen, "capset", errno);
		return -1;
	}
	if (ambient) {
		for (c = 0; c <= last; c++)
			if ((keep & PRIVDROP_CAP(c)) &&
			    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) == -1) {
				seterr(err, errlen, "raising an ambient capability", errno);
				return -1;
			}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		seterr(err, errlen, "PR_SET_NO_NEW_PRIVS", errno);
		return -1;
	}
	/* proof: nothing more than keep, and no way back to root */
	if (caps_get(&eff, &prm) == -1 || eff != keep || prm != keep) {
		snprintf(err, errlen, "privileges: capabilities still 0x%llx after the drop",
		    (unsigned long long)prm);
		return -1;
	}
	if (u != NULL && u->uid != 0 && (setuid(0) != -1 || seteuid(0) != -1)) {
		snprintf(err, errlen, "privileges: root could be had back after the drop");
		return -1;
	}
	return 0;
}

static int
hex_field(const char *line, const char *name, uint64_t *out)
{
	size_t n = strlen(name);

	if (strncmp(line, name, n) != 0)
		return 0;
	*out = strtoull(line + n, NULL, 16);
	return 1;
}

int
privdrop_read_caps(pid_t pid, uint64_t *eff, uint64_t *prm, uint64_t *bnd, uint64_t *amb)
{
	char path[64], line[256];
	int found = 0;
	FILE *fp;

	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/thread-self/status");
	else
		snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL) {
		found += hex_field(line, "CapEff:", eff);
		found += hex_field(line, "CapPrm:", prm);
		found += hex_field(line, "CapBnd:", bnd);
		found += hex_field(line, "CapAmb:", amb);
	}
	fclose(fp);
	return found == 4 ? 0 : -1;
}
