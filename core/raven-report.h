/* raven-report.h: delivery status reports (bounces, delay warnings,
 * delivery confirmations) as RFC 3464 multipart/report messages.
 * SPDX-License-Identifier: MIT
 *
 * The first part says in one reading what happened ("Your message to
 * bob@remote.test could not be delivered: the recipient's mailbox is
 * full."); the second is the machine-readable message/delivery-status with
 * RFC 3463 status codes; the third is the original's header (or the whole
 * message when the sender asked for RET=FULL in a failure report).
 */
#ifndef RAVEN_REPORT_H
#define RAVEN_REPORT_H

#include <raven/raven-plugin.h>

G_BEGIN_DECLS

typedef enum {
	RAVEN_REPORT_FAILED,
	RAVEN_REPORT_DELAYED,
	RAVEN_REPORT_DELIVERED,
} RavenReportAction;

typedef struct {
	const char *address;     /* the final recipient */
	const char *orcpt;       /* nullable: DSN ORCPT, "rfc822;addr" */
	const char *status;      /* "5.1.1" */
	const char *diagnostic;  /* nullable: the remote reply, or why */
	const char *remote_host; /* nullable */
} RavenReportRecipient;

typedef struct {
	RavenReportAction action;
	const char *hostname; /* the reporting server */
	const char *queue_id;
	const RavenEnvelope *envelope; /* of the original */
	GBytes *message;               /* the original */
	gint64 arrival;                /* seconds since the epoch */
	gint64 retry_until;            /* DELAYED: when the queue gives up */
	const RavenReportRecipient *recipients;
	guint n_recipients;
} RavenReport;

/* The report as a message with CRLF line ends (transfer full). */
GBytes *raven_report_build(const RavenReport *report);

/* An envelope for sending `report`: the null sender, so a report is never
 * reported on, to the original sender; strings point into `report`. */
void raven_report_envelope(const RavenReport *report,
                           RavenRecipient *recipient,
                           RavenEnvelope *envelope);

G_END_DECLS

#endif /* RAVEN_REPORT_H */
