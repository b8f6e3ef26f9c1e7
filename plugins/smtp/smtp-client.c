/* smtp-client.c: a blocking SMTP client for the outbound transport.
 * SPDX-License-Identifier: MIT
 *
 * One attempt at one address: greeting, EHLO (HELO), STARTTLS, MAIL, RCPT
 * and DATA, pipelined when the server offers PIPELINING (RFC 2920), then
 * QUIT, over the bounded connection of smtp-outbound-conn.c.
 */
#include "config.h"

#include "smtp-client.h"

#include "smtp-outbound-conn.h"

#include <string.h>

#define QUIT_TIMEOUT_MS (10 * 1000)

enum {
	CAP_STARTTLS = 1 << 0,
	CAP_PIPELINING = 1 << 1,
	CAP_SIZE = 1 << 2,
	CAP_8BITMIME = 1 << 3,
	CAP_SMTPUTF8 = 1 << 4,
	CAP_DSN = 1 << 5,
};

static const struct {
	const char *keyword;
	guint cap;
} ehlo_keywords[] = {
	{ "STARTTLS", CAP_STARTTLS }, { "PIPELINING", CAP_PIPELINING },
	{ "SIZE", CAP_SIZE },         { "8BITMIME", CAP_8BITMIME },
	{ "SMTPUTF8", CAP_SMTPUTF8 }, { "DSN", CAP_DSN },
};

/* One reply, possibly of several lines. */
typedef struct {
	guint code;
	char status[16];  /* the RFC 2034 enhanced code it gave, or "" */
	GString *text;    /* the whole reply on one printable line */
	GPtrArray *lines; /* each line's text after the code (EHLO) */
} Reply;

typedef struct {
	const SmtpClientTarget *target;
	const RavenTransportJob *job;
	RavenTransportResult *results;
	char *remote_host; /* "mx.remote.test [192.0.2.1]" */
	SmtpConn *conn;
	gboolean tls_failed; /* STARTTLS was answered, the handshake failed */
	guint caps;
	const char *step; /* where we are, for diagnostics: "after DATA" */
	/* The first local failure; recipients still open get it. */
	const char *error_status;
	char *error_text;
} Client;

/* ---- results */

static void
result_clear(RavenTransportResult *r)
{
	g_free(r->status);
	g_free(r->diagnostic);
	g_free(r->remote_host);
	memset(r, 0, sizeof *r);
}

void
smtp_client_results_set(RavenTransportResult *results,
                        guint n,
                        RavenTransportOutcome outcome,
                        const char *status,
                        const char *diagnostic,
                        const char *remote_host)
{
	for (guint i = 0; i < n; i++) {
		result_clear(&results[i]);
		results[i].outcome = outcome;
		results[i].status = g_strdup(status);
		results[i].diagnostic = g_strdup(diagnostic);
		results[i].remote_host = g_strdup(remote_host);
	}
}

void
smtp_client_results_clear(RavenTransportResult *results, guint n)
{
	for (guint i = 0; i < n; i++)
		result_clear(&results[i]);
}

static gboolean
pending(Client *c, guint i)
{
	return c->results[i].outcome == 0;
}

/* Give every recipient still open the same answer. */
static void
decide_pending(Client *c,
               RavenTransportOutcome outcome,
               const char *status,
               const char *diagnostic)
{
	for (guint i = 0; i < c->job->n_recipients; i++)
		if (pending(c, i))
			smtp_client_results_set(&c->results[i], 1, outcome,
			                        status, diagnostic,
			                        c->remote_host);
}

static RavenTransportOutcome
reply_outcome(const Reply *r)
{
	switch (r->code / 100) {
	case 2:
		return RAVEN_TRANSPORT_SENT;
	case 5:
		return RAVEN_TRANSPORT_FAILED;
	default:
		return RAVEN_TRANSPORT_DEFERRED;
	}
}

/* The reply's own enhanced code, else one for its class. */
static const char *
reply_status(const Reply *r)
{
	if (r->status[0] != '\0')
		return r->status;
	switch (r->code / 100) {
	case 2:
		return "2.0.0";
	case 4:
		return "4.0.0";
	case 5:
		return "5.0.0";
	default:
		return "4.5.0"; /* a 3xx where none belongs */
	}
}

static void
decide_reply(Client *c, guint i, const Reply *r)
{
	smtp_client_results_set(&c->results[i], 1, reply_outcome(r),
	                        reply_status(r), r->text->str, c->remote_host);
}

static void
decide_pending_reply(Client *c, const Reply *r)
{
	decide_pending(c, reply_outcome(r), reply_status(r), r->text->str);
}

/* Remember the first local failure; always FALSE, to return. */
static gboolean fail(Client *c, const char *status, const char *format, ...)
	G_GNUC_PRINTF(3, 4);

static gboolean
fail(Client *c, const char *status, const char *format, ...)
{
	va_list args;

	if (c->error_text != NULL)
		return FALSE;
	va_start(args, format);
	c->error_status = status;
	c->error_text = g_strdup_vprintf(format, args);
	va_end(args);
	return FALSE;
}

/* A failure of the connection, told with where we were. */
static gboolean
conn_failed(Client *c, const GError *error)
{
	const char *host = c->remote_host;

	switch (error->code) {
	case SMTP_CONN_ERROR_CONNECT:
		return fail(c, "4.4.1", "%s", error->message);
	case SMTP_CONN_ERROR_TIMEOUT:
		return fail(c, "4.4.2", "conversation with %s timed out %s",
		            host, c->step);
	case SMTP_CONN_ERROR_TOO_LONG:
		return fail(c, "4.5.0", "reply too long from %s %s", host,
		            c->step);
	case SMTP_CONN_ERROR_TLS:
		return fail(c,
		            c->target->tls == SMTP_CLIENT_TLS_REQUIRE ? "4.7.10"
		                                                      : "4.7.5",
		            "TLS handshake with %s failed: %s", host,
		            error->message);
	case SMTP_CONN_ERROR_CLOSED:
		return fail(c, "4.4.2", "lost connection with %s %s", host,
		            c->step);
	default:
		return fail(c, "4.4.2", "lost connection with %s %s: %s", host,
		            c->step, error->message);
	}
}

static gboolean
put(Client *c, const void *data, gsize len)
{
	g_autoptr(GError) error = NULL;

	return smtp_conn_put(c->conn, data, len, &error)
	       || conn_failed(c, error);
}

static gboolean
flush(Client *c)
{
	g_autoptr(GError) error = NULL;

	return smtp_conn_flush(c->conn, &error) || conn_failed(c, error);
}

/* ---- replies */

static void
reply_init(Reply *r)
{
	r->text = g_string_new(NULL);
	r->lines = g_ptr_array_new_with_free_func(g_free);
}

static void
reply_clear(Reply *r)
{
	g_string_free(r->text, TRUE);
	g_ptr_array_unref(r->lines);
}

/* "DDD text", "DDD-text" (more lines follow) or "DDD". */
static gboolean
parse_code(const char *line, gsize len, guint *code, gboolean *more)
{
	if (len < 3 || line[0] < '2' || line[0] > '5'
	    || !g_ascii_isdigit(line[1]) || !g_ascii_isdigit(line[2])
	    || (len > 3 && line[3] != ' ' && line[3] != '-'))
		return FALSE;
	*code = (guint)(line[0] - '0') * 100 + (guint)(line[1] - '0') * 10
	        + (guint)(line[2] - '0');
	*more = len > 3 && line[3] == '-';
	return TRUE;
}

static gsize
digits(const char *text, gsize len, gsize i)
{
	gsize start = i;

	while (i < len && i - start < 3 && g_ascii_isdigit(text[i]))
		i++;
	return i - start;
}

/* RFC 3463: class.subject.detail, the class the reply's own. */
static void
parse_status(Reply *r, const char *text, gsize len)
{
	gsize i = 1, n;

	if (len < 5 || text[0] != (char)('0' + r->code / 100) || text[1] != '.')
		return;
	for (guint part = 0; part < 2; part++) {
		i++; /* the dot */
		n = digits(text, len, i);
		if (n == 0)
			return;
		i += n;
		if (part == 0 && (i >= len || text[i] != '.'))
			return;
	}
	if (i < len && text[i] != ' ')
		return;
	memcpy(r->status, text, i);
	r->status[i] = '\0';
}

/* The reply on one line of printable ASCII, for diagnostics. */
static void
append_text(Reply *r, const char *text, gsize len)
{
	gsize skip = strlen(r->status);

	/* Lines after the first repeat the enhanced code: keep one. */
	if (r->lines->len > 0 && skip > 0 && len > skip
	    && memcmp(text, r->status, skip) == 0 && text[skip] == ' ') {
		text += skip + 1;
		len -= skip + 1;
	}
	if (len == 0)
		return;
	g_string_append_c(r->text, ' ');
	for (gsize i = 0; i < len; i++) {
		guchar ch = (guchar)text[i];

		g_string_append_c(r->text,
		                  ch >= 0x20 && ch < 0x7f ? (char)ch : '?');
	}
}

static gboolean
read_reply_within(Client *c, Reply *r, guint timeout_ms)
{
	gint64 deadline = smtp_conn_deadline(timeout_ms);
	gboolean more = TRUE;

	r->code = 0;
	r->status[0] = '\0';
	g_string_truncate(r->text, 0);
	g_ptr_array_set_size(r->lines, 0);
	while (more) {
		g_autoptr(GError) error = NULL;
		gsize len;
		const char *line;
		guint code;

		if (r->lines->len == SMTP_CLIENT_MAX_REPLY_LINES)
			return fail(c, "4.5.0", "reply too long from %s %s",
			            c->remote_host, c->step);
		line = smtp_conn_read_line(c->conn, SMTP_CLIENT_MAX_REPLY_LINE,
		                           deadline, &len, &error);
		if (line == NULL)
			return conn_failed(c, error);
		if (!parse_code(line, len, &code, &more)
		    || (r->code != 0 && code != r->code))
			return fail(c, "4.5.0", "malformed reply from %s %s",
			            c->remote_host, c->step);
		line += MIN(len, 4);
		len -= MIN(len, 4);
		if (r->code == 0) {
			r->code = code;
			g_string_printf(r->text, "%u", code);
			parse_status(r, line, len);
		}
		append_text(r, line, len);
		g_ptr_array_add(r->lines, g_strndup(line, len));
	}
	return TRUE;
}

static gboolean
read_reply(Client *c, Reply *r)
{
	return read_reply_within(c, r, c->target->timeout_ms);
}

/* Send one command line (without CRLF) and read its reply. */
static gboolean
command(Client *c, Reply *r, const char *step, const char *format, ...)
	G_GNUC_PRINTF(4, 5);

static gboolean
command(Client *c, Reply *r, const char *step, const char *format, ...)
{
	g_autofree char *line = NULL;
	va_list args;

	va_start(args, format);
	line = g_strdup_vprintf(format, args);
	va_end(args);
	c->step = step;
	return put(c, line, strlen(line)) && put(c, "\r\n", 2) && flush(c)
	       && read_reply(c, r);
}

/* Polite, and its failures change nothing: every recipient is decided. */
static void
quit(Client *c, Reply *r)
{
	c->step = "after QUIT";
	if (put(c, "QUIT\r\n", 6) && flush(c))
		read_reply_within(c, r,
		                  MIN(c->target->timeout_ms, QUIT_TIMEOUT_MS));
}

/* ---- the session: greeting, EHLO, STARTTLS */

static guint
parse_caps(const Reply *r)
{
	guint caps = 0;

	/* The first line is the server's name, not a keyword. */
	for (guint i = 1; i < r->lines->len; i++) {
		const char *line = g_ptr_array_index(r->lines, i);
		gsize len = strcspn(line, " ");

		for (guint k = 0; k < G_N_ELEMENTS(ehlo_keywords); k++) {
			const char *keyword = ehlo_keywords[k].keyword;

			if (strlen(keyword) == len
			    && g_ascii_strncasecmp(line, keyword, len) == 0)
				caps |= ehlo_keywords[k].cap;
		}
	}
	return caps;
}

/* EHLO, or HELO when EHLO is refused for good.  TRUE with a 2xx. */
static gboolean
hello(Client *c, Reply *r)
{
	const char *helo = c->target->helo;
	gboolean esmtp = TRUE;

	c->caps = 0;
	if (!command(c, r, "after EHLO", "EHLO %s", helo))
		return FALSE;
	if (r->code / 100 == 5) {
		esmtp = FALSE;
		if (!command(c, r, "after HELO", "HELO %s", helo))
			return FALSE;
	}
	if (r->code / 100 != 2) {
		decide_pending_reply(c, r);
		quit(c, r);
		return FALSE;
	}
	if (esmtp)
		c->caps = parse_caps(r);
	return TRUE;
}

static gboolean
handshake(Client *c)
{
	g_autoptr(GError) error = NULL;

	c->step = "during the TLS handshake";
	if (smtp_conn_starttls(c->conn, c->target->host, &error))
		return TRUE;
	c->tls_failed = TRUE;
	return conn_failed(c, error);
}

/* STARTTLS when offered (or required), then EHLO again.  FALSE when there
 * is no session to go on with. */
static gboolean
secure(Client *c, Reply *r)
{
	gboolean required = c->target->tls == SMTP_CLIENT_TLS_REQUIRE;

	if (c->target->tls == SMTP_CLIENT_TLS_NEVER
	    || (!(c->caps & CAP_STARTTLS) && !required))
		return TRUE;
	if (!(c->caps & CAP_STARTTLS)) {
		fail(c, "4.7.10",
		     "TLS is required for %s but %s does not offer STARTTLS",
		     c->job->domain, c->target->host);
		quit(c, r);
		return FALSE;
	}
	if (!command(c, r, "after STARTTLS", "STARTTLS"))
		return FALSE;
	if (r->code / 100 != 2 && !required)
		return TRUE; /* go on in plaintext */
	if (r->code / 100 != 2) {
		fail(c, "4.7.10",
		     "TLS is required for %s but %s refused STARTTLS: %s",
		     c->job->domain, c->target->host, r->text->str);
		quit(c, r);
		return FALSE;
	}
	/* Anything that came with the 220 is dropped there: it was sent
	 * before the handshake. */
	return handshake(c) && hello(c, r);
}

/* ---- the transaction */

/* RFC 3461 4: xtext, "+XX" for '+', '=' and what is not printable. */
static void
append_xtext(GString *s, const char *text)
{
	for (const guchar *p = (const guchar *)text; *p != '\0'; p++) {
		if (*p > ' ' && *p < 0x7f && *p != '+' && *p != '=')
			g_string_append_c(s, (char)*p);
		else
			g_string_append_printf(s, "+%02X", *p);
	}
}

static void
append_notify(GString *s, guint notify)
{
	static const struct {
		guint bit;
		const char *word;
	} words[] = {
		{ RAVEN_NOTIFY_SUCCESS, "SUCCESS" },
		{ RAVEN_NOTIFY_FAILURE, "FAILURE" },
		{ RAVEN_NOTIFY_DELAY, "DELAY" },
	};
	const char *sep = "";

	g_string_append(s, " NOTIFY=");
	if (notify & RAVEN_NOTIFY_NEVER) {
		g_string_append(s, "NEVER");
		return;
	}
	for (guint i = 0; i < G_N_ELEMENTS(words); i++) {
		if (notify & words[i].bit) {
			g_string_append_printf(s, "%s%s", sep, words[i].word);
			sep = ",";
		}
	}
}

static gboolean
put_mail(Client *c)
{
	const RavenTransportJob *job = c->job;
	g_autoptr(GString) line = g_string_new(NULL);

	g_string_printf(line, "MAIL FROM:<%s>", job->sender);
	if (c->caps & CAP_SIZE)
		g_string_append_printf(line, " SIZE=%" G_GSIZE_FORMAT,
		                       g_bytes_get_size(job->message));
	if (job->body_8bit && (c->caps & CAP_8BITMIME))
		g_string_append(line, " BODY=8BITMIME");
	if (job->smtputf8)
		g_string_append(line, " SMTPUTF8");
	if ((c->caps & CAP_DSN) && job->ret_full)
		g_string_append(line, " RET=FULL");
	if ((c->caps & CAP_DSN) && job->envid != NULL) {
		g_string_append(line, " ENVID=");
		append_xtext(line, job->envid);
	}
	g_string_append(line, "\r\n");
	return put(c, line->str, line->len);
}

static gboolean
put_rcpt(Client *c, const RavenRecipient *rcpt)
{
	g_autoptr(GString) line = g_string_new(NULL);

	g_string_printf(line, "RCPT TO:<%s>", rcpt->address);
	if ((c->caps & CAP_DSN) && rcpt->notify != 0)
		append_notify(line, rcpt->notify);
	if ((c->caps & CAP_DSN) && rcpt->orcpt != NULL) {
		const char *orcpt = rcpt->orcpt;
		const char *semi = strchr(orcpt, ';');
		g_autofree char *type
			= g_strndup(orcpt, semi ? (gsize)(semi - orcpt) : 0);

		/* "type;address", the type rfc822 when it was not given */
		g_string_append(line, " ORCPT=");
		append_xtext(line, semi ? type : "rfc822");
		g_string_append_c(line, ';');
		append_xtext(line, semi ? semi + 1 : orcpt);
	}
	g_string_append(line, "\r\n");
	return put(c, line->str, line->len);
}

/* Bytes before the next CR or LF (NUL bytes are bytes too). */
static gsize
line_run(const char *p, gsize len)
{
	gsize i = 0;

	while (i < len && p[i] != '\r' && p[i] != '\n')
		i++;
	return i;
}

/* The message as DATA wants it: every line end CRLF, whatever the stored
 * bytes hold (a bare CR or LF must not reach a server that would read it
 * differently from us: "SMTP smuggling"), lines starting with '.' doubled,
 * a last CRLF when missing, then ".". */
static gboolean
put_body(Client *c)
{
	gsize len;
	const char *p = g_bytes_get_data(c->job->message, &len);
	gboolean line_end = TRUE;
	gsize i = 0;

	while (i < len) {
		gsize run = line_run(p + i, len - i);

		if (run == 0) {
			gboolean crlf = p[i] == '\r' && i + 1 < len
			                && p[i + 1] == '\n';

			if (!put(c, "\r\n", 2))
				return FALSE;
			i += crlf ? 2 : 1;
			line_end = TRUE;
			continue;
		}
		/* A run starts a line: line ends are all outside runs. */
		if (p[i] == '.' && !put(c, ".", 1))
			return FALSE;
		if (!put(c, p + i, run))
			return FALSE;
		i += run;
		line_end = FALSE;
	}
	if (!line_end && !put(c, "\r\n", 2))
		return FALSE;
	return put(c, ".\r\n", 3) && flush(c);
}

/* Count a RCPT's reply: accepted recipients stay open until the end of
 * data; others are decided now.  After a failed MAIL all are decided. */
static void
rcpt_answered(Client *c, guint i, const Reply *r, guint *n_accepted)
{
	if (!pending(c, i))
		return;
	if (r->code / 100 == 2)
		(*n_accepted)++;
	else
		decide_reply(c, i, r);
}

/* MAIL, each open recipient's RCPT and DATA in one write, then their
 * replies in order (RFC 2920 3.1).  `r` ends with DATA's reply. */
static gboolean
envelope_pipelined(Client *c, Reply *r, guint *n_accepted)
{
	const RavenTransportJob *job = c->job;
	g_autoptr(GArray) sent = g_array_new(FALSE, FALSE, sizeof(guint));

	c->step = "after MAIL FROM";
	if (!put_mail(c))
		return FALSE;
	for (guint i = 0; i < job->n_recipients; i++) {
		if (!pending(c, i))
			continue;
		if (!put_rcpt(c, &job->recipients[i]))
			return FALSE;
		g_array_append_val(sent, i);
	}
	if (!put(c, "DATA\r\n", 6) || !flush(c) || !read_reply(c, r))
		return FALSE;
	if (r->code / 100 != 2)
		decide_pending_reply(c, r);
	c->step = "after RCPT TO";
	for (guint k = 0; k < sent->len; k++) {
		if (!read_reply(c, r))
			return FALSE;
		rcpt_answered(c, g_array_index(sent, guint, k), r, n_accepted);
	}
	c->step = "after DATA";
	return read_reply(c, r);
}

/* The same one command at a time; DATA only when a recipient was
 * accepted. */
static gboolean
envelope_in_turn(Client *c, Reply *r, guint *n_accepted)
{
	const RavenTransportJob *job = c->job;

	c->step = "after MAIL FROM";
	if (!put_mail(c) || !flush(c) || !read_reply(c, r))
		return FALSE;
	if (r->code / 100 != 2) {
		decide_pending_reply(c, r);
		return TRUE;
	}
	c->step = "after RCPT TO";
	for (guint i = 0; i < job->n_recipients; i++) {
		if (!pending(c, i))
			continue;
		if (!put_rcpt(c, &job->recipients[i]) || !flush(c)
		    || !read_reply(c, r))
			return FALSE;
		rcpt_answered(c, i, r, n_accepted);
	}
	return *n_accepted == 0 || command(c, r, "after DATA", "DATA");
}

static void
transaction(Client *c, Reply *r)
{
	guint n_accepted = 0;
	gboolean answered = (c->caps & CAP_PIPELINING)
	                            ? envelope_pipelined(c, r, &n_accepted)
	                            : envelope_in_turn(c, r, &n_accepted);

	if (!answered)
		return;
	if (r->code == 354) {
		/* With nobody accepted, a pipelined DATA still got 354: end
		 * it with an empty message. */
		c->step = "while sending the message";
		if (n_accepted > 0 ? !put_body(c)
		                   : !(put(c, ".\r\n", 3) && flush(c)))
			return;
		c->step = "after the end of data";
		if (!read_reply(c, r))
			return;
		decide_pending_reply(c, r);
	} else if (n_accepted > 0) {
		if (r->code / 100 == 2) {
			fail(c, "4.5.0", "%s answered DATA with %s",
			     c->remote_host, r->text->str);
			return;
		}
		decide_pending_reply(c, r);
	}
	quit(c, r);
}

/* ---- one attempt */

/* The addresses come from our own parser, but a CR or LF in one would end
 * a command early and start another. */
static gboolean
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((guchar)*s < 0x20 || *s == 0x7f)
			return FALSE;
	return TRUE;
}

/* FALSE when nobody is left to send to. */
static gboolean
check_addresses(Client *c)
{
	const RavenTransportJob *job = c->job;
	gboolean any = FALSE;

	if (!printable(job->sender)) {
		decide_pending(c, RAVEN_TRANSPORT_FAILED, "5.1.7",
		               "the sender address holds control characters");
		return FALSE;
	}
	for (guint i = 0; i < job->n_recipients; i++) {
		if (printable(job->recipients[i].address))
			any = TRUE;
		else
			smtp_client_results_set(
				&c->results[i], 1, RAVEN_TRANSPORT_FAILED,
				"5.1.3",
				"the recipient address holds control "
				"characters",
				NULL);
	}
	return any;
}

static SmtpClientOutcome
run(Client *c, Reply *r)
{
	g_autoptr(GError) error = NULL;

	c->step = "while connecting";
	c->conn = smtp_conn_open(c->target->address, c->target->port,
	                         c->target->timeout_ms, &error);
	if (c->conn == NULL) {
		conn_failed(c, error);
		return SMTP_CLIENT_TRY_NEXT;
	}
	c->step = "while receiving the greeting";
	if (!read_reply(c, r))
		return SMTP_CLIENT_TRY_NEXT;
	if (r->code / 100 != 2) {
		decide_pending_reply(c, r);
		quit(c, r);
		return SMTP_CLIENT_TRY_NEXT;
	}
	if (!hello(c, r) || !secure(c, r))
		return c->tls_failed ? SMTP_CLIENT_TLS_FAILED
		                     : SMTP_CLIENT_TRY_NEXT;
	if (c->job->smtputf8 && !(c->caps & CAP_SMTPUTF8)) {
		g_autofree char *why = g_strdup_printf(
			"the message needs SMTPUTF8 but %s does not offer it",
			c->remote_host);

		decide_pending(c, RAVEN_TRANSPORT_FAILED, "5.6.7", why);
		quit(c, r);
		return SMTP_CLIENT_ANSWERED;
	}
	transaction(c, r);
	return SMTP_CLIENT_ANSWERED;
}

static void
client_free(Client *c)
{
	/* A TLS goodbye only when the conversation ended well */
	smtp_conn_close(c->conn, c->error_text == NULL);
	g_free(c->remote_host);
	g_free(c->error_text);
	g_free(c);
}

SmtpClientOutcome
smtp_client_send(const SmtpClientTarget *target,
                 const RavenTransportJob *job,
                 RavenTransportResult *results)
{
	SmtpClientOutcome outcome = SMTP_CLIENT_ANSWERED;
	Client *c;
	Reply reply;

	g_return_val_if_fail(target != NULL && job != NULL, outcome);
	c = g_new0(Client, 1);
	c->target = target;
	c->job = job;
	c->results = results;
	c->remote_host
		= g_strdup_printf("%s [%s]", target->host, target->address);
	reply_init(&reply);
	if (check_addresses(c))
		outcome = run(c, &reply);
	if (c->error_text != NULL)
		decide_pending(c, RAVEN_TRANSPORT_DEFERRED, c->error_status,
		               c->error_text);
	reply_clear(&reply);
	client_free(c);
	return outcome;
}
