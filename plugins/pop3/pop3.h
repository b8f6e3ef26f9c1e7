/* pop3.h: what the pop3 plugin's files share: config, session, helpers.
 * SPDX-License-Identifier: MIT
 *
 * Not installed.  Everything here is hidden from other plugins by
 * -fvisibility=hidden; only raven_plugin_info is exported.
 */
#ifndef POP3_H
#define POP3_H

#include <raven/raven-plugin.h>

#include "pop3-parser.h"
#include "pop3-stream.h"

/* The plugin's settings, read once in init, and its shared state. */
typedef struct {
	const RavenCore *core;
	gboolean allow_plaintext_auth;
	guint login_timeout; /* seconds before login */
	guint idle_timeout;  /* seconds after login */
	guint login_delay;   /* seconds, advertised only; 0: not advertised */
	GHashTable *locked;  /* users in TRANSACTION in this process */
} Pop3Server;

typedef enum {
	POP3_STATE_AUTHORIZATION = 1 << 0,
	POP3_STATE_TRANSACTION = 1 << 1,
	POP3_STATE_UPDATE = 1 << 2,
} Pop3State;

/* One message of the maildrop, as numbered at login. */
typedef struct {
	guint32 uid;
	guint64 size;
	gboolean deleted; /* DELE in this session */
} Pop3Message;

/* The message list of a session: INBOX as it was at login. */
typedef struct {
	const RavenStorage *storage;
	RavenMailbox *mailbox;
	guint32 uidvalidity;
	GArray *messages; /* Pop3Message, in UID order */
	guint n_deleted;
	guint64 deleted_size;
	guint64 total_size;
} Pop3Maildrop;

/* RETR or TOP on its way out. */
typedef struct {
	GBytes *message; /* the whole message as fetched */
	Pop3Encoder encoder;
	gboolean active;
} Pop3Send;

typedef struct {
	gint ref;
	Pop3Server *server;
	const RavenCore *core;
	RavenConn *conn; /* NULL once the core closed it */
	char *client_address;
	Pop3State state;
	gboolean tls;
	guint waiting;     /* auth or fetch still to answer */
	gboolean draining; /* drain came while waiting */
	gboolean closing;  /* a final reply is out; ignore input */
	gboolean sasl;     /* the next line is an AUTH PLAIN response */
	char *user_arg;    /* USER's name, until PASS */
	char *user;        /* the canonical user, after login */
	gboolean locked;   /* `user` is in server->locked */
	GCancellable *cancel;
	Pop3Maildrop *drop;
	Pop3Send send;
} Pop3Session;

/* pop3-session.c */
gpointer pop3_session_accept(RavenConn *conn, const char *role, gpointer data);
void pop3_session_drain(RavenConn *conn, gpointer session);
Pop3Session *pop3_session_ref(Pop3Session *s);
void pop3_session_unref(Pop3Session *s);
/* Pause input until pop3_session_unwait; holds a reference. */
void pop3_session_wait(Pop3Session *s);
void pop3_session_unwait(Pop3Session *s);
/* A reply line (without CRLF). */
void pop3_reply(Pop3Session *s, const char *text);
void pop3_replyf(Pop3Session *s, const char *format, ...) G_GNUC_PRINTF(2, 3);
/* A last reply, then close (no UPDATE). */
void pop3_reply_close(Pop3Session *s, const char *text);
/* Login and TLS are allowed: inside TLS, or allow_plaintext_auth. */
gboolean pop3_auth_allowed(Pop3Session *s);
/* Give up the maildrop lock, if held. */
void pop3_session_unlock(Pop3Session *s);

/* pop3-cmd.c: the command table */
typedef struct {
	Pop3CommandId id;
	guint states; /* Pop3State bits where it is valid */
	gboolean (*check)(Pop3Session *s, const Pop3Command *cmd);
	void (*proceed)(Pop3Session *s, const Pop3Command *cmd);
} Pop3CommandRow;
const Pop3CommandRow *pop3_command_row(Pop3CommandId id);

/* pop3-auth.c */
gboolean pop3_check_auth(Pop3Session *s, const Pop3Command *cmd);
void pop3_proceed_user(Pop3Session *s, const Pop3Command *cmd);
void pop3_proceed_pass(Pop3Session *s, const Pop3Command *cmd);
void pop3_proceed_auth(Pop3Session *s, const Pop3Command *cmd);
/* The line after "+ " in AUTH PLAIN. */
void pop3_auth_response(Pop3Session *s, const char *line, gsize len);

/* pop3-maildrop.c */
/* Snapshot INBOX of `user` (transfer full), or NULL with `error`. */
Pop3Maildrop *
pop3_maildrop_open(const RavenCore *core, const char *user, GError **error);
void pop3_maildrop_free(Pop3Maildrop *drop);
/* Message `n` (1..), or NULL with the -ERR text in `problem`. */
Pop3Message *pop3_maildrop_get(Pop3Maildrop *drop, guint32 n, char **problem);
guint pop3_maildrop_count(Pop3Maildrop *drop);
guint64 pop3_maildrop_size(Pop3Maildrop *drop);
void pop3_maildrop_dele(Pop3Maildrop *drop, Pop3Message *msg);
void pop3_maildrop_rset(Pop3Maildrop *drop);
/* "UIDVALIDITY.UID" (transfer full). */
char *pop3_maildrop_uidl(Pop3Maildrop *drop, const Pop3Message *msg);
/* UPDATE: remove the messages marked with DELE, and only those. */
gboolean pop3_maildrop_commit(Pop3Maildrop *drop, GError **error);

/* pop3-send.c */
/* RETR (`limited` FALSE) or TOP: fetch on a worker thread, then stream. */
void pop3_send_start(Pop3Session *s,
                     Pop3Message *msg,
                     gboolean limited,
                     guint64 lines);
/* All output was written: the next chunk, if sending. */
void pop3_send_drained(Pop3Session *s);
void pop3_send_clear(Pop3Session *s);

#endif /* POP3_H */
