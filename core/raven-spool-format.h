/* raven-spool-format.h: a spool file: envelope records, then the message.
 * SPDX-License-Identifier: MIT
 *
 * The file is "RAVEN-SPOOL 1\n" and then records "KEY LENGTH\nVALUE\n",
 * the last of them "data LENGTH\n" followed by the message.  Every value is
 * length-prefixed, so no value (an ORCPT with a newline, say) can inject a
 * record.  An "rcpt" record starts a recipient; "orcpt" and "notify"
 * records that follow it belong to it.
 */
#ifndef RAVEN_SPOOL_FORMAT_H
#define RAVEN_SPOOL_FORMAT_H

#include <raven/raven-plugin.h>

G_BEGIN_DECLS

/* Limits of the reader. */
#define RAVEN_SPOOL_MAX_RECIPIENTS 100000
#define RAVEN_SPOOL_MAX_VALUE (1u << 20)

/* A spool file read back.  Its strings point into `file`. */
typedef struct {
	RavenEnvelope envelope;
	GArray *recipients; /* RavenRecipient */
	GBytes *message;    /* a slice of `file` */
	GBytes *file;
	GPtrArray *strings; /* the NUL-terminated copies envelope points to */
} RavenSpoolEntry;

/* Append the file's bytes for `envelope` and `message` to `out`. */
void raven_spool_format_write(GByteArray *out,
                              const RavenEnvelope *envelope,
                              GBytes *message);

/* Read a spool file.  NULL with an error naming the offset when it is not a
 * well-formed spool file.  (transfer full; `file` is referenced) */
RavenSpoolEntry *raven_spool_format_read(GBytes *file, GError **error);
void raven_spool_entry_free(RavenSpoolEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RavenSpoolEntry, raven_spool_entry_free)

G_END_DECLS

#endif /* RAVEN_SPOOL_FORMAT_H */
