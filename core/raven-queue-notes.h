/* raven-queue-notes.h: what the queue remembers of a spooled message.
 * SPDX-License-Identifier: MIT
 *
 * The spool entry itself never changes; the queue appends one line per
 * fact to its notes (raven_spool_note) and reads them back before each
 * attempt and for `ravenctl queue list`:
 *   settled INDEX         the recipient is delivered, bounced or dropped
 *   deferred INDEX TEXT   why its last attempt failed for now
 *   attempt COUNT NEXT    attempts so far, next one (seconds since epoch)
 *   warned                the sender was told of the delay
 * Later lines win.  A torn last line (a crash mid-append) is ignored.
 */
#ifndef RAVEN_QUEUE_NOTES_H
#define RAVEN_QUEUE_NOTES_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
	guint n_recipients;
	gboolean *settled; /* per recipient */
	char **reasons;    /* per recipient: the last deferral, or NULL */
	guint attempts;
	gint64 next_try; /* 0: none planned */
	gboolean warned;
} RavenQueueNotes;

/* Notes for an entry of `n_recipients` from the text of its notes file;
 * out-of-range indexes and unknown lines are ignored.  (transfer full) */
RavenQueueNotes *raven_queue_notes_parse(const char *text, guint n_recipients);
void raven_queue_notes_free(RavenQueueNotes *notes);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RavenQueueNotes, raven_queue_notes_free)

/* Append one line to `out`; `reason` loses line breaks and control
 * characters so it cannot start a line of its own. */
void raven_queue_note_settled(GString *out, guint index);
void raven_queue_note_deferred(GString *out, guint index, const char *reason);
void raven_queue_note_attempt(GString *out, guint attempts, gint64 next_try);
void raven_queue_note_warned(GString *out);

G_END_DECLS

#endif /* RAVEN_QUEUE_NOTES_H */
