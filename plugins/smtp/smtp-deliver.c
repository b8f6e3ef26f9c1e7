/* smtp-deliver.c: the end of data: hop count, the submission role's From:
 * check and header fixes, the DATA filter phase, the envelope and the
 * spool.  250 only after the spool said ok.
 * SPDX-License-Identifier: MIT
 */
#define G_LOG_DOMAIN "smtp"

#include "smtp.h"

#include <string.h>

/* RFC 3848 */
static const char *
protocol_name(SmtpSession *s)
{
	if (s->auth_user != NULL)
		return s->tls ? "ESMTPSA" : "ESMTPA";
	if (s->tls)
		return "ESMTPS";
	return s->esmtp ? "ESMTP" : "SMTP";
}

/* s->envelope, pointing into the transaction (which outlives the call). */
static void
build_envelope(SmtpSession *s)
{
	RavenEnvelope *e = &s->envelope;
	SmtpTx *tx = &s->tx;

	g_clear_pointer(&s->env_rcpts, g_array_unref);
	s->env_rcpts = g_array_sized_new(FALSE, TRUE, sizeof(RavenRecipient),
	                                 tx->rcpts->len);
	for (guint i = 0; i < tx->rcpts->len; i++) {
		SmtpRcpt *r = &g_array_index(tx->rcpts, SmtpRcpt, i);
		RavenRecipient rr = {
			.size = sizeof rr,
			.address = r->address,
			.orcpt = r->orcpt,
			.notify = r->notify,
		};

		g_array_append_val(s->env_rcpts, rr);
	}
	memset(e, 0, sizeof *e);
	e->size = sizeof *e;
	e->sender = tx->mail.path.address;
	e->recipients = (const RavenRecipient *)s->env_rcpts->data;
	e->n_recipients = s->env_rcpts->len;
	e->envid = tx->mail.envid;
	e->ret_full = tx->mail.ret == SMTP_RET_FULL;
	e->client_address = s->client_address;
	e->helo = s->helo;
	e->protocol = protocol_name(s);
	e->auth_user = s->auth_user;
	e->junk = s->junk || tx->junk;
	e->score = s->score + tx->score;
	e->body_8bit = tx->mail.body == SMTP_BODY_8BITMIME;
	e->smtputf8 = tx->mail.smtputf8;
}

/* The reply for a spool failure (transfer full). */
static char *
spool_error_reply(const GError *error)
{
	g_autofree char *reason = NULL;

	if (error == NULL || error->domain != RAVEN_MESSAGE_ERROR)
		return g_strdup("451 4.3.0 Local error, try again later");
	reason = smtp_clean_text(error->message);
	switch ((RavenMessageError)error->code) {
	case RAVEN_MESSAGE_ERROR_SYNTAX:
		return g_strdup_printf("550 5.6.0 %s", reason);
	case RAVEN_MESSAGE_ERROR_TOO_DEEP:
	case RAVEN_MESSAGE_ERROR_TOO_MANY:
		return g_strdup_printf("554 5.6.0 %s", reason);
	case RAVEN_MESSAGE_ERROR_NO_SPACE:
		return g_strdup("452 4.3.1 Insufficient system storage");
	default:
		return g_strdup("451 4.3.0 Local error, try again later");
	}
}

static void
spooled(gboolean ok, const char *queue_id, const GError *error, gpointer data)
{
	SmtpSession *s = data;
	g_autofree char *reply = NULL;

	if (ok) {
		g_info("%s: %s queued as %s from <%s>%s%s, %u recipients, "
		       "%zu bytes",
		       s->conn ? s->core->conn_id(s->conn) : "-",
		       s->client_address, queue_id, s->envelope.sender,
		       s->auth_user ? " by " : "",
		       s->auth_user ? s->auth_user : "",
		       s->envelope.n_recipients, g_bytes_get_size(s->message));
		reply = g_strdup_printf("250 2.0.0 Ok: queued as %s", queue_id);
	} else {
		reply = spool_error_reply(error);
		g_info("%s: not queued: %s", s->client_address,
		       error ? error->message : "unknown error");
	}
	smtp_reply(s, reply);
	smtp_tx_reset(s);
	smtp_session_unwait(s);
}

static gboolean
have_spool(SmtpSession *s)
{
	return RAVEN_CORE_HAS(s->core, spool_submit)
	       && s->core->spool_submit != NULL;
}

static void
data_filtered(SmtpSession *s, const SmtpVerdict *v)
{
	SmtpTx *tx = &s->tx;

	tx->score += v->score;
	if (!smtp_filter_answer(s, v)) {
		smtp_tx_reset(s);
		return;
	}
	tx->junk |= v->verdict == RAVEN_VERDICT_JUNK;
	if (v->verdict == RAVEN_VERDICT_DISCARD || tx->discard || s->discard
	    || tx->rcpts->len == 0) {
		smtp_reply(s, "250 2.0.0 Ok");
		smtp_tx_reset(s);
		return;
	}
	if (!have_spool(s)) {
		smtp_reply_quiet(s, "451 4.3.0 Mail system not ready, try "
		                    "again later");
		smtp_tx_reset(s);
		return;
	}
	build_envelope(s);
	smtp_session_wait(s);
	s->core->spool_submit(&s->envelope, s->message, spooled, s);
}

/* The accepted recipients, for the DATA filter phase. */
static void
set_filter_recipients(SmtpSession *s)
{
	g_clear_pointer(&s->fctx_rcpts, g_ptr_array_unref);
	s->fctx_rcpts = g_ptr_array_new();
	for (guint i = 0; i < s->tx.rcpts->len; i++)
		g_ptr_array_add(
			s->fctx_rcpts,
			g_array_index(s->tx.rcpts, SmtpRcpt, i).address);
	g_ptr_array_add(s->fctx_rcpts, NULL);
	s->fctx.recipients = (const char *const *)s->fctx_rcpts->pdata;
}

/* Why the message read is refused before filters see it, or NULL. */
static const char *
message_refusal(SmtpSession *s, GByteArray *body)
{
	if (s->data.too_big || body == NULL)
		return "552 5.3.4 Message size exceeds fixed maximum message "
		       "size";
	/* BDAT has no dot framing to protect, but the spool wants CRLF */
	if (s->tx.bdat && smtp_has_bare_cr_lf(body->data, body->len))
		return "554 5.6.0 Bare LF/CR not allowed";
	if (smtp_count_received(body->data, body->len) > s->server->max_hops)
		return "554 5.4.6 Too many hops";
	return NULL;
}

/* ---- the submission role */

/* Why the From: field is refused, or NULL (transfer full): every address
 * in it must be the user's own (RFC 6409 8 lets the MSA check it). */
static char *
from_refusal(SmtpSession *s, const guint8 *data, gsize len)
{
	g_auto(GStrv) values = NULL;

	if (memchr(data, '\0', smtp_header_end(data, len)) != NULL)
		return g_strdup("554 5.6.0 NUL byte in the header");
	values = smtp_header_values(data, len, "From");
	for (guint i = 0; values[i] != NULL; i++) {
		g_autoptr(GPtrArray) addresses
			= smtp_parse_address_list(values[i]);

		if (addresses == NULL)
			return g_strdup("554 5.6.0 Malformed From: header");
		for (guint j = 0; j < addresses->len; j++) {
			const char *address = addresses->pdata[j];

			if (!smtp_auth_owns(s, address))
				return g_strdup_printf(
					"553 5.7.1 From: address not owned "
					"by %s",
					s->auth_user);
		}
	}
	return NULL;
}

static gboolean
has_field(const guint8 *data, gsize len, const char *name)
{
	g_auto(GStrv) values = smtp_header_values(data, len, name);

	return values[0] != NULL;
}

/* RFC 6409 8.2, 8.3: Date: and Message-ID: when the client left them out,
 * at the end of the header. */
static void
add_missing_fields(SmtpSession *s, GByteArray *body)
{
	g_autoptr(GString) fields = g_string_new(NULL);
	gsize at = smtp_header_end(body->data, body->len);

	if (!has_field(body->data, body->len, "Date")) {
		g_autofree char *date = s->core->message_date();

		g_string_append_printf(fields, "Date: %s\r\n", date);
	}
	if (!has_field(body->data, body->len, "Message-ID")) {
		g_autofree char *uuid = g_uuid_string_random();

		g_string_append_printf(fields, "Message-ID: <%s@%s>\r\n", uuid,
		                       s->core->hostname());
	}
	if (fields->len == 0)
		return;
	/* a header without a line end at its end (BDAT) gets one */
	if (at > 0 && body->data[at - 1] != '\n')
		g_string_prepend(fields, "\r\n");
	g_array_insert_vals((GArray *)body, at, fields->str, fields->len);
}

/* ---- the end of data */

void
smtp_deliver(SmtpSession *s)
{
	GByteArray *body = g_steal_pointer(&s->data.body);
	g_autofree char *own_refusal = NULL;
	const char *refusal = message_refusal(s, body);

	if (refusal == NULL && s->auth_user != NULL)
		refusal = own_refusal = from_refusal(s, body->data, body->len);
	if (refusal != NULL) {
		if (body)
			g_byte_array_unref(body);
		smtp_reply(s, refusal);
		smtp_tx_reset(s);
		return;
	}
	if (s->submission)
		add_missing_fields(s, body);
	g_clear_pointer(&s->message, g_bytes_unref);
	s->message = g_byte_array_free_to_bytes(body);
	s->fctx.helo = s->helo;
	s->fctx.sender = s->tx.mail.path.address;
	s->fctx.recipient = NULL;
	s->fctx.message = s->message;
	set_filter_recipients(s);
	smtp_filter(s, RAVEN_PHASE_DATA, data_filtered);
}
