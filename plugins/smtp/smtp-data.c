/* smtp-data.c: reading a message: DATA (dot-stuffed, raw mode) and BDAT
 * chunks (RFC 3030), with the size limit, data timeout and minimum rate.
 * SPDX-License-Identifier: MIT
 */
#define G_LOG_DOMAIN "smtp"

#include "smtp.h"

#include <string.h>

static const char too_big[]
	= "552 5.3.4 Message size exceeds fixed maximum message size";

/* ---- the minimum data rate */

static gboolean
rate_check(gpointer data)
{
	SmtpSession *s = data;
	SmtpServer *server = s->server;

	if (s->data.window_bytes
	    < server->min_data_rate * server->min_data_rate_window) {
		s->data.rate_timer = 0;
		smtp_reply_close(s, "421 4.4.2 Data rate too low, closing "
		                    "connection");
		return G_SOURCE_REMOVE;
	}
	s->data.window_bytes = 0;
	return G_SOURCE_CONTINUE;
}

/* Raw input starts: the data timeout and the rate check apply. */
static void
reading_begin(SmtpSession *s)
{
	SmtpServer *server = s->server;

	s->core->conn_set_timeout(s->conn, server->data_timeout);
	s->data.window_bytes = 0;
	if (server->min_data_rate > 0 && server->min_data_rate_window > 0)
		s->data.rate_timer = g_timeout_add_seconds(
			server->min_data_rate_window, rate_check, s);
	s->core->conn_read_raw(s->conn);
}

static void
reading_end(SmtpSession *s)
{
	g_clear_handle_id(&s->data.rate_timer, g_source_remove);
	smtp_session_read_commands(s);
}

void
smtp_data_clear(SmtpSession *s)
{
	SmtpData *d = &s->data;

	g_clear_handle_id(&d->rate_timer, g_source_remove);
	g_clear_pointer(&d->body, g_byte_array_unref);
	memset(d, 0, sizeof *d);
}

/* Past the limit the rest is read and thrown away, then refused. */
static void
check_size(SmtpSession *s)
{
	SmtpData *d = &s->data;

	if (d->body && d->body->len > s->server->max_message_size) {
		d->too_big = TRUE;
		g_clear_pointer(&d->body, g_byte_array_unref);
	}
}

/* Why DATA or BDAT cannot start the message now, or NULL. */
static const char *
data_refusal(SmtpSession *s)
{
	if (!s->tx.active)
		return "503 5.5.1 Need MAIL command";
	if (s->tx.n_accepted > 0)
		return NULL;
	return s->tx.n_tried > 0 ? "554 5.5.1 No valid recipients"
	                         : "503 5.5.1 Need RCPT command";
}

/* ---- DATA */

gboolean
smtp_check_data(SmtpSession *s, const char *args)
{
	const char *refusal = data_refusal(s);

	if (*args != '\0')
		refusal = "501 5.5.4 No arguments allowed";
	else if (refusal == NULL && s->tx.bdat)
		refusal = "503 5.5.1 DATA after BDAT";
	if (refusal == NULL)
		return TRUE;
	smtp_reply(s, refusal);
	return FALSE;
}

void
smtp_proceed_data(SmtpSession *s, const char *args)
{
	SmtpData *d = &s->data;

	smtp_data_clear(s);
	smtp_stream_init(&d->stream);
	d->body = g_byte_array_new();
	smtp_reply(s, "354 End data with <CR><LF>.<CR><LF>");
	reading_begin(s);
}

static gsize
dot_input(SmtpSession *s, const guint8 *data, gsize len)
{
	SmtpData *d = &s->data;
	gsize used = 0;
	SmtpStreamResult r
		= smtp_stream_feed(&d->stream, data, len, d->body, &used);

	d->window_bytes += used;
	check_size(s);
	if (r == SMTP_STREAM_BARE) {
		/* never read on as commands: the framing is in doubt */
		smtp_reply_close(s, "554 5.5.0 Bare LF/CR not allowed");
		return len;
	}
	if (r == SMTP_STREAM_END) {
		reading_end(s);
		smtp_deliver(s);
	}
	return used;
}

/* ---- BDAT */

gboolean
smtp_check_bdat(SmtpSession *s, const char *args)
{
	SmtpData *d = &s->data;
	guint64 size;
	gboolean last;

	/* Without a size the chunk cannot be skipped: its bytes would be
	 * read as commands.  Same for a chunk too big to read for nothing. */
	if (!smtp_parse_bdat(args, &size, &last)) {
		smtp_reply_close(s, "501 5.5.4 Syntax: BDAT size [LAST]");
		return FALSE;
	}
	if (size > s->server->max_message_size) {
		smtp_reply_close(s, too_big);
		return FALSE;
	}
	if (!s->tx.bdat)
		smtp_data_clear(s);
	d->chunk_size = d->chunk_left = size;
	d->last = last;
	/* the chunk is read even when refused, then the refusal sent */
	d->chunk_error = data_refusal(s);
	return TRUE;
}

static void
chunk_end(SmtpSession *s)
{
	SmtpData *d = &s->data;

	d->in_chunk = FALSE;
	reading_end(s);
	if (d->chunk_error != NULL) {
		smtp_reply(s, d->chunk_error);
		d->chunk_error = NULL;
	} else if (d->last) {
		smtp_deliver(s);
	} else if (d->too_big) {
		smtp_reply(s, too_big);
		smtp_tx_reset(s);
	} else {
		smtp_replyf(s,
		            "250 2.0.0 %" G_GUINT64_FORMAT " octets received",
		            d->chunk_size);
	}
}

void
smtp_proceed_bdat(SmtpSession *s, const char *args)
{
	SmtpData *d = &s->data;

	if (d->chunk_error == NULL && !s->tx.bdat) {
		s->tx.bdat = TRUE;
		d->body = g_byte_array_new();
	}
	d->in_chunk = TRUE;
	if (d->chunk_left == 0) {
		chunk_end(s);
		return;
	}
	reading_begin(s);
}

static gsize
chunk_input(SmtpSession *s, const guint8 *data, gsize len)
{
	SmtpData *d = &s->data;
	gsize n = MIN(len, d->chunk_left);

	if (d->chunk_error == NULL && d->body != NULL) {
		g_byte_array_append(d->body, data, n);
		check_size(s);
	}
	d->chunk_left -= n;
	d->window_bytes += n;
	if (d->chunk_left == 0)
		chunk_end(s);
	return n;
}

gsize
smtp_data_input(SmtpSession *s, const guint8 *data, gsize len)
{
	return s->data.in_chunk ? chunk_input(s, data, len)
	                        : dot_input(s, data, len);
}
