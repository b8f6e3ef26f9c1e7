/* raven-message.h: checks on a received message: header syntax, MIME limits.
 * SPDX-License-Identifier: MIT
 */
#ifndef RAVEN_MESSAGE_H
#define RAVEN_MESSAGE_H

#include <raven/raven-plugin.h>

G_BEGIN_DECLS

#define RAVEN_MESSAGE_MAX_DEPTH 100
#define RAVEN_MESSAGE_MAX_PARTS 10000

/* Call once, on the main thread, before any other function here. */
void raven_message_init(void);

/* Check that `message` has an RFC 5322 header section (fields, folded
 * lines, then a blank line or the end) and that its MIME structure nests at
 * most RAVEN_MESSAGE_MAX_DEPTH deep with at most RAVEN_MESSAGE_MAX_PARTS
 * parts.  FALSE with a RAVEN_MESSAGE_ERROR saying what is wrong and on which
 * line.  Thread-safe. */
gboolean raven_message_check(GBytes *message, GError **error);

/* The Received: field the core puts in front of an accepted message
 * (RFC 5321 4.4), with its CRLF (transfer full). */
char *raven_message_received(const RavenEnvelope *envelope,
                             const char *queue_id,
                             const char *hostname);

/* An RFC 5322 date for `time` (nullable: now), in English whatever the
 * locale (transfer full). */
char *raven_message_date(GDateTime *time);

/* The number of Received: fields in the header (for the hop limit). */
guint raven_message_count_received(const guint8 *data, gsize len);

G_END_DECLS

#endif /* RAVEN_MESSAGE_H */
