/* raven-control.c: the daemon's control socket, for ravenctl.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-control.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <string.h>

#define REQUEST_MAX 1024

struct RavenControl {
	GSocketService *service;
	char *path;
	GHashTable *commands; /* name -> Command */
};

typedef struct {
	RavenControlCommand run;
	gpointer data;
} Command;

typedef struct {
	RavenControl *control;
	GSocketConnection *connection;
	char buf[REQUEST_MAX + 1];
	gsize len;
	char *reply;
} Request;

static void
request_free(Request *req)
{
	g_object_unref(req->connection);
	g_free(req->reply);
	g_free(req);
}

static char *
run_command(RavenControl *control, const char *line)
{
	g_auto(GStrv) args = g_strsplit_set(line, " \t", -1);
	g_autoptr(GString) reply = g_string_new("ok\n");
	g_autoptr(GError) error = NULL;
	Command *cmd = args[0] ? g_hash_table_lookup(control->commands, args[0])
	                       : NULL;

	if (cmd == NULL)
		return g_strdup_printf("error unknown request '%s'\n", line);
	if (!cmd->run(args, reply, cmd->data, &error))
		return g_strdup_printf("error %s\n", error->message);
	return g_string_free(g_steal_pointer(&reply), FALSE);
}

static void
reply_written(GObject *stream, GAsyncResult *result, gpointer data)
{
	g_output_stream_write_all_finish(G_OUTPUT_STREAM(stream), result, NULL,
	                                 NULL);
	request_free(data);
}

static void
request_read(GObject *stream, GAsyncResult *result, gpointer data)
{
	Request *req = data;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(stream), result,
	                                      NULL);
	char *nl;

	if (n <= 0) {
		request_free(req);
		return;
	}
	req->len += n;
	req->buf[req->len] = '\0';
	nl = strchr(req->buf, '\n');
	if (nl == NULL && req->len < REQUEST_MAX) {
		g_input_stream_read_async(
			G_INPUT_STREAM(stream), req->buf + req->len,
			REQUEST_MAX - req->len, G_PRIORITY_DEFAULT, NULL,
			request_read, req);
		return;
	}
	if (nl)
		*nl = '\0';
	g_strstrip(req->buf);
	req->reply = run_command(req->control, req->buf);
	g_output_stream_write_all_async(
		g_io_stream_get_output_stream(G_IO_STREAM(req->connection)),
		req->reply, strlen(req->reply), G_PRIORITY_DEFAULT, NULL,
		reply_written, req);
}

static gboolean
on_incoming(GSocketService *service,
            GSocketConnection *connection,
            GObject *source,
            gpointer data)
{
	Request *req = g_new0(Request, 1);

	req->control = data;
	req->connection = g_object_ref(connection);
	g_input_stream_read_async(
		g_io_stream_get_input_stream(G_IO_STREAM(connection)), req->buf,
		REQUEST_MAX, G_PRIORITY_DEFAULT, NULL, request_read, req);
	return TRUE;
}

RavenControl *
raven_control_new(const char *path, GError **error)
{
	g_autoptr(GSocketAddress) address = g_unix_socket_address_new(path);
	RavenControl *control;
	mode_t old_mask;
	gboolean ok;

	g_unlink(path); /* a socket left by a daemon that died */
	control = g_new0(RavenControl, 1);
	control->path = g_strdup(path);
	control->commands = g_hash_table_new_full(g_str_hash, g_str_equal,
	                                          g_free, g_free);
	control->service = g_socket_service_new();
	old_mask = umask(0077);
	ok = g_socket_listener_add_address(G_SOCKET_LISTENER(control->service),
	                                   address, G_SOCKET_TYPE_STREAM,
	                                   G_SOCKET_PROTOCOL_DEFAULT, NULL,
	                                   NULL, error);
	umask(old_mask);
	if (!ok) {
		g_prefix_error(error, "cannot listen on %s: ", path);
		raven_control_free(control);
		return NULL;
	}
	g_signal_connect(control->service, "incoming", G_CALLBACK(on_incoming),
	                 control);
	g_socket_service_start(control->service);
	return control;
}

void
raven_control_free(RavenControl *control)
{
	if (control == NULL)
		return;
	g_socket_service_stop(control->service);
	g_socket_listener_close(G_SOCKET_LISTENER(control->service));
	g_object_unref(control->service);
	g_unlink(control->path);
	g_free(control->path);
	g_hash_table_unref(control->commands);
	g_free(control);
}

void
raven_control_add(RavenControl *control,
                  const char *name,
                  RavenControlCommand run,
                  gpointer data)
{
	Command *cmd = g_new0(Command, 1);

	cmd->run = run;
	cmd->data = data;
	g_hash_table_insert(control->commands, g_strdup(name), cmd);
}

char *
raven_control_request(const char *path, const char *request, GError **error)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketAddress) address = g_unix_socket_address_new(path);
	g_autoptr(GSocketConnection) conn = NULL;
	g_autoptr(GString) reply = g_string_new(NULL);
	g_autofree char *line = g_strconcat(request, "\n", NULL);
	char buf[4096];
	gssize n;

	conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(address),
	                               NULL, error);
	if (conn == NULL) {
		g_prefix_error(
			error,
			"ravend is not running (cannot reach %s): ", path);
		return NULL;
	}
	if (!g_output_stream_write_all(
		    g_io_stream_get_output_stream(G_IO_STREAM(conn)), line,
		    strlen(line), NULL, NULL, error))
		return NULL;
	while ((n = g_input_stream_read(
			g_io_stream_get_input_stream(G_IO_STREAM(conn)), buf,
			sizeof buf, NULL, error))
	       > 0)
		g_string_append_len(reply, buf, n);
	if (n < 0)
		return NULL;
	if (g_str_has_prefix(reply->str, "ok\n"))
		return g_strdup(reply->str + 3);
	g_strchomp(reply->str);
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
	            g_str_has_prefix(reply->str, "error ") ? reply->str + 6
	                                                   : reply->str);
	return NULL;
}
