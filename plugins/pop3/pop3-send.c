/* pop3-send.c: RETR and TOP output, fetched on a worker thread and
 * streamed in chunks.
 * SPDX-License-Identifier: MIT
 *
 * The storage is called off the main loop; the encoded message then goes
 * out a chunk at a time, the next one when the connection has drained the
 * last, so a large message never sits whole in the output buffer.
 */
#define G_LOG_DOMAIN "pop3"

#include "pop3.h"

/* Encoded bytes handed to the connection at a time. */
#define CHUNK (64 * 1024)

typedef struct {
	Pop3Session *session;
	const RavenStorage *storage;
	RavenMailbox *mailbox;
	guint32 uid;
	guint64 size;
	gboolean limited;
	guint64 lines;
} Pop3Fetch;

/* Runs on a worker thread; input is paused, so nothing else uses the
 * mailbox of this session meanwhile. */
static void
fetch_thread(GTask *task,
             gpointer source,
             gpointer data,
             GCancellable *cancellable)
{
	Pop3Fetch *job = data;
	GError *error = NULL;
	GBytes *message = job->storage->fetch(job->mailbox, job->uid, &error);

	if (message == NULL)
		g_task_return_error(task, error);
	else
		g_task_return_pointer(task, message,
		                      (GDestroyNotify)g_bytes_unref);
}

static void
finish(Pop3Session *s)
{
	pop3_send_clear(s);
	pop3_session_unwait(s);
}

static void
send_chunk(Pop3Session *s)
{
	g_autoptr(GByteArray) out = g_byte_array_sized_new(CHUNK + 256);
	gsize len;
	const guint8 *data = g_bytes_get_data(s->send.message, &len);
	gboolean done
		= pop3_encoder_run(&s->send.encoder, data, len, out, CHUNK);

	if (done)
		g_byte_array_append(out, (const guint8 *)".\r\n", 3);
	s->core->conn_write(s->conn, out->data, out->len);
	if (done)
		finish(s);
}

static void
fetch_failed(Pop3Session *s, const Pop3Fetch *job, const GError *error)
{
	if (g_error_matches(error, RAVEN_STORAGE_ERROR,
	                    RAVEN_STORAGE_ERROR_NOT_FOUND)) {
		pop3_reply(s, "-ERR Message was removed by another session");
		return;
	}
	g_warning("%s: cannot fetch UID %u of %s: %s",
	          s->core->conn_id(s->conn), job->uid, s->user, error->message);
	pop3_reply(s, "-ERR [SYS/TEMP] Cannot read the message");
}

static void
fetch_done(GObject *source, GAsyncResult *result, gpointer data)
{
	Pop3Fetch *job = data;
	Pop3Session *s = job->session;
	g_autoptr(GError) error = NULL;
	GBytes *message = g_task_propagate_pointer(G_TASK(result), &error);

	if (s->conn == NULL || s->closing || s->draining) {
		g_clear_pointer(&message, g_bytes_unref);
		pop3_session_unwait(s);
		return;
	}
	if (message == NULL) {
		fetch_failed(s, job, error);
		pop3_session_unwait(s);
		return;
	}
	s->send.message = message;
	s->send.active = TRUE;
	pop3_encoder_init(&s->send.encoder, job->limited, job->lines);
	if (job->limited)
		pop3_reply(s, "+OK Top of message follows");
	else
		pop3_replyf(s, "+OK %" G_GUINT64_FORMAT " octets", job->size);
	send_chunk(s);
}

void
pop3_send_start(Pop3Session *s,
                Pop3Message *msg,
                gboolean limited,
                guint64 lines)
{
	Pop3Fetch *job = g_new0(Pop3Fetch, 1);
	g_autoptr(GTask) task = NULL;

	job->session = s;
	job->storage = s->drop->storage;
	job->mailbox = s->drop->mailbox;
	job->uid = msg->uid;
	job->size = msg->size;
	job->limited = limited;
	job->lines = lines;
	pop3_session_wait(s);
	task = g_task_new(NULL, NULL, fetch_done, job);
	g_task_set_task_data(task, job, g_free);
	g_task_run_in_thread(task, fetch_thread);
}

void
pop3_send_drained(Pop3Session *s)
{
	if (s->send.active && s->conn != NULL && !s->closing)
		send_chunk(s);
}

void
pop3_send_clear(Pop3Session *s)
{
	s->send.active = FALSE;
	g_clear_pointer(&s->send.message, g_bytes_unref);
}
