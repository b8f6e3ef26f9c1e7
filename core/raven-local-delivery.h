/* raven-local-delivery.h: one recipient of a spooled message into its
 * local mailbox.
 * SPDX-License-Identifier: MIT
 *
 * Resolve the user, ask the delivery agents (Lua rules) what to do, pass
 * the message through the storage layers and hand it to the storage.  The
 * delivery carries the key QUEUE_ID-INDEX, so one repeated after a crash
 * never stores a second copy.  A failing agent never loses mail: INBOX.
 */
#ifndef RAVEN_LOCAL_DELIVERY_H
#define RAVEN_LOCAL_DELIVERY_H

#include "raven-registry.h"
#include "raven-spool-format.h"
#include "raven-users.h"

G_BEGIN_DECLS

typedef enum {
	RAVEN_OUTCOME_NONE,      /* settled by an earlier attempt */
	RAVEN_OUTCOME_DELIVERED, /* stored, or taken by the next hop */
	RAVEN_OUTCOME_DISCARDED, /* an agent dropped it */
	RAVEN_OUTCOME_FAILED,    /* for good: report to the sender */
	RAVEN_OUTCOME_DEFERRED,  /* try again later */
} RavenOutcome;

/* What became of one recipient. */
typedef struct {
	RavenOutcome outcome;
	char *user;   /* nullable: the local user */
	char *folder; /* nullable */
	guint32 uid;
	char *status;      /* nullable: "5.2.2" for failures and deferrals */
	char *diagnostic;  /* nullable: why, in words or the remote's reply */
	char *remote_host; /* nullable */
} RavenDeliveryResult;

void raven_delivery_result_clear(gpointer result);

/* Deliver recipient `index` of `entry`.  Worker thread. */
void raven_local_deliver(RavenRegistry *registry,
                         RavenUserDb *users,
                         const RavenSpoolEntry *entry,
                         const char *queue_id,
                         guint index,
                         RavenDeliveryResult *result);

G_END_DECLS

#endif /* RAVEN_LOCAL_DELIVERY_H */
