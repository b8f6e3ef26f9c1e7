/* raven-conn.c: a client connection as a GSource: buffers, lines, TLS.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-conn.h"

#include <glib/gprintf.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_CHUNK 16384
#define WRITE_CHUNK 16384
/* Reads per wakeup, so one fast client cannot starve the others. */
#define READS_PER_WAKEUP 4

typedef enum {
	CONN_OPEN,      /* serving the session */
	CONN_HANDSHAKE, /* flushing, then running the TLS handshake */
	CONN_CLOSING,   /* flushing output, then closing */
	CONN_CLOSED,    /* on_close has run; waiting to be finalized */
} ConnState;

struct RavenConn {
	GSource source; /* first: the connection is its own GSource */
	gpointer fd_tag;
	int fd;
	ConnState state;
	char id[16];
	char *peer;
	char *local;
	char *role;
	RavenTlsMode tls_mode;
	RavenTlsContext *tls_context;
	gnutls_session_t tls;
	gboolean tls_active;
	gboolean tls_send_pending; /* gnutls wants the last send repeated */

	const RavenConnHandler *handler;
	gpointer session;
	RavenTlsDone starttls_done;
	RavenConnReady ready;
	RavenConnGone gone;
	gpointer owner;

	gboolean raw;
	gsize max_line;
	gboolean skipping_line; /* inside a line that passed max_line */
	gboolean paused;
	gboolean eof;
	gboolean want_dispatch; /* deferred work: run dispatch soon */

	GByteArray
		*in; /* nullable: freed when empty, to keep idle ones small */
	GByteArray *out; /* nullable */
	gsize out_pos;

	guint timeout_s;
	gint64 last_activity;
};

static guint next_conn_id;

static void conn_update(RavenConn *conn);

static gboolean
conn_dispatch(GSource *source, GSourceFunc callback, gpointer user_data);
static void conn_finalize(GSource *source);

static GSourceFuncs conn_funcs = {
	.dispatch = conn_dispatch,
	.finalize = conn_finalize,
};

RavenConn *
raven_conn_new(int fd,
               const char *peer,
               const char *local,
               const char *role,
               RavenTlsMode mode,
               RavenTlsContext *tls,
               RavenConnGone gone,
               gpointer owner)
{
	GSource *source = g_source_new(&conn_funcs, sizeof(RavenConn));
	RavenConn *conn = (RavenConn *)source;

	conn->fd = fd;
	g_snprintf(conn->id, sizeof conn->id, "c%u",
	           (guint)g_atomic_int_add(&next_conn_id, 1) + 1);
	conn->peer = g_strdup(peer);
	conn->local = g_strdup(local);
	conn->role = g_strdup(role ? role : "");
	conn->tls_mode = mode;
	conn->tls_context = tls ? raven_tls_context_ref(tls) : NULL;
	conn->gone = gone;
	conn->owner = owner;
	conn->max_line = RAVEN_CONN_DEFAULT_MAX_LINE;
	conn->timeout_s = RAVEN_CONN_START_TIMEOUT;
	conn->last_activity = g_get_monotonic_time();
	g_source_set_static_name(source, "raven-conn");
	conn->fd_tag = g_source_add_unix_fd(source, fd, 0);
	g_source_attach(source, g_main_context_get_thread_default());
	/* The main context holds the only reference from now on. */
	g_source_unref(source);
	conn_update(conn);
	return conn;
}

static void
conn_finalize(GSource *source)
{
	RavenConn *conn = (RavenConn *)source;

	if (conn->tls)
		gnutls_deinit(conn->tls);
	raven_tls_context_unref(conn->tls_context);
	if (conn->fd >= 0)
		close(conn->fd);
	if (conn->in)
		g_byte_array_unref(conn->in);
	if (conn->out)
		g_byte_array_unref(conn->out);
	g_free(conn->peer);
	g_free(conn->local);
	g_free(conn->role);
}

/* Ask for a dispatch soon, from the main loop. */
static void
conn_defer(RavenConn *conn)
{
	conn->want_dispatch = TRUE;
	conn_update(conn);
}

/* The session is told once, then the source goes away. */
static void
conn_finish(RavenConn *conn)
{
	if (conn->state == CONN_CLOSED)
		return;
	conn->state = CONN_CLOSED;
	if (conn->tls && conn->tls_active)
		gnutls_bye(conn->tls, GNUTLS_SHUT_WR); /* best effort */
	shutdown(conn->fd, SHUT_RDWR);
	if (conn->handler && conn->handler->on_close)
		conn->handler->on_close(conn, conn->session);
	conn->handler = NULL;
	conn->session = NULL;
	if (conn->gone)
		conn->gone(conn, conn->owner);
	g_source_destroy(&conn->source);
}

void
raven_conn_abort(RavenConn *conn)
{
	conn_finish(conn);
}

/* ---- output */

static gssize
conn_send(RavenConn *conn, const guint8 *data, gsize len)
{
	gssize n;

	if (!conn->tls_active) {
		n = send(conn->fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		return n < 0 ? -1 : n;
	}
	/* GnuTLS wants an interrupted send repeated as (NULL, 0). */
	n = conn->tls_send_pending ? gnutls_record_send(conn->tls, NULL, 0)
	                           : gnutls_record_send(conn->tls, data, len);
	conn->tls_send_pending
		= n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED;
	if (conn->tls_send_pending)
		return 0;
	return n < 0 ? -1 : n;
}

/* Write what the socket takes.  FALSE when the connection broke. */
static gboolean
conn_flush(RavenConn *conn)
{
	gboolean had_output = conn->out != NULL;

	while (conn->out && conn->out_pos < conn->out->len) {
		gsize len = MIN(conn->out->len - conn->out_pos, WRITE_CHUNK);
		gssize n
			= conn_send(conn, conn->out->data + conn->out_pos, len);

		if (n < 0)
			return FALSE;
		if (n == 0)
			return TRUE; /* the socket is full: wait for POLLOUT */
		conn->out_pos += n;
	}
	if (conn->out) {
		g_clear_pointer(&conn->out, g_byte_array_unref);
		conn->out_pos = 0;
		conn->want_dispatch = TRUE; /* input may wait for this */
	}
	if (had_output && conn->state == CONN_OPEN && conn->handler
	    && conn->handler->on_drained)
		conn->handler->on_drained(conn, conn->session);
	return TRUE;
}

void
raven_conn_write(RavenConn *conn, const void *data, gsize len)
{
	if (conn->state == CONN_CLOSED || len == 0)
		return;
	if (conn->out == NULL)
		conn->out = g_byte_array_sized_new(MAX(len, 256));
	g_byte_array_append(conn->out, data, len);
	/* Written when the loop comes round: replies to pipelined commands
	 * leave in one packet. */
	conn_defer(conn);
}

void
raven_conn_printf(RavenConn *conn, const char *format, ...)
{
	g_autofree char *text = NULL;
	va_list args;
	int len;

	va_start(args, format);
	len = g_vasprintf(&text, format, args);
	va_end(args);
	if (len > 0)
		raven_conn_write(conn, text, len);
}

gsize
raven_conn_pending_output(RavenConn *conn)
{
	return conn->out ? conn->out->len - conn->out_pos : 0;
}

/* ---- input */

/* Read what is there.  Sets eof at end of stream or on an error. */
static void
conn_read(RavenConn *conn)
{
	guint8 buf[READ_CHUNK];

	for (int i = 0; i < READS_PER_WAKEUP && !conn->eof; i++) {
		gssize n;

		if (conn->tls_active) {
			n = gnutls_record_recv(conn->tls, buf, sizeof buf);
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
				return;
			if (n < 0 && !gnutls_error_is_fatal(n))
				continue;
		} else {
			n = recv(conn->fd, buf, sizeof buf, 0);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return;
		}
		if (n <= 0) {
			conn->eof = TRUE;
			return;
		}
		conn->last_activity = g_get_monotonic_time();
		if (conn->in == NULL)
			conn->in = g_byte_array_sized_new(n);
		g_byte_array_append(conn->in, buf, n);
		if (conn->in->len > conn->max_line + READ_CHUNK && !conn->raw)
			return; /* let the line reader drain first */
	}
}

static void
conn_consume(RavenConn *conn, gsize len)
{
	if (len >= conn->in->len)
		g_clear_pointer(&conn->in, g_byte_array_unref);
	else
		g_byte_array_remove_range(conn->in, 0, len);
}

/* One line out of the buffer.  FALSE when no whole line is there. */
static gboolean
next_line(RavenConn *conn)
{
	guint8 *lf = memchr(conn->in->data, '\n', conn->in->len);
	gsize total, len;
	gboolean crlf;
	g_autofree char *copy = NULL;

	if (lf == NULL) {
		/* An over-long line is drained, never buffered. */
		if (conn->skipping_line || conn->in->len > conn->max_line + 1) {
			conn->skipping_line = TRUE;
			g_clear_pointer(&conn->in, g_byte_array_unref);
		}
		return FALSE;
	}
	total = lf - conn->in->data + 1;
	len = total - 1;
	crlf = len > 0 && lf[-1] == '\r';
	if (crlf)
		len--;
	if (conn->skipping_line || len > conn->max_line) {
		conn->skipping_line = FALSE;
		conn_consume(conn, total);
		conn->handler->on_line(conn, "", 0, crlf, TRUE, conn->session);
		return TRUE;
	}
	/* Take the line out first: the session may reset the buffer. */
	copy = g_malloc(len + 1);
	memcpy(copy, conn->in->data, len);
	copy[len] = '\0';
	conn_consume(conn, total);
	conn->handler->on_line(conn, copy, len, crlf, FALSE, conn->session);
	return TRUE;
}

/* A client that pipelines without reading its replies is not served until
 * they drain, so unread replies cannot grow without bound. */
static gboolean
backlogged(RavenConn *conn)
{
	return raven_conn_pending_output(conn) >= RAVEN_CONN_MAX_BACKLOG;
}

static gboolean
can_deliver(RavenConn *conn)
{
	return conn->state == CONN_OPEN && !conn->paused && conn->handler
	       && conn->in != NULL && conn->in->len > 0 && !backlogged(conn);
}

static void
conn_process(RavenConn *conn)
{
	while (can_deliver(conn)) {
		if (conn->raw) {
			gsize used;

			if (conn->handler->on_data == NULL)
				break;
			used = conn->handler->on_data(conn, conn->in->data,
			                              conn->in->len,
			                              conn->session);
			if (used == 0)
				break;
			if (conn->in)
				conn_consume(conn, MIN(used, conn->in->len));
		} else if (conn->handler->on_line == NULL || !next_line(conn)) {
			break;
		}
	}
}

void
raven_conn_read_lines(RavenConn *conn, gsize max_line)
{
	conn->raw = FALSE;
	conn->max_line = max_line ? max_line : RAVEN_CONN_DEFAULT_MAX_LINE;
	conn->skipping_line = FALSE;
	conn_defer(conn); /* buffered bytes may now make a line */
}

void
raven_conn_read_raw(RavenConn *conn)
{
	conn->raw = TRUE;
	conn_defer(conn);
}

void
raven_conn_pause(RavenConn *conn)
{
	conn->paused = TRUE;
	conn_update(conn);
}

void
raven_conn_resume(RavenConn *conn)
{
	conn->paused = FALSE;
	conn_defer(conn);
}

/* ---- TLS */

static void
handshake_ended(RavenConn *conn, gboolean ok)
{
	RavenTlsDone done = conn->starttls_done;
	RavenConnReady ready = conn->ready;

	conn->starttls_done = NULL;
	conn->ready = NULL;
	if (ok) {
		conn->tls_active = TRUE;
		conn->state = CONN_OPEN;
		conn->last_activity = g_get_monotonic_time();
	}
	if (done && conn->handler)
		done(conn, ok, conn->session);
	if (ready)
		ready(conn, ok, conn->owner);
	if (!ok)
		conn_finish(conn);
}

/* Flush plaintext, then step the handshake as far as the socket allows. */
static void
conn_handshake_step(RavenConn *conn)
{
	g_autoptr(GError) error = NULL;
	int rc;

	if (!conn_flush(conn)) {
		handshake_ended(conn, FALSE);
		return;
	}
	if (conn->out)
		return;
	if (conn->tls == NULL) {
		conn->tls = raven_tls_session_new(conn->tls_context, conn->fd,
		                                  &error);
		if (conn->tls == NULL) {
			g_warning("%s: %s", conn->id, error->message);
			handshake_ended(conn, FALSE);
			return;
		}
	}
	do
		rc = gnutls_handshake(conn->tls);
	while (rc < 0 && !gnutls_error_is_fatal(rc) && rc != GNUTLS_E_AGAIN);
	if (rc == GNUTLS_E_AGAIN)
		return;
	if (rc < 0)
		g_info("%s: TLS handshake with %s failed: %s", conn->id,
		       conn->peer, gnutls_strerror(rc));
	handshake_ended(conn, rc == 0);
}

static void
begin_handshake(RavenConn *conn)
{
	if (conn->tls_context == NULL) {
		g_warning("%s: TLS asked for, but no certificate is loaded",
		          conn->id);
		conn->state = CONN_HANDSHAKE;
		handshake_ended(conn, FALSE);
		return;
	}
	conn->state = CONN_HANDSHAKE;
	conn_defer(conn);
}

void
raven_conn_handshake(RavenConn *conn, RavenConnReady ready)
{
	conn->ready = ready;
	begin_handshake(conn);
}

void
raven_conn_starttls(RavenConn *conn, RavenTlsDone done)
{
	g_return_if_fail(conn->state == CONN_OPEN && !conn->tls_active);
	/* Whatever the client pipelined after STARTTLS was sent in the
	 * clear: it must never be read as if it came through TLS. */
	g_clear_pointer(&conn->in, g_byte_array_unref);
	conn->skipping_line = FALSE;
	conn->starttls_done = done;
	begin_handshake(conn);
}

/* ---- the loop */

static gboolean
timed_out(RavenConn *conn, gint64 now)
{
	return conn->timeout_s > 0
	       && now >= conn->last_activity + conn->timeout_s * G_USEC_PER_SEC;
}

static void
conn_timeout(RavenConn *conn)
{
	conn->last_activity = g_get_monotonic_time();
	if (conn->state == CONN_OPEN && conn->handler
	    && conn->handler->on_timeout) {
		conn->handler->on_timeout(conn, conn->session);
		return;
	}
	g_info("%s: %s timed out", conn->id, conn->peer);
	conn_finish(conn);
}

static void
conn_serve(RavenConn *conn)
{
	if (conn->state == CONN_OPEN && !conn->paused && !backlogged(conn))
		conn_read(conn);
	conn_process(conn);
	if (!conn_flush(conn)) {
		conn_finish(conn);
		return;
	}
	if (conn->state == CONN_CLOSING && conn->out == NULL)
		conn_finish(conn);
	else if (conn->eof && conn->state == CONN_OPEN && !can_deliver(conn))
		conn_finish(conn); /* the peer left; what it sent is served */
}

static gboolean
conn_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	RavenConn *conn = (RavenConn *)source;

	conn->want_dispatch = FALSE;
	if (timed_out(conn, g_source_get_time(source)))
		conn_timeout(conn);
	if (conn->state == CONN_HANDSHAKE)
		conn_handshake_step(conn);
	if (conn->state == CONN_OPEN || conn->state == CONN_CLOSING)
		conn_serve(conn);
	if (conn->state == CONN_CLOSED)
		return G_SOURCE_REMOVE;
	conn_update(conn);
	return G_SOURCE_CONTINUE;
}

/* Watch the socket for what the connection waits for now, and wake up for
 * deferred work or at the timeout. */
static void
conn_update(RavenConn *conn)
{
	GIOCondition events = 0;
	gint64 ready = -1;

	if (conn->state == CONN_CLOSED)
		return;
	if (conn->state == CONN_HANDSHAKE && conn->tls && conn->out == NULL)
		events = gnutls_record_get_direction(conn->tls) ? G_IO_OUT
		                                                : G_IO_IN;
	else if (conn->state == CONN_OPEN && !conn->paused && !conn->eof
	         && !backlogged(conn))
		events = G_IO_IN;
	if (conn->out || conn->tls_send_pending)
		events |= G_IO_OUT;
	g_source_modify_unix_fd(&conn->source, conn->fd_tag, events);

	if (conn->want_dispatch)
		ready = 0;
	else if (conn->timeout_s > 0)
		ready = conn->last_activity + conn->timeout_s * G_USEC_PER_SEC;
	g_source_set_ready_time(&conn->source, ready);
}

/* ---- the session's side */

void
raven_conn_set_handler(RavenConn *conn,
                       const RavenConnHandler *handler,
                       gpointer session)
{
	conn->handler = handler;
	conn->session = session;
	conn_defer(conn);
}

gpointer
raven_conn_get_session(RavenConn *conn)
{
	return conn->session;
}

const RavenConnHandler *
raven_conn_get_handler(RavenConn *conn)
{
	return conn->handler;
}

void
raven_conn_close(RavenConn *conn)
{
	if (conn->state == CONN_CLOSED || conn->state == CONN_CLOSING)
		return;
	conn->state = CONN_CLOSING;
	conn_defer(conn);
}

gboolean
raven_conn_is_tls(RavenConn *conn)
{
	return conn->tls_active;
}

RavenTlsMode
raven_conn_tls_mode(RavenConn *conn)
{
	return conn->tls_mode;
}

const char *
raven_conn_peer_address(RavenConn *conn)
{
	return conn->peer;
}

const char *
raven_conn_local_address(RavenConn *conn)
{
	return conn->local;
}

const char *
raven_conn_role(RavenConn *conn)
{
	return conn->role;
}

void
raven_conn_set_timeout(RavenConn *conn, guint seconds)
{
	conn->timeout_s = seconds;
	conn->last_activity = g_get_monotonic_time();
	conn_update(conn);
}

const char *
raven_conn_id(RavenConn *conn)
{
	return conn->id;
}
