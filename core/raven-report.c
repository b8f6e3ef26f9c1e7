/* raven-report.c: delivery status reports (RFC 3464, RFC 3463 codes).
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-report.h"

#include "raven-message.h"

#include <string.h>

/* What a status code means, in words a person understands. */
static const char *
explain(const char *status)
{
	static const struct {
		const char *suffix; /* the code after its class digit */
		const char *words;
	} meanings[] = {
		{ ".1.1", "the address does not exist" },
		{ ".1.2", "the recipient's domain does not exist" },
		{ ".1.10", "the recipient's domain does not accept mail" },
		{ ".2.1", "the recipient's mailbox is disabled" },
		{ ".2.2", "the recipient's mailbox is full" },
		{ ".3.4", "the message is too big for the receiving server" },
		{ ".4.7",
		  "it could not be delivered in time, so Raven gave up" },
		{ ".6.7", "the receiving server cannot take international "
		          "addresses" },
	};

	for (gsize i = 0; status && i < G_N_ELEMENTS(meanings); i++) {
		if (strcmp(status + 1, meanings[i].suffix) == 0)
			return meanings[i].words;
	}
	if (status && g_str_has_prefix(status + 1, ".4."))
		return "the receiving server could not be reached";
	if (status && g_str_has_prefix(status + 1, ".7."))
		return "the receiving server refused it for policy reasons";
	return "the receiving server refused it";
}

static char *
date_of(gint64 seconds)
{
	g_autoptr(GDateTime) time = g_date_time_new_from_unix_local(
		seconds ? seconds : g_get_real_time() / G_USEC_PER_SEC);

	return raven_message_date(time);
}

static void
human_part(GString *out, const RavenReport *r)
{
	g_autofree char *until = date_of(r->retry_until);

	g_string_append(out, "Content-Type: text/plain; charset=utf-8\r\n"
	                     "Content-Description: Notification\r\n\r\n");
	g_string_append_printf(out, "This is the mail system at %s.\r\n\r\n",
	                       r->hostname);
	for (guint i = 0; i < r->n_recipients; i++) {
		const RavenReportRecipient *rc = &r->recipients[i];

		switch (r->action) {
		case RAVEN_REPORT_FAILED:
			g_string_append_printf(
				out,
				"Your message to %s could not be delivered: "
				"%s.\r\n",
				rc->address, explain(rc->status));
			break;
		case RAVEN_REPORT_DELAYED:
			g_string_append_printf(
				out,
				"Your message to %s has not been delivered "
				"yet. Raven is still trying, and will keep "
				"trying until %s.\r\n",
				rc->address, until);
			break;
		case RAVEN_REPORT_DELIVERED:
			g_string_append_printf(
				out, "Your message to %s was delivered.\r\n",
				rc->address);
			break;
		}
		if (rc->diagnostic && r->action != RAVEN_REPORT_DELIVERED)
			g_string_append_printf(out, "%s said: %s\r\n",
			                       rc->remote_host
			                               ? rc->remote_host
			                               : "The mail system",
			                       rc->diagnostic);
		g_string_append(out, "\r\n");
	}
	if (r->action == RAVEN_REPORT_DELAYED)
		g_string_append(out, "You do not need to send it again.\r\n");
}

/* RFC 3461 4.2: ORCPT is "addr-type;xtext"; shown as it came. */
static void
recipient_fields(GString *out,
                 const RavenReport *r,
                 const RavenReportRecipient *rc,
                 const char *now)
{
	static const char *const actions[]
		= { "failed", "delayed", "delivered" };

	g_string_append(out, "\r\n");
	if (rc->orcpt)
		g_string_append_printf(out, "Original-Recipient: %s\r\n",
		                       rc->orcpt);
	g_string_append_printf(out,
	                       "Final-Recipient: rfc822; %s\r\n"
	                       "Action: %s\r\n"
	                       "Status: %s\r\n",
	                       rc->address, actions[r->action], rc->status);
	if (rc->remote_host) /* "name [address]": the name */
		g_string_append_printf(out, "Remote-MTA: dns; %.*s\r\n",
		                       (int)strcspn(rc->remote_host, " "),
		                       rc->remote_host);
	if (rc->diagnostic)
		g_string_append_printf(out, "Diagnostic-Code: smtp; %s\r\n",
		                       rc->diagnostic);
	g_string_append_printf(out, "Last-Attempt-Date: %s\r\n", now);
	if (r->action == RAVEN_REPORT_DELAYED) {
		g_autofree char *until = date_of(r->retry_until);

		g_string_append_printf(out, "Will-Retry-Until: %s\r\n", until);
	}
}

static void
status_part(GString *out, const RavenReport *r)
{
	g_autofree char *arrival = date_of(r->arrival);
	g_autofree char *now = date_of(0);

	g_string_append_printf(out,
	                       "Content-Type: message/delivery-status\r\n\r\n"
	                       "Reporting-MTA: dns; %s\r\n"
	                       "X-Raven-Queue-ID: %s\r\n",
	                       r->hostname, r->queue_id);
	if (r->envelope->envid)
		g_string_append_printf(out, "Original-Envelope-Id: %s\r\n",
		                       r->envelope->envid);
	g_string_append_printf(out, "Arrival-Date: %s\r\n", arrival);
	for (guint i = 0; i < r->n_recipients; i++)
		recipient_fields(out, r, &r->recipients[i], now);
}

/* The header section of `message`, up to and without the blank line. */
static gsize
header_length(const char *data, gsize len)
{
	for (gsize i = 0; i + 1 < len; i++) {
		if (data[i] == '\n' && data[i + 1] == '\n')
			return i + 1;
		if (i + 3 < len && memcmp(data + i, "\r\n\r\n", 4) == 0)
			return i + 2;
	}
	return len;
}

static void
original_part(GString *out, const RavenReport *r)
{
	gsize len;
	const char *data = g_bytes_get_data(r->message, &len);
	gboolean full
		= r->envelope->ret_full && r->action == RAVEN_REPORT_FAILED;

	if (full) {
		g_string_append(out, "Content-Type: message/rfc822\r\n"
		                     "Content-Description: Undelivered "
		                     "Message\r\n\r\n");
	} else {
		g_string_append(out, "Content-Type: text/rfc822-headers\r\n"
		                     "Content-Description: Message "
		                     "Headers\r\n\r\n");
		len = header_length(data, len);
	}
	g_string_append_len(out, data, len);
	if (len > 0 && data[len - 1] != '\n')
		g_string_append(out, "\r\n");
}

GBytes *
raven_report_build(const RavenReport *r)
{
	static const char *const subjects[] = {
		"Undelivered Mail Returned to Sender",
		"Delayed Mail (still being retried)",
		"Successful Mail Delivery Report",
	};
	GString *out = g_string_sized_new(4096);
	g_autofree char *uuid = g_uuid_string_random();
	g_autofree char *date = date_of(0);
	g_autofree char *boundary = g_strdup_printf("%s/%s", r->queue_id, uuid);

	g_string_append_printf(
		out,
		"From: Mail Delivery System <MAILER-DAEMON@%s>\r\n"
		"To: <%s>\r\n"
		"Subject: %s\r\n"
		"Date: %s\r\n"
		"Message-ID: <%s@%s>\r\n"
		"Auto-Submitted: auto-replied\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: multipart/report; report-type=delivery-status;"
		"\r\n\tboundary=\"%s\"\r\n"
		"\r\n"
		"This is a MIME-encapsulated delivery status report.\r\n"
		"\r\n--%s\r\n",
		r->hostname, r->envelope->sender, subjects[r->action], date,
		uuid, r->hostname, boundary, boundary);
	human_part(out, r);
	g_string_append_printf(out, "\r\n--%s\r\n", boundary);
	status_part(out, r);
	g_string_append_printf(out, "\r\n--%s\r\n", boundary);
	original_part(out, r);
	g_string_append_printf(out, "\r\n--%s--\r\n", boundary);
	return g_string_free_to_bytes(out);
}

void
raven_report_envelope(const RavenReport *report,
                      RavenRecipient *recipient,
                      RavenEnvelope *envelope)
{
	memset(recipient, 0, sizeof *recipient);
	recipient->size = sizeof *recipient;
	recipient->address = report->envelope->sender;
	recipient->notify = RAVEN_NOTIFY_NEVER;
	memset(envelope, 0, sizeof *envelope);
	envelope->size = sizeof *envelope;
	envelope->sender = "";
	envelope->recipients = recipient;
	envelope->n_recipients = 1;
	envelope->client_address = "127.0.0.1";
	envelope->helo = report->hostname;
	envelope->protocol = "local";
}
