/* smtp-outbound-conn.c: one blocking client connection with timeouts and
 * STARTTLS, for the outbound SMTP client.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "smtp-outbound-conn.h"

#include <errno.h>
#include <gio/gio.h>
#include <gnutls/gnutls.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Opportunistic TLS, like Postfix's "may" and "encrypt" levels: the
 * certificate is not verified, because MX hosts rarely have one that
 * matches and a failed check could only push the mail back to plaintext.
 * It keeps passive eavesdroppers out; MTA-STS or DANE would add
 * authentication. */
#define TLS_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define CONNECT_TIMEOUT_MS (30 * 1000)

/* What gnutls and recv()/send() said, folded into one answer. */
#define IO_AGAIN (-1)  /* wait for the socket */
#define IO_RETRY (-2)  /* call again at once (a TLS warning) */
#define IO_FAILED (-3) /* the connection is broken */

struct SmtpConn {
	int fd;
	guint timeout_ms;
	gnutls_session_t tls; /* non-NULL once STARTTLS began */
	gnutls_certificate_credentials_t credentials;
	gboolean tls_up; /* the handshake finished */
	gsize in_start, in_end;
	gsize out_len;
	guint8 in[4096];
	guint8 out[16384];
};

G_DEFINE_QUARK(smtp_conn_error, smtp_conn_error)

gint64
smtp_conn_deadline(guint ms)
{
	return g_get_monotonic_time() + (gint64)ms * G_TIME_SPAN_MILLISECOND;
}

/* 1 when `fd` is ready for `events`, 0 past the deadline, -1 on error. */
static int
wait_fd(int fd, short events, gint64 deadline)
{
	for (;;) {
		struct pollfd p = { fd, events, 0 };
		gint64 left = deadline - g_get_monotonic_time();
		int rc;

		if (left <= 0)
			return 0;
		rc = poll(&p, 1, (int)MIN((left + 999) / 1000, G_MAXINT));
		if (rc >= 0 || errno != EINTR)
			return rc;
	}
}

static gboolean
timed_out(GError **error)
{
	g_set_error_literal(error, SMTP_CONN_ERROR, SMTP_CONN_ERROR_TIMEOUT,
	                    "timed out");
	return FALSE;
}

/* Wait until the socket can go on with what the last call wanted. */
static gboolean
await(SmtpConn *conn, short events, gint64 deadline, GError **error)
{
	int rc;

	if (conn->tls != NULL)
		events = gnutls_record_get_direction(conn->tls) ? POLLOUT
		                                                : POLLIN;
	rc = wait_fd(conn->fd, events, deadline);
	if (rc > 0)
		return TRUE;
	if (rc == 0)
		return timed_out(error);
	g_set_error_literal(error, SMTP_CONN_ERROR, SMTP_CONN_ERROR_LOST,
	                    g_strerror(errno));
	return FALSE;
}

static gssize
io_gnutls(gssize n, const char **why)
{
	if (n >= 0)
		return n;
	if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
		return IO_AGAIN;
	if (!gnutls_error_is_fatal((int)n))
		return IO_RETRY;
	*why = gnutls_strerror((int)n);
	return IO_FAILED;
}

static gssize
io_errno(gssize n, const char **why)
{
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return IO_AGAIN;
	*why = g_strerror(errno);
	return IO_FAILED;
}

static gssize
io_recv(SmtpConn *conn, void *buf, gsize len, const char **why)
{
	if (conn->tls != NULL)
		return io_gnutls(gnutls_record_recv(conn->tls, buf, len), why);
	return io_errno(recv(conn->fd, buf, len, 0), why);
}

static gssize
io_send(SmtpConn *conn, const void *buf, gsize len, const char **why)
{
	if (conn->tls != NULL)
		return io_gnutls(gnutls_record_send(conn->tls, buf, len), why);
	return io_errno(send(conn->fd, buf, len, MSG_NOSIGNAL), why);
}

/* A failed read or write: EOF, or `why`. */
static gboolean
broken(gssize n, const char *why, GError **error)
{
	if (n == 0)
		g_set_error_literal(error, SMTP_CONN_ERROR,
		                    SMTP_CONN_ERROR_CLOSED,
		                    "the peer closed the connection");
	else
		g_set_error_literal(error, SMTP_CONN_ERROR,
		                    SMTP_CONN_ERROR_LOST, why);
	return FALSE;
}

/* Read what is there into conn->in, waiting until `deadline`. */
static gboolean
fill(SmtpConn *conn, gint64 deadline, GError **error)
{
	for (;;) {
		const char *why = NULL;
		gssize n = io_recv(conn, conn->in + conn->in_end,
		                   sizeof conn->in - conn->in_end, &why);

		if (n > 0) {
			conn->in_end += (gsize)n;
			return TRUE;
		}
		if (n == 0 || n == IO_FAILED)
			return broken(n, why, error);
		if (n == IO_RETRY && g_get_monotonic_time() >= deadline)
			return timed_out(error);
		if (n == IO_AGAIN && !await(conn, POLLIN, deadline, error))
			return FALSE;
	}
}

const char *
smtp_conn_read_line(SmtpConn *conn,
                    gsize max_len,
                    gint64 deadline,
                    gsize *len,
                    GError **error)
{
	g_return_val_if_fail(max_len + 2 < sizeof conn->in, NULL);

	for (;;) {
		guint8 *start = conn->in + conn->in_start;
		gsize have = conn->in_end - conn->in_start;
		guint8 *lf = memchr(start, '\n', have);

		if (lf != NULL) {
			*len = (gsize)(lf - start);
			if (*len > 0 && start[*len - 1] == '\r')
				(*len)--;
			conn->in_start += (gsize)(lf - start) + 1;
			if (*len > max_len)
				break;
			return (const char *)start;
		}
		if (have > max_len + 1)
			break;
		memmove(conn->in, start, have);
		conn->in_start = 0;
		conn->in_end = have;
		if (!fill(conn, deadline, error))
			return NULL;
	}
	g_set_error(error, SMTP_CONN_ERROR, SMTP_CONN_ERROR_TOO_LONG,
	            "a line longer than %" G_GSIZE_FORMAT " bytes", max_len);
	return NULL;
}

gboolean
smtp_conn_flush(SmtpConn *conn, GError **error)
{
	/* Each write must make progress within the timeout. */
	gint64 deadline = smtp_conn_deadline(conn->timeout_ms);
	gsize done = 0;

	while (done < conn->out_len) {
		const char *why = NULL;
		gssize n = io_send(conn, conn->out + done, conn->out_len - done,
		                   &why);

		if (n > 0) {
			done += (gsize)n;
			deadline = smtp_conn_deadline(conn->timeout_ms);
		} else if (n == 0 || n == IO_FAILED) {
			return broken(n, why, error);
		} else if (n == IO_RETRY) {
			if (g_get_monotonic_time() >= deadline)
				return timed_out(error);
		} else if (!await(conn, POLLOUT, deadline, error)) {
			return FALSE;
		}
	}
	conn->out_len = 0;
	return TRUE;
}

gboolean
smtp_conn_put(SmtpConn *conn, const void *data, gsize len, GError **error)
{
	const guint8 *p = data;

	while (len > 0) {
		gsize n = MIN(len, sizeof conn->out - conn->out_len);

		if (n == 0) {
			if (!smtp_conn_flush(conn, error))
				return FALSE;
			continue;
		}
		memcpy(conn->out + conn->out_len, p, n);
		conn->out_len += n;
		p += n;
		len -= n;
	}
	return TRUE;
}

/* ---- connecting */

static void
conn_free(SmtpConn *conn)
{
	if (conn->tls != NULL)
		gnutls_deinit(conn->tls);
	if (conn->credentials != NULL)
		gnutls_certificate_free_credentials(conn->credentials);
	if (conn->fd >= 0)
		close(conn->fd);
	g_free(conn);
}

void
smtp_conn_close(SmtpConn *conn, gboolean polite)
{
	if (conn == NULL)
		return;
	/* One try at close_notify: the socket is non-blocking. */
	if (polite && conn->tls_up)
		gnutls_bye(conn->tls, GNUTLS_SHUT_WR);
	conn_free(conn);
}

static gboolean
connect_failed(const char *peer, int err, GError **error)
{
	if (err == ECONNREFUSED)
		g_set_error(error, SMTP_CONN_ERROR, SMTP_CONN_ERROR_CONNECT,
		            "connection refused by %s", peer);
	else
		g_set_error(error, SMTP_CONN_ERROR, SMTP_CONN_ERROR_CONNECT,
		            "cannot connect to %s: %s", peer, g_strerror(err));
	return FALSE;
}

static gboolean
connect_to(SmtpConn *conn, GSocketAddress *sa, const char *peer, GError **error)
{
	struct sockaddr_storage native;
	gint64 deadline
		= smtp_conn_deadline(MIN(conn->timeout_ms, CONNECT_TIMEOUT_MS));
	int err = 0;
	socklen_t err_len = sizeof err;
	int rc;

	if (!g_socket_address_to_native(sa, &native, sizeof native, NULL))
		return connect_failed(peer, EAFNOSUPPORT, error);
	conn->fd = socket(native.ss_family,
	                  SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (conn->fd < 0)
		return connect_failed(peer, errno, error);
	if (connect(conn->fd, (struct sockaddr *)&native,
	            (socklen_t)g_socket_address_get_native_size(sa))
	    == 0)
		return TRUE;
	if (errno != EINPROGRESS)
		return connect_failed(peer, errno, error);
	rc = wait_fd(conn->fd, POLLOUT, deadline);
	if (rc == 0) {
		g_set_error(error, SMTP_CONN_ERROR, SMTP_CONN_ERROR_CONNECT,
		            "connection to %s timed out", peer);
		return FALSE;
	}
	if (rc < 0
	    || getsockopt(conn->fd, SOL_SOCKET, SO_ERROR, &err, &err_len) < 0)
		err = errno;
	return err == 0 || connect_failed(peer, err, error);
}

SmtpConn *
smtp_conn_open(const char *address,
               guint16 port,
               guint timeout_ms,
               GError **error)
{
	g_autoptr(GInetAddress) ip = g_inet_address_new_from_string(address);
	g_autoptr(GSocketAddress) sa = NULL;
	g_autofree char *peer = NULL;
	SmtpConn *conn;

	if (ip == NULL) {
		g_set_error(error, SMTP_CONN_ERROR, SMTP_CONN_ERROR_CONNECT,
		            "%s is not an IP address", address);
		return NULL;
	}
	sa = g_inet_socket_address_new(ip, port);
	peer = g_socket_connectable_to_string(G_SOCKET_CONNECTABLE(sa));
	conn = g_new0(SmtpConn, 1);
	conn->fd = -1;
	conn->timeout_ms = timeout_ms;
	if (!connect_to(conn, sa, peer, error))
		g_clear_pointer(&conn, conn_free);
	return conn;
}

/* ---- STARTTLS */

static int
tls_setup(SmtpConn *conn, const char *host)
{
	int rc = gnutls_certificate_allocate_credentials(&conn->credentials);

	if (rc >= 0)
		rc = gnutls_init(&conn->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK
		                                     | GNUTLS_NO_SIGNAL);
	if (rc >= 0)
		rc = gnutls_priority_set_direct(conn->tls, TLS_PRIORITY, NULL);
	if (rc >= 0)
		rc = gnutls_credentials_set(conn->tls, GNUTLS_CRD_CERTIFICATE,
		                            conn->credentials);
	if (rc >= 0 && !g_hostname_is_ip_address(host))
		rc = gnutls_server_name_set(conn->tls, GNUTLS_NAME_DNS, host,
		                            strlen(host));
	if (rc >= 0)
		gnutls_transport_set_int(conn->tls, conn->fd);
	return rc;
}

gboolean
smtp_conn_starttls(SmtpConn *conn, const char *host, GError **error)
{
	gint64 deadline = smtp_conn_deadline(conn->timeout_ms);
	int rc;

	g_return_val_if_fail(conn->tls == NULL, FALSE);

	/* What came with the reply to STARTTLS was sent before the
	 * handshake, where anyone on the path could have added it: it must
	 * not pass for input inside TLS (the STARTTLS injection of
	 * CVE-2011-0411). */
	conn->in_start = conn->in_end = 0;
	rc = tls_setup(conn, host);
	while (rc >= 0) {
		rc = gnutls_handshake(conn->tls);
		if (rc == 0) {
			conn->tls_up = TRUE;
			return TRUE;
		}
		if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
			if (!await(conn, POLLIN, deadline, error))
				return FALSE;
			rc = 0;
		} else if (!gnutls_error_is_fatal(rc)) {
			/* A warning alert: go on, but not for ever */
			if (g_get_monotonic_time() >= deadline)
				return timed_out(error);
			rc = 0;
		}
	}
	g_set_error_literal(error, SMTP_CONN_ERROR, SMTP_CONN_ERROR_TLS,
	                    gnutls_strerror(rc));
	return FALSE;
}
