/* raven-delivery.h: local delivery of spooled messages.
 * SPDX-License-Identifier: MIT
 *
 * For each recipient of a spooled message: resolve the user, ask the
 * delivery agents (Lua rules) what to do, pass the message through the
 * storage layers and hand it to the storage, on a worker thread.  Each
 * delivery carries the key QUEUE_ID-INDEX, so a delivery repeated after a
 * crash never stores a second copy.  A recipient that cannot be delivered
 * for good (no such user any more, over quota) is recorded in the spool's
 * failed/ folder for a bounce report; a temporary failure (the disk, no
 * storage yet) is retried.
 */
#ifndef RAVEN_DELIVERY_H
#define RAVEN_DELIVERY_H

#include "raven-events.h"
#include "raven-registry.h"
#include "raven-spool.h"
#include "raven-users.h"

G_BEGIN_DECLS

/* Seconds before a temporary failure is tried again. */
#define RAVEN_DELIVERY_RETRY_SECONDS 60
/* Deliveries running at once. */
#define RAVEN_DELIVERY_THREADS 4

typedef struct RavenDelivery RavenDelivery;

/* All must outlive the RavenDelivery.  (transfer full) */
RavenDelivery *raven_delivery_new(RavenSpool *spool,
                                  RavenRegistry *registry,
                                  RavenUserDb *users,
                                  RavenEventBus *events);
/* Waits for the deliveries that run. */
void raven_delivery_free(RavenDelivery *delivery);

/* Deliver the spooled message `queue_id`. */
void raven_delivery_start(RavenDelivery *delivery, const char *queue_id);

/* How many messages are being delivered or wait for a retry. */
guint raven_delivery_pending(RavenDelivery *delivery);

G_END_DECLS

#endif /* RAVEN_DELIVERY_H */
