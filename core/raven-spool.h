/* raven-spool.h: the durable spool between "250 Ok" and delivery.
 * SPDX-License-Identifier: MIT
 *
 * DATA_DIR/spool/ holds one file per accepted message (raven-spool-format.h).
 * A message is written to spool/tmp/, fsynced, renamed into spool/ and the
 * folder fsynced before the submitter is told; the folder fsync is shared
 * by the messages that arrive together (group commit).  A file in spool/ is
 * removed only when every recipient is delivered, bounced or expired; until
 * then the queue keeps its notes on it in spool/notes/ID
 * (raven-queue-notes.h).  Unreadable entries go to spool/corrupt/.
 */
#ifndef RAVEN_SPOOL_H
#define RAVEN_SPOOL_H

#include "raven-spool-format.h"

G_BEGIN_DECLS

typedef struct RavenSpool RavenSpool;

/* Told on the main loop of each newly committed message. */
typedef void (*RavenSpoolCommitted)(const char *queue_id, gpointer data);

/* Offered each checked message before it is written, on the submitting
 * worker thread: TRUE when it delivered the message to every recipient
 * already, durably, so no spool file is needed. */
typedef gboolean (*RavenSpoolDirect)(const char *queue_id,
                                     const RavenSpoolEntry *entry,
                                     gpointer data);

/* Open (make) the spool under `dir`; refuse messages while less than
 * `min_free` bytes are free on its disk.  (transfer full) */
RavenSpool *raven_spool_open(const char *dir,
                             guint64 min_free,
                             RavenSpoolCommitted committed,
                             gpointer committed_data,
                             GError **error);
void raven_spool_free(RavenSpool *spool);
/* Set before the first submission. */
void raven_spool_set_direct(RavenSpool *spool,
                            RavenSpoolDirect direct,
                            gpointer data);

/* Check `message`, put `received` (a complete header field, nullable) in
 * front of it and commit it with `envelope` under `queue_id`; `done` then
 * runs on the main loop (raven-plugin.h, RavenSpoolDone). */
void raven_spool_submit(RavenSpool *spool,
                        const char *queue_id,
                        const RavenEnvelope *envelope,
                        GBytes *message,
                        const char *received,
                        RavenSpoolDone done,
                        gpointer data);

/* A new, unique, time-ordered queue id (transfer full). */
char *raven_spool_new_id(void);

/* The ids in the spool (after a restart), oldest first; unreadable files
 * are moved to corrupt/ and logged.  Leftovers in tmp/ are deleted: they
 * were never acknowledged.  (transfer full) */
GPtrArray *raven_spool_recover(RavenSpool *spool);

/* Read an entry.  Thread-safe. */
RavenSpoolEntry *
raven_spool_read(RavenSpool *spool, const char *queue_id, GError **error);
/* Commit an entry the daemon made itself (a bounce report), on a worker
 * thread: written and fsynced when it returns TRUE.  The caller starts its
 * delivery; `committed` is not called. */
gboolean raven_spool_commit(RavenSpool *spool,
                            const char *queue_id,
                            const RavenEnvelope *envelope,
                            GBytes *message,
                            GError **error);
/* Every recipient settled: forget the entry and its notes. */
void raven_spool_remove(RavenSpool *spool, const char *queue_id);
/* When the entry was committed (seconds since the epoch), 0 if unknown. */
gint64 raven_spool_arrival(RavenSpool *spool, const char *queue_id);
/* Append `lines` to the entry's notes and fdatasync them.  Thread-safe for
 * different entries. */
gboolean raven_spool_note(RavenSpool *spool,
                          const char *queue_id,
                          const char *lines,
                          GError **error);
/* The notes so far, "" when none (transfer full). */
char *raven_spool_notes(RavenSpool *spool, const char *queue_id);

G_END_DECLS

#endif /* RAVEN_SPOOL_H */
