/* smtp.h: what the smtp plugin's files share: config, session, helpers.
 * SPDX-License-Identifier: MIT
 *
 * Not installed.  Everything here is hidden from other plugins by
 * -fvisibility=hidden; only raven_plugin_info is exported.
 */
#ifndef SMTP_H
#define SMTP_H

#include <raven/raven-plugin.h>

#include "smtp-parser.h"
#include "smtp-stream.h"

/* The plugin's settings, read once in init. */
typedef struct {
	const RavenCore *core;
	guint64 max_message_size;
	guint max_recipients;
	guint max_hops;
	guint max_errors;
	guint max_line;
	guint command_timeout;      /* seconds, 0: none */
	guint data_timeout;         /* seconds, 0: none */
	guint64 min_data_rate;      /* bytes per second, 0: no check */
	guint min_data_rate_window; /* seconds the rate may stay low */
	gboolean vrfy;
	gboolean quota_permanent;
	gboolean allow_plaintext_auth; /* AUTH also without TLS */
	char *banner;
} SmtpServer;

/* A filter chain's answer, copied out of the core's result. */
typedef struct {
	RavenVerdict verdict;
	guint code;
	char *text; /* nullable */
	double score;
} SmtpVerdict;

typedef struct {
	char *address; /* as given, without <> */
	char *user;    /* the local user it resolved to */
	char *orcpt;   /* nullable */
	guint notify;
} SmtpRcpt;

/* One mail transaction, from MAIL to the end of data or RSET. */
typedef struct {
	gboolean active;
	SmtpMailArgs mail;
	GArray *rcpts;    /* SmtpRcpt: those to deliver to */
	guint n_accepted; /* 250s given to RCPT, discarded ones too */
	guint n_tried;    /* RCPT commands seen */
	gboolean junk;    /* a filter said junk */
	gboolean discard; /* a filter said discard: spool nothing */
	double score;
	gboolean bdat; /* BDAT chunks began: DATA is refused */
} SmtpTx;

/* The message being read, by DATA or BDAT. */
typedef struct {
	SmtpStream stream; /* DATA: dot-unstuffing and framing */
	GByteArray *body;  /* NULL before data and once over the limit */
	gboolean too_big;
	gboolean in_chunk;       /* raw input is a BDAT chunk, not DATA */
	guint64 chunk_size;      /* BDAT: this chunk's size */
	guint64 chunk_left;      /* BDAT: bytes of this chunk still to come */
	gboolean last;           /* BDAT: this is the LAST chunk */
	const char *chunk_error; /* BDAT: reply after a discarded chunk */
	guint64 window_bytes;    /* bytes since the last rate check */
	guint rate_timer;
} SmtpData;

typedef struct SmtpSession SmtpSession;
typedef void (*SmtpFilterNext)(SmtpSession *s, const SmtpVerdict *v);

/* Where an AUTH exchange is: which response the next line is. */
typedef enum {
	SMTP_SASL_NONE = 0,   /* lines are commands */
	SMTP_SASL_PLAIN,      /* PLAIN: authzid NUL authcid NUL password */
	SMTP_SASL_LOGIN_USER, /* LOGIN: the user name */
	SMTP_SASL_LOGIN_PASS, /* LOGIN: the password */
} SmtpSasl;

struct SmtpSession {
	gint ref;
	SmtpServer *server;
	const RavenCore *core;
	RavenConn *conn;     /* NULL once the core closed it */
	gboolean submission; /* role: submission (no MX delivery) */
	char *client_address;
	char *helo;     /* nullable before HELO/EHLO */
	gboolean esmtp; /* EHLO, not HELO */
	gboolean tls;
	guint errors;
	guint waiting;     /* filters or the spool still to answer */
	gboolean draining; /* drain came while waiting */
	gboolean closing;  /* a final reply is out; ignore input */
	gboolean junk;     /* connect/HELO filters said junk */
	gboolean discard;  /* connect/HELO filters said discard */
	double score;

	char *auth_user;      /* nullable: the canonical user after AUTH */
	SmtpSasl sasl;        /* an AUTH exchange waits for a line */
	char *sasl_login;     /* LOGIN: the user name given */
	GCancellable *cancel; /* cancelled when the connection goes */

	SmtpTx tx;
	SmtpData data;

	/* What a running filter sees; kept until it answers. */
	RavenFilterContext fctx;
	char *pending_helo;
	gboolean pending_esmtp;
	SmtpMailArgs pending_mail;
	SmtpRcptArgs pending_rcpt;
	char *pending_user;
	GPtrArray *fctx_rcpts; /* DATA phase: char * addresses, NULL-ended */
	GBytes *message;       /* end of data: what is filtered and spooled */
	RavenEnvelope envelope;
	GArray *env_rcpts; /* RavenRecipient for `envelope` */
};

/* smtp-session.c */
gpointer smtp_session_accept(RavenConn *conn, const char *role, gpointer data);
void smtp_session_drain(RavenConn *conn, gpointer session);
SmtpSession *smtp_session_ref(SmtpSession *s);
void smtp_session_unref(SmtpSession *s);
/* Pause input until smtp_session_unwait; holds a reference. */
void smtp_session_wait(SmtpSession *s);
void smtp_session_unwait(SmtpSession *s);
void smtp_tx_reset(SmtpSession *s);
/* Back to reading command lines with the command timeout. */
void smtp_session_read_commands(SmtpSession *s);

/* smtp-reply.c */
/* A reply line (without CRLF).  4xx and 5xx count towards max_errors
 * unless `quiet`; past it, 421 and close. */
void smtp_reply(SmtpSession *s, const char *text);
void smtp_reply_quiet(SmtpSession *s, const char *text);
void smtp_replyf(SmtpSession *s, const char *format, ...) G_GNUC_PRINTF(2, 3);
/* A last reply, then close. */
void smtp_reply_close(SmtpSession *s, const char *text);
/* `text` on one line of printable characters (transfer full). */
char *smtp_clean_text(const char *text);
/* A reply made of several lines, "250-..." then "250 ...". */
void smtp_reply_lines(SmtpSession *s, guint code, GPtrArray *lines);

/* smtp-cmd.c: the command table */
typedef struct {
	const char *verb;
	gboolean (*check)(SmtpSession *s, const char *args);
	void (*proceed)(SmtpSession *s, const char *args);
} SmtpCommand;
const SmtpCommand *smtp_command_find(const char *verb);
void smtp_greet(SmtpSession *s);

/* smtp-mail.c */
gboolean smtp_check_mail(SmtpSession *s, const char *args);
void smtp_proceed_mail(SmtpSession *s, const char *args);
gboolean smtp_check_rcpt(SmtpSession *s, const char *args);
void smtp_proceed_rcpt(SmtpSession *s, const char *args);

/* smtp-auth.c: AUTH (RFC 4954) on submission listeners */
#define SMTP_AUTH_MECHANISMS "PLAIN LOGIN"
/* TRUE when EHLO offers AUTH: submission, and TLS or plaintext allowed. */
gboolean smtp_auth_offered(SmtpSession *s);
gboolean smtp_check_auth(SmtpSession *s, const char *args);
void smtp_proceed_auth(SmtpSession *s, const char *args);
/* A line while s->sasl is set: the client's response, or `problem` (a
 * reply line) when the line could not be read as one. */
void smtp_auth_response(SmtpSession *s, const char *line, const char *problem);
/* Forget the login and any exchange (STARTTLS starts over). */
void smtp_auth_reset(SmtpSession *s);
/* TRUE when `address` resolves to the authenticated user. */
gboolean smtp_auth_owns(SmtpSession *s, const char *address);

/* smtp-data.c */
gboolean smtp_check_data(SmtpSession *s, const char *args);
void smtp_proceed_data(SmtpSession *s, const char *args);
gboolean smtp_check_bdat(SmtpSession *s, const char *args);
void smtp_proceed_bdat(SmtpSession *s, const char *args);
gsize smtp_data_input(SmtpSession *s, const guint8 *data, gsize len);
void smtp_data_clear(SmtpSession *s);

/* smtp-deliver.c: the end of data */
void smtp_deliver(SmtpSession *s);

/* smtp-filter.c */
/* Run the filter chain for `phase` on what s->fctx holds; `next` gets
 * the verdict (at once, PROCEED, when the core has no filter chain). */
void smtp_filter(SmtpSession *s, RavenFilterPhase phase, SmtpFilterNext next);
/* Answer a refusing verdict; TRUE when the command goes on (proceed,
 * accept, junk, discard). */
gboolean smtp_filter_answer(SmtpSession *s, const SmtpVerdict *v);
/* The reply line for a refusing verdict (transfer full): the filter's own
 * code when it has the class of `code`, its text, or the fallbacks. */
char *smtp_verdict_reply(const SmtpVerdict *v,
                         guint code,
                         const char *enhanced,
                         const char *fallback);

/* smtp-outbound.c: the outbound queue's transport (RavenTransport):
 * routes, MX lookup, the SMTP client of smtp-client.c. */
gboolean smtp_outbound_init(RavenPlugin *plugin,
                            const RavenCore *core,
                            const RavenConfigNode *config,
                            GError **error);
void smtp_outbound_shutdown(void);

#endif /* SMTP_H */
