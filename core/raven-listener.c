/* raven-listener.c: listening sockets, connection limits, live connections.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-listener.h"

#include "raven-config.h"
#include "raven-conn.h"

#include <errno.h>
#include <glib-unix.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ACCEPTS_PER_WAKEUP 64
#define LISTEN_BACKLOG 511

typedef struct {
	RavenListeners *owner;
	int fd;
	guint watch;
	char *address; /* as bound, with the real port */
	RavenTlsMode mode;
	char *role;
	const RavenProtocol *protocol;
	gpointer protocol_data;
} Listener;

struct RavenListeners {
	GPtrArray *listeners; /* Listener */
	GHashTable *live;     /* RavenConn * -> Listener * */
	GHashTable *per_ip;   /* peer -> count */
	guint max_connections;
	guint max_per_ip;
	RavenTlsContext *tls;
	gboolean accepting;
};

const char *
raven_tls_mode_name(RavenTlsMode mode)
{
	switch (mode) {
	case RAVEN_TLS_IMPLICIT:
		return "implicit";
	case RAVEN_TLS_NONE:
		return "none";
	case RAVEN_TLS_STARTTLS:
		break;
	}
	return "starttls";
}

RavenTlsMode
raven_tls_mode_parse(const char *name)
{
	if (g_strcmp0(name, "implicit") == 0)
		return RAVEN_TLS_IMPLICIT;
	if (g_strcmp0(name, "none") == 0)
		return RAVEN_TLS_NONE;
	return RAVEN_TLS_STARTTLS;
}

static void
listener_free(gpointer p)
{
	Listener *l = p;

	if (l->watch)
		g_source_remove(l->watch);
	close(l->fd);
	g_free(l->address);
	g_free(l->role);
	g_free(l);
}

RavenListeners *
raven_listeners_new(guint max_connections, guint max_per_ip)
{
	RavenListeners *ls = g_new0(RavenListeners, 1);

	ls->listeners = g_ptr_array_new_with_free_func(listener_free);
	ls->live = g_hash_table_new(NULL, NULL);
	ls->per_ip
		= g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	raven_listeners_set_limits(ls, max_connections, max_per_ip);
	return ls;
}

void
raven_listeners_free(RavenListeners *ls)
{
	if (ls == NULL)
		return;
	raven_listeners_abort(ls);
	g_ptr_array_unref(ls->listeners);
	g_hash_table_unref(ls->live);
	g_hash_table_unref(ls->per_ip);
	raven_tls_context_unref(ls->tls);
	g_free(ls);
}

/* "127.0.0.1", "::1"; IPv4-mapped IPv6 addresses as plain IPv4. */
static char *
address_string(const struct sockaddr *sa, socklen_t len, gboolean with_port)
{
	char host[NI_MAXHOST], port[NI_MAXSERV];
	const char *h = host;

	if (getnameinfo(sa, len, host, sizeof host, port, sizeof port,
	                NI_NUMERICHOST | NI_NUMERICSERV)
	    != 0)
		return g_strdup("unknown");
	if (g_str_has_prefix(host, "::ffff:") && strchr(host + 7, '.'))
		h = host + 7;
	if (!with_port)
		return g_strdup(h);
	return g_strdup_printf(strchr(h, ':') ? "[%s]:%s" : "%s:%s", h, port);
}

static int
bind_socket(const struct addrinfo *ai, GError **error)
{
	int one = 1;
	int fd = socket(ai->ai_family,
	                ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0
	    && listen(fd, LISTEN_BACKLOG) == 0)
		return fd;
fail:
	g_set_error_literal(error, G_IO_ERROR, g_io_error_from_errno(errno),
	                    g_strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static int
open_listener(const char *address, char **bound, GError **error)
{
	g_autofree char *host = NULL;
	g_autofree char *port = NULL;
	struct addrinfo hints = { 0 }, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	guint16 portnum;
	int rc, fd;

	if (!raven_config_parse_address(address, &host, &portnum)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		            "'%s' is not HOST:PORT", address);
		return -1;
	}
	port = g_strdup_printf("%u", portnum);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(*host ? host : NULL, port, &hints, &ai);
	if (rc != 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
		            "cannot resolve '%s': %s", host, gai_strerror(rc));
		return -1;
	}
	fd = bind_socket(ai, error);
	freeaddrinfo(ai);
	if (fd < 0)
		return -1;
	getsockname(fd, (struct sockaddr *)&ss, &len);
	*bound = address_string((struct sockaddr *)&ss, len, TRUE);
	return fd;
}

static gboolean on_accept(gint fd, GIOCondition condition, gpointer data);

gboolean
raven_listeners_add(RavenListeners *ls,
                    const char *address,
                    RavenTlsMode mode,
                    const char *role,
                    const RavenProtocol *protocol,
                    gpointer protocol_data,
                    GError **error)
{
	g_autoptr(GError) local = NULL;
	Listener *l = g_new0(Listener, 1);

	l->fd = open_listener(address, &l->address, &local);
	if (l->fd < 0) {
		g_set_error(error, G_IO_ERROR, local->code,
		            "%s cannot listen on %s: %s", protocol->name,
		            address, local->message);
		g_free(l);
		return FALSE;
	}
	l->owner = ls;
	l->mode = mode;
	l->role = g_strdup(role ? role : "");
	l->protocol = protocol;
	l->protocol_data = protocol_data;
	g_ptr_array_add(ls->listeners, l);
	if (ls->accepting)
		l->watch = g_unix_fd_add(l->fd, G_IO_IN, on_accept, l);
	return TRUE;
}

void
raven_listeners_start(RavenListeners *ls)
{
	ls->accepting = TRUE;
	for (guint i = 0; i < ls->listeners->len; i++) {
		Listener *l = g_ptr_array_index(ls->listeners, i);

		if (l->watch == 0)
			l->watch = g_unix_fd_add(l->fd, G_IO_IN, on_accept, l);
	}
}

void
raven_listeners_stop(RavenListeners *ls)
{
	ls->accepting = FALSE;
	for (guint i = 0; i < ls->listeners->len; i++) {
		Listener *l = g_ptr_array_index(ls->listeners, i);

		g_clear_handle_id(&l->watch, g_source_remove);
	}
}

void
raven_listeners_set_tls(RavenListeners *ls, RavenTlsContext *tls)
{
	raven_tls_context_unref(ls->tls);
	ls->tls = tls ? raven_tls_context_ref(tls) : NULL;
}

void
raven_listeners_set_limits(RavenListeners *ls,
                           guint max_connections,
                           guint max_per_ip)
{
	ls->max_connections = max_connections ? max_connections : G_MAXUINT;
	ls->max_per_ip = max_per_ip ? max_per_ip : G_MAXUINT;
}

GStrv
raven_listeners_describe(RavenListeners *ls)
{
	GStrvBuilder *b = g_strv_builder_new();
	GStrv lines;

	for (guint i = 0; i < ls->listeners->len; i++) {
		Listener *l = g_ptr_array_index(ls->listeners, i);

		g_autofree char *line = g_strdup_printf(
			"%s %s (%s%s%stls %s)", l->protocol->name, l->address,
			*l->role ? "role " : "", l->role, *l->role ? ", " : "",
			raven_tls_mode_name(l->mode));

		g_strv_builder_add(b, line);
	}
	lines = g_strv_builder_end(b);
	g_strv_builder_unref(b);
	return lines;
}

/* ---- connections */

static void
conn_gone(RavenConn *conn, gpointer owner)
{
	RavenListeners *ls = owner;
	const char *peer = raven_conn_peer_address(conn);
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(ls->per_ip, peer));

	g_hash_table_remove(ls->live, conn);
	if (n <= 1)
		g_hash_table_remove(ls->per_ip, peer);
	else
		g_hash_table_insert(ls->per_ip, g_strdup(peer),
		                    GUINT_TO_POINTER(n - 1));
}

static void
session_start(RavenConn *conn, Listener *l)
{
	gpointer session = l->protocol->accept(conn, l->role, l->protocol_data);

	if (session == NULL)
		raven_conn_close(conn);
}

static void
handshake_ready(RavenConn *conn, gboolean ok, gpointer owner)
{
	RavenListeners *ls = owner;

	if (ok)
		session_start(conn, g_hash_table_lookup(ls->live, conn));
}

/* Past a limit: say so in the protocol's words where it can be read. */
static void
refuse(Listener *l, int fd, const char *peer, const char *why)
{
	const char *reply = l->protocol->busy_reply;

	g_info("%s: refused %s: %s", l->protocol->name, peer, why);
	if (reply && l->mode != RAVEN_TLS_IMPLICIT)
		(void)!send(fd, reply, strlen(reply),
		            MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

static void
accept_one(Listener *l, int fd, const char *peer, const char *local)
{
	RavenListeners *ls = l->owner;
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(ls->per_ip, peer));
	RavenConn *conn;

	if (g_hash_table_size(ls->live) >= ls->max_connections) {
		refuse(l, fd, peer, "too many connections");
		return;
	}
	if (n >= ls->max_per_ip) {
		refuse(l, fd, peer, "too many connections from its address");
		return;
	}
	g_hash_table_insert(ls->per_ip, g_strdup(peer),
	                    GUINT_TO_POINTER(n + 1));
	conn = raven_conn_new(fd, peer, local, l->role, l->mode, ls->tls,
	                      conn_gone, ls);
	g_hash_table_insert(ls->live, conn, l);
	g_debug("%s: %s connected to %s %s", raven_conn_id(conn), peer,
	        l->protocol->name, local);
	if (l->mode == RAVEN_TLS_IMPLICIT)
		raven_conn_handshake(conn, handshake_ready);
	else
		session_start(conn, l);
}

static gboolean
resume_accepting(gpointer data)
{
	Listener *l = data;

	l->watch = g_unix_fd_add(l->fd, G_IO_IN, on_accept, l);
	return G_SOURCE_REMOVE;
}

static gboolean
on_accept(gint lfd, GIOCondition condition, gpointer data)
{
	Listener *l = data;

	for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		g_autofree char *peer = NULL;
		int fd = accept4(lfd, (struct sockaddr *)&ss, &len,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
			/* Out of descriptors: the socket stays readable, so
			 * stop polling it for a moment instead of spinning. */
			g_warning("%s: accept on %s: %s; pausing 100 ms",
			          l->protocol->name, l->address,
			          g_strerror(errno));
			l->watch = g_timeout_add(100, resume_accepting, l);
			return G_SOURCE_REMOVE;
		}
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR
			    && errno != ECONNABORTED)
				g_warning("%s: accept on %s: %s",
				          l->protocol->name, l->address,
				          g_strerror(errno));
			break;
		}
		peer = address_string((struct sockaddr *)&ss, len, FALSE);
		accept_one(l, fd, peer, l->address);
	}
	return G_SOURCE_CONTINUE;
}

void
raven_listeners_drain(RavenListeners *ls)
{
	g_autoptr(GList) conns = g_hash_table_get_keys(ls->live);

	for (GList *c = conns; c; c = c->next) {
		RavenConn *conn = c->data;
		Listener *l = g_hash_table_lookup(ls->live, conn);
		gpointer session = raven_conn_get_session(conn);

		if (l && l->protocol->drain && session)
			l->protocol->drain(conn, session);
		else
			raven_conn_close(conn);
	}
}

void
raven_listeners_abort(RavenListeners *ls)
{
	g_autoptr(GList) conns = g_hash_table_get_keys(ls->live);

	for (GList *c = conns; c; c = c->next)
		raven_conn_abort(c->data);
}

guint
raven_listeners_live(RavenListeners *ls)
{
	return g_hash_table_size(ls->live);
}
