/*
 * capread.h - read a capture file's frames for replay: libpcap opens and
 * validates every file; the records of a plain pcap file are read here.
 */
#ifndef OUTGATE_CAPREAD_H
#define OUTGATE_CAPREAD_H

#include <stddef.h>
#include <stdint.h>

#include <pcap/pcap.h>

/* capread_next's codes besides 1 (a frame) */
#define CAPREAD_END	0	/* no frame left */
#define CAPREAD_ERROR	(-1)	/* capread_error says why */
#define CAPREAD_FLUSH	(-3)	/* done with every frame returned so far? call again */

struct capread;

/*
 * Open a capture as pcap_open_offline_with_tstamp_precision does, with
 * microsecond stamps.  Returns NULL with one line in err (libpcap's, or
 * "out of memory") when it cannot.  The caller owns the reader.
 */
struct capread *capread_open(const char *path, char *err, size_t errlen);
void	capread_close(struct capread *c);

/* The libpcap handle (its link type, its snapshot length); owned by c. */
pcap_t	*capread_pcap(const struct capread *c);

/*
 * The next frame: 1 with *h and *data set, CAPREAD_END, CAPREAD_ERROR, or
 * CAPREAD_FLUSH.  The bytes of the frames returned stay valid, all of them,
 * until capread_next returns CAPREAD_FLUSH: the caller is then done with
 * them and calls again.  A plain pcap file (version 2.4, Ethernet or raw IP,
 * either byte order, micro- or nanosecond stamps, in a regular file) is
 * read in large blocks and its frames point into them; for anything else,
 * and from a record that is not whole or longer than the snapshot length
 * on, libpcap reads, one frame between two flushes.  Frames, stamps and
 * errors are libpcap's either way.
 */
int	capread_next(struct capread *c, struct pcap_pkthdr *h,
    const uint8_t **data);

/* The error of the last CAPREAD_ERROR: libpcap's text, or ours. */
const char *capread_error(const struct capread *c);

/* Bytes of the file read so far, or -1. */
long long capread_offset(const struct capread *c);

/* 1 when frames come from our blocks (tests, progress), 0 from libpcap. */
int	capread_blocks(const struct capread *c);

#endif
