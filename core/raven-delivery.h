/* raven-delivery.h: the queue: delivery of spooled messages, local and
 * remote, with retries, expiry and delivery status reports.
 * SPDX-License-Identifier: MIT
 *
 * Each spooled message is delivered on a worker thread: local recipients
 * into their mailboxes (raven-local-delivery.h), remote ones grouped by
 * domain through the registered transport (the smtp plugin).  What became
 * of each recipient is appended to the entry's notes before anything else
 * happens, so a restart picks up where the last run stopped.  A recipient
 * that fails for good, or is still deferred after max_queue_lifetime, gets
 * its sender a bounce report; one still deferred after delay_warning a
 * delay report; NOTIFY=SUCCESS a delivery report.  The reports are spooled
 * like any message, from the null sender, so none is ever reported on.
 */
#ifndef RAVEN_DELIVERY_H
#define RAVEN_DELIVERY_H

#include "raven-events.h"
#include "raven-registry.h"
#include "raven-spool.h"
#include "raven-users.h"

G_BEGIN_DECLS

/* Deliveries running at once; a remote one holds its thread while it
 * talks to the next hop. */
#define RAVEN_DELIVERY_THREADS 8

/* When to retry and when to give up (the `queue:` section). */
typedef struct {
	guint64 retry_first_ms;   /* first retry; doubled each time ... */
	guint64 retry_max_ms;     /* ... up to this */
	guint64 max_lifetime_ms;  /* then a bounce */
	guint64 delay_warning_ms; /* 0: no delay reports */
} RavenQueuePolicy;

#define RAVEN_QUEUE_RETRY_FIRST_MS (5 * 60 * 1000)
#define RAVEN_QUEUE_RETRY_MAX_MS (60 * 60 * 1000)
#define RAVEN_QUEUE_MAX_LIFETIME_MS ((guint64)5 * 24 * 60 * 60 * 1000)
#define RAVEN_QUEUE_DELAY_WARNING_MS (4 * 60 * 60 * 1000)

typedef struct RavenDelivery RavenDelivery;

/* All must outlive the RavenDelivery.  (transfer full) */
RavenDelivery *raven_delivery_new(RavenSpool *spool,
                                  RavenRegistry *registry,
                                  RavenUserDb *users,
                                  RavenEventBus *events,
                                  const char *hostname,
                                  const RavenQueuePolicy *policy);
/* Waits for the deliveries that run. */
void raven_delivery_free(RavenDelivery *delivery);
void raven_delivery_set_policy(RavenDelivery *delivery,
                               const RavenQueuePolicy *policy);

/* A RavenSpoolDirect: deliver a message whose recipients are all local
 * straight into their mailboxes before it is acknowledged, so it needs
 * no spool file; FALSE (and the message is spooled) as soon as one
 * recipient is not local, asks for a delivery report (NOTIFY=SUCCESS)
 * or is not delivered at once. */
gboolean raven_delivery_direct(const char *queue_id,
                               const RavenSpoolEntry *entry,
                               gpointer delivery);

/* Deliver the spooled message `queue_id` now. */
void raven_delivery_start(RavenDelivery *delivery, const char *queue_id);

/* `ravenctl queue ...`: each waiting message with its recipients, their
 * reasons and the next attempt; retry all now (how many); forget one
 * without reports (FALSE with `error` when unknown or running). */
void raven_delivery_list(RavenDelivery *delivery, GString *out);
guint raven_delivery_flush(RavenDelivery *delivery);
gboolean raven_delivery_remove(RavenDelivery *delivery,
                               const char *queue_id,
                               GError **error);

G_END_DECLS

#endif /* RAVEN_DELIVERY_H */
