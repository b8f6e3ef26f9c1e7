/* test-smtp-client.c: the outbound SMTP client against scripted peers.
 * SPDX-License-Identifier: MIT
 *
 * Each peer is a thread on 127.0.0.1 that plays a script (read a line,
 * send bytes, do a TLS handshake) and records every byte the client sent,
 * so the tests assert exactly what left the client's socket.
 */
#include "config.h"

#include "raven-tls.h"
#include "smtp-client.h"

#include <arpa/inet.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CLIENT_TIMEOUT_MS 2000
#define PEER_TIMEOUT_S 5

typedef enum {
	STEP_END = 0,
	STEP_RECV,  /* read one line */
	STEP_ALONE, /* read one line that came alone: nothing pipelined */
	STEP_BODY,  /* read lines through the "." line */
	STEP_READ,  /* read whatever comes next */
	STEP_SEND,  /* send text in one write */
	STEP_TLS,   /* the server's side of a TLS handshake */
} StepKind;

typedef struct {
	StepKind kind;
	const char *text;
} Step;

typedef struct {
	const Step *script;
	int listener;
	int fd;
	guint16 port;
	GThread *thread;
	gnutls_session_t tls;
	GByteArray *input;  /* read, not yet used by the script */
	GString *received;  /* every byte the client sent */
	gsize tls_offset;   /* where in `received` TLS began */
	gboolean tls_ok;    /* the handshake succeeded */
	gboolean pipelined; /* an ALONE line had company */
	gboolean finished;  /* the script ran to its END */
} Peer;

static RavenTlsContext *tls_context;

/* ---- the peer */

static gssize
peer_recv(Peer *p, guint8 *buf, gsize len)
{
	gssize n;

	if (p->tls == NULL)
		return recv(p->fd, buf, len, 0);
	do
		n = gnutls_record_recv(p->tls, buf, len);
	while (n == GNUTLS_E_INTERRUPTED);
	return n;
}

/* Read more; FALSE at EOF, on error or after PEER_TIMEOUT_S. */
static gboolean
peer_read(Peer *p)
{
	guint8 buf[4096];
	gssize n = peer_recv(p, buf, sizeof buf);

	if (n <= 0)
		return FALSE;
	g_byte_array_append(p->input, buf, (guint)n);
	g_string_append_len(p->received, (const char *)buf, n);
	return TRUE;
}

/* Take one line from the input; FALSE when none comes. */
static gboolean
peer_line(Peer *p, char **line)
{
	guint8 *lf = NULL;

	/* memchr must not see the NULL of an empty array */
	while (p->input->len == 0
	       || (lf = memchr(p->input->data, '\n', p->input->len)) == NULL)
		if (!peer_read(p))
			return FALSE;
	*line = g_strndup((const char *)p->input->data,
	                  (gsize)(lf - p->input->data) + 1);
	g_byte_array_remove_range(p->input, 0,
	                          (guint)(lf - p->input->data) + 1);
	return TRUE;
}

static gboolean
peer_send(Peer *p, const char *text)
{
	gsize len = strlen(text);

	if (p->tls != NULL)
		return gnutls_record_send(p->tls, text, len) == (gssize)len;
	return send(p->fd, text, len, MSG_NOSIGNAL) == (gssize)len;
}

static gboolean
peer_handshake(Peer *p)
{
	int rc;

	/* As the server does: input from before the handshake is gone. */
	g_byte_array_set_size(p->input, 0);
	p->tls = raven_tls_session_new(tls_context, p->fd, NULL);
	if (p->tls == NULL)
		return FALSE;
	do
		rc = gnutls_handshake(p->tls);
	while (rc < 0 && !gnutls_error_is_fatal(rc) && rc != GNUTLS_E_AGAIN);
	p->tls_offset = p->received->len;
	p->tls_ok = rc == 0;
	return p->tls_ok;
}

static gboolean
peer_alone(Peer *p)
{
	g_autofree char *line = NULL;
	struct pollfd pfd = { p->fd, POLLIN, 0 };

	if (!peer_line(p, &line))
		return FALSE;
	if (p->input->len > 0 || poll(&pfd, 1, 50) > 0)
		p->pipelined = TRUE;
	return TRUE;
}

static gboolean
peer_body(Peer *p)
{
	for (;;) {
		g_autofree char *line = NULL;

		if (!peer_line(p, &line))
			return FALSE;
		if (g_str_equal(line, ".\r\n"))
			return TRUE;
	}
}

static gboolean
peer_step(Peer *p, const Step *step)
{
	g_autofree char *line = NULL;

	switch (step->kind) {
	case STEP_RECV:
		return peer_line(p, &line);
	case STEP_ALONE:
		return peer_alone(p);
	case STEP_BODY:
		return peer_body(p);
	case STEP_READ:
		return peer_read(p);
	case STEP_SEND:
		return peer_send(p, step->text);
	case STEP_TLS:
		return peer_handshake(p);
	default:
		return FALSE;
	}
}

static gpointer
peer_run(gpointer data)
{
	Peer *p = data;
	struct pollfd pfd = { p->listener, POLLIN, 0 };
	struct timeval tv = { PEER_TIMEOUT_S, 0 };
	const Step *step;

	if (poll(&pfd, 1, PEER_TIMEOUT_S * 1000) != 1)
		return NULL;
	p->fd = accept(p->listener, NULL, NULL);
	if (p->fd < 0)
		return NULL;
	setsockopt(p->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(p->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	for (step = p->script; step->kind != STEP_END; step++)
		if (!peer_step(p, step))
			break;
	p->finished = step->kind == STEP_END;
	/* Whatever else the client sends goes into the record. */
	while (p->finished && peer_read(p))
		;
	return NULL;
}

static Peer *
peer_start(const Step *script)
{
	Peer *p = g_new0(Peer, 1);
	struct sockaddr_in addr = { 0 };
	socklen_t len = sizeof addr;

	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p->script = script;
	p->fd = -1;
	p->input = g_byte_array_new();
	p->received = g_string_new(NULL);
	p->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(p->listener, >=, 0);
	g_assert_cmpint(bind(p->listener, (struct sockaddr *)&addr, len), ==,
	                0);
	g_assert_cmpint(listen(p->listener, 1), ==, 0);
	g_assert_cmpint(
		getsockname(p->listener, (struct sockaddr *)&addr, &len), ==,
		0);
	p->port = ntohs(addr.sin_port);
	p->thread = g_thread_new("peer", peer_run, p);
	return p;
}

/* Wait until the peer is done with its script and the client. */
static void
peer_wait(Peer *p)
{
	if (p->thread != NULL)
		g_thread_join(p->thread);
	p->thread = NULL;
}

static void
peer_free(Peer *p)
{
	peer_wait(p);
	if (p->tls != NULL)
		gnutls_deinit(p->tls);
	if (p->fd >= 0)
		close(p->fd);
	close(p->listener);
	g_byte_array_unref(p->input);
	g_string_free(p->received, TRUE);
	g_free(p);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Peer, peer_free)

/* ---- the client's side */

/* Stored bytes with every kind of line end, lines to stuff and no last
 * line end; then what must go on the wire for them. */
static const char message_in[] = "Subject: test\r\n"
				 "\r\n"
				 ".leading dot\n"
				 "bare LF\r"
				 "bare CR\r\n"
				 "..two dots\r\n"
				 ".\r\n"
				 "last line";
static const char message_out[] = "Subject: test\r\n"
				  "\r\n"
				  "..leading dot\r\n"
				  "bare LF\r\n"
				  "bare CR\r\n"
				  "...two dots\r\n"
				  "..\r\n"
				  "last line\r\n"
				  ".\r\n";

static const RavenRecipient two_recipients[] = {
	{ sizeof(RavenRecipient), "alice@remote.test", NULL, 0 },
	{ sizeof(RavenRecipient), "bob@remote.test", NULL, 0 },
};

typedef struct {
	RavenTransportJob job;
	RavenTransportResult results[2];
	SmtpClientTarget target;
} Delivery;

static Delivery *
delivery_new(const char *message, const RavenRecipient *recipients)
{
	Delivery *d = g_new0(Delivery, 1);

	d->job.size = sizeof d->job;
	d->job.queue_id = "Q1";
	d->job.domain = "remote.test";
	d->job.sender = "sender@example.test";
	d->job.recipients = recipients;
	d->job.n_recipients = 2;
	d->job.message = g_bytes_new_static(message, strlen(message));
	d->target.host = "mx.remote.test";
	d->target.address = "127.0.0.1";
	d->target.helo = "client.test";
	d->target.tls = SMTP_CLIENT_TLS_MAY;
	d->target.timeout_ms = CLIENT_TIMEOUT_MS;
	return d;
}

static void
delivery_free(Delivery *d)
{
	smtp_client_results_clear(d->results, G_N_ELEMENTS(d->results));
	g_bytes_unref(d->job.message);
	g_free(d);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Delivery, delivery_free)

/* Send to `peer` and wait until it is done. */
static SmtpClientOutcome
deliver(Delivery *d, Peer *peer)
{
	SmtpClientOutcome outcome;

	d->target.port = peer->port;
	outcome = smtp_client_send(&d->target, &d->job, d->results);
	peer_wait(peer);
	return outcome;
}

static void
assert_result(const RavenTransportResult *r,
              RavenTransportOutcome outcome,
              const char *status,
              const char *diagnostic)
{
	g_assert_cmpint(r->outcome, ==, outcome);
	g_assert_cmpstr(r->status, ==, status);
	if (diagnostic != NULL)
		g_assert_cmpstr(r->diagnostic, ==, diagnostic);
}

static char *
mail_from(const char *params)
{
	return g_strdup_printf("MAIL FROM:<sender@example.test>%s\r\n", params);
}

/* ---- deliveries */

static void
test_pipelined(void)
{
	static const Step script[] = {
		{ STEP_SEND, "220 mx.remote.test ESMTP\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "250-mx.remote.test\r\n250-PIPELINING\r\n"
		             "250-SIZE 1000000\r\n250 8BITMIME\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_RECV, NULL },
		{ STEP_RECV, NULL },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
		             "354 Go ahead\r\n" },
		{ STEP_BODY, NULL },
		{ STEP_SEND, "250 2.0.0 Ok: queued as ABC\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "221 2.0.0 Bye\r\n" },
		{ STEP_END, NULL },
	};
	g_autoptr(Peer) peer = peer_start(script);
	g_autoptr(Delivery) d = delivery_new(message_in, two_recipients);
	g_autofree char *params = g_strdup_printf(" SIZE=%zu BODY=8BITMIME",
	                                          strlen(message_in));
	g_autofree char *mail = mail_from(params);
	g_autofree char *expected = NULL;

	d->job.body_8bit = TRUE;
	/* The peer answers nothing before DATA: a client that waited for
	 * the reply to MAIL would time out here. */
	g_assert_cmpint(deliver(d, peer), ==, SMTP_CLIENT_ANSWERED);
	g_assert_true(peer->finished);
	expected = g_strconcat("EHLO client.test\r\n", mail,
	                       "RCPT TO:<alice@remote.test>\r\n"
	                       "RCPT TO:<bob@remote.test>\r\n"
	                       "DATA\r\n",
	                       message_out, "QUIT\r\n", NULL);
	g_assert_cmpstr(peer->received->str, ==, expected);
	for (guint i = 0; i < 2; i++) {
		assert_result(&d->results[i], RAVEN_TRANSPORT_SENT, "2.0.0",
		              "250 2.0.0 Ok: queued as ABC");
		g_assert_cmpstr(d->results[i].remote_host, ==,
		                "mx.remote.test [127.0.0.1]");
	}
}

static void
test_in_turn(void)
{
	static const Step script[] = {
		{ STEP_SEND, "220 mx.remote.test ESMTP\r\n" },
		{ STEP_ALONE, NULL },
		{ STEP_SEND, "250-mx.remote.test\r\n250 SIZE\r\n" },
		{ STEP_ALONE, NULL },
		{ STEP_SEND, "250 Ok\r\n" },
		{ STEP_ALONE, NULL },
		{ STEP_SEND, "250 Ok\r\n" },
		{ STEP_ALONE, NULL },
		{ STEP_SEND, "250 Ok\r\n" },
		{ STEP_ALONE, NULL },
		{ STEP_SEND, "354 Go ahead\r\n" },
		{ STEP_BODY, NULL },
		{ STEP_SEND, "250 Queued\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "221 Bye\r\n" },
		{ STEP_END, NULL },
	};
	g_autoptr(Peer) peer = peer_start(script);
	g_autoptr(Delivery) d = delivery_new(message_in, two_recipients);
	g_autofree char *params
		= g_strdup_printf(" SIZE=%zu", strlen(message_in));
	g_autofree char *mail = mail_from(params);
	g_autofree char *expected = NULL;

	/* 8BITMIME is not offered: no BODY= for it */
	d->job.body_8bit = TRUE;
	g_assert_cmpint(deliver(d, peer), ==, SMTP_CLIENT_ANSWERED);
	g_assert_true(peer->finished);
	g_assert_false(peer->pipelined);
	expected = g_strconcat("EHLO client.test\r\n", mail,
	                       "RCPT TO:<alice@remote.test>\r\n"
	                       "RCPT TO:<bob@remote.test>\r\n"
	                       "DATA\r\n",
	                       message_out, "QUIT\r\n", NULL);
	g_assert_cmpstr(peer->received->str, ==, expected);
	/* No enhanced code in the reply: the class gives one */
	assert_result(&d->results[0], RAVEN_TRANSPORT_SENT, "2.0.0",
	              "250 Queued");
	assert_result(&d->results[1], RAVEN_TRANSPORT_SENT, "2.0.0",
	              "250 Queued");
}

static void
test_helo_empty_message(void)
{
	static const Step script[] = {
		{ STEP_SEND, "220 mx.remote.test SMTP\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "502 5.5.1 What?\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "250 mx.remote.test\r\n" },
		{ STEP_ALONE, NULL },
		{ STEP_SEND, "250 Ok\r\n" },
		{ STEP_ALONE, NULL },
		{ STEP_SEND, "250 Ok\r\n" },
		{ STEP_ALONE, NULL },
		{ STEP_SEND, "250 Ok\r\n" },
		{ STEP_ALONE, NULL },
		{ STEP_SEND, "354 Go ahead\r\n" },
		{ STEP_BODY, NULL },
		{ STEP_SEND, "250 Queued\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "221 Bye\r\n" },
		{ STEP_END, NULL },
	};
	g_autoptr(Peer) peer = peer_start(script);
	g_autoptr(Delivery) d = delivery_new("", two_recipients);

	g_assert_cmpint(deliver(d, peer), ==, SMTP_CLIENT_ANSWERED);
	g_assert_cmpstr(peer->received->str, ==,
	                "EHLO client.test\r\n"
	                "HELO client.test\r\n"
	                "MAIL FROM:<sender@example.test>\r\n"
	                "RCPT TO:<alice@remote.test>\r\n"
	                "RCPT TO:<bob@remote.test>\r\n"
	                "DATA\r\n"
	                ".\r\n"
	                "QUIT\r\n");
	assert_result(&d->results[1], RAVEN_TRANSPORT_SENT, "2.0.0", NULL);
}

/* ---- refusals */

static void
test_mail_deferred(void)
{
	static const Step script[] = {
		{ STEP_SEND, "220 mx.remote.test ESMTP\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "250 mx.remote.test\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "451 4.3.0 Try again later\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "221 Bye\r\n" },
		{ STEP_END, NULL },
	};
	g_autoptr(Peer) peer = peer_start(script);
	g_autoptr(Delivery) d = delivery_new(message_in, two_recipients);

	g_assert_cmpint(deliver(d, peer), ==, SMTP_CLIENT_ANSWERED);
	g_assert_cmpstr(peer->received->str, ==,
	                "EHLO client.test\r\n"
	                "MAIL FROM:<sender@example.test>\r\n"
	                "QUIT\r\n");
	for (guint i = 0; i < 2; i++)
		assert_result(&d->results[i], RAVEN_TRANSPORT_DEFERRED, "4.3.0",
		              "451 4.3.0 Try again later");
}

static void
test_pipelined_mail_refused(void)
{
	/* A server that takes DATA although MAIL failed: the client ends
	 * the data at once. */
	static const Step script[] = {
		{ STEP_SEND, "220 mx.remote.test ESMTP\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "250-mx.remote.test\r\n250 PIPELINING\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_RECV, NULL },
		{ STEP_RECV, NULL },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "550 5.7.1 Not from you\r\n250 Ok\r\n250 Ok\r\n"
		             "354 Go ahead\r\n" },
		{ STEP_BODY, NULL },
		{ STEP_SEND, "554 5.5.1 No valid recipients\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "221 Bye\r\n" },
		{ STEP_END, NULL },
	};
	g_autoptr(Peer) peer = peer_start(script);
	g_autoptr(Delivery) d = delivery_new(message_in, two_recipients);

	g_assert_cmpint(deliver(d, peer), ==, SMTP_CLIENT_ANSWERED);
	g_assert_true(
		g_str_has_suffix(peer->received->str, "DATA\r\n.\r\nQUIT\r\n"));
	for (guint i = 0; i < 2; i++)
		assert_result(&d->results[i], RAVEN_TRANSPORT_FAILED, "5.7.1",
		              "550 5.7.1 Not from you");
}

static void
test_rcpt_failed(void)
{
	static const Step script[] = {
		{ STEP_SEND, "220 mx.remote.test ESMTP\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "250-mx.remote.test\r\n250 PIPELINING\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_RECV, NULL },
		{ STEP_RECV, NULL },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "250 2.1.0 Ok\r\n"
		             "550-5.1.1 <alice@remote.test>: no such user\r\n"
		             "550 5.1.1 see https://remote.test/help\r\n"
		             "250 2.1.5 Ok\r\n"
		             "354 Go ahead\r\n" },
		{ STEP_BODY, NULL },
		{ STEP_SEND, "250 2.0.0 Ok\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "221 Bye\r\n" },
		{ STEP_END, NULL },
	};
	g_autoptr(Peer) peer = peer_start(script);
	g_autoptr(Delivery) d = delivery_new(message_in, two_recipients);

	g_assert_cmpint(deliver(d, peer), ==, SMTP_CLIENT_ANSWERED);
	g_assert_true(peer->finished);
	/* Both lines on one, the repeated code once */
	assert_result(&d->results[0], RAVEN_TRANSPORT_FAILED, "5.1.1",
	              "550 5.1.1 <alice@remote.test>: no such user "
	              "see https://remote.test/help");
	assert_result(&d->results[1], RAVEN_TRANSPORT_SENT, "2.0.0",
	              "250 2.0.0 Ok");
}

static void
test_data_failed(void)
{
	static const Step script[] = {
		{ STEP_SEND, "220 mx.remote.test ESMTP\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "250 mx.remote.test\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "250 Ok\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "250 Ok\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "250 Ok\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "354 Go ahead\r\n" },
		{ STEP_BODY, NULL },
		{ STEP_SEND, "552 5.2.2 Mailbox full\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "221 Bye\r\n" },
		{ STEP_END, NULL },
	};
	g_autoptr(Peer) peer = peer_start(script);
	g_autoptr(Delivery) d = delivery_new(message_in, two_recipients);

	g_assert_cmpint(deliver(d, peer), ==, SMTP_CLIENT_ANSWERED);
	for (guint i = 0; i < 2; i++)
		assert_result(&d->results[i], RAVEN_TRANSPORT_FAILED, "5.2.2",
		              "552 5.2.2 Mailbox full");
}

static void
test_greeting_refused(void)
{
	static const Step script[] = {
		{ STEP_SEND, "554 5.7.1 No SMTP service here\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "221 Bye\r\n" },
		{ STEP_END, NULL },
	};
	g_autoptr(Peer) peer = peer_start(script);
	g_autoptr(Delivery) d = delivery_new(message_in, two_recipients);

	g_assert_cmpint(deliver(d, peer), ==, SMTP_CLIENT_TRY_NEXT);
	g_assert_cmpstr(peer->received->str, ==, "QUIT\r\n");
	assert_result(&d->results[0], RAVEN_TRANSPORT_FAILED, "5.7.1",
	              "554 5.7.1 No SMTP service here");
}

static void
test_smtputf8_missing(void)
{
	static const Step script[] = {
		{ STEP_SEND, "220 mx.remote.test ESMTP\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "250-mx.remote.test\r\n250 8BITMIME\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "221 Bye\r\n" },
		{ STEP_END, NULL },
	};
	g_autoptr(Peer) peer = peer_start(script);
	g_autoptr(Delivery) d = delivery_new(message_in, two_recipients);

	d->job.smtputf8 = TRUE;
	g_assert_cmpint(deliver(d, peer), ==, SMTP_CLIENT_ANSWERED);
	g_assert_cmpstr(peer->received->str, ==,
	                "EHLO client.test\r\nQUIT\r\n");
	assert_result(&d->results[0], RAVEN_TRANSPORT_FAILED, "5.6.7",
	              "the message needs SMTPUTF8 but mx.remote.test "
	              "[127.0.0.1] does not offer it");
}

/* ---- broken connections and replies */

static void
test_refused(void)
{
	g_autoptr(Delivery) d = delivery_new(message_in, two_recipients);
	g_autofree char *expected = NULL;
	struct sockaddr_in addr = { 0 };
	socklen_t len = sizeof addr;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	/* A port that was free a moment ago and has no listener */
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&addr, len), ==, 0);
	g_assert_cmpint(getsockname(fd, (struct sockaddr *)&addr, &len), ==, 0);
	close(fd);
	d->target.port = ntohs(addr.sin_port);
	g_assert_cmpint(smtp_client_send(&d->target, &d->job, d->results), ==,
	                SMTP_CLIENT_TRY_NEXT);
	expected = g_strdup_printf("connection refused by 127.0.0.1:%u",
	                           d->target.port);
	for (guint i = 0; i < 2; i++)
		assert_result(&d->results[i], RAVEN_TRANSPORT_DEFERRED, "4.4.1",
		              expected);
}

static void
test_timeout(void)
{
	static const Step script[] = {
		{ STEP_RECV, NULL }, /* and no greeting */
		{ STEP_END, NULL },
	};
	g_autoptr(Peer) peer = peer_start(script);
	g_autoptr(Delivery) d = delivery_new(message_in, two_recipients);

	d->target.timeout_ms = 300;
	g_assert_cmpint(deliver(d, peer), ==, SMTP_CLIENT_TRY_NEXT);
	assert_result(&d->results[0], RAVEN_TRANSPORT_DEFERRED, "4.4.2",
	              "conversation with mx.remote.test [127.0.0.1] timed "
	              "out while receiving the greeting");
}

static void
assert_broken_reply(const char *greeting, const char *why)
{
	const Step script[] = {
		{ STEP_SEND, greeting },
		{ STEP_END, NULL },
	};
	g_autoptr(Peer) peer = peer_start(script);
	g_autoptr(Delivery) d = delivery_new(message_in, two_recipients);
	g_autofree char *expected = g_strdup_printf(
		"%s from mx.remote.test [127.0.0.1] while receiving the "
		"greeting",
		why);

	g_assert_cmpint(deliver(d, peer), ==, SMTP_CLIENT_TRY_NEXT);
	for (guint i = 0; i < 2; i++)
		assert_result(&d->results[i], RAVEN_TRANSPORT_DEFERRED, "4.5.0",
		              expected);
}

static void
test_reply_too_long(void)
{
	g_autoptr(GString) lines = g_string_new(NULL);
	g_autofree char *line = g_strnfill(SMTP_CLIENT_MAX_REPLY_LINE, 'x');
	g_autofree char *long_line = NULL;

	/* The longest line allowed, then one byte more */
	g_string_printf(lines, "220-%s\r\n", line + 4);
	g_string_append_printf(lines, "220-%sx\r\n220 Hi\r\n", line + 4);
	assert_broken_reply(lines->str, "reply too long");
	/* A line that never ends */
	long_line = g_strnfill(3000, 'y');
	assert_broken_reply(long_line, "reply too long");
	/* Too many lines */
	g_string_truncate(lines, 0);
	for (guint i = 0; i < SMTP_CLIENT_MAX_REPLY_LINES; i++)
		g_string_append(lines, "220-Hello\r\n");
	g_string_append(lines, "220 Hello\r\n");
	assert_broken_reply(lines->str, "reply too long");
}

static void
test_malformed_reply(void)
{
	assert_broken_reply("22 short\r\n", "malformed reply");
	assert_broken_reply("2x0 Hi\r\n", "malformed reply");
	assert_broken_reply("220_Hi\r\n", "malformed reply");
	assert_broken_reply("620 Hi\r\n", "malformed reply");
	assert_broken_reply("220-Hi\r\n250 Hi\r\n", "malformed reply");
}

/* ---- TLS */

static void
test_starttls_injection(void)
{
	static const Step script[] = {
		{ STEP_SEND, "220 mx.remote.test ESMTP\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "250-mx.remote.test\r\n250-STARTTLS\r\n"
		             "250 PIPELINING\r\n" },
		{ STEP_RECV, NULL },
		/* The second line is an attacker's, before the handshake */
		{ STEP_SEND, "220 2.0.0 Go ahead\r\n250 injected\r\n" },
		{ STEP_TLS, NULL },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "250-mx.remote.test\r\n250 PIPELINING\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_RECV, NULL },
		{ STEP_RECV, NULL },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "250 Ok\r\n250 Ok\r\n250 Ok\r\n354 Go ahead\r\n" },
		{ STEP_BODY, NULL },
		{ STEP_SEND, "250 2.0.0 Ok: queued\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "221 Bye\r\n" },
		{ STEP_END, NULL },
	};
	g_autoptr(Peer) peer = peer_start(script);
	g_autoptr(Delivery) d = delivery_new(message_in, two_recipients);
	g_autofree char *expected = NULL;

	g_assert_cmpint(deliver(d, peer), ==, SMTP_CLIENT_ANSWERED);
	g_assert_true(peer->tls_ok);
	g_assert_true(peer->finished);
	expected = g_strconcat("EHLO client.test\r\n"
	                       "STARTTLS\r\n"
	                       "EHLO client.test\r\n"
	                       "MAIL FROM:<sender@example.test>\r\n"
	                       "RCPT TO:<alice@remote.test>\r\n"
	                       "RCPT TO:<bob@remote.test>\r\n"
	                       "DATA\r\n",
	                       message_out, "QUIT\r\n", NULL);
	g_assert_cmpstr(peer->received->str, ==, expected);
	/* EHLO again, inside TLS */
	g_assert_cmpuint(peer->tls_offset, ==,
	                 strlen("EHLO client.test\r\nSTARTTLS\r\n"));
	assert_result(&d->results[0], RAVEN_TRANSPORT_SENT, "2.0.0",
	              "250 2.0.0 Ok: queued");
}

static void
test_tls_required(void)
{
	static const Step script[] = {
		{ STEP_SEND, "220 mx.remote.test ESMTP\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "250-mx.remote.test\r\n250 PIPELINING\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "221 Bye\r\n" },
		{ STEP_END, NULL },
	};
	g_autoptr(Peer) peer = peer_start(script);
	g_autoptr(Delivery) d = delivery_new(message_in, two_recipients);

	d->target.host = "127.0.0.1";
	d->target.tls = SMTP_CLIENT_TLS_REQUIRE;
	g_assert_cmpint(deliver(d, peer), ==, SMTP_CLIENT_TRY_NEXT);
	g_assert_cmpstr(peer->received->str, ==,
	                "EHLO client.test\r\nQUIT\r\n");
	for (guint i = 0; i < 2; i++)
		assert_result(&d->results[i], RAVEN_TRANSPORT_DEFERRED,
		              "4.7.10",
		              "TLS is required for remote.test but 127.0.0.1 "
		              "does not offer STARTTLS");
}

static void
test_tls_broken(void)
{
	static const Step script[] = {
		{ STEP_SEND, "220 mx.remote.test ESMTP\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "250-mx.remote.test\r\n250 STARTTLS\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "220 Go ahead\r\n" },
		{ STEP_READ, NULL }, /* the client's hello */
		{ STEP_SEND, "this is no TLS server hello\r\n" },
		{ STEP_END, NULL },
	};
	g_autoptr(Peer) peer = peer_start(script);
	g_autoptr(Delivery) d = delivery_new(message_in, two_recipients);

	g_assert_cmpint(deliver(d, peer), ==, SMTP_CLIENT_TLS_FAILED);
	g_assert_cmpint(d->results[0].outcome, ==, RAVEN_TRANSPORT_DEFERRED);
	g_assert_cmpstr(d->results[0].status, ==, "4.7.5");
	g_assert_true(g_str_has_prefix(d->results[0].diagnostic,
	                               "TLS handshake with mx.remote.test "
	                               "[127.0.0.1] failed: "));
}

/* ---- DSN */

static const RavenRecipient dsn_recipients[] = {
	{ sizeof(RavenRecipient), "alice@remote.test",
	  "rfc822;alice+tag@remote.test",
	  RAVEN_NOTIFY_SUCCESS | RAVEN_NOTIFY_FAILURE },
	{ sizeof(RavenRecipient), "bob@remote.test", "bob=x@remote.test",
	  RAVEN_NOTIFY_NEVER },
};

static char *
deliver_dsn(const char *ehlo_reply)
{
	const Step script[] = {
		{ STEP_SEND, "220 mx.remote.test ESMTP\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, ehlo_reply },
		{ STEP_RECV, NULL },
		{ STEP_RECV, NULL },
		{ STEP_RECV, NULL },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "250 Ok\r\n250 Ok\r\n250 Ok\r\n354 Go ahead\r\n" },
		{ STEP_BODY, NULL },
		{ STEP_SEND, "250 Ok\r\n" },
		{ STEP_RECV, NULL },
		{ STEP_SEND, "221 Bye\r\n" },
		{ STEP_END, NULL },
	};
	g_autoptr(Peer) peer = peer_start(script);
	g_autoptr(Delivery) d
		= delivery_new("Subject: x\r\n\r\nx\r\n", dsn_recipients);
	g_auto(GStrv) lines = NULL;

	d->job.envid = "id+1=x y";
	d->job.ret_full = TRUE;
	g_assert_cmpint(deliver(d, peer), ==, SMTP_CLIENT_ANSWERED);
	assert_result(&d->results[1], RAVEN_TRANSPORT_SENT, "2.0.0", NULL);
	/* The envelope: MAIL and both RCPTs */
	lines = g_strsplit(peer->received->str, "\r\n", 5);
	g_assert_cmpuint(g_strv_length(lines), ==, 5);
	g_free(lines[4]);
	lines[4] = NULL;
	return g_strjoinv("\n", lines + 1);
}

static void
test_dsn(void)
{
	g_autofree char *with = deliver_dsn(
		"250-mx.remote.test\r\n250-PIPELINING\r\n250 DSN\r\n");
	g_autofree char *without
		= deliver_dsn("250-mx.remote.test\r\n250 PIPELINING\r\n");

	g_assert_cmpstr(with, ==,
	                "MAIL FROM:<sender@example.test> RET=FULL "
	                "ENVID=id+2B1+3Dx+20y\n"
	                "RCPT TO:<alice@remote.test> NOTIFY=SUCCESS,FAILURE "
	                "ORCPT=rfc822;alice+2Btag@remote.test\n"
	                "RCPT TO:<bob@remote.test> NOTIFY=NEVER "
	                "ORCPT=rfc822;bob+3Dx@remote.test");
	g_assert_cmpstr(without, ==,
	                "MAIL FROM:<sender@example.test>\n"
	                "RCPT TO:<alice@remote.test>\n"
	                "RCPT TO:<bob@remote.test>");
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = NULL;
	g_autofree char *cert = NULL;
	g_autofree char *key = NULL;
	int rc;

	g_test_init(&argc, &argv, NULL);
	dir = g_dir_make_tmp("raven-smtp-client-XXXXXX", &error);
	g_assert_no_error(error);
	cert = g_build_filename(dir, "cert.pem", NULL);
	key = g_build_filename(dir, "key.pem", NULL);
	g_assert_true(raven_tls_ensure_self_signed(cert, key, "mx.remote.test",
	                                           &error));
	tls_context = raven_tls_context_new(cert, key, NULL, &error);
	g_assert_no_error(error);

	g_test_add_func("/smtp/client/pipelined", test_pipelined);
	g_test_add_func("/smtp/client/in-turn", test_in_turn);
	g_test_add_func("/smtp/client/helo-empty-message",
	                test_helo_empty_message);
	g_test_add_func("/smtp/client/mail-deferred", test_mail_deferred);
	g_test_add_func("/smtp/client/pipelined-mail-refused",
	                test_pipelined_mail_refused);
	g_test_add_func("/smtp/client/rcpt-failed", test_rcpt_failed);
	g_test_add_func("/smtp/client/data-failed", test_data_failed);
	g_test_add_func("/smtp/client/greeting-refused", test_greeting_refused);
	g_test_add_func("/smtp/client/smtputf8-missing", test_smtputf8_missing);
	g_test_add_func("/smtp/client/refused", test_refused);
	g_test_add_func("/smtp/client/timeout", test_timeout);
	g_test_add_func("/smtp/client/reply-too-long", test_reply_too_long);
	g_test_add_func("/smtp/client/malformed-reply", test_malformed_reply);
	g_test_add_func("/smtp/client/starttls-injection",
	                test_starttls_injection);
	g_test_add_func("/smtp/client/tls-required", test_tls_required);
	g_test_add_func("/smtp/client/tls-broken", test_tls_broken);
	g_test_add_func("/smtp/client/dsn", test_dsn);
	rc = g_test_run();

	raven_tls_context_unref(tls_context);
	g_unlink(cert);
	g_unlink(key);
	g_rmdir(dir);
	return rc;
}
